"""What every command of the CLI shares: settings read from the environment, echo helpers, exit codes,
the crash report, the error-to-message mapping, French questions and click's strings in French.

This is the edge: it reads the environment (``DPA_KIT_*``) and passes values into the library, which never
reads it. A library error names a *fact* (``InvalidValue.field``); :data:`HOW_TO_SUPPLY` says which option
supplies it on the command line.
"""

from __future__ import annotations

import gettext
import io
import os
import sys
import tempfile
import traceback
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import datetime
from importlib import resources
from pathlib import Path
from typing import Any

import click

import dpa_kit
from dpa_kit import clock
from dpa_kit.exceptions import ConventionError, DpaKitError, InvalidValue, NotReady, UsageError

EXIT_OK, EXIT_PROBLEMS, EXIT_USAGE, EXIT_INTERNAL = 0, 1, 2, 3
#: Stopped by Ctrl-C (the shell convention, 128 + SIGINT); what was typed is kept where the command says.
EXIT_INTERRUPTED = 130

NOW_ENV = "DPA_KIT_NOW"
SMTP_USER_ENV = "DPA_KIT_SMTP_USER"
SMTP_PASSWORD_ENV = "DPA_KIT_SMTP_PASSWORD"

#: How to supply, on the command line, the fact that a library error (InvalidValue) names.
HOW_TO_SUPPLY = {
    "delay_reason": "option --delay-reason",
    "natures": "option --nature confidentialité|intégrité|disponibilité",
    "description": "option --description \"...\"",
    "started_at": "option --started-at",
    "ended_at": "option --ended-at",
    "cnil_at": "option --at",
    "cnil_reason": "option --reason",
    "subjects_date_channel": "options --date et --channel",
    "subjects_ground": "option --ground",
    "notify_to": "option --to ADRESSE",
    "notify_from": "option --from ADRESSE",
    "smtp_credentials": f"variables {SMTP_USER_ENV} et {SMTP_PASSWORD_ENV}",
    "smtp_insecure": "option --insecure",
}


# --- French for click's own strings ----------------------------------------------------------------

_CLICK_MODULES = ("core", "decorators", "exceptions", "formatting", "parser", "termui", "types", "_termui_impl",
                  "shell_completion", "utils")


def french_catalogue() -> gettext.GNUTranslations:
    """The French translation of click's strings, compiled from the ``.po`` file shipped in the package."""
    from babel.messages.mofile import write_mo
    from babel.messages.pofile import read_po

    source = resources.files("dpa_kit.cli").joinpath("locale/fr/LC_MESSAGES/click.po")
    with source.open("rb") as handle:
        catalog = read_po(handle, locale="fr")
    buffer = io.BytesIO()
    write_mo(buffer, catalog)
    buffer.seek(0)
    return gettext.GNUTranslations(buffer)


#: Names click gives its value types, shown in help (``ENTIER``) and in errors (« n'est pas un entier valide »).
_TYPE_NAMES = {"IntParamType": "entier", "IntRange": "entier", "FloatParamType": "nombre", "FloatRange": "nombre",
               "BoolParamType": "booléen", "StringParamType": "texte", "UnprocessedParamType": "texte",
               "DateTime": "date"}
_installed = False


def install_french() -> None:
    """Make click speak French: its modules call ``_``/``ngettext`` when they build a message, so rebind them.

    Call it before the commands are declared: ``click.Path`` names itself (« fichier ») when it is created.
    """
    import importlib

    global _installed
    if _installed:
        return
    _installed = True
    translations = french_catalogue()
    for class_name, word in _TYPE_NAMES.items():
        setattr(getattr(click.types, class_name), "name", word)
    for name in _CLICK_MODULES:
        try:
            module = importlib.import_module(f"click.{name}")
        except ImportError:  # pragma: no cover - a module missing from another click version
            continue
        if hasattr(module, "_"):
            module._ = translations.gettext  # type: ignore[attr-defined]
        if hasattr(module, "ngettext"):
            module.ngettext = translations.ngettext  # type: ignore[attr-defined]


YES = ("o", "oui", "y", "yes")
NO = ("n", "non", "no")


def confirm(question: str, default: bool = False) -> bool:
    """Ask a yes/no question in French: ``o``/``oui`` or ``n``/``non`` (``y``/``yes``/``no`` also work)."""
    suffix = " [O/n]" if default else " [o/N]"
    while True:
        answer = click.prompt(question + suffix, default="", show_default=False, prompt_suffix=" ").strip().lower()
        if not answer:
            return default
        if answer in YES:
            return True
        if answer in NO:
            return False
        echo_err("Répondez par oui (o) ou non (n).")


# --- settings and helpers --------------------------------------------------------------------------


def interactive() -> bool:
    """True when a person types the answers (questions may be asked), False for scripts and pipes."""
    return sys.stdin.isatty()


def echo_err(message: str) -> None:
    click.echo(message, err=True)


def supplied(exc: InvalidValue) -> str:
    """The message of a library error, followed by how to supply the missing fact on the command line."""
    how = HOW_TO_SUPPLY.get(exc.field)
    return f"{exc} ({how})" if how else str(exc)


def option_instant(value: str | None, fact: str, option: str) -> datetime | None:
    """Parse an instant given with ``option`` (French as typed, or ISO 8601).

    The error names the fact, then the option.
    """
    if not value:
        return None
    from dpa_kit import frenchtime

    try:
        return frenchtime.parse(value, now=clock.now(), what=fact)
    except UsageError as exc:
        raise UsageError(f"{exc} (option {option})") from exc


def forced_now() -> datetime | None:
    """The instant ``DPA_KIT_NOW`` replaces the clock with (tests, audits), or None for the real clock."""
    text = os.environ.get(NOW_ENV)
    return clock.parse_instant(text, NOW_ENV) if text else None


def smtp_config(url: str, *, insecure: bool = False) -> Any:
    """The SMTP settings: the server's URL (option) and the account (environment, never the command line)."""
    from dpa_kit.mail import SmtpConfig

    return SmtpConfig(url=url, user=os.environ.get(SMTP_USER_ENV) or None,
                      password=os.environ.get(SMTP_PASSWORD_ENV) or None, insecure=insecure)


def crash_report(exc: BaseException) -> Path:
    """Write where the error happened to a private (0600) file and return its path.

    Only the exception types and the code locations are written: no message (it may quote a value from a
    file), no local variables, no environment, so no personal data and no secret can leak into it.
    """
    fd, name = tempfile.mkstemp(prefix="dpa-kit-crash-", suffix=".txt")
    with os.fdopen(fd, "w", encoding="utf-8") as handle:
        handle.write(f"dpa-kit {dpa_kit.__version__}\n")
        current: BaseException | None = exc
        while current is not None:
            handle.write(f"{type(current).__module__}.{type(current).__qualname__}\n")
            handle.write("".join(traceback.format_tb(current.__traceback__)))
            current = current.__cause__ or current.__context__
    return Path(name)


@contextmanager
def _clock_from_environment() -> Iterator[None]:
    instant = forced_now()
    if instant is None:
        yield
        return
    with clock.fixed(instant):
        yield


class CommandGroup(click.Group):
    """A group of commands whose usage line is in French (« COMMANDE [ARGUMENTS]... »)."""

    group_class = type  # its sub-groups are of the same class

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        kwargs.setdefault("subcommand_metavar", "COMMANDE [ARGUMENTS]...")
        super().__init__(*args, **kwargs)


class DpaGroup(CommandGroup):
    """The root group: maps every error to a French message and an exit code."""

    def main(self, *args: Any, **kwargs: Any) -> Any:
        install_french()
        kwargs["standalone_mode"] = False
        try:
            with _clock_from_environment():
                result = super().main(*args, **kwargs)
        except click.exceptions.Exit as exc:
            sys.exit(exc.exit_code)
        except click.exceptions.Abort:
            echo_err("Interrompu.")
            sys.exit(EXIT_USAGE)
        except click.exceptions.NoArgsIsHelpError as exc:  # a group called alone: its help, as click shows it
            echo_err(exc.format_message())
            sys.exit(EXIT_USAGE)
        except click.ClickException as exc:
            hint = ""
            if isinstance(exc, click.UsageError) and exc.ctx is not None:
                hint = f"\nAide : {exc.ctx.command_path} --help"
            echo_err(f"Erreur : {exc.format_message()}{hint}")
            sys.exit(EXIT_USAGE)
        except ConventionError as exc:
            echo_err("Erreur dans les fichiers de convention :")
            for problem in exc.problems:
                echo_err(f"  - {problem}")
            echo_err("Corrigez ces points puis relancez la commande.")
            sys.exit(exc.exit_code)
        except InvalidValue as exc:
            echo_err(f"Erreur : {supplied(exc)}")
            sys.exit(exc.exit_code)
        except DpaKitError as exc:
            echo_err(f"Erreur : {exc}")
            if isinstance(exc, NotReady):
                echo_err("Pour un projet à relire (blancs visibles, PROJET sur chaque page) : ajoutez --draft.")
            sys.exit(exc.exit_code)
        except KeyboardInterrupt:
            echo_err("Interrompu.")
            sys.exit(EXIT_INTERRUPTED)
        except Exception as exc:  # noqa: BLE001 - last resort: never show a traceback
            report = crash_report(exc)
            echo_err(
                "Erreur interne de dpa-kit (ce n'est pas de votre fait). "
                f"Un rapport technique a été écrit dans {report} ; transmettez-le à l'équipe dpa-kit."
            )
            sys.exit(EXIT_INTERNAL)
        code = result if isinstance(result, int) else EXIT_OK
        sys.exit(code)


@dataclass
class Settings:
    """Options shared by every command."""

    registers: Path
    ledger_path: Path | None

    @property
    def ledger(self) -> Path:
        return self.ledger_path or self.registers / "ledger.sqlite"


pass_settings = click.make_pass_decorator(Settings)


def folder_arg(settings: Settings, folder: Path | None) -> Path:
    return folder if folder is not None else settings.registers


def open_ledger(settings: Settings, create: bool = True) -> Any:
    from dpa_kit.ledger import Ledger

    return Ledger(settings.ledger, create=create)


def ledger_if_any(settings: Settings) -> Any:
    """The ledger, or None when none was ever created here (a removed ledger is still reported as such)."""
    from dpa_kit.exceptions import LedgerMissing
    from dpa_kit.ledger import Ledger

    try:
        return Ledger(settings.ledger, create=False)
    except LedgerMissing:
        return None
