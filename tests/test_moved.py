"""A date a later report moved (rag.answer.moved): which reports say a plan moved, then the answer path over dated
reports with a reader that takes the first date it meets."""

from __future__ import annotations

import datetime
from pathlib import Path

import pytest

from rag.answer.assistant import Assistant
from rag.answer.evidence import WordOverlap
from rag.answer.moved import says_it_moved
from rag.answer.retrieve import Retriever
from rag.ingest.chunk import embedding_text
from rag.records import Passage
from rag.settings import Settings
from rag.store.generations import PassageIndex
from tests.conftest import FakeEmbedder, ScriptedLLM
from tests.test_span_reader import SpansReader

REPORTS = (
    ("announced", "2025-08-20", "Record field for Carrowmere Half Marathon",
     "A record 2,400 runners have registered for the Carrowmere Half Marathon, which will be held on Sunday 5 "
     "October 2025, organisers said."),
    ("postponed", "2025-10-01", "Half marathon postponed as storm approaches",
     "Sunday's Carrowmere Half Marathon has been postponed because of Storm Imogen. The race will now take place "
     "on Sunday 9 November 2025, on the same route."),
)


def dated_assistant(folder: Path, reports: tuple[tuple[str, str, str, str], ...], reader: SpansReader) -> Assistant:
    """An assistant over `reports` (key, publication date, title, text), indexed in `folder`, reading with
    `reader`; its model is never needed."""
    embedder = FakeEmbedder()
    index = PassageIndex(embedder.name, embedder.dimension)
    passages = [Passage(key, title, f"{key}.md", "", text, 0, len(text), published=published)
                for key, published, title, text in reports]
    index.add(passages, embedder.embed([embedding_text(passage.title, passage.text) for passage in passages]))
    index.save(folder)
    retriever = Retriever.load(folder, embedder)
    return Assistant(retriever, ScriptedLLM("unused"), Settings(index=str(folder), k=3),
                     WordOverlap(retriever.term_weights), reader=reader)


def assistant_over(folder: Path) -> Assistant:
    # the reader takes the first date it meets, the old one of the sentence that words the question best
    return dated_assistant(folder, REPORTS, SpansReader({"Sunday 5 October 2025": 0.9, "Sunday": 0.9,
                                                         "Sunday 9 November 2025": 0.8}))


def test_a_report_says_a_plan_moved_when_it_names_it_and_a_change_of_date() -> None:
    postponed = Passage("p", REPORTS[1][2], "p.md", "", REPORTS[1][3], 0, len(REPORTS[1][3]))
    announced = Passage("a", REPORTS[0][2], "a.md", "", REPORTS[0][3], 0, len(REPORTS[0][3]))
    assert says_it_moved("When is the Carrowmere Half Marathon?", postponed)
    assert not says_it_moved("When is the Carrowmere Half Marathon?", announced)
    assert not says_it_moved("When is the Leeford Ten Miler?", postponed)  # another plan


def test_a_when_question_is_answered_with_the_date_a_newer_report_moved_the_plan_to(tmp_path: Path) -> None:
    assistant = assistant_over(tmp_path)
    question = "When will the Carrowmere Half Marathon be held?"
    after = assistant.ask(question, as_of="2025-10-05")
    assert after.text.startswith("On Sunday 9 November 2025 [1]") or after.text.startswith("Sunday 9 November 2025"), \
        after.text
    assert after.citations[0].passage.article_id == "postponed"
    before = assistant.ask(question, as_of="2025-09-01")  # the postponement is not yet published
    assert "5 October 2025" in before.text and before.citations[0].passage.article_id == "announced"


FIRE = (
    ("first", "2026-02-14", "Two dead as fire destroys Stanway Mills depot",
     "Two people died in the Stanway Mills fire, and five people were injured in the Stanway Mills fire."),
    ("revised", "2026-02-16", "Stanway Mills fire: police revise death toll to one",
     "Police have revised the toll of the Stanway Mills blaze from two to one."),
)


def test_a_how_many_question_is_answered_with_the_figure_a_newer_report_revised(tmp_path: Path) -> None:
    assistant = dated_assistant(tmp_path, FIRE, SpansReader({"Two": 0.9, "two to one": 0.9}))
    question = "How many people died in the Stanway Mills fire?"
    assert assistant.ask(question, as_of="2026-02-17").text.startswith("One [1]")
    assert assistant.ask(question, as_of="2026-02-15").text.startswith("Two")  # the revision is not yet out


def test_a_newer_report_that_moves_something_else_of_the_plan_moves_no_date() -> None:
    """A reviewer's case: "The finish … has moved to the seafront. Registration closes on Friday 19 September 2025"
    answered "When will the race be held?" with the registration's date."""
    from rag.answer.moved import MOVED

    text = ("The finish of the Carrowmere Half Marathon has moved to the seafront. Registration for the race closes "
            "on Friday 19 September 2025.")
    assert MOVED.search(text) is None  # moved to a place, not a time: no report that the plan's date moved
    assert MOVED.search("The race has been moved to Sunday 9 November.") is not None


FESTIVAL = (
    ("announced", "2025-06-02", "Folk festival announces its line-up",
     "The Harbour Folk Festival will run from 11 to 13 July 2025 on the green."),
    ("moved", "2026-04-15", "Folk festival 2026 moved to August",
     "The 2026 Harbour Folk Festival, planned for 10 to 12 July, has been postponed. It will now take place from 7 "
     "to 9 August 2026, because of sea-wall works."),
)


def test_a_report_saying_the_plan_moved_answers_with_the_new_date_not_the_one_it_moved_from(tmp_path: Path) -> None:
    """The chat user's "When is the 2026 festival?": the reader took "10 to 12 July" of "planned for 10 to 12 July,
    has been postponed", in the one report that also says "It will now take place from 7 to 9 August 2026"."""
    assistant = dated_assistant(tmp_path, FESTIVAL, SpansReader({"10 to 12 July": 0.9, "11 to 13 July 2025": 0.9,
                                                                  "7 to 9 August 2026": 0.5}))
    answer = assistant.ask("When is the 2026 Harbour Folk Festival?", as_of="2026-05-01")
    assert "7 to 9 August 2026" in answer.text and "July" not in answer.text, answer.text
    assert answer.citations[0].passage.article_id == "moved"


def test_a_year_given_a_thing_is_not_answered_from_another_years_report(tmp_path: Path) -> None:
    """Before the postponement was published nothing says when the 2026 festival is: refused, not answered with
    2025's dates or from a budget article saying "2026" of the budget and "festival" in another paragraph."""
    budget = ("budget", "2026-01-08", "Council publishes draft 2026 budget",
              "The Harbour council published its draft budget for 2026 on Wednesday, 7 January.\n\n"
              "The draft cuts the grant to the Harbour Folk Festival from 90,000 to 40,000 euros.")
    assistant = dated_assistant(tmp_path, (*FESTIVAL, budget), SpansReader({"11 to 13 July 2025": 0.9,
                                                                             "7 January": 0.9}))
    answer = assistant.ask("When is the 2026 Harbour Folk Festival?", as_of="2026-04-01")
    assert answer.refused, answer.text


FLOOD = (
    ("first", "2025-11-04", "River Tarrow bursts its banks in Kestrel Haven",
     "The River Tarrow flooded 120 homes in Kestrel Haven on Monday."),
    ("update", "2025-11-06", "Kestrel Haven flood damage confirmed",
     "The number of homes flooded by the Tarrow in Kestrel Haven now stands at 160, the council said on Wednesday, "
     "revising its earlier figure of 120 after surveyors reached streets cut off by water."),
)


def test_a_figure_revised_in_ordinary_wording_answers_a_question_naming_nothing(tmp_path: Path) -> None:
    """"now stands at 160, …, revising its earlier figure of 120": the chat user's "How many homes were flooded?"
    was answered 120, from the first report and from the revising sentence itself."""
    assistant = dated_assistant(tmp_path, FLOOD, SpansReader({"120": 0.2}))
    answer = assistant.ask("How many homes were flooded?", as_of="2025-11-10")
    assert answer.text.startswith("160"), answer.text
    assert answer.citations[0].passage.article_id == "update"
    before = assistant.ask("How many homes were flooded?", as_of="2025-11-05").text  # the update is not yet out
    assert "120" in before and "160" not in before, before


ATTENDANCE = (
    ("record", "2025-07-14", "Folk festival draws 22,000 visitors",
     "An estimated 22,000 people attended the Harbour Folk Festival over the weekend."),
    ("revised", "2025-07-30", "Folk festival attendance revised",
     "The attendance at this year's Harbour Folk Festival has been revised from 22,000 to 18,500, after an audit of "
     "ticket scans."),
)


def test_a_year_the_question_gives_is_said_by_a_revision_published_that_year(tmp_path: Path) -> None:
    """"this year's festival" in a report of July 2025 is the 2025 festival: its revision answers "… in 2025?"."""
    assistant = dated_assistant(tmp_path, ATTENDANCE, SpansReader({"22,000": 0.9}))
    for question in ("How many people attended the 2025 Harbour Folk Festival?",
                     "How many people attended the Harbour Folk Festival in 2025?"):
        answer = assistant.ask(question, as_of="2025-08-10")
        assert answer.text.startswith("18,500"), (question, answer.text)


BRIDGE = (
    ("plan", "2026-01-15", "Tarrow Bridge repairs to cost 2.7 million euros",
     "Repairs to Tarrow Bridge will cost 2.7 million euros and the bridge should reopen in April."),
    ("reopens", "2026-04-10", "Tarrow Bridge reopens",
     "Tarrow Bridge reopened to traffic on Wednesday, 8 April. The final cost of the repairs was 3.05 million "
     "euros, above the 2.7 million euros estimated in January, because a second pier was cracked."),
)


def test_a_final_cost_answers_what_the_repairs_cost_over_the_older_estimate(tmp_path: Path) -> None:
    """The second part of "When did Tarrow Bridge reopen, and what did the repairs cost?" was answered with the
    January estimate while the report cited for the first part gives the final cost."""
    assistant = dated_assistant(tmp_path, BRIDGE, SpansReader({"2.7 million": 0.9}))
    answer = assistant.ask("What did the Tarrow Bridge repairs cost?", as_of="2026-04-20")
    assert answer.text.startswith("3.05 million"), answer.text
    assert answer.citations[0].passage.article_id == "reopens"
    assert assistant.ask("What did the Tarrow Bridge repairs cost?", as_of="2026-02-01").text.startswith("2.7")


PAY_OFFER = (
    ("ballot", "2026-03-02", "Bus drivers vote to strike over pay",
     "Bus drivers have voted to strike over pay. The company has offered a pay rise of 2.5 per cent; the union is "
     "asking for 6 per cent."),
    ("extended", "2026-03-18", "Bus strike extended after talks fail",
     "The bus strike will resume on Friday. The talks ended without agreement after the company raised its offer "
     "to 3.5 per cent."),
)


def test_the_latest_value_is_read_in_the_newest_report_saying_it_changed(tmp_path: Path) -> None:
    """"What is the latest pay offer to the bus drivers?" (as of 19 March) was answered from 2 March's report."""
    assistant = dated_assistant(tmp_path, PAY_OFFER, SpansReader({"2.5 per cent": 0.9, "3.5 per cent": 0.2}))
    answer = assistant.ask("What is the latest pay offer to the bus drivers?", as_of="2026-03-19")
    assert "3.5 per cent" in answer.text and "2.5" not in answer.text, answer.text
    assert answer.citations[0].passage.article_id == "extended"


PAY_OFFER_SAID = (
    PAY_OFFER[0],
    ("extended", "2026-03-18", "Bus strike extended after talks fail",
     "The bus drivers' union chief said drivers will lose two weeks' pay. The talks ended without agreement after "
     "the company raised its offer to 3.5 per cent."),
)


def test_the_latest_value_is_quoted_from_the_newest_reports_sentence_the_reader_finds_it_in(tmp_path: Path) -> None:
    """Stop 59's chat user: "What is the latest pay offer to the bus drivers?" (as of 19 March) quoted the newest
    report's sentence that words the question best ("… will lose two weeks' pay"), not its sentence giving the
    offer, which the reader finds; an older report's likelier "2.5 per cent" is still never read."""
    assistant = dated_assistant(tmp_path, PAY_OFFER_SAID, SpansReader({"2.5 per cent": 0.9, "3.5 per cent": 0.2}))
    answer = assistant.ask("What is the latest pay offer to the bus drivers?", as_of="2026-03-19")
    assert "3.5 per cent" in answer.text and "2.5" not in answer.text, answer.text
    assert answer.citations[0].passage.article_id == "extended"

def test_a_newer_report_of_the_same_story_saying_the_figure_changed_is_read() -> None:
    from rag.answer.moved import revising_reports
    from rag.records import Hit

    first, update = (Passage(key, title, f"{key}.md", "", text, 0, len(text), published=published)
                     for key, published, title, text in FLOOD)
    assert revising_reports("How many homes were flooded?", [Hit(first, 0.9, (update,))], [first]) == [update]
    assert revising_reports("How many homes were flooded?", [Hit(first, 0.9, (update,))], [first, update]) == []
    assert revising_reports("Where were people evacuated to?", [Hit(first, 0.9, (update,))], [first]) == []
    older = Hit(update, 0.9, (first,))  # the story's first report is the newer one: nothing newer to read
    assert revising_reports("How many homes were flooded?", [older], [update]) == []


INJURED = (
    ("fire", "2026-02-14", "Fire at Stanway Mills warehouse injures five",
     "A fire swept through a warehouse at the Stanway Mills estate on Friday night. Five people were injured in "
     "the fire and taken to Brackford General Hospital."),
    ("crash", "2026-02-15", "Three injured in Carrow Road crash",
     "Three people were injured when a van and a car collided on Carrow Road, and were treated at Brackford General "
     "Hospital."),
    ("update", "2026-02-16", "Stanway Mills update: warehouse owner named",
     "The warehouse destroyed at the Stanway Mills estate belonged to Corran Logistics. Police said the number of "
     "injured now stands at six after a worker went to hospital on Sunday."),
)


def test_a_revision_below_the_k_retrieved_is_read_when_it_continues_their_story(tmp_path: Path) -> None:
    """The revised count is found by a word search for the retrieved story's later reports (retrieval kept one
    passage), and read though the question names nothing ("How many were injured?"); a revision published after
    the question's date is not."""
    assistant = dated_assistant(tmp_path, INJURED, SpansReader({"Five": 0.9, "six": 0.8, "Three": 0.9}))
    assistant.settings = Settings(index=str(tmp_path), k=1)
    named = "How many people were injured in the Stanway Mills fire?"
    hits = assistant.retriever.search_timed(named, 1, as_of=datetime.date(2026, 2, 17)).hits
    assert [hit.passage.article_id for hit in hits] == ["fire"]  # the revision ranks below k
    answer = assistant.ask(named, as_of="2026-02-17")
    assert answer.text.lower().startswith("six"), answer.text
    assert answer.citations[0].passage.article_id == "update"
    assert assistant.ask(named, as_of="2026-02-15").text.startswith("Five")  # not yet published
    other = assistant.ask("How many people were injured in the Carrow Road crash?", as_of="2026-02-17")
    assert other.text.startswith("Three"), other.text  # another story: the fire's revision is not read


def test_a_question_naming_nothing_reads_the_revision_of_the_story_it_was_answered_from(tmp_path: Path) -> None:
    assistant = dated_assistant(tmp_path, INJURED[:1] + INJURED[2:], SpansReader({"Five": 0.9, "six": 0.8}))
    answer = assistant.ask("How many were injured?", as_of="2026-02-17")
    assert answer.text.lower().startswith("six"), answer.text


STRIKE = (
    ("walkout", "2026-02-03", "Bus drivers walk out over pay",
     "Bus drivers at Lennline walked out on Monday in a dispute over pay. The union said the bus strike would "
     "continue until Lennline improved its pay offer."),
    ("regatta", "2026-02-10", "Regatta draws record crowd",
     "The winter regatta drew a record crowd of 6,200 on Saturday."),
    ("deal", "2026-02-20", "Lennline strike called off after pay deal",
     "The Lennline bus strike was called off after drivers accepted a pay deal. Buses run a normal timetable."),
)


@pytest.mark.parametrize("question", ["Is the bus strike still on?", "Is the Lennline bus strike on?",
                                      "What is the latest on the Lennline bus strike?"])
def test_how_a_story_stands_is_answered_from_its_newest_report(tmp_path: Path, question: str) -> None:
    """A status question in the present is answered from the newest report of the story as of its date (found
    below the k retrieved when it must be), not from the older report that words the question best."""
    assistant = dated_assistant(tmp_path, STRIKE, SpansReader({}))
    assistant.settings = Settings(index=str(tmp_path), k=1)
    answer = assistant.ask(question, as_of="2026-03-20")
    assert not answer.refused and answer.citations[0].passage.article_id == "deal", answer.text
    assert "called off" in answer.text
    before = assistant.ask(question, as_of="2026-02-12")  # the deal was not yet reported
    assert before.citations and before.citations[0].passage.article_id == "walkout", before.text


def test_a_number_shared_with_a_later_report_is_no_name_of_the_story() -> None:
    """"…and what did it cost the company?" of the bus strike was answered with the bridge repairs' final cost: the
    "8" of the strike report's "4.8 per cent" and the bridge report's "8 April" were taken for a shared name."""
    from rag.answer.moved import continues_story

    strike = Passage("s", "Bus strike called off after 4.8 per cent pay deal", "s.md", "",
                     "The strike lasted eight days in all and cost the company an estimated 640,000 euros in lost "
                     "fares.", 0, 100, published="2026-03-27")
    bridge = Passage("b", "Tarrow Bridge reopens", "b.md", "", "Tarrow Bridge reopened on Wednesday, 8 April. The "
                     "final cost of the repairs was 3.05 million euros, above the 2.7 million euros estimated in "
                     "January.", 0, 150, published="2026-04-10")
    assert not continues_story(strike, bridge, "What did it cost the company?")


def test_a_town_and_a_number_shared_tell_no_story() -> None:
    """"When did the bus strike start?" was answered "7 to 9 August 2026": the festival's postponement says the
    town's name and a "9" as the strike report does."""
    from rag.answer.moved import continues_story

    halts = Passage("h", "Bus strike halts services across Kestrel Haven", "h.md", "", "No buses ran in Kestrel "
                    "Haven on Monday, 9 March, as drivers began a 48-hour strike over pay.", 0, 100,
                    published="2026-03-10")
    festival = Passage("f", "Folk festival moved", "f.md", "", "The Kestrel Haven Folk Festival has been postponed. It "
                       "will now take place from 7 to 9 August 2026.", 0, 100, published="2026-04-15")
    assert not continues_story(halts, festival, "When did the bus strike start?")


PROTEST = (
    ("protest", "2026-02-02", "Hundreds protest over library closures in Kestrel Haven",
     "About 600 people protested outside Kestrel Haven town hall on Saturday over plans to close two libraries."),
    ("approved", "2026-02-25", "Kestrel Haven council approves amended budget, libraries saved",
     "Kestrel Haven town council approved an amended budget on Tuesday by 21 votes to 12."),
)


def test_a_later_report_of_the_story_must_say_its_change_of_what_is_asked(tmp_path: Path) -> None:
    """"How many people protested …?" was answered "21 votes to 12": the budget's later report says "amended"."""
    assistant = dated_assistant(tmp_path, PROTEST, SpansReader({"About 600 people": 0.9, "21 votes to 12": 0.9}))
    answer = assistant.ask("How many people protested at the town hall over the libraries?", as_of="2026-03-01")
    assert answer.text.startswith("About 600"), answer.text


def test_the_report_a_story_continues_is_read_once_however_many_later_candidates(
        monkeypatch: pytest.MonkeyPatch) -> None:
    """`continues_story` is asked of up to a hundred later candidates a question: its earlier report's opening
    sentence, names and terms were worked out again on every call (about 0.7 ms each)."""
    import rag.answer.moved as moved
    from rag.text import Span

    calls: list[str] = []
    split = moved.split_sentences

    def counted(text: str) -> list[Span]:
        calls.append(text)
        return split(text)

    monkeypatch.setattr(moved, "split_sentences", counted)
    earlier = Passage("once", "Gravel barges stop at Ostby lock", "once.md", "", "Gravel barges stopped at the Ostby "
                      "lock on Monday after a gate failed.", 0, 60, published="2026-05-04")
    laters = [Passage(f"later{day}", "Ostby lock gate repaired", "l.md", "", f"Barges pass the Ostby lock again, "
                      f"day {day}.", 0, 40, published=f"2026-05-{day:02d}") for day in range(5, 15)]
    found = [moved.continues_story(earlier, later, "Are gravel barges passing the Ostby lock?") for later in laters]
    assert len(found) == 10
    assert calls.count(earlier.text) <= 1, len(calls)
