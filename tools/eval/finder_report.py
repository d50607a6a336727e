"""The answer finder's held-out report on any SQuAD-form folder: does each scorer's best sentence hold the answer,
and how many unanswerable questions does each refuse at a fixed share of answerable ones refused. The same report
as `tools.train_answer_finder` writes into the model's meta.json for the SQuAD dev set's odd articles, here for
articles the finder never saw of another kind (the news stories of `tools/eval/news_heldout/`), and for any finder's
weights, so that two finders are compared on the same questions in one run.

    python -m tools.eval.finder_report tools/eval/news_heldout
    python -m tools.eval.finder_report tools/eval/news_heldout --weights rag/models/weights/answer-finder \
        --weights /tmp/finder-news

The articles are indexed with the bundled embedder (into --work, or a temporary folder) and every question is
retrieved as the assistant retrieves it (hybrid, top 5); every sentence of those passages is scored, and a sentence
counts as holding the answer as `rag eval` counts it (the gold span inside it, or the answer's words). Each
finder's fusion weights and calibration are its own meta.json's: nothing is fitted here.
"""

from __future__ import annotations

import argparse
import json
import sys
import tempfile
from pathlib import Path
from typing import Any

from rag.answer.evidence import FUSION_FEATURES
from rag.models.answer_finder import WEIGHTS
from tools.train_answer_finder import (
    Pair,
    build_retriever,
    held_out_report,
    holds_words,
    normalise,
    retrieved_sentences,
    score_split,
    scorer_scores,
)


def every_sentence_pairs(data: Path, retriever: Any) -> list[Pair]:
    """Every retrieved sentence of every question of `data`, labelled 1 when it holds the answer (its gold span,
    or for an answerable question the answer's words)."""
    pairs = []
    for question, sentences in retrieved_sentences(data, retriever):
        spans = [tuple(span) for span in question.get("answer_spans_in_article") or []]
        golds = [normalise(answer) for answer in question["answers"] if normalise(answer)]
        impossible = bool(question["is_impossible"])
        for candidate, start, end, rank in sentences:
            gold_span = candidate.title == question["title"] and any(start <= first and last <= end
                                                                     for first, last in spans)
            label = int(gold_span or (not impossible and holds_words(candidate, golds)))
            pairs.append(Pair(question["qid"], question["article_id"], question["question"], candidate, label,
                              impossible, rank))
    return pairs


def report(weights: Path, pairs: list[Pair], retriever: Any) -> dict[str, Any]:
    """`held_out_report` of the finder in `weights` on `pairs`, with that finder's own calibration and fusion."""
    import numpy as np

    meta = json.loads((weights / "meta.json").read_text("utf-8"))
    calibration = (meta["calibration"]["scale"], meta["calibration"]["offset"])
    fusion = (np.array([meta["fusion"]["weights"][name] for name in FUSION_FEATURES], dtype=np.float64),
              meta["fusion"]["bias"])
    scored = score_split(pairs, weights)
    return held_out_report(scored, scorer_scores(scored, calibration, fusion, retriever.term_weights),
                           retriever.term_weights)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("data", type=Path, help="a SQuAD-form folder (articles.jsonl, questions.jsonl)")
    parser.add_argument("--weights", type=Path, action="append",
                        help=f"an answer finder's folder (model.onnx, meta.json); repeat to compare "
                             f"(default: {WEIGHTS})")
    parser.add_argument("--work", type=Path, help="folder for the index (default: a temporary one)")
    arguments = parser.parse_args()
    with tempfile.TemporaryDirectory() as scratch:
        retriever = build_retriever(arguments.data, arguments.work or Path(scratch))
        pairs = every_sentence_pairs(arguments.data, retriever)
        results = {str(folder): report(folder, pairs, retriever)
                   for folder in arguments.weights or [WEIGHTS]}
    json.dump(results, sys.stdout, indent=2)
    print()


if __name__ == "__main__":
    main()
