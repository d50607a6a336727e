"""Tests for the Gradio UI: pure rendering (escaping, highlighting), the chat handler, and that the app adds no API."""

from __future__ import annotations

import datetime
import os
import re
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from typing import Any

import pytest

from rag.answer.prompts import CANNOT_ANSWER
from rag.errors import IndexNotFoundError
from rag.records import Answer, Citation, Drafting, Filters, Passage, Query, StreamEvent, TextChunk, Waiting, safe_url
from tests.conftest import free_port
from ui.render import (
    chat_answer,
    chat_text,
    render_index_report,
    render_model_info,
    render_sources,
    render_stats,
)

os.environ.setdefault("GRADIO_ANALYTICS_ENABLED", "False")

HOSTILE_TITLE = '<script>alert("title")</script>'
HOSTILE_TEXT = 'Intro. <img src=x onerror="alert(1)"> The river <b>flooded</b> in May. End.'
HOSTILE_SOURCE = "<iframe src=//evil></iframe>feed.jsonl"


def make_passage(**changes: Any) -> Passage:
    values: dict[str, Any] = {
        "article_id": "a1",
        "title": "Floods in the valley",
        "source": "news.jsonl",
        "url": "https://example.org/floods",
        "text": "The river rose overnight. The town flooded in May. Repairs took a year.",
        "start": 0,
        "end": 72,
        "published": "2024-05-03",
        "page": None,
    }
    values.update(changes)
    return Passage(**values)


def cite(
    passage: Passage, quote: str, number: int = 1, *, start: int | None = None, end: int | None = None
) -> Citation:
    found = passage.text.find(quote)
    return Citation(
        number=number,
        passage=passage,
        quote=quote,
        quote_start=found if start is None else start,
        quote_end=found + len(quote) if end is None else end,
        support=0.9,
    )


def hrefs(markup: str) -> list[str]:
    return re.findall(r'href="([^"]*)"', markup)


# --- render_sources: pure, no server -------------------------------------------------------------------------


def test_render_sources_escapes_hostile_article() -> None:
    passage = make_passage(title=HOSTILE_TITLE, text=HOSTILE_TEXT, source=HOSTILE_SOURCE, url="javascript:alert(1)")
    answer = Answer(
        question="When did it flood?",
        text="In May [1].",
        citations=(cite(passage, "The river <b>flooded</b> in May."),),
        search_query='flood date <svg onload="alert(2)">',
    )
    markup = render_sources(answer)

    # Nothing from the article or the query survives as a tag or an attribute.
    for dangerous in ("<script", "<img", "<iframe", "<svg", "<b>", 'onerror="', 'onload="'):
        assert dangerous not in markup, dangerous
    # ... but it is all still shown, as text.
    assert "&lt;script&gt;alert(&quot;title&quot;)&lt;/script&gt;" in markup
    assert "&lt;img src=x onerror=&quot;alert(1)&quot;&gt;" in markup
    assert "&lt;iframe src=//evil&gt;&lt;/iframe&gt;feed.jsonl" in markup
    assert "flood date &lt;svg onload=&quot;alert(2)&quot;&gt;" in markup
    # A javascript: URL never becomes a link.
    assert hrefs(markup) == []
    assert "javascript:" not in markup
    # The only tags are the renderer's own.
    tags = set(re.findall(r"<\s*/?\s*([a-zA-Z0-9]+)", markup))
    assert tags <= {"div", "p", "strong", "em", "blockquote", "mark", "a", "code"}, tags


def test_render_sources_escapes_url_attribute_and_allows_only_http() -> None:
    breaking = 'https://example.org/x"onmouseover="alert(1)'
    markup = render_sources(Answer("q", "a [1]", (cite(make_passage(url=breaking), "The town flooded in May."),)))
    assert 'onmouseover="' not in markup
    assert hrefs(markup) == [], "a URL holding a quote gets no link at all (rag.records.safe_url)"
    fine = render_sources(Answer("q", "a [1]", (cite(make_passage(url="https://example.org/a?b=1&c=2"), "x"),)))
    assert hrefs(fine) == ["https://example.org/a?b=1&amp;c=2"]
    for url in (
        "javascript:alert(1)",
        "JAVASCRIPT:alert(1)",
        "java\tscript:alert(1)",
        " data:text/html,<b>x</b>",
        "vbscript:msgbox",
        "//evil.example/x",
        "/relative/path",
        "file:///etc/passwd",
        "http:no-host",
    ):
        assert safe_url(url) == "", url
        assert hrefs(render_sources(Answer("q", "a [1]", (cite(make_passage(url=url), "Repairs took a year."),)))) == []
    assert safe_url("http://example.org/a?b=1&c=2") == "http://example.org/a?b=1&c=2"


def test_render_sources_highlights_the_quote_and_shows_metadata() -> None:
    passage = make_passage(page=4)
    answer = Answer(
        question="When did the town flood?",
        text="In May [1]; repairs took a year [2].",
        citations=(
            cite(passage, "Repairs took a year.", number=2),
            cite(passage, "The town flooded in May.", number=1),
        ),
    )
    markup = render_sources(answer)
    assert "<mark>The town flooded in May.</mark>" in markup
    assert "<mark>Repairs took a year.</mark>" in markup
    assert markup.count("<mark>") == 2
    # Numbered like the [n] markers, in order.
    assert markup.index("[1] Floods in the valley") < markup.index("[2] Floods in the valley")
    assert hrefs(markup) == ["https://example.org/floods", "https://example.org/floods"]
    assert "published 2024-05-03" in markup
    assert "page 4" in markup
    assert "news.jsonl" in markup
    # Same question as the search query: no "Searched for" line.
    assert "Searched for" not in markup


def test_highlight_escapes_inside_the_mark_and_repairs_bad_offsets() -> None:
    passage = make_passage(text=HOSTILE_TEXT)
    markup = render_sources(Answer("q", "a [1]", (cite(passage, "The river <b>flooded</b> in May."),)))
    assert "<mark>The river &lt;b&gt;flooded&lt;/b&gt; in May.</mark>" in markup

    # Offsets out of range or not matching the quote: the quote is found in the text instead.
    good = make_passage()
    for start, end in ((500, 600), (0, 5), (-3, 2)):
        wrong = cite(good, "Repairs took a year.", start=start, end=end)
        assert "<mark>Repairs took a year.</mark>" in render_sources(Answer("q", "a [1]", (wrong,))), (start, end)
    # No quote and no usable offsets: plain text, no mark.
    plain = Citation(number=1, passage=good, quote="", quote_start=0, quote_end=0)
    markup = render_sources(Answer("q", "a [1]", (plain,)))
    assert "<mark>" not in markup and "The river rose overnight." in markup


def test_render_sources_refusal_shows_text_and_no_sources() -> None:
    answer = Answer(
        question="what about it?",
        text=CANNOT_ANSWER,
        citations=(cite(make_passage(), "The town flooded in May."),),
        refused=True,
        search_query="what about the flood repairs?",
    )
    markup = render_sources(answer)
    assert "I don&#x27;t know: the indexed articles do not answer this." in markup
    assert "<blockquote" not in markup and "<mark>" not in markup and "Floods in the valley" not in markup
    assert "Searched for: <em>what about the flood repairs?</em>" in markup


def test_render_stats_and_chat_text_escape() -> None:
    header = render_stats(
        {
            "articles": 1234,
            "passages": 5,
            "embedder": "<b>mini</b>",
            "llm": "gemma.gguf",
            "index": "index",
            "generation": 3,
        }
    )
    assert "1,234</strong> articles" in header and "5</strong> passages" in header
    assert "&lt;b&gt;mini&lt;/b&gt;" in header and "<b>" not in header
    assert "gemma.gguf" in header and "generation 3" in header

    shown = chat_text('See [1] and ![x](https://evil.example/p.png) <img src=x onerror="alert(1)">')
    assert "<img" not in shown and "[" not in shown and "]" not in shown
    assert shown.startswith("See &#91;1&#93; and !&#91;x&#93;(https&#58;//evil.example/p.png) &lt;img")


# --- the chat handler (no server) ------------------------------------------------------------------------------


@dataclass
class FakeSettings:
    k: int = 4
    token: str = ""


@dataclass
class FakeAssistant:
    """Deterministic stand-in for rag.answer.assistant.Assistant.

    Questions containing "missing" raise IndexNotFoundError (a RagError), "crash" raises a plain bug, "unknown"
    gets a refusal. The streamed pieces deliberately differ from the final text (as after renumbering).
    """

    settings: FakeSettings = field(default_factory=FakeSettings)
    calls: list[tuple[str, tuple[tuple[str, str], ...], int | None]] = field(default_factory=list)
    filters: list[Filters | None] = field(default_factory=list)
    dates: list[datetime.date | None] = field(default_factory=list)  # the as_of of each call

    def _check(self, question: str) -> None:
        if "missing" in question:
            raise IndexNotFoundError("no index at 'index/': build it first with `rag index ARTICLES`")
        if "crash" in question:
            raise ZeroDivisionError("boom")

    def stream(
        self, question: str | Query, history: Sequence[tuple[str, str]] = (), k: int | None = None,
        filters: Filters | None = None, as_of: datetime.date | None = None,
    ) -> Iterator[StreamEvent]:
        if isinstance(question, Query):  # the chat builds the record; its filters and date travel in it
            filters, as_of = question.filters, question.as_of
            question = question.text
        self.calls.append((question, tuple(history), k))
        self.filters.append(filters)
        self.dates.append(as_of)
        self._check(question)
        if "busy" in question:
            yield Waiting(2)
            yield Waiting(1)
        yield Drafting()
        if "unknown" in question:
            yield TextChunk(CANNOT_ANSWER)
            yield Answer(question, CANNOT_ANSWER, refused=True, model_text=CANNOT_ANSWER, search_query=question)
            return
        yield from (TextChunk("The town "), TextChunk("flooded "), TextChunk("in May [3]."))
        passage = make_passage()
        yield Answer(
            question=question,
            text="The town flooded in May [1].",
            citations=(cite(passage, "The town flooded in May."),),
            model_text="The town flooded in May [3].",
            search_query=f"{question} (stand-alone)" if history else question,
        )

    def stats(self) -> dict[str, Any]:
        return {
            "articles": 2,
            "passages": 7,
            "embedder": "fake-embedder",
            "llm": "fake-llm",
            "index": "index",
            "generation": 1,
        }


def test_chat_turn_streams_then_replaces_with_final_answer_and_keeps_history() -> None:
    from ui.app import DRAFTING, KEEP_TYPING, chat_turn

    fake = FakeAssistant()
    updates = list(chat_turn(fake, "When did the town flood?", [], 3))
    shown = [update[1][-1]["content"] for update in updates]
    # While the model drafts, the chat says so: the text that follows is what passed the checks.
    assert shown[1] == DRAFTING
    # Streams progressively, then the final (renumbered) text replaces the streamed one.
    assert "The town flooded " in shown
    assert shown[-2] == "The town flooded in May &#91;3&#93;."
    # The final text links each marker to its passage in the sources panel.
    assert shown[-1] == 'The town flooded in May <a href="#rag-source-1-1" class="rag-marker">&#91;1&#93;</a>.'
    assert 'id="rag-source-1-1"' in updates[-1][2]
    _, messages, sources, turns = updates[-1]
    # The textbox is cleared once, when the question is taken: what the user types while it streams stays.
    assert updates[0][0] == "" and all(update[0] is KEEP_TYPING for update in updates[1:])
    assert [message["role"] for message in messages] == ["user", "assistant"]
    assert "<mark>The town flooded in May.</mark>" in sources
    assert fake.calls == [("When did the town flood?", (), 3)]

    # A follow-up passes the earlier turn as history and shows the rewritten query.
    updates = list(chat_turn(fake, "And after?", turns, 2.0))
    assert fake.calls[-1] == ("And after?", (("When did the town flood?", "The town flooded in May [1]."),), 2)
    _, messages, sources, turns = updates[-1]
    assert len(messages) == 4 and len(turns) == 2
    assert "Searched for: <em>And after? (stand-alone)</em>" in sources


def test_chat_turn_shows_errors_as_messages_and_leaves_them_out_of_history(caplog: pytest.LogCaptureFixture) -> None:
    from ui.app import chat_turn

    fake = FakeAssistant()
    _, messages, sources, turns = list(chat_turn(fake, "Where is the missing index?", [], 4))[-1]
    assert messages[-1]["content"] == "⚠️ no index at 'index/': build it first with `rag index ARTICLES`"
    assert "no index at" in sources and "Traceback" not in sources
    assert turns[0].ok is False

    with caplog.at_level("ERROR", logger="ui.app"):
        _, messages, sources, turns = list(chat_turn(fake, "Please crash", turns, 4))[-1]
    assert messages[-1]["content"] == "⚠️ internal error: ZeroDivisionError: boom"
    assert "Traceback" not in sources
    assert any(record.exc_info for record in caplog.records), "unexpected errors are logged with their traceback"

    list(chat_turn(fake, "When did the town flood?", turns, 4))
    assert fake.calls[-1][1] == (), "failed turns are not sent to the model as history"


def test_chat_turn_shows_the_place_in_line_and_passes_filters() -> None:
    from ui.app import chat_turn

    fake = FakeAssistant()
    updates = list(chat_turn(fake, "Is the model busy?", [], 4, ["news.jsonl"], "2024-01-01", ""))
    shown = [update[1][-1]["content"] for update in updates]
    assert "Waiting for the model: 2 questions ahead of yours…" in shown
    assert "Waiting for the model: 1 question ahead of yours…" in shown
    assert "Waiting for the model: 1 question ahead of yours…" in updates[2][2]  # also in the sources panel
    assert shown[-1].startswith("The town flooded in May")
    assert fake.filters[-1] == Filters(("news.jsonl",), "2024-01-01", "")

    list(chat_turn(fake, "Is it 2026?", [], 4, [], "2026-03", "2026"))
    assert fake.filters[-1] == Filters((), "2026-03-01", "2026-12-31")
    list(chat_turn(fake, "In 2025?", [], 4, [], "2025", "2025-02"))
    assert fake.filters[-1] == Filters((), "2025-01-01", "2025-02-28")

    _, messages, _, turns = list(chat_turn(fake, "When?", [], 4, [], "last week", ""))[-1]
    assert messages[-1]["content"].startswith("⚠️ since must be a date like 2026-03-14") and not turns[0].ok


def test_upload_articles_reports_the_summary_or_the_error(tmp_path: Any) -> None:
    from rag.errors import IndexLockedError
    from ui.app import upload_articles

    article = tmp_path / "<b>news.md"
    article.write_text("# News\n\nText.", "utf-8")
    received: list[Any] = []
    stages: list[tuple[float, str]] = []

    def add(files: Sequence[tuple[str, bytes]], on_progress: Any = None) -> dict[str, Any]:
        received.extend(files)
        on_progress("reading", 1, 1)
        on_progress("embedding", 1, 2)
        return {"added": ["a"], "updated": [], "unchanged": 0, "duplicates": [], "articles_total": 9,
                "passages_total": 30, "passages_embedded": 2,
                "failed": [{"source": "x", "reason": "<img src=x onerror=alert(1)> is empty"}]}

    summary = upload_articles(add, [str(article)], lambda share, desc="": stages.append((share, desc)))
    assert received == [("<b>news.md", b"# News\n\nText.")]
    assert stages == [(0.1, "reading 1/1"), (0.55, "embedding 1/2")]
    assert "added 1, updated 0, unchanged 0, duplicates 0, failed 1" in summary
    assert "holds 9 articles, 30 passages" in summary
    assert "&lt;img src=x onerror=alert(1)&gt; is empty" in summary and "<img" not in summary

    def locked(files: Any, on_progress: Any = None) -> dict[str, Any]:
        raise IndexLockedError("another process is writing the index: try again when it has finished")

    assert "another process is writing" in upload_articles(locked, [str(article)])
    assert "Choose one or more article files" in upload_articles(add, [])
    assert "cannot add articles" in upload_articles(None, [str(article)])


def test_model_info_and_report_rendering_escape_everything() -> None:
    info = render_model_info({"llm": "<b>bundled</b>", "llm_url": "http://x/v1", "llm_format": "completion", "k": 5,
                              "queue": {"waiting": 3, "running": 1, "workers": 1}})
    assert "LLM: <code>&lt;b&gt;bundled&lt;/b&gt;</code>" in info and "<b>" not in info
    assert "prompt format: <code>completion</code>" in info
    assert "generation queue: 3 waiting, 1 being answered, 1 at a time" in info
    assert "prompt format" not in render_model_info({"llm": "bundled", "llm_format": "chat"})
    assert "failed 0" in render_index_report({"added": [], "failed": []})
    noted = render_index_report({"added": ["a.txt"], "failed": [], "notes": [
        {"source": "a.txt", "note": 'a.txt: left out 1 sentence that gives orders to an AI assistant ("<b>Ignore")'}]})
    assert 'class="rag-upload-note"' in noted and "left out 1 sentence" in noted and "<b>" not in noted
    assert chat_answer("See [2] <img src=x>", "p-") == \
        'See <a href="#p-2" class="rag-marker">&#91;2&#93;</a> &lt;img src=x&gt;'


def test_launch_refuses_an_exposed_address_without_a_token() -> None:
    from rag.errors import InvalidRequestError
    from ui.app import launch

    with pytest.raises(InvalidRequestError, match="without a token"):
        launch(host="0.0.0.0", port=free_port(), token="")


def test_launch_serves_through_rag_serve_with_the_chat_the_queue_and_the_thread_budgets(
        monkeypatch: pytest.MonkeyPatch) -> None:
    """`ui.launch` is `rag serve` from Python: the same start-up (thread budgets, the model behind its queue), with
    this chat mounted at /."""
    import uvicorn
    from fastapi.testclient import TestClient

    import rag.serve
    import rag.serve.start
    from rag.serve.queue import QueuedLLM
    from rag.settings import Settings
    from ui.app import build_app, launch

    seen: dict[str, Any] = {}
    real_serve = rag.serve.serve

    def serve(settings: Settings, **options: Any) -> None:
        seen["serve"] = (settings, options)
        real_serve(settings, **options)

    def set_thread_budgets(settings: Settings) -> dict[str, int]:
        seen["budgets"] = settings
        return {"embedding": 1, "faiss": 1, "llm": 1}

    class Model:
        name, chat, context_size = "fake-llm", False, 2048

        def count_tokens(self, text: str) -> int:
            return len(text.split())

        def stream(self, prompt: Any, max_tokens: int = 160, temperature: float = 0.0) -> Iterator[str]:
            yield "The"

    queued = QueuedLLM(Model())

    def load_served_assistant(settings: Settings) -> tuple[FakeAssistant, QueuedLLM]:
        seen["loaded"] = settings
        return FakeAssistant(), queued

    monkeypatch.setattr(rag.serve, "serve", serve)
    monkeypatch.setattr(rag.serve.start, "set_thread_budgets", set_thread_budgets)
    monkeypatch.setattr(rag.serve.start, "load_served_assistant", load_served_assistant)
    class Listening:
        def close(self) -> None:
            seen["closed"] = True

    monkeypatch.setattr(rag.serve.start, "bound_socket", lambda host, port: seen.update(bound=(host, port))
                        or Listening())
    monkeypatch.setattr(uvicorn.Server, "run", lambda server, sockets=None: seen.update(
        run=(server.config.app, {"host": server.config.host, "port": server.config.port, "sockets": sockets})))
    launch(Settings(k=3), port=8123)

    settings, options = seen["serve"]
    assert options["chat"] is build_app
    assert settings.port == 8123 and settings.k == 3 and settings.host == "127.0.0.1"
    assert seen["budgets"] is settings and seen["loaded"] is settings
    app, run_options = seen["run"]
    assert run_options["host"] == "127.0.0.1" and run_options["port"] == 8123
    assert seen["bound"] == ("127.0.0.1", 8123) and isinstance(run_options["sockets"][0], Listening) and seen["closed"]
    with TestClient(app, base_url="http://127.0.0.1:8123") as client:
        assert client.get("/api/health").json()["model"]["queue"]["workers"] == 1  # the queue it was given
        assert client.get("/config").status_code == 200  # the chat, at /


# --- one way to ask from code: the JSON API, not Gradio's ---------------------------------------------------------


def test_the_chat_takes_the_date_time_phrases_count_from_and_checks_k() -> None:
    from ui.app import chat_turn

    fake = FakeAssistant()
    list(chat_turn(fake, "What flooded last month?", [], None, as_of="2026-03-14"))
    assert fake.dates[-1] == datetime.date(2026, 3, 14) and fake.calls[-1][2] is None, "k: the assistant's setting"
    list(chat_turn(fake, "What flooded last month?", [], 2, as_of="2026-02"))
    assert fake.dates[-1] == datetime.date(2026, 2, 28) and fake.calls[-1][2] == 2
    list(chat_turn(fake, "What flooded last month?", [], 2, as_of=""))
    assert fake.dates[-1] is None, "blank: the server's as_of setting, else today"

    asked = len(fake.calls)
    for k, as_of, message in ((2, "2026-13-40", "2026-13-40"), (0, "", "k must be at least 1")):
        _, messages, _, turns = list(chat_turn(fake, "What flooded last month?", [], k, as_of=as_of))[-1]
        assert message in messages[-1]["content"] and not turns[0].ok
    assert len(fake.calls) == asked, "a malformed date or k never reaches the assistant"


def test_the_app_adds_no_gradio_api_endpoints() -> None:
    """Programs ask through /api/ask, /api/search and /v1/chat/completions (tests/test_server.py); the chat's events
    are UI-only, neither listed nor callable by gradio_client, so no second API drifts from the first."""
    from ui.app import build_app

    app = build_app(FakeAssistant(), add_articles=lambda pairs, on_progress=None: {})
    assert app.get_api_info()["named_endpoints"] == {}
    assert app.fns and {fn.api_visibility for fn in app.fns.values()} == {"private"}


def test_the_question_box_holds_no_more_than_a_question_may_have() -> None:
    # It took 3,000 characters and only then said the limit was 2,000.
    from ui.app import build_app

    app = build_app(FakeAssistant(), add_articles=lambda pairs, on_progress=None: {})
    [box] = [block for block in app.blocks.values() if getattr(block, "elem_id", None) == "rag-question"]
    assert getattr(box, "max_length", None) == 2000


def test_every_quoted_sentence_is_marked_and_escaped() -> None:
    text = "Boats came. The <ferry> opened in May. Crowds cheered. It cost 4 million."
    passage = make_passage(text=text)
    first = (text.index("The <ferry>"), text.index(" Crowds"))
    second = (text.index("It cost"), len(text))
    citation = Citation(1, passage, text[first[0]:first[1]], first[0], first[1], 1.0, (first, second))
    markup = render_sources(Answer("q", "a [1]", (citation,)))
    assert "<mark>The &lt;ferry&gt; opened in May.</mark>" in markup
    assert "<mark>It cost 4 million.</mark>" in markup
    assert "<ferry>" not in markup


def test_an_empty_question_is_told_to_type_one_and_asks_nothing() -> None:
    from ui.app import chat_turn

    fake = FakeAssistant()
    [(_, messages, panel, turns)] = list(chat_turn(fake, "   ", [], 4))
    assert "Type a question in the box first" in panel and messages == [] and turns == [] and fake.calls == []


# --- the copy buttons: plain text, never the chat's HTML ----------------------------------------------------------


def test_an_answer_copies_as_plain_text_with_its_markers_and_cited_sources() -> None:
    """The chat's copy buttons copied a message's HTML (`<a href="#rag-source-1-2" class="rag-marker">&#91;2&#93;</a>`)
    and none of its sources: pasted into an e-mail, markup. The clipboard now gets the answer, its markers, and
    each cited source (title, outlet, date, page, link, the outlets of the same story and the quoted evidence)."""
    from ui.render import answer_plain_text

    text = "The river rose overnight. The town <b>flooded</b> in May.\n  Repairs took a year."
    floods = make_passage(text=text, title="Floods in\nthe valley", source="Valley Times", page=4,
                          published="2024-05-03T08:00:00+00:00")
    first = (text.index("The town"), text.index("\n  Repairs"))
    second = (text.index("Repairs"), len(text))
    other = make_passage(article_id="a2", title="Repairs begin", source="Herald", url="javascript:alert(1)",
                         text="Crews came.", published="")
    herald = Citation(1, other, "Crews came.", 0, 11, 0.9, same_story=(make_passage(source="Courier"),))
    answer = Answer("When did it flood?", "It flooded in May [2]. Crews came [1].",
                    (Citation(2, floods, text[slice(*first)], *first, 0.9, (first, second)), herald))
    copied = answer_plain_text(answer)
    assert copied == "\n".join([
        "It flooded in May [2]. Crews came [1].",
        "",
        "Sources:",
        "[1] Repairs begin",
        "    Herald",  # a javascript: address is left out, as the panel does not link it
        "    reported by Herald, Courier",
        '    "Crews came."',
        "[2] Floods in the valley",
        "    Valley Times · 2024-05-03 · page 4 · https://example.org/floods",
        '    "The town <b>flooded</b> in May."',  # the article's own words, as they are: plain text escapes nothing
        '    "Repairs took a year."',
    ])
    assert "&#" not in copied and "rag-marker" not in copied and "<a " not in copied

    refused = Answer("Who won?", CANNOT_ANSWER, refused=True)
    assert answer_plain_text(refused) == CANNOT_ANSWER
    no_quote = Answer("q", "Yes [1].", (Citation(1, make_passage(url="")),))
    assert answer_plain_text(no_quote).endswith(
        "[1] Floods in the valley\n    news.jsonl · 2024-05-03\n"
        '    "The river rose overnight. The town flooded in May. Repairs took a year."')  # the passage, shown whole


def test_the_copy_buttons_copy_the_plain_text_of_the_shown_answer_and_of_the_conversation() -> None:
    from ui.app import COPY_ANSWER, COPY_CONVERSATION, build_app, chat_turn, copy_texts, select_turn

    fake = FakeAssistant()
    *_, turns = list(chat_turn(fake, "When did the town flood?", [], 3))[-1]
    *_, turns = list(chat_turn(fake, "Please crash", turns, 3))[-1]
    answer, conversation = copy_texts(turns)
    assert answer == "internal error: ZeroDivisionError: boom"
    first = turns[0].plain_text
    assert first.startswith("The town flooded in May [1].\n\nSources:\n[1] Floods in the valley\n")
    assert conversation == (f"Question: When did the town flood?\nAnswer: {first}\n\n"
                            "Question: Please crash\nAnswer: internal error: ZeroDivisionError: boom")
    assert copy_texts([]) == ("", "")

    class Clicked:  # gr.SelectData's one field read here: the message clicked (0 is the first question)
        index = 1

    assert select_turn(turns, Clicked()) == (turns[0].sources_html, first)  # type: ignore[arg-type]

    # Gradio's own copy buttons (they copy the HTML) are gone; the chat's corner has ours instead.
    app = build_app(fake, add_articles=lambda pairs, on_progress=None: {})
    [chatbot] = [block for block in app.blocks.values() if getattr(block, "elem_id", None) == "rag-chat"]
    buttons = list(getattr(chatbot, "buttons", None) or [])
    assert not any(isinstance(button, str) and button.startswith("copy") for button in buttons)
    assert [getattr(button, "value", None) for button in buttons] == [COPY_ANSWER, COPY_CONVERSATION]


# --- uploads: a bad file among good ones ---------------------------------------------------------------------


def test_a_file_refused_in_an_upload_is_named_with_its_fix_and_the_good_ones_are_added(tmp_path: Any) -> None:
    """One file over `--max-file-mb` (or of an unsupported type, sent past the browser's check) among twenty made
    the whole upload fail: the nineteen good files were not added, and the upload box was emptied."""
    from rag.ingest.indexer import UpdateOptions
    from rag.ingest.uploads import add_files
    from rag.settings import Settings
    from rag.store.generations import PassageIndex
    from tests.conftest import FakeEmbedder
    from ui.app import upload_articles

    folder = tmp_path / "index"
    options = UpdateOptions.from_settings(Settings(), "upload", max_file_bytes=2_000)
    sent: list[list[str]] = []

    def add(files: Sequence[tuple[str, bytes]], on_progress: Any = None) -> dict[str, Any]:
        sent.append([name for name, _ in files])
        return add_files(files, folder, FakeEmbedder(), options, on_progress=on_progress).to_dict()

    chosen = tmp_path / "chosen"
    chosen.mkdir()
    names = [f"town-{number:02d}.md" for number in range(20)]
    for number, name in enumerate(names):
        (chosen / name).write_text(f"# Town {number} news\n\nThe hall of town {number} reopened in May {number}.\n")
    (chosen / "huge.txt").write_text("Huge report. " * 400)
    (chosen / "empty.txt").write_text("")
    (chosen / "run.sh").write_text("rm -rf /")
    paths = [str(chosen / name) for name in ["huge.txt", *names[:10], "run.sh", "empty.txt", *names[10:]]]

    summary = upload_articles(add, paths)
    assert "added 20, updated 0, unchanged 0, duplicates 0, failed 3" in summary, summary
    assert "huge.txt: is 5200 bytes, more than the limit of 2000 bytes (split it into smaller files" in summary
    assert "run.sh: has the unsupported suffix &#x27;.sh&#x27; (upload one of" in summary
    assert "empty.txt: is empty" in summary
    assert len(PassageIndex.load(folder).articles) == 20
    assert sent[-1] == [*names[:10], "empty.txt", *names[10:]], "the refused files are left out, the others sent"

    # Nothing left to send: every file is named, and nothing is stored.
    alone = upload_articles(add, [str(chosen / "run.sh")])
    assert "added 0" in alone and "failed 1" in alone and "run.sh: has the unsupported suffix" in alone


def test_files_refused_whole_stay_chosen_to_be_sent_again_and_files_taken_do_not(tmp_path: Any) -> None:
    """"Another process is writing the index ... send the files again when it has finished", said over an emptied
    upload box: the files had to be found and chosen again."""
    import gradio as gr

    from rag.errors import IndexLockedError
    from ui.app import build_app

    article = tmp_path / "news.md"
    article.write_text("# News\n\nText.", "utf-8")
    busy = True

    def add(files: Sequence[tuple[str, bytes]], on_progress: Any = None) -> dict[str, Any]:
        if busy:
            raise IndexLockedError("another process is writing the index: send the files again when it has finished")
        return {"added": ["a"], "failed": []}

    app = build_app(FakeAssistant(), add_articles=add)
    [upload] = [fn.fn for fn in app.fns.values() if fn.name == "upload" and fn.fn is not None]
    summary, _, _, files = upload([str(article)], lambda *_, **__: None)
    assert "send the files again" in summary and files == gr.skip()
    busy = False
    summary, _, _, files = upload([str(article)], lambda *_, **__: None)
    assert "added 1" in summary and files is None


def test_an_uploads_progress_names_the_file_being_read_and_its_report_counts_its_own_files(tmp_path: Any) -> None:
    """The bar said only "reading 3/7", and the report "unchanged 5" for one new file after five earlier uploads."""
    from rag.ingest.indexer import UpdateOptions
    from rag.ingest.uploads import add_files
    from rag.settings import Settings
    from tests.conftest import FakeEmbedder
    from ui.app import upload_articles

    folder = tmp_path / "index"
    options = UpdateOptions.from_settings(Settings(), "upload")

    def add(files: Sequence[tuple[str, bytes]], on_progress: Any = None) -> dict[str, Any]:
        return add_files(files, folder, FakeEmbedder(), options, on_progress=on_progress).to_dict()

    chosen = tmp_path / "chosen"
    chosen.mkdir()
    for name in ("ferry.md", "library.md", "storm.md"):
        (chosen / name).write_text(f"# {name[:-3]} news\n\nThe {name[:-3]} story was reported in May.\n")
    shown: list[str] = []
    first = upload_articles(add, [str(chosen / "ferry.md"), str(chosen / "library.md")],
                            lambda share, desc="": shown.append(desc))
    assert "added 2, updated 0, unchanged 0" in first
    assert "reading ferry.md (file 1 of 2)" in shown and "reading library.md (file 2 of 2)" in shown, shown
    second = upload_articles(add, [str(chosen / "storm.md")], lambda share, desc="": shown.append(desc))
    assert "added 1, updated 0, unchanged 0" in second, second  # not the two earlier files, read again unchanged
    assert "reading storm.md (file 3 of 3)" in shown, shown  # the earlier files are not read again, only counted
