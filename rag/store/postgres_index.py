"""The index in a PostgreSQL database (`PostgresIndex`): what the retriever reads through
`rag.store.reading.SearchableIndex` (the dense and BM25 candidates of a question in one SQL statement, refresh,
article records, statistics) and what the indexer changes in memory until `rag.store.postgres.PostgresStore.save`
applies it in one transaction. See `rag.store.postgres` for the whole store.
"""

from __future__ import annotations

import io
from collections.abc import Iterable, Sequence
from typing import Any

import numpy as np

from rag.errors import IndexFormatError, IndexNotFoundError
from rag.records import Filters, Passage
from rag.store import reading
from rag.store.generations import ArticleRecord
from rag.store.postgres_database import Database
from rag.store.postgres_schema import HNSW_EF_CONSTRUCTION, HNSW_M, K1, SCHEMA_VERSION, B, hnsw_distance
from rag.store.reading import KnownWeights, StoreCandidates
from rag.text import TOKENIZER_VERSION, idf, tokenize

RERANK = 2
"""The HNSW scan (over half-precision vectors) fetches this many times the depth asked for, which are then ranked by
their stored 32-bit vectors: the depth kept is then the one exact search would keep among them (the same candidates
as the file store's on a small index, where HNSW misses nothing), and recall at a million passages gains from it."""
KEY_SEPARATOR = "\x1f"
"""Between a passage's source and date in the keys a filtered HNSW scan looks its rows up in (the unit separator:
in neither)."""


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
        self.lexical_budget: int | None = BUDGET  # BM25: postings a question reads at most (None: all of them)

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

    def passages_of(self, article_ids: Iterable[str]) -> list[Passage]:
        """The saved passages of these articles, in index order."""
        rows = self.database.fetch("SELECT passage FROM rag_passages WHERE article_id = ANY(%s) ORDER BY row_id",
                                   (list(article_ids),))
        return [Passage.from_dict(row[0]) for row in rows]

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
        self, vector: np.ndarray | None, question: str | None, depth: int, filters: Filters | None = None,
        exact: bool = False,
    ) -> StoreCandidates:
        """The `depth` passages nearest to `vector` and the `depth` best by BM25 for `question` (either may be left
        out: None), among those `filters` allows, with both scores of every candidate.

        The nearest come from the HNSW index (`hnsw_distance`), or, for a filter that allows few passages (at most
        `reading.EXACT_FILTER_ROWS`) or when `exact`, from an exact scan of the allowed ones. A broader filter is
        applied during the HNSW scan, which pgvector's iterative scan carries on until enough rows passed
        (`Database.connect` turns it on); should it still stop short of `depth` when more are allowed (its bound,
        `hnsw.max_scan_tuples`, reached), the search is made again exactly: never fewer than `depth` when there are
        that many."""
        terms = tokenize(question) if question is not None else []
        parameters: dict[str, Any] = {"terms": list(terms), "depth": depth, "k1": K1, "b": B}
        where = scanned = ""
        allowed_rows = self._count
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
            # The HNSW scan tests every row it reaches: one lookup in a hashed list of "source<US>date" keys rather
            # than a join with the allowed pairs per row (issue 23: a filter keeping 5% of a million passages).
            parameters["keys"] = [f"{source}{KEY_SEPARATOR}{published}" for source, published, _ in allowed]
            scanned = f"WHERE p.source || chr({ord(KEY_SEPARATOR)}) || p.published = ANY(%(keys)s::text[])"
            allowed_rows = sum(count for _, _, count in allowed)
            exact = exact or allowed_rows <= reading.EXACT_FILTER_ROWS
        if vector is not None:
            parameters["vector"] = _vector_text(vector)
            if not exact:  # the halfvec distance's own parameter (`hnsw_distance` says why)
                parameters["fetch"], parameters["half"] = depth * RERANK, parameters["vector"]
        budget = self.lexical_budget
        if budget is not None and len(set(terms)) * self._count <= budget:
            budget = None  # every posting fits the budget: read them all, without completing scores afterwards
        # Planned afresh every time: the generic plan of a prepared statement is slower for the bounded read (p50
        # 51 ms against 42 ms at a million passages).
        rows = self.database.fetch(self._statement(vector, budget, where, scanned, exact),
                                   {**parameters, "budget": budget,
                                    "rescored": max(RESCORED * depth, RESCORED_AT_LEAST)}, prepare=False)
        if vector is not None and not exact and (int(rows[0][8]) if rows else 0) < min(depth, allowed_rows):
            return self.candidates(vector, question, depth, filters, exact=True)
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

    def _statement(self, vector: np.ndarray | None, budget: int | None, where: str, scanned: str,
                   exact: bool) -> str:
        """The one statement of `candidates`: the BM25 candidates (`lexical_statement`), the dense ones, and every
        candidate's passage with both scores."""
        parts = lexical_statement(budget, where)
        chosen = "SELECT row_id FROM lexical"
        dense_score = "0::float8"
        dense_count = "0"
        if vector is not None:
            if exact:  # `+ 0` hides the operator from the planner: an exact scan of the allowed rows, not HNSW
                parts.append(f"dense AS MATERIALIZED (SELECT p.row_id FROM rag_passages p {where} "
                             "ORDER BY (p.embedding <#> %(vector)s::vector) + 0 LIMIT %(depth)s)")
            else:  # HNSW over half-precision vectors finds RERANK times the depth, the 32-bit vectors rank them
                parts.append(f"dense AS MATERIALIZED (SELECT r.row_id FROM (SELECT p.row_id, p.embedding FROM "
                             f"rag_passages p {scanned} ORDER BY {hnsw_distance('p.embedding', self.dimension)} "
                             "LIMIT %(fetch)s) r ORDER BY r.embedding <#> %(vector)s::vector LIMIT %(depth)s)")
            chosen += " UNION SELECT row_id FROM dense"
            dense_score = "-(p.embedding <#> %(vector)s::vector)"
            dense_count = "(SELECT count(*) FROM dense)"
        parts.append(f"chosen AS ({chosen})")
        if budget is not None:  # the exact BM25 score of every candidate, the dense ones' too (looked up one by one)
            parts.append(
                "scored AS (SELECT c.row_id AS passage, x.score FROM chosen c CROSS JOIN LATERAL (SELECT "
                f"sum(w.weight * {_TERM_PART.format(posting='po')}) AS score FROM words w JOIN rag_postings po "
                "ON po.term = w.term AND po.passage = c.row_id CROSS JOIN stats s) x)"
            )
        return (
            f"WITH {', '.join(parts)} SELECT p.row_id, p.passage, {dense_score}, coalesce(b.score, 0), "
            f"(SELECT max(score) FROM lexical), s.generation, s.passages, (SELECT json_object_agg(t.term, t.df) "
            f"FROM rag_terms t WHERE t.term = ANY(%(terms)s) AND t.df > 0), {dense_count} "
            f"FROM chosen c JOIN rag_passages p ON p.row_id = c.row_id CROSS JOIN rag_state s "
            f"LEFT JOIN {'bm25' if budget is None else 'scored'} b ON b.passage = p.row_id ORDER BY p.row_id"
        )

    def vectors_of(self, rows: Sequence[int]) -> np.ndarray:
        """The stored vectors of these passage rows, in the order given (story grouping compares them); zeros for a
        row that is gone."""
        if not rows:
            return np.zeros((0, self.dimension), dtype=np.float32)
        found = {int(row): text for row, text in self.database.fetch(
            "SELECT row_id, embedding::text FROM rag_passages WHERE row_id = ANY(%(rows)s)",
            {"rows": [int(row) for row in rows]})}
        # A row missing is one of a generation that a rebuild replaced between the question's candidates and this
        # statement (row numbers are never reused): a zero vector groups it with no other passage.
        missing = ",".join(["0"] * self.dimension)
        return np.array([np.array(found.get(int(row), missing).strip("[]").split(","), dtype=np.float32)
                         for row in rows], dtype=np.float32).reshape(len(rows), self.dimension)

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
                "kind": f"HNSW over halfvec (m={HNSW_M}, ef_construction={HNSW_EF_CONSTRUCTION})",
                "nprobe": 0,
                "bytes_per_passage": 4 * self.dimension + 8,
            },
            "store": self.database.name,
        }


# -- BM25 in SQL (issue 23) -----------------------------------------------------------------------------------------

BUDGET = 60_000
"""Postings a question's BM25 reads at most (`lexical_statement`). In a collection so small that the question's
words cannot hold more (words times passages), every posting is read as before the budget existed."""
RESCORED = 10
"""Passages whose BM25 score is completed after a bounded read, per passage asked for, and at least
`RESCORED_AT_LEAST`. Chosen at a million passages (docs/deployment.md): 60,000 postings and 400 passages find 0.964
of the exact top 20 in 46 ms (p50); 40,000 and 200, 0.905 in 32 ms."""
RESCORED_AT_LEAST = 400
_TERM_PART = "{posting}.tf / ({posting}.tf + %(k1)s * (1 - %(b)s + %(b)s * {posting}.length / s.average))"
"""BM25's term-frequency part of a posting, with the collection's average passage length (`stats`)."""


def lexical_statement(budget: int | None, where: str = "") -> list[str]:
    """The common table expressions of BM25 in SQL: `stats`, `words` (the question's terms with their weight: the
    IDF times the times the question holds them, and their document frequency), `lexical` (the `%(depth)s` best
    passages among those `where` allows, with their scores, best first) and `bm25` (passages with their scores).

    `budget` None reads every posting of the question's words: exact, and slow for common words in a large
    collection (`bm25` holds every passage with one of the words). Otherwise at most `%(budget)s` postings: the
    whole posting lists of the rarer words first (they decide the top), and of the words whose lists do not fit, the
    first ones in descending impact order (`rag.store.postgres_schema.IMPACT`: the most frequent in the shortest
    passages), as many of each (the `level` that spends the budget). The passages read are ranked by the sum of
    their postings' impacts times the words' weights (a product a posting: BM25 at the reference length, over what
    was read); the first `%(rescored)s` get their exact scores from every word's postings (looked up by term and
    passage, with the collection's current statistics), and the best of them are the top (`bm25` holds those).
    When the lists fit the budget, nothing is left out; otherwise a passage whose words are all common and that is
    not among their first postings can be missed (measured: docs/deployment.md).

    >>> [part.split(" AS ")[0] for part in lexical_statement(1000)]
    ['stats', 'words', 'level', 'seen', 'bm25', 'lexical']
    """
    parts = [
        "stats AS (SELECT passages::float8 AS n, greatest(total_length::float8 / greatest(passages, 1), 1e-9) "
        "AS average FROM rag_state)",
        "words AS MATERIALIZED (SELECT q.term, count(*) * ln(1 + (s.n - t.df + 0.5) / (t.df + 0.5)) AS weight, "
        "t.df FROM unnest(%(terms)s::text[]) AS q(term) JOIN rag_terms t ON t.term = q.term CROSS JOIN stats s "
        "WHERE t.df > 0 GROUP BY q.term, t.df, s.n)",
    ]
    filtered = f"JOIN rag_passages p ON p.row_id = b.passage {where} " if where else ""
    term_part = _TERM_PART.format(posting="po")
    if budget is None:
        return [
            *parts,
            f"bm25 AS MATERIALIZED (SELECT po.passage, sum(w.weight * {_TERM_PART.format(posting='po')})::float8 "
            "AS score FROM words w JOIN rag_postings po ON po.term = w.term CROSS JOIN stats s GROUP BY po.passage)",
            f"lexical AS (SELECT b.passage AS row_id, b.score FROM bm25 b {filtered}"
            "ORDER BY b.score DESC, b.passage LIMIT %(depth)s)",
        ]
    return [
        *parts,
        # The words by document frequency: the i-th of n may read (budget - what the rarer ones read) / (n - i + 1)
        # postings; the first that has more than that sets the level for it and every more frequent word (none: all
        # lists fit).
        "level AS (SELECT coalesce((SELECT ceil(share)::bigint FROM (SELECT df, (%(budget)s - coalesce(sum(df) OVER "
        "(ORDER BY df, term ROWS BETWEEN UNBOUNDED PRECEDING AND 1 PRECEDING), 0))::float8 / (count(*) OVER () - "
        "row_number() OVER (ORDER BY df, term) + 1) AS share, term FROM words) shares WHERE df > share "
        "ORDER BY df, term LIMIT 1), %(budget)s::bigint) AS postings)",
        # What was read of each passage, scored by the postings' impacts: a ranking of the passages (one product a
        # posting), not their scores.
        "seen AS (SELECT po.passage, sum(w.weight * po.impact) AS partial FROM words w CROSS JOIN level l "
        "CROSS JOIN LATERAL (SELECT passage, impact FROM rag_postings WHERE term = w.term ORDER BY impact DESC "
        "LIMIT l.postings) po GROUP BY po.passage)",
        # The promising passages' scores, from their postings of every word, looked up one by one (a lateral join:
        # the planner would otherwise read the words' whole lists).
        "bm25 AS MATERIALIZED (SELECT e.passage, x.score::float8 AS score FROM (SELECT b.passage FROM seen b "
        f"{filtered}ORDER BY b.partial DESC, b.passage LIMIT %(rescored)s) e CROSS JOIN LATERAL (SELECT "
        f"sum(w.weight * {term_part}) AS score FROM words w JOIN rag_postings po ON po.term = w.term "
        "AND po.passage = e.passage CROSS JOIN stats s) x)",
        "lexical AS (SELECT b.passage AS row_id, b.score FROM bm25 b ORDER BY b.score DESC, b.passage "
        "LIMIT %(depth)s)",
    ]


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

