"""Totals (rag.answer.totals): a question asking for a total is answered with the total an article states, else
with the sum of the amounts a sentence lists, each named, in the pure functions and on the answer path (a fake
reader sure of one of the amounts)."""

from __future__ import annotations

from pathlib import Path

import pytest

from rag.answer.assistant import Assistant
from rag.answer.evidence import WordOverlap
from rag.answer.retrieve import Retriever
from rag.answer.totals import listed_amounts
from rag.settings import Settings
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
