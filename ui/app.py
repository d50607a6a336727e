"""The Gradio app: a streaming chat over the indexed articles, with the cited passages shown next to each answer.

`build_app(assistant)` builds the Blocks without launching; `launch(assistant, ...)` serves it and blocks.
Besides the chat (a UI-only event), the app exposes two API endpoints for `gradio_client`:

    Client(url).predict("question", api_name="/ask")          # -> Answer.to_dict(): answer, citations, refused, ...
    Client(url).predict("question", 3, api_name="/search")    # -> list of Hit.to_dict()

`rag.errors.RagError` messages are shown to the user as they are (in the chat, or as the API error message);
any other exception is logged with its traceback and shown as "internal error: <type>: <message>".

This module deliberately has no `from __future__ import annotations`: `gr.api` reads the endpoint functions'
annotations at run time to build the API schema.
"""

import hmac
import html
import ipaddress
import logging
import os
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from typing import Any, Protocol

# The machine running the assistant may have no network, and the assistant is private: no telemetry, ever.
# (Set before gradio is imported; gradio_client reads it too.)
os.environ.setdefault("GRADIO_ANALYTICS_ENABLED", "False")
os.environ.setdefault("HF_HUB_DISABLE_TELEMETRY", "1")

import gradio as gr

from rag.errors import InvalidRequestError, RagError
from rag.records import Answer, Hit
from ui.render import chat_text, render_notice, render_sources, render_stats

log = logging.getLogger(__name__)

TITLE = "Article assistant"
MAX_K = 20
CONCURRENCY_ID = "assistant"
"""Chat and API calls share one concurrency group of size 1: the local model answers one question at a time."""

WAITING = render_notice("Searching the articles and writing the answer…")


class AssistantLike(Protocol):
    """What the UI needs from `rag.assistant.Assistant` (duck-typed so tests can pass a fake)."""

    @property
    def settings(self) -> Any: ...

    def search(self, question: str, k: int | None = None) -> list[Hit]: ...

    def stream(
        self, question: str, history: Sequence[tuple[str, str]] = (), k: int | None = None
    ) -> Iterator[str | Answer]: ...

    def stats(self) -> dict[str, Any]: ...


@dataclass(frozen=True)
class Turn:
    """One question and its reply, as kept in the session state.

    `answer` is the final (checked, renumbered) answer text, or the error message when `ok` is False; failed turns
    are shown in the chat but not sent back to the model as history.
    """

    question: str
    answer: str
    sources_html: str
    ok: bool = True


def error_message(exc: BaseException) -> str:
    """The message the user sees for an exception: a RagError's own message, else a generic internal error."""
    if isinstance(exc, RagError):
        return str(exc) or type(exc).__name__
    return f"internal error: {type(exc).__name__}: {exc}"


def _log_unexpected(exc: BaseException, where: str) -> None:
    if not isinstance(exc, RagError):
        log.error("%s failed", where, exc_info=exc)


def _api_error(exc: Exception, where: str) -> gr.Error:
    """A gr.Error carrying the user-facing message; gradio_client raises it as `AppError(message)`."""
    _log_unexpected(exc, where)
    # gr.Error messages may be rendered as HTML in the browser's error modal.
    return gr.Error(html.escape(error_message(exc), quote=False), print_exception=False)


def final_answer(assistant: AssistantLike, question: str, history: Sequence[tuple[str, str]], k: int | None) -> Answer:
    """Consume `assistant.stream` and return its final Answer."""
    answer: Answer | None = None
    for item in assistant.stream(question, history=history, k=k):
        if isinstance(item, Answer):
            answer = item
    if answer is None:
        raise RuntimeError("the assistant's stream ended without an answer")
    return answer


def _default_k(assistant: AssistantLike) -> int:
    k = getattr(getattr(assistant, "settings", None), "k", 5)
    return k if isinstance(k, int) and k >= 1 else 5


def _optional_k(k: Any) -> int | None:
    if k is None or k == "":
        return None
    try:
        value = int(k)
    except (TypeError, ValueError):
        raise InvalidRequestError(f"k must be a whole number, got {k!r}") from None
    if value != k and not isinstance(k, str):
        raise InvalidRequestError(f"k must be a whole number, got {k!r}")
    if value < 1:
        raise InvalidRequestError(f"k must be at least 1, got {value}")
    return value


def stats_html(assistant: AssistantLike) -> str:
    try:
        return render_stats(assistant.stats())
    except Exception as exc:  # the header must never break the page
        _log_unexpected(exc, "stats")
        return render_notice(f"Index statistics unavailable: {error_message(exc)}", error=True)


def _messages(turns: Sequence[Turn]) -> list[dict[str, str]]:
    messages: list[dict[str, str]] = []
    for turn in turns:
        reply = turn.answer if turn.ok else f"⚠️ {turn.answer}"
        messages.append({"role": "user", "content": chat_text(turn.question)})
        messages.append({"role": "assistant", "content": chat_text(reply)})
    return messages


def chat_turn(
    assistant: AssistantLike, message: str, turns: Sequence[Turn] | None, k: Any
) -> Iterator[tuple[str, list[dict[str, str]], str, list[Turn]]]:
    """The streaming chat handler: yields (textbox, chatbot messages, sources HTML, turns) updates.

    The answer streams in piece by piece; at the end it is replaced with `answer.text` (citations are checked and
    renumbered after the model finishes) and the sources panel shows the cited passages.
    """
    turns = list(turns or [])
    question = (message or "").strip()
    if not question:
        yield "", _messages(turns), (turns[-1].sources_html if turns else ""), turns
        return
    history = [(turn.question, turn.answer) for turn in turns if turn.ok]
    done = _messages(turns)
    pending = {"role": "user", "content": chat_text(question)}
    yield "", [*done, pending, {"role": "assistant", "content": "…"}], WAITING, turns
    pieces: list[str] = []
    try:
        answer: Answer | None = None
        for item in assistant.stream(question, history=history, k=_optional_k(k)):
            if isinstance(item, Answer):
                answer = item
                continue
            pieces.append(str(item))
            yield "", [*done, pending, {"role": "assistant", "content": chat_text("".join(pieces))}], WAITING, turns
        if answer is None:
            raise RuntimeError("the assistant's stream ended without an answer")
    except Exception as exc:  # shown to the user; unexpected ones are logged with their traceback
        _log_unexpected(exc, "chat")
        message_text = error_message(exc)
        turn = Turn(question, message_text, render_notice(message_text, error=True), ok=False)
    else:
        turn = Turn(question, answer.text, render_sources(answer))
    turns.append(turn)
    yield "", _messages(turns), turn.sources_html, turns


def select_turn(turns: Sequence[Turn] | None, evt: gr.SelectData) -> str:
    """Show the sources of the chat message the user clicked (each turn is a user and an assistant message)."""
    turns = list(turns or [])
    index = evt.index[0] if isinstance(evt.index, (list, tuple)) and evt.index else evt.index
    if isinstance(index, int) and 0 <= index // 2 < len(turns):
        return turns[index // 2].sources_html
    return turns[-1].sources_html if turns else ""


def build_app(assistant: AssistantLike) -> gr.Blocks:
    """Build (not launch) the Gradio app around `assistant`."""
    default_k = _default_k(assistant)

    def ask(question: str, k: int | None = None) -> dict[str, Any]:
        """Answer a question from the indexed articles. Returns the answer text, its citations and `refused`."""
        try:
            return final_answer(assistant, question, (), _optional_k(k)).to_dict()
        except Exception as exc:
            raise _api_error(exc, "ask") from None

    def search(question: str, k: int | None = None) -> list[dict[str, Any]]:
        """Retrieve the k passages most relevant to a question, best first, without asking the model."""
        try:
            return [hit.to_dict() for hit in assistant.search(question, k=_optional_k(k))]
        except Exception as exc:
            raise _api_error(exc, "search") from None

    def respond(
        message: str, turns: list[Turn] | None, k: float
    ) -> Iterator[tuple[str, list[dict[str, str]], str, list[Turn]]]:
        yield from chat_turn(assistant, message, turns, k)

    def clear() -> tuple[str, list[dict[str, str]], str, list[Turn]]:
        return "", [], "", []

    with gr.Blocks(title=TITLE, analytics_enabled=False) as app:
        gr.Markdown(f"## {TITLE}")
        stats = gr.HTML(stats_html(assistant), js_on_load=None, elem_id="rag-stats")
        turns_state = gr.State([])
        with gr.Row():
            with gr.Column(scale=3):
                chatbot = gr.Chatbot(
                    label="Chat",
                    height=520,
                    sanitize_html=True,
                    latex_delimiters=[],
                    buttons=["copy", "copy_all"],
                    feedback_options=None,
                    placeholder="Ask a question about the articles. Answers cite passages as [1], [2], …",
                    elem_id="rag-chat",
                )
                with gr.Row():
                    question = gr.Textbox(
                        show_label=False,
                        placeholder="Your question",
                        lines=1,
                        max_lines=6,
                        autofocus=True,
                        scale=5,
                        elem_id="rag-question",
                    )
                    send = gr.Button("Ask", variant="primary", scale=1, min_width=80)
                with gr.Row():
                    k_slider = gr.Slider(
                        minimum=1,
                        maximum=max(MAX_K, default_k),
                        step=1,
                        value=default_k,
                        label="k: passages to retrieve",
                        scale=4,
                    )
                    clear_button = gr.Button("Clear", variant="secondary", scale=1, min_width=80)
            with gr.Column(scale=2):
                gr.Markdown("### Cited passages")
                sources = gr.HTML("", js_on_load=None, elem_id="rag-sources")

        chat_io: dict[str, Any] = {
            "fn": respond,
            "inputs": [question, turns_state, k_slider],
            "outputs": [question, chatbot, sources, turns_state],
            "api_visibility": "private",
            "concurrency_id": CONCURRENCY_ID,
            "concurrency_limit": 1,
            "show_progress": "minimal",
        }
        chat_events: list[dict[str, Any]] = [question.submit(**chat_io), send.click(**chat_io)]
        # Clearing also stops an answer that is still streaming, so it cannot write the old turn back.
        clear_outputs = [question, chatbot, sources, turns_state]
        clear_button.click(clear, None, clear_outputs, api_visibility="private", queue=False, cancels=chat_events)
        chatbot.clear(
            lambda: ("", []), None, [sources, turns_state], api_visibility="private", queue=False, cancels=chat_events
        )
        chatbot.select(select_turn, [turns_state], [sources], api_visibility="private", queue=False)
        app.load(lambda: stats_html(assistant), None, [stats], api_visibility="private")

        gr.api(ask, api_name="ask", concurrency_id=CONCURRENCY_ID, concurrency_limit=1)
        gr.api(search, api_name="search", concurrency_id=CONCURRENCY_ID, concurrency_limit=1)
    return app


def _is_loopback(host: str) -> bool:
    if host.strip().lower() == "localhost":
        return True
    try:
        return ipaddress.ip_address(host.strip("[]")).is_loopback
    except ValueError:
        return False


def _token_auth(token: str) -> Any:
    def check(username: str, password: str) -> bool:
        return hmac.compare_digest(password.encode("utf-8"), token.encode("utf-8"))

    return check


def launch_options(assistant: AssistantLike, host: str, port: int, kwargs: dict[str, Any]) -> dict[str, Any]:
    """The keyword arguments for `Blocks.launch`: loopback by default, never shared, no SSR/MCP/monitoring.

    Serving on any non-loopback address requires a password: the `auth` given, or else `settings.token`
    (any user name, the token as password). Without either it refuses, as the assistant is private.
    """
    options = dict(kwargs)
    if options.pop("share", False):
        raise InvalidRequestError("share=True is not supported: the assistant is private (serve on 127.0.0.1)")
    if not _is_loopback(host) and options.get("auth") is None and options.get("auth_dependency") is None:
        token = getattr(getattr(assistant, "settings", None), "token", "") or ""
        if not token:
            raise InvalidRequestError(
                f"refusing to serve the UI on {host} without a token: set RAG_TOKEN (or --token), or use 127.0.0.1"
            )
        options["auth"] = _token_auth(token)
    options.update(server_name=host, server_port=port, share=False)
    options.setdefault("ssr_mode", False)
    options.setdefault("mcp_server", False)
    options.setdefault("enable_monitoring", False)
    options.setdefault("show_error", False)
    options.setdefault("run_history", False)  # do not keep questions and answers in the browser's storage
    return options


def launch(assistant: AssistantLike, host: str = "127.0.0.1", port: int = 7860, **kwargs: Any) -> None:
    """Serve the app on host:port and block until interrupted (Ctrl+C). Never creates a public share link."""
    options = launch_options(assistant, host, port, kwargs)
    options["prevent_thread_lock"] = True  # we block below, also in interactive sessions
    app = build_app(assistant)
    app.launch(**options)
    try:
        app.block_thread()
    finally:
        app.close()
