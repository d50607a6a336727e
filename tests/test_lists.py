"""Lists read as the answer (rag.answer.lists): a question asking for a report's recommendations or limitations is
answered with the list's items, not its lead-in sentence."""

from __future__ import annotations

from pathlib import Path

from rag.answer.lists import lists_in
from tests.test_reader_quote import asker

OUTLOOK = ("Risks to the outlook\n\nA cold winter could push wholesale prices up.\n\nRecommendations\n\n"
           "The Institute makes three recommendations:\n\nExtend the winter social tariff to 1.2 million households."
           "\n\nFund 400 megawatts of grid-scale batteries by 2028.\n\nPublish a breakdown of network charges every "
           "quarter.")
STUDY = ("Limitations\n- The study is observational and cannot prove causation.\n- Families who moved were lost to "
         "follow-up.\n- Indoor air quality was not measured.\nFunding: the study was funded by the Research Council.")


def test_markdown_paragraphs_and_marked_lines_are_read_as_lists() -> None:
    items = [[OUTLOOK[start:end] for start, end in found.items] for found in lists_in(OUTLOOK)]
    assert items[0] == ["Extend the winter social tariff to 1.2 million households.",
                        "Fund 400 megawatts of grid-scale batteries by 2028.",
                        "Publish a breakdown of network charges every quarter."]
    assert [STUDY[start:end] for start, end in lists_in(STUDY)[0].items][-1] == "Indoor air quality was not measured."
    assert lists_in("Summary\n\nPrices rose. They fell.\n\nMethods\n\nWe asked.") == []  # one paragraph: no list


def test_a_question_asking_for_a_lists_items_is_answered_with_them(tmp_path: Path) -> None:
    """An analyst's "What are the Northern Grid Institute's three recommendations?" was answered "The Institute
    makes three recommendations:", the items left unsaid."""
    ask = asker(tmp_path, {"outlook": ("Northern Grid Energy Outlook", OUTLOOK), "study": ("Lakeside Study", STUDY)},
                {"three": "CARDINAL"})
    run = {"three": 0.9}
    answer = ask("What are the Northern Grid Institute's three recommendations?", run)
    assert answer.startswith("Extend the winter social tariff to 1.2 million households; Fund 400 megawatts")
    assert "every quarter [1]" in answer
    assert ask("What are the Lakeside study's limitations?", run).startswith(
        "The study is observational and cannot prove causation; Families who moved")
    assert not ask("What does a cold winter do to prices?", run).startswith("Extend")


def test_a_superlative_over_a_list_of_shares_is_answered_with_the_item_it_picks(tmp_path: Path) -> None:
    """An analyst's "What is the most common reason given?" over a list "- cost (41%)\\n- distance (27%)…" was
    refused: the items, a rendered Markdown list's paragraphs ending no sentence, were not read as a list, and the
    answer finder scored them below the refusal threshold."""
    from tests.test_sections import ARTICLES, WEAK

    ask = asker(tmp_path, ARTICLES)
    assert ask("What is the most common reason given?", {}, **WEAK) == "Cost of deletion tools (41%) [1]."
    assert ask("What is the least common reason given?", {}, **WEAK) == "Unclear rules (18%) [1]."
    assert ask("What reason was given for the fine?", {}, **WEAK).startswith("I don't know")  # no superlative
    shares = "Why riders left:\n\ncost (41%)\n\ndistance (27%)\n\nMethods\n\nWe asked."
    assert [shares[start:end] for start, end in lists_in(shares)[0].items] == ["cost (41%)", "distance (27%)"]


def test_a_superlative_picks_an_item_only_of_a_list_of_what_it_ranks(tmp_path: Path) -> None:
    """Review R1 #7: "Which party won the most seats in the May election?" over a poll's list of voting intention
    ("Voting intention, May poll:") was answered "Labour (38%)": the lead shared only "May" with the question."""
    poll = ("Voting intention, May poll:\n\nLabour (38%)\n\nConservative (29%)\n\nGreens (12%)\n\n"
            "Seats won by party in the count:\n\nConservative (41%)\n\nLabour (35%)")
    ask = asker(tmp_path, {"poll": ("May poll", poll)})
    from tests.test_sections import WEAK

    assert not ask("Which party won the most seats in the May election?", {}, **WEAK).startswith("Labour (38%)")
    assert ask("Which party won the largest share of seats?", {}, **WEAK) == "Conservative (41%) [1]."


def test_a_heading_with_a_percentage_ends_a_list_of_shares() -> None:
    """Review R1 #12: "Growth above 2%" was no heading (it holds a share) and was read as the list's last item."""
    from rag.answer.sections import headings

    text = "Reasons given:\n\ncost (41%)\n\ndistance (27%)\n\nGrowth above 2%\n\nThree regions grew faster."
    assert [text[slice(*item)] for item in lists_in(text)[0].items] == ["cost (41%)", "distance (27%)"]
    assert [text[start:end] for start, end in headings(text)] == ["Growth above 2%"]
