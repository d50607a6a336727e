"""A question naming one story, whose best-matching sentences are another story's: answered from the story it
names, refused when no retrieved story names it (rag.answer.assistant: the on-topic passages)."""

from __future__ import annotations

from pathlib import Path

import pytest

from rag.answer.assistant import Assistant
from rag.answer.evidence import WordOverlap
from rag.answer.retrieve import Retriever
from rag.records import Passage, Query
from rag.settings import Settings
from tests.conftest import FakeEmbedder, ScriptedLLM
from tests.test_assistant import build
from tests.test_span_reader import FakeReader

STORIES = {
    "sugar": ("Nordvale Sugar to close its Tresby plant",
              "Union members will vote on strike action over the closure in the spring, the union said."),
    "brewery": ("Copperfox brewery to close",
                "Halden will close the Copperfox brewery at Tanner's Yard. Its staff will ballot next month."),
}


def ask(tmp_path: Path, question: str) -> str:
    embedder = FakeEmbedder()
    build(tmp_path, embedder, STORIES)
    retriever = Retriever.load(tmp_path, embedder)
    assistant = Assistant(retriever, ScriptedLLM("I don't know."), Settings(index=str(tmp_path), k=3),
                          WordOverlap(retriever.term_weights), reader=FakeReader("next month", 0.9))
    return assistant.ask(question).text


def test_the_evidence_is_the_story_the_question_names_not_the_one_whose_words_match_best(tmp_path: Path) -> None:
    assert ask(tmp_path, "When will union members vote on strike action over the Copperfox closure?").startswith(
        "Next month [1]")


def test_refused_when_no_retrieved_story_names_what_is_asked(tmp_path: Path) -> None:
    assert ask(tmp_path, "When will union members vote on strike action over the Greyling closure?").startswith(
        "I don't know")


def test_a_later_report_of_the_story_named_stays_when_the_evidence_is_that_story(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Keeping the story the question names rebuilt the passages from the retrieved hits, dropping the later report
    just added (a when-question's "the ballot was moved to June" of that story)."""
    embedder = FakeEmbedder()
    build(tmp_path, embedder, STORIES)
    retriever = Retriever.load(tmp_path, embedder)
    assistant = Assistant(retriever, ScriptedLLM("I don't know."), Settings(index=str(tmp_path), k=3),
                          WordOverlap(retriever.term_weights), reader=FakeReader("next month", 0.9))
    text = "The Copperfox brewery staff ballot was moved to June, the union said."
    later = Passage("brewery-later", "Copperfox ballot moved", "brewery-later.txt", "", text, 0, len(text))
    monkeypatch.setattr(assistant, "_later_reports", lambda *arguments: [later])
    question = "When will union members vote on strike action over the Copperfox closure?"
    plan = assistant._plan_reading(Query(question), (), 3)
    assert "sugar" not in [passage.article_id for passage in plan.passages]
    assert later in plan.passages, [passage.article_id for passage in plan.passages]
