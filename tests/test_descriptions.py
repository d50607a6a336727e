"""Who someone is (rag.answer.descriptions): the question forms and the description forms alone, then the answer path
with a model that invents a post and a fake reader unsure of the description (the refusal it gave before)."""

from __future__ import annotations

from pathlib import Path

import pytest

from rag.answer.assistant import Assistant
from rag.answer.descriptions import described_person, description_of
from rag.answer.evidence import WordOverlap
from rag.answer.retrieve import Retriever
from rag.settings import Settings
from tests.conftest import FakeEmbedder, ScriptedLLM
from tests.test_assistant import build
from tests.test_span_reader import FakeReader


@pytest.mark.parametrize("question, person", [
    ("Who is Elena Voss?", "Elena Voss"),
    ("who is elena voss at meridian trust", "elena voss"),
    ("Who was Tomas Bercik?", "Tomas Bercik"),
    ("Who's Voss?", "Voss"),
    ("Who is the boss of Loafton Bakeries?", ""),  # a role: rag.answer.leaders
    ("Who is in charge of the Kestrin Transit Authority?", ""),
    ("Who was Guy's rival?", ""),  # someone else, named by a relation
    ("Who is representing Viktor Haldane legally?", ""),
    ("Who was President of the Board?", ""),  # a post, then "of": the one holding it is asked for
    ("Who won the race?", ""),
    ("What is Meridian Trust?", "Meridian Trust"),  # a named thing, described as a person is
    ("What was Castellane Mutual's combined ratio?", ""),
    ("What is the price of oil?", ""),
])
def test_a_question_asking_who_a_named_person_is(question: str, person: str) -> None:
    assert described_person(question) == person


@pytest.mark.parametrize("sentence, person, description", [
    ('"It is a long time," said Elena Voss, head of governance at pension fund Meridian Trust, which owns 4%.',
     "Elena Voss", "head of governance at pension fund Meridian Trust"),
    ("Voss, 61, the fund's chair, declined to comment.", "Voss", "the fund's chair"),
    ("Volunteer coordinator Anton Reyes said the library had 212 members.", "Anton Reyes", "Volunteer coordinator"),
    ("It was opened by retired headteacher Mara Holt on Saturday.", "Holt", "retired headteacher"),
    ("Elsa Brandt was an actress and diplomat.", "elsa brandt", "an actress and diplomat"),
    # set off before the name, when what follows it is what the person did
    ("The mayor of Kessling, Orla Brennick, resigned on Monday.", "orla brennick", "The mayor of Kessling"),
    ("It began when a new auditor, Fiona Bexley, noticed that the firm had no van.", "Fiona Bexley",
     "a new auditor"),
    ("Mara Holt, retired judge, will chair it.", "Mara Holt", "retired judge"),
    # a name in a list, a name saying something, a name in lower case (another word), a clause after the name
    ("Tom Reed, Elsa Brandt, and Ida Holm signed it.", "Elsa Brandt", None),
    ("Elsa Brandt said the plan would fail.", "Elsa Brandt", None),
    ("The reeds grew tall by the river.", "Reed", None),
    ("Ida Holm, who founded the club in 1990, spoke first.", "Ida Holm", None),
    ("Ida Holm, resigned on Monday, saying she was tired.", "Ida Holm", None),
    ("Ida Holm, will step down in June.", "Ida Holm", None),
    # a clause before the name is no description of it
    ("The award went to a baker, Tom Reed, and a potter, Ida Holm.", "Tom Reed", None),
    ("The council said on Monday that its leader, Orla Brennick, would resign.", "Orla Brennick", None),
    ("It began when a retired engineer, Dennis Varga, objected.", "Dennis Varga", "a retired engineer"),
])
def test_a_description_is_taken_only_in_the_forms_that_give_one(sentence: str, person: str,
                                                                 description: str | None) -> None:
    found = description_of(person, sentence)
    assert (sentence[found[0]:found[1]] if found else None) == description


ARTICLES = {
    "audit": ("Pension fund questions Corvane accounts",
              "Corvane Resources overstated its revenue for three years, auditors found. \"Three years is a very "
              "long time for revenue to be wrong by this much,\" said Elena Voss, head of governance at pension fund "
              "Meridian Trust, which owns 4% of Corvane. The company's shares fell 12%."),
    "library": ("Tool library opens",
                "A tool library opened in the old fire station on Saturday. Volunteer coordinator Anton Reyes said "
                "212 people had signed up by the end of the first day."),
}


def ask(tmp_path: Path, question: str, reply: str = "She is the chief executive of the Kelberg swimming club.") -> str:
    embedder = FakeEmbedder()
    build(tmp_path, embedder, ARTICLES)
    retriever = Retriever.load(tmp_path, embedder)
    assistant = Assistant(retriever, ScriptedLLM(reply), Settings(index=str(tmp_path), k=3),
                          WordOverlap(retriever.term_weights), reader=FakeReader("Elena Voss", 0.14))
    return assistant.ask(question).text


def test_who_a_person_is_is_answered_with_the_articles_description(tmp_path: Path) -> None:
    assert ask(tmp_path, "Who is Elena Voss?") == "Head of governance at pension fund Meridian Trust [1]."
    assert ask(tmp_path, "who is voss") == "Head of governance at pension fund Meridian Trust [1]."
    assert ask(tmp_path / "reyes", "Who is Anton Reyes?", "I don't know.") == "Volunteer coordinator [1]."
    assert ask(tmp_path / "trust", "What is Meridian Trust?", "I don't know.") == "Pension fund [1]."


def test_someone_no_article_describes_is_not_given_a_description(tmp_path: Path) -> None:
    answer = ask(tmp_path, "Who is Mara Holt?", "I don't know.")
    assert "governance" not in answer and "coordinator" not in answer
