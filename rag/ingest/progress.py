"""Progress of an indexing run, stage by stage: a tqdm bar on stderr and/or a callback (the UI's, the server's).

Stage "reading" counts the files a run reads (not those it skips as unchanged: an upload's files, not the whole
uploads folder), stage "embedding" counts articles; the callback gets (stage, done, total), and before
each file is read also its name (`current`: the chat's upload says which file it is reading). When stderr is not a
terminal (a log file, cron, a pipe), a bar's carriage-return redraws would fill it with
half-lines: it gets a plain line at the stage's first step, every `LINE_SECONDS`, and when the stage ends.
"""

from __future__ import annotations

import sys
import time
from typing import Any, Protocol

LINE_SECONDS = 30.0
"""Seconds between two progress lines written to a stderr that is not a terminal."""



class ProgressCallback(Protocol):
    """Called with (stage, done, total): stage "reading" counts the files read, "embedding" articles; and, before each
    file of stage "reading" is read, with (stage, done, total, current), `current` the file's name (relative to the
    folder given, or the URL), `done` the files read before it."""

    def __call__(self, stage: str, done: int, total: int, current: str = "") -> None: ...


class StageProgress:
    """Progress of one stage: a tqdm bar on stderr (rates per second in the postfix) and/or a callback."""

    def __init__(self, stage: str, unit: str, enabled: bool, callback: ProgressCallback | None,
                 total: int | None = None) -> None:
        self.stage, self.unit, self.enabled, self.callback = stage, unit, enabled, callback
        self.bar: Any = None
        self.lines = False  # plain lines instead of a bar: stderr is not a terminal
        self.last_line = 0.0
        self.postfix: dict[str, Any] = {}
        self.total = 0
        self.done = 0
        self.began = time.perf_counter()
        if total is not None:
            self.start(total)

    def start(self, total: int) -> None:
        self.total, self.done, self.began = total, 0, time.perf_counter()
        if self.enabled and total and not sys.stderr.isatty():
            self.lines, self.last_line = True, self.began
        elif self.enabled and total:
            from tqdm import tqdm

            self.bar = tqdm(total=total, unit=self.unit, desc=self.stage, file=sys.stderr, dynamic_ncols=True)
        if self.callback is not None:
            self.callback(self.stage, 0, total)

    def advance(self, count: int, **counters: int) -> None:
        self.done += count
        now = time.perf_counter()
        elapsed = max(now - self.began, 1e-9)
        self.postfix = dict(counters)
        if "passages" in counters:  # the bar's own rate is articles/s; chunks/s goes beside it
            self.postfix = {"chunks/s": f"{counters['passages'] / elapsed:.1f}"}
        if self.bar is not None:
            self.bar.set_postfix(self.postfix, refresh=False)
            self.bar.update(count)
        elif self.lines and self.done < self.total and (self.done == count or now - self.last_line >= LINE_SECONDS):
            # The first step (the stage is under way) and one every LINE_SECONDS; the last is `close`'s
            self.last_line = now
            print(self.line(), file=sys.stderr, flush=True)
        if self.callback is not None:
            self.callback(self.stage, self.done, self.total)

    def grow(self, count: int) -> None:
        """Count `count` more items in the stage's total: one found to need the work after the stage began.

        >>> told = []
        >>> stage = StageProgress("reading", " files", False, lambda *event: told.append(event), total=1)
        >>> stage.grow(1)
        >>> stage.total, told
        (2, [('reading', 0, 1), ('reading', 0, 2)])
        """
        self.total += count
        if self.bar is not None:
            self.bar.total = self.total
        if self.callback is not None:
            self.callback(self.stage, self.done, self.total)

    def reading(self, current: str) -> None:
        """Say which item the stage is at (`current`, a file's name), before the work on it: a callback's user sees
        what takes the time (a long PDF), not only how many are done."""
        if self.bar is not None:
            self.bar.set_postfix_str(current, refresh=False)
        if self.callback is not None:
            self.callback(self.stage, self.done, self.total, current)

    def write(self, message: str) -> None:
        if self.bar is not None:
            self.bar.write(message, file=sys.stderr)
        elif self.enabled:
            print(message, file=sys.stderr)

    def line(self) -> str:
        """The stage's progress as one plain line.

        >>> stage = StageProgress("embedding", " articles", False, None, total=3)
        >>> stage.done, stage.began = 2, stage.began - 4
        >>> stage.line()
        'embedding: 2/3 articles, 0.5 articles/s'
        """
        elapsed = max(time.perf_counter() - self.began, 1e-9)
        unit = self.unit.strip()
        rates = [f"{self.done / elapsed:.1f} {unit}/s", *(f"{value} {name}" for name, value in self.postfix.items())]
        return f"{self.stage}: {self.done}/{self.total} {unit}, {', '.join(rates)}"

    def close(self) -> None:
        if self.bar is not None:
            self.bar.close()
            self.bar = None
        if self.lines:
            self.lines = False
            print(self.line(), file=sys.stderr, flush=True)
