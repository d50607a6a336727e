"""End to end with the real bundled models: the sample articles indexed by all-MiniLM-L6-v2 into FAISS,
questions answered by Gemma 3 270M through llama-cpp-python, citations checked against the passages."""

from __future__ import annotations

import pytest

from rag.answer.assistant import Assistant, Drafting
from rag.answer.prompts import CANNOT_ANSWER, build_prompt
from rag.ingest.chunk import embedding_text
from rag.records import Answer
from rag.store.generations import PassageIndex
from tests.conftest import SAMPLE_ARTICLES

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
    assert real_llm.chat is False  # no chat template in the GGUF: completion prompts
    from rag.records import Passage

    passage = Passage("a", "Ferry", "a.txt", "", "The Pine Island ferry has four boats.", 0, 36)
    pieces = list(real_llm.stream(build_prompt("How many boats does the Pine Island ferry have?", [passage],
                                               chat=False), max_tokens=24))
    text = "".join(pieces)
    assert len(pieces) > 1
    assert "four" in text.lower()
    assert "\nQuestion:" not in text  # stop sequences end the answer


def test_an_answer_does_not_depend_on_the_question_before_it(real_llm) -> None:  # type: ignore[no-untyped-def]
    """The model keeps its reading of the prompt's fixed head between questions (rag.models.llm): whatever was
    asked before, the same prompt gets the same answer, as from a fresh model."""
    from rag.records import Passage

    boats = Passage("a", "Ferry", "a.txt", "", "The Pine Island ferry has four boats.", 0, 36)
    ferry = build_prompt("How many boats does the Pine Island ferry have?", [boats], chat=False)
    library = build_prompt("What did the library budget pay for?",
                           [Passage("b", "Library", "b.txt", "", "The 4 million dollar budget paid for a new roof and "
                                    "longer opening hours.", 0, 70)], chat=False)
    assert ferry.head == library.head and ferry.text[:ferry.head] == library.text[:library.head]
    answers = ["".join(real_llm.stream(prompt, max_tokens=24)) for prompt in (ferry, library, library, ferry)]
    assert answers[0] == answers[3] and answers[1] == answers[2]
    assert "four" in answers[0].lower() and answers[0] != answers[1]


@pytest.mark.parametrize("question, fact, source", [
    ("How many visitors did the 2026 Harbour Lights festival attract?", "41,500", "harbour-lights-festival.html"),
    ("By how much did the surface water of Lake Orwin warm between 1990 and 2025?", "1.4", "lake-orwin-study.md"),
    ("What was the Dunmore Dairy Cooperative's revenue for 2025?", "27.4 million", "vbw-2026-0412"),
])
def test_answer_cites_the_passage_holding_the_fact(real_assistant: Assistant, question: str, fact: str,
                                                   source: str) -> None:
    answer = real_assistant.ask(question)
    assert not answer.refused, answer
    assert answer.citations, answer
    cited = [citation.passage for citation in answer.citations]
    assert any(fact in passage.text for passage in cited), answer
    assert any(source in passage.article_id for passage in cited), answer
    for citation in answer.citations:
        assert f"[{citation.number}]" in answer.text
        # Quotes are the passage's words with the source file's hard line breaks folded into spaces.
        quoted = citation.passage.text[citation.quote_start:citation.quote_end]
        assert citation.quote and citation.quote == " ".join(quoted.split())


@pytest.mark.parametrize("question", [
    "What is the capital of France?",
    "How much did the Harbour Lights festival cost in 2025?",
])
def test_questions_the_articles_do_not_answer_are_refused(real_assistant: Assistant, question: str) -> None:
    answer = real_assistant.ask(question)
    assert answer.refused, answer
    assert answer.text == CANNOT_ANSWER and answer.citations == ()


def test_stream_ends_with_the_checked_answer(real_assistant: Assistant) -> None:
    pieces = list(real_assistant.stream("How many visitors did the Harbour Lights festival attract?"))
    assert isinstance(pieces[-1], Answer)
    assert isinstance(pieces[0], Drafting), "the reader sees a drafting state before anything checked"
    shown = [piece for piece in pieces[1:-1] if not isinstance(piece, Drafting)]
    assert all(isinstance(piece, str) for piece in shown)
    # Only checked sentences reach the screen: what streamed is the checked answer, not the model's draft.
    assert " ".join(str(piece).strip() for piece in shown) == pieces[-1].text
