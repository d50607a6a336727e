"""The span reader: the shipped model finds an answer span inside a sentence (offsets that map back into the
text, no answer in an unrelated sentence), its loading errors, and the answer path's use of it with a fake reader
(a confident span answers without the model; a model's claim that leaves the span out is replaced)."""

from __future__ import annotations

import json
import random
import shutil
from pathlib import Path

import pytest

from rag.answer.assistant import Assistant
from rag.answer.evidence import WordOverlap
from rag.answer.prompts import QUOTED_OPENING
from rag.answer.reader import (
    Reading,
    claim_disagrees,
    confident,
    listed,
    named_together,
    read_evidence,
    span_answer,
    widened,
)
from rag.answer.retrieve import Retriever
from rag.errors import ModelError
from rag.models import span_reader
from rag.models.entities import PhraseTagger
from rag.models.span_reader import WEIGHTS, Span, SpanReader, balanced, context_text, load_span_reader
from rag.records import Answer, Passage, Query, TextChunk
from rag.settings import Settings
from rag.thresholds import SPAN_CHECK_THRESHOLD
from tests.conftest import FakeEmbedder, ScriptedLLM
from tests.test_assistant import build
from tests.test_stream_events import assert_in_order

# -- the shipped model ---------------------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def reader() -> SpanReader:
    return load_span_reader()


def test_reader_finds_the_date_in_a_simple_sentence(reader: SpanReader) -> None:
    sentence = "The ferry line between Harbor Town and Pine Island opened on 3 May 1932 with two boats."
    span = reader.read("When did the ferry line open?", "Ferry line", sentence)
    assert span.text and span.text == sentence[span.start:span.end]
    assert "1932" in span.text or "May" in span.text
    assert len(span.text) < len(sentence) / 2  # a span, not the sentence
    assert 0.0 <= span.probability <= 1.0


@pytest.mark.parametrize("preamble", [1, 30, 200])
def test_a_rambling_question_is_read_by_its_end(reader: SpanReader, preamble: int) -> None:
    # 30 sentences before the ask (600 characters, within the 2,000 a question may have) left the tokenizer no room
    # for the sentence: a Rust panic, "'stride' must be strictly less than 'max_len'", and rag ask's traceback.
    question = "Please be precise. " * preamble + "How much did the harbour dredging cost?"
    span = reader.read(question, "Harbour", "The dredging of the harbour cost 2.3 million euros, the council said.")
    assert "2.3 million" in span.text


def test_offsets_map_back_into_the_passage(reader: SpanReader) -> None:
    text = "Boats came early.  The council approved a budget of 4 million euros for the new library."
    passage = Passage("library", "Library budget", "l.txt", "", text, 0, len(text))
    start = text.index("The council")
    evidence_sentence = text[start:]
    span = reader.read("How much did the council approve for the library?", passage.title, evidence_sentence)
    assert span.text
    assert text[start + span.start:start + span.end] == span.text


def test_an_unrelated_sentence_is_less_likely_to_answer(reader: SpanReader) -> None:
    question = "When did the ferry line open?"
    answering = reader.read(question, "Ferry line", "The ferry line opened on 3 May 1932 with two boats.")
    unrelated = reader.read(question, "Library budget",
                            "The council approved a budget of 4 million euros for the new library.")
    assert unrelated.probability < answering.probability
    assert unrelated.margin < answering.margin


def test_a_span_ending_in_a_dangling_quote_is_balanced(reader: SpanReader, monkeypatch: pytest.MonkeyPatch) -> None:
    """The reader marks tokens, and a quotation mark or bracket is one: the shipped model once answered "What is the
    English translation of it?" with "The Knowledge School”". Here its choice of tokens is forced to that span."""
    sentence = "The biggest school chain, Kunskapsskolan (“The Knowledge School”), offers 30 schools."
    question, title = "What is the English translation of Kunskapsskolan?", "School chains"
    context, sentence_start = context_text(title, sentence)
    encoding = reader.tokenizer.encode(question, context)
    wanted = (sentence_start + sentence.index("The Knowledge"), sentence_start + sentence.index("),") )
    tokens = [index for index, (first, last) in enumerate(encoding.offsets)
              if encoding.sequence_ids[index] == 1 and wanted[0] <= first and last <= wanted[1] and last > first]
    monkeypatch.setattr(span_reader, "best_span", lambda *_: (tokens[0], tokens[-1], 2.0))
    span = reader.read(question, title, sentence)
    assert span.text == "The Knowledge School" == sentence[span.start:span.end]


def test_balanced_spans_stay_inside_the_sentence_and_balance_their_marks() -> None:
    """Whatever span of whatever text of marks the reader proposes, the balanced one lies within the sentence, and a
    span that ends in a closing bracket it does not open loses it (the doctests give the worked cases)."""
    generator = random.Random(0)
    for _ in range(5000):
        sentence = "".join(generator.choice('ab ()[]“”‘’"') for _ in range(generator.randint(0, 30)))
        start = generator.randint(0, len(sentence))
        end = generator.randint(start, len(sentence))
        first, last = balanced(sentence, start, end)
        assert 0 <= first <= last <= len(sentence), (sentence, start, end)
        if sentence[start:end].endswith(")") and "(" not in sentence[start:end] and sentence[start:end].count(")") == 1:
            assert not sentence[first:last].endswith(")"), (sentence, start, end)


def test_a_long_sentence_is_read_to_its_end(reader: SpanReader) -> None:
    """A sentence longer than the reader's window (a list of names) was cut at its end, and the answer with it."""
    listed = ", ".join(f"{field} scholar {name} Varga" for field, name in
                       zip(["history", "music", "art", "botany", "physics", "poetry", "geology", "chemistry"] * 4,
                           ["Anna", "Bela", "Csilla", "Dora", "Emil", "Ferenc", "Gizella", "Hugo"] * 4, strict=True))
    sentence = f"The Kestrel College faculty includes {listed}, and legal scholars Ilona Brandt and Otto Feld."
    assert reader.tokenizer.encode("Which legal scholars teach there?", sentence).overflowing  # longer than a window
    span = reader.read("Which legal scholars are faculty members at Kestrel College?", "Kestrel College", sentence)
    assert "Brandt" in span.text or "Feld" in span.text, span.text
    assert span.text == sentence[span.start:span.end]


def test_the_sentence_before_is_read_but_never_answered_from(reader: SpanReader) -> None:
    """The sentence before says who "it" is; the answer is still only ever read from the sentence itself, even when
    the sentence before holds a likelier one."""
    before = "The Avon footbridge shut in 2024 after a barge struck it."
    sentence = "It reopened in March."
    span = reader.read("When did the Avon footbridge shut?", "Footbridges", sentence, before)
    assert span.text == sentence[span.start:span.end]
    assert "2024" not in span.text
    context, sentence_start = context_text("Footbridges", sentence, before)
    encoding = reader.tokenizer.encode("When did the Avon footbridge shut?", context)
    allowed = span_reader.sentence_tokens(encoding, sentence_start, sentence_start + len(sentence))
    read_from = {context[first:last] for (first, last), kept in zip(encoding.offsets, allowed, strict=True) if kept}
    assert "march" in {word.lower() for word in read_from} and not {"2024", "barge"} & read_from


def test_the_sentence_before_is_read_only_by_a_model_trained_so(tmp_path: Path) -> None:
    """meta.json's `previous_sentence` (`tools.train_span_reader --previous-sentence`) says whether the model reads
    the sentence before; one trained without (the shipped one) reads the sentence alone, as it was trained."""
    question, sentence, before = "When did it reopen?", "It reopened in March.", "The footbridge shut in 2024."
    meta = json.loads((WEIGHTS / "meta.json").read_text("utf-8"))
    margins = {}
    for reads_before in (False, True):
        folder = tmp_path / str(reads_before)
        folder.mkdir()
        shutil.copy(WEIGHTS / "model.onnx", folder / "model.onnx")
        (folder / "meta.json").write_text(json.dumps({**meta, "previous_sentence": reads_before, "members": []}),
                                          "utf-8")
        model = SpanReader(folder)
        assert model.reads_before == reads_before
        margins[reads_before] = (model.read(question, "Footbridges", sentence, before).margin,
                                 model.read(question, "Footbridges", sentence).margin)
    assert margins[False][0] == margins[False][1]
    assert margins[True][0] != margins[True][1]


def test_the_shipped_reader_is_the_average_of_its_members(tmp_path: Path) -> None:
    """meta.json's `members` are read beside model.onnx and their logits averaged: the shipped ensemble reads
    otherwise than its first model alone; a model joined with itself reads as it does alone; a member missing from
    the folder is an error naming it."""
    meta = json.loads((WEIGHTS / "meta.json").read_text("utf-8"))
    assert meta["members"] and all((WEIGHTS / name).is_file() for name in meta["members"])
    question, sentence = "When did the footbridge reopen?", "The footbridge reopened on 14 March after repairs."
    alone, twice = tmp_path / "alone", tmp_path / "twice"
    for folder, members in ((alone, []), (twice, ["member-1.onnx"])):
        folder.mkdir()
        shutil.copy(WEIGHTS / "model.onnx", folder / "model.onnx")
        (folder / "meta.json").write_text(json.dumps({**meta, "members": members}), "utf-8")
    shutil.copy(WEIGHTS / "model.onnx", twice / "member-1.onnx")
    shipped = SpanReader(WEIGHTS).read(question, "Footbridges", sentence)
    first = SpanReader(alone).read(question, "Footbridges", sentence)
    assert len(SpanReader(WEIGHTS).sessions) == 1 + len(meta["members"])
    assert shipped.margin != first.margin
    assert SpanReader(twice).read(question, "Footbridges", sentence).margin == pytest.approx(first.margin, abs=1e-4)
    (twice / "member-1.onnx").unlink()
    with pytest.raises(ModelError, match="member-1.onnx"):
        SpanReader(twice)


def test_meta_records_the_split_and_command() -> None:
    meta = json.loads((WEIGHTS / "meta.json").read_text("utf-8"))
    held_out = set(meta["split"]["held-out"])
    assert held_out and not held_out & set(meta["split"]["train"]) and not held_out & set(meta["split"]["calibration"])
    assert meta["command"].startswith("python -m tools.train_span_reader")


def test_missing_weights_name_the_make_target(tmp_path: Path) -> None:
    with pytest.raises(ModelError, match="make train-reader"):
        SpanReader(tmp_path / "nowhere")


def test_another_format_version_is_refused(tmp_path: Path) -> None:
    shutil.copy(WEIGHTS / "model.onnx", tmp_path / "model.onnx")
    meta = json.loads((WEIGHTS / "meta.json").read_text("utf-8"))
    (tmp_path / "meta.json").write_text(json.dumps({**meta, "format_version": 999}), "utf-8")
    with pytest.raises(ModelError, match="format version 999.*make train-reader"):
        SpanReader(tmp_path)


# -- the answer path, with a fake reader ---------------------------------------------------------------------------


class FakeReader:
    """Finds `answer` in any sentence that holds it, with chance `probability`; nothing elsewhere."""

    reads_before = False

    def __init__(self, answer: str, probability: float) -> None:
        self.answer = answer
        self.probability = probability
        self.read_sentences: list[str] = []

    def read(self, question: str, title: str, sentence: str, before: str = "") -> Span:
        self.read_sentences.append(sentence)
        start = sentence.find(self.answer)
        if start < 0:
            return Span("", 0, 0, 0.0, -10.0, sentence)
        return Span(self.answer, start, start + len(self.answer), self.probability, 1.0, sentence)


def make(tmp_path: Path, reader: FakeReader, *replies: str) -> tuple[Assistant, ScriptedLLM]:
    embedder = FakeEmbedder()
    build(tmp_path, embedder)
    llm = ScriptedLLM(*replies)
    retriever = Retriever.load(tmp_path, embedder)
    assistant = Assistant(retriever, llm, Settings(index=str(tmp_path), k=3), WordOverlap(retriever.term_weights),
                          reader=reader)
    return assistant, llm


def test_a_confident_span_answers_without_the_model(tmp_path: Path) -> None:
    reader = FakeReader("3 May", 0.9)
    assistant, llm = make(tmp_path, reader, "It opened in 1850 [1].")
    answer = assistant.ask("When did the ferry line open?")
    assert not answer.refused
    assert answer.text.startswith("On 3 May [1]")
    assert llm.prompts == []  # no generation
    citation = answer.citations[0]
    assert citation.passage.article_id == "ferry"
    assert "3 May" in citation.quotes[0] and len(citation.quotes[0]) > len("3 May")


def test_read_gives_the_span_and_its_passage_whatever_its_chance(tmp_path: Path) -> None:
    assistant, llm = make(tmp_path, FakeReader("3 May", 0.1), "unused")
    found = assistant.read("When did the ferry line open?")
    assert found is not None and found.reading.span.text == "on 3 May" and found.reading.span.probability == 0.1
    assert found.passage.article_id == "ferry" and "3 May" in found.sentence
    assert llm.prompts == []  # reading asks no model
    assert assistant.read("What is the price of tea in Kyoto?") is None  # refused before the model: nothing read


def test_an_unsure_span_leaves_the_answer_to_the_model(tmp_path: Path) -> None:
    reader = FakeReader("3 May", 0.1)
    assistant, llm = make(tmp_path, reader, "The ferry line opened on 3 May [1].")
    answer = assistant.ask("When did the ferry line open?")
    assert answer.text == "The ferry line opened on 3 May [1]."
    assert len(llm.prompts) == 1
    assert reader.read_sentences  # it was read all the same: to check the claim


def test_a_span_less_sure_than_span_threshold_answers_only_what_the_model_does_not(tmp_path: Path) -> None:
    """Between `span_fallback` (0.35) and `span_threshold` (0.5) the model writes first; its answer stands when it
    passes, and the span answers when it is refused (here the model does not know, and the quote gate, set above
    the reader's chance, refuses the quote that would stand in); below `span_fallback`, or with the fallback off,
    the refusal stands."""
    answers, prompts = {}, {}
    for name, probability, reply, fallback in (("model answers", 0.4, "The ferry line opened on 3 May [1].", 0.35),
                                               ("model refuses", 0.4, "I don't know.", 0.35),
                                               ("too unsure", 0.3, "I don't know.", 0.35),
                                               ("fallback off", 0.4, "I don't know.", 2.0)):
        reader = FakeReader("3 May", probability)
        assistant, llm = make(tmp_path / name, reader, reply)
        settings = Settings(index=str(tmp_path / name), k=3, quote_refusal=0.45, span_fallback=fallback)
        assistant = Assistant(assistant.retriever, llm, settings, assistant.finder, reader=reader)
        answers[name], prompts[name] = assistant.ask("When did the ferry line open?"), llm.prompts
    assert all(len(asked) == 1 for asked in prompts.values())  # the model was asked every time
    assert answers["model answers"].text == "The ferry line opened on 3 May [1]."
    assert answers["model refuses"].text.startswith("On 3 May [1]")
    assert answers["model refuses"].model_text == "I don't know."
    assert answers["model refuses"].citations[0].passage.article_id == "ferry"
    assert answers["too unsure"].refused and answers["fallback off"].refused
    # streamed as every answer is: the span's text as a chunk, so that the chunks joined are the answer
    reader = FakeReader("3 May", 0.4)
    assistant, llm = make(tmp_path / "streamed", reader, "I don't know.")
    settings = Settings(index=str(tmp_path / "streamed"), k=3, quote_refusal=0.45)
    assistant = Assistant(assistant.retriever, llm, settings, assistant.finder, reader=reader)
    assert_in_order(list(assistant.stream("When did the ferry line open?"))).text.startswith("On 3 May [1]")
    # a follow-up is the span's from span_fallback, before the model: the model answers rewritten follow-ups worse
    reader = FakeReader("3 May", 0.4)
    assistant, llm = make(tmp_path / "follow-up", reader, "The ferry line opened in 1850 [1].")
    history = [("Which ferry line opened with two boats?", "The ferry line between Harbor Town and Pine Island [1].")]
    answer = assistant.ask("When did it open?", history=history)
    assert answer.text.startswith("On 3 May [1]") and llm.prompts == []
    # and so is a question the rules wrote (a hop's, a comparison's part), and each part of a two-part question
    answer = assistant.ask(Query("When did the ferry line open?", written_by_rules=True))
    assert answer.text.startswith("On 3 May [1]") and llm.prompts == []
    assert assistant.ask("When did the ferry line open, and where does it start?").text.startswith("On 3 May [1].")


def test_a_quote_the_reader_finds_no_answer_in_is_refused(tmp_path: Path) -> None:
    """The model's claim fails its checks, so the best evidence sentence would be quoted: given when the reader
    finds an answer at least `quote_refusal` likely in it, refused below, quoted whatever it finds at 0; a question
    that asks for no kind of thing is not gated (its answer is often a phrase the reader gives a low chance)."""
    unsupported = "The ferry line opened in 1850 after a vote of the harbour board [1]."
    answers = {}
    when, what = "When did the ferry line open?", "What did the ferry line open with?"
    for name, probability, threshold, question in (("likely", 0.22, 0.2, when), ("unlikely", 0.1, 0.2, when),
                                                   ("off", 0.1, 0.0, when), ("untyped", 0.1, 0.2, what)):
        reader = FakeReader("3 May", probability)
        assistant, _ = make(tmp_path / name, reader, unsupported)
        assistant = Assistant(assistant.retriever, assistant.llm, Settings(index=str(tmp_path / name), k=3,
                                                                           quote_refusal=threshold),
                              assistant.finder, reader=reader)
        answers[name] = assistant.ask(question)
    assert answers["likely"].text.startswith(QUOTED_OPENING) and "3 May" in answers["likely"].text
    assert answers["unlikely"].refused and answers["unlikely"].model_text == unsupported
    assert answers["off"].text == answers["likely"].text
    assert answers["untyped"].text.startswith(QUOTED_OPENING) and "two boats" in answers["untyped"].text


def test_reader_refusal_refuses_what_the_reader_finds_nothing_likely_in(tmp_path: Path) -> None:
    reader = FakeReader("3 May", 0.05)
    assistant, llm = make(tmp_path, reader, "The ferry line opened on 3 May [1].")
    assert not assistant.ask("When did the ferry line open?").refused  # off by default: the model answers
    assert len(llm.prompts) == 1
    strict = Assistant(assistant.retriever, llm, Settings(index=str(tmp_path), k=3, reader_refusal=0.2),
                       assistant.finder, reader=reader)
    answer = strict.ask("When did the ferry line open?")
    assert answer.refused and len(llm.prompts) == 1  # refused without asking the model again
    history = [("When did the ferry line open?", "On 3 May [1].")]
    assert strict.ask("And the ferry?", history=history) is not None  # a follow-up is not refused by it


def test_a_claim_that_leaves_out_the_span_is_held_back_and_the_span_answers(tmp_path: Path) -> None:
    reader = FakeReader("two boats", 0.3)  # below answering, above checking
    # Backed by the sentence, so the checks pass it, but it says something other than what was asked.
    assistant, llm = make(tmp_path, reader, "The ferry line opened on 3 May [1].")
    events = list(assistant.stream("How many boats did the ferry line open with?"))
    assert len(llm.prompts) == 1
    answer = events[-1]
    assert isinstance(answer, Answer) and answer.text.startswith("Two boats [1]")
    assert answer.model_text == "The ferry line opened on 3 May [1]."
    chunks = "".join(event.text for event in events if isinstance(event, TextChunk))
    assert chunks == answer.text  # the model's sentence was never shown
    assert "3 May" in answer.citations[0].quotes[0]  # the span's sentence quoted beside it


def test_a_claim_that_says_the_span_later_or_a_span_too_unsure_to_check_stands(tmp_path: Path) -> None:
    said_later = "The ferry line opened on 3 May [1]. It opened with two boats [1]."
    assistant, _ = make(tmp_path / "later", FakeReader("two boats", 0.3), said_later)
    question = "How many boats did the ferry line open with?"
    events = list(assistant.stream(question))
    assert events[-1].text == said_later  # type: ignore[union-attr]
    assert "".join(event.text for event in events if isinstance(event, TextChunk)) == said_later
    unsure, _ = make(tmp_path / "unsure", FakeReader("two boats", SPAN_CHECK_THRESHOLD - 0.05),
                     "The ferry line opened on 3 May [1].")
    assert unsure.ask(question).text == "The ferry line opened on 3 May [1]."


def test_a_question_that_is_refused_is_not_read(tmp_path: Path) -> None:
    reader = FakeReader("3 May", 0.9)
    assistant, llm = make(tmp_path, reader)
    answer = assistant.ask("Who painted the lighthouse?")
    assert answer.refused and reader.read_sentences == [] and llm.prompts == []


def test_no_reader_keeps_the_model_answer(tmp_path: Path) -> None:
    embedder = FakeEmbedder()
    build(tmp_path, embedder)
    retriever = Retriever.load(tmp_path, embedder)
    llm = ScriptedLLM("The ferry line opened on 3 May [1].")
    assistant = Assistant(retriever, llm, Settings(index=str(tmp_path), k=3), WordOverlap(retriever.term_weights))
    assert assistant.reader is None
    assert assistant.ask("When did the ferry line open?").text == "The ferry line opened on 3 May [1]."


def test_reader_is_loaded_once_from_its_factory(tmp_path: Path) -> None:
    made: list[FakeReader] = []

    def factory() -> FakeReader:
        made.append(FakeReader("3 May", 0.9))
        return made[-1]

    embedder = FakeEmbedder()
    build(tmp_path, embedder)
    retriever = Retriever.load(tmp_path, embedder)
    assistant = Assistant(retriever, ScriptedLLM(), Settings(index=str(tmp_path), k=3),
                          WordOverlap(retriever.term_weights), reader=factory)
    assert made == []  # not before first use
    assistant.ask("When did the ferry line open?")
    assistant.ask("When did the ferry line open?")
    assert len(made) == 1 and assistant.reader is made[0]


def test_the_most_likely_of_the_best_sentences_is_chosen() -> None:
    from rag.answer.evidence import Evidence, Sentence

    text = "The ferry opened in May. It carried two boats."
    passage = Passage("a", "Ferry", "a.txt", "", text, 0, len(text))
    evidence = Evidence(("How many boats?",), ((Sentence(0, 0, 24, 0.8), Sentence(0, 25, len(text), 0.7)),), 0.8)
    reading = read_evidence(FakeReader("two boats", 0.7), "How many boats?", evidence, [passage])
    assert reading is not None and reading.sentence_start == 25
    start, end = reading.passage_span
    assert text[start:end] == "two boats"
    assert confident(reading) and not confident(reading, threshold=0.8)
    checked = span_answer(reading, [passage])
    assert checked.supported and checked.citations[0].quotes == ["It carried two boats."]
    assert claim_disagrees("It carried three boats.", reading)
    assert not claim_disagrees("It carried two boats.", reading)


def test_a_span_that_does_not_fit_is_not_read_and_the_next_sentence_is() -> None:
    from rag.answer.evidence import Evidence, Sentence

    text = "The fourth ferry opened in May. It carried two boats."
    passage = Passage("a", "Ferry", "a.txt", "", text, 0, len(text))
    evidence = Evidence(("How many ferries?",), ((Sentence(0, 0, 31, 0.8), Sentence(0, 32, len(text), 0.7)),), 0.8)
    reader = FakeReader("fourth", 0.9)
    assert read_evidence(reader, "How many ferries?", evidence, [passage]) is not None
    fits = lambda sentence, span: "fourth" not in span.text  # noqa: E731
    assert read_evidence(reader, "How many ferries?", evidence, [passage], fits=fits) is None
    assert read_evidence(FakeReader("two", 0.6), "How many?", evidence, [passage], fits=fits) is not None


class SpansReader:
    """Finds the first of `spans` (text -> chance) a sentence holds."""

    reads_before = False

    def __init__(self, spans: dict[str, float]) -> None:
        self.spans = spans

    def read(self, question: str, title: str, sentence: str, before: str = "") -> Span:
        for answer, probability in self.spans.items():
            start = sentence.find(answer)
            if start >= 0:
                return Span(answer, start, start + len(answer), probability, 1.0, sentence)
        return Span("", 0, 0, 0.0, -10.0, sentence)


def test_a_which_question_prefers_a_span_inside_a_name_holding_its_noun() -> None:
    from rag.answer.evidence import Evidence, Sentence

    text = ("Vellmar Road station serves the village of Hadley Cross. The station has one platform. "
            "It was opened in 1871. It is on the Ashcombe Branch Line, north of Ashcombe.")
    bounds = [(0, 56), (57, 86), (87, 109), (110, len(text))]
    passage = Passage("a", "Vellmar Road station", "a.txt", "", text, 0, len(text))
    scores = (0.6, 0.4, 0.3, 0.1)
    ranked = tuple(Sentence(0, start, end, score) for (start, end), score in zip(bounds, scores, strict=True))
    evidence = Evidence(("Vellmar Road station is on which line?",), (ranked,), 0.6)
    reader = SpansReader({"Hadley Cross": 0.5, "Ashcombe": 0.5})
    # the fourth sentence is read though only two are, as it names a line; its span wins though its score is low
    reading = read_evidence(reader, "Vellmar Road station is on which line?", evidence, [passage])
    assert reading is not None and reading.sentence_start == 110, reading
    # a question asking no noun, or a span too unsure to count, keeps the likeliest span
    reading = read_evidence(reader, "Where is Vellmar Road station?", evidence, [passage])
    assert reading is not None and reading.span.text == "Hadley Cross"
    unsure = SpansReader({"Hadley Cross": 0.5, "Ashcombe": 0.1})
    reading = read_evidence(unsure, "Vellmar Road station is on which line?", evidence, [passage])
    assert reading is not None and reading.span.text == "Hadley Cross"
    # a description the question's noun says what it is of ("general relativity" for "what theory") keeps its place
    text = "Einstein's general relativity explained the orbit. A Grand Unified Theory is a possibility."
    passage = Passage("b", "Gravity", "b.txt", "", text, 0, len(text))
    ranked = (Sentence(0, 0, 50, 0.6), Sentence(0, 51, len(text), 0.1))
    evidence = Evidence(("What theory explained the orbit?",), (ranked,), 0.6)
    reader = SpansReader({"general relativity": 0.5, "Grand Unified Theory": 0.3})
    reading = read_evidence(reader, "What theory explained the orbit?", evidence, [passage])
    assert reading is not None and reading.span.text == "general relativity"


def test_a_two_part_question_is_not_read() -> None:
    from rag.answer.evidence import Evidence, Sentence

    passage = Passage("a", "Ferry", "a.txt", "", "It carried two boats.", 0, 21)
    ranked = (Sentence(0, 0, 21, 0.8),)
    evidence = Evidence(("How many boats?", "When?"), (ranked, ranked), 0.8)
    assert read_evidence(FakeReader("two boats", 0.9), "How many boats and when?", evidence, [passage]) is None


def test_a_comparison_keeps_the_quotes_of_its_parts_whatever_the_reader_finds(tmp_path: Path) -> None:
    """A comparison's parts are the rules' questions ("When was the Pine Library founded?"): their quotes are not
    gated by the reader, whose chance reflects the rules' words; the same part asked by the user is."""
    embedder = FakeEmbedder()
    build(tmp_path, embedder, {"ferry": ("Harbor Ferry", "The Harbor Ferry began in 1850 with two boats."),
                               "library": ("Pine Library", "The Pine Library was set up in 1899 by the town.")})
    retriever = Retriever.load(tmp_path, embedder)
    unsupported = "It was founded by the harbour board after a long vote [1]."
    assistant = Assistant(retriever, ScriptedLLM(unsupported), Settings(index=str(tmp_path), k=3),
                          WordOverlap(retriever.term_weights), PhraseTagger({"1850": "DATE", "1899": "DATE"}),
                          reader=FakeReader("no such span", 0.1))
    compared = assistant.ask("Which was founded first, the Harbor Ferry or the Pine Library?")
    assert "1850" in compared.text and "1899" in compared.text, compared.text
    assert assistant.ask("When was the Pine Library founded?").refused


def test_a_short_question_found_only_faintly_is_answered_by_a_confident_span_alone(tmp_path: Path) -> None:
    """Below `min_score`, the best passage of a short question that stands out from the rest is kept
    (`rag.answer.retrieve.stands_out`: short questions score low against every passage); a span at least
    `span_fallback` likely answers it, the model never does. A long question, or one whose best passage does not
    stand out, is refused as before."""
    answers, prompts = {}, {}
    for name, probability, question in (("sure", 0.9, "When did the ferry open?"),
                                        ("fallback", 0.4, "When did the ferry open?"),
                                        ("unsure", 0.1, "When did the ferry open?"),
                                        ("long", 0.9, "When did the ferry line between Harbor Town and Pine Island "
                                                      "first open to passengers?")):
        reader = FakeReader("3 May", probability)
        assistant, llm = make(tmp_path / name, reader, "The ferry line opened on 3 May [1].")
        best = assistant.search(question)[0].score
        faint = Assistant(assistant.retriever, llm, Settings(index=str(tmp_path / name), k=3, min_score=best + 0.01),
                          assistant.finder, reader=reader)
        answers[name], prompts[name] = faint.ask(question), llm.prompts
    assert answers["sure"].text.startswith("On 3 May [1]") and prompts["sure"] == []
    # below span_threshold a span answers a faint passage from span_fallback: the model is not trusted, so its
    # answer would be refused, and the span is what a refusal falls back to
    assert answers["fallback"].text.startswith("On 3 May [1]") and prompts["fallback"] == []
    assert answers["unsure"].refused and prompts["unsure"] == []
    assert answers["long"].refused and prompts["long"] == []


def test_a_span_cutting_a_name_is_widened_to_the_whole_name() -> None:
    """The reader stopped short of a name's edges on held-out questions ("Museum" of "Museum of Independence",
    "10" of "fewer than 10"): the answer becomes the whole entity the tagger found; a span inside no name, or one
    already whole, is kept as read."""
    sentence = "Objects are kept in the Museum of Independence, which employs fewer than 10 guides."
    museum = sentence.index("Museum")
    read = Reading(Span("Museum", museum, museum + 6, 0.5, 1.0), 0, 0, len(sentence))
    names = [(museum - 4, sentence.index(",")), (sentence.index("fewer"), sentence.index(" guides"))]
    assert widened(read, sentence, names).span.text == "Museum of Independence"
    ten = sentence.index("10")
    assert widened(Reading(Span("10", ten, ten + 2, 0.5, 1.0), 0, 0, len(sentence)), sentence,
                   names).span.text == "fewer than 10"
    guides = sentence.index("guides")
    alone = Reading(Span("guides", guides, guides + 6, 0.5, 1.0), 0, 0, len(sentence))
    assert widened(alone, sentence, names) is alone


# -- people named together -----------------------------------------------------------------------------------------


def test_a_person_listed_with_others_stands_for_the_whole_list() -> None:
    sentence = "Ann Lee, Bo Kim and Cy Orr founded it; Di Roe joined later."
    people = [(0, 7), (9, 15), (20, 26), (39, 45)]
    assert named_together(sentence, 9, 15, people) == [(0, 7), (9, 15), (20, 26)]
    assert listed([sentence[start:end] for start, end in named_together(sentence, 9, 15, people)]) == \
        "Ann Lee, Bo Kim and Cy Orr"
    assert named_together(sentence, 39, 45, people) == []  # Di Roe stands alone


def test_a_counted_group_is_named_in_full_only_when_the_count_matches() -> None:
    sentence = "Of the two judges who dissented, Ann Lee wrote one view, while Bo Kim wrote another."
    people = [(33, 40), (63, 69)]
    assert named_together(sentence, 33, 40, people) == people
    assert named_together(sentence.replace("two", "three"), 33, 40, people) == []
    assert named_together(sentence, 0, 2, people) == []  # the span is no person


def test_a_who_question_is_answered_with_everyone_its_sentence_names_together(tmp_path: Path) -> None:
    """The reader finds one of two people the sentence lists: a who-question's answer names both (a follow-up may
    then ask about "the second one"); a when-question's span is left as found."""
    embedder = FakeEmbedder()
    build(tmp_path, embedder, {"vote": ("Harbour vote", "Ann Lee and Bo Kim voted against the harbour plan in 1850."),
                               "library": ("Pine Library", "The Pine Library was set up in 1899 by the town.")})
    retriever = Retriever.load(tmp_path, embedder)
    tagger = PhraseTagger({"Ann Lee": "PERSON", "Bo Kim": "PERSON", "1850": "DATE"})
    assistant = Assistant(retriever, ScriptedLLM("unused"), Settings(index=str(tmp_path), k=3),
                          WordOverlap(retriever.term_weights), tagger, reader=FakeReader("Bo Kim", 0.9))
    assert assistant.ask("Who voted against the harbour plan?").text.startswith("Ann Lee and Bo Kim [1]")
    assistant = Assistant(retriever, ScriptedLLM("unused"), Settings(index=str(tmp_path), k=3),
                          WordOverlap(retriever.term_weights), tagger, reader=FakeReader("1850", 0.9))
    assert assistant.ask("When was the harbour plan voted against?").text.startswith("In 1850 [1]")


def _quoted_readings(tmp_path: Path, found: str, asked: str, quote: str) -> list[str]:
    """The readings of "Where is it based?" after `asked` was answered by quoting `quote`, the reader finding `found`
    in it (chance 0.1: too unsure to answer with)."""
    embedder = FakeEmbedder()
    build(tmp_path, embedder)
    retriever = Retriever.load(tmp_path, embedder)
    tagger = PhraseTagger({"Calder Systems": "ORG", "Ostra Data": "ORG", "Hestra": "GPE"})
    assistant = Assistant(retriever, ScriptedLLM(), Settings(index=str(tmp_path), k=3),
                          WordOverlap(retriever.term_weights), tagger, reader=FakeReader(found, 0.1))
    history = [(asked, f'The articles say: "{quote}" [1]')]
    return [reading.text for reading in assistant.standalone_questions("Where is it based?", history)]


def test_a_quoted_previous_answer_gives_its_name_to_the_next_questions_pronoun(tmp_path: Path) -> None:
    asked = "Which company won the contract for the records system?"
    quote = "Calder Systems, based in Hestra, won the contract against two bidders."
    assert _quoted_readings(tmp_path, "Calder Systems", asked, quote) == ["Where is Calder Systems based?"]
    # the reader's span is no company: the one company the quote names is
    assert _quoted_readings(tmp_path, "Hestra", asked, quote) == ["Where is Calder Systems based?"]


def test_a_quoted_answer_that_names_no_one_thing_leaves_the_rules_readings(tmp_path: Path) -> None:
    quote = "Calder Systems, based in Hestra, beat Ostra Data to the contract."
    # two companies and a span that is neither; a question that asks for no name
    for asked, found in (("Which company won the contract for the records system?", "Hestra"),
                         ("When was the contract for the records system signed?", "Calder Systems")):
        readings = _quoted_readings(tmp_path, found, asked, quote)
        assert "Where is it based?" in readings and not any("Calder" in reading for reading in readings), readings


def test_a_number_is_answered_with_what_it_counts_or_measures_and_a_time_with_its_preposition(tmp_path: Path) -> None:
    """The reader stops at "2.5 million": the answer says "2.5 million euros"; a when-question's year comes with the
    preposition before it ("in 2025")."""
    embedder = FakeEmbedder()
    build(tmp_path, embedder, {"aid": ("Blast aid",
                                       "The council set aside 2.5 million euros in emergency aid in 2025."),
                               "library": ("Pine Library", "The Pine Library was set up in 1899 by the town.")})
    retriever = Retriever.load(tmp_path, embedder)

    def ask(question: str, found: str) -> str:
        assistant = Assistant(retriever, ScriptedLLM("unused"), Settings(index=str(tmp_path), k=3),
                              WordOverlap(retriever.term_weights), PhraseTagger({"2025": "DATE"}),
                              reader=FakeReader(found, 0.9))
        return assistant.ask(question).text

    assert ask("How much emergency aid did the council set aside?", "2.5 million").startswith("2.5 million euros [1]")
    assert ask("When did the council set aside emergency aid?", "2025").startswith("In 2025 [1]")


def test_a_how_old_question_is_answered_with_the_age_not_the_year_old_noun(tmp_path: Path) -> None:
    """News names people by their age ("the 52-year-old driver"); the reader's span "52-year-old" is narrowed to the
    age (a question that does not ask how old keeps it: `rag.answer.reader.as_age`'s examples)."""
    embedder = FakeEmbedder()
    build(tmp_path, embedder, {"lorry": ("Bridge strike", "The lorry's driver, a 52-year-old from Halloway, was "
                                         "arrested at the scene by motorway police.")})
    retriever = Retriever.load(tmp_path, embedder)

    def ask(question: str) -> str:
        assistant = Assistant(retriever, ScriptedLLM("unused"), Settings(index=str(tmp_path), k=3),
                              WordOverlap(retriever.term_weights), reader=FakeReader("52-year-old", 0.9))
        return assistant.ask(question).text

    assert ask("How old is the lorry's driver?").startswith("52 [1]")


def test_a_number_made_an_adjective_is_answered_with_the_noun_it_describes(tmp_path: Path) -> None:
    """The reader stops at "40-metre" (the news dev set's "How much of the Drayhill Park roof came down?"): the answer
    says what is 40 metres long."""
    embedder = FakeEmbedder()
    build(tmp_path, embedder, {"roof": ("Roof collapse", "A 40-metre section of the Drayhill Park roof came down.")})
    retriever = Retriever.load(tmp_path, embedder)
    assistant = Assistant(retriever, ScriptedLLM("unused"), Settings(index=str(tmp_path), k=3),
                          WordOverlap(retriever.term_weights), PhraseTagger({}), reader=FakeReader("40-metre", 0.9))
    assert assistant.ask("How much of the Drayhill Park roof came down?").text.startswith("40-metre section [1]")


def test_a_range_answers_the_end_of_it_asked_for(tmp_path: Path) -> None:
    """"1115–1234" says both years; "When did it begin?" is answered with the first, "When did it end?" with the last,
    though the tagger sees the range as one date (the span is widened to whole names before it is answered), and a
    follow-up asking for the other end gets it; a question asking for neither end keeps the range."""
    embedder = FakeEmbedder()
    build(tmp_path, embedder, {"jin": ("Jin dynasty", "The Jin dynasty (1115–1234) ruled northern China."),
                               "rhine": ("Rhine", "Its length is measured from the Old Rhine Bridge at Constance to "
                                                  "Hoek van Holland.")})
    retriever = Retriever.load(tmp_path, embedder)

    def ask(question: str, found: str, history: list[tuple[str, str]] | None = None) -> str:
        assistant = Assistant(retriever, ScriptedLLM("unused"), Settings(index=str(tmp_path), k=3),
                              WordOverlap(retriever.term_weights), PhraseTagger({"1115–1234": "DATE"}),
                              reader=FakeReader(found, 0.9))
        return assistant.ask(question, history=history or []).text

    assert ask("When did the Jin dynasty end?", "1115–1234").startswith("1234 [1]")
    assert ask("What about begin?", "1115–1234", [("When did the Jin dynasty end?", "1234 [1].")]).startswith(
        "1115 [1]")
    assert ask("When did the Jin dynasty rule northern China?", "1115–1234").startswith("1115–1234 [1]")
    assert ask("Where does the Rhine's length begin?", "the Old Rhine Bridge at Constance to Hoek van Holland"
               ).startswith("The Old Rhine Bridge at Constance [1]")


def test_a_sentence_read_again_for_the_same_question_is_not_run_again(reader: SpanReader) -> None:
    first = reader.read("When did the ferry open?", "Ferry", "The ferry opened on 3 May 1932.")
    assert reader.read("When did the ferry open?", "Ferry", "The ferry opened on 3 May 1932.") is first
    assert reader.read("Who opened the ferry?", "Ferry", "The ferry opened on 3 May 1932.") is not first


@pytest.mark.parametrize(("span", "shown"), [("on 5 March.", "On 5 March [1]."), ("5 March", "5 March [1]."),
                                             ("at 6 p.m.", "At 6 p.m. [1]."),
                                             ("Harbour Foods Ltd.", "Harbour Foods Ltd. [1]."),
                                             ("£3.5m.", "£3.5m [1]."), ("3.5%.", "3.5% [1]."),
                                             ("version 2.0.", "Version 2.0 [1].")])
def test_a_span_ending_a_sentence_is_answered_with_one_full_stop(span: str, shown: str) -> None:
    """A span read to its sentence's end carries the full stop: the answer is "On 5 March [1].", never
    "On 5 March. [1].", while an abbreviation keeps its own; a decimal is no abbreviation ("£3.5m." was kept whole,
    giving "3.5%. [1].")."""
    text = f"Judge Rosalind Achebe will pass sentence {span}"
    passage = Passage("a", "Court", "a.txt", "", text, 0, len(text))
    start = text.index(span)
    reading = Reading(Span(span, start, len(text), 0.9, 3.0), 0, 0, len(text))
    assert span_answer(reading, [passage]).text == shown
