"""A question set answered again with the model's stored words instead of the model: what a change that acts only
after the model writes (which passage is cited, which sentence quoted, a refusal gate after the model, an answer
rewritten) does to a `rag eval --details` run, in minutes instead of the model's half hour.

    python -m tools.eval.replay /tmp/rag-eval/before/calib.jsonl /tmp/rag-eval/calib-400.jsonl \\
        --index /tmp/rag-eval/squad-dev --details /tmp/rag-eval/after/calib.jsonl
    python -m tools.eval.suite compare /tmp/rag-eval/before/calib.jsonl /tmp/rag-eval/after/calib.jsonl --show

Each question is answered by the checkout it is run from, as `rag eval` answers it (the same settings, one thread
unless `RAG_THREADS` says otherwise, the rows in the same form, so `suite score` and `suite compare` read them), but
each time the assistant asks the model, `ReplayLLM` streams the text the stored row says the model wrote. The real
model is still loaded, for its tokenizer only: the passages a prompt holds are fitted with its token counts.

The stored words stand for the model only while the prompts are the ones the stored run gave. A change that acts
before the model (retrieval, evidence, the prompt) needs `rag eval`. A question that now asks the model where the
stored run did not (refused before the model then, or answered by the span reader) has no stored words: the model
is taken to write nothing, and its row says `"replay": "needs model"` (counted in the summary); with
`--model-fallback` the real model answers such a question instead (`"replay": "model"`).

One question can ask the model more than once: each part of a two-part question or a comparison, a two-hop
question's second hop and then the question in one hop. `rag eval` stores one `model_text`, those calls' texts
joined; a replayed row stores `model_texts`, one text per call in order, which a later replay of it uses call by
call. A question that asks the model more than once, replayed from a joined `model_text`, is marked "needs model"
(its first call was given the joined text).
"""

from __future__ import annotations

import argparse
import dataclasses
import json
import os
import re
import sys
import time
from collections import Counter
from collections.abc import Callable, Iterator, Mapping, Sequence
from pathlib import Path
from typing import Any

from rag.evaluate import Question, evaluate, load_questions, summary
from rag.models.llm import LLM
from rag.records import Answer, Hit, Prompt

NEEDS_MODEL = "needs model"
"""A replayed row whose question asked the model for words the stored row does not hold."""

ANSWERED_BY_MODEL = "model"
"""A row the real model answered (`--model-fallback`), its question's stored words being short."""


@dataclasses.dataclass(frozen=True)
class Stored:
    """What a stored row says the model wrote for its question: a text per call (`per_call`), or one text that is
    every call's joined (`rag eval`'s `model_text`), which stands for a single call only.

    >>> Stored.of({"model_text": "It opened in 1932 [1]."})
    Stored(texts=('It opened in 1932 [1].',), per_call=False)
    >>> Stored.of({"model_text": ""}), Stored.of({"model_texts": ["A [1].", "B [2]."], "model_text": "A [1]. B [2]."})
    (Stored(texts=(), per_call=False), Stored(texts=('A [1].', 'B [2].'), per_call=True))
    """

    texts: tuple[str, ...]
    per_call: bool

    @classmethod
    def of(cls, row: Mapping[str, Any]) -> Stored:
        if "model_texts" in row:
            return cls(tuple(row["model_texts"]), True)
        text = str(row.get("model_text") or "")
        return cls((text,) if text.strip() else (), False)

    def text(self, call: int) -> str | None:
        """The text of the `call`-th model call (from 0), None when the row does not hold it.

        >>> joined = Stored(("A [1]. B [2].",), False)
        >>> joined.text(0), joined.text(1), Stored(("A [1].", "B [2]."), True).text(1)
        ('A [1]. B [2].', None, 'B [2].')
        """
        return self.texts[call] if call < len(self.texts) else None


def pieces(text: str) -> list[str]:
    """`text` as a model streams it: a word at a time, each after its space (the tokens of a SentencePiece model).

    >>> pieces("It opened. Then [1].")
    ['It', ' opened.', ' Then', ' [1].']
    """
    return re.findall(r"\s*\S+", text)


class ReplayLLM:
    """An `LLM` whose `stream` gives the stored words of the question being replayed (`script`), call by call; its
    name, kind, context and token counts are `model`'s, loaded on first use (a callable) and asked to write only
    when `live`."""

    def __init__(self, model: LLM | Callable[[], LLM]) -> None:
        self._model = model if isinstance(model, LLM) else None
        self._load = None if isinstance(model, LLM) else model
        self.stored = Stored((), True)
        self.live = False
        self.written: list[str] = []
        """The text of each call since `script`, in order."""
        self.short = False
        """Whether a call since `script` asked for words the stored row does not hold."""

    @property
    def model(self) -> LLM:
        if self._model is None:
            assert self._load is not None
            self._model = self._load()
        return self._model

    @property
    def name(self) -> str:
        return self.model.name

    @property
    def chat(self) -> bool:
        return self.model.chat

    @property
    def context_size(self) -> int:
        return self.model.context_size

    def count_tokens(self, text: str) -> int:
        return self.model.count_tokens(text)

    def script(self, stored: Stored, live: bool = False) -> None:
        """Replay `stored` for the next question (or, `live`, let the model write it)."""
        self.stored, self.live, self.written, self.short = stored, live, [], False

    def stream(self, prompt: Prompt, max_tokens: int = 160, temperature: float = 0.0) -> Iterator[str]:
        call = len(self.written)
        self.written.append("")
        if self.live:
            for piece in self.model.stream(prompt, max_tokens, temperature):
                self.written[call] += piece
                yield piece
            return
        text = self.stored.text(call) if self.stored.per_call or call == 0 else None
        if text is None:
            self.short = True
            return
        self.written[call] = text
        yield from pieces(text)


class Replaying:
    """An assistant (`rag.evaluate.Answerer`) whose model's words for each question are the stored row's of the same
    question text; `last` says how the latest question went (None: replayed, `NEEDS_MODEL`, `ANSWERED_BY_MODEL`)."""

    def __init__(self, assistant: Any, llm: ReplayLLM, stored: Sequence[Mapping[str, Any]],
                 model_fallback: bool = False) -> None:
        self.assistant = assistant
        self.llm = llm
        self.by_question: dict[str, Stored] = {}
        for row in stored:
            self.by_question.setdefault(str(row["question"]), Stored.of(row))
        self.model_fallback = model_fallback
        self.last: str | None = None

    def search(self, question: str, k: int | None = None) -> list[Hit]:
        hits: list[Hit] = self.assistant.search(question, k)
        return hits

    def ask(self, question: str, history: Sequence[tuple[str, str]] = (), k: int | None = None) -> Answer:
        self.llm.script(self.by_question.get(question, Stored((), True)))
        answer: Answer = self.assistant.ask(question, history, k)
        self.last = None
        if self.llm.short:
            self.last = NEEDS_MODEL
            if self.model_fallback:
                self.llm.script(Stored((), True), live=True)
                answer = self.assistant.ask(question, history, k)
                self.last = ANSWERED_BY_MODEL
        return answer


def replay(assistant: Any, llm: ReplayLLM, stored: Sequence[Mapping[str, Any]], questions: Sequence[Question],
           record: Callable[[dict[str, Any]], None] | None = None, model_fallback: bool = False,
           indexed: set[str] | None = None) -> tuple[dict[str, Any], Counter[str]]:
    """Answer `questions` as `rag.evaluate.evaluate` does, with `assistant` (whose model is `llm`) replaying the
    `stored` rows' model words; each row (to `record`) with `model_texts` and, when not replayed as stored, `replay`.
    The report, and how many rows went each way."""
    replaying = Replaying(assistant, llm, stored, model_fallback)
    counts: Counter[str] = Counter()

    def replayed(detail: dict[str, Any]) -> None:
        if "answer" in detail:
            detail["model_texts"] = list(llm.written)
            if replaying.last is not None:
                detail["replay"] = replaying.last
            counts[replaying.last or "replayed"] += 1
        if record is not None:
            record(detail)

    report = evaluate(replaying, questions, record=replayed, indexed=indexed)
    return report, counts



def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("stored", type=Path, metavar="DETAILS.jsonl", help="the `rag eval --details` run replayed")
    parser.add_argument("questions", type=Path, metavar="QUESTIONS.jsonl", help="its question file")
    parser.add_argument("--index", required=True, help="the index the stored run searched")
    parser.add_argument("--details", type=Path, required=True, metavar="OUT.jsonl",
                        help="write the replayed rows here (the form of `rag eval --details`)")
    parser.add_argument("--model-fallback", action="store_true",
                        help="let the real model answer the questions whose stored words are short")
    arguments = parser.parse_args(argv)
    os.environ.setdefault("RAG_THREADS", "1")  # as `suite run` answers: the stored rows were written so
    from rag.answer.assistant import Assistant
    from rag.models.llm import load_llm
    from rag.settings import Settings
    from tools.eval.dialogues import read_jsonl

    settings = Settings.from_env(index=arguments.index)
    llm = ReplayLLM(lambda: load_llm(settings.llm, settings.context_size, settings.threads, cache=settings.cache))
    assistant = Assistant.load(settings=settings, llm=llm)
    questions = load_questions(arguments.questions)
    started = time.monotonic()
    arguments.details.parent.mkdir(parents=True, exist_ok=True)
    with arguments.details.open("w", encoding="utf-8") as details:
        def record(detail: dict[str, Any]) -> None:
            details.write(json.dumps(detail, ensure_ascii=False) + "\n")
            details.flush()

        report, counts = replay(assistant, llm, read_jsonl(arguments.stored), questions, record,
                                arguments.model_fallback, set(assistant.retriever.index.articles))
    print(summary(report))
    print(f"replayed {counts['replayed']}, {NEEDS_MODEL} {counts[NEEDS_MODEL]}, answered by the model "
          f"{counts[ANSWERED_BY_MODEL]}, in {time.monotonic() - started:.0f} s")
    return 0


if __name__ == "__main__":
    sys.exit(main())
