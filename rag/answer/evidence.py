"""Evidence: the sentences of the retrieved passages that best answer a question, found without the model; what
the model is shown, what answers are checked against, and what is quoted beside an answer.

Sentences are scored by a `SentenceScorer`: the answer finder (`rag.models.answer_finder`, a cross-encoder trained
by the project: the default) or `WordOverlap` (the share of the question's words a sentence holds, weighted by
IDF, plus a bonus for the kind of thing asked for: what the finder replaced, kept as its baseline and for tests).
`find_evidence` scores every sentence for each part of the question and says how likely the passages answer it at
all (the best sentence's score, for the part that is worst served); `ranked_spans` hands that ranking on to quoting
and citing, so no (question, sentence) pair is scored twice for one answer.

Also here: `AnswerKinds`, what kind of answer a question wants (a person or organisation for "who", a date or time
for "when", a number for "how many", ...) read by a named-entity tagger, whether a sentence holds one (the "kind"
feature of the ranking, and the check of a quoted sentence) and whether a claim names it as its evidence does.
"""

from __future__ import annotations

import threading
from collections import OrderedDict
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any, Protocol

import numpy as np

from rag.models.answer_finder import Candidate
from rag.models.entities import (
    NUMBERS,
    PERCENTAGES,
    PRICES,
    SPEEDS,
    TIMES,
    Entity,
    EntityTagger,
    checked_kinds,
    could_be_percentage,
    counts_as_number,
    gives_as_much_as_asked,
    says_money,
    says_rate,
    says_when,
    span_kinds,
    wanted_kinds,
)
from rag.records import Passage
from rag.text import (
    SURFACE_WORD,
    Weights,
    content_words,
    coverage,
    dateline_end,
    matched_terms,
    names_another,
    neutral_role,
    neutral_roles,
    split_sentences,
    weights_of,
    without_qualifier,
)
from rag.thresholds import RANK_PENALTY, TYPE_BONUS


class AnswerKinds:
    """What kind of answer a question wants, and whether a text holds one, read by a named-entity tagger: the one
    way the answer path types questions and answers (issue 22; it replaced regexes and capitalisation rules, which
    let a sentence about when something happened pass as the answer to a who-question).

    A question's wanted kinds are `rag.models.entities.wanted_kinds` (who: PERSON, ORG or NORP; when: DATE or TIME;
    how many: CARDINAL or QUANTITY; ...): what ranks a sentence. The checks of a quote and of a claim accept the kinds
    of `rag.models.entities.checked_kinds` (any number for a number question, a country for who, nothing checked for
    "where"), where the model's kinds blur. A text holds an answer of them when the tagger finds an entity of such a
    kind in it with a word the question does not already use ("the 1973 oil crisis" does not answer "When did the
    1973 oil crisis begin?" by its own "1973"). `tagger` is an `EntityTagger`, or a function returning one, called
    on first use (`rag.models.entities.load_tagger` loads the bundled spaCy pipeline once per process): only typed
    questions pay for it. Each text's entities are kept (the `cache_size` last texts), so a sentence tagged to rank
    it is not tagged again to quote or check it. Without a tagger nothing is typed: every question is answered as
    one that does not say what kind of answer it wants.

    >>> from rag.models.entities import PhraseTagger
    >>> kinds = AnswerKinds(PhraseTagger({"Priya Sandhu": "PERSON", "8 minutes": "TIME"}))
    >>> kinds.fits("Who won the sculls?", "The sculls took 8 minutes."), kinds.fits("Why?", "It rained.")
    (False, True)
    >>> sorted(kinds.answer_words("Priya Sandhu won it in 8 minutes.", "Who won the sculls?"))
    ['priya', 'sandhu']
    """

    def __init__(self, tagger: EntityTagger | Callable[[], EntityTagger] | None = None,
                 cache_size: int = 4096) -> None:
        self._tagger: EntityTagger | None = None
        self._load: Callable[[], EntityTagger] | None = None
        if tagger is not None and hasattr(tagger, "tag") and not isinstance(tagger, type):
            self._tagger = tagger  # type: ignore[assignment]
        elif tagger is not None:
            self._load = tagger  # type: ignore[assignment]
        self.cache_size = cache_size
        self._cache: OrderedDict[str, tuple[Entity, ...]] = OrderedDict()
        self._lock = threading.Lock()

    @property
    def typing(self) -> bool:
        """Whether questions are typed at all (a tagger was given)."""
        return self._tagger is not None or self._load is not None

    @property
    def tagger(self) -> EntityTagger:
        if self._tagger is None:
            if self._load is None:
                raise ValueError("no entity tagger was given")
            self._tagger = self._load()
        return self._tagger

    def wanted(self, question: str) -> frozenset[str]:
        """The entity kinds an answer to `question` holds (`wanted_kinds`: what ranks a sentence); empty when it
        does not say, or nothing types."""
        return wanted_kinds(question) if self.typing else frozenset()

    def checked(self, question: str) -> frozenset[str]:
        """The entity kinds a quote or a claim must hold to answer `question` (`checked_kinds`: the wanted ones,
        widened where the model's kinds blur, none for "where"); empty when nothing types."""
        return checked_kinds(question) if self.typing else frozenset()

    def entities(self, texts: Sequence[str]) -> list[tuple[Entity, ...]]:
        """The named entities of each text, tagged once (texts tagged before are not tagged again)."""
        with self._lock:
            missing = list(dict.fromkeys(text for text in texts if text not in self._cache))
            if missing:
                for text, found in zip(missing, self.tagger.tag(missing), strict=True):
                    self._cache[text] = tuple(found)
            result = []
            for text in texts:
                self._cache.move_to_end(text)
                result.append(self._cache[text])
            while len(self._cache) > self.cache_size:
                self._cache.popitem(last=False)
            return result

    def answer_words(self, text: str, question: str, known: str = "") -> set[str]:
        """The content words of the entities of `text` of a kind `question` wants, less the words the question (or,
        for a follow-up, the question before, `known`) already uses: what `text` gives as the answer. Empty for an
        untyped question."""
        wanted = self.checked(question)
        if not wanted:
            return set()
        (found,) = self.entities([text])
        asked = content_words(f"{question} {known}")
        return {word for entity in found if entity.kind in wanted for word in content_words(entity.text)} - asked

    def holding(self, question: str, texts: Sequence[str], checking: bool = False) -> list[bool]:
        """Whether each text holds an answer of the kind `question` wants (all do when it wants no kind); with
        `checking`, of the kinds the checks accept (`checked`) rather than those that rank (`wanted`)."""
        wanted = self.checked(question) if checking else self.wanted(question)
        if not wanted:
            return [True] * len(texts)
        asked = content_words(question)
        # a question asking for a number is answered by a date only when it says one (`counts_as_number`)
        numbers = checking and wanted == NUMBERS
        return [any(entity.kind in wanted and content_words(entity.text) - asked
                    and (not numbers or counts_as_number(entity)) for entity in found)
                for found in self.entities(texts)]

    def fits(self, question: str, sentence: str) -> bool:
        """Whether a sentence holds the kind of answer the question wants, as the checks read it (always, when it
        wants no kind); for a speed, a number with its unit of time (`says_rate`)."""
        return self.holding(question, [sentence], checking=True)[0] and (
            self.wanted(question) != SPEEDS or says_rate(sentence, 0, len(sentence)))

    def span_fits(self, question: str, sentence: str, start: int, end: int) -> bool:
        """Whether the span `sentence[start:end]` can be the answer of the kind `question` asks for, as the tagger
        reads the sentence: a question asking for a number (how many, how much, what percentage, how long) wants a
        digit or a number that is not an ordinal ("The fourth festival drew 41,500 visitors": "fourth" says which,
        not how many), a percentage question one that could be a percentage (`could_be_percentage`), a
        when-question a point in time, not a bare length of time (`says_when`: "last 48 hours"), a how-fast
        question a speed (`says_rate`: "up to 112 km/h", not "40-metre"), a price question a sum of money (the
        tagger's MONEY or a currency, `says_money`: "65 euros", not the "22,000" who bought tickets); any other
        typed question, a span that is not an entity of another kind (`span_kinds`: a who-question is not answered
        by "the Lenn Valley", a place). A span that is no entity at all fits ("a volunteer"): answers are often
        phrases. Whatever the kind, a question asking for two or three things wants them all, an age no bare year
        (`gives_as_much_as_asked`), and no answer starts in a news article's dateline or byline (`dateline_end`:
        "Reporter" is not the firm the workers were employed by). Otherwise always true for an untyped question, or
        when nothing types.

        >>> from rag.models.entities import PhraseTagger
        >>> kinds = AnswerKinds(PhraseTagger({"fourth": "ORDINAL", "three": "CARDINAL", "Lenn Valley": "LOC"}))
        >>> sentence = "The fourth festival in the Lenn Valley drew visitors over three nights."
        >>> q = "How many nights did the festival last?"
        >>> kinds.span_fits(q, sentence, 4, 10), kinds.span_fits(q, sentence, 58, 70)
        (False, True)
        >>> kinds.span_fits("Who ran it?", sentence, 27, 38), kinds.span_fits("Who ran it?", sentence, 44, 52)
        (False, True)
        >>> kinds.span_fits("Why?", sentence, 4, 10)
        True
        >>> kinds.span_fits("Why?", "By Staff Reporter - A fire broke out.", 9, 17)
        False
        """
        if not gives_as_much_as_asked(question, sentence[start:end]) or start < dateline_end(sentence):
            return False
        checked = self.checked(question)
        if not checked:
            return True
        (found,) = self.entities([sentence])
        overlapping = {entity.kind for entity in found if entity.start < end and start < entity.end}
        wanted = self.wanted(question)
        if wanted == PERCENTAGES and not could_be_percentage(sentence[start:end]):
            return False  # "What percentage … was Jewish in 1897?" is not answered by the count "219,000"
        if wanted == TIMES and not says_when(sentence, start, end):
            return False  # "When did officers last strike?" is not answered by the strike's "48 hours"
        if wanted == SPEEDS and not says_rate(sentence, start, end):
            return False  # "How fast did the wind blow?" is not answered by the roof's "40-metre"
        if wanted == PRICES and "MONEY" not in overlapping and not says_money(sentence[start:end]):
            return False  # "How much were tickets?" is not answered by the "22,000" who bought them
        if "CARDINAL" in wanted:
            return (any(character.isdigit() for character in sentence[start:end])
                    or bool(overlapping & (NUMBERS - {"ORDINAL"})))
        return not overlapping or bool(overlapping & span_kinds(checked))

    def bridge_fits(self, question: str, sentence: str, start: int, end: int) -> bool:
        """Whether the span `sentence[start:end]` can be the bridge a two-hop question's first hop (`question`) asks
        for: a thing the second hop then asks about, so of the kind asked more strictly than a one-hop answer. It
        must fit as a span does (`span_fits`), and name a thing of the kind asked (`span_kinds`: a band the tagger
        reads as a place still acts) or, naming none, its sentence holds one. A hop whose answers are not checked
        ("Where was Emmeline Pryce born?": the small tagger reads the village Ashbury as an ORG) or that asks for no
        kind ("Which film starred Ines Corvalán?") is not answered by a bare time or number: its second hop would
        ask about a year.

        >>> from rag.models.entities import PhraseTagger
        >>> kinds = AnswerKinds(PhraseTagger({"Emmeline Pryce": "PERSON", "1984": "DATE", "Weatherglass": "GPE"}))
        >>> sentence = "Emmeline Pryce (born 1984) is a novelist from Harlow."
        >>> kinds.bridge_fits("Where was Emmeline Pryce born?", sentence, 21, 25)  # "1984" is no place
        False
        >>> kinds.bridge_fits("Which film starred her?", sentence, 21, 25)
        False
        >>> kinds.bridge_fits("Which band recorded it?", "It is a single by the Weatherglass.", 22, 34)
        True
        >>> kinds.bridge_fits("Who wrote it?", "It is a single by a band.", 18, 24)  # no name of a person in it
        False
        """
        if not self.span_fits(question, sentence, start, end):
            return False
        if not self.typing:
            return True
        checked = self.checked(question)
        (found,) = self.entities([sentence])
        overlapping = {entity.kind for entity in found if entity.start < end and start < entity.end}
        if not checked:
            return not overlapping or not overlapping <= NUMBERS
        kinds = span_kinds(checked)
        if overlapping:
            return bool(overlapping & kinds)
        asked = content_words(question)
        return any(entity.kind in kinds and content_words(entity.text) - asked for entity in found)

    def names_what_was_asked(self, claim: str, evidence: str, question: str, known: str = "") -> bool:
        """Whether a claim gives the kind of thing the question asks for and the evidence gives that very thing as
        an entity of that kind.

        A claim that only repeats the question's words (or, for a follow-up, those of the question before, `known`)
        answers nothing; one that names a date, number or person the evidence does not give in that role is the
        small model's typical error, recombining a passage's words.

        >>> from rag.models.entities import PhraseTagger
        >>> kinds = AnswerKinds(PhraseTagger({"14 March 2026": "DATE", "3 May 2026": "DATE", "March": "DATE",
        ...                                   "Kestrel Hill Observatory": "ORG"}))
        >>> q = "When did the Maplewood footbridge reopen?"
        >>> evidence = "The footbridge reopened on 14 March 2026 after repairs."
        >>> kinds.names_what_was_asked("It reopened on 14 March 2026.", evidence, q)
        True
        >>> kinds.names_what_was_asked("It reopened on 3 May 2026.", evidence, q)
        False
        >>> kinds.names_what_was_asked("It reopened.", evidence, q)
        False
        >>> kinds.names_what_was_asked("The repairs were done.", "Repairs were done.", "Why did it close?")
        True
        >>> comet = "A volunteer at the Kestrel Hill Observatory found the comet."
        >>> kinds.names_what_was_asked("The Kestrel Hill Observatory.", comet, "Who found it?",
        ...                            known="Which comet was found at Kestrel Hill Observatory?")
        False
        """
        if not content_words(claim) - content_words(question) - content_words(known):
            return False
        wanted = self.checked(question)
        if not wanted:
            return True
        given = self.answer_words(claim, question, known)
        (found,) = self.entities([evidence])
        backed = {word for entity in found if entity.kind in wanted for word in content_words(entity.text)}
        return bool(given) and given <= backed

@dataclass(frozen=True)
class Sentence:
    """A sentence of passage `passage_index`, at `start:end` of that passage's text, with its evidence score."""

    passage_index: int
    start: int
    end: int
    score: float


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
    kind of thing asked for (by `kinds`; without it, nothing is typed), minus `RANK_PENALTY` per retrieval rank. No
    model beyond the tagger: the baseline of the answer finder (on the held-out SQuAD-2 articles its best sentence
    holds the answer less often, see docs/quality.md) and the scorer of tests.

    >>> from rag.models.entities import PhraseTagger
    >>> kinds = AnswerKinds(PhraseTagger({"1932": "DATE"}))
    >>> candidates = [Candidate("", "The ferry opened in 1932."), Candidate("", "Boats came.")]
    >>> WordOverlap(kinds=kinds).judge("When did the ferry open?", candidates).scores.round(2).tolist()
    [1.15, 0.0]
    """

    def __init__(self, weights: Weights | None = None, kinds: AnswerKinds | None = None) -> None:
        self.weights = weights
        self.kinds = kinds or AnswerKinds()

    def judge(self, question: str, candidates: Sequence[Candidate]) -> Judgement:
        features = overlap_features(question, candidates, self.weights, self.kinds)
        scores = features[:, 0] + TYPE_BONUS * features[:, 1] - RANK_PENALTY * features[:, 2]
        return Judgement(scores, float(scores.max(initial=0.0)))


SUBJECT_PRONOUNS = frozenset({"he", "she", "it", "they"})
"""Pronouns an article's sentence says its subject by ("After leaving the stage she served as Minister of Culture" in
Maren Solvik's article): encyclopaedic articles name their subject once, in the lead."""

PRONOUN_REACH = 6
"""How far into a sentence (in words) a subject pronoun is read as the article's subject: past an opening phrase
("After leaving the stage she …"), not deep in a clause about someone else."""

def as_scored(title: str, sentence: str) -> str:
    """The sentence as scored for a question (never as quoted): its first subject pronoun within `PRONOUN_REACH`
    words replaced by the article's title (its parenthesised qualifier left out), when the sentence names none of the
    title's words, so that a question naming the subject finds the sentences that say it by a pronoun. Word overlap
    reads it (`overlap_features`); the answer finder reads the title beside the sentence already (`pair_text`), and
    shown the replaced sentence it ranked a first hop's answering sentence lower on the two-hop dev set.

    >>> as_scored("Maren Solvik", "After leaving the stage she served as Minister of Culture.")
    'After leaving the stage Maren Solvik served as Minister of Culture.'
    >>> as_scored("Cathal Brennan (musician)", "He was born in Limerick.")
    'Cathal Brennan was born in Limerick.'
    >>> as_scored("Maren Solvik", "Solvik said she would stand.")
    'Solvik said she would stand.'
    """
    name = without_qualifier(title)
    if not name or content_words(name) & content_words(sentence):
        return sentence
    for position, match in enumerate(SURFACE_WORD.finditer(sentence)):
        if position >= PRONOUN_REACH:
            break
        if match.group(0).lower() in SUBJECT_PRONOUNS:
            return f"{sentence[:match.start()]}{name}{sentence[match.end():]}"
    return sentence


def overlap_features(question: str, candidates: Sequence[Candidate], weights: Weights | None = None,
                     kinds: AnswerKinds | None = None) -> np.ndarray:
    """Per candidate: the IDF-weighted share of the question's words it holds (a subject pronoun read as the article's
    title: `as_scored`), whether the question wants a kind of answer and it holds one (1/0, by `kinds`: the sentences
    are tagged only for a typed question), and its passage's retrieval rank.

    >>> from rag.models.entities import PhraseTagger
    >>> kinds = AnswerKinds(PhraseTagger({"1932": "DATE"}))
    >>> overlap_features("When did the ferry open?", [Candidate("", "The ferry opened in 1932.", 2)], None,
    ...                  kinds).tolist()
    [[1.0, 1.0, 2.0]]
    """
    asked = content_words(question)
    question_words = neutral_roles(asked)
    term_weights = {neutral_role(term): weight for term, weight in weights_of(asked, weights).items()}
    kinds = kinds or AnswerKinds()
    typed = bool(kinds.wanted(question))
    holding = kinds.holding(question, [candidate.sentence for candidate in candidates]) if typed else []
    # A role noun holds its verb's forms ("spokesman" for "Who spoke for …?"), and a word the other words of its
    # sense ("injuring" for "hurt"): `matched_terms`.
    return np.array([[coverage(question_words, matched_terms(candidate.sentence,
                                                             as_scored(candidate.title, candidate.sentence)),
                               term_weights),
                      float(typed and holding[position]), float(candidate.rank)]
                     for position, candidate in enumerate(candidates)], dtype=np.float64).reshape(-1, 3)


FUSION_FEATURES = ("finder", "overlap", "kind", "rank")
"""What `FinderScorer` combines: the answer finder's logit and the three `overlap_features`."""


def fusion_features(logits: np.ndarray, question: str, candidates: Sequence[Candidate],
                    weights: Weights | None = None, kinds: AnswerKinds | None = None) -> np.ndarray:
    """One row of `FUSION_FEATURES` per candidate (what the fusion weights were fitted on, and are applied to)."""
    return np.column_stack([np.asarray(logits, dtype=np.float64).reshape(-1),
                            overlap_features(question, candidates, weights, kinds)])


class FinderScorer:
    """The assistant's scorer. Each sentence's score combines the answer finder's reading with word overlap, the
    wanted kind of answer and retrieval rank, by a logistic model fitted on the calibration articles (the finder's
    `meta.json`, "fusion"); whether any sentence answers is the finder's own calibrated chance for the best one.
    Each is what did best on the held-out articles (docs/quality.md): the combination picks the answering sentence
    more often than either alone, the finder alone tells unanswerable questions best. `weights` are the index's
    IDF weights; `kinds` reads the kind of answer (`AnswerKinds`: without it, the "kind" feature is 0)."""

    def __init__(self, finder: Any, weights: Weights | None = None, kinds: AnswerKinds | None = None) -> None:
        self.finder = finder
        self.weights = weights
        self.kinds = kinds or AnswerKinds()
        fusion = finder.meta["fusion"]
        self.coefficients = np.array([fusion["weights"][name] for name in FUSION_FEATURES], dtype=np.float64)
        self.bias = float(fusion["bias"])

    def judge(self, question: str, candidates: Sequence[Candidate]) -> Judgement:
        if not candidates:
            return Judgement(np.zeros(0, dtype=np.float64), 0.0)
        logits = self.finder.logits(question, candidates)
        features = fusion_features(logits, question, candidates, self.weights, self.kinds)
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
    # A sentence about another thing of a name the question gives ("Brenmoor Chemicals" for "Brenmoor Plastics"),
    # itself or by its article's title, answers nothing about it, however well its other words match: it scores
    # nothing.
    ranked = [Sentence(index, span.start, span.end,
                       0.0 if names_another(question, f"{candidate.title}. {candidate.sentence}") else float(score))
              for (index, span), candidate, score in zip(located, candidates, judgement.scores, strict=True)]
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
    ('The ferry opened in 1932.', 1.0)
    """
    judged = [judged_sentences(passages, part, scorer) for part in parts]
    answerable = min(chance for _, chance in judged) if judged else 0.0
    return Evidence(tuple(parts), tuple(tuple(sentences) for sentences, _ in judged), answerable)
