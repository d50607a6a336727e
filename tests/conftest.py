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

from rag.prompts import Prompt

os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("GRADIO_ANALYTICS_ENABLED", "False")

PROJECT = Path(__file__).resolve().parent.parent
SAMPLES = PROJECT / "rag" / "samples"


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
    from rag.embed import load_embedder

    return load_embedder(threads=1)


@pytest.fixture(scope="session")
def real_llm():  # type: ignore[no-untyped-def]
    from rag.llm import load_llm

    return load_llm(context_size=2048, progress=False)


@pytest.fixture(scope="session")
def sample_index(tmp_path_factory: pytest.TempPathFactory, real_embedder) -> Path:  # type: ignore[no-untyped-def]
    """The shipped sample articles indexed with the real bundled embedder (once per test session)."""
    from rag.indexer import update_index

    folder = tmp_path_factory.mktemp("sample-index")
    update_index([SAMPLES], folder, real_embedder, progress=False)
    return folder


@pytest.fixture(scope="session")
def real_assistant(sample_index: Path, real_embedder, real_llm):  # type: ignore[no-untyped-def]
    from rag.assistant import Assistant

    return Assistant.load(sample_index, embedder=real_embedder, llm=real_llm)
