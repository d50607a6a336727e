"""The ONNX backends of the embedder: the sentence-transformers model exported locally to ONNX and run by ONNX
Runtime, in float (`onnx`, vectors equal to torch's to about 1e-6) or with its matrix products quantised to
8-bit integers (`onnx-int8`, the default: faster on CPU, cosine to torch's > 0.99).

The export runs once per model into the cache folder (`rag.models.bundled.cache_dir`), by one process at a
time (a file lock), written under a temporary name and renamed. Texts are tokenised with the `tokenizers`
library, sorted by token count and run in micro-batches of similar length, so little time goes into padding.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import os
import sys
import tempfile
import threading
from collections.abc import Iterator, Sequence
from pathlib import Path
from typing import Any

import numpy as np

from rag.errors import ModelError
from rag.models.bundled import cache_dir
from rag.models.embed import INT8_SUFFIX, check_model_folder, plain_tokenizer

EXPORT_VERSION = 1
"""Bump when the export or quantisation changes: cached ONNX files of an older version are then made again."""
EXPORT_LOCK = ".export.lock"
"""Held while a model folder is exported: one process exports, the others wait and use its files."""
BATCH_TOKENS = 4096
"""Micro-batches hold at most this many tokens (padding included), or `batch_size` texts."""


class OnnxEmbedder:
    """The same sentence-transformers model run by ONNX Runtime: mean pooling and normalisation are inside the
    exported graph, tokenisation is done by the `tokenizers` library (no torch at run time once exported).

    `threads` is ONNX Runtime's intra-op thread count (0 = all cores); `quantized` picks the int8 model.
    """

    def __init__(self, model_path: str | Path, name: str | None = None, threads: int = 0, batch_size: int = 64,
                 quantized: bool = True, progress: bool = True, cache: str | Path = "") -> None:
        os.environ.setdefault("HF_HUB_OFFLINE", "1")
        path = Path(model_path)
        check_model_folder(path)
        try:
            import onnxruntime
        except ImportError as error:
            raise ModelError(f"onnxruntime is not installed ({error}): run `pip install onnxruntime`, or use "
                             f"--embed-backend torch") from error
        self.backend = "onnx-int8" if quantized else "onnx"
        base = name or path.name
        self.name = base + INT8_SUFFIX if quantized else base
        config = _model_config(path)
        self.dimension = config["dimension"]
        self.max_length = config["max_length"]
        self.max_tokens = self.max_length - 2  # [CLS] and [SEP]
        self.threads = threads
        self.batch_size = max(1, batch_size)
        onnx_file = exported_model(path, quantized, progress, label=base, cache=cache)
        options = onnxruntime.SessionOptions()
        options.intra_op_num_threads = threads or os.cpu_count() or 1
        options.inter_op_num_threads = 1
        options.graph_optimization_level = onnxruntime.GraphOptimizationLevel.ORT_ENABLE_ALL
        # Every batch has another shape; the arena would keep the largest of each and grow for nothing.
        options.enable_cpu_mem_arena = False
        if options.intra_op_num_threads == 1:
            options.add_session_config_entry("session.intra_op.allow_spinning", "0")
        try:
            self.session = onnxruntime.InferenceSession(str(onnx_file), options, providers=["CPUExecutionProvider"])
        except Exception as error:  # onnxruntime raises its own exception types for bad files
            raise ModelError(f"could not load {onnx_file}: {error}; delete it to export it again") from error
        self._inputs = {item.name for item in self.session.get_inputs()}
        self._tokenizer = _load_tokenizer(path)
        self._tokenizer.no_padding()
        self._tokenizer.enable_truncation(self.max_length)
        self._counter = plain_tokenizer(self._tokenizer)
        self._pad_id = config["pad_id"]
        self._turns = TurnTaking()  # one run at a time (the session's threads are the budget), a query's first

    def embed(self, texts: Sequence[str]) -> np.ndarray:
        vectors = np.zeros((len(texts), self.dimension), dtype=np.float32)
        if not texts:
            return vectors
        encodings = self._tokenizer.encode_batch(list(texts))
        lengths = np.array([len(encoding.ids) for encoding in encodings])
        order = np.argsort(-lengths, kind="stable")
        urgent = len(texts) <= URGENT_TEXTS
        for batch in _micro_batches(lengths[order], self.batch_size, BATCH_TOKENS):
            rows = order[batch]
            width = int(lengths[rows].max())
            ids = np.full((len(rows), width), self._pad_id, dtype=np.int64)
            mask = np.zeros((len(rows), width), dtype=np.int64)
            for position, row in enumerate(rows):
                ids[position, :lengths[row]] = encodings[row].ids
                mask[position, :lengths[row]] = 1
            feed = {"input_ids": ids, "attention_mask": mask}
            if "token_type_ids" in self._inputs:
                feed["token_type_ids"] = np.zeros_like(ids)
            with self._turns.turn(urgent):
                vectors[rows] = self.session.run(None, feed)[0]
        return vectors

    def count_tokens(self, text: str) -> int:
        return len(self._counter.encode(text, add_special_tokens=False).ids)


URGENT_TEXTS = 8
"""A call embedding at most this many texts (a question, its readings) goes before the micro-batches of a larger one
waiting for the session (an upload being indexed by the server that answers it)."""


class TurnTaking:
    """The session's runs one at a time, an urgent caller's before a waiting bulk one's. A server indexes an upload
    with the embedder that embeds its questions: holding the session for a whole call, an upload of 10 MB kept
    every search waiting for minutes; now a question waits for one micro-batch at most.

    >>> turns = TurnTaking()
    >>> with turns.turn(urgent=False):
    ...     pass
    """

    def __init__(self) -> None:
        self._changed = threading.Condition()
        self._busy = False
        self._urgent_waiting = 0

    @contextlib.contextmanager
    def turn(self, urgent: bool) -> Iterator[None]:
        with self._changed:
            self._urgent_waiting += urgent
            try:
                while self._busy or (not urgent and self._urgent_waiting):
                    self._changed.wait()
            finally:
                self._urgent_waiting -= urgent
            self._busy = True
        try:
            yield
        finally:
            with self._changed:
                self._busy = False
                self._changed.notify_all()


def _micro_batches(sorted_lengths: np.ndarray, batch_size: int, batch_tokens: int) -> list[slice]:
    """Cut texts sorted by decreasing token count into batches of at most `batch_size` texts and about
    `batch_tokens` tokens with padding (never less than one text).

    >>> _micro_batches(np.array([100, 90, 10, 10, 10]), batch_size=64, batch_tokens=200)
    [slice(0, 2, None), slice(2, 5, None)]
    """
    batches = []
    start = 0
    while start < len(sorted_lengths):
        width = max(int(sorted_lengths[start]), 1)  # the first text of a batch is its longest
        count = max(1, min(batch_size, batch_tokens // width, len(sorted_lengths) - start))
        batches.append(slice(start, start + count))
        start += count
    return batches


def _model_config(path: Path) -> dict[str, Any]:
    """Dimension, maximum sequence length and pooling of a sentence-transformers folder; refuses what the ONNX
    export does not reproduce (pooling other than mean, extra modules such as Dense layers)."""
    def read(name: str) -> dict[str, Any]:
        try:
            return dict(json.loads((path / name).read_text("utf-8")))
        except (OSError, ValueError):
            return {}

    modules = json.loads((path / "modules.json").read_text("utf-8")) if (path / "modules.json").exists() else []
    kinds = [module.get("type", "").rsplit(".", 1)[-1] for module in modules]
    pooling = read("1_Pooling/config.json")
    if any(kind not in ("Transformer", "Pooling", "Normalize") for kind in kinds) or \
            (pooling and not pooling.get("pooling_mode_mean_tokens")):
        raise ModelError(f"the ONNX backends support mean-pooling models only; {path} has modules {kinds} and "
                         f"pooling {pooling}: use --embed-backend torch")
    model_config = read("config.json")
    dimension = pooling.get("word_embedding_dimension") or model_config.get("hidden_size")
    max_length = read("sentence_bert_config.json").get("max_seq_length") or \
        min(int(model_config.get("max_position_embeddings", 512)), 512)
    if not dimension:
        raise ModelError(f"cannot tell the embedding dimension of {path}: use --embed-backend torch")
    return {"dimension": int(dimension), "max_length": int(max_length),
            "pad_id": int(model_config.get("pad_token_id") or 0)}


def _load_tokenizer(path: Path) -> Any:
    from tokenizers import Tokenizer

    if (path / "tokenizer.json").exists():
        return Tokenizer.from_file(str(path / "tokenizer.json"))
    try:  # a slow-tokenizer folder (vocab.txt only): transformers converts it to a fast one
        from transformers import AutoTokenizer

        return AutoTokenizer.from_pretrained(str(path), local_files_only=True).backend_tokenizer
    except Exception as error:
        raise ModelError(f"cannot load the tokenizer of {path} ({error}): use --embed-backend torch") from error


# -- export --------------------------------------------------------------------------------------------------------


def exported_model(model_path: Path, quantized: bool, progress: bool = True, label: str = "",
                   cache: str | Path = "") -> Path:
    """The ONNX file of a model folder (int8-quantised or not), exported into the cache folder on first use.

    Each file is written under a temporary name and renamed into place, so an interrupted export leaves nothing
    half-written; a folder per model fingerprint (weights' size and time, export version) keeps versions apart.
    """
    label = label or model_path.name
    folder = cache_dir(cache) / "embedders" / f"{label}-{_fingerprint(model_path)}"
    float_file, int8_file = folder / "model.onnx", folder / "model-int8.onnx"
    target = int8_file if quantized else float_file
    if target.exists():
        return target
    from filelock import FileLock

    folder.mkdir(parents=True, exist_ok=True)
    # Two first runs at once (an index build beside the chat) would otherwise export side by side, and ONNX
    # Runtime's quantiser writes and deletes a fixed scratch file beside the model: one run deleted the other's.
    with FileLock(str(folder / EXPORT_LOCK)):
        if target.exists():  # another process exported it while this one waited
            return target
        if progress:
            print(f"Exporting the embedder {label} to ONNX{' (int8)' if quantized else ''} into {folder} "
                  f"(first run only, about 20 s)...", file=sys.stderr, flush=True)
        if not float_file.exists():
            with _temporary_beside(float_file) as partial:
                _export_onnx(model_path, partial)
        if quantized and not int8_file.exists():
            with _temporary_beside(int8_file) as partial:
                _quantize(float_file, partial)
    if progress:
        print(f"Embedder ready: {target}", file=sys.stderr, flush=True)
    return target


def _fingerprint(model_path: Path) -> str:
    weights = [model_path / name for name in ("model.safetensors", "pytorch_model.bin") if (model_path / name).exists()]
    status = [f"{path.name}:{path.stat().st_size}:{path.stat().st_mtime_ns}" for path in weights]
    digest = hashlib.sha256(f"{EXPORT_VERSION}|{model_path.resolve()}|{'|'.join(status)}".encode())
    return digest.hexdigest()[:12]


@contextlib.contextmanager
def _temporary_beside(target: Path) -> Any:
    descriptor, name = tempfile.mkstemp(prefix=f".{target.name}.", suffix=".partial", dir=target.parent)
    os.close(descriptor)
    partial = Path(name)
    try:
        yield partial
        partial.chmod(0o644)  # mkstemp makes it private; the cache is as readable as any other file there
        os.replace(partial, target)
    finally:
        partial.unlink(missing_ok=True)


def _export_onnx(model_path: Path, output: Path) -> None:
    """Export transformer + mean pooling + L2 normalisation as one graph with dynamic batch and length."""
    import warnings

    import torch
    from transformers import AutoModel
    from transformers.utils import logging as transformers_logging

    transformers_logging.disable_progress_bar()
    try:
        # Eager attention traces to plain ONNX ops; the fused kernels of other implementations do not.
        model = AutoModel.from_pretrained(str(model_path), local_files_only=True, attn_implementation="eager")
    except Exception as error:
        raise ModelError(f"could not load {model_path} to export it to ONNX: {error}") from error
    model.eval()

    class Pooled(torch.nn.Module):
        def __init__(self, transformer: Any) -> None:
            super().__init__()
            self.transformer = transformer

        def forward(self, input_ids: Any, attention_mask: Any) -> Any:
            tokens = self.transformer(input_ids=input_ids, attention_mask=attention_mask,
                                      token_type_ids=torch.zeros_like(input_ids)).last_hidden_state
            weights = attention_mask.unsqueeze(-1).to(tokens.dtype)
            pooled = (tokens * weights).sum(1) / weights.sum(1).clamp(min=1e-9)
            return torch.nn.functional.normalize(pooled, p=2.0, dim=1)

    example = (torch.ones(2, 8, dtype=torch.long), torch.ones(2, 8, dtype=torch.long))
    dynamic = {"input_ids": {0: "batch", 1: "length"}, "attention_mask": {0: "batch", 1: "length"},
               "sentence_embedding": {0: "batch"}}
    try:
        with warnings.catch_warnings(), torch.inference_mode():
            warnings.simplefilter("ignore")  # tracer warnings about Python control flow in the model
            torch.onnx.export(Pooled(model), example, str(output), dynamo=False, opset_version=17,
                              input_names=["input_ids", "attention_mask"], output_names=["sentence_embedding"],
                              dynamic_axes=dynamic)
    except Exception as error:
        raise ModelError(f"could not export {model_path} to ONNX: {error}; use --embed-backend torch") from error


def _quantize(float_file: Path, output: Path) -> None:
    """Dynamic int8 quantisation of the matrix products, weights per output channel.

    Measured on the bundled model: per-tensor int8 weights give cosine 0.95 to the float vectors (saturation on
    CPUs without VNNI), per-channel uint8 weights 0.995; leaving the embedding table in float keeps it there.
    """
    import logging

    from onnxruntime.quantization import QuantType, quantize_dynamic

    root = logging.getLogger()
    level = root.level
    root.setLevel(logging.ERROR)  # the quantiser's advice to pre-process, logged on the root logger, is noise here
    try:
        quantize_dynamic(str(float_file), str(output), weight_type=QuantType.QUInt8, per_channel=True,
                         op_types_to_quantize=["MatMul"])
    except Exception as error:
        raise ModelError(f"could not quantise {float_file}: {error}; use --embed-backend onnx or torch") from error
    finally:
        root.setLevel(level)
