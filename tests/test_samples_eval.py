"""The sample-article questions (tools/eval/samples.py): verdicts, and facts that are really in the sample texts."""

from __future__ import annotations

import json
from pathlib import Path

from rag.records import Answer, Citation, Passage
from rag.text import fold
from tools.eval.samples import ITEMS, verdict

SAMPLES = Path(__file__).resolve().parent.parent / "rag" / "samples"
ANSWER_WORDINGS = {"regatta course is longer"}
"""Facts that are the assistant's own wording of a comparison, not words of an article."""


def _sample_text() -> str:
    texts = [path.read_text(encoding="utf-8") for path in SAMPLES.iterdir() if path.suffix != ".jsonl"]
    texts += [json.loads(line)["text"] for line in (SAMPLES / "feed.jsonl").read_text(encoding="utf-8").splitlines()
              if line.strip()]
    return fold(" ".join(" ".join(texts).split()))


def test_every_fact_is_in_the_sample_articles() -> None:
    text = _sample_text()
    for item in ITEMS:
        for fact in item.facts:
            assert fact in ANSWER_WORDINGS or fold(fact) in text, (item, fact)


def test_an_answer_is_judged_by_its_own_text_then_by_its_quotes() -> None:
    passage = Passage("r", "Regatta", "r.md", "", "The crew won by 1.8 seconds.", 0, 28)
    quoted = Answer("By how much?", "A margin [1].", (Citation(1, passage, spans=((0, 28),)),), False)
    assert verdict(quoted, ["1.8 seconds"]) == "in quotes"
    assert verdict(Answer("By how much?", "I don't know.", (), True), ["1.8 seconds"]) == "refused"
    missing = Answer("Who heads it?", 'The club won [1]. The articles do not answer: "Who heads it?"', (), False)
    assert verdict(missing, []) == "right"
    assert verdict(Answer("Who heads it?", "Priya Sandhu [1].", (), False), []) == "wrong"
