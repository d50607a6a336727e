"""Which layer imports which: the project's import graph folded to its layers, and the circles in it.

A layer is a folder of `rag/` (`rag.answer`, `rag.models`, ...), a module at the top of `rag/` (`rag.records`,
`rag.cli`, ...) or `ui`. Every import counts, also those inside functions and under `TYPE_CHECKING`: a lazy
import is still a dependency, only a later one.

    python -m tools.import_graph            # the edges, one line per layer, and any circle
    python -m tools.import_graph --mermaid  # the same as a Mermaid graph for docs/architecture.md
    python -m tools.import_graph --root DIR # another checkout (a worktree of an older commit)
"""

from __future__ import annotations

import argparse
import ast
import sys
from collections.abc import Iterator
from pathlib import Path

PACKAGES = ("rag", "ui")


def layer_of(module: str) -> str:
    """The layer a dotted module name belongs to.

    >>> layer_of("rag.answer.retrieve"), layer_of("rag.records"), layer_of("rag"), layer_of("ui.render")
    ('rag.answer', 'rag.records', 'rag', 'ui')
    """
    parts = module.split(".")
    if parts[0] == "ui":
        return "ui"
    return ".".join(parts[:2])


def module_name(path: Path, root: Path) -> str:
    """`rag/answer/retrieve.py` -> `rag.answer.retrieve`; a package's `__init__.py` is the package.

    >>> module_name(Path("/x/rag/answer/__init__.py"), Path("/x"))
    'rag.answer'
    """
    parts = list(path.relative_to(root).with_suffix("").parts)
    if parts[-1] == "__init__":
        parts.pop()
    return ".".join(parts)


def imported_modules(source: str, module: str, is_package: bool) -> Iterator[str]:
    """The project modules a module's source imports (absolute names; relative imports resolved).

    >>> source = "from rag.records import Hit\\nimport numpy\\nfrom . import cite"
    >>> sorted(imported_modules(source, "rag.answer.x", False))
    ['rag.answer', 'rag.records']
    """
    package = module if is_package else module.rpartition(".")[0]
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, ast.Import):
            names = [alias.name for alias in node.names]
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                base = package.split(".")[: len(package.split(".")) - node.level + 1]
                names = [".".join([*base, node.module] if node.module else base)]
            else:
                names = [node.module or ""]
        else:
            continue
        yield from (name for name in names if name.split(".")[0] in PACKAGES)


def layer_edges(root: Path) -> dict[str, set[str]]:
    """Each layer and the other layers it imports."""
    edges: dict[str, set[str]] = {}
    for package in PACKAGES:
        for path in sorted((root / package).rglob("*.py")):
            module = module_name(path, root)
            source_layer = layer_of(module)
            targets = edges.setdefault(source_layer, set())
            for imported in imported_modules(path.read_text(encoding="utf-8"), module, path.name == "__init__.py"):
                if layer_of(imported) != source_layer:
                    targets.add(layer_of(imported))
    return edges


def circles(edges: dict[str, set[str]]) -> list[list[str]]:
    """Every circle between layers, each as the layers on it (Tarjan's strongly connected components).

    >>> circles({"a": {"b"}, "b": {"a"}, "c": {"a"}})
    [['a', 'b']]
    """
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    found: list[list[str]] = []

    def visit(node: str) -> None:
        index[node] = low[node] = len(index)
        stack.append(node)
        for target in sorted(edges.get(node, ())):
            if target not in index:
                visit(target)
                low[node] = min(low[node], low[target])
            elif target in stack:
                low[node] = min(low[node], index[target])
        if low[node] == index[node]:
            component = []
            while True:
                member = stack.pop()
                component.append(member)
                if member == node:
                    break
            if len(component) > 1:
                found.append(sorted(component))

    for node in sorted(edges):
        if node not in index:
            visit(node)
    return sorted(found)


def mermaid(edges: dict[str, set[str]]) -> str:
    """The graph as Mermaid `graph TD` text, edges sorted so that the output is stable."""
    lines = ["graph TD"]
    for source in sorted(edges):
        lines.extend(f"    {source} --> {target}" for target in sorted(edges[source]))
    return "\n".join(lines).replace("rag.", "rag/")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--root", type=Path, default=Path(__file__).resolve().parent.parent)
    parser.add_argument("--mermaid", action="store_true")
    arguments = parser.parse_args(argv)
    edges = layer_edges(arguments.root)
    if arguments.mermaid:
        print(mermaid(edges))
    else:
        for source in sorted(edges):
            print(f"{source:16} -> {', '.join(sorted(edges[source])) or '-'}")
    found = circles(edges)
    for circle in found:
        print("circle:", " <-> ".join(circle), file=sys.stderr)
    return 1 if found else 0


if __name__ == "__main__":
    sys.exit(main())
