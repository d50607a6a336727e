"""Embedding backends: names, micro-batching, and (with the real bundled model) ONNX parity with torch."""

from __future__ import annotations

import time
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

import numpy as np
import pytest

from rag.errors import InvalidRequestError, ModelError
from rag.models import onnx
from rag.models.bundled import bundled_embedder_path
from rag.models.embed import SentenceTransformerEmbedder, backend_of, embedder_name, load_embedder
from rag.models.onnx import OnnxEmbedder, _micro_batches, exported_model
from rag.settings import EMBED_BACKENDS, Settings

TEXTS = [
    "The Maplewood footbridge reopened on 14 March 2026 after repairs costing £1.2 million.",
    "Otters have returned to Lake Orwin, a three-year study found.",
    "Council budget",
    "A much longer passage about broadband: " + "fibre cables were laid along the valley road, " * 12,
]


def test_quantised_embedder_has_its_own_name_so_indexes_do_not_mix() -> None:
    names = {backend: embedder_name("bundled", backend) for backend in EMBED_BACKENDS}
    assert names["torch"] == names["onnx"] == "all-MiniLM-L6-v2"  # same vectors: interchangeable
    assert names["onnx-int8"] == "all-MiniLM-L6-v2+int8"
    assert embedder_name("/models/my-model", "onnx-int8") == "my-model+int8"
    assert [backend_of(name) for name in names.values()] == ["torch", "torch", "onnx-int8"]


def test_unknown_backend_is_refused_with_the_choices() -> None:
    with pytest.raises(ModelError, match="torch, onnx, onnx-int8"):
        embedder_name("bundled", "tensorrt")
    with pytest.raises(InvalidRequestError, match="embed_backend"):
        Settings.from_env({"RAG_EMBED_BACKEND": "tensorrt"})


def test_backend_none_is_the_default_and_the_library_reads_no_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("RAG_EMBED_BACKEND", "torch")  # the edges read RAG_*, into Settings; the library never does
    assert embedder_name("bundled") == "all-MiniLM-L6-v2+int8"
    assert Settings.from_env().embed_backend == "torch"


def test_micro_batches_bound_texts_and_padded_tokens() -> None:
    lengths = np.array([250, 240, 120, 100, 90, 12, 10, 10, 9, 3])
    batches = _micro_batches(lengths, batch_size=4, batch_tokens=500)
    assert [index for batch in batches for index in range(len(lengths))[batch]] == list(range(len(lengths)))
    for batch in batches:
        rows = lengths[batch]
        assert len(rows) <= 4
        assert len(rows) == 1 or rows.max() * len(rows) <= 500


@pytest.mark.slow
def test_two_first_runs_at_once_export_once(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Two processes exporting into an empty cache at once (an index build beside the chat) once raced: ONNX
    Runtime's quantiser deletes its scratch file beside the model, and the other run failed. The stand-ins here
    record overlap; the real export is `TestWithTheBundledModel.test_export_is_cached`."""
    model = tmp_path / "model"
    model.mkdir()
    (model / "model.safetensors").write_bytes(b"weights")
    running: list[str] = []
    calls: list[str] = []

    def stand_in(kind: str) -> Callable[[Path, Path], None]:
        def write(_source: Path, output: Path) -> None:
            running.append(kind)
            calls.append(kind if len(running) == 1 else "overlap")
            time.sleep(0.2)
            output.write_bytes(kind.encode())
            running.remove(kind)
        return write

    monkeypatch.setattr(onnx, "_export_onnx", stand_in("export"))
    monkeypatch.setattr(onnx, "_quantize", stand_in("quantize"))
    with ThreadPoolExecutor(2) as pool:
        paths = list(pool.map(lambda _: exported_model(model, quantized=True, progress=False, cache=tmp_path / "c"),
                              range(2)))
    assert paths[0] == paths[1] and paths[0].read_bytes() == b"quantize"
    assert calls == ["export", "quantize"]  # once each, never side by side


class TestWithTheBundledModel:
    @pytest.fixture(scope="class")
    def vectors(self) -> dict[str, np.ndarray]:
        result = {}
        for backend in EMBED_BACKENDS:
            embedder = load_embedder(backend=backend, threads=1)
            assert embedder.name == embedder_name("bundled", backend)
            assert embedder.dimension == 384 and embedder.max_tokens == 254
            result[backend] = embedder.embed(TEXTS)
        return result

    def test_types(self) -> None:
        assert isinstance(load_embedder(backend="torch", threads=1), SentenceTransformerEmbedder)
        assert isinstance(load_embedder(backend="onnx-int8", threads=1), OnnxEmbedder)

    def test_onnx_gives_torchs_vectors(self, vectors: dict[str, np.ndarray]) -> None:
        np.testing.assert_allclose(vectors["onnx"], vectors["torch"], atol=1e-4)

    def test_int8_vectors_stay_close_to_torchs(self, vectors: dict[str, np.ndarray]) -> None:
        cosines = np.sum(vectors["onnx-int8"] * vectors["torch"], axis=1)
        assert cosines.min() > 0.99, cosines
        np.testing.assert_allclose(np.linalg.norm(vectors["onnx-int8"], axis=1), 1.0, atol=1e-5)

    def test_order_and_batching_do_not_change_vectors(self) -> None:
        embedder = load_embedder(backend="onnx-int8", threads=1, batch_size=2)
        together = embedder.embed(TEXTS)
        alone = np.vstack([embedder.embed([text]) for text in reversed(TEXTS)])[::-1]
        # Dynamic quantisation scales activations per batch, so batch-mates move a vector a little; never far.
        assert np.sum(together * alone, axis=1).min() > 0.98
        assert embedder.embed([]).shape == (0, 384)

    def test_a_question_is_embedded_between_the_batches_of_an_upload(self) -> None:
        # The server indexes uploads with the embedder that embeds its questions: a 10 MB upload held the session
        # for its whole call, and every search waited minutes for it.
        import threading

        embedder = load_embedder(backend="onnx-int8", threads=1, batch_size=2)
        assert isinstance(embedder, OnnxEmbedder)
        real, runs = embedder.session, []

        class Recorded:
            def run(self, outputs: Any, feed: dict[str, np.ndarray]) -> Any:
                runs.append(len(feed["input_ids"]))
                time.sleep(0.05)  # a batch of an upload takes a while
                return real.run(outputs, feed)

        embedder.session = Recorded()  # type: ignore[assignment]
        upload = threading.Thread(target=embedder.embed, args=([f"Passage {n} of the upload." for n in range(40)],))
        upload.start()
        while len(runs) < 2:
            time.sleep(0.005)
        question = embedder.embed(["When did the footbridge reopen?"])
        bulk_runs_left = 20 - runs[:runs.index(1)].count(2)
        upload.join()
        assert question.shape == (1, 384) and bulk_runs_left >= 15, runs  # not after all 20 batches of 2

    def test_token_counts_match_torch(self) -> None:
        torch_embedder = load_embedder(backend="torch", threads=1)
        onnx_embedder = load_embedder(backend="onnx-int8", threads=1)
        assert [onnx_embedder.count_tokens(text) for text in TEXTS] == \
            [torch_embedder.count_tokens(text) for text in TEXTS]

    def test_export_is_cached(self) -> None:
        path = exported_model(bundled_embedder_path(), quantized=True, label="all-MiniLM-L6-v2")
        modified = path.stat().st_mtime_ns
        assert exported_model(bundled_embedder_path(), quantized=True, label="all-MiniLM-L6-v2") == path
        assert path.stat().st_mtime_ns == modified
        assert not list(path.parent.glob(".*partial"))
