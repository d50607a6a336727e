"""Briefings (`rag.answer.brief`): the period read from what a user types, stories grouped once however many outlets
reported them, ranked by outlets then recency, the topic filter, the window, the lede quoted from the article; on
tests/data/multi-outlet.jsonl (eight events told by three or four outlets over four months, five distractors) with
the real embedder, and the CLI."""

from __future__ import annotations

import datetime
import json
from collections import Counter
from pathlib import Path

import numpy as np
import pytest

from rag.answer.brief import Brief, brief, brief_period, group_reports, lede
from rag.answer.retrieve import Retriever
from rag.errors import InvalidRequestError
from rag.records import Passage
from tests.conftest import MULTI_OUTLET

AS_OF = datetime.date(2026, 4, 20)
EVENT_OF = {json.loads(line)["id"]: json.loads(line)["event"] for line in MULTI_OUTLET.read_text().splitlines()}
PUBLISHED = {json.loads(line)["id"]: json.loads(line)["published"] for line in MULTI_OUTLET.read_text().splitlines()}


@pytest.fixture(scope="module")
def retriever(multi_outlet_index: Path, real_embedder) -> Retriever:  # type: ignore[no-untyped-def]
    return Retriever.load(multi_outlet_index, real_embedder)


def events(found: Brief) -> list[set[str]]:
    """The labelled events of each story's reports."""
    return [{EVENT_OF[passage.article_id] for passage in story.reports} for story in found.stories]


# -- the period ---------------------------------------------------------------------------------------------------


@pytest.mark.parametrize(("since", "until", "first", "last"), [
    ("7d", "", "2026-04-14", "2026-04-20"),
    ("2w", "", "2026-04-07", "2026-04-20"),
    ("last week", "", "2026-04-13", "2026-04-20"),
    ("this month", "", "2026-04-01", "2026-04-20"),
    ("March", "", "2026-03-01", "2026-04-20"),
    ("March", "March", "2026-03-01", "2026-03-31"),
    ("2026-02-10", "2026-03-01", "2026-02-10", "2026-03-01"),
    ("the past 3 days", "", "2026-04-18", "2026-04-20"),
    ("2025", "", "2025-01-01", "2026-04-20"),
])
def test_since_takes_the_phrases_questions_take(since: str, until: str, first: str, last: str) -> None:
    period = brief_period(since, until, AS_OF)
    assert (period.since, period.until, period.as_of) == (first, last, "2026-04-20")


@pytest.mark.parametrize(("since", "until"), [("soon", ""), ("", ""), ("March", "February 2026")])
def test_a_period_that_reads_as_no_dates_is_refused(since: str, until: str) -> None:
    with pytest.raises(InvalidRequestError):
        brief_period(since, until, AS_OF)


# -- grouping and the lede ---------------------------------------------------------------------------------------


def report(article: str, source: str, text: str, published: str) -> Passage:
    return Passage(article, f"Title {article}", source, "", text, 0, len(text), published=published)


REOPENED = "Mayor Anneke Vos reopened the Maplewood footbridge on Saturday; the repairs cost 1.35 million euros."
RETOLD = "The Maplewood footbridge is open again, Mayor Anneke Vos said; 1.35 million euros was spent on it."


def test_reports_join_a_story_only_within_its_days_and_once_per_article() -> None:
    passages = [report("a", "Gazette", REOPENED, "2026-03-14"), report("b", "Herald", RETOLD, "2026-03-15"),
                report("c", "Courier", RETOLD, "2026-04-20"),  # the same words weeks later: another story
                report("d", "Daily", "The council met to talk about the weather in Orwin.", "2026-04-20")]
    vectors = np.array([[1.0, 0.0], [0.95, 0.31], [0.95, 0.31], [0.0, 1.0]])
    grouped = group_reports(passages, vectors, 0.6)
    assert [[passage.article_id for passage in story] for story in grouped] == [["a", "b"], ["c"], ["d"]]
    unlike = np.array([[1.0, 0.0], [0.5, 0.866], [0.5, 0.866], [0.0, 1.0]])  # cosine 0.5: under the threshold
    assert len(group_reports(passages, unlike, 0.6)) == 4


def test_the_lede_is_the_first_sentence_that_says_something_and_is_the_articles_own() -> None:
    text = "Update: More below. " + REOPENED + " Crowds came."
    start, end = lede(report("a", "Gazette", text, "2026-03-14")) or (0, 0)
    assert text[start:end] == REOPENED
    assert lede(report("b", "Gazette", "Short. Too short. Not yet.", "2026-03-14")) is None


# -- briefs over the multi-outlet set (real embedder) ------------------------------------------------------------


def test_each_event_is_one_story_however_many_outlets_told_it(retriever: Retriever) -> None:
    found = brief(retriever, "2025", as_of=AS_OF, count=50)
    told = events(found)
    assert all(len(story) == 1 for story in told), told  # no story mixes two events
    counts = Counter(event for story in told for event in story)
    assert counts and all(count == 1 for count in counts.values()), counts  # no event in two stories
    assert len(found.stories) == len(set(EVENT_OF.values()))
    reopening = next(story for story in found.stories if "footbridge-reopened" in events_of(story))
    assert len(reopening.reported_by) == 4
    assert reopening.reported_by_text == (f"reported by {reopening.reported_by[0]}, {reopening.reported_by[1]} +2")


def events_of(story) -> set[str]:  # type: ignore[no-untyped-def]
    return {EVENT_OF[passage.article_id] for passage in story.reports}


def test_stories_are_ranked_by_outlets_then_recency(retriever: Retriever) -> None:
    found = brief(retriever, "2025", as_of=AS_OF, count=50)
    keys = [(len(story.reported_by), story.updated) for story in found.stories]
    assert keys == sorted(keys, reverse=True)
    assert keys[0][0] == 4 and keys[-1][0] == 1  # the four-outlet story first, single reports last
    assert [len(story.reported_by) for story in brief(retriever, "2025", as_of=AS_OF, count=3).stories] == [4, 3, 3]


def test_the_window_holds_only_what_was_published_in_it(retriever: Retriever) -> None:
    found = brief(retriever, "2026-02-01", "2026-02-28", as_of=AS_OF, count=50)
    days = [passage.published[:10] for story in found.stories for passage in story.reports]
    expected = {article for article, day in PUBLISHED.items() if "2026-02-01" <= day <= "2026-02-28"}
    assert {passage.article_id for story in found.stories for passage in story.reports} == expected
    assert all("2026-02-01" <= day <= "2026-02-28" for day in days)
    assert found.articles == len(expected)
    recent = brief(retriever, "7d", as_of=AS_OF)
    assert [events_of(story) for story in recent.stories] == [{"spring-regatta"}]


def test_a_topic_keeps_only_its_stories(retriever: Retriever) -> None:
    found = brief(retriever, "2026", "2026-04-20", as_of=AS_OF, topic="the Maplewood footbridge")
    told = set().union(*events(found))
    assert {"footbridge-closed", "footbridge-reopened"} <= told
    assert not told & {"spring-regatta", "wind-farm", "maternity-ward", "bus-line"}
    assert not brief(retriever, "2026", as_of=AS_OF, topic="quantum chromodynamics lecture").stories


def test_every_lede_is_quoted_from_its_passage(retriever: Retriever) -> None:
    for story in brief(retriever, "2025", as_of=AS_OF, count=50).stories:
        citation = story.lede
        assert citation.quote == " ".join(citation.passage.text[citation.quote_start:citation.quote_end].split())
        assert citation.passage.text.startswith(citation.passage.text[:citation.quote_start])
        assert citation.quote_start < len(citation.passage.text) // 2  # from the start of the article: the lede
        assert story.headline == citation.passage.title
        assert story.published <= story.updated


def test_cli_brief_prints_stories_and_json(multi_outlet_index: Path, capsys: pytest.CaptureFixture[str]) -> None:
    from rag.cli import main

    common = ["--index", str(multi_outlet_index), "--as-of", "2026-04-20"]
    assert main(["brief", "--since", "last month", "-n", "2", *common]) == 0
    text = capsys.readouterr().out
    assert "1 March 2026 to 20 April 2026" in text and "reported by" in text and "+1 more stories" not in text
    assert text.count("\n1. ") == 1 and "\n3. " not in text
    assert main(["brief", "footbridge", "--since", "2026", "--json", *common]) == 0
    data = json.loads(capsys.readouterr().out)
    assert data["topic"] == "footbridge" and data["stories"]
    story = data["stories"][0]
    assert story["lede"] in story["citation"]["text"] and story["outlets"] == len(story["reported_by"])
    assert main(["brief", "--since", "soon", *common]) == 1
    assert "could not read since" in capsys.readouterr().err


# -- HTTP: JSON and the Atom feed --------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def client(retriever: Retriever):  # type: ignore[no-untyped-def]
    from fastapi.testclient import TestClient

    from rag.answer.assistant import Assistant
    from rag.serve.app import create_app
    from rag.settings import Settings
    from tests.conftest import ScriptedLLM

    assistant = Assistant(retriever, ScriptedLLM(), Settings(as_of="2026-04-20"))
    with TestClient(create_app(assistant)) as served:
        yield served


def test_api_brief_returns_the_brief_as_json(client, retriever: Retriever) -> None:  # type: ignore[no-untyped-def]
    data = client.get("/api/brief", params={"since": "last month", "n": 3}).json()
    expected = brief(retriever, "last month", as_of=AS_OF, count=3)
    assert data == json.loads(json.dumps(expected.to_dict()))
    assert data["period"]["since"] == "2026-03-01" and len(data["stories"]) == 3
    topic = client.get("/api/brief", params={"since": "2026-01", "topic": "footbridge", "as_of": "2026-03-20"}).json()
    assert topic["period"]["until"] == "2026-03-20"
    assert all("footbridge" in (story["headline"] + story["lede"]).lower() for story in topic["stories"])
    refused = client.get("/api/brief", params={"since": "soon"})
    assert refused.status_code == 400 and "could not read since" in refused.json()["error"]["message"]
    assert client.get("/api/brief", params={"n": 0}).status_code == 422


def test_the_brief_feed_is_valid_atom_with_ids_dates_and_links(client) -> None:  # type: ignore[no-untyped-def]
    import feedparser

    response = client.get("/feeds/brief.xml", params={"since": "2026-01"})
    assert response.status_code == 200 and response.headers["content-type"].startswith("application/atom+xml")
    feed = feedparser.parse(response.content)
    assert not feed.bozo, feed.get("bozo_exception")
    assert feed.version == "atom10" and feed.feed.id and feed.feed.updated_parsed and feed.feed.title
    stories = client.get("/api/brief", params={"since": "2026-01"}).json()["stories"]
    assert [entry.title for entry in feed.entries] == [story["headline"] for story in stories]
    assert len({entry.id for entry in feed.entries}) == len(feed.entries)
    for entry, story in zip(feed.entries, stories, strict=True):
        assert entry.updated_parsed[:3] == tuple(int(part) for part in story["updated"].split("-"))
        assert entry.link == story["reports"][0]["url"]
        assert {link.href for link in entry.links} == {report["url"] for report in story["reports"]}
        assert story["lede"] in entry.summary
    again = feedparser.parse(client.get("/feeds/brief.xml", params={"since": "2026-01"}).content)
    assert [entry.id for entry in again.entries] == [entry.id for entry in feed.entries]  # stable ids


# -- the chat ----------------------------------------------------------------------------------------------------


def test_the_chat_answers_a_brief_question_with_the_brief(retriever: Retriever) -> None:
    from rag.answer.assistant import Assistant
    from rag.settings import Settings
    from tests.conftest import ScriptedLLM
    from ui.app import chat_turn

    model = ScriptedLLM("The footbridge reopened [1].")
    assistant = Assistant(retriever, model, Settings())
    _, messages, sources, turns = list(chat_turn(assistant, "What happened last week?", [], 5,
                                                 as_of="2026-04-20"))[-1]
    assert not model.prompts  # the brief is read from the articles: the model writes none of it
    expected = brief(retriever, "2026-04-13", "2026-04-19", as_of=AS_OF)
    assert expected.stories and all(story.headline in turns[-1].answer for story in expected.stories)
    assert 'Period read: "last week": 13 April 2026 to 19 April 2026' in sources.replace("&quot;", '"')
    _, _, _, turns = list(chat_turn(assistant, "What happened this week?", turns, 5, as_of="2026-04-20"))[-1]
    assert "Nothing was published" in turns[-1].answer  # Monday 20 April: nothing yet
    # ... and a quiet week points to what came before it (it said only "Nothing was published")
    assert "The newest articles before then: “Record entry for the Lenn Valley spring regatta” (19 April 2026)" in (
        turns[-1].answer)
    _, messages, sources, turns = list(chat_turn(assistant, "Brief me on the footbridge since March", turns, 5,
                                                 as_of="2026-04-20"))[-1]
    assert "rag-source-3-1" in messages[-1]["content"]  # the [1] of the third turn links to its lede
    answer = turns[-1].answer
    assert "Footbridge reopens after nine weeks of repairs" in answer and "[1]" in answer
    assert "reported by" in answer and "Kestrel" not in answer
    assert 'Period read: "since March": 1 March 2026 to 20 April 2026' in sources.replace("&quot;", '"')
    assert "The Maplewood footbridge reopened on Saturday morning" in sources  # the lede, cited
    _, _, _, turns = list(chat_turn(assistant, "What happened to the footbridge?", turns, 5, as_of="2026-04-20"))[-1]
    assert model.prompts  # a question about one thing is answered as before


# -- the benchmark's brief part ----------------------------------------------------------------------------------


def test_the_bench_brief_part_measures_briefs_on_a_news_index() -> None:
    from tools.bench import part_brief, table

    result = part_brief({"passages": 2000, "repeats": 1})
    assert result["passages"] >= 2000 and result["target_s"] == 1.0
    week, month, topic = result["results"]
    assert 0 < week["articles"] < month["articles"]  # the window decides what is read
    assert 0 < month["stories"] < month["articles"]  # reports of one event grouped
    assert 0 < topic["stories"] < month["stories"]
    rendered = table({"machine": {"cpu": "Test CPU", "cores": 2, "memory_gb": 24, "load_average_before": [0.1]},
                      "brief": result})
    assert "| 30 days |" in rendered and "first / target (1 s)" in rendered


def test_a_brief_about_a_topic_with_nothing_in_its_period_is_asked_as_a_question(retriever: Retriever) -> None:
    """"What happened in Maplewood in 2019?" may mean the events of 2019 reported later: no story of 2019 about it
    leaves the question to be answered as one; a period with nothing at all published says so."""
    from types import SimpleNamespace

    from rag.answer.brief import brief_reply
    from rag.settings import Settings

    assistant = SimpleNamespace(retriever=retriever, settings=Settings())
    assert brief_reply(assistant, "What happened to the Maplewood footbridge in 2019?", AS_OF) is None
    assert brief_reply(assistant, "What happened in Maplewood in 2019?", AS_OF) is None
    nothing = brief_reply(assistant, "What happened in 2019?", AS_OF)
    assert nothing is not None and nothing.text == "Nothing was published from 1 January 2019 to 31 December 2019."
    found = brief_reply(assistant, "What happened in Maplewood since January?", AS_OF)
    assert found is not None and found.text.startswith("The stories about Maplewood")


BILL_ARTICLES = [
    ("tracker-1", "Committee adds open-source exemption to AI bill", "2026-07-09", "Parliament Watch",
     "The Science and Technology Committee finished its scrutiny of the Algorithmic Accountability Bill on 9 July "
     "2026 and adopted 37 amendments. The most debated amendment exempts open-source models from the registration "
     "duty unless they are used in a high-risk system."),
    ("weekly-1", "What the AI bill means for compliance teams", "2026-10-05", "Compliance Weekly",
     "The AI bill will change how compliance teams work. Compliance teams should map their AI systems to the AI "
     "bill's risk tiers now, because the AI bill applies to every AI system sold in the country."),
    ("gazette-1", "Harbour ferry timetable changes", "2026-08-01", "Harbour Gazette",
     "The harbour ferry will run every twenty minutes from September, the operator said on Friday, after a year "
     "of complaints about crowded boats at peak hours."),
]


def test_a_topic_keeps_the_stories_whose_title_names_it(tmp_path: Path, real_embedder) -> None:  # type: ignore[no-untyped-def]
    """A short topic ("AI bill") scores low against a report that names it only in its title (its text says
    "Algorithmic Accountability Bill"): the title that names the topic keeps the story."""
    from rag.ingest.indexer import UpdateOptions, update_index

    source = tmp_path / "bill.jsonl"
    source.write_text("".join(json.dumps({"id": name, "title": title, "published": day, "source": outlet,
                                          "url": f"https://example.org/{name}", "text": text}) + "\n"
                              for name, title, day, outlet, text in BILL_ARTICLES))
    update_index([source], tmp_path / "index", real_embedder, UpdateOptions(progress=False))
    found = brief(Retriever.load(tmp_path / "index", real_embedder), "2026-07", as_of=datetime.date(2026, 12, 7),
                  topic="the AI bill")
    headlines = {story.headline for story in found.stories}
    assert headlines == {"Committee adds open-source exemption to AI bill",
                         "What the AI bill means for compliance teams"}


def test_the_python_api_answers_a_request_for_a_brief_with_the_brief(retriever: Retriever) -> None:
    """`Assistant.ask` (the Python API, as the replay and notebooks use it) gives the brief the chat gives: "What
    happened this week?" with nothing this week names the newest articles instead of refusing; the model is never
    asked."""
    from rag.answer.assistant import Assistant
    from rag.answer.brief import brief_reply
    from rag.settings import Settings
    from tests.conftest import ScriptedLLM

    llm = ScriptedLLM("I don't know.")
    assistant = Assistant(retriever, llm, Settings())
    quiet = assistant.ask("What happened this week?", as_of="2026-06-03")
    assert not quiet.refused and quiet.text.startswith("Nothing was published from 1 June 2026 to 3 June 2026.")
    assert "The newest articles before then:" in quiet.text
    asked = assistant.ask("Brief me on the Maplewood footbridge since January", as_of=AS_OF)
    expected = brief_reply(assistant, "Brief me on the Maplewood footbridge since January", AS_OF)
    assert expected is not None and asked.text == expected.text and len(asked.citations) >= 2
    assert not llm.prompts


def test_a_collection_without_dates_answers_what_happened_as_a_question(tmp_path: Path, fake_embedder) -> None:  # type: ignore[no-untyped-def]
    """Encyclopedia pages carry no dates: "What happened in 1815?" asks about 1815, not for the news of 1815."""
    from types import SimpleNamespace

    from rag.answer.brief import brief_reply
    from rag.ingest.indexer import UpdateOptions, update_index
    from rag.settings import Settings

    source = tmp_path / "pages.jsonl"
    source.write_text(json.dumps({"id": "waterloo", "title": "Battle of Waterloo", "text": "The Battle of Waterloo was "
                                  "fought on 18 June 1815 near Waterloo, in what is now Belgium."}) + "\n")
    update_index([source], tmp_path / "index", fake_embedder, UpdateOptions(progress=False))
    assistant = SimpleNamespace(retriever=Retriever.load(tmp_path / "index", fake_embedder), settings=Settings())
    assert brief_reply(assistant, "What happened in 1815?", AS_OF) is None


def test_the_brief_is_looked_for_once_per_question(retriever: Retriever, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    """"What happened in Kessling in 2024?" (no story then) is asked as a question after the brief finds nothing: the
    edges' stream and the assistant's must not both look for it."""
    from rag.answer import brief as brief_module
    from rag.answer.assistant import Assistant, answer_from
    from rag.records import Query
    from rag.settings import Settings
    from tests.conftest import ScriptedLLM

    calls: list[str] = []
    looked_for = brief_module.brief_reply

    def counted(assistant, question, as_of=None):  # type: ignore[no-untyped-def]
        calls.append(question)
        return looked_for(assistant, question, as_of)

    monkeypatch.setattr(brief_module, "brief_reply", counted)
    assistant = Assistant(retriever, ScriptedLLM("I don't know."), Settings())
    answer_from(assistant.stream(Query("What happened in Kessling in 2024?")))
    assert calls == ["What happened in Kessling in 2024?"]
    briefed = answer_from(assistant.stream(Query("Catch me up", as_of=datetime.date(2026, 6, 3))))
    assert not briefed.refused and len(calls) == 2
