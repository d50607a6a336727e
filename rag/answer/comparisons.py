"""Comparisons of two named things: "Which magazine was started first, Arthur's Magazine or First for Women?" needs
a passage about each. `comparison_plan` asks the question of each thing alone, in the question's own words ("When
was Arthur's Magazine started?", "How many members does Muse have?"); the assistant (`rag.answer.assistant`) answers
the two parts as a two-part question's; `comparison_text` names the winner first when both answers hold a year or a
number (`measure`): "Arthur's Magazine was started first: 1844 [1], against 1989 [2]"; "Is A or B older?" is read
as "Which is older, A or B?" (`which_form`). A yes/no comparison ("Were Scott Derrickson and Ed Wood of the same
nationality?") asks each thing's value ("What nationality was Scott Derrickson?") and says whether the two short
answers name the same ("Yes: both American [1], [2].").

A "both" question ("Are Lake Arlen and Lake Morrow both in Canada?", "Are both A and B film directors?", "Do A and B
both flow into the Baltic?": `both_plan`) asks each thing's value rather than yes or no, which the span reader reads
poorly ("Where is Lake Arlen?", "What is Anna Pell's occupation?", "What does A flow into?", else "What is A?"), and
says "Yes: both in Canada [1], [2]." only when each answer or its cited quote holds what was asked; "No: …" only
when an answer names another country or nationality than the one asked ("Minnesota, United States"; never a region:
"Ontario" is in Canada); else the two answers alone, each cited: the articles' silence is no "no".

Pure functions only: no model here.
"""

from __future__ import annotations

import dataclasses
import re
from dataclasses import dataclass

from rag.answer.hops import AUXILIARIES, COPULAS, ROLE_ENDINGS
from rag.answer.prompts import CANNOT_ANSWER, QUOTED_OPENING, strip_markers
from rag.countries import COUNTRIES, COUNTRIES_OF, COUNTRY_NAMES, DEMONYMS
from rag.models.entities import ENSEMBLES
from rag.text import IRREGULAR_VERBS, MAGNITUDES, NUMBER_WORDS, STOP_WORDS, base_of, content_words, fold, past_of

_COMPARISON = re.compile(r"(?P<head>(?:which|who|what)\b[^,]*?)\s*,\s*(?P<first>[^,]+?)\s+or\s+(?P<second>[^,]+?)"
                         r"\s*\?*\s*$", re.IGNORECASE)
"""A comparison: a "which"/"who" question, a comma, then the two things compared, "A or B"."""

EARLIER = frozenset({"first", "earlier", "older", "oldest", "earliest", "sooner", "before"})
LATER = frozenset({"later", "younger", "youngest", "latest", "last", "newer", "newest", "after"})
MORE = frozenset({"more", "most", "larger", "bigger", "greater", "higher", "longer", "taller", "heavier", "wider",
                  "deeper"})
FEWER = frozenset({"fewer", "less", "least", "smaller", "lower", "shorter", "lighter", "narrower", "shallower"})
MEASURED = {"larger": "large", "bigger": "big", "greater": "great", "higher": "high", "longer": "long",
            "taller": "tall", "heavier": "heavy", "wider": "wide", "deeper": "deep", "smaller": "small",
            "lower": "low", "shorter": "short", "lighter": "light", "narrower": "narrow", "shallower": "shallow"}
"""Comparatives asked of a measure ("Which is taller, …?"), with the adjective its part asks "How … is" with."""

INTRANSITIVE = {"died": "die", "began": "begin", "ended": "end", "started": "start", "arrived": "arrive",
                "happened": "happen", "occurred": "occur", "finished": "finish", "retired": "retire"}
"""Past tenses of verbs that take no object, said with "did" in a part ("Who died first" → "When did A die?"; not
"When was A died?"), with their base forms."""



@dataclass(frozen=True)
class ComparisonPlan:
    """A question comparing two named things: `entities` ("Arthur's Magazine", "First for Women"), one part question
    per entity (`parts`: "When was Arthur's Magazine started?"), `claim`, what the question says of the one that
    wins ("was started first"), and how the parts' answers decide: by year (`by_year`) and whether the smaller
    value wins (`smaller_wins`: first, older; not younger, more)."""

    question: str
    entities: tuple[str, str]
    parts: tuple[str, str]
    claim: str
    by_year: bool
    smaller_wins: bool
    same: str = ""
    """For a yes/no question asking whether both have the same <noun> ("nationality"): the noun; the answers'
    values are compared, not ranked."""
    which: bool = False
    """With `predicate`: the question asks which of the two is so ("Which band is from Canada, A or B?"), not
    whether both are."""
    common: bool = False
    """With `same`: the question asks for the value they share ("What profession do A and B have in common?"), not
    yes or no."""
    by_frequency: bool = False
    """The parts ask how often ("Which magazine is published more often, A or B?"): their answers are compared by
    how many times a year each says (`FREQUENCIES`: "monthly" against "weekly")."""
    subject: str = ""
    """For one thing compared at two times ("Was Northwind's revenue larger in Q1 2025 or in Q2 2025?":
    `period_plan`): the thing ("Northwind's revenue"); `entities` are then the two times, and `claim` what is said
    of the thing in the winning one ("was larger in")."""
    predicate: Predicate | None = None
    """For a yes/no question asking whether both things are something ("Are A and B both in Canada?": `both_plan`):
    what it says of each; the answers are checked against it, not ranked."""

    @property
    def national(self) -> bool:
        """Whether the value compared is where a thing is from ("the same nationality / country / citizenship"),
        which a nationality and its country say alike ("American", "United States")."""
        return self.same in {"nationality", "country", "citizenship"}

    def winner(self, values: tuple[float, float]) -> int | None:
        """Which entity wins with these values (0 or 1), None on a tie.

        >>> comparison_plan("Which was started first, Arthur's Magazine or First for Women?").winner((1844, 1989))
        0
        """
        if values[0] == values[1]:
            return None
        return int((values[1] < values[0]) == self.smaller_wins)


def comparison_plan(question: str) -> ComparisonPlan | None:
    """The two parts of a question comparing two named things ("Which …first/older/more…, A or B?"), each asked of
    one of them in the question's own words, or None when the question compares nothing so.

    >>> plan = comparison_plan("Which magazine was started first, Arthur's Magazine or First for Women?")
    >>> plan.entities, plan.claim
    (("Arthur's Magazine", 'First for Women'), 'was started first')
    >>> plan.parts
    ("When was Arthur's Magazine started?", 'When was First for Women started?')
    >>> comparison_plan("Who was born first, Ada Lovelace or Alan Turing?").parts[1]
    'When was Alan Turing born?'
    >>> comparison_plan("Which band has more members, Muse or Queen?").parts[0]
    'How many members does Muse have?'
    >>> comparison_plan("Who is older, Annie Morton or Terry Richardson?").parts[0]
    'When was Annie Morton born?'
    >>> comparison_plan("Which came out first, Dune or Alien?").parts[0], comparison_plan("Tea or coffee?")
    ('When did Dune come out?', None)
    >>> plan = comparison_plan("Which film was released more recently, Dune or Alien?")
    >>> plan.parts[0], plan.claim, plan.smaller_wins
    ('When was Dune released?', 'was released later', False)
    >>> comparison_plan("Is Dunmore Hall or Pike House older?").parts
    ('When was Dunmore Hall founded?', 'When was Pike House founded?')
    >>> comparison_plan("Which magazine was started first Arthur's Magazine or First for Women?").entities
    ("Arthur's Magazine", 'First for Women')
    """

    match = _COMPARISON.fullmatch(question.strip())
    if match is None and (with_comma := _with_comma(question) or _reordered(question)) is not None:
        plan = comparison_plan(with_comma)
        return None if plan is None else dataclasses.replace(plan, question=question)
    if match is None and (periods := period_plan(question)) is not None:
        return periods
    if match is None:
        rewritten = which_form(question)  # "Is A or B older?": read as "Which is older, A or B?"
        if rewritten is not None and (plan := comparison_plan(rewritten)) is not None:
            return dataclasses.replace(plan, question=question)
        return same_plan(question) or common_plan(question) or both_plan(question)
    entities = (match.group("first").strip(" \"'"), match.group("second").strip(" \"'"))
    # "more recently" is "later": a year decides, as for "Which was released later"
    words = re.sub(r"\bmore recent(?:ly)?\b", "later", match.group("head"), flags=re.IGNORECASE).split()
    person = words[0].lower() == "who"
    verb = next((index for index, word in enumerate(words[1:], start=1)
                 if word.lower() in AUXILIARIES or word.lower().endswith("ed") or word.lower() in IRREGULAR_VERBS
                 or word.lower() in _COSTS), None)
    comparative = next((index for index, word in enumerate(words) if word.lower() in EARLIER | LATER | MORE | FEWER),
                       None)
    if (comparative is None and verb is not None and words[verb].lower() in COPULAS and verb + 1 < len(words)
            and all(_is_name(entity) for entity in entities)):
        return _which_is_plan(question, entities, words, verb)
    if verb is None or comparative is None or comparative < verb or not all(entities):
        return None
    claim = " ".join(words[verb:])
    asked = [_part(words, verb, comparative, entity, person) for entity in entities]
    if asked[0] is None or asked[1] is None:
        return None
    word = words[comparative].lower()
    by_year = word in EARLIER | LATER
    smaller_wins = word in EARLIER | FEWER
    return ComparisonPlan(question, entities, (asked[0], asked[1]), claim, by_year, smaller_wins,
                          by_frequency=asked[0].startswith("How often "))


_PERIOD_COMPARISON = re.compile(
    rf"(?P<verb>was|were|is|are)\s+(?P<subject>.+?)\s+(?P<comparative>{'|'.join(sorted(MORE | FEWER))})\s+"
    r"(?P<preposition>in|during|on)\s+(?P<first>[^?]+?),?\s+or\s+(?:(?P=preposition)\s+)?(?P<second>[^?]+?)\s*\?*\s*$",
    re.IGNORECASE)
"""One thing compared at two times: "Was Northwind's revenue larger in Q1 2025 or in Q2 2025?"."""
_TIME = re.compile(r"\d|\b(?:january|february|march|april|may|june|july|august|september|october|november|december|"
                   r"spring|summer|autumn|fall|winter|quarter|half|year|month|week)\b", re.IGNORECASE)
"""What says a time: each of the two things a `period_plan` compares must."""


def period_plan(question: str) -> ComparisonPlan | None:
    """The two parts of a question comparing one thing at two times, each asking for its value at one of them, or
    None when the question is not of that form.

    >>> plan = period_plan("Was Northwind's revenue larger in Q1 2025 or in Q2 2025?")
    >>> plan.parts, plan.entities, plan.subject, plan.claim, plan.smaller_wins
    (("What was Northwind's revenue in Q1 2025?", "What was Northwind's revenue in Q2 2025?"), ('Q1 2025', \
'Q2 2025'), "Northwind's revenue", 'was larger in', False)
    >>> period_plan("Were fares lower in 2024 or 2025?").parts[1], period_plan("Was it built in 1990 or 1995?")
    ('What were fares in 2025?', None)
    >>> period_plan("Is Leeford larger in area or in population?") is None  # no times
    True
    """
    match = _PERIOD_COMPARISON.fullmatch(question.strip())
    if match is None or not all(_TIME.search(match.group(name)) for name in ("first", "second")):
        return None  # "larger in area or in population": no times
    verb, subject, preposition = (match.group(name).lower() if name != "subject" else match.group(name)
                                  for name in ("verb", "subject", "preposition"))
    periods = (match.group("first").strip(), match.group("second").strip())
    word = match.group("comparative").lower()
    parts = tuple(f"What {verb} {subject} {preposition} {period}?" for period in periods)
    return ComparisonPlan(question, periods, (parts[0], parts[1]), f"{verb} {word} {preposition}", by_year=False,
                          smaller_wins=word in FEWER, subject=subject)


def _which_is_plan(question: str, entities: tuple[str, str], words: list[str], verb: int) -> ComparisonPlan | None:
    """The parts of a question asking which of two named things is something ("Which band is from Canada, A or
    B?", "Who was a film director, A or B?"): each thing's value asked as a "both" question asks it
    (`Predicate.part`), the one whose answer says it named first (`which_opening`).

    >>> plan = comparison_plan("Which band is from Canada, Hollow Pines or The Tinderbox Union?")
    >>> plan.parts, plan.which
    (('Where is Hollow Pines from?', 'Where is The Tinderbox Union from?'), True)
    >>> comparison_plan("Who was a film director, Anna Pell or Rita Oms?").parts[0]
    "What was Anna Pell's occupation?"
    """
    text = " ".join(words[verb + 1:])
    copula = {"are": "is", "were": "was"}.get(words[verb].lower(), words[verb].lower())
    read = _predicate(text, copula)
    if read.kind not in {"place", "nationality", "noun", "agent"}:
        return None  # "located farther north": a comparison no part's answer decides
    parts = (read.part(entities[0]), read.part(entities[1]))
    return ComparisonPlan(question, entities, parts, f"{copula} {text}", False, False, predicate=read, which=True)


_BETWEEN = re.compile(r"(?:between|of|out\s+of)\s+(?P<first>[\"'A-Z0-9][^,?]*?)\s+and\s+(?P<second>[\"'A-Z0-9][^,?]*?)",
                      re.IGNORECASE)


def _reordered(question: str) -> str | None:
    """A comparison whose two things are not written ", A or B" at its end, in that form ("Between A and B, who was
    born first?", "Who was born first out of A and B?", "Which was founded earlier: A or B?"), or None.

    >>> _reordered("Between Greta Lind and Sofia Berg, who was born first?")
    'who was born first, Greta Lind or Sofia Berg?'
    >>> _reordered("Who was born first out of Greta Lind and Sofia Berg?")
    'Who was born first, Greta Lind or Sofia Berg?'
    >>> _reordered("Which was founded earlier: Acme Rail or Bolt Air?")
    'Which was founded earlier, Acme Rail or Bolt Air?'
    >>> _reordered("Which of Greta Lind and Sofia Berg wrote more books?") is None
    True
    """
    text = question.strip().rstrip("?").strip()
    if re.search(r":\s+\S.*\s+or\s+\S", text) and "," not in text:
        return re.sub(r":\s+", ", ", text, count=1) + "?"
    opening = re.fullmatch(rf"{_BETWEEN.pattern},\s*(?P<head>(?:which|who|what)\b.+)", text, re.IGNORECASE)
    closing = re.fullmatch(rf"(?P<head>(?:which|who|what)\b.+?)\s+{_BETWEEN.pattern}", text, re.IGNORECASE)
    found = opening or closing
    if found is None or not all(_is_name(found.group(side).strip("\"'")) for side in ("first", "second")):
        return None
    if closing is not None and found.group("head").split()[-1].lower() not in EARLIER | LATER | MORE | FEWER:
        return None  # "Which of A and B wrote more books?": the comparative is not where the comma would go
    return f"{found.group('head')}, {found.group('first')} or {found.group('second')}?"


def _with_comma(question: str) -> str | None:
    """The comparison with the comma its writer left out before the two things ("Which magazine was started first
    Arthur's Magazine or First for Women?": HotpotQA's questions often lack it), or None: the head must end with
    a comparative (`EARLIER`, `LATER`, `MORE`, `FEWER`) and up to three lower-case words ("more *members*"), and
    the first thing must be a name.

    >>> _with_comma("Who is older Annie Morton or Terry Richardson?")
    'Who is older, Annie Morton or Terry Richardson?'
    >>> _with_comma("Which band has more members Muse or Queen?")
    'Which band has more members, Muse or Queen?'
    >>> _with_comma("Which is older the British Empire or the Ethiopian Empire?")
    'Which is older, the British Empire or the Ethiopian Empire?'
    >>> _with_comma("Which tennis player won more Grand Slam titles Henri Leconte or Jonathan Stark?") is None
    True
    """
    words = question.strip().rstrip("?").split()
    if "," in question or not words or words[0].lower() not in {"which", "who", "what"} or "or" not in words:
        return None
    comparative = next((index for index, word in enumerate(words) if word.lower() in EARLIER | LATER | MORE | FEWER),
                       None)
    if comparative is None:
        return None
    start = next((index for index in range(comparative + 1, min(comparative + 5, len(words)))
                  if _capitalised(words[index].lstrip("\"'"))), None)
    if start is None or "or" not in words[start:] or any(not word.islower() for word in words[comparative:start]):
        return None
    if words[start - 1].lower() == "the" and start - 1 > comparative:
        start -= 1  # "Which is older the British Empire or …": the article is the name's
    first = " ".join(words[start:start + words[start:].index("or")]).strip("\"'")
    if not _is_name(first):
        return None
    return f"{' '.join(words[:start])}, {' '.join(words[start:])}?"


_WHICH_FORM = re.compile(r"(?P<verb>is|was|are|were|did|does|has|have|had)\s+(?P<first>.+?)\s+or\s+(?P<rest>.+?)"
                         r"\s*\?*\s*$", re.IGNORECASE)
"""A comparison asked yes/no-wise: "Is A or B older?", "Did A or B die first?", "Has A or B won more titles?"."""


def which_form(question: str) -> str | None:
    """A comparison asked as "Is A or B older?" in the form `comparison_plan` reads ("Which is older, A or B?"), or
    None when the question is none: both must be names (`_split_named`) and a comparative must follow them.

    >>> which_form("Is Dunmore Hall or Pike House older?"), which_form("Did Ada Lovelace or Alan Turing die first?")
    ('Which is older, Dunmore Hall or Pike House?', 'Which died first, Ada Lovelace or Alan Turing?')
    >>> which_form("Has Muse or Queen won more awards?"), which_form("Is tea or coffee older?")
    ('Which has won more awards, Muse or Queen?', None)
    >>> which_form("Is Ulmus or Oxalis a genus of flowering plants?")
    'Which is a genus of flowering plants, Ulmus or Oxalis?'
    """
    match = _WHICH_FORM.fullmatch(question.strip())
    named = None if match is None else _split_named(match.group("rest"))
    if match is None or named is None or not _is_name(match.group("first")):
        return None
    second, rest = named
    words = rest.split()
    verb = match.group("verb").lower()
    if verb in COPULAS and match.start() == 0 and words and words[0].lower() in {"a", "an", "the", "from", "in"}:
        return f"Which {verb} {rest}, {match.group('first')} or {second}?"  # "Is A or B a genus of …?"
    if not any(word.lower() in EARLIER | LATER | MORE | FEWER for word in words):
        return None
    if verb in {"did", "does"}:  # "Did A or B die first?": "Which died first"; another verb is not put in the past
        past = {base: past for past, base in INTRANSITIVE.items()}.get(words[0].lower())
        if past is None or verb == "does":
            return None
        return f"Which {' '.join((past, *words[1:]))}, {match.group('first')} or {second}?"
    return f"Which {verb} {rest}, {match.group('first')} or {second}?"


_COSTS = frozenset({"cost", "costs"})
"""The verb of "Which cost more, A or B?": how much each cost is asked."""


def _part(words: list[str], verb: int, comparative: int, entity: str, person: bool) -> str | None:
    """The question a comparison asks of one `entity`, from the comparison's `words` (its verb at `verb`, its
    comparative at `comparative`): "When was A started?", "How many members does A have?", "How tall is A?".

    >>> _part("Which magazine was started first".split(), 2, 4, "Dune", False)
    'When was Dune started?'
    >>> _part("Who died first".split(), 1, 2, "Ada Lovelace", True)
    'When did Ada Lovelace die?'
    >>> _part("Who has won more Grand Slam titles".split(), 1, 3, "Serena Williams", True)
    'How many Grand Slam titles has Serena Williams won?'
    >>> _part("Which city has a larger population".split(), 2, 4, "Port Aldous", False)
    'What is the population of Port Aldous?'
    >>> _part("Which magazine is published more often".split(), 2, 4, "Dune", False)
    'How often is Dune published?'
    >>> _part("Which cost more".split(), 1, 2, "the tram extension", False)
    'How much did the tram extension cost?'
    """
    auxiliary = words[verb].lower() if words[verb].lower() in AUXILIARIES else ""
    between = [word for word in words[verb + 1 if auxiliary else verb:comparative] if word.lower() != "the"]
    after = words[comparative + 1:]
    word = words[comparative].lower()
    if words[verb].lower() in _COSTS and word in MORE | FEWER and not after and comparative == verb + 1:
        return f"How much {'does' if words[verb].lower() == 'costs' else 'did'} {entity} cost?"
    if not auxiliary and between:  # "Which band formed first": the past tense said in the passive or the perfect
        between = [IRREGULAR_VERBS.get(between[0].lower(), between[0]), *between[1:]]
    if word in EARLIER | LATER:
        if not between:  # "Which is older": a person's birth, a thing's founding
            return f"When was {entity} {'born' if person else 'founded'}?"
        if not auxiliary and words[verb].lower() in INTRANSITIVE:  # "Who died first": "When did A die?"
            return f"When did {entity} {' '.join((INTRANSITIVE[words[verb].lower()], *between[1:]))}?"
        if not auxiliary and words[verb].lower() in IRREGULAR_VERBS and len(between) > 1:  # "came out"
            return f"When did {entity} {' '.join((base_of(between[0]), *between[1:]))}?"
        return f"When {auxiliary or 'was'} {entity} {' '.join(between)}?"
    if word in MEASURED and not after and not between:  # "Which is taller": not "Who lived longer" (no measure)
        return f"How {MEASURED[word]} {auxiliary or 'is'} {entity}?"
    if word in MORE | FEWER and after:
        if [word.lower() for word in after] in (["often"], ["frequently"]):  # "Which is published more often"
            return f"How often {auxiliary or 'is'} {entity} {' '.join(between)}?" if auxiliary and between else None
        if after[-1].lower().endswith("ly"):  # "more widely": a manner no part's answer measures
            return None
        articles = all(word.lower() in {"a", "an"} for word in between)
        if word in MEASURED and articles and auxiliary in {"has", "have", "had"}:  # "has a larger population"
            return f"What {'was' if auxiliary == 'had' else 'is'} the {' '.join(after)} of {entity}?"
        if not between and auxiliary in {"has", "have", "had"}:
            return f"How many {' '.join(after)} {'did' if auxiliary == 'had' else 'does'} {entity} have?"
        if between:
            return f"How many {' '.join(after)} {auxiliary or 'has'} {entity} {' '.join(between)}?"
    return None


_SAME = re.compile(r"(?P<verb>are|were|is|was)\s+(?P<first>.+?)\s+and\s+(?P<second>.+?)\s+(?:both\s+)?"
                   r"(?:of\s+|(?P<phrase>(?:(?:born|known|[a-z]+ed)\s+)?(?:in|from|on|at|by|for|as))\s+)?"
                   r"the\s+same\s+(?P<noun>[a-z][\w-]*(?:\s+(?:of\s+)?[a-z][\w-]*)?)\s*\?*\s*$", re.IGNORECASE)
"""A yes/no question on whether two named things share a value: "Were A and B of the same nationality?", "Are A and
B both from the same country?", "Were A and B born in the same city?" (the words before "the same" end each part's
question)."""


def same_plan(question: str) -> ComparisonPlan | None:
    """The two parts of a yes/no question asking whether two named things have the same <noun> (one part asking
    each thing's value), or None when the question is no such question.

    >>> plan = same_plan("Were Scott Derrickson and Ed Wood of the same nationality?")
    >>> plan.entities, plan.parts, plan.same
    (('Scott Derrickson', 'Ed Wood'), ('What nationality was Scott Derrickson?', 'What nationality was Ed Wood?'), \
'nationality')
    >>> same_plan("Are the Harlow Review and Tin Lantern from the same city?").parts[0]
    'What city is the Harlow Review from?'
    >>> same_plan("Are Ana Popa and Ion Lupu both from the same country?").parts[1]
    'What country is Ion Lupu from?'
    >>> same_plan("Were Ana Popa and Ion Lupu born in the same city?").parts[0]
    'What city was Ana Popa born in?'
    >>> same_plan("Were Ana Popa and Ion Lupu known for the same type of work?").parts[0]
    'What type of work was Ana Popa known for?'
    >>> same_plan("Were they the same?") is None, same_plan("Is the sky blue?") is None
    (True, True)
    """
    match = _SAME.fullmatch(question.strip())
    if match is None:
        return None
    entities = (match.group("first").strip(" \"'"), match.group("second").strip(" \"'"))
    if not all(entity[:1].isupper() or entity.lower().startswith("the ") for entity in entities):
        return None  # "they", "both": no things named
    verb = {"are": "is", "were": "was"}.get(match.group("verb").lower(), match.group("verb").lower())
    noun = match.group("noun")
    phrase = f" {match.group('phrase').lower()}" if match.group("phrase") else ""
    parts = tuple(f"What {noun} {verb} {entity}{phrase}?" for entity in entities)
    return ComparisonPlan(question, entities, (parts[0], parts[1]), f"the same {noun}", False, False, noun)


_COMMON = re.compile(r"(?:what|which)\s+(?P<noun>[a-z]+)\s+(?:do|did|does)\s+(?P<first>.+?)\s+and\s+"
                     r"(?P<second>.+?)\s+(?:have\s+in\s+common|share|both\s+(?:have|share))\s*\?*\s*$", re.IGNORECASE)
"""A question asking what two named things share: "What profession do A and B have in common?"."""


_POSSESSIVE_END = {False: "'s", True: "'"}


def common_plan(question: str) -> ComparisonPlan | None:
    """The two parts of a question asking for the value two named things share (one part asking each thing's
    value, as `same_plan` asks), or None.

    >>> plan = common_plan("What profession do Nicolas Roeg and Peter Greenaway have in common?")
    >>> plan.entities, plan.parts, plan.common
    (('Nicolas Roeg', 'Peter Greenaway'), ("What is Nicolas Roeg's profession?", "What is Peter Greenaway's \
profession?"), True)
    >>> common_plan("What nationality do Ed Wood and Scott Derrickson share?").parts[0]
    'What nationality is Ed Wood?'
    >>> common_plan("What do they have in common?") is None
    True
    >>> same_opening(plan, ('The articles say: "Nicolas Roeg (1928–2018) was an English film director and '
    ...                     'cinematographer." [1]', "Welsh film director [2]."), (1, 2))
    'Both: film director [1], [2].'
    """
    match = _COMMON.fullmatch(question.strip())
    if match is None:
        return None
    entities = (match.group("first").strip(" \"'"), match.group("second").strip(" \"'"))
    if not all(_is_name(entity) for entity in entities):
        return None
    noun = match.group("noun").lower()
    if noun in {"nationality", "citizenship"}:
        parts = tuple(f"What {noun} is {entity}?" for entity in entities)
    else:
        parts = tuple(f"What is {entity}{_POSSESSIVE_END[entity.endswith('s')]} {noun}?" for entity in entities)
    return ComparisonPlan(question, entities, (parts[0], parts[1]), f"the same {noun}", False, False, noun,
                          common=True)


def same_opening(plan: ComparisonPlan, answers: tuple[str, str], markers: tuple[int, int]) -> str:
    """Whether the two answers of a yes/no comparison (`same_plan`) name the same value: "Yes: both …" or "No: …,
    against …"; "" when either is a refusal, or no value to compare. A short answer (up to `SHORT_VALUE` words) is
    its value; for a nationality or a country, so is the first one a quoted answer names (a lead sentence says it
    in passing: "… (1932–2004) was an American film director, …"), and a nationality is the same as its country
    ("American" and "United States"). "No" only between two nationalities or countries (`_named`): a city may lie
    in the other's country.

    >>> plan = same_plan("Were Scott Derrickson and Ed Wood of the same nationality?")
    >>> same_opening(plan, ("American [1].", "He was an American filmmaker [2]."), (1, 2))
    'Yes: both American [1], [2].'
    >>> same_opening(plan, ("American [1].", "British [2]."), (1, 2))
    'No: Scott Derrickson, American [1]; Ed Wood, British [2].'
    >>> same_opening(plan, ('The articles say: "Ed Wood (1924–1978) was an American filmmaker." [1]',
    ...                     "United States [2]."), (1, 2))
    'Yes: both American [1], [2].'
    >>> same_opening(plan, ("French [1].", "Ohio [2]."), (1, 2))
    ''
    """
    if any(answer.strip().startswith(CANNOT_ANSWER) for answer in answers):
        return ""
    national = plan.national
    values = [_value_of(strip_markers(answer).strip(), national, plan.common) for answer in answers]
    if any(not value for value in values):
        return ""
    if national:
        # every country a quoted sentence names counts ("a Canadian-born American actor"): a "No" needs no overlap
        countries = [countries_said(strip_markers(answer)) for answer in answers]
        if countries[0] and countries[1]:
            # the nationality or country said, not the rest of a short answer ("German sculptor")
            shown = [next(iter([*_named(value, "nationality"), *_named(value, "place")]), value) for value in values]
            if countries[0] & countries[1]:
                both = next((value for value in shown if _named(value, "nationality")), shown[0])
                return f"{'Both:' if plan.common else 'Yes: both'} {both} [{markers[0]}], [{markers[1]}]."
            if plan.common:
                return ""  # a question asking what they share is not answered "No"
            return (f"No: {plan.entities[0]}, {shown[0]} [{markers[0]}]; {plan.entities[1]}, {shown[1]} "
                    f"[{markers[1]}].")
    named = content_words(" ".join(plan.entities)) | content_words(plan.same)
    said = [content_words(value) - named for value in values]
    if not said[0] or not said[1] or any(value.startswith(QUOTED_OPENING) for value in values):
        return ""
    if said[0] & said[1]:
        shared = " ".join(word for word in values[0].split() if content_words(word) & said[1])
        return f"{'Both:' if plan.common else 'Yes: both'} {shared} [{markers[0]}], [{markers[1]}]."
    return ""


def _value_of(answer: str, national: bool, defined: bool = False) -> str:
    """The value a part's answer gives: the answer itself when short (up to `SHORT_VALUE` words); for a nationality
    or country (`national`), the first one named, by the answer or the sentence it quotes; with `defined`, what a
    quoted sentence defines its subject as ("… was an English film director and …": "English film director");
    else "".

    >>> _value_of("American.", False), _value_of('The articles say: "He was a Polish film director."', True)
    ('American', 'Polish')
    >>> _value_of('The articles say: "He was a film director."', True)
    ''
    """
    value = answer.rstrip(" .")
    if national:
        named = [*_named(value, "nationality"), *_named(value, "place")]
        if named and (value.startswith(QUOTED_OPENING) or len(value.split()) > SHORT_VALUE):
            return min(named, key=value.index)
    if defined and (value.startswith(QUOTED_OPENING) or len(value.split()) > SHORT_VALUE):
        definition = _DEFINED_AS.search(value)
        return definition.group("what") if definition is not None else ""
    return value if value and len(value.split()) <= SHORT_VALUE else ""


def countries_said(text: str) -> set[str]:
    """The countries (folded) `text` names, by name or by a nationality (`COUNTRIES_OF`): "a Moldovan pianist" says
    Moldova.

    >>> sorted(countries_said("a reservoir in the Scottish Borders")), sorted(countries_said("Ohio, United States"))
    (['scotland', 'united kingdom'], ['united states'])
    """
    found = {fold(name) for name in _named(text, "place")}
    return found | {country for name in _named(text, "nationality") for country in COUNTRIES_OF[fold(name)]}


SHORT_VALUE = 6
"""Words at most in an answer compared as a value ("American", "an American filmmaker")."""


_BOTH = re.compile(r"(?P<verb>are|were|is|was|do|does|did)\s+(?:both\s+(?P<leading>.+?\s+and\s+.+?)"
                   r"|(?P<first>.+?)\s+and\s+(?P<second>.+?)\s+both\s+(?P<predicate>.+?))\s*\?*\s*$", re.IGNORECASE)
"""A yes/no question on whether two named things both are something: "Are A and B both in Canada?", "Are both A
and B film directors?" (where B ends is read after: `_split_named`), "Did A and B both play for Leeds?"."""

_JOINERS = frozenset({"of", "the", "de", "la", "von", "van", "del", "da", "du", "and", "&"})
"""Lower-case words inside a name ("Bank of England", "the Milnes"): the name goes on when a capital follows."""

_PLACE = re.compile(r"(?:(?P<how>located|situated|based|found|born|set)\s+)?(?P<link>in|from|on|near)\s+"
                    r"(?P<value>(?:the\s+)?[A-Z0-9].*)")
"""A predicate saying where something is: "in Canada", "located in Ontario", "from France", "born in Leeds"."""

_BY = re.compile(r"(?P<participle>[a-z]+)\s+by\s+(?P<value>.+)")
"""A passive predicate naming who did it: "directed by Ridley Scott"."""

@dataclass(frozen=True)
class Predicate:
    """What a "both" question says of each thing (`text`: "in Canada"), read as a `kind`: "place" (`link` "in",
    `value` "Canada"), "nationality" ("American"), "agent" ("directed by" `value` "Ridley Scott"), "doing" ("flow
    into the Baltic"), "noun" ("film directors") or "other"; `verb`, the part questions' verb ("is", "was",
    "does", "did")."""

    text: str
    kind: str
    verb: str
    link: str = ""
    value: str = ""

    @property
    def affirming(self) -> set[str]:
        """The terms an answer or its quote must hold to say the thing is so: the place, nationality or agent
        named, else every term of the predicate ("film directors": film, director)."""
        return content_words(self.value if self.kind in {"place", "nationality", "agent"} else self.text)

    def part(self, entity: str) -> str:
        """The question asking one thing's value rather than yes or no, which the span reader reads poorly:
        "Where is Lake Arlen?" for "in Canada", "What does the Greywater flow into?" for "flow into the Baltic",
        "What is Anna Pell's occupation?" for "film directors", "What is A?" (whose answer says what kind of thing
        it is) else.

        >>> Predicate("in Canada", "place", "is", "in", "Canada").part("Lake Arlen")
        'Where is Lake Arlen?'
        >>> Predicate("flow into the Baltic", "doing", "does").part("the Greywater")
        'What does the Greywater flow into?'
        """
        how = self.text.split()[0] if self.kind == "place" and self.text.split()[0] != self.link else ""
        if self.kind == "place" and how == "born":
            return f"Where {self.verb} {entity} born?"
        if self.kind == "place":
            tail = " from" if self.link == "from" else (f" {how}" if how else "")
            return f"Where {self.verb} {entity}{tail}?"
        if self.kind == "nationality":
            return f"What nationality {self.verb} {entity}?"
        if self.kind == "agent":
            participle = self.text.split()[0]
            past = past_of(participle)
            if past:
                return f"Who {past} {entity}?"
        if self.kind == "doing":
            words = self.text.split()
            if len(words) > 2 and words[1] in {"in", "at", "near"} and words[2][:1].isupper():
                return f"Where {self.verb} {entity} {words[0]}?"  # "study in London": "Where did A study?"
            if len(words) > 1 and words[1] in {"in", "into", "to", "for", "from", "with", "through", "at", "on"}:
                return f"What {self.verb} {entity} {words[0]} {words[1]}?"
            return f"What {self.verb} {entity} {words[0]}?"
        verb = self.verb if self.verb in {"is", "was"} else "is"
        words = self.text.split()
        head = words[words.index("of") - 1] if "of" in words[1:] else words[-1]  # "a genus of flowering plants"
        if self.kind == "noun" and _singular(head.lower()).endswith(ROLE_ENDINGS):
            return f"What {verb} {entity}'s occupation?"  # the reader answers it where "Who is A?" finds nothing
        return f"What {verb} {entity}?"


def _singular(noun: str) -> str:
    """
    >>> _singular("rivers"), _singular("actresses"), _singular("bodies"), _singular("actor")
    ('river', 'actress', 'body', 'actor')
    """
    if noun.endswith("ies"):
        return noun[:-3] + "y"
    if noun.endswith(("sses", "xes", "ches", "shes")):
        return noun[:-2]
    if noun.endswith("s") and not noun.endswith(("ss", "us", "is")):
        return noun[:-1]
    return noun


def _predicate(text: str, verb: str) -> Predicate:
    """The kind of what a "both" question says of each thing (`Predicate`).

    >>> _predicate("located in Canada", "is").kind, _predicate("American", "was").kind
    ('place', 'nationality')
    >>> _predicate("directed by Ridley Scott", "was").value, _predicate("film directors", "was").kind
    ('Ridley Scott', 'noun')
    """
    place = _PLACE.fullmatch(text)
    if place is not None and verb in {"is", "was"}:
        return Predicate(text, "place", verb, place.group("link"), place.group("value"))
    if verb in {"does", "did"}:
        return Predicate(text, "doing", verb)
    if fold(text) in DEMONYMS:
        return Predicate(text, "nationality", verb, value=text)
    by = _BY.fullmatch(text)
    if by is not None:
        return Predicate(text, "agent", verb, "by", by.group("value"))
    words = text.split()
    last = words[-1].lower()
    if words[0].lower() in {"a", "an"} or (last.endswith("s") and _singular(last) != last):
        return Predicate(text, "noun", verb)
    return Predicate(text, "other", verb)


def _capitalised(word: str) -> bool:
    return word[:1].isupper() or word[:1].isdigit()


def _split_named(text: str) -> tuple[str, str] | None:
    """A name, then what follows it ("Lake Morrow located in Canada": "Lake Morrow", "located in Canada"): the name
    runs while its words are capitalised, or lower-case joiners before a capitalised word; None without both.

    >>> _split_named("the Milnes rivers flow into the Baltic"), _split_named("Bank of England based in London")
    (('the Milnes', 'rivers flow into the Baltic'), ('Bank of England', 'based in London'))
    """
    words = text.split()
    end = 0
    while end < len(words) and (_capitalised(words[end]) or (
            words[end].lower() in _JOINERS and end + 1 < len(words) and _capitalised(words[end + 1]))):
        end += 1
    if end == 0 or end == len(words):
        return None
    return " ".join(words[:end]), " ".join(words[end:])


def _is_name(text: str) -> bool:
    """Whether `text` is a name only, as `_split_named` reads one ("the" before it).

    >>> _is_name("the Bank of England"), _is_name("888 7th Avenue"), _is_name("Baran collaborate at any point")
    (True, True, False)
    """
    words = text.split()
    if words[:1] and words[0].lower() == "the":
        words = words[1:]
    return bool(words) and len(words) <= 8 and _split_named(" ".join((*words, "."))) == (" ".join(words), ".")


def both_plan(question: str) -> ComparisonPlan | None:
    """The two parts of a yes/no question asking whether two named things are both something ("Are A and B both
    in Canada?", "Are both A and B film directors?", "Did A and B both play for Leeds?"): one part per thing asking
    its value in the question's own words (`Predicate.part`), or None when the question is no such question.

    >>> plan = both_plan("Are Lake Arlen and Lake Morrow both in Canada?")
    >>> plan.entities, plan.parts
    (('Lake Arlen', 'Lake Morrow'), ('Where is Lake Arlen?', 'Where is Lake Morrow?'))
    >>> both_plan("Were both Anna Pell and Rita Oms film directors?").parts
    ("What was Anna Pell's occupation?", "What was Rita Oms's occupation?")
    >>> both_plan("Do the Greywater and the Milnes rivers both flow into the Baltic?").parts
    ('What does the Greywater river flow into?', 'What does the Milnes river flow into?')
    >>> both_plan("Were Alien and Heat both directed by Ridley Scott?").parts[0]
    'Who directed Alien?'
    >>> both_plan("Are they both in Canada?") is None, both_plan("Is the sky blue?") is None
    (True, True)
    """
    match = _BOTH.fullmatch(question.strip())
    if match is None:
        return None
    if match.group("leading"):  # "both A and B <predicate>": B ends where a lower-case word starts the predicate
        first, rest = match.group("leading").split(" and ", 1)
        named = _split_named(rest)
        if named is None:
            return None
        second, predicate = named
    else:
        first, second, predicate = match.group("first"), match.group("second"), match.group("predicate")
    verb = {"are": "is", "were": "was", "do": "does"}.get(match.group("verb").lower(), match.group("verb").lower())
    words = predicate.split()
    if match.group("leading") and len(words) > 1 and _singular(words[0]) != words[0] and words[0].islower():
        second, predicate = f"{second} {words[0]}", " ".join(words[1:])  # "both A and B rivers flow into …"
    entities = [first.strip(" \"'"), second.strip(" \"'")]
    kind = entities[1].split()[-1]
    if kind.islower() and _singular(kind) != kind and len(entities[1].split()) > 1:
        # "the Greywater and the Milnes rivers": the kind named once, plural, is each thing's ("the Greywater river")
        entities[1] = entities[1][:-len(kind)].strip()
        kind = f" {_singular(kind)}" if entities[0].lower().startswith("the ") else ""
    else:
        kind = ""
    if not all(_is_name(entity) for entity in entities) or not predicate:
        return None  # "they", "these", "Baran collaborate at any point after they": no things named
    entities = [entity + kind for entity in entities]
    read = _predicate(predicate, verb)
    parts = (read.part(entities[0]), read.part(entities[1]))
    return ComparisonPlan(question, (entities[0], entities[1]), parts, f"both {predicate}", False, False,
                          predicate=read)


def _said(predicate: Predicate, answers: tuple[str, str], quotes: tuple[str, str]) -> list[set[str]]:
    """The terms each answer and the sentences quoted with it say, a place's country said by a nationality too ("in
    the Scottish Borders" says Scotland) when the predicate is a place."""
    said = [content_words(strip_markers(answer)) | content_words(quote)
            for answer, quote in zip(answers, quotes, strict=True)]
    if predicate.kind == "place":
        said = [words | content_words(" ".join(countries_said(f"{answer} {quote}")))
                for words, answer, quote in zip(said, answers, quotes, strict=True)]
    return said


def _affirmed(predicate: Predicate, answers: tuple[str, str], quotes: tuple[str, str]) -> list[bool]:
    """Whether each answer, or a sentence quoted with it, says what the predicate says (`_said` holds its terms)."""
    wanted = predicate.affirming
    return [bool(wanted) and wanted <= words for words in _said(predicate, answers, quotes)]


def which_opening(plan: ComparisonPlan, answers: tuple[str, str], markers: tuple[int, int],
                  quotes: tuple[str, str] = ("", "")) -> str:
    """The one of two things that is what a "which is" question asks (`_which_is_plan`), when its answer or quote
    says so and the other's does not: "The Tinderbox Union is from Canada [2]."; "" otherwise.

    >>> plan = comparison_plan("Which band is from Canada, Hollow Pines or The Tinderbox Union?")
    >>> which_opening(plan, ("Asheville, North Carolina [1].", "Halifax [2]."), (1, 2),
    ...               ("", "The Tinderbox Union is a Canadian indie band from Halifax."))
    'The Tinderbox Union is from Canada [2].'
    >>> which_opening(plan, ("Asheville [1].", "Halifax [2]."), (1, 2))
    ''
    """
    predicate = plan.predicate
    if predicate is None or any(answer.strip().startswith(CANNOT_ANSWER) for answer in answers):
        return ""
    affirmed = _affirmed(predicate, answers, quotes)
    if affirmed.count(True) != 1:
        return ""
    winner = affirmed.index(True)
    name = plan.entities[winner]
    return f"{name[0].upper()}{name[1:]} {plan.claim} [{markers[winner]}]."


def _named(text: str, kind: str) -> list[str]:
    """The countries (`kind` "place") or nationalities (`kind` "nationality") `text` names, as written.

    >>> _named("Lake Morrow is in Minnesota, United States.", "place"), _named("in northern Ontario", "place")
    (['United States'], [])
    >>> _named("a Swedish potter", "nationality"), _named("a South African and Moldovan pianist", "nationality")
    (['Swedish'], ['South African', 'Moldovan'])
    """
    words, pairs = (DEMONYMS, DEMONYMS) if kind == "nationality" else (COUNTRIES, COUNTRY_NAMES)
    found = [match.group(0) for match in re.finditer(r"[A-Z][a-z]+\s+[A-Z][a-z]+", text)
             if fold(match.group(0)) in pairs]
    return found + [word for word in re.findall(r"[A-Z][a-z]+", text)
                    if fold(word) in words and not any(word in name for name in found)]


def _with_article(country: str) -> str:
    """
    >>> _with_article("United States"), _with_article("France")
    ('the United States', 'France')
    """
    plural = fold(country).startswith("united ") or fold(country) in {"netherlands", "philippines", "czech republic"}
    return f"the {country}" if plural else country


def both_opening(plan: ComparisonPlan, answers: tuple[str, str], markers: tuple[int, int],
                 quotes: tuple[str, str] = ("", "")) -> str:
    """Whether both things are what a `both_plan` question says: "Yes: both …" when each answer or its cited quote
    (`quotes`) holds the predicate's terms; "No: …" when an answer names another country or nationality than the
    one asked (and neither it nor its quote the one asked); "" otherwise: an answer silent on it is no "no".

    >>> plan = both_plan("Are Lake Arlen and Lake Morrow both in Canada?")
    >>> both_opening(plan, ("Manitoba, Canada [1].", "Ontario [2]."), (1, 2), ("", "Lake Morrow is in Canada."))
    'Yes: both in Canada [1], [2].'
    >>> both_opening(plan, ("Manitoba, Canada [1].", "Minnesota [2]."), (1, 2),
    ...              ("", "It is in Minnesota, United States."))
    'No: Lake Arlen is in Canada [1], but Lake Morrow is in the United States [2].'
    >>> both_opening(plan, ("Manitoba, Canada [1].", "Ontario [2]."), (1, 2))
    ''
    >>> plan = both_plan("Are Loch Orvel and Tamsin Water both located in Scotland?")
    >>> both_opening(plan, ("Highland, Scotland [1].", "Edinburgh [2]."), (1, 2),
    ...              ("", "Tamsin Water is a reservoir in the Scottish Borders."))
    'Yes: both located in Scotland [1], [2].'
    """
    predicate = plan.predicate
    if predicate is None or any(answer.strip().startswith(CANNOT_ANSWER) for answer in answers):
        return ""
    wanted = predicate.affirming
    said = _said(predicate, answers, quotes)
    if wanted and all(wanted <= words for words in said):
        return f"Yes: both {predicate.text} [{markers[0]}], [{markers[1]}]."
    if predicate.kind == "noun":
        return _another_role(plan, predicate, answers, quotes, said, markers)
    if predicate.kind not in {"place", "nationality"} or not _named(predicate.value, predicate.kind):
        return ""  # "No" only between two countries or nationalities: "Ontario" is no "no" to "in Canada"
    link = predicate.text[:-len(predicate.value)]  # "in ", "born in ", "" for a nationality
    clauses: list[str] = []
    different = affirmed = False
    for entity, answer, quote, words, marker in zip(plan.entities, answers, quotes, said, markers, strict=True):
        if wanted <= words:
            affirmed = True
            clauses.append(f"{entity} {predicate.verb} {link}{predicate.value} [{marker}]")
            continue
        value = strip_markers(answer).rstrip(" .")
        if not value or value.startswith(QUOTED_OPENING) or len(value.split()) > SHORT_VALUE:
            continue  # a sentence may name another country in passing ("near the border with …"): values only
        others = [name for name in _named(value, predicate.kind) if content_words(name) - wanted]
        # "Minnesota" read from "in Minnesota, United States": the country written right after the value is its
        after = re.search(rf"\b{re.escape(value)},\s+((?:the\s+)?[A-Z][a-z]+(?:\s+[A-Z][a-z]+)?)", quote)
        if not others and after is not None and predicate.kind == "place":
            others = [name for name in _named(after.group(1), "place") if content_words(name) - wanted]
        if others:
            different = True
            clauses.append(f"{entity} {predicate.verb} {link}{_with_article(others[0])} [{marker}]")
    if not different:
        return ""
    return f"No: {(', but ' if affirmed else ', and ').join(clauses)}."


_DEFINED_AS = re.compile(r"\b(?:is|was)\s+(?:an?|the)\s+(?P<what>(?:[\w-]+\s+){0,3}?(?P<noun>[a-z]+))\b"
                         r"(?=\s*(?:[.,;]|and\b|who\b|from\b|in\b|based\b|known\b|$))")
"""What a lead sentence defines its subject as: "Petra Aalto (born 1964) is a *Finnish furniture designer*."."""


ROLE_KIN = (frozenset({"director", "filmmaker", "producer"}),
            frozenset({"writer", "author", "novelist", "poet", "playwright", "screenwriter", "essayist", "journalist",
                       "lyricist"}),
            frozenset({"singer", "vocalist", "musician", "songwriter", "rapper", "composer", "guitarist",
                       "drummer", "bassist", "pianist"}),
            frozenset({"actor", "actress", "comedian", "performer", "entertainer"}),
            frozenset({"politician", "statesman", "senator", "diplomat", "lawyer", "minister"}),
            frozenset({"player", "footballer", "cricketer", "athlete", "sportsman", "sportswoman"}))
"""Roles a lead sentence may give for the one a question asks ("an American filmmaker" for "film directors"): a
sentence giving one of the same group is no "no"."""


def _kin(first: str, second: str) -> bool:
    """
    >>> _kin("filmmaker", "director"), _kin("designer", "novelist")
    (True, False)
    """
    return first == second or any(first in group and second in group for group in ROLE_KIN)


def _another_role(plan: ComparisonPlan, predicate: Predicate, answers: tuple[str, str], quotes: tuple[str, str],
                  said: list[set[str]], markers: tuple[int, int]) -> str:
    """"No" to "Are A and B both architects?" when one of them is said to be one and the other's own answer or
    quoted lead sentence defines it by another role, not of the same group (`ROLE_KIN`: "is a Finnish furniture
    designer"); "" otherwise (silence, a kindred role or another kind of noun is no "no").

    >>> plan = both_plan("Are Vesna Kordic and Petra Aalto both architects?")
    >>> both_opening(plan, ("Croatian architect [1].", "A designer [2]."), (1, 2),
    ...              ("", "Petra Aalto (born 1964) is a Finnish furniture designer."))
    'No: Petra Aalto is a Finnish furniture designer [2].'
    >>> both_opening(plan, ("Croatian architect [1].", "Helsinki [2]."), (1, 2), ("", "She lives in Helsinki."))
    ''
    >>> both_opening(plan, ("Croatian architect [1].", "A member [2]."), (1, 2), ("", "She is a member of Odd."))
    ''
    """
    asked = _singular(predicate.text.split()[-1].lower())
    wanted = predicate.affirming
    affirmed = [wanted <= words for words in said]
    if not asked.endswith(ROLE_ENDINGS) or affirmed.count(True) != 1:
        return ""  # said only beside the other thing affirmed: a role unread for both is no verdict
    for entity, answer, quote, affirms, marker in zip(plan.entities, answers, quotes, affirmed, markers, strict=True):
        if affirms:
            continue
        for text in (quote, strip_markers(answer)):
            defined = _DEFINED_AS.search(text)
            if (defined is not None and defined.group("noun").endswith(ROLE_ENDINGS)
                    and not _kin(defined.group("noun"), asked) and not content_words(text) & wanted):
                return f"No: {entity} is {'an' if defined.group('what')[0] in 'aeiou' else 'a'} " \
                       f"{defined.group('what')} [{marker}]."
    return ""


FREQUENCIES = {"daily": 365.0, "weekly": 52.0, "fortnightly": 26.0, "biweekly": 26.0, "semimonthly": 24.0,
               "monthly": 12.0, "bimonthly": 6.0, "quarterly": 4.0, "biannually": 2.0, "semiannually": 2.0,
               "annually": 1.0, "yearly": 1.0, "annual": 1.0, "biennially": 0.5, "biennial": 0.5}
"""How many times a year a word for how often says ("a monthly magazine"): the values compared when a comparison
asks which is published more often. "Bimonthly" is read as every two months, as most magazines use it."""


@dataclass(frozen=True)
class Measure:
    """A value a comparison's part answer holds: the number compared and how the answer writes it."""

    value: float
    shown: str


def measure(text: str, by_year: bool, by_frequency: bool = False) -> Measure | None:
    """The year (`by_year`) or else the first number an answer holds, with the unit written after it ("86
    metres", "1,500-metre": the comparison's opening says what is counted), None without one.

    >>> measure("It was first published in January 1844 [1].", True)
    Measure(value=1844.0, shown='1844')
    >>> measure("The band has 1,200 members [2].", False), measure("Five members [1].", False).shown
    (Measure(value=1200.0, shown='1,200 members'), 'five members')
    >>> measure("A 1,500-metre course [1].", False).shown, measure("86 and more [1].", False).shown
    ('1,500-metre', '86')
    >>> measure("An American folk rock quartet [2].", False)
    Measure(value=4.0, shown='a quartet')
    >>> measure("In the spring [1].", True) is None
    True
    >>> measure("Kite is a British monthly music magazine [1].", False, by_frequency=True)
    Measure(value=12.0, shown='monthly')
    >>> measure("£1.2 million [1].", False), measure("It cost £900,000 [2].", False)
    (Measure(value=1200000.0, shown='£1.2 million'), Measure(value=900000.0, shown='£900,000'))
    >>> measure("It cost £1.2bn [1].", False), measure("$4.5m [2].", False).value, measure("86 m [1].", False).value
    (Measure(value=1200000000.0, shown='£1.2bn'), 4500000.0, 86.0)
    >>> measure("EUR 14.1 million [1].", False).shown, measure("THE 14 boats [1].", False).shown
    ('EUR 14.1 million', '14 boats')
    """
    if by_frequency:  # how often: a word, not a number ("a weekly newspaper")
        said = re.search(rf"\b(?:{'|'.join(FREQUENCIES)})\b", strip_markers(text), re.IGNORECASE)
        return None if said is None else Measure(FREQUENCIES[said.group(0).lower()], said.group(0).lower())
    words = "|".join((*NUMBER_WORDS, *ENSEMBLES))
    # Not cut before a unit written on: "£1.2bn" is 1.2 of them, not 1
    pattern = r"\b(?:1\d{3}|20\d{2})\b" if by_year else rf"\b\d[\d,]*(?:\.\d+)?(?!\.?\d)|\b(?:{words})\b"
    plain = strip_markers(text)
    found = re.search(pattern, plain, re.IGNORECASE)
    if found is None:
        return None
    number = found.group(0)
    unit = None if by_year else re.match(r"(?:-|\s)([A-Za-z%°]+)", plain[found.end():])
    shown = plain[found.start():found.end() + unit.end()] if unit and unit[1].lower() not in STOP_WORDS else number
    if number.lower() in ENSEMBLES:
        return Measure(float(ENSEMBLES[number.lower()]), f"a {number.lower()}")
    if number.lower() in NUMBER_WORDS:  # said inside the opening's sentence: "… more members: seven [2], …"
        shown = shown[0].lower() + shown[1:]
    value = float(NUMBER_WORDS.get(number.lower(), 0) or number.replace(",", ""))
    money = plain[max(found.start() - 1, 0):found.start()] in _CURRENCIES
    scale = unit[1].lower() if unit else ""
    attached = re.match(r"(bn|m|k)\b", plain[found.end():], re.IGNORECASE) if money else None
    if attached:  # "£1.2bn", "$4.5m": an amount's short scale
        scale, shown = _SHORT_SCALES[attached.group(1).lower()], number + attached.group(1)
    if scale in SCALES:  # "£184 million" against "£900,000"
        value *= SCALES[scale]
    if money:
        shown = plain[found.start() - 1] + shown
    code = re.search(r"\b[A-Z]{3}\s+$", plain[:found.start()])  # "EUR 14.1 million": the currency said with it
    if code is not None and code.group().strip() in CURRENCY_CODES:
        shown = code.group() + shown
    return Measure(value, shown)


CURRENCY_CODES = frozenset({"EUR", "USD", "GBP", "JPY", "CHF", "CAD", "AUD", "NZD", "SEK", "NOK", "DKK", "ISK", "PLN",
                            "CZK", "HUF", "CNY", "HKD", "SGD", "INR", "KRW", "ZAR", "BRL", "MXN", "TRY", "AED"})
"""Currencies' codes a report writes before an amount ("EUR 14.1 million"); not any three capitals ("THE 14")."""

SCALES = dict(zip(MAGNITUDES, (12.0, 1e2, 1e3, 1e6, 1e9, 1e12), strict=True))  # "dozen" … "trillion"


def currency_of(shown: str) -> str:
    """The currency an amount is written in: its sign, or its code (`CURRENCY_CODES`); "" for any other figure.

    >>> currency_of("$2 million"), currency_of("EUR 14.1 million"), currency_of("THE 14"), currency_of("14 homes")
    ('$', 'EUR', '', '')
    """
    shown = shown.strip()
    if shown[:1] in _CURRENCIES:
        return shown[0]
    return shown[:3] if shown[:3] in CURRENCY_CODES else ""


_SHORT_SCALES = {"bn": "billion", "m": "million", "k": "thousand"}
_CURRENCIES = frozenset("£$€¥")


def later_than_said(plan: ComparisonPlan, answer: str, published: str) -> bool:
    """Whether a part's year cannot be what a past-tense comparison asks: after the publication of the article it
    comes from ("Which was founded first?" answered "2027" from "ordered a ferry … for delivery in 2027" in a 2025
    article: a plan, not a founding).

    >>> plan = comparison_plan("Which was founded first, Northwind Ferries or Bluewater Lines?")
    >>> later_than_said(plan, "2027 [2].", "2025-09-22"), later_than_said(plan, "1962 [1].", "2025-02-04")
    (True, False)
    >>> later_than_said(plan, "2027 [2].", "")  # an undated article
    False
    """
    if not plan.by_year or not published[:4].isdigit() or plan.claim.split()[0].lower() not in {"was", "were", "did"}:
        return False
    year = measure(answer, True)
    return year is not None and year.value > int(published[:4])


def comparison_opening(plan: ComparisonPlan, answers: tuple[str, str], markers: tuple[int, int],
                       quotes: tuple[str, str] = ("", "")) -> str:
    """The sentence naming the winner of a comparison from the two parts' answers (`markers`: the number each
    answer cites), or "" when they hold nothing comparable (no year or number, or the same); for a "both" question,
    whether both are so (`both_opening`, which reads the answers' cited `quotes` too).

    >>> plan = comparison_plan("Which magazine was started first, Arthur's Magazine or First for Women?")
    >>> comparison_opening(plan, ("1844 [1].", "First for Women was started in 1989 [2]."), (1, 2))
    "Arthur's Magazine was started first: 1844 [1], against 1989 [2]."
    >>> comparison_opening(plan, ("1844 [1].", "In the spring [2]."), (1, 2))
    ''
    """
    if plan.same:
        return same_opening(plan, answers, markers)
    if plan.predicate is not None and plan.which:
        return which_opening(plan, answers, markers, quotes)
    if plan.predicate is not None:
        return both_opening(plan, answers, markers, quotes)
    first, second = (measure(answer, plan.by_year, plan.by_frequency) for answer in answers)
    if first is None or second is None:
        return ""
    winner = plan.winner((first.value, second.value))
    if winner is None:
        return ""
    won, lost = (first, second) if winner == 0 else (second, first)
    if plan.subject:  # one thing at two times: "Northwind's revenue was larger in Q2 2025: …"
        return (f"{plan.subject[0].upper()}{plan.subject[1:]} {plan.claim} {plan.entities[winner]}: {won.shown} "
                f"[{markers[winner]}], against {lost.shown} [{markers[1 - winner]}].")
    name = plan.entities[winner]
    return (f"{name[0].upper()}{name[1:]} {plan.claim}: {won.shown} [{markers[winner]}], against "
            f"{lost.shown} [{markers[1 - winner]}].")


def comparison_text(plan: ComparisonPlan, answers: tuple[str, str], markers: tuple[int, int], joined: str,
                    quotes: tuple[str, str] = ("", "")) -> str:
    """A comparison's answer: the sentence naming the winner (`comparison_opening`), then the parts' joined answers
    (`joined`) but for sentences saying nothing it does not ("1844 [1]."); `joined` alone when there is no winner.

    >>> plan = comparison_plan("Which magazine was started first, Arthur's Magazine or First for Women?")
    >>> comparison_text(plan, ("1844 [1].", "It was started in 1989 by Bauer [2]."), (1, 2),
    ...                 "1844 [1]. It was started in 1989 by Bauer [2].")
    "Arthur's Magazine was started first: 1844 [1], against 1989 [2]. It was started in 1989 by Bauer [2]."
    """
    opening = comparison_opening(plan, answers, markers, quotes)
    if not opening:
        return joined
    said = content_words(opening)
    kept = [sentence for sentence in re.split(r"(?<=[.!?])\s+(?=[A-Z0-9\"'])", joined)
            if content_words(strip_markers(sentence)) - said]
    return " ".join((opening, *kept))
