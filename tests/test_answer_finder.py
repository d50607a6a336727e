"""The answer finder as shipped (rag/models/weights/answer-finder): it loads offline, prefers the sentence that
answers over one that only shares the question's words, and its record of training says it was judged only on
articles it never saw and beat the word-overlap heuristics it replaced there."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import numpy as np
import pytest

from rag.answer.evidence import FinderScorer
from rag.errors import ModelError
from rag.models.answer_finder import (
    WEIGHTS,
    AnswerFinder,
    Candidate,
    held_out_articles,
    load_answer_finder,
    pair_text,
)
from rag.thresholds import REFUSAL_THRESHOLD


def test_the_shipped_model_is_small_and_its_splits_never_overlap() -> None:
    meta = json.loads((WEIGHTS / "meta.json").read_text())
    assert (WEIGHTS / "model.onnx").stat().st_size < 30_000_000
    split = {name: set(articles) for name, articles in meta["split"].items()}
    assert split["train"] and split["calibration"] and split["held-out"]
    assert not split["train"] & split["held-out"] and not split["calibration"] & split["held-out"]
    assert not split["train"] & split["calibration"]
    assert held_out_articles() == split["held-out"]
    assert meta["seed"] == 0 and meta["training"]["pairs"] > 10_000


def test_each_part_kept_beats_the_heuristic_it_replaced_on_the_held_out_articles() -> None:
    """The assistant picks evidence with the fused score and refuses on the finder's own chance: each must beat
    word overlap (sentence choice) and the word-overlap refusal estimate (refusals) where it was never trained."""
    meta = json.loads((WEIGHTS / "meta.json").read_text())
    best = meta["held_out"]["best_sentence_holds_answer"]
    assert best["fused"] > best["word_overlap"]
    refused = meta["held_out"]["unanswerable_refused_at_false_refusals"]["0.08"]
    assert refused["finder"] > refused["word_overlap_refusal"]
    assert meta["refusal_threshold"] == REFUSAL_THRESHOLD, "thresholds.py records the calibrated threshold"


@pytest.mark.parametrize(("title", "question", "answers", "distractor"), [
    ("Maplewood footbridge", "When did the Maplewood footbridge reopen?",
     "The Maplewood footbridge reopened to walkers and cyclists on 14 March 2026.",
     "The Maplewood footbridge was closed in November 2024 after flood damage."),
    ("Lenn Valley Regatta", "Who won the women's single sculls at the regatta?",
     "The women's single sculls was won by Priya Sandhu of the Elmsbury Sculling Club.",
     "The women's single sculls drew eleven entries this year, a record for the regatta."),
    ("Harbour Lights festival", "How many visitors did the Harbour Lights festival attract?",
     "The festival drew 41,500 visitors over three nights.",
     "The Harbour Lights festival has been held in the harbour every August since 1998."),
])
def test_the_sentence_that_answers_scores_above_one_that_shares_the_question_s_words(
        title: str, question: str, answers: str, distractor: str) -> None:
    """The model's own reading, on sentences of one article whose title is the question's subject. (Combined with
    word overlap, as the assistant ranks evidence, a distractor that repeats more of the question's words can
    still win: docs/quality.md gives the figures.)"""
    finder = load_answer_finder()
    wrong, right = finder.score(question, [Candidate(title, distractor), Candidate(title, answers)])
    assert 0.0 <= wrong < right <= 1.0
    assert FinderScorer(finder).judge(question, [Candidate(title, answers)]).answerable > REFUSAL_THRESHOLD


def test_the_input_is_the_question_then_title_and_sentence() -> None:
    assert pair_text(" When  did it reopen? ", Candidate("Bridge", "It reopened\nin March.")) == \
        ("When did it reopen?", "Bridge | It reopened in March.")
    assert load_answer_finder().score("Anything?", []).shape == (0,)


def test_a_sentence_scores_the_same_whatever_it_is_scored_beside() -> None:
    """The int8 model quantises activations per run: scored in one padded batch, a sentence's score would move
    with its neighbours'. Two fresh models (no shared cache): alone and among longer sentences, the same score."""
    question = "When did the Maplewood footbridge reopen?"
    answer = Candidate("Maplewood footbridge", "The footbridge reopened on 14 March 2026.")
    others = [Candidate("Maplewood footbridge", "The council spent 2.1 million pounds on new steel beams, railings "
                        "and lighting after the floods of November 2024 closed the crossing for sixteen months."),
              Candidate("Regatta", "The regatta drew eleven entries.")]
    alone = AnswerFinder().logits(question, [answer])
    beside = AnswerFinder().logits(question, [others[0], answer, others[1]])
    assert alone[0] == beside[1]
    finder = AnswerFinder()
    first = finder.logits(question, [*others, answer])
    assert finder.logits(question, [answer, *others]).tolist() == [first[2], first[0], first[1]]  # from the cache


def test_the_members_of_a_finder_vote_by_their_average_logit(tmp_path: Path) -> None:
    """meta.json's `members` are read beside model.onnx and their logits averaged: a model joined with itself
    scores as it does alone, the shipped finder has as many sessions as it lists models, and a member missing from
    the folder is an error naming it."""
    meta = json.loads((WEIGHTS / "meta.json").read_text("utf-8"))
    assert all((WEIGHTS / name).is_file() for name in meta.get("members", []))
    assert len(AnswerFinder().sessions) == 1 + len(meta.get("members", []))
    question = "When did the Maplewood footbridge reopen?"
    candidates = [Candidate("Maplewood footbridge", "The footbridge reopened on 14 March 2026."),
                  Candidate("Regatta", "The regatta drew eleven entries.")]
    alone, twice = tmp_path / "alone", tmp_path / "twice"
    for folder, members in ((alone, []), (twice, ["member-1.onnx"])):
        folder.mkdir()
        shutil.copy(WEIGHTS / "model.onnx", folder / "model.onnx")
        (folder / "meta.json").write_text(json.dumps({**meta, "members": members}), "utf-8")
    shutil.copy(WEIGHTS / "model.onnx", twice / "member-1.onnx")
    first = AnswerFinder(alone).logits(question, candidates)
    assert AnswerFinder(twice).logits(question, candidates) == pytest.approx(first, abs=1e-5)
    if meta.get("members"):  # the shipped ensemble reads otherwise than its first model alone
        assert AnswerFinder().logits(question, candidates).tolist() != first.tolist()
    (twice / "member-1.onnx").unlink()
    with pytest.raises(ModelError, match="member-1.onnx"):
        AnswerFinder(twice)


class ScriptedSession:
    """Stands in for a member's ONNX session: a logit made from the token ids (so each sentence has its own), plus
    `offset`; counts its reads."""

    def __init__(self, offset: float) -> None:
        self.offset, self.reads = offset, 0

    def run(self, _outputs: object, arrays: dict[str, np.ndarray]) -> list[np.ndarray]:
        self.reads += 1
        return [np.array([[float(arrays["input_ids"].sum() % 97) + self.offset]])]


def test_the_other_members_read_only_the_first_model_s_best_sentences() -> None:
    """With `members_read` 1, the first model's best sentence gets the members' average and the others keep the
    first model's own logit: the ensemble's cost is paid only where the evidence and the refusal are decided. With
    `members_read` None every sentence is averaged."""
    question = "When did the Maplewood footbridge reopen?"
    candidates = [Candidate("Regatta", "The regatta drew eleven entries."),
                  Candidate("Maplewood footbridge", "The footbridge reopened on 14 March 2026."),
                  Candidate("Maplewood footbridge", "The footbridge closed in November 2024 after the floods.")]
    finder = AnswerFinder()
    finder.sessions = [ScriptedSession(0.0)]
    alone = finder.logits(question, candidates)
    assert len(set(alone.tolist())) == len(candidates), "each sentence scripted its own logit"
    other = ScriptedSession(10.0)
    finder.sessions, finder.members_read = [ScriptedSession(0.0), other], 1
    best = int(np.argmax(alone))
    expected = alone.copy()
    expected[best] += 5.0
    assert finder.logits(question, candidates) == pytest.approx(expected) and other.reads == 1
    finder.members_read = None
    assert finder.logits(question, candidates) == pytest.approx(alone + 5.0)
