"""From a model's raw answer to checked citations: parse `[n]` markers, verify each sentence against the
passages, drop markers that point nowhere or at passages that do not support the claim, attribute uncited
sentences, renumber, and quote the sentence of each cited passage that backs the claim; and, when no sentence of
the model's stands, the evidence quoted as the answer, if it is about what the question asks (`quoted_answer`).

Pure functions over text; no model is involved, so every rule here is tested directly. Support is lexical:
the content words an answer sentence adds beyond the question must appear in one place of the passage it cites
(two adjacent sentences and the title).
That is what catches a small model's wrong numbers and names.
"""

from __future__ import annotations

import re
from collections.abc import Collection, Sequence
from dataclasses import dataclass

from rag.answer.directions import contradicts
from rag.answer.evidence import (
    AnswerKinds,
    Evidence,
    SentenceScorer,
    WordOverlap,
    best_spans,
    ranked_spans,
)
from rag.answer.prompts import CANNOT_ANSWER, QUOTED_OPENING, parse_markers, strip_markers
from rag.records import MONTH_NAMES, Citation, Passage
from rag.text import (
    NUMBER_WORDS,
    SURFACE_WORD,
    YEAR,
    capitalised_terms,
    content_words,
    coverage,
    figures,
    is_number,
    measures,
    name_runs,
    names_another,
    one_edit_apart,
    period_parts,
    specific_terms,
    split_sentences,
    undated_parts,
)
from rag.thresholds import SUPPORT_THRESHOLD, SUPPORT_WINDOW

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


def support(claim: str, evidence: str, question: str = "", topic: str = "") -> float:
    """How well `evidence` backs `claim`: the share of the claim's new content words (those not already in the
    question) found in the evidence. A claim that adds nothing to the question is measured on all its words. The
    words of `topic` (the passage's title, in every window) are no new words either: they would back any claim
    naming the article's subject.
    A number or a name the claim adds that the evidence lacks voids the support, as does a figure said with a unit
    the evidence does not say it with (`measures`: "48 kilometres" of 48 pupils): small models get numbers wrong,
    and attach a name from elsewhere in the passage ("the previous record, set by the crew from Carrow Boat Club").
    So does evidence the claim contradicts by the direction of a change (`contradicts`: "down by 9 percent" of "an
    increase of 9 percent"). So does evidence that holds the new words but not most of the question's words the claim
    uses: "the ferry opened in October" is not backed by "a storm closed the harbour in October".

    >>> support("The ferry opened on 3 May.", "The ferry line opened on 3 May with two boats.", "When did it open?")
    1.0
    >>> support("It opened in 1998.", "The ferry line opened on 3 May.", "When did the ferry open?")
    0.0
    >>> support("It opened on 3 May 2026 with ten boats.", "It opened on 3 May.", "When did it open?")
    0.0
    >>> support("The ferry opened in October.", "A storm closed the harbour in October.", "When did the ferry open?")
    0.0
    >>> support("The record of 8 minutes was set by Carrow Boat Club in 2017.", "The record of 8 minutes had stood "
    ...         "since 2017, set by a crew.", "What was the record?")
    0.0
    >>> support("Revenue was EUR 1.4 million.", "Revenue was EUR 12.4 million. Profit: 1.9 1.4", "What was revenue?")
    1.0
    >>> support("Revenue was EUR 1.3 million.", "Revenue was EUR 12.4 million. Profit: 1.9 1.4", "What was revenue?")
    0.0
    >>> support("The school is 48 kilometres away.", "Pupil numbers fell to 48.", "Why is the school closing?")
    0.0
    >>> support("The school is 48 km away.", "The school is 48 kilometres away.", "How far is the school?") > 0
    True
    >>> support("Starts were down by 9 percent.", "Starts fell 0.4 percent, not an increase of 9 percent.",
    ...         "Was the figure corrected?")
    0.0
    """
    claim_words = content_words(claim)
    anchor = claim_words & content_words(question)
    new_words = claim_words - anchor - content_words(topic)  # what the article is about backs nothing by itself
    words = new_words or claim_words
    if not words:
        return 0.0
    evidence_words = content_words(evidence)
    if any(is_number(word) for word in words - evidence_words) or (names_in(claim) & new_words) - evidence_words:
        return 0.0
    if figures(claim) - figures(evidence) - figures(question):  # "1.3" is in no window of "12.4 … 1.9 … 3.6"
        return 0.0
    if measures(claim) - measures(evidence) - measures(question):
        return 0.0  # "48 kilometres away" where the passage has 48 pupils: a figure stands with its unit
    if contradicts(claim, evidence):
        return 0.0  # "down by 9 percent" citing "not an increase of 9 percent": every word is there, the way is not
    if new_words and anchor and len(anchor & evidence_words) * 2 < len(anchor):
        return 0.0  # the claim's new words are there, but about something else than what it says they are about
    return len(words & evidence_words) / len(words)


def names_in(claim: str) -> set[str]:
    """The terms of the capitalised words of a claim after its first word: the names it gives.

    >>> sorted(names_in("The crew from Carrow Boat Club won [1]."))
    ['boat', 'carrow', 'club']
    """
    return capitalised_terms(" ".join(SURFACE_WORD.findall(strip_markers(claim))[1:]))


def best_window(claim: str, passage: Passage, question: str = "", window: int = SUPPORT_WINDOW) -> tuple[float, str]:
    """The `window` adjacent sentences of a passage (title in front) that back a claim best, and how well (`support`).
    Small models stitch an answer together from words scattered over a passage; measured against the whole
    passage such a claim looks supported, against any one place in it it does not. The title's words are not the
    claim's support (`support`'s `topic`).

    >>> ferry = Passage("a", "Transport", "a.txt", "", "The ferry opened on 3 May. Boats were bought. The king came.",
    ...                 0, 60)
    >>> best_window("The ferry opened on 3 May.", ferry, "When did it open?")[0]
    1.0
    >>> best_window("The king opened the ferry.", ferry, "When did it open?")[0] < support(
    ...     "The king opened the ferry.", ferry.text, "When did it open?")
    True
    """
    sentences = [passage.text[span.start:span.end] for span in split_sentences(passage.text)] or [passage.text]
    # A title or sentence about another thing of a name the question gives backs nothing about it ("Court fines
    # Brenmoor Chemicals 4.2 million euros" for "How much was Brenmoor Plastics fined?"): `names_another`.
    title = "" if names_another(question, passage.title) else passage.title
    prefix = f"{title}. " if title else ""
    about = [sentence for sentence in sentences if not names_another(question, sentence)]
    windows = [prefix + " ".join(about[position:position + window])
               for position in range(max(1, len(about) - window + 1))]
    # What the article is about backs no claim by itself ("She was fired from Brenmoor Chemicals", under the title
    # "Court fines Brenmoor Chemicals …", adds only "fired").
    topic = passage.title if question else ""
    return max(((support(claim, text, question, topic), text) for text in windows), key=lambda pair: pair[0])


MONTH_TERMS = frozenset(content_words(" ".join(MONTH_NAMES)))
"""The terms of the months' names: a question naming a month pins the fact down as a number does ("What was
inflation in December?" is not answered by January's figure)."""


def pins(term: str) -> bool:
    """Whether a question's term pins down which fact is asked (a number or a month), so that passages or a sentence
    that do not name it answer another question.

    >>> pins("2025"), pins("decemb"), pins("ostrevia")
    (True, True, False)
    """
    return is_number(term) or term in MONTH_TERMS


def _published_words(passage: Passage) -> str:
    """A passage's publication date as words a question may use: "2026-03-06" is "2026 03 06 March"."""
    parts = passage.published.split("-")
    month = MONTH_NAMES[int(parts[1]) - 1] if len(parts) > 1 and parts[1].isdigit() and 0 < int(parts[1]) < 13 else ""
    return f"{' '.join(parts)} {month}"


_DECADE = re.compile(r"(\d{3})0s")


MISSPELT_LENGTH = 5
"""Letters from which a name one edit from a word of the passages is taken for that word misspelt (`covers`):
shorter names one edit apart are as often two names ("mali", "male"; "iran", "iraq")."""

_NUMBER_NAMES = {str(value): content_words(word) for word, value in NUMBER_WORDS.items()}
"""A small number's digits -> its name as content words ("5" -> {"five"}): the question's "over 5 years" is the
article's "over five years"."""


def covers(words: set[str], term: str) -> bool:
    """Whether a text's `words` (its `content_words`) name a question's `term`: a decade ("1990s") is named by any
    year of it too, as an encyclopedia gives it ("Corner Pieces (1992–1999)"), a small number by its name, and a name
    of `MISSPELT_LENGTH` letters or more by a word one edit from it after the same first letter (`one_edit_apart`:
    the question misspells it; "russia" is another name than "prussia").

    >>> covers({"1992", "1999", "corner"}, "1990s"), covers({"1989"}, "1990s"), covers({"corner"}, "corner")
    (True, False, True)
    >>> covers({"over", "five", "year"}, "5"), covers({"over", "five", "year"}, "6")
    (True, False)
    >>> covers({"montcalm", "oswego"}, "moncalm"), covers({"prussia"}, "russia"), covers({"2024"}, "2025")
    (True, False, False)
    """
    if term in words or (term in _NUMBER_NAMES and _NUMBER_NAMES[term] <= words):
        return True
    if len(term) >= MISSPELT_LENGTH and not pins(term) and any(
            len(word) >= MISSPELT_LENGTH and word[0] == term[0] and one_edit_apart(term, word) for word in words):
        return True
    decade = _DECADE.fullmatch(term)
    return decade is not None and any(len(word) == 4 and word[:3] == decade.group(1) and word.isdigit()
                                      for word in words)


def uncovered_terms(question: str, passages: Sequence[Passage]) -> set[str]:
    """The question's specific terms that none of the passages (title, text or date) mentions.

    >>> ferry = Passage("a", "Ferry", "a.txt", "", "The ferry opened in 2024.", 0, 25, published="2024-05-03")
    >>> sorted(uncovered_terms("When did the Pine Island ferry open in 2024?", [ferry]))
    ['island', 'pine']
    """
    words: set[str] = set()
    parts: set[str] = set()
    for passage in passages:
        words |= content_words(" ".join((passage.title, passage.text, _published_words(passage))))
        parts |= period_parts(f"{passage.title}. {passage.text}")  # "second quarter" is the question's "q2"
    if not parts:  # "third-quarter revenue" may be "revenue in the quarter to September": no other quarter named
        words |= undated_parts(question)
    return {term for term in specific_terms(question) if not covers(words | parts, term)}


def off_topic(question: str, passages: Sequence[Passage]) -> bool:
    """Whether the passages miss what the question pins down: a number or a month it asks about (`pins`), most of
    its names, or the year it gives a thing (`dated_elsewhere`).

    >>> festival = Passage("f", "Harbour Lights festival", "f.html", "", "Staging it cost 310,000 euros.", 0, 30)
    >>> off_topic("How much did the Harbour Lights festival cost in 2025?", [festival])
    True
    >>> off_topic("How much did the Harbour Lights festival cost?", [festival])
    False
    >>> off_topic("How much did the Harbour Lights festival cost in December?", [festival])
    True
    >>> off_topic("How much did the Harbor Lihgts festival cost?", [festival])  # misspelt, still its names
    False
    >>> off_topic("How much did the 2025 Harbour Lights festival cost?", [festival])  # a year of another thing
    True
    """
    terms = specific_terms(question)
    missing = uncovered_terms(question, passages)
    names = [term for term in terms if not pins(term)]
    missing_names = [term for term in missing if not pins(term)]
    return (any(pins(term) for term in missing) or (bool(names) and len(missing_names) * 2 > len(names))
            or dated_elsewhere(question, passages) or measure_unsaid(question, passages))


MEASURE_WORDS: dict[str, frozenset[str]] = {
    "population": frozenset({"popul", "inhabit", "resid", "census"}),
    "revenue": frozenset({"revenu", "sale", "turnov", "incom"}),
    "turnover": frozenset({"turnov", "revenu", "sale", "incom"}),
    "attendance": frozenset({"attend", "crowd", "visitor", "spectat"}),
    "salary": frozenset({"salari", "wage", "pay", "paid", "earn"}),
    "wage": frozenset({"wage", "salari", "pay", "paid", "earn"}),
    "sentence": frozenset({"sentenc", "jail", "prison", "imprison", "custodi"}),
}
"""A figure asked of one of these measures (a question's noun, singular), and the words (stemmed) a report gives
it by."""

OTHER_MEASURES: dict[str, frozenset[str]] = {
    "population": frozenset({"employ", "employe", "staff", "worker", "member", "pupil", "student", "subscrib"}),
    "revenue": frozenset({"profit", "fare", "ticket", "budget", "spent", "spend"}),
    "turnover": frozenset({"profit", "fare", "ticket", "budget", "spent", "spend"}),
    "attendance": frozenset({"capac", "seat", "member"}),
    "salary": frozenset({"budget", "bonu", "pension", "fine", "spent", "spend"}),
    "wage": frozenset({"budget", "bonu", "pension", "fine", "spent", "spend"}),
    "sentence": frozenset({"trial", "hear", "inquest", "inquiri"}),
}
"""The words (stemmed) of other measures a passage gives a figure of instead: a company's staff is no town's
population, a year's profit no revenue, a trial's expected length ("expected to last two weeks") no prison
sentence. Only a passage saying one of these, and none of `MEASURE_WORDS`, answers another question: a missing word
alone is no other measure ("New York City had 8,175,133 people" is a population)."""

_TOTAL_WORDS = frozenset({"lost", "loss", "revenu", "budget", "spent", "spend", "damag"})
"""Words (stemmed) of a total a passage gives instead of a thing's price: a strike's lost fares are no ticket's."""

_FIGURE_QUESTION = re.compile(r"^\s*(?:what|how\s+(?:much|many|large|big|high|low|long))\b", re.IGNORECASE)
_MEASURE = re.compile(rf"\b(?P<measure>{'|'.join(MEASURE_WORDS)})(?:s|es)?\b", re.IGNORECASE)
_PRICED = re.compile(r"^\s*how\s+much\s+(?:(?:is|are|was|were|will\s+be)\s+(?:(?:a|an|the|one)\s+)?(?P<thing>[a-z]+"
                     r"(?:\s+[a-z]+)?)\s*(?:\?|$|\s+(?:in|at|for|on|now)\b)|(?:does|do|did|will)\s+(?:(?:a|an|the|one)\s+)?"
                     r"(?P<costing>[a-z]+(?:\s+[a-z]+)?)\s+cost\b)", re.IGNORECASE)
"""A price question and the thing it prices: "How much is a bus ticket in …?", "How much did the repairs cost?"."""


def measure_unsaid(question: str, passages: Sequence[Passage]) -> bool:
    """Whether a figure question asks for a measure (`MEASURE_WORDS`) or the price of a thing that no passage says,
    and a passage gives its figure as another measure (`OTHER_MEASURES`, `_TOTAL_WORDS`): its figures are of
    something else ("What is the population of Kestrel Haven?" over "The Kestrel Haven company
    employs 1,850 people"; "How much is a bus ticket?" over a strike's lost fares).

    >>> staff = Passage("s", "Dairy results", "s.txt", "", "The Kestrel Haven company employs 1,850 people.", 0, 47)
    >>> measure_unsaid("What is the population of Kestrel Haven?", [staff])
    True
    >>> measure_unsaid("How many people does the company employ?", [staff])
    False
    >>> fares = Passage("f", "Strike ends", "f.txt", "", "The strike cost 640,000 euros in lost fares.", 0, 44)
    >>> measure_unsaid("How much is a bus ticket in Kestrel Haven?", [fares])
    True
    >>> measure_unsaid("How much did the strike cost?", [fares]), measure_unsaid("How much is it?", [fares])
    (False, False)
    >>> measure_unsaid("What share of pupils attended private schools?", [staff])  # a verb, no measure
    False
    >>> trial = Passage("t", "Voss trial opens", "t.txt", "", "The trial is expected to last two weeks.", 0, 40)
    >>> measure_unsaid("How long was Marek Voss's sentence?", [trial])  # a trial's length is no prison term
    True
    >>> jailed = Passage("j", "Voss jailed", "j.txt", "", "Voss was jailed for three years after a trial.", 0, 47)
    >>> measure_unsaid("How long was Marek Voss's sentence?", [jailed])
    False
    >>> census = Passage("n", "New York City", "n.txt", "", "In 2010, New York City had 8,175,133 people.", 0, 44)
    >>> measure_unsaid("What was the population of New York in 2010?", [census])  # no other measure said
    False
    """
    if _FIGURE_QUESTION.match(question) is None:
        return False
    asked = [(MEASURE_WORDS[measure], OTHER_MEASURES[measure])
             for measure in (match.group("measure").lower() for match in _MEASURE.finditer(question))]
    priced = _PRICED.match(question)
    thing = (priced.group("thing") or priced.group("costing")) if priced else ""
    head = thing.split()[-1] if thing else ""
    priced_words = content_words(head) if not head.endswith("ing") else set()  # "is the state paying for …"
    if priced_words:  # (no "it" of "How much does it cost to …")
        asked.append((frozenset(priced_words), _TOTAL_WORDS - priced_words))
    if not asked:
        return False
    said = set().union(*(content_words(f"{passage.title} {passage.text}") for passage in passages))
    return any(not words & said and bool(others & said) for words, others in asked)


_DATED_THING = re.compile(r"\b(?:the|a|an|its|their|his|her|this|that|[A-Za-z]+['’]s)\s+"
                          r"(?P<year>(?:1[89]|20)\d\d)\s+(?P<thing>[A-Za-z][\w'’-]*(?:\s+[A-Za-z][\w'’-]*){0,4})",
                          re.IGNORECASE)
"""A thing a question gives a year ("the 2026 festival", "the 2025 folk festival", "the 2026 Kestrel Haven Folk
Festival"), after a determiner: "in 2009 regarding" gives nothing a year."""


_YEAR_NAME = re.compile(r"\b(?P<year>(?:1[89]|20)\d\d)\s+(?P<name>[A-Z][\w'’-]*(?:\s+(?:(?:of|for|on|and|&|the)\s+)*"
                        r"[A-Z][\w'’-]*)*)")
"""A year opening a name of capitalised words: "2024 Housing Review", "2026 Kestrel Haven Folk Festival"."""


def years_of_names(question: str, text: str) -> set[str]:
    """The years of the question's names that open with one ("the 2024 Housing Review") which `text` says as
    written, or with the year after the name ("Housing Review 2024"): the year is part of a name there (a title, a
    report's name), not a time the question asks about.

    >>> review = "Housing review urges rent cap. The 2024 Housing Review was published in March 2025."
    >>> years_of_names("What does the 2024 Housing Review recommend?", review)
    {'2024'}
    >>> years_of_names("What does the 2023 Housing Review recommend?", review)  # another edition
    set()
    >>> years_of_names("What did the 2024 Housing Review say?", "Ministers received the Housing Review 2024.")
    {'2024'}
    >>> years_of_names("What did the 2024 budget cut?", "The 2024 budget cut bus fares.")  # no name
    set()
    """
    years = set()
    for found in _YEAR_NAME.finditer(question):
        name = r"\s+".join(map(re.escape, found.group("name").split()))
        year = found.group("year")
        # as the question writes it, or with the year after the name ("the Housing Review 2024")
        if re.search(rf"(?<![\w-])(?:{year}\s+{name}|{name},?\s+{year})(?![\w-])", text, re.IGNORECASE):
            years.add(year)
    return years


@dataclass(frozen=True)
class _Thing:
    """The words naming a thing given a year: its other `words` (any one of them said: "the 2015 dock strike" is "a
    strike … in 2015"; "the 2022 Port Salvian diesel spill" is "In 2022 a tanker spilled … diesel", the port named
    elsewhere) or, when it has none, its `names` (capitalised words, all of them: "the 2026 Kestrel Haven Folk
    Festival" is not "Kestrel Haven town council published its draft budget for 2026")."""

    names: frozenset[str]
    words: frozenset[str]

    def said_by(self, words: set[str]) -> bool:
        return bool(self.words & words) if self.words else self.names <= words

    def named_in(self, words: set[str]) -> bool:
        """Whether `words` say the thing or a part of its name ("Kestrel Haven" of "Kestrel Haven Folk Festival")."""
        return bool(self.words & words) if self.words else bool(self.names & words)


def dated_thing(words: str) -> _Thing:
    """The thing named by the words after a year, up to the first word that has no content words, ends in a mark
    ("festival?"), or opens a name after a lower-case word ("dock strike cost Port Esker": a verb and its object).

    >>> sorted(dated_thing("Kestrel Haven Folk Festival?").names)
    ['festiv', 'folk', 'haven', 'kestrel']
    >>> sorted(dated_thing("dock strike cost Port Esker").words), sorted(dated_thing("in Paris").words)
    (['cost', 'dock', 'strike'], [])
    """
    names: set[str] = set()
    others: set[str] = set()
    for word in words.split():
        said = content_words(word)
        if not said or (word[:1].isupper() and others):
            break
        (names if word[:1].isupper() else others).update(said)
        if not word[-1].isalnum():
            break
    return _Thing(frozenset(names), frozenset(others))


def dated_elsewhere(question: str, passages: Sequence[Passage]) -> bool:
    """Whether the question gives a thing a year ("When is the 2026 festival?") and the passages name the thing but
    no paragraph of them (nor a title) says that year together with it: "Council publishes draft 2026 budget" over a
    paragraph on the festival's grant dates the budget, not the festival. A passage naming no year is about the year
    it was published in ("this year's festival", July 2025).

    >>> budget = Passage("b", "Draft 2026 budget", "b.md", "", "The draft budget for 2026 was published.\\n\\n"
    ...                  "It cuts the folk festival's grant.", 0, 80, published="2026-01-08")
    >>> [dated_elsewhere(f"When is the 2026 {thing}?", [budget]) for thing in ("festival", "budget vote")]
    [True, False]
    >>> revised = Passage("r", "Attendance revised", "r.md", "", "This year's festival drew 18,500.", 0, 33,
    ...                   published="2025-07-30")
    >>> dated_elsewhere("How many attended the 2025 festival?", [revised]), dated_elsewhere("When is it?", [budget])
    (False, False)
    >>> vote = Passage("v", "Vote postponed", "v.md", "", "The vote on the 2026 budget has been postponed.", 0, 47)
    >>> dated_elsewhere("When is the 2026 festival?", [vote]), dated_elsewhere("Who chose the 2026 motto?", [vote])
    (True, True)
    >>> film = Passage("f", "Chopin", "f.md", "", "The 1945 film A Song to Remember was about Chopin.", 0, 50)
    >>> dated_elsewhere("What was the 1945 movie about Chopin called?", [film])  # said another way
    False
    >>> review = Passage("h", "Review urges rent cap", "h.md", "", "The 2024 Housing Review was published on Monday."
    ...                  "\\n\\nIt recommends a cap on rents.", 0, 80, published="2025-03-10")
    >>> dated_elsewhere("What does the 2024 Housing Review recommend?", [review])  # the year is the name's
    False
    """
    said = set().union(*(content_words(f"{passage.title} {passage.text}") for passage in passages))
    named = set().union(*(years_of_names(question, f"{passage.title}. {passage.text}") for passage in passages))
    for match in _DATED_THING.finditer(question):
        thing = dated_thing(match.group("thing"))
        if not thing.names and not thing.words:
            continue
        year = match.group("year")
        if year in named:
            continue  # "the 2024 Housing Review" named as such: the year is the name's, whatever the question does
        if any(_says_together(passage, year, thing) for passage in passages):
            continue
        if thing.named_in(said):
            return True  # the thing (or a part of its name) said, but never with that year
        # A thing never said may be said another way ("the 1945 movie": "the 1945 film"), when the passages say
        # another word of the question ("Chopin"); with none, only the year links them to it.
        if not {word for word in content_words(question) if not pins(word)} & said:
            return True
    return False


def _says_together(passage: Passage, year: str, thing: _Thing) -> bool:
    """Whether a paragraph of `passage` or its title says `year` and `thing`, or the passage names no year, was
    published in `year` and says `thing`."""
    if not YEAR.search(f"{passage.title} {passage.text}"):
        return passage.published[:4] == year and thing.said_by(content_words(f"{passage.title} {passage.text}"))
    return any(year in words and thing.said_by(words)
               for words in map(content_words, (passage.title, *passage.text.split("\n\n"))))


def names_what_is_asked(question: str, passage: Passage, start: int, end: int) -> bool:
    """Whether the passage sentence `start`..`end`, read with the sentence before it, is about what the question
    pins down (its `specific_terms`) beyond what the passage's title and date already name: it names every number
    or month the question asks about (`pins`), and at least one of its other terms when there are any. The title's
    terms count as named (a sentence says "It" for the article's subject), but do not show that the sentence is
    about the fact asked for: "What area in modern-day Canada received Huguenot immigrants?" is not answered by a
    sentence of the article "Huguenot" about Amsterdam, though the article mentions Canada elsewhere (which
    `off_topic` reads).

    >>> text = "Huguenots fled to Amsterdam. The city gave them rights in 1705. Some reached Quebec in Canada."
    >>> huguenot = Passage("h", "Huguenot", "h.txt", "", text, 0, len(text))
    >>> question = "What area in modern-day Canada received Huguenot immigrants?"
    >>> names_what_is_asked(question, huguenot, 29, 63), names_what_is_asked(question, huguenot, 64, len(text))
    (False, True)
    >>> names_what_is_asked("When did the Huguenots get rights?", huguenot, 29, 63)
    True
    >>> names_what_is_asked("What did Amsterdam give the Huguenots in 1706?", huguenot, 29, 63)
    False
    >>> text = "The company employs about 2,600 people."
    >>> lumetric = Passage("l", "Lumetric chief quits", "l.txt", "", text, 0, len(text))
    >>> names_what_is_asked("How many staff does Lumetric Systems have?", lumetric, 0, len(text))
    True
    """
    topic = content_words(" ".join((passage.title, _published_words(passage))))
    # A name the title gives in part is the title's: "Lumetric Systems" in a story headed "Lumetric chief quits"
    topic |= {word for name in name_runs(question, skip_first=True) if topic.intersection(name) for word in name}
    terms = specific_terms(question) - topic
    if not terms:
        return True
    before = [span for span in split_sentences(passage.text[:start]) if span.end <= start][-1:]
    text = " ".join((*(passage.text[span.start:span.end] for span in before), passage.text[start:end]))
    read = content_words(text) | period_parts(text)
    return (all(covers(read, term) for term in terms if pins(term))
            and any(covers(read, term) for term in terms))


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


# A quotation spans at most this many answer sentences: while an answer streams, a sentence opening a quotation
# waits for its close only this long, so a stray quotation mark (55" wide) does not hold back the rest.
_QUOTATION_SENTENCES = 4


def _sentences_with_markers(text: str, final: bool = True) -> list[tuple[str, list[int]]]:
    """Answer sentences (markers removed) with the numbers they cite; a marker standing alone after a sentence's
    full stop belongs to that sentence, and a quotation of several sentences is one claim (its marker goes after
    the closing quotation mark, never inside it: '"No options left [1]. Costs are up." [1]'). A quotation is one
    claim only when a later sentence (within `_QUOTATION_SENTENCES`) closes it: a stray mark joins nothing. Unless
    `final`, a quotation that may still close is merged with the rest of `text` as its last, unfinished sentence.

    >>> _sentences_with_markers('It was adopted [1]. He said: "We have no options left. Costs are up."')
    [('It was adopted.', [1]), ('He said: "We have no options left. Costs are up."', [])]
    >>> _sentences_with_markers('It is 55" wide [1]. It costs 500 euros [2].')
    [('It is 55" wide.', [1]), ('It costs 500 euros.', [2])]
    """
    pieces: list[tuple[str, list[int]]] = []
    for span in split_sentences(text):
        piece = text[span.start:span.end]
        numbers = [number for marker in parse_markers(piece) for number in marker.numbers]
        claim = strip_markers(piece)
        if not re.search(r"\w", claim):
            if pieces:
                pieces[-1][1].extend(numbers)
            continue
        pieces.append((claim, numbers))
    result: list[tuple[str, list[int]]] = []
    index = 0
    while index < len(pieces):
        end = index + 1
        if open_quotation(pieces[index][0]):
            later = range(index + 1, min(index + _QUOTATION_SENTENCES, len(pieces)))
            closing = next((position for position in later if _closes_quotation(pieces[position][0])), None)
            if closing is not None:
                end = closing + 1
            elif not final and len(pieces) - index <= _QUOTATION_SENTENCES:
                end = len(pieces)  # the quotation may still close in what the model writes next
        result.append((" ".join(claim for claim, _ in pieces[index:end]),
                       [number for _, numbers in pieces[index:end] for number in numbers]))
        index = end
    return result


def open_quotation(text: str) -> bool:
    """Whether `text` leaves a quotation open: an odd number of straight double quotes, or more opening curly
    quotes than closing ones (single quotes are also apostrophes, and are not counted).

    >>> open_quotation('He said: "We have no options left.'), open_quotation('"Costs are up," he said.')
    (True, False)
    """
    return text.count('"') % 2 == 1 or text.count("“") > text.count("”")


_QUOTATION = re.compile(r'"(?P<straight>[^"]+)"|“(?P<curly>[^”]+)”')


def misquotes(claim: str, passage: Passage, question: str = "") -> bool:
    """Whether a claim puts words in quotation marks that the passage (title included) and the question do not
    hold: a quotation claims the passage's very words, so a made-up one is not backed by the rest of the sentence
    being there. A small model wrote 'The title of Dr Priya Nandakumar is "Vaccine: Measles, flu and shingles"',
    citing a measles story that never says "flu" or "shingles"; its other words were the passage's. The whole
    passage is read, not a window: a quotation may run over several sentences.

    >>> measles = Passage("m", "Measles cases rise", "m.md", "", "Dr Nandakumar urged parents to check vaccine "
    ...                   'records. "Measles is not a mild illness," she said.', 0, 90)
    >>> misquotes('Her title is "Vaccine: Measles, flu and shingles" [1].', measles)
    True
    >>> misquotes('She said: "Measles is not a mild illness." [1]', measles), misquotes("She urged parents.", measles)
    (False, False)
    """
    quoted = " ".join(match.group("straight") or match.group("curly") for match in _QUOTATION.finditer(claim))
    return bool(content_words(quoted) - content_words(f"{passage.title} {passage.text} {question}"))


def _closes_quotation(text: str) -> bool:
    """Whether `text`, a sentence after one that opens a quotation, closes it.

    >>> _closes_quotation('Costs are up."'), _closes_quotation('He said "yes" too.'), _closes_quotation('Up.”')
    (True, False, True)
    """
    return text.count('"') % 2 == 1 or text.count("”") > text.count("“")


class AnswerCheck:
    """A model's answer checked one sentence at a time, as it is written, so that only sentences that passed are
    ever shown (`feed` returns them, with their final citation numbers); `result()` is the checked answer.

    A sentence passes when a passage it may cite backs it (`best_window` from `SUPPORT_THRESHOLD` up, in
    `SUPPORT_WINDOW` adjacent sentences), the backing window names the kind of thing the question asks for as the
    sentence does (`AnswerKinds.names_what_was_asked`: the sentence's entities of the wanted kind are the window's;
    `kinds`, the tagger's reading, types nothing when not given). With `agreeing` (the passages the evidence found
    without the model comes from) and `every`, a sentence must cite one of those passages: base models cite a
    passage for a claim assembled from its words. Without `every` (chat models), the answer as a whole must cite
    one of them, or `result()` is unsupported. An uncited or wrongly cited sentence is attributed to the passage
    that backs it best; a sentence nothing backs is dropped. Citations are numbered 1, 2, … in order of first use.
    `allowed`, when given, are the passage indexes that may be cited at all; `known`, a follow-up's previous
    question (what it already names does not answer this one); `evidence` (found for `question` over `retrieved`,
    the passages the shown ones are taken from), the sentences already scored: a citation's quoted sentences come
    from it rather than from the scorer reading the same (question, sentence) pairs again.

    This is the one check of a model's answer: `Assistant.stream` feeds it as the model writes, `check_answer`
    feeds it a whole answer at once.
    """

    def __init__(self, passages: Sequence[Passage], question: str, scorer: SentenceScorer | None = None, *,
                 agreeing: Collection[Passage] = (), every: bool = False, allowed: Collection[int] | None = None,
                 threshold: float = SUPPORT_THRESHOLD, known: str = "", evidence: Evidence | None = None,
                 retrieved: Sequence[Passage] = (), kinds: AnswerKinds | None = None) -> None:
        self.passages = list(passages)
        self.question = question
        self.known = known  # a follow-up's previous question: what it names is not an answer to this one
        self.scorer = scorer or WordOverlap()
        self.agreeing = list(agreeing)
        self.every = every
        self.allowed = set(range(len(self.passages))) if allowed is None else set(allowed)
        self.threshold = threshold
        self.kinds = kinds or AnswerKinds()
        # Only when the evidence was scored for this very question text: the scores must be the ones a fresh
        # scoring gives (a two-part question, or one whose time phrase was searched, was scored part by part or
        # without the phrase, and is scored afresh here, as before).
        self.ranked = ranked_spans(evidence, retrieved, question) if evidence is not None else {}
        self.kept: list[tuple[str, list[int]]] = []  # claim, passage indexes
        self.dropped: list[str] = []
        self.renumber: dict[int, int] = {}
        self._checked = 0

    def feed(self, text: str, final: bool = False) -> list[str]:
        """Check the sentences of `text` (all the model has written so far) that are complete and not checked
        yet; the last one counts as complete only when `final`. Returns the sentences that passed, as shown."""
        sentences = _sentences_with_markers(text.strip(), final)
        complete = sentences if final else sentences[:-1]
        shown = []
        for claim, numbers in complete[self._checked:]:
            cited = self._cited(claim, numbers)
            if not cited:
                self.dropped.append(claim)
                continue
            self.kept.append((claim, cited))
            for index in cited:
                self.renumber.setdefault(index, len(self.renumber) + 1)
            shown.append(_with_markers(claim, [self.renumber[index] for index in cited]))
        self._checked = max(self._checked, len(complete))
        return shown

    def result(self) -> Checked:
        agrees = not self.agreeing or any(self.passages[index] in self.agreeing for _, cited in self.kept
                                          for index in cited)
        if not self.kept or not agrees:
            return Checked("", (), False, tuple(self.dropped))
        text = " ".join(_with_markers(claim, [self.renumber[i] for i in cited]) for claim, cited in self.kept)
        citations = []
        for index, number in self.renumber.items():
            claims = " ".join(claim for claim, cited in self.kept if index in cited)
            passage = self.passages[index]
            citations.append(_citation(number, passage, claims, self.question, self.scorer, self.ranked.get(passage)))
        return Checked(text, tuple(citations), True, tuple(self.dropped))

    def _cited(self, claim: str, numbers: Sequence[int]) -> list[int]:
        backing = {index: best_window(claim, self.passages[index], self.question) for index in self.allowed}
        passing = {index for index, (score, window) in backing.items()
                   if score >= self.threshold and not misquotes(claim, self.passages[index], self.question)
                   and self.kinds.names_what_was_asked(claim, window, self.question, self.known)}
        if self.agreeing and self.every:
            passing = {index for index in passing if self.passages[index] in self.agreeing}
        cited = [number - 1 for number in dict.fromkeys(numbers) if number - 1 in passing]
        if not cited and passing:
            cited = [max(sorted(passing), key=lambda index: backing[index][0])]
        return cited


def check_answer(model_text: str, passages: Sequence[Passage], question: str, scorer: SentenceScorer | None = None,
                 threshold: float = SUPPORT_THRESHOLD, kinds: AnswerKinds | None = None) -> Checked:
    """Verify a whole answer against the numbered passages it was given (passage i is number i + 1): `AnswerCheck`
    fed the whole text at once (what replaying a stored model output uses).

    >>> passages = [Passage("a", "Ferry", "a.txt", "", "The ferry opened on 3 May.", 0, 26),
    ...             Passage("b", "Library", "b.txt", "", "The library budget is 4 million.", 0, 32)]
    >>> checked = check_answer("It opened on 3 May [2]. It has 9 boats [7].", passages, "When did the ferry open?")
    >>> checked.text, [c.passage.article_id for c in checked.citations], checked.dropped_sentences
    ('It opened on 3 May [1].', ['a'], ('It has 9 boats.',))
    """
    check = AnswerCheck(passages, question, scorer, threshold=threshold, kinds=kinds)
    check.feed(model_text, final=True)
    return check.result()


def quoted_answer(evidence: Evidence, passages: Sequence[Passage], scorer: SentenceScorer,
                  kinds: AnswerKinds | None = None) -> Checked:
    """When the model's answer cannot be backed: quote, for each part of the question, the sentence that answers
    it best, if it holds the kind of thing asked for (`kinds`: a who-question is not answered by a sentence that
    names no person or organisation, only when something happened) and is about what the part pins down
    (`names_what_is_asked`: a sentence about Amsterdam answers nothing about Canada); a quote that fails either
    answers nothing, and the caller refuses instead. Unsupported when no part has such a sentence.

    >>> from rag.answer.evidence import find_evidence
    >>> from rag.models.entities import PhraseTagger
    >>> kinds = AnswerKinds(PhraseTagger({"3 May": "DATE"}))
    >>> passages = [Passage("a", "Ferry", "a.txt", "", "Boats came. The ferry opened on 3 May.", 0, 38)]
    >>> evidence = find_evidence(["When did the ferry open?"], passages, WordOverlap(kinds=kinds))
    >>> quoted_answer(evidence, passages, WordOverlap(kinds=kinds), kinds).text
    'The articles say: "The ferry opened on 3 May." [1]'
    >>> who = find_evidence(["Who built the ferry?"], passages, WordOverlap(kinds=kinds))
    >>> quoted_answer(who, passages, WordOverlap(kinds=kinds), kinds).supported
    False
    >>> elsewhere = find_evidence(["When did the Pine Island ferry open?"], passages, WordOverlap(kinds=kinds))
    >>> quoted_answer(elsewhere, passages, WordOverlap(kinds=kinds), kinds).supported
    False
    """
    kinds = kinds or AnswerKinds()
    citations: list[Citation] = []
    quotes: list[str] = []
    for part, best in zip(evidence.parts, evidence.best, strict=False):
        passage = passages[best.passage_index]
        quote = " ".join(passage.text[best.start:best.end].split())
        if (not kinds.fits(part, quote) or not names_what_is_asked(part, passage, best.start, best.end)
                or any(f'"{quote}"' in shown for shown in quotes)):
            continue
        number = next((citation.number for citation in citations if citation.passage == passage), 0)
        if not number:
            number = len(citations) + 1
            # The part's sentences of this passage, as the evidence scored them: not scored again.
            spans = best_spans(passage, part, scorer, first=(best.start, best.end),
                               ranked=ranked_spans(evidence, passages, part)[passage])
            score = round(min(max(best.score, 0.0), 1.0), 4)
            citations.append(Citation(number, passage, quote, best.start, best.end, score, spans))
        quotes.append(f'"{quote}" [{number}]')
    if not quotes:
        return Checked("", (), False)
    return Checked(QUOTED_OPENING + " ".join(quotes), tuple(citations), True)


def _with_markers(claim: str, numbers: list[int]) -> str:
    markers = "".join(f"[{number}]" for number in numbers)
    body = claim.rstrip()
    ending = ""
    if body and body[-1] in ".!?":
        body, ending = body[:-1].rstrip(), body[-1]
    return f"{body} {markers}{ending}"


def _citation(number: int, passage: Passage, claims: str, question: str, scorer: SentenceScorer,
              ranked: Sequence[tuple[int, int]] | None = None) -> Citation:
    start, end, score = best_sentence(passage.text, claims, question)
    spans = best_spans(passage, question, scorer, first=(start, end), ranked=ranked)
    return Citation(number, passage, " ".join(passage.text[start:end].split()), start, end, score, spans)
