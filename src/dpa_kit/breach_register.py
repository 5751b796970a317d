"""The breach register (GDPR Art. 33(5)): one row per breach, notified or not, with its facts and decisions.

Rows carry typed values: instants as ``datetime``, counts as ``int``, the ENISA score as a number, so that a
spreadsheet sorts and filters them (:mod:`dpa_kit.tables` writes each type; CSV and HTML as French text)."""

from __future__ import annotations

import html
import re
from datetime import datetime
from decimal import Decimal
from typing import Any, NamedTuple

from dpa_kit.breach import BAND_FEMININE, NATURES, Breach
from dpa_kit.labels import breach_item, subjects_decision
from dpa_kit.tables import Cell, cell_text, safe_cell, table_bytes
from dpa_kit.words import french_number

__all__ = ["FORMATS", "HEADERS", "TITLE", "ExportFormat", "export", "register_rows"]

#: The register's title, in every format.
TITLE = "Registre des violations"


class ExportFormat(NamedTuple):
    """One format of the exported register: its French name and its media type."""

    name: str
    media_type: str


#: The formats of the exported register: extension -> French name and media type.
FORMATS = {
    "csv": ExportFormat("CSV (tableur, séparateur point-virgule)", "text/csv; charset=utf-8"),
    "xlsx": ExportFormat("Excel (XLSX)", "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"),
    "ods": ExportFormat("LibreOffice (ODS)", "application/vnd.oasis.opendocument.spreadsheet"),
    "html": ExportFormat("page à lire ou imprimer (s'ouvre dans le navigateur)", "text/html; charset=utf-8"),
}

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
    "Score de gravité (ENISA)",
    "Échéance de notification",
    "Notifiée au Département le",
    "Motifs du retard",
    "Reçue par le Département le",
    "Échéance CNIL",
    "CNIL",
    "Information des personnes",
    "Clôturée",
]


def _fmt(value: str | datetime | None) -> datetime | None:
    """An instant of the ledger (ISO text or ``datetime``) as a ``datetime``."""
    if value is None:
        return None
    return datetime.fromisoformat(value) if isinstance(value, str) else value


def _count(value: Any) -> Cell:
    """A count as a number when it is an exact one (« 200 »); « environ 200 » and « 40 à 50 » as said."""
    if isinstance(value, bool):
        return _cell(value)
    if isinstance(value, int):
        return value
    if isinstance(value, dict) and value.get("min") == value.get("max") and not value.get("approximate"):
        return _count(value["min"]) if isinstance(value.get("min"), int) else _cell(value)
    return _cell(value)


def _score(value: Any) -> int | float | Decimal | None:
    if isinstance(value, (int, float, Decimal)) and not isinstance(value, bool):
        return value
    return None


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


def register_rows(breaches: list[Breach]) -> tuple[list[str], list[list[Cell]]]:
    """The register's headers and rows: text, ``datetime`` (instants), ``int`` (counts), numbers (score)."""
    rows: list[list[Cell]] = []
    for b in breaches:
        d = b.details
        first = b.notifications[0] if b.notifications else {}
        if b.cnil is None:
            cnil = None
        elif b.cnil.get("notified"):
            cnil = f"notifiée le {cell_text(_fmt(b.cnil.get('at')))}, réf. {b.cnil.get('reference') or '-'}"
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
                _count(d.get("people")),
                _count(d.get("records")),
                _cell(d.get("consequences")),
                _cell(d.get("measures")),
                f"{BAND_FEMININE.get(b.severity['band'], b.severity['band'])} ({french_number(b.severity['score'])})"
                if b.severity
                else None,
                _score(b.severity.get("score")) if b.severity else None,
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


def export(breaches: list[Breach], fmt: str, *, stylesheet: str | None = None) -> bytes:
    """The register of ``breaches`` in ``fmt`` (a key of :data:`FORMATS`). The HTML page carries its own
    style, or, with ``stylesheet`` (a URL), links to it instead (a page served under a CSP without inline
    style)."""
    headers, rows = register_rows(breaches)
    data = table_bytes(fmt, TITLE, headers, rows)
    if fmt == "html" and stylesheet is not None:
        link = f'<link rel="stylesheet" href="{html.escape(stylesheet)}">'.encode()
        data = re.sub(rb"<style>.*?</style>", lambda _: link, data, count=1, flags=re.S)
    return data
