"""HTML for the UI: the cited passages, the index statistics line and chat text. Pure functions, no gradio.

Everything that comes from an article (title, source, url, date, text) or from the language model is untrusted.
It is escaped with `html.escape` before it reaches any markup, and only absolute http(s) URLs become links, so an
article holding `<script>`, `<img onerror=...>` or a `javascript:` URL cannot run anything in the browser.
"""

from __future__ import annotations

import html
from collections.abc import Mapping
from typing import Any
from urllib.parse import urlsplit

from rag.prompts import CANNOT_ANSWER
from rag.records import Answer, Citation, normalise_text

MUTED = "opacity:0.7;font-size:0.85em"
"""Inline style for secondary lines (inline so the HTML looks the same wherever it is embedded)."""

_QUOTE_STYLE = "margin:0.35em 0 0 0;padding:0.2em 0 0.2em 0.8em;border-left:3px solid #bbb;white-space:pre-wrap"
_SAFE_SCHEMES = ("http", "https")


def escape(value: object) -> str:
    """Escape any value for use as HTML text or inside a double-quoted attribute."""
    return html.escape(str(value), quote=True)


def safe_url(url: str) -> str | None:
    """`url` if it is an absolute http(s) URL that can be put in an `href`, else None.

    >>> safe_url("https://example.org/a?b=1")
    'https://example.org/a?b=1'
    >>> safe_url("javascript:alert(1)") is None, safe_url(" java\\tscript:alert(1)") is None, safe_url("/local") is None
    (True, True, True)
    """
    url = (url or "").strip()
    # Browsers drop tabs and newlines inside URLs ("java\tscript:"), so refuse any white space or control character.
    if not url or any(char.isspace() or ord(char) < 32 or ord(char) == 127 for char in url):
        return None
    try:
        parts = urlsplit(url)
    except ValueError:
        return None
    if parts.scheme.lower() not in _SAFE_SCHEMES or not parts.netloc:
        return None
    return url


def quote_span(citation: Citation) -> tuple[int, int] | None:
    """The (start, end) of the citation's quote within its passage text, or None when there is nothing to mark.

    The stored offsets win when they are in range and agree with `quote`; otherwise the quote is looked up.
    """
    text = citation.passage.text
    start, end = citation.quote_start, citation.quote_end
    in_range = 0 <= start < end <= len(text)
    if in_range and (not citation.quote or text[start:end] == citation.quote):
        return start, end
    if citation.quote:
        found = text.find(citation.quote)
        if found >= 0:
            return found, found + len(citation.quote)
    return (start, end) if in_range else None


def highlight(citation: Citation) -> str:
    """The passage text, escaped, with the quote wrapped in `<mark>`."""
    text = citation.passage.text
    span = quote_span(citation)
    if span is None:
        return escape(text)
    start, end = span
    return f"{escape(text[:start])}<mark>{escape(text[start:end])}</mark>{escape(text[end:])}"


def render_citation(citation: Citation) -> str:
    """One cited passage: `[n] title`, a line with source, link, date and page, then the highlighted text."""
    passage = citation.passage
    title = passage.title.strip() or "(untitled)"
    details: list[str] = []
    url = safe_url(passage.url)
    if passage.source and passage.source != passage.url:
        details.append(escape(passage.source))
    if url is not None:
        details.append(f'<a href="{escape(url)}" target="_blank" rel="noopener noreferrer nofollow">{escape(url)}</a>')
    if passage.published:
        details.append(f"published {escape(passage.published)}")
    if passage.page is not None:
        details.append(f"page {escape(passage.page)}")
    detail_line = f'<div style="{MUTED}">{" · ".join(details)}</div>' if details else ""
    return (
        f'<div class="rag-source" data-number="{escape(citation.number)}" style="margin:0 0 0.9em 0">'
        f"<div><strong>[{escape(citation.number)}] {escape(title)}</strong></div>"
        f"{detail_line}"
        f'<blockquote style="{_QUOTE_STYLE}">{highlight(citation)}</blockquote>'
        "</div>"
    )


def search_query_note(answer: Answer) -> str:
    """A muted line with the stand-alone search query, when it differs from the question as asked."""
    query = answer.search_query.strip()
    if not query or normalise_text(query).casefold() == normalise_text(answer.question).casefold():
        return ""
    return f'<p class="rag-search-query" style="{MUTED}">Searched for: <em>{escape(query)}</em></p>'


def render_sources(answer: Answer) -> str:
    """HTML of the passages an answer cites, numbered like the `[n]` markers in its text.

    A refused answer shows the refusal text and no sources. Every article- or model-derived string is escaped.
    """
    parts = ['<div class="rag-sources">', search_query_note(answer)]
    if answer.refused:
        refusal = answer.text.strip() or CANNOT_ANSWER
        parts.append(f'<p class="rag-refused" style="{MUTED}">{escape(refusal)}</p>')
    elif not answer.citations:
        parts.append(f'<p style="{MUTED}">No passages cited.</p>')
    else:
        parts.append("<p><strong>Sources</strong></p>")
        parts.extend(render_citation(citation) for citation in sorted(answer.citations, key=lambda c: c.number))
    parts.append("</div>")
    return "".join(parts)


def render_notice(message: str, *, error: bool = False) -> str:
    """A short status message (escaped) for the sources panel."""
    style = "color:#b42318" if error else MUTED
    return f'<p class="rag-notice" style="{style}">{escape(message)}</p>'


def render_stats(stats: Mapping[str, Any]) -> str:
    """The one-line header: article and passage counts, model names, index folder and generation."""

    def number(key: str) -> str:
        value = stats.get(key)
        return f"{value:,}" if isinstance(value, int) and not isinstance(value, bool) else escape(value or "?")

    parts = [f"<strong>{number('articles')}</strong> articles", f"<strong>{number('passages')}</strong> passages"]
    for key, label in (("embedder", "embedder"), ("llm", "LLM"), ("index", "index")):
        if stats.get(key):
            parts.append(f"{label}: <code>{escape(stats[key])}</code>")
    if stats.get("generation") is not None:
        parts.append(f"generation {escape(stats['generation'])}")
    return f'<div class="rag-stats" style="{MUTED}">{" · ".join(parts)}</div>'


def chat_text(text: str) -> str:
    """Text for a Chatbot message, which Gradio renders as Markdown with HTML allowed.

    Escaping `<`, `>` and `&` keeps tags from rendering; turning `[` and `]` into entities keeps Markdown links and
    images (`[x](url)`, `![](url)`) from forming while `[1]` still reads as `[1]`.
    """
    return html.escape(text, quote=False).replace("[", "&#91;").replace("]", "&#93;")
