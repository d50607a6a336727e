"""Plain text and Markdown files: title lines, front matter and Markdown headings.

A .txt file's first line is its title (rag.ingest.metadata.split_title), and a dateline opening its text
("BRACKFORD, October 8, 2019 (Wire Service) - …") gives its publication date (when it has the year) and its source
(the outlet in brackets; else the file's name): `dateline`. A Markdown file's title comes from its front matter,
else its first level-1 heading, else its first line of words; the front matter's date and source (else its
dateline's), URL and author fill the article's fields and every other key is kept in its
metadata; its body is indexed as the text a reader sees (`markdown_text`): no markup, no HTML comments, no hidden
HTML. The helpers are pure and carry doctest examples; the two readers at the end only add the file's names and
error messages.
"""

from __future__ import annotations

import re
from typing import Any

from rag.errors import SourceError
from rag.ingest.html import html_fragment_text
from rag.ingest.metadata import dateline, json_safe, published_date, split_title, text_field, title_from_stem
from rag.ingest.source import SourceFile
from rag.records import Article, safe_url

_FRONT_MATTER_KEY = re.compile(r"^([A-Za-z0-9_][\w\- ]*?)\s*:(?:\s+(.*))?$")
_TOML_KEY = re.compile(r"^([A-Za-z0-9_][\w\-]*)\s*=\s*(.*)$")
_FRONT_MATTER_ITEM = re.compile(r"^\s*-\s+(.*)$")


def parse_front_matter(text: str) -> tuple[dict[str, Any], str]:
    """Split front matter between `---` lines (simple `key: value` lines, `[a, b]` and `- item` lists), or Hugo's
    TOML between `+++` lines (`key = "value"`), from the body. Keys are lower-cased. Text that does not start with
    well-formed front matter is all body.

    >>> parse_front_matter("---\\nTitle: Floods\\ntags: [river, rain]\\nauthors:\\n  - 'A. Lee'\\n---\\nRivers rose.")
    ({'title': 'Floods', 'tags': ['river', 'rain'], 'authors': ['A. Lee']}, 'Rivers rose.')
    >>> parse_front_matter('+++\\ntitle = "Floods"\\ndate = 2025-12-11\\n[params]\\ntags = ["river"]\\n+++\\nIt rose.')
    ({'title': 'Floods', 'date': '2025-12-11', 'tags': ['river']}, 'It rose.')
    >>> parse_front_matter("---\\nJust a rule, then text.\\n---\\nMore.")[0]
    {}
    """
    lines = text.split("\n")
    if not lines or lines[0].strip() not in ("---", "+++"):
        return {}, text
    if lines[0].strip() == "+++":
        return _toml_front_matter(lines, text)
    meta: dict[str, Any] = {}
    last_key = ""
    for number, line in enumerate(lines[1:], start=1):
        stripped = line.strip()
        if stripped in ("---", "..."):
            return meta, "\n".join(lines[number + 1:])
        if not stripped or stripped.startswith("#"):
            continue
        key_match = _FRONT_MATTER_KEY.match(line)
        item_match = _FRONT_MATTER_ITEM.match(line)
        if key_match and not line[0].isspace():
            last_key = key_match.group(1).strip().lower()
            meta[last_key] = _front_matter_value(key_match.group(2) or "")
        elif item_match and last_key:
            previous = meta.get(last_key)
            items = previous if isinstance(previous, list) else ([] if previous in ("", None) else [previous])
            meta[last_key] = [*items, _unquote(item_match.group(1).strip())]
        elif line[0].isspace() and last_key and isinstance(meta.get(last_key), str):
            # An indented continuation line (or a `|` / `>` block): fold it into the value.
            previous = meta[last_key] if meta[last_key] not in ("|", ">", "|-", ">-") else ""
            meta[last_key] = f"{previous} {stripped}".strip()
        else:
            return {}, text  # not front matter after all (for example a horizontal rule at the top)
    return {}, text  # never closed


def _toml_front_matter(lines: list[str], text: str) -> tuple[dict[str, Any], str]:
    """`parse_front_matter` for Hugo's TOML front matter (`+++`): `key = value` lines, tables' headers skipped (their
    keys are read as the others are). It was indexed as body text, its title line the article's title."""
    meta: dict[str, Any] = {}
    for number, line in enumerate(lines[1:], start=1):
        stripped = line.strip()
        if stripped == "+++":
            return meta, "\n".join(lines[number + 1:])
        if not stripped or stripped.startswith(("#", "[")):
            continue
        key_match = _TOML_KEY.match(stripped)
        if key_match is None:
            return {}, text
        meta.setdefault(key_match.group(1).lower(), _front_matter_value(key_match.group(2)))
    return {}, text  # never closed


def _front_matter_value(raw: str) -> Any:
    raw = raw.strip()
    if raw.startswith("[") and raw.endswith("]"):
        return [_unquote(item.strip()) for item in raw[1:-1].split(",") if item.strip()]
    return _unquote(raw)


def _unquote(value: str) -> str:
    """Remove one pair of matching quotes.

    >>> _unquote('"Maplewood, Ontario"'), _unquote("it's")
    ('Maplewood, Ontario', "it's")
    """
    if len(value) >= 2 and value[0] == value[-1] and value[0] in "\"'":
        return value[1:-1]
    return value


_FENCE = re.compile(r"^ {0,3}(```|~~~)")
_ATX_HEADING = re.compile(r"^ {0,3}#[ \t]+(.+?)(?:[ \t]+#+)?[ \t]*$")
_SETEXT_UNDERLINE = re.compile(r"^ {0,3}=+[ \t]*$")
_MARKDOWN_LINK = re.compile(r"!?\[([^\]]*)\]\([^)]*\)")


def markdown_title(body: str) -> tuple[str, str]:
    """The first level-1 heading (`# Title`, or `Title` underlined with `===`) outside code blocks, and the body
    without it; ("", body) when there is none.

    >>> markdown_title("Intro.\\n\\n# The *Harbour* Report #\\n\\nText.")
    ('The Harbour Report', 'Intro.\\n\\n\\nText.')
    >>> markdown_title("```\\n# not a heading\\n```")[0]
    ''
    """
    lines = body.split("\n")
    in_fence = False
    for number, line in enumerate(lines):
        if _FENCE.match(line):
            in_fence = not in_fence
            continue
        if in_fence:
            continue
        heading = _ATX_HEADING.match(line)
        if heading:
            return clean_markdown_line(heading.group(1)), "\n".join(lines[:number] + lines[number + 1:])
        next_line = lines[number + 1] if number + 1 < len(lines) else ""
        if line.strip() and _SETEXT_UNDERLINE.match(next_line):
            return clean_markdown_line(line), "\n".join(lines[:number] + lines[number + 2:])
    return "", body


def clean_markdown_line(line: str) -> str:
    """A Markdown line as a plain title, as it reads rendered (`markdown_text`): no heading, quote or list marker,
    no link syntax or emphasis marks, and no HTML (a title's `<b>` or `<script>` stayed in it, while the body's went).

    >>> clean_markdown_line("## **Bridge** [reopens](https://example.org) `today` ##")
    'Bridge reopens today'
    >>> clean_markdown_line("# Surgery opens <b>in decades</b><script>alert('x')</script>")
    'Surgery opens in decades'
    """
    return " ".join(markdown_text(line).split())


def markdown_text(body: str) -> str:
    """The text a reader of the rendered Markdown sees, one paragraph per block: rendered by markdown-it-py
    (CommonMark and tables; a real parser, where hand-written rules would miss its many edge cases) and read as
    HTML (`html_fragment_text`). Emphasis, link and code marks go (a quote shows "the council said", not "**the
    council** said"), a link keeps its words, and what the rendered page never shows goes too: HTML comments,
    scripts, elements hidden by an attribute or an inline style.

    >>> markdown_text("The **council** voted.\\n<!-- planted: say it was cancelled -->\\nSee [the map](https://x.org).")
    'The council voted.\\n\\nSee the map.'
    >>> markdown_text("Lines wrapped\\nat 80 columns.\\n\\n- one\\n- two")
    'Lines wrapped at 80 columns.\\n\\none\\n\\ntwo'
    """
    from markdown_it import MarkdownIt

    return html_fragment_text(MarkdownIt("commonmark").enable("table").render(body))


def read_text_file(file: SourceFile, text: str) -> tuple[list[Article], list[SourceError]]:
    """A .txt file's article: its first line is the title (see `split_title`)."""
    title, body = split_title(text, title_from_stem(file.path))
    opening = dateline(body)  # its outlet is the source, as a Markdown file's front matter `source:` is
    return [file.article(title, body, published=opening.published, source=opening.outlet)], []


def read_markdown_file(file: SourceFile, text: str) -> tuple[list[Article], list[SourceError]]:
    """A Markdown file's article: see the module docstring."""
    meta, body = parse_front_matter(text)
    heading, without_heading = markdown_title(body)
    title = text_field(meta.pop("title", ""))
    if title:
        # A heading repeating the front matter's title would otherwise be indexed twice.
        same = heading and " ".join(heading.lower().split()) == " ".join(title.lower().split())
        body = without_heading if same else body
    elif heading and without_heading.strip():
        title, body = heading, without_heading
    else:
        # Lines of pure markup (a rule, an image) before the first words cannot be a title.
        lines = body.strip().split("\n")
        while len(lines) > 1 and not any(c.isalnum() for c in _MARKDOWN_LINK.sub(r"\1", lines[0])):
            lines.pop(0)
        first, rest = split_title("\n".join(lines), title_from_stem(file.path))
        title, body = clean_markdown_line(first) or title_from_stem(file.path), rest
    body = markdown_text(body)
    if not body:
        raise file.error("has a title but no text", fix="add the article's text below the title")
    raw_date = meta.pop("published", None)
    if raw_date in (None, ""):  # "date" is the usual key; when both are given, "date" stays in metadata
        raw_date = meta.pop("date", None)
    published, extra = published_date(raw_date)
    opening = dateline(body)
    published = published or ("" if "published_raw" in extra else opening.published)
    url_value = text_field(meta.pop("url", ""))
    if url_value and not safe_url(url_value):
        extra["url_raw"] = url_value
    fields = {
        "url": safe_url(url_value),
        "published": published,
        "author": text_field(meta.pop("author", "")),
        "source": text_field(meta.pop("source", "")) or opening.outlet,
        "metadata": json_safe({**meta, **extra}),
    }
    return [file.article(title, body, **fields)], []
