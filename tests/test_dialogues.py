"""The dev-set builder and scorer of tools/eval/dialogues.py on hand-made SQuAD-style questions (no ../shared)."""

from __future__ import annotations

from typing import Any

import numpy as np

from rag.answer.prompts import MISSING_PART
from rag.records import Answer, Citation, Passage
from tools.eval.dialogues import (
    SCORERS,
    SIZES,
    _count,
    build,
    distractor_paragraphs,
    report,
    said_missing,
    score_item,
    wanted_articles,
    with_pronoun,
)


def question(qid: str, text: str, answers: list[str], paragraph: str = "a001-p000",
             article: str = "a001") -> dict[str, Any]:
    return {"qid": qid, "question": text, "answers": answers, "is_impossible": False, "article_id": article,
            "title": "Jacksonville", "gold_passage_id": paragraph}


QUESTIONS = [
    question("q1", "How many naval bases are located in Jacksonville?", ["two"]),
    question("q2", "What sport attracts most tourists to Jacksonville?", ["golf"]),
    question("q3", "Who founded Jacksonville?", ["Isaiah D. Hart"]),
    question("q4", "Where was Isaiah D. Hart from?", ["Georgia"], paragraph="a001-p001"),
    question("q5", "What river runs through Jacksonville?", ["St. Johns River"], article="a002",
             paragraph="a002-p000"),
]


def test_sets_are_seeded_and_split_by_article_parity() -> None:
    assert build(QUESTIONS, ["a001"], seed=3) == build(QUESTIONS, ["a001"], seed=3)
    kinds = {item["kind"] for item in build(QUESTIONS, ["a001"])}
    assert kinds == {"follow-up", "two-part", "two-hop"}
    assert all(item["article_id"] == "a001" for item in build(QUESTIONS, ["a001"]))
    assert wanted_articles("odd", ["a001", "a002", "a003", "a010"]) == ["a001", "a003"]


def test_each_kind_leans_on_what_it_should() -> None:
    items = build(QUESTIONS, ["a001"])
    follow_up = next(item for item in items if item["kind"] == "follow-up")
    assert "Jacksonville" not in follow_up["turns"][1] and "Jacksonville" in follow_up["turns"][0]
    two_part = next(item for item in items if item["kind"] == "two-part")
    assert ", and " in two_part["question"] and len(two_part["part_answers"]) == 2
    two_hop = next(item for item in items if item["kind"] == "two-hop")
    assert two_hop["question"] == "Where was the one who founded Jacksonville from?"
    assert two_hop["bridge_answers"] == ["Isaiah D. Hart"] and two_hop["answers"] == ["Georgia"]
    assert with_pronoun("What sport attracts most tourists to Jacksonville?", "Jacksonville").endswith("to it?")


def test_the_report_counts_parts_answered_and_said_missing() -> None:
    details = [{"kind": "two-part", "parts_held": 1, "said_missing": said_missing(MISSING_PART.format(part="Who?")),
                "refused": False, "parts_held_with_evidence": 1},
               {"kind": "two-part", "parts_held": 1, "said_missing": False, "refused": False,
                "parts_held_with_evidence": 2}]
    figures = report(details)
    assert figures["two-part: a part said missing"] == "1/2"
    assert figures["two-part: one part answered, the other neither answered nor said missing"] == "1/2"
    assert figures["two-part: both parts counting quoted evidence"] == "1/2"


def test_a_figure_counts_a_field_or_a_test_out_of_all_details() -> None:
    details = [{"held": True, "parts_held": 2}, {"held": False, "parts_held": 1}, {"held": True, "parts_held": 0}]
    assert _count(details, "held") == "2/3"
    assert _count(details, "parts_held") == "3/3"  # a number is added up, as the reports' sums did
    assert _count(details, lambda detail: detail["parts_held"] == 1) == "1/3"
    assert _count([], "held") == "0/0"


def test_follow_ups_of_every_form_are_built_from_one_paragraphs_questions() -> None:
    paragraph = [
        question("p1", "What was the population of Jacksonville in 1900?", ["28,429"]),
        question("p2", "What was the population of Jacksonville in 2010?", ["821,784"]),
        question("p3", "Which two rivers meet in Jacksonville?", ["the St. Johns and the Trout"]),
        question("p4", "How long is the Trout?", ["20 miles"]),
        question("p5", "Which company built the Jacksonville port?", ["Maxwell Harbour"]),
        question("p6", "When was Maxwell Harbour founded?", ["1882"]),
    ]
    items = build(paragraph, ["a001"], sizes={"follow-up": 0, "two-part": 0, "two-hop": 0})
    by_form = {(item["form"], item["turns"][1]): item for item in items}
    assert ("ellipsis", "And in 2010?") in by_form and by_form[("ellipsis", "And in 2010?")]["answers"] == ["821,784"]
    assert ("answer-part", "How long is the second one?") in by_form
    assert ("answer-subject", "When was it founded?") in by_form
    stands = [item for item in items if item["form"] == "stands-alone"]
    assert stands and all(item["turns"][1] in {entry["question"] for entry in paragraph} for item in stands)
    assert all(item["kind"] == "follow-up" and item["article_id"] == "a001" for item in items)
    figures = report([{"kind": "follow-up", "form": "ellipsis", "held": True, "held_with_evidence": True,
                       "refused": False, "repeated": False}])
    assert figures["follow-up, ellipsis: holds gold / with evidence / refused"] == "1/1, 1/1, 0/1"


class _AxisEmbedder:
    """Embeds a text as the unit vector of the first axis word it holds (north, east, up)."""

    def embed(self, texts: list[str]) -> np.ndarray:
        axes = ("north", "east", "up")
        return np.array([[float(axis in text) for axis in axes] for text in texts])


def test_distractors_are_the_paragraphs_most_like_the_question_but_the_gold_ones() -> None:
    pool = {"g1": "north", "g2": "north east", "d1": "east", "d2": "north", "d3": "up"}
    vectors = _AxisEmbedder().embed(list(pool.values()))
    chosen = distractor_paragraphs("which way is north?", ["g1", "g2"], pool, vectors, _AxisEmbedder(), 2)
    assert chosen[0] == "d2" and len(chosen) == 2 and not {"g1", "g2"} & set(chosen)


class _FixedAssistant:
    """Replies with the given answers in order (the last one repeats) and records what it was asked."""

    def __init__(self, *answers: Answer) -> None:
        self.answers = answers
        self.asked: list[tuple[str, Any]] = []

    def ask(self, question: str, history: Any = None) -> Answer:
        self.asked.append((question, history))
        return self.answers[min(len(self.asked), len(self.answers)) - 1]


def _citing(number: int, text: str) -> Citation:
    return Citation(number, Passage(f"a{number}", "Jacksonville", f"a{number}.txt", "", text, 0, len(text)))


def test_every_kind_has_a_scorer() -> None:
    assert set(SCORERS) == set(SIZES)


def test_a_follow_up_is_asked_after_its_first_turn_and_scored_on_the_second_answer() -> None:
    assistant = _FixedAssistant(Answer("Who founded Jacksonville?", "Isaiah D. Hart [1]."),
                                Answer("Where was he from?", "Georgia [1]."))
    item = {"id": "q3+q4", "kind": "follow-up", "form": "pronoun", "turns": ["Who founded Jacksonville?",
                                                                          "Where was he from?"], "answers": ["Georgia"]}
    detail = score_item(item, assistant)
    assert assistant.asked[1] == ("Where was he from?", [("Who founded Jacksonville?", "Isaiah D. Hart [1].")])
    assert {key: value for key, value in detail.items() if key != "seconds"} == {
        "id": "q3+q4", "kind": "follow-up", "answer": "Georgia [1].", "form": "pronoun", "held": True,
        "held_with_evidence": True, "refused": False, "repeated": False, "previous": "Isaiah D. Hart [1]."}


def test_a_two_part_question_counts_parts_answered_and_said_missing() -> None:
    question = "Who founded Jacksonville, and what sport attracts most tourists to it?"
    text = "Isaiah D. Hart [1]. " + MISSING_PART.format(part="What sport attracts most tourists to it?")
    item = {"id": "q3+q2", "kind": "two-part", "question": question,
            "part_answers": [["Isaiah D. Hart"], ["golf"]]}
    detail = score_item(item, _FixedAssistant(Answer(question, text)))
    assert list(detail)[:4] == ["id", "kind", "answer", "seconds"] and detail["answer"] == text
    assert (detail["parts_held"], detail["parts_held_with_evidence"]) == (1, 1)
    assert detail["said_missing"] and not detail["refused"]


def test_a_comparison_counts_the_winner_named_first_and_both_things_cited() -> None:
    question = "Which is older, the Tower Theatre or the IPCC Trust Fund?"
    answer = Answer(question, "The Tower Theatre is older: 1939 [1], against 1989 [2].",
                    (_citing(1, "The Tower Theatre opened in 1939."), _citing(2, "The fund was set up in 1989.")))
    item = {"id": "c1", "kind": "comparison", "question": question, "answers": ["the Tower Theatre"],
            "part_answers": [["1939"], ["1989"]]}
    detail = score_item(item, _FixedAssistant(answer))
    assert (detail["held"], detail["held_with_evidence"], detail["cites_both"], detail["refused"]) == (
        True, True, True, False)


def test_a_two_hop_answer_must_cite_the_bridge_and_the_gold() -> None:
    question = "Where was the one who founded Jacksonville from?"
    answer = Answer(question, "Georgia [1].", (_citing(1, "Hart came from Georgia."),))
    item = {"id": "q3+q4", "kind": "two-hop", "question": question, "answers": ["Georgia"],
            "bridge_answers": ["Isaiah D. Hart"]}
    detail = score_item(item, _FixedAssistant(answer))
    assert (detail["held"], detail["held_with_evidence"], detail["cites_both"], detail["refused"]) == (
        True, True, False, False)
    refused = score_item(item, _FixedAssistant(Answer(question, "The articles do not say.", refused=True)))
    assert (refused["held"], refused["refused"]) == (False, True)
