"""Compare llama-cpp-python builds side by side: prompt and writing speed of the bundled model on the real prompt.

Each build is a folder holding an installed `llama_cpp` (`pip install --no-deps --target DIR WHEEL`; a
runtime-dispatch wheel made by `make llama-wheel`, which loads its CPU backends on import); each run is a
subprocess with that folder first on sys.path, and the builds take turns, so that a machine busy with something
else slows them all alike. The prompt is the one the assistant builds for a sample question over the sample index
(five passages, about 850 tokens); 96 tokens are written with end-of-text suppressed, greedily.

    python tools/llama_builds.py portable=/tmp/ll/portable dispatch=/tmp/ll/dispatch --passes 3 --rounds 4
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
from pathlib import Path

QUESTION = "When did the Maplewood footbridge reopen and how much did the repairs cost?"
PROJECT = Path(__file__).resolve().parent.parent


def build_prompt(folder: Path) -> str:
    """The assistant's real prompt for QUESTION over the sample articles (indexed into `folder` once)."""
    from rag.answer.prompts import fit_passages
    from rag.answer.retrieve import Retriever
    from rag.ingest.indexer import UpdateOptions, update_index
    from rag.models.bundled import bundled_gguf_path
    from rag.models.embed import load_embedder
    from rag.models.llm import LlamaCppLLM

    embedder = load_embedder(threads=2)
    if not (folder / "CURRENT").exists():
        update_index([PROJECT / "rag" / "samples"], folder, embedder, UpdateOptions(progress=False))
    hits = Retriever.load(folder, embedder).search(QUESTION, 5)
    llm = LlamaCppLLM(bundled_gguf_path(progress=False), chat=False)
    return fit_passages(QUESTION, [hit.passage for hit in hits], [], False, 2048 - 160 - 16, llm.count_tokens).text


def measure(prompt_file: str, rounds: int, threads: int) -> dict[str, object]:
    """Run inside the build's subprocess: first-token time, prompt and writing speed, median over `rounds`."""
    import time

    import llama_cpp
    import numpy as np
    from llama_cpp import Llama, LogitsProcessorList

    from rag.models.bundled import bundled_gguf_path
    from rag.models.llm import route_llama_logs

    route_llama_logs()
    variants = list((Path(llama_cpp.__file__).parent / "lib").glob("libggml-cpu-*.so"))
    prompt = Path(prompt_file).read_text()
    model = Llama(model_path=str(bundled_gguf_path(progress=False)), n_ctx=2048, n_threads=threads,
                  n_threads_batch=threads, verbose=False)
    end_of_text = model.token_eos()

    def no_end(ids: object, scores: np.ndarray) -> np.ndarray:
        scores[end_of_text] = -np.inf
        return scores

    prompt_tokens = len(model.tokenize(prompt.encode(), add_bos=True, special=False))
    runs = []
    for _ in range(rounds):
        model.reset()
        started, first, pieces = time.perf_counter(), 0.0, 0
        for _chunk in model.create_completion(prompt, max_tokens=96, temperature=0.0, stream=True, seed=0,
                                              logits_processor=LogitsProcessorList([no_end])):
            pieces += 1
            first = first or time.perf_counter()
        ended = time.perf_counter()
        runs.append((first - started, prompt_tokens / (first - started), (pieces - 1) / (ended - first)))
    return {"first_token_s": statistics.median(run[0] for run in runs),
            "prompt_tokens_per_s": statistics.median(run[1] for run in runs),
            "written_tokens_per_s": statistics.median(run[2] for run in runs),
            "cpu_features": llama_cpp.llama_print_system_info().decode().strip(), "variants": len(variants)}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("builds", nargs="*", help="NAME=FOLDER of an installed llama_cpp")
    parser.add_argument("--passes", type=int, default=3)
    parser.add_argument("--rounds", type=int, default=4)
    parser.add_argument("--threads", type=int, default=2)
    parser.add_argument("--measure", nargs=2, metavar=("PROMPT_FILE", "ROUNDS"), help=argparse.SUPPRESS)
    arguments = parser.parse_args()
    if arguments.measure:
        print(json.dumps(measure(arguments.measure[0], int(arguments.measure[1]), arguments.threads)))
        return
    builds = dict(build.split("=", 1) for build in arguments.builds)
    with tempfile.TemporaryDirectory() as scratch:
        prompt_file = Path(scratch) / "prompt.txt"
        prompt_file.write_text(build_prompt(Path(scratch) / "index"))
        results: dict[str, list[dict[str, object]]] = {name: [] for name in builds}
        for _ in range(arguments.passes):
            for name, folder in builds.items():
                environment = {**os.environ, "PYTHONPATH": os.pathsep.join([folder, str(PROJECT)])}
                output = subprocess.run([sys.executable, __file__, "--measure", str(prompt_file),
                                         str(arguments.rounds), "--threads", str(arguments.threads)],
                                        capture_output=True, text=True, env=environment, check=True).stdout
                results[name].append(json.loads(output.strip().splitlines()[-1]))
    print("| build | CPU code | first token | prompt tokens/s | written tokens/s |")
    print("| --- | --- | ---: | ---: | ---: |")
    for name, runs in results.items():
        def median(key: str, runs: list[dict[str, object]] = runs) -> float:
            return statistics.median(float(run[key]) for run in runs)  # type: ignore[arg-type]

        features = [part.split("=")[0].strip() for part in str(runs[0]["cpu_features"]).split("|") if "= 1" in part]
        print(f"| {name} | {' '.join(features)} | {median('first_token_s'):.2f} s | "
              f"{median('prompt_tokens_per_s'):.0f} | {median('written_tokens_per_s'):.1f} |")


if __name__ == "__main__":
    main()
