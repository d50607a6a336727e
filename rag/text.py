"""Words and sentences: the one tokeniser of the project, the word statistics built on it, the one table of irregular
verb forms, and the one sentence splitter.

Every layer that compares texts by their words uses these functions: BM25 indexing and search, the fusion
features of retrieval, evidence sentences, citation support, refusal and follow-up detection. One tokeniser
means that a word's IDF looked up for a citation check is the IDF of the very term BM25 indexed ("café" and
"Cafe" are one term everywhere; "may" is a content word everywhere).

A term is a word folded to lower case without accents, not a stop word, Snowball-stemmed:

    >>> tokenize("Engineers were building bridges at the Café in May 1932.")
    ['engin', 'build', 'bridg', 'cafe', 'may', '1932']
"""

from __future__ import annotations

import difflib
import functools
import re
import threading
import unicodedata
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from collections.abc import Set as AbstractSet
from dataclasses import dataclass
from typing import Any

import numpy as np

TOKENIZER_VERSION = 2
"""Bump when `tokenize` changes: saved BM25 token ids of an older tokenizer are then made again from the passages.
Version 2: one stop-word list for every layer (was two), and "may" no longer a stop word."""

# Lucene's English stop words, the question words and auxiliaries every question carries, and pronouns and
# other function words: they match nearly every passage and only add noise to scores and coverage. "may" is
# not one on purpose: as a month it is often the answer, and a check that ignored it would pass "3 June" for
# "3 May".
STOP_WORDS = frozenset(
    """a an and are as at be but by for if in into is it its no not of on or such that the their then there these
    they this those to was will with what which who whom whose when where why how did does do done has have had
    having been being were can could would should might must shall here yes so than too very about over under
    again further once you he she we them his her our your my me him us also just only any all both each few
    more most other some same own s t""".split()
)
_WORD = re.compile(r"\w\w+|\d")  # words of two or more characters, and single digits
SURFACE_WORD = re.compile(r"[^\W_]+(?:[.'’][^\W_]+)*")
"""Words as written (case kept, "U.S." and "3.5" whole): for rules that look at capitals or pronouns."""
_COMBINING = re.compile(r"[\u0300-\u036f]")
_STEMS_CACHED = 200_000
_local = threading.local()


def fold(text: str) -> str:
    """Lower case without accents, so that "Café" and "cafe" match.

    >>> fold("Café Émile")
    'cafe emile'
    """
    return _COMBINING.sub("", unicodedata.normalize("NFKD", text.lower()))


def folded_words(text: str) -> list[str]:
    """Every folded word of `text`, stop words included (single letters dropped; digits kept).

    >>> folded_words("The Café's 3 owners")
    ['the', 'cafe', '3', 'owners']
    """
    return _WORD.findall(fold(text))


def words(text: str) -> list[str]:
    """The folded words of `text` that carry meaning (stop words and single letters dropped; digits kept).

    >>> words("What did the 3 engineers of Café Émile build?")
    ['3', 'engineers', 'cafe', 'emile', 'build']
    """
    return [word for word in folded_words(text) if word not in STOP_WORDS]


def stem(words: Sequence[str]) -> list[str]:
    """Snowball English stems, cached: a collection repeats its words, and a dictionary lookup is ten times faster
    than stemming again. PyStemmer objects are not thread-safe, so each thread has its own stemmer and cache.

    >>> stem(["bridges", "reopened", "bridges"])
    ['bridg', 'reopen', 'bridg']
    """
    cache: dict[str, str] | None = getattr(_local, "stems", None)
    if cache is None or len(cache) > _STEMS_CACHED:
        import Stemmer

        _local.stemmer = Stemmer.Stemmer("english")
        cache = _local.stems = {}
    missing = [word for word in set(words) if word not in cache]
    if missing:
        cache.update(zip(missing, _local.stemmer.stemWords(missing), strict=True))
    return [cache[word] for word in words]


def tokenize(text: str) -> list[str]:
    """The terms of `text`, in order, repeats kept (what BM25 counts).

    >>> tokenize("Engineers were building bridges in 1932.")
    ['engin', 'build', 'bridg', '1932']
    """
    return stem(words(text))


def content_words(text: str) -> set[str]:
    """The distinct terms of `text` (what coverage and support checks compare).

    >>> sorted(content_words("The ferries opened on 3 May, 2024."))
    ['2024', '3', 'ferri', 'may', 'open']
    """
    return set(tokenize(text))


def title_names(title: str, topic: str) -> bool:
    """Whether `title` names `topic`: it holds every content word of the topic (stemmed, so "AI bill's" names
    "the AI bill"); a topic of no content words is named by no title.

    >>> [title_names(title, "the AI bill") for title in ("Committee adds open-source exemption to AI bill",
    ...  "The AI bill's open-source exemption is a win", "Bill 12 passes", "")]
    [True, True, False, False]
    """
    wanted = content_words(topic)
    return bool(wanted) and wanted <= content_words(title)


def capitalised_terms(text: str) -> set[str]:
    """The content words (stemmed) of the capitalised words of `text`, its first included: the names a sentence
    gives.

    >>> sorted(capitalised_terms("Ridgeway University is a public university in Lorne."))
    ['lorn', 'ridgeway', 'universiti']
    """
    return content_words(" ".join(word for word in SURFACE_WORD.findall(text) if word[:1].isupper()))


NUMBER_WORDS = {"one": 1, "two": 2, "three": 3, "four": 4, "five": 5, "six": 6, "seven": 7, "eight": 8, "nine": 9,
                "ten": 10, "eleven": 11, "twelve": 12, "thirteen": 13, "fourteen": 14, "fifteen": 15, "sixteen": 16,
                "seventeen": 17, "eighteen": 18, "nineteen": 19, "twenty": 20, "thirty": 30, "forty": 40, "fifty": 50,
                "sixty": 60, "seventy": 70, "eighty": 80, "ninety": 90}
"""Numbers written as words, and their values: the one table the answer path reads them by (a comparison's
measure, a relative time's count, whether a tagged date is a number). News style writes a number that opens a
sentence in words, whatever its size ("Fourteen trains stopped"), so the table goes past twelve."""


def is_number(word: str) -> bool:
    """
    >>> is_number("2,300"), is_number("May")
    (True, False)
    """
    return any(char.isdigit() for char in word)


_FIGURE = re.compile(r"(?<![\d.,])\d{1,3}(?:,\d{3})+(?:\.\d+)?(?!\d)|(?<![\d.,])\d+\.\d+(?!\d)")


def figures(text: str) -> set[str]:
    """The figures of `text` that the tokenizer cuts apart: decimals and numbers with thousands separators, as
    written but without the separators ("12.4" is no "1.4" with a "2" elsewhere; "318,000" no "18,000").

    >>> sorted(figures("Revenue was EUR 12.4 million, up 6% from 11.7; 318,000 passengers in 2025."))
    ['11.7', '12.4', '318000']
    """
    return {match.group().replace(",", "") for match in _FIGURE.finditer(text)}


_UNITS = {
    "km": ("km", "kms", "kilometre", "kilometres", "kilometer", "kilometers"),
    "metre": ("metre", "metres", "meter", "meters"),
    "cm": ("cm", "centimetre", "centimetres", "centimeter", "centimeters"),
    "mm": ("mm", "millimetre", "millimetres", "millimeter", "millimeters"),
    "mile": ("mile", "miles"),
    "kg": ("kg", "kgs", "kilo", "kilos", "kilogram", "kilograms", "kilogramme", "kilogrammes"),
    "gram": ("gram", "grams", "gramme", "grammes"),
    "tonne": ("tonne", "tonnes", "ton", "tons"),
    "litre": ("litre", "litres", "liter", "liters"),
    "hectare": ("ha", "hectare", "hectares"),
    "acre": ("acre", "acres"),
    "percent": ("%", "per cent", "percent", "pc"),
    "km/h": ("km/h", "kmh", "kph", "kilometres an hour", "kilometers an hour", "kilometres per hour",
             "kilometers per hour"),
    "mph": ("mph", "miles an hour", "miles per hour"),
    "degree": ("°c", "°f", "°", "degree", "degrees"),
}
"""Units of measure, each as the ways it is written after a figure ("48 km", "48 kilometres", "48-kilometre"): a
unit the model puts beside a figure must stand beside it in the evidence (`measures`). Units of time are not here:
an age or a duration is said in too many ways ("aged 44", "44-year-old", "a 44-year career")."""

_UNIT_OF = {spelling: unit for unit, spellings in _UNITS.items() for spelling in spellings}
_MEASURE = re.compile(r"(?<![\d.,])(\d{1,3}(?:,\d{3})+(?:\.\d+)?|\d+(?:\.\d+)?)(?:\s*|-)(" + "|".join(
    re.escape(spelling).replace(r"\ ", r"\s+") for spelling in sorted(_UNIT_OF, key=len, reverse=True)) + r")(?!\w)",
    re.IGNORECASE)


def measures(text: str) -> set[tuple[str, str]]:
    """The figures of `text` said with a unit of measure (`_UNITS`), each as (figure without its separators, unit):
    one unit however it is spelt or shortened.

    >>> sorted(measures("The school is 48 kilometres away; the 3-km road; rain of 12.5 mm; up 3.4 per cent."))
    [('12.5', 'mm'), ('3', 'km'), ('3.4', 'percent'), ('48', 'km')]
    >>> measures("Pupil numbers fell to 48, from 130 in 2015.")
    set()
    """
    return {(match.group(1).replace(",", ""), _UNIT_OF[" ".join(match.group(2).lower().split())])
            for match in _MEASURE.finditer(text)}


MAGNITUDES = ("dozen", "hundred", "thousand", "million", "billion", "trillion")
"""Words that scale a figure ("2.5 million")."""

YEAR = re.compile(r"\b(?:1[89]|20)\d\d\b")
"""A year of 1800–2099 written as a word ("in 2019"): not 3 May, nor 250 or 12,000."""


def says_a_figure(word: str) -> bool:
    """Whether a word is a figure or part of one: digits, a number word, a magnitude.

    >>> says_a_figure("2.5"), says_a_figure("million"), says_a_figure("Twelve"), says_a_figure("euros")
    (True, True, True, False)
    """
    return is_number(word) or word.lower() in NUMBER_WORDS or word.lower() in MAGNITUDES


def idf(document_frequency: Any, documents: int) -> Any:
    """Lucene's inverse document frequency: how rare a term held by `document_frequency` of `documents` is (a
    number or a NumPy array of them). A term no document holds (frequency 0) is as rare as can be.

    >>> [round(float(weight), 3) for weight in idf(np.array([1, 0]), 2)]
    [0.693, 1.792]
    """
    return np.log(1.0 + (documents - document_frequency + 0.5) / (document_frequency + 0.5))


Weights = Callable[[Iterable[str]], Mapping[str, float]]
"""Term weights (IDF) of terms, from an index; terms it does not know weigh 1."""


def weights_of(terms: Iterable[str], weights: Weights | None) -> Mapping[str, float]:
    """The weights of `terms`, or none (every term then weighs 1) without a weighting."""
    return weights(terms) if weights else {}


def coverage(question_words: Iterable[str], found: AbstractSet[str],
             weights: Mapping[str, float] | None = None) -> float:
    """The weighted share of the question's words found in `found` (words without a weight weigh 1).

    >>> coverage({"lenn", "river"}, {"lenn"}, {"lenn": 3.0, "river": 1.0}), coverage({"a", "b"}, {"a"})
    (0.75, 0.5)
    """
    weights = weights or {}
    asked = set(question_words)
    total = sum(weights.get(word, 1.0) for word in asked)
    return sum(weights.get(word, 1.0) for word in asked & found) / total if total else 0.0


_PERIOD_PART = re.compile(r"\b(?P<ordinal>first|second|third|fourth|1st|2nd|3rd|4th)[\s-]+(?P<part>quarter|half)"
                          r"(?=(?P<dated>\s+(?:of\s+)?(?:the\s+)?(?:(?:financial|fiscal)\s+)?(?:year\s+)?(?:FY)?(?:19|20)\d\d\b)"
                          r"|[\s-]+(?:revenues?|sales|profits?|earnings|results|loss(?:es)?|turnover|income|dividends?)\b)",
                          re.IGNORECASE)
"""A quarter or half of a year: with its year, or heading a company's figure without one ("fourth-quarter revenue",
"first-half profit"; a match's "second-half goal" is no part of a year)."""
_ORDINALS = {"first": 1, "1st": 1, "second": 2, "2nd": 2, "third": 3, "3rd": 3, "fourth": 4, "4th": 4}


def period_parts(text: str) -> set[str]:
    """The quarters and halves of a year `text` names in words with their year, as a report's table heads them: the
    one term a question's "second quarter of 2025" and a report's "Q2 2025" are both read as; also when it heads a
    company's figure ("fourth-quarter revenue": a third quarter's answers another question). Not a match's "second
    half" nor a century's "first half": no year nor figure follows.

    >>> sorted(period_parts("Revenue for the second quarter of 2025 rose; first-half 2025 profit fell."))
    ['h1', 'q2']
    >>> period_parts("Saka scored in the second half."), period_parts("in the first half of the 19th century")
    (set(), set())
    >>> sorted(period_parts("Its third-quarter revenue rose; first half profit fell.")), period_parts("second-half try")
    (['h1', 'q3'], set())
    """
    return {f"{match.group('part')[0].lower()}{_ORDINALS[match.group('ordinal').lower()]}"
            for match in _PERIOD_PART.finditer(text)}


def undated_parts(text: str) -> set[str]:
    """The quarters and halves of a year `text` names only as a figure's heading, without their year ("third-quarter
    revenue"): a report may name that quarter another way ("the quarter to September"), so only a report naming
    another quarter answers another question.

    >>> undated_parts("What was its third-quarter revenue?"), undated_parts("revenue in the third quarter of 2025")
    ({'q3'}, set())
    """
    dated = {f"{match.group('part')[0].lower()}{_ORDINALS[match.group('ordinal').lower()]}"
             for match in _PERIOD_PART.finditer(text) if match.group("dated")}
    return period_parts(text) - dated


def specific_terms(question: str) -> set[str]:
    """The words of a question that pin down *which* fact is asked for: numbers and names (capitalised words
    other than the first), and a quarter or half of a year as its short form ("second quarter" is "q2": a first
    quarter's figure answers another question). An answer from passages that mention none of them answers another
    question.

    >>> sorted(specific_terms("How much did the Harbour Lights festival cost in 2025?"))
    ['2025', 'harbour', 'light']
    >>> sorted(specific_terms("What was revenue in the second quarter of 2025?"))
    ['2025', 'q2']
    """
    terms = period_parts(question)
    for position, match in enumerate(SURFACE_WORD.finditer(question)):
        word = match.group(0)
        if is_number(word) or (position > 0 and word[0].isupper()):
            terms |= content_words(word)
    return terms


_NAME_RUN = re.compile(r"[A-Z][^\W_]*(?:[.'’-][^\W_]+)*(?:\s+(?:(?:of|the|de|du|da|van|von|and|&)\s+)*"
                       r"[A-Z][^\W_]*(?:[.'’-][^\W_]+)*)*")
HONORIFICS = ("Mr", "Mrs", "Ms", "Miss", "Mx", "Dr", "Prof", "Professor", "Sir", "Dame")
"""The titles before a person's name, the one list: an author's name is compared without any of them
(`rag.answer.bylines.name_words`: "Prof. Lang" wrote what Lang wrote); `name_runs` drops the courtesy titles a report
names a person again by, and keeps the others (`_KEPT_TITLES`)."""
_KEPT_TITLES = frozenset({"Prof", "Professor", "Sir", "Dame"})
"""Titles `name_runs` keeps in a name ("Sir Peter Lang" is one run of three words), as it always has: dropping them
would change the name runs, and so the answers, of every question and passage that names a knight or a professor,
for no case known to be wrong (measured answers were never re-checked without them)."""
_NAME_OPENERS = frozenset({"The", "A", "An", "This", "That", "These", "Those", "In", "On", "At", "By", "For", "From",
                           "With", "After", "Before", "When", "While", "Of", "Its", "His", "Her", "Their", "It",
                           "He", "She", "They", "Besides", "Both", "Neither",
                           *(title for title in HONORIFICS if title not in _KEPT_TITLES)})
"""Capitalised words that open a sentence rather than a name ("The Brenmoor hills", "Besides the fine"), and the
honorifics a report names a person again by: "Mr Pike" is Darren Pike said again, no other Pike ("Mr. Pike" too:
a run of capitalised words never takes the full stop)."""


_POSSESSIVE = re.compile(r"['’]s\b")


def name_runs(text: str, skip_first: bool = False) -> list[list[str]]:
    """The stemmed words of each run of capitalised words in `text`, in order (joined by "of", "the", "&"…: "Bank of
    Ostrevia"), a sentence opener left out; `skip_first` leaves out the text's first word (a question's "Who").

    >>> name_runs("Besides the fine, Brenmoor Chemicals paid the Bank of Ostrevia's fee.")
    [['brenmoor', 'chemic'], ['bank', 'ostrevia']]
    >>> name_runs("Who funds the IPCC's Deputy Secretary?", skip_first=True)
    [['ipcc'], ['deputi', 'secretari']]
    """
    runs = []
    for match in _NAME_RUN.finditer(text):
        found = match.group(0).split()
        if skip_first and match.start() == 0:
            found = found[1:]
        while found and found[0] in _NAME_OPENERS:
            found = found[1:]
        # A possessive ends a name: "the IPCC's Deputy Secretary" is the IPCC and its deputy secretary.
        for part in _POSSESSIVE.split(" ".join(found)):
            terms = tokenize(part)
            if terms:
                runs.append(terms)
    return runs


def names_another(question: str, text: str) -> bool:
    """Whether `text` is about another thing of a name the question gives: it lacks a word of one of the question's
    names of two or more words, and names something else that opens as that name does ("Brenmoor Chemicals" for
    "Brenmoor Plastics"), or a two-word name ending as a two-word name of the question does ("Milutin Tesla" for
    "Nikola Tesla": a sentence's opening word is capitalised too, "Command of British forces", and longer names
    share their ends by chance). A word spelt alike is the same (`_spelt_alike`). A shorter mention of the same name
    ("Brenmoor", "Tesla") is no other thing, nor a name that only shares a word elsewhere ("River Tessel" beside
    "Tessel Anglers' Association", named after it).

    >>> question = "How much was Brenmoor Plastics fined?"
    >>> names_another(question, "The court fined Brenmoor Chemicals 4.2 million euros.")
    True
    >>> names_another(question, "Brenmoor said the plant was insured."), names_another(question, "It was fined.")
    (False, False)
    >>> names_another(question, "Brenmoor Chemicals is not related to Brenmoor Plastics.")
    False
    >>> names_another("Who chairs the Tessel Anglers' Association?", "It polluted the River Tessel.")
    False
    >>> names_another("When did Darren Pike take over?", "Mr Pike, who took over on 1 April, said so.")
    False
    """
    if labels_another(question, text):
        return True
    names = _question_names(question)
    if not names:
        return False
    words = content_words(text)
    others = name_runs(text)
    for name in names:
        missing = set(name) - words
        if not missing:
            continue
        for run in others:
            extra = set(run) - set(name)
            if (extra and (run[0] == name[0] or (run[-1] == name[-1] and len(run) == len(name) == 2))
                    and not any(_spelt_alike(word, lacking) for word in extra for lacking in missing)):
                return True
    return False


_LABELLED = re.compile(r"\b([A-Z][a-z]{2,})\s+([A-Z]|[IVX]{2,}|\d{1,3})(?![\w,.-]*\d)(?!['\w])")
_NO_HEADS = frozenset(("January", "February", "March", "April", "May", "June", "July", "August", "September",
                       "October", "November", "December", "Monday", "Tuesday", "Wednesday", "Thursday", "Friday",
                       "Saturday", "Sunday", "Page", "Figure", "Table", "Chapter"))


def labelled_names(text: str) -> set[tuple[str, str]]:
    """The names of `text` made of a word and a label, a letter or a number, that tells one of a series from
    the others ("Series A", "Phase 3", "World War II"), as (word, label); not dates ("May 3") nor a document's
    parts ("Table 2").

    >>> sorted(labelled_names("After the Series A, Phase 3 began on May 3, as Table 2 shows, in 2026."))
    [('Phase', '3'), ('Series', 'A')]
    """
    return {(match.group(1), match.group(2)) for match in _LABELLED.finditer(text) if match.group(1) not in _NO_HEADS}


def labels_another(question: str, text: str) -> bool:
    """Whether `text` names another of a series than the one the question names: the same word with another label
    ("Series B" for "Who led the Series A?"), and not the question's ("Series A and Series B" is about both).
    Their words are the same but for a letter the tokenizer drops, so `names_another`'s word check cannot see it.

    >>> labels_another("Who led Veridian's Series A?", "It raised $48 million in a Series B round led by Orbital.")
    True
    >>> labels_another("Who led Veridian's Series A?", "After its Series A, led by Halcyon, came a Series B.")
    False
    >>> labels_another("Who led the round?", "It raised $48 million in a Series B round.")
    False
    """
    asked = labelled_names(question)
    if not asked:
        return False
    said = labelled_names(text)
    return any(word == asked_word and label != asked_label and (asked_word, asked_label) not in said
               for word, label in said for asked_word, asked_label in asked)


@functools.lru_cache(maxsize=256)
def _question_names(question: str) -> tuple[tuple[str, ...], ...]:
    """The question's names of two or more distinct words (`name_runs`), read once per question: `names_another`
    is asked of every sentence of every retrieved passage."""
    return tuple(tuple(name) for name in name_runs(question, skip_first=True) if len(set(name)) >= 2)


def _spelt_alike(first: str, second: str) -> bool:
    """Whether two terms may be one word misspelt or inflected ("dusquesn"/"duquesn", "american"/"america"): a name
    the question misspells is still the name.

    >>> _spelt_alike("dusquesn", "duquesn"), _spelt_alike("american", "america"), _spelt_alike("chemic", "plastic")
    (True, True, False)
    """
    return first[:4] == second[:4] or difflib.SequenceMatcher(None, first, second).ratio() >= SPELT_ALIKE


SPELT_ALIKE = 0.75
"""Similarity (difflib's ratio) from which two terms are taken for one word spelt two ways."""


def one_edit_apart(first: str, second: str) -> bool:
    """Whether two different terms are one letter dropped, added, changed, or two neighbours swapped apart: a name
    misspelt by hand ("moncalm" for "montcalm", "frensh" for "french"). Tighter than `_spelt_alike`, which only
    keeps a name from passing for another: a term covered by this one counts as named ("austria" is two edits from
    "australia").

    >>> one_edit_apart("moncalm", "montcalm"), one_edit_apart("frensh", "french"), one_edit_apart("celeron", "celoron")
    (True, True, True)
    >>> one_edit_apart("austria", "australia"), one_edit_apart("french", "french"), one_edit_apart("raoul", "raoulii")
    (False, False, False)
    >>> one_edit_apart("duquesn", "duqeusn")
    True
    """
    if first == second or abs(len(first) - len(second)) > 1:
        return False
    if len(first) > len(second):
        first, second = second, first
    start = next((index for index, (one, other) in enumerate(zip(first, second, strict=False)) if one != other),
                 len(first))
    if len(first) < len(second):  # a letter added
        return first[start:] == second[start + 1:]
    return (first[start + 1:] == second[start + 1:]  # a letter changed
            or (first[start:start + 2] == second[start:start + 2][::-1] and first[start + 2:] == second[start + 2:]))


# -- verb forms --------------------------------------------------------------------------------------------------

# Rules that rewrite a question turn its verb from one form into the other: "Who wrote Hamlet, and when?" is asked
# as "When was Hamlet written?" (`rag.answer.parts`), "Who won more titles, A or B?" as "How many titles has A won?"
# and "Were A and B both written by …?" as "Who wrote A?" (`rag.answer.comparisons`); a participle closes a clause
# ("When was … *founded*?", `rag.answer.hops`). A regular verb's past tense is its participle, one word in "-ed";
# the verbs whose are not are listed once, here, so that a verb added for one rule is read by every rule.
_IRREGULAR_FORMS = """
    beat beat beaten, become became become, begin began begun, buy bought bought, break broke broken,
    bring brought brought, build built built, come came come, choose chose chosen, do did done, draw drew drawn,
    drive drove driven, fly flew flown, fight fought fought, find found found, give gave given, go went gone,
    grow grew grown, have had had, hold held held, know knew known, lead led led, lose lost lost, make made made,
    meet met met, pay paid paid, put put put, run ran run, rise rose risen, sing sang sung, see saw seen,
    send sent sent, set set set, shoot shot shot, sell sold sold, speak spoke spoken, steal stole stolen,
    teach taught taught, tell told told, take took taken, win won won, write wrote written"""
"""The irregular verbs questions use, base form, past tense and past participle (no two share a participle)."""
_FORMS = [tuple(forms.split()) for forms in _IRREGULAR_FORMS.split(",")]
IRREGULAR_VERBS = {past: participle for _, past, participle in _FORMS}
"""Past tense to past participle of the irregular verbs questions use, lower case; read both ways by `participle_of`
and `past_of`. A participle may be spelt as its past tense ("built")."""
_PAST_OF = {participle: past for past, participle in IRREGULAR_VERBS.items()}


def participle_of(past: str) -> str:
    """The past participle of a lower-case past tense: the table's for an irregular verb, the word itself for a
    regular one (it ends in "-ed"); "" for a word that is neither.

    >>> participle_of("wrote"), participle_of("founded"), participle_of("write")
    ('written', 'founded', '')
    """
    return IRREGULAR_VERBS.get(past, past if past.endswith("ed") else "")


def verb_forms(word: str) -> frozenset[str]:
    """The forms of the verb a lower-case `word` is a form of ("leads", "led", "leading" -> lead, leads, led,
    leading), its past participle among them, as far as the irregular verbs' table and the regular endings tell
    (a regular verb's "-ed" or "-ing" form also gives the spellings of a base in "e": some are no words, and match
    nothing); empty for a stop word.

    >>> sorted(verb_forms("leads")), {"order", "orders", "ordered", "ordering"} <= verb_forms("ordered")
    (['lead', 'leading', 'leads', 'led'], True)
    >>> {"serve", "served", "serving"} <= verb_forms("serving"), verb_forms("the")
    (True, frozenset())
    """
    if word in STOP_WORDS or len(word) < 3:
        return frozenset()
    for base, past, participle in _FORMS:
        if word in (base, past, participle, f"{base}s", f"{base}ing", f"{base[:-1]}ing"):
            return frozenset({base, past, participle, f"{base}s", f"{base.removesuffix('e')}ing"})
    base = word
    for ending in ("ing", "ed", "s"):
        if word.endswith(ending) and len(word) - len(ending) >= 3:
            base = word[:-len(ending)]
            break
    stems = {base, f"{base}e"} if word.endswith(("ing", "ed")) else {base}
    forms = {word}
    for stem_form in stems:
        forms |= {stem_form, f"{stem_form}s", f"{stem_form.removesuffix('e')}ed", f"{stem_form.removesuffix('e')}ing"}
    return frozenset(forms)


def past_of(participle: str) -> str:
    """The past tense of a lower-case past participle: the table's for an irregular verb, the word itself for a
    regular one (it ends in "-ed"); "" for a word that is neither.

    >>> past_of("written"), past_of("founded"), past_of("write")
    ('wrote', 'founded', '')
    """
    return _PAST_OF.get(participle, participle if participle.endswith("ed") else "")


_BASE_OF = {participle: base for base, _, participle in _FORMS}


def base_of(participle: str) -> str:
    """The base form of a lower-case irregular past participle, as a rule that asks with "did" says it ("Which band
    broke up first, A or B?" is asked as "When did A break up?", `rag.answer.comparisons`); any other word is
    kept as it is.

    >>> base_of("gone"), base_of("broken"), base_of("written"), base_of("come"), base_of("founded")
    ('go', 'break', 'write', 'come', 'founded')
    """
    return _BASE_OF.get(participle, participle)


HOW_MANY = re.compile(r"(?P<asked>(?i:how\s+many)\s+)(?P<counted>[a-z][\w-]*(?:\s+[a-z][\w-]*){0,2}?)(?=\s+(?:were|are|"
                      r"was|is|did|do|does|have|has|had|will|would|could|can|should|might|[a-z]+ed|"
                      rf"{'|'.join(sorted(IRREGULAR_VERBS))})\b)")
"""What a how-many question counts (in lower case), up to its verb (an auxiliary or a past tense): "How many
*passengers* were on board?", "How many *firefighters* fought the fire?" (the
span reader's count, `rag.answer.reader.counted_value`; a follow-up's "And crew?",
`rag.answer.conversation.elliptical_question`).

>>> HOW_MANY.search("How many full-time staff does Lumetric employ?").group("counted")
'full-time staff'
"""

HEAD_VERBS = ("runs", "heads", "leads", "manages")
"""The verbs of "who runs X?": who is at the head of something now (`rag.answer.leaders` answers with the head a
title names, `rag.answer.timeframe` with the newest report naming one): one list for both."""

_ROLE_NOUNS = {
    **dict.fromkeys(("spokesman", "spokeswoman", "spokesperson", "spokesmen", "spokeswomen", "spokespeople"),
                    ("speak",)),
    **dict.fromkeys(("executive", "executives", "boss", "bosses"), ("run", "lead", "head")),
    "driver": ("drive",), "drivers": ("drive",), "pilot": ("fly",), "pilots": ("fly",), "leader": ("lead",),
    "leaders": ("lead",), "founder": ("found",), "founders": ("found",), "owner": ("own",), "owners": ("own",),
    "inspector": ("inspect",), "inspectors": ("inspect",), "winner": ("win",), "winners": ("win",),
    "author": ("write",), "writer": ("write",), "builder": ("build",), "builders": ("build",)}
"""Nouns naming a person by what they do, folded, to the bases of the verbs a question asks about them with: a news
report says who spoke for a company as "…, spokesman Martin Ekholm said", never with the question's "spoke for", and
who runs it as "chief executive Imogen Thorne"."""


_GENDERED_ROLE = re.compile(r"^(spokes|chair|congress|council|sales|business|police|anchor|camera)"
                            r"(?:man|woman|men|women|person|persons|people)$")
"""A role said by a compound that names the holder's sex ("spokeswoman", "chairman"): a question asks with one
word and the article answers with another ("Who is the company's spokesman?" / "…, spokeswoman Clara Mendel
said")."""


def neutral_roles(terms: AbstractSet[str]) -> set[str]:
    """`terms` (stemmed content words) with each role compound that says the holder's sex said without it
    (`_GENDERED_ROLE`): spokesman, spokeswoman and spokesperson are one term, and chairman and chairwoman are the
    "chair" a question asks with ("Who chairs …?"). Used only where a sentence is matched against a question, not
    in the index's terms.

    >>> sorted(neutral_roles({"spokeswoman", "mendel"})), sorted(neutral_roles({"chairman"}))
    (['mendel', 'spokes'], ['chair'])
    """
    return {neutral_role(term) for term in terms}


def role_variants(text: str) -> str:
    """The other words for each role compound of `text` that names the holder's sex (`_GENDERED_ROLE`), space
    separated ("" when it has none): what retrieval's word search adds to a question, so that "Who is the
    spokeswoman for Marrowdale Rail?" finds "Company spokesman Declan Fairweather said …".

    >>> role_variants("Who is the spokeswoman for Marrowdale Rail?"), role_variants("Who won?")
    ('spokesman spokesperson', '')
    """
    variants: list[str] = []
    for word in re.findall(r"[a-z]+", text.lower()):
        match = _GENDERED_ROLE.match(word)
        if match:
            variants += [f"{match.group(1)}{ending}" for ending in ("man", "woman", "person")
                         if f"{match.group(1)}{ending}" != word and f"{match.group(1)}{ending}" not in variants]
    return " ".join(variants)


def neutral_role(term: str) -> str:
    """One term said as `neutral_roles` says it.

    >>> neutral_role("spokesman"), neutral_role("chair"), neutral_role("man")
    ('spokes', 'chair', 'man')
    """
    match = _GENDERED_ROLE.match(term)
    return match.group(1) if match else term


def with_role_verbs(terms: AbstractSet[str], text: str) -> set[str]:
    """`terms` (content words of `text`) with the stems of every form of the verb each role noun of `text` stands
    for (`_ROLE_NOUNS`): a sentence naming a spokeswoman holds the "spoke" and "speaks" a question asks with.

    >>> sorted(with_role_verbs({"ekholm"}, "spokesman Martin Ekholm said"))
    ['ekholm', 'speak', 'spoke', 'spoken']
    >>> sorted(with_role_verbs({"ekholm"}, "Martin Ekholm said"))
    ['ekholm']
    """
    bases = {base for word in folded_words(text) if word in _ROLE_NOUNS for base in _ROLE_NOUNS[word]}
    # A regular verb's forms stem to its base; an irregular one's past and participle are the table's.
    forms = [*bases, *(form for base, past, participle in _FORMS if base in bases for form in (past, participle))]
    return set(terms) | set(stem(forms))


def matched_terms(text: str, scored: str = "") -> set[str]:
    """The terms a sentence offers a question: its content words (of `scored`, the sentence as scored, when given:
    `rag.answer.evidence.as_scored`), each role noun's verbs (`with_role_verbs`), the other words of each sense
    (`with_same_sense`), roles of either sex as one (`neutral_roles`). Only where a sentence is matched against a
    question, never in the index's terms.

    >>> sorted(matched_terms("The driver, Owen Brisco, was injured."))[:4]
    ['brisco', 'drive', 'driven', 'driver']
    """
    return neutral_roles(with_same_sense(with_role_verbs(content_words(scored or text), text)))


_SAME_SENSE_WORDS = """
    hurt injured injuring injuries injury wounded, killed kill dead death deaths died die,
    employs employ employed employees employee staff workers worker work works,
    residents resident inhabitants live lives living, fine fined fines penalty penalties,
    cost costs costing price prices spend spent, promise promised pledge pledged vow vowed,
    buy bought purchase purchased acquire acquired, start started begin began begun launch launched,
    build built construct constructed, shut closed closure, repair repairs repaired fix fixed,
    boss bosses executive executives"""
"""Words a news report and a question say one thing with ("How many people were hurt?" / "…, injuring 11"; "How
many people work for it?" / "it employs 2,300"), comma-separated groups."""


@functools.cache
def _same_sense() -> tuple[frozenset[str], ...]:
    return tuple(frozenset(stem(group.split())) for group in _SAME_SENSE_WORDS.split(","))


def with_same_sense(terms: AbstractSet[str]) -> set[str]:
    """`terms` (stems) with the other words of every sense one of them says (`_SAME_SENSE_WORDS`): only where a
    sentence is matched against a question, never in the index's terms.

    >>> sorted(with_same_sense({"compani", "employ"}))
    ['compani', 'employ', 'employe', 'staff', 'work', 'worker']
    >>> sorted(with_same_sense({"ferri"}))
    ['ferri']
    """
    found = set(terms)
    for group in _same_sense():
        if group & terms:
            found |= group
    return found


# -- sentences ---------------------------------------------------------------------------------------------------

# A sentence ends at . ! ? (or …) plus closing quotes/brackets, followed by white space. Abbreviations
# such as "Dr." and single initials ("J. Smith") are rejoined afterwards.
_DATELINE = re.compile(
    r"\s*[A-ZÀ-ÖØ-Þ][A-ZÀ-ÖØ-Þ'’.\-]+(?:[ ,]+[A-ZÀ-ÖØ-Þ][A-ZÀ-ÖØ-Þ'’.\-]+)*"  # the city (ZÜRICH, SÃO PAULO)
    r"(?:,\s*[A-ZÀ-ÖØ-Þ][A-Za-zÀ-ÖØ-öø-ÿ.]+(?:\s[A-ZÀ-ÖØ-Þ][A-Za-zÀ-ÖØ-öø-ÿ.]+)*)?"  # its country or state
    r"(?:(?:,\s*|\s+)(?P<date>(?:Jan|Feb|Mar|Apr|May|Jun|Jul|Aug|Sep|Sept|Oct|Nov|Dec)[a-z]*\.?\s+\d{1,2}"
    r"(?:,\s*\d{4})?"
    r"|\d{1,2}\s+(?:Jan|Feb|Mar|Apr|May|Jun|Jul|Aug|Sep|Sept|Oct|Nov|Dec)[a-z]*\.?(?:,?\s*\d{4})?))?"  # or day first
    r"\s*(?:\((?P<outlet>[^()\n]{1,40})\))?\s*[-–—]{1,2}\s+")

_BYLINE = re.compile(r"\s*By\s+[A-Z][\w.'’-]*(?:\s+[A-Z][\w.'’-]*){0,3}\s*[-–—]{1,2}\s+")
"""A byline in the dateline's place ("By Staff Reporter - "): who filed the report, not what it reports."""
_MONTH = r"(?:Jan|Feb|Mar|Apr|May|Jun|Jul|Aug|Sep|Sept|Oct|Nov|Dec)[a-z]*\.?"
_BYLINE_LINE = re.compile(r"\s*By\s+[A-Z][\w.'’-]*(?:\s+[A-Z][\w.'’-]*){0,3}"
                          rf"(?:,?[ \t]+(?:\d{{1,2}}\s+{_MONTH},?\s+\d{{4}}|{_MONTH}\s+\d{{1,2}},?\s+\d{{4}}))?"
                          r"\.?[ \t]*\n\s*")
"""A byline on a line of its own, maybe with the date it was filed and a full stop ("By Staff Reporter\n\n", "By Lena
Okafor, 2 November 2026\n\n", "By Tomás Ferreira, 5 April 2026.\n\n")."""


def byline_end(text: str) -> int:
    """Where a byline on a line of its own that opens `text` ends (0 without one): who wrote the article and when,
    which is no part of its first sentence, though a paragraph break is all that parts them.

    >>> text = "By Lena Okafor, 2 November 2026\\n\\nAfter the erratum, the story is dead."
    >>> text[byline_end(text):], byline_end("By Tuesday, the fire was out.\\nIt rained.")
    ('After the erratum, the story is dead.', 0)
    >>> text = "By Tomás Ferreira, 5 April 2026.\\n\\nThe two reports disagree."  # a full stop after the date
    >>> text[byline_end(text):]
    'The two reports disagree.'
    """
    match = _BYLINE_LINE.match(text)
    return match.end() if match is not None else 0


def dateline_end(text: str) -> int:
    """Where a news article's dateline ends ("MARBURY, March 5 (Wire Service) - …", "LONDON (Reuters) — …"), or 0
    when `text` opens with none: a city in capitals, then a date or the agency in brackets, then a dash; or a byline
    in its place ("By Staff Reporter - …"). Its place, date, agency and reporter say where, when and by whom the
    report was filed, not what it reports: a who-question is not answered by the agency, nor a when-question by the
    filing date.

    >>> text = "MARBURY, March 5 (Wire Service) - A court fined Brenmoor."
    >>> text[dateline_end(text):]
    'A court fined Brenmoor.'
    >>> dateline_end("LONDON (Reuters) — Shares fell."), dateline_end("NASA - the agency said."), dateline_end("A.")
    (19, 0, 0)
    >>> dateline_end("By Staff Reporter - A fire broke out."), dateline_end("By Tuesday the fire was out.")
    (20, 0)
    >>> text = "By Staff Reporter\\n\\nPORT SELLIS - Talia Merrow broke the record."
    >>> text[dateline_end(text):], dateline_end("By Staff Reporter\\n\\nThe fund lost money.")
    ('Talia Merrow broke the record.', 19)
    """
    byline = _BYLINE.match(text)
    if byline is not None:
        return byline.end()
    own_line = _BYLINE_LINE.match(text)
    if own_line is not None:  # a byline on a line of its own, then maybe the place ("PORT SELLIS - …")
        match = _DATELINE.match(text, own_line.end())
        return match.end() if match is not None else own_line.end()
    match = _DATELINE.match(text)
    if match is None or not re.search(r"\d|\(", match.group(0)):
        return 0  # a city and a dash alone may be a heading ("NASA - the agency said")
    return match.end()


def dateline_date_text(text: str) -> str:
    """The date a news article's dateline gives, as written ("October 8, 2019", "March 5"); "" without one.

    >>> dateline_date_text("BRACKFORD, Oct. 8, 2019 (Wire Service) - A fine.")
    'Oct. 8, 2019'
    >>> dateline_date_text("PORT ELLAN, 4 February 2026 - The ferry service was cut.")  # the day first
    '4 February 2026'
    >>> dateline_date_text("ZÜRICH, 5 May 2025 - A prize."), dateline_date_text("SÃO PAULO, 9 June 2025 - A fine.")
    ('5 May 2025', '9 June 2025')
    >>> dateline_date_text("LONDON (Reuters) - Shares fell."), dateline_date_text("In 2019 it rained.")
    ('', '')
    """
    return dateline_parts(text)[0]


def dateline_parts(text: str) -> tuple[str, str]:
    """The date (as written) and the outlet (in brackets) a news article's dateline gives; "" for each it lacks. An
    outlet is a name: a bracket holding a figure ("(Updated 9 May)") or starting in lower case is none.

    >>> dateline_parts("CARROWMERE, 20 January 2026 (Carrowmere Courier) - The port reopened.")
    ('20 January 2026', 'Carrowmere Courier')
    >>> dateline_parts("LONDON (Reuters) - Shares fell."), dateline_parts("OSLO (updated 9 May) - A fine.")
    (('', 'Reuters'), ('', ''))
    """
    match = _DATELINE.match(text)
    if match is None or not dateline_end(text):
        return "", ""
    outlet = " ".join((match.group("outlet") or "").split())
    if not outlet[:1].isupper() or any(character.isdigit() for character in outlet):
        outlet = ""
    return match.group("date") or "", outlet


_SENTENCE_END = re.compile(r"""[.!?\u2026]+["'\u2019\u201d)\]]*(?=\s)""")
_PARAGRAPH_BREAK = re.compile(r"\n[ \t]*\n\s*")
_ABBREVIATIONS = frozenset(
    """mr mrs ms dr prof sr jr st vs etc e.g i.e u.s u.k no fig inc ltd co corp gen gov sen rep jan feb mar
    apr jun jul aug sep sept oct nov dec approx est dept univ""".split()
)


@dataclass(frozen=True)
class Span:
    """A piece of text by its character offsets; `paragraph_start` is true for the first sentence of a paragraph."""

    start: int
    end: int
    paragraph_start: bool = False


def split_sentences(text: str) -> list[Span]:
    """Split text into sentence spans (white space between sentences belongs to no span).

    >>> text = "Dr. Ames arrived. She spoke!\\n\\nNew paragraph here."
    >>> [text[s.start:s.end] for s in split_sentences(text)]
    ['Dr. Ames arrived.', 'She spoke!', 'New paragraph here.']
    >>> [s.paragraph_start for s in split_sentences(text)]
    [True, False, True]
    >>> text = "The warning came at 6 p.m. on Friday. Roofs fell."  # a stop before a lower-case word ends nothing
    >>> [text[s.start:s.end] for s in split_sentences(text)]
    ['The warning came at 6 p.m. on Friday.', 'Roofs fell.']
    """
    spans: list[Span] = []
    paragraph_start = 0
    for paragraph_end, next_start in [*((m.start(), m.end()) for m in _PARAGRAPH_BREAK.finditer(text)),
                                      (len(text), len(text))]:
        first = True
        for start, end in _sentences_in(text, paragraph_start, paragraph_end):
            spans.append(Span(start, end, paragraph_start=first))
            first = False
        paragraph_start = next_start
    return spans


def _sentences_in(text: str, start: int, end: int) -> Iterator[tuple[int, int]]:
    cursor = start
    for match in _SENTENCE_END.finditer(text, start, end):
        if _is_abbreviation(text, cursor, match.start()) or _goes_on(text, match):
            continue
        yield from _trimmed(text, cursor, match.end())
        cursor = match.end()
    yield from _trimmed(text, cursor, end)


def _is_abbreviation(text: str, sentence_start: int, dot: int) -> bool:
    if text[dot] != ".":
        return False
    word_start = dot
    while word_start > sentence_start and not text[word_start - 1].isspace():
        word_start -= 1
    word = text[word_start:dot].lstrip("(\"'")
    return word.lower() in _ABBREVIATIONS or (len(word) == 1 and word.isupper())


def _goes_on(text: str, end: re.Match[str]) -> bool:
    """Whether a full stop is followed by a lower-case word, which goes on with the sentence: a stop that ends a
    time ("at 6 p.m. on Friday") or an abbreviation not listed; a sentence starts with a capital, a figure or a
    quote mark."""
    if end.group() != ".":
        return False
    following = re.match(r"\s+(\S)", text[end.end():end.end() + 8])
    return following is not None and following.group(1).islower()


def _trimmed(text: str, start: int, end: int) -> Iterator[tuple[int, int]]:
    while start < end and text[start].isspace():
        start += 1
    while end > start and text[end - 1].isspace():
        end -= 1
    if start < end:
        yield start, end


_QUALIFIER = re.compile(r"\s*\((?P<qualifier>[^()]*)\)\s*$")
"""A title's parenthesised qualifier, Wikipedia-style: what tells a namesake's article from another's."""


def qualifier_of(title: str) -> str:
    """A title's parenthesised qualifier, or "".

    >>> qualifier_of("Hollis Brandt (baseball)"), qualifier_of("Hollis Brandt")
    ('baseball', '')
    """
    match = _QUALIFIER.search(title)
    return match.group("qualifier") if match else ""


def without_qualifier(title: str) -> str:
    """A title without its parenthesised qualifier: the name the article is about.

    >>> without_qualifier("Cathal Brennan (musician)")
    'Cathal Brennan'
    """
    return _QUALIFIER.sub("", title)


def json_kind(value: object) -> str:
    """What JSON calls the kind of a decoded value, for messages about a file's records.

    >>> [json_kind(value) for value in ({}, [], "a", 1, 1.5, True, None)]
    ['an object', 'an array', 'a string', 'a number', 'a number', 'a boolean', 'null']
    """
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "a boolean"
    kinds = {dict: "an object", list: "an array", str: "a string", int: "a number", float: "a number"}
    return kinds.get(type(value), type(value).__name__)
