"""A GGUF model in a process of its own, so that a native crash costs one answer, not the program.

llama.cpp is native code: an instruction the CPU refuses (a build made for another machine) or a bug in a
kernel kills the whole process with a signal, and Python has no say. `ProcessLLM` runs `LlamaCppLLM` in a child
process (`python -m rag.models.worker`) and talks to it over pipes, one JSON object per line. When the child dies, the
question being answered fails with a `ModelError` that names the signal and says what to do, and the next call
starts a new child. The child exits when its parent does (its input closes).

Measured on the bundled model (see docs/performance.md): the pipe adds well under a millisecond per token and
about a second of start-up (a Python interpreter importing llama-cpp-python), against ~25 ms per token and
seconds per answer, so every local GGUF runs this way.

Protocol (parent → child): the model spec, then requests `{"id", "op": "tokens"|"stream"|"cancel", ...}`.
Child → parent: `{"ready": {...}}` or `{"error": "..."}` once, then replies tagged with the request's id:
`{"id", "tokens"}`, `{"id", "piece"}`…, `{"id", "done": true}` or `{"id", "error"}`.
"""

from __future__ import annotations

import itertools
import json
import logging
import os
import queue
import signal
import subprocess
import sys
import threading
import weakref
from collections.abc import Generator
from pathlib import Path
from typing import IO, Any

from rag.errors import ModelError
from rag.records import Prompt

REBUILD_HINT = ("if this happens on the first question, llama-cpp-python was compiled for another CPU: rebuild it "
                "for this machine with `make llama-cpp-python` (README, Install by hand)")


def describe_exit(returncode: int | None) -> str:
    """How a process ended, in words.

    >>> describe_exit(-11), describe_exit(-4), describe_exit(3)
    ('was killed by SIGSEGV (signal 11)', 'was killed by SIGILL (signal 4)', 'exited with status 3')
    """
    if returncode is None:
        return "stopped answering"
    if returncode < 0:
        try:
            name = signal.Signals(-returncode).name
        except ValueError:
            name = "a signal"
        return f"was killed by {name} (signal {-returncode})"
    return f"exited with status {returncode}"


class ProcessLLM:
    """`LlamaCppLLM` behind a pipe: the same `LLM` interface, the model in a child process.

    Loading happens in the constructor (a bad file raises `ModelError` here, as in-process loading does); calls
    from several threads are fine: token counts are answered while a generation runs, and generations run one
    after the other in the child (a llama.cpp context is not thread-safe).
    """

    def __init__(self, model_path: str | Path, context_size: int = 2048, threads: int = 0,
                 chat: bool | None = None, name: str | None = None) -> None:
        self.path = Path(model_path).expanduser()
        if not self.path.is_file():
            raise ModelError(f"GGUF model not found: {self.path} (give the path to a .gguf file, or use --llm bundled)")
        self._spec = {"model_path": str(self.path), "context_size": context_size, "threads": threads,
                      "chat": chat, "name": name,
                      # llama.cpp's log is shown in the child when the parent would show it (RAG_LOG_LEVEL=debug)
                      "log_level": logging.getLogger("rag.llama_cpp").getEffectiveLevel()}
        self._lock = threading.Lock()
        self._ids = itertools.count(1)
        self._pending: dict[int, queue.Queue[dict[str, Any]]] = {}
        self._process: subprocess.Popen[bytes] | None = None
        self.restarts = 0
        info = self._start()
        self.name: str = info["name"]
        self.chat: bool = bool(info["chat"])
        self.context_size: int = int(info["context_size"])

    # -- the LLM interface -----------------------------------------------------------------------------------

    def count_tokens(self, text: str) -> int:
        request, replies = self._send({"op": "tokens", "text": text})
        try:
            reply = replies.get()
        finally:
            self._pending.pop(request, None)
        self._raise_for(reply, "counting tokens")
        return int(reply["tokens"])

    def stream(self, prompt: Prompt, max_tokens: int = 160, temperature: float = 0.0) -> Generator[str, None, None]:
        request, replies = self._send({"op": "stream", "messages": list(prompt.messages), "text": prompt.text,
                                       "stop": list(prompt.stop), "head": prompt.head, "max_tokens": max_tokens,
                                       "temperature": temperature})
        finished = False
        try:
            while True:
                reply = replies.get()
                if "piece" in reply:
                    yield str(reply["piece"])
                    continue
                finished = True
                self._raise_for(reply, "writing an answer")
                return
        finally:
            self._pending.pop(request, None)
            if not finished:  # the reader stopped early: the child stops after its current token
                self._cancel(request)

    @property
    def pid(self) -> int | None:
        """The process id of the child running the model (None between a crash and the next call)."""
        process = self._process
        return process.pid if process else None

    def close(self) -> None:
        with self._lock:
            process, self._process = self._process, None
        if process is not None:
            _stop(process)

    # -- the child -------------------------------------------------------------------------------------------

    def _start(self) -> dict[str, Any]:
        """Start a child, load the model in it, and return what it says of the model."""
        process = subprocess.Popen([sys.executable, "-m", "rag.models.worker"], stdin=subprocess.PIPE,
                                   stdout=subprocess.PIPE, close_fds=True)
        assert process.stdin is not None and process.stdout is not None
        try:
            process.stdin.write((json.dumps(self._spec) + "\n").encode())
            process.stdin.flush()
            line = process.stdout.readline()
        except OSError:
            line = b""
        if not line:
            returncode = process.wait()
            raise ModelError(f"the process loading {self.path.name} {describe_exit(returncode)} before the model "
                             f"was ready: {REBUILD_HINT}")
        first = json.loads(line)
        if "error" in first:
            _stop(process)
            raise ModelError(str(first["error"]))
        self._process = process
        weakref.finalize(self, _stop, process)
        threading.Thread(target=self._read, args=(process,), name="rag-model-replies", daemon=True).start()
        return dict(first["ready"])

    def _send(self, message: dict[str, Any]) -> tuple[int, queue.Queue[dict[str, Any]]]:
        with self._lock:
            if self._process is None or self._process.poll() is not None:
                self.restarts += 1
                self._start()
            process = self._process
            assert process is not None and process.stdin is not None
            request = next(self._ids)
            replies: queue.Queue[dict[str, Any]] = queue.Queue()
            self._pending[request] = replies
            try:
                process.stdin.write((json.dumps({**message, "id": request}) + "\n").encode())
                process.stdin.flush()
            except OSError:
                pass  # the child is gone: its reader thread tells every pending request how it ended
        return request, replies

    def _cancel(self, request: int) -> None:
        with self._lock:
            process = self._process
            if process is None or process.stdin is None:
                return
            try:
                process.stdin.write((json.dumps({"op": "cancel", "id": request}) + "\n").encode())
                process.stdin.flush()
            except OSError:
                pass

    def _read(self, process: subprocess.Popen[bytes]) -> None:
        """Hand each reply to the request it answers; when the child ends, tell every request still waiting."""
        assert process.stdout is not None
        for line in process.stdout:
            reply = json.loads(line)
            replies = self._pending.get(int(reply.get("id", 0)))
            if replies is not None:
                replies.put(reply)
        ended = describe_exit(process.wait())
        with self._lock:
            if self._process is process:
                self._process = None
            waiting = [self._pending.pop(request) for request in list(self._pending)]
        for replies in waiting:
            replies.put({"died": ended})

    def _raise_for(self, reply: dict[str, Any], doing: str) -> None:
        if "died" in reply:
            raise ModelError(f"the process running {self.name} {reply['died']} while {doing}: {REBUILD_HINT}")
        if "error" in reply:
            raise ModelError(str(reply["error"]))


def _stop(process: subprocess.Popen[bytes]) -> None:
    if process.poll() is None:
        try:
            if process.stdin is not None:
                process.stdin.close()  # the child exits when its input closes
            process.wait(timeout=5)
        except (OSError, subprocess.TimeoutExpired):
            process.kill()
            process.wait()


# -- the child's side ----------------------------------------------------------------------------------------------


def serve_requests(requests: IO[str], replies: IO[str]) -> int:
    """Load the model the first line asks for, then answer requests until the input closes."""
    from rag.models.llm import LlamaCppLLM

    write_lock = threading.Lock()

    def reply(message: dict[str, Any]) -> None:
        with write_lock:
            replies.write(json.dumps(message, ensure_ascii=False) + "\n")
            replies.flush()

    spec = json.loads(requests.readline() or "{}")
    logging.basicConfig(level=spec.pop("log_level", logging.WARNING), format="%(name)s: %(levelname)s: %(message)s")
    try:
        llm = LlamaCppLLM(**spec)
    except (ModelError, TypeError) as error:
        reply({"error": str(error)})
        return 1
    reply({"ready": {"name": llm.name, "chat": llm.chat, "context_size": llm.context_size}})

    jobs: queue.Queue[dict[str, Any]] = queue.Queue()
    cancelled: set[int] = set()

    def read() -> None:
        for line in requests:
            message = json.loads(line)
            if message["op"] == "tokens":
                try:
                    reply({"id": message["id"], "tokens": llm.count_tokens(message["text"])})
                except Exception as error:  # a reply per request, whatever happens
                    reply({"id": message["id"], "error": f"{llm.name} could not count tokens: {error}"})
            elif message["op"] == "cancel":
                cancelled.add(message["id"])
            else:
                jobs.put(message)
        os._exit(0)  # the parent is gone (or closed us): stop, even mid-answer

    threading.Thread(target=read, name="rag-model-requests", daemon=True).start()
    while True:
        job = jobs.get()
        request = job["id"]
        prompt = Prompt(tuple(job["messages"]), job["text"], (), tuple(job["stop"]), int(job.get("head", 0)))
        try:
            if request not in cancelled:
                for piece in llm.stream(prompt, job["max_tokens"], job["temperature"]):
                    if request in cancelled:
                        break
                    reply({"id": request, "piece": piece})
            reply({"id": request, "done": True})
        except Exception as error:  # ModelError, or a bug: the parent shows it and the child serves on
            reply({"id": request, "error": str(error)})
        cancelled.discard(request)


def main() -> int:
    # The pipe to the parent is a private copy of stdout; whatever native code prints goes to stderr instead.
    replies = os.fdopen(os.dup(sys.stdout.fileno()), "w", encoding="utf-8")
    os.dup2(sys.stderr.fileno(), sys.stdout.fileno())
    return serve_requests(sys.stdin, replies)


if __name__ == "__main__":
    sys.exit(main())
