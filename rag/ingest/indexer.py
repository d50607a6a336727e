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

Saving writes a new generation and switches to it atomically (rag.store.generations), so a process killed at any moment
leaves the previous index whole; with the index in PostgreSQL (a `postgresql://` URL in place of the folder:
rag.store.postgres), each save is one transaction instead. A long run also commits a checkpoint generation every
`checkpoint_seconds`: after a crash, a rerun finds the checkpointed articles unchanged and embeds only the rest.

Reading is rag.ingest.files (a file over `max_file_bytes` fails like any unreadable file), chunking
rag.ingest.chunk, storing rag.store.generations. Uploaded files take the same path (rag.ingest.uploads), and
rag.ingest.lazy_embedder loads the model only when there is something to embed, and the index's vectors,
passages and BM25 index are loaded only when there is something to write (deciding needs only the article
records, `IndexHead`), so a rerun with nothing new is cheap.
"""

from __future__ import annotations

import dataclasses
import json
import time
from collections import Counter
from collections.abc import Callable, Sequence
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from rag.errors import IndexFormatError, IndexNotFoundError, SourceError
from rag.ingest.chunk import chunk_article, embedding_text
from rag.ingest.decode import GUESSED_ENCODING_KEY
from rag.ingest.files import DEFAULT_MAX_FILE_BYTES, SUPPORTED_SUFFIXES, iter_files, read_files
from rag.ingest.progress import ProgressCallback, StageProgress
from rag.ingest.rss import FEED_KEY, ITEM_KEY, PAGE_KEY
from rag.ingest.source import relative_name
from rag.ingest.web import HTTP_VALIDATORS_KEY, WebClient, is_url, read_urls, with_full_texts
from rag.models.embed import Embedder
from rag.records import Article, Passage
from rag.settings import Settings
from rag.store import IndexStore, UpdatableIndex, open_store
from rag.store.generations import ArticleRecord, IndexHead
from rag.store.vectors import AUTO

CHUNKER_VERSION = 1
"""Bump when chunking changes in a way that should re-chunk existing articles."""

DEFAULT_CHECKPOINT_SECONDS = 300.0
"""How often a long run commits what it has embedded so far, so that a crash loses at most this much work."""

_DEFAULTS = Settings()



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

    @property
    def changed(self) -> bool:
        return bool(self.added or self.updated or self.removed)

    @property
    def nothing_read(self) -> bool:
        """True when no article could be read from the sources at all (the index was then left as it was)."""
        return self.articles_read == 0

    def to_dict(self) -> dict[str, Any]:
        data = asdict(self)
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
        lines += [f"  kept: {article_id} (its file could not be read this time; the indexed copy stays)"
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


def update_index(sources: Sequence[str | Path], folder: str | Path, embedder: Embedder, *,
                 chunk_tokens: int | None = None, chunk_overlap: int | None = None, rebuild: bool = False,
                 keep_missing: bool = False, progress: bool = True, wait: float = 0.0,
                 checkpoint_seconds: float | None = DEFAULT_CHECKPOINT_SECONDS, batch_size: int = 64,
                 on_progress: ProgressCallback | None = None, max_file_bytes: int = DEFAULT_MAX_FILE_BYTES,
                 index_factory: str = AUTO, web: WebClient | None = None, prune_feeds: bool = False,
                 migrate: bool = False) -> IndexReport:
    """Bring the index at `folder` up to date with `sources` (files, folders, and with a `web` client, URLs of
    feeds and pages); see the module docstring.

    `folder` is an index folder or a PostgreSQL URL (`rag.store.open_store`); the database store commits each
    save in one transaction, and `migrate` lets it upgrade an older schema first.

    Chunk settings left at None keep the index's own (or the defaults for a new index); different ones make a full
    re-embed necessary, which only `rebuild=True` does. `wait` is how long to wait for another writer. A file larger
    than `max_file_bytes` is reported as failed. Without `web`, a URL source is refused and a summary-only feed item
    keeps its summary. Items that left an RSS or Atom feed are kept unless `prune_feeds`. `index_factory`
    (rag.store.vectors) chooses the FAISS index of a new or rebuilt index; an existing index keeps the one it was
    built with. When no article at all could be read, nothing is changed and `report.nothing_read` is true.
    Raises SourceError when a source does not exist, IndexLockedError, IndexFormatError.
    """
    started = time.perf_counter()
    store = open_store(folder, index_factory=index_factory, migrate=migrate)
    report = IndexReport()
    with store.writer_lock(timeout=wait, exclusive=rebuild):
        # Records only (for the file store): the rest is loaded only if something changed.
        head: UpdatableIndex | IndexHead | None = _load_existing(store, rebuild, store.load_head)
        tokens = chunk_tokens or (head.settings.get("chunk_tokens") if head else None) or _DEFAULTS.chunk_tokens
        overlap = chunk_overlap if chunk_overlap is not None else \
            (head.settings.get("chunk_overlap", _DEFAULTS.chunk_overlap) if head else _DEFAULTS.chunk_overlap)
        if head is not None and not rebuild:
            _check_compatible(store.name, head, embedder, tokens, overlap)
        known = dict(head.articles) if head is not None else {}
        plan = _scan(sources, known, report, rebuild=rebuild, keep_missing=keep_missing,
                     bar=StageProgress("reading", " files", progress, on_progress), max_file_bytes=max_file_bytes,
                     web=web, prune_feeds=prune_feeds)
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
        writer = _Writer(index, store, embedder, report, checkpoint_seconds, batch_size,
                         StageProgress("embedding", " articles", progress, on_progress, total=len(plan.to_embed)),
                         fresh=index is not old, skip_of=plan.skip_of)
        writer.refresh(plan.refreshed)
        for article in plan.to_embed:
            writer.add(article)
        writer.finish(plan.gone)
        if rebuild and old is not None:
            report.removed = [article_id for article_id in old.articles if article_id not in index.articles]
        _finish_report(report, index, started)
    return report


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
    raise IndexFormatError(
        f"the index in {folder} was built with embedder {index.embedder!r} and chunking {index.settings}, "
        f"now {embedder.name!r} and {settings}: every article would have to be re-embedded. "
        f"Pass the same --embedder/--chunk-tokens/--chunk-overlap as before, or run the command again with "
        f"--rebuild to re-embed everything"
    )


@dataclass
class _Plan:
    to_embed: list[Article]
    gone: list[str]
    refreshed: list[ArticleRecord]  # unchanged articles whose skip metadata changed (touched, or now settled)
    skip_of: Callable[[str], dict[str, Any]]

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


def _scan(sources: Sequence[str | Path], known: dict[str, ArticleRecord], report: IndexReport, *, rebuild: bool,
          keep_missing: bool, bar: StageProgress, max_file_bytes: int, web: WebClient | None,
          prune_feeds: bool) -> _Plan:
    """Read every source and decide what happens to each article; only new and changed ones are kept in memory.

    A file whose size and times are those recorded when its articles were indexed is not read again, nor is a URL
    whose server says it was not modified: their articles count as unchanged. A file is read (and hashed) whenever
    anything about it changed, had a problem, or holds a duplicate, so that the report is the same as if every
    file had been read. A summary-only feed item's page is fetched only when the item changed.
    """
    urls = list(dict.fromkeys(str(source) for source in sources if is_url(source)))
    local = [source for source in sources if not is_url(source)]
    if urls and web is None:
        raise SourceError(urls[0], "is a web address, and this indexer fetches none",
                          fix="index it with `rag index` on the command line")
    ignored: list[Path] = []
    pairs: list[tuple[Path | None, Path | str]] = []
    pairs += iter_files(local, ignored)  # raises SourceError for a source that does not exist
    if ignored:
        report.notes.append(("", _ignored_note(ignored)))
    roots = [Path(source).expanduser().resolve() for source in local]
    if rebuild:
        others = _other_files(known.values(), roots, {Path(path).resolve() for _, path in pairs})
        pairs += others
        roots += [path.resolve() for _, path in others]
        urls += [path for path in dict.fromkeys(record.path for record in known.values() if is_url(record.path))
                 if path not in urls]
    pairs += [(None, url) for url in urls]
    now = time.time()
    signatures = {str(Path(path).resolve()): _signature(Path(path), now)  # before reading: errs on the safe side
                  for _, path in pairs if isinstance(path, Path)}
    validators: dict[str, dict[str, str]] = {}
    records_of: dict[str, list[ArticleRecord]] = {}
    for record in known.values():
        records_of.setdefault(record.path, []).append(record)

    def prunes(records: list[ArticleRecord]) -> bool:
        """Unchanged since it was read says nothing about which items a feed still lists: pruning reads it."""
        return prune_feeds and any(FEED_KEY in record.metadata for record in records)

    # URLs are fetched a few at a time first: waiting on the network, one after the other, is what would take long.
    requests = [(url, {} if rebuild or prunes(records_of.get(url, [])) else
                 _shared_validators(records_of.get(url, []))) for _, url in pairs if isinstance(url, str)]
    fetched = dict(zip([url for url, _ in requests], read_urls(requests, web), strict=True)) if web else {}
    bar.start(len(pairs))
    found: dict[str, str] = {}  # article id -> the source it came from, this run
    candidates: list[Article] = []
    item_keys: dict[str, str] = {}  # article id -> ITEM_KEY of an unchanged item whose page was read again
    fully_read: set[str] = set()
    partly_read: set[str] = set()
    tainted: set[str] = set()  # sources that must be read next time too: problems, duplicates, clashing ids
    for root, path in pairs:
        resolved = path if isinstance(path, str) else str(path.resolve())
        label = path if isinstance(path, str) else relative_name(path, root)
        bar.advance(1, articles=report.articles_read)
        records = records_of.get(resolved, [])
        if (not rebuild and not prunes(records) and records and isinstance(path, Path) and signatures[resolved]
                and all(record.metadata.get(FILE_SIGNATURE_KEY) == signatures[resolved] for record in records)
                and not any(record.id in found for record in records)):
            _count_unchanged(records, label, resolved, found, report, fully_read)
            report.files_unchanged += 1
            continue
        if isinstance(path, str):
            read = fetched[path]
            if isinstance(read, SourceError):
                results: list[list[Article] | SourceError] = [read]
            else:
                if read.fetched.not_modified:
                    _count_unchanged(records, label, resolved, found, report, fully_read)
                    report.files_unchanged += 1
                    validators[resolved] = read.fetched.validators or _shared_validators(records)
                    continue
                validators[resolved] = read.fetched.validators
                results = [read.articles] if read.articles else []
                results += read.problems
                if not read.articles and not read.problems:
                    fully_read.add(resolved)  # an empty feed: read, and nothing in it
        else:
            # A feed gives its articles, then its bad records.
            assert root is not None
            results = [result for _, result in read_files([(root, path)], max_file_bytes=max_file_bytes)]
        pages: list[Article] = []  # summary-only feed items that changed: their pages are read below
        for result in results:
            if isinstance(result, SourceError):
                report.failed.append((result.source, str(result)))
                if result.retry_after:
                    report.retry_after[result.source] = result.retry_after
                bar.write(f"failed: {result}")
                partly_read.add(resolved)
                continue
            fully_read.add(resolved)
            for article in result:
                if article.id in found:
                    if FEED_KEY in article.metadata:
                        continue  # the same item in two feeds of a site (its guid or link is the same)
                    report.failed.append((label, f"{label}: has an article with the id {article.id!r}, like "
                                                 f"{found[article.id]} (kept that one; give each record its own id)"))
                    tainted.add(resolved)
                    continue
                found[article.id] = label
                report.articles_read += 1
                indexed = known.get(article.id)
                if PAGE_KEY in article.metadata:
                    if web is None:  # the feed's summary it is; ITEM_KEY would claim the page was read
                        metadata = {key: value for key, value in article.metadata.items() if key != ITEM_KEY}
                        article = dataclasses.replace(article, metadata=metadata)
                    elif (indexed is not None and not rebuild
                          and indexed.metadata.get(ITEM_KEY) == article.metadata.get(ITEM_KEY)):
                        report.unchanged += 1  # the item did not change: its page is not fetched again
                        continue
                    else:
                        pages.append(article)
                        continue
                if indexed is not None and indexed.hash == article.hash and not rebuild:
                    report.unchanged += 1
                else:
                    candidates.append(article)
        for item, page in zip(pages, with_full_texts(pages, web) if web is not None and pages else [], strict=True):
            indexed = known.get(item.id)
            if isinstance(page, SourceError):
                report.failed.append((page.source, str(page)))
                bar.write(f"failed: {page}")
                tainted.add(resolved)
                if indexed is not None and not rebuild:
                    report.kept.append(item.id)  # the page it was read from before stays indexed
                else:  # the feed's summary until the page can be read (no ITEM_KEY: tried again next run)
                    summary = {key: value for key, value in item.metadata.items() if key != ITEM_KEY}
                    candidates.append(dataclasses.replace(item, metadata=summary))
            elif indexed is not None and indexed.hash == page.hash and not rebuild:
                report.unchanged += 1
                item_keys[item.id] = str(page.metadata.get(ITEM_KEY, ""))
            else:
                candidates.append(page)
    bar.close()
    report.files_read = len(fully_read)
    tainted |= partly_read
    read_sources = fully_read | partly_read
    fully_read -= partly_read  # a feed with bad lines: its records that were not read may be on those lines
    url_sources = set(urls)
    gone: list[str] = []
    for record in known.values():
        if record.id in found or not record.path:
            continue
        if is_url(record.path):
            if record.path not in url_sources:
                continue
        elif not _under(Path(record.path), roots):
            continue
        if record.path in fully_read and FEED_KEY in record.metadata and not (prune_feeds or rebuild):
            report.window += 1  # scrolled off its feed, which is a window over the latest items: kept
            found[record.id] = record.path
        elif record.path in fully_read or (not is_url(record.path) and not Path(record.path).exists()):
            if not keep_missing:
                gone.append(record.id)
        elif record.path in partly_read and not rebuild:
            report.kept.append(record.id)
    to_embed = _without_duplicates(candidates, known, gone, report, rebuild, tainted)

    def skip_of(path: str) -> dict[str, Any]:
        if path in tainted:
            return {}
        if is_url(path):
            return {HTTP_VALIDATORS_KEY: validators[path]} if validators.get(path) else {}
        return {FILE_SIGNATURE_KEY: signatures[path]} if signatures.get(path) else {}

    embedding = {article.id for article in to_embed} | set(gone)
    refreshed = []
    for record in known.values():
        if record.id in embedding or record.id not in found or record.path not in read_sources:
            continue
        metadata = {key: value for key, value in record.metadata.items() if key not in SKIP_KEYS}
        if record.id in item_keys:
            metadata[ITEM_KEY] = item_keys[record.id]
        metadata.update(skip_of(record.path))
        if metadata != record.metadata:
            refreshed.append(dataclasses.replace(record, metadata=metadata))
    return _Plan(to_embed, gone, refreshed, skip_of)


def _count_unchanged(records: list[ArticleRecord], label: str, resolved: str, found: dict[str, str],
                     report: IndexReport, fully_read: set[str]) -> None:
    """A source not read again (same file signature, or not modified): its articles count as unchanged."""
    fully_read.add(resolved)
    for record in records:
        found[record.id] = label
    report.articles_read += len(records)
    report.unchanged += len(records)


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
        guessed = article.metadata.get(GUESSED_ENCODING_KEY)
        if guessed:
            report.notes.append((article.source, f"{article.source}: is not UTF-8 and declares no encoding; "
                                 f"it was read as {guessed} (if letters look wrong, save it as UTF-8)"))
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
    return ArticleRecord(
        id=article.id, hash=article.hash, title=article.title, source=article.source, path=article.path,
        url=article.url, published=article.published, author=article.author, passages=passages,
        metadata=metadata,
    )
