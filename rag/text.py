"""Word-level text helpers shared by citation checks, evidence selection and refusal: content words (lower case,
stop words removed, Snowball stems) and numbers.
"""

from __future__ import annotations

import functools
import re
import threading

import Stemmer

WORD = re.compile(r"[^\W_]+(?:[.'’][^\W_]+)*", re.UNICODE)
_STOPWORDS = frozenset(
    """a an the and or but if of to in on at by for with from as is are was were be been being it its this
    that these those there here what which who whom whose when where why how do does did done has have had
    having not no yes so than then too very can could would should will shall might must about into over under
    after before between during up down out off again further once i you he she we they them his her their our
    your my me him us also just only such any all both each few more most other some same own s t""".split()
)  # "may" is not a stop word on purpose: as a month it is often the answer.
_STEMMER = Stemmer.Stemmer("english")
_STEMMER_LOCK = threading.Lock()


def content_words(text: str) -> set[str]:
    """Lower-cased, stemmed content words with stop words removed.

    >>> sorted(content_words("The ferries opened on 3 May, 2024."))
    ['2024', '3', 'ferri', 'may', 'open']
    """
    words = [word.replace("’", "'").removesuffix("'s") for word in WORD.findall(text.lower())]
    return {_stem(word) for word in words if word not in _STOPWORDS}


@functools.lru_cache(maxsize=200_000)
def _stem(word: str) -> str:
    with _STEMMER_LOCK:  # PyStemmer objects must not be shared between threads unguarded
        return str(_STEMMER.stemWord(word))


def is_number(word: str) -> bool:
    """
    >>> is_number("2,300"), is_number("May")
    (True, False)
    """
    return any(char.isdigit() for char in word)
