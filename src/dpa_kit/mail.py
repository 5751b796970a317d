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


def _header_address(value: str, whose: str) -> None:
    """Refuse an address that would break out of its mail header (CR, LF or any control character)."""
    if any(ord(c) < 32 or 127 <= ord(c) < 160 for c in value) or "@" not in value:
        raise UsageError(f"adresse {whose} invalide : une seule adresse électronique, sur une ligne, sans caractère de contrôle")


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
    _header_address(sender, "de l'expéditeur")
    _header_address(to, "du destinataire")
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
        raise UsageError("ne mettez pas d'identifiant ni de mot de passe dans l'adresse SMTP : "
                         "ils se donnent à part (variables d'environnement)")
    if scheme not in {"smtp", "smtps", "smtp+starttls"} or not host:
        shown = f" (schéma « {scheme} »)" if scheme.replace("+", "").isalnum() else ""
        raise UsageError(f"adresse SMTP invalide{shown} : {_SMTP_FORMS}")
    if port == 0:
        raise UsageError(f"adresse SMTP invalide (port 0) : {_SMTP_FORMS}")
    return scheme, host, port or {"smtp": 25, "smtps": 465, "smtp+starttls": 587}[scheme]


def send(message: EmailMessage, url: str, timeout: float = 30, *, insecure: bool = False) -> None:
    """Hand the message to the SMTP server at ``url``; raise NotificationError (in French) on failure.

    With a user name, the password is sent only over TLS (``smtps://`` or ``smtp+starttls://``) unless
    ``insecure`` says that a clear-text login on ``smtp://`` is wanted (a relay on the same machine).
    """
    scheme, host, port = _smtp_endpoint(url)
    user = os.environ.get("DPA_KIT_SMTP_USER")
    password = os.environ.get("DPA_KIT_SMTP_PASSWORD")
    if (user or password) and scheme == "smtp" and not insecure:
        raise UsageError(
            "identification SMTP refusée sans chiffrement : le mot de passe circulerait en clair ; "
            "utilisez smtp+starttls://hôte:587 ou smtps://hôte:465 (ou autorisez explicitement l'envoi non chiffré)"
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
