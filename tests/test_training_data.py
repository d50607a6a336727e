"""The project's own news questions (tools/training_data/news to train on, tools/eval/news_heldout to report on):
every answer is where its offsets say, the training stories count as training articles and the held-out ones as
held-out (no story in both), `--repeat` teaches a folder's examples as many times as asked, and `--member` joins
readers into an ensemble."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from tools.train_span_reader import Example, repeated
from tools.training import join_members, split_of

TOOLS = Path(__file__).resolve().parents[1] / "tools"
NEWS = TOOLS / "training_data" / "news"
HELD_OUT = TOOLS / "eval" / "news_heldout"


def _rows(folder: Path, name: str) -> list[dict]:
    with open(folder / name, encoding="utf-8") as lines:
        return [json.loads(line) for line in lines if line.strip()]


@pytest.mark.parametrize(("folder", "split"), [(NEWS, "train"), (HELD_OUT, "held-out")])
def test_every_news_answer_is_at_its_offsets_and_every_story_is_in_its_split(folder: Path, split: str) -> None:
    passages = {row["passage_id"]: row for row in _rows(folder, "passages.jsonl")}
    questions = _rows(folder, "questions.jsonl")
    assert len(passages) >= 50 and len(questions) >= 900
    for question in questions:
        passage = passages[question["gold_passage_id"]]
        assert question["article_id"] == passage["article_id"]
        if question["is_impossible"]:
            assert not question["answers"] and not question["answer_spans_in_passage"], question
            continue
        (start, end), = question["answer_spans_in_passage"]
        assert passage["text"][start:end] == question["answers"][0], question
    assert {split_of(row["article_id"]) for row in passages.values()} == {split}
    assert sum(question["is_impossible"] for question in questions) >= 100  # refusals are taught too


def test_no_story_is_both_trained_and_reported_on() -> None:
    def stories(folder: Path) -> set[tuple[str, str]]:
        return {(row["article_id"], row["title"]) for row in _rows(folder, "articles.jsonl")}

    trained, reported = stories(NEWS), stories(HELD_OUT)
    assert not {article for article, _ in trained} & {article for article, _ in reported}
    assert not {title for _, title in trained} & {title for _, title in reported}


def _example(article_id: str) -> Example:
    return Example("q", article_id, "Who?", "Title", "Ann came.", (0, 3), ("Ann",), False)


def _folder(root: Path, name: str, article_ids: list[str]) -> Path:
    folder = root / name
    folder.mkdir()
    (folder / "passages.jsonl").write_text(
        "".join(json.dumps({"passage_id": f"{a}-p000", "article_id": a}) + "\n" for a in article_ids), "utf-8")
    return folder


def test_repeat_teaches_the_named_folders_examples_that_many_times(tmp_path: Path) -> None:
    folders = [_folder(tmp_path, "squad", ["a002"]), _folder(tmp_path, "news", ["n101"])]
    training = [_example("a002"), _example("n101")]
    taught = repeated(training, folders, ["news=3"])
    assert [example.article_id for example in taught] == ["a002", "n101", "n101", "n101"]
    assert repeated(training, folders, []) == training


@pytest.mark.parametrize("repeat", ["news", "news=0", "wiki=2", "news=two"])
def test_a_bad_repeat_names_the_folders(tmp_path: Path, repeat: str) -> None:
    folders = [_folder(tmp_path, "news", ["n101"])]
    with pytest.raises(SystemExit, match="FOLDER=N.*news"):
        repeated([_example("n101")], folders, [repeat])


def test_joining_readers_copies_each_members_model_and_says_how_it_was_trained(tmp_path: Path) -> None:
    out, seed_one, joined = tmp_path / "out", tmp_path / "seed-1", tmp_path / "joined"
    for folder, meta in ((out, {}), (seed_one, {"seed": 1, "command": "python -m tools.train_span_reader --seed 1"}),
                         (joined, {"members": ["member-1.onnx"]})):
        folder.mkdir()
        (folder / "model.onnx").write_bytes(folder.name.encode())
        (folder / "meta.json").write_text(json.dumps(meta), "utf-8")
    (out / "member-7.onnx").write_bytes(b"an earlier run's")

    members = join_members(out, [seed_one])
    assert [member["file"] for member in members] == ["member-1.onnx"]
    assert members[0]["seed"] == 1 and members[0]["command"].endswith("--seed 1")
    assert (out / "member-1.onnx").read_bytes() == b"seed-1"
    assert not (out / "member-7.onnx").exists()
    assert join_members(out, []) == [] and not (out / "member-1.onnx").exists()
    with pytest.raises(SystemExit, match="ensemble already"):
        join_members(out, [joined])
