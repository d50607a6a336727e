"""A small web site on 127.0.0.1 for the feed, page and watch tests: nothing in the tests touches the internet.

`LocalSite` serves whatever the test puts at a path (feeds, pages, errors, redirects), answers conditional requests
with 304 by ETag, can hold a path's response until the test releases it (to catch a run mid-fetch), and records
every request with its headers.
"""

from __future__ import annotations

import contextlib
import hashlib
import threading
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer


@dataclass
class Response:
    body: bytes
    content_type: str = "text/html; charset=utf-8"
    status: int = 200
    headers: dict[str, str] = field(default_factory=dict)
    etag: bool = True  # answer If-None-Match with 304 when the body is the same
    delay: float = 0.0  # seconds to wait before answering


class LocalSite:
    """An HTTP server on a free loopback port, in a thread; `with LocalSite() as site:` starts and stops it."""

    def __init__(self) -> None:
        self.responses: dict[str, Response] = {}
        self.requests: list[tuple[str, dict[str, str]]] = []
        self.holds: dict[str, tuple[threading.Event, threading.Event]] = {}  # path -> (arrived, release)
        site = self

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self) -> None:
                site.requests.append((self.path, {key.lower(): value for key, value in self.headers.items()}))
                if self.path in site.holds:
                    arrived, release = site.holds[self.path]
                    arrived.set()
                    release.wait(60)
                response = site.responses.get(self.path)
                if response is None:
                    response = Response(b"<html><body><p>Not here.</p></body></html>", status=404)
                if response.delay:
                    threading.Event().wait(response.delay)
                tag = '"' + hashlib.sha1(response.body).hexdigest()[:16] + '"'
                if response.etag and response.status == 200 and self.headers.get("If-None-Match") == tag:
                    self.send_response(304)
                    self.send_header("ETag", tag)
                    self.end_headers()
                    return
                self.send_response(response.status)
                self.send_header("Content-Type", response.content_type)
                self.send_header("Content-Length", str(len(response.body)))
                if response.etag and response.status == 200:
                    self.send_header("ETag", tag)
                for key, value in response.headers.items():
                    self.send_header(key, value)
                self.end_headers()
                # The client may give up (a size limit, a timeout): that is what some tests check.
                with contextlib.suppress(BrokenPipeError, ConnectionResetError):
                    self.wfile.write(response.body)

            def log_message(self, format: str, *args: object) -> None:
                """Silent: the test's assertions say what went wrong, not the request log."""

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.server.daemon_threads = True
        self.base = f"http://127.0.0.1:{self.server.server_address[1]}"
        self.thread = threading.Thread(target=self.server.serve_forever, name="local-site", daemon=True)

    def __enter__(self) -> LocalSite:
        self.thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        for _, release in self.holds.values():
            release.set()
        self.server.shutdown()
        self.server.server_close()

    def url(self, path: str) -> str:
        return self.base + path

    def put(
        self, path: str, body: str | bytes, content_type: str = "text/html; charset=utf-8", **options: object
    ) -> str:
        """Serve `body` at `path` from now on; returns its URL."""
        data = body.encode("utf-8") if isinstance(body, str) else body
        self.responses[path] = Response(data, content_type, **options)  # type: ignore[arg-type]
        return self.url(path)

    def hold(self, path: str) -> tuple[threading.Event, threading.Event]:
        """Make requests for `path` wait: (set when one arrives, set it to let them through)."""
        self.holds[path] = (threading.Event(), threading.Event())
        return self.holds[path]

    def paths(self) -> list[str]:
        """The paths requested so far, in order."""
        return [path for path, _ in self.requests]

    def forget(self) -> None:
        self.requests.clear()


def page(title: str, *paragraphs: str, published: str = "") -> str:
    """An article page with navigation and a footer around it, as news sites serve them."""
    date = f'<meta property="article:published_time" content="{published}">' if published else ""
    body = "".join(f"<p>{paragraph}</p>" for paragraph in paragraphs)
    return (
        f"<!DOCTYPE html><html><head><title>{title}</title>{date}</head><body>"
        f"<nav><a href='/'>Home</a> <a href='/news'>News</a></nav>"
        f"<article><h1>{title}</h1>{body}</article>"
        f"<footer>Subscribe to our newsletter. Copyright Lenn Valley Herald.</footer></body></html>"
    )


def rss(title: str, items: list[dict[str, str]]) -> str:
    """An RSS 2.0 feed; each item's keys become its elements (`content` becomes content:encoded)."""
    parts = []
    for item in items:
        fields = []
        for key, value in item.items():
            tag = "content:encoded" if key == "content" else key
            fields.append(
                f"<{tag}><![CDATA[{value}]]></{tag}>"
                if key in ("content", "description")
                else f"<{tag}>{value}</{tag}>"
            )
        parts.append("<item>" + "".join(fields) + "</item>")
    return (
        '<?xml version="1.0" encoding="UTF-8"?>\n<rss version="2.0" '
        'xmlns:content="http://purl.org/rss/1.0/modules/content/"><channel>'
        f"<title>{title}</title><link>https://herald.example/</link><description>News</description>"
        + "".join(parts)
        + "</channel></rss>"
    )
