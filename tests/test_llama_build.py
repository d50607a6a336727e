"""The installed llama.cpp runs on every x86-64-v3 machine: `make install` builds it with one CPU backend per
instruction-set level of the Makefile's LLAMA_VARIANTS (AVX2 and up, never the AMX one), and importing llama_cpp
loads the best the CPU supports (tools/llama_cpp_backends.py.in, appended to the wheel). A `-march=native` build
passes on the machine that built it and dies elsewhere, so this checks the build itself, not only that it runs
here; tests/test_cpu_baseline.py reads its machine code."""

from __future__ import annotations

import platform
import re
from pathlib import Path

import pytest

pytestmark = pytest.mark.skipif(platform.machine() not in ("x86_64", "AMD64"), reason="x86-64 builds only")


def test_the_build_dispatches_at_run_time_and_never_uses_amx() -> None:
    import llama_cpp

    variants = sorted(path.name for path in (Path(llama_cpp.__file__).parent / "lib").glob("libggml-cpu-*.so"))
    assert variants, ("llama-cpp-python was not installed by `make install` (no CPU variants beside libllama): "
                      "run `make llama-cpp-python`")
    assert variants == sorted(f"libggml-cpu-{name}.so" for name in makefile_variants()), "run `make llama-cpp-python`"
    assert "libggml-cpu-haswell.so" in variants  # AVX2: what every supported CPU runs
    assert not any("sapphirerapids" in name for name in variants), "the AMX variant faults on some Xeon VMs"
    assert not (Path(llama_cpp.__file__).parent / "lib" / "libggml-cpu.so").exists(), "one CPU backend linked in"
    features = llama_cpp.llama_print_system_info().decode()
    assert "AVX2 = 1" in features, "no CPU backend was loaded on import: " + features
    assert not re.search(r"AMX\w* = 1", features), features


def test_a_plain_llama_cpp_program_loads_a_model(tmp_path: Path) -> None:
    """What `python -m llama_cpp.server` or any script does: import llama_cpp, load a GGUF. With a dispatch build
    and nothing loading its backends this fails ("no backends are loaded")."""
    import subprocess
    import sys

    from rag.models.bundled import bundled_gguf_path

    script = ("import llama_cpp, sys; model = llama_cpp.Llama(sys.argv[1], n_ctx=256, verbose=False); "
              "print(len(model.tokenize(b'The ferry has four boats.')))")
    result = subprocess.run([sys.executable, "-c", script, str(bundled_gguf_path(progress=False))],
                            capture_output=True, text=True, timeout=300)
    assert result.returncode == 0, result.stderr
    assert int(result.stdout.strip()) > 3
    assert "load_backend" not in result.stderr, "loading the CPU backend is not announced on stderr"


def makefile_variants() -> list[str]:
    makefile = (Path(__file__).resolve().parent.parent / "Makefile").read_text()
    variants = re.search(r"^LLAMA_VARIANTS := (.*)$", makefile, re.MULTILINE)
    assert variants, "the Makefile names no LLAMA_VARIANTS"
    return variants.group(1).split()


def test_the_makefile_owns_the_flags() -> None:
    makefile = (Path(__file__).resolve().parent.parent / "Makefile").read_text()
    flags = re.search(r"^LLAMA_CMAKE_ARGS := (.*)$", makefile, re.MULTILINE)
    assert flags and "-DGGML_NATIVE=OFF" in flags.group(1) and "-DGGML_CPU_ALL_VARIANTS=ON" in flags.group(1)
    assert "haswell" in makefile_variants() and "sapphirerapids" not in makefile_variants()
