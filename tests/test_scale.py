"""Search at scale: the vector index type chosen by corpus size, ANN recall against exact search, and the row
alignment of an inverted-file index through delete, save and load. Synthetic vectors; no timings asserted."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest

from rag.errors import InvalidRequestError
from rag.records import Passage
from rag.store import vectors as vector_module
from rag.store.generations import PassageIndex, current_generation
from rag.store.vectors import FaissVectors, VectorStore, auto_factory, default_nprobe
from tools.bench import synthetic_vectors

RECALL_FLOOR = 0.95
"""The recall@10 of exact search the automatic inverted file must keep (the issue's target) on synthetic data."""
DIMENSION = 32


@pytest.fixture
def small_threshold(monkeypatch: pytest.MonkeyPatch) -> int:
    """Switch to the inverted file at 1,000 passages instead of 200,000, to exercise it on small data."""
    monkeypatch.setattr(vector_module, "AUTO_ANN_PASSAGES", 1000)
    return 1000


def clustered(count: int, seed: int = 0, topics: int | None = None) -> np.ndarray:
    return synthetic_vectors(count, DIMENSION, seed=seed, per_topic=50, topics=topics)


def test_auto_is_exact_below_the_threshold_then_an_inverted_file() -> None:
    assert auto_factory(10_000) == "Flat"
    assert auto_factory(vector_module.AUTO_ANN_PASSAGES - 1) == "Flat"
    assert auto_factory(vector_module.AUTO_ANN_PASSAGES).startswith("IVF")
    assert auto_factory(1_000_000) == "IVF4096,Flat"
    assert default_nprobe(4096) == 256


def test_store_switches_kind_as_the_corpus_grows_and_retrains_on_growth(small_threshold: int) -> None:
    store = FaissVectors(DIMENSION)
    assert isinstance(store, VectorStore)
    store.add(clustered(500))
    assert store.kind == "Flat" and store.ids is None
    store.add(clustered(700, seed=1, topics=10))
    assert store.kind.startswith("IVF") and store.trained_on == 1200 and store.ntotal == 1200
    first_kind = store.kind
    store.add(clustered(1000, seed=2, topics=10))  # grown less than fourfold: only assigned to the lists
    assert store.kind == first_kind and store.trained_on == 1200
    store.add(clustered(3000, seed=3, topics=10))
    assert store.trained_on == 5200 and store.ntotal == 5200
    assert store.ids is not None and (np.diff(store.ids) > 0).all()


def test_ann_recall_against_exact_search(small_threshold: int) -> None:
    data = synthetic_vectors(20_000, 64, seed=0, per_topic=100)
    queries = synthetic_vectors(100, 64, seed=1, topics=200)
    exact, ann = FaissVectors(64, "Flat"), FaissVectors(64)
    exact.add(data)
    ann.add(data)
    assert ann.kind.startswith("IVF") and exact.kind == "Flat"
    _, truth = exact.search(queries, 10)
    found = np.vstack([ann.search(query[None, :], 10)[1] for query in queries])  # single queries, as served
    recall = np.mean([len(set(a) & set(b)) / 10 for a, b in zip(found, truth, strict=True)])
    assert recall >= RECALL_FLOOR, recall


def test_explicit_factory_waits_for_enough_training_vectors_and_bad_ones_are_refused() -> None:
    store = FaissVectors(DIMENSION, "IVF16,Flat")
    store.add(clustered(100))
    assert store.kind == "Flat"  # 16 lists need 624 training vectors
    store.add(clustered(900, seed=1, topics=2))
    assert store.kind == "IVF16,Flat"
    with pytest.raises(InvalidRequestError, match="index_factory"):
        FaissVectors(DIMENSION, "NotAnIndex99")


def make_index(count: int, factory: str) -> tuple[PassageIndex, np.ndarray]:
    index = PassageIndex("toy", DIMENSION, {"chunk_tokens": 10}, index_factory=factory)
    vectors = clustered(count)
    passages = [Passage(f"article-{row % 7}", "T", "s.txt", "", f"passage {row}", row, row + 1)
                for row in range(count)]
    index.add(passages, vectors)
    return index, vectors


def check_aligned(index: PassageIndex, original: dict[str, np.ndarray]) -> None:
    for row in range(0, len(index), 37):
        passage = index.passages[row]
        np.testing.assert_allclose(index.vectors_of([row])[0], original[passage.text], atol=1e-6)
        hits = index.search(original[passage.text], k=3)
        assert hits[0].passage.text == passage.text  # its own vector finds it first


@pytest.mark.parametrize("factory", ["IVF16,Flat", "HNSW16"])
def test_delete_save_load_keep_rows_aligned_with_an_ann_index(tmp_path: Path, factory: str) -> None:
    index, vectors = make_index(1400, factory)
    assert index.vectors.describe()["kind"] == factory
    original = {passage.text: vectors[row] for row, passage in enumerate(index.passages)}
    removed = index.delete(["article-3"])
    assert removed == 200 and len(index) == index.vectors.ntotal == 1200
    assert all(passage.article_id != "article-3" for passage in index.passages)
    check_aligned(index, original)

    index.save(tmp_path)
    meta = json.loads((current_generation(tmp_path) / "meta.json").read_text())
    assert meta["vector_store"]["kind"] == factory and meta["vectors"]["bytes_per_passage"] > 0
    loaded = PassageIndex.load(tmp_path, "toy", DIMENSION)
    assert loaded.vectors.describe()["kind"] == factory
    check_aligned(loaded, original)

    extra = clustered(50, seed=9)
    loaded.add([Passage("article-new", "T", "s.txt", "", f"new {row}", row, row + 1) for row in range(50)], extra)
    original.update({f"new {row}": extra[row] for row in range(50)})
    loaded.delete(["article-0"])
    check_aligned(loaded, original)
    assert len(loaded) == loaded.vectors.ntotal == 1200 + 50 - 200


def test_an_index_saved_before_vector_stores_existed_still_loads(tmp_path: Path) -> None:
    index, vectors = make_index(30, "auto")
    folder = index.save(tmp_path)
    meta = json.loads((folder / "meta.json").read_text())
    meta.pop("vector_store")
    (folder / "meta.json").write_text(json.dumps(meta))
    loaded = PassageIndex.load(tmp_path)
    assert loaded.vectors.describe()["kind"] == "Flat" and len(loaded) == 30
    assert loaded.search(vectors[5], k=1)[0].passage.text == "passage 5"
