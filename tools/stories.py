"""Measure story grouping: how many distinct events reach the top k of retrieval before and after grouping, on the
multi-outlet set (tests/data/multi-outlet.jsonl: eight events each reported by three or four outlets in their own
words, plus five distractors, some on the same topics as the events but other events).

    .venv/bin/python -m tools.stories            # index the set in a temporary folder, print the table
    .venv/bin/python -m tools.stories --json

Before: near-duplicate suppression only (`story_similarity` 1, what retrieval did before grouping); after: the
shipped grouping (`rag.settings.STORY_SIMILARITY`). Also prints how well the grouping rule separates pairs of
reports of one event from pairs of different events (what the threshold was chosen on), and the search latency of
both. tests/test_stories.py asserts the figures with the real embedder.
"""

from __future__ import annotations

import argparse
import itertools
import json
import tempfile
import time
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np

from rag.answer.retrieve import Retriever, same_story
from rag.models.embed import Embedder, load_embedder
from rag.settings import STORY_SIMILARITY
from rag.store.generations import PassageIndex
from rag.text import specific_terms

MULTI_OUTLET = Path(__file__).resolve().parent.parent / "tests" / "data" / "multi-outlet.jsonl"
QUESTIONS = (
    "What happened to the Maplewood footbridge?",
    "What happened in Maplewood?",
    "What happened in Dunmore?",
    "What happened in Orwin?",
    "What is new in the Lenn Valley?",
    "What did the town council decide?",
    "What did the mayor say?",
    "Which projects cost millions of euros?",
    "What opened this year?",
    "Transport and infrastructure news",
    "What happened on the river Lenn?",
    "Who objected to the plans?",
)
"""Broad questions, the kind whose top k one story told by several outlets fills."""


def events_of(path: Path = MULTI_OUTLET) -> dict[str, str]:
    """Article id -> the event it reports (the set's `event` field)."""
    records = [json.loads(line) for line in path.read_text("utf-8").splitlines() if line.strip()]
    return {record["id"]: record["event"] for record in records}


def distinct_events(
    retriever: Retriever, events: dict[str, str], questions: Sequence[str] = QUESTIONS, k: int = 5
) -> list[int]:
    """For each question, how many different events its top `k` hits report (members of a story not counted)."""
    return [len({events[hit.passage.article_id] for hit in retriever.search(question, k)}) for question in questions]


def pair_separation(
    index: PassageIndex, events: dict[str, str], similarity: float = STORY_SIMILARITY
) -> dict[str, int]:
    """Pairs of passages of different articles: reports of one event grouped (of all such pairs), and pairs of
    different events grouped (should be 0), by the rule retrieval applies."""
    passages = index.passages
    vectors = index.vectors_of(list(range(len(passages))))
    terms = [specific_terms(passage.text) for passage in passages]
    counts = {"same_event_pairs": 0, "same_event_grouped": 0, "different_pairs": 0, "different_grouped": 0}
    for first, second in itertools.combinations(range(len(passages)), 2):
        one, other = passages[first], passages[second]
        if one.article_id == other.article_id:
            continue
        grouped = float(vectors[first] @ vectors[second]) >= similarity and same_story(
            one, other, terms[first], terms[second]
        )
        kind = "same_event" if events[one.article_id] == events[other.article_id] else "different"
        counts[f"{kind}_pairs"] += 1
        counts[f"{kind}_grouped"] += int(grouped)
    return counts


def measure(folder: Path, embedder: Embedder, k: int = 5) -> dict[str, Any]:
    """The figures on an index of the multi-outlet set in `folder`."""
    events = events_of()
    before = Retriever.load(folder, embedder, story_similarity=1.0)
    after = Retriever.load(folder, embedder)
    figures: dict[str, Any] = {"questions": len(QUESTIONS), "k": k}
    for name, retriever in (("before", before), ("after", after)):
        retriever.search(QUESTIONS[0], k)  # warm: the first query builds the lexical matrix and caches
        started = time.perf_counter()
        counts = distinct_events(retriever, events, QUESTIONS, k)
        seconds = time.perf_counter() - started
        figures[name] = {
            "distinct_events": counts,
            "mean": round(float(np.mean(counts)), 2),
            "min": min(counts),
            "ms_per_search": round(seconds / len(QUESTIONS) * 1000, 1),
        }
    assert isinstance(after.index, PassageIndex)  # the set is indexed into a folder here
    figures["pairs"] = pair_separation(after.index, events)
    return figures


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("-k", type=int, default=5)
    parser.add_argument("--json", action="store_true")
    arguments = parser.parse_args(argv)
    from rag.ingest.indexer import UpdateOptions, update_index

    embedder = load_embedder(threads=1)
    with tempfile.TemporaryDirectory() as folder:
        update_index([MULTI_OUTLET], folder, embedder, UpdateOptions(progress=False))
        figures = measure(Path(folder), embedder, arguments.k)
    if arguments.json:
        print(json.dumps(figures, indent=2))
        return 0
    print(f"distinct events in the top {figures['k']}, {figures['questions']} questions:")
    for name in ("before", "after"):
        row = figures[name]
        print(
            f"  {name:6} mean {row['mean']:.2f}  min {row['min']}  per question {row['distinct_events']}  "
            f"({row['ms_per_search']} ms per search)"
        )
    pairs = figures["pairs"]
    print(
        f"pairs grouped: {pairs['same_event_grouped']}/{pairs['same_event_pairs']} of reports of one event, "
        f"{pairs['different_grouped']}/{pairs['different_pairs']} of different events"
    )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
