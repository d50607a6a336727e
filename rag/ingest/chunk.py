"""Sentence-aware chunking bounded in embedder tokens, with overlap and exact character spans.

Pure functions: the token counter is passed in, so the same code is tested with a whitespace counter and used
with the embedder's real tokenizer. Nothing is ever cut off: a sentence longer than the budget is split at
word boundaries into pieces that fit. A sentence that gives orders to an AI assistant is not indexed
(`rag.instructions`): it is blanked, every offset kept. A "|" table longer than a chunk goes on in the next chunks
each opening with the table's header row repeated (`table_header`), so that a later row is read with the labels of
its columns; such a passage's text starts with that row, which is not the article's text at its offsets
(`Passage.repeated`).
"""

from __future__ import annotations

import re
from collections.abc import Callable

from rag.instructions import speaks_to_assistant, without_instructions
from rag.records import Article, Passage
from rag.text import Span, split_sentences

TokenCounter = Callable[[str], int]

def split_long(text: str, span: Span, budget: int, count_tokens: TokenCounter) -> list[Span]:
    """Split one over-long span at word boundaries into pieces of at most `budget` tokens.

    >>> text = "one two three four five"
    >>> [text[s.start:s.end] for s in split_long(text, Span(0, len(text)), 2, lambda t: len(t.split()))]
    ['one two', 'three four', 'five']
    """
    words = [(m.start(), m.end()) for m in re.finditer(r"\S+", text[span.start:span.end])]
    pieces: list[Span] = []
    piece_start: int | None = None
    piece_tokens = 0
    last_end = 0
    for word_start, word_end in words:
        word_tokens = count_tokens(text[span.start + word_start:span.start + word_end])
        if piece_start is not None and piece_tokens + word_tokens > budget:
            pieces.append(Span(span.start + piece_start, span.start + last_end, span.paragraph_start and not pieces))
            piece_start, piece_tokens = None, 0
        if piece_start is None:
            piece_start = word_start
        piece_tokens += word_tokens
        last_end = word_end
        if piece_tokens > budget:
            # A single "word" longer than the budget (a URL, a run of symbols): cut it by characters.
            pieces.extend(
                _split_characters(text, span.start + piece_start, span.start + word_end, budget, count_tokens)
            )
            piece_start, piece_tokens = None, 0
    if piece_start is not None:
        pieces.append(Span(span.start + piece_start, span.start + last_end, span.paragraph_start and not pieces))
    return pieces


def _split_characters(text: str, start: int, end: int, budget: int, count_tokens: TokenCounter) -> list[Span]:
    pieces = []
    while start < end:
        width = end - start
        while width > 1 and count_tokens(text[start:start + width]) > budget:
            width = max(1, width * budget // max(count_tokens(text[start:start + width]), 1) - 1)
        pieces.append(Span(start, start + width))
        start += width
    return pieces


def chunk_spans(text: str, budget: int, overlap: int, count_tokens: TokenCounter) -> list[tuple[int, int]]:
    """Pack sentences into chunks of at most `budget` tokens, repeating up to `overlap` tokens of trailing
    sentences at the start of the next chunk. A new paragraph starts a new chunk once the current one is half full.

    >>> text = "One two three. Four five six. Seven eight nine. Ten eleven twelve."
    >>> [text[s:e] for s, e in chunk_spans(text, budget=6, overlap=3, count_tokens=lambda t: len(t.split()))]
    ['One two three. Four five six.', 'Four five six. Seven eight nine.', 'Seven eight nine. Ten eleven twelve.']
    """
    sentences: list[Span] = []
    for sentence in split_sentences(text):
        if count_tokens(text[sentence.start:sentence.end]) > budget:
            sentences.extend(split_long(text, sentence, budget, count_tokens))
        else:
            sentences.append(sentence)
    costs = [count_tokens(text[s.start:s.end]) for s in sentences]

    chunks: list[tuple[int, int]] = []
    current: list[int] = []  # indexes into sentences
    current_tokens = 0
    for index, sentence in enumerate(sentences):
        paragraph_break = sentence.paragraph_start and current_tokens >= budget // 2 and not (
            (current and _is_row(text, sentence) and _is_row(text, sentences[current[-1]]))  # a table's next row
            or _list_lead(text, sentences, current, index) is not None)  # a list's next item
        if current and (current_tokens + costs[index] > budget or paragraph_break):
            held = (_table_held(text, sentences, current, index, costs, budget)
                    or _list_held(text, sentences, current, index, costs, budget))
            if held:
                # a table the chunk would end in: it starts the next chunk instead, whole, its header with its rows
                chunks.append((sentences[current[0]].start, sentences[current[-len(held) - 1]].end))
                current, current_tokens = held, sum(costs[kept] for kept in held)
                current.append(index)
                current_tokens += costs[index]
                continue
            chunks.append((sentences[current[0]].start, sentences[current[-1]].end))
            current, current_tokens = _overlap_tail(current, costs, overlap, budget - costs[index], paragraph_break)
        current.append(index)
        current_tokens += costs[index]
    if current:
        chunks.append((sentences[current[0]].start, sentences[current[-1]].end))
    return chunks


def _is_row(text: str, sentence: Span) -> bool:
    """A line of a table whose cells are set apart by "|" (a Markdown or HTML table, one row a paragraph)."""
    return "|" in text[sentence.start:sentence.end] and "\n" not in text[sentence.start:sentence.end]


def _table_held(text: str, sentences: list[Span], current: list[int], index: int, costs: list[int],
                budget: int) -> list[int]:
    """The rows of a "|" table that the chunk `current` ends in and sentence `index` goes on with, when they and it
    fit in a chunk of their own and something comes before them: moved to the next chunk, so that a row is never
    read apart from its header (which column is which). Empty otherwise."""
    if not (_is_row(text, sentences[index]) and _is_row(text, sentences[current[-1]])):
        return []
    first = len(current) - 1
    while first > 0 and _is_row(text, sentences[current[first - 1]]):
        first -= 1
    held = current[first:]
    if first == 0 or sum(costs[kept] for kept in held) + costs[index] > budget:
        return []
    return held


def _list_lead(text: str, sentences: list[Span], current: list[int], index: int) -> int | None:
    """Where in `current` the list it ends in starts, when sentence `index` is the list's next item: its lead-in (a
    line ending in a colon, with the heading just before it), then items each a paragraph of its own. None
    otherwise."""
    if not current or not sentences[index].paragraph_start:
        return None
    lead = len(current) - 1
    while lead >= 0 and not text[sentences[current[lead]].start:sentences[current[lead]].end].rstrip().endswith(":"):
        if not sentences[current[lead]].paragraph_start:
            return None  # a paragraph of more than one sentence: prose, not a list's items
        lead -= 1
    if lead < 0:
        return None
    heading = text[sentences[current[lead - 1]].start:sentences[current[lead - 1]].end] if lead > 0 else ""
    if heading and sentences[current[lead - 1]].paragraph_start and not heading.rstrip().endswith((".", "!", "?")):
        lead -= 1  # "Recommendations" / "The Institute makes three recommendations:"
    return lead


def _list_held(text: str, sentences: list[Span], current: list[int], index: int, costs: list[int],
               budget: int) -> list[int]:
    """A list the chunk `current` ends in (`_list_lead`), moved to the next chunk when it and item `index` fit in
    it and something comes before it, so that the items are read with what they list. Empty otherwise."""
    lead = _list_lead(text, sentences, current, index)
    if not lead or sum(costs[kept] for kept in current[lead:]) + costs[index] > budget:
        return []
    return current[lead:]


def _overlap_tail(
    previous: list[int], costs: list[int], overlap: int, room: int, paragraph_break: bool
) -> tuple[list[int], int]:
    """The trailing sentences of the previous chunk to repeat: at most `overlap` tokens, never across a paragraph."""
    if paragraph_break:
        return [], 0
    tail: list[int] = []
    tokens = 0
    for index in reversed(previous[1:]):  # never repeat the whole previous chunk
        if tokens + costs[index] > min(overlap, room):
            break
        tail.insert(0, index)
        tokens += costs[index]
    return tail, tokens


def _cells(line: str) -> int:
    return line.strip().strip("|").count("|") + 1


MAX_CELL_WORDS = 8
"""A table's cell is a label or a figure: a line with a "|" and a longer piece is prose."""


def _is_table_line(line: str) -> bool:
    """A line of a "|" table: a "|" and short cells, no sentence ended ("Read the notes | they explain the
    method." is prose).

    >>> _is_table_line("Year | Fines issued | Total"), _is_table_line("See the notes | they explain why totals differ.")
    (True, False)
    """
    cells = line.strip().strip("|").split("|")
    return len(cells) > 1 and all(len(cell.split()) <= MAX_CELL_WORDS for cell in cells) \
        and not line.rstrip().endswith((".", "!", "?"))


def table_header(text: str, start: int) -> tuple[int, int] | None:
    """The header row of the "|" table a chunk starting at `start` goes on with: the first of the rows (lines with
    "|", blank lines between them allowed, each with as many cells) that run up to `start`, when the line at `start`
    is one of its later rows. None otherwise (the chunk starts with the header, or with no table's row).

    >>> text = "Fines\\n\\nYear | Fines | Total\\n\\n2021 | 12 | 40,000\\n\\n2022 | 15 | 52,000"
    >>> text[slice(*table_header(text, text.index("2022")))]
    'Year | Fines | Total'
    >>> table_header(text, text.index("Year")) is None
    True
    """
    line_end = text.find("\n", start)
    line = text[start:line_end if line_end >= 0 else len(text)]
    if "|" not in line:
        return None
    header = None
    position = start
    while True:
        before = text[:position].rstrip("\n ")
        if not before:
            break
        previous_start = before.rfind("\n") + 1
        previous = before[previous_start:]
        if not _is_table_line(previous) or _cells(previous) != _cells(line):
            break
        header, position = (previous_start, len(before)), previous_start
    return header


def _header_reserve(text: str, budget: int, count_tokens: TokenCounter) -> int:
    """The tokens a repeated header row takes in a chunk: the longest header row of a "|" table whose rows do not
    fit in one chunk (0 when every table fits, as most do), a header longer than half the budget left out (it is not
    repeated: `chunk_article`)."""
    reserve = 0
    run: list[str] = []
    for line in [*text.split("\n"), "."]:
        if not line.strip():
            continue
        if _is_table_line(line) and (not run or _cells(line) == _cells(run[0])):
            run.append(line)
            continue
        if len(run) > 2 and count_tokens("\n\n".join(run)) > budget and count_tokens(run[0]) <= budget // 2:
            reserve = max(reserve, count_tokens(run[0]))
        run = [line] if _is_table_line(line) else []
    return reserve


def embedding_text(title: str, text: str) -> str:
    """What the embedder sees for a passage: its article's title, then the passage.

    >>> embedding_text("Floods", "Rivers rose.")
    'Floods\\n\\nRivers rose.'
    """
    return f"{title}\n\n{text}" if title else text


def title_budget(title: str, max_tokens: int, count_tokens: TokenCounter) -> int:
    """Tokens left for passage text once the title (and the line break after it) is counted."""
    return max_tokens - (count_tokens(embedding_text(title, ".")) - count_tokens(".") if title else 0)


def chunk_article(article: Article, max_tokens: int, overlap: int, count_tokens: TokenCounter) -> list[Passage]:
    """Cut an article into passages whose title-plus-text fits in `max_tokens` embedder tokens.

    A very long title is only allowed half of the budget; the rest of it is still shown, just not embedded. The
    sentences that give orders to an AI assistant are left out, as spaces (`without_instructions`): the passages'
    offsets are the article's. A title that gives such orders is left out of the passages too (the first line of a
    text file is its title).
    """
    title = "" if speaks_to_assistant(article.title) else article.title
    budget = max(title_budget(title, max_tokens, count_tokens), max_tokens // 2)
    text = without_instructions(article.text)
    # room for a long table's header row, repeated at the top of each chunk its rows go on in
    reserve = _header_reserve(text, budget, count_tokens)
    budget -= reserve
    passages = []
    for start, end in chunk_spans(text, budget, min(overlap, budget // 3), count_tokens):
        header = table_header(text, start)
        if header is not None and count_tokens(text[slice(*header)]) > reserve:
            header = None  # no room kept for it (a table that fits in a chunk, or a header over half the budget)
        passages.append(Passage(
            article_id=article.id,
            title=title,
            source=article.source,
            url=article.url,
            text=(f"{text[slice(*header)]}\n\n" if header else "") + text[start:end],
            start=start,
            end=end,
            published=article.published,
            page=article.page_at(start),
        ))
    return passages
