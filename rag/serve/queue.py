"""A line in front of the language model, so that many users can share one.

A llama.cpp context is not thread-safe, and on a small machine two generations at once are no faster than one
after the other, so answers are written by a fixed number of worker threads (one for a local GGUF), in the order
the questions arrived. Everything before generation (validation, query embedding, FAISS search, prompt building)
runs in the caller's own thread, concurrently with other users.

`QueuedLLM` wraps any `rag.models.llm.LLM` and is one itself (a `rag.models.llm.SharedLLM`), so `Assistant` needs
no change: `stream_in_line()` puts the job in line, yields a `rag.records.Waiting` event (how many questions are
ahead, so a UI can show it) whenever that number changes, then the text a worker writes. The assistant reads every
model that way (`rag.models.llm.stream_in_line`); the plain `stream()` of the `LLM` interface waits silently.

    >>> from rag.answer.assistant import Assistant                                    # doctest: +SKIP
    >>> shared = Assistant(retriever, QueuedLLM(load_llm()), settings)                 # doctest: +SKIP
"""

from __future__ import annotations

import collections
import contextlib
import contextvars
import queue
import threading
from collections.abc import Generator, Iterator
from dataclasses import dataclass, field
from typing import Any

from rag.errors import BusyError
from rag.models.llm import LLM
from rag.records import Prompt, Waiting

_DONE = object()
"""Put on a job's output after its last piece (or its error)."""

READER_GONE: contextvars.ContextVar[threading.Event | None] = contextvars.ContextVar("rag_reader_gone", default=None)
"""The event a route sets when its client goes away (`rag.serve.streaming.event_stream`), seen by the request's
thread wherever it is: the assistant reads the model's pieces itself and shows only checked sentences, so between
two of them (or through a whole quoted answer) nothing of the request's stream could be closed, and a question
whose client had gone kept its place in line and its generation (8 to 19 s of the model's time)."""


class ReaderGone(Exception):
    """The request's client went away: its generation stops (raised inside the request's own thread)."""


@dataclass(eq=False)
class _Job:
    prompt: Prompt
    max_tokens: int
    temperature: float
    output: queue.Queue[Any] = field(default_factory=queue.Queue)
    cancelled: threading.Event = field(default_factory=threading.Event)


class QueuedLLM:
    """An `LLM` whose generations run one at a time (or `workers` at a time) in worker threads, first come first
    served. A reader that stops early (a closed connection) cancels its job: it leaves the line, or, if already
    running, stops after the current piece so the next question starts."""

    def __init__(self, llm: LLM, workers: int = 1, max_waiting: int = 64, poll_seconds: float = 0.25) -> None:
        if workers < 1:
            raise ValueError(f"workers must be at least 1, got {workers}")
        self.llm = llm
        self.workers = workers
        self.max_waiting = max_waiting
        self.poll_seconds = poll_seconds
        self._waiting: collections.deque[_Job] = collections.deque()
        self._running = 0
        self._finished = 0
        self._closed = False
        self._changed = threading.Condition()
        self._threads = [threading.Thread(target=self._work, name=f"rag-generation-{number}", daemon=True)
                         for number in range(workers)]
        for thread in self._threads:
            thread.start()

    # -- the LLM protocol, delegated -------------------------------------------------------------------------------

    @property
    def name(self) -> str:
        return self.llm.name

    @property
    def chat(self) -> bool:
        return self.llm.chat

    @property
    def context_size(self) -> int:
        return self.llm.context_size

    def count_tokens(self, text: str) -> int:
        return self.llm.count_tokens(text)

    def stream(self, prompt: Prompt, max_tokens: int = 160, temperature: float = 0.0) -> Generator[str, None, None]:
        """Wait in line, silently, then yield the model's text (the `LLM` interface)."""
        with contextlib.closing(self.stream_in_line(prompt, max_tokens, temperature)) as pieces:
            for piece in pieces:
                if isinstance(piece, str):
                    yield piece

    def stream_in_line(self, prompt: Prompt, max_tokens: int = 160,
                       temperature: float = 0.0) -> Generator[Waiting | str, None, None]:
        """Wait in line (yielding `Waiting(ahead)` whenever the number ahead changes), then yield the model's text.
        Nobody ahead: no `Waiting`, the text comes at once."""
        job = self._submit(prompt, max_tokens, temperature)
        try:
            shown: int | None = None
            started = False
            while True:
                if not started:
                    ahead = self._ahead_of(job)
                    started = ahead is None
                    if ahead is not None and ahead != shown and (ahead > 0 or shown is not None):
                        shown = ahead
                        yield Waiting(ahead)
                gone = READER_GONE.get()
                if gone is not None and gone.is_set():
                    raise ReaderGone("the client went away")
                try:
                    item = job.output.get(timeout=self.poll_seconds)
                except queue.Empty:
                    continue
                if item is _DONE:
                    return
                if isinstance(item, BaseException):
                    raise item
                yield item
        finally:
            self._cancel(job)

    def status(self) -> dict[str, int]:
        """How many questions wait for the model, how many it is answering, and how many it has answered."""
        with self._changed:
            return {"waiting": len(self._waiting), "running": self._running, "workers": self.workers,
                    "answered": self._finished}

    def close(self) -> None:
        """Stop the workers once the running jobs end; waiting jobs fail with BusyError."""
        with self._changed:
            self._closed = True
            abandoned = list(self._waiting)
            self._waiting.clear()
            self._changed.notify_all()
        for job in abandoned:
            job.output.put(BusyError("the server is shutting down: ask again once it is back"))
            job.output.put(_DONE)

    # -- internals -------------------------------------------------------------------------------------------------

    def _submit(self, prompt: Prompt, max_tokens: int, temperature: float) -> _Job:
        job = _Job(prompt, max_tokens, temperature)
        with self._changed:
            if self._closed:
                raise BusyError("the server is shutting down: ask again once it is back")
            if len(self._waiting) >= self.max_waiting:
                raise BusyError(f"too many questions are waiting for the model ({len(self._waiting)}): "
                                "try again in a minute")
            self._waiting.append(job)
            self._changed.notify()
        return job

    def _ahead_of(self, job: _Job) -> int | None:
        """Questions before `job` (waiting before it, plus those being answered), or None once it has started."""
        with self._changed:
            for position, waiting in enumerate(self._waiting):
                if waiting is job:
                    return position + self._running
            return None

    def _cancel(self, job: _Job) -> None:
        job.cancelled.set()
        with self._changed, contextlib.suppress(ValueError):
            self._waiting.remove(job)

    def _work(self) -> None:
        while True:
            with self._changed:
                while not self._waiting and not self._closed:
                    self._changed.wait()
                if self._closed and not self._waiting:
                    return
                job = self._waiting.popleft()
                self._running += 1
            try:
                self._generate(job)
            finally:
                with self._changed:
                    self._running -= 1
                    self._finished += 1

    def _generate(self, job: _Job) -> None:
        if job.cancelled.is_set():
            return
        pieces: Iterator[str] = iter(())
        try:
            # Inside the try: a model that fails to load fails here, and the reader must hear of it.
            pieces = self.llm.stream(job.prompt, job.max_tokens, job.temperature)
            for piece in pieces:
                if job.cancelled.is_set():
                    break
                job.output.put(piece)
        except BaseException as error:  # handed to the reader, whose thread raises it
            job.output.put(error)
        finally:
            close = getattr(pieces, "close", None)
            if callable(close):
                close()  # a generator stopped early releases the model (LlamaCppLLM's lock) now, not at GC
            job.output.put(_DONE)
