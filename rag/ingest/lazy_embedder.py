"""An embedder that loads its model only when the indexer has something to embed.

`rag index` with nothing new to embed then never pays for loading the model: the index's compatibility check
needs only the embedder's name, which is known without loading it.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

import numpy as np

from rag.errors import ModelError
from rag.models.embed import Embedder
from rag.settings import BUNDLED


class LazyEmbedder:
    """An embedder that loads its model on first use: an index run with nothing to embed never loads it.

    `name` is known without loading (it is what the index records), and checked against the model once loaded.
    """

    def __init__(self, load: Callable[[], Embedder], name: str) -> None:
        self.name = name
        self._load = load
        self._model: Embedder | None = None
        self._lock = threading.Lock()

    @classmethod
    def for_setting(cls, setting: str = BUNDLED, **options: Any) -> LazyEmbedder:
        """The embedder `rag.models.embed.load_embedder(setting, **options)` would give, loaded when first needed."""
        from rag.models import embed
        from rag.models.bundled import BUNDLED_EMBEDDER_NAME

        if setting not in (BUNDLED, BUNDLED_EMBEDDER_NAME) and not Path(setting).expanduser().exists():
            # Fail now, not after a long scan.
            raise ModelError(f"embedder {setting!r} not found: give a local sentence-transformers folder or "
                             f"'{BUNDLED}' (models are never downloaded)")
        name = embed.embedder_name(setting, options.get("backend"))
        return cls(lambda: embed.load_embedder(setting, **options), name)

    @property
    def loaded(self) -> bool:
        return self._model is not None

    @property
    def model(self) -> Embedder:
        with self._lock:
            if self._model is None:
                model = self._load()
                if model.name != self.name:
                    raise ModelError(f"the embedder loaded is named {model.name!r}, expected {self.name!r}")
                self._model = model
            return self._model

    @property
    def dimension(self) -> int:
        return self.model.dimension

    @dimension.setter
    def dimension(self, value: int) -> None:  # the Embedder protocol declares a plain attribute
        raise AttributeError("the dimension of a LazyEmbedder comes from its model")

    @property
    def max_tokens(self) -> int:
        return self.model.max_tokens

    @max_tokens.setter
    def max_tokens(self, value: int) -> None:
        raise AttributeError("max_tokens of a LazyEmbedder comes from its model")

    def embed(self, texts: Sequence[str]) -> np.ndarray:
        return self.model.embed(texts)

    def count_tokens(self, text: str) -> int:
        return self.model.count_tokens(text)
