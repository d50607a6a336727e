"""Keep only the chosen x86-64 CPU variants in an unpacked llama-cpp-python source, before `make llama-wheel`
compiles it.

ggml's `GGML_CPU_ALL_VARIANTS` compiles the whole CPU backend once per x86-64 level, 14 times, and has no option
to choose among them: that was 13 of the 15 minutes of a cold install on 2 cores. The project supports x86-64-v3
(AVX2) and up, where a handful of variants carry all the speed (measured: docs/performance.md#llamacpp-builds), so
the Makefile names them (LLAMA_VARIANTS) and this drops every other `ggml_add_cpu_backend_variant(...)` line of
the x86 list. It also stops llama-cpp-python from forcing llama.cpp's `common` library on: nothing the package
installs links it (the multimodal library that did is not built either, LLAVA_BUILD=OFF).

    python -m tools.llama_variants SOURCE_FOLDER haswell zen4 ...

It fails, rather than build something else, when the source does not have the lines it expects.
"""

from __future__ import annotations

import re
import sys
from pathlib import Path

VARIANT_LINE = re.compile(r"^(\s*)ggml_add_cpu_backend_variant\((\w+)\b[^)\n]*\)\s*$", re.MULTILINE)
X86_VARIANTS = ("x64", "sse42", "sandybridge", "ivybridge", "piledriver", "haswell", "skylakex", "cannonlake",
                "cascadelake", "icelake", "cooperlake", "zen4", "alderlake", "sapphirerapids")
FORCED_COMMON = 'set(LLAMA_BUILD_COMMON ON CACHE BOOL "Build llama.cpp common library" FORCE)'


def keep_variants(cmake_text: str, kept: set[str]) -> str:
    """ggml/src/CMakeLists.txt with only the `kept` x86 variants (other architectures' lists untouched).

    >>> text = "    ggml_add_cpu_backend_variant(x64)\\n    ggml_add_cpu_backend_variant(haswell   SSE42 AVX2)\\n"
    >>> print(keep_variants(text, {"haswell"}), end="")
        # left out: x64
        ggml_add_cpu_backend_variant(haswell   SSE42 AVX2)
    >>> keep_variants(text, {"zen5"})
    Traceback (most recent call last):
    ...
    ValueError: no x86 CPU variant zen5 in this llama.cpp (it has: haswell, x64)
    """
    present = {match.group(2) for match in VARIANT_LINE.finditer(cmake_text) if match.group(2) in X86_VARIANTS}
    missing = kept - present
    if missing:
        raise ValueError(f"no x86 CPU variant {', '.join(sorted(missing))} in this llama.cpp "
                         f"(it has: {', '.join(sorted(present))})")

    def replace(match: re.Match[str]) -> str:
        name = match.group(2)
        return match.group(0) if name not in X86_VARIANTS or name in kept else f"{match.group(1)}# left out: {name}"

    return VARIANT_LINE.sub(replace, cmake_text)


def main(argv: list[str]) -> int:
    if len(argv) < 2:
        print(__doc__, file=sys.stderr)
        return 2
    source, kept = Path(argv[0]), set(argv[1:])
    ggml_cmake = source / "vendor" / "llama.cpp" / "ggml" / "src" / "CMakeLists.txt"
    ggml_cmake.write_text(keep_variants(ggml_cmake.read_text(), kept))
    package_cmake = source / "CMakeLists.txt"
    text = package_cmake.read_text()
    if FORCED_COMMON not in text:
        raise SystemExit(f"{package_cmake}: the line forcing llama.cpp's common library is not there; "
                         "check the new llama-cpp-python's CMakeLists.txt and update tools/llama_variants.py")
    package_cmake.write_text(text.replace(FORCED_COMMON, FORCED_COMMON.replace(" ON ", " OFF ")))
    print(f"llama.cpp CPU variants kept: {', '.join(sorted(kept))}")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
