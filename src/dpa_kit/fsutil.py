"""File-system helpers shared by every module: atomic writes and content digests.

A rendered document, a register or a ledger export is either fully written under its final name or not
there at all; digests are streamed so that a 2 GB file never sits in memory.
"""

from __future__ import annotations

import hashlib
import os
import tempfile
from pathlib import Path

__all__ = ["CHUNK", "PRIVATE", "atomic_write", "sha256_and_size", "sha256_file"]

CHUNK = 1 << 20
#: Personal data (registers, breach exports, notification drafts) is written readable by its owner only.
PRIVATE = 0o600


def _process_umask() -> int:
    # Read once, at import (single-threaded): setting the umask later would race with other threads.
    current = os.umask(0o077)
    os.umask(current)
    return current


_UMASK = _process_umask()


def atomic_write(target: Path, data: bytes, *, mode: int | None = None) -> None:
    """Write ``data`` to ``target`` through a temporary file in the same folder, then rename.

    ``mode`` forces the permissions (``0o600`` for anything holding personal data); by default the
    usual permissions apply (``0o666`` less the umask).
    """
    fd, temp = tempfile.mkstemp(dir=target.parent, prefix=f".{target.name}.", suffix=".tmp")
    try:
        with os.fdopen(fd, "wb") as handle:
            handle.write(data)
        if mode is None:
            mode = 0o666 & ~_UMASK
        os.chmod(temp, mode)
        os.replace(temp, target)
    except BaseException:
        Path(temp).unlink(missing_ok=True)
        raise


def sha256_and_size(path: Path) -> tuple[str, int]:
    """The SHA-256 (hex) and the size in bytes of a file, read in 1 MiB chunks."""
    digest = hashlib.sha256()
    size = 0
    with path.open("rb") as handle:
        while chunk := handle.read(CHUNK):
            digest.update(chunk)
            size += len(chunk)
    return digest.hexdigest(), size


def sha256_file(path: Path) -> str:
    """The SHA-256 (hex) of a file."""
    return sha256_and_size(path)[0]
