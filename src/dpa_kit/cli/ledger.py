"""Commands of the ledger (``dpa-kit ledger ...``)."""

from __future__ import annotations

import sys
from pathlib import Path

import click

from dpa_kit.cli.common import EXIT_OK, EXIT_PROBLEMS, CommandGroup, Settings, echo_err, open_ledger, pass_settings


@click.group("ledger", cls=CommandGroup)
def ledger_group() -> None:
    """Journal des événements (violations, échanges, attestations), chaîné par SHA-256.

    \b
    Exemple :
      dpa-kit ledger verify
    """


@ledger_group.command("verify")
@click.option("--expect-head", help="Empreinte de tête de chaîne relevée auparavant (détecte les derniers événements retirés).")
@pass_settings
def ledger_verify(settings: Settings, expect_head: str | None) -> int:
    """Vérifie qu'aucun événement du journal n'a été modifié, supprimé ou déplacé.

    \b
    Exemple :
      dpa-kit --ledger registers/ledger.sqlite ledger verify
    """
    result = open_ledger(settings, create=False).verify(expect_head)
    if result.ok:
        click.echo(f"Journal intègre : {result.checked} événement(s). Tête de chaîne : {result.head}")
        click.echo("Conservez cette empreinte ailleurs pour détecter plus tard le retrait des derniers événements.")
        return EXIT_OK
    echo_err(f"Journal ALTÉRÉ : {result.reason}.")
    echo_err("Ne modifiez plus ce fichier, conservez-en une copie et prévenez le DPO.")
    return EXIT_PROBLEMS


@ledger_group.command("export")
@click.option("-o", "--output", type=click.Path(dir_okay=False, path_type=Path), help="Fichier JSON lines (par défaut : sortie standard).")
@pass_settings
def ledger_export(settings: Settings, output: Path | None) -> None:
    """Exporte tous les événements du journal en JSON lines (un événement par ligne).

    \b
    Exemple :
      dpa-kit ledger export -o journal.jsonl
    """
    ledger = open_ledger(settings, create=False)
    if output is None:
        ledger.export_jsonl(sys.stdout)
        return
    with output.open("w", encoding="utf-8") as handle:
        count = ledger.export_jsonl(handle)
    echo_err(f"{count} événement(s) exporté(s) dans {output}")
