"""rag: a local, private assistant that answers questions about a collection of articles, citing its passages.

    from rag import Assistant
    assistant = Assistant.load("index/")
    answer = assistant.ask("When did the footbridge reopen?")
    print(answer.text)
    for citation in answer.citations:
        print(citation.number, citation.passage.title, citation.quote)
"""

from rag.answer.assistant import Assistant
from rag.errors import (
    IndexFormatError,
    IndexLockedError,
    IndexNotFoundError,
    InvalidRequestError,
    ModelError,
    RagError,
    SourceError,
)
from rag.records import (
    Answer,
    Article,
    Citation,
    Drafting,
    Filters,
    Hit,
    Passage,
    Query,
    StreamEvent,
    TextChunk,
    Waiting,
)
from rag.settings import Settings

__all__ = [
    "Answer",
    "Article",
    "Assistant",
    "Citation",
    "Drafting",
    "Filters",
    "Hit",
    "IndexFormatError",
    "IndexLockedError",
    "IndexNotFoundError",
    "InvalidRequestError",
    "ModelError",
    "Passage",
    "Query",
    "RagError",
    "Settings",
    "SourceError",
    "StreamEvent",
    "TextChunk",
    "Waiting",
]
__version__ = "0.1.0"
