"""HTML for the UI: the cited passages, the index statistics line and chat text. Pure functions, no gradio.

Everything that comes from an article (title, source, url, date, text) or from the language model is untrusted.
It is escaped with `html.escape` before it reaches any markup, and only absolute http(s) URLs become links, so an
article holding `<script>`, `<img onerror=...>` or a `javascript:` URL cannot run anything in the browser.
"""

from __future__ import annotations

import html
import re
from collections.abc import Mapping, Sequence
from itertools import pairwise
from typing import Any

from rag.answer.prompts import CANNOT_ANSWER
from rag.follow import Followed
from rag.instructions import gaps_closed
from rag.records import Answer, Citation, Passage, kind_mark, normalise_text, reported_by_text, safe_url

MUTED = "opacity:0.7;font-size:0.85em"
"""Inline style for secondary lines (inline so the HTML looks the same wherever it is embedded)."""

_QUOTE_STYLE = "margin:0.35em 0 0 0;padding:0.2em 0 0.2em 0.8em;border-left:3px solid #bbb;white-space:pre-wrap"


def escape(value: object) -> str:
    """Escape any value for use as HTML text or inside a double-quoted attribute."""
    return html.escape(str(value), quote=True)


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


def marked_spans(citation: Citation) -> list[tuple[int, int]]:
    """Every span to mark: the citation's quoted sentences (`spans`) when valid, else its single quote span. Never
    a table's header row repeated at the top of the passage (`Passage.repeated`): it is not the text cited there.

    >>> table = Passage("a", "T", "a.md", "", "Year | Fines\\n\\n2022 | 15", 40, 49)
    >>> marked_spans(Citation(1, table, quote_start=0, quote_end=23))
    [(14, 23)]
    >>> marked_spans(Citation(1, table, quote_start=0, quote_end=12))
    []
    """
    text = citation.passage.text
    spans = sorted((start, end) for start, end in citation.spans
                   if citation.passage.repeated <= start < end <= len(text))
    if spans and all(previous[1] <= following[0] for previous, following in pairwise(spans)):
        return spans
    span = quote_span(citation)
    if span is None or span[1] <= citation.passage.repeated:
        return []
    return [(max(span[0], citation.passage.repeated), span[1])]  # a quote running on from the header: its rows only


def highlight(citation: Citation) -> str:
    """The passage text, escaped, with each quoted sentence wrapped in `<mark>`; the spaces of a sentence left out at
    indexing closed up (`gaps_closed`: the marks are placed by offsets into the stored text first).

    >>> passage = Passage("a", "T", "s", "", "It reopened.             It cost 2 million.", 0, 43)
    >>> highlight(Citation(1, passage, spans=((25, 43),)))
    'It reopened. <mark>It cost 2 million.</mark>'
    """
    text = citation.passage.text
    pieces = []
    cursor = 0
    for start, end in marked_spans(citation):
        pieces.append(f"{escape(gaps_closed(text[cursor:start]))}<mark>{escape(gaps_closed(text[start:end]))}</mark>")
        cursor = end
    pieces.append(escape(gaps_closed(text[cursor:])))
    return "".join(pieces)


def render_citation(citation: Citation, anchor: str = "rag-source-") -> str:
    """One cited passage: `[n] title`, a line with source, link, date and page, then the highlighted text.

    The passage's element id is `anchor` + n, the target of the `[n]` links made by `chat_answer`.
    """
    passage = citation.passage
    title = passage.title.strip() or "(untitled)"
    details: list[str] = []
    url = safe_url(passage.url)
    if passage.source and passage.source != passage.url:
        details.append(escape(passage.source))
    if url:
        details.append(f'<a href="{escape(url)}" target="_blank" rel="noopener noreferrer nofollow">{escape(url)}</a>')
    if passage.published:
        details.append(f"published {escape(passage.published[:10])}")
    if passage.page is not None:
        details.append(f"page {escape(passage.page)}")
    detail_line = f'<div style="{MUTED}">{" · ".join(details)}</div>' if details else ""
    return (
        f'<div class="rag-source" id="{escape(anchor)}{escape(citation.number)}" '
        f'data-number="{escape(citation.number)}" style="margin:0 0 0.9em 0">'
        f"<div><strong>[{escape(citation.number)}] {escape(title)}</strong>{escape(kind_mark(citation))}</div>"
        f"{detail_line}"
        f'<blockquote style="{_QUOTE_STYLE}">{highlight(citation)}</blockquote>'
        f"{render_same_story(citation)}"
        "</div>"
    )


def render_same_story(citation: Citation) -> str:
    """"reported by Maplewood Gazette, Lenn Valley Herald +2" under a citation that stands for a story several
    outlets reported, then each other report as a closed `<details>` the reader opens (outlet, title, date, link,
    passage). Empty for a story one article tells.

    >>> one = Passage("a", "Footbridge reopens", "Maplewood Gazette", "", "It reopened.", 0, 12)
    >>> other = Passage("b", "Walkers return", "Lenn Valley Herald", "", "Walkers <b>returned</b>.", 0, 24)
    >>> html_text = render_same_story(Citation(1, one, same_story=(other,)))
    >>> "reported by Maplewood Gazette, Lenn Valley Herald" in html_text, "&lt;b&gt;returned" in html_text
    (True, True)
    """
    if not citation.same_story:
        return ""
    reports = "".join(_render_report(passage) for passage in citation.same_story)
    return (f'<div class="rag-same-story"><div style="{MUTED}">{escape(reported_by_text(citation.reported_by))}'
            f"</div>{reports}</div>")


def _render_report(passage: Passage) -> str:
    details = [escape(passage.title.strip() or "(untitled)")]
    if passage.published:
        details.append(f"published {escape(passage.published[:10])}")
    url = safe_url(passage.url)
    link = (f' · <a href="{escape(url)}" target="_blank" rel="noopener noreferrer nofollow">{escape(url)}</a>'
            if url else "")
    return (f'<details class="rag-report" style="margin:0.2em 0 0 0.8em"><summary style="{MUTED}">'
            f"{escape(passage.source)}: {' · '.join(details)}</summary>"
            f'<div style="{MUTED}">{escape(passage.location)}{link}</div>'
            f'<blockquote style="{_QUOTE_STYLE}">{escape(gaps_closed(passage.text))}</blockquote></details>')


def search_query_note(answer: Answer) -> str:
    """A muted line with the stand-alone search query, when it differs from the question as asked, and one with
    the period read from the question's time phrase, when it has one."""
    query = answer.search_query.strip()
    period = (f'<p class="rag-period" style="{MUTED}">Period read: {escape(answer.period.describe())}</p>'
              if answer.period else "")
    if not query or normalise_text(query).casefold() == normalise_text(answer.question).casefold():
        return period
    return f'<p class="rag-search-query" style="{MUTED}">Searched for: <em>{escape(query)}</em></p>{period}'


def render_sources(answer: Answer, anchor: str = "rag-source-") -> str:
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
        parts.extend(render_citation(citation, anchor) for citation in sorted(answer.citations, key=lambda c: c.number))
    parts.append("</div>")
    return "".join(parts)


def answer_plain_text(answer: Answer) -> str:
    """The answer as plain text, for the clipboard (the chat's copy buttons): its text with the `[n]` markers, the
    period read from a time phrase, then each cited source (title; outlet, date, page and link; the outlets of the
    same story; the quoted sentences the panel highlights, else the passage). No markup: pasted into an e-mail, it
    reads as it did on the page. A refusal is its text alone.

    >>> passage = Passage("a", "Footbridge <reopens>", "Maplewood Gazette", "https://gazette.example/b",
    ...                   "Crowds came. It reopened in May.", 0, 32, published="2026-05-02T09:00:00Z")
    >>> cited = Citation(1, passage, "It reopened in May.", 13, 32)
    >>> print(answer_plain_text(Answer("When?", "It reopened in May [1].", (cited,))))
    It reopened in May [1].
    <BLANKLINE>
    Sources:
    [1] Footbridge <reopens>
        Maplewood Gazette · 2026-05-02 · https://gazette.example/b
        "It reopened in May."
    """
    if answer.refused:
        return answer.text.strip() or CANNOT_ANSWER
    lines = [answer.text.strip()]
    if answer.period:
        lines += ["", f"Period read: {answer.period.describe()}"]
    if answer.citations:
        lines += ["", "Sources:"]
    for citation in sorted(answer.citations, key=lambda cited: cited.number):
        lines += citation_plain_lines(citation)
    return "\n".join(lines)


def citation_plain_lines(citation: Citation) -> list[str]:
    """One cited source as plain text lines: `[n] title`, then indented its details and quoted evidence.

    >>> passage = Passage("a", "", "notes.md", "javascript:alert(1)", "Line one.\\n  Line two.", 0, 20, page=3)
    >>> citation_plain_lines(Citation(2, passage))
    ['[2] (untitled)', '    notes.md · page 3', '    "Line one. Line two."']
    """
    passage = citation.passage
    details = [passage.source] if passage.source and passage.source != passage.url else []
    if passage.published:
        details.append(passage.published[:10])
    if passage.page is not None:
        details.append(f"page {passage.page}")
    if safe_url(passage.url):  # only what the panel would link: a "javascript:" address is not passed on either
        details.append(safe_url(passage.url))
    lines = [f"[{citation.number}] {' '.join(passage.title.split()) or '(untitled)'}{kind_mark(citation)}"]
    if details:
        lines.append("    " + " · ".join(details))
    if citation.same_story:
        lines.append("    " + reported_by_text(citation.reported_by))
    quoted = [" ".join(passage.text[start:end].split()) for start, end in marked_spans(citation)]
    for quote in [text for text in quoted if text] or [" ".join(passage.text.split())]:
        lines.append(f'    "{quote}"')
    return lines


def conversation_plain_text(turns: Sequence[tuple[str, str]]) -> str:
    """A whole conversation as plain text, for the clipboard: each (question, reply) pair, the reply as
    `answer_plain_text` gives it (sources included), one blank line between turns.

    >>> print(conversation_plain_text([("When?", "In May [1]."), ("Why?", "Repairs.")]))
    Question: When?
    Answer: In May [1].
    <BLANKLINE>
    Question: Why?
    Answer: Repairs.
    """
    return "\n\n".join(f"Question: {question}\nAnswer: {reply}" for question, reply in turns)


def render_follows(follows: Sequence[Followed], last_visit: str = "") -> str:
    """The "Followed" panel: each followed question with its latest answer, the ones whose answer changed after
    `last_visit` (an ISO time; "" for a first visit, when every change is new) first and marked, with what they
    said before and the articles the new answer cites (links only to http(s) pages).

    >>> from rag.follow import Followed, FollowedAnswer
    >>> old = FollowedAnswer("2026-03-01T00:00:00Z", "Closed.")
    >>> new = FollowedAnswer("2026-03-15T00:00:00Z", "Reopened <b>today</b>.", ("c",))
    >>> html_text = render_follows([Followed("f-1", "Is it open?", "2026-03-01T00:00:00Z", (old, new))],
    ...                            "2026-03-10T00:00:00Z")
    >>> "1 changed since your last visit" in html_text, "&lt;b&gt;today" in html_text
    (True, True)
    """
    if not follows:
        return (f'<div class="rag-follows"><p style="{MUTED}">No question is followed on this index yet '
                "(<code>rag follow add \"...\"</code>).</p></div>")

    def changed(followed: Followed) -> bool:
        return len(followed.answers) > 1 and followed.answers[-1].asked > last_visit

    fresh = [followed for followed in follows if changed(followed)]
    since = f" ({escape(last_visit[:10])})" if last_visit else ""
    head = (f"<strong>{len(fresh)} changed since your last visit{since}</strong>" if fresh
            else f'<span style="{MUTED}">Nothing changed since your last visit{since}.</span>')
    parts = [f'<div class="rag-follows"><p class="rag-follows-head">{head}</p>']
    for followed in [*fresh, *(followed for followed in follows if not changed(followed))]:
        latest = followed.latest
        new = changed(followed)
        mark = ('<span class="rag-follow-new" style="background:#fff3bf;padding:0 0.3em;border-radius:3px">'
                "changed</span> " if new else "")
        parts.append(f'<div class="rag-follow" style="margin:0.6em 0">{mark}<strong>{escape(followed.question)}'
                     "</strong>")
        if latest is None:
            parts.append(f'<p style="{MUTED}">Not answered yet.</p></div>')
            continue
        parts.append(f'<p style="{MUTED}">{escape(latest.asked[:10])} · {len(followed.answers)} answer(s)</p>'
                     f'<p style="{_QUOTE_STYLE}">{escape(latest.text)}</p>')
        links = []
        for source in latest.sources:
            name = escape(f"{source.get('source', '')}: {source.get('title', '')}")
            url = safe_url(source.get("url", ""))
            links.append(f'<a href="{escape(url)}" target="_blank" rel="noopener noreferrer">{name}</a>' if url
                         else name)
        if links:
            parts.append(f'<p style="{MUTED}">{" · ".join(links)}</p>')
        if new and len(followed.answers) > 1:
            parts.append(f'<p style="{MUTED}">Before: {escape(followed.answers[-2].text)}</p>')
        parts.append("</div>")
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
    images (`[x](url)`, `![](url)`) from forming while `[1]` still reads as `[1]`. A bare address an article gives
    ("visit http://evil.example/login to claim a refund") is shown, not made a link: the ":" of its scheme, the "."
    after "www" and an e-mail's "@" are entities, which Markdown's autolinks do not read.

    >>> chat_text("See http://evil.example/x or www.evil.example, or write to a@b.example [1].")
    'See http&#58;//evil.example/x or www&#46;evil.example, or write to a&#64;b.example &#91;1&#93;.'
    """
    escaped = html.escape(text, quote=False).replace("[", "&#91;").replace("]", "&#93;")
    escaped = _SCHEME.sub(lambda match: f"{match[1]}&#58;", escaped)
    return _WWW.sub(lambda match: f"{match[1]}&#46;", escaped).replace("@", "&#64;")


_SCHEME = re.compile(r"\b([a-z][a-z0-9+.-]*):(?=//)", re.IGNORECASE)
_WWW = re.compile(r"\b(www)\.", re.IGNORECASE)


def chat_answer(text: str, anchor: str = "rag-source-") -> str:
    """`chat_text` of a checked answer, with each `[n]` marker a link to its passage (element id `anchor` + n).

    >>> chat_answer("Reopened in May [2].", "rag-source-1-")
    'Reopened in May <a href="#rag-source-1-2" class="rag-marker">&#91;2&#93;</a>.'
    """
    target = escape(anchor)
    return re.sub(r"&#91;(\d{1,3})&#93;",
                  lambda match: f'<a href="#{target}{match[1]}" class="rag-marker">&#91;{match[1]}&#93;</a>',
                  chat_text(text))


def waiting_text(ahead: int) -> str:
    """What the chat says while a question waits for the model.

    >>> waiting_text(1), waiting_text(0)
    ('Waiting for the model: 1 question ahead of yours…', 'Waiting for the model: yours is next…')
    """
    if ahead <= 0:
        return "Waiting for the model: yours is next…"
    return f"Waiting for the model: {ahead} question{'s' if ahead != 1 else ''} ahead of yours…"


_MODEL_LABELS = (
    ("llm", "LLM"), ("llm_loaded", "loaded model"), ("llm_url", "LLM server"), ("llm_model", "server model"),
    ("llm_format", "prompt format"), ("embedder", "embedder"), ("k", "passages retrieved (k)"),
    ("min_score", "minimum score"), ("context_size", "context window"), ("max_answer_tokens", "longest answer"),
    ("temperature", "temperature"), ("threads", "LLM threads (0 = all cores)"), ("embed_threads", "embedding threads"),
)


def render_model_info(info: Mapping[str, Any]) -> str:
    """The models and answer settings in use, one escaped line each (empty values left out)."""
    lines = []
    for key, label in _MODEL_LABELS:
        value = info.get(key)
        if value in (None, ""):
            continue
        if key == "llm_format" and not info.get("llm_url"):
            continue
        lines.append(f"<div>{escape(label)}: <code>{escape(value)}</code></div>")
    queue = info.get("queue")
    if isinstance(queue, Mapping):
        lines.append(f"<div>generation queue: {escape(queue.get('waiting', 0))} waiting, "
                     f"{escape(queue.get('running', 0))} being answered, "
                     f"{escape(queue.get('workers', 1))} at a time</div>")
    return f'<div class="rag-model" style="{MUTED}">{"".join(lines) or "no model information"}</div>'


def render_index_report(report: Mapping[str, Any]) -> str:
    """The summary of an upload: counts of added, updated, unchanged, duplicate and failed files, the reasons, and the
    notes (read, but worth a look: a guessed encoding, sentences left out as orders to an AI assistant)."""

    def count(key: str) -> int:
        value = report.get(key)
        return len(value) if isinstance(value, (list, tuple)) else int(value or 0)

    counts = ", ".join(f"{name} {count(key)}" for key, name in (
        ("added", "added"), ("updated", "updated"), ("unchanged", "unchanged"), ("duplicates", "duplicates"),
        ("failed", "failed")))
    lines = [f'<p class="rag-upload-summary"><strong>{escape(counts)}</strong></p>']
    if report.get("articles_total") is not None:
        lines.append(f'<p style="{MUTED}">The index now holds {escape(report.get("articles_total"))} articles, '
                     f'{escape(report.get("passages_total", "?"))} passages '
                     f'({escape(report.get("passages_embedded", 0))} passages embedded).</p>')
    for failure in report.get("failed") or []:
        reason = (failure.get("reason") or failure.get("source")) if isinstance(failure, Mapping) else failure
        lines.append(f'<p class="rag-upload-failed" style="color:#b42318">{escape(reason)}</p>')
    for note in report.get("notes") or []:
        text = note.get("note") if isinstance(note, Mapping) else note
        lines.append(f'<p class="rag-upload-note" style="color:#b54708">{escape(text)}</p>')
    return "".join(lines)
