"""E-mail: the breach notification message (RFC 5322, UTF-8) and sending it over SMTP.

``smtp://host:port`` for a local relay, ``smtp+starttls://host:587`` and ``smtps://host:465``; user and
password come from ``DPA_KIT_SMTP_USER`` / ``DPA_KIT_SMTP_PASSWORD``, never from the command line.
A notification counts as sent only once the server accepted it: the caller records it afterwards.
"""

from __future__ import annotations

import os
import smtplib
import ssl
from datetime import datetime
from email.message import EmailMessage
from email.utils import format_datetime, make_msgid
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from dpa_kit import clock
from dpa_kit.breach import NATURES, Breach
from dpa_kit.exceptions import NotificationError, UsageError



def _when(text: str | None) -> str:
    if not text:
        return "non renseigné"
    return clock.french_datetime(datetime.fromisoformat(text)) + " (heure de Paris)"


def _value(details: dict[str, Any], key: str, default: str = "non renseigné") -> str:
    value = details.get(key)
    if value in (None, "", []):
        return default
    if isinstance(value, list):
        return ", ".join(str(v) for v in value)
    return str(value)


def notification_body(breach: Breach, *, complementary: bool, delay_reason: str | None, now: datetime) -> str:
    """The French text of a notification: every item of GDPR Art. 33(3) and of the CNIL form."""
    from dpa_kit import breach_questions, frenchtime
    from dpa_kit.breach_notice import normalise_details

    d = normalise_details(breach.details)
    late = now > breach.notify_deadline and not complementary
    items = breach_questions.items(d, absent="non renseigné")
    contact = next((value for label, value in items if label == breach_questions.ITEM_LABELS["contact"]), "non renseigné")
    pending = [breach_questions.ITEM_LABELS.get(key, key) for key in d.get("pending", [])]
    lines = [
        "Madame, Monsieur le Délégué à la protection des données,",
        "",
        (f"Conformément à l'annexe 1 de la convention {breach.convention}, nous vous notifions une violation de "
         "données à caractère personnel." if not complementary else
         f"Nous complétons notre notification de la violation {breach.id} (art. 33(4) RGPD) : "
         "les informations ci-dessous remplacent ou précisent les précédentes."),
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
        lines += ["", "Éléments encore inconnus, précisés dès que possible par une notification complémentaire "
                      f"(art. 33(4) RGPD) : {' ; '.join(pending)}."]
    lines += [
        "",
        "Nous restons à votre disposition pour toute information utile à votre éventuelle notification à la CNIL.",
        "",
        "-- ",
        "Message préparé avec dpa-kit. Ne joignez jamais de données personnelles en clair : utilisez « dpa-kit exchange pack ».",
        "Une copie lisible par machine (fichier .dpa-kit-breach.json) est jointe : le Département l'importe sans "
        "ressaisie avec « dpa-kit breach receive --eml ».",
    ]
    return "\n".join(lines) + "\n"


def build_notification(breach: Breach, *, to: str, sender: str, complementary: bool = False,
                       delay_reason: str | None = None, now: datetime | None = None) -> EmailMessage:
    """The notification message, ready to write as .eml or to send."""
    now = now or clock.now()
    late = now > breach.notify_deadline and not complementary
    if late and not (delay_reason and delay_reason.strip()):
        raise UsageError(
            f"l'échéance de notification ({clock.french_datetime(breach.notify_deadline)}) est dépassée : "
            "indiquez les motifs du retard avec --delay-reason ; ils seront joints et enregistrés"
        )
    if complementary and not breach.notifications:
        raise UsageError(f"{breach.id} n'a pas encore été notifiée : envoyez d'abord la notification initiale")
    message = EmailMessage()
    kind = "complémentaire" if complementary else "initiale"
    message["Subject"] = f"[Violation de données] Convention {breach.convention} - {breach.id} - notification {kind}"
    message["From"] = sender
    message["To"] = to
    message["Date"] = format_datetime(now.astimezone(clock.PARIS))
    domain = sender.rsplit("@", 1)[-1].strip("> ") or "dpa-kit.invalid"
    message["Message-ID"] = make_msgid(idstring=breach.id, domain=domain)
    if complementary:
        first = breach.notifications[0]["message_id"]
        message["In-Reply-To"] = first
        message["References"] = first
    message["X-DPA-Kit-Breach"] = breach.id
    message.set_content(notification_body(breach, complementary=complementary, delay_reason=delay_reason, now=now),
                        charset="utf-8")
    return message


def write_eml(message: EmailMessage, path: Path) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(bytes(message))


def send(message: EmailMessage, url: str, timeout: float = 30) -> None:
    """Hand the message to the SMTP server at ``url``; raise NotificationError (in French) on failure."""
    parts = urlsplit(url)
    scheme = parts.scheme.lower()
    if scheme not in {"smtp", "smtps", "smtp+starttls"} or not parts.hostname:
        raise UsageError(f"adresse SMTP « {url} » invalide : smtp://hôte:port, smtp+starttls://hôte:587 ou smtps://hôte:465")
    if parts.username or parts.password:
        raise UsageError("ne mettez pas d'identifiant dans l'adresse SMTP : utilisez DPA_KIT_SMTP_USER et DPA_KIT_SMTP_PASSWORD")
    port = parts.port or {"smtp": 25, "smtps": 465, "smtp+starttls": 587}[scheme]
    user = os.environ.get("DPA_KIT_SMTP_USER")
    password = os.environ.get("DPA_KIT_SMTP_PASSWORD")
    where = f"{parts.hostname}:{port}"
    try:
        if scheme == "smtps":
            server: smtplib.SMTP = smtplib.SMTP_SSL(parts.hostname, port, timeout=timeout, context=ssl.create_default_context())
        else:
            server = smtplib.SMTP(parts.hostname, port, timeout=timeout)
        with server:
            if scheme == "smtp+starttls":
                server.starttls(context=ssl.create_default_context())
            if user:
                server.login(user, password or "")
            refused = server.send_message(message)
            if refused:
                raise NotificationError(f"le serveur {where} a refusé le destinataire {', '.join(refused)} : vérifiez l'adresse")
    except smtplib.SMTPAuthenticationError as exc:
        raise NotificationError(f"le serveur {where} a refusé l'identification : vérifiez DPA_KIT_SMTP_USER et DPA_KIT_SMTP_PASSWORD") from exc
    except smtplib.SMTPRecipientsRefused as exc:
        raise NotificationError(f"le serveur {where} a refusé le destinataire : vérifiez l'adresse de notification") from exc
    except (ConnectionRefusedError, TimeoutError, OSError, smtplib.SMTPException) as exc:
        raise NotificationError(
            f"impossible d'envoyer le message par {where} ({type(exc).__name__}) : rien n'a été enregistré comme notifié ; "
            "écrivez le message avec --eml et envoyez-le depuis votre messagerie, puis réessayez --send plus tard"
        ) from exc


# --- the machine-readable copy and drafts (dpa-kit-breach/1) -----------------------------------------

#: Mail clients (Outlook, Thunderbird) open a message with this header as a draft to send, not as received.
UNSENT_HEADER = "X-Unsent"


def notice_filename(breach_id: str) -> str:
    """The attachment's name: the Département's ``breach receive --eml`` looks for this suffix."""
    return f"{breach_id}.dpa-kit-breach.json"


def attach_notice(message: EmailMessage, notice_bytes: bytes, breach_id: str) -> None:
    """Attach the ``dpa-kit-breach/1`` JSON copy of the notification (sent and draft messages alike)."""
    message.add_attachment(notice_bytes, maintype="application", subtype="json",
                           filename=notice_filename(breach_id))


def mark_unsent(message: EmailMessage) -> None:
    """Make the message a draft to send (``X-Unsent: 1``); only for a written .eml, never for --send."""
    if UNSENT_HEADER in message:
        del message[UNSENT_HEADER]
    message[UNSENT_HEADER] = "1"
