"""`kill -9` of a real `rag index` process at chosen moments (reading, embedding, inside a save, between a save and
the switch, inside a checkpoint), then: the previous index loads and is unchanged, the next run cleans up and
finishes the work. Also two writers through the CLI.

The runs are `rag.cli.main` in a child process (`python -m tests.test_crash SPEC -- ARGS`): the real command,
indexer and store, with two test-only changes made from outside, in the child: the embedder is the fake one (with
an optional delay), and a pause point stops the process at a precise moment and says so in a marker file, so the
test kills it exactly there. One slow test kills the installed `rag` command with the real bundled embedder.
"""

from __future__ import annotations

import json
import os
import re
import signal
import subprocess
import sys
import time
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

import pytest

from tests.conftest import PROJECT, SAMPLES
from tests.test_indexer import state, story, write

DEADLINE = 180.0


# --- the child process ------------------------------------------------------------------------------------------


def _child(argv: Sequence[str]) -> int:
    """Run `rag` with a fake embedder and an optional pause point; see the module docstring."""
    import rag.ingest.files
    import rag.models.embed
    import rag.store.generations
    from rag.cli import main
    from tests.conftest import FakeEmbedder

    spec = json.loads(argv[0])
    arguments = list(argv[2:])
    marker = Path(spec["marker"]) if spec.get("marker") else None
    stage, _, nth = spec.get("pause", "").partition(":")
    wanted = int(nth or 1)
    counts: dict[str, int] = {}

    def reached(name: str) -> None:
        counts[name] = counts.get(name, 0) + 1
        if name == stage and counts[name] == wanted and marker is not None:
            marker.write_text(name)
            time.sleep(DEADLINE * 2)  # killed here by the test

    class Embedder(FakeEmbedder):
        def __init__(self, name: str) -> None:
            super().__init__()
            self.name = name

        def embed(self, texts: Sequence[str]) -> Any:
            reached("embed")
            time.sleep(float(spec.get("delay", 0)))
            return super().embed(texts)

    def load(setting: str, **options: Any) -> Embedder:
        return Embedder(rag.models.embed.embedder_name(setting, options.get("backend")))  # as the real one names itself

    rag.models.embed.load_embedder = load  # type: ignore[assignment]

    def wrap(owner: Any, attribute: str, before: Callable[..., None]) -> None:
        original = getattr(owner, attribute)  # fails loudly if the code it pauses in was renamed

        def wrapped(*args: Any, **kwargs: Any) -> Any:
            before(*args, **kwargs)
            return original(*args, **kwargs)

        setattr(owner, attribute, wrapped)

    wrap(rag.ingest.files, "read_file_with_problems", lambda *args, **kwargs: reached("read"))
    # Inside a save: the staging folder already holds vectors.faiss and passages.jsonl, not yet articles.jsonl.
    wrap(rag.store.generations, "_write_jsonl",
         lambda path, rows: reached("save-staging") if path.name == "articles.jsonl"
         else None)
    # After the new generation folder is complete and renamed, before CURRENT names it.
    wrap(rag.store.generations, "_replace_text", lambda path, text: reached("save-switch"))
    return main(arguments)


if __name__ == "__main__":
    sys.exit(_child(sys.argv[1:]))


# --- helpers ----------------------------------------------------------------------------------------------------


def fake_model(tmp_path: Path) -> Path:
    model = tmp_path / "fake-model"
    model.mkdir(exist_ok=True)
    return model


def start(tmp_path: Path, arguments: Sequence[str], pause: str = "", delay: float = 0.0) -> tuple[Any, Path]:
    marker = tmp_path / f"paused-{time.monotonic_ns()}"
    spec = json.dumps({"pause": pause, "marker": str(marker), "delay": delay})
    process = subprocess.Popen(
        [sys.executable, "-m", "tests.test_crash", spec, "--", "index", *arguments, "--embedder",
         str(fake_model(tmp_path)), "--quiet", "--json"],
        cwd=PROJECT, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
        env={**os.environ, "HF_HUB_OFFLINE": "1"},
    )
    return process, marker


def run(tmp_path: Path, arguments: Sequence[str]) -> dict[str, Any]:
    process, _ = start(tmp_path, arguments)
    stdout, stderr = process.communicate(timeout=DEADLINE)
    assert process.returncode == 0, stderr
    return dict(json.loads(stdout))


def kill_when_paused(process: Any, marker: Path) -> None:
    deadline = time.monotonic() + DEADLINE
    while not marker.exists():
        if process.poll() is not None:
            raise AssertionError(f"the run ended before pausing: {process.communicate()[1]}")
        assert time.monotonic() < deadline, "the run never reached its pause point"
        time.sleep(0.05)
    process.send_signal(signal.SIGKILL)
    process.communicate(timeout=60)
    assert process.returncode == -signal.SIGKILL


def make_corpus(folder: Path, topics: Sequence[str]) -> Path:
    for topic in topics:
        write(folder, f"{topic}.txt", story(topic))
    return folder


def change_corpus(folder: Path) -> None:
    """Six new articles, one changed, one deleted."""
    make_corpus(folder, [f"new{n}" for n in range(6)])
    write(folder, "harbour.txt", story("harbour", version=2))
    (folder / "bridge.txt").unlink()


def leftovers(folder: Path) -> list[str]:
    return sorted(path.name for path in folder.iterdir() if path.name.startswith(".tmp-"))


# --- kill -9 at precise moments ---------------------------------------------------------------------------------

INDEX_OPTIONS = ["--chunk-tokens", "24", "--chunk-overlap", "4", "--batch-size", "2"]


@pytest.mark.parametrize("pause", ["read:3", "embed:1", "embed:4", "save-staging:1", "save-switch:1"])
def test_kill_9_leaves_the_previous_index_and_a_rerun_finishes(tmp_path: Path, pause: str) -> None:
    source, folder = make_corpus(tmp_path / "articles", ["harbour", "bridge", "library"]), tmp_path / "index"
    run(tmp_path, [str(source), "--index", str(folder), *INDEX_OPTIONS])
    before = state(folder)
    change_corpus(source)

    process, marker = start(tmp_path, [str(source), "--index", str(folder), *INDEX_OPTIONS, "--checkpoint", "1e9"],
                            pause=pause)
    kill_when_paused(process, marker)
    if pause.startswith("save-staging"):
        assert any(name.startswith(".tmp-gen-") for name in leftovers(folder))  # killed inside the save
    if pause.startswith("save-switch"):
        assert (folder / "gen-000002").is_dir()  # complete, but never made live
    assert (folder / "CURRENT").read_text().strip() == "gen-000001"
    assert state(folder) == before

    report = run(tmp_path, [str(source), "--index", str(folder), *INDEX_OPTIONS])
    assert (len(report["added"]), len(report["updated"]), len(report["removed"])) == (6, 1, 1)
    assert leftovers(folder) == []
    clean = tmp_path / "clean"
    run(tmp_path, [str(source), "--index", str(clean), *INDEX_OPTIONS])
    assert state(folder) == state(clean)


@pytest.mark.parametrize("pause", ["embed:6", "save-staging:2", "save-switch:3"])
def test_kill_9_after_checkpoints_keeps_them_and_a_rerun_embeds_only_the_rest(tmp_path: Path, pause: str) -> None:
    source, folder = make_corpus(tmp_path / "articles", [f"topic{n}" for n in range(10)]), tmp_path / "index"
    process, marker = start(tmp_path, [str(source), "--index", str(folder), *INDEX_OPTIONS, "--checkpoint", "0"],
                            pause=pause)
    kill_when_paused(process, marker)
    saved = state(folder)  # the last checkpoint loads, and holds whole articles only
    records = saved[4]
    assert 0 < len(records) < 10 and sum(passages for _, _, passages in records) == len(saved[3])

    report = run(tmp_path, [str(source), "--index", str(folder), *INDEX_OPTIONS, "--checkpoint", "0"])
    assert report["unchanged"] == len(records) and len(report["added"]) == 10 - len(records)
    assert leftovers(folder) == []
    clean = tmp_path / "clean"
    run(tmp_path, [str(source), "--index", str(clean), *INDEX_OPTIONS])
    assert state(folder) == state(clean)


# --- two writers ------------------------------------------------------------------------------------------------


def rag_command() -> list[str]:
    script = Path(sys.executable).parent / "rag"
    return [str(script)] if script.exists() else [sys.executable, "-m", "rag.cli"]


def test_second_writer_fails_at_once_or_waits_for_the_first(tmp_path: Path) -> None:
    source, folder = make_corpus(tmp_path / "articles", ["harbour", "bridge"]), tmp_path / "index"
    first, marker = start(tmp_path, [str(source), "--index", str(folder), *INDEX_OPTIONS], pause="embed:1")
    try:
        deadline = time.monotonic() + DEADLINE
        while not marker.exists():
            assert first.poll() is None and time.monotonic() < deadline
            time.sleep(0.05)
        arguments = [*rag_command(), "index", str(source), "--index", str(folder), "--embedder",
                     str(fake_model(tmp_path)), "--quiet"]
        refused = subprocess.run(arguments, capture_output=True, text=True, timeout=DEADLINE)
        assert refused.returncode == 1
        assert "rag index: error: another process is writing the index" in refused.stderr
        assert "--wait SECONDS" in refused.stderr and "Traceback" not in refused.stderr
        waited = subprocess.run([*arguments, "--wait", "0.5"], capture_output=True, text=True, timeout=DEADLINE)
        assert waited.returncode == 1 and "another process is writing" in waited.stderr

        second, _ = start(tmp_path, [str(source), "--index", str(folder), *INDEX_OPTIONS, "--wait", "120"])
        time.sleep(1.0)
        assert second.poll() is None  # waiting for the lock
    finally:
        first.send_signal(signal.SIGKILL)
        first.communicate(timeout=60)
    stdout, stderr = second.communicate(timeout=DEADLINE)  # the killed writer's lock is released with it
    assert second.returncode == 0, stderr
    assert len(json.loads(stdout)["added"]) == 2


# --- the real command and model ---------------------------------------------------------------------------------


@pytest.mark.slow
def test_kill_9_of_the_real_command_while_it_embeds(tmp_path: Path) -> None:
    source, folder = tmp_path / "articles", tmp_path / "index"
    source.mkdir()
    for sample in SAMPLES.iterdir():
        (source / sample.name).write_bytes(sample.read_bytes())
    environment = {**os.environ, "HF_HUB_OFFLINE": "1"}
    command = [*rag_command(), "index", str(source), "--index", str(folder), "--batch-size", "4"]
    subprocess.run([*command, "--quiet"], check=True, timeout=600, env=environment, capture_output=True)
    before = state(folder)
    make_corpus(source / "more", [f"topic{n}" for n in range(40)])

    log = tmp_path / "stderr.log"
    with open(log, "w") as handle:
        process = subprocess.Popen(command, stdout=subprocess.DEVNULL, stderr=handle, env=environment)
        deadline = time.monotonic() + 600
        # Kill once the progress (a plain line: stderr is a file) shows some articles embedded (the model is loaded
        # and working), not all.
        while not re.search(r"embedding: [1-9]\d*/40 articles", log.read_text(errors="replace")):
            assert process.poll() is None, log.read_text()
            assert time.monotonic() < deadline
            time.sleep(0.05)
        process.send_signal(signal.SIGKILL)
        process.wait(60)
    assert state(folder) == before

    rerun = subprocess.run([*command, "--json"], capture_output=True, text=True, timeout=600, env=environment)
    assert rerun.returncode == 0, rerun.stderr
    report = json.loads(rerun.stdout)
    assert len(report["added"]) == 40 and report["unchanged"] == 11 and leftovers(folder) == []
