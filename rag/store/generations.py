"""The on-disk index: a FAISS inner-product index with its passages (row-aligned) and its articles.

Layout of an index folder::

    index/
      CURRENT              name of the live generation, replaced atomically ("gen-000003")
      gen-000003/
        meta.json          format version, embedder name and dimension, chunk settings, counts
        vectors.faiss      FAISS index (exact, or IVF for large corpora: rag.store.vectors); row i is line i of
                           passages.jsonl
        vector_ids.npy     only for IVF: the FAISS id of each row
        passages.jsonl     one Passage per line
        articles.jsonl     one ArticleRecord per line (content hash, source path, metadata)
      .lock                held by the one process allowed to write

Every save writes a complete new generation beside the live one and then switches CURRENT with an atomic
rename, so a reader (or a process killed mid-save) only ever sees a whole generation.
"""

from __future__ import annotations

import contextlib
import errno
import json
import os
import re
import shutil
import time
import uuid
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any, TypeVar

import numpy as np

from rag.errors import IndexFormatError, IndexLockedError, IndexNotFoundError, IndexWriteError
from rag.records import Filters, Hit, Passage
from rag.store.files import fsync, rebuild_command, write_atomically
from rag.store.lexical import LexicalIndex
from rag.store.reading import FileSearch, StoreCandidates, dense_rows
from rag.store.vectors import AUTO, FaissVectors, VectorStore

FORMAT_VERSION = 1
CURRENT_FILE = "CURRENT"
LOCK_FILE = ".lock"
_GENERATION = re.compile(r"^gen-(\d{6,})$")


@dataclass(frozen=True)
class ArticleRecord:
    """What the index remembers of an article, to skip it when unchanged and to remove it when gone."""

    id: str
    hash: str
    title: str
    source: str
    path: str = ""
    url: str = ""
    published: str = ""
    author: str = ""
    passages: int = 0
    metadata: dict[str, Any] = field(default_factory=dict, compare=False, hash=False)

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> ArticleRecord:
        return cls(**{name: data[name] for name in cls.__dataclass_fields__ if name in data})


class PassageIndex:
    """Passages, their vectors and the articles they come from, kept row-aligned.

    >>> index = PassageIndex("toy", dimension=2)
    >>> passage = Passage("a", "Title", "a.txt", "", "text", 0, 4)
    >>> index.add([passage], np.array([[1.0, 0.0]], dtype="float32"))
    >>> [hit.passage.text for hit in index.search(np.array([1.0, 0.0], dtype="float32"), k=1)]
    ['text']
    """

    def __init__(self, embedder: str, dimension: int, settings: dict[str, Any] | None = None,
                 index_factory: str = AUTO) -> None:
        self.embedder = embedder
        self.dimension = dimension
        self.settings: dict[str, Any] = dict(settings or {})
        # Exact search, or an inverted file once the corpus is large (rag.store.vectors).
        self.vectors: VectorStore = FaissVectors(dimension, index_factory)
        self.passages: list[Passage] = []
        self.articles: dict[str, ArticleRecord] = {}
        self.lexical = LexicalIndex()  # BM25, row-aligned with vectors and passages (rag.store.lexical)
        self.generation = 0
        self.folder: Path | None = None
        self._search: FileSearch | None = None

    def __len__(self) -> int:
        return len(self.passages)

    @property
    def location(self) -> str:
        """The index folder (`rag.store.open_index` opens it); "" for an index only in memory."""
        return str(self.folder) if self.folder is not None else ""

    @property
    def name(self) -> str:
        return self.location

    # -- changing --------------------------------------------------------------------------------------------

    def add(self, passages: Sequence[Passage], vectors: np.ndarray,
            articles: Iterable[ArticleRecord] = ()) -> None:
        vectors = np.ascontiguousarray(vectors, dtype=np.float32)
        if vectors.shape != (len(passages), self.dimension):
            raise ValueError(
                f"expected {len(passages)} vectors of dimension {self.dimension}, got an array of shape {vectors.shape}"
            )
        self.vectors.add(vectors)
        self.passages.extend(passages)
        self.lexical.add(passages)
        for article in articles:
            self.articles[article.id] = article

    def delete(self, article_ids: Iterable[str]) -> int:
        """Remove articles and all their passages; returns the number of passages removed."""
        doomed = set(article_ids)
        for article_id in doomed:
            self.articles.pop(article_id, None)
        rows = np.array([row for row, passage in enumerate(self.passages) if passage.article_id in doomed],
                        dtype=np.int64)
        if len(rows):
            self.vectors.delete(rows)  # the remaining rows close up in order, aligned with passages
            self.passages = [passage for passage in self.passages if passage.article_id not in doomed]
            self.lexical.delete(rows)
        return len(rows)

    # -- reading ---------------------------------------------------------------------------------------------

    def passages_of(self, article_ids: Iterable[str]) -> list[Passage]:
        """The passages of these articles, in index order."""
        wanted = set(article_ids)
        return [passage for passage in self.passages if passage.article_id in wanted]

    def search(self, query: np.ndarray, k: int = 5) -> list[Hit]:
        """The k passages whose vectors have the highest inner product with `query`."""
        return self.search_many(np.asarray(query, dtype=np.float32).reshape(1, -1), k)[0]

    def search_many(self, queries: np.ndarray, k: int = 5) -> list[list[Hit]]:
        queries = np.ascontiguousarray(queries, dtype=np.float32)
        if queries.ndim != 2 or queries.shape[1] != self.dimension:
            raise ValueError(f"queries must have shape (n, {self.dimension}), got {queries.shape}")
        if not self.passages or k < 1:
            return [[] for _ in range(len(queries))]
        scores, rows = self.vectors.search(queries, min(k, len(self.passages)))
        return [
            [Hit(self.passages[row], float(score)) for score, row in zip(query_scores, query_rows, strict=True)
             if row >= 0]
            for query_scores, query_rows in zip(scores, rows, strict=True)
        ]

    def vectors_of(self, rows: Sequence[int]) -> np.ndarray:
        return self.vectors.reconstruct(np.asarray(rows, dtype=np.int64))

    def candidates(self, vector: np.ndarray | None, question: str | None, depth: int,
                   filters: Filters | None = None) -> StoreCandidates:
        """The `depth` passages nearest to `vector` (FAISS) and the `depth` best by BM25 for `question` (either
        left out when None), among those `filters` allows, with both scores of every candidate
        (`rag.store.reading.SearchableIndex`)."""
        search = self._search
        if search is None or search.size != len(self):  # built once per generation (and again after a change)
            search = self._search = FileSearch(self.passages)
        allowed = search.allowed(filters) if filters else None
        if allowed is not None and not len(allowed):
            return StoreCandidates.none(self.lexical)
        query_ids = self.lexical.query_ids(question or "")
        lexical_scores = (self.lexical.scores(query_ids) if question is not None
                          else np.zeros(len(self), dtype=np.float32))
        rows: list[np.ndarray] = []
        if vector is not None:
            rows.append(dense_rows(self, search.row_of, vector, depth, allowed))
        if question is not None:
            rows.append(self.lexical.search(query_ids, depth, allowed)[0])
        candidate_rows = np.unique(np.concatenate(rows)).astype(np.int64) if rows else np.zeros(0, dtype=np.int64)
        dense = (self.vectors_of(candidate_rows.tolist()) @ vector if vector is not None and len(candidate_rows)
                 else np.zeros(len(candidate_rows), dtype=np.float32))
        best_lexical = lexical_scores[allowed] if allowed is not None else lexical_scores
        return StoreCandidates(candidate_rows, tuple(self.passages[int(row)] for row in candidate_rows),
                               np.asarray(dense, dtype=np.float32), lexical_scores[candidate_rows],
                               float(best_lexical.max(initial=0.0)), self.lexical)

    def stale(self) -> bool:
        """True when another writer switched the folder to a newer generation than this one (cheap: one file)."""
        if self.folder is None:
            return False
        live = live_generation_name(self.folder)
        return live is not None and live != f"gen-{self.generation:06d}"

    def refreshed(self) -> PassageIndex:
        """This index, or the newer generation another writer saved in its folder, loaded whole."""
        if not self.stale():
            return self
        assert self.folder is not None  # a stale index has a folder
        try:
            return PassageIndex.load(self.folder, self.embedder, self.dimension)
        except (OSError, IndexFormatError):
            # A writer that saved twice while we loaded may have pruned the generation we were reading; the live
            # one is complete, so one more attempt reads it.
            return PassageIndex.load(self.folder, self.embedder, self.dimension)

    def stats(self) -> dict[str, Any]:
        return {
            "format_version": FORMAT_VERSION,
            "embedder": self.embedder,
            "dimension": self.dimension,
            "articles": len(self.articles),
            "passages": len(self.passages),
            "generation": self.generation,
            "settings": self.settings,
            "vectors": self.vectors.describe(),
        }

    # -- saving and loading ------------------------------------------------------------------------------------

    def save(self, folder: str | Path) -> Path:
        """Write a new generation and switch to it atomically. Returns the generation folder."""
        folder = Path(folder)
        folder.mkdir(parents=True, exist_ok=True)
        generation = max([*_generations(folder), self.generation]) + 1
        # Not mkdtemp: its folders are the owner's alone, and a server running as another user reads the index.
        staging = folder / f".tmp-gen-{uuid.uuid4().hex[:12]}"
        try:
            staging.mkdir()
        except OSError as error:
            raise unwritable(folder, error) from None
        try:
            vector_meta = self.vectors.save(staging)
            _write_jsonl(staging / "passages.jsonl", (passage.to_dict() for passage in self.passages))
            _write_jsonl(staging / "articles.jsonl", (asdict(article) for article in self.articles.values()))
            self.lexical.save(staging)
            meta = {**self.stats(), "generation": generation, "saved_at": time.strftime("%Y-%m-%dT%H:%M:%S%z"),
                    "vector_store": vector_meta}
            (staging / "meta.json").write_text(json.dumps(meta, indent=2, ensure_ascii=False) + "\n", "utf-8")
            for path in staging.iterdir():
                fsync(path)
            target = folder / f"gen-{generation:06d}"
            os.rename(staging, target)
        except BaseException as error:
            shutil.rmtree(staging, ignore_errors=True)
            # faiss says "No space left on device" in a RuntimeError "Error in … write_index …"
            if isinstance(error, OSError) or (isinstance(error, RuntimeError) and "write" in str(error)):
                raise unwritable(folder, error) from error
            raise
        try:
            fsync(folder)
            _replace_text(folder / CURRENT_FILE, target.name + "\n")
        except OSError as error:
            shutil.rmtree(target, ignore_errors=True)  # never live: it would only fill the disk
            raise unwritable(folder, error) from error
        self.generation = generation
        self.folder = folder
        _remove_old_generations(folder, keep=target.name)
        return target

    @classmethod
    def load(cls, folder: str | Path, embedder: str | None = None, dimension: int | None = None) -> PassageIndex:
        """Load the live generation; refuse one written by another format version or embedder."""
        folder = Path(folder)
        generation_folder = current_generation(folder)
        meta = read_meta(generation_folder)
        if embedder is not None and (meta["embedder"] != embedder or (dimension and meta["dimension"] != dimension)):
            raise IndexFormatError(
                f"the index at {folder} was built with embedder {meta['embedder']!r} "
                f"(dimension {meta['dimension']}), but {embedder!r} (dimension {dimension}) is configured: "
                f"use --embedder {meta['embedder'].removesuffix('+int8')!r} --embed-backend "
                f"{'onnx-int8' if meta['embedder'].endswith('+int8') else 'torch'}, or rebuild with "
                f"{rebuild_command(folder)}"
            )
        index = cls(meta["embedder"], int(meta["dimension"]), meta.get("settings", {}))
        index.vectors = FaissVectors.load(generation_folder, meta.get("vector_store", {}), index.dimension)
        index.passages = list(_read_jsonl(generation_folder / "passages.jsonl", Passage.from_dict))
        records = _read_jsonl(generation_folder / "articles.jsonl", ArticleRecord.from_dict)
        index.articles = {record.id: record for record in records}
        index.lexical = LexicalIndex.load(generation_folder, index.passages)
        if index.vectors.ntotal != len(index.passages):
            raise IndexFormatError(
                f"{generation_folder} holds {index.vectors.ntotal} vectors but {len(index.passages)} passages: "
                f"rebuild it with {rebuild_command(folder)}"
            )
        index.generation = int(meta["generation"])
        index.folder = folder
        return index


@dataclass(frozen=True)
class IndexHead:
    """The live generation's settings and article records, without its vectors, passages or BM25 index: what an
    update needs to decide what to do (loading the rest is most of the cost of opening a large index, and a rerun
    with nothing new needs none of it)."""

    embedder: str
    dimension: int
    settings: dict[str, Any]
    generation: int
    passages: int
    articles: dict[str, ArticleRecord]

    @classmethod
    def load(cls, folder: str | Path) -> IndexHead:
        generation_folder = current_generation(folder)
        meta = read_meta(generation_folder)
        records = _read_jsonl(generation_folder / "articles.jsonl", ArticleRecord.from_dict)
        return cls(meta["embedder"], int(meta["dimension"]), meta.get("settings", {}), int(meta["generation"]),
                   int(meta.get("passages", 0)), {record.id: record for record in records})


SOURCES_SHOWN = 20
"""Sources `rag info` lists (by their first path part); how many there are in all is said beside them."""


def listed_sources(sources: Iterable[str]) -> dict[str, Any]:
    """What `rag info` says of the articles' sources (either store): the first `SOURCES_SHOWN` of their first path
    parts (what `--source` can name), and how many there are.

    >>> listed_sources(["herald/2026/a.md", "herald/b.md", "https://wire.example/feed.xml"])
    {'sources': ['herald', 'https:'], 'sources_total': 2}
    """
    names = sorted({source.split("/")[0] for source in sources})
    return {"sources": names[:SOURCES_SHOWN], "sources_total": len(names)}


def not_a_folder(folder: Path) -> str:
    """What is said when the index folder given is a file (or lies under one).

    >>> print(not_a_folder(Path("articles/wire.json")))
    articles/wire.json is a file (or inside one), not an index folder: give --index a folder (`rag index SOURCES... \
--index FOLDER` builds an index there)
    """
    return (f"{folder} is a file (or inside one), not an index folder: give --index a folder "
            f"(`rag index SOURCES... --index FOLDER` builds an index there)")


def enclosing_index(folder: Path) -> Path | None:
    """The index whose generation folder holds `folder` (or is it), else None: a generation is written once and
    removed two saves later, so an index built or read inside one is lost with it.

    >>> import tempfile
    >>> index = Path(tempfile.mkdtemp())
    >>> _ = (index / CURRENT_FILE).write_text("gen-000001\\n"); (index / "gen-000001").mkdir()
    >>> enclosing_index(index / "gen-000001" / "mine") == index, enclosing_index(index)
    (True, None)
    """
    for path in (folder, *folder.parents):
        if _GENERATION.match(path.name) and (path.parent / CURRENT_FILE).is_file():
            return path.parent
    return None


def refuse_generation_folder(folder: Path) -> None:
    """IndexNotFoundError when `folder` is (or lies in) a generation folder of another index, naming that index."""
    index = enclosing_index(folder.absolute())
    if index is not None:
        raise IndexNotFoundError(
            f"{folder} is inside one of the generation folders of the index in {index} (each save replaces them): "
            f"give --index {index} to use that index, or a folder of its own for a new one"
        )


def current_generation(folder: str | Path) -> Path:
    """The folder of the live generation, or IndexNotFoundError saying how to build one."""
    folder = Path(folder)
    refuse_generation_folder(folder)
    try:
        name = (folder / CURRENT_FILE).read_text("utf-8").strip()
    except NotADirectoryError:
        raise IndexNotFoundError(not_a_folder(folder)) from None
    except FileNotFoundError:
        raise IndexNotFoundError(
            f"no index in {folder}: build one with `rag index SOURCES... --index {folder}`"
        ) from None
    if not _GENERATION.match(name) or not (folder / name).is_dir():
        raise IndexFormatError(
            f"{folder / CURRENT_FILE} names {name!r}, which is not a generation folder there: "
            f"rebuild with {rebuild_command(folder)}"
        )
    return folder / name


def read_meta(generation_folder: Path) -> dict[str, Any]:
    try:
        meta = json.loads((generation_folder / "meta.json").read_text("utf-8"))
    except (OSError, ValueError) as error:
        raise IndexFormatError(f"cannot read {generation_folder / 'meta.json'}: {error}: rebuild the index with "
                               f"{rebuild_command(generation_folder.parent)}") from error
    version = meta.get("format_version")
    if version != FORMAT_VERSION:
        raise IndexFormatError(
            f"the index in {generation_folder.parent} has format version {version}, this version of rag reads "
            f"version {FORMAT_VERSION}: rebuild it with "
            f"{rebuild_command(generation_folder.parent)}"
        )
    return meta


def live_generation_name(folder: str | Path) -> str | None:
    """The live generation's name without loading anything (cheap: used to notice a newer index)."""
    try:
        return (Path(folder) / CURRENT_FILE).read_text("utf-8").strip()
    except OSError:
        return None


@contextlib.contextmanager
def writer_lock(folder: str | Path, timeout: float = 0.0) -> Iterator[None]:
    """Hold the index's write lock; another writer gets IndexLockedError after `timeout` seconds."""
    from filelock import FileLock, Timeout

    folder = Path(folder)
    refuse_generation_folder(folder)
    try:
        folder.mkdir(parents=True, exist_ok=True)
    except (FileExistsError, NotADirectoryError):
        raise IndexNotFoundError(not_a_folder(folder)) from None
    except OSError as error:
        raise unwritable(folder, error) from None
    lock = FileLock(str(folder / LOCK_FILE))
    try:
        lock.acquire(timeout=timeout)
    except Timeout:
        raise IndexLockedError(
            f"another process is writing the index in {folder}: wait for it to finish "
            f"(or pass --wait SECONDS), then run the command again"
        ) from None
    except OSError as error:  # after Timeout, which is one
        raise unwritable(folder, error) from None
    try:
        _remove_stale_staging(folder)
        yield
    finally:
        lock.release()


_SYSTEM_SAID = re.compile(r"\(([^()]+)\)\s*$")
"""What the system said, at the end of a native library's message in brackets (faiss: "… 20435 != 38400 (No space
left on device)")."""


def unwritable(folder: Path, error: BaseException) -> IndexWriteError:
    """The error for an index folder that cannot be written, with what the system said and the fix.

    >>> str(unwritable(Path("index"), OSError(28, "No space left on device")))  # doctest: +NORMALIZE_WHITESPACE
    'could not write the index in index (No space left on device): the index is whole, as its last save left it;
    free some space on that disk, or give --index a folder elsewhere, then run the command again'
    >>> faiss = RuntimeError("Error in void faiss::write_index(const Index*, IOWriter*, int) at index_write.cpp:499: "
    ...                      "Error: 'ret == (size * 4)' failed: write error in x.faiss: 20435 != 38400 (No space "
    ...                      "left on device)")
    >>> str(unwritable(Path("index"), faiss)).split(": the index")[0]  # what the system said, not faiss's internals
    'could not write the index in index (No space left on device)'
    """
    reason = getattr(error, "strerror", None)
    if not reason:
        lines = str(error).strip().splitlines()
        said = _SYSTEM_SAID.search(lines[-1]) if lines else None
        reason = said.group(1) if said else (lines[-1] if lines else type(error).__name__)
    if getattr(error, "errno", None) in (errno.EROFS, errno.EACCES, errno.EPERM):
        fix = "give --index a folder you may write to (or change the folder's permissions)"
    else:
        fix = "free some space on that disk, or give --index a folder elsewhere"
    return IndexWriteError(f"could not write the index in {folder} ({reason}): the index is whole, as its last save "
                           f"left it; {fix}, then run the command again")


def _generations(folder: Path) -> list[int]:
    return [int(match.group(1)) for path in folder.iterdir() if (match := _GENERATION.match(path.name))]


def _remove_old_generations(folder: Path, keep: str) -> None:
    """Keep the live generation and the one before it (a reader may still be loading that one)."""
    names = sorted((path.name for path in folder.iterdir() if _GENERATION.match(path.name)), reverse=True)
    for name in names[2:]:
        if name != keep:
            shutil.rmtree(folder / name, ignore_errors=True)


def _remove_stale_staging(folder: Path) -> None:
    """Partial generations left by a killed writer; safe to delete because we hold the write lock."""
    for path in folder.glob(".tmp-*"):
        if path.is_dir():
            shutil.rmtree(path, ignore_errors=True)
        else:
            path.unlink(missing_ok=True)


def _replace_text(path: Path, text: str) -> None:
    write_atomically(path, text.encode("utf-8"))


def _write_jsonl(path: Path, rows: Iterable[dict[str, Any]]) -> None:
    with open(path, "w", encoding="utf-8") as handle:
        for row in rows:
            handle.write(json.dumps(row, ensure_ascii=False) + "\n")


T = TypeVar("T")


def _read_jsonl(path: Path, record: Callable[[dict[str, Any]], T]) -> Iterator[T]:
    """The records of a generation's JSON Lines file, one per line, read by `record`; a file or line that cannot be
    read (cut short, edited by hand, a disk error) is an IndexFormatError naming it, with the fix."""
    fix = f"rebuild the index with {rebuild_command(path.parent.parent)}"
    try:
        with open(path, encoding="utf-8") as handle:
            for number, line in enumerate(handle, start=1):
                if line.strip():
                    try:
                        yield record(json.loads(line))
                    except (ValueError, KeyError, TypeError) as error:
                        raise IndexFormatError(f"{path}, line {number}, is damaged ({error}): {fix}") from error
    except OSError as error:
        raise IndexFormatError(f"cannot read {path}: {error}: {fix}") from error
