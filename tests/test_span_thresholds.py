"""`tools.span_thresholds`: the figures at each threshold from one model-only run, with and without the span answering
the model's refusals (`span_fallback`). Pure: rows as `rag eval --details` writes them, spans as the reader read."""

from __future__ import annotations

from tools.span_thresholds import SpanRead, figures


def row(impossible: bool = False, refused: bool = False, text: bool = False, holds: bool = False) -> dict[str, object]:
    return {"impossible": impossible, "refused": refused, "contains_text": text, "contains": text or holds,
            "citations": [] if refused else [{"holds_gold": holds or text}]}


DETAILS = {
    "model right": row(text=True),
    "model refused": row(refused=True),
    "unanswerable refused": row(impossible=True, refused=True),
}
SPANS = {
    "model right": SpanRead(0.45, False, False, False),  # the span is wrong where the model is right
    "model refused": SpanRead(0.4, True, True, True),
    "unanswerable refused": SpanRead(0.2, False, False, False),
}


def test_the_model_writes_below_the_threshold_and_the_span_answers_its_refusals_from_the_fallback() -> None:
    at_035 = figures(0.35, SPANS, DETAILS)  # both answerable ones by span: one right
    at_05 = figures(0.5, SPANS, DETAILS)  # the model's: one right, one refused
    hybrid = figures(0.5, SPANS, DETAILS, fallback=0.35)  # the model's right one, the span for its refusal
    assert (at_035.answer_text, at_035.false_refusals, at_035.span_answers) == (0.5, 0.0, 2)
    assert (at_05.answer_text, at_05.false_refusals, at_05.span_answers) == (0.5, 0.5, 0)
    assert (hybrid.answer_text, hybrid.false_refusals, hybrid.span_answers) == (1.0, 0.0, 1)
    # an unanswerable question the reader is unsure of stays refused either way
    assert at_035.unanswerable_refused == hybrid.unanswerable_refused == 1.0
    assert figures(0.5, SPANS, DETAILS, fallback=0.45).answer_text == 0.5  # the refusal's span is below it
