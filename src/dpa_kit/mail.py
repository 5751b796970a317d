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
from email.message import EmailMessage
from email.utils import format_datetime, make_msgid
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from dpa_kit import clock
from dpa_kit.breach import NATURES, Breach, require_delay_reason
from dpa_kit.exceptions import InvalidValue, NotificationError, SmtpLoginRefused, UsageError
from dpa_kit.model import Convention


@dataclass(frozen=True)
class SmtpConfig:
    """Where and how to send: the server's URL and, if it asks for one, the account."""

    url: str
    user: str | None = None
    password: str | None = None

    def __repr__(self) -> str:  # never show the password
        return f"SmtpConfig(url={self.url!r}, user={self.user!r}, password={'***' if self.password else None})"


def _when(text: str | None) -> str:
    if not text:
        return "non renseigné"
    return clock.french_instant(datetime.fromisoformat(text))


def _value(details: dict[str, Any], key: str, default: str = "non renseigné") -> str:
    value = details.get(key)
    if value in (None, "", []):
        return default
    if isinstance(value, list):
        return ", ".join(str(v) for v in value)
    return str(value)


def notification_body(breach: Breach, *, complementary: bool, delay_reason: str | None, now: datetime) -> str:
    """The French text of a notification: every item of GDPR Art. 33(3) and of the CNIL form."""
    d = breach.details
    natures = [NATURES.get(n, n) for n in d.get("natures", [])]
    late = now > breach.notify_deadline and not complementary
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
        f"Contact (délégué ou personne à joindre) : {_value(d, 'contact')}",
        "",
        "1. Chronologie",
        f"- Début de la violation : {_when(d.get('started_at'))}",
        f"- Fin de la violation : {'en cours' if d.get('ongoing') else _when(d.get('ended_at'))}",
        f"- Prise de connaissance par l'organisme : {_when(breach.aware_at.isoformat())}",
        f"- Circonstances de la découverte : {_value(d, 'discovery')}",
        f"- Échéance contractuelle de notification : {_when(breach.notify_deadline.isoformat())}",
    ]
    if late:
        lines.append(f"- Motifs du retard de notification : {delay_reason}")
    lines += [
        "",
        "2. Nature de la violation",
        f"- {('; '.join(natures)) or 'non renseignée'}",
        f"- Description : {_value(d, 'description')}",
        f"- Origine et cause : {_value(d, 'cause')}",
        "",
        "3. Données et personnes concernées",
        f"- Catégories de données : {_value(d, 'data_categories')}",
        f"- Nombre approximatif d'enregistrements : {_value(d, 'records')}",
        f"- Catégories de personnes : {_value(d, 'people_categories')}",
        f"- Nombre approximatif de personnes : {_value(d, 'people')}",
        f"- Mineurs ou personnes vulnérables concernés : {'oui' if d.get('vulnerable') else 'non signalé'}",
        "",
        "4. Conséquences probables",
        f"- {_value(d, 'consequences')}",
        "",
        "5. Mesures",
        f"- Mesures de sécurité en place avant la violation : {_value(d, 'measures_before')}",
        f"- Mesures prises ou envisagées pour remédier à la violation et en limiter les effets : {_value(d, 'measures')}",
        f"- Information des personnes concernées : {_value(d, 'subjects_information', 'à décider par le Département')}",
        f"- Autres autorités ou organismes informés : {_value(d, 'other_authorities', 'aucun')}",
        "",
        "Nous restons à votre disposition pour toute information utile à votre éventuelle notification à la CNIL.",
        "",
        "-- ",
        "Message préparé avec dpa-kit. Ne joignez jamais de données personnelles en clair : utilisez « dpa-kit exchange pack ».",
    ]
    return "\n".join(lines) + "\n"


def build_notification(breach: Breach, *, to: str, sender: str, complementary: bool = False,
                       delay_reason: str | None = None, now: datetime | None = None) -> EmailMessage:
    """The notification message, ready to write as .eml or to send."""
    now = now or clock.now()
    require_delay_reason(breach, now, complementary=complementary, delay_reason=delay_reason)
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


@dataclass
class PreparedNotification:
    """A notification ready to write or send: the message, its parties and, with attachments, their password."""

    message: EmailMessage
    to: str
    sender: str
    password: str | None = None


def prepare_notification(breach: Breach, convention: Convention, *, to: str | None = None, sender: str | None = None,
                         complementary: bool = False, delay_reason: str | None = None,
                         attachments: list[Path] | None = None, now: datetime | None = None) -> PreparedNotification:
    """The notification of ``breach`` to the Département, to the convention's address from its processor's DPO
    unless told otherwise; attachments go in an encrypted archive (never in clear), whose password is returned."""
    to = to or convention.notifications.breach_address
    if not to:
        raise InvalidValue("adresse de notification manquante : la convention n'en indique pas", "notify_to")
    dpo = convention.processor.dpo
    sender = sender or (dpo.email if dpo and dpo.email else None)
    if not sender:
        raise InvalidValue("adresse de l'expéditeur manquante : la convention n'indique pas de DPO", "notify_from")
    message = build_notification(breach, to=to, sender=sender, complementary=complementary,
                                 delay_reason=delay_reason, now=now)
    password = _attach_encrypted(message, attachments, breach, to, sender) if attachments else None
    return PreparedNotification(message, to, sender, password)


def _attach_encrypted(message: EmailMessage, paths: list[Path], breach: Breach, to: str, sender: str) -> str:
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
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(bytes(message))


def send(message: EmailMessage, config: SmtpConfig, timeout: float = 30) -> None:
    """Hand the message to the SMTP server of ``config``; raise NotificationError (in French) on failure."""
    url = config.url
    parts = urlsplit(url)
    scheme = parts.scheme.lower()
    if scheme not in {"smtp", "smtps", "smtp+starttls"} or not parts.hostname:
        raise UsageError(f"adresse SMTP « {url} » invalide : smtp://hôte:port, smtp+starttls://hôte:587 ou smtps://hôte:465")
    if parts.username or parts.password:
        raise InvalidValue("identifiant ou mot de passe dans l'adresse SMTP : "
                           "ils se donnent à part, jamais dans l'adresse", "smtp_credentials")
    port = parts.port or {"smtp": 25, "smtps": 465, "smtp+starttls": 587}[scheme]
    user, password = config.user, config.password
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
        raise SmtpLoginRefused(
            f"le serveur {where} a refusé l'identification : vérifiez l'identifiant et le mot de passe SMTP"
        ) from exc
    except smtplib.SMTPRecipientsRefused as exc:
        raise NotificationError(f"le serveur {where} a refusé le destinataire : vérifiez l'adresse de notification") from exc
    except (ConnectionRefusedError, TimeoutError, OSError, smtplib.SMTPException) as exc:
        raise NotificationError(
            f"impossible d'envoyer le message par {where} ({type(exc).__name__}) : rien n'a été enregistré comme notifié"
        ) from exc
