"""Tests for the remote LLM client (rag.models.remote): the wire format against a mock transport, the whole pipeline
against a scripted OpenAI-compatible server (words pinned: what is sent, what comes back), and against a real
`python -m llama_cpp.server` serving the bundled GGUF on loopback (its words differ between CPUs: only what holds
for any answer is asserted)."""

from __future__ import annotations

import json
import re
import sys
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import httpx
import pytest

from rag.answer.prompts import CANNOT_ANSWER
from rag.errors import InvalidRequestError, ModelError
from rag.models.remote import RemoteLLM
from rag.records import Prompt, TextChunk
from rag.settings import Settings
from tests.answer_contract import assert_answer_contract, assert_stream_contract, shows, with_a_silent_model
from tests.conftest import ScriptedLLM, free_port, serving

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


def test_an_llm_url_with_a_query_keeps_it_after_the_routes_path() -> None:
    seen: list[httpx.Request] = []

    def handler(request: httpx.Request) -> httpx.Response:
        seen.append(request)
        return httpx.Response(200, content=sse({"choices": [{"text": " Two."}]}, "[DONE]"))

    llm = RemoteLLM("http://127.0.0.1:8000/v1?api_key=QKEY99", chat=False, transport=mock(handler))
    assert "".join(llm.stream(BASE_PROMPT)) == " Two."
    assert seen[0].url.path == "/v1/completions" and seen[0].url.params["api_key"] == "QKEY99"


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


def test_the_llm_urls_password_is_never_shown() -> None:
    """`--llm-url http://admin:hunter2@host/v1` was shown whole by /api/health, every error, the server's log and
    `rag eval --json`."""
    port = free_port()
    url = f"http://admin:hunter2@127.0.0.1:{port}/v1?api_key=sk-live"
    llm = RemoteLLM(url)
    with pytest.raises(ModelError) as failed:
        list(llm.stream(CHAT_PROMPT))
    shown = [str(failed.value), llm.name, str(Settings(llm_url=url).describe())]
    assert all("hunter2" not in text and "sk-live" not in text for text in shown), shown
    assert f"http://admin:***@127.0.0.1:{port}/v1?api_key=***" in str(failed.value)


# -- against a scripted OpenAI-compatible server ------------------------------------------------------------------


class ScriptedServer:
    """An OpenAI-compatible server on a free loopback port, in a thread, that streams a scripted reply word by word
    (`/v1/completions` and `/v1/chat/completions`) and records the body of every request: the words a remote
    model writes, pinned, behind the real client, CLI and pipeline."""

    def __init__(self, reply: str) -> None:
        self.reply = reply
        self.bodies: list[tuple[str, dict[str, Any]]] = []
        scripted = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                body = json.loads(self.rfile.read(int(self.headers.get("Content-Length", "0"))))
                scripted.bodies.append((self.path, body))
                chat = self.path.endswith("/chat/completions")
                if not chat and not self.path.endswith("/completions"):
                    self.send_error(404)
                    return
                words = re.findall(r"\S+\s*", scripted.reply)
                events = [{"choices": [{"delta": {"content": word}} if chat else {"text": word}]} for word in words]
                self.send_response(200)
                self.send_header("Content-Type", "text/event-stream")
                self.end_headers()
                self.wfile.write(sse(*events, "[DONE]"))

            def log_message(self, format: str, *args: object) -> None:
                """Silent: the test's assertions say what went wrong, not the request log."""

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.server.daemon_threads = True
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}/v1"
        self.thread = threading.Thread(target=self.server.serve_forever, name="scripted-llm", daemon=True)

    def __enter__(self) -> ScriptedServer:
        self.thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.server.shutdown()
        self.server.server_close()


FESTIVAL = "How many visitors did the 2026 Harbour Lights festival attract?"
DAIRY = "What was the Dunmore Dairy Cooperative's revenue for 2025?"


@pytest.mark.slow
def test_a_remote_base_model_is_given_the_local_prompt_and_its_answer_is_checked_alike(  # type: ignore[no-untyped-def]
        sample_index: Path, real_embedder, real_assistant) -> None:
    """`--llm-format completion`: the server is sent the very prompt the in-process model is given (same passages,
    same stop sequences), and the same words come back as the same checked answer."""
    from rag.answer.assistant import Assistant

    reply = "The festival drew 41,500 visitors [1]. It was the best festival in the whole of Europe [1]."
    with ScriptedServer(reply) as server:
        # The model writes every answer (span_threshold above 1): what the server is sent is the point here.
        remote = Assistant.load(sample_index, embedder=real_embedder, llm_url=server.url, llm_model="gemma-3-270m",
                                llm_format="completion", span_threshold=2.0)
        assert isinstance(remote.llm, RemoteLLM) and remote.llm.chat is False
        pieces = list(remote.stream(FESTIVAL))
    local_prompt = real_assistant.prompt(FESTIVAL)
    assert local_prompt is not None
    [(path, body)] = server.bodies
    assert path == "/v1/completions" and body["model"] == "gemma-3-270m"
    assert body["prompt"] == local_prompt.text and body["stop"] == list(local_prompt.stop)
    assert body["max_tokens"] == real_assistant.settings.max_answer_tokens and body["temperature"] == 0.0
    answer = assert_stream_contract(pieces)
    streamed = [event.text for event in pieces if isinstance(event, TextChunk)]
    assert streamed == ["The festival drew 41,500 visitors [1]."]
    assert answer.text == "The festival drew 41,500 visitors [1]." and answer.model_text == reply
    local = Assistant(real_assistant.retriever, ScriptedLLM(reply), real_assistant.settings, real_assistant.finder)
    assert local.ask(FESTIVAL) == answer  # the same words checked in-process: the same answer


@pytest.mark.slow
def test_rag_ask_through_a_scripted_chat_endpoint_shows_the_checked_answer(
        sample_index: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """`rag ask --llm-url URL` (chat format, the default) sends the rules and the evidence as chat messages and
    shows the model's words once checked, cited to the passage that holds them."""
    from rag.cli import main

    written = "The Dunmore Dairy Cooperative reported revenue of 27.4 million euros for 2025 [1]."
    with ScriptedServer(written) as server:
        status = main(["ask", DAIRY, "--index", str(sample_index), "--llm-url", server.url,
                       "--max-answer-tokens", "48", "--span-threshold", "2", "--json"])
    assert status == 0
    answer = json.loads(capsys.readouterr().out)
    assert_answer_contract(answer)
    assert answer["refused"] is False and answer["answer"] == written
    assert "27.4 million" in answer["citations"][0]["text"] and "vbw-2026-0412" in answer["citations"][0]["article_id"]
    [(path, body)] = server.bodies
    assert path == "/v1/chat/completions" and body["max_tokens"] == 48 and "model" not in body
    system, user = body["messages"]
    assert system["role"] == "system" and CANNOT_ANSWER in system["content"]
    assert user["role"] == "user" and DAIRY in user["content"] and "27.4 million" in user["content"]


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
def test_a_remote_base_model_answers_through_the_pipeline(llama_server: str, sample_index: Path,  # type: ignore[no-untyped-def]
                                                          real_embedder, real_assistant) -> None:
    """The bundled model behind a real server (completion format): whatever it writes, only checked sentences
    stream and the answer shows the fact, checked and cited. (It is not compared with the in-process model's
    words: the server reads the prompt in one batch, the in-process model its fixed head apart, and on some CPUs
    that alone changes a greedy word; the scripted test above pins that both are given the same prompt.)"""
    from rag.answer.assistant import Assistant

    remote = Assistant.load(sample_index, embedder=real_embedder, llm_url=llama_server, llm_model="gemma-3-270m",
                            llm_format="completion", span_threshold=2.0)  # the model writes: it is what is tested
    assert isinstance(remote.llm, RemoteLLM) and remote.llm.chat is False
    floor = with_a_silent_model(real_assistant).ask(FESTIVAL)
    assert not floor.refused and "41,500" in floor.text, f"the evidence alone must answer: {floor}"
    answer = assert_stream_contract(list(remote.stream(FESTIVAL)))
    assert not answer.refused and shows(answer, ["41,500"]), answer
    assert any("41,500" in citation.passage.text for citation in answer.citations)


@pytest.mark.slow
def test_rag_ask_through_a_chat_endpoint_keeps_the_pipeline(llama_server: str, sample_index: Path,  # type: ignore[no-untyped-def]
                                                            real_assistant, capsys: pytest.CaptureFixture[str]) -> None:
    """`rag ask --llm-url URL` (chat format, the default): the server applies its own chat template; whatever the
    base model writes there, the answer that comes back is checked and cited like any other, and shows the fact, or
    is the refusal (a chat model's "I don't know" stands)."""
    from rag.cli import main

    floor = with_a_silent_model(real_assistant, chat=True).ask(DAIRY)
    assert not floor.refused and "27.4 million" in floor.text, f"the evidence alone must answer: {floor}"
    status = main(["ask", DAIRY, "--index", str(sample_index), "--llm-url", llama_server, "--max-answer-tokens", "48",
                   "--json"])
    assert status == 0
    answer = json.loads(capsys.readouterr().out)
    assert_answer_contract(answer)
    assert answer["refused"] or shows(answer, ["27.4 million"]), answer
