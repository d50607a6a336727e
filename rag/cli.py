"""The `rag` command: index, watch, info, search, ask, chat, serve, eval, brief.

Setting flags (`--llm`, `-k`, `--context-size`, ...) are generated from `rag.settings.Settings`, so every setting
has one flag, one `RAG_*` environment variable and one default. Library errors (`RagError`) become one line on
stderr and exit status 1; nothing else is caught, so a bug still shows its traceback.
"""

from __future__ import annotations

import argparse
import contextlib
import dataclasses
import faulthandler
import json
import logging
import os
import sys
from collections.abc import Collection, Iterable, Mapping, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

from rag.errors import RagError
from rag.records import Query, kind_mark, reported_by_text
from rag.settings import Settings

if TYPE_CHECKING:  # imported by the commands that use them: `rag --help` and `rag ask` load no indexer
    from rag.ingest.indexer import IndexReport, UpdateOptions
    from rag.ingest.lazy_embedder import LazyEmbedder

# Which settings each command exposes as flags.
_RETRIEVAL = ("index", "store", "embedder", "embed_backend", "k", "embed_threads", "retrieval", "duplicate_overlap",
              "story_similarity", "as_of", "cache")
_ANSWERING = (*_RETRIEVAL, "llm", "llm_url", "llm_model", "llm_format", "min_score", "refusal_threshold",
              "span_threshold", "span_fallback", "reader_refusal", "quote_refusal", "context_size", "max_answer_tokens",
              "temperature", "threads")
_COMMAND_SETTINGS = {
    "index": ("index", "store", "embedder", "embed_backend", "chunk_tokens", "chunk_overlap", "batch_size",
              "max_file_mb", "index_factory", "cache", "fetch_timeout", "follow_budget"),
    "watch": ("index", "store", "embedder", "embed_backend", "batch_size", "max_file_mb", "cache", "fetch_timeout",
              "follow_budget"),
    "info": ("index", "store"),
    "remove": ("index", "store"),
    "search": _RETRIEVAL,
    "ask": _ANSWERING,
    "chat": _ANSWERING,
    "serve": (*_ANSWERING, "llm_workers", "host", "port", "token", "max_file_mb", "chat", "fetch_timeout"),
    "eval": _ANSWERING,
    "follow": _ANSWERING,
    "brief": ("index", "store", "embedder", "embed_backend", "embed_threads", "retrieval", "duplicate_overlap",
              "story_similarity", "as_of", "min_score", "cache"),
}


def main(argv: Sequence[str] | None = None) -> int:
    parser = build_parser()
    arguments = parser.parse_args(argv)
    if not getattr(arguments, "command", None):
        parser.print_help()
        return 2
    with contextlib.suppress(OSError, ValueError, AttributeError):  # stderr may be no real file (tests capture it)
        faulthandler.enable()  # a native crash (faiss, onnxruntime) at least says where, instead of dying silently
    try:
        settings = Settings.from_env(**{name: getattr(arguments, name, None)
                                        for name in _COMMAND_SETTINGS[arguments.command]})
        logging.basicConfig(level=settings.log_level.upper(), format="%(name)s: %(levelname)s: %(message)s")
        if settings.log_level.lower() == "debug":  # the readers' libraries too (rag.ingest.library_logs)
            from rag.ingest.library_logs import show_library_logs

            show_library_logs()
        return int(arguments.handler(arguments, settings) or 0)
    except RagError as error:
        print(f"rag {arguments.command}: error: {error}", file=sys.stderr)
        if getattr(arguments, "json", False):  # a script reading the JSON reads the failure there too
            print(json.dumps({"error": {"command": arguments.command, "type": type(error).__name__,
                                        "message": str(error)}}, ensure_ascii=False))
        return 1
    except BrokenPipeError:  # `rag info | head -2`: the reader went away; what it did not read is not needed
        with contextlib.suppress(OSError):
            os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        return 141  # as a shell reports a command a closed pipe stopped (128 + SIGPIPE)
    except KeyboardInterrupt:
        print(f"rag {arguments.command}: interrupted{_INTERRUPTED.get(arguments.command, '')}", file=sys.stderr)
        return 130


_INTERRUPTED = {
    command: ("; the index is whole and holds what its last save did (a checkpoint saves every --checkpoint "
              "SECONDS, 300 by default; a --rebuild saves only at its end): run the same command again to finish, "
              "it embeds only what was not saved")
    for command in ("index", "watch")}
"""What an interrupted indexer says beside "interrupted": whether anything was lost, and how to go on."""


def _seconds(value: str) -> float:
    """A number of seconds a flag takes: not negative, not "soon".

    >>> _seconds("2.5")
    2.5
    """
    try:
        seconds = float(value)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{value!r} is not a number of seconds (say 300)") from None
    if not seconds >= 0:  # also NaN
        raise argparse.ArgumentTypeError(f"{value!r} is not a number of seconds: give 0 or more") from None
    return seconds


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="rag", description="A local, private assistant that answers questions "
                                     "about your articles and cites the passages it used.")
    commands = parser.add_subparsers(dest="command", metavar="COMMAND")

    index = commands.add_parser("index", help="add, update and remove articles in the index (incremental)")
    index.add_argument("sources", nargs="+", metavar="SOURCE",
                       help="files or folders (.txt .md .html .json .jsonl .pdf .rss .atom .xml), or URLs of RSS "
                            "or Atom feeds and of web pages")
    index.add_argument("--rebuild", action="store_true", help="re-embed everything (needed after changing the "
                       "embedder or chunk settings)")
    index.add_argument("--keep-missing", action="store_true", help="keep articles whose source file is gone")
    index.add_argument("--wait", type=_seconds, default=None, metavar="SECONDS",
                       help="wait this long for another writer to finish instead of failing at once")
    index.add_argument("--quiet", action="store_true", help="no progress bar")
    index.add_argument("--strict", action="store_true", help="exit with status 1 when any source failed to read "
                       "(the readable ones are still indexed)")
    index.add_argument("--checkpoint", dest="checkpoint_seconds", type=_seconds, default=None, metavar="SECONDS",
                       help="save the work done so far this often, so that an interrupted run resumes (default: 300)")
    _add_feed_flags(index)
    index.add_argument("--migrate", action="store_true", help="with --store: upgrade the database's schema to this "
                       "version's first; then roll the servers to this version (running older servers keep "
                       "answering meanwhile; a server of this version refuses the old schema, an older one started "
                       "after the migration the new one)")
    index.set_defaults(handler=_index)

    watch = commands.add_parser("watch", help="rerun the incremental index on a schedule (feeds, pages, folders)")
    watch.add_argument("sources", nargs="+", metavar="SOURCE", help="what `rag index` takes: files, folders, URLs")
    watch.add_argument("--every", default="15m", metavar="INTERVAL",
                       help="time between runs, like 15m, 90s, 1h or 1h30m (default: 15m)")
    watch.add_argument("--runs", type=int, default=None, metavar="N", help="stop after N runs (default: never)")
    watch.add_argument("--keep-missing", action="store_true", help="keep articles whose source file is gone")
    watch.add_argument("--wait", type=_seconds, default=None, metavar="SECONDS",
                       help="wait this long for another writer before skipping a run (default: 60)")
    _add_feed_flags(watch)
    _add_notify_flag(watch)
    watch.set_defaults(handler=_watch)

    remove = commands.add_parser("remove", help="remove articles from the index: by id, by the URL they were read "
                                 "from, or by their file or folder (even one gone or moved away)")
    remove.add_argument("articles", nargs="+", metavar="ARTICLE",
                        help="an article id (`rag info --articles`), a feed or page URL, a file or a folder")
    remove.add_argument("--wait", type=_seconds, default=None, metavar="SECONDS",
                        help="wait this long for another writer to finish instead of failing at once")
    remove.set_defaults(handler=_remove)

    info = commands.add_parser("info", help="what the index holds")
    info.add_argument("--articles", action="store_true",
                      help="also list every article: its id (what a question file's article_id names), date, source "
                           "and title")
    info.set_defaults(handler=_info)

    search = commands.add_parser("search", help="the passages most relevant to a question")
    search.add_argument("question")
    search.set_defaults(handler=_search)

    ask = commands.add_parser("ask", help="answer a question from the indexed articles, with citations")
    ask.add_argument("question")
    ask.set_defaults(handler=_ask)

    chat = commands.add_parser("chat", help="ask question after question in the terminal (one per line), each "
                               "follow-up answered in the conversation so far")
    chat.set_defaults(handler=_chat)

    serve = commands.add_parser("serve", help="serve the chat and the HTTP API (loopback only unless --host, "
                                "which then needs --token)")
    serve.add_argument("--watch", action="append", default=[], metavar="SOURCE",
                       help="keep this source indexed while serving (a feed, page, file or folder; repeatable)")
    serve.add_argument("--every", default="15m", metavar="INTERVAL",
                       help="time between the runs of --watch, like 15m or 1h (default: 15m)")
    serve.add_argument("--prune-feeds", action="store_true", help="with --watch: remove the items that are no "
                       "longer in their RSS or Atom feed (default: keep them)")
    _add_notify_flag(serve)
    serve.set_defaults(handler=_serve)

    evaluate = commands.add_parser("eval", help="measure retrieval, answers, citations and refusals on a question "
                                   "set (JSON Lines, SQuAD-2 style: see ../shared/eval); a question whose article "
                                   "is not in the index is scored apart, on refusal alone")
    evaluate.add_argument("questions", metavar="QUESTIONS.jsonl")
    evaluate.add_argument("--limit", type=int, default=None, help="a seeded sample of this many questions")
    evaluate.add_argument("--seed", type=int, default=0, help="seed of the sample")
    evaluate.add_argument("--retrieval-only", action="store_true", help="skip the LLM: retrieval metrics only")
    evaluate.add_argument("--held-out", action="store_true",
                          help="only questions about the articles the shipped answer finder was neither trained nor "
                               "calibrated on (its meta.json's held-out split)")
    evaluate.add_argument("--out", type=Path, default=None, help="also write the JSON report to this file")
    evaluate.add_argument("--details", type=Path, default=None, metavar="FILE.jsonl",
                          help="write one JSON line per question: gold answers, retrieval rank, answer, citations")
    evaluate.set_defaults(handler=_eval)

    follow = commands.add_parser("follow", help="follow a question: re-asked whenever indexing brings an article "
                                 "that may change its answer, each new answer kept (add, list, remove; refresh "
                                 "asks the pending ones now)")
    follow.add_argument("action", choices=("add", "list", "remove", "refresh"))
    follow.add_argument("text", nargs="?", default="", metavar="QUESTION|ID",
                        help="the question to follow (add), or the id of the one to stop following (remove)")
    follow.set_defaults(handler=_follow)

    briefing = commands.add_parser("brief", help="the stories of a period (about a topic), each once however many "
                                   "outlets reported it, most reported and newest first")
    briefing.add_argument("topic", nargs="?", default="", help="only the stories about this (default: all)")
    briefing.add_argument("--since", required=True, metavar="WHEN",
                          help="from when: 7d, 2w, last week, this month, March, 2026-03-01 (the phrases questions "
                               "take)")
    briefing.add_argument("--until", default="", metavar="WHEN", help="up to the end of this date or period "
                          "(default: the reference date, --as-of)")
    briefing.add_argument("-n", dest="count", type=int, default=None, metavar="N",
                          help="at most this many stories (default: 10)")
    briefing.set_defaults(handler=_brief)

    for name, subparser in (("index", index), ("watch", watch), ("remove", remove), ("info", info), ("search", search),
                            ("ask", ask), ("chat", chat), ("serve", serve), ("eval", evaluate), ("brief", briefing),
                            ("follow", follow)):
        _add_setting_flags(subparser, _COMMAND_SETTINGS[name])
        if name in ("search", "ask", "chat", "eval"):
            _add_filter_flags(subparser)
        if name != "serve":
            subparser.add_argument("--json", action="store_true", help="print JSON instead of text")
    return parser


def _add_feed_flags(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--prune-feeds", action="store_true",
                        help="remove the items that are no longer in their RSS or Atom feed (default: keep them, "
                             "since a feed lists only its latest items)")


def _add_notify_flag(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--notify", default="", metavar="URL",
                        help="POST each change of a followed question (`rag follow`) to this URL as JSON, in the "
                             "background, with retries (a failure is logged; the change stays recorded)")


def _add_filter_flags(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--source", action="append", default=[], metavar="SOURCE",
                        help="only passages from this source (exact, or a folder prefix of the path); repeatable")
    parser.add_argument("--since", default=None, metavar="DATE",
                        help="only articles published on or after this date (YYYY, YYYY-MM or YYYY-MM-DD)")
    parser.add_argument("--until", default=None, metavar="DATE",
                        help="only articles published on or before this date (YYYY, YYYY-MM or YYYY-MM-DD)")


def _filters(arguments: argparse.Namespace) -> Any:
    """The search filters the flags ask for, or None (`rag.records.Filters.parse`: the chat's and the API's too)."""
    from rag.records import Filters

    return Filters.parse(arguments.source, arguments.since, arguments.until)


def _in_index(filters: Any, articles: Mapping[str, Any]) -> Any:
    """`filters` with each `--source` naming a file or folder on disk replaced by the sources of the index's
    `articles` read from there (`_sources_on_disk`)."""
    if filters is None or not filters.sources:
        return filters
    sources = tuple(dict.fromkeys(found for chosen in filters.sources
                                  for found in _sources_on_disk(chosen, articles.values())))
    return dataclasses.replace(filters, sources=sources)


def _sources_on_disk(chosen: str, records: Iterable[Any]) -> list[str]:
    """The sources a `--source` value names: itself, or, when it is a file or folder on disk that indexed articles
    were read from, their sources (which are named relative to the folder indexed: `rag index corpus` names
    corpus/ferry.html "ferry.html", so `--source corpus` found nothing)."""
    path = Path(chosen).expanduser()
    if not path.exists():
        return [chosen]
    from rag.ingest.indexer import under_path

    root = str(path.resolve())
    under = [record.source for record in records if under_path(record.path, root)]
    return list(dict.fromkeys(under)) or [chosen]


def _add_setting_flags(parser: argparse.ArgumentParser, names: Sequence[str]) -> None:
    fields = {setting.name: setting for setting in dataclasses.fields(Settings)}
    for name in names:
        setting = fields[name]
        kind = {"int": int, "float": float}.get(str(setting.type), str)
        flags = ["-k"] if name == "k" else [f"--{name.replace('_', '-')}"]
        parser.add_argument(*flags, dest=name, type=kind, default=None, metavar=name.upper(),
                            help=_help_text(f"{setting.metadata['help']} (default: {setting.default!r}; "
                                            f"env RAG_{name.upper()})"))


def _help_text(text: str) -> str:
    return text.replace("%", "%%")  # argparse formats help strings with %


# -- commands ----------------------------------------------------------------------------------------------------


def _index(arguments: argparse.Namespace, settings: Settings) -> int:
    from rag.ingest.indexer import UpdateOptions
    from rag.store import index_location, open_store

    location = index_location(settings.index, settings.store)
    options = UpdateOptions.from_settings(
        settings, "index", chunk_tokens=_given(arguments, settings, "chunk_tokens"),
        chunk_overlap=_given(arguments, settings, "chunk_overlap"), rebuild=arguments.rebuild,
        keep_missing=arguments.keep_missing, prune_feeds=arguments.prune_feeds, migrate=arguments.migrate,
        progress=not (arguments.quiet or arguments.json), **_flags_given(arguments, "wait", "checkpoint_seconds"),
    )
    report = _update_index(arguments.sources, settings, options)
    print(report.to_json() if arguments.json else report.summary())
    _followed_changes(location, report, settings)
    if report.nothing_read:
        from rag.ingest.files import SUPPORTED_SUFFIXES

        fix = ("fix the files listed above" if report.failed else
               f"put article files there (read: {' '.join(sorted(SUPPORTED_SUFFIXES))})")
        print(f"rag index: error: no article could be read from {' '.join(arguments.sources)}, so the index was "
              f"left as it was: {fix} (to empty the index, {open_store(location).emptying})",
              file=sys.stderr)
        return 1
    if arguments.strict and report.failed:
        print(f"rag index: error: {len(report.failed)} source(s) failed (--strict); the readable articles were "
              f"indexed", file=sys.stderr)
        return 1
    return 0


def _followed_changes(location: str, report: Any, settings: Settings, notifier: Any = None) -> None:
    """Re-ask the followed questions an indexing run may change, within the `follow_budget` setting
    (`rag.follow.after_indexing`; the assistant, and its model, loaded only when one is reached or pending) and say
    which changed and how many are left pending, on stderr."""
    from rag.follow import after_indexing

    refreshed = after_indexing(location, report, lambda: _assistant(settings), notifier, settings.follow_budget)
    for change in refreshed.changes:
        print(f"followed question {change.followed.id} changed: {change.followed.question}", file=sys.stderr,
              flush=True)
    if refreshed.pending:
        print(f"{refreshed.pending} followed question(s) pending (beyond the {settings.follow_budget:g} s budget, "
              "--follow-budget): asked by the next run, or now with `rag follow refresh`", file=sys.stderr, flush=True)


def _update_index(sources: Sequence[str], settings: Settings, options: UpdateOptions) -> IndexReport:
    """One `rag.ingest.indexer.update_index` run with `options`, into the index the settings name, with their
    embedder (loaded lazily) and web client."""
    from rag.ingest.indexer import update_index
    from rag.ingest.web import WebClient
    from rag.store import index_location

    with WebClient.from_settings(settings) as web:
        return update_index([local_path(source) for source in sources],
                            index_location(settings.index, settings.store), _lazy_embedder(settings), options, web=web)


def local_path(source: str) -> str:
    """A source as the indexer takes it: a `file://` address as the path it names (it was "does not exist").

    >>> local_path("file:///home/me/My%20articles"), local_path("https://x.example/feed.xml"), local_path("news")
    ('/home/me/My articles', 'https://x.example/feed.xml', 'news')
    """
    from urllib.parse import unquote, urlparse

    if source[:7].lower() != "file://":
        return source
    return unquote(urlparse(source).path)


def _lazy_embedder(settings: Settings) -> LazyEmbedder:
    """The settings' embedder, loaded only if something needs embedding: a rerun with nothing new never pays for
    the model."""
    from rag.ingest.lazy_embedder import LazyEmbedder

    return LazyEmbedder.for_setting(settings.embedder, batch_size=settings.batch_size,
                                    backend=settings.embed_backend, cache=settings.cache)


def _flags_given(arguments: argparse.Namespace, *names: str) -> dict[str, Any]:
    """The values of the flags (default None) given on the command line: the others are left to the defaults of
    the kind of run (`rag.ingest.indexer.RUN_DIFFERENCES`)."""
    return {name: getattr(arguments, name) for name in names if getattr(arguments, name) is not None}


def _watch(arguments: argparse.Namespace, settings: Settings) -> int:
    """Rerun the index every --every until Ctrl-C or SIGTERM (or --runs); a line per run on stdout."""
    import functools
    import signal

    from rag.follow import Notifier
    from rag.ingest.indexer import UpdateOptions, update_index
    from rag.ingest.intervals import describe_interval, parse_interval
    from rag.ingest.watch import Watcher
    from rag.ingest.web import WebClient
    from rag.store import index_location, open_store

    every = parse_interval(arguments.every)
    options = UpdateOptions.from_settings(settings, "watch", keep_missing=arguments.keep_missing,
                                          prune_feeds=arguments.prune_feeds, **_flags_given(arguments, "wait"))
    embedder = _lazy_embedder(settings)  # one for every run, loaded by the first run that has something to embed
    # SIGTERM (a service manager, `kill`) stops it the way Ctrl-C does: at once, the index left whole.
    previous = signal.signal(signal.SIGTERM, signal.default_int_handler)
    with WebClient.from_settings(settings) as web, contextlib.ExitStack() as restore:
        restore.callback(signal.signal, signal.SIGTERM, previous)
        location = index_location(settings.index, settings.store)
        index_run = functools.partial(update_index, folder=location, embedder=embedder, options=options, web=web)
        notifier = Notifier(arguments.notify) if arguments.notify else None

        def run(sources: Sequence[str]) -> IndexReport:
            report = index_run(sources)
            _followed_changes(location, report, settings, notifier)
            return report

        watcher = Watcher([local_path(source) for source in arguments.sources], run, every,
                          log=lambda line: print(line, flush=True), json_log=arguments.json)
        print(f"rag watch: indexing {len(arguments.sources)} source(s) into {open_store(location).name} every "
              f"{describe_interval(every)}; Ctrl-C stops", file=sys.stderr, flush=True)
        try:
            watcher.run(runs=arguments.runs)
        except KeyboardInterrupt:
            print(f"rag watch: stopped after {watcher.runs} run(s); the index is whole (an interrupted run "
                  f"is finished by the next one)", file=sys.stderr, flush=True)
    return 0


def _given(arguments: argparse.Namespace, settings: Settings, name: str) -> Any:
    """A setting's value when a flag or RAG_* variable set it, else None (the index then keeps its own)."""
    if getattr(arguments, name, None) is not None or os.environ.get(f"RAG_{name.upper()}"):
        return getattr(settings, name)
    return None


def _remove(arguments: argparse.Namespace, settings: Settings) -> int:
    from rag.ingest.indexer import remove_articles
    from rag.store import index_location

    removed = remove_articles(index_location(settings.index, settings.store), arguments.articles,
                              wait=arguments.wait or 0.0)
    if arguments.json:
        print(json.dumps({"removed": removed}, ensure_ascii=False, indent=2))
        return 0
    for article_id in removed:
        print(f"removed: {article_id}")
    print(f"removed {len(removed)} article(s); a file still in a folder you index comes back at its next run: "
          f"delete or move it too")
    return 0


def _info(arguments: argparse.Namespace, settings: Settings) -> int:
    from rag.store import index_location, is_database_url, open_index, open_store

    location = index_location(settings.index, settings.store)
    info = open_store(location).info()  # a database's sizes are per table
    if arguments.articles:
        records = sorted(open_index(location).articles.values(), key=lambda record: (record.source, record.id))
        info["article_list"] = [{"id": record.id, "title": record.title, "source": record.source,
                                 "published": record.published, "url": record.url, "passages": record.passages}
                                for record in records]
    if arguments.json:
        print(json.dumps(info, indent=2, ensure_ascii=False))
    else:
        print(f"index:      {info['index']} (generation {info['generation']}, format {info['format_version']})")
        print(f"articles:   {info['articles']}")
        print(f"passages:   {info['passages']}")
        print(f"embedder:   {info['embedder']} ({info['dimension']} dimensions)")
        print(f"chunking:   {info['settings']}")
        vectors = info.get("vectors") or {}
        if vectors:
            probes = f" (nprobe {vectors['nprobe']})" if vectors["nprobe"] else ""
            print(f"vectors:    {vectors['kind']}{probes}, {vectors['bytes_per_passage']} bytes per passage")
        # A database's size per table, as docs/deployment.md promises (a folder's files are in --json)
        tables = info["files"] if is_database_url(location) else {}
        per_table = ", ".join(f"{table} {size / 1e6:.2f} MB" for table, size in tables.items())
        print(f"size:       {info['bytes'] / 1e6:.2f} MB" + (f" ({per_table})" if per_table else ""))
        if info.get("sources"):  # what --source can name (the first 20, by their first path part)
            more = info.get("sources_total", 0) - len(info["sources"])
            unsaid = f", and {more} more (rag info --articles lists every article)" if more > 0 else ""
            print(f"sources:    {', '.join(info['sources'])}{unsaid}")
        if "article_list" in info:
            print("articles (id, date, source, title):")
            for article in info["article_list"]:
                print(f"  {article['id']}  {article['published'] or '-'}  {article['source']}  {article['title']}")
    return 0


def _search(arguments: argparse.Namespace, settings: Settings) -> int:
    filters = _filters(arguments)  # a bad date is refused before the models load
    assistant = _assistant(settings)
    filters = _in_index(filters, assistant.retriever.index.articles)
    found = assistant.retrieve(arguments.question, settings.k, filters)
    hits = found.hits
    if arguments.json:
        print(json.dumps({"question": arguments.question, "search_query": found.query,
                          "period": found.period.to_dict() if found.period else None,
                          "results": [hit.to_dict() for hit in hits]}, ensure_ascii=False, indent=2))
        return 0
    if found.period:
        print(f"period: {found.period.describe()}\n")
    for rank, hit in enumerate(hits, start=1):
        print(f"{rank}. [{hit.score:.3f}] {hit.passage.title} — {hit.passage.location}")
        if hit.same_story:
            print(f"   {reported_by_text(hit.reported_by)}")
        print(_indent(hit.passage.text))
    if not hits and filters and assistant.retriever.lets_nothing_through(filters):
        print(f"no passages found: no indexed article matches your filters ({filters.describe()})")
    elif not hits:
        print("no passages found")
    return 0


def _ask(arguments: argparse.Namespace, settings: Settings) -> int:
    filters = _filters(arguments)
    assistant = _assistant(settings)
    # "Catch me up" is answered with the brief, as the chat does (`Assistant.stream` looks for it)
    answer = _answered(assistant, Query(arguments.question,
                                        filters=_in_index(filters, assistant.retriever.index.articles)))
    if arguments.json:
        print(json.dumps(answer.to_dict(), ensure_ascii=False, indent=2))
        return 0
    _print_answer(answer)
    return 0


def _answered(assistant: Any, query: Any, history: Sequence[tuple[str, str]] = ()) -> Any:
    """The answer to a question, or the brief it asks for (`Assistant.stream` looks for it), as the chat gives it."""
    from rag.answer.assistant import answer_from

    return answer_from(assistant.stream(query, history))


def _print_answer(answer: Any) -> None:
    """An answer as `rag ask` and `rag chat` print it: its text, the period it was asked about, each citation with
    every sentence it quotes."""
    print(answer.text)
    if answer.period:
        print(f"\nperiod: {answer.period.describe()}")
    for citation in answer.citations:
        passage = citation.passage
        print(f"\n[{citation.number}] {passage.title}{kind_mark(citation)} — {passage.location}")
        if citation.same_story:
            print(f"   {reported_by_text(citation.reported_by)}")
        # Every quoted sentence, as the chat highlights them: a two-part answer's parts may cite one passage.
        for quote in citation.quotes or [passage.text]:
            print(_indent(quote))


CHAT_END = frozenset({"exit", "quit", ":q"})
"""What ends `rag chat` (as the end of its input does)."""


def _chat(arguments: argparse.Namespace, settings: Settings) -> int:
    """Question after question from the terminal (or a pipe), each answered in the conversation so far: a follow-up
    ("How much did it cost?") is about what the earlier turns were about, as in the web chat."""
    from rag.errors import InvalidRequestError

    filters = _filters(arguments)
    assistant = _assistant(settings)
    filters = _in_index(filters, assistant.retriever.index.articles)
    history: list[tuple[str, str]] = []
    interactive = sys.stdin.isatty()
    if interactive:
        print("Ask about the indexed articles; a follow-up may say 'it' or 'she'. 'exit' or Ctrl-D ends.",
              file=sys.stderr)
    while True:
        try:
            line = input("> " if interactive else "")
        except EOFError:
            return 0
        question = line.strip()
        if question.lower() in CHAT_END:
            return 0
        if not question:
            continue
        if not interactive and not arguments.json:
            print(f"> {question}")  # a transcript of piped questions reads as a conversation
        try:
            answer = _answered(assistant, Query(question, filters=filters), history)
        except InvalidRequestError as error:  # a bad question ends no conversation
            print(f"rag chat: error: {error}", file=sys.stderr)
            continue
        history.append((question, answer.text))
        if arguments.json:
            print(json.dumps(answer.to_dict(), ensure_ascii=False), flush=True)
        else:
            _print_answer(answer)
            print(flush=True)



def _follow(arguments: argparse.Namespace, settings: Settings) -> int:
    from rag.errors import InvalidRequestError
    from rag.follow import add_follow, ask_pending, list_follows, remove_follow
    from rag.store import index_location
    from rag.store.follows import open_follows

    store = open_follows(index_location(settings.index, settings.store))
    if arguments.action == "add":
        if not arguments.text.strip():
            raise InvalidRequestError('rag follow add needs the question: rag follow add "Has the footbridge '
                                      'reopened?"')
        followed = add_follow(store, arguments.text, _assistant(settings))
        shown: Any = followed.to_dict() if arguments.json else f"following {followed.id}: {followed.question}"
    elif arguments.action == "refresh":
        def progress(number: int, total: int, followed: Any) -> None:
            print(f"asking {number}/{total}: {followed.question}", file=sys.stderr, flush=True)

        refreshed = ask_pending(store, _assistant(settings), on_progress=None if arguments.json else progress)
        changed = [f"changed {change.followed.id}: {change.followed.question}" for change in refreshed.changes]
        shown = refreshed.to_dict() if arguments.json else "\n".join(
            [*changed, f"asked {refreshed.asked} pending question(s), {len(changed)} changed"])
    elif arguments.action == "remove":
        followed = remove_follow(store, arguments.text.strip())
        shown = followed.to_dict() if arguments.json else f"no longer following {followed.id}: {followed.question}"
    else:
        follows = list_follows(store)
        if arguments.json:
            shown = [followed.to_dict() for followed in follows]
        else:
            lines = []
            for followed in follows:
                latest = followed.latest
                lines.append(f"{followed.id}  {followed.question}  ({len(followed.answers)} answer(s)"
                             + (f", last {latest.asked}" if latest else "")
                             + (f"; pending since {followed.pending.since})" if followed.pending else ")"))
                if latest:
                    lines.append(_indent(latest.text))
            shown = "\n".join(lines) or "no question is followed on this index"
    print(json.dumps(shown, ensure_ascii=False, indent=2) if arguments.json else shown)
    return 0


def _brief(arguments: argparse.Namespace, settings: Settings) -> int:
    from rag.answer.brief import STORIES, brief
    from rag.answer.timeframe import parse_as_of

    assistant = _assistant(settings)
    found = brief(assistant.retriever, arguments.since, arguments.until, as_of=parse_as_of(settings.as_of),
                  topic=arguments.topic, count=STORIES if arguments.count is None else arguments.count,
                  min_score=settings.min_score)
    if arguments.json:
        print(json.dumps(found.to_dict(), ensure_ascii=False, indent=2))
        return 0
    about = f" about {found.topic!r}" if found.topic else ""
    print(f"period: {found.period.describe()}; {found.articles} article{'' if found.articles == 1 else 's'}{about}\n")
    for rank, story in enumerate(found.stories, start=1):
        print(f"{rank}. {story.headline} ({story.published[:10]})")
        print(_indent(f'"{story.lede.quote}" [{story.lede.passage.location}]'))
        print(f"   {story.reported_by_text}")
        for report in story.reports:
            print(f"     - {report.source}: {report.title}, {report.published[:10]}"
                  + (f" <{report.url}>" if report.url else ""))
    if not found.stories:
        print("no stories in this period" + about)
        for title, published in found.earlier:
            print(f"  newest before then: {title} ({published})")
    elif found.more:
        print(f"\n+{found.more} more {'story' if found.more == 1 else 'stories'} (-n to show more)")
    return 0


def _serve(arguments: argparse.Namespace, settings: Settings) -> int:
    """Serve the API and the chat page the `chat` setting names ("module:function", default "ui.app:build_app";
    empty: the API only). Resolving that name is this edge's job: `rag.serve` never imports the UI."""
    import importlib

    from rag.errors import InvalidRequestError
    from rag.serve import serve

    chat = None
    if settings.chat:
        module_name, _, function_name = settings.chat.partition(":")
        if not module_name or not function_name:
            raise InvalidRequestError(f"chat must be 'module:function' (or empty for the API only), got "
                                      f"{settings.chat!r}")
        try:
            chat = getattr(importlib.import_module(module_name), function_name)
        except (ImportError, AttributeError) as error:
            raise InvalidRequestError(f"cannot load the chat page {settings.chat!r} (the `chat` setting, "
                                      f"RAG_CHAT): {error}") from None
        if not callable(chat):
            raise InvalidRequestError(f"the chat page {settings.chat!r} is not a function")
    watch = None
    if arguments.watch:
        from rag.ingest.indexer import UpdateOptions
        from rag.ingest.intervals import parse_interval
        from rag.serve.start import Watching
        from rag.store.generations import live_generation_name

        watch = Watching(tuple(local_path(source) for source in arguments.watch), parse_interval(arguments.every),
                         arguments.prune_feeds, arguments.notify)
        if live_generation_name(settings.index) is None:  # a first start: build the index the server will serve
            print(f"No index in {settings.index} yet: indexing the watched sources first", file=sys.stderr, flush=True)
            options = UpdateOptions.from_settings(settings, "index", prune_feeds=arguments.prune_feeds)
            report = _update_index(arguments.watch, settings, options)
            print(report.summary(), file=sys.stderr, flush=True)
    from rag.errors import StoreUnavailableError

    try:
        serve(settings, chat=chat, announce=lambda message: print(message, file=sys.stderr, flush=True), watch=watch)
    except StoreUnavailableError as error:
        # A running server recovers by itself when the database comes back; one that cannot load the index does not
        # start at all, and nothing here tries again: that is a service manager's restart policy.
        raise type(error)(f"{error}; the server did not start: start it again once the database answers (a "
                          f"service manager's restart policy, such as systemd's Restart=on-failure, does)") from None
    return 0


def _eval(arguments: argparse.Namespace, settings: Settings) -> int:
    from rag.evaluate import evaluate, load_questions, summary, unknown_articles

    articles = None
    if arguments.held_out:
        from rag.models.answer_finder import held_out_articles

        articles = held_out_articles()
    questions = load_questions(arguments.questions, arguments.limit, arguments.seed, articles)
    filters = _filters(arguments)
    assistant = _assistant(settings)
    filters = _in_index(filters, assistant.retriever.index.articles)
    # The index's own articles, before any filter: a question about an article left out of the index is a "not in
    # my articles" question (refusing is right); one that a filter hides is still scored as indexed.
    indexed = set(assistant.retriever.index.articles)
    unknown = unknown_articles(questions, indexed)
    if unknown:
        print(_unknown_articles_note(unknown, questions, indexed), file=sys.stderr, flush=True)
    if filters:
        assistant = _Filtered(assistant, filters)

    def progress(done: int, total: int) -> None:
        if not arguments.json and sys.stderr.isatty():
            print(f"\r{done}/{total} questions", end="", file=sys.stderr, flush=True)

    with contextlib.ExitStack() as stack:
        record = None
        if arguments.details:
            arguments.details.parent.mkdir(parents=True, exist_ok=True)
            details = stack.enter_context(arguments.details.open("w", encoding="utf-8"))

            def record(detail: dict[str, Any]) -> None:
                details.write(json.dumps(detail, ensure_ascii=False) + "\n")
                details.flush()

        report = evaluate(assistant, questions, answers=not arguments.retrieval_only, progress=progress,
                          record=record, indexed=indexed)
    report["settings"] = settings.describe()
    if filters:
        report["filters"] = filters.to_dict()
    text = json.dumps(report, indent=2, ensure_ascii=False)
    if arguments.out:
        arguments.out.parent.mkdir(parents=True, exist_ok=True)
        arguments.out.write_text(text + "\n", "utf-8")
    print(text if arguments.json else summary(report))
    return 0


def _unknown_articles_note(unknown: Sequence[str], questions: Sequence[Any], indexed: Collection[str]) -> str:
    """What `rag eval` says before scoring questions whose `article_id` the index does not hold: right for a
    "not in my articles" set, a mistake when the ids were written differently from the index's (a folder's articles
    are identified by their file's path), which would otherwise show only as missing figures."""
    count = sum(question.article_id in set(unknown) for question in questions)
    named = ", ".join(repr(article) for article in unknown[:3]) + (", ..." if len(unknown) > 3 else "")
    examples = ", ".join(repr(article) for article in sorted(indexed)[:2])
    return (f"note: {count} of {len(questions)} questions name an article_id the index does not hold ({named}): "
            f"they are scored as questions whose article is not indexed, on refusal alone. If they are about indexed "
            f"articles, use the index's ids (such as {examples or 'none: the index is empty'}; `rag info --articles` "
            f"lists them) or leave article_id out.")


def _assistant(settings: Settings) -> Any:
    from rag.answer.assistant import Assistant

    return Assistant.load(settings=settings)


class _Filtered:
    """An assistant whose every search and answer is restricted by the same filters (for `rag eval`)."""

    def __init__(self, assistant: Any, filters: Any) -> None:
        self.assistant = assistant
        self.filters = filters

    def search(self, question: str, k: int | None = None) -> Any:
        return self.assistant.search(question, k, filters=self.filters)

    def ask(self, question: str, history: Sequence[tuple[str, str]] = (), k: int | None = None) -> Any:
        return self.assistant.ask(question, history, k, filters=self.filters)


def _indent(text: str, width: int = 400) -> str:
    text = " ".join(text.split())
    return "   " + (text if len(text) <= width else text[:width] + "…")


if __name__ == "__main__":
    sys.exit(main())
