"""Commands of the ledger (``dpa-kit ledger ...``)."""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Any

import click

from dpa_kit import clock
from dpa_kit.cli.common import (
    EXIT_OK,
    EXIT_PROBLEMS,
    FORCE_HELP,
    CommandGroup,
    Settings,
    echo_err,
    open_ledger,
    pass_settings,
)
from dpa_kit.exceptions import UsageError


@click.group("ledger", cls=CommandGroup)
def ledger_group() -> None:
    """Journal des événements (violations, échanges, attestations), chaîné par SHA-256 et scellé par le DPO.

    \b
    Exemple :
      dpa-kit ledger verify --public-key dpo.key.pub
    """


@ledger_group.command("verify")
@click.option(
    "--expect-head", help="Empreinte de tête de chaîne relevée auparavant (détecte les derniers événements retirés)."
)
@click.option(
    "--public-key",
    envvar="DPA_KIT_LEDGER_PUBLIC_KEY",
    help="Clé publique du DPO (ed25519:..., ou le fichier .pub) : chaque sceau doit être signé par elle "
    "(variable DPA_KIT_LEDGER_PUBLIC_KEY).",
)
@click.option(
    "--seal",
    "seal_files",
    multiple=True,
    type=click.Path(dir_okay=False, exists=True, path_type=Path),
    help="Sceau exporté (ledger seal -o) à vérifier aussi contre le journal.",
)
@pass_settings
def ledger_verify(
    settings: Settings, expect_head: str | None, public_key: str | None, seal_files: tuple[Path, ...]
) -> int:
    """Vérifie qu'aucun événement du journal n'a été modifié, supprimé ou déplacé, et chaque sceau.

    \b
    Exemple :
      dpa-kit --ledger registers/ledger.sqlite ledger verify --public-key dpo.key.pub
    """
    from dpa_kit.ledger import Seal, key_fingerprint

    key = _public_key_text(public_key) if public_key else None
    extra = [Seal.from_json(_read_json(path)) for path in seal_files]
    result = open_ledger(settings, create=False).verify(expect_head, public_key=key, extra_seals=extra)
    if result.ok:
        click.echo(f"Journal intègre : {result.checked} événement(s). Tête de chaîne : {result.head}")
        if result.seals:
            click.echo(
                f"{result.seals} sceau(x) vérifié(s) ; les {result.sealed_events} premiers événements sont "
                f"scellés (clé du DPO, empreinte {key_fingerprint(result.public_key or '')})."
            )
            if not key:
                click.echo(
                    "Clé prise dans le journal : donnez --public-key pour la comparer à celle conservée par le DPO."
                )
        else:
            click.echo("Aucun sceau : scellez le journal (dpa-kit ledger seal) pour le garantir contre une réécriture.")
        return EXIT_OK
    echo_err(f"Journal ALTÉRÉ : {result.reason}.")
    echo_err("Ne modifiez plus ce fichier, conservez-en une copie et prévenez le DPO.")
    return EXIT_PROBLEMS


def _read_json(path: Path) -> Any:
    try:
        return json.loads(path.read_bytes()[:65536])
    except (OSError, ValueError) as exc:
        raise UsageError(f"{path} : fichier JSON illisible") from exc


def _public_key_text(value: str) -> str:
    candidate = Path(value)
    if not value.startswith("ed25519:") and candidate.is_file():
        return candidate.read_text(encoding="utf-8", errors="replace")[:200].strip()
    return value.strip()


@ledger_group.command("keygen")
@click.option(
    "-o",
    "--output",
    type=click.Path(dir_okay=False, path_type=Path),
    required=True,
    help="Fichier de la clé privée à créer (droits 0600) ; la clé publique va dans FICHIER.pub.",
)
def ledger_keygen(output: Path) -> None:
    """Crée la clé Ed25519 du DPO qui scelle le journal (clé privée 0600, clé publique affichée).

    \b
    Exemple :
      dpa-kit ledger keygen -o ~/.dpa-kit/dpo.key
    """
    import os

    from dpa_kit.ledger import generate_key, key_fingerprint

    public_file = output.with_name(output.name + ".pub")
    for target in (output, public_file):
        if target.exists():
            raise UsageError(f"{target} existe déjà : une clé ne s'écrase pas ; choisissez un autre nom")
    output.parent.mkdir(parents=True, exist_ok=True)
    private, public = generate_key()
    fd = os.open(output, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(fd, "wb") as handle:
        handle.write(private)
    public_file.write_text(public + "\n", encoding="ascii")
    click.echo(f"Clé privée : {output} (à garder par le DPO seul, hors du dossier du journal).")
    click.echo(f"Clé publique : {public}")
    click.echo(f"Empreinte : {key_fingerprint(public)} ; clé publique aussi dans {public_file}.")
    click.echo("Conservez la clé publique ailleurs (courrier, intranet) : ledger verify --public-key la demande.")


@ledger_group.command("seal")
@click.option(
    "--key",
    "key_file",
    type=click.Path(dir_okay=False, exists=True, path_type=Path),
    required=True,
    help="Clé privée du DPO (créée par dpa-kit ledger keygen).",
)
@click.option(
    "-o",
    "--output",
    type=click.Path(dir_okay=False, path_type=Path),
    help="Exporter aussi le sceau dans ce fichier JSON (à conserver hors de la machine du journal).",
)
@click.option("--force", is_flag=True, help=FORCE_HELP)
@pass_settings
def ledger_seal(settings: Settings, key_file: Path, output: Path | None, force: bool) -> None:
    """Scelle le journal : signe sa tête de chaîne (nombre d'événements, empreinte, instant) avec la clé du DPO.

    \b
    Exemple :
      dpa-kit ledger seal --key ~/.dpa-kit/dpo.key -o sceau-2026-11-28.json
    """
    from dpa_kit import written

    if output is not None:  # refused before sealing, not after
        written.guard([output], force=force)
    ledger = open_ledger(settings, create=False)
    seal = ledger.seal(key_file.read_bytes()[:65536], clock.now())
    click.echo(f"Sceau n° {seal.number} : {seal.events} événement(s), tête de chaîne {seal.head}.")
    if output is not None:
        written.write_file(output, (json.dumps(seal.as_json(), indent=1) + "\n").encode("utf-8"), force=force)
        click.echo(f"Sceau exporté : {output}")


@ledger_group.command("export")
@click.option(
    "-o",
    "--output",
    type=click.Path(dir_okay=False, path_type=Path),
    help="Fichier JSON lines (par défaut : sortie standard).",
)
@click.option("--force", is_flag=True, help=FORCE_HELP)
@pass_settings
def ledger_export(settings: Settings, output: Path | None, force: bool) -> None:
    """Exporte tous les événements du journal en JSON lines (un événement par ligne).

    \b
    Exemple :
      dpa-kit ledger export -o journal.jsonl
    """
    ledger = open_ledger(settings, create=False)
    if output is None:
        ledger.export_jsonl(sys.stdout)
        return
    from dpa_kit import written

    written.guard([output], force=force)
    with output.open("w", encoding="utf-8") as handle:
        count = ledger.export_jsonl(handle)
    written.record([output])
    echo_err(f"{count} événement(s) exporté(s) dans {output}")
