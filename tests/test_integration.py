"""End to end with the real bundled models: the sample articles indexed by all-MiniLM-L6-v2 into FAISS,
questions answered by Gemma 3 270M through llama-cpp-python, citations checked against the passages.

The model's greedy words differ from one CPU to another (AVX2 and AVX-512 kernels sum in a different order), so
the tests of its answers assert what the pipeline guarantees for any words (tests/answer_contract.py); where the
words matter, a scripted model writes them, over the same real index, embedder and answer finder.
"""

from __future__ import annotations

import pytest

from rag.answer.assistant import Assistant
from rag.answer.prompts import CANNOT_ANSWER, MISSING_PART_MARK, build_prompt, strip_markers
from rag.ingest.chunk import embedding_text
from rag.records import TextChunk
from rag.store.generations import PassageIndex
from tests.answer_contract import assert_answer_contract, assert_stream_contract, shows, with_a_silent_model
from tests.conftest import SAMPLE_ARTICLES, ScriptedLLM

pytestmark = pytest.mark.slow


def test_bundled_embedder_counts_real_tokens(real_embedder) -> None:  # type: ignore[no-untyped-def]
    assert real_embedder.count_tokens("hello world") == 2
    assert real_embedder.count_tokens("word " * 300) == 300  # no padding or truncation when counting
    vectors = real_embedder.embed(["The footbridge reopened.", "The bridge opened again.", "Dairy revenue rose."])
    assert vectors.shape == (3, 384)
    assert vectors[0] @ vectors[1] > vectors[0] @ vectors[2] + 0.2


def test_sample_index_holds_every_sample_within_the_token_budget(sample_index, real_embedder) -> None:  # type: ignore[no-untyped-def]
    index = PassageIndex.load(sample_index, real_embedder.name, real_embedder.dimension)
    assert len(index.articles) == SAMPLE_ARTICLES
    titles = {record.title for record in index.articles.values()}
    assert any("footbridge" in title.lower() for title in titles)
    budget = index.settings["chunk_tokens"]
    for passage in index.passages:
        assert real_embedder.count_tokens(embedding_text(passage.title, passage.text)) <= budget
    # Passages are real multi-sentence chunks, not single sentences.
    assert len(index.passages) < 4 * len(index.articles)


def test_search_finds_the_article_that_answers(real_assistant: Assistant) -> None:
    hits = real_assistant.search("How many homes had fibre broadband by the end of September 2026?", k=3)
    assert hits[0].passage.source.endswith("broadband-rollout.txt")
    assert any("14,200" in hit.passage.text for hit in hits)
    assert hits[0].score >= hits[1].score >= hits[2].score


def test_bundled_llm_is_a_base_model_that_streams(real_llm) -> None:  # type: ignore[no-untyped-def]
    """Whatever it writes: pieces of text, at most one per token, that end before any stop sequence."""
    assert real_llm.chat is False  # no chat template in the GGUF: completion prompts
    from rag.records import Passage

    passage = Passage("a", "Ferry", "a.txt", "", "The Pine Island ferry has four boats.", 0, 36)
    prompt = build_prompt("How many boats does the Pine Island ferry have?", [passage], chat=False)
    assert prompt.stop, "a base prompt says where its answer ends"
    pieces = list(real_llm.stream(prompt, max_tokens=24))
    assert all(isinstance(piece, str) and piece for piece in pieces), pieces
    assert len(pieces) <= 24, "streamed token by token, never past max_tokens"
    text = "".join(pieces)
    assert not [stop for stop in prompt.stop if stop in text], text  # stop sequences end the answer


def test_an_answer_does_not_depend_on_the_question_before_it(real_llm) -> None:  # type: ignore[no-untyped-def]
    """The model keeps its reading of the prompt's fixed head between questions (rag.models.llm): whatever was
    asked before, the same prompt gets the same answer, as from a fresh model. (What the answers say is the
    model's, and differs between CPUs; that one CPU gives one prompt one answer is the pipeline's.)"""
    from rag.records import Passage

    boats = Passage("a", "Ferry", "a.txt", "", "The Pine Island ferry has four boats.", 0, 36)
    ferry = build_prompt("How many boats does the Pine Island ferry have?", [boats], chat=False)
    library = build_prompt("What did the library budget pay for?",
                           [Passage("b", "Library", "b.txt", "", "The 4 million dollar budget paid for a new roof and "
                                    "longer opening hours.", 0, 70)], chat=False)
    assert ferry.head == library.head and ferry.text[:ferry.head] == library.text[:library.head]
    answers = ["".join(real_llm.stream(prompt, max_tokens=24)) for prompt in (ferry, library, library, ferry)]
    assert answers[0] == answers[3] and answers[1] == answers[2], answers


FACTS = [
    ("How many visitors did the 2026 Harbour Lights festival attract?", "41,500", "harbour-lights-festival.html"),
    ("By how much did the surface water of Lake Orwin warm between 1990 and 2025?", "1.4", "lake-orwin-study.md"),
    ("What was the Dunmore Dairy Cooperative's revenue for 2025?", "27.4 million", "vbw-2026-0412"),
]
WRITTEN = {
    "41,500": "The festival drew 41,500 visitors [1].",
    "1.4": "The surface water of Lake Orwin warmed by 1.4 °C [1].",
    "27.4 million": "The Dunmore Dairy Cooperative reported revenue of 27.4 million euros for 2025 [1].",
}
"""What a scripted model writes for each fact: sentences their passages back."""


@pytest.mark.parametrize("question, fact, source", FACTS)
def test_answer_cites_the_passage_holding_the_fact(real_assistant: Assistant, question: str, fact: str,
                                                   source: str) -> None:
    """Whatever the model writes, the answer is checked and cited, and the fact is shown: in the answer, or in
    the passage's sentences quoted beside it. The evidence (found without the model) holds the fact; a base
    model's every sentence must cite the passage it comes from, whose citation quotes it, and when no sentence
    passes, the evidence itself is quoted."""
    floor = with_a_silent_model(real_assistant).ask(question)
    assert not floor.refused and fact in floor.text, f"the evidence alone must answer: {floor}"
    answer = real_assistant.ask(question)
    assert_answer_contract(answer)
    assert not answer.refused, answer
    assert shows(answer, [fact]), answer
    cited = [citation.passage for citation in answer.citations]
    assert any(fact in passage.text for passage in cited), answer
    assert any(source in passage.article_id for passage in cited), answer


@pytest.mark.parametrize("question, fact, source", FACTS)
def test_a_supported_sentence_is_shown_as_written_and_cited(real_assistant: Assistant, question: str, fact: str,
                                                            source: str) -> None:
    """The words pinned (a scripted model), everything else real: a sentence the passage backs is the answer, with
    its marker renumbered to the passage it cites; an unsupported one after it never shows."""
    written = WRITTEN[fact]
    llm = ScriptedLLM(f"{written} It was the largest figure on record in the whole of Europe [1].")
    scripted = Assistant(real_assistant.retriever, llm, real_assistant.settings, real_assistant.finder)
    pieces = list(scripted.stream(question))
    answer = assert_stream_contract(pieces)
    assert answer.text == written and answer.model_text == llm.replies[0], answer
    [citation] = answer.citations
    assert source in citation.passage.article_id and fact in citation.passage.text
    assert [event.text for event in pieces if isinstance(event, TextChunk)] == [written], \
        "only the checked sentence streamed"


@pytest.mark.parametrize("question, wrong_kind", [
    ("How many people came to the harbour lights festival?", "fourth"),  # an ordinal, not a count
    ("Who found the comet?", "lenn valley"),  # a place, not a person
])
def test_the_span_answer_is_of_the_kind_asked_for(real_assistant: Assistant, question: str, wrong_kind: str) -> None:
    """The reader's best span was "fourth" of "The fourth Harbour Lights festival … drew 41,500 visitors", and "the
    Lenn Valley" of "… a new comet, the first found from the Lenn Valley": answered "Fourth [1]." and "Lenn Valley
    [1]."; a span of another kind than the question asks for is not read."""
    found = real_assistant.read(question)
    assert found is None or wrong_kind not in found.reading.span.text.lower(), found
    answer = real_assistant.ask(question)
    assert_answer_contract(answer)
    assert not strip_markers(answer.text).lower().startswith(wrong_kind), answer


def test_the_span_is_read_in_the_sentence_likeliest_to_answer(real_assistant: Assistant) -> None:
    """"How many buoys did the team anchor?" was answered "Four" (of "The team plans to add four more buoys", a
    sentence the finder scores low) over "12" (of "… 12 monitoring buoys that the team anchored", its best): the
    reader's chance alone chose between the two sentences; now its chance times the sentence's score."""
    found = real_assistant.read("How many buoys did the team anchor?")
    assert found is not None and "12" in found.reading.span.text, found


def test_a_two_hop_question_whose_second_hop_is_not_in_the_articles_says_so(real_assistant: Assistant) -> None:
    """The sample articles name the club that won the men's eight but not who heads it: the answer was "Priya
    Sandhu [1].", the winner of another race (the one-hop answer to a who-question); now the club is said, and the
    second hop named as missing."""
    answer = real_assistant.ask("Who is the head of the club that won the men's eight?")
    assert_answer_contract(answer)
    assert "Priya Sandhu" not in answer.text, answer
    assert answer.refused or ("Maplewood Rowing" in answer.text and MISSING_PART_MARK in answer.text), answer


@pytest.mark.parametrize("question", [
    "What is the capital of France?",
    "How much did the Harbour Lights festival cost in 2025?",
])
def test_questions_the_articles_do_not_answer_are_refused(real_assistant: Assistant, question: str) -> None:
    """Refused before the model is asked (nothing it could write changes that)."""
    assert real_assistant.prompt(question) is None
    answer = real_assistant.ask(question)
    assert answer.refused and answer.model_text == "", answer
    assert answer.text == CANNOT_ANSWER and answer.citations == ()


def test_stream_ends_with_the_checked_answer(real_assistant: Assistant) -> None:
    """Only checked sentences reach the screen: what streamed is the checked answer (then nothing, or quoted
    evidence), never the model's draft."""
    answer = assert_stream_contract(list(real_assistant.stream(
        "How many visitors did the Harbour Lights festival attract?")))
    assert not answer.refused and shows(answer, ["41,500"]), answer


def test_the_readme_python_example_runs_as_written(sample_index) -> None:  # type: ignore[no-untyped-def]
    """README.md's Python section, run on the sample index: every answer it prints is whole, a quoted or refused one
    too (which comes as the `Answer` alone, no text chunk: printing the chunks alone printed an empty line)."""
    import contextlib
    import io
    import re

    from tests.conftest import PROJECT

    readme = (PROJECT / "README.md").read_text("utf-8")
    section = readme[readme.index("### Python"):]
    code = re.search(r"```python\n(.*?)```", section, re.DOTALL)
    assert code is not None and 'Assistant.load("index/"' in code.group(1)
    printed = io.StringIO()
    names: dict = {}
    with contextlib.redirect_stdout(printed):
        exec(code.group(1).replace('"index/"', repr(str(sample_index))), names)  # the project's own README
    last = names["event"]
    assert type(last).__name__ == "Answer" and last.text
    assert last.text in printed.getvalue()  # the streamed chunks and what they left unsaid, printed together
    assert names["answer"].text in printed.getvalue() and names["follow_up"].text
