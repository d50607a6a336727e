"""`tools.eval.replay`: a `rag eval` run answered again with the model's stored words gives the same answers without
the model, and says which questions asked the model for words the stored run does not hold."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from rag.answer.assistant import Assistant
from rag.evaluate import Question, evaluate
from rag.records import Prompt
from tests.conftest import ScriptedLLM
from tests.test_evaluate import scripted_assistant
from tools.eval.replay import ANSWERED_BY_MODEL, NEEDS_MODEL, ReplayLLM, replay
from tools.eval.suite import changes

QUESTIONS = [
    Question("q1", "When did the ferry line to Pine Island open?", ("3 May",), False, "ferry"),
    Question("q2", "What budget did the council approve for the library?", ("4 million euros",), False),
    Question("q3", "Who painted the lighthouse?", (), True),
    Question("q4", "How long did the storm close the harbour?", ("three days",), False),
]

TWO_PART = Question("q5", "When did the ferry line open, and how long did the storm close the harbour?",
                    ("3 May",), False)

REPLIES = ("The ferry line opened on 3 May [1].", "I don't know.", "The council approved 4 million euros [1].",
           "The storm closed the harbour for three days [1].")


class Silent(ScriptedLLM):
    """A model that must not be asked to write: a replay asks it only for token counts."""

    def stream(self, prompt: Prompt, max_tokens: int = 160, temperature: float = 0.0) -> Iterator[str]:
        raise AssertionError("the replay asked the model to write")


def stored_run(tmp_path: Path, questions: list[Question], *replies: str) -> list[dict[str, Any]]:
    rows: list[dict[str, Any]] = []
    evaluate(scripted_assistant(tmp_path / "stored", *replies), questions, record=rows.append)
    return rows


def replayed(tmp_path: Path, stored: list[dict[str, Any]], questions: list[Question], model: ScriptedLLM,
             model_fallback: bool = False) -> tuple[list[dict[str, Any]], dict[str, int]]:
    built = scripted_assistant(tmp_path / "replayed")
    llm = ReplayLLM(model)
    assistant = Assistant(built.retriever, llm, built.settings, built.finder)
    rows: list[dict[str, Any]] = []
    _, counts = replay(assistant, llm, stored, questions, rows.append, model_fallback)
    return rows, dict(counts)


def test_replaying_an_unchanged_checkout_gives_every_answer_again_without_the_model(tmp_path: Path) -> None:
    stored = stored_run(tmp_path, QUESTIONS, *REPLIES)
    assert sum(bool(row["model_text"]) for row in stored) >= 2  # the model wrote for several of them
    rows, counts = replayed(tmp_path, stored, QUESTIONS, Silent())
    assert [row["answer"] for row in rows] == [row["answer"] for row in stored]
    assert [row["citations"] for row in rows] == [row["citations"] for row in stored]
    assert not changes(stored, rows) and not any("replay" in row for row in rows)
    assert counts == {"replayed": len(QUESTIONS)}
    # the rows are `rag eval`'s, plus the text of each model call
    assert all(set(row) == set(before) | {"model_texts"} for row, before in zip(rows, stored, strict=True))


def test_a_question_that_asks_the_model_more_than_its_stored_words_hold_is_marked(tmp_path: Path) -> None:
    stored = stored_run(tmp_path, [TWO_PART], "The ferry line opened on 3 May [1].",
                        "The storm closed the harbour for three days [1].")
    rows, counts = replayed(tmp_path, stored, [TWO_PART], Silent())
    assert len(rows[0]["model_texts"]) == 2  # a part each: rag eval's one model_text held both, joined
    assert rows[0]["replay"] == NEEDS_MODEL and counts == {NEEDS_MODEL: 1}
    # a replayed row holds each call's words: replayed again, it gives the stored answer
    again, counts = replayed(tmp_path, [{**stored[0], "model_texts": ["The ferry line opened on 3 May [1].",
                                                                      "The storm closed the harbour for three days "
                                                                      "[1]."]}], [TWO_PART], Silent())
    assert again[0]["answer"] == stored[0]["answer"] and "replay" not in again[0] and counts == {"replayed": 1}


@pytest.mark.parametrize("model_fallback", [False, True])
def test_a_question_the_stored_run_never_asked_the_model_is_answered_by_it_only_on_request(
        tmp_path: Path, model_fallback: bool) -> None:
    stored = [{"question": QUESTIONS[0].question, "model_text": ""}]  # say, the span reader answered it then
    model = ScriptedLLM("The ferry line opened on 3 May [1].")
    rows, counts = replayed(tmp_path, stored, QUESTIONS[:1], model, model_fallback)
    assert rows[0]["replay"] == (ANSWERED_BY_MODEL if model_fallback else NEEDS_MODEL)
    assert counts == {ANSWERED_BY_MODEL if model_fallback else NEEDS_MODEL: 1}
    # without the fallback the model is taken to write nothing (the evidence is quoted instead)
    assert rows[0]["model_texts"] == [model.replies[0] if model_fallback else ""]
    assert len(model.prompts) == model_fallback
