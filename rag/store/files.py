"""Durable writes: what every file the index writes goes through, so that a crash or a power cut leaves either the
old file or the new one, never a mix.

`write_atomically` writes beside the target under a temporary name (`.tmp-*`, which the next writer removes if a
crash left it), flushes it to disk and renames it into place; `fsync` flushes a file, or a folder's entries.
`rebuild_command` is the fix every refusal to read a damaged or mismatched index folder names.
"""

from __future__ import annotations

import contextlib
import os
from pathlib import Path


def rebuild_command(index_folder: str | Path) -> str:
    """The command that writes the index in `index_folder` anew from its sources, as error messages name it.

    >>> rebuild_command("index")
    '`rag index SOURCES --index index --rebuild`'
    """
    return f"`rag index SOURCES --index {index_folder} --rebuild`"


def fsync(path: Path) -> None:
    """Flush `path` to disk. A folder is flushed where the file system allows it (some cannot; the files in it
    still are), a file always."""
    if path.is_dir():
        with contextlib.suppress(OSError):
            _flush(path)
    else:
        _flush(path)


def write_atomically(target: Path, content: bytes) -> None:
    """Replace `target` with `content`: readers see the old file or the whole new one, even after a crash.

    >>> import tempfile
    >>> folder = Path(tempfile.mkdtemp())
    >>> write_atomically(folder / "CURRENT", b"gen-000002\\n"); (folder / "CURRENT").read_bytes()
    b'gen-000002\\n'
    """
    temporary = target.with_name(f".tmp-{target.name}-{os.getpid()}")
    try:
        with open(temporary, "wb") as handle:
            handle.write(content)
            handle.flush()
            os.fsync(handle.fileno())
        os.replace(temporary, target)
    finally:
        temporary.unlink(missing_ok=True)
    fsync(target.parent)


def _flush(path: Path) -> None:
    descriptor = os.open(path, os.O_RDONLY)
    try:
        os.fsync(descriptor)
    finally:
        os.close(descriptor)
