"""Briefings: the stories of a period ("what happened this week?", "brief me on the harbour since March"), each once
however many outlets reported it, ranked by how many outlets carried it and how recent it is.

`brief(retriever, since, ...)` reads the period with `brief_period` (the phrases questions take, through
`rag.answer.timeframe.read_time`, plus the shorthand `7d`, `2w`, `3m`, `1y`), takes the first passage of every
article published in it (optionally only the articles whose passages a search for the topic finds relevant),
groups the articles that report one event into a story with the test of `rag.answer.retrieve.same_story` (other
articles, published at most `STORY_DAYS` apart, embeddings alike, names and numbers shared), and gives each story
its headline, dates, the outlets that reported it and its lede: the first sentence of its first report that says
what happened (news puts it first), quoted from the passage and checked as any quote is (`rag.answer.cite.support`),
never written by a model. The records are frozen (`Story`, `Brief`); the CLI, the HTTP API, the Atom feed and the
chat are edges that render them.

    >>> import datetime
    >>> period = brief_period("7d", as_of=datetime.date(2026, 3, 14))
    >>> period.since, period.until, period.describe()
    ('2026-03-08', '2026-03-14', '"since 7d": 8 March 2026 to 14 March 2026')
"""

from __future__ import annotations

import dataclasses
import datetime
import functools
import re
from collections.abc import Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Protocol

import numpy as np

from rag.answer.cite import support
from rag.answer.retrieve import RECENT_SHARE, STORY_DAYS, STORY_DEPTH, Retriever, same_story
from rag.answer.timeframe import parse_as_of, read_time
from rag.errors import InvalidRequestError
from rag.records import (
    Answer,
    Citation,
    Filters,
    Passage,
    Period,
    long_date,
    reported_by_text,
)
from rag.store.reading import SearchableIndex
from rag.text import content_words, specific_terms, split_sentences, title_names
from rag.thresholds import MIN_SCORE, SUPPORT_THRESHOLD

if TYPE_CHECKING:
    from rag.settings import Settings

STORIES = 10
"""Stories a brief shows unless asked for another number."""
LEDE_WORDS = 6
"""A lede says what happened: a shorter first sentence ("MAPLEWOOD —", "Update:") is passed over for the next."""

_SHORTHAND = re.compile(r"^\s*(\d{1,4})\s*(d|w|m|y)\s*$", re.IGNORECASE)
_UNITS = {"d": "days", "w": "weeks", "m": "months", "y": "years"}


@dataclass(frozen=True)
class Story:
    """One event of a brief: its headline (the first report's title), the dates of its first and newest reports,
    and its lede quoted from the first report's first passage (`lede.quote`, `lede.passage`), with the other
    outlets' reports as `lede.same_story` (their first passages)."""

    headline: str
    published: str
    updated: str
    lede: Citation

    @property
    def reports(self) -> tuple[Passage, ...]:
        """The first passage of every report, the story's own first."""
        return (self.lede.passage, *self.lede.same_story)

    @property
    def reported_by(self) -> list[str]:
        """The outlets that reported it, its first report's first, each once."""
        return self.lede.reported_by

    @property
    def reported_by_text(self) -> str:
        """ "reported by Maplewood Gazette, Lenn Valley Herald +2". """
        return reported_by_text(self.reported_by)

    def to_dict(self) -> dict[str, Any]:
        return {"headline": self.headline, "published": self.published, "updated": self.updated,
                "lede": self.lede.quote, "reported_by": self.reported_by,
                "reported_by_text": self.reported_by_text, "outlets": len(self.reported_by),
                "citation": self.lede.to_dict(),
                "reports": [{"title": passage.title, "source": passage.source, "url": passage.url,
                             "published": passage.published, "article_id": passage.article_id}
                            for passage in self.reports]}


@dataclass(frozen=True)
class Brief:
    """The stories of a period (best first), the period read, the topic asked about ("" for everything) and how many
    articles of the period were read."""

    period: Period
    topic: str = ""
    stories: tuple[Story, ...] = ()
    articles: int = 0
    more: int = 0
    """Stories of the period left out by the count asked for."""
    earlier: tuple[tuple[str, str], ...] = ()
    """With no story (and no topic): the (title, date) of the newest articles published before the period, newest
    first: a quiet week points to what came before it."""

    def to_dict(self) -> dict[str, Any]:
        return {"topic": self.topic, "period": self.period.to_dict(), "articles": self.articles,
                "more": self.more, "stories": [story.to_dict() for story in self.stories],
                "earlier": [{"title": title, "published": published} for title, published in self.earlier]}


def brief_period(since: str, until: str = "", as_of: datetime.date | None = None) -> Period:
    """The publication dates a brief covers, from what a user typed: `since` takes the phrases a question does
    ("last week", "this month", "March", "2026-03-01", "the past 3 days") or the shorthand `7d`/`2w`/`3m`/`1y` (the
    last 7 days), and the brief runs from the start of that period to `until` (the end of the period it names) or
    else the reference date `as_of` (default today). Refused (`InvalidRequestError`) when a phrase reads as no date.

    >>> day = datetime.date(2026, 3, 14)
    >>> [(p.since, p.until) for p in (brief_period("last week", as_of=day), brief_period("March", as_of=day),
    ...                               brief_period("2026-02-10", "2026-02", as_of=day))]
    [('2026-03-02', '2026-03-14'), ('2026-03-01', '2026-03-14'), ('2026-02-10', '2026-02-28')]
    """
    as_of = as_of or datetime.date.today()
    first = _bounds(since, as_of, "since")[0]
    last = _bounds(until, as_of, "until")[1] if until and until.strip() else as_of.isoformat()
    chosen = Filters.parse((), first, last)  # the one date parser: full ISO dates, an empty range refused
    assert chosen is not None
    phrase = f"since {since.strip()}" + (f" until {until.strip()}" if until and until.strip() else "")
    return Period(phrase, chosen.since, chosen.until, as_of=as_of.isoformat())


def _bounds(value: str, as_of: datetime.date, name: str) -> tuple[str, str]:
    """The first and last bound of the period a typed phrase names (`Filters.parse` bounds)."""
    text = " ".join((value or "").split())
    if not text:
        raise InvalidRequestError(f"{name} needs a date or a period, like 7d, last week, March or 2026-03-01")
    shorthand = _SHORTHAND.match(text)
    if shorthand:
        text = f"the last {int(shorthand.group(1))} {_UNITS[shorthand.group(2).lower()]}"
    for phrase in (text, f"in {text}"):
        reading = read_time(phrase, as_of)
        if reading and reading.since and reading.until:
            return reading.since, reading.until
    raise InvalidRequestError(f"could not read {name} {value!r} as a date or a period (try 7d, last week, this "
                              "month, March, 2026-03-01)")


def brief(retriever: Retriever, since: str, until: str = "", *, as_of: datetime.date | None = None,
          topic: str = "", count: int = STORIES, min_score: float = MIN_SCORE) -> Brief:
    """The `count` stories published between `since` and `until` (see `brief_period`), about `topic` when given
    (their articles scoring at least `min_score`: see `relevant_articles`), each once, ranked by how many outlets
    reported it, then how recent its newest report is."""
    if count < 1:
        raise InvalidRequestError(f"a brief needs at least one story, got n={count}")
    period = brief_period(since, until, as_of)
    dates = Filters.parse((), period.since, period.until)
    if retriever.index.stale():
        retriever.refresh()
    index = retriever.index
    ledes = first_passages(index, dates)
    topic = " ".join(topic.split())
    if topic and ledes:
        relevant = relevant_articles(retriever, topic, dates, count, min_score)
        # a title that names the topic is about it, however low its first passage scores for a short topic ("AI
        # bill" against "The committee finished its scrutiny of the Algorithmic Accountability Bill")
        ledes = [(row, passage) for row, passage in ledes
                 if passage.article_id in relevant or title_names(passage.title, topic)]
    vectors = index.vectors_of([row for row, _ in ledes]) if ledes else np.zeros((0, 1), dtype=np.float32)
    stories = [story for story in (_story(members) for members in
                                   group_reports([passage for _, passage in ledes], vectors,
                                                 retriever.story_similarity)) if story]
    stories.sort(key=lambda story: (-len(story.reported_by), _negated(story.updated), story.headline))
    earlier = newest_before(index, period.since) if not stories and not topic else ()
    return Brief(period, topic, tuple(stories[:count]), len(ledes), max(len(stories) - count, 0), earlier)


EARLIER_SHOWN = 3
"""Newest articles before a period with no story that its brief names."""


def newest_before(index: SearchableIndex, since: str, count: int = EARLIER_SHOWN) -> tuple[tuple[str, str], ...]:
    """The (title, date) of the `count` newest dated articles published before `since` (ISO), newest first."""
    if not since:
        return ()
    before = sorted((record for record in index.articles.values()
                     if record.published and record.published[:10] < since[:10]),
                    key=lambda record: (record.published[:10], record.title), reverse=True)
    return tuple((record.title, record.published[:10]) for record in before[:count])


def first_passages(index: SearchableIndex, dates: Filters | None) -> list[tuple[int, Passage]]:
    """The first passage of every article `dates` allows, with its row, oldest first: the store's dense search with
    room for every passage of the period returns them all (whatever the store)."""
    sample = [record for record in index.articles.values() if record.published
              and (dates is None or dates.allows(Passage(record.id, "", record.source, "", "", 0, 0,
                                                         published=record.published)))]
    depth = sum(max(record.passages, 1) for record in sample)
    if not depth:
        return []
    found = index.candidates(np.zeros(index.dimension, dtype=np.float32), None, depth, dates)
    first: dict[str, tuple[int, Passage]] = {}
    for row, passage in zip(found.rows.tolist(), found.passages, strict=True):
        kept = first.get(passage.article_id)
        if kept is None or passage.start < kept[1].start:
            first[passage.article_id] = (int(row), passage)
    return sorted(first.values(), key=lambda item: (item[1].published[:10], item[1].article_id))


def relevant_articles(retriever: Retriever, topic: str, dates: Filters | None, count: int,
                      min_score: float = MIN_SCORE) -> set[str]:
    """The articles a search for `topic` within `dates` finds relevant: every report of the stories whose best
    passage scores at least `min_score` (what an answer needs) and `RECENT_SHARE` of the best one (the relevance of
    "latest")."""
    hits = retriever.search(topic, max(count, 5) * STORY_DEPTH, dates)
    floor = max(min_score, RECENT_SHARE * max((hit.score for hit in hits), default=0.0))
    return {passage.article_id for hit in hits if hit.score >= floor
            for passage in (hit.passage, *hit.same_story)}


def group_reports(passages: Sequence[Passage], vectors: np.ndarray, similarity: float) -> list[list[Passage]]:
    """The articles' first passages (oldest first; `vectors` their normalised embeddings, row by row) grouped into
    stories: a passage joins the most alike story whose first report it reports the same event as (the test of
    `same_story`, with the embeddings at least `similarity` alike), else starts one; at most one report per
    article. Only stories begun within `STORY_DAYS` are compared, so the cost grows with the period, not its
    square.

    >>> def report(name, source, text, day):
    ...     return Passage(name, "T", source, "", text, 0, len(text), published=day)
    >>> passages = [report("a", "Gazette", "Mayor Anneke Vos reopened the Maplewood bridge for 1.35 million.",
    ...                    "2026-03-14"),
    ...             report("b", "Herald", "The Maplewood bridge reopened, Mayor Anneke Vos said: 1.35 million.",
    ...                    "2026-03-15"),
    ...             report("c", "Courier", "Orwin opened a ward.", "2026-03-15")]
    >>> vectors = np.array([[1.0, 0.0], [0.9, 0.436], [0.0, 1.0]])
    >>> [[p.article_id for p in story] for story in group_reports(passages, vectors, 0.6)]
    [['a', 'b'], ['c']]
    """
    stories: list[list[Passage]] = []
    heads: list[int] = []  # the position of each story's first report
    terms: dict[int, set[str]] = {}
    days = [_day(passage.published) for passage in passages]

    def terms_of(position: int) -> set[str]:
        if position not in terms:
            terms[position] = set(_specific_terms(passages[position].text))
        return terms[position]

    oldest = 0  # the first story still within STORY_DAYS of the passage at hand (passages come oldest first)
    for position, passage in enumerate(passages):
        while oldest < len(heads) and (days[position] - days[heads[oldest]]).days > STORY_DAYS:
            oldest += 1
        near = heads[oldest:]
        best, best_similarity = -1, similarity
        if near:
            alike = vectors[near] @ vectors[position]
            for number, (head, value) in enumerate(zip(near, alike.tolist(), strict=True)):
                story = stories[oldest + number]
                if (value >= best_similarity and passage.article_id not in {p.article_id for p in story}
                        and same_story(passage, passages[head], terms_of(position), terms_of(head))):
                    best, best_similarity = oldest + number, value
        if best >= 0:
            stories[best].append(passage)
        else:
            heads.append(position)
            stories.append([passage])
    return stories


def lede(passage: Passage) -> tuple[int, int] | None:
    """The span of the sentence that says what happened: the passage's first sentence of at least `LEDE_WORDS`
    words that passes the check every quote passes (it supports itself within the passage: a span that is not the
    passage's own words fails); None when there is none.

    >>> text = "MAPLEWOOD — The footbridge over the Lenn reopened on Saturday. Crowds came."
    >>> start, end = lede(Passage("a", "T", "s", "", text, 0, len(text)))
    >>> text[start:end]
    'MAPLEWOOD — The footbridge over the Lenn reopened on Saturday.'
    """
    text = passage.text
    for span in split_sentences(text)[:5]:
        sentence = " ".join(text[span.start:span.end].split())
        if len(content_words(sentence)) < LEDE_WORDS - 2 or len(sentence.split()) < LEDE_WORDS:
            continue
        if support(sentence, f"{passage.title}\n{text}") >= SUPPORT_THRESHOLD:
            return span.start, span.end
    return None


def _story(reports: Sequence[Passage]) -> Story | None:
    """A story from its reports (oldest first): the first report whose passage has a lede leads it."""
    led = next(((passage, span) for passage in reports for span in (lede(passage),) if span), None)
    if led is None:
        return None
    first, (start, end) = led
    quote = " ".join(first.text[start:end].split())
    others = tuple(passage for passage in reports if passage is not first)  # oldest first, as reported
    citation = Citation(1, first, quote, start, end, support(quote, first.text), ((start, end),), others)
    published = min(passage.published[:10] for passage in reports)
    updated = max(passage.published[:10] for passage in reports)
    return Story(first.title or quote, published, updated, citation)


@functools.lru_cache(maxsize=20_000)
def _specific_terms(text: str) -> frozenset[str]:
    """`specific_terms` of a first passage, remembered: briefs of overlapping periods (a feed polled every few
    minutes, the API, the chat) read the same articles again, and the terms are most of a brief's cost."""
    return frozenset(specific_terms(text))


def _day(published: str) -> datetime.date:
    return datetime.date.fromisoformat(published[:10])


def _negated(day: str) -> tuple[int, ...]:
    """A sort key putting later ISO dates first."""
    return tuple(-int(part) for part in day[:10].split("-"))


# -- the chat: "What happened this week?", "Brief me on the harbour since March" -------------------------------

_ASKS_FOR_BRIEF = re.compile(
    r"^\s*(?:(?:please|so|ok(?:ay)?)[,\s]+)?(?:(?P<happened>what(?: has| have)?(?: been)? happen(?:ed|ing))|"
    r"brief me|give me (?:a |the )?brief(?:ing)?|catch me up|bring me up to (?:date|speed)|what did i miss|"
    r"what(?:'s|’s| is| are) (?:new|the news|the headlines|going on)|any news|(?:the )?news|(?:the )?headlines)"
    r"\b(?P<rest>.*)$", re.IGNORECASE)
_TOPIC_WORDS = re.compile(r"^(?:(?:on|about|in|at|around|with|regarding|concerning|for|me|from|of)\s+)+",
                          re.IGNORECASE)
DEFAULT_SINCE = "7d"
"""The period of a brief asked for without one ("brief me on the harbour")."""


@dataclass(frozen=True)
class BriefRequest:
    """A chat question that asks for a brief: its topic ("" for everything) and its period as `brief_period` takes
    it, with the phrase that named it (shown as the period read)."""

    topic: str
    since: str
    until: str
    phrase: str


def brief_request(question: str, as_of: datetime.date) -> BriefRequest | None:
    """The brief a question asks for, or None when it asks something else. A brief is asked for by "brief me",
    "catch me up", "what's new", "any news" (about a topic, over a period: the last 7 days when none is named), or
    "what happened" alone or with a period ("what happened in Maplewood last month?"; "what happened to the
    footbridge?" asks about one thing: it is answered as a question).

    >>> day = datetime.date(2026, 3, 14)
    >>> brief_request("What happened this week?", day)
    BriefRequest(topic='', since='2026-03-09', until='2026-03-14', phrase='this week')
    >>> brief_request("Brief me on the harbour since March", day)
    BriefRequest(topic='the harbour', since='2026-03', until='2026-03-14', phrase='since March')
    >>> [brief_request(question, day) is None for question in ("What happened to the footbridge?",
    ...  "What happened at the council meeting?", "What's new?", "What happened in Maplewood last month?",
    ...  "What did I miss?")]
    [True, True, False, False, False]
    """
    asked = _ASKS_FOR_BRIEF.match(" ".join(question.split()))
    if asked is None:
        return None
    rest = asked.group("rest").strip(" ?.!")
    reading = read_time(rest, as_of) if rest else None
    if reading and (reading.since or reading.until):
        rest = reading.without.strip(" ?.!,")
    dated = bool(reading and reading.since)  # "before March" names no start: answered as a question
    if asked.group("happened") and rest and not dated:
        return None  # "what happened to the footbridge?", "at the council meeting?": a question about one thing
    if re.match(r"^(?:to|is|was|did|does)\b", rest, re.IGNORECASE):
        return None
    topic = _TOPIC_WORDS.sub("", rest).strip(" ?.!,")
    if reading and dated:
        return BriefRequest(topic, reading.since or DEFAULT_SINCE, reading.until, reading.phrase)
    return BriefRequest(topic, DEFAULT_SINCE, "", f"the last {DEFAULT_SINCE[:-1]} days")


def answer_brief(retriever: Retriever, question: str, as_of: datetime.date, count: int = STORIES,
                 min_score: float = MIN_SCORE) -> tuple[Brief, Answer] | None:
    """The brief a chat question asks for (`brief_request`), and the chat's answer made of it: one line per story
    (headline, date, lede, outlets) citing the lede's passage as `[n]`, with the period read; None when the
    question asks something else."""
    request = brief_request(question, as_of)
    if request is None:
        return None
    found = brief(retriever, request.since, request.until, as_of=as_of, topic=request.topic, count=count,
                  min_score=min_score)
    found = dataclasses.replace(found, period=dataclasses.replace(found.period, phrase=request.phrase))
    return found, brief_as_answer(found, question)


class Briefing(Protocol):
    """What `brief_reply` reads of an assistant (`rag.answer.assistant.Assistant`): its retriever (None: no index to
    brief from) and its settings (`as_of`, `min_score`). Read-only, so that an assistant's plain attributes fit."""

    @property
    def retriever(self) -> Retriever | None: ...

    @property
    def settings(self) -> Settings: ...


def brief_reply(assistant: Briefing, question: str, as_of: datetime.date | None = None) -> Answer | None:
    """The brief a question asks for as an assistant's answer (`answer_brief` on its index, with its `min_score`
    and, without `as_of`, its reference date), as the web chat, `rag ask` and `rag chat` give it; None when the
    question asks something else, when no story about the topic it names was published in its period (it is then
    answered as a question), when nothing in the collection is dated, or when the assistant has no index to brief
    from."""
    retriever = assistant.retriever
    if retriever is None:
        return None
    reference = as_of or parse_as_of(assistant.settings.as_of)
    briefed = answer_brief(retriever, question, reference, min_score=assistant.settings.min_score)
    if briefed is None or (not briefed[0].stories and briefed[0].topic):
        # "What happened in Kessling in 2024?" with no story of 2024: asked as a question, the period may be the
        # events' ("the library opened in 2024", reported in 2025) rather than the reports'
        return None
    if not briefed[0].stories and not any(record.published for record in retriever.index.articles.values()):
        return None  # a collection without dates (encyclopedia pages) has no news: "What happened in 1815?" asks
    return briefed[1]


def brief_as_answer(found: Brief, question: str) -> Answer:
    """A brief as an `Answer`: its text lists the stories, each citing its lede (the citations, numbered in order,
    are the stories' ledes, with the other outlets' reports as `same_story`).

    >>> empty = brief_as_answer(Brief(Period("this week", "2026-03-09", "2026-03-14")), "What happened this week?")
    >>> empty.text
    'Nothing was published from 9 March 2026 to 14 March 2026.'
    >>> quiet = Brief(Period("this week", "2026-03-09", "2026-03-14"), earlier=(("Bridge reopens", "2026-03-02"),))
    >>> brief_as_answer(quiet, "Catch me up").text
    'Nothing was published from 9 March 2026 to 14 March 2026. The newest articles before then: “Bridge reopens” \
(2 March 2026).'
    """
    about = f" about {found.topic}" if found.topic else ""
    if not found.stories:
        dates = found.period.describe().split(": ", 1)[-1]
        before = "; ".join(f"“{title}” ({long_date(published)})" for title, published in found.earlier)
        newest = f" The newest articles before then: {before}." if before else ""
        return Answer(question, f"Nothing{about} was published from {dates}.{newest}", period=found.period)
    lines = []
    citations = []
    for number, story in enumerate(found.stories, start=1):
        citations.append(dataclasses.replace(story.lede, number=number))
        lines.append(f"{number}. {story.headline} ({long_date(story.published)}): “{story.lede.quote}” [{number}] "
                     f"— {story.reported_by_text}.")
    more = f"\n\n{found.more} more stories were published then." if found.more else ""
    text = f"The stories{about}, most reported first:\n\n" + "\n".join(lines) + more
    return Answer(question, text, tuple(citations), period=found.period)
