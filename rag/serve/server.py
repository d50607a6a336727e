"""The HTTP server: a JSON API, an OpenAI-compatible endpoint and the Gradio chat, on one port.

    rag serve --index index/        # http://127.0.0.1:7860: the chat at /, the API under /api and /v1, docs at /docs

Routes (`create_app`):

- `GET /api/health`: status, index generation and counts, model, and the generation queue;
- `POST /api/search` `{"question", "k", "filters"}` -> `{"question", "results": [...]}`;
- `POST /api/ask` `{"question", "history": [[q, a], ...], "k", "filters", "stream"}` -> `Answer.to_dict()`, or with
  `"stream": true` server-sent events: `queue` (`{"ahead": n}` while waiting), `text` (`{"text": piece}`), then
  one `answer` (the checked answer and its citations) or one `error`;
- `POST /v1/chat/completions` (OpenAI-compatible, streaming or not) and `GET /v1/models`: the last user message is
  the question, earlier user/assistant pairs the history; `citations` and `refused` ride along as extra fields
  (and in the final stream chunk);
- `POST /api/index`: multipart upload of article files, added through the incremental indexer.

Every failure is JSON in OpenAI's shape, `{"error": {"message", "type"}}`, so the `openai` client shows the
message: request validation 422 (400 for a body that is not JSON), `InvalidRequestError` 400, a busy index 409,
a body too large 413, a missing or wrong token 401, models or index unavailable 503. An unexpected exception is
logged with its traceback and answered 500 without details.

Generation goes through `rag.serve.queue.QueuedLLM` (one worker for a local model); retrieval runs in the request's
thread, concurrently. `serve(settings)` sets the thread budgets (see `set_thread_budgets`), refuses a non-loopback
address without a token, and runs uvicorn.
"""

from __future__ import annotations

import contextlib
import hmac
import ipaddress
import itertools
import json
import logging
import threading
import time
import uuid
from collections.abc import Callable, Iterator, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any, Protocol, cast
from urllib.parse import urlsplit

from fastapi import APIRouter, Depends, FastAPI, File, Request, UploadFile
from fastapi.concurrency import run_in_threadpool
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse, StreamingResponse
from pydantic import BaseModel, ConfigDict, Field
from starlette.exceptions import HTTPException as StarletteHTTPException
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from rag.answer.prompts import Prompt
from rag.errors import (
    IndexFormatError,
    IndexLockedError,
    IndexNotFoundError,
    InvalidRequestError,
    ModelError,
    RagError,
    SourceError,
)
from rag.records import Answer, Filters, Hit
from rag.serve.queue import BusyError, QueuedLLM, Waiting
from rag.settings import Settings

if TYPE_CHECKING:
    from rag.models.llm import LLM

log = logging.getLogger(__name__)

MAX_K = 50
MAX_JSON_BYTES = 1 << 20
"""Largest JSON request body: a question is at most a few thousand characters, history a few turns."""
MAX_UPLOAD_BYTES = 50 << 20
"""Largest upload to /api/index (and through the UI), all files together."""
MAX_UPLOAD_FILES = 200
MODEL_ID = "rag"
"""The model name /v1/models lists; requests may name any model, it is echoed back."""

ProgressCallback = Callable[[str, int, int], None]
"""(stage, done, total), as `rag.ingest.indexer.add_files` reports it: stage "reading" counts files, "embedding"
articles."""


class AddArticles(Protocol):
    """Adds uploaded `(file name, content)` pairs to the index and returns the report as a dict."""

    def __call__(self, files: Sequence[tuple[str, bytes]],
                 on_progress: ProgressCallback | None = None) -> dict[str, Any]: ...


class ServedAssistant(Protocol):
    """What the server needs from `rag.answer.assistant.Assistant` (duck-typed so tests can pass a fake)."""

    @property
    def settings(self) -> Any: ...

    def search(self, question: str, k: int | None = None, filters: Filters | None = None) -> list[Hit]: ...

    def stream(self, question: str, history: Sequence[tuple[str, str]] = (), k: int | None = None,
               filters: Filters | None = None) -> Iterator[str | Answer]: ...

    def stats(self) -> dict[str, Any]: ...


# -- pure helpers --------------------------------------------------------------------------------------------------


def conversation(messages: Sequence[dict[str, Any]]) -> tuple[str, list[tuple[str, str]]]:
    """The question and the history of an OpenAI `messages` list: the last message must be the user's; each
    earlier user message answered by the assistant is one history turn. System messages are ignored: the
    assistant's own rules (answer only from the passages, cite them) are not the client's to replace.

    >>> conversation([{"role": "system", "content": "Be brief."}, {"role": "user", "content": "When?"},
    ...               {"role": "assistant", "content": "In May [1]."}, {"role": "user", "content": "Cost?"}])
    ('Cost?', [('When?', 'In May [1].')])
    """
    turns = [(str(message.get("role", "")), message_text(message.get("content"))) for message in messages
             if message.get("role") in ("user", "assistant")]
    if not turns or turns[-1][0] != "user":
        raise InvalidRequestError("the last message must be the user's question (role 'user')")
    history: list[tuple[str, str]] = []
    for (role, text), (next_role, next_text) in itertools.pairwise(turns[:-1]):
        if role == "user" and next_role == "assistant":
            history.append((text, next_text))
    return turns[-1][1], history


def message_text(content: Any) -> str:
    """The text of an OpenAI message `content`: a string, or a list of parts of which the text ones count.

    >>> message_text([{"type": "text", "text": "When did"}, {"type": "image_url"}, {"type": "text", "text": "it?"}])
    'When did it?'
    """
    if content is None:
        return ""
    if isinstance(content, str):
        return content
    if isinstance(content, list):
        return " ".join(str(part.get("text", "")) for part in content
                        if isinstance(part, dict) and part.get("type") == "text")
    raise InvalidRequestError(f"message content must be text or a list of parts, got {type(content).__name__}")


def is_loopback(host: str) -> bool:
    """Whether `host` is reachable from this machine only.

    >>> is_loopback("127.0.0.1"), is_loopback("::1"), is_loopback("localhost"), is_loopback("0.0.0.0")
    (True, True, True, False)
    """
    if host.strip().lower() == "localhost":
        return True
    try:
        return ipaddress.ip_address(host.strip().strip("[]")).is_loopback
    except ValueError:
        return False


def token_login(token: str) -> Callable[[str, str], bool]:
    """The chat's login check: any user name, the token as password (compared in constant time)."""

    def check(username: str, password: str) -> bool:
        return hmac.compare_digest(str(password).encode("utf-8"), token.encode("utf-8"))

    return check


def check_exposure(host: str, token: str) -> None:
    """Refuse to serve on a non-loopback address without a token: the articles and the model are private."""
    if not is_loopback(host) and not token:
        raise InvalidRequestError(
            f"refusing to serve on {host} without a token: set --token or RAG_TOKEN (the API then requires "
            "`Authorization: Bearer TOKEN` and the chat a login), or serve on 127.0.0.1"
        )


# -- errors --------------------------------------------------------------------------------------------------------


class ApiError(Exception):
    """An HTTP error with a message for the client."""

    def __init__(self, status: int, message: str, kind: str = "invalid_request_error",
                 headers: dict[str, str] | None = None) -> None:
        super().__init__(message)
        self.status = status
        self.message = message
        self.kind = kind
        self.headers = headers or {}


_STATUS: tuple[tuple[type[RagError], int, str], ...] = (
    (InvalidRequestError, 400, "invalid_request_error"),
    (SourceError, 400, "invalid_request_error"),
    (IndexLockedError, 409, "conflict"),
    (BusyError, 503, "server_busy"),
    (IndexNotFoundError, 503, "unavailable"),
    (IndexFormatError, 503, "unavailable"),
    (ModelError, 503, "unavailable"),
)


def api_error(error: BaseException) -> ApiError:
    """The HTTP error for an exception: RagErrors by kind, anything else a logged 500 without details."""
    if isinstance(error, ApiError):
        return error
    if isinstance(error, RagError):
        for kind, status, name in _STATUS:
            if isinstance(error, kind):
                headers = {"Retry-After": "10"} if status == 503 else None
                return ApiError(status, str(error) or kind.__name__, name, headers)
        return ApiError(400, str(error) or type(error).__name__)
    log.error("request failed", exc_info=error)
    return ApiError(500, f"internal error ({type(error).__name__}); the server log has the details", "internal_error")


def error_body(message: str, kind: str) -> dict[str, Any]:
    return {"error": {"message": message, "type": kind}}


def _error_response(error: ApiError) -> JSONResponse:
    return JSONResponse(error_body(error.message, error.kind), status_code=error.status, headers=error.headers)


def _validation_message(error: RequestValidationError) -> tuple[int, str]:
    problems = []
    status = 422
    for problem in error.errors():
        if problem.get("type") == "json_invalid":
            status = 400
            return status, f"the request body is not valid JSON: {problem.get('ctx', {}).get('error', '')}".strip()
        where = ".".join(str(part) for part in problem.get("loc", ()) if part != "body") or "body"
        problems.append(f"{where}: {problem.get('msg', 'invalid')}")
    return status, "; ".join(problems) or "invalid request"


async def _in_thread(function: Callable[..., Any], *args: Any, **kwargs: Any) -> Any:
    try:
        return await run_in_threadpool(function, *args, **kwargs)
    except Exception as error:
        raise api_error(error) from None


# -- request bodies ------------------------------------------------------------------------------------------------


class FiltersBody(BaseModel):
    """Restrict retrieval to some sources (exact, or a path prefix) and/or publication dates (inclusive)."""

    model_config = ConfigDict(extra="forbid", strict=True)
    sources: list[str] = Field(default_factory=list, max_length=100)
    since: str = Field("", max_length=10, examples=["2026-01-01"])
    until: str = Field("", max_length=10, examples=["2026-12-31"])

    def to_filters(self) -> Filters | None:
        return Filters.parse(self.sources, self.since, self.until)


class SearchBody(BaseModel):
    model_config = ConfigDict(extra="forbid", strict=True)
    question: str = Field(..., examples=["When did the Maplewood footbridge reopen?"])
    k: int | None = Field(None, ge=1, le=MAX_K, description="passages to retrieve (default: the server's setting)")
    filters: FiltersBody | None = None


class AskBody(SearchBody):
    history: list[list[str]] = Field(default_factory=list, max_length=50,
                                     description="earlier turns, oldest first, each [question, answer]")
    stream: bool = Field(False, description="server-sent events: queue, text, then answer (or error)")

    def turns(self) -> list[tuple[str, str]]:
        for number, turn in enumerate(self.history):
            if len(turn) != 2:
                raise InvalidRequestError(f"history[{number}] must be [question, answer], got {len(turn)} items")
        return [(turn[0], turn[1]) for turn in self.history]


class ChatMessageBody(BaseModel):
    model_config = ConfigDict(extra="allow")
    role: str
    content: str | list[dict[str, Any]] | None = None


class ChatCompletionBody(BaseModel):
    """OpenAI's chat completion request. Sampling fields (temperature, top_p, n, ...) are accepted and ignored:
    answers follow the server's settings. `k` and `filters` are this server's extensions."""

    model_config = ConfigDict(extra="allow")
    model: str = MODEL_ID
    messages: list[ChatMessageBody] = Field(..., min_length=1, max_length=200)
    stream: bool = False
    k: int | None = Field(None, ge=1, le=MAX_K)
    filters: FiltersBody | None = None


# -- body size limit -----------------------------------------------------------------------------------------------


class BodyLimit:
    """ASGI middleware: refuse request bodies over a per-path limit with 413, before they are read into memory,
    whether the client declares a Content-Length or streams a chunked body."""

    def __init__(self, app: ASGIApp, limit_for: Callable[[str], int | None]) -> None:
        self.app = app
        self.limit_for = limit_for

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        limit = self.limit_for(scope.get("path", "")) if scope["type"] == "http" else None
        if limit is None:
            await self.app(scope, receive, send)
            return
        declared = dict(scope.get("headers") or []).get(b"content-length")
        if declared is not None and declared.isdigit() and int(declared) > limit:
            await self._refuse(limit, send)
            return
        received = 0
        refused = started = False

        async def counting_receive() -> Message:
            nonlocal received, refused
            if refused:
                return {"type": "http.disconnect"}
            message = await receive()
            if message["type"] == "http.request":
                received += len(message.get("body", b""))
                if received > limit:
                    # Answer now and tell the app the client went away: it stops reading, and whatever it
                    # then tries to answer is dropped below. (An exception here would become FastAPI's 400.)
                    refused = True
                    if not started:
                        await self._refuse(limit, send)
                    return {"type": "http.disconnect"}
            return message

        async def guarded_send(message: Message) -> None:
            nonlocal started
            if not refused:
                started = started or message["type"] == "http.response.start"
                await send(message)

        await self.app(scope, counting_receive, guarded_send)

    @staticmethod
    async def _refuse(limit: int, send: Send) -> None:
        await _send_error(send, 413, f"the request body is larger than the limit of {limit:,} bytes",
                          "request_too_large")


class RequestGuard:
    """ASGI middleware against two ways a web page in the user's own browser could reach a private server:

    - DNS rebinding: a site whose name resolves to 127.0.0.1 makes the browser talk to this server as if it were
      that site. With `hosts` set (serving on loopback), a request naming any other Host is refused (421).
    - Cross-site requests: a page may POST a form (say, an upload to /api/index) to any address. Requests to the
      API that carry an `Origin` other than this server's are refused (403). Programs (curl, `openai`) send no
      Origin; the docs page is same-origin.
    """

    def __init__(self, app: ASGIApp, hosts: Sequence[str] | None = None) -> None:
        self.app = app
        self.hosts = {host.lower() for host in hosts} if hosts else None

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] in ("http", "websocket"):
            headers = dict(scope.get("headers") or [])
            host = headers.get(b"host", b"").decode("latin-1").lower()
            if self.hosts is not None and _host_name(host) not in self.hosts:
                await _send_error(send, 421, f"this server answers to {', '.join(sorted(self.hosts))} only",
                                  "misdirected_request")
                return
            origin = headers.get(b"origin", b"").decode("latin-1").lower()
            path = scope.get("path", "")
            if origin and path.startswith(("/api/", "/v1/")) and urlsplit(origin).netloc != host:
                await _send_error(send, 403, "cross-origin requests to the API are refused", "forbidden")
                return
        await self.app(scope, receive, send)


def _host_name(host: str) -> str:
    """The name part of a Host header.

    >>> _host_name("127.0.0.1:7860"), _host_name("[::1]:7860"), _host_name("localhost")
    ('127.0.0.1', '::1', 'localhost')
    """
    if host.startswith("["):
        return host[1:host.find("]")] if "]" in host else host
    return host.rsplit(":", 1)[0] if host.count(":") == 1 else host


async def _send_error(send: Send, status: int, message: str, kind: str) -> None:
    body = json.dumps(error_body(message, kind)).encode()
    await send({"type": "http.response.start", "status": status,
                "headers": [(b"content-type", b"application/json"), (b"content-length", str(len(body)).encode())]})
    await send({"type": "http.response.body", "body": body})


LOOPBACK_NAMES = ("127.0.0.1", "localhost", "::1")


def loopback_hosts(host: str) -> tuple[str, ...] | None:
    """The Host names a server bound to `host` answers: the loopback names when it is loopback, else any.

    >>> loopback_hosts("127.0.0.2"), loopback_hosts("0.0.0.0")
    (('127.0.0.1', 'localhost', '::1', '127.0.0.2'), None)
    """
    if not is_loopback(host):
        return None
    bare = host.strip().strip("[]").lower()
    return LOOPBACK_NAMES if bare in LOOPBACK_NAMES else (*LOOPBACK_NAMES, bare)


# -- the app -------------------------------------------------------------------------------------------------------


def article_adder(assistant: Any) -> AddArticles | None:
    """Add uploaded files to the index the assistant serves (`rag.ingest.indexer.add_files`: stored under the index's
    uploads folder, whatever their names say, then indexed incrementally with the index's own chunk settings).

    None when the assistant has no on-disk index (then uploads are refused)."""
    retriever = getattr(assistant, "retriever", None)
    index = getattr(retriever, "index", None)
    folder = getattr(index, "folder", None)
    if retriever is None or folder is None:
        return None

    def add(files: Sequence[tuple[str, bytes]], on_progress: ProgressCallback | None = None) -> dict[str, Any]:
        from rag.ingest.indexer import add_files

        report = add_files(files, Path(folder), retriever.embedder, on_progress=on_progress)
        retriever.refresh()  # the next question sees the new generation anyway; this makes stats current now
        data: dict[str, Any] = report.to_dict()
        return data

    return add


def model_info(assistant: Any, queued: QueuedLLM | None = None) -> dict[str, Any]:
    """What the UI and /api/health say about the models and answer settings (never the tokens)."""
    settings = assistant.settings
    describe = getattr(settings, "describe", None)
    values: dict[str, Any] = describe() if callable(describe) else {}
    shown = ("llm", "llm_url", "llm_model", "llm_format", "embedder", "k", "min_score", "context_size",
             "max_answer_tokens", "temperature", "threads", "embed_threads")
    info: dict[str, Any] = {name: values[name] for name in shown if name in values}
    loaded = getattr(assistant, "_llm", None)  # only report a model that is loaded: reading it must not load it
    if loaded is not None:
        info["llm_loaded"] = getattr(loaded, "name", "")
    if queued is not None:
        info["queue"] = queued.status()
    return info


def create_app(assistant: ServedAssistant, *, token: str = "", queued: QueuedLLM | None = None,
               add_articles: AddArticles | None = None, ui: bool = True, max_json_bytes: int = MAX_JSON_BYTES,
               max_upload_bytes: int = MAX_UPLOAD_BYTES, hosts: Sequence[str] | None = None) -> FastAPI:
    """The FastAPI app serving `assistant`: the API, its docs at /docs, and (with `ui`) the Gradio chat at /.

    A non-empty `token` is required as `Authorization: Bearer TOKEN` on every /api and /v1 route, and as the
    password of the chat's login page (any user name). `hosts`, when given, are the only Host names answered
    (`serve` passes the loopback names when serving on loopback; see `RequestGuard`).
    """
    from fastapi_offline import FastAPIOffline

    app = FastAPIOffline(
        title="Article assistant API",
        description="Answers questions about the indexed articles and cites the passages it used. "
                    "Errors are `{\"error\": {\"message\", \"type\"}}`.",
        version="1",
        redoc_url=None,
    )

    def authorise(request: Request) -> None:
        if not token:
            return
        scheme, _, given = request.headers.get("authorization", "").partition(" ")
        if scheme.lower() != "bearer" or not hmac.compare_digest(given.strip().encode(), token.encode()):
            raise ApiError(401, "missing or wrong API token: send `Authorization: Bearer TOKEN`",
                           "authentication_error", {"WWW-Authenticate": "Bearer"})

    @app.exception_handler(ApiError)
    async def on_api_error(request: Request, error: ApiError) -> JSONResponse:
        return _error_response(error)

    @app.exception_handler(RagError)
    async def on_rag_error(request: Request, error: RagError) -> JSONResponse:
        return _error_response(api_error(error))

    @app.exception_handler(RequestValidationError)
    async def on_invalid(request: Request, error: RequestValidationError) -> JSONResponse:
        status, message = _validation_message(error)
        return JSONResponse(error_body(message, "invalid_request_error"), status_code=status)

    @app.exception_handler(StarletteHTTPException)
    async def on_http(request: Request, error: StarletteHTTPException) -> JSONResponse:
        return JSONResponse(error_body(str(error.detail), "invalid_request_error"), status_code=error.status_code,
                            headers=getattr(error, "headers", None))

    api = APIRouter(dependencies=[Depends(authorise)])
    adder = add_articles

    @api.get("/api/health", tags=["api"])
    async def health() -> dict[str, Any]:
        """Liveness and what is being served: index generation and counts, models, the generation queue."""
        stats = await _in_thread(assistant.stats)
        keep = ("articles", "passages", "generation", "embedder", "llm", "index", "format_version")
        return {"status": "ok", **{name: stats[name] for name in keep if name in stats},
                "model": model_info(assistant, queued)}

    @api.post("/api/search", tags=["api"])
    async def search(body: SearchBody) -> dict[str, Any]:
        """The passages most relevant to the question, best first, without asking the model."""
        filters = body.filters.to_filters() if body.filters else None
        hits = await _in_thread(assistant.search, body.question, body.k, filters)
        return {"question": body.question, "results": [hit.to_dict() for hit in hits]}

    @api.post("/api/ask", tags=["api"], response_model=None)
    async def ask(body: AskBody) -> dict[str, Any] | StreamingResponse:
        """Answer from the articles with checked citations; `"stream": true` for server-sent events."""
        filters = body.filters.to_filters() if body.filters else None
        pieces = assistant.stream(body.question, body.turns(), body.k, filters)
        first = await _in_thread(_first, pieces)  # validation and retrieval errors become plain JSON errors
        if not body.stream:
            answer = await _in_thread(_final, first, pieces)
            result: dict[str, Any] = answer.to_dict()
            return result
        return _event_stream(_ask_events(first, pieces))

    @api.get("/v1/models", tags=["openai"])
    async def models() -> dict[str, Any]:
        """The one model this server offers (any name is accepted in requests and echoed back)."""
        return {"object": "list", "data": [{"id": MODEL_ID, "object": "model", "created": 0, "owned_by": "rag"}]}

    @api.post("/v1/chat/completions", tags=["openai"], response_model=None)
    async def chat_completions(body: ChatCompletionBody) -> dict[str, Any] | StreamingResponse:
        """OpenAI-compatible: the last user message is the question, earlier user/assistant pairs the history.
        The reply carries `citations` and `refused` as extra fields (in the final chunk when streaming)."""
        question, history = conversation([message.model_dump() for message in body.messages])
        filters = body.filters.to_filters() if body.filters else None
        pieces = assistant.stream(question, history, body.k, filters)
        first = await _in_thread(_first, pieces)
        completion_id = f"chatcmpl-{uuid.uuid4().hex}"
        created = int(time.time())
        model = body.model or MODEL_ID
        if not body.stream:
            answer = await _in_thread(_final, first, pieces)
            return {
                "id": completion_id, "object": "chat.completion", "created": created, "model": model,
                "choices": [{"index": 0, "message": {"role": "assistant", "content": answer.text},
                             "finish_reason": "stop", "logprobs": None}],
                "usage": {"prompt_tokens": 0, "completion_tokens": 0, "total_tokens": 0},
                **_answer_extras(answer),
            }
        return _event_stream(_openai_events(first, pieces, completion_id, created, model))

    @api.post("/api/index", tags=["api"])
    async def index_articles(files: list[UploadFile] = File(..., description="article files (.txt .md .html "  # noqa: B008
                                                                              ".json .jsonl .pdf)")) -> dict[str, Any]:
        """Add or update articles from uploaded files through the incremental indexer; returns its report."""
        if adder is None:
            raise ApiError(503, "this server cannot add articles: it serves no on-disk index", "unavailable")
        if len(files) > MAX_UPLOAD_FILES:
            raise ApiError(400, f"{len(files)} files in one upload; the limit is {MAX_UPLOAD_FILES}")
        uploads = []
        for number, upload in enumerate(files, start=1):
            uploads.append((upload.filename or f"upload-{number}", await upload.read()))
        report: dict[str, Any] = await _in_thread(adder, uploads)
        return report

    app.include_router(api)

    def limit_for(path: str) -> int | None:
        if path == "/api/index":
            return max_upload_bytes
        if path.startswith(("/api/", "/v1/")):
            return max_json_bytes
        return None

    app.add_middleware(BodyLimit, limit_for=limit_for)
    app.add_middleware(RequestGuard, hosts=hosts)

    if ui:
        import gradio as gr

        from ui.app import build_app

        blocks = build_app(assistant, add_articles=adder, info=lambda: model_info(assistant, queued))
        gr.mount_gradio_app(app, blocks, path="/", auth=token_login(token) if token else None, ssr_mode=False,
                            mcp_server=False,
                            enable_monitoring=False, show_error=False, run_history=False,
                            max_file_size=max_upload_bytes, footer_links=["api", "settings"])
    return app


# -- streaming -----------------------------------------------------------------------------------------------------


_END = object()


def _first(pieces: Iterator[str | Answer]) -> Any:
    return next(pieces, _END)


def _final(first: Any, pieces: Iterator[str | Answer]) -> Answer:
    if isinstance(first, Answer):
        return first
    for item in pieces:
        if isinstance(item, Answer):
            return item
    raise RuntimeError("the assistant's stream ended without an answer")


def _sse(event: str, data: Any) -> str:
    return f"event: {event}\ndata: {json.dumps(data, ensure_ascii=False)}\n\n"


def _chain(first: Any, pieces: Iterator[str | Answer]) -> Iterator[str | Answer]:
    if first is not _END:
        yield first
    yield from pieces


def _ask_events(first: Any, pieces: Iterator[str | Answer]) -> Iterator[str]:
    try:
        for item in _chain(first, pieces):
            if isinstance(item, Answer):
                yield _sse("answer", item.to_dict())
                return
            if isinstance(item, Waiting):
                yield _sse("queue", {"ahead": item.ahead})
            elif item:
                yield _sse("text", {"text": item})
        raise RuntimeError("the assistant's stream ended without an answer")
    except Exception as error:  # the status line is sent: the error becomes the last event
        problem = api_error(error)
        yield _sse("error", error_body(problem.message, problem.kind))
    finally:
        _close(pieces)


def _answer_extras(answer: Answer) -> dict[str, Any]:
    """The fields an OpenAI reply carries beyond the API: the checked answer, its citations, refused."""
    data = answer.to_dict()
    return {"citations": data["citations"], "refused": data["refused"], "answer": data["answer"],
            "search_query": data["search_query"]}


def _openai_events(first: Any, pieces: Iterator[str | Answer], completion_id: str, created: int,
                   model: str) -> Iterator[str]:
    def chunk(delta: dict[str, Any], finish: str | None = None, **extra: Any) -> str:
        payload = {"id": completion_id, "object": "chat.completion.chunk", "created": created, "model": model,
                   "choices": [{"index": 0, "delta": delta, "finish_reason": finish, "logprobs": None}], **extra}
        return f"data: {json.dumps(payload, ensure_ascii=False)}\n\n"

    try:
        yield chunk({"role": "assistant", "content": ""})
        for item in _chain(first, pieces):
            if isinstance(item, Answer):
                yield chunk({}, "stop", **_answer_extras(item))
                yield "data: [DONE]\n\n"
                return
            if isinstance(item, Waiting):
                yield f": waiting for the model, {item.ahead} ahead\n\n"  # an SSE comment: clients skip it
            elif item:
                yield chunk({"content": item})
        raise RuntimeError("the assistant's stream ended without an answer")
    except Exception as error:
        problem = api_error(error)
        yield f"data: {json.dumps(error_body(problem.message, problem.kind))}\n\n"
    finally:
        _close(pieces)


def _close(pieces: Iterator[Any]) -> None:
    close = getattr(pieces, "close", None)
    if callable(close):
        with contextlib.suppress(ValueError):  # still running in another thread: it is closed when collected
            close()


def _event_stream(events: Iterator[str]) -> StreamingResponse:
    return StreamingResponse(events, media_type="text/event-stream",
                             headers={"Cache-Control": "no-cache", "X-Accel-Buffering": "no"})


# -- serving -------------------------------------------------------------------------------------------------------


def set_thread_budgets(settings: Settings) -> dict[str, int]:
    """Fix the CPU threads of each library while serving, so that retrieval and generation share the cores
    instead of fighting over them.

    - Query embedding (torch) uses `embed_threads` (1): one short query gains nothing from more threads, and with
      several, OpenMP workers spin-wait and a query that takes 15 ms alone takes 30 times longer while the model
      is generating on the other core.
    - FAISS searches with 1 thread: a flat search over thousands of passages takes well under a millisecond, and
      its OpenMP pool would spin against llama.cpp in the same way.
    - llama.cpp uses `threads` (0 = all cores): generation is the long, compute-bound step, run by one worker.
    """
    import os

    with contextlib.suppress(ImportError):
        import faiss

        faiss.omp_set_num_threads(1)
    cores = os.cpu_count() or 1
    return {"embedding": settings.embed_threads or cores, "faiss": 1, "llm": settings.threads or cores}


def load_served_assistant(settings: Settings) -> tuple[Any, QueuedLLM]:
    """The assistant `rag serve` shares between users: its model runs behind a `QueuedLLM`.

    Returns the assistant and the queue (for its status). The model is loaded on first use; `serve` warms it up.
    """
    from rag.answer.assistant import Assistant

    base = Assistant.load(settings=settings)
    workers = settings.llm_workers or (4 if settings.llm_url else 1)
    queued = QueuedLLM(_LazyLLM(lambda: base.llm), workers=workers)
    return Assistant(base.retriever, lambda: cast("LLM", queued), base.settings), queued


class _LazyLLM:
    """An LLM loaded on first use (so the server starts before the model is read from disk)."""

    def __init__(self, factory: Callable[[], Any]) -> None:
        self._factory = factory
        self._model: Any = None
        self._lock = threading.Lock()

    @property
    def model(self) -> Any:
        if self._model is None:
            with self._lock:
                if self._model is None:
                    self._model = self._factory()
        return self._model

    name = property(lambda self: self.model.name)
    chat = property(lambda self: self.model.chat)
    context_size = property(lambda self: self.model.context_size)

    def count_tokens(self, text: str) -> int:
        return int(self.model.count_tokens(text))

    def stream(self, prompt: Any, max_tokens: int = 160, temperature: float = 0.0) -> Iterator[str]:
        return self.model.stream(prompt, max_tokens, temperature)  # type: ignore[no-any-return]

    def describe(self) -> dict[str, Any]:
        describe = getattr(self.model, "describe", None)
        return describe() if callable(describe) else {"name": self.name}


def serve(settings: Settings, *, announce: Callable[[str], None] | None = None) -> None:
    """Serve the chat and the API on settings.host:settings.port until interrupted.

    The model is loaded and asked for one token before the server opens: a model that cannot load, or that
    crashes on its first token (llama-cpp-python built for another CPU), is a `ModelError` here, with what to
    do, rather than a chat whose every answer fails."""
    import uvicorn

    check_exposure(settings.host, settings.token)
    budgets = set_thread_budgets(settings)
    assistant, queued = load_served_assistant(settings)
    if announce:
        announce(f"Loading the language model ({settings.llm_url or settings.llm})...")
    check_model(queued, remote=bool(settings.llm_url))
    hosts = loopback_hosts(settings.host)
    app = create_app(assistant, token=settings.token, queued=queued, add_articles=article_adder(assistant),
                     hosts=hosts)
    host = f"[{settings.host}]" if ":" in settings.host else settings.host
    if announce:
        stats = assistant.stats()
        announce(f"Serving {stats.get('passages', 0)} passages on http://{host}:{settings.port} (chat at /, API "
                 f"docs at /docs; threads: {budgets})")
    uvicorn.run(app, host=settings.host, port=settings.port, log_level="warning", timeout_graceful_shutdown=5)


PROBE = Prompt(({"role": "user", "content": "Reply with one word."},), "The", ())
"""What the start-up check asks of the model: one token of anything."""


def check_model(llm: LLM, remote: bool = False) -> None:
    """Load `llm` and have it write one token. A local model that fails raises `ModelError`; a remote server
    that is not up yet is only logged (it may come up later, and every question says so until then)."""
    try:
        for _ in llm.stream(PROBE, max_tokens=1):
            break
    except ModelError as error:
        if not remote:
            raise
        log.warning("the model server is not answering yet: %s", error)


@contextlib.contextmanager
def running(app: Any, host: str = "127.0.0.1", port: int = 0, timeout: float = 60.0) -> Iterator[str]:
    """Run `app` with uvicorn in a background thread (tests, benchmarks); yields its base URL, stops on exit."""
    import socket

    import uvicorn

    if port == 0:
        with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
            probe.bind((host, 0))
            port = int(probe.getsockname()[1])
    server = uvicorn.Server(uvicorn.Config(app, host=host, port=port, log_level="warning", lifespan="on"))
    thread = threading.Thread(target=server.run, name="rag-test-server", daemon=True)
    thread.start()
    deadline = time.monotonic() + timeout
    while not server.started:
        if not thread.is_alive() or time.monotonic() > deadline:
            raise RuntimeError(f"the server on {host}:{port} did not start")
        time.sleep(0.05)
    try:
        yield f"http://{host}:{port}"
    finally:
        server.should_exit = True
        thread.join(timeout=15)

