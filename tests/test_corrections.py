"""Corrections (rag.answer.corrections): the correct value a retrieved correction gives replaces the wrong one the
span reader read, in the pure function and on the answer path (a fake reader sure of the wrong figure)."""

from __future__ import annotations

from pathlib import Path

import pytest

from rag.answer.assistant import Assistant
from rag.answer.corrections import corrected
from rag.answer.evidence import WordOverlap
from rag.answer.reader import Reading
from rag.answer.retrieve import Retriever
from rag.models.span_reader import Span
from rag.records import Passage
from rag.settings import Settings
from tests.conftest import FakeEmbedder, ScriptedLLM
from tests.test_assistant import build
from tests.test_span_reader import FakeReader

CORRECTION = ("An article on 3 March stated that the tram extension cost £148 million. The correct figure is £184 "
              "million, not £31 million over budget as reported. We apologise for the error.")


def read(span: str, correction: str = CORRECTION) -> str:
    report = f"The tram extension cost {span} in all."
    start = report.index(span)
    passages = [Passage("r", "Tram opens", "r.txt", "", report, 0, len(report)),
                Passage("c", "Correction", "c.txt", "", correction, 0, len(correction))]
    return corrected(Reading(Span(span, start, start + len(span), 0.9, 2.0), 0, 0, len(report)), passages).span.text


@pytest.mark.parametrize(("span", "correction", "answer"), [
    ("£148 million", CORRECTION, "£184 million"),
    # the value corrected must be named before "the correct … is", as a whole value
    ("£18 million", CORRECTION, "£18 million"),
    ("£184 million", CORRECTION, "£184 million"),
    # a number is not corrected by a name, nor the other way
    ("Ana Ruiz", "An article said Ana Ruiz led it. The correct figure is 12.", "Ana Ruiz"),
    ("Ana Ruiz", "An article misspelled Ana Ruiz. The correct spelling is Ana Ruíz.", "Ana Ruíz"),
    ("1998", "It said the club was founded in 1998. The correct year was 1989.", "1989"),
])
def test_a_corrected_value_is_replaced_by_the_correct_one(span: str, correction: str, answer: str) -> None:
    assert read(span, correction) == answer


ARTICLES = {
    "tram": ("Tram extension opens", "The Millbrook tram extension opened on 30 March. The extension cost £148 "
                                     "million, the transport authority said."),
    "correction": ("Correction: tram extension cost", CORRECTION),
}


def test_the_answer_gives_the_correct_value_and_cites_the_correction(tmp_path: Path) -> None:
    embedder = FakeEmbedder()
    build(tmp_path, embedder, ARTICLES)
    retriever = Retriever.load(tmp_path, embedder)
    assistant = Assistant(retriever, ScriptedLLM("unused"), Settings(index=str(tmp_path), k=3),
                          WordOverlap(retriever.term_weights), reader=FakeReader("£148 million", 0.9))
    answer = assistant.ask("How much did the tram extension cost?")
    assert answer.text == "£184 million [1]."
    assert answer.citations[0].passage.title == "Correction: tram extension cost"
    assert "The correct figure is £184 million" in answer.citations[0].quote
