"""From a model's raw answer to checked citations: parse `[n]` markers, verify each sentence against the
passages, drop markers that point nowhere or at passages that do not support the claim, attribute uncited
sentences, renumber, and quote the sentence of each cited passage that backs the claim.

Pure functions over text; no model is involved, so every rule here is tested directly. Support is lexical:
the content words an answer sentence adds beyond the question must appear in one place of the passage it cites
(two adjacent sentences and the title).
That is what catches a small model's wrong numbers and names.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass

from rag.answer.evidence import best_spans, rank_sentences
from rag.answer.prompts import CANNOT_ANSWER, parse_markers, strip_markers
from rag.answer.thresholds import EVIDENCE_THRESHOLD, SUPPORT_THRESHOLD, SUPPORT_WINDOW
from rag.records import Citation, Passage
from rag.text import Weights, content_words, coverage, is_number, specific_terms, split_sentences

_REFUSAL_HINTS = (
    "i don't know", "i do not know", "don't know", "do not answer", "cannot answer", "can't answer",
    "not enough information", "no information", "not mentioned", "does not say", "do not say", "not stated",
    "unanswerable", CANNOT_ANSWER.lower()[:20],
)


@dataclass(frozen=True)
class Checked:
    """The result of checking an answer: text with renumbered markers, citations, and what was dropped."""

    text: str
    citations: tuple[Citation, ...]
    supported: bool
    dropped_sentences: tuple[str, ...] = ()


def support(claim: str, evidence: str, question: str = "") -> float:
    """How well `evidence` backs `claim`: the share of the claim's new content words (those not already in the
    question) found in the evidence. A claim that adds nothing to the question is measured on all its words.
    A number the claim adds that the evidence lacks voids the support: small models get numbers wrong.

    >>> support("The ferry opened on 3 May.", "The ferry line opened on 3 May with two boats.", "When did it open?")
    1.0
    >>> support("It opened in 1998.", "The ferry line opened on 3 May.", "When did the ferry open?")
    0.0
    >>> support("It opened on 3 May 2026 with ten boats.", "It opened on 3 May.", "When did it open?")
    0.0
    """
    claim_words = content_words(claim)
    new_words = claim_words - content_words(question)
    words = new_words or claim_words
    if not words:
        return 0.0
    evidence_words = content_words(evidence)
    if any(is_number(word) for word in words - evidence_words):
        return 0.0
    return len(words & evidence_words) / len(words)


def passage_support(claim: str, passage: Passage, question: str = "", window: int = SUPPORT_WINDOW) -> float:
    """`support` of a claim by the best window of `window` adjacent sentences of a passage (title in front).
    Small models stitch an answer together from words scattered over a passage; measured against the whole
    passage such a claim looks supported, against any one place in it it does not.

    >>> ferry = Passage("a", "Transport", "a.txt", "", "The ferry opened on 3 May. Boats were bought. The king came.",
    ...                 0, 60)
    >>> passage_support("The ferry opened on 3 May.", ferry, "When did it open?")
    1.0
    >>> passage_support("The king opened the ferry.", ferry, "When did it open?") < support(
    ...     "The king opened the ferry.", ferry.text, "When did it open?")
    True
    """
    sentences = [passage.text[span.start:span.end] for span in split_sentences(passage.text)] or [passage.text]
    prefix = f"{passage.title}. " if passage.title else ""
    return max(support(claim, prefix + " ".join(sentences[position:position + window]), question)
               for position in range(max(1, len(sentences) - window + 1)))


def uncovered_terms(question: str, passages: Sequence[Passage]) -> set[str]:
    """The question's specific terms that none of the passages (title, text or date) mentions.

    >>> ferry = Passage("a", "Ferry", "a.txt", "", "The ferry opened in 2024.", 0, 25, published="2024-05-03")
    >>> sorted(uncovered_terms("When did the Pine Island ferry open in 2024?", [ferry]))
    ['island', 'pine']
    """
    words: set[str] = set()
    for passage in passages:
        words |= content_words(" ".join((passage.title, passage.text, passage.published.replace("-", " "))))
    return {term for term in specific_terms(question) if term not in words}


def off_topic(question: str, passages: Sequence[Passage]) -> bool:
    """Whether the passages miss what the question pins down: a number it asks about, or most of its names.

    >>> festival = Passage("f", "Harbour Lights festival", "f.html", "", "Staging it cost 310,000 euros.", 0, 30)
    >>> off_topic("How much did the Harbour Lights festival cost in 2025?", [festival])
    True
    >>> off_topic("How much did the Harbour Lights festival cost?", [festival])
    False
    """
    terms = specific_terms(question)
    missing = uncovered_terms(question, passages)
    names = [term for term in terms if not is_number(term)]
    missing_names = [term for term in missing if not is_number(term)]
    return any(is_number(term) for term in missing) or (bool(names) and len(missing_names) * 2 > len(names))


def is_refusal(text: str) -> bool:
    """Whether a model's answer is (or starts as) a refusal.

    >>> is_refusal("I don't know: the indexed articles do not answer this.")
    True
    >>> is_refusal("The ferry opened in May [1].")
    False
    """
    lowered = text.lower().replace("’", "'")
    return any(hint in lowered[:120] for hint in _REFUSAL_HINTS)


def best_sentence(passage_text: str, claim: str, question: str) -> tuple[int, int, float]:
    """The passage sentence that best backs `claim` (or, with no claim, best answers `question`):
    its start, end and support score.

    >>> text = "Boats were bought. The line opened on 3 May. Crowds came."
    >>> start, end, score = best_sentence(text, "It opened on 3 May.", "When did the line open?")
    >>> text[start:end], score
    ('The line opened on 3 May.', 1.0)
    """
    best = (0, len(passage_text), 0.0)
    question_words = content_words(question)
    for span in split_sentences(passage_text):
        sentence = passage_text[span.start:span.end]
        score = support(claim, sentence, question) if claim else coverage(question_words, content_words(sentence))
        # Ties go to the sentence that also shares more words with the question.
        score += coverage(question_words, content_words(sentence)) * 1e-3
        if score > best[2]:
            best = (span.start, span.end, score)
    start, end, score = best
    return start, end, min(round(score, 6), 1.0)


def _sentences_with_markers(text: str) -> list[tuple[str, list[int]]]:
    """Answer sentences (markers removed) with the numbers they cite; a marker standing alone after a sentence's
    full stop belongs to that sentence."""
    result: list[tuple[str, list[int]]] = []
    for span in split_sentences(text):
        piece = text[span.start:span.end]
        numbers = [number for marker in parse_markers(piece) for number in marker.numbers]
        claim = strip_markers(piece)
        if not re.search(r"\w", claim):
            if result:
                result[-1][1].extend(numbers)
            continue
        result.append((claim, numbers))
    return result


def check_answer(model_text: str, passages: Sequence[Passage], question: str, weights: Weights | None = None,
                 threshold: float = SUPPORT_THRESHOLD) -> Checked:
    """Verify a model's answer against the numbered passages it was given (passage i is number i + 1).

    Each sentence keeps the cited passages that support it; an uncited or wrongly cited sentence is attributed
    to the passage that supports it best; a sentence nothing supports is dropped. Citations are renumbered
    1, 2, … in order of first use, and each carries the quote that backs it.

    >>> passages = [Passage("a", "Ferry", "a.txt", "", "The ferry opened on 3 May.", 0, 26),
    ...             Passage("b", "Library", "b.txt", "", "The library budget is 4 million.", 0, 32)]
    >>> checked = check_answer("It opened on 3 May [2]. It has 9 boats [7].", passages, "When did the ferry open?")
    >>> checked.text, [c.passage.article_id for c in checked.citations], checked.dropped_sentences
    ('It opened on 3 May [1].', ['a'], ('It has 9 boats.',))
    """
    numbered = list(passages)
    kept: list[tuple[str, list[int]]] = []  # claim, passage indexes
    dropped: list[str] = []
    for claim, numbers in _sentences_with_markers(model_text.strip()):
        scores = [passage_support(claim, passage, question) for passage in numbered]
        cited = [n - 1 for n in dict.fromkeys(numbers) if 1 <= n <= len(numbered) and scores[n - 1] >= threshold]
        if not cited and scores:
            best = max(range(len(scores)), key=lambda i: scores[i])
            if scores[best] >= threshold:
                cited = [best]
        if cited:
            kept.append((claim, cited))
        else:
            dropped.append(claim)
    if not kept:
        return Checked("", (), False, tuple(dropped))

    renumber: dict[int, int] = {}
    for _, cited in kept:
        for index in cited:
            renumber.setdefault(index, len(renumber) + 1)
    text = " ".join(_with_markers(claim, [renumber[i] for i in cited]) for claim, cited in kept)
    citations = []
    for index, number in renumber.items():
        claims = " ".join(claim for claim, cited in kept if index in cited)
        citations.append(_citation(number, numbered[index], claims, question, weights))
    return Checked(text, tuple(citations), True, tuple(dropped))


def evidence_answer(passages: Sequence[Passage], question: str, weights: Weights | None = None,
                    threshold: float = EVIDENCE_THRESHOLD) -> Checked:
    """When the model's answer cannot be backed: quote the passage sentence that best answers the question,
    with its citation. Returns an unsupported result when no sentence covers enough of the question.

    >>> passages = [Passage("a", "Ferry", "a.txt", "", "Boats came. The ferry opened on 3 May.", 0, 38)]
    >>> evidence_answer(passages, "When did the ferry open?").text
    'The articles say: "The ferry opened on 3 May." [1]'
    """
    ranked = rank_sentences(passages, question, weights)
    if not ranked or ranked[0].score < threshold:
        return Checked("", (), False)
    best = ranked[0]
    passage = passages[best.passage_index]
    quote = passage.text[best.start:best.end]
    spans = best_spans(passage, question, weights, first=(best.start, best.end))
    citation = Citation(1, passage, quote, best.start, best.end, round(min(max(best.score, 0.0), 1.0), 4), spans)
    return Checked(f'The articles say: "{quote}" [1]', (citation,), True)


def reconcile(checked: Checked, evidence: Checked, every: bool = False) -> Checked:
    """The model's checked answer if it agrees with the evidence found without it, else the evidence.

    The evidence (`evidence_answer`) is the passage sentence that best answers the question, found from the
    question alone. The model's answer agrees when it cites that passage (with `every`, cites only that
    passage: what base models get, as they often cite a passage for a claim assembled from its words). On
    SQuAD-2 dev questions with the bundled base model this raised the share of cited passages that hold the
    answer from 0.70 to 0.92. With no evidence, the model's answer stands on its own checks.

    >>> ferry = Passage("a", "Ferry", "a.txt", "", "The ferry opened on 3 May.", 0, 26)
    >>> storm = Passage("b", "Storm", "b.txt", "", "A storm closed the harbour in May.", 0, 34)
    >>> evidence = evidence_answer([ferry, storm], "When did the ferry open?")
    >>> reconcile(check_answer("The ferry opened on 3 May [1].", [ferry, storm], "When did it open?"), evidence).text
    'The ferry opened on 3 May [1].'
    >>> reconcile(check_answer("It opened in May [2].", [ferry, storm], "When did it open?"), evidence).text
    'The articles say: "The ferry opened on 3 May." [1]'
    """
    if not evidence.supported or not evidence.citations:
        return checked
    if not checked.supported:
        return evidence
    source = evidence.citations[0].passage
    same = [citation.passage == source for citation in checked.citations]
    return checked if (all(same) if every else any(same)) else evidence


def _with_markers(claim: str, numbers: list[int]) -> str:
    markers = "".join(f"[{number}]" for number in numbers)
    body = claim.rstrip()
    ending = ""
    if body and body[-1] in ".!?":
        body, ending = body[:-1].rstrip(), body[-1]
    return f"{body} {markers}{ending}"


def _citation(number: int, passage: Passage, claims: str, question: str, weights: Weights | None) -> Citation:
    start, end, score = best_sentence(passage.text, claims, question)
    spans = best_spans(passage, question, weights, first=(start, end))
    return Citation(number, passage, passage.text[start:end], start, end, score, spans)
