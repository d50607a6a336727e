"""The events of an answer's stream (`rag.records.StreamEvent`): what the assistant yields and in which order, the
generation queue's `Waiting` passed on through it, and each reader (HTTP events, OpenAI chunks) turning every kind
of event into its wire format."""

from __future__ import annotations

import json
import threading
import time
from collections.abc import Iterator
from pathlib import Path

from rag.answer.assistant import Assistant, answer_from
from rag.answer.evidence import WordOverlap
from rag.answer.retrieve import Retriever
from rag.records import Answer, Drafting, Prompt, StreamEvent, TextChunk, Waiting
from rag.serve.openai import completion_chunks
from rag.serve.queue import QueuedLLM
from rag.serve.streaming import ask_events
from rag.settings import Settings
from tests.conftest import FakeEmbedder, ScriptedLLM
from tests.test_assistant import build

FIRST = "The ferry line opened on 3 May [1]."
SECOND = "The line between Harbor Town and Pine Island opened on 3 May [1]."
FERRY_REPLY = f"{FIRST} {SECOND}"
"""Two sentences the checks pass (both backed by the ferry passage): two text chunks."""


def assistant_with(tmp_path: Path, llm: ScriptedLLM | QueuedLLM) -> Assistant:
    embedder = FakeEmbedder()
    build(tmp_path, embedder)
    retriever = Retriever.load(tmp_path, embedder)
    return Assistant(retriever, llm, Settings(index=str(tmp_path), k=3), WordOverlap(retriever.term_weights))


def assert_in_order(events: list[StreamEvent]) -> Answer:
    """Fail unless `events` are: any `Waiting`, one `Drafting` before the first `TextChunk`, the chunks, and exactly
    one `Answer`, last, whose text is the chunks joined. Returns the answer."""
    kinds = [type(event).__name__ for event in events]
    assert kinds.count("Answer") == 1 and isinstance(events[-1], Answer), kinds
    assert kinds.count("Drafting") == 1 and kinds.index("Drafting") < kinds.index("TextChunk"), kinds
    assert all(kind == "Waiting" for kind in kinds[:kinds.index("Drafting")]), kinds
    assert set(kinds[kinds.index("Drafting") + 1:-1]) == {"TextChunk"}, kinds
    assert "".join(event.text for event in events if isinstance(event, TextChunk)) == events[-1].text
    return events[-1]


def test_the_assistant_drafts_then_streams_checked_text_then_one_answer(tmp_path: Path) -> None:
    events = list(assistant_with(tmp_path, ScriptedLLM(FERRY_REPLY)).stream("When did the ferry line open?"))
    answer = assert_in_order(events)
    assert events[1:-1] == [TextChunk(FIRST), TextChunk(" " + SECOND)]
    assert answer.text == FERRY_REPLY and answer_from(events) is answer


def test_a_refusal_decided_without_the_model_is_the_answer_alone(tmp_path: Path) -> None:
    llm = ScriptedLLM(FERRY_REPLY)
    events = list(assistant_with(tmp_path, llm).stream("What is the capital of France?"))
    assert len(events) == 1 and isinstance(events[0], Answer) and events[0].refused and llm.prompts == []


class HeldLLM(ScriptedLLM):
    """A scripted model that writes nothing until `release` is set: the first question holds the queue."""

    def __init__(self, *replies: str) -> None:
        super().__init__(*replies)
        self.release = threading.Event()

    def stream(self, prompt: Prompt, max_tokens: int = 160, temperature: float = 0.0) -> Iterator[str]:
        self.release.wait(timeout=30)
        yield from super().stream(prompt, max_tokens, temperature)


def test_the_queue_says_waiting_through_the_assistant_before_the_model_writes(tmp_path: Path) -> None:
    llm = HeldLLM(FERRY_REPLY)
    queued = QueuedLLM(llm, poll_seconds=0.01)
    try:
        other = threading.Thread(target=lambda: list(queued.stream(Prompt((), "another question", ()))))
        other.start()
        deadline = time.monotonic() + 10
        while queued.status()["running"] != 1 and time.monotonic() < deadline:
            time.sleep(0.01)
        events = assistant_with(tmp_path, queued).stream("When did the ferry line open?")
        first = next(events)  # validated, retrieved, and in line behind the other question
        assert first == Waiting(ahead=1)
        llm.release.set()
        answer = assert_in_order([first, *events])
        assert answer.text == FERRY_REPLY
        other.join(timeout=10)
    finally:
        queued.close()


EVERY_KIND: list[StreamEvent] = [Waiting(2), Waiting(1), Drafting(), TextChunk("The ferry line opened on 3 May [1]."),
              Answer("When?", "The ferry line opened on 3 May [1].")]


def test_api_ask_events_name_every_kind_of_event() -> None:
    sent = list(ask_events(EVERY_KIND[0], iter(EVERY_KIND[1:])))
    events = [(block.split("\n")[0].removeprefix("event: "), json.loads(block.split("\n")[1].removeprefix("data: ")))
              for block in sent]
    assert [name for name, _ in events] == ["queue", "queue", "drafting", "text", "answer"]
    assert events[0][1] == {"ahead": 2} and events[2][1] == {}
    assert events[3][1] == {"text": "The ferry line opened on 3 May [1]."}
    assert events[4][1]["answer"] == "The ferry line opened on 3 May [1]."


def test_openai_chunks_carry_the_text_and_comment_the_rest() -> None:
    sent = list(completion_chunks(EVERY_KIND[0], iter(EVERY_KIND[1:]), "chatcmpl-1", 0, "rag"))
    assert sent[1:4] == [": waiting for the model, 2 ahead\n\n", ": waiting for the model, 1 ahead\n\n",
                         ": drafting\n\n"]
    deltas = [json.loads(line.removeprefix("data: "))["choices"][0]["delta"] for line in (sent[0], sent[4], sent[5])]
    assert deltas == [{"role": "assistant", "content": ""}, {"content": "The ferry line opened on 3 May [1]."}, {}]
    assert sent[-1] == "data: [DONE]\n\n" and len(sent) == 7


def test_openai_chunks_carry_an_answer_no_text_chunk_said() -> None:
    # A refusal decided before the model, and quoted evidence, come as the answer alone: an OpenAI client, which shows
    # only the deltas, would show an empty reply.
    refusal = "I don't know: the indexed articles do not answer this."
    quote = 'The articles say: "The ferry line opened on 3 May." [1]'
    streams: list[list[StreamEvent]] = [[Answer("When?", refusal, refused=True)], [Drafting(), Answer("When?", quote)]]
    for events in streams:
        answer = events[-1]
        assert isinstance(answer, Answer)
        sent = list(completion_chunks(events[0], iter(events[1:]), "chatcmpl-1", 0, "rag"))
        data = [json.loads(line.removeprefix("data: ")) for line in sent if line.startswith("data: {")]
        assert "".join(payload["choices"][0]["delta"].get("content", "") for payload in data) == answer.text
        assert data[-1]["choices"][0]["finish_reason"] == "stop" and data[-1]["answer"] == answer.text


def test_a_stream_without_an_answer_ends_in_an_error_event() -> None:
    sent = list(ask_events(Drafting(), iter([TextChunk("The ferry.")])))
    assert sent[-1].startswith("event: error\n")


LINKED_TEXTS = {
    "actress": ("Elsa Brandt", "Elsa Brandt was an actress and diplomat. In 1974 Brandt was appointed ambassador to "
                "Chile by the president."),
    "film": ("Harbour Nights", "Harbour Nights is a 1951 comedy film. It stars Elsa Brandt as Nora Vale, a teenager "
             "who dreams of the stage."),
}


def test_what_the_answer_adds_after_the_checked_sentences_is_streamed_too(tmp_path: Path) -> None:
    # The actress's passage never names the film: the answer adds the sentence linking the two (rag.answer.links)
    # after the model's checked sentence, and a client reading only the chunks sees it as well.
    embedder = FakeEmbedder()
    build(tmp_path, embedder, LINKED_TEXTS)
    retriever = Retriever.load(tmp_path, embedder)
    llm = ScriptedLLM("In 1974 Brandt was appointed ambassador to Chile [1].")
    assistant = Assistant(retriever, llm, Settings(index=str(tmp_path), k=3, span_threshold=2.0),
                          WordOverlap(retriever.term_weights))
    events = list(assistant.stream("In 1974 which country was the star playing Nora Vale appointed ambassador to?"))
    answer = assert_in_order(events)
    assert {citation.passage.article_id for citation in answer.citations} == {"actress", "film"}, answer
    assert answer.text.endswith('"It stars Elsa Brandt as Nora Vale, a teenager who dreams of the stage." [2]')
