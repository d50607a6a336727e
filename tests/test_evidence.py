"""Evidence selection with the word-overlap scorer (the answer finder's baseline): pure functions over passages,
no models. The answer finder itself is tested with its shipped weights in test_answer_finder.py."""

from __future__ import annotations

from rag.answer.cite import check_answer, quoted_answer
from rag.answer.evidence import (
    WordOverlap,
    answer_type,
    best_spans,
    find_evidence,
    has_answer_type,
    names_what_was_asked,
    rank_sentences,
)
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
    best = rank_sentences([REGATTA], question, WordOverlap(lambda terms: {t: weights.get(t, 1.0) for t in terms}))[0]
    assert "Priya Sandhu" in REGATTA.text[best.start:best.end]


def test_better_ranked_passage_wins_a_tie() -> None:
    copy = passage("copy", BUDGET.text, "Council budget")
    best = rank_sentences([BUDGET, copy], "What budget did the council approve?", WordOverlap())[0]
    assert best.passage_index == 0


def test_quotes_hold_the_supporting_sentence_and_the_best_answer_to_the_question() -> None:
    spans = best_spans(REGATTA, "How many rowers took part?", WordOverlap(), first=(0, 71))
    assert spans[0] == (0, 71) and len(spans) == 2
    assert "600 rowers" in REGATTA.text[spans[1][0]:spans[1][1]]
    checked = check_answer("About 600 rowers took part [1].", [REGATTA], "How many rowers took part?")
    assert any("600 rowers" in quote for quote in checked.citations[0].quotes)


def test_evidence_answer_records_spans_in_reading_order() -> None:
    question = "By how many votes did the council approve the budget?"
    checked = quoted_answer(find_evidence([question], [BUDGET, REGATTA], WordOverlap()), [BUDGET, REGATTA],
                            WordOverlap())
    citation = checked.citations[0]
    assert citation.passage is BUDGET and "19 votes" in citation.quote
    assert list(citation.spans) == sorted(citation.spans)


def test_a_claim_of_the_wanted_kind_must_be_the_evidence_s() -> None:
    question = "Who won the women's single sculls?"
    assert names_what_was_asked("Priya Sandhu won it.", REGATTA.text, question)
    assert not names_what_was_asked("Anna Berg won it.", REGATTA.text, question)
    assert not names_what_was_asked("The women's single sculls was won.", REGATTA.text, question)
    votes = "By how many votes did the council approve the budget?"
    assert names_what_was_asked("By 19 votes to 8.", BUDGET.text, votes)
    assert not names_what_was_asked("By 21 votes to 6.", BUDGET.text, votes)


def test_evidence_is_found_for_each_part_and_answerable_is_the_worst_served_part() -> None:
    evidence = find_evidence(["Who won the women's single sculls?", "How many rowers took part?"], [REGATTA],
                             WordOverlap())
    texts = [REGATTA.text[sentence.start:sentence.end] for sentence in evidence.best]
    assert "Priya Sandhu" in texts[0] and "600 rowers" in texts[1]
    assert evidence.answerable == min(sentence.score for sentence in evidence.best)
