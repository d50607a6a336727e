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
from rag.ingest.metadata import MAX_TITLE_CHARS, title_from_stem
from rag.ingest.source import SourceFile
from rag.records import Article

logger = logging.getLogger(__name__)


def read_pdf_file(file: SourceFile, data: bytes) -> Article:
    """A PDF's article: its pages' text, titled by its own metadata (unless a placeholder) or its first line."""
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
