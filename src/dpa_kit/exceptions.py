"""The exceptions dpa-kit raises, all rooted at :class:`DpaKitError`.

Every error from a dependency (ruamel.yaml, pydantic, Jinja2, sqlite3, pyzipper...) is wrapped into one of
these with ``raise ... from exc``, so that the CLI catches one base class and prints one French message.

    DpaKitError                     exit code 3 unless a subclass says otherwise
    ├── InputError                  bad input from the user: exit code 2
    │   ├── ConventionError         a convention, defaults or register file is malformed; carries Problems
    │   ├── UsageError              a command was called with values that cannot work together
    │   │   ├── LedgerMissing       a command needs a ledger that does not exist
    │   │   ├── InvalidValue        one fact is missing or wrong; ``field`` names it for the edges
    │   │   ├── WouldOverwrite      files changed since dpa-kit wrote them would be replaced
    │   │   └── NotFound            an object does not exist, or belongs to another structure
    │   ├── ExchangeError           an archive cannot be made, read or trusted
    │   │   └── WrongPassword       the password does not open the archive
    │   └── AgeError                an age file or key is malformed or not for us
    ├── RenderError                 a document could not be rendered (template, engine): exit code 1
    │   └── NotReady                a convention lacks answers the annex needs: exit code 1
    ├── LedgerError                 the ledger cannot be opened, read or written: exit code 2
    │   └── LedgerTampered          the ledger was emptied, removed or replaced behind dpa-kit: exit code 1
    ├── NotificationError           the mail server did not take the message: exit code 1
    │   └── SmtpLoginRefused        the mail server refused the account
    └── AccountError                the accounts database cannot be used: exit code 2
        └── LoginRefused            a login or second-factor code was refused
"""

from __future__ import annotations

from pathlib import Path

from dpa_kit.rules import Finding

__all__ = [
    "AgeError",
    "ConventionError",
    "DpaKitError",
    "ExchangeError",
    "InputError",
    "InvalidValue",
    "LedgerError",
    "LedgerMissing",
    "LedgerTampered",
    "NotReady",
    "NotificationError",
    "Problem",
    "RenderError",
    "SmtpLoginRefused",
    "UsageError",
    "WouldOverwrite",
    "WrongPassword",
]

#: One thing wrong in one file, located as precisely as we can: a finding of rule L001, built as
#: ``Problem(file, line, field, message)``. There is one finding type, :class:`dpa_kit.rules.Finding`.
Problem = Finding


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


class NotReady(RenderError):
    """Raised when a convention lacks answers the annex needs (render it with ``--draft`` to see blanks)."""

    exit_code = 1

    def __init__(self, convention_id: str, missing: list[str]):
        self.convention_id = convention_id
        self.missing = list(dict.fromkeys(missing))
        lines = "\n".join(f"  - {m}" for m in self.missing)
        super().__init__(
            f"la convention {convention_id} n'est pas prête à signer :\n{lines}\n"
            "Complétez le fichier, ou produisez un projet où les blancs sont visibles."
        )


class LedgerError(DpaKitError):
    """Raised when the ledger cannot be opened, read or written (the message says what to do)."""

    exit_code = 2


class LedgerMissing(UsageError):
    """Raised when a command needs a ledger that does not exist yet."""


class ExchangeError(InputError):
    """Raised when an archive cannot be made, read or trusted (wrong password, tampering, unsafe entry)."""


class WrongPassword(ExchangeError):
    """Raised when the password does not open the archive."""


class AgeError(InputError):
    """Raised when an age file or key is malformed, or cannot be decrypted with the identity given."""


class NotificationError(DpaKitError):
    """Raised when the message could not be handed to the mail server (nothing is recorded as sent)."""

    exit_code = 1


class InvalidValue(UsageError):
    """Raised when one fact the user supplies is missing or wrong (« motif du retard manquant »).

    The message names the fact, never a CLI option or a form field; ``field`` identifies it so that each
    edge can say how to supply it (the CLI adds its option, the web marks its form field).
    """

    def __init__(self, message: str, field: str):
        self.field = field
        super().__init__(message)


class SmtpLoginRefused(NotificationError):
    """Raised when the mail server refuses the account given to it (each edge says where the account is set)."""


class WouldOverwrite(UsageError):
    """Raised when writing would replace files changed since dpa-kit wrote them (or that it did not write)."""

    def __init__(self, files: list[Path]) -> None:
        self.files = files
        names = ", ".join(str(f) for f in files)
        super().__init__(
            f"{len(files)} fichier(s) déjà présent(s) et modifié(s) depuis que dpa-kit les a écrits "
            f"(ou écrits par quelqu'un d'autre), non remplacé(s) : {names}"
        )


class LedgerTampered(LedgerError):
    """Raised when the ledger was emptied, truncated, removed or replaced behind dpa-kit's back: exit code 1."""

    exit_code = 1


class NotFound(UsageError):
    """Raised when an object does not exist or is not the user's to see (both look the same from outside)."""


class AccountError(DpaKitError):
    """Raised when the accounts database of the web application cannot be opened, read or written."""

    exit_code = 2


class LoginRefused(AccountError):
    """Raised when a password or a second-factor code is refused, or logins are blocked for a while."""

    def __init__(self, message: str, *, locked: bool = False, throttled: bool = False):
        super().__init__(message)
        self.locked = locked
        self.throttled = throttled
