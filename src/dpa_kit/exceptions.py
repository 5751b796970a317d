"""The exceptions dpa-kit raises, all rooted at :class:`DpaKitError`.

Every error from a dependency (PyYAML, pydantic, Jinja2, sqlite3, pyzipper...) is wrapped into one of
these with ``raise ... from exc``, so that the CLI catches one base class and prints one French message.

    DpaKitError
    ├── InputError                  bad input from the user: exit code 2
    │   ├── ConventionError         a convention (or defaults) file is malformed; carries Problems
    │   └── UsageError              a command was called with values that cannot work together
    └── RenderError                 a document could not be rendered (template, engine)
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path


@dataclass(frozen=True)
class Problem:
    """One thing wrong in one file, located as precisely as we can."""

    file: Path | None
    line: int | None
    field: str | None
    message: str

    def __str__(self) -> str:
        where = []
        if self.file is not None:
            where.append(str(self.file))
        if self.line is not None:
            where.append(f"ligne {self.line}")
        prefix = ", ".join(where)
        field = f"champ « {self.field} » : " if self.field else ""
        return f"{prefix} : {field}{self.message}" if prefix else f"{field}{self.message}"


class DpaKitError(Exception):
    """Raised when dpa-kit cannot do what was asked; the message is French and meant for the user."""

    exit_code = 3


class InputError(DpaKitError):
    """Raised when the user's input (a file, an option value) is wrong; the CLI exits with code 2."""

    exit_code = 2


class UsageError(InputError):
    """Raised when options or arguments cannot work together (unknown id, missing file...)."""


class ConventionError(InputError):
    """Raised when a convention or defaults file is malformed; ``problems`` lists every problem found."""

    def __init__(self, problems: list[Problem]):
        self.problems = list(problems)
        super().__init__("\n".join(str(p) for p in self.problems))


class RenderError(DpaKitError):
    """Raised when a document cannot be rendered (a template error, a missing value, an engine failure)."""

    exit_code = 1
