"""The DPO's overview (``dpa-kit status``)."""

from __future__ import annotations

import json
from pathlib import Path

import click

from dpa_kit.cli import common
from dpa_kit.cli.common import EXIT_OK, EXIT_PROBLEMS, FORCE_HELP, Settings, ledger_if_any, pass_settings


@click.command("status")
@click.argument("folder", required=False, metavar="[DOSSIER]", type=click.Path(file_okay=False, path_type=Path))
@click.option("--format", "fmt", type=common.TEXT_OR_JSON, default="texte", show_default=True)
@click.option(
    "--html", "html_file", type=click.Path(dir_okay=False, path_type=Path), help="Écrire aussi une page HTML."
)
@click.option("--force", is_flag=True, help=FORCE_HELP)
@pass_settings
def status_command(settings: Settings, folder: Path | None, fmt: str, html_file: Path | None, force: bool) -> int:
    """Vue d'ensemble du DPO : conventions, violations ouvertes, attestations dues, derniers échanges.

    Code de sortie 1 si quelque chose est en retard.

    \b
    Exemple :
      dpa-kit status registers --html tableau-de-bord.html

    Le journal est celui du dossier (DOSSIER/ledger.sqlite) sauf --ledger.
    """
    from dpa_kit.status import overview, render_html, render_text

    if folder is not None:
        settings = Settings(registers=folder, ledger_path=settings.ledger_path)
    data = overview(settings.registers, ledger_if_any(settings))
    if fmt == "json":
        click.echo(json.dumps(data, ensure_ascii=False, indent=2))
    else:
        click.echo(render_text(data))
    if html_file is not None:
        from dpa_kit import written

        written.write_file(html_file, render_html(data).encode("utf-8"), force=force)
        click.echo(f"Page écrite : {html_file}")
    return EXIT_PROBLEMS if data["late"] else EXIT_OK
