"""What every answer must satisfy whatever the language model wrote: the checks of tests that run the real bundled
model.

The bundled Gemma 3 270M writes different greedy words on different CPUs (AVX2 and AVX-512 kernels sum in a
different order), so no test may assert its words, or anything that holds only if it happens to write a particular
thing. What the pipeline guarantees for any text the model writes is checked here instead: every `[n]` marker is a
returned citation and every citation is marked, every quote is the words of its passage, every sentence shown was
checked (it cites a passage that holds its numbers) or is quoted evidence, a refusal is the one phrase with no
sources, and only checked sentences stream.

`with_a_silent_model` gives the floor under any answer: the same assistant with a model that writes nothing, so that
its answers are the evidence the pipeline quotes when the model's sentences fail their checks. For a base model (the
bundled one) an answer is never worse than that floor: when the floor answers, so does any model, and the sentence
the floor quotes is shown beside any answer (in the text, or quoted by the citation of the passage it comes from,
which every sentence of a base model's answer must cite).
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from typing import Any

from rag.answer.assistant import Assistant
from rag.answer.prompts import CANNOT_ANSWER, MISSING_PART_MARK, parse_markers, strip_markers
from rag.evaluate import contains_answer, shown_text
from rag.records import Answer, Drafting, TextChunk, Waiting
from rag.text import content_words, is_number, split_sentences
from tests.conftest import ScriptedLLM

QUOTED_OPENING = "the articles say: "
"""How an answer made of quoted evidence starts (rag.answer.cite.quoted_answer), after any "As of" date."""
MISSING = re.compile(re.escape(MISSING_PART_MARK) + r': "[^"]*"')
"""A sentence naming a part of the question the articles do not answer (rag.answer.prompts.MISSING_PART): no claim."""
AS_OF = re.compile(r"As of \d{1,2} [A-Z][a-z]+ \d{4}, ")
"""The date an answer about how things stand opens with (rag.answer.timeframe.with_as_of): no claim of the model's."""
WEEKDAY_DATES = re.compile(r" \((?:(?:last |next |this )?[A-Z][a-z]+day: \d{1,2} [A-Z][a-z]+ \d{4}(?:; )?)+\)")
"""The dates of a quote's weekdays said after it (rag.answer.timeframe.weekday_dates): no claim of the model's."""


def assert_answer_contract(answer: Answer | Mapping[str, Any]) -> None:
    """Fail unless `answer` (an `Answer`, or its JSON as the CLI and the HTTP API give it) keeps the pipeline's
    promises, which hold for any text the model writes."""
    data = answer.to_dict() if isinstance(answer, Answer) else dict(answer)
    text, citations = data["answer"], data["citations"]
    if data["refused"]:
        assert text == CANNOT_ANSWER and citations == [], data
        return
    assert citations, f"an answer without sources: {data}"
    numbers = [citation["number"] for citation in citations]
    assert numbers == list(range(1, len(numbers) + 1)), numbers
    marked = {number for marker in parse_markers(text) for number in marker.numbers}
    assert marked == set(numbers), f"markers {sorted(marked)} against citations {numbers}: {text!r}"
    by_number = {citation["number"]: citation for citation in citations}
    for citation in citations:
        words = " ".join(citation["text"].split())
        quoted = citation["text"][citation["quote_start"]:citation["quote_end"]]
        assert citation["quote"] and citation["quote"] == " ".join(quoted.split()), citation
        assert all(quote and quote in words for quote in citation["quotes"]), citation

    body = WEEKDAY_DATES.sub("", MISSING.sub("", AS_OF.sub("", text, count=1)))
    opening = body.lower().find(QUOTED_OPENING)
    written, quotes = (body, "") if opening < 0 else (body[:opening], body[opening + len(QUOTED_OPENING):])
    asked = content_words(f"{data.get('question') or ''} {data.get('search_query') or ''}")
    for span in split_sentences(written):
        sentence = written[span.start:span.end]
        cited = [number for marker in parse_markers(sentence) for number in marker.numbers]
        assert cited, f"a sentence shown without its check's citation: {sentence!r} in {text!r}"
        backing = content_words(" ".join(f"{by_number[number]['title']} {by_number[number]['text']}"
                                         for number in cited))
        unbacked = {word for word in content_words(strip_markers(sentence)) - asked if is_number(word)} - backing
        assert not unbacked, f"numbers {sorted(unbacked)} that no cited passage holds: {sentence!r}"
    if quotes:
        assert quotes.startswith('"'), text
        pieces = re.split(r'" \[(\d+)\](?: "|$)', quotes[1:])
        assert pieces[-1] == "" and len(pieces) >= 3, f"not quoted evidence: {quotes!r}"
        for quote, number in zip(pieces[0:-1:2], pieces[1:-1:2], strict=True):
            assert quote in " ".join(by_number[int(number)]["text"].split()), (quote, by_number[int(number)])


def assert_stream_contract(pieces: Sequence[Any]) -> Answer:
    """Fail unless a stream (`Assistant.stream`) showed only checked sentences: a drafting state before the first,
    then the sentences of the final answer (followed, in it, only by quoted evidence), or none at all when the
    answer is quoted evidence or the refusal. Returns the final answer, whose contract it checks too."""
    answer = pieces[-1]
    assert isinstance(answer, Answer), pieces
    before = list(pieces[:-1])
    assert all(isinstance(event, Waiting | Drafting | TextChunk) for event in before), before
    drafting = [position for position, event in enumerate(before) if isinstance(event, Drafting)]
    sentences = [(position, event.text) for position, event in enumerate(before) if isinstance(event, TextChunk)]
    waiting = [position for position, event in enumerate(before) if isinstance(event, Waiting)]
    assert len(drafting) <= 1, before
    assert all(text for _, text in sentences), "no empty text chunk"
    assert not drafting or all(position < drafting[0] for position in waiting), "the place in line comes first"
    streamed = "".join(sentence for _, sentence in sentences)
    if sentences:
        assert drafting and drafting[0] < sentences[0][0], "a drafting state comes before the first sentence"
        assert answer.text == streamed or answer.text.lower().startswith(streamed.lower() + " " + QUOTED_OPENING), \
            (streamed, answer.text)
    else:
        assert answer.refused or AS_OF.sub("", answer.text, count=1).lower().startswith(QUOTED_OPENING), answer
    assert_answer_contract(answer)
    return answer


def shows(answer: Answer | Mapping[str, Any], facts: Sequence[str]) -> bool:
    """Whether the reader is shown one of `facts`: in the answer, or in the sentences its citations quote beside it."""
    if isinstance(answer, Answer):
        return contains_answer(shown_text(answer), facts)
    quoted = [quote for citation in answer["citations"] for quote in citation["quotes"]]
    return contains_answer(" ".join([answer["answer"], *quoted]), facts)


def with_a_silent_model(assistant: Assistant, chat: bool = False) -> Assistant:
    """`assistant`'s retrieval, settings and answer finder with a model that writes nothing: its answers are the
    evidence the pipeline falls back on (or the refusal), the floor under any base model's answer."""
    return Assistant(assistant.retriever, ScriptedLLM("", chat=chat), assistant.settings, assistant.finder)
