"""Estimates that disagree: two articles giving different figures of the same measure ("The Institute estimates
12,000 households are affected" and "The Council's review puts the figure at 9,500 households affected"). The span
reader reads one of them, and its figure alone reads as the answer. `other_estimate` finds the figure another
relevant article gives of the same thing (the same unit beside it, the sentence saying what the question asks as the
first one does), and `side_by_side` says both, each with its source. A question asking how reports' estimates
differ is asked as the figure question it is (`compared_figure`).

Pure functions only: no model here.
"""

from __future__ import annotations

import re
from collections.abc import Collection, Sequence
from dataclasses import dataclass

from rag.answer.changes import AMOUNT
from rag.answer.comparisons import currency_of, measure
from rag.answer.outlets import is_outlet
from rag.answer.reader import Reading
from rag.records import Citation, Passage
from rag.text import MAGNITUDES, YEAR, content_words, split_sentences

_ASKS_FIGURE = re.compile(r"^\s*(?:how\s+(?:many|much)|what\s+(?:is|was|are|were)\s+the\s+(?:number|figure|total|"
                          r"estimate|count|cost))\b", re.IGNORECASE)
"""A question asking for one figure: "How many households are affected?", "What is the number of …?"."""
_ESTIMATED = re.compile(r"\b(?:estimat\w*|reckon\w*|calculat\w*|put(?:s|ting)?\s+(?:the|its|their)\s+(?:figure|number|"
                        r"total|count|toll|cost)\b)", re.IGNORECASE)
"""A sentence giving its figure as an estimate: "The Institute estimates …", "The review puts the figure at …". Not
"according to", which news reports of two different events both write."""


_COMPARED = re.compile(
    r"^\s*(?:which|what)\s+(?:reports?|studies|sources|articles|reviews|surveys|documents)\s+(?:estimate[sd]?|gave|"
    r"give[sn]?|puts?|report(?:s|ed)?|count(?:s|ed)?|gauge[sd]?)\s+(?:the\s+)?(?:number|figure|count|total|size|scale)\s+of\s+(?P<thing>[^,?;]+?)\s*,?\s+"
    r"and\s+(?:how|in\s+what\s+way)\s+(?:do|did|does)\s+(?:they|these|their\s+\w+|the\s+\w+)\s+(?:differ|disagree|"
    r"compare|vary)\s*\??\s*$", re.IGNORECASE)


_SAME_FIGURE = re.compile(
    r"^\s*(?i:did|do|does)\s+(?:(?:the\s+)?[A-Z][\w'’-]*(?:\s+[A-Z][\w'’-]*)*\s+and\s+(?:the\s+)?[A-Z][\w'’-]*"
    r"(?:\s+[A-Z][\w'’-]*)*|(?:the\s+|both\s+|all\s+)?(?:reports|articles|outlets|sources|papers))\s+"
    r"(?:report|give|gave|have|publish|print|agree\s+on)\s+the\s+same\s+(?:number|figure|count|total)\s+of\s+"
    r"(?P<thing>[^?]+?)\s*\??\s*$")
"""Two outlets (named) or the reports asked whether they give the same figure: "Did the Valley Post and the Harwick
Courier report the same number of job losses?"."""
_CONTRADICTED = re.compile(
    r"^\s*(?:does|do|did)\s+any\s+(?:other\s+)?(?:article|report|outlet|source|paper)s?\s+(?:contradict|dispute|"
    r"disagree\s+with)\s+the\s+(?:claim|figure|report|statement)\s+that\s+(?:the\s+)?(?:\d[\d,.]*)\s+"
    r"(?P<counted>[a-z][\w-]*)\s+(?P<rest>[^?]+?)\s*\??\s*$", re.IGNORECASE)
"""Whether another report gives another figure: "Does any article contradict the claim that 220 jobs will be lost
at Brightwater?"."""


def compared_figure(question: str) -> str | None:
    """The figure question a question comparing reports' estimates asks ("Which reports estimate the number of
    affected households, and how do they differ?", "Did the Valley Post and the Harwick Courier report the same
    number of job losses?", "Does any article contradict the claim that 220 jobs will be lost?"): answered as such,
    it gives each report's figure with its source (`other_estimate`, `story_estimate`). None for any other
    question.

    >>> compared_figure("Which reports estimate the number of affected households, and how do they differ?")
    'What is the number of affected households?'
    >>> compared_figure("Which reports mention the harbour, and how do they differ?") is None
    True
    >>> compared_figure("Did the Valley Post and the Harwick Courier report the same number of job losses?")
    'What is the number of job losses?'
    >>> compared_figure("Does any article contradict the claim that 220 jobs will be lost at Brightwater?")
    'How many jobs will be lost at Brightwater?'
    >>> compared_figure("Did the mayor and the council report the same problems?") is None
    True
    """
    found = _COMPARED.match(question) or _SAME_FIGURE.match(question)
    if found is not None:
        return f"What is the number of {found.group('thing')}?"
    contradicted = _CONTRADICTED.match(question)
    if contradicted is not None:
        return f"How many {contradicted.group('counted')} {contradicted.group('rest')}?"
    return None


@dataclass(frozen=True)
class Estimate:
    """A figure another article gives: the passage (its index among the answer's passages), the sentence's offsets
    in its text, and the figure as written ("9,500 households"); `first` is the reading's figure as its sentence
    writes it, with its unit ("12,000 households" where the span was "12,000")."""

    passage_index: int
    sentence_start: int
    sentence_end: int
    figure: str
    first: str = ""


def unit_of(figure: str) -> str:
    """What a figure counts or is paid in: its currency, or the (stemmed) word after its number; "" when it says
    neither.

    >>> unit_of("12,000 households"), unit_of("£2 million"), unit_of("EUR 14.1 million"), unit_of("2 million")
    ('household', '£', 'EUR', '')
    """
    shown = figure.strip()
    if currency_of(shown):
        return currency_of(shown)
    last = shown.split()[-1].lower() if len(shown.split()) > 1 else ""
    if not last.isalpha() or last in MAGNITUDES:
        return ""
    stems = content_words(last)
    return next(iter(stems)) if len(stems) == 1 else ""


def other_estimate(question: str, reading: Reading, passages: Sequence[Passage],
                   relevant: Collection[int]) -> Estimate | None:
    """The figure a `relevant` passage of another article gives of what the reading's figure measures, when it is
    another value: its sentence has the same unit beside a number and says every word of the question the reading's
    sentence says (the measure: "households", "affected"); both sentences give their figure as an estimate
    (`_ESTIMATED`: "estimates", "puts the figure at", not two events' counts); its article says the question's
    words the reading's article says (the same place or body); and the two sentences name the same years, if any
    (a figure of 2019 is no estimate of now's). None for a question that does not ask for one figure, or when no
    other article differs.

    >>> institute = "The Policy Institute estimates that 12,000 households are affected by damp."
    >>> council = "Flooding hit the coast. The Council's review puts the figure at 9,500 households affected by damp."
    >>> passages = [Passage("i", "Institute report", "i.md", "", institute, 0, len(institute)),
    ...             Passage("c", "Council review", "c.md", "", council, 0, len(council))]
    >>> start = institute.index("12,000")
    >>> from rag.models.span_reader import Span
    >>> reading = Reading(Span("12,000 households", start, start + 17, 0.9, 2.0), 0, 0, len(institute))
    >>> found = other_estimate("How many households are affected?", reading, passages, {0, 1})
    >>> found.figure, council[found.sentence_start:found.sentence_end][:27]
    ('9,500 households', "The Council's review puts t")
    >>> other_estimate("How many households are affected?", reading, passages, {0}) is None  # not relevant
    True
    >>> other_estimate("Who estimates the households affected?", reading, passages, {0, 1}) is None
    True
    """
    if not _ASKS_FIGURE.match(question):
        return None
    passage = passages[reading.passage_index]
    sentence = passage.text[reading.sentence_start:reading.sentence_end]
    read = measure(sentence[reading.span.start:], False)  # with its unit, which the span may leave out
    unit = unit_of(read.shown) if read is not None else ""
    if read is None or not unit:
        return None
    asked = content_words(question) & content_words(sentence)
    if not _ESTIMATED.search(sentence) or not asked - {unit}:
        return None  # only the unit said: nothing tells that the figures are of the same thing
    named = content_words(question) & content_words(f"{passage.title} {passage.text}")
    years = set(YEAR.findall(sentence))
    for index in sorted(relevant):
        other = passages[index]
        if other.article_id == passage.article_id or not named <= content_words(f"{other.title} {other.text}"):
            continue
        for span in split_sentences(other.text):
            text = other.text[span.start:span.end]
            other_years = set(YEAR.findall(text))
            if not asked <= content_words(text) or other_years != years or not _ESTIMATED.search(text):
                continue
            for found in re.finditer(rf"(?<![\w.,]){AMOUNT}", text):
                figure = measure(text[found.start():], False)
                if figure is not None and unit_of(figure.shown) == unit and figure.value != read.value:
                    return Estimate(index, span.start, span.end, figure.shown, read.shown)
    return None


def story_estimate(question: str, reading: Reading, passages: Sequence[Passage],
                   reports: Sequence[Passage]) -> Estimate | None:
    """The different figure another outlet's report of the same story (`reports`: grouped with the reading's
    passage at retrieval, `Hit.same_story`) gives of what the reading's figure measures: a sentence with the same
    unit beside another number that says the question's words the reading's sentence says, but for those its whole
    report never says (its own words for the same thing: "factory" for "plant"). The index of the estimate is among
    `[*passages, *reports]`. None as `other_estimate` is.

    >>> courier = "Brightwater Foods will close its plant in September, with the loss of 220 jobs."
    >>> post = "Brightwater Foods will shut its factory in September, with the loss of 250 jobs. The firm said so."
    >>> passages = [Passage("c", "Plant to close", "Harwick Courier", "", courier, 0, len(courier))]
    >>> reports = [Passage("v", "Factory shuts", "Valley Post", "", post, 0, len(post))]
    >>> start = courier.index("220")
    >>> from rag.models.span_reader import Span
    >>> reading = Reading(Span("220 jobs", start, start + 8, 0.9, 2.0), 0, 0, len(courier))
    >>> found = story_estimate("How many jobs will go at the Brightwater plant?", reading, passages, reports)
    >>> found.passage_index, found.figure
    (1, '250 jobs')
    >>> story_estimate("How many jobs will go at the Brightwater plant?", reading, passages, passages) is None
    True
    """
    if not _ASKS_FIGURE.match(question):
        return None
    passage = passages[reading.passage_index]
    sentence = passage.text[reading.sentence_start:reading.sentence_end]
    read = measure(sentence[reading.span.start:], False)
    unit = unit_of(read.shown) if read is not None else ""
    if read is None or not unit:
        return None
    asked = content_words(question) & content_words(sentence)
    for offset, other in enumerate(reports):
        if other.article_id == passage.article_id:
            continue
        said = asked & content_words(f"{other.title} {other.text}")  # its own words for the rest
        if not said - {unit}:
            continue
        for span in split_sentences(other.text):
            text = other.text[span.start:span.end]
            if not said <= content_words(text) or set(YEAR.findall(text)) != set(YEAR.findall(sentence)):
                continue
            for found in re.finditer(rf"(?<![\w.,]){AMOUNT}", text):
                figure = measure(text[found.start():], False)
                if figure is not None and unit_of(figure.shown) == unit and figure.value != read.value:
                    return Estimate(len(passages) + offset, span.start, span.end, figure.shown, read.shown)
    return None


def side_by_side(first: Citation, said: str, other: Estimate, passages: Sequence[Passage]) -> tuple[str, Citation]:
    """The answer giving both figures, each with the title of the article it comes from and its marker, and the
    citation of the other one (numbered after `first`). The first figure is as `said`, or as its sentence writes it
    when `said` leaves its unit out ("12,000" for "12,000 households").

    >>> text = "The review puts the figure at 9,500 households."
    >>> passages = [Passage("c", "Council review", "c.md", "", text, 0, len(text))]
    >>> first = Citation(1, Passage("i", "Institute report", "i.md", "", "x", 0, 1))
    >>> answer, cited = side_by_side(first, "12,000 households", Estimate(0, 0, len(text), "9,500 households"),
    ...                              passages)
    >>> answer
    '12,000 households according to "Institute report" [1]; 9,500 households according to "Council review" [2].'
    >>> cited.number, cited.quote
    (2, 'The review puts the figure at 9,500 households.')
    >>> side_by_side(Citation(1, Passage("h", "Mill shuts", "Lenn Herald", "", "x", 0, 1)), "140 jobs",
    ...              Estimate(0, 0, len(text), "160 jobs"), [Passage("g", "Jobs go", "Dunford Gazette", "", text, 0,
    ...                                                             len(text))])[0]
    '140 jobs according to Lenn Herald [1]; 160 jobs according to Dunford Gazette [2].'
    """
    passage = passages[other.passage_index]
    quote = " ".join(passage.text[other.sentence_start:other.sentence_end].split())
    number = first.number + 1
    cited = Citation(number, passage, quote, other.sentence_start, other.sentence_end, first.support,
                     ((other.sentence_start, other.sentence_end),))
    read = measure(said, False)
    said = said if read is not None and unit_of(read.shown) else other.first or said
    first_name, other_name = f'"{first.passage.title}"', f'"{passage.title}"'
    if is_outlet(first.passage.source) and is_outlet(passage.source) and first.passage.source != passage.source:
        first_name, other_name = first.passage.source, passage.source  # two outlets' reports: which outlet says which
    text = (f"{said} according to {first_name} [{first.number}]; "
            f"{other.figure} according to {other_name} [{number}].")
    return text, cited
