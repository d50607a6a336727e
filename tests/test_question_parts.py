"""Two-part questions ("When did X, and how much Y?"): every part is answered or said to be missing, never silently
dropped nor "completed" with a sentence that does not answer it. Logic with the fake embedder and the scripted LLM;
the pure helpers on hand-made evidence."""

from __future__ import annotations

from pathlib import Path

import pytest

from rag.answer.assistant import Assistant, _holds, _leaves_out, _with_missing_parts
from rag.answer.cite import Checked
from rag.answer.evidence import AnswerKinds, Sentence, WordOverlap, find_evidence
from rag.answer.parts import question_parts
from rag.answer.prompts import MISSING_PART, MISSING_PART_MARK
from rag.answer.retrieve import Retriever
from rag.evaluate import shown_text
from rag.models.entities import PhraseTagger
from rag.records import Citation, Passage
from rag.settings import Settings
from tests.conftest import FakeEmbedder, ScriptedLLM
from tests.test_assistant import build
from tests.test_span_reader import FakeReader

BRIDGE = "The Maplewood footbridge reopened on 14 March after repairs. Crowds came to see it."
BRIDGE_COST = BRIDGE + " The repairs cost 1.2 million euros."
PARTS = ["When did the Maplewood footbridge reopen?", "How much did the repairs cost?"]
TAGGER = PhraseTagger({"14 March": "DATE", "1.2 million euros": "MONEY", "3 May": "DATE", "two": "CARDINAL",
                       "Maplewood": "GPE", "River Lenn": "LOC"})
"""What the entity model would tag in these articles (the logic is tested here, the model in test_entities.py)."""
KINDS = AnswerKinds(TAGGER)


def passage(text: str) -> Passage:
    return Passage("bridge", "Footbridge", "bridge.txt", "", text, 0, len(text))


def make(tmp_path: Path, text: str, *replies: str) -> Assistant:
    embedder = FakeEmbedder()
    build(tmp_path, embedder, {"bridge": ("Footbridge", text),
                               "ferry": ("Ferry line", "The ferry line opened on 3 May with two boats.")})
    retriever = Retriever.load(tmp_path, embedder)
    return Assistant(retriever, ScriptedLLM(*replies), Settings(index=str(tmp_path), k=3),
                     WordOverlap(retriever.term_weights), TAGGER)


def test_a_number_in_a_date_does_not_answer_how_much() -> None:
    assert not _holds("It reopened on 14 March.", PARTS[1], PARTS, KINDS)
    assert _holds("The repairs cost 1.2 million euros.", PARTS[1], PARTS, KINDS)
    assert _holds("It reopened on 14 March.", PARTS[0], PARTS, KINDS)
    ranked = [Sentence(0, 0, len(BRIDGE), 1.0)]
    assert _leaves_out("It reopened on 14 March [1].", PARTS[1], ranked, [passage(BRIDGE)], KINDS, PARTS)
    assert not _leaves_out("It reopened on 14 March [1].", PARTS[0], ranked, [passage(BRIDGE)], KINDS, PARTS)


def test_a_part_left_out_is_quoted_from_its_evidence_when_the_articles_hold_it() -> None:
    passages = [passage(BRIDGE_COST)]
    evidence = find_evidence(PARTS, passages, WordOverlap())
    checked = _with_missing_parts(Checked("It reopened on 14 March [1].", (), True), evidence, passages,
                                  WordOverlap(), KINDS)
    assert "1.2 million" in checked.text and MISSING_PART_MARK not in checked.text
    assert [citation.passage for citation in checked.citations] == passages


def test_a_part_the_articles_do_not_answer_is_said_missing_not_completed_with_another_sentence() -> None:
    passages = [passage(BRIDGE)]
    evidence = find_evidence(PARTS, passages, WordOverlap())
    checked = _with_missing_parts(Checked("It reopened on 14 March [1].", (), True), evidence, passages,
                                  WordOverlap(), KINDS)
    assert checked.text.startswith("It reopened on 14 March [1].")
    assert checked.text.endswith(MISSING_PART.format(part=PARTS[1]))
    assert "The articles say" not in checked.text  # no unrelated quote


def test_a_part_whose_best_sentence_is_about_something_else_is_said_missing_not_quoted() -> None:
    # The cost sentence is the repairs' of the Maplewood footbridge, not of the River Lenn bridge the part asks
    # about: quoting it would complete the part with an unrelated sentence (`names_what_is_asked`).
    passages = [passage(BRIDGE_COST)]
    parts = [PARTS[0], "How much did the repairs of the River Lenn bridge cost?"]
    evidence = find_evidence(parts, passages, WordOverlap())
    checked = _with_missing_parts(Checked("It reopened on 14 March [1].", (), True), evidence, passages,
                                  WordOverlap(), KINDS)
    assert checked.text == f"It reopened on 14 March [1]. {MISSING_PART.format(part=parts[1])}"


def test_the_assistant_answers_the_part_it_can_and_names_the_part_it_cannot(tmp_path: Path) -> None:
    assistant = make(tmp_path, BRIDGE, "The footbridge reopened on 14 March [1].")
    answer = assistant.ask("When did the Maplewood footbridge reopen, and who designed the new cables?")
    assert not answer.refused
    assert "14 March" in answer.text
    assert MISSING_PART.format(part="Who designed the new cables?") in answer.text
    assert {citation.passage.article_id for citation in answer.citations} == {"bridge"}


def test_both_parts_answered_by_the_articles_are_both_in_the_answer(tmp_path: Path) -> None:
    assistant = make(tmp_path, BRIDGE_COST, "The footbridge reopened on 14 March [1].")
    answer = assistant.ask("When did the Maplewood footbridge reopen, and how much did the repairs cost?")
    assert not answer.refused
    assert "14 March" in answer.text and "1.2 million" in answer.text
    assert MISSING_PART_MARK not in answer.text


@pytest.mark.slow
def test_real_models_answer_the_part_the_articles_hold_and_name_the_other(real_assistant) -> None:  # type: ignore[no-untyped-def]
    question = "When did the Maplewood footbridge reopen, and who painted its railings?"
    answer = real_assistant.ask(question)
    assert not answer.refused, answer
    assert MISSING_PART.format(part="Who painted the Maplewood footbridge's railings?") in answer.text, answer.text
    assert "14 March" in shown_text(answer), answer
    assert all(citation.passage.article_id.endswith("maplewood-footbridge.md") for citation in answer.citations), answer


def test_the_sentence_an_answer_already_rests_on_is_not_quoted_again_for_the_other_part() -> None:
    text = "The footbridge over the River Lenn reopened on 14 March."
    passages = [Passage("bridge", "Footbridge", "bridge.txt", "", text, 0, len(text))]
    parts = ["When did the footbridge reopen?", "Who painted its railings?"]
    evidence = find_evidence(parts, passages, WordOverlap())
    rests_on = Citation(1, passages[0], text, 0, len(text), 1.0, ((0, len(text)),))
    checked = _with_missing_parts(Checked("It reopened on 14 March [1].", (rests_on,), True), evidence, passages,
                                  WordOverlap(), KINDS)
    assert checked.text == f"It reopened on 14 March [1]. {MISSING_PART.format(part=parts[1])}"


def test_one_answer_does_not_stand_for_both_parts(tmp_path: Path) -> None:
    # The scripted model says the same sentence for each part: kept for the first, not repeated for the second,
    # which gets its own evidence quoted or is said missing.
    text = BRIDGE_COST + " The ribbon was cut by the mayor."
    assistant = make(tmp_path, text, "The footbridge reopened on 14 March after repairs [1].")
    answer = assistant.ask("What happened to the Maplewood footbridge, and what happened at the ribbon cutting?")
    assert not answer.refused
    assert answer.text.count("reopened on 14 March") == 1, answer.text
    assert "mayor" in answer.text or MISSING_PART.format(part="What happened at the ribbon cutting?") in answer.text


@pytest.mark.parametrize(("chance", "said"), [(0.22, "quoted"), (0.1, "missing"), (0.3, "span")])
def test_a_part_whose_answer_repeats_the_first_is_quoted_said_missing_or_the_span(tmp_path: Path, chance: float,
                                                                                   said: str) -> None:
    # The scripted model says the same dated sentence for both parts: the second part's own answer repeats the
    # first's, so its evidence is quoted, only when the span reader finds an answer at least `quote_refusal` likely
    # in it; else the part is said missing. A span at least `SPAN_CHECK_THRESHOLD` likely answers the part itself:
    # the model's claim for it leaves the span out.
    text = BRIDGE_COST + " The ribbon was cut on 3 May by the mayor."
    assistant = make(tmp_path, text, "The footbridge reopened on 14 March after repairs [1].")
    assistant = Assistant(assistant.retriever, assistant.llm, assistant.settings, assistant.finder, TAGGER,
                          reader=FakeReader("3 May", chance))
    answer = assistant.ask("When did the Maplewood footbridge reopen, and when was the ribbon cut?")
    assert answer.text.count("reopened on 14 March") == 1, answer.text
    assert ("ribbon was cut on 3 May" in answer.text) is (said == "quoted"), answer.text
    assert (MISSING_PART.format(part="When was the ribbon cut?") in answer.text) is (said == "missing"), answer.text
    assert answer.text.endswith("On 3 May [1].") is (said == "span"), answer.text


# -- splitting: the forms people write, and the single questions that name two things ---------------------------------

SPLIT = [
    ("When did the Maplewood footbridge reopen and in which year was it first built?",
     ["When did the Maplewood footbridge reopen?", "In which year was the Maplewood footbridge first built?"]),
    ("When did the footbridge reopen, and on what date did the repairs start?",
     ["When did the footbridge reopen?", "On what date did the repairs start?"]),
    ("Who designed the footbridge and from where did the steel come?",
     ["Who designed the footbridge?", "From where did the steel come?"]),
    ("Who did Chopin study with and with whom did he travel to Paris?",
     ["Who did Chopin study with?", "With whom did he travel to Paris?"]),
    ("What was the Marshall Plan and for what purpose was it created?",  # "it" after "What was <name>?" is the name
     ["What was the Marshall Plan?", "For what purpose was the Marshall Plan created?"]),
    ("Where did Chopin live and since when has the museum been open?",
     ["Where did Chopin live?", "Since when has the museum been open?"]),
    ("How long is the Rhine and roughly how many people live along it?",
     ["How long is the Rhine?", "Roughly how many people live along it?"]),
    ("When did the Maplewood footbridge close and also when did it reopen?",
     ["When did the Maplewood footbridge close?", "When did the Maplewood footbridge reopen?"]),
    ("Who won the 2010 election, and then who became prime minister?",
     ["Who won the 2010 election?", "Who became prime minister?"]),
    ("What is the capital of Poland as well as when did it become the capital?",
     ["What is the capital of Poland?", "When did it become the capital?"]),
    ("Who built the Maplewood footbridge but when was it opened?",
     ["Who built the Maplewood footbridge?", "When was the Maplewood footbridge opened?"]),
    ("When did the bridge reopen? How much did the repairs cost?",
     ["When did the bridge reopen?", "How much did the repairs cost?"]),
    ("When did the bridge reopen? And how much did the repairs cost?",
     ["When did the bridge reopen?", "How much did the repairs cost?"]),
    ("When did the bridge reopen? Also, how much did the repairs cost?",
     ["When did the bridge reopen?", "How much did the repairs cost?"]),
    ("When did the bridge reopen; how much did the repairs cost?",
     ["When did the bridge reopen?", "How much did the repairs cost?"]),
    ("What is a ctenophore and what does it eat?", ["What is a ctenophore?", "What does it eat?"]),
    ("What's the capital of Australia and when was it founded?",
     ["What's the capital of Australia?", "When was it founded?"]),
    ("Was the bridge closed and did the council pay for repairs?",
     ["Was the bridge closed?", "Did the council pay for repairs?"]),
    ("What is the population of Warsaw, and what about Krakow?",
     ["What is the population of Warsaw?", "What is the population of Krakow?"]),
    ("How many Victorians are Catholic, and how many Victorians are Buddhist?",
     ["How many Victorians are Catholic?", "How many Victorians are Buddhist?"]),
    ("The smaller streams are used for what, and what is the translation of the old north branch of the Rhine?",
     ["The smaller streams are used for what?", "What is the translation of the old north branch of the Rhine?"]),
]
"""Two-part questions and their parts, each standing alone (a pronoun resolved where the follow-up rules can)."""

SHARED = [
    ("When and where was Chopin born?", ["When was Chopin born?", "Where was Chopin born?"]),
    ("When, where and why did Chopin die?", ["When did Chopin die?", "Where did Chopin die?", "Why did Chopin die?"]),
    ("When and by whom was the Sorbonne founded?",
     ["When was the Sorbonne founded?", "By whom was the Sorbonne founded?"]),
    ("Where did Chopin die, and when?", ["Where did Chopin die?", "When did Chopin die?"]),
    ("When was the Sorbonne founded and by whom?",
     ["When was the Sorbonne founded?", "By whom was the Sorbonne founded?"]),
    ("Who founded the Sorbonne, and when?", ["Who founded the Sorbonne?", "When was the Sorbonne founded?"]),
    ("Who wrote Hamlet, and in what year?", ["Who wrote Hamlet?", "In what year was Hamlet written?"]),
    ("Who won the election and by how many votes?",
     ["Who won the election?", "By how many votes was the election won?"]),
    ("When did the company go public, and at what price?",
     ["When did the company go public?", "At what price did the company go public?"]),
    # a chat user's "…, and where?" after a how-many question was left whole: only the count was answered
    ("How many jobs is Tarrow Foods cutting, and where?",
     ["How many jobs is Tarrow Foods cutting?", "Where is Tarrow Foods cutting jobs?"]),
    ("How many jobs will go, and where?", ["How many jobs will go?", "Where will jobs go?"]),
    ("How many jobs were\tcut, and where?", ["How many jobs were\tcut?", "Where were jobs cut?"]),  # raised
]
"""Question words that share one question, each given it whole."""

SINGLE = [
    "What is the difference between a ctenophore and a jellyfish?",
    "Who were Lewis and Clark?",
    "How many men and women served in the war?",
    "What is the ratio between births and how many deaths were recorded?",
    # SQuAD questions the "and" rule split before (rag/answer/parts.py `question_parts`)
    "The Rhine forms the border between Austria and what other country?",
    "Between Brakel and what other city can the most landward tidal influence be detected?",
    "Ctenophores, cnidarians and what other group are labelled diploblastic?",
    "Closing speakers are given between 5 and how many minutes?",
    "What happens before the foundation is dug and when a final inspection is passed?",
    "Who wrote Freakonomics and is also an anthropologist?",
    "What prominent South African family distilled brandy and were Huguenots?",
    "Which campus hosts graduate only student programs and is located on the banks of the Seine?",
    "What are problems that cannot be solved in theory, but which in practice take too long to be useful?",
    "How did the city grow and how the river shaped it?",
    "What does the U.S. Army do in peacetime?",
    "In what year did the Sister City Program of the City of New York, Inc. have its name changed?",
]
"""Questions that ask one thing though they say "and", "but" or hold a full stop."""


def test_a_counted_phrase_of_of_is_no_thing_another_question_word_asks_of() -> None:
    assert "Where were of them hurt?" not in question_parts("How many of them were hurt, and where?")


@pytest.mark.parametrize(("question", "parts"), SPLIT + SHARED)
def test_a_question_that_asks_two_things_is_split_into_standalone_parts(question: str, parts: list[str]) -> None:
    assert question_parts(question) == parts


@pytest.mark.parametrize("question", SINGLE)
def test_a_question_that_asks_one_thing_is_not_split(question: str) -> None:
    assert question_parts(question) == [question]


def test_a_part_that_cannot_be_made_whole_leaves_the_question_as_one() -> None:
    # "How many people live in Warsaw" has no question words before an auxiliary to put "why" in place of, and
    # asks no "who": no standalone "why" part can be written, so the question is not split into a bare "Why?".
    assert question_parts("How many people live in Warsaw and why?") == ["How many people live in Warsaw and why?"]


@pytest.mark.parametrize("question", ["When did the Maplewood footbridge reopen? Who designed the new cables?",
                                      "When did the Maplewood footbridge reopen; and who designed the new cables?",
                                      "When did the Maplewood footbridge reopen but who designed the new cables?"])
def test_a_part_of_the_new_forms_the_articles_do_not_answer_is_named(tmp_path: Path, question: str) -> None:
    assistant = make(tmp_path, BRIDGE, "The footbridge reopened on 14 March [1].")
    answer = assistant.ask(question)
    assert not answer.refused
    assert "14 March" in answer.text
    assert MISSING_PART.format(part="Who designed the new cables?") in answer.text


def test_a_later_part_saying_it_is_about_what_the_first_part_asks_of_not_another_article(tmp_path: Path) -> None:
    """"… and how fast will it be?" asked alone matched any sentence saying "fast"; asked as a follow-up of the
    first part it is about the ferry line, or said missing."""
    embedder = FakeEmbedder()
    build(tmp_path, embedder, {"ferry": ("Ferry line", "The ferry line opened on 3 May with two boats."),
                               "lake": ("Lake study", "A change this fast is remarkable, the lake scientists said.")})
    retriever = Retriever.load(tmp_path, embedder)
    assistant = Assistant(retriever, ScriptedLLM("It opened on 3 May [1]."), Settings(index=str(tmp_path), k=3),
                          WordOverlap(retriever.term_weights), TAGGER)
    answer = assistant.ask("When did the ferry line open, and how fast is it?")
    assert "3 May" in answer.text, answer
    assert {citation.passage.article_id for citation in answer.citations} == {"ferry"}, answer


# -- a later part that names nothing of its own: the margin of the first part's vote ---------------------------------

BUDGET_VOTE = {
    "budget": ("Ostrava council approves budget",
               "Ostrava council approved its 2026 budget of 48 million euros on 10 March. "
               "The budget passed by seven votes to four after a long debate."),
    "dairy": ("Tarrow Foods results", "The profit margin at Tarrow Foods fell to 4 percent last year."),
    "grocer": ("Grocer margins", "The margin on bread was the lowest of any grocer margin in the survey."),
    "race": ("Regatta", "The Lenn crew won by a margin of two lengths, the widest margin this year."),
}
"""Three other articles say "margin": the bare part asked alone retrieves them (`k=3`), not the vote's."""


def test_the_margin_part_of_a_vote_question_is_the_votes_count(tmp_path: Path) -> None:
    """"When did the council vote on the budget, and what was the margin?" said the margin missing though the
    article says "by seven votes to four": the bare part ("What was the margin?") is asked of the first part's vote,
    and a margin question reads a vote's count (`tally_reading`), not the opening sentence's date or sum."""
    embedder = FakeEmbedder()
    build(tmp_path, embedder, BUDGET_VOTE)
    retriever = Retriever.load(tmp_path, embedder)
    assistant = Assistant(retriever, ScriptedLLM("On 10 March [1]."), Settings(index=str(tmp_path), k=3),
                          WordOverlap(retriever.term_weights), PhraseTagger({"10 March": "DATE"}),
                          reader=FakeReader("10 March", 0.9))
    answer = assistant.ask("When did the Ostrava council vote on the budget, and what was the margin?")
    assert "10 March" in answer.text, answer.text
    assert "seven votes to four" in answer.text.lower(), answer.text
    assert all(citation.passage.article_id == "budget" for citation in answer.citations), answer
