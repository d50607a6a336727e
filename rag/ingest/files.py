"""Reading articles from files: finding them under the sources, and reading each by its suffix.

Supported: plain text and Markdown (rag.ingest.markdown), HTML (rag.ingest.html), JSON and JSON Lines feeds
(rag.ingest.feeds), RSS and Atom feeds (rag.ingest.rss: .rss, .atom, .xml) and PDF (rag.ingest.pdf). Every reader
produces `Article` records holding plain text only (no markup, no script), with line endings normalised to "\\n", a
title, a date normalised to ISO 8601 when one can be parsed, and an id that stays the same when an unchanged file is
read again. A file that cannot be read raises `SourceError` naming the file, what is wrong and what to do;
`read_sources` reports it and goes on with the next file. In a feed, a bad record is a problem for that record only:
the other records are still read.

A file larger than `max_file_bytes` is refused before it is read. The limit is a parameter: the edges (the CLI,
the server) turn the `max_file_mb` setting (`--max-file-mb`, `RAG_MAX_FILE_MB`) into bytes and pass it down.
"""

from __future__ import annotations

import dataclasses
import logging
import os
from collections.abc import Callable, Iterable, Iterator, Sequence
from pathlib import Path

from rag.errors import SourceError
from rag.ingest.decode import (
    DECLARED_ENCODING_KEY,
    GUESSED_ENCODING_KEY,
    NotTextError,
    declared_html_encoding,
    decode_text_guessing,
)
from rag.ingest.feeds import read_json_feed, read_jsonl_feed
from rag.ingest.html import read_html_file
from rag.ingest.markdown import read_markdown_file, read_text_file
from rag.ingest.pdf import read_pdf_file
from rag.ingest.rss import FEED_SUFFIXES, read_feed
from rag.ingest.source import SourceFile, relative_name
from rag.records import Article
from rag.settings import Settings

MEGABYTE = 1024 * 1024

TextReader = Callable[[SourceFile, str], tuple[list[Article], list[SourceError]]]
"""Reads one decoded file: its articles, and a SourceError for each bad record (feeds only)."""

_TEXT_READERS: dict[str, TextReader] = {
    ".txt": read_text_file,
    ".md": read_markdown_file,
    ".markdown": read_markdown_file,
    ".html": read_html_file,
    ".htm": read_html_file,
    ".json": read_json_feed,
    ".jsonl": read_jsonl_feed,
}
_PDF = ".pdf"  # read from bytes, before any decoding (see read_file_with_problems), like feeds (their XML
# declaration names their encoding)

SUPPORTED_SUFFIXES: frozenset[str] = frozenset({*_TEXT_READERS, _PDF, *FEED_SUFFIXES})

logger = logging.getLogger(__name__)


def bytes_from_megabytes(megabytes: float) -> int:
    """A size limit given in megabytes (as `max_file_mb` is set), in bytes.

    >>> bytes_from_megabytes(0.5), bytes_from_megabytes(50)
    (524288, 52428800)
    """
    return int(megabytes * MEGABYTE)


DEFAULT_MAX_FILE_BYTES: int = bytes_from_megabytes(Settings().max_file_mb)
"""The largest file read unless the caller says otherwise: the default of the `max_file_mb` setting (50 MB)."""


# ---------------------------------------------------------------------------------------------------------------
# Where the files are.
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
            try:
                key = file.resolve()
            except (OSError, RuntimeError):  # a symbolic link loop: the indexer reports it, the run goes on
                key = Path(os.path.abspath(file))
            if key not in seen:  # overlapping sources must not give the same article twice
                seen.add(key)
                yield root, file


def is_index_folder(folder: Path) -> bool:
    """Whether `folder` is an index folder (its `CURRENT` file and `gen-*` generations): never read for articles
    when it lies inside a folder being indexed, where its passages.jsonl read as a JSON feed replaced the articles
    it holds ("has an article with the id …, like idx/gen-000001/passages.jsonl")."""
    return (folder / "CURRENT").is_file() and any(child.name.startswith("gen-") for child in folder.iterdir()
                                                   if child.is_dir())


def _files_under(folder: Path, ignored: list[Path] | None = None) -> list[Path]:
    found = []
    for directory, subfolders, names in os.walk(folder):
        subfolders[:] = [name for name in subfolders
                         if not name.startswith(".") and not is_index_folder(Path(directory) / name)]
        for name in names:
            if name.startswith("."):
                continue
            if Path(name).suffix.lower() in SUPPORTED_SUFFIXES:
                found.append(Path(directory) / name)
            elif ignored is not None:
                ignored.append(Path(directory) / name)
    return sorted(found, key=lambda file: file.relative_to(folder).as_posix())


# ---------------------------------------------------------------------------------------------------------------
# Reading them.
# ---------------------------------------------------------------------------------------------------------------


def read_sources(sources: Sequence[str | Path], *,
                 max_file_bytes: int = DEFAULT_MAX_FILE_BYTES) -> Iterator[tuple[Path, list[Article] | SourceError]]:
    """Every supported file under the sources with its articles, or the SourceError it raised; never stops at a
    bad file. A feed with some bad records yields its articles and then one SourceError per bad record; a feed
    with no good record yields only the errors. A source that does not exist raises SourceError at once.
    """
    return read_files(iter_files(sources), max_file_bytes=max_file_bytes)


def read_files(pairs: Iterable[tuple[Path, Path]], *,
               max_file_bytes: int = DEFAULT_MAX_FILE_BYTES) -> Iterator[tuple[Path, list[Article] | SourceError]]:
    """`read_sources` for (root, file) pairs already listed by `iter_files` (to count them first, for progress)."""
    for root, path in pairs:
        try:
            articles, problems = read_file_with_problems(path, root, max_file_bytes=max_file_bytes)
        except SourceError as error:
            yield path, error
            continue
        except Exception as error:  # a bug triggered by one file must not stop the others from being read
            logger.exception("unexpected error reading %s", path)
            yield path, SourceError(relative_name(path, root), f"could not be read ({type(error).__name__}: {error})",
                                    fix="this is a bug in the reader; please report it with the file")
            continue
        if articles:
            yield path, articles
        for problem in problems:
            yield path, problem


def read_file(path: Path, root: Path | None = None, *, max_file_bytes: int = DEFAULT_MAX_FILE_BYTES) -> list[Article]:
    """All articles in one file (a feed gives many). Raises SourceError naming the file, the reason and the fix.

    Feed records that are bad are skipped when at least one record is good (see `read_file_with_problems` to
    get them); a feed with no good record raises.
    """
    articles, problems = read_file_with_problems(path, root, max_file_bytes=max_file_bytes)
    if not articles:
        file = SourceFile.of(Path(path), root)
        if not problems:
            raise file.error("holds no articles", fix="add articles, or remove the file")
        more = f" (and {len(problems) - 1} more bad records)" if len(problems) > 1 else ""
        raise file.error(f"has no readable record: {problems[0]}{more}", fix=problems[0].fix)
    return articles


def read_file_with_problems(path: Path, root: Path | None = None, *,
                            max_file_bytes: int = DEFAULT_MAX_FILE_BYTES) -> tuple[list[Article], list[SourceError]]:
    """The articles of one file, and a SourceError for each bad record of a feed (its source is like
    `feed.jsonl:7` for line 7, or `feed.json record 3`). Raises SourceError when the file as a whole is unreadable,
    or is larger than `max_file_bytes`.
    """
    path = Path(path)
    file = SourceFile.of(path, root)
    suffix = path.suffix.lower()
    if suffix not in SUPPORTED_SUFFIXES:
        raise file.error(f"has the unsupported suffix {suffix or '(none)'!r}",
                         fix=f"convert it to one of {', '.join(sorted(SUPPORTED_SUFFIXES))}, or leave it out")
    data = _read_bytes(file, max_file_bytes)
    if suffix == _PDF:
        return [read_pdf_file(file, data)], []
    if suffix in FEED_SUFFIXES:
        return read_feed(data, file.resolved, file.relative)
    reader = _TEXT_READERS[suffix]
    declared = declared_html_encoding(data) if reader is read_html_file else ""
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
        said = {GUESSED_ENCODING_KEY: guessed, **({DECLARED_ENCODING_KEY: declared} if declared else {})}
        articles = [dataclasses.replace(article, metadata={**article.metadata, **said}) for article in articles]
    return articles, problems


def _read_bytes(file: SourceFile, max_file_bytes: int) -> bytes:
    try:
        size = file.path.stat().st_size
        if size > max_file_bytes:
            raise too_large(file.relative, size, max_file_bytes)
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


def too_large(source: str, size: int, max_file_bytes: int) -> SourceError:
    """The error for a file of `size` bytes over the limit, with the fix as users set the limit.

    >>> print(too_large("big.pdf", 60 * MEGABYTE, 50 * MEGABYTE))  # doctest: +NORMALIZE_WHITESPACE
    big.pdf: is 60 MB, more than the limit of 50 MB (split it into smaller files, or raise the limit with
    --max-file-mb MB or the environment variable RAG_MAX_FILE_MB)
    """
    return SourceError(source, f"is {_human_size(size)}, more than the limit of {_human_size(max_file_bytes)}",
                       fix="split it into smaller files, or raise the limit with --max-file-mb MB or the "
                           "environment variable RAG_MAX_FILE_MB")


def _human_size(size: int) -> str:
    """A byte count the way the size limit is set: in MB, or in bytes when small.

    >>> _human_size(52428800), _human_size(1536000), _human_size(100)
    ('50 MB', '1.5 MB', '100 bytes')
    """
    if size < MEGABYTE // 10:
        return f"{size} bytes"
    return f"{size / MEGABYTE:.1f}".removesuffix(".0") + " MB"
