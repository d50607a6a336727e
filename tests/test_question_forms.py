"""tools/eval/question_forms.py: the special path each question of a set takes, counted and listed (no ../shared)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from tools.eval.question_forms import main, question_path, routed


def test_each_question_takes_the_path_stream_would_try_first() -> None:
    found = routed([
        {"qid": "a", "question": "When did the bridge reopen? How much did the repairs cost?"},
        {"qid": "b", "question": "Who is older, Ada Lovelace or Alan Turing?", "is_impossible": True},
        {"qid": "c", "question": "What year was the founder of Acme Rail born?"},
        {"qid": "d", "question": "Who were Lewis and Clark?"},
    ])
    assert [(row.qid, row.path) for row in found] == [("a", "two-part"), ("b", "comparison"), ("c", "two-hop"),
                                                      ("d", "one")]
    assert found[1].impossible and found[2].asked[0] == "Who is the founder of Acme Rail?"
    assert question_path("Who were Lewis and Clark?") == ("one", ["Who were Lewis and Clark?"])


def test_the_command_counts_lists_and_writes_every_question(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    questions = tmp_path / "questions.jsonl"
    questions.write_text("".join(json.dumps({"qid": str(number), "question": question}) + "\n" for number, question
                                 in enumerate(["Where was the one who led the Normans crowned?",
                                               "When did the Normans conquer England?"])), encoding="utf-8")
    out = tmp_path / "paths.jsonl"
    assert main([str(questions), "--show", "two-hop", "--out", str(out)]) == 0
    printed = capsys.readouterr().out.splitlines()
    assert printed[0] == "2 questions: two-part 0, comparison 0, intersection 0, two-hop 1"
    assert printed[1].startswith("two-hop\tWhere was the one who led the Normans crowned?\tWho led the Normans?")
    written = [json.loads(line) for line in out.read_text(encoding="utf-8").splitlines()]
    assert [row["path"] for row in written] == ["two-hop", "one"]
