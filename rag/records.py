"""The records that flow through the pipeline: articles, passages, the question asked (`Query`), search hits,
citations and answers.

Every record is a frozen dataclass so that it can be shared between threads, cached and compared safely.
They are plain data: the logic that makes them lives in the modules that produce them.

At the end: the `Prompt` a language model is given, and the events an answer's stream yields (`StreamEvent`:
`Waiting`, `Drafting`, `TextChunk`, then the `Answer`), read with a `match` (`unexpected_event`).
"""

from __future__ import annotations

import calendar
import datetime
import hashlib
import re
import unicodedata
from collections.abc import Sequence
from dataclasses import asdict, dataclass, field
from typing import Any, NoReturn
from urllib.parse import urlsplit

from rag.errors import InvalidRequestError


def normalise_text(text: str) -> str:
    """Fold Unicode forms and white space, so that trivially different copies compare equal.

    >>> normalise_text("Caf\\u0065\\u0301  opens\\n\\tearly ")
    'Café opens early'
    """
    return " ".join(unicodedata.normalize("NFC", text).split())


def safe_url(value: str) -> str:
    """`value` if it is an absolute http(s) URL that can go in a citation's `href`, else "" (the one check: readers
    apply it to what articles claim, the UI again to what it shows).

    Browsers drop tabs and newlines inside URLs ("java\tscript:"), so any white space or control character inside
    refuses it, as do quotes and angle brackets.

    >>> safe_url(" https://gazette.example/a?b=1 "), safe_url("javascript:alert(1)"), safe_url("/relative")
    ('https://gazette.example/a?b=1', '', '')
    >>> safe_url("java\tscript:alert(1)"), safe_url('https://x.example/"onmouseover=alert(1)')
    ('', '')
    """
    url = (value or "").strip()
    if not url or any(char.isspace() or ord(char) < 32 or ord(char) == 127 or char in '<>"' for char in url):
        return ""
    try:
        parts = urlsplit(url)
    except ValueError:
        return ""
    return url if parts.scheme.lower() in ("http", "https") and parts.netloc else ""


def content_hash(text: str) -> str:
    """A short, stable hash of an article's normalised text (used to skip unchanged articles).

    >>> content_hash("a  b") == content_hash("a b")
    True
    """
    return hashlib.sha256(normalise_text(text).encode("utf-8")).hexdigest()[:32]


@dataclass(frozen=True)
class Article:
    """One article as read from a file or a feed record, before chunking.

    `pages` holds the character offset at which each page starts (PDFs), so passages can carry page numbers.
    `metadata` keeps any extra fields a feed record carried, as JSON-serialisable values.
    """

    id: str
    title: str
    text: str
    source: str
    url: str = ""
    published: str = ""
    author: str = ""
    path: str = ""
    metadata: dict[str, Any] = field(default_factory=dict, compare=False, hash=False)
    pages: tuple[int, ...] = ()

    @property
    def hash(self) -> str:
        return content_hash(self.title + "\n" + self.text)

    def page_at(self, offset: int) -> int | None:
        """The 1-based page number holding character `offset`, or None for articles without pages."""
        if not self.pages:
            return None
        page = 1
        for number, page_start in enumerate(self.pages, start=1):
            if page_start <= offset:
                page = number
        return page


@dataclass(frozen=True)
class Passage:
    """A chunk of an article: the unit that is embedded, retrieved and cited.

    `start` and `end` are character offsets into the article's text, so `article.text[start:end] == text`, but for
    the first `repeated` characters of a passage that goes on with a long table's rows: its header row, repeated
    (`rag.ingest.chunk.table_header`).
    """

    article_id: str
    title: str
    source: str
    url: str
    text: str
    start: int
    end: int
    published: str = ""
    page: int | None = None

    @property
    def id(self) -> str:
        return f"{self.article_id}#{self.start}-{self.end}"

    @property
    def repeated(self) -> int:
        """How many characters of `text`, at its start, are not the article's at `start` (a table's header row
        repeated with the next blank line); 0 for most passages.

        >>> Passage("a", "T", "a.md", "", "Year | Fines\\n\\n2022 | 15", 40, 49).repeated
        14
        """
        return max(len(self.text) - (self.end - self.start), 0)

    @property
    def location(self) -> str:
        """A short human-readable pointer to where the passage comes from, for citations: its date alone, however
        precisely its feed gave the time ("2026-03-14", not "2026-03-14T09:00:00+00:00" beside other sources' dates).

        >>> Passage("a", "T", "gazette.rss", "", "x", 0, 1, published="2026-03-14T09:00:00+00:00").location
        'gazette.rss, 2026-03-14'
        """
        where = self.source
        if self.page is not None:
            where += f", page {self.page}"
        if self.published:
            where += f", {self.published[:10]}"
        if self.url:
            where += f" <{self.url}>"
        return where

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> Passage:
        return cls(**{name: data[name] for name in cls.__dataclass_fields__ if name in data})


def date_bound(value: str, last: bool = False, name: str = "date") -> str:
    """A full ISO date from a bound given as `YYYY`, `YYYY-MM` or `YYYY-MM-DD`: a year or a month means its first
    day, or with `last` its last day, so that `until 2026` keeps everything published in 2026.

    >>> date_bound("2026"), date_bound("2026", last=True), date_bound("2024-02", last=True)
    ('2026-01-01', '2026-12-31', '2024-02-29')
    >>> date_bound("2026-02-30")
    Traceback (most recent call last):
    rag.errors.InvalidRequestError: date must be a date like 2026-03-14 (or 2026-03, or 2026), got '2026-02-30'
    """
    text = (value or "").strip()
    match = _DATE_BOUND.fullmatch(text)
    try:
        if not match:
            raise ValueError(text)
        year, month, day = int(match.group(1)), match.group(2), match.group(3)
        first_month, last_month = (int(month), int(month)) if month else (1, 12)
        chosen_month = last_month if last else first_month
        final_day = calendar.monthrange(year, chosen_month)[1]
        chosen_day = int(day) if day else (final_day if last else 1)
        return datetime.date(year, chosen_month, chosen_day).isoformat()
    except ValueError:
        raise InvalidRequestError(
            f"{name} must be a date like 2026-03-14 (or 2026-03, or 2026), got {value!r}") from None


_DATE_BOUND = re.compile(r"(\d{4})(?:-(\d{2})(?:-(\d{2}))?)?")


@dataclass(frozen=True)
class Filters:
    """Restrict retrieval to some sources and/or a range of publication dates (ISO dates, inclusive).

    `sources` match a passage's `source` exactly or as a prefix of a path ("reuters" matches "reuters/2026/a.md").
    Build one from what a user typed with `Filters.parse`, the one parser of the CLI, the HTTP API and the chat.

    >>> Filters(sources=("gazette",), since="2026-01-01").allows(
    ...     Passage("a", "T", "gazette/a.md", "", "x", 0, 1, published="2026-03-14"))
    True
    """

    sources: tuple[str, ...] = ()
    since: str = ""
    until: str = ""

    @classmethod
    def parse(cls, sources: Sequence[str] | None = None, since: str | None = "",
              until: str | None = "") -> Filters | None:
        """Filters from typed values, or None when nothing restricts: blank sources dropped, date bounds
        expanded (`since 2026-03` is 1 March, `until 2026` is 31 December), an empty range refused.

        >>> Filters.parse(["gazette", " "], since="2026-03", until="2026")
        Filters(sources=('gazette',), since='2026-03-01', until='2026-12-31')
        >>> Filters.parse([], "", "") is None
        True
        """
        chosen = tuple(dict.fromkeys(source.strip() for source in sources or () if source and source.strip()))
        first = date_bound(since, name="since") if since and since.strip() else ""
        last = date_bound(until, last=True, name="until") if until and until.strip() else ""
        if first and last and first > last:
            raise InvalidRequestError(f"the date range is empty: since {since} is after until {until}")
        filters = cls(chosen, first, last)
        return filters if filters else None

    def __bool__(self) -> bool:
        return bool(self.sources or self.since or self.until)

    def allows(self, passage: Passage) -> bool:
        return self.matches(passage.source, passage.published)

    def matches(self, source: str, published: str) -> bool:
        """Whether an article (or passage) of this `source`, published on `published` (ISO, "" when undated), is
        one these filters let through: what `allows` asks of a passage, asked of an article's record."""
        folded = source.casefold()  # "maplewood gazette" is the Maplewood Gazette
        if self.sources and not any(folded == chosen or folded.startswith(chosen.rstrip("/") + "/")
                                    for chosen in (chosen.casefold() for chosen in self.sources)):
            return False
        published = published[:10]
        if (self.since or self.until) and not published:
            return False
        if self.since and published < self.since[:10]:
            return False
        return not (self.until and published > self.until[:10])

    def describe(self) -> str:
        """The filters in words, as a refusal names them.

        >>> Filters(sources=("gazette", "herald"), since="2027-01-01").describe()
        "source 'gazette' or 'herald', published from 2027-01-01"
        """
        said = []
        if self.sources:
            said.append("source " + " or ".join(repr(source) for source in self.sources))
        if self.since and self.until:
            said.append(f"published {self.since[:10]} to {self.until[:10]}")
        elif self.since or self.until:
            said.append(f"published {'from ' + self.since[:10] if self.since else 'until ' + self.until[:10]}")
        return ", ".join(said)

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


# -- the question asked (issue 21: one record from the edge to the citation) -----------------------------------


@dataclass(frozen=True)
class Query:
    """One question as it travels from the edge (CLI, HTTP, chat) through retrieval and evidence to the citations:
    the user's words (`text`, a follow-up's pronouns resolved), the previous question it follows (`context`, empty
    for a question that stands alone), the reference date of its time phrases (`as_of`, None: the configured one)
    and the `filters` retrieval applies. Kept apart rather than glued into one string and cut apart again where
    each is needed; `search_text` is the one place they are joined, for retrieval.

    >>> first = Query("Who found the comet?")
    >>> first.search_text
    'Who found the comet?'
    >>> follow = Query("Who found it?", context="Which comet was found at Kestrel Hill?")
    >>> follow.search_text
    'Who found it? (following: Which comet was found at Kestrel Hill?)'
    """

    text: str
    context: str = ""
    as_of: datetime.date | None = None
    filters: Filters | None = None
    written_by_rules: bool = field(default=False, compare=False, repr=False)
    """Whether the rules wrote `text` (a comparison's part, a two-hop question's second hop), not the user: the quote
    gate (`Assistant._reads_an_answer`) is for the user's own typed questions, and the rules' wording ("When was the
    Lisbon Treaty founded?") is not gated. Who wrote the words, not what is asked: left out of equality, hashing and
    `repr`, and never in `search_text`."""

    @property
    def search_text(self) -> str:
        """What retrieval embeds and BM25 reads: a follow-up carries the previous question, which names what it
        is about (the very text retrieval searched before the question became a record)."""
        return f"{self.text}{self.context_suffix}" if self.context else self.text

    @property
    def context_suffix(self) -> str:
        """How `search_text` appends the context to `text` ("" without one)."""
        return f" (following: {self.context})" if self.context else ""

    def own_words(self, searched: str) -> str:
        """The question's own words in `searched`, a rewrite of `search_text` (time phrases are read from, and
        taken out of, the whole text retrieval searches: reading them there keeps retrieval as it was): the
        appended context cut off again. The one place the joined text is taken apart; the rest of the answer
        layer reads `text` and `context`.

        >>> Query("And the vote last week?", "What budget did the council approve?").own_words(
        ...     "And the vote? (following: What budget did the council approve?)")
        'And the vote?'
        >>> Query("What happened last week?").own_words("What happened?")
        'What happened?'
        """
        if not self.context:
            return searched
        # As `searched` was cut before it became a record: at the first "(following: " of a text ending in ")".
        cut = searched.find("(following: ")
        return searched[:cut].rstrip() if cut >= 0 and searched.endswith(")") else searched


# -- end of the question record ----------------------------------------------------------------------------------


MONTH_NAMES = ("January", "February", "March", "April", "May", "June", "July", "August", "September", "October",
                "November", "December")


@dataclass(frozen=True)
class Period:
    """The time a question asked about, as read from it (`rag.answer.timeframe`) and shown with the results: the
    phrase as written, the publication dates searched (ISO, inclusive; empty: open), whether newer articles were
    ranked first (`latest`), the reference date the phrase was resolved against, and a note for the reader (an
    event no article dates, explicit filters that won, a period in which nothing relevant was published).

    >>> Period("last month", "2026-02-01", "2026-02-28", as_of="2026-03-14").describe()
    '"last month": 1 February 2026 to 28 February 2026'
    >>> Period("latest", until="2026-03-14", latest=True, as_of="2026-03-14").describe()
    '"latest": newest articles first, up to 14 March 2026'
    """

    phrase: str
    since: str = ""
    until: str = ""
    latest: bool = False
    as_of: str = ""
    note: str = ""

    @property
    def ongoing(self) -> bool:
        """Whether the question asks how things stand (latest, or a period running up to the reference date): its
        answer then says as of when."""
        return self.latest or bool(self.until and self.until == self.as_of)

    def describe(self) -> str:
        if self.since and self.until:
            dates = f"{long_date(self.since)} to {long_date(self.until)}"
        elif self.since or self.until:
            dates = f"from {long_date(self.since)}" if self.since else f"up to {long_date(self.until)}"
        else:
            dates = "any date"
        if self.latest:
            dates = "newest articles first" + (f", {dates}" if dates != "any date" else "")
        return f'"{self.phrase}": {dates}' + (f" ({self.note})" if self.note else "")

    def to_dict(self) -> dict[str, Any]:
        return {**asdict(self), "described": self.describe()}


def long_date(value: str) -> str:
    """An ISO date as people write it (English month names, whatever the locale).

    >>> long_date("2026-03-04")
    '4 March 2026'
    """
    day = datetime.date.fromisoformat(value[:10])
    return f"{day.day} {MONTH_NAMES[day.month - 1]} {day.year}"


def outlets_of(passages: Sequence[Passage]) -> list[str]:
    """The sources of `passages`, each once, in order."""
    return list(dict.fromkeys(passage.source for passage in passages))


def reported_by_text(outlets: Sequence[str], named: int = 2) -> str:
    """The line that says which outlets report a story: the first `named` by name, the others counted.

    >>> reported_by_text(["Maplewood Gazette", "Lenn Valley Herald", "Orwin Courier", "Dunmore Daily"])
    'reported by Maplewood Gazette, Lenn Valley Herald +2'
    >>> reported_by_text(["Maplewood Gazette"])
    'reported by Maplewood Gazette'
    """
    more = f" +{len(outlets) - named}" if len(outlets) > named else ""
    return "reported by " + ", ".join(outlets[:named]) + more


ARTICLE_KIND_KEY = "article_kind"
"""In an article record's metadata: "satire" or "opinion" when the article marks itself so at indexing
(`rag.ingest.metadata.declared_kind`); absent for the rest."""


def kind_note(number: int, kind: str, source: str) -> str:
    """The sentence an answer citing a satirical or opinion article as `[number]` ends with: what it cites is not
    a report of fact, said where the reader reads the claim.

    >>> kind_note(1, "satire", "The Harwick Grumbler")
    'Note: [1] is satire (The Harwick Grumbler marks it so), not a report of fact.'
    >>> kind_note(2, "opinion", ""), kind_note(3, "news", "x")
    ("Note: [2] is an opinion piece (the article marks it so): one writer's view, not a report of fact.", '')
    """
    marked = f"{source} marks it so" if source else "the article marks it so"
    if kind == "satire":
        return f"Note: [{number}] is satire ({marked}), not a report of fact."
    if kind == "opinion":
        return f"Note: [{number}] is an opinion piece ({marked}): one writer's view, not a report of fact."
    return ""


def kind_mark(citation: Citation) -> str:
    """What a citation line says after the cited article's title when it marks itself satire or opinion.

    >>> kind_mark(Citation(1, Passage("a", "T", "Grumbler", "", "x", 0, 1), kind="satire"))
    ' (satire)'
    """
    return f" ({citation.kind})" if citation.kind else ""


@dataclass(frozen=True)
class Hit:
    """A retrieved passage with its relevance score (higher is better; the scale depends on the retriever).

    `same_story` are passages of other articles that report the same event (other outlets, other words), grouped
    under this one at retrieval so that the k hits are k different stories.
    """

    passage: Passage
    score: float
    same_story: tuple[Passage, ...] = ()

    @property
    def reported_by(self) -> list[str]:
        """The outlets (sources) reporting this hit's story, its own first, each once."""
        return outlets_of((self.passage, *self.same_story))

    def to_dict(self) -> dict[str, Any]:
        return {"score": round(float(self.score), 6), **self.passage.to_dict(),
                "same_story": [passage.to_dict() for passage in self.same_story]}


@dataclass(frozen=True)
class Citation:
    """A passage an answer cites, under the number that appears as `[number]` in the answer text.

    `quote` is the sentence of the passage that best supports the claim, `quote_start`/`quote_end` its offsets
    within `passage.text`, and `support` a 0..1 score of how well it backs the claim. `spans` are all the
    sentences quoted as evidence (the supporting one and the one that best answers the question), as offsets
    within `passage.text`, in reading order: what the UI highlights. `same_story` are the passages of other
    articles reporting the same event (the citation stands for the group: "reported by A, B +2"). `kind` is
    "satire" or "opinion" when the cited article marks itself so (`ARTICLE_KIND_KEY`), "" otherwise.
    """

    number: int
    passage: Passage
    quote: str = ""
    quote_start: int = 0
    quote_end: int = 0
    support: float = 0.0
    spans: tuple[tuple[int, int], ...] = ()
    same_story: tuple[Passage, ...] = ()
    kind: str = ""

    @property
    def reported_by(self) -> list[str]:
        """The outlets (sources) of the cited passage and of the others reporting the same story, each once.

        >>> one = Passage("a", "T", "Maplewood Gazette", "", "x", 0, 1)
        >>> Citation(1, one, same_story=(Passage("b", "T", "Lenn Valley Herald", "", "y", 0, 1),)).reported_by
        ['Maplewood Gazette', 'Lenn Valley Herald']
        """
        return outlets_of((self.passage, *self.same_story))

    @property
    def quotes(self) -> list[str]:
        """The quoted sentences, in reading order (just `quote` when no spans were recorded), on one line each: a
        source file's hard line breaks are not the article's."""
        if not self.spans:
            return [self.quote] if self.quote else []
        return [" ".join(self.passage.text[start:end].split()) for start, end in self.spans]

    def to_dict(self) -> dict[str, Any]:
        return {
            "number": self.number,
            "quote": self.quote,
            "quote_start": self.quote_start,
            "quote_end": self.quote_end,
            "quotes": self.quotes,
            "spans": [list(span) for span in self.spans],
            "support": round(float(self.support), 4),
            **self.passage.to_dict(),
            "same_story": [passage.to_dict() for passage in self.same_story],
            "reported_by": self.reported_by,
            "kind": self.kind,
        }


@dataclass(frozen=True)
class Usage:
    """The tokens a language model read (`prompt_tokens`) and wrote (`completion_tokens`) for an answer, counted
    with the model's own tokenizer, every call added up; zeros for an answer made without the model.

    >>> total = Usage(412, 18) + Usage(60, 9)
    >>> total, total.total_tokens
    (Usage(prompt_tokens=472, completion_tokens=27), 499)
    """

    prompt_tokens: int = 0
    completion_tokens: int = 0

    @property
    def total_tokens(self) -> int:
        return self.prompt_tokens + self.completion_tokens

    def __add__(self, other: Usage) -> Usage:
        return Usage(self.prompt_tokens + other.prompt_tokens, self.completion_tokens + other.completion_tokens)

    def to_dict(self) -> dict[str, int]:
        """OpenAI's `usage` object."""
        return {"prompt_tokens": self.prompt_tokens, "completion_tokens": self.completion_tokens,
                "total_tokens": self.total_tokens}


@dataclass(frozen=True)
class Answer:
    """The assistant's reply: text with `[n]` markers, the passages those markers cite, and whether it refused.

    `model_text` is what the language model produced before citations were checked; `search_query` is the
    stand-alone question used for retrieval (differs from `question` when a follow-up was rewritten); `period` is
    the time the question asked about, as read from it (None when it names none); `usage` the tokens the model read
    and wrote for it (`Usage`: zeros when no model was asked).
    """

    question: str
    text: str
    citations: tuple[Citation, ...] = ()
    refused: bool = False
    model_text: str = ""
    search_query: str = ""
    period: Period | None = None
    usage: Usage = field(default_factory=Usage, compare=False)
    """Not compared: the same answer costs other counts on another model or server (a remote one's are estimates)."""

    def to_dict(self) -> dict[str, Any]:
        return {
            "answer": self.text,
            "citations": [citation.to_dict() for citation in self.citations],
            "refused": self.refused,
            "question": self.question,
            "search_query": self.search_query or self.question,
            "period": self.period.to_dict() if self.period else None,
        }


# -- what the language model is given, and what a stream of an answer yields ------------------------------------
# (`Prompt` lives here, not in rag.answer.prompts, so that rag.models can take one without importing rag.answer.)


@dataclass(frozen=True)
class Prompt:
    """A filled prompt (`rag.answer.prompts.build_prompt`): `messages` for chat models, `text` for base models, and
    the passages it numbers.

    `head` is how many leading characters of `text` are the same for every question (the instructions and the
    worked example): a model may keep its reading of them from one question to the next."""

    messages: tuple[dict[str, str], ...]
    text: str
    passages: tuple[Passage, ...]
    stop: tuple[str, ...] = ()
    head: int = 0


@dataclass(frozen=True)
class Waiting:
    """The question waits for the model: `ahead` questions are before it (`rag.serve.queue.QueuedLLM`, whose
    waiting reaches the assistant through `rag.models.llm.stream_in_line`)."""

    ahead: int


@dataclass(frozen=True)
class Drafting:
    """The model has started writing. What it writes is shown sentence by sentence once checked, so a reader can
    say "drafting…" until the first `TextChunk` comes."""


@dataclass(frozen=True)
class TextChunk:
    """A piece of the answer's text that has passed the checks (a sentence, with the space before it after the
    first). Never empty; the pieces joined are the final `Answer.text`, or its start when quoted evidence follows."""

    text: str


StreamEvent = Waiting | Drafting | TextChunk | Answer
"""What `Assistant.stream` yields, in this order: any `Waiting` while the question is in the model's line, one
`Drafting` when the model starts writing, the `TextChunk`s as they pass the checks, and last one `Answer`. A refusal
or quoted evidence decided without the model is the `Answer` alone. Readers `match` on it (`unexpected_event`)."""


def untold(streamed: str, answer: str) -> str:
    """What the `Answer`'s text says beyond the stream's text chunks: all of it for an answer no sentence of the
    model's was streamed for (quoted evidence, a refusal), the rest of it when it goes on past them; "" when the
    chunks said it all (or said something else, which cannot be taken back).

    >>> untold("", "I don't know: the indexed articles do not answer this.")
    "I don't know: the indexed articles do not answer this."
    >>> untold("On 3 May [1].", "On 3 May [1]. The articles give the date, not the cost.")
    ' The articles give the date, not the cost.'
    >>> untold("On 3 May [1].", "On 3 May [1].")
    ''
    """
    return answer[len(streamed):] if answer.startswith(streamed) else ""


def unexpected_event(event: NoReturn) -> NoReturn:
    """The last case of a `match` over a `StreamEvent`: mypy fails a reader that misses a kind of event (the
    parameter's type admits no value left over), and one added without its case fails loudly at run time
    (`typing.assert_never`, which Python 3.10 lacks).

    >>> def shown(event: StreamEvent) -> str:
    ...     match event:
    ...         case Waiting(ahead=ahead):
    ...             return f"{ahead} ahead"
    ...         case Drafting():
    ...             return "drafting"
    ...         case TextChunk(text=text):
    ...             return text
    ...         case Answer():
    ...             return event.text
    ...         case _:
    ...             unexpected_event(event)
    >>> [shown(event) for event in (Waiting(2), Drafting(), TextChunk("The ferry [1]."), Answer("When?", "May."))]
    ['2 ahead', 'drafting', 'The ferry [1].', 'May.']
    """
    raise TypeError(f"not a stream event: {event!r}")
