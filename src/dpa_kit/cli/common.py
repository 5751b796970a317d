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
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import click

from dpa_kit import clock
from dpa_kit.exceptions import ConventionError, DpaKitError, InvalidValue, NotReady, UsageError, WouldOverwrite

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
    "description": 'option --description "..."',
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

_CLICK_MODULES = (
    "core",
    "decorators",
    "exceptions",
    "formatting",
    "parser",
    "termui",
    "types",
    "_termui_impl",
    "shell_completion",
    "utils",
)


def compile_catalogue() -> bytes:
    """The ``.mo`` form of ``click.po`` (babel): what :data:`CATALOGUE` must contain (a test checks it)."""
    from importlib import resources

    from babel.messages.mofile import write_mo
    from babel.messages.pofile import read_po

    source = resources.files("dpa_kit.cli").joinpath("locale/fr/LC_MESSAGES/click.po")
    with source.open("rb") as handle:
        catalog = read_po(handle, locale="fr")
    # reproducible: babel stamps the compile time when the .po has no creation date
    catalog.creation_date = datetime(2026, 1, 1, tzinfo=UTC)
    buffer = io.BytesIO()
    write_mo(buffer, catalog)
    return buffer.getvalue()


#: The compiled catalogue shipped next to ``click.po`` (regenerate it with ``compile_catalogue`` after editing
#: the ``.po``): reading it takes the standard library only, not babel.
CATALOGUE = "locale/fr/LC_MESSAGES/click.mo"


def french_catalogue() -> gettext.GNUTranslations:
    """The French translation of click's strings, from the compiled catalogue shipped in the package."""
    # beside this module, as importlib.resources would find it in an installed package (without its ~7 ms import)
    compiled = Path(__file__).resolve().parent / CATALOGUE
    if not compiled.is_file():  # a source tree where it was not generated yet
        return gettext.GNUTranslations(io.BytesIO(compile_catalogue()))
    with compiled.open("rb") as handle:
        return gettext.GNUTranslations(handle)


#: Names click gives its value types, shown in help (``ENTIER``) and in errors (« n'est pas un entier valide »).
_TYPE_NAMES = {
    "IntParamType": "entier",
    "IntRange": "entier",
    "FloatParamType": "nombre",
    "FloatRange": "nombre",
    "BoolParamType": "booléen",
    "StringParamType": "texte",
    "UnprocessedParamType": "texte",
    "DateTime": "date",
}
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
    for class_name, word in _TYPE_NAMES.items():
        getattr(click.types, class_name).name = word
    click.types._NumberRangeBase._describe_range = _range_fr  # type: ignore[method-assign]
    for name in _CLICK_MODULES:
        try:
            module = importlib.import_module(f"click.{name}")
        except ImportError:  # pragma: no cover - a module missing from another click version
            continue
        if hasattr(module, "_"):
            module._ = _gettext  # type: ignore[attr-defined]
        if hasattr(module, "ngettext"):
            module.ngettext = _ngettext  # type: ignore[attr-defined]


def _range_fr(self: Any) -> str:
    """A number range as help and errors say it: « de 1 à 64 », « 0 ou plus » (click writes ``1<=x<=64``)."""
    low, high = self.min, self.max
    if low is None:
        return f"moins de {high}" if self.max_open else f"{high} au plus"
    if high is None:
        return f"plus de {low}" if self.min_open else f"{low} ou plus"
    if self.min_open or self.max_open:
        return f"entre {low} et {high}, bornes {'exclues' if self.min_open and self.max_open else 'en partie exclues'}"
    return f"de {low} à {high}"


_translations: gettext.GNUTranslations | None = None


def _catalogue() -> gettext.GNUTranslations:
    # compiled on the first message click builds: a command that runs without help or error never pays for it
    global _translations
    if _translations is None:
        _translations = french_catalogue()
    return _translations


def _gettext(message: str) -> str:
    return _catalogue().gettext(message)


def _ngettext(singular: str, plural: str, count: int) -> str:
    return _catalogue().ngettext(singular, plural, count)


#: The one help text of ``--force`` (see :mod:`dpa_kit.written`).
FORCE_HELP = "Remplacer aussi un fichier modifié depuis que dpa-kit l'a écrit (ou écrit par quelqu'un d'autre)."

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


def _plain(text: str) -> str:
    """Lower case, no accent, words separated by one space: how answers are compared."""
    import unicodedata

    decomposed = unicodedata.normalize("NFD", text.strip().lower())
    bare = "".join(c for c in decomposed if not unicodedata.combining(c))
    return " ".join(bare.replace("-", " ").replace("_", " ").replace("'", " ").split())


class FrenchChoice(click.Choice):  # type: ignore[type-arg]
    """A choice shown and answered in French, recorded under its stable (English) name.

    ``names`` maps each stored value to its French name; ``synonyms`` adds other French words for a value.
    Accents, case, dashes and underscores do not matter (« a-informer », « À informer »); the stored English
    names keep working for scripts.
    """

    def __init__(self, names: dict[str, str], synonyms: dict[str, str] | None = None) -> None:
        super().__init__(list(names.values()), case_sensitive=False)
        self.names = names
        self.lookup: dict[str, str] = {}
        for value, french in names.items():
            self.lookup[_plain(value)] = value
            self.lookup[_plain(french)] = value
        for word, value in (synonyms or {}).items():
            self.lookup[_plain(word)] = value

    def convert(self, value: Any, param: click.Parameter | None, ctx: click.Context | None) -> Any:
        if isinstance(value, str) and _plain(value) in self.lookup:
            return self.lookup[_plain(value)]
        if value in self.names:
            return value
        shown = ", ".join(f"« {name} »" for name in self.names.values())
        self.fail(f"« {value} » n'est pas une réponse possible : {shown}", param, ctx)

    def french(self, value: str | None) -> str | None:
        """The French name of a stored value."""
        return None if value is None else self.names.get(value, value)


#: The ``--format`` choices of the commands, named in French (the English names still work for scripts).
TEXT_OR_JSON = FrenchChoice({"text": "texte", "json": "json"})
TABLE_OR_JSON = FrenchChoice({"table": "tableau", "json": "json"})
TEXT_MARKDOWN_OR_JSON = FrenchChoice({"text": "texte", "markdown": "markdown", "json": "json"})


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

    return SmtpConfig(
        url=url,
        user=os.environ.get(SMTP_USER_ENV) or None,
        password=os.environ.get(SMTP_PASSWORD_ENV) or None,
        insecure=insecure,
    )


def crash_report(exc: BaseException) -> Path:
    """Write where the error happened to a private (0600) file and return its path
    (:func:`dpa_kit.crash.write_crash_report`: exception types and code locations, no message, no value)."""
    from dpa_kit.crash import write_crash_report

    return write_crash_report(exc)


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


def _what_files(exc: ConventionError) -> str:
    """« le tableur », « le registre » or « les fichiers de convention »: what the problems are about."""
    suffixes = {Path(str(p.file)).suffix.lower() for p in exc.problems if p.file is not None}
    if suffixes and suffixes <= {".xlsx", ".ods"}:
        return "le tableur"
    names = [Path(str(p.file)).name for p in exc.problems if p.file is not None]
    if names and all(".registre." in n or "register" in n for n in names):
        return "le registre"
    return "les fichiers de convention"


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
            echo_err(f"Erreur dans {_what_files(exc)} :")
            for problem in exc.problems:
                echo_err(f"  - {problem}")
            echo_err("Corrigez ces points puis relancez la commande.")
            sys.exit(exc.exit_code)
        except WouldOverwrite as exc:
            echo_err(f"Erreur : {exc}")
            echo_err("Gardez vos modifications ailleurs, ou ajoutez --force pour remplacer ces fichiers.")
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
        except Exception as exc:
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
