"""The DPO's overview: conventions ready to sign or not, open breaches, attestations due, last exchanges."""

from __future__ import annotations

import html
from pathlib import Path
from typing import Any

from dpa_kit import clock
from dpa_kit.ledger import Ledger
from dpa_kit.words import OVERDUE


def overview(folder: Path, ledger: Ledger | None) -> dict[str, Any]:
    """Everything the overview shows, as plain data (the JSON output)."""
    from dpa_kit.checks import verdict
    from dpa_kit.attest import owed
    from dpa_kit.breach import all_breaches
    from dpa_kit.loader import iter_folder

    now = clock.now()
    conventions = []
    for result in iter_folder(folder):
        if result.loaded is None:
            conventions.append({"file": result.path.name, "id": None, "ready": False, "missing": ["fichier invalide"]})
            continue
        convention = result.loaded.convention
        judged = verdict(result.loaded)
        conventions.append({"file": result.path.name, "id": convention.id, "structure": convention.processor.display_name,
                            "ready": judged.ready, "missing": judged.reasons()})
    breaches = []
    exchanges = []
    if ledger is not None:
        breaches = [b.as_json(now) for b in all_breaches(ledger).values() if b.is_open]
        for event in ledger.last("exchange.", 10):
            exchanges.append({"at": event.at.astimezone(clock.PARIS).isoformat(timespec="minutes"),
                              "direction": event.payload.get("direction"), "convention": event.payload.get("convention"),
                              "counterpart": event.payload.get("counterpart"), "files": event.payload.get("files")})
    attestations = [d.as_json() for d in owed(folder, ledger) if d.recorded is None]
    late = [b["id"] for b in breaches if b["overdue"]] + [a["convention"] for a in attestations if a["overdue"]]
    return {
        "generated_at": now.astimezone(clock.PARIS).isoformat(timespec="minutes"),
        "conventions": conventions,
        "open_breaches": breaches,
        "attestations_due": attestations,
        "last_exchanges": list(reversed(exchanges)),
        "late": late,
    }


def _when(text: str | None) -> str:
    """An ISO instant or date of the overview's data, as a French reader reads it (Paris time)."""
    if not text:
        return "—"
    from datetime import date, datetime

    if len(text) == 10:
        return clock.french_date(date.fromisoformat(text))
    return clock.french_datetime(datetime.fromisoformat(text))


def render_text(data: dict[str, Any]) -> str:
    from dpa_kit.attest import DIRECTIONS_FR

    lines = [f"Vue d'ensemble établie le {_when(data['generated_at'])} (heure de Paris)"]
    conventions = data["conventions"]
    ready = [c for c in conventions if c["ready"]]
    lines.append(f"Conventions : {len(conventions)} ({len(ready)} prête(s) à signer)")
    for c in conventions:
        if not c["ready"]:
            lines.append(f"  - {c['id'] or c['file']} : manque {', '.join(c['missing'][:4])}"
                         + (" ..." if len(c["missing"]) > 4 else ""))
    lines.append(f"Violations ouvertes : {len(data['open_breaches'])}")
    for b in data["open_breaches"]:
        deadline = b["cnil_deadline"] if b["side"] == "departement" else b["notify_deadline"]
        lines.append(f"  - {b['id']} ({b['convention']}) : {b['status']}, échéance le {_when(deadline)}")
    lines.append(f"Attestations de destruction attendues : {len(data['attestations_due'])}")
    for a in data["attestations_due"]:
        state = f"{OVERDUE} de {a['days_overdue']} j" if a["overdue"] else f"échéance le {_when(a['due_date'])}"
        lines.append(f"  - {a['convention']} ({a['structure'] or ''}) : {state}")
    lines.append(f"Derniers échanges chiffrés : {len(data['last_exchanges'])}")
    for e in data["last_exchanges"][:5]:
        direction = DIRECTIONS_FR.get(e["direction"] or "", e["direction"] or "")
        lines.append(f"  - {_when(e['at'])} : {direction} {e['convention'] or ''} {e['counterpart'] or ''}"
                     f" ({e['files']} fichier(s))")
    lines.append("Rien en retard." if not data["late"] else f"{OVERDUE} : {', '.join(data['late'])}")
    return "\n".join(lines)


def render_html(data: dict[str, Any]) -> str:
    def esc(value: Any) -> str:
        return html.escape("" if value is None else str(value))

    def table(headers: list[str], rows: list[list[Any]]) -> str:
        if not rows:
            return "<p>Aucun.</p>"
        head = "".join(f"<th>{esc(h)}</th>" for h in headers)
        body = "".join("<tr>" + "".join(f"<td>{esc(v)}</td>" for v in row) + "</tr>" for row in rows)
        return f"<table><thead><tr>{head}</tr></thead><tbody>{body}</tbody></table>"

    parts = [
        "<!DOCTYPE html>\n<html lang=\"fr\"><head><meta charset=\"utf-8\"><title>dpa-kit : vue d'ensemble</title>",
        "<style>body{font-family:sans-serif;margin:2em}table{border-collapse:collapse;margin-bottom:1.5em}"
        "th,td{border:1px solid #bbb;padding:.3em .6em}th{background:#eee}.late{color:#b00;font-weight:bold}</style>",
        f"</head><body><h1>Vue d'ensemble RGPD</h1><p>Établie le {esc(_when(data['generated_at']))} (heure de Paris).</p>",
        f"<p class=\"{'late' if data['late'] else ''}\">{'En retard : ' + esc(', '.join(data['late'])) if data['late'] else 'Rien en retard.'}</p>",
        "<h2>Conventions</h2>",
        table(["Convention", "Structure", "Prête à signer", "Manque"],
              [[c["id"] or c["file"], c.get("structure"), "oui" if c["ready"] else "non", ", ".join(c["missing"])]
               for c in data["conventions"]]),
        "<h2>Violations ouvertes</h2>",
        table(["Violation", "Convention", "État", "Échéance"],
              [[b["id"], b["convention"], b["status"], _when(b["cnil_deadline"] if b["side"] == "departement" else b["notify_deadline"])]
               for b in data["open_breaches"]]),
        "<h2>Attestations de destruction attendues</h2>",
        table(["Convention", "Structure", "Échéance", "Jours de retard"],
              [[a["convention"], a["structure"], _when(a["due_date"]), a["days_overdue"]] for a in data["attestations_due"]]),
        "<h2>Derniers échanges chiffrés</h2>",
        table(["Instant", "Sens", "Convention", "Correspondant", "Fichiers"],
              [[_when(e["at"]), e["direction"], e["convention"], e["counterpart"], e["files"]] for e in data["last_exchanges"]]),
        "</body></html>\n",
    ]
    return "".join(parts)
