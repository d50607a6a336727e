"""The OpenAI-compatible endpoint: `POST /v1/chat/completions` (streaming or not) and `GET /v1/models`.

The last user message is the question, earlier user/assistant pairs the history (`conversation`); system messages
are ignored. The reply is OpenAI's, plus `citations`, `refused`, `answer` (the checked text), `search_query` and
`period` as extra fields (in the final chunk when streaming), which the `openai` client keeps in `model_extra`.
`usage` counts the tokens the local model read and wrote for the answer (`rag.records.Usage`; zeros when no model
was asked), streamed in a last chunk of its own when `stream_options.include_usage` asks for it, as OpenAI does.
"""

from __future__ import annotations

import itertools
import json
import time
import uuid
from collections.abc import Iterator, Sequence
from typing import TYPE_CHECKING, Any

from fastapi.responses import StreamingResponse

from rag.answer.timeframe import parse_as_of
from rag.errors import InvalidRequestError
from rag.records import Answer, Drafting, Query, TextChunk, Waiting, unexpected_event, untold
from rag.serve.bodies import MODEL_ID, ChatCompletionBody
from rag.serve.errors import api_error, error_body, in_thread
from rag.serve.streaming import (
    Pieces,
    close,
    event_stream,
    final_answer,
    first_piece,
    rest,
    watch_reader,
)

if TYPE_CHECKING:
    from rag.serve.app import ServedAssistant


def conversation(messages: Sequence[dict[str, Any]]) -> tuple[str, list[tuple[str, str]]]:
    """The question and the history of an OpenAI `messages` list: the last message must be the user's; each
    earlier user message answered by the assistant is one history turn. System messages are ignored: the
    assistant's own rules (answer only from the passages, cite them) are not the client's to replace.

    >>> conversation([{"role": "system", "content": "Be brief."}, {"role": "user", "content": "When?"},
    ...               {"role": "assistant", "content": "In May [1]."}, {"role": "user", "content": "Cost?"}])
    ('Cost?', [('When?', 'In May [1].')])
    """
    turns = [(str(message.get("role", "")), message_text(message.get("content"))) for message in messages
             if message.get("role") in ("user", "assistant")]
    if not turns or turns[-1][0] != "user":
        raise InvalidRequestError("the last message must be the user's question (role 'user')")
    history: list[tuple[str, str]] = []
    for (role, text), (next_role, next_text) in itertools.pairwise(turns[:-1]):
        if role == "user" and next_role == "assistant":
            history.append((text, next_text))
    return turns[-1][1], history


def message_text(content: Any) -> str:
    """The text of an OpenAI message `content`: a string, or a list of parts of which the text ones count.

    >>> message_text([{"type": "text", "text": "When did"}, {"type": "image_url"}, {"type": "text", "text": "it?"}])
    'When did it?'
    """
    if content is None:
        return ""
    if isinstance(content, str):
        return content
    if isinstance(content, list):
        return " ".join(str(part.get("text", "")) for part in content
                        if isinstance(part, dict) and part.get("type") == "text")
    raise InvalidRequestError(f"message content must be text or a list of parts, got {type(content).__name__}")


def models() -> dict[str, Any]:
    """The `GET /v1/models` reply: the one model this server offers."""
    return {"object": "list", "data": [{"id": MODEL_ID, "object": "model", "created": 0, "owned_by": "rag"}]}


async def chat_completion(assistant: ServedAssistant, body: ChatCompletionBody) -> dict[str, Any] | StreamingResponse:
    """Answer a chat completion request: the whole reply, or (`stream`) its chunks as server-sent events."""
    question, history = conversation([message.model_dump() for message in body.messages])
    filters = body.filters.to_filters() if body.filters else None
    as_of = parse_as_of(body.as_of) if body.as_of.strip() else None
    gone = watch_reader()
    pieces = assistant.stream(Query(question, as_of=as_of, filters=filters), history, body.k)  # a brief, or the answer
    first = await in_thread(first_piece, pieces)  # validation and retrieval errors become plain JSON errors
    completion_id = f"chatcmpl-{uuid.uuid4().hex}"
    created = int(time.time())
    model = body.model or MODEL_ID
    if not body.stream:
        answer = await in_thread(final_answer, first, pieces)
        return {
            "id": completion_id, "object": "chat.completion", "created": created, "model": model,
            "choices": [{"index": 0, "message": {"role": "assistant", "content": answer.text},
                         "finish_reason": "stop", "logprobs": None}],
            "usage": answer.usage.to_dict(),
            **answer_extras(answer),
        }
    usage = body.stream_options is not None and body.stream_options.include_usage
    return event_stream(completion_chunks(first, pieces, completion_id, created, model, usage), gone)


def answer_extras(answer: Answer) -> dict[str, Any]:
    """The fields an OpenAI reply carries beyond the API: the checked answer, its citations, refused, and what was
    searched for (the stand-alone question, the period read from a time phrase)."""
    data = answer.to_dict()
    return {"citations": data["citations"], "refused": data["refused"], "answer": data["answer"],
            "search_query": data["search_query"], "period": data["period"]}


def completion_chunks(first: Any, pieces: Pieces, completion_id: str, created: int, model: str,
                      usage: bool = False) -> Iterator[str]:
    """The streamed reply: a role chunk, one chunk per `TextChunk`, a final chunk with `answer_extras`, with `usage`
    (OpenAI's `stream_options.include_usage`) a chunk with no choices and the answer's token counts, then `[DONE]`.
    While the question waits for the model, SSE comments (which clients skip); an error is a last `data:` line with
    the error JSON."""

    def data(payload: dict[str, Any]) -> str:
        return f"data: {json.dumps(payload, ensure_ascii=False)}\n\n"

    def chunk(delta: dict[str, Any], finish: str | None = None, **extra: Any) -> str:
        counted = {"usage": None} if usage else {}  # OpenAI's chunks say null until the last one
        return data({"id": completion_id, "object": "chat.completion.chunk", "created": created, "model": model,
                     "choices": [{"index": 0, "delta": delta, "finish_reason": finish, "logprobs": None}],
                     **counted, **extra})

    try:
        yield chunk({"role": "assistant", "content": ""})
        streamed = ""
        for event in rest(first, pieces):
            match event:
                case Waiting(ahead=ahead):
                    yield f": waiting for the model, {ahead} ahead\n\n"  # an SSE comment: clients skip it
                case Drafting():
                    yield ": drafting\n\n"
                case TextChunk(text=text):
                    streamed += text
                    yield chunk({"content": text})
                case Answer():
                    unsaid = untold(streamed, event.text)
                    if unsaid:  # an OpenAI client shows only the deltas: a quote or a refusal is one of them
                        yield chunk({"content": unsaid})
                    yield chunk({}, "stop", **answer_extras(event))
                    if usage:
                        yield data({"id": completion_id, "object": "chat.completion.chunk", "created": created,
                                    "model": model, "choices": [], "usage": event.usage.to_dict()})
                    yield "data: [DONE]\n\n"
                    return
                case _:
                    unexpected_event(event)
        raise RuntimeError("the assistant's stream ended without an answer")
    except Exception as error:
        problem = api_error(error)
        yield f"data: {json.dumps(error_body(problem.message, problem.kind))}\n\n"
    finally:
        close(pieces)
