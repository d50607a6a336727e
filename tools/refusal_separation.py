"""Compare answer finders as the assistant refuses with them, on the same questions and retrieved passages.

    python -m tools.refusal_separation QUESTIONS.jsonl --index DIR --finder OLD_FOLDER --finder NEW_FOLDER

For every question (SQuAD-style records with `question` and `is_impossible`) the passages are retrieved once, and
each finder gives the chance that the best sentence answers the part of the question served worst
(`Assistant.evidence(...).answerable`, what `--refusal-threshold` is compared with). Printed per finder: the share
of unanswerable questions refused at the given threshold and at fixed shares of answerable ones refused. Report
only on articles the finders never saw (`rag.models.answer_finder.held_out_articles`).
"""

from __future__ import annotations

import argparse
import json
from pathlib import Path

import numpy as np

from rag import Assistant
from rag.answer.evidence import FinderScorer
from rag.models.answer_finder import load_answer_finder
from rag.models.llm import LLM
from rag.thresholds import REFUSAL_THRESHOLD

BUDGETS = (0.05, 0.08, 0.10)


def no_model() -> LLM:
    raise RuntimeError("refusal_separation never asks the model")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("questions", type=Path)
    parser.add_argument("--index", type=Path, required=True)
    parser.add_argument("--finder", type=Path, action="append", required=True, help="a finder folder (repeat)")
    parser.add_argument("--threshold", type=float, default=REFUSAL_THRESHOLD)
    parser.add_argument("--threads", type=int, default=2)
    arguments = parser.parse_args()

    loaded = Assistant.load(arguments.index)
    retriever = loaded.retriever
    assistants = {str(folder): Assistant(retriever, no_model, loaded.settings, finder=FinderScorer(
        load_answer_finder(folder, threads=arguments.threads), retriever.term_weights, loaded.kinds))
        for folder in arguments.finder}
    impossible: list[bool] = []
    chances: dict[str, list[float]] = {name: [] for name in assistants}
    with open(arguments.questions, encoding="utf-8") as lines:
        for line in lines:
            record = json.loads(line)
            passages = [hit.passage for hit in loaded.search(record["question"])]
            impossible.append(bool(record["is_impossible"]))
            for name, assistant in assistants.items():
                chances[name].append(assistant.evidence(record["question"], passages).answerable)
    flags = np.array(impossible)
    print(f"{len(flags)} questions, {int(flags.sum())} unanswerable")
    for name, values in chances.items():
        chance = np.array(values)
        row = [f"at {arguments.threshold}: refused {np.mean(chance[flags] < arguments.threshold):.3f}, "
               f"false {np.mean(chance[~flags] < arguments.threshold):.3f}"]
        for budget in BUDGETS:
            threshold = float(np.quantile(chance[~flags], budget))
            row.append(f"at {budget:.0%} false: refused {np.mean(chance[flags] < threshold):.3f}")
        print(f"{name}: " + "; ".join(row))


if __name__ == "__main__":
    main()
