"""Language models behind one narrow interface: `LLM.stream(prompt) -> Iterator[str]`, the model's text.

A model shared through the server's generation queue is a `SharedLLM`, which can also say how many questions are
ahead of a prompt (`Waiting` events): `stream_in_line` is how the assistant reads any model, shared or not.

`LlamaCppLLM` runs any GGUF file through llama-cpp-python. A GGUF that carries a chat template is driven with
chat messages; one without (a base model such as the bundled Gemma 3 270M) gets a completion-style prompt with
stop sequences, because llama-cpp-python's fallback chat format makes such models echo the prompt.
The bundled model is found by `rag.models.bundled`. Every local GGUF runs in a process of its own
(`rag.models.worker`); llama.cpp's log is routed to the project's logger (`route_llama_logs`) in the process that
runs the model. (Which CPU code llama.cpp runs is decided by how `make install` built it: see the Makefile.)
"""

from __future__ import annotations

import contextlib
import logging
import os
import threading
from collections.abc import Iterator
from pathlib import Path
from typing import Any, Protocol, runtime_checkable

from rag.errors import ModelError
from rag.models.bundled import BUNDLED_LLM_NAME, bundled_gguf_path
from rag.records import Prompt, Waiting
from rag.settings import BUNDLED


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


@runtime_checkable
class SharedLLM(LLM, Protocol):
    """An `LLM` that several users share through a line (`rag.serve.queue.QueuedLLM`). Its `stream` waits in line
    silently; `stream_in_line` also says, with `Waiting` events before the text, how many questions are ahead."""

    def stream_in_line(self, prompt: Prompt, max_tokens: int = 160,
                       temperature: float = 0.0) -> Iterator[Waiting | str]: ...


def stream_in_line(llm: LLM, prompt: Prompt, max_tokens: int = 160,
                   temperature: float = 0.0) -> Iterator[Waiting | str]:
    """The model's text for `prompt`, after a `Waiting` event each time the number of questions ahead of it changes
    when `llm` is shared (`SharedLLM`); any other model's text as it comes. The typed path by which the generation
    queue tells the assistant, and through it the user, their place in line: model text stays `str`.

    >>> class Echo:  # an LLM that writes its prompt back, word by word
    ...     name, chat, context_size = "echo", False, 2048
    ...     def count_tokens(self, text): return len(text.split())
    ...     def stream(self, prompt, max_tokens=160, temperature=0.0): yield from prompt.text.split()
    >>> list(stream_in_line(Echo(), Prompt((), "The ferry", ())))
    ['The', 'ferry']
    """
    if isinstance(llm, SharedLLM):
        return llm.stream_in_line(prompt, max_tokens, temperature)
    return llm.stream(prompt, max_tokens, temperature)


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
        with contextlib.suppress(OSError), path.open("rb") as file:
            if file.read(4) != b"GGUF":  # llama.cpp says only "Failed to load model from file"
                raise ModelError(f"{path} is not a GGUF model (its file does not start with GGUF): give --llm a .gguf "
                                 f"file, or use --llm {BUNDLED}")
        try:
            from llama_cpp import Llama
        except ImportError as error:
            raise ModelError(f"llama-cpp-python is not installed or failed to load ({error}): run `make install`") \
                from error
        route_llama_logs()
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
        self._head: str = ""
        self._head_ids: list[int] = []

    def count_tokens(self, text: str) -> int:
        return len(self.model.tokenize(text.encode("utf-8"), add_bos=False, special=False))

    def stream(self, prompt: Prompt, max_tokens: int = 160, temperature: float = 0.0) -> Iterator[str]:
        with self.lock:
            self._keep_head(prompt)
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

    def _keep_head(self, prompt: Prompt) -> None:
        """Forget everything read before but the prompt's fixed head (`Prompt.head`), read once on its own.

        The head (instructions and worked example, 40% of a typical base prompt) is then not read again for every
        question, and an answer never depends on the question before it: the head is always the same reading and
        the rest is always read from the same place. (llama-cpp-python would otherwise reuse whatever the last
        prompt shared with this one.)"""
        if self.chat or not prompt.head:
            self.model.reset()
            return
        tokens = self.model.tokenize(prompt.text.encode("utf-8"), special=True)
        head = self._head_tokens(prompt.text[:prompt.head])
        keep = 0
        while keep < min(len(head), len(tokens) - 1) and head[keep] == tokens[keep]:
            keep += 1
        if not keep:
            self.model.reset()
            return
        if self.model.n_tokens < keep or list(self.model.input_ids[:keep]) != tokens[:keep]:
            self.model.reset()
            self.model.eval(tokens[:keep])
        self.model.n_tokens = keep  # create_completion reuses these and reads the rest

    def _head_tokens(self, head: str) -> list[int]:
        if self._head != head:
            self._head, self._head_ids = head, self.model.tokenize(head.encode("utf-8"), special=True)
        return self._head_ids

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


def load_llm(name: str = BUNDLED, context_size: int = 2048, threads: int = 0, progress: bool = True,
             cache: str | Path = "") -> LLM:
    """Turn a setting value ('bundled' or a GGUF path) into a model, run in a process of its own (`rag.models.worker`):
    a native crash then fails one answer with the signal named instead of killing the program."""
    from rag.models.worker import ProcessLLM

    if name in (BUNDLED, BUNDLED_LLM_NAME):
        return ProcessLLM(bundled_gguf_path(progress, cache), context_size, threads, chat=False,
                          name=BUNDLED_LLM_NAME)
    return ProcessLLM(name, context_size, threads)
