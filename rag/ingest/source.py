"""One file being read: the names it goes by in its articles and in error messages.

Every reader (rag.ingest.markdown, .html, .pdf, .feeds) gets a `SourceFile` and uses it to make its articles
(id and path: the resolved path, so that an unchanged file keeps its ids; source, unless the file names its outlet
(a feed's records, an HTML page's og:site_name): the path relative to the folder it was found in) and its errors (a
SourceError naming that relative path).
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

from rag.errors import SourceError
from rag.records import Article


@dataclass(frozen=True)
class SourceFile:
    """One file being read, with the names used for it in articles and in error messages."""

    path: Path
    resolved: str  # the article id and `Article.path`
    relative: str  # `Article.source` and the name in error messages

    @classmethod
    def of(cls, path: Path, root: Path | None) -> SourceFile:
        return cls(path, str(path.resolve()), relative_name(path, root))

    def error(self, reason: str, fix: str = "") -> SourceError:
        return SourceError(self.relative, reason, fix)

    def article(self, title: str, text: str, **fields: Any) -> Article:
        return Article(id=self.resolved, title=title, text=text, source=fields.pop("source", "") or self.relative,
                       path=self.resolved, **fields)


def relative_name(path: Path, root: Path | None) -> str:
    """The file's path relative to its root, in posix form; without a root, its name (as if the root were its
    folder, which is what `iter_files` gives for a file named as a source).

    >>> relative_name(Path("articles/2026/bridge.md"), Path("articles")), relative_name(Path("a/b.md"), None)
    ('2026/bridge.md', 'b.md')
    """
    if root is not None:
        for base, target in ((root.absolute(), path.absolute()), (root.resolve(), path.resolve())):
            try:
                return target.relative_to(base).as_posix()
            except ValueError:
                continue
    return path.name
