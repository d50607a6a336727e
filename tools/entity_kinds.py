"""How well entity kinds (rag.models.entities) single out answers on a real QA set, and what tagging costs.

Issue 22 proposes requiring the answer (or its quote) to hold an entity of the kind the question asks for. Before
wiring that into the answer path, this measures on SQuAD 2.0 dev (`../shared/eval/squad2-dev`, answerable questions):

- speed: the pipeline's load time, characters tagged per second on one thread, tagging every passage at index time
  (seconds, and the JSON stored per passage) against tagging a question's candidate sentences at question time (ms);
- quality, for the questions of the chosen articles (`--articles even` to choose the kind table, `odd` to report):
  (a) how often an entity of a wanted kind overlaps the gold answer, (b) how often `wanted_kinds` says anything,
  (c) where it does, how often the gold sentence holds an entity of a wanted kind against the other sentences of the
  same passage (the filter only helps if the second is much lower than the first); (d) the same for the kinds the
  answer path's checks accept (`checked_kinds`: numbers of any kind for number questions, a country for who, none
  for where), and how often an answer of the question's form holds one at all.

    python -m tools.entity_kinds --data ../shared/eval/squad2-dev --articles odd
"""

from __future__ import annotations

import argparse
import json
import random
import statistics
import sys
import time
from collections import Counter
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path

from rag.models.entities import Entity, SpacyTagger, checked_kinds, wanted_kinds
from rag.text import split_sentences

CANDIDATE_SENTENCES = 25
"""About how many sentences the answer path weighs for one question (issue 22)."""


@dataclass
class Tally:
    """Counts over the questions of one group (all, or those of one set of wanted kinds)."""

    questions: int = 0
    typed: int = 0
    answer_covered: int = 0
    gold_sentence_holds: int = 0
    other_sentences: int = 0
    other_sentences_hold: int = 0
    passages_with_other_sentences: int = 0
    checked: int = 0
    gold_sentence_checked: int = 0
    other_sentences_checked: int = 0

    def add(self, other: Tally) -> None:
        for name in self.__dataclass_fields__:
            setattr(self, name, getattr(self, name) + getattr(other, name))


@dataclass
class Report:
    overall: Tally = field(default_factory=Tally)
    by_kinds: dict[str, Tally] = field(default_factory=dict)


def read_jsonl(path: Path) -> list[dict]:
    with path.open(encoding="utf-8") as lines:
        return [json.loads(line) for line in lines if line.strip()]


def article_chosen(article_id: str, articles: str) -> bool:
    """`a002` is even, `a003` odd; `all` takes every article."""
    if articles == "all":
        return True
    number = int("".join(character for character in article_id if character.isdigit()))
    return (number % 2 == 0) == (articles == "even")


def overlaps(entity: Entity, start: int, end: int) -> bool:
    return entity.start < end and start < entity.end


def score_question(question: dict, passage_text: str, entities: Sequence[Entity]) -> tuple[str, Tally]:
    """One question's counts, and the label of its wanted kinds ('-' when there are none)."""
    tally = Tally(questions=1)
    kinds = wanted_kinds(question["question"])
    label = ",".join(sorted(kinds)) or "-"
    if not kinds:
        return label, tally
    tally.typed = 1
    wanted = [entity for entity in entities if entity.kind in kinds]
    answer_spans = question["answer_spans_in_passage"]
    if any(overlaps(entity, start, end) for entity in wanted for start, end in answer_spans):
        tally.answer_covered = 1
    answer_start = answer_spans[0][0]
    sentences = split_sentences(passage_text)
    gold = next((span for span in sentences if span.start <= answer_start < span.end), None)
    if gold is None:
        return label, tally
    if any(overlaps(entity, gold.start, gold.end) for entity in wanted):
        tally.gold_sentence_holds = 1
    accepted = checked_kinds(question["question"])
    checked = [entity for entity in entities if entity.kind in accepted]
    tally.checked = int(bool(accepted))
    tally.gold_sentence_checked = int(not accepted or any(overlaps(entity, gold.start, gold.end) for entity in checked))
    others = [span for span in sentences if span is not gold]
    if others:
        tally.passages_with_other_sentences = 1
        tally.other_sentences = len(others)
        tally.other_sentences_hold = sum(
            any(overlaps(entity, span.start, span.end) for entity in wanted) for span in others)
        tally.other_sentences_checked = sum(
            not accepted or any(overlaps(entity, span.start, span.end) for entity in checked) for span in others)
    return label, tally


def percent(part: int, whole: int) -> str:
    return f"{100 * part / whole:5.1f}%" if whole else "    -"


def print_quality(report: Report, articles: str) -> None:
    print(f"\nQuality ({articles} articles, answerable questions)")
    header = (f"{'wanted kinds':34} {'questions':>9} {'typed':>7} {'(a) answer':>10} {'(c) gold':>9} {'(c) other':>9}"
              f" {'(d) gold':>9} {'(d) other':>9}")
    print(header)
    print("-" * len(header))
    rows = sorted(report.by_kinds.items(), key=lambda item: -item[1].questions)
    for label, tally in [*rows, ("all", report.overall)]:
        print(f"{label:34} {tally.questions:9d} {percent(tally.typed, tally.questions):>7} "
              f"{percent(tally.answer_covered, tally.typed):>10} "
              f"{percent(tally.gold_sentence_holds, tally.typed):>9} "
              f"{percent(tally.other_sentences_hold, tally.other_sentences):>9} "
              f"{percent(tally.gold_sentence_checked, tally.typed):>9} "
              f"{percent(tally.other_sentences_checked, tally.other_sentences):>9}")
    overall = report.overall
    print(f"\n(b) wanted_kinds non-empty: {overall.typed} of {overall.questions} questions "
          f"({percent(overall.typed, overall.questions).strip()})")
    print(f"(a) an entity of a wanted kind overlaps the gold answer: {percent(overall.answer_covered, overall.typed)}"
          " of typed questions")
    print(f"(c) gold sentence holds a wanted kind: {percent(overall.gold_sentence_holds, overall.typed)};"
          f" other sentences of the same passage: {percent(overall.other_sentences_hold, overall.other_sentences)}"
          f" of {overall.other_sentences} sentences")
    print(f"(d) checked kinds: gold sentence {percent(overall.gold_sentence_checked, overall.typed)}; other sentences"
          f" {percent(overall.other_sentences_checked, overall.other_sentences)} (where-questions, unchecked, count"
          " as holding)")


def time_tagging(tagger: SpacyTagger, texts: Sequence[str]) -> tuple[float, list[list[Entity]]]:
    started = time.perf_counter()
    tagged = tagger.tag(texts)
    return time.perf_counter() - started, tagged


def stored_size(entities: Iterable[Entity]) -> tuple[int, int]:
    """Bytes of one passage's entities as JSON: with their text, and as [start, end, kind] only (the text is a
    slice of the passage, so it need not be stored)."""
    listed = list(entities)
    with_text = json.dumps([[entity.text, entity.kind, entity.start, entity.end] for entity in listed])
    offsets_only = json.dumps([[entity.start, entity.end, entity.kind] for entity in listed])
    return len(with_text.encode()), len(offsets_only.encode())


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m tools.entity_kinds", description=__doc__.split("\n\n")[0])
    parser.add_argument("--data", type=Path, default=Path("../shared/eval/squad2-dev"),
                        help="folder with passages.jsonl and questions.jsonl (default: ../shared/eval/squad2-dev)")
    parser.add_argument("--articles", choices=("odd", "even", "all"), default="odd",
                        help="whose questions to score: even articles choose the kind table, odd ones report")
    parser.add_argument("--threads", type=int, default=1)
    parser.add_argument("--seed", type=int, default=22, help="seed of the question-time samples")
    parser.add_argument("--samples", type=int, default=50, help="questions timed at question time")
    arguments = parser.parse_args(argv)
    if not (arguments.data / "questions.jsonl").exists():
        print(f"no questions.jsonl in {arguments.data}", file=sys.stderr)
        return 2

    passages = read_jsonl(arguments.data / "passages.jsonl")
    questions = [question for question in read_jsonl(arguments.data / "questions.jsonl")
                 if not question["is_impossible"] and question.get("gold_passage_id")]

    started = time.perf_counter()
    import spacy  # noqa: F401  (timed apart from the pipeline: importing spaCy is most of a cold start)
    import_seconds = time.perf_counter() - started
    started = time.perf_counter()
    tagger = SpacyTagger(threads=arguments.threads)
    load_seconds = time.perf_counter() - started
    tagger.tag(["Warm-up sentence about Paris in 2024."])

    # Index time: every passage of the set, once.
    texts = [passage["text"] for passage in passages]
    index_seconds, tagged = time_tagging(tagger, texts)
    characters = sum(map(len, texts))
    entities_by_passage = {passage["passage_id"]: found for passage, found in zip(passages, tagged, strict=True)}
    sizes = [stored_size(found) for found in tagged]
    kinds_seen = Counter(entity.kind for found in tagged for entity in found)

    # Question time: the candidate sentences of one question, sampled from its article's passages.
    generator = random.Random(arguments.seed)
    sentences_by_article: dict[str, list[str]] = {}
    for passage in passages:
        sentences_by_article.setdefault(passage["article_id"], []).extend(
            passage["text"][span.start:span.end] for span in split_sentences(passage["text"]))
    question_ms = []
    candidate_characters = []
    for question in generator.sample(questions, min(arguments.samples, len(questions))):
        pool = sentences_by_article[question["article_id"]]
        candidates = generator.sample(pool, min(CANDIDATE_SENTENCES, len(pool)))
        seconds, _ = time_tagging(tagger, candidates)
        question_ms.append(seconds * 1000)
        candidate_characters.append(sum(map(len, candidates)))

    print(f"Tagger: {tagger.name}, threads {arguments.threads}; CPU: {cpu_name()}")
    print(f"import spacy: {import_seconds:.2f} s; load (named-entity pipe only): {load_seconds:.2f} s")
    print(f"index time: {len(texts)} passages, {characters} characters in {index_seconds:.1f} s "
          f"({characters / index_seconds:,.0f} characters/s, {1000 * index_seconds / len(texts):.1f} ms a passage)")
    print(f"  stored as JSON a passage: mean {statistics.mean(size for size, _ in sizes):.0f} bytes with the text, "
          f"{statistics.mean(size for _, size in sizes):.0f} bytes as [start, end, kind]; "
          f"{sum(len(found) for found in tagged) / len(tagged):.1f} entities a passage")
    print(f"question time: {CANDIDATE_SENTENCES} candidate sentences ({statistics.mean(candidate_characters):.0f} "
          f"characters) in median {statistics.median(question_ms):.1f} ms, 90th percentile "
          f"{statistics.quantiles(question_ms, n=10)[-1]:.1f} ms ({len(question_ms)} questions)")
    print("entity kinds found: " + ", ".join(f"{kind} {count}" for kind, count in kinds_seen.most_common()))

    report = Report()
    passage_text = {passage["passage_id"]: passage["text"] for passage in passages}
    for question in questions:
        if not article_chosen(question["article_id"], arguments.articles):
            continue
        passage_id = question["gold_passage_id"]
        label, tally = score_question(question, passage_text[passage_id], entities_by_passage[passage_id])
        report.overall.add(tally)
        report.by_kinds.setdefault(label, Tally()).add(tally)
    print_quality(report, arguments.articles)
    return 0


def cpu_name() -> str:
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return "unknown CPU"


if __name__ == "__main__":
    sys.exit(main())
