"""Which of two parallel clauses a question asks about (rag.answer.clauses): the helpers alone, then the answer
path with a reader that takes the first name it sees."""

from __future__ import annotations

import dataclasses
import re
from pathlib import Path

import pytest

from rag.answer.assistant import Assistant
from rag.answer.clauses import asked_clause, clauses
from rag.answer.evidence import WordOverlap
from rag.answer.retrieve import Retriever
from rag.models.span_reader import Span
from rag.settings import Settings
from tests.conftest import FakeEmbedder, ScriptedLLM
from tests.test_assistant import build
from tests.test_reader_quote import asker

RESULTS = ("Jonah Pike of Leeford Harriers won the men's race in 1 hour 4 minutes, and Aisha Fenwick of Tarn Valley "
           "Striders won the women's race in 1 hour 11 minutes, a course record.")


@pytest.mark.parametrize("sentence, expected", [
    (RESULTS, 2),
    ("The bridge reopened in March; the ferry stopped running in April.", 2),
    ("Sales rose in Europe while they fell in Asia.", 2),
    ("The men's and women's races were run on Sunday.", 1),  # a bare "and" joins phrases, not clauses
    ("Pike, Fenwick and Marsh spoke.", 1),
])
def test_clauses_split_at_joiners_of_clauses_only(sentence: str, expected: int) -> None:
    assert len(clauses(sentence)) == expected


@pytest.mark.parametrize("question, span, asked", [
    ("Who won the women's race?", "Jonah Pike", "Aisha Fenwick"),  # the twin clause the question names
    ("How long did the winner of the women's race take?", "1 hour 4 minutes", "Aisha Fenwick"),
    ("Who won the men's race?", "Jonah Pike", None),  # the span's own clause is the one asked about
    ("Who won the race?", "Jonah Pike", None),  # nothing tells the clauses apart
    ("Who set a course record?", "Aisha Fenwick", None),  # already in the asked clause
])
def test_asked_clause_is_the_twin_the_question_names(question: str, span: str, asked: str | None) -> None:
    start = RESULTS.index(span)
    found = asked_clause(question, RESULTS, start, start + len(span))
    if asked is None:
        assert found is None
    else:
        assert found is not None and asked in RESULTS[found[0]:found[1]]


def test_clauses_that_share_none_of_the_question_are_not_twins() -> None:
    sentence = "Ann Roe led the march, and the police stopped it at the bridge."
    assert asked_clause("Who led the march the police stopped?", sentence, 0, 7) is None


class FirstNameReader:
    """Finds the first two capitalised words in a row of a sentence: a reader that takes
    the first name it likes, whatever the question says."""

    reads_before = False

    def read(self, question: str, title: str, sentence: str, before: str = "") -> Span:
        match = re.search(r"\b[A-Z][a-z]+ [A-Z][a-z]+", sentence)
        if match is None:
            return Span("", 0, 0, 0.0, -10.0, sentence)
        return Span(match.group(), match.start(), match.end(), 0.9, 1.0, sentence)


def test_the_winner_of_the_race_asked_about_is_answered_not_the_first_named(tmp_path: Path) -> None:
    embedder = FakeEmbedder()
    build(tmp_path, embedder, {"race": ("Half marathon results", f"The race was run on Sunday. {RESULTS}")})
    retriever = Retriever.load(tmp_path, embedder)
    assistant = Assistant(retriever, ScriptedLLM("unused"), Settings(index=str(tmp_path), k=3),
                          WordOverlap(retriever.term_weights), reader=FirstNameReader())
    women = assistant.ask("Who won the women's race?")
    assert women.text.startswith("Aisha Fenwick") and not women.refused
    assert "Jonah Pike" not in women.text
    assert assistant.ask("Who won the men's race?").text.startswith("Jonah Pike")


def test_a_span_moved_to_another_clause_answers_only_as_likely_as_the_reader_finds_it(tmp_path: Path) -> None:
    """The nfu B set's "What did Kestrel Ferries promise the Aldwen's passengers?" was refused, then answered with
    the dateline the reader found in the first clause: a moved span is no rule's reading, its chance decides."""

    class DatelineReader(FirstNameReader):
        def read(self, question: str, title: str, sentence: str, before: str = "") -> Span:
            found = super().read(question, title, sentence, before)
            return dataclasses.replace(found, probability=0.05)  # unsure, as the real reader was

    embedder = FakeEmbedder()
    build(tmp_path, embedder, {"race": ("Half marathon results", RESULTS)})
    retriever = Retriever.load(tmp_path, embedder)
    assistant = Assistant(retriever, ScriptedLLM("I don't know."), Settings(index=str(tmp_path), k=3),
                          WordOverlap(retriever.term_weights), reader=DatelineReader())
    assert not assistant.ask("Who won the women's race?").text.startswith("Aisha Fenwick")


def test_the_amount_of_the_thing_asked_is_answered_not_its_neighbours(tmp_path: Path) -> None:
    """"How much does the budget set aside for road repairs?" was answered "£2.4 million", the park's share of
    "£6.1 million for road repairs and £2.4 million for the Riverside Park renovation"."""
    budget = {"budget": ("Brenford budget proposed",
                         "The draft budget sets aside £3.7 million for school roofs and £1.9 million for the Aldgate "
                         "library. It goes to a vote in May.")}
    ask = asker(tmp_path, budget, {"£3.7 million": "MONEY", "£1.9 million": "MONEY"})
    library_first = {"£1.9 million": 0.9}  # the reader takes the library's amount whatever is asked
    assert ask("How much does the draft budget set aside for school roofs?", library_first).startswith("£3.7 million")
    assert ask("How much does the draft budget set aside for the library?", library_first).startswith("£1.9 million")
