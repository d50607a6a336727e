"""Totals: "How much has the company raised in total?" over an article listing the amounts ("a $2 million seed
round in 2021, a $10 million Series A in 2022 and a $25 million Series B"). The span reader, and the model, take
one of the amounts for the answer. `total_reading` answers with the total the article states ("bringing its total
funding to $40 million"), else with the sum of the amounts a sentence lists, each named ("$37 million in total: a
$2 million seed round, …").

Only a question asking for a total, and amounts of one currency listed in one sentence (joined by commas and
"and", none of them a change "from … to …"). Pure functions only: no model here.
"""

from __future__ import annotations

import re
from collections.abc import Sequence

from rag.answer.changes import AMOUNT, changes
from rag.answer.comparisons import SCALES, currency_of, measure
from rag.answer.evidence import Evidence
from rag.answer.reader import Reading, SpanFinder
from rag.models.span_reader import Span
from rag.records import Passage
from rag.text import content_words, split_sentences

_ASKS_TOTAL = re.compile(r"^\s*(?:how\s+much\b.*\b(?:in\s+total|in\s+all|altogether|all\s+told|combined)\b"
                         r"|what\s+(?:is|was|are|were)\s+the\s+total\b)", re.IGNORECASE)
"""A question asking for a total: "How much has the company raised in total?", "What is the total raised?"."""
_MEASURE_ASKED = re.compile(r"\btotal\s+(?P<measure>(?!(?:of|amount|sum|figure|value|number|[a-z]+ed)\b)[a-z]+)\b",
                            re.IGNORECASE)
"""The measure a question asks the total of: "budget" of "What was the total budget of the film?"; none for "the total
raised", "the total amount"."""
_STATED = re.compile(rf"\btotal\w*\s+(?:[\w'’-]+\s+){{0,4}}?(?:of\s+|to\s+|at\s+|is\s+|was\s+|stands\s+at\s+)?"
                     rf"(?P<amount>{AMOUNT})|(?P<before>{AMOUNT})\s+(?:in\s+total|in\s+all|altogether)\b")
"""A total a sentence states: "bringing its total funding to $40 million", "$40 million in all"."""
_ITEM = re.compile(rf"(?:\b(?:an?|the)\s+)?(?P<amount>{AMOUNT})(?P<what>(?:\s+(?!(?:in|and|from|for|on|at|of|by|to|"
                   rf"this|last|with|each|which|that|led)\b)[A-Za-z][\w-]*){{0,3}})")
"""An amount listed with what it was ("a $10 million Series A")."""
_BETWEEN = re.compile(r"(?:\s+(?:in|on)\s+(?:\d{4}|[A-Z][a-z]+(?:\s+\d{4})?|this\s+\w+|last\s+\w+))?"
                      r"\s*(?:,\s*(?:and\s+)?|\s+and\s+)$")
"""What may stand between two listed amounts: their dates, then a comma or "and"."""


def _written(value: float, like: str) -> str:
    """A sum written as the amounts it adds are: their currency and, when they share it, their magnitude.

    >>> _written(37e6, "$2 million"), _written(1250000.0, "£250,000"), _written(2.5e9, "€1.5 billion")
    ('$37 million', '£1,250,000', '€2.5 billion')
    >>> _written(37e6, "EUR 2 million")  # a code is written apart from the number, as the amounts write it
    'EUR 37 million'
    """
    currency = currency_of(like)
    currency += " " if len(currency) > 1 else ""
    magnitude = next((word for word in like.split()[1:] if word.lower() in SCALES), "")
    if magnitude:
        number = f"{value / SCALES[magnitude.lower()]:,.2f}".rstrip("0").rstrip(".")
        return f"{currency}{number} {magnitude}"
    return f"{currency}{value:,.0f}"


def listed_amounts(sentence: str) -> list[re.Match[str]]:
    """The amounts a sentence lists in one currency, each with what it was, when it lists two or more joined by
    commas and "and" (only dates between them); none otherwise, nor in a change ("rose from $2 million to $3
    million").

    >>> text = "It raised a $2 million seed round in 2021, a $10 million Series A in 2022 and a $25 million Series B."
    >>> [found.group(0) for found in listed_amounts(text)]
    ['a $2 million seed round', 'a $10 million Series A', 'a $25 million Series B']
    >>> listed_amounts("Revenue rose from $2 million to $3 million."), listed_amounts("It cost $5 million.")
    ([], [])
    """
    if changes(sentence):
        return []
    run: list[re.Match[str]] = []
    currencies: set[str] = set()
    for item in _ITEM.finditer(sentence):
        amount = measure(sentence[item.start("amount"):], False)
        currency = currency_of(amount.shown) if amount is not None else ""
        if not currency:
            continue
        if run and not _BETWEEN.fullmatch(sentence[run[-1].end():item.start()]):
            if len(run) >= 2:
                break
            run, currencies = [], set()
        run.append(item)
        currencies.add(currency)
    return run if len(run) >= 2 and len(currencies) == 1 else []


def total_reading(question: str, reading: Reading | None, evidence: Evidence, passages: Sequence[Passage],
                  reader: SpanFinder) -> Reading | None:
    """The reading of a question asking for a total (`_ASKS_TOTAL`) moved to the total the reading's article
    states, else to the sum of the amounts its sentence lists (`listed_amounts`), said with each amount named; the
    sentence must say a word of the question besides its question words ("raised"). A stated total counts only in
    the reading's sentence or the next one, and a measure the question names ("the total budget") must be said with
    it ("total budget of", not "a total of" grossed); a listing's sentence must say that measure too. Kept
    otherwise, and when another rule chose it.

    >>> text = ("Veloxa was founded in 2020. It has raised a $2 million seed round in 2021, a $10 million Series A "
    ...         "in 2022 and a $25 million Series B.")
    >>> passages = [Passage("v", "Veloxa raises", "v.md", "", text, 0, len(text))]
    >>> sentence = split_sentences(text)[1]
    >>> start = text.index("$10 million") - sentence.start
    >>> reading = Reading(Span("$10 million", start, start + 11, 0.6, 1.0), 0, sentence.start, sentence.end)
    >>> total_reading("How much has Veloxa raised in total?", reading, Evidence((), (), 0.0), passages, None).said
    '$37 million in total: a $2 million seed round, a $10 million Series A and a $25 million Series B'
    >>> stated = text + " That brings its total funding to $40 million."
    >>> passages = [Passage("v", "Veloxa raises", "v.md", "", stated, 0, len(stated))]
    >>> total_reading("How much has Veloxa raised in total?", reading, Evidence((), (), 0.0), passages, None).said
    '$40 million'
    >>> total_reading("How much did the Series A raise?", reading, Evidence((), (), 0.0), passages, None) is reading
    True
    """
    if reading is None or reading.ruled or not _ASKS_TOTAL.match(question):
        return reading
    passage = passages[reading.passage_index]
    asked = content_words(question) - content_words("much total combined altogether")
    measure_named = _MEASURE_ASKED.search(question)
    measure_asked = content_words(measure_named.group("measure")) if measure_named is not None else set()
    for span in split_sentences(passage.text):
        text = passage.text[span.start:span.end]
        stated = _STATED.search(text)
        # the total of what is asked: stated in the reading's sentence or the one after it (a listing's total), of
        # the measure the question names ("total budget": not "a total of $1.1 billion" grossed)
        if stated is None or not (span.start == reading.sentence_start or span.start == reading.sentence_end
                                  or passage.text[reading.sentence_end:span.start].isspace()):
            continue
        group = "amount" if stated.group("amount") else "before"
        said = text[stated.start():stated.start("amount")] if group == "amount" else text
        if measure_asked <= content_words(said):
            amount = measure(text[stated.start(group):], False)
            if amount is not None and currency_of(amount.shown):
                start = stated.start(group)
                return Reading(Span(amount.shown, start, start + len(amount.shown), reading.span.probability,
                                    reading.span.margin, text), reading.passage_index, span.start, span.end,
                               ruled=True, said=amount.shown)
    sentence = passage.text[reading.sentence_start:reading.sentence_end]
    items = listed_amounts(sentence)
    if not items or not asked & content_words(sentence) or not measure_asked <= content_words(sentence):
        return reading
    amounts = [measure(sentence[item.start("amount"):], False) for item in items]
    total = sum(amount.value for amount in amounts if amount is not None)
    named = [" ".join(item.group(0).split()) for item in items]
    listed = f"{', '.join(named[:-1])} and {named[-1]}"
    said = f"{_written(total, amounts[0].shown if amounts[0] is not None else '')} in total: {listed}"
    start, end = items[0].start(), items[-1].end()
    return Reading(Span(sentence[start:end], start, end, reading.span.probability, reading.span.margin, sentence),
                   reading.passage_index, reading.sentence_start, reading.sentence_end, ruled=True, said=said)
