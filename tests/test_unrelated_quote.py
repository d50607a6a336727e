"""A quote that shares nothing with the question but its names is not an answer (rag.answer.cite
`quote_misses_question`): when the model's answer fails its checks and the best evidence sentence only names who
or where the question names ("Has Mayor Elena Marsh resigned?" over her budget speech), the assistant refuses
instead of saying 'The articles say: "<the budget sentence>"'."""

from __future__ import annotations

from pathlib import Path

from rag.answer.assistant import Assistant
from rag.answer.evidence import WordOverlap
from rag.answer.retrieve import Retriever
from rag.settings import Settings
from tests.conftest import FakeEmbedder, ScriptedLLM
from tests.test_assistant import build

TEXTS = {
    "budget": ("Mayor proposes budget", "Mayor Elena Marsh presented a £48 million budget to Harwick council on "
                                        "Monday. Council tax would rise by 3.5 percent under the plan."),
    "cup": ("Rovers win the County Cup", "Harwick Rovers beat Dunmore 2-1 in the County Cup final. Striker Sam "
                                         "Okafor scored the winner in the 88th minute."),
}


def ask(tmp_path: Path, question: str, reply: str) -> str:
    embedder = FakeEmbedder()
    build(tmp_path, embedder, TEXTS)
    retriever = Retriever.load(tmp_path, embedder)
    assistant = Assistant(retriever, ScriptedLLM(reply), Settings(index=str(tmp_path), k=3),
                          WordOverlap(retriever.term_weights))
    return assistant.ask(question).text


def test_a_quote_naming_only_the_questions_names_is_refused(tmp_path: Path) -> None:
    # the model's claim is backed by nothing: the evidence would be quoted, but it only names the mayor
    answer = ask(tmp_path, "Has Mayor Elena Marsh resigned?", "Mayor Elena Marsh resigned in June [1].")
    assert answer.startswith("I don't know"), answer


def test_a_quote_sharing_what_is_asked_is_still_given(tmp_path: Path) -> None:
    answer = ask(tmp_path, "What did Mayor Elena Marsh present to the council?", "She presented a plan in June [1].")
    assert answer.startswith("The articles say:") and "£48 million budget" in answer, answer


def test_a_quote_the_reader_is_sure_answers_is_kept_though_a_word_asked_is_in_no_article(tmp_path: Path) -> None:
    """A question's word that no article holds is often a paraphrase ("accused of" over "alleging he had …", "When
    is broadband coming?" over "… will be connected in April 2027"): when the reader is sure enough of a span in the
    quoted sentence to answer with it (`span_fallback`), the quote is no unrelated one (a news dev answer and a
    sample's were refused by the check without this)."""
    from tests.test_span_reader import SpansReader

    embedder = FakeEmbedder()
    build(tmp_path, embedder, TEXTS)
    retriever = Retriever.load(tmp_path, embedder)
    question = "What is Mayor Elena Marsh unveiling?"  # "unveiling": in no article

    def answer(chance: float) -> str:
        assistant = Assistant(retriever, ScriptedLLM("She is unveiling a park in June [1]."),
                              Settings(index=str(tmp_path), k=3), WordOverlap(retriever.term_weights),
                              reader=SpansReader({"a £48 million budget": chance}))
        return assistant.ask(question).text

    assert answer(0.1).startswith("I don't know"), answer(0.1)
    sure = answer(0.4)
    assert not sure.startswith("I don't know") and "£48 million budget" in sure, sure
