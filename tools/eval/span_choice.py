"""Which span the answer path should keep among the evidence's best sentences: the reader's chance alone, or that
chance times the sentence's evidence score (`rag.answer.reader.span_weight`, what the assistant does). For every
answerable SQuAD question of the chosen articles, the `READ_SENTENCES` best sentences are read as the answer path
reads them (spans of the wrong kind left out, as `Assistant._reading` does), and each rule's span is checked for a
gold answer; no model writes, so a few thousand questions take minutes.

    python -m tools.eval.span_choice ../shared/eval/squad2-dev --index /tmp/squad-dev --articles calibration
    python -m tools.eval.span_choice ../shared/eval/squad2-dev --index /tmp/squad-dev --articles odd --limit 800

`--articles calibration` reads the calibration articles (`tools.training.split_of`: what a rule may be chosen
on); `odd`, the held-out ones (what it is reported on). docs/quality.md#the-span-read-where-the-sentence-is-
likeliest-to-answer-stop-28 has the figures.
"""

from __future__ import annotations

import argparse
import json
import random
import sys
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from rag.answer.assistant import Assistant
from rag.answer.reader import READ_SENTENCES, span_weight
from rag.evaluate import contains_answer
from rag.models.span_reader import Span
from rag.settings import Settings
from tools.training import split_of


@dataclass(frozen=True)
class Candidate:
    """A span read in one of the best evidence sentences, that sentence's score, and whether it holds gold."""

    span: Span
    sentence_score: float
    holds_gold: bool


RULES: dict[str, Callable[[Candidate], float]] = {
    "reader chance": lambda candidate: candidate.span.probability,
    "chance x sentence score": lambda candidate: span_weight(candidate.span, candidate.sentence_score),
}


def chosen(candidates: list[Candidate], rule: Callable[[Candidate], float]) -> Candidate | None:
    """The candidate a rule keeps (the earlier on a tie, as `read_evidence`), None without any.

    >>> first = Candidate(Span("four", 0, 4, 0.43, 1.0), 0.05, False)
    >>> second = Candidate(Span("12", 0, 2, 0.41, 1.0), 0.25, True)
    >>> chosen([first, second], RULES["reader chance"]).holds_gold
    False
    >>> chosen([first, second], RULES["chance x sentence score"]).holds_gold
    True
    """
    best: Candidate | None = None
    for candidate in candidates:
        if best is None or rule(candidate) > rule(best):
            best = candidate
    return best


def candidates(assistant: Assistant, question: str, answers: list[str]) -> list[Candidate]:
    """The spans of the best evidence sentences of `question`, as the answer path reads them."""
    reader = assistant.reader
    assert reader is not None  # the shipped reader is loaded by default
    passages = [hit.passage for hit in assistant.search(question)]
    evidence = assistant.evidence(question, passages)
    if len(evidence.parts) != 1 or not evidence.ranked:
        return []
    found = []
    for sentence in evidence.ranked[0][:READ_SENTENCES]:
        passage = passages[sentence.passage_index]
        text = passage.text[sentence.start:sentence.end]
        span = reader.read(question, passage.title, text)
        if span.text.strip() and assistant.kinds.span_fits(question, text, span.start, span.end):
            found.append(Candidate(span, sentence.score, contains_answer(span.text, answers)))
    return found


def questions(folder: Path, articles: str, limit: int | None, seed: int) -> list[dict[str, object]]:
    """The answerable questions of the chosen articles (a seeded sample of `limit` of them)."""
    rows = [json.loads(line) for line in (folder / "questions.jsonl").read_text("utf-8").splitlines() if line]
    rows = [row for row in rows if not row["is_impossible"]]
    wanted = "calibration" if articles == "calibration" else "held-out"
    rows = [row for row in rows if split_of(str(row["article_id"])) == wanted]
    if limit is not None:
        random.Random(seed).shuffle(rows)
        rows = rows[:limit]
    return rows


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("squad", type=Path, help="a SQuAD folder (questions.jsonl), e.g. ../shared/eval/squad2-dev")
    parser.add_argument("--index", required=True, help="an index of that folder's articles")
    parser.add_argument("--articles", choices=("calibration", "odd"), default="calibration")
    parser.add_argument("--limit", type=int, default=None, help="a seeded sample of this many questions")
    parser.add_argument("--seed", type=int, default=5)
    arguments = parser.parse_args(argv)
    if not (arguments.squad / "questions.jsonl").is_file():
        print(f"error: no questions.jsonl in {arguments.squad}: give a SQuAD folder such as ../shared/eval/squad2-dev",
              file=sys.stderr)
        return 2
    assistant = Assistant.load(settings=Settings(index=arguments.index))
    rows = questions(arguments.squad, arguments.articles, arguments.limit, arguments.seed)
    read = []
    for number, row in enumerate(rows, 1):
        read.append(candidates(assistant, str(row["question"]), list(row["answers"])))  # type: ignore[call-overload]
        print(f"\r{number}/{len(rows)}", end="", file=sys.stderr, flush=True)
    print(file=sys.stderr)
    with_spans = [found for found in read if found]
    print(f"{len(rows)} answerable questions, {len(with_spans)} with a span to choose")
    for name, rule in RULES.items():
        kept = [chosen(found, rule) for found in with_spans]
        print(f"  {name:26s} span holds a gold answer: {sum(1 for c in kept if c is not None and c.holds_gold)}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
