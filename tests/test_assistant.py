"""The assistant's logic with a fake embedder and a scripted LLM: refusal paths, citation checking, streaming,
history, validation, and picking up a newer index generation."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np
import pytest

from rag.answer.assistant import Assistant
from rag.answer.evidence import FinderScorer, WordOverlap
from rag.answer.prompts import CANNOT_ANSWER
from rag.answer.retrieve import Retriever
from rag.errors import InvalidRequestError
from rag.ingest.chunk import embedding_text
from rag.models.answer_finder import Candidate, pair_text
from rag.models.embed import Embedder
from rag.records import Answer, Drafting, Passage, TextChunk, Usage
from rag.settings import Settings
from rag.store.generations import PassageIndex
from tests.conftest import FakeEmbedder, ScriptedLLM

TEXTS = {
    "ferry": ("Ferry line", "The ferry line between Harbor Town and Pine Island opened on 3 May with two boats."),
    "library": ("Library budget", "The council approved a budget of 4 million euros for the new library."),
    "storm": ("Autumn storm", "A storm closed the harbour for three days in October."),
}


def build(tmp_path: Path, embedder: Embedder, texts: dict[str, tuple[str, str]] = TEXTS) -> PassageIndex:
    index = PassageIndex(embedder.name, embedder.dimension)
    passages = [Passage(key, title, f"{key}.txt", "", text, 0, len(text)) for key, (title, text) in texts.items()]
    index.add(passages, embedder.embed([embedding_text(p.title, p.text) for p in passages]))
    index.save(tmp_path)
    return index


def make(tmp_path: Path, *replies: str, chat: bool = False, **settings: Any) -> tuple[Assistant, ScriptedLLM]:
    embedder = FakeEmbedder()
    build(tmp_path, embedder)
    llm = ScriptedLLM(*replies, chat=chat)
    retriever = Retriever.load(tmp_path, embedder)
    assistant = Assistant(retriever, llm, Settings(index=str(tmp_path), k=3, **settings),
                          WordOverlap(retriever.term_weights))
    return assistant, llm


def test_answer_cites_the_supporting_passage(tmp_path: Path) -> None:
    assistant, llm = make(tmp_path, "The ferry line opened on 3 May [1].")
    answer = assistant.ask("When did the ferry line open?")
    assert not answer.refused
    assert answer.text == "The ferry line opened on 3 May [1]."
    assert [c.passage.article_id for c in answer.citations] == ["ferry"]
    assert "[1] Ferry line:" in llm.prompts[0].text  # best passage numbered first


def test_uncited_answer_is_attributed(tmp_path: Path) -> None:
    assistant, _ = make(tmp_path, "A budget of 4 million euros.")
    answer = assistant.ask("What budget did the council approve for the library?")
    assert answer.citations and answer.citations[0].passage.article_id == "library"
    assert answer.text.endswith("[1].")


def test_unsupported_answer_falls_back_to_quoted_evidence(tmp_path: Path) -> None:
    assistant, _ = make(tmp_path, "It opened in 1850.")
    answer = assistant.ask("When did the ferry line open?")
    assert answer.text.startswith('The articles say: "The ferry line between Harbor Town')
    assert answer.citations[0].passage.article_id == "ferry"
    assert answer.model_text == "It opened in 1850."


def test_model_refusal_gives_the_fixed_phrase_and_no_sources(tmp_path: Path) -> None:
    assistant, _ = make(tmp_path, "I don't know.", refusal_threshold=0.0)
    answer = assistant.ask("Who painted the lighthouse?")
    assert answer.refused and answer.text == CANNOT_ANSWER and answer.citations == ()


def test_a_chat_models_refusal_stands_even_beside_strong_evidence(tmp_path: Path) -> None:
    assistant, _ = make(tmp_path, "I don't know.", chat=True)
    answer = assistant.ask("When did the ferry line open?")
    assert answer.refused and answer.citations == ()


def test_evidence_of_the_wanted_kind_answers_where_a_base_model_gave_up(tmp_path: Path) -> None:
    assistant, _ = make(tmp_path, "I don't know.")
    answer = assistant.ask("When did the ferry line to Pine Island open?")
    assert not answer.refused and answer.model_text == "I don't know."
    assert answer.text.startswith('The articles say: "The ferry line between Harbor Town')
    assert [c.passage.article_id for c in answer.citations] == ["ferry"]


def test_a_base_models_refusal_stands_when_no_sentence_holds_what_is_asked(tmp_path: Path) -> None:
    assistant, _ = make(tmp_path, "I don't know.")
    answer = assistant.ask("Who proposed the budget for the new library?")
    assert answer.refused and answer.text == CANNOT_ANSWER and answer.citations == ()


def test_unrelated_question_is_refused_without_calling_the_model(tmp_path: Path) -> None:
    assistant, llm = make(tmp_path, "Paris.", min_score=0.5)
    answer = assistant.ask("What is the capital of France?")
    assert answer.refused and llm.prompts == []


def test_stream_yields_events_then_the_answer(tmp_path: Path) -> None:
    assistant, _ = make(tmp_path, "The ferry line opened on 3 May [1].")
    events = list(assistant.stream("When did the ferry line open?"))
    assert events[:-1] == [Drafting(), TextChunk("The ferry line opened on 3 May [1].")]
    assert isinstance(events[-1], Answer) and events[-1].text == "The ferry line opened on 3 May [1]."


def test_history_reaches_the_chat_prompt(tmp_path: Path) -> None:
    assistant, llm = make(tmp_path, "On 3 May [1].", chat=True)
    assistant.ask("And when did it open?", history=[("Tell me about the ferry line", "It links two towns.")])
    contents = [message["content"] for message in llm.prompts[0].messages]
    assert "Tell me about the ferry line" in contents and "It links two towns." in contents


@pytest.mark.parametrize("question", ["", "   ", "x" * 5000])
def test_bad_questions_are_refused_with_a_clear_error(tmp_path: Path, question: str) -> None:
    assistant, _ = make(tmp_path, "unused")
    with pytest.raises(InvalidRequestError, match="empty|limit"):
        assistant.ask(question)


def test_search_picks_up_a_newer_generation(tmp_path: Path) -> None:
    assistant, _ = make(tmp_path, "unused")
    assert assistant.stats()["passages"] == 3
    embedder = assistant.retriever.embedder
    build(tmp_path, embedder, {**TEXTS, "school": ("New school", "A new school opened in Pine Island.")})
    hits = assistant.search("new school Pine Island", k=1)
    assert hits[0].passage.article_id == "school"
    assert assistant.stats()["passages"] == 4


class CountingFinder:
    """A stand-in for the answer finder model (what `FinderScorer` wraps) that counts the (question, sentence)
    pairs it is asked to read: a sentence holding "opened" answers, the rest do not."""

    def __init__(self) -> None:
        self.meta = {"fusion": {"weights": {"finder": 1.0, "overlap": 0.0, "kind": 0.0, "rank": 0.0}, "bias": 0.0}}
        self.pairs: list[tuple[str, str]] = []

    def logits(self, question: str, candidates: Sequence[Candidate]) -> np.ndarray:
        self.pairs += [pair_text(question, candidate) for candidate in candidates]
        return np.array([4.0 if "opened" in candidate.sentence else -4.0 for candidate in candidates])

    def calibrated(self, logits: np.ndarray) -> np.ndarray:
        return np.asarray(1.0 / (1.0 + np.exp(-logits)), dtype=np.float64)


def test_the_finder_reads_each_question_and_sentence_once_per_ask(tmp_path: Path) -> None:
    """The evidence's scores are what quoting and citing use: no pair is read twice (there is no cache to hide
    it), whether the model's answer is cited or the evidence is quoted."""
    for reply in ("The ferry line opened on 3 May [1].", "I am not sure."):
        embedder = FakeEmbedder()
        build(tmp_path, embedder)
        retriever = Retriever.load(tmp_path, embedder)
        counting = CountingFinder()
        assistant = Assistant(retriever, ScriptedLLM(reply), Settings(index=str(tmp_path), k=3),
                              FinderScorer(counting, retriever.term_weights))
        answer = assistant.ask("When did the ferry line open?")
        assert not answer.refused and answer.citations, answer
        assert answer.citations[0].spans  # the quoted sentences come from the evidence's ranking
        assert counting.pairs and len(counting.pairs) == len(set(counting.pairs)), counting.pairs




def test_a_follow_up_is_answered_about_the_previous_turns_subject_or_refused(tmp_path: Path) -> None:
    """The library's budget answers "how many euros" best, but no article names the previous turn (the tower, its
    Ninety years): a follow-up about "it" is refused rather than answered from an unrelated article; one that the
    article naming the previous turn answers is answered from it."""
    assistant, llm = make(tmp_path, "4 million euros [1].", "Two boats [1].", refusal_threshold=0.0)
    costly = assistant.ask("How many euros did it cost?", history=[("How old is the tower?", "Ninety years [1].")])
    assert costly.refused and llm.prompts == []
    boats = assistant.ask("How many boats did it open with?", history=[("When did the Pine Island ferry open?",
                                                                        "On 3 May [1].")])
    assert not boats.refused and [c.passage.article_id for c in boats.citations] == ["ferry"]


def test_a_new_question_without_names_is_not_held_to_the_previous_turn(tmp_path: Path) -> None:
    """"What budget did the council approve?" names nothing, so it is read as continuing the ferry question; it
    leans on no pronoun, though, and the library's article answers it: answered, not refused for naming no ferry."""
    assistant, _ = make(tmp_path, "4 million euros [1].")
    answer = assistant.ask("What budget did the council approve for the library?",
                           history=[("When did the ferry line to Pine Island open?", "On 3 May [1].")])
    assert not answer.refused and [c.passage.article_id for c in answer.citations] == ["library"]


def test_a_follow_ups_quote_must_hold_what_it_newly_asks_about(tmp_path: Path) -> None:
    """The model's claims fail their checks, so the ferry's sentence would be quoted: it answers "how many boats"
    (its words hold "boats") but not "what was its fare" (nothing of a fare): that quote says the previous turn
    again, and is refused."""
    history = [("When did the Pine Island ferry open?", "On 3 May [1].")]
    assistant, _ = make(tmp_path, "Its fare was 9 euros [1].", refusal_threshold=0.0)
    assert assistant.ask("What was its fare?", history=history).refused
    assistant, _ = make(tmp_path, "It had nine boats [1].", refusal_threshold=0.0)
    boats = assistant.ask("How many boats did it open with?", history=history)
    assert not boats.refused and "two boats" in boats.text


def test_a_follow_up_its_resolved_readings_serve_badly_is_searched_again_with_the_previous_question(
        tmp_path: Path) -> None:
    """A follow-up whose resolved readings all refuse (here: a refusal threshold nothing reaches) is searched once more
    with the previous question beside each of them (the two turns' words together); one whose evidence is strong is
    not."""
    history = [("When did the Pine Island ferry open?", "On 3 May [1].")]
    together = "How many boats did the Pine Island ferry open with? (following: When did the Pine Island ferry open?)"
    for threshold, searched_again in ((0.99, True), (0.0, False)):
        assistant, _ = make(tmp_path, "Two boats [1].", refusal_threshold=threshold)
        searched: list[str] = []
        search = assistant.retriever.search_timed

        def spying(query: Any, *arguments: Any, _search: Any = search, _searched: list[str] = searched,
                   **options: Any) -> Any:
            _searched.append(query.search_text)
            return _search(query, *arguments, **options)

        assistant.retriever.search_timed = spying  # type: ignore[method-assign]
        answer = assistant.ask("How many boats did it open with?", history=history)
        assert (together in searched) == searched_again, searched
        assert answer.refused == searched_again


def test_a_question_naming_its_subject_only_by_the_conversation_is_searched_with_its_question(
        tmp_path: Path) -> None:
    """"How many boats did the service start with?" leans on no pronoun and the question before it names nothing,
    so no rule makes it a follow-up, and its own words find nothing above `min_score`: alone it is refused; after a
    question about the ferry line it is searched again with that question beside it, and answered from the ferry's
    article. A question on a new topic the articles do not answer stays refused in the same conversation."""
    history = [("When did the ferry line open?", "On 3 May [1].")]
    question = "How many boats did the service start with?"
    assistant, _ = make(tmp_path, "Two boats [1].", min_score=0.3)
    assert assistant.ask(question).refused
    answer = assistant.ask(question, history=history)
    assert not answer.refused and [c.passage.article_id for c in answer.citations] == ["ferry"]
    assert answer.search_query == f"{question} (following: {history[0][0]})"
    assert assistant.ask("Who painted the lighthouse?", history=history).refused


def indexed(folder: Path, embedder: Embedder, passages: Sequence[Passage]) -> Retriever:
    """A retriever over `passages` (dated ones too: `build` dates none), indexed into `folder`."""
    index = PassageIndex(embedder.name, embedder.dimension)
    index.add(list(passages), embedder.embed([embedding_text(p.title, p.text) for p in passages]))
    index.save(folder)
    return Retriever.load(folder, embedder)


def stories(retriever: Retriever, question: str) -> list[tuple[str, list[str]]]:
    """Each hit's article and the articles grouped under it as the same story."""
    return [(hit.passage.article_id, [other.article_id for other in hit.same_story])
            for hit in retriever.search(question, 3)]


TRAM = {
    "tribune": ("Harwick tram line to Eastgate opens to passengers",
                "The new tram line between Harwick Central and Eastgate opened to passengers on 2 May 2026, two years "
                "behind schedule. The 6.4 kilometre line cost 212 million euros, 40 million more than budgeted. "
                "Transport director Mira Okafor said the line would carry 18,000 passengers a day."),
    "courier": ("Eastgate trams finally running",
                "Trams began running between Harwick Central and Eastgate on 2 May 2026. The 6.4 kilometre line, "
                "which cost 212 million euros, was delayed by two years by a dispute with the main contractor, "
                "Brannock Rail. Transport director Mira Okafor expects 18,000 passengers a day."),
}


def test_a_fact_only_another_outlets_report_gives_is_read(tmp_path: Path, real_embedder: Any) -> None:
    """Retrieval groups the two reports of the opening under one hit; the answer read only the first, and the
    contractor was refused though the second report names it."""
    from tests.test_span_reader import FakeReader

    retriever = indexed(tmp_path, real_embedder, [
        Passage(key, title, outlet, "", text, 0, len(text), published=published)
        for (key, (title, text)), outlet, published in zip(TRAM.items(), ("Harwick Tribune", "Coastal Courier"),
                                                          ("2026-05-04", "2026-05-03"), strict=True)])
    question = "Which firm was the contractor for the new Harwick tram line?"
    # one story, led by the report that does not name the contractor
    assert stories(retriever, question) == [("tribune", ["courier"])]
    # the shipped answer finder: it finds no sentence of the first report answering, so the others are read
    assistant = Assistant(retriever, ScriptedLLM("I don't know."), Settings(index=str(tmp_path), k=3),
                          reader=FakeReader("Brannock Rail", 0.9))
    answer = assistant.ask(question)
    assert answer.text.startswith("Brannock Rail [1]") and answer.citations[0].passage.article_id == "courier"
    # the first report, which never names the contractor, does not stand behind the answer ("reported by")
    assert answer.citations[0].same_story == ()


def test_the_library_refuses_bad_input_with_its_own_error(tmp_path: Path) -> None:
    """An integrator met TypeError, ValueError or nothing at all: as_of as text (which HTTP takes) raised a
    TypeError, history of OpenAI messages was read as pairs of keys, k=0 answered, a hand-built date matched
    nothing, silently."""
    from rag.records import Filters

    assistant, _ = make(tmp_path, "The bridge reopened in May [1].")
    asked = assistant.query("When did the bridge reopen?", as_of="2026-06-01")
    assert asked.as_of is not None and asked.as_of.isoformat() == "2026-06-01"
    for bad, message in ((dict(history=[{"role": "user", "content": "x"}]), r"history\[0\] must be a \(question"),
                         (dict(history=["q"]), r"history\[0\] must be"), (dict(k=0), "k must be a whole number"),
                         (dict(k="3"), "k must be a whole number"), (dict(as_of=20260601), "as_of must be a date"),
                         (dict(filters=Filters(since="soon")), "since must be a date")):
        with pytest.raises(InvalidRequestError, match=message):
            assistant.ask("When did the bridge reopen?", **bad)  # type: ignore[arg-type]
    with pytest.raises(InvalidRequestError, match="k must be a whole number, got '3'"):
        Settings(k="3").validated()  # type: ignore[arg-type]
    with pytest.raises(InvalidRequestError, match="k must be at least 1 and at most 50, got 60"):
        Settings(k=60).validated()  # the chat then failed every question its slider sent
    import datetime

    with pytest.raises(InvalidRequestError, match="as_of must be a date from the year 1000"):
        assistant.ask("What happened last month?", as_of=datetime.date(1, 1, 15))  # an OverflowError


def test_a_quote_saying_on_monday_is_dated(tmp_path: Path) -> None:
    """A span answer "On Monday" was dated ("On Monday, 2 March 2026"); the same day in a quoted sentence was not."""
    text = ("Priya Castell began work as chief executive of Tarn Valley Water on Monday and announced a programme to "
            "replace ageing water mains.")
    retriever = indexed(tmp_path, FakeEmbedder(), [Passage("castell", "Castell starts at Tarn Valley Water",
                                                           "Westbrook Echo", "", text, 0, len(text),
                                                           published="2026-03-04")])
    assistant = Assistant(retriever, ScriptedLLM("I don't know."), Settings(index=str(tmp_path), k=3),
                          WordOverlap(retriever.term_weights))
    answer = assistant.ask("When did Priya Castell begin work as chief executive of Tarn Valley Water?")
    assert answer.text.startswith('The articles say: "Priya Castell began work') and answer.text.endswith(
        "(Monday: 2 March 2026)")


def test_another_report_is_not_read_beside_a_first_report_that_answers(tmp_path: Path, real_embedder: Any) -> None:
    """Read beside a first report that answers, an older report's superseded figure was the answer ("Five" injured,
    revised to six two days later)."""
    from tests.test_span_reader import FakeReader

    reports = {
        "revised": ("Stanway Mills fire: six now injured, police say", "2026-02-16",
                    "Police said on Monday that six people were injured in Saturday's fire at the Stanway Mills "
                    "depot, one more than first reported."),
        "first": ("Fire destroys Stanway Mills depot", "2026-02-14",
                  "A fire destroyed the Stanway Mills depot on Saturday. Five people were injured in the fire, "
                  "police said."),
    }
    retriever = indexed(tmp_path, real_embedder, [
        Passage(key, title, "Dunhallow Herald", "", text, 0, len(text), published=published)
        for key, (title, published, text) in reports.items()])
    question = "How many people were injured in the Stanway Mills fire?"
    assert stories(retriever, question) == [("revised", ["first"])]
    assistant = Assistant(retriever, ScriptedLLM("I don't know."), Settings(index=str(tmp_path), k=3),
                          reader=FakeReader("Five", 0.9))
    answer = assistant.ask(question)
    assert not answer.text.startswith("Five") and all(c.passage.article_id == "revised" for c in answer.citations)


class CountingLLM(ScriptedLLM):
    """A scripted model whose tokenizer counts any prompt (or chat messages) as `PROMPT_TOKENS` tokens and a reply
    as its words: an answer's usage is then known without the code's own sum."""

    def count_tokens(self, text: str) -> int:
        return PROMPT_TOKENS if len(text) > 200 else len(text.split())


PROMPT_TOKENS = 1000
"""What `CountingLLM` counts a prompt as (every prompt of these tests is longer than 200 characters)."""


@pytest.mark.parametrize(("question", "history", "replies", "chat", "usage"), [
    # one call: a prompt, and the reply's 8 words
    ("When did the ferry line open?", [], ["The ferry line opened on 3 May [1]."], False, Usage(1000, 8)),
    # a two-part question: each part's model call counts (8 + 7 words)
    ("When did the ferry line open and what budget did the council approve for the library?", [],
     ["The ferry line opened on 3 May [1].", "A budget of 4 million euros [1]."], False, Usage(2000, 15)),
    # a chat model's rewrite of a follow-up counts beside the answer (6 + 8 words)
    ("And when did it open?", [("Tell me about the ferry line", "It links two towns.")],
     ["When did the ferry line open?", "The ferry line opened on 3 May [1]."], True, Usage(2000, 14)),
])
def test_an_answers_usage_adds_up_every_model_call_made_for_it(tmp_path: Path, question: str,
                                                               history: list[tuple[str, str]], replies: list[str],
                                                               chat: bool, usage: Usage) -> None:
    assistant, llm = make(tmp_path, *replies, chat=chat)
    llm.__class__ = CountingLLM
    answer = assistant.ask(question, history=history)
    assert len(llm.prompts) == len(replies)
    assert all(len(prompt.text or str(prompt.messages)) > 200 for prompt in llm.prompts)
    assert answer.usage == usage and answer.usage.total_tokens == usage.prompt_tokens + usage.completion_tokens


@pytest.mark.parametrize(("reply", "completion"), [("I don't know.", 3), ("The ferry line opened in June [1].", 7)])
def test_a_quote_made_after_a_model_call_counts_the_call(tmp_path: Path, reply: str, completion: int) -> None:
    """Review of stop 60: the usage tests never made a quote after the model had answered (refused, or wrote what
    the checks failed): its call was made and is counted."""
    assistant, llm = make(tmp_path, reply)
    llm.__class__ = CountingLLM
    answer = assistant.ask("When did the ferry line open?")
    assert answer.text.startswith('The articles say: "The ferry line between Harbor Town'), answer.text
    assert len(llm.prompts) == 1 and answer.usage == Usage(PROMPT_TOKENS, completion)


def test_an_answer_made_without_the_model_uses_no_tokens(tmp_path: Path) -> None:
    """A span answer (the reader sure of it, the model there but not called) and a refusal before the model."""
    from tests.test_span_reader import FakeReader

    assistant, llm = make(tmp_path, "The ferry line opened in June [1].")
    llm.__class__ = CountingLLM
    spanned = Assistant(assistant.retriever, llm, assistant.settings, assistant.finder,
                        reader=FakeReader("3 May", 0.95))
    answer = spanned.ask("When did the ferry line open?")
    assert answer.text.startswith("On 3 May [1]") and not llm.prompts and answer.usage == Usage(0, 0)
    answer = assistant.ask("Who painted the lighthouse on the moon?")
    assert answer.refused and not llm.prompts and answer.usage == Usage(0, 0)
