"""Lists: the items a question asking for a report's recommendations, limitations or tiers is answered with.

A report lists what it recommends under a heading ("Recommendations") or after a lead-in ending in a colon ("The
Institute makes three recommendations:"), one item a paragraph (a rendered Markdown list) or a line with a marker
("- ", "1. ": a PDF's or an HTML page's). The span reader, trained on sentences, answers such a question with the
lead-in or with one item. `list_reading` (one of the assistant's reading rules) answers with the items instead,
joined, the list quoted. A question asking which item is the most or the least of a list whose items each give a
share ("- cost (41%)"), "What is the most common reason given?", is answered with that item (`ranked_reading`).
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass

from rag.answer.evidence import Evidence
from rag.answer.reader import Reading, SpanFinder, whole_reading
from rag.answer.tables import ASKS_VALUE, HIGHEST, LOWEST
from rag.records import Passage
from rag.text import content_words

ASKS_LIST = re.compile(r"\s*(?:what|which)\b(?:\s+[\w'’-]+){0,3}?\s+(?:are|were)\b", re.IGNORECASE)
"""A question asking for several things: "What are the report's recommendations?", "Which groups are hit?"."""
_MARKER = re.compile(r"[-•*]\s+|\d{1,2}[.)]\s+")
_SHARE = re.compile(r"(\d+(?:\.\d+)?)\s?%")
"""A share ("41%") in an item."""
_ITEM_SHARE = re.compile(r"(?:\(\s*\d+(?:\.\d+)?\s?%\s*\)|[:–—-]\s*\d+(?:\.\d+)?\s?%)[\s.;]*$")
"""An item's share ending its line, in brackets or after a colon or a dash ("cost (41%)", "cost: 41%"): a rendered
Markdown list's item of a few words and a share ends no sentence, yet is no heading; "Growth above 2%" is one."""
MAX_ITEM_WORDS = 45
"""An item longer than this is a paragraph of prose, not a list's item."""
MAX_ITEMS = 10


@dataclass(frozen=True)
class Listed:
    """A list in a text: the lead (heading or lead-in) at `lead`, its items' offsets (markers left out)."""

    lead: tuple[int, int]
    items: tuple[tuple[int, int], ...]


def is_heading(line: str) -> bool:
    """A line that heads a section: a few words, no sentence's end.

    >>> is_heading("Recommendations"), is_heading("Rents rose."), is_heading("Key reasons for vacancy:")
    (True, False, False)
    >>> is_heading("Growth above 2%"), is_heading("cost of deletion tools (41%)")
    (True, False)
    """
    stripped = line.strip()
    return bool(stripped) and len(stripped.split()) <= 8 and stripped[-1] not in ".:;!?,)" \
        and "|" not in stripped and any(character.isalpha() for character in stripped) \
        and _ITEM_SHARE.search(stripped) is None  # "cost (41%)" is a list's item


def lists_in(text: str) -> list[Listed]:
    """The lists of `text`: after each heading or line ending in a colon, two or more items, either lines with a
    marker, or short paragraphs (blank lines between) each ending a sentence; a heading followed by a lead-in
    heads the lead-in's list too.

    >>> text = "Recommendations\\n\\nIt makes two:\\n\\nCut fares.\\n\\nAdd buses.\\n\\nMethods\\n\\nWe asked."
    >>> [(text[slice(*found.lead)], [text[slice(*item)] for item in found.items]) for found in lists_in(text)]
    [('Recommendations', ['Cut fares.', 'Add buses.']), ('It makes two:', ['Cut fares.', 'Add buses.'])]
    >>> text = "Limitations\\n- It is observational.\\n- Some moved away.\\nFunding: a council."
    >>> [[text[slice(*item)] for item in found.items] for found in lists_in(text)]
    [['It is observational.', 'Some moved away.']]
    """
    lines = [(match.start(), match.end()) for match in re.finditer(r"[^\n]*\S[^\n]*", text)]
    found = []
    for number, (start, end) in enumerate(lines):
        line = text[start:end]
        if not (is_heading(line) or line.rstrip().endswith(":")):
            continue
        following = number + 1
        if is_heading(line) and following < len(lines) and text[slice(*lines[following])].rstrip().endswith(":"):
            following += 1  # "Recommendations" / "The Institute makes three recommendations:" / the items
        items = _items(text, lines[following:])
        if len(items) >= 2:
            found.append(Listed((start, end), tuple(items)))
    return found


def _items(text: str, lines: Sequence[tuple[int, int]]) -> list[tuple[int, int]]:
    items: list[tuple[int, int]] = []
    marked = bool(lines) and _MARKER.match(text, lines[0][0]) is not None
    previous_end = lines[0][0] - 2 if lines else 0
    for start, end in lines[:MAX_ITEMS]:
        line = text[start:end]
        marker = _MARKER.match(text, start)
        if marked:
            if marker is None:
                break
            start = marker.end()
        elif ((_ITEM_SHARE.search(line) is None and (is_heading(line) or not line.rstrip().endswith((".", "!", "?"))))
              or "|" in line or text.count("\n", previous_end, start) < 2):
            break  # a heading, a table, or a wrapped line of prose: the list ended
        if len(line.split()) > MAX_ITEM_WORDS:
            break
        items.append((start, end))
        previous_end = end
    return items


def _lead_terms(text: str) -> set[str]:
    return content_words(text)


_WHICH_NOUN = re.compile(r"\s*(?:which|what)\s+(?!(?:is|was|are|were|do|does|did|has|have|had)\b)([\w'’-]+)",
                         re.IGNORECASE)
_RANKING_WORDS = frozenset("common commonly popular frequent frequently often widely cited given important usual "
                           "significant serious pressing".split())
"""Words between a superlative and the noun it ranks: "the most commonly cited reason"."""


def ranked_noun(question: str) -> str | None:
    """The noun a question ranking a list's items asks for: the noun after "which"/"what" ("Which party won the most
    seats?"), else the noun after the superlative ("What is the most common reason given?"); None when neither.

    >>> ranked_noun("Which party won the most seats?"), ranked_noun("What is the most commonly cited reason?")
    ('party', 'reason')
    >>> ranked_noun("Which reason was given least often?"), ranked_noun("What was most popular?")
    ('reason', None)
    """
    which = _WHICH_NOUN.match(question)
    if which is not None:
        return which.group(1)
    superlative = HIGHEST.search(question) or LOWEST.search(question)
    if superlative is None:
        return None
    for word in re.findall(r"[\w'’-]+", question[superlative.end():]):
        if word.lower() not in _RANKING_WORDS:
            return word
    return None


def ranked_item(question: str, text: str, listed: Listed) -> tuple[int, int] | None:
    """The item of `listed` with the largest share ("most common", "biggest") or the smallest ("least"), when the
    question asks for one such item and every item gives a share; None otherwise (a tie, too).

    >>> text = "Reasons given for not riding:\\n\\ncost (41%)\\n\\ndistance (27%)\\n\\nsafety (9%)"
    >>> text[slice(*ranked_item("What is the most common reason given?", text, lists_in(text)[0]))]
    'cost (41%)'
    >>> text[slice(*ranked_item("Which reason was given least often?", text, lists_in(text)[0]))]
    'safety (9%)'
    >>> ranked_item("What reasons were given?", text, lists_in(text)[0]) is None
    True
    """
    if not ASKS_VALUE.match(question) or not (HIGHEST.search(question) or LOWEST.search(question)):
        return None
    shares = []
    for start, end in listed.items:
        found = list(_SHARE.finditer(text, start, end))
        if len(found) != 1:  # no share, or two ("41% in 2023, 38% in 2024"): which one ranks it cannot be told
            return None
        shares.append((float(found[0].group(1)), (start, end)))
    pick = min if LOWEST.search(question) else max
    best = pick(share for share, _ in shares)
    picked = [item for share, item in shares if share == best]
    return picked[0] if len(picked) == 1 else None


def ranked_reading(question: str, reading: Reading | None, evidence: Evidence, passages: Sequence[Passage],
                   reader: SpanFinder) -> Reading | None:
    """The reading moved to the item of a list the question ranks (`ranked_item`): "What is the most common reason
    given?" over "Reasons given for not riding:" and its items with shares is answered with the item of the largest
    share, the item quoted. The list's lead names the noun the question ranks (`ranked_noun`: "reason", not a list
    of parties' voting intention for "Which party won the most seats?"); the list of the passage retrieved first
    wins. Kept otherwise, and when another rule chose it."""
    if (reading is not None and reading.ruled) or len(evidence.parts) != 1 or ASKS_LIST.match(question):
        return reading
    noun = ranked_noun(question)
    ranked = content_words(noun) if noun is not None else set()
    if not ranked:
        return reading
    for passage_index, passage in enumerate(passages):
        for listed in lists_in(passage.text):
            if not ranked <= _lead_terms(passage.text[slice(*listed.lead)]):
                continue  # a list of something else ("Voting intention, May poll:" for "Which party won the most…?")
            item = ranked_item(question, passage.text, listed)
            if item is None:
                continue
            text = passage.text[slice(*item)]
            return whole_reading(reading, passage_index, passage.text, *item, text[:1].upper() + text[1:].rstrip(" .;"))
    return reading


def list_reading(question: str, reading: Reading | None, evidence: Evidence, passages: Sequence[Passage],
                 reader: SpanFinder) -> Reading | None:
    """The reading moved to the items of the list the question asks for: a question asking for several things
    (`ASKS_LIST`), or one naming every word of a list's heading ("What is the bill's risk tier system?" and "The
    risk tier system"); the list's heading shares all its words with the question, or its lead-in two or more. The
    list of the passage retrieved first wins; its items are said joined by semicolons, the list quoted. Kept
    otherwise, and when another rule chose it.
    """
    if (reading is not None and reading.ruled) or len(evidence.parts) != 1:
        return reading
    asked = content_words(question)
    several = ASKS_LIST.match(question) is not None
    for passage_index, passage in enumerate(passages):
        for listed in lists_in(passage.text):
            lead = passage.text[slice(*listed.lead)]
            terms = _lead_terms(lead)
            if is_heading(lead):
                fits = bool(terms) and terms <= asked and (several or len(terms) >= 2)
            else:
                fits = several and len(terms & asked) >= 2
            if not fits:
                continue
            start, end = listed.items[0][0], listed.items[-1][1]
            said = "; ".join(passage.text[slice(*item)].rstrip(" .;") for item in listed.items) + "."
            return whole_reading(reading, passage_index, passage.text, start, end, said)
    return reading
