"""Refit the hybrid retrieval's fusion weights (`rag.answer.retrieve.FUSION_WEIGHTS`) on a question set, without
overfitting: questions are split by article, the weights are fitted on one half of the articles and every figure
is reported on the other half too.

    .venv/bin/rag index ../shared/eval/squad2-dev/articles.jsonl --index /tmp/squad-dev
    .venv/bin/python -m tools.tune_retrieval ../shared/eval/squad2-dev/questions.jsonl --index /tmp/squad-dev

Needs scikit-learn (installed with sentence-transformers). Prints the fitted weights and answer recall@1/5/20 and
MRR on each half, for the shipped weights and the refitted ones. Choose on the tuning half; the held-out half
says how well the choice carries over. (Near-duplicate removal is not applied here; on this set it changes no
figure.)
"""

from __future__ import annotations

import argparse
import json
from collections.abc import Sequence

import numpy as np
from sklearn.linear_model import LogisticRegression

from rag.answer.retrieve import FUSION_BIAS, FUSION_FEATURES, FUSION_WEIGHTS, Retriever
from rag.evaluate import load_questions, normalise_answer
from rag.models.embed import load_embedder


def recall(rankings: Sequence[np.ndarray]) -> dict[str, float]:
    """Answer recall@1/5/20 and MRR@20 from each question's labels in ranked order."""
    ranks = [int(np.argmax(labels[:20])) + 1 if labels[:20].any() else 0 for labels in rankings]
    result = {f"recall@{k}": round(sum(0 < rank <= k for rank in ranks) / len(ranks), 4) for k in (1, 5, 20)}
    return {**result, "mrr@20": round(sum(1 / rank for rank in ranks if rank) / len(ranks), 4)}


def fit(rows: Sequence[tuple[bool, np.ndarray, np.ndarray]]) -> tuple[np.ndarray, float]:
    """Pairwise logistic weights (every answer-holding candidate against every other candidate of its question),
    then scaled and offset so that the score is a calibrated probability (Platt scaling)."""
    differences = [features[labels][:, None, :] - features[~labels][None, :, :]
                   for _, features, labels in rows if labels.any() and not labels.all()]
    flat = np.vstack([difference.reshape(-1, difference.shape[-1]) for difference in differences])
    pairwise = LogisticRegression(C=1.0, max_iter=5000, fit_intercept=False).fit(
        np.vstack([flat, -flat]), np.r_[np.ones(len(flat)), np.zeros(len(flat))])
    weights = pairwise.coef_[0]
    scores = np.concatenate([features @ weights for _, features, _ in rows])
    platt = LogisticRegression(C=100.0, max_iter=5000).fit(scores[:, None],
                                                           np.concatenate([labels for _, _, labels in rows]))
    return weights * platt.coef_[0][0], float(platt.intercept_[0])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("questions")
    parser.add_argument("--index", required=True)
    parser.add_argument("--limit", type=int, default=None)
    arguments = parser.parse_args()

    retriever = Retriever.load(arguments.index, load_embedder(threads=1))
    questions = [q for q in load_questions(arguments.questions, arguments.limit) if not q.impossible]
    articles = sorted({question.article_id for question in questions})
    tuning_articles = set(articles[::2])  # every other article, so both halves span the collection
    normalised: dict[int, str] = {}  # passage row -> its normalised text (as rag.evaluate.contains_answer does)
    rows = []
    for question in questions:
        candidates = retriever.candidates(question.question)
        golds = [f" {gold} " for gold in map(normalise_answer, question.answers) if gold]
        texts = [normalised.setdefault(int(row), f" {normalise_answer(passage.text)} ")
                 for row, passage in zip(candidates.rows, candidates.passages, strict=True)]
        labels = np.array([any(gold in text for gold in golds) for text in texts], dtype=bool)
        rows.append((question.article_id in tuning_articles, candidates.features, labels))

    tune = [row for row in rows if row[0]]
    fitted = fit(tune)
    report: dict[str, object] = {
        "features": FUSION_FEATURES, "questions": len(rows),
        "fitted": {"weights": [round(float(weight), 2) for weight in fitted[0]], "bias": round(fitted[1], 2)},
        "shipped": {"weights": list(FUSION_WEIGHTS), "bias": FUSION_BIAS},
    }
    for name, weights in (("shipped", np.array(FUSION_WEIGHTS)), ("fitted", fitted[0])):
        halves = (("tuning half", [r for r in rows if r[0]]), ("held-out half", [r for r in rows if not r[0]]),
                  ("all", rows))
        for half, members in halves:
            rankings = [labels[np.argsort(-(features @ weights), kind="stable")] for _, features, labels in members]
            report[f"{name}, {half}"] = recall(rankings)
    print(json.dumps(report, indent=2))


if __name__ == "__main__":
    main()
