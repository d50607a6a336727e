"""Questions about the articles themselves, answered from what the index keeps of each (its title, author, outlet
and publication date: a Markdown file's front matter, a feed's fields, a page's meta tags), not from a sentence.

- "Who wrote about X?": the authors of the articles a search for X finds (a person the articles merely name did
  not write them); "Who wrote it?" after an answer: the author of the article the conversation is about.
- "What did <author> write (about)?": that author's articles, each with its title, outlet, date and opening.
- "When was <title> published?": the date of the article whose title holds every word the question names it by,
  when those words name a document ("the Housing Affordability Index") or are most of the title's (not "When was
  the treaty published?" over "Leaders sign Arctic fishing treaty"); "When was it published?" after an answer: the
  date of the article the conversation is about.
- "When was <error about X> corrected?": the date of the correction about X; "When did <outlet> (first) report X?":
  the date of that outlet's (earliest) report on X, when the outlet is the source of an indexed article.

Each answers only when the index knows what is asked (an author, a date, a title that matches); otherwise the
question goes on to be answered from the text as any other ("Who wrote the Iliad?" asks about a book the articles
talk about, not about an article, and is never read here: only "wrote about", "wrote it" or "the article" is; "Who
wrote the letter?" asks who wrote a letter the article reports, not who wrote the article).
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from rag.answer.evidence import Evidence, Sentence
from rag.answer.outlets import outlet_in
from rag.answer.reader import Reading, SpanFinder, ruled_reading
from rag.records import Answer, Citation, Hit, Passage, long_date
from rag.text import FOLLOW_ON, HONORIFICS, content_words, dateline_end, split_sentences, title_names

AUTHOR_SHARE = 0.8
"""An article's best passage must score this share of the best hit's for "Who wrote about X?" to name its author."""

MOST_AUTHORS = 4
"""How many articles "Who wrote about X?" names at most."""

MOST_WORKS = 3
"""How many of an author's articles "What did <author> write?" gives."""

OPENING_SENTENCES = 2
"""How many sentences of each article's opening "What did <author> write?" quotes."""

_DOCUMENT = (r"(?:article|report|blog(?: post)?|post|piece|story|study|letter|note|review|document|paper|"
             r"assessment|analysis|commentary|column|index|survey|outlook|press release|newsletter)")
_WHO_WROTE_ABOUT = re.compile(rf"^who (?:wrote|authored|has written|writes)(?: the {_DOCUMENT})? (?:about|on) "
                              r"(?P<topic>.+?)\??$", re.IGNORECASE)
_WHO_WROTE_IT = re.compile(r"^who (?:wrote|authored|is the author of|was the author of) (?:it|this|that|"
                           r"(?:the|this|that) (?:article|post|blog post|piece))\??$", re.IGNORECASE)
"""Only the article itself: "Who wrote the letter?" (or the report, the study) asks who wrote what the article talks
about (the mayor's letter), not its journalist."""
_WORKS = re.compile(r"^what (?:did|has|does) (?P<name>.+?) (?:write|written|writes|publish|published)"
                    r"(?: (?:about|on))?\??$", re.IGNORECASE)
_WHEN_PUBLISHED = re.compile(r"^when (?:was|were|is) (?P<topic>.+?) (?:published|posted|written)\??$", re.IGNORECASE)
_WHEN_CORRECTED = re.compile(r"^when (?:was|were|has|have|had) (?P<topic>.+?) (?:been )?(?:corrected|put right)\??$",
                             re.IGNORECASE)
"""A question asking when a report's error was put right: the date the correction was published."""
_WHEN_REPORTED = re.compile(r"^(?i:when) (?i:did|was) (?P<outlet>(?:(?i:the) )?[A-Z][\w&'’-]*(?: [A-Z][\w&'’-]*)*) "
                            r"(?P<first>(?i:first) )?(?i:report|reported|publish|published|cover|covered)"
                            r"(?: (?i:on|about))?(?: (?i:that))? (?P<topic>.+?)\??$")
"""When an outlet reported something: "When did the Harwick Courier (first) report that the mayor denied the sale?"
(the outlet is checked against the found articles' sources: a person's name is no outlet)."""
_CORRECTION_TITLE = re.compile(r"\b(?:correction|corrections|clarification)\b", re.IGNORECASE)
_THE_ARTICLE = re.compile(r"^(?:it|this|that|(?:the|this|that) (?:article|post|blog post|piece|story))$", re.IGNORECASE)
_NAMES_DOCUMENT = re.compile(rf"\b{_DOCUMENT}s?\b", re.IGNORECASE)
_HONORIFICS = frozenset(title.lower() for title in HONORIFICS)

Search = Callable[[str], Sequence[Hit]]


@dataclass(frozen=True)
class DocumentQuestion:
    """What a question asks about the articles themselves: `kind` is "author", "works", "date" or "reported";
    `subject` is the topic, the author's name or the title it names ("" for "it": the conversation's article);
    `outlet` the outlet "reported" asks about, `first` whether it asks for its first report."""

    kind: str
    subject: str
    outlet: str = field(default="", repr=False)
    first: bool = field(default=False, repr=False)


def document_question(question: str) -> DocumentQuestion | None:
    """What `question` asks of the articles themselves, or None when it asks about what they say.

    >>> document_question("Who wrote about the AI bill?")
    DocumentQuestion(kind='author', subject='the AI bill')
    >>> document_question("Who wrote it?").kind, document_question("What did Dr. Felix Brandt write?").subject
    ('author', 'Dr. Felix Brandt')
    >>> document_question("When was the Housing Affordability Index 2026 published?").subject
    'the Housing Affordability Index 2026'
    >>> document_question("When was it published?")
    DocumentQuestion(kind='date', subject='')
    >>> reported = document_question("When did the Harwick Courier first report the plant closure?")
    >>> reported.kind, reported.subject, reported.outlet, reported.first
    ('reported', 'the plant closure', 'Harwick Courier', True)
    >>> document_question("When was the error about the jobless rate corrected?").kind
    'corrected'
    >>> document_question("Who wrote the Iliad?"), document_question("What did the blog say?")
    (None, None)
    """
    text = " ".join(question.split())
    if (match := _WHO_WROTE_ABOUT.match(text)) is not None:
        return DocumentQuestion("author", match.group("topic"))
    if _WHO_WROTE_IT.match(text) is not None:
        return DocumentQuestion("author", "")
    if (match := _WORKS.match(text)) is not None:
        return DocumentQuestion("works", match.group("name"))
    if (match := _WHEN_CORRECTED.match(text)) is not None:
        return DocumentQuestion("corrected", match.group("topic"))
    if (match := _WHEN_REPORTED.match(text)) is not None:
        outlet = re.sub(r"^the ", "", match.group("outlet"), flags=re.IGNORECASE)
        return DocumentQuestion("reported", match.group("topic"), outlet, bool(match.group("first")))
    if (match := _WHEN_PUBLISHED.match(text)) is not None:  # "When was it published?": the conversation's article
        return DocumentQuestion("date", "" if _THE_ARTICLE.match(match.group("topic")) else match.group("topic"))
    return None


def name_words(name: str) -> tuple[str, ...]:
    """A person's name as compared: lower-case words, without honorifics and stops ("Dr. Felix Brandt").

    >>> name_words("Dr. Felix Brandt"), name_words("felix brandt"), name_words("Miss Ada Kerr")
    (('felix', 'brandt'), ('felix', 'brandt'), ('ada', 'kerr'))
    """
    found = tuple(word for word in re.findall(r"[^\W\d_]+(?:['’-][^\W\d_]+)*", name.lower()))
    return tuple(word for word in found if word not in _HONORIFICS)


def same_author(asked: str, author: str) -> bool:
    """Whether the name asked is one of the article's authors (a list of names is split at commas and "and"): the
    whole name, or the surname alone.

    >>> same_author("Priya Raman", "Priya Raman"), same_author("Raman", "A. Lee, Priya Raman")
    (True, True)
    >>> same_author("Priya Patel", "Priya Raman"), same_author("Lena", "Lena Okafor")
    (False, False)
    """
    wanted = name_words(asked)
    if not wanted:
        return False
    for one in re.split(r",|\band\b|&", author):
        words = name_words(one)
        if words and (wanted == words or (len(wanted) == 1 and wanted[0] == words[-1])):
            return True
    return False


def names_document(subject: str, title: str) -> bool:
    """Whether "When was <subject> published?" asks about the article titled `title`: the title holds every word of
    the subject (but a document word: "article"), and the subject names a document ("the Northern Grid outlook")
    or its words are most of the title's. "When was the treaty published?" asks about a treaty, not about
    "Leaders sign Arctic fishing treaty".

    >>> [names_document(subject, "Leaders sign Arctic fishing treaty") for subject in ("the treaty",
    ...  "the Arctic fishing treaty", "the treaty article")]
    [False, True, True]
    >>> names_document("the Northern Grid outlook", "Northern Grid Energy Outlook 2026")
    True
    """
    titled = content_words(title)
    # "the treaty article": the title need not say "article"
    bare = _NAMES_DOCUMENT.sub(lambda kind: kind[0] if content_words(kind[0]) <= titled else " ", subject)
    if not title_names(title, bare):
        return False
    return _NAMES_DOCUMENT.search(subject) is not None or 2 * len(content_words(bare)) > len(titled)


def opening(passage: Passage, count: int = OPENING_SENTENCES) -> tuple[int, int]:
    """The offsets in `passage.text` of its first `count` sentences after any byline or dateline.

    >>> text = "By Lena Okafor, 2 November 2026\\n\\nSummary\\n\\nStarts fell. Loans cost more. Prices rose."
    >>> start, end = opening(Passage("a", "T", "s", "", text, 0, len(text)))
    >>> text[start:end]
    'Starts fell. Loans cost more.'
    """
    skip = dateline_end(passage.text)
    spans = [span for span in split_sentences(passage.text) if span.start >= skip
             and re.search(r"[.!?…][\"'’”)]*$", passage.text[span.start:span.end])][:count]  # headings: no stop
    if not spans:
        return 0, 0
    return spans[0].start, spans[-1].end


def _described(record: Any) -> str:
    """An article's title with its outlet and date: “Title” (Outlet, 4 March 2026)."""
    about = [part for part in (record.source if "/" not in record.source else "",
                               long_date(record.published) if record.published[:10] else "") if part]
    return f"“{record.title}”" + (f" ({', '.join(about)})" if about else "")


def _citation(number: int, passage: Passage, quoted: bool = False) -> Citation:
    start, end = opening(passage, OPENING_SENTENCES if quoted else 1)
    return Citation(number, passage, passage.text[start:end], start, end, 1.0, ((start, end),) if end else ())


def _article_hits(hits: Sequence[Hit]) -> list[tuple[str, float, Passage]]:
    """(article id, score, passage) of each article the hits hold, its best first, each article once."""
    found: dict[str, tuple[str, float, Passage]] = {}
    for hit in hits:
        for passage in (hit.passage, *hit.same_story):
            if passage.article_id not in found:
                found[passage.article_id] = (passage.article_id, hit.score, passage)
    return list(found.values())


def document_answer(question: str, history: Sequence[tuple[str, str]], search: Search,
                    articles: Mapping[str, Any]) -> Answer | None:
    """The answer to a question about the articles themselves (`document_question`), from their records
    (`articles`: id -> a record with title, author, source and published), or None when it asks something else or
    the index does not know (no author, no date, no article whose title the question names)."""
    asked = document_question(question)
    if asked is None:
        return None
    if asked.kind == "works":
        return _works(question, asked.subject, search, articles)
    subject = asked.subject
    if not subject:  # "Who wrote it?": the article the conversation was about
        if not history:
            return None
        subject = " ".join(history[-1])
    found = _article_hits(search(subject))
    if not found:
        return None
    if asked.kind == "date":
        return _date(question, asked.subject, found, articles)
    if asked.kind == "corrected":
        return _corrected(question, subject, found, articles)
    if asked.kind == "reported":
        return _reported(question, asked, found, articles)
    return _authors(question, subject, found, articles, several=bool(asked.subject))


def _authors(question: str, topic: str, found: Sequence[tuple[str, float, Passage]], articles: Mapping[str, Any],
             several: bool) -> Answer | None:
    best = found[0][1]
    wanted = content_words(topic)

    def titled(record: Any) -> int:  # an article whose title names the topic is about it, more than one quoting it
        return len(wanted & content_words(record.title))

    candidates = [(record, score, passage) for article_id, score, passage in found
                  if (record := articles.get(article_id)) is not None
                  and (score >= AUTHOR_SHARE * best or 2 * titled(record) >= len(wanted) > 0)]
    candidates.sort(key=lambda item: (-titled(item[0]), -item[1]))
    chosen = candidates[:MOST_AUTHORS if several else 1]
    if not chosen or not chosen[0][0].author:
        return None  # the best-matching article names no author: the text may say who wrote what it talks about
    by_author: dict[str, list[str]] = {}
    citations: list[Citation] = []
    for record, _, passage in chosen:
        if record.author:
            citations.append(_citation(len(citations) + 1, passage))
            by_author.setdefault(record.author, []).append(f"{_described(record)} [{len(citations)}]")
    text = " ".join(f"{author} wrote {' and '.join(works)}." for author, works in by_author.items())
    return Answer(question, text, tuple(citations), search_query=question)


def _date(question: str, subject: str, found: Sequence[tuple[str, float, Passage]],
          articles: Mapping[str, Any]) -> Answer | None:
    for article_id, _, passage in found:
        record = articles.get(article_id)
        if record is not None and record.published[:10] and (not subject or names_document(subject, record.title)):
            text = f"{_described(record).split(' (')[0]} was published on {long_date(record.published)} [1]."
            return Answer(question, text, (_citation(1, passage),), search_query=question)
        if not subject:
            return None  # "When was it published?": the conversation's article only
    return None


def about_topic(topic: str, passage: Passage) -> bool:
    """Whether a passage (title and text) holds at least half the words of the topic a question names.

    >>> about_topic("the error about the youth jobless rate", Passage("a", "Correction: youth jobless figure", "a",
    ...             "", "We wrongly said the rate was 21 percent.", 0, 40))
    True
    """
    wanted = content_words(topic)
    return bool(wanted) and 2 * len(wanted & content_words(f"{passage.title} {passage.text}")) >= len(wanted)


def _corrected(question: str, topic: str, found: Sequence[tuple[str, float, Passage]],
               articles: Mapping[str, Any]) -> Answer | None:
    """"When was the error about X corrected?": the date of the correction about X the search finds (an article
    titled as a correction), not the date the erring report gives."""
    for article_id, _, passage in found:
        record = articles.get(article_id)
        if (record is not None and record.published[:10] and _CORRECTION_TITLE.search(record.title)
                and about_topic(topic, passage)):
            text = f"It was corrected on {long_date(record.published)}, in {_described(record).split(' (')[0]}"
            outlet = record.source if "/" not in record.source else ""
            text += f" ({outlet}) [1]." if outlet else " [1]."
            return Answer(question, text, (_citation(1, passage),), search_query=question)
    return None


def _reported(question: str, asked: DocumentQuestion, found: Sequence[tuple[str, float, Passage]],
              articles: Mapping[str, Any]) -> Answer | None:
    """When the outlet reported the subject: the date of its best-matching article about it (its first, when the
    question asks for its first report), of those matching as well as `AUTHOR_SHARE` of the best found; None when
    the outlet named is none of the found articles' sources (a person: "When did Marsh report…?") or none of its
    articles is about the subject."""
    outlet = outlet_in(asked.outlet, [passage.source for _, _, passage in found])
    best = found[0][1]  # about the subject as much as the best found article (not the outlet's ferry timetable)
    reports = [(record, score, passage) for article_id, score, passage in found
               if passage.source == outlet and score >= AUTHOR_SHARE * best
               and (record := articles.get(article_id)) is not None and record.published[:10]]
    if not outlet or not reports:
        return None
    if asked.first:
        reports.sort(key=lambda report: report[0].published[:10])
    record, _, passage = reports[0]
    said = "first reported" if asked.first else "reported"
    text = f"{outlet} {said} it on {long_date(record.published)}, in “{record.title}” [1]."
    return Answer(question, text, (_citation(1, passage),), search_query=question)


def _works(question: str, name: str, search: Search, articles: Mapping[str, Any]) -> Answer | None:
    records = sorted((record for record in articles.values() if record.author and same_author(name, record.author)),
                     key=lambda record: (record.published[:10], record.title), reverse=True)[:MOST_WORKS]
    lines: list[str] = []
    citations: list[Citation] = []
    for record in records:
        passages = sorted((passage for _, _, passage in _article_hits(search(record.title))
                           if passage.article_id == record.id), key=lambda passage: passage.start)
        if not passages:
            continue
        cited = _citation(len(citations) + 1, passages[0], quoted=True)
        citations.append(cited)
        said = f": “{' '.join(cited.quote.split())}”" if cited.quote else ""
        lines.append(f"{record.author} wrote {_described(record)}{said} [{cited.number}].")
    if not lines:
        return None
    return Answer(question, "\n\n".join(lines), tuple(citations), search_query=question)


_WHO_OPINES = re.compile(r"^\s*" + FOLLOW_ON + r"who\s+(?:has\s+|have\s+|had\s+)?(?P<verb>critici[sz]ed|"
                         r"opposed|attacked|condemned|slammed|objected\s+to|argued\s+(?:against|for)|praised|"
                         r"defended|backed|championed|called\s+for|complained\s+about|questioned)\b", re.IGNORECASE)
"""A who-question asking who voiced a view ("Who criticised it?"), which an opinion piece voices in its author's own
words, naming no one."""
_BYLINE_NAME = re.compile(r"[ \t]*By\s+(?P<name>[A-Z][\w.'’-]*(?:\s+[A-Z][\w.'’-]*){0,3}?)[ \t]*(?:[-–—,.]|\n|$)")
_ATTRIBUTED = re.compile(r"\b(?:said|says|say|told|according\s+to|argued|argues|wrote|writes|claimed|claims)\b|[\"“”]",
                         re.IGNORECASE)
"""A sentence giving a view as someone's ("…, the residents' group said"): not its author's own."""

_OPINION_SOURCE = re.compile(r"\b(?:opinion|comment|commentary|column|editorial|op-ed|viewpoint|letters?)\b",
                             re.IGNORECASE)
"""A title or outlet naming an opinion piece ("Opinion: …", "Eastmere Voice Comment")."""
_OWN_VOICE = re.compile(r"\b(?:I|[Ww]e|[Mm]y|[Oo]ur|us|[Ss]hould)\b")
"""An author arguing in their own voice: first person, or what ought to be done ("We deserve better", "should");
case kept, so the "US" of a report is no "us"."""
_QUOTED = re.compile(r"[\"“][^\"“”]*[\"”]")
_NAMED_BY = re.compile(r"\b[a-z]+(?:ed|en|wn)\s+by\s+\S", re.IGNORECASE)
"""A sentence naming who did it after a participle ("backed by the city's two football clubs"): a report's."""

OPINION_REACH = 2
"""Evidence sentences searched, best first, for one that voices a view in its author's own words."""


def byline_name(text: str) -> tuple[int, int] | None:
    """Where the author's name of a byline opening an article's text stands ("By Jane Roe", maybe after the
    dateline), or None.

    >>> text = "EASTMERE, 10 May 2026 (Eastmere Voice) - By Jane Roe\\nThe plan is a mistake."
    >>> text[slice(*byline_name(text))], byline_name("By Tuesday the fire was out.")
    ('Jane Roe', None)
    """
    for start in dict.fromkeys((0, dateline_end(text))):
        match = _BYLINE_NAME.match(text, start)
        if match is not None and not re.match(r"(?:Monday|Tuesday|Wednesday|Thursday|Friday|Saturday|Sunday|"
                                              r"January|February|March|April|May|June|July|August|September|"
                                              r"October|November|December|Then|Now|The)\b", match.group("name")):
            return match.span("name")
    return None


def is_opinion_piece(passage: Passage) -> bool:
    """Whether a passage is of an opinion piece: its title or outlet says so (`_OPINION_SOURCE`), or its author
    argues in their own voice outside quotes (`_OWN_VOICE`: "I", "we", "should"). A news report with a byline is
    not one (a reporter's first person is rare outside quotes).

    >>> report = "By Jane Roe\\nThe council approved the stadium. “We are delighted,” the mayor said."
    >>> is_opinion_piece(Passage("a", "Stadium approved", "s", "", report, 0, len(report)))
    False
    >>> piece = "By Jane Roe\\nThe ring road plan is a mistake. We deserve better."
    >>> is_opinion_piece(Passage("a", "The ring road", "s", "", piece, 0, len(piece)))
    True
    >>> is_opinion_piece(Passage("a", "Opinion: the ring road", "s", "", report, 0, len(report)))
    True
    """
    outlet = "" if re.search(r"[/\\]|\.\w{1,5}$", passage.source) else passage.source  # not a file's path
    if _OPINION_SOURCE.search(passage.title) or _OPINION_SOURCE.search(outlet):
        return True
    return _OWN_VOICE.search(_QUOTED.sub(" ", passage.text)) is not None


def _after_byline(passage: Passage, sentence: Sentence) -> str:
    """An evidence sentence's text after any byline it holds ("By Jane Roe" is no one's "by")."""
    text = passage.text[sentence.start:sentence.end]
    named = byline_name(passage.text) if passage.start == 0 else None
    return text[named[1] - sentence.start:] if named is not None and sentence.start < named[1] else text


def opinion_reading(question: str, reading: Reading | None, evidence: Evidence, passages: Sequence[Passage],
                    reader: SpanFinder) -> Reading | None:
    """For "Who criticised it?" (`_WHO_OPINES`), the reading moved to the byline's author ("By Jane Roe") of the
    article whose sentence, of the first `OPINION_REACH` evidence sentences, voices the view in its own words
    (`_ATTRIBUTED`: no one said it), when the reading's sentence does not say the question's verb: an opinion piece
    criticises in its author's voice, and names no critic. Only an opinion piece's (`is_opinion_piece`: so titled or
    sourced, or in the first person, or saying what "should" be done), and never when one of those sentences names
    who did it after a participle (`_NAMED_BY`: "backed by the city's two football clubs"): a news report's byline
    names its reporter, not a critic. The author's name is read where the byline stands, in
    the article's opening sentence (a rule's reading: `rag.answer.reader.ruled_reading`). Kept otherwise (a report
    naming its critic: "Councillor Ann Bell criticised the plan")."""
    match = _WHO_OPINES.match(question)
    if match is None or (reading is not None and reading.ruled) or len(evidence.parts) != 1 or not evidence.ranked:
        return reading
    stem = match.group("verb").split()[0][:6].lower()
    if reading is not None:
        own = passages[reading.passage_index].text[reading.sentence_start:reading.sentence_end]
        if stem in own.lower():
            return reading  # the report names who did it with the question's own verb
    best = evidence.ranked[0][:OPINION_REACH]
    if any(_NAMED_BY.search(_after_byline(passages[sentence.passage_index], sentence)) for sentence in best):
        return reading  # "The plan was backed by the city's two football clubs": a report names who did it
    for sentence in best:
        passage = passages[sentence.passage_index]
        named = byline_name(passage.text) if passage.start == 0 else None
        if (named is None or _ATTRIBUTED.search(_after_byline(passage, sentence))
                or not is_opinion_piece(passage)):
            continue
        opening = split_sentences(passage.text)[0]
        if not opening.start <= named[0] < opening.end:
            continue
        found = (named[0] - opening.start, named[1] - opening.start)
        return ruled_reading(question, reading, Sentence(sentence.passage_index, opening.start, opening.end,
                                                         sentence.score), passages, found, reader)
    return reading
