"""Who may reach the server, and with how much: loopback by default, a token when exposed, size limits.

- `check_exposure`: serving on a non-loopback address needs a token;
- `bearer_check` / `token_login`: the token as `Authorization: Bearer TOKEN` on the API, as the chat's password;
- `RequestGuard` (ASGI): a loopback server answers only to loopback Host names (DNS rebinding) and refuses
  cross-origin requests to the API;
- `BodyLimit` (ASGI): request bodies over a per-path limit are refused with 413 before they are read.

The ASGI middleware answer in the same JSON error shape as the routes (`rag.serve.errors`).
"""

from __future__ import annotations

import hmac
import ipaddress
import json
from collections.abc import Callable, Sequence
from urllib.parse import urlsplit

from fastapi import Request
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from rag.errors import InvalidRequestError
from rag.serve.errors import ApiError, error_body

LOOPBACK_NAMES = ("127.0.0.1", "localhost", "::1")


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


def loopback_hosts(host: str) -> tuple[str, ...] | None:
    """The Host names a server bound to `host` answers: the loopback names when it is loopback, else any.

    >>> loopback_hosts("127.0.0.2"), loopback_hosts("0.0.0.0")
    (('127.0.0.1', 'localhost', '::1', '127.0.0.2'), None)
    """
    if not is_loopback(host):
        return None
    bare = host.strip().strip("[]").lower()
    return LOOPBACK_NAMES if bare in LOOPBACK_NAMES else (*LOOPBACK_NAMES, bare)


def check_exposure(host: str, token: str) -> None:
    """Refuse to serve on a non-loopback address without a token: the articles and the model are private."""
    if not is_loopback(host) and not token:
        raise InvalidRequestError(
            f"refusing to serve on {host} without a token: set --token or RAG_TOKEN (the API then requires "
            "`Authorization: Bearer TOKEN` and the chat a login), or serve on 127.0.0.1"
        )


def token_login(token: str) -> Callable[[str, str], bool]:
    """The chat's login check: any user name, the token as password (compared in constant time)."""

    def check(username: str, password: str) -> bool:
        return hmac.compare_digest(str(password).encode("utf-8"), token.encode("utf-8"))

    return check


def bearer_check(token: str) -> Callable[[Request], None]:
    """The API's dependency: with a non-empty `token`, every request must send `Authorization: Bearer TOKEN`
    (compared in constant time), else it is answered 401."""

    def authorise(request: Request) -> None:
        if not token:
            return
        scheme, _, given = request.headers.get("authorization", "").partition(" ")
        if scheme.lower() != "bearer" or not hmac.compare_digest(given.strip().encode(), token.encode()):
            raise ApiError(401, "missing or wrong API token: send `Authorization: Bearer TOKEN`",
                           "authentication_error", {"WWW-Authenticate": "Bearer"})

    return authorise


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
        await send_error(send, 413, f"the request body is larger than the limit of {limit:,} bytes",
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
                await send_error(send, 421, f"this server answers to {', '.join(sorted(self.hosts))} only",
                                 "misdirected_request")
                return
            origin = headers.get(b"origin", b"").decode("latin-1").lower()
            path = scope.get("path", "")
            if origin and path.startswith(("/api/", "/v1/")) and urlsplit(origin).netloc != host:
                await send_error(send, 403, "cross-origin requests to the API are refused", "forbidden")
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


async def send_error(send: Send, status: int, message: str, kind: str) -> None:
    """Answer an ASGI request with an error JSON body (for middleware, which runs outside FastAPI's handlers)."""
    body = json.dumps(error_body(message, kind)).encode()
    await send({"type": "http.response.start", "status": status,
                "headers": [(b"content-type", b"application/json"), (b"content-length", str(len(body)).encode())]})
    await send({"type": "http.response.body", "body": body})
