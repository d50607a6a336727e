"""The log messages of the libraries that read articles (pypdf, trafilatura and the parsers it uses): ERROR and up.

They log a WARNING for what they recover from by themselves ("pypdf._reader: WARNING: EOF marker not found",
"trafilatura.core: WARNING: discarding data: None"), and those lines reached stderr even with `--quiet`, and from
`update_index` in a program that configures no logging at all (Python prints a warning with no handler). What the
project needs to say about a file it says itself: a SourceError with the fix, or a note. The readers call
`quiet_library_logs` when imported; `RAG_LOG_LEVEL=debug` shows everything again (`show_library_logs`).
"""

from __future__ import annotations

import logging

LIBRARY_LOGGERS = ("pypdf", "trafilatura", "htmldate", "courlan", "justext", "readability", "charset_normalizer")
"""The loggers kept at ERROR: the readers' libraries (their loggers' children, "pypdf._reader", follow them)."""


_shown = False
"""Whether `show_library_logs` was called: the readers call `quiet_library_logs` when they are imported."""


def quiet_library_logs() -> None:
    """Keep `LIBRARY_LOGGERS` at ERROR, unless the program set a level of its own for one of them.

    >>> quiet_library_logs(); logging.getLogger("pypdf._reader").getEffectiveLevel() == logging.ERROR
    True
    """
    if _shown:  # `RAG_LOG_LEVEL=debug` asked for them before a reader's import quietened them again
        return
    for name in LIBRARY_LOGGERS:
        logger = logging.getLogger(name)
        if logger.level == logging.NOTSET:
            logger.setLevel(logging.ERROR)


def show_library_logs() -> None:
    """Let `LIBRARY_LOGGERS` log at the level the program sets (`RAG_LOG_LEVEL=debug`: everything, to find a fault),
    from now on: a reader imported later does not quieten them again.

    >>> show_library_logs(); quiet_library_logs(); logging.getLogger("pypdf._reader").level == logging.NOTSET
    True
    >>> import rag.ingest.library_logs as module; module._shown = False  # as before, for what runs next
    >>> quiet_library_logs()
    """
    global _shown
    _shown = True
    for name in LIBRARY_LOGGERS:
        logging.getLogger(name).setLevel(logging.NOTSET)
