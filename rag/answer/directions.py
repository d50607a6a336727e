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


_GAINED = {"create": "created", "creates": "created", "created": "created", "creating": "created",
           "creation": "created", "add": "added", "adds": "added", "added": "added", "adding": "added",
           "hire": "hired", "hires": "hired", "hired": "hired", "hiring": "hired", "gain": "gained",
           "gains": "gained", "gained": "gained", "win": "won", "wins": "won", "won": "won"}
_LOST = {"lose": "lost", "loses": "lost", "lost": "lost", "losing": "lost", "loss": "lost", "losses": "lost",
         "cut": "cut", "cuts": "cut", "cutting": "cut", "shed": "shed", "sheds": "shed", "shedding": "shed",
         "axe": "axed", "axes": "axed", "axed": "axed", "axing": "axed", "scrap": "scrapped", "scraps": "scrapped",
         "scrapped": "scrapped", "eliminate": "eliminated", "eliminates": "eliminated", "eliminated": "eliminated"}
"""Words saying that a count was gained or lost ("create 80 jobs", "the loss of 250 jobs"), each with the
participle an answer says it with."""

_COUNT_REACH = 4
"""Words either side of a count searched for the word saying whether it was gained or lost."""


def count_direction(text: str) -> tuple[int, str] | None:
    """The direction and participle of the first gain or loss word of `text` (`_GAINED`, `_LOST`), or None.

    >>> count_direction("How many jobs will the firm create in Dunmore?"), count_direction("How many jobs went?")
    ((1, 'created'), None)
    """
    for word in re.findall(r"[a-z]+", text.lower()):
        if word in _GAINED:
            return UP, _GAINED[word]
        if word in _LOST:
            return DOWN, _LOST[word]
    return None


def opposite_count(question: str, sentence: str, start: int, end: int) -> str | None:
    """What to say instead of the count `sentence[start:end]` when a how-many question asks for a count gained
    ("create", "add", "hire", "gain") and the sentence says that count was lost ("the loss of 250 jobs", "cut",
    "shed"), or the other way round: "250 jobs lost, not created". The nearest gain or loss word within
    `_COUNT_REACH` words of the count, in its clause, says which it was. None when they agree or nothing says.

    >>> sentence = "Brightwater will shut its Harwick plant, with the loss of 250 jobs."
    >>> opposite_count("How many jobs will Brightwater create in Dunmore?", sentence, 58, 66)
    '250 jobs lost, not created'
    >>> opposite_count("How many jobs will be lost?", sentence, 58, 66) is None
    True
    >>> opposite_count("How many seats did the party gain?", "It lost 12 seats but gained 3.", 8, 16)
    '12 seats lost, not gained'
    >>> opposite_count("How many seats did the party gain?", "It lost 12 seats but gained 3.", 28, 29) is None
    True
    """
    if not re.match(r"\s*(?:and\s+)?how\s+many\b", question, re.IGNORECASE):
        return None
    asked = count_direction(question)
    if asked is None:
        return None
    clause_start = max(sentence.rfind(mark, 0, start) for mark in (",", ";", ":", " but ", " while ")) + 1
    clause_ends = [position for mark in (",", ";", " but ", " while ") if (position := sentence.find(mark, end)) != -1]
    clause_end = min(clause_ends, default=len(sentence))
    before = re.findall(r"[A-Za-z]+", sentence[clause_start:start])[::-1][:_COUNT_REACH]
    after = re.findall(r"[A-Za-z]+", sentence[end:clause_end])[:_COUNT_REACH]
    # nearest first: the word right before the count, the one right after it, and so on out
    nearest = sorted([(distance, word) for distance, word in enumerate(before)]
                     + [(distance, word) for distance, word in enumerate(after)], key=lambda pair: pair[0])
    said = next((found for _, word in nearest if (found := count_direction(word)) is not None), None)
    if said is None or said[0] == asked[0]:
        return None
    return f"{sentence[start:end]} {said[1]}, not {asked[1]}"
