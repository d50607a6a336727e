"""The span-choice tool (tools/eval/span_choice.py): the rules it compares, and the articles it reads."""

from __future__ import annotations

import json
from pathlib import Path

from rag.models.span_reader import Span
from tools.eval.span_choice import RULES, Candidate, chosen, questions


def test_the_rules_differ_where_the_likelier_sentence_holds_the_less_likely_span() -> None:
    unlikely_sentence = Candidate(Span("four", 0, 4, 0.43, 1.0), 0.05, False)
    likely_sentence = Candidate(Span("12", 0, 2, 0.41, 1.0), 0.25, True)
    assert chosen([unlikely_sentence, likely_sentence], RULES["reader chance"]) is unlikely_sentence
    assert chosen([unlikely_sentence, likely_sentence], RULES["chance x sentence score"]) is likely_sentence
    assert chosen([], RULES["reader chance"]) is None


def test_questions_are_the_answerable_ones_of_the_chosen_articles(tmp_path: Path) -> None:
    rows = [{"qid": str(n), "question": "q?", "answers": ["a"] if n % 3 else [], "is_impossible": n % 3 == 0,
             "article_id": f"a{n:03d}"} for n in range(12)]
    (tmp_path / "questions.jsonl").write_text("\n".join(json.dumps(row) for row in rows), "utf-8")
    assert [row["article_id"] for row in questions(tmp_path, "calibration", None, 5)] == ["a010"]
    odd = questions(tmp_path, "odd", None, 5)
    assert sorted(str(row["article_id"]) for row in odd) == ["a001", "a005", "a007", "a011"]
    assert len(questions(tmp_path, "odd", 2, 5)) == 2
