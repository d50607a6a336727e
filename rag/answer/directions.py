"""Which way a figure moved, as a text says it: "down by 9 percent", "a decline of 0.4 percent", "-0.4%", "9 percent
higher". A small model keeps the figure of the passage it cites and flips its direction ("down by 9 percent" from
"not an increase of 9 percent"); the words of such a claim are all in the passage, so only the direction tells that
it contradicts it (`contradicts`, which `rag.answer.cite.support` reads).

Pure functions over text.
"""

from __future__ import annotations

import re

UP = 1
DOWN = -1

_UP_WORDS = ("up", "rose", "rise", "rises", "risen", "rising", "increase", "increased", "increases", "increasing",
             "grew", "grow", "grows", "grown", "growth", "gain", "gained", "gains", "climbed", "climb", "jumped",
             "jump", "higher", "more", "above", "surge", "surged")
_DOWN_WORDS = ("down", "fell", "fall", "falls", "fallen", "falling", "decrease", "decreased", "decreases",
               "decreasing", "decline", "declined", "declines", "declining", "drop", "dropped", "drops", "lower",
               "less", "fewer", "below", "shrank", "shrunk", "cut", "reduction", "reduced", "slump", "slumped")
_DIRECTION = {word: UP for word in _UP_WORDS} | {word: DOWN for word in _DOWN_WORDS}
_DIRECTION_WORD = "|".join(sorted(_DIRECTION, key=len, reverse=True))
# Words that may stand between a direction and its figure: "down by 9", "a decline of 0.4", "fell to 38,700",
# "more than 500", "up some 9".
_LINK = r"(?:(?:by|of|to|than|some|about|around|nearly|almost|roughly|just|a|an)\s+)*"
_FIGURE = r"[+\-−]?\d[\d,]*(?:\.\d+)?"
# Units and magnitudes that may stand between a figure and a direction after it: "9 percent higher", "a 9 per cent
# increase", "2.5 million more".
_UNIT = r"(?:\s*%|\s+per\s+cent|\s+percent|\s+percentage\s+points?|\s+points?|\s+million|\s+billion|\s+thousand)?"
_BEFORE = re.compile(rf"\b({_DIRECTION_WORD})\s+{_LINK}(?:[$€£]|EUR\s+|USD\s+)?({_FIGURE})(?!\d)")
_AFTER = re.compile(rf"(?<![\w.,])({_FIGURE}){_UNIT}\s+({_DIRECTION_WORD})\b")
_SIGNED = re.compile(r"(?:(?<=\s)|(?<=\()|^)([+\-−])(\d[\d,]*(?:\.\d+)?)(?!\d)")
# Change words a claim may say without a figure ("housing starts fell"): past tenses and comparatives only, since
# "fall", "up" or "more" say other things too ("in the fall", "set up", "more of them").
_CHANGE = {"rose": UP, "increased": UP, "grew": UP, "climbed": UP, "jumped": UP, "higher": UP, "surged": UP,
           "fell": DOWN, "decreased": DOWN, "declined": DOWN, "dropped": DOWN, "shrank": DOWN, "lower": DOWN,
           "slumped": DOWN}


def _figure(text: str) -> str:
    return text.lstrip("+-−").replace(",", "")


def figure_directions(text: str) -> set[tuple[str, int]]:
    """The (figure without sign or separators, direction) pairs of `text`: a figure with a direction word next to
    it, before ("down by 9", "a decline of 0.4") or after it ("9 percent higher"), or a sign ("-0.4%").

    >>> sorted(figure_directions("A decline of 0.4 percent, not an increase of 9 percent."))
    [('0.4', -1), ('9', 1)]
    >>> sorted(figure_directions("Starts were down by 9 percent; prices 3% higher; output -1.5% on the year."))
    [('1.5', -1), ('3', 1), ('9', -1)]
    >>> figure_directions("Fines of up to 4 percent of turnover; the 2020-2021 season.")
    set()
    """
    found: set[tuple[str, int]] = set()
    for match in _BEFORE.finditer(text):
        word = match.group(1).lower()
        # "up to 9 percent" is a ceiling, not a rise
        if word == "up" and re.match(r"up\s+to\b", match.group(0), re.IGNORECASE):
            continue
        found.add((_figure(match.group(2)), _DIRECTION[word]))
    for match in _AFTER.finditer(text):
        found.add((_figure(match.group(1)), _DIRECTION[match.group(2).lower()]))
    for match in _SIGNED.finditer(text):
        found.add((_figure(match.group(2)), UP if match.group(1) == "+" else DOWN))
    return found


def change_directions(text: str) -> set[int]:
    """The directions of the change words of `text` (lower case: "Lower Saxony" is a name).

    >>> sorted(change_directions("Housing starts fell, though prices rose."))
    [-1, 1]
    """
    return {_CHANGE[word] for word in re.findall(r"\b[a-z]+\b", text) if word in _CHANGE}


def contradicts(claim: str, evidence: str) -> bool:
    """Whether `claim` says a figure of `evidence` moved the other way than `evidence` says it did, or says a change
    the other way than every change `evidence` says.

    >>> contradicts("Starts were down by 9 percent.", "Starts fell 0.4 percent, not an increase of 9 percent.")
    True
    >>> contradicts("Starts were up 9 percent.", "Starts rose 9 percent to 42,300.")
    False
    >>> contradicts("Housing starts fell.", "Housing starts rose 9 percent in the quarter.")
    True
    >>> contradicts("Housing starts fell.", "Starts rose in Arden but fell in Belmont.")
    False
    >>> contradicts("The fine is up to 4 percent.", "Fines reach 4 percent of turnover, down from 6 percent.")
    False
    """
    evidence_pairs = figure_directions(evidence)
    for figure, direction in figure_directions(claim):
        said = {way for number, way in evidence_pairs if number == figure}
        if said and direction not in said:
            return True
    claimed = change_directions(claim)
    said_anywhere = change_directions(evidence) | {way for _, way in evidence_pairs}
    return bool(claimed and said_anywhere and not claimed & said_anywhere)
