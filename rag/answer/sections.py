"""Sections: a report's headings, the section a question asks for, and the heading a question asks which.

A Markdown or plain-text report reaches the index with each heading a paragraph of its own ("Penalties", "3.
Enforcement": `rag.ingest.markdown.markdown_text` keeps a heading's words and drops its marks), so the heading of a
sentence is the last heading line before it in its passage (`heading_before`). `section_reading` (one of the
assistant's reading rules) answers "Which section discusses late filing?" or "Where in the report is late filing
covered?" with the heading (and the report's title) of the section whose sentence says it, that sentence quoted;
and `body_reading` answers "What are the penalties?" or "What does the report say about enforcement?", a question
naming a section by its heading, with that section's first sentences, quoted: the answer finder, trained on
sentences that repeat a question's words, scores a section's body low (its sentences name fines, not "penalties").
"""

from __future__ import annotations

import re
from collections.abc import Collection, Sequence

from rag.answer.evidence import Evidence
from rag.answer.lists import ASKS_LIST, is_heading
from rag.answer.reader import Reading, SpanFinder, whole_reading
from rag.records import Passage
from rag.text import content_words, split_sentences

_DISCUSSES = r"(?:discuss|cover|deal|talk|address|mention|describ|explain|contain|(?:is|are)\s+about)"
_DISCUSSED = r"(?:discussed|covered|dealt|addressed|mentioned|described|explained)"
_REPORT = r"(?:report|document|review|study|paper)"
ASKS_SECTION = re.compile(
    rf"\s*(?:(?:in\s+)?(?:which|what)\s+(?:sections?|parts?\s+of\s+the\s+{_REPORT})\b"
    rf"(?:\s+of\s+(?:the|this|that|its)\s+(?:[\w'’-]+\s+){{0,3}}?{_REPORT}(?:'s|’s)?)?"
    rf"\s+(?:{_DISCUSSES}|(?:is|are|was|were)\s+[\w\s'’-]+?\s+{_DISCUSSED}\b)"
    rf"|where\s+in\s+the\s+{_REPORT}\b)",
    re.IGNORECASE)
"""A question asking which section of a report holds something: "Which section discusses fines?", "In which part of
the report are appeals covered?", "Which section of the energy review covers tariffs?", "Where in the report is
enforcement covered?"; not "Which section of the motorway was closed?" (a section of a thing, not of a report), nor
"Which part of the country is driest?", nor a book's or a law's chapters or sections ("Which chapters of Genesis
describe the flood?", "Which section of the Constitution covers elections?": what is said there is not a heading of
a report but its numbers, "chapters 6-9")."""

SECTION_PLACES = 3
"""The best evidence sentences looked at for their sections: a topic a report takes up in two sections is answered
with both headings."""


def headings(text: str) -> list[tuple[int, int]]:
    """The headings of `text`: lines a paragraph of their own (blank lines around them, or the text's edge) that
    head a section (`is_heading`: a few words ending no sentence), with a paragraph after them.

    >>> text = "Penalties\\n\\nFines reach 5,000 euros.\\n\\n3. Enforcement\\n\\nInspectors visit."
    >>> [text[start:end] for start, end in headings(text)]
    ['Penalties', '3. Enforcement']
    """
    found = []
    for line in re.finditer(r"[^\n]*\S[^\n]*", text):
        alone = (line.start() == 0 or text.endswith("\n\n", 0, line.start())) \
            and text.startswith("\n\n", line.end())
        if alone and is_heading(line.group()):
            found.append((line.start() + len(line.group()) - len(line.group().lstrip()), line.end()))
    return found


def heading_before(text: str, offset: int) -> tuple[int, int] | None:
    """The heading of the section holding `offset` in `text`: the last heading starting at or before it; None when
    the text holds none before it (the passage starts inside a section).

    >>> text = "Penalties\\n\\nFines reach 5,000 euros.\\n\\n3. Enforcement\\n\\nInspectors visit."
    >>> text[slice(*heading_before(text, text.index("Inspectors")))]
    '3. Enforcement'
    >>> heading_before(text[11:], 0) is None
    True
    """
    before = [heading for heading in headings(text) if heading[0] <= offset]
    return before[-1] if before else None


def section_reading(question: str, reading: Reading | None, evidence: Evidence, passages: Sequence[Passage],
                    reader: SpanFinder) -> Reading | None:
    """The reading moved to the section heading a question asking which section (`ASKS_SECTION`) wants: the
    headings of the best evidence sentences (`SECTION_PLACES`) that hold a word of what is asked, said with the
    report's title ('The "Penalties" section of "Data Rules Review"'), the best such sentence quoted. Kept otherwise
    (a sentence under no heading of its passage), and when another rule chose it."""
    if (reading is not None and reading.ruled) or len(evidence.parts) != 1 or not evidence.ranked \
            or ASKS_SECTION.match(question) is None:
        return reading
    topic = content_words(question[ASKS_SECTION.match(question).end():])  # type: ignore[union-attr]
    found: list[tuple[int, int, int, str]] = []  # passage, sentence start and end, heading
    for sentence in evidence.ranked[0][:SECTION_PLACES]:
        passage = passages[sentence.passage_index]
        if not topic & content_words(passage.text[sentence.start:sentence.end]):
            continue
        heading = heading_before(passage.text, sentence.start)
        if heading is None:
            continue
        named = " ".join(passage.text[slice(*heading)].split())
        if found and passages[found[0][0]].article_id != passage.article_id:
            continue  # another report's section: the first report's are the answer
        if named not in (seen for *_, seen in found):
            found.append((sentence.passage_index, sentence.start, sentence.end, named))
    if not found:
        return reading
    passage_index, start, end, _ = found[0]
    names = [f'"{named}"' for *_, named in found]
    title = passages[passage_index].title
    said = (f"The {' and '.join(names)} section{'s' if len(names) > 1 else ''}"
            + (f' of "{title}"' if title else ""))
    return whole_reading(reading, passage_index, passages[passage_index].text, start, end, said)


ASKS_ABOUT = re.compile(
    r"\s*(?:what\s+(?:does|do|did)\s+(?:the|this|that|its|their)\b[\w\s'’-]*?\s(?:say|said|state|find|found)\s+"
    r"(?:about|on)\b|what\s+(?:is|was)\s+(?:said|stated|reported)\s+(?:about|on)\b)",
    re.IGNORECASE)
"""A question asking what a report says of a topic: "What does the report say about enforcement?"."""
_DOCUMENT_WORDS = content_words("report document review study paper article section chapter part say said state "
                                "stated find found reported")
"""Words a question names the report or its asking with, not the section's topic."""
_REPORT_WORDS = content_words("report document review study paper article")
"""Words naming the report: a question saying one may name the report's title too ("What does the Data Retention
review say about enforcement?")."""
_NUMBERING = re.compile(r"^\s*(?:\d+(?:\.\d+)*|[IVXLC]+)[.)]?\s+")
"""A heading's number ("3. Enforcement", "IV. Appeals"): no word a question names the section with."""
BODY_SENTENCES = 3
"""A section's first sentences said as the answer: enough for a short section, a start of a long one."""


def named_section(question: str, text: str, title: str = "") -> tuple[int, int] | None:
    """The body (offsets in `text`: from the heading's next paragraph to the next heading or the text's end) of the
    section of `text` a question names by its heading: the heading's words are all the question's, and the
    question's other words name the report ("the review's penalties"), or its title when the question names the
    report too. None when no heading is named so ("What were the causes of the war?" over "World War I" with a
    "Causes" section: "war" names no report), or its section has no body in `text`.

    >>> text = ("Summary\\n\\nIt found gaps.\\n\\nPenalties\\n\\nFines reach 5,000 euros.\\n\\n"
    ...         "Enforcement\\n\\nInspectors visit.")
    >>> text[slice(*named_section("What are the review's penalties?", text))]
    'Fines reach 5,000 euros.'
    >>> named_section("What are the penalties for speeding?", text) is None
    True
    >>> war = "Causes\\n\\nAn archduke was shot."
    >>> named_section("What were the causes of the war?", war, "World War I") is None
    True
    >>> war[slice(*named_section("What does the World War I article say about causes?", war, "World War I"))]
    'An archduke was shot.'
    >>> numbered = "3. Enforcement\\n\\nWe visit."
    >>> numbered[slice(*named_section("What does the report say about enforcement?", numbered))]
    'We visit.'
    """
    asked = content_words(question)
    topic = asked - _DOCUMENT_WORDS - (content_words(title) if asked & _REPORT_WORDS else set())
    found = headings(text)
    for number, (start, end) in enumerate(found):
        terms = content_words(_NUMBERING.sub("", text[start:end]))
        if not terms or not terms <= topic or topic - terms:
            continue
        body_start = len(text) - len(text[end:].lstrip())
        body_end = found[number + 1][0] if number + 1 < len(found) else len(text)
        body_end = len(text[:body_end].rstrip())
        if body_start < body_end:
            return body_start, body_end
    return None


def body_reading(question: str, reading: Reading | None, evidence: Evidence, passages: Sequence[Passage],
                 reader: SpanFinder, relevant: Collection[int] | None = None) -> Reading | None:
    """The reading moved to the body of the section a question names by its heading (`named_section`), asked as
    "What are the <heading>?" (`ASKS_LIST`) or "What does the report say about <heading>?" (`ASKS_ABOUT`): its
    first sentences (`BODY_SENTENCES`) said and quoted. The passage retrieved first that holds such a section wins,
    among the `relevant` passages' indexes (retrieved at `min_score` or more: all without it). Kept otherwise, and
    when another rule chose it (a section that is a list is answered with its items: `rag.answer.lists.list_reading`).
    """
    if (reading is not None and reading.ruled) or len(evidence.parts) != 1 \
            or not (ASKS_LIST.match(question) or ASKS_ABOUT.match(question)):
        return reading
    for passage_index, passage in enumerate(passages):
        if relevant is not None and passage_index not in relevant:
            continue  # a passage barely like the question: its heading equal to the question's words is chance
        body = named_section(question, passage.text, passage.title)
        if body is None:
            continue
        sentences = [span for span in split_sentences(passage.text[body[0]:body[1]])][:BODY_SENTENCES]
        start, end = body[0] + sentences[0].start, body[0] + sentences[-1].end
        said = " ".join(passage.text[start:end].split())
        return whole_reading(reading, passage_index, passage.text, start, end, said)
    return reading
