"""Choosing `span_threshold` (the span reader's chance from which its span is the answer and the model is not asked)
from one run of the model, without a run per threshold.

A question's answer at threshold t is the span answer when the reader's best span (of the evidence's two best
sentences, as `rag.answer.reader.read_evidence` reads them) has a chance of at least t, else what the model path
gave. So one `rag eval --details` run with `--span-threshold 2.0` (the model answers every question) and the reader's
span for each question give every threshold's figures. The span answer is scored as `rag eval` scores it: its own
text is the span ("contains" over the answer's text), its citation the span's passage; with evidence, the span's
sentence is shown too.

    rag eval QUESTIONS.jsonl --index INDEX --span-threshold 2.0 --span-fallback 2.0 --details /tmp/model.jsonl
    python -m tools.span_thresholds QUESTIONS.jsonl --index INDEX --details /tmp/model.jsonl [--fallback 0.35]

With `--fallback F` (the `span_fallback` setting) a question below the threshold whose model answer was refused is
answered by the span when the reader's chance is at least F.

Run it on articles nothing was fitted on but the calibration (docs/quality.md uses the calibration articles a000,
a010, a020, a030).
"""

from __future__ import annotations

import argparse
import json
import sys
from dataclasses import dataclass
from pathlib import Path

THRESHOLDS = (0.2, 0.25, 0.3, 0.35, 0.4, 0.45, 0.5, 0.6, 2.0)


@dataclass(frozen=True)
class SpanRead:
    """The reader's best span for one question, scored against its gold answers (None-like when the assistant
    refuses before the model, or no sentence gives a span: `chance` 0)."""

    chance: float
    span_holds: bool
    sentence_holds: bool
    passage_holds: bool


@dataclass(frozen=True)
class Figures:
    """`rag eval`'s answer figures for one threshold."""

    threshold: float
    answer_text: float
    with_evidence: float
    citation_precision: float
    unanswerable_refused: float
    false_refusals: float
    span_answers: int


def read_spans(questions: list[dict[str, object]], index: str) -> dict[str, SpanRead]:
    """The reader's best span for each question, as the assistant finds it (`Assistant.read`)."""
    from rag.answer.assistant import Assistant
    from rag.evaluate import contains_answer

    assistant = Assistant.load(index)
    spans = {}
    for number, question in enumerate(questions, 1):
        gold = [str(answer) for answer in question["answers"]]  # type: ignore[attr-defined]
        found = assistant.read(str(question["question"]))
        if found is None:
            spans[str(question["qid"])] = SpanRead(0.0, False, False, False)
        else:
            spans[str(question["qid"])] = SpanRead(found.reading.span.probability,
                                                   contains_answer(found.reading.span.text, gold),
                                                   contains_answer(found.sentence, gold),
                                                   contains_answer(found.passage.text, gold))
        if number % 50 == 0:
            print(f"read {number} of {len(questions)}", file=sys.stderr, flush=True)
    return spans


def figures(threshold: float, spans: dict[str, SpanRead], details: dict[str, dict[str, object]],
            fallback: float = 2.0) -> Figures:
    """The figures at `threshold`: span answers where the reader reaches it, and where it reaches `fallback` and the
    model run refused; the model run's answers elsewhere.

    >>> row = {"impossible": False, "refused": False, "contains_text": False, "contains": True,
    ...        "citations": [{"holds_gold": True}]}
    >>> figures(0.4, {"q": SpanRead(0.5, True, True, True)}, {"q": row}).answer_text
    1.0
    >>> figures(0.6, {"q": SpanRead(0.5, True, True, True)}, {"q": row}).answer_text
    0.0
    >>> refused = {**row, "refused": True, "contains": False}
    >>> figures(0.6, {"q": SpanRead(0.5, True, True, True)}, {"q": refused}, fallback=0.35).answer_text
    1.0
    """
    answerable = unanswerable = text = evidence = refused_unanswerable = false_refusals = 0
    cited = holding = span_answers = 0
    for qid, row in details.items():
        span = spans[qid]
        by_span = span.chance > 0 and (span.chance >= threshold or (span.chance >= fallback and bool(row["refused"])))
        span_answers += by_span
        if row["impossible"]:
            unanswerable += 1
            refused_unanswerable += (not by_span) and bool(row["refused"])
            continue
        answerable += 1
        if by_span:
            text += span.span_holds
            evidence += span.span_holds or span.sentence_holds
            cited, holding = cited + 1, holding + span.passage_holds
            continue
        text += bool(row["contains_text"])
        evidence += bool(row["contains"])
        false_refusals += bool(row["refused"])
        if not row["refused"]:
            citations = row["citations"]
            assert isinstance(citations, list)
            cited += len(citations)
            holding += sum(bool(citation["holds_gold"]) for citation in citations)
    return Figures(threshold, text / max(answerable, 1), evidence / max(answerable, 1), holding / max(cited, 1),
                   refused_unanswerable / max(unanswerable, 1), false_refusals / max(answerable, 1), span_answers)


def table(rows: list[Figures]) -> str:
    lines = ["| span_threshold | answer's own text | with evidence | citation precision | unanswerable refused | "
             "false refusals | span answers |", "| ---: | ---: | ---: | ---: | ---: | ---: | ---: |"]
    lines += [f"| {'model only' if row.threshold > 1 else row.threshold} | {row.answer_text:.3f} | "
              f"{row.with_evidence:.3f} | {row.citation_precision:.3f} | {row.unanswerable_refused:.3f} | "
              f"{row.false_refusals:.3f} | {row.span_answers} |" for row in rows]
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("questions", type=Path, help="the questions of the model run (JSONL, squad2-dev form)")
    parser.add_argument("--index", required=True, help="the index the model run used")
    parser.add_argument("--details", type=Path, required=True,
                        help="`rag eval --details` of a run with --span-threshold 2.0 --span-fallback 2.0")
    parser.add_argument("--fallback", type=float, default=2.0,
                        help="the span answers a refused question from this chance (span_fallback; default: never)")
    arguments = parser.parse_args(argv)
    details = {row["qid"]: row for row in map(json.loads, arguments.details.read_text(encoding="utf-8").splitlines())
               if row.get("indexed", True)}
    questions = [question for question in map(json.loads, arguments.questions.read_text(encoding="utf-8").splitlines())
                 if question["qid"] in details]
    spans = read_spans(questions, arguments.index)
    print(f"{len(details)} questions ({sum(not row['impossible'] for row in details.values())} answerable)")
    print(table([figures(threshold, spans, details, arguments.fallback) for threshold in THRESHOLDS]))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
