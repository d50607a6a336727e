"""Answer latency of two versions of the assistant, side by side: each runs in its own process and they answer
the same questions alternately (who goes first alternates too), so that whatever else the machine does weighs on
both alike. What `docs/quality.md` reports as before/after answer latency.

    python -m tools.paired_latency QUESTIONS.jsonl --before-code /tmp/before --before-index /tmp/squad-before \
        --after-index /tmp/squad --count 60

With `--raw-baseline` the "before" side is no assistant but raw llama-cpp-python (the bundled model, the same
threads and answer length) reading the five whole retrieved passages of the same question: the prompt an assistant
without evidence-first prompting would send. Only the model's reading and writing is timed on that side (the
retrieval that chose its passages is not), so the ratio is the assistant's whole answer against the model alone:

    python -m tools.paired_latency QUESTIONS.jsonl --raw-baseline --after-index /tmp/squad --count 60
"""

from __future__ import annotations

import argparse
import json
import os
import random
import statistics
import subprocess
import sys
from pathlib import Path

WORKER = r'''
import json, sys, time
try:
    from rag.assistant import Assistant  # the flat layout of older commits
except ImportError:
    from rag.answer.assistant import Assistant
from rag.records import Answer

assistant = Assistant.load(sys.argv[1])
assistant.ask("warm-up question about the articles?")
print(json.dumps({"ready": True}), flush=True)
for line in sys.stdin:
    start, first, answer = time.perf_counter(), None, None
    for piece in assistant.stream(line.strip()):
        if isinstance(piece, Answer):
            answer = piece
        elif first is None and (piece if isinstance(piece, str) else getattr(piece, "text", "")).strip():
            first = time.perf_counter() - start  # text: a str piece (older commits) or a TextChunk
    print(json.dumps({"seconds": time.perf_counter() - start, "first_words": first, "refused": answer.refused}),
          flush=True)
'''

RAW_WORKER = r'''
import json, sys, time
from rag.answer.assistant import Assistant
from tools.bench import raw_model, raw_pieces, whole_passage_prompt

assistant = Assistant.load(sys.argv[1])  # retrieval and prompt building only: the model below is what is timed
settings = assistant.settings
model = raw_model(assistant.llm.context_size, settings.threads)


def answer(question):
    prompt = whole_passage_prompt(assistant, question)
    start, first = time.perf_counter(), None
    for text in raw_pieces(model, prompt.text, prompt.stop, settings.max_answer_tokens):
        if first is None and text.strip():
            first = time.perf_counter() - start
    return {"seconds": time.perf_counter() - start, "first_words": first, "refused": False}


answer("warm-up question about the articles?")
print(json.dumps({"ready": True}), flush=True)
for line in sys.stdin:
    print(json.dumps(answer(line.strip())), flush=True)
'''


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("questions", type=Path)
    parser.add_argument("--before-code", type=Path, help="a checkout (worktree) of the older commit")
    parser.add_argument("--before-index", help="an index built by the older commit")
    parser.add_argument("--raw-baseline", action="store_true",
                        help="before = raw llama-cpp-python on the five whole retrieved passages (after's code)")
    parser.add_argument("--after-index", required=True)
    parser.add_argument("--after-code", type=Path, default=Path(__file__).resolve().parent.parent)
    parser.add_argument("--count", type=int, default=60)
    parser.add_argument("--seed", type=int, default=7)
    arguments = parser.parse_args()
    if arguments.raw_baseline:
        arguments.before_code, arguments.before_index = arguments.after_code, arguments.after_index
    elif arguments.before_code is None or arguments.before_index is None:
        parser.error("give --before-code and --before-index, or --raw-baseline")
    questions = [json.loads(line)["question"] for line in arguments.questions.open(encoding="utf-8")]
    random.Random(arguments.seed).shuffle(questions)
    sides = {}
    for name, code, index in (("before", arguments.before_code, arguments.before_index),
                              ("after", arguments.after_code, arguments.after_index)):
        environment = {**os.environ, "PYTHONPATH": str(code)}
        worker = RAW_WORKER if name == "before" and arguments.raw_baseline else WORKER
        sides[name] = subprocess.Popen([sys.executable, "-c", worker, index], stdin=subprocess.PIPE,
                                       stdout=subprocess.PIPE, text=True, env=environment, cwd=code)
        assert sides[name].stdout is not None
    for side in sides.values():
        assert side.stdout is not None and json.loads(side.stdout.readline())["ready"]
    rows: dict[str, list[dict[str, float]]] = {name: [] for name in sides}
    for number, question in enumerate(questions[:arguments.count]):
        for name in (["before", "after"] if number % 2 == 0 else ["after", "before"]):
            side = sides[name]
            assert side.stdin is not None and side.stdout is not None
            side.stdin.write(question + "\n")
            side.stdin.flush()
            rows[name].append(json.loads(side.stdout.readline()))
    for side in sides.values():
        assert side.stdin is not None
        side.stdin.close()
        side.wait()
    report: dict[str, dict[str, float | int | None]] = {}
    for name, results in rows.items():
        seconds = sorted(row["seconds"] for row in results)
        first = [row["first_words"] for row in results if row["first_words"] is not None and not row["refused"]]
        report[name] = {"answers": len(results), "p50": statistics.median(seconds),
                        "p95": seconds[int(0.95 * (len(seconds) - 1))],
                        "first_words_p50": statistics.median(first) if first else None,
                        "refused": sum(bool(row["refused"]) for row in results)}
    report["ratio"] = {"p50": report["after"]["p50"] / report["before"]["p50"]}  # type: ignore[operator]
    print(json.dumps(report, indent=1))


if __name__ == "__main__":
    main()
