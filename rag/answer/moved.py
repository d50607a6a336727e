"""A date a later report moved, a figure it revised: "When is the half marathon?" after the race was postponed.

News tells a plan over several reports weeks apart: "… will be held on Sunday 5 October" (August), "… has been
postponed because of Storm Imogen. The race will now take place on Sunday 9 November" (October), "… finished on
Sunday, five weeks after the race was postponed" (November). The first report words the question best, and the
span reader answered "Sunday 5 October 2025" long after that date had gone. `moved_date_reading` (one of the
assistant's reading rules) reads a when-question in the newest retrieved report about the same thing that says the
plan moved, when it is newer than the report read, and answers from it; so does a how-many question in the newest
report saying its figure was revised ("Police have revised the number of people who died … from two to one").
A report of the same story weeks later is not grouped with it at retrieval: `continues_story` says which later
report continues the one read, so that a question naming nothing ("How many were injured?") reads its revision, and
the assistant looks for such a report when retrieval left it below the `k` passages (`Assistant._later_reports`).
"""

from __future__ import annotations

import datetime
import re
from collections.abc import Sequence

from rag.answer.evidence import Evidence
from rag.answer.reader import WEEKDAYS, Reading, SpanFinder, previous_sentence, ruled_reading, sentence_before
from rag.models.entities import says_when
from rag.models.span_reader import Span
from rag.records import MONTH_NAMES, Passage
from rag.text import NUMBER_WORDS, content_words, is_number, matched_terms, specific_terms, split_sentences

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


FOLLOW_UP_DAYS = 60
"""How long after a report a later one may still tell its story (a strike called off weeks after the walk-out, an
injury count revised days later): a report a year on naming the same union is another story."""
STORY_WORDS = 3
"""Words of a report's title and opening sentence a later report must say to tell the same story, one a name at
least ("Lennline", "Stanway Mills"): a report naming only the town's hospital is about another accident."""
_ASKING = re.compile(r"\bhow\s+(?:many|much|long|far|old|often)\b", re.IGNORECASE)
"""The words that ask for a number: no report says "many"."""
_DATE_NAMES = frozenset(content_words(" ".join((*MONTH_NAMES, *re.findall(r"[A-Za-z]+", WEEKDAYS)))))


def continues_story(earlier: Passage, later: Passage, question: str) -> bool:
    """Whether `later` is a later report of the story `earlier` tells, as far as `question` asks about it: another
    article published after it, within `FOLLOW_UP_DAYS`; it says `STORY_WORDS` of the words of `earlier`'s title and
    opening sentence (what the story is), a name among them (not a day or a month); and it names every name the
    question gives, and says `ABOUT_SHARE` of its words with the report it continues. Reports weeks apart are not
    grouped as one story at retrieval (`rag.answer.retrieve.STORY_DAYS`): this is how a question finds the newer one.

    >>> def report(name, day, title, text):
    ...     return Passage(name, title, f"{name}.md", "", text, 0, len(text), published=day)
    >>> walkout = report("a", "2026-02-03", "Bus drivers walk out over pay", "Bus drivers at Lennline walked out on "
    ...                  "Monday in a dispute over pay.")
    >>> deal = report("b", "2026-02-20", "Lennline bus strike called off", "The Lennline bus strike was called off "
    ...               "after drivers accepted a pay deal.")
    >>> crash = report("c", "2026-02-21", "Bus crash on Carrow Road", "A bus hit a wall on Monday; the driver was "
    ...                "unhurt.")
    >>> continues_story(walkout, deal, "Is the bus strike on?"), continues_story(walkout, crash, "Is the bus on?")
    (True, False)
    >>> continues_story(deal, walkout, "Is the bus strike on?")  # older, not later
    False
    >>> continues_story(walkout, deal, "How many drivers accepted the deal?")
    True
    """
    if not earlier.published or not later.published or earlier.article_id == later.article_id:
        return False
    try:
        days = (datetime.date.fromisoformat(later.published[:10])
                - datetime.date.fromisoformat(earlier.published[:10])).days
    except ValueError:
        return False
    if not 0 < days <= FOLLOW_UP_DAYS:
        return False
    spans = split_sentences(earlier.text)
    opening = earlier.text[spans[0].start:spans[0].end] if spans else ""
    told = f"{later.title}. {later.text}"
    said = content_words(told)
    story = content_words(f"{earlier.title}. {opening}") & said
    names = (specific_terms(earlier.title) | specific_terms(opening)) - _DATE_NAMES
    asked = content_words(_ASKING.sub(" ", question))  # "How many were injured?" asks about injuries
    offered = matched_terms(told)
    # The names the question gives are the later report's own; its other words may be said by the report it
    # continues ("the fire" of "How many were injured in the fire?", told once: "the number of injured now stands")
    together = offered | matched_terms(f"{earlier.title}. {earlier.text}")
    return (len(story) >= STORY_WORDS and bool(names & said) and specific_terms(question) <= offered
            and len(asked & together) >= ABOUT_SHARE * len(asked))


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
    when another rule chose it, and when no such sentence of that report gives a date or a figure. A report that
    continues the story of the one read (`continues_story`) and says the change counts though the question names
    nothing of it."""
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
    read = passages[reading.passage_index]
    # The report read names what the question leaves unsaid ("How many were injured?" of the Stanway Mills fire): a
    # later report of its story saying the change counts as one that names it.
    newer = sorted((index for index, passage in enumerate(passages)
                    if passage.published[:10] > read_from
                    and (says_it_moved(question, passage, changed)
                         or (continues_story(read, passage, question) and changed.search(passage.text) is not None))),
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
