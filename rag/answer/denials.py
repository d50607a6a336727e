"""Denials: "The mayor denied reports that she plans to sell the park" says that a claim was denied, not that it holds.

The span reader, trained on sentences that state facts, read a denial as one: "Who is buying Riverside Park?" was
answered "Mayor Elena Marsh [1]" (the one who denied) and "What did the mayor deny?" too, from "Mayor Elena Marsh
denied reports that she plans to sell part of Riverside Park to the developer Castell Homes." Two reading rules of
the assistant read such a sentence by its form (`denial`): `denied_claim_reading` answers "What did X deny?" with
the denied claim ("reports that she plans to sell part of Riverside Park …"), and `denial_reading` answers a
question about the denied claim itself ("Who is buying the park?") with the denial quoted, never with a span of it.

Pure functions only: no model here.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass

from rag.answer.evidence import Evidence
from rag.answer.reader import Reading, SpanFinder
from rag.models.span_reader import Span
from rag.records import Passage
from rag.text import content_words

_DENIAL = re.compile(
    r"(?<!\bnever )(?<!\bnot )(?<!n't )(?<!n’t )"  # "never denied that …" affirms it
    r"\b(?:denied|denies|deny|denying|rejected|rejects)\s+(?P<claim>(?:(?:the|all|any)\s+)?"
    r"(?:(?:[a-z]+\s+)?(?:reports?|claims?|allegations?|suggestions?|rumou?rs?|accusations?|charges?|stories)\b"
    r"|that\b).*?)\s*[.!]?\s*$",
    re.IGNORECASE)
"""A sentence denying a claim, the claim after its verb: "denied reports that …", "denies all charges", "rejected
claims that …", "denied that …"."""
_NEVER = re.compile(r"^\s*(?:there\s+(?:has|have|had)\s+never\s+been|there\s+(?:is|was|were|are)\s+no)\s+"
                    r"(?:any\s+)?(?P<claim>(?:plans?|talks?|deal|agreement|proposal|offer|decision)\b.*?)"
                    r"(?:,\s+(?:she|he|they|it|the\s+\w+)\s+(?:said|says|added))?\s*[.!]?\s*$", re.IGNORECASE)
"""A sentence saying a claimed thing never was: "There has never been any plan to sell the park, she said."."""
_ASKS_DENIAL = re.compile(r"\b(?:den(?:y|ies|ied|ying|ial)|reject\w*|rumou?r\w*|claim\w*|report\w*|"
                          r"alleg\w*|accus\w*|true|false|source)\b", re.IGNORECASE)
"""A question about the denial or the claim as a claim ("Who denied …?", "What did the rumour say?", "Is it true
…?"): the denial answers it as it stands."""
_WHAT_DENIED = re.compile(r"^\s*(?:and\s+)?what\s+(?:did|does|do|has|have|had)\s+.+?\s+(?:deny|denied|reject)\b",
                          re.IGNORECASE)

DENIAL_REACH = 3
"""How many of the best evidence sentences a denial is looked for in."""


@dataclass(frozen=True)
class Denial:
    """A denial sentence's claim, at `start:end` of the sentence."""

    start: int
    end: int


def denial(sentence: str) -> Denial | None:
    """The claim `sentence` denies, or None when it denies none.

    >>> sentence = "Mayor Elena Marsh denied reports that she plans to sell part of Riverside Park."
    >>> found = denial(sentence); sentence[found.start:found.end]
    'reports that she plans to sell part of Riverside Park'
    >>> found = denial("He denies all charges."); "He denies all charges."[found.start:found.end]
    'all charges'
    >>> sentence = "There has never been any plan to sell the park, she said."
    >>> found = denial(sentence); sentence[found.start:found.end]
    'plan to sell the park'
    >>> denial("The council denied planning permission for the tower.") is None
    True
    >>> denial("Lincoln never denied that he was born in Kentucky."), denial("She did not deny reports that she left.")
    (None, None)
    """
    found = _DENIAL.search(sentence) or _NEVER.search(sentence)
    if found is None:
        return None
    return Denial(found.start("claim"), found.end("claim"))


def _denials(evidence: Evidence, passages: Sequence[Passage]) -> list[tuple[int, int, int, str, Denial]]:
    """The best evidence sentences that deny a claim: (passage index, start, end, sentence, denial)."""
    found = []
    for sentence in evidence.ranked[0][:DENIAL_REACH] if len(evidence.parts) == 1 else ():
        text = passages[sentence.passage_index].text[sentence.start:sentence.end]
        denied = denial(text)
        if denied is not None:
            found.append((sentence.passage_index, sentence.start, sentence.end, text, denied))
    return found


def denied_claim_reading(question: str, reading: Reading | None, evidence: Evidence, passages: Sequence[Passage],
                         reader: SpanFinder) -> Reading | None:
    """For "What did X deny?", the claim the best denial sentence denies, said as the answer; the reading as it
    was for any other question, or when no such sentence is among the best."""
    if not _WHAT_DENIED.match(question):
        return reading
    for passage_index, start, end, text, denied in _denials(evidence, passages):
        chance = reading.span.probability if reading is not None else 0.0
        claim = text[denied.start:denied.end]
        return Reading(Span(claim, denied.start, denied.end, chance, 0.0, text), passage_index, start, end,
                       ruled=True, said=claim[:1].upper() + claim[1:])
    return reading


def denial_reading(question: str, reading: Reading | None, evidence: Evidence, passages: Sequence[Passage],
                   reader: SpanFinder) -> Reading | None:
    """For a question about a claim that the sentence the span was read in denies ("Who is buying Riverside Park?"
    over "… denied reports that she plans to sell part of Riverside Park to …": some of the question's words are in
    the denied claim), the denial quoted as the answer rather than a span of it (the buyer, or the one who denied).
    The reading as it was when its sentence denies nothing, or the question asks about the denial, a report or a
    claim as such (`_ASKS_DENIAL`)."""
    if reading is None or reading.said or _ASKS_DENIAL.search(question):
        return reading
    text = passages[reading.passage_index].text[reading.sentence_start:reading.sentence_end]
    denied = denial(text)
    if denied is None or not content_words(question) & content_words(text[denied.start:denied.end]):
        return reading
    quote = " ".join(text.split()).rstrip(".")  # the answer's own period closes it: '… Homes" [1].'
    return Reading(Span(text, 0, len(text), reading.span.probability, reading.span.margin, text),
                   reading.passage_index, reading.sentence_start, reading.sentence_end, ruled=True,
                   said=f'The articles report a denial: "{quote}"')
