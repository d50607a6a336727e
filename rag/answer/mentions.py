"""Name lookups over the whole collection: "Which documents mention Belmont?" asks for every article that names
Belmont, which the top passages of a search (one per story, five by default) cannot give. The word index finds every
passage holding the name's words, the name is then matched as written (whole words, any case), and each article is
listed once with the first sentence naming it, quoted from its passage and cited. No model writes any part of it.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass

from rag.answer.cite import support
from rag.records import Answer, Citation, Filters, Passage, long_date
from rag.store.reading import SearchableIndex
from rag.text import split_sentences

LOOKUP_DEPTH = 2000
"""Passages the word index is asked for: every passage holding the name's words, in a collection of any use."""
LISTED = 20
"""Articles a lookup lists; more are counted, not listed."""

PLACE_WORDS = frozenset({"region", "area", "city", "town", "village", "district", "county", "province", "state",
                         "country", "municipality", "borough"})
"""Words that follow a place's name without being part of it ("the Belmont region")."""

NAME_WORDS = 4
"""Words a looked-up name has at most ("the Kessel interconnector"): a longer one describes what a text says."""
_NOT_IN_A_NAME = frozenset({"as", "is", "are", "was", "were", "be", "been", "being", "has", "have", "had", "do",
                            "does", "did", "says", "said", "say", "called", "named", "known", "that", "which", "who",
                            "how", "why", "what", "when", "where", "whether"})
_ASKS_WHICH_MENTION = re.compile(
    r"^\s*(?:which|what)\s+(?:documents?|articles?|reports?|sources?|files?|stories|posts?|pages?|texts?)\s+"
    r"(?:mention|mentions|refer to|refers to|talk about|talks about)\s+(?P<name>.+?)\s*[?.!]*$",
    re.IGNORECASE)


@dataclass(frozen=True)
class Mention:
    """An article naming the looked-up name: the passage of its first mention and that sentence's offsets in it."""

    passage: Passage
    start: int
    end: int


def mention_request(question: str) -> str | None:
    """The name a question asks every mention of ("Which documents mention Belmont?"), or None: a name is short
    (`NAME_WORDS` words at most) and says nothing of it ("as", a verb). "What texts talk about the creation of the
    world?" or "What documents refer to the king as Defender of the Faith?" ask for a text by what it says (Genesis,
    a papal bull), not for the articles that name a phrase.

    >>> [mention_request(question) for question in ("Which documents mention Belmont?",
    ...  "What articles talk about the Kessel interconnector?", "Which mayor opened the bridge?")]
    ['Belmont', 'the Kessel interconnector', None]
    >>> [mention_request(question) for question in ("What texts talk about the creation of the world?",
    ...  "What documents refer to the king as Defender of the Faith?", "Which reports say the mayor was wrong?")]
    [None, None, None]
    """
    asked = _ASKS_WHICH_MENTION.match(" ".join(question.split()))
    if asked is None:
        return None
    name = asked.group("name").strip(" \"'“”")
    words = name.split()
    if not words or len(words) > NAME_WORDS or any(word.lower() in _NOT_IN_A_NAME for word in words):
        return None
    return name


def name_pattern(name: str) -> re.Pattern[str]:
    """The name as written, whole words, any case and spacing, a leading article optional ("the Kessel
    interconnector" matches "Kessel interconnector").

    >>> bool(name_pattern("the Kessel interconnector").search("The Kessel\\ninterconnector opened."))
    True
    >>> bool(name_pattern("Belmont").search("Belmonte Street"))
    False
    >>> bool(name_pattern("the Belmont region").search("Rents in Belmont rose."))
    True
    """
    words = name.split()
    if len(words) > 1 and words[0].lower() in {"the", "a", "an"}:
        words = words[1:]
    if len(words) > 1 and words[-1].lower() in PLACE_WORDS and words[-2][:1].isupper():
        words = words[:-1]  # "the Belmont region" is Belmont: a report names the place without the word
    return re.compile(r"(?<!\w)" + r"\s+".join(re.escape(word) for word in words) + r"(?!\w)", re.IGNORECASE)


def mentions(index: SearchableIndex, name: str, filters: Filters | None = None) -> list[Mention]:
    """Every article of `index` (that `filters` allows) naming `name` in its title or text, once each (its first
    passage naming it, the sentence that does), oldest first (undated last); among the `LOOKUP_DEPTH` passages the
    word index ranks first (`mention_lookup` says whether there were more)."""
    return mention_lookup(index, name, filters)[0]


def mention_lookup(index: SearchableIndex, name: str, filters: Filters | None = None) -> tuple[list[Mention], bool]:
    """`mentions`, and whether the lookup read every passage holding the name's words (False when it stopped at
    `LOOKUP_DEPTH`: more articles may name it than are counted)."""
    pattern = name_pattern(name)
    found = index.candidates(None, name, LOOKUP_DEPTH, filters)
    complete = len(found.passages) < LOOKUP_DEPTH
    first: dict[str, Mention] = {}
    for passage in found.passages:
        match = pattern.search(passage.text)
        if match is None and not pattern.search(passage.title):
            continue
        kept = first.get(passage.article_id)
        if kept is not None and (match is None or (kept.end > kept.start and kept.passage.start <= passage.start)):
            continue  # a sentence naming it replaces a mention in the title only, however late
        span = next((span for span in split_sentences(passage.text)
                     if match is not None and span.start <= match.start() < span.end), None)
        if span is None and kept is not None:
            continue
        first[passage.article_id] = Mention(passage, span.start if span else 0, span.end if span else 0)
    return sorted(first.values(), key=lambda mention: (not mention.passage.published, mention.passage.published,
                                                       mention.passage.title)), complete


def mentions_answer(question: str, name: str, found: Sequence[Mention], complete: bool = True) -> Answer | None:
    """The answer listing the articles naming `name`, each citing the sentence that names it (or its title); None
    when none does (the question is then answered as any other). Not `complete` (the lookup stopped at
    `LOOKUP_DEPTH`), the count is "at least" that many."""
    if not found:
        return None
    lines = []
    citations = []
    for number, mention in enumerate(found[:LISTED], start=1):
        passage = mention.passage
        quote = " ".join(passage.text[mention.start:mention.end].split())
        dated = f" ({long_date(passage.published[:10])})" if passage.published else ""
        said = f": “{quote}”" if quote else " (in its title)"
        citations.append(Citation(number, passage, quote, mention.start, mention.end,
                                  support(quote, passage.text) if quote else 0.0,
                                  ((mention.start, mention.end),) if quote else ()))
        lines.append(f"{number}. {passage.title or passage.source}{dated}{said} [{number}]")
    count = len(found)
    least = "" if complete else "at least "
    more = f"\n\n{least.capitalize()}{count - LISTED} more articles name it." if count > LISTED else ""
    heading = f"{least}{count} article{'s' if count != 1 else ''} mention{'s' if count == 1 else ''} {name}:"
    heading = heading[:1].upper() + heading[1:]
    return Answer(question, heading + "\n\n" + "\n".join(lines) + more, tuple(citations))
