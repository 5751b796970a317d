"""What is said of a recorded breach, in French, to each side: the structure's delay against its contractual
deadline, the Département's decisions as the structure may read them, what is still open before closing.

Both edges show these sentences (the DPO's and the structure's web pages, ``dpa-kit breach close``); an edge
adds only how to act in its own medium (a command, a form).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from dpa_kit import clock
from dpa_kit.breach import ART34_GROUNDS, Breach
from dpa_kit.frenchtime import duration
from dpa_kit.words import french_day

__all__ = ["ClosingWarning", "StructureDelay", "closing_warnings", "department_decisions", "structure_delay"]


@dataclass(frozen=True)
class StructureDelay:
    """How the structure met its contractual deadline: when it notified, how late, and its reasons."""

    at: datetime
    late: bool
    #: « 6 h 30 min » past the deadline, « » when in time.
    by: str
    reasons: list[str]


def structure_delay(breach: Breach) -> StructureDelay | None:
    """The structure's notification against its deadline (24 h in the conventions) and the « motifs du
    retard » it gave, in its notification or as received by the Département; None before any notification."""
    at = breach.notified_at or breach.received_at
    if at is None:
        return None
    given = [str(n.get("delay_reason")) for n in breach.notifications if n.get("delay_reason")]
    if breach.details.get("delay_reason"):
        given.append(str(breach.details["delay_reason"]))
    late = at > breach.notify_deadline
    return StructureDelay(at, late, duration(at - breach.notify_deadline) if late else "", list(dict.fromkeys(given)))


@dataclass(frozen=True)
class ClosingWarning:
    """Something still open on a breach about to be closed; ``confirm``: closing needs an explicit yes."""

    #: « pending » (the expected CNIL step), « art34 » (no decision on informing the people), « to_inform »
    #: (decided, not yet done): an edge adds how to act on it in its own medium.
    kind: str
    text: str
    confirm: bool


def closing_warnings(breach: Breach) -> list[ClosingWarning]:
    """What is still open on a breach before it is closed, each said once for both edges.

    The Art. 34 decision (inform the people or not) is the controller's: on the Département's side,
    closing without it needs a confirmation. People still « à informer » are a reminder, not a question.
    """
    warnings = []
    if breach.pending():
        step = (
            "la décision CNIL (notifier ou non, art. 33) n'est pas enregistrée"
            if breach.side == "departement"
            else "la notification au Département n'est pas enregistrée"
        )
        warnings.append(ClosingWarning("pending", step, False))
    if breach.side == "departement" and breach.is_open:
        if breach.subjects is None:
            warnings.append(
                ClosingWarning(
                    "art34",
                    "la décision d'informer ou non les personnes concernées (art. 34) n'est pas enregistrée",
                    True,
                )
            )
        elif breach.subjects.get("decision") == "to_inform":
            day = french_day(breach.subjects.get("date"))
            when = f" (prévu le {day})" if day else ""
            warnings.append(
                ClosingWarning(
                    "to_inform",
                    f"les personnes concernées sont encore « à informer »{when} : une fois informées, "
                    "enregistrez-le (décision « ont été informées »)",
                    False,
                )
            )
    return warnings


def department_decisions(breach: Breach) -> list[tuple[str, str]]:
    """The Département's decisions that concern the structure, in French, as the structure's page shows
    them: the CNIL notified or not (not the DPO's internal rationale), the information of the people with
    its date and channel, the closing. Empty while nothing is decided."""
    lines: list[tuple[str, str]] = []
    if breach.cnil is not None:
        if breach.cnil.get("notified"):
            at = breach.cnil.get("at")
            when = f" le {clock.french_instant(datetime.fromisoformat(at))}" if at else ""
            lines.append(("CNIL", f"le Département a notifié la violation à la CNIL{when}."))
        else:
            lines.append(
                (
                    "CNIL",
                    "le Département a décidé de ne pas notifier la violation à la CNIL "
                    "(décision motivée, inscrite au registre).",
                )
            )
    if breach.subjects is not None:
        decision = breach.subjects.get("decision")
        day = french_day(breach.subjects.get("date"))
        channel = breach.subjects.get("channel") or ""
        if decision == "to_inform":
            text = "les personnes concernées vont être informées"
            text += f" le {day}" if day else ""
            text += f" ({channel})" if channel else ""
            text += (
                " : le Département vous précisera qui les informe ; "
                "préparez la liste des personnes et leurs coordonnées."
            )
        elif decision == "informed":
            text = "les personnes concernées ont été informées"
            text += f" le {day}" if day else ""
            text += f" ({channel})." if channel else "."
        else:
            text = "les personnes concernées ne seront pas informées"
            ground = breach.subjects.get("ground")
            text += f" : {ART34_GROUNDS[ground]}." if ground in ART34_GROUNDS else "."
        lines.append(("Information des personnes (art. 34)", text))
    if breach.closed is not None:
        lines.append(("Clôture", "le Département a clôturé la violation : aucune action n'est plus attendue de vous."))
    return lines
