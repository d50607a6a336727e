"""Retrieval: from a question to the passages most likely to answer it.

`Retriever` embeds the question and searches the `PassageIndex`. It notices when a newer index generation has
been written (by `rag index` in another process) and switches to it between queries, never mid-query.
"""

from __future__ import annotations

import threading
from pathlib import Path

from rag.embed import Embedder
from rag.records import Filters, Hit
from rag.store import PassageIndex, live_generation_name


class Retriever:
    """Dense retrieval over a `PassageIndex` with an injected embedder."""

    def __init__(self, index: PassageIndex, embedder: Embedder) -> None:
        self.index = index
        self.embedder = embedder
        self._reload_lock = threading.Lock()

    @classmethod
    def load(cls, folder: str | Path, embedder: Embedder) -> Retriever:
        return cls(PassageIndex.load(folder, embedder.name, embedder.dimension), embedder)

    def search(self, question: str, k: int = 5, filters: Filters | None = None) -> list[Hit]:
        self.refresh()
        index = self.index  # one generation for the whole query, even if another thread swaps it
        vector = self.embedder.embed([question])[0]
        if not filters:
            return index.search(vector, k)
        # Over-fetch, then filter; widen until k pass the filter or the whole index was seen.
        depth = k * 4
        while True:
            hits = [hit for hit in index.search(vector, depth) if filters.allows(hit.passage)]
            if len(hits) >= k or depth >= len(index):
                return hits[:k]
            depth *= 4

    def refresh(self) -> bool:
        """Switch to a newer generation if one was written since loading; True when it did."""
        folder = self.index.folder
        if folder is None:
            return False
        live = live_generation_name(folder)
        if live is None or live == f"gen-{self.index.generation:06d}":
            return False
        with self._reload_lock:
            if live_generation_name(folder) == f"gen-{self.index.generation:06d}":
                return False
            self.index = PassageIndex.load(folder, self.embedder.name, self.embedder.dimension)
        return True
