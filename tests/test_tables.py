"""Tables of figures read as text (rag.answer.tables): the cell a question asks for, then the answer path with a
reader that takes a run of numbers, as the real one did."""

from __future__ import annotations

from pathlib import Path

import pytest

from rag.answer.tables import columns, grid_cell, table_cell
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


CITIES = ("City table\n\nCity | Median rent (EUR/month) | Price-to-income ratio\n\nArden | 1,240 | 7.8\n\n"
          "Belmont | 980 | 6.1\n\nCorrin | 1,510 | 9.4\n\nDunmore | 870 | 5.2")
UPTAKE = ("Group | Uptake 2024-25 | Uptake 2025-26 | Target\n\nOver 65s | 69.8% | 71.5% | 75%\n\n"
          "Health workers | 52.4% | 49.9% | 75%")
TIERS = ("Tier | Main obligation | Deadline after entry into force\n\nMinimal | none | -\n\n"
         "Limited | transparency notice | 12 months\n\nProhibited | ban | 6 months")


@pytest.mark.parametrize("question, text, shown", [
    ("What is the price-to-income ratio in Arden?", CITIES, "7.8"),  # not the median rent column's 1,240
    ("What is the median rent in Corrin?", CITIES, "1,510 EUR/month"),
    ("Which city has the lowest price-to-income ratio?", CITIES, "Dunmore"),
    ("Which city has the highest median rent?", CITIES, "Corrin"),
    ("Which group's flu vaccination uptake fell?", UPTAKE, "Health workers"),
    ("How long after entry into force must limited-risk systems comply?", TIERS, "12 months"),
    ("How soon must prohibited AI practices stop after the bill enters into force?", TIERS, "6 months"),
])
def test_a_pipe_tables_cell_is_chosen_by_row_and_column_header(question: str, text: str, shown: str) -> None:
    """An analyst's "price-to-income ratio in Arden" was answered with the median rent column's 1,240, and the
    tables whose columns are no times (city, rent, ratio) were not read at all."""
    cell = grid_cell(question, text)
    assert cell is not None and cell.shown == shown


@pytest.mark.parametrize("question, text", [
    ("What is the median rent?", CITIES),  # no row named, no superlative: which city cannot be told
    ("Why is Corrin so dear?", CITIES),
    ("Which group's uptake rose?", UPTAKE + "\n\nPregnant women | 38.2% | 41.0% | 50%"),  # two rose: not one
])
def test_no_pipe_table_cell_where_the_question_does_not_say_which(question: str, text: str) -> None:
    assert grid_cell(question, text) is None


def test_a_pipe_tables_cell_answers_with_its_row_and_column(tmp_path: Path) -> None:
    ask = asker(tmp_path, {"index": ("Housing Affordability Index", CITIES)}, {"1,240": "CARDINAL"})
    run = {"1,240": 0.9}
    assert ask("What is the price-to-income ratio in Arden?", run).startswith(
        "7.8 (Arden, price-to-income ratio) [1]")
    assert ask("Which city has the lowest price-to-income ratio?", run).startswith(
        "Dunmore (price-to-income ratio 5.2) [1]")


def test_a_cell_named_by_row_and_column_answers_though_the_evidence_seems_weak(tmp_path: Path) -> None:
    """An analyst's "How soon must prohibited AI practices stop after the bill enters into force?" was refused: the
    evidence scorer, trained on sentences, scored the table's rows below the refusal threshold."""
    tiers = "Obligations by tier\n\n" + TIERS
    ask = asker(tmp_path, {"bill": ("The AI bill: an overview", tiers)}, {"6 months": "DATE"})
    answer = ask("How soon must prohibited AI practices stop after the bill enters into force?", {"6 months": 0.9},
                 refusal_threshold=0.999)
    assert answer.startswith("6 months (Prohibited, deadline after entry into force) [1]")
