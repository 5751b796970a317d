"""User-facing words shared by the library and both edges (CLI and web).

Every French phrase that more than one module shows lives here, so that a document, a terminal and a
web page say the same thing. Messages specific to one error stay next to the code raising it.
"""

from __future__ import annotations

__all__ = ["BREACH_EVENTS", "DELAY_REASON_PLACEHOLDER", "DRAFT_BANNER", "DRAFT_WORD", "OVERDUE", "PARIS_TIME"]

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
