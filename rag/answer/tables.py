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

GRID_PLACES = 4
"""The best evidence sentences looked at for a row of a "|" table (`grid_cell`)."""

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
    # a "|" table's row is read too when it is among the next best sentences: its row's label and its column's
    # header, apart, share fewer of the question's words than a sentence of prose does
    places.extend((sentence.passage_index, sentence.start, sentence.end)
                  for sentence in evidence.ranked[0][1:GRID_PLACES] if "|" in passages[sentence.passage_index].text)
    for passage_index, start, end in places:
        whole = passages[passage_index].text
        cell, grid = None, False
        if table_rows(whole, start, end):
            # the table the row belongs to: an HTML table's rows are paragraphs, each a sentence of its own
            cell = table_cell(question, whole)
        if cell is None and "|" in whole[start:end]:
            cell, grid = grid_cell(question, whole), True  # a "|" table's cells, by row and column header
        if cell is None:
            continue
        if not (start <= cell.start and cell.end <= end):  # the cell's own row, quoted
            start = whole.rfind("\n", 0, cell.start) + 1
            end = whole.find("\n", cell.end) if "\n" in whole[cell.end:] else len(whole)
        text = whole[start:end]
        # "Net profit" is said "net profit", a name ("Arsenal", "EBITDA") as written
        # (a "|" table's row is named by its first cell, most often a name: "Corrin")
        row = cell.row if grid else _lowered(cell.row)
        named = ", ".join(part for part in (row, cell.column) if part)
        said = f"{cell.shown} ({named})"
        chance = reading.span.probability if reading is not None else 0.0
        span = Span(text[cell.start - start:cell.end - start], cell.start - start, cell.end - start, chance,
                    reading.span.margin if reading is not None else 0.0, text)
        return Reading(span, passage_index, start, end, ruled=True, said=said)
    return reading


@dataclass(frozen=True)
class Grid:
    """A table whose cells are set apart by "|" (a Markdown or HTML table, rendered one row a line): each row's
    cells as offsets in the text, the header first."""

    cells: tuple[tuple[tuple[int, int], ...], ...]


def pipe_tables(text: str) -> list[Grid]:
    """The tables of `text` whose cells are set apart by "|": runs of two or more lines (blank lines between them
    allowed: an HTML table's rows are paragraphs) with the same number of cells, two or more.

    >>> text = "Prices\\n\\nCity | Rent | Ratio\\n\\nArden | 1,240 | 7.8\\n\\nBelmont | 980 | 6.1\\n\\nA sentence."
    >>> [[text[a:b] for a, b in row] for row in pipe_tables(text)[0].cells]
    [['City', 'Rent', 'Ratio'], ['Arden', '1,240', '7.8'], ['Belmont', '980', '6.1']]
    """
    grids: list[Grid] = []
    run: list[tuple[tuple[int, int], ...]] = []
    for line in re.finditer(r"[^\n]+", text):
        if "|" not in line.group():
            if line.group().strip():
                grids, run = _closed(grids, run), []
            continue
        cells = []
        for cell in re.finditer(r"[^|]+", line.group().strip().strip("|")):
            offset = line.start() + line.group().index(line.group().strip().strip("|"))
            inner = cell.group()
            start = offset + cell.start() + len(inner) - len(inner.lstrip())
            cells.append((start, start + len(inner.strip())))
        if run and len(cells) != len(run[0]):
            grids, run = _closed(grids, run), []
        run.append(tuple(cells))
    return _closed(grids, run)


def _closed(grids: list[Grid], run: list[tuple[tuple[int, int], ...]]) -> list[Grid]:
    if len(run) >= 2 and len(run[0]) >= 2:
        return [*grids, Grid(tuple(run))]
    return grids


_ASKS_HOW_LONG = re.compile(r"\s*how\s+(?:long|soon)\b", re.IGNORECASE)
"""A deadline's column answers these too ("Deadline after entry into force": "12 months")."""
LOWEST = re.compile(r"\b(?:lowest|least|smallest|fewest|cheapest|minimum)\b", re.IGNORECASE)
HIGHEST = re.compile(r"\b(?:highest|most|largest|biggest|greatest|maximum|dearest)\b", re.IGNORECASE)
_FELL = re.compile(r"\b(?:fell|fall|falls|fallen|dropped|drop|declined|decline|decreased|decrease)\b", re.IGNORECASE)
_ROSE = re.compile(r"\b(?:rose|rise|rises|risen|increased|increase|grew|grown)\b", re.IGNORECASE)


def _number(value: str) -> float | None:
    """A cell's value as a number ("1,240" is 1240.0, "49.9%" 49.9); None for words.

    >>> _number("1,240"), _number("49.9%"), _number("none")
    (1240.0, 49.9, None)
    """
    found = _VALUE.fullmatch(value.strip())
    return float(re.sub(r"[^\d.\-+]", "", found.group())) if found else None


def _unit_apart(label: str) -> tuple[str, str]:
    """A column's label and its unit in brackets, apart.

    >>> _unit_apart("Median rent (EUR/month)")
    ('Median rent', 'EUR/month')
    """
    found = re.search(r"\s*\(([^()]*)\)\s*$", label)
    return (label[:found.start()], found.group(1)) if found else (label, "")


def grid_cell(question: str, text: str) -> Cell | None:
    """The cell of a "|" table (`pipe_tables`) that `question` asks for: the row whose first cell shares the most
    of the question's words, in the column whose header shares the most of the others ("What is the median rent in
    Corrin?"). With no row named, a superlative picks the row of the column's lowest or highest value ("Which city
    has the lowest price-to-income ratio?"), and a fall or a rise the one row whose value changed that way between
    the two columns the question names ("Which group's uptake fell?"); the answer is then that row's label. None
    when no table is there or which cell is asked cannot be told.

    >>> text = ("City | Median rent (EUR/month) | Price-to-income ratio\\n\\nArden | 1,240 | 7.8\\n\\n"
    ...         "Dunmore | 870 | 5.2")
    >>> cell = grid_cell("What is the price-to-income ratio in Arden?", text)
    >>> text[cell.start:cell.end], cell.shown, cell.row, cell.column
    ('7.8', '7.8', 'Arden', 'price-to-income ratio')
    >>> grid_cell("What is the median rent in Dunmore?", text).shown
    '870 EUR/month'
    >>> grid_cell("Which city has the lowest price-to-income ratio?", text).shown
    'Dunmore'
    >>> grid_cell("Why is Arden dear?", text) is None
    True
    """
    if not (ASKS_VALUE.match(question) or _ASKS_HOW_LONG.match(question)):
        return None
    asked = _terms(question)
    for grid in pipe_tables(text):
        header, rows = grid.cells[0], grid.cells[1:]
        labels = [text[a:b] for a, b in header]

        def shared(span: tuple[int, int], terms: set[str]) -> int:
            return len(_terms(text[span[0]:span[1]]) & terms)

        row_scores = [shared(row[0], asked - _terms(labels[0])) for row in rows]
        best_row = max(range(len(rows)), key=lambda index: row_scores[index])
        named_row = row_scores[best_row] > 0 and row_scores.count(row_scores[best_row]) == 1
        left = asked - (_terms(text[rows[best_row][0][0]:rows[best_row][0][1]]) if named_row else set())
        column_scores = [shared(span, left) for span in header[1:]]
        top = max(column_scores)
        if top == 0:
            continue
        chosen = [index + 1 for index, score in enumerate(column_scores) if score == top]
        if named_row and len(chosen) == 1:
            start, end = rows[best_row][chosen[0]]
            name, unit = _unit_apart(labels[chosen[0]])
            shown = f"{text[start:end]} {unit}".strip() if unit and _number(text[start:end]) is not None \
                else text[start:end]
            return Cell(start, end, text[rows[best_row][0][0]:rows[best_row][0][1]], _lowered(name), shown)
        if named_row:
            continue
        picked = _picked_row(question, text, rows, chosen)
        if picked is not None:
            start, end = rows[picked][0]
            values = ", ".join(f"{_lowered(labels[index])} {text[slice(*rows[picked][index])]}" for index in chosen)
            return Cell(start, end, "", values, text[start:end])  # the row's label is the answer: said once
    return None


def _lowered(label: str) -> str:
    """A header said inside a sentence: "Median rent" is "median rent", a name ("EBITDA") as written."""
    return label[:1].lower() + label[1:] if label[1:2].islower() else label


def _picked_row(question: str, text: str, rows: Sequence[tuple[tuple[int, int], ...]],
                chosen: Sequence[int]) -> int | None:
    """The row a superlative (one column) or a fall or rise (two columns, earlier first) picks; None when the
    question asks neither, or no one row fits."""
    def value(row: tuple[tuple[int, int], ...], index: int) -> float | None:
        return _number(text[row[index][0]:row[index][1]])

    if len(chosen) == 1 and (LOWEST.search(question) or HIGHEST.search(question)):
        numbered = [(value(row, chosen[0]), index) for index, row in enumerate(rows)]
        known = [(number, index) for number, index in numbered if number is not None]
        if len(known) < 2:
            return None
        return (min(known) if LOWEST.search(question) else max(known))[1]
    if len(chosen) == 2 and (_FELL.search(question) or _ROSE.search(question)):
        falling = bool(_FELL.search(question))
        moved = []
        for index, row in enumerate(rows):
            before, after = value(row, chosen[0]), value(row, chosen[1])
            if before is not None and after is not None and (after < before if falling else after > before):
                moved.append(index)
        return moved[0] if len(moved) == 1 else None
    return None
