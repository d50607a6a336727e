"""The span reader: a small extractive reader that finds the exact answer inside an evidence sentence.

The answer finder (`rag.models.answer_finder`) says which sentence answers; a small language model then has to say
the answer in its own words, and often says something else. This reader reads (question, sentence) and marks the
answer's first and last token in the sentence (SQuAD-style start/end logits), or says that the sentence holds no
answer (the score of the [CLS] token, as in SQuAD 2.0). It is all-MiniLM-L6-v2's transformer (the bundled
embedder's weights) with a start/end output, fine-tuned by the project (`tools/train_span_reader.py`,
`make train-reader`), quantised to int8 and shipped in `weights/span-reader/` beside this module: nothing is
downloaded.

`SpanReader.read(question, title, sentence, before)` returns a `Span`: the answer's text, its character offsets
within the sentence, and the calibrated chance that it holds the answer (fitted on articles the model was not trained
on). `before` is the sentence before it in its passage: a model trained to (meta.json's `previous_sentence`,
`tools.train_span_reader --previous-sentence`; not the shipped one) reads it after the sentence, never answering
from it, to know who "he" or "it" is ("It now employs 310 people" after a sentence about another company).

The shipped reader is two such models trained alike but for their seed (meta.json's `members`: files beside
`model.onnx`); their start and end logits are averaged before the span is chosen, and the calibration is the
average's. Two seeds disagree on many spans and are each right about as often; their average is right more often
(held-out sentences: docs/quality.md, stop 46).
"""

from __future__ import annotations

import threading
from collections import OrderedDict
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from rag.models.shipped import (
    batch_arrays,
    calibration,
    load_shipped_model,
    onnx_session,
    pair_tokenizer,
    shared_model,
)

WEIGHTS = Path(__file__).resolve().parent / "weights" / "span-reader"
"""The shipped model: model.onnx (int8), the other members of its ensemble (meta.json's `members`), meta.json (how
each was trained, calibration, held-out figures)."""
FORMAT_VERSION = 1
MAX_TOKENS = 160
"""Question and context together, in tokens: a longer sentence is read in overlapping windows of this size."""
WINDOW_OVERLAP = 32
"""Tokens a window shares with the one before, so that an answer cut by a window's end is whole in the next."""
QUESTION_TOKENS = 64
"""The most of a question the reader reads, in tokens: its end, where the ask is ("Please be precise. … How much
did the dredging cost?"). A question longer than a window less its overlap left the tokenizer no room for the
sentence and crashed it (a 600-character question: "'stride' must be strictly less than 'max_len'")."""
MAX_ANSWER_TOKENS = 30
"""The longest span the reader proposes, in tokens (SQuAD answers are short: a name, a date, a phrase)."""
SEPARATOR = " | "


@dataclass(frozen=True)
class Span:
    """The answer the reader found in one sentence: `text` is `sentence[start:end]`; `probability` the calibrated
    chance that it holds the answer; `margin` the raw score of the span over the no-answer score."""

    text: str
    start: int
    end: int
    probability: float
    margin: float
    sentence: str = ""


def context_text(title: str, sentence: str, before: str = "") -> tuple[str, int]:
    """What the reader reads besides the question (the title, then the sentence: a sentence often leaves its
    subject to the title; then the sentence `before` it in its passage, which often names that subject) and where
    the sentence starts in it. The sentence keeps its place after the title, and a long context is cut at its end,
    where the sentence before is. Training and use share this.

    >>> context_text("Footbridge", "It reopened in March.")
    ('Footbridge | It reopened in March.', 13)
    >>> context_text("", "It reopened in March.", "The  Avon footbridge shut in 2024.")
    ('It reopened in March. | The Avon footbridge shut in 2024.', 0)
    """
    after = f"{SEPARATOR}{' '.join(before.split())}" if before.strip() else ""
    prefix = f"{' '.join(title.split())}{SEPARATOR}" if title else ""
    return prefix + sentence + after, len(prefix)


def best_span(start_logits: np.ndarray, end_logits: np.ndarray, allowed: np.ndarray,
              longest: int = MAX_ANSWER_TOKENS) -> tuple[int, int, float]:
    """The token span (first, last) with the highest start + end score among the `allowed` tokens, at most
    `longest` tokens long, and its score minus the no-answer score (token 0, [CLS]).

    >>> best_span(np.array([5.0, 0, 3, 1]), np.array([4.0, 0, 1, 3]), np.array([False, True, True, True]))
    (2, 3, -3.0)
    """
    scores = start_logits[:, None] + end_logits[None, :]
    size = len(start_logits)
    rows, columns = np.indices((size, size))
    valid = (columns >= rows) & (columns - rows < longest) & allowed[:, None] & allowed[None, :]
    if not valid.any():
        return 0, 0, -float("inf")
    scores = np.where(valid, scores, -np.inf)
    first, last = np.unravel_index(int(np.argmax(scores)), scores.shape)
    return int(first), int(last), float(scores[first, last] - (start_logits[0] + end_logits[0]))


def sentence_tokens(encoding: Any, sentence_start: int, sentence_end: int) -> np.ndarray:
    """Which tokens of an encoding belong to the sentence at `sentence_start:sentence_end` of the context (not the
    question, the title, the sentence before or special tokens): the only ones an answer is read from."""
    return np.array([sequence == 1 and first >= sentence_start and sentence_end >= last > first
                     for sequence, (first, last) in zip(encoding.sequence_ids, encoding.offsets, strict=True)])


_PAIRS = {"(": ")", "[": "]", "“": "”", "‘": "’", '"': '"'}
BRACKET_REACH = 40
"""How far past a span (in characters) the closing mark of a bracket or quote it opens is looked for."""


def balanced(sentence: str, start: int, end: int) -> tuple[int, int]:
    """The span `start`..`end` of `sentence` with its brackets and quotation marks balanced: a mark it opens is
    closed by taking the sentence up to its closing mark (when that is near), else the mark is dropped; a closing
    mark it does not open is dropped. The reader marks tokens, and a bracket or quote is a token of its own, so it
    may end a span half-way through a quoted name.

    >>> sentence = 'Kunskapsskolan (“The Knowledge School”) runs 30 schools.'
    >>> start, end = balanced(sentence, 17, 38)
    >>> sentence[start:end]
    'The Knowledge School'
    >>> sentence = 'Most are Catholic (Christian) or Muslim; they say "never" and "always".'
    >>> [sentence[slice(*balanced(sentence, *span))] for span in ((9, 27), (51, 57), (50, 56), (56, 61), (58, 65))]
    ['Catholic (Christian)', 'never', '"never"', 'and', 'and "always"']
    """
    for _ in range(4):  # a mark or two at each end at most
        text = sentence[start:end]
        unmatched = _unmatched(text, sentence[:start].count('"') % 2 == 1)
        if not text or unmatched is None:
            break
        mark, opens = unmatched
        if not opens and text.endswith(mark):
            end -= 1
        elif not opens and text.startswith(mark):
            start += 1
        elif opens and (closing := sentence.find(_PAIRS[mark], end, end + BRACKET_REACH)) >= 0:
            end = closing + 1
        elif opens and text.startswith(mark):
            start += 1
        else:
            break
        while start < end and sentence[start].isspace():
            start += 1
        while end > start and sentence[end - 1].isspace():
            end -= 1
    return start, end


def _unmatched(text: str, inside_quote: bool) -> tuple[str, bool] | None:
    """A mark `text` leaves unmatched and whether it opens (True) or closes (False); None when all are matched.
    A straight quote opens or closes by whether the span starts `inside_quote`."""
    for opening, closing in _PAIRS.items():
        if opening == closing:
            if text.count(opening) % 2:
                return opening, not inside_quote
            continue
        depth = 0
        for character in text:
            if character == opening:
                depth += 1
            elif character == closing:
                if depth == 0:
                    return closing, False
                depth -= 1
        if depth:
            return opening, True
    return None


READ_CACHE = 512
"""Readings a `SpanReader` keeps (a few answers' worth of sentences)."""


class SpanReader:
    """The int8 ONNX reader and its calibration. `threads` is ONNX Runtime's intra-op thread count (0: all cores),
    at most `rag.models.shipped.MAX_THREADS`."""

    def __init__(self, folder: str | Path = WEIGHTS, threads: int = 1) -> None:
        folder = Path(folder)
        self.meta, session = load_shipped_model(folder, "span reader", "train-reader", FORMAT_VERSION, threads)
        self.sessions = [session, *(onnx_session(folder / name, threads) for name in self.meta.get("members", []))]
        from rag.models.bundled import bundled_embedder_path

        # The context is cut, never the question; what is cut is read in the next windows.
        self.tokenizer = pair_tokenizer(bundled_embedder_path(), MAX_TOKENS, "only_second", WINDOW_OVERLAP)
        self.question_tokenizer = pair_tokenizer(bundled_embedder_path(), 20 * QUESTION_TOKENS)  # counts, never cuts
        self.scale, self.offset = calibration(self.meta, folder, "span reader", "train-reader")
        self.reads_before = bool(self.meta.get("previous_sentence", False))
        self._lock = threading.Lock()
        self._read: OrderedDict[tuple[str, str, str, str], Span] = OrderedDict()

    def read(self, question: str, title: str, sentence: str, before: str = "") -> Span:
        """The best answer span in `sentence` for `question` (an empty span, probability 0, when the sentence has
        no token to offer), read with the sentence `before` it in its passage when the model was trained so
        (meta.json's `previous_sentence`; a model trained without reads without). The last `READ_CACHE` readings
        are kept: one answer reads its best sentences for the span, then again for the quote
        (`Assistant._likeliest_quote`) or with a narrower kind (a clock time)."""
        if not self.reads_before:
            before = ""
        key = (question, title, sentence, before)
        with self._lock:
            if key in self._read:
                self._read.move_to_end(key)
                return self._read[key]
        span = self._read_anew(question, title, sentence, before)
        with self._lock:
            self._read[key] = span
            while len(self._read) > READ_CACHE:
                self._read.popitem(last=False)
        return span

    def _read_anew(self, question: str, title: str, sentence: str, before: str) -> Span:
        context, sentence_start = context_text(title, sentence, before)
        first_window = self.tokenizer.encode(self._question_end(" ".join(question.split())), context)
        # A long sentence (a list of names, a table written out) is read window by window: its end was cut off,
        # and with it the answer ("... and legal scholars Alan Dershowitz and Lawrence Lessig.").
        windows = [first_window, *first_window.overflowing]
        arrays = batch_arrays(windows)
        with self._lock:
            outputs = [session.run(None, arrays) for session in self.sessions]
        # The ensemble's members vote by their logits, averaged (one member: its own).
        start_logits = np.mean([np.asarray(output[0]) for output in outputs], axis=0)
        end_logits = np.mean([np.asarray(output[1]) for output in outputs], axis=0)
        spans = [(*best_span(np.asarray(start_logits)[row, :len(window.ids)],
                             np.asarray(end_logits)[row, :len(window.ids)],
                             sentence_tokens(window, sentence_start, sentence_start + len(sentence))),
                  window) for row, window in enumerate(windows)]
        first, last, margin, encoding = max(spans, key=lambda found: found[2])
        if margin == -float("inf"):
            return Span("", 0, 0, 0.0, margin, sentence)
        start, end = balanced(sentence, encoding.offsets[first][0] - sentence_start,
                              encoding.offsets[last][1] - sentence_start)
        return Span(sentence[start:end], start, end, self.calibrated(margin), margin, sentence)

    def _question_end(self, question: str) -> str:
        """The question's last `QUESTION_TOKENS` tokens (the whole of any question but a rambling one)."""
        tail = question[-20 * QUESTION_TOKENS:]  # no token is shorter than a character
        offsets = self.question_tokenizer.encode(tail, add_special_tokens=False).offsets
        return tail if len(offsets) <= QUESTION_TOKENS else tail[offsets[-QUESTION_TOKENS][0]:]

    def calibrated(self, margin: float) -> float:
        """A raw margin (span score over no-answer score) as the calibrated chance that the span holds the answer."""
        return float(1.0 / (1.0 + np.exp(-(self.scale * margin + self.offset))))


def load_span_reader(folder: str | Path = WEIGHTS, threads: int = 1) -> SpanReader:
    """The span reader in `folder`, loaded once per process (it is read-only and thread-safe)."""
    return shared_model(SpanReader, folder, threads)
