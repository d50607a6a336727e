"""Time in questions: "latest", "this week", "last month", "in March", "since 2025", "before the vote" read from the
question and resolved against a reference date (the `as_of` date, default today) into publication-date bounds.

`read_time(question, as_of)` is pure: it finds at most one period phrase and any "latest" words, and says what the
question means without them (`TimePhrase.query`, what retrieval searches for). Its bounds are written the way a
user types them (`2026`, `2026-03`, `2026-03-14`) and become `rag.records.Filters` through `Filters.parse`, the one
date parser; `period_filters` combines them with the filters the user set explicitly (explicit dates win) and
describes what was read as a `rag.records.Period`. An event reference ("before the vote") needs the index: its date
is looked up by the caller (`rag.answer.retrieve.Retriever.event_date`: the first report of the story that names
the event) and given to `TimePhrase.resolved`.

Relative phrases ("last month") are removed from the search text: their words are in no article and only dilute
matching. Absolute ones ("in March 2026") stay, since articles name their dates and months; for the same reason a
period named by a date may be when the event happened rather than when it was reported (a 2025 revenue reported in
2026), so the caller searches every date when nothing relevant was published in it (`TimePhrase.absolute`).

    >>> import datetime
    >>> reading = read_time("What did the council decide last month?", datetime.date(2026, 3, 14))
    >>> reading.phrase, reading.since, reading.until, reading.query
    ('last month', '2026-02', '2026-02', 'What did the council decide?')
"""

from __future__ import annotations

import dataclasses
import datetime
import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass

from rag.answer.prompts import NO_DATED_ARTICLES, OUTSIDE_PERIOD
from rag.errors import InvalidRequestError
from rag.records import MONTH_NAMES, Filters, Passage, Period, date_bound, long_date
from rag.text import HEAD_VERBS, NUMBER_WORDS

_MONTHS = tuple(name.lower() for name in MONTH_NAMES)
_MONTH = (
    r"(?:jan(?:uary)?|feb(?:ruary)?|mar(?:ch)?|apr(?:il)?|may|june?|july?|aug(?:ust)?|sept?(?:ember)?"
    r"|oct(?:ober)?|nov(?:ember)?|dec(?:ember)?)"
)
_DAY = r"(?:[12]\d|3[01]|0?[1-9])(?:st|nd|rd|th)?"
_YEAR = r"(?:1[89]\d\d|20\d\d)"
_CENTURY = r"(?:the\s+)?(?:1[1-9]|2[01])(?:st|nd|rd|th)\s+century"
_POINT = (
    rf"(?:{_CENTURY}\b|{_YEAR}[-–]\d\d(?:-\d\d)?\b|{_DAY}\s+(?:of\s+)?{_MONTH}\b(?:,?\s+{_YEAR}\b)?"
    rf"|{_MONTH}\s+{_DAY}\b(?:,?\s+{_YEAR}\b)?|{_MONTH}\b(?:,?\s+{_YEAR}\b)?|(?:the\s+)?{_YEAR}s\b|{_YEAR}\b)"
)
"""A date as written: 2026-03-14, 2026-03, 14 March 2026, March 14, 2026, March 2026, March, 2026, the 1990s, the
19th century (from the 11th: earlier years are not dates `Filters.parse` reads)."""
_NUMBER_WORDS = {"a": 1, "an": 1, **NUMBER_WORDS, "few": 3, "couple of": 2}
_COUNT = r"(?:\d{1,3}|a|an|one|two|three|four|five|six|seven|eight|nine|ten|eleven|twelve|few|couple of)"
_UNIT = r"(?P<unit>day|week|month|year)s?"
_STATE = (r"open|closed|shut|on|off|over|back|running|operating|working|available|cancell?ed|suspended|called\s+off"
          r"|in\s+force|under\s*way|going\s+ahead|delayed|postponed")
"""Words saying how a thing stands (a service, a road, a strike): "Is it open?", "Is the strike on?"."""
_LATEST = re.compile(
    r"\b(?:(?:the\s+)?(?:very\s+)?(?:latest|newest|most\s+recent)(?:\s+news)?|recently|currently"
    r"|nowadays|right\s+now|at\s+the\s+moment|at\s+present|these\s+days|so\s+far|to\s+date"
    rf"|as\s+of\s+now|now(?=\W*$)|now(?=\s+(?:{_STATE})\b))\b",
    re.IGNORECASE,
)
"""Words that ask how things stand. Not "current" or "recent" alone (an electric current, a recent ancestor); "now"
at the end of a question ("Is the bridge open now?") or before a state ("Is the bridge now open?")."""
_STILL = re.compile(r"^\s*(?:is|are|isn['’]t|aren['’]t|does|do|doesn['’]t|don['’]t|has|have|can)\b"
                    r".*?\b(?P<yes_no>(?-i:still))\b|\b(?:is|are)\s+(?P<after>(?-i:still))\b(?!\s+(?:life|lives|water|images?|photo\w*|frames?)\b)",
                    re.IGNORECASE)
""""Still" asking how things stand in the present: in a yes-or-no question ("Is the bus strike still on?", "Does
Lennline still run the buses?") or just after "is"/"are" ("Which party is still in coalition?"): an older report's
"the strike will continue" may have been overtaken. Not in a clause of purpose or time ("so that visitors can still
study", "How many will still work there after it closes?") nor a still life; in lower case only ("Is Still Game a
sitcom?" names a show)."""
_STATUS = re.compile(rf"^\s*(?:is|are|isn['’]t|aren['’]t)\s+\S.{{0,80}}?\s+(?:{_STATE})\s*\??\s*$", re.IGNORECASE)
"""A yes-or-no question about a state, in the present, with no time word: "Is the bus strike on?", "Are the Quay Street
roads closed?". How it stands is asked, as by "now" (for "on", "off", "over" and "back", see `_asks_status`)."""
_PARTICLE = re.compile(r"(?P<before>[\w'’-]+)\s+(?:on|off|over|back)\s*\??\s*$", re.IGNORECASE)
_NO_STATE_BEFORE = re.compile(
    r"(?:\w+ed|about|above|across|after|against|along|among|around|at|before|behind|below|beside|between|beyond|by"
    r"|down|for|from|in|into|near|of|onto|out|past|since|through|to|towards?|under|until|up|upon|with|within"
    r"|without|got|took|went|came|sat|stood|fell|gave|brought|thought|spent|ran"
    # verbs rarely the name of a thing that is on or off ("the talks", "the vote", "the fight" are)
    r"|(?:depend|rel(?:y|ie)|agree|insist|live|comment|reflect|sit|look|think|wait|dwell|thrive|hinge|argue|decide"
    r"|spend|take|get|go|come|give|carry|bring|put|lean)(?:e?s)?)",
    re.IGNORECASE)
"""A word that makes "on", "off", "over" or "back" after it no state: a verb or a preposition, ending a relative
clause ("the road the council voted on", "what plants depend on")."""
_STATE_AFTER = re.compile(r"(?:switched|turned|called|signed)", re.IGNORECASE)
"""Past participles that with "on" or "off" do say how a thing stands ("Is the match called off?")."""
STATUS_PHRASE = "how it stands now"
"""The phrase shown for a status question that says no time word (`_STATUS`): it asks for the latest all the same."""
_EVENT_WORD = r"[\w'’-]+"
_NOT_EVENT = r"(?:and|or|but|what|who|when|where|which|how|why|did|does|do|is|was|were|are|has|have|had|will|would)"


@dataclass(frozen=True)
class TimePhrase:
    """What a question says about time: the phrase as written, the question without it (`query`), publication-date
    bounds as typed values for `Filters.parse` (empty: open), and whether it asks for the latest news.

    `absolute` periods are named by a date ("in March 2026"), the others are counted from the reference date ("last
    month") or dated by the index (an event). An event reference ("before the vote") has `event` ("the vote") and
    `relation` ("before", "after", "since" or "until") and no bounds until `resolved`.
    """

    phrase: str = ""
    query: str = ""
    without: str = ""
    """The question without the phrase at all: what answers are checked against once the period is searched (a
    date the question names is then the period's business, not a word the passages must hold)."""
    since: str = ""
    until: str = ""
    latest: bool = False
    absolute: bool = False
    event: str = ""
    relation: str = ""
    as_of: str = ""

    def __bool__(self) -> bool:
        return bool(self.phrase or self.latest)

    def resolved(self, event_date: Callable[[str], str]) -> tuple[TimePhrase, str]:
        """The phrase with an event reference turned into bounds by `event_date` (the event's ISO date, or "" when
        no article dates it), and a note for the reader when it could not be.

        >>> reading = read_time("What did the council say before the vote?", datetime.date(2026, 3, 14))
        >>> reading.resolved(lambda event: "2026-02-10")[0].until
        '2026-02-09'
        >>> reading.resolved(lambda event: "")[1]
        "could not tell when 'the vote' was (no dated article reports it): searched all dates"
        """
        if not self.event:
            return self, ""
        date = event_date(self.event)
        if not date:
            return self, f"could not tell when {self.event!r} was (no dated article reports it): searched all dates"
        day = datetime.date.fromisoformat(date[:10])
        if self.relation == "before":
            return dataclasses.replace(self, until=(day - datetime.timedelta(days=1)).isoformat()), ""
        if self.relation == "until":
            return dataclasses.replace(self, until=day.isoformat()), ""
        # "after the vote" keeps the day of the vote: the articles of that day report it.
        return dataclasses.replace(self, since=day.isoformat(), until=self.as_of), ""


def read_time(question: str, as_of: datetime.date) -> TimePhrase:
    """The time phrase of `question` resolved against `as_of` (an empty `TimePhrase` when there is none; its
    `query` is then the question).

    >>> day = datetime.date(2026, 3, 14)
    >>> [(r.phrase, r.since, r.until) for r in (read_time("Who won in March?", day),
    ...                                          read_time("Who won in May?", day))]
    [('in March', '2026-03', '2026-03'), ('in May', '2025-05', '2025-05')]
    >>> reading = read_time("What is the latest on the Maplewood footbridge?", day)
    >>> reading.latest, reading.until, reading.query
    (True, '2026-03-14', 'What is on the Maplewood footbridge?')
    >>> read_time("How did the budget change since 2025?", day).since
    '2025'
    >>> read_time("What happened this week?", day).since  # weeks start on Monday
    '2026-03-09'
    >>> bool(read_time("Who built the 2025 budget?", day))
    False
    """
    text = " ".join(question.split())
    latest = False
    found = _LATEST.search(text)
    latest_phrase = ""
    still = _STILL.search(text) if not found else None
    if found:
        latest = True
        latest_phrase = found.group(0)
        text = _without(text, found.start(), found.end())
    elif still:
        start, end = still.span("yes_no") if still.group("yes_no") else still.span("after")
        latest, latest_phrase = True, still.group("yes_no") or still.group("after")
        text = _without(text, start, end)
    reading = _period(text, as_of)
    if not latest and _asks_status(text):
        # "Is the bus strike on?": how it stands, though no word says when; the question is searched as asked.
        latest, latest_phrase = True, STATUS_PHRASE
    if reading is None:
        if not latest:
            return TimePhrase(query=question, without=question, as_of=as_of.isoformat())
        # The latest as of the reference date: what was published after it had not happened yet.
        return TimePhrase(latest_phrase, text, text, until=as_of.isoformat(), latest=True, as_of=as_of.isoformat())
    phrase = reading.phrase if not latest_phrase else f"{latest_phrase}, {reading.phrase}"
    return dataclasses.replace(reading, phrase=phrase, latest=latest, as_of=as_of.isoformat())


def _asks_status(text: str) -> bool:
    """Whether a question asks how a thing stands with no time word (`_STATUS`): "on", "off", "over" or "back"
    after a verb or a preposition end a relative clause instead.

    >>> [_asks_status(question) for question in ("Is the bus strike on?", "Is the match called off?",
    ...                                          "Is this the road the council voted on?",
    ...                                          "Is water what plants depend on?")]
    [True, True, False, False]
    """
    if not _STATUS.match(text):
        return False
    particle = _PARTICLE.search(text)
    if particle is None:
        return True
    before = particle.group("before")
    return _STATE_AFTER.fullmatch(before) is not None or _NO_STATE_BEFORE.fullmatch(before) is None


_WHO_NOW = re.compile(r"^\s*who(?:'s|’s|\s+is|\s+are)\s+(?:the\s+|now\s+)?\S|^\s*who\s+"
                      rf"(?:{'|'.join(HEAD_VERBS)}|chairs|owns|coaches|captains|speaks\s+for)\b", re.IGNORECASE)


def asks_who_now(question: str) -> bool:
    """Whether a question asks who holds a role now ("Who is the chief executive of Kestrel Water?", "Who runs
    it?"): an older report may name a holder since replaced, so the newest report naming one decides
    (`Assistant._plan`), as for "latest", without saying as of when.

    >>> asks_who_now("Who is the chief executive of Kestrel Water?"), asks_who_now("Who runs Marrowdale Rail?")
    (True, True)
    >>> asks_who_now("Who was chief executive in 2019?"), asks_who_now("When is the vote?")
    (False, False)
    """
    return bool(_WHO_NOW.match(question))


def period_filters(
    reading: TimePhrase, filters: Filters | None, as_of: datetime.date, note: str = ""
) -> tuple[Filters | None, Period | None]:
    """The filters a search runs with, and the period to show with the results. Dates the user set explicitly win
    over the question's phrase (which is then only shown, with a note); the sources are always the user's.

    >>> day = datetime.date(2026, 3, 14)
    >>> chosen, period = period_filters(read_time("Who spoke last week?", day), None, day)
    >>> chosen, period.describe()
    (Filters(sources=(), since='2026-03-02', until='2026-03-08'), '"last week": 2 March 2026 to 8 March 2026')
    >>> chosen, period = period_filters(read_time("Who spoke last week?", day), Filters(since="2026-01-01"), day)
    >>> chosen.since, period.note
    ('2026-01-01', 'your date filter was used instead')
    >>> period_filters(read_time("How much will it cost from January 2027?", day), None, day)[0] is None
    True
    """
    if not reading:
        return filters, None
    if not (reading.since or reading.until):  # "latest", or an event no article dates: only shown
        dates = filters or Filters()
        return filters, Period(reading.phrase, dates.since, dates.until, reading.latest, as_of.isoformat(), note)
    sources = filters.sources if filters else ()
    if filters and (filters.since or filters.until) and (reading.since or reading.until):
        return filters, Period(
            reading.phrase,
            filters.since,
            filters.until,
            reading.latest,
            as_of.isoformat(),
            "your date filter was used instead",
        )
    if reading.since and reading.until and date_bound(reading.since) > date_bound(reading.until, last=True):
        # "from January 2027" asked in December 2026: a time to come, which only what was published by then can tell
        # of; its phrase restricts no publication date (it made an empty range, refused as an error)
        dates = filters or Filters()
        return filters, Period(reading.phrase, dates.since, dates.until, reading.latest, as_of.isoformat(),
                               AFTER_REFERENCE_DATE)
    chosen = Filters.parse(sources, reading.since, reading.until)
    dates = chosen or Filters()
    return chosen, Period(reading.phrase, dates.since, dates.until, reading.latest, as_of.isoformat(), note)


def names_period(text: str, since: str, until: str) -> bool:
    """Whether `text` names the period `since`..`until` (ISO days) as what it tells of: the year of a one-year period
    ("in 2024", "the 2024 annual report", "for 2024"), the month and year of a one-month period ("in February
    2026"). Not a year that only starts or ends a span ("since 2024", "by 2024", "2023-2024", "between 2023 and
    2024"), nor a number that counts ("employs 2024 people"), nor a word that starts like the month ("Mayor"), and no
    longer period: a report of a year's figures names its year, of a decade's seldom its decade.

    >>> names_period("Its emissions in 2024 were 41,200 tonnes.", "2024-01-01", "2024-12-31")
    True
    >>> names_period("Corran Logistics publishes its 2024 annual report", "2024-01-01", "2024-12-31")
    True
    >>> names_period("Sales have doubled since 2024.", "2024-01-01", "2024-12-31")
    False
    >>> names_period("The council voted in February 2026.", "2026-02-01", "2026-02-28")
    True
    >>> names_period("The council voted in 2026.", "2026-02-01", "2026-02-28")  # the year is not the month
    False
    """
    if len(since) < 10 or len(until) < 10 or since[:4] != until[:4]:
        return False
    year = since[:4]
    if since[5:] == "01-01" and until[5:] == "12-31":
        named = rf"(?<![\d–/-]){year}(?![\d–/-]|s\b)"
    elif since[:7] == until[:7] and since[8:] == "01" and Filters.parse(until=since[:7]) == Filters(until=until):
        month = _MONTHS[int(since[5:7]) - 1]
        # the full name or its abbreviation ("Mar.", "Sept"): not a word that starts like it ("Mayor", "Marching")
        short = "sept?" if month == "september" else month[:3]
        named = rf"\b(?:{month}|{short}\b\.?),?\s+(?:\d{{1,2}}(?:st|nd|rd|th)?,?\s+)?{year}\b"
    else:
        return False
    for found in re.finditer(named, text, re.IGNORECASE):
        before, after = text[:found.start()], text[found.end():]
        if _SPAN_BEFORE.search(before) or _SPAN_AFTER.match(after):
            continue
        if len(found.group(0)) == 4 and _COUNTED.match(after) and not _YEAR_CONTEXT.search(before):
            continue  # a year alone, counting what follows it
        return True
    return False


_SPAN_BEFORE = re.compile(r"\b(?:since|from|until|till|by|before|after|through|to|between)\s+$"
                          r"|\bbetween\s+\S+\s+and\s+$", re.IGNORECASE)
"""Words before a date that make it start or end a span ("since 2024", "between 2023 and 2024")."""
_SPAN_AFTER = re.compile(r"\s*(?:[-–]|to|until|till|through)\s*\d", re.IGNORECASE)
"""Words after a date that make it start a span ("2023-2024", "2024 to 2025")."""
_YEAR_CONTEXT = re.compile(r"(?:^|[.!?:;(]\s*|\b(?:in|for|of|during|throughout|within|across|the|its|their|his|her"
                           r"|our|this|that|and|or)\s+|\w['’]s\s+)$", re.IGNORECASE)
"""What may come before a year a text tells of ("in 2024", "its 2024 annual report", "2024 was"): before a count
("employs 2024 people") a verb comes instead."""
_COUNTED = re.compile(r"\s+[a-z]")
"""A lower-case word after a number: what it counts, unless a year's context came before (`_YEAR_CONTEXT`)."""


AFTER_REFERENCE_DATE = "a time after the reference date: every article published by then was searched"
"""The note of a period that starts after the reference date ("from January 2027" asked in December 2026)."""


NEAREST_OUTSIDE = 3
"""Dated articles outside a period that an answer names when nothing in the period answers."""


def nearest_outside(passages: Sequence[Passage], since: str, until: str,
                    limit: int = NEAREST_OUTSIDE) -> list[Passage]:
    """The dated `passages` published outside the period `since`..`until` (ISO days, empty: open), one per article,
    nearest to it first (days between the publication and the period's closer end; the given order on a tie).

    >>> def dated(name, day):
    ...     return Passage(name, name, "s", "", "x", 0, 1, published=day)
    >>> found = nearest_outside([dated("a", "2026-02-10"), dated("b", "2025-11-05"), dated("c", "2023-01-02"),
    ...                          Passage("d", "d", "s", "", "x", 0, 1)], "2024-01-01", "2024-12-31")
    >>> [passage.article_id for passage in found]
    ['b', 'c', 'a']
    """
    def distance(passage: Passage) -> int:
        day = datetime.date.fromisoformat(passage.published[:10])
        if since and day < datetime.date.fromisoformat(since[:10]):
            return (datetime.date.fromisoformat(since[:10]) - day).days
        if until and day > datetime.date.fromisoformat(until[:10]):
            return (day - datetime.date.fromisoformat(until[:10])).days
        return -1  # inside the period

    outside: dict[str, Passage] = {}
    for passage in passages:
        if passage.published and passage.article_id not in outside and distance(passage) >= 0:
            outside[passage.article_id] = passage
    return sorted(outside.values(), key=distance)[:limit]


def outside_note(period: Period, nearest: Sequence[Passage]) -> str:
    """What an answer says when nothing published in the period the question names answers it: the period, and
    the nearest dated articles by title and date (`OUTSIDE_PERIOD`).

    >>> near = Passage("a", "Council approves budget", "s", "", "x", 0, 1, published="2026-02-10")
    >>> outside_note(Period("in 2025", "2025-01-01", "2025-12-31"), [near])
    'Nothing published in 2025 (1 January 2025 to 31 December 2025) answers it; the nearest dated articles: \
"Council approves budget" (10 February 2026).'
    """
    dates = Period(period.phrase, period.since, period.until).describe().split(": ", 1)[-1]
    articles = "; ".join(f'"{passage.title}" ({long_date(passage.published)})' for passage in nearest)
    return OUTSIDE_PERIOD.format(phrase=period.phrase, dates=dates, articles=articles or NO_DATED_ARTICLES)


def with_as_of(sentence: str, published: str) -> str:
    """An answer's first sentence said as of the date of the newest article it rests on.

    >>> with_as_of("The footbridge is open [1].", "2026-03-14")
    'As of 14 March 2026, the footbridge is open [1].'
    >>> with_as_of("Maplewood reopened it [1].", "2026-03-14T09:30:00")
    'As of 14 March 2026, Maplewood reopened it [1].'
    >>> with_as_of("About 350 volunteers [1].", "2025-11-20")  # a span answer keeps its sentence's capital
    'As of 20 November 2025, about 350 volunteers [1].'
    >>> with_as_of("I was told it is open [1].", "2026-03-14")
    'As of 14 March 2026, I was told it is open [1].'
    >>> with_as_of("One Direction [1].", "2026-03-14")  # a name that opens with a common word
    'As of 14 March 2026, One Direction [1].'
    """
    if not published or not sentence:
        return sentence
    first, _, rest = sentence.partition(" ")
    first = first.rstrip(",;:")
    # A common word that starts the sentence loses its capital; a name (and "I") keeps it, and so does a common
    # word before a capitalised one, which may start a name ("One Direction", "Only Fools and Horses"), unless it
    # is an article or a preposition ("the Maplewood footbridge", "in March").
    lowered = first.lower()
    if lowered in _LOWERED_STARTS and first[1:] == first[1:].lower() and (
            lowered in _LOWERED_BEFORE_NAMES or not rest[:1].isupper()):
        sentence = sentence[0].lower() + sentence[1:]
    return f"As of {long_date(published)}, {sentence}"


_LOWERED_STARTS = frozenset(
    "the a an it its this that these those there they he she we in on at after before "
    "since by from according no "
    # how a span answer (the words of the article's sentence, capital kept) often opens: an amount said roughly
    # ("About 350 volunteers"), a quantity word, a number in words, a linking word
    "about around nearly almost approximately roughly some many several more most less fewer over under up "
    "only just all every each both half none one two three four five six seven eight nine ten eleven twelve "
    "dozens hundreds thousands also between during until for with as when while because yes not".split()
)
"""Words that lose their capital after "As of <date>, ": common words, never a name (not "May", "Will" or "I")."""
_LOWERED_BEFORE_NAMES = frozenset(
    "the a an in on at after before since by from according between during until for with as when while because"
    .split())
"""Of `_LOWERED_STARTS`, those lowered before a capitalised word too: an article or a preposition before a name."""


_WEEKDAY_NAMES = ("monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday")
_BARE_WEEKDAY = re.compile(r"(?:(?:on|last|this|next|from|until|late on|early on|by)\s+)?(?P<day>[A-Za-z]+day)"
                           r"(?:\s+(?:morning|afternoon|evening|night))?", re.IGNORECASE)
_AHEAD = re.compile(r"\b(?:will|shall|is due|are due|is set to|are set to|is to|are to|plans? to|expected to|"
                    r"scheduled|next)\b", re.IGNORECASE)
_AHEAD_IF_NOT_PAST = re.compile(r"\b(?:from|until|starting)\b", re.IGNORECASE)
_PAST = re.compile(r"\b(?:was|were|had|did|[a-z]+ed)\b", re.IGNORECASE)


def dated_weekday(answer: str, sentence: str, published: str, at: int = 0) -> str:
    """`answer` with the date of the weekday it names ("On Monday"), counted from the article's publication date:
    the last such day on or before it ("last Monday": before it), or the first after it when the clause that names
    the day (from `at`, where the answer stands in `sentence`) looks ahead ("will", "next Monday", "from Monday"
    unless said in the past). Anything else, or no date to count from, is returned as it is.

    >>> dated_weekday("On Monday", "The mayor resigned on Monday, the council said.", "2026-02-03", 17)
    'On Monday, 2 February 2026'
    >>> dated_weekday("Monday", "Drivers will walk out for 48 hours from Monday.", "2026-04-10T08:00:00+00:00", 40)
    'Monday, 13 April 2026'
    >>> dated_weekday("On Sunday", "It died on Sunday.", "2025-09-21"), dated_weekday("On Monday", "x", "")
    ('On Sunday, 21 September 2025', 'On Monday')
    """
    match = _BARE_WEEKDAY.fullmatch(answer.strip())
    if match is None or match.group("day").lower() not in _WEEKDAY_NAMES or not published:
        return answer
    try:
        day = datetime.date.fromisoformat(published[:10])
    except ValueError:
        return answer
    name = match.group("day").lower()
    wanted = _WEEKDAY_NAMES.index(name)
    mention = sentence.lower().find(name, max(at, 0))
    if mention < 0:
        mention = sentence.lower().find(name)
    clause = re.split(r"[,;:]", sentence[:mention])[-1] if mention >= 0 else ""
    if _AHEAD.search(clause) or (_AHEAD_IF_NOT_PAST.search(clause) and not _PAST.search(clause)):
        day += datetime.timedelta(days=(wanted - day.weekday() - 1) % 7 + 1)
    else:
        back = (day.weekday() - wanted) % 7
        if not back and answer.strip().lower().startswith("last"):
            back = 7  # "last Monday" said on a Monday is a week before
        day -= datetime.timedelta(days=back)
    return f"{answer.strip()}, {long_date(day.isoformat())}"


def weekday_dates(quote: str, published: str) -> str:
    """The dates of the weekdays a quoted sentence names, counted from its article's publication date as
    `dated_weekday` counts them: what a quote answering "When did she start?" with "... on Monday" leaves unsaid.
    "" when it names none, or there is no date to count from.

    >>> weekday_dates("Priya Castell began work as chief executive on Monday.", "2026-03-04")
    '(Monday: 2 March 2026)'
    >>> weekday_dates("Drivers walk out on Friday; talks resume next Tuesday.", "2026-01-07")
    '(Friday: 2 January 2026; next Tuesday: 13 January 2026)'
    >>> weekday_dates("It rained.", "2026-03-04"), weekday_dates("It opened on Monday.", "")
    ('', '')
    >>> weekday_dates("It was moved to Sunday 5 October 2025.", "2025-09-01")  # dated already
    ''
    >>> weekday_dates("Sunday's half marathon has been postponed.", "2025-10-02")  # an event's Sunday, maybe ahead
    ''
    """
    if not published:
        return ""
    said = []
    for mention in _WEEKDAY_MENTION.finditer(quote):
        phrase = mention.group(0)
        dated = dated_weekday(phrase, quote, published, mention.start())
        if dated != phrase:
            day = phrase if phrase.split()[0].lower() in ("last", "next", "this") else phrase.split()[-1]
            entry = f"{day}: {dated.rsplit(', ', 1)[-1]}"
            if entry not in said:
                said.append(entry)
    return f"({'; '.join(said)})" if said else ""


_WEEKDAY_MENTION = re.compile(
    rf"\b(?:last|next|this|on|from|until|since|by)\s+(?:{'|'.join(name.capitalize() for name in _WEEKDAY_NAMES)})\b"
    r"(?!['’]s|,?\s+(?:\d|(?:the\s+)?\d|" + "|".join(MONTH_NAMES) + r"))")
"""A weekday said as a time ("on Monday", "last Friday"): not one that gives its date ("Sunday 5 October 2025",
"Sunday, 5 October") or an event's ("Sunday's half marathon", whose Sunday may be ahead)."""


def parse_as_of(value: str | None) -> datetime.date:
    """The reference date from what a user typed (`2026-03-14`, also `2026-03` or `2026`: their last day), today
    when blank. Read by `rag.records.date_bound`, as the filters' dates are, so a bad date is refused with the same
    message everywhere, naming as_of.

    >>> parse_as_of("2026-03-14"), parse_as_of("2026-02")
    (datetime.date(2026, 3, 14), datetime.date(2026, 2, 28))
    >>> parse_as_of("2026-02-30")
    Traceback (most recent call last):
    rag.errors.InvalidRequestError: as_of must be a date like 2026-03-14 (or 2026-03, or 2026), got '2026-02-30'
    >>> parse_as_of("0001-01-01")
    Traceback (most recent call last):
    rag.errors.InvalidRequestError: as_of must be a date from the year 1000 to 8999, got '0001-01-01'
    """
    if not value or not value.strip():
        return datetime.date.today()
    return checked_as_of(datetime.date.fromisoformat(date_bound(value, last=True, name="as_of")), value)


def checked_as_of(day: datetime.date, given: object = None) -> datetime.date:
    """`day` when it is a reference date periods can be counted from (`FIRST_YEAR` to `LAST_YEAR`: year 1 less a
    month overflowed), else InvalidRequestError naming what was `given` (default: the date)."""
    if not FIRST_YEAR <= day.year <= LAST_YEAR:
        shown = given if given is not None else day.isoformat()
        raise InvalidRequestError(f"as_of must be a date from the year {FIRST_YEAR} to {LAST_YEAR}, got {shown!r}")
    return day


FIRST_YEAR, LAST_YEAR = 1000, 8999
"""The reference dates a question's time phrases are counted from (a week or a year before or after stays a date)."""


# -- phrases ------------------------------------------------------------------------------------------------------


def _period(text: str, as_of: datetime.date) -> TimePhrase | None:
    for pattern, handler in _PATTERNS:
        match = pattern.search(text)
        if match:
            reading = handler(match, as_of)
            if reading is None:
                continue
            keep = reading.absolute  # an absolute date helps matching ("March 2026" is in the article)
            if reading.event:  # only the relation word goes: the event's words say what the question is about
                query = _without(text, match.start(), match.start("event"))
            else:
                query = text if keep else _without(text, match.start(), match.end())
            return dataclasses.replace(
                reading, phrase=match.group(0), query=query, without=_without(text, match.start(), match.end())
            )
    return None


def _between(match: re.Match[str], as_of: datetime.date) -> TimePhrase | None:
    """From the first point to the last; a first point without a year takes the last one's ("between March and May
    2025")."""
    first_text, last_text = match.group("first"), match.group("last")
    year = re.search(rf"\b{_YEAR}\b", last_text)
    if year and not re.search(rf"\b{_YEAR}", first_text):
        first_text = f"{first_text} {year.group(0)}"
    first, last = _point(first_text, as_of), _point(last_text, as_of)
    if first is None or last is None:
        return None
    if date_bound(first[0]) > date_bound(last[1]) and not re.search(rf"\b{_YEAR}", first_text):
        # "between September and January": the September before that January (a named month is the latest one,
        # which here falls after the last point and made an empty range)
        first = _point(f"{first_text} {int(date_bound(last[1])[:4]) - 1}", as_of) or first
    since, until = min(first[0], last[0], key=date_bound), max(first[1], last[1], key=lambda bound: date_bound(
        bound, last=True))  # "between 2026 and 2025" means the same two years
    return TimePhrase(since=since, until=until, absolute=True)


def _since(match: re.Match[str], as_of: datetime.date) -> TimePhrase | None:
    point = _point(match.group("point"), as_of)
    if point is None:
        return None
    word = match.group("word").lower()
    since = point[0] if word != "after" else _day_after(point[1])
    return TimePhrase(since=since, until=as_of.isoformat(), absolute=True)


def _before(match: re.Match[str], as_of: datetime.date) -> TimePhrase | None:
    point = _point(match.group("point"), as_of)
    if point is None:
        return None
    word = " ".join(match.group("word").lower().split())
    strictly = word in ("before", "prior to", "earlier than") and "end of" not in match.group(0).lower()
    until = _day_before(point[0]) if strictly else point[1]
    return TimePhrase(until=until, absolute=True)


def _within(match: re.Match[str], as_of: datetime.date) -> TimePhrase | None:
    """One date, or two joined by "and"/"or" ("in 2025 and 2026": both, and what lies between)."""
    point = _point(match.group("point"), as_of)
    other = match.groupdict().get("other")
    last = _point(other, as_of) if other else point
    if point is None or last is None:
        return None
    return TimePhrase(since=min(point[0], last[0]), until=max(point[1], last[1]), absolute=True)


def _relative(match: re.Match[str], as_of: datetime.date) -> TimePhrase | None:
    which = " ".join(match.group("which").lower().split())
    unit = match.group("unit").lower()
    if which in ("this", "earlier this"):
        start = {
            "day": as_of,
            "week": as_of - datetime.timedelta(days=as_of.weekday()),
            "month": as_of.replace(day=1),
            "year": as_of.replace(month=1, day=1),
        }[unit]
        return TimePhrase(since=start.isoformat(), until=as_of.isoformat())
    if which in ("last", "previous"):
        if unit == "week":
            monday = as_of - datetime.timedelta(days=as_of.weekday() + 7)
            return TimePhrase(since=monday.isoformat(), until=(monday + datetime.timedelta(days=6)).isoformat())
        if unit == "month":
            month = (as_of.replace(day=1) - datetime.timedelta(days=1)).strftime("%Y-%m")
            return TimePhrase(since=month, until=month)
        if unit == "year":
            return TimePhrase(since=str(as_of.year - 1), until=str(as_of.year - 1))
        return None
    return _rolling(1, unit, as_of)  # "the past week", "this past month"


def _counted(match: re.Match[str], as_of: datetime.date) -> TimePhrase | None:
    count = match.group("count").lower()
    number = int(count) if count.isdigit() else _NUMBER_WORDS[" ".join(count.split())]
    return _rolling(number, match.group("unit").lower(), as_of)


def _day_word(match: re.Match[str], as_of: datetime.date) -> TimePhrase | None:
    day = as_of if match.group(0).lower().startswith("today") else as_of - datetime.timedelta(days=1)
    return TimePhrase(since=day.isoformat(), until=day.isoformat())


def _event(match: re.Match[str], as_of: datetime.date) -> TimePhrase | None:
    word = " ".join(match.group("word").lower().split())
    relation = {"prior to": "before", "ahead of": "before", "following": "after", "till": "until"}.get(word, word)
    return TimePhrase(event=match.group("event"), relation=relation)


def _rolling(number: int, unit: str, as_of: datetime.date) -> TimePhrase:
    days = number * {"day": 1, "week": 7, "month": 30, "year": 365}[unit]
    start = as_of - datetime.timedelta(days=days - 1)
    return TimePhrase(since=start.isoformat(), until=as_of.isoformat())


def _pattern(text: str) -> re.Pattern[str]:
    return re.compile(text, re.IGNORECASE)


_PATTERNS: tuple[tuple[re.Pattern[str], Callable[[re.Match[str], datetime.date], TimePhrase | None]], ...] = (
    (_pattern(rf"\bbetween\s+(?P<first>{_POINT})\s+and\s+(?P<last>{_POINT})"), _between),
    (_pattern(rf"\bfrom\s+(?P<first>{_POINT})\s+(?:to|until|till|through)\s+(?P<last>{_POINT})"), _between),
    (
        _pattern(
            rf"\b(?:in\s+|over\s+|during\s+|within\s+)?(?:the\s+)?(?:last|past)\s+(?P<count>{_COUNT})\s+{_UNIT}\b"
        ),
        _counted,
    ),
    (
        _pattern(
            rf"\b(?:in\s+|over\s+|during\s+)?(?P<which>earlier\s+this|this\s+past|this|last|previous|the\s+past"
            rf"|the\s+last)\s+{_UNIT}\b"
        ),
        _relative,
    ),
    (_pattern(r"\b(?:today|yesterday)(?:['’]s)?\b"), _day_word),
    (_pattern(rf"\b(?P<word>since|after|from|starting)\s+(?P<point>{_POINT})"), _since),
    (
        _pattern(
            rf"\b(?P<word>before|prior\s+to|earlier\s+than|until|till|through|up\s+to|by)\s+(?:the\s+end\s+of\s+)?"
            rf"(?P<point>{_POINT})"
        ),
        _before,
    ),
    (
        _pattern(rf"\b(?:in|during|on|throughout)\s+(?P<point>{_POINT})(?:\s+(?:and|or)\s+(?P<other>{_POINT}))?"),
        _within,
    ),
    (_pattern(rf"\b(?P<point>(?:{_DAY}\s+)?{_MONTH}\s+{_YEAR}|{_YEAR}-\d\d-\d\d)\b"), _within),
    (
        _pattern(
            rf"\b(?P<word>before|after|since|until|till|following|prior\s+to|ahead\s+of)\s+(?P<event>(?:the|last|"
            rf"this)\s+{_EVENT_WORD}(?:\s+(?!{_NOT_EVENT}\b){_EVENT_WORD}){{0,4}})"
        ),
        _event,
    ),
)


def _point(text: str, as_of: datetime.date) -> tuple[str, str] | None:
    """The first and last day of a written date as `Filters.parse` bounds; a month or day without a year is the
    latest one not after `as_of`.

    >>> day = datetime.date(2026, 3, 14)
    >>> _point("March", day), _point("14th of March", day), _point("June 3, 2024", day), _point("the 1990s", day)
    (('2026-03', '2026-03'), ('2026-03-14', '2026-03-14'), ('2024-06-03', '2024-06-03'), ('1990', '1999'))
    >>> _point("the 19th century", day)
    ('1800', '1899')
    >>> _point("2012-13", day), _point("1999–00", day), _point("2026-03", day), _point("2026-14", day)
    (('2012', '2013'), ('1999', '2000'), ('2026-03', '2026-03'), None)
    """
    text = " ".join(text.lower().replace(",", " ").replace("–", "-").split())
    century = re.fullmatch(rf"{_CENTURY}", text)
    if century:
        hundreds = int(re.sub(r"\D", "", text)) - 1
        return f"{hundreds}00", f"{hundreds}99"
    if re.fullmatch(rf"(?:the )?{_YEAR}s", text):
        decade = int(re.sub(r"\D", "", text))
        return str(decade), str(decade + 9 if decade % 10 == 0 else decade)
    written = re.fullmatch(rf"({_YEAR})(?:-(\d\d)(?:-(\d\d))?)?", text)
    if written:
        year, month, day_of_month = written.groups()
        if month and not day_of_month and int(month) == (int(year) + 1) % 100:
            return year, str(int(year) + 1)  # a season or financial year, "2012-13": not a 13th month
        try:
            datetime.date(int(year), int(month or 1), int(day_of_month or 1))
        except ValueError:
            return None  # "2026-14" is no date
        return text, text
    month = next((number for number, name in enumerate(_MONTHS, start=1) if re.search(rf"\b{name[:3]}", text)), 0)
    if not month:
        return None
    year_match = re.search(rf"\b{_YEAR}\b", text)
    day_match = re.search(r"\b(\d{1,2})(?:st|nd|rd|th)?\b", re.sub(rf"\b{_YEAR}\b", "", text))
    day = int(day_match.group(1)) if day_match else 0
    if year_match:
        year = int(year_match.group(0))
    else:
        year = as_of.year if (month, day) <= (as_of.month, as_of.day) else as_of.year - 1
    if day:
        try:
            value = datetime.date(year, month, day).isoformat()
        except ValueError:
            return None
        return value, value
    return f"{year:04d}-{month:02d}", f"{year:04d}-{month:02d}"


def _day_before(bound: str) -> str:
    first = datetime.date.fromisoformat(_first_day(bound))
    return (first - datetime.timedelta(days=1)).isoformat()


def _day_after(bound: str) -> str:
    last = Filters.parse(until=bound)
    assert last is not None
    return (datetime.date.fromisoformat(last.until) + datetime.timedelta(days=1)).isoformat()


def _first_day(bound: str) -> str:
    first = Filters.parse(since=bound)
    assert first is not None
    return first.since


def _without(text: str, start: int, end: int) -> str:
    """`text` with `text[start:end]` taken out and the space and punctuation around it tidied.

    >>> _without("What happened last week?", 14, 23)
    'What happened?'
    """
    joined = (text[:start].rstrip() + " " + text[end:].lstrip()).strip()
    joined = re.sub(r"\s+([?.!,;:])", r"\1", joined)
    return re.sub(r",([?.!])", r"\1", joined).strip(" ,")
