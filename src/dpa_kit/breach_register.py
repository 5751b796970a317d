"""The breach register (GDPR Art. 33(5)): one row per breach, notified or not, with its facts and decisions."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from dpa_kit import clock
from dpa_kit.breach import BAND_FEMININE, NATURES, Breach
from dpa_kit.labels import breach_item, subjects_decision
from dpa_kit.tables import safe_cell
from dpa_kit.words import french_number

HEADERS = [
    "Identifiant",
    "Côté",
    "Convention",
    "Structure",
    "Prise de connaissance",
    "Début",
    "Fin",
    "Nature",
    "Description",
    "Cause",
    "Catégories de données",
    "Personnes (approx.)",
    "Enregistrements (approx.)",
    "Conséquences",
    "Mesures prises",
    "Gravité (ENISA)",
    "Échéance de notification",
    "Notifiée au Département le",
    "Motifs du retard",
    "Reçue par le Département le",
    "Échéance CNIL",
    "CNIL",
    "Information des personnes",
    "Clôturée",
]


def _fmt(value: str | datetime | None) -> str | None:
    if value is None:
        return None
    instant = datetime.fromisoformat(value) if isinstance(value, str) else value
    return instant.astimezone(clock.PARIS).strftime("%d/%m/%Y %H:%M")


def _cell(value: Any) -> str | None:
    """A detail as the text of one cell: counts as « 40 à 50 », lists joined, never a Python repr."""
    from dpa_kit.breach_questions import count_text

    if value is None or isinstance(value, str):
        return value
    if isinstance(value, dict) and "min" in value and "max" in value:
        return count_text(value)
    if isinstance(value, (list, tuple)):
        return ", ".join(text for item in value if (text := _cell(item)))
    if isinstance(value, dict):
        return " ; ".join(f"{key} : {_cell(item)}" for key, item in value.items() if item is not None)
    return str(value)


def register_rows(breaches: list[Breach]) -> tuple[list[str], list[list[Any]]]:
    rows = []
    for b in breaches:
        d = b.details
        first = b.notifications[0] if b.notifications else {}
        if b.cnil is None:
            cnil = None
        elif b.cnil.get("notified"):
            cnil = f"notifiée le {_fmt(b.cnil.get('at'))}, réf. {b.cnil.get('reference') or '-'}"
        else:
            cnil = f"non notifiée : {b.cnil.get('reason')}"
        subjects = subjects_decision(b.subjects)
        rows.append(
            [
                b.id,
                "Département" if b.side == "departement" else "structure",
                b.convention,
                b.structure,
                _fmt(b.aware_at),
                _fmt(d.get("started_at")),
                "en cours" if d.get("ongoing") else _fmt(d.get("ended_at")),
                ", ".join(NATURES.get(n, n).split(" (")[0] for n in d.get("natures") or []),
                _cell(d.get("description")),
                breach_item("cause", d.get("cause")),
                _cell(d.get("data_categories")),
                _cell(d.get("people")),
                _cell(d.get("records")),
                _cell(d.get("consequences")),
                _cell(d.get("measures")),
                f"{BAND_FEMININE.get(b.severity['band'], b.severity['band'])} ({french_number(b.severity['score'])})"
                if b.severity
                else None,
                _fmt(b.notify_deadline),
                _fmt(first.get("sent_at")),
                first.get("delay_reason"),
                _fmt(b.received_at),
                _fmt(b.cnil_deadline),
                cnil,
                subjects,
                _fmt(b.timeline[-1].at) if b.closed else None,
            ]
        )
    # a text recorded before texts were checked may hold characters no page nor sheet should show
    return HEADERS, [[safe_cell(v) for v in row] for row in rows]
