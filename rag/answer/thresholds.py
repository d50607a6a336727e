"""Every threshold of the answer checks, in one place, with the figure that set it.

An answer goes through five decisions; each reads only the constants below (the two that users may change are
settings, whose defaults are these):

1. Is anything relevant found at all? The best passage's retrieval score must reach `MIN_SCORE`, else refuse
   before the model runs.
2. Do the passages answer the question? `rag.answer.refusal` estimates the chance that they do not; above
   `REFUSAL_THRESHOLD`, refuse before the model runs.
3. Does a passage back each sentence of the model's answer? The sentence's new words must be found, in
   `SUPPORT_WINDOW` adjacent sentences of the passage, at a share of at least `SUPPORT_THRESHOLD`
   (`rag.answer.cite.check_answer`); unsupported sentences are dropped.
4. Which sentence of the passages answers best, found without the model (`rag.answer.evidence`)? Word coverage
   weighted by IDF, plus `TYPE_BONUS` when it holds the kind of thing asked for, minus `RANK_PENALTY` per retrieval
   rank; it is quoted only from `EVIDENCE_THRESHOLD` up.
5. May strong evidence overrule a base model's "I don't know"? From `OVERRULE_SUPPORT` up, when it also holds the
   wanted kind of answer.

The figures are from the SQuAD 2.0 dev articles (`../shared/eval/squad2-dev`) with the bundled models, measured
with `rag eval` (see docs/quality.md).
"""

from __future__ import annotations

MIN_SCORE = 0.05
"""Hybrid retrieval scores are 0..1 chances that a passage holds the answer; below 5% for the best passage, nothing
found is about the question (default of the `min_score` setting)."""

REFUSAL_THRESHOLD = 0.62
"""Refuse above this estimated chance that the passages do not answer (default of the `refusal_threshold`
setting). On 3,000 SQuAD-2 dev questions over hybrid-retrieved passages it refuses 8.5% of answerable and 25% of
unanswerable ones (0.6: 10.2% and 28.5%); the other refusal paths add the rest of a 10% false-refusal budget (a
full `rag eval` of 300 questions: 9.3% false refusals, 31% of unanswerable refused)."""

SUPPORT_THRESHOLD = 0.5
"""Share of an answer sentence's new content words that its passage must contain to count as support."""

SUPPORT_WINDOW = 2
"""Sentences read together when checking a claim against a passage: a claim may join a sentence and the next. One
window instead of the whole passage raised the share of cited passages holding the answer from 0.70 to 0.91 on
300 SQuAD-2 dev questions (small models stitch a claim from words scattered over a passage)."""

EVIDENCE_THRESHOLD = 0.34
"""Weighted share of the question's content words a passage sentence must hold to be quoted as evidence."""

TYPE_BONUS = 0.15
"""Added to a sentence's evidence score when it holds the kind of answer asked for (a number for "how many", a
date for "when", a name for "who"). With it the best sentence holds a gold answer for 0.766 of 1,498 answerable
SQuAD-2 dev questions over five passages (plain word overlap: 0.750)."""

RANK_PENALTY = 0.1
"""Taken from a sentence's evidence score per retrieval rank of its passage, so retrieval's judgement breaks ties."""

OVERRULE_SUPPORT = 0.7
"""Evidence score (question coverage plus the type bonus) from which quoted evidence answers where a base model
said it does not know: the bundled base model said so to 8 of 150 answerable and 8 of 150 unanswerable SQuAD-2
questions, so its "I don't know" carries little signal (contains 0.740 -> 0.767, false refusals 0.147 -> 0.120)."""
