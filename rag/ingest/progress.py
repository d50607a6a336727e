"""Progress of an indexing run, stage by stage: a tqdm bar on stderr and/or a callback (the UI's, the server's).

Stage "reading" counts files, stage "embedding" counts articles; the callback gets (stage, done, total).
"""

from __future__ import annotations

import sys
import time
from collections.abc import Callable
from typing import Any

ProgressCallback = Callable[[str, int, int], None]
"""Called with (stage, done, total): stage "reading" counts files, "embedding" counts articles."""


class StageProgress:
    """Progress of one stage: a tqdm bar on stderr (rates per second in the postfix) and/or a callback."""

    def __init__(self, stage: str, unit: str, enabled: bool, callback: ProgressCallback | None,
                 total: int | None = None) -> None:
        self.stage, self.unit, self.enabled, self.callback = stage, unit, enabled, callback
        self.bar: Any = None
        self.total = 0
        self.done = 0
        self.began = time.perf_counter()
        if total is not None:
            self.start(total)

    def start(self, total: int) -> None:
        self.total, self.done, self.began = total, 0, time.perf_counter()
        if self.enabled and total:
            from tqdm import tqdm

            self.bar = tqdm(total=total, unit=self.unit, desc=self.stage, file=sys.stderr, dynamic_ncols=True)
        if self.callback is not None:
            self.callback(self.stage, 0, total)

    def advance(self, count: int, **counters: int) -> None:
        self.done += count
        if self.bar is not None:
            elapsed = max(time.perf_counter() - self.began, 1e-9)
            postfix: dict[str, Any] = dict(counters)
            if "passages" in counters:  # the bar's own rate is articles/s; chunks/s goes beside it
                postfix = {"chunks/s": f"{counters['passages'] / elapsed:.1f}"}
            self.bar.set_postfix(postfix, refresh=False)
            self.bar.update(count)
        if self.callback is not None:
            self.callback(self.stage, self.done, self.total)

    def write(self, message: str) -> None:
        if self.bar is not None:
            self.bar.write(message, file=sys.stderr)
        elif self.enabled:
            print(message, file=sys.stderr)

    def close(self) -> None:
        if self.bar is not None:
            self.bar.close()
            self.bar = None
