"""Building and updating the index from article sources, incrementally.

`update_index` reads the sources, compares each article's content hash with what the index holds, embeds only
new and changed articles, removes articles whose source is gone, and saves a new generation atomically under
the index's write lock. A file that fails to read is reported and its previously indexed articles are kept.
"""

from __future__ import annotations

import contextlib
import json
import sys
import time
from collections import Counter
from collections.abc import Iterable, Sequence
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from rag.articles import read_sources
from rag.chunk import chunk_article, embedding_text
from rag.embed import Embedder
from rag.errors import IndexFormatError, IndexNotFoundError, SourceError
from rag.records import Article, Passage
from rag.store import ArticleRecord, PassageIndex, writer_lock

CHUNKER_VERSION = 1
"""Bump when chunking changes in a way that should re-chunk existing articles."""


@dataclass
class IndexReport:
    """What one `rag index` run did."""

    added: list[str] = field(default_factory=list)
    updated: list[str] = field(default_factory=list)
    removed: list[str] = field(default_factory=list)
    unchanged: int = 0
    duplicates: list[tuple[str, str]] = field(default_factory=list)  # (duplicate id, id of the copy kept)
    failed: list[tuple[str, str]] = field(default_factory=list)  # (source, reason)
    passages_embedded: int = 0
    characters_embedded: int = 0
    articles_total: int = 0
    passages_total: int = 0
    seconds: float = 0.0
    generation: int = 0

    @property
    def changed(self) -> bool:
        return bool(self.added or self.updated or self.removed)

    def to_dict(self) -> dict[str, Any]:
        data = asdict(self)
        data["duplicates"] = [{"id": dup, "same_as": kept} for dup, kept in self.duplicates]
        data["failed"] = [{"source": source, "reason": reason} for source, reason in self.failed]
        return data

    def summary(self) -> str:
        lines = [
            f"added {len(self.added)}, updated {len(self.updated)}, removed {len(self.removed)}, "
            f"unchanged {self.unchanged}, duplicates {len(self.duplicates)}, failed {len(self.failed)}",
            f"index: {self.articles_total} articles, {self.passages_total} passages "
            f"({self.passages_embedded} passages embedded in {self.seconds:.1f} s)",
        ]
        lines += [f"  duplicate: {dup} (same text as {kept}; stored once)" for dup, kept in self.duplicates]
        lines += [f"  failed: {reason}" for _, reason in self.failed]
        return "\n".join(lines)

    def to_json(self) -> str:
        return json.dumps(self.to_dict(), ensure_ascii=False, indent=2)


def chunk_settings(max_tokens: int, overlap: int) -> dict[str, Any]:
    return {"chunk_tokens": max_tokens, "chunk_overlap": overlap, "chunker_version": CHUNKER_VERSION}


def update_index(sources: Sequence[str | Path], folder: str | Path, embedder: Embedder, *,
                 chunk_tokens: int = 160, chunk_overlap: int = 32, rebuild: bool = False,
                 keep_missing: bool = False, progress: bool = True, wait: float = 0.0) -> IndexReport:
    """Bring the index in `folder` up to date with `sources` (files or folders); see the module docstring."""
    started = time.perf_counter()
    folder = Path(folder)
    settings = chunk_settings(min(chunk_tokens, embedder.max_tokens), chunk_overlap)
    report = IndexReport()
    with writer_lock(folder, timeout=wait):
        index = _open_or_create(folder, embedder, settings, rebuild)
        articles, roots, read_files = _read_all(sources, report, progress)
        known = dict(index.articles)
        seen = {article.id for article in articles}
        gone = [] if keep_missing else _missing(known.values(), seen, roots, read_files)
        candidates = []
        for article in dict((article.id, article) for article in articles).values():
            old = known.get(article.id)
            if old is not None and old.hash == article.hash:
                report.unchanged += 1
            else:
                candidates.append(article)
        # Texts that stay in the index after this run: a new or changed article with one of these is a duplicate.
        changing = {article.id for article in candidates} | set(gone)
        kept_hashes = {record.hash: record.id for record in known.values() if record.id not in changing}
        to_embed: list[Article] = []
        for article in candidates:
            twin = kept_hashes.get(article.hash)
            if twin is not None:
                report.duplicates.append((article.id, twin))
                if article.id in known:  # it used to differ, now it copies another article: keep one
                    gone.append(article.id)
                continue
            kept_hashes[article.hash] = article.id
            (report.updated if article.id in known else report.added).append(article.id)
            to_embed.append(article)

        index.delete([*report.updated, *gone])
        report.removed = gone
        passages, vectors = _embed(to_embed, embedder, settings, report, progress)
        index.add(passages, vectors, _records(to_embed, passages))
        if report.changed or rebuild or index.generation == 0:
            index.save(folder)
        report.articles_total = len(index.articles)
        report.passages_total = len(index)
        report.generation = index.generation
    report.seconds = time.perf_counter() - started
    return report


def _open_or_create(folder: Path, embedder: Embedder, settings: dict[str, Any], rebuild: bool) -> PassageIndex:
    fresh = PassageIndex(embedder.name, embedder.dimension, settings)
    if rebuild:
        with contextlib.suppress(IndexNotFoundError, IndexFormatError):
            fresh.generation = PassageIndex.load(folder).generation
        return fresh
    try:
        index = PassageIndex.load(folder)
    except IndexNotFoundError:
        return fresh
    if index.embedder != embedder.name or index.dimension != embedder.dimension or index.settings != settings:
        raise IndexFormatError(
            f"the index in {folder} was built with embedder {index.embedder!r} and chunking {index.settings}, "
            f"now {embedder.name!r} and {settings}: every article must be re-embedded. "
            f"Run the same command with --rebuild to do it"
        )
    return index


def _read_all(sources: Sequence[str | Path], report: IndexReport,
              progress: bool) -> tuple[list[Article], list[Path], set[str]]:
    """Read every source; failures go into the report. Returns articles, the roots scanned, and the files read."""
    roots = [Path(source).expanduser().resolve() for source in sources]
    articles: list[Article] = []
    read_files: set[str] = set()
    for path, result in read_sources(sources):
        if isinstance(result, SourceError):
            report.failed.append((result.source, str(result)))
            if progress:
                print(f"skipped: {result}", file=sys.stderr)
            continue
        read_files.add(str(path.resolve()))
        articles.extend(result)
    return articles, roots, read_files


def _missing(records: Iterable[ArticleRecord], seen: set[str], roots: list[Path], read_files: set[str]) -> list[str]:
    """Articles that were indexed from under the scanned roots but are no longer there.

    An article counts as gone when its file no longer exists, or when its file was read this time without it
    (a feed record that was dropped). Articles of a file that failed to read are kept.
    """
    gone = []
    for record in records:
        if record.id in seen or not record.path:
            continue
        path = Path(record.path)
        if not any(path == root or root in path.parents for root in roots):
            continue
        if not path.exists() or str(path) in read_files:
            gone.append(record.id)
    return gone


def _embed(articles: list[Article], embedder: Embedder, settings: dict[str, Any], report: IndexReport,
           progress: bool) -> tuple[list[Passage], np.ndarray]:
    passages: list[Passage] = []
    for article in articles:
        passages.extend(chunk_article(article, settings["chunk_tokens"], settings["chunk_overlap"],
                                      embedder.count_tokens))
    texts = [embedding_text(passage.title, passage.text) for passage in passages]
    batches = []
    batch_size = 256
    bar = _progress_bar(len(texts), len(articles), progress)
    for start in range(0, len(texts), batch_size):
        batches.append(embedder.embed(texts[start:start + batch_size]))
        if bar is not None:
            bar.update(min(batch_size, len(texts) - start))
    if bar is not None:
        bar.close()
    report.passages_embedded = len(passages)
    report.characters_embedded = sum(len(text) for text in texts)
    vectors = np.vstack(batches) if batches else np.zeros((0, embedder.dimension), dtype=np.float32)
    return passages, vectors


def _progress_bar(total: int, articles: int, enabled: bool) -> Any:
    if not enabled or total == 0:
        return None
    from tqdm import tqdm

    return tqdm(total=total, unit="passage", desc=f"embedding {articles} articles", file=sys.stderr,
                dynamic_ncols=True)


def _records(articles: list[Article], passages: list[Passage]) -> list[ArticleRecord]:
    counts = Counter(passage.article_id for passage in passages)
    return [
        ArticleRecord(
            id=article.id, hash=article.hash, title=article.title, source=article.source, path=article.path,
            url=article.url, published=article.published, author=article.author, passages=counts[article.id],
            metadata=dict(article.metadata),
        )
        for article in articles
    ]
