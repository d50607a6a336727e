"""Shared fixtures: a deterministic fake embedder and a scripted fake LLM for unit tests of the logic around
models, and session-scoped real bundled models (and a real sample index) for integration tests."""

from __future__ import annotations

import hashlib
import os
import re
from collections.abc import Iterator, Sequence
from pathlib import Path

import numpy as np
import pytest

from rag.records import Prompt
from tests.local_site import LocalSite
from tools.processes import free_port, serving

os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("GRADIO_ANALYTICS_ENABLED", "False")

PROJECT = Path(__file__).resolve().parent.parent
SAMPLES = PROJECT / "rag" / "samples"
SAMPLE_ARTICLES = 11
"""Articles in the samples: six files, two JSON feed items and three RSS items."""


class FakeEmbedder:
    """Bag of hashed words: texts sharing words get similar vectors. Deterministic, instant, no model."""

    name = "fake-embedder"
    dimension = 64
    max_tokens = 256

    def __init__(self) -> None:
        self.calls: list[list[str]] = []

    def embed(self, texts: Sequence[str]) -> np.ndarray:
        self.calls.append(list(texts))
        vectors = np.zeros((len(texts), self.dimension), dtype=np.float32)
        for row, text in enumerate(texts):
            for word in re.findall(r"\w+", text.lower()):
                vectors[row, int(hashlib.md5(word.encode()).hexdigest(), 16) % self.dimension] += 1.0
            vectors[row, -1] += 0.01  # never the zero vector
        return vectors / np.linalg.norm(vectors, axis=1, keepdims=True)

    def count_tokens(self, text: str) -> int:
        return len(text.split())

    @property
    def embedded(self) -> int:
        return sum(len(call) for call in self.calls)


def write(folder: Path, name: str, content: str | bytes) -> Path:
    """Write a test file (text as UTF-8, line endings kept as given), creating its folders."""
    path = folder / name
    path.parent.mkdir(parents=True, exist_ok=True)
    if isinstance(content, bytes):
        path.write_bytes(content)
    else:
        path.write_text(content, encoding="utf-8", newline="")
    return path


class ScriptedLLM:
    """Replies with scripted answers in order (the last one repeats) and records the prompts it was given."""

    def __init__(self, *replies: str, chat: bool = False, context_size: int = 2048) -> None:
        self.replies = list(replies) or ["I don't know."]
        self.chat = chat
        self.context_size = context_size
        self.name = "scripted"
        self.prompts: list[Prompt] = []

    def stream(self, prompt: Prompt, max_tokens: int = 160, temperature: float = 0.0) -> Iterator[str]:
        self.prompts.append(prompt)
        reply = self.replies[min(len(self.prompts) - 1, len(self.replies) - 1)]
        yield from re.findall(r"\S+\s*", reply)

    def count_tokens(self, text: str) -> int:
        return len(text.split())


@pytest.fixture
def fake_embedder() -> FakeEmbedder:
    return FakeEmbedder()


@pytest.fixture(scope="session")
def real_embedder():  # type: ignore[no-untyped-def]
    from rag.models.embed import load_embedder

    return load_embedder(threads=1)


@pytest.fixture(scope="session")
def real_llm():  # type: ignore[no-untyped-def]
    from rag.models.llm import load_llm

    return load_llm(context_size=2048, progress=False)


@pytest.fixture(scope="session")
def sample_index(tmp_path_factory: pytest.TempPathFactory, real_embedder) -> Path:  # type: ignore[no-untyped-def]
    """The shipped sample articles indexed with the real bundled embedder (once per test session)."""
    from rag.ingest.indexer import UpdateOptions, update_index

    folder = tmp_path_factory.mktemp("sample-index")
    update_index([SAMPLES], folder, real_embedder, UpdateOptions(progress=False))
    return folder


MULTI_OUTLET = PROJECT / "tests" / "data" / "multi-outlet.jsonl"
"""Eight events each reported by three or four outlets in their own words, and five distractors (tools/stories.py)."""


@pytest.fixture(scope="session")
def multi_outlet_index(tmp_path_factory: pytest.TempPathFactory, real_embedder) -> Path:  # type: ignore[no-untyped-def]
    """tests/data/multi-outlet.jsonl indexed with the real bundled embedder (once per test session)."""
    from rag.ingest.indexer import UpdateOptions, update_index

    folder = tmp_path_factory.mktemp("multi-outlet-index")
    update_index([MULTI_OUTLET], folder, real_embedder, UpdateOptions(progress=False))
    return folder


@pytest.fixture(scope="session")
def real_assistant(sample_index: Path, real_embedder, real_llm):  # type: ignore[no-untyped-def]
    from rag.answer.assistant import Assistant

    return Assistant.load(sample_index, embedder=real_embedder, llm=real_llm)


HOSTILE_HTML_ARTICLE = (
    "Quayside Bakery wins the county bread prize <img src=x onerror=\"window.__pwned='title'\">\n"
    "The Quayside Bakery in Maplewood won the county bread prize on 2 June 2026 for its rye loaf. "
    "<script>window.__pwned = 'script'</script> The judges tasted 64 loaves. "
    "<img src=x onerror=\"window.__pwned='img'\"> The bakery opened in 1998.\n"
)
"""An article whose text holds HTML that would run script if the page rendered it instead of showing it."""


@pytest.fixture(scope="session")
def rag_serve(tmp_path_factory: pytest.TempPathFactory, sample_index: Path,  # type: ignore[no-untyped-def]
              real_embedder) -> Iterator[str]:
    """`rag serve` in a subprocess on a free loopback port, over the sample articles plus HOSTILE_HTML_ARTICLE
    (uploaded as quayside-bakery.txt). Yields the base URL; the server is stopped at the end of the session."""
    import shutil
    import sys

    from rag.ingest.uploads import add_files

    folder = tmp_path_factory.mktemp("served") / "index"
    shutil.copytree(sample_index, folder)
    add_files([("quayside-bakery.txt", HOSTILE_HTML_ARTICLE.encode())], folder, real_embedder)
    port = free_port()
    log = tmp_path_factory.mktemp("served-log") / "serve.log"
    command = [sys.executable, "-m", "rag.cli", "serve", "--index", str(folder), "--port", str(port)]
    url = f"http://127.0.0.1:{port}"
    with serving(command, url + "/api/health", log, cwd=PROJECT):
        yield url


@pytest.fixture
def site() -> Iterator[LocalSite]:
    """A local web server on 127.0.0.1 serving feeds and pages (tests/local_site.py): nothing touches the internet."""
    with LocalSite() as running:
        yield running
