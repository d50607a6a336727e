"""One story, many sources: passages of different articles that report the same event are grouped at retrieval, so
that the k hits (and the passages the model reads) are k different stories, and a citation says which outlets
reported its story. Measured on tests/data/multi-outlet.jsonl with the real embedder (tools/stories.py)."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest

from rag.answer.evidence import WordOverlap
from rag.answer.retrieve import Retriever, drop_near_duplicates, group_stories, same_story
from rag.records import Answer, Citation, Hit, Passage
from rag.settings import Settings
from tests.conftest import ScriptedLLM
from tools.stories import QUESTIONS, distinct_events, events_of, measure
from ui.render import render_sources


def report(article: str, source: str, text: str, published: str = "2026-03-14") -> Hit:
    return Hit(Passage(article, "T", source, "", text, 0, len(text), published=published), 0.5)


REOPENED = "Mayor Anneke Vos reopened the Maplewood footbridge; the repairs cost 1.35 million euros."
RETOLD = "The Maplewood footbridge is open again, Mayor Anneke Vos said; 1.35 million euros was spent."


def test_reports_of_one_event_join_the_first_and_free_places_for_other_stories() -> None:
    hits = [
        report("a", "Gazette", REOPENED),
        report("b", "Herald", RETOLD),
        report("c", "Courier", "Ward opens."),
        report("d", "Daily", RETOLD + " Crowds came."),
    ]
    vectors = np.array([[1.0, 0.0], [0.95, 0.31], [0.0, 1.0], [0.9, 0.44]])
    grouped = group_stories(hits, vectors, k=2)
    assert [hit.passage.article_id for hit in grouped] == ["a", "c"]
    assert [passage.article_id for passage in grouped[0].same_story] == ["b", "d"]
    assert grouped[0].reported_by == ["Gazette", "Herald", "Daily"]


def test_alike_texts_are_other_stories_when_dates_names_or_embeddings_differ() -> None:
    vectors = np.array([[1.0, 0.0], [0.95, 0.31]])
    weeks_later = [report("a", "Gazette", REOPENED), report("b", "Herald", RETOLD, published="2026-04-14")]
    undated = [report("a", "Gazette", REOPENED, published=""), report("b", "Herald", RETOLD, published="")]
    other_facts = [report("a", "Gazette", REOPENED), report("b", "Herald", "The footbridge was painted green.")]
    for hits in (weeks_later, undated, other_facts):
        assert [len(hit.same_story) for hit in group_stories(hits, vectors, k=2)] == [0, 0]
    unlike = np.array([[1.0, 0.0], [0.5, 0.866]])  # cosine 0.5, under the threshold
    assert len(group_stories([report("a", "G", REOPENED), report("b", "H", RETOLD)], unlike, k=2)) == 2
    first, second = (hit.passage for hit in weeks_later)
    assert not same_story(first, second, {"vos", "maplewood", "1.35"}, {"vos", "maplewood", "1.35"})


def test_overlapping_windows_of_one_article_are_still_dropped_not_grouped() -> None:
    text = REOPENED + " " + RETOLD
    first = Hit(Passage("a", "T", "Gazette", "", text, 0, len(text), published="2026-03-14"), 0.9)
    window = Hit(Passage("a", "T", "Gazette", "", text[5:], 5, len(text), published="2026-03-14"), 0.8)
    grouped = group_stories([first, window], np.array([[1.0, 0.0], [1.0, 0.0]]), k=2)
    assert [(hit.passage.start, hit.same_story) for hit in grouped] == [(0, ())]
    assert grouped == drop_near_duplicates([first, window], k=2)


def test_grouping_and_dropping_agree_on_what_a_near_duplicate_is() -> None:
    """Where no two hits report one story, `group_stories` keeps exactly what `drop_near_duplicates` keeps: both
    ask `NearDuplicates`, whatever the overlap and k."""
    text = REOPENED + " " + RETOLD
    hits = [
        Hit(Passage("a", "T", "Gazette", "", text, 0, len(text), published="2026-03-14"), 0.9),
        Hit(Passage("a", "T", "Gazette", "", text[5:], 5, len(text), published="2026-03-14"), 0.8),  # a window
        report("b", "Herald", REOPENED + " Crowds came.", published="2026-05-02"),  # a copy, weeks later
        report("c", "Courier", RETOLD, published=""),  # undated, and a copy of the end of a
        report("d", "Daily", "The council set its budget for 2026.", published="2026-03-14"),
        Hit(Passage("d", "T", "Daily", "", "its budget for 2026 and more", 20, 48, published="2026-03-14"), 0.4),
    ]
    vectors = np.eye(len(hits))  # no two alike: no stories
    for overlap in (0.2, 0.5, 0.8, 1.0):
        for k in range(1, len(hits) + 1):
            grouped = group_stories(hits, vectors, k, overlap=overlap)
            assert grouped == drop_near_duplicates(hits, k, overlap), (overlap, k)
            assert all(not hit.same_story for hit in grouped)
    assert [hit.passage.article_id for hit in drop_near_duplicates(hits, len(hits))] == ["a", "d"]


# -- on the multi-outlet set, with the real embedder --------------------------------------------------------------


@pytest.mark.slow
def test_top_5_holds_5_distinct_events_after_grouping_and_3_before(multi_outlet_index: Path, real_embedder) -> None:  # type: ignore[no-untyped-def]
    figures = measure(multi_outlet_index, real_embedder, k=5)
    # Measured (tools/stories.py): 3.08 distinct events on average before (min 2), 5.00 after (min 5).
    assert figures["before"]["mean"] <= 3.5 and figures["before"]["min"] <= 2
    assert figures["after"]["min"] == 5
    pairs = figures["pairs"]
    assert pairs["same_event_grouped"] == pairs["same_event_pairs"] == 27
    assert pairs["different_grouped"] == 0


@pytest.mark.slow
def test_each_hit_carries_the_other_outlets_reporting_its_story(multi_outlet_index: Path, real_embedder) -> None:  # type: ignore[no-untyped-def]
    retriever = Retriever.load(multi_outlet_index, real_embedder)
    events = events_of()
    hits = retriever.search("Who cut the ribbon on the reopened Maplewood footbridge?", 5)
    reopening = hits[0]
    assert events[reopening.passage.article_id] == "footbridge-reopened"
    assert {events[passage.article_id] for passage in reopening.same_story} == {"footbridge-reopened"}
    assert sorted(reopening.reported_by) == [
        "Dunmore Daily",
        "Lenn Valley Herald",
        "Maplewood Gazette",
        "Orwin Courier",
    ]
    assert len({events[hit.passage.article_id] for hit in hits}) == 5
    assert json.loads(json.dumps(reopening.to_dict()))["same_story"][0]["source"] in reopening.reported_by
    # Grouping off: one story told three or four times fills the top 5.
    ungrouped = Retriever.load(multi_outlet_index, real_embedder, story_similarity=1.0)
    assert distinct_events(ungrouped, events, QUESTIONS[:1]) < distinct_events(retriever, events, QUESTIONS[:1])


@pytest.mark.slow
def test_the_answer_cites_the_story_and_the_model_reads_k_stories(multi_outlet_index: Path, real_embedder) -> None:  # type: ignore[no-untyped-def]
    from rag.answer.assistant import Assistant

    retriever = Retriever.load(multi_outlet_index, real_embedder)
    llm = ScriptedLLM("Mayor Anneke Vos cut the ribbon [1].", chat=True)
    assistant = Assistant(
        retriever, llm, Settings(index=str(multi_outlet_index), k=5), WordOverlap(retriever.term_weights)
    )
    answer = assistant.ask("Who cut the ribbon on the reopened Maplewood footbridge?")
    assert isinstance(answer, Answer) and not answer.refused and "Anneke Vos" in answer.text
    citation: Citation = answer.citations[0]
    assert len(citation.reported_by) == 4 and len(citation.same_story) == 3
    events = events_of()
    read = [events[passage.article_id] for passage in llm.prompts[0].passages]
    assert len(read) == len(set(read))  # never one story twice
    data = answer.to_dict()["citations"][0]
    assert data["reported_by"] == citation.reported_by and len(data["same_story"]) == 3
    html = render_sources(answer)
    assert f"reported by {citation.reported_by[0]}, {citation.reported_by[1]} +2" in html
    assert html.count('<details class="rag-report"') == 3  # each other report opens on its own
