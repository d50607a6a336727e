"""The watch mode (rag.ingest.watch): intervals, back-off, one log line per run, the watch loop inside the server,
and a real `rag watch` stopped by SIGTERM in the middle of a run (the index stays whole)."""

from __future__ import annotations

import os
import shutil
import signal
import subprocess
import sys
import threading
import time
import types
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import pytest

from rag.errors import InvalidRequestError
from rag.ingest.indexer import IndexReport, UpdateOptions, update_index
from rag.ingest.intervals import parse_interval
from rag.ingest.watch import MAX_BACKOFF_RUNS, Watcher
from rag.ingest.web import WebClient
from rag.store.generations import PassageIndex, current_generation, writer_lock
from tests.conftest import PROJECT, FakeEmbedder, write
from tests.local_site import LocalSite, page, rss

STORY = (
    "The Carrow Road bridge in Maplewood will close for resurfacing from 1 to 12 December 2026, and buses "
    "will use the footbridge approach road instead, the council said on Friday."
)


def test_intervals() -> None:
    assert [parse_interval(text) for text in ("15m", "90s", "1h", "1h30m", "2d", "30")] == [
        900,
        90,
        3600,
        5400,
        172800,
        30,
    ]
    for bad in ("soon", "15 minutes", "0", "-5m", "15x"):
        with pytest.raises(InvalidRequestError, match="interval"):
            parse_interval(bad)


class Clock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


def test_a_failing_source_backs_off_and_the_others_go_on(tmp_path: Path) -> None:
    """A feed that keeps failing is left out of the next runs for 1, 2, 4 ... intervals (at most 16); a folder
    that is missing likewise; the sources that work are indexed every run; a success resets the back-off."""
    folder = write(tmp_path / "articles", "bridge.txt", f"Bridge closes\n\n{STORY}\n").parent
    down = "https://down.example/feed.xml"
    lines: list[str] = []
    seen: list[list[str]] = []
    healthy = {"now": False}

    def run(sources: Sequence[str]) -> IndexReport:
        seen.append(list(sources))
        report = IndexReport(seconds=0.2)
        if down in sources and not healthy["now"]:
            report.failed.append((down, f"{down}: could not be reached (the host name was not found)"))
        return report

    clock = Clock()
    watcher = Watcher([folder, down, str(tmp_path / "unmounted")], run, every=900, log=lines.append, clock=clock)
    delays = []
    for _ in range(40):
        watcher.run_once()
        delays.append(watcher.backoff.next_try.get(down, clock.now) - clock.now)
        clock.now += 900
    runs_with_down = [number for number, sources in enumerate(seen) if down in sources]
    assert runs_with_down[:6] == [0, 1, 3, 7, 15, 31]  # waits 1, 2, 4, 8, 16 intervals
    assert max(delays) <= 900 * MAX_BACKOFF_RUNS
    assert all(str(folder) in sources for sources in seen)  # the good source every run
    assert "run 1: added 0, updated 0, removed 0, failed 2, 0.0 s" in lines[0]  # the fake clock stood still
    assert "backing off https://down.example/feed.xml: next try in 15m" in lines[0]
    assert "unmounted: does not exist" in lines[0]
    assert "backing off https://down.example/feed.xml: next try in 30m" in lines[1]
    assert "left out (backing off): https://down.example/feed.xml" in lines[2]

    healthy["now"] = True
    clock.now = watcher.backoff.next_try[down]
    watcher.run_once()
    assert down not in watcher.backoff.failures and down in seen[-1]


def test_watch_runs_the_real_indexer_on_a_schedule_and_logs_a_line_per_run(site: LocalSite, tmp_path: Path) -> None:
    site.put("/news/bridge", page("Carrow Road bridge to close", STORY))
    items = [{"title": "Carrow Road bridge to close", "link": site.url("/news/bridge"), "guid": "tag:g,1"}]
    feed = site.put("/feed.xml", rss("Maplewood Gazette", items), "application/rss+xml")
    lines: list[str] = []
    embedder = FakeEmbedder()
    with WebClient(timeout=5) as web:

        def run(sources: Sequence[str]) -> IndexReport:
            report = update_index(sources, tmp_path / "index", embedder, UpdateOptions(progress=False), web=web)
            if not lines:  # after the first run (not logged yet), the feed gets a new item
                site.put(
                    "/feed.xml",
                    rss(
                        "Maplewood Gazette",
                        [
                            *items,
                            {"title": "Buses rerouted", "guid": "tag:g,2", "content": STORY + " Route 4 is affected."},
                        ],
                    ),
                    "application/rss+xml",
                )
            return report

        began = time.monotonic()
        Watcher([feed], run, every=0.3, log=lines.append).run(runs=3)
    assert time.monotonic() - began >= 0.6  # the runs wait for their interval
    assert "run 1: added 1, updated 0, removed 0, failed 0" in lines[0]
    assert "run 2: added 1, updated 0, removed 0, failed 0" in lines[1] and "generation 2" in lines[1]
    assert "run 3: added 0, updated 0, removed 0, failed 0" in lines[2]
    assert site.paths().count("/news/bridge") == 1  # the unchanged item's page was fetched once


def test_serve_watch_keeps_the_served_index_current(site: LocalSite, tmp_path: Path) -> None:
    """The watch loop inside the server writes new generations, and the served retriever searches them."""
    from rag.answer.retrieve import Retriever
    from rag.serve.start import Watching, start_watching
    from rag.settings import Settings

    first = [{"title": "Carrow Road bridge to close", "guid": "tag:g,1", "content": STORY}]
    feed = site.put("/feed.xml", rss("Maplewood Gazette", first), "application/rss+xml")
    embedder = FakeEmbedder()
    update_index([feed], tmp_path / "index", embedder, UpdateOptions(progress=False), web=WebClient())
    retriever = Retriever.load(tmp_path / "index", embedder)

    assistant = types.SimpleNamespace(retriever=retriever)  # all start_watching uses of the assistant
    site.put(
        "/feed.xml",
        rss(
            "Maplewood Gazette",
            [
                *first,
                {
                    "title": "Ferry timetable changes",
                    "guid": "tag:g,2",
                    "content": "The Orwin Island ferry will sail hourly from 1 December 2026, the operator said.",
                },
            ],
        ),
        "application/rss+xml",
    )
    stop, lines = threading.Event(), list[str]()
    served: Any = assistant
    thread = start_watching(served, Settings(), Watching((feed,), 0.2), stop, announce=lines.append)
    try:
        deadline = time.monotonic() + 30
        while "tag:g,2" not in retriever.index.articles and time.monotonic() < deadline:
            time.sleep(0.1)
        hits = retriever.search("Orwin Island ferry hourly timetable", k=1)
        assert hits[0].passage.article_id == "tag:g,2"
    finally:
        stop.set()
        thread.join(10)
    assert not thread.is_alive()
    assert lines[0].startswith("Watching 1 source(s), every 0.2s") and "added 1" in lines[1]


@pytest.mark.slow
def test_sigterm_stops_a_real_rag_watch_mid_run_and_the_index_stays_whole(
    site: LocalSite, sample_index: Path, tmp_path: Path
) -> None:
    """`rag watch` (a real process, the bundled embedder) is stopped by SIGTERM while a run holds the index's
    write lock and waits for a page; it exits cleanly, the index is the one before the run and loads, the lock is
    free, and the next run finishes the work."""
    folder = tmp_path / "index"
    shutil.copytree(sample_index, folder)
    before_generation = current_generation(folder).name
    before = set(PassageIndex.load(folder).articles)
    site.put("/news/bridge", page("Carrow Road bridge to close", STORY))
    items = [
        {
            "title": "Carrow Road bridge to close",
            "link": site.url("/news/bridge"),
            "guid": "tag:g,1",
            "description": "Resurfacing in December.",
        }
    ]
    feed = site.put("/feed.xml", rss("Maplewood Gazette", items), "application/rss+xml")
    arrived, release = site.hold("/news/bridge")
    command = [sys.executable, "-m", "rag.cli", "watch", feed, "--index", str(folder), "--every", "1h"]
    environment = {**os.environ, "PYTHONPATH": str(PROJECT), "HF_HUB_OFFLINE": "1"}
    process = subprocess.Popen(
        command, cwd=PROJECT, env=environment, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True
    )
    try:
        assert arrived.wait(60), "the run never asked for the page"
        process.send_signal(signal.SIGTERM)
        stdout, stderr = process.communicate(timeout=30)
    finally:
        release.set()
        if process.poll() is None:
            process.kill()
    assert process.returncode == 0, stderr
    assert "rag watch: stopped after 1 run(s); the index is whole" in stderr
    assert stdout == ""  # the run never finished, so it logged nothing
    assert current_generation(folder).name == before_generation
    assert set(PassageIndex.load(folder).articles) == before
    with writer_lock(folder, timeout=0):  # released: the next writer need not wait
        pass  # taking the lock at once is the check

    finished = subprocess.run(
        [*command, "--runs", "1"], cwd=PROJECT, env=environment, capture_output=True, text=True, timeout=300
    )
    assert finished.returncode == 0, finished.stderr
    assert "run 1: added 1, updated 0, removed 0, failed 0" in finished.stdout
    assert set(PassageIndex.load(folder).articles) == before | {"tag:g,1"}


@pytest.mark.slow
def test_rag_serve_watch_serves_new_articles_without_a_restart(site: LocalSite, tmp_path: Path) -> None:
    """A real `rag serve --watch FEED` on an empty index folder: it indexes the feed first, serves it, and a
    question after the feed gains an item finds that item (the watch run wrote a generation the server switched
    to)."""
    import httpx

    from tests.conftest import free_port, serving

    first = [{"title": "Carrow Road bridge to close", "guid": "tag:g,1", "content": STORY}]
    feed = site.put("/feed.xml", rss("Maplewood Gazette", first), "application/rss+xml")
    port = free_port()
    command = [
        sys.executable,
        "-m",
        "rag.cli",
        "serve",
        "--index",
        str(tmp_path / "index"),
        "--port",
        str(port),
        "--chat",
        "",
        "--watch",
        feed,
        "--every",
        "1s",
    ]
    url = f"http://127.0.0.1:{port}"
    log = tmp_path / "serve.log"
    with serving(command, url + "/api/health", log, cwd=PROJECT, env={**os.environ, "PYTHONPATH": str(PROJECT)}):
        assert httpx.get(url + "/api/health", timeout=10).json()["articles"] == 1
        ferry = {
            "title": "Ferry timetable changes",
            "guid": "tag:g,2",
            "content": "The Orwin Island ferry will sail every hour from 1 December 2026, the operator said.",
        }
        site.put("/feed.xml", rss("Maplewood Gazette", [*first, ferry]), "application/rss+xml")
        deadline, found = time.monotonic() + 60, []
        while time.monotonic() < deadline:
            body = {"question": "How often will the Orwin Island ferry sail?", "k": 1}
            found = httpx.post(url + "/api/search", json=body, timeout=30).json()["results"]
            if found and found[0]["article_id"] == "tag:g,2":
                break
            time.sleep(0.5)
        assert found and found[0]["article_id"] == "tag:g,2", log.read_text()
    text = log.read_text()
    assert "No index in" in text and "Watching 1 source(s), every 1s" in text and "added 1" in text


def test_json_log_lines(tmp_path: Path) -> None:
    import json

    def run(sources: Sequence[str]) -> IndexReport:
        return IndexReport(added=["a1"], failed=[(sources[0], f"{sources[0]}: was not found (HTTP 404)")])

    lines: list[str] = []
    Watcher(["https://gone.example/feed.xml"], run, every=60, log=lines.append, json_log=True).run(runs=1)
    data = json.loads(lines[0])
    assert data["run"] == 1 and data["added"] == ["a1"] and data["failed"][0]["reason"].endswith("(HTTP 404)")
    assert data["backing_off"] == [{"source": "https://gone.example/feed.xml", "next_try_seconds": 60}]


def test_json_log_line_of_a_run_with_every_folder_missing_has_the_report_lists(tmp_path: Path) -> None:
    """A run that never reached the indexer (its one folder is missing) logs the lists a report's line has, the
    missing folder in `failed`: a program reading `rag watch --json` does not meet a line without "failed"."""
    import json

    def run(sources: Sequence[str]) -> IndexReport:
        raise AssertionError("nothing to index")

    lines: list[str] = []
    gone = str(tmp_path / "unmounted")
    Watcher([gone], run, every=60, log=lines.append, json_log=True).run(runs=1)
    data = json.loads(lines[0])
    assert data["added"] == data["updated"] == data["removed"] == []
    assert data["failed"] == [{"source": gone, "reason": f"{gone}: does not exist (check that it is mounted and "
                                                         "spelled right)"}]
    assert "does not exist" in data["problem"]


def test_a_server_that_asks_to_wait_is_left_alone_that_long(site: LocalSite, tmp_path: Path) -> None:
    """A feed answering 429 with Retry-After is not tried again before the time it asked for (here 2 hours at
    15-minute runs), the log says so, and a shorter Retry-After than the back-off leaves the back-off."""
    feed = site.put("/feed.xml", b"<html><body>Slow down</body></html>", status=429, headers={"Retry-After": "7200"})
    lines: list[str] = []
    clock = Clock()
    with WebClient(timeout=5) as web:

        def run(sources: Sequence[str]) -> IndexReport:
            return update_index(sources, tmp_path / "index", FakeEmbedder(), UpdateOptions(progress=False), web=web)

        watcher = Watcher([feed], run, every=900, log=lines.append, clock=clock)
        first = watcher.run_once()
        assert first.failing == ((feed, 7200.0),)
        assert "asks to be read less often (HTTP 429; it asks to wait 2h)" in lines[0]
        assert "backing off " + feed + ": next try in 2h" in lines[0]
        requests = len(site.paths())
        for _ in range(7):  # the runs of the next 1h45m leave it out
            clock.now += 900
            assert feed in watcher.run_once().waiting
        assert len(site.paths()) == requests

        site.put("/feed.xml", b"<html><body>Slow down</body></html>", status=503, headers={"Retry-After": "60"})
        clock.now += 900
        second = watcher.run_once()
        assert second.failing == ((feed, 1800.0),)  # two failures in a row: 2 intervals, longer than 60 s
        assert len(site.paths()) == requests + 1


def test_a_run_that_finds_the_database_away_is_reported_and_the_next_run_tries_again(tmp_path: Path) -> None:
    """A PostgreSQL store that is not answering for one run (restarting, the network down) is that run's problem,
    in the text log and in --json, and the next run goes on with every source (none of them failed); an error that
    trying again cannot fix (a password refused, a crash that the next run repeats) ends the watch."""
    import json

    from rag.errors import DatabaseCrashedError, StoreAccessError, StoreUnavailableError

    folder = write(tmp_path / "articles", "bridge.txt", f"Bridge closes\n\n{STORY}\n").parent
    away = "the database postgresql://rag:***@127.0.0.1:7875/news is not answering (Connection refused)"
    outcomes: list[Any] = [StoreUnavailableError(away), IndexReport(added=["bridge.txt"]),
                           StoreUnavailableError(away), IndexReport()]
    seen: list[list[str]] = []

    def run(sources: Sequence[str]) -> IndexReport:
        seen.append(list(sources))
        outcome = outcomes.pop(0)
        if isinstance(outcome, Exception):
            raise outcome
        return outcome

    lines: list[str] = []
    clock = Clock()
    text = Watcher([folder], run, every=10, log=lines.append, clock=clock)
    text.run_once()
    text.run_once()
    assert "skipped: " + away + "; the next run tries again" in lines[0] and "added 1" in lines[1]
    as_json = Watcher([folder], run, every=10, log=lines.append, clock=clock, json_log=True)
    as_json.run_once()
    as_json.run_once()
    data = json.loads(lines[2])
    assert data["problem"].startswith("skipped: " + away) and data["added"] == [] and data["backing_off"] == []
    assert seen == [[str(folder)]] * 4  # the folder was never backed off: the database failed, not the source

    for lasting in (StoreAccessError("the database ... refused the user or password"),
                    DatabaseCrashedError("... signal 4 (SIGILL, illegal instruction) ...", recovers=False)):
        outcomes[:] = [lasting]
        with pytest.raises(type(lasting)):
            Watcher([folder], run, every=10, log=lines.append, clock=clock).run_once()


def test_rag_watch_goes_on_while_the_database_is_unreachable(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """The operator's case: `rag watch --store URL` on a database that does not answer logs each run's problem
    and exits 0 after --runs, instead of "rag watch: error: ..." and status 1 after the first run."""
    import json

    from rag.cli import main

    folder = write(tmp_path / "articles", "bridge.txt", f"Bridge closes\n\n{STORY}\n").parent
    store = f"postgresql://rag:secret@/news?host={tmp_path / 'nowhere'}"
    assert main(["watch", str(folder), "--store", store, "--every", "1s", "--runs", "2", "--json"]) == 0
    output = capsys.readouterr()
    runs = [json.loads(line) for line in output.out.splitlines()]
    assert [run["run"] for run in runs] == [1, 2]
    assert all("is not answering" in run["problem"] and "next run tries again" in run["problem"] for run in runs)
    assert "secret" not in output.out + output.err
