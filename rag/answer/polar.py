"""Yes-or-no and either-or questions: "Is Mayor Marsh selling the park?", "Was it 38 or 83 percent?".

A yes-or-no question asks whether a claim holds, so no span of a sentence answers it: the span reader, trained on
questions that ask for a thing, took a name or phrase from the best sentence, and "Is the mayor selling part of the
park?" was answered "Developer Castell Homes [1]" from the sentence in which the mayor DENIED selling it: read as
a confirmation with its buyer. `asks_yes_or_no` tells such a question apart; the assistant answers it with the
best evidence sentence quoted, never with a span nor with the small model's words (it says "Yes." to a denial).

An either-or question between two figures ("Was the embezzlement £340,000 or £338,500?") names its own answers:
`either_or_reading` (one of the assistant's reading rules) answers with the option a retrieved sentence holds,
cited, `both_options` with both when two articles give one each, and `either_or_options` reads the options.
Pure functions only: no model here.
"""

from __future__ import annotations

import dataclasses
import re
from collections.abc import Sequence

from rag.answer.cite import Checked
from rag.answer.corrections import corrected
from rag.answer.evidence import Evidence
from rag.answer.reader import Reading, SpanFinder, measured, span_text
from rag.models.span_reader import Span
from rag.records import Citation, Passage

_AUXILIARY_OPENING = re.compile(
    r"^\s*(?:is|are|was|were|did|does|do|has|have|had|can|could|will|would|should|isn['’]t|aren['’]t|wasn['’]t|"
    r"weren['’]t|didn['’]t|doesn['’]t|don['’]t|hasn['’]t|haven['’]t)\s+\S",
    re.IGNORECASE)
_ASKS_FOR_A_THING = re.compile(r"\b(?:what|which|whose|whom|how)\b|\bor\b", re.IGNORECASE)
"""A word that makes an auxiliary-opened question ask for a thing ("Did the war end in which year?") or choose
between things ("Was it X or Y?", "Is A or B older?": comparisons and `either_or_options`)."""


_REQUEST = re.compile(r"^\s*(?:can|could|would|will)\s+you\b|\b(?:know|tell\s+me|tell\s+us|wonder|say)\s+"
                      r"(?:who|when|where|why|whether|if)\b|\banyone\s+know\b", re.IGNORECASE)
"""A request or an indirect question opened by an auxiliary: "Can you summarise the article?", "Do you know when the
library opens?", "Does anyone know the population?": it asks for a thing, not whether something holds."""


def asks_yes_or_no(question: str) -> bool:
    """Whether a question asks whether something holds: it opens with an auxiliary ("Is", "Was", "Did", "Has"…)
    and neither asks for a thing with a question word nor offers a choice with "or".

    >>> asks_yes_or_no("Is Mayor Marsh selling part of Riverside Park?"), asks_yes_or_no("Did Reyes admit it?")
    (True, True)
    >>> asks_yes_or_no("Was it 38 or 83 percent?"), asks_yes_or_no("Who is buying Riverside Park?")
    (False, False)
    >>> asks_yes_or_no("Did the war end in which year?"), asks_yes_or_no("Is it true the man who ran it left?")
    (False, True)
    >>> asks_yes_or_no("Can you tell me who founded the company?"), asks_yes_or_no("Do you know when it opens?")
    (False, False)
    >>> asks_yes_or_no("Does anyone know the population of Harwick?"), asks_yes_or_no("Can I subscribe for £1?")
    (False, True)
    """
    return (bool(_AUXILIARY_OPENING.match(question)) and not _ASKS_FOR_A_THING.search(question)
            and not _REQUEST.search(question))


_FIGURE = r"[£$€]?\d[\d,]*(?:\.\d+)?(?:\s*(?:%|percent|per\s+cent|million|billion|bn|m)\b|%)?"
_EITHER_OR = re.compile(rf"(?<![\w.,])(?P<first>{_FIGURE})\s+or\s+(?P<second>{_FIGURE})(?![\d,.]\d)", re.IGNORECASE)
_DIGITS = re.compile(r"\d[\d,]*(?:\.\d+)?")
_INCORRECT = re.compile(r"\b(?:incorrectly|wrongly|mistakenly|in\s+error)\b", re.IGNORECASE)
"""A sentence that gives a figure as the error a correction corrects ("incorrectly stated that … 21 percent")."""


def either_or_options(question: str) -> tuple[str, str] | None:
    """The two figures an either-or question offers ("38 percent or 83 percent", "£340,000 or £338,500", "220 or
    250 jobs"), as numbers without their separators; None for any other question, and for a question that asks for
    a thing ("Who won in 2020 or 2021?": only a question opening with an auxiliary chooses between its figures).

    >>> either_or_options("Is the level 38 percent or 83 percent above the limit?")
    ('38', '83')
    >>> either_or_options("Was the embezzlement £340,000 or £338,500?"), either_or_options("Was it 12% or 21%?")
    (('340000', '338500'), ('12', '21'))
    >>> either_or_options("Did 2 or more people die?") is None, either_or_options("Who won in 2020 or 2021?") is None
    (True, True)
    """
    found = _EITHER_OR.search(question) if _AUXILIARY_OPENING.match(question) else None
    if found is None:
        return None
    first, second = (_number(found.group(name)) for name in ("first", "second"))
    return (first, second) if first != second else None


def _number(figure: str) -> str:
    found = _DIGITS.search(figure)
    return found.group().replace(",", "") if found else ""


def option_span(sentence: str, option: str) -> tuple[int, int] | None:
    """Where `sentence` gives the figure `option` (a number without separators), with its currency sign and unit
    ("£338,500", "38 percent", "£1.2 billion"; what it counts is `rag.answer.reader.measured`'s); None when it does
    not give it.

    >>> sentence = "The plant will close with the loss of 220 jobs, not 2,220."
    >>> start, end = option_span(sentence, "220"); sentence[start:end]
    '220'
    >>> option_span("It cost £1,220.", "220") is None, option_span("He took £340,000 from it.", "340000")
    (True, (8, 16))
    """
    for found in _DIGITS.finditer(sentence):
        if found.group().replace(",", "").rstrip(".") != option:
            continue
        start, end = found.start(), found.end()
        if start and sentence[start - 1] in "£$€":
            start -= 1
        unit = re.match(r"\s*(?:%|percent\b|per\s+cent\b|million\b|billion\b)", sentence[end:])
        if unit:
            end += unit.end()
        return start, end
    return None


def option_readings(question: str, evidence: Evidence, passages: Sequence[Passage]) -> list[Reading]:
    """For an either-or question between two figures (`either_or_options`), a rule's reading of each option that an
    evidence sentence gives, from the best-ranked such sentence, best first (none, one or two). A sentence giving a
    figure as an error a correction corrects ("incorrectly stated that … 21 percent"), nor a figure a retrieved
    correction names before its "The correct figure is …" (`rag.answer.corrections.corrected`), counts."""
    options = either_or_options(question)
    if options is None or len(evidence.parts) != 1:
        return []
    found: dict[str, Reading] = {}
    for sentence in evidence.ranked[0]:
        text = passages[sentence.passage_index].text[sentence.start:sentence.end]
        if _INCORRECT.search(text):
            continue
        for option in options:
            given = option_span(text, option) if option not in found else None
            if given is None:
                continue
            span = Span(text[given[0]:given[1]], given[0], given[1], 0.0, 0.0, text)
            read = Reading(span, sentence.passage_index, sentence.start, sentence.end, ruled=True)
            if corrected(read, passages) != read:
                continue  # a retrieved correction names it before "The correct figure is …"
            found[option] = measured(question, read, text)
    return list(found.values())


def either_or_reading(question: str, reading: Reading | None, evidence: Evidence, passages: Sequence[Passage],
                      reader: SpanFinder) -> Reading | None:
    """For an either-or question between two figures, the option the best-ranked evidence sentence giving one of
    them gives (`option_readings`), as a rule's reading: answered however unsure the reader, who reads "38 percent
    or 83 percent" as no question it was trained on. The reading as it was otherwise."""
    readings = option_readings(question, evidence, passages)
    if not readings:
        return reading
    chance = reading.span.probability if reading is not None else 0.0
    first = readings[0]
    both_here = [option for option in readings
                 if (option.passage_index, option.sentence_start) == (first.passage_index, first.sentence_start)]
    if len(both_here) > 1:
        # one sentence gives both ("built in 1910, replaced one destroyed in 1890"): which one answers is not the
        # question's order but the reader's, when its span is one of them; else the reading stands
        chosen = [option for option in both_here if reading is not None
                  and (reading.passage_index, reading.sentence_start) == (option.passage_index, option.sentence_start)
                  and reading.span.start < option.span.end and option.span.start < reading.span.end]
        if not chosen:
            return reading
        first = chosen[0]
    return dataclasses.replace(first, span=dataclasses.replace(first.span, probability=chance))


def both_options(question: str, evidence: Evidence, passages: Sequence[Passage]) -> Checked | None:
    """For an either-or question both of whose figures retrieved articles give, one each ("£340,000" in the
    charge, "£338,500" in an accountant's evidence; "220 jobs" in one outlet, "250 jobs" in another): both said,
    each cited from its article, the best-ranked first. None when one option or none is given, or one article
    gives both (its best sentence answers: `either_or_reading`)."""
    readings = option_readings(question, evidence, passages)
    if len(readings) != 2 or passages[readings[0].passage_index].article_id == \
            passages[readings[1].passage_index].article_id:
        return None
    citations = []
    for number, reading in enumerate(readings, start=1):
        passage = passages[reading.passage_index]
        quote = " ".join(passage.text[reading.sentence_start:reading.sentence_end].split())
        citations.append(Citation(number, passage, quote, reading.sentence_start, reading.sentence_end, 1.0,
                                  ((reading.sentence_start, reading.sentence_end),)))
    first, second = (span_text(reading.span) for reading in readings)
    return Checked(f"{first} [1]; another report gives {second} [2].", tuple(citations), True)
