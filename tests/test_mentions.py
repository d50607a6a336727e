"""Name lookups over the collection (`rag.answer.mentions`): "Which documents mention Belmont?" lists every article
naming it, however many, each citing the sentence that names it; on a few articles with the fake embedder."""

from __future__ import annotations

import json
from pathlib import Path

from rag.answer.assistant import Assistant
from rag.answer.retrieve import Retriever
from rag.ingest.indexer import UpdateOptions, update_index
from rag.settings import Settings
from tests.conftest import FakeEmbedder, ScriptedLLM

ARTICLES = [
    ("starts", "Housing Starts Report Q3 2026", "2026-10-15",
     "Housing starts rose to 42,300 in the third quarter. The Belmont region recorded the largest increase."),
    ("erratum", "Erratum: Housing Starts Report", "2026-10-29",
     "The report overstated the number of starts because projects in the Belmont region were counted twice."),
    ("index", "Housing Affordability Index 2026", "2026-05-20",
     "Median rents rose in every city. In belmont the median rent was 980 euros a month."),
    ("street", "New cafe on Belmonte Street", "2026-06-01",
     "A cafe opened on Belmonte Street on Saturday, with twelve tables and a garden."),
    ("energy", "Energy Outlook 2026", "2026-03-10",
     "Household electricity prices are forecast to fall by about 8 percent in 2026."),
]


def test_which_documents_mention_a_name_lists_every_article_naming_it(tmp_path: Path) -> None:
    source = tmp_path / "articles.jsonl"
    source.write_text("".join(json.dumps({"id": name, "title": title, "published": day, "source": "Bureau",
                                          "url": f"https://example.org/{name}", "text": text}) + "\n"
                              for name, title, day, text in ARTICLES))
    embedder = FakeEmbedder()
    update_index([source], tmp_path / "index", embedder, UpdateOptions(progress=False))
    llm = ScriptedLLM("I don't know.")
    assistant = Assistant(Retriever.load(tmp_path / "index", embedder), llm, Settings(k=1))
    answer = assistant.ask("Which documents mention the Belmont region?")
    assert not answer.refused and answer.text.startswith("3 articles mention the Belmont region:")
    assert [citation.passage.article_id for citation in answer.citations] == ["index", "starts", "erratum"]
    for citation in answer.citations:
        assert "belmont" in citation.quote.lower()
        assert citation.quote == " ".join(citation.passage.text[citation.quote_start:citation.quote_end].split())
    assert not llm.prompts


def test_a_lookup_that_stops_at_its_depth_says_at_least(tmp_path: Path, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    from rag.answer import mentions as lookup

    source = tmp_path / "articles.jsonl"
    source.write_text("".join(json.dumps({"id": name, "title": title, "published": day, "source": "Bureau",
                                          "url": f"https://example.org/{name}", "text": text}) + "\n"
                              for name, title, day, text in ARTICLES))
    embedder = FakeEmbedder()
    update_index([source], tmp_path / "index", embedder, UpdateOptions(progress=False))
    assistant = Assistant(Retriever.load(tmp_path / "index", embedder), ScriptedLLM("I don't know."), Settings(k=1))
    monkeypatch.setattr(lookup, "LOOKUP_DEPTH", 2)
    answer = assistant.ask("Which documents mention the Belmont region?")
    assert answer.text.startswith("At least 2 articles mention the Belmont region:")


def test_a_question_for_a_text_by_what_it_says_is_not_a_name_lookup() -> None:
    from rag.answer.mentions import mention_request

    assert mention_request("What texts talk about the creation of the world?") is None
    assert mention_request("What documents refer to the king as Defender of the Faith?") is None
    assert mention_request("Which articles mention the Kessel interconnector?") == "the Kessel interconnector"


def test_a_sentence_naming_it_replaces_a_mention_in_the_title_only() -> None:
    from types import SimpleNamespace

    from rag.answer.mentions import mentions
    from rag.records import Passage

    title = "Belmont rents rise"
    first = Passage("rents", title, "Bureau", "", "Rents rose again this spring.", 0, 29, "2026-05-01")
    later = Passage("rents", title, "Bureau", "", "Tenants said so. In Belmont the rise was 9 percent.", 29, 80,
                    "2026-05-01")
    for order in ([first, later], [later, first]):
        index = SimpleNamespace(candidates=lambda *args, order=order: SimpleNamespace(passages=order))
        found = mentions(index, "Belmont")  # type: ignore[arg-type]
        assert len(found) == 1 and found[0].passage is later
        assert later.text[found[0].start:found[0].end] == "In Belmont the rise was 9 percent."
