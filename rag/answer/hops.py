"""Two-hop questions: a question that names what it asks about only by a description of it ("Where was the one who
led the Normans crowned?") needs that thing found first (the bridge: Rollo), then the question asked of it.

`hop_plan` reads the description and plans the two hops: the first asks for what it describes (`HopPlan.first`),
the second is the question with the bridge named (`HopPlan.second(bridge)`). The descriptions read:

- a relative clause after "the one", "the city", "the American actor"…: "Where was the one who led the Normans
  crowned?" ("Who led the Normans?", then "Where was Rollo crowned?");
- one with a subject of its own, after "whose", "where", "in which"…: "What is the fight song of the university
  whose main campus is in Lawrence?" ("Which university's main campus is in Lawrence?"), "The arena where the Hull
  Stingrays played can seat how many people?" ("Which arena is where the Hull Stingrays played?"), "… the city in
  which the band was formed" ("In which city was the band formed?");
- a clause that holds what is asked, the question stating something of the thing before it ("The Oberoi family is
  part of a hotel company that has a head office in what city?"): the first hop asks what is stated ("The Oberoi
  family is part of which hotel company?"), the second the clause ("The Oberoi Group has a head office in what
  city?");
- a participle with its named agent: "the film directed by Mirela Voss" ("Which film was directed by Mirela
  Voss?"), "the 1995 film starring Bob Hoskins";
- a role of something named: "the director of the film Big Stone Gap", "Acme Rail's founder" ("Who is the founder
  of Acme Rail?").

`bridge_sentence` says the first hop as the answer's opening ("Rollo led the Normans [1].", "The Oberoi family is
part of The Oberoi Group [1]."), and `renumbered` moves the second hop's markers after it. The assistant
(`rag.answer.assistant`) runs the hops: the span reader finds the bridge in the first hop's evidence, the second hop
is answered as any question is (its sentences checked, its quotes checked), and the two are joined only when the
second cites a passage the first does not (the question needed both); else the question is answered in one hop, as
before.

Reading a description where there is none sends a one-hop question down that path: each form is guarded (a
description the question asks for itself, "the name of…", a pronoun subject the first hop could not read alone, "X
is an example of a…"), and the forms were checked on the SQuAD dev questions (docs/quality.md).

Comparisons of two named things ("Which was started first, A or B?") are `rag.answer.comparisons`'.

Pure functions only: no model here.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

from rag.answer.prompts import MARKER
from rag.text import IRREGULAR_VERBS, STOP_WORDS, content_words, is_number

_DESCRIPTION = re.compile(r"(?P<article>[Tt]he|[Aa]n?)\s+"
                          r"(?P<modifiers>(?:(?:[A-Z][a-z]+|\d{4}|[a-z]+(?:-[a-z]+)?)\s+){0,3}?)(?P<noun>[a-z]+)\s+"
                          r"(?P<relative>who|that|which|whose|where|(?:in|at|on|from|for|by|with|under) which"
                          r"|(?:after|for|by|with|to|from) whom)\s+"
                          r"(?P<clause>\S.*?)\s*\??\s*$")
"""A description: "the" (or "a"/"an", read only when the clause asks: `_asked_in_clause`), up to three modifiers
("American", "1995", "English rock"), and a common noun (lower case: not a name) with a relative clause running to
the end of the question (where it really ends is decided by `_clause_end`, or `_subject_clause_end` for a clause
with a subject of its own: "whose main campus is…", "where the Stingrays played…", "in which the band formed…")."""

NOT_MODIFIERS = frozenset({"first", "second", "third", "last", "only", "same", "other", "next", "previous", "main",
                           "one", "ones", "former", "latter", "following", "above"})
"""Words before a noun that pick one thing out by order or sameness ("the first person who…", "the only one that…"):
such a description is what a one-hop question asks about, not a bridge; and "the one" is a noun of its own."""

ROLES = frozenset({"director", "author", "writer", "founder", "co-founder", "creator", "singer", "star", "owner",
                   "winner", "recipient", "holder", "champion", "laureate", "captain", "president", "father",
                   "mother", "wife", "husband", "son", "daughter", "brother", "sister", "producer", "composer",
                   "frontman", "vocalist", "screenwriter", "coach", "designer", "architect", "inventor", "narrator",
                   "presenter", "host", "editor", "publisher", "developer", "chairman", "ceo", "manager", "head",
                   "leader", "illustrator", "novelist", "poet", "playwright", "drummer", "guitarist", "bassist",
                   "lyricist", "protagonist", "mayor", "governor", "chancellor", "bishop", "minister", "chairwoman",
                   "chairperson", "dean", "conductor", "commander", "principal", "secretary", "curator", "trainer",
                   "successor", "predecessor", "heir", "widow", "grandson", "granddaughter", "grandfather",
                   "grandmother", "nephew", "niece", "uncle", "aunt", "cousin", "pianist", "violinist",
                   "keyboardist"})
"""People a description "the <role> of <something named>" picks out ("the director of the film Big Stone Gap", "the
winner of the 2009 Calloway Medal"); lower case only: "the President of Warsaw" is a title the articles name as
such."""

ROLE_ENDINGS = ("er", "or", "ist", "ian", "ess", "ant", "ent", "man", "woman", "ard", "ive", "eer", "ect")
"""How nouns for what a person does end ("director", "novelist", "musician", "actress", "engineer"): such a
predicate asks for A's occupation; another noun asks "What is A?", whose answer says what kind of thing A is."""

NAME_JOINERS = frozenset({"of", "the", "and", "de", "in", "for", "a", "an", "on", "to", "&", "van", "von", "der",
                          "da", "di", "du", "la", "le"})
"""Lower-case words inside a name ("Kiss and Tell", "Lord of the Rings"): part of it only between capitalised words."""

PLACE_NOUNS = frozenset({"city", "town", "village", "country", "state", "county", "province", "region", "island",
                         "continent", "nation", "place"})
"""Nouns of the places "where" asks for: "the town where Priya Sandhu was born" is asked "Where was Priya Sandhu
born?"; any other noun is kept ("Which observatory is where the comet was found?")."""

ASKING = re.compile(r"\b(?:what|which|how many|how much)\s+\w", re.IGNORECASE)
"""What a question opened by a description must still ask ("… is based in *what New York* city?"): "The one who
led the Normans was who?" asks for the description itself."""

COPULAS = frozenset({"is", "was", "are", "were"})

PARTICLES = frozenset({"up", "down", "out", "off", "over", "away", "back", "apart", "together", "along", "around"})
"""Words closing a phrasal verb ("break *up*", "set *off*"): kept with the question's closing verb, as a preposition
is ("play *in*")."""

# Words with a participle's ending ("founded", "written", "known"), the irregular participles of `IRREGULAR_VERBS`,
# and "born", which no past tense there gives: questions say "When was … born?", not "Who bore …?".
PARTICIPLE = r"[a-z]+(?:ed|en|wn)|born|" + "|".join(sorted(set(IRREGULAR_VERBS.values())))
"""A past participle closing a question after its subject ("When was … *founded*?"), as a rule can tell."""

PREPOSITIONS = frozenset({"from", "through", "across", "after", "before", "during", "within", "without", "upon",
                          "among", "between", "behind", "beyond", "toward", "towards", "near", "since", "until"})
"""Words the stop words leave out that end a noun phrase ("the census *from* which"), never its noun."""

PEOPLE = frozenset({"one", "person", "people", "man", "woman", "men", "women", "group", "ruler", "leader", "king",
                    "queen", "player", "team", "scientist", "writer", "author", "company", "organisation",
                    "organization"})
"""Nouns whose description is asked for with "who" (a person or a body acting)."""

NOT_A_THING = frozenset({"fact", "way", "amount", "number", "time", "times", "reason", "extent", "degree", "point",
                         "idea", "view", "belief", "claim", "notion", "hope", "case", "same", "most", "only",
                         "first", "last", "name", "kind", "type", "sort", "part", "percentage", "rate", "year",
                         "day", "period", "concept", "conclusion", "probability", "condition", "principle",
                         "understanding", "assumption", "statement", "theory", "argument"})
"""Nouns whose clause says what is meant rather than which thing ("the fact that…", "the year that…"): no bridge."""

AUXILIARIES = frozenset({"did", "does", "do", "was", "were", "is", "are", "has", "have", "had", "can", "could",
                         "will", "would", "should", "may", "might"})
FINITE = frozenset({"was", "were", "is", "are", "has", "had", "did", "does"})
"""A verb that, after the clause's first word, starts the main clause again ("the one who first described it *was*
associated with…")."""

MODALS = AUXILIARIES | {"must", "shall"}
"""A verb that, after a clause's own subject and verb, starts the main clause again ("the arena where the Stingrays
played *can* seat…")."""

BARE_VERB_AFTER = frozenset({"did", "does", "do", "can", "could", "will", "would", "should", "may", "might", "must"})
"""Auxiliaries whose main verb is bare ("can … *seat*?", "did … *play*?"), not a participle ("was … *founded*?")."""

ASKED_WORD = re.compile(r"\b(?:who|whom|what|which|when|where|how)\b", re.IGNORECASE)
"""A question word anywhere: what a relative clause asks with ("… a band that was formed by *who*?")."""

SUBJECT_OPENINGS = frozenset({"the", "a", "an", "this", "these", "those"})
"""Words that open a clause's own subject ("the city where *the* band formed"), as a name does: not "the census from
which *year*", where "which" asks; nor a pronoun ("the land where *they* settled"), which a first hop asked alone
cannot read."""

_REDUCED = re.compile(r"(?P<article>[Tt]he|[Aa]n?)\s+"
                      r"(?P<modifiers>(?:(?:[A-Z][a-z]+|\d{4}|[a-z]+(?:-[a-z]+)?)\s+){0,3}?)"
                      r"(?P<noun>[a-z]+)\s+(?P<participle>(?:[a-z]+ed|written|built|made|drawn|sung|run|held|led|won)"
                      r"\s+by|starring|featuring|featured\s+(?:on|in)|named\s+(?:after|for)|adapted\s+from|based\s+on"
                      r"|headquartered\s+in)\s+(?P<agent>\S.*)$")
"""A description by a participle with its agent ("the film *directed by* Mirela Voss", "the movie *starring* Arnold
Schwarzenegger") or by one of the few participles that name a thing by another ("the airport *named after* Oskar
Lund", "the film *adapted from* the novel The Salt Road"; not "located in", "published in": SQuAD's one-hop
questions say them of what they ask about): what a relative clause says, shortened; after
"the", or "a" when the question asks of the one it names (`_asks_of_one`: "Which actor starred in a film directed by
Mirela Voss?")."""

DEFINING = frozenset({"example", "kind", "type", "sort", "form", "instance", "variety"})
"""Nouns that make "X is an example of a district that…" say what X is, not name another thing."""


@dataclass(frozen=True)
class HopPlan:
    """The two hops of a question that names its subject by a description: `first` asks for the thing described
    (the bridge), `second(bridge)` is the question with it named; `clause` is what the description says of it
    ("led the Normans"), `opening` what the question says before it when the question says it of the bridge ("The
    Oberoi family is part of" a hotel company that…), `start:end` the part of `question` the bridge replaces."""

    question: str
    first: str
    clause: str
    start: int
    end: int
    opening: str = ""
    verb: str = ""
    """A verb the second hop puts after the bridge ("<bridge> *is* operated by which company?")."""
    leading: str = ""
    """Words the second hop puts before the bridge: a clause's subject and verb when the bridge is their object
    ("*Nina Coyle named* <bridge> after who?")."""

    def second(self, bridge: str) -> str:
        """The question with the description replaced by the bridge.

        >>> hop_plan("Where was the one who led the Normans crowned?").second("Rollo")
        'Where was Rollo crowned?'
        """
        verb = f" {self.verb}" if self.verb else ""
        return f"{self.question[:self.start]}{self.leading}{bridge}{verb}{self.question[self.end:]}"


def _clause_end(words: list[str], after_auxiliary: bool) -> int:
    """How many of the clause's `words` belong to it: up to a second finite verb (the main clause going on), else,
    when the description is the subject after an auxiliary ("Where *was* the one who … crowned?"), all but the main
    verb that closes the question (with "to" and "used to" before it), else all.

    >>> _clause_end("first described dynamic equilibrium was associated with velocity".split(), False)
    4
    >>> _clause_end("led the Normans crowned".split(), True), _clause_end("won the cup play in".split(), True)
    (3, 3)
    >>> _clause_end("is the most populous in California used to have".split(), True)
    6
    >>> _clause_end("is the President of Egypt".split(), False)
    5
    >>> _clause_end("recorded Cold Cathedral break up".split(), True)
    3
    >>> _clause_end("designed the Varnhem Concert Hall".split(), True)
    5
    >>> _clause_end("scored the goal in the 2004 final join in 2007?".split(), True)  # a year after the closing verb
    7
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
    if (after_auxiliary and len(words) > 3 and re.fullmatch(r"\d{4}\??", words[-1])
            and words[-2].lower() in {"in", "on", "during", "by", "after", "before", "since", "until"}):
        return _clause_end(words[:-2], after_auxiliary)  # "… did the player who scored … *join* in 2007?"
    if not after_auxiliary or len(words) < 2 or (_capitalised(words[-1]) and _capitalised(words[-2])):
        return len(words)  # a question's closing verb is never inside a name: "… designed the Varnhem Concert Hall?"
    end = len(words) - 1
    if end > 1 and words[end].lower() in (NAME_JOINERS | PARTICLES) - {"the", "a", "an", "and", "&"}:
        end -= 1  # "Which stadium did the team that won the cup *play in*?", "… *break up*?": the verb and its word
    if end > 1 and words[end - 1].lower() == "to":
        end -= 1
        if end > 1 and words[end - 1].lower().endswith("ed"):
            end -= 1
    return end


def hop_plan(question: str) -> HopPlan | None:
    """The two hops of a question that names what it asks about by a description ("the one who…", "the American
    actor who…", "the director of the film Big Stone Gap"), or None when it names nothing so (a one-hop question:
    answered as it is).

    >>> plan = hop_plan("Where was the one who led the Normans crowned?")
    >>> plan.first, plan.clause, plan.second("Rollo")
    ('Who led the Normans?', 'led the Normans', 'Where was Rollo crowned?')
    >>> plan = hop_plan("How many large public parks does the city that is planned to be on the high speed rail have?")
    >>> plan.first, plan.second("Fresno")
    ('Which city is planned to be on the high speed rail?', 'How many large public parks does Fresno have?')
    >>> hop_plan("What insight of the one who first described dynamic equilibrium was associated with velocity?").first
    'Who first described dynamic equilibrium?'
    >>> hop_plan("Which year was the American actor who starred in Dune born?").first
    'Who starred in Dune?'
    >>> plan = hop_plan("Where was the director of the film Big Stone Gap born?")
    >>> plan.first, plan.second("Adriana Trigiani")
    ('Who is the director of the film Big Stone Gap?', 'Where was Adriana Trigiani born?')
    >>> plan = hop_plan("The Oberoi family is part of a hotel company that has a head office in what city?")
    >>> plan.first, plan.second("The Oberoi Group")
    ('The Oberoi family is part of which hotel company?', 'The Oberoi Group has a head office in what city?')
    >>> plan = hop_plan("What is the fight song of the university whose main campus is in Lawrence?")
    >>> plan.first, plan.second("the University of Kansas")
    ("Which university's main campus is in Lawrence?", 'What is the fight song of the University of Kansas?')
    >>> plan = hop_plan("The arena where the Hull Stingrays played their home games can seat how many people?")
    >>> plan.first, plan.second("Hull Arena")
    ('Which arena is where the Hull Stingrays played their home games?', 'Hull Arena can seat how many people?')
    >>> hop_plan("What year was Acme Rail's founder born?").first
    'Who is the founder of Acme Rail?'
    >>> plan = hop_plan("The Elm Street station is on a line operated by which company?")
    >>> plan.first, plan.second("the Harbour Line")
    ('The Elm Street station is on which line?', 'the Harbour Line is operated by which company?')
    >>> hop_plan("When did the Normans conquer England?") is None, hop_plan("What was the idea that won?") is None
    (True, True)
    >>> hop_plan("Who was the president of Notre Dame in 1912?") is None
    True
    """
    if not asks_something(question):
        return None  # a statement with a question mark ("X was founded by an industrialist who became known as…")
    for opening in re.finditer(r"\b(?:the|an?)\b", question, re.IGNORECASE):
        if _in_apposition(question, opening.start()):
            return None  # "Velvet Harbor, the band that released Glass Fjord, was formed…": named already
        definite = opening.group(0).lower() == "the"  # "a director of…" is any one: no role description
        plan = ((definite and _role_plan(question, opening.start())) or _participle_plan(question, opening.start())
                or _relative_plan(question, opening.start()) or _asked_agent_plan(question, opening.start())
                or _set_off_plan(question, opening.start()))
        if plan is not None:
            return plan
    return _possessive_plan(question)


def asks_something(question: str) -> bool:
    """Whether a question asks with a question word or opens with an auxiliary (yes or no), not only with a
    relative pronoun ("who" after a noun and before its verb: "… an industrialist *who became* known as…").

    >>> asks_something("Ardent Motorworks was founded in a town on which river?")
    True
    >>> asks_something("2014 S/S is the album of a group that was formed by who?"), asks_something("Was it?")
    (True, True)
    >>> asks_something("Kaiser Ventures was founded by an industrialist who became known as the father of it?")
    False
    """
    words = [word.strip("?,;:\"'") for word in question.split()]
    if not words or words[0].lower() in AUXILIARIES | {"why"} or ASKED_WORD.fullmatch(words[0]):
        return True
    for index, word in enumerate(words[1:], start=1):
        if not ASKED_WORD.fullmatch(word):
            continue
        previous, following = words[index - 1], words[index + 1] if index + 1 < len(words) else ""
        relative = (word.lower() in {"who", "which", "whom", "where", "when"} and previous.isalpha()
                    and previous.islower() and previous not in STOP_WORDS | PREPOSITIONS
                    and (following.lower() in MODALS or following in IRREGULAR_VERBS
                         or re.fullmatch(r"[a-z]+(?:ed|s)", following) is not None))
        if not relative:
            return True
    return False


def _in_apposition(question: str, start: int) -> bool:
    """Whether the description starting at `start` is set off by commas after a name ("Velvet Harbor, the band
    that released Glass Fjord, was formed in which city?"): it says which thing the name is, and the question asks
    of the name, in one hop; its words are kept, to find the name's own article among namesakes.

    >>> _in_apposition("Velvet Harbor, the band that released Glass Fjord, was formed where?", 15)
    True
    >>> _in_apposition("In 1995, the band that released Glass Fjord was formed where?", 9)
    False
    >>> _in_apposition("Where was the band that released Glass Fjord formed?", 10)
    False
    """
    before = question[:start].rstrip()
    if not before.endswith(","):
        return False
    words = before[:-1].split()
    return (len(words) >= 1 and words[-1][:1].isupper() and "," in question[start:]
            and (len(words) == 1 or not ASKED_WORD.fullmatch(words[-1])))


NAMES_OF_A_THING = frozenset({"original", "birth", "real", "full", "maiden", "former", "stage", "legal", "official",
                              "previous", "current", "present", "first", "latin", "scientific", "common"})
"""Words making "the <word> name of the N …" ask a property of the N ("What was the original name of the company
that makes X?": the company found first), not which N is meant ("the name of the company that makes X")."""


def _opens_well(question: str, before: list[str], end: int) -> bool:
    """Whether a description with `before` ahead of it (ending at `end`) can be a bridge: not when its name is asked
    ("the name of the…"), nor when it opens the question and no "what"/"which" question follows it ("The one who led
    the Normans was who?" asks for the description itself).

    >>> _opens_well("The director of Dune is based in what city?", [], 15)
    True
    >>> _opens_well("The one who led the Normans was crowned where?", [], 27)
    False
    """
    if (before[-2:] == ["name", "of"] and (len(before) < 3 or before[-3].lower() not in NAMES_OF_A_THING)) or (
            before[-3:] == ["name", "given", "to"]):
        return False  # "the name of the N that…" asks for the N's name; "the original name of" asks a property
    return bool(before) or ASKING.search(question, end) is not None


NAMING = frozenset({"considered", "called", "named", "known", "regarded", "deemed", "titled", "termed"})
"""Participles saying what a thing is called: "What is the mayor of Warsaw *called*?" asks for the description's
own name, not something of the one it picks out."""


_SAID_OF_IT = re.compile(r"\s*(?!(?:called|named|titled|termed|when|then|even|often|between|seven|ten|eleven|men|"
                         r"women|children|down|town|own|open)\b)[a-z]+(?:ed|en|wn)\b|['’]s\b")
"""What, after a description the question opens with "What is", says it asks something of the one described ("What
is the author of Dune *known* for?", "… *'s* occupation?"), not what it is called ("What is the mayor of Warsaw
*called*?") nor when ("Who was the head of the authority *when* the plan was proposed?": "when" is no participle)."""


def _asks_itself(before: list[str]) -> bool:
    """Whether a description after `before` is what the question asks for: right after "Who was", "What is"…
    ("What is the alpine valley that the Rhine flows through?", "Who was the president of Notre Dame in 1912?").

    >>> _asks_itself(["What", "is"]), _asks_itself(["Where", "was"]), _asks_itself("What genus is considered".split())
    (True, False, True)
    """
    words = [word.lower() for word in before]
    if not words or words[0] not in {"who", "what", "which"}:
        return False
    if len(words) == 2:
        return words[1] in COPULAS
    # "What genus is considered the ancestor of…?": what the description is called is asked
    return 3 <= len(words) <= 4 and words[-2] in COPULAS and words[-1] in NAMING


def _relative_plan(question: str, start: int) -> HopPlan | None:
    """The hop plan of a description by a relative clause starting at `start` ("the one who led the Normans"), or
    None.

    >>> _relative_plan("Which band did the English rock band that released Abbey Road inspire?", 15).first
    'Which English rock band released Abbey Road?'
    """
    match = _DESCRIPTION.match(question, start)
    if match is None:
        return None
    noun, relative = match.group("noun"), match.group("relative").lower()
    modifiers = match.group("modifiers").split()
    if (noun in NOT_A_THING | STOP_WORDS | PREPOSITIONS or noun.endswith("ed")
            or (relative == "which" and noun in PEOPLE)
            or any(word in NOT_MODIFIERS | STOP_WORDS or word.endswith("ed") for word in modifiers)):
        return None  # "the process by which…", "the paper published that…": no noun before the clause
    before = question[:match.start()].split()
    if before and before[-1].lower() in {"who", "that", "which", "whose", "where"}:
        return None  # "… a language where the instances whose input is yes": inside another clause
    words = match.group("clause").split()
    if relative in {"who", "that", "which"} and _asked_in_clause(before, words):
        return _asked_in_clause_plan(question, match)
    if match.group("article").lower() != "the" or _asks_itself(before):
        return None  # "What is an example of a country that…" asks for any one: no bridge
    if relative not in {"who", "that", "which"}:
        return _subject_clause_plan(question, match, before, words)
    opens = not before
    kept = words[:_clause_end(words, _after_auxiliary(before, words[-1]))]
    if opens and len(kept) == len(words):  # "The manager who recruited David Beckham *managed* United during what…"
        kept = words[:next((index for index in range(2, len(words)) if re.fullmatch(r"[a-z]+ed", words[index])
                            and words[index - 1][:1].isupper()), len(words))]
    if (not kept or not content_words(" ".join(kept)) or ASKED_WORD.fullmatch(kept[-1].rstrip("?"))
            or re.search(r"\b(?:what|how)\b", " ".join(kept), re.IGNORECASE)):
        return None  # a clause that asks ("… that were used for oil purchases helped create tensions where?")
    clause = " ".join(kept).rstrip(",;:")
    end = match.start("clause") + _offset_after(match.group("clause"), len(kept))
    if not _opens_well(question, before, end) or (opens and len(kept) == len(words)):
        return None
    described = " ".join((*modifiers, noun))
    asked = "Who" if noun in PEOPLE or relative == "who" else f"Which {described}"
    return HopPlan(question, f"{asked} {clause}?", clause, match.start(), end)


def _after_auxiliary(before: list[str], closing: str) -> bool:
    """Whether a description after `before` is (in) the subject of a question whose auxiliary comes before it, so
    that its main verb closes the question: right after the auxiliary ("Where *was* the one who … crowned?"), or
    after "the <role> of" right after it when a participle closes ("In what year *was the founder of* the company
    that makes the Tundra Hatchback *born*?").

    >>> _after_auxiliary(["Where", "was"], "crowned?"), _after_auxiliary("When was the founder of".split(), "born?")
    (True, True)
    >>> _after_auxiliary("What is the fight song of".split(), "cup?")
    False
    """
    if before and before[-1].lower() in AUXILIARIES:
        return True
    return (len(before) >= 4 and before[-1] == "of" and before[-2] in ROLES and before[-3] == "the"
            and before[-4].lower() in AUXILIARIES and re.fullmatch(PARTICIPLE, closing.rstrip("?")) is not None)


def _asked_in_clause(before: list[str], words: list[str]) -> bool:
    """Whether a description's relative clause (`words`) holds what the question asks, the words `before` it
    stating something of the thing described ("The Oberoi family is part of | a hotel company that has a head office
    in *what* city?"): then the bridge is what those words say, and the clause is asked of it. Not when the words
    before ask themselves ("Which band…"), open a yes-or-no question ("Is it…"), or are too few to say anything
    ("Some of the…").

    >>> _asked_in_clause("The Oberoi family is part of".split(), "has a head office in what city".split())
    True
    >>> _asked_in_clause("Which band did".split(), "released what".split())
    False
    >>> _asked_in_clause("Some of".split(), "were used where".split())
    False
    >>> _asked_in_clause("An igneous rock is".split(), "crystallizes from what".split())  # says what it is
    False
    >>> _asked_in_clause("Each of the areas has".split(), "exceeds what number".split())  # "a population": its own
    False
    """
    last = [word.lower() for word in before[-3:]]
    if not last or last[-1] in COPULAS | {"has", "have", "had"} or (last[-1] == "of" and set(last[:-1]) & DEFINING):
        return False
    return (len(before) >= 3 and (before[0][:1].isupper() or before[0][:1].isdigit())
            and before[0].lower() not in AUXILIARIES
            and ASKED_WORD.search(" ".join(before)) is None and ASKED_WORD.search(" ".join(words)) is not None)


def _asked_in_clause_plan(question: str, match: re.Match[str]) -> HopPlan:
    """The hop plan of a description whose clause holds what is asked (`_asked_in_clause`): the first hop is what
    the question states before the description, asked of it ("The Oberoi family is part of which hotel company?"),
    the second the clause asked of the bridge ("<bridge> has a head office in what city?").

    >>> question = "2014 S/S is the debut album of a South Korean boy group that was formed by who?"
    >>> plan = _asked_in_clause_plan(question, _DESCRIPTION.match(question, 31))
    >>> plan.first, plan.second("Winner")
    ('2014 S/S is the debut album of which South Korean boy group?', 'Winner was formed by who?')
    >>> bridge_sentence("Winner", plan)
    '2014 S/S is the debut album of Winner [1].'
    """
    opening = question[:match.start()].rstrip()
    described = " ".join((*match.group("modifiers").split(), match.group("noun")))
    return HopPlan(question, f"{_untitled(opening)} which {described}?", "", 0, match.end("relative"), opening)


_SET_OFF = re.compile(r"(?P<article>[Tt]he|[Aa]n?)\s+"
                      r"(?P<modifiers>(?:(?:[A-Z][a-z]+|\d{4}|[a-z]+(?:-[a-z]+)?)\s+){0,3}?)(?P<noun>[a-z]+)"
                      r"(?P<named>\s+(?:from|of|in|on|at)\s+[^,?]*?[A-Z][^,?]*?),\s+"
                      r"(?P<relative>who|whom|which|that)\s+(?P<clause>\S.*?)\s*\??\s*$")
"""A description naming what the thing belongs to, then a relative clause set off by a comma: "… about a character
from the animated series Gravel Street, whom Nina Coyle named after who?"."""


def _set_off_plan(question: str, start: int) -> HopPlan | None:
    """The hop plan of a statement ending in a description set off by a comma whose clause asks (`_SET_OFF`,
    `_asked_in_clause`): the first hop asks what the statement says, with what the thing belongs to ("Dell Harbury
    wrote a song about which character from the animated series Gravel Street?"); the second the clause of the
    bridge: "<bridge> was born in what city?", or, when the clause opens with a name and its verb (the thing is
    their object, "whom" or, as often written, "who"), with them before it ("Nina Coyle named <bridge> after who?").
    None for "whom" with a subject that is no name.

    >>> question = ("Musician Dell Harbury wrote a song about a character from the series Gravel Street, whom Nina "
    ...             "Coyle named after who?")
    >>> plan = _set_off_plan(question, question.index("a character"))
    >>> plan.first, plan.second("Captain Brine")
    ('Musician Dell Harbury wrote a song about which character from the series Gravel Street?', 'Nina Coyle named \
Captain Brine after who?')
    >>> bridge_sentence("Captain Brine", plan)
    'Musician Dell Harbury wrote a song about Captain Brine [1].'
    >>> _set_off_plan("Tom Ash signed a player from the Otters, who was born in what city?", 15).second("Rollo")
    'Rollo was born in what city?'
    """
    match = _SET_OFF.match(question, start)
    if match is None:
        return None
    noun, modifiers = match.group("noun"), match.group("modifiers").split()
    if (noun in NOT_A_THING | STOP_WORDS | PREPOSITIONS | NOT_MODIFIERS or noun.endswith("ed")
            or any(word in NOT_MODIFIERS | STOP_WORDS or word.endswith("ed") for word in modifiers)):
        return None
    named_words = match.group("named").split()[1:]  # what it belongs to: a few words, then a name to the comma
    if _named_end([*named_words[:-1], f"{named_words[-1]},"], most_leading=3) != len(named_words):
        return None  # "the vegetation of the amazon rainforest took place since the Last Glacial Maximum, which…"
    before = question[:match.start()].split()
    words = match.group("clause").split()
    if not _asked_in_clause(before, words):
        return None
    opening = question[:match.start()].rstrip()
    described = " ".join((*modifiers, noun))
    first = f"{_untitled(opening)} which {described}{match.group('named')}?"
    named = _named_end(words, most_leading=0)
    if named is None or named + 1 >= len(words) or not words[named].isalpha() or not words[named].islower():
        if match.group("relative").lower() == "whom":
            return None  # "whom" with a subject a first hop could not read ("whom he named after who?")
        return HopPlan(question, first, "", 0, match.end("relative"), opening)
    # a name and its verb: the thing is their object, said "whom" or, as often, "who" ("who Nina Coyle named …")
    verb_end = match.start("clause") + _offset_after(match.group("clause"), named + 1)
    return HopPlan(question, first, "", 0, verb_end, opening, leading=f"{question[match.start('clause'):verb_end]} ")


def _untitled(opening: str) -> str:
    """A statement opening a question without the title before its subject's name ("*Musician and satirist* Dell
    Harbury wrote…", "*Jazz singer* Dora Kell married…"): what the first hop asks of the name, whose article's
    sentence saying it ("Her single … is about Pip Malloy") does not repeat the title; a title weighs the first
    hop's evidence towards the lead sentence that says it.

    >>> _untitled("Musician and satirist Dell Harbury wrote a song about")
    'Dell Harbury wrote a song about'
    >>> _untitled("American actor Tom Ash starred in"), _untitled("The Oberoi family is part of")
    ('Tom Ash starred in', 'The Oberoi family is part of')
    >>> _untitled("Jim Henson founded"), _untitled("Velvet Harbor is the debut album of")
    ('Jim Henson founded', 'Velvet Harbor is the debut album of')
    """
    words = opening.split()
    if not words or not words[0][:1].isupper() or words[0].lower() in STOP_WORDS:
        return opening
    name = next((index for index in range(1, len(words)) if _capitalised(words[index])), None)
    title = words[1:name]
    if (name is None or not title or name + 1 >= len(words) or not words[name + 1][:1].isupper()
            or any(not word.isalpha() or (word in STOP_WORDS and word != "and") for word in title)):
        return opening  # a title is lower-case nouns ("and" between them), then a name of two words or more
    return " ".join(words[name:])


def _subject_clause_plan(question: str, match: re.Match[str], before: list[str], words: list[str]) -> HopPlan | None:
    """The hop plan of a description by a clause with a subject of its own: "the university whose main campus is in
    Lawrence", "the arena where the Hull Stingrays played", "the city in which the band was formed"; or None.

    The first hop asks for the thing with the clause's own auxiliary put first where it has one ("In which city was
    the band formed?", "Where was Priya Sandhu born?" for a town); else, and for a "where" after a noun that is no
    place (whose "Where was …?" would ask for any place, not the thing), it says the clause of the thing asked for
    ("Which arena is where the Hull Stingrays played their home games?"): turning "played" into "did … play" needs
    a verb's stem, which a rule gets wrong too often ("based", "used").

    >>> question = "In what year was the city in which the band was formed founded?"
    >>> plan = _subject_clause_plan(question, _DESCRIPTION.match(question, 17), question[:17].split(),
    ...                             "the band was formed founded".split())
    >>> plan.first, plan.second("Leeds")
    ('In which city was the band formed?', 'In what year was Leeds founded?')
    >>> bridge_sentence("Leeds", plan)
    'Leeds is the city in which the band was formed [1].'
    >>> question = "Who founded the city where the band has its studio?"
    >>> _subject_clause_plan(question, _DESCRIPTION.match(question, 12), question[:12].split(),
    ...                      "the band has its studio".split()).first
    'Which city is where the band has its studio?'
    >>> hop_plan("Who is the director of the observatory where the comet was found?").first
    'Which observatory is where the comet was found?'
    """
    relative = match.group("relative").lower()
    if relative != "whose" and words[0].lower() not in SUBJECT_OPENINGS and not words[0][:1].isupper():
        return None  # "the census from which year": "which" asks, it opens no clause
    count = _subject_clause_end(words, before)
    if count is None:
        return None
    kept = words[:count]
    clause = " ".join(kept).rstrip(",;:")
    if not content_words(clause):
        return None
    end = match.start("clause") + _offset_after(match.group("clause"), count)
    if not _opens_well(question, before, end):
        return None
    noun = match.group("noun")
    described = " ".join((*match.group("modifiers").split(), noun))
    if relative == "whose":  # a plural's possessive is the apostrophe alone ("Which universities' campuses…")
        possessive = "'" if noun.endswith("s") else "'s"
        first = f"Whose {clause}?" if noun in PEOPLE else f"Which {described}{possessive} {clause}?"
    else:
        verb = next((index for index in range(1, len(kept)) if _clause_verb(kept, index)), None)
        asked = f"{relative.split()[0].capitalize()} which {described}"
        following = kept[verb + 1].lower() if verb is not None and verb + 1 < len(kept) else ""
        inverted = verb is not None and (kept[verb].lower() in MODALS - {"has", "have", "had"}
                                         or re.fullmatch(PARTICIPLE + "|been", following))
        if verb is not None and inverted and (relative != "where" or noun in PLACE_NOUNS):
            # "the band was formed": "was the band formed"; not "has its studio" ("has the band its studio"); and
            # "Where was the comet found?" would ask for any place, not the observatory the question describes
            asked = "Where" if relative == "where" else asked
            first = f"{asked} {kept[verb]} {' '.join(kept[:verb])} {' '.join(kept[verb + 1:])}".rstrip(",;: ") + "?"
        elif relative == "where":
            first = f"Which {described} is where {clause}?"
        else:
            first = f"Which {described} is the one {relative} {clause}?"
    return HopPlan(question, first, f"is the {described} {relative} {clause}", match.start(), end)


def _subject_clause_end(words: list[str], before: list[str]) -> int | None:
    """How many of `words` (a clause with a subject of its own) belong to it: its subject and verb (an auxiliary, or
    a word in "-ed"), then up to an auxiliary starting the main clause again ("where the Stingrays played their home
    games *can* seat…"); else, after an auxiliary ("In what year *was* the city where … founded?"), all but the main
    verb closing the question; else, opening the question, up to the main verb before its question word; else all.
    None without a verb.

    >>> _subject_clause_end("the Hull Stingrays played their home games can seat how many".split(), [])
    7
    >>> _subject_clause_end("Sergei Kazakov coached founded".split(), ["In", "what", "year", "was"])
    3
    >>> _subject_clause_end("main campus is in Lawrence".split(), ["What", "is", "the", "song", "of"])
    5
    >>> _subject_clause_end("campus is in Lawrence and whose branches are in Topeka".split(), ["Where", "is"])
    10
    >>> _subject_clause_end("the band played holds how many people".split(), [])
    3
    >>> _subject_clause_end("the Hull Stingrays played their home games seat".split(), ["How", "many", "can"])
    7
    >>> _subject_clause_end("the band Kiss".split(), ["Where", "is"]) is None
    True
    >>> _subject_clause_end("Tomas Varga taught founded".split(), ["In", "what", "year", "was"])
    3
    >>> _subject_clause_end("Acme Rail's headquarters are located".split(), ["In", "which", "county", "is"])
    5
    >>> _subject_clause_end("the Harrowgate Stags play their home games".split(), ["What", "is", "the", "size", "of"])
    7
    """
    verb = next((index for index in range(1, len(words)) if _clause_verb(words, index)), None)
    after_auxiliary = bool(before) and before[-1].lower() in AUXILIARIES
    closing = words[-1].rstrip("?")
    # After "can", "did"…, the main verb closing the question is bare ("How many can the arena where … seat?")
    closes = after_auxiliary and bool(re.fullmatch(PARTICIPLE, closing) or (
        before[-1].lower() in BARE_VERB_AFTER and closing.isalpha() and closing.islower()))
    # "In what year was the university where Tomas Varga *taught* founded?": a verb told only by its place
    bare = closes and len(words) >= 3 and (verb is None or verb == len(words) - 1) and _bare_verb(words, len(words) - 2)
    if verb is None and not bare:
        # "the arena where the Harrowgate Stags *play* their home games": a present verb told by its place
        verb = next((index for index in range(1, len(words)) if _bare_verb(words, index)
                     and words[index].lower() not in IRREGULAR_VERBS), None)
        if verb is None:
            return None
    verb = len(words) - 2 if bare else verb
    assert verb is not None
    nested = False  # "whose main campus is in Lawrence and *whose* branch campuses *are*…": its own verb
    for index in range(verb + 1, len(words)):
        if words[index].lower() in {"who", "that", "which", "whose", "where"}:
            nested = True
        elif words[index].lower() in MODALS:
            if not nested:
                return index
            nested = False
    if after_auxiliary:  # "When was the heatwave in which … temperature?": no verb closes it
        if words[-2].lower() in AUXILIARIES | {"be", "been", "being"}:
            return len(words)  # "… where the headquarters *are located*?": the clause's own passive
        return len(words) - 1 if len(words) - 1 > verb and closes else len(words)
    if not before:
        asked = next((index for index in range(verb + 1, len(words)) if ASKED_WORD.fullmatch(words[index])), None)
        return asked - 1 if asked is not None and asked - 1 > verb else None
    return len(words)


def _bare_verb(words: list[str], index: int) -> bool:
    """Whether `words[index]` is a verb a rule can tell only by its place: an irregular past tense, or a lower-case
    word right after a name (its subject: "where Tomas Varga *taught*", "in which the Brackwater Otters *play*"), not
    a noun after "the" ("in which the *king* died").

    >>> _bare_verb("Tomas Varga taught".split(), 2), _bare_verb("the Otters play".split(), 2)
    (True, True)
    >>> _bare_verb("the king died".split(), 1), _bare_verb("Otters of Kent".split(), 1)
    (False, False)
    """
    word, previous = words[index], words[index - 1]
    if word.lower() in IRREGULAR_VERBS:
        return True
    return (word.isalpha() and word.islower() and word not in STOP_WORDS | PREPOSITIONS | NAME_JOINERS
            and previous[:1].isupper())


def _clause_verb(words: list[str], index: int) -> bool:
    """Whether `words[index]` is a clause's own verb, as a rule can tell: an auxiliary, a word in "-ed", or one in
    "-s" after a name or an adverb ("where Jacksonville currently *sits*").

    >>> _clause_verb("Jacksonville currently sits".split(), 2), _clause_verb("the home games".split(), 2)
    (True, False)
    >>> _clause_verb("Acme Rail's headquarters".split(), 2)  # a possessive's noun
    False
    >>> _clause_verb("Perrin Hale made her debut".split(), 2), _clause_verb("the made-up story".split(), 1)
    (True, False)
    """
    word, previous = words[index], words[index - 1]
    return (word.lower() in MODALS or re.fullmatch(r"[a-z]+ed", word) is not None
            or (word in IRREGULAR_VERBS and previous[:1].isupper())
            or (re.fullmatch(r"[a-z]+[^su]s", word) is not None and not re.search(r"['’]s?$", previous)
                and (previous[:1].isupper() or previous.endswith("ly"))))


def _participle_plan(question: str, start: int) -> HopPlan | None:
    """The hop plan of a description by a participle and a named agent starting at `start` ("the film directed by
    Mirela Voss", "the film starring Bob Hoskins"), or None: not for a plural ("the schools run by Academic Colleges
    Group" are any of them, not one thing), nor when the question asks for the description itself.

    >>> plan = _participle_plan("Where was the film directed by Mirela Voss shot?", 10)
    >>> plan.first, plan.second("Quiet Harbour")
    ('Which film was directed by Mirela Voss?', 'Where was Quiet Harbour shot?')
    >>> bridge_sentence("Quiet Harbour", plan)
    'Quiet Harbour is the film directed by Mirela Voss [1].'
    >>> _participle_plan("In what year was the 1995 film starring Bob Hoskins released?", 17).first
    'Which 1995 film starred Bob Hoskins?'
    >>> _participle_plan("When was the band formed by Ingrid Solberg's first album out?", 9).second("Glass Fjord")
    "When was Glass Fjord's first album out?"
    >>> _participle_plan("What denomination are the schools run by Academic Colleges Group?", 25) is None
    True
    """
    match = _REDUCED.match(question, start)
    if match is None:
        return None
    noun, participle = match.group("noun"), match.group("participle")
    modifiers = match.group("modifiers").split()
    if (noun in NOT_A_THING | STOP_WORDS | PREPOSITIONS | NOT_MODIFIERS or re.search(r"(?:ed|s)$", noun)
            or any(word in NOT_MODIFIERS | STOP_WORDS or word.endswith("ed") for word in modifiers)):
        return None
    before = question[:match.start()].split()
    if _asks_itself(before):
        return None
    if match.group("article").lower() != "the" and not _asks_of_one(before):
        return None  # "What is an example of a film directed by …?": any one, no bridge
    agent_words = match.group("agent").split()
    named = _named_end(agent_words, most_leading=3)
    if named is None or next(word for word in agent_words if _capitalised(word))[0].isdigit():
        return None  # "decreased by 18%", "impacted by the 2010 drought": a number, not a name
    end = match.start("agent") + _offset_after(match.group("agent"), named)
    end -= len(question[:end]) - len(question[:end].rstrip("?"))
    if re.search(r"\w['’]s$", question[:end]):  # "the band formed by Ingrid Solberg's": the possessive is the band's
        end -= 2
    if not _opens_well(question, before, end):
        return None
    agent = question[match.start("agent"):end]
    described = " ".join((*modifiers, noun))
    asked = "Who" if noun in PEOPLE else f"Which {described}"
    verb = "starred" if participle == "starring" else "featured" if participle == "featuring" else f"was {participle}"
    return HopPlan(question, f"{asked} {verb} {agent}?", f"is the {described} {participle} {agent}", match.start(),
                   end)


_ASKED_AGENT = re.compile(r"(?P<article>[Tt]he|[Aa]n?)\s+"
                          r"(?P<modifiers>(?:(?:[A-Z][a-z]+|\d{4}|[a-z]+(?:-[a-z]+)?)\s+){0,3}?)(?P<noun>[a-z]+)\s+"
                          r"(?P<link>(?P<participle>[a-z]+ed|written|built|made|drawn|run|held|led|won|owned|sung|born)"
                          r"\s+(?P<preposition>by|in|on|at|from|for|after|near|into)"
                          r"|(?P<present>[a-z]{3,}ing)|(?P<place>on|in|at|near|along|from))\s+"
                          r"(?P<asked>(?:which|what|whom|who)\b.*?)\s*\?*\s*$")
"""A description whose shortened clause holds what the question asks: its agent ("… on a line *operated by which
company*?"), or what the thing is said of by a participle ("… by a band *formed in what* town?", "… an airport
*serving which* city?") or a preposition ("… in a town *on which* river?")."""


TIME_NOUNS = frozenset({"year", "years", "month", "day", "date", "decade", "century", "era", "period", "season",
                        "time", "age"})
"""Nouns of when: "a report in what *year*" says when the verb happened, not where the report is."""


def _asked_agent_plan(question: str, start: int) -> HopPlan | None:
    """The hop plan of a statement ending in a description whose shortened clause asks (`_ASKED_AGENT`: "The Elm
    Street station is on | a line operated by which company?"): the first hop asks what the statement says ("The
    Elm Street station is on which line?"), the second the clause of the bridge ("<bridge> is operated by which
    company?", "<bridge> was formed in what town?", "<bridge> is on which river?"); None when the words before
    state nothing (`_asked_in_clause`).

    >>> _asked_agent_plan("Sunfall is a novel written by whom?", 10) is None  # "is" alone states nothing of it
    True
    >>> plan = _asked_agent_plan("Glass Weather is the second album by a band formed in what town?", 37)
    >>> plan.first, plan.second("The Corran Lights")
    ('Glass Weather is the second album by which band?', 'The Corran Lights was formed in what town?')
    >>> plan = _asked_agent_plan("Skyrowan has its hub at an airport serving which city?", 24)
    >>> plan.first, plan.second("Marwood Field")
    ('Skyrowan has its hub at which airport?', 'Marwood Field is serving which city?')
    >>> _asked_agent_plan("Ardent Motorworks was founded in a town on which river?", 33).second("Saltmarsh")
    'Saltmarsh is on which river?'
    """
    match = _ASKED_AGENT.match(question, start)
    if match is None:
        return None
    noun, modifiers = match.group("noun"), match.group("modifiers").split()
    if (noun in NOT_A_THING | STOP_WORDS | PREPOSITIONS | NOT_MODIFIERS
            or any(word in NOT_MODIFIERS | STOP_WORDS or word.endswith("ed") for word in modifiers)):
        return None
    before = question[:match.start()].split()
    if not _asked_in_clause(before, match.group("asked").split()):
        return None
    asked = match.group("asked").split()
    if (match.group("link") != match.group("participle") + " by" if match.group("participle") else True) and (
            match.group("article").lower() == "the" or noun.endswith("ed") or len(asked) < 2
            or asked[1].lower().strip("?") in TIME_NOUNS | STOP_WORDS or asked[1].endswith("ed")
            or match.group("present") in {"being", "having", "during", "including", "according"}):
        return None  # "published a report in what year?": the year is the verb's; "… barrier following what?"
    opening = question[:match.start()].rstrip()
    described = " ".join((*modifiers, noun))
    # "operated by" says what the thing is now, "formed in" what happened to it once
    verb = "was" if match.group("participle") and match.group("preposition") != "by" else "is"
    return HopPlan(question, f"{_untitled(opening)} which {described}?", "", 0, match.start("link") - 1, opening,
                   verb)


def _asks_of_one(before: list[str]) -> bool:
    """Whether an indefinite description after `before` is one thing a question asks of: the object of the verb
    whose subject the question asks for ("*Which actor starred in* a film directed by Mirela Voss?": the film is
    the one she directed, and the actor is asked), not what a copula or "of" says ("What is an example of…").

    >>> _asks_of_one("Which actor starred in".split()), _asks_of_one("Who wrote".split())
    (True, True)
    >>> _asks_of_one("What is an example of".split()), _asks_of_one("Which is".split())
    (False, False)
    """
    if not before or before[0].lower() not in {"who", "which", "what"} or len(before) > 4:
        return False
    verb = 1 if before[0].lower() == "who" else 2
    return (verb < len(before) and before[verb].lower() not in AUXILIARIES | COPULAS
            and re.fullmatch(r"[a-z]+(?:ed|s)|" + "|".join(IRREGULAR_VERBS), before[verb]) is not None
            and all(word.lower() not in {"of", "as", "like"} for word in before[verb + 1:]))


def _role_plan(question: str, start: int) -> HopPlan | None:
    """The hop plan of a description "the <role> of <something named>" starting at `start` ("the director of the
    film Big Stone Gap"), or None: a question asking for the role's holder itself ("Who was the president of Notre
    Dame in 1912?") has none.

    >>> plan = _role_plan("The director of the romantic comedy 'Big Stone Gap' is based in what New York city?", 0)
    >>> plan.first, plan.second("Adriana Trigiani")
    ("Who is the director of the romantic comedy 'Big Stone Gap'?", 'Adriana Trigiani is based in what New York city?')
    >>> _role_plan("What is the author of Dune known for?", 8).clause
    'is the author of Dune'
    >>> _role_plan("Who was the president of Notre Dame in 1912?", 8) is None
    True
    >>> _role_plan("Who was the head of the Port Authority when the plan was proposed?", 8) is None
    True
    """
    spans = [found.span() for found in re.finditer(r"\S+", question[start:])]
    words = [question[start + first:start + last] for first, last in spans]
    role = next((index for index in range(1, min(4, len(words) - 2))
                 if words[index] in ROLES and words[index + 1] == "of"), None)
    if role is None or any(word.lower() in STOP_WORDS | NOT_MODIFIERS for word in words[1:role]):
        return None
    named = _named_end(words[role + 2:])
    if named is None:
        return None
    last = role + 2 + named - 1
    end = start + spans[last][0] + len(words[last].rstrip(",;:?"))
    before = question[:start].split()
    if not _opens_well(question, before, end):
        return None
    if _asks_itself(before) and not _SAID_OF_IT.match(question, end):
        return None  # "Who was the president of …?" asks for the holder itself, "What is it known for?" does not
    description = question[start:end]
    clause = f"is {description[0].lower()}{description[1:]}"
    return HopPlan(question, f"Who {clause}?", clause, start, end)


def _named_end(words: list[str], most_leading: int = 5) -> int | None:
    """How many of `words` (what follows "the <role> of") name the thing: a few lower-case words ("the romantic
    comedy"), then a name (capitalised words, "of"/"and" between them, or a quoted title); None without one.

    >>> _named_end("the film Big Stone Gap born?".split()), _named_end("'Big Stone Gap' is based".split())
    (5, 3)
    >>> _named_end("the film Kiss and Tell in 1945".split()), _named_end("the film that won".split())
    (5, None)
    """
    index = 0
    while index < len(words) and not _capitalised(words[index]):
        if index >= most_leading or words[index].lower() in AUXILIARIES | {"who", "that", "which", "whose"}:
            return None
        index += 1
    if index >= len(words):
        return None
    if words[index][0] in "'\"“‘":
        closing = next((at for at in range(index, len(words)) if re.search(r"\w['\"”’][,;:?]*$", words[at])), None)
        return None if closing is None else closing + 1
    end = index + 1
    while end < len(words) and not re.search(r"[,;:?]$", words[end - 1]):
        if _capitalised(words[end]):
            end += 1
        elif (words[end].lower() in NAME_JOINERS and end + 1 < len(words) and words[end + 1][:1].isupper()
              and not re.search(r"[,;:?]$", words[end])):
            end += 2
        else:
            break
    return end


def _possessive_plan(question: str) -> HopPlan | None:
    """The hop plan of a role of something named said with a possessive ("Acme Rail's founder", "Queen's lead
    singer"), as `_role_plan` reads "the founder of Acme Rail"; or None: not when the question asks for the holder
    ("Who is Acme Rail's founder?") or the holder's name ("What was Acme Rail's founder's name?").

    >>> plan = hop_plan("Where was Queen's lead singer born?")
    >>> plan.first, plan.second("Freddie Mercury"), plan.clause
    ('Who is the lead singer of Queen?', 'Where was Freddie Mercury born?', 'is the lead singer of Queen')
    >>> hop_plan("What was the University of Kansas's founder's occupation?").second("Amos Lawrence")
    "What was Amos Lawrence's occupation?"
    >>> hop_plan("Who is Acme Rail's founder?"), hop_plan("What was Acme Rail's founder's name?")
    (None, None)
    >>> hop_plan("What is Acme Rail's head office?")  # "head" of an office, no person
    """
    for found in re.finditer(r"(?<=\w)['’]s((?:\s+[a-z]+(?:-[a-z]+)?\b){1,3})", question):
        spans = [word.span() for word in re.finditer(r"\S+", found.group(1))]
        following = found.group(1).split()
        role = next((index for index, word in enumerate(following) if word in ROLES), None)
        if role is None or any(word in NOT_MODIFIERS | STOP_WORDS for word in following[:role]):
            continue
        described = " ".join(following[:role + 1])
        owner = _owner_start(question[:found.start()].split())
        if owner is None:
            continue
        words = question[:found.start()].split()
        before, named = words[:owner], " ".join(words[owner:])
        start = len(question[:found.start()]) - len(named)
        end = found.start(1) + spans[role][1]
        if (re.match(r"['’]s\s+name\b", question[end:]) or not _opens_well(question, before, end)
                or not _ends_noun_phrase(question[end:], before)):
            continue
        # "What was Acme Rail's founder known for?", "… founder's occupation?" ask of the founder, not for them
        if _asks_itself(before) and not _SAID_OF_IT.match(question, end):
            continue
        clause = f"is the {described} of {named}"
        return HopPlan(question, f"Who {clause}?", clause, start, end)
    return None


def _ends_noun_phrase(after: str, before: list[str]) -> bool:
    """Whether a role word ends its noun phrase, by what comes `after` it: the question's end or a preposition
    closing it ("… from?"), a possessive, an auxiliary or a participle ("… founder *was* born", "… founder *born*"),
    or, after "did"/"does"…, any verb ("Where did Acme Rail's founder *die*?"). Not a noun it qualifies ("Acme
    Rail's head *office*").

    >>> _ends_noun_phrase(" born?", ["Where", "was"]), _ends_noun_phrase(" die?", ["Where", "did"])
    (True, True)
    >>> _ends_noun_phrase(" office?", ["What", "is"])
    False
    """
    words = after.split()
    if not words or (re.fullmatch(r"[a-z]+\?", words[0]) and words[0][:-1] in STOP_WORDS | PREPOSITIONS):
        return True
    following = words[0].rstrip("?,;:").lower()
    return (after.startswith(("'s", "’s", "?")) or following in MODALS
            or re.fullmatch(PARTICIPLE, following) is not None
            or any(word.lower() in {"did", "does", "do", "will", "can", "could", "would"} for word in before))


def _owner_start(words: list[str]) -> int | None:
    """Where the name that ends `words` starts (capitalised words, "of", "and"… between them, and a "the" before
    them): the owner of a possessive ("the University of Kansas's"); None when no name ends them.

    >>> words = "What was the University of Kansas".split()
    >>> _owner_start(words), _owner_start("Where was the".split())
    (2, None)
    """
    index = len(words)
    while index > 0:
        word = words[index - 1]
        named = _capitalised(word) and word.lower() not in STOP_WORDS and not ASKED_WORD.fullmatch(word)
        joined = (word.lower() in NAME_JOINERS and index < len(words) and index > 1 and _capitalised(words[index - 2])
                  and words[index - 2].lower() not in STOP_WORDS)  # "University *of* Kansas", "Jan *van* Riebeeck"
        if not (named or joined):
            break
        index -= 1
    if index == len(words):
        return None
    return index - 1 if index > 0 and words[index - 1] == "the" else index


def _capitalised(word: str) -> bool:
    """Whether `word` starts a name: a capital, a digit ("Apollo 11"), or an opening quote."""
    return bool(word) and (word[0].isupper() or word[0].isdigit() or word[0] in "'\"“‘")


def _offset_after(text: str, count: int) -> int:
    """The offset in `text` just after its first `count` words (a trailing comma or the like left out).

    >>> _offset_after("led the Normans, crowned", 3)
    15
    """
    spans = [found.span() for found in re.finditer(r"\S+", text)]
    start, end = spans[count - 1]
    return start + len(text[start:end].rstrip(",;:"))


@dataclass(frozen=True)
class Intersection:
    """A question asking for the one thing two clauses are both true of ("Which American actor starred in The Quiet
    Acre and was born in Millbrook Falls?"): `clauses`, each asked alone ("Which American actor starred in The Quiet
    Acre?", "Which American actor was born in Millbrook Falls?"); the answer is a name one clause's answer gives and a
    sentence answering the other names (`rag.answer.assistant.Assistant` asks them)."""

    question: str
    clauses: tuple[str, str]
    person: bool = False
    """Whether the thing asked for is a person ("Who …", "Which American actor …"): only people's names answer."""


_INTERSECTION = re.compile(r"(?P<asked>[Ww]hich|[Ww]hat|[Ww]ho)\s+(?P<described>(?:[A-Za-z-]+\s+){0,3}?)"
                           r"(?P<first>(?:[a-z]+ed|" + "|".join(sorted(IRREGULAR_VERBS)) + r")\s+\S.*?)"
                           r",?\s+and\s+(?:(?:also|later)\s+)?"
                           r"(?P<second>(?:(?:was|is|were|are|has|had)\s+|[a-z]+ed\s+)\S.*?)\s*\?\s*$")
"""The form of `intersection_plan`: a question word, what is asked for ("American actor"), a clause opening with a
past tense, "and", a clause opening with an auxiliary or a past tense."""


def intersection_plan(question: str) -> Intersection | None:
    """The two clauses of a question asking for the thing both are true of, or None.

    >>> intersection_plan("Which American actor starred in The Quiet Acre and was born in Millbrook Falls?").clauses
    ('Which American actor starred in The Quiet Acre?', 'Which American actor was born in Millbrook Falls?')
    >>> intersection_plan("Who wrote Harbour Walls and later founded Halyard Records?").clauses
    ('Who wrote Harbour Walls?', 'Who founded Halyard Records?')
    >>> intersection_plan("Which river flows through Leeds and Hull?") is None  # one clause, two things
    True
    >>> intersection_plan("What did the council decide and when was it announced?") is None  # two questions
    True
    """
    match = _INTERSECTION.fullmatch(question.strip())
    if match is None:
        return None
    described = match.group("described").split()
    if (match.group("asked").lower() != "who" and not described) or any(
            word.lower() in STOP_WORDS | AUXILIARIES for word in described):
        return None  # "Which river flows…": no noun asked for; "What did the council decide…": a question's own verb
    first, second = match.group("first"), match.group("second")
    if not _specific(first) or not _specific(second) or ASKED_WORD.search(f"{first} {second}"):
        return None  # each clause must pin the thing down by a name or a number, and ask nothing of its own
    opening = f"{match.group('asked')} {' '.join(described)}".strip()
    noun = described[-1].lower() if described else ""
    person = not described or noun in ROLES | PEOPLE or noun.endswith(ROLE_ENDINGS)
    return Intersection(question, (f"{opening} {first}?", f"{opening} {second}?"), person)


def _specific(clause: str) -> bool:
    """Whether a clause names something (a capitalised word after its first) or a number.

    >>> _specific("starred in The Quiet Acre"), _specific("was born in 1972"), _specific("was very popular")
    (True, True, False)
    """
    return any(word[:1].isupper() or word[:1].isdigit() for word in clause.split()[1:])


_OF_THE = re.compile(r"(?P<head>[A-Z][\w'’.-]*(?:\s+[A-Z][\w'’.-]*)+)\s+of\s+the\s+[A-Z]")


def name_head(bridge: str) -> str:
    """A bridge without what a name of two words or more is "of" ("Elias Dunmarrow of the Royal Navy": his article
    never says it whole); a name whose head is one word ("the University of the Arts") is kept.

    >>> name_head("Elias Dunmarrow of the Royal Navy"), name_head("University of the Arts")
    ('Elias Dunmarrow', 'University of the Arts')
    """
    match = _OF_THE.match(bridge)
    return match.group("head") if match else bridge


def bridge_sentence(bridge: str, plan: HopPlan, marker: str = "[1]") -> str:
    """The first hop said as the answer's opening: the bridge and what the question said of it, cited.

    >>> bridge_sentence("Rollo", hop_plan("Where was the one who led the Normans crowned?"))
    'Rollo led the Normans [1].'
    """
    return " ".join(part for part in (plan.opening, bridge, plan.clause) if part) + f" {marker}."


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


def whole_name(sentence: str, start: int, end: int, names: Sequence[tuple[int, int]]) -> tuple[int, int]:
    """The span `sentence[start:end]` widened to the whole of each name (`names`: the tagger's entity offsets in the
    sentence) it cuts through, a leading "the" left out: a bridge is a name the second hop asks about, and the reader
    may stop short of its end ("Maplewood Rowing" of "Maplewood Rowing Club").

    >>> sentence = "The men's eight from Maplewood Rowing Club won the final."
    >>> start, end = whole_name(sentence, 21, 37, [(21, 42)])
    >>> sentence[start:end]
    'Maplewood Rowing Club'
    >>> whole_name("It was won by the Quay Club.", 18, 22, [(14, 27)])
    (18, 27)
    """
    for name_start, name_end in names:
        if name_start < end and start < name_end:
            start, end = min(start, name_start), max(end, name_end)
    if sentence[start:start + 4].lower() == "the ":
        start += 4
    return start, end


def usable_bridge(bridge: str, question: str, most_words: int = 8) -> bool:
    """Whether a span can stand for the description: a few words, some of which the question does not already use
    (a span repeating the question names nothing new).

    >>> usable_bridge("Rollo", "Where was the one who led the Normans crowned?")
    True
    >>> usable_bridge("the Normans", "Where was the one who led the Normans crowned?")
    False
    """
    return 0 < len(bridge.split()) <= most_words and bool(content_words(bridge) - content_words(question))


def names_something(span: str) -> bool:
    """Whether a span, as the article writes it, names something a second search can find: a word past an opening
    article that is capitalised or holds a digit. A description ("the mid-sized miner") names nothing: the second
    hop would ask "Who headed the mid-sized miner?" of passages that call it by its name.

    >>> names_something("Corvane Resources"), names_something("the 1998 film"), names_something("the mid-sized miner")
    (True, True, False)
    """
    words = span.split()
    if words and words[0].lower() in ("the", "a", "an"):
        words = words[1:]
    return any(word[:1].isupper() or is_number(word) for word in words)
