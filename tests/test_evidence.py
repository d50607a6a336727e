"""Evidence selection and the refusal estimate: pure functions over passages, no models."""

from __future__ import annotations

from rag.answer.cite import check_answer, evidence_answer
from rag.answer.evidence import answer_type, best_spans, has_answer_type, rank_sentences
from rag.answer.refusal import features, unanswerable_probability
from rag.answer.thresholds import REFUSAL_THRESHOLD
from rag.records import Passage


def passage(article_id: str, text: str, title: str = "") -> Passage:
    return Passage(article_id, title or article_id, f"{article_id}.txt", "", text, 0, len(text))


REGATTA = passage("regatta", "The men's eight from Maplewood won the final of the Lenn Valley Regatta. The women's "
                  "single sculls was won by Priya Sandhu in 8 minutes 4 seconds. About 600 rowers took part.",
                  "Lenn Valley Regatta")
BUDGET = passage("budget", "The council approved a budget of 48.6 million euros by 19 votes to 8.", "Council budget")


def test_answer_types() -> None:
    assert answer_type("How much did it cost?") == "number"
    assert answer_type("When was the bridge built?") == "date"
    assert answer_type("Whose idea was it?") == "person"
    assert answer_type("Why did it close?") == ""
    assert not has_answer_type("The race was won by the local club.", "person", "Who won the race?")


def test_rare_question_words_and_answer_type_pick_the_sentence() -> None:
    question = "Who won the women's single sculls at the Lenn Valley Regatta?"
    weights = {"women": 3.0, "singl": 3.0, "scull": 3.0, "lenn": 0.5, "valley": 0.5, "regatta": 0.5}
    best = rank_sentences([REGATTA], question, lambda terms: {t: weights.get(t, 1.0) for t in terms})[0]
    assert "Priya Sandhu" in REGATTA.text[best.start:best.end]


def test_better_ranked_passage_wins_a_tie() -> None:
    copy = passage("copy", BUDGET.text, "Council budget")
    best = rank_sentences([BUDGET, copy], "What budget did the council approve?")[0]
    assert best.passage_index == 0


def test_quotes_hold_the_supporting_sentence_and_the_best_answer_to_the_question() -> None:
    spans = best_spans(REGATTA, "How many rowers took part?", first=(0, 71))
    assert spans[0] == (0, 71) and len(spans) == 2
    assert "600 rowers" in REGATTA.text[spans[1][0]:spans[1][1]]
    checked = check_answer("About 600 rowers took part [1].", [REGATTA], "How many rowers took part?")
    assert any("600 rowers" in quote for quote in checked.citations[0].quotes)


def test_evidence_answer_records_spans_in_reading_order() -> None:
    checked = evidence_answer([BUDGET, REGATTA], "By how many votes did the council approve the budget?")
    citation = checked.citations[0]
    assert citation.passage is BUDGET and "19 votes" in citation.quote
    assert list(citation.spans) == sorted(citation.spans)


def test_refusal_estimate_separates_a_covered_question_from_a_swapped_one() -> None:
    answered = unanswerable_probability("Who won the women's single sculls?", [REGATTA])
    swapped = unanswerable_probability("Who did not win the men's double sculls in 1990?", [REGATTA])
    assert answered < REFUSAL_THRESHOLD < swapped
    values = features("Who won the men's double sculls in 1990?", [REGATTA])
    assert values["missing_specific_terms"] == 1.0  # 1990
    assert 0 < values["sentence_coverage"] < 1
