"""Comparisons of two named things: "Which magazine was started first, Arthur's Magazine or First for Women?" needs
a passage about each. `comparison_plan` asks the question of each thing alone, in the question's own words ("When
was Arthur's Magazine started?", "How many members does Muse have?"); the assistant (`rag.answer.assistant`) answers
the two parts as a two-part question's; `comparison_text` names the winner first when both answers hold a year or a
number (`measure`): "Arthur's Magazine was started first: 1844 [1], against 1989 [2]." A yes/no comparison ("Were
Scott Derrickson and Ed Wood of the same nationality?") asks each thing's value ("What nationality was Scott
Derrickson?") and says whether the two short answers name the same ("Yes: both American [1], [2].").

Pure functions only: no model here.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from rag.answer.hops import AUXILIARIES
from rag.answer.prompts import CANNOT_ANSWER, QUOTED_OPENING, strip_markers
from rag.text import content_words

_COMPARISON = re.compile(r"(?P<head>(?:which|who|what)\b[^,]*?)\s*,\s*(?P<first>[^,]+?)\s+or\s+(?P<second>[^,]+?)"
                         r"\s*\?*\s*$", re.IGNORECASE)
"""A comparison: a "which"/"who" question, a comma, then the two things compared, "A or B"."""

EARLIER = frozenset({"first", "earlier", "older", "oldest", "earliest", "sooner", "before"})
LATER = frozenset({"later", "younger", "youngest", "latest", "last", "newer", "newest", "after"})
MORE = frozenset({"more", "most", "larger", "bigger", "greater", "higher", "longer", "taller", "heavier", "wider",
                  "deeper"})
FEWER = frozenset({"fewer", "less", "least", "smaller", "lower", "shorter", "lighter", "narrower", "shallower"})
MEASURED = {"larger": "large", "bigger": "big", "greater": "great", "higher": "high", "longer": "long",
            "taller": "tall", "heavier": "heavy", "wider": "wide", "deeper": "deep", "smaller": "small",
            "lower": "low", "shorter": "short", "lighter": "light", "narrower": "narrow", "shallower": "shallow"}
"""Comparatives asked of a measure ("Which is taller, …?"), with the adjective its part asks "How … is" with."""

INTRANSITIVE = {"died": "die", "began": "begin", "ended": "end", "started": "start", "arrived": "arrive",
                "happened": "happen", "occurred": "occur", "finished": "finish", "retired": "retire"}
"""Past tenses of verbs that take no object, said with "did" in a part ("Who died first" → "When did A die?"; not
"When was A died?"), with their base forms."""

PAST_PARTICIPLES = {"came": "come", "began": "begun", "became": "become", "went": "gone", "won": "won",
                    "wrote": "written", "grew": "grown", "rose": "risen", "ran": "run", "took": "taken",
                    "made": "made", "sold": "sold", "had": "had", "gave": "given", "held": "held", "led": "led",
                    "built": "built", "broke": "broken", "flew": "flown", "sang": "sung", "saw": "seen"}
"""Past tenses whose participle differs or does not end in -ed: the verb of a part asked in the perfect ("How many
albums *has* A *released*?") or the passive ("When was A *begun*?")."""

NUMBER_WORDS = {"one": 1, "two": 2, "three": 3, "four": 4, "five": 5, "six": 6, "seven": 7, "eight": 8, "nine": 9,
                "ten": 10, "eleven": 11, "twelve": 12}


@dataclass(frozen=True)
class ComparisonPlan:
    """A question comparing two named things: `entities` ("Arthur's Magazine", "First for Women"), one part question
    per entity (`parts`: "When was Arthur's Magazine started?"), `claim`, what the question says of the one that
    wins ("was started first"), and how the parts' answers decide: by year (`by_year`) and whether the smaller
    value wins (`smaller_wins`: first, older; not younger, more)."""

    question: str
    entities: tuple[str, str]
    parts: tuple[str, str]
    claim: str
    by_year: bool
    smaller_wins: bool
    same: str = ""
    """For a yes/no question asking whether both have the same <noun> ("nationality"): the noun; the answers'
    values are compared, not ranked."""

    def winner(self, values: tuple[float, float]) -> int | None:
        """Which entity wins with these values (0 or 1), None on a tie.

        >>> comparison_plan("Which was started first, Arthur's Magazine or First for Women?").winner((1844, 1989))
        0
        """
        if values[0] == values[1]:
            return None
        return int((values[1] < values[0]) == self.smaller_wins)


def comparison_plan(question: str) -> ComparisonPlan | None:
    """The two parts of a question comparing two named things ("Which …first/older/more…, A or B?"), each asked of
    one of them in the question's own words, or None when the question compares nothing so.

    >>> plan = comparison_plan("Which magazine was started first, Arthur's Magazine or First for Women?")
    >>> plan.entities, plan.claim
    (("Arthur's Magazine", 'First for Women'), 'was started first')
    >>> plan.parts
    ("When was Arthur's Magazine started?", 'When was First for Women started?')
    >>> comparison_plan("Who was born first, Ada Lovelace or Alan Turing?").parts[1]
    'When was Alan Turing born?'
    >>> comparison_plan("Which band has more members, Muse or Queen?").parts[0]
    'How many members does Muse have?'
    >>> comparison_plan("Who is older, Annie Morton or Terry Richardson?").parts[0]
    'When was Annie Morton born?'
    >>> comparison_plan("Which came out first, Dune or Alien?").parts[0], comparison_plan("Tea or coffee?")
    ('When did Dune come out?', None)
    >>> plan = comparison_plan("Which film was released more recently, Dune or Alien?")
    >>> plan.parts[0], plan.claim, plan.smaller_wins
    ('When was Dune released?', 'was released later', False)
    """
    match = _COMPARISON.fullmatch(question.strip())
    if match is None:
        return same_plan(question)
    entities = (match.group("first").strip(" \"'"), match.group("second").strip(" \"'"))
    # "more recently" is "later": a year decides, as for "Which was released later"
    words = re.sub(r"\bmore recent(?:ly)?\b", "later", match.group("head"), flags=re.IGNORECASE).split()
    person = words[0].lower() == "who"
    verb = next((index for index, word in enumerate(words[1:], start=1)
                 if word.lower() in AUXILIARIES or word.lower().endswith("ed") or word.lower() in PAST_PARTICIPLES),
                None)
    comparative = next((index for index, word in enumerate(words) if word.lower() in EARLIER | LATER | MORE | FEWER),
                       None)
    if verb is None or comparative is None or comparative < verb or not all(entities):
        return None
    claim = " ".join(words[verb:])
    asked = [_part(words, verb, comparative, entity, person) for entity in entities]
    if asked[0] is None or asked[1] is None:
        return None
    word = words[comparative].lower()
    by_year = word in EARLIER | LATER
    smaller_wins = word in EARLIER | FEWER
    return ComparisonPlan(question, entities, (asked[0], asked[1]), claim, by_year, smaller_wins)


def _part(words: list[str], verb: int, comparative: int, entity: str, person: bool) -> str | None:
    """The question a comparison asks of one `entity`, from the comparison's `words` (its verb at `verb`, its
    comparative at `comparative`): "When was A started?", "How many members does A have?", "How tall is A?".

    >>> _part("Which magazine was started first".split(), 2, 4, "Dune", False)
    'When was Dune started?'
    >>> _part("Who died first".split(), 1, 2, "Ada Lovelace", True)
    'When did Ada Lovelace die?'
    >>> _part("Who has won more Grand Slam titles".split(), 1, 3, "Serena Williams", True)
    'How many Grand Slam titles has Serena Williams won?'
    """
    auxiliary = words[verb].lower() if words[verb].lower() in AUXILIARIES else ""
    between = [word for word in words[verb + 1 if auxiliary else verb:comparative] if word.lower() != "the"]
    after = words[comparative + 1:]
    word = words[comparative].lower()
    if not auxiliary and between:  # "Which band formed first": the past tense said in the passive or the perfect
        between = [PAST_PARTICIPLES.get(between[0].lower(), between[0]), *between[1:]]
    if word in EARLIER | LATER:
        if not between:  # "Which is older": a person's birth, a thing's founding
            return f"When was {entity} {'born' if person else 'founded'}?"
        if not auxiliary and words[verb].lower() in INTRANSITIVE:  # "Who died first": "When did A die?"
            return f"When did {entity} {' '.join((INTRANSITIVE[words[verb].lower()], *between[1:]))}?"
        if not auxiliary and words[verb].lower() in PAST_PARTICIPLES and len(between) > 1:  # "came out"
            base = {"come": "come", "begun": "begin", "become": "become", "gone": "go"}.get(between[0], between[0])
            return f"When did {entity} {' '.join((base, *between[1:]))}?"
        return f"When {auxiliary or 'was'} {entity} {' '.join(between)}?"
    if word in MEASURED and not after and not between:  # "Which is taller": not "Who lived longer" (no measure)
        return f"How {MEASURED[word]} {auxiliary or 'is'} {entity}?"
    if word in MORE | FEWER and after:
        if not between and auxiliary in {"has", "have", "had"}:
            return f"How many {' '.join(after)} {'did' if auxiliary == 'had' else 'does'} {entity} have?"
        if between:
            return f"How many {' '.join(after)} {auxiliary or 'has'} {entity} {' '.join(between)}?"
    return None


_SAME = re.compile(r"(?P<verb>are|were|is|was)\s+(?P<first>.+?)\s+and\s+(?P<second>.+?)\s+"
                   r"(?:(?:both\s+)?of\s+|from\s+)?the\s+same\s+(?P<noun>[a-z][\w-]*(?:\s+[a-z][\w-]*)?)\s*\?*\s*$",
                   re.IGNORECASE)
"""A yes/no question on whether two named things share a value: "Were A and B of the same nationality?"."""


def same_plan(question: str) -> ComparisonPlan | None:
    """The two parts of a yes/no question asking whether two named things have the same <noun> (one part asking
    each thing's value), or None when the question is no such question.

    >>> plan = same_plan("Were Scott Derrickson and Ed Wood of the same nationality?")
    >>> plan.entities, plan.parts, plan.same
    (('Scott Derrickson', 'Ed Wood'), ('What nationality was Scott Derrickson?', 'What nationality was Ed Wood?'), \
'nationality')
    >>> same_plan("Are the Harlow Review and Tin Lantern from the same city?").parts[0]
    'What city is the Harlow Review from?'
    >>> same_plan("Were they the same?") is None, same_plan("Is the sky blue?") is None
    (True, True)
    """
    match = _SAME.fullmatch(question.strip())
    if match is None:
        return None
    entities = (match.group("first").strip(" \"'"), match.group("second").strip(" \"'"))
    if not all(entity[:1].isupper() or entity.lower().startswith("the ") for entity in entities):
        return None  # "they", "both": no things named
    verb = {"are": "is", "were": "was"}.get(match.group("verb").lower(), match.group("verb").lower())
    noun = match.group("noun")
    origin = " from" if re.search(r"\bfrom\s+the\s+same\b", question, re.IGNORECASE) else ""
    parts = tuple(f"What {noun} {verb} {entity}{origin}?" for entity in entities)
    return ComparisonPlan(question, entities, (parts[0], parts[1]), f"the same {noun}", False, False, noun)


def same_opening(plan: ComparisonPlan, answers: tuple[str, str], markers: tuple[int, int]) -> str:
    """Whether the two short answers of a yes/no comparison (`same_plan`) name the same value: "Yes: both …" or
    "No: …, against …"; "" when either is no short answer (a quote, a refusal, over `SHORT_VALUE` words) to compare.

    >>> plan = same_plan("Were Scott Derrickson and Ed Wood of the same nationality?")
    >>> same_opening(plan, ("American [1].", "He was an American filmmaker [2]."), (1, 2))
    'Yes: both American [1], [2].'
    >>> same_opening(plan, ("American [1].", "British [2]."), (1, 2))
    'No: Scott Derrickson American [1], against Ed Wood British [2].'
    """
    if any(answer.strip().startswith((QUOTED_OPENING, CANNOT_ANSWER)) for answer in answers):
        return ""
    values = [strip_markers(answer).rstrip(" .") for answer in answers]
    if any(not value or len(value.split()) > SHORT_VALUE for value in values):
        return ""
    named = content_words(" ".join(plan.entities)) | content_words(plan.same)
    said = [content_words(value) - named for value in values]
    if not said[0] or not said[1]:
        return ""
    if said[0] & said[1]:
        shared = next(word for word in values[0].split() if content_words(word) & said[1])
        return f"Yes: both {shared} [{markers[0]}], [{markers[1]}]."
    return (f"No: {plan.entities[0]} {values[0]} [{markers[0]}], against {plan.entities[1]} {values[1]} "
            f"[{markers[1]}].")


SHORT_VALUE = 6
"""Words at most in an answer compared as a value ("American", "an American filmmaker")."""


@dataclass(frozen=True)
class Measure:
    """A value a comparison's part answer holds: the number compared and how the answer writes it."""

    value: float
    shown: str


def measure(text: str, by_year: bool) -> Measure | None:
    """The year (`by_year`) or else the first number an answer holds, None without one.

    >>> measure("It was first published in January 1844 [1].", True)
    Measure(value=1844.0, shown='1844')
    >>> measure("The band has 1,200 members [2].", False), measure("Five members [1].", False).value
    (Measure(value=1200.0, shown='1,200'), 5.0)
    >>> measure("In the spring [1].", True) is None
    True
    """
    words = "|".join(NUMBER_WORDS)
    pattern = r"\b(?:1\d{3}|20\d{2})\b" if by_year else rf"\b\d[\d,]*(?:\.\d+)?\b|\b(?:{words})\b"
    found = re.search(pattern, strip_markers(text), re.IGNORECASE)
    if found is None:
        return None
    shown = found.group(0)
    return Measure(float(NUMBER_WORDS.get(shown.lower(), 0) or shown.replace(",", "")), shown)


def comparison_opening(plan: ComparisonPlan, answers: tuple[str, str], markers: tuple[int, int]) -> str:
    """The sentence naming the winner of a comparison from the two parts' answers (`markers`: the number each
    answer cites), or "" when they hold nothing comparable (no year or number, or the same).

    >>> plan = comparison_plan("Which magazine was started first, Arthur's Magazine or First for Women?")
    >>> comparison_opening(plan, ("1844 [1].", "First for Women was started in 1989 [2]."), (1, 2))
    "Arthur's Magazine was started first: 1844 [1], against 1989 [2]."
    >>> comparison_opening(plan, ("1844 [1].", "In the spring [2]."), (1, 2))
    ''
    """
    if plan.same:
        return same_opening(plan, answers, markers)
    first, second = (measure(answer, plan.by_year) for answer in answers)
    if first is None or second is None:
        return ""
    winner = plan.winner((first.value, second.value))
    if winner is None:
        return ""
    won, lost = (first, second) if winner == 0 else (second, first)
    name = plan.entities[winner]
    return (f"{name[0].upper()}{name[1:]} {plan.claim}: {won.shown} [{markers[winner]}], against "
            f"{lost.shown} [{markers[1 - winner]}].")


def comparison_text(plan: ComparisonPlan, answers: tuple[str, str], markers: tuple[int, int], joined: str) -> str:
    """A comparison's answer: the sentence naming the winner (`comparison_opening`), then the parts' joined answers
    (`joined`) but for sentences saying nothing it does not ("1844 [1]."); `joined` alone when there is no winner.

    >>> plan = comparison_plan("Which magazine was started first, Arthur's Magazine or First for Women?")
    >>> comparison_text(plan, ("1844 [1].", "It was started in 1989 by Bauer [2]."), (1, 2),
    ...                 "1844 [1]. It was started in 1989 by Bauer [2].")
    "Arthur's Magazine was started first: 1844 [1], against 1989 [2]. It was started in 1989 by Bauer [2]."
    """
    opening = comparison_opening(plan, answers, markers)
    if not opening:
        return joined
    said = content_words(opening)
    kept = [sentence for sentence in re.split(r"(?<=[.!?])\s+(?=[A-Z0-9\"'])", joined)
            if content_words(strip_markers(sentence)) - said]
    return " ".join((opening, *kept))
