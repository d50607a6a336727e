"""HTTP errors: every failure is JSON in OpenAI's shape, `{"error": {"message", "type"}}`, so the `openai` client
shows the message.

The status of a library error follows its kind (`api_error`): `InvalidRequestError` and `SourceError` 400, a busy
index 409, a full generation queue and missing models or index 503 (with `Retry-After`). Request validation is
422 (400 for a body that is not JSON, and on the OpenAI routes, as OpenAI answers, with its `param` and `code`).
An unexpected exception is logged with its traceback and answered 500 without details.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from typing import Any

from fastapi import FastAPI, Request
from fastapi.concurrency import run_in_threadpool
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from pydantic import BaseModel
from starlette.exceptions import HTTPException as StarletteHTTPException

from rag.errors import (
    NEXT_REQUEST,
    BusyError,
    IndexFormatError,
    IndexLockedError,
    IndexNotFoundError,
    IndexWriteError,
    InvalidRequestError,
    ModelError,
    RagError,
    ReadOnlyStoreError,
    SourceError,
    StoreAccessError,
    StoreUnavailableError,
)

log = logging.getLogger(__name__)


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
    (ReadOnlyStoreError, 409, "read_only_replica"),  # issue 23: uploads to a server on a replica
    (BusyError, 503, "server_busy"),
    (IndexNotFoundError, 503, "unavailable"),
    (IndexFormatError, 503, "unavailable"),
    (IndexWriteError, 503, "unavailable"),
    (ModelError, 503, "unavailable"),
    (StoreUnavailableError, 503, "unavailable"),
    (StoreAccessError, 503, "unavailable"),  # the database refuses this server's user, or does not exist
)


def api_error(error: BaseException) -> ApiError:
    """The HTTP error for an exception: RagErrors by kind, anything else a logged 500 without details.

    >>> problem = api_error(IndexLockedError("another process is writing the index"))
    >>> problem.status, problem.kind, problem.message
    (409, 'conflict', 'another process is writing the index')
    """
    if isinstance(error, ApiError):
        return error
    if isinstance(error, RagError):
        for kind, status, name in _STATUS:
            if isinstance(error, kind):
                headers = {"Retry-After": "10"} if status == 503 else None
                return ApiError(status, said_by_server(error) or kind.__name__, name, headers)
        return ApiError(400, str(error) or type(error).__name__)
    log.error("request failed", exc_info=error)
    return ApiError(500, f"internal error ({type(error).__name__}); the server log has the details", "internal_error")


def said_by_server(error: RagError) -> str:
    """A library error's message as a running server says it: a database that is away is tried again by the next
    request, which the library's message does not say (a one-shot command does not try again).

    >>> said_by_server(StoreUnavailableError("the database postgresql://rag:***@db/news is not answering"))
    'the database postgresql://rag:***@db/news is not answering; the next request tries again'
    """
    return error.retrying(NEXT_REQUEST) if isinstance(error, StoreUnavailableError) else str(error)


class ErrorDetail(BaseModel):
    message: str
    type: str


class ErrorBody(BaseModel):
    """What every error of the API sends (`error_body`): the OpenAPI schema says so for each status it can have."""

    error: ErrorDetail


ERROR_RESPONSES: dict[int | str, dict[str, Any]] = {
    status: {"model": ErrorBody, "description": description} for status, description in (
        (400, "a bad question, filter or date"), (401, "no or a wrong token"), (409, "another writer holds the index"),
        (413, "a body over the limit"), (422, "a body of the wrong shape"), (503, "the index or the model is away"))
}
"""The error statuses of the API's routes with their body, for the OpenAPI schema (FastAPI's own 422 body is never
sent: `validation_message` gives this one)."""


def error_body(message: str, kind: str) -> dict[str, Any]:
    """The JSON body of an error.

    >>> error_body("the question is empty", "invalid_request_error")
    {'error': {'message': 'the question is empty', 'type': 'invalid_request_error'}}
    """
    return {"error": {"message": message, "type": kind}}


def openai_error_body(message: str, error: RequestValidationError) -> dict[str, Any]:
    """The body of an invalid request to an OpenAI route: `error_body` with OpenAI's `param` (the first field in
    question, null for the body as a whole) and `code`."""
    locations = [".".join(str(part) for part in problem.get("loc", ()) if part != "body") for problem in error.errors()
                 if problem.get("type") != "json_invalid"]  # its location is a character position, not a field
    body = error_body(message, "invalid_request_error")
    body["error"].update(param=next((location for location in locations if location), None), code=None)
    return body


def error_response(error: ApiError) -> JSONResponse:
    return JSONResponse(error_body(error.message, error.kind), status_code=error.status, headers=error.headers)


def validation_message(error: RequestValidationError) -> tuple[int, str]:
    """The status and message for a request FastAPI could not validate: 400 for a body that is not JSON, else
    422 with every problem as `field: message`."""
    problems = []
    status = 422
    for problem in error.errors():
        if problem.get("type") == "json_invalid":
            status = 400
            return status, f"the request body is not valid JSON: {problem.get('ctx', {}).get('error', '')}".strip()
        where = ".".join(str(part) for part in problem.get("loc", ()) if part != "body") or "body"
        problems.append(f"{where}: {problem.get('msg', 'invalid')}")
    return status, "; ".join(problems) or "invalid request"


async def in_thread(function: Callable[..., Any], *args: Any, **kwargs: Any) -> Any:
    """Run blocking library code in the thread pool; its exceptions become `ApiError`s."""
    try:
        return await run_in_threadpool(function, *args, **kwargs)
    except Exception as error:
        raise api_error(error) from None


def add_error_handlers(app: FastAPI) -> None:
    """Answer every error `app` raises (ours, the library's, FastAPI's validation and routing) as error JSON."""

    @app.exception_handler(ApiError)
    async def on_api_error(request: Request, error: ApiError) -> JSONResponse:
        return error_response(error)

    @app.exception_handler(RagError)
    async def on_rag_error(request: Request, error: RagError) -> JSONResponse:
        return error_response(api_error(error))

    @app.exception_handler(RequestValidationError)
    async def on_invalid(request: Request, error: RequestValidationError) -> JSONResponse:
        status, message = validation_message(error)
        if request.url.path.startswith("/v1/"):
            # OpenAI answers every malformed request 400 (its clients raise BadRequestError), naming the field
            return JSONResponse(openai_error_body(message, error), status_code=400)
        return JSONResponse(error_body(message, "invalid_request_error"), status_code=status)

    @app.exception_handler(StarletteHTTPException)
    async def on_http(request: Request, error: StarletteHTTPException) -> JSONResponse:
        return JSONResponse(error_body(str(error.detail), "invalid_request_error"), status_code=error.status_code,
                            headers=getattr(error, "headers", None))
