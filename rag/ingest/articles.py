"""Reading articles from files and feeds: plain text, Markdown, HTML, JSON, JSON Lines and PDF.

Every reader produces `Article` records holding plain text only (no markup, no script), with line endings
normalised to "\\n", a title, a date normalised to ISO 8601 when one can be parsed, and an id that stays the same
when an unchanged file is read again. A file that cannot be read raises `SourceError` naming the file, what is
wrong and what to do; `read_sources` reports it and goes on with the next file. In a feed, a bad record is a
problem for that record only: the other records are still read.

The helpers at the top are pure (bytes or strings in, strings out) and carry doctest examples; the readers below
them only add file handling and error messages.
"""

from __future__ import annotations

import codecs
import dataclasses
import datetime as dt
import json
import logging
import os
import re
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from rag.errors import SourceError
from rag.records import Article, content_hash

SUPPORTED_SUFFIXES: frozenset[str] = frozenset({".txt", ".md", ".markdown", ".html", ".htm", ".json", ".jsonl", ".pdf"})

# Metadata key holding the encoding of a file that was not UTF-8 and declared no encoding: it was guessed.
GUESSED_ENCODING_KEY = "encoding_guessed"

MAX_FILE_ENV = "RAG_MAX_FILE_MB"
DEFAULT_MAX_FILE_MB = 50
MEGABYTE = 1024 * 1024

# A first line longer than this is a paragraph, not a title: the file then has no title line, and its first
# paragraph must stay in the text so that it can be retrieved and cited.
MAX_TITLE_CHARS = 200

# Only the start of a file is searched for NUL bytes: text never has them, binary formats almost always do early.
BINARY_SNIFF_BYTES = 8192

# Keys of a JSON object that hold the list of records, in the order they are tried.
RECORD_LIST_KEYS = ("articles", "items", "records", "entries", "data")
TEXT_KEYS = ("text", "content", "body")
URL_KEYS = ("url", "link")
DATE_KEYS = ("published", "date")

logger = logging.getLogger(__name__)


def _max_file_bytes(environ: Mapping[str, str]) -> int:
    """The size limit in bytes: `RAG_MAX_FILE_MB` megabytes when set to a positive number, else 50 MB.

    >>> _max_file_bytes({"RAG_MAX_FILE_MB": "2"})
    2097152
    >>> _max_file_bytes({}) == 50 * 1024 * 1024
    True
    """
    raw = environ.get(MAX_FILE_ENV, "").strip()
    if raw:
        try:
            megabytes = float(raw)
        except ValueError:
            megabytes = 0.0
        if megabytes > 0:
            return int(megabytes * MEGABYTE)
        # Not an error at import time: that would break every command, including the ones that read no file.
        logger.warning("%s=%r is not a positive number of megabytes; using %s MB", MAX_FILE_ENV, raw,
                       DEFAULT_MAX_FILE_MB)
    return DEFAULT_MAX_FILE_MB * MEGABYTE


MAX_FILE_BYTES: int = _max_file_bytes(os.environ)


# ---------------------------------------------------------------------------------------------------------------
# Pure helpers: decoding, titles, front matter, dates, URLs and HTML to text.
# ---------------------------------------------------------------------------------------------------------------


class NotTextError(ValueError):
    """Bytes that do not decode to text (the caller turns this into a SourceError naming the file)."""


# Longest first: the UTF-32 little-endian mark starts with the UTF-16 one.
_BYTE_ORDER_MARKS = (
    (codecs.BOM_UTF32_LE, "utf-32"),
    (codecs.BOM_UTF32_BE, "utf-32"),
    (codecs.BOM_UTF8, "utf-8-sig"),
    (codecs.BOM_UTF16_LE, "utf-16"),
    (codecs.BOM_UTF16_BE, "utf-16"),
)
# Encodings that charset_normalizer often ties with others on short Western text; the first that ties wins.
_WESTERN_ENCODINGS = ("cp1252", "latin_1", "iso8859_15")
_CONTROL_CHARACTERS = re.compile(r"[\x00-\x08\x0e-\x1f\x7f-\x9f]")


def decode_text(data: bytes, declared_encoding: str = "") -> str:
    """Decode a file's bytes: a byte order mark wins, then UTF-8, then the declared encoding, then detection.
    Line endings become "\\n". Raises NotTextError for binary data.

    >>> decode_text(b"\\xef\\xbb\\xbfCaf\\xc3\\xa9\\r\\nopens")
    'Café\\nopens'
    >>> decode_text("Le café coûte 5 €.".encode("cp1252"))
    'Le café coûte 5 €.'
    >>> decode_text("Rivers rose.".encode("utf-16"))
    'Rivers rose.'
    >>> try:
    ...     decode_text(b"PK\\x03\\x04\\x00\\x00")
    ... except NotTextError as error:
    ...     print(error)
    it holds NUL bytes
    """
    return decode_text_guessing(data, declared_encoding)[0]


def decode_text_guessing(data: bytes, declared_encoding: str = "") -> tuple[str, str]:
    """`decode_text`, and the encoding it had to guess ("" when a byte order mark, UTF-8 or the declared
    encoding decoded it), so that a guess can be reported.

    >>> decode_text_guessing("Le café coûte 5 €.".encode("cp1252"))
    ('Le café coûte 5 €.', 'cp1252')
    >>> decode_text_guessing("Le café".encode("utf-8"))
    ('Le café', '')
    """
    text = None
    guessed = ""
    for mark, encoding in _BYTE_ORDER_MARKS:
        if data.startswith(mark):
            try:
                text = data.decode(encoding)
            except UnicodeDecodeError as error:
                raise NotTextError(f"it starts with a {encoding} byte order mark but does not decode") from error
            text = text.lstrip("\ufeff")
            break
    if text is None:
        if b"\x00" in data[:BINARY_SNIFF_BYTES]:
            raise NotTextError("it holds NUL bytes")
        text, guessed = _decode_without_mark(data, declared_encoding)
    sample = text[:BINARY_SNIFF_BYTES]
    if sample and len(_CONTROL_CHARACTERS.findall(sample)) > len(sample) // 20:
        raise NotTextError("more than 5% of its characters are control characters")
    return normalise_newlines(text), guessed


def _decode_without_mark(data: bytes, declared_encoding: str) -> tuple[str, str]:
    """The text, and the encoding name when it was guessed rather than UTF-8 or declared."""
    try:
        return data.decode("utf-8"), ""
    except UnicodeDecodeError:
        pass
    if declared_encoding:
        try:
            return data.decode(declared_encoding), ""
        except (LookupError, UnicodeDecodeError):
            pass  # a wrong declaration is common; detection below may still succeed
    from charset_normalizer import from_bytes

    matches = list(from_bytes(data))
    if matches:
        best = matches[0]
        # On short text every single-byte encoding looks equally plausible; Western European is the likeliest.
        for match in matches:
            if match.encoding in _WESTERN_ENCODINGS and (match.chaos, match.coherence) == (best.chaos, best.coherence):
                return str(match), match.encoding
        if best.coherence > 0:
            return str(best), best.encoding
    western = _decode_western(data)
    if western is not None:
        return western, "cp1252"
    if matches:
        return str(matches[0]), matches[0].encoding
    raise NotTextError("it does not decode as text in any known encoding")


def _decode_western(data: bytes) -> str | None:
    """cp1252 when the result reads like Western text: mostly ASCII letters with a few accented ones."""
    try:
        text = data.decode("cp1252")
    except UnicodeDecodeError:
        return None
    letters = [character for character in text[:65536] if character.isalpha()]
    accented = sum(1 for character in letters if not character.isascii())
    return text if letters and accented * 4 <= len(letters) else None


def normalise_newlines(text: str) -> str:
    r"""Windows and old Mac line endings become "\n".

    >>> normalise_newlines("a\r\nb\rc\n")
    'a\nb\nc\n'
    """
    return text.replace("\r\n", "\n").replace("\r", "\n")


def title_from_stem(path: Path) -> str:
    """A readable title made from a file name, for files that have no title of their own.

    >>> title_from_stem(Path("notes/river_flood-report.txt"))
    'river flood report'
    """
    return " ".join(re.split(r"[\s_\-]+", path.stem)).strip() or path.name


def split_title(text: str, fallback: str) -> tuple[str, str]:
    """Title = the first non-empty line, text = the rest. A text of one line keeps that line and takes the
    fallback title, and so does a text whose first line is too long to be a title.

    >>> split_title("\\nFloods in the valley\\n\\nRivers rose by 2 m.", "x")
    ('Floods in the valley', 'Rivers rose by 2 m.')
    >>> split_title("Rivers rose by 2 m.", "river report")
    ('river report', 'Rivers rose by 2 m.')
    """
    text = text.strip()
    first, _, rest = text.partition("\n")
    first, rest = first.strip(), rest.strip()
    if not rest or len(first) > MAX_TITLE_CHARS:
        return fallback, text
    return first, rest


_FRONT_MATTER_KEY = re.compile(r"^([A-Za-z0-9_][\w\- ]*?)\s*:(?:\s+(.*))?$")
_FRONT_MATTER_ITEM = re.compile(r"^\s*-\s+(.*)$")


def parse_front_matter(text: str) -> tuple[dict[str, Any], str]:
    """Split front matter between `---` lines (simple `key: value` lines, `[a, b]` and `- item` lists) from the
    body. Keys are lower-cased. Text that does not start with well-formed front matter is all body.

    >>> parse_front_matter("---\\nTitle: Floods\\ntags: [river, rain]\\nauthors:\\n  - 'A. Lee'\\n---\\nRivers rose.")
    ({'title': 'Floods', 'tags': ['river', 'rain'], 'authors': ['A. Lee']}, 'Rivers rose.')
    >>> parse_front_matter("---\\nJust a rule, then text.\\n---\\nMore.")[0]
    {}
    """
    lines = text.split("\n")
    if not lines or lines[0].strip() != "---":
        return {}, text
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
_MARKDOWN_LINE_PREFIX = re.compile(r"^\s{0,3}(?:#{1,6}\s+|>\s*|[-*+]\s+)")
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
    """A Markdown line as a plain title: no heading, quote or list marker, no link syntax, no emphasis marks.

    >>> clean_markdown_line("## **Bridge** [reopens](https://example.org) `today` ##")
    'Bridge reopens today'
    """
    line = _MARKDOWN_LINE_PREFIX.sub("", line.strip()).rstrip("#").strip()
    line = _MARKDOWN_LINK.sub(r"\1", line)
    line = re.sub(r"(\*\*|__|\*|`)", "", line)
    return " ".join(line.split())


def normalise_date(value: str) -> str:
    """An ISO 8601 date, or date and time when the value has a time; "" when it is not a complete date.

    >>> normalise_date("14 March 2026")
    '2026-03-14'
    >>> normalise_date("2026-03-14T09:30:00+01:00")
    '2026-03-14T09:30:00+01:00'
    >>> normalise_date("Sat, 14 Mar 2026 09:30:00 GMT")
    '2026-03-14T09:30:00+00:00'
    >>> normalise_date("March 2026"), normalise_date("next week")
    ('', '')
    """
    from dateutil import parser

    value = value.strip()
    if not value or len(value) > 64:  # dates are short; long strings are prose that dateutil could misread
        return ""
    try:
        # Parsing with two different defaults tells which fields the value really holds.
        first = parser.parse(value, default=dt.datetime(2000, 1, 1, 0, 0, 0))
        second = parser.parse(value, default=dt.datetime(2004, 2, 2, 1, 1, 1))
    except (ValueError, OverflowError, TypeError):
        return ""
    if first.date() != second.date():
        return ""
    if first.hour != second.hour:
        return first.date().isoformat()
    return first.isoformat()


def safe_url(value: str) -> str:
    """The URL when it is an absolute http(s) URL, else "" (a `javascript:` link must never reach a citation).

    >>> safe_url(" https://gazette.example/a?b=1 "), safe_url("javascript:alert(1)"), safe_url("/relative")
    ('https://gazette.example/a?b=1', '', '')
    """
    value = value.strip()
    if re.match(r"^https?://[^\s/?#]+", value, re.IGNORECASE) and not re.search(r"[\s<>\"]", value):
        return value
    return ""


# Tags that never hold article text; their whole subtree is dropped.
_NOISE_TAGS = frozenset(
    "script style nav footer header aside form noscript template iframe object embed svg math canvas button select "
    "input textarea label dialog menu audio video picture source track map head title meta link base".split()
)
_NOISE_ROLES = frozenset({"navigation", "banner", "contentinfo", "complementary", "search", "dialog", "menu"})
# The same noise for trafilatura, pruned before it looks for the main text (its own heuristics keep <noscript>
# messages, for example). Head elements are left alone: the metadata is read from them.
_NOISE_XPATHS = [
    *(f"//body//{tag}" for tag in sorted(_NOISE_TAGS - {"head", "title", "meta", "link", "base"})),
    "//body//*[@hidden]",
    *(f"//body//*[@role='{role}']" for role in sorted(_NOISE_ROLES)),
]
_BLOCK_TAGS = frozenset(
    "p div section article main h1 h2 h3 h4 h5 h6 li ul ol dl dt dd blockquote pre table thead tbody tfoot tr "
    "figure figcaption address hr details summary caption center fieldset".split()
)
_HTML_TAG = re.compile(
    r"</?(?:html|head|body|p|div|span|br|hr|a|b|i|u|em|strong|small|sub|sup|h[1-6]|ul|ol|li|dl|dt|dd|table|thead|"
    r"tbody|tr|td|th|img|figure|figcaption|blockquote|pre|code|article|section|main|header|footer|nav|aside|"
    r"script|style|iframe|form|meta|link|title|noscript|svg|font|center|time|mark|abbr|cite|q|s|del|ins)"
    r"(?:\s[^<>]*)?/?>",
    re.IGNORECASE,
)


def looks_like_html(text: str) -> bool:
    """True when the text holds HTML tags (not merely a "<" in prose).

    >>> looks_like_html("<p>Rivers <b>rose</b>.</p>"), looks_like_html("if a < b and c > d")
    (True, False)
    """
    return _HTML_TAG.search(text) is not None


def html_fragment_text(html: str) -> str:
    """The readable text of an HTML document or fragment, one paragraph per block, without scripts, styles,
    navigation, headers, footers, asides or forms.

    >>> html_fragment_text('<nav>Home</nav><p>Rivers <b>rose</b>.<script>alert(1)</script></p><p>Then fell.</p>')
    'Rivers rose.\\n\\nThen fell.'
    """
    root = _parse_html(html)
    if root is None:
        return ""
    for selector in ("article", "main", "body"):
        found = root if root.tag == selector else root.find(f".//{selector}")
        text = _element_text(found) if found is not None else ""
        if text:
            return text
    return _element_text(root)


def _parse_html(html: str) -> Any:
    import lxml.html
    from lxml.etree import ParserError

    # lxml refuses str input that carries an XML encoding declaration; the text is already decoded.
    html = re.sub(r"^\s*<\?xml[^>]*\?>", "", html)
    if not html.strip():
        return None
    try:
        return lxml.html.fromstring(f"<div>{html}</div>" if not re.search(r"<(html|body)\b", html, re.I) else html)
    except (ParserError, ValueError):
        return None


def _element_text(element: Any) -> str:
    pieces: list[str] = []

    def walk(node: Any) -> None:
        tag = node.tag.lower() if isinstance(node.tag, str) else ""
        if not tag:  # a comment or processing instruction: its content is not text (its tail is, below)
            return
        if tag in _NOISE_TAGS or node.get("hidden") is not None or node.get("role", "").lower() in _NOISE_ROLES:
            return
        block = tag in _BLOCK_TAGS
        if block:
            pieces.append("\n\n")
        elif tag == "br":
            pieces.append("\n")
        elif tag in ("td", "th"):
            pieces.append(" ")
        if node.text:
            pieces.append(re.sub(r"\s+", " ", node.text))
        for child in node:
            walk(child)
            if child.tail:
                pieces.append(re.sub(r"\s+", " ", child.tail))
        if block:
            pieces.append("\n\n")

    walk(element)
    paragraphs = []
    for paragraph in re.split(r"\n{2,}", "".join(pieces)):
        lines = [" ".join(line.split()) for line in paragraph.split("\n")]
        text = "\n".join(line for line in lines if line)
        if text:
            paragraphs.append(text)
    return "\n\n".join(paragraphs)


@dataclass
class HtmlPage:
    """What an HTML page yields: its main text and whatever metadata it declares."""

    text: str
    title: str = ""
    author: str = ""
    url: str = ""
    published: str = ""  # as found, not yet normalised


def read_html(html: str) -> HtmlPage:
    """The main text and metadata of an HTML page: trafilatura first, the lxml cleaner for pages it rejects."""
    import trafilatura

    document = None
    try:
        document = trafilatura.bare_extraction(
            html,
            with_metadata=True,
            include_comments=False,
            include_tables=True,
            include_images=False,
            include_links=False,
            # Balanced mode: favor_precision drops real paragraphs of short articles, and trafilatura already
            # retries with recall when balanced extraction keeps too little of the page.
            favor_precision=False,
            prune_xpath=_NOISE_XPATHS,
            # Dates from the page's markup only: an extensive search would take a date mentioned in the story.
            date_extraction_params={"original_date": True, "extensive_search": False, "max_date": "2100-12-31"},
        )
    except Exception as error:  # trafilatura is a large parser of untrusted input; fall back rather than fail
        logger.debug("trafilatura failed (%s); using the lxml cleaner", error)
    page = HtmlPage(text="")
    if document is not None and not isinstance(document, dict):
        page = HtmlPage(
            text=_trafilatura_paragraphs(document.text or ""),
            title=" ".join((document.title or "").split()),
            author=document.author or "",
            url=safe_url(document.url or ""),
            published=document.date or "",
        )
    if not page.text:
        page.text = html_fragment_text(html)
    if not page.title or not page.url:
        _fill_from_markup(page, html)
    if page.title and page.text.startswith(page.title):
        # The headline usually opens the extracted text too; keep it only as the title.
        page.text = page.text[len(page.title):].lstrip() or page.text
    return page


def _trafilatura_paragraphs(text: str) -> str:
    """trafilatura puts one block per line; the chunker expects blank lines between paragraphs. Consecutive list
    items and table rows stay together."""
    lines = [line.rstrip() for line in normalise_newlines(text).split("\n") if line.strip()]
    pieces: list[str] = []
    for index, line in enumerate(lines):
        if index:
            together = all(other.lstrip().startswith(("- ", "| ")) for other in (line, lines[index - 1]))
            pieces.append("\n" if together else "\n\n")
        pieces.append(line)
    return "".join(pieces)


def _fill_from_markup(page: HtmlPage, html: str) -> None:
    root = _parse_html(html)
    if root is None:
        return
    if not page.title:
        for path in (".//title", ".//h1"):
            found = root.find(path)
            if found is not None and found.text_content().strip():
                page.title = " ".join(found.text_content().split())
                break
    if not page.url:
        for path, attribute in ((".//link[@rel='canonical']", "href"), (".//meta[@property='og:url']", "content")):
            found = root.find(path)
            if found is not None and safe_url(found.get(attribute, "")):
                page.url = safe_url(found.get(attribute, ""))
                break


def json_safe(value: Any) -> Any:
    """A JSON-serialisable copy of a value: dates become ISO strings, anything else unknown becomes its str().

    >>> json_safe({"when": dt.date(2026, 3, 14), "tags": ("a", 1), "n": None})
    {'when': '2026-03-14', 'tags': ['a', 1], 'n': None}
    """
    if value is None or isinstance(value, (str, int, float, bool)):
        return value
    if isinstance(value, (dt.date, dt.datetime)):
        return value.isoformat()
    if isinstance(value, Mapping):
        return {str(key): json_safe(item) for key, item in value.items()}
    if isinstance(value, (list, tuple, set, frozenset)):
        return [json_safe(item) for item in value]
    return str(value)


def _published(value: Any) -> tuple[str, dict[str, Any]]:
    """(normalised date, extra metadata): an unparseable date is kept as `published_raw`, never guessed."""
    if value is None or value == "":
        return "", {}
    if isinstance(value, dt.datetime):
        return value.isoformat(), {}
    if isinstance(value, dt.date):
        return value.isoformat(), {}
    if isinstance(value, str):
        normalised = normalise_date(value)
        if normalised:
            return normalised, {}
    return "", {"published_raw": json_safe(value)}


def _text_field(value: Any) -> str:
    """A metadata value as one line of text (lists of names are joined)."""
    if value is None:
        return ""
    if isinstance(value, (list, tuple)):
        return ", ".join(" ".join(str(item).split()) for item in value if item not in (None, ""))
    if isinstance(value, (dict, bool)):
        return ""
    return " ".join(str(value).split())


# ---------------------------------------------------------------------------------------------------------------
# Files: where they are, and reading one.
# ---------------------------------------------------------------------------------------------------------------


def iter_files(sources: Sequence[str | Path], ignored: list[Path] | None = None) -> Iterator[tuple[Path, Path]]:
    """(root, file) pairs for every article file under the sources, each file once.

    A source is a file (its root is its folder) or a folder read recursively, in sorted order, skipping hidden
    files and folders (names starting with ".") and files with unsupported suffixes. A file named explicitly is
    always yielded, so that reading it reports an unsupported suffix instead of ignoring it silently; the files
    skipped for their suffix inside folders are appended to `ignored` when it is given. Every source is checked
    before anything is yielded: one that does not exist raises SourceError.
    """
    paths = []
    for source in sources:
        path = Path(source).expanduser()
        if not path.exists():
            raise SourceError(str(source), "does not exist",
                              fix="check the spelling and the current folder, or create it and put articles in it")
        paths.append(path)
    return _walk(paths, ignored)


def _walk(paths: list[Path], ignored: list[Path] | None) -> Iterator[tuple[Path, Path]]:
    seen: set[Path] = set()
    for path in paths:
        pairs = [(path, file) for file in _files_under(path, ignored)] if path.is_dir() else [(path.parent, path)]
        for root, file in pairs:
            key = file.resolve()
            if key not in seen:  # overlapping sources must not give the same article twice
                seen.add(key)
                yield root, file


def _files_under(folder: Path, ignored: list[Path] | None = None) -> list[Path]:
    found = []
    for directory, subfolders, names in os.walk(folder):
        subfolders[:] = [name for name in subfolders if not name.startswith(".")]
        for name in names:
            if name.startswith("."):
                continue
            if Path(name).suffix.lower() in SUPPORTED_SUFFIXES:
                found.append(Path(directory) / name)
            elif ignored is not None:
                ignored.append(Path(directory) / name)
    return sorted(found, key=lambda file: file.relative_to(folder).as_posix())


@dataclass(frozen=True)
class _File:
    """One file being read, with the names used for it in articles and in error messages."""

    path: Path
    resolved: str  # the article id and `Article.path`
    relative: str  # `Article.source` and the name in error messages

    @classmethod
    def of(cls, path: Path, root: Path | None) -> _File:
        return cls(path, str(path.resolve()), _relative_name(path, root))

    def error(self, reason: str, fix: str = "") -> SourceError:
        return SourceError(self.relative, reason, fix)

    def article(self, title: str, text: str, **fields: Any) -> Article:
        return Article(id=self.resolved, title=title, text=text, source=fields.pop("source", "") or self.relative,
                       path=self.resolved, **fields)


def _relative_name(path: Path, root: Path | None) -> str:
    """The file's path relative to its root, in posix form; without a root, its name (as if the root were its
    folder, which is what `iter_files` gives for a file named as a source)."""
    if root is not None:
        for base, target in ((root.absolute(), path.absolute()), (root.resolve(), path.resolve())):
            try:
                return target.relative_to(base).as_posix()
            except ValueError:
                continue
    return path.name


def read_file(path: Path, root: Path | None = None) -> list[Article]:
    """All articles in one file (a feed gives many). Raises SourceError naming the file, the reason and the fix.

    Feed records that are bad are skipped when at least one record is good (see `read_file_with_problems` to
    get them); a feed with no good record raises.
    """
    articles, problems = read_file_with_problems(path, root)
    if not articles:
        file = _File.of(Path(path), root)
        if not problems:
            raise file.error("holds no articles", fix="add articles, or remove the file")
        more = f" (and {len(problems) - 1} more bad records)" if len(problems) > 1 else ""
        raise file.error(f"has no readable record: {problems[0]}{more}", fix=problems[0].fix)
    return articles


def read_file_with_problems(path: Path, root: Path | None = None) -> tuple[list[Article], list[SourceError]]:
    """The articles of one file, and a SourceError for each bad record of a feed (its source is like
    `feed.jsonl:7` for line 7, or `feed.json record 3`). Raises SourceError when the file as a whole is unreadable.
    """
    path = Path(path)
    file = _File.of(path, root)
    suffix = path.suffix.lower()
    if suffix not in SUPPORTED_SUFFIXES:
        raise file.error(f"has the unsupported suffix {suffix or '(none)'!r}",
                         fix=f"convert it to one of {', '.join(sorted(SUPPORTED_SUFFIXES))}, or leave it out")
    data = _read_bytes(file)
    if suffix == ".pdf":
        return [_read_pdf(file, data)], []
    reader = _READERS[suffix]
    declared = _declared_html_encoding(data) if suffix in (".html", ".htm") else ""
    try:
        text, guessed = decode_text_guessing(data, declared)
    except NotTextError as error:
        raise file.error(f"looks like a binary file, not text ({error})",
                         fix=f"check that it really is a {suffix} file; convert it to text or remove it") from error
    if not text.strip():
        raise file.error("is empty", fix="add the article's text, or remove the file")
    articles, problems = reader(file, text)
    if guessed:
        # Recorded so that the indexer can say the encoding was a guess (a wrong one garbles accented letters).
        articles = [dataclasses.replace(article, metadata={**article.metadata, GUESSED_ENCODING_KEY: guessed})
                    for article in articles]
    return articles, problems


def _read_bytes(file: _File) -> bytes:
    try:
        size = file.path.stat().st_size
        if size > MAX_FILE_BYTES:
            raise file.error(
                f"is {_human_size(size)}, more than the limit of {_human_size(MAX_FILE_BYTES)}",
                fix=f"split it into smaller files, or raise the limit with the environment variable {MAX_FILE_ENV} "
                    "(in MB)",
            )
        if size == 0:
            raise file.error("is empty", fix="add the article's text, or remove the file")
        return file.path.read_bytes()
    except FileNotFoundError as error:
        raise file.error("does not exist (it may have been moved or deleted while reading)",
                         fix="check the path and read it again") from error
    except IsADirectoryError as error:
        raise file.error("is a folder, not a file", fix="give the folder as a source instead") from error
    except OSError as error:
        raise file.error(f"could not be read ({error.strerror or error})",
                         fix="check that the file is readable by this user") from error


def _human_size(size: int) -> str:
    """A byte count the way the size limit is set: in MB, or in bytes when small.

    >>> _human_size(52428800), _human_size(1536000), _human_size(100)
    ('50 MB', '1.5 MB', '100 bytes')
    """
    if size < MEGABYTE // 10:
        return f"{size} bytes"
    return f"{size / MEGABYTE:.1f}".removesuffix(".0") + " MB"


def _declared_html_encoding(data: bytes) -> str:
    match = re.search(rb"""<meta[^>]+charset\s*=\s*["']?\s*([A-Za-z0-9_.:\-]+)""", data[:4096], re.IGNORECASE)
    return match.group(1).decode("ascii") if match else ""


def _read_text(file: _File, text: str) -> tuple[list[Article], list[SourceError]]:
    title, body = split_title(text, title_from_stem(file.path))
    return [file.article(title, body)], []


def _read_markdown(file: _File, text: str) -> tuple[list[Article], list[SourceError]]:
    meta, body = parse_front_matter(text)
    heading, without_heading = markdown_title(body)
    title = _text_field(meta.pop("title", ""))
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
    body = body.strip()
    if not body:
        raise file.error("has a title but no text", fix="add the article's text below the title")
    raw_date = meta.pop("published", None)
    if raw_date in (None, ""):  # "date" is the usual key; when both are given, "date" stays in metadata
        raw_date = meta.pop("date", None)
    published, extra = _published(raw_date)
    url_value = _text_field(meta.pop("url", ""))
    if url_value and not safe_url(url_value):
        extra["url_raw"] = url_value
    fields = {
        "url": safe_url(url_value),
        "published": published,
        "author": _text_field(meta.pop("author", "")),
        "source": _text_field(meta.pop("source", "")),
        "metadata": json_safe({**meta, **extra}),
    }
    return [file.article(title, body, **fields)], []


def _read_html_file(file: _File, text: str) -> tuple[list[Article], list[SourceError]]:
    try:
        page = read_html(text)
    except Exception as error:  # a parser bug on one hostile page must not stop the others
        raise file.error(f"could not be parsed as HTML ({type(error).__name__}: {error})",
                         fix="open it in a browser to check it, or save the article's text as .txt") from error
    if not page.text:
        raise file.error("has no readable text (only markup, scripts or navigation)",
                         fix="check that it is an article page, not an index or login page, or save it as .txt")
    published, extra = _published(page.published)
    article = file.article(page.title or title_from_stem(file.path), page.text, url=page.url, published=published,
                           author=" ".join(page.author.split()), metadata=extra)
    return [article], []


def _read_pdf(file: _File, data: bytes) -> Article:
    import io

    from pypdf import PdfReader
    from pypdf.errors import DependencyError

    try:
        reader = PdfReader(io.BytesIO(data))
        if reader.is_encrypted:
            try:
                unlocked = reader.decrypt("")  # many "protected" PDFs only restrict printing and open without one
            except DependencyError as error:
                raise file.error("is encrypted, and decrypting it needs the 'cryptography' package",
                                 fix="install it (pip install cryptography) or save an unencrypted copy") from error
            if not unlocked:
                raise file.error("is encrypted with a password",
                                 fix="save an unencrypted copy (for example with 'print to PDF') and add that")
        page_texts = [_page_text(page) for page in reader.pages]
        info = reader.metadata
        meta_title = str(info.title or "") if info else ""
        meta_author = str(info.author or "") if info else ""
    except SourceError:
        raise
    except Exception as error:  # pypdf raises many kinds of errors on damaged files
        raise file.error(f"is not a readable PDF ({type(error).__name__}: {error})",
                         fix="open it in a PDF viewer to check it, or export it again") from error
    text, pages = join_pages(page_texts)
    if not text:
        raise file.error("has no text layer (it is probably scanned images)",
                         fix="run OCR on it first (for example with ocrmypdf) and add the OCR'd copy")
    title = _pdf_title(meta_title)
    if not title:
        first = text.split("\n", 1)[0].strip()
        title = first if len(first) <= MAX_TITLE_CHARS else title_from_stem(file.path)
    return file.article(title, text, author=" ".join(meta_author.split()), pages=pages)


def _page_text(page: Any) -> str:
    try:
        text = page.extract_text() or ""
    except Exception as error:  # one damaged page should not lose the others
        logger.warning("a PDF page could not be read: %s", error)
        return ""
    lines = [line.rstrip() for line in normalise_newlines(text).split("\n")]
    return "\n".join(lines).strip()


def join_pages(page_texts: Sequence[str]) -> tuple[str, tuple[int, ...]]:
    """Join page texts with blank lines; return the text and the offset at which each page starts.
    A page without text starts where the next text would, so offsets never point into the wrong page.

    >>> join_pages(["One.", "", "Three."])
    ('One.\\n\\nThree.', (0, 4, 6))
    """
    text = ""
    starts = []
    for page_text in page_texts:
        if page_text and text:
            text += "\n\n"
        starts.append(len(text))
        text += page_text
    return text, tuple(starts)


def _pdf_title(title: str) -> str:
    """The PDF's own title, unless it is a word processor's placeholder.

    >>> _pdf_title("Microsoft Word - draft3.docx"), _pdf_title("untitled"), _pdf_title(" Harbour  report ")
    ('', '', 'Harbour report')
    """
    title = " ".join(title.split())
    placeholder = re.search(r"^(microsoft \w+ - )|\.(docx?|pdf|odt|rtf|pptx?|tex|dvi|indd)$", title, re.IGNORECASE)
    if placeholder or title.lower() in ("untitled", "title", "document", "none"):
        return ""
    return title


# ---------------------------------------------------------------------------------------------------------------
# Feeds: JSON and JSON Lines records.
# ---------------------------------------------------------------------------------------------------------------


def _read_json(file: _File, text: str) -> tuple[list[Article], list[SourceError]]:
    try:
        data = json.loads(text)
    except json.JSONDecodeError as error:
        raise file.error(f"is not valid JSON (line {error.lineno}, column {error.colno}: {error.msg})",
                         fix="fix the JSON, or save one record per line as .jsonl") from error
    except RecursionError as error:
        raise file.error("is nested too deeply to read", fix="flatten the records") from error
    if isinstance(data, dict):
        listed = next((data[key] for key in RECORD_LIST_KEYS if isinstance(data.get(key), list)), None)
        records: list[Any] = listed if listed is not None else [data]
        labels = [f"{file.relative} record {number}" for number in range(1, len(records) + 1)]
        if listed is None:
            labels = [file.relative]
    elif isinstance(data, list):
        records = data
        labels = [f"{file.relative} record {number}" for number in range(1, len(records) + 1)]
    else:
        raise file.error(f"holds a JSON {type(data).__name__}, not records",
                         fix='give a list of records, {"articles": [...]}, or one record object')
    if not records:
        raise file.error("holds no records", fix="add records, or remove the file")
    return _records_to_articles(file, zip(labels, records, strict=True))


def _read_jsonl(file: _File, text: str) -> tuple[list[Article], list[SourceError]]:
    labelled: list[tuple[str, Any]] = []
    problems: list[SourceError] = []
    for number, line in enumerate(text.split("\n"), start=1):
        if not line.strip():
            continue
        label = f"{file.relative}:{number}"
        try:
            labelled.append((label, json.loads(line)))
        except (json.JSONDecodeError, RecursionError) as error:
            detail = f"{error.msg}, column {error.colno}" if isinstance(error, json.JSONDecodeError) else "too deep"
            problems.append(SourceError(label, f"line {number} is not valid JSON ({detail})",
                                        fix="fix or remove that line; the other lines were read"))
    if not labelled and not problems:
        raise file.error("holds no records", fix="add one JSON record per line, or remove the file")
    articles, record_problems = _records_to_articles(file, labelled)
    return articles, sorted([*problems, *record_problems], key=lambda problem: _line_of(problem.source))


def _line_of(label: str) -> int:
    tail = label.rsplit(":", 1)[-1]
    return int(tail) if tail.isdigit() else 0


def _records_to_articles(file: _File, labelled: Any) -> tuple[list[Article], list[SourceError]]:
    articles: list[Article] = []
    problems: list[SourceError] = []
    first_label_of: dict[str, str] = {}
    for label, record in labelled:
        try:
            article = _record_article(record, file, label)
        except SourceError as problem:
            problems.append(problem)
            continue
        if article.id in first_label_of:
            # The index keys articles by id: a second record with the same id would silently replace the first.
            problems.append(SourceError(label, f"has the same id {article.id!r} as {first_label_of[article.id]}",
                                        fix="give each record its own 'id' (or 'url'), or remove the duplicate"))
            continue
        first_label_of[article.id] = label
        articles.append(article)
    return articles, problems


def article_from_record(record: dict[str, Any], feed_path: Path, position: int, root: Path | None = None) -> Article:
    """One feed record as an article (also used for records posted to the HTTP API).

    The record holds `text` (or `content`/`body`) and `title`, optionally `url`/`link`, `published`/`date`,
    `source`, `author` and `id`; every other field is kept in `metadata`. `position` is the record's line
    (JSON Lines) or 1-based place in the feed; errors name the record as `feed:position`.
    Raises SourceError for a record without usable text.
    """
    file = _File.of(Path(feed_path), root)
    return _record_article(record, file, f"{file.relative}:{position}")


def _record_article(record: Any, file: _File, label: str) -> Article:
    if not isinstance(record, dict):
        raise SourceError(label, f"is a JSON {type(record).__name__}, not a record object",
                          fix='make each record an object such as {"title": ..., "text": ...}')
    by_key = {str(key).lower(): key for key in record}  # field names are matched case-insensitively
    used: set[Any] = set()

    def take(*names: str) -> Any:
        for name in names:
            key = by_key.get(name)
            if key is not None and record[key] is not None:
                used.add(key)
                return record[key]
        return None

    raw_text = take(*TEXT_KEYS)
    if raw_text is None:
        raise SourceError(label, "has no text field",
                          fix="give each record its text as a 'text' (or 'content' or 'body') string")
    if not isinstance(raw_text, str):
        raise SourceError(label, f"has text that is a JSON {type(raw_text).__name__}, not a string",
                          fix="give the record's text as one string")
    text = normalise_newlines(raw_text).strip()
    page = None
    if looks_like_html(text):
        # A whole page keeps its metadata; a fragment is cleaned as the article body it is.
        page = read_html(text) if re.search(r"<(html|body)\b", text, re.IGNORECASE) else None
        text = page.text if page is not None else html_fragment_text(text)
    if not text:
        raise SourceError(label, "has empty text", fix="give the record some text, or remove it")

    title = _text_field(take("title", "headline"))
    if not title and page is not None:
        title = page.title
    if not title:
        first_line = text.split("\n", 1)[0]
        title = first_line if len(first_line) <= 100 else first_line[:99].rsplit(" ", 1)[0] + "…"

    metadata: dict[str, Any] = {}
    url_value = _text_field(take(*URL_KEYS)) or (page.url if page is not None else "")
    url = safe_url(url_value)
    if url_value and not url:
        metadata["url_raw"] = url_value
    published, extra = _published(take(*DATE_KEYS) or (page.published if page is not None else None))
    metadata.update(extra)
    record_id = take("id", "article_id")
    if isinstance(record_id, (dict, list)) or record_id == "":
        metadata["id_raw"] = json_safe(record_id)
        record_id = None
    article_id = str(record_id) if record_id is not None else url or f"{file.resolved}#{content_hash(text)[:12]}"
    author = _text_field(take("author", "authors", "byline")) or (page.author if page is not None else "")
    source = _text_field(take("source")) or file.relative
    for key, value in record.items():
        if key not in used:
            metadata[str(key)] = json_safe(value)
    return Article(id=article_id, title=title, text=text, source=source, url=url, published=published,
                   author=author, path=file.resolved, metadata=metadata)


_READERS: dict[str, Callable[[_File, str], tuple[list[Article], list[SourceError]]]] = {
    ".txt": _read_text,
    ".md": _read_markdown,
    ".markdown": _read_markdown,
    ".html": _read_html_file,
    ".htm": _read_html_file,
    ".json": _read_json,
    ".jsonl": _read_jsonl,
}  # .pdf is read from bytes, before any decoding (see read_file_with_problems)


def read_sources(sources: Sequence[str | Path]) -> Iterator[tuple[Path, list[Article] | SourceError]]:
    """Every supported file under the sources with its articles, or the SourceError it raised; never stops at a
    bad file. A feed with some bad records yields its articles and then one SourceError per bad record; a feed
    with no good record yields only the errors. A source that does not exist raises SourceError at once.
    """
    return read_files(iter_files(sources))


def read_files(pairs: Iterable[tuple[Path, Path]]) -> Iterator[tuple[Path, list[Article] | SourceError]]:
    """`read_sources` for (root, file) pairs already listed by `iter_files` (to count them first, for progress)."""
    for root, path in pairs:
        try:
            articles, problems = read_file_with_problems(path, root)
        except SourceError as error:
            yield path, error
            continue
        except Exception as error:  # a bug triggered by one file must not stop the others from being read
            logger.exception("unexpected error reading %s", path)
            yield path, SourceError(_relative_name(path, root), f"could not be read ({type(error).__name__}: {error})",
                                    fix="this is a bug in the reader; please report it with the file")
            continue
        if articles:
            yield path, articles
        for problem in problems:
            yield path, problem


__all__ = [
    "GUESSED_ENCODING_KEY",
    "MAX_FILE_BYTES",
    "SUPPORTED_SUFFIXES",
    "HtmlPage",
    "NotTextError",
    "article_from_record",
    "decode_text",
    "decode_text_guessing",
    "html_fragment_text",
    "iter_files",
    "json_safe",
    "looks_like_html",
    "markdown_title",
    "normalise_date",
    "parse_front_matter",
    "read_file",
    "read_file_with_problems",
    "read_files",
    "read_html",
    "read_sources",
    "safe_url",
    "split_title",
    "title_from_stem",
]
