"""Two-hop questions: a question that names what it asks about only by a description of it ("Where was the one who
led the Normans crowned?") needs that thing found first (the bridge: Rollo), then the question asked of it.

`hop_plan` reads the description (a relative clause after "the one", "the city"…: "the one who led the Normans")
and plans the two hops: the first asks for what it describes (`HopPlan.first`: "Who led the Normans?"), the second is
the question with the bridge named (`HopPlan.second("Rollo")`: "Where was Rollo crowned?"). `bridge_sentence` says
the first hop as the answer's opening ("Rollo led the Normans [1]."), and `renumbered` moves the second hop's
markers after it. The assistant (`rag.answer.assistant`) runs the hops: the span reader finds the bridge in the
first hop's evidence, the second hop is answered as any question is (its sentences checked, its quotes checked),
and the two are joined only when the second cites a passage the first does not (the question needed both); else
the question is answered in one hop, as before.

Pure functions only: no model here.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass

from rag.answer.prompts import MARKER
from rag.text import content_words

_DESCRIPTION = re.compile(r"the\s+(?P<noun>[a-z]+)\s+(?P<relative>who|that|which)\s+(?P<clause>\S.*?)\s*\??\s*$")
"""A description: "the" and a common noun (lower case: not a name) with a relative clause running to the end of
the question (where it really ends is decided by `_clause_end`)."""

PEOPLE = frozenset({"one", "person", "people", "man", "woman", "men", "women", "group", "ruler", "leader", "king",
                    "queen", "player", "team", "scientist", "writer", "author", "company", "organisation",
                    "organization"})
"""Nouns whose description is asked for with "who" (a person or a body acting)."""

NOT_A_THING = frozenset({"fact", "way", "amount", "number", "time", "times", "reason", "extent", "degree", "point",
                         "idea", "view", "belief", "claim", "notion", "hope", "case", "same", "most", "only",
                         "first", "last", "name", "kind", "type", "sort", "part", "percentage", "rate", "year",
                         "day", "period"})
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
    """The two hops of a question that names what it asks about by a description ("the one who…", "the city
    that…"), or None when it names nothing so (a one-hop question: answered as it is).

    >>> plan = hop_plan("Where was the one who led the Normans crowned?")
    >>> plan.first, plan.clause, plan.second("Rollo")
    ('Who led the Normans?', 'led the Normans', 'Where was Rollo crowned?')
    >>> plan = hop_plan("How many large public parks does the city that is planned to be on the high speed rail have?")
    >>> plan.first, plan.second("Fresno")
    ('Which city is planned to be on the high speed rail?', 'How many large public parks does Fresno have?')
    >>> hop_plan("What insight of the one who first described dynamic equilibrium was associated with velocity?").first
    'Who first described dynamic equilibrium?'
    >>> hop_plan("When did the Normans conquer England?") is None, hop_plan("What was the idea that won?") is None
    (True, True)
    """
    for opening in re.finditer(r"\bthe\b", question):
        match = _DESCRIPTION.match(question, opening.start())
        if match is None:
            continue
        noun, relative = match.group("noun"), match.group("relative").lower()
        if noun in NOT_A_THING or (relative == "which" and noun in PEOPLE):
            continue
        before = question[:match.start()].split()
        if not before or before[-2:] == ["name", "of"]:
            continue  # the description opens the question, or its name is asked: it is what is asked, not a bridge
        words = match.group("clause").split()
        kept = words[:_clause_end(words, before[-1].lower() in AUXILIARIES)]
        if not kept or not content_words(" ".join(kept)):
            continue
        clause = " ".join(kept).rstrip(",;:")
        end = match.start("clause") + _offset_after(match.group("clause"), len(kept))
        asked = "Who" if noun in PEOPLE or relative == "who" else f"Which {noun}"
        return HopPlan(question, f"{asked} {clause}?", clause, match.start(), end)
    return None


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
