"""`python -m tools.store_scale`: vector search in the PostgreSQL store at a million passages, unfiltered and with a
date window that keeps 5% of them (issue 23 item 1), against the file store's FAISS index on the same vectors.

The vectors are derived from real embeddings (`tools.realistic_vectors`; the old synthetic ones without
../shared/eval), each article of ten passages has a publication date (uniform over two years), the queries are real
questions' embeddings. A build takes minutes and a search seconds, so the steps are subcommands on a server kept
in `--folder` (`tools.local_postgres`) between them, and every result is appended as a JSON line to `--out`:

- `load COUNT`: the store's tables (made by `PostgresStore` itself) filled with COUNT passages by binary COPY,
  without an HNSW index (each variant is built by `index`);
- `index NAME...`: build the variants named (`VARIANTS`): the store's own index (`store`: whatever
  `rag.store.postgres_schema.hnsw_index` builds), the old one over 32-bit vectors, denser graphs, a table holding
  its vectors as halfvec. Timed, with the index's size; `maintenance_work_mem` 3 GB and 2 parallel workers;
- `search`: for each variant built and each `--ef-search`, single queries of k = 10, unfiltered and with a date
  window of 5% of the days (another window per query): p50/p99, recall@10 against the exact top 10 (among the
  allowed passages when filtered), the fewest rows a query got; the `store` variant through the store itself
  (`PostgresIndex.candidates`, what the retriever calls); the plan PostgreSQL chose for a filtered query;
- `faiss`: the file store's index for that size (`FaissVectors("auto")`), built once and kept in `--cache`, searched
  the same way, filtered as the file store filters (`rag.store.reading.dense_rows`).

The machine's load average is recorded before and after each step: on a shared machine say whether it was quiet.
"""

from __future__ import annotations

import argparse
import json
import os
import re
import struct
import sys
import time
from collections.abc import Callable, Sequence
from pathlib import Path
from types import SimpleNamespace
from typing import Any
from urllib.parse import urlsplit, urlunsplit

import numpy as np

from tools.realistic_vectors import DAYS, SHARED, benchmark_vectors, dates, day_text

DIMENSION = 384
PASSAGES_PER_ARTICLE = 10
SOURCES = 7
WINDOW_DAYS = 37
"""A date window of this many days keeps 5% of the passages (37 of 730 days)."""
K = 10


def variants(dimension: int = DIMENSION, m: int | None = None, ef_construction: int | None = None
             ) -> dict[str, dict[str, Any]]:
    """Index variants: table, the expression the index orders by (`%(vector)s` is the query), and how to build it
    (`m`, `ef_construction`: the store's index with other parameters than the store's).

    >>> sorted(variants(8))
    ['halfvec-column-m16', 'store', 'store-m24', 'vector-m16']
    """
    from rag.store.postgres_schema import HNSW_EF_CONSTRUCTION, HNSW_M, hnsw_distance, hnsw_index

    half = f"::halfvec({dimension})"
    return {
        "store": {"table": "rag_passages", "distance": hnsw_distance("p.embedding", dimension),
                  "build": hnsw_index("rag_passages", dimension, m or HNSW_M, ef_construction or HNSW_EF_CONSTRUCTION),
                  "index": "rag_passages_embedding"},
        "vector-m16": {"table": "rag_passages", "distance": "p.embedding <#> %(vector)s::vector",
                       "build": "CREATE INDEX rag_passages_vector_m16 ON rag_passages USING hnsw (embedding "
                                "vector_ip_ops) WITH (m = 16, ef_construction = 64)",
                       "index": "rag_passages_vector_m16"},
        # Another table, so that PostgreSQL cannot pick the m = 16 graph for the same expression.
        "store-m24": {"table": "bench_m24", "distance": hnsw_distance("p.embedding", dimension),
                       "build": f"CREATE INDEX bench_m24_embedding ON bench_m24 USING hnsw ((embedding{half}) "
                                "halfvec_ip_ops) WITH (m = 24, ef_construction = 100)",
                       "index": "bench_m24_embedding", "copy": "embedding"},
        "halfvec-column-m16": {"table": "bench_halfvec", "distance": f"p.embedding <#> %(half)s{half}",
                               "build": "CREATE INDEX bench_halfvec_embedding ON bench_halfvec USING hnsw (embedding "
                                        "halfvec_ip_ops) WITH (m = 16, ef_construction = 64)",
                               "index": "bench_halfvec_embedding", "copy": f"embedding{half}"},
    }


def passage_days(count: int) -> np.ndarray:
    """The publication day of each passage: its article's (`tools.realistic_vectors.dates`, one per article)."""
    return dates((count + PASSAGES_PER_ARTICLE - 1) // PASSAGES_PER_ARTICLE)[np.arange(count) // PASSAGES_PER_ARTICLE]


def windows(query_count: int, seed: int = 0) -> np.ndarray:
    """The first day of each query's date window (seeded)."""
    return np.random.default_rng(seed + 13).integers(0, DAYS - WINDOW_DAYS + 1, query_count)


def _binary_rows(fields: Sequence[bytes]) -> bytes:
    """One row of PostgreSQL's binary COPY format.

    >>> _binary_rows([b"ab"])
    b'\\x00\\x01\\x00\\x00\\x00\\x02ab'
    """
    return struct.pack(">h", len(fields)) + b"".join(struct.pack(">i", len(field)) + field for field in fields)


def load(url: str, data: np.ndarray, days: np.ndarray) -> float:
    """The store's tables with `data` as passages (row ids 1..n, articles of ten, sources by article) and no HNSW
    index; seconds taken."""
    import psycopg

    from rag.store.generations import ArticleRecord
    from rag.store.postgres import PostgresStore

    started = time.perf_counter()
    store = PostgresStore(url)
    store.save(store.create("bench-embedder", data.shape[1], {"chunk_tokens": 200, "chunk_overlap": 32}))
    count = len(data)
    articles = (count + PASSAGES_PER_ARTICLE - 1) // PASSAGES_PER_ARTICLE
    with psycopg.connect(url, autocommit=True) as connection, connection.transaction():
        connection.execute("DROP INDEX rag_passages_embedding")  # built after the COPY: much faster
        with connection.cursor().copy("COPY rag_articles (id, hash, record) FROM STDIN") as copy:
            for number in range(articles):
                record = ArticleRecord(f"a{number}", f"h{number}", "", f"source{number % SOURCES}",
                                       published=day_text(int(days[number * PASSAGES_PER_ARTICLE])),
                                       passages=PASSAGES_PER_ARTICLE)
                copy.write_row((record.id, record.hash, json.dumps(record.__dict__)))
        header = struct.pack(">hh", data.shape[1], 0)
        big_endian = data.astype(">f4")
        with connection.cursor().copy("COPY rag_passages (row_id, article_id, source, published, length, passage, "
                                      "embedding) FROM STDIN (FORMAT BINARY)") as copy:
            copy.write(b"PGCOPY\n\xff\r\n\x00" + struct.pack(">ii", 0, 0))
            for row in range(count):
                article = row // PASSAGES_PER_ARTICLE
                source, published = f"source{article % SOURCES}", day_text(int(days[row]))
                passage = {"article_id": f"a{article}", "title": "", "source": source, "url": "", "text": "",
                           "start": row, "end": row + 1, "published": published, "page": None}
                copy.write(_binary_rows([struct.pack(">q", row + 1), f"a{article}".encode(), source.encode(),
                                         published.encode(), struct.pack(">i", 0),
                                         b"\x01" + json.dumps(passage).encode(), header + big_endian[row].tobytes()]))
            copy.write(struct.pack(">h", -1))
        connection.execute("SELECT setval(pg_get_serial_sequence('rag_passages', 'row_id'), %s)", (count,))
        connection.execute("UPDATE rag_state SET passages = %s, total_length = 0, generation = generation + 1",
                           (count,))
    with psycopg.connect(url, autocommit=True) as connection:
        connection.execute("VACUUM ANALYZE rag_passages")
    return time.perf_counter() - started


def build(url: str, name: str, m: int | None = None, ef_construction: int | None = None) -> dict[str, Any]:
    """Build variant `name` (its table first, when it has its own): seconds and sizes."""
    import psycopg

    variant = variants(DIMENSION, m, ef_construction)[name]
    with psycopg.connect(url, autocommit=True) as connection:
        connection.execute("SET maintenance_work_mem = '3GB'")
        connection.execute("SET max_parallel_maintenance_workers = 2")
        if "copy" in variant:
            connection.execute(f"DROP TABLE IF EXISTS {variant['table']}")
            connection.execute(f"CREATE TABLE {variant['table']} AS SELECT row_id, source, published, "
                               f"{variant['copy']} AS embedding FROM rag_passages")
            connection.execute(f"CREATE INDEX {variant['table']}_filter ON {variant['table']} (source, published)")
            connection.execute(f"VACUUM ANALYZE {variant['table']}")
        connection.execute(f"DROP INDEX IF EXISTS {variant['index']}")
        started = time.perf_counter()
        connection.execute(variant["build"])
        seconds = time.perf_counter() - started
        index_bytes = _scalar(connection, f"SELECT pg_relation_size('{variant['index']}')")
        table_bytes = _scalar(connection, f"SELECT pg_table_size('{variant['table']}')")
    return {"step": "index", "variant": name, "build_seconds": seconds, "index_bytes": index_bytes,
            "table_bytes": table_bytes, "definition": variant["build"]}


def _scalar(connection: Any, sql: str, parameters: Any = None) -> Any:
    row = connection.execute(sql, parameters).fetchone()
    return row[0] if row else None


def exact_truth(data: np.ndarray, queries: np.ndarray, days: np.ndarray, starts: np.ndarray
                ) -> tuple[np.ndarray, list[np.ndarray]]:
    """The exact top 10 rows of each query, unfiltered and among the passages of its date window."""
    from tools.realistic_vectors import exact_top

    unfiltered = exact_top(data, queries, K)
    filtered = []
    for query, start in zip(queries, starts, strict=True):
        allowed = np.flatnonzero((days >= start) & (days < start + WINDOW_DAYS))
        scores = data[allowed] @ query
        filtered.append(allowed[np.argsort(-scores, kind="stable")[:K]])
    return unfiltered, filtered


def recall(found: Sequence[np.ndarray], truth: Sequence[np.ndarray] | np.ndarray) -> float:
    """The mean share of each exact top 10 found.

    >>> recall([np.array([1, 2, 3])], [np.array([3, 4, 1])])
    0.2
    """
    return float(np.mean([len(set(rows.tolist()) & set(expected.tolist())) / K
                          for rows, expected in zip(found, truth, strict=True)]))


def timed(call: Callable[[int], np.ndarray], count: int) -> tuple[list[np.ndarray], list[float]]:
    """Each query's rows and milliseconds (one untimed pass first: the pages the queries read are then cached,
    as on a server that has been answering for a while)."""
    for number in range(count):
        call(number)
    found, latencies = [], []
    for number in range(count):
        started = time.perf_counter()
        found.append(call(number))
        latencies.append((time.perf_counter() - started) * 1000)
    return found, latencies


def figures(found: list[np.ndarray], latencies: list[float], truth: Sequence[np.ndarray] | np.ndarray
            ) -> dict[str, Any]:
    return {"p50_ms": float(np.percentile(latencies, 50)), "p99_ms": float(np.percentile(latencies, 99)),
            "recall_at_10": recall(found, truth), "fewest_rows": int(min(len(rows) for rows in found))}


def window_filter(start: int) -> Any:
    from rag.records import Filters

    return Filters(since=day_text(start), until=day_text(start + WINDOW_DAYS - 1))


def search_variant(url: str, name: str, queries: np.ndarray, starts: np.ndarray, truth: np.ndarray,
                   filtered_truth: list[np.ndarray], ef_search: int) -> dict[str, Any]:
    """One variant at one ef_search: unfiltered and filtered figures (through the store for `store`)."""
    import psycopg

    from rag.store.postgres_database import EF_SEARCH
    from rag.store.postgres_index import PostgresIndex, _vector_text

    variant = variants()[name]
    result: dict[str, Any] = {"step": "search", "variant": name, "ef_search": ef_search}
    texts = [_vector_text(query) for query in queries]
    with psycopg.connect(url, autocommit=True) as connection:
        result["definition"] = _scalar(connection, "SELECT indexdef FROM pg_indexes WHERE indexname = %s",
                                       (variant["index"],))
        connection.execute(f"SET hnsw.ef_search = {ef_search}")
        connection.execute("SET hnsw.iterative_scan = relaxed_order")  # as the store's connections
        table, distance = variant["table"], variant["distance"]
        unfiltered_sql = f"SELECT row_id FROM {table} p ORDER BY {distance} LIMIT {K}"
        # The store's form of a filter: the allowed (source, date) pairs (`PostgresIndex.candidates`).
        filtered_sql = (f"SELECT row_id FROM {table} p WHERE (p.source, p.published) IN (SELECT * FROM "
                        f"unnest(%(sources)s::text[], %(dates)s::text[])) ORDER BY {distance} LIMIT {K}")

        def parameters(number: int) -> dict[str, Any]:
            window = [day_text(int(starts[number]) + day) for day in range(WINDOW_DAYS)]
            return {"vector": texts[number], "half": texts[number],
                    "sources": [f"source{source}" for source in range(SOURCES) for _ in window],
                    "dates": window * SOURCES}

        def rows_of(sql: str, number: int) -> np.ndarray:
            rows = connection.execute(sql, parameters(number)).fetchall()
            return np.array([row[0] - 1 for row in rows], dtype=np.int64)

        result["unfiltered"] = figures(*timed(lambda number: rows_of(unfiltered_sql, number), len(queries)), truth)
        plan = connection.execute(f"EXPLAIN {filtered_sql}", parameters(0)).fetchall()
        result["filtered_plan"] = re.sub(r"'\[[^]]*\]'", "'[...]'", " / ".join(row[0].strip() for row in plan))
        if name != "store":
            result["filtered"] = figures(*timed(lambda number: rows_of(filtered_sql, number), len(queries)),
                                         filtered_truth)
    if name == "store" and ef_search >= EF_SEARCH:  # through the store itself: its filter, its iterative scan, its
        # exact fallback; the store searches at least as broadly as its EF_SEARCH
        with psycopg.connect(url, autocommit=True) as connection:
            database = connection.info.dbname
            connection.execute(f"ALTER DATABASE {database} SET hnsw.ef_search = {ef_search}")
        try:
            index = PostgresIndex.open(url)
            index.refresh()

            def store_rows(number: int, filtered: bool, exact: bool = False) -> np.ndarray:
                found = index.candidates(queries[number], None, K,
                                         window_filter(int(starts[number])) if filtered else None, exact=exact)
                return found.rows[np.argsort(-found.dense, kind="stable")] - 1

            result["store_unfiltered"] = figures(*timed(lambda number: store_rows(number, False), len(queries)),
                                                 truth)
            result["store_filtered"] = figures(*timed(lambda number: store_rows(number, True), len(queries)),
                                               filtered_truth)
            # The other way: an exact scan of the window's passages (what the store does below EXACT_FILTER_ROWS;
            # no HNSW, so once).
            if ef_search == EF_SEARCH:
                result["store_filtered_exact"] = figures(*timed(lambda number: store_rows(number, True, True),
                                                                len(queries)), filtered_truth)
        finally:
            with psycopg.connect(url, autocommit=True) as connection:
                connection.execute(f"ALTER DATABASE {database} RESET hnsw.ef_search")
    return result


def search_faiss(data: np.ndarray, queries: np.ndarray, days: np.ndarray, starts: np.ndarray, truth: np.ndarray,
                 filtered_truth: list[np.ndarray], cache: Path) -> dict[str, Any]:
    """The file store's index for this size, searched unfiltered and filtered as the file store does."""
    from rag.store import reading
    from rag.store.vectors import FaissVectors

    folder = cache / f"faiss-{len(data)}"
    meta_path = folder / "meta.json"
    if meta_path.exists():
        store = FaissVectors.load(folder, json.loads(meta_path.read_text()), data.shape[1])
        build_seconds = json.loads(meta_path.read_text())["build_seconds"]
    else:
        started = time.perf_counter()
        store = FaissVectors(data.shape[1], "auto")
        store.add(data)
        build_seconds = time.perf_counter() - started
        folder.mkdir(parents=True, exist_ok=True)
        meta_path.write_text(json.dumps({**store.save(folder), "build_seconds": build_seconds}))

    class Rows:
        """The FAISS index as `reading.dense_rows` reads a `PassageIndex` (a passage's id is its row)."""

        def __len__(self) -> int:
            return len(data)

        def search(self, query: np.ndarray, k: int = K) -> list[Any]:
            return [SimpleNamespace(passage=SimpleNamespace(id=int(row)))
                    for row in store.search(query.reshape(1, -1), k)[1][0] if row >= 0]

        def vectors_of(self, rows: Sequence[int]) -> np.ndarray:
            return store.reconstruct(np.asarray(rows))

    class Identity(dict):  # type: ignore[type-arg]
        def __missing__(self, key: int) -> int:
            return key

    rows, identity = Rows(), Identity()
    allowed = [np.flatnonzero((days >= start) & (days < start + WINDOW_DAYS)) for start in starts]
    result = {"step": "faiss", **store.describe(), "build_seconds": build_seconds}
    result["unfiltered"] = figures(*timed(lambda number: reading.dense_rows(rows, identity, queries[number], K, None),
                                          len(queries)), truth)
    result["filtered"] = figures(*timed(lambda number: reading.dense_rows(rows, identity, queries[number], K,
                                                                          allowed[number]), len(queries)),
                                 filtered_truth)
    return result


def machine() -> dict[str, Any]:
    cpu = next((line.split(":", 1)[1].strip() for line in Path("/proc/cpuinfo").read_text().splitlines()
                if line.startswith("model name")), "unknown")
    return {"cpu": cpu, "cores": os.cpu_count(), "load_average": os.getloadavg()}


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m tools.store_scale", description=__doc__.split("\n\n")[0])
    parser.add_argument("--folder", type=Path, required=True, help="the PostgreSQL server's folder (kept)")
    parser.add_argument("--cache", type=Path, required=True, help="the vectors' folder (tools.realistic_vectors)")
    parser.add_argument("--out", type=Path, required=True, help="results, a JSON line per step (appended)")
    parser.add_argument("--shared", type=Path, default=SHARED, help="the SQuAD-2 sets (tools.realistic_vectors)")
    parser.add_argument("--count", type=int, default=1_000_000, help="passages (1000000)")
    parser.add_argument("--queries", type=int, default=200, help="queries per measurement (200)")
    parser.add_argument("--ef-search", default="40,100,200", help="HNSW search breadths (40,100,200)")
    parser.add_argument("--m", type=int, default=None, help="index: the store's index with this m")
    parser.add_argument("--ef-construction", type=int, default=None,
                        help="index: the store's index with this ef_construction")
    parser.add_argument("--shared-buffers", default=None, metavar="SIZE",
                        help="set the server's shared_buffers (ALTER SYSTEM, then a restart) first, e.g. 2GB")
    parser.add_argument("step", choices=("load", "index", "search", "faiss"))
    parser.add_argument("variants", nargs="*", help="index variants (index, search): " + ", ".join(variants()))
    arguments = parser.parse_args(argv)
    from tools.local_postgres import LocalPostgres

    data, queries, origin = benchmark_vectors(arguments.count, arguments.queries, arguments.cache, arguments.shared)
    days = passage_days(len(data))
    starts = windows(len(queries))
    before = machine()
    results: list[dict[str, Any]] = []
    settings: dict[str, Any] = {}
    if arguments.step == "faiss":
        truth, filtered_truth = exact_truth(data, queries, days, starts)
        results.append(search_faiss(data, queries, days, starts, truth, filtered_truth, arguments.cache))
    else:
        import psycopg

        server = LocalPostgres(arguments.folder).start()
        try:  # stopped, not closed: the folder is kept (builds are slow), with a checkpoint (no recovery next time)
            if arguments.shared_buffers:
                with psycopg.connect(server.url, autocommit=True) as connection:
                    connection.execute(f"ALTER SYSTEM SET shared_buffers = '{arguments.shared_buffers}'")
                server.stop()
                server.start()
            with psycopg.connect(server.url, autocommit=True) as connection:
                settings["shared_buffers"] = _scalar(connection, "SHOW shared_buffers")
            url = urlunsplit(urlsplit(server.url)._replace(path="/vectors"))
            if arguments.step == "load":
                with psycopg.connect(server.url, autocommit=True) as connection:
                    connection.execute("DROP DATABASE IF EXISTS vectors")
                    connection.execute("CREATE DATABASE vectors")
                results.append({"step": "load", "seconds": load(url, data, days)})
            elif arguments.step == "index":
                results += [build(url, name, arguments.m, arguments.ef_construction) for name in arguments.variants]
            else:
                truth, filtered_truth = exact_truth(data, queries, days, starts)
                for name in arguments.variants:
                    for ef in (int(value) for value in arguments.ef_search.split(",")):
                        results.append(search_variant(url, name, queries, starts, truth, filtered_truth, ef))
                        print(json.dumps(results[-1]), file=sys.stderr)
        finally:
            server.stop()
    after = machine()
    with arguments.out.open("a") as out:
        for result in results:
            out.write(json.dumps({**result, **settings, "passages": len(data), "queries": len(queries),
                                  "vectors": origin, "cpu": before["cpu"], "load_before": before["load_average"],
                                  "load_after": after["load_average"],
                                  "command": "python -m tools.store_scale " + " ".join(argv or sys.argv[1:])}) + "\n")
    print(json.dumps(results, indent=1))
    return 0


if __name__ == "__main__":
    sys.exit(main())
