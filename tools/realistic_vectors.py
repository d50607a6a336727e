"""Benchmark vectors that behave like real embeddings, for vector search at a million passages (issue 23 item 1):
`python -m tools.realistic_vectors --cache DIR` embeds real text once and derives as many vectors as asked from it.

Real embeddings (`real_embeddings`): the bundled embedder (`rag.models.embed.load_embedder`, the default backend) over
every sentence, every window of three consecutive sentences and every paragraph of the SQuAD-2 articles in
../shared/eval (squad2-dev and squad2-train-sample) and of the bundled samples, and over their questions (the
queries). Cached in `DIR/real-embeddings.npz` (keyed by the texts' hash): later runs do not embed again.

Derived vectors (`derive`), seeded: each is a real passage embedding `a` mixed with one or two of its 20 nearest
real neighbours `b`, `c` (Dirichlet weights, α = 2 for `a`, 1 for the others: `a` usually dominates), plus
Gaussian noise whose covariance is that of the real vectors' differences from their nearest neighbour (the local
spread of real embeddings, dimension by dimension and across dimensions) times `NOISE` squared, then normalised.
So derived vectors stay in the regions real text occupies (a mix of neighbours is a plausible passage between
them), without being copies (the noise is as large as the gap between real neighbours). `compare` shows that HNSW
finds about the same share of the exact top 10 on them as on the real embeddings of the same count.

Without ../shared (CI, another machine), `fallback_vectors` gives the old synthetic clustered vectors
(`tools.bench.synthetic_vectors`), and every report says so.

Each passage also gets a publication date (`dates`): uniform over `DAYS` days, independent of its vector, so that a
date window of 5% of the days keeps about 5% of the passages, scattered over the whole graph (the hard case for
a filtered HNSW search).
"""

from __future__ import annotations

import argparse
import datetime
import hashlib
import json
import sys
import time
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np

SHARED = Path(__file__).resolve().parent.parent.parent / "shared" / "eval"
SETS = ("squad2-dev", "squad2-train-sample")
NEIGHBOURS = 20
"""Mixing partners of a derived vector are drawn among its base's this many nearest real neighbours."""
NOISE = 1.0
"""Scale of the noise, in units of the real nearest-neighbour spread."""
DAYS = 730
"""Publication dates are spread over this many days (about two years) from `FIRST_DAY`."""
FIRST_DAY = datetime.date(2024, 1, 1)
WINDOW = 3
"""Sentences per sentence window embedded beside the sentences themselves."""


def real_texts(shared: Path = SHARED) -> tuple[list[str], list[str]]:
    """(passage texts, question texts) of the SQuAD-2 articles under `shared` and of the bundled samples: every
    sentence, every window of `WINDOW` consecutive sentences of a paragraph, every paragraph; every question."""
    from rag.text import split_sentences
    from tools.bench import sample_articles

    articles = [json.loads(line) for name in SETS for line in (shared / name / "articles.jsonl").read_text(
        "utf-8").splitlines() if line.strip()]
    articles += sample_articles()
    passages: list[str] = []
    for article in articles:
        for paragraph in article["text"].split("\n\n"):
            sentences = [paragraph[span.start:span.end] for span in split_sentences(paragraph)]
            passages += sentences
            passages += [" ".join(sentences[start:start + WINDOW]) for start in range(len(sentences) - WINDOW + 1)]
            if len(sentences) > WINDOW:
                passages.append(paragraph.strip())
    questions = [json.loads(line)["question"] for name in SETS for line in (shared / name / "questions.jsonl")
                 .read_text("utf-8").splitlines() if line.strip()]
    return list(dict.fromkeys(text for text in passages if text.strip())), list(dict.fromkeys(questions))


def real_embeddings(cache: Path, shared: Path = SHARED) -> tuple[np.ndarray, np.ndarray]:
    """(passage vectors, question vectors) of `real_texts`, unit vectors of the bundled embedder, cached in
    `cache/real-embeddings.npz` (embedded again only when the texts change)."""
    passages, questions = real_texts(shared)
    key = hashlib.sha256("\n".join([*passages, "\f", *questions]).encode()).hexdigest()[:16]
    path = cache / "real-embeddings.npz"
    if path.exists():
        stored = np.load(path)
        if str(stored["key"]) == key:
            return stored["passages"], stored["questions"]
    from rag.models.embed import load_embedder

    embedder = load_embedder(batch_size=64)
    started = time.perf_counter()
    passage_vectors = _unit(embedder.embed(passages))
    question_vectors = _unit(embedder.embed(questions))
    print(f"embedded {len(passages):,} passages and {len(questions):,} questions in "
          f"{time.perf_counter() - started:.0f} s", file=sys.stderr)
    cache.mkdir(parents=True, exist_ok=True)
    np.savez(path, key=key, passages=passage_vectors, questions=question_vectors)
    return passage_vectors, question_vectors


def _unit(vectors: np.ndarray) -> np.ndarray:
    vectors = np.asarray(vectors, dtype=np.float32)
    return (vectors / np.linalg.norm(vectors, axis=1, keepdims=True)).astype(np.float32)


def nearest_neighbours(vectors: np.ndarray, count: int = NEIGHBOURS) -> np.ndarray:
    """The rows of each vector's `count` nearest other vectors (inner product, exact).

    >>> nearest_neighbours(np.array([[1, 0], [0.9, 0.1], [0, 1]], dtype=np.float32), 1).ravel().tolist()
    [1, 0, 1]
    """
    found = np.empty((len(vectors), count), dtype=np.int64)
    for start in range(0, len(vectors), 2048):
        scores = vectors[start:start + 2048] @ vectors.T
        scores[np.arange(len(scores)), np.arange(start, start + len(scores))] = -np.inf  # not itself
        best = np.argpartition(-scores, count, axis=1)[:, :count]
        order = np.argsort(-np.take_along_axis(scores, best, axis=1), axis=1)
        found[start:start + len(scores)] = np.take_along_axis(best, order, axis=1)
    return found


def derive(real: np.ndarray, count: int, seed: int = 0, noise: float = NOISE,
           neighbours: np.ndarray | None = None) -> np.ndarray:
    """`count` unit vectors derived from the `real` ones (see the module docstring), seeded.

    >>> rng = np.random.default_rng(0)
    >>> real = _unit(rng.standard_normal((200, 8)))
    >>> derived = derive(real, 1000, seed=1)
    >>> derived.shape, bool(np.allclose(np.linalg.norm(derived, axis=1), 1, atol=1e-5))
    ((1000, 8), True)
    >>> bool(np.array_equal(derived, derive(real, 1000, seed=1)))
    True
    """
    neighbours = nearest_neighbours(real, min(NEIGHBOURS, len(real) - 1)) if neighbours is None else neighbours
    spread = real - real[neighbours[:, 0]]
    covariance = (spread.T.astype(np.float64) @ spread) / len(spread)
    # The noise's covariance is half the spread's: a difference of two real vectors holds two vectors' worth of it.
    factor = np.linalg.cholesky(covariance / 2 + 1e-9 * np.eye(real.shape[1])).astype(np.float32)
    rng = np.random.default_rng(seed)
    derived = np.empty((count, real.shape[1]), dtype=np.float32)
    for start in range(0, count, 100_000):  # in slices: bounded memory at a million
        size = min(100_000, count - start)
        base = rng.integers(0, len(real), size)
        partners = neighbours[base[:, None], rng.integers(0, neighbours.shape[1], (size, 2))]
        weights = rng.dirichlet((2.0, 1.0, 1.0), size).astype(np.float32)
        weights[rng.random(size) < 0.5, 2] = 0  # half mix two vectors, half three
        weights /= weights.sum(axis=1, keepdims=True)
        block = (weights[:, :1] * real[base] + weights[:, 1:2] * real[partners[:, 0]]
                 + weights[:, 2:] * real[partners[:, 1]])
        block += noise * (rng.standard_normal((size, real.shape[1]), dtype=np.float32) @ factor.T)
        derived[start:start + size] = _unit(block)
    return derived


def dates(count: int, seed: int = 0) -> np.ndarray:
    """A publication day (0 = `FIRST_DAY`) for each of `count` passages, uniform over `DAYS` days, seeded.

    >>> days = dates(10_000)
    >>> int(days.min()) >= 0 and int(days.max()) < DAYS, bool(abs(float(np.mean(days < 37)) - 37 / DAYS) < 0.01)
    (True, True)
    """
    return np.random.default_rng(seed + 7).integers(0, DAYS, count).astype(np.int32)


def day_text(day: int) -> str:
    """The ISO date of day number `day`.

    >>> day_text(0), day_text(366)
    ('2024-01-01', '2025-01-01')
    """
    return (FIRST_DAY + datetime.timedelta(days=int(day))).isoformat()


def fallback_vectors(count: int, query_count: int) -> tuple[np.ndarray, np.ndarray]:
    """The old SYNTHETIC clustered vectors and queries (`tools.bench.synthetic_vectors`), when no real text is here."""
    from tools.bench import synthetic_vectors

    return synthetic_vectors(count), synthetic_vectors(query_count, seed=1, topics=max(1, count // 200))


def benchmark_vectors(count: int, query_count: int, cache: Path | None, shared: Path = SHARED,
                      seed: int = 0) -> tuple[np.ndarray, np.ndarray, str]:
    """(`count` passage vectors, `query_count` query vectors, how they were made): derived from real embeddings
    when `shared` holds the SQuAD-2 articles and a `cache` folder is given, else the old synthetic ones. The queries
    are real questions' embeddings (a seeded sample)."""
    if cache is None or not (shared / SETS[0] / "articles.jsonl").exists():
        data, queries = fallback_vectors(count, query_count)
        return data, queries, "SYNTHETIC clustered vectors (no ../shared/eval or no --vector-cache: not realistic)"
    path = cache / f"derived-{count}-{seed}.npy"
    real, questions = real_embeddings(cache, shared)
    if path.exists():
        data = np.load(path)
    else:
        data = derive(real, count, seed)
        np.save(path, data)
    rng = np.random.default_rng(seed + 11)
    queries = questions[rng.choice(len(questions), min(query_count, len(questions)), replace=False)]
    return data, queries, (f"derived from {len(real):,} real passage embeddings (tools.realistic_vectors); "
                           f"queries: real questions' embeddings")


def exact_top(data: np.ndarray, queries: np.ndarray, k: int = 10) -> np.ndarray:
    """The rows of the exact `k` nearest `data` vectors to each query (inner product)."""
    import faiss

    index = faiss.IndexFlatIP(data.shape[1])
    index.add(data)
    return np.asarray(index.search(queries, k)[1])


def hnsw_recall(data: np.ndarray, queries: np.ndarray, ef_search: Sequence[int], m: int = 16,
                ef_construction: int = 64) -> dict[int, float]:
    """Recall@10 of an HNSW graph (FAISS's, the algorithm pgvector implements) at each `ef_search`."""
    import faiss

    truth = exact_top(data, queries)
    index = faiss.IndexHNSWFlat(data.shape[1], m, faiss.METRIC_INNER_PRODUCT)
    index.hnsw.efConstruction = ef_construction
    index.add(data)
    recalls = {}
    for ef in ef_search:
        index.hnsw.efSearch = ef
        found = index.search(queries, 10)[1]
        recalls[ef] = float(np.mean([len(set(row) & set(expected)) / 10 for row, expected in zip(found, truth,
                                                                                                  strict=True)]))
    return recalls


def compare(real: np.ndarray, questions: np.ndarray, ef_search: Sequence[int] = (10, 16, 24, 40, 64),
            seed: int = 0, query_count: int = 1000, per_real: int = 60) -> dict[str, Any]:
    """HNSW recall@10 at each `ef_search` on the real passage embeddings, on as many derived from them (one per
    real vector), on as many derived from a `per_real`-th of them (`per_real` derived vectors per real one, as a
    million derived from all of them: 60 for 16,633), and on the old synthetic vectors, with the same real questions
    as queries; and each set's mean similarity of a vector to its nearest neighbour (how tightly packed it is)."""
    rng = np.random.default_rng(seed + 5)
    queries = questions[rng.choice(len(questions), min(query_count, len(questions)), replace=False)]
    count = len(real)
    seeds = real[rng.choice(count, max(NEIGHBOURS + 1, count // per_real), replace=False)]
    sets = {"real embeddings": real, "derived, one per real vector": derive(real, count, seed),
            f"derived, {per_real} per real vector": derive(seeds, count, seed),
            "old synthetic (tools.bench.synthetic_vectors)": fallback_vectors(count, 1)[0]}
    rows = {}
    for name, vectors in sets.items():
        sample = vectors[rng.choice(count, min(2000, count), replace=False)]
        nearest = np.sort(sample @ vectors.T, axis=1)[:, -2]  # the largest is the vector itself
        rows[name] = {"recall_at_10": hnsw_recall(vectors, queries, ef_search),
                      "nearest_similarity": float(np.mean(nearest)),
                      "query_best_similarity": float(np.mean((queries @ vectors.T).max(axis=1)))}
    return {"passages": count, "queries": len(queries), "m": 16, "ef_construction": 64, "sets": rows}


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m tools.realistic_vectors", description=__doc__.split("\n\n")[0])
    parser.add_argument("--cache", type=Path, required=True, help="folder for the real embeddings and derived sets")
    parser.add_argument("--shared", type=Path, default=SHARED, help="the folder of squad2-dev and squad2-train-sample")
    parser.add_argument("--derive", type=int, default=0, help="also derive (and cache) this many vectors")
    parser.add_argument("--compare", action="store_true", help="HNSW recall on real vs derived vectors (JSON)")
    arguments = parser.parse_args(argv)
    real, questions = real_embeddings(arguments.cache, arguments.shared)
    print(f"real: {len(real):,} passage vectors, {len(questions):,} question vectors", file=sys.stderr)
    if arguments.derive:
        benchmark_vectors(arguments.derive, 1, arguments.cache, arguments.shared)
    if arguments.compare:
        print(json.dumps(compare(real, questions), indent=2))
    return 0


if __name__ == "__main__":
    sys.exit(main())
