"""Questions about the articles themselves: who wrote them, what an author wrote, when one was published, answered
from the index's article records (front matter, feed fields), not from a sentence that names a person."""

from __future__ import annotations

from pathlib import Path

from rag.answer.assistant import Assistant
from rag.answer.bylines import document_answer
from rag.answer.prompts import format_passage
from rag.answer.retrieve import Retriever
from rag.ingest.chunk import embedding_text
from rag.records import Hit, Passage
from rag.settings import Settings
from rag.store.generations import ArticleRecord, PassageIndex
from tests.conftest import FakeEmbedder, ScriptedLLM

BLOG = Passage("blog", "Why two reports disagree on power prices", "Watt Matters", "",
               "By Tomás Ferreira, 5 April 2026\n\nSummary\n\nThe two reports count standing charges differently. "
               "The Council adds them; the Institute does not. So their prices differ.", 0, 160, "2026-04-05")
REVIEW = Passage("review", "Energy Affordability Review", "Consumer Energy Council", "",
                 "The Council disagrees with the view that power prices will fall. Minister Ana Ruiz said so.",
                 0, 90, "2026-04-02")
RECORDS = {"blog": ArticleRecord("blog", "h1", BLOG.title, BLOG.source, published="2026-04-05",
                                 author="Tomás Ferreira"),
           "review": ArticleRecord("review", "h2", REVIEW.title, REVIEW.source, published="2026-04-02")}


def search(text: str) -> list[Hit]:
    return [Hit(REVIEW, 0.9), Hit(BLOG, 0.5)]


def test_who_wrote_about_names_the_author_of_the_article_about_it_not_a_person_it_names() -> None:
    answer = document_answer("Who wrote about why the reports disagree on power prices?", [], search, RECORDS)
    assert answer is not None and answer.text.startswith("Tomás Ferreira wrote “Why two reports disagree")
    assert "Ruiz" not in answer.text and answer.citations[0].passage.article_id == "blog"


def test_what_an_author_wrote_gives_titles_and_openings_without_byline_or_heading() -> None:
    answer = document_answer("What did Tomas Ferreira write?", [], search, RECORDS)
    assert answer is None  # another spelling of the name is not guessed
    answer = document_answer("What did Tomás Ferreira write about?", [], search, RECORDS)
    assert answer is not None and "(Watt Matters, 5 April 2026)" in answer.text
    assert answer.citations[0].quote.startswith("The two reports count standing charges differently.")


def test_when_published_needs_a_title_the_question_names_and_who_wrote_it_follows_the_conversation() -> None:
    answer = document_answer("When was the Energy Affordability Review published?", [], search, RECORDS)
    assert answer is not None and answer.text == "“Energy Affordability Review” was published on 2 April 2026 [1]."
    assert document_answer("When was the Origin of Species published?", [], search, RECORDS) is None
    assert document_answer("Who wrote it?", [], search, RECORDS) is None  # no conversation: no article to name
    # the best article names no author: the question is left to the text ("Who wrote the review?" may be said there)
    assert document_answer("Who wrote it?", [("What did the review say?", "x")], search, RECORDS) is None


def test_the_assistant_answers_from_the_records_without_the_model(tmp_path: Path) -> None:
    embedder = FakeEmbedder()
    index = PassageIndex(embedder.name, embedder.dimension)
    index.add([BLOG, REVIEW], embedder.embed([embedding_text(p.title, p.text) for p in (BLOG, REVIEW)]),
              list(RECORDS.values()))
    index.save(tmp_path)
    assistant = Assistant(Retriever.load(tmp_path, embedder), ScriptedLLM("Ana Ruiz [1]."),
                          Settings(index=str(tmp_path), k=3))
    answer = assistant.ask("Who wrote about why the reports disagree on power prices?")
    assert answer.text.startswith("Tomás Ferreira wrote") and not answer.refused


def test_a_byline_with_its_date_is_not_shown_to_the_model_as_part_of_the_first_sentence() -> None:
    shown = format_passage(1, BLOG)
    assert "Ferreira" not in shown and shown.startswith("[1] Why two reports disagree on power prices: Summary")


def test_one_title_names_in_rag_text_serves_the_brief_and_the_bylines() -> None:
    from rag.answer import brief, bylines
    from rag.text import title_names

    assert brief.title_names is title_names and bylines.title_names is title_names
    assert not hasattr(bylines, "names_title")


def test_when_published_asks_about_a_document_not_a_thing_a_dated_title_names() -> None:
    treaty = Passage("treaty", "Leaders sign Arctic fishing treaty", "Gazette", "",
                     "Leaders signed the treaty on Monday.", 0, 36, "2026-03-02")
    hostage = Passage("hostage", "Hostage released after 40 days", "Gazette", "",
                      "The hostage was freed on Friday.", 0, 32, "2026-03-06")
    records = {"treaty": ArticleRecord("treaty", "h3", treaty.title, treaty.source, published="2026-03-02"),
               "hostage": ArticleRecord("hostage", "h4", hostage.title, hostage.source, published="2026-03-06")}

    def found(text: str) -> list[Hit]:
        return [Hit(treaty, 0.9), Hit(hostage, 0.8)]

    assert document_answer("When was the treaty published?", [], found, records) is None
    assert document_answer("When was the hostage released?", [], found, records) is None
    assert document_answer("When was the hostage released after 40 days released?", [], found, records) is None
    named = document_answer("When was the Arctic fishing treaty article published?", [], found, records)
    assert named is not None and named.text.startswith("“Leaders sign Arctic fishing treaty” was published on 2 March")


def test_when_was_it_published_gives_the_date_of_the_article_the_conversation_is_about() -> None:
    answer = document_answer("When was it published?", [("What did the review say?", "x")], search, RECORDS)
    assert answer is not None and answer.text == "“Energy Affordability Review” was published on 2 April 2026 [1]."
    assert document_answer("When was it published?", [], search, RECORDS) is None


def test_who_wrote_the_letter_is_not_the_journalist_but_who_wrote_the_article_is() -> None:
    asked = [("What did the blog say?", "x")]

    def blog_first(text: str) -> list[Hit]:
        return [Hit(BLOG, 0.9)]

    assert document_answer("Who wrote the letter?", asked, blog_first, RECORDS) is None
    assert document_answer("Who wrote the report?", asked, blog_first, RECORDS) is None
    for question in ("Who wrote the article?", "Who wrote it?", "Who wrote this piece?"):
        answer = document_answer(question, asked, blog_first, RECORDS)
        assert answer is not None and answer.text.startswith("Tomás Ferreira wrote")


OPINIONS = {
    "opinion": ("The ring road plan will ruin Eastmere",
                "EASTMERE, 10 May 2026 (Eastmere Voice) - By Jane Roe\nThe county's plan for a ring road around "
                "Eastmere is a mistake. It will cut through the water meadows and bring lorries past two schools."),
    "library": ("Library plan criticised", "Councillor Ann Bell criticised the Brackford library plan on Monday."),
}


def test_who_criticised_a_plan_an_opinion_piece_criticises_in_its_own_voice_is_its_byline_author(
        tmp_path: Path) -> None:
    """Stop 61's chat user: "Who criticised it?" of a plan an opinion piece "By Jane Roe" calls a mistake was
    refused (or answered with the place the reader found): the piece names no critic, it is one. A report naming its
    critic with the question's verb keeps the reader's span."""
    from tests.test_leaders import assistant_over

    assistant = assistant_over(tmp_path, OPINIONS, "Eastmere")
    answer = assistant.ask("Who criticised the Eastmere ring road plan?")
    assert answer.text.startswith("Jane Roe [1]"), answer.text
    assert [citation.passage.article_id for citation in answer.citations] == ["opinion"]
    follow_up = assistant.ask("Who criticised it?", history=[("What is wrong with the Eastmere ring road plan?",
                                                              "It will cut through the water meadows [1].")])
    assert follow_up.text.startswith("Jane Roe [1]"), follow_up.text
    assistant = assistant_over(tmp_path / "named", OPINIONS, "Ann Bell")
    assert "Ann Bell [1]" in assistant.ask("Who criticised the Brackford library plan?").text


MILL_FIRST = Passage("mill1", "Tarrow Mills to close Ebbe plant", "Ebbe Gazette", "",
                     "Tarrow Mills will close its Ebbe plant in June, with the loss of 180 jobs.", 0, 75, "2026-05-04")
MILL_LATER = Passage("mill2", "Union talks over Tarrow Mills plant closure", "Ebbe Gazette", "",
                     "The union will meet Tarrow Mills over the Ebbe plant closure on Friday.", 0, 70, "2026-05-19")
MILL_OTHER = Passage("mill3", "Ebbe plant to shut", "Valley Star", "",
                     "Tarrow Mills is closing the Ebbe plant, putting 200 jobs at risk.", 0, 62, "2026-05-02")
FIX = Passage("fix", "Correction: Ebbe jobless figure", "Ebbe Gazette", "",
              "An article published on March 5 incorrectly stated that the Ebbe jobless rate was 21 percent. The "
              "correct figure is 12 percent.", 0, 120, "2026-03-07")
JOBS = Passage("jobs", "Ebbe jobless rate falls", "Ebbe Gazette", "",
               "The Ebbe jobless rate fell to 21 percent in February.", 0, 52, "2026-03-05")
NEWS = {passage.article_id: ArticleRecord(passage.article_id, "h", passage.title, passage.source,
                                          published=passage.published)
        for passage in (MILL_FIRST, MILL_LATER, MILL_OTHER, FIX, JOBS)}


def news_search(text: str) -> list[Hit]:
    if "jobless" in text:
        return [Hit(JOBS, 0.9), Hit(FIX, 0.85)]
    return [Hit(MILL_LATER, 0.9), Hit(MILL_OTHER, 0.88), Hit(MILL_FIRST, 0.85)]


def test_when_an_error_was_corrected_is_the_correction_s_date() -> None:
    """"When was the error about the youth unemployment rate corrected?" quoted the correction's own sentence about
    the erring article ("An article published on March 5 …"): the answer is the date the correction came out."""
    answer = document_answer("When was the error about the Ebbe jobless rate corrected?", [], news_search, NEWS)
    assert answer is not None and answer.text.startswith("It was corrected on 7 March 2026"), answer
    assert answer.citations[0].passage.article_id == "fix"


def test_when_an_outlet_first_reported_a_story_is_its_earliest_report_s_date() -> None:
    """"When did the Courier first report the Brightwater closure?" was answered with a quote and no date."""
    answer = document_answer("When did the Ebbe Gazette first report the Tarrow Mills plant closure?", [],
                             news_search, NEWS)
    assert answer is not None and answer.text.startswith("Ebbe Gazette first reported it on 4 May 2026"), answer
    answer = document_answer("When did the Valley Star report the Ebbe plant closure?", [], news_search, NEWS)
    assert answer is not None and "2 May 2026" in answer.text
    # not an outlet of the index: a question about what the articles say
    assert document_answer("When did the union report the plant closure?", [], news_search, NEWS) is None
