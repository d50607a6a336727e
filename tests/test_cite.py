"""Citation parsing and checking: markers mapped to passages, invented markers dropped, unsupported claims
dropped, uncited claims attributed, evidence quoted, refusals recognised."""

from __future__ import annotations

from rag.cite import check_answer, evidence_answer, is_refusal, parse_markers, strip_markers, support
from rag.prompts import CANNOT_ANSWER
from rag.records import Passage


def passage(article_id: str, text: str, title: str = "") -> Passage:
    return Passage(article_id, title or article_id.title(), f"{article_id}.txt", "", text, 0, len(text))


FERRY = passage("ferry", "Boats were bought in winter. The ferry line opened on 3 May with two boats.")
LIBRARY = passage("library", "The council approved a budget of 4 million euros for the library.")
STORM = passage("storm", "A storm closed the harbour for three days in October.")


def test_parse_markers_handles_lists_and_ignores_other_brackets() -> None:
    markers = parse_markers("A [1]. B [2, 3]. C [x] and [12;4].")
    assert [m.numbers for m in markers] == [(1,), (2, 3), (12, 4)]
    assert strip_markers("A [1]. B [2, 3].") == "A. B."


def test_markers_are_renumbered_in_order_of_first_use() -> None:
    checked = check_answer("The budget is 4 million euros [3]. The ferry opened on 3 May [1].",
                           [FERRY, STORM, LIBRARY], "What happened?")
    assert checked.text == "The budget is 4 million euros [1]. The ferry opened on 3 May [2]."
    assert [c.passage.article_id for c in checked.citations] == ["library", "ferry"]
    assert [c.number for c in checked.citations] == [1, 2]


def test_invented_marker_is_dropped_and_claim_attributed_to_supporting_passage() -> None:
    checked = check_answer("The ferry opened on 3 May [9].", [STORM, FERRY], "When did the ferry open?")
    assert checked.text == "The ferry opened on 3 May [1]."
    assert checked.citations[0].passage is FERRY


def test_wrong_citation_is_moved_to_the_passage_that_supports_the_claim() -> None:
    checked = check_answer("The ferry opened on 3 May [1].", [STORM, FERRY], "When did the ferry open?")
    assert [c.passage.article_id for c in checked.citations] == ["ferry"]


def test_unsupported_sentence_is_dropped_even_when_cited() -> None:
    checked = check_answer("The ferry opened on 3 May [1]. It carried 900 passengers daily [1].",
                           [FERRY], "When did the ferry open?")
    assert checked.text == "The ferry opened on 3 May [1]."
    assert checked.dropped_sentences == ("It carried 900 passengers daily.",)


def test_wrong_fact_gets_no_support() -> None:
    checked = check_answer("The ferry opened in 1998 [1].", [FERRY], "When did the ferry open?")
    assert not checked.supported
    assert checked.citations == ()


def test_marker_after_full_stop_belongs_to_previous_sentence() -> None:
    checked = check_answer("The ferry opened on 3 May. [1]", [FERRY], "When did the ferry open?")
    assert checked.text == "The ferry opened on 3 May [1]."


def test_citation_quotes_the_supporting_sentence_with_offsets() -> None:
    checked = check_answer("It opened on 3 May [1].", [FERRY], "When did the ferry line open?")
    citation = checked.citations[0]
    assert citation.quote == "The ferry line opened on 3 May with two boats."
    assert FERRY.text[citation.quote_start:citation.quote_end] == citation.quote
    assert citation.support == 1.0


def test_evidence_answer_quotes_best_sentence_or_gives_up() -> None:
    checked = evidence_answer([STORM, FERRY], "When did the ferry line open?")
    assert checked.supported and checked.from_evidence
    assert "opened on 3 May" in checked.text and checked.text.endswith("[1]")
    assert checked.citations[0].passage is FERRY
    assert not evidence_answer([STORM, FERRY], "Who won the chess tournament?").supported


def test_support_ignores_words_the_question_already_gives() -> None:
    assert support("The ferry opened.", "Storms came.", "When did the ferry open?") == 0.0
    assert support("On 3 May.", "The ferry opened on 3 May.", "When did the ferry open?") == 1.0


def test_refusals_are_recognised() -> None:
    assert is_refusal(CANNOT_ANSWER)
    assert is_refusal("The passages do not say who designed the boats.")
    assert not is_refusal("The ferry opened on 3 May [1].")


def test_nothing_supported_gives_no_citations() -> None:
    checked = check_answer("Paris is the capital of France.", [FERRY, LIBRARY], "What is the capital of France?")
    assert not checked.supported and checked.citations == ()
