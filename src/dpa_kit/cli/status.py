"""The DPO's overview (``dpa-kit status``)."""

from __future__ import annotations

import json
from pathlib import Path

import click

from dpa_kit.cli.common import EXIT_OK, EXIT_PROBLEMS, Settings, ledger_if_any, pass_settings


@click.command("status")
@click.option("--format", "fmt", type=click.Choice(["text", "json"]), default="text", show_default=True)
@click.option("--html", "html_file", type=click.Path(dir_okay=False, path_type=Path), help="Écrire aussi une page HTML.")
@pass_settings
def status_command(settings: Settings, fmt: str, html_file: Path | None) -> int:
    """Vue d'ensemble du DPO : conventions, violations ouvertes, attestations dues, derniers échanges.

    Code de sortie 1 si quelque chose est en retard.

    \b
    Exemple :
      dpa-kit status --html tableau-de-bord.html
    """
    from dpa_kit.status import overview, render_html, render_text

    data = overview(settings.registers, ledger_if_any(settings))
    if fmt == "json":
        click.echo(json.dumps(data, ensure_ascii=False, indent=2))
    else:
        click.echo(render_text(data))
    if html_file is not None:
        from dpa_kit.fsutil import atomic_write

        html_file.parent.mkdir(parents=True, exist_ok=True)
        atomic_write(html_file, render_html(data).encode("utf-8"))
        click.echo(f"Page écrite : {html_file}")
    return EXIT_PROBLEMS if data["late"] else EXIT_OK
