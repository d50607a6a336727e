"""PDF files: the text layer of every page (pypdf), with the offset at which each page starts.

A PDF is read from its bytes, not decoded as text. Its pages are joined with blank lines and `Article.pages`
records where each one starts, so that passages carry page numbers. An encrypted PDF that opens without a
password is read; a scanned one (no text layer) is refused with the fix (OCR).
"""

from __future__ import annotations

import logging
import re
from collections.abc import Sequence
from typing import Any

from rag.errors import SourceError
from rag.ingest.decode import normalise_newlines
from rag.ingest.library_logs import quiet_library_logs
from rag.ingest.metadata import MAX_TITLE_CHARS, Dateline, dateline, title_from_stem
from rag.ingest.source import SourceFile
from rag.records import Article

logger = logging.getLogger(__name__)
quiet_library_logs()  # their warnings about what they recover from are no user's business


def read_pdf_file(file: SourceFile, data: bytes) -> Article:
    """A PDF's article: its pages' text, titled by its own metadata (unless a placeholder) or its first line."""
    import io

    from pypdf import PdfReader
    from pypdf.errors import DependencyError

    wrong = not_a_pdf(data)
    if wrong:
        raise file.error(f"is not a PDF ({wrong})",
                         fix=f"rename it to {_SUFFIX_OF[wrong]}" if wrong in _SUFFIX_OF else
                         "open it to see what it is, and save or export it as a PDF (or another format read here)")
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
        created = _creation_date(info)
    except SourceError:
        raise
    except Exception as error:  # pypdf raises many kinds of errors on damaged files
        raise file.error(f"is not a readable PDF ({type(error).__name__}: {error})",
                         fix="open it in a PDF viewer to check it, or export it again") from error
    opening = Dateline()
    if page_texts:
        page_texts[0], opening = pdf_opening(page_texts[0])
    text, pages = join_pages(page_texts)
    if not text:
        raise file.error("has no text layer (it is probably scanned images)",
                         fix="run OCR on it first (for example with ocrmypdf) and add the OCR'd copy")
    title = _pdf_title(meta_title)
    if not title:
        first = text.split("\n", 1)[0].strip()
        title = first if len(first) <= MAX_TITLE_CHARS else title_from_stem(file.path)
    # The dateline's date is when the report was published; the file's creation date (its metadata) is only the
    # fallback: a PDF exported again later is created again.
    return file.article(title, text, author=" ".join(meta_author.split()), pages=pages,
                        published=opening.published or created, source=opening.outlet)


OPENING_LINES = 5
"""How many lines of a PDF's first page are searched for its dateline: a title (of a line or two), a kind of document
("Press release"), then the dateline."""


def pdf_opening(page: str) -> tuple[str, Dateline]:
    """A first page with its opening lines, up to its dateline, as paragraphs of their own, and that dateline (see
    `dateline`). A PDF's text has no blank line between a title, a dateline on its own line and the first sentence,
    so they read as one sentence ("…Second Quarter 2025 PORT ELLAN, 30 July 2025 Revenue for…") and were quoted so.
    A page with no dateline in its first `OPENING_LINES` lines is as it was.

    >>> page, found = pdf_opening("Harbour Results, Q2 2025\\nPORT ELLAN, 30 July 2025\\nRevenue for the quarter rose.")
    >>> page, found.published
    ('Harbour Results, Q2 2025\\n\\nPORT ELLAN, 30 July 2025\\n\\nRevenue for the quarter rose.', '2025-07-30')
    >>> pdf_opening("Results\\nPORT ELLAN, 30 July 2025 (Ellan Post) - Revenue rose\\nby 4%.")[0]
    'Results\\n\\nPORT ELLAN, 30 July 2025 (Ellan Post) - Revenue rose\\nby 4%.'
    >>> pdf_opening("Revenue rose\\nby 4%.")
    ('Revenue rose\\nby 4%.', Dateline(published='', outlet='', end=0))
    """
    lines = page.split("\n")
    for number, line in enumerate(lines[:OPENING_LINES]):
        found = dateline("\n".join(lines[number:]))
        if found.end:
            # a dateline on its own line is a paragraph too; one followed by the text opens the first paragraph
            own_line = found.end >= len(line.rstrip())
            heads = [head.strip() for head in lines[:number + own_line] if head.strip()]
            rest = "\n".join(lines[number + own_line:]).strip()
            return "\n\n".join([*heads, rest] if rest else heads), found
    return page, Dateline()


def _creation_date(info: Any) -> str:
    """The ISO date a PDF's metadata says it was created (`/CreationDate D:20250428…`), or "" (none, or unreadable)."""
    try:
        created = info.creation_date if info else None
    except Exception:  # pypdf raises on a malformed date string; the file is still read
        return ""
    return created.date().isoformat() if created is not None else ""


_LOOKS_LIKE = (
    (re.compile(rb"\s*(?:<!--.*?-->\s*)*<(?:!doctype\s+html|html|head|body)\b", re.IGNORECASE | re.DOTALL),
     "it looks like HTML"),
    (re.compile(rb"\s*<\?xml|\s*<(?:rss|feed)\b", re.IGNORECASE), "it looks like XML"),
    (re.compile(rb"PK\x03\x04"), "it is a ZIP archive, as .docx and .odt files are"),
    (re.compile(rb"\s*[\[{]"), "it looks like JSON"),
)
_SUFFIX_OF = {"it looks like HTML": ".html", "it looks like XML": ".xml", "it looks like JSON": ".json"}


def not_a_pdf(data: bytes) -> str:
    """Why `data` is no PDF, or "" when it is one: a PDF has "%PDF-" in its first 1024 bytes. A web page saved as
    .pdf was refused as "PdfStreamError: Stream has ended unexpectedly", which says nothing of what to do.

    >>> not_a_pdf(b"%PDF-1.7 ..."), not_a_pdf(b"\\xef\\xbb\\xbf<!DOCTYPE html><html>"), not_a_pdf(b"PK\\x03\\x04...")
    ('', 'it looks like HTML', 'it is a ZIP archive, as .docx and .odt files are')
    >>> not_a_pdf(b"Just some text.")
    'it does not start as a PDF does, with %PDF-'
    """
    if b"%PDF-" in data[:1024]:
        return ""
    start = data.removeprefix(b"\xef\xbb\xbf")[:4096]
    return next((reason for pattern, reason in _LOOKS_LIKE if pattern.match(start)),
                "it does not start as a PDF does, with %PDF-")


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
