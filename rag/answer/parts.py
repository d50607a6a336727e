"""Questions that ask two things at once ("When did the footbridge reopen, and how much did the repairs cost?"):
`question_parts` finds where one question ends and another begins, and writes each part as a question of its own,
so that each is answered from its own evidence, or said missing, never silently dropped (`rag.answer.assistant`).

A part starts after "and", "but", "as well as", a question mark or a semicolon, where both sides read as questions;
question words sharing one question ("When and where was Chopin born?", "Where did Chopin die, and when?") each get
it whole. A pronoun in a later part is resolved to the first part's subject by the follow-up rules
(`rag.answer.conversation.rewrite_follow_up`). What is left whole is checked on the 11,873 SQuAD 2.0 dev questions
(`python -m tools.eval.question_forms`): each asks one thing.

Pure functions only: no model here.
"""

from __future__ import annotations

import re

from rag.answer.conversation import rewrite_follow_up
from rag.answer.hops import MODALS
from rag.text import SURFACE_WORD, content_words, is_number, participle_of, specific_terms

_WH_WORDS = frozenset({"when", "where", "who", "whom", "whose", "what", "which", "why", "how"})
_AUXILIARIES = MODALS
_PART_PREPOSITIONS = frozenset({"in", "on", "at", "by", "for", "from", "to", "with", "since", "until", "during",
                                "after", "before", "under", "through", "of", "into", "against", "about", "according",
                                "within", "over"})
_PART_ADVERBS = frozenset({"roughly", "approximately", "about", "around", "nearly", "almost", "exactly",
                           "precisely", "just"})
_PART_FILLERS = frozenset({"also", "then", "additionally"})
"""Words that only join a part to the one before ("and also when…", "and then who…"): dropped from the part."""
_REQUESTS = frozenset({"tell", "name", "list", "give", "describe", "explain"})
_SUBJECT_OPENERS = frozenset({"the", "a", "an", "he", "she", "it", "they", "this", "that", "these", "those", "there",
                              "his", "her", "its", "their", "i", "we", "you"})
_QUANTIFIERS = frozenset({"any", "some", "many", "most", "all", "both", "each", "every"})
"""Words a question's subject opens with after its auxiliary ("and was it…", "and did the council…", "and were
many…"); another word there continues the first part's subject ("Who wrote Freakonomics and is also an
anthropologist?"). After "how" the first ones open a clause ("and how the city grew"), the quantifiers a question
("how many")."""
_PAIRED = frozenset({"between", "both"})
"""Words whose "and" joins two things, not two questions ("What is the difference between X and how…")."""
_PART_BREAK = re.compile(r"(\s*[?;]\s*(?:(?:and|but)\s+)?|(?<=[.!])\s+(?=(?-i:[A-Z]))(?:(?:and|but)\s+)?|"
                         r"(?:,\s*|\s+)(?:and|but|as well as)\s+)", re.IGNORECASE)
"""Where one question may end and another begin: a question mark or semicolon, a sentence's end (a capital after
it: not "New York, Inc. have…"), or "and", "but" or "as well as" (after a comma or not). `question_parts` splits
there only when both sides read as questions."""
_AUXILIARY = "(?:" + "|".join(sorted(_AUXILIARIES)) + ")"
_OPENER = r"(?:(?:in|on|at|by|for|from|to|with|since|until|during|after|before)\s+)?(?:when|where|why|how|whom)"
_SHARED_OPENERS = re.compile(rf"^(?P<openers>{_OPENER}(?:(?:\s*,\s*and|\s*,|\s+and)\s+{_OPENER})+)\s+"
                             rf"(?P<rest>{_AUXILIARY}\s.+)$", re.IGNORECASE)
"""Question words that share one question: "When and where was Chopin born?" asks two things of "was Chopin born"."""
_OPENER_BREAK = re.compile(r"\s*,\s*and\s+|\s*,\s*|\s+and\s+", re.IGNORECASE)
_ELLIPTICAL_PART = re.compile(r"^(?:(?:in|on|at|by|for|from|to|with|since|until)\s+)?(?:when|where|why|whom|"
                              r"how(?:\s+(?:much|many|long|often)(?:\s+\w+)?)?|(?:what|which)\s+(?!else|other)\w+)$",
                              re.IGNORECASE)
"""A part that is only its question words ("Where did Chopin die, and when?", "…, and by whom?")."""
_ASKED_BEFORE_AUXILIARY = re.compile(r"^(?:(?:in|on|at|by|for|from|to|with|since|until|during)\s+)?(?:when|where|"
                                     rf"why|how(?:\s+\w+)?|(?:what|which)(?:\s+\w+)?)\s+(?P<rest>{_AUXILIARY}\s.+)$",
                                     re.IGNORECASE)
"""A question whose question words come before its auxiliary ("Where did Chopin die"): other question words can
take their place ("When did Chopin die")."""
_COUNTED_BEFORE_AUXILIARY = re.compile(rf"^how\s+(?:many|much)\s+(?P<counted>(?!of\b)\w+(?:\s+\w+)?)\s+"
                                       rf"(?P<rest>{_AUXILIARY}\s.+)$", re.IGNORECASE)
"""A how-many question whose counted thing comes before its auxiliary ("How many jobs is Tarrow Foods cutting"):
another question word asks of the same thing after the verb ("Where is Tarrow Foods cutting jobs"). Not "of …",
which is no thing ("How many of them were hurt" is no "Where were of them hurt")."""
_WHO_DID = re.compile(r"^who\s+(?P<verb>\w+)\s+(?P<done>.+)$", re.IGNORECASE)
_NO_PASSIVE = frozenset({"came", "became", "went", "rose", "had"})
"""Past tenses of irregular verbs (`rag.text.IRREGULAR_VERBS`) that `_elliptical_part` cannot make passive: "Who
became king, and when?" is no "When was king become?", and "had" is most often an auxiliary ("Who had won…")."""


def _lowered_words(text: str) -> list[str]:
    """The words of `text` in lower case, a question word's contraction opened ("what's": "what")."""
    return [_CONTRACTION.sub("", word.lower()) for word in SURFACE_WORD.findall(text)]


_CONTRACTION = re.compile(r"['’](?:s|re|d|ll|ve)$")
_FILLER_START = re.compile(r"^(?:(?:" + "|".join(sorted(_PART_FILLERS)) + r"),?\s+)+", re.IGNORECASE)


def _asks(piece: str) -> bool:
    """Whether a piece of a question asks something: an auxiliary or a request first, or a question word anywhere
    ("In what year…", "The smaller streams are used for what"). Not a statement that a question word after "and"
    only continues ("The Rhine forms the border between Austria and what other country?").

    >>> _asks("In what year did the bridge reopen"), _asks("The Rhine forms the border between Austria")
    (True, False)
    """
    words = _lowered_words(piece)
    return bool(words) and (words[0] in _AUXILIARIES | _REQUESTS or any(word in _WH_WORDS for word in words))


def _opens_part(piece: str, after_comma: bool) -> bool:
    """Whether a piece after "and" (or after a question's end) is a question of its own: a question word (after a
    preposition or an adverb: "in which year…", "roughly how many…") followed by what a question needs, or an
    auxiliary followed by a subject ("was it…"). Not a clause ("…and when a final inspection is passed"), nor a
    second verb of the first part's subject ("Who wrote Freakonomics and is also an anthropologist?").

    >>> _opens_part("in which year did it open", False), _opens_part("when a final inspection is passed", False)
    (True, False)
    """
    surface = SURFACE_WORD.findall(piece)
    words = _lowered_words(piece)
    if len(words) > 2 and (words[0] in _PART_PREPOSITIONS | _PART_ADVERBS) and words[1] in _WH_WORDS:
        surface, words = surface[1:], words[1:]
    if len(words) < 2:
        return False
    first, second = words[0], words[1]
    subject = second in _SUBJECT_OPENERS or surface[1][0].isupper() or is_number(second)
    if first in {"when", "where", "why"}:  # after a comma also a question in a statement's words ("…, and when
        return second in _AUXILIARIES or after_comma  # large groups boycott a system it can be considered?")
    if first == "how":  # "how many…", "how did…"; not "how the city grew"
        return not subject
    if first in _AUXILIARIES:
        return len(words) > 2 and (subject or second in _QUANTIFIERS)
    # "which in practice take too long": a relative clause, not a question; "what about Krakow?" asks the first
    # part again of another thing (`elliptical_question` writes it out)
    return first in _WH_WORDS and (second == "about" or second not in _PART_PREPOSITIONS)


def _completes_pair(before: str, separator: str) -> bool:
    """Whether the "and" after `before` joins the second of two things "between" or "both" open."""
    if "and" not in separator.lower():
        return False
    words = _lowered_words(before)
    opened = [index for index, word in enumerate(words) if word in _PAIRED]
    return bool(opened) and "and" not in words[opened[-1]:]


def _elliptical_part(piece: str, before: str) -> str:
    """A part that is only question words ("and when?") asked of the part before it, made whole: those words in
    place of the question words of `before` ("Where did Chopin die, and when?": "When did Chopin die"), or `before`
    made passive when it asks who did something ("Who founded the Sorbonne, and when?": "When was the Sorbonne
    founded"); "" when it is no such part or `before` cannot be rewritten so.

    >>> _elliptical_part("when", "Where did Chopin die"), _elliptical_part("by whom", "When was the Sorbonne founded")
    ('when did Chopin die', 'by whom was the Sorbonne founded')
    >>> _elliptical_part("when", "Who wrote Hamlet")
    'when was Hamlet written'
    >>> _elliptical_part("where", "How many jobs is Tarrow Foods cutting"), _elliptical_part("where", "How many went")
    ('where is Tarrow Foods cutting jobs', '')
    """
    if not _ELLIPTICAL_PART.match(piece):
        return ""
    counted = _COUNTED_BEFORE_AUXILIARY.match(before)
    if counted and not piece.lower().startswith("how"):
        auxiliary, subject, *rest = counted["rest"].split(None, 2)  # any space: "were\tcut"
        if subject[:1].islower() and subject.lower() not in _SUBJECT_OPENERS:  # what is counted is the subject
            return " ".join((piece, auxiliary, counted["counted"], subject, *rest))  # ("How many jobs will go")
        return f"{piece} {counted['rest']} {counted['counted']}"
    asked = _ASKED_BEFORE_AUXILIARY.match(before)
    if asked:
        return f"{piece} {asked['rest']}"
    done = _WHO_DID.match(before)
    if done is None or "whom" in piece.lower():  # "Who founded it, and by whom?" asks one thing twice
        return ""
    verb = done["verb"].lower()
    participle = "" if verb in _NO_PASSIVE else participle_of(verb)
    return f"{piece} was {done['done']} {participle}" if participle else ""


def _question(piece: str) -> str:
    piece = piece.strip(" ,?")
    return piece[0].upper() + piece[1:] + "?"


def question_parts(question: str) -> list[str]:
    """The parts of a question that asks two things, each as the answer finder reads it (a pronoun resolved to
    the first part's subject by the follow-up rules; the first part, were it kept as context, is not read with the
    second: each part is scored on its own words); the question itself when it asks one thing.

    A part starts after "and", "but", "as well as", a question mark or a semicolon, where both sides read as
    questions (`_asks`, `_opens_part`): never inside one question that names two things ("Who were Lewis and
    Clark?", "The Rhine forms the border between Austria and what other country?"). Question words that share a
    question ("When and where…", "…, and when?") each get it whole.

    >>> question_parts("When did the Maplewood footbridge reopen, and how much did the repairs cost?")[1]
    'How much did the repairs cost?'
    >>> question_parts("How long is the Maplewood footbridge, and when did it reopen?")[1]
    'When did the Maplewood footbridge reopen?'
    >>> question_parts("When did the Maplewood footbridge reopen? How much did the repairs cost?")[1]
    'How much did the repairs cost?'
    >>> question_parts("When and where was Chopin born?")
    ['When was Chopin born?', 'Where was Chopin born?']
    >>> question_parts("Who cut the ribbon at the footbridge?")
    ['Who cut the ribbon at the footbridge?']
    >>> question_parts("Who cut the ribbon? When did it reopen? Who cut the ribbon?")  # asked twice, answered once
    ['Who cut the ribbon?', 'When did it reopen?']
    """
    text = question.strip().rstrip(" ?")
    shared = _SHARED_OPENERS.match(text)
    if shared:
        return [_question(f"{opener} {shared['rest']}") for opener in _OPENER_BREAK.split(shared["openers"])]
    pieces = _PART_BREAK.split(text)
    kept = [pieces[0]]
    for separator, piece in zip(pieces[1::2], pieces[2::2], strict=True):
        part = _FILLER_START.sub("", piece)
        asks = _asks(kept[-1])
        whole = _elliptical_part(part.strip(" ,;.!"), kept[-1].strip(" ,;.!")) if asks else ""
        opens = asks and _opens_part(part, separator.startswith(",")) and not _completes_pair(kept[-1], separator)
        if whole or opens:
            kept.append(whole or part)
        else:  # no new question starts here: the piece goes on with the one before
            kept[-1] += separator + piece
    kept = _each_once(kept)
    if len(kept) < 2:
        return [question]
    first = _question(kept[0])
    return [first, *(rewrite_follow_up(_question(piece), [(first, "")]).text for piece in kept[1:])]


def _each_once(parts: list[str]) -> list[str]:
    """The parts, one asked twice (case and spacing aside) kept where it was first asked.

    >>> _each_once(["Who won", " When", " who  won"])
    ['Who won', ' When']
    """
    seen: set[str] = set()
    once = []
    for part in parts:
        key = " ".join(part.casefold().split())
        if key not in seen:
            seen.add(key)
            once.append(part)
    return once



BARE_PART_WORDS = 1
"""At most this many content words, and no name or number, make a later part one that names nothing of its own."""


def bare_part(part: str) -> bool:
    """Whether a later part of a question names nothing of its own (`BARE_PART_WORDS`): "what was the margin?" of
    "When did the council vote on the budget, and what was the margin?" is the vote's margin, searched with the first
    part beside it (`rag.answer.assistant`); "how much did the repairs cost?" names its own thing.

    >>> bare_part("What was the margin?"), bare_part("Who won?"), bare_part("How much did the repairs cost?")
    (True, True, False)
    >>> bare_part("Who is Elena Marsh?")
    False
    """
    return len(content_words(part)) <= BARE_PART_WORDS and not specific_terms(part)
