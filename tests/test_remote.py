"""Tests for the remote LLM client (rag.models.remote): the wire format against a mock transport, then the whole
pipeline against a real `python -m llama_cpp.server` serving the bundled GGUF on loopback."""

from __future__ import annotations

import json
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest

from rag.answer.assistant import Drafting
from rag.answer.prompts import Prompt
from rag.errors import InvalidRequestError, ModelError
from rag.models.remote import RemoteLLM
from rag.records import Answer
from rag.settings import Settings
from tests.conftest import free_port, serving

CHAT_PROMPT = Prompt(({"role": "system", "content": "Rules."}, {"role": "user", "content": "Question?"}), "", ())
BASE_PROMPT = Prompt((), "Passages: ...\nQuestion: Q?\nAnswer:", (), ("\nQuestion:", "\n\n"))


def sse(*payloads: Any) -> bytes:
    """A server-sent event stream: one `data:` event per payload; a string starting with ":" is a comment."""
    return "".join(f"{payload}\n\n" if isinstance(payload, str) and payload.startswith(":") else
                   f"data: {payload if isinstance(payload, str) else json.dumps(payload)}\n\n"
                   for payload in payloads).encode()


def mock(handler: Any) -> httpx.MockTransport:
    return httpx.MockTransport(handler)


def test_chat_format_streams_deltas_and_sends_messages_model_and_key() -> None:
    seen: list[httpx.Request] = []

    def handler(request: httpx.Request) -> httpx.Response:
        seen.append(request)
        return httpx.Response(200, content=sse(
            {"choices": [{"delta": {"role": "assistant"}}]},
            {"choices": [{"delta": {"content": "The ferry "}}]},
            ": a comment line",
            {"choices": [{"delta": {"content": "has two boats [1]."}}]},
            {"choices": [{"delta": {}, "finish_reason": "stop"}]},
            "[DONE]",
        ), headers={"content-type": "text/event-stream"})

    llm = RemoteLLM("http://models.internal:8000/v1/", "qwen2.5-7b", api_key="k-123", transport=mock(handler))
    assert list(llm.stream(CHAT_PROMPT, max_tokens=50, temperature=0.0)) == ["The ferry ", "has two boats [1]."]
    [request] = seen
    assert str(request.url) == "http://models.internal:8000/v1/chat/completions"
    assert request.headers["authorization"] == "Bearer k-123"
    body = json.loads(request.content)
    assert body == {"model": "qwen2.5-7b", "messages": list(CHAT_PROMPT.messages), "max_tokens": 50,
                    "temperature": 0.0, "stream": True, "seed": 0}
    assert llm.name == "qwen2.5-7b" and llm.chat and llm.context_size == 2048


def test_completion_format_sends_the_base_prompt_with_its_stop_sequences() -> None:
    bodies: list[dict[str, Any]] = []

    def handler(request: httpx.Request) -> httpx.Response:
        bodies.append(json.loads(request.content))
        assert request.url.path == "/v1/completions" and "authorization" not in request.headers
        return httpx.Response(200, content=sse({"choices": [{"text": " Two"}]}, {"choices": [{"text": " boats."}]},
                                                "[DONE]"))

    llm = RemoteLLM("http://127.0.0.1:8000/v1", chat=False, transport=mock(handler))
    assert "".join(llm.stream(BASE_PROMPT)) == " Two boats."
    assert bodies[0]["prompt"] == BASE_PROMPT.text and bodies[0]["stop"] == ["\nQuestion:", "\n\n"]
    assert "model" not in bodies[0]
    assert llm.count_tokens("The footbridge reopened on 14 March 2026.") >= 9  # errs on the large side


@pytest.mark.parametrize("response, message", [
    (httpx.Response(404, json={"error": {"message": "model 'x' not found"}}), "answered 404: model 'x' not found"),
    (httpx.Response(500, text="upstream crashed"), "answered 500: upstream crashed"),
    (httpx.Response(200, content=sse({"choices": [{"delta": {"content": "Hi"}}]}, {"error": {"message": "OOM"}})),
     "failed: OOM"),
    (httpx.Response(200, content=b"data: <html>\n\n"), "sent an event that is not JSON"),
])
def test_server_errors_become_model_errors(response: httpx.Response, message: str) -> None:
    llm = RemoteLLM("http://127.0.0.1:8000/v1", transport=mock(lambda request: response))
    with pytest.raises(ModelError, match=message):
        list(llm.stream(CHAT_PROMPT))


def test_an_unreachable_server_and_bad_settings_give_clear_errors() -> None:
    port = free_port()  # nothing listens there
    with pytest.raises(ModelError, match=f"could not connect to the LLM server at http://127.0.0.1:{port}/v1"):
        list(RemoteLLM(f"http://127.0.0.1:{port}/v1").stream(CHAT_PROMPT))
    with pytest.raises(InvalidRequestError, match="must be an http"):
        RemoteLLM("127.0.0.1:8000/v1")
    with pytest.raises(InvalidRequestError, match="llm_format must be one of chat, completion"):
        Settings(llm_url="http://x/v1", llm_format="instruct").validated()
    assert "llm_api_key" not in Settings(llm_api_key="secret").describe()


# -- against a real llama_cpp.server -------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def llama_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """`python -m llama_cpp.server` with the bundled Gemma 3 270M on a free loopback port; yields its /v1 URL."""
    from rag.models.bundled import bundled_gguf_path

    port = free_port()
    log = tmp_path_factory.mktemp("llama-server") / "server.log"
    command = [sys.executable, "-m", "llama_cpp.server", "--model", str(bundled_gguf_path(progress=False)),
               "--model_alias", "gemma-3-270m", "--host", "127.0.0.1", "--port", str(port), "--n_ctx", "2048",
               "--verbose", "False"]
    url = f"http://127.0.0.1:{port}/v1"
    with serving(command, url + "/models", log, timeout=120):
        yield url


@pytest.mark.slow
def test_remote_base_model_answers_exactly_like_the_local_one(llama_server: str, sample_index: Path,  # type: ignore[no-untyped-def]
                                                              real_embedder, real_assistant) -> None:
    from rag.answer.assistant import Assistant

    question = "How many visitors did the 2026 Harbour Lights festival attract?"
    remote = Assistant.load(sample_index, embedder=real_embedder, llm_url=llama_server, llm_model="gemma-3-270m",
                            llm_format="completion")
    assert isinstance(remote.llm, RemoteLLM) and remote.llm.chat is False
    pieces = list(remote.stream(question))
    answer = pieces[-1]
    assert isinstance(answer, Answer)
    assert isinstance(pieces[0], Drafting) and len(pieces) >= 3, "a drafting state, then checked sentences"
    assert not answer.refused and "41,500" in answer.text
    assert any("41,500" in citation.passage.text for citation in answer.citations)
    local = real_assistant.ask(question)
    # Same model, same prompt, greedy decoding: the server writes what the in-process model writes.
    assert answer.model_text == local.model_text
    assert answer.text == local.text and answer.citations == local.citations


@pytest.mark.slow
def test_rag_ask_through_a_chat_endpoint_keeps_the_pipeline(llama_server: str, sample_index: Path,
                                                            capsys: pytest.CaptureFixture[str]) -> None:
    """`rag ask --llm-url URL` (chat format, the default): the server applies its own chat template; whatever the
    base model writes there, the answer that comes back is checked and cited like any other."""
    from rag.cli import main

    status = main(["ask", "What was the Dunmore Dairy Cooperative's revenue for 2025?", "--index", str(sample_index),
                   "--llm-url", llama_server, "--max-answer-tokens", "48", "--json"])
    assert status == 0
    answer = json.loads(capsys.readouterr().out)
    assert answer["refused"] is False and "27.4 million" in answer["answer"]
    assert all(f"[{citation['number']}]" in answer["answer"] for citation in answer["citations"])
    assert any("27.4 million" in citation["text"] for citation in answer["citations"])
