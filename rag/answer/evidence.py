"""Evidence: the sentences of the retrieved passages that best answer a question, found without the model; what
the model is shown, what answers are checked against, and what is quoted beside an answer.

Sentences are scored by a `SentenceScorer`: the answer finder (`rag.models.answer_finder`, a cross-encoder trained
by the project: the default) or `WordOverlap` (the share of the question's words a sentence holds, weighted by
IDF, plus a bonus for the kind of thing asked for: what the finder replaced, kept as its baseline and for tests).
`find_evidence` scores every sentence for each part of the question and says how likely the passages answer it at
all (the best sentence's score, for the part that is worst served); `ranked_spans` hands that ranking on to quoting
and citing, so no (question, sentence) pair is scored twice for one answer.

Also here: what kind of answer a question wants (a number for "how many", a date for "when", a name for "who") and
whether a claim names it as its evidence does.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any, Protocol

import numpy as np

from rag.models.answer_finder import Candidate
from rag.records import Passage
from rag.text import SURFACE_WORD, Weights, content_words, coverage, split_sentences, weights_of
from rag.thresholds import RANK_PENALTY, TYPE_BONUS

_MONTHS = "january february march april may june july august september october november december"
_NUMBER = re.compile(r"\d|\b(one|two|three|four|five|six|seven|eight|nine|ten|eleven|twelve|twenty|thirty|forty|"
                     r"fifty|hundred|thousand|million|billion|dozen|half)\b", re.IGNORECASE)
_DATE = re.compile(r"\b(1\d{3}|20\d{2})s?\b|\b(" + _MONTHS.replace(" ", "|") + r")\b|\bcentur(y|ies)\b|\bdecade\b",
                   re.IGNORECASE)
_CALENDAR = frozenset((_MONTHS + " monday tuesday wednesday thursday friday saturday sunday").split())
"""Capitalised words that are not names."""
_NUMBER_QUESTION = re.compile(r"\bhow (many|much|long|old|far|large|big|tall|high|often)\b|"
                              r"\bwhat (percentage|percent|number|amount|proportion)\b", re.IGNORECASE)
_DATE_QUESTION = re.compile(r"\bwhen\b|\b(what|which) (year|date|day|month|century|decade|time|period)\b",
                            re.IGNORECASE)
_PERSON_QUESTION = re.compile(r"\bwho\b|\bwhose\b|\bwhom\b", re.IGNORECASE)
_TYPED_QUESTIONS = (("number", _NUMBER_QUESTION), ("date", _DATE_QUESTION), ("person", _PERSON_QUESTION))


def answer_type(question: str) -> str:
    """What kind of answer a question wants: "number", "date", "person" or "" (anything).

    The question word that comes first decides: "Who cut the ribbon when the bridge reopened?" asks for a person.

    >>> answer_type("How many boats?"), answer_type("In what year did it open?"), answer_type("Who won?")
    ('number', 'date', 'person')
    >>> answer_type("Who cut the ribbon when the footbridge reopened?"), answer_type("Why did it close?")
    ('person', '')
    """
    found = [(match.start(), kind) for kind, pattern in _TYPED_QUESTIONS
             if (match := pattern.search(question)) is not None]
    return min(found)[1] if found else ""


def has_answer_type(sentence: str, kind: str, question: str = "") -> bool:
    """Whether a sentence holds something of the wanted kind (for a person: a capitalised word that is neither
    the sentence's first word nor in the question).

    >>> has_answer_type("It opened in May 1932.", "date"), has_answer_type("It opened.", "date")
    (True, False)
    >>> has_answer_type("The race was won by Priya Sandhu.", "person", "Who won the race?")
    True
    """
    if kind == "number":
        return bool(_NUMBER.search(sentence))
    if kind == "date":
        return bool(_DATE.search(sentence))
    if kind == "person":
        asked = {word.lower() for word in SURFACE_WORD.findall(question)} | _CALENDAR
        return any(word.lower() not in asked for word in re.findall(r"\b[A-Z][a-z]+", sentence)[1:])
    return True


def answer_words(text: str, kind: str, question: str = "") -> set[str]:
    """The terms of `text` that are an answer of the wanted kind: numbers and number words ("number"); years,
    months and other numbers ("date"); the words of capitalised names the question does not use ("person").

    >>> sorted(answer_words("It reopened on 14 March 2026 after two years.", "date"))
    ['14', '2026', 'march']
    >>> sorted(answer_words("Priya Sandhu of Elmsbury won it.", "person", "Who won the race?"))
    ['elmsburi', 'priya', 'sandhu']
    """
    if kind == "number":
        pattern = _NUMBER
    elif kind == "date":
        pattern = re.compile(_DATE.pattern + r"|\d", re.IGNORECASE)
    elif kind == "person":
        asked = {word.lower() for word in SURFACE_WORD.findall(question)} | _CALENDAR
        words = SURFACE_WORD.findall(text)
        # The first word is capitalised anyway: it counts when the next one is too ("Priya Sandhu won").
        names = [word for position, word in enumerate(words) if word[0].isupper() and word.lower() not in asked
                 and (position > 0 or len(words) == 1 or words[1][0].isupper())]
        return content_words(" ".join(names))
    else:
        return set()
    return {term for word in SURFACE_WORD.findall(text) if pattern.search(word) for term in content_words(word)}


def names_what_was_asked(claim: str, evidence: str, question: str, known: str = "") -> bool:
    """Whether a claim gives the kind of thing the question asks for and the evidence says that very thing.

    A claim that only repeats the question's words (or, for a follow-up, those of the question before, `known`)
    answers nothing; one that names a date, number or person the evidence does not give (in that role: the one
    the question asks about) is the small model's typical error, recombining a passage's words.

    >>> q = "When did the Maplewood footbridge reopen?"
    >>> evidence = "The footbridge reopened on 14 March 2026 after repairs."
    >>> names_what_was_asked("It reopened on 14 March 2026.", evidence, q)
    True
    >>> names_what_was_asked("It reopened on 3 May 2026.", evidence, q)
    False
    >>> names_what_was_asked("It reopened.", evidence, q)
    False
    >>> names_what_was_asked("The repairs were done.", "Repairs were done.", "Why did it close?")
    True
    >>> comet = "A volunteer at the Kestrel Hill Observatory found the comet."
    >>> names_what_was_asked("The Kestrel Hill Observatory.", comet, "Who found it?",
    ...                      known="Which comet was found at Kestrel Hill Observatory?")
    False
    """
    if not content_words(claim) - content_words(question) - content_words(known):
        return False
    kind = answer_type(question)
    if not kind:
        return True
    wanted = answer_words(claim, kind, f"{question} {known}")
    return bool(wanted) and wanted <= content_words(evidence)


@dataclass(frozen=True)
class Sentence:
    """A sentence of passage `passage_index`, at `start:end` of that passage's text, with its evidence score."""

    passage_index: int
    start: int
    end: int
    score: float


def fits(question: str, sentence: str) -> bool:
    """Whether a sentence holds the kind of answer the question wants (always, when it wants no kind).

    >>> fits("Who designed the boats?", "The line opened with two boats."), fits("Why?", "It rained.")
    (False, True)
    """
    kind = answer_type(question)
    return not kind or has_answer_type(sentence, kind, question)


@dataclass(frozen=True)
class Judgement:
    """A scorer's view of the candidate sentences for one question: a score per sentence (higher answers better)
    and the chance that any of them answers at all."""

    scores: np.ndarray
    answerable: float


class SentenceScorer(Protocol):
    """Judges how well each candidate sentence answers the question (the assistant's thresholds are for
    `FinderScorer`'s probabilities)."""

    def judge(self, question: str, candidates: Sequence[Candidate]) -> Judgement: ...


class WordOverlap:
    """The IDF-weighted share of the question's content words a sentence holds, plus `TYPE_BONUS` when it holds the
    kind of thing asked for, minus `RANK_PENALTY` per retrieval rank. No model: the baseline of the answer finder
    (on the held-out SQuAD-2 articles its best sentence holds the answer less often, see docs/quality.md) and the
    scorer of tests.

    >>> WordOverlap().judge("When did the ferry open?", [Candidate("", "The ferry opened in 1932."),
    ...                                                  Candidate("", "Boats came.")]).scores.round(2).tolist()
    [1.15, 0.0]
    """

    def __init__(self, weights: Weights | None = None) -> None:
        self.weights = weights

    def judge(self, question: str, candidates: Sequence[Candidate]) -> Judgement:
        features = overlap_features(question, candidates, self.weights)
        scores = features[:, 0] + TYPE_BONUS * features[:, 1] - RANK_PENALTY * features[:, 2]
        return Judgement(scores, float(scores.max(initial=0.0)))


def overlap_features(question: str, candidates: Sequence[Candidate], weights: Weights | None = None) -> np.ndarray:
    """Per candidate: the IDF-weighted share of the question's words it holds, whether it holds the kind of thing
    asked for (1/0), and its passage's retrieval rank.

    >>> overlap_features("When did the ferry open?", [Candidate("", "The ferry opened in 1932.", 2)]).tolist()
    [[1.0, 1.0, 2.0]]
    """
    question_words = content_words(question)
    term_weights = weights_of(question_words, weights)
    kind = answer_type(question)
    return np.array([[coverage(question_words, content_words(candidate.sentence), term_weights),
                      float(bool(kind) and has_answer_type(candidate.sentence, kind, question)), float(candidate.rank)]
                     for candidate in candidates], dtype=np.float64).reshape(-1, 3)


FUSION_FEATURES = ("finder", "overlap", "kind", "rank")
"""What `FinderScorer` combines: the answer finder's logit and the three `overlap_features`."""


def fusion_features(logits: np.ndarray, question: str, candidates: Sequence[Candidate],
                    weights: Weights | None = None) -> np.ndarray:
    """One row of `FUSION_FEATURES` per candidate (what the fusion weights were fitted on, and are applied to)."""
    return np.column_stack([np.asarray(logits, dtype=np.float64).reshape(-1),
                            overlap_features(question, candidates, weights)])


class FinderScorer:
    """The assistant's scorer. Each sentence's score combines the answer finder's reading with word overlap, the
    wanted kind of answer and retrieval rank, by a logistic model fitted on the calibration articles (the finder's
    `meta.json`, "fusion"); whether any sentence answers is the finder's own calibrated chance for the best one.
    Each is what did best on the held-out articles (docs/quality.md): the combination picks the answering sentence
    more often than either alone, the finder alone tells unanswerable questions best. `weights` are the index's
    IDF weights."""

    def __init__(self, finder: Any, weights: Weights | None = None) -> None:
        self.finder = finder
        self.weights = weights
        fusion = finder.meta["fusion"]
        self.coefficients = np.array([fusion["weights"][name] for name in FUSION_FEATURES], dtype=np.float64)
        self.bias = float(fusion["bias"])

    def judge(self, question: str, candidates: Sequence[Candidate]) -> Judgement:
        if not candidates:
            return Judgement(np.zeros(0, dtype=np.float64), 0.0)
        logits = self.finder.logits(question, candidates)
        features = fusion_features(logits, question, candidates, self.weights)
        scores = 1.0 / (1.0 + np.exp(-(features @ self.coefficients + self.bias)))
        return Judgement(scores, float(self.finder.calibrated(logits).max()))


def rank_sentences(passages: Sequence[Passage], question: str, scorer: SentenceScorer) -> list[Sentence]:
    """Every sentence of the passages, best evidence for `question` first (ties: earlier passage, earlier sentence).

    >>> passages = [Passage("a", "Ferry", "a", "", "Boats were bought. The ferry opened in 1932.", 0, 44)]
    >>> best = rank_sentences(passages, "When did the ferry open?", WordOverlap())[0]
    >>> passages[0].text[best.start:best.end]
    'The ferry opened in 1932.'
    """
    return judged_sentences(passages, question, scorer)[0]


def judged_sentences(passages: Sequence[Passage], question: str,
                     scorer: SentenceScorer) -> tuple[list[Sentence], float]:
    """`rank_sentences`, and the scorer's chance that any of the sentences answers."""
    located = [(index, span) for index, passage in enumerate(passages) for span in split_sentences(passage.text)]
    if not located:
        return [], 0.0
    candidates = [Candidate(passages[index].title, passages[index].text[span.start:span.end], index)
                  for index, span in located]
    judgement = scorer.judge(question, candidates)
    ranked = [Sentence(index, span.start, span.end, float(score))
              for (index, span), score in zip(located, judgement.scores, strict=True)]
    ranked.sort(key=lambda sentence: (-sentence.score, sentence.passage_index, sentence.start))
    return ranked, judgement.answerable


def best_spans(passage: Passage, question: str, scorer: SentenceScorer, first: tuple[int, int] | None = None,
               count: int = 2, ranked: Sequence[tuple[int, int]] | None = None) -> tuple[tuple[int, int], ...]:
    """Up to `count` sentence spans of one passage to quote: `first` (the sentence backing a claim) if given,
    then the sentences that best answer the question; in reading order. `ranked`, the passage's sentence spans
    best first as the evidence already scored them for this very question (`ranked_spans`), spares scoring them
    again; without it the scorer reads them.

    >>> passage = Passage("a", "Ferry", "a", "", "Boats came. The ferry opened in 1932. It was cold.", 0, 50)
    >>> best_spans(passage, "When did the ferry open?", WordOverlap(), count=1)
    ((12, 37),)
    >>> best_spans(passage, "When did the ferry open?", WordOverlap(), count=1, ranked=[(38, 50), (0, 11)])
    ((38, 50),)
    """
    if ranked is None:
        ranked = [(sentence.start, sentence.end) for sentence in rank_sentences([passage], question, scorer)]
    spans = [first] if first else []
    for span in ranked:
        if len(spans) >= count:
            break
        if span not in spans:
            spans.append(span)
    return tuple(sorted(spans))


@dataclass(frozen=True)
class Evidence:
    """What the passages hold for a question, found without the model: for each part of the question, its
    sentences best first; `answerable` is the chance that the passages answer the part that is worst served."""

    parts: tuple[str, ...]
    ranked: tuple[tuple[Sentence, ...], ...]
    answerable: float

    @property
    def best(self) -> tuple[Sentence, ...]:
        """Each part's best sentence (parts with none left out)."""
        return tuple(ranked[0] for ranked in self.ranked if ranked)


def ranked_spans(evidence: Evidence, passages: Sequence[Passage],
                 question: str) -> dict[Passage, tuple[tuple[int, int], ...]]:
    """Each passage's sentence spans, best first, as the evidence scored them for `question` (one of its parts):
    what quoting and citing reuse instead of asking the scorer about the same (question, sentence) pairs again.
    Empty when `question` is none of the parts (it was not scored for it).

    The order is by score within each passage (`_newest_evidence` may have reordered the evidence by date), ties
    by position, as `rank_sentences` orders one passage: the evidence's scores differ from a one-passage scoring
    only by the retrieval-rank term, the same for every sentence of a passage, so the order is the same.

    >>> passages = [Passage("a", "Ferry", "a", "", "Boats were bought. The ferry opened in 1932.", 0, 44)]
    >>> ranked_spans(find_evidence(["When did the ferry open?"], passages, WordOverlap()), passages,
    ...              "When did the ferry open?")[passages[0]]
    ((19, 44), (0, 18))
    """
    if question not in evidence.parts:
        return {}
    sentences = evidence.ranked[evidence.parts.index(question)]
    spans: dict[Passage, tuple[tuple[int, int], ...]] = {}
    for index, passage in enumerate(passages):
        if passage in spans:
            continue
        own = sorted((sentence for sentence in sentences if sentence.passage_index == index),
                     key=lambda sentence: (-sentence.score, sentence.start))
        spans[passage] = tuple((sentence.start, sentence.end) for sentence in own)
    return spans


def find_evidence(parts: Sequence[str], passages: Sequence[Passage], scorer: SentenceScorer) -> Evidence:
    """Rank every sentence of the passages for each part of the question.

    >>> passages = [Passage("a", "Ferry", "a", "", "Boats were bought. The ferry opened in 1932.", 0, 44)]
    >>> evidence = find_evidence(["When did the ferry open?"], passages, WordOverlap())
    >>> passages[0].text[evidence.best[0].start:evidence.best[0].end], round(evidence.answerable, 2)
    ('The ferry opened in 1932.', 1.15)
    """
    judged = [judged_sentences(passages, part, scorer) for part in parts]
    answerable = min(chance for _, chance in judged) if judged else 0.0
    return Evidence(tuple(parts), tuple(tuple(sentences) for sentences, _ in judged), answerable)
