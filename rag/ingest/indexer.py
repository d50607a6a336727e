"""Building and updating the index from article sources, incrementally and crash-safely.

`update_index` reads the sources and compares each article's content hash with what the index holds, under the
index's write lock:

- new articles are added, changed ones re-chunked and re-embedded, unchanged ones cost no embedding at all, and
  a file whose size and times are those recorded when it was indexed is not even read again;
- articles whose file is gone (under the sources scanned) are removed, unless `keep_missing`;
- articles of a file that failed to read this time are kept, and the failure is reported with its fix;
- an exact duplicate (same normalised title and text under another path or feed id) is stored once;
- an index built with another embedder or other chunk settings is refused with the fix (`rebuild=True`).

Saving writes a new generation and switches to it atomically (rag.store.generations), so a process killed at any moment
leaves the previous index whole; with the index in PostgreSQL (a `postgresql://` URL in place of the folder:
rag.store.postgres), each save is one transaction instead. A long run also commits a checkpoint generation every
`checkpoint_seconds`: after a crash, a rerun finds the checkpointed articles unchanged and embeds only the rest.

Reading is rag.ingest.files (a file over `max_file_bytes` fails like any unreadable file), chunking
rag.ingest.chunk, storing rag.store.generations. Uploaded files take the same path (rag.ingest.uploads), and
rag.ingest.lazy_embedder loads the model only when there is something to embed, so a rerun with nothing new is
cheap.
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
from rag.ingest.source import relative_name
from rag.models.embed import Embedder
from rag.records import Article, Passage
from rag.settings import Settings
from rag.store import IndexStore, UpdatableIndex, open_store
from rag.store.generations import ArticleRecord
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
    kept: list[str] = field(default_factory=list)  # indexed articles kept because their file failed to read
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
                 index_factory: str = AUTO, migrate: bool = False) -> IndexReport:
    """Bring the index in `folder` up to date with `sources` (files or folders); see the module docstring.

    `folder` is an index folder or a PostgreSQL URL (`rag.store.open_store`); the database store commits each
    save in one transaction, and `migrate` lets it upgrade an older schema first.

    Chunk settings left at None keep the index's own (or the defaults for a new index); different ones make a
    full re-embed necessary, which only `rebuild=True` does. `wait` is how long to wait for another writer.
    A file larger than `max_file_bytes` is reported as failed. `index_factory` (rag.store.vectors) chooses the
    FAISS index of a new or rebuilt index; an existing index keeps the one it was built with.
    When no article at all could be read, nothing is changed and `report.nothing_read` is true.
    Raises SourceError when a source does not exist, IndexLockedError, IndexFormatError.
    """
    started = time.perf_counter()
    store = open_store(folder, index_factory=index_factory, migrate=migrate)
    report = IndexReport()
    with store.writer_lock(timeout=wait, exclusive=rebuild):
        old = _load_existing(store, rebuild)
        tokens = chunk_tokens or (old.settings.get("chunk_tokens") if old else None) or _DEFAULTS.chunk_tokens
        overlap = chunk_overlap if chunk_overlap is not None else \
            (old.settings.get("chunk_overlap", _DEFAULTS.chunk_overlap) if old else _DEFAULTS.chunk_overlap)
        if old is not None and not rebuild:
            _check_compatible(store.name, old, embedder, tokens, overlap)
        known = dict(old.articles) if old is not None else {}
        plan = _scan(sources, known, report, rebuild=rebuild, keep_missing=keep_missing,
                     bar=StageProgress("reading", " files", progress, on_progress), max_file_bytes=max_file_bytes)
        if report.nothing_read:
            _finish_report(report, old, started)
            return report
        index: UpdatableIndex
        if old is not None and not rebuild:
            index = old
        else:
            index = store.create(embedder.name, embedder.dimension,
                                 chunk_settings(min(tokens, embedder.max_tokens), overlap))
            index.generation = old.generation if old is not None else 0
        writer = _Writer(index, store, embedder, report, checkpoint_seconds, batch_size,
                         StageProgress("embedding", " articles", progress, on_progress, total=len(plan.to_embed)),
                         fresh=index is not old, signature_of=plan.signature_of)
        writer.refresh(plan.refreshed)
        for article in plan.to_embed:
            writer.add(article)
        writer.finish(plan.gone)
        if rebuild and old is not None:
            report.removed = [article_id for article_id in old.articles if article_id not in index.articles]
        _finish_report(report, index, started)
    return report


def _finish_report(report: IndexReport, index: UpdatableIndex | None, started: float) -> None:
    if index is not None:
        report.articles_total = len(index.articles)
        report.passages_total = len(index)
        report.generation = index.generation
    report.seconds = time.perf_counter() - started


def _load_existing(store: IndexStore, rebuild: bool) -> UpdatableIndex | None:
    try:
        index: UpdatableIndex = store.load()
        return index
    except IndexNotFoundError:
        return None
    except IndexFormatError:
        if rebuild:  # an unreadable or outdated index is exactly what --rebuild replaces
            return None
        raise


def _check_compatible(folder: str, index: UpdatableIndex, embedder: Embedder, tokens: int, overlap: int) -> None:
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
    refreshed: list[ArticleRecord]  # unchanged articles whose file signature changed (touched, or now settled)
    signature_of: Callable[[str], str]


FILE_SIGNATURE_KEY = "_file_signature"
"""Kept in an ArticleRecord's metadata: the size and times of its file when it was read, to skip reading it again."""

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


def _scan(sources: Sequence[str | Path], known: dict[str, ArticleRecord], report: IndexReport, *, rebuild: bool,
          keep_missing: bool, bar: StageProgress, max_file_bytes: int) -> _Plan:
    """Read every source and decide what happens to each article; only new and changed ones are kept in memory.

    A file whose size and times are those recorded when its articles were indexed is not read again: its articles
    count as unchanged. A file is read (and hashed) whenever anything about it changed, had a problem, or holds a
    duplicate, so that the report is the same as if every file had been read.
    """
    ignored: list[Path] = []
    pairs = list(iter_files(sources, ignored))  # raises SourceError for a source that does not exist
    if ignored:
        report.notes.append(("", _ignored_note(ignored)))
    roots = [Path(source).expanduser().resolve() for source in sources]
    if rebuild:
        others = _other_files(known.values(), roots, {path.resolve() for _, path in pairs})
        pairs += others
        roots += [path.resolve() for _, path in others]
    now = time.time()
    signatures = {str(path.resolve()): _signature(path, now) for _, path in pairs}  # before reading: errs safe
    records_of: dict[str, list[ArticleRecord]] = {}
    for record in known.values():
        records_of.setdefault(record.path, []).append(record)
    bar.start(len(pairs))
    found: dict[str, str] = {}  # article id -> the file it came from, this run
    candidates: list[Article] = []
    unchanged: list[tuple[ArticleRecord, str]] = []  # (record, path) of unchanged articles read again
    fully_read: set[str] = set()
    partly_read: set[str] = set()
    tainted: set[str] = set()  # files that must be read next time too: problems, duplicates, clashing ids
    for root, path in pairs:
        resolved = str(path.resolve())
        label = relative_name(path, root)
        bar.advance(1, articles=report.articles_read)
        records = records_of.get(resolved, [])
        if (not rebuild and records and signatures[resolved]
                and all(record.metadata.get(FILE_SIGNATURE_KEY) == signatures[resolved] for record in records)
                and not any(record.id in found for record in records)):
            fully_read.add(resolved)
            report.files_unchanged += 1
            for record in records:
                found[record.id] = label
            report.articles_read += len(records)
            report.unchanged += len(records)
            continue
        # A feed gives its articles, then its bad records.
        for _, result in read_files([(root, path)], max_file_bytes=max_file_bytes):
            if isinstance(result, SourceError):
                report.failed.append((result.source, str(result)))
                bar.write(f"failed: {result}")
                partly_read.add(resolved)
                continue
            fully_read.add(resolved)
            for article in result:
                if article.id in found:
                    report.failed.append((label, f"{label}: has an article with the id {article.id!r}, like "
                                                 f"{found[article.id]} (kept that one; give each record its own id)"))
                    tainted.add(resolved)
                    continue
                found[article.id] = label
                report.articles_read += 1
                indexed = known.get(article.id)
                if indexed is not None and indexed.hash == article.hash and not rebuild:
                    report.unchanged += 1
                    unchanged.append((indexed, resolved))
                else:
                    candidates.append(article)
    bar.close()
    report.files_read = len(fully_read)
    tainted |= partly_read
    fully_read -= partly_read  # a feed with bad lines: its records that were not read may be on those lines
    gone: list[str] = []
    for record in known.values():
        if record.id in found or not record.path or not _under(Path(record.path), roots):
            continue
        if record.path in fully_read or not Path(record.path).exists():
            if not keep_missing:
                gone.append(record.id)
        elif record.path in partly_read and not rebuild:
            report.kept.append(record.id)
    to_embed = _without_duplicates(candidates, known, gone, report, rebuild, tainted)

    def signature_of(path: str) -> str:
        return "" if path in tainted else signatures.get(path, "")

    refreshed = [
        dataclasses.replace(record, metadata={**record.metadata, FILE_SIGNATURE_KEY: signature_of(path)})
        for record, path in unchanged
        if record.metadata.get(FILE_SIGNATURE_KEY, "") != signature_of(path)
    ]
    return _Plan(to_embed, gone, refreshed, signature_of)


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
    'ignored 3 files of other formats (.docx: 2, no suffix: 1): convert them to .htm, .html, .json, .jsonl, \
.markdown, .md, .pdf or .txt to index them'
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
                 signature_of: Callable[[str], str]) -> None:
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
        self.signature_of = signature_of

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
            records = [_record(article, counts[article.id], self.signature_of(article.path))
                       for article, _, _ in self.ready]
            self.index.add(passages, vectors, records)
            self.unsaved = True
        self.ready = []
        if self.unsaved:
            self.store.save(self.index)
            self.unsaved = False
        self.last_commit = time.monotonic()


def _record(article: Article, passages: int, signature: str) -> ArticleRecord:
    metadata = dict(article.metadata)
    if signature:
        metadata[FILE_SIGNATURE_KEY] = signature
    return ArticleRecord(
        id=article.id, hash=article.hash, title=article.title, source=article.source, path=article.path,
        url=article.url, published=article.published, author=article.author, passages=passages,
        metadata=metadata,
    )
