"""The read side every store gives the retriever (`SearchableIndex`), and the file store's half of it.

A store answers a question's search with `StoreCandidates`: the rows its dense search and its BM25 search rank in
their top `depth` (among the rows the filters allow), their passages, both scores of each, the best BM25 score
among the allowed rows and what to weigh the question's terms with. Everything after (fusion, near-duplicates,
stories) is the retriever's, the same for every store. `rag.store.open_index` is the one place that picks a store
for reading; the file store (`rag.store.generations.PassageIndex`) finds its candidates with `FileSearch` and
`dense_rows` below, the database store (`rag.store.postgres_index.PostgresIndex`) in one SQL statement.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Protocol

import numpy as np

from rag.records import Filters, Passage

if TYPE_CHECKING:  # generations.py imports this module
    from rag.store.generations import ArticleRecord

EXACT_FILTER_ROWS = 20_000
"""A filter allowing at most this many rows is searched exactly among them (one matrix product) rather than by
over-fetching from the whole index."""


class TermWeighting(Protocol):
    """What fusion weighs the question's terms with: a `LexicalIndex`, or the database's BM25 statistics."""

    def term_weights(self, terms: Iterable[str]) -> dict[str, float]: ...


class Lexicon(TermWeighting, Protocol):
    """A store's BM25 statistics: the IDF of terms, and the number of passages they are counted over."""

    def __len__(self) -> int: ...


@dataclass(frozen=True)
class StoreCandidates:
    """What a store returns for one question: candidate rows (ascending), their passages, dense (inner product) and
    BM25 scores, the best BM25 score among the passages the filters allow, and what fusion weighs the question's
    terms with (a database reads those in the same statement, to save a round trip)."""

    rows: np.ndarray
    passages: tuple[Passage, ...]
    dense: np.ndarray
    lexical: np.ndarray
    best_lexical: float
    weighting: TermWeighting

    @classmethod
    def none(cls, weighting: TermWeighting) -> StoreCandidates:
        empty = np.zeros(0, dtype=np.float32)
        return cls(np.zeros(0, dtype=np.int64), (), empty, empty, 0.0, weighting)


@dataclass(frozen=True)
class KnownWeights:
    """Term weights read along with the candidates (`TermWeighting` for the question they were found for)."""

    weights: Mapping[str, float]

    def term_weights(self, terms: Iterable[str]) -> dict[str, float]:
        """As `LexicalIndex.term_weights`, for the terms of the question these candidates were found for."""
        return {term: self.weights[term] for term in dict.fromkeys(terms) if term in self.weights}


class SearchableIndex(Protocol):
    """What the retriever, the CLI and the server read an index through, whatever store holds it."""

    @property
    def embedder(self) -> str: ...

    @property
    def dimension(self) -> int: ...

    @property
    def generation(self) -> int: ...

    @property
    def location(self) -> str:
        """Where the index is, as `rag.store.open_index` and `open_store` take it (an index folder, a database
        URL: may hold a password, so never shown); "" for an index only in memory."""
        ...

    @property
    def name(self) -> str:
        """How messages and status name it: the folder, or the database's URL without its password."""
        ...

    @property
    def articles(self) -> dict[str, ArticleRecord]:
        """Every article's record, by id (the chat's list of sources)."""
        ...

    @property
    def lexical(self) -> Lexicon: ...

    def __len__(self) -> int: ...

    def candidates(self, vector: np.ndarray | None, question: str | None, depth: int,
                   filters: Filters | None = None) -> StoreCandidates:
        """The `depth` passages nearest to `vector` and the `depth` best by BM25 for `question` (either left out
        when None), among those `filters` allows, with both scores of every candidate."""
        ...

    def vectors_of(self, rows: Sequence[int]) -> np.ndarray:
        """The stored vectors of these rows, in the order given (story grouping compares them)."""
        ...

    def stale(self) -> bool:
        """True when a query should `refreshed` first (cheap): another writer saved a newer generation that this
        object does not read (a folder's; a database's every statement reads its live state)."""
        ...

    def refreshed(self) -> SearchableIndex:
        """The index as of now: this one, brought up to date, or the newer generation another writer saved."""
        ...

    def stats(self) -> dict[str, Any]: ...


# -- the file store's search ----------------------------------------------------------------------------------


class FileSearch:
    """What searching derives from one in-memory index, once: passage id -> row (dense hits come back as
    passages, BM25 as rows), and the rows grouped by (source, publication date). Every passage of an article
    shares both, so a filter is decided once per group (at most one per article) instead of once per passage."""

    def __init__(self, passages: Sequence[Passage]) -> None:
        self.size = len(passages)
        self.row_of = {passage.id: row for row, passage in enumerate(passages)}
        groups: dict[tuple[str, str], list[int]] = {}
        for row, passage in enumerate(passages):
            groups.setdefault((passage.source, passage.published), []).append(row)
        self.groups = [(Passage("", "", source, "", "", 0, 0, published=published), np.array(rows, dtype=np.int64))
                       for (source, published), rows in groups.items()]

    def allowed(self, filters: Filters) -> np.ndarray:
        """The rows whose passages `filters` allows, in order."""
        chosen = [rows for sample, rows in self.groups if filters.allows(sample)]
        return np.sort(np.concatenate(chosen)) if chosen else np.zeros(0, dtype=np.int64)


class NearestRows(Protocol):
    """An index that finds the passages nearest to a vector (a `PassageIndex`)."""

    def __len__(self) -> int: ...

    def search(self, query: np.ndarray, k: int = 5) -> list[Any]: ...

    def vectors_of(self, rows: Sequence[int]) -> np.ndarray: ...


def dense_rows(index: NearestRows, row_of: dict[str, int], vector: np.ndarray, depth: int,
               allowed: np.ndarray | None) -> np.ndarray:
    """The rows of the `depth` passages nearest to `vector`, only among `allowed` rows when given."""
    if allowed is None:
        return np.array([row_of[hit.passage.id] for hit in index.search(vector, depth)], dtype=np.int64)
    if len(allowed) <= EXACT_FILTER_ROWS:
        scores = index.vectors_of(allowed.tolist()) @ vector
        top = np.argsort(-scores, kind="stable")[:depth]
        return allowed[top]
    # A broad filter: over-fetch from the whole index and keep the allowed rows, widening until enough pass.
    mask = np.zeros(len(index), dtype=bool)
    mask[allowed] = True
    fetch = depth * 4
    while True:
        rows = np.array([row_of[hit.passage.id] for hit in index.search(vector, fetch)], dtype=np.int64)
        kept = rows[mask[rows]] if len(rows) else rows
        if len(kept) >= depth or fetch >= len(index):
            return kept[:depth]
        fetch *= 4
