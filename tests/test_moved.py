"""A date a later report moved (rag.answer.moved): which reports say a plan moved, then the answer path over dated
reports with a reader that takes the first date it meets."""

from __future__ import annotations

import datetime
from pathlib import Path

import pytest

from rag.answer.assistant import Assistant
from rag.answer.evidence import WordOverlap
from rag.answer.moved import says_it_moved
from rag.answer.retrieve import Retriever
from rag.ingest.chunk import embedding_text
from rag.records import Passage
from rag.settings import Settings
from rag.store.generations import PassageIndex
from tests.conftest import FakeEmbedder, ScriptedLLM
from tests.test_span_reader import SpansReader

REPORTS = (
    ("announced", "2025-08-20", "Record field for Carrowmere Half Marathon",
     "A record 2,400 runners have registered for the Carrowmere Half Marathon, which will be held on Sunday 5 "
     "October 2025, organisers said."),
    ("postponed", "2025-10-01", "Half marathon postponed as storm approaches",
     "Sunday's Carrowmere Half Marathon has been postponed because of Storm Imogen. The race will now take place "
     "on Sunday 9 November 2025, on the same route."),
)


def dated_assistant(folder: Path, reports: tuple[tuple[str, str, str, str], ...], reader: SpansReader) -> Assistant:
    """An assistant over `reports` (key, publication date, title, text), indexed in `folder`, reading with
    `reader`; its model is never needed."""
    embedder = FakeEmbedder()
    index = PassageIndex(embedder.name, embedder.dimension)
    passages = [Passage(key, title, f"{key}.md", "", text, 0, len(text), published=published)
                for key, published, title, text in reports]
    index.add(passages, embedder.embed([embedding_text(passage.title, passage.text) for passage in passages]))
    index.save(folder)
    retriever = Retriever.load(folder, embedder)
    return Assistant(retriever, ScriptedLLM("unused"), Settings(index=str(folder), k=3),
                     WordOverlap(retriever.term_weights), reader=reader)


def assistant_over(folder: Path) -> Assistant:
    # the reader takes the first date it meets, the old one of the sentence that words the question best
    return dated_assistant(folder, REPORTS, SpansReader({"Sunday 5 October 2025": 0.9, "Sunday": 0.9,
                                                         "Sunday 9 November 2025": 0.8}))


def test_a_report_says_a_plan_moved_when_it_names_it_and_a_change_of_date() -> None:
    postponed = Passage("p", REPORTS[1][2], "p.md", "", REPORTS[1][3], 0, len(REPORTS[1][3]))
    announced = Passage("a", REPORTS[0][2], "a.md", "", REPORTS[0][3], 0, len(REPORTS[0][3]))
    assert says_it_moved("When is the Carrowmere Half Marathon?", postponed)
    assert not says_it_moved("When is the Carrowmere Half Marathon?", announced)
    assert not says_it_moved("When is the Leeford Ten Miler?", postponed)  # another plan


def test_a_when_question_is_answered_with_the_date_a_newer_report_moved_the_plan_to(tmp_path: Path) -> None:
    assistant = assistant_over(tmp_path)
    question = "When will the Carrowmere Half Marathon be held?"
    after = assistant.ask(question, as_of="2025-10-05")
    assert after.text.startswith("On Sunday 9 November 2025 [1]") or after.text.startswith("Sunday 9 November 2025"), \
        after.text
    assert after.citations[0].passage.article_id == "postponed"
    before = assistant.ask(question, as_of="2025-09-01")  # the postponement is not yet published
    assert "5 October 2025" in before.text and before.citations[0].passage.article_id == "announced"


FIRE = (
    ("first", "2026-02-14", "Two dead as fire destroys Stanway Mills depot",
     "Two people died in the Stanway Mills fire, and five people were injured in the Stanway Mills fire."),
    ("revised", "2026-02-16", "Stanway Mills fire: police revise death toll to one",
     "Police have revised the toll of the Stanway Mills blaze from two to one."),
)


def test_a_how_many_question_is_answered_with_the_figure_a_newer_report_revised(tmp_path: Path) -> None:
    assistant = dated_assistant(tmp_path, FIRE, SpansReader({"Two": 0.9, "two to one": 0.9}))
    question = "How many people died in the Stanway Mills fire?"
    assert assistant.ask(question, as_of="2026-02-17").text.startswith("One [1]")
    assert assistant.ask(question, as_of="2026-02-15").text.startswith("Two")  # the revision is not yet out


def test_a_newer_report_that_moves_something_else_of_the_plan_moves_no_date() -> None:
    """A reviewer's case: "The finish … has moved to the seafront. Registration closes on Friday 19 September 2025"
    answered "When will the race be held?" with the registration's date."""
    from rag.answer.moved import MOVED

    text = ("The finish of the Carrowmere Half Marathon has moved to the seafront. Registration for the race closes "
            "on Friday 19 September 2025.")
    assert MOVED.search(text) is None  # moved to a place, not a time: no report that the plan's date moved
    assert MOVED.search("The race has been moved to Sunday 9 November.") is not None


INJURED = (
    ("fire", "2026-02-14", "Fire at Stanway Mills warehouse injures five",
     "A fire swept through a warehouse at the Stanway Mills estate on Friday night. Five people were injured in "
     "the fire and taken to Brackford General Hospital."),
    ("crash", "2026-02-15", "Three injured in Carrow Road crash",
     "Three people were injured when a van and a car collided on Carrow Road, and were treated at Brackford General "
     "Hospital."),
    ("update", "2026-02-16", "Stanway Mills update: warehouse owner named",
     "The warehouse destroyed at the Stanway Mills estate belonged to Corran Logistics. Police said the number of "
     "injured now stands at six after a worker went to hospital on Sunday."),
)


def test_a_revision_below_the_k_retrieved_is_read_when_it_continues_their_story(tmp_path: Path) -> None:
    """The revised count is found by a word search for the retrieved story's later reports (retrieval kept one
    passage), and read though the question names nothing ("How many were injured?"); a revision published after
    the question's date is not."""
    assistant = dated_assistant(tmp_path, INJURED, SpansReader({"Five": 0.9, "six": 0.8, "Three": 0.9}))
    assistant.settings = Settings(index=str(tmp_path), k=1)
    named = "How many people were injured in the Stanway Mills fire?"
    hits = assistant.retriever.search_timed(named, 1, as_of=datetime.date(2026, 2, 17)).hits
    assert [hit.passage.article_id for hit in hits] == ["fire"]  # the revision ranks below k
    answer = assistant.ask(named, as_of="2026-02-17")
    assert answer.text.lower().startswith("six"), answer.text
    assert answer.citations[0].passage.article_id == "update"
    assert assistant.ask(named, as_of="2026-02-15").text.startswith("Five")  # not yet published
    other = assistant.ask("How many people were injured in the Carrow Road crash?", as_of="2026-02-17")
    assert other.text.startswith("Three"), other.text  # another story: the fire's revision is not read


def test_a_question_naming_nothing_reads_the_revision_of_the_story_it_was_answered_from(tmp_path: Path) -> None:
    assistant = dated_assistant(tmp_path, INJURED[:1] + INJURED[2:], SpansReader({"Five": 0.9, "six": 0.8}))
    answer = assistant.ask("How many were injured?", as_of="2026-02-17")
    assert answer.text.lower().startswith("six"), answer.text


STRIKE = (
    ("walkout", "2026-02-03", "Bus drivers walk out over pay",
     "Bus drivers at Lennline walked out on Monday in a dispute over pay. The union said the bus strike would "
     "continue until Lennline improved its pay offer."),
    ("regatta", "2026-02-10", "Regatta draws record crowd",
     "The winter regatta drew a record crowd of 6,200 on Saturday."),
    ("deal", "2026-02-20", "Lennline strike called off after pay deal",
     "The Lennline bus strike was called off after drivers accepted a pay deal. Buses run a normal timetable."),
)


@pytest.mark.parametrize("question", ["Is the bus strike still on?", "Is the Lennline bus strike on?",
                                      "What is the latest on the Lennline bus strike?"])
def test_how_a_story_stands_is_answered_from_its_newest_report(tmp_path: Path, question: str) -> None:
    """A status question in the present is answered from the newest report of the story as of its date (found
    below the k retrieved when it must be), not from the older report that words the question best."""
    assistant = dated_assistant(tmp_path, STRIKE, SpansReader({}))
    assistant.settings = Settings(index=str(tmp_path), k=1)
    answer = assistant.ask(question, as_of="2026-03-20")
    assert not answer.refused and answer.citations[0].passage.article_id == "deal", answer.text
    assert "called off" in answer.text
    before = assistant.ask(question, as_of="2026-02-12")  # the deal was not yet reported
    assert before.citations and before.citations[0].passage.article_id == "walkout", before.text
