"""HotpotQA-style two-hop and comparison questions over invented articles, asked in a distractor setting, and scored.

    python -m tools.eval.two_hop tools/eval/two_hop_invented.jsonl [--details out.jsonl] [--show-failures]

Covers what the team's hidden HotpotQA check measures, on a hand-written set nobody has a copy problem with
(tools/eval/two_hop_invented.jsonl: 20 "bridge" and 10 "comparison" items, every name invented so that no model knows
the answer; the question forms are HotpotQA's: "What government position was held by the woman who portrayed X in
the film Y?", "X is part of a hotel company that has a head office in what city?", "What nationality was X's wife?",
"Which magazine was started first, A or B?", "Were A and B of the same nationality?", "Are A and B both located in
C?"…). Each item holds its question, its gold answers, its two gold paragraphs (a bridge item: the bridge named in
both, the answer only in the second, the question naming the first only) and up to two confusable paragraphs of its
own.

tools/eval/two_hop_invented_b.jsonl is the blind set (30 bridge, 10 comparison items, written before the code was
read and never changed after its first run): the first set is fitted on, so the second is the honest figure.
tools/eval/two_hop_invented_c.jsonl is the newest blind set (28 bridge, 12 comparison items, written at stop 31
without reading the code and never run before the stop's final measurement).

Each item is asked of an index of its own (HotpotQA's distractor setting: one article per paragraph): its 2 gold
paragraphs, its own distractors and one gold paragraph of each of `--others` other items (seeded; none holding this
item's gold answer), built in a temporary folder through the library's indexing API as `tools.eval.dialogues`'
`distractor_item` builds its indexes. The assistant is the shipped one (`rag.Assistant`: bundled embedder, answer
finder, span reader, tagger and Gemma); the models are loaded once for the whole run and shared by every item's
assistant.

Scores, per item and totals by kind:

- held: the answer's own text holds a gold answer (`rag.evaluate.contains_answer`, as tools/eval/dialogues.py
  scores); for an "A or B" comparison the answer must open by naming the gold one and not the other
  (`tools.eval.dialogues.names_the_winner`: both names are in the question); for a yes/no item the answer must open
  with the gold word;
- held_with_evidence: the same over the answer and the sentences its citations quote (`rag.evaluate.shown_text`);
- cites_both: the answer cites a passage of each gold paragraph (by title);
- refused.

Each detail line also says how the question was read (the hop plan's two hops, or the comparison's parts), whether
retrieval for the whole question found both gold paragraphs, and, for a hop plan, what the first hop found (the span
reader's bridge, its chance, and whether the assistant's gates on it pass): what a diagnosis of a failure needs.
"""

from __future__ import annotations

import argparse
import json
import random
import re
import sys
import tempfile
import time
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from rag.evaluate import contains_answer, shown_text
from tools.eval.dialogues import names_the_winner, read_jsonl

YES_NO = {"yes", "no"}


@dataclass
class Models:
    """The models every item's assistant shares: loaded once per run."""

    embedder: Any
    llm: Any
    reader: Any
    finder: Any


def load_models() -> Models:
    """The shipped models, with the settings the environment gives (`RAG_THREADS=1`…), as `Assistant.load` loads
    them."""
    from rag.models.answer_finder import load_answer_finder
    from rag.models.embed import load_embedder
    from rag.models.llm import load_llm
    from rag.models.span_reader import load_span_reader
    from rag.settings import Settings

    settings = Settings.from_env()
    return Models(embedder=load_embedder(settings.embedder, threads=settings.embed_threads, cache=settings.cache),
                  llm=load_llm(settings.llm, settings.context_size, settings.threads, progress=False,
                               cache=settings.cache),
                  reader=load_span_reader(threads=settings.threads),
                  finder=load_answer_finder(threads=settings.threads))


def paragraphs_of(item: dict[str, Any], items: Sequence[dict[str, Any]], others: int, seed: int
                  ) -> list[dict[str, str]]:
    """The paragraphs an item is asked of: its gold ones, its own distractors, then one gold paragraph of each of
    `others` other items (seeded by the item's id; a paragraph holding one of this item's gold answers, or sharing a
    title with one already chosen, is passed over).

    >>> items = [{"id": name, "answers": ["x"], "gold": [{"title": name + "1", "text": "a"},
    ...                                                {"title": name + "2", "text": "b"}]} for name in "abcd"]
    >>> [p["title"] for p in paragraphs_of(items[0], items, 2, 0)][:2], len(paragraphs_of(items[0], items, 2, 0))
    (['a1', 'a2'], 4)
    """
    chosen = [*item["gold"], *item.get("distractors", [])]
    titles = {paragraph["title"] for paragraph in chosen}
    generator = random.Random(f"{seed}:{item['id']}")
    pool = [other for other in items if other["id"] != item["id"]]
    generator.shuffle(pool)
    for other in pool:
        if len(chosen) >= len(item["gold"]) + len(item.get("distractors", [])) + others:
            break
        candidates = [paragraph for paragraph in other["gold"] if paragraph["title"] not in titles
                      and not contains_answer(paragraph["text"], item["answers"])]
        if candidates:
            paragraph = generator.choice(candidates)
            chosen.append(paragraph)
            titles.add(paragraph["title"])
    return chosen


def item_assistant(item: dict[str, Any], paragraphs: Sequence[dict[str, str]], models: Models, folder: Path) -> Any:
    """The assistant of one item: an index of `paragraphs` (one article each, a JSON-lines file indexed by
    `update_index`, as `tools.eval.dialogues.distractor_item` indexes), with the shared models."""
    from rag import Assistant
    from rag.answer.evidence import FinderScorer
    from rag.ingest.indexer import UpdateOptions, update_index

    articles = folder / f"{item['id']}.jsonl"
    articles.write_text("".join(json.dumps({"id": f"{item['id']}-{number}", "title": paragraph["title"],
                                            "text": paragraph["text"]}) + "\n"
                                for number, paragraph in enumerate(paragraphs)), encoding="utf-8")
    index = folder / f"{item['id']}-index"
    update_index([articles], index, models.embedder, UpdateOptions(progress=False))
    loaded = Assistant.load(index, embedder=models.embedder, llm=models.llm)
    finder = FinderScorer(models.finder, loaded.retriever.term_weights)
    assistant = Assistant(loaded.retriever, models.llm, loaded.settings, reader=models.reader, finder=finder)
    finder.kinds = assistant.kinds  # as `Assistant.finder` makes it: the assistant's kinds rank the sentences
    return assistant


def plan_of(question: str) -> dict[str, Any]:
    """How the assistant reads the question, in the order `Assistant.stream` tries the forms."""
    from rag.answer.comparisons import comparison_plan
    from rag.answer.hops import hop_plan
    from rag.answer.parts import question_parts

    parts = question_parts(question)
    if len(parts) > 1:
        return {"path": "two-part", "parts": parts}
    compared = comparison_plan(question)
    if compared is not None:
        path = "same" if compared.same else "both" if compared.predicate is not None else "comparison"
        return {"path": path, "parts": list(compared.parts)}
    hops = hop_plan(question)
    if hops is not None:
        return {"path": "two-hop", "first": hops.first, "second": hops.second("⟨bridge⟩")}
    return {"path": "one-hop"}


def first_hop(assistant: Any, question: str) -> dict[str, Any] | None:
    """What the first hop of a hop plan finds (`Assistant.first_hop`, as `Assistant._two_hops` takes it, without the
    model): the passages retrieved, the span reader's bridge and chance, and which gate stops it (None: no hop
    plan)."""
    from rag.answer.hops import hop_plan

    hops = hop_plan(question)
    if hops is None:
        return None
    found = assistant.first_hop(question, hops)
    trace: dict[str, Any] = {"titles": [passage.title for passage in found.passages], "bridge": "", "chance": 0.0,
                             "stopped": found.stopped}
    if found.answerable is not None:
        trace["answerable"] = round(found.answerable, 3)
    if found.reading is not None:
        trace.update(bridge=found.read, chance=round(found.chance, 3), sentence=" ".join(found.sentence.split()),
                     second=hops.second(found.read))
    return trace


def held(item: dict[str, Any], text: str) -> bool:
    """Whether an answer's text gives the gold: a yes/no item's answer opens with the gold word; an "A or B"
    comparison's names the gold one first and not the other; any other holds a gold answer.

    >>> held({"kind": "comparison", "question": "Were A and B of the same nationality?", "answers": ["no"]},
    ...      "No: A is American [1], against B Polish [2].")
    True
    >>> held({"kind": "comparison", "question": "Who is older, Ann Bell or Kay Lund?", "answers": ["Ann Bell"]},
    ...      "1975 [1]. 1978 [2].")
    False
    """
    gold = [answer.lower() for answer in item["answers"]]
    if set(gold) <= YES_NO:
        opening = re.match(r"\W*(\w+)", text)
        return bool(opening) and opening.group(1).lower() in gold  # type: ignore[union-attr]
    if item["kind"] == "comparison" and re.search(r",\s*.+\s+or\s+.+\?$", item["question"]):
        return names_the_winner(text, item["question"], item["answers"])
    return contains_answer(text, item["answers"])


def score(item: dict[str, Any], assistant: Any, paragraphs: Sequence[dict[str, str]]) -> dict[str, Any]:
    """Ask one item of its assistant and score it (a detail line)."""
    started = time.perf_counter()
    retrieved = [hit.passage.title for hit in assistant.search(item["question"])]
    answer = assistant.ask(item["question"])
    seconds = round(time.perf_counter() - started, 3)
    gold_titles = [paragraph["title"] for paragraph in item["gold"]]
    cited = [citation.passage.title for citation in answer.citations]
    with_evidence = shown_text(answer)
    return {"id": item["id"], "kind": item["kind"], "question": item["question"], "answers": item["answers"],
            "answer": answer.text, "held": held(item, answer.text),
            "held_with_evidence": held(item, answer.text) or (
                not set(a.lower() for a in item["answers"]) <= YES_NO
                and contains_answer(with_evidence, item["answers"])),
            "cites_both": all(title in cited for title in gold_titles), "refused": answer.refused,
            "cited": cited, "quotes": [quote for citation in answer.citations for quote in citation.quotes],
            "retrieved": retrieved, "retrieved_both": all(title in retrieved for title in gold_titles),
            "paragraphs": [paragraph["title"] for paragraph in paragraphs], "plan": plan_of(item["question"]),
            "first_hop": first_hop(assistant, item["question"]), "seconds": seconds}


def totals(details: Sequence[dict[str, Any]]) -> list[str]:
    """The figures by kind and over all items, one line each."""
    lines = []
    for kind in ("bridge", "comparison", None):
        chosen = [detail for detail in details if kind in (None, detail["kind"])]
        if not chosen:
            continue

        def count(field: str, of: Sequence[dict[str, Any]] = chosen) -> str:
            return f"{sum(bool(detail[field]) for detail in of)}/{len(of)}"

        both = [detail for detail in chosen if detail["held"] and detail["cites_both"]]
        lines.append(f"{kind or 'all':10s} held {count('held')}  held with evidence {count('held_with_evidence')}  "
                     f"cites both {count('cites_both')}  held and cites both {len(both)}/{len(chosen)}  "
                     f"refused {count('refused')}  retrieval found both {count('retrieved_both')}")
    return lines


def item_line(detail: dict[str, Any]) -> str:
    """One item's line: its marks (H held, E held counting evidence, C cites both, R refused, S retrieval found
    both gold paragraphs), its path and its question."""
    marks = "".join(mark if detail[field] else "." for mark, field in (
        ("H", "held"), ("E", "held_with_evidence"), ("C", "cites_both"), ("R", "refused"), ("S", "retrieved_both")))
    return f"{detail['id']} {marks} {detail['plan']['path']:10s} {detail['seconds']:6.1f}s  {detail['question']}"


def failure_text(detail: dict[str, Any]) -> str:
    """A failed item at length: its gold, answer, citations, plan and first hop."""
    lines = [f"  gold: {detail['answers']}", f"  answer: {detail['answer']}", f"  cited: {detail['cited']}",
             f"  retrieved: {detail['retrieved']}", f"  plan: {json.dumps(detail['plan'], ensure_ascii=False)}"]
    if detail["first_hop"] is not None:
        lines.append(f"  first hop: {json.dumps(detail['first_hop'], ensure_ascii=False)}")
    return "\n".join(lines)


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=(__doc__ or "").split("\n\n")[0])
    parser.add_argument("items", type=Path)
    parser.add_argument("--details", type=Path, default=None, help="one JSON line per item")
    parser.add_argument("--show-failures", action="store_true",
                        help="print each item not held and citing both at length")
    parser.add_argument("--others", type=int, default=6, help="other items whose gold paragraph distracts")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--only", nargs="*", default=None, help="only these item ids")
    arguments = parser.parse_args(argv)
    items = read_jsonl(arguments.items)
    asked = [item for item in items if not arguments.only or item["id"] in arguments.only]
    models = load_models()
    details: list[dict[str, Any]] = []
    written = arguments.details.open("w", encoding="utf-8") if arguments.details else None
    with tempfile.TemporaryDirectory(prefix="two-hop-") as scratch:
        for item in asked:
            paragraphs = paragraphs_of(item, items, arguments.others, arguments.seed)
            assistant = item_assistant(item, paragraphs, models, Path(scratch))
            details.append(score(item, assistant, paragraphs))
            print(item_line(details[-1]), flush=True)
            if arguments.show_failures and not (details[-1]["held"] and details[-1]["cites_both"]):
                print(failure_text(details[-1]), flush=True)
            if written:  # line by line: an interrupted run keeps its details
                written.write(json.dumps(details[-1], ensure_ascii=False) + "\n")
                written.flush()
    if written:
        written.close()
    for line in totals(details):
        print(line)
    return 0


if __name__ == "__main__":
    sys.exit(main())
