"""The layers' import graph has no circle (docs/architecture.md shows it, `python -m tools.import_graph` prints it)."""

from __future__ import annotations

from pathlib import Path

from tools.import_graph import circles, layer_edges

ROOT = Path(__file__).resolve().parent.parent


def test_no_layer_imports_a_layer_that_imports_it_back() -> None:
    edges = layer_edges(ROOT)
    assert {"rag.answer", "rag.models", "rag.store", "rag.ingest", "rag.serve", "ui"} <= set(edges)
    assert circles(edges) == [], "layers that import each other (move the shared name down to rag/records.py, " \
        "rag/errors.py, rag/text.py or rag/thresholds.py)"


def test_the_shared_modules_import_no_layer() -> None:
    edges = layer_edges(ROOT)
    for shared in ("rag.records", "rag.errors", "rag.text", "rag.thresholds"):
        assert edges[shared] <= {"rag.errors"}, f"{shared} imports {sorted(edges[shared])}"


def test_the_library_never_imports_the_ui() -> None:
    """`rag` is the library and the server; the chat page is handed in (`create_app(chat=...)`), never imported."""
    edges = layer_edges(ROOT)
    assert [layer for layer, imported in edges.items() if layer != "ui" and "ui" in imported] == []


def test_the_models_never_import_the_answer_layer() -> None:
    """`rag.answer` uses `rag.models`, not the other way round: what both need (`Prompt`, the `Waiting` event) is a
    record (`rag.records`)."""
    assert "rag.answer" not in layer_edges(ROOT)["rag.models"]


def test_the_store_and_the_models_never_import_the_layers_above_them() -> None:
    edges = layer_edges(ROOT)
    above = {"rag.answer", "rag.serve", "rag.ingest", "rag.cli", "ui"}
    assert not edges["rag.store"] & above
    assert not edges["rag.models"] & above
