"""Tables as text: the value of the row and column a question asks for.

A report's table of key figures reaches the index as lines of text (a PDF's table, an HTML table's rows), a header
of column labels and one row per figure:

    Figure Q1 2025 Q1 2024
    Net profit (EUR million) 1.9 1.4
    Fuel cost (EUR million) 3.6 3.9

The span reader, trained on sentences, answers from such lines with runs of numbers ("1.9 1.4 Fuel cost").
`table_cell` finds the row whose label the question names ("net profit") and the column its time names ("Q1 2025",
or "the first quarter of 2025"), and `table_reading` (one of the assistant's reading rules) answers with that cell,
its unit and its column said with it: "EUR 1.9 million (net profit, Q1 2025)".
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass

from rag.answer.evidence import Evidence
from rag.answer.reader import Reading, SpanFinder
from rag.models.span_reader import Span
from rag.records import Passage
from rag.text import MAGNITUDES, content_words, period_parts, specific_terms

_VALUE = re.compile(r"[-+]?(?:[$£€¥])?\d[\d,]*(?:\.\d+)?%?")
_TOKEN = re.compile(r"[^\s|]+")


@dataclass(frozen=True)
class Row:
    """A line of a table of figures: its offsets in the text, its label, and its values' offsets, in order."""

    start: int
    end: int
    label: str
    values: tuple[tuple[int, int], ...]


def table_rows(text: str, start: int = 0, end: int | None = None) -> list[Row]:
    """The rows of figures among the lines of `text[start:end]`: a label with a letter in it, then two or more
    values to the end of the line, cells apart by white space (a PDF's lines) or "|" (an HTML or Markdown table's).
    Read token by token from each line's end, in time linear in the text (a regular expression for it went back
    and forth over every long line of prose).

    >>> text = ("Key figures\\nNet profit (EUR million) 1.9 1.4\\n| Passengers | 318,000 | 297,500 |\\n"
    ...         "Sales rose 4 5 times.")
    >>> [(row.label, [text[a:b] for a, b in row.values]) for row in table_rows(text)]
    [('Net profit (EUR million)', ['1.9', '1.4']), ('Passengers', ['318,000', '297,500'])]
    """
    end = len(text) if end is None else end
    rows = []
    line_start = start
    while line_start <= end:
        line_end = text.find("\n", line_start, end)
        line_end = end if line_end < 0 else line_end
        tokens = list(_TOKEN.finditer(text, line_start, line_end))
        count = 0
        while count < len(tokens) and _VALUE.fullmatch(tokens[len(tokens) - 1 - count].group()):
            count += 1
        if count >= 2 and count < len(tokens):
            values = tokens[len(tokens) - count:]
            label = text[line_start:values[0].start()].strip(" \t|")
            # a label names the row ("Net profit (EUR million)"); a sentence ending in figures is prose
            if any(character.isalpha() for character in label) and not label.rstrip().endswith((".", ",", ":")) \
                    and len(label.split()) <= 8:
                rows.append(Row(line_start, line_end, label, tuple(value.span() for value in values)))
        line_start = line_end + 1
    return rows


ASKS_VALUE = re.compile(r"\s*(?:what|how\s+(?:many|much|high|low|large|big)|which)\b", re.IGNORECASE)
"""The questions a table's cell answers: what a figure was, how many or how much; not why, nor yes or no."""
_UNIT = re.compile(rf"\((?P<currency>[A-Z]{{3}}|[$£€¥])?\s*(?P<magnitude>{'|'.join(MAGNITUDES)})?\)\s*$")
"""A row label's unit in brackets: "(EUR million)", "(£)", "(million)"."""

ROWS_FOR_A_TABLE = 2
"""Rows of figures a text must hold to be read as a table: one such line is as often a sentence's list."""


@dataclass(frozen=True)
class Cell:
    """The value a question asks for in a table: at `start:end` of the text, in the row `row` (its label, without
    its unit) and the column `column` (its header's label; empty when the table has no header the columns could be
    read from)."""

    start: int
    end: int
    row: str
    column: str
    shown: str
    """The value as an answer says it: with the row's unit ("EUR 1.9 million")."""


def _shape(label: str) -> str:
    """A column label's form, digits and letters aside: "Q1 2025" and "Q2 2024" are alike, "Q2" and "2024" not."""
    return re.sub(r"[^\W\d_]+", "a", re.sub(r"\d+", "9", label))


def columns(header: str, count: int) -> list[str]:
    """The labels of a table's `count` columns, read off the end of its header line: the fewest words per column
    that give every column the same form. Empty when none does.

    >>> columns("Figure Q1 2025 Q1 2024", 2)
    ['Q1 2025', 'Q1 2024']
    >>> columns("Year 2025 2024 2023", 3)
    ['2025', '2024', '2023']
    >>> columns("Key figures", 2)
    []
    """
    words = header.split()
    for size in (1, 2, 3):
        if size * count > len(words):
            break
        tail = words[len(words) - size * count:]
        labels = [" ".join(tail[index * size:(index + 1) * size]) for index in range(count)]
        if (len({_shape(label) for label in labels}) == 1 and len(set(labels)) == count
                and all(any(character.isdigit() for character in label) for label in labels)):
            return labels
    return []


def _terms(text: str) -> set[str]:
    return content_words(text) | period_parts(text)


def table_cell(question: str, text: str) -> Cell | None:
    """The cell of the table in `text` that `question` asks for: the row whose label shares the most of the
    question's words (at least one), in the column whose label shares the most of its specific terms (years,
    quarters: "first quarter of 2025" is "Q1 2025"); the first column when the question names no column's time.
    None when `text` holds no table (`ROWS_FOR_A_TABLE`), no row's label is asked about, or the question names a
    time no column has.

    >>> table = ("Key figures\\nFigure Q1 2025 Q1 2024\\nRevenue (EUR million) 12.4 11.7\\n"
    ...          "Net profit (EUR million) 1.9 1.4")
    >>> cell = table_cell("What was the net profit in the first quarter of 2024?", table)
    >>> table[cell.start:cell.end], cell.shown, cell.row, cell.column
    ('1.4', 'EUR 1.4 million', 'Net profit', 'Q1 2024')
    >>> table_cell("What was revenue in Q2 2025?", table) is None  # no column of that time
    True
    >>> table_cell("Why did net profit rise in Q1 2025?", table) is None  # no figure asked for
    True
    >>> html = ("| Figure | 2025 | 2024 |\\n\\n| Net profit (EUR million) | 1.9 | 1.4 |\\n\\n"
    ...         "| Revenue (EUR million) | 12.4 | 11.7 |")
    >>> table_cell("What was the net profit in 2024?", html).shown
    'EUR 1.4 million'
    """
    rows = table_rows(text)
    header = ""
    if rows and all(re.fullmatch(r"(?:19|20)\d\d", text[a:b]) for a, b in rows[0].values):
        # "| Figure | 2025 | 2024 |": the years head it
        header, rows = text[rows[0].start:rows[0].end].replace("|", " "), rows[1:]
    if len(rows) < ROWS_FOR_A_TABLE or not ASKS_VALUE.match(question):
        return None
    asked = _terms(question)
    best = max(rows, key=lambda row: len(_terms(row.label) & asked))
    if not _terms(best.label) & asked:
        return None
    header = header or text[:rows[0].start].rstrip("\n").rsplit("\n", 1)[-1].replace("|", " ")
    labels = columns(header, len(best.values))
    if not labels:
        return None  # which column is which cannot be told ("Team P W D L Pts": points are not the first column)
    times = {term for term in specific_terms(question) | period_parts(question)
             if any(character.isdigit() for character in term)}
    column = 0  # a question naming no time: the first column, said with its label (the newest, in a report)
    if times:
        # every time the question names must head the column ("Q1 2024": not the "Q1 2025" column), else the table
        # is another report's, or its columns cannot be told apart
        holding = [index for index, label in enumerate(labels) if times <= _terms(label)]
        if len(holding) != 1:
            return None
        column = holding[0]
    start, end = best.values[column]
    label = best.label
    unit = _UNIT.search(label)
    shown = text[start:end]
    if unit is not None and (unit.group("currency") or unit.group("magnitude")):
        shown = " ".join(part for part in (unit.group("currency"), shown, unit.group("magnitude")) if part)
    row = label[:unit.start()].strip() if unit is not None else label
    return Cell(start, end, row, labels[column] if labels else "", shown)


def table_reading(question: str, reading: Reading | None, evidence: Evidence, passages: Sequence[Passage],
                  reader: SpanFinder) -> Reading | None:
    """The reading moved to the table cell the question asks for (`table_cell`, read in the whole passage), when the
    sentence read, or else the best evidence sentence, holds a row of a table; its span says the cell with its
    unit, row and column ("EUR 1.9 million (net profit, Q1 2025)"), the sentence quoted, or the cell's row when the
    cell is in another. Kept otherwise, and when another rule chose it."""
    if (reading is not None and reading.ruled) or len(evidence.parts) != 1 or not evidence.ranked \
            or not evidence.ranked[0]:
        return reading
    places = [(reading.passage_index, reading.sentence_start, reading.sentence_end)] if reading is not None else []
    best = evidence.ranked[0][0]
    places.append((best.passage_index, best.start, best.end))
    for passage_index, start, end in places:
        whole = passages[passage_index].text
        if not table_rows(whole, start, end):
            continue  # the sentence read is no row of a table
        # the table the row belongs to: an HTML table's rows are paragraphs, each a sentence of its own
        cell = table_cell(question, whole)
        if cell is None:
            continue
        if not (start <= cell.start and cell.end <= end):  # the cell's own row, quoted
            start = whole.rfind("\n", 0, cell.start) + 1
            end = whole.find("\n", cell.end) if "\n" in whole[cell.end:] else len(whole)
        text = whole[start:end]
        # "Net profit" is said "net profit", a name ("Arsenal", "EBITDA") as written
        row = cell.row[:1].lower() + cell.row[1:] if cell.row[1:2].islower() else cell.row
        named = ", ".join(part for part in (row, cell.column) if part)
        said = f"{cell.shown} ({named})"
        chance = reading.span.probability if reading is not None else 0.0
        span = Span(text[cell.start - start:cell.end - start], cell.start - start, cell.end - start, chance,
                    reading.span.margin if reading is not None else 0.0, text)
        return Reading(span, passage_index, start, end, ruled=True, said=said)
    return reading
