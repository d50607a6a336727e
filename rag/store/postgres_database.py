"""The PostgreSQL store's connection to its database: URLs and their masking, a small pool of connections whose
driver errors leave as `RagError`s naming the database without its password (a crashed server named by its signal,
`rag.store.postgres_crash`), and the schema check and migrations (`rag.store.postgres_schema`). The read side is
`rag.store.postgres_index`, the write side `rag.store.postgres`.
"""

from __future__ import annotations

import contextlib
import logging
import re
import threading
from collections.abc import Iterator
from typing import Any
from urllib.parse import urlsplit

from rag.errors import (
    DatabaseCrashedError,
    IndexFormatError,
    IndexNotFoundError,
    RagError,
    ReadOnlyStoreError,
    StoreAccessError,
    StoreUnavailableError,
)
from rag.redact import masked
from rag.store.postgres_crash import diagnose, looks_lost
from rag.store.postgres_schema import MIGRATIONS_TABLE, SCHEMA_VERSION, pending

log = logging.getLogger("rag.store.postgres")

SCHEMES = ("postgresql://", "postgres://")
WRITER_LOCK = 7_361_101_121_040_237_105
"""The advisory lock every indexer of one database holds for its whole run: shared by ordinary runs (they may run
side by side), exclusive for a rebuild (which replaces everything). An arbitrary constant, shared by all versions."""
COMMIT_LOCK = WRITER_LOCK + 1
"""The advisory lock every commit takes inside its transaction: commits are applied one after the other."""
MIGRATION_LOCK = WRITER_LOCK + 2
EF_SEARCH = 300
"""HNSW's search breadth, chosen with `python -m tools.store_scale` at 1M passages derived from real embeddings
(graph: `rag.store.postgres_schema.HNSW_M`), 200 queries: 200 finds 0.946 of the exact top 10, 300 finds 0.967 in
12.6 ms p50 through the store (0.974 with a date window of 5%), 400 finds 0.972 in 15.6 ms (docs/deployment.md,
"1M passages"). The retriever asks for 50 candidates and the scan fetches twice that
(`rag.store.postgres_index.RERANK`). A larger value set on the server (`ALTER ROLE rag SET hnsw.ef_search = 400`)
is kept."""
POOL_SIZE = 4
"""Connections a process keeps open to the database (requests beyond wait for one)."""
CONNECT_TIMEOUT = 5
REFUSED_USER = re.compile(r"password authentication failed|no password supplied|authentication failed|"
                          r"is not permitted to log in|no pg_hba\.conf entry|role \"[^\"]*\" does not exist")
"""What PostgreSQL (or libpq) says, lower case, when it refuses the user or the password: `role "x" does not exist`
among them. A database that does not exist is told apart by its own message (`Database.refused`)."""


def is_database_url(location: object) -> bool:
    """True for a PostgreSQL URL, false for an index folder.

    >>> is_database_url("postgresql://rag@db/news"), is_database_url("index/")
    (True, False)
    """
    return str(location).startswith(SCHEMES)


def primary_url(conninfo: str, path: str) -> str:
    """The URL of a replica's primary, from its `primary_conninfo`, for the database at `path` (the replica's own
    database: the primary holds the same), without the password.

    >>> primary_url("user=rag password=s3cret host=db-primary port=5433 dbname=replication", "/news")
    'postgresql://rag@db-primary:5433/news'
    >>> primary_url("user=postgres host='/tmp/pg' port=5432", "/news")
    'postgresql://postgres@/news?host=/tmp/pg&port=5432'
    """
    from psycopg.conninfo import conninfo_to_dict

    parts = {name: str(value) for name, value in conninfo_to_dict(conninfo).items()}
    user = f"{parts['user']}@" if parts.get("user") else ""
    host, port = parts.get("host", ""), parts.get("port", "")
    if host.startswith("/") or not host:  # a Unix socket: libpq's URL takes it as a parameter
        query = "&".join(f"{name}={value}" for name, value in (("host", host), ("port", port)) if value)
        return f"postgresql://{user}{path}" + (f"?{query}" if query else "")
    return f"postgresql://{user}{host}" + (f":{port}" if port else "") + path


def ambiguous_credentials(url: str) -> bool:
    """True when the URL's password (or user name) holds an unescaped "@" or "/", so that libpq reads another host
    than the one after the last "@" (the one `masked` shows): `postgresql://rag:p@ss/w:rd@db/news` is read as user
    rag, password "p", host "ss", and the error named that host, a piece of the password. Two "@" before the query,
    or a "/" in the user's part (what comes before it is no host:port then) are taken as such a password.

    >>> ambiguous_credentials("postgresql://rag2:p@ss/w:rd#1@127.0.0.1:7875/news")
    True
    >>> ambiguous_credentials("postgresql://rag:p@ss@db/news"), ambiguous_credentials("postgresql://rag:pa/ss@db/news")
    (True, True)
    >>> ambiguous_credentials("postgresql://rag:p%40ss%2Fw@db:5432/news")
    False
    >>> ambiguous_credentials("postgresql:///news?host=/tmp&user=me@corp"), ambiguous_credentials("postgresql://db:5432/a@b")
    (False, False)
    """
    _, separator, rest = url.partition("://")
    head = rest.split("?", 1)[0]  # a query's values may hold "@" (they are no part of the host)
    if not separator or "@" not in head:
        return False
    if head.count("@") > 1:
        return True
    slash = head.find("/")
    if slash < 0 or slash > head.find("@"):
        return False
    # One "@", after a "/": in the database name, or in a password holding "/" (then what comes before the "/" is
    # user:password-start, whose "port" is no number).
    _, colon, port = head[:slash].rpartition(":")
    return bool(colon) and not port.isdigit()


def _secrets(url: str) -> list[str]:
    parts = urlsplit(url)
    found = [parts.password] if parts.password else []
    found += [
        value
        for name, _, value in (item.partition("=") for item in parts.query.split("&"))
        if name.lower() == "password" and value
    ]
    return found


def _driver() -> Any:
    try:
        import psycopg
    except ImportError:
        raise RagError("the PostgreSQL store needs psycopg: pip install 'rag-articles[postgres]'") from None
    return psycopg


class Database:
    """Connections to one database, kept open between requests (at most `POOL_SIZE` at a time); every driver
    error leaves here as a `RagError` whose text names the database without its password."""

    def __init__(self, url: str) -> None:
        self.url = url
        self.name = masked(url)
        if ambiguous_credentials(url):  # before anything is sent: the driver's error would show part of the password
            raise StoreAccessError(
                f"the database URL {self.name} cannot be read as written: its password (or user name) holds a "
                f"character that ends that part of a URL (\"@\", \"/\"), so the part after it would be taken for the "
                f"host: percent-encode special characters in the password (@ as %40, / as %2F, : as %3A, # as %23, "
                f"? as %3F; in Python, urllib.parse.quote(password, safe=\"\")), or leave the password out of the URL "
                f"and give it in PGPASSWORD or ~/.pgpass"
            )
        self._secrets = _secrets(url)
        self._idle: list[Any] = []
        self._lock = threading.Lock()
        self._slots = threading.BoundedSemaphore(POOL_SIZE)
        self.schema_checked = False

    def scrub(self, text: str) -> str:
        for secret in self._secrets:
            text = text.replace(secret, "***")
        return text

    def connect(self) -> Any:
        psycopg = _driver()
        try:
            connection = psycopg.connect(self.url, autocommit=True, connect_timeout=CONNECT_TIMEOUT)
        except psycopg.Error as error:
            raise self.refused(error) or self.unavailable(error) from None
        with contextlib.suppress(psycopg.Error):  # no HNSW settings before the extension exists: harmless
            # The larger of EF_SEARCH and the server's own (`ALTER ROLE ... SET hnsw.ef_search`: large indexes).
            connection.execute(
                "SELECT set_config('hnsw.ef_search', greatest(coalesce(nullif(current_setting('hnsw.ef_search', "
                "true), ''), '0')::int, %s)::text, false)",
                (EF_SEARCH,),
            )
            # A filtered HNSW scan goes on until it has found enough rows that pass the filter.
            connection.execute("SET hnsw.iterative_scan = relaxed_order")
        return connection

    def refused(self, error: BaseException) -> StoreAccessError | None:
        """The error for a connection that the server refused for good reasons of its own (no such database, the
        user or password rejected), which trying again does not change; None for any other failure. libpq gives
        no SQLSTATE for a failed connection: its message is what tells."""
        reason = self._reason(error)
        lowered = reason.lower()
        if "too many connections" not in lowered and REFUSED_USER.search(lowered):  # a full server is no refusal
            return StoreAccessError(
                f"the database {self.name} refused the user or password ({reason}): check the user name in the "
                f"URL and its password: the URL's (percent-encoded: @ as %40), or PGPASSWORD, or a line "
                f"host:port:database:user:password in ~/.pgpass (mode 0600) of the user running rag; an administrator "
                f"sets it with `ALTER ROLE {self._part('user', 'USER')} PASSWORD '...';` (and lets the user in from "
                f"this host in pg_hba.conf)"
            )
        if "database" in lowered and "does not exist" in lowered:
            database, user = self._part("dbname", "DATABASE"), self._part("user", "USER")
            return StoreAccessError(
                f"the database {self.name} does not exist on that PostgreSQL server ({reason}): create it as a "
                f"superuser (`CREATE DATABASE {database} OWNER {user};` in psql, or `createdb -O {user} {database}`), "
                f"then `CREATE EXTENSION vector;` in it, and try again"
            )
        return None

    def _part(self, name: str, default: str) -> str:
        """A part of the URL as libpq reads it (the user, the database's name), or `default`."""
        try:
            from psycopg.conninfo import conninfo_to_dict

            return str(conninfo_to_dict(self.url).get(name) or default)
        except Exception:  # an unreadable URL: the connection's own error said so
            return default

    def _reason(self, error: BaseException) -> str:
        """The first line of a driver error, without the password."""
        text = str(error).strip()
        return self.scrub(text.splitlines()[0] if text else type(error).__name__)

    def unavailable(self, error: BaseException, backend_pid: int | None = None) -> StoreUnavailableError:
        """The error for a database that failed us: a `DatabaseCrashedError` that names the signal when the
        connection was lost because a server process died of one (the server's log, when it can be read, says so;
        `backend_pid`: the PID of the connection's server process), else "is not answering"."""
        crash = self._crash(error, backend_pid)
        if crash is not None:
            return DatabaseCrashedError(
                self.scrub(f"the PostgreSQL server of the database {self.name} crashed: {crash.describe()}"),
                recovers=crash.recovers,
            )
        # No "tries again" here: only a caller that does says so (`StoreUnavailableError.retrying`).
        return StoreUnavailableError(
            f"the database {self.name} is not answering ({self._reason(error)}): check that PostgreSQL "
            f"is running and reachable at that address"
        )

    def _crash(self, error: BaseException, backend_pid: int | None) -> Any:
        """The crash behind a lost connection (`rag.store.postgres_crash.diagnose`), or None: never raises."""
        if not looks_lost(str(error)):
            return None
        try:
            psycopg = _driver()
            return diagnose(
                lambda: psycopg.connect(self.url, autocommit=True, connect_timeout=CONNECT_TIMEOUT),
                backend_pid or None,
            )
        except Exception:  # the diagnosis is a courtesy: the error it would have explained is raised anyway
            return None

    @contextlib.contextmanager
    def connection(self, checked: bool = False) -> Iterator[Any]:
        """A connection (autocommit; `with connection.transaction():` for a transaction). One that failed is
        closed rather than reused, and so are the idle ones (the database went away for them too). Driver errors
        become RagErrors.

        `checked`, for writes: a connection kept from before the database restarted fails on its first use, and a
        write cannot be sent again as a read is (`fetch`): it may have been applied before the connection failed.
        So a kept connection is first tried with an empty statement, which writes nothing; one that fails there was
        dead before anything was sent, and a new connection takes its place. The write itself is sent once."""
        psycopg = _driver()
        self._slots.acquire()
        try:
            connection = self._reused(checked) or self.connect()
            backend_pid = connection.info.backend_pid  # read now: libpq forgets it once the connection is lost
            try:
                yield connection
            except (psycopg.OperationalError, psycopg.InterfaceError) as error:
                connection.close()
                self._close_idle()
                raise self.unavailable(error, backend_pid) from None
            except psycopg.Error as error:
                raise RagError(
                    f"the database {self.name} refused a request: {self.scrub(str(error).strip())}"
                ) from None
            if not connection.closed and connection.info.transaction_status == 0:  # idle: reusable
                with self._lock:
                    self._idle.append(connection)
            else:
                connection.close()
        finally:
            self._slots.release()

    def _reused(self, checked: bool = False) -> Any:
        """An idle connection of the pool, or None; `checked`: one that answered an empty statement just now."""
        connection = None
        with self._lock:
            while self._idle and connection is None:
                connection = self._idle.pop()
                if connection.closed:
                    connection = None
        if connection is None or not checked:
            return connection
        try:
            connection.execute("")  # a round trip that changes nothing (as psycopg_pool checks its connections)
        except _driver().Error:
            connection.close()
            self._close_idle()  # the database went away for them too
            return None
        return connection

    def fetch(self, sql: str, parameters: Any = None, prepare: bool | None = None) -> list[Any]:
        """The rows of one read-only statement. A connection kept from before the database restarted fails on
        its first use: the statement is then sent once more on a new connection, so that the first request after
        the database comes back does not fail. Not after a crash: the statement may have caused it. `prepare`:
        psycopg's (None: prepared once it has run a few times; False: planned afresh every time)."""
        for attempt in (1, 2):
            try:
                with self.connection() as connection:
                    return list(connection.execute(sql, parameters, prepare=prepare).fetchall())
            except DatabaseCrashedError:
                raise
            except StoreUnavailableError:
                if attempt == 2:
                    raise
        raise AssertionError("unreachable")

    def _close_idle(self) -> None:
        with self._lock:
            idle, self._idle = self._idle, []
        for connection in idle:
            connection.close()

    def check_writable(self) -> None:
        """Refuse (`ReadOnlyStoreError`) a database that is a read-only replica (a hot standby), naming its primary,
        where uploads and indexers go, when this role may read the replica's `primary_conninfo` (a superuser or
        pg_read_all_settings)."""
        psycopg = _driver()
        # Checked: the first upload after a restart of the database came here on a dead connection of the pool.
        with self.connection(checked=True) as connection:
            if not connection.execute("SELECT pg_is_in_recovery()").fetchone()[0]:
                return
            try:
                conninfo = str(connection.execute("SELECT current_setting('primary_conninfo')").fetchone()[0])
            except psycopg.Error:
                conninfo = ""
        primary = primary_url(conninfo, urlsplit(self.url).path) if conninfo else ""
        where = f"its primary, {primary}" if primary else "its primary (the server its primary_conninfo names)"
        target = primary or "PRIMARY_URL"
        raise ReadOnlyStoreError(
            f"the database {self.name} is a read-only replica: uploads and indexing go to {where}. Send uploads "
            f"(POST /api/index, the chat's upload box) to a server started with `--store {target}`, or run "
            f"`rag index FILES --store {target}`; this server answers questions"
        )

    def schema_version(self, connection: Any) -> int:
        """The schema version the database holds (0: none)."""
        if connection.execute("SELECT to_regclass('rag_schema_migrations')").fetchone()[0] is None:
            return 0
        row = connection.execute("SELECT max(version) FROM rag_schema_migrations").fetchone()
        return int(row[0] or 0)

    def check_schema(self, create: bool = False, migrate: bool = False) -> None:
        """Refuse a database whose schema is not this code's; `create` makes the schema in a database that has
        none, `migrate` upgrades an older one."""
        if self.schema_checked:
            return
        with self.connection(checked=create or migrate) as connection:  # it may write the schema
            version = self.schema_version(connection)
            if version == SCHEMA_VERSION:
                self.schema_checked = True
                return
            if version > SCHEMA_VERSION:
                raise IndexFormatError(
                    f"the database {self.name} holds schema version {version}, written by a newer rag; this rag "
                    f"reads version {SCHEMA_VERSION}: upgrade rag (pip install -U rag-articles) where you run it"
                )
            if version == 0 and not create:
                raise IndexNotFoundError(
                    f"no index in the database {self.name}: build one with `rag index SOURCES... --store URL`"
                )
            if version and not migrate:
                raise IndexFormatError(
                    f"the database {self.name} holds schema version {version}, older than version {SCHEMA_VERSION} "
                    f"that this rag reads: upgrade it first with this version's `rag index SOURCES... --store URL "
                    f"--migrate`, then start this version's servers on it (servers of the older version that are "
                    f"running keep answering through the migration, but one started after it refuses the newer "
                    f"schema: roll them all to this version); or keep the older rag"
                )
            with connection.transaction():
                connection.execute("SELECT pg_advisory_xact_lock(%s)", (MIGRATION_LOCK,))
                connection.execute(MIGRATIONS_TABLE)
                for migration in pending(self.schema_version(connection)):  # again: another process may have
                    for statement in migration.statements:
                        self._execute_migration(connection, statement)
                    connection.execute(
                        "INSERT INTO rag_schema_migrations (version, description) VALUES (%s, %s)",
                        (migration.version, migration.description),
                    )
                    log.info("database %s: schema migrated to version %d", self.name, migration.version)
        self.schema_checked = True

    def _execute_migration(self, connection: Any, statement: str) -> None:
        """One statement of a migration; pgvector's extension that this role may not create (not a superuser, and
        the extension not there yet) is refused with what to run, and where."""
        psycopg = _driver()
        try:
            connection.execute(statement)
        except psycopg.errors.InsufficientPrivilege as error:
            if "EXTENSION" not in statement.upper():
                raise
            database = self._part("dbname", "DATABASE")
            raise StoreAccessError(
                f"the database {self.name} has no pgvector extension yet, and its user may not create it "
                f"({self._reason(error)}): run `CREATE EXTENSION vector;` as a superuser in database {database}, "
                f"then run this again"
            ) from None

