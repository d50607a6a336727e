"""Who runs an organisation: "Who runs Corlan Health?" answered with the person a news report names by the title
of its head ("Chief executive Martin Haldane apologised …").

A report names several people with titles (a chair, a chief geologist, a union's branch chairman, a former chief
executive) and asks nobody "who runs" it: the answer finder and the span reader, matching words, often pick the
wrong one. A question asking who runs, heads or leads something (`led_thing`) is answered from the best evidence
sentence that names a person right after the title of an organisation's head (`titled_head`), in a passage that
names the organisation; the span the reader found stays when it already is such a person.
"""

from __future__ import annotations

import dataclasses
import re
from collections.abc import Sequence
from dataclasses import dataclass

from rag.answer.evidence import Evidence, Sentence
from rag.answer.hops import PREPOSITIONS
from rag.answer.reader import TITLES, Reading, SpanFinder, ruled_reading
from rag.answer.timeframe import asks_who_now
from rag.records import Passage
from rag.text import HEAD_VERBS, content_words, verb_forms

_WHO_LEADS = re.compile(
    rf"^\s*who(?:\s+(?:{'|'.join(HEAD_VERBS)})|\s+is\s+running|(?:'s|’s|\s+is)\s+in\s+charge\s+of|"
    r"(?:'s|’s|\s+is)\s+(?:the\s+)?(?:boss|head|leader|chief)\s+(?:of|at))\s+(?P<thing>[^?]+?)\s*\??\s*$",
    re.IGNORECASE)

_HEAD_TITLE = re.compile(
    r"\b(?P<title>(?i:chief\s+executive(?:\s+officer)?|CEO|managing\s+director|executive\s+director|"
    r"director[- ]general|director|governor|president|general\s+secretary|secretary[- ]general|head\s*teacher|"
    r"boss|leader))\s*,?\s+(?P<name>[A-Z][\w'’.-]+(?:\s+(?:(?:de|van|von|der|da|di|le|la)\s+)?[A-Z][\w'’-]+)+)")
"""A head's title right before a person's name (two or more capitalised words), "chief executive Martin Haldane",
"Governor Helen Markby", "its managing director, Oskar Lindqvist"."""

_TOP_TITLES = frozenset({"chief executive", "chief executive officer", "ceo", "managing director", "director-general",
                         "director general", "executive director", "governor", "headteacher", "head teacher"})
"""The titles of the one who runs an organisation; the others (director, president, general secretary, boss,
leader) often belong to someone beside it."""

_NOT_THE_HEAD_NOW = re.compile(r"\b(?:former|then|previous|ex|outgoing|late|deputy|vice|assistant|interim|founding|"
                               r"then\s+(?:led|run|headed|managed)\s+by)\W*$", re.IGNORECASE)
"""Words before a title that make its holder not the one who runs the organisation now."""

_JOINING = frozenset({"its", "the", "their", "his", "her", "and", "said", "by", "with", "as", "new", "whose", "to",
                      "from", "acting", "company", "group", "firm", "trust", "authority", "operator", "club",
                      "museum", "council", "chain", "bank", "union", "prison", "jail", "school", "party", "agency"})
"""Lower-case words that may stand right before a head's title ("its chief executive", "the museum's director"):
any other ("finance director", "branch chairman", "regional director") names the head of a part."""


@dataclass(frozen=True)
class Head:
    """A person named by the title of an organisation's head: `start:end` of the sentence is the name."""

    start: int
    end: int
    title: str


def led_thing(question: str) -> str:
    """What a question asks who runs ("" when it asks no such thing): present tense only, as a question about
    who led something once names its time and asks about another holder. The thing must be a name (capitalised,
    or any word of a question typed all in lower case): "Who runs the most trains?" asks about no head.

    >>> led_thing("Who runs Corlan Health?"), led_thing("who is the boss of the northmarch health trust")
    ('Corlan Health', 'the northmarch health trust')
    >>> led_thing("Who is in charge of the Kestrin Transit Authority?"), led_thing("Who heads Skyreach?")
    ('the Kestrin Transit Authority', 'Skyreach')
    >>> led_thing("Who was the head of the authority in 2018?"), led_thing("Who runs the most trains?")
    ('', '')
    """
    match = _WHO_LEADS.match(question)
    if match is None:
        return ""
    thing = match.group("thing")
    named = any(word[:1].isupper() for word in thing.split()) or question == question.lower()
    return thing if named else ""


def titled_head(sentence: str, thing: str = "") -> Head | None:
    """The first person `sentence` names right after the title of an organisation's head, unless the title is
    someone else's: a former or deputy holder's ("then led by chief executive Moira Cuthbert"), the head of a part
    ("finance director Ana Lee", "head of natural history"), or, given the `thing` asked about, the head of an
    organisation named before the title that is not it ("Brenholt Holdings chief executive …").

    >>> sentence = "Its chair, Derek Olusanya, and chief executive Martin Haldane apologised."
    >>> head = titled_head(sentence)
    >>> sentence[head.start:head.end], head.title
    ('Martin Haldane', 'chief executive')
    >>> titled_head("It ended after the trust, then led by chief executive Moira Cuthbert, agreed.") is None
    True
    >>> titled_head("The team was led by chief geologist Tomasz Wren and finance director Ana Lee.") is None
    True
    >>> titled_head("KTA chief executive Helena Vasquez apologised.", "the Kestrin Transit Authority").title
    'chief executive'
    >>> titled_head("Brenholt Holdings chief executive Ida Moss said so.", "Nordvale Sugar") is None
    True
    >>> titled_head('"We chased it for seven years," chief executive Miriam Osei said.', "Corvane Resources").title
    'chief executive'
    >>> titled_head("Profits fell, finance director Ana Lee said.") is None
    True
    """
    for match in _HEAD_TITLE.finditer(sentence):
        before = sentence[:match.start()]
        if _NOT_THE_HEAD_NOW.search(before):
            continue
        previous = re.search(r"([\w'’&.-]+)\W*$", before)
        # A title after a quote's end or a comma opens its clause: the word before it ('"… for seven years," chief
        # executive Miriam Osei told reporters') is not the part of an organisation it heads.
        opens_clause = re.search(r"[,;:\"”]\s*$", before) is not None
        word = previous.group(1) if previous is not None and not opens_clause else ""
        possessive = word.lower().endswith(("'s", "’s"))
        if word and word[:1].islower() and not possessive and word.lower() not in _JOINING:
            continue
        owner = re.search(r"(?:[A-Z][\w'’&.-]*\s+)*[A-Z][\w'’&.-]*\s*$", before)
        named = [word for word in owner.group(0).split() if word.lower() not in _JOINING] if owner else []
        if thing and named and not names_thing(" ".join(named), thing, any_word=True):
            continue  # another organisation's head, named before the title
        title = " ".join(match.group("title").lower().split())
        return Head(match.start("name"), match.end("name"), title)
    return None


def names_thing(text: str, thing: str, any_word: bool = False) -> bool:
    """Whether `text` names the organisation `thing` by the first of its capitalised words (with `any_word`, by
    any of them), or by their initials ("KTA" for "the Kestrin Transit Authority"); a thing asked about without
    capitals ("velbus") is named by its longer words.

    >>> names_thing("KTA chief executive Helena Vasquez apologised.", "the Kestrin Transit Authority")
    True
    >>> names_thing("Velbus will run the line.", "velbus"), names_thing("The bank fell.", "Corlan Health")
    (True, False)
    >>> names_thing("Velbus runs buses in Velmora.", "the Civic Alliance group on Velmora city council")
    False
    >>> names_thing("Museum", "the Ardeval Museum of Natural History", any_word=True)
    True
    """
    words = re.findall(r"[\w'’&-]+", thing)
    capitals = [word for word in words if word[:1].isupper()] or [word for word in words if len(word) > 3]
    if not capitals:
        return False
    # its first word: the name's own ("Civic" of "the Civic Alliance group on Velmora city council"), where the
    # others may be a place the whole story is in
    named = [word.lower() for word in capitals if word.lower() != "the"]
    if any(re.search(rf"\b{re.escape(word)}\b", text.lower()) for word in named[:None if any_word else 1]):
        return True
    initials = "".join(word[0] for word in capitals if word[:1].isupper())
    return len(initials) > 1 and re.search(rf"\b{re.escape(initials)}\b", text) is not None


_AFTER_HEAD = PREPOSITIONS | {"of", "in", "at", "for", "on", "with", "over", "under", "by"}
"""Words that end the noun phrase naming what is asked about ("the union *behind* the strike")."""


def names_kind(text: str, thing: str) -> bool:
    """Whether `text` says what kind of thing `thing` is, when the question says it after the name in lower case
    ("the new Skerrow surgery": a surgery): a story that only names the place ("the Port Ellan to Skerrow ferry")
    is not about it. True when the thing says no such kind.

    >>> names_kind("Skerrow opened its first doctor's surgery.", "the new Skerrow surgery")
    True
    >>> names_kind("The Port Ellan to Skerrow ferry will resume.", "the new Skerrow surgery")
    False
    >>> names_kind("The KTA apologised.", "the Kestrin Transit Authority"), names_kind("Velbus runs.", "velbus")
    (True, True)
    >>> names_kind("The Orwin riders' strike enters week two.", "the union behind the Orwin riders' strike")
    False
    """
    words = re.findall(r"[\w'’&-]+", thing)
    if len(words) < 2 or not any(word[:1].isupper() for word in words):
        return True
    # The kind is the head noun: "the union behind the riders' strike" is a union, not a strike
    before = next((words[:place] for place, word in enumerate(words) if place and word in _AFTER_HEAD), words)
    kind = before[-1]
    if not kind.isalpha() or not kind.islower() or len(kind) < 4:
        return True
    stem = kind[:max(4, len(kind) - 2)]  # "surgeries" and "surgery", "trusts" and "trust"
    return re.search(rf"\b{re.escape(stem)}", text, re.IGNORECASE) is not None


def strongest_head(thing: str, evidence: Evidence, passages: Sequence[Passage]) -> tuple[Head, Sentence] | None:
    """The person a head's title names (`titled_head`) among the evidence sentences of the passages that name
    `thing`, with the sentence: the strongest title (`_TOP_TITLES` first: a union's general secretary quoted in a
    story about an orchestra is not who runs the orchestra, its managing director is), the best-ranked sentence
    among equals. None when no sentence names one."""
    best: tuple[int, int, Head, Sentence] | None = None
    for rank, sentence in enumerate(evidence.ranked[0] if evidence.ranked else ()):
        passage = passages[sentence.passage_index]
        head = titled_head(passage.text[sentence.start:sentence.end], thing)
        about = f"{passage.title}\n{passage.text}"
        if head is None or not names_thing(about, thing) or not names_kind(about, thing):
            continue
        strength = 0 if head.title in _TOP_TITLES else 1
        if best is None or (strength, rank) < best[:2]:
            best = (strength, rank, head, sentence)
    return None if best is None else (best[2], best[3])


def head_reading(question: str, reading: Reading | None, evidence: Evidence, passages: Sequence[Passage],
                 reader: SpanFinder) -> Reading | None:
    """For a question asking who runs something (`led_thing`), the reading moved to the head `strongest_head`
    finds. Kept when no sentence has one, or when its own span already is a person named by a head's title. The
    moved reading is a rule's (`Reading.ruled`: answered with, however unsure the reader is of it; "who runs
    velbus" was refused when the reader gave its head 0.2); its chance is the reader's for it when the reader
    finds it in that sentence, else the chance of the reading it replaces."""
    thing = led_thing(question)
    if not thing or len(evidence.parts) != 1 or not evidence.ranked:
        return reading
    if reading is not None:
        own = titled_head(passages[reading.passage_index].text[reading.sentence_start:reading.sentence_end], thing)
        if own is not None and own.start <= reading.span.start < own.end:
            return reading
    strongest = strongest_head(thing, evidence, passages)
    if strongest is None:
        return reading
    head, sentence = strongest
    return ruled_reading(question, reading, sentence, passages, (head.start, head.end), reader)



_BEFORE_WHOM = re.compile(r"^\s*(?i:who)\b[^?]*?\bbefore\s+"
                          r"(?P<successor>[A-Z][\w'’.-]*(?:[\s-]+[A-Z][\w'’.-]*)*)\s*\??\s*$")
"""A question asking who held a post before a named person: "Who ran Corvane Resources before Miriam Osei?"."""

_BEFORE_WHOM_TYPED = re.compile(r"^\s*who\b[^?]*?\bbefore\s+"
                                r"(?P<successor>[a-z][\w'’.-]*(?:\s+[a-z][\w'’.-]*)?)\s*\??\s*$")
"""The same typed all in lower case ("who ran corvane before osei"): the last one or two words are the name."""


def successor_asked(question: str) -> str:
    """The person a question asks who came before ("" when it asks no such thing).

    >>> successor_asked("Who ran Corvane Resources before Miriam Osei?"), successor_asked("who ran it before osei")
    ('Miriam Osei', 'osei')
    >>> successor_asked("Who was mayor before the by-election?")
    ''
    """
    match = (_BEFORE_WHOM_TYPED if question == question.lower() else _BEFORE_WHOM).match(question)
    return match.group("successor") if match else ""

_NAME = r"(?P<name>[A-Z][\w'’.-]+(?:\s+(?:(?:de|van|von|der|da|di|le|la)\s+)?[A-Z][\w'’-]+)+)"
_DESCRIBED = r"(?:(?:its|the|her|his|their)\s+)?(?:(?:[a-z][\w-]*|[A-Z]{2,})\s+){0,3}?"
"""Up to three lower-case words before a name that say who the person was ("founder", "long-serving chief
executive", "its former director")."""

_PREDECESSOR = tuple(re.compile(pattern) for pattern in (
    rf"\bpredecessor(?:\s+as\s+[a-z][\w\s-]*?)?\s*,?\s+{_DESCRIBED}{_NAME}",
    rf"\b(?:took\s+over|inherited|taken\s+over)\b[^.;]{{0,60}}?\bfrom\s+{_DESCRIBED}{_NAME}",
    rf"\b(?:succeed(?:ed|s|ing)?|replac(?:ed|es|ing))\s+{_DESCRIBED}{_NAME}",
    rf"\b(?i:former|previous|outgoing|ex-)\s*{_HEAD_TITLE.pattern}"))
"""How a report names who held a post before its holder: "Fenwick's predecessor, Harald Quist", "took over the
company in 2019 from founder Gerald Pask", "succeeded Ronald Fyfe", "former chief executive Gerald Pask"."""


def predecessor(sentence: str, successor: str) -> tuple[int, int] | None:
    """Where `sentence` names the one who held a post before `successor` (`_PREDECESSOR`), not the successor
    again; None when it names none.

    >>> sentence = "The 51-year-old, who took over the company in 2019 from founder Gerald Pask, said so."
    >>> start, end = predecessor(sentence, "Miriam Osei")
    >>> sentence[start:end]
    'Gerald Pask'
    >>> sentence = "It bought a skull under Fenwick's predecessor, Harald Quist."
    >>> sentence[slice(*predecessor(sentence, "Odile Fenwick"))]
    'Harald Quist'
    >>> predecessor("Osei succeeded Gerald Pask as chief executive.", "Gerald Pask") is None
    True
    """
    surnames = {word.lower() for word in successor.split()[-1:]}
    found = [match for pattern in _PREDECESSOR for match in pattern.finditer(sentence)
             if not surnames & {word.lower() for word in match.group("name").split()}]
    return min((match.span("name") for match in found), default=None)


def predecessor_reading(question: str, reading: Reading | None, evidence: Evidence, passages: Sequence[Passage],
                        reader: SpanFinder) -> Reading | None:
    """For a question asking who held a post before a named person (`successor_asked`), the reading moved to the
    person the best-ranked evidence sentence names as the one before (`predecessor`), in a passage that names the
    successor; a rule's reading (`Reading.ruled`), as `head_reading`'s. The reader, matching words, answers with
    the successor the question names or a sentence's other person. Kept when no sentence names one."""
    successor = successor_asked(question)
    if not successor or len(evidence.parts) != 1 or not evidence.ranked:
        return reading
    surname = successor.split()[-1].lower()
    for sentence in evidence.ranked[0]:
        passage = passages[sentence.passage_index]
        if surname not in f"{passage.title}\n{passage.text}".lower():
            continue
        text = passage.text[sentence.start:sentence.end]
        found = predecessor(text, successor)
        if found is None:
            continue
        if reading is not None and (reading.passage_index, reading.sentence_start) == (sentence.passage_index,
                                                                                       sentence.start) and (
                found == (reading.span.start, reading.span.end)):
            return reading
        return ruled_reading(question, reading, sentence, passages, found, reader)
    return reading


ROLES = {
    "chairs": ("chair", "chairman", "chairwoman", "chairperson"),
    "owns": ("owner", "co-owner", "proprietor"),
    "founded": ("founder", "co-founder"),
    "coaches": ("coach", "head coach"),
    "captains": ("captain", "skipper"),
    "manages": ("manager",),
}
"""Who-questions asking for a role rather than for who runs a thing ("Who chairs the campaign group?"), and the
nouns a report names the holder by ("Its chairwoman, retired schoolteacher Maureen Oakes")."""

OFFICES = (("mayor",),)
"""Roles a who-question asks for only by their noun ("Who is the mayor of Kestrel Haven?"): no verb says them."""

_WHO_ROLE = re.compile(rf"^\s*(?i:who)\s+(?P<verb>{'|'.join(ROLES)})\s+(?P<thing>[^?]+?)\s*\??\s*$")
_NOUN_ROLE = re.compile(r"^\s*(?i:who)(?:'s|’s|\s+is)\s+(?:the\s+)?(?P<noun>[a-z-]+(?:\s+coach)?)\s+of\s+"
                        r"(?P<thing>[^?]+?)\s*\??\s*$")
_NAME_ROLE = re.compile(r"^\s*(?i:who)(?:'s|’s|\s+is)\s+(?P<thing>(?:the\s+)?(?!(?i:the)\b)[\w'’&.-]+"
                        r"(?:\s+[\w'’&.-]+){0,4}?)(?:'s|’s|')?\s+(?P<noun>[a-z-]+(?:\s+coach)?)\s*\??\s*$")
"""The role said after the thing's name: "Who is the Rovers manager?", "Who is Kestrel Haven's mayor?" ("the" alone
is no name: "who is the mayor?")."""


def asked_role(question: str) -> tuple[tuple[str, ...], str]:
    """The nouns of the role a who-question asks for (`ROLES`), and the thing it is the role of; ((), "") when it
    asks for none.

    >>> asked_role("Who chairs the campaign group Keep Saltmere Breathing?")
    (('chair', 'chairman', 'chairwoman', 'chairperson'), 'the campaign group Keep Saltmere Breathing')
    >>> asked_role("Who is the owner of the Lantern bookshop?")[1], asked_role("Who runs Velbus?")
    ('the Lantern bookshop', ((), ''))
    >>> asked_role("Who is the founder of modern community organizing?")
    ((), '')
    >>> asked_role("Who is the Rovers manager?"), asked_role("Who is the mayor of Kestrel Haven?")[1]
    ((('manager',), 'the Rovers'), 'Kestrel Haven')
    >>> asked_role("Who is the Rovers assistant manager?"), asked_role("Who is the deputy mayor of Kestrel Haven?")
    (((), ''), ((), ''))
    """
    verb = _WHO_ROLE.match(question)
    noun = _NOUN_ROLE.match(question) or _NAME_ROLE.match(question)
    thing = verb.group("thing") if verb else noun.group("thing") if noun else ""
    # a name, as `led_thing`'s: "the founder of modern community organizing" names no thing a report's role is of;
    # and, said before the role, a name to its end: "the Rovers assistant manager" asks for no manager
    typed = question == question.lower()
    if not (any(word[:1].isupper() for word in thing.split()) or typed) or (
            noun is not None and noun.re is _NAME_ROLE and not (typed or thing.split()[-1][:1].isupper())):
        return (), ""
    if verb is not None:
        return ROLES[verb.group("verb")], thing
    for nouns in (*ROLES.values(), *OFFICES):
        if noun is not None and noun.group("noun") in nouns:
            return nouns, thing
    return (), ""


_OTHER_HOLDER = re.compile(r"\b(?:former|ex|previous|late|outgoing|incoming|then|deputy|vice|assistant|associate|"
                           r"shadow|junior|honorary|prospective|would-be)\W*$", re.IGNORECASE)
"""Words right before a role's noun that make it another role ("deputy mayor", "vice-chairman", "assistant manager",
"shadow chancellor") or another time's holder ("former owner", "incoming manager"). Not "acting", "interim" or
"caretaker": a caretaker manager is the manager for the time being."""

_ELECT = r"(?![-‐](?:elect|designate)\b)"
"""A role's noun is not the one held yet when "-elect" or "-designate" follows it ("mayor-elect")."""


def other_holder(before: str) -> bool:
    """Whether the words `before` a role's noun make its holder another role's, or another time's (`_OTHER_HOLDER`).

    >>> other_holder("Councillor Fatima Sheikh was elected deputy "), other_holder("the club's vice-")
    (True, True)
    >>> other_holder("His assistant, Joanne Kerr, will take charge as caretaker "), other_holder("its new ")
    (False, False)
    """
    return _OTHER_HOLDER.search(before) is not None


def asked_of(question: str) -> str:
    """The named thing a who-question asks for someone of ("" when it asks no such thing): who runs it (`led_thing`),
    who holds a role of it, any role ("Who is the Rovers goalkeeper?", "Who is the captain of Harrow Town?").

    >>> asked_of("Who is the Rovers manager?"), asked_of("Who runs Corlan Health?")
    ('the Rovers', 'Corlan Health')
    >>> asked_of("Who is the goalkeeper of Harrow Town?"), asked_of("Who did Rovers play?")
    ('Harrow Town', '')
    """
    match = _WHO_ROLE.match(question) or _NOUN_ROLE.match(question) or _NAME_ROLE.match(question)
    thing = led_thing(question) or (match.group("thing") if match else "")
    named = [word for word in thing.split() if word[:1].isupper()]
    return thing if named and (match is None or match.re is not _NAME_ROLE or thing.split()[-1] in named) else ""


def is_thing_asked(question: str, span: str) -> bool:
    """Whether `span` is the very thing a who-question asks for someone of (`asked_of`), by its name or a fuller
    one: "Kestrel Haven Rovers" answers nothing of "Who is the Rovers manager?". A person of the thing's name
    ("Henry Ford" for "Who runs Ford?") is the caller's to tell apart (a tagger's PERSON): this says True of
    "Michael Dell" for "Who founded Dell?", and only the tagger keeps it (the assistant's PERSON check).

    >>> is_thing_asked("Who is the Rovers manager?", "Kestrel Haven Rovers")
    True
    >>> is_thing_asked("Who is the Rovers manager?", "Luis Moreno"), is_thing_asked("Who did Rovers play?", "Rovers")
    (False, False)
    >>> is_thing_asked("Who owns the Notre Dame stadium?", "the University of Notre Dame")
    False
    >>> is_thing_asked("Who founded Dell?", "Michael Dell")  # a person: only the tagger tells
    True
    """
    thing = asked_of(question)
    words = content_words(thing)
    return bool(words) and words <= content_words(span)


def role_holder(sentence: str, nouns: Sequence[str], others: bool = False, titled: bool = False
                ) -> tuple[int, int] | None:
    """Where `sentence` names a person by one of the role `nouns`: right after it, a description between them
    allowed ("Its chairwoman, retired schoolteacher Maureen Oakes"), or before it, said to be or become it ("Luis
    Moreno as their new manager", "Aisling Brennan was elected mayor"), unless the holder is not the one now
    ("former owner") or the role is another ("deputy mayor": `other_holder`); None when it names none. Titles before
    the name are not the name ("Councillor Aisling Brennan"). With `others`, where it names the holder of another
    role or time instead (the deputy mayor for "mayor"); with `titled`, only a name the role stands right before
    (a title: "Prosecutor Siobhan Grady").

    >>> sentence = "Its chairwoman, retired schoolteacher Maureen Oakes, said ships left engines running."
    >>> sentence[slice(*role_holder(sentence, ROLES["chairs"]))]
    'Maureen Oakes'
    >>> role_holder("Its former owner, Tomas Berg, sold it.", ROLES["owns"]) is None
    True
    >>> sentence = "Rovers have appointed Luis Moreno as their new manager on a contract until June 2027."
    >>> sentence[slice(*role_holder(sentence, ROLES["manages"]))]
    'Luis Moreno'
    >>> sentence = "Councillor Fatima Sheikh was elected deputy mayor of Kestrel Haven on Monday."
    >>> role_holder(sentence, ("mayor",)) is None, sentence[slice(*role_holder(sentence, ("mayor",), others=True))]
    (True, 'Fatima Sheikh')
    >>> sentence = "His assistant, Joanne Kerr, will take charge of the team as caretaker manager."
    >>> sentence[slice(*role_holder(sentence, ROLES["manages"]))]
    'Joanne Kerr'
    """
    said = rf"(?P<noun>(?i:{'|'.join(re.escape(noun) for noun in nouns)})){_ELECT}"
    if not nouns or re.search(rf"\b{said}", sentence) is None:
        return None  # `before` tries a name at every capitalised word: quadratic in a long run of them
    after = re.compile(rf"\b{said}\s*,?\s+(?:[a-z][\w-]*\s+){{0,3}}?{_NAME}")
    title = re.compile(rf"\b{said}\s*,?\s+{_NAME}")
    before = re.compile(rf"{_NAME}(?:,?\s+[a-z][\w'’-]*){{0,6}}?,?\s+(?:as|is|was|became|becomes|elected|appointed|"
                        rf"named)\s+(?:(?:the|a|an|its|their|his|her|new|permanent|current|full-time)\s+)*"
                        rf"(?:[a-z][\w-]*\s+)?\b{said}\b")
    found = sorted((match.span("name"), other_holder(sentence[:match.start("noun")]))
                   for pattern in ((title,) if titled else (after, before)) for match in pattern.finditer(sentence))
    for (start, end), other in found:
        while " " in sentence[start:end] and sentence[start:end].split(maxsplit=1)[0].lower() in _COUNCIL_TITLES:
            start = sentence.index(" ", start, end) + 1
        name = _without_titles(sentence, start, end)
        if name is not None and other is others:
            return name
    return None


_COUNCIL_TITLES = frozenset({"councillor", "councilor", "cllr", "alderman", "alderwoman"})
"""Titles a local report opens a name with that are no part of it ("Councillor Aisling Brennan")."""


def role_reading(question: str, reading: Reading | None, evidence: Evidence, passages: Sequence[Passage],
                 reader: SpanFinder) -> Reading | None:
    """For a who-question asking for a role (`asked_role`), the reading moved to the person the best-ranked
    evidence sentence names by that role (`role_holder`), in an article whose retrieved passages name the thing
    (the sentence may open "Its chairwoman" in a passage of its own) and who the sentence does not say left it
    ("have sacked manager Frank Doherty": `left`); a rule's reading, as `head_reading`'s. Kept when its own span is
    already such a person and no better-ranked sentence names another, or when no sentence names one, unless its
    sentence names it by another role or time's (`other_holder`: "deputy mayor" for "Who is the mayor of Kestrel
    Haven?"): then no span answers. A who-question asking for no role, but who did something, is
    `rag.answer.reader.agent_reading`'s ("Who prosecuted?")."""
    nouns, thing = asked_role(question)
    if not nouns or len(evidence.parts) != 1 or not evidence.ranked:
        return reading
    holds = False
    if reading is not None:
        own = role_holder(passages[reading.passage_index].text[reading.sentence_start:reading.sentence_end], nouns)
        holds = own is not None and own[0] <= reading.span.start < own[1]
    naming = {passage.article_id for passage in passages
              if names_thing(about := f"{passage.title}\n{passage.text}", thing) and names_kind(about, thing)}
    for sentence in evidence.ranked[0]:
        passage = passages[sentence.passage_index]
        if holds and reading is not None and (sentence.passage_index, sentence.start) == (reading.passage_index,
                                                                                         reading.sentence_start):
            return reading  # the reader's own holder, in the best sentence naming one
        text = passage.text[sentence.start:sentence.end]
        found = role_holder(text, nouns) if passage.article_id in naming else None
        if found is None or names_thing(text[found[0]:found[1]], thing, any_word=True):
            continue  # none, or the thing itself ("its owner, Nordvale Sugar" of a factory Nordvale Sugar owns)
        if left(text, *found):
            continue  # "Rovers have sacked manager Frank Doherty": the role asked about now is no longer his
        # a better-ranked sentence's holder: "Luis Moreno as their new manager" over the reader's "Caretaker manager
        # Joanne Kerr will stay on as his assistant" (the newest report first, for who holds it now)
        return ruled_reading(question, reading, sentence, passages, found, reader)
    if holds:
        return reading
    if reading is not None:
        other = role_holder(passages[reading.passage_index].text[reading.sentence_start:reading.sentence_end], nouns,
                            others=True)
        if other is not None and other[0] <= reading.span.start < other[1]:
            return None  # the deputy mayor is no answer to who the mayor is: the model reads the passages instead
    return reading


def agent_nouns(verb: str) -> tuple[str, ...]:
    """The nouns that may name the one who does what a verb (any of its forms) says: its base with "-er" or "-or"
    ("prosecuted": prosecutor; "designed": designer, "organised": organiser); some are no words, and match nothing.
    None for a verb of being or having, or a stop word.

    >>> agent_nouns("prosecuted")[:2], agent_nouns("designs")[:2], agent_nouns("is")
    (('prosecuter', 'prosecutor'), ('designer', 'designor'), ())
    """
    if verb in _NO_AGENT:
        return ()
    bases = sorted(form for form in verb_forms(verb) if not form.endswith(("ed", "ing", "s")) or form == verb)
    nouns: list[str] = []
    for base in bases:
        root = base[:-1] if base.endswith("e") else base
        nouns += [f"{root}er", f"{root}or"]
    return tuple(dict.fromkeys(nouns))


_NO_AGENT = frozenset({"is", "was", "are", "were", "be", "been", "has", "have", "had", "do", "does", "did", "will",
                       "would", "can", "could", "said", "says", "say", "told", "tell", "got", "get", "went", "go",
                       "came", "come", "made", "make", "took", "take"})
"""Verbs whose "-er" names no one the reports name by it ("Who said it?" asks for no sayer)."""


def doer_nouns(question: str, verb: str) -> tuple[str, ...]:
    """The nouns of the doer (`agent_nouns`) that may name, as a title right before the name ("Prosecutor Siobhan
    Grady"), who did what a who-question's `verb` says (`rag.answer.reader.agent_reading`); none when it asks who
    leads or runs something: that is the heads' rules' (`head_reading`), and a "leader" of anything is no answer.

    >>> doer_nouns("Who prosecuted the treasurer?", "prosecuted")[:2], doer_nouns("Who runs Corlan?", "runs")
    (('prosecuter', 'prosecutor'), ())
    """
    forms = verb_forms(verb.lower())
    if led_thing(question) or forms & {base.removesuffix("s") for base in HEAD_VERBS}:
        return ()
    return agent_nouns(verb.lower())


_HELD_THEN = re.compile(r"^\s*(?i:who)\s+(?:(?:was|were)\s+(?:the\s+|its\s+)?[\w\s'’-]*?(?:head|chief|boss|leader|"
                        r"director|chair\w*|governor|president|conductor|manager|coach|captain|mayor|in\s+charge)\b|"
                        r"(?:ran|headed|led|managed|chaired|coached|captained)\b)[^?]*?\b(?:when|during|in\s+\d{4}|at\s+"
                        r"the\s+time)\b", re.IGNORECASE)
"""A question asking who held a post at a time gone by: "Who ran the trust during the 2019 walkout?", "Who was the
head of the authority when the 2018 plan was proposed?"."""

_THEN_HOLDER = re.compile(rf"\bthen[\s-]+(?:(?:led|run|headed|managed|chaired)\s+by\s+)?(?:[a-z][\w-]*,?\s+){{0,3}}?"
                          rf"{_NAME}")
"""How a report names who held a post back then: "under then chief executive Ronald Fyfe", "the trust, then led by
chief executive Moira Cuthbert", "its then chief conductor, Aldo Venturi"."""


def then_holder(question: str, sentence: str) -> tuple[int, int] | None:
    """Where `sentence` names who held a post back then ("then chief executive Ronald Fyfe", `_THEN_HOLDER`), for
    a question asking who held one at a time gone by (`_HELD_THEN`); None otherwise.

    >>> sentence = "A plan put forward in 2018 under then chief executive Ronald Fyfe was withdrawn."
    >>> question = "Who was the head of the harbour authority when the 2018 plan was proposed?"
    >>> sentence[slice(*then_holder(question, sentence))]
    'Ronald Fyfe'
    >>> then_holder("Who runs the harbour authority?", sentence) is None
    True
    """
    if _HELD_THEN.match(question) is None or successor_asked(question):
        return None
    found = _THEN_HOLDER.search(sentence)
    return found.span("name") if found else None


def then_reading(question: str, reading: Reading | None, evidence: Evidence, passages: Sequence[Passage],
                 reader: SpanFinder) -> Reading | None:
    """For a question asking who held a post at a time gone by, the reading moved to the person the best-ranked of
    the evidence sentences that name one as the holder back then names (`then_holder`); a rule's reading, as
    `head_reading`'s (the reader, matching words, answers with the holder now). Kept when none does."""
    if _HELD_THEN.match(question) is None or len(evidence.parts) != 1 or not evidence.ranked:
        return reading
    for sentence in evidence.ranked[0][:THEN_REACH]:
        passage = passages[sentence.passage_index]
        found = then_holder(question, passage.text[sentence.start:sentence.end])
        if found is not None:
            if reading is not None and (reading.passage_index, reading.sentence_start) == (
                    sentence.passage_index, sentence.start) and reading.span.start <= found[0] < reading.span.end:
                return reading
            return ruled_reading(question, reading, sentence, passages, found, reader)
    return reading


THEN_REACH = 8
"""Evidence sentences searched, best first, for one naming who held a post back then."""


# -- who left: a head named as the one who went ------------------------------------------------------------------

_LEFT_BEFORE = re.compile(
    r"\b(?:(?:resignation|departure|retirement|exit|dismissal|sacking|ousting|removal|death)\s+of|"
    r"(?:succeed(?:s|ed|ing)?|replac(?:es|ed|ing))(?!\s+by\b)|(?:took|takes|taking|take)\s+over\s+from|predecessor|"
    r"(?:sacked|dismissed|fired|ousted|axed)(?!\s+by\b)|the\s+late)(?:\s+(?!by\b)(?:[a-z][\w-]*|[A-Z][\w-]*)){0,3}?\s+$")
"""Words before a name that say its holder went: "the resignation of Margaret Oduya", "succeeds Tomas Reyes" (not
"succeeded by", "replaced by": that one came)."""

_FORMER = re.compile(r"\b(?:former|outgoing|departing|ex-)\s*(?P<post>(?:[\w-]+\s+){1,3}?)$", re.IGNORECASE)
"""A name's earlier post said before it ("former chief executive Margaret Oduya"): gone from that post only."""

_LEFT_AFTER = re.compile(
    r"^(?:,\s+(?:who|the)\b[^,]{0,60}?\b(?:resigned|retired|stepped\s+down|quit|left|died|outgoing|former|"
    r"was\s+(?:sacked|dismissed|fired|ousted|replaced|succeeded))|\s+(?:has\s+|had\s+)?(?:resigned|retired|"
    r"stepped\s+down|quit)|\s+(?:was|has\s+been|had\s+been)\s+(?:replaced|succeeded|sacked|dismissed|fired|"
    r"ousted))\b")
"""Words after a name that say its holder went: "Margaret Oduya has resigned", ", who retired in May", "was replaced
by" (not "will step down": the holder until then)."""

_SUCCESSOR_BEFORE = re.compile(r"\b(?:replaced|succeeded)\s+by\s+$")
"""Words before the name of the one who took the post of the one who left."""

_LEFT_NAME = re.compile(r"[A-Z][\w'’.-]+(?:\s+(?:(?:de|van|von|der|da|di|le|la)\s+)?[A-Z][\w'’-]+)+")


def left(sentence: str, start: int, end: int, post: re.Pattern[str] | None = None) -> bool:
    """Whether the sentence says the person named at `start:end` went from their post (`post`, the title asked
    about: a "former finance director" named chief executive did not leave that post; None: any head's).

    >>> sentence = "It appointed Priya Castell as chief executive after the resignation of Margaret Oduya."
    >>> left(sentence, 13, 26), left(sentence, 71, 85)
    (False, True)
    >>> left("Margaret Oduya has resigned as chief executive.", 0, 14)
    True
    >>> left("Dana Ruiz will step down at the end of June.", 0, 9)  # she holds it until then
    False
    >>> left("Rovers have sacked manager Frank Doherty after five defeats.", 27, 40)
    True
    >>> sentence = "Margaret Oduya was replaced by Priya Castell."
    >>> left(sentence, 0, 14), left(sentence, 31, 44)
    (True, False)
    >>> chief = re.compile(r"chief executive", re.IGNORECASE)
    >>> left("It named former finance director Tomas Reyes as chief executive.", 33, 44, chief)
    False
    >>> left("Former chief executive Tomas Reyes spoke.", 23, 34, chief)
    True
    """
    if _LEFT_BEFORE.search(sentence[:start]) or _LEFT_AFTER.match(sentence[end:]):
        return True
    former = _FORMER.search(sentence[:start])
    return former is not None and (post or _HEAD_TITLE_WORDS).search(former.group("post")) is not None


_ASKS_NEW = re.compile(r"\b(?:new|next|incoming)\b", re.IGNORECASE)
"""A who-now question asking for the one who takes a post ("Who is the new chief executive?"): the holder who will
step down is not it."""

_STEPPING_DOWN = re.compile(
    r"^(?:,\s+who\s+|\s+)(?:(?:will|is\s+to|is\s+set\s+to|is\s+due\s+to|plans\s+to|intends\s+to)\s+(?:step\s+down|"
    r"stand\s+down|leave|retire|quit|resign)|is\s+(?:stepping\s+down|standing\s+down|leaving|retiring))\b")
"""Words after a name that say its holder is going, not gone yet: "Dr Marcus Lowe will step down as chief
executive at the end of the year"."""

_STAND_IN = re.compile(r"\b(?P<kind>interim|acting|caretaker|temporary)\s+$", re.IGNORECASE)
"""A post held until a permanent holder comes: "will act as interim chief executive"."""


def going(sentence: str, start: int, end: int) -> bool:
    """Whether the sentence says the person named at `start:end` will leave their post (not that they left).

    >>> going("Dr Marcus Lowe will step down as chief executive at the end of the year.", 0, 14)
    True
    >>> going("Amara Whitlock will act as interim chief executive.", 0, 14)
    False
    """
    return _STEPPING_DOWN.match(sentence[end:]) is not None


def stayer_reading(question: str, reading: Reading | None, evidence: Evidence, passages: Sequence[Passage],
                   reader: SpanFinder) -> Reading | None:
    """For a question about who holds a post now (`rag.answer.timeframe.asks_who_now`), the reading moved off a
    person the sentence says went ("the resignation of Margaret Oduya", "Margaret Oduya has resigned") to the first
    person of the best evidence sentences who did not, in a sentence naming a head's title (their successor, an
    interim); kept when there is none. The newest report's sentences come first for such a question.
    Asked for the new holder (`_ASKS_NEW`), a person who will step down went too; asked for the new permanent one,
    a stand-in (`_STAND_IN`: "will act as interim chief executive") is not it, and is said as such when no one
    else holds the post: "No permanent chief executive is named; Amara Whitlock is interim chief executive"."""

    if reading is None or not asks_who_now(question) or len(evidence.parts) != 1 or not evidence.ranked:
        return reading
    named = _HEAD_TITLE_WORDS.search(question)  # the post asked about ("chief executive"), else any head's
    title = re.compile(rf"\b{re.escape(named.group(0))}\b", re.IGNORECASE) if named else _HEAD_TITLE_WORDS
    new = _ASKS_NEW.search(question) is not None
    permanent = re.search(r"\bpermanent\b", question, re.IGNORECASE) is not None

    def went(text: str, start: int, end: int) -> bool:
        return left(text, start, end, title) or (new and going(text, start, end))

    own = passages[reading.passage_index].text[reading.sentence_start:reading.sentence_end]
    if not went(own, reading.span.start, reading.span.end):
        return reading
    asked = {word.lower() for word in re.findall(r"[\w'’-]+", question)}
    # the one who went, named again elsewhere ("chief executive Marcus Lowe said …" in an older report), is no
    # successor: known by the last word of the name
    gone = {reading.span.text.split()[-1].lower()} if reading.span.text.split() else set()
    stand_in = None
    of_thing = re.search(r"\b(?:of|at)\s+(?P<thing>(?:the\s+)?[A-Z][^?]*)", question)
    thing = (asked_of(question) or (of_thing.group("thing") if of_thing else "")) if new else ""
    thing_words = [word for word in thing.split() if word[:1].isupper()][:2]
    for sentence in evidence.ranked[0][:STAYER_SENTENCES]:
        passage = passages[sentence.passage_index]
        if thing and not all(names_thing(f"{passage.title} {passage.text}", word) for word in thing_words):
            continue  # another organisation's head ("Harwick" alone names the town, not Harwick General)
        text = passage.text[sentence.start:sentence.end]
        for found in _LEFT_NAME.finditer(text):
            name = _without_titles(text, *found.span())
            if name is None:
                continue
            words = text[name[0]:name[1]].split()
            if (words[0].lower() in _NOT_NAMES or {word.lower() for word in words} & asked  # the thing asked about
                    or words[-1].lower() in gone or went(text, *name)):
                continue
            # the post is said beside the name ("Priya Castell as its permanent chief executive", "chief executive
            # Tomas Reyes"), not further on ("the chair, Helen Ashdown, said the search for a chief executive ...")
            after = title.search(text, name[1], name[1] + TITLE_REACH)
            if not (after or title.search(text, max(0, name[0] - TITLE_REACH // 2), name[0])
                    or _SUCCESSOR_BEFORE.search(text[:name[0]])):  # "was replaced by Priya Castell"
                continue
            interim = _STAND_IN.search(text[:after.start()]) if after else None
            if permanent and interim is not None and after is not None:
                stand_in = stand_in or (sentence, name, interim.group("kind").lower(), after.group(0).lower())
                continue
            return ruled_reading(question, reading, sentence, passages, name, reader)
    if stand_in is not None:
        sentence, name, kind, post = stand_in
        held = ruled_reading(question, reading, sentence, passages, name, reader)
        return dataclasses.replace(held, said=f"No permanent {post} is named; {held.span.text} is {kind} {post}")
    return None if new else reading  # the one who is going is no answer to who is new


def _without_titles(text: str, start: int, end: int) -> tuple[int, int] | None:
    """The name at `start:end` without the capitalised titles opening it ("Chair Helen Ashdown" is Helen Ashdown);
    None when fewer than two words are left."""
    words = list(re.finditer(r"\S+", text[start:end]))
    while words and (words[0].group(0).lower() in TITLES or _HEAD_TITLE_WORDS.fullmatch(words[0].group(0))):
        words.pop(0)
    return (start + words[0].start(), end) if len(words) >= 2 else None


STAYER_SENTENCES = 5
"""Evidence sentences searched for the one who holds the post when the reader's person went."""

TITLE_REACH = 50
"""Characters after a name (half as many before it) within which the post must be said for the name to hold it."""

_HEAD_TITLE_WORDS = re.compile(r"\b(?:chief\s+executive|CEO|managing\s+director|director|chair(?:man|woman|person)?|"
                               r"president|governor|head|leader|boss|secretary|manager|editor|principal|coach)\b",
                               re.IGNORECASE)
_NOT_NAMES = frozenset({"the", "a", "an", "it", "in", "on", "at", "ms", "mr", "mrs", "dr", "chief", "its", "his",
                        "her", "their"})
