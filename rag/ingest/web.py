"""Articles from the web: fetching a URL politely and safely (httpx), and reading a fetched web page.

`WebClient.fetch` is the one way the project downloads anything: http and https only, a timeout on connecting and
on every read, a size limit checked while the body streams in (so a huge or endless response is cut off, not read
into memory), redirects followed by hand up to `MAX_REDIRECTS` (each hop is checked like the first address), a
user agent naming the project and its version, and conditional requests (`ETag`, `Last-Modified`) so that an
unchanged page or feed costs a "304 Not Modified" and nothing else. Every failure is a `SourceError` naming the
address, what went wrong and what to do.

Private addresses: a client made with `allow_private=False` refuses any address that resolves to a loopback,
private, link-local or otherwise non-public IP, at every redirect hop, so that a URL given by someone else cannot
make the server read its own network. The CLI (`rag index`, `rag watch`, `rag serve --watch`) fetches what the
person at the keyboard asked for and allows them; the HTTP API fetches no URL at all (see docs/http-api.md).

`read_url` reads a URL source (a feed, through rag.ingest.rss, or a page), `read_urls` several a few at a time;
`page_article` turns a fetched HTML page into an `Article` with the same reader as .html files
(rag.ingest.html.read_html); `with_full_texts` reads the pages that summary-only feed items link to, a few at a
time.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import email.utils
import ipaddress
import re
import socket
import time
from collections.abc import Callable, Mapping, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from typing import Any
from urllib.parse import urljoin, urlsplit

import httpx

from rag import __version__
from rag.errors import SourceError
from rag.ingest.decode import NotTextError, declared_html_encoding, decode_text_guessing
from rag.ingest.files import DEFAULT_MAX_FILE_BYTES, bytes_from_megabytes, too_large
from rag.ingest.html import read_html
from rag.ingest.intervals import describe_interval
from rag.ingest.metadata import published_date
from rag.ingest.rss import PAGE_KEY, read_feed
from rag.records import Article, safe_url
from rag.settings import Settings

USER_AGENT = f"rag-articles/{__version__} (local article assistant; reads the feeds and pages its user lists)"
"""Sent with every request, so that site owners can see who reads their pages and how often."""

MAX_REDIRECTS = 5
DEFAULT_TIMEOUT = 20.0
CHUNK_BYTES = 64 * 1024
PAGE_WORKERS = 4
"""Linked pages fetched at once: waiting on the network, not the CPU, is what takes the time."""
FEED_OR_PAGE = (
    "application/rss+xml, application/atom+xml, application/xml;q=0.9, text/xml;q=0.9, text/html;q=0.8, */*;q=0.1"
)
PAGE = "text/html, application/xhtml+xml;q=0.9, */*;q=0.1"

HTTP_VALIDATORS_KEY = "_http"
"""Kept in an article's metadata: the ETag and Last-Modified of the response it came from (for a 304 next time)."""

_FEED_TYPES = (
    "application/rss+xml",
    "application/atom+xml",
    "application/rdf+xml",
    "application/xml",
    "text/xml",
    "application/feed+xml",
)
_FEED_START = re.compile(rb"^\s*(?:<\?xml[^>]*>\s*)?(?:<!--.*?-->\s*)*<(?:rss|feed|rdf:RDF)\b", re.DOTALL)
_HTML_START = re.compile(rb"^\s*(?:<!--.*?-->\s*)*<(?:!doctype\s+html|html|head|body)\b", re.IGNORECASE | re.DOTALL)


def is_url(source: object) -> bool:
    """True for a source given as a web address rather than a file or folder.

    >>> is_url("https://gazette.example/feed.xml"), is_url("HTTP://x.example"), is_url("articles/feed.xml")
    (True, True, False)
    """
    return isinstance(source, str) and re.match(r"(?i)^https?://", source) is not None


@dataclass(frozen=True)
class Fetched:
    """One successful response: the final address (after redirects), its body and how to ask for it again."""

    url: str
    status: int  # 200, or 304 when the validators sent still hold (then `data` is empty)
    content_type: str = ""  # the media type, lower case, without parameters
    charset: str = ""
    data: bytes = b""
    etag: str = ""
    last_modified: str = ""

    @property
    def not_modified(self) -> bool:
        return self.status == 304

    @property
    def validators(self) -> dict[str, str]:
        """What to send next time for a 304 if nothing changed (empty when the server gave none)."""
        found = {"etag": self.etag, "last_modified": self.last_modified}
        return {name: value for name, value in found.items() if value}

    @property
    def kind(self) -> str:
        """'feed', 'page' or 'other', from the content type and, since servers often mislabel feeds, the body."""
        return content_kind(self.content_type, self.data)


def content_kind(content_type: str, data: bytes) -> str:
    """What a response holds: 'feed' (RSS, Atom), 'page' (HTML) or 'other', by its first bytes, then its type.

    >>> content_kind("text/html", b"<?xml version='1.0'?><rss version='2.0'>"), content_kind("", b"<!DOCTYPE html>")
    ('feed', 'page')
    >>> content_kind("application/pdf", b"%PDF-1.7"), content_kind("application/rss+xml", b"")
    ('other', 'feed')
    """
    head = data[:4096].lstrip(b"\xef\xbb\xbf")
    if _FEED_START.match(head):
        return "feed"
    if _HTML_START.match(head):
        return "page"
    if content_type in _FEED_TYPES:
        return "feed"
    if content_type in ("text/html", "application/xhtml+xml"):
        return "page"
    return "other"


class WebClient:
    """Fetches web addresses for the indexer: timeouts, a size limit, bounded redirects, a clear user agent.

    Thread-safe (pages of a feed are fetched a few at a time); `close()` it, or use it as a context manager.
    """

    def __init__(
        self,
        *,
        timeout: float = DEFAULT_TIMEOUT,
        max_bytes: int = DEFAULT_MAX_FILE_BYTES,
        allow_private: bool = True,
    ) -> None:
        self.timeout = timeout
        self.max_bytes = max_bytes
        self.allow_private = allow_private
        self._client = httpx.Client(
            timeout=httpx.Timeout(timeout),
            follow_redirects=False,  # followed by hand, to check every hop and to name the last one
            headers={"User-Agent": USER_AGENT, "Accept-Encoding": "gzip, deflate"},
        )

    @classmethod
    def from_settings(cls, settings: Settings) -> WebClient:
        """The client of `rag index`, `rag watch` and `rag serve --watch`: the settings' timeout and size limit, and
        private and loopback addresses allowed, since the person at the keyboard (or the server's operator) gave
        the sources."""
        return cls(timeout=settings.fetch_timeout, max_bytes=bytes_from_megabytes(settings.max_file_mb))

    def __enter__(self) -> WebClient:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def close(self) -> None:
        self._client.close()

    def fetch(self, url: str, validators: Mapping[str, str] | None = None, *, accept: str = "*/*") -> Fetched:
        """GET `url`, following up to MAX_REDIRECTS redirects. `validators` (from `Fetched.validators`) make it a
        conditional request: an unchanged resource comes back as status 304 with no body.
        Raises SourceError (named by `url`) for anything but a usable response."""
        headers = {"Accept": accept}
        if validators:
            if validators.get("etag"):
                headers["If-None-Match"] = validators["etag"]
            if validators.get("last_modified"):
                headers["If-Modified-Since"] = validators["last_modified"]
        address = url
        for _ in range(MAX_REDIRECTS + 1):
            self._check_address(url, address)
            try:
                with self._client.stream("GET", address, headers=headers) as response:
                    if response.is_redirect and response.headers.get("location"):
                        address = urljoin(address, response.headers["location"])
                        continue
                    return self._read(url, address, response)
            except httpx.TimeoutException as error:
                raise SourceError(
                    url,
                    f"did not answer within {self.timeout:g} s ({type(error).__name__})",
                    fix="try again later, or allow more time with --fetch-timeout SECONDS; the "
                    "articles indexed from it before stay",
                ) from error
            except httpx.HTTPError as error:
                raise SourceError(
                    url,
                    f"could not be reached ({_network_reason(error)})",
                    fix="check the address and the network connection, or try again later; the "
                    "articles indexed from it before stay",
                ) from error
        raise SourceError(
            url,
            f"redirects more than {MAX_REDIRECTS} times (last to {address})",
            fix="open it in a browser and give the address it ends up at",
        )

    def _check_address(self, url: str, address: str) -> None:
        parts = urlsplit(address)
        if parts.scheme.lower() not in ("http", "https") or not parts.hostname:
            where = "" if address == url else f" (it redirects to {address})"
            raise SourceError(
                url,
                f"is not an http or https address{where}",
                fix="give a web address starting with https://, or a file or folder",
            )
        if not self.allow_private and not _public_host(parts.hostname, parts.port or 0):
            where = "" if address == url else f" (it redirects to {address})"
            raise SourceError(
                url,
                f"points to a private or loopback network address{where}, which this server does not fetch",
                fix="index it from the command line on this machine instead",
            )

    def _read(self, url: str, address: str, response: httpx.Response) -> Fetched:
        status = response.status_code
        etag = response.headers.get("etag", "")
        last_modified = response.headers.get("last-modified", "")
        if status == 304:
            return Fetched(address, 304, etag=etag, last_modified=last_modified)
        if status >= 400:
            reason, fix = _status_problem(status)
            wait = retry_after_seconds(response.headers.get("retry-after", ""), time.time())
            asked = f"; it asks to wait {describe_interval(round(wait))}" if wait else ""
            raise SourceError(url, f"{reason} (HTTP {status}{'' if address == url else ' at ' + address}{asked})",
                              fix=fix, retry_after=wait)
        if status != 200:
            raise SourceError(
                url,
                f"answered HTTP {status} instead of the page",
                fix="open it in a browser to check it, then give the address of the page itself",
            )
        declared = response.headers.get("content-length", "")
        if declared.isdigit() and int(declared) > self.max_bytes:
            raise too_large(url, int(declared), self.max_bytes)
        body = bytearray()
        for piece in response.iter_bytes(CHUNK_BYTES):
            body += piece
            if len(body) > self.max_bytes:
                raise too_large(url, len(body), self.max_bytes)
        media_type, _, parameters = response.headers.get("content-type", "").partition(";")
        charset = re.search(r"charset=\"?([\w.:-]+)", parameters, re.IGNORECASE)
        return Fetched(
            address,
            200,
            media_type.strip().lower(),
            charset.group(1) if charset else "",
            bytes(body),
            etag,
            last_modified,
        )


MAX_RETRY_AFTER = 24 * 3600
"""The longest wait a server's Retry-After is taken at: a date years ahead would otherwise stop a feed for good."""


def retry_after_seconds(value: str, now: float) -> float:
    """The seconds a Retry-After header asks to wait (delay seconds or an HTTP date), at most `MAX_RETRY_AFTER`;
    0 when there is none or it cannot be read.

    >>> retry_after_seconds("120", 0.0), retry_after_seconds("", 0.0), retry_after_seconds("soon", 0.0)
    (120.0, 0.0, 0.0)
    >>> retry_after_seconds("Thu, 01 Jan 1970 00:30:00 GMT", 0.0), retry_after_seconds("9999999", 0.0)
    (1800.0, 86400.0)
    """
    value = value.strip()
    if value.isdigit():
        seconds = float(value)
    else:
        try:
            when = email.utils.parsedate_to_datetime(value)
        except (TypeError, ValueError, IndexError):
            return 0.0
        if when.tzinfo is None:  # HTTP dates are GMT
            when = when.replace(tzinfo=dt.timezone.utc)
        seconds = when.timestamp() - now
    return float(min(max(seconds, 0.0), MAX_RETRY_AFTER))


def _status_problem(status: int) -> tuple[str, str]:
    """What an HTTP error status means for the person indexing, and what to do.

    >>> _status_problem(404)[0], _status_problem(503)[0]
    ('was not found', 'failed on the server')
    """
    kept = "; the articles indexed from it before stay"
    if status in (404, 410):
        return "was not found", f"check the address (it may have moved: open it in a browser){kept}"
    if status in (401, 403):
        return (
            "refused access",
            f"the site needs a login or blocks automated readers: save the page and index the file instead{kept}",
        )
    if status == 429:
        return "asks to be read less often", f"index it less often (rag watch --every){kept}"
    if status >= 500:
        return "failed on the server", f"try again later{kept}"
    return "refused the request", f"open it in a browser to check the address{kept}"


def _network_reason(error: httpx.HTTPError) -> str:
    """The cause of a network failure in a few words (the address that was not found, a refused connection)."""
    cause: BaseException | None = error
    while cause is not None:
        if isinstance(cause, socket.gaierror):
            return "the host name was not found"
        if isinstance(cause, ConnectionRefusedError):
            return "the connection was refused"
        cause = cause.__cause__ or cause.__context__
    text = str(error) or type(error).__name__
    if "Name or service not known" in text or "nodename nor servname" in text:
        return "the host name was not found"
    if "refused" in text.lower():
        return "the connection was refused"
    return text


def _public_host(host: str, port: int) -> bool:
    """True when every address `host` resolves to is a public one (a host that does not resolve is left to the
    request, which then fails with its own message)."""
    try:
        infos = socket.getaddrinfo(host, port or None, proto=socket.IPPROTO_TCP)
    except (socket.gaierror, UnicodeError):
        return True
    return all(is_public_address(str(info[4][0])) for info in infos)


def is_public_address(address: str) -> bool:
    """True for an IP address on the public internet; False for loopback, private, link-local and the rest.

    >>> [is_public_address(a) for a in ("93.184.216.34", "127.0.0.1", "10.1.2.3", "169.254.169.254", "::1")]
    [True, False, False, False, False]
    """
    ip = ipaddress.ip_address(address.split("%", 1)[0])
    if isinstance(ip, ipaddress.IPv6Address) and ip.ipv4_mapped is not None:
        ip = ip.ipv4_mapped
    return ip.is_global and not ip.is_multicast


def fetched_text(fetched: Fetched, url: str) -> str:
    """The body of a response as text: its declared charset, the page's own declaration, else a detected one."""
    declared = fetched.charset or declared_html_encoding(fetched.data)
    try:
        text, _ = decode_text_guessing(fetched.data, declared)
    except NotTextError as error:
        raise SourceError(
            url,
            f"sent something that is not text ({error})",
            fix="give the address of an HTML page or an RSS or Atom feed",
        ) from error
    except LookupError:  # a charset Python does not know: detect it instead
        text, _ = decode_text_guessing(fetched.data, "")
    return text


def page_article(
    fetched: Fetched,
    url: str,
    *,
    source: str = "",
    title: str = "",
    published: str = "",
    author: str = "",
    metadata: dict[str, Any] | None = None,
) -> Article:
    """The article of a fetched HTML page, identified by `url` (the address asked for, so that it keeps its id when
    the site redirects). The page's own title, canonical URL, author and date fill whatever is not given.
    Raises SourceError for a page with no readable text."""
    text = fetched_text(fetched, url)
    try:
        page = read_html(text)
    except Exception as error:  # a parser bug on one hostile page must not stop the others
        raise SourceError(
            url,
            f"could not be parsed as HTML ({type(error).__name__}: {error})",
            fix="open it in a browser to check it, or save the article as a file",
        ) from error
    if not page.text:
        raise SourceError(
            url,
            "has no readable text (only markup, scripts or navigation)",
            fix="check that it is an article page, not an index or login page",
        )
    date, extra = published_date(published or page.published)
    host = urlsplit(url).hostname or url
    return Article(
        id=url,
        title=title or page.title or host,
        text=page.text,
        source=source or page.site or host,
        url=safe_url(page.url or fetched.url or url),
        published=date,
        author=" ".join((author or page.author).split()),
        path=url,
        metadata={**extra, **(metadata or {})},
    )


@dataclass(frozen=True)
class UrlRead:
    """A URL source read: the response, and the articles and problems in it (none when it was not modified)."""

    fetched: Fetched
    articles: list[Article]
    problems: list[SourceError]


def read_url(url: str, client: WebClient, validators: Mapping[str, str] | None = None) -> UrlRead:
    """The articles at `url`: the items of an RSS or Atom feed, or the one article of an HTML page. With
    `validators`, an unchanged source comes back not modified, with no articles. Raises SourceError."""
    fetched = client.fetch(url, validators, accept=FEED_OR_PAGE)
    if fetched.not_modified:
        return UrlRead(fetched, [], [])
    kind = fetched.kind
    if kind == "feed":
        articles, problems = read_feed(fetched.data, url, url, content_type=fetched.content_type, base_url=fetched.url)
        return UrlRead(fetched, articles, problems)
    if kind == "page":
        return UrlRead(fetched, [page_article(fetched, url)], [])
    raise SourceError(
        url,
        f"is neither an RSS or Atom feed nor a web page (it sent "
        f"{fetched.content_type or 'content of no declared type'})",
        fix="give the address of a feed or an HTML page; download other files (PDF, text) and index the file",
    )


def read_urls(
    requests: Sequence[tuple[str, Mapping[str, str]]], client: WebClient, workers: int = PAGE_WORKERS
) -> list[UrlRead | SourceError]:
    """`read_url` of each (url, validators), `workers` at a time, in order; a URL that fails gives its SourceError."""
    return _each(lambda request: read_url(request[0], client, request[1]), requests, workers)


def full_text(item: Article, client: WebClient) -> Article:
    """A summary-only feed item with its text replaced by that of the page it links to (`PAGE_KEY`); the feed's
    title, date, author and identity are kept. Raises SourceError named by the page's address."""
    link = str(item.metadata[PAGE_KEY])
    fetched = client.fetch(link, accept=PAGE)
    if fetched.kind != "page":
        raise SourceError(
            link,
            f"is not an HTML page (it sent {fetched.content_type or 'no declared type'}), so "
            f"the item {item.title!r} keeps the feed's summary",
            fix="nothing to do if the summary is enough; otherwise save the article and index the file",
        )
    page = page_article(
        fetched,
        link,
        source=item.source,
        title=item.title,
        published=item.published,
        author=item.author,
        metadata=item.metadata,
    )
    return dataclasses.replace(page, id=item.id, path=item.path, url=item.url or page.url)


def with_full_texts(
    items: Sequence[Article], client: WebClient, workers: int = PAGE_WORKERS
) -> list[Article | SourceError]:
    """`full_text` of each item, fetched `workers` at a time; a page that fails gives its SourceError instead."""
    return _each(lambda item: full_text(item, client), items, workers)


def _each(work: Callable[[Any], Any], inputs: Sequence[Any], workers: int) -> list[Any]:
    """`work` on each input, `workers` at a time, in order; a SourceError is returned in place of its result."""

    def one(value: Any) -> Any:
        try:
            return work(value)
        except SourceError as error:
            return error

    if len(inputs) <= 1:
        return [one(value) for value in inputs]
    pool = ThreadPoolExecutor(max_workers=workers, thread_name_prefix="rag-fetch")
    try:
        return list(pool.map(one, inputs))
    finally:
        pool.shutdown(wait=False, cancel_futures=True)  # interrupted (Ctrl-C): stop now, not after every page
