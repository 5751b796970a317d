"""The message « personnes à informer » to a structure (GDPR Art. 34) and what became of it.

Once the DPO decided that the people affected are to be informed, every active account of the structure (the
SIRET of the breach's convention) receives :func:`dpa_kit.mail.build_subjects_request`; the sending is recorded
in the ledger (who, how many; never the addresses), and :func:`last_subjects_request` reads it back, so that a
page says « envoyé » only when the ledger says so.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime, timedelta
from email.message import EmailMessage
from pathlib import Path
from typing import Literal

from dpa_kit import access
from dpa_kit.accounts import Accounts, User
from dpa_kit.breach import Breach, get
from dpa_kit.exceptions import NotFound, NotificationError, UsageError
from dpa_kit.ledger import Ledger
from dpa_kit.mail import build_subjects_request

__all__ = ["REQUESTED", "SubjectsOutcome", "last_subjects_request", "request_subjects", "structure_recipients"]

#: The action of the ``account.action`` event recording the message.
REQUESTED = "breach.subjects.requested"
#: ``sent`` to every account, ``partly`` (some or none could leave), ``no_account`` (nobody to write to).
SubjectsOutcome = Literal["sent", "partly", "no_account"]


def _send_quietly(send: Callable[[EmailMessage], None] | None, message: EmailMessage) -> bool:
    if send is None:
        return False
    try:
        send(message)
    except (NotificationError, UsageError, OSError):
        return False
    return True


def structure_recipients(breach: Breach, *, user: User, registers: Path, accounts: Accounts) -> list[str]:
    """The addresses of the active accounts of the structure of ``breach`` (the SIRET of its convention, as
    ``user`` sees it); empty when there is none."""
    try:
        siret: str | None = access.get_convention(user, registers, breach.convention).convention.processor.siret
    except NotFound:
        siret = None
    return accounts.structure_addresses(siret)


def request_subjects(
    ledger: Ledger,
    breach_id: str,
    *,
    user: User,
    registers: Path,
    accounts: Accounts,
    sender: str,
    send: Callable[[EmailMessage], None] | None,
    now: datetime,
) -> SubjectsOutcome:
    """E-mail the decision « à informer » of ``breach_id`` to the active accounts of its structure and record
    the sending under ``user`` when at least one message left."""
    breach = get(ledger, breach_id)  # with its decision
    addresses = structure_recipients(breach, user=user, registers=registers, accounts=accounts)
    if not addresses:
        return "no_account"
    sent = 0
    for address in addresses:
        try:
            message = build_subjects_request(breach, to=address, sender=sender, now=now)
        except UsageError:
            continue
        sent += _send_quietly(send, message)
    if sent:
        payload = {"action": REQUESTED, "object": breach.id, "recipients": sent, "of": len(addresses)}
        ledger.append("account.action", user.subject, payload, at=now)
    return "sent" if sent == len(addresses) else "partly"


def last_subjects_request(
    ledger: Ledger, breach_id: str, subject: str, *, now: datetime, within: timedelta = timedelta(minutes=15)
) -> SubjectsOutcome | None:
    """What the ledger says of the last message « personnes à informer » for ``breach_id`` sent by ``subject``
    in the last ``within``: ``sent``, ``partly``, or None when none left recently."""
    for event in reversed(ledger.events(subject=subject, kind_prefix="account.action")):
        if event.at < now - within:
            return None
        payload = event.payload
        if payload.get("action") == REQUESTED and payload.get("object") == breach_id:
            recipients = payload.get("recipients", 0)
            return "sent" if recipients >= payload.get("of", recipients) else "partly"
    return None
