"""E-mail: the breach notification message (RFC 5322, UTF-8) and sending it over SMTP.

``smtp://host:port`` for a local relay, ``smtp+starttls://host:587`` and ``smtps://host:465``; the edge
reads the account (the CLI from ``DPA_KIT_SMTP_USER`` / ``DPA_KIT_SMTP_PASSWORD``, never from the command
line) and passes an :class:`SmtpConfig`. A notification counts as sent only once the server accepted it:
the caller records it afterwards.
"""

from __future__ import annotations

import smtplib
import ssl
from dataclasses import dataclass
from datetime import datetime
from email.message import EmailMessage, Message
from email.utils import format_datetime, make_msgid
from pathlib import Path
from typing import Literal
from urllib.parse import urlsplit

from dpa_kit import clock
from dpa_kit.breach import Breach, require_delay_reason
from dpa_kit.exceptions import InvalidValue, NotificationError, SmtpLoginRefused, UsageError
from dpa_kit.model import Convention
from dpa_kit.words import PARIS_TIME


@dataclass(frozen=True)
class SmtpConfig:
    """Where and how to send: the server's URL and, if it asks for one, the account."""

    url: str
    user: str | None = None
    password: str | None = None
    #: Allow a login without TLS (``smtp://``): only for a relay on the same machine.
    insecure: bool = False

    def __repr__(self) -> str:  # never show the password
        return f"SmtpConfig(url={self.url!r}, user={self.user!r}, password={'***' if self.password else None})"


#: How a notification was made: ``cli`` (a message the structure sends from its mail client or with
#: ``dpa-kit``), ``web`` (the copy the web application sends when the structure declares there).
Channel = Literal["cli", "web"]
CHANNELS: tuple[Channel, ...] = ("cli", "web")

#: How to send documents to the Département, said to the structure in the words of its own tool.
DOCUMENTS_ADVICE: dict[Channel, str] = {
    "cli": "Ne joignez jamais de données personnelles en clair : pour transmettre des pièces, chiffrez-les avec "
    "« dpa-kit exchange pack ».",
    "web": "Ne joignez jamais de données personnelles en clair à un courriel : pour transmettre des pièces au "
    "Département, la structure utilise « Déposer un fichier » dans l'application web.",
}


def notification_body(
    breach: Breach,
    *,
    complementary: bool,
    delay_reason: str | None,
    now: datetime,
    channel: Channel = "web",
    notice_name: str | None = None,
) -> str:
    """The French text of a notification: every item of GDPR Art. 33(3) and of the CNIL form.

    The footer advises on documents in the words of ``channel``, and announces the machine-readable copy
    only when one is attached (``notice_name``, its file name)."""
    from dpa_kit import breach_questions, frenchtime
    from dpa_kit.breach_notice import normalise_details

    d = normalise_details(breach.details)
    late = now > breach.notify_deadline and not complementary
    items = breach_questions.items(d, absent="non renseigné")
    contact = next(
        (value for label, value in items if label == breach_questions.ITEM_LABELS["contact"]), "non renseigné"
    )
    pending = [breach_questions.ITEM_LABELS.get(key, key) for key in d.get("pending", [])]
    lines = [
        "Madame, Monsieur le Délégué à la protection des données,",
        "",
        (
            f"Conformément à l'annexe 1 de la convention {breach.convention}, nous vous notifions une violation de "
            "données à caractère personnel."
            if not complementary
            else f"Nous complétons notre notification de la violation {breach.id} (art. 33(4) RGPD) : "
            "les informations ci-dessous remplacent ou précisent les précédentes."
        ),
        "",
        f"Type de notification : {'complémentaire' if complementary else 'initiale'}",
        f"Référence de la violation : {breach.id}",
        f"Convention : {breach.convention}",
        f"Organisme : {breach.structure or 'non renseigné'}",
        f"Contact (délégué ou personne à joindre) : {contact}",
        "",
        "1. Prise de connaissance et échéance (heure de Paris)",
        f"- Prise de connaissance par l'organisme : {frenchtime.french_instant(breach.aware_at)}",
        f"- Échéance contractuelle de notification : {frenchtime.french_instant(breach.notify_deadline)}",
    ]
    if late:
        lines.append(f"- Motifs du retard de notification : {delay_reason}")
    lines += ["", "2. La violation (article 33(3) RGPD)"]
    lines += [f"- {label} : {value}" for label, value in items]
    if pending:
        lines += [
            "",
            "Éléments encore inconnus, précisés dès que possible par une notification complémentaire "
            f"(art. 33(4) RGPD) : {' ; '.join(pending)}.",
        ]
    lines += [
        "",
        "Nous restons à votre disposition pour toute information utile à votre éventuelle notification à la CNIL.",
        "",
        "-- ",
        f"Message préparé avec dpa-kit. {DOCUMENTS_ADVICE[channel]}",
    ]
    if notice_name:
        lines.append(
            f"Une copie lisible par machine (fichier {notice_name}) est jointe : "
            + (
                "le Département l'importe dans dpa-kit sans ressaisie."
                if channel == "cli"
                else "la déclaration est déjà enregistrée dans l'application web du Département."
            )
        )
    return "\n".join(lines) + "\n"


def _header_address(value: str, whose: str) -> None:
    """Refuse an address that would break out of its mail header (CR, LF or any control character)."""
    if any(ord(c) < 32 or 127 <= ord(c) < 160 for c in value) or "@" not in value:
        raise UsageError(
            f"adresse {whose} invalide : une seule adresse électronique, sur une ligne, sans caractère de contrôle"
        )


def build_notification(
    breach: Breach,
    *,
    to: str,
    sender: str | None,
    complementary: bool = False,
    delay_reason: str | None = None,
    now: datetime | None = None,
    siret: str | None = None,
    channel: Channel = "web",
) -> EmailMessage:
    """The notification message, ready to write as .eml or to send, with its machine-readable copy attached
    (``dpa-kit-breach/1``, :func:`dpa_kit.breach_notice.parse_notice` reads it back; ``siret`` is the
    structure's, which the Département checks against the convention when it imports the copy).

    ``channel`` words the footer: ``web`` (the default: the copy sent by the web application) points to the
    application's file drop, ``cli`` to ``dpa-kit exchange pack``."""
    from dpa_kit.breach_notice import notice_from_breach, notice_json

    now = now or clock.now()
    if channel not in CHANNELS:
        raise UsageError(f"canal de notification inconnu « {channel} » : {', '.join(CHANNELS)}")
    require_delay_reason(breach, now, complementary=complementary, delay_reason=delay_reason)
    if complementary and not breach.notifications:
        raise UsageError(f"{breach.id} n'a pas encore été notifiée : envoyez d'abord la notification initiale")
    if sender is not None:
        _header_address(sender, "de l'expéditeur")
    _header_address(to, "du destinataire")
    message = EmailMessage()
    kind = "complémentaire" if complementary else "initiale"
    message["Subject"] = f"[Violation de données] Convention {breach.convention} - {breach.id} - notification {kind}"
    if sender:  # a draft without sender gets the account of the mail client that sends it
        message["From"] = sender
    message["To"] = to
    message["Date"] = format_datetime(now.astimezone(clock.PARIS))
    domain = (sender or to).rsplit("@", 1)[-1].strip("> ") or "dpa-kit.invalid"
    # No idstring: with a long reference the header would be folded, which some mail clients misread.
    message["Message-ID"] = make_msgid(domain=domain)
    if complementary:
        first = breach.notifications[0]["message_id"]
        message["In-Reply-To"] = first
        message["References"] = first
    message["X-DPA-Kit-Breach"] = breach.id
    notice = notice_from_breach(
        breach, siret=siret, prepared_at=now, complementary=complementary, delay_reason=delay_reason
    )
    body = notification_body(
        breach,
        complementary=complementary,
        delay_reason=delay_reason,
        now=now,
        channel=channel,
        notice_name=notice_filename(breach.id),
    )
    message.set_content(body, charset="utf-8")
    attach_notice(message, notice_json(notice), breach.id)
    return message


def _message_to_structure(
    subject: str, body: str, *, to: str, sender: str, now: datetime, breach: Breach
) -> EmailMessage:
    _header_address(sender, "de l'expéditeur")
    _header_address(to, "du destinataire")
    message = EmailMessage()
    message["Subject"] = subject
    message["From"] = sender
    message["To"] = to
    message["Date"] = format_datetime(now.astimezone(clock.PARIS))
    message["Message-ID"] = make_msgid(domain=sender.rsplit("@", 1)[-1].strip("> ") or "dpa-kit.invalid")
    message["X-DPA-Kit-Breach"] = breach.id
    message.set_content(body, charset="utf-8")
    return message


_NO_PERSONAL_DATA = (
    "Ce message ne contient aucune donnée personnelle des personnes concernées : seulement la référence, la "
    "convention et les dates."
)


def build_acknowledgement(breach: Breach, *, to: str, sender: str, now: datetime) -> EmailMessage:
    """The French acknowledgement the structure's user receives when its declaration is recorded in the web
    application: when it was received (Paris time), its reference, the convention, and the next step.

    Only the reference, the convention and instants: nothing of the people affected (the message leaves the
    Département's systems in clear)."""
    received = breach.received_at or breach.notified_at or now
    lines = [
        "Bonjour,",
        "",
        f"Déclaration reçue le {_day_and_time(received)} ({PARIS_TIME}), référence {breach.id}, convention "
        f"{breach.convention}.",
        "",
    ]
    if received > breach.notify_deadline:
        lines += [
            f"Elle est arrivée après l'échéance prévue par la convention ({_day_and_time(breach.notify_deadline)}) : "
            "les motifs du retard que vous avez donnés sont enregistrés avec elle.",
            "",
        ]
    step = (
        f"Prochaine étape : le délégué à la protection des données du Département l'examine et décide, avant le "
        f"{_day_and_time(breach.cnil_deadline)} ({PARIS_TIME}), de la notifier ou non à la CNIL (72 heures, "
        "art. 33 RGPD). Il vous contacte si des précisions sont nécessaires."
        if breach.cnil_deadline
        else "Prochaine étape : le délégué à la protection des données du Département l'examine et vous contacte "
        "si des précisions sont nécessaires."
    )
    lines += [step, ""]
    if breach.details.get("pending"):
        lines += [
            "Certains éléments étaient encore inconnus : complétez la déclaration dans l'application web dès que "
            "vous les connaissez (art. 33(4) RGPD).",
            "",
        ]
    lines += [
        "Pour transmettre des pièces, utilisez « Déposer un fichier » dans l'application web ; ne les envoyez "
        "jamais en clair par courriel.",
        "",
        "-- ",
        "Message envoyé par l'application web dpa-kit du Département.",
        _NO_PERSONAL_DATA,
    ]
    return _message_to_structure(
        f"[Violation de données] Déclaration reçue - {breach.id}",
        "\n".join(lines) + "\n",
        to=to,
        sender=sender,
        now=now,
        breach=breach,
    )


def build_subjects_request(breach: Breach, *, to: str, sender: str, now: datetime) -> EmailMessage:
    """The French message to the structure once the DPO decided that the people affected are to be informed
    (GDPR Art. 34, decision « à informer »): what to tell them, by which means and by when, and to confirm it
    afterwards. Only the reference, the convention, the means and the date: nothing of the people affected."""
    subjects = breach.subjects or {}
    if subjects.get("decision") != "to_inform":
        raise UsageError(
            f"{breach.id} : les personnes concernées ne sont pas « à informer » : aucun message à la structure"
        )
    from dpa_kit.words import french_day

    when = french_day(subjects.get("date")) or "sans délai"
    channel = subjects.get("channel") or "le moyen le plus direct"
    lines = [
        "Bonjour,",
        "",
        f"Pour la violation {breach.id} (convention {breach.convention}), le délégué à la protection des données "
        f"du Département a décidé que les personnes concernées doivent être informées (art. 34 RGPD), "
        f"message envoyé le {_day_and_time(now)} ({PARIS_TIME}).",
        "",
        f"À faire : informer chaque personne concernée au plus tard le {when}, par {channel}.",
        "",
        "Le message aux personnes, en termes clairs et simples, indique :",
        "- la nature de la violation ;",
        "- le nom et les coordonnées du délégué à la protection des données ou d'un autre contact ;",
        "- les conséquences probables de la violation ;",
        "- les mesures prises ou envisagées pour y remédier et en limiter les effets, et ce que les personnes "
        "peuvent faire elles-mêmes pour se protéger.",
        "",
        "Une fois les personnes informées, dites-le au délégué du Département (date et moyen utilisés) : il "
        "l'enregistre au registre des violations. Pour transmettre des pièces, utilisez « Déposer un fichier » "
        "dans l'application web ; jamais de liste de personnes en clair par courriel.",
        "",
        "-- ",
        "Message envoyé par l'application web dpa-kit du Département.",
        _NO_PERSONAL_DATA,
    ]
    return _message_to_structure(
        f"[Violation de données] Personnes à informer - {breach.id}",
        "\n".join(lines) + "\n",
        to=to,
        sender=sender,
        now=now,
        breach=breach,
    )


def _day_and_time(instant: datetime | None) -> str:
    """« samedi 28 mars 2026 à 18 h 00 » (Paris time)."""
    return clock.french_instant(instant) if instant else "—"


@dataclass
class PreparedNotification:
    """A notification ready to write or send: the message, its parties and, with attachments, their password."""

    message: EmailMessage
    to: str
    sender: str | None
    password: str | None = None


def prepare_notification(
    breach: Breach,
    convention: Convention,
    *,
    to: str | None = None,
    sender: str | None = None,
    complementary: bool = False,
    delay_reason: str | None = None,
    attachments: list[Path] | None = None,
    now: datetime | None = None,
    sender_required: bool = True,
    channel: Channel = "cli",
) -> PreparedNotification:
    """The notification of ``breach`` to the Département, to the convention's address from its processor's DPO
    unless told otherwise; attachments go in an encrypted archive (never in clear), whose password is returned."""
    to = to or convention.notifications.breach_address
    if not to:
        raise InvalidValue("adresse de notification manquante : la convention n'en indique pas", "notify_to")
    dpo = convention.processor.dpo
    sender = sender or (dpo.email if dpo and dpo.email else None)
    if not sender and sender_required:
        raise InvalidValue("adresse de l'expéditeur manquante : la convention n'indique pas de DPO", "notify_from")
    message = build_notification(
        breach,
        to=to,
        sender=sender,
        complementary=complementary,
        delay_reason=delay_reason,
        now=now,
        siret=convention.processor.siret,
        channel=channel,
    )
    password = _attach_encrypted(message, attachments, breach, to, sender) if attachments else None
    return PreparedNotification(message, to, sender, password)


def _attach_encrypted(message: EmailMessage, paths: list[Path], breach: Breach, to: str, sender: str | None) -> str:
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


def write_eml(message: EmailMessage, path: Path) -> None:
    """Write the message as ``.eml``, readable by its owner only (it holds personal data)."""
    from dpa_kit.fsutil import PRIVATE, atomic_write

    path.parent.mkdir(parents=True, exist_ok=True)
    atomic_write(path, bytes(message), mode=PRIVATE)


_SMTP_FORMS = "smtp://hôte:port, smtp+starttls://hôte:587 ou smtps://hôte:465"


def _smtp_endpoint(url: str) -> tuple[str, str, int]:
    """(scheme, host, port) of an SMTP URL. The URL is never quoted back: it may hold a password."""
    try:
        parts = urlsplit(url)
        scheme = parts.scheme.lower()
        host = parts.hostname
        port = parts.port
        has_credentials = bool(parts.username or parts.password)
    except ValueError as exc:  # "[::1", a port out of 0-65535 or not a number
        raise UsageError(f"adresse SMTP invalide (hôte ou port illisible) : {_SMTP_FORMS}") from exc
    if has_credentials or "@" in url:
        raise InvalidValue(
            "identifiant ou mot de passe dans l'adresse SMTP : ils se donnent à part, jamais dans l'adresse",
            "smtp_credentials",
        )
    if scheme not in {"smtp", "smtps", "smtp+starttls"} or not host:
        shown = f" (schéma « {scheme} »)" if scheme.replace("+", "").isalnum() else ""
        raise UsageError(f"adresse SMTP invalide{shown} : {_SMTP_FORMS}")
    if port == 0:
        raise UsageError(f"adresse SMTP invalide (port 0) : {_SMTP_FORMS}")
    return scheme, host, port or {"smtp": 25, "smtps": 465, "smtp+starttls": 587}[scheme]


def send(message: EmailMessage, config: SmtpConfig, timeout: float = 30) -> None:
    """Hand the message to the SMTP server of ``config``; raise NotificationError (in French) on failure.

    With an account, the password is sent only over TLS (``smtps://`` or ``smtp+starttls://``) unless
    ``config.insecure`` says that a clear-text login on ``smtp://`` is wanted (a relay on the same machine).
    """
    scheme, host, port = _smtp_endpoint(config.url)
    user, password = config.user, config.password
    if (user or password) and scheme == "smtp" and not config.insecure:
        raise InvalidValue(
            "identification SMTP refusée sans chiffrement : le mot de passe circulerait en clair ; utilisez "
            "smtp+starttls://hôte:587 ou smtps://hôte:465, ou autorisez explicitement l'envoi non chiffré",
            "smtp_insecure",
        )
    where = f"{host}:{port}"
    try:
        if scheme == "smtps":
            server: smtplib.SMTP = smtplib.SMTP_SSL(host, port, timeout=timeout, context=ssl.create_default_context())
        else:
            server = smtplib.SMTP(host, port, timeout=timeout)
        with server:
            if scheme == "smtp+starttls":
                server.starttls(context=ssl.create_default_context())
            if user:
                server.login(user, password or "")
            refused = server.send_message(message)
            if refused:
                raise NotificationError(
                    f"le serveur {where} a refusé le destinataire {', '.join(refused)} : vérifiez l'adresse"
                )
    except smtplib.SMTPAuthenticationError as exc:
        raise SmtpLoginRefused(
            f"le serveur {where} a refusé l'identification : vérifiez l'identifiant et le mot de passe SMTP"
        ) from exc
    except smtplib.SMTPRecipientsRefused as exc:
        raise NotificationError(
            f"le serveur {where} a refusé le destinataire : vérifiez l'adresse de notification"
        ) from exc
    except (ConnectionRefusedError, TimeoutError, OSError, smtplib.SMTPException) as exc:
        raise NotificationError(
            f"impossible d'envoyer le message par {where} ({type(exc).__name__}) : rien n'a été enregistré comme "
            "notifié"
        ) from exc


# --- the machine-readable copy and drafts (dpa-kit-breach/1) -----------------------------------------

#: Mail clients (Outlook, Thunderbird) open a message with this header as a draft to send, not as received.
UNSENT_HEADER = "X-Unsent"


#: The suffix of the machine-readable copy's file name.
NOTICE_SUFFIX = ".dpa-kit-breach.json"


def notice_filename(breach_id: str) -> str:
    """The attachment's name: the Département's ``breach receive --eml`` looks for this suffix."""
    return f"{breach_id}{NOTICE_SUFFIX}"


def attach_notice(message: EmailMessage, notice_bytes: bytes, breach_id: str) -> None:
    """Attach the ``dpa-kit-breach/1`` JSON copy of the notification (sent and draft messages alike),
    replacing the one already attached: a message never carries two copies that could disagree."""
    if message.is_multipart():
        kept: list[Message[str, str] | str] = [
            part for part in message.iter_parts() if not (part.get_filename() or "").endswith(NOTICE_SUFFIX)
        ]
        message.set_payload(kept)
    message.add_attachment(notice_bytes, maintype="application", subtype="json", filename=notice_filename(breach_id))


def mark_unsent(message: EmailMessage) -> None:
    """Make the message a draft to send (``X-Unsent: 1``); only for a written .eml, never for --send."""
    if UNSENT_HEADER in message:
        del message[UNSENT_HEADER]
    message[UNSENT_HEADER] = "1"
