"""Questions about time: every phrase `rag.answer.timeframe` reads, resolved against a fixed reference date, and
what search and answers do with it on the multi-outlet set (real embedder)."""

from __future__ import annotations

import datetime
import json
import re
from pathlib import Path

import pytest

from rag.answer.evidence import WordOverlap
from rag.answer.prompts import CANNOT_ANSWER
from rag.answer.retrieve import OUTSIDE_NOTE, Retriever
from rag.answer.timeframe import (
    STATUS_PHRASE,
    dated_weekday,
    names_period,
    nearest_outside,
    outside_note,
    parse_as_of,
    period_filters,
    read_time,
    with_as_of,
)
from rag.errors import InvalidRequestError
from rag.records import Answer, Filters, Passage, Period, TextChunk, long_date
from rag.settings import Settings
from tests.conftest import ScriptedLLM, write

AS_OF = datetime.date(2026, 3, 14)  # a Saturday

# (question, phrase read, first day, last day searched): every case handled, resolved on 14 March 2026.
CASES = [
    ("What is the latest on the footbridge?", "the latest", "", "2026-03-14"),
    ("What is the most recent news about the ferry?", "the most recent news", "", "2026-03-14"),
    ("Which are the newest shops?", "the newest", "", "2026-03-14"),
    ("Who is currently mayor?", "currently", "", "2026-03-14"),
    ("Is the footbridge open now?", "now", "", "2026-03-14"),
    # how a thing stands in the present: an older report's "the strike will continue" may have been overtaken
    ("Is the bus strike still on?", "still", "", "2026-03-14"),
    ("Is the footbridge now open?", "now", "", "2026-03-14"),
    ("Does Lennline still run the buses?", "still", "", "2026-03-14"),
    ("Which party is still in coalition with the Centre Alliance?", "still", "", "2026-03-14"),
    ("Is the bus strike on?", STATUS_PHRASE, "", "2026-03-14"),
    ("Are the Quay Street roads closed?", STATUS_PHRASE, "", "2026-03-14"),
    ("Is the power back on?", STATUS_PHRASE, "", "2026-03-14"),
    ("Is the match called off?", STATUS_PHRASE, "", "2026-03-14"),
    ("Is the war over?", STATUS_PHRASE, "", "2026-03-14"),
    ("What did the council do recently?", "recently", "", "2026-03-14"),
    ("What is the plan so far?", "so far", "", "2026-03-14"),
    ("What happened today?", "today", "2026-03-14", "2026-03-14"),
    ("What happened yesterday?", "yesterday", "2026-03-13", "2026-03-13"),
    ("What happened this week?", "this week", "2026-03-09", "2026-03-14"),
    ("What happened earlier this month?", "earlier this month", "2026-03-01", "2026-03-14"),
    ("What happened this year?", "this year", "2026-01-01", "2026-03-14"),
    ("What happened last week?", "last week", "2026-03-02", "2026-03-08"),
    ("What did the council decide last month?", "last month", "2026-02-01", "2026-02-28"),
    ("What happened last year?", "last year", "2025-01-01", "2025-12-31"),
    ("What changed over the past week?", "over the past week", "2026-03-08", "2026-03-14"),
    ("What changed in the past month?", "in the past month", "2026-02-13", "2026-03-14"),
    ("What happened in the last two weeks?", "in the last two weeks", "2026-03-01", "2026-03-14"),
    ("What happened in the past 3 days?", "in the past 3 days", "2026-03-12", "2026-03-14"),
    ("Who won in March?", "in March", "2026-03-01", "2026-03-31"),
    ("Who won in May?", "in May", "2025-05-01", "2025-05-31"),  # the latest May by the reference date
    ("What opened in March 2025?", "in March 2025", "2025-03-01", "2025-03-31"),
    ("What happened on 14 March 2026?", "on 14 March 2026", "2026-03-14", "2026-03-14"),
    ("What happened on March 3, 2026?", "on March 3, 2026", "2026-03-03", "2026-03-03"),
    ("What happened on 2026-02-10?", "on 2026-02-10", "2026-02-10", "2026-02-10"),
    ("What did the March 2026 vote decide?", "March 2026", "2026-03-01", "2026-03-31"),
    ("What was built in 2025?", "in 2025", "2025-01-01", "2025-12-31"),
    ("What did it cost in 2025 and 2026?", "in 2025 and 2026", "2025-01-01", "2026-12-31"),
    ("What happened in the 1990s?", "in the 1990s", "1990-01-01", "1999-12-31"),
    ("What was built in the 19th century?", "in the 19th century", "1800-01-01", "1899-12-31"),
    ("How has the budget changed since 2025?", "since 2025", "2025-01-01", "2026-03-14"),
    ("What happened since March?", "since March", "2026-03-01", "2026-03-14"),
    ("What happened after 2025?", "after 2025", "2026-01-01", "2026-03-14"),
    ("What happened before March 2026?", "before March 2026", "", "2026-02-28"),
    ("What happened until 2025?", "until 2025", "", "2025-12-31"),
    ("What was promised by June 2025?", "by June 2025", "", "2025-06-30"),
    ("How many homes had broadband by the end of September 2025?", "by the end of September 2025", "", "2025-09-30"),
    ("What happened before the end of 2025?", "before the end of 2025", "", "2025-12-31"),
    ("Who won between March and May 2025?", "between March and May 2025", "2025-03-01", "2025-05-31"),
    ("What opened from 2024 to 2025?", "from 2024 to 2025", "2024-01-01", "2025-12-31"),
    ("What changed between 2026 and 2025?", "between 2026 and 2025", "2025-01-01", "2026-12-31"),
    # A season or financial year: "2012-13" is no 13th month (it made `rag eval` stop on a SQuAD question).
    ("What was the total cost of attendance in 2012-13?", "in 2012-13", "2012-01-01", "2013-12-31"),
    ("What did the club win in 2024–25?", "in 2024–25", "2024-01-01", "2025-12-31"),
    ("What is the most recent news this month?", "the most recent news, this month", "2026-03-01", "2026-03-14"),
]


@pytest.mark.parametrize("question, phrase, since, until", CASES)
def test_every_time_phrase_resolves_to_the_dates_it_means(question: str, phrase: str, since: str, until: str) -> None:
    reading = read_time(question, AS_OF)
    filters, period = period_filters(reading, None, AS_OF)
    assert period is not None and reading.phrase == phrase
    assert (period.since, period.until) == (since, until)
    assert filters == Filters.parse([], since, until)  # the one parser made the bounds


def test_a_number_that_is_no_month_is_no_time_phrase() -> None:
    assert not read_time("What happened in 2026-14?", AS_OF)
    assert not read_time("What happened on 2026-02-30?", AS_OF)


def test_questions_without_time_are_left_alone() -> None:
    for question in (
        "Who built the 2025 budget?",
        "What is the electric current in the wire?",
        "How many boats does the ferry have?",
        "What may the council decide?",
        "Who painted the still life in the town hall?",
        "Is Brackford the county town?",
        "What is the bus strike about?",
        "How many people will still work at the yard?",  # a time to come, not now
        "What will the museum do so that visitors can still study the bronzes?",
        # "on" ending a relative clause, not how a thing stands; "Still" a name, not "still"
        "Is this the road the council voted on?",
        "Is water what plants depend on?",
        "Is Still Game a sitcom?",
    ):
        reading = read_time(question, AS_OF)
        assert not reading and reading.query == question
        assert period_filters(reading, Filters(sources=("gazette",)), AS_OF) == (Filters(sources=("gazette",)), None)


def test_relative_phrases_leave_the_search_text_and_dates_stay_in_it() -> None:
    assert read_time("What did the council decide last month?", AS_OF).query == "What did the council decide?"
    assert read_time("What is the latest on the footbridge?", AS_OF).query == "What is on the footbridge?"
    # An article names its month and year: they help matching, so they stay in what is searched.
    assert read_time("What opened in March 2025?", AS_OF).query == "What opened in March 2025?"
    # ... but not in what answers are checked against once the period is searched.
    assert read_time("What opened in March 2025?", AS_OF).without == "What opened?"


def test_an_event_reference_is_dated_by_a_lookup_or_said_to_be_unknown() -> None:
    reading = read_time("What did councillors say before the budget vote?", AS_OF)
    assert (reading.event, reading.relation) == ("the budget vote", "before")
    assert reading.query == "What did councillors say the budget vote?"  # the event still says what is asked about
    before, note = reading.resolved(lambda event: "2026-02-10")
    assert (before.since, before.until, note) == ("", "2026-02-09", "")
    after, _ = read_time("What happened after the storm?", AS_OF).resolved(lambda event: "2026-02-22")
    assert (after.since, after.until) == ("2026-02-22", "2026-03-14")  # the day's own reports included
    unknown, note = reading.resolved(lambda event: "")
    assert not (unknown.since or unknown.until) and "could not tell when 'the budget vote' was" in note


def test_explicit_date_filters_win_over_the_phrase() -> None:
    mine = Filters.parse(["Maplewood Gazette"], "2026-01", "2026-01")
    chosen, period = period_filters(read_time("What happened last week?", AS_OF), mine, AS_OF)
    assert chosen == mine
    assert period is not None and period.note == "your date filter was used instead"
    # Sources only: the phrase's dates apply, the sources stay.
    chosen, _ = period_filters(read_time("What happened last week?", AS_OF), Filters(sources=("x",)), AS_OF)
    assert chosen == Filters(("x",), "2026-03-02", "2026-03-08")


def test_reference_dates_are_parsed_by_the_one_date_parser() -> None:
    assert parse_as_of("2026-03-14") == AS_OF and parse_as_of("") == datetime.date.today()
    with pytest.raises(InvalidRequestError, match="2026-02-30"):
        parse_as_of("2026-02-30")
    with pytest.raises(InvalidRequestError, match="as_of"):
        Settings(as_of="yesterday").validated()


def test_as_of_wording_keeps_names_capitalised() -> None:
    assert with_as_of("The bridge is open [1].", "2026-03-15") == "As of 15 March 2026, the bridge is open [1]."
    assert with_as_of("Anneke Vos opened it [1].", "2026-03-15") == "As of 15 March 2026, Anneke Vos opened it [1]."
    assert with_as_of("The bridge is open [1].", "") == "The bridge is open [1]."
    # A span answer keeps its sentence's capital: a common word opening it is lowered, a name, "I" or "May" is not.
    assert with_as_of("About 350 volunteers [1].", "2025-11-20") == "As of 20 November 2025, about 350 volunteers [1]."
    assert with_as_of("Nearly 40 homes [1].", "2025-11-20") == "As of 20 November 2025, nearly 40 homes [1]."
    for kept in ("I saw it [1].", "May Ruiz runs it [1].", "Will Park runs it [1].", "UN staff [1].",
                 # a name that opens with a common word, its next word capitalised
                 "One Direction [1].", "Only Fools and Horses [1].", "It Follows is showing [1]."):
        assert with_as_of(kept, "2025-11-20") == f"As of 20 November 2025, {kept}"
    # an article or a preposition is lowered all the same: "the Maplewood footbridge", "in March"
    assert with_as_of("The Maplewood footbridge is open [1].", "2026-03-15").endswith(", the Maplewood footbridge "
                                                                                       "is open [1].")
    assert with_as_of("In March it reopened [1].", "2026-03-15").endswith(", in March it reopened [1].")
    assert with_as_of("None [1].", "2026-03-15").endswith(", none [1].")


def test_the_nearest_dated_articles_outside_a_period_come_nearest_first_once_per_article() -> None:
    def dated(article: str, day: str) -> Passage:
        return Passage(article, f"Title {article}", "s", "", "x", 0, 1, published=day)

    passages = [dated("inside", "2025-06-01"), dated("late", "2026-02-10"), dated("late", "2026-02-11"),
                dated("early", "2024-12-20"), Passage("undated", "U", "s", "", "x", 0, 1)]
    nearest = nearest_outside(passages, "2025-01-01", "2025-12-31")
    assert [passage.article_id for passage in nearest] == ["early", "late"]
    assert nearest_outside(passages, "2025-01-01", "2025-12-31", limit=1)[0].article_id == "early"
    note = outside_note(Period("in 2025", "2025-01-01", "2025-12-31"), nearest)
    assert "in 2025" in note and "Title early" in note and "20 December 2024" in note and "Title late" in note


# -- on the multi-outlet set, with the real embedder --------------------------------------------------------------


@pytest.fixture(scope="module")
def retriever(multi_outlet_index: Path, real_embedder) -> Retriever:  # type: ignore[no-untyped-def]
    return Retriever.load(multi_outlet_index, real_embedder)


@pytest.mark.slow
def test_last_month_searches_only_last_month(retriever: Retriever) -> None:
    found = retriever.search_timed("What happened last month?", 5, as_of=AS_OF)
    assert found.period is not None and (found.period.since, found.period.until) == ("2026-02-01", "2026-02-28")
    assert found.hits and all("2026-02-01" <= hit.passage.published <= "2026-02-28" for hit in found.hits)
    assert found.query == "What happened?"


@pytest.mark.slow
def test_latest_ranks_newer_relevant_articles_first_up_to_the_reference_date(retriever: Retriever) -> None:
    question = "What is the latest on the Maplewood footbridge?"
    found = retriever.search_timed(question, 3, as_of=datetime.date(2026, 3, 20))
    dates = [hit.passage.published for hit in found.hits]
    # The reopening (14-15 March) before the closure (12-13 January), though the closure matches a little better;
    # the repainting notice of 30 March is after the reference date.
    assert dates[0].startswith("2026-03-1") and dates[1].startswith("2026-01-1"), dates
    assert "2026-03-30" not in dates
    # A month later the repainting notice (30 March) is the latest.
    later = retriever.search_timed(question, 3, as_of=datetime.date(2026, 4, 30))
    assert later.hits[0].passage.title == "Footbridge to be repainted in May"
    # Without "latest" the best match comes first, whatever its date.
    plain = retriever.search_timed("What is on the Maplewood footbridge?", 3, as_of=datetime.date(2026, 4, 30))
    assert plain.period is None and plain.hits[0].passage.published.startswith("2026-01-1")
    assert "2026-03-30" in [hit.passage.published for hit in retriever.search_timed(
        "When will the Maplewood footbridge be repainted?", 5, as_of=datetime.date(2026, 4, 30)).hits]
    # ... but asked as of 20 March, with no time phrase either, the notice of 30 March is not published yet
    early = retriever.search_timed("When will the Maplewood footbridge be repainted?", 5,
                                   as_of=datetime.date(2026, 3, 20))
    assert early.hits and all(hit.passage.published[:10] <= "2026-03-20" for hit in early.hits)
    # ... and the other outlets' reports of a story are those published by then: on 14 March, two of four
    reopened = retriever.search_timed("Who cut the ribbon on the reopened Maplewood footbridge?", 3,
                                      as_of=datetime.date(2026, 3, 14)).hits[0]
    assert {passage.published for passage in (reopened.passage, *reopened.same_story)} == {"2026-03-14"}


@pytest.mark.slow
def test_before_the_vote_is_dated_by_the_article_reporting_the_vote(retriever: Retriever) -> None:
    found = retriever.search_timed("What did Maplewood councillors debate before the budget vote?", 3, as_of=AS_OF)
    assert found.period is not None and found.period.until == "2026-02-09", found.period
    assert found.hits[0].passage.title == "Maplewood council debates budget proposal"
    assert all(hit.passage.published <= "2026-02-09" for hit in found.hits)


@pytest.mark.slow
def test_an_event_no_article_reports_is_said_and_every_date_searched(retriever: Retriever) -> None:
    found = retriever.search_timed("What did the mayor say before the coronation?", 3, as_of=AS_OF)
    assert found.period is not None and "could not tell when 'the coronation' was" in found.period.note
    assert found.hits and (found.period.since, found.period.until) == ("", "")


@pytest.mark.slow
def test_a_period_in_which_nothing_was_published_falls_back_to_every_date_and_says_so(retriever: Retriever) -> None:
    # The 2026 budget was voted in February 2026; nothing at all was published in 2024 (the collection does not
    # cover it): every date is searched, and the period says so.
    found = retriever.search_timed("How much is the Maplewood budget for 2026 in 2024?", 3, as_of=AS_OF, relevant=0.2)
    assert found.period is not None and found.period.note.startswith("nothing relevant was published then")
    assert any("48.6 million" in hit.passage.text for hit in found.hits)


@pytest.mark.slow
def test_in_2025_searches_2025_though_2026_reports_match_better(retriever: Retriever) -> None:
    # The reported failure: "What did the council decide in 2025?" on 20 March 2026, one 2025 council article
    # among the budget reports of February 2026: it searched every date. Now 2025 is searched.
    found = retriever.search_timed("What did the council decide in 2025?", 3, as_of=datetime.date(2026, 3, 20))
    assert found.period is not None and (found.period.since, found.period.until) == ("2025-01-01", "2025-12-31")
    assert found.period.note == OUTSIDE_NOTE and found.outside  # the 2026 reports are named, not searched
    assert found.hits and all(hit.passage.published.startswith("2025") for hit in found.hits)
    assert "Maplewood council debates budget proposal" in [hit.passage.title for hit in found.hits]


@pytest.mark.slow
def test_a_refusal_in_a_kept_period_says_so_and_names_the_nearest_dated_articles(retriever: Retriever,
                                                                               tmp_path: Path) -> None:
    from rag.answer.assistant import Assistant

    llm = ScriptedLLM(CANNOT_ANSWER, chat=True)  # a chat model's refusal is final
    assistant = Assistant(retriever, llm, Settings(index=str(tmp_path), k=3), WordOverlap(retriever.term_weights))
    question, as_of = "What did the council decide in 2025?", datetime.date(2026, 3, 20)
    answer = assistant.ask(question, as_of=as_of)
    assert answer.refused and answer.text.startswith(CANNOT_ANSWER)
    assert answer.period is not None and (answer.period.since, answer.period.until) == ("2025-01-01", "2025-12-31")
    # The window is named, and so is each of the nearest dated articles (by title and date): the 2026 budget vote.
    outside = retriever.search_timed(question, 3, as_of=as_of, relevant=Settings().min_score).outside
    assert "in 2025" in answer.text and outside
    assert all(not passage.published.startswith("2025") for passage in outside)
    assert all(passage.title in answer.text and long_date(passage.published) in answer.text for passage in outside)


@pytest.mark.slow
def test_an_answer_about_how_things_stand_says_as_of_when(retriever: Retriever, tmp_path: Path) -> None:
    from rag.answer.assistant import Assistant

    llm = ScriptedLLM("The footbridge reopened after nine weeks of repairs [1].", chat=True)
    assistant = Assistant(retriever, llm, Settings(index=str(tmp_path), k=3), WordOverlap(retriever.term_weights))
    pieces = list(assistant.stream("Is the Maplewood footbridge open now?", as_of=datetime.date(2026, 3, 20)))
    answer = pieces[-1]
    assert isinstance(answer, Answer)
    assert re.match(r"As of 1[45] March 2026, the footbridge reopened", answer.text), answer.text
    assert "".join(event.text for event in pieces if isinstance(event, TextChunk)) == answer.text  # as streamed
    assert answer.period is not None and answer.period.latest and answer.period.until == "2026-03-20"
    # A question about a past period is not said "as of".
    past = assistant.ask(
        "What did the Maplewood footbridge cost to repair in March 2026?", as_of=datetime.date(2026, 3, 20)
    )
    assert not past.text.startswith("As of")


@pytest.mark.slow
def test_cli_search_and_ask_show_the_period(multi_outlet_index: Path, capsys: pytest.CaptureFixture[str]) -> None:
    from rag.cli import main

    assert (
        main(
            [
                "search",
                "What happened last month?",
                "--index",
                str(multi_outlet_index),
                "--as-of",
                "2026-03-14",
                "--json",
            ]
        )
        == 0
    )
    result = json.loads(capsys.readouterr().out)
    assert result["period"]["since"] == "2026-02-01" and result["period"]["until"] == "2026-02-28"
    assert result["search_query"] == "What happened?"
    assert (
        main(["search", "What happened last month?", "--index", str(multi_outlet_index), "--as-of", "2026-03-14"]) == 0
    )
    assert 'period: "last month": 1 February 2026 to 28 February 2026' in capsys.readouterr().out
    assert main(["search", "What happened?", "--index", str(multi_outlet_index), "--as-of", "2026-02-31"]) == 1
    assert "as_of must be a date like 2026-03-14" in capsys.readouterr().err


@pytest.mark.slow
def test_latest_shows_the_model_the_newest_report_first(retriever: Retriever, tmp_path: Path) -> None:
    from rag.answer.assistant import Assistant

    # The shipped answer finder rates January's closure above March's reopening for this question; "now" puts the
    # newer report first all the same.
    assistant = Assistant(retriever, ScriptedLLM("unused", chat=True), Settings(index=str(tmp_path), k=5))
    prompt = assistant.prompt("Is the Maplewood footbridge open now?", as_of=datetime.date(2026, 3, 20))
    assert prompt is not None
    assert prompt.passages[0].published.startswith("2026-03-1"), prompt.passages
    answer = assistant.ask("Is the Maplewood footbridge open now?", as_of=datetime.date(2026, 3, 20))
    assert answer.text.startswith("As of 1") and "March 2026" in answer.text.split(",")[0]


@pytest.mark.slow
def test_the_api_takes_as_of_and_returns_the_period(retriever: Retriever, tmp_path: Path) -> None:
    from fastapi.testclient import TestClient

    from rag.answer.assistant import Assistant
    from rag.serve.app import create_app

    llm = ScriptedLLM("Mayor Anneke Vos cut the ribbon [1].", chat=True)
    assistant = Assistant(retriever, llm, Settings(index=str(tmp_path), k=3), WordOverlap(retriever.term_weights))
    with TestClient(create_app(assistant)) as client:
        found = client.post("/api/search", json={"question": "What happened last month?", "as_of": "2026-03-14"})
        assert found.status_code == 200
        assert found.json()["period"]["described"] == '"last month": 1 February 2026 to 28 February 2026'
        assert all(hit["published"].startswith("2026-02") for hit in found.json()["results"])
        asked = client.post(
            "/api/ask",
            json={
                "question": "Who cut the ribbon on the reopened Maplewood footbridge this month?",
                "as_of": "2026-03-20",
            },
        )
        assert asked.status_code == 200 and asked.json()["period"]["since"] == "2026-03-01"
        assert asked.json()["answer"].startswith("As of 1")  # a period up to the reference date: as of when
        assert len(asked.json()["citations"][0]["reported_by"]) == 4
        wrong = client.post("/api/search", json={"question": "What happened?", "as_of": "2026-13-01"})
        assert wrong.status_code == 400 and "2026-13-01" in wrong.json()["error"]["message"]


@pytest.mark.slow
def test_the_chat_shows_the_period_read_and_who_reported_the_story(retriever: Retriever, tmp_path: Path) -> None:
    from rag.answer.assistant import Assistant
    from ui.app import chat_turn

    llm = ScriptedLLM("Mayor Anneke Vos cut the ribbon [1].", chat=True)
    assistant = Assistant(retriever, llm, Settings(index=str(tmp_path), k=3), WordOverlap(retriever.term_weights))
    *_, last = chat_turn(
        assistant, "Who cut the ribbon on the Maplewood footbridge this month?", [], 3, as_of="2026-03-20"
    )
    sources_html = last[2]
    assert "Period read: &quot;this month&quot;: 1 March 2026 to 20 March 2026" in sources_html
    assert re.search(r"reported by [^<]+ \+2", sources_html)
    assert sources_html.count('<details class="rag-report"') == 3


@pytest.mark.slow
def test_the_openai_endpoint_takes_as_of_too(retriever: Retriever, tmp_path: Path) -> None:
    from fastapi.testclient import TestClient

    from rag.answer.assistant import Assistant
    from rag.serve.app import create_app

    llm = ScriptedLLM("Mayor Anneke Vos cut the ribbon [1].", chat=True)
    assistant = Assistant(retriever, llm, Settings(index=str(tmp_path), k=3), WordOverlap(retriever.term_weights))
    with TestClient(create_app(assistant)) as client:
        reply = client.post(
            "/v1/chat/completions",
            json={
                "messages": [{"role": "user", "content": "Who cut the ribbon on the Maplewood footbridge this month?"}],
                "as_of": "2026-03-20",
            },
        )
        assert reply.status_code == 200, reply.text
        assert reply.json()["period"]["since"] == "2026-03-01"
        assert reply.json()["choices"][0]["message"]["content"].startswith("As of 1")


@pytest.mark.slow
def test_a_question_about_2025_is_answered_from_2025_or_says_nothing_then_answers(retriever: Retriever,
                                                                                   real_llm, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    from rag.answer.assistant import Assistant

    assistant = Assistant(retriever, real_llm, Settings(index=str(tmp_path), k=3))
    answer = assistant.ask("What did the council decide in 2025?", as_of=datetime.date(2026, 3, 20))
    assert answer.period is not None and (answer.period.since, answer.period.until) == ("2025-01-01", "2025-12-31")
    if answer.refused:  # then it says so, naming the window and where to look instead
        assert "in 2025" in answer.text and "2026" in answer.text, answer.text
    else:  # an answer rests on what was published in 2025 only
        assert answer.citations and all(citation.passage.published.startswith("2025")
                                        for citation in answer.citations), answer


@pytest.mark.slow
def test_who_holds_a_role_now_is_read_first_in_the_newest_dated_report(  # type: ignore[no-untyped-def]
        tmp_path: Path, real_embedder) -> None:
    from rag.answer.assistant import Assistant
    from rag.ingest.indexer import UpdateOptions, update_index

    folder = tmp_path / "articles"
    folder.mkdir()
    (folder / "fine.txt").write_text(
        "Harbour Lines fined over late ferries\nPORTWELL, October 8, 2019 (Wire Service) - The regulator fined "
        "Harbour Lines 2 million euros for late sailings. Harbour Lines chief executive Harold Venn said Harbour "
        "Lines accepted the fine.", encoding="utf-8")
    (folder / "order.txt").write_text(
        "Harbour Lines orders two ferries\nPORTWELL, March 3, 2026 (Wire Service) - Harbour Lines ordered two new "
        "ferries for 90 million euros. Its chief executive, Ruth Okafor, said they would sail from 2028.",
        encoding="utf-8")
    update_index([folder], tmp_path / "index", real_embedder, UpdateOptions(progress=False))
    retriever = Retriever.load(tmp_path / "index", real_embedder)
    # a dated dateline dates a plain-text article
    hits = retriever.search("Harbour Lines chief executive", 5)
    assert sorted(hit.passage.published for hit in hits) == ["2019-10-08", "2026-03-03"]
    assistant = Assistant(retriever, ScriptedLLM("unused", chat=True), Settings(index=str(tmp_path), k=5))
    now = assistant.prompt("Who is the chief executive of Harbour Lines?")
    assert now is not None
    assert now.passages[0].published == "2026-03-03", now.passages
    # a question about the past keeps the best match first, whatever its date
    then = assistant.prompt("Who was chief executive when Harbour Lines was fined for late sailings?")
    assert then is not None
    assert then.passages[0].published == "2019-10-08", then.passages


def test_a_range_across_the_new_year_starts_in_the_year_before() -> None:
    # In December the latest September comes after the latest January: read alone they made an empty range, and
    # `rag eval` stopped on "since 2026-09 is after until 2026-01".
    december = datetime.date(2026, 12, 6)
    reading = read_time("How much did Corvane spend on the drilling between September and January?", december)
    _, period = period_filters(reading, None, december)
    assert period is not None and (period.since, period.until) == ("2025-09-01", "2026-01-31")
    reading = read_time("What happened between 14 September and 3 January?", december)
    _, period = period_filters(reading, None, december)
    assert period is not None and (period.since, period.until) == ("2025-09-14", "2026-01-03")


@pytest.mark.parametrize(("answer", "sentence", "published", "dated"), [
    # past: the last such day on or before publication (a Tuesday here)
    ("On Monday", "Orla Brennick resigned on Monday.", "2026-02-03", "On Monday, 2 February 2026"),
    ("Tuesday", "The strike was called off on Tuesday.", "2026-02-03", "Tuesday, 3 February 2026"),
    ("last Friday", "The plant closed last Friday.", "2026-02-03", "last Friday, 30 January 2026"),
    ("On Sunday night", "Storm Edda hit on Sunday night.", "2026-01-12T07:00:00Z", "On Sunday night, 11 January 2026"),
    # ahead: the first such day after it
    ("From Monday", "Drivers will walk out for 48 hours from Monday.", "2026-04-10", "From Monday, 13 April 2026"),
    ("Next Tuesday", "A vote is due next Tuesday.", "2026-02-03", "Next Tuesday, 10 February 2026"),
    ("On Friday", "The council, which will meet in May, voted on Friday.", "2026-02-03", "On Friday, 30 January 2026"),
    # nothing to date, or nothing to date it from
    ("On Monday", "It closed on Monday.", "", "On Monday"),
    ("Holiday", "It was a holiday.", "2026-02-03", "Holiday"),
    # said in the past, "from" and "until" look back; the day the answer stands at is the one dated
    ("From Monday", "The drivers were on strike from Monday until Wednesday.", "2026-02-05",
     "From Monday, 2 February 2026"),
    ("Until Friday", "The road was closed until Friday, the council said.", "2026-02-07",
     "Until Friday, 6 February 2026"),
    ("Next Monday", "The council met on Monday and said the works would begin next Monday.", "2026-02-04",
     "Next Monday, 9 February 2026"),
    ("last Monday", "The plant closed last Monday.", "2026-02-09", "last Monday, 2 February 2026"),
    ("In 2001", "She was made a Dame in 2001.", "2025-09-22", "In 2001"),
])
def test_a_weekday_answer_is_dated_from_its_article(answer: str, sentence: str, published: str, dated: str) -> None:
    at = sentence.lower().rfind(answer.lower().split()[-1]) if answer.lower() not in sentence.lower() else \
        sentence.lower().rfind(answer.lower())
    assert dated_weekday(answer, sentence, published, max(at, 0)) == dated


COUNCIL_MONTHS = (
    ("jan.md", "2026-01-20", "Brackford council delays decision on Mill Lane depot",
     "Brackford town council postponed a decision on the future of the empty Mill Lane bus depot on Monday, after "
     "councillors asked for a second valuation of the site. Councillor Ruth Abernathy said a vote would follow."),
    ("feb.md", "2026-02-17", "Council votes to sell Mill Lane depot for housing",
     "Brackford town council voted on Monday to sell the former Mill Lane bus depot to the Kestrel Homes housing "
     "association for 2.4 million euros, by 21 votes to 6. The association will build 64 affordable flats."),
    ("mar.md", "2026-03-10", "Council approves new cycle lanes on Quay Street",
     "Brackford town council approved two protected cycle lanes on Quay Street on Monday. Work will start in May "
     "and cost 640,000 euros."),
    ("ferry.md", "2026-02-05", "Ferry service resumes after storm repairs",
     "The Port Ellan ferry resumed sailings on Wednesday after six weeks of repairs to the storm-damaged slipway."),
    ("old.md", "2025-09-12", "Harbour wall repairs finished",
     "Repairs to the Port Ellan harbour wall were finished on Wednesday, two months late."),
)


@pytest.mark.slow
def test_a_month_of_a_year_is_kept_and_answered_from_its_one_report(  # type: ignore[no-untyped-def]
        tmp_path: Path, real_embedder) -> None:
    """A month's one council report scores below the relevance floor beside January's and March's ("decision",
    "approves"): it was refused; the period is kept and its report quoted. A month with nothing that answers is
    refused naming the nearest dated articles."""
    from rag.answer.assistant import Assistant
    from rag.ingest.indexer import UpdateOptions, update_index

    folder = tmp_path / "articles"
    for name, day, title, text in COUNCIL_MONTHS:
        write(folder, name, f"---\ntitle: {title}\ndate: {day}\nsource: Brackford Echo\n---\n\n{text}\n")
    update_index([folder], tmp_path / "index", real_embedder, UpdateOptions(progress=False))
    retriever = Retriever.load(tmp_path / "index", real_embedder)
    assistant = Assistant(retriever, ScriptedLLM("unused"), Settings(index=str(tmp_path / "index"), k=5))
    answer = assistant.ask("What did the council decide in February 2026?", as_of="2026-03-20")
    assert answer.period is not None and (answer.period.since, answer.period.until) == ("2026-02-01", "2026-02-28")
    assert not answer.refused, answer.text
    assert {citation.passage.published[:7] for citation in answer.citations} == {"2026-02"}, answer.citations
    assert "Mill Lane" in answer.text
    nothing = assistant.ask("What did the council decide in September 2025?", as_of="2026-03-20")
    assert nothing.refused and "Nothing published in September 2025" in nothing.text, nothing.text


EMISSIONS = (
    ("annual", "2025-04-08", "Corran Logistics publishes its 2024 annual report",
     "Corran Logistics published its annual report for 2024 on Tuesday. The company's greenhouse gas emissions in "
     "2024 were 41,200 tonnes of CO2 equivalent, down 6 percent on 2023."),
    ("solar", "2026-01-12", "Corran Logistics opens solar depot",
     "Corran Logistics opened a depot with 4,000 solar panels. Its emissions have fallen every year since 2024."),
    ("harbour", "2024-09-12", "Harbour wall repairs finished",
     "Repairs to the Port Ellan harbour wall were finished on Wednesday, two months late."),
)


def test_a_report_published_after_the_year_it_tells_of_counts_for_that_year(tmp_path: Path) -> None:
    """"In 2024" is the year the figures are of, not when the report came out (April 2025): a report published after
    the period that names it is searched with it; one naming the year only as a start ("since 2024") is not."""
    from tests.test_moved import dated_assistant
    from tests.test_span_reader import SpansReader

    assistant = dated_assistant(tmp_path, EMISSIONS, SpansReader({"41,200 tonnes of CO2 equivalent": 0.9}))
    question = "What were Corran Logistics' emissions in 2024?"
    found = assistant.retriever.search_timed(question, 3, as_of=AS_OF, relevant=Settings().min_score)
    assert found.period is not None and (found.period.since, found.period.until) == ("2024-01-01", "2024-12-31")
    assert "annual" in [hit.passage.article_id for hit in found.hits]
    assert "solar" not in [hit.passage.article_id for hit in found.hits]
    answer = assistant.ask(question, as_of=AS_OF)
    assert not answer.refused and answer.citations[0].passage.article_id == "annual", answer.text
    assert "41,200" in answer.text


def test_a_report_published_after_the_reference_date_does_not_count_for_the_year_it_tells_of(tmp_path: Path) -> None:
    """Asked as of January 2025, the 2024 annual report (published April 2025) had not come out: it named the year,
    so it was searched with it and its "41,200 tonnes" answered, citing a report from the future."""
    from tests.test_moved import dated_assistant
    from tests.test_span_reader import SpansReader

    assistant = dated_assistant(tmp_path, EMISSIONS, SpansReader({"41,200 tonnes of CO2 equivalent": 0.9}))
    question = "What were Corran Logistics' emissions in 2024?"
    found = assistant.retriever.search_timed(question, 3, as_of=datetime.date(2025, 1, 15),
                                             relevant=Settings().min_score)
    assert "annual" not in [hit.passage.article_id for hit in found.hits]
    answer = assistant.ask(question, as_of="2025-01-15")
    assert "41,200" not in answer.text, answer.text
    assert all(citation.passage.published[:10] <= "2025-01-15" for citation in answer.citations), answer.citations


@pytest.mark.parametrize("text, since, until, named", [
    ("The Mayor 2026 campaign opened.", "2026-05-01", "2026-05-31", False),  # "May" is no start of "Mayor"
    ("Marching 2026 was cancelled.", "2026-03-01", "2026-03-31", False),
    ("The council voted in Mar. 2026.", "2026-03-01", "2026-03-31", True),
    ("The council voted in May 2026.", "2026-05-01", "2026-05-31", True),
    ("Sales grew 2024 to 2025.", "2024-01-01", "2024-12-31", False),  # a year that starts a span
    ("Sales grew between 2023 and 2024.", "2024-01-01", "2024-12-31", False),  # ... or ends one
    ("Sales grew between 2024 and 2025.", "2024-01-01", "2024-12-31", False),
    ("It employs 2024 people.", "2024-01-01", "2024-12-31", False),  # a count, not a year
    ("Its emissions in 2023 and 2024 fell.", "2024-01-01", "2024-12-31", True),
    ("Corran Logistics publishes its 2024 annual report", "2024-01-01", "2024-12-31", True),
    ("Annual Report 2024", "2024-01-01", "2024-12-31", True),
    ("2024 was a record year.", "2024-01-01", "2024-12-31", True),
])
def test_a_period_is_named_by_its_own_month_or_year_not_a_span_or_a_count(
        text: str, since: str, until: str, named: bool) -> None:
    assert names_period(text, since, until) is named


STORY_OVER_WEEKS = (
    ("walkout.md", "2026-02-03", "Brackford bus drivers walk out over pay",
     "Bus drivers at Lennline walked out on Monday in a dispute over pay, halting every bus route in Brackford. The "
     "Unite union said the strike would continue until Lennline improved its pay offer of 3 percent."),
    ("second-week.md", "2026-02-10", "Lennline bus strike enters second week",
     "The Lennline bus strike entered its second week on Monday with no talks planned. About 14,000 passengers a "
     "day normally use Brackford's buses."),
    ("deal.md", "2026-02-20", "Lennline bus strike called off after pay deal",
     "The Lennline bus strike was called off on Thursday after drivers accepted a pay deal of 5.5 percent over two "
     "years. Buses will run a normal timetable from Friday, the company said."),
    ("fire.md", "2026-02-14", "Fire at Stanway Mills warehouse injures five",
     "A fire swept through a warehouse at the Stanway Mills estate on Friday night. Five people were injured, two "
     "of them seriously, and were taken to Brackford General Hospital."),
    ("crash.md", "2026-02-15", "Three injured in Carrow Road crash",
     "Three people were injured when a van and a car collided on Carrow Road on Sunday morning. All three were "
     "treated at Brackford General Hospital."),
    ("update.md", "2026-02-16", "Stanway Mills update: warehouse owner named",
     "The warehouse destroyed at the Stanway Mills estate belonged to Corran Logistics. Police said the number of "
     "injured now stands at six after a worker went to hospital on Sunday."),
    ("regatta.md", "2026-02-22", "Lenn Valley regatta draws record crowd",
     "The Lenn Valley winter regatta drew a record crowd of 6,200 on Saturday."),
)


@pytest.mark.slow
def test_a_story_told_over_weeks_is_answered_from_its_newest_report(  # type: ignore[no-untyped-def]
        tmp_path: Path, real_embedder, real_llm) -> None:
    """The real models over a strike and a fire each told in several reports: how the strike stands is the newest
    report's as of the question's date, and the injured count the revision's, found below the k retrieved. What the
    model writes differs between CPUs: the reports cited are asserted, and the revised figure (the span reader's)."""
    from rag.answer.assistant import Assistant
    from rag.ingest.indexer import UpdateOptions, update_index

    folder = tmp_path / "articles"
    for name, day, title, text in STORY_OVER_WEEKS:
        write(folder, name, f"---\ntitle: {title}\ndate: {day}\nsource: Brackford Echo\n---\n\n{text}\n")
    update_index([folder], tmp_path / "index", real_embedder, UpdateOptions(progress=False))
    assistant = Assistant.load(tmp_path / "index", embedder=real_embedder, llm=real_llm)  # its span reader too
    now = assistant.ask("Is the bus strike still on?", as_of="2026-03-20")
    assert not now.refused and now.citations[0].passage.title.endswith("called off after pay deal"), now
    assert now.text.startswith("As of 20 February 2026"), now.text
    then = assistant.ask("Is the bus strike still on?", as_of="2026-02-12")
    assert all(citation.passage.published <= "2026-02-12" for citation in then.citations), then
    injured = assistant.ask("How many people were injured in the Stanway Mills fire?", as_of="2026-02-17", k=1)
    assert injured.citations and injured.citations[0].passage.title.startswith("Stanway Mills update"), injured
    assert injured.text.lower().startswith("six"), injured.text


@pytest.mark.slow
def test_a_title_s_year_is_no_time_window(tmp_path: Path, real_embedder, real_llm) -> None:  # type: ignore[no-untyped-def]
    """"What does the 2024 Housing Review recommend?": the review was published in 2025 and names the year only in
    its name; it answers, not the 2024 budget. The article cited is asserted, not the model's words."""
    from rag.answer.assistant import Assistant
    from rag.ingest.indexer import UpdateOptions, update_index

    folder = tmp_path / "articles"
    for name, day, title, text in (
        ("review.md", "2025-03-10", "Housing review calls for rent cap",
         "Ministers received the 2024 Housing Review on Monday, a year after it was commissioned.\n\nThe review "
         "recommends a cap on rent rises of 3 percent a year and a register of landlords."),
        ("budget.md", "2024-06-02", "Council sets housing budget",
         "Harwick council set aside 12 million euros for social housing in its 2024 budget. Councillors approved "
         "the plan by 30 votes to 9."),
    ):
        write(folder, name, f"---\ntitle: {title}\ndate: {day}\nsource: Echo\n---\n\n{text}\n")
    update_index([folder], tmp_path / "index", real_embedder, UpdateOptions(progress=False))
    assistant = Assistant.load(tmp_path / "index", embedder=real_embedder, llm=real_llm)
    answer = assistant.ask("What does the 2024 Housing Review recommend?", as_of="2026-03-20")
    assert not answer.refused and answer.period is None, answer
    assert [citation.passage.title for citation in answer.citations] == ["Housing review calls for rent cap"], answer
