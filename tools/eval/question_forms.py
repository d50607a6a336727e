"""Which questions of a set take one of the assistant's special paths: split into parts
(`rag.answer.parts.question_parts`), compared (`rag.answer.comparisons.comparison_plan`), read as two clauses of one
thing (`rag.answer.hops.intersection_plan`) or planned in two hops (`rag.answer.hops.hop_plan`), in the order
`Assistant.stream` tries them.

On a set of single questions that each ask one thing (SQuAD) a question taking a special path is most often a false
fire: answered part by part or hop by hop when it should not be. Run it before and after changing how a form is
read, and read every question that moved:

    python -m tools.eval.question_forms ../shared/eval/squad2-dev/questions.jsonl            # counts per path
    python -m tools.eval.question_forms ../shared/eval/squad2-dev/questions.jsonl --show two-hop --out /tmp/hops.jsonl

Pure functions of the question text: no model, a few seconds for the 11,873 SQuAD 2.0 dev questions.
"""

from __future__ import annotations

import argparse
import json
from collections import Counter
from collections.abc import Iterable, Sequence
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

from rag.answer.comparisons import comparison_plan
from rag.answer.hops import hop_plan, intersection_plan
from rag.answer.parts import question_parts

PATHS = ("two-part", "comparison", "intersection", "two-hop")


def question_path(question: str) -> tuple[str, list[str]]:
    """The special path a question alone takes, and the questions it is asked as; ("one", [question]) for none.

    >>> question_path("When did the bridge reopen, and how much did the repairs cost?")
    ('two-part', ['When did the bridge reopen?', 'How much did the repairs cost?'])
    >>> question_path("Which was founded first, Acme or Zenith?")
    ('comparison', ['When was Acme founded?', 'When was Zenith founded?'])
    >>> question_path("Where was the one who led the Normans crowned?")
    ('two-hop', ['Who led the Normans?', 'Where was <bridge> crowned?'])
    >>> question_path("Which actor starred in Dune and was born in Ohio?")
    ('intersection', ['Which actor starred in Dune?', 'Which actor was born in Ohio?'])
    >>> question_path("When did the Normans conquer England?")
    ('one', ['When did the Normans conquer England?'])
    """
    parts = question_parts(question)
    if len(parts) > 1:
        return "two-part", parts
    compared = comparison_plan(question)
    if compared is not None:
        return "comparison", list(compared.parts)
    both = intersection_plan(question)
    if both is not None:
        return "intersection", list(both.clauses)
    hops = hop_plan(question)
    if hops is not None:
        return "two-hop", [hops.first, hops.second("<bridge>")]
    return "one", [question]


@dataclass(frozen=True)
class Routed:
    """A question of the set, the path it takes and what it is asked as."""

    qid: str
    question: str
    path: str
    asked: tuple[str, ...]
    impossible: bool


def routed(rows: Iterable[dict[str, Any]]) -> list[Routed]:
    """Each row's question with the path it takes (`question_path`)."""
    found = []
    for row in rows:
        path, asked = question_path(str(row["question"]))
        found.append(Routed(str(row.get("qid", "")), str(row["question"]), path, tuple(asked),
                            bool(row.get("is_impossible", False))))
    return found


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m tools.eval.question_forms", description=__doc__.split("\n\n")[0])
    parser.add_argument("questions", type=Path, help="a JSON-lines file of questions (a 'question' field each)")
    parser.add_argument("--show", choices=PATHS, action="append", default=[],
                        help="print the questions taking this path (repeatable)")
    parser.add_argument("--out", type=Path, help="write every question's path to this JSON-lines file")
    arguments = parser.parse_args(argv)
    with arguments.questions.open(encoding="utf-8") as lines:
        found = routed(json.loads(line) for line in lines if line.strip())
    counts = Counter(row.path for row in found)
    print(f"{len(found)} questions: " + ", ".join(f"{path} {counts[path]}" for path in PATHS))
    for row in found:
        if row.path in arguments.show:
            print(f"{row.path}\t{row.question}\t" + " | ".join(row.asked))
    if arguments.out is not None:
        arguments.out.write_text("".join(json.dumps(asdict(row)) + "\n" for row in found), encoding="utf-8")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
