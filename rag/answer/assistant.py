"""The assistant: question in, answer with checked citations out.

`Assistant(retriever, llm, settings, finder)` wires injected parts together; `Assistant.load(index_dir,
**settings)` is the edge that turns setting values into models. The language model and the answer finder are
loaded on first use, so `search` and `stats` stay fast and never pay for them.

One question's path (`stream`): the question is made to stand alone (follow-ups) and split into its parts
(two-part questions); retrieval finds passages; the answer finder scores every sentence of them for each part
(`rag.answer.evidence`) and, when even the best sentence is unlikely to answer, the assistant refuses without the
model; otherwise the model is shown those sentences (with the one before each), not whole passages, and what it
writes is checked sentence by sentence as it comes (`rag.answer.cite.AnswerCheck`): only sentences that passed
are streamed, so nothing unchecked is ever on screen. If none passed, the best evidence sentence of each part is
quoted when it holds the kind of thing asked for; else the assistant refuses.

    >>> from rag import Assistant                                   # doctest: +SKIP
    >>> assistant = Assistant.load("index/")                        # doctest: +SKIP
    >>> answer = assistant.ask("When did the footbridge reopen?")   # doctest: +SKIP
    >>> answer.text, [c.passage.title for c in answer.citations]    # doctest: +SKIP
"""

from __future__ import annotations

import dataclasses
import datetime
import threading
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from rag.answer.cite import AnswerCheck, Checked, is_refusal, off_topic, quoted_answer
from rag.answer.conversation import (
    REWRITE_SYSTEM,
    accept_rewrite,
    context_of,
    is_follow_up,
    question_parts,
    rewrite_follow_up,
    without_context,
)
from rag.answer.evidence import (
    Evidence,
    FinderScorer,
    SentenceScorer,
    answer_type,
    answer_words,
    find_evidence,
)
from rag.answer.prompts import (
    CANNOT_ANSWER,
    EVIDENCE_SENTENCES,
    Prompt,
    evidence_excerpts,
    fit_passages,
    parse_markers,
    strip_markers,
)
from rag.answer.retrieve import Retriever, TimedHits
from rag.answer.timeframe import parse_as_of, with_as_of
from rag.errors import InvalidRequestError
from rag.models.embed import INT8_SUFFIX, Embedder, backend_of, embedder_name, load_embedder
from rag.models.llm import LLM, load_llm
from rag.records import Answer, Citation, Filters, Hit, Passage, Period
from rag.settings import Settings
from rag.store import index_location, open_store
from rag.text import split_sentences

History = Sequence[tuple[str, str]]
PROMPT_MARGIN = 16
"""Tokens kept free beyond the prompt and the answer: chat templates add a few of their own."""


@dataclass(frozen=True)
class _Plan:
    query: str
    passages: list[Passage]
    evidence: Evidence
    shown: list[Passage]
    """The passages the prompt numbers [1], [2]… (as excerpts), whole."""
    prompt: Prompt | None
    hits: Sequence[Hit] = ()
    period: Period | None = None


class Drafting(str):
    """An empty text piece saying that the model has started writing: what it writes is shown sentence by sentence
    once checked, so a UI can say "drafting…" until the first one comes."""


class Assistant:
    """Answers questions about the indexed articles with a local LLM, citing the passages it used.

    `finder` scores how likely each sentence answers a question (`rag.answer.evidence.SentenceScorer`); by default
    the shipped answer finder (`rag.models.answer_finder`) combined with word overlap (`FinderScorer`), loaded on
    first use."""

    def __init__(self, retriever: Retriever, llm: LLM | Callable[[], LLM], settings: Settings | None = None,
                 finder: SentenceScorer | None = None) -> None:
        self.retriever = retriever
        self.settings = settings or Settings()
        self._llm: LLM | None = None if callable(llm) and not isinstance(llm, LLM) else llm  # type: ignore[assignment]
        self._llm_factory = llm if self._llm is None else None
        self._llm_lock = threading.Lock()
        self._finder = finder

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
        if not isinstance(embedder, Embedder):
            embedder = load_embedder(resolved.embedder, threads=resolved.embed_threads,
                                     backend=_backend_for(resolved), cache=resolved.cache)
        retriever = Retriever.load(index_location(resolved.index, resolved.store), embedder, resolved.retrieval,
                                   resolved.duplicate_overlap, resolved.story_similarity)
        if isinstance(llm, LLM):
            return cls(retriever, llm, resolved)

        def make_llm() -> LLM:
            if resolved.llm_url:  # an OpenAI-compatible server writes the answers (rag.models.remote)
                from rag.models.remote import RemoteLLM

                return RemoteLLM.from_settings(resolved)
            return load_llm(resolved.llm, resolved.context_size, resolved.threads, cache=resolved.cache)

        return cls(retriever, make_llm, resolved)

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
            finder = self._finder = FinderScorer(model, self.retriever.term_weights)
        return finder

    @property
    def llm(self) -> LLM:
        if self._llm is None:
            with self._llm_lock:
                if self._llm is None:
                    assert self._llm_factory is not None
                    self._llm = self._llm_factory()  # type: ignore[operator]
        return self._llm

    # -- questions -------------------------------------------------------------------------------------------

    def search(self, question: str, k: int | None = None, filters: Filters | None = None,
               as_of: datetime.date | None = None) -> list[Hit]:
        """The passages most relevant to `question`, best first (only those `filters` allow), one per story."""
        return self.retrieve(question, k, filters, as_of).hits

    def retrieve(self, question: str, k: int | None = None, filters: Filters | None = None,
                 as_of: datetime.date | None = None) -> TimedHits:
        """`search`, with the text searched for and the period read from the question's time phrase ("last month",
        resolved against `as_of`, default the `as_of` setting, else today)."""
        question = self._validated(question)
        return self.retriever.search_timed(question, k or self.settings.k, filters, self._reference_date(as_of),
                                           self.settings.min_score)

    def ask(self, question: str, history: History = (), k: int | None = None,
            filters: Filters | None = None, as_of: datetime.date | None = None) -> Answer:
        """Answer `question` (with earlier `(question, answer)` turns as context) and return the checked Answer."""
        return answer_from(self.stream(question, history, k, filters, as_of))

    def stream(self, question: str, history: History = (), k: int | None = None,
               filters: Filters | None = None, as_of: datetime.date | None = None) -> Iterator[str | Answer]:
        """Yield the answer's sentences as they are checked (after a `Drafting` piece when the model starts), then
        the checked `Answer`, whose text is what was yielded, or the quoted evidence, or the refusal."""
        question = self._validated(question)
        history = [(str(q), str(a)) for q, a in history]
        plan = self._plan(question, history, k, filters, as_of)
        if plan.prompt is None:
            yield self._finished(self._refusal(question, "", plan.query), plan)
            return
        llm, prompt, passages, evidence, query = self.llm, plan.prompt, plan.passages, plan.evidence, plan.query
        check = self._check(query, plan.shown, evidence, passages, llm.chat)
        text = ""
        drafting = False
        shown = 0
        for piece in llm.stream(prompt, self.settings.max_answer_tokens, self.settings.temperature):
            if not piece:  # a notice from the generation queue (its place in line): passed on
                yield piece
                continue
            if not drafting:
                drafting = True
                yield Drafting()
            text += piece
            for sentence in check.feed(text):
                yield " " + sentence if shown else with_as_of(sentence, _as_of(plan.period, _first_cited(check)))
                shown += 1
        for sentence in check.feed(text, final=True):
            yield " " + sentence if shown else with_as_of(sentence, _as_of(plan.period, _first_cited(check)))
            shown += 1
        yield self._finished(self._final(question, query, text.strip(), check, evidence, passages, llm.chat), plan)

    def prompt(self, question: str, history: History = (), k: int | None = None,
               filters: Filters | None = None, as_of: datetime.date | None = None) -> Prompt | None:
        """The prompt the model would be given for `question`, or None when the assistant refuses before asking it
        (what the benchmark feeds raw llama.cpp to measure the assistant's own cost)."""
        question = self._validated(question)
        return self._plan(question, [(str(q), str(a)) for q, a in history], k, filters, as_of).prompt

    def _plan(self, question: str, history: History, k: int | None, filters: Filters | None,
              as_of: datetime.date | None = None) -> _Plan:
        """Everything before generation: the stand-alone question, the passages (one per story, within the period
        the question names), the evidence, and the prompt (None when the passages do not answer)."""
        query = self.standalone_question(question, history)
        found = self.retriever.search_timed(query, k or self.settings.k, filters, self._reference_date(as_of),
                                            self.settings.min_score)
        hits, period = found.hits, found.period
        passages = [hit.passage for hit in hits]
        if not hits or hits[0].score < self.settings.min_score:
            return _Plan(query, passages, Evidence((), (), 0.0), [], None, hits, period)
        asked = without_context(found.asked)  # what was asked, not the context added for retrieval
        evidence = self.evidence(asked, passages)
        if period is not None and period.latest:
            evidence = _newest_evidence(evidence, passages)
        if evidence.answerable < self.settings.refusal_threshold or _misses_what_is_asked(asked, evidence, passages):
            return _Plan(query, passages, evidence, [], None, hits, period)
        llm = self.llm
        sources, excerpts = evidence_excerpts(passages, _chosen(evidence))
        budget = llm.context_size - self.settings.max_answer_tokens - PROMPT_MARGIN
        prompt = fit_passages(query, excerpts, history, llm.chat, budget, llm.count_tokens)
        shown = [passages[index] for index in sources[:len(prompt.passages)]]
        return _Plan(query, passages, evidence, shown, prompt, hits, period)

    def _finished(self, answer: Answer, plan: _Plan) -> Answer:
        """The answer with the period the question named, said as of when it asks how things stand, and each
        citation standing for its story (the other articles reporting it)."""
        stories = {hit.passage: hit.same_story for hit in plan.hits}
        citations = tuple(dataclasses.replace(citation, same_story=stories.get(citation.passage, ()))
                          for citation in answer.citations)
        text = answer.text if answer.refused else with_as_of(answer.text, _as_of(plan.period, _first_cited(answer)))
        return dataclasses.replace(answer, text=text, citations=citations, period=plan.period)

    def _reference_date(self, as_of: datetime.date | None) -> datetime.date:
        return as_of or parse_as_of(self.settings.as_of)

    def checked_answer(self, question: str, model_text: str, hits: Sequence[Hit], chat: bool = False,
                       query: str = "") -> Answer:
        """The `Answer` a model's whole text gets against the retrieved `hits`, with the very checks `stream` runs
        sentence by sentence. No model runs here: analyses replay stored model outputs."""
        query = query or question
        asked = without_context(query)
        passages = [hit.passage for hit in hits]
        evidence = self.evidence(asked, passages)
        sources, _ = evidence_excerpts(passages, _chosen(evidence))
        check = self._check(query, [passages[index] for index in sources], evidence, passages, chat)
        check.feed(model_text, final=True)
        return self._final(question, query, model_text, check, evidence, passages, chat)

    def evidence(self, question: str, passages: Sequence[Passage]) -> Evidence:
        """The sentences of `passages` that best answer each part of `question`, and how likely they answer."""
        parts = [without_context(part) for part in question_parts(question)]
        return find_evidence(parts, passages, self.finder)

    def _check(self, query: str, shown: Sequence[Passage], evidence: Evidence, passages: Sequence[Passage],
               chat: bool) -> AnswerCheck:
        """The sentence checks for an answer to what `query` asks citing the `shown` passages (numbered from 1):
        it must agree with the evidence found without the model (for a base model, cite only the passages that
        evidence comes from), may not cite an article that misses what the question pins down (`off_topic`), and
        for a follow-up may not answer with what the previous question already named."""
        asked = without_context(query)
        agreeing = {passages[sentence.passage_index] for sentence in evidence.best}
        allowed = {index for index, passage in enumerate(shown)
                   if not off_topic(asked, [other for other in passages if other.article_id == passage.article_id])}
        return AnswerCheck(shown, asked, self.finder, agreeing=agreeing, every=not chat, allowed=allowed,
                           known=context_of(query))

    def _final(self, question: str, query: str, model_text: str, check: AnswerCheck, evidence: Evidence,
               passages: Sequence[Passage], chat: bool) -> Answer:
        checked = check.result()
        if is_refusal(model_text) and chat:
            # A base model's "I don't know" carries no signal (the bundled one said it to 9 of 150 answerable and 12
            # of 150 unanswerable held-out SQuAD-2 questions, 8 and 8 on an earlier sample): the evidence decides
            # below, as for any answer the checks reject. A chat model's is final.
            return self._refusal(question, model_text, query)
        if not checked.supported:
            checked = quoted_answer(evidence, passages, self.finder)
            if not checked.supported:
                return self._refusal(question, model_text, query)
        elif len(evidence.parts) > 1:
            checked = _with_missing_parts(checked, evidence, passages, self.finder)
        return Answer(question, checked.text, checked.citations, False, model_text, query)

    def standalone_question(self, question: str, history: History) -> str:
        """The question rewritten to stand alone when it leans on the conversation (see rag.answer.conversation)."""
        if not is_follow_up(question, history):
            return question
        if self._llm is not None and self._llm.chat:
            messages = [{"role": "system", "content": REWRITE_SYSTEM}]
            for earlier_question, earlier_answer in list(history)[-2:]:
                messages += [{"role": "user", "content": earlier_question},
                             {"role": "assistant", "content": strip_markers(earlier_answer)}]
            messages.append({"role": "user", "content": question})
            rewritten = "".join(self._llm.stream(Prompt(tuple(messages), "", ()), 64, 0.0)).strip()
            if accept_rewrite(question, rewritten):
                return rewritten
        return rewrite_follow_up(question, history)

    def stats(self) -> dict[str, Any]:
        index = self.retriever.index
        llm_name = self._llm.name if self._llm is not None else self.settings.llm
        stats = index.stats()
        return {**stats, "index": index.name, "llm": llm_name, "k": self.settings.k}

    # -- helpers ---------------------------------------------------------------------------------------------

    def _validated(self, question: str) -> str:
        if not isinstance(question, str):
            raise InvalidRequestError(f"the question must be text, got {type(question).__name__}")
        question = " ".join(question.split())
        if not question:
            raise InvalidRequestError("the question is empty: type a question about the indexed articles")
        if len(question) > self.settings.max_question_chars:
            raise InvalidRequestError(
                f"the question is {len(question)} characters long; the limit is {self.settings.max_question_chars}"
            )
        return question

    @staticmethod
    def _context_of(citations: Sequence[Citation], hits: Sequence[Hit]) -> list[Passage]:
        """The retrieved passages of the cited articles: a chunk often leaves the article's names to its neighbours."""
        cited = {citation.passage.article_id for citation in citations}
        return [hit.passage for hit in hits if hit.passage.article_id in cited]

    @staticmethod
    def _refusal(question: str, model_text: str, query: str) -> Answer:
        return Answer(question, CANNOT_ANSWER, (), True, model_text, query)


def answer_from(pieces: Iterable[str | Answer]) -> Answer:
    """The final `Answer` of a stream of pieces (`Assistant.stream`), reading the text pieces before it.

    >>> answer_from(["The ", "ferry", Answer("When?", "The ferry [1].")]).text
    'The ferry [1].'
    """
    for piece in pieces:
        if isinstance(piece, Answer):
            return piece
    raise RuntimeError("the assistant's stream ended without an answer")


def _as_of(period: Period | None, cited: Sequence[Passage]) -> str:
    """The date an answer about how things stand (`Period.ongoing`: "latest", "this week") is said as of: the
    newest article its first sentence cites. The articles' date, not the reference date: that is when they knew."""
    if period is None or not period.ongoing:
        return ""
    return max((passage.published[:10] for passage in cited if passage.published), default="")


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


LATEST_EVIDENCE_SHARE = 0.25
"""For "latest", a sentence of a newer report scoring at least this share of the best sentence goes before it. The
answer finder was trained on questions with one answer, not on "is it open now?": on the multi-outlet set it gives
"The footbridge was closed on Monday…" (January) 0.28 and "Pedestrians can use the Maplewood footbridge again."
(March) 0.11 for "Is the Maplewood footbridge open now?", though retrieval finds both reports equally relevant."""


def _newest_evidence(evidence: Evidence, passages: Sequence[Passage],
                     share: float = LATEST_EVIDENCE_SHARE) -> Evidence:
    """For "latest": each part's sentences scoring at least `share` of its best, newest passage first (the model
    is shown, and answers from, how things stand now rather than the best-worded old report).

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
        reordered.append((*close, *(sentence for sentence in sentences if sentence.score < floor)))
    return dataclasses.replace(evidence, ranked=tuple(reordered))


def _misses_what_is_asked(asked: str, evidence: Evidence, passages: Sequence[Passage]) -> bool:
    """Whether the articles the evidence comes from never mention a number the question asks about, or most of its
    names ("How much did the festival cost in 2025?" over an article about 2026): they answer another question."""
    articles = {passages[sentence.passage_index].article_id for sentence in evidence.best}
    return bool(articles) and off_topic(asked, [passage for passage in passages if passage.article_id in articles])


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
                        scorer: SentenceScorer) -> Checked:
    """A two-part question's answer with the evidence of each part the model's answer leaves out (it names
    nothing of the kind that part asks for) quoted after it."""
    missing = [(part, ranked) for part, ranked in zip(evidence.parts, evidence.ranked, strict=True)
               if ranked and answer_type(part) and not answer_words(checked.text, answer_type(part), part)]
    if not missing:
        return checked
    quoted = quoted_answer(Evidence(tuple(part for part, _ in missing), tuple(ranked for _, ranked in missing),
                                    evidence.answerable), passages, scorer)
    if not quoted.supported:
        return checked
    offset = len(checked.citations)
    known = {citation.passage: citation.number for citation in checked.citations}
    citations = list(checked.citations)
    text = quoted.text
    for citation in quoted.citations:
        number = known.get(citation.passage) or offset + 1
        if citation.passage not in known:
            offset += 1
            known[citation.passage] = number
            citations.append(dataclasses.replace(citation, number=number))
        text = text.replace(f"[{citation.number}]", f"[{number}]")
    return Checked(f"{checked.text} {text}", tuple(citations), True, checked.dropped_sentences)


def _backend_for(settings: Settings) -> str:
    """The embedding backend that reproduces the index's vectors (an index built with torch is queried with
    torch even when the default is now int8), else the configured one."""
    recorded = open_store(index_location(settings.index, settings.store)).recorded_embedder()
    if recorded is None:
        return settings.embed_backend
    same_model = embedder_name(settings.embedder, "torch") == embedder_name(recorded, "torch").removesuffix(INT8_SUFFIX)
    return backend_of(recorded) if same_model else settings.embed_backend
