"""One typed settings object for the whole assistant, read only at the edges.

Defaults live here; environment variables `RAG_<FIELD>` (for example `RAG_LLM=/models/qwen.gguf`) override them;
explicit keyword arguments (CLI flags, UI controls, `Assistant.load(..., k=8)`) override both. The CLI builds
its flags from the fields below, so a new setting is one new field.

Only the edges read settings: the CLI, the server, the UI and `Assistant.load` turn them into values and models
and hand those to the library, whose functions take plain values. The allowed values of the settings that name a
choice are the constants below, which the layers that use them import too.
"""

from __future__ import annotations

import dataclasses
import os
from dataclasses import dataclass, field
from typing import Any

from rag.errors import InvalidRequestError
from rag.records import Filters
from rag.thresholds import (
    MIN_SCORE,
    QUOTE_REFUSAL_THRESHOLD,
    REFUSAL_THRESHOLD,
    SPAN_ANSWER_THRESHOLD,
    SPAN_FALLBACK_THRESHOLD,
)

BUNDLED = "bundled"
ENV_PREFIX = "RAG_"
MAX_K = 50
"""Most passages a question may ask to retrieve (`k`), from the library and over HTTP."""

RETRIEVAL_MODES = ("hybrid", "dense", "lexical")
EMBED_BACKENDS = ("torch", "onnx", "onnx-int8")
LLM_FORMATS = ("chat", "completion")
LOG_LEVELS = ("debug", "info", "warning", "error")
DEFAULT_CHAT = "ui.app:build_app"
STORY_SIMILARITY = 0.6
"""Embedding similarity from which passages of different articles may report the same story (with shared names and
numbers, published within days: `rag.answer.retrieve.same_story`). On tests/data/multi-outlet.jsonl every pair of
reports of one event is above 0.69 and, among pairs that also share enough names and numbers, no pair of different
events is above 0.5."""


def _setting(default: Any, help: str) -> Any:
    return field(default=default, metadata={"help": help})


@dataclass(frozen=True)
class Settings:
    index: str = _setting("index", "folder of the on-disk index")
    store: str = _setting("", "where the index lives instead of the index folder: a PostgreSQL URL "
                          "(postgresql://user:password@host/db, with pgvector) shared by several servers and indexers; "
                          "empty: the index folder")
    embedder: str = _setting(BUNDLED, "sentence-transformers model folder, or 'bundled' for all-MiniLM-L6-v2")
    llm: str = _setting(BUNDLED, "path to a GGUF file, or 'bundled' for Gemma 3 270M")
    llm_url: str = _setting("", "base URL of an OpenAI-compatible server (http://host:8000/v1) instead of a GGUF")
    llm_model: str = _setting("", "model name to request from --llm-url")
    llm_format: str = _setting("chat", "how to prompt --llm-url: 'chat' (/chat/completions, the server's chat "
                               "template) or 'completion' (/completions with the base-model prompt)")
    llm_api_key: str = _setting("", "API key sent to --llm-url as a Bearer token (set it with RAG_LLM_API_KEY)")
    llm_workers: int = _setting(0, "answers generated at once while serving (0: 1 for a local GGUF, whose context "
                                "is not thread-safe; 4 for --llm-url)")
    chunk_tokens: int = _setting(200, "maximum embedder tokens per passage (title included)")
    chunk_overlap: int = _setting(32, "tokens of overlap between consecutive passages")
    k: int = _setting(5, "passages retrieved and given to the model")
    retrieval: str = _setting("hybrid", "how passages are found: 'hybrid' (embeddings and BM25, fused), 'dense' "
                              "(embeddings only) or 'lexical' (BM25 only)")
    duplicate_overlap: float = _setting(0.5, "drop a retrieved passage when more than this share of it repeats a "
                                        "better one (overlapping windows, syndicated copies); 1 keeps all")
    story_similarity: float = _setting(STORY_SIMILARITY, "group passages of different articles as one story (other "
                                       "outlets reporting the same event) from this embedding similarity, when "
                                       "they share names and numbers and were published within days; 1: never")
    as_of: str = _setting("", "reference date for time phrases in questions ('latest', 'last month', 'in March'): "
                          "YYYY-MM-DD (empty: today)")
    min_score: float = _setting(MIN_SCORE, "refuse without asking the model when the best passage scores below this "
                                "(hybrid scores are 0..1 chances of holding the answer)")
    refusal_threshold: float = _setting(REFUSAL_THRESHOLD, "refuse without asking the model when even the best "
                                        "sentence's chance of answering (answer finder) is below this (0 disables)")
    span_threshold: float = _setting(SPAN_ANSWER_THRESHOLD, "the span reader's chance from which its exact "
                                     "answer is the answer, cited, without the model writing (above 1: the model "
                                     "writes every answer first: span_fallback)")
    span_fallback: float = _setting(SPAN_FALLBACK_THRESHOLD, "the span reader's chance from which its exact answer "
                                    "answers a question whose model answer was refused (below span_threshold: the "
                                    "model writes first; above 1: never)")
    reader_refusal: float = _setting(0.0, "refuse a one-part question (not a follow-up) without asking the model "
                                     "when the span reader finds nothing this likely in the best evidence sentences: "
                                     "fewer wrong answers for more refusals (0 disables; 0.2 on held-out dev "
                                     "questions: citation precision 0.92 -> 0.95, false refusals 0.07 -> 0.17)")
    quote_refusal: float = _setting(QUOTE_REFUSAL_THRESHOLD, "refuse a question asking for a date, number or "
                                    "name rather than quote the evidence when no sentence of the model's passed "
                                    "the checks and the span reader finds nothing this likely to answer in the "
                                    "quoted sentences (0 quotes them all)")
    follow_budget: float = _setting(8.0, "seconds an indexing run (rag index, rag watch) may spend asking followed "
                                    "questions again; those due beyond it stay pending, asked by the next run, "
                                    "`rag follow refresh` or a server's background worker (0: ask none)")
    max_question_chars: int = _setting(2000, "longest question accepted")
    context_size: int = _setting(2048, "LLM context window in tokens")
    max_answer_tokens: int = _setting(160, "longest answer the model may write, in tokens")
    temperature: float = _setting(0.0, "sampling temperature (0 = greedy, reproducible)")
    threads: int = _setting(0, "CPU threads for the LLM (0 = all cores)")
    embed_threads: int = _setting(1, "CPU threads for query embedding while serving (1 avoids contention)")
    embed_backend: str = _setting("onnx-int8", "how the embedder runs: 'onnx-int8' (ONNX Runtime, int8-quantised: "
                                  "fastest on CPU), 'onnx' (float, same vectors as torch) or 'torch'; an index "
                                  "records which vectors it holds")
    index_factory: str = _setting("auto", "FAISS index type: 'auto' (exact below 200,000 passages, then IVF), or a "
                                  "faiss.index_factory string such as 'Flat', 'IVF4096,Flat', 'IVF4096,SQ8'")
    batch_size: int = _setting(64, "passages embedded per batch while indexing")
    max_file_mb: float = _setting(50.0, "largest article file read, in megabytes (a larger one is listed as failed); "
                                  "also the largest feed or page downloaded")
    fetch_timeout: float = _setting(20.0, "seconds to wait for a web server (feeds and pages given as URLs) to "
                                    "connect and to send each part of its answer")
    cache: str = _setting("", "folder for the assembled bundled LLM and exported embedders (empty: "
                          "$XDG_CACHE_HOME/rag, else ~/.cache/rag)")
    log_level: str = _setting("warning", "messages shown on stderr: 'warning', 'info' or 'debug' (debug includes "
                              "llama.cpp's own log and the warnings of the readers' libraries, pypdf and trafilatura)")
    host: str = _setting("127.0.0.1", "address to serve on; anything but loopback exposes the assistant")
    port: int = _setting(7860, "port to serve on")
    token: str = _setting("", "API token required when serving on a non-loopback address")
    chat: str = _setting(DEFAULT_CHAT, "the chat page `rag serve` mounts at / (module:function building it from "
                         "the assistant); empty serves the API only")

    @classmethod
    def from_env(cls, environ: dict[str, str] | None = None, **overrides: Any) -> Settings:
        """Defaults, then `RAG_*` environment variables, then explicit overrides (None means "not given").

        >>> Settings.from_env({"RAG_K": "8"}, llm="model.gguf").k
        8
        """
        environ = dict(os.environ if environ is None else environ)
        values: dict[str, Any] = {}
        for setting in dataclasses.fields(cls):
            raw = environ.get(ENV_PREFIX + setting.name.upper())
            if raw is not None and raw != "":
                values[setting.name] = _convert(setting.name, raw, setting.type)
        unknown = sorted(set(overrides) - {setting.name for setting in dataclasses.fields(cls)})
        if unknown:
            raise InvalidRequestError(f"unknown setting(s): {', '.join(unknown)}")
        values.update({name: value for name, value in overrides.items() if value is not None})
        return cls(**values).validated()

    def replace(self, **changes: Any) -> Settings:
        given = {name: value for name, value in changes.items() if value is not None}
        return dataclasses.replace(self, **given).validated()

    def validated(self) -> Settings:
        problems = []
        for declared in dataclasses.fields(self):  # `Assistant.load(k="3")` failed comparing "3" with 1: a TypeError
            value, kind = getattr(self, declared.name), str(declared.type)
            if isinstance(value, bool) or (kind == "int" and not isinstance(value, int)) or (
                    kind == "float" and not isinstance(value, (int, float))) or (
                    kind == "str" and not isinstance(value, (str, os.PathLike))):
                wanted = {"int": "a whole number", "float": "a number"}.get(kind, "text")
                problems.append(f"{declared.name} must be {wanted}, got {value!r}")
        if problems:
            raise InvalidRequestError("; ".join(problems))
        if not 1 <= self.k <= MAX_K:
            problems.append(f"k must be at least 1 and at most {MAX_K}, got {self.k}")
        if self.chunk_tokens < 16:
            problems.append(f"chunk_tokens must be at least 16, got {self.chunk_tokens}")
        if not 0 <= self.chunk_overlap < self.chunk_tokens // 2:
            problems.append(f"chunk_overlap must be between 0 and chunk_tokens/2 ({self.chunk_tokens // 2 - 1} at "
                            f"most for chunk_tokens {self.chunk_tokens}: give --chunk-overlap too), "
                            f"got {self.chunk_overlap}")
        for name, allowed in (("retrieval", RETRIEVAL_MODES), ("embed_backend", EMBED_BACKENDS),
                              ("llm_format", LLM_FORMATS), ("log_level", LOG_LEVELS)):
            if getattr(self, name) not in allowed:
                problems.append(f"{name} must be one of {', '.join(allowed)}, got {getattr(self, name)!r}")
        if not 0 < self.story_similarity <= 1:
            problems.append(f"story_similarity must be more than 0 and at most 1, got {self.story_similarity}")
        if self.as_of:
            try:
                Filters.parse(until=self.as_of)
            except InvalidRequestError as error:
                problems.append(str(error).replace("until", "as_of", 1))
        if not 0 < self.duplicate_overlap <= 1:
            problems.append(f"duplicate_overlap must be more than 0 and at most 1, got {self.duplicate_overlap}")
        if self.context_size < 256:
            problems.append(f"context_size must be at least 256, got {self.context_size}")
        if self.llm_workers < 0:
            problems.append(f"llm_workers must be 0 (automatic) or more, got {self.llm_workers}")
        if self.fetch_timeout <= 0:
            problems.append(f"fetch_timeout must be more than 0, got {self.fetch_timeout}")
        if self.store and not self.store.startswith(("postgresql://", "postgres://")):
            problems.append("store must be a PostgreSQL URL (postgresql://user:password@host/db) or empty for the "
                            "index folder")
        if self.follow_budget < 0:
            problems.append(f"follow_budget must be 0 or more, got {self.follow_budget}")
        if self.max_file_mb <= 0:
            problems.append(f"max_file_mb must be more than 0, got {self.max_file_mb}")
        if problems:
            raise InvalidRequestError("; ".join(problems))
        return self

    def describe(self) -> dict[str, Any]:
        from rag.redact import masked
        from rag.store.postgres import is_database_url

        values = {name: value for name, value in dataclasses.asdict(self).items()
                  if name not in ("token", "llm_api_key")}
        for name in ("store", "index"):  # a database URL may hold its password (`index` accepts one too)
            if is_database_url(values[name]):
                values[name] = masked(values[name])
        if values.get("llm_url"):  # and an LLM server's URL its password or key
            values["llm_url"] = masked(values["llm_url"])
        return values


def _convert(name: str, raw: str, annotation: Any) -> Any:
    kind = {"int": int, "float": float, "str": str}.get(str(annotation), str)
    try:
        return kind(raw)
    except ValueError:
        raise InvalidRequestError(
            f"environment variable {ENV_PREFIX}{name.upper()}={raw!r} is not a valid {kind.__name__}"
        ) from None
