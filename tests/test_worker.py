"""The model process (rag.models.worker): a native crash fails one answer with the signal named, the next answer gets a
fresh process, and `rag serve` refuses to open with a model that cannot load. Real bundled model, real processes;
what it writes differs between CPUs, so answers are compared with what it wrote before on this one, never with
expected words."""

from __future__ import annotations

import os
import re
import signal
import subprocess
import sys
import threading
import time
from pathlib import Path

import pytest

from rag.answer.prompts import build_prompt
from rag.errors import ModelError
from rag.models.worker import ProcessLLM
from rag.records import Passage, Prompt
from rag.serve.start import check_model
from tests.conftest import ScriptedLLM

FERRY = Passage("a", "Ferry", "a.txt", "", "The Pine Island ferry has four boats.", 0, 36)
QUESTION = build_prompt("How many boats does the Pine Island ferry have?", [FERRY], chat=False)


@pytest.mark.slow
def test_a_crash_while_writing_names_the_signal_and_the_next_answer_works(real_llm: ProcessLLM) -> None:
    """The child is held (SIGSTOP) so that the crash comes while an answer is asked for, whatever the model would
    write and however fast this CPU writes it; a fresh child then writes what the old one wrote (the model's words
    differ between CPUs, not between two runs on one)."""
    before = "".join(real_llm.stream(QUESTION, max_tokens=24))
    pid = real_llm.pid
    assert pid is not None
    os.kill(pid, signal.SIGSTOP)
    outcome: list[object] = []

    def ask() -> None:
        try:
            outcome.append("".join(real_llm.stream(Prompt((), "A long story about ferries, told slowly:", (), ()),
                                                   max_tokens=120)))
        except ModelError as error:
            outcome.append(error)

    asking = threading.Thread(target=ask)
    try:
        asking.start()
        deadline = time.monotonic() + 30
        while not real_llm._pending and time.monotonic() < deadline:  # the request is in the held child's pipe
            time.sleep(0.01)
    finally:
        os.kill(pid, signal.SIGSEGV)  # what an instruction the CPU refuses does; delivered as the child resumes
        os.kill(pid, signal.SIGCONT)
    asking.join(60)
    [error] = outcome
    assert isinstance(error, ModelError), error
    assert re.search(r"was killed by SIGSEGV \(signal 11\) while writing an answer.*rebuild", str(error)), error
    restarts = real_llm.restarts
    assert "".join(real_llm.stream(QUESTION, max_tokens=24)) == before
    assert real_llm.restarts == restarts + 1


@pytest.mark.slow
def test_an_answer_left_early_frees_the_model_for_the_next(real_llm: ProcessLLM) -> None:
    before = "".join(real_llm.stream(QUESTION, max_tokens=24))
    pieces = real_llm.stream(Prompt((), "Once upon a time", (), ()), max_tokens=150)
    next(pieces, None)  # the first piece, if the model writes any
    pieces.close()
    assert real_llm.count_tokens("The Pine Island ferry") > 2
    started = time.monotonic()
    assert "".join(real_llm.stream(QUESTION, max_tokens=24)) == before, "the next answer is whole and unchanged"
    assert time.monotonic() - started < 60


@pytest.mark.slow
def test_a_file_that_is_not_a_model_fails_to_load_with_a_message(tmp_path: Path) -> None:
    fake = tmp_path / "notes.gguf"
    fake.write_text("not a model")
    with pytest.raises(ModelError, match=r"notes\.gguf is not a GGUF model"):
        ProcessLLM(fake)
    with pytest.raises(ModelError, match="GGUF model not found"):
        ProcessLLM(tmp_path / "missing.gguf")


def test_the_start_up_check_raises_for_a_local_model_and_logs_for_a_server(caplog: pytest.LogCaptureFixture) -> None:
    class Broken(ScriptedLLM):
        def stream(self, prompt: Prompt, max_tokens: int = 160, temperature: float = 0.0):  # type: ignore[no-untyped-def]
            raise ModelError("the process running broken was killed by SIGILL (signal 4)")
            yield ""

    working = ScriptedLLM("Fine.")
    check_model(working)
    assert working.prompts, "the check asks for a token"
    with pytest.raises(ModelError, match="SIGILL"):
        check_model(Broken())
    check_model(Broken(), remote=True)
    assert "not answering yet" in caplog.text


@pytest.mark.slow
def test_rag_serve_with_a_broken_model_exits_before_opening(tmp_path: Path, sample_index: Path) -> None:
    fake = tmp_path / "broken.gguf"
    fake.write_bytes(b"GGUF" + b"\0" * 64)
    result = subprocess.run([sys.executable, "-m", "rag.cli", "serve", "--index", str(sample_index), "--llm",
                             str(fake), "--port", "1"], capture_output=True, text=True, timeout=300,
                            env={**os.environ, "HF_HUB_OFFLINE": "1"})
    assert result.returncode == 1
    assert "could not load GGUF model" in result.stderr and "broken.gguf" in result.stderr
    assert "Serving" not in result.stderr and "Traceback" not in result.stderr
