"""Uploaded files (UI, HTTP): stored under `<index>/uploads/` with safe names, then indexed incrementally (an
update run of the "upload" kind: rag.ingest.indexer.RUN_DIFFERENCES says how it differs from `rag index`).

Nothing is ever written outside the uploads folder, whatever a name says; a name that is refused or a file over
the size limit fails before anything is written. Each file is written atomically (rag.store.files) under a hidden
temporary name, which the readers skip, and renamed over its target, so the indexer never reads half a file.
"""

from __future__ import annotations

import contextlib
import re
import threading
import unicodedata
from collections.abc import Sequence
from pathlib import Path

from rag.errors import IndexLockedError, IndexWriteError, SourceError
from rag.ingest.files import SUPPORTED_SUFFIXES, too_large
from rag.ingest.indexer import IndexReport, UpdateOptions, update_index
from rag.ingest.progress import ProgressCallback
from rag.models.embed import Embedder
from rag.settings import Settings
from rag.store import open_store
from rag.store.files import write_atomically

UPLOADS_FOLDER = "uploads"
MAX_UPLOAD_NAME_CHARS = 120

_UNSAFE_CHARACTERS = re.compile(r"[^\w.\- ()]+")

_UPLOADING: dict[str, threading.Lock] = {}
_UPLOADING_GUARD = threading.Lock()


def safe_upload_name(name: str) -> str:
    """The name an uploaded file is stored under: its last path component, without hidden-file dots, control
    or shell characters. Raises SourceError for a name left empty or with an unsupported suffix.

    >>> safe_upload_name("../../x.md"), safe_upload_name("/etc/passwd.md"), safe_upload_name("..\\\\x.md")
    ('x.md', 'passwd.md', 'x.md')
    >>> safe_upload_name(".hidden notes.TXT"), safe_upload_name("a<b>|c.html")
    ('hidden notes.TXT', 'a_b_c.html')
    """
    base = re.split(r"[\\/]", unicodedata.normalize("NFC", name))[-1]
    base = _UNSAFE_CHARACTERS.sub("_", base).strip(" ._")
    base = re.sub(r"_+", "_", base)
    suffix = Path(base).suffix.lower()
    if not base or not Path(base).stem.strip(" ._"):
        raise SourceError(name or "(no name)", "has no usable file name",
                          fix="give the file a name such as article.md")
    if suffix not in SUPPORTED_SUFFIXES:
        raise SourceError(name, f"has the unsupported suffix {suffix or '(none)'!r}",
                          fix=f"upload one of {', '.join(sorted(SUPPORTED_SUFFIXES))}")
    if len(base) > MAX_UPLOAD_NAME_CHARS:
        base = Path(base).stem[: MAX_UPLOAD_NAME_CHARS - len(suffix)] + Path(base).suffix
    return base


def add_files(files: Sequence[tuple[str, bytes]], folder: str | Path, embedder: Embedder,
              options: UpdateOptions | None = None, *, on_progress: ProgressCallback | None = None,
              store: str = "") -> IndexReport:
    """Store uploaded (name, content) files under `<folder>/uploads/` and index them incrementally, run as
    `options` say (None: `UpdateOptions.from_settings(Settings(), "upload")`, the upload defaults).

    Names are made safe (`safe_upload_name`): nothing is ever written outside the uploads folder. A name that is
    refused (unsupported suffix, nothing left) or a file over `options.max_file_bytes` raises SourceError before
    anything is written. A file with the name of an earlier upload replaces it (the article is then updated).
    Earlier uploads stay indexed. Unreadable content (empty, binary...) is reported in the returned report like any
    file, and the file removed (`_drop_unreadable`). When indexing fails (another writer kept the index longer
    than `options.wait`: IndexLockedError), nothing is stored. With `store` (a PostgreSQL URL), the files are kept under
    `<folder>/uploads/` and indexed into that database.
    """
    options = options or UpdateOptions.from_settings(Settings(), "upload")
    folder = Path(folder)
    uploads = folder / UPLOADS_FOLDER
    named: dict[str, bytes] = {}
    for name, content in files:
        if len(content) > options.max_file_bytes:
            raise too_large(name, len(content), options.max_file_bytes)
        safe = _unique(safe_upload_name(name), named)
        named[safe] = content
    if not named:
        raise SourceError("upload", "holds no files", fix="choose one or more article files to upload")
    # One upload into a folder at a time (in this process): two uploads of one new name each wrote the file, and
    # the one that then timed out waiting for the index removed the file the other had indexed.
    with _UPLOADING_GUARD:
        uploading = _UPLOADING.setdefault(str(uploads.absolute()), threading.Lock())
    if not uploading.acquire(timeout=max(options.wait, 0.0)):
        raise IndexLockedError(f"another upload into {uploads} went on longer than an upload waits: nothing was "
                               f"stored; send the files again when it has finished")
    try:
        return _store_and_index(named, uploads, store or folder, embedder, options, on_progress)
    finally:
        uploading.release()


def _store_and_index(named: dict[str, bytes], uploads: Path, location: str | Path, embedder: Embedder,
                     options: UpdateOptions, on_progress: ProgressCallback | None) -> IndexReport:
    """`add_files` once its names are checked and no other upload into the folder runs: write, index, tidy."""
    replaced: dict[str, bytes] = {}
    written: list[str] = []
    try:
        uploads.mkdir(parents=True, exist_ok=True)
        root = uploads.resolve()
        for safe, content in named.items():
            target = uploads / safe
            if target.resolve().parent != root:  # the name is already safe; this guards against a planted symlink
                raise SourceError(safe, "would be written outside the uploads folder", fix="rename the file")
            if target.is_file():
                replaced[safe] = target.read_bytes()
            written.append(safe)
            write_atomically(target, content)
    except OSError as error:  # a full or read-only disk: what was written goes, the earlier files come back
        _put_back(uploads, written, replaced)
        raise IndexWriteError(f"could not store the upload in {uploads} ({error.strerror or error}): nothing was "
                              f"stored; the server's disk is full or read-only (its operator can free space)") from None
    try:
        report = update_index([uploads], location, embedder, options, on_progress=on_progress)
    except BaseException as error:
        # Not indexed, so not stored: left behind, the files would turn up in the next upload's report.
        _put_back(uploads, list(named), replaced)
        if isinstance(error, IndexLockedError):
            raise IndexLockedError(f"another process is writing the index in {open_store(location).name}, and "
                                   f"went on longer than an upload waits: nothing was stored; send the files again "
                                   f"when it has finished") from None
        raise
    _drop_unreadable(uploads, report, replaced)
    # The report is of this upload: an earlier upload's feed with a bad record (kept for its good ones) is read
    # again by every run, and its failure is not news to whoever uploads the next file.
    report.failed[:] = [(source, reason) for source, reason in report.failed if _uploaded_file(source) in named]
    # So are its unchanged articles: every earlier upload's file is read again (and found unchanged) by each run
    report.unchanged = sum(count for source, count in report.unchanged_in.items() if _uploaded_file(source) in named)
    report.unchanged_in = {source: count for source, count in report.unchanged_in.items()
                           if _uploaded_file(source) in named}
    return report


def _uploaded_file(source: str) -> str:
    """The uploaded file a report's source names: itself, or the feed of a record ("feed.jsonl:2"; a stored name
    holds no ":", `safe_upload_name`).

    >>> _uploaded_file("feed.jsonl:2"), _uploaded_file("notes.md")
    ('feed.jsonl', 'notes.md')
    """
    return source.split(":", 1)[0]


def _put_back(uploads: Path, written: Sequence[str], replaced: dict[str, bytes]) -> None:
    """Undo an upload's files: each earlier file of a name written over comes back, a new one goes."""
    for safe in written:
        with contextlib.suppress(OSError):  # a disk that refused the upload may refuse this too
            if safe in replaced:
                write_atomically(uploads / safe, replaced[safe])
            else:
                (uploads / safe).unlink(missing_ok=True)


def _drop_unreadable(uploads: Path, report: IndexReport, replaced: dict[str, bytes]) -> None:
    """Remove the uploaded files that could not be read at all (empty, binary, a broken PDF): left in the uploads
    folder, each failed again in every later upload's report. One that replaced an earlier upload of its name
    gives the earlier file back (its article stayed indexed; the file is the only copy a rebuild reads)."""
    for source, _ in report.failed:
        path = uploads / source
        # A whole file that gave nothing: a feed with one bad record is kept (its other records are indexed from it)
        if source and Path(source).name == source and path.is_file() and source not in report.sources_read:
            _put_back(uploads, [source], replaced)


def _unique(name: str, taken: dict[str, bytes]) -> str:
    """`name`, or `stem-2.suffix`, `stem-3.suffix`... when this upload already has a file of that name.

    >>> _unique("a.md", {"a.md": b"", "a-2.md": b""})
    'a-3.md'
    """
    stem, suffix = Path(name).stem, Path(name).suffix
    number = 1
    while name in taken:
        number += 1
        name = f"{stem}-{number}{suffix}"
    return name
