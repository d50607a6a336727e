"""Yes-or-no and either-or questions (rag.answer.polar): a yes-or-no question is answered with its best sentence
quoted, never with a span of it nor with the model's words; an either-or question between two figures with the
option a sentence gives."""

from __future__ import annotations

from pathlib import Path

import pytest

from rag.answer.assistant import Assistant
from rag.answer.denials import denial
from rag.answer.evidence import WordOverlap
from rag.answer.polar import asks_yes_or_no, either_or_options
from rag.answer.retrieve import Retriever
from rag.models.entities import PhraseTagger
from rag.settings import Settings
from tests.conftest import FakeEmbedder, ScriptedLLM
from tests.test_assistant import build
from tests.test_span_reader import FakeReader

DENIAL = {
    "meadows": ("Mayor denies Kestrel Meadows sale",
                "Mayor Ilse Varga denied reports that she plans to sell part of Kestrel Meadows to the developer "
                "Pellam Homes. There has never been any plan to sell the meadows, she said."),
    "bridge": ("Footbridge reopens", "The Maplewood footbridge reopened on 14 March after repairs."),
}

TRIAL = {
    "opens": ("Fraud trial opens",
              "Former treasurer Colm Brady, 51, is accused of embezzling £412,000 from the harbour trust. "
              "He denies all charges."),
    "jobs": ("Jobless figures", "An article on March 5 incorrectly stated that the youth jobless rate in Lenn "
                                "County was 21 percent. The correct figure is 12 percent."),
}


def assistant(tmp_path: Path, articles: dict[str, tuple[str, str]], reader: FakeReader,
              *replies: str) -> tuple[Assistant, ScriptedLLM]:
    embedder = FakeEmbedder()
    build(tmp_path, embedder, articles)
    retriever = Retriever.load(tmp_path, embedder)
    llm = ScriptedLLM(*replies)
    return Assistant(retriever, llm, Settings(index=str(tmp_path), k=3), WordOverlap(retriever.term_weights),
                     reader=reader), llm


@pytest.mark.parametrize("question, polar", [
    ("Is Mayor Varga selling part of Kestrel Meadows?", True),
    ("Was Colm Brady cleared of all charges?", True),
    ("Did Colm Brady admit the charges?", True),
    ("Has the footbridge reopened?", True),
    ("Who is buying Kestrel Meadows?", False),
    ("Was it £412,000 or £409,750?", False),  # either-or
    ("Is Pellam Homes or Varga older?", False),  # a comparison
    ("Was the footbridge reopened in which month?", False),
    ("Isolation wards were opened when?", False),  # "Is" only as the start of a word
])
def test_a_yes_or_no_question_opens_with_an_auxiliary_and_asks_for_no_thing(question: str, polar: bool) -> None:
    assert asks_yes_or_no(question) is polar


def test_a_yes_or_no_question_quotes_the_denial_rather_than_a_span_of_it(tmp_path: Path) -> None:
    # the reader is sure of the buyer in the denial sentence, the model says yes: neither answers
    reader = FakeReader("Pellam Homes", 0.95)
    ask, llm = assistant(tmp_path, DENIAL, reader, "Yes, Mayor Varga is selling part of Kestrel Meadows [1].")
    answer = ask.ask("Is Mayor Varga selling part of Kestrel Meadows?")
    assert not answer.refused
    assert answer.text.startswith("The articles say:") and "denied" in answer.text
    assert not answer.text.startswith("Pellam") and "Yes" not in answer.text
    assert answer.citations[0].passage.article_id == "meadows"
    assert not llm.prompts  # the model was never asked


def test_an_entity_question_still_gets_the_span(tmp_path: Path) -> None:
    ask, _ = assistant(tmp_path, DENIAL, FakeReader("14 March", 0.95), "It reopened on 14 March [1].")
    assert ask.ask("When did the Maplewood footbridge reopen?").text == "On 14 March [1]."


@pytest.mark.parametrize("question, options", [
    ("Was the embezzlement £412,000 or £409,750?", ("412000", "409750")),
    ("Is the level 38 percent or 83 percent above the limit?", ("38", "83")),
    ("Did the closure cost 220 or 250 jobs?", ("220", "250")),
    ("Was the rate 12% or 21%?", ("12", "21")),
    ("Did 2 or more people die?", None),
    ("Who won in 2020 or 2021?", None),  # asks for a person
    ("Did the bridge open in 2019 or 2020?", ("2019", "2020")),
    ("Was it Brady or Varga?", None),
])
def test_either_or_options_are_two_figures(question: str, options: tuple[str, str] | None) -> None:
    assert either_or_options(question) == options


def test_an_either_or_question_is_answered_with_the_option_a_sentence_gives(tmp_path: Path) -> None:
    # the reader finds nothing in "£412,000 or £409,750?", the model does not know
    ask, _ = assistant(tmp_path, TRIAL, FakeReader("nothing", 0.0), "I don't know.")
    answer = ask.ask("Was the embezzlement by Colm Brady £409,750 or £412,000?")
    assert answer.text.startswith("£412,000")
    assert answer.citations[0].passage.article_id == "opens"


def test_an_either_or_option_given_as_a_corrected_error_is_not_the_answer(tmp_path: Path) -> None:
    ask, _ = assistant(tmp_path, TRIAL, FakeReader("nothing", 0.0), "I don't know.")
    answer = ask.ask("Was the youth jobless rate in Lenn County 21% or 12%?")
    assert answer.text.startswith("12 percent")
    assert "The correct figure is 12 percent." in answer.citations[0].quote


@pytest.mark.parametrize("sentence, claim", [
    ("Mayor Ilse Varga denied reports that she plans to sell part of Kestrel Meadows.",
     "reports that she plans to sell part of Kestrel Meadows"),
    ("He denies all charges.", "all charges"),
    ("The firm rejected claims that it had held talks.", "claims that it had held talks"),
    ("There has never been any plan to sell the meadows, she said.", "plan to sell the meadows"),
    ("The council denied planning permission for the tower.", None),  # refused a permit: no claim denied
    ("The bridge reopened on 14 March.", None),
])
def test_a_denial_names_the_claim_it_denies(sentence: str, claim: str | None) -> None:
    found = denial(sentence)
    assert (sentence[found.start:found.end] if found is not None else None) == claim


def test_a_question_about_a_denied_claim_quotes_the_denial_not_a_span_of_it(tmp_path: Path) -> None:
    # the reader is sure of the one who denied: she is not the buyer
    ask, _ = assistant(tmp_path, DENIAL, FakeReader("Mayor Ilse Varga", 0.95), "Mayor Ilse Varga [1].")
    answer = ask.ask("Who is buying Kestrel Meadows?")
    assert answer.text.startswith('The articles report a denial: "Mayor Ilse Varga denied reports')
    assert answer.citations[0].passage.article_id == "meadows"


def test_what_was_denied_is_the_denied_claim(tmp_path: Path) -> None:
    ask, _ = assistant(tmp_path, DENIAL, FakeReader("Mayor Ilse Varga", 0.95), "Mayor Ilse Varga [1].")
    answer = ask.ask("What did Mayor Varga deny?")
    assert answer.text.startswith("Reports that she plans to sell part of Kestrel Meadows")


def test_a_relative_who_does_not_make_a_yes_or_no_question_ask_for_a_person(tmp_path: Path) -> None:
    # the only person the sentence names is the one the question names: a who-question's quote would be refused
    articles = {"fares": ("Bus fares rise", 'Councillor Ada Lusk said the rise would "hit the people who can least '
                                             'afford it". Fares rise to £2.40 in October.')}
    embedder = FakeEmbedder()
    build(tmp_path, embedder, articles)
    retriever = Retriever.load(tmp_path, embedder)
    ask = Assistant(retriever, ScriptedLLM("I don't know."), Settings(index=str(tmp_path), k=3),
                    WordOverlap(retriever.term_weights), PhraseTagger({"Ada Lusk": "PERSON"}),
                    reader=FakeReader("nothing", 0.0))
    answer = ask.ask("Did Ada Lusk say the fare rise would hit the people who can least afford it?")
    assert not answer.refused and "least afford it" in answer.text


def test_an_either_or_question_whose_options_two_articles_give_says_both(tmp_path: Path) -> None:
    articles = {**TRIAL, "day3": ("Fraud trial, day three",
                                  "Forensic accountant Mira Holt said the embezzlement payments to Colm Brady "
                                  "totalled £409,750."),
                "report": ("Jobless rate falls", "The youth jobless rate in Lenn County fell to 21 percent in March.")}
    ask, _ = assistant(tmp_path, articles, FakeReader("nothing", 0.0), "I don't know.")
    answer = ask.ask("Was the embezzlement by Colm Brady £412,000 or £409,750?")
    assert "£412,000 [" in answer.text and "£409,750 [" in answer.text
    assert {citation.passage.article_id for citation in answer.citations} == {"opens", "day3"}
    # a figure a retrieved correction says was wrong ("report", corrected by "jobs") is not one of them
    answer = ask.ask("Was the youth jobless rate in Lenn County 21% or 12%?")
    assert answer.text.startswith("12 percent") and "21" not in answer.text


def test_a_yes_or_no_quote_adds_the_sentence_the_reader_finds_likeliest(tmp_path: Path) -> None:
    articles = {"verdict": ("Brady found guilty", "Former treasurer Colm Brady was found guilty on two of three "
                                                  "counts of fraud on Tuesday. The jury cleared him of the third "
                                                  "count, which related to 2021.")}
    ask, _ = assistant(tmp_path, articles, FakeReader("the third count", 0.9), "Yes [1].")
    answer = ask.ask("Was Colm Brady cleared of all charges of fraud?")
    assert "found guilty on two of three counts" in answer.text and "cleared him of the third count" in answer.text
    assert len(answer.citations) == 1 and len(answer.citations[0].quotes) == 2


def test_an_either_or_question_one_sentence_answers_both_ways_takes_the_readers_option(tmp_path: Path) -> None:
    """Review R2 #1: "Was the tower built in 1890 or 1910?" over "The tower, built in 1910, replaced one destroyed in
    1890." was answered 1890, the option the question names first: of two options one sentence gives, the reader's
    span says which answers (and with no span on either, no rule's reading is made)."""
    tower = {"tower": ("Harwick clock tower", "The tower, built in 1910, replaced one destroyed in 1890.")}
    question = "Was the tower built in 1890 or 1910?"
    ask, _ = assistant(tmp_path / "read", tower, FakeReader("1910", 0.3), "I don't know.")
    answer = ask.ask(question)
    assert answer.text.startswith("1910") or ("1910" in answer.text and "1890 [" not in answer.text), answer.text
    ask, _ = assistant(tmp_path / "unread", tower, FakeReader("nothing", 0.0), "I don't know.")
    assert not ask.ask(question).text.startswith("1890"), ask.ask(question).text
