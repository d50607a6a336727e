"""What the project's own small ONNX models share (the answer finder, `rag.models.answer_finder`, and the span reader,
`rag.models.span_reader`): loading the shipped weights and their `meta.json` with a clear error naming the make
target that trains them (`load_shipped_model`), their calibration (`calibration`), the bundled embedder's WordPiece
tokenizer set up for (question, text) pairs (`pair_tokenizer`), padding a batch into the model's inputs
(`batch_arrays`), and one loaded copy per process (`shared_model`).

Both models are all-MiniLM-L6-v2's transformer with a small head, fine-tuned by `tools/train_*.py`, quantised to
int8 and shipped beside these modules: nothing is downloaded.
"""

from __future__ import annotations

import json
import os
import threading
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any, TypeVar

import numpy as np

from rag.errors import ModelError

MAX_THREADS = 4
"""Threads one input is read with at most: an input of at most 160 tokens gains little from more (one to two
threads: 246 to 194 ms for the answer finder's 25 sentences of a question), and dozens of threads on a large server
would cost more than they give."""

Model = TypeVar("Model")


def load_shipped_model(folder: Path, what: str, make_target: str, format_version: int,
                       threads: int) -> tuple[dict[str, Any], Any]:
    """The `meta.json` and the ONNX Runtime session of a model the project trains and ships, read with `threads`
    intra-op threads (0: all cores) up to `MAX_THREADS`, idle threads sleeping. A missing folder, another format
    version or a bad file raises `ModelError` naming `make <make_target>`."""
    try:
        meta: dict[str, Any] = json.loads((folder / "meta.json").read_text("utf-8"))
    except (OSError, ValueError) as error:
        raise ModelError(f"no {what} in {folder} ({error}): train one with `make {make_target}`") from error
    if meta.get("format_version") != format_version:
        raise ModelError(f"the {what} in {folder} has format version {meta.get('format_version')}, "
                         f"this version of rag reads {format_version}: train it again with `make {make_target}`")
    return meta, onnx_session(folder / "model.onnx", threads)


def onnx_session(path: Path, threads: int) -> Any:
    """An ONNX Runtime session of the model file at `path` (a shipped model's, or a member of its ensemble: the span
    reader's `members`), read with `threads` intra-op threads (0: all cores) up to `MAX_THREADS`, idle threads
    sleeping; a bad file raises `ModelError`."""
    import onnxruntime

    options = onnxruntime.SessionOptions()
    options.intra_op_num_threads = min(threads or os.cpu_count() or 1, MAX_THREADS)
    options.inter_op_num_threads = 1
    options.enable_cpu_mem_arena = False
    # Idle threads sleep instead of spinning: they would take the cores the language model writes on.
    options.add_session_config_entry("session.intra_op.allow_spinning", "0")
    try:
        return onnxruntime.InferenceSession(str(path), options, providers=["CPUExecutionProvider"])
    except Exception as error:  # onnxruntime raises its own types for a bad file
        raise ModelError(f"could not load {path}: {error}") from error


def calibration(meta: dict[str, Any], folder: Path, what: str, make_target: str) -> tuple[float, float]:
    """The (scale, offset) of the logistic calibration recorded in a shipped model's `meta`.

    >>> calibration({"calibration": {"scale": 1.5, "offset": -0.25}}, Path("m"), "reader", "train-reader")
    (1.5, -0.25)
    """
    try:
        return float(meta["calibration"]["scale"]), float(meta["calibration"]["offset"])
    except (KeyError, TypeError, ValueError) as error:
        raise ModelError(f"the {what} in {folder} has no calibration: train it again with "
                         f"`make {make_target}`") from error


def pair_tokenizer(model_folder: Path, max_tokens: int, strategy: str = "longest_first", stride: int = 0) -> Any:
    """The embedder's WordPiece tokenizer in `model_folder` set up for (question, text) pairs, cut to `max_tokens`
    (`strategy` as the tokenizers library names it: "only_second" cuts the text, never the question). What is cut
    off is kept in the encoding's `overflowing` windows, each overlapping the one before by `stride` tokens."""
    from tokenizers import Tokenizer

    tokenizer = Tokenizer.from_file(str(model_folder / "tokenizer.json"))
    tokenizer.no_padding()
    tokenizer.enable_truncation(max_tokens, stride=stride, strategy=strategy)
    return tokenizer


def batch_arrays(encodings: Sequence[Any]) -> dict[str, np.ndarray]:
    """Pad a batch of encodings into the model's three inputs."""
    width = max(len(encoding.ids) for encoding in encodings)
    ids = np.zeros((len(encodings), width), dtype=np.int64)
    types = np.zeros_like(ids)
    mask = np.zeros_like(ids)
    for row, encoding in enumerate(encodings):
        length = len(encoding.ids)
        ids[row, :length] = encoding.ids
        types[row, :length] = encoding.type_ids
        mask[row, :length] = 1
    return {"input_ids": ids, "attention_mask": mask, "token_type_ids": types}


_shared: dict[tuple[str, str, int], Any] = {}
_shared_lock = threading.Lock()


def shared_model(make: Callable[[Path, int], Model], folder: str | Path, threads: int) -> Model:
    """The model `make(folder, threads)` builds, built once per process for each folder and thread count (the
    shipped models are read-only and thread-safe)."""
    key = (getattr(make, "__qualname__", repr(make)), str(Path(folder).resolve()), threads)
    with _shared_lock:
        if key not in _shared:
            _shared[key] = make(Path(folder), threads)
        return _shared[key]  # type: ignore[no-any-return]
