"""What an article says about itself besides its text: titles, publication dates, URLs and extra fields.

Pure functions (values in, strings out) with doctest examples, shared by every reader: a title from a first line
or a file name, a date normalised to ISO 8601 (an unparseable one is kept aside, never guessed), a URL kept only
when it is a safe absolute http(s) link, and metadata values made JSON-serialisable.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Mapping
from pathlib import Path
from typing import Any, NamedTuple

from rag.text import dateline_end, dateline_parts

# A first line longer than this is a paragraph, not a title: the file then has no title line, and its first
# paragraph must stay in the text so that it can be retrieved and cited.
MAX_TITLE_CHARS = 200


def title_from_stem(path: Path) -> str:
    """A readable title made from a file name, for files that have no title of their own.

    >>> title_from_stem(Path("notes/river_flood-report.txt"))
    'river flood report'
    """
    return " ".join(re.split(r"[\s_\-]+", path.stem)).strip() or path.name


def split_title(text: str, fallback: str) -> tuple[str, str]:
    """Title = the first non-empty line, text = the rest. A text of one line keeps that line and takes the
    fallback title, and so does a text whose first line is too long to be a title.

    >>> split_title("\\nFloods in the valley\\n\\nRivers rose by 2 m.", "x")
    ('Floods in the valley', 'Rivers rose by 2 m.')
    >>> split_title("Rivers rose by 2 m.", "river report")
    ('river report', 'Rivers rose by 2 m.')
    """
    text = text.strip()
    first, _, rest = text.partition("\n")
    first, rest = first.strip(), rest.strip()
    if not rest or len(first) > MAX_TITLE_CHARS:
        return fallback, text
    return first, rest


def normalise_date(value: str) -> str:
    """An ISO 8601 date, or date and time when the value has a time; "" when it is not a complete date.

    >>> normalise_date("14 March 2026")
    '2026-03-14'
    >>> normalise_date("2026-03-14T09:30:00+01:00")
    '2026-03-14T09:30:00+01:00'
    >>> normalise_date("Sat, 14 Mar 2026 09:30:00 GMT")
    '2026-03-14T09:30:00+00:00'
    >>> normalise_date("March 2026"), normalise_date("next week")
    ('', '')
    """
    from dateutil import parser

    value = value.strip()
    if not value or len(value) > 64:  # dates are short; long strings are prose that dateutil could misread
        return ""
    try:
        # Parsing with two different defaults tells which fields the value really holds.
        first = parser.parse(value, default=dt.datetime(2000, 1, 1, 0, 0, 0))
        second = parser.parse(value, default=dt.datetime(2004, 2, 2, 1, 1, 1))
    except (ValueError, OverflowError, TypeError):
        return ""
    if first.date() != second.date():
        return ""
    if first.hour != second.hour:
        return first.date().isoformat()
    return first.isoformat()


def dateline_date(text: str) -> str:
    """The date a news article's dateline gives ("TOLVERN, October 8, 2019 (Wire Service) - …"), as an ISO date; ""
    when the text opens with no dateline or its date has no year ("LONDON, March 5 (Reuters) -": never guessed).

    >>> dateline_date("BRACKFORD, Oct. 8, 2019 (Wire Service) - The inspectorate fined the company.")
    '2019-10-08'
    >>> dateline_date("PORT ELLAN, 4 Feb. 2026 - The ferry operator cut its service.")
    '2026-02-04'
    >>> dateline_date("TOLVERN, October 10 (Wire Service) - The trust said."), dateline_date("In 2019 it rained.")
    ('', '')
    """
    return dateline(text).published


class Dateline(NamedTuple):
    """What a news article's dateline says: its date (ISO, "" without a year), the outlet in its brackets, and
    where it ends in the text it opens; `end` is 0 when the text opens with no dateline."""

    published: str = ""
    outlet: str = ""
    end: int = 0


def dateline(text: str) -> Dateline:
    """The dateline opening `text`: "CARROWMERE, 20 January 2026 (Carrowmere Courier) - …", or a line that holds
    nothing but a dateline, with no dash (a PDF's layout puts the text on the next line: "PORT ELLAN, 28 April
    2025"). The date and the outlet are the article's, as a Markdown file's front matter `date:` and `source:` are.

    >>> dateline("CARROWMERE, 20 January 2026 (Carrowmere Courier) - The port reopened.")
    Dateline(published='2026-01-20', outlet='Carrowmere Courier', end=51)
    >>> dateline("PORT ELLAN, 28 April 2025\\nRevenue rose.")
    Dateline(published='2025-04-28', outlet='', end=25)
    >>> dateline("Harbour results\\nPORT ELLAN, 28 April 2025"), dateline("NASA (USA)\\nIt flew.")
    (Dateline(published='', outlet='', end=0), Dateline(published='', outlet='', end=0))
    """
    written, outlet = dateline_parts(text)
    end = dateline_end(text)
    if not end:
        line = text.split("\n", 1)[0].rstrip()
        # a line of its own: read as if a dash followed it, and only when the dateline is the whole line, with a year
        written, outlet = dateline_parts(line + " - ")
        if dateline_end(line + " - ") != len(line) + 3 or not re.search(r"\d{4}$", written):
            return Dateline()
        end = len(line)
    published = normalise_date(written.replace(".", "")) if re.search(r"\d{4}$", written) else ""
    return Dateline(published, outlet, end)


def published_date(value: Any) -> tuple[str, dict[str, Any]]:
    """(normalised date, extra metadata): an unparseable date is kept as `published_raw`, never guessed.

    >>> published_date("14 March 2026"), published_date(dt.date(2026, 3, 14)), published_date("soon")
    (('2026-03-14', {}), ('2026-03-14', {}), ('', {'published_raw': 'soon'}))
    """
    if value is None or value == "":
        return "", {}
    if isinstance(value, dt.datetime):
        return value.isoformat(), {}
    if isinstance(value, dt.date):
        return value.isoformat(), {}
    if isinstance(value, str):
        normalised = normalise_date(value)
        if normalised:
            return normalised, {}
    return "", {"published_raw": json_safe(value)}


def json_safe(value: Any) -> Any:
    """A JSON-serialisable copy of a value: dates become ISO strings, anything else unknown becomes its str().

    >>> json_safe({"when": dt.date(2026, 3, 14), "tags": ("a", 1), "n": None})
    {'when': '2026-03-14', 'tags': ['a', 1], 'n': None}
    """
    if value is None or isinstance(value, (str, int, float, bool)):
        return value
    if isinstance(value, (dt.date, dt.datetime)):
        return value.isoformat()
    if isinstance(value, Mapping):
        return {str(key): json_safe(item) for key, item in value.items()}
    if isinstance(value, (list, tuple, set, frozenset)):
        return [json_safe(item) for item in value]
    return str(value)


def text_field(value: Any) -> str:
    """A metadata value as one line of text (lists of names are joined).

    >>> text_field(["A. Lee", " B.  Okafor "]), text_field({"name": "x"}), text_field(2026)
    ('A. Lee, B. Okafor', '', '2026')
    """
    if value is None:
        return ""
    if isinstance(value, (list, tuple)):
        return ", ".join(" ".join(str(item).split()) for item in value if item not in (None, ""))
    if isinstance(value, (dict, bool)):
        return ""
    return " ".join(str(value).split())


# Only what an article says of itself: a kicker or title prefix, a "(satire)" title suffix, a category or tag. A
# word in the prose ("a satirical film", "in my opinion") never marks it: a news report may talk about satire.
_KIND_WORDS = {"satire": "satire", "satirical": "satire", "opinion": "opinion", "comment": "opinion",
               "op-ed": "opinion", "column": "opinion"}
_KIND_KICKER = re.compile(r"^\W*(satire|opinion|comment|op-ed)\s*(?::|[-–—]\s|$)", re.IGNORECASE)
_KIND_SUFFIX = re.compile(r"\((satire|satirical|opinion|comment|op-ed)\)\W*$", re.IGNORECASE)
_KIND_FIELDS = ("category", "categories", "section", "tags", "tag", "kind", "genre", "type")


def declared_kind(title: str, text: str, metadata: Mapping[str, Any]) -> str:
    """"satire" or "opinion" when the article marks itself so, "" otherwise: a title or first line opening with
    "Satire:", "Opinion:", "Comment:" (or such a word alone on the first line), a title ending "(satire)", or a
    category, section or tag field holding just that word.

    >>> declared_kind("Council to charge for benches", "SATIRE: nothing here is fact.\\nThe council…", {})
    'satire'
    >>> declared_kind("Opinion: bike lanes are a mistake", "I counted.", {}), declared_kind("Ducks (satire)", "x", {})
    ('opinion', 'satire')
    >>> declared_kind("B", "Text.", {"tags": ["Local", "Satire"]}), declared_kind("B", "T.", {"category": "Comment"})
    ('satire', 'opinion')
    >>> declared_kind("Film review: a satire of office life", "The satire lands.", {"category": "culture"})
    ''
    >>> declared_kind("Satire", "Satire is a genre of the visual, literary and performing arts.", {})
    ''
    >>> declared_kind("Council to charge for benches", "Satire\\nThe council will charge £5 an hour.", {})
    'satire'
    """
    lines = text.strip().split("\n", 1)
    first_line = lines[0].strip()
    # the word alone is a kicker only as a first line above more text that is not the title: an article titled
    # "Satire" (an encyclopedia's) or opening with that one line and nothing else says what it is about, not its kind
    bare = len(lines) > 1 and first_line.lower() != title.strip().lower()
    for line, alone in ((title.strip(), False), (first_line, bare)):
        match = _KIND_KICKER.match(line) or _KIND_SUFFIX.search(line)
        if match and (alone or match.group(0).rstrip().lower() != match.group(1).lower()):
            return _KIND_WORDS[match.group(1).lower()]
    for key in _KIND_FIELDS:
        value = metadata.get(key)
        values = value if isinstance(value, (list, tuple)) else [value]
        for item in values:
            if isinstance(item, str) and " ".join(item.lower().split()) in _KIND_WORDS:
                return _KIND_WORDS[" ".join(item.lower().split())]
    return ""
