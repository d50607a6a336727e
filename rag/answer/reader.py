"""The span reader in the answer path: the exact answer inside the evidence, said first, the sentence quoted.

The answer finder picks the sentences that answer (`rag.answer.evidence`); the span reader
(`rag.models.span_reader`) then marks the answer inside the best of them. Two uses:

- when it is confident (`rag.thresholds.SPAN_ANSWER_THRESHOLD`, the `span_threshold` setting), the assistant
  answers with the span itself, cited, the sentence it comes from quoted as the citation's evidence, without asking
  the language model (`span_answer`): the answer is the words of the article, and no generation is paid for;
- otherwise the model writes as before, and its checked answer is compared with the span (`claim_disagrees`): an
  answer that does not hold the span the reader found with some confidence (`rag.thresholds.SPAN_CHECK_THRESHOLD`)
  is suspect, and the span answer replaces it: the model's sentences are held back, not streamed, from the first
  that leaves the span out until the answer ends, when the span answers unless a later sentence says it.

Only one-part questions are read: a two-part question is answered part by part, each part read on its own.
"""

from __future__ import annotations

import dataclasses
import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Protocol, runtime_checkable

from rag.answer.changes import AMOUNT
from rag.answer.cite import Checked
from rag.answer.evidence import Evidence, Sentence
from rag.answer.hops import PREPOSITIONS, whole_name
from rag.answer.timeframe import dated_weekday
from rag.countries import DEMONYMS
from rag.models.entities import PLACES, TIMES, asks_age, wanted_kinds
from rag.models.span_reader import Span
from rag.records import Citation, Passage
from rag.text import (
    FOLLOW_ON,
    HOW_MANY,
    IRREGULAR_VERBS,
    MAGNITUDES,
    NUMBER_WORDS,
    STOP_WORDS,
    content_words,
    dateline_end,
    past_of,
    split_sentences,
    stem,
    verb_forms,
    with_same_sense,
    words,
)
from rag.thresholds import SPAN_ANSWER_THRESHOLD, SPAN_CHECK_THRESHOLD

READ_SENTENCES = 2
"""The evidence sentences read, best first: the answer finder's best holds the answer most of the time, its
second often when the first does not."""


@runtime_checkable
class SpanFinder(Protocol):
    """Finds the answer to a question in one sentence (`rag.models.span_reader.SpanReader`, or a test's fake)."""

    reads_before: bool
    """Whether `read` reads the sentence `before` (a model trained so); the caller finds it only then."""

    def read(self, question: str, title: str, sentence: str, before: str = "") -> Span: ...


@dataclass(frozen=True)
class Reading:
    """The span the reader chose among the evidence sentences: in passage `passage_index`, whose sentence is at
    `sentence_start:sentence_end` of the passage's text; the span's own offsets are within that sentence. `ruled`:
    a rule chose it from the text's own form (`rag.answer.ages`, `rag.answer.leaders`), and it is answered with
    whatever the reader's chance for it."""

    span: Span
    passage_index: int
    sentence_start: int
    sentence_end: int
    ruled: bool = False
    said: str = ""
    """What the answer says for the span when its words alone do not say it (a table's cell, with its unit, row and
    column: `rag.answer.tables`); empty: the span's words."""

    @property
    def passage_span(self) -> tuple[int, int]:
        """The span's offsets within the passage's text."""
        return self.sentence_start + self.span.start, self.sentence_start + self.span.end


@dataclass(frozen=True)
class Found:
    """A reading with the passage it is in: what `rag.answer.assistant.Assistant.read` gives a caller outside the
    answer path (threshold tools), which has no plan to look the passage up in."""

    reading: Reading
    passage: Passage

    @property
    def sentence(self) -> str:
        """The sentence the span was read in."""
        return self.passage.text[self.reading.sentence_start:self.reading.sentence_end]


def respanned(reading: Reading, sentence: str, start: int, end: int) -> Reading:
    """The reading with its span moved to `sentence[start:end]` (`sentence`: the one it was read in), the same
    reading when nothing moved.

    >>> reading = Reading(Span("52-year-old", 2, 13, 0.6, 1.0), 0, 0, 20)
    >>> respanned(reading, "A 52-year-old driver", 2, 4).span.text
    '52'
    """
    if (start, end) == (reading.span.start, reading.span.end):
        return reading
    return dataclasses.replace(reading, span=dataclasses.replace(reading.span, text=sentence[start:end], start=start,
                                                                 end=end))


def whole_reading(reading: Reading | None, passage_index: int, text: str, start: int, end: int,
                  said: str = "") -> Reading:
    """A rule's reading of the whole of `text[start:end]` (the passage's text: a section's body, a list's items), said
    as `said` (empty: its words), answered with the reader's chance and margin for the reading it replaces (0 without
    one).

    >>> whole = whole_reading(None, 2, "Fines\\n\\nUp to 5,000 euros.", 7, 25)
    >>> whole.span.text, whole.passage_span, whole.ruled
    ('Up to 5,000 euros.', (7, 25), True)
    """
    region = text[start:end]
    span = Span(region, 0, len(region), reading.span.probability if reading is not None else 0.0,
                reading.span.margin if reading is not None else 0.0, region)
    return Reading(span, passage_index, start, end, ruled=True, said=said)


NOUN_REACH = 6
"""Evidence sentences searched, best first, for one naming a thing by the noun a which-question asks for, when
none of the `READ_SENTENCES` best does (`read_evidence`)."""

_WHICH_NOUNS = re.compile(r"\b(?:which|what)\s+(?P<nouns>[a-z]+(?:\s+[a-z]+)?)", re.IGNORECASE)


def asked_nouns(question: str) -> frozenset[str]:
    """The nouns a which- or what-question names its answer by: the words after "which"/"what" up to a stop word.

    >>> sorted(asked_nouns("The station is on which railway line?")), sorted(asked_nouns("What river is it on?"))
    (['line', 'railway'], ['river'])
    >>> asked_nouns("What is the river called?"), asked_nouns("Who won?")
    (frozenset(), frozenset())
    """
    match = _WHICH_NOUNS.search(question)
    if match is None:
        return frozenset()
    nouns: list[str] = []
    for word in match.group("nouns").lower().split():
        if word in STOP_WORDS or word.endswith("ed"):
            break  # "What theory *accounted* for …": the question's verb
        if word not in DEMONYMS:  # "which Egyptian president": what it is, not what it is called
            nouns.append(word)
    return frozenset(nouns)


def _name_words(sentence: str, start: int, end: int) -> list[str]:
    """The words of the run of capitalised words (joined by "of", "the", "and") around `start:end` of `sentence`.

    >>> _name_words("It is on the Ashcombe Branch Line, north of Ashcombe.", 13, 21)
    ['Ashcombe', 'Branch', 'Line']
    """
    before = re.search(r"(?:[A-Z][\w'’.-]*\s+(?:(?:of|the|and)\s+)?)*$", sentence[:start])
    after = re.match(r"(?:\s+(?:(?:of|the|and)\s+)?[A-Z][\w'’.-]*)*", sentence[end:])
    run = sentence[before.start() if before else start:end + (after.end() if after else 0)]
    return [word for word in run.split() if word[:1].isupper()]


def names_asked_noun(sentence: str, start: int, end: int, nouns: frozenset[str]) -> bool:
    """Whether the span at `start:end` of `sentence` sits in a name headed by a noun the question asks for: its
    last word ("the Ashcombe Branch Line" for "which line"), or its first before "of" ("the University of Leeds").
    A title before a person's name is no head ("President Anwar Sadat" is no answer to "which president" by it).

    >>> names_asked_noun("It is on the Ashcombe Branch Line.", 13, 21, frozenset({"line"}))
    True
    >>> names_asked_noun("It serves the village of Hadley Cross.", 25, 37, frozenset({"line"}))
    False
    >>> names_asked_noun("Egyptian President Anwar Sadat came.", 19, 30, frozenset({"president"}))
    False
    """
    name = _name_words(sentence, start, end)
    heads = name[-1:]
    if len(name) > 1 and re.match(rf"{re.escape(name[0])}\s+of\b", sentence[sentence.find(name[0]):]):
        heads.append(name[0])
    return any(_is_asked(word, nouns) for word in heads)


def _is_asked(word: str, nouns: frozenset[str]) -> bool:
    """Whether `word` ("Lines,") is one of the asked `nouns` ("line"), singular or plural."""
    word = word.lower().rstrip(".,;:")
    return word in nouns or word.removesuffix("s") in nouns


def read_sentence(reader: SpanFinder, question: str, sentence: Sentence, passages: Sequence[Passage]
                  ) -> tuple[str, Span]:
    """An evidence sentence's text, and the span the reader finds in it (read beside its passage's title): what
    every reading of the evidence starts from (`read_evidence`, `Assistant._reader_quote`)."""
    passage = passages[sentence.passage_index]
    text = passage.text[sentence.start:sentence.end]
    return text, reader.read(question, passage.title, text, sentence_before(reader, passage, sentence.start))


def sentence_before(reader: SpanFinder, passage: Passage, start: int) -> str:
    """What `reader` reads before the sentence at `start` of `passage`: the sentence before it when the reader reads
    one (`previous_sentence`), else nothing, and no passage is split for a reader that would not read it."""
    return previous_sentence(passage.text, start) if reader.reads_before else ""


def previous_sentence(text: str, start: int) -> str:
    """The sentence of `text` that ends before offset `start` (where a sentence of it begins): what the reader
    reads beside that sentence to know who "he" or "it" is. Empty at the text's start.

    >>> text = "Copperfox was founded in 2009. It now employs 310 people."
    >>> previous_sentence(text, text.index("It")), previous_sentence(text, 0)
    ('Copperfox was founded in 2009.', '')
    """
    before = split_sentences(text[:start])
    return text[before[-1].start:before[-1].end] if before else ""


def read_evidence(reader: SpanFinder, question: str, evidence: Evidence, passages: Sequence[Passage],
                  sentences: int = READ_SENTENCES, fits: Callable[[str, Span], bool] | None = None) -> Reading | None:
    """The most likely span among the best `sentences` evidence sentences of a one-part question (None for a
    question of several parts, or when no sentence gives a span): the reader's chance that the span holds the
    answer of its sentence, times the evidence score that the sentence answers (`span_weight`); the earlier
    sentence wins a tie. `fits(sentence, span)`, when given, is what a span must pass to be read at all (a count
    for a how-many question).

    A which-question's noun ("which line") names its answer when the answer is a name ("the Ashcombe Branch
    Line"): a span of at least `SPAN_CHECK_THRESHOLD` chance inside a name holding that noun (`names_asked_noun`)
    wins over a likelier span that is a name of another kind ("Hadley Cross"), never over a description ("general
    relativity" for "What theory …?"), and when no sentence read holds the noun in a name, the best of the first
    `NOUN_REACH` that does is read too (a sentence whose subject is a pronoun, "It is on the Ashcombe Branch Line",
    scores low with the finder)."""
    if len(evidence.parts) != 1 or not evidence.ranked or not evidence.ranked[0]:
        return None
    ranked = evidence.ranked[0]
    read = list(ranked[:sentences])
    nouns = asked_nouns(question)

    def holds_noun(sentence: Sentence) -> bool:
        text = passages[sentence.passage_index].text[sentence.start:sentence.end]
        return any(_is_asked(word, nouns) for word in text.split()[1:] if word[:1].isupper())

    if nouns and not any(holds_noun(sentence) for sentence in read):
        read.extend(sentence for sentence in ranked[sentences:NOUN_REACH] if holds_noun(sentence))
    likeliest: tuple[float, Reading] | None = None  # of the `sentences` best, as ever
    named: tuple[float, Reading] | None = None  # the likeliest inside a name headed by the asked noun
    for index, sentence in enumerate(read[:sentences + 1]):
        text, span = read_sentence(reader, question, sentence, passages)
        if not span.text.strip() or (fits is not None and not fits(text, span)):
            continue
        reading, weight = Reading(span, sentence.passage_index, sentence.start, sentence.end), span_weight(span,
                                                                                                          sentence.score)
        if index < sentences and (likeliest is None or weight > likeliest[0]):
            likeliest = (weight, reading)
        if (span.probability >= SPAN_CHECK_THRESHOLD and names_asked_noun(text, span.start, span.end, nouns)
                and (named is None or weight > named[0])):
            named = (weight, reading)
    if likeliest is None:
        return named[1] if named is not None else None
    best = likeliest[1]
    # a name of another kind ("Hadley Cross" for "which line") gives way; a description ("general relativity" for
    # "what theory") does not: the noun says what the answer is, not that it is a name
    other_name = best.span.text[:1].isupper() and not names_asked_noun(
        passages[best.passage_index].text[best.sentence_start:best.sentence_end], best.span.start, best.span.end,
        nouns)
    return named[1] if named is not None and other_name else best


def span_weight(span: Span, sentence_score: float) -> float:
    """How likely a span is the answer among the evidence's: the reader's chance that it holds its sentence's
    answer, times the evidence score that the sentence answers (a chance with the shipped finder; other scorers'
    scores below 0 count as 0). The reader's chance alone took a confident span of the second sentence over a
    likelier first one ("How many buoys did the team anchor?": "four" of "plans to add four more buoys", 0.43 in a
    sentence scored 0.05, over "12 monitoring buoys that the team anchored", 0.41 in one scored 0.25).

    >>> span_weight(Span("four", 0, 4, 0.43, 1.0), 0.05) < span_weight(Span("12", 0, 2, 0.41, 1.0), 0.25)
    True
    """
    return span.probability * max(sentence_score, 0.0)


def span_text(span: Span) -> str:
    """The span as an answer's opening: white space folded, a lower-case first letter raised, trailing commas and
    the like dropped, and a sentence's full stop too (the answer adds its marker and its own: "On 5 March [1].",
    not "On 5 March. [1]."), but not an abbreviation's.

    >>> span_text(Span("nine  nations,", 0, 14, 0.9, 3.0))
    'Nine nations'
    >>> span_text(Span("on 5 March.", 0, 11, 0.9, 3.0)), span_text(Span("at 6 p.m.", 0, 9, 0.9, 3.0))
    ('On 5 March', 'At 6 p.m.')
    """
    text = " ".join(span.text.split()).rstrip(",;:")
    if text.endswith(".") and not _ends_in_abbreviation(text):
        text = text[:-1].rstrip(",;: ")
    return text[:1].upper() + text[1:] if text[:1].islower() else text


_ANSWER_ABBREVIATIONS = frozenset("ltd inc co corp plc jr sr st bros etc".split())
"""Abbreviations an answer may end with ("Harbour Foods Ltd."): their full stop is kept."""


def _ends_in_abbreviation(text: str) -> bool:
    """Whether the full stop ending `text` is an abbreviation's: "p.m.", "U.S." (single letters with dots) or
    "Ltd."; a decimal's dot ("£3.5m.", "2.0.") makes no abbreviation.

    >>> _ends_in_abbreviation("6 p.m."), _ends_in_abbreviation("Acme Ltd."), _ends_in_abbreviation("5 March.")
    (True, True, False)
    >>> _ends_in_abbreviation("£3.5m."), _ends_in_abbreviation("rose to 3.5%."), _ends_in_abbreviation("U.S.")
    (False, False, True)
    """
    last = text.rsplit(" ", 1)[-1][:-1]
    return bool(re.fullmatch(r"(?:[A-Za-z]\.)+[A-Za-z]?", last)) or last.lower() in _ANSWER_ABBREVIATIONS


_OPENING_MARKS = "\"'“‘«([{"


_PASSIVE_QUESTION = re.compile(r"^\s*(?:who|(?:which|what)\s+[a-z]+(?:\s+[a-z]+)?)\s+(?:was|were|is|are|has\s+been|"
                               r"have\s+been)\s+(?P<verb>[a-z]+)\b(?!\s+by\b)", re.IGNORECASE)
_ACTED_ON = r"^[\s,]*(?:(?:on|last|this|late\s+on)\s+[A-Z]?[a-z]+\s+|[a-z]+ly\s+)?{verb}\s+(?P<name>[A-Z][\w'’-]*" \
            r"(?:\s+(?:of\s+)?[A-Z][\w'’-]*)*)"


def acted_on(question: str, sentence: str, start: int, end: int) -> tuple[int, int] | None:
    """Where the name a passive question asks for stands, when the span read (`sentence[start:end]`) is the one
    who did it instead: "Which company was fined?" asks who was fined, and "The Water Services Authority on
    Tuesday fined Kestrel Water 9.6 million euros" names the authority before "fined" and the company after it.
    None when the question is not passive or the span is not the doer of its verb.

    >>> sentence = "The Water Services Authority on Tuesday fined Kestrel Water 9.6 million euros."
    >>> start, end = acted_on("Which company was fined for leaking mains?", sentence, 4, 28)
    >>> sentence[start:end]
    'Kestrel Water'
    >>> acted_on("Which body fined Kestrel Water?", sentence, 4, 28) is None
    True
    >>> acted_on("Who was fined?", "Kestrel Water was fined by the authority.", 0, 13) is None
    True
    """
    match = _PASSIVE_QUESTION.match(question)
    verb = past_of(match.group("verb").lower()) if match else ""
    if not verb:
        return None
    found = re.match(_ACTED_ON.format(verb=re.escape(verb)), sentence[end:])
    if found is None:
        return None
    return end + found.start("name"), end + found.end("name")


def ruled_reading(question: str, reading: Reading | None, sentence: Sentence, passages: Sequence[Passage],
                  found: tuple[int, int], reader: SpanFinder) -> Reading:
    """A rule's reading (`Reading.ruled`) of `found` (offsets in the evidence `sentence`): its chance is the
    reader's for it when the reader finds it in that sentence, else the chance of the `reading` it replaces."""
    passage = passages[sentence.passage_index]
    text = passage.text[sentence.start:sentence.end]
    read = reader.read(question, passage.title, text, sentence_before(reader, passage, sentence.start))
    chance = read.probability if read.start < found[1] and found[0] < read.end else (
        reading.span.probability if reading is not None else 0.0)
    span = Span(text[found[0]:found[1]], found[0], found[1], chance, read.margin, text)
    return Reading(span, sentence.passage_index, sentence.start, sentence.end, ruled=True)


_WHO_DOES = re.compile(r"^\s*(?i:who)\s+(?:(?:will|would|is\s+going\s+to|is\s+to|was\s+to|has|had|did|does|is|was)\s+)?"
                       r"(?P<verb>[a-z]+)\b")
"""A who-question asking who does or did something, and its verb ("Who will *lead* the review?")."""

_AGENT = re.compile(r"\s+by\s+(?:(?:the|its|their|her|his)\s+)?(?:[a-z][\w-]*\s+){0,4}?"
                    r"(?P<name>[A-Z][\w'’.-]+(?:\s+(?:(?:of|de|van|von)\s+)?[A-Z][\w'’.-]+)*)")
"""Who did it, after a participle: "by retired auditor Frances Okonjo", "by the Water Services Authority"."""

_APPOSITIVE = re.compile(r"['’]s\s+(?:[a-z][\w-]*\s+){0,3}?[a-z][\w-]*,\s+"
                         r"(?P<name>[A-Z][\w'’.-]+(?:\s+(?:(?:of|de|van|von)\s+)?[A-Z][\w'’.-]+)*)")
"""The one a possessive's role names, set off after it: "by Vane's predecessor, Margaret Lyle"."""


def agent_name(sentence: str, start: int) -> tuple[int, int] | None:
    """Where the doer named after "by" at `start` (`_AGENT`) stands in `sentence`: a possessive's role is the name
    set off after it ("by Vane's predecessor, Margaret Lyle" is Margaret Lyle: a possessive alone, "Vane's", is
    whose, never who), and a sentence's closing full stop is no part of a name (an initial's or "Ltd."'s is).
    None when no name follows "by", or a possessive has no name after its role.

    >>> sentence = "That ban was ordered by Vane's predecessor, Margaret Lyle, who stepped down."
    >>> sentence[slice(*agent_name(sentence, 20))]
    'Margaret Lyle'
    >>> sentence = "It was ordered by Tom Marr."
    >>> sentence[slice(*agent_name(sentence, 14))], agent_name("It was ordered by Vane's team.", 14)
    ('Tom Marr', None)
    >>> sentence = "It was built by Harbour Foods Ltd."
    >>> sentence[slice(*agent_name(sentence, 12))]
    'Harbour Foods Ltd.'
    """
    agent = _AGENT.match(sentence, start)
    if agent is None:
        return None
    name_start, name_end = agent.span("name")
    if re.search(r"['’]s$", sentence[name_start:name_end]):
        named = _APPOSITIVE.match(sentence, name_end - 2)
        if named is None:
            return None
        name_start, name_end = named.span("name")
    if sentence[name_end - 1] == "." and not _ends_in_abbreviation(sentence[name_start:name_end]):
        name_end -= 1
    return name_start, name_end


def passive_agent(question: str, sentence: str) -> tuple[int, int] | None:
    """Where `sentence` names, after "<participle> by", the one who does what a who-question asks about, when the
    sentence does not say the question's verb otherwise: "It will be led by retired auditor Frances Okonjo" for
    "Who will lead the review?" (the mirror of `acted_on`); None otherwise.

    >>> sentence = "It will be led by retired auditor Frances Okonjo, with a report due by March."
    >>> sentence[slice(*passive_agent("Who will lead the review of postal votes?", sentence))]
    'Frances Okonjo'
    >>> passive_agent("Who will lead the review?", "Ana Roe will lead it, and it was ordered by Tom Marr.") is None
    True
    """
    match = _WHO_DOES.match(question)
    forms = verb_forms(match.group("verb")) if match else frozenset()
    participles = {form for form in forms if form.endswith("ed") or form in IRREGULAR_VERBS.values()}
    if not participles:
        return None
    # the verb as the sentence first says it: a participle before "by", or else the sentence's own doer is read
    said = re.search(rf"\b(?:{'|'.join(map(re.escape, sorted(forms)))})\b", sentence, re.IGNORECASE)
    return agent_name(sentence, said.end()) if said is not None and said.group(0).lower() in participles else None


AGENT_REACH = 3
"""Evidence sentences searched, best first, for one naming who does what a who-question asks about: after "by", or
by the noun of the doer as a title right before the name."""


def agent_reading(question: str, reading: Reading | None, evidence: Evidence, passages: Sequence[Passage],
                  reader: SpanFinder) -> Reading | None:
    """For a who-question, the reading moved to the one the best of the first `AGENT_REACH` evidence sentences
    names after "<participle> by" (`passive_agent`), or by the noun of the doer as a title right before the name
    ("Prosecutor Siobhan Grady": `rag.answer.leaders.doer_nouns`), whichever sentence ranks first, when the
    reading's own sentence does not say the question's verb at all (the reader found "The county council" in "The
    county council has ordered an independent review" for "Who will lead the review?"; "Dan Pole" in "The trial of
    … Dan Pole opened …" for "Who prosecuted?"); a rule's reading (`ruled_reading`). Kept otherwise, and when
    another rule chose it (who runs or ran something: `rag.answer.leaders`)."""
    from rag.answer.leaders import doer_nouns, left, role_holder  # (leaders reads with this module's helpers)

    match = _WHO_DOES.match(question)
    forms = verb_forms(match.group("verb")) if match else frozenset()
    if (not forms or match is None or (reading is not None and reading.ruled) or len(evidence.parts) != 1
            or not evidence.ranked):
        return reading  # another rule's reading stands ("who runs velbus": "a shuttle run by Velbus" is no head)
    nouns = doer_nouns(question, match.group("verb"))
    if reading is not None:
        own = passages[reading.passage_index].text[reading.sentence_start:reading.sentence_end]
        if any(re.search(rf"\b{re.escape(form)}\b", own.lower()) for form in forms):
            return reading
        named = role_holder(own, nouns, titled=True)
        if named is not None and named[0] <= reading.span.start < named[1]:
            return reading  # the reader read the doer its title names
    asked = {word.lower() for word in words(question)}
    about = content_words(question) - content_words(" ".join(forms))  # what is asked about, besides the verb
    for sentence in evidence.ranked[0][:AGENT_REACH]:
        passage = passages[sentence.passage_index]
        text = passage.text[sentence.start:sentence.end]
        found = passive_agent(question, text)
        # The sentence must be about what is asked: it says some of it (a campus "designed by the architect Eero
        # Saarinen" does not answer "Who designed Salamanca?"), or it follows the reader's own sentence, its
        # subject a pronoun ("It will be led by …" after "… has ordered an independent review of postal votes.")
        follows = (reading is not None and sentence.passage_index == reading.passage_index
                   and sentence.start >= reading.sentence_end
                   and not passage.text[reading.sentence_end:sentence.start].strip()
                   and re.match(r"(?:It|He|She|They|This)\b", text) is not None)
        if (found is not None and (follows or about & content_words(text))
                and not {word.lower() for word in words(text[found[0]:found[1]])} <= asked):
            # (an agent the question names is what it asks about: "hospitals run by the Northmarch Health Trust"
            # for "Who ran the Northmarch Health Trust during the walkout?")
            return ruled_reading(question, reading, sentence, passages, found, reader)
        # only a title right before the name, as reports name a prosecutor or a designer ("… as leader" of a clan,
        # "Argonne National Laboratory … director" are no doer's names)
        found = role_holder(text, nouns, titled=True)
        if found is not None and not left(text, *found):
            return ruled_reading(question, reading, sentence, passages, found, reader)
    return reading


_VERDICT_QUESTION = re.compile(r"^\s*(?:and\s+)?(?:what|which)\s+(?:(?:was|were|is)\s+the\s+(?:[\w'’-]+['’]s?\s+)?"
                               r"verdicts?\b|verdicts?\s+(?:did|was|were)\b)", re.IGNORECASE)
"""A question asking what a verdict was ("What was the verdict?", "What verdict did the jury return?"), not what
someone does about it."""
_VERDICT = re.compile(r"\bfound\s+(?:[\w'’.-]+\s+){0,5}?(?P<found>(?:not\s+)?guilty(?:\s+of\s+[a-z][\w-]*"
                      r"(?:\s+(?!on\b|in\b|at\b|by\b|after\b)[a-z][\w-]*){0,3})?)"
                      r"|\b(?:was|were|been)\s+(?P<cleared>acquitted|convicted|cleared)\b", re.IGNORECASE)
"""A court's verdict as a report says it: "found Desmond Hale guilty of fraud", "was acquitted", "Found guilty of
fraud, Hale …"."""

VERDICT_REACH = 3
"""Evidence sentences searched, best first, for the verdict a verdict question asks for."""


def verdict_span(sentence: str) -> tuple[int, int] | None:
    """Where `sentence` says a court's verdict (`_VERDICT`), or None.

    >>> sentence = "A jury found Desmond Hale guilty of fraud on Monday, 9 February, by a majority of 10 to 2."
    >>> sentence[slice(*verdict_span(sentence))]
    'guilty of fraud'
    >>> sentence = "Ana Roe was acquitted on Friday."
    >>> sentence[slice(*verdict_span(sentence))], verdict_span("The jury took 10 hours.")
    ('acquitted', None)
    >>> sentence = "Found guilty of fraud, Hale was jailed for four years."
    >>> sentence[slice(*verdict_span(sentence))]
    'guilty of fraud'
    """
    match = _VERDICT.search(sentence)
    if match is None:
        return None
    return match.span("found") if match.group("found") else match.span("cleared")


def verdict_reading(question: str, reading: Reading | None, evidence: Evidence, passages: Sequence[Passage],
                    reader: SpanFinder) -> Reading | None:
    """For "What was the verdict?", the reading moved to the verdict the best of the first `VERDICT_REACH` evidence
    sentences says ("guilty of fraud", of "found Desmond Hale guilty of fraud … by a majority of 10 to 2": the
    reader read the jury's split, "10 to 2", which is how it was reached, not what it was); a rule's reading
    (`ruled_reading`). Kept for any other question, or when no sentence says a verdict."""
    if _VERDICT_QUESTION.match(question) is None or len(evidence.parts) != 1 or not evidence.ranked:
        return reading
    for sentence in evidence.ranked[0][:VERDICT_REACH]:
        text = passages[sentence.passage_index].text[sentence.start:sentence.end]
        found = verdict_span(text)
        if found is not None:
            return ruled_reading(question, reading, sentence, passages, found, reader)
    return reading


_TALLY_QUESTION = re.compile(r"^\s*(?:and\s+)?(?:(?:what|which)\s+(?:was|were|is)\s+the\s+(?:[\w'’-]+['’]s?\s+)?"
                             r"(?:margin|majority|vote\s+count|tally)\b|by\s+(?:what|how\s+(?:large|wide|big|narrow)\s+a)"
                             r"\s+(?:margin|majority)\b|(?:by\s+)?how\s+many\s+votes\b)", re.IGNORECASE)
"""A question asking how a vote split ("What was the margin?", "By what margin did it pass?", "How many votes did
the motion get?"), not a profit margin's figure (a sentence must say a vote's count: `tally_span`)."""
_VOTE_COUNT = r"(?:\d{1,4}|" + "|".join(sorted(NUMBER_WORDS, key=len, reverse=True)) + r")"
_TALLY = re.compile(rf"(?<!\bfrom )\b(?P<tally>{_VOTE_COUNT}\s+votes?\s+to\s+{_VOTE_COUNT}|"
                    rf"{_VOTE_COUNT}\s+to\s+{_VOTE_COUNT}|"
                    r"\d{1,4}\s*[-–]\s*\d{1,4})"
                    r"(?![\w%.,]*\s*(?:percent|per\s+cent|%|am|pm|a\.m|p\.m))\b", re.IGNORECASE)
_VOTE_WORDS = re.compile(r"\b(?:vot(?:e|es|ed|ing)|majority|passed|approved|rejected|carried|motion|ballot)\b",
                         re.IGNORECASE)

_VOTES_COUNTED = re.compile(rf"\b{_VOTE_COUNT}\s+votes?\b", re.IGNORECASE)

TALLY_REACH = 5
"""Evidence sentences searched, best first, for a vote's count a margin question asks for: a news story's opening
ranks first on the question's words and seldom says the count."""


def tally_span(sentence: str) -> tuple[int, int] | None:
    """Where `sentence` says how a vote split ("by seven votes to four", "passed 7-4", "by 12 to 3") in a sentence
    about a vote (`_VOTE_WORDS`), or None.

    >>> sentence = "Harwick councillors passed the 2026 budget on Tuesday by seven votes to four."
    >>> sentence[slice(*tally_span(sentence))]
    'seven votes to four'
    >>> sentence = "The motion was carried 7-4 after a long debate."
    >>> sentence[slice(*tally_span(sentence))]
    '7-4'
    >>> tally_span("Prices rose from 5 to 7 percent."), tally_span("The shop opens from 9 to 5.")
    (None, None)
    >>> tally_span("A recount narrowed the winning margin from 22 votes to nine.") is None  # a change, no split
    True
    """
    if _VOTE_WORDS.search(sentence) is None:
        return None
    found = _TALLY.search(sentence)
    return (found.start("tally"), found.end("tally")) if found else None


def asks_tally(question: str) -> bool:
    """Whether a question asks how a vote split (`_TALLY_QUESTION`), not by how much a figure changed.

    >>> asks_tally("What was the margin?"), asks_tally("By what margin did the motion pass?")
    (True, True)
    >>> asks_tally("By how much will council tax rise in Harwick?"), asks_tally("By how much did sales fall?")
    (False, False)
    """
    return _TALLY_QUESTION.match(question) is not None


def tally_reading(question: str, reading: Reading | None, evidence: Evidence, passages: Sequence[Passage],
                  reader: SpanFinder) -> Reading | None:
    """For "What was the margin?" (of a vote), the reading moved to the count the best of the first `TALLY_REACH`
    evidence sentences of the reading's article says (`tally_span`: "seven votes to four"), a rule's reading
    (`ruled_reading`): the reader, asked for a margin, reads a figure of the story's opening sentence ("£48.2
    million"). Kept for any other question, or when no sentence says a vote's count."""
    if not asks_tally(question) or len(evidence.parts) != 1 or not evidence.ranked:
        return reading
    read = (passages[reading.passage_index].text[reading.sentence_start:reading.sentence_end]
            if reading is not None else "")
    if reading is not None and _VOTES_COUNTED.search(reading.span.text) and tally_span(read) is None:
        return reading  # the reader read a count of votes already ("ahead by 37 votes"): a margin said as one number
    # the count of the vote read about: another council's vote in the next story is no margin of this one
    article = passages[reading.passage_index].article_id if reading is not None else None
    for sentence in evidence.ranked[0][:TALLY_REACH]:
        if article is not None and passages[sentence.passage_index].article_id != article:
            continue
        found = tally_span(passages[sentence.passage_index].text[sentence.start:sentence.end])
        if found is not None:
            return ruled_reading(question, reading, sentence, passages, found, reader)
    return reading


_ENDED_QUESTION = re.compile(r"^\s*(?:and\s+)?(?:how|when)\s+did\s+(?:the\s+|their\s+|its\s+|his\s+|her\s+)?"
                             r"(?P<thing>(?:[\w'’-]+\s+){0,3}?[\w'’-]+)\s+(?:end|finish|conclude)\s*[?.!]*\s*$",
                             re.IGNORECASE)
"""A question asking how or when a thing ended ("How did the strike end?"), not what someone ended ("When did
BSkyB end its analogue service?")."""
_ENDING = re.compile(r"\b(?:end(?:ed|s)?|finish(?:ed|es)?|conclude[ds]?|called\s+off|(?:is|was)\s+over|settled|"
                     r"came\s+to\s+an\s+end)\b", re.IGNORECASE)
"""Words saying that something ended: "ended", "has been called off", "was over"."""

ENDING_REACH = 3
"""Evidence sentences searched, best first, for one saying that the thing a question asks the end of ended."""


def says_it_ended(thing: str, sentence: str) -> bool:
    """Whether `sentence` names `thing` (its last word: "bus strike" is a strike) and says something ended: "The
    talks … ended without agreement" says nothing of the strike's end.

    >>> says_it_ended("strike", "The bus strike has been called off after drivers accepted a pay deal.")
    True
    >>> says_it_ended("bus strike", "The talks ended without agreement after the company raised its offer.")
    False
    """
    head = content_words(thing.split()[-1])
    return bool(head) and head <= content_words(sentence) and _ENDING.search(sentence) is not None


def says_it_ended_of_it(thing: str, sentence: str) -> bool:
    """Whether `sentence` says that `thing` (its last word) ended as the subject of the ending words, a few words
    before them: "The bus strike has been called off", not a sentence that only holds the thing's word and an ending
    word ("Before the war, the treaty ended British claims").

    >>> says_it_ended_of_it("bus strike", "The bus strike has been called off after drivers accepted a pay deal.")
    True
    >>> says_it_ended_of_it("war", "Before the war, the treaty ended British claims to the valley.")
    False
    """
    head = thing.split()[-1]
    return re.search(rf"\b{re.escape(head)}(?:s|es)?\b(?:\s+[\w'’-]+){{0,3}}?\s+(?:{_ENDING.pattern})", sentence,
                     re.IGNORECASE) is not None


def ending_reading(question: str, reading: Reading | None, evidence: Evidence, passages: Sequence[Passage],
                   reader: SpanFinder) -> Reading | None:
    """For "How did the strike end?" or "When did it end?", the reading moved to the best of the first
    `ENDING_REACH` evidence sentences that names the thing and says it ended (`says_it_ended`), when the reader
    found nothing; or, when its sentence says that something else ended, to a sentence saying the thing itself
    ended (`says_it_ended_of_it`): "The talks … ended without agreement" outranked "The bus strike … has been called
    off after drivers accepted a pay deal" by its "ended", and the reader read how the talks ended. A reading naming
    the thing by another word ("Hostilities ended with the Treaty of Paris" for the war) is not moved to a sentence
    that merely holds "war" and an ending word. A rule's reading of the span the reader finds in that sentence
    (`ruled_reading`); kept when none says it or the reader finds nothing there."""
    match = _ENDED_QUESTION.match(question)
    if match is None or len(evidence.parts) != 1 or not evidence.ranked:
        return reading
    thing = match.group("thing")
    if thing.lower() in {"it", "they", "this", "that"}:
        return reading
    if reading is not None:
        own = passages[reading.passage_index].text[reading.sentence_start:reading.sentence_end]
        if says_it_ended(thing, own) or _ENDING.search(own) is None:
            return reading  # its sentence says the thing ended, or says no end at all ("1115–1234")
    for sentence in evidence.ranked[0][:ENDING_REACH]:
        passage = passages[sentence.passage_index]
        text = passage.text[sentence.start:sentence.end]
        if not says_it_ended(thing, text) or (reading is not None and not says_it_ended_of_it(thing, text)):
            continue
        # read after a wire report's dateline: its date is the report's, not the end's ("March 27, 2026 (…) - The
        # bus strike … has been called off … on Thursday")
        cut = dateline_end(text)
        span = reader.read(question, passage.title, text[cut:], sentence_before(reader, passage, sentence.start))
        if not span.text.strip():
            continue
        start, end = cut + span.start, cut + span.end
        if question.lstrip().lower().startswith(("how", "and how")):
            end = _with_cause(text, end)
        return ruled_reading(question, reading, sentence, passages, (start, end), reader)
    return reading


_WHY_QUESTION = re.compile(r"^\s*" + FOLLOW_ON + r"why\b", re.IGNORECASE)
_REASON = re.compile(r"\b(?:(?P<clause>because|due\s+to|owing\s+to|as\s+a\s+result\s+of|so\s+that|in\s+order\s+to|"
                     r"so\s+as\s+to|citing)|(?:the\s+(?:main\s+)?reasons?\s+(?:was|were|is|are|given\s+was)(?:\s+that)?|"
                     r"(?:was|were|is|are)\s+(?:caused\s+by|blamed\s+on|down\s+to)|came\s+from|resulted\s+from|"
                     r"stemmed\s+from|arose\s+from))\s+(?P<after>\S)", re.IGNORECASE)
"""A sentence giving a reason: a clause it opens ("because the company refused …", "due to falling numbers", "citing
costs") or what a cause's verb names ("The error came from a transcription mistake", "The reason was …")."""

_LINKED_CAUSE = re.compile(r"\b(?:after|following|during|amid|since|in\s+(?:protest|response)|for\s+fear)\b",
                           re.IGNORECASE)
"""What ties an event to what led to it without a reason's own words: "both of which leaked during last winter's
storms" says why the roofs need replacing."""

REASON_REACH = 3
"""Evidence sentences of the reading's own article searched, best first, for one that gives a reason."""


def reason_span(sentence: str) -> tuple[int, int] | None:
    """Where `sentence` gives a reason (`_REASON`): from a clause's opening word, or after a cause's verb, to the
    sentence's end; None when it gives none.

    >>> sentence = "The strike was called because the company refused a pay rise of 5 percent."
    >>> sentence[slice(*reason_span(sentence))]
    'because the company refused a pay rise of 5 percent'
    >>> sentence = "The error came from a transcription mistake."
    >>> sentence[slice(*reason_span(sentence))], reason_span("Bus drivers walked out on Monday.")
    ('a transcription mistake', None)
    """
    match = _REASON.search(sentence)
    if match is None:
        return None
    start = match.start("clause") if match.group("clause") else match.start("after")
    return start, len(sentence.rstrip().rstrip(".!?;:"))


def reason_reading(question: str, reading: Reading | None, evidence: Evidence, passages: Sequence[Passage],
                   reader: SpanFinder, follow_up: bool = False) -> Reading | None:
    """For a why-question, the reading moved to the reason the best of the first `REASON_REACH` evidence sentences
    of its own article (`_own_article`) gives (`reason_span`), when the reading's sentence gives none: "Bus drivers
    in Lindgard walked out on Monday" is what happened, and "The strike was called because the company refused a pay
    rise" in the same report says why; a rule's reading (`ruled_reading`). Only the reading's article is searched (a
    follow-up's "Why?" is about the story the conversation is on, never another's lede); kept when no sentence of it
    gives a reason, for a question of another form, and when the reader's span itself gives one ("to cut costs") or
    its sentence ties the event to a cause (`_LINKED_CAUSE`: "after talks failed").

    A stand-alone why-question (not a `follow_up`) takes only a reason said of its own event: a sentence holding one
    of the question's words beyond its names (`event_words`). "Why did Tesla move to Paris?" is not answered by the
    next sentence's "He left the company in 1884 because he was not paid a promised bonus": an article's "because"
    is often about another of its events. A follow-up's "Why did they do that?" names no event but the
    conversation's, and its story's reason is taken."""
    if (_WHY_QUESTION.match(question) is None or len(evidence.parts) != 1 or not evidence.ranked
            or not evidence.ranked[0]):
        return reading
    if reading is not None:
        own = passages[reading.passage_index].text[reading.sentence_start:reading.sentence_end]
        if (reason_span(own) is not None or _LINKED_CAUSE.search(own) is not None
                or opens_purpose(reading.span.text)):
            return reading  # ("walked out after talks failed" says why as well)
    event = event_words(question)
    for sentence in _own_article(reading, evidence, passages)[:REASON_REACH]:
        text = passages[sentence.passage_index].text[sentence.start:sentence.end]
        found = reason_span(text)
        if found is not None and (follow_up or event & content_words(text)):
            return ruled_reading(question, reading, sentence, passages, found, reader)
    return reading


def event_words(question: str) -> set[str]:
    """The content words of a question but its names (capitalised words after its first): what it asks happened.

    >>> sorted(event_words("Why did Tesla move to Paris?")), sorted(event_words("Why is the region called Fertile?"))
    (['move'], ['call', 'region'])
    """
    named = content_words(" ".join(re.findall(r"(?<=\s)[A-Z][\w'’-]*", question)))
    return content_words(question) - named


def opens_purpose(span: str) -> bool:
    """Whether a span opens with what a deed was for ("to cut costs", "in order to save the bridge"): a reason.

    >>> opens_purpose("to cut costs"), opens_purpose("in order to save it"), opens_purpose("toward the city")
    (True, True, False)
    """
    return re.match(r"(?:in\s+order\s+|so\s+as\s+)?to\s", span, re.IGNORECASE) is not None


def _own_article(reading: Reading | None, evidence: Evidence, passages: Sequence[Passage]) -> list[Sentence]:
    """The evidence sentences of the reading's article (else of the best sentence's), best first: a reason the
    finder scores low ("The error came from a transcription mistake" for "Why was it wrong?") is still its story's."""
    article = passages[reading.passage_index if reading is not None else evidence.ranked[0][0].passage_index].article_id
    return [sentence for sentence in evidence.ranked[0] if passages[sentence.passage_index].article_id == article]


def asks_why(question: str) -> bool:
    """Whether a question asks why ("Why?", "And why did they do that?").

    >>> asks_why("Why did they do that?"), asks_why("And why?"), asks_why("Who knows why it closed?")
    (True, True, False)
    """
    return _WHY_QUESTION.match(question) is not None


def gives_reason(reading: Reading | None, evidence: Evidence, passages: Sequence[Passage]) -> bool:
    """Whether a why-question's answer may have a reason to give: the reading's span opens one ("to cut costs") or
    its sentence gives one, or one of the first `REASON_REACH` evidence sentences of its article does
    (`reason_span`), or ties what it says to a cause (`_LINKED_CAUSE`: "during last winter's storms").

    >>> from rag.answer.evidence import Evidence
    >>> passages = [Passage("a", "T", "s", "", "The library opened on Tuesday. The roofs leaked during storms.", 0,
    ...                     62)]
    >>> opened, leaked = Sentence(0, 0, 30, 0.9), Sentence(0, 31, 62, 0.5)
    >>> gives_reason(None, Evidence(("Why?",), ((opened,),), 0.9), passages)
    False
    >>> gives_reason(None, Evidence(("Why?",), ((opened, leaked),), 0.9), passages)
    True
    """
    if reading is not None:
        own = passages[reading.passage_index].text[reading.sentence_start:reading.sentence_end]
        if reason_span(own) is not None or opens_purpose(reading.span.text):
            return True
    ranked = (_own_article(reading, evidence, passages) if len(evidence.parts) == 1 and evidence.ranked
              and evidence.ranked[0] else [])
    texts = [passages[sentence.passage_index].text[sentence.start:sentence.end] for sentence in ranked[:REASON_REACH]]
    return any(reason_span(text) is not None or _LINKED_CAUSE.search(text) is not None for text in texts)


_CAUSE = re.compile(r"\s+(?:after|when|because|as)\s+[^,;.]+")


def _with_cause(sentence: str, end: int) -> int:
    """The end of a how-it-ended span taken on to the clause saying what made it end ("called off" + " after drivers
    accepted a pay deal on Thursday"), when one follows it.

    >>> sentence = "The strike has been called off after drivers accepted a pay deal on Thursday, the union said."
    >>> start = sentence.index("called")
    >>> sentence[start:_with_cause(sentence, start + len("called off"))]
    'called off after drivers accepted a pay deal on Thursday'
    """
    cause = _CAUSE.match(sentence, end)
    return cause.end() if cause is not None else end


_WHICH_COUNT = re.compile(r"^\s*(?:which|what|who\s+(?:were|are)\s+the)\s+(?P<count>\d+|[a-z]+)\s+"
                          r"(?:[\w'’-]+\s+){0,2}?(?P<noun>(?-i:[a-z][a-z-]*s))\b", re.IGNORECASE)
"""A question asking which of a counted group ("Which two Rovers players were injured?")."""


def members_asked(question: str, sentence: str) -> int:
    """How many people a question asks to be named ("Which two players …": 2), when `sentence` says only that
    many of them ("… but lost two players to injury": the names come in the sentences after it); 0 otherwise.

    >>> members_asked("Which two Rovers players were injured?", "Rovers won 2-0 but lost two players to injury.")
    2
    >>> members_asked("Which two players were injured?", "Callum Reid and Sam Okoro were injured."), members_asked(
    ...     "Which players were injured?", "Two players were hurt.")
    (0, 0)
    """
    match = _WHICH_COUNT.match(question)
    if match is None:
        return 0
    word = match.group("count").lower()
    count = int(word) if word.isdigit() else NUMBER_WORDS.get(word, 0)
    noun = match.group("noun")
    said = re.search(rf"\b{re.escape(match.group('count'))}\s+(?:[\w-]+\s+)?{re.escape(noun)}\b", sentence,
                     re.IGNORECASE)
    return count if count > 1 and said is not None else 0


def widened(reading: Reading, sentence: str, names: Sequence[tuple[int, int]]) -> Reading:
    """The reading with its span widened to the whole of each name (`names`: the tagger's entity offsets in its
    `sentence`) it cuts through (`rag.answer.hops.whole_name`): the reader may stop short of a name's edges ("San
    Diego" of "the Port of San Diego", "10" of "fewer than 10"), and a cut name says something else; a person's
    title before the name is taken too (`with_title`). A leading "the" the reader took is kept.

    >>> sentence = "The second busiest port is the Port of San Diego."
    >>> widened(Reading(Span("San Diego", 39, 48, 0.6, 1.0), 0, 0, 49), sentence, [(27, 48)]).span.text
    'Port of San Diego'
    >>> sentence = 'It was called "Phoenix City" over the last 21,000 years through the ages.'
    >>> widened(Reading(Span("Phoenix", 15, 22, 0.6, 1.0), 0, 0, 74), sentence, [(14, 27)]).span.text
    'Phoenix City'
    >>> widened(Reading(Span("21,000 years", 43, 55, 0.6, 1.0), 0, 0, 74), sentence, [(34, 63)]).span.text
    'last 21,000 years'
    >>> sentence = "GENEVRE - The Ardeval Museum of Natural History has bought a skeleton."
    >>> widened(Reading(Span("The Ardeval Museum", 10, 28, 0.7, 1.0), 0, 0, 70), sentence, []).span.text
    'The Ardeval Museum of Natural History'
    >>> sentence = "Reinforcements came, led by Major General Louis-Joseph de Montcalm."
    >>> widened(Reading(Span("Louis-Joseph de Montcalm", 42, 66, 0.7, 1.0), 0, 0, 67), sentence, [(42, 66)]).span.text
    'Major General Louis-Joseph de Montcalm'
    """
    start, end = whole_name(sentence, reading.span.start, reading.span.end, names)
    start = min(start, reading.span.start)
    end = name_goes_on(sentence, start, end)
    start, end = with_title(sentence, start, end)
    # What the tagger's edges add beyond a name is left out: an opening quote mark or bracket ('"Phoenix City'),
    # a closing word that only joins ("the last 21,000 years through").
    while start < reading.span.start and (sentence[start] in _OPENING_MARKS or sentence[start].isspace()):
        start += 1
    while end > reading.span.end:
        last = sentence[:end].rstrip().rsplit(None, 1)
        if len(last) < 2 or last[1].lower() not in STOP_WORDS | PREPOSITIONS:
            break
        end = max(len(last[0].rstrip()), reading.span.end)
    return respanned(reading, sentence, start, end)


TITLES = frozenset({
    "president", "vice", "prime", "minister", "chancellor", "governor", "mayor", "senator", "judge", "justice",
    "general", "major", "lieutenant", "colonel", "captain", "admiral", "commander", "sergeant", "marshal", "field",
    "king", "queen", "prince", "princess", "emperor", "empress", "tsar", "czar", "sultan", "shah", "caliph", "duke",
    "duchess", "count", "countess", "baron", "lord", "lady", "sir", "dame", "pope", "saint", "bishop", "archbishop",
    "cardinal", "father", "rabbi", "imam", "dr", "professor", "chief", "executive", "inspector", "detective",
})
"""Capitalised words that say a person's rank or office right before the name ("Major General Louis-Joseph de
Montcalm", "Mayor Irena Kovalchik"): part of how the articles name the person (`with_title`)."""


def with_title(sentence: str, start: int, end: int) -> tuple[int, int]:
    """The name `sentence[start:end]` taken back over the titles right before it (`TITLES`): the tagger's PERSON
    leaves them out, and the articles (and the reader's training answers) name a person with them.

    >>> sentence = "Reinforcements arrived, led by Major General Louis-Joseph de Montcalm."
    >>> start, end = with_title(sentence, 45, 69)
    >>> sentence[start:end]
    'Major General Louis-Joseph de Montcalm'
    >>> with_title("The general Amos Brand led it.", 12, 22)  # a lower-case title is a description, not a name
    (12, 22)
    """
    if not sentence[start:start + 1].isupper():
        return start, end
    while True:
        title = re.search(r"(?<![\w.])([A-Z][a-z]*)\.?\s+$", sentence[:start])
        if title is None or title.group(1).lower() not in TITLES:
            return start, end
        start = title.start(1)


_DESCRIPTION = re.compile(r"\s+(?:[a-z][\w-]*\s+){1,3}")
"""The lower-case words between a place or group and the person it describes ("Ellan harbour master Inés Núñez",
"Labour councillor Jane Ames")."""


def described_person(sentence: str, start: int, end: int, people: Sequence[tuple[int, int]]) -> tuple[int, int] | None:
    """The person a span that is no person describes, when only lower-case words stand between them: "Ellan" of
    "presented by Ellan harbour master Inés Núñez" is where she is harbour master, and a who-question asks for her.
    None when the span names a person itself, or no person follows so.

    >>> sentence = "The medal was presented by Ellan harbour master Inés Núñez on the quay."
    >>> people = [(48, 58)]
    >>> start, end = described_person(sentence, 27, 32, people)
    >>> sentence[start:end]
    'Inés Núñez'
    >>> described_person(sentence, 48, 58, people) is None  # already the person
    True
    >>> described_person("It was built by Ardent, engineer Tom Bell said.", 16, 22, [(33, 41)]) is None
    True
    >>> described_person("It was bought by Northwind Capital from founder Jane Ames.", 17, 34, [(48, 57)]) is None
    True
    """
    if any(begin < end and start < finish for begin, finish in people):
        return None
    for begin, finish in people:
        gap = sentence[end:begin]
        # "bought by Northwind Capital from founder Jane Ames": a preposition or a joiner between them says she is
        # another party, not what the span describes
        if begin > end and _DESCRIPTION.fullmatch(gap) and not set(gap.split()) & (STOP_WORDS | PREPOSITIONS):
            return begin, finish
    return None


_OF_NAME = re.compile(r"\s+of\s+(?:the\s+)?[A-Z][\w'’-]*(?:\s+(?:and\s+|&\s+)?[A-Z][\w'’-]*)*")
"""A name's part after "of" ("of Natural History", "of the Kestrin Metro")."""


def name_goes_on(sentence: str, start: int, end: int) -> int:
    """The end of the name `sentence[start:end]` taken on through "of" and the capitalised words after it, when
    the span is a name (its words capitalised) that the tagger did not see whole: "The Ardeval Museum" of "The
    Ardeval Museum of Natural History". Where it ends otherwise.

    >>> sentence = "He studied at the University of Leeds and of Sheffield, then taught chemistry of Metals."
    >>> sentence[18:name_goes_on(sentence, 18, 28)]
    'University of Leeds'
    >>> name_goes_on(sentence, 68, 77) == 77  # "chemistry" is no name
    True
    """
    words = [word for word in sentence[start:end].split() if word.lower() not in ("the", "of", "and", "&")]
    if not words or not all(word[:1].isupper() for word in words):
        return end
    goes_on = _OF_NAME.match(sentence, end)
    return goes_on.end() if goes_on else end


MEASURES = frozenset({
    "euros", "euro", "dollars", "dollar", "pounds", "pound", "sterling", "crowns", "kronor", "kroner", "krona",
    "francs", "yen", "yuan", "rupees", "pesos", "rand", "percent", "km", "kilometres", "kilometers", "metres",
    "meters", "miles", "feet", "tonnes", "tons", "kg", "kilograms", "litres", "liters", "gallons", "barrels",
    "hectares", "acres", "degrees", "gw", "mw", "kw", "gwh", "mwh", "mph", "seconds", "minutes", "hours", "days",
    "weeks", "months", "years", "decades", "people", "children", "men", "women", "staff", "police", "personnel",
    "cattle", "sheep",
})
"""Words that say what a number counts or measures, besides regular plurals ("officers"): currencies, units, time
spans, and the plurals without an "s"."""

_COUNTED = re.compile(r"\s+(?:(?:extra|more|additional|new|further|other|[a-z]+-[a-z]+)\s+)?"
                      r"(?P<word>per\s+cent|[a-z]+)\b")
_ENDS_IN_NUMBER = re.compile(rf"(?:\d|\b(?:{'|'.join((*NUMBER_WORDS, *MAGNITUDES))}))\W?$", re.IGNORECASE)
_CURRENCY_SIGNS = "$£€¥"


def with_measure(question: str, sentence: str, start: int, end: int) -> tuple[int, int]:
    """The span `sentence[start:end]` of a number, taken on to the word after it when that word says what the
    number counts or measures, for a question asking how many or how much (`wanted_kinds` holds CARDINAL, or MONEY for
a price: "How much did it cost?"), and back
    to a currency sign before it: "2.5 million" says less than "2.5 million euros", "14" than "14 officers". The
    reader, trained on SQuAD's answers, often stops at the number.

    >>> sentence = "The council set aside 2.5 million euros in aid; 14 officers were dismissed."
    >>> start, end = with_measure("How much did the council set aside?", sentence, 22, 33)
    >>> sentence[start:end]
    '2.5 million euros'
    >>> start, end = with_measure("How many police were sacked?", sentence, 48, 50)
    >>> sentence[start:end]
    '14 officers'
    >>> start, end = with_measure("How many lorries were added?", "It sent 40 extra lorries.", 8, 10)
    >>> "It sent 40 extra lorries."[start:end]
    '40 extra lorries'
    >>> with_measure("How many were sacked?", "Of those, 14 were sacked.", 10, 12)  # a verb follows
    (10, 12)
    >>> with_measure("When did sales rise?", "In 2019 sales rose.", 3, 7)  # not asked for an amount
    (3, 7)
    >>> start, end = with_measure("How many staff work there?", "It has 260 full-time staff.", 7, 10)
    >>> "It has 260 full-time staff."[start:end]
    '260 full-time staff'
    >>> sentence = "It cost $4 million dollars."
    >>> start, end = with_measure("How much did it cost?", sentence, 9, 18)
    >>> sentence[start:end]
    '$4 million dollars'
    """
    if not {"CARDINAL", "MONEY"} & wanted_kinds(question) or not _ENDS_IN_NUMBER.search(sentence[start:end]):
        return start, end
    if start > 0 and sentence[start - 1] in _CURRENCY_SIGNS:
        start -= 1
    following = _COUNTED.match(sentence, end)
    if following is not None:
        word = following.group("word").lower()
        plural = len(word) > 3 and word.endswith("s") and not word.endswith("ss") and word not in STOP_WORDS
        if word in MEASURES or word.split() == ["per", "cent"] or plural:
            end = following.end()
    return start, end


_COUNT = re.compile(rf"(?P<number>{AMOUNT})(?=(?P<counted>(?:\s+[a-z][\w-]*){{1,3}}))")
"""A number and the words after it, one of which says what it counts ("three crew", "260 full-time staff")."""


def counted_value(question: str, sentence: str, start: int, end: int) -> tuple[int, int] | None:
    """Where the number of what a how-many question counts (`rag.text.HOW_MANY`) stands, when the span
    `sentence[start:end]` is a number that counts something else: "three" of "184 passengers and three crew" for
    "How many crew were on the train?", which the reader answers "184". None when the span counts what is asked,
    is no count, or the sentence counts no such thing.

    >>> sentence = "The train carried 184 passengers and three crew."
    >>> start, end = counted_value("How many crew were on the train?", sentence, 18, 21)
    >>> sentence[start:end]
    'three'
    >>> counted_value("How many passengers were on the train?", sentence, 18, 21) is None
    True
    >>> counted_value("How many operations were cancelled?", "About 1,300 planned operations.", 0, 11) is None
    True
    >>> sentence = "It treated 23 people and took six to hospital."
    >>> counted_value("How many people went to hospital?", sentence, 30, 33) is None  # "six" leaves "people" unsaid
    True
    >>> sentence = "Two people were killed and five were injured when fire swept through the depot."
    >>> start, end = counted_value("How many people died in the fire?", sentence, 27, 31)
    >>> sentence[start:end]
    'Two'
    >>> counted_value("How many people were hurt in the fire?", sentence, 27, 31) is None
    True
    >>> sentence = "Forty people were on board and 38 were pulled from the water alive."
    >>> counted_value("How many people were rescued?", sentence, 31, 33) is None  # "on board" says no rescue
    True
    >>> sentence = "Fourteen trains stopped between stations, carrying an estimated 11,000 passengers."
    >>> start, end = counted_value("How many passengers were on the trains?", sentence, 0, 8)
    >>> sentence[start:end]
    '11,000'
    """
    asked = HOW_MANY.search(question)
    if asked is None:
        return None
    (noun,) = stem(asked.group("counted").split()[-1:])
    counts = [(count, noun in stem(count.group("counted").split())) for count in _COUNT.finditer(sentence)]
    spanned = [(count, counts_noun) for count, counts_noun in counts
               if count.start("number") < end and start < count.end("counted")]
    if not spanned or any(counts_noun for _, counts_noun in spanned):
        return None  # the span counts what is asked
    wanted = [count for count, counts_noun in counts if counts_noun]
    if any(count.group("counted").split()[0].lower() in STOP_WORDS | PREPOSITIONS for count, _ in spanned):
        # The span leaves what it counts unsaid ("took six to hospital"): it counts what is asked unless what it
        # says of it is another thing than the question asks, and another count says that ("Two people were
        # killed and five were injured" for "How many people died?")
        asked_terms = with_same_sense(content_words(question))
        wanted = [count for count in wanted if (_said_after(count, sentence) - {noun}) & asked_terms]
        if not wanted or any(_said_after(count, sentence) & asked_terms for count, _ in spanned):
            return None
    return wanted[0].span("number") if wanted else None


def _said_after(count: re.Match[str], sentence: str) -> set[str]:
    """The content words a count says of what it counts, up to the next comma or "and" ("were killed")."""
    after = re.split(r"[,;.]|\band\b|\bwhen\b", sentence[count.end("number"):], maxsplit=1)[0]
    return content_words(" ".join(after.split()[:4]))


_CLOCK_QUESTION = re.compile(r"\bwhat\s+time\b(?!\s+of\s+(?:the\s+)?(?:year|day|month|season|week|life)\b)",
                             re.IGNORECASE)


def asks_clock_time(question: str) -> bool:
    """Whether a question asks for a time of day ("What time did the lorry hit the bridge?"): answered by a clock
    time (`CLOCK_TIME`) when the evidence read has one, not by "on Sunday night".

    >>> asks_clock_time("What time did the lorry hit the bridge?"), asks_clock_time("What time of year is it?")
    (True, False)
    """
    return _CLOCK_QUESTION.search(question) is not None


_TIME_WORD = re.compile(r"\b(?:on|in|at|since|from|until|till|by|before|after|during|between)\s+(?:the\s+)?$",
                        re.IGNORECASE)
"""A preposition (and "the") right before a time: what it says of the time is part of the answer."""


WEEKDAYS = r"(?:Monday|Tuesday|Wednesday|Thursday|Friday|Saturday|Sunday)"
"""The days of the week, as a pattern: what a date may be said by ("on Sunday")."""
_ON_WEEKDAY = re.compile(rf",?\s+on\s+{WEEKDAYS}\b")
"""The day a clock time is on, after it ("at 11:40 p.m. on Monday")."""

_WEEKDAY_BEFORE = re.compile(rf"\b(?:on\s+)?{WEEKDAYS}(?:\s+(?:morning|afternoon|evening|night))?,?\s+$")
"""The day a clock time is on, before it ("on Sunday at 2 p.m.", "Friday morning at 9")."""

CLOCK_TIME = re.compile(r"\d\s*[ap]\.?m\b\.?|\d\s*(?:GMT|BST|CET|UTC)\b|\b\d{4}\s*hours\b|\b\d{1,2}:\d\d\b|"
                        r"\b(?:noon|midday|midnight)\b|\bo'clock\b", re.IGNORECASE)
"""A time of day: "6 p.m.", "10:40", "5.40 a.m.", "1800 GMT", "midnight" (not "72 hours", nor "11.40 euros")."""


def with_time_word(question: str, sentence: str, start: int, end: int) -> tuple[int, int]:
    """The span `sentence[start:end]` of a time, taken back to the preposition before it, for a question asking
    when (`wanted_kinds` is DATE and TIME): "since 2016" is not "2016", nor "by 2028" "2028", and "on April 30"
    answers "When will the unit shut?" as a reporter would; a clock time is taken on to the day after it ("at 6
    p.m. on Friday": a news report's times are of the days around it).

    >>> sentence = "Voss has led the council since 2016 and will stand down in the spring."
    >>> start, end = with_time_word("When did Voss take over?", sentence, 31, 35)
    >>> sentence[start:end]
    'since 2016'
    >>> start, end = with_time_word("When will Voss stand down?", sentence, 63, 69)
    >>> sentence[start:end]
    'in the spring'
    >>> with_time_word("Who leads the council?", sentence, 31, 35)  # not asked when
    (31, 35)
    >>> sentence = "The warning was issued at 6 p.m. on Friday, the forecaster said."
    >>> start, end = with_time_word("When was the warning issued?", sentence, 26, 32)
    >>> sentence[start:end]
    'at 6 p.m. on Friday'
    >>> sentence = "The final round is scheduled for Sunday at 2 p.m."
    >>> start, end = with_time_word("When does the final round start?", sentence, 43, 49)
    >>> sentence[start:end]
    'Sunday at 2 p.m.'
    """
    if wanted_kinds(question) != TIMES:
        return start, end
    before = _TIME_WORD.search(sentence, 0, start)
    if CLOCK_TIME.search(sentence, start, end):
        day = _ON_WEEKDAY.match(sentence, end)
        end = day.end() if day is not None else end
        # "at" opens the span: a day before it ("Sunday at 2 p.m.") opens it instead
        weekday = _WEEKDAY_BEFORE.search(sentence, 0, before.start() if before is not None else start)
        if weekday is not None and day is None:
            return weekday.start(), end
    return (before.start() if before is not None else start), end


_PLACE_WORD = re.compile(r"\b(?:at|in|on|near|outside|inside|into|onto|to|from|off|behind|beside|along|across|around|"
                         r"under|over|opposite|within|beyond|through)\s+(?:the\s+)?$", re.IGNORECASE)
"""A preposition (and "the") right before a place: where it says the thing is, is part of the answer."""


def with_place_word(question: str, sentence: str, start: int, end: int) -> tuple[int, int]:
    """The span `sentence[start:end]` of a place, taken back to the preposition before it, for a question asking
    where (`wanted_kinds` is GPE, LOC and FAC), as `with_time_word` does for a time: "at the Civic Hall" says where
    the water was handed out, "near Halloway Cross" is not "in Halloway Cross", and a reporter answers "Where…?" so.

    >>> sentence = "Bottled water was handed out at the Civic Hall and near the station."
    >>> start, end = with_place_word("Where was water handed out?", sentence, 36, 46)
    >>> sentence[start:end]
    'at the Civic Hall'
    >>> start, end = with_place_word("Where else?", sentence, 56, 67)
    >>> sentence[start:end]
    'near the station'
    >>> with_place_word("What was handed out?", sentence, 36, 46)  # not asked where
    (36, 46)
    """
    if wanted_kinds(question) != PLACES:
        return start, end
    before = _PLACE_WORD.search(sentence, 0, start)
    return (before.start() if before is not None else start), end


_YEARS_OLD = re.compile(r"\b(?P<age>\d{1,3})-year-old\b")


def as_age(question: str, sentence: str, start: int, end: int) -> tuple[int, int]:
    """The span `sentence[start:end]` narrowed to the age it holds as "the 52-year-old", for a question asking how
    old: news names people by their age that way, and "52-year-old" is no answer to "How old is the driver?".

    >>> sentence = "The driver, a 52-year-old from Halloway, was arrested."
    >>> start, end = as_age("How old is the driver?", sentence, 12, 25)
    >>> sentence[start:end]
    '52'
    >>> as_age("Who was arrested?", sentence, 12, 25)  # not asked how old
    (12, 25)
    """
    found = _YEARS_OLD.search(sentence, start, end) if asks_age(question) else None
    return found.span("age") if found is not None else (start, end)


_RATE = re.compile(r"\s+(?:a|an|per|each)\s+(?:year|month|week|day|night|hour|minute|second|tonne|ton|litre|liter|"
                   r"kilogram|kilo|barrel|share|head|person|passenger|household)\b|/[a-z]{1,4}\b")
"""What an amount is counted per, after it ("31,400 pounds a year", "31 pounds a tonne", "40 km/h")."""


def with_rate(sentence: str, start: int, end: int) -> tuple[int, int]:
    """The span `sentence[start:end]` of an amount (ending in a number or a unit, `MEASURES`) taken on to what it
    is counted per: "31,400 pounds" is not the salary "31,400 pounds a year".

    >>> sentence = "Junior doctors start on 31,400 pounds a year in Northmarch."
    >>> start, end = with_rate(sentence, 24, 37)
    >>> sentence[start:end]
    '31,400 pounds a year'
    >>> with_rate("Trains ran at 40 km/h.", 14, 19)
    (14, 21)
    >>> with_rate("It fell 3 percent a year ago.", 8, 17)  # "a year ago" is when, not per what
    (8, 17)
    """
    last = sentence[start:end].rsplit(None, 1)[-1:] or [""]
    if not (_ENDS_IN_NUMBER.search(sentence[start:end]) or last[0].lower().strip(".,") in MEASURES):
        return start, end
    rate = _RATE.match(sentence, end)
    if rate is None or re.match(r"\s+(?:ago|earlier|later|before|after)\b", sentence[rate.end():]):
        return start, end
    return start, rate.end()


_RANGE = re.compile(r"(?:from\s+)?(?P<first>\d{3,4})\s*(?:–|—|-|to|until)\s*(?P<last>\d{3,4})|"
                    r"from\s+(?P<place>.+?)\s+to\s+(?P<to>.+)", re.IGNORECASE)
"""A span that is a range: two years ("1115–1234", "from 1754 to 1763"), or a stretch from one place to another."""
_BEGINS = re.compile(r"\b(?:begin|began|begun|beginning|start|started|starts|starting|founded|established|"
                     r"opened|commenced|first)\b", re.IGNORECASE)
_ENDS = re.compile(r"\b(?:end|ended|ends|ending|finish|finished|finishes|closed|concluded|complete|completed|"
                   r"died|fell|collapsed)\b", re.IGNORECASE)


def range_end(question: str, sentence: str, start: int, end: int) -> tuple[int, int]:
    """The span `sentence[start:end]` of a range narrowed to the end of it the question asks for, when it asks
    when or where something began or ended: "1115–1234" answers "When did the Jin dynasty end?" with both years,
    and a follow-up "What about begin?" would read the same span; a year range whose second year is cut short
    ("1914–18") is left whole, as is any span for a question asking both ends or neither.

    >>> sentence = "The Jin dynasty (1115–1234) ruled northern China."
    >>> start, end = range_end("When did the Jin dynasty end?", sentence, 17, 26)
    >>> sentence[start:end]
    '1234'
    >>> start, end = range_end("When did the Jin dynasty begin?", sentence, 17, 26)
    >>> sentence[start:end]
    '1115'
    >>> range_end("When did the Jin dynasty rule?", sentence, 17, 26)  # neither end asked for
    (17, 26)
    >>> sentence = "It is measured from the Old Rhine Bridge at Constance to Hoek van Holland."
    >>> start, end = range_end("Where does the measurement end?", sentence, 15, 73)
    >>> sentence[start:end]
    'Hoek van Holland'
    >>> range_end("When did the war end?", "The war (1914–18) ended.", 9, 16)  # "18" is no year
    (9, 16)
    """
    begins, ends = _BEGINS.search(question) is not None, _ENDS.search(question) is not None
    if begins == ends or not wanted_kinds(question) & (TIMES | PLACES):
        return start, end
    found = _RANGE.fullmatch(sentence, start, end)
    if found is None:
        return start, end
    first, last = ("first", "last") if found.group("first") else ("place", "to")
    if first == "first" and (len(found.group("first")) != len(found.group("last"))
                             or int(found.group("last")) <= int(found.group("first"))):
        return start, end
    return found.span(first if begins else last)


_MEASURE_ADJECTIVE = re.compile(rf"(?:\d[\d.,]*|{'|'.join(NUMBER_WORDS)}|half)(?:-[a-z]+)+$", re.IGNORECASE)
"""A number made an adjective by its unit ("40-metre", "five-week", "two-year-old"): it describes the noun after it."""
_NEXT_WORD = re.compile(r"\s+(?P<word>[a-z][a-z-]*)\b")


def with_head_noun(sentence: str, start: int, end: int) -> tuple[int, int]:
    """The span `sentence[start:end]` taken on to the noun after it when it ends in a number made an adjective by
    its unit: "40-metre" is no answer to "How much of the roof came down?", "40-metre section" is.

    >>> sentence = "A 40-metre section of the roof came down."
    >>> start, end = with_head_noun(sentence, 2, 10)
    >>> sentence[start:end]
    '40-metre section'
    >>> with_head_noun("The strike lasted a five-week.", 19, 29)  # no word after it
    (19, 29)
    >>> with_head_noun("It ran for 40 metres of track.", 11, 20)  # a unit, not an adjective
    (11, 20)
    """
    last_word = sentence[start:end].split()[-1:] or [""]
    if not _MEASURE_ADJECTIVE.search(last_word[0]):
        return start, end
    following = _NEXT_WORD.match(sentence, end)
    if following is None or following.group("word").lower() in STOP_WORDS | PREPOSITIONS:
        return start, end
    return start, following.end()


def ranged(question: str, reading: Reading, sentence: str) -> Reading:
    """The reading (of `sentence`) with its span narrowed to the end of a range the question asks for (`range_end`):
    applied after the span is widened to whole names too, as the tagger's DATE "1115–1234" would widen it back."""
    start, end = range_end(question, sentence, reading.span.start, reading.span.end)
    return respanned(reading, sentence, start, end)


def aged(question: str, reading: Reading, sentence: str) -> Reading:
    """The reading (of `sentence`) with its span narrowed to the age it holds (`as_age`): applied after the span is
    widened to whole names, as the tagger's DATE "52-year-old" would widen it back."""
    start, end = as_age(question, sentence, reading.span.start, reading.span.end)
    return respanned(reading, sentence, start, end)


_NEGATION = re.compile(r"\b(?:not|never|no\s+longer)\s+(?!only\b|just\b|least\b)(?:[a-z]+\s+){0,2}?$|"
                       r"\b(?:[a-z]+n't|cannot)\s+(?:[a-z]+\s+){0,2}?$", re.IGNORECASE)
"""A negation right before a span, with at most two words between ("not expected before 2027", "never paid 5
million"; not "not only")."""


def with_negation(sentence: str, start: int, end: int) -> tuple[int, int]:
    """The span `sentence[start:end]` taken back to a negation right before it (`_NEGATION`): "before 2027" says
    the opposite of "not expected before 2027", and a reader's span may leave the "not" out.

    >>> sentence = "A decision on whether to build the mine is not expected before 2027, the company said."
    >>> start, end = with_negation(sentence, 56, 67)
    >>> sentence[start:end]
    'not expected before 2027'
    >>> sentence = "The plan is not only cheaper but faster, costing 2 million euros."
    >>> with_negation(sentence, 21, 28), with_negation(sentence, 49, 64)  # "not only" negates nothing
    ((21, 28), (49, 64))
    """
    found = _NEGATION.search(sentence, max(0, start - 40), start)
    if found is None or found.end() != start:
        return start, end
    return found.start(), end


def measured(question: str, reading: Reading, sentence: str) -> Reading:
    """The reading (of `sentence`) with its span taken on to what a number counts or measures (`with_measure`), the
    noun a number made an adjective describes (`with_head_noun`) and what an amount is counted per (`with_rate`),
    and back to what the preposition before a time or a place says of it (`with_time_word`, `with_place_word`) and
    to a negation right before it (`with_negation`), a range then narrowed to the end of it asked for (`ranged`)."""
    start, end = with_measure(question, sentence, reading.span.start, reading.span.end)
    start, end = with_head_noun(sentence, start, end)
    start, end = with_rate(sentence, start, end)
    start, end = with_time_word(question, sentence, start, end)
    start, end = with_place_word(question, sentence, start, end)
    start, end = with_negation(sentence, start, end)
    return ranged(question, respanned(reading, sentence, start, end), sentence)


_NAME_JOINER = re.compile(r"\s*(?:,\s*and|,|and|&)\s*")
"""What stands between two names of one list ("A and B", "A, B and C", "A, B, and C")."""

_GROUP_OPENING = re.compile(r"\s*(?:of|among)\s+(?:the|its|their)\s+(?P<count>\w+)\b", re.IGNORECASE)
"""A sentence that opens by counting a group and then names its members one clause each ("Of the two members who
voted against, A wanted …, while B argued …")."""


def named_together(sentence: str, start: int, end: int, people: Sequence[tuple[int, int]]) -> list[tuple[int, int]]:
    """The offsets of the people `sentence` names together with the one at `start:end` (`people`: the tagger's
    PERSON offsets, in order): those joined to it in one list ("A and B"), or every person of a sentence that opens
    by counting a group of as many ("Of the two …, A …, while B …"); empty when it stands alone. A who-question
    whose answer is one of them asks for them all: "Who voted against?" is not answered by half the dissenters.

    >>> sentence = "Ann Lee and Bo Kim voted against; Cy Orr voted for."
    >>> named_together(sentence, 0, 7, [(0, 7), (12, 18), (34, 40)])
    [(0, 7), (12, 18)]
    >>> sentence = "Of the two who voted against, Ann Lee wanted less, while Bo Kim wanted more."
    >>> named_together(sentence, 30, 37, [(30, 37), (57, 63)])
    [(30, 37), (57, 63)]
    >>> named_together("Ann Lee met Bo Kim.", 0, 7, [(0, 7), (12, 18)])
    []
    >>> named_together("Led by Bohemond, Robert's son, they landed.", 7, 15, [(7, 15), (17, 23)])
    []
    """
    own = [index for index, (first, last) in enumerate(people) if first < end and start < last]
    if len(own) != 1:  # no person, or a span that holds several already ("Bohemond, Robert's son")
        return []

    def joined(before: int) -> bool:
        """Whether the person at `before` and the next are two of one list: "A, B's son" names one person."""
        return (bool(_NAME_JOINER.fullmatch(sentence[people[before][1]:people[before + 1][0]]))
                and not sentence.startswith(("'s", "’s"), people[before + 1][1]))

    low = high = own[0]
    while low > 0 and joined(low - 1):
        low -= 1
    while high + 1 < len(people) and joined(high):
        high += 1
    if high > low:
        return list(people[low:high + 1])
    opening = _GROUP_OPENING.match(sentence)
    if opening is not None:
        count = opening.group("count").lower()
        size = NUMBER_WORDS.get(count, int(count) if count.isdigit() else 0)
        if size >= 2 and len(people) == size:
            return list(people)
    return []


def listed(names: Sequence[str]) -> str:
    """Names said as one list.

    >>> listed(["Ann Lee", "Bo Kim"]), listed(["A", "B", "C"])
    ('Ann Lee and Bo Kim', 'A, B and C')
    """
    return names[0] if len(names) < 2 else f"{', '.join(names[:-1])} and {names[-1]}"


def span_answer(reading: Reading, passages: Sequence[Passage], evidence: Evidence | None = None) -> Checked:
    """The span as the answer, cited: "Nine nations [1]." with the sentence it comes from as the citation's quote,
    and beside it the evidence's best sentences of that passage (`READ_SENTENCES`), so that a wrong span still
    shows the sentence that answers.

    >>> passage = Passage("a", "Amazon", "a.txt", "", "Rain falls. The basin spans nine nations.", 0, 41)
    >>> reading = Reading(Span("nine nations", 16, 28, 0.9, 3.0), 0, 12, 41)
    >>> checked = span_answer(reading, [passage])
    >>> checked.text, checked.citations[0].quotes
    ('Nine nations [1].', ['The basin spans nine nations.'])
    """
    passage = passages[reading.passage_index]
    start, end = reading.sentence_start, reading.sentence_end
    quote = " ".join(passage.text[start:end].split())
    spans = {(start, end)}
    if evidence is not None and evidence.ranked:
        spans |= {(sentence.start, sentence.end) for sentence in evidence.ranked[0][:READ_SENTENCES]
                  if sentence.passage_index == reading.passage_index}
    citation = Citation(1, passage, quote, start, end, round(reading.span.probability, 4), tuple(sorted(spans)))
    # "On Monday" tells a reader nothing weeks later: the day is dated from the article's publication date
    said = reading.said or dated_weekday(span_text(reading.span), passage.text[start:end], passage.published,
                                         reading.span.start)
    if said.endswith(".") and not _ends_in_abbreviation(said):  # a rule's reading said as a sentence
        said = said[:-1]
    return Checked(f"{said} [1].", (citation,), True)


def confident(reading: Reading | None, threshold: float = SPAN_ANSWER_THRESHOLD) -> bool:
    """Whether the reader is sure enough of its span to answer with it alone (a rule's reading always is)."""
    return reading is not None and (reading.ruled or reading.span.probability >= threshold)


def claim_disagrees(answer_text: str, reading: Reading | None, threshold: float = SPAN_CHECK_THRESHOLD) -> bool:
    """Whether a model's answer leaves out the span the reader found with at least `threshold` chance: its claim
    is not what the evidence says (the span's meaningful words, folded, are not all in it).

    >>> reading = Reading(Span("nine nations", 16, 28, 0.6, 1.0), 0, 0, 29)
    >>> claim_disagrees("The basin spans seven nations [1].", reading)
    True
    >>> claim_disagrees("The basin is divided into nine nations [1].", reading)
    False
    """
    if reading is None or reading.span.probability < threshold:
        return False
    said = set(words(reading.span.text))
    return bool(said) and not said <= set(words(answer_text))
