"""Servers started as subprocesses, for the tests and the load test: a free port on the loopback interface
(`free_port`) and a server run until its ready address answers (`serving`).
"""

from __future__ import annotations

import contextlib
import socket
import subprocess
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any


class ServerNotReady(RuntimeError):
    """A server subprocess exited, or did not answer in time; the message holds the end of its log."""


def free_port() -> int:
    """A TCP port on the loopback interface that nothing listens on right now."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


@contextlib.contextmanager
def serving(command: list[str], ready_url: str, log: Path, timeout: float = 180, **popen: Any) -> Iterator[None]:
    """Run a server subprocess (its output to `log`; `popen`: cwd, env...) until `ready_url` answers 200, and stop
    it afterwards (terminate, then kill after 30 s). A server that exits or does not answer within `timeout`
    seconds raises `ServerNotReady` with the end of its log."""
    import httpx

    with open(log, "wb") as output:
        process = subprocess.Popen(command, stdout=output, stderr=subprocess.STDOUT, **popen)
    try:
        deadline = time.monotonic() + timeout
        while True:
            if process.poll() is not None:
                raise ServerNotReady(f"{' '.join(command[2:4])} exited with {process.returncode}:\n"
                                     f"{log.read_text(errors='replace')[-4000:]}")
            with contextlib.suppress(httpx.HTTPError):
                if httpx.get(ready_url, timeout=5).status_code == 200:
                    break
            if time.monotonic() > deadline:
                raise ServerNotReady(f"{' '.join(command[2:4])} did not answer within {timeout:.0f} s:\n"
                                     f"{log.read_text(errors='replace')[-4000:]}")
            time.sleep(0.5)
        yield
    finally:
        process.terminate()
        try:
            process.wait(timeout=30)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()
