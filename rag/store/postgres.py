"""The index in PostgreSQL with pgvector: the second store, for several servers and indexers sharing one index.

`--store postgresql://user:password@host/db` (or `RAG_STORE`) puts the index in that database instead of the index
folder. It behaves as the file store does (`rag.store.generations`), through the same calls:

- the indexer (`rag.ingest.indexer.update_index`) loads a `PostgresIndex` (every article's record, no passages),
  adds and deletes articles in memory, and `save` applies the changes in one transaction: a run killed at any
  moment leaves the previous state whole, and the next run finishes the work. `rag_state.generation` is bumped by
  every commit. Indexers share the database: ordinary runs read and embed side by side (the slow part) and their
  commits take turns on an advisory lock (`COMMIT_LOCK`); an article a commit writes replaces whatever the
  database holds under its id, so two runs over the same sources leave one copy. A rebuild holds the run lock
  exclusively (`WRITER_LOCK`, `writer_lock`). What two runs at the same moment cannot see of each other: the same
  text under two ids, each new in one of them, is stored twice (one run alone stores it once).
- the retriever (`rag.answer.retrieve.Retriever`) asks `candidates` for the dense and BM25 candidates of a
  question in one SQL statement: the nearest vectors by pgvector's HNSW index (inner product), and the BM25 scores
  computed in SQL from `rag_terms`/`rag_postings`, with the file store's formula (Lucene's, as bm25s scores) over
  the terms of `rag.text.tokenize`, so both stores rank alike. The fusion, filters and near-duplicate rules stay in
  the retriever. Every statement reads the committed state of the moment, so a server sees new articles on its
  next question without a restart.
- a database that is away raises `StoreUnavailableError` (HTTP 503); connections are opened again on the next
  request, so a server recovers by itself when the database returns. When the connection was lost because a
  server process died of a signal, the error says which and what to do, as the server's log tells it
  (`rag.store.postgres_crash`: signal 4, SIGILL, is a pgvector built for another CPU), and the request is not sent
  again (`DatabaseCrashedError`, a StoreUnavailableError).

The password of the URL is never printed or logged: every message names the database by `masked(url)`, and any
text from the driver is scrubbed of it. psycopg is imported only when a database store is opened (the file store
needs no database driver); `pip install 'rag-articles[postgres]'` installs it.
"""

from __future__ import annotations

import contextlib
import io
import json
import logging
import threading
import time
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import asdict
from typing import Any
from urllib.parse import urlsplit

import numpy as np

from rag.errors import (
    DatabaseCrashedError,
    IndexFormatError,
    IndexLockedError,
    IndexNotFoundError,
    RagError,
    StoreUnavailableError,
)
from rag.records import Filters, Passage
from rag.store import reading
from rag.store.generations import ArticleRecord
from rag.store.lexical import passage_terms
from rag.store.postgres_crash import diagnose, looks_lost
from rag.store.postgres_schema import MIGRATIONS_TABLE, SCHEMA_VERSION, pending
from rag.store.reading import KnownWeights, StoreCandidates
from rag.text import TOKENIZER_VERSION, idf, tokenize

log = logging.getLogger(__name__)

SCHEMES = ("postgresql://", "postgres://")
WRITER_LOCK = 7_361_101_121_040_237_105
"""The advisory lock every indexer of one database holds for its whole run: shared by ordinary runs (they may run
side by side), exclusive for a rebuild (which replaces everything). An arbitrary constant, shared by all versions."""
COMMIT_LOCK = WRITER_LOCK + 1
"""The advisory lock every commit takes inside its transaction: commits are applied one after the other."""
MIGRATION_LOCK = WRITER_LOCK + 2
K1, B = 1.2, 0.75
"""BM25 parameters: the file store's (`rag.store.lexical.LexicalIndex`)."""
HNSW_M = 16
HNSW_EF_CONSTRUCTION = 64
EF_SEARCH = 200
"""HNSW's build (pgvector's defaults) and search parameters, chosen with `python -m tools.bench` (store axis, 100k
synthetic passages, 2 cores): ef_search 40 (pgvector's default) finds 0.93-0.96 of the exact top 10, 100 finds
0.98-1.00, 200 finds 0.997-0.998 at about 3 ms; m = 32 with ef_construction = 128 reaches 1.000 at ef_search 100
but takes 1.5 times as long to build and twice the links per passage, which every incremental insert pays. The
retriever asks for 50 candidates, and HNSW returns at most ef_search rows: below 50 would cut them short. A larger
value set on the server (`ALTER ROLE rag SET hnsw.ef_search = 800`) is kept: at 1M passages 200 finds only 0.80-0.84
of the exact top 10, 800 finds 0.93 (docs/deployment.md)."""
POOL_SIZE = 4
"""Connections a process keeps open to the database (requests beyond wait for one)."""
CONNECT_TIMEOUT = 5


def is_database_url(location: object) -> bool:
    """True for a PostgreSQL URL, false for an index folder.

    >>> is_database_url("postgresql://rag@db/news"), is_database_url("index/")
    (True, False)
    """
    return str(location).startswith(SCHEMES)


def masked(url: str) -> str:
    """The URL with its password replaced by `***`: the only form in which a URL is ever shown.

    >>> masked("postgresql://rag:s3cret@db.example:5432/news?sslmode=require")
    'postgresql://rag:***@db.example:5432/news?sslmode=require'
    >>> masked("postgresql:///news?host=/tmp&password=s3cret")
    'postgresql:///news?host=/tmp&password=***'
    """
    parts = urlsplit(url)
    netloc = parts.netloc
    if "@" in netloc:
        credentials, _, host = netloc.rpartition("@")
        user, colon, _ = credentials.partition(":")
        netloc = f"{user}:***@{host}" if colon else netloc
    query = "&".join(
        f"{name}=***" if name.lower() == "password" else f"{name}={value}" if sep else name
        for name, sep, value in (item.partition("=") for item in parts.query.split("&") if item)
    )
    return (
        f"{parts.scheme}://{netloc}{parts.path}"
        + (f"?{query}" if query else "")
        + (f"#{parts.fragment}" if parts.fragment else "")
    )


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
            raise self.unavailable(error) from None
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

    def unavailable(self, error: BaseException, backend_pid: int | None = None) -> StoreUnavailableError:
        """The error for a database that failed us: a `DatabaseCrashedError` that names the signal when the
        connection was lost because a server process died of one (the server's log, when it can be read, says so;
        `backend_pid`: the PID of the connection's server process), else "is not answering"."""
        crash = self._crash(error, backend_pid)
        if crash is not None:
            return DatabaseCrashedError(
                self.scrub(f"the PostgreSQL server of the database {self.name} crashed: {crash.describe()}")
            )
        reason = self.scrub(str(error).strip().splitlines()[0] if str(error).strip() else type(error).__name__)
        return StoreUnavailableError(
            f"the database {self.name} is not answering ({reason}): check that PostgreSQL "
            f"is running and reachable; the next request tries again"
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
    def connection(self) -> Iterator[Any]:
        """A connection (autocommit; `with connection.transaction():` for a transaction). One that failed is
        closed rather than reused, and so are the idle ones (the database went away for them too). Driver errors
        become RagErrors."""
        psycopg = _driver()
        self._slots.acquire()
        try:
            connection = self._reused() or self.connect()
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

    def _reused(self) -> Any:
        with self._lock:
            while self._idle:
                connection = self._idle.pop()
                if not connection.closed:
                    return connection
        return None

    def fetch(self, sql: str, parameters: Any = None) -> list[Any]:
        """The rows of one read-only statement. A connection kept from before the database restarted fails on
        its first use: the statement is then sent once more on a new connection, so that the first request after
        the database comes back does not fail. Not after a crash: the statement may have caused it."""
        for attempt in (1, 2):
            try:
                with self.connection() as connection:
                    return list(connection.execute(sql, parameters).fetchall())
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
        with self.connection() as connection:
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
                    f"that this rag reads: upgrade it with `rag index SOURCES... --store URL --migrate` once every "
                    f"server reading it runs this version (or keep the older rag)"
                )
            with connection.transaction():
                connection.execute("SELECT pg_advisory_xact_lock(%s)", (MIGRATION_LOCK,))
                connection.execute(MIGRATIONS_TABLE)
                for migration in pending(self.schema_version(connection)):  # again: another process may have
                    for statement in migration.statements:
                        connection.execute(statement)
                    connection.execute(
                        "INSERT INTO rag_schema_migrations (version, description) VALUES (%s, %s)",
                        (migration.version, migration.description),
                    )
                    log.info("database %s: schema migrated to version %d", self.name, migration.version)
        self.schema_checked = True


# -- reading -------------------------------------------------------------------------------------------------------


class DatabaseLexicon:
    """The BM25 statistics the answer checks weigh words with (`term_weights`), read from the database."""

    def __init__(self, index: PostgresIndex) -> None:
        self.index = index

    def __len__(self) -> int:
        return self.index.passage_count()

    def term_weights(self, terms: Iterable[str]) -> dict[str, float]:
        """The IDF of each distinct term some passage holds (as `LexicalIndex.term_weights`)."""
        known = list(dict.fromkeys(terms))
        if not known:
            return {}
        rows = self.index.database.fetch(
            "SELECT t.term, t.df, s.passages FROM rag_terms t CROSS JOIN rag_state s "
            "WHERE t.term = ANY(%s) AND t.df > 0",
            (known,),
        )
        weights = {term: float(idf(df, passages)) for term, df, passages in rows}
        return {term: weights[term] for term in known if term in weights}


class PostgresIndex:
    """The index in a PostgreSQL database: what the indexer changes (`articles`, `add`, `delete`, saved by
    `PostgresStore.save`) and what the retriever searches (`candidates`). See the module docstring."""

    def __init__(
        self, database: Database, embedder: str, dimension: int, settings: dict[str, Any], generation: int = 0
    ) -> None:
        self.database = database
        self.url = database.url
        self.embedder = embedder
        self.dimension = dimension
        self.settings = dict(settings)
        self.generation = generation
        self.lexical = DatabaseLexicon(self)
        self.fresh = False  # True: save replaces everything in the database (a new or rebuilt index)
        self._articles: dict[str, ArticleRecord] | None = None
        self._saved_articles: dict[str, ArticleRecord] = {}
        self._added: list[tuple[list[Passage], np.ndarray]] = []
        self._count = 0
        self._groups: tuple[int, list[tuple[str, str, int]]] | None = None

    @classmethod
    def open(cls, url: str, embedder: str | None = None, dimension: int | None = None) -> PostgresIndex:
        """The index in the database at `url`; refused if it was built with another embedder (as the file store
        refuses), if there is none, or if its schema is not this version's."""
        database = Database(url)
        database.check_schema()
        return cls.opened(database, embedder, dimension)

    @classmethod
    def opened(cls, database: Database, embedder: str | None = None, dimension: int | None = None) -> PostgresIndex:
        index = cls._from_state(database)
        if embedder is not None and (index.embedder != embedder or (dimension and index.dimension != dimension)):
            raise IndexFormatError(
                f"the index in the database {database.name} was built with embedder {index.embedder!r} "
                f"(dimension {index.dimension}), but {embedder!r} (dimension {dimension}) is configured: "
                f"use --embedder {index.embedder.removesuffix('+int8')!r} --embed-backend "
                f"{'onnx-int8' if index.embedder.endswith('+int8') else 'torch'}, or rebuild with "
                f"`rag index SOURCES --store URL --rebuild`"
            )
        return index

    @classmethod
    def _from_state(cls, database: Database) -> PostgresIndex:
        rows = database.fetch(
            "SELECT embedder, dimension, settings, generation, passages, tokenizer_version FROM rag_state"
        )
        row = rows[0] if rows else None
        if row is None:
            raise IndexNotFoundError(
                f"no index in the database {database.name}: build one with `rag index SOURCES... --store URL`"
            )
        embedder, dimension, settings, generation, passages, tokenizer = row
        if tokenizer != TOKENIZER_VERSION:
            raise IndexFormatError(
                f"the BM25 terms in the database {database.name} were made by tokenizer version "
                f"{tokenizer}, this rag uses version {TOKENIZER_VERSION}: rebuild with "
                f"`rag index SOURCES --store URL --rebuild`"
            )
        index = cls(database, embedder, int(dimension), settings, int(generation))
        index._count = int(passages)
        return index

    def __len__(self) -> int:
        return self._count

    def passage_count(self) -> int:
        return self._count

    @property
    def location(self) -> str:
        """The database's URL, as `rag.store.open_index` opens it (with its password: never shown)."""
        return self.url

    @property
    def name(self) -> str:
        """The database's URL without its password."""
        return self.database.name

    # -- what the indexer changes (applied by PostgresStore.save, in one transaction) ---------------------------

    @property
    def articles(self) -> dict[str, ArticleRecord]:
        """Every article's record, read once (the indexer compares content hashes with them)."""
        if self._articles is None:
            rows = self.database.fetch("SELECT record FROM rag_articles")
            self._articles = {record.id: record for record in (ArticleRecord.from_dict(row[0]) for row in rows)}
            self._saved_articles = dict(self._articles)
        return self._articles

    def add(self, passages: Sequence[Passage], vectors: np.ndarray, articles: Iterable[ArticleRecord] = ()) -> None:
        vectors = np.ascontiguousarray(vectors, dtype=np.float32)
        if vectors.shape != (len(passages), self.dimension):
            raise ValueError(
                f"expected {len(passages)} vectors of dimension {self.dimension}, got an array of shape {vectors.shape}"
            )
        self._added.append((list(passages), vectors))
        for article in articles:
            self.articles[article.id] = article

    def delete(self, article_ids: Iterable[str]) -> int:
        """Remove articles (and, when saved, their passages); returns the number of passages removed."""
        removed = 0
        for article_id in set(article_ids):
            record = self.articles.pop(article_id, None)
            removed += record.passages if record is not None else 0
        return removed

    def pending(self) -> tuple[list[str], list[ArticleRecord], list[tuple[list[Passage], np.ndarray]]]:
        """(articles whose passages go, records to write, passages to add) since the last save."""
        articles = self.articles
        saved = self._saved_articles
        added_ids = {passage.article_id for passages, _ in self._added for passage in passages}
        # Every article added replaces what the database holds under its id, even if another indexer wrote it
        # after this one read the records.
        gone = [article_id for article_id in saved if article_id not in articles] + sorted(added_ids)
        written = [record for article_id, record in articles.items() if saved.get(article_id) is not record]
        return gone, written, self._added

    def saved(self, generation: int, count: int) -> None:
        self.generation = generation
        self._count = count
        self._saved_articles = dict(self.articles)
        self._added = []
        self.fresh = False

    # -- what the retriever asks ------------------------------------------------------------------------------

    def refresh(self) -> bool:
        """Read the live generation and counts; True when another process committed since."""
        rows = self.database.fetch("SELECT generation, passages FROM rag_state")
        row = rows[0] if rows else None
        if row is None:
            raise IndexNotFoundError(
                f"the index in the database {self.database.name} is gone: build it again "
                f"with `rag index SOURCES... --store URL`"
            )
        return self._observe(int(row[0]), int(row[1]))

    def stale(self) -> bool:
        """Never: every statement reads the database's committed state of the moment."""
        return False

    def refreshed(self) -> PostgresIndex:
        """This index, with the live generation, counts and (when read again) article records."""
        self.refresh()
        return self

    def _observe(self, generation: int, passages: int) -> bool:
        """Take note of the live generation and passage count; True when another process committed since."""
        changed = generation != self.generation
        self.generation, self._count = generation, passages
        if changed and not self._added:  # a reader's copy of the records (the chat's source list) is out of date
            self._articles, self._saved_articles = None, {}
        return changed

    def candidates(
        self, vector: np.ndarray | None, question: str | None, depth: int, filters: Filters | None = None
    ) -> StoreCandidates:
        """The `depth` passages nearest to `vector` and the `depth` best by BM25 for `question` (either may be left
        out: None), among those `filters` allows, with both scores of every candidate."""
        terms = tokenize(question) if question is not None else []
        parameters: dict[str, Any] = {"terms": list(terms), "depth": depth, "k1": K1, "b": B}
        where = ""
        exact = False
        if filters:
            allowed = [
                (source, published, count)
                for source, published, count in self._filter_groups()
                if filters.allows(Passage("", "", source, "", "", 0, 0, published=published))
            ]
            if not allowed:
                return _no_candidates()
            parameters["sources"] = [source for source, _, _ in allowed]
            parameters["dates"] = [published for _, published, _ in allowed]
            where = "WHERE (p.source, p.published) IN (SELECT * FROM unnest(%(sources)s::text[], %(dates)s::text[]))"
            exact = sum(count for _, _, count in allowed) <= reading.EXACT_FILTER_ROWS
        parts = [
            "stats AS (SELECT passages::float8 AS n, greatest(total_length::float8 / greatest(passages, 1), 1e-9) "
            "AS average FROM rag_state)",
            "bm25 AS MATERIALIZED (SELECT po.passage, sum(ln(1 + (s.n - t.df + 0.5) / (t.df + 0.5)) * po.tf "
            "/ (po.tf + %(k1)s * (1 - %(b)s + %(b)s * po.length / s.average)))::float8 AS score "
            "FROM unnest(%(terms)s::text[]) AS q(term) JOIN rag_terms t ON t.term = q.term "
            "JOIN rag_postings po ON po.term = q.term CROSS JOIN stats s GROUP BY po.passage)",
            "lexical AS (SELECT b.passage AS row_id, b.score FROM bm25 b "
            + (f"JOIN rag_passages p ON p.row_id = b.passage {where} " if where else "")
            + "ORDER BY b.score DESC, b.passage LIMIT %(depth)s)",
        ]
        chosen = "SELECT row_id FROM lexical"
        dense_score = "0::float8"
        if vector is not None:
            parameters["vector"] = _vector_text(vector)
            # `+ 0` hides the operator from the planner: an exact scan of the few allowed rows, not HNSW.
            order = "(p.embedding <#> %(vector)s::vector) + 0" if exact else "p.embedding <#> %(vector)s::vector"
            parts.append(f"dense AS (SELECT p.row_id FROM rag_passages p {where} ORDER BY {order} LIMIT %(depth)s)")
            chosen += " UNION SELECT row_id FROM dense"
            dense_score = "-(p.embedding <#> %(vector)s::vector)"
        parts.append(f"chosen AS ({chosen})")
        sql = (
            f"WITH {', '.join(parts)} SELECT p.row_id, p.passage, {dense_score}, coalesce(b.score, 0), "
            f"(SELECT max(score) FROM lexical), s.generation, s.passages, (SELECT json_object_agg(t.term, t.df) "
            f"FROM rag_terms t WHERE t.term = ANY(%(terms)s) AND t.df > 0) "
            f"FROM chosen c JOIN rag_passages p ON p.row_id = c.row_id CROSS JOIN rag_state s "
            f"LEFT JOIN bm25 b ON b.passage = p.row_id ORDER BY p.row_id"
        )
        rows = self.database.fetch(sql, parameters)
        if not rows:
            return _no_candidates()
        self._observe(int(rows[0][5]), int(rows[0][6]))
        passages = int(rows[0][6])
        return StoreCandidates(
            rows=np.array([row[0] for row in rows], dtype=np.int64),
            passages=tuple(Passage.from_dict(row[1]) for row in rows),
            dense=np.array([row[2] for row in rows], dtype=np.float32),
            lexical=np.array([row[3] for row in rows], dtype=np.float32),
            best_lexical=float(rows[0][4] or 0.0),
            weighting=KnownWeights({term: float(idf(df, passages)) for term, df in (rows[0][7] or {}).items()}),
        )

    def vectors_of(self, rows: Sequence[int]) -> np.ndarray:
        """The stored vectors of these passage rows, in the order given (story grouping compares them)."""
        if not rows:
            return np.zeros((0, self.dimension), dtype=np.float32)
        found = {int(row): text for row, text in self.database.fetch(
            "SELECT row_id, embedding::text FROM rag_passages WHERE row_id = ANY(%(rows)s)",
            {"rows": [int(row) for row in rows]})}
        return np.array([np.array(found[int(row)].strip("[]").split(","), dtype=np.float32) for row in rows],
                        dtype=np.float32).reshape(len(rows), self.dimension)

    def _filter_groups(self) -> list[tuple[str, str, int]]:
        """The distinct (source, published date) pairs with their passage counts, read once per generation: a
        filter is decided once per pair (as the file store does), then the database keeps the allowed pairs."""
        cached = self._groups
        if cached is not None and cached[0] == self.generation:
            return cached[1]
        generation = self.database.fetch("SELECT generation FROM rag_state")[0][0]
        groups = [
            (str(source), str(published), int(count))
            for source, published, count in self.database.fetch(
                "SELECT source, published, count(*) FROM rag_passages GROUP BY source, published"
            )
        ]
        self._groups = (int(generation), groups)
        return groups

    def stats(self) -> dict[str, Any]:
        count = int(self.database.fetch("SELECT count(*) FROM rag_articles")[0][0])
        return {
            "format_version": SCHEMA_VERSION,
            "embedder": self.embedder,
            "dimension": self.dimension,
            "articles": count,
            "passages": self._count,
            "generation": self.generation,
            "settings": self.settings,
            "vectors": {
                "factory": "pgvector",
                "kind": f"HNSW (m={HNSW_M}, ef_construction={HNSW_EF_CONSTRUCTION})",
                "nprobe": 0,
                "bytes_per_passage": 4 * self.dimension + 8,
            },
            "store": self.database.name,
        }


def _no_candidates() -> StoreCandidates:
    return StoreCandidates.none(KnownWeights({}))


def _vector_text(vector: np.ndarray) -> str:
    """pgvector's text form of a vector (nine significant digits: every float32 exactly).

    >>> _vector_text(np.array([0.5, -1.0, 1 / 3], dtype=np.float32))
    '[0.5,-1,0.333333343]'
    """
    return _vectors_text(np.asarray(vector, dtype=np.float32).reshape(1, -1))[0]


def _vectors_text(vectors: np.ndarray) -> list[str]:
    """The text form of each row (numpy formats them three times faster than Python's float repr)."""
    if not len(vectors):
        return []
    buffer = io.StringIO()
    np.savetxt(buffer, np.asarray(vectors, dtype=np.float32), fmt="%.9g", delimiter=",")
    return [f"[{line}]" for line in buffer.getvalue().splitlines()]


# -- writing -------------------------------------------------------------------------------------------------------


class PostgresStore:
    """Where the indexer keeps the index when it is a database (`rag.store.open_store`); the file store's
    counterpart is `rag.store.FileStore`."""

    def __init__(self, url: str, migrate: bool = False) -> None:
        self.url = url
        self.database = Database(url)
        self.name = f"the database {self.database.name}"
        self.emptying = "run --rebuild with other sources"
        self.migrate = migrate
        self.exclusive = False  # whether this process holds the run lock exclusively (a rebuild)

    @contextlib.contextmanager
    def writer_lock(self, timeout: float = 0.0, exclusive: bool = False) -> Iterator[None]:
        """Hold the run lock (a session advisory lock: released by PostgreSQL if this process dies): shared by
        ordinary runs, `exclusive` for a rebuild. A run that cannot have it gets IndexLockedError after `timeout`
        seconds."""
        psycopg = _driver()
        connection = self.database.connect()
        backend_pid = connection.info.backend_pid
        take = "pg_try_advisory_lock" if exclusive else "pg_try_advisory_lock_shared"
        try:
            deadline = time.monotonic() + timeout
            while not connection.execute(f"SELECT {take}(%s)", (WRITER_LOCK,)).fetchone()[0]:
                if time.monotonic() >= deadline:
                    doing = "writing" if exclusive else "rebuilding"
                    raise IndexLockedError(
                        f"another process is {doing} the index in {self.name}: wait for it to "
                        f"finish (or pass --wait SECONDS), then run the command again"
                    )
                time.sleep(0.2)
            self.exclusive = exclusive
            yield
        except (psycopg.OperationalError, psycopg.InterfaceError) as error:
            raise self.database.unavailable(error, backend_pid) from None
        finally:
            connection.close()  # ends the session, and with it the lock

    def load(self, embedder: str | None = None, dimension: int | None = None) -> PostgresIndex:
        """The index for writing (the schema is created in a database that has none, upgraded with `migrate`)."""
        self.database.check_schema(create=True, migrate=self.migrate)
        return PostgresIndex.opened(self.database, embedder, dimension)

    def load_head(self) -> PostgresIndex:
        """The index itself: its article records come with it and its passages stay in the database."""
        return self.load()

    def create(self, embedder: str, dimension: int, settings: dict[str, Any]) -> PostgresIndex:
        """A new, empty index: saving it replaces whatever the database holds (the first build, `--rebuild`)."""
        self.database.check_schema(create=True, migrate=self.migrate)
        index = PostgresIndex(self.database, embedder, dimension, settings)
        index._articles, index._saved_articles = {}, {}
        index.fresh = True
        return index

    def recorded_embedder(self) -> str | None:
        """The embedder the index was built with, or None when there is no readable index."""
        try:
            return PostgresIndex.open(self.url).embedder
        except RagError:
            return None

    def save(self, index: PostgresIndex) -> None:
        """Apply the index's changes since its last save in one transaction, and bump the generation."""
        gone, written, added = index.pending()
        psycopg = _driver()
        with self.database.connection() as connection, connection.transaction():
            connection.execute("SELECT pg_advisory_xact_lock(%s)", (COMMIT_LOCK,))  # commits take turns
            # Index builds get at least 256 MB (PostgreSQL's default is 64 MB), or more if the server gives more:
            # an HNSW graph that outgrows it is built far more slowly (docs/deployment.md).
            connection.execute(
                "SELECT set_config('maintenance_work_mem', greatest(pg_size_bytes(current_setting("
                "'maintenance_work_mem')) / 1024, 262144)::bigint || 'kB', true)"
            )
            fresh = index.fresh and not self._built_meanwhile(connection, index)
            if fresh:
                _reset(connection, index)
            else:
                _remove(connection, gone)
            if written:  # new and re-read articles, and unchanged ones whose file signature changed
                # One COPY and one upsert, not a round trip per article.
                connection.execute("CREATE TEMPORARY TABLE rag_written (LIKE rag_articles) ON COMMIT DROP")
                with connection.cursor().copy("COPY rag_written (id, hash, record) FROM STDIN") as copy:
                    for record in written:
                        copy.write_row((record.id, record.hash, json.dumps(asdict(record), ensure_ascii=False)))
                connection.execute(
                    "INSERT INTO rag_articles SELECT * FROM rag_written ON CONFLICT (id) "
                    "DO UPDATE SET hash = excluded.hash, record = excluded.record"
                )
            _insert(connection, added, psycopg)
            if fresh:
                connection.execute(
                    f"CREATE INDEX rag_passages_embedding ON rag_passages USING hnsw (embedding vector_ip_ops) "
                    f"WITH (m = {HNSW_M}, ef_construction = {HNSW_EF_CONSTRUCTION})"
                )
            row = connection.execute(
                "UPDATE rag_state SET generation = generation + 1, settings = %s, saved_at = now(), "
                "passages = (SELECT count(*) FROM rag_passages), "
                "total_length = (SELECT coalesce(sum(length), 0) FROM rag_passages) "
                "RETURNING generation, passages",
                (json.dumps(index.settings),),
            ).fetchone()
        index.saved(int(row[0]), int(row[1]))

    def _built_meanwhile(self, connection: Any, index: PostgresIndex) -> bool:
        """True when this run's first build finds an index that another indexer built since this one looked: its
        articles are then added to it (rather than replacing it), if it was built with the same settings."""
        if self.exclusive:
            return False  # a rebuild replaces everything: no other indexer ran meanwhile
        row = connection.execute("SELECT embedder, dimension, settings FROM rag_state").fetchone()
        if row is None:
            return False
        if (row[0], row[1], row[2]) != (index.embedder, index.dimension, index.settings):
            raise IndexFormatError(
                f"another indexer built the index in {self.name} meanwhile, with embedder {row[0]!r} and "
                f"chunking {row[2]}, this run has {index.embedder!r} and {index.settings}: run it again with the "
                f"same settings, or with --rebuild to replace that index"
            )
        return True

    def info(self) -> dict[str, Any]:
        """What `rag info` shows: the index's statistics and the database's size for it."""
        stats = PostgresIndex.open(self.url).stats()
        with self.database.connection() as connection:
            sizes = dict(
                connection.execute(
                    "SELECT relname, pg_total_relation_size(oid) FROM pg_class WHERE relname IN "
                    "('rag_articles', 'rag_passages', 'rag_terms', 'rag_postings') ORDER BY relname"
                ).fetchall()
            )
        return {**stats, "index": self.database.name, "bytes": sum(sizes.values()), "files": sizes}


def _reset(connection: Any, index: PostgresIndex) -> None:
    """Empty the index and set its embedder and vector column up (the first save of a new or rebuilt index). The
    HNSW index is dropped here and built after the passages are in: much faster than growing it row by row."""
    connection.execute("TRUNCATE rag_postings, rag_passages, rag_articles, rag_terms")
    connection.execute("DROP INDEX IF EXISTS rag_passages_embedding")
    connection.execute("ALTER TABLE rag_passages DROP COLUMN IF EXISTS embedding")
    connection.execute(f"ALTER TABLE rag_passages ADD COLUMN embedding vector({int(index.dimension)}) NOT NULL")
    connection.execute("DELETE FROM rag_state")
    connection.execute(
        "INSERT INTO rag_state (embedder, dimension, settings, tokenizer_version, generation) "
        "VALUES (%s, %s, %s, %s, %s)",
        (index.embedder, index.dimension, json.dumps(index.settings), TOKENIZER_VERSION, index.generation),
    )


def _remove(connection: Any, article_ids: Sequence[str]) -> None:
    """Delete articles, their passages and postings, keeping the document frequencies right."""
    if not article_ids:
        return
    connection.execute(
        "UPDATE rag_terms t SET df = t.df - d.n FROM (SELECT po.term, count(*) AS n FROM rag_postings po "
        "JOIN rag_passages p ON p.row_id = po.passage WHERE p.article_id = ANY(%s) GROUP BY po.term) d "
        "WHERE t.term = d.term",
        (list(article_ids),),
    )
    connection.execute("DELETE FROM rag_articles WHERE id = ANY(%s)", (list(article_ids),))  # cascades
    connection.execute("DELETE FROM rag_terms WHERE df <= 0")


def _insert(connection: Any, added: Sequence[tuple[list[Passage], np.ndarray]], psycopg: Any) -> None:
    """Add passages with their vectors, BM25 postings and document frequencies."""
    count = sum(len(passages) for passages, _ in added)
    if not count:
        return
    row_ids = [
        row[0]
        for row in connection.execute(
            "SELECT nextval('rag_passages_row_id_seq') FROM generate_series(1, %s)", (count,)
        ).fetchall()
    ]
    frequencies: dict[str, int] = {}
    number = 0
    with connection.cursor().copy(
        "COPY rag_passages (row_id, article_id, source, published, length, passage, embedding) FROM STDIN"
    ) as passages_copy:
        postings: list[tuple[str, int, int, int]] = []
        for passages, vectors in added:
            for passage, vector in zip(passages, _vectors_text(vectors), strict=True):
                row_id = row_ids[number]
                number += 1
                terms = passage_terms(passage)
                passages_copy.write_row(
                    (
                        row_id,
                        passage.article_id,
                        passage.source,
                        passage.published,
                        len(terms),
                        json.dumps(passage.to_dict(), ensure_ascii=False),
                        vector,
                    )
                )
                counts: dict[str, int] = {}
                for term in terms:
                    counts[term] = counts.get(term, 0) + 1
                for term, tf in counts.items():
                    postings.append((term, row_id, tf, len(terms)))
                    frequencies[term] = frequencies.get(term, 0) + 1
    with connection.cursor().copy("COPY rag_postings (term, passage, tf, length) FROM STDIN") as postings_copy:
        for posting in postings:
            postings_copy.write_row(posting)
    connection.execute(
        "INSERT INTO rag_terms (term, df) SELECT * FROM unnest(%s::text[], %s::int[]) "
        "ON CONFLICT (term) DO UPDATE SET df = rag_terms.df + excluded.df",
        (list(frequencies), list(frequencies.values())),
    )
