"""The ``dpa-kit`` command line: parses options, calls one library function, prints in French.

The root group catches :class:`~dpa_kit.exceptions.DpaKitError` once and turns it into one French message on
stderr and a documented exit code (0 fine, 1 problems found or overdue, 2 bad usage or input,
3 internal error with a crash report). No Python traceback reaches the user.

Every command group lives in its own module and is registered here, explicitly, in :data:`COMMANDS` (imported
when first used); no module of this package imports this one.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

import click

from dpa_kit.cli.common import DpaGroup, Settings, install_french

install_french()  # before the commands are declared: click.Path names itself in French when created

__all__ = ["COMMANDS", "cli", "main"]

#: Every command of the root, by name: the module of ``dpa_kit.cli`` that defines it and its attribute there.
#: A module is imported only when one of its commands runs (or when the help lists them all), so that
#: ``dpa-kit check`` does not pay for the ledger, the mail or the spreadsheets.
COMMANDS: dict[str, tuple[str, str]] = {
    "list": ("conventions", "list_command"),
    "schema": ("conventions", "schema_command"),
    "check": ("conventions", "check_command"),
    "rules": ("conventions", "rules_command"),
    "annex": ("conventions", "annex_command"),
    "build": ("conventions", "build_command"),
    "ledger": ("ledger", "ledger_group"),
    "breach": ("breach", "breach_group"),
    "exchange": ("exchange", "exchange_group"),
    "attest": ("attest", "attest_group"),
    "status": ("status", "status_command"),
    "register": ("register", "register_group"),
    "new": ("new", "new_command"),
    "serve": ("web", "serve"),
    "users": ("web", "users"),
    "remind": ("web", "remind"),
}


class LazyGroup(DpaGroup):
    """The root group: its commands are the entries of :data:`COMMANDS`, imported on first use."""

    def list_commands(self, ctx: click.Context) -> list[str]:
        return sorted(COMMANDS)

    def get_command(self, ctx: click.Context, cmd_name: str) -> click.Command | None:
        if cmd_name not in COMMANDS:
            return None
        if cmd_name not in self.commands:
            import importlib

            module_name, attribute = COMMANDS[cmd_name]
            module = importlib.import_module(f"dpa_kit.cli.{module_name}")
            self.add_command(getattr(module, attribute), cmd_name)
        return self.commands[cmd_name]

    def resolve_command(self, ctx: click.Context, args: list[str]) -> Any:
        try:
            return super().resolve_command(ctx, args)
        except click.exceptions.NoSuchCommand as exc:  # suggest among every command, loaded or not
            raise click.exceptions.NoSuchCommand(args[0], possibilities=list(COMMANDS), ctx=ctx) from exc


def _show_version(ctx: click.Context, param: click.Parameter, value: bool) -> None:
    # click.version_option would build its English help through gettext at import time: the French catalogue
    # would then be compiled for every command, even those that never show a click message
    if not value or ctx.resilient_parsing:
        return
    import dpa_kit

    click.echo(f"dpa-kit {dpa_kit.__version__}")
    ctx.exit()


@click.group(cls=LazyGroup, context_settings={"help_option_names": ["-h", "--help"]})
@click.option(
    "--version",
    "-V",
    is_flag=True,
    expose_value=False,
    is_eager=True,
    callback=_show_version,
    help="Affiche la version et quitte.",
)
@click.option(
    "--registers",
    type=click.Path(file_okay=False, path_type=Path),
    envvar="DPA_KIT_REGISTERS",
    default="registers",
    show_default=True,
    help="Dossier des conventions (variable DPA_KIT_REGISTERS).",
)
@click.option(
    "--ledger",
    type=click.Path(dir_okay=False, path_type=Path),
    envvar="DPA_KIT_LEDGER",
    default=None,
    help="Journal SQLite (variable DPA_KIT_LEDGER ; par défaut ledger.sqlite dans le dossier des conventions).",
)
@click.pass_context
def cli(ctx: click.Context, registers: Path, ledger: Path | None) -> None:
    """dpa-kit : l'annexe 1 RGPD des conventions du Département, de la convention signée à
    l'attestation de destruction.

    \b
    Exemples :
      dpa-kit list registers
      dpa-kit check registers
      dpa-kit build registers -o annexes

    La variable DPA_KIT_NOW (instant ISO 8601) remplace l'horloge, pour les tests et les audits.
    """
    ctx.obj = Settings(registers=registers, ledger_path=ledger)


#: pydantic's documented switch for its plugins (https://docs.pydantic.dev/latest/concepts/plugins/).
PLUGINS_ENV = "PYDANTIC_DISABLE_PLUGINS"


def main() -> None:
    """Console-script entry point."""
    # A validated convention holds personal data: no pydantic plugin installed beside dpa-kit (tracing, logging)
    # sees it, and the search for plugins through every installed package's metadata (~10 ms at each start) is
    # skipped. A value the user set wins.
    os.environ.setdefault(PLUGINS_ENV, "__all__")
    cli.main(prog_name="dpa-kit")
