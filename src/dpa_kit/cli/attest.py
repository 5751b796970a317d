"""Commands of deletion attestations (``dpa-kit attest ...``)."""

from __future__ import annotations

import json
from pathlib import Path

import click

from dpa_kit import clock
from dpa_kit.cli import common
from dpa_kit.cli.common import (
    EXIT_OK,
    EXIT_PROBLEMS,
    CommandGroup,
    Settings,
    echo_err,
    ledger_if_any,
    option_instant,
    pass_settings,
)


@click.group("attest", cls=CommandGroup)
def attest_group() -> None:
    """Attestations de destruction des données en fin de convention.

    \b
    Exemple :
      dpa-kit attest due --overdue
    """


@attest_group.command("draft")
@click.argument("convention_id", metavar="ID_CONVENTION")
@click.option("--format", "fmt", type=click.Choice(["docx", "odt", "pdf", "md"]), default="docx", show_default=True)
@click.option("-o", "--output", type=click.Path(dir_okay=False, path_type=Path), help="Fichier à écrire.")
@click.option(
    "--templates",
    type=click.Path(file_okay=False, exists=True, path_type=Path),
    help="Dossier de modèles qui remplacent ceux de dpa-kit.",
)
@click.option("--force", is_flag=True, help=common.FORCE_HELP)
@pass_settings
def attest_draft(
    settings: Settings, convention_id: str, fmt: str, output: Path | None, templates: Path | None, force: bool
) -> None:
    """Prépare l'attestation de destruction pré-remplie d'une convention, à compléter et signer.

    Les champs à remplir sont surlignés « [À COMPLÉTER : ...] » ; dpa-kit check sur le document
    rempli signale ceux qui restent.

    \b
    Exemple :
      dpa-kit attest draft 2026-FSL-ADIL-NUMERO-VERT --format docx -o attestation.docx
    """
    from dpa_kit.attest import draft
    from dpa_kit.loader import find_convention

    convention = find_convention(settings.registers, convention_id).convention
    target = output or Path(f"{convention.id}.attestation.{fmt}")
    draft(convention, fmt, target, ledger_if_any(settings), templates, force=force)
    click.echo(f"Attestation pré-remplie : {target}")
    click.echo(
        "À compléter par la structure, signer, puis enregistrer : "
        f"dpa-kit attest record {convention.id} --file FICHIER_SIGNÉ"
    )


@attest_group.command("record")
@click.argument("convention_id", metavar="ID_CONVENTION")
@click.option(
    "--file",
    "file",
    type=click.Path(dir_okay=False, exists=True, path_type=Path),
    required=True,
    help="L'attestation signée reçue (PDF, DOCX...).",
)
@click.option("--received-at", help="Date de réception (par défaut : maintenant).")
@pass_settings
def attest_record(settings: Settings, convention_id: str, file: Path, received_at: str | None) -> None:
    """Enregistre une attestation reçue (empreinte SHA-256) et en garde une copie non modifiable.

    \b
    Exemple :
      dpa-kit attest record 2026-FSL-ADIL-NUMERO-VERT --file attestation-signee.pdf
    """
    from dpa_kit.attest import record
    from dpa_kit.ledger import Ledger
    from dpa_kit.loader import find_convention

    loaded = find_convention(settings.registers, convention_id)
    at = option_instant(received_at, "heure de réception de l'attestation", "--received-at")
    payload = record(Ledger(settings.ledger), settings.registers, loaded, file, at)
    click.echo(f"Attestation enregistrée pour {convention_id} : sha256 {payload['sha256']}, {payload['size']} octets.")
    click.echo(f"Copie conservée : {settings.registers / payload['stored']}")


@attest_group.command("verify")
@click.argument("convention_id", metavar="ID_CONVENTION")
@click.option("--file", "file", type=click.Path(dir_okay=False, exists=True, path_type=Path), required=True)
@pass_settings
def attest_verify(settings: Settings, convention_id: str, file: Path) -> int:
    """Dit si un fichier est exactement l'attestation enregistrée (code 1 sinon).

    \b
    Exemple :
      dpa-kit attest verify 2026-FSL-ADIL-NUMERO-VERT --file attestation.pdf
    """
    from dpa_kit.attest import verify
    from dpa_kit.ledger import Ledger

    same, recorded = verify(Ledger(settings.ledger, create=False), convention_id, file)
    if same:
        click.echo(f"Identique à l'attestation enregistrée (sha256 {recorded['sha256']}).")
        return EXIT_OK
    echo_err(f"DIFFÉRENT de l'attestation enregistrée le {recorded['received_at'][:10]} (sha256 {recorded['sha256']}).")
    return EXIT_PROBLEMS


@attest_group.command("due")
@click.option("--overdue", is_flag=True, help="Seulement les attestations en retard (code 1 s'il y en a).")
@click.option("--all", "show_all", is_flag=True, help="Inclure les attestations déjà reçues.")
@click.option(
    "--remind",
    type=click.Path(file_okay=False, path_type=Path),
    help="Écrire dans ce dossier un courriel de relance (.eml) par structure en retard.",
)
@click.option(
    "--from",
    "sender",
    default="Delegue.Protection.Donnees@pasdecalais.fr",
    show_default=True,
    help="Expéditeur des relances.",
)
@click.option("--format", "fmt", type=common.TEXT_OR_JSON, default="texte", show_default=True)
@pass_settings
def attest_due(settings: Settings, overdue: bool, show_all: bool, remind: Path | None, sender: str, fmt: str) -> int:
    """Liste les conventions terminées sans attestation enregistrée, avec l'échéance et le retard.

    \b
    Exemple :
      dpa-kit attest due --overdue --remind relances/
    """
    from dpa_kit.attest import NO_ADDRESS, owed, write_reminders

    items = owed(settings.registers, ledger_if_any(settings))
    if not show_all:
        items = [d for d in items if d.recorded is None]
    late = [d for d in items if d.overdue]
    if overdue:
        items = late
    if fmt == "json":
        click.echo(json.dumps([d.as_json() for d in items], ensure_ascii=False, indent=2))
    elif not items:
        click.echo("Aucune attestation en retard." if overdue else "Aucune attestation attendue.")
    else:
        for d in items:
            state = d.state
            click.echo(
                f"{d.convention}  {d.structure or ''}  fin {clock.french_date(d.end)}, "
                f"échéance {clock.french_date(d.due_date)} : {state}"
            )
    if remind is not None:
        written, without_address = write_reminders(late, remind, sender)
        for d in without_address:
            echo_err(f"{d.convention} : {NO_ADDRESS} ; relance non écrite : ajoutez l'une des deux à la convention")
        click.echo(f"{len(written)} relance(s) écrite(s) dans {remind}.")
    return EXIT_PROBLEMS if overdue and late else EXIT_OK
