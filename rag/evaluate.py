"""`rag eval`: measure retrieval, answers, citations and refusals on a question set.

The question file is JSON Lines in the SQuAD-2-derived format of `../shared/eval/squad2-dev/questions.jsonl`:
`{"qid", "question", "answers": [...], "is_impossible": bool, "article_id", ...}`. Metrics (answers normalised as
SQuAD does: lower case, no punctuation, no articles, single spaces; best over all gold answers):

- answer recall@k: a gold answer occurs in one of the top-k retrieved passages; MRR of the first such passage;
- exact match, token F1, and two kinds of "contains": the answer's own text holds a gold answer
  (`contains_answer_text`: what the answer says, without the quotes beside it), and a gold answer occurs in the
  answer text or the sentences its citations quote (`contains_with_evidence`: what a reader sees highlighted under
  the answer);
- citation precision: share of cited passages that contain a gold answer;
- refusal precision and recall over the unanswerable questions, and the false-refusal rate on the others;
- latency p50/p95 of search and of whole answers.

"Contains" (every kind, answer recall and citation precision) reads a hyphen or dash as a space: "the 61-year-old"
holds the gold "61", which SQuAD's normalisation (joining the words into "61yearold") missed until stop 39.

Questions whose article is not in the index ("not in my articles": its `article_id` is not among the index's
articles) are a group of their own: whatever SQuAD says of them, the only right answer is a refusal, since the
passages retrieved come from other articles. They are counted and their share refused reported apart from SQuAD's
unanswerable questions; every other metric is over the indexed questions only, so a run whose articles are all
indexed gives the same figures as before this group existed.
"""

from __future__ import annotations

import json
import random
import re
import string
import time
from collections import Counter
from collections.abc import Callable, Collection, Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Protocol

from rag.errors import InvalidRequestError
from rag.records import Answer, Hit
from rag.text import json_kind

RECALL_AT = (1, 5, 20)


@dataclass(frozen=True)
class Question:
    qid: str
    question: str
    answers: tuple[str, ...]
    impossible: bool
    article_id: str = ""


class Answerer(Protocol):
    def search(self, question: str, k: int | None = None) -> list[Hit]: ...

    def ask(self, question: str, history: Sequence[tuple[str, str]] = (), k: int | None = None) -> Answer: ...


def normalise_answer(text: str) -> str:
    """SQuAD's answer normalisation.

    >>> normalise_answer("The  Eiffel Tower!")
    'eiffel tower'
    """
    text = text.lower()
    text = "".join(char for char in text if char not in set(string.punctuation))
    text = re.sub(r"\b(a|an|the)\b", " ", text)
    return " ".join(text.split())


def exact_match(prediction: str, answers: Iterable[str]) -> float:
    """
    >>> exact_match("the Eiffel tower", ["Eiffel Tower", "tower"])
    1.0
    """
    return max((float(normalise_answer(prediction) == normalise_answer(gold)) for gold in answers), default=0.0)


def token_f1(prediction: str, answers: Iterable[str]) -> float:
    """
    >>> round(token_f1("in Paris France", ["Paris"]), 3)
    0.5
    """
    best = 0.0
    predicted = normalise_answer(prediction).split()
    for gold in answers:
        expected = normalise_answer(gold).split()
        common = sum((Counter(predicted) & Counter(expected)).values())
        if common:
            precision, recall = common / len(predicted), common / len(expected)
            best = max(best, 2 * precision * recall / (precision + recall))
    return best


def contains_answer(text: str, answers: Iterable[str]) -> bool:
    """Whether a gold answer occurs (normalised, on word boundaries) in `text`.

    A hyphen or dash parts words here (SQuAD's normalisation joins them): "the 61-year-old" holds "61", and
    "1914–1918" holds "1918".

    >>> contains_answer("It opened in 1932 [1].", ["1932"]), contains_answer("It opened in 19320.", ["1932"])
    (True, False)
    >>> contains_answer("The 61-year-old said so.", ["61"]), contains_answer("A well-known dam.", ["well-known"])
    (True, True)
    """
    haystack = f" {normalise_answer(_DASHES.sub(' ', text))} "
    needles = (normalise_answer(_DASHES.sub(" ", gold)) for gold in answers)
    return any(needle and f" {needle} " in haystack for needle in needles)


_DASHES = re.compile(r"[-‐‑‒–—]")


def shown_text(answer: Answer) -> str:
    """What a reader sees of an answer: its text and every sentence its citations quote (what "contains" checks).

    >>> from rag.records import Citation, Passage
    >>> passage = Passage("a", "Ferry", "a.txt", "", "Boats came. It opened in 1932.", 0, 30)
    >>> shown_text(Answer("When?", "It opened [1].", (Citation(1, passage, spans=((12, 30),)),), False))
    'It opened [1]. It opened in 1932.'
    """
    return " ".join([answer.text, *(quote for citation in answer.citations for quote in citation.quotes)])


def percentile(values: Sequence[float], fraction: float) -> float:
    """
    >>> percentile([1, 2, 3, 4], 0.5)
    2.5
    """
    if not values:
        return 0.0
    ordered = sorted(values)
    position = (len(ordered) - 1) * fraction
    low = int(position)
    high = min(low + 1, len(ordered) - 1)
    return ordered[low] + (ordered[high] - ordered[low]) * (position - low)


def load_questions(path: str | Path, limit: int | None = None, seed: int = 0,
                   articles: Collection[str] | None = None) -> list[Question]:
    """Read a question file (only the questions about `articles`, when given); with `limit`, a seeded sample that
    keeps the share of unanswerable questions."""
    path = Path(path)
    questions = []
    try:
        lines = path.read_text("utf-8").splitlines()
    except OSError as error:
        raise InvalidRequestError(f"cannot read the question file {path}: {error}") from error
    for number, line in enumerate(lines, start=1):
        if not line.strip():
            continue
        try:
            row = json.loads(line)
            if not isinstance(row, dict):
                raise TypeError(f"{json_kind(row)}, not an object")
            questions.append(Question(str(row.get("qid", number)), row["question"],
                                      tuple(row.get("answers") or ()), bool(row.get("is_impossible", False)),
                                      str(row.get("article_id", ""))))
        except (ValueError, KeyError, TypeError) as error:
            raise InvalidRequestError(
                f"{path}:{number}: not a question record ({error}): each line is a JSON object with a \"question\" "
                f"(and \"answers\", \"is_impossible\", \"article_id\" as ../shared/eval's files have them)") from error
    if limit is not None and limit < 1:
        raise InvalidRequestError(f"--limit must be at least 1, got {limit}")
    if articles is not None:
        questions = [question for question in questions if question.article_id in articles]
    if limit is not None and limit < len(questions):
        rng = random.Random(seed)
        answerable = [q for q in questions if not q.impossible]
        impossible = [q for q in questions if q.impossible]
        take_impossible = round(limit * len(impossible) / len(questions))
        questions = rng.sample(answerable, limit - take_impossible) + rng.sample(impossible, take_impossible)
        rng.shuffle(questions)
    return questions


@dataclass
class Tally:
    """Running sums for the report."""

    answerable: int = 0
    impossible: int = 0
    recall_hits: dict[int, int] = field(default_factory=lambda: dict.fromkeys(RECALL_AT, 0))
    reciprocal_ranks: float = 0.0
    exact: float = 0.0
    f1: float = 0.0
    contains: int = 0
    contains_text: int = 0
    cited: int = 0
    cited_correct: int = 0
    refused_impossible: int = 0
    refused_answerable: int = 0
    not_indexed: int = 0
    refused_not_indexed: int = 0
    search_seconds: list[float] = field(default_factory=list)
    answer_seconds: list[float] = field(default_factory=list)


def is_indexed(question: Question, indexed: Collection[str] | None) -> bool:
    """Whether the question's article is in the index: unknown (no index articles given, or a question naming no
    article) counts as indexed, so question sets without article ids are scored as they always were.

    >>> [is_indexed(Question("1", "?", (), False, article), {"a000"}) for article in ("a000", "a001", "")]
    [True, False, True]
    """
    return indexed is None or not question.article_id or question.article_id in indexed


def unknown_articles(questions: Sequence[Question], indexed: Collection[str]) -> list[str]:
    """The distinct `article_id`s of `questions` that name no indexed article, in order of first use: their
    questions are scored as "not indexed". Deliberate for a "not in my articles" set; else most often ids written
    differently from the index's (a folder's articles are identified by their file's path).

    >>> questions = [Question(str(n), "?", (), False, article) for n, article in enumerate(["a1", "b", "", "b"])]
    >>> unknown_articles(questions, {"a1"})
    ['b']
    """
    return list(dict.fromkeys(question.article_id for question in questions
                              if not is_indexed(question, indexed)))


def evaluate(assistant: Answerer, questions: Sequence[Question], answers: bool = True,
             progress: Callable[[int, int], None] | None = None,
             record: Callable[[dict[str, Any]], None] | None = None,
             indexed: Collection[str] | None = None) -> dict[str, Any]:
    """Run every question through search (and, with `answers`, through `ask`) and return the report.

    `record`, when given, receives one dict per question (what `rag eval --details` writes): the question, its
    gold answers, the rank of the first retrieved passage holding one, and the answer with its citations.
    `indexed`: the ids of the index's articles; a question about another article is "not indexed" and is scored
    only on whether it was refused (not asked at all without `answers`)."""
    tally = Tally()
    depth = max(RECALL_AT)
    examples: list[dict[str, Any]] = []
    for number, question in enumerate(questions, start=1):
        in_index = is_indexed(question, indexed)
        detail: dict[str, Any] = {"qid": question.qid, "question": question.question,
                                  "gold": list(question.answers), "impossible": question.impossible,
                                  "indexed": in_index}
        if not in_index:
            tally.not_indexed += 1
        elif question.impossible:
            tally.impossible += 1
        else:
            tally.answerable += 1
            started = time.perf_counter()
            hits = assistant.search(question.question, k=depth)
            tally.search_seconds.append(time.perf_counter() - started)
            rank = next((i for i, hit in enumerate(hits, 1) if contains_answer(hit.passage.text, question.answers)),
                        None)
            detail["answer_rank"] = rank
            if rank is not None:
                tally.reciprocal_ranks += 1 / rank
                for k in RECALL_AT:
                    tally.recall_hits[k] += rank <= k
        if answers:
            started = time.perf_counter()
            answer = assistant.ask(question.question)
            seconds = time.perf_counter() - started
            detail.update(answer=answer.text, refused=answer.refused, model_text=answer.model_text,
                          seconds=round(seconds, 3),
                          contains=contains_answer(shown_text(answer), question.answers)
                          if question.answers else None,
                          contains_text=contains_answer(answer.text, question.answers)
                          if question.answers and not answer.refused else None,
                          citations=[{"article_id": c.passage.article_id, "quotes": c.quotes,
                                      "holds_gold": contains_answer(c.passage.text, question.answers)}
                                     for c in answer.citations])
            if not in_index:  # scored on refusal alone: its gold answer is in an article the index lacks
                tally.refused_not_indexed += answer.refused
            else:
                tally.answer_seconds.append(seconds)
                _score_answer(tally, question, answer)
                if len(examples) < 20:
                    examples.append({"question": question.question, "gold": list(question.answers[:3]),
                                     "answer": answer.text, "refused": answer.refused,
                                     "model_text": answer.model_text})
        if record:
            record(detail)
        if progress:
            progress(number, len(questions))
    return _report(tally, answers, examples)


def _score_answer(tally: Tally, question: Question, answer: Answer) -> None:
    if question.impossible:
        tally.refused_impossible += answer.refused
        return
    if answer.refused:
        tally.refused_answerable += 1
        return
    evidence = shown_text(answer)
    tally.exact += exact_match(answer.text, question.answers)
    tally.f1 += token_f1(answer.text, question.answers)
    tally.contains += contains_answer(evidence, question.answers)
    tally.contains_text += contains_answer(answer.text, question.answers)
    for citation in answer.citations:
        tally.cited += 1
        tally.cited_correct += contains_answer(citation.passage.text, question.answers)


def _ratio(part: float, whole: float) -> float | None:
    return round(part / whole, 4) if whole else None


def _latency(seconds: Sequence[float], fraction: float, scale: float, digits: int) -> float | None:
    """A latency percentile in the report's unit; None when nothing was timed (as a ratio of no questions is)."""
    return round(percentile(seconds, fraction) * scale, digits) if seconds else None


def _report(tally: Tally, answers: bool, examples: list[dict[str, Any]]) -> dict[str, Any]:
    report: dict[str, Any] = {
        "questions": tally.answerable + tally.impossible + tally.not_indexed,
        "answerable": tally.answerable,
        "unanswerable": tally.impossible,
        "retrieval": {
            **{f"answer_recall@{k}": _ratio(tally.recall_hits[k], tally.answerable) for k in RECALL_AT},
            "mrr@20": _ratio(tally.reciprocal_ranks, tally.answerable),
            "search_latency_p50_ms": _latency(tally.search_seconds, 0.5, 1000, 1),
            "search_latency_p95_ms": _latency(tally.search_seconds, 0.95, 1000, 1),
        },
    }
    if answers:
        refused = tally.refused_impossible + tally.refused_answerable
        report["answers"] = {
            "exact_match": _ratio(tally.exact, tally.answerable),
            "token_f1": _ratio(tally.f1, tally.answerable),
            "contains_answer_text": _ratio(tally.contains_text, tally.answerable),
            "contains_with_evidence": _ratio(tally.contains, tally.answerable),
            "citation_precision": _ratio(tally.cited_correct, tally.cited),
            "refusal_precision": _ratio(tally.refused_impossible, refused),
            "refusal_recall": _ratio(tally.refused_impossible, tally.impossible),
            "false_refusal_rate": _ratio(tally.refused_answerable, tally.answerable),
            "answer_latency_p50_s": _latency(tally.answer_seconds, 0.5, 1, 3),
            "answer_latency_p95_s": _latency(tally.answer_seconds, 0.95, 1, 3),
        }
        report["examples"] = examples
    if tally.not_indexed:
        # Only when there are such questions: a run with every article indexed reports what it always did.
        report["not_indexed"] = _not_indexed_report(tally, answers)
    return report


def _not_indexed_report(tally: Tally, answers: bool) -> dict[str, Any]:
    if not answers:
        return {"not_indexed_questions": tally.not_indexed,
                "skipped": "retrieval only: no answer asked, so no refusal to count"}
    return {"not_indexed_questions": tally.not_indexed,
            "not_indexed_refused": _ratio(tally.refused_not_indexed, tally.not_indexed)}


def summary(report: dict[str, Any]) -> str:
    """The report on one screen."""
    not_indexed = report.get("not_indexed")
    counts = f"{report['answerable']} answerable, {report['unanswerable']} unanswerable"
    if not_indexed:
        counts += f", {not_indexed['not_indexed_questions']} not indexed"
    lines = [f"{report['questions']} questions ({counts})"]
    asked = report["answerable"] + report["unanswerable"]
    for heading, key in (("retrieval", "retrieval"), ("answers", "answers")):
        if key not in report:
            continue
        if not asked:  # every question was about an article the index lacks: no figure of this kind to give
            lines.append(f"{heading}: - (no question about an indexed article)")
            continue
        lines.append(f"{heading}:")
        lines += [f"  {name:<24} {_shown(value)}" for name, value in report[key].items()]
    if not_indexed:
        lines.append("not in the index:")
        lines += [f"  {name:<24} {_shown(value)}" for name, value in not_indexed.items()]
    return "\n".join(lines)


def _shown(value: Any) -> str:
    """A report value on screen: "-" for a figure with nothing to count (no unanswerable question, say).

    >>> [_shown(value) for value in (0.75, None, 12)]
    ['0.75', '-', '12']
    """
    return "-" if value is None else str(value)
