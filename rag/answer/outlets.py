"""Outlets: which outlet's reports answer a question that names one, and which outlets back an answer.

- A question naming an outlet ("How many jobs did the Harwick Courier say would go?", "according to the Valley
  Post", "in the Courier") asks what that outlet reported: `named_outlet` finds it among the retrieved reports'
  sources, and the question is searched within that outlet's articles (another outlet's figure is no answer).
- "reported by" lists the outlets reporting an answer's story; another outlet's report of the story joins it only
  when it says what the cited sentence says (`backs`): not when it gives another figure of the same thing (250 jobs
  where the answer says 220), nor when it only shares the story's topic (the residents' letter that spread a rumour
  is no report of the mayor's denial).

Pure functions only: no model here.
"""

from __future__ import annotations

import re
from collections.abc import Iterable

from rag.answer.prompts import QUOTED_OPENING
from rag.text import content_words

_NAME = re.compile(r"[A-Z][\w&'’-]*(?:\s+(?:of\s+|the\s+)?[A-Z][\w&'’-]*)*")


def is_outlet(source: str) -> bool:
    """A source that is an outlet's name ("Harwick Courier"), not a file's path or a page's address."""
    return bool(_NAME.fullmatch(source.strip()))


_REPORTING = re.compile(r"\b(?:say|says|said|report|reports|reported|reporting|write|writes|wrote|written|"
                        r"publish|publishes|published|claim|claims|claimed|put|puts|give|gives|gave|quote|quotes|"
                        r"quoted|according\s+to|in\s+the)\b", re.IGNORECASE)
"""Words by which a question asks what an outlet reported ("did the Courier say", "according to the Post", "in the
Courier"), rather than about the outlet itself ("Who owns the Guardian?")."""


def named_outlet(question: str, sources: Iterable[str]) -> str:
    """The outlet among `sources` the question names: by its whole name ("the Harwick Courier"), or by the last
    word of a name of two or more ("the Courier") when no other source ends with it; "" when it names none (a file's
    path is no outlet's name).

    >>> sources = ["Harwick Courier", "Valley Post", "notes/plant.md"]
    >>> named_outlet("How many jobs did the Harwick Courier say Brightwater would cut?", sources)
    'Harwick Courier'
    >>> named_outlet("What was the crowd according to the valley post?", sources)
    'Valley Post'
    >>> named_outlet("What did the Courier say?", sources)
    'Harwick Courier'
    >>> named_outlet("Where does the courier deliver?", sources), named_outlet("What is in plant.md?", sources)
    ('', '')
    >>> named_outlet("How many times did the team win, according to the Post?", ["Times", "Valley Post"])
    'Valley Post'
    >>> named_outlet("How many times did they win?", ["Times"]), named_outlet("Who founded the Valley Post?", sources)
    ('', '')
    """
    if not _REPORTING.search(question):
        return ""  # "Who founded the Guardian?", "How many times …?": about the outlet, or a word, not its report
    return outlet_in(question, sources)


def outlet_in(text: str, sources: Iterable[str]) -> str:
    """The outlet among `sources` that `text` names (`named_outlet` without asking for a report: "When did the
    Courier report …?" has its outlet read by its own pattern).

    >>> outlet_in("Harwick Courier", ["Harwick Courier"]), outlet_in("times", ["Times"])
    ('Harwick Courier', '')
    """
    question = text
    outlets = [source.strip() for source in dict.fromkeys(sources) if is_outlet(source)]
    for outlet in outlets:
        # a one-word name only as written ("the Times", not "times"); a longer one in any case
        flags = re.IGNORECASE if len(outlet.split()) > 1 else 0
        if re.search(rf"(?<![\w-]){re.escape(outlet)}(?![\w-])", question, flags):
            return outlet
    for outlet in outlets:
        last = outlet.split()[-1]
        alike = [other for other in outlets if other.split()[-1] == last]
        if len(outlet.split()) >= 2 and len(alike) == 1 and re.search(rf"\bthe\s+{re.escape(last)}\b", question):
            return outlet  # "in the Courier": capitalised as written, so not the common noun
    return ""


def without_outlet(question: str, outlet: str) -> str:
    """The question without the outlet it names (its own words are what the outlet's article must say; the
    outlet's name is its source, which the article's text need not say).

    >>> without_outlet("How many jobs did the Valley Post say would go?", "Valley Post")
    'How many jobs did say would go?'
    >>> without_outlet("What was the crowd, according to the Post?", "Valley Post")
    'What was the crowd?'
    """
    if not outlet:
        return question
    name = rf"(?:{re.escape(outlet)}|(?<=the\s){re.escape(outlet.split()[-1])})"
    pattern = rf",?\s*(?:according\s+to|in|by)?\s*(?:the\s+)?{name}(?![\w-])"
    return re.sub(pattern, "", question, count=1, flags=re.IGNORECASE)


_MARKER = re.compile(r"\[\d+\]")
_FIGURE = re.compile(r"\d(?:[\d,.]*\d)?")
_SOURCE_SAID = re.compile(r"\s+according\s+to\s+[^;\[]*$", re.IGNORECASE)
_INNER_NAME = re.compile(r"(?<=[a-z,;:] )(?:[A-Z][\w'’-]+\s+)*([A-Z][\w'’-]+)")
"""Capitalised words inside a sentence (not its first): a name, whose last word (a surname: "Ana Ruiz" is "Ruiz"
later) the group holds."""
SHORT_CLAIM = 3
"""A claim of this many words or fewer (a name, a figure with its unit) is backed by a report that says each of them."""
SHARED_WORDS = 1 / 3
"""A longer claim (a quoted sentence) is backed by a report saying this share of its words, each of its figures and
each name inside it. Over tests/data/multi-outlet.jsonl (reports of one event in their own words), each of the first
two sentences of a report is backed by another report of its event in 73 of 108 pairs (59 at a half)."""


def claim_of(answer: str, number: int) -> str:
    """What an answer says on the authority of its citation `number`: its text from the previous marker to the first
    `[number]`, without the quoted answer's opening nor the source it names ("according to …"); "" when the answer
    never cites it.

    >>> claim_of("220 jobs according to Harwick Courier [1]; 250 jobs according to Valley Post [2].", 2)
    '250 jobs'
    >>> claim_of('The articles say: "Union organiser Carl Meade called it a blow." [1]', 1)
    'Union organiser Carl Meade called it a blow.'
    """
    marker = f"[{number}]"
    if marker not in answer:
        return ""
    before = answer[:answer.index(marker)]
    earlier = list(_MARKER.finditer(before))
    said = before[earlier[-1].end():] if earlier else before
    said = _SOURCE_SAID.sub("", said.strip(" ;.,")).removeprefix(QUOTED_OPENING.strip()).strip()
    return said.strip(" \"“”;,")


def _figures(text: str) -> set[str]:
    return {found.group(0).replace(",", "") for found in _FIGURE.finditer(text)}


def backs(claim: str, report: str) -> bool:
    """Whether another outlet's `report` of a story says what an answer's `claim` says: each of its figures (not
    another figure of the same thing), the last word of each name inside it, and its words (each of a short claim's,
    a third of a quoted sentence's). A report that only shares the story's topic is no backing of a claim it never
    makes.

    >>> backs("220 jobs", "Brightwater will shut its factory, with the loss of 250 jobs.")
    False
    >>> backs("Carl Meade", 'Union organiser Carl Meade said it was "a hammer blow".')
    True
    >>> backs("Mayor Elena Marsh denied reports that she plans to sell part of Riverside Park to Castell Homes.",
    ...       "Residents were told that a sale of Riverside Park to Castell Homes was being discussed.")
    False
    """
    if not _figures(claim) <= _figures(report):
        return False
    reported = content_words(report)
    names = content_words(" ".join(_INNER_NAME.findall(claim)))
    if not names <= reported:
        return False  # the people and places it names (whose denial it is: "Marsh") are no other report's
    words = {word for word in content_words(claim) if not word[:1].isdigit()}
    said = words & reported
    return said == words if len(words) <= SHORT_CLAIM else SHARED_WORDS * len(words) <= len(said)
