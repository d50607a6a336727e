"""Settings: defaults, environment overrides, explicit overrides, and validation messages."""

from __future__ import annotations

import pytest

from rag.errors import InvalidRequestError
from rag.settings import Settings


def test_environment_overrides_defaults_and_explicit_values_override_both() -> None:
    settings = Settings.from_env({"RAG_K": "9", "RAG_LLM": "/m.gguf", "RAG_TEMPERATURE": "0.5"}, k=3, host=None)
    assert settings.k == 3
    assert settings.llm == "/m.gguf"
    assert settings.temperature == 0.5
    assert settings.host == "127.0.0.1"


def test_bad_environment_value_names_the_variable() -> None:
    with pytest.raises(InvalidRequestError, match="RAG_K='many'"):
        Settings.from_env({"RAG_K": "many"})


def test_invalid_values_and_unknown_names_are_refused() -> None:
    with pytest.raises(InvalidRequestError, match="k must be at least 1 and at most 50, got 0"):
        Settings.from_env({}, k=0)
    with pytest.raises(InvalidRequestError, match="unknown setting"):
        Settings.from_env({}, colour="blue")


def test_token_is_not_described() -> None:
    assert "token" not in Settings(token="secret").describe()
