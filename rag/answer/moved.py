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
import functools
import re
from collections.abc import Sequence

from rag.answer.changes import AMOUNT
from rag.answer.evidence import Evidence
from rag.answer.reader import WEEKDAYS, Reading, SpanFinder, previous_sentence, ruled_reading, sentence_before
from rag.models.entities import says_when
from rag.models.span_reader import Span
from rag.records import MONTH_NAMES, Hit, Passage
from rag.text import (
    NUMBER_WORDS,
    YEAR,
    capitalised_terms,
    content_words,
    is_number,
    matched_terms,
    specific_terms,
    split_sentences,
)

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


REVISED = re.compile(r"\b(?:revised|revising|corrected|correcting|amended|now\s+stands\s+at|"
                     r"has\s+(?:risen|fallen|climbed)\s+to|final\s+(?:cost|bill|figure|total|count|tally|price))\b",
                     re.IGNORECASE)
"""What a report says of a figure put right or changed since ("revised the death toll from two to one", "now stands
at 160, … revising its earlier figure of 120"), or of the final figure an estimate gave way to ("The final cost of
the repairs was 3.05 million euros")."""

ASKS_FIGURE = re.compile(r"\s*(?:how\s+(?:many|much)\b|what\s+(?:did|does|do|will|would)\b[^?]*\bcost\b)",
                         re.IGNORECASE)
"""A question asking for a number or an amount ("How many …", "What did the repairs cost?")."""

_FIGURE = re.compile(rf"\d|\b(?:{'|'.join(NUMBER_WORDS)})\b", re.IGNORECASE)


ABOUT_SHARE = 2 / 3
"""The share of a question's words a report must say (or words of the same sense) to be about what it asks: a
report naming only the town ("Maplewood's first tool library opened …") is about another thing."""




def said_terms(passage: Passage) -> set[str]:
    """The terms `passage` says (its title and text), and, when it names no year, the year and month it was
    published: "the attendance at this year's festival" (July 2025) is about 2025.

    >>> sorted(said_terms(Passage("f", "Attendance revised", "f.md", "", "This year's figure was revised.", 0, 31,
    ...                           published="2025-07-30")))
    ['2025', 'attend', 'figur', 'juli', 'revis', 'year']
    """
    text = f"{passage.title}. {passage.text}"
    said = set(matched_terms(text))
    year, _, month = passage.published[:7].partition("-")
    if YEAR.fullmatch(year) and not YEAR.search(text):
        said |= {year, *content_words(MONTH_NAMES[int(month) - 1] if month.isdigit() and 0 < int(month) < 13
                                       else "")}
    return said


def _subject_names(sentence: str) -> set[str]:
    """The names a sentence gives, without its dates ("Monday", "November"): what a question naming nothing asks
    about when it is read in that sentence."""
    return {term for term in capitalised_terms(sentence) - _DATE_TERMS if not is_number(term)}


_DATE_TERMS = frozenset(content_words(" ".join([*MONTH_NAMES, *WEEKDAYS.strip("(?:)").split("|")])))


def says_it_moved(question: str, passage: Passage, changed: re.Pattern[str] = MOVED, subject: str = "") -> bool:
    """Whether `passage` reports that what `question` asks about changed: it names every name the question gives,
    says `ABOUT_SHARE` of its words, and says the change (`changed`: `MOVED` for a plan's date, `REVISED` for a
    figure). A question naming nothing ("How many homes were flooded?", "What did the repairs cost?") is about what
    the sentence it was read in (`subject`) names: the passage must name `ABOUT_SHARE` of those names instead.

    >>> moved = Passage("b", "Half marathon postponed", "b.md", "", "The Carrowmere Half Marathon has been "
    ...                 "postponed. The race will now take place on Sunday 9 November.", 0, 90)
    >>> says_it_moved("When is the Carrowmere Half Marathon?", moved), says_it_moved("When is the Leeford 10K?", moved)
    (True, False)
    >>> library = Passage("l", "Tool library opens", "l.md", "", "Maplewood's first tool library opened in the old "
    ...                   "fire station; the fire service moved to Carrow Road in 2019.", 0, 100)
    >>> says_it_moved("When did the Maplewood footbridge reopen?", library)
    False
    >>> revised = Passage("r", "Flood damage", "r.md", "", "The number of homes the Tarrow flooded in Kestrel Haven "
    ...                   "now stands at 160, revising its earlier figure of 120.", 0, 100)
    >>> read = "The River Tarrow flooded 120 homes in Kestrel Haven."
    >>> says_it_moved("How many homes were flooded?", revised, REVISED, subject=read)
    True
    >>> says_it_moved("How many homes were flooded?", revised, REVISED, subject="Storms hit Maplewood and Carrow.")
    False
    """
    terms = specific_terms(question)
    names = {term for term in terms if not is_number(term)}
    text = f"{passage.title}. {passage.text}"
    asked = content_words(question)
    said = said_terms(passage)
    subject_names = _subject_names(subject) if not names else set()
    named = bool(names) or (bool(subject_names) and len(subject_names & said) >= ABOUT_SHARE * len(subject_names))
    # every name and number the question gives ("in 2024": a report of 2025's figures is about another year)
    return (named and terms <= said and len(asked & said) >= ABOUT_SHARE * len(asked)
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
    opening sentence (what the story is), a name among them (not a day, a month or a number); and it names every
    name the question gives, and says `ABOUT_SHARE` of its words with the report it continues. Reports weeks apart
    are not grouped as one story at retrieval (`rag.answer.retrieve.STORY_DAYS`): this is how a question finds the
    newer one.

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
    opening_words, names, earlier_terms = _story_terms(earlier.title, earlier.text)
    said, offered = _report_terms(later.title, later.text)
    # words, not numbers: the "9" of "9 March" is said by a festival "from 7 to 9 August"
    story = {word for word in opening_words & said if not is_number(word)}
    asked = content_words(_ASKING.sub(" ", question))  # "How many were injured?" asks about injuries
    # The names the question gives are the later report's own; its other words may be said by the report it
    # continues ("the fire" of "How many were injured in the fire?", told once: "the number of injured now stands")
    together = offered | earlier_terms
    return (len(story) >= STORY_WORDS and bool(names & said) and specific_terms(question) <= offered
            and len(asked & together) >= ABOUT_SHARE * len(asked))


@functools.lru_cache(maxsize=1024)
def _story_terms(title: str, text: str) -> tuple[frozenset[str], frozenset[str], frozenset[str]]:
    """What `continues_story` reads of the report a later one may continue, worked out once per report (it is asked
    of every later candidate, up to a hundred times a question): the words of its title and opening sentence, the
    names among them (not a date or a number: the "8" of "4.8 per cent" is said by any report giving a price), and
    the terms its whole text offers (`matched_terms`)."""
    spans = split_sentences(text)
    opening = text[spans[0].start:spans[0].end] if spans else ""
    names = {term for term in (specific_terms(title) | specific_terms(opening)) - _DATE_NAMES if not is_number(term)}
    return (frozenset(content_words(f"{title}. {opening}")), frozenset(names),
            frozenset(matched_terms(f"{title}. {text}")))


@functools.lru_cache(maxsize=1024)
def _report_terms(title: str, text: str) -> tuple[frozenset[str], frozenset[str]]:
    """What `continues_story` reads of a later report, worked out once per report: the words it says and the terms
    it offers (`matched_terms`)."""
    told = f"{title}. {text}"
    return frozenset(content_words(told)), frozenset(matched_terms(told))


def _gives_date(text: str, span: Span) -> bool:
    # "Sunday's race has been postponed" names the date that no longer holds
    return (_DATE_WORD.search(span.text) is not None and says_when(text, span.start, span.end)
            and re.match(r"['’]s\b", text[span.end:]) is None and not moved_from(text, span.start))


def moved_from(sentence: str, start: int) -> bool:
    """Whether a date at `start` of `sentence` is the one a plan moved from: it comes before the words saying the
    plan moved ("The festival, planned for 10 to 12 July, has been postponed").

    >>> sentence = "The festival, planned for 10 to 12 July, has been postponed to 7 August."
    >>> moved_from(sentence, 26), moved_from(sentence, 63)
    (True, False)
    """
    change = MOVED.search(sentence)
    return change is not None and start < change.start()


def _gives_figure(text: str, span: Span) -> bool:
    return _FIGURE.search(span.text) is not None


def asked_change(question: str) -> re.Pattern[str] | None:
    """What a report says when the value `question` asks for changed: `MOVED` for a when-question, `REVISED` for a
    how-many or how-much one, None for any other.

    >>> asked_change("When is the half marathon?") is MOVED, asked_change("What did the repairs cost?") is REVISED
    (True, True)
    >>> asked_change("Who won?") is None
    True
    """
    if ASKS_WHEN.match(question):
        return MOVED
    return REVISED if ASKS_FIGURE.match(question) else None


def revising_reports(question: str, hits: Sequence[Hit], read: Sequence[Passage]) -> list[Passage]:
    """The reports of the retrieved stories (`Hit.same_story`), not among the passages `read`, that are newer than
    their story's first report and say that the date or figure the question asks for changed (`asked_change`, and
    `ABOUT_SHARE` of the question's words): a newer report's "now stands at 160, … revising its earlier figure of
    120" is read beside the first report's "120 homes". Retrieval grouped them as one story: no name need be asked.

    >>> first = Passage("a", "River bursts its banks", "a.md", "", "It flooded 120 homes.", 0, 21,
    ...                 published="2025-11-04")
    >>> later = Passage("b", "Flood update", "b.md", "", "The number of homes flooded now stands at 160, revising "
    ...                 "its earlier figure of 120.", 0, 80, published="2025-11-06")
    >>> [passage.article_id for passage in revising_reports("How many homes were flooded?", [Hit(first, 0.9, (later,))],
    ...                                                     [first])]
    ['b']
    >>> revising_reports("Who was evacuated?", [Hit(first, 0.9, (later,))], [first])
    []
    """
    changed = asked_change(question)
    if changed is None:
        return []
    asked = content_words(question)
    found: list[Passage] = []
    for hit in hits:
        first = hit.passage.published[:10]
        for report in hit.same_story:
            if (first and report.published[:10] > first and report not in read and report not in found
                    and changed.search(f"{report.title}. {report.text}")
                    and len(asked & said_terms(report)) >= ABOUT_SHARE * len(asked)):
                found.append(report)
    return found


CHANGED_TO = re.compile(
    rf"\b(?:raised|increased|improved|upped|sweetened|lowered|reduced|cut|revised|changed|moved|put|brought|pushed)"
    rf"\b(?P<what>(?:\s+[\w’'-]+){{0,4}}?)\s+(?:up\s+|down\s+|back\s+|forward\s+)?(?:to|until)\s+(?:{AMOUNT}|\S+\s+"
    rf"{_DATE_WORD.pattern})", re.IGNORECASE)
"""A value said to have changed to a new one, and what changed: "raised its offer to 3.5 per cent", "moved the vote
to 24 February"."""


def latest_change_first(question: str, evidence: Evidence, passages: Sequence[Passage]) -> Evidence:
    """For a question about the latest value ("What is the latest pay offer?"), each part's evidence with the
    sentences saying what it asks about changed to a new value (`CHANGED_TO`: "after the company raised its offer
    to 3.5 per cent") put first, newest report first, when their report is newer than the best sentence's: the
    answer finder rates the older report's "The company has offered a pay rise of 2.5 per cent" far higher.

    >>> from rag.answer.evidence import Sentence
    >>> old = Passage("o", "Vote", "o.md", "", "The company has offered a pay rise of 2.5 per cent.", 0, 50,
    ...               published="2026-03-02")
    >>> new = Passage("n", "Talks fail", "n.md", "", "Talks failed after the company raised its offer to 3.5 per "
    ...               "cent.", 0, 60, published="2026-03-18")
    >>> ranked = ((Sentence(0, 0, 50, 0.5), Sentence(1, 0, 60, 0.04)),)
    >>> evidence = latest_change_first("What is the pay offer?", Evidence(("q",), ranked, 0.5), [old, new])
    >>> [sentence.passage_index for sentence in evidence.ranked[0]]
    [1, 0]
    >>> evidence = latest_change_first("What did the union ask for?", Evidence(("q",), ranked, 0.5), [old, new])
    >>> [sentence.passage_index for sentence in evidence.ranked[0]]
    [0, 1]
    """
    asked = content_words(question)
    reordered = []
    for sentences in evidence.ranked:
        best = passages[sentences[0].passage_index].published[:10] if sentences else ""
        changed = []
        for sentence in sentences:
            text = passages[sentence.passage_index].text[sentence.start:sentence.end]
            if best and passages[sentence.passage_index].published[:10] > best and any(
                    content_words(found.group("what")) & asked for found in CHANGED_TO.finditer(text)):
                changed.append(sentence)
        changed.sort(key=lambda sentence: passages[sentence.passage_index].published[:10], reverse=True)
        reordered.append((*changed, *(sentence for sentence in sentences if sentence not in changed)))
    return Evidence(evidence.parts, tuple(reordered), evidence.answerable)


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
    changed = asked_change(question)
    if changed is None:
        return reading
    gives = _gives_date if changed is MOVED else _gives_figure
    read = passages[reading.passage_index]
    read_from = read.published[:10]
    if not read_from:
        return reading
    subject = read.text[reading.sentence_start:reading.sentence_end]
    # The report read names what the question leaves unsaid ("How many were injured?" of the Stanway Mills fire): a
    # later report of its story saying the change counts as one that names it, and so does one naming most of what
    # the sentence read names ("How many homes were flooded?": `says_it_moved`'s `subject`).
    newer = sorted((index for index, passage in enumerate(passages)
                    if passage.published[:10] > read_from
                    and (says_it_moved(question, passage, changed, subject)
                         or (continues_story(read, passage, question) and changed.search(passage.text) is not None))),
                   key=lambda index: passages[index].published, reverse=True)
    if not newer and gives is _gives_date and moved_from(subject, reading.span.start):
        newer = [reading.passage_index]  # the date read is the one this report says the plan moved from
    asked = content_words(_ASKING.sub(" ", question))
    for index in newer[:1]:
        passage = passages[index]
        found = []
        for sentence in (sentence for sentence in evidence.ranked[0] if sentence.passage_index == index):
            text = passage.text[sentence.start:sentence.end]
            before = previous_sentence(passage.text, sentence.start)
            if not changed.search(f"{before} {text}"):
                continue  # the change must be said here, or just before ("postponed. The race will now …")
            if not says_it_moved(question, passage, changed, subject) and (
                    len(asked & content_words(f"{before} {text}")) * 2 < len(asked)):
                continue  # a later report of the story says it of what is asked: an "amended" budget counts no protest
            span = reader.read(question, passage.title, text, sentence_before(reader, passage, sentence.start))
            if span.text.strip() and gives(text, span):
                found.append((sentence, span, text))
        found.sort(key=lambda found: (_WHOLE_DATE.search(found[1].text) is None if gives is _gives_date
                                      else changed.search(found[2]) is None))
        if found:
            sentence, span, _ = found[0]
            return ruled_reading(question, reading, sentence, passages, (span.start, span.end), reader)
    return reading
