"""RSS and Atom feeds (feedparser): each item as an `Article`, identified by its guid or link.

feedparser reads RSS 0.9x, 1.0 and 2.0 and Atom 0.3 and 1.0, copes with the many ways real feeds bend the
standards, and removes script from the HTML it returns: a hand-written parser would have to relearn all of it.

An item's text is its full content (`content:encoded`, Atom `<content>`, or a description long enough to be the
whole article: `is_full_text`) when the feed carries it. An item that carries only a summary (or nothing) but links
to a page is marked with `PAGE_KEY` (the link) and `ITEM_KEY` (a hash of what the feed says about it): the indexer
then reads the linked page for the full text, and only when that hash changed, so an unchanged item costs nothing
(rag.ingest.indexer). Every item records the feed it came from
under `FEED_KEY`: a feed is a window over its latest items, so an item that scrolls off is kept in the index
(`prune_feeds` removes it), unlike a record that left a JSON feed.

Identity: an item's guid (Atom `<id>`) when it is a URI, which is meant to be unique everywhere; a guid that is
not (a bare number, say) is made unique by the feed's address; without a guid, the item's link; without either, a
hash of its title and text within the feed. A feed that is not well-formed XML still gives the items feedparser
could read, with one problem naming the fault; content that is not a feed at all is an error with the fix (and
the feed address an HTML page announces, when it announces one).
"""

from __future__ import annotations

import json
import re
from typing import Any
from urllib.parse import urljoin
from xml.sax import SAXException

from rag.errors import SourceError
from rag.ingest.decode import normalise_newlines
from rag.ingest.html import html_fragment_text, looks_like_html
from rag.ingest.metadata import json_safe, published_date, text_field
from rag.records import Article, content_hash, safe_url

FEED_SUFFIXES = frozenset({".rss", ".atom", ".xml"})

FEED_KEY = "_feed"
"""In an item's metadata: the feed it came from (a URL or a file's resolved path)."""
PAGE_KEY = "_page"
"""In an item's metadata when the feed gives only a summary: the page whose text is the article's full text."""
ITEM_KEY = "_item"
"""In an item's metadata when its full text comes from its page: a hash of what the feed says about the item."""

_ANNOUNCED_FEED = re.compile(
    rb"<link\b(?=[^>]*\brel=[\"']?alternate)(?=[^>]*\btype=[\"']?application/(?:rss|atom)\+xml)[^>]*"
    rb"\bhref=[\"']?([^\"'\s>]+)",
    re.IGNORECASE,
)


def read_feed(
    data: bytes, location: str, label: str, *, content_type: str = "", base_url: str = ""
) -> tuple[list[Article], list[SourceError]]:
    """The items of an RSS or Atom feed as articles, and the problems found (bad items; XML that is not
    well-formed). `location` is the feed's identity (its URL or resolved path; the articles' `path`), `label` its
    name in messages. Raises SourceError when the content is not a feed at all.
    """
    import feedparser

    # No base address for feedparser: it would resolve a bare guid ("417") against it as if it were a link. No
    # sanitising either: an item's HTML is only ever read for its text (`_plain`, which drops scripts and the like),
    # and feedparser's sanitiser drops the CSS it does not know ("visibility: hidden"), showing text the page hid.
    parsed = feedparser.parse(
        data,
        response_headers={"content-type": content_type or "application/xml"},
        sanitize_html=False,
        resolve_relative_uris=False,
    )
    fault = parsed.get("bozo_exception") if parsed.get("bozo") else None
    malformed = isinstance(fault, SAXException)
    if not parsed.get("version") or (malformed and not parsed.get("entries")):
        raise not_a_feed(data, label, fault if malformed else None, base_url)
    problems: list[SourceError] = []
    if malformed:
        problems.append(
            SourceError(
                label,
                f"is not well-formed XML ({_fault_text(fault)}); the items that could be read were read",
                fix="ask its publisher to fix it (a feed "
                "validator shows the fault); the articles indexed from it before stay",
            )
        )
    feed = parsed.get("feed", {})
    feed_title = " ".join(text_field(feed.get("title")).split())
    articles: list[Article] = []
    for number, entry in enumerate(parsed.get("entries", []), start=1):
        try:
            articles.append(_item_article(entry, location, label, feed_title, number, base_url))
        except SourceError as error:
            problems.append(error)
    return articles, problems


def not_a_feed(data: bytes, label: str, fault: object, base_url: str = "") -> SourceError:
    """The error for content that feedparser does not recognise as a feed, with the most useful fix.

    >>> print(not_a_feed(b'<html><link rel="alternate" type="application/rss+xml" href="/feed.xml">', "x.xml",
    ...                  None, "https://gazette.example/news"))  # doctest: +NORMALIZE_WHITESPACE
    x.xml: is an HTML page, not an RSS or Atom feed (it announces a feed: index
    https://gazette.example/feed.xml instead)
    """
    feed = announced_feed(data, base_url)
    if feed:
        return SourceError(
            label, "is an HTML page, not an RSS or Atom feed", fix=f"it announces a feed: index {feed} instead"
        )
    if fault is not None:
        return SourceError(
            label,
            f"is not well-formed XML and no feed could be read from it ({_fault_text(fault)})",
            fix="check that the address or file is an RSS or Atom feed; if it is, ask its publisher "
            "to fix it; the articles indexed from it before stay",
        )
    if re.match(rb"\s*(?:<!--.*?-->\s*)*<(?:!doctype\s+html|html)\b", data[:4096], re.IGNORECASE | re.DOTALL):
        return SourceError(
            label,
            "is an HTML page, not an RSS or Atom feed",
            fix="give the page's address to index the page itself, or find the site's feed address",
        )
    return SourceError(
        label,
        "is not an RSS or Atom feed",
        fix="give the address or file of an RSS 2.0 or Atom feed (its first tag is <rss> or <feed>)",
    )


def announced_feed(html: bytes, base_url: str = "") -> str:
    """The feed an HTML page announces (`<link rel="alternate" type="application/rss+xml" href=...>`), or "".

    >>> announced_feed(b'<head><link rel="alternate" type="application/atom+xml" href="/atom"></head>', "https://h.example/a")
    'https://h.example/atom'
    """
    found = _ANNOUNCED_FEED.search(html[:200_000])
    return urljoin(base_url, found.group(1).decode("utf-8", "replace")) if found else ""


def _fault_text(fault: Any) -> str:
    line = getattr(fault, "getLineNumber", lambda: None)()
    column = getattr(fault, "getColumnNumber", lambda: None)()
    message = getattr(fault, "getMessage", lambda: str(fault))()
    return f"line {line}, column {column}: {message}" if line is not None else str(message)


def item_id(guid: str, link: str, location: str, fallback: str) -> str:
    """An item's identity: a URI guid as it is, a bare guid within its feed, else its link, else `fallback`
    within its feed.

    >>> item_id("tag:gazette.example,2026:417", "https://g.example/a", "https://g.example/feed", "")
    'tag:gazette.example,2026:417'
    >>> item_id("417", "https://g.example/a", "https://g.example/feed", ""), item_id("", "https://g.example/a", "f", "")
    ('https://g.example/feed#417', 'https://g.example/a')
    """
    if guid and re.match(r"^[a-zA-Z][a-zA-Z0-9+.-]*:\S", guid):
        return guid
    if guid:
        return f"{location}#{guid}"
    if link:
        return link
    return f"{location}#{fallback}"


def _item_article(entry: Any, location: str, label: str, feed_title: str, number: int, base_url: str) -> Article:
    name = f"{label} item {number}"
    link = safe_url(urljoin(base_url, text_field(entry.get("link"))))  # a relative link is relative to the feed
    content = next((part.get("value", "") for part in entry.get("content") or [] if part.get("value")), "")
    summary = entry.get("summary") if isinstance(entry.get("summary"), str) else ""
    text = _plain(content) or _plain(summary)
    title = " ".join(_plain(text_field(entry.get("title"))).split())
    if not text and not link:
        raise SourceError(name, "has no text and no link", fix="the feed must give each item a text or a link")
    guid = text_field(entry.get("id"))
    article_id = item_id(guid, link, location, content_hash(title + "\n" + text)[:12])
    if not title:
        first_line = text.split("\n", 1)[0]
        title = first_line if len(first_line) <= 100 else first_line[:99].rsplit(" ", 1)[0] + "…"
    updated = text_field(entry.get("updated"))
    published, extra = published_date(text_field(entry.get("published")) or updated or None)
    metadata: dict[str, Any] = {FEED_KEY: location, **extra}
    if feed_title:
        metadata["feed"] = feed_title
    tags = [text_field(tag.get("term")) for tag in entry.get("tags") or [] if text_field(tag.get("term"))]
    if tags:
        metadata["tags"] = json_safe(tags)
    if updated and updated != text_field(entry.get("published")):
        metadata["updated"] = updated
    if link and not content and not is_full_text(text):
        # Only a summary: the linked page holds the article. The hash says whether the item changed since its
        # page was read, so that an unchanged item is not fetched again.
        metadata[PAGE_KEY] = link
        metadata[ITEM_KEY] = content_hash(json.dumps([article_id, link, updated, published, title, summary]))
    return Article(
        id=article_id,
        title=title or link,
        text=text or title or link,
        source=feed_title or label,
        url=link,
        published=published,
        author=" ".join(text_field(entry.get("author")).split()),
        path=location,
        metadata=metadata,
    )


FULL_TEXT_WORDS = 120
"""A description this long is the item's full text, not a summary: its link is not fetched. Summaries run to a
sentence or three (20 to 60 words); a feed that puts whole articles in `<description>` (a local file of press
releases) had every link fetched on every run, and a site not reached counted as a failure each time."""
_TRUNCATED = re.compile(r"(?:\.\.\.|…|\[…\]|\[\.\.\.\]|read more|continue reading)\W*$", re.IGNORECASE)


def is_full_text(text: str) -> bool:
    """Whether an item's description is its whole article: `FULL_TEXT_WORDS` words or more, not cut off ("…",
    "Read more").

    >>> is_full_text("The ferry is back."), is_full_text("word " * 150), is_full_text("word " * 150 + "[…]")
    (False, True, False)
    """
    return len(text.split()) >= FULL_TEXT_WORDS and _TRUNCATED.search(text[-40:]) is None


def _plain(value: str) -> str:
    """A feed field as plain text: HTML cleaned to paragraphs, plain text with its line breaks normalised.

    >>> _plain("<p>Rivers <b>rose</b>.</p><p>Then fell.</p>"), _plain("  Rivers rose.  ")
    ('Rivers rose.\\n\\nThen fell.', 'Rivers rose.')
    """
    value = normalise_newlines(value).strip()
    return html_fragment_text(value) if looks_like_html(value) else value
