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
from rag.evaluate import Question, evaluate, load_questions, summary, unknown_articles
from rag.ingest.chunk import embedding_text
from rag.records import Passage
from rag.settings import Settings
from rag.store.generations import ArticleRecord, PassageIndex
from tests.conftest import SAMPLES, FakeEmbedder, ScriptedLLM

TEXTS = {
    "ferry": ("Ferry line", "The ferry line between Harbor Town and Pine Island opened on 3 May with two boats."),
    "library": ("Library budget", "The council approved a budget of 4 million euros for the new library."),
    "storm": ("Autumn storm", "A storm closed the harbour for three days in October."),
}


def scripted_assistant(tmp_path: Path, *replies: str, articles: tuple[str, ...] | None = None,
                       chat: bool = False) -> Assistant:
    """An assistant over TEXTS (only the `articles` among them, with their article records, when given) whose
    model (a base model, or a chat model whose refusals are final) replies `replies` in turn."""
    embedder = FakeEmbedder()
    index = PassageIndex(embedder.name, embedder.dimension)
    chosen = {key: TEXTS[key] for key in articles} if articles is not None else TEXTS
    passages = [Passage(key, title, f"{key}.txt", "", text, 0, len(text)) for key, (title, text) in chosen.items()]
    records = [ArticleRecord(key, f"hash-{key}", title, f"{key}.txt", passages=1) for key, (title, _) in chosen.items()]
    index.add(passages, embedder.embed([embedding_text(p.title, p.text) for p in passages]),
              records if articles is not None else ())
    index.save(tmp_path)
    retriever = Retriever.load(tmp_path, embedder)
    return Assistant(retriever, ScriptedLLM(*replies, chat=chat), Settings(index=str(tmp_path), k=2, min_score=0.0),
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
    assert answers["contains_answer_text"] == (records[0]["contains_text"] + records[1]["contains_text"]) / 2
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


# -- "not in my articles": questions whose article is left out of the index ----------------------------------------

FERRY_QUESTION = Question("q1", "When did the ferry line to Pine Island open?", ("3 May",), False, "ferry")
CLOSURE_QUESTION = Question("q2", "When did the ferry line to Pine Island close?", ("in June",), False,
                            "ferry-closure")
"""About a later article, left out of the index: only the ferry article's opening sentence can be found for it."""
LIBRARY_QUESTION = Question("q2", "What budget did the council approve for the library?", ("4 million euros",),
                            False, "library")


def indexed_articles(assistant: Assistant) -> set[str]:
    return set(assistant.retriever.index.articles)


def test_a_question_whose_article_is_not_indexed_is_counted_apart_and_refused(tmp_path: Path) -> None:
    # Only the ferry article is indexed; the closure question's article is not. A chat model's refusal is final.
    assistant = scripted_assistant(tmp_path, "The ferry line opened on 3 May [1].", "I don't know.",
                                   articles=("ferry",), chat=True)
    assert indexed_articles(assistant) == {"ferry"}
    records: list[dict] = []
    report = evaluate(assistant, [FERRY_QUESTION, CLOSURE_QUESTION], record=records.append,
                      indexed=indexed_articles(assistant))
    assert [(row["qid"], row["indexed"]) for row in records] == [("q1", True), ("q2", False)]
    assert records[1]["refused"] and "answer_rank" not in records[1]
    assert (report["questions"], report["answerable"], report["unanswerable"]) == (2, 1, 0)
    assert report["not_indexed"] == {"not_indexed_questions": 1, "not_indexed_refused": 1.0}
    # The closure question is left out of every other metric: it would pull recall and "contains" down to 0.5.
    assert report["retrieval"]["answer_recall@20"] == 1.0 and report["retrieval"]["mrr@20"] == 1.0
    assert report["answers"]["contains_with_evidence"] == 1.0 and report["answers"]["false_refusal_rate"] == 0.0
    assert [example["question"] for example in report["examples"]] == [FERRY_QUESTION.question]
    text = summary(report)
    assert "1 not indexed" in text and "not in the index:" in text and "not_indexed_refused" in text


def test_a_not_indexed_question_answered_from_other_articles_counts_as_not_refused(tmp_path: Path) -> None:
    # The realistic failure: the model answers the closure question from the ferry article's opening sentence.
    assistant = scripted_assistant(tmp_path, "The ferry line opened on 3 May [1].", articles=("ferry",))
    records: list[dict] = []
    report = evaluate(assistant, [FERRY_QUESTION, CLOSURE_QUESTION], record=records.append,
                      indexed=indexed_articles(assistant))
    assert not records[1]["refused"] and records[1]["citations"][0]["article_id"] == "ferry"
    assert report["not_indexed"] == {"not_indexed_questions": 1, "not_indexed_refused": 0.0}
    assert report["answers"]["false_refusal_rate"] == 0.0


def test_retrieval_only_counts_not_indexed_questions_and_skips_them(tmp_path: Path) -> None:
    assistant = scripted_assistant(tmp_path, "unused", articles=("ferry",))
    records: list[dict] = []
    report = evaluate(assistant, [FERRY_QUESTION, LIBRARY_QUESTION], answers=False, record=records.append,
                      indexed=indexed_articles(assistant))
    assert report["not_indexed"]["not_indexed_questions"] == 1 and "skipped" in report["not_indexed"]
    assert report["answerable"] == 1 and report["retrieval"]["answer_recall@20"] == 1.0
    assert records[1] == {"qid": "q2", "question": LIBRARY_QUESTION.question, "gold": ["4 million euros"],
                          "impossible": False, "indexed": False}
    assert assistant.llm.prompts == []  # type: ignore[attr-defined]
    assert "not in the index:" in summary(report) and "skipped" in summary(report)


def test_a_set_about_no_indexed_article_says_so_instead_of_printing_empty_figures(tmp_path: Path) -> None:
    # Every question names an article the index lacks (a "not in my articles" set, or ids written differently from
    # the index's): no figure of retrieval or answers can be given, and none is shown as "None" or a 0.0 latency.
    assistant = scripted_assistant(tmp_path, "I don't know.", "I don't know.", articles=("ferry",), chat=True)
    questions = [LIBRARY_QUESTION, CLOSURE_QUESTION]
    assert unknown_articles(questions, indexed_articles(assistant)) == ["library", "ferry-closure"]
    report = evaluate(assistant, questions, indexed=indexed_articles(assistant))
    assert report["retrieval"]["search_latency_p50_ms"] is None and report["answers"]["answer_latency_p50_s"] is None
    text = summary(report)
    assert "retrieval: - (no question about an indexed article)" in text
    assert "answers: - (no question about an indexed article)" in text
    assert "None" not in text and "0.0" not in text.split("not in the index:")[0]
    assert "not_indexed_refused      1.0" in text


def without_timings(report: dict) -> dict:
    """The report without its latencies, which differ from run to run."""
    return {name: ({key: value for key, value in part.items() if "latency" not in key}
                   if isinstance(part, dict) else part) for name, part in report.items()}


def test_with_every_article_indexed_the_report_is_what_it_was(tmp_path: Path) -> None:
    questions = [FERRY_QUESTION, LIBRARY_QUESTION, Question("q3", "Who painted the lighthouse?", (), True, "storm")]
    replies = ("The ferry line opened on 3 May [1].", "I don't know.", "I don't know.")
    before = evaluate(scripted_assistant(tmp_path / "before", *replies, articles=tuple(TEXTS)), questions)
    assistant = scripted_assistant(tmp_path / "now", *replies, articles=tuple(TEXTS))
    records: list[dict] = []
    now = evaluate(assistant, questions, record=records.append, indexed=indexed_articles(assistant))
    assert without_timings(now) == without_timings(before) and "not_indexed" not in now
    assert (now["questions"], now["answerable"], now["unanswerable"]) == (3, 2, 1)
    assert now["answers"]["refusal_recall"] == 1.0 and now["answers"]["contains_with_evidence"] == 1.0
    assert all(row["indexed"] for row in records)
    assert "not in the index" not in summary(now) and "not indexed" not in summary(now)


def test_load_questions_samples_keep_the_share_of_unanswerable(tmp_path: Path) -> None:
    path = tmp_path / "questions.jsonl"
    rows = [{"qid": str(n), "question": f"question {n}?", "answers": [] if n % 2 else ["x"],
             "is_impossible": bool(n % 2), "article_id": "a"} for n in range(40)]
    path.write_text("".join(json.dumps(row) + "\n" for row in rows), "utf-8")
    sample = load_questions(path, limit=10, seed=3)
    assert len(sample) == 10 and sum(q.impossible for q in sample) == 5
    assert [q.qid for q in sample] == [q.qid for q in load_questions(path, limit=10, seed=3)]


# -- through the CLI, on the real sample index --------------------------------------------------------------------

FOOTBRIDGE = str((SAMPLES / "maplewood-footbridge.md").resolve())
BUDGET = str((SAMPLES / "town-council-budget.txt").resolve())
"""The sample index's ids of these articles: a file's article id is its resolved path."""

SAMPLE_QUESTIONS = [
    {"qid": "1", "question": "When did the Maplewood footbridge reopen?", "answers": ["14 March 2026"],
     "is_impossible": False, "article_id": FOOTBRIDGE},
    {"qid": "2", "question": "How much did the footbridge repairs cost?", "answers": ["2.3 million euros"],
     "is_impossible": False, "article_id": FOOTBRIDGE},
    {"qid": "3", "question": "What is the total of the Maplewood budget for 2027?", "answers": ["48.6 million euros"],
     "is_impossible": False, "article_id": BUDGET},
    {"qid": "4", "question": "Which engineering firm repaired the footbridge?", "answers": ["Hollis & Brandt"],
     "is_impossible": False, "article_id": FOOTBRIDGE},
    {"qid": "5", "question": "Who won the lottery in Maplewood?", "answers": [], "is_impossible": True,
     "article_id": ""},
    {"qid": "6", "question": "When did the Maplewood ferry close?", "answers": ["in June"], "is_impossible": False,
     "article_id": "not-in-the-samples"},
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
    assert "answer_recall@1" in result.stdout and "4 answerable, 1 unanswerable, 1 not indexed" in result.stdout
    assert "not in the index:" in result.stdout
    # Said before scoring: an id written differently from the index's would otherwise show only as missing figures.
    assert "1 of 6 questions name an article_id the index does not hold ('not-in-the-samples')" in result.stderr
    assert "rag info --articles" in result.stderr
    rows = [json.loads(line) for line in details.read_text("utf-8").splitlines()]
    assert [row["question"] for row in rows] == [row["question"] for row in SAMPLE_QUESTIONS]
    assert [row["indexed"] for row in rows] == [True] * 5 + [False]
    assert all(row["answer_rank"] is not None and row["answer_rank"] <= 5
               for row in rows if row["indexed"] and not row["impossible"])
    report = json.loads(out.read_text("utf-8"))
    assert report["not_indexed"]["not_indexed_questions"] == 1
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
