"""The benchmark: its pure helpers, its table, and `python -m tools.bench --quick` end to end (slow)."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

from tools.bench import naive_windows, sample_articles, synthetic_documents, synthetic_vectors, table, varied_articles

PROJECT = Path(__file__).resolve().parent.parent


def test_naive_windows_cover_the_text_with_overlap() -> None:
    text = "".join(chr(ord("a") + i % 26) for i in range(2500))
    windows = naive_windows(text)
    assert [len(window) for window in windows] == [1000, 1000, 900]
    assert windows[1].startswith(windows[0][-200:])
    assert windows[-1].endswith(text[-100:])


def test_varied_articles_are_distinct_and_made_of_sample_paragraphs() -> None:
    samples = sample_articles()
    assert len(samples) >= 5
    articles = varied_articles(samples, 40)
    assert len({article["text"] for article in articles}) == 40
    sample_text = "\n".join(sample["text"] for sample in samples)
    paragraph = articles[7]["text"].split("\n\n")[1]
    assert paragraph in sample_text
    assert varied_articles(samples, 40) == articles  # seeded: the same corpus on every run


def test_synthetic_data_is_reproducible_and_clustered() -> None:
    first, again = synthetic_vectors(2000, 64), synthetic_vectors(2000, 64)
    np.testing.assert_array_equal(first, again)
    queries = synthetic_vectors(50, 64, seed=1, topics=10)
    best = (queries @ first.T).max(axis=1)
    assert best.mean() > 0.5  # queries fall in the corpus's topics, as questions about an archive do
    documents = synthetic_documents(100)
    assert documents.shape == (100, 60) and documents.min() >= 0
    assert np.bincount(documents.ravel()).argmax() == 0  # Zipf: the first word is the most frequent


def test_table_renders_every_section() -> None:
    report = {
        "machine": {"cpu": "Test CPU", "cores": 2, "memory_gb": 24, "load_average_before": [0.1],
                    "load_average_after": [0.2]},
        "indexing": {
            "articles_source": "x", "naive_path": "y", "runs": {},
            "naive": {"articles_per_s": 1.0, "chunks_per_s": 5.0, "characters_per_s": 1000.0, "peak_rss_mb": 500},
            "onnx-int8": {"articles_per_s": 2.0, "chunks_per_s": 9.0, "characters_per_s": 2000.0, "peak_rss_mb": 400,
                          "speed_vs_naive": 2.0, "no_change_seconds": 0.1, "no_change_ratio": 0.01,
                          "one_changed_seconds": 0.5, "one_changed_ratio": 0.05},
        },
        "search": [{"passages": 1000000, "kind": "IVF2048,Flat", "nprobe": 128, "bytes_per_passage": 1584,
                    "build_seconds": 60.0, "p50_ms": 3.0, "p99_ms": 9.0, "exact_p50_ms": 60.0, "exact_p99_ms": 80.0,
                    "recall_at_10": 0.97, "lexical": {"p50_ms": 12.0}, "peak_rss_mb": 4000}],
        "store": {
            "indexing": [{"store": "postgres", "processes": 2, "passages": 8000, "seconds": 10.0,
                          "passages_per_s": 800.0}],
            "search": [{"passages": 100000, "load_seconds": 150.0,
                        "bytes_per_passage": {"total": 7400.0, "hnsw_index": 2048.0},
                        "faiss": {"kind": "Flat", "build_seconds": 0.1, "p50_ms": 12.0, "p99_ms": 15.0,
                                  "recall_at_10": 1.0},
                        "hnsw": [{"m": 16, "ef_construction": 64, "ef_search": 100, "build_seconds": 150.0,
                                  "p50_ms": 4.2, "p99_ms": 14.5, "recall_at_10": 0.997}],
                        "file_retrieval": {"p50_ms": 9.0, "p99_ms": 20.0},
                        "postgres_retrieval": {"p50_ms": 31.0, "p99_ms": 80.0}}],
        },
        "answer": {"assistant": {"first_token_s": 0.5, "tokens_per_s": 0.0, "peak_rss_mb": 900},  # spans only
                   "raw": {"first_token_s": 0.4, "tokens_per_s": 41.0, "peak_rss_mb": 700},
                   "first_token_ratio": 1.25, "answer_ratio": 0.40},
        "query_embedding": {"results": [{"backend": "torch", "threads": 1, "quiet_p50_ms": 15.0,
                                         "busy_p50_ms": 16.0}]},
    }
    text = table(report)
    for expected in ("Test CPU", "| rag index (onnx-int8) | 2.00 |", "2.00×", "IVF2048,Flat nprobe 128",
                     "20.0×", "0.970", "12.00 ms", "1.25×", "0.40×", "| torch | 1 | 15.0 ms | 16.0 ms |", "SYNTHETIC",
                     "| postgres | 2 | 8,000 | 10.0 | 800 |", "m=16 ef_construction=64 ef_search=100", "0.997",
                     "7,400 bytes per passage", "PostgreSQL store | | 31.00 ms",
                     "checks as it writes) | 0.50 s | – |", "evidence-first prompt (0 tokens) | 0.40 s | 41.0 |"):
        assert expected in text, expected


@pytest.mark.slow
def test_quick_benchmark_runs_and_writes_its_json(tmp_path: Path) -> None:
    out = tmp_path / "bench.json"
    finished = subprocess.run([sys.executable, "-m", "tools.bench", "--quick", "--out", str(out)], cwd=PROJECT,
                              capture_output=True, text=True, timeout=1800)
    assert finished.returncode == 0, finished.stderr[-3000:]
    report = json.loads(out.read_text())
    assert report["quick"] is True and report["machine"]["cores"] >= 1
    indexing = report["indexing"]
    backend = report["backend"]
    assert indexing["naive"]["chunks"] > 0 and indexing[backend]["chunks"] > 0
    assert indexing[backend]["articles"] == indexing["naive"]["articles"] == 12
    assert indexing[backend]["no_change_seconds"] > 0 and indexing[backend]["peak_rss_mb"] > 0
    assert [row["passages"] for row in report["search"]] == [2000, 20000]
    assert all(row["kind"].startswith("IVF") and 0.9 <= row["recall_at_10"] <= 1.0 for row in report["search"])
    assert report["answer"]["assistant"]["first_token_s"] > 0 and report["answer"]["raw"]["tokens_per_s"] > 0
    assert {row["backend"] for row in report["query_embedding"]["results"]} >= {"torch", backend}
    store = report["store"]
    assert [(row["store"], row["processes"]) for row in store["indexing"]] == [
        ("files", 1), ("postgres", 1), ("postgres", 2), ("postgres", 4)]
    assert all(row["passages"] == store["indexing"][0]["passages"] > 0 for row in store["indexing"])
    assert [row["passages"] for row in store["search"]] == [2000]
    assert all(row["recall_at_10"] >= 0.9 for row in store["search"][0]["hnsw"])
    assert "| passages |" in finished.stdout and report["table"] in finished.stdout
