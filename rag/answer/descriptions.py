"""Who someone is: "Who is Elena Voss?" answered with how a report describes the person ("head of governance at
pension fund Meridian Trust"), not refused; and what a named thing is ("What is Meridian Trust?": "pension fund").

News names people by what they are, in a few fixed forms: a description set off after the name ("said Elena Voss,
head of governance at pension fund Meridian Trust, which …"), a title before it ("volunteer coordinator Anton
Reyes"), or "is"/"was" after it ("Elsa Brandt was an actress and diplomat"). The answer finder and the span reader,
trained on questions that ask for a name rather than give one, are seldom sure of such a sentence's description
(0.14 for the one above): the model then writes (a 270M model invented "the chief executive of the Kelberg swimming
club") and its claim is refused. A question asking only who a named person is (`described_person`) is answered
from the best-ranked evidence sentence that describes that person in one of these forms (`description_of`).
"""

from __future__ import annotations

import re
from collections.abc import Sequence

from rag.answer.evidence import Evidence
from rag.answer.reader import Reading, SpanFinder, ruled_reading
from rag.records import Passage

_WHO_IS = re.compile(r"^\s*(?:who|what)(?:\s+(?:is|was)|'s|’s)\s+(?P<name>[^?,]+?)(?:\s+(?:at|from|with)\s+[^?]+)?"
                     r"\s*\??\s*$", re.IGNORECASE)
_NAME_WORD = re.compile(r"^(?:[A-Z][\w'’.-]*|(?:de|van|von|der|da|di|le|la|al|bin|el))$")
_NOT_A_PERSON = frozenset({"the", "a", "an", "this", "that", "it", "he", "she", "they", "his", "her", "its", "their",
                           "there", "here", "in", "behind", "responsible", "involved", "accused", "charged", "blamed"})

_AFTER = re.compile(r"\s*,\s+(?:\d{1,3},\s+)?(?!(?:and|but|or|nor|said|says|told|which|when|while|according|"
                    r"added|who|whose|whom|will|would|has|had|is|was|can|could)\b)"
                    r"(?![a-z]+ed\s+(?:on|in|at|to|that|the|a|an|his|her|their|its|from|after|before|by|with)\b)"
                    r"(?![a-z]+ed\s*[,;.])"
                    r"(?P<description>(?:(?:the|a|an|its|his|her|their)\s+)?[a-z][^,;.()\"“”]*?)"
                    r"(?=\s*(?:[,;.)\"“”]|\s+(?:said|says|told|who|which|added|warned|wrote)\b|$))")
"""A description set off after the name (and an age): ", head of governance at pension fund Meridian Trust," (up
to the next comma or stop, or "said", "who" …); not a list's next item (", and …") nor a clause (", who …", ",
resigned on Monday")."""
_BEFORE_FROM = re.compile(r"^|[,;:(]\s*|\b(?:when|as|after|while|said|says)\s+")
_BEFORE = re.compile(r"(?P<description>(?:[Tt]he|[Aa]n?)\s+[a-z][^,;:.()\"“”]*?)\s*,\s*")
"""A description set off before the name, as the name is after it: "The mayor of Kessling, Orla Brennick, …", "when
a new auditor, Fiona Bexley, noticed …" (from the last place a phrase may start: `_BEFORE_FROM`); a short noun phrase,
not a clause (`_CLAUSE`: "The award went to a baker, Tom Reed, …")."""
_CLAUSE = re.compile(r"\b(?:said|says|told|went|goes|is|was|were|are|has|had|have|will|would|that|which|who|to|"
                     r"did|does|gave|won|named|announced)\b", re.IGNORECASE)
_LONGEST_BEFORE = 7
_COPULA = re.compile(r"\s+(?:is|was)\s+(?P<description>(?:a|an|the)\s+[^,;.()\"“”]+?)(?=\s*(?:[,;.)\"“”]|$))")
"""A description after "is"/"was": " was an actress and diplomat."."""
_TITLE_WORD = re.compile(r"^(?:[a-z][\w'’-]*|[A-Z]{2,})$")
_NOT_TITLE = frozenset({"said", "says", "told", "by", "and", "with", "to", "from", "of", "for", "as", "at", "in", "on",
                        "when", "after", "before", "while", "but", "that", "the", "a", "an", "its", "his", "her",
                        "their", "added", "according", "asked", "wrote", "warned", "is", "was", "has", "had", "like"})
_LONGEST = 14
"""Words at most in a description: longer runs are a clause, not what the person is."""


def described_person(question: str) -> str:
    """The person (or named thing) a question asks only who or what they are about ("Who is Elena Voss?", "who is
    elena voss at meridian trust", "What is Meridian Trust?"), in the question's words; "" for any other question
    (who runs, who did what, who is "the mayor", what is "the price").

    >>> described_person("Who is Elena Voss?"), described_person("who is elena voss at meridian trust")
    ('Elena Voss', 'elena voss')
    >>> described_person("Who was Tomas Bercik?"), described_person("Who's Voss?")
    ('Tomas Bercik', 'Voss')
    >>> described_person("What is Meridian Trust?"), described_person("What was invented by Savery?")
    ('Meridian Trust', '')
    >>> described_person("Who is the boss of Loafton Bakeries?"), described_person("Who is responsible for it?")
    ('', '')
    >>> described_person("Who was Chairman of the Subcommittee on Oversight and Investigations?")
    ''
    >>> described_person("Who is representing Viktor Haldane legally?"), described_person("Who was Guy's Rival?")
    ('', '')
    """
    match = _WHO_IS.match(question)
    if match is None:
        return ""
    name = match.group("name").strip()
    words = name.split()
    if not 1 <= len(words) <= 4 or words[0].lower() in _NOT_A_PERSON or re.search(r"\w['’]s?\b", name):
        return ""  # "Who was Guy's rival?" asks for someone else
    if question != question.lower() and not all(_NAME_WORD.match(word) for word in words):
        return ""  # written with capitals, the name is its capitalised words: "Who is representing …" is not one
    return name


def description_of(person: str, sentence: str) -> tuple[int, int] | None:
    """Where `sentence` says who `person` is (the name found whatever its case, written capitalised in the
    sentence, or its last word when the sentence gives the full name): the description after the name, set off
    by a comma; else the title right before it; else what the name "is" or "was". None when it does none.

    >>> sentence = '"Three years is a long time," said Elena Voss, head of governance at pension fund Meridian Trust.'
    >>> start, end = description_of("elena voss", sentence); sentence[start:end]
    'head of governance at pension fund Meridian Trust'
    >>> sentence = "The library is run by volunteer coordinator Anton Reyes and a team of twenty."
    >>> start, end = description_of("Reyes", sentence); sentence[start:end]
    'volunteer coordinator'
    >>> sentence = "Elsa Brandt was an actress and diplomat."
    >>> start, end = description_of("Elsa Brandt", sentence); sentence[start:end]
    'an actress and diplomat'
    >>> sentence = "Mara Holt, 52, a retired judge, will lead the review."
    >>> start, end = description_of("Mara Holt", sentence); sentence[start:end]
    'a retired judge'
    >>> sentence = "The mayor of Kessling, Orla Brennick, resigned on Monday, saying she needed to step back."
    >>> start, end = description_of("orla brennick", sentence); sentence[start:end]
    'The mayor of Kessling'
    >>> sentence = "The fraud was found when a new auditor, Fiona Bexley, noticed that the firm had no staff."
    >>> start, end = description_of("Fiona Bexley", sentence); sentence[start:end]
    'a new auditor'
    >>> [description_of("Elsa Brandt", text) for text in ("Elsa Brandt said the plan would fail.",
    ...                                                   "Tom Reed, Elsa Brandt, and Ida Holm signed it.")]
    [None, None]
    """
    words = person.split()
    pattern = r"\b" + r"\s+".join(re.escape(word) for word in words) + r"\b"
    for found in re.finditer(pattern, sentence, re.IGNORECASE):
        if not found.group(0)[:1].isupper():
            continue
        end = found.end()
        while True:  # the rest of a full name the question gave in part ("Voss" of "Elena Voss Lindqvist")
            more = re.match(r"\s+([A-Z][\w'’-]*)", sentence[end:])
            if more is None:
                break
            end += more.end()
        start = found.start()
        while True:  # the start of a full name the question gave by its last word ("Anton" of "Anton Reyes")
            before = re.search(r"([A-Z][\w'’-]*)\s+$", sentence[:start])
            if before is None or before.group(1).lower() in _NOT_TITLE:
                break
            start = before.start()
            if len(sentence[start:found.end()].split()) > 4:
                break
        after = _AFTER.match(sentence, end)
        if after is not None and 1 <= len(after.group("description").split()) <= _LONGEST:
            return after.span("description")
        if re.match(r"\s*,", sentence[end:]):
            for place in sorted((found.end() for found in _BEFORE_FROM.finditer(sentence, 0, start)), reverse=True):
                before = _BEFORE.fullmatch(sentence, place, start)
                if (before is not None and len(before.group("description").split()) <= _LONGEST_BEFORE
                        and not _CLAUSE.search(before.group("description"))):
                    return before.span("description")
        title = _title_before(sentence, start)
        if title is not None:
            return title
        copula = _COPULA.match(sentence, end)
        if copula is not None and len(copula.group("description").split()) <= _LONGEST:
            return copula.span("description")
    return None


def _title_before(sentence: str, start: int) -> tuple[int, int] | None:
    """The lower-case words right before a name that say what the person is ("volunteer coordinator"), up to a word
    that is not one of them ("said", "by", "the" …); None when there are none."""
    words = list(re.finditer(r"\S+", sentence[:start]))
    kept: list[re.Match[str]] = []
    for word in reversed(words):
        text = word.group(0)
        if text.lower() in _NOT_TITLE or not _TITLE_WORD.match(text if word.start() else text.lower()):
            break
        kept.insert(0, word)
        if len(kept) == 4:
            break
    if not kept:
        return None
    return kept[0].start(), kept[-1].end()


def description_reading(question: str, reading: Reading | None, evidence: Evidence, passages: Sequence[Passage],
                        reader: SpanFinder) -> Reading | None:
    """For a question asking who a named person is (`described_person`), the reading moved to how the best-ranked
    evidence sentence describing that person does (`description_of`); a rule's reading (`Reading.ruled`), as
    `rag.answer.leaders.head_reading`'s. Kept when no sentence describes the person."""
    person = described_person(question)
    if not person or len(evidence.parts) != 1 or not evidence.ranked:
        return reading
    for sentence in evidence.ranked[0]:
        text = passages[sentence.passage_index].text[sentence.start:sentence.end]
        found = description_of(person, text)
        if found is not None:
            return ruled_reading(question, reading, sentence, passages, found, reader)
    return reading
