"""The 1M vector-search benchmark's pieces (`tools.realistic_vectors`, `tools.store_scale`): vectors derived from
real ones stay near them without copying them, the fallback without ../shared, dates that give a 5% window, and the
steps end to end at a small size on a real PostgreSQL (slow)."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

from rag.store.postgres_database import EF_SEARCH
from tools.realistic_vectors import benchmark_vectors, derive, hnsw_recall, nearest_neighbours
from tools.store_scale import WINDOW_DAYS, passage_days, windows

PROJECT = Path(__file__).resolve().parent.parent


def clustered(count: int, dimension: int = 32, seed: int = 0) -> np.ndarray:
    """Unit vectors in 20 tight clusters: a stand-in for real embeddings (the tests must run without ../shared)."""
    rng = np.random.default_rng(seed)
    centres = rng.standard_normal((20, dimension))
    vectors = centres[rng.integers(0, 20, count)] + 0.3 * rng.standard_normal((count, dimension))
    return (vectors / np.linalg.norm(vectors, axis=1, keepdims=True)).astype(np.float32)


def test_derived_vectors_stay_among_the_real_ones_without_copying_them() -> None:
    real = clustered(2000)
    derived = derive(real, 2000, seed=3)
    nearest_real = (derived @ real.T).max(axis=1)
    real_spacing = np.mean([real[row] @ real[nearest_neighbours(real, 1)[row, 0]] for row in range(200)])
    assert nearest_real.max() < 0.999  # no copies
    # As close to some real vector as real vectors are to each other (a mix of neighbours plus their spread).
    assert abs(float(np.mean(nearest_real)) - float(real_spacing)) < 0.1
    random_directions = np.random.default_rng(1).standard_normal((2000, 32)).astype(np.float32)
    random_directions /= np.linalg.norm(random_directions, axis=1, keepdims=True)
    assert float(np.mean((random_directions @ real.T).max(axis=1))) < float(np.mean(nearest_real)) - 0.2


def test_hnsw_recall_is_measured_against_exact_search() -> None:
    real = clustered(3000)
    queries = clustered(50, seed=9)
    recalls = hnsw_recall(real, queries, [1, 200])
    assert 0 < recalls[1] < recalls[200] <= 1
    assert recalls[200] > 0.9


def test_without_the_shared_sets_the_old_synthetic_vectors_say_so(tmp_path: Path) -> None:
    data, queries, origin = benchmark_vectors(500, 7, tmp_path, shared=tmp_path / "missing")
    assert data.shape == (500, 384) and queries.shape == (7, 384)
    assert origin.startswith("SYNTHETIC")
    assert not list(tmp_path.iterdir())  # nothing embedded or cached


def test_an_articles_passages_share_its_date_and_a_window_keeps_five_percent() -> None:
    days = passage_days(100_000)
    assert (days.reshape(-1, 10) == days.reshape(-1, 10)[:, :1]).all()  # ten passages per article, one date
    kept = [np.mean((days >= start) & (days < start + WINDOW_DAYS)) for start in windows(20)]
    assert 0.04 < float(np.mean(kept)) < 0.06


@pytest.mark.slow
def test_the_steps_run_on_a_real_server(tmp_path: Path) -> None:
    out = tmp_path / "results.jsonl"
    common = ["--folder", str(tmp_path / "pg"), "--cache", str(tmp_path), "--shared", str(tmp_path / "missing"),
              "--out", str(out), "--count", "3000", "--queries", "10", "--ef-search", str(EF_SEARCH)]
    for step in (["load"], ["index", "store"], ["search", "store"], ["faiss"]):
        done = subprocess.run([sys.executable, "-m", "tools.store_scale", *common, *step], cwd=PROJECT,
                              capture_output=True, text=True, timeout=600)
        assert done.returncode == 0, (step, done.stderr[-3000:])  # what failed: a CI log showed only the exit status
    results = {result["step"]: result for result in map(json.loads, out.read_text().splitlines())}
    search = results["search"]
    assert search["filtered_plan"].startswith("Limit")  # what PostgreSQL chose (at this size: an exact sort)
    for figures in (search["store_unfiltered"], search["store_filtered"], results["faiss"]["filtered"]):
        assert figures["fewest_rows"] == 10 and figures["recall_at_10"] > 0.8
    assert results["index"]["index_bytes"] > 0 and results["load"]["seconds"] > 0
