"""Chunking: sentence boundaries, token budgets, overlap, exact spans, and nothing silently cut off."""

from __future__ import annotations

import random

from rag.answer.tables import grid_cell
from rag.ingest.chunk import chunk_article, chunk_spans, embedding_text
from rag.records import Article, Citation, Passage
from rag.text import split_sentences


def words(text: str) -> int:
    return len(text.split())


def test_sentences_respect_abbreviations_initials_and_paragraphs() -> None:
    text = "Dr. Smith met J. R. Jones in the U.S. capital. They talked!\n\nNext day: rain? Yes."
    sentences = [text[s.start:s.end] for s in split_sentences(text)]
    assert sentences == ["Dr. Smith met J. R. Jones in the U.S. capital.", "They talked!", "Next day: rain?", "Yes."]


def test_chunks_fit_budget_and_cover_every_word() -> None:
    rng = random.Random(7)
    vocabulary = ["river", "council", "bridge", "2026", "euros", "mayor", "storm", "school"]
    sentences = [" ".join(rng.choice(vocabulary) for _ in range(rng.randint(3, 30))) + "." for _ in range(80)]
    text = " ".join(sentences)
    spans = chunk_spans(text, budget=40, overlap=10, count_tokens=words)
    assert all(words(text[start:end]) <= 40 for start, end in spans)
    covered: set[int] = set()
    for start, end in spans:
        covered.update(range(start, end))
    assert all(index in covered for index, char in enumerate(text) if not char.isspace())


def test_overlap_repeats_trailing_sentences_but_never_a_whole_chunk() -> None:
    text = "One two three. Four five six. Seven eight nine. Ten eleven twelve."
    spans = chunk_spans(text, budget=6, overlap=3, count_tokens=words)
    chunks = [text[start:end] for start, end in spans]
    assert chunks[1].startswith("Four five six.")
    assert len(set(chunks)) == len(chunks)


def test_a_sentence_longer_than_the_budget_is_split_not_truncated() -> None:
    text = "word " * 95 + "end."
    spans = chunk_spans(text, budget=20, overlap=0, count_tokens=words)
    assert len(spans) == 5
    assert " ".join(text[s:e] for s, e in spans) == text.strip()


def test_a_single_huge_token_is_cut_by_characters() -> None:
    text = "x" * 500
    spans = chunk_spans(text, budget=10, overlap=0, count_tokens=lambda t: len(t) // 20 + 1)
    assert "".join(text[s:e] for s, e in spans) == text
    assert all(len(text[s:e]) // 20 + 1 <= 10 for s, e in spans)


def test_new_paragraph_starts_new_chunk_when_current_is_half_full() -> None:
    text = "Alpha beta gamma delta. Epsilon zeta eta.\n\nTheta iota kappa."
    spans = chunk_spans(text, budget=12, overlap=5, count_tokens=words)
    assert [text[s:e] for s, e in spans] == ["Alpha beta gamma delta. Epsilon zeta eta.", "Theta iota kappa."]


def test_chunk_article_keeps_spans_pages_and_title_budget() -> None:
    body = "First page sentence one. First page sentence two.\n\nSecond page text here."
    article = Article("id-1", "A Title Of Four", body, "src.pdf", pages=(0, body.index("Second")))
    passages = chunk_article(article, max_tokens=10, overlap=0, count_tokens=words)
    for passage in passages:
        assert body[passage.start:passage.end] == passage.text
        assert words(embedding_text(passage.title, passage.text)) <= 10
    assert passages[0].page == 1
    assert passages[-1].page == 2


def test_empty_text_gives_no_passages() -> None:
    assert chunk_article(Article("e", "T", "   ", "s"), 50, 5, words) == []


def test_a_tables_rows_stay_in_one_chunk_with_their_header() -> None:
    """An analyst's "What wholesale price does the outlook forecast for 2026?" could not be read off the table: its
    rows, each a paragraph, were cut into two chunks, the 2026 row apart from the header naming the columns."""
    text = "Intro one two three.\n\nYear | Price | Wholesale\n\n2024 | 1 | 2\n\n2026 | 3 | 4"
    chunks = [text[start:end] for start, end in chunk_spans(text, 16, 3, lambda words: len(words.split()))]
    assert chunks == ["Intro one two three.", "Year | Price | Wholesale\n\n2024 | 1 | 2\n\n2026 | 3 | 4"]


def test_a_lists_items_stay_in_one_chunk_with_their_lead_in() -> None:
    """An analyst's "What are the Institute's three recommendations?": the lead-in and the first item were cut from
    the other two items."""
    text = ("Intro one two three four.\n\nRecommendations\n\nIt makes three recommendations:\n\nCut fares.\n\n"
            "Add buses.\n\nBuild lanes.")
    chunks = [text[start:end] for start, end in chunk_spans(text, 14, 3, lambda words: len(words.split()))]
    assert chunks[-1] == ("Recommendations\n\nIt makes three recommendations:\n\nCut fares.\n\nAdd buses.\n\n"
                          "Build lanes.")


def test_a_table_longer_than_a_chunk_repeats_its_header_row_in_each_chunk_it_goes_on_in() -> None:
    """An analyst's "What was the total of fines in 2031?" could not be read off a long table: the later chunks'
    rows had lost the header row naming the columns."""
    rows = "\n\n".join(f"{year} | {year - 2000} | {year * 10}" for year in range(2020, 2035))
    body = f"Fines issued by year.\n\nYear | Fines issued | Total fines (EUR)\n\n{rows}\n\nThe trend is up."
    article = Article("fines", "Fines", body, "fines.md")
    passages = chunk_article(article, max_tokens=40, overlap=0, count_tokens=words)
    later = [passage for passage in passages if passage.repeated]
    assert later and all(passage.text.startswith("Year | Fines issued | Total fines (EUR)\n\n") for passage in later)
    for passage in passages:  # every offset is the article's, the repeated header aside
        assert body[passage.start:passage.end] == passage.text[passage.repeated:]
        assert words(embedding_text(passage.title, passage.text)) <= 40
    [holding] = [passage for passage in passages if "2031 |" in passage.text]
    cell = grid_cell("What was the total fines in 2031?", holding.text)
    assert cell is not None and cell.shown == "20310 EUR"


def test_a_repeated_header_row_is_never_highlighted_as_cited() -> None:
    from ui.render import marked_spans

    passage = Passage("fines", "Fines", "fines.md", "", "Year | Fines\n\n2031 | 31", 40, 49)
    citation = Citation(1, passage, "2031 | 31", 14, 23, 0.9, ((0, 12), (14, 23)))
    assert marked_spans(citation) == [(14, 23)]


def test_only_a_tables_own_row_is_repeated_and_a_passage_keeps_to_its_budget() -> None:
    """Review R1 #11: a prose line with a "|" and as many pieces as the rows after it was repeated as their header,
    and a header row longer than half the budget made the passages it was repeated in exceed `max_tokens`."""
    rows = "\n\n".join(f"{year} | {year - 2000}" for year in range(2020, 2035))
    prose = f"Notes.\n\nSee the notes below | they explain why some totals differ.\n\n{rows}\n\nThe end."
    passages = chunk_article(Article("p", "P", prose, "p.md"), max_tokens=40, overlap=0, count_tokens=words)
    assert not any(passage.text[:passage.repeated].startswith("See the notes") for passage in passages)
    wide = " | ".join(f"column {number} label" for number in range(8))
    cells = "\n\n".join(" | ".join(str(year + number) for number in range(8)) for year in range(2020, 2040))
    body = f"Figures.\n\n{wide}\n\n{cells}\n\nThe end."
    for passage in chunk_article(Article("w", "W", body, "w.md"), max_tokens=40, overlap=0, count_tokens=words):
        assert words(embedding_text(passage.title, passage.text)) <= 40
        assert body[passage.start:passage.end] == passage.text[passage.repeated:]
