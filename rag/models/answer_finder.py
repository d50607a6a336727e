"""The answer finder: a small cross-encoder that reads a question and one sentence and says how likely the sentence
answers it.

Word overlap cannot tell "the bridge reopened on 14 March" from "the bridge closed on 14 March" for "when did it
reopen?", nor a sentence that answers from one that only repeats the question's words; a model that reads both
can. This one is all-MiniLM-L6-v2's transformer (the bundled embedder's weights) with one output, fine-tuned by
the project on SQuAD 2.0 questions (`tools/train_answer_finder.py`, `make train-answerer`), quantised to int8
and shipped in `weights/answer-finder/` beside this module: nothing is downloaded.

`AnswerFinder.score(question, sentences)` returns one calibrated probability per sentence: the chance that this
sentence holds the answer, fitted on articles the model was not trained on. The answer layer picks the evidence
sentences with it and refuses when even the best sentence is unlikely to answer.

A finder may be several such models trained alike but for their seed (meta.json's `members`: files beside
`model.onnx`, as the span reader's); their logits are averaged, and the calibration and fusion are the average's.
"""

from __future__ import annotations

import json
import threading
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from rag.errors import ModelError
from rag.models.shipped import (
    batch_arrays,
    calibration,
    load_shipped_model,
    onnx_session,
    pair_tokenizer,
    shared_model,
)

WEIGHTS = Path(__file__).resolve().parent / "weights" / "answer-finder"
"""The shipped model: model.onnx (int8), the other members of its ensemble if any (meta.json's `members`), meta.json
(how each was trained, calibration, held-out figures)."""
FORMAT_VERSION = 1
MAX_TOKENS = 128
"""Question and sentence together, in tokens: a sentence longer than that is cut (it rarely matters)."""


@dataclass(frozen=True)
class Candidate:
    """A sentence to score, with the title of the article it comes from (a sentence often leaves its subject to
    the title: "It reopened on 14 March") and the retrieval rank of its passage (0 for the first)."""

    title: str
    sentence: str
    rank: int = 0


def pair_text(question: str, candidate: Candidate) -> tuple[str, str]:
    """What the model reads: the question, then the title and the sentence. Training and use share this.

    >>> pair_text("When did it reopen?", Candidate("Footbridge", "It reopened in March."))
    ('When did it reopen?', 'Footbridge | It reopened in March.')
    """
    context = f"{candidate.title} | {candidate.sentence}" if candidate.title else candidate.sentence
    return " ".join(question.split()), " ".join(context.split())


class AnswerFinder:
    """The int8 ONNX cross-encoder and its calibration. `threads` is ONNX Runtime's intra-op thread count (0: all
    cores), at most `rag.models.shipped.MAX_THREADS`.

    `score` is the model's reading alone, calibrated; the assistant combines it with word overlap and retrieval
    rank (`rag.answer.evidence.FinderScorer`, with the weights `meta["fusion"]` fitted beside the calibration)."""

    def __init__(self, folder: str | Path = WEIGHTS, threads: int = 1) -> None:
        folder = Path(folder)
        self.meta, session = load_shipped_model(folder, "answer finder", "train-answerer", FORMAT_VERSION, threads)
        self.sessions = [session, *(onnx_session(folder / name, threads) for name in self.meta.get("members", []))]
        self.members_read: int | None = self.meta.get("members_read")
        """How many of a question's sentences the other members read (the first model's best; None: all)."""
        from rag.models.bundled import bundled_embedder_path

        self.tokenizer = pair_tokenizer(bundled_embedder_path(), MAX_TOKENS)
        self.scale, self.offset = calibration(self.meta, folder, "answer finder", "train-answerer")
        self._lock = threading.Lock()

    def logits(self, question: str, candidates: Sequence[Candidate]) -> np.ndarray:
        """The model's raw scores (before calibration), one per candidate.

        Each pair is run on its own: the int8 model quantises its activations with one range per batch, so in a
        padded batch a sentence's score moved with its neighbours' (by 0.11 on average, 1.7 at most; the best of
        25 sentences changed for 6 of 40 questions); alone, it is the same wherever it is asked, and with no padding
        it is faster too (a question's 25 sentences: 246 ms on one thread against 572 ms in one padded batch)."""
        pairs = [pair_text(question, candidate) for candidate in candidates]
        # A sentence repeated among the candidates (two reports quoting one statement) is read once. No cache
        # across calls: the answer layer passes the evidence's scores on to quoting and citing instead.
        unique = list(dict.fromkeys(pairs))
        with self._lock:
            arrays = {pair: batch_arrays([encoding])
                      for pair, encoding in zip(unique, self.tokenizer.encode_batch(unique) if unique else [],
                                                strict=True)}
            first, *others = self.sessions
            scores = {pair: float(np.asarray(first.run(None, arrays[pair])[0]).reshape(-1)[0]) for pair in unique}
            # The ensemble's members vote by their logits, averaged; the other members read only the first model's
            # best sentences (the evidence and the refusal turn on those), the rest keep the first model's logit.
            if others:
                best = sorted(unique, key=lambda pair: -scores[pair])[:self.members_read or len(unique)]
                for pair in best:
                    scores[pair] = float(np.mean([scores[pair], *(np.asarray(session.run(None, arrays[pair])[0])
                                                                  .reshape(-1)[0] for session in others)]))
        return np.array([scores[pair] for pair in pairs], dtype=np.float32)

    def score(self, question: str, candidates: Sequence[Candidate]) -> np.ndarray:
        """The calibrated chance that each candidate sentence answers the question."""
        return self.calibrated(self.logits(question, candidates))

    def calibrated(self, logits: np.ndarray) -> np.ndarray:
        """Raw scores (`logits`) as calibrated chances."""
        return np.asarray(1.0 / (1.0 + np.exp(-(self.scale * logits + self.offset))), dtype=np.float64)


def held_out_articles(folder: str | Path = WEIGHTS) -> set[str]:
    """The articles the model in `folder` was neither trained nor calibrated on: the only ones to report on."""
    try:
        return set(json.loads((Path(folder) / "meta.json").read_text("utf-8"))["split"]["held-out"])
    except (OSError, ValueError, KeyError) as error:
        raise ModelError(f"no held-out split recorded in {folder}: train the answer finder with "
                         f"`make train-answerer`") from error


def load_answer_finder(folder: str | Path = WEIGHTS, threads: int = 1) -> AnswerFinder:
    """The answer finder in `folder`, loaded once per process (it is read-only and thread-safe)."""
    return shared_model(AnswerFinder, folder, threads)
