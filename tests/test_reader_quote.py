"""Which evidence sentence a quoted answer quotes when the reader has a say (`Assistant._reader_quote`): the
likeliest of the best five instead of a story's opening sentence, across passages only when much likelier, and,
when the best sentence cannot be quoted at all, the one the reader finds an answer in. Fake embedder, scripted
model, a reader with set chances, a tagger that knows these passages' entities."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

from rag.answer.assistant import Assistant
from rag.answer.evidence import WordOverlap
from rag.answer.retrieve import Retriever
from rag.ingest.chunk import embedding_text
from rag.models.entities import PhraseTagger
from rag.records import Passage
from rag.settings import Settings
from rag.store.generations import PassageIndex
from tests.conftest import FakeEmbedder, ScriptedLLM
from tests.test_ages import VOTE
from tests.test_assistant import build
from tests.test_span_reader import SpansReader


def asker(folder: Path, articles: dict[str, tuple[str, str]], entities: dict[str, str] | None = None
          ) -> Callable[..., str]:
    """`ask(question, chances, **settings)`: the answer over `articles` (indexed once, in `folder`) of an assistant
    whose reader finds each of `chances`' answers with its chance, whose tagger knows `entities` (None: the bundled
    one), and whose model does not know (so that what answers is a quote, or the refusal)."""
    embedder = FakeEmbedder()
    build(folder, embedder, articles)
    retriever = Retriever.load(folder, embedder)

    def ask(question: str, chances: dict[str, float], **settings: Any) -> str:
        assistant = Assistant(retriever, ScriptedLLM("I don't know."), Settings(index=str(folder), k=3, **settings),
                              WordOverlap(retriever.term_weights), PhraseTagger(entities) if entities else None,
                              reader=SpansReader(chances))
        return assistant.ask(question).text

    return ask


NEIGHBOUR = {
    **VOTE,
    "lorne": ("Lorne follows Velmora",
              "Lorne council passed its own car ban by 40 votes to 2."),
}


def test_the_quote_moves_to_another_passage_only_when_it_is_much_likelier(tmp_path: Path) -> None:
    ask = asker(tmp_path, NEIGHBOUR)
    # a margin asked is the count of the story's own vote (`tally_reading`), never the next story's
    margin = ask("What was the margin of the Velmora council vote on the car ban?", {"on Tuesday": 0.2})
    assert "31 votes to 24" in margin and "40 votes to 2" not in margin, margin
    question = "What was the outcome of the Velmora council vote on the car ban?"
    # the opening's reading is 0.2 likely: another story's 0.3 is not enough to quote it, 0.5 is
    assert "VELMORA, Oct 14" in ask(question, {"on Tuesday": 0.2, "40 votes to 2": 0.3})
    assert "40 votes to 2" in ask(question, {"on Tuesday": 0.2, "40 votes to 2": 0.5})
    # within the opening's own passage, any likelier sentence is quoted
    assert "31 votes to 24" in ask(question, {"on Tuesday": 0.2, "31 votes to 24": 0.25})


METRO = {
    "metro": ("Signal failure strands Kestrin Metro commuters",
              "KESTRIN, Feb. 19 (Wire) - A signalling failure on the Kestrin Metro stranded commuters for hours. "
              "Officials said the fault came from a software update installed by the signalling system's supplier, "
              "Corvane Rail Systems. Trains ran again by noon."),
}


def test_a_sentence_the_reader_is_sure_of_is_quoted_when_the_best_cannot_be(tmp_path: Path) -> None:
    ask = asker(tmp_path, METRO, {"Corvane Rail Systems": "ORG", "Feb. 19": "DATE"})
    question = "Which company supplies the Kestrin Metro's signalling system?"
    # a span threshold no reading reaches: the model writes, and what it wrote fails the checks; the opening
    # sentence holds every word asked but names no company: it cannot be quoted for "which company"
    assert "Corvane Rail Systems" in ask(question, {"Corvane Rail Systems": 0.5}, span_threshold=0.99)
    # not sure enough (READER_QUOTE_THRESHOLD) to quote another sentence; the quote gate turned off: as before
    # (and no span answering the refusal: span_fallback off)
    assert ask(question, {"Corvane Rail Systems": 0.3}, span_threshold=0.99).startswith("I don't know")
    assert ask(question, {"Corvane Rail Systems": 0.5}, span_threshold=0.99, span_fallback=2.0,
               quote_refusal=0).startswith("I don't")


STAFF = {
    "staff": ("Lumetric chief quits over accounts",
              "KELSO BAY, Nov 18 - The chief executive of Lumetric Systems quit after 86 million euros of staff "
              "bonuses were found in its accounts. Lumetric Systems staff were told on Monday. Lumetric shares fell "
              "sharply. The company employs about 2,600 people in 11 countries."),
}


def test_a_quote_the_reader_finds_no_answer_in_gives_way_to_one_it_is_sure_of(tmp_path: Path) -> None:
    ask = asker(tmp_path, STAFF, {"86 million euros": "MONEY", "about 2,600": "CARDINAL", "11": "CARDINAL"})
    question = "How many staff does Lumetric Systems have?"
    # the opening sentences hold the question's words, and a figure the reader gives 0.05: refused as a quote
    # alone, answered by the sentence further down that the reader is sure of
    assert ask(question, {"86 million euros": 0.05, "about 2,600": 0.5}, span_threshold=0.99) == (
        'The articles say: "The company employs about 2,600 people in 11 countries." [1]')
    assert ask(question, {"86 million euros": 0.05, "about 2,600": 0.3}, span_threshold=0.99).startswith("I don't")


METRO_AGAIN = {
    "metro": ("Signal failure strands Kestrin Metro commuters",
              "KESTRIN, Feb. 19 (Wire) - A signalling failure on the Kestrin Metro stranded commuters for hours. "
              "The Kestrin Metro signalling system had failed twice last year. "
              "Officials blamed a software update installed by the supplier, Corvane Rail Systems."),
}


def test_the_quote_the_reader_chose_is_not_replaced_by_a_less_likely_span(tmp_path: Path) -> None:
    # The reader's span comes from the best two sentences ("Kestrin Metro", no company to the tagger, 0.3: enough to
    # check a model's claim against); the quote, from the third, which the reader is surer of (0.5): it stands.
    ask = asker(tmp_path, METRO_AGAIN, {"Corvane Rail Systems": "ORG"})
    answer = ask("Which company supplies the Kestrin Metro's signalling system?",
                 {"Corvane Rail Systems": 0.5, "Kestrin Metro": 0.3}, span_threshold=0.99)
    assert answer == ('The articles say: "Officials blamed a software update installed by the supplier, Corvane Rail '
                      'Systems." [1]')


GARRISON = (
    "Ohio frontier forts",
    ("To counter the French military presence in the Ohio country, the governor sent Major Hale north.",
     "During the war, no French regular army troops were stationed anywhere in the colony."),
)


def two_passage_asker(folder: Path) -> Callable[..., str]:
    """`ask(question, chances)` over one article cut into two passages (`GARRISON`), as `asker` does."""
    embedder = FakeEmbedder()
    title, (first, second) = GARRISON
    text = f"{first} {second}"
    passages = [Passage("garrison", title, "garrison.txt", "", first, 0, len(first)),
                Passage("garrison", title, "garrison.txt", "", second, len(first) + 1, len(text))]
    index = PassageIndex(embedder.name, embedder.dimension)
    index.add(passages, embedder.embed([embedding_text(p.title, p.text) for p in passages]))
    index.save(folder)
    retriever = Retriever.load(folder, embedder)

    def ask(question: str, chances: dict[str, float]) -> str:
        assistant = Assistant(retriever, ScriptedLLM("I don't know."),
                              Settings(index=str(folder), k=3, span_threshold=0.99),
                              WordOverlap(retriever.term_weights), reader=SpansReader(chances))
        return assistant.ask(question).text

    return ask


def test_the_quote_stays_on_the_best_sentence_when_another_passage_of_its_article_is_only_a_little_likelier(
        tmp_path: Path) -> None:
    # Stop 54 tried moving to the runner-up of the best sentence's article whenever likelier (0.22 against 0.12):
    # one calibration answer gained, two news dev answers lost ("up from 236 last year" left for a quote about
    # visitors). Another passage's sentence must be `QUOTE_ELSEWHERE` times likelier, of the same article or not.
    ask = two_passage_asker(tmp_path)
    question = "What was the French military presence in the Ohio country during the war?"
    assert "Major Hale" in ask(question, {"Major Hale": 0.12, "no French regular army troops": 0.22})
    assert "no French regular army troops" in ask(question, {"Major Hale": 0.1, "no French regular army troops": 0.22})


def test_a_quote_moves_to_another_passage_only_twice_as_likely_and_clearing_the_least_chance() -> None:
    """`quoted_sentence`: another article's sentence 0.55 likely clears a 0.5 bar but is not twice the best's 0.30,
    the best one's runner-up (0.31) neither; a sentence twice as likely moves the quote, if it clears the bar."""
    from rag.answer.assistant import quoted_sentence
    from rag.answer.evidence import Sentence

    passages = [Passage("a", "A", "a.txt", "", "x", 0, 1), Passage("a", "A", "a.txt", "", "y", 2, 3),
                Passage("b", "B", "b.txt", "", "z", 0, 1), Passage("c", "C", "c.txt", "", "w", 0, 1)]
    ranked = (Sentence(0, 0, 1, 0.4), Sentence(1, 0, 1, 0.3), Sentence(3, 0, 1, 0.2), Sentence(2, 0, 1, 0.1))
    chances = (0.30, 0.31, 0.05, 0.55)
    assert quoted_sentence(ranked, chances, passages) is None
    assert quoted_sentence(ranked, chances, passages, at_least=0.5) is None
    assert quoted_sentence(ranked, (0.30, 0.61, 0.05, 0.55), passages, at_least=0.5) == 1
    assert quoted_sentence(ranked, (0.20, 0.41, 0.05, 0.1), passages, at_least=0.5) is None
