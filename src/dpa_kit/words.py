"""User-facing words shared by the library and both edges (CLI and web).

Every French phrase that more than one module shows lives here, so that a document, a terminal and a
web page say the same thing. Messages specific to one error stay next to the code raising it.
"""

from __future__ import annotations

from datetime import date

__all__ = [
    "BREACH_EVENTS",
    "DELAY_REASON_PLACEHOLDER",
    "DRAFT_BANNER",
    "DRAFT_WORD",
    "OVERDUE",
    "PARIS_TIME",
    "TIMES",
    "french_day",
    "french_number",
]

#: Shown in the next command once a notification is late, for the person to replace; never recorded as a reason.
DELAY_REASON_PLACEHOLDER = "écrivez ici les motifs du retard"
#: The word that marks a document that must not be signed.
DRAFT_WORD = "PROJET"
#: The banner shown on every page of a draft document, in every format.
DRAFT_BANNER = f"{DRAFT_WORD} : document incomplet, à ne pas signer"

#: The state of anything whose deadline has passed (breach, attestation), in lists, status and pages.
OVERDUE = "EN RETARD"
#: Said after every instant shown to a user: instants are stored in UTC and shown in Europe/Paris.
PARIS_TIME = "heure de Paris"
#: What each event of a breach's timeline is called (ledger event kind -> French label).
BREACH_EVENTS = {
    "breach.declared": "déclarée",
    "breach.received": "notification reçue par le Département",
    "breach.notified": "notifiée",
    "breach.cnil": "décision CNIL",
    "breach.subjects": "décision sur l'information des personnes",
    "breach.severity": "gravité évaluée",
    "breach.closed": "clôturée",
    "breach.completed": "complétée (art. 33(4))",
}

#: The multiplication sign of a formula shown to a user (« 4,0 × 0,75 »), never the letter x.
TIMES = "\u00d7"


def french_number(value: float | int) -> str:
    """« 3,25 », « 4,0 », « -0,5 »: a number as a French reader writes it (decimal comma), with the digits
    Python shows (``4.0`` stays « 4,0 »: the value of a formula is recognised in its result)."""
    return str(value).replace(".", ",")


def french_day(text: str | date | None) -> str:
    """« 2 décembre 2026 » for a date or an ISO date (« 2026-12-02 »); any other text as it was typed (a
    date recorded before dates were checked), and « » for none."""
    from dpa_kit.clock import french_date

    if text is None:
        return ""
    if isinstance(text, date):
        return french_date(text)
    try:
        return french_date(date.fromisoformat(text.strip()))
    except ValueError:
        return text
