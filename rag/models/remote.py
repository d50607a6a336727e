"""Generation on an OpenAI-compatible server (llama.cpp's server, vLLM, Ollama, ...) instead of in this process.

`RemoteLLM(base_url)` is a `rag.models.llm.LLM`, so everything around it (retrieval, prompts, citation checks) is
unchanged. It uses the two endpoints such servers share, streaming (server-sent events):

- `POST {base_url}/chat/completions` with `prompt.messages` (the default): the server applies the model's chat
  template;
- `POST {base_url}/completions` with `prompt.text` and its stop sequences (`--llm-format completion`), for a base
  model served as is, such as the bundled Gemma 3 270M behind `python -m llama_cpp.server`.

The server's token counts are not part of the OpenAI API, so prompt sizes are estimated on the safe side (see
`estimate_tokens`): a prompt that is too long fails, one slightly short only drops a low-ranked passage.

    >>> llm = RemoteLLM("http://127.0.0.1:8000/v1", "qwen2.5-7b-instruct")   # doctest: +SKIP
    >>> Assistant.load("index/", llm=llm).ask("When did the footbridge reopen?")   # doctest: +SKIP
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Iterator
from typing import Any
from urllib.parse import urlsplit, urlunsplit

import httpx

from rag.errors import InvalidRequestError, ModelError
from rag.records import Prompt
from rag.redact import masked
from rag.settings import Settings

CHAT = "chat"
COMPLETION = "completion"
FORMATS = (CHAT, COMPLETION)


def estimate_tokens(text: str) -> int:
    """An over-estimate of a text's token count for any common tokenizer: one token per 3 bytes of UTF-8.

    English runs about 4 characters per token in Llama, Gemma, Qwen and GPT tokenizers, so this errs towards
    a smaller prompt, never one the server rejects as too long.

    >>> estimate_tokens("The footbridge reopened on 14 March 2026.")
    14
    """
    return len(text.encode("utf-8")) // 3 + 1


def server_events(lines: Iterable[str]) -> Iterator[str]:
    """The `data:` payloads of a server-sent event stream, one per event (multi-line data joined by newlines).

    >>> list(server_events(["data: {\\"a\\": 1}", "", ": keep-alive", "data: [DONE]", ""]))
    ['{"a": 1}', '[DONE]']
    """
    data: list[str] = []
    for line in lines:
        if not line:
            if data:
                yield "\n".join(data)
                data = []
        elif line.startswith("data:"):
            data.append(line[5:].removeprefix(" "))
    if data:
        yield "\n".join(data)


def endpoint(base_url: str, path: str) -> str:
    """The URL of the API route `path` under `base_url`: the path goes before the URL's query, which is kept (a
    pool's gateway may take its key there), not after it.

    >>> endpoint("http://pool:8000/v1?api_key=k", "/completions")
    'http://pool:8000/v1/completions?api_key=k'
    >>> endpoint("http://127.0.0.1:8000/v1/", "/chat/completions")
    'http://127.0.0.1:8000/v1/chat/completions'
    """
    parts = urlsplit(base_url)
    return urlunsplit(parts._replace(path=parts.path.rstrip("/") + path))


class RemoteLLM:
    """A model served over HTTP behind the OpenAI API. Thread-safe: each call is its own request."""

    def __init__(self, base_url: str, model: str = "", *, chat: bool = True, context_size: int = 2048,
                 api_key: str = "", timeout: float = 300.0, transport: httpx.BaseTransport | None = None) -> None:
        parts = urlsplit(base_url.strip())
        if parts.scheme not in ("http", "https") or not parts.netloc:
            raise InvalidRequestError(
                f"--llm-url must be an http(s) URL such as http://127.0.0.1:8000/v1, got {masked(base_url)!r}"
            )
        self.base_url = base_url.strip().rstrip("/")
        self.shown_url = masked(self.base_url)  # what messages say: never the URL's password or key
        self.model = model
        self.name = model or f"remote model at {self.shown_url}"
        self.chat = chat
        self.context_size = context_size
        headers = {"Authorization": f"Bearer {api_key}"} if api_key else {}
        # The model may think for a while before the first token, but a server that is not there fails fast.
        self._client = httpx.Client(timeout=httpx.Timeout(timeout, connect=10.0), headers=headers,
                                    transport=transport)

    @classmethod
    def from_settings(cls, settings: Settings) -> RemoteLLM:
        llm_format = getattr(settings, "llm_format", CHAT) or CHAT
        if llm_format not in FORMATS:
            raise InvalidRequestError(f"--llm-format must be one of {', '.join(FORMATS)}, got {llm_format!r}")
        return cls(settings.llm_url, settings.llm_model, chat=llm_format == CHAT, context_size=settings.context_size,
                   api_key=getattr(settings, "llm_api_key", ""))

    def count_tokens(self, text: str) -> int:
        return estimate_tokens(text)

    def check(self, timeout: float = 3.0) -> None:
        """Raise ModelError unless the model server answers `GET {base_url}/models` within `timeout` seconds: what a
        load balancer's health check asks (`/api/health?check=model`) before routing questions here."""
        try:
            response = self._client.get(endpoint(self.base_url, "/models"), timeout=timeout)
        except httpx.HTTPError as error:
            raise ModelError(f"could not connect to the LLM server at {self.shown_url} ({type(error).__name__}): "
                             "start it, or fix --llm-url / RAG_LLM_URL") from error
        if response.status_code >= 400:
            raise ModelError(f"the LLM server at {self.shown_url} answered {response.status_code} to GET /models")

    def stream(self, prompt: Prompt, max_tokens: int = 160, temperature: float = 0.0) -> Iterator[str]:
        body: dict[str, Any] = {"max_tokens": max_tokens, "temperature": temperature, "stream": True, "seed": 0}
        if self.model:
            body["model"] = self.model
        if self.chat:
            path = "/chat/completions"
            body["messages"] = list(prompt.messages)
        else:
            path = "/completions"
            body["prompt"] = prompt.text
            if prompt.stop:
                body["stop"] = list(prompt.stop)
        url = endpoint(self.base_url, path)
        try:
            with self._client.stream("POST", url, json=body) as response:
                if response.status_code >= 400:
                    response.read()
                    raise ModelError(f"the LLM server at {self.shown_url} answered {response.status_code}: "
                                     f"{_error_text(response)}")
                for data in server_events(response.iter_lines()):
                    if data.strip() == "[DONE]":
                        return
                    piece = self._piece(data)
                    if piece:
                        yield piece
        except httpx.ConnectError as error:
            raise ModelError(f"could not connect to the LLM server at {self.shown_url} ({error}): start it, or fix "
                             "--llm-url / RAG_LLM_URL") from error
        except httpx.TimeoutException as error:
            raise ModelError(f"the LLM server at {self.shown_url} did not answer in time ({type(error).__name__})") \
                from error
        except httpx.HTTPError as error:
            raise ModelError(f"the LLM server at {self.shown_url} failed: {type(error).__name__}: {error}") from error

    def _piece(self, data: str) -> str:
        try:
            chunk = json.loads(data)
        except json.JSONDecodeError:
            raise ModelError(f"the LLM server at {self.shown_url} sent an event that is not JSON: {data[:200]!r}") \
                from None
        if not isinstance(chunk, dict):
            raise ModelError(f"the LLM server at {self.shown_url} sent an unexpected event: {data[:200]!r}")
        if chunk.get("error"):
            raise ModelError(f"the LLM server at {self.shown_url} failed: {_message_of(chunk['error'])}")
        choices = chunk.get("choices") or [{}]
        choice = choices[0] if isinstance(choices[0], dict) else {}
        if self.chat:
            delta = choice.get("delta") or {}
            return str(delta.get("content") or "") if isinstance(delta, dict) else ""
        return str(choice.get("text") or "")

    def close(self) -> None:
        self._client.close()


def _error_text(response: httpx.Response) -> str:
    try:
        payload = response.json()
    except ValueError:
        return response.text[:300] or response.reason_phrase
    if isinstance(payload, dict):
        return _message_of(payload.get("error") or payload.get("detail") or payload)
    return str(payload)[:300]


def _message_of(error: Any) -> str:
    if isinstance(error, dict):
        return str(error.get("message") or error)[:300]
    return str(error)[:300]
