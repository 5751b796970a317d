"""The ``dpa-kit`` command line: parses options, calls one library function, prints in French.

The root group catches :class:`~dpa_kit.exceptions.DpaKitError` once and turns it into one French message on
stderr and a documented exit code (0 fine, 1 problems found or overdue, 2 bad usage or input,
3 internal error with a crash report). No Python traceback reaches the user.

Every command group lives in its own module and is registered here, explicitly; no module of this package
imports this one.
"""

from __future__ import annotations

from pathlib import Path

import click

from dpa_kit.cli.common import DpaGroup, Settings, install_french

install_french()  # before the commands are declared: click.Path names itself in French when created

from dpa_kit.cli import attest as attest_commands  # noqa: E402
from dpa_kit.cli import breach as breach_commands  # noqa: E402
from dpa_kit.cli import conventions as convention_commands  # noqa: E402
from dpa_kit.cli import exchange as exchange_commands  # noqa: E402
from dpa_kit.cli import ledger as ledger_commands  # noqa: E402
from dpa_kit.cli import new as new_commands  # noqa: E402
from dpa_kit.cli import register as register_commands  # noqa: E402
from dpa_kit.cli import status as status_commands  # noqa: E402

__all__ = ["cli", "main"]


@click.group(cls=DpaGroup, context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(None, "--version", "-V", package_name="dpa-kit", message="dpa-kit %(version)s")
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


for command in convention_commands.COMMANDS:
    cli.add_command(command)
cli.add_command(ledger_commands.ledger_group)
cli.add_command(breach_commands.breach_group)
cli.add_command(exchange_commands.exchange_group)
cli.add_command(attest_commands.attest_group)
cli.add_command(status_commands.status_command)
cli.add_command(register_commands.register_group)
cli.add_command(new_commands.new_command)


def main() -> None:
    """Console-script entry point."""
    cli.main(prog_name="dpa-kit")
