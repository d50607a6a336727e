"""How old someone is (rag.answer.ages): the rules alone, then the answer path with a fake reader that finds the
wrong person's age; and the times of day beside them (rag.answer.reader, rag.text)."""

from __future__ import annotations

from pathlib import Path

import pytest

from rag.answer.ages import ages_given, asked_person, surname
from rag.answer.assistant import Assistant
from rag.answer.evidence import WordOverlap
from rag.answer.reader import asks_clock_time, with_time_word
from rag.answer.retrieve import Retriever
from rag.records import Passage
from rag.settings import Settings
from rag.text import split_sentences
from tests.conftest import FakeEmbedder, ScriptedLLM
from tests.test_assistant import build
from tests.test_span_reader import FakeReader


@pytest.mark.parametrize("question, who", [
    ("How old is Declan Furlong?", "Declan Furlong"),
    ("how old is coach passenger edda lindqvist", "coach passenger edda lindqvist"),
    ("How old was Furlong when he was first elected?", ""),  # an age at a time: not "the 61-year-old" of today
    ("How old was she in 1990?", ""),
    ("What is the oldest bridge?", ""),
])
def test_a_question_asking_how_old_names_the_person(question: str, who: str) -> None:
    assert asked_person(question) == who


def test_the_last_word_names_the_person_when_it_can_be_a_name() -> None:
    assert surname("Declan Furlong") == "Furlong"
    assert surname("the driver of the lorry that hit the Fenwick Lane bridge") == ""  # "bridge": nobody
    assert surname("viktor haldane") == "haldane"  # a question typed in lower case


def passages_of(*texts: str) -> list[Passage]:
    return [Passage(f"a{number}", f"Story {number}", "s", "", text, 0, len(text))
            for number, text in enumerate(texts)]


@pytest.mark.parametrize("text, name, given, years", [
    ("Haldane, 57, denies the allegations.", "Haldane", "", ["57"]),
    ("\"It saved us,\" said passenger Edda Lindqvist, 72, who was travelling alone.", "lindqvist", "", ["72"]),
    ("The driver, 51-year-old Tomas Bercik, stopped the coach.", "Bercik", "", ["51"]),
    ("Benedetti, a 46-year-old former champion, felt robbed.", "Benedetti", "", ["46"]),
    ("Mayor Declan Furlong lost. The 61-year-old said he accepted it.", "Furlong", "Declan", ["61"]),
    # the person named two sentences before, only a pronoun between
    ("Chief executive Simon Achterberg spoke. \"It is not a business,\" he said. The 61-year-old joined in 2018.",
     "Achterberg", "Simon", ["61"]),
    ("Martin Haldane apologised. \"We let our customers down,\" the 49-year-old said.", "Haldane", "Martin", ["49"]),
    # someone else's age: another person named first, or in between
    ("Miriam Osei beat Declan Furlong. The 46-year-old was a headteacher.", "Furlong", "", []),
    ("Furlong conceded. Miriam Osei thanked voters. The 46-year-old was a headteacher.", "Furlong", "", []),
    # another person of the same last name: the article never names "Martin Haldane"
    ("Her coach Viktor Haldane was suspended. Haldane, 57, denies it.", "Haldane", "Martin", []),
    # a count, not an age
    ("Furlong won 9,398 votes, 37 more than before.", "Furlong", "", []),
])
def test_an_age_is_taken_only_where_the_text_ties_it_to_the_person(text: str, name: str, given: str,
                                                                   years: list[str]) -> None:
    assert [age.years for age in ages_given(name, passages_of(text), given)] == years


def test_the_sentence_naming_the_person_may_end_the_passage_before() -> None:
    article = "Chief executive Simon Achterberg spoke.\n\nThe 61-year-old joined Loafton in 2018."
    first, second = (Passage("b", "Loafton", "s", "", article[:39], 0, 39),
                     Passage("b", "Loafton", "s", "", article[41:], 41, len(article)))
    assert [age.years for age in ages_given("Achterberg", [second, first])] == ["61"]
    assert ages_given("Achterberg", [second]) == []  # the passage naming him was not retrieved


ARTICLES = {
    "chess": ("Grandmaster disqualified",
              "Grandmaster Tomas Velikov was disqualified from the Nordvale chess championship on Thursday. "
              "The 29-year-old was leading the standings. Chief arbiter Henrik Salo, 64, found the device."),
    "coach": ("Coach fire in tunnel",
              "The driver, 51-year-old Tomas Bercik, stopped the coach in the tunnel. Passenger Edda Lindqvist, "
              "72, praised him."),
}


def ask(tmp_path: Path, question: str, found: str) -> str:
    embedder = FakeEmbedder()
    build(tmp_path, embedder, ARTICLES)
    retriever = Retriever.load(tmp_path, embedder)
    assistant = Assistant(retriever, ScriptedLLM("I don't know."), Settings(index=str(tmp_path), k=3),
                          WordOverlap(retriever.term_weights), reader=FakeReader(found, 0.1))
    return assistant.ask(question).text


def test_how_old_is_answered_with_the_persons_age_not_the_one_the_reader_found(tmp_path: Path) -> None:
    assert ask(tmp_path, "How old is Tomas Velikov?", "64").startswith("29 [1]")
    assert ask(tmp_path, "how old is edda lindqvist", "51").startswith("72 [1]")
    # nobody asked by name: the reader's reading stands (not sure enough, so the model's words, then refused)
    assert not ask(tmp_path, "How old is the grandmaster's opponent?", "64").startswith(("29", "64", "72"))


def test_a_stop_inside_a_time_of_day_ends_no_sentence() -> None:
    text = "Customers lost their connection at 11:40 p.m. on Monday, when an update failed. It was fixed."
    assert [text[span.start:span.end] for span in split_sentences(text)] == [
        "Customers lost their connection at 11:40 p.m. on Monday, when an update failed.", "It was fixed."]


def test_a_time_of_day_keeps_its_day_before_or_after() -> None:
    sentence = "The final round is scheduled for Sunday at 2 p.m. in the Kestrel Hall."
    start, end = with_time_word("When does the final round start?", sentence, 43, 49)
    assert sentence[start:end] == "Sunday at 2 p.m."
    sentence = "It began on Friday, at 6 p.m. on the dot."  # a day with a comma between, and no day after
    start, end = with_time_word("When did it begin?", sentence, 23, 29)
    assert sentence[start:end] == "on Friday, at 6 p.m."
    assert asks_clock_time("At what time did the lorry hit the bridge?")
    assert not asks_clock_time("What time of day do most accidents happen?")


VOTE = {
    "vote": ("Velmora council bans cars from the old centre",
             "VELMORA, Oct 14 (Wire) - Velmora city council voted on Tuesday to ban private cars from the old centre "
             "in a vote on the car ban. Councillors backed the plan by 31 votes to 24 after a long debate. Shop "
             "owners fear losing trade."),
}


def quoted(tmp_path: Path, reader: FakeReader | None,
           question: str = "How did the Velmora council vote on the car ban?") -> str:
    embedder = FakeEmbedder()
    build(tmp_path, embedder, VOTE)
    retriever = Retriever.load(tmp_path, embedder)
    assistant = Assistant(retriever, ScriptedLLM("I don't know."), Settings(index=str(tmp_path), k=3),
                          WordOverlap(retriever.term_weights), reader=reader)
    return assistant.ask(question).text


def test_a_quoted_answer_quotes_the_sentence_the_reader_finds_likeliest_not_the_opening(tmp_path: Path) -> None:
    # the opening sentence holds every word of the question; the reader finds the margin in the next one only, not
    # surely enough to answer with the span alone: the answer is a quote, of that sentence
    assert quoted(tmp_path, FakeReader("31 votes to 24", 0.15)) == (
        'The articles say: "Councillors backed the plan by 31 votes to 24 after a long debate." [1]')
    assert quoted(tmp_path / "without", None).startswith('The articles say: "VELMORA, Oct 14')
    # a margin question is answered by the vote's count the article says (`rag.answer.reader.tally_reading`)
    margin = "What was the margin of the Velmora council vote on the car ban?"
    assert quoted(tmp_path / "margin", FakeReader("31 votes to 24", 0.15), margin) == "31 votes to 24 [1]."

