"""Tables of figures read as text (rag.answer.tables): the cell a question asks for, then the answer path with a
reader that takes a run of numbers, as the real one did."""

from __future__ import annotations

from pathlib import Path

import pytest

from rag.answer.tables import columns, table_cell
from tests.test_reader_quote import asker

FIGURES = ("Key figures\nFigure Q1 2025 Q1 2024\nRevenue (EUR million) 12.4 11.7\nPassengers 318,000 297,500\n"
           "Net profit (EUR million) 1.9 1.4\nFuel cost (EUR million) 3.6 3.9\nOn-time departures 94.2% 91.8%")


@pytest.mark.parametrize("question, shown, column", [
    ("What was the net profit in Q1 2025?", "EUR 1.9 million", "Q1 2025"),
    ("What was the net profit in the first quarter of 2024?", "EUR 1.4 million", "Q1 2024"),
    ("How many passengers were carried in the first quarter of 2025?", "318,000", "Q1 2025"),
    ("What share of departures were on time in Q1 2024?", "91.8%", "Q1 2024"),
    ("What was the fuel cost?", "EUR 3.6 million", "Q1 2025"),  # no time named: the first column, said
])
def test_the_cell_is_the_row_and_column_asked_for(question: str, shown: str, column: str) -> None:
    cell = table_cell(question, FIGURES)
    assert cell is not None and (cell.shown, cell.column) == (shown, column)
    assert FIGURES[cell.start:cell.end] in shown


@pytest.mark.parametrize("question, text", [
    ("What was the net profit in Q2 2025?", FIGURES),  # no column of that time: another report's table
    ("What was the net profit in 2023?", FIGURES),
    ("Who is the chief executive?", FIGURES),  # no row asked about
    ("What was the net profit in Q1 2025?", "Net profit (EUR million) 1.9 1.4"),  # one line is no table
    ("How many goals were scored in 2024?", "The club scored 54 goals in 2024, and 61 in 2023."),
])
def test_no_cell_is_read_where_the_table_cannot_say(question: str, text: str) -> None:
    assert table_cell(question, text) is None


def test_columns_are_read_off_the_end_of_the_header() -> None:
    assert columns("Figure FY2025 FY2024", 2) == ["FY2025", "FY2024"]
    assert columns("Figure Q2 2025 Q2 2024", 2) == ["Q2 2025", "Q2 2024"]  # not "Q2" and "2024"
    assert columns("Key figures", 2) == []


def test_a_figure_from_a_table_is_answered_with_its_unit_row_and_column(tmp_path: Path) -> None:
    """An analyst's "What was the net profit in Q1 2024?" was answered "1.9 1.4 Fuel cost" (the reader's run of
    numbers across two columns and a row)."""
    ask = asker(tmp_path, {"q1": ("Interim report Q1 2025", FIGURES)}, {"1.9 1.4": "CARDINAL"})
    run = {"1.9 1.4": 0.9}
    assert ask("What was the net profit in Q1 2024?", run).startswith("EUR 1.4 million (net profit, Q1 2024) [1]")
    assert ask("What was the net profit in Q1 2025?", run).startswith("EUR 1.9 million (net profit, Q1 2025) [1]")


def test_an_html_tables_rows_each_a_paragraph_are_read_as_one_table(tmp_path: Path) -> None:
    """A reviewer's finding: an HTML table reaches the index as "| … | … |" rows, each a paragraph of its own."""
    html = ("Northwind's key figures.\n\n| Figure | 2025 | 2024 |\n\n| Revenue (EUR million) | 12.4 | 11.7 |\n\n"
            "| Net profit (EUR million) | 1.9 | 1.4 |")
    ask = asker(tmp_path, {"report": ("Annual report", html)}, {"1.9": "CARDINAL"})
    assert ask("What was the net profit in 2024?", {"1.9": 0.9}).startswith("EUR 1.4 million (net profit, 2024) [1]")


@pytest.mark.parametrize("question", ["How many points did Arsenal finish with?", "Why did Arsenal win?"])
def test_no_cell_where_columns_or_the_question_do_not_say_which(question: str) -> None:
    league = "Team P W D L Pts\nArsenal 38 26 6 6 84\nChelsea 38 20 9 9 69"
    assert table_cell(question, league) is None
