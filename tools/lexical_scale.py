"""Lexical (BM25) search at scale in the PostgreSQL store against the index folder's (issue 23, item 2).

    python -m tools.lexical_scale build --sizes 100000,1000000 --folder /var/tmp/lexical   # once: kept
    python -m tools.lexical_scale measure --sizes 100000,1000000 --folder /var/tmp/lexical --questions 300
    python -m tools.lexical_scale exact                                                    # the 35 dev articles

`build` loads the corpus of `tools.lexical_corpus` (real sentences, seeded) of each size into a database of a
private PostgreSQL kept in `--folder` (`tools.local_postgres`), through the store's own `PostgresStore.save` (one
transaction, as a first `rag index` does), with SYNTHETIC clustered vectors (`tools.bench.synthetic_vectors`) for the
dense half; then `VACUUM ANALYZE`, as autovacuum would after such a load. `measure` asks the dev questions of each
size, the two stores one after the other for each question:

- lexical search alone (BM25's top 20: `candidates` without a vector) from PostgreSQL, impact-ordered (the store's
  way) and reading every posting (the way before schema version 3), and from the folder's `LexicalIndex` over the
  same passages (the reference: exact BM25): p50/p95 and the share of the folder's top 20 that PostgreSQL returns;
- with `--whole`, one question's whole retrieval (`Retriever.search`: dense + BM25 + fusion) from each store.

`exact` indexes the 35 dev articles with the project's chunking into both stores (a hash for the embedder) and
compares the BM25 top 20 of every dev question. `--quick` (what `make bench` runs) does both at a small size in a
temporary server.
"""

from __future__ import annotations

import argparse
import functools
import json
import os
import sys
import tempfile
import time
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any, cast

import numpy as np

from rag.store.postgres_index import BUDGET as BUDGET_DEFAULT
from rag.store.postgres_index import RESCORED as RESCORED_DEFAULT
from rag.store.postgres_index import RESCORED_AT_LEAST as AT_LEAST_DEFAULT
from tools.lexical_corpus import Corpus, questions, read_sources

TOP = 20
"""The depth compared: the retriever's BM25 half asks for more (`rag.answer.retrieve.CANDIDATES`), the issue's
target is the top 20."""
BATCH = 10_000


def _server(folder: Path) -> Any:
    from tools.local_postgres import LocalPostgres

    return LocalPostgres(folder / "pg").start()


def _database(server: Any, name: str, create: bool) -> str:
    """The URL of database `name` in `server`, created (with the bench's settings) when `create`."""
    from urllib.parse import urlsplit, urlunsplit

    import psycopg

    with psycopg.connect(server.url, autocommit=True) as connection:
        if create:
            connection.execute(f"DROP DATABASE IF EXISTS {name}")
            connection.execute(f"CREATE DATABASE {name}")
            # What docs/deployment.md advises for large builds (HNSW graph, postings index sorts).
            connection.execute(f"ALTER DATABASE {name} SET maintenance_work_mem = '3GB'")
    return urlunsplit(urlsplit(server.url)._replace(path=f"/{name}"))


def corpus(count: int) -> Corpus:
    return Corpus(count, read_sources())


def database_name(count: int, dimension: int) -> str:
    """The database of the corpus of `count` passages with vectors of `dimension` (the bench's 384, or a few: BM25
    alone measured sooner, the vectors' formatting and HNSW graph left out).

    >>> database_name(1000, 384), database_name(1000, 2)
    ('lexical_1000', 'lexical_1000_d2')
    """
    from tools.bench import DIMENSION

    return f"lexical_{count}" + ("" if dimension == DIMENSION else f"_d{dimension}")


def build(count: int, folder: Path, dimension: int) -> dict[str, Any]:
    """Load the corpus of `count` passages into database `database_name` of the server in `folder`."""
    from rag.store.generations import ArticleRecord
    from rag.store.postgres import PostgresStore
    from tools.bench import HashEmbedder, synthetic_vectors

    server = _server(folder)
    url = _database(server, database_name(count, dimension), create=True)
    started = time.perf_counter()
    store = PostgresStore(url)
    index = store.create(HashEmbedder.name, dimension, {"chunk_tokens": 200, "chunk_overlap": 32})
    vectors = synthetic_vectors(count, dimension)
    batch: list[Any] = []
    records: dict[str, ArticleRecord] = {}
    done = 0
    for passage in corpus(count).passages():
        batch.append(passage)
        record = records.get(passage.article_id)
        records[passage.article_id] = ArticleRecord(passage.article_id, passage.article_id, passage.title,
                                                    passage.source, published=passage.published,
                                                    passages=(record.passages if record else 0) + 1)
        if len(batch) == BATCH:
            index.add(batch, vectors[done:done + len(batch)])
            done += len(batch)
            batch = []
    if batch:
        index.add(batch, vectors[done:done + len(batch)])
    for record in records.values():
        index.articles[record.id] = record
    generated = time.perf_counter() - started
    store.save(index)
    saved = time.perf_counter() - started
    import psycopg

    with psycopg.connect(url, autocommit=True) as connection:
        connection.execute("VACUUM ANALYZE")
        sizes: dict[str, int] = dict(connection.execute(
            "SELECT relname, pg_total_relation_size(oid) FROM pg_class WHERE relname IN ('rag_articles', "
            "'rag_passages', 'rag_terms', 'rag_postings', 'rag_postings_impact', 'rag_postings_pkey', "
            "'rag_postings_passage', 'rag_passages_embedding')").fetchall())
    result = {"passages": count, "url": url, "generate_seconds": generated, "load_seconds": saved - generated,
              "vacuum_seconds": time.perf_counter() - started - saved, "bytes": sizes}
    (folder / f"{database_name(count, dimension)}.json").write_text(json.dumps(result, indent=1))
    return result


def build_folder(count: int, folder: Path) -> dict[str, Any]:
    """The same passages and vectors in an index folder (`PassageIndex.save`: FAISS as `rag index` picks it for
    this size, and the folder's BM25), in `folder/index_COUNT`."""
    from rag.store.generations import ArticleRecord, PassageIndex
    from tools.bench import DIMENSION, HashEmbedder, synthetic_vectors

    started = time.perf_counter()
    index = PassageIndex(HashEmbedder.name, DIMENSION, {"chunk_tokens": 200, "chunk_overlap": 32})
    passages = list(corpus(count).passages())
    index.add(passages, synthetic_vectors(count))
    counts: dict[str, int] = {}
    for passage in passages:
        counts[passage.article_id] = counts.get(passage.article_id, 0) + 1
    index.articles = {article_id: ArticleRecord(article_id, article_id, "", "", passages=number)
                      for article_id, number in counts.items()}
    index.lexical.search("warm", TOP)  # builds the score matrix before the save
    index.save(folder / f"index_{count}")
    return {"passages": count, "seconds": time.perf_counter() - started, "faiss": index.vectors.describe()}


def folder_lexical(count: int, folder: Path) -> Any:
    """The folder's BM25 alone (`LexicalIndex`) over the corpus of `count` passages, kept in `folder/lexical_COUNT`
    (made once: a million passages take minutes to tokenize)."""
    from rag.store.lexical import LexicalIndex

    saved = folder / f"lexical_{count}"
    if (saved / "lexical" / "lexical.json").exists():
        # The passages are needed only for their number (`LexicalIndex.load` checks it): a range has it.
        return LexicalIndex.load(saved, cast(Sequence[Any], range(count)))
    lexical = LexicalIndex()
    batch = []
    for passage in corpus(count).passages():
        batch.append(passage)
        if len(batch) == BATCH:
            lexical.add(batch)
            batch = []
    lexical.add(batch)
    lexical.save(saved)
    return lexical


def _percentile(values: Sequence[float], percent: float) -> float:
    return float(np.percentile(np.asarray(values) * 1000.0, percent)) if values else float("nan")


def _top(rows: np.ndarray, scores: np.ndarray, k: int = TOP) -> dict[int, float]:
    """The rows of the `k` best scores (ties by row), as the folder orders them, with their scores."""
    order = np.lexsort((rows, -scores))
    return {int(rows[i]): float(scores[i]) for i in order[:k] if scores[i] > 0}


def agreement(found: Sequence[dict[int, float]], reference: Sequence[dict[int, float]]) -> float:
    """The share of the reference's top passages that were found, over all questions (pooled); a passage tied with
    the last one found counts as found (which of tied passages make the top is arbitrary).

    >>> agreement([{1: 3.0, 2: 2.0, 3: 1.0}, {4: 1.0}], [{1: 3.0, 2: 2.0, 5: 1.5}, {4: 1.0}])
    0.75
    >>> agreement([{1: 3.0, 2: 1.0}], [{1: 3.0, 5: 1.0}])
    1.0
    """
    total = sum(len(rows) for rows in reference)
    same = 0
    for rows, expected in zip(found, reference, strict=True):
        lowest = min(rows.values(), default=0.0)
        same += sum(row in rows or score <= lowest * (1 + 1e-5) for row, score in expected.items())
    return same / total if total else 1.0


def measure(count: int, folder: Path, question_count: int, whole: bool,
            budgets: Sequence[tuple[int | None, int]], dimension: int, reference_sql: bool = False) -> dict[str, Any]:
    """Lexical search alone (and with `whole` one question's whole retrieval) at `count` passages, the database's
    BM25 within each of `budgets` (postings read, passages rescored per passage asked for; None: every posting):
    see the module docstring. `reference_sql`: the exact top is the database's own, every posting read (the same
    scores as the folder's, to float rounding), instead of the folder's `LexicalIndex` (minutes to build at a
    million passages)."""
    import rag.store.postgres_index
    from rag.store.generations import PassageIndex
    from rag.store.postgres_index import PostgresIndex

    server = _server(folder)
    url = _database(server, database_name(count, dimension), create=False)
    asked = questions(question_count, seed=7)
    started = time.perf_counter()
    saved = folder / f"index_{count}"
    file_index = PassageIndex.load(saved) if saved.exists() else None
    lexical = None if reference_sql else file_index.lexical if file_index is not None else folder_lexical(count,
                                                                                                        folder)
    if lexical is not None:
        lexical.search(asked[0], TOP)  # builds the score matrix
    result: dict[str, Any] = {"passages": count, "questions": len(asked), "folder_build_seconds":
                              time.perf_counter() - started}
    database = PostgresIndex.open(url)
    names = [f"{budget}x{rescored}" for budget, rescored in budgets]
    reference: list[dict[int, float]] = []
    folder_times: list[float] = []
    found: dict[str, list[dict[int, float]]] = {name: [] for name in names}
    times: dict[str, list[float]] = {name: [] for name in names}

    def ask(question: str, budget: int | None, rescored: int) -> Any:
        database.lexical_budget = budget
        rag.store.postgres_index.RESCORED = rescored
        rag.store.postgres_index.RESCORED_AT_LEAST = 0 if rescored != RESCORED_DEFAULT else AT_LEAST_DEFAULT
        return database.candidates(None, question, TOP)

    for question in asked[:5]:  # warm the caches
        for budget, rescored in budgets:
            ask(question, budget, rescored)
    for question in asked:  # the stores and settings one after the other for each question
        began = time.perf_counter()
        if lexical is not None:
            rows, scores = lexical.search(question, TOP)
            folder_times.append(time.perf_counter() - began)
            reference.append(_top(rows, scores))
        else:
            exact = ask(question, None, RESCORED_DEFAULT)
            reference.append({row - 1: score for row, score in _top(exact.rows, exact.lexical).items()})
        for name, (budget, rescored) in zip(names, budgets, strict=True):
            began = time.perf_counter()
            candidates = ask(question, budget, rescored)
            times[name].append(time.perf_counter() - began)
            found[name].append({row - 1: score for row, score in _top(candidates.rows, candidates.lexical).items()})
    result["folder"] = {"p50_ms": _percentile(folder_times, 50), "p95_ms": _percentile(folder_times, 95)}
    result["reference"] = "PostgreSQL, every posting" if lexical is None else "folder"
    result["postgres"] = [{"budget": budget, "rescored": rescored, "p50_ms": _percentile(times[name], 50),
                           "p95_ms": _percentile(times[name], 95), "agreement": agreement(found[name], reference)}
                          for name, (budget, rescored) in zip(names, budgets, strict=True)]
    rag.store.postgres_index.RESCORED = RESCORED_DEFAULT
    rag.store.postgres_index.RESCORED_AT_LEAST = AT_LEAST_DEFAULT
    if whole:
        result["whole"] = _whole(count, url, asked, file_index)
    return result


def _whole(count: int, url: str, asked: Sequence[str], file_index: Any) -> dict[str, Any]:
    """One question's whole retrieval (`Retriever.search`: dense + BM25 + fusion) from each store, the question's
    vector a synthetic one drawn as the passages' are."""
    from rag.answer.retrieve import Retriever
    from rag.store.postgres_index import PostgresIndex
    from tools.bench import HashEmbedder, synthetic_vectors

    vector_of = dict(zip(asked, synthetic_vectors(len(asked), seed=1, topics=max(1, count // 200)), strict=True))

    class QueryEmbedder(HashEmbedder):
        def embed(self, texts: Sequence[str]) -> np.ndarray:
            return np.stack([vector_of[text] for text in texts])

    retrievers = {"postgres": Retriever(PostgresIndex.open(url), QueryEmbedder())}
    if file_index is not None:  # (none built at a million passages)
        retrievers["folder"] = Retriever(file_index, QueryEmbedder())
    times: dict[str, list[float]] = {name: [] for name in retrievers}
    for question in asked[:5]:
        for retriever in retrievers.values():
            retriever.search(question, 5)
    for question in asked:
        for name, retriever in retrievers.items():
            began = time.perf_counter()
            retriever.search(question, 5)
            times[name].append(time.perf_counter() - began)
    return {"folder_faiss": file_index.vectors.describe() if file_index is not None else None,
            **{name: {"p50_ms": _percentile(values, 50), "p95_ms": _percentile(values, 95)}
               for name, values in times.items()}}


def exact(question_count: int | None = None) -> dict[str, Any]:
    """The 35 dev articles through the project's indexer into both stores (a hash for the embedder); the BM25 top
    20 of every dev question from each."""
    from rag.ingest.indexer import UpdateOptions, update_index
    from rag.store.generations import PassageIndex
    from rag.store.postgres_index import PostgresIndex
    from tools.bench import HashEmbedder
    from tools.lexical_corpus import SOURCES
    from tools.local_postgres import LocalPostgres

    articles = SOURCES[0] / "articles.jsonl"
    source = articles if articles.exists() else Path(__file__).resolve().parent.parent / "rag" / "samples"
    asked = questions(question_count)
    with tempfile.TemporaryDirectory(prefix="rag-lexical-") as work, LocalPostgres() as server:
        url = server.new_database("lexical")
        options = UpdateOptions(progress=False, checkpoint_seconds=None)
        update_index([str(source)], url, HashEmbedder(), options)
        update_index([str(source)], str(Path(work) / "index"), HashEmbedder(), options)
        folder = PassageIndex.load(Path(work) / "index")
        database = PostgresIndex.open(url)
        by_id = {passage.id: number for number, passage in enumerate(folder.passages)}
        found, reference = [], []
        for question in asked:
            rows, scores = folder.lexical.search(question, TOP)
            reference.append(_top(rows, scores))
            candidates = database.candidates(None, question, TOP)
            top = _top(candidates.rows, candidates.lexical)
            passages = {int(row): passage for row, passage in zip(candidates.rows, candidates.passages, strict=True)}
            found.append({by_id[passages[row].id]: score for row, score in top.items()})
        return {"articles": str(source), "passages": len(folder), "questions": len(asked),
                "agreement": agreement(found, reference),
                "identical": sum(list(rows) == list(expected) for rows, expected in zip(found, reference, strict=True))}


def bench_part(config: dict[str, Any]) -> dict[str, Any]:
    """`make bench`'s quick size (`tools.bench`, part `lexical`): `count` passages in a temporary server and folder,
    BM25 alone within the store's budget and reading every posting against the folder's, and the whole retrieval
    from each store."""
    count = int(config["count"])
    with tempfile.TemporaryDirectory(prefix="rag-bench-lexical-") as work:
        folder = Path(work)
        from tools.bench import DIMENSION

        built = build(count, folder, DIMENSION)
        build_folder(count, folder)
        result = measure(count, folder, int(config["questions"]), True,
                         [(BUDGET_DEFAULT, RESCORED_DEFAULT), (None, RESCORED_DEFAULT)], DIMENSION)
        _server(folder).close()  # the same server (started already): stopped before its folder goes
    return {**result, "load_seconds": built["load_seconds"]}


def table(result: dict[str, Any]) -> list[str]:
    """`bench_part`'s result (or one of `measure`'s) as Markdown lines.

    >>> row = {"budget": None, "rescored": 10, "p50_ms": 9.0, "p95_ms": 20.0, "agreement": 1.0}
    >>> table({"passages": 1000, "questions": 5, "folder": {"p50_ms": 1.0, "p95_ms": 2.0}, "postgres": [row]})[5]
    '| 1,000 | PostgreSQL, every posting | 9.0 ms | 20.0 ms | 1.000 |'
    """
    lines = ["", f"BM25 top {TOP} in SQL ({result['passages']:,} passages from tools.lexical_corpus, "
             f"{result['questions']} dev questions)", "",
             "| passages | search | p50 | p95 | agreement with the folder |", "| ---: | --- | ---: | ---: | ---: |"]
    folder = result["folder"]
    for row in result["postgres"]:
        how = ("every posting" if row["budget"] is None
               else f"within {row['budget']:,} postings, {row['rescored']}× rescored"
               + (" (at least 400)" if row["rescored"] == RESCORED_DEFAULT else ""))
        lines.append(f"| {result['passages']:,} | PostgreSQL, {how} | {row['p50_ms']:.1f} ms | {row['p95_ms']:.1f} ms "
                     f"| {row['agreement']:.3f} |")
    if folder["p50_ms"] == folder["p50_ms"]:  # not NaN: measured
        lines.append(f"| {result['passages']:,} | folder (bm25s) | {folder['p50_ms']:.1f} ms | "
                     f"{folder['p95_ms']:.1f} ms | 1.000 |")
    for name in ("folder", "postgres"):
        if name in result.get("whole", {}):
            whole = result["whole"][name]
            lines.append(f"| {result['passages']:,} | whole retrieval, {name} | {whole['p50_ms']:.1f} ms | "
                         f"{whole['p95_ms']:.1f} ms | |")
    return lines


def _budget(value: str) -> tuple[int | None, int]:
    """
    >>> _budget("20000x5"), _budget("None")[0]
    ((20000, 5), None)
    """
    if value == "default":
        return BUDGET_DEFAULT, RESCORED_DEFAULT
    if value == "None":
        return None, RESCORED_DEFAULT
    budget, _, rescored = value.partition("x")
    return int(budget), int(rescored or RESCORED_DEFAULT)


def _timed(label: str, call: Callable[[], dict[str, Any]]) -> dict[str, Any]:
    print(f"{label} ...", file=sys.stderr, flush=True)
    started = time.perf_counter()
    result = call()
    print(f"{label}: {time.perf_counter() - started:.1f} s: {json.dumps(result)}", file=sys.stderr, flush=True)
    return result


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("command", choices=("build", "build-folder", "build-lexical", "measure", "exact"))
    parser.add_argument("--sizes", type=lambda value: [int(float(v)) for v in value.split(",")], default=[100_000])
    parser.add_argument("--folder", type=Path, default=Path(tempfile.gettempdir()) / "rag-lexical-scale")
    parser.add_argument("--questions", type=int, default=300)
    parser.add_argument("--budgets", default="default,None",
                        help="comma-separated BUDGETxRESCORED (postings a question reads, passages rescored per "
                             "passage asked for), `default` (the store's), None (every posting)")
    parser.add_argument("--whole", action="store_true", help="also the whole retrieval from each store")
    parser.add_argument("--dimension", type=int, default=384, help="of the database's vectors (2: BM25 alone)")
    parser.add_argument("--reference-sql", action="store_true",
                        help="the exact top from the database (every posting) rather than the folder's BM25")
    parser.add_argument("--out", type=Path)
    arguments = parser.parse_args(argv)
    budgets = [_budget(value) for value in arguments.budgets.split(",")]
    arguments.folder.mkdir(parents=True, exist_ok=True)
    report: dict[str, Any] = {"command": " ".join(["python -m tools.lexical_scale", *(argv or sys.argv[1:])]),
                              "load_average": os.getloadavg()}
    if arguments.command == "build":
        report["build"] = [_timed(f"build {size:,}", functools.partial(build, size, arguments.folder,
                                                                               arguments.dimension))
                           for size in arguments.sizes]
    elif arguments.command == "build-folder":
        report["build_folder"] = [_timed(f"build folder {size:,}", functools.partial(build_folder, size,
                                                                                     arguments.folder))
                                  for size in arguments.sizes]
    elif arguments.command == "build-lexical":
        for size in arguments.sizes:
            lexical = folder_lexical(size, arguments.folder)
            report.setdefault("build_lexical", []).append({"passages": len(lexical)})
    elif arguments.command == "measure":
        report["measure"] = [_timed(f"measure {size:,}", functools.partial(
            measure, size, arguments.folder, arguments.questions, arguments.whole, budgets, arguments.dimension,
            arguments.reference_sql))
            for size in arguments.sizes]
    elif arguments.command == "exact":
        report["exact"] = _timed("exact", lambda: exact())
    report["load_average_after"] = os.getloadavg()
    text = json.dumps(report, indent=1)
    if arguments.out:
        arguments.out.write_text(text + "\n")
    print(text)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
