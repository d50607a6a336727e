"""What a request may carry: the JSON request bodies of the API (pydantic, strict: unknown fields and wrong types
are a 422 naming the field) and the size limits of requests.

OpenAI's chat completion body is lenient instead (extra fields allowed): clients send sampling options this server
ignores.
"""

from __future__ import annotations

import datetime
from typing import Annotated, Any, Literal

from pydantic import AfterValidator, BaseModel, ConfigDict, Field

from rag.answer.timeframe import parse_as_of
from rag.errors import InvalidRequestError
from rag.records import Filters
from rag.settings import MAX_K

MAX_JSON_BYTES = 1 << 20
"""Largest JSON request body: a question is at most a few thousand characters, history a few turns."""
MAX_UPLOAD_BYTES = 50 << 20
"""Largest upload to /api/index (and through the UI), all files together."""
MAX_UPLOAD_FILES = 200
MODEL_ID = "rag"
"""The model name /v1/models lists; requests may name any model, it is echoed back."""


def whole_characters(text: str) -> str:
    """`text` with any lone surrogate (half a character, which JSON's "\\ud800" escapes can carry) replaced: it
    cannot be encoded, so tokenizing the question failed with a TypeError and echoing it back with a serialization
    error, both a 500.

    >>> whole_characters("ferry " + chr(0xD800) + " cost")
    'ferry ? cost'
    """
    return text.encode("utf-8", "replace").decode("utf-8")


Text = Annotated[str, AfterValidator(whole_characters)]
"""A string of a request body that is read as text (a question, a turn of the history)."""


class FiltersBody(BaseModel):
    """Restrict retrieval to some sources (exact, or a path prefix) and/or publication dates (inclusive)."""

    model_config = ConfigDict(extra="forbid", strict=True)
    sources: list[str] = Field(default_factory=list, max_length=100)
    since: str = Field("", max_length=10, examples=["2026-01-01"])
    until: str = Field("", max_length=10, examples=["2026-12-31"])

    def to_filters(self) -> Filters | None:
        return Filters.parse(self.sources, self.since, self.until)


class SearchBody(BaseModel):
    model_config = ConfigDict(extra="forbid", strict=True)
    question: Text = Field(..., examples=["When did the Maplewood footbridge reopen?"])
    k: int | None = Field(None, ge=1, le=MAX_K, description="passages to retrieve (default: the server's setting)")
    filters: FiltersBody | None = None
    as_of: str = Field("", max_length=10, examples=["2026-03-14"],
                       description="the date time phrases in the question count from ('latest', 'last month', "
                       "'in March'); default: the server's as_of setting, else today")

    def reference_date(self) -> datetime.date | None:
        return parse_as_of(self.as_of) if self.as_of.strip() else None


class AskBody(SearchBody):
    history: list[list[Text]] = Field(default_factory=list, max_length=50,
                                     description="earlier turns, oldest first, each [question, answer]")
    stream: bool = Field(False, description="server-sent events: queue, text, then answer (or error)")

    def turns(self) -> list[tuple[str, str]]:
        for number, turn in enumerate(self.history):
            if len(turn) != 2:
                raise InvalidRequestError(f"history[{number}] must be [question, answer], got {len(turn)} items")
        return [(turn[0], turn[1]) for turn in self.history]


class ChatMessageBody(BaseModel):
    """One message of a chat request: a role OpenAI knows (another, such as "wizard", is a 400 naming the role's
    field, not a question found missing), its text or content parts."""

    model_config = ConfigDict(extra="allow")
    role: Literal["system", "developer", "user", "assistant", "tool", "function"]
    content: str | list[dict[str, Any]] | None = None


class StreamOptionsBody(BaseModel):
    """OpenAI's `stream_options`: `include_usage` asks for a last chunk carrying `usage` (and `"usage": null` on the
    others)."""

    model_config = ConfigDict(extra="allow")
    include_usage: bool = False


class ChatCompletionBody(BaseModel):
    """OpenAI's chat completion request. Sampling fields (temperature, top_p, ...) are accepted and ignored: answers
    follow the server's settings. `n` above 1 is refused: the one checked answer is all there is to give, and a
    client asking for choices to pick from should not get one silently. `k`, `filters` and `as_of` are this
    server's extensions."""

    model_config = ConfigDict(extra="allow")
    model: str | None = MODEL_ID
    messages: list[ChatMessageBody] = Field(..., min_length=1, max_length=200)
    stream: bool = Field(False, strict=True)  # "yes" is no boolean to OpenAI either
    stream_options: StreamOptionsBody | None = None
    n: int | None = Field(None, ge=1, le=1, description="choices asked for: one, the assistant's checked answer")
    k: int | None = Field(None, ge=1, le=MAX_K)
    filters: FiltersBody | None = None
    as_of: str = Field("", max_length=10, description="the date time phrases count from (default: today)")
