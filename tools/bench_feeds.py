"""`python -m tools.bench_feeds`: how fast feeds and web pages are indexed, and what a watch run costs when nothing
changed, all served from a local HTTP server on 127.0.0.1 (tests/local_site.py), so only the project's own work
and the loopback network are measured, never the internet.

- feed: one RSS feed of `--items` summary-only items, each linking to its page on the server (so each item costs a
  page fetch): the first run (fetch, read, embed) and an unchanged rerun (one conditional request, answered 304);
  then a rerun after the feed's bytes changed but its items did not (the feed is read again, no page is fetched).
- pages: `--pages` page URLs given as sources: the first run and an unchanged rerun (one 304 per page).
- watch: a `Watcher` run over `--sources` feeds when nothing changed, the median of `--runs` runs, into an index
  that also holds `--index-passages` other passages (synthetic vectors and texts: a run loads the whole index, so
  its size is part of the cost).

The embedder is the bundled one (`--embedder`, `--embed-backend` as in `rag index`); the figures give each run's
seconds with and without the embedding, since fetching and reading are what this measures. Prints JSON.
"""

from __future__ import annotations

import argparse
import json
import platform
import statistics
import tempfile
import time
from pathlib import Path
from typing import Any

import numpy as np

from rag.ingest.indexer import IndexReport, UpdateOptions, chunk_settings, update_index
from rag.ingest.lazy_embedder import LazyEmbedder
from rag.ingest.watch import Watcher
from rag.ingest.web import WebClient
from rag.records import Passage
from rag.store.generations import ArticleRecord, PassageIndex
from tests.local_site import LocalSite, page, rss

PARAGRAPH = (
    "The {n}th council meeting of the Lenn Valley district discussed item {n}: the bus timetable, the "
    "footbridge inspection and the library's winter hours, and agreed to publish the minutes within a week."
)


def cpu_name() -> str:
    for line in Path("/proc/cpuinfo").read_text().splitlines() if Path("/proc/cpuinfo").exists() else []:
        if line.startswith("model name"):
            return line.split(":", 1)[1].strip()
    return platform.processor() or platform.machine()


def figures(report: IndexReport, count: int, unit: str) -> dict[str, Any]:
    fetching = max(report.seconds - report.embed_seconds, 1e-9)
    return {
        "seconds": round(report.seconds, 3),
        "embed_seconds": round(report.embed_seconds, 3),
        f"{unit}_per_second": round(count / max(report.seconds, 1e-9), 1),
        f"{unit}_per_second_without_embedding": round(count / fetching, 1),
        "added": len(report.added),
        "unchanged": report.unchanged,
        "failed": len(report.failed),
    }


def other_passages(folder: Path, embedder: str, dimension: int, count: int) -> None:
    """Save an index of `count` synthetic passages (4 per article, random unit vectors) under the embedder's name,
    so that a watch run into it pays for loading an index of that size."""
    generator = np.random.default_rng(0)
    index = PassageIndex(embedder, dimension, chunk_settings(200, 32))
    vectors = generator.standard_normal((count, dimension)).astype(np.float32)
    vectors /= np.linalg.norm(vectors, axis=1, keepdims=True)
    passages, records = [], []
    for row in range(count):
        article = f"/archive/article-{row // 4}.txt"
        text = PARAGRAPH.format(n=row)
        passages.append(Passage(article, f"Archive {row // 4}", "archive", "", text, 0, len(text)))
        if row % 4 == 0:
            records.append(
                ArticleRecord(
                    article, f"hash{row}", f"Archive {row // 4}", "archive", article, passages=min(4, count - row)
                )
            )
    index.add(passages, vectors, records)
    index.save(folder)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--items", type=int, default=200)
    parser.add_argument("--pages", type=int, default=200)
    parser.add_argument("--sources", type=int, default=10)
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--index-passages", type=int, default=0)
    parser.add_argument("--embedder", default="bundled")
    parser.add_argument("--embed-backend", default="onnx-int8")
    arguments = parser.parse_args()
    embedder = LazyEmbedder.for_setting(arguments.embedder, backend=arguments.embed_backend)
    results: dict[str, Any] = {"cpu": cpu_name(), "items": arguments.items, "pages": arguments.pages}
    with LocalSite() as site, WebClient() as web, tempfile.TemporaryDirectory() as scratch:
        folder = Path(scratch)
        items = []
        for n in range(arguments.items):
            site.put(f"/news/{n}", page(f"Council item {n}", PARAGRAPH.format(n=n), PARAGRAPH.format(n=n + 1000)))
            items.append(
                {
                    "title": f"Council item {n}",
                    "link": site.url(f"/news/{n}"),
                    "guid": f"tag:bench,{n}",
                    "description": f"Item {n} in short.",
                }
            )
        feed = site.put("/feed.xml", rss("Bench Herald", items), "application/rss+xml")

        def index(sources: list[str], name: str) -> IndexReport:
            return update_index(sources, folder / name, embedder, UpdateOptions(progress=False), web=web)

        embedder.embed(["warm-up"])  # load the model first: its start-up is not fetching
        results["feed_first"] = figures(index([feed], "feed"), arguments.items, "items")
        results["feed_unchanged"] = figures(index([feed], "feed"), arguments.items, "items")
        site.put(
            "/feed.xml",
            rss("Bench Herald", items).replace("<description>News", "<description>News!"),
            "application/rss+xml",
        )
        site.forget()
        results["feed_changed_items_unchanged"] = figures(index([feed], "feed"), arguments.items, "items")
        results["feed_changed_items_unchanged"]["pages_fetched"] = len(site.paths()) - 1

        pages = [site.url(f"/news/{n}") for n in range(arguments.pages)]
        results["pages_first"] = figures(index(pages, "pages"), arguments.pages, "pages")
        results["pages_unchanged"] = figures(index(pages, "pages"), arguments.pages, "pages")

        feeds = [
            site.put(f"/feed-{n}.xml", rss(f"Herald {n}", items[n * 5 : n * 5 + 5]), "application/rss+xml")
            for n in range(arguments.sources)
        ]
        if arguments.index_passages:
            other_passages(folder / "watch", embedder.name, embedder.dimension, arguments.index_passages)
        lines: list[str] = []
        watcher = Watcher(feeds, lambda sources: index(list(sources), "watch"), every=3600, log=lines.append)
        watcher.run_once()
        seconds = []
        for _ in range(arguments.runs):
            began = time.perf_counter()
            watcher.run_once()
            seconds.append(time.perf_counter() - began)
        results["watch_nothing_changed"] = {
            "sources": arguments.sources,
            "runs": arguments.runs,
            "index_passages": len(PassageIndex.load(folder / "watch")),
            "seconds_per_run_median": round(statistics.median(seconds), 4),
            "seconds_per_run_max": round(max(seconds), 4),
            "last_line": lines[-1],
        }
    print(json.dumps(results, indent=2))


if __name__ == "__main__":
    main()
