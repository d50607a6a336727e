"""Citation parsing and checking: markers mapped to passages, invented markers dropped, unsupported claims
dropped, uncited claims attributed, evidence quoted, refusals recognised."""

from __future__ import annotations

from rag.answer.cite import check_answer, evidence_answer, is_refusal, reconcile, support
from rag.answer.prompts import CANNOT_ANSWER, parse_markers, strip_markers
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
    assert checked.supported and checked.text.startswith('The articles say: "')
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


def test_claim_stitched_from_words_far_apart_is_not_supported() -> None:
    spread = passage("spread", "The king visited the harbour. Fishing was poor that year. Tar was scarce. "
                               "Nets were mended. Later the bridge was painted green.", title="Harbour news")
    question = "Who painted the bridge?"
    claim = "The king painted the bridge green with tar [1]."
    assert support(strip_markers(claim), spread.title + ". " + spread.text, question) == 1.0  # words all there
    assert not check_answer(claim, [spread], question).supported  # but never in one place


def test_reconcile_keeps_agreeing_answers_and_quotes_evidence_otherwise() -> None:
    question = "When did the ferry line open?"
    evidence = evidence_answer([FERRY, STORM, LIBRARY], question)
    agreeing = check_answer("The ferry line opened on 3 May [1].", [FERRY, STORM, LIBRARY], question)
    assert reconcile(agreeing, evidence) is agreeing
    # Cites the evidence passage and another one: enough for a chat model, not for a base model.
    both = check_answer("The ferry line opened on 3 May [1]. A budget of 4 million euros was approved [3].",
                        [FERRY, STORM, LIBRARY], question)
    assert len(both.citations) == 2
    assert reconcile(both, evidence, every=False) is both
    assert reconcile(both, evidence, every=True) is evidence
    # Supported by some passage, but not the one that answers the question: the evidence is quoted instead.
    elsewhere = check_answer("A storm closed the harbour for three days [2].", [FERRY, STORM, LIBRARY], question)
    assert elsewhere.supported and reconcile(elsewhere, evidence) is evidence
    # No evidence: the model's checked answer stands on its own.
    nothing = evidence_answer([STORM], "Who won the chess tournament?")
    assert reconcile(agreeing, nothing) is agreeing
