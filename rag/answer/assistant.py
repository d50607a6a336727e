"""The assistant: question in, answer with checked citations out.

`Assistant(retriever, llm, settings, finder)` wires injected parts together; `Assistant.load(index_dir,
**settings)` is the edge that turns setting values into models. The language model and the answer finder are
loaded on first use, so `search` and `stats` stay fast and never pay for them.

One question's path (`stream`): what the user typed becomes a `rag.records.Query` (`Assistant.query`: the edges may
build it themselves), is made to stand alone (follow-ups: decided once; read each way the rules allow, the
best-answered reading kept); a question of two parts is answered part by part, each as a question of its own, the
answers joined (a part the articles do not answer said missing); a two-hop question ("Where was the one who led the
Normans crowned?") is answered in two hops when it needs both (`rag.answer.hops`), and a comparison of two named
things ("Which magazine was started first, A or B?") thing by thing, the winner named (`rag.answer.comparisons`);
retrieval finds passages; the answer finder scores every sentence of them (`rag.answer.evidence`; once: quoting and
citing reuse those scores) and, when even the best sentence is unlikely to answer, the assistant refuses without the
model; otherwise the model is shown those sentences (with the one before each), not whole passages, and what it
writes is checked sentence by sentence as it comes (`rag.answer.cite.AnswerCheck`): only sentences that passed are
streamed, so nothing unchecked is ever on screen. If none passed, the best evidence sentence of each part is quoted
when it holds the kind of thing asked for and names what the part pins down; else the assistant refuses.

    >>> from rag import Assistant                                   # doctest: +SKIP
    >>> assistant = Assistant.load("index/")                        # doctest: +SKIP
    >>> answer = assistant.ask("When did the footbridge reopen?")   # doctest: +SKIP
    >>> answer.text, [c.passage.title for c in answer.citations]    # doctest: +SKIP
"""

from __future__ import annotations

import dataclasses
import datetime
import functools
import threading
from collections.abc import Callable, Generator, Iterable, Iterator, Sequence
from collections.abc import Set as AbstractSet
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from rag.answer.ages import age_reading
from rag.answer.bylines import document_answer, opinion_reading
from rag.answer.changes import change_size, changed_value, changes
from rag.answer.cite import (
    AnswerCheck,
    Checked,
    is_refusal,
    names_what_is_asked,
    off_topic,
    quote_misses_question,
    quoted_answer,
)
from rag.answer.clauses import allotted_amount, paired_reading
from rag.answer.comparisons import (
    ComparisonPlan,
    comparison_plan,
    comparison_text,
    countries_said,
    later_than_said,
    measure,
)
from rag.answer.conversation import (
    ASKS_WHO,
    REWRITE_SYSTEM,
    accept_rewrite,
    follow_up_readings,
    is_follow_up,
    leaned_turn,
    leans_on_pronoun,
    named_person,
    names_only_said,
    names_said,
    previous_terms,
    quote_misses_follow_up,
    quoted_name,
    quoted_sentences,
    repeats,
    resolved_history,
    said_names,
    stays_on,
    turn_story,
)
from rag.answer.corrections import corrected
from rag.answer.denials import denial_reading, denied_claim_reading
from rag.answer.descriptions import description_reading
from rag.answer.directions import opposite_count
from rag.answer.estimates import Estimate, compared_figure, other_estimate, side_by_side, story_estimate
from rag.answer.evidence import (
    AnswerKinds,
    Evidence,
    FinderScorer,
    Sentence,
    SentenceScorer,
    find_evidence,
)
from rag.answer.hops import (
    HopPlan,
    Intersection,
    bridge_sentence,
    hop_plan,
    intersection_plan,
    name_head,
    names_something,
    renumbered,
    usable_bridge,
)
from rag.answer.leaders import (
    head_reading,
    is_thing_asked,
    predecessor_reading,
    role_reading,
    stayer_reading,
    then_reading,
)
from rag.answer.links import about, anchored_passages, linked, linked_passages
from rag.answer.lists import list_reading, ranked_reading
from rag.answer.mentions import mention_lookup, mention_request, mentions_answer
from rag.answer.moved import (
    ASKS_FIGURE,
    ASKS_WHEN,
    MOVED,
    REVISED,
    continues_story,
    latest_change_first,
    moved_date_reading,
    revising_reports,
)
from rag.answer.outlets import backs, claim_of, named_outlet, without_outlet
from rag.answer.parts import bare_part, question_parts
from rag.answer.polar import asks_yes_or_no, both_options, either_or_reading
from rag.answer.prompts import (
    CANNOT_ANSWER,
    EVIDENCE_SENTENCES,
    MISSING_PART,
    NO_ARTICLE_MATCHES,
    QUOTED_OPENING,
    evidence_excerpts,
    fit_passages,
    parse_markers,
    strip_markers,
)
from rag.answer.reader import (
    CLOCK_TIME,
    Found,
    Reading,
    SpanFinder,
    acted_on,
    aged,
    agent_reading,
    asks_clock_time,
    asks_why,
    claim_disagrees,
    confident,
    counted_value,
    described_person,
    ending_reading,
    gives_reason,
    listed,
    measured,
    members_asked,
    named_together,
    ranged,
    read_evidence,
    read_sentence,
    reason_reading,
    respanned,
    span_answer,
    span_text,
    tally_reading,
    verdict_reading,
    widened,
)
from rag.answer.retrieve import RECENT_SHARE, Retriever, TimedHits, stands_out
from rag.answer.sections import body_reading, section_reading
from rag.answer.tables import table_reading
from rag.answer.timeframe import (
    asks_who_now,
    checked_as_of,
    outside_note,
    parse_as_of,
    weekday_dates,
    with_as_of,
)
from rag.answer.totals import total_reading
from rag.errors import InvalidRequestError
from rag.models.embed import INT8_SUFFIX, Embedder, backend_of, embedder_name, load_embedder
from rag.models.entities import EntityTagger, load_tagger
from rag.models.llm import LLM, load_llm, stream_in_line
from rag.models.span_reader import Span
from rag.records import (
    ARTICLE_KIND_KEY,
    Answer,
    Citation,
    Drafting,
    Filters,
    Hit,
    Passage,
    Period,
    Prompt,
    Query,
    StreamEvent,
    TextChunk,
    Usage,
    Waiting,
    kind_note,
)
from rag.settings import MAX_K, Settings
from rag.store import current_generation, index_location, is_database_url, open_store
from rag.text import (
    capitalised_terms,
    content_words,
    matched_terms,
    neutral_roles,
    specific_terms,
    split_sentences,
    without_qualifier,
)
from rag.thresholds import READER_QUOTE_THRESHOLD, SPAN_CHECK_THRESHOLD

History = Sequence[tuple[str, str]]
Within = Callable[[Sequence[Passage]], Sequence[Passage]]
"""Which of the retrieved passages a question may be answered from (a two-hop question's second hop: those naming
the bridge, `rag.answer.links.anchored_passages`), in their order."""
PROMPT_MARGIN = 16
"""Tokens kept free beyond the prompt and the answer: chat templates add a few of their own."""


@dataclass(frozen=True)
class _Generated:
    """The tokens a model call read and wrote (`Usage`): an event of the assistant's own streams, which `stream` adds
    up onto the final `Answer` (whichever part or hop asked the model) and never passes on."""

    usage: Usage


_Event = StreamEvent | _Generated


@dataclass(frozen=True)
class _Bridge:
    """What a two-hop question describes, found (`bridge`, in the `citation`'s sentence), when its second hop is not
    answered by the articles."""

    bridge: str
    hops: HopPlan
    citation: Citation
    answered: Answer | None = None
    """The second hop's answer when it cites the bridge's own passage alone (one article may hold both hops: "the
    58-year-old said" two sentences after the bridge is named)."""


@dataclass(frozen=True)
class FirstHop:
    """What the first hop of a two-hop question found (`Assistant.first_hop`): the `passages` retrieved for it, how
    likely their evidence answers it (`answerable`, None when no passage was relevant enough to judge), the span
    reader's `reading` and its `sentence`, the span widened to a whole name (`read`), and the gate that stopped it
    (`stopped`, empty when the bridge is usable). What `Assistant._two_hops` answers from and tools trace."""

    passages: tuple[Passage, ...] = ()
    answerable: float | None = None
    reading: Reading | None = None
    sentence: str = ""
    read: str = ""
    stopped: str = ""

    @property
    def bridge(self) -> str | None:
        """What the question describes, found; None when a gate stopped the hop."""
        return None if self.stopped else self.read

    @property
    def chance(self) -> float:
        """The span reader's chance for the span (0 without one)."""
        return 0.0 if self.reading is None else self.reading.span.probability

    @property
    def passage(self) -> Passage | None:
        """The passage the bridge was read in."""
        return None if self.reading is None else self.passages[self.reading.passage_index]


@dataclass(frozen=True)
class _Plan:
    query: Query
    """The stand-alone question (a follow-up's context beside it), as retrieved and checked."""
    passages: list[Passage]
    evidence: Evidence
    shown: list[Passage]
    """The passages the prompt numbers [1], [2]… (as excerpts), whole."""
    prompt: Prompt | None
    hits: Sequence[Hit] = ()
    period: Period | None = None
    outside: Sequence[Passage] = ()
    """The nearest dated articles outside the period the question names, when it holds nothing relevant: a refusal
    names them (`rag.answer.timeframe.outside_note`)."""
    missing: tuple[str, ...] = ()
    """Parts of a two-part question the passages do not answer (the others are answered): the answer says so."""
    previous_answer: str = ""
    """A follow-up's previous answer: an answer that only says it again answers nothing new (`repeats`)."""
    faint: bool = False
    """The best passage scored below `min_score`, kept because it stands out for a short question
    (`rag.answer.retrieve.stands_out`): only a confident span answers, the model does not."""
    leaning: bool = False
    """Searched with the turn the conversation is about though no rule made the question a follow-up
    (`Assistant._plan`): a quote holding nothing the question adds answers that turn again."""
    others: tuple[str, ...] = ()
    """The words naming the people a "Who else …?" question sets aside (`said_names`): no answer names only them."""
    usage: Usage = dataclasses.field(default_factory=Usage)
    """The tokens of a chat model's rewrite of a follow-up (`standalone_questions`), if it was asked for one."""


class Assistant:
    """Answers questions about the indexed articles with a local LLM, citing the passages it used.

    `finder` scores how likely each sentence answers a question (`rag.answer.evidence.SentenceScorer`); by default
    the shipped answer finder (`rag.models.answer_finder`) combined with word overlap (`FinderScorer`), loaded on
    first use. `tagger` finds the named entities that tell what kind of answer a sentence holds
    (`rag.answer.evidence.AnswerKinds`); by default the bundled spaCy pipeline, loaded on the first typed question."""

    def __init__(self, retriever: Retriever, llm: LLM | Callable[[], LLM], settings: Settings | None = None,
                 finder: SentenceScorer | None = None, tagger: EntityTagger | None = None,
                 reader: SpanFinder | Callable[[], SpanFinder] | None = None) -> None:
        self.retriever = retriever
        self.settings = settings or Settings()
        self._llm: LLM | None = None if callable(llm) and not isinstance(llm, LLM) else llm  # type: ignore[assignment]
        self._llm_factory = llm if self._llm is None else None
        self._llm_lock = threading.Lock()
        self._finder = finder
        self.kinds = AnswerKinds(tagger or load_tagger)
        self.reader_source = reader
        """The span reader (`rag.answer.reader`), or what loads it on first use; None: answers are the model's."""
        self._reader: SpanFinder | None = None
        self._reader_lock = threading.Lock()

    @classmethod
    def load(cls, index_dir: str | Path | None = None, *, settings: Settings | None = None,
             embedder: Embedder | str | None = None, llm: LLM | str | None = None, **overrides: Any) -> Assistant:
        """Load the index in `index_dir` (or in the database `store="postgresql://..."` names) with the configured
        embedder and LLM.

        Keyword overrides are fields of `rag.settings.Settings` (`k=8`, `llm="model.gguf"`, ...); `RAG_*`
        environment variables fill the rest. `embedder` and `llm` may also be model objects, which are used as is.
        """
        if isinstance(embedder, str):
            overrides["embedder"] = embedder
        if isinstance(llm, str):
            overrides["llm"] = llm
        if index_dir is not None:
            overrides["index"] = str(index_dir)
        resolved = settings.replace(**overrides) if settings else Settings.from_env(**overrides)
        location = index_location(resolved.index, resolved.store)
        if not is_database_url(location):
            current_generation(location)  # a missing index is said before the embedder loads (one small file read)
        if not isinstance(embedder, Embedder):
            embedder = load_embedder(resolved.embedder, threads=resolved.embed_threads,
                                     backend=_backend_for(resolved), cache=resolved.cache)
        retriever = Retriever.load(location, embedder, resolved.retrieval,
                                   resolved.duplicate_overlap, resolved.story_similarity)
        def make_reader() -> SpanFinder:
            from rag.models.span_reader import load_span_reader

            return load_span_reader(threads=resolved.threads)

        if isinstance(llm, LLM):
            return cls(retriever, llm, resolved, reader=make_reader)

        def make_llm() -> LLM:
            if resolved.llm_url:  # an OpenAI-compatible server writes the answers (rag.models.remote)
                from rag.models.remote import RemoteLLM

                return RemoteLLM.from_settings(resolved)
            return load_llm(resolved.llm, resolved.context_size, resolved.threads, cache=resolved.cache)

        return cls(retriever, make_llm, resolved, reader=make_reader)

    @property
    def loaded_llm(self) -> LLM | None:
        """The language model if it is loaded, else None (asking never loads it)."""
        return self._llm

    @property
    def finder(self) -> SentenceScorer:
        finder = self._finder
        if finder is None:
            from rag.models.answer_finder import load_answer_finder

            # The model's threads: it reads a question's sentences before the model writes, not beside it.
            model = load_answer_finder(threads=self.settings.threads)
            finder = self._finder = FinderScorer(model, self.retriever.term_weights, self.kinds)
        return finder

    @property
    def reader(self) -> SpanFinder | None:
        """The span reader, loaded on first use (None when the assistant was given none)."""
        if self._reader is None and self.reader_source is not None:
            with self._reader_lock:
                if self._reader is None:
                    source = self.reader_source
                    self._reader = source if isinstance(source, SpanFinder) else source()
        return self._reader

    @property
    def llm(self) -> LLM:
        if self._llm is None:
            with self._llm_lock:
                if self._llm is None:
                    assert self._llm_factory is not None
                    self._llm = self._llm_factory()  # type: ignore[operator]
        return self._llm

    # -- questions -------------------------------------------------------------------------------------------

    def search(self, question: str | Query, k: int | None = None, filters: Filters | None = None,
               as_of: datetime.date | str | None = None) -> list[Hit]:
        """The passages most relevant to `question`, best first (only those `filters` allow), one per story."""
        return self.retrieve(question, k, filters, as_of).hits

    def retrieve(self, question: str | Query, k: int | None = None, filters: Filters | None = None,
                 as_of: datetime.date | str | None = None) -> TimedHits:
        """`search`, with the text searched for and the period read from the question's time phrase ("last month",
        resolved against `as_of`, default the `as_of` setting, else today)."""
        query = self.query(question, filters, as_of)
        return self.retriever.search_timed(query, checked_k(k) or self.settings.k, relevant=self.settings.min_score)

    def query(self, question: str | Query, filters: Filters | None = None,
              as_of: datetime.date | str | None = None) -> Query:
        """The `Query` record of what the user typed (checked: text, not empty, not too long), with the reference
        date of its time phrases resolved (`as_of`, else the `as_of` setting, else today) and its `filters`; given
        a `Query`, the values it carries unless `filters` or `as_of` say otherwise. The edges build it once."""
        if filters is not None:
            filters = checked_filters(filters)
        if isinstance(question, Query):
            return dataclasses.replace(question, text=self._validated(question.text),
                                       as_of=self._reference_date(as_of or question.as_of),
                                       filters=question.filters if filters is None else filters)
        return Query(self._validated(question), as_of=self._reference_date(as_of), filters=filters)

    def ask(self, question: str | Query, history: History = (), k: int | None = None,
            filters: Filters | None = None, as_of: datetime.date | str | None = None) -> Answer:
        """Answer `question` (with earlier `(question, answer)` turns as context) and return the checked Answer."""
        return answer_from(self.stream(question, history, k, filters, as_of))

    def stream(self, question: str | Query, history: History = (), k: int | None = None,
               filters: Filters | None = None, as_of: datetime.date | str | None = None) -> Iterator[StreamEvent]:
        """Yield the events of the answer (`rag.records.StreamEvent`): `Waiting` while the model serves others,
        `Drafting` when it starts writing, each sentence as a `TextChunk` once checked, then the checked `Answer`,
        whose text is the chunks joined, or the quoted evidence, or the refusal; its `usage` adds up every model
        call made for it (a part's or hop's too, whether or not its words were kept)."""
        usage = Usage()
        for event in self._events(question, history, k, filters, as_of):
            if isinstance(event, _Generated):
                usage += event.usage
            elif isinstance(event, Answer):
                yield dataclasses.replace(event, usage=usage)
            else:
                yield event

    def _events(self, question: str | Query, history: History, k: int | None, filters: Filters | None,
                as_of: datetime.date | str | None) -> Iterator[_Event]:
        """`stream`'s events, with a `_Generated` after each model call."""
        asked = self.query(question, filters, as_of)
        history = checked_history(history)
        checked_k(k)
        if not asked.filters:  # "Catch me up", "What happened this week?": the brief, as every edge gives it
            from rag.answer.brief import brief_reply  # here: the brief module is an edge of the assistant's

            briefed = brief_reply(self, asked.text, asked.as_of)
            if briefed is not None:
                yield TextChunk(briefed.text)
                yield briefed
                return
        alone = not is_follow_up(asked.text, history)
        # "Who wrote about X?", "When was <title> published?": from the articles' records, not from a sentence
        documents = document_answer(asked.text, history, lambda text: self.search(dataclasses.replace(asked, text=text)
                                                                                  ), self.retriever.index.articles)
        if documents is not None:
            yield Drafting()
            yield TextChunk(documents.text)
            yield documents
            return
        named = mention_request(asked.text) if alone else None
        if named is not None:  # "Which documents mention Belmont?": every article naming it, not the top passages
            listed = mentions_answer(asked.text, named, *mention_lookup(self.retriever.index, named, asked.filters))
            if listed is not None:
                yield TextChunk(listed.text)
                yield listed
                return
        figure = compared_figure(asked.text) if alone else None
        if figure is not None:  # "Which reports estimate X, and how do they differ?": X's figure, each report's
            for event in self._one_hop(dataclasses.replace(asked, text=figure), history, k):
                yield dataclasses.replace(event, question=asked.text) if isinstance(event, Answer) else event
            return
        parts = question_parts(asked.text) if alone else [asked.text]
        if len(parts) > 1:  # a two-part question: each part answered from its own evidence, or said missing
            yield from self._parts(asked, parts, k)
            return
        compared = comparison_plan(asked.text) if alone else None
        if compared is not None:  # "Which … first, A or B?": each thing asked of alone, the winner named after
            yield from self._comparison(asked, compared, k)
            return
        both = intersection_plan(asked.text) if alone else None
        if both is not None:  # "Which actor starred in A and was born in B?": the name both clauses' sentences give
            found = self._intersection(asked, both, k)
            if found is not None:
                yield Drafting()
                yield TextChunk(found.text)
                yield found
                return
        hops = hop_plan(asked.text) if alone else None
        if hops is not None:  # a two-hop question: answered in two hops when it needs both (rag.answer.hops)
            answered = yield from self._two_hops(asked, hops, k)
            if isinstance(answered, _Bridge):
                answered = yield from self._bridge_only(asked, answered, history, k)
            if answered is not None:
                yield Drafting()
                yield TextChunk(answered.text)
                yield answered
                return
        yield from self._one_hop(asked, history, k, model_first=not history and not asked.written_by_rules)

    def _one_hop(self, asked: Query, history: History, k: int | None, within: Within | None = None,
                 model_first: bool = False) -> Iterator[_Event]:
        """`stream` for a question answered from one retrieval (every question but a two-hop one). A question the
        rules wrote (`Query.written_by_rules`: a comparison's part, a hop's question) keeps a quote the reader finds
        nothing in (`_reads_an_answer`): its words are the rules', and the reader's chance reflects them ("When was
        the Lisbon Treaty founded?" against "The 2007 Lisbon Treaty explicitly recognised …"). `within`: the
        retrieved passages it may answer from (`Within`; all of them without it). `model_first`: a user's own
        stand-alone question, which the model answers first when the reader is less sure than `span_threshold`;
        every other (a follow-up, a part of a two-part question, a hop's) is the span's from `span_fallback`."""
        question = asked.text
        plan = self._plan(asked, history, k, within)
        plan = dataclasses.replace(plan, others=said_names(question, history))
        if plan.usage.total_tokens:
            yield _Generated(plan.usage)
        both = both_options(question, plan.evidence, plan.passages) if plan.evidence.ranked else None
        if both is not None:  # "£340,000 or £338,500?", each given by an article of its own: both said, cited
            answer = self._finished(Answer(question, both.text, both.citations, False, "", plan.query.search_text),
                                    plan)
            yield Drafting()
            yield TextChunk(answer.text)
            yield answer
            return
        if plan.prompt is None:
            # a table's cell the question names by its row and its column, a section it names by its heading,
            # answers however low the evidence scorer, trained on sentences, scores a table's rows ("Prohibited |
            # ban | 6 months") or a section's body (`STRUCTURE_RULES`)
            ruled, reader = None, self.reader
            if plan.evidence.ranked and reader is not None:
                for rule in self._reading_rules(plan, STRUCTURE_RULES):
                    ruled = rule(question, ruled, plan.evidence, plan.passages, reader)
            yield (self._span_answer(question, "", plan, ruled) if ruled is not None
                   else self._finished(self._refusal(question, "", plan.query.search_text), plan))
            return
        if (asks_yes_or_no(question) and not asked.written_by_rules and not history
                and not (plan.period is not None and plan.period.latest)):
            yield from self._yes_or_no(question, plan)
            return
        reading = self._reading(plan)
        if reading is not None and repeats(reading.span.text, plan.previous_answer):
            reading = None  # a follow-up's span that is the previous answer again: the model writes instead
        if (plan.previous_answer and asks_why(plan.query.text)
                and (reading is None or content_words(strip_markers(plan.previous_answer)) <= content_words(
                    plan.passages[reading.passage_index].text[reading.sentence_start:reading.sentence_end]))
                and not gives_reason(reading, plan.evidence, plan.passages)):
            # A follow-up's "Why?" that no sentence of the best evidence gives a reason for ("because", "due to",
            # "came from" ...), when the reader found nothing but what the previous answer said: the model would say
            # what happened again ("The library opened on Tuesday"), or another story's lede. Refused. Not when the
            # reader reads another sentence ("Why?" after "Tom stayed home": "He was ill", a reason without a
            # marker), nor a stand-alone why-question: their reasons are often said without one.
            yield self._finished(self._refusal(question, "", plan.query.search_text), plan)
            return
        if reading is not None and reading.span.probability < self.settings.reader_refusal and not plan.previous_answer:
            # Opt-in: the reader finds nothing likely to answer in the best sentences, and the user would rather be
            # refused than risk an answer to an unanswerable question. Not for a follow-up: the reader reads its
            # rewritten readings less surely ("And the vote?"). Off by default: docs/quality.md#refusing-what-the-
            # reader-finds-nothing-in (held-out false refusals 0.07 -> 0.17 at 0.2).
            yield self._finished(self._refusal(question, "", plan.query.search_text), plan)
            return
        # Between span_fallback and span_threshold the model writes first only a user's stand-alone question. A
        # faint plan (below) never asks the model, so the span its refusal would fall back to answers; and the
        # model answers worse than the span a follow-up (the previous turn's words in its prompt), a part of a
        # two-part question and a question the rules wrote (a hop's: "What is the birth name of Lyra Vance?"): with
        # the model first, 8 of 88 dialogue follow-ups, 2 of 30 two-part questions and one two-hop answer were lost
        # (docs/quality.md#the-model-first-the-span-when-it-is-refused-stop-42).
        threshold = self.settings.span_threshold if model_first and not plan.faint else self.settings.span_fallback
        if confident(reading, threshold):
            answer = self._span_answer(question, "", plan, reading)
            yield Drafting()  # every answer's stream has the same shape, whoever wrote it
            yield TextChunk(answer.text)
            yield answer
            return
        if plan.faint:  # found only because it stands out for a short question: the model's words are not trusted
            # (a period the question names and that was kept: its best evidence quoted when it holds what is asked)
            refused = self._refusal(question, "", plan.query.search_text)
            yield self._finished(self._period_quote(question, plan) or refused, plan)
            return
        llm, prompt, passages, evidence, query = self.llm, plan.prompt, plan.passages, plan.evidence, plan.query
        check = self._check(query, plan.shown, evidence, passages, llm.chat)
        text = ""
        drafting = False
        shown = 0
        streamed = ""  # the checked sentences yielded, as shown
        opened: dict[str, str] = {}  # the first sentence shown: as checked -> as shown (said as of its date)
        doubted: list[str] = []  # checked sentences held back: the first left out the span the reader found
        for piece in stream_in_line(llm, prompt, self.settings.max_answer_tokens, self.settings.temperature):
            if isinstance(piece, Waiting):  # the question's place in the generation queue: passed on
                yield piece
                continue
            if not piece:
                continue
            if not drafting:
                drafting = True
                yield Drafting()
            text += piece
            for sentence in check.feed(text):
                if doubted or (not shown and claim_disagrees(sentence, reading)):
                    doubted.append(sentence)
                    continue
                chunk = " " + sentence if shown else _opening(sentence, plan.period, check, opened)
                streamed, shown = streamed + chunk, shown + 1
                yield TextChunk(chunk)
        prompt_text = prompt.text or "\n".join(message["content"] for message in prompt.messages)
        yield _Generated(Usage(llm.count_tokens(prompt_text), llm.count_tokens(text) if text else 0))
        checked = check.feed(text, final=True)
        if doubted or (checked and not shown and claim_disagrees(checked[0], reading)):
            if claim_disagrees(" ".join([*doubted, *checked]), reading):
                # The model's claim is not the span the reader found (at least `SPAN_CHECK_THRESHOLD` sure) in the
                # evidence: the span answers, and nothing of the model's was shown. On held-out SQuAD articles the
                # span held the answer for 28 of 50 such answers, the model's text for 11 (docs/quality.md#the-
                # models-claim-checked-against-the-span-stop-43).
                yield from self._span_instead(question, text, plan, reading, drafting)
                return
            checked, doubted = [*doubted, *checked], []
        for sentence in checked:
            chunk = " " + sentence if shown else _opening(sentence, plan.period, check, opened)
            streamed, shown = streamed + chunk, shown + 1
            yield TextChunk(chunk)
        reader_quotes = not history and not query.written_by_rules and self.settings.quote_refusal > 0
        final = self._final(question, query.search_text, text.strip(), check, evidence, passages, llm.chat,
                            reader_quotes)
        repeated = not final.refused and repeats(final.text, plan.previous_answer)
        if repeated:
            # The previous answer again answers nothing new: handled as a model answer that failed its checks, the
            # evidence quoted instead ("... by 19 votes to 8" for "And the vote?" after "48.6 million euros"), so
            # that a follow-up never loses what the quoted evidence alone would show; refused when that quote too
            # only says the previous answer again.
            quoted = quoted_answer(evidence, passages, self.finder, self.kinds)
            if quoted.supported and repeats(quoted.text, plan.previous_answer):
                # The best sentence is the one the previous answer quoted: the next best says something new of it
                # ("What happened to the second one?" after the sentence naming the two: "Voss was acquitted …").
                quoted = quoted_answer(_unsaid(evidence, passages, plan.previous_answer), passages, self.finder,
                                       self.kinds)
            final = (Answer(question, quoted.text, quoted.citations, False, text.strip(), query.search_text)
                     if quoted.supported and not repeats(quoted.text, plan.previous_answer)
                     else self._refusal(question, text.strip(), query.search_text))
        if (not shown and not final.refused and claim_disagrees(final.text, reading)
                and _quotes_best(final, evidence, passages)):
            # Nothing of the model's passed the checks (the answer is quoted evidence) and the quote leaves out the
            # span the reader found: the span answer instead. Streamed sentences are never taken back (a sample
            # article's correct "41,500 visitors" would have become the reader's wrong "6,000"), nor a quote the
            # reader chose for a surer answer than that span ("PORT SELLIS", a dateline's place, 0.31, for "Who got
            # Talia Merrow ready?" over the sentence naming her assistant coach, 0.59).
            yield from self._span_instead(question, text, plan, reading, drafting)
            return
        if (not query.written_by_rules and not shown and not final.refused
                and not self._reads_an_answer(query.text, final)):
            # The quoted evidence is all the answer would be, and the reader finds no answer of the kind asked for in
            # it: most such quotes answered questions the articles do not answer (calibration articles). Unless the
            # reader is surer of another of the best sentences (a story's opening, retrieved by the question's
            # words, seldom holds the detail asked about: "How many staff does Lumetric Systems have?").
            requoted = (self._reader_quote(question, evidence, passages, READER_QUOTE_THRESHOLD) if reader_quotes
                        else None)
            final = (dataclasses.replace(final, text=requoted.text, citations=requoted.citations) if requoted
                     else self._refusal(question, text.strip(), query.search_text))
        if (history and (not shown or repeated) and not final.refused
                and quote_misses_follow_up(question, *history[-1], " ".join(_quotes(final)),
                                           leaning=plan.leaning)):
            # A follow-up's quote that holds nothing it newly asks about answers the previous turn again.
            final = self._refusal(question, text.strip(), query.search_text)
        if not shown and not repeated and not history and not final.refused:
            # Whether to answer was decided on the best sentence; which sentence to quote, by the reader. For "the
            # latest", among the newest report's sentences only (`_dated_evidence` put them first): the reader's
            # likelier span in an older report is the value that no longer holds ("offered … 2.5 per cent", not
            # "3.5"), and the newest report's first sentence may say something else ("disappointed … pay").
            latest = plan.period is not None and plan.period.latest
            final = self._likeliest_quote(final, _newest_only(evidence, passages) if latest else evidence, passages)
        unrelated = (model_first and not shown and not repeated and not final.refused
                     and not confident(reading, self.settings.span_fallback)
                     and bool(quoted_sentences(final.text))
                     and quote_misses_question(query.text, quoted_sentences(final.text),
                                               self.retriever.index.lexical.term_weights))
        if unrelated:
            # The quote shares nothing with the question but its names, and what the question asks about is in no
            # indexed article ("Has Mayor Marsh resigned?" was answered with her budget speech, "What is the
            # population of Harwick?" with a Harwick flood). Refused, and the reader's span in such a sentence is
            # not answered either. Not when the reader is sure enough of a span to answer with it (`span_fallback`):
            # the question's word missing from every article was then a paraphrase ("accused of" over "alleging he
            # had humiliated …", "When is broadband coming to Elmsbury?" over "… connected will be Elmsbury, in
            # April 2027": a news dev answer and a sample's, lost to the check as first written). Only for a user's
            # own first question (`model_first`): a two-hop question's one-hop try is judged by the hop rules.
            final = self._refusal(question, text.strip(), query.search_text)
        if final.refused and not shown and not unrelated and confident(reading, self.settings.span_fallback):
            # The reader was not sure enough to answer before the model (`span_threshold`), but the model's answer
            # was refused: the span answers rather than nobody (docs/quality.md#the-model-first-the-span-when-it-is-
            # refused-stop-42: on the calibration articles the model's answers in between were right more often
            # than the span, its refusals less often than the span).
            yield from self._span_instead(question, text, plan, reading, drafting)
            return
        if not shown and not final.refused:
            final = self._with_members_named(question, final)
        finished = self._finished(final, plan, opened)
        if shown and finished.text.startswith(streamed) and finished.text != streamed:
            # What the answer says beyond the streamed sentences (a part said missing, the sentence linking the
            # question to the cited article) is streamed too: a client showing only the chunks sees it.
            yield TextChunk(finished.text[len(streamed):])
        yield finished

    def prompt(self, question: str | Query, history: History = (), k: int | None = None,
               filters: Filters | None = None, as_of: datetime.date | str | None = None) -> Prompt | None:
        """The prompt the model would be given for `question`, or None when the assistant refuses before asking it
        (what the benchmark feeds raw llama.cpp to measure the assistant's own cost)."""
        return self._public_plan(question, history, k, filters, as_of).prompt

    def read(self, question: str | Query, history: History = (), k: int | None = None,
             filters: Filters | None = None, as_of: datetime.date | str | None = None) -> Found | None:
        """The span the reader finds for `question` as the answer path would, whatever its chance (None when the
        assistant refuses before asking the model, or has no reader): what tools choosing `span_threshold` read."""
        plan = self._public_plan(question, history, k, filters, as_of)
        reading = self._reading(plan) if plan.prompt is not None else None
        return None if reading is None else Found(reading, plan.passages[reading.passage_index])

    def _public_plan(self, question: str | Query, history: History, k: int | None, filters: Filters | None,
                     as_of: datetime.date | str | None) -> _Plan:
        """`_plan` for the public methods that stop before the answer (`prompt`, `read`): their arguments as
        `stream` takes them."""
        return self._plan(self.query(question, filters, as_of), [(str(q), str(a)) for q, a in history], k)

    def _plan(self, asked: Query, history: History, k: int | None, within: Within | None = None) -> _Plan:
        """Everything before generation: the stand-alone question, the passages (one per story, within the period
        the question names), the evidence, and the prompt (None when the passages do not answer). A follow-up the
        rules can read more than one way (`standalone_questions`) is planned for each reading, and the plan whose
        evidence answers best is kept (the first on a tie; a plan that refuses only when all do)."""
        # -- follow-ups (issue 22): one plan per reading, the best kept --
        readings, usage = self._readings(asked, history)
        follows = len(readings) > 1 or readings[0] != asked
        # The names a reading put in for the follow-up's pronouns ("When did she take office?": Elena Marchetti)
        plans = self._reading_plans(asked, readings, history, k, within, follows)
        best = max(plans, key=_plan_strength)
        if follows and (best.prompt is None or best.evidence.answerable < WEAK_FOLLOW_UP):
            # The resolved readings find little: each is searched again with the previous question beside it (the
            # two turns' words together find the passage the conversation is about when the follow-up's own words
            # are few or its resolved name is written otherwise there).
            together = [dataclasses.replace(query, context=history[-1][0]) for query in readings if not query.context]
            plans = self._reading_plans(asked, together, history, k, within, follows)
            best = max([best, *plans], key=_plan_strength)
        elif history and best.prompt is None and not asked.context:
            # A question of a conversation that names what it asks about only by the conversation ("Who led the
            # opposition?" after "Why was the budget vote postponed?"), which its own words do not find: searched
            # again with the question the conversation is about beside it, as a follow-up is, and answered only
            # from that turn's story (another article sharing the turn's words is no answer: "Which company did
            # the work?" after the bridge's repairs is not the food company whose name shares the river's). The
            # evidence still decides, so a question on a new topic the articles do not answer stays refused.
            subject = conversation_subject(history)
            together_plan = self._plan_reading(dataclasses.replace(asked, context=subject[0]), history, k, within)
            together_plan = self._on_turn_story(together_plan, [subject], k, within, strict=True)
            if together_plan.prompt is not None:
                return dataclasses.replace(together_plan, previous_answer=history[-1][1], leaning=True, usage=usage)
        if follows and leans_on_pronoun(asked.text):
            best = self._on_turn_story(best, history, k, within)
        best = dataclasses.replace(best, previous_answer=history[-1][1]) if follows else best
        return dataclasses.replace(best, usage=usage) if usage.total_tokens else best

    def _reading_plans(self, asked: Query, readings: Sequence[Query], history: History, k: int | None,
                       within: Within | None, follows: bool) -> list[_Plan]:
        """`_plan_reading` for each reading of the question; for a follow-up that leans on a pronoun, a plan whose
        article is not about the previous turn's subject refuses (`stays_on`)."""
        plans = [self._plan_reading(query, history, k, within,
                                    capitalised_terms(query.text) - capitalised_terms(asked.text) if follows else set())
                 for query in readings]
        if follows and leans_on_pronoun(asked.text):  # about the previous turn's subject, or refused
            # the turn it leans on (a refused follow-up between adds nothing), and the names it gives itself
            terms = previous_terms(*leaned_turn(history)) | specific_terms(asked.text)
            plans = [plan if plan.prompt is None or stays_on(terms, _article_texts(plan))
                     else dataclasses.replace(plan, prompt=None) for plan in plans]
        return plans

    def _on_turn_story(self, plan: _Plan, history: History, k: int | None, within: Within | None,
                       strict: bool = False) -> _Plan:
        """A pronoun follow-up's plan kept on the story the previous turn was about (`turn_story`) when its best
        evidence comes from another retrieved article: "How much does it have to pay?" after "Which company was
        fined for leaking mains in Lindgard?" means Lindgard's fine, not the same company's earlier one elsewhere.
        Planned again within that story's passages; the plan stands when that story does not answer, unless
        `strict` (then it refuses, as it does when the turn's words name two stories alike)."""
        if plan.prompt is None or not plan.evidence.best:
            return plan
        articles: dict[str, list[str]] = {}
        for passage in plan.passages:
            articles.setdefault(passage.article_id, [passage.title]).append(passage.text)
        story = turn_story(*leaned_turn(history), articles)
        if story is None and strict and len(articles) > 1:  # which story the turn was about is a tie
            return dataclasses.replace(plan, prompt=None)
        if story is None or story == plan.passages[plan.evidence.best[0].passage_index].article_id:
            return plan
        # The turn's question was about a person, whom the follow-up's pronoun stands for: another report about
        # that person, found best, answers when the turn's story says nothing the follow-up asks (its words besides
        # names) or barely answers it ("When was he sentenced?" after the verdict's report was quoted for "What was
        # Reyes accused of?" is the sentencing report's date). A turn about an event ("Which company was fined … in
        # Lindgard?") keeps its story.
        person = named_person(leaned_turn(history)[0])
        about_person = not strict and bool(person) and person in plan.query.text
        asked = content_words(" ".join(word for word in plan.query.text.split() if not word[:1].isupper()))
        if about_person and asked and not asked & content_words(" ".join(articles[story])):
            return plan

        def on_story(passages: Sequence[Passage]) -> list[Passage]:
            kept = within(passages) if within is not None else passages
            return [passage for passage in kept if passage.article_id == story]

        kept = self._plan_reading(plan.query, history, k, on_story)
        if kept.prompt is None and strict:
            return dataclasses.replace(plan, prompt=None)
        if about_person and kept.evidence.answerable < WEAK_FOLLOW_UP <= plan.evidence.answerable:
            return plan
        return kept if kept.prompt is not None else plan

    def _plan_reading(self, query: Query, history: History, k: int | None, within: Within | None = None,
                      resolved: AbstractSet[str] = frozenset()) -> _Plan:
        """`_plan` for one stand-alone reading of the question. `resolved`: the terms of the names the reading put in
        for a follow-up's pronouns; a best passage naming them is kept below `min_score` as one that stands out is
        (only a confident span answers from it): the question asked alone ("When did Elena Marchetti take office?")
        scores low against every passage, the previous turns' words are not in it."""
        found = self.retriever.search_timed(query, k or self.settings.k, relevant=self.settings.min_score)
        outlet = named_outlet(query.text, [passage.source for hit in found.hits
                                           for passage in (hit.passage, *hit.same_story)])
        if outlet and not (query.filters is not None and query.filters.sources):
            # "How many jobs did the Harwick Courier say would go?": that outlet's report answers, not another
            # outlet's figure of the same story; searched within its articles (none that answers: refused).
            filters = query.filters or Filters()
            query = dataclasses.replace(query, filters=dataclasses.replace(filters, sources=(outlet,)))
            found = self.retriever.search_timed(query, k or self.settings.k, relevant=self.settings.min_score)
        hits, period, outside = found.hits, found.period, found.outside
        if within is not None:
            kept = set(within([hit.passage for hit in hits]))
            hits = [hit for hit in hits if hit.passage in kept]
        passages = [hit.passage for hit in hits]
        # the question's own words (not its context), without a searched time phrase nor the outlet it names
        asked_words = without_outlet(found.asked, outlet)
        faint = bool(hits) and hits[0].score < self.settings.min_score
        named = bool(resolved) and bool(hits) and resolved <= content_words(f"{hits[0].passage.title} "
                                                                           f"{hits[0].passage.text}")
        if not hits or (faint and not stands_out(hits, asked_words) and not named):
            return _Plan(query, passages, Evidence((), (), 0.0), [], None, hits, period, outside)
        later = self._later_reports(query, asked_words, hits, passages, period)
        if within is not None and later:  # restricted as the retrieved ones were
            later = list(within(later))
        passages = [*passages, *later]
        evidence, missing = self._dated_evidence(asked_words, passages, period)
        checked_words = " ".join(evidence.parts) if missing else asked_words
        if not missing and _misses_what_is_asked(checked_words, evidence, passages):
            # The best sentences are another story's ("When will union members vote on strike action over the
            # Copperfox closure?": a sugar factory's union ballot) while a retrieved story names what is asked:
            # the evidence is that story's. Refused as before when none does.
            on_topic = _on_topic_passages(checked_words, passages)
            if on_topic and len(on_topic) < len(passages):
                hits = [hit for hit in hits if hit.passage in on_topic]
                passages = [passage for passage in passages if passage in on_topic]  # an on-topic later report stays
                evidence, missing = self._dated_evidence(asked_words, passages, period)
        if (evidence.answerable < self.settings.refusal_threshold
                or _misses_what_is_asked(checked_words, evidence, passages)):
            # The stories' first reports do not answer: their other reports may ("the main contractor, Brannock
            # Rail" only in the second outlet's). Read only then: beside a first report that answers, an older
            # report's superseded figure ("five injured", revised to six) could be read instead.
            wider = read_passages(hits)
            if within is not None:  # the other reports are restricted as the first ones were
                allowed = set(within(wider))
                wider = [passage for passage in wider if passage in allowed]
            wider = [*wider, *(passage for passage in later if passage not in wider)]  # a later report stays
            if len(wider) == len(passages):
                return _Plan(query, passages, evidence, [], None, hits, period, outside)
            passages = wider
            evidence, missing = self._dated_evidence(asked_words, passages, period)
            checked_words = " ".join(evidence.parts) if missing else asked_words
            if (evidence.answerable < self.settings.refusal_threshold
                    or _misses_what_is_asked(checked_words, evidence, passages)):
                return _Plan(query, passages, evidence, [], None, hits, period, outside)
        revising = revising_reports(asked_words, hits, passages)
        if revising:  # a newer report of a retrieved story says the date or figure asked for changed: read it too
            passages = [*passages, *(within(revising) if within is not None else revising)]
            evidence, missing = self._dated_evidence(asked_words, passages, period)
        llm = self.llm
        sources, excerpts = evidence_excerpts(passages, _chosen(evidence))
        budget = llm.context_size - self.settings.max_answer_tokens - PROMPT_MARGIN
        prompt = fit_passages(query.search_text, excerpts, history, llm.chat, budget, llm.count_tokens)
        shown = [passages[index] for index in sources[:len(prompt.passages)]]
        return _Plan(query, passages, evidence, shown, prompt, hits, period, outside, missing, faint=faint)

    def _later_reports(self, query: Query, asked: str, hits: Sequence[Hit], passages: Sequence[Passage],
                       period: Period | None) -> list[Passage]:
        """For a question about how things stand (`Period.latest`: "Is the bus strike still on?"), or a when- or
        how-many question, the newest later report of each relevant retrieved story (scoring at least `RECENT_SHARE`
        of the best) that retrieval left below the `k` passages: published after the story's reports and by the
        question's date (and period), telling the same story (`continues_story`), and for a when- or how-many
        question saying the plan moved or the figure was revised ("the number of injured now stands at six"). Looked
        for with one word search (`Retriever.later_reports`), read only when found: stories weeks apart are not
        grouped at retrieval, and the best-worded report is often the oldest."""
        if period is not None and period.latest:
            changed = None
        elif ASKS_WHEN.match(asked):
            changed = MOVED
        elif ASKS_FIGURE.match(asked):
            changed = REVISED
        else:
            return []
        stories = [hit for hit in hits if hit.passage.published and hit.score >= RECENT_SHARE * hits[0].score]
        if not stories:
            return []
        until = (query.as_of or datetime.date.today()).isoformat()
        if period is not None and period.until:
            until = min(until, period.until[:10])
        found = self.retriever.later_reports(
            " ".join((asked, *(hit.passage.title for hit in stories))),
            min(hit.passage.published[:10] for hit in stories), until,
            query.filters.sources if query.filters else ())
        articles = {passage.article_id for passage in passages}
        later: list[Passage] = []
        for hit in stories:
            told = max(passage.published[:10] for passage in (hit.passage, *hit.same_story) if passage.published)
            newer = [passage for passage in found if passage.published[:10] > told
                     and continues_story(hit.passage, passage, asked)
                     and (changed is None or changed.search(passage.text) is not None)]
            if not newer:
                continue
            newest = max(newer, key=lambda passage: passage.published[:10])  # the best-matching of a day: first
            if newest.article_id in articles or any(passage.published[:10] > newest.published[:10]
                                                    for passage in passages if continues_story(hit.passage, passage,
                                                                                               asked)):
                continue  # retrieved already, or a newer report of the story was
            articles.add(newest.article_id)
            later.append(newest)
        return later

    def _dated_evidence(self, question: str, passages: Sequence[Passage],
                        period: Period | None) -> tuple[Evidence, tuple[str, ...]]:
        """`_answered_parts`, the newest report's sentences first for a question about the latest, or about who
        holds a role now (the chief executive now, not the one of 2019)."""
        evidence, missing = self._answered_parts(question, passages)
        if period is not None and period.latest:
            evidence = latest_change_first(question, _newest_evidence(evidence, passages), passages)
        elif period is None and asks_who_now(question):
            evidence = _newest_evidence(evidence, passages, dated_only=True)
        return evidence, missing

    def _answered_parts(self, question: str, passages: Sequence[Passage]) -> tuple[Evidence, tuple[str, ...]]:
        """The evidence for a question, and the parts of a two-part question the passages do not answer when
        others are: each part is judged on its own (the same scoring as all parts at once), so that one part
        the articles miss neither refuses the whole question nor is silently dropped; the evidence is then that of
        the answered parts."""
        parts = question_parts(question)
        if len(parts) < 2:
            return self.evidence(question, passages), ()
        judged = [find_evidence([part], passages, self.finder) for part in parts]
        answered = [evidence for evidence in judged if evidence.answerable >= self.settings.refusal_threshold]
        kept = answered if answered else judged
        evidence = Evidence(tuple(part for evidence in kept for part in evidence.parts),
                            tuple(ranked for evidence in kept for ranked in evidence.ranked),
                            min(evidence.answerable for evidence in kept))
        missing = tuple(part for part, evidence in zip(parts, judged, strict=True) if evidence not in kept)
        return evidence, missing

    def _finished(self, answer: Answer, plan: _Plan, opened: dict[str, str] | None = None) -> Answer:
        """The answer with the period the question named, said as of when it asks how things stand, and each
        citation standing for its story (the other articles reporting it). `opened`: the first sentence streamed,
        already said as of its date (`_opening`): an answer that opens with it opens as streamed, not dated again."""
        stories = {passage: tuple(other for other in (hit.passage, *hit.same_story) if other != passage)
                   for hit in plan.hits for passage in (hit.passage, *hit.same_story)}
        # Another outlet's report stands with a citation only when it says what the answer cites it for: not
        # another figure of the same thing, nor only the story's topic (`rag.answer.outlets.backs`).
        claims = {citation.number: claim_of(answer.text, citation.number) for citation in answer.citations}
        citations = tuple(dataclasses.replace(citation, same_story=tuple(
            other for other in stories.get(citation.passage, ())
            if not claims[citation.number] or backs(claims[citation.number], other.text)))
            for citation in answer.citations)
        first = next(iter(opened or {}), "")
        if not answer.refused and names_only_said(answer.text, plan.others):
            # "Who else …?" answered by someone the conversation already named says nobody else: refused
            answer = self._refusal(answer.question, answer.model_text, answer.search_query)
        if answer.refused and plan.period is not None and plan.outside:
            # The period the question named holds nothing that answers: said, with where to look instead.
            text = f"{answer.text} {outside_note(plan.period, plan.outside)}"
        elif (answer.refused and not plan.hits and plan.query.filters is not None
              and self.retriever.lets_nothing_through(plan.query.filters)):
            # The user's filters let nothing through (looked at only when nothing was found: a rare path).
            text = f"{answer.text} {NO_ARTICLE_MATCHES.format(filters=plan.query.filters.describe())}"
        elif answer.refused:
            text = answer.text
        elif first and opened and answer.text.startswith(first):
            text = opened[first] + answer.text[len(first):]
        else:
            text = with_as_of(answer.text, _as_of(plan.period, _first_cited(answer)))
        if not answer.refused and answer.text.startswith(QUOTED_OPENING):
            # A quote's "on Monday" dated as a span answer's is ("When did she start?" was answered "... on Monday")
            said = [weekday_dates(quote, citation.passage.published) for citation in answer.citations
                    for quote in citation.quotes if quote in answer.text]
            text = " ".join((text, *dict.fromkeys(dates for dates in said if dates)))
        if not answer.refused and not plan.previous_answer:
            # The question names something its cited passages do not (a two-hop question answered in one): the
            # retrieved sentence linking the two is quoted and cited, not taken on trust. Not for a follow-up,
            # whose names are the conversation's.
            text, citations = linked(text, citations, plan.query.text, plan.passages)
        if plan.missing and not answer.refused:  # a part the passages do not answer is said, not dropped
            text = " ".join((text, *(MISSING_PART.format(part=part) for part in plan.missing)))
        text, citations = self._kinds_said(text, citations)
        return dataclasses.replace(answer, text=text, citations=citations, period=plan.period)

    def _kinds_said(self, text: str, citations: tuple[Citation, ...]) -> tuple[str, tuple[Citation, ...]]:
        """Each citation of an article that marks itself satire or opinion (at indexing) carries its kind, and the
        answer says so after its text: a satirical paper's "£5 for every hour" is never given as plain fact."""
        if not citations:
            return text, citations
        records = self.retriever.index.articles
        marked = []
        for citation in citations:
            record = records.get(citation.passage.article_id)
            kind = record.metadata.get(ARTICLE_KIND_KEY, "") if record is not None else ""
            marked.append(dataclasses.replace(citation, kind=kind) if kind else citation)
        notes = [kind_note(citation.number, citation.kind, citation.passage.source) for citation in marked
                 if citation.kind and f"[{citation.number}]" in text]
        return " ".join((text, *notes)), tuple(marked)

    def _reference_date(self, as_of: datetime.date | str | None) -> datetime.date:
        if isinstance(as_of, str):  # "2026-03-14", as HTTP and the CLI take it
            return parse_as_of(as_of) if as_of.strip() else parse_as_of(self.settings.as_of)
        if as_of is not None and not isinstance(as_of, datetime.date):
            raise InvalidRequestError(f"as_of must be a date (or text like 2026-03-14), got {type(as_of).__name__}")
        return checked_as_of(as_of) if as_of is not None else parse_as_of(self.settings.as_of)

    def evidence(self, question: str, passages: Sequence[Passage]) -> Evidence:
        """The sentences of `passages` that best answer each part of `question`, and how likely they answer."""
        return find_evidence(question_parts(question), passages, self.finder)

    def _check(self, query: Query, shown: Sequence[Passage], evidence: Evidence, passages: Sequence[Passage],
               chat: bool) -> AnswerCheck:
        """The sentence checks for an answer to what `query` asks citing the `shown` passages (numbered from 1):
        it must agree with the evidence found without the model (for a base model, cite only the passages that
        evidence comes from), may not cite an article that misses what the question pins down (`off_topic`), and
        for a follow-up may not answer with what the previous question already named."""
        agreeing = {passages[sentence.passage_index] for sentence in evidence.best}
        # Once per article, not per passage shown: the verdict is the article's (all its retrieved passages).
        articles = {passage.article_id for passage in shown}
        wanders = {article: off_topic(query.text, linked_passages(
            query.text, [other for other in passages if other.article_id == article], passages))
            for article in articles}
        allowed = {index for index, passage in enumerate(shown) if not wanders[passage.article_id]}
        return AnswerCheck(shown, query.text, self.finder, agreeing=agreeing, every=not chat, allowed=allowed,
                           known=query.context, evidence=evidence, retrieved=passages, kinds=self.kinds)

    def _final(self, question: str, query: str, model_text: str, check: AnswerCheck, evidence: Evidence,
               passages: Sequence[Passage], chat: bool, reader_quotes: bool = False) -> Answer:
        """The answer once the model has written: its checked sentences, else the quoted evidence, else a refusal.
        `reader_quotes`: when the best sentence cannot be quoted, the sentence the reader finds an answer in may be
        (the user's own question, not a follow-up: the reader reads a rewritten follow-up less surely)."""
        checked = check.result()
        if is_refusal(model_text) and chat:
            # A base model's "I don't know" carries no signal (the bundled one said it to 9 of 150 answerable and 12
            # of 150 unanswerable held-out SQuAD-2 questions, 8 and 8 on an earlier sample): the evidence decides
            # below, as for any answer the checks reject. A chat model's is final.
            return self._refusal(question, model_text, query)
        if not checked.supported:
            checked = quoted_answer(evidence, passages, self.finder, self.kinds)
            if not checked.supported and reader_quotes and self.kinds.checked(question):
                # The best sentence holds nothing of the kind asked for (a story's opening names no company), or
                # is not about what is asked: a sentence the reader is sure enough of (`READER_QUOTE_THRESHOLD`)
                # is quoted instead.
                checked = self._reader_quote(question, evidence, passages, READER_QUOTE_THRESHOLD) or checked
            if not checked.supported:
                return self._refusal(question, model_text, query)
        if len(evidence.parts) > 1:  # a part neither the model's answer nor the quotes answer is said missing
            checked = _with_missing_parts(checked, evidence, passages, self.finder, self.kinds)
        return Answer(question, checked.text, checked.citations, False, model_text, query)

    def _period_quote(self, question: str, plan: _Plan) -> Answer | None:
        """For a faint plan in a period the question names by a date and that was kept although little in it matched
        (`TimedHits.outside`: "What did the council decide in February 2026?", whose one February report scores
        below `min_score` beside January's and March's): the best evidence sentence of the period quoted, when it
        holds what is asked (`quoted_answer`'s checks, and the reader's for a typed question), rather than a
        refusal; the article's own words, never the model's. None otherwise (refused, naming the nearest articles)."""
        if not plan.outside or plan.period is None:
            return None
        quoted = quoted_answer(plan.evidence, plan.passages, self.finder, self.kinds)
        if not quoted.supported or not self._reads_an_answer(plan.query.text, quoted):
            return None
        answer = Answer(question, quoted.text, quoted.citations, False, "", plan.query.search_text)
        return self._likeliest_quote(answer, plan.evidence, plan.passages)

    def _likeliest_quote(self, quoted: Answer, evidence: Evidence, passages: Sequence[Passage]) -> Answer:
        """A quoted answer to a one-part question quoting, instead of the best evidence sentence, the one among the
        best `QUOTE_REACH` in which the reader finds the likeliest answer of the kind asked for
        (`_reader_quote`): a news story's opening sentence holds most of a question's words and ranks first, while
        the detail asked about ("What was the margin of the vote?": "by 31 votes to 24") is further down
        (docs/quality.md). The same answer when there is no such sentence."""
        if not quoted.text.startswith(QUOTED_OPENING):
            return quoted
        requoted = self._reader_quote(quoted.question, evidence, passages)
        if requoted is None:
            return quoted
        return dataclasses.replace(quoted, text=requoted.text, citations=requoted.citations)

    def _reader_quote(self, question: str, evidence: Evidence, passages: Sequence[Passage],
                      at_least: float = 0.0) -> Checked | None:
        """The quote of the sentence among the best `QUOTE_REACH` of a one-part question's evidence in which the
        reader finds the likeliest answer of the kind asked for, at least `at_least` likely, when it is not the best
        sentence (None: no reader, the best sentence is the likeliest, or the other cannot be quoted). A sentence of
        another passage must be `QUOTE_ELSEWHERE` times likelier than the best sentence's reading."""
        reader = self.reader
        if reader is None or len(evidence.parts) != 1 or not evidence.ranked[0]:
            return None
        ranked = evidence.ranked[0]
        chances: list[float] = []
        for sentence in ranked[:QUOTE_REACH]:
            text, span = read_sentence(reader, question, sentence, passages)
            fits = (bool(span.text.strip()) and self.kinds.span_fits(question, text, span.start, span.end)
                    and self.kinds.fits(question, text))
            chances.append(span.probability if fits else -1.0)
        likeliest = quoted_sentence(ranked, chances, passages, at_least)
        if likeliest is None:
            return None
        reordered = (ranked[likeliest], *ranked[:likeliest], *ranked[likeliest + 1:])
        requoted = quoted_answer(dataclasses.replace(evidence, ranked=(reordered,)), passages, self.finder,
                                 self.kinds)
        return requoted if requoted.supported else None

    def _reads_an_answer(self, question: str, quoted: Answer | Checked) -> bool:
        """Whether the span reader finds an answer to `question` at least `quote_refusal` likely in a sentence the
        quoted answer quotes, for a question that asks for a kind of thing (a date, a number, a name: the quote
        holds one, `quoted_answer` saw to it; always true for other questions, without a reader, or with the
        setting at 0). A quote is what is left when none of the model's sentences passed the checks; on the
        calibration articles most such quotes answered unanswerable questions, and the reader tells them apart
        (docs/quality.md)."""
        reader, threshold = self.reader, self.settings.quote_refusal
        if reader is None or threshold <= 0 or not self.kinds.checked(question):
            # An untyped question ("What did the council approve?") is often answered by a phrase the reader, a
            # finder of short SQuAD-style spans, gives a low chance ("its budget for 2027": 0.05): not gated.
            return True
        return any(reader.read(question, citation.passage.title, quote).probability >= threshold
                   for citation in quoted.citations for quote in citation.quotes)

    # -- two-part questions --------------------------------------------------------------------------------------

    def _parts(self, asked: Query, parts: Sequence[str], k: int | None) -> Iterator[_Event]:
        """A question of several parts answered part by part, each as a question of its own (its own retrieval,
        evidence, span or checked model answer), the answers joined (`joined_parts`): a part whose own answer is
        a refusal is said missing (`MISSING_PART`), and no part's answer stands for another's. Refused when every
        part is."""
        answers = yield from self._part_answers([dataclasses.replace(asked, text=part) for part in parts], k)
        yield from self._joined(asked, answers, *joined_parts(parts, answers))

    def _part_answers(self, queries: Sequence[Query], k: int | None, things: Sequence[str] = ()
                      ) -> Generator[_Event, None, list[Answer]]:
        """Each part's own answer (`_own_answer`), its query asked alone, or as a follow-up of the first part when it
        leans on a pronoun; only `Waiting` and `_Generated` events are passed on. The parts of a comparison are the
        rules' questions (`Query.written_by_rules`), those of a two-part question the user's. `things`: what each part
        asks about (a comparison's named things), answered only from passages about it (`_about`)."""
        parts = [query.text for query in queries]
        answers: list[Answer] = []
        for index, query in enumerate(queries):
            # A later part that says "it" or "her" for what the first part names ("When does broadband arrive and
            # how fast will it be?") is asked as a follow-up of the first: about its subject, or refused. Not a
            # who-part: its "his" is often the person asked for ("… and who found that his law was universal?").
            leans = (bool(answers) and not query.written_by_rules and leans_on_pronoun(query.text)
                     and not ASKS_WHO.match(query.text))
            history = [(parts[0], answers[0].text)] if leans else []
            if index and not leans and not query.written_by_rules and not query.context and bare_part(query.text):
                # A later part naming nothing of its own ("…, and what was the margin?") asks it of the first part's
                # subject: searched with the first part beside it, as a follow-up that resolves nothing is.
                query = dataclasses.replace(query, context=parts[0])
            within = _about(things[index], query.text) if index < len(things) else None
            for event in self._one_hop(query, history, k, within=within):
                if isinstance(event, (Waiting, _Generated)):
                    yield event
                elif isinstance(event, Answer):
                    answers.append(self._own_answer(query, event, parts, answers, k))
        return answers

    def _comparison(self, asked: Query, compared: ComparisonPlan, k: int | None) -> Iterator[_Event]:
        """A comparison of two named things answered thing by thing (`ComparisonPlan.parts`, as a two-part
        question's parts are), the answers joined, after a sentence naming the winner when both answers hold a year
        or number to compare ("Arthur's Magazine was started first: 1844 [1], against 1989 [2].": `comparison_text`).
        Refused when both parts are."""
        queries = [dataclasses.replace(asked, text=part, written_by_rules=True) for part in compared.parts]
        # one thing at two times ("in Q1 2025 or in Q2 2025"): each part's own words pin its time down, and the
        # passages need not name a time whole to answer ("second quarter" for Q2)
        things = () if compared.subject else compared.entities
        answers = yield from self._part_answers(queries, k, things)
        # a "same country?" part answered with no country ("Bucharest and Vienna") gives no value to compare either
        answers = [self._lead_value(query, answer, compared, entity, k)
                   if answer.refused or (compared.national and not countries_said(strip_markers(answer.text)))
                   else answer for query, answer, entity in zip(queries, answers, compared.entities, strict=True)]
        # a year after its article's date answers no past-tense comparison ("founded first": not a delivery in 2027)
        answers = [dataclasses.replace(answer, text=CANNOT_ANSWER, citations=(), refused=True)
                   if not answer.refused and answer.citations
                   and later_than_said(compared, strip_markers(answer.text), answer.citations[0].passage.published)
                   else answer for answer in answers]
        text, citations = joined_parts(compared.parts, answers)
        numbers = {citation.passage: citation.number for citation in citations}
        markers = [numbers[answer.citations[0].passage] if answer.citations else 0 for answer in answers]
        if not any(answer.refused for answer in answers):
            # every sentence shown with an answer counts (the reader's span may come from a sentence beside the one
            # that says it: "Fly fishing" beside "Tamsin Water is a reservoir in the Scottish Borders")
            quotes = [" ".join(quote for citation in answer.citations for quote in citation.quotes)
                      for answer in answers]
            text = comparison_text(compared, (answers[0].text, answers[1].text), (markers[0], markers[1]), text,
                                   (quotes[0], quotes[1]))
        yield from self._joined(asked, answers, text, citations)

    def _lead_value(self, part: Query, refused: Answer, compared: ComparisonPlan, entity: str,
                    k: int | None) -> Answer:
        """A measured comparison's refused part answered by quoting the thing's own sentence that holds the value
        compared: an encyclopaedia lead says it in passing, which the finder scores too low to answer ("Hollow Pines
        is an American folk rock quartet from Asheville": 0.03 for "How many members does Hollow Pines have?"). The
        first of the part's best `LEAD_SENTENCES` evidence sentences that gives the value (`_gives_value`) is quoted
        (`quoted_answer`: of the kind asked, about what the part pins down); else the refusal stands. So is a
        "the same nationality / country" part's, when the sentence names a country or a nationality ("Tatiana Vulpe
        (born 1986) is a Moldovan pianist": the finder scores it 0.15 for "What country is Tatiana Vulpe from?");
        the caller asks it too of such a part answered without a country. The answer given stands otherwise."""
        if (compared.same and not compared.national) or compared.predicate is not None or compared.subject:
            return refused  # a value compared by its words, or of one thing at two times: no lead-sentence rule
        plan = self._plan(part, [], k, _about(entity, part.text))
        if not plan.evidence.parts or not plan.evidence.ranked:
            return refused
        for sentence in plan.evidence.ranked[0][:LEAD_SENTENCES]:
            # each of the thing's best sentences in turn: the lead's first may say when, its next how many
            quoted = quoted_answer(dataclasses.replace(plan.evidence, ranked=((sentence,),)), plan.passages,
                                   self.finder, self.kinds)
            if quoted.supported and self._gives_value(part, quoted, compared, entity):
                return dataclasses.replace(refused, text=quoted.text, citations=quoted.citations, refused=False)
        return refused

    def _gives_value(self, part: Query, quoted: Checked, compared: ComparisonPlan, entity: str) -> bool:
        """Whether a quote answers a comparison's part (`_lead_value`): one sentence, of the thing (naming it, or of
        its own article: "The band is a five-piece" in "Tin Meridian"), holding the kind asked; for a nationality or
        a country a sentence naming one, else a year, number or frequency `measure` reads that is an entity of the
        kind asked (not the founding year of "formed in 2001" for a count)."""
        quotes = [citation.quote for citation in quoted.citations]
        if (len(quotes) != 1 or not content_words(entity) <= content_words(f"{quotes[0]} "
                                                                            f"{quoted.citations[0].passage.title}")
                or not _holds(quoted.text, part.text, compared.parts, self.kinds)):
            return False
        if compared.national:
            return bool(countries_said(quotes[0]))
        value = measure(quotes[0], compared.by_year, compared.by_frequency)
        wanted = self.kinds.wanted(part.text)
        (found,) = self.kinds.entities([quotes[0]])
        measured = [measure(entity.text, compared.by_year, compared.by_frequency) for entity in found
                    if entity.kind in wanted]
        return value is not None and (not wanted or value.value in {other.value for other in measured if other})

    def _joined(self, asked: Query, answers: Sequence[Answer], text: str,
                citations: tuple[Citation, ...]) -> Iterator[StreamEvent]:
        """The events of an answer joined from its parts' `answers` (`text`, `citations`); the first part's refusal
        when every part was refused."""
        if all(answer.refused for answer in answers):
            yield dataclasses.replace(answers[0], question=asked.text, search_query=asked.search_text)
            return
        yield Drafting()
        yield TextChunk(text)
        yield Answer(asked.text, text, citations, False, " ".join(answer.model_text for answer in answers),
                     asked.search_text, next((answer.period for answer in answers if answer.period), None))

    def _own_answer(self, part: Query, answer: Answer, parts: Sequence[str], earlier: Sequence[Answer],
                    k: int | None) -> Answer:
        """A part's answer as its own: one that names nothing of the kind the part asks for beyond what answers
        another part (`_holds`: the 14 March of "reopened on 14 March" for "how much"), or repeats an earlier part's
        answer, stands for another part; the part's best evidence sentence is quoted instead when it holds the
        kind asked for, is not quoted already and, for a part the user wrote (not `Query.written_by_rules`), holds an
        answer the reader finds (`_reads_an_answer`), else the part is refused (said missing)."""
        said = {strip_markers(other.text) for other in earlier if not other.refused}
        if answer.refused or (_holds(strip_markers(answer.text), part.text, parts, self.kinds)
                              and strip_markers(answer.text) not in said):
            return answer
        plan = self._plan(part, [], k)
        quoted = quoted_answer(plan.evidence, plan.passages, self.finder, self.kinds)
        if (plan.prompt is None or plan.faint or not quoted.supported or strip_markers(quoted.text) in said
                or not _holds(quoted.text, part.text, parts, self.kinds)
                or (not part.written_by_rules and not self._reads_an_answer(part.text, quoted))):
            return self._refusal(part.text, answer.model_text, part.search_text)
        return dataclasses.replace(answer, text=quoted.text, citations=quoted.citations)

    # -- two-hop questions (rag.answer.hops) ----------------------------------------------------------------------

    def _two_hops(self, asked: Query, hops: HopPlan, k: int | None
                  ) -> Generator[_Event, None, Answer | _Bridge | None]:
        """A two-hop question's answer: the bridge (what the question describes) read by the span reader in the
        evidence of the first hop, then the question with the bridge named, answered as any question is, after the
        bridge's own sentence ("Rollo led the Normans [1]. …"). None, after passing on only `Waiting` events, when
        there is no confident bridge (the question is answered in one hop, as before); the `_Bridge` when the second
        hop is refused or cites only the bridge's passage (the question may need one hop only: `_bridge_only`)."""
        first = self.first_hop(asked, hops, k)
        bridge, bridge_passage, reading = first.bridge, first.passage, first.reading
        if bridge is None or bridge_passage is None or reading is None:
            return None
        sentence = first.sentence
        second: Answer | None = None
        second_hop = dataclasses.replace(asked, text=hops.second(bridge), written_by_rules=True)
        # The second hop is about the bridge: answered only from passages naming it (the question's other names
        # tell a namesake's article from the bridge's own), else not at all (`_bridge_only`).
        linking = specific_terms(asked.text) | content_words(bridge_passage.title)
        for event in self._one_hop(second_hop, [], k, within=lambda retrieved: anchored_passages(
                retrieved, bridge, linking, bridge_passage, content_words(asked.text))):
            if isinstance(event, (Waiting, _Generated)):
                yield event
            elif isinstance(event, Answer):
                second = event
        cited = Citation(1, bridge_passage, " ".join(sentence.split()), reading.sentence_start, reading.sentence_end,
                         round(reading.span.probability, 4), ((reading.sentence_start, reading.sentence_end),))
        if second is None or second.refused:
            return _Bridge(bridge, hops, cited)
        if all(c.passage == bridge_passage for c in second.citations):
            return _Bridge(bridge, hops, cited, second)
        numbers: dict[int, int] = {}
        citations = [cited]
        for citation in second.citations:
            if citation.passage == bridge_passage:
                numbers[citation.number] = 1
            else:
                numbers[citation.number] = len(citations) + 1
                citations.append(dataclasses.replace(citation, number=len(citations) + 1))
        text = f"{bridge_sentence(bridge, hops)} {renumbered(second.text, numbers)}"
        return dataclasses.replace(second, question=asked.text, text=text, citations=tuple(citations))

    def _intersection(self, asked: Query, both: Intersection, k: int | None) -> Answer | None:
        """A question asking for the one thing two clauses are true of (`rag.answer.hops.Intersection`): the names
        of the best `INTERSECTION_SENTENCES` answering each clause alone (`_named_in`: "starring Dale Harnett,
        Corinne Vesey and Russ Abernathy"; "Born in Millbrook Falls, he studied …" names its article's subject),
        and the one name both give, said with a sentence of each quoted and cited. None when no name is given by
        both (the question is then answered as before)."""
        named = [self._named_in(dataclasses.replace(asked, text=clause, written_by_rules=True), k,
                                frozenset({"PERSON"}) if both.person else frozenset()) for clause in both.clauses]
        asked_words = content_words(asked.text)
        # the likeliest pair of sentences, those of two articles first (each clause said where its article says it)
        shared = [((first[0].article_id != second[0].article_id, first[1].score + second[1].score), name, first,
                   second) for name, first in named[0].items() for other, second in named[1].items()
                  if _same_name(name, other) and not content_words(name) <= asked_words]
        if not shared:
            return None
        _, name, *sentences = max(shared, key=lambda found: found[0])
        citations: list[Citation] = []
        for passage, sentence in sentences:
            if any(citation.passage == passage and citation.quote_start == sentence.start for citation in citations):
                continue
            quote = " ".join(passage.text[sentence.start:sentence.end].split())
            citations.append(Citation(len(citations) + 1, passage, quote, sentence.start, sentence.end,
                                      round(sentence.score, 4), ((sentence.start, sentence.end),)))
        markers = ", ".join(f"[{citation.number}]" for citation in citations)
        return Answer(asked.text, f"{name} {markers}.", tuple(citations), False, "", asked.search_text)

    def _named_in(self, clause: Query, k: int | None, kinds: AbstractSet[str] = frozenset()
                  ) -> dict[str, tuple[Passage, Sentence]]:
        """The names the best `INTERSECTION_SENTENCES` answering `clause` give, each with its passage and best
        sentence: the tagger's names (of `kinds`, else of the kind the clause asks for, else any), and the article's
        subject (its title, without a qualifier) for a sentence that names none of it ("Born in Millbrook Falls,
        he …")."""
        plan = self._plan(clause, [], k)
        found: dict[str, tuple[Passage, Sentence]] = {}
        if not plan.evidence.ranked:
            return found
        wanted = kinds or self.kinds.wanted(clause.text) or NAME_KINDS
        for sentence in plan.evidence.ranked[0][:INTERSECTION_SENTENCES]:
            passage = plan.passages[sentence.passage_index]
            text = passage.text[sentence.start:sentence.end]
            (entities,) = self.kinds.entities([text])
            names = [entity.text for entity in entities if entity.kind in wanted]
            subject = without_qualifier(passage.title)
            if content_words(subject) and not content_words(subject) & content_words(text):
                names.append(subject)
            for name in names:
                found.setdefault(name, (passage, sentence))
        return found

    def first_hop(self, asked: str | Query, hops: HopPlan, k: int | None = None) -> FirstHop:
        """The first hop of a two-hop question (`hops.first`, asked as a question of the rules): its passages, the
        span the reader finds in their evidence, widened to a whole name (`_whole_names`, as a span answer is), and
        the first gate that stops it from being the bridge: no relevant passage, no span, a span below
        `SPAN_CHECK_THRESHOLD`, evidence below `refusal_threshold`, a span naming nothing new (`usable_bridge`) or
        no name at all (`names_something`: a description). The
        span must name a thing of the kind the first hop asks (`AnswerKinds.bridge_fits`: a place for "where", no
        bare year for "which film"), else it is not read at all."""
        asked = self.query(asked)
        reader = self.reader
        if reader is None:
            return FirstHop(stopped="no span reader")
        query = dataclasses.replace(asked, text=hops.first, written_by_rules=True)
        found = self.retriever.search_timed(query, k or self.settings.k, relevant=self.settings.min_score)
        passages = tuple(hit.passage for hit in found.hits)
        if not passages or found.hits[0].score < self.settings.min_score:
            return FirstHop(passages, stopped="no passage scores min_score")
        evidence = self.evidence(hops.first, passages)
        # The bridge must be a thing of the kind the first hop asks ("Where was Emmeline Pryce born?" is not
        # answered by the "1984" of "(born 1984)": its second hop would ask about a year), read in a sentence about
        # what the first hop names: "Mirela Voss is a film director." in her own article does not say which film
        # she directed (sentence or title naming it, when any does).
        about = _naming_sentences(hops.first, evidence, passages)

        def fits(sentence: str, span: Span) -> bool:
            return self.kinds.bridge_fits(hops.first, sentence, span.start, span.end)

        reading = read_evidence(reader, hops.first, evidence, passages,
                                fits=lambda sentence, span: (not about or sentence in about) and fits(sentence, span))
        if reading is None and about:  # no sentence naming it gives a span: any may, as before
            reading = read_evidence(reader, hops.first, evidence, passages, fits=fits)
        if reading is None:
            return FirstHop(passages, evidence.answerable, stopped="reader found no span")
        sentence = passages[reading.passage_index].text[reading.sentence_start:reading.sentence_end]
        whole = self._whole_names(reading, passages).span
        read = name_head(span_text(whole))
        stopped = ""
        if reading.span.probability < SPAN_CHECK_THRESHOLD:
            stopped = f"span chance below {SPAN_CHECK_THRESHOLD}"
        elif evidence.answerable < self.settings.refusal_threshold:
            stopped = "evidence below refusal_threshold"
        elif not usable_bridge(read, asked.text):
            stopped = "usable_bridge: no new words"
        elif not names_something(whole.text):
            stopped = "names_something: a description, no name"
        return FirstHop(passages, evidence.answerable, reading, sentence, read, stopped)

    def _bridge_only(self, asked: Query, found: _Bridge, history: History, k: int | None
                     ) -> Generator[_Event, None, Answer]:
        """A two-hop question whose bridge was found but whose second hop the articles do not answer apart from the
        bridge's own passage ("Who heads the club that won the men's eight?": the club, not who heads it). Answered
        in one hop, as before, when that answer is about the bridge (its text or quotes name it) or is a refusal;
        else the bridge is said and the second hop named as missing, rather than answered about something else (the
        winner of another race). So it is too when the one-hop answer only quotes the bridge's own passage: that
        says the bridge and nothing of the second hop."""
        answer: Answer | None = None
        for event in self._one_hop(asked, history, k):
            if isinstance(event, (Waiting, _Generated)):
                yield event
            elif isinstance(event, Answer):
                answer = event
        assert answer is not None  # every stream ends with its answer
        shown = " ".join((answer.text, *(quote for citation in answer.citations for quote in citation.quotes)))
        only_the_bridge = answer.text.startswith(QUOTED_OPENING) and all(
            citation.passage == found.citation.passage for citation in answer.citations)
        if answer.refused or (not only_the_bridge and content_words(found.bridge) <= content_words(shown)):
            return answer
        # "Who was driving the train that came off the rails near Aldersey?": the one-hop answer quotes the bridge's
        # own article saying what the second hop asks of it ("The driver, Owen Brisco, …"): the clause only said
        # which train. The winner of another race says nothing of who heads a club, and stays unsaid.
        asked_of_bridge = neutral_roles(content_words(found.hops.second(found.bridge)) - content_words(found.bridge))
        if (not only_the_bridge and asked_of_bridge and asked_of_bridge <= matched_terms(shown)
                and any(citation.passage.article_id == found.citation.passage.article_id
                        for citation in answer.citations)):
            return answer
        if found.answered is not None and not found.answered.text.startswith(QUOTED_OPENING):
            # The second hop was answered from the bridge's own passage and the one hop says nothing of the bridge:
            # the second hop's short answer after the bridge, both sentences quoted in the one citation.
            spans = {*found.citation.spans, *(span for citation in found.answered.citations for span in citation.spans)}
            cited = dataclasses.replace(found.citation, spans=tuple(sorted(spans)))
            second = renumbered(found.answered.text, {citation.number: 1 for citation in found.answered.citations})
            return dataclasses.replace(found.answered, question=asked.text, citations=(cited,),
                                       text=f"{bridge_sentence(found.bridge, found.hops)} {second}")
        missing = MISSING_PART.format(part=found.hops.second(found.bridge))
        text = f"{bridge_sentence(found.bridge, found.hops)} {missing}"
        return Answer(asked.text, text, (found.citation,), False, answer.model_text, asked.search_text)

    # -- the span reader (rag.answer.reader) ---------------------------------------------------------------------

    def _reading(self, plan: _Plan) -> Reading | None:
        """The span the reader finds in the evidence of a one-part question (None without a reader, or for a
        question about how things stand now: which report is newest decides that, not a span); the span must be of
        the kind the question asks for (`AnswerKinds.span_fits`: "Fourth" does not say how many came), and a number
        comes with what it counts or measures (`measured`: "2.5 million euros", not "2.5 million")."""
        reader = self.reader
        if reader is None or (plan.period is not None and plan.period.latest):
            return None
        question = plan.query.text

        def fits(sentence: str, span: Span) -> bool:
            # the thing asked about is no one of it ("Kestrel Haven Rovers" for "Who is the Rovers manager?")
            return self.kinds.span_fits(question, sentence, span.start, span.end) and not (
                names_said(span.text, plan.others)  # "Who else …?": someone the conversation did not name
            ) and not (
                is_thing_asked(question, span.text)  # unless the tagger finds a person in it ("Henry Ford")
                and not any(start < span.end and span.start < end for start, end in self._people(sentence)))

        reading = None
        if asks_clock_time(question):  # a time of day when one is read ("about 10:40 p.m.", not "on Sunday night")
            reading = read_evidence(reader, question, plan.evidence, plan.passages,
                                    fits=lambda sentence, span: fits(sentence, span) and CLOCK_TIME.search(
                                        sentence, span.start, span.end) is not None)
        reading = reading or read_evidence(reader, question, plan.evidence, plan.passages, fits=fits)
        for rule in self._reading_rules(plan, READING_RULES):
            reading = rule(question, reading, plan.evidence, plan.passages, reader)
        if reading is not None and names_said(reading.span.text, plan.others):
            reading = None
        if reading is None or reading.said:  # a table's cell is said as read (`rag.answer.tables`)
            return reading
        passage = plan.passages[reading.passage_index]
        sentence = passage.text[reading.sentence_start:reading.sentence_end]
        # the size of a change asked by how much ("by 5 percentage points", not the "62 percent" reached), the other
        # value of a change the sentence reports ("236 last year", not "410"), or the number of what is counted
        # ("three" crew, not "184" passengers), or the amount of the thing asked of several a sentence shares out
        # ("£6.1 million for road repairs", not "£2.4 million for the park")
        moved = (change_size(question, sentence, reading.span.start, reading.span.end)
                 or changed_value(question, sentence, reading.span.start, reading.span.end)
                 or counted_value(question, sentence, reading.span.start, reading.span.end)
                 or allotted_amount(question, sentence, reading.span.start, reading.span.end))
        if moved is not None:
            # the later value of a revision ("now stands at 160, … revising its earlier figure of 120"): the sentence
            # itself says which of its two values stands, however unsure the reader was between them
            revised = any(change.revision and change.later == moved for change in changes(sentence))
            reading = dataclasses.replace(respanned(reading, sentence, *moved), ruled=reading.ruled or revised)
        # What a number counts is part of the span from here on: a follow-up's "14" is the previous "14 workers".
        reading = measured(question, reading, sentence)
        # a count lost where one gained is asked ("the loss of 250 jobs" for "How many jobs will it create?") is
        # said as what it is, never given as the answer
        opposite = opposite_count(question, sentence, reading.span.start, reading.span.end)
        if opposite is not None:
            return dataclasses.replace(reading, said=f"The articles report {opposite}", ruled=True)
        if not reading.ruled and self._other_estimate(plan, reading) is not None:
            # two articles' figures of one measure: said side by side by the span answer (`_with_other_estimate`),
            # however unsure the reader was of the first, rather than the model's one figure
            reading = dataclasses.replace(reading, ruled=True)
        return reading

    def _yes_or_no(self, question: str, plan: _Plan) -> Iterator[StreamEvent]:
        """A user's own yes-or-no question (`rag.answer.polar.asks_yes_or_no`: "Is Mayor Marsh selling the park?")
        answered with its best evidence sentence quoted, as "Is it true that …?" was: never with a span (the reader
        took "Developer Castell Homes" from the sentence in which the mayor denied the sale, a confirmation with its
        buyer) nor with the model's words (the bundled model said "Yes." to "Did Reyes admit the charges?" beside
        "He denies all charges"); refused when the best sentence cannot be quoted. Whether the sentence says yes
        or no is the reader's to see: a denial, a "cleared of the third count", quoted whole."""
        # A yes-or-no question wants no kind of thing, whatever a relative clause's "who" makes the question's form
        # say ("Did Beaumont say the rise would hit the people who can least afford it?" is no who-question).
        typed = bool(self.kinds.checked(question))
        quoted = quoted_answer(plan.evidence, plan.passages, self.finder, AnswerKinds() if typed else self.kinds)
        if not quoted.supported:
            yield self._finished(self._refusal(question, "", plan.query.search_text), plan)
            return
        answer = Answer(question, quoted.text, quoted.citations, False, "", plan.query.search_text)
        if not typed:
            # and after it the sentence the reader finds likeliest to answer, when another, as for any quote: "The
            # correct figure is 12 percent." after the report it corrects, for "Is it true that it was 21
            # percent?"; "The jury cleared him of the third count" after "… found guilty on two of three counts"
            answer = _also_quoted(answer, self._likeliest_quote(answer, plan.evidence, plan.passages))
        if quote_misses_question(question, quoted_sentences(answer.text), self.retriever.index.lexical.term_weights):
            # the quote is about something else, and what the question asks about is in no article ("Has Mayor
            # Marsh resigned?" quoted her budget speech): the check any quote answer passes (`stream`)
            yield self._finished(self._refusal(question, "", plan.query.search_text), plan)
            return
        answer = self._finished(answer, plan)
        yield Drafting()  # every answer's stream has the same shape, whoever wrote it
        yield TextChunk(answer.text)
        yield answer

    def _span_instead(self, question: str, model_text: str, plan: _Plan, reading: Reading | None,
                      drafting: bool) -> Iterator[StreamEvent]:
        """The span answer in place of the model's, nothing of which was shown, as the rest of the stream: its text
        as a chunk (a client showing only the chunks reads it), then the answer; `Drafting` first when the model
        wrote nothing."""
        answer = self._span_answer(question, model_text.strip(), plan, reading)
        if not drafting:
            yield Drafting()
        yield TextChunk(answer.text)
        yield answer

    def _span_answer(self, question: str, model_text: str, plan: _Plan, reading: Reading | None) -> Answer:
        """The reader's span as the answer: said first, cited, its sentence quoted as the citation's evidence."""
        assert reading is not None
        if reading.said:  # a table's cell, said with its unit, row and column: no words around it to take in
            checked = span_answer(reading, plan.passages, plan.evidence)
            return self._finished(Answer(question, checked.text, checked.citations, False, model_text,
                                         plan.query.search_text), plan)
        reading = self._whole_names(reading, plan.passages)
        passage = plan.passages[reading.passage_index]
        reading = aged(question, reading, passage.text[reading.sentence_start:reading.sentence_end])
        reading = ranged(plan.query.text, reading, passage.text[reading.sentence_start:reading.sentence_end])
        reading = _revalued(plan.query.text, reading, plan.passages)  # the tagger's "two to one" widens it back
        reading = _acted_on(question, reading, plan.passages)
        if ASKS_WHO.match(question):
            reading = self._person_described(reading, plan.passages)
            reading = self._people_named_together(reading, plan.passages)
        reading = corrected(reading, plan.passages)  # "The correct figure is …" in a retrieved correction
        checked = self._with_other_estimate(plan, reading, span_answer(reading, plan.passages, plan.evidence))
        return self._finished(Answer(question, checked.text, checked.citations, False, model_text,
                                     plan.query.search_text), plan)

    def _with_other_estimate(self, plan: _Plan, reading: Reading, checked: Checked) -> Checked:
        """The span answer of a figure with the different figure another relevant article gives of the same measure
        beside it, each said with its source (`rag.answer.estimates`): one report's estimate alone would read as the
        answer. Relevant: retrieved at `min_score` or more."""
        if len(checked.citations) != 1 or not checked.text.endswith(" [1]."):
            return checked
        other = self._other_estimate(plan, reading)
        if other is None:
            return checked
        text, cited = side_by_side(checked.citations[0], checked.text.removesuffix(" [1]."), other,
                                   [*plan.passages, *self._story_reports(plan, reading)])
        return Checked(text, (*checked.citations, cited), True)

    def _reading_rules(self, plan: _Plan, rules: Sequence[ReadingRule]) -> list[ReadingRule]:
        """`rules`, the section body rule held to the plan's relevant passages (`_relevant`): a heading equal to the
        question's words in a passage barely like it is chance, not the section asked for; and the reason rule told
        whether the question follows another (a follow-up's "Why?" takes its story's reason; a stand-alone one, a
        reason said of its own event)."""
        relevant = self._relevant(plan)
        return [functools.partial(body_reading, relevant=relevant) if rule is body_reading
                else functools.partial(reason_reading, follow_up=bool(plan.previous_answer)) if rule is reason_reading
                else rule
                for rule in rules]

    def _other_estimate(self, plan: _Plan, reading: Reading) -> Estimate | None:
        """The different figure another relevant article gives of the reading's measure, else another outlet's
        report of the same story (`story_estimate`: its index counts on from the plan's passages)."""
        return (other_estimate(plan.query.text, reading, plan.passages, self._relevant(plan))
                or story_estimate(plan.query.text, reading, plan.passages, self._story_reports(plan, reading)))

    @staticmethod
    def _story_reports(plan: _Plan, reading: Reading) -> list[Passage]:
        """The other reports of the reading's story that are not among the plan's passages."""
        passage = plan.passages[reading.passage_index]
        return [other for hit in plan.hits for other in hit.same_story
                if passage in (hit.passage, *hit.same_story) and other != passage and other not in plan.passages]

    def _relevant(self, plan: _Plan) -> set[int]:
        """The indexes of the plan's passages retrieved at `min_score` or more."""
        scored = [hit.passage for hit in plan.hits if hit.score >= self.settings.min_score]
        return {index for index, passage in enumerate(plan.passages) if passage in scored}

    def _whole_names(self, reading: Reading, passages: Sequence[Passage]) -> Reading:
        """The reading with its span widened to the whole of each name the tagger finds it cutting through
        (`widened`)."""
        if not self.kinds.typing:
            return reading
        passage = passages[reading.passage_index]
        (names,) = self.kinds.entities([passage.text[reading.sentence_start:reading.sentence_end]])
        return widened(reading, passage.text[reading.sentence_start:reading.sentence_end],
                       [(name.start, name.end) for name in names])

    def _person_described(self, reading: Reading, passages: Sequence[Passage]) -> Reading:
        """The reading of a who-question moved from a place or group to the person it describes
        (`described_person`: "Ellan" of "Ellan harbour master Inés Núñez")."""
        if not self.kinds.typing:
            return reading
        sentence, people = self._people_in(reading, passages)
        moved = described_person(sentence, reading.span.start, reading.span.end, people)
        return reading if moved is None else respanned(reading, sentence, *moved)

    def _people(self, sentence: str) -> list[tuple[int, int]]:
        """Where the tagger finds people in a sentence (nowhere without a tagger)."""
        (found,) = self.kinds.entities([sentence]) if self.kinds.typing else ((),)
        return [(entity.start, entity.end) for entity in found if entity.kind == "PERSON"]

    def _with_members_named(self, question: str, answer: Answer) -> Answer:
        """A quote saying only how many of a group there were ("… but lost two players to injury" for "Which two
        players were injured?": `members_asked`) taken on to the sentences after it that name that many people
        ("Top scorer Callum Reid ruptured a knee ligament … Defender Sam Okoro twisted an ankle …"), each naming
        one or more; the same answer when they do not."""
        if not answer.text.startswith(QUOTED_OPENING) or len(answer.citations) != 1:
            return answer
        citation = answer.citations[0]
        count = members_asked(question, citation.quote)
        if not count or self._people(citation.quote):
            return answer
        text = citation.passage.text
        named, last = 0, citation.quote_end
        for span in split_sentences(text[citation.quote_end:])[:count]:
            people = self._people(text[citation.quote_end + span.start:citation.quote_end + span.end])
            if not people:
                break
            named, last = named + len(people), citation.quote_end + span.end
            if named >= count:
                break
        if named < count:
            return answer
        quote = " ".join(text[citation.quote_start:last].split())
        spans = tuple((start, last) if (start, end) == (citation.quote_start, citation.quote_end) else (start, end)
                      for start, end in citation.spans if not (citation.quote_end <= start < last))
        cited = dataclasses.replace(citation, quote=quote, quote_end=last, spans=spans)
        return dataclasses.replace(answer, text=f'{QUOTED_OPENING}"{quote}" [{citation.number}]', citations=(cited,))

    def _people_in(self, reading: Reading, passages: Sequence[Passage]) -> tuple[str, list[tuple[int, int]]]:
        """The sentence a reading was read in, and where the tagger finds people in it."""
        passage = passages[reading.passage_index]
        sentence = passage.text[reading.sentence_start:reading.sentence_end]
        return sentence, self._people(sentence)

    def _people_named_together(self, reading: Reading, passages: Sequence[Passage]) -> Reading:
        """The reading of a who-question with its span standing for every person its sentence names together with
        the one it found (`named_together`: "Tomas Ruud and Ingrid Salo" for "Who voted against?"), said as one
        list; a follow-up may then ask about "the second one" (`rag.answer.conversation.by_ordinal`)."""
        if not self.kinds.typing:
            return reading
        sentence, people = self._people_in(reading, passages)
        together = named_together(sentence, reading.span.start, reading.span.end, people)
        if not together:
            return reading
        text = listed([sentence[start:end] for start, end in together])
        span = dataclasses.replace(reading.span, text=text, start=together[0][0], end=together[-1][1])
        return dataclasses.replace(reading, span=span)

    def standalone_question(self, asked: Query | str, history: History) -> Query:
        """The question rewritten to stand alone when it leans on the conversation (see rag.answer.conversation):
        the likeliest of `standalone_questions`."""
        return self.standalone_questions(asked, history)[0]

    def standalone_questions(self, asked: Query | str, history: History) -> list[Query]:
        """The ways the question can be read to stand alone, likeliest first: itself when it does not lean on the
        conversation (decided here, once per question), a chat model's rewrite when it keeps what was asked, else
        the rules' readings (`rag.answer.conversation.follow_up_readings`)."""
        return self._readings(Query(asked) if isinstance(asked, str) else asked, history)[0]

    def _readings(self, asked: Query, history: History) -> tuple[list[Query], Usage]:
        """`standalone_questions`, and the tokens the chat model's rewrite took (zeros when it was not asked)."""
        question = asked.text
        usage = Usage()
        if not is_follow_up(question, history):
            return [asked], usage
        llm = self._llm
        if llm is not None and llm.chat:
            messages = [{"role": "system", "content": REWRITE_SYSTEM}]
            for earlier_question, earlier_answer in list(history)[-2:]:
                messages += [{"role": "user", "content": earlier_question},
                             {"role": "assistant", "content": strip_markers(earlier_answer)}]
            messages.append({"role": "user", "content": question})
            written = "".join(llm.stream(Prompt(tuple(messages), "", ()), 64, 0.0))
            usage = Usage(llm.count_tokens("\n".join(message["content"] for message in messages)),
                          llm.count_tokens(written) if written else 0)
            rewritten = written.strip()
            if accept_rewrite(question, rewritten):
                return [dataclasses.replace(asked, text=rewritten)], usage
        quoted = self._quoted_name(history)
        readings = follow_up_readings(question, history, quoted)
        if quoted:
            # The previous answer's name is known: a reading that leaves the pronoun to the previous question's words
            # finds that question's sentences again (the quoted one scored best for it), not what is asked of the name.
            readings = [reading for reading in readings if not reading.context] or readings
        return [dataclasses.replace(asked, text=reading.text, context=reading.context) for reading in readings], usage

    def _quoted_name(self, history: History) -> str:
        """The name the previous answer gave when it was quoted evidence ("Which company won the contract?" 'The
        articles say: "Calder Systems, based in Hestra, won the contract."'): a following "it" stands for it ("Where
        is it based?"). The reader's likeliest span of the quotes for the previous question, whatever its chance,
        when it is a name (`quoted_name`); when that question wants a kind of name (ORG for "which company") the
        span must be a tagged name of that kind, else the one such name the quotes give that the question does not
        ("Hestra" is no company). "" without a reader or a quoted previous answer."""
        previous_question, previous_answer = history[-1]
        quotes = quoted_sentences(previous_answer)
        reader = self.reader if quotes else None
        if reader is None:
            return ""
        spans = [reader.read(previous_question, "", quote) for quote in quotes]
        wanted = self.kinds.wanted(previous_question) if self.kinds.typing else frozenset()
        if not wanted:
            return quoted_name(previous_question, max(spans, key=lambda span: span.probability).text)
        asked = previous_question.lower()
        names = [(span, [entity for entity in found if entity.kind in wanted and entity.text.lower() not in asked])
                 for span, found in zip(spans, self.kinds.entities(quotes), strict=True)]
        read = [entity.text for span, found in sorted(names, key=lambda pair: -pair[0].probability) for entity in found
                if span.text and entity.start < span.end and span.start < entity.end]
        if read:
            return quoted_name(previous_question, read[0])
        given = {entity.text for _, found in names for entity in found}
        return quoted_name(previous_question, given.pop()) if len(given) == 1 else ""

    def stats(self) -> dict[str, Any]:
        """What the index being served holds: its live generation (switched to first, as a question does, so that
        /api/health and the chat's header do not report the generation loaded before the last run)."""
        self.retriever.refresh()  # a database index is never "stale": it reads its live state when asked
        index = self.retriever.index
        llm_name = self._llm.name if self._llm is not None else self.settings.llm
        stats = index.stats()
        return {**stats, "index": index.name, "llm": llm_name, "k": self.settings.k}

    # -- helpers ---------------------------------------------------------------------------------------------

    def _validated(self, question: str) -> str:
        if not isinstance(question, str):
            raise InvalidRequestError(f"the question must be text, got {type(question).__name__}")
        # A lone surrogate (half a character) cannot be encoded: the tokenizers refused it with a TypeError.
        question = " ".join(question.encode("utf-8", "replace").decode("utf-8").split())
        if not question:
            raise InvalidRequestError("the question is empty: type a question about the indexed articles")
        if len(question) > self.settings.max_question_chars:
            raise InvalidRequestError(
                f"the question is {len(question)} characters long; the limit is {self.settings.max_question_chars}"
            )
        return question

    @staticmethod
    def _refusal(question: str, model_text: str, query: str) -> Answer:
        return Answer(question, CANNOT_ANSWER, (), True, model_text, query)


WEAK_FOLLOW_UP = 0.2
"""Evidence chance below which a follow-up's resolved readings are searched again with the previous question beside
them (`Assistant._plan`): one more retrieval per reading, only for follow-ups their own words serve badly."""


def _naming_sentences(question: str, evidence: Evidence, passages: Sequence[Passage]) -> set[str]:
    """The evidence sentences that name one of the question's specific terms (`specific_terms`: its names and
    numbers), in their own words or their passage's title; empty when the question names nothing or no sentence
    does (then any sentence may answer)."""
    named = specific_terms(question)
    if not named or not evidence.ranked:
        return set()
    found = set()
    for sentence in evidence.ranked[0]:
        passage = passages[sentence.passage_index]
        text = passage.text[sentence.start:sentence.end]
        if named & (content_words(text) | content_words(passage.title)):
            found.add(text)
    return found


def conversation_subject(history: History) -> tuple[str, str]:
    """The turn a conversation is last known to be about: the latest earlier turn answered whose question names
    something (`specific_terms`), its pronouns resolved by the rules where they could be (`resolved_history`); the
    latest answered turn when none does. What a question that names nothing itself is searched with (`Assistant._plan`).

    >>> conversation_subject([("Who is the chief executive of Tarn Valley Water?", "Priya Castell [1]."),
    ...                       ("When did she start?", "On 2 March 2026 [1].")])
    ('When did Priya Castell start?', 'On 2 March 2026 [1].')
    >>> conversation_subject([("When did the River Tarrow flood?", "3 November [1]."),
    ...                       ("How many homes were flooded?", "120 homes [1].")])[0]
    'When did the River Tarrow flood?'
    >>> conversation_subject([("When did the River Tarrow flood?", "3 November [1]."),  # a refused turn adds nothing
    ...                       ("Who painted the Kestrel lighthouse?", CANNOT_ANSWER)])[0]
    'When did the River Tarrow flood?'
    """
    turns = resolved_history(history)
    answered = [turn for turn in turns if not turn[1].strip().startswith(CANNOT_ANSWER)] or turns
    return next((turn for turn in reversed(answered) if specific_terms(turn[0])), answered[-1])


def _also_quoted(quoted: Answer, other: Answer) -> Answer:
    """A one-sentence quoted answer with the one sentence `other` quotes after it, when that is another sentence:
    cited by the same number when of the same passage (both sentences its quotes), by the next otherwise."""
    if other.text == quoted.text or len(quoted.citations) != 1 or len(other.citations) != 1:
        return quoted
    first, second = quoted.citations[0], other.citations[0]
    if second.passage == first.passage:
        spans = tuple(sorted({*first.spans, (first.quote_start, first.quote_end),
                              (second.quote_start, second.quote_end)}))
        citations: tuple[Citation, ...] = (dataclasses.replace(first, spans=spans),)
        number = 1
    else:
        citations, number = (first, dataclasses.replace(second, number=2)), 2
    return dataclasses.replace(quoted, text=f'{quoted.text} "{second.quote}" [{number}]', citations=citations)


def _plan_strength(plan: _Plan) -> tuple[bool, float]:
    """How a plan ranks among a question's readings: one that answers before one that refuses, then by its evidence's
    chance."""
    return plan.prompt is not None, plan.evidence.answerable


def _article_texts(plan: _Plan) -> list[str]:
    """The title and retrieved passages of the article a plan's best evidence comes from."""
    best = plan.evidence.best
    if not best:
        return []
    article = plan.passages[best[0].passage_index]
    return [article.title, *(passage.text for passage in plan.passages if passage.article_id == article.article_id)]


def answer_from(events: Iterable[StreamEvent]) -> Answer:
    """The final `Answer` of a stream (`Assistant.stream`), reading the events before it.

    >>> answer_from([Drafting(), TextChunk("The ferry [1]."), Answer("When?", "The ferry [1].")]).text
    'The ferry [1].'
    """
    for event in events:
        if isinstance(event, Answer):
            return event
    raise RuntimeError("the assistant's stream ended without an answer")


def joined_parts(parts: Sequence[str], answers: Sequence[Answer]) -> tuple[str, tuple[Citation, ...]]:
    """The answers of a question's parts as one: each answered part's text in turn, its markers renumbered so
    that a passage keeps one number (its first citation, with the sentences every part quotes of it), and each
    refused part said missing (`MISSING_PART`) after them.

    >>> passage = Passage("a", "Bridge", "a.txt", "", "It reopened on 14 March. It cost 2 million euros.", 0, 49)
    >>> parts = ["When did it reopen?", "How much did it cost?", "Who paid?"]
    >>> answers = [Answer(parts[0], "On 14 March [1].", (Citation(1, passage, spans=((0, 24),)),)),
    ...            Answer(parts[1], "2 million euros [1].", (Citation(1, passage, spans=((25, 49),)),)),
    ...            Answer(parts[2], CANNOT_ANSWER, (), True)]
    >>> text, citations = joined_parts(parts, answers)
    >>> text
    'On 14 March [1]. 2 million euros [1]. The articles do not answer: "Who paid?"'
    >>> [(citation.number, citation.spans) for citation in citations]
    [(1, ((0, 24), (25, 49)))]
    >>> quoted = [Answer(parts[0], 'The articles say: "It reopened on 14 March." [1]', answers[0].citations),
    ...           Answer(parts[1], '2 million euros [1].', answers[1].citations)]
    >>> joined_parts(parts[:2], quoted)[0]
    '2 million euros [1]. The articles say: "It reopened on 14 March." [1]'
    """
    texts: list[str] = []
    citations: list[Citation] = []
    for answer in answers:
        if answer.refused:
            continue
        numbers: dict[int, int] = {}
        for citation in answer.citations:
            known = next((index for index, other in enumerate(citations) if other.passage == citation.passage), None)
            if known is None:
                citations.append(dataclasses.replace(citation, number=len(citations) + 1))
                numbers[citation.number] = len(citations)
            else:
                spans = tuple(sorted({*citations[known].spans, *citation.spans}))
                citations[known] = dataclasses.replace(citations[known], spans=spans)
                numbers[citation.number] = known + 1
        texts.append(renumbered(answer.text, numbers))
    # Quoted evidence is said once, after what was written: 'The articles say: "…" [1] "…" [2]'.
    written = [text for text in texts if not text.startswith(QUOTED_OPENING)]
    quoted = [text[len(QUOTED_OPENING):] for text in texts if text.startswith(QUOTED_OPENING)]
    shown = [*written, QUOTED_OPENING + " ".join(quoted)] if quoted else written
    missing = [MISSING_PART.format(part=part) for part, answer in zip(parts, answers, strict=True) if answer.refused]
    return " ".join((*shown, *missing)), tuple(citations)


def _as_of(period: Period | None, cited: Sequence[Passage]) -> str:
    """The date an answer about how things stand (`Period.ongoing`: "latest", "this week") is said as of: the
    newest article its first sentence cites. The articles' date, not the reference date: that is when they knew."""
    if period is None or not period.ongoing:
        return ""
    return max((passage.published[:10] for passage in cited if passage.published), default="")


def _opening(sentence: str, period: Period | None, check: AnswerCheck, opened: dict[str, str]) -> str:
    """The first sentence of an answer as it is streamed: said as of the date of what it cites, when the question
    asks how things stand (`with_as_of`), once: kept in `opened` for the final answer, which opens with it.

    >>> opened: dict[str, str] = {}
    >>> bridge = Passage("a", "Footbridge", "a.txt", "", "The bridge is open to walkers.", 0, 30,
    ...                  published="2026-03-14")
    >>> check = AnswerCheck([bridge], "What is the state of the bridge?")
    >>> check.feed("It is open to walkers [1].", final=True)
    ['It is open to walkers [1].']
    >>> _opening("It is open to walkers [1].", Period("latest", latest=True), check, opened)
    'As of 14 March 2026, it is open to walkers [1].'
    >>> list(opened)
    ['It is open to walkers [1].']
    """
    opened[sentence] = with_as_of(sentence, _as_of(period, _first_cited(check)))
    return opened[sentence]


def _quotes(answer: Answer) -> list[str]:
    """The sentences an answer quotes, of all its citations."""
    return [quote for citation in answer.citations for quote in citation.quotes]


def _first_cited(checked: AnswerCheck | Answer) -> list[Passage]:
    """The passages the first sentence of an answer cites: as it is being checked, or in the final answer (its
    citations are numbered in order of use, so the first sentence's are the lowest; a quoted answer: all)."""
    if isinstance(checked, AnswerCheck):
        return [checked.passages[index] for index in checked.kept[0][1]] if checked.kept else []
    spans = split_sentences(checked.text)
    first = checked.text[spans[0].start:spans[0].end] if spans else ""
    numbers = {number for marker in parse_markers(first) for number in marker.numbers}
    return [citation.passage for citation in checked.citations
            if citation.number in numbers or not numbers]


ReadingRule = Callable[[str, "Reading | None", Evidence, Sequence[Passage], SpanFinder], "Reading | None"]
"""A reading rule (`READING_RULES`): the question, the reading so far, the evidence, the passages, the reader."""

READING_RULES = (section_reading, head_reading, predecessor_reading, role_reading, then_reading, agent_reading,
                 opinion_reading, age_reading, description_reading, stayer_reading, moved_date_reading,
                 paired_reading, table_reading, verdict_reading, tally_reading, ending_reading, reason_reading,
                 ranked_reading, list_reading, total_reading, body_reading, either_or_reading, denied_claim_reading,
                 denial_reading)
"""The rules that move the reader's span where the article's own wording says the answer stands, in order (each
keeps the reading it is given when the question is not of its form): which section of a report holds what is asked
(`rag.answer.sections`), who runs a thing,
who ran it before a named person, who holds a role of it, who held a post back then (`rag.answer.leaders`), who
does what a who-question asks, named after "<participle> by" (`rag.answer.reader.agent_reading`), who voiced
the view an opinion piece voices in its own words, its byline's author (`rag.answer.bylines.opinion_reading`),
how old someone is (`rag.answer.ages`), who a named person is (`rag.answer.descriptions`), who holds a post now when the
span names who left it (`rag.answer.leaders.stayer_reading`), when a plan is now that a newer report moved it
to (`rag.answer.moved.moved_date_reading`), which of two parallel clauses the question asks
about ("… won the men's race, and … won the women's race": `rag.answer.clauses.paired_reading`), which cell
of a table of figures (`rag.answer.tables.table_reading`), how a vote split ("seven votes to four":
`rag.answer.reader.tally_reading`), what a court's verdict was ("guilty of fraud", not
the jury's "10 to 2": `rag.answer.reader.verdict_reading`), how or when a thing ended, in a sentence saying
that it did (`rag.answer.reader.ending_reading`), why, in a sentence of the reading's article giving a reason
(`rag.answer.reader.reason_reading`), which item of a list of shares a superlative picks
(`rag.answer.lists.ranked_reading`), which items of a list (`rag.answer.lists.list_reading`), the total of amounts
a sentence lists, or the total an article states (`rag.answer.totals.total_reading`), and what a section a question
names by its heading says (`rag.answer.sections.body_reading`), and which of the two figures an
either-or question offers a sentence gives (`rag.answer.polar.either_or_reading`); last, what a denial denies, for
"What did X deny?", and a denial quoted, never a span of it, for a question about the claim it denies ("Who is
buying the park?" over "The mayor denied reports that she plans to sell the park to …": `rag.answer.denials`)."""

STRUCTURE_RULES = (section_reading, table_reading, ranked_reading, body_reading, either_or_reading)
"""The reading rules that answer from a report's structure (its headings, tables and lists of shares) though the
evidence seems weak: the answer finder, trained on sentences of prose, scores a table's rows, a heading and a
section's body that does not repeat the heading's words below the refusal threshold. Each fires only on its own
form of question and a structure the question names: a table's row and column; a report's section asked which of
("Which section…", "Where in the report…"); a heading all of whose words are the question's, its other words naming
only the report (its title too when it names the report), in a passage retrieved at `min_score` or more
(`Assistant._reading_rules`); a list's lead naming the noun a superlative ranks; and an either-or question between
two figures, which the finder scores low ("£340,000 or £338,500?") though a sentence gives one of them word for
word."""

LATEST_EVIDENCE_SHARE = 0.25
"""For "latest", a sentence of a newer report scoring at least this share of the best sentence goes before it. The
answer finder was trained on questions with one answer, not on "is it open now?": on the multi-outlet set it gives
"The footbridge was closed on Monday…" (January) 0.28 and "Pedestrians can use the Maplewood footbridge again."
(March) 0.11 for "Is the Maplewood footbridge open now?", though retrieval finds both reports equally relevant."""


def checked_history(history: Any) -> list[tuple[str, str]]:
    """The conversation so far as (question, answer) pairs of text, or InvalidRequestError naming the turn that is
    not one (a list of OpenAI messages was read as pairs of their keys).

    >>> checked_history([("When?", "In May [1].")])
    [('When?', 'In May [1].')]
    >>> checked_history([{"role": "user", "content": "When?"}])
    Traceback (most recent call last):
    rag.errors.InvalidRequestError: history[0] must be a (question, answer) pair of text, got dict
    """
    turns = []
    for number, turn in enumerate(history or ()):
        if (not isinstance(turn, (tuple, list)) or len(turn) != 2
                or not all(isinstance(part, str) for part in turn)):
            raise InvalidRequestError(f"history[{number}] must be a (question, answer) pair of text, "
                                      f"got {type(turn).__name__}")
        turns.append((turn[0], turn[1]))
    return turns


def checked_k(k: Any) -> int | None:
    """`k` when it is a whole number from 1 to `MAX_K` (None: the setting's), else InvalidRequestError.

    >>> checked_k(3), checked_k(None)
    (3, None)
    >>> checked_k(0)
    Traceback (most recent call last):
    rag.errors.InvalidRequestError: k must be a whole number from 1 to 50, got 0
    """
    if k is None:
        return None
    if isinstance(k, bool) or not isinstance(k, int) or not 1 <= k <= MAX_K:
        raise InvalidRequestError(f"k must be a whole number from 1 to {MAX_K}, got {k!r}")
    return k


def checked_filters(filters: Any) -> Filters:
    """`filters` read again as `Filters.parse` reads what a user typed: a `Filters` built by hand with a date that
    is none ("soon") matched nothing, silently.

    >>> checked_filters(Filters(since="2026-03"))
    Filters(sources=(), since='2026-03-01', until='')
    """
    if not isinstance(filters, Filters):
        raise InvalidRequestError(f"filters must be a rag.records.Filters, got {type(filters).__name__}")
    return Filters.parse(filters.sources, filters.since, filters.until) or Filters()


def read_passages(hits: Sequence[Hit]) -> list[Passage]:
    """The passages an answer reads when the stories' first reports do not answer: each story's first, then up to
    `OTHER_REPORTS_READ` of each story's other reports, best story first. A fact only the second outlet gave ("the
    main contractor, Brannock Rail") was never read: retrieval groups the reports of one event under one hit.

    >>> def report(name):
    ...     return Passage(name, "T", "s", "", "x", 0, 1)
    >>> hits = [Hit(report("a"), 0.9, (report("a2"), report("a3"), report("a4"))), Hit(report("b"), 0.5)]
    >>> [passage.article_id for passage in read_passages(hits)]
    ['a', 'b', 'a2', 'a3']
    """
    others = [other for hit in hits for other in hit.same_story[:OTHER_REPORTS_READ]]
    return [*(hit.passage for hit in hits), *others]


OTHER_REPORTS_READ = 2
"""Other outlets' reports of a story read beside its first (each one more passage the answer finder scores)."""


def _revalued(question: str, reading: Reading, passages: Sequence[Passage]) -> Reading:
    """The reading with its span moved to the value of a reported change the question asks for
    (`rag.answer.changes.changed_value`: "one" of "revised the toll from two to one")."""
    sentence = passages[reading.passage_index].text[reading.sentence_start:reading.sentence_end]
    moved = changed_value(question, sentence, reading.span.start, reading.span.end)
    return reading if moved is None else respanned(reading, sentence, *moved)


def _acted_on(question: str, reading: Reading, passages: Sequence[Passage]) -> Reading:
    """The reading with its span moved to the name a passive question asks for when the reader found the one who
    did it (`rag.answer.reader.acted_on`: "Which company was fined?")."""
    sentence = passages[reading.passage_index].text[reading.sentence_start:reading.sentence_end]
    moved = acted_on(question, sentence, reading.span.start, reading.span.end)
    if moved is None:
        return reading
    return respanned(reading, sentence, *moved)


def _newest_evidence(evidence: Evidence, passages: Sequence[Passage],
                     share: float = LATEST_EVIDENCE_SHARE, dated_only: bool = False) -> Evidence:
    """For "latest": each part's sentences scoring at least `share` of its best, newest passage first (the model
    is shown, and answers from, how things stand now rather than the best-worded old report). With `dated_only`
    (who holds a role now), the order is left as found unless every such sentence's report is dated.

    >>> from rag.answer.evidence import Sentence
    >>> old, new = (Passage(name, "T", "s", "", "x", 0, 1, published=date)
    ...             for name, date in (("old", "2026-01-12"), ("new", "2026-03-15")))
    >>> ranked = ((Sentence(0, 0, 1, 0.9), Sentence(1, 0, 1, 0.6)),)
    >>> [s.passage_index for s in _newest_evidence(Evidence(("q",), ranked, 0.9), [old, new]).ranked[0]]
    [1, 0]
    """
    reordered = []
    for sentences in evidence.ranked:
        floor = share * max((sentence.score for sentence in sentences), default=0.0)
        close = sorted((sentence for sentence in sentences if sentence.score >= floor),
                       key=lambda sentence: passages[sentence.passage_index].published[:10], reverse=True)
        if dated_only and not all(passages[sentence.passage_index].published for sentence in close):
            return evidence  # an undated report cannot be placed before or after the others
        reordered.append((*close, *(sentence for sentence in sentences if sentence.score < floor)))
    return dataclasses.replace(evidence, ranked=tuple(reordered))


def _newest_only(evidence: Evidence, passages: Sequence[Passage]) -> Evidence:
    """The evidence of a one-part question about the latest (`_newest_evidence` put the newest report's sentences
    first) cut to the sentences of reports published the day its first sentence's was; as found otherwise.

    >>> from rag.answer.evidence import Sentence
    >>> old, new = (Passage(name, "T", "s", "", "x", 0, 1, published=date)
    ...             for name, date in (("old", "2026-03-02"), ("new", "2026-03-18")))
    >>> ranked = ((Sentence(1, 0, 1, 0.3), Sentence(0, 0, 1, 0.9), Sentence(1, 2, 3, 0.1)),)
    >>> [(s.passage_index, s.start) for s in _newest_only(Evidence(("q",), ranked, 0.9), [old, new]).ranked[0]]
    [(1, 0), (1, 2)]
    """
    if len(evidence.ranked) != 1 or not evidence.ranked[0]:
        return evidence
    sentences = evidence.ranked[0]
    newest = passages[sentences[0].passage_index].published[:10]
    if not newest:
        return evidence
    kept = tuple(sentence for sentence in sentences if passages[sentence.passage_index].published[:10] == newest)
    return dataclasses.replace(evidence, ranked=(kept,))


INTERSECTION_SENTENCES = 4
"""The best sentences answering each clause of an intersection whose names are compared (`Assistant._intersection`):
the sentence saying a birthplace is not always the finder's first."""

NAME_KINDS = frozenset({"PERSON", "ORG", "GPE", "LOC", "FAC", "NORP", "WORK_OF_ART", "EVENT", "PRODUCT"})
"""The tagger's kinds of names: what an intersection's clause gives when it does not say what kind it asks for
("Which American actor …": no kind the tagger types)."""


def _same_name(first: str, second: str) -> bool:
    """Whether two names are one: the words of one all in the other ("Russ Abernathy" in 'Russell Tate "Russ"
    Abernathy').

    >>> _same_name("Russ Abernathy", 'Russell "Russ" Abernathy'), _same_name("Russ Abernathy", "Dale Harnett")
    (True, False)
    """
    first_words, second_words = content_words(first), content_words(second)
    return bool(first_words) and bool(second_words) and (first_words <= second_words or second_words <= first_words)


QUOTE_REACH = 5
"""Evidence sentences, best first, among which a quoted answer quotes the one the reader finds likeliest to answer
(`Assistant._likeliest_quote`)."""

QUOTE_ELSEWHERE = 2.0
"""How many times likelier than the best sentence's the reader's answer must be in a sentence of another passage for
the quote to move there (`Assistant._likeliest_quote`; within the best sentence's passage, any likelier one will do:
the second-best sentence of another passage of the same article, moved to whenever likelier, gained one calibration
answer and lost two news dev answers: docs/quality.md, "The runner-up of the same article quoted")."""


def quoted_sentence(ranked: Sequence[Sentence], chances: Sequence[float], passages: Sequence[Passage],
                    at_least: float = 0.0) -> int | None:
    """The index in `ranked` of the sentence a quote moves to (`Assistant._reader_quote`), given the reader's
    `chances` (one per sentence, -1 where no answer of the kind fits): the likeliest, at least `at_least` likely, when
    it is not the best sentence; another passage's only when `QUOTE_ELSEWHERE` times likelier than the best. None: no
    move.

    >>> passages = [Passage("a", "A", "a.txt", "", "x", 0, 1), Passage("a", "A", "a.txt", "", "y", 2, 3),
    ...             Passage("b", "B", "b.txt", "", "z", 0, 1), Passage("c", "C", "c.txt", "", "w", 0, 1)]
    >>> ranked = (Sentence(0, 0, 1, 0.4), Sentence(1, 0, 1, 0.3), Sentence(3, 0, 1, 0.2), Sentence(2, 0, 1, 0.1))
    >>> quoted_sentence(ranked, (0.30, 0.31, 0.05, 0.55), passages), quoted_sentence(ranked, (0.3, 0.31, 0.05, 0.55),
    ...                                                                               passages, at_least=0.5)
    (None, None)
    >>> quoted_sentence(ranked, (0.30, 0.61, 0.05, 0.55), passages)  # twice as likely as the best sentence
    1
    """
    likeliest = max(range(len(chances)), key=lambda index: (chances[index], -index))
    if likeliest == 0 or chances[likeliest] < max(at_least, 0.0):
        return None
    if (ranked[likeliest].passage_index != ranked[0].passage_index
            and chances[likeliest] < QUOTE_ELSEWHERE * chances[0]):
        # Another passage's sentence a little likelier is as often a neighbouring story's detail as the answer
        # (calibration and news dev articles: every loss was such a move, every same-passage move a gain).
        return None
    return likeliest


LEAD_SENTENCES = 3
"""A comparison part's evidence sentences searched for the value compared (`Assistant._lead_value`): a lead says
what a thing is first ("formed in 2003"), its size or count a sentence or two later ("The band is a five-piece")."""


def _about(thing: str, question: str) -> Within:
    """What a question about a named `thing` may answer from (`rag.answer.links.about`): passages naming it whole,
    of its own article rather than a namesake's."""
    return lambda retrieved: about(retrieved, thing, question)


def _misses_what_is_asked(asked: str, evidence: Evidence, passages: Sequence[Passage]) -> bool:
    """Whether the articles the evidence comes from never mention a number the question asks about, or most of its
    names ("How much did the festival cost in 2025?" over an article about 2026): they answer another question.
    Unless another retrieved article links them to those names (`rag.answer.links`: a two-hop question's answer)."""
    articles = {passages[sentence.passage_index].article_id for sentence in evidence.best}
    own = [passage for passage in passages if passage.article_id in articles]
    return bool(articles) and off_topic(asked, linked_passages(asked, own, passages))


def _on_topic_passages(asked: str, passages: Sequence[Passage]) -> set[Passage]:
    """The passages of the retrieved articles that do not miss what the question pins down (`off_topic`, each
    article read as a whole, with what links it to the others)."""
    articles = {passage.article_id for passage in passages}
    on_topic = {article for article in articles if not off_topic(asked, linked_passages(
        asked, [passage for passage in passages if passage.article_id == article], passages))}
    return {passage for passage in passages if passage.article_id in on_topic}


def _chosen(evidence: Evidence) -> list[tuple[int, int, int]]:
    """The sentences the model is shown, as (passage index, start, end): each part's best, then the next best of
    any part, up to `EVIDENCE_SENTENCES`."""
    chosen = [(sentence.passage_index, sentence.start, sentence.end) for sentence in evidence.best]
    ranked = sorted((sentence for sentences in evidence.ranked for sentence in sentences[1:]),
                    key=lambda sentence: -sentence.score)
    for sentence in ranked:
        if len(chosen) >= EVIDENCE_SENTENCES:
            break
        key = (sentence.passage_index, sentence.start, sentence.end)
        if key not in chosen:
            chosen.append(key)
    return list(dict.fromkeys(chosen))


def _with_missing_parts(checked: Checked, evidence: Evidence, passages: Sequence[Passage],
                        scorer: SentenceScorer, kinds: AnswerKinds) -> Checked:
    """A two-part question's answer with each part the model's answer leaves out (`_leaves_out`) answered by its
    evidence, quoted after it when that sentence holds the kind of thing the part asks for, or else said to be
    missing (`MISSING_PART`): never silently dropped, nor "completed" with a sentence that does not answer it.

    >>> from rag.answer.evidence import WordOverlap, find_evidence
    >>> from rag.models.entities import PhraseTagger
    >>> text = "The footbridge reopened on 14 March. Crowds came to see it."
    >>> passages = [Passage("a", "Bridge", "a.txt", "", text, 0, len(text))]
    >>> parts = ["When did the footbridge reopen?", "How much did the repairs cost?"]
    >>> evidence = find_evidence(parts, passages, WordOverlap())
    >>> kinds = AnswerKinds(PhraseTagger({"14 March": "DATE"}))
    >>> _with_missing_parts(Checked("It reopened on 14 March [1].", (), True), evidence, passages, WordOverlap(),
    ...                     kinds).text
    'It reopened on 14 March [1]. The articles do not answer: "How much did the repairs cost?"'
    """
    missing = [(part, ranked) for part, ranked in zip(evidence.parts, evidence.ranked, strict=True)
               if _leaves_out(checked.text, part, ranked, passages, kinds, evidence.parts)]
    if not missing:
        return checked
    # Every part here passed the refusal threshold (the plan set apart those that did not): its best sentence is
    # quoted, if it holds the kind of thing the part asks for beyond what answers another part, is about what the
    # part pins down (`names_what_is_asked`: else `quoted_answer` would leave the part out, unsaid), and is not the
    # sentence the answer already rests on (that one answers the other part: quoting it again answers nothing).
    used = {(citation.passage, citation.quote_start, citation.quote_end) for citation in checked.citations}
    quotable = [(part, ranked) for part, ranked in missing
                if ranked and _holds(_sentence_text(ranked[0], passages), part, evidence.parts, kinds)
                and names_what_is_asked(part, passages[ranked[0].passage_index], ranked[0].start, ranked[0].end)
                and (passages[ranked[0].passage_index], ranked[0].start, ranked[0].end) not in used]
    unanswered = [part for part, ranked in missing if (part, ranked) not in quotable]
    text, citations = checked.text, list(checked.citations)
    if quotable:
        quoted = quoted_answer(Evidence(tuple(part for part, _ in quotable), tuple(ranked for _, ranked in quotable),
                                        evidence.answerable), passages, scorer, kinds)
        known = {citation.passage: citation.number for citation in citations}
        addition = quoted.text
        for citation in quoted.citations:
            number = known.get(citation.passage) or len(citations) + 1
            if citation.passage not in known:
                known[citation.passage] = number
                citations.append(dataclasses.replace(citation, number=number))
            addition = addition.replace(f"[{citation.number}]", f"[{number}]")
        if quoted.supported:
            text = f"{text} {addition}"
        else:
            unanswered = [part for part, _ in missing]
    text = " ".join((text, *(MISSING_PART.format(part=part) for part in unanswered)))
    return Checked(text, tuple(citations), True, checked.dropped_sentences)


def _quotes_best(answer: Answer, evidence: Evidence, passages: Sequence[Passage]) -> bool:
    """Whether a quoted answer quotes the best evidence sentence first (true with nothing to compare): the sentence
    the reader's reading was compared with, not one the reader chose itself (`Assistant._reader_quote`)."""
    if not answer.citations or not evidence.best:
        return True
    best, first = evidence.best[0], answer.citations[0]
    return first.passage == passages[best.passage_index] and first.quote_start == best.start


def _sentence_text(sentence: Sentence, passages: Sequence[Passage]) -> str:
    return passages[sentence.passage_index].text[sentence.start:sentence.end]


def _holds(text: str, part: str, parts: Sequence[str], kinds: AnswerKinds) -> bool:
    """Whether `text` holds something of the kind `part` asks for (anything, when it asks for no kind) beyond what
    answers another part of another kind.

    >>> from rag.models.entities import PhraseTagger
    >>> kinds = AnswerKinds(PhraseTagger({"14 March": "DATE", "2 million euros": "MONEY"}))
    >>> parts = ["When did the bridge reopen?", "How much did the repairs cost?"]
    >>> _holds("It reopened on 14 March.", parts[1], parts, kinds)
    False
    >>> _holds("They cost 2 million euros.", parts[1], parts, kinds)
    True
    """
    accepted = kinds.checked(part)
    if not accepted:
        return True
    # An entity of a kind another part asks for precisely, and this one does not, answers that part: the 14 March
    # of "reopened on 14 March" answers "when", though a number question accepts a date where the tagger blurs.
    elsewhere = {kind for other in parts for kind in kinds.wanted(other)} - kinds.wanted(part)
    asked = content_words(" ".join((part, *parts)))  # a name the question itself uses answers no part of it
    (found,) = kinds.entities([text])
    return any(entity.kind in accepted and entity.kind not in elsewhere and content_words(entity.text) - asked
               for entity in found)


def _leaves_out(answer: str, part: str, ranked: Sequence[Sentence], passages: Sequence[Passage],
               kinds: AnswerKinds, parts: Sequence[str] = ()) -> bool:
    """Whether an answer leaves out a part of the question: for a part that asks for a kind of thing (a number, a
    date, a person), the answer names nothing of that kind but what answers another part of another kind (the 14
    of "14 March" answers "when", not "how much"); for another, it shares no word with the part's best evidence
    sentence beyond the part's own words (nothing of what that sentence adds).

    >>> from rag.answer.evidence import Sentence
    >>> passage = Passage("a", "T", "a.txt", "", "The hall is filled with royal gardens.", 0, 38)
    >>> _leaves_out("It is filled with royal gardens [1].", "What is the hall filled with?", [Sentence(0, 0, 38, 1.0)],
    ...             [passage], AnswerKinds())
    False
    >>> _leaves_out("It opened in May [1].", "What is the hall filled with?", [Sentence(0, 0, 38, 1.0)], [passage],
    ...             AnswerKinds())
    True
    """
    if kinds.checked(part):
        return not _holds(answer, part, parts, kinds)
    if not ranked:
        return False
    adds = content_words(_sentence_text(ranked[0], passages)) - content_words(part)
    return not (content_words(strip_markers(answer)) & adds)


def _backend_for(settings: Settings) -> str:
    """The embedding backend that reproduces the index's vectors (an index built with torch is queried with
    torch even when the default is now int8), else the configured one."""
    recorded = open_store(index_location(settings.index, settings.store)).recorded_embedder()
    if recorded is None:
        return settings.embed_backend
    same_model = embedder_name(settings.embedder, "torch") == embedder_name(recorded, "torch").removesuffix(INT8_SUFFIX)
    return backend_of(recorded) if same_model else settings.embed_backend


def _unsaid(evidence: Evidence, passages: Sequence[Passage], previous_answer: str) -> Evidence:
    """The evidence without the sentences the previous answer said again (`repeats`): what a follow-up's quote may
    choose from once its best sentence is the previous answer's."""
    def said(sentence: Sentence) -> bool:
        return repeats(passages[sentence.passage_index].text[sentence.start:sentence.end], previous_answer)

    ranked = tuple(tuple(sentence for sentence in sentences if not said(sentence)) for sentences in evidence.ranked)
    return dataclasses.replace(evidence, ranked=ranked)
