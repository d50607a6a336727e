"""Estimates that disagree (rag.answer.estimates): the different figure another relevant article gives of the same
measure is said beside the one read, each with its source, in the pure functions and on the answer path (a fake
reader sure of one report's figure)."""

from __future__ import annotations

from pathlib import Path

import pytest

from rag.answer.assistant import Assistant
from rag.answer.estimates import compared_figure, other_estimate
from rag.answer.evidence import WordOverlap
from rag.answer.reader import Reading
from rag.answer.retrieve import Retriever
from rag.models.span_reader import Span
from rag.records import Passage
from rag.settings import Settings
from tests.conftest import FakeEmbedder, ScriptedLLM
from tests.test_assistant import build
from tests.test_span_reader import FakeReader

INSTITUTE = "The Policy Institute estimates that 12,000 households are affected by damp and mould in Harwick."
COUNCIL = "The Council's review puts the figure at 9,500 households affected by damp and mould in Harwick."


def estimate(other: str, question: str = "How many households are affected by damp?", title: str = "Review",
             span: str = "12,000 households") -> str | None:
    passages = [Passage("i", "Institute report", "i.md", "", INSTITUTE, 0, len(INSTITUTE)),
                Passage("c", title, "c.md", "", other, 0, len(other))]
    start = INSTITUTE.index(span)
    reading = Reading(Span(span, start, start + len(span), 0.9, 2.0), 0, 0, len(INSTITUTE))
    found = other_estimate(question, reading, passages, {0, 1})
    return None if found is None else found.figure


@pytest.mark.parametrize(("other", "question", "figure"), [
    (COUNCIL, "How many households are affected by damp?", "9,500 households"),
    # the same figure is no other estimate; another unit is another measure
    ("The review also finds 12,000 households affected by damp.", "How many households are affected?", None),
    ("The review finds 9,500 homes affected by damp.", "How many households are affected by damp?", None),
    # the other sentence must say what the question asks as the first does ("affected")
    ("The town has 9,500 households, many with damp.", "How many households are affected by damp?", None),
    # another year's count is no estimate of the same thing
    ("In 2019, 9,500 households were affected by damp.", "How many households are affected?", None),
    # not a question for one figure
    (COUNCIL, "Who estimates that households are affected by damp?", None),
])
def test_another_article_s_different_figure_of_the_same_measure_is_found(other: str, question: str,
                                                                       figure: str | None) -> None:
    assert estimate(other, question) == figure


def test_another_place_s_figure_is_no_other_estimate() -> None:
    # the question names Harwick, which the first article says and the other does not
    other = "The Council's review puts the figure at 9,500 households affected by damp and mould in Lenmouth."
    assert estimate(other, "How many households in Harwick are affected by damp?") is None


ARTICLES = {
    "institute": ("Institute report on damp homes", INSTITUTE + " Its report calls for a repair fund."),
    "council": ("Council review of housing conditions", COUNCIL + " The review was published on Tuesday."),
    "ferry": ("Ferry line opens", "The ferry line opened on 3 May, carrying 900 passengers on its first day."),
}


def assistant(tmp_path: Path) -> Assistant:
    embedder = FakeEmbedder()
    build(tmp_path, embedder, ARTICLES)
    retriever = Retriever.load(tmp_path, embedder)
    return Assistant(retriever, ScriptedLLM("unused"), Settings(index=str(tmp_path), k=3),
                     WordOverlap(retriever.term_weights), reader=FakeReader("12,000 households", 0.9))


@pytest.mark.parametrize("question", [
    "How many households are affected by damp and mould?",
    "Which reports estimate the number of households affected by damp, and how do they differ?",
])
def test_both_estimates_are_given_each_with_its_source(tmp_path: Path, question: str) -> None:
    answer = assistant(tmp_path).ask(question)
    assert answer.question == question
    assert answer.text == ('12,000 households according to "Institute report on damp homes" [1]; 9,500 households '
                           'according to "Council review of housing conditions" [2].'), answer
    assert [citation.passage.article_id for citation in answer.citations] == ["institute", "council"]
    assert "9,500 households" in answer.citations[1].quote


def test_a_figure_no_other_article_gives_is_answered_alone(tmp_path: Path) -> None:
    embedder = FakeEmbedder()
    build(tmp_path, embedder, ARTICLES)
    retriever = Retriever.load(tmp_path, embedder)
    answer = Assistant(retriever, ScriptedLLM("unused"), Settings(index=str(tmp_path), k=3),
                       WordOverlap(retriever.term_weights), reader=FakeReader("900 passengers", 0.9)).ask(
        "How many passengers did the ferry carry on its first day?")
    assert answer.text == "900 passengers [1]."


def test_only_a_question_comparing_reports_estimates_is_asked_as_a_figure() -> None:
    assert compared_figure("Which studies gave the number of jobs lost, and how do their figures differ?") == (
        "What is the number of jobs lost?")
    assert compared_figure("Which reports mention the harbour, and when were they published?") is None


@pytest.mark.slow
def test_the_real_models_give_both_estimates_and_a_total(tmp_path: Path, real_embedder, real_llm) -> None:  # type: ignore[no-untyped-def]
    """The analyst's reports with the real models: both reports' figures cited, each from its own article, and the
    funding rounds added up. Which figure comes first is the reader's (it may differ between CPUs): not asserted."""
    from rag.ingest.indexer import UpdateOptions, update_index
    from tests.conftest import write

    folder = tmp_path / "articles"
    for name, day, title, text in (
        ("institute.md", "2025-09-02", "Institute report on damp homes",
         "The Policy Institute estimates that 12,000 households are affected by damp and mould in the region. Its "
         "report calls for a repair fund."),
        ("council.md", "2025-10-14", "Council review of housing conditions",
         "The Council's review puts the figure at 9,500 households affected by damp and mould. The review was "
         "published on Tuesday."),
        ("startup.md", "2025-05-01", "Veloxa raises Series B",
         "Veloxa, the Brackford battery start-up, has raised a $2 million seed round in 2021, a $10 million Series A "
         "in 2022 and a $25 million Series B this month. The company employs 80 people."),
    ):
        write(folder, name, f"---\ntitle: {title}\ndate: {day}\nsource: Echo\n---\n\n{text}\n")
    update_index([folder], tmp_path / "index", real_embedder, UpdateOptions(progress=False))
    assistant = Assistant.load(tmp_path / "index", embedder=real_embedder, llm=real_llm)
    for question in ("How many households are affected?",
                     "Which reports estimate the number of affected households, and how do they differ?"):
        answer = assistant.ask(question, as_of="2026-03-20")
        assert "12,000" in answer.text and "9,500" in answer.text, answer.text
        assert {citation.passage.title for citation in answer.citations} == {
            "Institute report on damp homes", "Council review of housing conditions"}, answer
    total = assistant.ask("How much has the company raised in total?", as_of="2026-03-20")
    assert total.text.startswith("$37 million in total"), total.text


def test_both_estimates_are_given_however_unsure_the_reader_is(tmp_path: Path) -> None:
    # the model would write one report's figure: the two articles' figures are the span answer's, as a rule's
    embedder = FakeEmbedder()
    build(tmp_path, embedder, ARTICLES)
    retriever = Retriever.load(tmp_path, embedder)
    answer = Assistant(retriever, ScriptedLLM("12,000 households are affected by damp and mould [1]."),
                       Settings(index=str(tmp_path), k=3), WordOverlap(retriever.term_weights),
                       reader=FakeReader("12,000 households", 0.2)).ask("How many households are affected by damp?")
    assert "9,500 households" in answer.text and len(answer.citations) == 2, answer


def _pair(first: str, second: str, question: str, figure: str) -> str | None:
    passages = [Passage("a", "First report", "a.md", "", first, 0, len(first)),
                Passage("b", "Second report", "b.md", "", second, 0, len(second))]
    start = first.index(figure)
    reading = Reading(Span(figure, start, start + len(figure), 0.9, 2.0), 0, 0, len(first))
    found = other_estimate(question, reading, passages, {0, 1})
    return None if found is None else found.figure


@pytest.mark.parametrize(("first", "second", "question", "figure"), [
    # two earthquakes' death tolls: two events, not two estimates of one
    ("The earthquake in Mexico killed 230 people.", "The earthquake in Turkey killed 1,500 people.",
     "How many people died in the earthquake?", "230 people"),
    # two universities' enrolments
    ("About 12,000 students attend the university each year.", "Some 14,500 students attend the university each year.",
     "How many students attend the university each year?", "12,000 students"),
    # only one of the two gives its figure as an estimate
    (INSTITUTE, "Officials counted 9,500 households affected by damp and mould in Harwick.",
     "How many households are affected by damp?", "12,000 households"),
])
def test_figures_not_both_given_as_estimates_are_not_paired(first: str, second: str, question: str,
                                                            figure: str) -> None:
    assert _pair(first, second, question, figure) is None
