"""Evidence selection with the word-overlap scorer (the answer finder's baseline): pure functions over passages,
no models; the kinds of answer are read by a stand-in tagger that knows the entities of these passages
(`PhraseTagger`). The answer finder itself is tested with its shipped weights in test_answer_finder.py, the
spaCy tagger in test_entities.py."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any, ClassVar

import numpy as np

from rag.answer.cite import check_answer, quoted_answer
from rag.answer.evidence import (
    AnswerKinds,
    FinderScorer,
    WordOverlap,
    as_scored,
    best_spans,
    find_evidence,
    overlap_features,
    rank_sentences,
)
from rag.models.answer_finder import Candidate
from rag.models.entities import Entity, PhraseTagger
from rag.records import Passage


def passage(article_id: str, text: str, title: str = "") -> Passage:
    return Passage(article_id, title or article_id, f"{article_id}.txt", "", text, 0, len(text))


REGATTA = passage("regatta", "The men's eight from Maplewood won the final of the Lenn Valley Regatta. The women's "
                  "single sculls was won by Priya Sandhu in 8 minutes 4 seconds. About 600 rowers took part.",
                  "Lenn Valley Regatta")
BUDGET = passage("budget", "The council approved a budget of 48.6 million euros by 19 votes to 8.", "Council budget")
ENTITIES = {"Maplewood": "GPE", "Lenn Valley Regatta": "EVENT", "Priya Sandhu": "PERSON", "Anna Berg": "PERSON",
            "8 minutes 4 seconds": "TIME", "About 600": "CARDINAL", "600": "CARDINAL", "48.6 million euros": "MONEY",
            "19": "CARDINAL", "8": "CARDINAL", "21": "CARDINAL", "6": "CARDINAL"}


def kinds() -> AnswerKinds:
    return AnswerKinds(PhraseTagger(ENTITIES))


class CountingTagger(PhraseTagger):
    """Counts the texts it is asked to tag."""

    def __init__(self) -> None:
        super().__init__(ENTITIES)
        self.tagged: list[str] = []

    def tag(self, texts: Sequence[str]) -> list[list[Entity]]:
        self.tagged.extend(texts)
        return super().tag(texts)


def test_a_sentence_holds_an_answer_only_with_an_entity_of_the_wanted_kind() -> None:
    reading = kinds()
    assert not reading.fits("Who won the race?", "The race was won by the local club.")
    assert reading.fits("Who won the race?", REGATTA.text)
    # A number is not a person, nor a place a time: the kinds differ, whatever the capitals.
    assert not reading.fits("Who won the sculls?", "About 600 rowers took part.")
    assert reading.fits("How many rowers took part?", "About 600 rowers took part.")
    assert not reading.fits("When did the rowers from Maplewood race?", "The men's eight from Maplewood won.")
    # An entity made only of the question's words is not an answer to it.
    assert not reading.fits("Who won the Lenn Valley Regatta?", "The Lenn Valley Regatta was held.")
    assert reading.fits("Why did it close?", "It rained.")  # an untyped question takes any sentence


def test_without_a_tagger_nothing_is_typed() -> None:
    reading = AnswerKinds()
    assert reading.wanted("Who won the race?") == frozenset()
    assert reading.fits("Who won the race?", "The race was won by the local club.")


def test_only_typed_questions_are_tagged_and_each_text_once() -> None:
    tagger = CountingTagger()
    reading = AnswerKinds(tagger)
    sentences = ["About 600 rowers took part.", "The final was close."]
    WordOverlap(kinds=reading).judge("Why was the final close?", [Candidate("", text) for text in sentences])
    assert tagger.tagged == []
    WordOverlap(kinds=reading).judge("How many rowers took part?", [Candidate("", text) for text in sentences])
    reading.fits("How many rowers took part?", sentences[0])
    assert tagger.tagged == sentences


def test_the_tagger_is_loaded_on_the_first_typed_question_only() -> None:
    loaded: list[PhraseTagger] = []

    def load() -> PhraseTagger:
        loaded.append(PhraseTagger(ENTITIES))
        return loaded[-1]

    reading = AnswerKinds(load)
    assert reading.fits("Why did it close?", "It rained.") and not loaded
    assert reading.fits("How many rowers took part?", "About 600 rowers took part.")
    assert reading.fits("How many boats were there?", "About 600 boats.") and len(loaded) == 1


def test_the_kind_feature_ranks_a_sentence_with_the_wanted_entity_first() -> None:
    class FlatFinder:
        """An answer finder that cannot tell the sentences apart."""

        meta: ClassVar[dict[str, Any]] = {
            "fusion": {"weights": {"finder": 0.0, "overlap": 0.0, "kind": 1.0, "rank": 0.0}, "bias": 0.0}}

        def logits(self, question: str, candidates: Sequence[Candidate]) -> np.ndarray:
            return np.zeros(len(candidates))

        def calibrated(self, logits: np.ndarray) -> np.ndarray:
            return np.full(len(logits), 0.5)

    candidates = [Candidate("", "The men's eight from Maplewood won."), Candidate("", "About 600 rowers took part.")]
    scores = FinderScorer(FlatFinder(), kinds=kinds()).judge("How many rowers were there?", candidates).scores
    assert scores[1] > scores[0]
    untyped = FinderScorer(FlatFinder()).judge("How many rowers were there?", candidates).scores
    assert untyped[0] == untyped[1]


def test_rare_question_words_and_answer_type_pick_the_sentence() -> None:
    question = "Who won the women's single sculls at the Lenn Valley Regatta?"
    weights = {"women": 3.0, "singl": 3.0, "scull": 3.0, "lenn": 0.5, "valley": 0.5, "regatta": 0.5}
    best = rank_sentences([REGATTA], question, WordOverlap(lambda terms: {t: weights.get(t, 1.0) for t in terms},
                                                           kinds()))[0]
    assert "Priya Sandhu" in REGATTA.text[best.start:best.end]


def test_better_ranked_passage_wins_a_tie() -> None:
    copy = passage("copy", BUDGET.text, "Council budget")
    best = rank_sentences([BUDGET, copy], "What budget did the council approve?", WordOverlap())[0]
    assert best.passage_index == 0


def test_quotes_hold_the_supporting_sentence_and_the_best_answer_to_the_question() -> None:
    spans = best_spans(REGATTA, "How many rowers took part?", WordOverlap(), first=(0, 71))
    assert spans[0] == (0, 71) and len(spans) == 2
    assert "600 rowers" in REGATTA.text[spans[1][0]:spans[1][1]]
    checked = check_answer("About 600 rowers took part [1].", [REGATTA], "How many rowers took part?",
                           kinds=kinds())
    assert any("600 rowers" in quote for quote in checked.citations[0].quotes)


def test_evidence_answer_records_spans_in_reading_order() -> None:
    question = "By how many votes did the council approve the budget?"
    checked = quoted_answer(find_evidence([question], [BUDGET, REGATTA], WordOverlap(kinds=kinds())),
                            [BUDGET, REGATTA], WordOverlap(kinds=kinds()), kinds())
    citation = checked.citations[0]
    assert citation.passage is BUDGET and "19 votes" in citation.quote
    assert list(citation.spans) == sorted(citation.spans)


def test_a_claim_of_the_wanted_kind_must_be_the_evidence_s() -> None:
    question = "Who won the women's single sculls?"
    reading = kinds()
    assert reading.names_what_was_asked("Priya Sandhu won it.", REGATTA.text, question)
    assert not reading.names_what_was_asked("Anna Berg won it.", REGATTA.text, question)
    assert not reading.names_what_was_asked("The women's single sculls was won.", REGATTA.text, question)
    # The evidence names the time, but not as the person asked for: a claim giving it answers no who-question.
    assert not reading.names_what_was_asked("In 8 minutes 4 seconds.", REGATTA.text, question)
    votes = "By how many votes did the council approve the budget?"
    assert reading.names_what_was_asked("By 19 votes to 8.", BUDGET.text, votes)
    assert not reading.names_what_was_asked("By 21 votes to 6.", BUDGET.text, votes)


def test_evidence_is_found_for_each_part_and_answerable_is_the_worst_served_part() -> None:
    evidence = find_evidence(["Who won the women's single sculls?", "How many rowers took part?"], [REGATTA],
                             WordOverlap(kinds=kinds()))
    texts = [REGATTA.text[sentence.start:sentence.end] for sentence in evidence.best]
    assert "Priya Sandhu" in texts[0] and "600 rowers" in texts[1]
    assert evidence.answerable == min(sentence.score for sentence in evidence.best)


def test_a_sentence_saying_the_articles_subject_by_a_pronoun_is_scored_as_naming_it() -> None:
    singer = Passage("m", "Cathal Brennan (musician)", "m.txt", "",
                     "Cathal Brennan is an Irish singer. He was born in Limerick.", 0, 58)
    best = rank_sentences([singer], "Where was Cathal Brennan born?", WordOverlap())[0]
    assert singer.text[best.start:best.end] == "He was born in Limerick."
    # only for scoring: what is quoted is the sentence as written
    assert as_scored(singer.title, "He was born in Limerick.") == "Cathal Brennan was born in Limerick."


def test_who_spoke_for_a_company_is_matched_by_the_sentence_naming_its_spokesman() -> None:
    question = "Who spoke for Kestrel Foods?"
    candidates = [Candidate("", '"We will appeal," spokesman Ivo Brandt said.', 0),
                  Candidate("", '"We will appeal," Ivo Brandt said.', 0)]
    with_role, without = overlap_features(question, candidates)[:, 0]
    assert with_role > without


def test_a_role_said_with_the_other_sex_is_the_role_asked_for() -> None:
    question = "Who is Kestrel Water's spokesman?"
    candidates = [Candidate("", "The company will appeal, spokeswoman Clara Mendel said.", 0),
                  Candidate("", "The company will appeal, Clara Mendel said.", 0)]
    with_role, without = overlap_features(question, candidates)[:, 0]
    assert with_role > without
    chair = overlap_features("Who is the chairwoman of the authority?",
                             [Candidate("", "The authority's chair, Annika Brevik, said so.", 0)])[0, 0]
    assert chair > overlap_features("Who is the chairwoman of the authority?",
                                    [Candidate("", "The authority's head, Annika Brevik, said so.", 0)])[0, 0]


def test_a_price_question_is_answered_by_a_sum_of_money_not_by_a_count() -> None:
    """A chat user's "How much were tickets?" was answered "22,000 to 18,500" (the festival's attendance, revised
    "after an audit of ticket scans"); the article's "Weekend tickets cost 65 euros" was read too."""
    kinds = AnswerKinds(PhraseTagger({"22,000 to 18,500": "CARDINAL", "65 euros": "MONEY", "EUR 12": "MONEY"}))
    attendance = "The attendance has been revised from 22,000 to 18,500, after an audit of ticket scans."
    price = "Weekend tickets cost 65 euros."
    start = attendance.index("22,000")
    assert not kinds.span_fits("How much were tickets?", attendance, start, start + 16)
    assert kinds.span_fits("How much were tickets?", price, 21, 29)
    assert kinds.span_fits("How much did the festival cost?", "A ticket was 12 pounds.", 13, 22)  # a currency
    # a how-much question asking for no price still takes a count
    assert kinds.span_fits("How much did attendance fall?", attendance, start, start + 16)
