"""Watching sources: the incremental index rerun on a schedule (`rag watch`, `rag serve --watch`).

`Watcher.run` calls the indexer every `every` seconds and logs one line per run (added, updated, removed, failed,
seconds). A source that fails (a feed that is down, a folder that is not mounted) is backed off: it is left out of
the next runs, for twice as long after each failure in a row (`Backoff`), or as long as its server asked
(Retry-After, on a 429 or 503) when that is longer, and tried again when its time comes, so a dead feed is not
hammered and does not slow every run; the other sources go on. A run that cannot happen (another writer holds
the index, the PostgreSQL store is not answering) is reported as a problem and the next run tries again; an error
that trying again cannot fix (an index built with another embedder, a database password refused) ends the watch.
Stopping is the caller's: it
sets the `stop` event (the server at shutdown) or lets KeyboardInterrupt through (Ctrl-C, and SIGTERM, which the
CLI turns into one). A run stopped half-way leaves the index whole, since the indexer only ever switches to a
completely written generation, and the next run finishes the work.
"""

from __future__ import annotations

import datetime as dt
import json
import threading
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from rag.errors import IndexLockedError, SourceError, StoreUnavailableError
from rag.ingest.indexer import IndexReport
from rag.ingest.intervals import describe_interval
from rag.ingest.web import is_url

IndexRun = Callable[[Sequence[str]], IndexReport]
"""One incremental index run over the given sources (the edge binds the index, the embedder and the options)."""

MAX_BACKOFF_RUNS = 16
"""A failing source is tried at least once every this many intervals (every 4 hours at --every 15m)."""

@dataclass
class Backoff:
    """When each failing source may be tried again: after 1, 2, 4, ... intervals, at most MAX_BACKOFF_RUNS, or
    later when its server asked for it."""

    every: float
    failures: dict[str, int] = field(default_factory=dict)
    next_try: dict[str, float] = field(default_factory=dict)

    def due(self, source: str, now: float) -> bool:
        return now >= self.next_try.get(source, 0.0)

    def failed(self, source: str, now: float, at_least: float = 0.0) -> float:
        """Record a failure; returns the seconds until the source is tried again: the back-off, or longer when the
        source's server asked for it (`at_least`, from its Retry-After)."""
        self.failures[source] = self.failures.get(source, 0) + 1
        delay = max(self.every * min(2 ** (self.failures[source] - 1), MAX_BACKOFF_RUNS), at_least)
        self.next_try[source] = now + delay - 1e-6  # the run that falls due at that moment tries it
        return delay

    def succeeded(self, source: str) -> None:
        self.failures.pop(source, None)
        self.next_try.pop(source, None)


@dataclass(frozen=True)
class WatchRun:
    """What one scheduled run did, as logged."""

    number: int
    started: dt.datetime
    report: IndexReport | None  # None when no source was due, or the run could not start
    seconds: float
    failing: tuple[tuple[str, float], ...] = ()  # (source, seconds until it is tried again)
    waiting: tuple[str, ...] = ()  # sources left out of this run, backing off
    problem: str = ""  # why the run could not happen (another writer, the database away, every source missing)
    missing: tuple[tuple[str, str], ...] = ()  # (source, reason): sources that do not exist, in a run without a report

    def to_dict(self) -> dict[str, Any]:
        """The run as JSON (`rag watch --json`: one object per line): the index report's fields and the back-off."""
        data: dict[str, Any] = {
            "run": self.number,
            "started": self.started.isoformat(timespec="seconds"),
            "seconds": round(self.seconds, 3),
        }
        if self.report is not None:
            data.update(self.report.to_dict())
            data["seconds"] = round(self.seconds, 3)
        else:  # the same lists as a report's, so that a reader of the log need not tell the two kinds of line apart
            data.update({"added": [], "updated": [], "removed": [],
                         "failed": [{"source": source, "reason": reason} for source, reason in self.missing]})
        data["backing_off"] = [{"source": source, "next_try_seconds": round(delay)} for source, delay in self.failing]
        data["left_out"] = list(self.waiting)
        if self.problem:
            data["problem"] = self.problem
        return data

    def line(self) -> str:
        """The log line: `2026-11-30 09:15:00 run 3: added 2, updated 0, removed 0, failed 1, 1.4 s`."""
        stamp = self.started.strftime("%Y-%m-%d %H:%M:%S")
        report = self.report
        if report is None:
            text = f"{stamp} run {self.number}: {self.problem or 'nothing to do'}"
        else:
            text = (
                f"{stamp} run {self.number}: added {len(report.added)}, updated {len(report.updated)}, "
                f"removed {len(report.removed)}, failed {len(report.failed)}, {self.seconds:.1f} s"
            )
            if report.changed:
                text += f" (index: {report.articles_total} articles, generation {report.generation})"
        lines = [text]
        lines += [f"  failed: {reason}" for _, reason in (report.failed if report is not None else [])]
        lines += [
            f"  backing off {source}: next try in {describe_interval(round(delay))}" for source, delay in self.failing
        ]
        if self.waiting:
            lines.append(f"  left out (backing off): {', '.join(self.waiting)}")
        return "\n".join(lines)


class Watcher:
    """Reruns `index_run` over `sources` every `every` seconds, backing off the sources that fail."""

    def __init__(
        self,
        sources: Sequence[str | Path],
        index_run: IndexRun,
        every: float,
        log: Callable[[str], None],
        clock: Callable[[], float] = time.monotonic,
        json_log: bool = False,
    ) -> None:
        self.json_log = json_log  # log each run as one line of JSON instead of text
        self.sources = [str(source) for source in sources]
        self.index_run = index_run
        self.every = every
        self.log = log
        self.clock = clock
        self.backoff = Backoff(every)
        self.runs = 0

    def run(self, stop: threading.Event | None = None, runs: int | None = None) -> None:
        """Run now, then every `every` seconds (counted from each run's start) until `stop` is set or `runs`
        runs are done. KeyboardInterrupt (Ctrl-C, SIGTERM in the CLI) passes through, at any moment."""
        stop = stop or threading.Event()
        while not stop.is_set():
            began = self.clock()
            self.run_once()
            if runs is not None and self.runs >= runs:
                return
            stop.wait(max(0.0, self.every - (self.clock() - began)))

    def run_once(self) -> WatchRun:
        """One scheduled run over the sources that are due; logs its line and returns it."""
        self.runs += 1
        started = dt.datetime.now().astimezone()
        began = self.clock()
        now = began
        due = [source for source in self.sources if self.backoff.due(source, now)]
        waiting = tuple(source for source in self.sources if source not in due)
        missing = [source for source in due if not is_url(source) and not Path(source).expanduser().exists()]
        present = [source for source in due if source not in missing]
        failing = [(source, self.backoff.failed(source, now)) for source in missing]
        missing_reasons = [
            (source, f"{source}: does not exist (check that it is mounted and spelled right)") for source in missing
        ]
        report: IndexReport | None = None
        problem = ""
        if present:
            try:
                report = self.index_run(present)
            except IndexLockedError as error:
                problem = f"skipped: {error}"
            except SourceError as error:  # a source that vanished between the check and the run
                problem = f"skipped: {error}"
            except StoreUnavailableError as error:
                # A database that is away for a run (restarting, the network down) is back for a later one: the
                # run is reported and the next one tries again, with every source (none of them failed). Not a
                # crash that the next run would repeat (a pgvector built for another CPU): that one ends the watch.
                if not error.recovers:
                    raise
                problem = f"skipped: {error.retrying('the next run tries again')}"
        elif not due:
            problem = "every source is backing off"
        if report is not None:
            report.failed[:0] = missing_reasons
            failed_sources = {source for source, _ in report.failed}
            for source in present:
                if source in failed_sources:
                    failing.append((source, self.backoff.failed(source, now, report.retry_after.get(source, 0.0))))
                else:
                    self.backoff.succeeded(source)
        elif missing and not problem:
            problem = "; ".join(reason for _, reason in missing_reasons)
        run = WatchRun(self.runs, started, report, self.clock() - began, tuple(failing), waiting, problem,
                       tuple(missing_reasons) if report is None else ())
        self.log(json.dumps(run.to_dict(), ensure_ascii=False) if self.json_log else run.line())
        return run
