"""Two-hop questions (rag.answer.hops): the hop plan read from a question, the markers of the second hop moved after
the bridge's, and, end to end with the real models, an answer that cites the passage of each hop."""

from __future__ import annotations

from pathlib import Path

import pytest

from rag.answer.hops import bridge_sentence, hop_plan, renumbered, usable_bridge
from tests.conftest import write


@pytest.mark.parametrize(("question", "first", "second"), [
    ("Where was the one who led the Normans crowned?", "Who led the Normans?", "Where was Rollo crowned?"),
    ("When did the Egyptian Islamic Jihad assassinate the one who is the President of Egypt?",
     "Who is the President of Egypt?", "When did the Egyptian Islamic Jihad assassinate Rollo?"),
    ("How many teams did the city that is the most populous in California used to have?",
     "Which city is the most populous in California?", "How many teams did Rollo used to have?"),
    ("What platform caused the one who is the largest television company to end their analogue service?",
     "Who is the largest television company?", "What platform caused Rollo to end their analogue service?"),
    # a modified noun: nationality, genre, year before it
    ("Which year was the American actor who starred in Dune born?", "Who starred in Dune?",
     "Which year was Rollo born?"),
    ("What is the nationality of the English rock band that released Abbey Road?",
     "Which English rock band released Abbey Road?", "What is the nationality of Rollo?"),
    ("In what country was the 1995 film which starred Bob Hoskins produced?", "Which 1995 film starred Bob Hoskins?",
     "In what country was Rollo produced?"),
    # "the <role> of <something named>", in the question or opening it when "what"/"which" follows
    ("Where was the director of the film Big Stone Gap born?", "Who is the director of the film Big Stone Gap?",
     "Where was Rollo born?"),
    ("The director of the romantic comedy 'Big Stone Gap' is based in what New York city?",
     "Who is the director of the romantic comedy 'Big Stone Gap'?", "Rollo is based in what New York city?"),
    ("What year did the lead singer of Queen die?", "Who is the lead singer of Queen?", "What year did Rollo die?"),
    ("Which city was the wife of Barack Obama born in?", "Who is the wife of Barack Obama?",
     "Which city was Rollo born in?"),
    ("The American actor who starred in Dune was born in which year?", "Who starred in Dune?",
     "Rollo was born in which year?"),
])
def test_hop_plan_names_the_bridge_where_the_description_was(question: str, first: str, second: str) -> None:
    plan = hop_plan(question)
    assert plan is not None
    assert (plan.first, plan.second("Rollo")) == (first, second)


@pytest.mark.parametrize("question", [
    "When did the Normans conquer England?",
    "Who led the Normans?",  # asks for the bridge itself: one hop
    "What is the name of the satellite that measured the amount of dust?",  # its name is what is asked
    "What was the idea that won the vote?",  # a clause saying what is meant, not which thing
    "The one who led the Normans was crowned where?",  # the description opens the question
    "When did the Normans who settled in Sicily arrive?",  # a name with a clause: named already
    "The one who led the Normans was who?",  # opens the question and is what it asks for
    "Who was the president of Notre Dame in 1912?",  # asks for the role's holder itself
    "What is the name of the director of Jaws?",
    "What was the capital of Prussia?",  # not a person's role
    "Who has elected the President of Warsaw since 1990?",  # a title, named as such
    "Who was the first person who reached the pole?",  # picked out by order: what is asked
    "What is the alpine valley that the Rhine flows through?",  # "What is the…": the thing itself
    "Southern California had a population of 22,680,010 according to the census from which year?",
])
def test_a_one_hop_question_has_no_hop_plan(question: str) -> None:
    assert hop_plan(question) is None


def test_the_second_hop_markers_follow_the_bridge() -> None:
    plan = hop_plan("Where was the one who led the Normans crowned?")
    assert plan is not None
    text = f"{bridge_sentence('Rollo', plan)} {renumbered('He was crowned in Rouen [1], in 912 [2].', {1: 2, 2: 3})}"
    assert text == "Rollo led the Normans [1]. He was crowned in Rouen [2], in 912 [3]."
    assert renumbered("Twice [2, 1].", {1: 2, 2: 2}) == "Twice [2]."


def test_a_bridge_names_something_new() -> None:
    question = "Where was the one who led the Normans crowned?"
    assert usable_bridge("Rollo", question)
    assert not usable_bridge("the Normans", question)
    assert not usable_bridge("", question)
    assert not usable_bridge("a long span that reads like a whole sentence of the passage itself", question)


CLUB = ("Lenn Valley rowing club\n"
        "The Lenn Valley rowing club was founded in 1958 by workers of the paper mill. Priya Sandhu captained the "
        "Lenn Valley rowing club to its first regional title in 2019. The club trains on the river every morning.\n")
ROWER = ("Priya Sandhu\n"
         "Priya Sandhu is a rower and engineer. Priya Sandhu was born in the village of Ashbury in 1994. She studied "
         "engineering in Leeds before she took up rowing.\n")
BAKERY = ("Quayside Bakery\n"
          "The Quayside Bakery in Maplewood won the county bread prize for its rye loaf. The judges tasted 64 loaves. "
          "The bakery opened in 1998 and employs eleven people.\n")


@pytest.fixture(scope="module")
def two_hop_index(tmp_path_factory: pytest.TempPathFactory, real_embedder) -> Path:  # type: ignore[no-untyped-def]
    from rag.ingest.indexer import UpdateOptions, update_index

    articles = tmp_path_factory.mktemp("two-hop-articles")
    for name, text in (("club.txt", CLUB), ("rower.txt", ROWER), ("bakery.txt", BAKERY)):
        write(articles, name, text)
    folder = tmp_path_factory.mktemp("two-hop-index")
    update_index([articles], folder, real_embedder, UpdateOptions(progress=False))
    return folder


@pytest.mark.parametrize("span_threshold", [0.4, 2.0], ids=["span-reader", "model-writes"])
def test_a_two_hop_answer_cites_the_passage_of_each_hop(two_hop_index: Path, real_embedder, real_llm,  # type: ignore[no-untyped-def]
                                                         span_threshold: float) -> None:
    from rag.answer.assistant import Assistant

    # span_threshold above 1: the model writes the second hop's answer (the bridge is still the reader's span).
    assistant = Assistant.load(two_hop_index, embedder=real_embedder, llm=real_llm, span_threshold=span_threshold)
    answer = assistant.ask("Where was the one who captained the Lenn Valley rowing club born?")
    assert not answer.refused, answer
    cited = {citation.passage.title for citation in answer.citations}
    assert {"Lenn Valley rowing club", "Priya Sandhu"} <= cited, answer
    assert answer.text.startswith("Priya Sandhu captained the Lenn Valley rowing club [1]."), answer.text
    # Every marker of the text is a citation of the answer, numbered in order from the bridge's [1].
    assert [citation.number for citation in answer.citations] == list(range(1, len(answer.citations) + 1))
    for citation in answer.citations:
        assert citation.quote and citation.quote in " ".join(citation.passage.text.split()), citation
