"""Two-hop questions: a question that names what it asks about only by a description of it ("Where was the one who
led the Normans crowned?") needs that thing found first (the bridge: Rollo), then the question asked of it.

`hop_plan` reads the description (a relative clause after "the one", "the city", "the American actor"…: "the one
who led the Normans"; or a role of something named: "the director of the film Big Stone Gap") and plans the two
hops: the first asks for what it describes (`HopPlan.first`: "Who led the Normans?"), the second is
the question with the bridge named (`HopPlan.second("Rollo")`: "Where was Rollo crowned?"). `bridge_sentence` says
the first hop as the answer's opening ("Rollo led the Normans [1]."), and `renumbered` moves the second hop's
markers after it. The assistant (`rag.answer.assistant`) runs the hops: the span reader finds the bridge in the
first hop's evidence, the second hop is answered as any question is (its sentences checked, its quotes checked),
and the two are joined only when the second cites a passage the first does not (the question needed both); else
the question is answered in one hop, as before.

Comparisons of two named things ("Which was started first, A or B?") are `rag.answer.comparisons`'.

Pure functions only: no model here.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass

from rag.answer.prompts import MARKER
from rag.text import STOP_WORDS, content_words

_DESCRIPTION = re.compile(r"[Tt]he\s+(?P<modifiers>(?:(?:[A-Z][a-z]+|\d{4}|[a-z]+(?:-[a-z]+)?)\s+){0,3}?)"
                          r"(?P<noun>[a-z]+)\s+(?P<relative>who|that|which)\s+(?P<clause>\S.*?)\s*\??\s*$")
"""A description: "the", up to three modifiers ("American", "1995", "English rock"), and a common noun (lower case:
not a name) with a relative clause running to the end of the question (where it really ends is decided by
`_clause_end`)."""

NOT_MODIFIERS = frozenset({"first", "second", "third", "last", "only", "same", "other", "next", "previous", "main",
                           "one", "ones", "former", "latter", "following", "above"})
"""Words before a noun that pick one thing out by order or sameness ("the first person who…", "the only one that…"):
such a description is what a one-hop question asks about, not a bridge; and "the one" is a noun of its own."""

ROLES = frozenset({"director", "author", "writer", "founder", "co-founder", "creator", "singer", "star", "owner",
                   "captain", "president", "father", "mother", "wife", "husband", "son", "daughter", "brother",
                   "sister", "producer", "composer", "frontman", "vocalist", "screenwriter", "coach", "designer",
                   "architect", "inventor", "narrator", "presenter", "host", "editor", "publisher", "developer",
                   "chairman", "ceo", "manager", "head", "leader", "illustrator", "novelist", "poet", "playwright",
                   "drummer", "guitarist", "bassist", "lyricist", "protagonist"})
"""People a description "the <role> of <something named>" picks out ("the director of the film Big Stone Gap"); lower
case only: "the President of Warsaw" is a title the articles name as such."""

NAME_JOINERS = frozenset({"of", "the", "and", "de", "in", "for", "a", "an", "on", "to", "&"})
"""Lower-case words inside a name ("Kiss and Tell", "Lord of the Rings"): part of it only between capitalised words."""

ASKING = re.compile(r"\b(?:what|which|how many|how much)\s+\w", re.IGNORECASE)
"""What a question opened by a description must still ask ("… is based in *what New York* city?"): "The one who
led the Normans was who?" asks for the description itself."""

COPULAS = frozenset({"is", "was", "are", "were"})

PREPOSITIONS = frozenset({"from", "through", "across", "after", "before", "during", "within", "without", "upon",
                          "among", "between", "behind", "beyond", "toward", "towards", "near", "since", "until"})
"""Words the stop words leave out that end a noun phrase ("the census *from* which"), never its noun."""

PEOPLE = frozenset({"one", "person", "people", "man", "woman", "men", "women", "group", "ruler", "leader", "king",
                    "queen", "player", "team", "scientist", "writer", "author", "company", "organisation",
                    "organization"})
"""Nouns whose description is asked for with "who" (a person or a body acting)."""

NOT_A_THING = frozenset({"fact", "way", "amount", "number", "time", "times", "reason", "extent", "degree", "point",
                         "idea", "view", "belief", "claim", "notion", "hope", "case", "same", "most", "only",
                         "first", "last", "name", "kind", "type", "sort", "part", "percentage", "rate", "year",
                         "day", "period", "concept", "conclusion", "probability", "condition", "principle",
                         "understanding", "assumption", "statement", "theory", "argument"})
"""Nouns whose clause says what is meant rather than which thing ("the fact that…", "the year that…"): no bridge."""

AUXILIARIES = frozenset({"did", "does", "do", "was", "were", "is", "are", "has", "have", "had", "can", "could",
                         "will", "would", "should", "may", "might"})
FINITE = frozenset({"was", "were", "is", "are", "has", "had", "did", "does"})
"""A verb that, after the clause's first word, starts the main clause again ("the one who first described it *was*
associated with…")."""


@dataclass(frozen=True)
class HopPlan:
    """The two hops of a question that names its subject by a description: `first` asks for the thing described
    (the bridge), `second(bridge)` is the question with it named; `clause` is what the description says of it
    ("led the Normans"), `start:end` where the description is in `question`."""

    question: str
    first: str
    clause: str
    start: int
    end: int

    def second(self, bridge: str) -> str:
        """The question with the description replaced by the bridge.

        >>> hop_plan("Where was the one who led the Normans crowned?").second("Rollo")
        'Where was Rollo crowned?'
        """
        return f"{self.question[:self.start]}{bridge}{self.question[self.end:]}"


def _clause_end(words: list[str], after_auxiliary: bool) -> int:
    """How many of the clause's `words` belong to it: up to a second finite verb (the main clause going on), else,
    when the description is the subject after an auxiliary ("Where *was* the one who … crowned?"), all but the main
    verb that closes the question (with "to" and "used to" before it), else all.

    >>> _clause_end("first described dynamic equilibrium was associated with velocity".split(), False)
    4
    >>> _clause_end("led the Normans crowned".split(), True)
    3
    >>> _clause_end("is the most populous in California used to have".split(), True)
    6
    >>> _clause_end("is the President of Egypt".split(), False)
    5
    >>> _clause_end("is the largest company to end its service".split(), False), _clause_end(
    ...     "is planned to be a part of the rail".split(), False)
    (4, 9)
    """
    for index, word in enumerate(words[1:], start=1):
        if word.lower() in FINITE:
            return index
        # "the company that is the largest *to end* its service": a "to" after a noun (not "planned to be")
        if (word.lower() == "to" and words[0].lower() in FINITE | {"am"} and index + 1 < len(words)
                and words[index + 1].lower() != "be" and not words[index - 1].lower().endswith("ed")):
            return index
    if not after_auxiliary or len(words) < 2:
        return len(words)
    end = len(words) - 1
    if end > 1 and words[end - 1].lower() == "to":
        end -= 1
        if end > 1 and words[end - 1].lower().endswith("ed"):
            end -= 1
    return end


def hop_plan(question: str) -> HopPlan | None:
    """The two hops of a question that names what it asks about by a description ("the one who…", "the American
    actor who…", "the director of the film Big Stone Gap"), or None when it names nothing so (a one-hop question:
    answered as it is).

    >>> plan = hop_plan("Where was the one who led the Normans crowned?")
    >>> plan.first, plan.clause, plan.second("Rollo")
    ('Who led the Normans?', 'led the Normans', 'Where was Rollo crowned?')
    >>> plan = hop_plan("How many large public parks does the city that is planned to be on the high speed rail have?")
    >>> plan.first, plan.second("Fresno")
    ('Which city is planned to be on the high speed rail?', 'How many large public parks does Fresno have?')
    >>> hop_plan("What insight of the one who first described dynamic equilibrium was associated with velocity?").first
    'Who first described dynamic equilibrium?'
    >>> hop_plan("Which year was the American actor who starred in Dune born?").first
    'Who starred in Dune?'
    >>> plan = hop_plan("Where was the director of the film Big Stone Gap born?")
    >>> plan.first, plan.second("Adriana Trigiani")
    ('Who is the director of the film Big Stone Gap?', 'Where was Adriana Trigiani born?')
    >>> hop_plan("When did the Normans conquer England?") is None, hop_plan("What was the idea that won?") is None
    (True, True)
    >>> hop_plan("Who was the president of Notre Dame in 1912?") is None
    True
    """
    for opening in re.finditer(r"\bthe\b", question, re.IGNORECASE):
        plan = _role_plan(question, opening.start()) or _relative_plan(question, opening.start())
        if plan is not None:
            return plan
    return None


def _opens_well(question: str, before: list[str], end: int) -> bool:
    """Whether a description with `before` ahead of it (ending at `end`) can be a bridge: not when its name is asked
    ("the name of the…"), nor when it opens the question and no "what"/"which" question follows it ("The one who led
    the Normans was who?" asks for the description itself).

    >>> _opens_well("The director of Dune is based in what city?", [], 15)
    True
    >>> _opens_well("The one who led the Normans was crowned where?", [], 27)
    False
    """
    if before[-2:] == ["name", "of"]:
        return False
    return bool(before) or ASKING.search(question, end) is not None


def _asks_itself(before: list[str]) -> bool:
    """Whether a description after `before` is what the question asks for: right after "Who was", "What is"…
    ("What is the alpine valley that the Rhine flows through?", "Who was the president of Notre Dame in 1912?").

    >>> _asks_itself(["What", "is"]), _asks_itself(["Where", "was"])
    (True, False)
    """
    return len(before) == 2 and before[0].lower() in {"who", "what", "which"} and before[1].lower() in COPULAS


def _relative_plan(question: str, start: int) -> HopPlan | None:
    """The hop plan of a description by a relative clause starting at `start` ("the one who led the Normans"), or
    None.

    >>> _relative_plan("Which band did the English rock band that released Abbey Road inspire?", 15).first
    'Which English rock band released Abbey Road?'
    """
    match = _DESCRIPTION.match(question, start)
    if match is None:
        return None
    noun, relative = match.group("noun"), match.group("relative").lower()
    modifiers = match.group("modifiers").split()
    if (noun in NOT_A_THING | STOP_WORDS | PREPOSITIONS or noun.endswith("ed")
            or (relative == "which" and noun in PEOPLE)
            or any(word in NOT_MODIFIERS | STOP_WORDS or word.endswith("ed") for word in modifiers)):
        return None  # "the process by which…", "the paper published that…": no noun before the clause
    before = question[:match.start()].split()
    if _asks_itself(before):
        return None
    words = match.group("clause").split()
    opens = not before
    kept = words[:_clause_end(words, bool(before) and before[-1].lower() in AUXILIARIES)]
    if opens and len(kept) == len(words):  # "The manager who recruited David Beckham *managed* United during what…"
        kept = words[:next((index for index in range(2, len(words)) if re.fullmatch(r"[a-z]+ed", words[index])
                            and words[index - 1][:1].isupper()), len(words))]
    if not kept or not content_words(" ".join(kept)):
        return None
    clause = " ".join(kept).rstrip(",;:")
    end = match.start("clause") + _offset_after(match.group("clause"), len(kept))
    if not _opens_well(question, before, end) or (opens and len(kept) == len(words)):
        return None
    described = " ".join((*modifiers, noun))
    asked = "Who" if noun in PEOPLE or relative == "who" else f"Which {described}"
    return HopPlan(question, f"{asked} {clause}?", clause, match.start(), end)


def _role_plan(question: str, start: int) -> HopPlan | None:
    """The hop plan of a description "the <role> of <something named>" starting at `start` ("the director of the
    film Big Stone Gap"), or None: a question asking for the role's holder itself ("Who was the president of Notre
    Dame in 1912?") has none.

    >>> plan = _role_plan("The director of the romantic comedy 'Big Stone Gap' is based in what New York city?", 0)
    >>> plan.first, plan.second("Adriana Trigiani")
    ("Who is the director of the romantic comedy 'Big Stone Gap'?", 'Adriana Trigiani is based in what New York city?')
    >>> _role_plan("What is the author of Dune known for?", 8).clause
    'is the author of Dune'
    >>> _role_plan("Who was the president of Notre Dame in 1912?", 8) is None
    True
    """
    spans = [found.span() for found in re.finditer(r"\S+", question[start:])]
    words = [question[start + first:start + last] for first, last in spans]
    role = next((index for index in range(1, min(4, len(words) - 2))
                 if words[index] in ROLES and words[index + 1] == "of"), None)
    if role is None or any(word.lower() in STOP_WORDS | NOT_MODIFIERS for word in words[1:role]):
        return None
    named = _named_end(words[role + 2:])
    if named is None:
        return None
    last = role + 2 + named - 1
    end = start + spans[last][0] + len(words[last].rstrip(",;:?"))
    before = question[:start].split()
    if not _opens_well(question, before, end):
        return None
    if _asks_itself(before) and not re.match(r"\s*[a-z]+(?:ed|en|wn)\b", question[end:]):
        return None  # "Who was the president of …?" asks for the holder itself, "What is it known for?" does not
    description = question[start:end]
    clause = f"is {description[0].lower()}{description[1:]}"
    return HopPlan(question, f"Who {clause}?", clause, start, end)


def _named_end(words: list[str], most_leading: int = 5) -> int | None:
    """How many of `words` (what follows "the <role> of") name the thing: a few lower-case words ("the romantic
    comedy"), then a name (capitalised words, "of"/"and" between them, or a quoted title); None without one.

    >>> _named_end("the film Big Stone Gap born?".split()), _named_end("'Big Stone Gap' is based".split())
    (5, 3)
    >>> _named_end("the film Kiss and Tell in 1945".split()), _named_end("the film that won".split())
    (5, None)
    """
    index = 0
    while index < len(words) and not _capitalised(words[index]):
        if index >= most_leading or words[index].lower() in AUXILIARIES | {"who", "that", "which", "whose"}:
            return None
        index += 1
    if index >= len(words):
        return None
    if words[index][0] in "'\"“‘":
        closing = next((at for at in range(index, len(words)) if re.search(r"\w['\"”’][,;:?]*$", words[at])), None)
        return None if closing is None else closing + 1
    end = index + 1
    while end < len(words) and not re.search(r"[,;:?]$", words[end - 1]):
        if _capitalised(words[end]):
            end += 1
        elif (words[end].lower() in NAME_JOINERS and end + 1 < len(words) and words[end + 1][:1].isupper()
              and not re.search(r"[,;:?]$", words[end])):
            end += 2
        else:
            break
    return end


def _capitalised(word: str) -> bool:
    """Whether `word` starts a name: a capital, a digit ("Apollo 11"), or an opening quote."""
    return bool(word) and (word[0].isupper() or word[0].isdigit() or word[0] in "'\"“‘")


def _offset_after(text: str, count: int) -> int:
    """The offset in `text` just after its first `count` words (a trailing comma or the like left out).

    >>> _offset_after("led the Normans, crowned", 3)
    15
    """
    spans = [found.span() for found in re.finditer(r"\S+", text)]
    start, end = spans[count - 1]
    return start + len(text[start:end].rstrip(",;:"))


def bridge_sentence(bridge: str, plan: HopPlan, marker: str = "[1]") -> str:
    """The first hop said as the answer's opening: the bridge and what the question said of it, cited.

    >>> bridge_sentence("Rollo", hop_plan("Where was the one who led the Normans crowned?"))
    'Rollo led the Normans [1].'
    """
    return f"{bridge} {plan.clause} {marker}."


def renumbered(text: str, numbers: Mapping[int, int]) -> str:
    """`text` with its citation markers renumbered (`numbers`: old number -> new), all at once (no number renamed
    twice); a number not in `numbers` is kept.

    >>> renumbered("Crowned in Rouen [1]; later [1, 2].", {1: 2, 2: 3})
    'Crowned in Rouen [2]; later [2, 3].'
    """
    def replace(match: re.Match[str]) -> str:
        found = [int(number) for number in re.findall(r"\d+", match.group(1))]
        new = list(dict.fromkeys(numbers.get(number, number) for number in found))
        return match.group(0)[:match.start(1) - match.start(0)].rstrip("[") + "[" + ", ".join(map(str, new)) + "]"

    return MARKER.sub(replace, text)


def usable_bridge(bridge: str, question: str, most_words: int = 8) -> bool:
    """Whether a span can stand for the description: a few words, some of which the question does not already use
    (a span repeating the question names nothing new).

    >>> usable_bridge("Rollo", "Where was the one who led the Normans crowned?")
    True
    >>> usable_bridge("the Normans", "Where was the one who led the Normans crowned?")
    False
    """
    return 0 < len(bridge.split()) <= most_words and bool(content_words(bridge) - content_words(question))
