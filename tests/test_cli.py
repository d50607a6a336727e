"""The `rag` command through its installed entry point: index, info, search, ask, serve, and one-line errors."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from rag.models.embed import embedder_name
from tests.answer_contract import assert_answer_contract, shows
from tests.conftest import SAMPLE_ARTICLES, SAMPLES, free_port, serving

pytestmark = pytest.mark.slow


def rag_command() -> list[str]:
    script = Path(sys.executable).parent / "rag"
    return [str(script)] if script.exists() else [sys.executable, "-m", "rag.cli"]


def run(*arguments: str, check: bool = True, given: str | None = None) -> subprocess.CompletedProcess[str]:
    environment = {**os.environ, "HF_HUB_OFFLINE": "1", "RAG_EMBED_THREADS": "1"}
    result = subprocess.run([*rag_command(), *arguments], capture_output=True, text=True, timeout=600,
                            env=environment, input=given)
    if check:
        assert result.returncode == 0, result.stderr
    return result


def test_index_then_rerun_embeds_nothing(tmp_path: Path) -> None:
    articles = tmp_path / "articles"
    shutil.copytree(SAMPLES, articles)
    first = json.loads(run("index", str(articles), "--index", str(tmp_path / "index"), "--json").stdout)
    assert len(first["added"]) == SAMPLE_ARTICLES and first["failed"] == []
    assert first["passages_embedded"] == first["passages_total"] > 8
    second = json.loads(run("index", str(articles), "--index", str(tmp_path / "index"), "--json").stdout)
    assert second["unchanged"] == SAMPLE_ARTICLES and second["passages_embedded"] == 0 and second["added"] == []

    info = json.loads(run("info", "--index", str(tmp_path / "index"), "--json").stdout)
    assert info["articles"] == SAMPLE_ARTICLES and info["passages"] == first["passages_total"]
    assert info["embedder"] == embedder_name("bundled") and info["bytes"] > 0
    text = run("info", "--index", str(tmp_path / "index")).stdout  # what --source can name
    assert "sources:" in text and "Maplewood Gazette" in text and "town-council-budget.txt" in text
    # Every article's id (what a question file's article_id names for `rag eval`), date, source and title.
    listed = json.loads(run("info", "--index", str(tmp_path / "index"), "--json", "--articles").stdout)
    budget = str((articles / "town-council-budget.txt").resolve())
    assert len(listed["article_list"]) == SAMPLE_ARTICLES and budget in [row["id"] for row in listed["article_list"]]
    text = run("info", "--index", str(tmp_path / "index"), "--articles").stdout
    assert f"  {budget}  -  town-council-budget.txt  Maplewood council approves" in text


def test_search_and_ask_print_json(sample_index: Path) -> None:
    search = json.loads(run("search", "Harbour Lights festival visitors", "--index", str(sample_index), "-k", "2",
                            "--json").stdout)
    assert len(search["results"]) == 2
    assert {"score", "title", "text", "source", "start", "end", "article_id"} <= set(search["results"][0])

    result = run("ask", "How many visitors did the 2026 Harbour Lights festival attract?",
                 "--index", str(sample_index), "--json")
    ask = json.loads(result.stdout)
    assert "llama" not in result.stderr and "ggml" not in result.stderr, "llama.cpp's log goes to the logger"
    assert set(ask) >= {"answer", "citations", "refused"}
    # Whatever the bundled model wrote (its words differ between CPUs): checked, cited, the fact shown.
    assert_answer_contract(ask)
    assert not ask["refused"] and "41,500" in ask["citations"][0]["text"] and shows(ask, ["41,500"])


def test_filters_that_let_nothing_through_are_said(sample_index: Path) -> None:
    searched = run("search", "footbridge repairs", "--index", str(sample_index), "--source", "Maplewood Gazete").stdout
    assert "no indexed article matches your filters (source 'Maplewood Gazete')" in searched
    asked = run("ask", "When did the footbridge reopen?", "--index", str(sample_index), "--since", "2030").stdout
    assert "No indexed article matches your filters (published from 2030-01-01)." in asked


def test_text_output_lists_sources(sample_index: Path) -> None:
    output = run("ask", "How many visitors did the 2026 Harbour Lights festival attract?",
                 "--index", str(sample_index)).stdout
    # The saved page's outlet (its og:site_name), not its file's name
    assert "[1]" in output and "41,500 visitors — Maplewood Gazette, 2026-08-10" in output


def test_text_output_quotes_the_sentence_of_each_part_that_cites_a_passage(sample_index: Path) -> None:
    """Both parts of the question cite the footbridge article: the date's sentence and the cost's are both shown
    under it (as the chat highlights both), not only the first."""
    question = "When did the Maplewood footbridge reopen, and how much did the repairs cost?"
    ask = json.loads(run("ask", question, "--index", str(sample_index), "--json").stdout)
    cited = [citation for citation in ask["citations"] if "footbridge" in citation["source"] + citation["url"]]
    assert cited and len(cited[0]["quotes"]) >= 2, ask
    output = run("ask", question, "--index", str(sample_index)).stdout
    for quote in cited[0]["quotes"]:
        assert " ".join(quote.split()) in " ".join(output.split()), (quote, output)


def test_chat_answers_a_follow_up_in_the_conversation_so_far(sample_index: Path) -> None:
    # `rag ask` takes one question: a follow-up ("it") could not be asked from the shell.
    questions = "When did the Maplewood footbridge reopen?\n\n   \nHow much did it cost?\nexit\nnever asked?\n"
    result = run("chat", "--index", str(sample_index), "--json", given=questions)
    answers = [json.loads(line) for line in result.stdout.splitlines()]
    assert [answer["question"] for answer in answers] == ["When did the Maplewood footbridge reopen?",
                                                          "How much did it cost?"]
    assert "footbridge" in answers[1]["search_query"].lower()  # "it" is what the first turn was about
    text = run("chat", "--index", str(sample_index), given="   \nWhen did the Maplewood footbridge reopen?\n").stdout
    assert text.startswith("> When did the Maplewood footbridge reopen?\n") and "[1] Maplewood footbridge" in text


@pytest.mark.parametrize("arguments, message", [
    (["info", "--index", "{tmp}/none"], "no index in"),
    (["serve", "--index", "{tmp}/none", "--port", "0"], "no index in"),  # said before the models load, not after
    (["index", "{tmp}/missing-folder", "--index", "{tmp}/index"], "does not exist"),
    (["ask", "  ", "--index", "{sample}"], "the question is empty"),
    (["search", "q", "--index", "{sample}", "-k", "0"], "k must be at least 1"),
    (["ask", "When did the footbridge reopen?", "--index", "{sample}", "--llm", "{tmp}/questions.jsonl"],
     "is not a GGUF model"),  # llama.cpp said "Failed to load model from file"
    # year 1 less a month was an OverflowError's traceback (a 500 over HTTP)
    (["search", "footbridge last month", "--index", "{sample}", "--as-of", "0001-01-01"], "from the year 1000"),
    (["info", "--index", "{sample}/CURRENT"], "is a file (or inside one), not an index folder"),
    (["index", "{tmp}", "--index", "{tmp}/questions.jsonl"], "is a file (or inside one), not an index folder"),
    # a generation folder is replaced two saves later: an index read or built there would go with it
    (["info", "--index", "{sample}/{live}"], "inside one of the generation folders of the index in {sample}"),
    (["index", "{tmp}", "--index", "{sample}/{live}/mine"], "give --index {sample} to use that index"),
    (["eval", "{tmp}/questions.jsonl", "--index", "{sample}"], "questions.jsonl:1: not a question record"),
    (["eval", "{tmp}/questions.jsonl", "--index", "{sample}", "--limit", "-1"], "--limit must be at least 1"),
])
def test_errors_are_one_line_and_a_nonzero_exit(tmp_path: Path, sample_index: Path, arguments: list[str],
                                                message: str) -> None:
    live = (sample_index / "CURRENT").read_text().strip()
    filled = [argument.format(tmp=tmp_path, sample=sample_index, live=live) for argument in arguments]
    message = message.format(sample=sample_index)
    (tmp_path / "questions.jsonl").write_text('["a list, not a question"]\n' if "--limit" not in arguments
                                              else '{"question": "When?"}\n', "utf-8")
    result = run(*filled, check=False)
    assert result.returncode == 1
    assert message in result.stderr
    assert "Traceback" not in result.stderr
    assert len([line for line in result.stderr.splitlines() if line.startswith("rag ")]) == 1


def test_serve_answers_through_the_http_api(sample_index: Path, tmp_path: Path) -> None:
    import httpx

    port = free_port()
    command = [*rag_command(), "serve", "--index", str(sample_index), "--port", str(port)]
    with serving(command, f"http://127.0.0.1:{port}/api/health", tmp_path / "serve.log",
                 env={**os.environ, "HF_HUB_OFFLINE": "1"}):
        question = {"question": "How many visitors did the 2026 Harbour Lights festival attract?"}
        result = httpx.post(f"http://127.0.0.1:{port}/api/ask", json=question, timeout=300).json()
        assert_answer_contract(result)
        assert not result["refused"] and shows(result, ["41,500"])
        assert any("41,500" in citation["text"] for citation in result["citations"])


@pytest.mark.parametrize("command", ["index", "info", "search", "ask", "chat", "eval", "serve", "brief", "follow"])
def test_every_command_prints_its_help(command: str, capsys: pytest.CaptureFixture[str]) -> None:
    from rag.cli import main

    with pytest.raises(SystemExit) as exit_status:
        main([command, "--help"])
    assert exit_status.value.code == 0
    assert "--index" in capsys.readouterr().out


def test_ask_and_chat_give_the_brief_a_question_asks_for(sample_index: Path) -> None:
    """As the web chat does: "Catch me up" and "What happened last week?" list the stories of the period."""
    asked = run("ask", "Catch me up", "--index", str(sample_index), "--as-of", "2026-03-20").stdout
    assert asked.startswith("The stories, most reported first:") and "Maplewood footbridge reopens" in asked
    assert 'period: "the last 7 days": 14 March 2026 to 20 March 2026' in asked
    chatted = run("chat", "--index", str(sample_index), "--as-of", "2026-03-20",
                  given="What happened in 2025?\n").stdout
    assert "Nothing was published from 1 January 2025 to 31 December 2025." in chatted
    filtered = run("ask", "Catch me up", "--index", str(sample_index), "--source", "Maplewood Gazette").stdout
    assert not filtered.startswith("The stories")  # a brief has no filters: asked as a question


@pytest.mark.parametrize("value", ["-5", "soon", "nan"])
def test_seconds_flags_refuse_what_is_no_number_of_seconds(value: str, capsys: pytest.CaptureFixture[str]) -> None:
    from rag.cli import main

    with pytest.raises(SystemExit):
        main(["index", "articles", "--index", "index", "--checkpoint", value])
    assert f"argument --checkpoint: '{value}' is not a number of seconds" in capsys.readouterr().err


def test_json_errors_are_json_and_a_closed_pipe_is_no_traceback(tmp_path: Path, sample_index: Path) -> None:
    """An operator's scripts read `--json` failures as English on stderr only, and `rag info | head -2` ended in a
    BrokenPipeError traceback."""
    failed = run("info", "--index", str(tmp_path / "none"), "--json", check=False)
    assert failed.returncode == 1
    error = json.loads(failed.stdout)["error"]
    assert error["command"] == "info" and "no index in" in error["message"] and error["type"].endswith("Error")
    piped = subprocess.run(f"{' '.join(rag_command())} info --index {sample_index} --articles | head -1",
                           shell=True, capture_output=True, text=True, timeout=600)
    assert piped.stdout.strip() and "Traceback" not in piped.stderr, piped.stderr
