"""Commands of breaches (``dpa-kit breach ...``)."""

from __future__ import annotations

import json
from datetime import datetime
from pathlib import Path
from typing import Any

import click

from dpa_kit import clock, frenchtime
from dpa_kit.breach import (
    ART34_GROUND_NAMES_FR,
    BAND_FEMININE,
    CB_NAMES_FR,
    DPC_NAMES_FR,
    SUBJECT_DECISION_NAMES_FR,
)
from dpa_kit.breach_register import FORMATS as REGISTER_FORMATS
from dpa_kit.breach_severity import SEVERITY_CHOICES, SEVERITY_HINTS, SEVERITY_LABELS
from dpa_kit.cli import common
from dpa_kit.cli.common import EXIT_OK, EXIT_PROBLEMS, CommandGroup, Settings, echo_err, open_ledger, pass_settings
from dpa_kit.exceptions import UsageError
from dpa_kit.words import BREACH_EVENTS


def _paris(instant: datetime) -> str:
    return f"{frenchtime.french_instant(instant)} (heure de Paris)"


def _left(deadline: datetime, now: datetime) -> str:
    return frenchtime.until(deadline, now)


def _conventions(settings: Settings) -> tuple[Any, ...]:
    """The conventions one may choose from (a malformed file is skipped here: `dpa-kit check` reports it)."""
    from dpa_kit.loader import iter_folder

    return tuple(r.loaded.convention for r in iter_folder(settings.registers) if r.loaded is not None)


# --- breach ----------------------------------------------------------------------------------------


@click.group("breach", cls=CommandGroup)
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
    click.option(
        "--started-at", help="Début de la violation : « hier 18h », « 27/03/2026 16:00 »... (heure de Paris)."
    ),
    click.option("--ended-at", help="Fin de la violation ; omettre avec --ongoing si elle dure encore."),
    click.option("--ongoing", is_flag=True, help="La violation est toujours en cours."),
    click.option(
        "--nature", "natures", multiple=True, help="confidentialité, intégrité, disponibilité (plusieurs possibles)."
    ),
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


def _details(options: dict[str, Any]) -> dict[str, Any]:
    """The details given as options (for scripts), checked by the library; instants read the French way."""
    from dpa_kit.breach import breach_details

    given = dict(options)
    for key, fact, option in (
        ("started_at", "début de la violation", "--started-at"),
        ("ended_at", "fin de la violation", "--ended-at"),
    ):
        instant = common.option_instant(given.get(key), fact, option)
        given[key] = instant.isoformat() if instant else None
    return breach_details({**given, "natures": list(given["natures"])})


def _get(ledger: Any, breach_id: str) -> Any:
    from dpa_kit import breach as breaches

    try:
        return breaches.get(ledger, breach_id)
    except UsageError as exc:
        raise UsageError(f"{exc} (dpa-kit breach list les affiche)") from exc


def _print_breach_json(breach: Any, now: datetime) -> None:
    click.echo(json.dumps(breach.as_json(now), ensure_ascii=False, indent=2))


@breach_group.command("declare")
@click.option(
    "--convention",
    "convention_id",
    help="Convention concernée : identifiant, nom de la structure ou SIRET (sinon choisie dans une liste).",
)
@click.option("--aware-at", help="Prise de connaissance : « maintenant », « hier 18h », « 29/11/2026 01:47 »...")
@click.option("--resume", is_flag=True, help="Reprendre la déclaration commencée (gardée après chaque réponse).")
@detail_options
@click.option("--format", "fmt", type=common.TEXT_OR_JSON, default="texte", show_default=True)
@pass_settings
def breach_declare(
    settings: Settings, /, convention_id: str | None, aware_at: str | None, resume: bool, fmt: str, **options: Any
) -> int:
    """Déclare une violation découverte par la structure et affiche l'échéance de notification.

    Dans un terminal, les questions sont posées une à une, à commencer par le moment où vous avez appris
    la violation : le délai de 24 heures court à partir de ce moment. Chaque réponse est gardée aussitôt
    (Ctrl-C ne perd rien, --resume reprend) ; rien n'est enregistré comme déclaré avant votre confirmation.

    \b
    Exemples :
      dpa-kit breach declare
      dpa-kit breach declare --resume
      dpa-kit breach declare --convention 2026-FSL-ADIL-NUMERO-VERT --aware-at "hier 18h" \\
        --nature confidentialité --description "liste envoyée au mauvais destinataire" --people 40
    """
    interactive = common.interactive() and fmt == "text"
    if interactive or resume:
        if not interactive:
            raise UsageError("--resume pose les questions restantes : lancez la commande dans un terminal")
        return _declare_in_terminal(settings, convention_id, aware_at, resume, options)
    from dpa_kit.breach import declare
    from dpa_kit.breach_ids import structure_code

    if not convention_id:
        raise UsageError("indiquez la convention concernée : --convention ID (dpa-kit list les affiche)")
    convention = _convention(settings, convention_id)
    now = clock.now()
    aware = common.option_instant(aware_at, "heure de prise de connaissance", "--aware-at") or now
    details = _details(options)
    breach = declare(
        open_ledger(settings),
        convention_id=convention.id,
        structure=convention.processor.display_name,
        delay_hours=convention.notifications.breach_delay_hours,
        aware_at=aware,
        details=details,
        code=structure_code(convention.processor.siret, convention.processor.short_name),
    )
    if fmt == "json":
        _print_breach_json(breach, now)
        return EXIT_OK
    from dpa_kit.cli.questionnaire import print_declared

    print_declared(breach, convention.notifications.breach_address, now)
    return EXIT_OK


def _declare_in_terminal(
    settings: Settings, convention_id: str | None, aware_at: str | None, resume: bool, options: dict[str, Any]
) -> int:
    """The questionnaire, one answer at a time, with the draft saved after each."""
    import getpass

    from dpa_kit import breach_questions as bq
    from dpa_kit.breach_drafts import DraftStore, confirm
    from dpa_kit.cli.questionnaire import Interrupted, answers_from_options, ask, print_declared, review

    now = clock.now()
    context = bq.Context(now=now, conventions=_conventions(settings))
    if not context.conventions:
        raise UsageError(
            f"aucune convention lisible dans {settings.registers} : la déclaration se rattache à une "
            "convention (dpa-kit list, dpa-kit check)"
        )
    store = DraftStore(open_ledger(settings))
    owner = getpass.getuser()
    if resume:
        wanted = None
        if convention_id:
            wanted = bq.validate(bq.question("convention", {}, context), convention_id, answers={}, context=context)
        draft = _choose_draft(store, owner, wanted)
        if draft is None:
            raise UsageError("aucune déclaration commencée à reprendre : lancez dpa-kit breach declare")
    else:
        earlier = _choose_draft(store, owner, None, offer=True)
        if earlier is not None:
            draft = earlier
        else:
            given = answers_from_options(
                options,
                convention_id,
                common.option_instant(aware_at, "heure de prise de connaissance", "--aware-at"),
                context,
            )
            draft = store.create(owner, now=now, answers=given, convention=given.get("convention"))
    answers = dict(draft.answers)

    def save(current: dict[str, Any]) -> None:
        store.save(draft.id, current, now=clock.now(), convention=current.get("convention"))

    try:
        ask(answers, context, save)
        confirmed = review(answers, context, save)
    except Interrupted:
        click.echo("")
        if not answers:  # nothing typed yet: no draft to keep, none to hide an earlier one behind
            store.discard(draft.id)
            echo_err("Interrompu : aucune réponse n'avait été donnée, rien n'est gardé.")
        else:
            echo_err(
                "Interrompu : vos réponses sont gardées (rien n'est encore déclaré). "
                "Pour continuer : dpa-kit breach declare --resume"
            )
        return common.EXIT_INTERRUPTED
    if not confirmed:
        click.echo(
            "Déclaration non enregistrée ; vos réponses sont gardées. Pour continuer : dpa-kit breach declare --resume"
        )
        return EXIT_OK
    breach = confirm(store, draft.id, answers, context)
    convention = context.convention(answers)
    print_declared(breach, convention.notifications.breach_address if convention else None, clock.now())
    return EXIT_OK


def _choose_draft(store: Any, owner: str, convention: str | None, *, offer: bool = False) -> Any:
    """The unfinished declaration to continue: the only one, or the one the person picks from a list.

    With ``offer`` (a declaration started without --resume), the person is asked first whether to continue
    it, so that starting again never hides the answers already typed.
    """
    drafts = [
        d
        for d in store.all(owner)
        if d.kind == "declare" and d.answers and (convention is None or d.convention == convention)
    ]
    if not drafts:
        return None
    drafts.sort(key=lambda d: d.updated_at, reverse=True)
    if offer:
        latest = drafts[0]
        what = f"{len(latest.answers)} réponse(s)" + (f", convention {latest.convention}" if latest.convention else "")
        question = (
            f"Une déclaration commencée le {_paris(latest.created_at)} n'est pas terminée ({what}). La reprendre ?"
        )
        if not common.confirm(question, default=True):
            click.echo("Nouvelle déclaration (l'autre reste gardée : dpa-kit breach declare --resume).")
            return None
        chosen = latest
    elif len(drafts) == 1:
        chosen = drafts[0]
    else:
        click.echo("Plusieurs déclarations sont commencées :")
        for number, candidate in enumerate(drafts, start=1):
            click.echo(
                f"  {number}. commencée le {_paris(candidate.created_at)}, {len(candidate.answers)} réponse(s)"
                + (f", convention {candidate.convention}" if candidate.convention else "")
            )
        while True:
            text = click.prompt("Laquelle reprendre (numéro)", default="1", prompt_suffix=" > ").strip()
            if text.isdigit() and 1 <= int(text) <= len(drafts):
                chosen = drafts[int(text) - 1]
                break
            echo_err(f"Répondez par un numéro de 1 à {len(drafts)}.")
    click.echo(
        f"Reprise de la déclaration commencée le {_paris(chosen.created_at)} "
        f"({len(chosen.answers)} réponse(s) gardée(s))."
    )
    return chosen


@breach_group.command("receive")
@click.option(
    "--eml",
    type=click.Path(exists=True, dir_okay=False, path_type=Path),
    help="Le courriel de notification reçu (.eml) : tout est repris de sa pièce jointe dpa-kit.",
)
@click.option(
    "--convention", "convention_id", help="Convention concernée (sans --eml, ou si le message ne la donne pas)."
)
@click.option("--aware-at", help="Prise de connaissance par la structure (sans --eml : obligatoire).")
@click.option(
    "--received-at",
    help="Prise de connaissance par le Département : réception du message "
    "(par défaut : l'heure de réception du serveur de messagerie, sinon maintenant).",
)
@detail_options
@click.option("--format", "fmt", type=common.TEXT_OR_JSON, default="texte", show_default=True)
@pass_settings
def breach_receive(
    settings: Settings,
    /,
    eml: Path | None,
    convention_id: str | None,
    aware_at: str | None,
    received_at: str | None,
    fmt: str,
    **options: Any,
) -> int:
    """Côté Département : enregistre une notification reçue d'une structure (démarre le délai CNIL de 72 h).

    Avec --eml, tout est repris du message (sa pièce jointe dpa-kit), sans ressaisie ; un message écrit à la
    main donne ce qu'il contient, le reste est demandé dans un terminal.

    \b
    Exemples :
      dpa-kit breach receive --eml notification.eml
      dpa-kit breach receive --convention 2026-FSL-ADIL-NUMERO-VERT --aware-at "28/03/2026 10:00" \\
        --nature confidentialité --description "courriel mal adressé"
    """
    now = clock.now()
    received = common.option_instant(received_at, "heure de réception de la notification", "--received-at")
    if eml is not None:
        return _receive_eml(settings, eml, convention_id, aware_at, received, fmt)
    from dpa_kit.breach import receive
    from dpa_kit.breach_ids import structure_code

    if not convention_id or not aware_at:
        raise UsageError("indiquez le message reçu (--eml FICHIER), ou --convention et --aware-at")
    convention = _convention(settings, convention_id)
    details = _details(options)
    aware = common.option_instant(aware_at, "heure de prise de connaissance", "--aware-at")
    assert aware is not None
    breach = receive(
        open_ledger(settings),
        convention_id=convention.id,
        structure=convention.processor.display_name,
        delay_hours=convention.notifications.breach_delay_hours,
        aware_at=aware,
        received_at=received or now,
        details=details,
        code=structure_code(convention.processor.siret, convention.processor.short_name),
    )
    _print_received(breach, now, fmt)
    return EXIT_OK


def _receive_eml(
    settings: Settings, eml: Path, convention_id: str | None, aware_at: str | None, received: datetime | None, fmt: str
) -> int:
    from dpa_kit import breach_inbox
    from dpa_kit import breach_questions as bq
    from dpa_kit.cli.questionnaire import Interrupted, ask

    now = clock.now()
    context = bq.Context(now=now, conventions=_conventions(settings), side="departement")
    incoming = breach_inbox.read_eml_file(eml, context.conventions, now=now)
    for warning in incoming.warnings:
        echo_err(f"Attention : {warning}.")
    if convention_id and "convention" not in incoming.answers:
        incoming.answers["convention"] = bq.validate(
            bq.question("convention", {}, context), convention_id, answers={}, context=context
        )
    given_aware = common.option_instant(aware_at, "heure de prise de connaissance", "--aware-at")
    if given_aware is not None and "aware_at" not in incoming.answers:
        incoming.answers["aware_at"] = given_aware.isoformat()
    missing = incoming.missing(context)
    if missing and common.interactive() and fmt == "text":
        click.echo(
            "Le message ne donne pas : " + " ; ".join(bq.worded(bq.QUESTIONS_BY_KEY[k], context)[0] for k in missing)
        )
        try:
            ask(incoming.answers, context, lambda _: None)
        except Interrupted:
            echo_err("Interrompu : rien n'a été enregistré.")
            return common.EXIT_USAGE
    elif missing:
        required = breach_inbox.complete_without_asking(incoming, context)
        if required:
            raise UsageError(
                "le message ne donne pas : "
                + " ; ".join(bq.worded(bq.QUESTIONS_BY_KEY[k], context)[0] for k in required)
                + " ; relancez la commande dans un terminal pour les saisir (ou --convention, --aware-at)"
            )
    when = received or incoming.received_at or now
    breach = breach_inbox.record(open_ledger(settings), incoming, context, received_at=when)
    if fmt == "json":
        _print_breach_json(breach, now)
        return EXIT_OK
    origin = (
        "l'heure de réception du serveur de messagerie"
        if received is None and incoming.received_at
        else "l'heure indiquée"
        if received is not None
        else "maintenant"
    )
    _print_received(breach, now, fmt)
    click.echo(
        f"Prise de connaissance par le Département : {_paris(when)} ({origin} ; --received-at pour la corriger)."
    )
    if incoming.structure_reference:
        click.echo(f"Référence de la structure : {incoming.structure_reference}")
    click.echo(
        f"Structure : {breach.structure or 'non renseignée'} ; prise de connaissance par la structure : "
        f"{_paris(breach.aware_at)} ; son échéance : {_paris(breach.notify_deadline)}."
    )
    if breach.details.get("delay_reason"):
        click.echo(f"Motifs du retard donnés par la structure : {breach.details['delay_reason']}")
    click.echo("Éléments de la notification :")
    from dpa_kit.cli.questionnaire import print_items

    print_items(breach.details)
    return EXIT_OK


def _print_received(breach: Any, now: datetime, fmt: str) -> None:
    if fmt == "json":
        _print_breach_json(breach, now)
        return
    click.echo(f"Notification enregistrée : {breach.id}")
    assert breach.cnil_deadline is not None
    click.secho(
        f"Décision CNIL à prendre avant le {_paris(breach.cnil_deadline)} ({_left(breach.cnil_deadline, now)}).",
        bold=True,
    )
    if breach.received_at and breach.received_at > breach.notify_deadline:
        click.echo(f"La structure a notifié après son échéance contractuelle ({_paris(breach.notify_deadline)}).")
    click.echo(
        f"Étapes suivantes : dpa-kit breach severity {breach.id} (gravité), puis dpa-kit breach cnil {breach.id} "
        "--notified --at DATE --reference RÉF, ou --not-notified --reason MOTIF (décision CNIL sous 72 h)."
    )


@breach_group.command("notify")
@click.argument("breach_id", metavar="ID_VIOLATION")
@click.option("--eml", type=click.Path(dir_okay=False, path_type=Path), help="Écrire le message dans ce fichier .eml.")
@click.option("--send", is_flag=True, help="Envoyer le message par SMTP (avec --smtp).")
@click.option(
    "--smtp",
    "smtp_url",
    envvar="DPA_KIT_SMTP",
    help="smtp://hôte:port, smtp+starttls://hôte:587 ou smtps://hôte:465 (variable DPA_KIT_SMTP).",
)
@click.option("--from", "sender", help="Adresse de l'expéditeur (par défaut : le DPO de la structure).")
@click.option("--to", "recipient", help="Destinataire (par défaut : l'adresse de notification de la convention).")
@click.option("--complement", is_flag=True, help="Notification complémentaire (art. 33(4)), liée à la première.")
@click.option("--delay-reason", help="Motifs du retard, obligatoires après l'échéance.")
@click.option(
    "--attach",
    "attachments",
    multiple=True,
    type=click.Path(exists=True, path_type=Path),
    help="Pièce jointe (fichier ou dossier), chiffrée dans une archive AES-256 ; le mot de passe est affiché.",
)
@click.option(
    "--insecure",
    is_flag=True,
    help="Autoriser l'identification sur smtp:// sans chiffrement (le mot de passe circule en clair).",
)
@pass_settings
def breach_notify(
    settings: Settings,
    breach_id: str,
    eml: Path | None,
    send: bool,
    smtp_url: str | None,
    sender: str | None,
    recipient: str | None,
    complement: bool,
    delay_reason: str | None,
    attachments: tuple[Path, ...],
    insecure: bool = False,
) -> None:
    """Prépare (--eml) ou envoie (--send) la notification au Département.

    L'instant et le Message-ID ne sont enregistrés qu'une fois le message accepté par le serveur.

    \b
    Exemple :
      dpa-kit breach notify V-2026-0001 --send --smtp smtp+starttls://smtp.example.fr:587 --from rgpd@ccas.fr
    """
    from dpa_kit import breach as breaches
    from dpa_kit.exceptions import NotificationError, SmtpLoginRefused
    from dpa_kit.mail import mark_unsent, prepare_notification, write_eml
    from dpa_kit.mail import send as send_message

    if not eml and not send:
        raise UsageError("choisissez --eml FICHIER (écrire le message) et/ou --send --smtp URL (l'envoyer)")
    if send and not smtp_url:
        raise UsageError("--send demande un serveur : --smtp smtp://hôte:port (ou la variable DPA_KIT_SMTP)")
    ledger = open_ledger(settings, create=False)
    breach = _get(ledger, breach_id)
    now = clock.now()
    prepared = prepare_notification(
        breach,
        _convention(settings, breach.convention),
        to=recipient,
        sender=sender,
        complementary=complement,
        delay_reason=delay_reason,
        attachments=list(attachments),
        now=now,
        sender_required=send,
    )
    message, to, password = prepared.message, prepared.to, prepared.password  # the JSON copy is attached
    if eml:
        if not send:
            mark_unsent(message)  # opened by a mail client as a draft to send, not as a received message
        write_eml(message, eml)
        click.echo(f"Message écrit : {eml}" + ("" if send else " (brouillon à envoyer depuis votre messagerie)"))
    if send:
        try:
            send_message(message, common.smtp_config(smtp_url or "", insecure=insecure))
        except SmtpLoginRefused as exc:
            raise SmtpLoginRefused(f"{exc} (variables {common.SMTP_USER_ENV} et {common.SMTP_PASSWORD_ENV})") from exc
        except NotificationError as exc:
            raise NotificationError(
                f"{exc} ; écrivez le message avec --eml et envoyez-le depuis votre messagerie, "
                "puis réessayez --send plus tard"
            ) from exc
        breaches.record_notification(
            ledger,
            breach,
            sent_at=clock.now(),
            message_id=message["Message-ID"],
            to=to,
            complementary=complement,
            delay_reason=delay_reason,
            prepared_at=now,
        )
        click.echo(f"Notification envoyée à {to} et enregistrée ({message['Message-ID']}).")
    else:
        click.echo(
            "Le message n'est pas encore envoyé : après l'avoir envoyé vous-même, enregistrez-le avec "
            f"dpa-kit breach mark-notified {breach.id}"
        )
    if password:
        click.secho(f"Mot de passe de la pièce jointe chiffrée : {password}", bold=True)
        click.echo("Communiquez-le au destinataire par un autre canal (téléphone, SMS), jamais par courriel.")


@breach_group.command("complete")
@click.argument("breach_id")
@pass_settings
def breach_complete(settings: Settings, breach_id: str) -> int:
    """Complète une déclaration : pose les questions restées « je ne sais pas encore » (art. 33(4) RGPD).

    \b
    Exemple :
      dpa-kit breach complete V-2026-343097333-0001
    """
    from dpa_kit import breach as breaches
    from dpa_kit import breach_questions as bq
    from dpa_kit.cli.questionnaire import Interrupted, ask

    if not common.interactive():
        raise UsageError("cette commande pose des questions : lancez-la dans un terminal")
    ledger = open_ledger(settings, create=False)
    breach = _get(ledger, breach_id)
    now = clock.now()
    context = bq.Context(now=now, conventions=_conventions(settings))
    answers = bq.reopen(breach.convention, breach.aware_at, breach.details)
    recorded = set(answers)
    if bq.next_question(answers, context) is None:
        click.echo(f"La déclaration {breach.id} est complète : rien à ajouter.")
        return EXIT_OK
    try:
        ask(answers, context, lambda _: None)
    except Interrupted:
        echo_err("Interrompu : rien n'a été enregistré.")
        return common.EXIT_USAGE
    breaches.record_completion(ledger, breach, bq.to_declaration(answers, context, recorded=recorded).details)
    click.echo(f"Déclaration {breach.id} complétée.")
    click.echo(f"Étape suivante : dpa-kit breach notify {breach.id} --complement --eml complement.eml")
    return EXIT_OK


@breach_group.command("mark-notified")
@click.argument("breach_id", metavar="ID_VIOLATION")
@click.option("--at", "sent_at", help="Instant de l'envoi (par défaut : maintenant).")
@click.option("--message-id", help="Message-ID du courriel envoyé, s'il est connu.")
@click.option("--to", "recipient", help="Destinataire (par défaut : l'adresse de notification de la convention).")
@click.option("--delay-reason", help="Motifs du retard, obligatoires après l'échéance.")
@pass_settings
def breach_mark_notified(
    settings: Settings,
    breach_id: str,
    sent_at: str | None,
    message_id: str | None,
    recipient: str | None,
    delay_reason: str | None,
) -> None:
    """Enregistre une notification envoyée depuis votre messagerie (fichier .eml ou autre).

    \b
    Exemple :
      dpa-kit breach mark-notified V-2026-0001 --at 2026-03-28T18:30
    """
    from dpa_kit import breach as breaches

    ledger = open_ledger(settings, create=False)
    breach = _get(ledger, breach_id)
    at = common.option_instant(sent_at, "heure d'envoi de la notification", "--at") or clock.now()
    to = recipient or _convention(settings, breach.convention).notifications.breach_address or "non renseigné"
    breaches.record_notification(
        ledger,
        breach,
        sent_at=at,
        message_id=message_id or "(envoi manuel)",
        to=to,
        complementary=bool(breach.notifications),
        delay_reason=delay_reason,
    )
    click.echo(f"Notification de {breach.id} enregistrée ({_paris(at)}).")


@breach_group.command("list")
@click.option("--open", "only_open", is_flag=True, help="Seulement les violations non clôturées.")
@click.option("--overdue", is_flag=True, help="Seulement les violations en retard (code de sortie 1 s'il y en a).")
@click.option("--format", "fmt", type=common.TEXT_OR_JSON, default="texte", show_default=True)
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
    ledger = common.ledger_if_any(settings)  # no ledger yet: no breach (a daily cron job must not fail)
    items = list(all_breaches(ledger).values()) if ledger is not None else []
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
            click.echo(
                f"{b.id}  {b.convention}  {b.status_fr(now):<26} échéance {_paris(b.deadline())}"
                + (f" ({_left(b.deadline(), now)})" if b.is_open and b.pending() else "")
            )
    return EXIT_PROBLEMS if overdue and late else EXIT_OK


@breach_group.command("show")
@click.argument("breach_id", metavar="ID_VIOLATION")
@click.option("--format", "fmt", type=common.TEXT_OR_JSON, default="texte", show_default=True)
@pass_settings
def breach_show(settings: Settings, breach_id: str, fmt: str) -> None:
    """Affiche une violation et sa chronologie.

    \b
    Exemple :
      dpa-kit breach show V-2026-0001
    """
    now = clock.now()
    b = _get(open_ledger(settings, create=False), breach_id)
    if fmt == "json":
        data = b.as_json(now)
        data["timeline"] = [
            {"at": e.at.astimezone(clock.PARIS).isoformat(timespec="seconds"), "kind": e.kind, "payload": e.payload}
            for e in b.timeline
        ]
        click.echo(json.dumps(data, ensure_ascii=False, indent=2))
        return
    click.secho(f"{b.id} ({b.status_fr(now)}) - convention {b.convention} - {b.structure or ''}", bold=True)
    if b.structure_reference and b.structure_reference != b.id:
        click.echo(f"Référence de la structure : {b.structure_reference}")
    click.echo(f"Prise de connaissance : {_paris(b.aware_at)}")
    click.echo(f"Échéance de notification au Département : {_paris(b.notify_deadline)}")
    if b.cnil_deadline:
        click.echo(f"Échéance de décision CNIL (72 h) : {_paris(b.cnil_deadline)}")
    from dpa_kit.cli.questionnaire import print_items

    click.echo("Éléments :")
    print_items(b.details)
    click.echo("Chronologie :")
    for event in b.timeline:
        extra = ""
        if event.kind == "breach.severity":
            extra = f" : {BAND_FEMININE.get(event.payload['band'], event.payload['band'])} ({event.payload['score']})"
        elif event.kind == "breach.notified":
            extra = f" : {event.payload['type']} à {event.payload['to']}"
        click.echo(f"  {_paris(event.at)}  {BREACH_EVENTS.get(event.kind, event.kind)}{extra}")


@breach_group.command("close")
@click.argument("breach_id", metavar="ID_VIOLATION")
@click.option("--reason", help="Motif de clôture.")
@click.option(
    "--force",
    is_flag=True,
    help="Clôturer sans demander confirmation, même sans décision sur l'information des personnes (art. 34).",
)
@pass_settings
def breach_close(settings: Settings, breach_id: str, reason: str | None, force: bool) -> int:
    """Clôture une violation (elle reste au registre).

    Tant que la décision d'informer ou non les personnes concernées (art. 34, dpa-kit breach inform)
    n'est pas enregistrée, la clôture est confirmée d'abord (ou demande --force, sans terminal).

    \b
    Exemple :
      dpa-kit breach close V-2026-0001 --reason "mesures correctives en place"
    """
    from dpa_kit import breach as breaches
    from dpa_kit.breach_facts import closing_warnings

    ledger = open_ledger(settings, create=False)
    b = _get(ledger, breach_id)
    warnings = closing_warnings(b)
    for warning in warnings:
        if warning.kind == "art34":
            echo_err(f"Attention : {warning.text} ; enregistrez-la d'abord : dpa-kit breach inform {breach_id} ...")
        elif warning.kind == "to_inform":
            echo_err(f"Rappel : {warning.text}, avec : dpa-kit breach inform {breach_id} --decision informées ...")
        else:
            echo_err(f"Attention : {warning.text}.")
    if any(w.confirm for w in warnings) and not force:
        if not common.interactive():
            echo_err("Violation non clôturée. Pour la clôturer sans cette décision, ajoutez --force.")
            return common.EXIT_USAGE
        if not common.confirm("Clôturer quand même, sans décision sur l'information des personnes ?"):
            click.echo(f"Violation {breach_id} non clôturée.")
            return EXIT_PROBLEMS
    breaches.close(ledger, b, reason)
    click.echo(f"Violation {breach_id} clôturée.")
    return EXIT_OK


@breach_group.command("cnil")
@click.argument("breach_id", metavar="ID_VIOLATION")
@click.option("--notified/--not-notified", required=True, help="La violation a-t-elle été notifiée à la CNIL ?")
@click.option("--at", "at_text", help="Instant de la notification à la CNIL.")
@click.option("--reference", help="Référence de la notification CNIL.")
@click.option("--reason", help="Sans notification : pourquoi le risque est improbable (art. 33(1)).")
@click.option("--delay-reason", help="Motifs du retard si la CNIL est notifiée après 72 h.")
@pass_settings
def breach_cnil(
    settings: Settings,
    breach_id: str,
    notified: bool,
    at_text: str | None,
    reference: str | None,
    reason: str | None,
    delay_reason: str | None,
) -> None:
    """Côté Département : enregistre la notification à la CNIL, ou la raison documentée de ne pas notifier.

    \b
    Exemple :
      dpa-kit breach cnil V-2026-0001 --notified --at 2026-03-30T09:00 --reference DN-12345
    """
    from dpa_kit import breach as breaches

    ledger = open_ledger(settings, create=False)
    b = _get(ledger, breach_id)
    at = common.option_instant(at_text, "heure de la notification à la CNIL", "--at")
    breaches.record_cnil(
        ledger, b, notified=notified, at=at, reference=reference, reason=reason, delay_reason=delay_reason
    )
    click.echo(f"Décision CNIL enregistrée pour {breach_id}.")


@breach_group.command("inform")
@click.argument("breach_id", metavar="ID_VIOLATION")
@click.option(
    "--decision",
    type=common.FrenchChoice(SUBJECT_DECISION_NAMES_FR),
    required=True,
    help="informées, « à informer » ou « non informées » (ne seront pas informées).",
)
@click.option("--date", "when", help="Date (faite ou prévue) de l'information.")
@click.option("--channel", help="Moyen : courrier, courriel, SMS, appel...")
@click.option(
    "--ground", type=common.FrenchChoice(ART34_GROUND_NAMES_FR), help="Motif de ne pas informer (art. 34(3))."
)
@pass_settings
def breach_inform(
    settings: Settings, breach_id: str, decision: str, when: str | None, channel: str | None, ground: str | None
) -> None:
    """Enregistre la décision d'informer ou non les personnes concernées (art. 34).

    \b
    Exemple :
      dpa-kit breach inform V-2026-0001 --decision "à informer" --date 2026-04-02 --channel courrier
    """
    from dpa_kit import breach as breaches

    ledger = open_ledger(settings, create=False)
    b = _get(ledger, breach_id)
    breaches.record_subjects(ledger, b, decision=decision, date=when, channel=channel, ground=ground)
    click.echo(f"Décision enregistrée pour {breach_id}.")


#: Other French words the command line has always accepted for an answer (the library's names come first).
_SEVERITY_SYNONYMS: dict[str, dict[str, str]] = {
    "dpc": {name: str(level) for level, name in DPC_NAMES_FR.items()},
    "ei": {"faible": "limited", "maximum": "maximum", "elevee": "significant"},
    **{
        name: {"connus": "known", "inconnus": "unknown", "permanente": "permanent", "non": "none", "aucun": "none"}
        for name in CB_NAMES_FR
    },
}
#: The choices of ``dpa-kit breach severity``: those of the web form (:data:`SEVERITY_CHOICES`), one source.
SEVERITY_TYPES = {
    name: common.FrenchChoice(choices, {w: v for w, v in _SEVERITY_SYNONYMS[name].items() if v in choices})
    for name, choices in SEVERITY_CHOICES.items()
    if name != "malicious"  # a yes/no question (common.confirm), answered « oui » or « non »
}


def _severity_help(name: str) -> str:
    """The option's help: the question, then what the ENISA term means (:data:`SEVERITY_HINTS`)."""
    hint = SEVERITY_HINTS.get(name)
    return f"{SEVERITY_LABELS[name]}. {hint}" if hint else f"{SEVERITY_LABELS[name]}."


@breach_group.command("severity")
@click.argument("breach_id", metavar="ID_VIOLATION")
@click.option("--dpc", type=SEVERITY_TYPES["dpc"], help=_severity_help("dpc"))
@click.option("--dpc-adjust", metavar="NOMBRE", default="0", show_default=True, help=_severity_help("dpc_adjust"))
@click.option("--ei", type=SEVERITY_TYPES["ei"], help=_severity_help("ei"))
@click.option(
    "--confidentiality", type=SEVERITY_TYPES["confidentiality"], help=f"{SEVERITY_LABELS['confidentiality']}."
)
@click.option("--integrity", type=SEVERITY_TYPES["integrity"], help=f"{SEVERITY_LABELS['integrity']}.")
@click.option("--availability", type=SEVERITY_TYPES["availability"], help=f"{SEVERITY_LABELS['availability']}.")
@click.option("--malicious/--not-malicious", default=None, help=f"{SEVERITY_LABELS['malicious']}.")
@pass_settings
def breach_severity(
    settings: Settings,
    breach_id: str,
    dpc: str | None,
    dpc_adjust: str,
    ei: str | None,
    confidentiality: str | None,
    integrity: str | None,
    availability: str | None,
    malicious: bool | None,
) -> None:
    """Évalue la gravité (méthode ENISA 2013) et conseille pour la CNIL et les personnes.

    Les réponses manquantes sont demandées dans un terminal. Le résultat est un conseil, pas une décision.

    \b
    Exemple :
      dpa-kit breach severity V-2026-0001 --dpc 4 --ei importante \\
        --confidentiality "destinataires inconnus" --integrity aucune --availability aucune --not-malicious
    """
    from dpa_kit import breach as breaches
    from dpa_kit.breach_forms import FormErrors
    from dpa_kit.breach_severity import check_severity

    interactive = common.interactive()

    def ask(value: str | None, name: str) -> str:
        if value is not None:
            return value
        if not interactive:
            raise UsageError(f"réponse manquante : {SEVERITY_LABELS[name]}")
        if name in SEVERITY_HINTS:
            click.echo(SEVERITY_HINTS[name], err=True)
        answer: str = click.prompt(SEVERITY_LABELS[name], type=SEVERITY_TYPES[name])
        return answer

    ledger = open_ledger(settings, create=False)
    b = _get(ledger, breach_id)
    values = {
        "dpc": ask(dpc, "dpc"),
        "dpc_adjust": dpc_adjust,
        "ei": ask(ei, "ei"),
        "confidentiality": ask(confidentiality, "confidentiality"),
        "integrity": ask(integrity, "integrity"),
        "availability": ask(availability, "availability"),
    }
    if malicious is None:
        if not interactive:
            raise UsageError("réponse manquante : --malicious ou --not-malicious")
        malicious = common.confirm(f"{SEVERITY_LABELS['malicious']} ?", default=False)
    values["malicious"] = "oui" if malicious else "non"
    try:
        assessment = check_severity(values)
    except FormErrors as exc:
        raise UsageError("; ".join(f"{SEVERITY_LABELS.get(k, k)} : {v}" for k, v in exc.errors.items())) from exc
    severity = assessment.severity
    breaches.record_severity(ledger, b, severity, assessment.inputs)
    click.secho(
        f"{breaches.severity_label(severity.band)} ({severity.explained})",
        bold=True,
    )
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
@click.option(
    "--format",
    "fmt",
    type=click.Choice(list(REGISTER_FORMATS)),
    default="csv",
    show_default=True,
    help="Format du fichier : " + " ; ".join(f"{ext}, {f.name}" for ext, f in REGISTER_FORMATS.items()) + ".",
)
@click.option(
    "-o", "--output", type=click.Path(dir_okay=False, path_type=Path), required=True, help="Fichier à écrire."
)
@click.option("--force", is_flag=True, help=common.FORCE_HELP)
@pass_settings
def breach_register_export(settings: Settings, fmt: str, output: Path, force: bool) -> None:
    """Exporte le registre des violations (toutes, notifiées ou non).

    \b
    Exemple :
      dpa-kit breach register export --format ods -o registre.ods
    """
    from dpa_kit import written
    from dpa_kit.breach import all_breaches
    from dpa_kit.breach_register import TITLE, export
    from dpa_kit.fsutil import PRIVATE

    written.guard([output], force=force)
    breaches = list(all_breaches(open_ledger(settings, create=False)).values())
    written.write_file(
        output, export(breaches, fmt), force=force, mode=PRIVATE
    )  # personal data: readable by its owner only, as tables.write_table
    click.echo(f"{TITLE} ({len(breaches)} ligne(s)) écrit : {output}")
