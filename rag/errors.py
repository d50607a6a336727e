"""The library's exceptions. Each message says what happened and what to do about it.

The CLI, the HTTP API and the UI catch `RagError` and show its message; anything else is a bug.
"""

from __future__ import annotations


class RagError(Exception):
    """Base class for every error the library raises on purpose."""


class SourceError(RagError):
    """An article source (file or feed record) could not be read. Other sources are unaffected."""

    def __init__(self, source: str, reason: str, fix: str = "", retry_after: float = 0.0) -> None:
        self.source = source
        self.reason = reason
        self.fix = fix
        self.retry_after = retry_after  # seconds the server asked to wait before the next try (0: it did not say)
        message = f"{source}: {reason}"
        if fix:
            message += f" ({fix})"
        super().__init__(message)


class IndexNotFoundError(RagError):
    """No index exists at the given folder."""


class IndexFormatError(RagError):
    """The index on disk was written by another format version or another embedder."""


class IndexLockedError(RagError):
    """Another process is writing the index."""


class IndexWriteError(RagError):
    """The index could not be written (disk full, read-only, no permission): the previous index is whole."""


class ModelError(RagError):
    """A model could not be found, loaded or run."""


class InvalidRequestError(RagError):
    """A question or a parameter is empty, too long or of the wrong kind."""


NEXT_REQUEST = "the next request tries again"
"""What a running server adds to a `StoreUnavailableError` it answers with (`StoreUnavailableError.retrying`)."""


class StoreUnavailableError(RagError):
    """The database that holds the index is not answering (down, unreachable, restarting): try again later.

    The message says what happened and what to check, never that anything tries again: only a caller that does try
    again says so, with `retrying` (a running server: `NEXT_REQUEST`; `rag watch`: its next run). A one-shot
    command (`rag info`, `rag index`, `rag ask`) and a server that could not start do not."""

    recovers = True
    """Whether trying again may work: False for a crash that the next search repeats (`DatabaseCrashedError`)."""

    def retrying(self, how: str) -> str:
        """The message as a caller that tries again says it (`how`: "the next request tries again")."""
        return f"{self}; {how}" if self.recovers else str(self)


class StoreAccessError(RagError):
    """The database refused what this connection asks of it, and trying again cannot help: a URL that does not say
    what was meant (a password with an unescaped "@"), a user or password refused, a database that does not exist,
    the pgvector extension that this role may not create. The message says what to change."""


class ReadOnlyStoreError(RagError):
    """The database is a read-only replica: writes (uploads, `rag index`) go to its primary, which the message names."""


class DatabaseCrashedError(StoreUnavailableError):
    """The database server crashed under a request (one of its processes died of a signal, as its log says): the
    message names the signal and what to do. The request is not sent again, since it may crash the server again."""

    def __init__(self, message: str, recovers: bool = True) -> None:
        super().__init__(message)
        self.recovers = recovers  # False: the next search crashes it again (signal 4: a pgvector for another CPU)


class BusyError(RagError):
    """Too many questions are already waiting for the model (or the server is shutting down): the caller should
    try again later."""
