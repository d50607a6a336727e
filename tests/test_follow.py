"""Followed questions (`rag.follow`, `rag.store.follows`): kept with the index in a versioned file, re-asked only
when an indexing run brings an article their search reaches, a new dated answer recorded only when the cited
articles or the checked text change; a run's time budget (the rest pending, kept with the index, asked once
however often due), the server's background worker and uploads that do not wait for it; the webhook (received,
and a server that is down), the API and the Atom feed; an answer that changes when the article that answers it
arrives through a feed served by a local HTTP server; and `rag follow` with the real models."""

from __future__ import annotations

import contextlib
import json
import logging
import shutil
import threading
from collections.abc import Iterator
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import pytest

from rag.errors import IndexFormatError, InvalidRequestError
from rag.follow import (
    Followed,
    FollowedAnswer,
    FollowWorker,
    Notifier,
    add_follow,
    after_indexing,
    ask_pending,
    changes_of,
    list_follows,
    mark_due,
    refresh_follows,
    remove_follow,
)
from rag.records import Answer, Citation, Hit, Passage, Prompt, TextChunk
from rag.store.follows import FOLLOWS_FILE, FileFollows, FollowStore, open_follows
from tests.conftest import FakeEmbedder, ScriptedLLM, free_port
from tests.local_site import LocalSite, rss
from tests.test_browser import browser  # noqa: F401  (headless Chromium, skipped where there is none)
from tests.test_store_contract import server  # noqa: F401  (the private PostgreSQL server fixture)

QUESTION = "Has the Maplewood footbridge reopened?"


def passage(article: str, text: str = "The footbridge is closed.") -> Passage:
    return Passage(article, f"Title {article}", "Gazette", f"https://gazette.example/{article}", text, 0, len(text),
                   published="2026-03-14")


@dataclass
class Stub:
    """An assistant whose search finds `found` (article ids) and whose answer cites `cites`."""

    found: list[str] = field(default_factory=list)
    cites: list[str] = field(default_factory=list)
    text: str = "The footbridge is closed [1]."
    asked: list[str] = field(default_factory=list)
    searched: list[str] = field(default_factory=list)

    def search(self, question: str, k: int | None = None) -> list[Hit]:
        self.searched.append(question)
        return [Hit(passage(article), 0.9) for article in self.found]

    def ask(self, question: str) -> Answer:
        self.asked.append(question)
        return Answer(question, self.text, tuple(Citation(number, passage(article))
                                                 for number, article in enumerate(self.cites, start=1)))


@pytest.fixture
def store(tmp_path: Path) -> FileFollows:
    return FileFollows(tmp_path / "index")


# -- kept with the index -----------------------------------------------------------------------------------------


def test_follows_are_kept_in_a_versioned_readable_file_with_the_index(store: FileFollows) -> None:
    stub = Stub(found=["a"], cites=["a"])
    followed = add_follow(store, f"  {QUESTION} ", stub)
    assert followed.question == QUESTION and len(followed.answers) == 1 and followed.latest
    assert followed.latest.articles == ("a",) and followed.latest.new_articles == ()
    data = json.loads((store.folder / FOLLOWS_FILE).read_text())
    assert data["format"] == 2 and data["follows"][0]["question"] == QUESTION
    assert data["follows"][0]["pending"] is None
    assert add_follow(store, QUESTION.upper(), stub).id == followed.id  # followed once
    assert [item.id for item in list_follows(open_follows(store.folder))] == [followed.id]  # another reader sees it
    other = add_follow(store, "Who won the regatta?")
    assert [item.id for item in list_follows(store)] == [followed.id, other.id]
    assert remove_follow(store, followed.id).question == QUESTION
    assert [item.id for item in list_follows(store)] == [other.id]
    with pytest.raises(InvalidRequestError, match="no followed question"):
        remove_follow(store, "f-nothing")
    (store.folder / FOLLOWS_FILE).write_text(json.dumps({"format": 99, "follows": []}))
    with pytest.raises(IndexFormatError, match="newer version"):
        list_follows(store)


def test_a_format_1_file_reads_as_nothing_pending_and_is_written_as_format_2(store: FileFollows) -> None:
    store.folder.mkdir(parents=True)
    old = {"id": "f-1", "question": QUESTION, "added": "2026-03-01T00:00:00Z", "answers": []}
    (store.folder / FOLLOWS_FILE).write_text(json.dumps({"format": 1, "follows": [old]}))
    assert [followed.pending for followed in list_follows(store)] == [None]
    assert mark_due(store, Stub(found=["b"]), ["b"]) == (1, 1)
    data = json.loads((store.folder / FOLLOWS_FILE).read_text())
    assert data["format"] == 2 and data["follows"][0]["pending"]["new_articles"] == ["b"]


# -- re-asked only when it may change ------------------------------------------------------------------------------


def test_only_questions_whose_search_reaches_a_new_article_are_re_asked(store: FileFollows) -> None:
    first = Stub(found=["a"], cites=["a"])
    bridge = add_follow(store, QUESTION, first)
    regatta = add_follow(store, "Who won the regatta?", first)
    made: list[Stub] = []

    def assistant(stub: Stub) -> Any:
        def make() -> Stub:
            made.append(stub)
            return stub
        return make

    assert refresh_follows(store, assistant(Stub()), []).searched == 0 and not made  # nothing new: nothing made
    same = Stub(found=["a", "b"], cites=["a"])  # reaches b; the same answer
    assert refresh_follows(store, assistant(same), ["b"]).changes == ()
    assert same.asked == [QUESTION, "Who won the regatta?"] and len(list_follows(store)[0].answers) == 1

    class Reaching(Stub):
        def search(self, question: str, k: int | None = None) -> list[Hit]:
            self.searched.append(question)
            return [Hit(passage("c"), 0.9)] if question == QUESTION else [Hit(passage("a"), 0.9)]

    reopened = Reaching(cites=["c"], text="The footbridge reopened on Saturday [1].")
    changes = refresh_follows(store, assistant(reopened), ["c"], asked="2026-03-15T08:00:00Z").changes
    assert reopened.asked == [QUESTION]  # the regatta's search reaches no new article: not asked
    assert [change.followed.id for change in changes] == [bridge.id]
    history = list_follows(store)[0].answers
    assert [answer.articles for answer in history] == [("a",), ("c",)]  # oldest first
    assert history[-1].asked == "2026-03-15T08:00:00Z" and history[-1].new_articles == ("c",)
    assert changes[0].previous == history[0] and changes[0].to_dict()["answer"]["articles"] == ["c"]
    assert len(list_follows(store)[1].answers) == 1 and list_follows(store)[1].id == regatta.id
    assert [change.followed.answers[-1] for change in changes_of(list_follows(store))] == [history[-1]]
    reworded = Reaching(cites=["c"], text="Pedestrians can use the footbridge again [1].")
    assert len(refresh_follows(store, assistant(reworded), ["c"]).changes) == 1  # same articles, other words
    assert not any(followed.pending for followed in list_follows(store))  # no budget: every due one was asked


def test_a_failure_while_re_asking_leaves_the_run_alone(store: FileFollows,
                                                         caplog: pytest.LogCaptureFixture) -> None:
    add_follow(store, QUESTION, Stub(found=["a"], cites=["a"]))

    from rag.ingest.indexer import IndexReport

    report = IndexReport(added=["b"])

    def broken() -> Stub:
        raise RuntimeError("the model is gone")

    with caplog.at_level(logging.ERROR):
        assert after_indexing(store.folder, report, broken).changes == ()
    assert "re-asking the followed questions failed" in caplog.text


# -- the cost of a run: a budget, the rest pending -----------------------------------------------------------------


@dataclass
class Clock:
    """A clock that only moves when an answer takes its `steps` seconds: budgets tested without waiting."""

    now: float = 0.0

    def __call__(self) -> float:
        return self.now


@dataclass
class Timed(Stub):
    """A `Stub` whose every answer takes `steps` seconds of `clock`, and whose search finds whatever is new."""

    clock: Clock = field(default_factory=Clock)
    steps: float = 3.0

    def ask(self, question: str) -> Answer:
        self.clock.now += self.steps
        return super().ask(question)


def follow_many(store: FollowStore, count: int) -> list[Followed]:
    return [add_follow(store, f"Question {number}?") for number in range(count)]


def test_a_run_asks_within_its_budget_and_leaves_the_rest_pending(store: FileFollows) -> None:
    follows = follow_many(store, 5)
    timed = Timed(found=["b"], cites=["b"])
    refreshed = refresh_follows(store, lambda: timed, ["b"], budget=10.0, clock=timed.clock)
    # asked at 0, 3 and 6 s; at 9 s the longest answer (3 s) no longer fits in the 10 s
    assert (refreshed.searched, refreshed.due, refreshed.asked, refreshed.pending) == (5, 5, 3, 2)
    assert timed.asked == [followed.question for followed in follows[:3]] and timed.clock.now == 9.0
    assert len(refreshed.changes) == 3
    waiting = [followed for followed in list_follows(store) if followed.pending]
    assert [followed.id for followed in waiting] == [followed.id for followed in follows[3:]]
    assert all(followed.pending and followed.pending.new_articles == ("b",) for followed in waiting)
    later = Timed(found=["c"], cites=["c"])  # the next run: its own due ones after those left pending
    refreshed = refresh_follows(store, lambda: later, ["c"], budget=10.0, clock=later.clock)
    assert later.asked[:2] == [followed.question for followed in follows[3:]] and refreshed.pending == 2
    assert later.asked[2] == follows[0].question  # then this run's own, while the budget lasts
    first = list_follows(store)[3]  # left pending for "b", due again for "c": asked once, for both
    assert first.latest and first.latest.new_articles == ("b", "c") and first.pending is None
    assert [followed.pending.new_articles for followed in list_follows(store) if followed.pending] == [("c",)] * 2
    assert refresh_follows(store, lambda: later, [], budget=0).asked == 0  # a budget of 0 asks none
    nothing = Timed()
    assert refresh_follows(store, lambda: nothing, [], budget=100.0).asked == 2  # pending: asked by any run
    assert nothing.searched == [] and not any(followed.pending for followed in list_follows(store))


def test_an_answer_that_would_overrun_the_budget_is_stopped_and_stays_pending(store: FileFollows) -> None:
    @dataclass
    class Streaming(Timed):
        """Writes its answer in three sentences of `steps` seconds each (as `Assistant.stream` yields them)."""

        closed: list[str] = field(default_factory=list)

        def stream(self, question: str) -> Iterator[Any]:
            try:
                for sentence in ("It", "reopened", "today."):
                    self.clock.now += self.steps
                    yield TextChunk(sentence)
                yield super().ask(question)
            finally:
                self.closed.append(question)

    followed = add_follow(store, QUESTION)
    slow = Streaming(found=["b"], cites=["b"], steps=2.0)
    refreshed = refresh_follows(store, lambda: slow, ["b"], budget=5.0, clock=slow.clock)
    assert (refreshed.asked, refreshed.pending, slow.clock.now) == (0, 1, 6.0)  # stopped after its 3rd sentence
    assert slow.closed == [QUESTION] and slow.asked == []  # the model stopped writing
    assert list_follows(store)[0].pending and not list_follows(store)[0].answers
    assert ask_pending(store, slow).asked == 1 and list_follows(store)[0].id == followed.id  # no budget: answered
    assert list_follows(store)[0].pending is None and len(list_follows(store)[0].answers) == 1


def test_a_question_due_twice_while_pending_is_asked_once(store: FileFollows) -> None:
    followed = add_follow(store, QUESTION)
    for article in ("b", "c"):
        finder = Stub(found=[article])
        assert refresh_follows(store, lambda: finder, [article], budget=0).due == 1  # noqa: B023 (called here)
    assert (pending := list_follows(store)[0].pending) and pending.new_articles == ("b", "c")
    stub = Stub(cites=["c"])
    progress: list[tuple[int, int, str]] = []
    refreshed = ask_pending(store, stub, on_progress=lambda number, total, item: progress.append(
        (number, total, item.id)))
    assert stub.asked == [QUESTION] and progress == [(1, 1, followed.id)] and refreshed.asked == 1
    latest = list_follows(store)[0]
    assert latest.pending is None and latest.latest and latest.latest.new_articles == ("b", "c")
    assert ask_pending(store, stub).asked == 0 and stub.asked == [QUESTION]


@dataclass
class Blocking(Stub):
    """A `Stub` whose answers wait for `release`; `answered` is set once one is given."""

    release: threading.Event = field(default_factory=threading.Event)
    answered: threading.Event = field(default_factory=threading.Event)

    def ask(self, question: str) -> Answer:
        self.release.wait(30)
        self.answered.set()
        return super().ask(question)


def wait_until_nothing_pending(store: FollowStore) -> None:
    for _ in range(400):  # the worker records in its own thread; no timing is asserted, only the outcome
        if not any(followed.pending for followed in list_follows(store)):
            return
        threading.Event().wait(0.05)
    raise AssertionError("the worker did not ask the pending questions")


def test_the_worker_asks_what_was_left_pending_once_the_model_is_idle(store: FileFollows) -> None:
    add_follow(store, QUESTION)
    mark_due(store, Stub(found=["b"]), ["b"])  # left pending by an earlier run, before the server started
    stub = Stub(cites=["b"])
    busy, looked = threading.Event(), threading.Event()

    def idle() -> bool:
        looked.set()
        return not busy.is_set()

    busy.set()  # a user's question is being answered
    worker = FollowWorker(store.folder, lambda: stub, idle=idle, pause=0.01).start()
    try:
        assert looked.wait(10) and stub.asked == []  # it waits for the model to be free
        busy.clear()
        wait_until_nothing_pending(store)
    finally:
        worker.stop()
    assert stub.asked == [QUESTION] and worker.asked == 1
    assert [answer.articles for answer in list_follows(store)[0].answers] == [("b",)]


def test_an_upload_replies_before_the_questions_it_queued_are_asked(tmp_path: Path) -> None:
    from fastapi.testclient import TestClient

    from rag.answer.assistant import Assistant
    from rag.answer.retrieve import Retriever
    from rag.ingest.indexer import UpdateOptions, update_index
    from rag.serve.app import article_adder, create_app
    from rag.settings import Settings

    articles, folder = tmp_path / "articles", tmp_path / "index"
    articles.mkdir()
    (articles / "closed.md").write_text(f"# Footbridge shut\n\n{CLOSED}\n", "utf-8")
    update_index([articles], folder, FakeEmbedder(), UpdateOptions(progress=False))
    assistant = Assistant(Retriever.load(folder, FakeEmbedder()), ScriptedLLM(), Settings(index=str(folder)))
    add_follow(open_follows(folder), QUESTION)

    class Reaching(Blocking):
        def search(self, question: str, k: int | None = None) -> list[Hit]:  # the index's own hits, all relevant
            return [Hit(hit.passage, 0.9) for hit in assistant.search(question, k)]

    asker = Reaching(cites=["x"])
    worker = FollowWorker(folder, lambda: asker)
    try:
        with TestClient(create_app(assistant, add_articles=article_adder(assistant, worker))) as client:
            response = client.post("/api/index", files=[
                ("files", ("reopened.md", f"# Footbridge reopens\n\n{REOPENED}\n".encode(), "text/markdown"))])
        assert response.status_code == 200, response.text
        assert response.json()["followed_queued"] == 1 and not asker.answered.is_set()  # replied first
        assert list_follows(open_follows(folder))[0].pending is not None  # kept with the index meanwhile
        asker.release.set()
        wait_until_nothing_pending(open_follows(folder))
        assert asker.asked == [QUESTION]
    finally:
        asker.release.set()
        worker.stop()


def test_the_server_s_worker_waits_while_the_model_is_busy(tmp_path: Path) -> None:
    import types

    from rag.serve.queue import QueuedLLM
    from rag.serve.start import follow_worker

    def served(location: str) -> Any:
        return types.SimpleNamespace(retriever=types.SimpleNamespace(index=types.SimpleNamespace(location=location)))

    class Held(ScriptedLLM):
        """Writes one word, then waits for `release`."""

        release = threading.Event()

        def stream(self, prompt: Prompt, max_tokens: int = 160, temperature: float = 0.0) -> Iterator[str]:
            yield "Hi"
            self.release.wait(30)

    held = Held()
    queued = QueuedLLM(held)
    try:
        assert follow_worker(served(""), queued) is None  # no index on disk: nothing to keep follows with
        worker = follow_worker(served(str(tmp_path / "index")), queued)
        assert worker is not None and worker.idle()
        worker.stop()
        job = queued.stream(Prompt(({"role": "user", "content": "Hi"},), "", ()))
        assert next(job) == "Hi"  # a question being answered: the worker waits
        assert not worker.idle()
        held.release.set()
        assert list(job) == [] and worker.idle()
    finally:
        held.release.set()
        queued.close()


# -- the webhook -------------------------------------------------------------------------------------------------


@pytest.fixture
def receiver() -> Iterator[tuple[str, list[dict[str, Any]]]]:
    """A local server recording the JSON POSTed to it (the first POST is answered 503, to be retried)."""
    received: list[dict[str, Any]] = []
    attempts: list[int] = []

    class Handler(BaseHTTPRequestHandler):
        def do_POST(self) -> None:
            body = self.rfile.read(int(self.headers.get("Content-Length", 0)))
            attempts.append(1)
            if len(attempts) == 1:
                self.send_response(503)
            else:
                received.append(json.loads(body))
                self.send_response(204)
            self.end_headers()

        def log_message(self, format: str, *args: object) -> None:
            """Silent: the test's assertions say what went wrong, not the request log."""

    hook = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=hook.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{hook.server_address[1]}/hook", received
    finally:
        hook.shutdown()
        hook.server_close()


def change_of(store: FollowStore) -> list[Any]:
    add_follow(store, QUESTION, Stub(found=["a"], cites=["a"]))
    return list(refresh_follows(store, lambda: Stub(found=["c"], cites=["c"], text="It reopened [1]."), ["c"]).changes)


def test_each_change_is_posted_as_json_with_retries(store: FileFollows,
                                                     receiver: tuple[str, list[dict[str, Any]]]) -> None:
    url, received = receiver
    changes = change_of(store)
    thread = Notifier(url, timeout=5, retries=2, backoff=0.05).send(changes)
    assert thread is not None
    thread.join(10)
    assert [payload["question"] for payload in received] == [QUESTION]  # delivered on the second attempt
    assert received[0]["answer"]["articles"] == ["c"] and received[0]["previous"]["articles"] == ["a"]
    assert Notifier(url).send([]) is None
    with pytest.raises(InvalidRequestError):
        Notifier("ftp://example/hook")


def test_a_webhook_that_is_down_is_a_log_line_and_the_change_stays(store: FileFollows,
                                                                    caplog: pytest.LogCaptureFixture) -> None:
    changes = change_of(store)
    down = f"http://127.0.0.1:{free_port()}/hook"
    with caplog.at_level(logging.WARNING):
        thread = Notifier(down, timeout=1, retries=2, backoff=0.01).send(changes)
        assert thread is not None
        thread.join(10)
    assert "could not notify" in caplog.text and "after 3 attempts" in caplog.text
    assert len(list_follows(store)[0].answers) == 2  # nothing lost: the change is recorded with the index


# -- an article arriving through a feed ------------------------------------------------------------------------


CLOSED = ("The Maplewood footbridge over the Lenn was closed on Monday after inspectors found corroded cables. "
          "Repairs are expected to take until spring.")
REOPENED = ("The Maplewood footbridge reopened on Saturday morning after nine weeks of repairs. "
            "Pedestrians can use the Maplewood footbridge again.")
CLOSED_ITEM = {"title": "Maplewood footbridge shut", "description": CLOSED, "guid": "tag:gazette,1",
               "link": "https://gazette.example/shut", "pubDate": "Mon, 12 Jan 2026 09:00:00 GMT"}
REOPENED_ITEM = {"title": "Footbridge reopens", "description": REOPENED, "guid": "tag:gazette,2",
                 "link": "https://gazette.example/reopens", "pubDate": "Sat, 14 Mar 2026 09:00:00 GMT"}


def test_the_answer_changes_when_the_article_that_answers_it_arrives_through_a_feed(
        site: LocalSite, tmp_path: Path, receiver: tuple[str, list[dict[str, Any]]]) -> None:
    from rag.answer.assistant import Assistant
    from rag.answer.retrieve import Retriever
    from rag.ingest.indexer import UpdateOptions, update_index
    from rag.ingest.web import WebClient

    url, received = receiver
    folder = tmp_path / "index"
    feed = site.put("/feed.xml", rss("Maplewood Gazette", [CLOSED_ITEM]), "application/rss+xml")
    embedder = FakeEmbedder()
    with WebClient(timeout=5) as web:
        def run() -> Any:
            return update_index([feed], folder, embedder, UpdateOptions(progress=False), web=web)

        run()
        model = ScriptedLLM("The footbridge was closed on Monday [1].",
                            "The footbridge reopened on Saturday morning [1].")
        assistant = Assistant(Retriever.load(folder, embedder), model)
        followed = add_follow(open_follows(folder), QUESTION, assistant)
        assert followed.latest and len(followed.latest.articles) == 1
        notifier = Notifier(url, timeout=5, retries=2, backoff=0.05)
        again = run()
        asked: list[str] = []
        ask = assistant.ask

        def counted(question: Any, *args: Any, **kwargs: Any) -> Any:
            asked.append(question)
            return ask(question, *args, **kwargs)

        assistant.ask = counted  # type: ignore[method-assign]
        # nothing new in the feed: nothing re-asked (a yes-or-no question's answer is a quote: the model writes none)
        assert after_indexing(folder, again, lambda: assistant, notifier).changes == () and asked == []
        site.put("/feed.xml", rss("Maplewood Gazette", [REOPENED_ITEM, CLOSED_ITEM]), "application/rss+xml")
        report = run()
        assert len(report.added) == 1
        assistant.retriever.refresh()
        changes = after_indexing(folder, report, lambda: assistant, notifier).changes
    assert [change.followed.id for change in changes] == [followed.id]
    history = list_follows(open_follows(folder))[0].answers
    assert len(history) == 2 and history[-1].new_articles == tuple(report.added)
    assert history[-1].articles == tuple(report.added)  # the new answer cites the article that arrived
    for thread in notifier.threads:
        thread.join(10)
    assert [payload["id"] for payload in received] == [followed.id]


# -- the API and the Atom feed -------------------------------------------------------------------------------------


def test_api_follows_and_the_atom_feed_of_changes(multi_outlet_index: Path, tmp_path: Path,
                                                  real_embedder) -> None:  # type: ignore[no-untyped-def]
    import feedparser
    from fastapi.testclient import TestClient

    from rag.answer.assistant import Assistant
    from rag.answer.retrieve import Retriever
    from rag.serve.app import create_app

    folder = tmp_path / "index"
    shutil.copytree(multi_outlet_index, folder)
    store = open_follows(folder)
    change_of(store)
    add_follow(store, "Who won the regatta?", Stub(found=["x"], cites=["x"]))
    with TestClient(create_app(Assistant(Retriever.load(folder, real_embedder), ScriptedLLM()))) as client:
        follows = client.get("/api/follows").json()["follows"]
        assert [len(item["answers"]) for item in follows] == [2, 1]
        assert follows[0]["answers"][-1]["articles"] == ["c"]
        response = client.get("/feeds/follows.xml")
    assert response.headers["content-type"].startswith("application/atom+xml")
    feed = feedparser.parse(response.content)
    assert not feed.bozo, feed.get("bozo_exception")
    assert feed.feed.id and feed.feed.updated_parsed
    assert [entry.title for entry in feed.entries] == [QUESTION]  # one entry per change, not per question
    entry = feed.entries[0]
    assert entry.id and entry.updated_parsed and entry.link == "https://gazette.example/c"
    assert "It reopened" in entry.summary


# -- the command, with the real models ---------------------------------------------------------------------------


def test_rag_follow_add_list_remove_with_the_real_models(multi_outlet_index: Path, tmp_path: Path,
                                                         capsys: pytest.CaptureFixture[str]) -> None:
    from rag.cli import main

    folder = tmp_path / "index"
    shutil.copytree(multi_outlet_index, folder)
    common = ["--index", str(folder), "--as-of", "2026-03-20"]
    assert main(["follow", "add", "Has the Maplewood footbridge reopened?", *common]) == 0
    assert capsys.readouterr().out.startswith("following f-")
    assert main(["follow", "list", "--json", *common]) == 0
    follows = json.loads(capsys.readouterr().out)
    assert len(follows) == 1 and len(follows[0]["answers"]) == 1 and follows[0]["answers"][0]["text"]
    mark_due(open_follows(folder), Stub(found=["new"]), ["new"])  # left pending by a run's budget
    assert main(["follow", "list", *common]) == 0 and "pending since" in capsys.readouterr().out
    assert main(["follow", "refresh", *common]) == 0
    shown = capsys.readouterr()
    assert f"asking 1/1: {QUESTION}" in shown.err and "asked 1 pending question(s)" in shown.out
    # the same index answers the same: a second answer only if it says something else (not asserted: the model's)
    assert main(["follow", "list", "--json", *common]) == 0
    assert json.loads(capsys.readouterr().out)[0]["pending"] is None
    assert main(["follow", "remove", follows[0]["id"], *common]) == 0
    assert main(["follow", "list", *common]) == 0
    assert "no question is followed" in capsys.readouterr().out
    assert main(["follow", "remove", "f-none", *common]) == 1


def test_records_read_back_as_written() -> None:
    answer = FollowedAnswer("2026-03-15T08:00:00Z", "It reopened [1].", ("c",),
                            ({"article_id": "c", "title": "T", "source": "G", "url": "", "published": ""},),
                            False, ("c",))
    followed = Followed("f-1", QUESTION, "2026-03-01T00:00:00Z", (answer,))
    assert Followed.from_dict(json.loads(json.dumps(followed.to_dict()))) == followed


# -- both stores ---------------------------------------------------------------------------------------------------


@pytest.fixture(params=["folder", "postgres"])
def location(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    """A new, empty index location of each store (the database on a private server: `tests.test_store_contract`)."""
    from tests.test_store_contract import location_for

    return location_for(request, request.param, tmp_path / "index")


def test_every_store_keeps_the_follows_shared_by_its_users(location: str) -> None:
    mine, theirs = open_follows(location), open_follows(location)  # two users of one index
    followed = add_follow(mine, QUESTION, Stub(found=["a"], cites=["a"]))
    other = add_follow(theirs, "Who won the regatta?", Stub(found=["c"], cites=["c"], text="It reopened [1]."))
    assert [item.id for item in list_follows(theirs)] == [followed.id, other.id]
    changes = refresh_follows(theirs, lambda: Stub(found=["c"], cites=["c"], text="It reopened [1]."), ["c"]).changes
    assert [change.followed.id for change in changes] == [followed.id]  # the other's answer is the same
    assert [answer.articles for answer in list_follows(mine)[0].answers] == [("a",), ("c",)]
    assert refresh_follows(mine, lambda: Stub(found=["d"]), ["d"], budget=0).pending == 2  # both due, none asked
    reloaded = open_follows(location)  # a restart: pending re-asks are kept with the index
    assert [item.pending.new_articles if item.pending else () for item in list_follows(reloaded)] == [("d",)] * 2
    assert ask_pending(reloaded, Stub(cites=["d"])).asked == 2 and not any(item.pending for item in list_follows(mine))
    remove_follow(mine, other.id)
    assert [item.id for item in list_follows(theirs)] == [followed.id]


# -- the chat's "Followed" panel, in a real browser ----------------------------------------------------------------


@pytest.mark.slow
def test_the_followed_panel_shows_what_changed_since_the_last_visit(
        request: pytest.FixtureRequest, multi_outlet_index: Path, tmp_path: Path, real_embedder: Any) -> None:
    import time

    import httpx
    import uvicorn

    from rag.answer.assistant import Assistant
    from rag.answer.retrieve import Retriever
    from rag.serve.app import create_app
    from ui.app import build_app

    folder = tmp_path / "index"
    shutil.copytree(multi_outlet_index, folder)
    store = open_follows(folder)
    change_of(store)  # the footbridge question: two answers
    add_follow(store, "Who won the regatta?", Stub(found=["x"], cites=["x"], text="Orwin won six titles [1]."))
    assistant = Assistant(Retriever.load(folder, real_embedder), ScriptedLLM())
    port = free_port()
    chromium = request.getfixturevalue("browser")  # tests.test_browser's: skipped where there is no Chromium
    served = uvicorn.Server(uvicorn.Config(create_app(assistant, chat=build_app), host="127.0.0.1", port=port,
                                           log_level="warning"))
    thread = threading.Thread(target=served.run, daemon=True)
    thread.start()
    url = f"http://127.0.0.1:{port}"
    try:
        for _ in range(120):
            with contextlib.suppress(httpx.HTTPError):
                if httpx.get(url + "/api/health", timeout=5).status_code == 200:
                    break
            time.sleep(0.5)
        page = chromium.new_page(viewport={"width": 1400, "height": 1000})

        def panel() -> str:
            page.wait_for_selector("#rag-follows-panel .rag-follows", timeout=60_000)
            page.wait_for_function("localStorage.length > 0", timeout=30_000)  # this visit remembered
            return str(page.inner_text("#rag-follows-panel"))

        page.goto(url + "/", wait_until="load")
        first = panel()
        assert "1 changed since your last visit" in first  # a first visit: every change is new
        assert first.index(QUESTION) < first.index("Who won the regatta?")  # the changed one first
        assert "It reopened" in first and "Before: The footbridge is closed" in first
        assert page.locator("#rag-follows-panel .rag-follow-new").count() == 1
        artifacts = Path(__file__).resolve().parent.parent / "test-artifacts"
        artifacts.mkdir(exist_ok=True)
        page.locator("#rag-follows").screenshot(path=str(artifacts / "browser-follows.png"))
        time.sleep(1.1)  # the records keep seconds: the next visit is a later one
        page.reload(wait_until="load")
        assert "Nothing changed since your last visit" in panel()
        assert page.locator("#rag-follows-panel .rag-follow-new").count() == 0
        time.sleep(1.1)
        refresh_follows(store, lambda: Stub(found=["d"], cites=["d"], text="It closed again [1]."), ["d"])
        page.reload(wait_until="load")
        again = panel()
        assert "2 changed since your last visit" in again and "It closed again" in again  # both reach d
        assert page.locator("#rag-follows-panel .rag-follow-new").count() == 2
        page.locator("#rag-follows").screenshot(path=str(artifacts / "browser-follows-changed.png"))
        page.close()
    finally:
        served.should_exit = True
        thread.join(10)


def test_the_bench_table_shows_the_cost_of_re_asking() -> None:
    from tools.bench import followed_questions, table

    assert len(set(followed_questions(100))) == 100
    kinds = {"span": {"answers": 20, "mean_s": 0.3}, "model": {"answers": 13, "mean_s": 3.0},
             "refused": {"answers": 0, "mean_s": 0.0}}
    follow = {"questions": 100, "new_articles": 10, "budget_s": 6.0, "seconds": 8.0, "searched": 100,
              "reach_seconds": 2.5, "due": 33, "re_asked": 4, "deferred": 29, "changed": 4, "background_asked": 29,
              "background_seconds": 58.0, "background_changed": 29, "answers": kinds, "nothing_new_seconds": 0.001,
              "nothing_new_asked": 0, "target_s": 10.0, "load_average": [9.5]}
    rendered = table({"machine": {"cpu": "Test CPU", "cores": 2, "memory_gb": 24, "load_average_before": [0.1]},
                      "follow": follow})
    assert "| 10 new articles | 100 | 2.50 s | 33 | 4 | 29 | 8.00 s | 0.80 |" in rendered
    assert "29 in 58.00 s (2.00 s each; 29 changed)" in rendered and "model 13 (3.00 s each)" in rendered
    assert "| nothing new | 0 | 0 s | 0 | 0 | 0 | 0.0010 s | 0.0001 |" in rendered


@pytest.mark.slow
def test_rag_watch_notify_posts_the_change_a_new_feed_item_brings(
        site: LocalSite, tmp_path: Path, receiver: tuple[str, list[dict[str, Any]]],
        capsys: pytest.CaptureFixture[str]) -> None:
    """`rag watch --notify` end to end with the real embedder and model: the followed question's answer changes
    when the article that answers it arrives in the watched feed, and the webhook is told."""
    import time

    from rag.cli import main

    url, received = receiver
    folder = tmp_path / "index"
    feed = site.put("/feed.xml", rss("Maplewood Gazette", [CLOSED_ITEM]), "application/rss+xml")
    common = ["--index", str(folder)]
    assert main(["index", feed, "--quiet", *common]) == 0
    assert main(["follow", "add", QUESTION, *common]) == 0
    site.put("/feed.xml", rss("Maplewood Gazette", [REOPENED_ITEM, CLOSED_ITEM]), "application/rss+xml")
    capsys.readouterr()
    # a budget no loaded machine reaches: what is asked must not depend on how fast the model is today
    assert main(["watch", feed, "--runs", "1", "--notify", url, "--follow-budget", "600", *common]) == 0
    history = list_follows(open_follows(folder))[0].answers
    assert len(history) == 2, [answer.text for answer in history]
    assert "followed question" in capsys.readouterr().err
    for _ in range(120):  # the webhook is told in the background (first attempt answered 503, then retried)
        if received:
            break
        time.sleep(0.5)
    assert [payload["question"] for payload in received] == [QUESTION]
    assert received[0]["answer"]["new_articles"] == list(history[-1].new_articles)
