"""Reminders before a breach deadline expires, meant for a cron job (``dpa-kit remind``).

Before a structure's 24-hour deadline (6 h and 1 h before) the structure and the DPO are written to; before
the Département's 72-hour CNIL deadline (24 h and 6 h before) the DPO is. Each threshold is sent once: a
``reminder.sent`` ledger event records it (with the number of recipients, never their addresses), so
running the job again sends nothing new. A run that starts late sends only the most urgent reminder and
records the thresholds it passed. Nothing is recorded when the mail server refuses the message.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta
from email.message import EmailMessage
from email.utils import format_datetime, make_msgid
from pathlib import Path

from dpa_kit import clock
from dpa_kit.breach import Breach, all_breaches
from dpa_kit.ledger import Ledger
from dpa_kit.loader import iter_folder
from dpa_kit.model import Convention

__all__ = ["CNIL_THRESHOLDS", "STRUCTURE_THRESHOLDS", "Reminder", "due", "send_due"]

STRUCTURE_THRESHOLDS = (6, 1)
CNIL_THRESHOLDS = (24, 6)


@dataclass(frozen=True)
class Reminder:
    """One reminder to send: the breach, the thresholds it covers, the deadline, the recipients."""

    breach: Breach
    thresholds: tuple[int, ...]
    deadline: datetime
    recipients: tuple[str, ...]
    kind: str  # "structure" (notify the Département) or "cnil" (the DPO's decision)

    def message(self, sender: str, now: datetime) -> EmailMessage:
        hours = min(self.thresholds)
        what = (
            "à notifier au Département" if self.kind == "structure" else "décision de notification à la CNIL à prendre"
        )
        left = self.deadline - now
        minutes = max(0, int(left.total_seconds() // 60))
        message = EmailMessage()
        message["Subject"] = f"[Rappel] Violation {self.breach.id} : échéance dans moins de {hours} heure(s)"
        message["From"] = sender
        message["To"] = ", ".join(self.recipients)
        message["Date"] = format_datetime(now.astimezone(clock.PARIS))
        # No idstring: a long breach reference would fold the header, which some mail clients misread.
        message["Message-ID"] = make_msgid(domain=sender.rsplit("@", 1)[-1] or "dpa-kit.invalid")
        message["X-DPA-Kit-Breach"] = self.breach.id
        message.set_content(
            f"Violation {self.breach.id} (convention {self.breach.convention}) : {what} avant le "
            f"{clock.french_instant(self.deadline)} (heure de Paris), "
            f"il reste {minutes // 60} h {minutes % 60:02d}.\n\n"
            + (
                "Déclarez-la dans l'application du Département ou avec « dpa-kit breach notify ». "
                "Même incomplète, une notification dans le délai vaut mieux qu'une notification complète en retard.\n"
                if self.kind == "structure"
                else "Enregistrez la décision (notification à la CNIL, ou raison documentée de ne pas notifier), "
                "art. 33 RGPD.\n"
            )
            + "\n-- \nMessage automatique de dpa-kit.\n",
            charset="utf-8",
        )
        return message


def due(
    ledger: Ledger,
    folder: Path,
    *,
    now: datetime,
    dpo_address: str | None = None,
    structure_addresses: Callable[[Convention], list[str]] | None = None,
) -> list[Reminder]:
    """The reminders to send now (none twice). ``structure_addresses`` adds, for instance, the web accounts."""
    conventions = {r.loaded.convention.id: r.loaded.convention for r in iter_folder(folder) if r.loaded is not None}
    reminders = []
    sent_events = {
        (e.subject, e.payload["kind"], int(e.payload["threshold"])) for e in ledger.events(kind_prefix="reminder.")
    }
    for breach in all_breaches(ledger).values():
        if not breach.is_open or not breach.pending():
            continue
        convention = conventions.get(breach.convention)
        kind = "cnil" if breach.side == "departement" else "structure"
        deadline = breach.deadline()
        thresholds = CNIL_THRESHOLDS if kind == "cnil" else STRUCTURE_THRESHOLDS
        passed = tuple(
            h
            for h in thresholds
            if deadline - timedelta(hours=h) <= now < deadline and (breach.id, kind, h) not in sent_events
        )
        if not passed:
            continue
        recipients: list[str] = []
        dpo = dpo_address or (convention.notifications.breach_address if convention else None)
        if dpo:
            recipients.append(dpo)
        if kind == "structure" and convention is not None:
            if convention.processor.dpo and convention.processor.dpo.email:
                recipients.append(convention.processor.dpo.email)
            if structure_addresses is not None:
                recipients.extend(structure_addresses(convention))
        recipients = list(dict.fromkeys(recipients))
        if recipients:
            reminders.append(Reminder(breach, passed, deadline, tuple(recipients), kind))
    return sorted(reminders, key=lambda r: r.deadline)


def send_due(
    ledger: Ledger, reminders: list[Reminder], *, now: datetime, sender: str, send: Callable[[EmailMessage], None]
) -> list[Reminder]:
    """Send each reminder, then record it; return those sent. A refused message raises, unrecorded."""
    done = []
    for reminder in reminders:
        send(reminder.message(sender, now))
        with ledger.unit_of_work() as writer:
            for threshold in reminder.thresholds:
                writer.append(
                    "reminder.sent",
                    reminder.breach.id,
                    {"kind": reminder.kind, "threshold": threshold, "recipients": len(reminder.recipients)},
                    now,
                )
        done.append(reminder)
    return done
