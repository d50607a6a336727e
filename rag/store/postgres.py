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
- a first build or a rebuild writes a new generation beside the live one (the `rag_*_next` tables of
  `rag.store.postgres_schema.generation_tables`) and switches to it at the end of its transaction (`_switch`: the
  live tables dropped, the new ones renamed), so questions are answered throughout, from the old generation until
  the commit and from the new one after it (issue 23; no TRUNCATE under the readers).
- the retriever (`rag.answer.retrieve.Retriever`) asks `candidates` for the dense and BM25 candidates of a
  question in one SQL statement: the nearest vectors by pgvector's HNSW index (inner product), and the BM25 scores
  computed in SQL from `rag_terms`/`rag_postings`, with the file store's formula (Lucene's, as bm25s scores) over
  the terms of `rag.text.tokenize`, so both stores rank alike (in a large collection, from a budget of postings
  read in impact order: `rag.store.postgres_index.lexical_statement`). The fusion, filters and near-duplicate
  rules stay in the retriever. Every statement reads the committed state of the moment, so a server sees new
  articles on its next question without a restart.
- a database that is away raises `StoreUnavailableError` (HTTP 503); connections are opened again on the next
  request, so a server recovers by itself when the database returns. When the connection was lost because a
  server process died of a signal, the error says which and what to do, as the server's log tells it
  (`rag.store.postgres_crash`: signal 4, SIGILL, is a pgvector built for another CPU), and the request is not sent
  again (`DatabaseCrashedError`, a StoreUnavailableError).

The password of the URL is never printed or logged: every message names the database by `masked(url)`, and any
text from the driver is scrubbed of it. psycopg is imported only when a database store is opened (the file store
needs no database driver); `pip install 'rag-articles[postgres]'` installs it.

The store is three modules: `rag.store.postgres_database` (connections, URLs, the schema), `rag.store.postgres_index`
(`PostgresIndex`: the read side, and the changes the indexer makes before a save) and this one (`PostgresStore`:
the write side, what `rag.store.open_store` returns for a database).
"""

from __future__ import annotations

import contextlib
import json
import time
from collections.abc import Iterator, Sequence
from dataclasses import asdict
from typing import Any

import numpy as np

from rag.errors import IndexFormatError, IndexLockedError, RagError
from rag.records import Passage
from rag.store.generations import listed_sources
from rag.store.lexical import passage_terms
from rag.store.postgres_database import (
    COMMIT_LOCK,
    EF_SEARCH,
    WRITER_LOCK,
    Database,
    _driver,
    is_database_url,
    masked,
)
from rag.store.postgres_index import DatabaseLexicon, PostgresIndex, _vector_text, _vectors_text
from rag.store.postgres_schema import (
    GENERATION_TABLES,
    MAINTENANCE_MEMORY,
    NEXT,
    generation_indexes,
    generation_tables,
    hnsw_index,
)
from rag.text import TOKENIZER_VERSION

SWITCH_LOCK_TIMEOUT_MS = 100
"""How long the switch to a new generation waits for the live tables before it lets go and tries again: shorter than
PostgreSQL's deadlock check (1 s), so that a reader caught between two of the tables is never the one cancelled."""
SWITCH_PATIENCE = 30.0
"""Seconds of such attempts before the switch waits for the tables like any statement."""

__all__ = ["EF_SEARCH", "Database", "DatabaseLexicon", "PostgresIndex", "PostgresStore", "_vector_text",
           "is_database_url", "masked"]


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
        seconds; one against a read-only replica, ReadOnlyStoreError naming the primary."""
        psycopg = _driver()
        self.database.check_writable()  # a replica: say where indexing goes, before anything is read or embedded
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
        # Checked: a dead connection of the pool is replaced before the transaction starts, never after.
        with self.database.connection(checked=True) as connection, connection.transaction():
            connection.execute("SELECT pg_advisory_xact_lock(%s)", (COMMIT_LOCK,))  # commits take turns
            connection.execute(MAINTENANCE_MEMORY)  # for the HNSW build of a first build or a rebuild
            fresh = index.fresh and not self._built_meanwhile(connection, index)
            # A new or rebuilt index is written beside the live one and switched to at the end (`_switch`):
            # questions asked meanwhile are answered from the live generation.
            suffix = NEXT if fresh else ""
            if fresh:
                for statement in generation_tables(index.dimension, NEXT):
                    connection.execute(statement)
                # Row numbers go on from the live generation's, never reused: a reader that ranked rows of the
                # old generation and asks for their vectors after the switch gets none, never another passage's.
                connection.execute(
                    f"SELECT setval(pg_get_serial_sequence('rag_passages{NEXT}', 'row_id'), coalesce("
                    "pg_sequence_last_value(pg_get_serial_sequence('rag_passages', 'row_id')::regclass), 0) + 1, false)"
                )
            else:
                _remove(connection, gone)
            if written:  # new and re-read articles, and unchanged ones whose file signature changed
                # One COPY and one upsert, not a round trip per article.
                connection.execute(f"CREATE TEMPORARY TABLE rag_written (LIKE rag_articles{suffix}) ON COMMIT DROP")
                with connection.cursor().copy("COPY rag_written (id, hash, record) FROM STDIN") as copy:
                    for record in written:
                        copy.write_row((record.id, record.hash, json.dumps(asdict(record), ensure_ascii=False)))
                connection.execute(
                    f"INSERT INTO rag_articles{suffix} SELECT * FROM rag_written ON CONFLICT (id) "
                    "DO UPDATE SET hash = excluded.hash, record = excluded.record"
                )
            _insert(connection, added, psycopg, suffix)
            if fresh:
                for statement in generation_indexes(NEXT):
                    connection.execute(statement)
                connection.execute(hnsw_index(f"rag_passages{NEXT}", index.dimension))
                _switch(connection, psycopg)
                _reset_state(connection, index)
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
            # first path parts only: a million rows stay in the database
            sources = [row[0] for row in connection.execute(
                "SELECT DISTINCT split_part(record->>'source', '/', 1) FROM rag_articles").fetchall()]
        return {**stats, "index": self.database.name, "bytes": sum(sizes.values()), "files": sizes,
                **listed_sources(sources)}


def _switch(connection: Any, psycopg: Any) -> None:
    """Make the generation built in the `NEXT` tables the live one, in the caller's transaction: drop the live
    tables and give the new ones (and their indexes, sequence and constraints) their names. Readers keep reading the
    live tables until the commit; a statement that starts during the switch waits for it and then reads the new
    tables (PostgreSQL looks a table's name up again once it has waited for its lock).

    The live tables are taken with a short lock timeout, tried again until it works: a reader may hold one of them
    while it waits for another that the switch holds, and the switch, not the reader, must be the one to let go
    (PostgreSQL's deadlock check would cancel one of them after a second). After `SWITCH_PATIENCE` seconds of
    readers that never leave a gap, the switch waits its turn like any statement."""
    deadline = time.monotonic() + SWITCH_PATIENCE
    tables = ", ".join(GENERATION_TABLES)
    while True:
        patient = time.monotonic() >= deadline
        try:
            with connection.transaction():  # a savepoint: a lock that timed out is let go, the work kept
                connection.execute(f"SET LOCAL lock_timeout = '{0 if patient else SWITCH_LOCK_TIMEOUT_MS}ms'")
                connection.execute(f"LOCK TABLE {tables} IN ACCESS EXCLUSIVE MODE")
            break
        except psycopg.errors.LockNotAvailable:
            time.sleep(0.05)
    connection.execute("SET LOCAL lock_timeout = 0")
    connection.execute(f"DROP TABLE {tables}")
    namespace = connection.execute("SELECT relnamespace FROM pg_class WHERE oid = 'rag_state'::regclass").fetchone()[0]
    for name, kind in connection.execute(
        "SELECT relname, relkind FROM pg_class WHERE relnamespace = %s AND starts_with(relname, 'rag_') "
        "AND position(%s IN relname) > 0 AND relkind IN ('r', 'i', 'S')",
        (namespace, NEXT),
    ).fetchall():
        what = {"r": "TABLE", "i": "INDEX", "S": "SEQUENCE"}[kind]
        connection.execute(f"ALTER {what} {name} RENAME TO {name.replace(NEXT, '', 1)}")
    for table, constraint in connection.execute(
        "SELECT conrelid::regclass::text, conname FROM pg_constraint WHERE connamespace = %s "
        "AND contype IN ('f', 'n', 'c') AND starts_with(conname, 'rag_') AND position(%s IN conname) > 0",
        (namespace, NEXT),
    ).fetchall():
        connection.execute(f"ALTER TABLE {table} RENAME CONSTRAINT {constraint} TO {constraint.replace(NEXT, '', 1)}")


def _reset_state(connection: Any, index: PostgresIndex) -> None:
    """The state of a new or rebuilt index: its embedder, dimension, settings and tokenizer. The generation number
    goes on from the replaced index's: a reader that knew the old one sees that it changed."""
    [(replaced,)] = connection.execute("SELECT max(generation) FROM rag_state").fetchall()
    connection.execute("DELETE FROM rag_state")
    connection.execute(
        "INSERT INTO rag_state (embedder, dimension, settings, tokenizer_version, generation) "
        "VALUES (%s, %s, %s, %s, %s)",
        (index.embedder, index.dimension, json.dumps(index.settings), TOKENIZER_VERSION,
         max(int(replaced or 0), index.generation)),
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


def _insert(
    connection: Any, added: Sequence[tuple[list[Passage], np.ndarray]], psycopg: Any, suffix: str = ""
) -> None:
    """Add passages with their vectors, BM25 postings and document frequencies (to the live tables, or to those of
    the generation being built: `suffix`)."""
    count = sum(len(passages) for passages, _ in added)
    if not count:
        return
    row_ids = [
        row[0]
        for row in connection.execute(
            "SELECT nextval(pg_get_serial_sequence(%s, 'row_id')) FROM generate_series(1, %s)",
            (f"rag_passages{suffix}", count),
        ).fetchall()
    ]
    frequencies: dict[str, int] = {}
    number = 0
    for passages, vectors in added:  # a batch at a time: the postings of a million passages would not fit in memory
        postings: list[tuple[str, int, int, int]] = []
        with connection.cursor().copy(
            f"COPY rag_passages{suffix} (row_id, article_id, source, published, length, passage, embedding) FROM STDIN"
        ) as passages_copy:
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
        with connection.cursor().copy(
            f"COPY rag_postings{suffix} (term, passage, tf, length) FROM STDIN"
        ) as postings_copy:
            for posting in postings:
                postings_copy.write_row(posting)
    connection.execute(
        f"INSERT INTO rag_terms{suffix} AS t (term, df) SELECT * FROM unnest(%s::text[], %s::int[]) "
        "ON CONFLICT (term) DO UPDATE SET df = t.df + excluded.df",
        (list(frequencies), list(frequencies.values())),
    )
