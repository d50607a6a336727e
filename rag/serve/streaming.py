"""From the assistant's stream of events (`rag.records.StreamEvent`) to an HTTP answer: the whole Answer, or
server-sent events.

`Assistant.stream` validates the question and retrieves before its first event, so a route reads that first event
in a thread (`first_piece`) before it answers: a bad question or a missing index is then a plain JSON error with
its status, not an event in a stream that has already said 200. The rest is either read to the end
(`final_answer`, through `rag.answer.assistant.answer_from`) or sent as server-sent events as it comes (`ask_events`
here for /api/ask, `rag.serve.openai.completion_chunks` for /v1/chat/completions). An error after the first event
becomes the last server-sent event. When its client goes away, the request's question leaves the model's queue or
its generation stops (`rag.serve.queue.READER_GONE`), whatever the request's thread is doing.
"""

from __future__ import annotations

import contextlib
import json
import threading
from collections.abc import AsyncIterator, Iterator
from typing import Any

import anyio
from fastapi.responses import StreamingResponse

from rag.answer.assistant import answer_from
from rag.records import Answer, Drafting, StreamEvent, TextChunk, Waiting, unexpected_event
from rag.serve.errors import api_error, error_body
from rag.serve.queue import READER_GONE

END = object()
"""What `first_piece` returns for a stream that ended before its first event."""

Pieces = Iterator[StreamEvent]


def first_piece(pieces: Pieces) -> Any:
    """The first event of `pieces` (run it in a thread: it validates, embeds and searches), or `END`."""
    return next(pieces, END)


def rest(first: Any, pieces: Pieces) -> Pieces:
    """The whole stream again: `first` (unless `END`), then what is left of `pieces`.

    >>> list(rest(Drafting(), iter([TextChunk("The ferry.")]))), list(rest(END, iter([])))
    ([Drafting(), TextChunk(text='The ferry.')], [])
    """
    if first is not END:
        yield first
    yield from pieces


def final_answer(first: Any, pieces: Pieces) -> Answer:
    """The final Answer of a stream whose first piece was already read."""
    return answer_from(rest(first, pieces))


def sse(event: str, data: Any) -> str:
    """One server-sent event.

    >>> sse("text", {"text": "café"})
    'event: text\\ndata: {"text": "café"}\\n\\n'
    """
    return f"event: {event}\ndata: {json.dumps(data, ensure_ascii=False)}\n\n"


def ask_events(first: Any, pieces: Pieces) -> Iterator[str]:
    """/api/ask's events: `queue` (`{"ahead": n}`) while waiting for the model, `drafting` (`{}`) when it starts
    writing, `text` (`{"text": sentence}`: each sentence once it has passed the checks, never the raw draft), then
    one `answer` (`Answer.to_dict()`) or one `error` (the error JSON)."""
    try:
        for event in rest(first, pieces):
            match event:
                case Waiting(ahead=ahead):
                    yield sse("queue", {"ahead": ahead})
                case Drafting():
                    yield sse("drafting", {})
                case TextChunk(text=text):
                    yield sse("text", {"text": text})
                case Answer():
                    yield sse("answer", event.to_dict())
                    return
                case _:
                    unexpected_event(event)
        raise RuntimeError("the assistant's stream ended without an answer")
    except Exception as error:  # the status line is sent: the error becomes the last event
        problem = api_error(error)
        yield sse("error", error_body(problem.message, problem.kind))
    finally:
        close(pieces)


def close(pieces: Iterator[Any]) -> None:
    """Close a stream (a generator stopped early releases its place in the model's queue now)."""
    closer = getattr(pieces, "close", None)
    if callable(closer):
        with contextlib.suppress(ValueError):  # still running in another thread: it is closed when collected
            closer()


def watch_reader() -> threading.Event:
    """The event that says this request's client went away, made visible to the request's threads (`READER_GONE`):
    a route calls it before it starts the assistant's stream, and hands it to `event_stream`."""
    gone = threading.Event()
    READER_GONE.set(gone)
    return gone


def event_stream(events: Iterator[str], gone: threading.Event | None = None) -> StreamingResponse:
    """The HTTP response sending `events` as they come (no caching, no proxy buffering). Each event is read in a
    thread that a disconnection abandons at once (Starlette's own reader waits for the thread, that is for the next
    checked sentence); once the response ends, sent or cut off, `gone` is set, which stops the request's
    generation (`watch_reader`)."""

    async def sent() -> AsyncIterator[str]:
        while True:
            event = await anyio.to_thread.run_sync(next, events, None, abandon_on_cancel=True)
            if event is None:
                return
            yield event

    return _Watched(sent(), events, gone, media_type="text/event-stream",
                    headers={"Cache-Control": "no-cache", "X-Accel-Buffering": "no"})


class _Watched(StreamingResponse):
    """A streamed response that, when it ends, sets `gone` and closes `events`: Starlette leaves a body iterator
    unfinished, never closed, when the client goes away (the question then stayed in line until garbage
    collection, or, its thread busy reading, until the next event)."""

    def __init__(self, content: AsyncIterator[str], events: Iterator[str], gone: threading.Event | None,
                 **options: Any) -> None:
        super().__init__(content, **options)
        self.events = events
        self.gone = gone

    async def __call__(self, scope: Any, receive: Any, send: Any) -> None:
        try:
            await super().__call__(scope, receive, send)
        finally:
            if self.gone is not None:
                self.gone.set()  # a thread still reading the stream stops at the model's queue
            close(self.events)  # a stream nobody is reading releases its place now
