"""Followed questions: "tell me when this changes". A question is followed on an index (`add_follow`), kept with it
(`rag.store.follows`: the folder's `follows.json` or the database's `rag_follows`), and re-asked after every
indexing run that adds or changes articles (`refresh_follows`) — only the questions whose retrieval now reaches one
of those articles, not all of them. When the answer's cited articles or its checked text change, a new dated
answer is recorded (`FollowedAnswer`; the history of each question is kept, oldest first) and the change is
returned (`Change`), for the Atom feed, the API and the webhook (`Notifier`: POSTs each change as JSON in the
background, with a timeout and retries with back-off; a failure is a log line, and the change stays recorded).

Who calls it: `rag index`, `rag watch`, `rag serve --watch` and uploads, after their run (`after_indexing`).
"""

from __future__ import annotations

import datetime
import hashlib
import logging
import threading
import time
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any, Protocol

from rag.answer.retrieve import RECENT_SHARE
from rag.errors import InvalidRequestError
from rag.records import Answer, Hit
from rag.store.follows import FollowStore, open_follows
from rag.thresholds import MIN_SCORE

log = logging.getLogger(__name__)

NOTIFY_TIMEOUT = 10.0
"""Seconds a webhook has to answer one POST."""
NOTIFY_RETRIES = 3
"""Attempts after the first, waiting `NOTIFY_BACKOFF` seconds, then twice, four times as long."""
NOTIFY_BACKOFF = 2.0
REACH = 5
"""Hits of a followed question's search that may hold a new article for it to be re-asked (the k of an answer);
only the relevant ones count (`reaches`)."""


class Asker(Protocol):
    """What re-asking needs (`rag.answer.assistant.Assistant`)."""

    def ask(self, question: str) -> Answer: ...

    def search(self, question: str, k: int | None = None) -> list[Hit]: ...


@dataclass(frozen=True)
class FollowedAnswer:
    """One dated answer of a followed question: when it was asked (UTC, ISO), its checked text, the articles it
    cites (ids, in citation order) and what is shown of them, whether it refused, and the new articles that made
    it be asked again (empty for the first answer)."""

    asked: str
    text: str
    articles: tuple[str, ...] = ()
    sources: tuple[dict[str, str], ...] = ()
    refused: bool = False
    new_articles: tuple[str, ...] = ()

    @classmethod
    def of(cls, answer: Answer, asked: str, new_articles: Iterable[str] = ()) -> FollowedAnswer:
        cited = [citation.passage for citation in answer.citations]
        return cls(asked, answer.text, tuple(dict.fromkeys(passage.article_id for passage in cited)),
                   tuple({"article_id": passage.article_id, "title": passage.title, "source": passage.source,
                          "url": passage.url, "published": passage.published} for passage in cited),
                   answer.refused, tuple(new_articles))

    def differs(self, other: FollowedAnswer | None) -> bool:
        """Whether this answer says something else than `other`: other cited articles, or other checked text.

        >>> first = FollowedAnswer("2026-03-01T00:00:00Z", "Closed [1].", ("a",))
        >>> first.differs(replace(first, asked="2026-03-02T00:00:00Z")), first.differs(replace(first, articles=("b",)))
        (False, True)
        """
        return other is None or other.articles != self.articles or " ".join(other.text.split()) != " ".join(
            self.text.split())

    def to_dict(self) -> dict[str, Any]:
        return {"asked": self.asked, "text": self.text, "articles": list(self.articles),
                "sources": [dict(source) for source in self.sources], "refused": self.refused,
                "new_articles": list(self.new_articles)}

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> FollowedAnswer:
        return cls(str(data["asked"]), str(data.get("text", "")), tuple(data.get("articles", ())),
                   tuple(dict(source) for source in data.get("sources", ())), bool(data.get("refused", False)),
                   tuple(data.get("new_articles", ())))


@dataclass(frozen=True)
class Followed:
    """A followed question: its id, text, when it was added, and its answers, oldest first."""

    id: str
    question: str
    added: str
    answers: tuple[FollowedAnswer, ...] = ()

    @property
    def latest(self) -> FollowedAnswer | None:
        return self.answers[-1] if self.answers else None

    def to_dict(self) -> dict[str, Any]:
        return {"id": self.id, "question": self.question, "added": self.added,
                "answers": [answer.to_dict() for answer in self.answers]}

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> Followed:
        return cls(str(data["id"]), str(data["question"]), str(data.get("added", "")),
                   tuple(FollowedAnswer.from_dict(answer) for answer in data.get("answers", ())))


@dataclass(frozen=True)
class Change:
    """A followed question whose answer changed: the question with its new answer last, and the one before."""

    followed: Followed
    previous: FollowedAnswer | None

    def to_dict(self) -> dict[str, Any]:
        """What the webhook is sent."""
        current = self.followed.latest
        return {"event": "followed-answer-changed", "id": self.followed.id, "question": self.followed.question,
                "answer": current.to_dict() if current else None,
                "previous": self.previous.to_dict() if self.previous else None}


def now_text() -> str:
    """The current time, UTC, to the second, as the records keep it."""
    return datetime.datetime.now(datetime.timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")


def follow_id(question: str, added: str) -> str:
    """A short id for a followed question.

    >>> follow_id("Has the footbridge reopened?", "2026-03-01T00:00:00Z")
    'f-eb2d602c'
    """
    return "f-" + hashlib.sha256(f"{question}\x1f{added}".encode()).hexdigest()[:8]


def list_follows(store: FollowStore) -> list[Followed]:
    """The followed questions, oldest first."""
    return [Followed.from_dict(record) for record in store.read()]


def add_follow(store: FollowStore, question: str, asker: Asker | None = None) -> Followed:
    """Follow `question` (answered now, when `asker` is given: its first answer). The same question twice is
    followed once."""
    question = " ".join(question.split())
    if not question:
        raise InvalidRequestError("a followed question needs some text")
    for followed in list_follows(store):
        if followed.question.lower() == question.lower():
            return followed
    added = now_text()
    first = (FollowedAnswer.of(asker.ask(question), added),) if asker is not None else ()
    followed = Followed(follow_id(question, added), question, added, first)
    store.change(lambda records: [*records, followed.to_dict()])
    return followed


def remove_follow(store: FollowStore, follow: str) -> Followed:
    """Stop following the question with id `follow` (refused when there is none); what was removed."""
    gone = [followed for followed in list_follows(store) if followed.id == follow]
    if not gone:
        raise InvalidRequestError(f"no followed question has the id {follow!r} (`rag follow list` shows them)")
    store.change(lambda records: [record for record in records if record.get("id") != follow])
    return gone[0]


def reaches(asker: Asker, question: str, articles: set[str], k: int = REACH, min_score: float = MIN_SCORE) -> list[str]:
    """The articles of `articles` the search for `question` now finds among its top `k` stories and relevant
    (scoring at least `min_score` and `RECENT_SHARE` of the best, as "latest" counts relevance; a story's other
    reports count): those that may change its answer.

    >>> from rag.records import Passage
    >>> class Found:
    ...     def search(self, question, k=None):
    ...         scored = (("old", 0.9), ("new", 0.8), ("weak", 0.1))
    ...         return [Hit(Passage(a, "", "", "", "", 0, 0), s) for a, s in scored]
    >>> reaches(Found(), "Is it open?", {"new", "weak"})
    ['new']
    """
    found: dict[str, None] = {}
    hits = asker.search(question, k)
    floor = max(min_score, RECENT_SHARE * max((hit.score for hit in hits), default=0.0))
    for hit in hits:
        if hit.score < floor:
            continue
        for passage in (hit.passage, *hit.same_story):
            if passage.article_id in articles:
                found[passage.article_id] = None
    return list(found)


def refresh_follows(store: FollowStore, asker: Callable[[], Asker], articles: Iterable[str],
                    asked: str | None = None) -> list[Change]:
    """Re-ask the followed questions whose search reaches one of `articles` (added or changed by an indexing run)
    and record each answer that differs from the last one; the changes. Nothing is searched when `articles` is
    empty or nothing is followed; `asker` makes the assistant that asks, called only when something is to be
    searched (a `rag index` with nothing followed loads no model)."""
    new = set(articles)
    if not new:
        return []
    follows = list_follows(store)
    if not follows:
        return []
    chosen = asker()
    asked = asked or now_text()
    answers: dict[str, FollowedAnswer] = {}
    for followed in follows:
        reached = reaches(chosen, followed.question, new)
        if not reached:
            continue
        answer = FollowedAnswer.of(chosen.ask(followed.question), asked, reached)
        if answer.differs(followed.latest):
            answers[followed.id] = answer
    if not answers:
        return []
    changes: list[Change] = []

    def record(records: list[dict[str, Any]]) -> list[dict[str, Any]]:
        changes.clear()
        written = []
        for data in records:  # read again under the lock: a question added or removed meanwhile is kept so
            followed = Followed.from_dict(data)
            if followed.id in answers:
                previous = followed.latest
                followed = replace(followed, answers=(*followed.answers, answers[followed.id]))
                changes.append(Change(followed, previous))
            written.append(followed.to_dict())
        return written

    store.change(record)
    return list(changes)


def changes_of(follows: Sequence[Followed]) -> list[Change]:
    """Every change recorded: each answer after a question's first, with the one before it, newest first."""
    found = [Change(replace(followed, answers=followed.answers[:number + 1]), followed.answers[number - 1])
             for followed in follows for number in range(1, len(followed.answers))]
    return sorted(found, key=lambda change: change.followed.answers[-1].asked, reverse=True)


# -- after an indexing run ----------------------------------------------------------------------------------------


class Notifier:
    """POSTs each change as JSON to `url` in a background thread (indexing never waits for it): `timeout` seconds
    per attempt, `retries` more attempts after `backoff`, twice and four times as long; a change that could not be
    delivered is a warning in the log (it stays recorded with the index: `GET /api/follows`, the Atom feed)."""

    def __init__(self, url: str, timeout: float = NOTIFY_TIMEOUT, retries: int = NOTIFY_RETRIES,
                 backoff: float = NOTIFY_BACKOFF) -> None:
        from rag.records import safe_url

        if not safe_url(url):
            raise InvalidRequestError(f"--notify needs an http(s) URL, got {url!r}")
        self.url = url
        self.timeout = timeout
        self.retries = retries
        self.backoff = backoff
        self.threads: list[threading.Thread] = []

    def send(self, changes: Sequence[Change]) -> threading.Thread | None:
        """Start delivering `changes` (in order); the thread doing it, None when there is nothing to send."""
        if not changes:
            return None
        thread = threading.Thread(target=self._deliver, args=([change.to_dict() for change in changes],),
                                  name="rag-notify", daemon=True)
        self.threads = [*(alive for alive in self.threads if alive.is_alive()), thread]
        thread.start()
        return thread

    def _deliver(self, payloads: list[dict[str, Any]]) -> None:
        import httpx

        for payload in payloads:
            for attempt in range(self.retries + 1):
                try:
                    response = httpx.post(self.url, json=payload, timeout=self.timeout)
                    if response.status_code < 300:
                        break
                    problem = f"HTTP {response.status_code}"
                except httpx.HTTPError as error:
                    problem = f"{type(error).__name__}: {error}"
                if attempt < self.retries:
                    time.sleep(self.backoff * 2 ** attempt)
            else:
                log.warning("could not notify %s of the change to followed question %s after %d attempts (%s); "
                            "the change is kept with the index", self.url, payload["id"], self.retries + 1, problem)


def after_indexing(location: str | Path, report: Any, asker: Callable[[], Asker],
                   notifier: Notifier | None = None) -> list[Change]:
    """What every indexing run does last: re-ask the followed questions its new and changed articles (`report`:
    a `rag.ingest.indexer.IndexReport`) may change, record the changes and send them to `notifier`. A failure
    here is logged and leaves the index as the run wrote it."""
    articles = [*getattr(report, "added", ()), *getattr(report, "updated", ())]
    if not articles or not location:
        return []
    try:
        changes = refresh_follows(open_follows(location), asker, articles)
    except Exception:  # the run's articles are indexed whatever happens to the re-asking
        log.exception("re-asking the followed questions failed")
        return []
    if changes:
        log.info("%d followed question(s) changed: %s", len(changes),
                 ", ".join(change.followed.id for change in changes))
    if notifier is not None:
        notifier.send(changes)
    return changes
