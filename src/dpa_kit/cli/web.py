"""Commands of the web application: ``dpa-kit serve`` and ``dpa-kit users ...``.

They read the configuration (options, environment, the clock) and hand it to the library; the accounts
live in ``web.sqlite`` next to the ledger.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import click

from dpa_kit.cli.common import EXIT_OK, CommandGroup, Settings, forced_now, pass_settings, smtp_config


def _now() -> datetime:
    """The edge's clock: ``DPA_KIT_NOW`` when set (tests, audits), else the system clock."""
    return forced_now() or datetime.now(UTC)


def _accounts(settings: Settings) -> Any:
    from dpa_kit.accounts import Accounts, web_database_path
    from dpa_kit.ledger import Ledger

    return Accounts(web_database_path(settings.ledger), Ledger(settings.ledger))


@click.command("serve")
@click.option("--host", default="127.0.0.1", show_default=True, help="Adresse d'écoute.")
@click.option("--port", default=8000, show_default=True, type=click.IntRange(1, 65535), help="Port d'écoute.")
@click.option(
    "--smtp",
    "smtp_url",
    envvar="DPA_KIT_SMTP",
    help="Serveur qui envoie la copie des déclarations au DPO : smtp://hôte:port, smtp+starttls://hôte:587 "
    "ou smtps://hôte:465 (variable DPA_KIT_SMTP).",
)
@click.option(
    "--from",
    "sender",
    envvar="DPA_KIT_WEB_SENDER",
    default="dpa-kit@localhost",
    show_default=True,
    help="Expéditeur des courriels de l'application (variable DPA_KIT_WEB_SENDER).",
)
@click.option(
    "--secure-cookies",
    is_flag=True,
    envvar="DPA_KIT_SECURE_COOKIES",
    help="Derrière un mandataire TLS (https) : cookies « Secure » et en-tête HSTS.",
)
@click.option(
    "--proxy",
    "proxy",
    default=None,
    metavar="IP",
    help="Adresse du mandataire inverse dont on croit les en-têtes X-Forwarded-For (par exemple 127.0.0.1).",
)
@click.option(
    "--drop-recipient",
    envvar="DPA_KIT_DROP_RECIPIENT",
    metavar="age1...",
    help="Clé publique age du DPO : les fichiers déposés par les structures sont chiffrés pour elle "
    "(variable DPA_KIT_DROP_RECIPIENT ; sans elle, le dépôt est fermé).",
)
@pass_settings
def serve(
    settings: Settings,
    host: str,
    port: int,
    smtp_url: str | None,
    sender: str,
    secure_cookies: bool,
    proxy: str | None,
    drop_recipient: str | None,
) -> int:
    """Lance l'application web (structures et DPO) sur le dossier des conventions et le journal.

    Les comptes se créent avec « dpa-kit users add ». En production, placez l'application derrière un
    mandataire inverse TLS (nginx, Caddy) et utilisez --secure-cookies.

    \b
    Exemple :
      dpa-kit --registers registers serve --port 8000 --smtp smtp://127.0.0.1:25
    """
    import uvicorn

    from dpa_kit.mail import send
    from dpa_kit.web import WebConfig, create_app

    smtp = smtp_config(smtp_url) if smtp_url else None

    app = create_app(
        WebConfig(
            registers=settings.registers,
            ledger_path=settings.ledger,
            send_mail=(lambda message: send(message, smtp)) if smtp else None,
            sender=sender,
            secure_cookies=secure_cookies,
            now=_now,
            drop_recipient=drop_recipient,
        )
    )
    click.echo(f"Application web : http://{host}:{port}/ (Ctrl-C pour arrêter)")
    uvicorn.run(
        app,
        host=host,
        port=port,
        log_level="warning",
        access_log=False,
        server_header=False,
        proxy_headers=proxy is not None,
        forwarded_allow_ips=proxy or "",
    )
    return EXIT_OK


@click.group("users", cls=CommandGroup)
def users() -> None:
    """Comptes de l'application web : DPO et utilisateurs des structures.

    \b
    Exemple :
      dpa-kit users add secretariat@ccas-bethune.fr --role structure --siret 26620011900011
    """


@users.command("add")
@click.argument("email")
@click.option(
    "--role",
    required=True,
    type=click.Choice(["dpo", "structure"]),
    help="dpo (voit tout, second facteur obligatoire) ou structure (voit les conventions de son SIRET).",
)
@click.option("--siret", help="SIRET de la structure (obligatoire pour le rôle structure).")
@pass_settings
def users_add(settings: Settings, email: str, role: str, siret: str | None) -> int:
    """Crée un compte et affiche une seule fois son mot de passe à usage unique.

    \b
    Exemple :
      dpa-kit users add dpo@pasdecalais.fr --role dpo
    """
    user, password = _accounts(settings).add_user(email, role, siret, now=_now(), actor="cli")
    where = f", SIRET {user.siret}" if user.siret else ""
    click.echo(f"Compte créé : n° {user.id}, {user.email}, rôle {user.role}{where}.")
    click.secho(f"Mot de passe à usage unique : {password}", bold=True)
    click.echo(
        "Il n'est affiché qu'ici : transmettez-le par un autre canal que le courriel (téléphone, SMS). "
        "À la première connexion, la personne choisit son propre mot de passe"
        + (" et enregistre son second facteur (application d'authentification)." if user.is_dpo else ".")
    )
    return EXIT_OK


@users.command("list")
@pass_settings
def users_list(settings: Settings) -> int:
    """Liste les comptes (numéro, adresse, rôle, SIRET, état, second facteur).

    \b
    Exemple :
      dpa-kit users list
    """
    accounts = _accounts(settings).users()
    if not accounts:
        click.echo("Aucun compte. Créez-en un avec « dpa-kit users add ADRESSE --role dpo ».")
        return EXIT_OK
    now = _now()
    for user in accounts:
        state = (
            "désactivé"
            if not user.active
            else ("verrouillé" if user.locked_until and user.locked_until > now else "actif")
        )
        click.echo(
            f"{user.id:>4}  {user.email}  {user.role}  {user.siret or '-'}  {state}  "
            f"second facteur : {'oui' if user.totp_enabled else 'non'}"
        )
    return EXIT_OK


@users.command("disable")
@click.argument("email")
@pass_settings
def users_disable(settings: Settings, email: str) -> int:
    """Désactive un compte ; ses sessions ouvertes sont fermées aussitôt.

    \b
    Exemple :
      dpa-kit users disable ancien.agent@ccas-bethune.fr
    """
    user = _accounts(settings).disable(email, now=_now(), actor="cli")
    click.echo(f"Compte désactivé : n° {user.id}, {user.email}. Ses sessions sont fermées.")
    return EXIT_OK


@click.command("remind")
@click.option("--smtp", "smtp_url", envvar="DPA_KIT_SMTP", help="Serveur SMTP (variable DPA_KIT_SMTP).")
@click.option(
    "--from",
    "sender",
    envvar="DPA_KIT_WEB_SENDER",
    default="dpa-kit@localhost",
    show_default=True,
    help="Expéditeur des rappels (variable DPA_KIT_WEB_SENDER).",
)
@click.option("--dry-run", is_flag=True, help="Affiche les rappels dus sans rien envoyer ni enregistrer.")
@pass_settings
def remind(settings: Settings, smtp_url: str | None, sender: str, dry_run: bool) -> int:
    """Envoie les rappels avant les échéances des violations (24 h de la structure, 72 h de la CNIL).

    Fait pour cron : chaque seuil (6 h et 1 h avant l'échéance de la structure, 24 h et 6 h avant celle
    de la CNIL) n'est envoyé qu'une fois et enregistré dans le journal.

    \b
    Exemple (crontab, toutes les 10 minutes) :
      */10 * * * * dpa-kit --registers /srv/rgpd/registers remind --smtp smtp://127.0.0.1:25
    """
    from dpa_kit.accounts import web_database_path
    from dpa_kit.exceptions import UsageError
    from dpa_kit.ledger import Ledger
    from dpa_kit.mail import send
    from dpa_kit.reminders import due, send_due

    if not dry_run and not smtp_url:
        raise UsageError("indiquez le serveur qui envoie les rappels : --smtp smtp://hôte:port (ou DPA_KIT_SMTP)")
    ledger = Ledger(settings.ledger, create=False)
    accounts = _accounts(settings) if web_database_path(settings.ledger).exists() else None
    now = _now()
    reminders = due(
        ledger,
        settings.registers,
        now=now,
        structure_addresses=(lambda c: accounts.structure_addresses(c.processor.siret)) if accounts else None,
    )
    if dry_run:
        for reminder in reminders:
            click.echo(
                f"{reminder.breach.id} : rappel à {min(reminder.thresholds)} h de l'échéance, "
                f"{len(reminder.recipients)} destinataire(s)"
            )
        click.echo(f"{len(reminders)} rappel(s) dû(s), rien envoyé.")
        return EXIT_OK
    sent = send_due(
        ledger, reminders, now=now, sender=sender, send=lambda message: send(message, smtp_config(smtp_url or ""))
    )
    for reminder in sent:
        click.echo(
            f"{reminder.breach.id} : rappel à {min(reminder.thresholds)} h de l'échéance envoyé à "
            f"{len(reminder.recipients)} destinataire(s)"
        )
    click.echo(f"{len(sent)} rappel(s) envoyé(s).")
    return EXIT_OK


__all__ = ["remind", "serve", "users"]
