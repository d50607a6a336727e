"""A date a later report moved, a figure it revised: "When is the half marathon?" after the race was postponed.

News tells a plan over several reports weeks apart: "… will be held on Sunday 5 October" (August), "… has been
postponed because of Storm Imogen. The race will now take place on Sunday 9 November" (October), "… finished on
Sunday, five weeks after the race was postponed" (November). The first report words the question best, and the
span reader answered "Sunday 5 October 2025" long after that date had gone. `moved_date_reading` (one of the
assistant's reading rules) reads a when-question in the newest retrieved report about the same thing that says the
plan moved, when it is newer than the report read, and answers from it; so does a how-many question in the newest
report saying its figure was revised ("Police have revised the number of people who died … from two to one").
"""

from __future__ import annotations

import re
from collections.abc import Sequence

from rag.answer.evidence import Evidence
from rag.answer.reader import WEEKDAYS, Reading, SpanFinder, previous_sentence, ruled_reading, sentence_before
from rag.models.entities import says_when
from rag.models.span_reader import Span
from rag.records import MONTH_NAMES, Passage
from rag.text import NUMBER_WORDS, content_words, is_number, matched_terms, specific_terms

ASKS_WHEN = re.compile(r"\s*(?:when|(?:on\s+)?what\s+(?:date|day))\b", re.IGNORECASE)
"""A question asking for a date or a day."""

_MONTHS_AND_SEASONS = rf"(?:{'|'.join(MONTH_NAMES)}|spring|summer|autumn|winter)"
MOVED = re.compile(rf"\b(?:postponed|delayed|rescheduled|moved\s+(?:back\s+|forward\s+)?(?:to|until)\s+(?:the\s+)?"
                   rf"(?:{WEEKDAYS}|{_MONTHS_AND_SEASONS}|next|\d)|pushed\s+back|put\s+back|brought\s+forward|"
                   r"will\s+now\s+(?:take\s+place|be\s+held|open|start|begin|run))\b", re.IGNORECASE)
"""What a report says of a plan whose date changed: "moved" only to a time ("moved to Sunday", not "the finish has
moved to the seafront", "the fire service moved to Carrow Road")."""

_WHOLE_DATE = re.compile(rf"\b(?:(?:1[89]|20)\d\d|{_MONTHS_AND_SEASONS})\b", re.IGNORECASE)
"""A date said with its month, season or year ("Sunday 9 November 2025", "autumn 2027")."""
_DATE_WORD = re.compile(rf"{_WHOLE_DATE.pattern}|\b{WEEKDAYS}\b", re.IGNORECASE)
"""A date, or a day of the week ("on Sunday"): not a length of time ("1 hour 4 minutes")."""


REVISED = re.compile(r"\b(?:revised|corrected|amended|now\s+stands\s+at|has\s+(?:risen|fallen|climbed)\s+to)\b",
                     re.IGNORECASE)
"""What a report says of a figure put right or changed since ("revised the death toll from two to one")."""

ASKS_FIGURE = re.compile(r"\s*how\s+(?:many|much)\b", re.IGNORECASE)
"""A question asking for a number or an amount."""

_FIGURE = re.compile(rf"\d|\b(?:{'|'.join(NUMBER_WORDS)})\b", re.IGNORECASE)


ABOUT_SHARE = 2 / 3
"""The share of a question's words a report must say (or words of the same sense) to be about what it asks: a
report naming only the town ("Maplewood's first tool library opened …") is about another thing."""


def says_it_moved(question: str, passage: Passage, changed: re.Pattern[str] = MOVED) -> bool:
    """Whether `passage` reports that what `question` asks about changed: it names every name the question gives,
    says `ABOUT_SHARE` of its words, and says the change (`changed`: `MOVED` for a plan's date, `REVISED` for a
    figure).

    >>> moved = Passage("b", "Half marathon postponed", "b.md", "", "The Carrowmere Half Marathon has been "
    ...                 "postponed. The race will now take place on Sunday 9 November.", 0, 90)
    >>> says_it_moved("When is the Carrowmere Half Marathon?", moved), says_it_moved("When is the Leeford 10K?", moved)
    (True, False)
    >>> library = Passage("l", "Tool library opens", "l.md", "", "Maplewood's first tool library opened in the old "
    ...                   "fire station; the fire service moved to Carrow Road in 2019.", 0, 100)
    >>> says_it_moved("When did the Maplewood footbridge reopen?", library)
    False
    """
    terms = specific_terms(question)
    names = {term for term in terms if not is_number(term)}
    text = f"{passage.title}. {passage.text}"
    asked = content_words(question)
    said = matched_terms(text)
    # every name and number the question gives ("in 2024": a report of 2025's figures is about another year)
    return (bool(names) and terms <= said and len(asked & said) >= ABOUT_SHARE * len(asked)
            and changed.search(text) is not None)


def _gives_date(text: str, span: Span) -> bool:
    # "Sunday's race has been postponed" names the date that no longer holds
    return (_DATE_WORD.search(span.text) is not None and says_when(text, span.start, span.end)
            and re.match(r"['’]s\b", text[span.end:]) is None)


def _gives_figure(text: str, span: Span) -> bool:
    return _FIGURE.search(span.text) is not None


def moved_date_reading(question: str, reading: Reading | None, evidence: Evidence, passages: Sequence[Passage],
                       reader: SpanFinder) -> Reading | None:
    """For a when-question, the date the newest retrieved report saying the plan moved (`says_it_moved`) gives;
    for a how-many or how-much question, the figure the newest report saying it was revised gives (the revision's
    own value is then taken: `rag.answer.changes`). Only when that report is newer than the one the reading comes
    from: its evidence sentences that say the change, or follow one that does, are read, best first, a date said
    whole ("Sunday 9 November 2025") or the sentence saying the change going before the others. Kept otherwise,
    when another rule chose it, and when no such sentence of that report gives a date or a figure."""
    if reading is None or reading.ruled or len(evidence.parts) != 1:
        return reading
    if ASKS_WHEN.match(question):
        changed, gives = MOVED, _gives_date
    elif ASKS_FIGURE.match(question):
        changed, gives = REVISED, _gives_figure
    else:
        return reading
    read_from = passages[reading.passage_index].published[:10]
    if not read_from:
        return reading
    newer = sorted((index for index, passage in enumerate(passages)
                    if passage.published[:10] > read_from and says_it_moved(question, passage, changed)),
                   key=lambda index: passages[index].published, reverse=True)
    for index in newer[:1]:
        passage = passages[index]
        found = []
        for sentence in (sentence for sentence in evidence.ranked[0] if sentence.passage_index == index):
            text = passage.text[sentence.start:sentence.end]
            before = previous_sentence(passage.text, sentence.start)
            if not changed.search(f"{before} {text}"):
                continue  # the change must be said here, or just before ("postponed. The race will now …")
            span = reader.read(question, passage.title, text, sentence_before(reader, passage, sentence.start))
            if span.text.strip() and gives(text, span):
                found.append((sentence, span, text))
        found.sort(key=lambda found: (_WHOLE_DATE.search(found[1].text) is None if gives is _gives_date
                                      else changed.search(found[2]) is None))
        if found:
            sentence, span, _ = found[0]
            return ruled_reading(question, reading, sentence, passages, (span.start, span.end), reader)
    return reading
