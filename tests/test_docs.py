"""The documentation names only what exists: every name of this project's code that README.md and docs/*.md cite
in backticks (`rag.answer.retrieve.Retriever.load`, `ui.app:build_app`, `rag/store/postgres.py`, `retrieve.py`)
is an importable module, an attribute of one, or a file; and a short dotted name whose head is one of the
project's modules or classes (`evidence.find_evidence`, `Retriever.search`) names an attribute of it.

Code is renamed and moved more often than the prose about it is reread; this test is what notices. On failure it
lists each missing name with the file and line that cite it.
"""

from __future__ import annotations

import ast
import dataclasses
import functools
import importlib
import inspect
import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any, NamedTuple

PROJECT = Path(__file__).resolve().parent.parent
DOCUMENTS = [PROJECT / "README.md", *sorted((PROJECT / "docs").glob("*.md"))]
PACKAGES = ("rag", "ui", "tools", "tests")
"""The project's top-level packages: a cited dotted name starting with one of them is the project's, as is one
whose head is a module or class defined in them; anything else (a library's API, a command, a setting) is not
checked."""
FOLDERS = (*PACKAGES, "docs", "index")

_CODE_SPAN = re.compile(r"(`+)(.+?)\1")
_FENCE = re.compile(r"^\s*(```|~~~)")
_PACKAGE = "|".join(PACKAGES)
_DOTTED = re.compile(rf"^(?:{_PACKAGE})(?:\.\w+)+(?::\w+(?:\.\w+)*)?(?:\(.*\))?$")
_PATH = re.compile(rf"^(?:{'|'.join(FOLDERS)})/[\w./-]*$")
_FILE_NAME = re.compile(r"^\w+\.py$")
_SHORT = re.compile(r"^[A-Za-z_]\w*(?:\.\w+)+(?:\(.*\))?$")


class Citation(NamedTuple):
    """A name cited in a document, and where."""

    document: Path
    line: int
    name: str

    def __str__(self) -> str:
        return f"{self.document.relative_to(PROJECT)}:{self.line}: `{self.name}`"


def code_spans(text: str) -> Iterator[tuple[int, str]]:
    """(line number, content) of each inline code span, outside fenced code blocks (which hold commands and
    output, not citations).

    >>> list(code_spans("See `rag.cli`.\\n```bash\\nrag `x`\\n```\\nAnd ``ui.app`` here."))
    [(1, 'rag.cli'), (5, 'ui.app')]
    """
    fenced = False
    for number, line in enumerate(text.splitlines(), start=1):
        if _FENCE.match(line):
            fenced = not fenced
            continue
        if not fenced:
            yield from ((number, match.group(2).strip()) for match in _CODE_SPAN.finditer(line))


def project_name(span: str) -> str | None:
    """The project name a code span cites, if it cites one: a dotted path (call arguments dropped), a path under
    one of the project's folders, or a Python file's name; None for anything else.

    >>> project_name("rag.answer.retrieve.Retriever.load(folder, embedder)")
    'rag.answer.retrieve.Retriever.load'
    >>> project_name("ui.app:build_app"), project_name("rag/store/postgres.py"), project_name("retrieve.py")
    ('ui.app:build_app', 'rag/store/postgres.py', 'retrieve.py')
    >>> project_name("Retriever.load(folder)"), project_name("evidence.find_evidence")
    ('Retriever.load', 'evidence.find_evidence')
    >>> project_name("rag serve --index index"), project_name("np.ndarray"), project_name("rag/*.py")
    (None, None, None)
    """
    if _DOTTED.match(span):
        return span.split("(", 1)[0]
    if _PATH.match(span) or _FILE_NAME.match(span):
        return span
    if _SHORT.match(span):
        short = span.split("(", 1)[0]
        return short if short.split(".", 1)[0] in heads() else None
    return None


@functools.cache
def heads() -> dict[str, tuple[str, ...]]:
    """The project's modules by their last name (`evidence`: `rag.answer.evidence`) and its classes by theirs
    (`Retriever`: `rag.answer.retrieve.Retriever`), each with every full name it may stand for.

    >>> heads()["Retriever"], heads()["assistant"]
    (('rag.answer.retrieve.Retriever',), ('rag.answer.assistant', 'rag.answer.assistant.Assistant'))
    """
    found: dict[str, list[str]] = {}
    for package in PACKAGES:
        for path in sorted((PROJECT / package).rglob("*.py")):
            if "data" in path.relative_to(PROJECT).parts:
                continue
            module = ".".join(path.relative_to(PROJECT).with_suffix("").parts).removesuffix(".__init__")
            found.setdefault(module.rsplit(".", 1)[-1], []).append(module)
            for node in ast.parse(path.read_text(encoding="utf-8")).body:
                if isinstance(node, ast.ClassDef):
                    found.setdefault(node.name, []).append(f"{module}.{node.name}")
    # An instance named after its class stands for it too: `assistant.search` is `Assistant.search`.
    for name in [name for name in found if name.islower()]:
        found[name].extend(found.get(name.title().replace("_", ""), []))
    return {name: tuple(full) for name, full in found.items()}


def citations() -> list[Citation]:
    found = []
    for document in DOCUMENTS:
        for line, span in code_spans(document.read_text(encoding="utf-8")):
            name = project_name(span)
            if name is not None:
                found.append(Citation(document, line, name))
    return found


def _has_attribute(owner: Any, attribute: str) -> bool:
    """Whether `owner` has `attribute`, counting what a class declares without a class-level value: dataclass
    fields, annotations, and attributes its methods set on `self`."""
    if hasattr(owner, attribute):
        return True
    if not inspect.isclass(owner):
        return False
    if dataclasses.is_dataclass(owner) and attribute in {field.name for field in dataclasses.fields(owner)}:
        return True
    for cls in owner.__mro__:
        if attribute in getattr(cls, "__annotations__", {}):
            return True
        try:
            source = inspect.getsource(cls)
        except (OSError, TypeError):
            continue
        if re.search(rf"\bself\.{re.escape(attribute)}\s*(?::[^=]+)?=", source):
            return True
    return False


def exists(name: str) -> bool:
    """Whether a cited name is in the project: the file or folder, the module, or the attribute (the longest
    importable prefix is the module; the rest are attributes of it, one after the other).

    >>> exists("rag.errors.RagError"), exists("ui.app:build_app"), exists("rag/errors.py"), exists("errors.py")
    (True, True, True, True)
    >>> exists("Retriever.search"), exists("retrieve.group_stories"), exists("assistant.search")
    (True, True, True)
    >>> exists("rag.errors.NoSuchError"), exists("rag/no_such_module.py"), exists("no_such_module.py")
    (False, False, False)
    >>> exists("Retriever.search_everything"), exists("retrieve.no_such_function")
    (False, False)
    """
    if "/" in name:
        return (PROJECT / name.rstrip("/")).exists()
    if _FILE_NAME.match(name):
        return any(next((PROJECT / package).rglob(name), None) is not None for package in PACKAGES)
    head, _, tail = name.partition(".")
    if head in heads() and head not in PACKAGES:  # a short name: it exists if one of its full names does
        return any(exists(f"{full}.{tail}") for full in heads()[head])
    module_path, _, attributes = name.partition(":")
    parts = module_path.split(".")
    for cut in range(len(parts), 0, -1):
        try:
            owner: Any = importlib.import_module(".".join(parts[:cut]))
        except ImportError:
            continue
        rest = parts[cut:] + (attributes.split(".") if attributes else [])
        break
    else:
        return False
    for attribute in rest:
        if not _has_attribute(owner, attribute):
            return False
        owner = getattr(owner, attribute, None)
    return True


def test_the_documents_cite_project_names() -> None:
    assert len(citations()) > 50, "the documents cite the code often: if not, the scanner is broken"


def test_every_cited_project_name_exists() -> None:
    missing = [citation for citation in citations() if not exists(citation.name)]
    assert not missing, "the documents cite names the code does not have:\n" + "\n".join(map(str, missing))
