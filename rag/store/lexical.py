"""Lexical retrieval: BM25 over passages (title and text), kept row-aligned with the vector index.

Dense embeddings miss rare words (names, codes, numbers) that a reader types exactly; BM25 finds them. The
scoring is bm25s's (Lucene's BM25 variant) over the terms of `rag.text.tokenize` (the project's one tokenizer);
this module owns the bookkeeping that keeps BM25 row `i` the same passage as FAISS row `i` through adds, deletes,
saves and loads.

The token ids of every passage are kept (a compact CSR array), so a delete or an add only re-scores the matrix
(document frequencies and lengths change for everyone) without tokenizing the collection again. The matrix is
rebuilt lazily, on the first search or save after a change.

Files, inside the index generation folder::

    lexical/
      tokens.npy, offsets.npy    token ids of every passage: passage i is tokens[offsets[i]:offsets[i + 1]]
      vocab.index.json           token -> id (bm25s's file)
      params.index.json          k1, b, method, number of passages (bm25s's file)
      *.csc.index.npy            the BM25 score matrix (bm25s's files)
"""

from __future__ import annotations

import json
import threading
from collections.abc import Iterable, Sequence
from pathlib import Path

import numpy as np

from rag.errors import IndexFormatError
from rag.records import Passage
from rag.store.files import fsync, rebuild_command
from rag.text import TOKENIZER_VERSION, idf, tokenize

FOLDER = "lexical"


def passage_terms(passage: Passage) -> list[str]:
    """What BM25 indexes for a passage: its article's title (so that every chunk matches its topic) and text."""
    return tokenize(f"{passage.title}\n{passage.text}")


class LexicalIndex:
    """BM25 over passages; row `i` is the passage at row `i` of the `PassageIndex` it belongs to.

    >>> index = LexicalIndex()
    >>> index.add([Passage("a", "Bridges", "s", "", "The Hallam bridge reopened.", 0, 27),
    ...            Passage("b", "Budget", "s", "", "The council set the budget.", 0, 27)])
    >>> rows, scores = index.search("When did the Hallam bridge reopen?", k=1)
    >>> rows.tolist()
    [0]
    """

    def __init__(self, k1: float = 1.2, b: float = 0.75) -> None:
        self.k1 = k1
        self.b = b
        self.vocabulary: dict[str, int] = {}
        self.tokens = np.zeros(0, dtype=np.int32)
        self.offsets = np.zeros(1, dtype=np.int64)
        self._model: object | None = None  # bm25s.BM25 once built; None means stale
        self._build_lock = threading.Lock()

    def __len__(self) -> int:
        return len(self.offsets) - 1

    # -- changing --------------------------------------------------------------------------------------------

    def add(self, passages: Sequence[Passage]) -> None:
        """Append passages (title and text), after the existing rows."""
        self.add_terms([passage_terms(passage) for passage in passages])

    def add_terms(self, documents: Sequence[Sequence[str]]) -> None:
        if not documents:
            return
        vocabulary = self.vocabulary
        ids = [vocabulary.setdefault(term, len(vocabulary)) for document in documents for term in document]
        lengths = np.fromiter((len(document) for document in documents), dtype=np.int64, count=len(documents))
        self.tokens = np.concatenate([self.tokens, np.asarray(ids, dtype=np.int32)])
        self.offsets = np.concatenate([self.offsets, self.offsets[-1] + np.cumsum(lengths)])
        self._model = None

    def delete(self, rows: Iterable[int]) -> None:
        """Remove passages by row; later rows move up, in order (as FAISS `remove_ids` does with vectors)."""
        doomed = np.unique(np.fromiter(rows, dtype=np.int64))
        if not len(doomed):
            return
        if doomed[0] < 0 or doomed[-1] >= len(self):
            raise IndexError(f"row {doomed[-1] if doomed[-1] >= len(self) else doomed[0]} is not in the "
                             f"lexical index of {len(self)} passages")
        lengths = np.diff(self.offsets)
        keep_rows = np.ones(len(self), dtype=bool)
        keep_rows[doomed] = False
        keep_tokens = np.repeat(keep_rows, lengths)
        self.tokens = self.tokens[keep_tokens]
        self.offsets = np.concatenate([[0], np.cumsum(lengths[keep_rows])]).astype(np.int64)
        self._model = None

    # -- reading ---------------------------------------------------------------------------------------------

    def query_ids(self, query: str) -> np.ndarray:
        """The vocabulary ids of the query's terms (terms no passage holds are dropped; repeats kept)."""
        vocabulary = self.vocabulary
        return np.array([vocabulary[term] for term in tokenize(query) if term in vocabulary], dtype=np.int32)

    def scores(self, query: str | np.ndarray) -> np.ndarray:
        """The BM25 score of every passage for `query` (a string or `query_ids`), as one float32 array."""
        ids = self.query_ids(query) if isinstance(query, str) else query
        model = self._built()
        if model is None or not len(ids):
            return np.zeros(len(self), dtype=np.float32)
        return np.asarray(model.get_scores_from_ids(ids.tolist()), dtype=np.float32)  # type: ignore[attr-defined]

    def search(self, query: str | np.ndarray, k: int, allowed: np.ndarray | None = None) -> tuple[np.ndarray,
                                                                                                 np.ndarray]:
        """The rows of the `k` best-scoring passages (only rows in `allowed` if given) with their scores, best
        first. Passages sharing no term with the query are never returned."""
        scores = self.scores(query)
        if allowed is not None:
            rows = np.asarray(allowed, dtype=np.int64)
            candidate_scores = scores[rows]
        else:
            rows = np.arange(len(scores))
            candidate_scores = scores
        matching = candidate_scores > 0
        rows, candidate_scores = rows[matching], candidate_scores[matching]
        if len(rows) > k:
            top = np.argpartition(-candidate_scores, k - 1)[:k]
            rows, candidate_scores = rows[top], candidate_scores[top]
        order = np.lexsort((rows, -candidate_scores))  # ties by row, so results are reproducible
        return rows[order], candidate_scores[order]

    def term_weights(self, terms: Iterable[str]) -> dict[str, float]:
        """The IDF of each distinct term that some passage holds (terms no passage holds weigh nothing).

        >>> index = LexicalIndex()
        >>> index.add([Passage("a", "", "s", "", "otters swim", 0, 11), Passage("b", "", "s", "", "otters nap", 0, 10)])
        >>> {term: round(weight, 2) for term, weight in index.term_weights(["otter", "swim", "zebra"]).items()}
        {'otter': 0.18, 'swim': 0.69}
        """
        known = [term for term in dict.fromkeys(terms) if term in self.vocabulary]
        if not known:
            return {}
        weights = self.idf(np.array([self.vocabulary[term] for term in known], dtype=np.int64))
        return dict(zip(known, weights.tolist(), strict=True))

    def idf(self, ids: np.ndarray) -> np.ndarray:
        """Lucene's inverse document frequency of each term id (used to weigh term overlap)."""
        return np.asarray(idf(self._document_frequencies()[ids], len(self)), dtype=np.float32)

    def _document_frequencies(self) -> np.ndarray:
        model = self._built()
        if model is None:
            return np.zeros(len(self.vocabulary), dtype=np.int64)
        indptr = model.scores["indptr"]  # type: ignore[attr-defined]
        return np.diff(np.asarray(indptr)).astype(np.int64)

    def _built(self) -> object | None:
        model = self._model
        if model is not None or len(self) == 0 or not len(self.vocabulary):
            return model
        with self._build_lock:
            if self._model is None:
                self._model = self._build()
            return self._model

    def _build(self) -> object:
        """bm25s's Lucene BM25 score matrix, computed with whole-array operations: bm25s's own builder loops over
        passages in Python (25 s for 100k passages here; this takes about a second). `tests/test_lexical.py`
        checks that both give the same matrix."""
        import bm25s

        count, size = len(self), len(self.vocabulary)
        lengths = np.diff(self.offsets)
        documents = np.repeat(np.arange(count, dtype=np.int64), lengths)
        pairs, frequencies = np.unique(documents * size + self.tokens, return_counts=True)
        rows, terms = pairs // size, pairs % size
        document_frequencies = np.bincount(terms, minlength=size)
        term_idf = idf(document_frequencies, count)
        average_length = max(float(lengths.mean()), 1e-9)
        weights = term_idf[terms] * frequencies / (self.k1 * (1 - self.b + self.b * lengths[rows] / average_length)
                                              + frequencies)
        order = np.lexsort((rows, terms))  # compressed sparse columns: by term, then by passage
        model = bm25s.BM25(k1=self.k1, b=self.b, method="lucene")
        model.scores = {
            "data": weights[order].astype(np.float32),
            "indices": rows[order].astype(np.int32),
            "indptr": np.concatenate([[0], np.cumsum(document_frequencies)]).astype(np.int64),
            "num_docs": count,
        }
        model.vocab_dict = self.vocabulary
        model.nonoccurrence_array = None
        return model

    # -- saving and loading ------------------------------------------------------------------------------------

    def save(self, generation_folder: str | Path) -> Path:
        """Write the index into `generation_folder/lexical` (the caller makes the generation atomic)."""
        folder = Path(generation_folder) / FOLDER
        folder.mkdir(parents=True, exist_ok=True)
        model = self._built()
        np.save(folder / "tokens.npy", self.tokens)
        np.save(folder / "offsets.npy", self.offsets)
        if model is not None:
            model.save(folder, show_progress=False)  # type: ignore[attr-defined]
        (folder / "lexical.json").write_text(json.dumps({
            "tokenizer_version": TOKENIZER_VERSION, "passages": len(self), "k1": self.k1, "b": self.b,
            "vocabulary": None if model is not None else self.vocabulary,
        }, ensure_ascii=False) + "\n", "utf-8")
        for path in folder.iterdir():
            fsync(path)
        fsync(folder)
        return folder

    @classmethod
    def load(cls, generation_folder: str | Path, passages: Sequence[Passage]) -> LexicalIndex:
        """Load the lexical index saved beside `passages`; make it from them if it is missing (an index written
        before lexical search existed) or was made by another tokenizer."""
        folder = Path(generation_folder) / FOLDER
        try:
            info = json.loads((folder / "lexical.json").read_text("utf-8"))
        except FileNotFoundError:
            info = None
        except (OSError, ValueError) as error:
            raise IndexFormatError(f"cannot read {folder / 'lexical.json'}: {error}: rebuild the index with "
                                   f"{rebuild_command(Path(generation_folder).parent)}") from error
        if info is None or info.get("tokenizer_version") != TOKENIZER_VERSION:
            index = cls()
            index.add(passages)
            return index
        index = cls(float(info["k1"]), float(info["b"]))
        index.tokens = np.load(folder / "tokens.npy")
        index.offsets = np.load(folder / "offsets.npy")
        if info.get("vocabulary") is not None:
            index.vocabulary = dict(info["vocabulary"])
        else:
            import bm25s

            model = bm25s.BM25.load(folder, show_progress=False)
            index.vocabulary = model.vocab_dict
            index._model = model
        if len(index) != len(passages) or int(info["passages"]) != len(passages):
            raise IndexFormatError(
                f"{folder} holds {len(index)} passages but the index has {len(passages)}: rebuild it with "
                f"{rebuild_command(Path(generation_folder).parent)}"
            )
        return index
