"""Totals (rag.answer.totals): a question asking for a total is answered with the total an article states, else
with the sum of the amounts a sentence lists, each named, in the pure functions and on the answer path (a fake
reader sure of one of the amounts)."""

from __future__ import annotations

from pathlib import Path

import pytest

from rag.answer.assistant import Assistant
from rag.answer.evidence import Evidence, WordOverlap
from rag.answer.reader import Reading
from rag.answer.retrieve import Retriever
from rag.answer.totals import listed_amounts, total_reading
from rag.models.span_reader import Span
from rag.records import Passage
from rag.settings import Settings
from rag.text import split_sentences
from tests.conftest import FakeEmbedder, ScriptedLLM
from tests.test_assistant import build
from tests.test_span_reader import FakeReader

ROUNDS = ("Veloxa, the Brackford battery start-up, has raised a $2 million seed round in 2021, a $10 million Series "
          "A in 2022 and a $25 million Series B this month.")


@pytest.mark.parametrize(("sentence", "listed"), [
    (ROUNDS, 3),
    ("It won £40,000 in March and £25,000 in June.", 2),
    # one currency only, no change, no lone amount
    ("It raised $2 million and €3 million.", 0),
    ("Its revenue rose from $2 million to $3 million.", 0),
    ("The round raised $10 million.", 0),
])
def test_only_amounts_of_one_currency_listed_together_are_added(sentence: str, listed: int) -> None:
    assert len(listed_amounts(sentence)) == listed


ARTICLES = {
    "veloxa": ("Veloxa raises Series B", ROUNDS + " The company employs 80 people."),
    "ferry": ("Ferry line opens", "The ferry line opened on 3 May, carrying 900 passengers on its first day."),
}


def ask(tmp_path: Path, question: str, articles: dict[str, tuple[str, str]] = ARTICLES) -> str:
    embedder = FakeEmbedder()
    build(tmp_path, embedder, articles)
    retriever = Retriever.load(tmp_path, embedder)
    return Assistant(retriever, ScriptedLLM("unused"), Settings(index=str(tmp_path), k=3),
                     WordOverlap(retriever.term_weights), reader=FakeReader("$10 million", 0.9)).ask(question).text


def test_a_total_is_the_sum_of_the_listed_amounts_each_named(tmp_path: Path) -> None:
    assert ask(tmp_path, "How much has Veloxa raised in total?") == (
        "$37 million in total: a $2 million seed round, a $10 million Series A and a $25 million Series B [1].")


def test_a_total_the_article_states_is_the_answer(tmp_path: Path) -> None:
    stated = {"veloxa": ("Veloxa raises Series B", ROUNDS + "\n\nThe round takes the total Veloxa has raised to "
                                                            "$40 million.")}
    assert ask(tmp_path, "How much has Veloxa raised altogether?", stated).startswith("$40 million [1]")


def test_a_question_for_one_amount_is_not_added_up(tmp_path: Path) -> None:
    assert ask(tmp_path, "How much did Veloxa raise in its Series A?").startswith("$10 million")


def _reading_of(text: str, figure: str) -> tuple[Reading, list[Passage]]:
    passages = [Passage("a", "Article", "a.md", "", text, 0, len(text))]
    sentence = next(span for span in split_sentences(text) if figure in text[span.start:span.end])
    start = text.index(figure) - sentence.start
    return Reading(Span(figure, start, start + len(figure), 0.6, 1.0), 0, sentence.start, sentence.end), passages


@pytest.mark.parametrize(("question", "text", "figure"), [
    # another measure's total in the next sentence: the film's gross is not its budget
    ("What was the total budget of the film?",
     "The film had a production budget of $150 million. It grossed a total of $1.1 billion worldwide.",
     "$150 million"),
    # another country's total far from the reading's sentence: not Britain's cost
    ("What was the total cost of the war for Britain?",
     "The war cost Britain $20 billion. Rationing lasted until 1954. Germany paid war reparations totalling "
     "$33 billion.",
     "$20 billion"),
])
def test_a_total_of_another_measure_or_sentence_is_not_the_answer(question: str, text: str, figure: str) -> None:
    reading, passages = _reading_of(text, figure)
    assert total_reading(question, reading, Evidence((), (), 0.0), passages, FakeReader(figure, 0.9)) is reading


def test_a_total_of_the_measure_asked_is_the_answer() -> None:
    reading, passages = _reading_of("The film had a production budget of $150 million. Reshoots took its total "
                                    "budget to $180 million.", "$150 million")
    moved = total_reading("What was the total budget of the film?", reading, Evidence((), (), 0.0), passages,
                          FakeReader("$150 million", 0.9))
    assert moved is not None and moved.said == "$180 million"
