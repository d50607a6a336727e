"""The on-disk index: row alignment, delete, atomic generations, format and embedder checks, the writer lock."""

from __future__ import annotations

import json
import multiprocessing
import os
from pathlib import Path
from typing import Any

import numpy as np
import pytest

from rag.errors import IndexFormatError, IndexLockedError, IndexNotFoundError
from rag.records import Passage
from rag.store.generations import CURRENT_FILE, ArticleRecord, PassageIndex, current_generation, writer_lock
from tests.conftest import FakeEmbedder


def make_index(count: int = 6, dimension: int = 8) -> PassageIndex:
    rng = np.random.default_rng(0)
    index = PassageIndex("toy", dimension, {"chunk_tokens": 10})
    passages = [Passage(f"article-{i % 3}", f"T{i}", "s.txt", "", f"passage {i}", i, i + 1) for i in range(count)]
    vectors = rng.normal(size=(count, dimension)).astype("float32")
    vectors /= np.linalg.norm(vectors, axis=1, keepdims=True)
    records = [ArticleRecord(f"article-{i}", f"hash-{i}", f"T{i}", "s.txt") for i in range(3)]
    index.add(passages, vectors, records)
    return index


def test_search_returns_the_passage_of_the_nearest_vector() -> None:
    index = make_index()
    for row in range(len(index)):
        hit = index.search(index.vectors_of([row])[0], k=1)[0]
        assert hit.passage.text == f"passage {row}"
        assert hit.score == pytest.approx(1.0, abs=1e-5)


def test_delete_keeps_rows_aligned() -> None:
    index = make_index()
    expected = {p.text: index.vectors_of([row])[0]
                for row, p in enumerate(index.passages) if p.article_id != "article-1"}
    assert index.delete(["article-1"]) == 2
    assert "article-1" not in index.articles
    assert len(index) == index.vectors.ntotal == 4
    for row, passage in enumerate(index.passages):
        np.testing.assert_allclose(index.vectors_of([row])[0], expected[passage.text])


def test_add_rejects_misaligned_vectors() -> None:
    index = make_index()
    with pytest.raises(ValueError, match="expected 1 vectors of dimension 8"):
        index.add([index.passages[0]], np.zeros((2, 8), dtype="float32"))


def test_save_load_round_trip_and_generations(tmp_path: Path) -> None:
    index = make_index()
    first = index.save(tmp_path)
    index.delete(["article-0"])
    second = index.save(tmp_path)
    assert first.name == "gen-000001" and second.name == "gen-000002"
    assert (tmp_path / CURRENT_FILE).read_text().strip() == "gen-000002"
    loaded = PassageIndex.load(tmp_path, "toy", 8)
    assert [p.text for p in loaded.passages] == [p.text for p in index.passages]
    assert set(loaded.articles) == {"article-1", "article-2"}
    assert loaded.settings == {"chunk_tokens": 10}
    meta = json.loads((second / "meta.json").read_text())
    assert meta["format_version"] == 1 and meta["passages"] == 4 and meta["embedder"] == "toy"


def test_old_generations_are_pruned_to_two(tmp_path: Path) -> None:
    index = make_index()
    for _ in range(4):
        index.save(tmp_path)
    assert sorted(path.name for path in tmp_path.glob("gen-*")) == ["gen-000003", "gen-000004"]


def test_missing_index_says_how_to_build_one(tmp_path: Path) -> None:
    with pytest.raises(IndexNotFoundError, match="rag index SOURCES"):
        PassageIndex.load(tmp_path / "nothing")


def test_format_version_mismatch_is_refused_with_fix(tmp_path: Path) -> None:
    folder = make_index().save(tmp_path)
    meta = json.loads((folder / "meta.json").read_text())
    meta["format_version"] = 99
    (folder / "meta.json").write_text(json.dumps(meta))
    with pytest.raises(IndexFormatError, match="format version 99.*--rebuild"):
        PassageIndex.load(tmp_path)


@pytest.mark.parametrize("damage, message", [
    (lambda folder: (folder / "vectors.faiss").write_bytes((folder / "vectors.faiss").read_bytes()[:100]),
     r"cannot read .*vectors\.faiss \(damaged or cut short"),
    (lambda folder: (folder / "meta.json").write_text("{bad"), r"cannot read .*meta\.json"),
    (lambda folder: (folder / "passages.jsonl").write_text("{bad\n"), r"passages\.jsonl, line 1, is damaged"),
    (lambda folder: (folder / "articles.jsonl").write_text('{"id": "a"}\n'), r"articles\.jsonl, line 1, is damaged"),
    (lambda folder: (folder / "passages.jsonl").unlink(), r"cannot read .*passages\.jsonl"),
])
def test_a_damaged_index_file_is_named_with_the_fix(tmp_path: Path, damage: Any, message: str) -> None:
    """A file of the live generation cut short, edited by hand or gone: one error naming it and the rebuild that
    mends it, never a traceback from faiss or json."""
    damage(make_index().save(tmp_path))
    with pytest.raises(IndexFormatError, match=f"{message}.*rag index SOURCES --index {tmp_path} --rebuild"):
        PassageIndex.load(tmp_path)


def test_embedder_mismatch_is_refused_with_fix(tmp_path: Path) -> None:
    make_index().save(tmp_path)
    with pytest.raises(IndexFormatError, match="built with embedder 'toy'.*--embedder 'toy'"):
        PassageIndex.load(tmp_path, "other-model", 384)


def test_half_written_generation_is_never_loaded(tmp_path: Path) -> None:
    index = make_index()
    index.save(tmp_path)
    # A writer killed mid-save leaves a staging folder and no CURRENT switch: the old generation stays live.
    staging = tmp_path / ".tmp-gen-crashed"
    staging.mkdir()
    (staging / "vectors.faiss").write_bytes(b"partial")
    assert current_generation(tmp_path).name == "gen-000001"
    assert len(PassageIndex.load(tmp_path)) == 6
    with writer_lock(tmp_path):
        assert not staging.exists()  # the next writer cleans it up


def _hold_lock(folder: str, ready: Any, release: Any) -> None:
    with writer_lock(folder):
        ready.set()
        release.wait(10)


def test_second_writer_is_refused_while_the_first_holds_the_lock(tmp_path: Path) -> None:
    context = multiprocessing.get_context("spawn")
    ready, release = context.Event(), context.Event()
    holder = context.Process(target=_hold_lock, args=(str(tmp_path), ready, release))
    holder.start()
    try:
        assert ready.wait(30)
        with pytest.raises(IndexLockedError, match="another process is writing"), writer_lock(tmp_path, timeout=0.2):
            pass  # taking the lock is what fails: nothing to do inside it
    finally:
        release.set()
        holder.join(10)
    with writer_lock(tmp_path, timeout=1):
        assert os.path.exists(tmp_path / ".lock")


def test_info_says_how_many_sources_it_does_not_list(tmp_path: Path) -> None:
    from rag.ingest.indexer import UpdateOptions, update_index
    from rag.store import FileStore
    from rag.store.generations import SOURCES_SHOWN

    articles = tmp_path / "articles"
    articles.mkdir()
    for number in range(SOURCES_SHOWN + 5):
        (articles / f"story-{number:02d}.txt").write_text(f"Story {number}\n\nThe harbour story number {number}.")
    update_index([articles], tmp_path / "index", FakeEmbedder(), UpdateOptions(progress=False))
    info = FileStore(tmp_path / "index").info()
    assert len(info["sources"]) == SOURCES_SHOWN and info["sources_total"] == SOURCES_SHOWN + 5
    # the size is the files' (the BM25 index is a folder: its directory entry is not its size)
    on_disk = sum(path.stat().st_size for path in current_generation(tmp_path / "index").rglob("*") if path.is_file())
    assert info["bytes"] == on_disk
