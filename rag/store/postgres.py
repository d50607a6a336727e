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
from rag.store.lexical import passage_terms
from rag.store.postgres_database import (
    COMMIT_LOCK,
    EF_SEARCH,
    HNSW_EF_CONSTRUCTION,
    HNSW_M,
    WRITER_LOCK,
    Database,
    _driver,
    is_database_url,
    masked,
)
from rag.store.postgres_index import DatabaseLexicon, PostgresIndex, _vector_text, _vectors_text
from rag.text import TOKENIZER_VERSION

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
