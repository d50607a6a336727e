"""Contrast questions: an answerable question changed in one place so that its answer sentence no longer answers it.

SQuAD 2.0's unanswerable questions were written against the paragraph that almost answers them, mostly by a few
moves (Rajpurkar, Jia and Liang 2018, table 2): swapping an entity or number for another (21%), an antonym
(20%), a negation (9%). The answer finder learns these from the few hundred such questions of its training
articles; these helpers make more of them from the answerable ones, each paired with the very sentence that
answered the original, labelled "does not answer": the same sentence, a question one change away, the other
label.

    >>> contrast_questions("When did England formally declare war on France?",
    ...                    "On May 18, 1756, England formally declared war on France.",
    ...                    ["Prussia", "England", "France"], random.Random(0))
    ['When did England formally declare war on Prussia?', 'When did England formally declare peace on France?']
"""

from __future__ import annotations

import random
import re
from collections.abc import Sequence

ANTONYMS = {
    "first": "last", "largest": "smallest", "most": "least", "highest": "lowest", "before": "after",
    "increase": "decrease", "increased": "decreased", "rise": "fall", "rose": "fell", "win": "lose", "won": "lost",
    "start": "end", "started": "ended", "begin": "end", "began": "ended", "open": "close", "opened": "closed",
    "north": "south", "east": "west", "early": "late", "earliest": "latest", "major": "minor", "maximum": "minimum",
    "accept": "reject", "accepted": "rejected", "allow": "forbid", "allowed": "forbade", "include": "exclude",
    "included": "excluded", "war": "peace", "victory": "defeat", "defeated": "lost to", "support": "oppose",
    "supported": "opposed", "invited": "uninvited", "public": "private", "inside": "outside", "upper": "lower",
    "more": "fewer", "longest": "shortest", "oldest": "newest", "best": "worst", "strong": "weak",
    "successful": "unsuccessful", "legal": "illegal", "common": "rare", "positive": "negative", "created": "destroyed",
    "built": "destroyed", "born": "died", "joined": "left", "gained": "lost", "import": "export",
    "imported": "exported", "buy": "sell", "bought": "sold", "declare": "end", "declared": "ended",
}
ANTONYMS |= {value: key for key, value in list(ANTONYMS.items()) if " " not in value and value not in ANTONYMS}

COPULAS = ("is", "are", "was", "were")
NAME = re.compile(r"\b(?:[A-Z][a-z]+|[A-Z]{2,})(?:\s+(?:of\s+)?[A-Z][a-z]+)*\b")
ROMAN = re.compile(r"^[IVXLC]+$")
YEAR = re.compile(r"\b1[0-9]{3}\b|\b20[0-9]{2}\b")


def names_in(text: str) -> list[str]:
    """Capitalised names (runs of capitalised words), not counting a sentence's first word alone.

    >>> names_in("In 1066 William of Normandy crossed to England.")
    ['William of Normandy', 'England']
    """
    found = []
    for match in NAME.finditer(text):
        if (match.start() == 0 and " " not in match.group()) or ROMAN.match(match.group()):
            continue  # a capitalised first word is not a name by itself, nor is a Roman numeral
        found.append(match.group())
    return found


def swap_name(question: str, sentence: str, names: Sequence[str], rng: random.Random) -> str | None:
    """The question with a name that the sentence also gives replaced by another name from the article."""
    shared = [name for name in names_in(question) if name in sentence]
    others = sorted({name for name in names if name not in sentence and name not in question})
    if not shared or not others:
        return None
    return question.replace(rng.choice(shared), rng.choice(others), 1)


def swap_year(question: str, sentence: str, rng: random.Random) -> str | None:
    """The question with a year that the sentence gives moved by 1-30 years (to one the sentence does not give).

    >>> swap_year("What happened in 1756?", "In 1756 war broke out.", random.Random(1))
    'What happened in 1747?'
    """
    years = [year for year in YEAR.findall(question) if year in sentence]
    if not years:
        return None
    year = rng.choice(years)
    for _ in range(10):
        other = str(int(year) + rng.choice((-1, 1)) * rng.randint(1, 30))
        if other not in sentence:
            return re.sub(rf"\b{year}\b", other, question, count=1)
    return None


def swap_antonym(question: str, sentence: str, rng: random.Random) -> str | None:
    """The question with a word that the sentence shares (or its stem does) turned into its opposite."""
    words = [word for word in re.findall(r"[a-z]+", question)
             if word in ANTONYMS and (word in sentence.lower() or word[:5] in sentence.lower())]
    if not words:
        return None
    word = rng.choice(words)
    return re.sub(rf"\b{word}\b", ANTONYMS[word], question, count=1)


def negate(question: str) -> str | None:
    """'What was the first ...?' -> 'What was not the first ...?': a negation where it reads naturally.

    >>> negate("Who was the first king of England?")
    'Who was not the first king of England?'
    >>> negate("When did England declare war?") is None
    True
    """
    match = re.match(r"^(\w+(?:\s+\w+)?)\s+(is|are|was|were)\s+(?!not\b)", question, re.IGNORECASE)
    if not match or match.group(1).split()[0].lower() not in {"what", "who", "which"}:
        return None
    return f"{question[:match.end(2)]} not {question[match.end(2):].lstrip()}"


def contrast_questions(question: str, sentence: str, names: Sequence[str], rng: random.Random) -> list[str]:
    """At most two contrast questions: one with a name or year swapped, one with an antonym or a negation."""
    made = []
    swapped = swap_name(question, sentence, names, rng) if rng.random() < 0.5 else None
    swapped = swapped or swap_year(question, sentence, rng) or swap_name(question, sentence, names, rng)
    if swapped:
        made.append(swapped)
    turned = swap_antonym(question, sentence, rng) or negate(question)
    if turned:
        made.append(turned)
    return [text for text in made if text != question]
