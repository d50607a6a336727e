"""Corrections: a newspaper's "The correct figure is £184 million" replaces the figure an earlier report gave.

A correction names the wrong value and then the right one ("An article … stated that the project cost £148
million. The correct figure is £184 million."). The answer finder and the span reader rate the sentence that gives
the wrong value higher (it says what the question asks: "cost", "tram extension"), in the correction and in the
report it corrects alike. When the span read is a value that a retrieved correction names before its "the correct
… is" sentence, the answer is the correct value, read from that sentence (`corrected`).

Pure functions only: no model here.
"""

from __future__ import annotations

import re
from collections.abc import Sequence

from rag.answer.reader import Reading
from rag.models.span_reader import Span
from rag.records import Passage
from rag.text import fold, says_a_figure, split_sentences

_CORRECT = re.compile(
    r"\b[Tt]he\s+correct\s+(?P<kind>figure|amount|number|total|cost|price|sum|date|day|name|spelling|title|age|year|"
    r"score|time|result)\s+(?:is|was|should\s+have\s+been)\s+(?P<value>.+?)(?=,\s|;|\.\s|\.?\s*$)",
    re.MULTILINE,
)


_NAMES = frozenset({"name", "spelling", "title"})
"""What a correction of a name says it corrects."""


def _numeric(value: str) -> bool:
    """Whether a value is a number, in figures or words ("two", "one")."""
    return any(says_a_figure(word) for word in value.split())


def corrected(reading: Reading, passages: Sequence[Passage]) -> Reading:
    """The reading moved to the correct value when a passage corrects the one it read: the passage names the span's
    value before a "the correct … is X" sentence, X and the value being both numbers or both not. The reading as it
    is otherwise.

    >>> text = ("An article stated that the project cost £148 million. The correct figure is £184 million, which is "
    ...         "more. We apologise.")
    >>> correction = Passage("c", "Correction", "c.txt", "", text, 0, len(text))
    >>> report = Passage("r", "Tram", "r.txt", "", "The extension cost £148 million.", 0, 31)
    >>> reading = Reading(Span("£148 million", 18, 30, 0.8, 2.0), 1, 0, 31)
    >>> moved = corrected(reading, [correction, report])
    >>> moved.span.text, moved.passage_index, text[moved.sentence_start:moved.sentence_end][:30]
    ('£184 million', 0, 'The correct figure is £184 mil')
    >>> corrected(Reading(Span("May", 0, 3, 0.8, 2.0), 1, 0, 31), [correction, report]).span.text
    'May'
    >>> text = "It said two people died. The correct figure is one. The correct name is Hallam Logistics."
    >>> fire = Passage("c", "Correction", "c.txt", "", text, 0, len(text))
    >>> [corrected(Reading(Span(read, 0, 3, 0.8, 2.0), 0, 0, 23), [fire]).span.text for read in ("two", "one")]
    ['one', 'one']
    """
    value = fold(reading.span.text)
    if not value.strip():
        return reading
    numeric = _numeric(value)
    for index, passage in enumerate(passages):
        text = passage.text
        for found in _CORRECT.finditer(text):
            right = found.group("value")
            if right.strip().lower() == reading.span.text.strip().lower():
                return reading  # the value read is the correct one already ("Ana Ruíz", not "Ana Ruiz")
            if _numeric(right) != numeric or (found.group("kind") in _NAMES) == numeric:
                continue  # "The correct name is Hallam Logistics" corrects no death toll
            if not re.search(rf"(?<!\w){re.escape(value)}(?!\w)", fold(text[:found.start()])):
                continue
            sentence = next(span for span in split_sentences(text) if span.start <= found.start() < span.end)
            start, end = found.start("value") - sentence.start, found.end("value") - sentence.start
            return Reading(Span(right, start, end, reading.span.probability, reading.span.margin,
                                text[sentence.start:sentence.end]),
                           index, sentence.start, sentence.end, ruled=True)
    return reading
