"""The FastAPI app (`create_app`): the routes of the JSON API and the OpenAI-compatible endpoint, their docs at
/docs, and, when given a chat builder, the chat page at /.

Routes:

- `GET /api/health`: status, index generation and counts, model, and the generation queue;
- `POST /api/search` `{"question", "k", "filters"}` -> `{"question", "results": [...]}`;
- `POST /api/ask` `{"question", "history": [[q, a], ...], "k", "filters", "stream"}` -> `Answer.to_dict()`, or with
  `"stream": true` server-sent events: `queue` (`{"ahead": n}` while waiting), `text` (`{"text": piece}`), then
  one `answer` (the checked answer and its citations) or one `error` (`rag.serve.streaming`);
- `POST /v1/chat/completions` (OpenAI-compatible, streaming or not) and `GET /v1/models` (`rag.serve.openai`);
- `POST /api/index`: multipart upload of article files, added through the incremental indexer;
- `GET /api/brief?topic=&since=&until=&as_of=&n=` -> `Brief.to_dict()` (`rag.answer.brief`), and the same brief as an
  Atom feed at `GET /feeds/brief.xml` (`rag.serve.feeds`);
- `GET /api/follows` -> the followed questions of the index and their dated answers (`rag.follow`), and their
  changes as an Atom feed at `GET /feeds/follows.xml`.

Errors are JSON (`rag.serve.errors`); tokens, Host names and body sizes are checked by `rag.serve.middleware`.

The chat page is not this package's: `create_app(..., chat=build)` mounts whatever `build(assistant,
add_articles=..., info=...)` returns (a gradio Blocks). `rag serve` builds it with `ui.app.build_app`, named by the
`chat` setting; this package never imports `ui`.
"""

from __future__ import annotations

import datetime
from collections.abc import Callable, Iterator, Mapping, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any, Literal, Protocol

from fastapi import APIRouter, Depends, FastAPI, File, Request, UploadFile
from fastapi import Query as Parameter
from fastapi.responses import JSONResponse, Response, StreamingResponse
from starlette.routing import Match, Mount

from rag.answer.retrieve import TimedHits
from rag.ingest.progress import ProgressCallback
from rag.records import Filters, Hit, Query, StreamEvent
from rag.serve import openai
from rag.serve.bodies import (
    MAX_JSON_BYTES,
    MAX_UPLOAD_BYTES,
    MAX_UPLOAD_FILES,
    AskBody,
    ChatCompletionBody,
    SearchBody,
)
from rag.serve.errors import ERROR_RESPONSES, ApiError, add_error_handlers, error_body, in_thread
from rag.serve.middleware import BodyLimit, RequestGuard, bearer_check, token_login
from rag.serve.queue import QueuedLLM
from rag.serve.streaming import ask_events, event_stream, final_answer, first_piece, watch_reader
from rag.settings import Settings
from rag.store import uploads_place

if TYPE_CHECKING:
    from rag.follow import FollowWorker


class AddArticles(Protocol):
    """Adds uploaded `(file name, content)` pairs to the index and returns the report as a dict."""

    def __call__(self, files: Sequence[tuple[str, bytes]],
                 on_progress: ProgressCallback | None = None) -> dict[str, Any]: ...


class ServedAssistant(Protocol):
    """What the server needs from `rag.answer.assistant.Assistant` (duck-typed so tests can pass a fake)."""

    @property
    def settings(self) -> Any: ...

    def search(self, question: str, k: int | None = None, filters: Filters | None = None,
               as_of: datetime.date | None = None) -> list[Hit]: ...

    def retrieve(self, question: str, k: int | None = None, filters: Filters | None = None,
                 as_of: datetime.date | None = None) -> TimedHits: ...

    def stream(self, question: str | Query, history: Sequence[tuple[str, str]] = (), k: int | None = None,
               filters: Filters | None = None, as_of: datetime.date | None = None) -> Iterator[StreamEvent]: ...

    def stats(self) -> dict[str, Any]: ...


class ChatBuilder(Protocol):
    """Builds the chat page for `assistant` (a gradio Blocks, mounted at /), such as `ui.app.build_app`.

    `add_articles` (None: the index cannot take uploads) backs an upload box; `info` returns what to show about
    the models and settings (`model_info`)."""

    def __call__(self, assistant: ServedAssistant, add_articles: AddArticles | None = None,
                 info: Callable[[], Mapping[str, Any]] | None = None) -> Any: ...


def article_adder(assistant: Any, follows: FollowWorker | None = None) -> AddArticles | None:
    """Add uploaded files to the index the assistant serves (`rag.ingest.uploads.add_files`: stored under the index's
    uploads folder, whatever their names say, then indexed incrementally with the index's own chunk settings, as
    the assistant's settings configure an "upload" run: `rag.ingest.indexer.UpdateOptions.from_settings`).

    The followed questions the new articles may change are only queued (`rag.follow.FollowWorker.queue`: `follows`,
    the server's worker, else one of this adder's own): the reply does not wait for their answers and says how many
    were queued (`followed_queued`).

    None when the assistant has no on-disk index (then uploads are refused). With the index in a database, the
    files are kept under the `index` setting's folder (`<index>/uploads/`) of this server and indexed into the
    database."""
    retriever = getattr(assistant, "retriever", None)
    index = getattr(retriever, "index", None)
    folder, store = uploads_place(getattr(index, "location", ""),
                                  getattr(getattr(assistant, "settings", None), "index", None))
    if retriever is None or folder is None:
        return None

    from rag.ingest.indexer import UpdateOptions

    settings = getattr(assistant, "settings", None)
    options = UpdateOptions.from_settings(settings if isinstance(settings, Settings) else Settings(), "upload")
    from rag.follow import FollowWorker

    worker = follows or FollowWorker(store or folder, lambda: assistant)

    def add(files: Sequence[tuple[str, bytes]], on_progress: ProgressCallback | None = None) -> dict[str, Any]:
        from rag.ingest.uploads import add_files

        # Issue 23: a database that is a read-only replica refuses before any file is kept, naming its primary.
        check_writable = getattr(getattr(index, "database", None), "check_writable", None)
        if store and callable(check_writable):
            check_writable()
        report = add_files(files, Path(folder), retriever.embedder, options, on_progress=on_progress, store=store)
        retriever.refresh()  # the next question sees the new generation anyway; this makes stats current now
        data: dict[str, Any] = report.to_dict()
        data["followed_queued"] = worker.queue(report)  # asked in the background (issue 24)
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
    loaded = getattr(assistant, "loaded_llm", None)  # only a model that is loaded: asking must not load it
    if loaded is not None:
        info["llm_loaded"] = getattr(loaded, "name", "")
    if queued is not None:
        info["queue"] = queued.status()
    return info


def add_missing_routes(app: FastAPI) -> None:
    """Answer a path under /api/ or /v1/ that names no route, or a route by another method, with error JSON (404, or
    405 naming the methods it takes): with the chat mounted at "/", they reached Gradio's `{"detail": "Not Found"}`."""
    methods = ["GET", "POST", "PUT", "PATCH", "DELETE"]

    async def no_such_route(request: Request) -> JSONResponse:
        path = request.url.path
        routes = [route for route in app.routes  # the API's own: not a mount (the chat's, at "/", takes anything)
                  if getattr(route, "endpoint", None) is not no_such_route and not isinstance(route, Mount)]
        allowed = [method for method in methods
                   if any(route.matches({**request.scope, "method": method})[0] == Match.FULL for route in routes)]
        if allowed:
            return JSONResponse(error_body(f"{request.method} is not allowed on {path}: use {', '.join(allowed)}",
                                           "invalid_request_error"), status_code=405,
                                headers={"Allow": ", ".join(allowed)})
        return JSONResponse(error_body(f"no route {path}: the routes are listed at /docs", "invalid_request_error"),
                            status_code=404)

    for prefix in ("/api", "/v1"):
        app.add_api_route(prefix + "/{rest:path}", no_such_route, methods=methods, include_in_schema=False)


def create_app(assistant: ServedAssistant, *, token: str = "", queued: QueuedLLM | None = None,
               add_articles: AddArticles | None = None, chat: ChatBuilder | None = None,
               max_json_bytes: int = MAX_JSON_BYTES, max_upload_bytes: int = MAX_UPLOAD_BYTES,
               hosts: Sequence[str] | None = None) -> FastAPI:
    """The FastAPI app serving `assistant`: the API, its docs at /docs, and (given `chat`) the chat page at /.

    A non-empty `token` is required as `Authorization: Bearer TOKEN` on every /api and /v1 route, and as the
    password of the chat's login page (any user name). `hosts`, when given, are the only Host names answered
    (`serve` passes the loopback names when serving on loopback; see `RequestGuard`). `queued` is the model's
    queue, whose status /api/health reports; `add_articles` enables /api/index (see `article_adder`).
    """
    from fastapi_offline import FastAPIOffline

    app = FastAPIOffline(
        title="Article assistant API",
        description="Answers questions about the indexed articles and cites the passages it used. "
                    "Errors are `{\"error\": {\"message\", \"type\"}}`.",
        version="1",
        redoc_url=None,
    )
    add_error_handlers(app)
    api = APIRouter(dependencies=[Depends(bearer_check(token))], responses=ERROR_RESPONSES)
    adder = add_articles

    @api.get("/api/health", tags=["api"])
    async def health(check: Literal["", "model"] = "") -> dict[str, Any]:
        """Liveness and what is being served: index generation and counts, models, the generation queue. With
        `?check=model`, also whether the model server of `--llm-url` answers: 503 when it does not, so that a load
        balancer routes around a server whose model pool is gone."""
        stats = await in_thread(assistant.stats)
        keep = ("articles", "passages", "generation", "embedder", "llm", "index", "format_version")
        body = {"status": "ok", **{name: stats[name] for name in keep if name in stats},
                "model": model_info(assistant, queued)}
        llm_url = getattr(assistant.settings, "llm_url", None)
        if check == "model" and llm_url:  # a local model is in the process: nothing to reach
            # a model server that does not answer is the API's 503 error, as a question's would be
            await in_thread(getattr(getattr(assistant, "llm", None), "check", lambda: None))
        return body

    @api.post("/api/search", tags=["api"])
    async def search(body: SearchBody) -> dict[str, Any]:
        """The passages most relevant to the question, best first, without asking the model."""
        filters = body.filters.to_filters() if body.filters else None
        found = await in_thread(assistant.retrieve, body.question, body.k, filters, body.reference_date())
        return {"question": body.question, "search_query": found.query,
                "period": found.period.to_dict() if found.period else None,
                "results": [hit.to_dict() for hit in found.hits]}

    @api.post("/api/ask", tags=["api"], response_model=None)
    async def ask(body: AskBody) -> dict[str, Any] | StreamingResponse:
        """Answer from the articles with checked citations; `"stream": true` for server-sent events."""
        filters = body.filters.to_filters() if body.filters else None
        query = Query(body.question, as_of=body.reference_date(), filters=filters)
        gone = watch_reader()
        pieces = assistant.stream(query, body.turns(), body.k)  # a brief, or the answer
        first = await in_thread(first_piece, pieces)  # validation and retrieval errors become plain JSON errors
        if not body.stream:
            answer = await in_thread(final_answer, first, pieces)
            result: dict[str, Any] = answer.to_dict()
            return result
        return event_stream(ask_events(first, pieces), gone)

    @api.get("/v1/models", tags=["openai"])
    async def models() -> dict[str, Any]:
        """The one model this server offers (any name is accepted in requests and echoed back)."""
        return openai.models()

    @api.get("/v1/models/{model:path}", tags=["openai"])
    async def model(model: str) -> dict[str, Any]:
        """The model of that name: this server's one model under any name, as requests accept any
        (`client.models.retrieve("rag")` was a 404)."""
        return {**openai.models()["data"][0], "id": model}

    @api.post("/v1/chat/completions", tags=["openai"], response_model=None)
    async def chat_completions(body: ChatCompletionBody) -> dict[str, Any] | StreamingResponse:
        """OpenAI-compatible: the last user message is the question, earlier user/assistant pairs the history.
        The reply carries `citations` and `refused` as extra fields (in the final chunk when streaming)."""
        return await openai.chat_completion(assistant, body)

    @api.post("/api/index", tags=["api"], response_model=None)
    async def index_articles(files: list[UploadFile] = File(..., description="article files (.txt .md .html "  # noqa: B008
                                                                              ".json .jsonl .pdf .rss .atom ...)")
                             ) -> dict[str, Any] | JSONResponse:
        """Add or update articles from uploaded files through the incremental indexer; returns its report (422 with
        it when nothing of the upload could be indexed)."""
        if adder is None:
            raise ApiError(503, "this server cannot add articles: it serves no on-disk index", "unavailable")
        if len(files) > MAX_UPLOAD_FILES:
            raise ApiError(400, f"{len(files)} files in one upload; the limit is {MAX_UPLOAD_FILES}")
        uploads = []
        for number, upload in enumerate(files, start=1):
            uploads.append((upload.filename or f"upload-{number}", await upload.read()))
        report: dict[str, Any] = await in_thread(adder, uploads)
        if report.get("failed") and not report.get("added") and not report.get("updated"):
            # nothing of the upload was indexed (an empty, binary or broken file): a client error, its report kept
            reasons = "; ".join(failure["reason"] for failure in report["failed"])
            return JSONResponse({**report, **error_body(f"nothing was indexed: {reasons}", "invalid_request_error")},
                                status_code=422)
        return report

    def served_brief(topic: str, since: str, until: str, as_of: str, count: int) -> Any:
        from rag.answer.brief import brief
        from rag.answer.timeframe import parse_as_of

        retriever = getattr(assistant, "retriever", None)
        if retriever is None:
            raise ApiError(503, "this server cannot brief: it serves no index", "unavailable")
        settings = assistant.settings
        reference = parse_as_of(as_of if as_of.strip() else getattr(settings, "as_of", ""))
        return brief(retriever, since, until, as_of=reference, topic=topic, count=count,
                     min_score=getattr(settings, "min_score", 0.05))

    @api.get("/api/brief", tags=["api"])
    async def brief_json(topic: str = "", since: str = "7d", until: str = "", as_of: str = "",
                         n: int = Parameter(10, ge=1, le=100)) -> dict[str, Any]:
        """The stories of a period (about `topic`), each once however many outlets reported it, most reported
        and newest first, each with its headline, dates, lede (quoted and cited) and outlets. `since` and `until`
        take the phrases questions do (7d, last week, March, 2026-03-01); `as_of` is the date they count from."""
        found = await in_thread(served_brief, topic, since, until, as_of, n)
        result: dict[str, Any] = found.to_dict()
        return result

    @api.get("/feeds/brief.xml", tags=["feeds"], response_class=Response)
    async def brief_atom(request: Request, topic: str = "", since: str = "7d", until: str = "", as_of: str = "",
                         n: int = Parameter(10, ge=1, le=100)) -> Response:
        """The brief as an Atom feed (one entry per story, linking to every report), for feed readers."""
        from rag.serve.feeds import brief_feed

        found = await in_thread(served_brief, topic, since, until, as_of, n)
        return Response(brief_feed(found, str(request.url)), media_type="application/atom+xml")

    def served_follows() -> list[Any]:
        from rag.follow import list_follows
        from rag.store.follows import open_follows

        location = getattr(getattr(getattr(assistant, "retriever", None), "index", None), "location", "")
        return list_follows(open_follows(location)) if location else []

    @api.get("/api/follows", tags=["api"])
    async def follows_json() -> dict[str, Any]:
        """The questions followed on this index (`rag follow add`), each with its dated answers, oldest first."""
        follows = await in_thread(served_follows)
        return {"follows": [followed.to_dict() for followed in follows]}

    @api.get("/feeds/follows.xml", tags=["feeds"], response_class=Response)
    async def follows_atom(request: Request) -> Response:
        """The changes of the followed questions as an Atom feed: one entry per new answer, citing its articles."""
        from rag.serve.feeds import follows_feed

        follows = await in_thread(served_follows)
        return Response(follows_feed(follows, str(request.url)), media_type="application/atom+xml")

    app.include_router(api)
    add_missing_routes(app)

    def limit_for(path: str) -> int | None:
        if path == "/api/index":
            return max_upload_bytes
        if path.startswith(("/api/", "/v1/")):
            return max_json_bytes
        return None

    app.add_middleware(BodyLimit, limit_for=limit_for)
    app.add_middleware(RequestGuard, hosts=hosts)

    if chat is not None:
        import gradio as gr

        blocks = chat(assistant, add_articles=adder, info=lambda: model_info(assistant, queued))
        # No "api" footer link: the chat adds no Gradio API endpoints; programs use /api/* and /v1/* above.
        gr.mount_gradio_app(app, blocks, path="/", auth=token_login(token) if token else None, ssr_mode=False,
                            mcp_server=False,
                            enable_monitoring=False, show_error=False, run_history=False,
                            max_file_size=max_upload_bytes, footer_links=["settings"])
    return app
