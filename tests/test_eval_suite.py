"""The quality suite's plumbing (`tools.eval.suite`): every set it runs names files the repository has, the figures
are counted as `rag eval` counts them, and two runs' answers are told apart as gains and losses."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from tools.eval.suite import NEWS, QID_FILES, SETS, changes, chosen, command_line, figures, main, merged


def test_every_set_names_repository_files_and_its_own_outputs() -> None:
    names = [question_set.name for question_set in SETS]
    assert len(names) == len(set(names))
    for question_set in SETS:
        command = command_line(question_set, Path("/work"), Path("/out"), "python")
        in_repository = [Path(part) for part in command if part.startswith(str(NEWS))]
        assert all(path.exists() for path in in_repository), (question_set.name, in_repository)
        assert (f"/out/{question_set.name}.jsonl" in command) is question_set.details, command
    assert all((NEWS / file).exists() for file in QID_FILES.values())
    assert {question_set.name for question_set in SETS if question_set.held_out} >= {"h300", "h1000", "nheld", "odd"}


def test_an_unknown_set_is_refused_with_the_known_ones() -> None:
    with pytest.raises(SystemExit, match="unknown set.*calib"):
        chosen(["calibration"])


def test_figures_and_changes_of_two_runs(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    def row(qid: str, answer: str, text: bool, shown: bool, refused: bool = False) -> dict[str, object]:
        return {"qid": qid, "question": f"{qid}?", "gold": ["x"], "indexed": True, "impossible": False,
                "answer": answer, "refused": refused, "contains_text": text, "contains": shown,
                "citations": [] if refused else [{"holds_gold": shown}]}

    before = [row("a", "x [1].", True, True), row("b", "y [1].", False, True), row("c", "z [1].", False, False)]
    after = [row("a", "I don't know", False, False, refused=True), row("b", "x [1].", True, True),
             row("c", "w [1].", False, False)]
    assert [(change.qid, change.verdict) for change in changes(before, after)] == [
        ("a", "loss"), ("b", "gain"), ("c", "same")]
    counted = figures(merged(before, after[:1]))  # a later partial run of question "a" alone
    assert (counted.text, counted.evidence, counted.false_refusals, counted.cited) == (0, 1, 1, 2)

    for name, rows in (("before", before), ("after", after)):
        (tmp_path / f"{name}.jsonl").write_text("".join(json.dumps(r) + "\n" for r in rows))
    assert main(["compare", str(tmp_path / "before.jsonl"), str(tmp_path / "after.jsonl")]) == 0
    assert "differ 3: gains 1, losses 1" in capsys.readouterr().out
    assert main(["score", str(tmp_path / "before.jsonl"), str(tmp_path / "after.jsonl")]) == 0
    assert "text 0.333 (1) / evidence 0.333 (1)" in capsys.readouterr().out  # the after run's answers
