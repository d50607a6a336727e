"""Parallel clauses: which of "X won the men's race, and Y won the women's race" a question asks about.

A sentence that says the same thing of two things, one clause each, holds two answers side by side, and the span
reader takes the first name it likes: "Who won the women's race?" was answered "Jonah Pike", the men's winner,
from "Jonah Pike … won the men's race …, and Aisha Fenwick … won the women's race …". `asked_clause` finds the
clause the question's own words point to when the span sits in its twin; `paired_reading` (one of the assistant's
reading rules) reads that clause alone.
"""

from __future__ import annotations

import dataclasses
import re
from collections.abc import Sequence

from rag.answer.changes import AMOUNT
from rag.answer.evidence import Evidence
from rag.answer.reader import Reading, SpanFinder, sentence_before
from rag.records import MONTH_NAMES, Passage
from rag.text import content_words, dateline_end, is_number

TIME_TERMS = frozenset(content_words(" ".join((*MONTH_NAMES, "year years month months week weeks day days Monday "
                                                "Tuesday Wednesday Thursday Friday Saturday Sunday today yesterday "
                                                "spring summer autumn winter quarter"))))
"""Words of time a question shares with a clause without naming it: not what tells two clauses apart."""

_JOINER = re.compile(r"\s*[,;]\s+(?:and|but|while|whereas)\s+|\s*;\s+|\s+(?:while|whereas)\s+")
"""Where one clause of a sentence ends and its twin begins: ", and", "; but", "; ", " while ", " whereas ". A bare
"and" joins names and phrases far more often than clauses ("the men's and women's races"), so it does not split."""


def clauses(sentence: str) -> list[tuple[int, int]]:
    """The offsets of the clauses of `sentence` (`_JOINER` splits them), in order; one clause for most sentences.

    >>> text = "Pike won the men's race, and Fenwick won the women's race."
    >>> [text[start:end] for start, end in clauses(text)]
    ["Pike won the men's race", "Fenwick won the women's race."]
    """
    found, start = [], 0
    for joiner in _JOINER.finditer(sentence):
        found.append((start, joiner.start()))
        start = joiner.end()
    found.append((start, len(sentence)))
    return [(begin, end) for begin, end in found if sentence[begin:end].strip()]


_PREAMBLE = re.compile(r"(?:When|If|After|Before|As|Although|Though|While|Since|Because|Once|Unless|Until|In|On|At|"
                       r"During|For|By|With)\b[^,;]{0,120},\s*")
"""A sentence's opening phrase that both its clauses share ("When rich countries trade with poor countries, …"):
its words tell neither clause apart."""


def asked_clause(question: str, sentence: str, start: int, end: int) -> tuple[int, int] | None:
    """The offsets of the clause of `sentence` that `question` asks about, when the span at `start:end` lies in
    another one: the two clauses say the same thing (they share words the question says too: "won", "race"), and
    the asked clause holds a word of the question the span's clause lacks ("women's") while lacking none the span's
    clause holds. None when the span's clause is the one asked about, or nothing tells them apart.

    >>> text = "Pike won the men's race, and Fenwick won the women's race."
    >>> found = asked_clause("Who won the women's race?", text, 0, 4)
    >>> text[found[0]:found[1]]
    "Fenwick won the women's race."
    >>> asked_clause("Who won the men's race?", text, 0, 4) is None
    True
    >>> asked_clause("Who led the march, which the police stopped?", "Ann led the march, and police stopped it.",
    ...              0, 3) is None
    True
    >>> text = ("Profit at the firm fell to 5 million in the year to June, and a net loss of 2 million was reported, "
    ...         "against a gain a year earlier.")  # times tell no clause apart
    >>> asked_clause("How much money did the firm lose in the year to June?", text, 76, 85) is None
    True
    >>> text = ("When rich towns trade with poor towns, workers in rich towns see lower pay, while workers in poor "
    ...         "towns see higher pay.")  # the opening is both clauses'
    >>> asked_clause("What effect does trade have on workers in poorer towns?", text, 108, 118) is None
    True
    """
    parts = clauses(sentence)
    opening = dateline_end(sentence)  # "PORT ELSING, April 13 (Wire Service) - …": the report's, not a clause's
    preamble = _PREAMBLE.match(sentence, opening)
    opening = preamble.end() if preamble is not None else opening
    if parts and parts[0][0] < opening < parts[0][1]:
        parts[0] = (opening, parts[0][1])  # the shared opening is neither clause's
    own = next(((begin, finish) for begin, finish in parts if begin <= start and end <= finish), None)
    if own is None or len(parts) < 2:
        return None
    # times ("in the year to December") set both clauses in time more often than they tell them apart
    asked = {word for word in content_words(question) if word not in TIME_TERMS and not is_number(word)}
    own_words = content_words(sentence[own[0]:own[1]]) & asked
    best: tuple[int, tuple[int, int]] | None = None
    for part in parts:
        if part == own:
            continue
        words = content_words(sentence[part[0]:part[1]]) & asked
        gained = words - own_words
        if gained and own_words & words and not own_words - words and (best is None or len(gained) > best[0]):
            best = (len(gained), part)
    return best[1] if best is not None else None


def paired_reading(question: str, reading: Reading | None, evidence: Evidence, passages: Sequence[Passage],
                   reader: SpanFinder) -> Reading | None:
    """The reading moved to the clause the question asks about (`asked_clause`), the span the reader finds in that
    clause read alone; kept when another rule chose it, when its clause is the one asked about, or when the reader
    finds nothing in the asked clause."""
    if reading is None or reading.ruled:
        return reading
    passage = passages[reading.passage_index]
    sentence = passage.text[reading.sentence_start:reading.sentence_end]
    found = asked_clause(question, sentence, reading.span.start, reading.span.end)
    if found is None:
        return reading
    clause = sentence[found[0]:found[1]]
    span = reader.read(question, passage.title, clause,
                       sentence_before(reader, passage, reading.sentence_start))
    if not span.text.strip():
        return reading
    # Not a rule's reading: the reader's chance for the clause's span decides whether it answers, as for any span
    # (a dateline read as the answer of "What did they promise?" is no more likely for being moved)
    moved = dataclasses.replace(span, start=found[0] + span.start, end=found[0] + span.end, sentence=sentence)
    return dataclasses.replace(reading, span=moved)


_ALLOTTED = re.compile(r"\s+(?:for|on|to|towards|into)\s+", re.IGNORECASE)
"""What ties an amount to the thing it goes to: "£6.1 million for road repairs", "$3 million on new buses"."""


def allotted_amount(question: str, sentence: str, start: int, end: int) -> tuple[int, int] | None:
    """Where the amount `question` asks about stands when `sentence` shares out several amounts, each followed by
    the thing it goes to ("£6.1 million for road repairs and £2.4 million for the park"), and the span
    `sentence[start:end]` is the amount of another thing than the question names: the amount whose thing shares
    the most words with the question, when that is more than the span's thing shares. None otherwise.

    >>> text = "The budget sets aside £6.1 million for road repairs and £2.4 million for the Riverside Park renovation."
    >>> found = allotted_amount("How much does the budget set aside for road repairs?", text, 56, 68)
    >>> text[found[0]:found[1]]
    '£6.1 million'
    >>> allotted_amount("How much does the budget set aside for the park?", text, 56, 68) is None
    True
    >>> allotted_amount("How much does the budget set aside?", text, 56, 68) is None  # nothing tells them apart
    True
    """
    amounts = [match.span() for match in re.finditer(AMOUNT, sentence) if any(character.isdigit() for character
                                                                            in match.group())]
    things = []
    for position, (amount_start, amount_end) in enumerate(amounts):
        tied = _ALLOTTED.match(sentence, amount_end)
        if tied is None:
            continue
        stop = amounts[position + 1][0] if position + 1 < len(amounts) else len(sentence)
        thing = re.split(r"[,;.]|\s+and\s*$", sentence[tied.end():stop])[0]
        things.append(((amount_start, amount_end), content_words(thing)))
    spanned = [pair for pair in things if pair[0][0] < end and start < pair[0][1]]
    if len(things) < 2 or len(spanned) != 1:
        return None
    asked = content_words(question)
    shared = {amount: len(words & asked) for amount, words in things}
    best = max(shared.values())
    winners = [amount for amount, count in shared.items() if count == best]
    if len(winners) != 1 or shared[spanned[0][0]] >= best:
        return None
    return winners[0]
