"""Throughput and latency of the HTTP server under concurrent clients, for the benchmark and the README table.

`measure_concurrency(url, questions, levels)` sends questions from 1, 4, 16... simultaneous clients to a running
server on this machine (loopback only: it is a load test) and returns one `LoadResult` per level. Questions are
streamed (`/api/ask` with `"stream": true`), so it measures both the time to the first words and the time to the
whole answer. `/api/search` measures retrieval alone.

    python -m tools.loadtest --index index --clients 1 4 16             # starts the server in-process, on loopback
    python -m tools.loadtest --index index --endpoint search --clients 1 4 16
"""

from __future__ import annotations

import argparse
import json
import sys
import threading
import time
from collections.abc import Sequence
from dataclasses import asdict, dataclass
from typing import Any
from urllib.parse import urlsplit

import httpx

from rag.errors import InvalidRequestError
from rag.serve.middleware import is_loopback

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
    arguments = parser.parse_args(argv)
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

