"""Followed questions: "tell me when this changes". A question is followed on an index (`add_follow`), kept with it
(`rag.store.follows`: the folder's `follows.json` or the database's `rag_follows`), and re-asked after every
indexing run that adds or changes articles (`refresh_follows`) — only the questions whose retrieval now reaches one
of those articles, not all of them. When the answer's cited articles or its checked text change, a new dated
answer is recorded (`FollowedAnswer`; the history of each question is kept, oldest first) and the change is
returned (`Change`), for the Atom feed, the API and the webhook (`Notifier`: POSTs each change as JSON in the
background, with a timeout and retries with back-off; a failure is a log line, and the change stays recorded).

The cost of a run is bounded: a question found due is first recorded as pending with the index (`Pending`,
`mark_due`), then the pending ones are asked, oldest first, while the run's time budget lasts (`ask_pending`); the
rest stay pending, asked by the next run first, by `rag follow refresh`, or by a server's background worker
(`FollowWorker`, which uploads and watched runs hand theirs to without waiting). A question due twice while pending
is asked once.

Who calls it: `rag index`, `rag watch` (`after_indexing`), `rag serve` and uploads (`FollowWorker.queue`).
"""

from __future__ import annotations

import datetime
import hashlib
import logging
import threading
import time
from collections.abc import Callable, Collection, Iterable, Sequence
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
WORKER_POLL = 60.0
"""Seconds between a server's looks for pending questions that another process (`rag index`) left."""
REACH = 5
"""Hits of a followed question's search that may hold a new article for it to be re-asked (the k of an answer);
only the relevant ones count (`reaches`)."""


class Asker(Protocol):
    """What re-asking needs (`rag.answer.assistant.Assistant`; given a `stream` method too, as the assistant has, an
    answer that would overrun a budget is stopped between its events: `answer_within`)."""

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
class Pending:
    """A followed question due to be asked again and not asked yet: since when (UTC, ISO), and the new articles its
    search reached, in the order they came."""

    since: str
    new_articles: tuple[str, ...] = ()

    def merged(self, articles: Iterable[str]) -> Pending:
        """Due again, for `articles` too: still one re-ask, since the first time.

        >>> Pending("2026-03-01T00:00:00Z", ("a",)).merged(["b", "a"]).new_articles
        ('a', 'b')
        """
        return replace(self, new_articles=tuple(dict.fromkeys((*self.new_articles, *articles))))

    def to_dict(self) -> dict[str, Any]:
        return {"since": self.since, "new_articles": list(self.new_articles)}

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> Pending:
        return cls(str(data["since"]), tuple(data.get("new_articles", ())))


@dataclass(frozen=True)
class Followed:
    """A followed question: its id, text, when it was added, its answers, oldest first, and its pending re-ask
    (None when it is up to date)."""

    id: str
    question: str
    added: str
    answers: tuple[FollowedAnswer, ...] = ()
    pending: Pending | None = None

    @property
    def latest(self) -> FollowedAnswer | None:
        return self.answers[-1] if self.answers else None

    def to_dict(self) -> dict[str, Any]:
        return {"id": self.id, "question": self.question, "added": self.added,
                "answers": [answer.to_dict() for answer in self.answers],
                "pending": self.pending.to_dict() if self.pending else None}

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> Followed:
        pending = data.get("pending")  # absent in a format-1 file: nothing pending
        return cls(str(data["id"]), str(data["question"]), str(data.get("added", "")),
                   tuple(FollowedAnswer.from_dict(answer) for answer in data.get("answers", ())),
                   Pending.from_dict(pending) if pending else None)


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


@dataclass(frozen=True)
class Refreshed:
    """What one re-asking did: the changes it recorded, how many questions it searched, found due (their search
    reaches a new article) and asked, how many were left pending (the budget ran out, or it only queued them;
    those of earlier runs too), and the seconds it took."""

    changes: tuple[Change, ...] = ()
    searched: int = 0
    due: int = 0
    asked: int = 0
    pending: int = 0
    seconds: float = 0.0

    def to_dict(self) -> dict[str, Any]:
        return {"changes": [change.to_dict() for change in self.changes], "searched": self.searched,
                "due": self.due, "asked": self.asked, "pending": self.pending, "seconds": round(self.seconds, 3)}


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


def mark_due(store: FollowStore, asker: Asker, articles: Iterable[str], since: str | None = None) -> tuple[int, int]:
    """Search every followed question and record those whose search reaches one of `articles` as pending (merged
    into a re-ask already pending: one re-ask); how many were searched and how many are due. Nothing is asked."""
    new = set(articles)
    follows = list_follows(store) if new else []
    due = {followed.id: reached for followed in follows if (reached := reaches(asker, followed.question, new))}
    if due:
        since = since or now_text()

        def mark(records: list[dict[str, Any]]) -> list[dict[str, Any]]:
            written = []
            for data in records:  # read again under the lock: a question added or removed meanwhile is kept so
                followed = Followed.from_dict(data)
                if followed.id in due:
                    pending = followed.pending or Pending(since)
                    followed = replace(followed, pending=pending.merged(due[followed.id]))
                written.append(followed.to_dict())
            return written

        store.change(mark)
    return len(follows), len(due)


def pending_follows(store: FollowStore, first: Collection[str] = ()) -> list[Followed]:
    """The followed questions waiting to be asked again: those of ids `first`, then the longest waiting first."""
    waiting = [followed for followed in list_follows(store) if followed.pending is not None]
    return sorted(waiting, key=lambda followed: (followed.id not in first,
                                                 followed.pending.since if followed.pending else ""))


def ask_pending(store: FollowStore, asker: Asker, budget: float | None = None, limit: int | None = None,
                on_progress: Callable[[int, int, Followed], None] | None = None, asked: str | None = None,
                clock: Callable[[], float] = time.monotonic, started: float | None = None,
                first: Collection[str] = ()) -> Refreshed:
    """Ask the pending followed questions again, the longest waiting first, each answer recorded as soon as it is
    given (when it differs from the last one; the question is no longer pending either way), until none is left,
    `limit` were asked, or the `budget` (seconds since `started`, default now; None: no limit) would be exceeded:
    a question is begun only while the time left holds the longest answer this call has seen, and an answer still
    being written when the budget is spent is stopped (`answer_within`). The others stay pending. `first`: ids
    asked before the others (those an earlier run left). `on_progress(number, total, followed)` is called before
    each."""
    started = clock() if started is None else started
    waiting = pending_follows(store, first)
    changes: list[Change] = []
    longest = 0.0
    done = 0
    for followed in waiting:
        if limit is not None and done >= limit:
            break
        if budget is not None and clock() - started + longest >= budget:
            break
        assert followed.pending is not None
        if on_progress is not None:
            on_progress(done + 1, len(waiting), followed)
        began = clock()
        given = answer_within(asker, followed.question, None if budget is None else started + budget, clock)
        longest = max(longest, clock() - began)
        if given is None:  # stopped at the budget: still pending
            break
        done += 1
        answer = FollowedAnswer.of(given, asked or now_text(), followed.pending.new_articles)
        change = _record(store, followed.id, followed.pending, answer)
        if change is not None:
            changes.append(change)
    return Refreshed(tuple(changes), 0, 0, done, len(waiting) - done, clock() - started)


def answer_within(asker: Asker, question: str, deadline: float | None,
                  clock: Callable[[], float] = time.monotonic) -> Answer | None:
    """`asker`'s answer to `question`, or None when `clock` passes `deadline` before it is given: the answer is then
    stopped after its current event (a checked sentence; the model's queue drops the rest), when `asker` streams
    (`rag.answer.assistant.Assistant.stream`); one that only has `ask` always answers.

    >>> class Slow:
    ...     def __init__(self): self.now = 0.0
    ...     def stream(self, question):
    ...         for second in range(3):
    ...             self.now += 1.0
    ...             yield second
    ...         yield Answer(question, "Done.")
    >>> slow = Slow()
    >>> answer_within(slow, "Done?", 1.5, lambda: slow.now) is None
    True
    >>> slow = Slow()
    >>> answer_within(slow, "Done?", 10.0, lambda: slow.now).text
    'Done.'
    """
    stream = getattr(asker, "stream", None)
    if deadline is None or not callable(stream):
        return asker.ask(question)
    events = stream(question)
    try:
        for event in events:
            if isinstance(event, Answer):
                return event
            if clock() >= deadline:
                return None
    finally:
        close = getattr(events, "close", None)
        if callable(close):
            close()
    raise RuntimeError(f"the answer to {question!r} ended without an Answer")


def _record(store: FollowStore, follow: str, pending: Pending, answer: FollowedAnswer) -> Change | None:
    """Record `answer` to the pending re-ask `pending` of question `follow` (if it says something new) and clear
    what it answered: articles that made the question due again meanwhile stay pending. The change, if any."""
    changes: list[Change] = []

    def record(records: list[dict[str, Any]]) -> list[dict[str, Any]]:
        changes.clear()
        written = []
        for data in records:  # read again under the lock: a question added or removed meanwhile is kept so
            followed = Followed.from_dict(data)
            if followed.id == follow:
                previous = followed.latest
                left = [article for article in (followed.pending.new_articles if followed.pending else ())
                        if article not in pending.new_articles]
                followed = replace(followed, pending=replace(followed.pending, new_articles=tuple(left))
                                   if followed.pending and left else None)
                if answer.differs(previous):
                    followed = replace(followed, answers=(*followed.answers, answer))
                    changes.append(Change(followed, previous))
            written.append(followed.to_dict())
        return written

    store.change(record)
    return changes[0] if changes else None


def refresh_follows(store: FollowStore, asker: Callable[[], Asker], articles: Iterable[str],
                    budget: float | None = None, asked: str | None = None,
                    clock: Callable[[], float] = time.monotonic) -> Refreshed:
    """Mark the followed questions whose search reaches one of `articles` (added or changed by an indexing run) as
    due (`mark_due`), then ask the pending ones — those left by earlier runs first — within `budget` seconds
    (`ask_pending`; None: all of them), recording each answer that differs from the last one. Nothing is searched
    or asked when nothing is followed, or nothing is new and nothing pending; `asker` makes the assistant that asks,
    called only when something is to be searched or asked (a `rag index` with nothing followed loads no model)."""
    new = list(dict.fromkeys(articles))
    started = clock()
    follows = list_follows(store)
    asking = budget is None or budget > 0
    if not follows or not (new or (asking and any(followed.pending for followed in follows))):
        return Refreshed()
    chosen = asker()
    earlier = [followed.id for followed in follows if followed.pending]  # asked first: they have waited longest
    searched, due = mark_due(store, chosen, new, asked) if new else (0, 0)
    if not asking:
        return Refreshed((), searched, due, 0, len(pending_follows(store)), clock() - started)
    done = ask_pending(store, chosen, budget, asked=asked, clock=clock, started=started, first=earlier)
    return replace(done, searched=searched, due=due, seconds=clock() - started)


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
                   notifier: Notifier | None = None, budget: float | None = None) -> Refreshed:
    """What `rag index` and `rag watch` do last: mark the followed questions the run's new and changed articles
    (`report`: a `rag.ingest.indexer.IndexReport`) may change as due, ask the pending ones within `budget` seconds
    (`refresh_follows`), record the changes and send them to `notifier`. A failure here is logged and leaves the
    index as the run wrote it (and the questions it marked still pending)."""
    articles = [*getattr(report, "added", ()), *getattr(report, "updated", ())]
    if not location:
        return Refreshed()
    try:
        refreshed = refresh_follows(open_follows(location), asker, articles, budget)
    except Exception:  # the run's articles are indexed whatever happens to the re-asking
        log.exception("re-asking the followed questions failed")
        return Refreshed()
    _tell(refreshed, notifier)
    return refreshed


def _tell(refreshed: Refreshed, notifier: Notifier | None) -> None:
    if refreshed.changes:
        log.info("%d followed question(s) changed: %s", len(refreshed.changes),
                 ", ".join(change.followed.id for change in refreshed.changes))
    if notifier is not None:
        notifier.send(refreshed.changes)


class FollowWorker:
    """Asks the pending followed questions of the index at `location` in a background thread, for a server
    (`rag serve`): uploads and watched runs only mark theirs as due (`queue`) and go on. The thread looks when
    woken, at start (questions left pending before a restart), and every `every` seconds (questions another
    process, such as `rag index`, left pending); it asks one question at a time, each only once `idle()` says the
    model serves no question (a user never waits behind more than one re-ask), and sends the changes to
    `notifier`. `stop()` ends it after the question being asked; what was not asked stays pending."""

    def __init__(self, location: str | Path, asker: Callable[[], Asker], notifier: Notifier | None = None,
                 every: float = WORKER_POLL, idle: Callable[[], bool] | None = None, pause: float = 0.25) -> None:
        self.location = location
        self.asker = asker
        self.notifier = notifier
        self.every = every
        self.idle = idle or (lambda: True)
        self.pause = pause
        self.asked = 0
        self._woken = threading.Event()
        self._stopped = threading.Event()
        self._thread: threading.Thread | None = None

    def start(self) -> FollowWorker:
        if self._thread is None:
            self._thread = threading.Thread(target=self._loop, name="rag-follows", daemon=True)
            self._thread.start()
        return self

    def queue(self, report: Any) -> int:
        """Mark the followed questions an indexing run's new and changed articles (`report`) may change as due
        (searching each followed question: no answer is written here) and wake the thread; how many it found due.
        A failure is logged (the run's articles stay indexed) and counts none."""
        articles = [*getattr(report, "added", ()), *getattr(report, "updated", ())]
        if not articles:
            return 0
        try:
            refreshed = refresh_follows(open_follows(self.location), self.asker, articles, budget=0)
        except Exception:
            log.exception("choosing the followed questions to ask again failed")
            return 0
        self.start()
        self.wake()
        return refreshed.due

    def wake(self) -> None:
        self._woken.set()

    def stop(self, timeout: float = 5.0) -> None:
        self._stopped.set()
        self._woken.set()
        if self._thread is not None:
            self._thread.join(timeout)

    def _loop(self) -> None:
        while not self._stopped.is_set():
            self._woken.clear()
            try:
                self._ask_all()
            except Exception:  # a bug or a failing model: logged, and tried again at the next look
                log.exception("asking the pending followed questions failed")
            self._woken.wait(self.every)

    def _ask_all(self) -> None:
        store = open_follows(self.location)
        while not self._stopped.is_set() and pending_follows(store):
            while not self.idle():  # a user's question first
                if self._stopped.wait(self.pause):
                    return
            refreshed = ask_pending(store, self.asker(), limit=1)
            self.asked += refreshed.asked
            _tell(refreshed, self.notifier)
