"""How old someone is: "How old is Declan Furlong?" answered with the age a news report gives beside the person
("Haldane, 57, denies …", "51-year-old Tomas Bercik") or opening the sentence after the one naming them ("Furlong …
said he accepted the outcome. The 61-year-old said …").

Reports give many people's ages, and the sentence giving one often names its person only as "the 61-year-old": the
answer finder ranks it low for a question naming the person, and the span reader, reading one sentence at a time,
finds an age in any sentence that gives one (the 29-year-old chess player's for the swimming coach). An age is
taken only where the text ties it to the person asked about (`ages_given`), and `age_reading` makes it the reading.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass

from rag.answer.evidence import Evidence
from rag.answer.leaders import strongest_head
from rag.answer.reader import Reading, SpanFinder, sentence_before
from rag.models.span_reader import Span
from rag.records import Passage
from rag.text import Span as TextSpan
from rag.text import split_sentences

_HOW_OLD = re.compile(r"^\s*how\s+old\s+(?:is|was)\s+(?P<who>[^?]+?)\s*\??\s*$", re.IGNORECASE)
_AT_A_TIME = re.compile(r"\b(?:when|at\s+the\s+time|in\s+\d{4}|before|after|during)\b", re.IGNORECASE)
_HEAD_OF = re.compile(r"^(?:the\s+)?(?:current\s+)?(?:chief\s+executive|ceo|managing\s+director|director|head|boss|"
                      r"leader|chair(?:man|woman|person)?|president|governor)\s+(?:of|at)\s+(?P<thing>.+)$",
                      re.IGNORECASE)

_NAME_WORD = r"[A-Z][\w'’-]+"
_AGE_AFTER = re.compile(r"\s*(?:,\s*(?:aged\s+)?(?P<bare>\d{1,3})\s*(?=[,;.]|\s+(?:who|and|was|is|said)\b)"
                        r"|\s*\((?:aged\s+)?(?P<bracketed>\d{1,3})\)|,\s*(?:a|an|the)\s+(?P<described>\d{1,3})-year-old\b)")
"""An age right after a name: "Haldane, 57, denies", "Edda Lindqvist, 72, who", "Voss (44)", "Benedetti, a
46-year-old former champion"."""

_AGE_BEFORE = re.compile(rf"\b(?P<age>\d{{1,3}})-year-old\s+(?:[a-z][\w-]*\s+){{0,3}}(?:{_NAME_WORD}\s+){{0,3}}$")
"""An age right before a name, up to three words of what the person is between: "51-year-old Tomas Bercik", "the
46-year-old former champion Paolo Benedetti"."""

_AGE_OPENING = re.compile(r"^\W*the\s+(?P<age>\d{1,3})-year-old\b|^\W*[\"“‘'].*\bthe\s+(?P<speaker>\d{1,3})-year-old\s+"
                          r"(?:said|added|says|told)\b", re.IGNORECASE)
"""A sentence naming its person by age alone: "The 61-year-old said …", "\"We are sorry,\" the 49-year-old said."."""

_TWO_WORD_NAME = re.compile(rf"\b{_NAME_WORD}\s+{_NAME_WORD}\b")


@dataclass(frozen=True)
class Age:
    """An age the text ties to someone: `start:end` of passage `passage_index`'s text is the figure."""

    years: str
    passage_index: int
    start: int
    end: int
    sentence_start: int
    sentence_end: int


def asked_person(question: str) -> str:
    """Whom a question asks the age of, now ("" when it asks no such thing, or their age at some time, which a
    report's "the 61-year-old" does not give).

    >>> asked_person("How old is Declan Furlong?"), asked_person("how old is coach passenger edda lindqvist")
    ('Declan Furlong', 'coach passenger edda lindqvist')
    >>> asked_person("How old was Furlong when he was first elected?"), asked_person("How old is the bridge")
    ('', 'the bridge')
    """
    match = _HOW_OLD.match(question)
    if match is None or _AT_A_TIME.search(match.group("who")):
        return ""
    return match.group("who")


def surname(who: str) -> str:
    """The word that names the person asked about: the last one, when it can be a name (capitalised, or in a
    question written all in lower case); "" otherwise ("the driver of the lorry" names nobody).

    >>> surname("coach passenger edda lindqvist"), surname("Tomas Velikov"), surname("the driver of the Fenwick lorry")
    ('lindqvist', 'Velikov', '')
    """
    words = re.findall(r"[\w'’-]+", who)
    if not words or (who != who.lower() and not words[-1][:1].isupper()):
        return ""
    return words[-1] if len(words[-1]) > 2 else ""


def ages_given(name: str, passages: Sequence[Passage], given: str = "") -> list[Age]:
    """The ages the passages tie to the person whose last name is `name` (any case), in passage order: written
    right beside the name (`_AGE_AFTER`, `_AGE_BEFORE`), or opening the sentence right after one naming the person
    first (`_AGE_OPENING`: "Furlong, who has led the town since 2016, said … The 61-year-old said …"). With a
    `given` name, only in articles whose passages name the person by both ("Martin Haldane" is not the "Viktor
    Haldane, 57" of another story).

    >>> text = "Mayor Declan Furlong lost the recount. The 61-year-old said he accepted it. Edda Lindqvist, 72, wept."
    >>> passages = [Passage("a", "Recount", "a", "", text, 0, len(text))]
    >>> [age.years for age in ages_given("furlong", passages)], [age.years for age in ages_given("Lindqvist", passages)]
    (['61'], ['72'])
    >>> ages_given("Osei", passages), ages_given("Lindqvist", passages, given="Anna")
    ([], [])
    """
    named = re.compile(rf"(?<![\w'’-])(?i:{re.escape(name)})(?![\w'’-])")
    if given:
        full = re.compile(rf"(?i:\b{re.escape(given)}\s+{re.escape(name)}\b)")
        articles = {passage.article_id for passage in passages if full.search(f"{passage.title}\n{passage.text}")}
        passages_named = [passage if passage.article_id in articles else None for passage in passages]
    else:
        passages_named = list(passages)
    found: list[Age] = []
    for index, passage in enumerate(passages_named):
        if passage is None:
            continue
        text = passage.text
        sentences = split_sentences(text)
        for number, sentence in enumerate(sentences):
            part = text[sentence.start:sentence.end]
            for mention in named.finditer(part):
                if not part[mention.start()].isupper():
                    continue
                after = _AGE_AFTER.match(part, mention.end())
                before = _AGE_BEFORE.search(part, 0, mention.start())
                if after is not None:
                    group = next(group for group in ("bare", "bracketed", "described") if after.group(group))
                    start, end = after.span(group)
                elif before is not None:
                    start, end = before.span("age")
                else:
                    continue
                found.append(Age(part[start:end], index, sentence.start + start, sentence.start + end,
                                 sentence.start, sentence.end))
            opening = _AGE_OPENING.match(part)
            if opening is not None and _named_before(named, sentences[:number], passage, passages):
                start, end = opening.span("age" if opening.group("age") else "speaker")
                found.append(Age(part[start:end], index, sentence.start + start, sentence.start + end,
                                 sentence.start, sentence.end))
    return found


def _named_before(named: re.Pattern[str], before: Sequence[TextSpan], passage: Passage,
                  passages: Sequence[Passage], reach: int = 3) -> bool:
    """Whether the person last named before a sentence (`before`: the passage's sentences before it; then the
    article's sentences before the passage, when a passage holding them was retrieved), at most `reach` sentences
    back, is the one asked about: the first person named in the nearest sentence naming anyone ("Chief executive
    Simon Achterberg said … ❘ "Selling a loaf …," he said. ❘ The 61-year-old …")."""
    earlier = [passage.text[span.start:span.end] for span in before]
    if len(earlier) < reach:
        earlier = _sentences_before(passage, passages) + earlier
    for sentence in reversed(earlier[-reach:]):
        if any(sentence[match.start()].isupper() for match in named.finditer(sentence)):
            return _names_first(sentence, named)
        if _TWO_WORD_NAME.search(sentence):
            return False
    return False


def _sentences_before(passage: Passage, passages: Sequence[Passage]) -> list[str]:
    """The article's sentences right before `passage` starts, when a passage holding them was retrieved."""
    for other in passages:
        # chunks may overlap, or leave the white space between two paragraphs out of both
        if other.article_id == passage.article_id and other.start < passage.start <= other.end + 3:
            return [other.text[span.start:span.end] for span in split_sentences(other.text)
                    if other.start + span.end - other.repeated <= passage.start]
    return []


def _names_first(sentence: str, named: re.Pattern[str]) -> bool:
    """Whether the first person `sentence` names (by a two-word name, or the name asked about) is the one asked
    about: "the 61-year-old" of the next sentence is then that person."""
    mention = next((match for match in named.finditer(sentence) if sentence[match.start()].isupper()), None)
    if mention is None:
        return False
    # the whole name the mention ends ("Mayor Declan Furlong"): another name before it is another person
    whole = re.search(rf"(?:{_NAME_WORD}\s+)*$", sentence[:mention.start()])
    other = _TWO_WORD_NAME.search(sentence)
    return other is None or other.start() >= (whole.start() if whole is not None else mention.start())


def age_reading(question: str, reading: Reading | None, evidence: Evidence, passages: Sequence[Passage],
                reader: SpanFinder) -> Reading | None:
    """For a question asking how old a named person is (`asked_person`), the reading moved to the age the
    passages tie to them (`ages_given`; a head asked by title, "the chief executive of Loafton Bakeries", is
    first named by `rag.answer.leaders.strongest_head`): in the best-ranked evidence sentence that gives one, else
    the first. The reading is a rule's (`Reading.ruled`): the text's own form says whose age it is, where the
    reader's chance says how sure it is of a span in one sentence. Kept when the passages tie no age to the
    person, or give them two."""
    who = asked_person(question)
    if not who or len(evidence.parts) != 1:
        return reading
    head_of = _HEAD_OF.match(who)
    if head_of is not None:
        strongest = strongest_head(head_of.group("thing"), evidence, passages)
        if strongest is None:
            return reading
        head, named_in = strongest
        text = passages[named_in.passage_index].text
        who = text[named_in.start + head.start:named_in.start + head.end]
    name = surname(who)
    if not name:
        return reading
    before = re.findall(r"[\w'’-]+", who)[:-1]
    given = before[-1] if before and (before[-1][:1].isupper() or who == who.lower()) else ""
    if given and not any(re.search(rf"(?i:\b{re.escape(given)}\s+{re.escape(name)}\b)", passage.text)
                         for passage in passages) and who == who.lower():
        given = ""  # "corvane boss miriam osei" may give a role, not a first name, before the name ("boss osei")
    ages = ages_given(name, passages, given)
    if len({age.years for age in ages}) != 1:
        return reading
    rank = {(sentence.passage_index, sentence.start): place for place, sentence in enumerate(evidence.ranked[0])}
    age = min(ages, key=lambda age: rank.get((age.passage_index, age.sentence_start), len(rank)))
    passage = passages[age.passage_index]
    sentence = passage.text[age.sentence_start:age.sentence_end]
    start, end = age.start - age.sentence_start, age.end - age.sentence_start
    found = reader.read(question, passage.title, sentence, sentence_before(reader, passage, age.sentence_start))
    chance = found.probability if found.start < end and start < found.end else 0.0
    return Reading(Span(age.years, start, end, chance, found.margin, sentence), age.passage_index,
                   age.sentence_start, age.sentence_end, ruled=True)
