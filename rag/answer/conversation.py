"""Follow-up questions: rewrite "when did she…" or "and the vote?" into a stand-alone question before retrieval.

Retrieval sees one question at a time, so a follow-up that leans on the conversation must carry its context.
Chat models rewrite it themselves (`REWRITE_SYSTEM`); small base models only echo such prompts (measured with the
bundled Gemma 3 270M: six of six follow-ups came back unchanged), so for them, and as a check on any model's
rewrite, pure rules resolve pronouns to the names of the previous turn and attach the topic of the previous
question to elliptical follow-ups. The result is a `rag.records.Query`: the question's words, and the previous
question as its `context` when the rules could not fold it in (retrieval reads both, the answer checks each).
"""

from __future__ import annotations

import difflib
import re
from collections.abc import Mapping, Sequence

from rag.answer.hops import AUXILIARIES
from rag.answer.prompts import CANNOT_ANSWER, QUOTED_OPENING, strip_markers
from rag.records import MONTH_NAMES, Query
from rag.text import (
    HOW_MANY,
    STOP_WORDS,
    SURFACE_WORD,
    content_words,
    fold,
    is_number,
    labelled_names,
    says_a_figure,
    specific_terms,
    split_sentences,
)

History = Sequence[tuple[str, str]]

REWRITE_SYSTEM = """Rewrite the user's last question so that it can be understood without the conversation: replace
pronouns and vague references with the names they stand for. Keep every other word. Reply with the question only."""

_PERSON_PRONOUNS = {"he": "{name}", "she": "{name}", "him": "{name}", "her": "{name}'s", "his": "{name}'s",
                    "hers": "{name}'s"}
_THING_PRONOUNS = {"it": "{topic}", "its": "{topic}'s", "this": "{topic}", "that": "{topic}", "there": "in {topic}",
                   "they": "{topic}", "them": "{topic}", "their": "{topic}'s"}
ASKS_WHO = re.compile(r"\s*(?:who|whom|whose)\b", re.IGNORECASE)
"""A question asking for a person (whose "his" or "her" may be that person's own), or an organisation a later "he"
may stand for."""
ASKS_ROLE = re.compile(r"\s*who\s+(?:is|was|are|were|has\s+been|had\s+been)\s+(?:the|its|their|his|her)\b",
                       re.IGNORECASE)
"""A question asking who holds a role ("Who was the manager then?", "Who is the chief executive?"): a person's,
so an organisation its answer names is no one a following "he" stands for (unlike "Who is leading the
investigation?", which an organisation may answer)."""
_ELLIPSIS_START = re.compile(r"^(and|also|what about|how about|and what about|but|so)\b", re.IGNORECASE)
_NAME = re.compile(r"(?:[A-Z][\w'’-]+|of|the|de|van|von)(?:\s+(?:[A-Z][\w'’-]+|of|the|de|van|von|\d+\w*))*")
_QUESTION_WORDS = {"who", "what", "when", "where", "which", "why", "how", "whose", "whom", "is", "are", "was",
                   "were", "did", "does", "do", "can", "could", "will", "would", "the", "a", "an", "and", "in", "on"}
_NAME_JOINERS = ("of", "the", "de", "van", "von")


def _name_words(match: re.Match[str]) -> list[str]:
    """The words of a `_NAME` match in a question: without the question word opening it ("When", "What") and
    without the joiners it begins or ends with ("the University of Chicago" -> University, of, Chicago)."""
    words = match.group(0).split()
    if match.start() == 0 and words and words[0].lower() in _QUESTION_WORDS:
        words = words[1:]
    return _without_joiners(words)


def _without_joiners(words: list[str]) -> list[str]:
    """A name's words without the joiners it begins or ends with ("of", "the", "de", "van", "von")."""
    while words and words[0] in _NAME_JOINERS:
        words = words[1:]
    while words and words[-1] in _NAME_JOINERS:
        words = words[:-1]
    return words


def person_in(text: str) -> str:
    """The first name-like run of two or more capitalised words: a likely person, cut before "of".

    >>> person_in("Priya Sandhu of the Elmsbury Sculling Club won it [1].")
    'Priya Sandhu'
    >>> person_in("How many signatures did Nora Quigley's petition have?")
    'Nora Quigley'
    >>> person_in("Kestrel Haven Rovers [1]."), person_in("St Columba's Hospital [1].")
    ('', '')
    """
    for match in _NAME.finditer(strip_markers(text)):
        words = match.group(0).split(" of ")[0].split()
        if len(words) >= 2 and all(word[0].isupper() for word in words) and words[0].lower() not in _QUESTION_WORDS:
            # A name closed by a word that says it is an organisation ("Kestrel Haven Rovers", "… Hospital") is no
            # one a "he" stands for; an owner's name is the person without the possessive ("Nora Quigley's petition").
            if re.sub(r"['’]s$", "", words[-1]).lower() in ORGANISATION_WORDS | ORGANISATION_ENDINGS:
                continue
            return re.sub(r"['’]s$", "", " ".join(words))
    return ""


ORGANISATION_ENDINGS = frozenset({
    "albion", "athletic", "buses", "city", "fc", "foods", "holdings", "inc", "industries", "limited", "ltd",
    "motors", "partners", "plc", "railways", "rangers", "rovers", "services", "systems", "town", "united",
    "wanderers"})
"""Words that close the names of teams and companies ("Kestrel Haven Rovers", "Tarrow Foods"), beside the kinds of
organisation of `ORGANISATION_WORDS`: a name they close is no person."""


ASKS_FOR_PERSON = re.compile(r"\s*(?:who|whom|whose|which|what\s+(?:is|was|were|are)\s+(?:the\s+)?names?)\b",
                             re.IGNORECASE)
"""A question asking for someone or something by name ("Who was the judge…?", "Which actor…?"): the person its
answer names is the one a following "he" stands for. A question naming a person without asking for one ("What was
Desmond Hale accused of?") is about that person, whoever its answer names ("Kestrel Haven town council's …")."""


def turn_person(question: str, answer: str) -> str:
    """The person a turn is about: the one its question names when it asks no name (`ASKS_FOR_PERSON`), else the
    one its answer names (not the question's: "Who replaced him?" answered by no person's name does not make "he"
    the man replaced); "" when none is named (`person_in`).

    >>> turn_person("What was Desmond Hale accused of?", "Kestrel Haven town council's treasurer, charged [1].")
    'Desmond Hale'
    >>> turn_person("Who was the judge at Desmond Hale's trial?", "Judge Rosalind Achebe [1].")
    'Judge Rosalind Achebe'
    >>> turn_person("Who won the regatta?", "Priya Sandhu of the Elmsbury Sculling Club [1].")
    'Priya Sandhu'
    >>> turn_person("Who replaced Frank Doherty?", "Kestrel Haven Rovers [1].")
    ''
    """
    if ASKS_FOR_PERSON.match(question):
        return person_in(answer)
    return person_in(question) or person_in(answer)


def topic_of(question: str) -> str:
    """The thing a question is about when it names it as "the <Name> <noun>"; empty when that is not clear.

    >>> topic_of("When did the Maplewood footbridge reopen?")
    'the Maplewood footbridge'
    >>> topic_of("What was the Dunmore Dairy Cooperative's revenue for 2025?")
    'the Dunmore Dairy Cooperative'
    >>> topic_of("Which comet was found at Kestrel Hill Observatory?")
    ''
    >>> topic_of("When was the University of Chicago founded?")
    ''
    >>> topic_of("Where is the Jazz Jamboree hosted?"), topic_of("Where does the Middle Rhine flow?")
    ('the Jazz Jamboree', 'the Middle Rhine')
    >>> topic_of("What century did the name of the Rhine come from?")
    'the Rhine'
    >>> topic_of("Which island was the MV Aldwen sailing to?"), topic_of("When did the Lenn building open?")
    ('the MV Aldwen', 'the Lenn building')
    >>> topic_of("What is the Eastmere ring road plan?"), topic_of("When was the Eastmere ring road plan unveiled?")
    ('the Eastmere ring road plan', 'the Eastmere ring road plan')
    """
    match = re.search(r"\bthe\s+((?:[A-Z][\w-]*\s+)*[A-Z][\w-]*)(?:(['’]s)|\s+([a-z][\w-]+))", question)
    if not match or (match.group(3) or "") in _NOT_NOUNS:  # "the University of Chicago", "the Sahara each year"
        return ""
    name, possessive, noun = match.groups()
    # After "does"/"did", a word the question ends on or a preposition follows is its verb: "does the Middle
    # Rhine flow between …?", "did the name of the Rhine come from?" (not "did the Maplewood footbridge reopen?"):
    # the auxiliary opens the subject, however long ("the name of …"), and the verb closes it.
    following = question[match.end():].strip(" ?").split()[:1]
    after_auxiliary = bool({"does", "do", "did"} & set(question[:match.start()].lower().split())) and (
        not following or following[0].lower() in _BEFORE_SUBJECT | {"between", "by", "with"})
    # After "is"/"was"/…, an -ing word closing the name is the verb's: "Which island was the MV Aldwen sailing to?".
    # Not "ring" of "the Eastmere ring road plan": a noun follows it.
    before_be = bool(_BE & set(question[:match.start()].lower().split()))
    progressive = bool(noun) and noun.endswith("ing") and before_be and (
        not following or following[0].lower() in _BEFORE_SUBJECT | {"between", "by", "with"})
    if possessive or after_auxiliary or progressive or (noun.endswith("ed") and len(noun) > 4):
        return f"the {name}"  # "the Jazz Jamboree hosted", "does the Middle Rhine flow": a verb, not a noun
    rest = question[match.end():].strip(" ?").split()
    if before_be and rest and all(re.fullmatch(r"[a-z][\w-]*", word) and word not in _NOT_NOUNS | _BEFORE_SUBJECT
                                  for word in rest):
        # "What is the Eastmere ring road plan?", "When was the Eastmere ring road plan unveiled?": the nouns run on
        # to the question's end, or to the participle closing it
        closing = rest[-1].endswith("ed") and len(rest[-1]) > 4
        return " ".join([f"the {name} {noun}", *rest[:-1 if closing else None]])
    return f"the {name} {noun}"


_NOT_NOUNS = {"of", "and", "or", "in", "on", "at", "to", "for", "from", "by", "with", "each", "every", "as", "is",
              "was", "are", "were", "has", "have", "had", "did", "does", "do", "that", "which", "who", "than"}
"""Words after "the <Name>" that show the name does not qualify a noun there."""
_BE = {"is", "are", "was", "were"}
_BEFORE_SUBJECT = {"in", "at", "of", "to", "from", "for", "about", "on", "near", "into", "within"}
_SAID_PRONOUNS = {"this", "that"}
"""Pronouns that point at what the previous turn said ("How much will that cost?" after "What will the company do
about its old mains?"): a name the previous turn gave does not stand for them (`named_in`, `answer_name`)."""
_NAME_PRONOUNS = {"it", "its", "they", "them", "their"}
"""Thing pronouns that may stand for the name the previous question was about ("this" and "that" point at what
was said rather than at a name: left to the context)."""


def subject_name(question: str) -> str:
    """The name a question is about, when it names one without "the <Name> <noun>" (`topic_of`): a capitalised
    name that closes it after a preposition, without a possessive; "" when it has none (or opens with "which", or
    ends with a number: "by September 2026").

    >>> subject_name("How many naval bases are located in Jacksonville?")
    'Jacksonville'
    >>> subject_name("What kind of university is the University of Chicago?")
    ''
    >>> subject_name("How many students study at the University of Chicago?")
    'University of Chicago'
    >>> subject_name("How much of Poland's national income does Warsaw produce?"), subject_name("Who won the race?")
    ('', '')
    >>> subject_name("Which comet was found at Kestrel Hill Observatory?")
    ''
    """
    # Only a name that closes the question after a preposition ("… located in Jacksonville?"): a name elsewhere is
    # often not what a later "it" stands for ("Which comet was found at …", "How much did Lake Orwin warm …").
    if question.lower().startswith("which") or any(character.isdigit() for character in question[-40:]):
        return ""
    names = []
    for match in _NAME.finditer(question):
        if question[match.end():].strip() not in ("?", "") or question[:match.start()].split()[-1:] == [] or \
                question[:match.start()].split()[-1].lower() not in _BEFORE_SUBJECT:
            continue
        words = _name_words(match)
        if words and words[0][0].isupper():
            names.append(re.sub(r"['’]s$", "", " ".join(words)))
    return names[-1] if names else ""


_SUBJECT_PHRASE = re.compile(
    r"^(?:and\s+|but\s+|so\s+)?(?:when|where|why|how(?:\s+(?:many|much)(?:\s+[a-z]+)?|\s+long|\s+often)?)\s+"
    r"(?:did|does|do|will|would|can|could|has|have|had|is|was|are|were)\s+"
    r"(?P<subject>the(?:\s+(?-i:[a-z][\w-]*)){2,4}?(?:\s+(?:at|of|in|on|for)(?:\s+(?-i:[A-Z][\w'’-]*))+)?)\s+"
    r"(?-i:[a-z][a-z-]*)(?:\s+(?:off|up|out|down|over|back))?\s*\?$",
    re.IGNORECASE)


_RELATIVES = {"that", "which", "who", "whom", "whose", "where", "when"}


def subject_phrase(question: str) -> str:
    """The subject of a question that asks when, where, why or how much of it and ends on its verb ("When did the
    bus strike start?"): what a following "it" stands for when it has no name (`topic_of`, `subject_name`); "" for
    any other question, a named subject (`topic_of`, `named_in`), or a subject of one word after "the" ("the
    strike": too vague to search for alone). The subject is two to four lowercase words after "the", and the place
    or owner that may follow them ("the new maternity wing at St Columba's").

    >>> subject_phrase("When did the bus strike start?"), subject_phrase("And when did the bus strike end?")
    ('the bus strike', 'the bus strike')
    >>> subject_phrase("How many beds does the new maternity wing at St Columba's have?")
    "the new maternity wing at St Columba's"
    >>> subject_phrase("When did the strike start?"), subject_phrase("When did the strike start in earnest?")
    ('', '')
    >>> subject_phrase("When was the University of Chicago founded?")  # a name: read by the rules for names
    ''
    >>> subject_phrase("When was the color crimson adopted at Harvard as official color?")
    ''
    >>> subject_phrase("How long is the section that turns north?")
    ''
    """
    match = _SUBJECT_PHRASE.match(question.strip())
    # "When did the strike start in earnest?": a subject closed by a preposition is the verb's phrase, not a subject
    if not match or match.group("subject").split()[-1].lower() in _PHRASE_OPENERS | STOP_WORDS:
        return ""
    if {word.lower() for word in match.group("subject").split()} & _RELATIVES:
        return ""  # "How long is the section that turns north?": a relative clause, its verb taken for the subject's
    return match.group("subject")


_EXTRAPOSED = ("true|false|possible|impossible|likely|unlikely|necessary|important|reported|said|announced|claimed|"
               "believed|thought|expected|decided|agreed|known|clear|hard|easy|difficult|estimated|feared|alleged|"
               "confirmed|revealed|suggested|planned|proposed|hoped|understood|safe|legal|illegal|worth")
_COMPLEMENT = r"(?:that|to|whether|if|how|when|why|who|what|where|the)\b"
_DUMMY_IT = re.compile(
    # "How long did it take (them) to restore …?", "How much will it cost to repair …?"
    r"\bit(?=\s+(?:take|takes|took|taken|taking|cost|costs)(?:\s+[\w'’-]+){0,3}?\s+to\s+(?!the\b|a\b|an\b)\w)"
    # "it is true that …", "it was reported that …", "it seems that …"
    rf"|\bit(?=\s+(?:(?:is|was|has\s+been|had\s+been|will\s+be|would\s+be|is\s+not|was\s+not)\s+(?:{_EXTRAPOSED})|"
    rf"(?:seems|seemed|appears|appeared|emerged|happened|turned\s+out))\s+{_COMPLEMENT})"
    # "Is it true that …?", "Was it decided to …?"
    r"|(?:(?<=\bis\s)|(?<=\bwas\s)|(?<=\bwill\s)|(?<=\bwould\s)|(?<=\bhas\s)|(?<=\bhad\s))"
    rf"it(?=\s+(?:not\s+)?(?:been\s+|be\s+)?(?:{_EXTRAPOSED})\s+{_COMPLEMENT})",
    re.IGNORECASE)
"""An "it" that stands for nothing: the subject of "it takes … to", "it is true that …", "it was reported that …"
(what takes time or is reported is the clause after it). No pronoun to resolve, and no sign of a follow-up."""


def without_dummy_it(question: str) -> str:
    """The question with each "it" that stands for nothing (`_DUMMY_IT`) taken out.

    >>> without_dummy_it("How long did it take to restore it?")
    'How long did take to restore it?'
    >>> without_dummy_it("Is it true that the mayor resigned?"), without_dummy_it("How much did it cost?")
    ('Is true that the mayor resigned?', 'How much did it cost?')
    >>> without_dummy_it("When was it reported that the bridge was closed?")
    'When was reported that the bridge was closed?'
    """
    return re.sub(r"\s{2,}", " ", _DUMMY_IT.sub("", question))


_ELLIPSIS = re.compile(r"^(?:and|but|also|so)?\s*(?:what|how)\s+about\s+(?P<about>.+?)\??$|"
                       r"^(?:and|but|also)\s+(?P<and>.+?)\??$", re.IGNORECASE)
_PHRASE_OPENERS = {"in", "on", "at", "for", "from", "to", "by", "with", "during", "after", "before", "since", "of",
                   "about", "between", "under", "over", "into", "than"}
_CLAUSE_OPENERS = {"when", "while", "until", "once", "before", "after"}
_MONTH_OR_YEAR = "(?:" + "|".join(MONTH_NAMES) + r")(?:\s+\d{4})?|\d{4}"
_TIME_PHRASE = re.compile(rf"\b(?:(?:in|on|during|since|by|for)\s+(?:{_MONTH_OR_YEAR})|(?:last|this|next)\s+"
                          r"(?:year|month|week|quarter|season)|yesterday|today)\b", re.IGNORECASE)
"""A time phrase a question may end on ("in February", "in 2025", "last year"): an elliptical follow-up that is one
("What about last year?") says the previous question again for that time."""


def elliptical_question(question: str, previous: str) -> str:
    """An elliptical follow-up ("And in 2010?", "What about the Danube?") said in full: the previous question with
    the phrase it changes replaced (the phrase opening with the same preposition, else its last name or number);
    "" when the follow-up is no such ellipsis or the previous question has nothing of the kind to replace.

    >>> elliptical_question("And in 2010?", "What was the population of Fresno in 1900?")
    'What was the population of Fresno in 2010?'
    >>> elliptical_question("What about the Danube?", "How long is the Rhine?")
    'How long is the Danube?'
    >>> elliptical_question("And in French?", "What is the Rhine called in Dutch?")
    'What is the Rhine called in French?'
    >>> elliptical_question("And the vote?", "What budget did Maplewood council approve?")
    ''
    >>> elliptical_question("What about begin?", "Where does the Rhine end?")
    'Where does the Rhine begin?'
    >>> elliptical_question("What about non-religious?", "How many Victorians are Catholic?")
    'How many Victorians are non-religious?'
    >>> elliptical_question("What about the vote?", "How many Victorians are non-religious in 2001?")
    ''
    >>> elliptical_question("And on sea levels?", "How did the report compare to reality for 2001-2006?")
    'How did the report compare to reality on sea levels?'
    >>> elliptical_question("Who found it?", "Which comet was found?")
    ''
    >>> elliptical_question("What about last year?", "What was inflation in Ostrevia in February?")
    'What was inflation in Ostrevia last year?'
    >>> elliptical_question("And the Aldwen?", "How many were on board the MV Corran when it drifted?")
    'How many were on board the Aldwen when it drifted?'
    >>> elliptical_question("And crew?", "How many passengers were on the MV Aldwen?")
    'How many crew were on the MV Aldwen?'
    >>> elliptical_question("And how many engines?", "How many firefighters fought the fire?")
    'How many engines fought the fire?'
    """
    match = _ELLIPSIS.match(question.strip())
    if not match:
        return ""
    phrase = (match.group("about") or match.group("and") or "").strip(" ,")
    phrase = re.sub(r"['’]s$", "", phrase)  # "and Marrowdale Rail's?": the owner is what changes
    words = phrase.split()
    body = previous.strip().rstrip("?").rstrip()
    if (2 <= len(words) <= 6 and words[0].lower() in _CLAUSE_OPENERS and words[1].lower() not in _QUESTION_WORDS
            and words[1].lower() not in AUXILIARIES):
        # "And when it reached the mud?" after "How fast was the train going before the driver hit the brakes?":
        # the clause says when again, in place of the previous question's closing clause or time phrase.
        clauses = [found for found in re.finditer(r"\b(?:when|while|before|after|until|once|as)\b", body, re.IGNORECASE)
                   if found.start() > len(body) // 3]
        return f"{body[:clauses[-1].start()]}{phrase}?" if clauses else ""
    counted = HOW_MANY.match(body)
    count_asked = re.fullmatch(r"(?i:how\s+many)\s+(?P<counted>[a-z][\w-]*(?:\s+[a-z][\w-]*){0,2})", phrase)
    if (counted and count_asked  # "And how many engines?" after "How many firefighters fought the fire?"
            and not set(count_asked.group("counted").lower().split()) & (_QUESTION_WORDS | AUXILIARIES)):
        return f"{counted.group('asked')}{count_asked.group('counted')}{body[counted.end('counted'):]}?"
    if not words or len(words) > 5 or words[0].lower() in _QUESTION_WORDS - {"the", "a", "an", "in", "on"}:
        return ""
    if (counted and len(body[counted.end():].split()) >= 3 and len(words) <= 3 and phrase == phrase.lower()
            and words[0] not in _PHRASE_OPENERS and words[0] not in _QUESTION_WORDS
            and not _TIME_PHRASE.fullmatch(phrase)):
        # "And crew?" after "How many passengers were on the MV Aldwen?": what is counted changes (not after "How
        # many people are Catholic?", whose closing word is what changes: below).
        return f"{counted.group('asked')}{phrase}{body[counted.end('counted'):]}?"
    times = list(_TIME_PHRASE.finditer(body))
    if times and _TIME_PHRASE.fullmatch(phrase):  # "What about last year?" after "… in February?"
        return f"{body[:times[-1].start()]}{phrase}{body[times[-1].end():]}?"
    if words[0].lower() in _PHRASE_OPENERS:
        # The previous question's phrase opening with the same preposition, up to its end: "in 1900" -> "in 2010".
        found = [match for match in re.finditer(rf"\b{re.escape(words[0])}\b", body, re.IGNORECASE) if match.start()]
        if not found and len(words) == 2 and words[1][:1].isdigit():
            # "And in 2026?" after "… for 2027?": the previous question's dated phrase, whatever its preposition.
            found = [match for match in re.finditer(r"\b\w+(?=\s+\d[\d,.]*\s*$)", body)
                     if match.group(0).lower() in _PHRASE_OPENERS]
        if not found and not any(word[:1].isupper() or word[:1].isdigit() for word in words[1:]):
            # "And on sea levels?" after "… compare to reality for 2001-2006?": the previous question's last
            # phrase, whatever its preposition (a name or a date replaces its own kind: above and below).
            found = [match for match in re.finditer(r"\b\w+\b", body)
                     if match.start() and match.group(0).lower() in _PHRASE_OPENERS
                     and match.start() > len(body) // 2]
        if not found:
            return ""
        return f"{body[:found[-1].start()]}{phrase}?"
    if not (words[0][:1].isupper() or words[0][:1].isdigit() or words[0].lower() in ("the", "a", "an")
            or len(words) == 1):
        return ""
    # A name or a number replaces the previous question's last one of its kind, near its end ("the Rhine" ->
    # "the Danube"; "Victorians" in "How many Victorians are non-religious?" is no place for "Buddhist").
    number = words[0][:1].isdigit()
    pattern = r"\b\d[\d,.]*" if number else r"(?:\bthe\s+)?\b[A-Z][\w'’-]*(?:\s+(?:of\s+)?[A-Z][\w'’-]*)*"
    names = [found for found in re.finditer(pattern, body)
             if found.start() > 0 and found.group(0).split()[-1].lower() not in _QUESTION_WORDS]
    if words[0].lower() in ("the", "a", "an") and not any(word[:1].isupper() for word in words):
        # "And the hospitals trust?" after "Who runs Marrowdale Rail?": an organisation said by its kind stands for
        # the one organisation the previous question named.
        organisations = [found for found in names if len(found.group(0).split()) >= 2
                         and not found.group(0).lower().startswith("the ")]
        if words[-1].lower() in ORGANISATION_WORDS and len(organisations) == 1:
            return f"{body[:organisations[0].start()]}{phrase}{body[organisations[0].end():]}?"
        return ""
    named = any(word[:1].isupper() or word[:1].isdigit() for word in words)
    last = names[-1] if names and named else None
    if last is not None and len(body[last.end():].split()) <= 1:
        return f"{body[:last.start()]}{phrase}{body[last.end():]}?"
    things = [found for found in names if found.group(0).lower().startswith("the ")]
    if words[0].lower() == "the" and named and len(things) == 1:
        # "And the Aldwen?" after "How many were on board the MV Corran when it drifted?": a named thing for the
        # one named thing the previous question gave, wherever it stands.
        return f"{body[:things[0].start()]}{phrase}{body[things[0].end():]}?"
    closing = body.split()[-1] if body.split() else ""
    # After "is"/"are", the closing word says what the subject is, a capitalised one too ("are Catholic"): not a name
    # another word may not replace.
    described = bool(_BE & set(body.lower().split()[-2:-1]))
    if (len(words) == 1 and closing.lower() not in STOP_WORDS and (closing[:1].islower() or described)
            and len(body.split()) > 3):
        # One word for the previous question's last ("Where does the Rhine end?" -> "What about begin?").
        return f"{body[:len(body) - len(closing)]}{phrase}?"
    return ""


_WHY_OF = re.compile(
    r"^(?:and\s+|so\s+)?(?:how\s+(?:many|much)\s+(?P<counted>(?-i:[a-z][\w-]*))|when|where|how)\s+"
    r"(?P<auxiliary>is|are|was|were|did|does|do|has|have|had|will|would)\s+(?P<rest>[^,?]+?)"
    r"(?:,?\s+and\s+(?:where|when|how|who|what)\b[^?]*)?\?$", re.IGNORECASE)


def why_of(question: str, previous: str) -> str:
    """A bare "Why?" (or "And why?", "Why so?") said in full: the previous question asked again with "why" in place
    of its "when", "where", "how" or "how many <things>" (the things put back after its verb); "" for any other
    follow-up, or a previous question of another shape.

    >>> why_of("Why?", "How many jobs is Tarrow Foods cutting, and where?")
    'Why is Tarrow Foods cutting jobs?'
    >>> why_of("And why?", "When did the bus strike start?"), why_of("Why?", "Who won?")
    ('Why did the bus strike start?', '')
    """
    if not re.fullmatch(r"\s*(?:and\s+|but\s+|so\s+)?why(?:\s+(?:so|exactly))?\s*[?.!]*\s*", question, re.IGNORECASE):
        return ""
    match = _WHY_OF.match(previous.strip())
    if not match:
        return ""
    counted = f" {match.group('counted')}" if match.group("counted") else ""
    return f"Why {match.group('auxiliary').lower()} {match.group('rest').strip()}{counted}?"


ORGANISATION_WORDS = frozenset({
    "agency", "airline", "airport", "association", "authority", "bank", "board", "charity", "club", "college",
    "commission", "company", "corporation", "council", "court", "department", "federation", "firm", "foundation",
    "government", "group", "hospital", "hospitals", "institute", "league", "ministry", "operator", "party",
    "regulator", "school", "team", "trust", "union", "university", "utility"})
"""Words that say what kind of organisation a name is: "the trust" after a question about "Marrowdale Rail" asks
the same of the trust."""


_ORDINAL = re.compile(r"\bthe\s+(?:(first|second|third|fourth|fifth|last)\s+one|(former|latter))\b",
                      re.IGNORECASE)
_ORDINAL_PLACES = {"first": 0, "second": 1, "third": 2, "fourth": 3, "fifth": 4, "former": 0, "last": -1, "latter": -1}


def listed_items(answer: str) -> list[str]:
    """The things the first sentence of an answer lists ("A, B and C"), each as written (a leading "the" kept,
    words before the list left out); [] when it lists fewer than two.

    >>> listed_items("Neutrophils and macrophages [1].")
    ['Neutrophils', 'macrophages']
    >>> listed_items("The three sectors are buildings, infrastructure and industrial [1].")
    ['buildings', 'infrastructure', 'industrial']
    >>> listed_items("It opened in 2010 [1].")
    []
    """
    text = strip_markers(answer)
    spans = split_sentences(text)
    sentence = text[spans[0].start:spans[0].end] if spans else text
    sentence = re.split(r"[;:()\"]", sentence.rstrip(" ."))[0]
    pieces = [piece.strip() for piece in re.split(r",\s+(?:and\s+|or\s+)?|\s+(?:and|or)\s+", sentence)]
    if len(pieces) < 2 or not all(pieces):
        return []
    last = pieces[-1].split()
    if len(last) > 4:  # the list ends with its last item: "… and industrial, which …" is cut at the comma above
        return []
    first = pieces[0].split()
    start = len(first)
    while start > 0 and first[start - 1].lower() not in STOP_WORDS - {"the"} and len(first) - start < 3:
        start -= 1
    if start == len(first) or any(len(piece.split()) > 4 for piece in pieces[1:-1]):
        return []
    return [" ".join(first[start:]), *pieces[1:]]


def named_items(answer: str) -> list[str]:
    """The names of two words or more an answer gives (its quotes included), in order, when it gives at least two:
    what "the second one" counts when the answer lists no plain "A and B" (a quoted sentence naming each with a
    description: "Victor Straub, the works' former operations manager, and Anneke Voss, its former …").

    >>> named_items('The articles say: "Two stood trial: Victor Straub, a manager, and Anneke Voss, an officer." [1]')
    ['Victor Straub', 'Anneke Voss']
    >>> named_items("Tomas Ruud [1].")
    []
    """
    names: list[str] = []
    for match in _NAME.finditer(strip_markers(answer)):
        words = _without_joiners(match.group(0).split())
        if len(words) >= 2 and all(word[:1].isupper() or word in _NAME_JOINERS for word in words):
            name = " ".join(words)
            if name not in names:
                names.append(name)
    return names if len(names) >= 2 else []


def by_ordinal(question: str, previous_answer: str) -> str:
    """A follow-up about one of the things the previous answer listed, named by its place ("the second one", "the
    latter"), with that thing named instead; "" when it names none or the answer lists nothing.

    >>> by_ordinal("What percentage of leukocytes do the first one represent?", "Neutrophils and macrophages [1].")
    'What percentage of leukocytes do Neutrophils represent?'
    >>> by_ordinal("How long is the second one?", "It opened in 2010 [1].")
    ''
    """
    match = _ORDINAL.search(question)
    items = (listed_items(previous_answer) or named_items(previous_answer)) if match else []
    if not match or not items:
        return ""
    place = _ORDINAL_PLACES[(match.group(1) or match.group(2)).lower()]
    if place >= len(items):
        return ""
    item = items[place]
    replaced = question[:match.start()] + item + question[match.end():]
    return replaced[0].upper() + replaced[1:]


_DEFINED = re.compile(r"^\s*(?i:what\s+(?:is|are|was|were))\s+"
                      r"(?P<thing>(?:the\s+)?[A-Z][\w'’-]*(?:\s+(?:of\s+|for\s+|on\s+)?[A-Z][\w'’-]*)+)\s*\?\s*$")
"""A question asking what a named thing is ("What is the Algorithmic Accountability Bill?"): its answer describes
that thing."""


def answer_name(previous_question: str, previous_answer: str) -> str:
    """The name the previous answer gave, when the previous question asked for a thing that has one ("Which
    company…?", "Where…?", "What is the name…?"): what a following "it" may stand for; "" otherwise.

    >>> answer_name("Which city is the fifth-largest city in California?", "Fresno [1].")
    'Fresno'
    >>> answer_name("Where is the Jazz Jamboree hosted?", "The festival is hosted in Warsaw [1].")
    'Warsaw'
    >>> answer_name("When was the University of Chicago established?", "1890 [1].")
    ''
    >>> answer_name("Who won the regatta?", "Men's eight from Maplewood Rowing Club [1].")
    'Maplewood Rowing Club'
    >>> answer_name("What was a long term goal of French foreign policy?", "Natural borders [1].")
    ''
    >>> answer_name("Where did the MV Aldwen run aground?", "Off Skarra Island [1].")
    'Skarra Island'
    >>> answer_name("Which stadium do FC Dravin play at?", "The 41,000-seat Kessler Arena [1].")
    'Kessler Arena'
    >>> answer_name("What is the Algorithmic Accountability Bill?", "The Algorithmic Accountability Bill (Bill 214) "
    ...             "sets rules for AI systems [1].")
    'the Algorithmic Accountability Bill'
    """
    if not re.match(r"^(?:which|what|where|who)\b", previous_question.strip(), re.IGNORECASE):
        return ""
    defined = _DEFINED.match(previous_question)
    if defined:  # the answer describes the thing asked about, by other names too ("(Bill 214)"): "it" is that thing
        return defined.group("thing")
    text = strip_markers(previous_answer).rstrip(" .")
    if not text or previous_answer.strip().startswith((CANNOT_ANSWER, QUOTED_OPENING)):
        return ""
    # "Off Skarra Island", "In Warsaw": the place is the name, not the preposition that opens the answer
    text = re.sub(r"^(?:In|At|On|Off|Near|From|To|Into|Outside|Inside|Across)\s+(?=[A-Z])", "", text)
    # "The 41,000-seat Kessler Arena": what describes the thing is no part of its name (a follow-up asking "How many
    # seats does it have?" would hold its answer)
    text = re.sub(r"^(?:the\s+)?\d[\d,.]*-[a-z-]+\s+(?=[A-Z])", "", text, flags=re.IGNORECASE)
    asked = previous_question.lower()
    if (len(text.split()) <= 5 and text[0].isupper() and text.lower() not in asked
            and all(word[:1].isupper() or word[:1].isdigit() or word in _NAME_JOINERS
                    for word in text.split())):
        return text  # the answer is the name: "C/2026 K3", "Los Angeles International Airport"
    for match in _NAME.finditer(text):
        words = _without_joiners(match.group(0).split())
        name = " ".join(words)
        # An opening word is capitalised as the answer's first: a name only when no lowercase word follows it in a
        # short answer ("Natural borders", "Continuous input of sediment" name nothing; "Fresno, California" does).
        following = text[match.end():].split()[:1]
        lowercase_next = len(words) == 1 and bool(following) and following[0][:1].islower() \
            and following[0] not in _NAME_JOINERS
        sentence_opening = match.start() == 0 and (len(text.split()) > 6 or lowercase_next)
        owner = name.endswith(("'s", "’s"))  # "Men's eight from …": the owner names not the thing it owns
        if (name and name[0].isupper() and not sentence_opening and not owner and words[0].lower() not in STOP_WORDS
                and name.lower() not in asked):
            return name
    return ""


_QUOTE = re.compile(r'"(?P<quote>.+?)"\s*\[\d+(?:,\s*\d+)*\]')
"""A quote of a quoted answer and its marker: up to the first closing mark followed by a marker, so that a quoted
sentence's own quotation marks ('"Tarnvik "chose to keep pumping", she said." [1]') stay inside it."""


def quoted_sentences(answer: str) -> list[str]:
    """The sentences an answer of quoted evidence quotes (`QUOTED_OPENING`), in order; none for any other answer.

    >>> quoted_sentences('The articles say: "Calder Systems, based in Hestra, won the contract." [1]')
    ['Calder Systems, based in Hestra, won the contract.']
    >>> quoted_sentences('The articles say: "He said "no" twice." [1] "It rained." [2]')
    ['He said "no" twice.', 'It rained.']
    >>> quoted_sentences("Calder Systems [1].")
    []
    """
    if not answer.strip().startswith(QUOTED_OPENING):
        return []
    return [match.group("quote") for match in _QUOTE.finditer(answer)]


def quoted_name(previous_question: str, span: str) -> str:
    """The name a quoted previous answer gives, from the span a reader found in its quote for the previous question:
    the span when it is a name (capitalised words, at most five) that the question does not already say; "" when
    the previous question asks for no name (`answer_name`'s questions) or the span is no name.

    >>> quoted_name("Which company won the contract for the new records system?", "Calder Systems,")
    'Calder Systems'
    >>> quoted_name("Which company won the contract?", "against two other bidders")
    ''
    >>> quoted_name("When was the contract signed?", "March")
    ''
    """
    return answer_name(previous_question, f"{span.strip(' ,.;:')} [1].")


def is_follow_up(question: str, history: History) -> bool:
    """Whether a question leans on the conversation (pronouns, "and …?", or too short to stand alone).

    >>> is_follow_up("What was her time?", [("Who won?", "Priya Sandhu [1].")])
    True
    >>> is_follow_up("When did the Maplewood footbridge reopen?", [("Who won?", "Priya Sandhu [1].")])
    False
    >>> is_follow_up("Who cut the ribbon?", [("When did the Maplewood footbridge reopen?", "14 March [1].")])
    True
    """
    if not history:
        return False
    words = [word.lower() for word in SURFACE_WORD.findall(without_dummy_it(question))]
    if any(word in _PERSON_PRONOUNS or word in _THING_PRONOUNS for word in words):
        return True
    if _ELLIPSIS_START.match(question.strip()) or len(content_words(question)) < 2 or _ORDINAL.search(question):
        return True
    # No name or number of its own while the previous question had some: it continues that topic.
    return not specific_terms(question) and bool(specific_terms(history[-1][0]))


def rewrite_follow_up(question: str, history: History) -> Query:
    """A stand-alone version of a question, by rules (no model): itself when it is no follow-up.

    >>> rewrite_follow_up("What was her time?", []).text
    'What was her time?'
    >>> rewrite_follow_up("And the vote?", [("What budget did Maplewood council approve for 2027?", "48.6 million.")])
    Query(text='And the vote?', context='What budget did Maplewood council approve for 2027?', as_of=None, \
filters=None)
    """
    return resolve_follow_up(question, history) if is_follow_up(question, history) else Query(question)


def resolve_follow_up(question: str, history: History) -> Query:
    """A follow-up question (`is_follow_up`: the caller decides, once) made to stand alone by rules: its pronouns
    replaced by the names of the previous turn, or else the previous question kept as its `context`.

    >>> history = [("Who won the women's single sculls at the 47th Lenn Valley Regatta?",
    ...             "Priya Sandhu of the Elmsbury Sculling Club [1].")]
    >>> resolve_follow_up("What was her time?", history).text
    "What was Priya Sandhu's time?"
    >>> resolve_follow_up("How much did it cost?", [("When did the Maplewood footbridge reopen?", "On 14 March.")]).text
    'How much did the Maplewood footbridge cost?'
    >>> resolve_follow_up("And the vote?", [("What budget did Maplewood council approve?", "48.6 million.")]).context
    'What budget did Maplewood council approve?'
    """
    return follow_up_readings(question, history)[0]


def follow_up_readings(question: str, history: History, answered: str = "") -> list[Query]:
    """The ways a follow-up (`is_follow_up`: the caller decides, once) can be read to stand alone, the likeliest
    first (`resolve_follow_up`'s): the thing the previous answer listed that it names by its place, or the previous
    question said again for an elliptical one (`by_ordinal`, `elliptical_question`: one reading); else its pronouns
    replaced by the names of the previous turn, then by the name the previous answer gave ("Which city…?"
    "Fresno." "How big is it?": `answer_name`), then the question with the previous one as its `context` (what
    retrieval searches when the rules find nothing to resolve), then, when no rule found what the previous question
    is about, the names it gave (`named_in`). The assistant keeps the reading its articles answer best.
    `answered`: the name the previous answer gave when the caller knows it otherwise (a quoted answer's name, read
    by the span reader: `quoted_name`).

    >>> history = [("Which city is the fifth-largest city in California?", "Fresno [1].")]
    >>> [reading.text for reading in follow_up_readings("How many people live in it?", history)]
    ['How many people live in Fresno?', 'How many people live in it?', 'How many people live in California?']
    >>> follow_up_readings("How long is the second one?", [("Which rivers meet?", "The Rhine and the Main [1].")])
    [Query(text='How long is the Main?', context='', as_of=None, filters=None)]
    """
    history_said = list(history)
    turns = conversation_turns(history)
    history = resolved_history(turns)
    previous_question, previous_answer = history[-1]
    in_full = by_ordinal(question, previous_answer) or elliptical_question(question, previous_question)
    if in_full:
        return [Query(in_full)]
    in_full = why_of(question, previous_question)
    if in_full:  # "Why?": the previous question asked again with "why", as an elliptical one is said in full
        return [Query(in_full)]
    people = gendered_people(question, history_said)
    readings = [_with_pronouns_resolved(question, previous_question, previous_answer,
                                        person=same_person(question, turns, history), people=people)]
    dropped = len(turns) < len(history_said)  # the last turns were refused follow-ups naming nothing
    asked_for = refused_who(question, history, history_said) if dropped else ""
    if asked_for:  # "How much did they give?" after "Who funded it?" was refused: "they" are whoever funded it
        readings.insert(0, Query(question, context=asked_for))
    same_one = that_one(question, previous_question)
    if same_one:  # "Who led that round?" after "…its Series B?": the round the previous question named
        readings.insert(0, Query(same_one, context=previous_question))
    asks_about_person = any(word.lower() in _PERSON_PRONOUNS for word in SURFACE_WORD.findall(question))
    if (readings[0].context and asks_about_person and not person_in(f"{previous_answer} {previous_question}")
            and not ASKS_WHO.match(previous_question)):  # after "Who…?", "he" is whoever it asked for
        # The last turn names no person a "she" can stand for ("How much was the company fined?" "£2.4 million."):
        # a turn before it may ("Who is the chief executive?" "Priya Castell." ... "What is her salary?"). Not a
        # thing's "it": the last turn's own subject, unnamed ("the library"), is what it stands for.
        for earlier_question, earlier_answer in reversed(history[-EARLIER_TURNS - 1:-1]):
            if person_in(earlier_answer) or person_in(earlier_question):
                earlier = _with_pronouns_resolved(question, earlier_question, earlier_answer)
                if not earlier.context:
                    readings.insert(0, earlier)
                break
    # No rule found what the previous question is about: the pronoun may stand for the name its answer gave or for
    # one the question gave ("Where in Australia is Victoria located?" "South-east." "How populous is it?").
    unresolved = bool(readings[0].context)
    answered = answered or answer_name(previous_question, previous_answer)
    if people:  # the conversation told its "he" and "she" apart: the answer's name is no other reading of them
        answered = ""
    if ASKS_ROLE.match(previous_question) and not any(word.lower() in _PERSON_PRONOUNS
                                                      for word in SURFACE_WORD.findall(question)):
        # "How much did it raise?" after "Who is the chief executive of Veridian Labs?" "Elena Kovacs.": a role's
        # holder is a person, no "it"; the "it" is what the role is of, the name the question gave
        answered = next(iter(named_in(previous_question)), "")
    if answered and answered not in question:
        by_answer = _with_pronouns_resolved(question, previous_question, previous_answer, answered)
        pronouns = {word.lower() for word in SURFACE_WORD.findall(question)} & {*_PERSON_PRONOUNS, *_THING_PRONOUNS}
        if pronouns == {"there"} and not by_answer.context:
            # "How many people live there?" after "Which island was the Aldwen sailing to?" "Skarra Island.": the
            # place the answer named, not the ship the question was about.
            readings = [by_answer]
        elif by_answer not in readings:  # before a reading that resolved nothing, after one that did
            readings.insert(0 if readings[0].context else 1, by_answer)
    with_context = Query(question, context=previous_question)
    if with_context not in readings:
        readings.append(with_context)
    if unresolved:  # no rule found what the pronoun stands for: each name the previous question gave, after
        for name in named_in(previous_question)[:MORE_NAMES]:
            by_name = _with_pronouns_resolved(question, previous_question, previous_answer, name)
            if name not in question and not by_name.context and by_name not in readings:
                readings.append(by_name)
    return readings


_THAT_ONE = re.compile(r"\b(?:that|this|the same)\s+([a-z]+)\b", re.IGNORECASE)


def that_one(question: str, previous_question: str) -> str:
    """`question` with its "that round" ("this phase", "the same edition") said as the previous question named it:
    by the one of a series it named ("its Series B": `labelled_names`), or by its own words for that noun ("its
    seed round"). Empty when the previous question names no such thing.

    >>> that_one("Who led that round?", "How much did Veridian raise in its Series B?")
    'Who led the Series B round?'
    >>> that_one("Who led that round?", "How much did Veridian raise in its seed round?")
    'Who led the seed round?'
    >>> that_one("Who led that round?", "When was Veridian founded?")
    ''
    """
    match = _THAT_ONE.search(question)
    if not match or match.group(1).lower() in STOP_WORDS:  # "Why was that?", "Is that so?"
        return ""
    noun = match.group(1)
    labelled = [f"{word} {label}" for word, label in sorted(labelled_names(previous_question))
                if f"{word} {label}" not in question]
    own = re.search(rf"\b(?:the|its|their|his|her|a|an)\s+((?:[\w-]+\s+){{1,2}}){noun}\b", previous_question,
                    re.IGNORECASE)
    if labelled:
        named = f"{labelled[0]} {noun}"
    elif own:
        named = f"{own.group(1)}{noun}"
    else:
        return ""
    return f"{question[:match.start()]}the {named}{question[match.end():]}"


_AGENT_PRONOUNS = frozenset({"they", "he", "she"})


def refused_who(question: str, resolved: History, said: History) -> str:
    """When the last turn was a refused "Who…?" follow-up (`conversation_turns` leaves it out) and `question` says
    "they", "he" or "she": that who-question made to stand alone over `resolved` (the turns before it, resolved),
    for the pronoun stands for whoever it asked for, not for the earlier turn's subject; "" otherwise.

    >>> said = [("What did the Lakeside Cohort Study find?", "18 percent [1]."),
    ...         ("Who funded it?", "I don't know: the indexed articles do not answer this.")]
    >>> refused_who("How much did they give?", said[:1], said)
    'Who funded the Lakeside Cohort Study?'
    >>> refused_who("How much did it cost?", said[:1], said)
    ''
    """
    if not resolved or not said:
        return ""
    last_question, last_answer = said[-1]
    words = {word.lower() for word in SURFACE_WORD.findall(question)}
    refused = last_answer.strip().startswith(CANNOT_ANSWER)
    if not (ASKS_WHO.match(last_question) and refused and words & _AGENT_PRONOUNS):
        return ""
    reading = _with_pronouns_resolved(last_question, *resolved[-1])
    return reading.text if not reading.context else ""


def conversation_turns(history: History) -> list[tuple[str, str]]:
    """The turns a follow-up leans on: the history without the last turns that were refused follow-ups naming
    nothing of their own ("Who designed it?" "I don't know…"): such a turn adds nothing to the conversation, and a
    following "How much did it cost?" means the thing the turn before it was about.

    >>> turns = [("How many beds does the new wing have?", "24 beds [1]."),
    ...          ("Who designed it?", "I don't know: the indexed articles do not answer this.")]
    >>> conversation_turns(turns)
    [('How many beds does the new wing have?', '24 beds [1].')]
    """
    turns = list(history)
    while (len(turns) > 1 and turns[-1][1].strip().startswith(CANNOT_ANSWER) and not specific_terms(turns[-1][0])
           and is_follow_up(turns[-1][0], turns[:-1])):
        turns.pop()
    return turns


def leaned_turn(history: History) -> tuple[str, str]:
    """The turn a follow-up leans on (`conversation_turns`), its question made to stand alone by the rules where
    they could (`resolved_history`): what the follow-up's answer must be about names Nora Quigley after "How many
    signatures did her petition have?", not only the answer's "8,200".

    >>> leaned_turn([("Who organised it?", "Nora Quigley [1]."),
    ...              ("How many signatures did her petition have?", "8,200 signatures [1]."),
    ...              ("Who designed it?", "I don't know: the indexed articles do not answer this.")])
    ("How many signatures did Nora Quigley's petition have?", '8,200 signatures [1].')
    """
    return resolved_history(conversation_turns(history))[-1]


_GENDERS = {"he": "he", "him": "he", "his": "he", "she": "she", "her": "she", "hers": "she"}


def same_person(question: str, turns: History, resolved: History) -> str:
    """The person a follow-up's "he" or "she" keeps standing for: the one an earlier question's pronoun of the same
    gender stood for, when no turn since names another person (`resolved`: the `resolved_history` of `turns`).
    "Who was the judge at his trial?" (his: Desmond Hale) "Judge Rosalind Achebe." "What sentence did he get?": the
    conversation is still about Desmond Hale, whom the question's own "his" named, its answer naming someone by the
    role they had in his affairs (`ASKS_ROLE`). A question asking who did something ("Who replaced him?"), or asking
    for someone with no pronoun ("Who came second?"), moves it to the person its answer names. "" when no such
    pronoun was said.

    >>> turns = [("What was Desmond Hale accused of?", "Fraud [1]."),
    ...          ("Who was the judge at his trial?", "Judge Rosalind Achebe [1].")]
    >>> same_person("What sentence did he get?", turns, resolved_history(turns))
    'Desmond Hale'
    >>> same_person("What did she say?", turns, resolved_history(turns))
    ''
    >>> turns = [("Who was sacked?", "Frank Doherty [1]."), ("Who replaced him?", "Luis Moreno [1].")]
    >>> same_person("Where did he coach before?", turns, resolved_history(turns))
    ''
    """
    genders = {_GENDERS[word.lower()] for word in SURFACE_WORD.findall(question) if word.lower() in _GENDERS}
    if len(genders) != 1:
        return ""
    for (asked, answer), (said, _) in zip(reversed(list(turns)), reversed(list(resolved)), strict=False):
        if (genders & {_GENDERS[word.lower()] for word in SURFACE_WORD.findall(asked) if word.lower() in _GENDERS}
                and (ASKS_ROLE.match(asked) or not ASKS_FOR_PERSON.match(asked))):
            return _put_in(asked, said)
        if person_in(answer) or person_in(said):
            return ""
    return ""


def two_people(question: str, previous_question: str, previous_answer: str) -> dict[str, str]:
    """Who a question's "she" and "he" stand for when it says both ("What did she tell him at sentencing?") and
    the previous turn named two people, one in its question and one in its answer ("Who is presiding over the trial
    of Dominic Reyes?" "Judge Miriam Okonjo."): the pronoun said first is the answer's person (the one the
    conversation moved to), the other the question's; {} otherwise (both pronouns cannot stand for one person).

    >>> two_people("What did she tell him at sentencing?", "Who is presiding over the trial of Dominic Reyes?",
    ...            "Judge Miriam Okonjo [1].")
    {'she': 'Judge Miriam Okonjo', 'he': 'Dominic Reyes'}
    >>> two_people("What did she say?", "Who is presiding over the trial of Dominic Reyes?", "Judge Miriam Okonjo.")
    {}
    """
    said = [_GENDERS[word.lower()] for word in SURFACE_WORD.findall(question) if word.lower() in _GENDERS]
    if len(set(said)) != 2 or is_refusal_text(previous_answer):
        return {}
    # the question's person among its names ("… the trial of Dominic Reyes": `person_in` reads runs opening a name)
    answered = person_in(previous_answer)
    asked = named_person(previous_question)
    if not answered or not asked or set(answered.split()) & set(asked.split()):
        return {}
    first = said[0]
    return {first: answered, ("he" if first == "she" else "she"): asked}


def gendered_people(question: str, history: History) -> dict[str, str]:
    """The person each of a follow-up's "he" and "she" stands for when the conversation told them apart: the
    question says both (`two_people` of the last turn), or an earlier question said both and no turn since named
    anyone else (even one refused: "What did she tell him at sentencing?" refused, then "How long was his
    sentence?" is Dominic Reyes's, not the judge's); {} otherwise.

    >>> turns = [("Who is presiding over the trial of Dominic Reyes?", "Judge Miriam Okonjo [1]."),
    ...          ("What did she tell him at sentencing?", "I don't know: the indexed articles do not answer this.")]
    >>> gendered_people("How long was his sentence?", turns)
    {'he': 'Dominic Reyes'}
    >>> gendered_people("How long was his sentence?", turns[:1])
    {}
    """
    genders = {_GENDERS[word.lower()] for word in SURFACE_WORD.findall(question) if word.lower() in _GENDERS}
    turns = list(history)
    if not genders or not turns:
        return {}
    if len(genders) == 2:
        return two_people(question, *turns[-1])
    for position in range(len(turns) - 1, 0, -1):
        asked, answer = turns[position]
        people = two_people(asked, *turns[position - 1])
        if people:
            return {gender: name for gender, name in people.items() if gender in genders}
        if named_person(asked) or (person_in(answer) and not is_refusal_text(answer)):
            return {}  # someone else was named since
    return {}


def named_person(question: str) -> str:
    """The first person a question names, among its names (`named_in`, each read by `person_in`).

    >>> named_person("Who is presiding over the trial of Dominic Reyes?"), named_person("What did she say?")
    ('Dominic Reyes', '')
    """
    return next((name for name in map(person_in, named_in(question)) if name), "")


def is_refusal_text(answer: str) -> bool:
    """Whether a turn's answer is the assistant's refusal (it names no one)."""
    return answer.strip().startswith(CANNOT_ANSWER)


def _put_in(original: str, resolved: str) -> str:
    """The name the rules put in for a person pronoun of `original` to make `resolved`; "" when they put none.

    >>> _put_in("Who was the judge at his trial?", "Who was the judge at Desmond Hale's trial?")
    'Desmond Hale'
    """
    before, after = original.split(), resolved.split()
    for tag, start, end, new_start, new_end in difflib.SequenceMatcher(a=before, b=after).get_opcodes():
        if tag == "replace" and end - start == 1 and before[start].strip("?.,!").lower() in _GENDERS:
            return re.sub(r"['’]s$", "", " ".join(after[new_start:new_end]).strip("?.,!"))
    return ""


EARLIER_TURNS = 3
"""Turns before the last that a follow-up's question is resolved with (`resolved_history`), and searched for what
its pronoun stands for when the last turn names nothing."""


def resolved_history(history: History) -> list[tuple[str, str]]:
    """The last `EARLIER_TURNS` + 1 turns with each question that leaned on the one before made to stand alone by
    the rules, where they resolved it: a third turn's "she" stands for who the second turn's "she" stood for.

    >>> history = [("Who is the chief executive of Tarn Valley Water?", "Priya Castell [1]."),
    ...            ("When did she start?", "On 2 March 2026 [1].")]
    >>> resolved_history(history)[-1][0]
    'When did Priya Castell start?'
    >>> follow_up_readings("Who did she replace?", history)[0].text
    'Who did Priya Castell replace?'
    """
    resolved: list[tuple[str, str]] = []
    turns = list(history)[-EARLIER_TURNS - 1:]
    for position, (question, answer) in enumerate(turns):
        if resolved and is_follow_up(question, resolved):
            # resolved with the turns as they were said: a pronoun keeps the person an earlier one stood for
            # (`same_person`), which the resolved questions no longer show
            reading = resolve_follow_up(question, turns[:position])
            question = question if reading.context else reading.text
        resolved.append((question, answer))
    return resolved


MORE_NAMES = 2
"""Names of the previous question tried for a pronoun the rules could not resolve (each one more search)."""


def named_in(question: str) -> list[str]:
    """The names a question gives, in order, those inside it before one that opens it (a capitalised first word
    may be no name: "About how many…", "Scientists disagree…").

    >>> named_in("When was the color crimson adopted at Harvard as official color?")
    ['Harvard']
    >>> named_in("How many homes had fibre broadband by September 2026?")
    []
    >>> named_in("If you took a train out of the city of Fresno, which railroad would you take?")
    ['Fresno']
    >>> named_in("What Fields Medal winning Mathematician is a faculty member at the University of Chicago?")
    ['Fields Medal', 'Mathematician', 'University of Chicago']
    """
    inside: list[str] = []
    opening: list[str] = []
    for match in _NAME.finditer(question):
        words = _name_words(match)
        if (not words or not words[0][0].isupper() or words[0].lower() in STOP_WORDS | _MONTHS
                or any(is_number(word) for word in match.group(0).split())):
            continue  # a date ("September 2026") is no thing an "it" stands for
        name = re.sub(r"['’]s$", "", " ".join(words))
        found = opening if match.start() == 0 and len(words) == 1 else inside
        if name not in inside + opening:
            found.append(name)
    return inside + opening


_MONTHS = frozenset(name.lower() for name in MONTH_NAMES)


def _with_pronouns_resolved(question: str, previous_question: str, previous_answer: str, thing: str = "",
                            person: str = "", people: Mapping[str, str] | None = None) -> Query:
    """`question` with its pronouns replaced by the names of the previous turn (a thing pronoun by `thing`, a person
    pronoun by `person`, when given; a "he" or a "she" by the person `people` gives its gender, `gendered_people`),
    or with the previous question as its context when none was. An "it" that stands for nothing ("How long did it
    take to …?": `_DUMMY_IT`) stays."""
    person = person or turn_person(previous_question, previous_answer)
    topic = thing or topic_of(previous_question) or subject_phrase(previous_question)
    name = "" if topic else subject_name(previous_question)
    dummies = {match.start() for match in _DUMMY_IT.finditer(question)}
    replaced = False

    def substitute(match: re.Match[str]) -> str:
        nonlocal replaced
        word = match.group(0)
        lowered = word.lower()
        if match.start() in dummies:
            return word
        if people and _GENDERS.get(lowered) in people:
            replacement = _PERSON_PRONOUNS[lowered].format(name=people[_GENDERS[lowered]])
        elif lowered in _PERSON_PRONOUNS and person:
            replacement = _PERSON_PRONOUNS[lowered].format(name=person)
        elif (lowered in _PERSON_PRONOUNS and thing and ASKS_WHO.match(previous_question)
              and not ASKS_ROLE.match(previous_question)):
            # "When is he due to publish his findings?" after "Who is leading the investigation?" answered by an
            # organisation ("The Rail Accident Investigation Unit"): the one who was asked for, named by the answer.
            replacement = _PERSON_PRONOUNS[lowered].format(name=thing)
        elif lowered in _THING_PRONOUNS and topic and not (lowered == "that" and match.start() == 0) and not (
                thing and lowered in _SAID_PRONOUNS):
            replacement = _THING_PRONOUNS[lowered].format(topic=topic)
        elif lowered in _NAME_PRONOUNS and name and name not in question:
            replacement = _THING_PRONOUNS[lowered].format(topic=name)
        else:
            return word
        replaced = True
        return replacement[0].upper() + replacement[1:] if match.start() == 0 else replacement

    rewritten = re.sub(r"\b(?:" + "|".join(sorted({*_PERSON_PRONOUNS, *_THING_PRONOUNS}, key=len, reverse=True))
                       + r")\b", substitute, question, flags=re.IGNORECASE)
    if replaced:
        # The question now stands alone: the previous one is not kept beside it (shown to the model, it drew the
        # bundled one back to the previous question: "How many companies were registered in Warsaw in 2006?" after
        # "How much of Poland's national income does Warsaw produce?" was answered with the 12% of income).
        return Query(rewritten)
    return Query(question, context=previous_question)


def leans_on_pronoun(question: str) -> bool:
    """Whether a question says "it", "they", "she"… for something: a follow-up about the previous turn's subject
    (one that names nothing may be a new question: "What budget did the council approve?"). A bare "Why?" leans on
    it as "Why did it…?" would; an "it" that stands for nothing ("How long did it take to …?") does not.

    >>> leans_on_pronoun("In what year did it change its name?"), leans_on_pronoun("What did the council approve?")
    (True, False)
    >>> leans_on_pronoun("Why?"), leans_on_pronoun("How long did it take to repair the bridge?")
    (True, False)
    >>> leans_on_pronoun("Who was the manager then?"), leans_on_pronoun("Who was the manager at the time?")
    (True, True)
    """
    if _BARE_QUESTION.fullmatch(question):
        return True  # "Why?": why the previous turn's thing happened, as "Why did it …?" would ask
    if _BACK_THEN.search(question):
        return True  # "Who was the manager then?": at the time the previous turn's answer gave, of its thing
    return any(word.lower() in _PERSON_PRONOUNS or word.lower() in _NAME_PRONOUNS
               for word in SURFACE_WORD.findall(without_dummy_it(question)))


_BACK_THEN = re.compile(r"\b(?:(?:back\s+)?then|at\s+(?:the|that)\s+time)\s*[?.!]*\s*$", re.IGNORECASE)
"""A question closing on "then" or "at the time": the time of the previous turn's answer, of its thing."""
_BARE_QUESTION = re.compile(
    r"\s*(?:and\s+|but\s+|so\s+)?(?:why|how|when|where)(?:\s+(?:not|so|come|exactly))?\s*[?.!]*\s*", re.IGNORECASE)
"""A question that is its question word alone ("Why?", "And when?", "How come?"): about the previous turn's thing."""


def previous_terms(previous_question: str, previous_answer: str) -> set[str]:
    """The names and numbers of the previous turn (its question's `specific_terms` and unnamed subject, and the
    answer's, a name that opens it included): what a follow-up's answer must be about, its "it" standing for one of
    them.

    >>> sorted(previous_terms("What was the name of the first successful credit card?", "BankAmericard [1]."))
    ['bankamericard']
    >>> sorted(previous_terms("Who won?", "I don't know: the indexed articles do not answer this."))
    []
    >>> sorted(previous_terms("When did the bus strike start?", "9 March [1]."))  # its unnamed subject too
    ['9', 'bus', 'march', 'strike']
    """
    # The subject it asked about unnamed ("the bus strike": `subject_phrase`): what a following "it" stands for
    terms = specific_terms(previous_question) | content_words(subject_phrase(previous_question))
    if previous_answer.strip().startswith(CANNOT_ANSWER):
        return terms
    for word in SURFACE_WORD.findall(strip_markers(previous_answer)):
        if word[0].isupper() or is_number(word):
            terms |= content_words(word)
    return terms


def stays_on(terms: set[str], texts: Sequence[str]) -> bool:
    """Whether an answer drawn from `texts` (its article's title and retrieved passages) is about the previous
    turn: it names one of the previous turn's `terms` (any text does when there are none to go by).

    >>> stays_on({"bankamericard"}, ["Sky (United Kingdom)", "BSkyB changed its name in 2014."])
    False
    >>> stays_on({"bankamericard"}, ["Bank of America", "In 1976 BankAmericard was renamed Visa."]), stays_on(set(), [])
    (True, True)
    """
    return not terms or any(terms & content_words(text) for text in texts)


def turn_story(previous_question: str, previous_answer: str, articles: Mapping[str, Sequence[str]]) -> str | None:
    """The article the previous turn was about, among those retrieved for a follow-up (`articles`: each article's
    id and its title and retrieved passages): the one naming the most of the previous question's words and of its
    answer's, when it names more of them than every other; None on a tie or with fewer than two articles. Two
    stories may share a name ("Kestrel Water" fined twice): the follow-up's "it" means the one the conversation
    was about, which the turn's other words ("leaking mains in Lindgard") tell apart.

    >>> stories = {"lindgard": ["Kestrel Water fined over leaking mains in Lindgard", "It must pay 9.6 million."],
    ...            "eastmere": ["Kestrel Water fined over Eastmere boil-water notice", "Homes get 50 euros."]}
    >>> turn_story("Which company was fined for leaking mains in Lindgard?", "Kestrel Water [1].", stories)
    'lindgard'
    >>> turn_story("Which company was fined?", "Kestrel Water [1].", stories) is None  # both name all of it
    True
    """
    if len(articles) < 2:
        return None
    terms = content_words(previous_question)
    if not previous_answer.strip().startswith(CANNOT_ANSWER):
        terms |= content_words(strip_markers(previous_answer))
    named = sorted(((len(terms & content_words(" ".join(texts))), article) for article, texts in articles.items()),
                   reverse=True)
    return named[0][1] if named[0][0] > named[1][0] else None


def quote_misses_follow_up(question: str, previous_question: str, previous_answer: str, quote: str,
                           leaning: bool = False) -> bool:
    """Whether a quote given as the answer to a follow-up that leans on a pronoun ("What is his salary?") holds
    none of the words the follow-up adds to the previous turn ("salary"): it says again what the conversation was
    about (the signing, its fee), not what is now asked. Words naming a place in the previous answer's list ("the
    second one") add nothing; an elliptical follow-up ("What about Buddhist?") is said in full elsewhere and not
    judged here. `leaning`: the follow-up leans on the conversation without a pronoun (it was searched with the
    previous question beside it: "Was anyone hurt?" after the flood's homes), judged the same way.

    >>> signing = ("Who did FC Dravin sign?", "Lucas Ferreira [1].")
    >>> quote_misses_follow_up("What is his salary?", *signing, "FC Dravin signed Ferreira for 32 million euros.")
    True
    >>> quote_misses_follow_up("What was his fee?", *signing, "FC Dravin signed Ferreira for a fee of 32 million.")
    False
    >>> quote_misses_follow_up("Who was the president?", *signing, "FC Dravin signed Ferreira in May.")
    False
    >>> flood = ("How many homes were flooded?", "120 homes [1].")
    >>> [quote_misses_follow_up("Was anyone hurt?", *flood, "The river flooded 120 homes.", leaning=leaning)
    ...  for leaning in (False, True)]
    [False, True]
    """
    if not (leaning or leans_on_pronoun(question)) or elliptical_question(question, previous_question):
        return False
    added = (content_words(question) - content_words(previous_question) - content_words(strip_markers(previous_answer))
             - content_words(" ".join(_ORDINAL_PLACES)) - {"one"})
    return bool(added) and not added & content_words(quote)


def repeats(answer: str, previous_answer: str) -> bool:
    """Whether an answer to a follow-up says again what the previous answer said (nearly the same words, markers
    and case aside: `REPEAT_SHARE` of either's words are shared): a follow-up asks something else ("And the school
    roofs?" after the library's cost is not answered by the library's cost again), though a part of the previous
    answer may answer it ("1816" out of "It became the centre in 1815 and the university opened in 1816").

    >>> repeats("120,000 euros a year [1].", "120,000 euros a year [1].")
    True
    >>> repeats("1816 [1].", "It became the centre in 1815 and the university opened in 1816 [1].")
    False
    >>> repeats("The Song dynasty [1].", "Song dynasty [1].")
    True
    >>> repeats("3.1 million euros [2].", "120,000 euros a year [1]."), repeats("It rained [1].", "")
    (False, False)
    >>> repeats("14 [1].", "14 workers [1]."), repeats("11 [1].", "14 workers [1].")  # the count without its noun
    (True, False)
    >>> repeats("2.5 million [1].", "2.5 million euros [1].")
    True
    """
    # Content words: "The Song dynasty" says "Song dynasty" again, its "the" aside.
    said = content_words(fold(strip_markers(answer)))
    before = content_words(fold(strip_markers(previous_answer)))
    added = before - said
    if (said and said < before and len(added) <= MEASURE_WORDS
            and all(says_a_figure(word) for word in said) and not any(says_a_figure(word) for word in added)):
        return True  # the previous answer's figure, without what it counts ("14" of "14 workers")
    return bool(said and before) and len(said & before) >= REPEAT_SHARE * len(said | before)


MEASURE_WORDS = 2
"""At most this many words besides its figure make a previous answer a figure and what it counts or measures ("2.5
million euros", "14 injured workers"), whose figure alone says it again."""


REPEAT_SHARE = 0.8
"""Share of the two answers' words (of all the words either has) that makes one the other's repeat."""


def accept_rewrite(original: str, rewritten: str) -> bool:
    """Whether a model's rewrite is usable: one line, not much longer, and keeping the original's content words
    (pronouns aside) — a rewrite that drops what was asked is worse than none.

    >>> accept_rewrite("When did she win?", "When did Priya Sandhu win?")
    True
    >>> accept_rewrite("When did she win?", "Tell me about rowing.")
    False
    """
    rewritten = rewritten.strip()
    if not rewritten or "\n" in rewritten or len(rewritten) > 3 * len(original) + 80:
        return False
    return content_words(original) <= content_words(rewritten) | {"she", "he", "it"}


ASKS_WHO_ELSE = re.compile(r"\s*(?:and\s+|so\s+)?(?:who|whom)\s+else\b", re.IGNORECASE)
"""A question asking for someone besides the people the conversation named ("Who else gave evidence?", "Who else
said that?")."""

_TITLES = frozenset({"dr", "mr", "mrs", "ms", "miss", "sir", "dame", "lord", "lady", "judge", "mayor", "president",
                     "prof", "professor", "former", "the", "councillor", "chief", "inspector", "officer"})


def said_names(question: str, history: History) -> tuple[str, ...]:
    """The words naming the people a "Who else …?" question sets aside (`ASKS_WHO_ELSE`): each capitalised word,
    titles aside, of the names in the conversation's last `EARLIER_TURNS` answers and questions (folded; an answer's
    capitalised first word too, which a person's name seldom shares); empty for any other question.

    >>> said_names("Who else said that?", [("Who said the park was not for sale?", "Mayor Elena Marsh [1].")])
    ('elena', 'marsh')
    >>> said_names("Who else gave evidence?", [("What was Dominic Reyes accused of?", "Fraud [1]."),
    ...                                        ("How much?", "I don't know: the indexed articles do not answer this.")])
    ('dominic', 'reyes', 'fraud')
    >>> said_names("Who said that?", [("Who said the park was not for sale?", "Mayor Elena Marsh [1].")])
    ()
    """
    if not ASKS_WHO_ELSE.match(question):
        return ()
    words: dict[str, None] = {}
    for earlier_question, earlier_answer in list(history)[-EARLIER_TURNS:]:
        for text in (earlier_question, strip_markers(earlier_answer).removeprefix(QUOTED_OPENING)):
            for name in named_in(text):
                for word in name.split():
                    if word[:1].isupper() and fold(word) not in _TITLES and fold(word) not in STOP_WORDS:
                        words[fold(word)] = None
    return tuple(words)


def names_said(text: str, said: Sequence[str]) -> bool:
    """Whether a text names someone a "Who else …?" question sets aside (one of the `said_names` words in it).

    >>> names_said("Dr Nandakumar [1].", ("priya", "nandakumar")), names_said("County health officials", ("marsh",))
    (True, False)
    """
    return bool(said) and bool({fold(word) for word in re.findall(r"[\w'’-]+", text)} & set(said))


def names_only_said(answer: str, said: Sequence[str]) -> bool:
    """Whether an answer to "Who else …?" names only people the conversation already named: it names one of them
    (`names_said`) and no other capitalised name (a quote naming another person too answers).

    >>> names_only_said("Mayor Elena Marsh [1].", ("elena", "marsh"))
    True
    >>> names_only_said('The articles say: "Gennaro told the trial of Dominic Reyes …" [1]', ("dominic", "reyes"))
    False
    >>> names_only_said("County health officials [1].", ("priya", "nandakumar"))
    False
    """
    text = strip_markers(answer).removeprefix(QUOTED_OPENING)
    if not names_said(text, said):
        return False
    others = [name for name in named_in(text)
              if not names_said(name, said) and not {fold(word) for word in name.split()} <= _TITLES | _MONTHS]
    return not others
