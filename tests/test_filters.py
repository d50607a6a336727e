"""Filters: the one parser of date bounds and sources (`rag.records.Filters.parse`), and what it lets through.

The same parser serves the CLI, the HTTP API and the chat: the CLI is tested here, the other two in test_server.py
and test_ui.py."""

from __future__ import annotations

from pathlib import Path

import pytest

from rag.answer.prompts import CANNOT_ANSWER
from rag.errors import InvalidRequestError
from rag.records import Filters, Passage, date_bound
from tests.conftest import FakeEmbedder, ScriptedLLM


@pytest.mark.parametrize(("value", "last", "expected"), [
    ("2026", False, "2026-01-01"),
    ("2026", True, "2026-12-31"),
    ("2026-03", False, "2026-03-01"),
    ("2026-04", True, "2026-04-30"),
    ("2024-02", True, "2024-02-29"),
    ("2023-02", True, "2023-02-28"),
    (" 2026-03-14 ", True, "2026-03-14"),
])
def test_date_bounds_expand_to_the_first_or_last_day(value: str, last: bool, expected: str) -> None:
    assert date_bound(value, last=last) == expected


@pytest.mark.parametrize("value", ["March", "2026-13", "2026-02-30", "26-03-14", "2026/03/14", "last week"])
def test_bad_date_bounds_are_refused_by_name(value: str) -> None:
    with pytest.raises(InvalidRequestError, match=r"until must be a date like 2026-03-14"):
        Filters.parse(until=value)


def published(date: str) -> Passage:
    return Passage("a", "T", "gazette/a.md", "", "text", 0, 4, published=date)


def test_a_year_or_month_bound_keeps_the_whole_period() -> None:
    filters = Filters.parse(since="2026-03", until="2026")
    assert filters is not None and filters == Filters((), "2026-03-01", "2026-12-31")
    assert filters.allows(published("2026-03-01")) and filters.allows(published("2026-12-31T23:00:00"))
    assert not filters.allows(published("2026-02-28")) and not filters.allows(published("2027-01-01"))
    march = Filters.parse(until="2026-03")
    assert march is not None and march.allows(published("2026-03-31"))


def test_an_empty_range_and_empty_values() -> None:
    with pytest.raises(InvalidRequestError, match="the date range is empty"):
        Filters.parse(since="2026-05", until="2026-04")
    assert Filters.parse([" ", ""], " ", None) is None
    assert Filters.parse(["gazette", "gazette", " wire "]) == Filters(("gazette", "wire"))


def test_a_source_matches_whatever_its_case() -> None:
    assert Filters(("Gazette",)).allows(published("2026-01-01"))  # source "gazette/a.md"
    assert Filters(("maplewood gazette",)).matches("Maplewood Gazette", "")
    assert not Filters(("maplewood",)).matches("Maplewood Gazette", "")


def test_a_source_on_disk_stands_for_the_articles_read_from_there(tmp_path: Path) -> None:
    # `rag index corpus` names corpus/ferry.html "ferry.html": `--source corpus` found nothing.
    from rag.cli import _filters, _in_index, build_parser
    from rag.store.generations import ArticleRecord

    corpus = tmp_path / "corpus"
    (corpus / "sub").mkdir(parents=True)
    records = {str(path): ArticleRecord(str(path), "h", "T", source, str(path)) for path, source in [
        (corpus / "ferry.html", "ferry.html"), (corpus / "sub" / "dock.md", "sub/dock.md"),
        (tmp_path / "other" / "mill.txt", "mill.txt")]}
    parser = build_parser()
    chosen = [str(corpus), str(corpus / "sub"), "Maplewood Gazette", str(tmp_path / "missing")]
    found = [_in_index(_filters(parser.parse_args(["search", "q", "--source", value])), records).sources
             for value in chosen]
    assert found == [("ferry.html", "sub/dock.md"), ("sub/dock.md",), ("Maplewood Gazette",),
                     (str(tmp_path / "missing"),)]


def test_cli_flags_use_the_same_parser() -> None:
    from rag.cli import _filters, build_parser

    parser = build_parser()
    for command in (["search", "q"], ["ask", "q"], ["eval", "q.jsonl"]):
        arguments = parser.parse_args([*command, "--since", "2026", "--until", "2026-02"])
        assert _filters(arguments) == Filters((), "2026-01-01", "2026-02-28")


def test_a_refusal_says_when_the_filters_let_no_article_through(tmp_path: Path) -> None:
    """A mistyped source or dates the collection does not cover: the refusal says so (no article was asked), where
    filters that let articles through refuse as ever."""
    from rag.answer.assistant import Assistant
    from rag.answer.evidence import WordOverlap
    from rag.answer.retrieve import Retriever
    from rag.ingest.indexer import UpdateOptions, update_index
    from rag.settings import Settings

    articles = tmp_path / "articles"
    articles.mkdir()
    (articles / "ferry.txt").write_text("Ferry line\n\nPORT ELLAN, 4 February 2026 - The ferry line to Pine Island "
                                        "opened on 3 May with two boats.\n", encoding="utf-8")
    update_index([articles], tmp_path / "index", FakeEmbedder(), UpdateOptions(progress=False))
    retriever = Retriever.load(tmp_path / "index", FakeEmbedder())
    assistant = Assistant(retriever, ScriptedLLM("unused"), Settings(index=str(tmp_path / "index"), k=3),
                          WordOverlap(retriever.term_weights))
    question = "When did the ferry line open?"
    for filters, said in ((Filters(sources=("ferri.txt",)), "(source 'ferri.txt')"),
                          (Filters(since="2027-01-01"), "(published from 2027-01-01)")):
        answer = assistant.ask(question, filters=filters)
        assert answer.refused and answer.text.startswith(CANNOT_ANSWER), answer
        assert answer.text.endswith(f"No indexed article matches your filters {said}."), answer.text
    assert not assistant.ask(question, filters=Filters(sources=("ferry.txt",))).refused
    unanswered = assistant.ask("Who won the harbour regatta?", filters=Filters(sources=("ferry.txt",)))
    assert unanswered.refused and "filters" not in unanswered.text, unanswered.text
