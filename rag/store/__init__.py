"""The index's stores, and the one place that chooses between them: `open_store(location)` for writing,
`open_index(location, ...)` for reading.

A location is an index folder (the file store, the default: `rag.store.generations`) or a PostgreSQL URL (the
database store: `rag.store.postgres`). Both give the indexer the same calls (`IndexStore`): a writer lock, the
index to update (`load`, or `create` for a new or rebuilt one) and `save`, which commits its changes atomically.
Both give the retriever, the CLI and the server the same read side (`rag.store.reading.SearchableIndex`): the
candidates of a question, refreshing, where it is, its article records and statistics. Nothing outside this
package asks which store it has: a third store is added here.
"""

from __future__ import annotations

import contextlib
from collections.abc import Iterable, Iterator, Sequence
from pathlib import Path
from typing import Any, Protocol

import numpy as np

from rag.errors import RagError
from rag.records import Passage
from rag.store.generations import (
    ArticleRecord,
    IndexHead,
    PassageIndex,
    current_generation,
    listed_sources,
    read_meta,
    writer_lock,
)
from rag.store.postgres import PostgresIndex, PostgresStore, is_database_url
from rag.store.reading import SearchableIndex
from rag.store.vectors import AUTO


class UpdatableIndex(Protocol):
    """What the indexer changes: a `PassageIndex`, or a `rag.store.postgres.PostgresIndex`."""

    embedder: str
    dimension: int
    settings: dict[str, Any]
    generation: int

    @property
    def articles(self) -> dict[str, ArticleRecord]: ...

    def __len__(self) -> int: ...

    def add(self, passages: Sequence[Passage], vectors: np.ndarray, articles: Iterable[ArticleRecord] = ()) -> None: ...

    def delete(self, article_ids: Iterable[str]) -> int: ...

    def passages_of(self, article_ids: Iterable[str]) -> list[Passage]:
        """The stored passages of these articles, in index order (a rebuild carries them into the new index)."""
        ...


class IndexStore(Protocol):
    """Where an index lives, as the indexer sees it (`FileStore`, `rag.store.postgres.PostgresStore`)."""

    name: str
    """How messages name it ("index/", "the database postgresql://rag:***@db/news")."""

    def writer_lock(self, timeout: float = 0.0, exclusive: bool = False) -> contextlib.AbstractContextManager[None]:
        """Held for a whole indexing run; `exclusive` (a rebuild) also keeps out runs that may share the store."""
        ...

    def load(self, embedder: str | None = None, dimension: int | None = None) -> Any: ...

    def load_head(self) -> Any:
        """What an update needs to decide what to do (settings and article records): a rerun with nothing new
        loads no more."""
        ...

    def create(self, embedder: str, dimension: int, settings: dict[str, Any]) -> Any: ...

    def save(self, index: Any) -> None: ...

    def recorded_embedder(self) -> str | None: ...


class FileStore:
    """The index folder (`rag.store.generations`): each save is a new generation, switched to atomically."""

    def __init__(self, folder: str | Path, index_factory: str = AUTO) -> None:
        self.folder = Path(folder)
        self.name = str(folder)
        self.emptying = f"delete {folder}"
        """How to empty the index (told when a run read nothing, so left the index as it was)."""
        self.index_factory = index_factory

    @contextlib.contextmanager
    def writer_lock(self, timeout: float = 0.0, exclusive: bool = True) -> Iterator[None]:
        """One writer at a time, always (a generation is written whole from one process's index)."""
        with writer_lock(self.folder, timeout=timeout):
            yield

    def load(self, embedder: str | None = None, dimension: int | None = None) -> PassageIndex:
        return PassageIndex.load(self.folder, embedder, dimension)

    def load_head(self) -> IndexHead:
        return IndexHead.load(self.folder)

    def create(self, embedder: str, dimension: int, settings: dict[str, Any]) -> PassageIndex:
        return PassageIndex(embedder, dimension, settings, self.index_factory)

    def save(self, index: PassageIndex) -> None:
        index.save(self.folder)

    def recorded_embedder(self) -> str | None:
        try:
            return str(read_meta(current_generation(self.folder))["embedder"])
        except RagError:
            return None

    def info(self) -> dict[str, Any]:
        """What `rag info` shows: the index's statistics and the live generation's files."""
        generation = current_generation(self.folder)
        index = PassageIndex.load(self.folder)
        # A folder's size is that of the files in it (the BM25 index is one), not of its directory entry
        sizes = {path.name: sum(inner.stat().st_size for inner in path.rglob("*") if inner.is_file())
                 if path.is_dir() else path.stat().st_size for path in sorted(generation.iterdir())}
        return {**index.stats(), "index": str(self.folder), "bytes": sum(sizes.values()), "files": sizes,
                **listed_sources(record.source for record in index.articles.values())}


def open_store(location: str | Path, *, index_factory: str = AUTO, migrate: bool = False) -> FileStore | PostgresStore:
    """The store at `location`: a PostgreSQL URL, else an index folder. `index_factory` is the FAISS index of a
    new file index; `migrate` lets a database store upgrade an older schema.

    >>> open_store("index/").name, open_store("postgresql://rag:pw@db/news").name
    ('index/', 'the database postgresql://rag:***@db/news')
    """
    if is_database_url(location):
        return PostgresStore(str(location), migrate=migrate)
    return FileStore(location, index_factory)


def open_index(location: str | Path, embedder: str | None = None, dimension: int | None = None) -> SearchableIndex:
    """The index at `location` (a PostgreSQL URL, else an index folder) for reading; refused if it was built with
    another embedder than `embedder` (dimension `dimension`), when given."""
    if is_database_url(location):
        return PostgresIndex.open(str(location), embedder, dimension)
    return PassageIndex.load(location, embedder, dimension)


def uploads_place(location: str, index_folder: str | Path | None) -> tuple[Path | None, str]:
    """Where uploaded files are kept and the store they are indexed into, for an index served from `location`:
    its folder (and no store) for a file index; `index_folder` (the `index` setting) and the database's URL for a
    database. (None, "") when the index is only in memory: it takes no uploads.

    >>> uploads_place("index", None), uploads_place("postgresql:///news", "index")
    ((PosixPath('index'), ''), (PosixPath('index'), 'postgresql:///news'))
    """
    if is_database_url(location):
        return (Path(index_folder) if index_folder else None), location
    return (Path(location) if location else None), ""


def index_location(index: str, store: str = "") -> str:
    """Where the index is, from the `index` (folder) and `store` (URL) settings: the store when one is given.

    >>> index_location("index"), index_location("index", "postgresql:///news")
    ('index', 'postgresql:///news')
    """
    return store or index
