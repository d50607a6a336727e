"""A value that changed: which of the two a question asks for.

News reports a change as two values in one clause: "rose from US$3 to nearly $12", "410 calls a year by 2030, up
from 236 last year", "a maximum of 40 km/h, down from the usual 80 km/h". The span reader, trained on SQuAD's
answers, often takes the first value it meets whatever the question's time: "How many cruise ship visits did
Saltmere get last year?" was answered "410". `changed_value` moves the span to the value the question asks for:
the earlier one when the question says so ("last year", "before the embargo", "originally") or gives a year only
the earlier value's words give, the reported (later) one otherwise.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from rag.text import MAGNITUDES, NUMBER_WORDS, content_words

AMOUNT = (r"(?:(?:nearly|about|almost|around|roughly|some|over|under|more\s+than|less\s+than)\s+)?"
           r"(?:[A-Z]{1,3})?[$£€¥]?\d(?:[\d,]*\d)?(?:\.\d+)?%?"
           rf"(?:\s+(?:{'|'.join(MAGNITUDES)}))?"
           rf"|(?i:\b(?:{'|'.join(NUMBER_WORDS)})\b)(?:\s+(?:{'|'.join(MAGNITUDES)}))?")
"""A number as a report gives it: with a hedge ("nearly $12"), a currency sign, a magnitude ("60 million"); a number
word in any case ("Fourteen trains", opening a sentence)."""

_REVISION_VERB = (r"(?:revised|corrected|amended|updated|upgraded|downgraded|(?:pushed|put|moved|set)\s+back|"
                  r"brought\s+forward|delayed|postponed|moved|rescheduled)")
"""A change that puts a value right or moves a plan: the earlier value no longer holds."""

_CHANGE_VERB = (r"(?:rose|risen|rising|rises|fell|fallen|falling|falls|increased|increasing|decreased|grew|grown|"
                r"climbed|dropped|jumped|cut|raised|reduced|lowered|went|gone|doubled|tripled|halved|soared|"
                r"slipped|slumped|plunged|declined|shrank|shrunk|surged|swelled|widened|narrowed|changed|"
                rf"extended|shortened|(?P<revision>{_REVISION_VERB}))")

_SEASON_OR_MONTH = (r"(?i:(?:(?:early|late|mid)[\s-]+)?(?:spring|summer|autumn|fall|winter|january|february|march|"
                    r"april|may|june|july|august|september|october|november|december)(?:\s+\d{4})?)")
"""A time a plan moves from and to ("pushed back from spring 2027 to autumn 2027")."""

_VALUE = rf"(?:{_SEASON_OR_MONTH}|{AMOUNT})"

_VALUES = (rf"\s+from\s+(?P<before>(?:the\s+)?[^,.;]{{0,30}}?)(?P<earlier>{_VALUE})(?P<between>[^,.;]{{0,40}}?)\s+to\s+"
           rf"(?P<later>{_VALUE})(?P<after>[^,.;]{{0,40}})")

_FROM_TO = re.compile(rf"\b{_CHANGE_VERB}\b(?:\s+[\w’'-]+){{0,3}}?{_VALUES}", re.IGNORECASE)
"""A change told as "<verb> ... from A to B": the earlier value A, the later B, the words around each."""

_CORRECTED_FROM_TO = re.compile(
    rf"\b(?P<revision>revised|corrected|amended|updated|upgraded|downgraded)\b(?:\s+[\w’'-]+){{4,15}}?{_VALUES}",
    re.IGNORECASE)
"""A correction whose object is long ("revised the number of people who died in Saturday's fire at the Stanway Mills
depot from two to one"): only these verbs reach that far; "has moved to the old quay and will run from May to
September" is no change."""

_UP_FROM = re.compile(rf"(?P<later>{AMOUNT})(?P<between>[^,.;]{{0,60}}?),?\s+(?:up|down)\s+from\s+"
                      rf"(?P<before>(?:the\s+)?[^,.;]{{0,30}}?)(?P<earlier>{AMOUNT})(?P<after>[^,.;]{{0,40}})",
                      re.IGNORECASE)
"""A change told as "B ..., up from A ..." (or "down from"): the reported value first."""

_INSTEAD_OF = re.compile(rf"(?P<later>{_VALUE})(?P<between>[^,.;]{{0,40}}?),?\s+"
                         r"(?:instead\s+of|rather\s+than|in\s+place\s+of)\s+"
                         rf"(?P<before>(?:the\s+)?[^,.;]{{0,30}}?)(?P<earlier>{_VALUE})(?P<after>[^,.;]{{0,40}})",
                         re.IGNORECASE)
"""A plan or figure put right as "B instead of A" ("will now be delivered in January 2026 instead of September
2025"): the reported value first, the void one after, as in "B ..., up from A ..."."""

_EARLIER_FIGURE = re.compile(
    rf"(?P<later>{AMOUNT})(?P<between>[^.;]{{0,80}}?),?\s+(?:revising|correcting|updating|replacing|amending|"
    r"(?:up|down|revised|corrected)\s+from)\s+(?:its|their|the|an|his|her)\s+(?P<before>(?:earlier|previous|original|"
    r"initial|first|provisional)\s+(?:figure|estimate|count|total|number|tally|toll|forecast)\s+of\s+)"
    rf"(?P<earlier>{AMOUNT})(?P<after>[^,.;]{{0,40}})", re.IGNORECASE)
"""A figure put right as "B ..., revising its earlier figure of A": the reported value first, the void one after its
"earlier figure of"; a clause may come between ("now stands at 160, the council said on Wednesday, revising …")."""

_ABOVE_ESTIMATE = re.compile(
    rf"(?P<later>{AMOUNT})(?P<between>[^,.;]{{0,40}}?),?\s+(?:above|below|over|under|more\s+than|less\s+than|"
    rf"higher\s+than|lower\s+than)\s+(?P<before>the\s+)(?P<earlier>{AMOUNT})"
    r"(?P<after>(?:\s+[\w-]+){0,2}?\s+(?:(?:first|originally|initially|previously)\s+)?(?:estimated|forecast|expected|budgeted|"
    r"projected|quoted|planned)[^,.;]{0,40})", re.IGNORECASE)
"""A final figure beside the estimate it replaced: "The final cost was 3.05 million euros, above the 2.7 million
euros estimated in January"."""

_ESTIMATE = re.compile(r"\b(?:estimat\w*|forecast\w*|expected|budget(?:ed)?|projected|quoted|planned)\b",
                       re.IGNORECASE)
"""What a question says to ask for the estimate a final figure replaced ("What was the estimated cost?")."""

_NOW_CHANGED = re.compile(rf"\b(?:now|{_REVISION_VERB}|changed)\b", re.IGNORECASE)
"""What says that "B instead of A" replaced A: "will now be delivered", "was moved"."""

_EARLIER = re.compile(r"\b(?:before|previously|previous|earlier|originally|original|initially|at\s+first|"
                      r"last\s+(?:year|month|week|season|time)|a\s+year\s+(?:ago|before|earlier)|used\s+to|"
                      r"formerly|former|prior|usual|usually|normally|normal|from\s+what|start(?:ed)?\s+at)\b",
                      re.IGNORECASE)
"""What a question says to ask for a value as it was before the change."""


@dataclass(frozen=True)
class Change:
    """Two values of one change in a sentence: `earlier` and `later` as (start, end) offsets, and the content
    words that are said only beside each (`earlier_words`, `later_words`)."""

    earlier: tuple[int, int]
    later: tuple[int, int]
    earlier_words: frozenset[str]
    later_words: frozenset[str]
    revision: bool = False  # "revised from two to one", "pushed back from spring to autumn": the earlier is void


def changes(sentence: str) -> list[Change]:
    """The changes `sentence` reports, in order.

    >>> sentence = "Saltmere could handle up to 410 cruise calls a year by 2030, up from 236 last year."
    >>> [(sentence[slice(*c.earlier)], sentence[slice(*c.later)]) for c in changes(sentence)]
    [('236', '410')]
    >>> sorted(changes(sentence)[0].earlier_words), sorted(changes(sentence)[0].later_words)
    (['last'], ['2030', 'call', 'cruis'])
    """
    found = []
    for pattern in (_FROM_TO, _CORRECTED_FROM_TO, _UP_FROM, _INSTEAD_OF, _EARLIER_FIGURE, _ABOVE_ESTIMATE):
        for match in pattern.finditer(sentence):
            if pattern is _INSTEAD_OF and not _NOW_CHANGED.search(sentence, 0, match.start("later")):
                continue  # "50 jobs in Leeds rather than 30 in Manchester": a choice of two, no change
            # "B ..., up from A ...": B's words come between the two
            up_from = pattern in (_UP_FROM, _INSTEAD_OF, _EARLIER_FIGURE, _ABOVE_ESTIMATE)
            earlier_words = content_words(f"{match.group('before')} {match.group('after' if up_from else 'between')}")
            later_words = content_words(match.group("between" if up_from else "after"))
            found.append(Change(match.span("earlier"), match.span("later"), frozenset(earlier_words - later_words),
                                frozenset(later_words - earlier_words),
                                revision=pattern in (_INSTEAD_OF, _EARLIER_FIGURE, _ABOVE_ESTIMATE)
                                or (not up_from and match.group("revision") is not None)))
    return sorted(found, key=lambda change: min(change.earlier[0], change.later[0]))


def _phrase(question: str, start: int, most_words: int = 5) -> str:
    """The words of `question` from `start`, at most `most_words` of them: a time phrase and what it anchors on
    ("before the driver hit the brakes")."""
    return " ".join(question[start:].rstrip("?").split()[:most_words])


def changed_value(question: str, sentence: str, start: int, end: int) -> tuple[int, int] | None:
    """Where the value `question` asks for stands when the span `sentence[start:end]` is one of the two values of a
    change the sentence reports and the question asks for the other; None otherwise. The earlier value is asked
    for when the question says a time before ("last year", "originally": `_EARLIER`) that the later value's own
    words do not say, or gives more numbers (years) said only beside the earlier value than beside the later; the
    later (reported) value otherwise.

    >>> sentence = "Saltmere could handle up to 410 cruise calls a year by 2030, up from 236 last year."
    >>> start, end = changed_value("How many cruise ship visits did Saltmere get last year?", sentence, 28, 31)
    >>> sentence[start:end]
    '236'
    >>> changed_value("How many cruise calls could Saltmere handle by 2030?", sentence, 28, 31) is None
    True
    >>> sentence = "By March 1974 the price of oil had risen from US$3 per barrel to nearly $12 globally."
    >>> start, end = changed_value("What was the price of oil in March 1974?", sentence, 46, 61)
    >>> sentence[start:end]
    'nearly $12'
    >>> changed_value("What did oil cost before the embargo?", sentence, 46, 61) is None
    True

    A span holding both values ("two to one") is the one asked for; a plan's times move too:

    >>> sentence = "Police revised the death toll from two to one on Monday."
    >>> sentence[slice(*changed_value("How many people died in the fire?", sentence, 35, 45))]
    'one'
    >>> sentence = "The opening has been pushed back from spring 2027 to autumn 2027."
    >>> sentence[slice(*changed_value("When will the bridge open?", sentence, 38, 64))]
    'autumn 2027'
    >>> sentence[slice(*changed_value("When was the bridge originally due to open?", sentence, 38, 64))]
    'spring 2027'
    >>> sentence = "MV Borealis will now be delivered in January 2026 instead of September 2025."
    >>> sentence[slice(*changed_value("When will MV Borealis be delivered?", sentence, 62, 76))]
    'January 2026'
    >>> sentence = ("The number of homes flooded now stands at 160, the council said on Wednesday, revising its "
    ...             "earlier figure of 120 after surveyors reached streets cut off by water.")
    >>> sentence[slice(*changed_value("How many homes were flooded?", sentence, 109, 112))]
    '160'
    >>> sentence = "Attendance has been revised from 22,000 to 18,500, after an audit of ticket scans."
    >>> sentence[slice(*changed_value("How many people attended?", sentence, 33, 49))]
    '18,500'
    >>> sentence = "The final cost was 3.05 million euros, above the 2.7 million euros estimated in January."
    >>> sentence[slice(*changed_value("What did the repairs cost?", sentence, 49, 66))]
    '3.05 million'
    >>> sentence[slice(*changed_value("What was the estimated cost?", sentence, 19, 37))]
    '2.7 million'
    >>> sentence = "The fair has moved to the old quay and will run from May to September."
    >>> changed_value("When will the fair run?", sentence, 52, 69) is None  # a range, and no change of it
    True
    """
    question_words = content_words(question)
    for change in changes(sentence):
        # "two to one" of "revised from two to one": a span holding both values of a revision is the one asked for;
        # of a rise or fall ("from US$3 per barrel to nearly $12") it says the change, and stays whole
        both = (change.revision and start <= min(change.earlier[0], change.later[0])
                and max(change.earlier[1], change.later[1]) <= end)
        for value, other in ((change.earlier, change.later), (change.later, change.earlier)):
            if both or (start < value[1] and value[0] < end and not (start < other[1] and other[0] < end)):
                break
        else:
            continue
        # A time word the later value's own words say too ("... to 8% last year") does not ask for the earlier one.
        # A time phrase the later value's own words say ("... to 8% last year", "... to about 30 before it hit the
        # slip" for "before it hit the slip") asks for the later value; "before the driver hit the brakes" does not.
        says_before = any(not (content_words(_phrase(question, said.start())) <= change.later_words)
                          for said in _EARLIER.finditer(question))
        # Of the words beside each value, only years and other numbers tell the two apart ("in 2024"): a verb
        # both clauses may use ("hit") does not.
        dated = {word for word in question_words if any(character.isdigit() for character in word)}
        # "the estimated cost" asks for the estimate a final figure replaced, when only the estimate is said so
        says_estimate = any(content_words(said.group()) <= change.earlier_words - change.later_words
                            for said in _ESTIMATE.finditer(question))
        asks_earlier = (says_before or says_estimate
                        or len(dated & change.earlier_words) > len(dated & change.later_words))
        wanted = change.earlier if asks_earlier else change.later
        return wanted if both or wanted != value else None
    return None


ASKS_CHANGE_SIZE = re.compile(
    r"\bby\s+how\s+(?:much|many)\b|\bhow\s+many\s+(?:percentage\s+)?points\b|"
    r"\bhow\s+much\s+(?:did|does|do|has|have|had|will|would|is|was)\s+[^?]{1,80}?\s+(?:rise|fall|grow|drop|increase|"
    r"decrease|climb|decline|shrink|jump|go\s+up|go\s+down|risen|fallen|grown|dropped|increased|decreased|climbed|"
    r"declined|shrunk|jumped|gone\s+up|gone\s+down)\b", re.IGNORECASE)
"""A question asking how big a change was ("By how much did the rate fall?", "How much has uptake risen?"), not
the level a figure reached."""

_SIZE = (r"(?:(?:half|a\s+quarter|a\s+third|a\s+tenth|a\s+fifth)(?:\s+of)?\s+an?|"
         rf"{AMOUNT})(?:\s+(?:percentage\s+points?|points?|per\s*cent(?:age\s+points?)?|percent))?")
"""The size of a change: "5 percentage points", "half a percentage point", "9 percent", "£2 million"."""

_CHANGE_NOUN = (r"(?:rise|fall|increase|decrease|drop|decline|gain|jump|cut|reduction|growth|fall|climb|surge|"
                r"slump|improvement)")

_SIZE_OF = re.compile(
    rf"\b(?:{_CHANGE_VERB}\s+(?:by\s+)?|(?:up|down)\s+(?:by\s+)?|(?:a|an|the)\s+(?:[\w-]+\s+)?{_CHANGE_NOUN}\s+of\s+)"
    rf"(?P<size>{_SIZE})(?![\w.,]*\d)", re.IGNORECASE)
"""A change told by its size: "rose by 5 percentage points", "a fall of half a percentage point", "up 3 points";
never "fell to 21 percent" (the level reached) or "up from 6.3 percent" (the level before)."""


def change_size(question: str, sentence: str, start: int, end: int) -> tuple[int, int] | None:
    """Where the size of a change stands when `question` asks by how much something changed (`ASKS_CHANGE_SIZE`)
    and the span `sentence[start:end]` is a level the sentence gives instead: the size said ("by 5 percentage
    points", "a fall of half a percentage point"), the nearest to the span; else the two values of a change told
    as "from A to B" or "B, up from A" (the change, which a reader can take in at a glance). None when the span
    already says the size, the question asks no size, or the sentence tells none.

    >>> sentence = "Uptake rose by 5 percentage points this winter, to 62 percent."
    >>> sentence[slice(*change_size("By how much did uptake rise?", sentence, 51, 61))]
    '5 percentage points'
    >>> change_size("What was uptake this winter?", sentence, 51, 61) is None
    True
    >>> sentence = "The rate stood at 5.8 percent, down from 6.3 percent, a fall of half a percentage point."
    >>> sentence[slice(*change_size("By how much did the rate fall?", sentence, 18, 29))]
    'half a percentage point'
    >>> sentence = "Apprenticeships rose from 410 to 655 in a year."
    >>> sentence[slice(*change_size("How much have apprenticeships grown?", sentence, 33, 36))]
    'from 410 to 655'
    >>> change_size("By how much did rents rise?", "Rents reached 900 euros.", 14, 24) is None
    True
    """
    if not ASKS_CHANGE_SIZE.search(question):
        return None
    sizes = [match.span("size") for match in _SIZE_OF.finditer(sentence)]
    if any(size_start < end and start < size_end for size_start, size_end in sizes):
        return None  # the reader found the size itself
    if sizes:
        return min(sizes, key=lambda size: min(abs(size[0] - end), abs(start - size[1])))
    for change in changes(sentence):
        if change.revision:
            continue  # a figure put right is no change in the world
        first, last = min(change.earlier[0], change.later[0]), max(change.earlier[1], change.later[1])
        said_from = sentence.rfind("from", 0, first)
        between = sentence[said_from + 4:first]
        if said_from >= 0 and change.earlier[0] == first and re.fullmatch(r"\s+(?:the\s+)?", between):
            first = said_from  # "from 410 to 655": the change as the sentence words it
        return first, last
    return None
