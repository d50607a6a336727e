"""Outlets (rag.answer.outlets): a question naming an outlet is answered from that outlet's report, and another
outlet's report joins "reported by" only when it says what the answer cites; in the pure functions and with the real
models over two outlets reporting one closure with different figures."""

from __future__ import annotations

import json
from typing import Any

import pytest

from rag.answer.outlets import named_outlet, without_outlet

SOURCES = ["Dunford Gazette", "Lenn Valley Herald", "reports/mill.md"]


@pytest.mark.parametrize(("question", "outlet"), [
    ("How many jobs did the Dunford Gazette say would go?", "Dunford Gazette"),
    ("How many jobs will go, according to the lenn valley herald?", "Lenn Valley Herald"),
    ("What did the Herald report about the mill?", "Lenn Valley Herald"),
    # a common noun, a word of a name, a file's path: no outlet named
    ("Who delivers the gazette in Dunford?", ""),
    ("How many jobs will go at the Dunford mill?", ""),
    ("What does reports/mill.md say?", ""),
])
def test_the_outlet_a_question_names_is_found_among_the_sources(question: str, outlet: str) -> None:
    assert named_outlet(question, SOURCES) == outlet


def test_the_outlet_s_name_is_not_a_word_its_article_must_say() -> None:
    assert without_outlet("How many jobs did the Lenn Valley Herald say would go?", "Lenn Valley Herald") == (
        "How many jobs did say would go?")


REPORTS = [
    {"id": "gazette-mill", "title": "Kestrel Mills to close Dunford mill", "published": "2026-06-01",
     "source": "Dunford Gazette",
     "text": "Kestrel Mills will close its Dunford paper mill in October, with the loss of 140 jobs. The company said "
             "on Monday that the mill was no longer profitable after pulp prices doubled. Production will move to "
             "its site in Carrow."},
    {"id": "herald-mill", "title": "160 jobs to go as Kestrel shuts paper mill", "published": "2026-06-01",
     "source": "Lenn Valley Herald",
     "text": "Kestrel Mills announced on Monday that it will shut its Dunford factory in October, with the loss of "
             "160 jobs. The firm blamed pulp prices that it said had doubled. Work will be transferred to Carrow."},
    {"id": "gazette-allotments", "title": "Mayor denies Eastfield allotments sale", "published": "2026-06-03",
     "source": "Dunford Gazette",
     "text": "Mayor Ana Ruiz denied reports that she plans to sell the Eastfield allotments to the developer Carrow "
             "Homes. \"There has never been any plan to sell the allotments,\" Ruiz said on Wednesday."},
    {"id": "herald-allotments", "title": "Allotment holders demand answers on Eastfield sale",
     "published": "2026-06-01",
     "source": "Lenn Valley Herald",
     "text": "Eastfield allotment holders have written to the council demanding to know whether the Eastfield "
             "allotments are for sale. Their chair said members had been told that a sale to Carrow Homes was being "
             "discussed."},
    {"id": "gazette-ferry", "title": "Ferry line opens", "published": "2026-05-20", "source": "Dunford Gazette",
     "text": "The Dunford ferry line opened on 3 May, carrying 900 passengers on its first day."},
]


@pytest.fixture(scope="module")
def outlets_assistant(tmp_path_factory: pytest.TempPathFactory, real_embedder, real_llm) -> Any:  # type: ignore[no-untyped-def]
    from rag.answer.assistant import Assistant
    from rag.ingest.indexer import UpdateOptions, update_index

    folder = tmp_path_factory.mktemp("outlets")
    articles = folder / "reports.jsonl"
    articles.write_text("".join(json.dumps(report) + "\n" for report in REPORTS))
    update_index([articles], folder / "index", real_embedder, UpdateOptions(progress=False))
    return Assistant.load(folder / "index", embedder=real_embedder, llm=real_llm)


@pytest.mark.parametrize(("question", "figure", "outlet"), [
    ("How many jobs did the Dunford Gazette say would be lost at the Kestrel mill?", "140", "Dunford Gazette"),
    ("How many jobs did the Lenn Valley Herald say would be lost at the Kestrel mill?", "160", "Lenn Valley Herald"),
])
def test_the_outlet_named_gives_the_answer(outlets_assistant: Any, question: str, figure: str, outlet: str) -> None:
    answer = outlets_assistant.ask(question, as_of="2026-07-01")
    assert not answer.refused
    assert figure in answer.text
    assert {citation.passage.source for citation in answer.citations} == {outlet}


def test_a_follow_up_naming_the_other_outlet_asks_it_the_same_question(outlets_assistant: Any) -> None:
    first = "How many jobs did the Dunford Gazette say would be lost at the Kestrel mill?"
    answer = outlets_assistant.ask("And the Lenn Valley Herald?", history=[(first, "140 jobs [1].")],
                                   as_of="2026-07-01")
    assert "160" in answer.text and "140" not in answer.text
    assert {citation.passage.source for citation in answer.citations} == {"Lenn Valley Herald"}


def test_two_outlets_different_figures_are_said_side_by_side_neither_backing_the_other(outlets_assistant: Any
                                                                                        ) -> None:
    answer = outlets_assistant.ask("How many jobs will be lost at the Kestrel mill?", as_of="2026-07-01")
    assert "140" in answer.text and "160" in answer.text
    by_figure = {figure: citation for citation in answer.citations for figure in ("140", "160")
                 if figure in citation.quote}
    assert by_figure["140"].passage.source == "Dunford Gazette"
    assert by_figure["160"].passage.source == "Lenn Valley Herald"
    # each figure's outlet alone reports it: the other gave another figure of the same jobs
    assert by_figure["140"].reported_by == ["Dunford Gazette"]
    assert by_figure["160"].reported_by == ["Lenn Valley Herald"]


def test_a_report_sharing_only_the_story_s_topic_does_not_back_the_answer(outlets_assistant: Any) -> None:
    hits = outlets_assistant.search("Did the mayor deny selling the Eastfield allotments?")
    assert [other.source for other in hits[0].same_story] == ["Lenn Valley Herald"]  # grouped as one story
    answer = outlets_assistant.ask("Did the mayor deny selling the Eastfield allotments?", as_of="2026-07-01")
    assert not answer.refused
    assert [citation.reported_by for citation in answer.citations] == [["Dunford Gazette"]]


@pytest.mark.parametrize(("claim", "report", "backed"), [
    ("140 jobs", "The mill will shut with the loss of 160 jobs.", False),
    ("140 jobs", "The mill will shut with the loss of 140 jobs.", True),
    ("In October", "Kestrel will shut its factory in October.", True),
    ("Mayor Ana Ruiz denied reports that she plans to sell the Eastfield allotments.",
     "Members had been told that a sale of the Eastfield allotments was being discussed.", False),
    ("Mayor Ana Ruiz denied reports that she plans to sell the Eastfield allotments.",
     "Ruiz denied she plans to sell the Eastfield allotments, calling the reports false.", True),
])
def test_a_report_backs_a_claim_that_it_says(claim: str, report: str, backed: bool) -> None:
    from rag.answer.outlets import backs

    assert backs(claim, report) is backed


@pytest.mark.parametrize(("question", "date", "article"), [
    ("When did the Dunford Gazette report that the mayor denied the allotments sale?", "3 June 2026",
     "gazette-allotments"),
    ("When did the Lenn Valley Herald first report the Kestrel mill closure?", "1 June 2026", "herald-mill"),
])
def test_when_an_outlet_reported_something_is_its_article_s_date(outlets_assistant: Any, question: str, date: str,
                                                                 article: str) -> None:
    answer = outlets_assistant.ask(question, as_of="2026-07-01")
    assert date in answer.text
    assert [citation.passage.article_id.rsplit("#", 1)[-1] for citation in answer.citations] == [article]


def test_a_person_s_name_is_no_outlet_asked_when_it_reported(outlets_assistant: Any) -> None:
    answer = outlets_assistant.ask("When did Ana Ruiz report the allotments sale?", as_of="2026-07-01")
    assert "reported it on" not in answer.text


@pytest.mark.parametrize("question", [
    "Did the Dunford Gazette and the Lenn Valley Herald report the same number of job losses at the Kestrel mill?",
    "Does any article contradict the claim that 140 jobs will be lost at the Kestrel mill?",
])
def test_whether_the_reports_agree_on_a_figure_is_answered_with_each_one_s(outlets_assistant: Any,
                                                                          question: str) -> None:
    answer = outlets_assistant.ask(question, as_of="2026-07-01")
    assert "140" in answer.text and "160" in answer.text
    assert {citation.passage.source for citation in answer.citations} == {"Dunford Gazette", "Lenn Valley Herald"}
