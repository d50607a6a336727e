"""Two-part questions ("When did X, and how much Y?"): every part is answered or said to be missing, never silently
dropped nor "completed" with a sentence that does not answer it. Logic with the fake embedder and the scripted LLM;
the pure helpers on hand-made evidence."""

from __future__ import annotations

from pathlib import Path

import pytest

from rag.answer.assistant import Assistant, _holds, _leaves_out, _with_missing_parts
from rag.answer.cite import Checked
from rag.answer.evidence import AnswerKinds, Sentence, WordOverlap, find_evidence
from rag.answer.prompts import MISSING_PART, MISSING_PART_MARK
from rag.answer.retrieve import Retriever
from rag.evaluate import shown_text
from rag.models.entities import PhraseTagger
from rag.records import Citation, Passage
from rag.settings import Settings
from tests.conftest import FakeEmbedder, ScriptedLLM
from tests.test_assistant import build

BRIDGE = "The Maplewood footbridge reopened on 14 March after repairs. Crowds came to see it."
BRIDGE_COST = BRIDGE + " The repairs cost 1.2 million euros."
PARTS = ["When did the Maplewood footbridge reopen?", "How much did the repairs cost?"]
TAGGER = PhraseTagger({"14 March": "DATE", "1.2 million euros": "MONEY", "3 May": "DATE", "two": "CARDINAL",
                       "Maplewood": "GPE", "River Lenn": "LOC"})
"""What the entity model would tag in these articles (the logic is tested here, the model in test_entities.py)."""
KINDS = AnswerKinds(TAGGER)


def passage(text: str) -> Passage:
    return Passage("bridge", "Footbridge", "bridge.txt", "", text, 0, len(text))


def make(tmp_path: Path, text: str, *replies: str) -> Assistant:
    embedder = FakeEmbedder()
    build(tmp_path, embedder, {"bridge": ("Footbridge", text),
                               "ferry": ("Ferry line", "The ferry line opened on 3 May with two boats.")})
    retriever = Retriever.load(tmp_path, embedder)
    return Assistant(retriever, ScriptedLLM(*replies), Settings(index=str(tmp_path), k=3),
                     WordOverlap(retriever.term_weights), TAGGER)


def test_a_number_in_a_date_does_not_answer_how_much() -> None:
    assert not _holds("It reopened on 14 March.", PARTS[1], PARTS, KINDS)
    assert _holds("The repairs cost 1.2 million euros.", PARTS[1], PARTS, KINDS)
    assert _holds("It reopened on 14 March.", PARTS[0], PARTS, KINDS)
    ranked = [Sentence(0, 0, len(BRIDGE), 1.0)]
    assert _leaves_out("It reopened on 14 March [1].", PARTS[1], ranked, [passage(BRIDGE)], KINDS, PARTS)
    assert not _leaves_out("It reopened on 14 March [1].", PARTS[0], ranked, [passage(BRIDGE)], KINDS, PARTS)


def test_a_part_left_out_is_quoted_from_its_evidence_when_the_articles_hold_it() -> None:
    passages = [passage(BRIDGE_COST)]
    evidence = find_evidence(PARTS, passages, WordOverlap())
    checked = _with_missing_parts(Checked("It reopened on 14 March [1].", (), True), evidence, passages,
                                  WordOverlap(), KINDS)
    assert "1.2 million" in checked.text and MISSING_PART_MARK not in checked.text
    assert [citation.passage for citation in checked.citations] == passages


def test_a_part_the_articles_do_not_answer_is_said_missing_not_completed_with_another_sentence() -> None:
    passages = [passage(BRIDGE)]
    evidence = find_evidence(PARTS, passages, WordOverlap())
    checked = _with_missing_parts(Checked("It reopened on 14 March [1].", (), True), evidence, passages,
                                  WordOverlap(), KINDS)
    assert checked.text.startswith("It reopened on 14 March [1].")
    assert checked.text.endswith(MISSING_PART.format(part=PARTS[1]))
    assert "The articles say" not in checked.text  # no unrelated quote


def test_the_assistant_answers_the_part_it_can_and_names_the_part_it_cannot(tmp_path: Path) -> None:
    assistant = make(tmp_path, BRIDGE, "The footbridge reopened on 14 March [1].")
    answer = assistant.ask("When did the Maplewood footbridge reopen, and who designed the new cables?")
    assert not answer.refused
    assert "14 March" in answer.text
    assert MISSING_PART.format(part="Who designed the new cables?") in answer.text
    assert {citation.passage.article_id for citation in answer.citations} == {"bridge"}


def test_both_parts_answered_by_the_articles_are_both_in_the_answer(tmp_path: Path) -> None:
    assistant = make(tmp_path, BRIDGE_COST, "The footbridge reopened on 14 March [1].")
    answer = assistant.ask("When did the Maplewood footbridge reopen, and how much did the repairs cost?")
    assert not answer.refused
    assert "14 March" in answer.text and "1.2 million" in answer.text
    assert MISSING_PART_MARK not in answer.text


@pytest.mark.slow
def test_real_models_answer_the_part_the_articles_hold_and_name_the_other(real_assistant) -> None:  # type: ignore[no-untyped-def]
    question = "When did the Maplewood footbridge reopen, and who painted its railings?"
    answer = real_assistant.ask(question)
    assert not answer.refused, answer
    assert MISSING_PART.format(part="Who painted the Maplewood footbridge's railings?") in answer.text, answer.text
    assert "14 March" in shown_text(answer), answer
    assert all(citation.passage.article_id.endswith("maplewood-footbridge.md") for citation in answer.citations), answer


def test_the_sentence_an_answer_already_rests_on_is_not_quoted_again_for_the_other_part() -> None:
    text = "The footbridge over the River Lenn reopened on 14 March."
    passages = [Passage("bridge", "Footbridge", "bridge.txt", "", text, 0, len(text))]
    parts = ["When did the footbridge reopen?", "Who painted its railings?"]
    evidence = find_evidence(parts, passages, WordOverlap())
    rests_on = Citation(1, passages[0], text, 0, len(text), 1.0, ((0, len(text)),))
    checked = _with_missing_parts(Checked("It reopened on 14 March [1].", (rests_on,), True), evidence, passages,
                                  WordOverlap(), KINDS)
    assert checked.text == f"It reopened on 14 March [1]. {MISSING_PART.format(part=parts[1])}"


def test_one_answer_does_not_stand_for_both_parts(tmp_path: Path) -> None:
    # The scripted model says the same sentence for each part: kept for the first, not repeated for the second,
    # which gets its own evidence quoted or is said missing.
    text = BRIDGE_COST + " The ribbon was cut by the mayor."
    assistant = make(tmp_path, text, "The footbridge reopened on 14 March after repairs [1].")
    answer = assistant.ask("What happened to the Maplewood footbridge, and what happened at the ribbon cutting?")
    assert not answer.refused
    assert answer.text.count("reopened on 14 March") == 1, answer.text
    assert "mayor" in answer.text or MISSING_PART.format(part="What happened at the ribbon cutting?") in answer.text
