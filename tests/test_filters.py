"""Filters: the one parser of date bounds and sources (`rag.records.Filters.parse`), and what it lets through.

The same parser serves the CLI, the HTTP API and the chat: the CLI is tested here, the other two in test_server.py
and test_ui.py."""

from __future__ import annotations

import pytest

from rag.errors import InvalidRequestError
from rag.records import Filters, Passage, date_bound


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


def test_cli_flags_use_the_same_parser() -> None:
    from rag.cli import _filters, build_parser

    parser = build_parser()
    for command in (["search", "q"], ["ask", "q"], ["eval", "q.jsonl"]):
        arguments = parser.parse_args([*command, "--since", "2026", "--until", "2026-02"])
        assert _filters(arguments) == Filters((), "2026-01-01", "2026-02-28")
