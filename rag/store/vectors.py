"""The vector part of the index: row-aligned vectors behind a narrow `VectorStore` interface.

Row `i` of a vector store is passage `i` of its `PassageIndex`: `add` appends rows, `delete` removes rows and
closes the gaps (the remaining rows keep their order), `search` returns rows. A backend on another engine
(pgvector, a distributed vector database) is one more class with these methods; nothing else changes.

`FaissVectors` picks the FAISS structure by corpus size (`factory="auto"`):

- below `AUTO_ANN_PASSAGES` passages: exact search, `IndexFlatIP` (1,536 bytes per 384-d passage). Searching
  200,000 passages exactly takes about 20 ms on one core, so exact search is kept while it is interactive;
- from there on: an inverted file, `IVF{nlist},Flat` with nlist ≈ 4·√n (a power of two) and `nprobe = nlist/16`
  lists searched per query, which keeps recall@10 ≥ 0.95 of exact search on the benchmark's data (`tools.bench`,
  1M passages, one thread: 4,096 lists and 256 probed give recall 0.983 in 16.8 ms p50, where 2,048 lists and
  256 probed gave 0.967 in 32 ms; `IVF4096,SQ8` gives 0.969 in 10.6 ms with a quarter of the memory);
  1,536 bytes per passage for the vectors, 8 for its id and about 40 for the id → list map used by `delete`.
  The lists are trained once, when the corpus crosses the threshold, on a sample of its vectors, and again
  whenever it has grown fourfold since; an `add` in between only assigns the new vectors to lists.

Any `faiss.index_factory` string can be given instead ("Flat", "IVF4096,SQ8" for 4x less memory, "HNSW32"...).
An index type that cannot remove vectors (HNSW) is rebuilt from its vectors on delete: fine for append-only
corpora, slow for large ones with frequent deletes. Until a trained type has enough vectors to train on
(`MIN_TRAINING_POINTS` per list), the vectors are kept in an exact index, which is also the better choice then.

Inverted-file indexes keep their own ids (`ids[row]`, increasing with every add), so that a delete costs a
removal from the lists rather than renumbering them; rows are found from ids by binary search, as ids stay sorted.
"""

from __future__ import annotations

import math
import re
from pathlib import Path
from typing import Any, Protocol, runtime_checkable

import faiss
import numpy as np

from rag.errors import IndexFormatError, InvalidRequestError
from rag.store.files import rebuild_command

AUTO = "auto"
AUTO_ANN_PASSAGES = 200_000
"""With `factory="auto"`, corpora from this size on get an inverted-file index instead of exact search."""
RETRAIN_GROWTH = 4
"""An automatic inverted file is trained again when the corpus has grown this many times since its training."""
MIN_TRAINING_POINTS = 39
"""FAISS's own minimum of training vectors per list."""
TRAINING_POINTS = 64
"""Vectors per list sampled to train the lists (FAISS's default of 256 is four times slower, no better here)."""
SINGLE_THREAD_QUERIES = 4
"""Searches of at most this many queries run on one thread (OpenMP's setting is per calling thread)."""
VECTORS_FILE = "vectors.faiss"
IDS_FILE = "vector_ids.npy"


@runtime_checkable
class VectorStore(Protocol):
    """Row-aligned vectors with inner-product search. See the module docstring for the row rules."""

    dimension: int

    @property
    def ntotal(self) -> int: ...

    def add(self, vectors: np.ndarray) -> None: ...

    def delete(self, rows: np.ndarray) -> None: ...

    def search(self, queries: np.ndarray, k: int) -> tuple[np.ndarray, np.ndarray]:
        """(scores, rows), each of shape (len(queries), k); rows are -1 where fewer than k were found."""
        ...

    def reconstruct(self, rows: np.ndarray) -> np.ndarray: ...

    def save(self, folder: Path) -> dict[str, Any]:
        """Write the store's files into `folder`; returns what `load` needs from meta.json."""
        ...

    def describe(self) -> dict[str, Any]: ...


def auto_factory(count: int) -> str:
    """The factory `factory="auto"` uses for `count` passages.

    >>> auto_factory(10_000), auto_factory(1_000_000)
    ('Flat', 'IVF4096,Flat')
    """
    if count < AUTO_ANN_PASSAGES:
        return "Flat"
    lists = min(2 ** round(math.log2(4 * math.sqrt(count))), 2 ** int(math.log2(count / MIN_TRAINING_POINTS)))
    return f"IVF{lists},Flat"


def default_nprobe(nlist: int) -> int:
    """Lists searched per query: 1/16 of them, at least 8.

    >>> default_nprobe(4096), default_nprobe(32)
    (256, 8)
    """
    return min(nlist, max(8, nlist // 16))


def lists_in(factory: str) -> int:
    """The number of inverted lists a factory string asks for (0 when it has none).

    >>> lists_in("IVF4096,SQ8"), lists_in("OPQ16_64,IVF1024_HNSW32,PQ16"), lists_in("HNSW32")
    (4096, 1024, 0)
    """
    match = re.search(r"IVF(\d+)", factory)
    return int(match.group(1)) if match else 0


class FaissVectors:
    """Vectors in a FAISS index chosen by `factory` (see the module docstring). Inner product on unit vectors."""

    def __init__(self, dimension: int, factory: str = AUTO) -> None:
        if factory != AUTO:
            _check_factory(factory, dimension)
        self.dimension = dimension
        self.factory = factory  # what was asked for: "auto" or a factory string
        self.kind = "Flat"  # what is built now
        self.index: faiss.Index = faiss.IndexFlatIP(dimension)
        self.ids: np.ndarray | None = None  # row -> id, for index types that keep ids (None: rows are ids)
        self.next_id = 0
        self.trained_on = 0
        self.nprobe = 0

    @property
    def ntotal(self) -> int:
        return int(self.index.ntotal)

    # -- changing --------------------------------------------------------------------------------------------

    def add(self, vectors: np.ndarray) -> None:
        vectors = np.ascontiguousarray(vectors, dtype=np.float32)
        if not len(vectors):
            return
        target = self._target(self.ntotal + len(vectors))
        if target != self.kind:
            self._rebuild(target, np.vstack([self._all_vectors(), vectors]) if self.ntotal else vectors)
            return
        if self.ids is None:
            self.index.add(vectors)
        else:
            new_ids = np.arange(self.next_id, self.next_id + len(vectors), dtype=np.int64)
            self.index.add_with_ids(vectors, new_ids)
            self.ids = np.concatenate([self.ids, new_ids])
            self.next_id += len(vectors)

    def delete(self, rows: np.ndarray) -> None:
        rows = np.unique(np.asarray(rows, dtype=np.int64))
        if not len(rows):
            return
        if self.ids is None and isinstance(self.index, faiss.IndexFlat):
            # IndexFlat.remove_ids compacts the remaining rows in order, which keeps them aligned with passages.
            self.index.remove_ids(faiss.IDSelectorBatch(rows))
            return
        if self.ids is not None and _can_remove(self.index):
            doomed = np.ascontiguousarray(self.ids[rows])
            # The hash-table id map removes by an explicit array of ids (IDSelectorArray), not by a batch selector.
            self.index.remove_ids(faiss.IDSelectorArray(len(doomed), faiss.swig_ptr(doomed)))
            self.ids = np.delete(self.ids, rows)
            return
        keep = np.setdiff1d(np.arange(self.ntotal), rows)  # a type without removal: rebuilt from what stays
        self._rebuild(self.kind, self.reconstruct(keep))

    # -- reading ---------------------------------------------------------------------------------------------

    def search(self, queries: np.ndarray, k: int) -> tuple[np.ndarray, np.ndarray]:
        queries = np.ascontiguousarray(queries, dtype=np.float32)
        k = min(k, self.ntotal)
        if k < 1:
            return np.zeros((len(queries), 0), dtype=np.float32), np.zeros((len(queries), 0), dtype=np.int64)
        if len(queries) <= SINGLE_THREAD_QUERIES:
            # One question at a time: one core. With two threads, one busy neighbour process (the LLM, another
            # request) doubles the latency of an exact search instead of halving it (measured in tools.bench).
            previous = faiss.omp_get_max_threads()
            faiss.omp_set_num_threads(1)
            try:
                scores, found = self.index.search(queries, k)
            finally:
                faiss.omp_set_num_threads(previous)
        else:
            scores, found = self.index.search(queries, k)
        if self.ids is None:
            return scores, found
        rows = np.searchsorted(self.ids, found)
        rows[found < 0] = -1
        return scores, rows

    def reconstruct(self, rows: np.ndarray) -> np.ndarray:
        rows = np.asarray(rows, dtype=np.int64)
        if not len(rows):
            return np.zeros((0, self.dimension), dtype=np.float32)
        if self.ids is None and isinstance(self.index, faiss.IndexFlat):
            return self._flat_view()[rows].copy()
        keys = rows if self.ids is None else self.ids[rows]
        return np.vstack([self.index.reconstruct(int(key)) for key in keys])

    def describe(self) -> dict[str, Any]:
        """What is built, and its memory per passage (vectors, ids and the id map; not the passages' text)."""
        per_vector = _bytes_per_vector(self.index, self.dimension)
        if self.ids is not None:
            per_vector += 8 + 40
        return {"factory": self.factory, "kind": self.kind, "nprobe": self.nprobe, "trained_on": self.trained_on,
                "bytes_per_passage": per_vector}

    # -- saving and loading ------------------------------------------------------------------------------------

    def save(self, folder: Path) -> dict[str, Any]:
        faiss.write_index(self.index, str(folder / VECTORS_FILE))
        if self.ids is not None:
            np.save(folder / IDS_FILE, self.ids)
        return {"factory": self.factory, "kind": self.kind, "ids": self.ids is not None, "next_id": self.next_id,
                "trained_on": self.trained_on, "nprobe": self.nprobe}

    @classmethod
    def load(cls, folder: Path, meta: dict[str, Any], dimension: int) -> FaissVectors:
        """Read what `save` wrote; `meta` is its return value ({} for indexes written before it existed)."""
        store = cls(dimension, meta.get("factory", AUTO))
        try:
            store.index = faiss.read_index(str(folder / VECTORS_FILE))
        except RuntimeError as error:  # faiss's own message says what is wrong ("read error ...: 55 != 4608")
            reason = str(error).split("Error: ", 1)[-1].strip()
            raise IndexFormatError(f"cannot read {folder / VECTORS_FILE} (damaged or cut short: {reason}): rebuild "
                                   f"the index with {rebuild_command(folder.parent)}") from error
        store.kind = meta.get("kind", "Flat")
        store.next_id = int(meta.get("next_id", store.index.ntotal))
        store.trained_on = int(meta.get("trained_on", 0))
        store.nprobe = int(meta.get("nprobe", 0))
        if meta.get("ids"):
            try:
                store.ids = np.load(folder / IDS_FILE)
            except (OSError, ValueError) as error:
                raise IndexFormatError(f"cannot read {folder / IDS_FILE}: {error}: rebuild the index with "
                                       f"{rebuild_command(folder.parent)}") from error
            if len(store.ids) != store.index.ntotal:
                raise IndexFormatError(f"{folder} holds {store.index.ntotal} vectors but {len(store.ids)} ids: "
                                       f"rebuild the index with {rebuild_command(folder.parent)}")
        store._set_search_parameters()
        return store

    # -- helpers -----------------------------------------------------------------------------------------------

    def _target(self, count: int) -> str:
        """The kind the store should have with `count` vectors."""
        if self.factory == AUTO:
            wanted = auto_factory(count)
            if wanted == "Flat" or self.kind == "Flat":
                return wanted
            return wanted if count >= RETRAIN_GROWTH * self.trained_on else self.kind
        lists = lists_in(self.factory)
        if lists and count < MIN_TRAINING_POINTS * lists and self.kind == "Flat":
            return "Flat"  # too few vectors to train on yet: exact search, which is also better at this size
        return self.factory

    def _rebuild(self, kind: str, vectors: np.ndarray) -> None:
        """Build `kind` from scratch over `vectors` (row order kept)."""
        index = faiss.index_factory(self.dimension, kind, faiss.METRIC_INNER_PRODUCT)
        if not index.is_trained:
            lists = lists_in(kind)
            sample_size = min(len(vectors), max(lists, 1) * TRAINING_POINTS)
            sample = vectors[np.random.default_rng(0).choice(len(vectors), sample_size, replace=False)] \
                if sample_size < len(vectors) else vectors
            ivf = _ivf_of(index)
            if ivf is not None:  # sampled above already: FAISS would warn and sample again
                ivf.cp.max_points_per_centroid = max(TRAINING_POINTS, 1 + sample_size // max(lists, 1))
            index.train(sample)
            self.trained_on = len(vectors)
        ivf = _ivf_of(index)
        if ivf is not None:
            # A hash-table id -> list map makes remove_ids and reconstruct work without scanning every list.
            ivf.set_direct_map_type(faiss.DirectMap.Hashtable)  # type: ignore[attr-defined]
        if isinstance(index, faiss.IndexFlat):
            index.add(vectors)
            self.ids = None
            self.next_id = len(vectors)
        else:
            ids = np.arange(len(vectors), dtype=np.int64)
            if _takes_ids(index):
                index.add_with_ids(vectors, ids)
                self.ids = ids
            else:
                index.add(vectors)
                self.ids = None
            self.next_id = len(vectors)
        self.index = index
        self.kind = kind
        self._set_search_parameters()

    def _set_search_parameters(self) -> None:
        ivf = _ivf_of(self.index)
        if ivf is not None:
            self.nprobe = self.nprobe or default_nprobe(ivf.nlist)
            ivf.nprobe = self.nprobe
        elif hasattr(self.index, "hnsw"):
            self.index.hnsw.efSearch = max(self.index.hnsw.efSearch, 128)

    def _all_vectors(self) -> np.ndarray:
        if not self.ntotal:
            return np.zeros((0, self.dimension), dtype=np.float32)
        if self.ids is None and isinstance(self.index, faiss.IndexFlat):
            return self._flat_view().copy()
        return self.reconstruct(np.arange(self.ntotal))

    def _flat_view(self) -> np.ndarray:
        """The vectors of an IndexFlat as a numpy array, without copying them."""
        pointer = self.index.get_xb()  # type: ignore[attr-defined]
        return faiss.rev_swig_ptr(pointer, self.ntotal * self.dimension).reshape(self.ntotal, self.dimension)


def _check_factory(factory: str, dimension: int) -> None:
    try:
        faiss.index_factory(dimension, factory, faiss.METRIC_INNER_PRODUCT)
    except RuntimeError as error:
        raise InvalidRequestError(
            f"index_factory {factory!r} is not a FAISS index_factory string ({str(error).strip()[-120:]}): use "
            f"'auto', 'Flat', 'IVF4096,Flat', 'IVF4096,SQ8' or 'HNSW32'"
        ) from None


def _ivf_of(index: faiss.Index) -> Any:
    try:
        return faiss.extract_index_ivf(index)
    except RuntimeError:
        return None


def _takes_ids(index: faiss.Index) -> bool:
    return _ivf_of(index) is not None


def _can_remove(index: faiss.Index) -> bool:
    return _ivf_of(index) is not None


def _bytes_per_vector(index: faiss.Index, dimension: int) -> int:
    ivf = _ivf_of(index)
    if ivf is not None:
        return int(ivf.code_size)
    if hasattr(index, "hnsw"):
        storage = faiss.downcast_index(index.storage)  # type: ignore[attr-defined]
        return int(getattr(storage, "code_size", 4 * dimension)) + 2 * 4 * int(index.hnsw.nb_neighbors(0))
    return int(getattr(index, "code_size", 4 * dimension))
