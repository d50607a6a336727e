"""The `rag` command: index, info, search, ask, serve.

Setting flags (`--llm`, `-k`, `--context-size`, ...) are generated from `rag.settings.Settings`, so every setting
has one flag, one `RAG_*` environment variable and one default. Library errors (`RagError`) become one line on
stderr and exit status 1; nothing else is caught, so a bug still shows its traceback.
"""

from __future__ import annotations

import argparse
import dataclasses
import json
import sys
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from rag.errors import RagError
from rag.settings import Settings

# Which settings each command exposes as flags.
_RETRIEVAL = ("index", "embedder", "k", "embed_threads")
_ANSWERING = (*_RETRIEVAL, "llm", "llm_url", "llm_model", "min_score", "context_size", "max_answer_tokens",
              "temperature", "threads")
_COMMAND_SETTINGS = {
    "index": ("index", "embedder", "chunk_tokens", "chunk_overlap", "batch_size"),
    "info": ("index",),
    "search": _RETRIEVAL,
    "ask": _ANSWERING,
    "serve": (*_ANSWERING, "host", "port", "token"),
    "eval": _ANSWERING,
}


def main(argv: Sequence[str] | None = None) -> int:
    parser = build_parser()
    arguments = parser.parse_args(argv)
    if not getattr(arguments, "command", None):
        parser.print_help()
        return 2
    try:
        settings = Settings.from_env(**{name: getattr(arguments, name, None)
                                        for name in _COMMAND_SETTINGS[arguments.command]})
        return int(arguments.handler(arguments, settings) or 0)
    except RagError as error:
        print(f"rag {arguments.command}: error: {error}", file=sys.stderr)
        return 1
    except KeyboardInterrupt:
        print(f"rag {arguments.command}: interrupted", file=sys.stderr)
        return 130


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="rag", description="A local, private assistant that answers questions "
                                     "about your articles and cites the passages it used.")
    commands = parser.add_subparsers(dest="command", metavar="COMMAND")

    index = commands.add_parser("index", help="add, update and remove articles in the index (incremental)")
    index.add_argument("sources", nargs="+", metavar="SOURCE",
                       help="files or folders (.txt .md .html .json .jsonl .pdf)")
    index.add_argument("--rebuild", action="store_true", help="re-embed everything (needed after changing the "
                       "embedder or chunk settings)")
    index.add_argument("--keep-missing", action="store_true", help="keep articles whose source file is gone")
    index.add_argument("--wait", type=float, default=0.0, metavar="SECONDS",
                       help="wait this long for another writer to finish instead of failing at once")
    index.add_argument("--quiet", action="store_true", help="no progress bar")
    index.set_defaults(handler=_index)

    info = commands.add_parser("info", help="what the index holds")
    info.set_defaults(handler=_info)

    search = commands.add_parser("search", help="the passages most relevant to a question")
    search.add_argument("question")
    search.set_defaults(handler=_search)

    ask = commands.add_parser("ask", help="answer a question from the indexed articles, with citations")
    ask.add_argument("question")
    ask.set_defaults(handler=_ask)

    serve = commands.add_parser("serve", help="serve the chat in a browser (loopback only unless --host)")
    serve.set_defaults(handler=_serve)

    evaluate = commands.add_parser("eval", help="measure retrieval, answers, citations and refusals on a question "
                                   "set (JSON Lines, SQuAD-2 style: see ../shared/eval)")
    evaluate.add_argument("questions", metavar="QUESTIONS.jsonl")
    evaluate.add_argument("--limit", type=int, default=None, help="a seeded sample of this many questions")
    evaluate.add_argument("--seed", type=int, default=0, help="seed of the sample")
    evaluate.add_argument("--retrieval-only", action="store_true", help="skip the LLM: retrieval metrics only")
    evaluate.add_argument("--out", type=Path, default=None, help="also write the JSON report to this file")
    evaluate.set_defaults(handler=_eval)

    for name, subparser in (("index", index), ("info", info), ("search", search), ("ask", ask), ("serve", serve),
                            ("eval", evaluate)):
        _add_setting_flags(subparser, _COMMAND_SETTINGS[name])
        if name != "serve":
            subparser.add_argument("--json", action="store_true", help="print JSON instead of text")
    return parser


def _add_setting_flags(parser: argparse.ArgumentParser, names: Sequence[str]) -> None:
    fields = {setting.name: setting for setting in dataclasses.fields(Settings)}
    for name in names:
        setting = fields[name]
        kind = {"int": int, "float": float}.get(str(setting.type), str)
        flags = ["-k"] if name == "k" else [f"--{name.replace('_', '-')}"]
        parser.add_argument(*flags, dest=name, type=kind, default=None, metavar=name.upper(),
                            help=f"{setting.metadata['help']} (default: {setting.default!r}; env RAG_{name.upper()})")


# -- commands ----------------------------------------------------------------------------------------------------


def _index(arguments: argparse.Namespace, settings: Settings) -> int:
    from rag.embed import load_embedder
    from rag.indexer import update_index

    embedder = load_embedder(settings.embedder, batch_size=settings.batch_size)
    report = update_index(
        arguments.sources, settings.index, embedder, chunk_tokens=settings.chunk_tokens,
        chunk_overlap=settings.chunk_overlap, rebuild=arguments.rebuild, keep_missing=arguments.keep_missing,
        progress=not (arguments.quiet or arguments.json), wait=arguments.wait,
    )
    print(report.to_json() if arguments.json else report.summary())
    return 0


def _info(arguments: argparse.Namespace, settings: Settings) -> int:
    from rag.store import PassageIndex, current_generation

    generation = current_generation(settings.index)
    index = PassageIndex.load(settings.index)
    sizes = {path.name: path.stat().st_size for path in sorted(generation.iterdir())}
    info = {**index.stats(), "index": str(Path(settings.index)), "bytes": sum(sizes.values()), "files": sizes,
            "sources": sorted({record.source.split("/")[0] for record in index.articles.values()})[:20]}
    if arguments.json:
        print(json.dumps(info, indent=2, ensure_ascii=False))
    else:
        print(f"index:      {info['index']} (generation {info['generation']}, format {info['format_version']})")
        print(f"articles:   {info['articles']}")
        print(f"passages:   {info['passages']}")
        print(f"embedder:   {info['embedder']} ({info['dimension']} dimensions)")
        print(f"chunking:   {info['settings']}")
        print(f"size:       {info['bytes'] / 1e6:.2f} MB")
    return 0


def _search(arguments: argparse.Namespace, settings: Settings) -> int:
    assistant = _assistant(settings)
    hits = assistant.search(arguments.question, settings.k)
    if arguments.json:
        print(json.dumps({"question": arguments.question, "results": [hit.to_dict() for hit in hits]},
                         ensure_ascii=False, indent=2))
        return 0
    for rank, hit in enumerate(hits, start=1):
        print(f"{rank}. [{hit.score:.3f}] {hit.passage.title} — {hit.passage.location}")
        print(_indent(hit.passage.text))
    if not hits:
        print("no passages found")
    return 0


def _ask(arguments: argparse.Namespace, settings: Settings) -> int:
    assistant = _assistant(settings)
    answer = assistant.ask(arguments.question)
    if arguments.json:
        print(json.dumps(answer.to_dict(), ensure_ascii=False, indent=2))
        return 0
    print(answer.text)
    for citation in answer.citations:
        passage = citation.passage
        print(f"\n[{citation.number}] {passage.title} — {passage.location}")
        print(_indent(citation.quote or passage.text))
    return 0


def _serve(arguments: argparse.Namespace, settings: Settings) -> int:
    from ui.app import launch

    assistant = _assistant(settings)
    print(f"Serving {assistant.stats()['passages']} passages on http://{settings.host}:{settings.port}",
          file=sys.stderr)
    launch(assistant, host=settings.host, port=settings.port)
    return 0


def _eval(arguments: argparse.Namespace, settings: Settings) -> int:
    from rag.evaluate import evaluate, load_questions, summary

    questions = load_questions(arguments.questions, arguments.limit, arguments.seed)
    assistant = _assistant(settings)

    def progress(done: int, total: int) -> None:
        if not arguments.json and sys.stderr.isatty():
            print(f"\r{done}/{total} questions", end="", file=sys.stderr, flush=True)

    report = evaluate(assistant, questions, answers=not arguments.retrieval_only, progress=progress)
    report["settings"] = settings.describe()
    text = json.dumps(report, indent=2, ensure_ascii=False)
    if arguments.out:
        arguments.out.parent.mkdir(parents=True, exist_ok=True)
        arguments.out.write_text(text + "\n", "utf-8")
    print(text if arguments.json else summary(report))
    return 0


def _assistant(settings: Settings) -> Any:
    from rag.assistant import Assistant

    return Assistant.load(settings=settings)


def _indent(text: str, width: int = 400) -> str:
    text = " ".join(text.split())
    return "   " + (text if len(text) <= width else text[:width] + "…")


if __name__ == "__main__":
    sys.exit(main())
