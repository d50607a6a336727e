"""The answer finder's report on another folder (tools.eval.finder_report): every retrieved sentence is scored, and
one counts as holding the answer as `rag eval` counts it; an unanswerable question's sentences never do."""

from __future__ import annotations

import json
from pathlib import Path

from rag.records import Hit, Passage
from tools.eval.finder_report import every_sentence_pairs

TEXT = "Ferries stopped at noon. The captain, Ida Moss, steered it home. Ida Moss said little."


class OnePassage:
    """A retriever that finds the one article whatever the question."""

    def search(self, question: str, k: int) -> list[Hit]:
        return [Hit(Passage("x101", "Ferry halted", "x101", "", TEXT, 0, len(TEXT)), 1.0)]


def test_every_sentence_is_a_pair_labelled_by_the_gold_span_or_its_words(tmp_path: Path) -> None:
    start = TEXT.index("Ida Moss")
    questions = [
        {"qid": "q1", "question": "Who steered the ferry?", "answers": ["Ida Moss"], "is_impossible": False,
         "article_id": "x101", "title": "Ferry halted", "answer_spans_in_article": [[start, start + 8]]},
        {"qid": "q2", "question": "Who owns the ferry?", "answers": [], "is_impossible": True,
         "article_id": "x101", "title": "Ferry halted", "answer_spans_in_article": []},
    ]
    (tmp_path / "questions.jsonl").write_text("".join(json.dumps(row) + "\n" for row in questions), "utf-8")
    pairs = every_sentence_pairs(tmp_path, OnePassage())
    labels = {(pair.qid, pair.candidate.sentence): pair.label for pair in pairs}
    assert labels == {
        ("q1", "Ferries stopped at noon."): 0,
        ("q1", "The captain, Ida Moss, steered it home."): 1,  # the gold span
        ("q1", "Ida Moss said little."): 1,  # the answer's words: `rag eval` counts it
        ("q2", "Ferries stopped at noon."): 0,
        ("q2", "The captain, Ida Moss, steered it home."): 0,
        ("q2", "Ida Moss said little."): 0,
    }
    assert all(pair.impossible == (pair.qid == "q2") for pair in pairs)
