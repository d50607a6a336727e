"""Which evidence sentence a quoted answer quotes when the reader has a say (`Assistant._reader_quote`): the
likeliest of the best five instead of a story's opening sentence, across passages only when much likelier, and,
when the best sentence cannot be quoted at all, the one the reader finds an answer in. Fake embedder, scripted
model, a reader with set chances, a tagger that knows these passages' entities."""

from __future__ import annotations

from pathlib import Path

from rag.answer.assistant import Assistant
from rag.answer.evidence import WordOverlap
from rag.answer.retrieve import Retriever
from rag.models.entities import PhraseTagger
from rag.models.span_reader import Span
from rag.settings import Settings
from tests.conftest import FakeEmbedder, ScriptedLLM
from tests.test_ages import VOTE
from tests.test_assistant import build


class ChancesReader:
    """Finds the first of its answers a sentence holds, each with its own chance; nothing elsewhere."""

    def __init__(self, chances: dict[str, float]) -> None:
        self.chances = chances

    def read(self, question: str, title: str, sentence: str) -> Span:
        for answer, chance in self.chances.items():
            start = sentence.find(answer)
            if start >= 0:
                return Span(answer, start, start + len(answer), chance, 1.0, sentence)
        return Span("", 0, 0, 0.0, -10.0, sentence)


NEIGHBOUR = {
    **VOTE,
    "lorne": ("Lorne follows Velmora",
              "Lorne council passed its own car ban by 40 votes to 2."),
}


def test_the_quote_moves_to_another_passage_only_when_it_is_much_likelier(tmp_path: Path) -> None:
    embedder = FakeEmbedder()
    build(tmp_path, embedder, NEIGHBOUR)
    retriever = Retriever.load(tmp_path, embedder)

    def quote(chances: dict[str, float]) -> str:
        assistant = Assistant(retriever, ScriptedLLM("I don't know."), Settings(index=str(tmp_path), k=3),
                              WordOverlap(retriever.term_weights), reader=ChancesReader(chances))
        return assistant.ask("What was the margin of the Velmora council vote on the car ban?").text

    # the opening's reading is 0.2 likely: another story's 0.3 is not enough to quote it, 0.5 is
    assert "VELMORA, Oct 14" in quote({"on Tuesday": 0.2, "40 votes to 2": 0.3})
    assert "40 votes to 2" in quote({"on Tuesday": 0.2, "40 votes to 2": 0.5})
    # within the opening's own passage, any likelier sentence is quoted
    assert "31 votes to 24" in quote({"on Tuesday": 0.2, "31 votes to 24": 0.25})


METRO = {
    "metro": ("Signal failure strands Kestrin Metro commuters",
              "KESTRIN, Feb. 19 (Wire) - A signalling failure on the Kestrin Metro stranded commuters for hours. "
              "Officials said the fault came from a software update installed by the signalling system's supplier, "
              "Corvane Rail Systems. Trains ran again by noon."),
}


def test_a_sentence_the_reader_finds_an_answer_in_is_quoted_when_the_best_cannot_be(tmp_path: Path) -> None:
    embedder = FakeEmbedder()
    build(tmp_path, embedder, METRO)
    retriever = Retriever.load(tmp_path, embedder)

    def answer(chance: float, quote_refusal: float = 0.2) -> str:
        settings = Settings(index=str(tmp_path), k=3, quote_refusal=quote_refusal)
        assistant = Assistant(retriever, ScriptedLLM("I don't know."), settings, WordOverlap(retriever.term_weights),
                              PhraseTagger({"Corvane Rail Systems": "ORG", "Feb. 19": "DATE"}),
                              reader=ChancesReader({"Corvane Rail Systems": chance}))
        return assistant.ask("Which company supplies the Kestrin Metro's signalling system?").text

    # the opening sentence holds every word asked but names no company: it cannot be quoted for "which company"
    assert "Corvane Rail Systems" in answer(0.3)  # not sure enough to answer with the span alone
    assert answer(0.1).startswith("I don't know")  # the reader is not sure enough for a quote
    assert answer(0.3, quote_refusal=0).startswith("I don't know")  # the quote gate turned off: as before
