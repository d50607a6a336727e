"""The contrast questions the answer finder is trained on (tools.contrast): each changes the question in one place
so that the sentence that answered it no longer does, and they are paired with that sentence as "does not answer"."""

from __future__ import annotations

import doctest
import random

import tools.contrast
from rag.models.answer_finder import Candidate
from tools.contrast import contrast_questions, names_in, negate, swap_antonym, swap_name, swap_year

SENTENCE = "In 1756, England formally declared war on France, and Prussia joined England."


def test_the_worked_examples_hold() -> None:
    assert doctest.testmod(tools.contrast).failed == 0


def test_a_swapped_name_is_one_the_sentence_does_not_give() -> None:
    for seed in range(20):
        swapped = swap_name("When did England declare war on France?", SENTENCE, ["Austria", "England", "Spain"],
                            random.Random(seed))
        assert swapped is not None
        new = set(names_in(swapped)) - set(names_in("When did England declare war on France?"))
        assert new and all(name not in SENTENCE for name in new)


def test_no_name_to_swap_gives_nothing() -> None:
    assert swap_name("When was war declared?", SENTENCE, ["Austria"], random.Random(0)) is None
    assert swap_name("When did England declare war?", SENTENCE, ["England", "France"], random.Random(0)) is None


def test_a_moved_year_is_never_one_the_sentence_gives() -> None:
    sentence = "Fighting began in 1754 and war was declared in 1756."
    for seed in range(50):
        moved = swap_year("What happened in 1756?", sentence, random.Random(seed))
        assert moved is not None and moved != "What happened in 1756?"
        year = moved.removeprefix("What happened in ").rstrip("?")
        assert year not in sentence


def test_an_antonym_turns_a_word_the_sentence_shares() -> None:
    assert swap_antonym("When did England declare war on France?", SENTENCE, random.Random(0)) in {
        "When did England end war on France?", "When did England declare peace on France?"}
    assert swap_antonym("Who was the first king?", "Harold was crowned king.", random.Random(0)) is None


def test_negation_only_where_it_reads_naturally() -> None:
    assert negate("What was the largest city?") == "What was not the largest city?"
    assert negate("Which river is the longest?") == "Which river is not the longest?"
    assert negate("What is not a prime?") is None
    assert negate("How many people live there?") is None


def test_contrast_questions_differ_from_the_question() -> None:
    rng = random.Random(0)
    for question in ("When did England declare war on France?", "Who was the first to declare war in 1756?",
                     "What is the name of the river?"):
        for made in contrast_questions(question, SENTENCE, ["Spain", "Austria"], rng):
            assert made != question


def test_contrast_pairs_teach_the_answering_sentence_as_not_answering() -> None:
    from tools.train_answer_finder import Pair, contrast_pairs

    answer = Candidate("Seven Years' War", SENTENCE)
    other = Candidate("Seven Years' War", "Austria and Spain stayed out of it until later.")
    pairs = [Pair("q1", "a002", "When did England declare war on France?", answer, 1, False),
             Pair("q1", "a002", "When did England declare war on France?", other, 0, False),
             Pair("q2", "a002", "Who stayed out of it?", other, 0, True)]
    made = contrast_pairs(pairs, random.Random(0))
    assert made, "an answerable question with names and a shared antonym gives contrast questions"
    assert all(pair.label == 0 and pair.candidate == answer and pair.qid.startswith("q1-") for pair in made)
    assert {pair.question for pair in made}.isdisjoint({pair.question for pair in pairs})
