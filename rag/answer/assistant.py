"""The assistant: question in, answer with checked citations out.

`Assistant(retriever, llm, settings)` wires injected parts together; `Assistant.load(index_dir, **settings)` is
the edge that turns setting values into models. The language model is loaded on first use, so `search` and
`stats` stay fast and never pay for it.

    >>> from rag import Assistant                                   # doctest: +SKIP
    >>> assistant = Assistant.load("index/")                        # doctest: +SKIP
    >>> answer = assistant.ask("When did the footbridge reopen?")   # doctest: +SKIP
    >>> answer.text, [c.passage.title for c in answer.citations]    # doctest: +SKIP
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterable, Iterator, Sequence
from pathlib import Path
from typing import Any

from rag.answer.cite import Checked, check_answer, evidence_answer, is_refusal, off_topic, reconcile
from rag.answer.conversation import REWRITE_SYSTEM, accept_rewrite, is_follow_up, rewrite_follow_up, without_context
from rag.answer.evidence import fits
from rag.answer.prompts import CANNOT_ANSWER, Prompt, fit_passages, strip_markers
from rag.answer.refusal import unanswerable_probability
from rag.answer.retrieve import Retriever
from rag.answer.thresholds import OVERRULE_SUPPORT
from rag.errors import InvalidRequestError, RagError
from rag.models.embed import INT8_SUFFIX, Embedder, backend_of, embedder_name, load_embedder
from rag.models.llm import LLM, load_llm
from rag.records import Answer, Citation, Filters, Hit, Passage
from rag.settings import Settings
from rag.store.generations import current_generation, read_meta

History = Sequence[tuple[str, str]]
PROMPT_MARGIN = 16
"""Tokens kept free beyond the prompt and the answer: chat templates add a few of their own."""


class Assistant:
    """Answers questions about the indexed articles with a local LLM, citing the passages it used."""

    def __init__(self, retriever: Retriever, llm: LLM | Callable[[], LLM], settings: Settings | None = None) -> None:
        self.retriever = retriever
        self.settings = settings or Settings()
        self._llm: LLM | None = None if callable(llm) and not isinstance(llm, LLM) else llm  # type: ignore[assignment]
        self._llm_factory = llm if self._llm is None else None
        self._llm_lock = threading.Lock()

    @classmethod
    def load(cls, index_dir: str | Path | None = None, *, settings: Settings | None = None,
             embedder: Embedder | str | None = None, llm: LLM | str | None = None, **overrides: Any) -> Assistant:
        """Load the index in `index_dir` with the configured embedder and LLM.

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
        retriever = Retriever.load(resolved.index, embedder, resolved.retrieval, resolved.duplicate_overlap)
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
    def llm(self) -> LLM:
        if self._llm is None:
            with self._llm_lock:
                if self._llm is None:
                    assert self._llm_factory is not None
                    self._llm = self._llm_factory()  # type: ignore[operator]
        return self._llm

    # -- questions -------------------------------------------------------------------------------------------

    def search(self, question: str, k: int | None = None, filters: Filters | None = None) -> list[Hit]:
        """The passages most relevant to `question`, best first (only those `filters` allow)."""
        question = self._validated(question)
        return self.retriever.search(question, k or self.settings.k, filters)

    def ask(self, question: str, history: History = (), k: int | None = None,
            filters: Filters | None = None) -> Answer:
        """Answer `question` (with earlier `(question, answer)` turns as context) and return the checked Answer."""
        return answer_from(self.stream(question, history, k, filters))

    def stream(self, question: str, history: History = (), k: int | None = None,
               filters: Filters | None = None) -> Iterator[str | Answer]:
        """Yield the model's text as it is written, then the checked `Answer` (whose text may differ: markers are
        renumbered and unsupported sentences dropped)."""
        question = self._validated(question)
        history = [(str(q), str(a)) for q, a in history]
        query = self.standalone_question(question, history)
        hits = self.retriever.search(query, k or self.settings.k, filters)
        if not hits or hits[0].score < self.settings.min_score:
            yield self._refusal(question, "", query)
            return

        weights = self.retriever.term_weights
        asked = without_context(query)  # the checks judge what was asked, not the context added for retrieval
        retrieved = [hit.passage for hit in hits]
        if unanswerable_probability(asked, retrieved, weights) > self.settings.refusal_threshold:
            yield self._refusal(question, "", query)
            return

        llm = self.llm
        budget = llm.context_size - self.settings.max_answer_tokens - PROMPT_MARGIN
        prompt = fit_passages(query, [hit.passage for hit in hits], history, llm.chat, budget, llm.count_tokens)
        pieces: list[str] = []
        for piece in llm.stream(prompt, self.settings.max_answer_tokens, self.settings.temperature):
            pieces.append(piece)
            yield piece
        yield self.checked_answer(question, query, "".join(pieces).strip(), prompt.passages, hits, llm.chat)

    def checked_answer(self, question: str, query: str, model_text: str, passages: Sequence[Passage],
                       hits: Sequence[Hit], chat: bool = False) -> Answer:
        """The `Answer` made from the model's text: its citations checked against the `passages` it was shown
        (numbered from 1) and reconciled with the evidence found without the model (`rag.answer.cite.reconcile`), or
        that evidence quoted, or the refusal. No model runs here: analyses replay stored model outputs."""
        weights = self.retriever.term_weights
        asked = without_context(query)
        evidence = evidence_answer(passages, query, weights)
        claimed = model_text
        if is_refusal(model_text):
            # A base model's "I don't know" carries little signal (the bundled one said it to 8 of 150 answerable
            # and 8 of 150 unanswerable SQuAD-2 questions): strong evidence of the wanted kind overrules it.
            if chat or not _overrules(evidence, asked):
                return self._refusal(question, model_text, query)
            claimed = ""
        checked = reconcile(check_answer(claimed, passages, asked, weights), evidence, every=not chat)
        if not checked.supported or off_topic(asked, self._context_of(checked.citations, hits)):
            return self._refusal(question, model_text, query)
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
        return {**index.stats(), "index": str(index.folder or ""), "llm": llm_name, "k": self.settings.k}

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


def _overrules(evidence: Checked, question: str) -> bool:
    """Whether quoted evidence is strong enough to answer where a base model said it does not know."""
    if not evidence.supported or not evidence.citations:
        return False
    best = evidence.citations[0]
    return best.support >= OVERRULE_SUPPORT and fits(question, best.quote)


def _backend_for(settings: Settings) -> str:
    """The embedding backend that reproduces the index's vectors (an index built with torch is queried with
    torch even when the default is now int8), else the configured one."""
    try:
        recorded = read_meta(current_generation(settings.index))["embedder"]
    except RagError:
        return settings.embed_backend
    same_model = embedder_name(settings.embedder, "torch") == embedder_name(recorded, "torch").removesuffix(INT8_SUFFIX)
    return backend_of(recorded) if same_model else settings.embed_backend
