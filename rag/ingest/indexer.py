"""Building and updating the index from article sources, incrementally and crash-safely.

`update_index` reads the sources and compares each article's content hash with what the index holds, under the
index's write lock:

- new articles are added, changed ones re-chunked and re-embedded, unchanged ones cost no embedding at all, and
  a file whose size and times are those recorded when it was indexed is not even read again;
- articles whose file is gone (under the sources scanned) are removed, unless `keep_missing`;
- articles of a file that failed to read this time are kept, and the failure is reported with its fix;
- URL sources (rag.ingest.web) are read over HTTP: an RSS or Atom feed's items, or a page; a URL whose server
  says "not modified" counts as unchanged, and a summary-only feed item's page is fetched only when the item
  changed; items that scrolled off a feed are kept (a feed is a window), unless `prune_feeds`;
- an exact duplicate (same normalised title and text under another path or feed id) is stored once;
- an index built with another embedder or other chunk settings is refused with the fix (`rebuild=True`).

How a run goes (chunking, rebuild, keep_missing, prune_feeds, the wait for another writer, checkpoints, batch size,
size limit, index type, progress) is one `UpdateOptions`, which the edges build with `UpdateOptions.from_settings`:
`rag index`, `rag watch`, `rag serve --watch` and uploads differ only as `RUN_DIFFERENCES` says, with its reasons.

Saving writes a new generation and switches to it atomically (rag.store.generations), so a process killed at any moment
leaves the previous index whole; with the index in PostgreSQL (a `postgresql://` URL in place of the folder:
rag.store.postgres), each save is one transaction instead. A long run also commits a checkpoint generation every
`checkpoint_seconds`: after a crash, a rerun finds the checkpointed articles unchanged and embeds only the rest. A
rebuild saves once, at the end (a checkpoint would put a half-built index live), and carries into the new index, from
their stored passages, the articles an ordinary run keeps without reading them again (`_Plan.carried`).

Reading is rag.ingest.files (a file over `max_file_bytes` fails like any unreadable file), chunking
rag.ingest.chunk, storing rag.store.generations. Uploaded files take the same path (rag.ingest.uploads), and
rag.ingest.lazy_embedder loads the model only when there is something to embed, and the index's vectors,
passages and BM25 index are loaded only when there is something to write (deciding needs only the article
records, `IndexHead`), so a rerun with nothing new is cheap.
"""

from __future__ import annotations

import dataclasses
import json
import os
import time
from collections import Counter
from collections.abc import Callable, Sequence
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any, Literal

import numpy as np

from rag.errors import IndexFormatError, IndexNotFoundError, SourceError
from rag.ingest.chunk import chunk_article, embedding_text
from rag.ingest.decode import DECLARED_ENCODING_KEY, GUESSED_ENCODING_KEY, guessed_encoding_note
from rag.ingest.files import DEFAULT_MAX_FILE_BYTES, SUPPORTED_SUFFIXES, bytes_from_megabytes, iter_files, read_files
from rag.ingest.metadata import declared_kind
from rag.ingest.progress import ProgressCallback, StageProgress
from rag.ingest.rss import FEED_KEY, ITEM_KEY, PAGE_KEY
from rag.ingest.source import relative_name
from rag.ingest.web import HTTP_VALIDATORS_KEY, WebClient, is_url, read_urls, with_full_texts
from rag.instructions import instructions_note
from rag.models.embed import Embedder
from rag.records import ARTICLE_KIND_KEY, Article, Passage
from rag.settings import Settings
from rag.store import IndexStore, UpdatableIndex, open_store
from rag.store.generations import ArticleRecord, IndexHead

CHUNKER_VERSION = 1
"""Bump when chunking changes in a way that should re-chunk existing articles."""

DEFAULT_CHECKPOINT_SECONDS = 300.0
"""How often a long run commits what it has embedded so far, so that a crash loses at most this much work."""

_DEFAULTS = Settings()

UpdateRun = Literal["index", "watch", "upload"]
"""Who starts an update: `rag index` (`index`), a run on a schedule (`watch`: `rag watch`, `rag serve --watch`), or
files uploaded in the chat or to POST /api/index (`upload`)."""

RUN_DIFFERENCES: dict[UpdateRun, dict[str, Any]] = {
    # `rag index`, and `rag serve --watch`'s first build of an index that does not exist yet: someone at the keyboard
    # watches the progress bars, and another writer fails the run at once, with the fix (`--wait SECONDS`).
    "index": {},
    # `rag watch` and `rag serve --watch`: nobody is there to rerun a run that another writer (a `rag index` by hand,
    # an upload) holds up, and the next run is an interval away, so it waits up to a minute; the watcher's line per
    # run takes the place of the progress bars.
    "watch": {"wait": 60.0, "progress": False},
    # Uploads: someone is waiting for the answer to the upload, so another writer is waited for half a minute at
    # most; progress goes to the caller's callback (the chat's bar). An upload only adds: the articles of files no
    # longer in the uploads folder stay (one deleted there by hand, or, with the index in a database, the uploads
    # that another server keeps in its own folder under the same path).
    "upload": {"wait": 30.0, "progress": False, "keep_missing": True},
}
"""How the runs of each kind differ from a `rag index` run with the same settings, and why: the only place."""


@dataclass(frozen=True)
class UpdateOptions:
    """How one update run goes: everything `update_index` takes besides the sources, the index, the embedder and
    the web client. The defaults are those of `rag index` with the default settings.

    The edges build it with `from_settings` (the `rag index`, `rag watch` and `rag serve --watch` commands, and
    uploads), so that every kind of run gets the same batch size, size limit and index type from the settings, and
    differs from the others only as `RUN_DIFFERENCES` says.

    >>> UpdateOptions.from_settings(Settings()) == UpdateOptions()
    True
    >>> options = UpdateOptions.from_settings(Settings(batch_size=16), "watch", prune_feeds=True)
    >>> options.batch_size, options.wait, options.progress, options.prune_feeds
    (16, 60.0, False, True)
    """

    chunk_tokens: int | None = None  # None keeps the index's own (the settings' defaults for a new index)
    chunk_overlap: int | None = None
    rebuild: bool = False  # re-embed everything, re-reading the other sources the index holds too
    keep_missing: bool = False  # keep the articles whose file is gone
    prune_feeds: bool = False  # remove the items no longer in their RSS or Atom feed (a feed is a window)
    wait: float = 0.0  # seconds to wait for another writer (0: fail at once)
    checkpoint_seconds: float | None = DEFAULT_CHECKPOINT_SECONDS  # None: one commit, at the end
    batch_size: int = _DEFAULTS.batch_size  # passages chunked before each call of the embedder
    max_file_bytes: int = DEFAULT_MAX_FILE_BYTES  # a larger file fails like an unreadable one (downloads: `web`'s)
    index_factory: str = _DEFAULTS.index_factory  # the FAISS index of a new or rebuilt index (rag.store.vectors)
    migrate: bool = False  # a database store may upgrade an older schema first
    progress: bool = True  # progress bars on stderr

    @classmethod
    def from_settings(cls, settings: Settings, run: UpdateRun = "index", **choices: Any) -> UpdateOptions:
        """The options of a run of kind `run` as `settings` configure it, with the run's own `choices` (flags such
        as `rebuild=True`; chunk settings only when they were given, since None keeps the index's own)."""
        configured = {"batch_size": settings.batch_size, "max_file_bytes": bytes_from_megabytes(settings.max_file_mb),
                      "index_factory": settings.index_factory}
        return cls(**{**configured, **RUN_DIFFERENCES[run], **choices})


@dataclass
class IndexReport:
    """What one `rag index` run did. Lists hold article ids; `failed` holds (source, message with the fix)."""

    added: list[str] = field(default_factory=list)
    updated: list[str] = field(default_factory=list)
    removed: list[str] = field(default_factory=list)
    unchanged: int = 0
    duplicates: list[tuple[str, str]] = field(default_factory=list)  # (duplicate id, id of the copy kept)
    failed: list[tuple[str, str]] = field(default_factory=list)  # (source, message)
    retry_after: dict[str, float] = field(default_factory=dict)  # failed source -> seconds its server asked to wait
    kept: list[str] = field(default_factory=list)  # indexed articles kept because their file failed to read
    window: int = 0  # indexed items no longer in their RSS or Atom feed, kept (a feed shows only its latest items)
    notes: list[tuple[str, str]] = field(default_factory=list)  # (source, message): read, but worth a look
    files_read: int = 0
    files_unchanged: int = 0  # of files_read: not even read again (same size and times as when indexed)
    articles_read: int = 0
    passages_embedded: int = 0
    characters_embedded: int = 0
    embed_seconds: float = 0.0
    checkpoints: int = 0
    articles_total: int = 0
    passages_total: int = 0
    seconds: float = 0.0
    generation: int = 0
    # The sources (as `failed` names them) that gave at least one article: a failure of one of them is a bad record,
    # not the whole file (not in the JSON report)
    sources_read: set[str] = field(default_factory=set)
    # How many of `unchanged` each source gave (as `failed` names them): an upload reports its own files' alone
    # (not in the JSON report)
    unchanged_in: dict[str, int] = field(default_factory=dict)

    def count_unchanged(self, source: str, count: int = 1) -> None:
        """`count` more articles of `source` found unchanged."""
        self.unchanged += count
        self.unchanged_in[source] = self.unchanged_in.get(source, 0) + count

    @property
    def changed(self) -> bool:
        return bool(self.added or self.updated or self.removed)

    @property
    def nothing_read(self) -> bool:
        """True when no article could be read from the sources at all (the index was then left as it was)."""
        return self.articles_read == 0

    def to_dict(self) -> dict[str, Any]:
        data = asdict(self)
        del data["sources_read"], data["unchanged_in"]
        data["duplicates"] = [{"id": dup, "same_as": kept} for dup, kept in self.duplicates]
        data["failed"] = [{"source": source, "reason": reason} for source, reason in self.failed]
        data["notes"] = [{"source": source, "note": note} for source, note in self.notes]
        data["nothing_read"] = self.nothing_read
        return data

    def summary(self) -> str:
        lines = [
            f"added {len(self.added)}, updated {len(self.updated)}, removed {len(self.removed)}, "
            f"unchanged {self.unchanged}, duplicates {len(self.duplicates)}, failed {len(self.failed)}",
            f"index: {self.articles_total} articles, {self.passages_total} passages (generation {self.generation}); "
            f"{self.passages_embedded} passages embedded in {self.embed_seconds:.1f} s, {self.seconds:.1f} s in all",
        ]
        lines += [f"  duplicate: {dup} (same text as {kept}; stored once)" for dup, kept in self.duplicates]
        lines += [f"  failed: {reason}" for _, reason in self.failed]
        lines += [f"  kept: {article_id} (it could not be read this time, see failed above; the indexed copy stays)"
                  for article_id in self.kept]
        lines += [f"  note: {note}" for _, note in self.notes]
        if self.window:
            lines.append(f"  kept {self.window} item(s) no longer in their feed (--prune-feeds removes them)")
        if self.checkpoints:
            lines.append(f"  {self.checkpoints} checkpoint(s) saved along the way")
        return "\n".join(lines)

    def to_json(self) -> str:
        return json.dumps(self.to_dict(), ensure_ascii=False, indent=2)


def chunk_settings(max_tokens: int, overlap: int) -> dict[str, Any]:
    """The settings stored in an index that decide its passages; a change means every article is re-chunked.

    >>> chunk_settings(160, 32)
    {'chunk_tokens': 160, 'chunk_overlap': 32, 'chunker_version': 1}
    """
    return {"chunk_tokens": max_tokens, "chunk_overlap": overlap, "chunker_version": CHUNKER_VERSION}


# -- updating ------------------------------------------------------------------------------------------------------


def update_index(sources: Sequence[str | Path], folder: str | Path, embedder: Embedder,
                 options: UpdateOptions | None = None, *, web: WebClient | None = None,
                 on_progress: ProgressCallback | None = None) -> IndexReport:
    """Bring the index at `folder` up to date with `sources` (files, folders, and with a `web` client, URLs of
    feeds and pages), run as `options` say (None: `UpdateOptions()`); see the module docstring.

    `folder` is an index folder or a PostgreSQL URL (`rag.store.open_store`); the database store commits each
    save in one transaction, and `options.migrate` lets it upgrade an older schema first.

    Chunk settings left at None keep the index's own (or the defaults for a new index); different ones make a full
    re-embed necessary, which only `rebuild` does. Without `web`, a URL source is refused and a summary-only feed
    item keeps its summary. `on_progress` receives (stage, done, total), and the name of each file before it is read
    (`rag.ingest.progress.ProgressCallback`), beside the bars of `options.progress`.
    `index_factory` (rag.store.vectors) chooses the FAISS index of a new or rebuilt index; an existing index keeps
    the one it was built with. When no article at all could be read, nothing is changed and `report.nothing_read`
    is true. Raises SourceError when a source does not exist, IndexLockedError, IndexFormatError.
    """
    options = options or UpdateOptions()
    started = time.perf_counter()
    store = open_store(folder, index_factory=options.index_factory, migrate=options.migrate)
    report = IndexReport()
    rebuild = options.rebuild
    with store.writer_lock(timeout=options.wait, exclusive=rebuild):
        # Records only (for the file store): the rest is loaded only if something changed.
        head: UpdatableIndex | IndexHead | None = _load_existing(store, rebuild, store.load_head)
        tokens = options.chunk_tokens or (head.settings.get("chunk_tokens") if head else None) \
            or _DEFAULTS.chunk_tokens
        overlap = options.chunk_overlap if options.chunk_overlap is not None else \
            (head.settings.get("chunk_overlap", _DEFAULTS.chunk_overlap) if head else _DEFAULTS.chunk_overlap)
        if head is not None and not rebuild:
            _check_compatible(store.name, head, embedder, tokens, overlap)
        known = dict(head.articles) if head is not None else {}
        plan = _scan(sources, known, report, options, web,
                     StageProgress("reading", " files", options.progress, on_progress))
        if report.nothing_read:
            report.removed = []  # nothing was removed: an empty or unmounted folder never wipes the index
        if report.nothing_read or (head is not None and not rebuild and not plan.changes):
            _finish_report(report, head, started)
            return report
        # A database store's head is its index already: load again only what the file store left on disk.
        old: UpdatableIndex | None = (_load_existing(store, rebuild, store.load) if isinstance(head, IndexHead)
                                      else head)
        index: UpdatableIndex
        if old is not None and not rebuild:
            index = old
        else:
            index = store.create(embedder.name, embedder.dimension,
                                 chunk_settings(min(tokens, embedder.max_tokens), overlap))
            index.generation = old.generation if old is not None else 0
        # A rebuild's checkpoint would put a half-built index live (and the generation before it would be deleted):
        # it replaces the index in one save at the end. A first build checkpoints, so that a rerun goes on from there.
        checkpoint = None if rebuild and old is not None else options.checkpoint_seconds
        writer = _Writer(index, store, embedder, report, checkpoint, options.batch_size,
                         StageProgress("embedding", " articles", options.progress, on_progress,
                                       total=len(plan.to_embed)),
                         fresh=index is not old, skip_of=plan.skip_of)
        writer.refresh(plan.refreshed)
        if old is not None and plan.carried:
            writer.carry([old.articles[article_id] for article_id in plan.carried], old.passages_of(plan.carried))
        for article in plan.to_embed:
            writer.add(article)
        writer.finish(plan.gone)
        if rebuild and old is not None:
            report.removed = [article_id for article_id in old.articles if article_id not in index.articles]
        _finish_report(report, index, started)
    return report


def remove_articles(folder: str | Path, chosen: Sequence[str], wait: float = 0.0) -> list[str]:
    """Remove from the index at `folder` (a folder or a PostgreSQL URL) the articles `chosen` names, and return
    their ids: each is an article id, a URL the articles were read from, or a file or folder on disk (it may be gone:
    a folder moved away leaves its articles, which no run of the new folder removes). Nothing is embedded. Raises
    SourceError when one names no indexed article (nothing is removed then), IndexLockedError, IndexNotFoundError."""
    if not all(name.strip() for name in chosen):  # an unset $VARIABLE: "" would be the current folder
        raise SourceError("''", "names no article", fix="give an article id, a URL, a file or a folder")
    store: IndexStore = open_store(folder)
    with store.writer_lock(timeout=wait):
        index: UpdatableIndex = store.load()
        doomed: dict[str, None] = {}
        for name in chosen:
            place = "" if is_url(name) else str(Path(name).expanduser().resolve())
            found = [record.id for record in index.articles.values()
                     if name in (record.id, record.path) or (place and under_path(record.path, place))]
            if not found:
                raise SourceError(name, "names no indexed article (no id, URL, file or folder of one)",
                                  fix="`rag info --articles` lists each article's id; nothing was removed")
            doomed.update(dict.fromkeys(found))
        index.delete(doomed)
        store.save(index)
    return list(doomed)


def under_path(path: str, place: str) -> bool:
    """Whether the file `path` is `place` or inside the folder `place` (both resolved).

    >>> under_path("/news/2026/a.md", "/news"), under_path("/newsletter/a.md", "/news")
    (True, False)
    """
    return bool(path) and not is_url(path) and (path == place or path.startswith(place.rstrip(os.sep) + os.sep))


def _finish_report(report: IndexReport, index: UpdatableIndex | IndexHead | None, started: float) -> None:
    if index is not None:
        report.articles_total = len(index.articles)
        report.passages_total = index.passages if isinstance(index, IndexHead) else len(index)
        report.generation = index.generation
    report.seconds = time.perf_counter() - started


def _load_existing(store: IndexStore, rebuild: bool, load: Callable[[], Any]) -> Any:
    try:
        return load()
    except IndexNotFoundError:
        return None
    except IndexFormatError:
        if rebuild:  # an unreadable or outdated index is exactly what --rebuild replaces
            return None
        raise


def _check_compatible(folder: str, index: UpdatableIndex | IndexHead, embedder: Embedder, tokens: int,
                      overlap: int) -> None:
    """Refuse to mix passages from another embedder or other chunk settings; load the model only if needed."""
    same = index.embedder == embedder.name and index.settings == chunk_settings(tokens, overlap)
    if same and (not getattr(embedder, "loaded", True) or index.dimension == embedder.dimension):
        return
    settings = chunk_settings(tokens, overlap)
    stored_tokens = index.settings.get("chunk_tokens", 0)
    if index.embedder == embedder.name and tokens > stored_tokens:
        # The stored chunk size may be this request capped by the model's limit: only the model can tell.
        settings = chunk_settings(min(tokens, embedder.max_tokens), overlap)
        if index.settings == settings and index.dimension == embedder.dimension:
            return
    same_flags = " ".join(_flags_that_differ(index.embedder, index.settings, embedder.name, settings))
    raise IndexFormatError(
        f"the index in {folder} was built with embedder {index.embedder!r} and chunking {index.settings}, "
        f"now {embedder.name!r} and {settings}: every article would have to be re-embedded. "
        f"Pass {same_flags or 'the same --embedder, --embed-backend, --chunk-tokens and --chunk-overlap'} as "
        f"before, or run the command again with --rebuild to re-embed everything"
    )


def _flags_that_differ(stored: str, stored_settings: dict[str, Any], name: str, settings: dict[str, Any]) -> list[str]:
    """The flags, with the index's values, that would make this run's embedder and chunking the index's: only those
    that differ (an index of int8 vectors refused to `--embed-backend torch` is told `--embed-backend onnx-int8`,
    not to pass the same --embedder).

    >>> _flags_that_differ("all-MiniLM-L6-v2+int8", {"chunk_tokens": 200}, "all-MiniLM-L6-v2", {"chunk_tokens": 200})
    ['--embed-backend onnx-int8']
    >>> _flags_that_differ("e5", {"chunk_tokens": 200, "chunk_overlap": 32}, "bge", {"chunk_tokens": 120,
    ...                    "chunk_overlap": 32})
    ['--embedder e5', '--chunk-tokens 200']
    """
    from rag.models.embed import INT8_SUFFIX, backend_of

    flags = []
    if stored.removesuffix(INT8_SUFFIX) != name.removesuffix(INT8_SUFFIX):
        flags.append(f"--embedder {stored.removesuffix(INT8_SUFFIX)}")  # its name: the folder's, or the bundled
    if backend_of(stored) != backend_of(name):
        flags.append(f"--embed-backend {backend_of(stored)}")  # "torch" stands for onnx too: the same vectors
    flags += [f"--{key.replace('_', '-')} {stored_settings[key]}" for key in ("chunk_tokens", "chunk_overlap")
              if key in stored_settings and stored_settings.get(key) != settings.get(key)]
    return flags


@dataclass
class _Plan:
    to_embed: list[Article]
    gone: list[str]
    refreshed: list[ArticleRecord]  # unchanged articles whose skip metadata changed (touched, or now settled)
    skip_of: Callable[[str], dict[str, Any]]
    # A rebuild's articles not read again that an ordinary run keeps (their source failed, items that scrolled off
    # their feed, missing files with keep_missing): carried into the new index from their stored passages.
    carried: list[str] = field(default_factory=list)

    @property
    def changes(self) -> bool:
        """True when the index must be written: something to embed, remove or record."""
        return bool(self.to_embed or self.gone or self.refreshed)


FILE_SIGNATURE_KEY = "_file_signature"
"""Kept in an ArticleRecord's metadata: the size and times of its file when it was read, to skip reading it again."""

SKIP_KEYS = (FILE_SIGNATURE_KEY, HTTP_VALIDATORS_KEY)
"""The metadata that lets the next run skip reading a source: a file's signature, a URL's validators."""

RACY_SECONDS = 2.0
"""A file modified this recently may change again within the file system's timestamp resolution: not trusted."""


def _signature(path: Path, now: float) -> str:
    """Size, modification and change times of a file, or "" when they cannot vouch for its content."""
    try:
        status = path.stat()
    except OSError:
        return ""
    if now - max(status.st_mtime, status.st_ctime) < RACY_SECONDS:
        return ""
    return f"{status.st_size}:{status.st_mtime_ns}:{status.st_ctime_ns}"


def _shared_validators(records: Sequence[ArticleRecord]) -> dict[str, str]:
    """The HTTP validators to send for a URL: those all its articles were stored with, else none (a 304 must
    vouch for every article the index holds from it)."""
    found = [record.metadata.get(HTTP_VALIDATORS_KEY) or {} for record in records]
    return dict(found[0]) if found and all(item == found[0] for item in found) else {}


@dataclass
class _Scan:
    """What reading the sources has found so far: the state that the phases of `_scan` share.

    A source is named by its resolved path or its URL. It is fully read when articles were read from it (or counted
    unchanged), partly read when some of it failed (it may be both); a tainted source is read again next run,
    whatever its file signature or HTTP validators say (a failure, a duplicate or a clashing id must be reported
    again)."""

    known: dict[str, ArticleRecord]  # the index's records, by article id
    report: IndexReport
    options: UpdateOptions
    web: WebClient | None
    bar: StageProgress
    records_of: dict[str, list[ArticleRecord]] = field(init=False, default_factory=dict)  # the index's, by source
    signatures: dict[str, str] = field(init=False, default_factory=dict)  # file -> its signature before reading
    validators: dict[str, dict[str, str]] = field(init=False, default_factory=dict)  # URL -> its answer's validators
    found: dict[str, str] = field(init=False, default_factory=dict)  # article id -> the source it came from, this run
    candidates: list[Article] = field(init=False, default_factory=list)  # new or changed: embedded unless duplicates
    # article id -> ITEM_KEY of an unchanged summary-only item whose page was read again
    item_keys: dict[str, str] = field(init=False, default_factory=dict)
    fully_read: set[str] = field(init=False, default_factory=set)
    partly_read: set[str] = field(init=False, default_factory=set)
    tainted: set[str] = field(init=False, default_factory=set)

    def __post_init__(self) -> None:
        for record in self.known.values():
            self.records_of.setdefault(record.path, []).append(record)

    def prunes(self, records: list[ArticleRecord]) -> bool:
        """Unchanged since it was read says nothing about which items a feed still lists: pruning reads it."""
        return self.options.prune_feeds and any(FEED_KEY in record.metadata for record in records)

    def kept(self, path: str) -> bool:
        """Whether the file at `path` (resolved) is one this run does not read: its size and times are those its
        articles were indexed with (`signatures`, taken before reading), and nothing else asks for it to be read
        (a rebuild, a feed to prune). `_scan_files` still reads it when a file read before it holds one of its ids."""
        records = self.records_of.get(path, [])
        signature = self.signatures.get(path)
        return bool(not self.options.rebuild and not self.prunes(records) and records and signature
                    and all(record.metadata.get(FILE_SIGNATURE_KEY) == signature for record in records))

    def count_unchanged(self, records: list[ArticleRecord], label: str, resolved: str) -> None:
        """A source not read again (same file signature, or not modified): its articles count as unchanged."""
        self.fully_read.add(resolved)
        for record in records:
            self.found[record.id] = label
        self.report.articles_read += len(records)
        self.report.count_unchanged(label, len(records))
        self.report.files_unchanged += 1

    def skip_metadata(self, path: str) -> dict[str, Any]:
        """What lets the next run skip reading the source at `path`: its file signature or HTTP validators."""
        if path in self.tainted:
            return {}
        if is_url(path):
            return {HTTP_VALIDATORS_KEY: self.validators[path]} if self.validators.get(path) else {}
        return {FILE_SIGNATURE_KEY: self.signatures[path]} if self.signatures.get(path) else {}


def _scan(sources: Sequence[str | Path], known: dict[str, ArticleRecord], report: IndexReport,
          options: UpdateOptions, web: WebClient | None, bar: StageProgress) -> _Plan:
    """Read every source and decide what happens to each article; only new and changed ones are kept in memory.

    A file whose size and times are those recorded when its articles were indexed is not read again, nor is a URL
    whose server says it was not modified: their articles count as unchanged. A file is read (and hashed) whenever
    anything about it changed, had a problem, or holds a duplicate, so that the report is the same as if every
    file had been read. A summary-only feed item's page is fetched only when the item changed.

    In phases that share a `_Scan`: the local files (`_scan_files`), then the URLs (`_scan_urls`), each source's
    articles taken as it is read (`_take`) with the pages of its summary-only feed items (`_read_feed_pages`), and
    last the decisions about what the index held (`_plan`).
    """
    urls = list(dict.fromkeys(str(source) for source in sources if is_url(source)))
    if options.rebuild:  # a rebuild reads every source the index holds articles from, these too
        urls += [path for path in dict.fromkeys(record.path for record in known.values() if is_url(record.path))
                 if path not in urls]
    if urls and web is None:
        raise SourceError(urls[0], "is a web address, and this indexer fetches none",
                          fix="index it with `rag index` on the command line")
    local = [source for source in sources if not is_url(source)]
    ignored: list[Path] = []
    files = list(iter_files(local, ignored))  # raises SourceError for a source that does not exist
    for root, path in [pair for pair in files if _link_loop(pair[1])]:
        files.remove((root, path))
        label = os.path.relpath(path, root)  # not relative_name: it resolves the link
        report.failed.append((label, f"{label}: is a symbolic link that leads back to itself: point it at a file, "
                                     f"or remove it"))
    if ignored:
        report.notes.append(("", _ignored_note(ignored)))
    roots = [Path(source).expanduser().resolve() for source in local]
    if options.rebuild:
        others = _other_files(known.values(), roots, {path.resolve() for _, path in files})
        files += others
        roots += [path.resolve() for _, path in others]
    scan = _Scan(known, report, options, web, bar)
    # Taken before reading: errs on the safe side (a file written while it is read is read again next run).
    now = time.time()
    scan.signatures = {str(path.resolve()): _signature(path, now) for _, path in files}
    # The bar counts what this run reads: an upload of 2 files into a folder of 50 earlier ones reads 2
    bar.start(sum(not scan.kept(str(path.resolve())) for _, path in files) + len(urls))
    _scan_files(scan, files)
    _scan_urls(scan, urls)
    bar.close()
    return _plan(scan, roots, urls)


def _link_loop(path: Path) -> bool:
    """Whether `path` is a symbolic link that leads back to itself (resolving it raises)."""
    try:
        path.resolve()
    except (OSError, RuntimeError):
        return True
    return False


def _scan_files(scan: _Scan, files: Sequence[tuple[Path, Path]]) -> None:
    """The local files, (root, file) pairs: one whose size and times are those its articles were indexed with is
    not read again (they count as unchanged); any other is read, and what it holds taken (`_take`)."""
    for root, path in files:
        resolved, label = str(path.resolve()), relative_name(path, root)
        records = scan.records_of.get(resolved, [])
        kept = scan.kept(resolved)
        if kept and not any(record.id in scan.found for record in records):
            scan.count_unchanged(records, label, resolved)  # not read: not one of the bar's files
            continue
        if kept:  # read after all: a file read before it this run holds one of its articles' ids
            scan.bar.grow(1)
        scan.bar.reading(label)  # a feed gives its articles, then its bad records
        _take(scan, resolved, label,
              [result for _, result in read_files([(root, path)], max_file_bytes=scan.options.max_file_bytes)])
        scan.bar.advance(1, articles=scan.report.articles_read)  # after the file: its articles are counted


def _scan_urls(scan: _Scan, urls: Sequence[str]) -> None:
    """The URLs of feeds and pages, fetched with the HTTP validators their articles were stored with: one whose
    server says it was not modified counts as unchanged; any other is read like a file (`_take`)."""
    if not urls:
        return
    assert scan.web is not None  # `_scan` refuses URLs without a web client
    requests = []
    for url in urls:
        records = scan.records_of.get(url, [])
        requests.append((url, {} if scan.options.rebuild or scan.prunes(records) else _shared_validators(records)))
    # Fetched a few at a time first: waiting on the network, one after the other, is what would take long.
    reads = read_urls(requests, scan.web)
    for url, read in zip(urls, reads, strict=True):
        scan.bar.advance(1, articles=scan.report.articles_read)
        if isinstance(read, SourceError):
            _take(scan, url, url, [read])
            continue
        records = scan.records_of.get(url, [])
        if read.fetched.not_modified:
            scan.count_unchanged(records, url, url)
            scan.validators[url] = read.fetched.validators or _shared_validators(records)
            continue
        scan.validators[url] = read.fetched.validators
        if not read.articles and not read.problems:
            scan.fully_read.add(url)  # an empty feed: read, and nothing in it
        results: list[list[Article] | SourceError] = [read.articles] if read.articles else []
        _take(scan, url, url, [*results, *read.problems])


def _take(scan: _Scan, resolved: str, label: str, results: Sequence[list[Article] | SourceError]) -> None:
    """What one source gave, in order: its failures are reported, each of its articles is new, changed, unchanged
    or an id seen before; then the pages of its changed summary-only feed items are read (`_read_feed_pages`)."""
    report = scan.report
    pages: list[Article] = []  # summary-only feed items that changed: their pages are read below
    for result in results:
        if isinstance(result, SourceError):
            report.failed.append((result.source, str(result)))
            if result.retry_after:
                report.retry_after[result.source] = result.retry_after
            scan.bar.write(f"failed: {result}")
            scan.partly_read.add(resolved)
            continue
        scan.fully_read.add(resolved)
        for article in result:
            if article.id in scan.found:
                if FEED_KEY in article.metadata:
                    continue  # the same item in two feeds of a site (its guid or link is the same)
                report.failed.append((label, f"{label}: has an article with the id {article.id!r}, like "
                                             f"{scan.found[article.id]} (kept that one; give each record its own id)"))
                scan.tainted.add(resolved)
                continue
            indexed = scan.known.get(article.id)
            # A rebuild reads every file again, in its own order, but a URL's article is no file's to take
            if (indexed is not None and _held_by_another_source(indexed, resolved)
                    and (not scan.options.rebuild or is_url(indexed.path))):
                # Another file's article with this id (two feeds numbering their records 1, 2, …, indexed one run
                # at a time): replacing it would lose it.
                report.failed.append((label, f"{label}: has an article with the id {article.id!r}, like "
                                             f"{indexed.path} (kept that one; give each record its own id)"))
                scan.tainted.add(resolved)
                continue
            scan.found[article.id] = label
            report.articles_read += 1
            if PAGE_KEY in article.metadata:
                if scan.web is None:  # the feed's summary it is; ITEM_KEY would claim the page was read
                    metadata = {key: value for key, value in article.metadata.items() if key != ITEM_KEY}
                    article = dataclasses.replace(article, metadata=metadata)
                elif (indexed is not None and not scan.options.rebuild
                      and indexed.metadata.get(ITEM_KEY) == article.metadata.get(ITEM_KEY)):
                    report.count_unchanged(label)  # the item did not change: its page is not fetched again
                    continue
                else:
                    pages.append(article)
                    continue
            if indexed is not None and indexed.hash == article.hash and not scan.options.rebuild:
                report.count_unchanged(label)
            else:
                scan.candidates.append(article)
    if pages:
        _read_feed_pages(scan, resolved, pages, label)


def _held_by_another_source(indexed: ArticleRecord, resolved: str) -> bool:
    """Whether the indexed article of an id comes from another source than the file or URL `resolved`, one still
    there: another file (a file that moved or was renamed gives its articles to the new name), or a feed or page
    given as a URL, which a file never replaces (an uploaded JSON feed naming a news feed's item id replaced it)."""
    if not indexed.path or indexed.path == resolved or is_url(resolved):
        return False
    return is_url(indexed.path) or Path(indexed.path).is_file()


def _read_feed_pages(scan: _Scan, resolved: str, items: Sequence[Article], label: str) -> None:
    """The pages that a feed's changed summary-only items link to, read right after the feed (so that the report and
    the order of embedding follow the sources), a few at a time. A page that fails is a note, not a failure: its
    item is indexed all the same, with the text it was indexed with or, new, the feed's own; its feed is read again
    next run, to try the page again."""
    assert scan.web is not None  # `_take` sends items here only with a web client
    rebuild = scan.options.rebuild
    for item, page in zip(items, with_full_texts(items, scan.web), strict=True):
        indexed = scan.known.get(item.id)
        if isinstance(page, SourceError):
            # Nothing is lost and there is nothing to fix here: counted in "failed" (and so in the exit status of
            # a cron job), a linked site that is down made every run of a local feed file "fail"
            kept = "the text indexed before" if indexed is not None else "the feed's text"
            note = f"{page.source}: {page.reason}; kept {kept} for the item {item.title!r} (the page is tried again " \
                   f"next run)"
            scan.report.notes.append((page.source, note))
            scan.bar.write(f"note: {note}")
            scan.tainted.add(resolved)
            if indexed is None:  # the feed's text until the page can be read (no ITEM_KEY: tried again next run)
                summary = {key: value for key, value in item.metadata.items() if key != ITEM_KEY}
                scan.candidates.append(dataclasses.replace(item, metadata=summary))
        elif indexed is not None and indexed.hash == page.hash and not rebuild:
            scan.report.count_unchanged(label)
            scan.item_keys[item.id] = str(page.metadata.get(ITEM_KEY, ""))
        else:
            scan.candidates.append(page)


def _plan(scan: _Scan, roots: list[Path], urls: Sequence[str]) -> _Plan:
    """After reading: which articles the index held from the sources scanned are gone, kept (their source failed)
    or items that scrolled off their feed; which candidates are duplicates; which unchanged articles' records get
    new skip metadata."""
    report, options = scan.report, scan.options
    report.files_read = len(scan.fully_read)
    report.sources_read = set(scan.found.values())
    scan.tainted |= scan.partly_read
    read_sources = scan.fully_read | scan.partly_read
    fully_read = scan.fully_read - scan.partly_read  # a feed with bad lines: its records not read may be on those
    url_sources = set(urls)
    gone: list[str] = []
    for record in scan.known.values():
        if record.id in scan.found or not record.path:
            continue
        missing = not is_url(record.path) and not Path(record.path).exists()
        if options.rebuild and missing and not options.keep_missing:  # a rebuild reads every source there is
            gone.append(record.id)
            continue
        if is_url(record.path):
            if record.path not in url_sources:
                continue
        elif not _under(Path(record.path), roots):
            continue
        if record.path in fully_read and FEED_KEY in record.metadata and not options.prune_feeds:
            report.window += 1  # scrolled off its feed, which is a window over the latest items: kept
            scan.found[record.id] = record.path
        elif record.path in fully_read or missing:
            # keep_missing is for files gone; a record gone from a file read whole (a JSON feed uploaded again
            # without it) is gone whatever
            if not (options.keep_missing and missing):
                gone.append(record.id)
        elif record.path in scan.partly_read:
            report.kept.append(record.id)
    to_embed = _without_duplicates(scan.candidates, scan.known, gone, report, options.rebuild, scan.tainted)
    carried: list[str] = []
    if options.rebuild:  # what an ordinary run keeps, a rebuild keeps: every article not read again, not gone
        read_again = {article.id for article in to_embed} | {duplicate for duplicate, _ in report.duplicates}
        carried = [article_id for article_id in scan.known if article_id not in read_again and article_id not in gone]
    embedding = {article.id for article in to_embed} | set(gone)
    refreshed = []
    for record in scan.known.values():
        if record.id in embedding or record.id not in scan.found or record.path not in read_sources:
            continue
        metadata = {key: value for key, value in record.metadata.items() if key not in SKIP_KEYS}
        if record.id in scan.item_keys:
            metadata[ITEM_KEY] = scan.item_keys[record.id]
        metadata.update(scan.skip_metadata(record.path))
        if metadata != record.metadata:
            refreshed.append(dataclasses.replace(record, metadata=metadata))
    return _Plan(to_embed, gone, refreshed, scan.skip_metadata, carried)


def _without_duplicates(candidates: list[Article], known: dict[str, ArticleRecord], gone: list[str],
                        report: IndexReport, rebuild: bool, tainted: set[str]) -> list[Article]:
    """The candidates to embed: a text already in the index (or earlier in this run) is recorded as a duplicate."""
    changing = {article.id for article in candidates} | set(gone)
    in_index = {} if rebuild else {record.hash: record.id for record in known.values() if record.id not in changing}
    to_embed = []
    for article in candidates:
        twin = in_index.get(article.hash)
        if twin is not None:
            report.duplicates.append((article.id, twin))
            tainted.add(article.path)  # its file must be read again next time, to report the duplicate again
            if article.id in known and not rebuild:  # it used to differ, now it copies another article
                gone.append(article.id)
            continue
        in_index[article.hash] = article.id
        (report.updated if article.id in known else report.added).append(article.id)
        # The notes name the file (its source may be the outlet, from a dateline or front matter: "Kestrel Haven
        # Courier" would not say which file to look at or save again).
        named = article.url or Path(article.path).name or article.source
        guessed = article.metadata.get(GUESSED_ENCODING_KEY)
        if guessed:
            declared = str(article.metadata.get(DECLARED_ENCODING_KEY, ""))
            report.notes.append((article.source, guessed_encoding_note(named, str(guessed), declared)))
        # What chunk_article leaves out of its passages, said once per run that embeds it.
        orders = instructions_note(named, article.title, article.text)
        if orders:
            report.notes.append((article.source, orders))
        to_embed.append(article)
    report.removed = [article_id for article_id in gone if article_id in known]
    return to_embed


def _ignored_note(ignored: list[Path]) -> str:
    """One line about the files skipped for their format, so that none is skipped silently.

    >>> _ignored_note([Path("a.docx"), Path("b.DOCX"), Path("ABOUT")])
    'ignored 3 files of other formats (.docx: 2, no suffix: 1): convert them to .atom, .htm, .html, .json, .jsonl, \
.markdown, .md, .pdf, .rss, .txt or .xml to index them'
    """
    counts = Counter(path.suffix.lower() or "no suffix" for path in ignored)
    kinds = ", ".join(f"{suffix}: {count}" for suffix, count in sorted(counts.items(), key=lambda kv: (-kv[1], kv[0])))
    formats = sorted(SUPPORTED_SUFFIXES)
    plural, them = ("s", "them") if len(ignored) > 1 else ("", "it")
    return (f"ignored {len(ignored)} file{plural} of other formats ({kinds}): convert {them} to "
            f"{', '.join(formats[:-1])} or {formats[-1]} to index {them}")


def _other_files(records: Any, roots: list[Path], listed: set[Path]) -> list[tuple[Path, Path]]:
    """For a rebuild: files the index holds articles from, outside the sources given, that still exist."""
    pairs = []
    for record in records:
        if not record.path:
            continue
        path = Path(record.path)
        if path in listed or _under(path, roots) or not path.is_file():
            continue
        listed.add(path)
        root = path.parent
        if record.source and path.as_posix().endswith("/" + record.source):  # keep the relative name it had
            root = Path(path.as_posix()[: -len(record.source) - 1])
        pairs.append((root, path))
    return pairs


def _under(path: Path, roots: list[Path]) -> bool:
    return any(path == root or root in path.parents for root in roots)


class _Writer:
    """Chunks and embeds articles in batches, and commits them to the index: at checkpoints and at the end.

    Between commits the embedded articles wait in memory, so every saved generation is consistent: an updated
    article's old passages are replaced by its new ones in the same commit.
    """

    def __init__(self, index: UpdatableIndex, store: IndexStore, embedder: Embedder, report: IndexReport,
                 checkpoint_seconds: float | None, batch_size: int, bar: StageProgress, fresh: bool,
                 skip_of: Callable[[str], dict[str, Any]]) -> None:
        self.index, self.store, self.embedder, self.report, self.bar = index, store, embedder, report, bar
        self.checkpoint_seconds = checkpoint_seconds
        self.batch_size = max(1, batch_size)
        self.settings = index.settings
        self.chunked: list[tuple[Article, list[Passage]]] = []
        self.chunked_passages = 0
        self.ready: list[tuple[Article, list[Passage], np.ndarray]] = []
        self.last_commit = time.monotonic()
        self.dimension_checked = False
        self.unsaved = fresh  # a new or rebuilt index is saved even if nothing else happens
        self.skip_of = skip_of

    def refresh(self, records: Sequence[ArticleRecord]) -> None:
        """Replace the records of unchanged articles (same passages, new file signature)."""
        for record in records:
            if record.id in self.index.articles:
                self.index.articles[record.id] = record
                self.unsaved = True

    def carry(self, records: Sequence[ArticleRecord], passages: Sequence[Passage]) -> None:
        """Put articles a rebuild could not read again into the new index from their stored passages (chunked as
        they were), embedded again: the embedder may be another."""
        began = time.perf_counter()
        for start in range(0, len(passages), self.batch_size):
            batch = passages[start:start + self.batch_size]
            vectors = self.embedder.embed([embedding_text(passage.title, passage.text) for passage in batch])
            self.index.add(batch, vectors)
        self.index.add([], np.zeros((0, self.index.dimension), dtype=np.float32), records)
        self.report.embed_seconds += time.perf_counter() - began
        self.report.passages_embedded += len(passages)
        self.unsaved = True

    def add(self, article: Article) -> None:
        passages = chunk_article(article, self.settings["chunk_tokens"], self.settings["chunk_overlap"],
                                 self.embedder.count_tokens)
        self.chunked.append((article, passages))
        self.chunked_passages += len(passages)
        if self.chunked_passages >= self.batch_size:
            self._embed_chunked()
            if self.checkpoint_seconds is not None and time.monotonic() - self.last_commit >= self.checkpoint_seconds:
                self._commit(gone=())
                self.report.checkpoints += 1

    def finish(self, gone: list[str]) -> None:
        """Commit the rest and remove what is gone; saves a generation only if the index changed."""
        self._embed_chunked()
        self._commit(gone)
        self.bar.close()

    def _embed_chunked(self) -> None:
        if not self.chunked:
            return
        if not self.dimension_checked and self.embedder.dimension != self.index.dimension:
            raise IndexFormatError(
                f"the embedder {self.embedder.name!r} gives {self.embedder.dimension}-dimensional vectors, the index "
                f"in {self.store.name} holds {self.index.dimension}-dimensional ones: rebuild it with --rebuild"
            )
        self.dimension_checked = True
        began = time.perf_counter()
        texts = [embedding_text(passage.title, passage.text) for _, passages in self.chunked for passage in passages]
        vectors = self.embedder.embed(texts) if texts else np.zeros((0, self.index.dimension), dtype=np.float32)
        self.report.embed_seconds += time.perf_counter() - began
        self.report.passages_embedded += len(texts)
        self.report.characters_embedded += sum(len(text) for text in texts)
        row = 0
        for article, passages in self.chunked:
            self.ready.append((article, passages, vectors[row:row + len(passages)]))
            row += len(passages)
        self.bar.advance(len(self.chunked), passages=self.report.passages_embedded)
        self.chunked, self.chunked_passages = [], 0

    def _commit(self, gone: Sequence[str]) -> None:
        doomed = [article.id for article, _, _ in self.ready if article.id in self.index.articles]
        doomed += [article_id for article_id in gone if article_id in self.index.articles]
        if doomed:
            self.index.delete(doomed)
            self.unsaved = True
        if self.ready:
            passages = [passage for _, article_passages, _ in self.ready for passage in article_passages]
            vectors = np.vstack([article_vectors for _, _, article_vectors in self.ready])
            counts = Counter(passage.article_id for passage in passages)
            records = [_record(article, counts[article.id], self.skip_of(article.path))
                       for article, _, _ in self.ready]
            self.index.add(passages, vectors, records)
            self.unsaved = True
        self.ready = []
        if self.unsaved:
            self.store.save(self.index)
            self.unsaved = False
        self.last_commit = time.monotonic()


def _record(article: Article, passages: int, skip: dict[str, Any]) -> ArticleRecord:
    metadata = {key: value for key, value in article.metadata.items() if key not in (*SKIP_KEYS, PAGE_KEY)}
    metadata.update(skip)
    kind = declared_kind(article.title, article.text, article.metadata)
    if kind:  # read once here, for every reader: the answers cite it beside the article (rag.records.ARTICLE_KIND_KEY)
        metadata[ARTICLE_KIND_KEY] = kind
    return ArticleRecord(
        id=article.id, hash=article.hash, title=article.title, source=article.source, path=article.path,
        url=article.url, published=article.published, author=article.author, passages=passages,
        metadata=metadata,
    )
