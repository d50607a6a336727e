"""`rag eval` end to end on small inline question sets: through the Python API with a scripted LLM (answer,
citation and refusal metrics), and through the CLI with `--retrieval-only` on the real sample index (retrieval
metrics, filters)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from rag.answer.assistant import Assistant
from rag.answer.evidence import WordOverlap
from rag.answer.retrieve import Retriever
from rag.errors import InvalidRequestError
from rag.evaluate import Question, evaluate, load_questions, summary
from rag.ingest.chunk import embedding_text
from rag.records import Passage
from rag.settings import Settings
from rag.store.generations import PassageIndex
from tests.conftest import FakeEmbedder, ScriptedLLM

TEXTS = {
    "ferry": ("Ferry line", "The ferry line between Harbor Town and Pine Island opened on 3 May with two boats."),
    "library": ("Library budget", "The council approved a budget of 4 million euros for the new library."),
    "storm": ("Autumn storm", "A storm closed the harbour for three days in October."),
}


def scripted_assistant(tmp_path: Path, *replies: str) -> Assistant:
    embedder = FakeEmbedder()
    index = PassageIndex(embedder.name, embedder.dimension)
    passages = [Passage(key, title, f"{key}.txt", "", text, 0, len(text)) for key, (title, text) in TEXTS.items()]
    index.add(passages, embedder.embed([embedding_text(p.title, p.text) for p in passages]))
    index.save(tmp_path)
    retriever = Retriever.load(tmp_path, embedder)
    return Assistant(retriever, ScriptedLLM(*replies), Settings(index=str(tmp_path), k=2, min_score=0.0),
                     WordOverlap(retriever.term_weights))


def test_eval_through_the_python_api_scores_answers_citations_and_refusals(tmp_path: Path) -> None:
    assistant = scripted_assistant(tmp_path, "The ferry line opened on 3 May [1].", "I don't know.",
                                   "I don't know.")
    questions = [
        Question("q1", "When did the ferry line to Pine Island open?", ("3 May",), False, "ferry"),
        Question("q2", "What budget did the council approve for the library?", ("4 million euros",), False),
        Question("q3", "Who painted the lighthouse?", (), True),
    ]
    records: list[dict] = []
    report = evaluate(assistant, questions, record=records.append)
    assert [row["qid"] for row in records] == ["q1", "q2", "q3"]
    assert records[0]["contains"] and records[0]["citations"][0]["holds_gold"] and records[0]["answer_rank"] == 1
    # q2: the (base) model said it does not know, but the passage plainly answers it: the evidence is quoted.
    assert not records[1]["refused"] and records[1]["contains"] and "4 million euros" in records[1]["answer"]
    assert records[2]["refused"] and records[2]["impossible"]
    assert (report["questions"], report["answerable"], report["unanswerable"]) == (3, 2, 1)
    retrieval = report["retrieval"]
    assert retrieval["answer_recall@1"] == 1.0 and retrieval["mrr@20"] == 1.0
    answers = report["answers"]
    assert answers["exact_match"] == 0.0  # the answer is a sentence, not the bare span
    assert answers["contains_with_evidence"] == 1.0  # q1 contains "3 May", q2's quote "4 million euros"
    assert answers["citation_precision"] == 1.0
    assert answers["refusal_recall"] == 1.0 and answers["false_refusal_rate"] == 0.0
    assert answers["refusal_precision"] == 1.0
    assert len(report["examples"]) == 3
    assert "answer_recall@5" in summary(report)


def test_retrieval_only_eval_never_asks_the_model(tmp_path: Path) -> None:
    assistant = scripted_assistant(tmp_path, "unused")
    report = evaluate(assistant, [Question("q1", "Which storm closed the harbour?", ("three days",), False)],
                      answers=False)
    assert "answers" not in report and report["retrieval"]["answer_recall@1"] == 1.0
    assert assistant.llm.prompts == []  # type: ignore[attr-defined]


def test_load_questions_samples_keep_the_share_of_unanswerable(tmp_path: Path) -> None:
    path = tmp_path / "questions.jsonl"
    rows = [{"qid": str(n), "question": f"question {n}?", "answers": [] if n % 2 else ["x"],
             "is_impossible": bool(n % 2), "article_id": "a"} for n in range(40)]
    path.write_text("".join(json.dumps(row) + "\n" for row in rows), "utf-8")
    sample = load_questions(path, limit=10, seed=3)
    assert len(sample) == 10 and sum(q.impossible for q in sample) == 5
    assert [q.qid for q in sample] == [q.qid for q in load_questions(path, limit=10, seed=3)]


# -- through the CLI, on the real sample index --------------------------------------------------------------------

SAMPLE_QUESTIONS = [
    {"qid": "1", "question": "When did the Maplewood footbridge reopen?", "answers": ["14 March 2026"],
     "is_impossible": False, "article_id": "footbridge"},
    {"qid": "2", "question": "How much did the footbridge repairs cost?", "answers": ["2.3 million euros"],
     "is_impossible": False, "article_id": "footbridge"},
    {"qid": "3", "question": "What is the total of the Maplewood budget for 2027?", "answers": ["48.6 million euros"],
     "is_impossible": False, "article_id": "budget"},
    {"qid": "4", "question": "Which engineering firm repaired the footbridge?", "answers": ["Hollis & Brandt"],
     "is_impossible": False, "article_id": "footbridge"},
    {"qid": "5", "question": "Who won the lottery in Maplewood?", "answers": [], "is_impossible": True,
     "article_id": ""},
]


@pytest.mark.slow
def test_rag_eval_retrieval_only_through_the_cli(sample_index: Path, tmp_path: Path) -> None:
    from tests.test_cli import run

    questions = tmp_path / "questions.jsonl"
    questions.write_text("".join(json.dumps(row) + "\n" for row in SAMPLE_QUESTIONS), "utf-8")
    out = tmp_path / "report.json"
    details = tmp_path / "details.jsonl"
    result = run("eval", str(questions), "--index", str(sample_index), "--retrieval-only", "--out", str(out),
                 "--details", str(details))
    assert "answer_recall@1" in result.stdout and "4 answerable" in result.stdout
    rows = [json.loads(line) for line in details.read_text("utf-8").splitlines()]
    assert [row["question"] for row in rows] == [row["question"] for row in SAMPLE_QUESTIONS]
    assert all(row["answer_rank"] is not None and row["answer_rank"] <= 5 for row in rows if not row["impossible"])
    report = json.loads(out.read_text("utf-8"))
    assert report["retrieval"]["answer_recall@5"] == 1.0
    assert report["retrieval"]["answer_recall@1"] >= 0.75
    assert report["settings"]["retrieval"] == "hybrid" and "answers" not in report

    # A source filter that excludes every article holding the answers: nothing can be found.
    filtered = json.loads(run("eval", str(questions), "--index", str(sample_index), "--retrieval-only", "--json",
                              "--source", "lenn-valley-regatta.md").stdout)
    assert filtered["filters"]["sources"] == ["lenn-valley-regatta.md"]
    assert filtered["retrieval"]["answer_recall@20"] == 0.0


@pytest.mark.slow
def test_search_filters_through_the_cli(sample_index: Path) -> None:
    from tests.test_cli import run

    every = json.loads(run("search", "budget", "--index", str(sample_index), "-k", "20", "--json").stdout)
    dated = json.loads(run("search", "budget", "--index", str(sample_index), "-k", "20", "--json",
                           "--since", "2026-04", "--until", "2026").stdout)
    assert dated["results"] and len(dated["results"]) < len(every["results"])
    assert all("2026-04-01" <= result["published"][:10] <= "2026-12-31" for result in dated["results"])
    bad = run("search", "budget", "--index", str(sample_index), "--since", "April", check=False)
    assert bad.returncode == 1 and "since must be a date like 2026-03-14" in bad.stderr


def test_filter_flags_become_filters() -> None:
    from rag.cli import _filters, build_parser

    parser = build_parser()
    arguments = parser.parse_args(["eval", "q.jsonl", "--source", "gazette", "--source", "wire.jsonl",
                                   "--since", "2026-03", "--until", "2026"])
    filters = _filters(arguments)
    assert filters.sources == ("gazette", "wire.jsonl")
    assert (filters.since, filters.until) == ("2026-03-01", "2026-12-31")
    assert _filters(parser.parse_args(["search", "question"])) is None
    with pytest.raises(InvalidRequestError, match="until must be a date"):
        _filters(parser.parse_args(["ask", "question", "--until", "2026-13"]))
