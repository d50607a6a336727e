"""Satire and opinion: an article that marks itself so (a "SATIRE:" first line, an "Opinion:" title, a category or
tag) is recorded so at indexing, and an answer citing it says so, in its text and on the citation line (CLI, HTTP
JSON, the chat), never as plain fact."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from rag.answer.assistant import Assistant
from rag.answer.evidence import WordOverlap
from rag.answer.retrieve import Retriever
from rag.ingest.indexer import UpdateOptions, update_index
from rag.ingest.metadata import declared_kind
from rag.records import ARTICLE_KIND_KEY
from rag.settings import Settings
from tests.conftest import FakeEmbedder, ScriptedLLM, write
from tests.test_span_reader import FakeReader
from ui.render import answer_plain_text

SATIRE = """---
title: "Council to fine pigeons, sources insist"
date: 2026-04-01
source: The Dunmore Jester
---

SATIRE: The Dunmore Jester is a satirical paper and nothing in it is fact.

Dunmore council will fine every pigeon £4 for each crumb eaten on the market square, officials said.
"""

NEWS = """---
title: "Market square reopens after repairs"
date: 2026-04-02
source: Dunmore Gazette
---

The market square in Dunmore reopened on Tuesday after six weeks of repairs to its paving.
"""


@pytest.mark.parametrize(("title", "text", "metadata", "kind"), [
    ("Council to fine pigeons", "SATIRE: nothing here is fact.\nThe council fined pigeons.", {}, "satire"),
    ("Council to fine pigeons", "Satire\nThe council fined pigeons.", {}, "satire"),
    ("Pigeons fined (satire)", "The council fined pigeons.", {}, "satire"),
    ("Opinion: the market square is a mess", "I walked across it.", {}, "opinion"),
    ("The market square is a mess", "Comment: I walked across it.", {}, "opinion"),
    ("The market square", "I walked across it.", {"category": "Opinion"}, "opinion"),
    ("The market square", "I walked across it.", {"tags": ["local", "satire"]}, "satire"),
    # what a report says about satire or opinions is not a mark of its own kind
    ("Satirist wins award", "The satirist's column mocked the council.", {"category": "culture"}, ""),
    ("Poll: opinion split on market", "Opinion is split on the market square, a poll found.", {}, ""),
    ("Review: a satire of office life", "The satire lands.", {"tags": ["film"]}, ""),
])
def test_only_a_self_declared_mark_gives_a_kind(title: str, text: str, metadata: dict[str, Any], kind: str) -> None:
    assert declared_kind(title, text, metadata) == kind


def assistant_over(tmp_path: Path, reader: FakeReader) -> tuple[Assistant, Retriever]:
    write(tmp_path / "articles", "pigeons.md", SATIRE)
    write(tmp_path / "articles", "market.md", NEWS)
    embedder = FakeEmbedder()
    update_index([tmp_path / "articles"], tmp_path / "index", embedder, UpdateOptions(progress=False))
    retriever = Retriever.load(tmp_path / "index", embedder)
    assistant = Assistant(retriever, ScriptedLLM("unused"), Settings(index=str(tmp_path / "index"), k=3),
                          WordOverlap(retriever.term_weights), reader=reader)
    return assistant, retriever


def test_the_kind_is_recorded_at_indexing(tmp_path: Path) -> None:
    _, retriever = assistant_over(tmp_path, FakeReader("£4", 0.9))
    kinds = {record.title: record.metadata.get(ARTICLE_KIND_KEY, "") for record in retriever.index.articles.values()}
    assert kinds == {"Council to fine pigeons, sources insist": "satire", "Market square reopens after repairs": ""}


def test_an_answer_citing_satire_says_it_is_satire(tmp_path: Path) -> None:
    assistant, _ = assistant_over(tmp_path, FakeReader("£4", 0.9))
    answer = assistant.ask("How much will the council fine pigeons for each crumb?")
    assert not answer.refused
    assert "£4" in answer.text
    cited = answer.citations[0]
    assert cited.passage.source == "The Dunmore Jester" and cited.kind == "satire"
    assert f"Note: [{cited.number}] is satire (The Dunmore Jester marks it so), not a report of fact." in answer.text
    assert cited.to_dict()["kind"] == "satire"
    assert f"[{cited.number}] Council to fine pigeons, sources insist (satire)" in answer_plain_text(answer)


def test_an_answer_citing_news_carries_no_mark(tmp_path: Path) -> None:
    assistant, _ = assistant_over(tmp_path, FakeReader("Tuesday", 0.9))
    answer = assistant.ask("When did the market square in Dunmore reopen?")
    assert not answer.refused and "Tuesday" in answer.text
    assert "Note:" not in answer.text and answer.citations[0].kind == ""
