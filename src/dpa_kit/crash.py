"""Crash reports: where an unexpected error happened, written to a private file, without any value.

Used by both edges (the CLI's « Erreur interne » and the web application's 500 page). Only the exception
types and the code locations are written: no message (it may quote a value from a file or a form, such as
pydantic's ``input_value=...`` or openpyxl's cell), no local variables, no environment, so no personal data
and no secret can leak into it.
"""

from __future__ import annotations

import os
import tempfile
import traceback
from pathlib import Path

import dpa_kit

__all__ = ["write_crash_report"]


def write_crash_report(exc: BaseException, directory: Path | None = None) -> Path:
    """Write the report of ``exc`` to a new private (0600) file in ``directory`` (the system's temporary
    folder when None) and return its path."""
    fd, name = tempfile.mkstemp(prefix="dpa-kit-crash-", suffix=".txt", dir=directory)
    with os.fdopen(fd, "w", encoding="utf-8") as handle:
        handle.write(f"dpa-kit {dpa_kit.__version__}\n")
        seen: set[int] = set()
        current: BaseException | None = exc
        while current is not None and id(current) not in seen:
            seen.add(id(current))
            handle.write(f"{type(current).__module__}.{type(current).__qualname__}\n")
            handle.write("".join(traceback.format_tb(current.__traceback__)))
            current = current.__cause__ or current.__context__
    return Path(name)
