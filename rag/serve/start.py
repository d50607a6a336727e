"""Starting the server: `serve(settings)` for `rag serve` and `ui.launch`, and `running(app)` for tests and
benchmarks.

`serve` refuses a non-loopback address without a token, sets the thread budgets (`set_thread_budgets`), loads the
index and the model and has the model write one token (`check_model`), wraps it in the generation queue
(`rag.serve.queue.QueuedLLM`: one worker for a local model; retrieval runs in each request's thread,
concurrently), then runs uvicorn until interrupted. Given `watch` (`rag serve --watch SOURCE`), it also keeps those
sources indexed in a background thread (`rag.ingest.watch.Watcher`), with the served index's own embedder; the
retriever switches to each new generation before the next question.
"""

from __future__ import annotations

import contextlib
import errno
import logging
import socket
import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from rag.errors import InvalidRequestError, ModelError, RagError
from rag.records import Prompt
from rag.redact import masked
from rag.serve.app import ChatBuilder, article_adder, create_app
from rag.serve.middleware import check_exposure, loopback_hosts
from rag.serve.queue import QueuedLLM
from rag.settings import Settings

if TYPE_CHECKING:
    from rag.answer.assistant import Assistant
    from rag.follow import FollowWorker
    from rag.models.llm import LLM

log = logging.getLogger(__name__)

PROBE = Prompt(({"role": "user", "content": "Reply with one word."},), "The", ())
"""What the start-up check asks of the model: one token of anything."""


@dataclass(frozen=True)
class Watching:
    """Sources `serve` keeps indexed while it runs: rerun every `every` seconds (`rag serve --watch`)."""

    sources: tuple[str, ...]
    every: float
    prune_feeds: bool = False
    notify: str = ""
    """A URL each change of a followed question is POSTed to as JSON (`rag.follow.Notifier`); "" for none."""


def serve(settings: Settings, *, chat: ChatBuilder | None = None,
          announce: Callable[[str], None] | None = None, watch: Watching | None = None) -> None:
    """Serve the API (and, given `chat`, the chat page at /) on settings.host:settings.port until interrupted.

    The model is loaded and asked for one token before the server opens: a model that cannot load, or that
    crashes on its first token (llama-cpp-python built for another CPU), is a `ModelError` here, with what to
    do, rather than a chat whose every answer fails. `announce` receives one-line progress messages."""
    check_exposure(settings.host, settings.token)
    listening = bound_socket(settings.host, settings.port)  # before the model loads: a busy port is said at once
    try:
        _serve_on(listening, settings, chat, announce, watch)
    finally:
        listening.close()


def _serve_on(listening: socket.socket, settings: Settings, chat: ChatBuilder | None,
              announce: Callable[[str], None] | None, watch: Watching | None) -> None:
    import uvicorn

    budgets = set_thread_budgets(settings)
    if announce:
        announce(f"Loading the index and the language model "
                 f"({masked(settings.llm_url) if settings.llm_url else settings.llm})...")
    assistant, queued = load_served_assistant(settings)
    follows = follow_worker(assistant, queued, watch.notify if watch else "")
    app = create_app(assistant, token=settings.token, queued=queued, add_articles=article_adder(assistant, follows),
                     chat=chat, hosts=loopback_hosts(settings.host))
    host = f"[{settings.host}]" if ":" in settings.host else settings.host
    if announce:
        stats = assistant.stats()
        page = "chat at /, " if chat is not None else ""
        announce(f"Serving {stats.get('passages', 0)} passages on http://{host}:{settings.port} ({page}API "
                 f"docs at /docs; threads: {budgets})")
    stop = threading.Event()
    watcher = start_watching(assistant, settings, watch, stop, announce, follows) if watch else None
    try:
        config = uvicorn.Config(app, host=settings.host, port=settings.port, log_level="warning",
                                timeout_graceful_shutdown=5)
        uvicorn.Server(config).run(sockets=[listening])
    finally:
        stop.set()
        if follows is not None:
            follows.stop()  # after the question being asked: the others stay pending for the next start
        if watcher is not None:
            # A run still fetching is left to end with the process: the index only ever switches to a whole
            # generation, and the next start finishes the work.
            watcher.join(timeout=5)
        queued.close()


def bound_socket(host: str, port: int) -> socket.socket:
    """A socket bound to host:port for the server to listen on; a RagError with the fix when it cannot be (a port
    in use was said only after the model had loaded and "Serving … on" was printed)."""
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    listening = socket.socket(family, socket.SOCK_STREAM)
    listening.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)  # as uvicorn does: a restart reuses the port
    if not 0 <= port <= 65535:
        listening.close()
        raise RagError(f"port {port} is no port: give --port a number from 1 to 65535 (default 7860)")
    try:
        listening.bind((host, port))
    except OSError as error:
        listening.close()
        if error.errno == errno.EADDRINUSE:
            raise RagError(f"port {port} on {host} is in use (another `rag serve`, or another program): stop it, or "
                           f"give another port with --port") from None
        raise RagError(f"cannot listen on {host}:{port} ({error.strerror or error}): give another --host or "
                       f"--port") from None
    return listening


def follow_worker(assistant: Assistant, queued: QueuedLLM, notify: str = "") -> FollowWorker | None:
    """The served index's worker asking its pending followed questions in the background (`rag.follow.FollowWorker`),
    started (it first asks those left pending before this start), each question asked only while no user's question
    waits for the model or is being answered; None without an index on disk."""
    from rag.follow import FollowWorker, Notifier

    # An assistant without an index on disk (a stand-in in tests, a remote store's reader) has nothing to follow.
    location = getattr(getattr(getattr(assistant, "retriever", None), "index", None), "location", "")
    if not location:
        return None

    def idle() -> bool:
        status = queued.status()
        return status["waiting"] == 0 and status["running"] == 0

    return FollowWorker(location, lambda: assistant, Notifier(notify) if notify else None, idle=idle).start()


def start_watching(assistant: Assistant, settings: Settings, watch: Watching, stop: threading.Event,
                   announce: Callable[[str], None] | None = None,
                   follows: FollowWorker | None = None) -> threading.Thread:
    """Keep `watch.sources` indexed into the served index in a daemon thread until `stop` is set; returns it.

    Each run uses the served retriever's embedder (no second model in memory) and then refreshes the retriever,
    so that the next question already searches the new articles. The runs are those of `rag watch` with the same
    settings (`UpdateOptions.from_settings(settings, "watch")`). The followed questions a run may change are queued
    for `follows` (the server's worker; else one of its own), which asks them in the background."""
    from rag.ingest.indexer import IndexReport, UpdateOptions, update_index
    from rag.ingest.intervals import describe_interval
    from rag.ingest.watch import Watcher
    from rag.ingest.web import WebClient

    retriever = assistant.retriever
    folder = retriever.index.location  # the served index: a folder, or a database
    if not folder:
        raise InvalidRequestError("--watch needs an index on disk to write to (--index FOLDER) or --store URL")
    web = WebClient.from_settings(settings)
    options = UpdateOptions.from_settings(settings, "watch", prune_feeds=watch.prune_feeds)  # as `rag watch` runs

    from rag.follow import FollowWorker, Notifier

    worker = follows or FollowWorker(folder, lambda: assistant, Notifier(watch.notify) if watch.notify else None)

    def run(sources: Any) -> IndexReport:
        report = update_index(sources, folder, retriever.embedder, options, web=web)
        retriever.refresh()
        worker.queue(report)  # the followed questions the run may change: asked in the background
        return report

    def loop() -> None:
        try:
            Watcher(watch.sources, run, watch.every, log=announce or log.info).run(stop)
        except RagError as error:  # an index built with another embedder, say: every run would fail the same way
            log.error("watching stopped: %s", error)
        except Exception:  # a bug in one run must not go unseen: the server keeps serving what it has
            log.exception("watching stopped")
        finally:
            web.close()

    thread = threading.Thread(target=loop, name="rag-watch", daemon=True)
    thread.start()
    if announce:
        announce(f"Watching {len(watch.sources)} source(s), every {describe_interval(watch.every)}")
    return thread


def set_thread_budgets(settings: Settings) -> dict[str, int]:
    """Fix the CPU threads of each library while serving, so that retrieval and generation share the cores
    instead of fighting over them.

    - Query embedding (torch) uses `embed_threads` (1): one short query gains nothing from more threads, and with
      several, OpenMP workers spin-wait and a query that takes 15 ms alone takes 30 times longer while the model
      is generating on the other core.
    - FAISS searches with 1 thread: a flat search over thousands of passages takes well under a millisecond, and
      its OpenMP pool would spin against llama.cpp in the same way.
    - llama.cpp uses `threads` (0 = all cores): generation is the long, compute-bound step, run by one worker.
    """
    import os

    with contextlib.suppress(ImportError):
        import faiss

        faiss.omp_set_num_threads(1)
    cores = os.cpu_count() or 1
    return {"embedding": settings.embed_threads or cores, "faiss": 1, "llm": settings.threads or cores}


def load_served_assistant(settings: Settings) -> tuple[Assistant, QueuedLLM]:
    """The assistant `rag serve` shares between users: its model, loaded and checked (`check_model`), runs behind
    a `QueuedLLM` (`llm_workers` workers; by default 1 for a local model, 4 for a model server).

    Returns the assistant and the queue (for its status; `close()` it when done)."""
    from rag.answer.assistant import Assistant

    base = Assistant.load(settings=settings)
    llm = base.llm  # loaded now, so that a model that cannot load fails before the server opens
    check_model(llm, remote=bool(settings.llm_url))
    workers = settings.llm_workers or (4 if settings.llm_url else 1)
    queued = QueuedLLM(llm, workers=workers)
    return Assistant(base.retriever, queued, base.settings, base.finder, reader=base.reader_source), queued


def check_model(llm: LLM, remote: bool = False) -> None:
    """Have `llm` write one token. A local model that fails raises `ModelError`; a remote server that is not up
    yet is only logged (it may come up later, and every question says so until then)."""
    try:
        for _ in llm.stream(PROBE, max_tokens=1):
            break
    except ModelError as error:
        if not remote:
            raise
        log.warning("the model server is not answering yet: %s", error)


@contextlib.contextmanager
def running(app: Any, host: str = "127.0.0.1", port: int = 0, timeout: float = 60.0) -> Iterator[str]:
    """Run `app` with uvicorn in a background thread (tests, benchmarks); yields its base URL, stops on exit."""
    import socket

    import uvicorn

    if port == 0:
        with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
            probe.bind((host, 0))
            port = int(probe.getsockname()[1])
    server = uvicorn.Server(uvicorn.Config(app, host=host, port=port, log_level="warning", lifespan="on"))
    thread = threading.Thread(target=server.run, name="rag-test-server", daemon=True)
    thread.start()
    deadline = time.monotonic() + timeout
    while not server.started:
        if not thread.is_alive() or time.monotonic() > deadline:
            raise RuntimeError(f"the server on {host}:{port} did not start")
        time.sleep(0.05)
    try:
        yield f"http://{host}:{port}"
    finally:
        server.should_exit = True
        thread.join(timeout=15)
