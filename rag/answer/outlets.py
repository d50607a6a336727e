"""Outlets: which outlet's reports answer a question that names one, and which outlets back an answer.

- A question naming an outlet ("How many jobs did the Harwick Courier say would go?", "according to the Valley
  Post", "in the Courier") asks what that outlet reported: `named_outlet` finds it among the retrieved reports'
  sources, and the question is searched within that outlet's articles (another outlet's figure is no answer).
- "reported by" lists the outlets reporting an answer's story; another outlet's report of the story joins it only
  when it says what the cited sentence says (`backs`): not when it gives another figure of the same thing (250 jobs
  where the answer says 220), nor when it only shares the story's topic (the residents' letter that spread a rumour
  is no report of the mayor's denial).

Pure functions only: no model here.
"""

from __future__ import annotations

import re
from collections.abc import Iterable

_NAME = re.compile(r"[A-Z][\w&'’-]*(?:\s+(?:of\s+|the\s+)?[A-Z][\w&'’-]*)*")


def _is_outlet(source: str) -> bool:
    """A source that is an outlet's name ("Harwick Courier"), not a file's path or a page's address."""
    return bool(_NAME.fullmatch(source.strip()))


def named_outlet(question: str, sources: Iterable[str]) -> str:
    """The outlet among `sources` the question names: by its whole name ("the Harwick Courier"), or by the last
    word of a name of two or more ("the Courier") when no other source ends with it; "" when it names none (a file's
    path is no outlet's name).

    >>> sources = ["Harwick Courier", "Valley Post", "notes/plant.md"]
    >>> named_outlet("How many jobs did the Harwick Courier say Brightwater would cut?", sources)
    'Harwick Courier'
    >>> named_outlet("What was the crowd according to the valley post?", sources)
    'Valley Post'
    >>> named_outlet("What did the Courier say?", sources)
    'Harwick Courier'
    >>> named_outlet("Where does the courier deliver?", sources), named_outlet("What is in plant.md?", sources)
    ('', '')
    """
    outlets = [source.strip() for source in dict.fromkeys(sources) if _is_outlet(source)]
    for outlet in outlets:
        if re.search(rf"(?<![\w-]){re.escape(outlet)}(?![\w-])", question, re.IGNORECASE):
            return outlet
    for outlet in outlets:
        last = outlet.split()[-1]
        alike = [other for other in outlets if other.split()[-1] == last]
        if len(outlet.split()) >= 2 and len(alike) == 1 and re.search(rf"\bthe\s+{re.escape(last)}\b", question):
            return outlet  # "in the Courier": capitalised as written, so not the common noun
    return ""


def without_outlet(question: str, outlet: str) -> str:
    """The question without the outlet it names (its own words are what the outlet's article must say; the
    outlet's name is its source, which the article's text need not say).

    >>> without_outlet("How many jobs did the Valley Post say would go?", "Valley Post")
    'How many jobs did say would go?'
    >>> without_outlet("What was the crowd, according to the Post?", "Valley Post")
    'What was the crowd?'
    """
    if not outlet:
        return question
    name = rf"(?:{re.escape(outlet)}|(?<=the\s){re.escape(outlet.split()[-1])})"
    pattern = rf",?\s*(?:according\s+to|in|by)?\s*(?:the\s+)?{name}(?![\w-])"
    return re.sub(pattern, "", question, count=1, flags=re.IGNORECASE)
