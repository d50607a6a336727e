"""A report's structure in answers (rag.answer.sections): a section the question names by its heading answers from
its body, and "which section" questions are answered with the heading; both though the evidence scorer scores them
low."""

from __future__ import annotations

from pathlib import Path

from rag.answer.sections import ASKS_SECTION, headings, named_section
from tests.test_reader_quote import asker

REVIEW = ("Summary\n\nThe review assessed how 42 public bodies handle personal data retention.\n\n"
          "Penalties\n\nA body that keeps records past the deadline faces a fine of up to 20,000 euros. Repeat "
          "breaches within two years double the fine.\n\n"
          "3. Enforcement\n\nThe Data Office will inspect ten bodies each quarter. Findings are published within "
          "30 days.\n\n"
          "Survey of staff\n\nReasons given for keeping records too long:\n\ncost of deletion tools (41%)\n\n"
          "lack of training (27%)\n\nunclear rules (18%)")
"""A Markdown report as the index holds it (`rag.ingest.markdown.markdown_text`): each heading and each list item a
paragraph of its own, no marks."""
FERRY = ("Ferry timetable", "The harbour ferry will run every 20 minutes from June. Fares stay at 3 euros.")
ARTICLES = {"review": ("Data Retention Compliance Review", REVIEW), "ferry": FERRY}
WEAK = {"refusal_threshold": 0.999}
"""The evidence scorer finding no sentence likely enough to answer: the real one scores a heading's body, which does
not repeat the heading's words, and a list's items far below the refusal threshold."""


def test_headings_and_the_section_a_question_names() -> None:
    assert [REVIEW[start:end] for start, end in headings(REVIEW)] == [
        "Summary", "Penalties", "3. Enforcement", "Survey of staff"]
    body = named_section("What does the report say about enforcement?", REVIEW)
    assert body is not None and REVIEW[body[0]:body[1]].startswith("The Data Office will inspect")
    assert named_section("What are the penalties for late filing?", REVIEW) is None  # asks more than the heading


def test_a_section_named_by_its_heading_answers_from_its_body(tmp_path: Path) -> None:
    """An analyst's "What are the penalties?" and "What does the report say about enforcement?" were refused
    though the passage under the heading was retrieved: its body names fines, not penalties."""
    ask = asker(tmp_path, ARTICLES, {"20,000 euros": "MONEY"})
    answer = ask("What are the penalties?", {}, **WEAK)
    assert answer.startswith("A body that keeps records past the deadline faces a fine of up to 20,000 euros. Repeat")
    assert answer.endswith("[1].")
    assert ask("What does the report say about enforcement?", {}, **WEAK).startswith(
        "The Data Office will inspect ten bodies each quarter.")
    assert ask("What does the report say about fares?", {}, **WEAK).startswith("I don't know")  # no such heading


def test_which_section_is_answered_with_its_heading_and_the_reports_title(tmp_path: Path) -> None:
    ask = asker(tmp_path, ARTICLES)
    expected = 'The "3. Enforcement" section of "Data Retention Compliance Review" [1].'
    assert ask("Which section discusses inspections?", {}, **WEAK) == expected
    assert ask("Where in the report are the findings covered?", {}, **WEAK) == expected
    assert ask("Which section of the review covers the fine?", {}, **WEAK).startswith('The "Penalties" section')



def test_only_a_question_about_a_reports_sections_asks_which_section() -> None:
    """A section of a road or a part of a country, asked about in news or an encyclopaedia, is no report's; nor are a
    book's chapters or a law's sections (review R1 #5: "Which chapters of Genesis describe the flood?" was answered
    'The "Flood narrative" section of "Book of Genesis"', not chapters 6-9)."""
    asked = ("Which section of the review covers the fine?", "In which part of the report are appeals covered?",
             "Where in the report is the fine covered?", "Which section discusses inspections?",
             "Which section of the motorway was closed?", "Which part of the country is driest?",
             "What section of the bridge collapsed?", "Which chapters of Genesis describe the flood?",
             "In which chapter is enforcement discussed?", "Which section of the Constitution covers elections?")
    assert [bool(ASKS_SECTION.match(question)) for question in asked] == [True] * 4 + [False] * 6


def test_a_section_body_answers_only_a_question_naming_its_heading_alone_in_a_relevant_passage(
        tmp_path: Path) -> None:
    """Review R1 #6: "What were the causes of the war?" over "World War I" with a "Causes" section was answered with
    the section's first three sentences ("war" counted as the title's word), and a passage retrieved below
    `min_score` answered from its heading though the assistant would refuse it."""
    war = ("Causes\n\nArchduke Franz Ferdinand was shot in Sarajevo in June 1914. Austria-Hungary declared war on "
           "Serbia a month later. Alliances drew in the other powers.\n\nCourse\n\nThe war lasted four years.")
    ask = asker(tmp_path, {**ARTICLES, "war": ("World War I", war)})
    assert not ask("What were the causes of the war?", {}, **WEAK).startswith("Archduke Franz Ferdinand was shot")
    assert ask("What does the World War I article say about causes?", {}, **WEAK).startswith(
        "Archduke Franz Ferdinand was shot")  # the question names the article: its title's words are the report's
    assert ask("What are the penalties?", {}, **WEAK, min_score=0.999).startswith("I don't know")
