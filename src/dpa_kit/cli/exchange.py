"""Commands of encrypted exchanges (``dpa-kit exchange ...``)."""

from __future__ import annotations

import contextlib
import os
import sys
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import TYPE_CHECKING

import click

if TYPE_CHECKING:
    from dpa_kit.ziplimits import Limits

from dpa_kit.cli import common
from dpa_kit.cli.common import EXIT_OK, CommandGroup, Settings, echo_err, pass_settings
from dpa_kit.exceptions import UsageError


@click.group("exchange", cls=CommandGroup)
def exchange_group() -> None:
    """Échanges chiffrés (AES-256) que 7-Zip ouvre : noms cachés, intégrité vérifiée.

    \b
    Exemple :
      dpa-kit exchange pack liste.csv -o envoi.zip --convention 2026-FSL-ADIL-NUMERO-VERT
    """


_PASSWORD_FILE = click.option(
    "--password-file",
    type=click.Path(dir_okay=False, exists=True, path_type=Path),
    help="Fichier dont la première ligne est le mot de passe (sinon : variable DPA_KIT_PASSWORD).",
)
PASSWORD_ENV = "DPA_KIT_PASSWORD"


def _supplied(password_file: Path | None) -> str | None:
    from dpa_kit import passwords

    return passwords.supplied(password_file, os.environ.get(PASSWORD_ENV))


def _size(text: str) -> int:
    """A size such as 60G, 500M, 2T or a number of bytes (G = Gio)."""
    units = {"K": 1 << 10, "M": 1 << 20, "G": 1 << 30, "T": 1 << 40}
    value = text.strip().upper().removesuffix("O").removesuffix("I")
    factor = units.get(value[-1:], 1)
    number = value[:-1] if value[-1:] in units else value
    try:
        size = int(float(number.replace(",", ".")) * factor)
    except ValueError:
        raise click.BadParameter(f"« {text} » n'est pas une taille (exemples : 60G, 500M)") from None
    if size < 1:
        raise click.BadParameter("la taille doit être positive")
    return size


def _limit_options(func: Callable[..., object]) -> Callable[..., object]:
    """Bomb limits a recipient may raise for a real, very large exchange (see the README)."""
    func = click.option(
        "--max-depth",
        type=click.IntRange(min=1),
        default=None,
        help="Niveaux de dossiers au plus dans un nom (défaut : 32).",
    )(func)
    func = click.option(
        "--max-files", type=click.IntRange(min=1), default=None, help="Nombre de fichiers au plus (défaut : 100000)."
    )(func)
    func = click.option(
        "--max-ratio",
        type=click.IntRange(min=1),
        default=None,
        help="Taux de compression au plus, par fichier et pour l'ensemble (défaut : 500).",
    )(func)
    func = click.option(
        "--max-size",
        default=None,
        help="Taille au plus une fois extraite, par exemple 60G pour un envoi de 50 Go (défaut : 20G).",
    )(func)
    return func


def _limits(max_size: str | None, max_ratio: int | None, max_files: int | None, max_depth: int | None) -> Limits:
    import dataclasses

    from dpa_kit.ziplimits import DEFAULT_LIMITS

    changes = {
        key: value
        for key, value in (
            ("max_total", _size(max_size) if max_size else None),
            ("max_ratio", max_ratio),
            ("max_entries", max_files),
            ("max_depth", max_depth),
        )
        if value is not None
    }
    return dataclasses.replace(DEFAULT_LIMITS, **changes)


@exchange_group.command("pack")
@click.argument("paths", nargs=-1, required=True, metavar="CHEMINS...", type=click.Path(path_type=Path))
@click.option(
    "-o", "--output", type=click.Path(dir_okay=False, path_type=Path), required=True, help="Archive à créer (.zip)."
)
@click.option("--convention", help="Identifiant de la convention concernée (noté dans le manifeste et le journal).")
@click.option("--to", "recipient", help="Destinataire (noté dans le manifeste chiffré).")
@click.option("--from", "sender", help="Expéditeur (noté dans le manifeste chiffré).")
@_PASSWORD_FILE
@click.option(
    "--recipient",
    "public_keys",
    multiple=True,
    help="Chiffrer pour une clé publique age (age1... ou fichier qui la contient) au lieu d'un mot de passe.",
)
@click.option("--force", is_flag=True, help="Remplacer l'archive si elle existe.")
@pass_settings
def exchange_pack(
    settings: Settings,
    paths: tuple[Path, ...],
    output: Path,
    convention: str | None,
    recipient: str | None,
    sender: str | None,
    password_file: Path | None,
    public_keys: tuple[str, ...],
    force: bool,
) -> int:
    """Chiffre des fichiers ou dossiers dans une archive AES-256 que 7-Zip ouvre.

    Sans mot de passe fourni, dpa-kit en génère un très solide, affiché une seule fois :
    transmettez-le par un autre canal (téléphone, SMS) que l'archive.

    \b
    Un mot de passe fourni doit valoir 80 bits (CNIL, délibération 2022-100), par exemple :
      - 12 caractères tirés au hasard parmi majuscules, minuscules, chiffres, caractères spéciaux ;
      - 14 caractères tirés au hasard parmi trois de ces types ;
      - une phrase de passe d'au moins 7 mots tirés au hasard.
    Mots, prénoms, années et suites de touches (azerty) ne comptent presque pas.

    \b
    Exemple :
      dpa-kit exchange pack beneficiaires.csv justificatifs/ -o envoi.zip --to dpo@pasdecalais.fr
    """
    from dpa_kit import passwords
    from dpa_kit.exchange import pack, record
    from dpa_kit.loader import find_convention

    if convention is not None:  # noted in the manifest and the ledger: it must be a real convention
        convention = find_convention(settings.registers, convention).convention.id
    if public_keys:
        keys = [_read_key(k) for k in public_keys]
        with _progress(paths) as advance:
            result = pack(
                list(paths),
                output,
                "",
                sender=sender,
                recipient=recipient,
                convention=convention,
                overwrite=force,
                recipients=keys,
                progress=advance,
            )
        click.echo(f"Fichier chiffré pour {len(keys)} clé(s) publique(s) : {output} ({result.files} fichier(s)).")
        click.echo(
            "Seul le détenteur de la clé privée correspondante peut l'ouvrir "
            "(dpa-kit exchange open --identity, ou age -d)."
        )
        given: str | None = "(clé publique)"
    else:
        given = _supplied(password_file)
        password = passwords.check_supplied(given) if given is not None else passwords.generate()
        with _progress(paths) as advance:
            result = pack(
                list(paths),
                output,
                password,
                sender=sender,
                recipient=recipient,
                convention=convention,
                overwrite=force,
                progress=advance,
            )
        click.echo(
            f"Archive chiffrée : {output} ({result.files} fichier(s), {result.total_size} octets avant compression)."
        )
        click.echo("Les noms des fichiers sont cachés : une liste sans mot de passe ne montre que « contenu.zip ».")
    if given is None:
        click.echo("")
        click.secho(f"Mot de passe : {password}", bold=True)
        click.echo(
            f"(environ {passwords.generated_bits():.0f} bits ; il n'est enregistré nulle part et ne sera plus affiché)"
        )
        click.echo(
            "Il se tape exactement ainsi : en minuscules, tirets compris, sans espace "
            f"({len(password)} caractères). Au téléphone, épelez-le groupe par groupe."
        )
        click.echo("Transmettez-le par un autre canal que l'archive : téléphone ou SMS, jamais dans le même courriel.")
        click.echo(
            "Pour le destinataire : 7-Zip demande ce mot de passe, puis ouvrez le fichier contenu.zip extrait ; "
            "ou bien : dpa-kit exchange open ARCHIVE -o DOSSIER."
        )
    if record(
        settings.ledger,
        "packed",
        convention=convention,
        counterpart=recipient,
        archive_sha256=result.sha256,
        files=result.files,
        total_size=result.total_size,
    ):
        click.echo("Envoi inscrit au journal (sans noms de fichiers).")
    return EXIT_OK


@contextlib.contextmanager
def _progress(paths: tuple[Path, ...]) -> Iterator[Callable[[int], None]]:
    """A progress bar in bytes on a terminal (large exports take a while); nothing otherwise."""
    from rich.progress import BarColumn, DownloadColumn, Progress, TextColumn, TimeRemainingColumn

    total = sum(
        p.stat().st_size
        for root in paths
        if root.exists()
        for p in ([root] if root.is_file() else root.rglob("*"))
        if p.is_file() and not p.is_symlink()
    )
    columns = (TextColumn("Chiffrement"), BarColumn(), DownloadColumn(), TimeRemainingColumn())
    with Progress(*columns, transient=True, disable=not sys.stderr.isatty()) as bar:
        task = bar.add_task("", total=total)
        yield lambda size: bar.advance(task, size)


def _read_key(value: str) -> str:
    """An age recipient given inline (age1...) or as a file holding it."""
    if value.strip().startswith("age1"):
        return value.strip()
    path = Path(value)
    if not path.is_file():
        raise UsageError(f"« {value} » n'est ni une clé publique age (age1...) ni un fichier qui en contient une")
    for line in path.read_text(encoding="utf-8").splitlines():
        line = line.strip()
        if line.startswith("age1"):
            return line
        if line.startswith("# public key: age1"):
            return line.removeprefix("# public key: ").strip()
    raise UsageError(f"{path} : aucune clé publique age (age1...) dans ce fichier")


_IDENTITY = click.option(
    "--identity",
    type=click.Path(dir_okay=False, exists=True, path_type=Path),
    help="Fichier de clé privée age, pour un fichier chiffré par clé publique.",
)


def _secret(archive: Path, password_file: Path | None, identity: Path | None) -> tuple[str | None, str | None]:
    """(password, identities text) for opening ``archive``."""
    from dpa_kit.agecrypt import is_age

    if archive.is_file() and is_age(archive):
        if identity is None:
            raise UsageError(
                f"{archive} est chiffré pour une clé publique : indiquez votre clé privée avec --identity FICHIER"
            )
        return None, identity.read_text(encoding="utf-8")
    return _password(password_file), None


def _password(password_file: Path | None) -> str:
    given = _supplied(password_file)
    if given is not None:
        return given
    if not common.interactive():
        raise UsageError("mot de passe attendu : --password-file FICHIER ou variable DPA_KIT_PASSWORD")
    return click.prompt("Mot de passe de l'archive", hide_input=True)


@exchange_group.command("open")
@click.argument("archive", metavar="ARCHIVE", type=click.Path(dir_okay=False, path_type=Path))
@click.option(
    "-o", "--output", type=click.Path(file_okay=False, path_type=Path), required=True, help="Dossier où extraire."
)
@_PASSWORD_FILE
@_IDENTITY
@click.option("--force", is_flag=True, help="Remplacer les fichiers qui existent déjà dans le dossier.")
@click.option("--from", "sender", help="Expéditeur (noté au journal).")
@_limit_options
@pass_settings
def exchange_open(
    settings: Settings,
    archive: Path,
    output: Path,
    password_file: Path | None,
    identity: Path | None,
    force: bool,
    sender: str | None,
    max_size: str | None,
    max_ratio: int | None,
    max_files: int | None,
    max_depth: int | None,
) -> int:
    """Déchiffre une archive et vérifie chaque fichier (SHA-256) avant de lui donner son nom.

    Tout ou rien : les fichiers sont écrits dans un dossier privé puis mis en place seulement si
    tout est vérifié. Refuse une archive modifiée (entrée ajoutée, non chiffrée, ZipCrypto), les
    chemins dangereux, les noms interdits sous Windows ou macOS, les liens et les bombes de
    décompression. Ouvre aussi les archives 7-Zip entièrement chiffrées en AES (sans manifeste :
    l'ensemble des fichiers n'est pas authentifié).

    \b
    Exemple :
      dpa-kit exchange open envoi.zip -o recu/
    """
    from dpa_kit.exchange import open_archive, record

    password, identities = _secret(archive, password_file, identity)
    result = open_archive(
        archive,
        password,
        output,
        overwrite=force,
        identities=identities,
        limits=_limits(max_size, max_ratio, max_files, max_depth),
    )
    if result.leftovers_removed:
        echo_err(
            f"Nettoyage : {result.leftovers_removed} dossier(s) temporaire(s) laissé(s) par une ouverture "
            f"interrompue ont été supprimé(s) de {output}."
        )
    click.echo(f"{len(result.files)} fichier(s) extrait(s) dans {output} ({result.total_size} octets).")
    _report_integrity(result)
    convention = result.manifest.convention if result.manifest else None
    counterpart = sender or (result.manifest.sender if result.manifest else None)
    if record(
        settings.ledger,
        "opened",
        convention=convention,
        counterpart=counterpart,
        archive_sha256=result.archive_sha256,
        files=len(result.files),
        total_size=result.total_size,
    ):
        click.echo("Réception inscrite au journal (sans noms de fichiers).")
    return EXIT_OK


def _report_integrity(result: object) -> None:
    if getattr(result, "verified", False):
        manifest = result.manifest  # type: ignore[attr-defined]
        click.echo(
            f"Intégrité vérifiée : chaque fichier correspond au manifeste (créé le {manifest.created_at}"
            + (f", convention {manifest.convention}" if manifest.convention else "")
            + ")."
        )
    else:
        echo_err(
            "Attention : archive sans manifeste dpa-kit (faite avec 7-Zip ?) : chaque fichier est authentifié "
            "par son chiffrement AES, mais l'ensemble des fichiers ne l'est pas (un fichier a pu être retiré, "
            "ou ajouté par quelqu'un qui connaît le mot de passe) ; l'intégrité des fichiers n'a pas pu être "
            "vérifiée au-delà du contrôle du chiffrement."
        )


@exchange_group.command("verify")
@click.argument("archive", metavar="ARCHIVE", type=click.Path(dir_okay=False, path_type=Path))
@_PASSWORD_FILE
@_IDENTITY
@_limit_options
def exchange_verify(
    archive: Path,
    password_file: Path | None,
    identity: Path | None,
    max_size: str | None,
    max_ratio: int | None,
    max_files: int | None,
    max_depth: int | None,
) -> int:
    """Vérifie une archive (mot de passe, intégrité, manifeste) sans rien extraire.

    \b
    Exemple :
      dpa-kit exchange verify envoi.zip --password-file mdp.txt
    """
    from dpa_kit.exchange import open_archive

    password, identities = _secret(archive, password_file, identity)
    from dpa_kit.safenames import shown

    result = open_archive(
        archive, password, None, identities=identities, limits=_limits(max_size, max_ratio, max_files, max_depth)
    )
    click.echo(f"Archive lisible : {len(result.files)} fichier(s), {result.total_size} octets.")
    for entry in result.files:
        click.echo(f"  {shown(entry.path)}  {entry.size} octets  sha256 {entry.sha256}")
    _report_integrity(result)
    return EXIT_OK


@exchange_group.command("keygen")
@click.option(
    "-o",
    "--output",
    type=click.Path(dir_okay=False, path_type=Path),
    required=True,
    help="Fichier de clé privée à créer (lisible par vous seul).",
)
def exchange_keygen(output: Path) -> None:
    """Crée une paire de clés age pour les échanges fréquents, sans mot de passe à dicter.

    Donnez la clé publique (age1...) à vos correspondants ; gardez le fichier de clé privée pour vous.

    \b
    Exemple :
      dpa-kit exchange keygen -o dpo.cle-privee.txt
    """
    import os

    from dpa_kit import clock
    from dpa_kit.agecrypt import generate_identity

    if output.exists():
        raise UsageError(f"{output} existe déjà : une clé privée ne s'écrase pas ; choisissez un autre nom")
    identity, recipient = generate_identity()
    output.parent.mkdir(parents=True, exist_ok=True)
    fd = os.open(output, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(fd, "w", encoding="utf-8") as handle:
        handle.write(f"# created: {clock.now().isoformat(timespec='seconds')}\n# public key: {recipient}\n{identity}\n")
    click.echo(f"Clé privée écrite dans {output} (lisible par vous seul ; sauvegardez-la, sans elle rien ne s'ouvre).")
    click.secho(f"Clé publique à transmettre : {recipient}", bold=True)
