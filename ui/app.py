"""The Gradio app: a streaming chat over the indexed articles, with the cited passages shown next to each answer.

`build_app(assistant, add_articles=..., info=...)` builds the Blocks without launching: it is the chat builder
`rag serve` hands to `rag.serve.serve` (the `chat` setting, "ui.app:build_app"), which mounts it at `/` beside the
JSON API. `launch(**settings)` serves both the same way and blocks.

The page: the chat (answers stream in; while the model is busy with other users' questions it says how many are
ahead; "Copy answer" and "Copy conversation" in its corner copy plain text, the cited sources included), the
cited passages with the supporting sentence highlighted (each `[n]` in an answer links to its passage; a story
several outlets reported says "reported by A, B +2" and opens each report), the stand-alone question actually
searched for when a follow-up was rewritten and the period read from a time phrase ("last month"), settings (k,
sources, date range, the "as of" date time phrases count from) and the models in use, index statistics, an upload
box that adds articles to the index, and the "Followed" panel: the questions followed on the index (`rag follow`)
with what changed since this browser's last visit (kept in its localStorage).

The chat's events are UI-only (`api_visibility="private"`): the app adds no Gradio API endpoints. Programs use the
JSON API served on the same port: `POST /api/ask`, `POST /api/search` and the OpenAI-compatible
`POST /v1/chat/completions` (rag.serve.app, docs/http-api.md), so there is one way to ask from code.

`rag.errors.RagError` messages are shown to the user as they are; any other exception is logged with its traceback
and shown as "internal error: <type>: <message>".

This module deliberately has no `from __future__ import annotations`: Gradio reads the event handlers' annotations
at run time (`evt: gr.SelectData` is how it knows to pass the selection).
"""

import datetime
import logging
import os
from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Protocol

# The machine running the assistant may have no network, and the assistant is private: no telemetry, ever.
# (Set before gradio is imported; gradio_client reads it too.)
os.environ.setdefault("GRADIO_ANALYTICS_ENABLED", "False")
os.environ.setdefault("HF_HUB_DISABLE_TELEMETRY", "1")

import gradio as gr

from rag.answer.timeframe import parse_as_of
from rag.errors import InvalidRequestError, RagError, SourceError
from rag.ingest.files import SUPPORTED_SUFFIXES
from rag.ingest.progress import ProgressCallback
from rag.records import Answer, Drafting, Filters, Query, StreamEvent, TextChunk, Waiting, unexpected_event
from rag.serve.app import AddArticles
from rag.serve.errors import said_by_server
from rag.settings import Settings
from ui.render import (
    answer_plain_text,
    chat_answer,
    chat_text,
    conversation_plain_text,
    render_follows,
    render_index_report,
    render_model_info,
    render_notice,
    render_sources,
    render_stats,
    waiting_text,
)

log = logging.getLogger(__name__)

TITLE = "Article assistant"
MAX_K = 20
CONCURRENCY_ID = "assistant"
UI_CONCURRENCY = 16
"""Chat events run this many at once: retrieval is concurrent, and generation waits in the model's own
queue (rag.serve.queue), which tells the user their place in line."""
ARTICLE_TYPES = sorted(SUPPORTED_SUFFIXES)  # what the readers take (feeds included), the one list

WAITING = render_notice("Searching the articles and writing the answer…")
EMPTY_QUESTION = render_notice("Type a question in the box first, then press Enter.")
DRAFTING = "Drafting the answer… (each sentence appears once it is checked against the articles)"


class AssistantLike(Protocol):
    """What the UI needs from `rag.answer.assistant.Assistant` (duck-typed so tests can pass a fake)."""

    @property
    def settings(self) -> Any: ...

    def stream(
        self, question: str | Query, history: Sequence[tuple[str, str]] = (), k: int | None = None,
        filters: Filters | None = None, as_of: datetime.date | None = None,
    ) -> Iterator[StreamEvent]: ...

    def stats(self) -> dict[str, Any]: ...


@dataclass(frozen=True)
class Turn:
    """One question and its reply, as kept in the session state.

    `answer` is the final (checked, renumbered) answer text, or the error message when `ok` is False; failed turns
    are shown in the chat but not sent back to the model as history. `copy_text` is what the copy buttons put on
    the clipboard: the answer and its sources as plain text (`ui.render.answer_plain_text`), "" for `answer`.
    """

    question: str
    answer: str
    sources_html: str
    ok: bool = True
    copy_text: str = ""

    @property
    def plain_text(self) -> str:
        """The reply as the clipboard gets it: plain text, the cited sources included."""
        return self.copy_text or self.answer


def error_message(exc: BaseException) -> str:
    """The message the user sees for an exception: a RagError's own message, else a generic internal error."""
    if isinstance(exc, RagError):
        return said_by_server(exc) or type(exc).__name__  # a database away: the next request tries again
    return f"internal error: {type(exc).__name__}: {exc}"


def _log_unexpected(exc: BaseException, where: str) -> None:
    if not isinstance(exc, RagError):
        log.error("%s failed", where, exc_info=exc)


def _default_k(assistant: AssistantLike) -> int:
    k = getattr(getattr(assistant, "settings", None), "k", 5)
    return k if isinstance(k, int) and k >= 1 else 5


def _optional_as_of(as_of: Any) -> datetime.date | None:
    """The chat's as_of: None when blank (the server's setting, else today), else the date, refused if malformed."""
    if as_of is None or not str(as_of).strip():
        return None
    return parse_as_of(str(as_of))


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


def source_choices(assistant: Any) -> list[str]:
    """The sources a filter can pick: every article's source, and the top folders of path-like sources."""
    index = getattr(getattr(assistant, "retriever", None), "index", None)
    articles: Mapping[str, Any] = getattr(index, "articles", None) or {}
    sources: set[str] = set()
    for record in articles.values():
        source = str(getattr(record, "source", "") or "")
        if source:
            sources.add(source)
            if "/" in source.strip("/"):
                sources.add(source.strip("/").split("/")[0])
    return sorted(sources)[:500]


def source_list(assistant: Any) -> tuple[list[str], str]:
    """The source filter's choices and a note: none and what went wrong when the index cannot be read (a database
    that is away: the page still loads, and the list comes back with the database on the next question or page
    load)."""
    try:
        refresh = getattr(getattr(assistant, "retriever", None), "refresh", None)
        if callable(refresh):  # the live generation: a database that is away says so here
            refresh()
        return source_choices(assistant), ""
    except Exception as exc:  # the settings panel must never break the page
        _log_unexpected(exc, "source list")
        return [], f"The source list is unavailable: {error_message(exc)}"


def source_filter_update(assistant: Any) -> Any:
    """The source filter's choices and note, read again (issue 23: they follow the database going and coming)."""
    choices, note = source_list(assistant)
    return gr.update(choices=choices, info=note) if not note else gr.update(info=note)


def _messages(turns: Sequence[Turn]) -> list[dict[str, str]]:
    messages: list[dict[str, str]] = []
    for number, turn in enumerate(turns, start=1):
        reply = chat_answer(turn.answer, anchor=f"rag-source-{number}-") if turn.ok else chat_text(f"⚠️ {turn.answer}")
        messages.append({"role": "user", "content": chat_text(turn.question)})
        messages.append({"role": "assistant", "content": reply})
    return messages


ChatUpdate = tuple[Any, list[dict[str, str]], str, list[Turn]]

KEEP_TYPING: Any = gr.skip()
"""The textbox's update after the first of an answer's: none. Clearing it on every streamed update wiped what the
user typed meanwhile (their next question)."""


def chat_turn(
    assistant: AssistantLike, message: str, turns: Sequence[Turn] | None, k: Any,
    sources: Sequence[str] | None = None, since: str = "", until: str = "", as_of: str = "",
) -> Iterator[ChatUpdate]:
    """The streaming chat handler: yields (textbox, chatbot messages, sources HTML, turns) updates; the first clears
    the textbox, the others leave it to the user (`KEEP_TYPING`).

    While the question waits for the model, the reply says how many questions are ahead. The answer streams in
    piece by piece; at the end it is replaced with `answer.text` (citations are checked and renumbered after the
    model finishes, and each `[n]` becomes a link to its passage) and the sources panel shows the cited passages.
    `as_of` is the reference date of time phrases ("last month"): blank for the server's (default today).
    """
    turns = list(turns or [])
    question = (message or "").strip()
    if not question:  # said, not silently nothing
        yield "", _messages(turns), EMPTY_QUESTION, turns
        return
    history = [(turn.question, turn.answer) for turn in turns if turn.ok]
    done = _messages(turns)
    pending = {"role": "user", "content": chat_text(question)}
    yield "", [*done, pending, {"role": "assistant", "content": "…"}], WAITING, turns
    pieces: list[str] = []
    try:
        query = Query(question, as_of=_optional_as_of(as_of), filters=Filters.parse(sources, since, until))
        answer: Answer | None = None
        for event in assistant.stream(query, history, _optional_k(k)):  # a brief, or the answer
            match event:
                case Waiting(ahead=ahead):
                    notice = waiting_text(ahead)
                    yield KEEP_TYPING, [*done, pending, {"role": "assistant", "content": chat_text(notice)}], \
                        render_notice(notice), turns
                case Drafting():  # only checked sentences are shown: until the first, say so
                    yield KEEP_TYPING, [*done, pending, {"role": "assistant", "content": chat_text(DRAFTING)}], \
                        WAITING, turns
                case TextChunk(text=text):
                    pieces.append(text)
                    shown = chat_text("".join(pieces))
                    yield KEEP_TYPING, [*done, pending, {"role": "assistant", "content": shown}], WAITING, turns
                case Answer():
                    answer = event
                case _:
                    unexpected_event(event)
        if answer is None:
            raise RuntimeError("the assistant's stream ended without an answer")
    except Exception as exc:  # shown to the user; unexpected ones are logged with their traceback
        _log_unexpected(exc, "chat")
        message_text = error_message(exc)
        turn = Turn(question, message_text, render_notice(message_text, error=True), ok=False)
    else:
        anchor = f"rag-source-{len(turns) + 1}-"
        turn = Turn(question, answer.text, render_sources(answer, anchor=anchor), copy_text=answer_plain_text(answer))
    turns.append(turn)
    yield KEEP_TYPING, _messages(turns), turn.sources_html, turns


def follows_panel(assistant: AssistantLike, last_visit: str | None) -> tuple[str, str]:
    """The "Followed" panel for a visitor whose last visit was `last_visit` (kept in their browser; "" or None the
    first time), and the time to remember as this visit."""
    from rag.follow import list_follows, now_text
    from rag.store.follows import open_follows

    location = getattr(getattr(getattr(assistant, "retriever", None), "index", None), "location", "")
    try:
        follows = list_follows(open_follows(location)) if location else []
    except Exception as exc:
        _log_unexpected(exc, "followed questions")
        return render_notice(error_message(exc), error=True), last_visit or ""
    return render_follows(follows, last_visit or ""), now_text()


def select_turn(turns: Sequence[Turn] | None, evt: gr.SelectData) -> tuple[str, str]:
    """Show the sources of the chat message the user clicked (each turn is a user and an assistant message); "Copy
    answer" then copies that turn's answer. Returns (sources HTML, the answer's plain text)."""
    turns = list(turns or [])
    index = evt.index[0] if isinstance(evt.index, (list, tuple)) and evt.index else evt.index
    if isinstance(index, int) and 0 <= index // 2 < len(turns):
        return turns[index // 2].sources_html, turns[index // 2].plain_text
    return (turns[-1].sources_html, turns[-1].plain_text) if turns else ("", "")


def copy_texts(turns: Sequence[Turn] | None) -> tuple[str, str]:
    """What the chat's two copy buttons put on the clipboard after a turn: the last answer and the whole
    conversation, as plain text with their sources (the messages themselves are HTML)."""
    turns = list(turns or [])
    conversation = conversation_plain_text([(turn.question, turn.plain_text) for turn in turns])
    return (turns[-1].plain_text if turns else ""), conversation


COPY_ANSWER = "Copy answer"
COPY_CONVERSATION = "Copy conversation"


def copy_script(label: str) -> str:
    """The browser side of a copy button labelled `label`: puts its input (plain text) on the clipboard and says so
    on the button for a moment. Runs in the click itself (no server round trip, which browsers other than Chromium
    count as leaving the user's gesture), and falls back to a hidden textarea where `navigator.clipboard` is
    missing: a page served over plain HTTP to another machine is not a secure context."""
    return """(text) => {
  const button = document.querySelector('#rag-chat button[aria-label="LABEL"]');
  const shown = button ? (button.querySelector('.custom-button-label') || button) : null;
  const say = (word) => {
    if (!shown) return;
    shown.textContent = word;
    clearTimeout(shown.__ragTimer);
    shown.__ragTimer = setTimeout(() => { shown.textContent = 'LABEL'; }, 1500);
  };
  if (!text) { say('Nothing to copy yet'); return; }
  const fallback = () => {
    const area = document.createElement('textarea');
    area.value = text;
    area.setAttribute('readonly', '');
    area.style.position = 'fixed';
    area.style.left = '-9999px';
    document.body.appendChild(area);
    area.select();
    let copied = false;
    try { copied = document.execCommand('copy'); } catch (error) { copied = false; }
    area.remove();
    say(copied ? 'Copied' : 'Copy failed: select the text and copy it');
  };
  if (navigator.clipboard && window.isSecureContext) {
    navigator.clipboard.writeText(text).then(() => say('Copied'), fallback);
  } else {
    fallback();
  }
}""".replace("LABEL", label)


def progress_text(stage: str, done: int, total: int, current: str = "") -> str:
    """What the upload's progress bar says: the stage and its count, and the file being read when there is one
    (a long PDF is the wait: saying which file, the user knows what the bar waits on).

    >>> progress_text("reading", 2, 5, "uploads/council budget.pdf"), progress_text("embedding", 3, 8)
    ('reading council budget.pdf (file 3 of 5)', 'embedding 3/8')
    """
    if current:
        return f"{stage} {Path(current).name} (file {done + 1} of {total})"
    return f"{stage} {done}/{total}"


def add_kept(add_articles: AddArticles, files: Sequence[tuple[str, bytes]],
             on_progress: ProgressCallback | None = None) -> dict[str, Any]:
    """Add `files`, keeping the good ones when some are refused: the report, the refused files under `failed`.

    `rag.ingest.uploads.add_files` refuses a whole upload for one file it will not store (over the size limit, an
    unsupported suffix, no usable name), before writing anything: one file over `--max-file-mb` among twenty threw
    the twenty away, and the upload box was emptied. So the files are sent again without the one refused (which
    is named in the report with its fix), until the rest are taken or none is left. Any other error is raised."""
    pending = list(files)
    refused: list[dict[str, str]] = []
    while pending:
        try:
            report = dict(add_articles(pending, on_progress=on_progress))
        except SourceError as error:
            names = [name for name, _ in pending]
            if error.source not in names:  # not one file's fault (an upload of no files, say): said as it is
                raise
            refused.append({"source": error.source, "reason": str(error)})
            del pending[names.index(error.source)]  # one file of the name: a second of it is checked again
            continue
        report["failed"] = [*refused, *(report.get("failed") or [])]
        return report
    return {"added": [], "updated": [], "unchanged": 0, "duplicates": [], "failed": refused}


@dataclass(frozen=True)
class UploadOutcome:
    """What an upload did: its HTML `summary`, and whether the files were `taken` (indexed, or each reported as
    failed). Files not taken (the index busy with another writer, a full disk, a read-only replica: nothing was
    stored) stay chosen in the upload box, to be sent again as the message says."""

    summary: str
    taken: bool


def upload_articles(add_articles: AddArticles | None, files: Sequence[Any] | None,
                    progress: Callable[..., Any] | None = None) -> str:
    """Read the uploaded files and add them to the index; the HTML summary of what happened (or the error)."""
    return send_articles(add_articles, files, progress).summary


def send_articles(add_articles: AddArticles | None, files: Sequence[Any] | None,
                  progress: Callable[..., Any] | None = None) -> UploadOutcome:
    """`upload_articles`, saying also whether the files were taken (`UploadOutcome`)."""
    if add_articles is None:
        return UploadOutcome(render_notice("This server cannot add articles: it serves no on-disk index.",
                                           error=True), False)
    paths = [Path(getattr(item, "name", item)) for item in files or []]
    if not paths:
        return UploadOutcome(render_notice("Choose one or more article files first.", error=True), False)

    def report_progress(stage: str, done: int, total: int, current: str = "") -> None:
        if progress is not None:  # reading takes the first tenth of the bar, embedding the rest
            share = done / total if total else 1.0
            progress(0.1 * share if stage == "reading" else 0.1 + 0.9 * share, desc=progress_text(stage, done, total,
                                                                                                   current))

    try:
        report = add_kept(add_articles, [(path.name, path.read_bytes()) for path in paths], report_progress)
    except Exception as exc:
        _log_unexpected(exc, "upload")
        return UploadOutcome(render_notice(error_message(exc), error=True), False)
    queued = int(report.get("followed_queued") or 0)  # asked in the background: the reply does not wait for them
    followed = render_notice(f"{queued} followed question(s) queued to be asked again in the background.") \
        if queued else ""
    return UploadOutcome(render_index_report(report) + followed, True)


def build_app(assistant: AssistantLike, add_articles: AddArticles | None = None,
              info: Callable[[], Mapping[str, Any]] | None = None) -> gr.Blocks:
    """Build (not launch) the Gradio app around `assistant`.

    `add_articles` enables the upload box (see `rag.serve.app.article_adder`); `info` returns the model and
    settings description shown under Settings (default: the assistant's settings).
    """
    default_k = _default_k(assistant)

    def describe() -> str:
        try:
            if info is not None:
                return render_model_info(info())
            settings = getattr(assistant, "settings", None)
            describe_settings = getattr(settings, "describe", None)
            return render_model_info(describe_settings() if callable(describe_settings) else {})
        except Exception as exc:
            _log_unexpected(exc, "model info")
            return render_notice(f"Model information unavailable: {error_message(exc)}", error=True)

    def respond(message: str, turns: list[Turn] | None, k: float, sources: list[str] | None, since: str,
                until: str, as_of: str) -> Iterator[ChatUpdate]:
        yield from chat_turn(assistant, message, turns, k, sources, since, until, as_of)

    def clear() -> tuple[str, list[dict[str, str]], str, list[Turn], str, str]:
        return "", [], "", [], "", ""

    def upload(files: list[str] | None, progress: gr.Progress = gr.Progress()) -> tuple[str, str, Any, Any]:  # noqa: B008
        outcome = send_articles(add_articles, files, progress)
        # The files taken are no longer chosen: clicking again re-sent them without a word. Files refused whole
        # ("another process is writing the index ... send the files again") stay chosen: the box was emptied.
        return outcome.summary, stats_html(assistant), source_filter_update(assistant), \
            None if outcome.taken else gr.skip()

    with gr.Blocks(title=TITLE, analytics_enabled=False) as app:
        gr.Markdown(f"## {TITLE}")
        stats = gr.HTML(stats_html(assistant), js_on_load=None, elem_id="rag-stats")
        turns_state = gr.State([])
        # The copy buttons: Gradio's own ("copy", "copy_all") copy a message's content, which here is HTML (the
        # linked [n] markers), and know nothing of the sources. These copy the plain text kept in two hidden
        # textboxes (hidden, yet in the page: the click copies at once, without asking the server).
        copy_answer = gr.Button(COPY_ANSWER, size="sm", elem_id="rag-copy-answer")
        copy_conversation = gr.Button(COPY_CONVERSATION, size="sm", elem_id="rag-copy-conversation")
        answer_text = gr.Textbox("", visible=False, elem_id="rag-answer-text")
        conversation_text = gr.Textbox("", visible=False, elem_id="rag-conversation-text")
        with gr.Row():
            with gr.Column(scale=3):
                chatbot = gr.Chatbot(
                    label="Chat",
                    height=520,
                    sanitize_html=True,
                    latex_delimiters=[],
                    buttons=[copy_answer, copy_conversation],
                    feedback_options=None,
                    placeholder="Ask a question about the articles. Answers cite passages as [1], [2], …",
                    elem_id="rag-chat",
                )
                with gr.Row():
                    question = gr.Textbox(
                        label="Your question",  # its accessible name (a screen reader said "Textbox"); not shown
                        show_label=False,
                        placeholder="Your question",
                        lines=1,
                        max_lines=6,
                        # The limit typed against, not found out after sending 3,000 characters.
                        max_length=getattr(getattr(assistant, "settings", None), "max_question_chars",
                                           Settings().max_question_chars),
                        autofocus=True,
                        scale=5,
                        elem_id="rag-question",
                    )
                    send = gr.Button("Ask", variant="primary", scale=1, min_width=80, elem_id="rag-ask")
                    clear_button = gr.Button("Clear", variant="secondary", scale=1, min_width=80)
                with gr.Accordion("Settings", open=False, elem_id="rag-settings"):
                    k_slider = gr.Slider(
                        minimum=1,
                        maximum=max(MAX_K, default_k),
                        step=1,
                        value=default_k,
                        label="k: passages to retrieve",
                    )
                    source_choices_now, source_note = source_list(assistant)
                    source_filter = gr.Dropdown(
                        choices=source_choices_now,
                        info=source_note,
                        value=[],
                        multiselect=True,
                        allow_custom_value=True,
                        label="Only these sources (empty: all)",
                        elem_id="rag-sources-filter",
                    )
                    with gr.Row():
                        since = gr.Textbox(label="Published from", placeholder="YYYY-MM-DD", max_lines=1)
                        until = gr.Textbox(label="Published until", placeholder="YYYY-MM-DD", max_lines=1)
                    as_of = gr.Textbox(label="As of (the date 'latest', 'last month', 'in March' count from)",
                                       placeholder="YYYY-MM-DD (empty: today)", max_lines=1, elem_id="rag-as-of")
                    model = gr.HTML(describe(), js_on_load=None, elem_id="rag-model")
                if add_articles is not None:
                    with gr.Accordion("Add articles", open=False, elem_id="rag-upload"):
                        files = gr.File(
                            file_count="multiple",
                            file_types=ARTICLE_TYPES,
                            type="filepath",
                            label=f"Article files ({' '.join(ARTICLE_TYPES)})",
                        )
                        add_button = gr.Button("Add to the index", variant="secondary")
                        report = gr.HTML("", js_on_load=None, elem_id="rag-upload-report")
            with gr.Column(scale=2):
                with gr.Accordion("Followed", open=True, elem_id="rag-follows"):
                    follows = gr.HTML("", js_on_load=None, elem_id="rag-follows-panel")
                last_visit = gr.BrowserState("", storage_key="rag-last-visit")
                gr.Markdown("### Cited passages")
                sources = gr.HTML("", js_on_load=None, elem_id="rag-sources")

        chat_io: dict[str, Any] = {
            "fn": respond,
            "inputs": [question, turns_state, k_slider, source_filter, since, until, as_of],
            "outputs": [question, chatbot, sources, turns_state],
            "api_visibility": "private",
            "concurrency_id": CONCURRENCY_ID,
            "concurrency_limit": UI_CONCURRENCY,
            "show_progress": "minimal",
            # A question sent while an answer streams is asked after it ("once", the default, dropped it silently).
            "trigger_mode": "always_last",
        }
        chat_events: list[Any] = [question.submit(**chat_io), send.click(**chat_io)]
        for event in chat_events:  # the header and model info follow a new index generation or a loaded model
            event.then(lambda: (stats_html(assistant), describe(), source_filter_update(assistant)), None,
                       [stats, model, source_filter], api_visibility="private", queue=False)
            event.then(copy_texts, [turns_state], [answer_text, conversation_text], api_visibility="private",
                       queue=False)
        # Clearing also stops an answer that is still streaming, so it cannot write the old turn back.
        clear_outputs = [question, chatbot, sources, turns_state, answer_text, conversation_text]
        clear_button.click(clear, None, clear_outputs, api_visibility="private", queue=False, cancels=chat_events)
        chatbot.clear(lambda: ("", [], "", ""), None, [sources, turns_state, answer_text, conversation_text],
                      api_visibility="private", queue=False, cancels=chat_events)
        chatbot.select(select_turn, [turns_state], [sources, answer_text], api_visibility="private", queue=False)
        for button, text, label in ((copy_answer, answer_text, COPY_ANSWER),
                                    (copy_conversation, conversation_text, COPY_CONVERSATION)):
            button.click(None, [text], None, js=copy_script(label), api_visibility="private", queue=False)
        if add_articles is not None:
            add_button.click(upload, [files], [report, stats, source_filter, files], api_visibility="private",
                             concurrency_id="index", concurrency_limit=1)
        app.load(lambda: (stats_html(assistant), describe(), source_filter_update(assistant)), None,
                 [stats, model, source_filter], api_visibility="private")
        # What changed since this browser's last visit; the visit is then remembered in its localStorage.
        app.load(lambda visited: follows_panel(assistant, visited), [last_visit], [follows, last_visit],
                 api_visibility="private")
    return app


def launch(settings: Settings | None = None, **overrides: Any) -> None:
    """Serve this chat and the JSON API on settings.host:settings.port until interrupted (Ctrl+C), exactly as
    `rag serve` does: through `rag.serve.serve`, with the generation queue and the thread budgets.

    `overrides` are setting fields (`index="index/"`, `port=8000`, `token=...`) applied over `settings`, else over
    the defaults and `RAG_*` environment variables, as the CLI's flags are. A non-loopback `host` needs a token: it
    is then the API's Bearer token and the chat's login password. Never creates a public share link.
    """
    import sys

    from rag.serve import serve

    resolved = settings.replace(**overrides) if settings is not None else Settings.from_env(**overrides)
    serve(resolved, chat=build_app, announce=lambda message: print(message, file=sys.stderr, flush=True))
