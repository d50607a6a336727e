"""Throughput and latency of the HTTP server under concurrent clients, for the benchmark and the README table.

`measure_concurrency(url, questions, levels)` sends questions from 1, 4, 16... simultaneous clients to a running
server on this machine (loopback only: it is a load test) and returns one `LoadResult` per level. Questions are
streamed (`/api/ask` with `"stream": true`), so it measures both the time to the first words and the time to the
whole answer. `/api/search` measures retrieval alone.

    python -m tools.loadtest --index index --clients 1 4 16             # starts the server in-process, on loopback
    python -m tools.loadtest --index index --endpoint search --clients 1 4 16

Load on a shared index (issue 23, `--shared`): `rag serve` processes side by side on one index (a PostgreSQL
database: a private embedded server, `tools.local_postgres`; or an index folder, beside it for comparison), each
with its clients asking `/api/ask` as fast as answers come. Generation is a stand-in OpenAI-compatible endpoint
(`StandInLLM`, through `--llm-url`) that answers at once, so what is measured is the servers' own work per question
(query embedding, retrieval in the database, the answer checks). With `--restart-at`, the database is restarted
mid-run: questions asked while it is away get 503 with Retry-After, which the clients honour and ask again;
nothing may be lost (every question asked is answered in the end) and nothing else may fail. With `--rebuild-at`,
a `rag index --rebuild` runs mid-run: every question is answered throughout (the generation switch).

    python -m tools.loadtest --shared --servers 3 --clients-each 8 --seconds 30 --restart-at 10
    python -m tools.loadtest --shared --endpoint search ...        # retrieval alone: embedding and the store
"""

from __future__ import annotations

import argparse
import contextlib
import json
import os
import re
import shutil
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Callable, Sequence
from dataclasses import asdict, dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import httpx

from rag.errors import InvalidRequestError
from rag.serve.middleware import is_loopback
from tools.processes import free_port, serving

SAMPLE_QUESTIONS = (
    "When did the Maplewood footbridge reopen, and how much did the repairs cost?",
    "How many visitors did the 2026 Harbour Lights festival attract?",
    "By how much did the surface water of Lake Orwin warm between 1990 and 2025?",
    "Who won the women's single sculls at the 47th Lenn Valley Regatta, and in what time?",
    "How many homes and businesses had fibre broadband by the end of September 2026?",
    "What was the Dunmore Dairy Cooperative's revenue for 2025?",
    "What budget did Maplewood council approve for 2027, and by how many votes?",
    "What designation did the comet found at Kestrel Hill Observatory receive?",
)
"""The questions of rag/samples/ABOUT: each is answered by a different sample article."""


@dataclass(frozen=True)
class LoadResult:
    """One concurrency level: `requests` sent by `clients` clients in `seconds` of wall time."""

    clients: int
    requests: int
    errors: int
    seconds: float
    throughput: float
    """Answered requests per second over the whole level."""
    latency_p50: float
    latency_p95: float
    latency_max: float
    first_text_p50: float | None
    """Median time to the first words of the answer (streamed asks only)."""

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


def percentile(values: Sequence[float], share: float) -> float:
    """The `share` quantile of `values` by the nearest-rank method (0 for no values).

    >>> percentile([4.0, 1.0, 3.0, 2.0], 0.5), percentile([4.0, 1.0, 3.0, 2.0], 0.95), percentile([], 0.5)
    (2.0, 4.0, 0.0)
    """
    if not values:
        return 0.0
    ordered = sorted(values)
    rank = max(1, int(-(-share * len(ordered) // 1)))  # ceil(share * n), at least 1
    return ordered[min(rank, len(ordered)) - 1]


def measure_concurrency(url: str, questions: Sequence[str] = SAMPLE_QUESTIONS, levels: Sequence[int] = (1, 4, 16), *,
                        endpoint: str = "ask", min_requests: int = 4, token: str = "",
                        timeout: float = 600.0) -> list[LoadResult]:
    """For each level, `clients` threads send `max(clients, min_requests)` requests in all, as fast as answers come.

    `endpoint` is "ask" (streamed answers) or "search" (retrieval only). Only loopback servers are measured.
    """
    host = urlsplit(url).hostname or ""
    if not is_loopback(host):
        raise InvalidRequestError(f"the load test only targets servers on this machine (loopback), not {host!r}")
    if endpoint not in ("ask", "search"):
        raise InvalidRequestError(f"endpoint must be 'ask' or 'search', got {endpoint!r}")
    headers = {"Authorization": f"Bearer {token}"} if token else {}
    results = []
    with httpx.Client(base_url=url.rstrip("/"), timeout=timeout, headers=headers,
                      limits=httpx.Limits(max_connections=max(levels) + 4)) as client:
        _request(client, endpoint, questions[0])  # warm up: the model loads, caches fill
        for clients in levels:
            results.append(_level(client, endpoint, questions, clients, max(clients, min_requests)))
    return results


def _level(client: httpx.Client, endpoint: str, questions: Sequence[str], clients: int,
           total: int) -> LoadResult:
    lock = threading.Lock()
    taken = 0
    latencies: list[float] = []
    first_texts: list[float] = []
    errors = 0

    def work() -> None:
        nonlocal taken, errors
        while True:
            with lock:
                if taken >= total:
                    return
                question = questions[taken % len(questions)]
                taken += 1
            try:
                latency, first_text = _request(client, endpoint, question)
            except (httpx.HTTPError, RuntimeError):
                with lock:
                    errors += 1
                continue
            with lock:
                latencies.append(latency)
                if first_text is not None:
                    first_texts.append(first_text)

    started = time.perf_counter()
    threads = [threading.Thread(target=work, name=f"load-client-{number}") for number in range(clients)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    seconds = time.perf_counter() - started
    return LoadResult(
        clients=clients, requests=total, errors=errors, seconds=round(seconds, 3),
        throughput=round(len(latencies) / seconds, 3) if seconds else 0.0,
        latency_p50=round(percentile(latencies, 0.5), 3), latency_p95=round(percentile(latencies, 0.95), 3),
        latency_max=round(max(latencies, default=0.0), 3),
        first_text_p50=round(percentile(first_texts, 0.5), 3) if first_texts else None,
    )


def _request(client: httpx.Client, endpoint: str, question: str) -> tuple[float, float | None]:
    """(seconds to the complete response, seconds to the first text piece or None)."""
    started = time.perf_counter()
    if endpoint == "search":
        client.post("/api/search", json={"question": question}).raise_for_status()
        return time.perf_counter() - started, None
    first_text: float | None = None
    event = ""
    with client.stream("POST", "/api/ask", json={"question": question, "stream": True}) as response:
        response.raise_for_status()
        for line in response.iter_lines():
            if line.startswith("event:"):
                event = line[6:].strip()
            elif line.startswith("data:"):
                if event == "text" and first_text is None:
                    first_text = time.perf_counter() - started
                elif event == "error":
                    raise RuntimeError(line[5:].strip())
    return time.perf_counter() - started, first_text


def format_table(results: Sequence[LoadResult]) -> str:
    """A Markdown table of the results.

    >>> print(format_table([LoadResult(1, 4, 0, 8.0, 0.5, 2.0, 2.5, 2.5, 0.4)]))
    | clients | requests | errors | answers/s | latency p50 (s) | latency p95 (s) | first words p50 (s) |
    | --- | --- | --- | --- | --- | --- | --- |
    | 1 | 4 | 0 | 0.50 | 2.00 | 2.50 | 0.40 |
    """
    lines = ["| clients | requests | errors | answers/s | latency p50 (s) | latency p95 (s) | first words p50 (s) |",
             "| --- | --- | --- | --- | --- | --- | --- |"]
    for result in results:
        first = "—" if result.first_text_p50 is None else f"{result.first_text_p50:.2f}"
        lines.append(f"| {result.clients} | {result.requests} | {result.errors} | {result.throughput:.2f} | "
                     f"{result.latency_p50:.2f} | {result.latency_p95:.2f} | {first} |")
    return "\n".join(lines)


# -- load on a shared index (issue 23) -------------------------------------------------------------------------------

PROJECT = Path(__file__).resolve().parent.parent
SAMPLES = PROJECT / "rag" / "samples"
RETRY_AFTER_CAP = 10.0
"""The longest a client waits before asking again after a 503, whatever its Retry-After says."""
GRACE = 60.0
"""Seconds after the run's end that questions still waiting for an answer (after a 503) may take to get one."""


class StandInLLM:
    """An OpenAI-compatible endpoint on a free loopback port (`/v1/chat/completions` and `/v1/completions`,
    streamed) that answers at once: the first sentence of passage [1] of the prompt, cited, so that answers pass the
    citation checks as a real model's would. A thread of this process; `url` is its base URL."""

    def __init__(self) -> None:
        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def do_POST(self) -> None:
                body = json.loads(self.rfile.read(int(self.headers.get("Content-Length", "0"))) or b"{}")
                chat = self.path.endswith("/chat/completions")
                prompt = (" ".join(str(message.get("content", "")) for message in body.get("messages", []))
                          if chat else str(body.get("prompt", "")))
                reply = stand_in_reply(prompt)
                chunk = {"choices": [{"delta": {"content": reply}} if chat else {"text": reply}]}
                data = f"data: {json.dumps(chunk)}\n\ndata: [DONE]\n\n".encode()
                self.send_response(200)
                self.send_header("Content-Type", "text/event-stream")
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)

            def log_message(self, format: str, *args: object) -> None:
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.server.daemon_threads = True
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}/v1"
        self.thread = threading.Thread(target=self.server.serve_forever, name="stand-in-llm", daemon=True)

    def __enter__(self) -> StandInLLM:
        self.thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.server.shutdown()
        self.server.server_close()


def stand_in_reply(prompt: str) -> str:
    """The stand-in model's answer to `prompt`: passage [1]'s first sentence (its title left out), cited.

    >>> stand_in_reply("Evidence:\\n[1] Harbour news: The festival drew 41,500 visitors. It rained.\\n[2] Other.")
    'The festival drew 41,500 visitors [1].'
    >>> stand_in_reply("no passages")
    'The articles do not say.'
    """
    found = re.search(r"^\[1\] (?:[^:\n]{1,120}: )?(.+?)(?:[.!?](?:\s|$)|$)", prompt, re.MULTILINE)
    return f"{found.group(1).strip()} [1]." if found else "The articles do not say."


@dataclass(frozen=True)
class SharedLoadResult:
    """One run of `measure_shared`: `servers` servers on one index, `clients` clients each, for `seconds`."""

    store: str
    servers: int
    clients: int
    seconds: float
    questions: int
    """Questions asked (each counted once, however many times it was asked again after a 503)."""
    answered: int
    throughput: float
    """Questions answered per second over the run."""
    refused: int
    """Answers that were refusals (the stand-in's words not borne out by the passages): answered all the same."""
    latency_p50: float
    latency_p95: float
    latency_max: float
    unavailable: int
    """503 answers with Retry-After (the database away): asked again after the wait it says."""
    errors: int
    """Anything else that was not an answer: failed requests, other statuses, 503 without Retry-After."""
    lost: int
    """Questions never answered, even in the `GRACE` seconds after the run."""
    disruption: tuple[float, float] | None = None
    """Seconds from the start when the disruption began and ended: the database stopped and started again
    (`--restart-at`), or a rebuild of the index (`--rebuild-at`)."""
    error_samples: tuple[str, ...] = ()

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


def measure_shared(bases: Sequence[str], clients: int, seconds: float, store: str = "postgres",
                   disrupt: Callable[[], None] | None = None, disrupt_at: float = 0.0,
                   questions: Sequence[str] = SAMPLE_QUESTIONS, endpoint: str = "ask") -> SharedLoadResult:
    """`clients` threads per server of `bases` ask `/api/ask` (or `/api/search`: `endpoint`) for `seconds`, each
    question until it is answered (after a 503 with Retry-After, again after the wait, capped at `RETRY_AFTER_CAP`);
    `disrupt` (the database restarted, the index rebuilt) is called `disrupt_at` seconds in. Latency is that of the
    request that was answered."""
    for base in bases:
        host = urlsplit(base).hostname or ""
        if not is_loopback(host):
            raise InvalidRequestError(f"the load test only targets servers on this machine (loopback), not {host!r}")
    lock = threading.Lock()
    latencies: list[float] = []
    counts = {"questions": 0, "answered": 0, "refused": 0, "unavailable": 0, "errors": 0, "lost": 0}
    samples: list[str] = []
    started = time.perf_counter()
    end = started + seconds
    window: list[float] = []

    def client(base: str, number: int) -> None:
        with httpx.Client(base_url=base, timeout=120) as http:
            asked = number
            while time.perf_counter() < end:
                question = questions[asked % len(questions)]
                asked += 1
                with lock:
                    counts["questions"] += 1
                while True:
                    sent = time.perf_counter()
                    problem = ""
                    try:
                        response = http.post(f"/api/{endpoint}", json={"question": question})
                    except httpx.HTTPError as error:
                        problem = f"{type(error).__name__}: {error}"
                    else:
                        if response.status_code == 200:
                            latency = time.perf_counter() - sent
                            refused = endpoint == "ask" and bool(response.json().get("refused"))
                            with lock:
                                counts["answered"] += 1
                                counts["refused"] += refused
                                latencies.append(latency)
                            break
                        retry = response.headers.get("Retry-After", "")
                        if response.status_code == 503 and retry.isdigit():
                            with lock:
                                counts["unavailable"] += 1
                            if time.perf_counter() > end + GRACE:
                                with lock:
                                    counts["lost"] += 1
                                break
                            time.sleep(min(float(retry), RETRY_AFTER_CAP))
                            continue
                        problem = f"{response.status_code}: {response.text[:300]}"
                    with lock:
                        counts["errors"] += 1
                        counts["lost"] += 1
                        if len(samples) < 5:
                            samples.append(problem)
                    break

    def disruptor() -> None:
        time.sleep(max(0.0, started + disrupt_at - time.perf_counter()))
        window.append(time.perf_counter() - started)
        assert disrupt is not None
        disrupt()
        window.append(time.perf_counter() - started)

    threads = [threading.Thread(target=client, args=(base, number), name=f"shared-client-{number}")
               for base in bases for number in range(clients)]
    if disrupt is not None:
        threads.append(threading.Thread(target=disruptor, name="disruption"))
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    elapsed = time.perf_counter() - started
    return SharedLoadResult(
        store=store, servers=len(bases), clients=clients, seconds=round(elapsed, 3), questions=counts["questions"],
        answered=counts["answered"], throughput=round(counts["answered"] / elapsed, 3), refused=counts["refused"],
        latency_p50=round(percentile(latencies, 0.5), 4), latency_p95=round(percentile(latencies, 0.95), 4),
        latency_max=round(max(latencies, default=0.0), 4), unavailable=counts["unavailable"],
        errors=counts["errors"], lost=counts["lost"],
        disruption=(round(window[0], 2), round(window[1], 2)) if len(window) == 2 else None,
        error_samples=tuple(samples))


def shared_load(servers: int = 3, clients: int = 8, seconds: float = 30.0, restart_at: float | None = None,
                stores: Sequence[str] = ("folder", "postgres"), work: Path | None = None, endpoint: str = "ask",
                rebuild_at: float | None = None,
                log: Callable[[str], None] = lambda line: print(line, file=sys.stderr, flush=True),
                ) -> list[SharedLoadResult]:
    """For each of `stores`: index the sample articles (`rag index`, the bundled embedder), start `servers`
    `rag serve` processes on that one index (generation by `StandInLLM`), and `measure_shared` with `clients`
    clients each; for PostgreSQL, the same again with the database restarted `restart_at` seconds in, and with a
    `rag index --rebuild` of the same articles started `rebuild_at` seconds in (the generation switch). `endpoint`
    "search" measures retrieval alone (`/api/search`: query embedding and the store), "ask" whole answers."""
    from tools.local_postgres import LocalPostgres

    folder = Path(tempfile.mkdtemp(prefix="rag-shared-load-")) if work is None else work
    results = []
    environment = {**os.environ, "HF_HUB_OFFLINE": "1"}
    try:
        with StandInLLM() as llm, contextlib.ExitStack() as stack:
            for store in stores:
                database: LocalPostgres | None = None
                if store == "postgres":
                    database = stack.enter_context(LocalPostgres())
                    target = ["--store", database.new_database()]
                else:
                    target = ["--index", str(folder / "index")]
                log(f"shared load: indexing the samples into the {store} store...")
                subprocess.run([sys.executable, "-m", "rag.cli", "index", str(SAMPLES), *target, "--quiet"],
                               check=True, cwd=PROJECT, env=environment, capture_output=True, timeout=900)
                bases = []
                with contextlib.ExitStack() as servers_running:
                    for number in range(servers):
                        port = free_port()
                        base = f"http://127.0.0.1:{port}"
                        command = [sys.executable, "-m", "rag.cli", "serve", *target, "--port", str(port),
                                   "--chat", "", "--llm-url", llm.url, "--llm-workers", str(clients)]
                        if store == "postgres":  # each server's own uploads folder
                            command += ["--index", str(folder / f"server-{number}")]
                        log(f"shared load: starting rag serve {number + 1} of {servers} ({store})...")
                        servers_running.enter_context(serving(command, f"{base}/api/health",
                                                              folder / f"serve-{store}-{number}.log", 300.0,
                                                              cwd=PROJECT))
                        bases.append(base)
                    log(f"shared load: {servers} servers × {clients} clients for {seconds:.0f} s ({store})...")
                    results.append(measure_shared(bases, clients, seconds, store, endpoint=endpoint))
                    if database is not None and restart_at is not None:
                        log(f"shared load: again, the database restarted {restart_at:.0f} s in...")
                        results.append(measure_shared(bases, clients, seconds, f"{store}, restarted",
                                                      _restarter(database), restart_at, endpoint=endpoint))
                    if database is not None and rebuild_at is not None:
                        log(f"shared load: again, the index rebuilt from {rebuild_at:.0f} s in...")
                        rebuild = [sys.executable, "-m", "rag.cli", "index", str(SAMPLES), *target, "--rebuild",
                                   "--quiet"]
                        results.append(measure_shared(bases, clients, seconds, f"{store}, rebuilt",
                                                      _runner(rebuild, environment), rebuild_at, endpoint=endpoint))
    finally:
        if work is None:
            shutil.rmtree(folder, ignore_errors=True)
    return results


def _runner(command: list[str], environment: dict[str, str]) -> Callable[[], None]:
    """A run of `command` (the rebuild) to its end; it must succeed."""

    def run() -> None:
        subprocess.run(command, check=True, cwd=PROJECT, env=environment, capture_output=True, timeout=900)

    return run


def _restarter(database: Any) -> Callable[[], None]:
    """A restart of `database` (a `LocalPostgres`): a fast stop (connections cut), a moment away, a start."""

    def restart() -> None:
        database.stop("fast")
        time.sleep(1.0)
        database.start()

    return restart


def format_shared_table(results: Sequence[SharedLoadResult]) -> str:
    """A Markdown table of `shared_load`'s results.

    >>> row = SharedLoadResult("postgres", 3, 8, 30.0, 600, 600, 20.0, 0, 1.1, 1.9, 2.5, 0, 0, 0)
    >>> print(format_shared_table([row]).splitlines()[-1])
    | postgres | 3 × 8 | 30.0 | 600 | 600 | 20.00 | 1.100 | 1.900 | 0 | 0 | 0 |
    """
    lines = ["| store | servers × clients | seconds | questions | answered | answers/s | p50 (s) | p95 (s) | "
             "503 + Retry-After | errors | lost |",
             "| --- | --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |"]
    for result in results:
        store = result.store + (f" ({result.disruption[0]:.1f}–{result.disruption[1]:.1f} s)"
                                if result.disruption else "")
        lines.append(f"| {store} | {result.servers} × {result.clients} | {result.seconds:.1f} | {result.questions} | "
                     f"{result.answered} | {result.throughput:.2f} | {result.latency_p50:.3f} | "
                     f"{result.latency_p95:.3f} | {result.unavailable} | {result.errors} | {result.lost} |")
    return "\n".join(lines)


def main(argv: Sequence[str] | None = None) -> int:
    from rag.serve.app import create_app
    from rag.serve.start import load_served_assistant, running, set_thread_budgets
    from rag.settings import Settings

    parser = argparse.ArgumentParser(prog="python -m tools.loadtest", description=__doc__.split("\n\n")[0])
    parser.add_argument("--index", default=None, help="index folder (default: the `index` setting)")
    parser.add_argument("--clients", type=int, nargs="+", default=[1, 4, 16], help="concurrency levels")
    parser.add_argument("--endpoint", choices=("ask", "search"), default="ask")
    parser.add_argument("--min-requests", type=int, default=4, help="requests per level at least")
    parser.add_argument("--threads", type=int, default=None, help="LLM threads (default: the `threads` setting)")
    parser.add_argument("--json", action="store_true", help="print JSON instead of a table")
    shared = parser.add_argument_group("load on a shared index (--shared)")
    shared.add_argument("--shared", action="store_true", help="several `rag serve` processes on one index")
    shared.add_argument("--servers", type=int, default=3, help="servers on the shared index (3)")
    shared.add_argument("--clients-each", type=int, default=8, help="clients per server (8)")
    shared.add_argument("--seconds", type=float, default=30.0, help="length of each run (30)")
    shared.add_argument("--restart-at", type=float, default=None,
                        help="also a run with the database restarted this many seconds in")
    shared.add_argument("--rebuild-at", type=float, default=None,
                        help="also a run with `rag index --rebuild` started this many seconds in")
    shared.add_argument("--stores", default="folder,postgres", help="stores to measure: folder,postgres")
    arguments = parser.parse_args(argv)
    if arguments.shared:
        shared_results = shared_load(arguments.servers, arguments.clients_each, arguments.seconds,
                                     arguments.restart_at, arguments.stores.split(","), endpoint=arguments.endpoint,
                                     rebuild_at=arguments.rebuild_at)
        print(json.dumps([result.to_dict() for result in shared_results], indent=2) if arguments.json
              else format_shared_table(shared_results))
        return 0 if all(result.errors == 0 and result.lost == 0 for result in shared_results) else 1
    settings = Settings.from_env(index=arguments.index, threads=arguments.threads)
    budgets = set_thread_budgets(settings)
    assistant, queued = load_served_assistant(settings)
    with running(create_app(assistant, queued=queued)) as url:
        results = measure_concurrency(url, levels=arguments.clients, endpoint=arguments.endpoint,
                                      min_requests=arguments.min_requests)
    queued.close()
    if arguments.json:
        print(json.dumps({"endpoint": arguments.endpoint, "threads": budgets,
                          "results": [result.to_dict() for result in results]}, indent=2))
    else:
        print(f"endpoint /api/{arguments.endpoint}, threads {budgets}")
        print(format_table(results))
    return 0


if __name__ == "__main__":
    sys.exit(main())

