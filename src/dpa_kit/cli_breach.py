"""Commands of the ledger and of breaches (``dpa-kit ledger ...``, ``dpa-kit breach ...``)."""

from __future__ import annotations

import json
import sys
from datetime import datetime
from pathlib import Path
from typing import Any

import click

from dpa_kit import clock
from dpa_kit import cli as cli_module
from dpa_kit.cli import EXIT_OK, EXIT_PROBLEMS, Settings, cli, echo_err, pass_settings
from dpa_kit.exceptions import UsageError


def open_ledger(settings: Settings, create: bool = True) -> Any:
    from dpa_kit.ledger import Ledger

    return Ledger(settings.ledger, create=create)


def _instant(value: str | None, what: str) -> datetime | None:
    return clock.parse_instant(value, what) if value else None


def _paris(instant: datetime) -> str:
    return f"{clock.french_datetime(instant)} (heure de Paris)"


def _left(deadline: datetime, now: datetime) -> str:
    seconds = int((deadline - now).total_seconds())
    sign = "" if seconds >= 0 else "-"
    seconds = abs(seconds)
    hours, minutes = divmod(seconds // 60, 60)
    text = f"{hours} h {minutes:02d}"
    return f"il reste {text}" if not sign else f"dépassée de {text}"


# --- ledger ----------------------------------------------------------------------------------------


@cli.group("ledger")
def ledger_group() -> None:
    """Journal des événements (violations, échanges, attestations), chaîné par SHA-256.

    \b
    Exemple :
      dpa-kit ledger verify
    """


@ledger_group.command("verify")
@click.option("--expect-head", help="Empreinte de tête de chaîne relevée auparavant (détecte les derniers événements retirés).")
@click.option("--public-key", envvar="DPA_KIT_LEDGER_PUBLIC_KEY",
              help="Clé publique du DPO (ed25519:..., ou le fichier .pub) : chaque sceau doit être signé par elle "
                   "(variable DPA_KIT_LEDGER_PUBLIC_KEY).")
@click.option("--seal", "seal_files", multiple=True, type=click.Path(dir_okay=False, exists=True, path_type=Path),
              help="Sceau exporté (ledger seal -o) à vérifier aussi contre le journal.")
@pass_settings
def ledger_verify(settings: Settings, expect_head: str | None, public_key: str | None, seal_files: tuple[Path, ...]) -> int:
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
            click.echo(f"{result.seals} sceau(x) vérifié(s) ; les {result.sealed_events} premiers événements sont scellés "
                       f"(clé du DPO, empreinte {key_fingerprint(result.public_key or '')}).")
            if not key:
                click.echo("Clé prise dans le journal : donnez --public-key pour la comparer à celle conservée par le DPO.")
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
@click.option("-o", "--output", type=click.Path(dir_okay=False, path_type=Path), required=True,
              help="Fichier de la clé privée à créer (droits 0600) ; la clé publique va dans FICHIER.pub.")
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
@click.option("--key", "key_file", type=click.Path(dir_okay=False, exists=True, path_type=Path), required=True,
              help="Clé privée du DPO (créée par dpa-kit ledger keygen).")
@click.option("-o", "--output", type=click.Path(dir_okay=False, path_type=Path),
              help="Exporter aussi le sceau dans ce fichier JSON (à conserver hors de la machine du journal).")
@pass_settings
def ledger_seal(settings: Settings, key_file: Path, output: Path | None) -> None:
    """Scelle le journal : signe sa tête de chaîne (nombre d'événements, empreinte, instant) avec la clé du DPO.

    \b
    Exemple :
      dpa-kit ledger seal --key ~/.dpa-kit/dpo.key -o sceau-2026-11-28.json
    """
    from dpa_kit.fsutil import atomic_write

    ledger = open_ledger(settings, create=False)
    seal = ledger.seal(key_file.read_bytes()[:65536], clock.now())
    click.echo(f"Sceau n° {seal.number} : {seal.events} événement(s), tête de chaîne {seal.head}.")
    if output is not None:
        output.parent.mkdir(parents=True, exist_ok=True)
        atomic_write(output, (json.dumps(seal.as_json(), indent=1) + "\n").encode("utf-8"))
        click.echo(f"Sceau exporté : {output}")


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


# --- breach ----------------------------------------------------------------------------------------


@cli.group("breach")
def breach_group() -> None:
    """Violations de données : déclaration, échéances 24 h / 72 h, notification, registre.

    \b
    Exemple :
      dpa-kit breach declare --convention 2026-FSL-ADIL-NUMERO-VERT --nature confidentialité --description "..."
    """


def _convention(settings: Settings, convention_id: str) -> Any:
    from dpa_kit.loader import find_convention

    return find_convention(settings.registers, convention_id).convention


_DETAIL_OPTIONS = [
    click.option("--started-at", help="Début de la violation (ISO 8601, heure de Paris si sans décalage)."),
    click.option("--ended-at", help="Fin de la violation ; omettre avec --ongoing si elle dure encore."),
    click.option("--ongoing", is_flag=True, help="La violation est toujours en cours."),
    click.option("--nature", "natures", multiple=True, help="confidentialité, intégrité, disponibilité (plusieurs possibles)."),
    click.option("--description", help="Ce qui s'est passé."),
    click.option("--discovery", help="Comment la violation a été découverte."),
    click.option("--cause", help="Origine et cause (erreur d'envoi, vol, piratage...)."),
    click.option("--data-categories", help="Catégories de données concernées."),
    click.option("--people", type=click.IntRange(0), help="Nombre approximatif de personnes concernées."),
    click.option("--people-categories", help="Catégories de personnes concernées."),
    click.option("--records", type=click.IntRange(0), help="Nombre approximatif d'enregistrements."),
    click.option("--vulnerable", is_flag=True, help="Des mineurs ou des personnes vulnérables sont concernés."),
    click.option("--consequences", help="Conséquences probables pour les personnes."),
    click.option("--measures-before", help="Mesures de sécurité en place avant la violation."),
    click.option("--measures", help="Mesures prises ou envisagées."),
    click.option("--contact", help="Personne à joindre (nom, téléphone, courriel)."),
]


def detail_options(func: Any) -> Any:
    for option in reversed(_DETAIL_OPTIONS):
        func = option(func)
    return func


def _details(options: dict[str, Any], interactive: bool) -> dict[str, Any]:
    from dpa_kit.breach import NATURES, parse_natures

    if interactive:
        if not options["natures"]:
            click.echo("Nature : c = confidentialité, i = intégrité, d = disponibilité (plusieurs : c,i)")
            options["natures"] = (click.prompt("Nature de la violation", default="c"),)
        if not options["description"]:
            options["description"] = click.prompt("Que s'est-il passé ? (sans nom de personne)")
        for key, question in (("data_categories", "Quelles catégories de données ?"),
                              ("people", "Combien de personnes environ ?"),
                              ("consequences", "Conséquences probables pour les personnes ?"),
                              ("measures", "Mesures déjà prises ?"),
                              ("contact", "Qui peut-on joindre (nom, téléphone) ?")):
            if options.get(key) in (None, ""):
                answer = click.prompt(question, default="", show_default=False)
                options[key] = (int(answer) if key == "people" and answer.strip().isdigit() else answer) or None
    natures = parse_natures(list(options["natures"]))
    if not natures:
        raise UsageError("indiquez la nature de la violation : --nature confidentialité|intégrité|disponibilité")
    if not options.get("description"):
        raise UsageError("décrivez la violation : --description \"...\"")
    details = {key: value for key, value in options.items() if key != "natures" and value not in (None, "", False)}
    for key in ("started_at", "ended_at"):
        if key in details:
            details[key] = clock.parse_instant(details[key], key.replace("_", "-")).isoformat()
    details["natures"] = natures
    assert all(n in NATURES for n in natures)
    return details


def _print_breach_json(breach: Any, now: datetime) -> None:
    click.echo(json.dumps(breach.as_json(now), ensure_ascii=False, indent=2))


@breach_group.command("declare")
@click.option("--convention", "convention_id", help="Identifiant de la convention concernée.")
@click.option("--aware-at", help="Instant de la prise de connaissance (par défaut : maintenant).")
@detail_options
@click.option("--format", "fmt", type=click.Choice(["text", "json"]), default="text", show_default=True)
@pass_settings
def breach_declare(settings: Settings, /, convention_id: str | None, aware_at: str | None, fmt: str, **options: Any) -> None:
    """Déclare une violation découverte par la structure et affiche l'échéance de notification.

    Dans un terminal, les réponses manquantes sont demandées une à une.

    \b
    Exemple :
      dpa-kit breach declare --convention 2026-FSL-ADIL-NUMERO-VERT --nature confidentialité \\
        --description "liste envoyée au mauvais destinataire" --people 40
    """
    from dpa_kit.breach import declare

    interactive = cli_module.interactive() and fmt == "text"
    if not convention_id:
        if not interactive:
            raise UsageError("indiquez la convention concernée : --convention ID (dpa-kit list les affiche)")
        convention_id = click.prompt("Identifiant de la convention")
    convention = _convention(settings, convention_id)
    now = clock.now()
    aware = _instant(aware_at, "--aware-at") or now
    details = _details(options, interactive)
    if not details.get("ongoing") and "ended_at" not in details:
        details["ongoing"] = True
    breach = declare(open_ledger(settings), convention_id=convention.id, structure=convention.processor.display_name,
                     delay_hours=convention.notifications.breach_delay_hours, aware_at=aware, details=details)
    if fmt == "json":
        _print_breach_json(breach, now)
        return
    click.echo(f"Violation enregistrée : {breach.id}")
    click.secho(f"À notifier au Département avant le {_paris(breach.notify_deadline)} ({_left(breach.notify_deadline, now)}).", bold=True)
    click.echo(f"Adresse : {convention.notifications.breach_address or 'non renseignée dans la convention'}")
    click.echo(f"Étape suivante : dpa-kit breach notify {breach.id} --eml notification.eml (ou --send --smtp ...)")


@breach_group.command("receive")
@click.option("--convention", "convention_id", required=True, help="Identifiant de la convention concernée.")
@click.option("--aware-at", required=True, help="Prise de connaissance par la structure (dans sa notification).")
@click.option("--received-at", help="Réception de la notification par le Département (par défaut : maintenant).")
@detail_options
@click.option("--format", "fmt", type=click.Choice(["text", "json"]), default="text", show_default=True)
@pass_settings
def breach_receive(settings: Settings, /, convention_id: str, aware_at: str, received_at: str | None, fmt: str,
                   **options: Any) -> None:
    """Côté Département : enregistre une notification reçue d'une structure (démarre le délai CNIL de 72 h).

    \b
    Exemple :
      dpa-kit breach receive --convention 2026-FSL-ADIL-NUMERO-VERT --aware-at 2026-03-28T10:00 \\
        --nature confidentialité --description "courriel mal adressé"
    """
    from dpa_kit.breach import receive

    convention = _convention(settings, convention_id)
    now = clock.now()
    details = _details(options, False)
    breach = receive(open_ledger(settings), convention_id=convention.id, structure=convention.processor.display_name,
                     delay_hours=convention.notifications.breach_delay_hours,
                     aware_at=clock.parse_instant(aware_at, "--aware-at"),
                     received_at=_instant(received_at, "--received-at") or now, details=details)
    if fmt == "json":
        _print_breach_json(breach, now)
        return
    click.echo(f"Notification enregistrée : {breach.id}")
    assert breach.cnil_deadline is not None
    click.secho(f"Décision CNIL à prendre avant le {_paris(breach.cnil_deadline)} ({_left(breach.cnil_deadline, now)}).", bold=True)
    if breach.received_at and breach.received_at > breach.notify_deadline:
        click.echo(f"La structure a notifié après son échéance contractuelle ({_paris(breach.notify_deadline)}).")
    click.echo(f"Étapes suivantes : dpa-kit breach severity {breach.id} ; dpa-kit breach cnil {breach.id} ...")


@breach_group.command("notify")
@click.argument("breach_id")
@click.option("--eml", type=click.Path(dir_okay=False, path_type=Path), help="Écrire le message dans ce fichier .eml.")
@click.option("--send", is_flag=True, help="Envoyer le message par SMTP (avec --smtp).")
@click.option("--smtp", "smtp_url", envvar="DPA_KIT_SMTP", help="smtp://hôte:port, smtp+starttls://hôte:587 ou smtps://hôte:465 (variable DPA_KIT_SMTP).")
@click.option("--from", "sender", help="Adresse de l'expéditeur (par défaut : le DPO de la structure).")
@click.option("--to", "recipient", help="Destinataire (par défaut : l'adresse de notification de la convention).")
@click.option("--complement", is_flag=True, help="Notification complémentaire (art. 33(4)), liée à la première.")
@click.option("--delay-reason", help="Motifs du retard, obligatoires après l'échéance.")
@click.option("--attach", "attachments", multiple=True, type=click.Path(exists=True, path_type=Path),
              help="Pièce jointe (fichier ou dossier), chiffrée dans une archive AES-256 ; le mot de passe est affiché.")
@click.option("--insecure", is_flag=True,
              help="Autoriser l'identification sur smtp:// sans chiffrement (le mot de passe circule en clair).")
@pass_settings
def breach_notify(settings: Settings, breach_id: str, eml: Path | None, send: bool, smtp_url: str | None,
                  sender: str | None, recipient: str | None, complement: bool, delay_reason: str | None,
                  attachments: tuple[Path, ...], insecure: bool = False) -> None:
    """Prépare (--eml) ou envoie (--send) la notification au Département.

    L'instant et le Message-ID ne sont enregistrés qu'une fois le message accepté par le serveur.

    \b
    Exemple :
      dpa-kit breach notify V-2026-0001 --send --smtp smtp+starttls://smtp.example.fr:587 --from rgpd@ccas.fr
    """
    from dpa_kit import breach as breaches
    from dpa_kit.mail import build_notification, send as send_message, write_eml

    if not eml and not send:
        raise UsageError("choisissez --eml FICHIER (écrire le message) et/ou --send --smtp URL (l'envoyer)")
    if send and not smtp_url:
        raise UsageError("--send demande un serveur : --smtp smtp://hôte:port (ou la variable DPA_KIT_SMTP)")
    ledger = open_ledger(settings, create=False)
    breach = breaches.get(ledger, breach_id)
    convention = _convention(settings, breach.convention)
    to = recipient or convention.notifications.breach_address
    if not to:
        raise UsageError("la convention n'indique pas d'adresse de notification : --to ADRESSE")
    dpo = convention.processor.dpo
    sender = sender or (dpo.email if dpo and dpo.email else None)
    if not sender:
        raise UsageError("indiquez l'adresse de l'expéditeur : --from ADRESSE")
    now = clock.now()
    message = build_notification(breach, to=to, sender=sender, complementary=complement, delay_reason=delay_reason, now=now)
    password = _attach_encrypted(message, list(attachments), breach, to, sender) if attachments else None
    if eml:
        write_eml(message, eml)
        click.echo(f"Message écrit : {eml}")
    if send:
        send_message(message, smtp_url or "", insecure=insecure)
        breaches.record_notification(ledger, breach, sent_at=clock.now(), message_id=message["Message-ID"], to=to,
                                     complementary=complement, delay_reason=delay_reason)
        click.echo(f"Notification envoyée à {to} et enregistrée ({message['Message-ID']}).")
    else:
        click.echo("Le message n'est pas encore envoyé : après l'avoir envoyé vous-même, enregistrez-le avec "
                   f"dpa-kit breach mark-notified {breach.id}")
    if password:
        click.secho(f"Mot de passe de la pièce jointe chiffrée : {password}", bold=True)
        click.echo("Communiquez-le au destinataire par un autre canal (téléphone, SMS), jamais par courriel.")


def _attach_encrypted(message: Any, paths: list[Path], breach: Any, to: str, sender: str) -> str:
    """Pack the attachments with the exchange tool (never in clear) and attach the archive; return the password."""
    import tempfile

    from dpa_kit import passwords
    from dpa_kit.exchange import pack

    password = passwords.generate()
    with tempfile.TemporaryDirectory(prefix="dpa-kit-") as folder:
        archive = Path(folder) / f"{breach.id}-pieces.zip"
        pack(paths, archive, password, sender=sender, recipient=to, convention=breach.convention)
        message.add_attachment(archive.read_bytes(), maintype="application", subtype="zip", filename=archive.name)
    return password


@breach_group.command("mark-notified")
@click.argument("breach_id")
@click.option("--at", "sent_at", help="Instant de l'envoi (par défaut : maintenant).")
@click.option("--message-id", help="Message-ID du courriel envoyé, s'il est connu.")
@click.option("--to", "recipient", help="Destinataire (par défaut : l'adresse de notification de la convention).")
@click.option("--delay-reason", help="Motifs du retard, obligatoires après l'échéance.")
@pass_settings
def breach_mark_notified(settings: Settings, breach_id: str, sent_at: str | None, message_id: str | None,
                         recipient: str | None, delay_reason: str | None) -> None:
    """Enregistre une notification envoyée depuis votre messagerie (fichier .eml ou autre).

    \b
    Exemple :
      dpa-kit breach mark-notified V-2026-0001 --at 2026-03-28T18:30
    """
    from dpa_kit import breach as breaches

    ledger = open_ledger(settings, create=False)
    breach = breaches.get(ledger, breach_id)
    at = _instant(sent_at, "--at") or clock.now()
    if at > breach.notify_deadline and not breach.notifications and not delay_reason:
        raise UsageError("notification après l'échéance : indiquez les motifs du retard (--delay-reason)")
    to = recipient or _convention(settings, breach.convention).notifications.breach_address or "non renseigné"
    breaches.record_notification(ledger, breach, sent_at=at, message_id=message_id or "(envoi manuel)", to=to,
                                 complementary=bool(breach.notifications), delay_reason=delay_reason)
    click.echo(f"Notification de {breach.id} enregistrée ({_paris(at)}).")


@breach_group.command("list")
@click.option("--open", "only_open", is_flag=True, help="Seulement les violations non clôturées.")
@click.option("--overdue", is_flag=True, help="Seulement les violations en retard (code de sortie 1 s'il y en a).")
@click.option("--format", "fmt", type=click.Choice(["text", "json"]), default="text", show_default=True)
@pass_settings
def breach_list(settings: Settings, only_open: bool, overdue: bool, fmt: str) -> int:
    """Liste les violations, avec leur échéance et leur état.

    --overdue sort avec le code 1 s'il y a du retard : à lancer chaque jour (cron, supervision).

    \b
    Exemple :
      dpa-kit breach list --overdue --format json
    """
    from dpa_kit.breach import all_breaches

    now = clock.now()
    items = list(all_breaches(open_ledger(settings, create=False)).values())
    if only_open:
        items = [b for b in items if b.is_open]
    late = [b for b in items if b.overdue(now)]
    if overdue:
        items = late
    if fmt == "json":
        click.echo(json.dumps([b.as_json(now) for b in items], ensure_ascii=False, indent=2))
    elif not items:
        click.echo("Aucune violation." if not overdue else "Aucune violation en retard.")
    else:
        for b in items:
            click.echo(f"{b.id}  {b.convention}  {b.status_fr(now):<26} échéance {_paris(b.deadline())}"
                       + (f" ({_left(b.deadline(), now)})" if b.is_open and b.pending() else ""))
    return EXIT_PROBLEMS if overdue and late else EXIT_OK


@breach_group.command("show")
@click.argument("breach_id")
@click.option("--format", "fmt", type=click.Choice(["text", "json"]), default="text", show_default=True)
@pass_settings
def breach_show(settings: Settings, breach_id: str, fmt: str) -> None:
    """Affiche une violation et sa chronologie.

    \b
    Exemple :
      dpa-kit breach show V-2026-0001
    """
    from dpa_kit.breach import get

    now = clock.now()
    b = get(open_ledger(settings, create=False), breach_id)
    if fmt == "json":
        data = b.as_json(now)
        data["timeline"] = [{"at": e.at.astimezone(clock.PARIS).isoformat(timespec="seconds"), "kind": e.kind,
                             "payload": e.payload} for e in b.timeline]
        click.echo(json.dumps(data, ensure_ascii=False, indent=2))
        return
    click.secho(f"{b.id} ({b.status_fr(now)}) - convention {b.convention} - {b.structure or ''}", bold=True)
    click.echo(f"Prise de connaissance : {_paris(b.aware_at)}")
    click.echo(f"Échéance de notification au Département : {_paris(b.notify_deadline)}")
    if b.cnil_deadline:
        click.echo(f"Échéance de décision CNIL (72 h) : {_paris(b.cnil_deadline)}")
    labels = {"breach.declared": "déclarée", "breach.received": "notification reçue par le Département",
              "breach.notified": "notifiée", "breach.cnil": "décision CNIL", "breach.subjects": "décision sur l'information des personnes",
              "breach.severity": "gravité évaluée", "breach.closed": "clôturée"}
    click.echo("Chronologie :")
    for event in b.timeline:
        extra = ""
        if event.kind == "breach.severity":
            extra = f" : {event.payload['band']} ({event.payload['score']})"
        elif event.kind == "breach.notified":
            extra = f" : {event.payload['type']} à {event.payload['to']}"
        click.echo(f"  {_paris(event.at)}  {labels.get(event.kind, event.kind)}{extra}")


@breach_group.command("close")
@click.argument("breach_id")
@click.option("--reason", help="Motif de clôture.")
@pass_settings
def breach_close(settings: Settings, breach_id: str, reason: str | None) -> None:
    """Clôture une violation (elle reste au registre).

    \b
    Exemple :
      dpa-kit breach close V-2026-0001 --reason "mesures correctives en place"
    """
    from dpa_kit import breach as breaches

    ledger = open_ledger(settings, create=False)
    b = breaches.get(ledger, breach_id)
    if b.pending():
        echo_err("Attention : l'étape attendue (notification ou décision CNIL) n'a pas été enregistrée.")
    breaches.close(ledger, b, reason)
    click.echo(f"Violation {breach_id} clôturée.")


@breach_group.command("cnil")
@click.argument("breach_id")
@click.option("--notified/--not-notified", required=True, help="La violation a-t-elle été notifiée à la CNIL ?")
@click.option("--at", "at_text", help="Instant de la notification à la CNIL.")
@click.option("--reference", help="Référence de la notification CNIL.")
@click.option("--reason", help="Sans notification : pourquoi le risque est improbable (art. 33(1)).")
@click.option("--delay-reason", help="Motifs du retard si la CNIL est notifiée après 72 h.")
@pass_settings
def breach_cnil(settings: Settings, breach_id: str, notified: bool, at_text: str | None, reference: str | None,
                reason: str | None, delay_reason: str | None) -> None:
    """Côté Département : enregistre la notification à la CNIL, ou la raison documentée de ne pas notifier.

    \b
    Exemple :
      dpa-kit breach cnil V-2026-0001 --notified --at 2026-03-30T09:00 --reference DN-12345
    """
    from dpa_kit import breach as breaches

    ledger = open_ledger(settings, create=False)
    b = breaches.get(ledger, breach_id)
    breaches.record_cnil(ledger, b, notified=notified, at=_instant(at_text, "--at"), reference=reference,
                         reason=reason, delay_reason=delay_reason)
    click.echo(f"Décision CNIL enregistrée pour {breach_id}.")


@breach_group.command("inform")
@click.argument("breach_id")
@click.option("--decision", type=click.Choice(["informed", "to_inform", "not_informed"]), required=True,
              help="informed : informées ; to_inform : à informer ; not_informed : ne seront pas informées.")
@click.option("--date", "when", help="Date (faite ou prévue) de l'information.")
@click.option("--channel", help="Moyen : courrier, courriel, SMS, appel...")
@click.option("--ground", type=click.Choice(["unintelligible", "risk_removed", "disproportionate", "no_high_risk"]),
              help="Motif de ne pas informer (art. 34(3)).")
@pass_settings
def breach_inform(settings: Settings, breach_id: str, decision: str, when: str | None, channel: str | None,
                  ground: str | None) -> None:
    """Enregistre la décision d'informer ou non les personnes concernées (art. 34).

    \b
    Exemple :
      dpa-kit breach inform V-2026-0001 --decision to_inform --date 2026-04-02 --channel courrier
    """
    from dpa_kit import breach as breaches

    ledger = open_ledger(settings, create=False)
    b = breaches.get(ledger, breach_id)
    breaches.record_subjects(ledger, b, decision=decision, date=when, channel=channel, ground=ground)
    click.echo(f"Décision enregistrée pour {breach_id}.")


@breach_group.command("severity")
@click.argument("breach_id")
@click.option("--dpc", type=click.IntRange(1, 4), help="Contexte : 1 simple, 2 comportemental, 3 financier, 4 sensible.")
@click.option("--dpc-adjust", type=float, default=0.0, show_default=True, help="Ajustement du contexte (-1 à +1).")
@click.option("--ei", type=click.Choice(["negligible", "limited", "significant", "maximum"]), help="Facilité d'identification.")
@click.option("--confidentiality", type=click.Choice(["none", "known", "unknown"]), help="Perte de confidentialité : destinataires connus ou inconnus.")
@click.option("--integrity", type=click.Choice(["none", "recoverable", "unrecoverable"]))
@click.option("--availability", type=click.Choice(["none", "temporary", "permanent"]))
@click.option("--malicious/--not-malicious", default=None, help="Intention malveillante.")
@pass_settings
def breach_severity(settings: Settings, breach_id: str, dpc: int | None, dpc_adjust: float, ei: str | None,
                    confidentiality: str | None, integrity: str | None, availability: str | None,
                    malicious: bool | None) -> None:
    """Évalue la gravité (méthode ENISA 2013) et conseille pour la CNIL et les personnes.

    Les réponses manquantes sont demandées dans un terminal. Le résultat est un conseil, pas une décision.

    \b
    Exemple :
      dpa-kit breach severity V-2026-0001 --dpc 4 --ei significant --confidentiality unknown \\
        --integrity none --availability none --not-malicious
    """
    from dpa_kit import breach as breaches

    interactive = cli_module.interactive()

    def ask(value: Any, question: str, choices: list[str] | None = None, kind: Any = str) -> Any:
        if value is not None:
            return value
        if not interactive:
            raise UsageError(f"réponse manquante : {question}")
        return click.prompt(question, type=click.Choice(choices) if choices else kind)

    ledger = open_ledger(settings, create=False)
    b = breaches.get(ledger, breach_id)
    dpc = ask(dpc, "Contexte du traitement (1 simple, 2 comportemental, 3 financier, 4 sensible)", kind=click.IntRange(1, 4))
    ei = ask(ei, "Facilité d'identification des personnes", list(breaches.EI_VALUES))
    confidentiality = ask(confidentiality, "Perte de confidentialité (none, known : destinataires connus, unknown)", ["none", "known", "unknown"])
    integrity = ask(integrity, "Perte d'intégrité", ["none", "recoverable", "unrecoverable"])
    availability = ask(availability, "Perte de disponibilité", ["none", "temporary", "permanent"])
    if malicious is None:
        if not interactive:
            raise UsageError("réponse manquante : --malicious ou --not-malicious")
        malicious = click.confirm("Intention malveillante ?", default=False)
    severity = breaches.assess(dpc, dpc_adjust, ei, confidentiality, integrity, availability, malicious)
    breaches.record_severity(ledger, b, severity, {
        "dpc": dpc, "dpc_adjust": dpc_adjust, "ei": ei, "confidentiality": confidentiality,
        "integrity": integrity, "availability": availability, "malicious": malicious})
    click.secho(f"Gravité : {severity.band} (score {severity.score} = {severity.dpc} x {severity.ei} + {severity.cb})", bold=True)
    for line in severity.advice():
        click.echo(f"- {line}")
    click.echo("Ce calcul est une aide : la décision reste celle du responsable de traitement.")


@breach_group.group("register")
def breach_register() -> None:
    """Registre des violations (art. 33(5) RGPD).

    \b
    Exemple :
      dpa-kit breach register export --format xlsx -o registre-violations.xlsx
    """


@breach_register.command("export")
@click.option("--format", "fmt", type=click.Choice(["csv", "xlsx", "ods", "html"]), default="csv", show_default=True)
@click.option("-o", "--output", type=click.Path(dir_okay=False, path_type=Path), required=True, help="Fichier à écrire.")
@pass_settings
def breach_register_export(settings: Settings, fmt: str, output: Path) -> None:
    """Exporte le registre des violations (toutes, notifiées ou non).

    \b
    Exemple :
      dpa-kit breach register export --format ods -o registre.ods
    """
    from dpa_kit.breach import all_breaches
    from dpa_kit.breach_register import register_rows
    from dpa_kit.tables import write_table

    breaches = list(all_breaches(open_ledger(settings, create=False)).values())
    headers, rows = register_rows(breaches)
    write_table(output, fmt, "Registre des violations", headers, rows)
    click.echo(f"Registre des violations ({len(rows)} ligne(s)) écrit : {output}")
