"""Every threshold of the answer checks, in one place, with the figure that set it (shared by `rag.answer` and
the defaults of `rag.settings`, so that neither imports the other's layer for them).

An answer goes through three decisions; each reads only the constants below (the two that users may change are
settings, whose defaults are these):

1. Is anything relevant found at all? The best passage's retrieval score must reach `MIN_SCORE`, else refuse
   before the model runs.
2. Do the passages answer the question? The answer finder (`rag.models.answer_finder`) gives each sentence a
   calibrated chance of answering; when the best sentence (for the part of the question worst served) stays below
   `REFUSAL_THRESHOLD`, refuse before the model runs.
3. Does a passage back each sentence of the model's answer? The sentence's new words must be found, in
   `SUPPORT_WINDOW` adjacent sentences of the passage, at a share of at least `SUPPORT_THRESHOLD`, and that window
   must name what the question asks for as the sentence does (`rag.answer.cite.AnswerCheck`); sentences that fail
   are never shown. With none left (a base model's "I don't know" included: it carries no signal), the best
   evidence sentence is quoted if it holds the wanted kind of answer and names what the question pins down
   (`rag.answer.cite.names_what_is_asked`: a rule without a threshold).

Before 3, the span reader (`rag.answer.reader`) reads the best evidence sentences of a one-part question: from
`SPAN_ANSWER_THRESHOLD` its exact answer is the answer and the model does not write; from `SPAN_FALLBACK_THRESHOLD`
it answers when the model's answer is refused; from `SPAN_CHECK_THRESHOLD` a model answer that leaves its span out is
replaced by it (its sentences held back, never streamed).

`TYPE_BONUS` and `RANK_PENALTY` belong to the word-overlap scorer the finder replaced (`WordOverlap`, its baseline).

The figures are from the SQuAD 2.0 dev articles (`../shared/eval/squad2-dev`) with the bundled models, measured
with `rag eval` (see docs/quality.md).
"""

from __future__ import annotations

MIN_SCORE = 0.05
"""Hybrid retrieval scores are 0..1 chances that a passage holds the answer; below 5% for the best passage, nothing
found is about the question (default of the `min_score` setting)."""

SHORT_QUESTION_WORDS = 3
STANDOUT_RATIO = 2.5
STANDOUT_FLOOR = 0.025
"""A short question (at most `SHORT_QUESTION_WORDS` content words: "How long was the detour?") scores low against
every passage, the one that answers it too (0.031 for the sample footbridge article's detour sentence): the chances
were fitted on SQuAD's long questions. Its best passage is kept below `MIN_SCORE` when it scores at least
`STANDOUT_FLOOR` and `STANDOUT_RATIO` times the next one (`rag.answer.retrieve.stands_out`), and then only a
confident span of the article's own words answers it, never the model (which wrote "arguing that it was too
expensive" for "What did the opposition argue?"). Checked for cost: of 600 questions whose article is not indexed
and 400 calibration questions, none more passes retrieval (at a ratio of 2, one of each would)."""

REFUSAL_THRESHOLD = 0.0414
"""Refuse when the answer finder's own calibrated chance for the best sentence (of the part of the question worst
served) is below this (default of the `refusal_threshold` setting). Set on the calibration articles, never on the
held-out ones: 5% of their answerable questions fall below it (`tools/train_answer_finder.py`, `meta.json`'s
`refusal_threshold`), leaving room for the other refusal paths. On the held-out SQuAD articles the finder's chance
refuses 0.274 of unanswerable questions at 8% false refusals, the word-overlap estimate it replaced 0.255; on the
held-out news stories (`tools/eval/news_heldout`) 0.222 (the finder trained on SQuAD alone: 0.185)."""

SUPPORT_THRESHOLD = 0.5
"""Share of an answer sentence's new content words that its passage must contain to count as support."""

SUPPORT_WINDOW = 2
"""Sentences read together when checking a claim against a passage: a claim may join a sentence and the next. One
window instead of the whole passage raised the share of cited passages holding the answer from 0.70 to 0.91 on
300 SQuAD-2 dev questions (small models stitch a claim from words scattered over a passage)."""

TYPE_BONUS = 0.15
"""Added to a sentence's evidence score when it holds the kind of answer asked for (a number for "how many", a
date for "when", a name for "who"). With it the best sentence holds a gold answer for 0.766 of 1,498 answerable
SQuAD-2 dev questions over five passages (plain word overlap: 0.750)."""

RANK_PENALTY = 0.1
"""Taken from a sentence's evidence score per retrieval rank of its passage, so retrieval's judgement breaks ties."""

SPAN_ANSWER_THRESHOLD = 0.5
"""The span reader's calibrated chance at or above which its span is the answer and the model is not asked (default of
the `span_threshold` setting; above 1: the model writes every answer). Below it, down to `SPAN_FALLBACK_THRESHOLD`,
the model writes and the span answers only when the model's answer is refused; that is for a user's own stand-alone
question: a follow-up, a part of a two-part question and a hop's question take the span from
`SPAN_FALLBACK_THRESHOLD` (the model answered those worse: dialogue follow-ups 66 -> 58 of 88). Chosen end to end on the
calibration articles (400 questions) and the news dev set (432), from one model-only run of each (`python -m
tools.span_thresholds --fallback 0.35`, docs/quality.md#the-model-first-the-span-when-it-is-refused-stop-42):
0.5 with the fallback at 0.35 gave text 0.675 -> 0.715 and 0.806 -> 0.814 over 0.35 alone, the same false refusals
(0.065, 0.028), unanswerable refusals and citation precision. Of the answers the reader was 0.35 to 0.5 sure of, the
model's own were right more often than the span. 0.5 alone (stop 37) had the text but 0.085 false refusals: the
model refuses some questions the span answers. History: 0.4 with an under-trained reader (which at 0.35 answered a
sample article's "How many visitors?" with the year-on-year rise; the trained one reads 41,500 at 0.59), then 0.35
from stop 28 to stop 41."""
SPAN_FALLBACK_THRESHOLD = 0.35
"""The span reader's chance at or above which its span answers a one-hop question the model's answer to was refused
(nothing of the model's passed the checks, and no quote could stand in) or not trusted (a short question's faint
passage). Default of the `span_fallback` setting; see `SPAN_ANSWER_THRESHOLD` for how it was chosen."""
SPAN_CHECK_THRESHOLD = 0.25
"""The chance at or above which a model's answer that does not hold the reader's span is replaced by the span (on
the calibration articles: 62% of gold sentences reach it, their span holds the answer 75% of the time): its quoted
evidence, and since stop 43 its own checked sentences, which are held back until the answer says the span or ends
(docs/quality.md#the-models-claim-checked-against-the-span-stop-43). Simulated from stop 42's runs and the reader's
spans, every threshold from 0.1 to 0.35 gained on the calibration articles (text 0.715 -> 0.720 to 0.740) and was
level on the news dev set (0.814 to 0.817): the threshold the quotes were already checked at was kept."""
QUOTE_REFUSAL_THRESHOLD = 0.2
"""A quoted answer to a question asking for a kind of thing (no sentence of the model's passed the checks, so the
best evidence sentence is quoted) is given only when the span reader finds an answer this likely in one of its
quoted sentences; else the question is refused (default of the `quote_refusal` setting; 0 quotes as before).
Chosen on the calibration articles: refused unanswerable questions 0.295 -> 0.335 for one answerable question whose
quote was wrong (docs/quality.md#a-quote-the-reader-finds-no-answer-in-is-refused)."""
READER_QUOTE_THRESHOLD = 0.4
"""The reader's chance, in another of the five best evidence sentences, that quotes that sentence when the best one's
quote cannot answer (it fails `QUOTE_REFUSAL_THRESHOLD`, or holds nothing of the kind asked for): a story's opening
sentence, retrieved by the question's words, seldom holds the detail asked about. Chosen on the calibration
articles and the news dev set: at 0.2 (the gate's own) 8 answerable questions gained and 7 unanswerable ones
answered; the reader's chances recorded for them put 6 and 1 at 0.4 or more
(docs/quality.md#the-readers-quote-a-misspelt-name-a-speed-stop-39)."""
