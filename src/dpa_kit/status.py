"""The DPO's overview: conventions ready to sign or not, open breaches, attestations due, last exchanges."""

from __future__ import annotations

import html
import threading
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

from dpa_kit import clock
from dpa_kit.ledger import Event, Ledger
from dpa_kit.words import OVERDUE

#: A deadline this close is shown as near (amber): 6 hours, the first reminder before the 24-hour one.
NEAR = timedelta(hours=6)


_CONVENTIONS: dict[Path, tuple[Any, list[Any], list[dict[str, Any]]]] = {}
_CONVENTIONS_LOCK = threading.Lock()


def _conventions(folder: Path) -> tuple[list[Any], list[dict[str, Any]]]:
    """The folder's load results and each convention's readiness, judged again only when a YAML file of the
    folder changed (:func:`dpa_kit.access.folder_signature`): judging 200 conventions takes seconds, and
    the verdict depends on the file alone."""
    from dpa_kit.access import flight, folder_signature, load
    from dpa_kit.checks import verdict

    folder = Path(folder)
    signature = folder_signature(folder)
    with _CONVENTIONS_LOCK:
        cached = _CONVENTIONS.get(folder)
    if cached is not None and cached[0] == signature:
        return cached[1], cached[2]
    with flight("verdicts", folder):  # judged once, however many dashboards ask at the same time
        signature = folder_signature(folder)
        with _CONVENTIONS_LOCK:
            cached = _CONVENTIONS.get(folder)
        if cached is not None and cached[0] == signature:
            return cached[1], cached[2]
        results = load(folder)
        conventions: list[dict[str, Any]] = []
        for result in results:
            if result.loaded is None:
                conventions.append(
                    {"file": result.path.name, "id": None, "ready": False, "missing": ["fichier invalide"]}
                )
                continue
            convention = result.loaded.convention
            judged = verdict(result.loaded)
            conventions.append(
                {
                    "file": result.path.name,
                    "id": convention.id,
                    "structure": convention.processor.display_name,
                    "ready": judged.ready,
                    "missing": judged.reasons(),
                }
            )
        with _CONVENTIONS_LOCK:
            _CONVENTIONS[folder] = (signature, results, conventions)
        return results, conventions


_EXCHANGES: dict[Path, tuple[int, str, list[Event]]] = {}
LAST_EXCHANGES = 10


def _last_exchanges(ledger: Ledger) -> list[Event]:
    """The last exchange events, in chain order, kept with the ledger's head when they were read: the next call
    reads only the events appended since (a scan of every exchange of the ledger costs tens of milliseconds)."""
    with _CONVENTIONS_LOCK:
        seq, digest, tail = _EXCHANGES.get(ledger.path, (0, "", []))
    events = ledger.since(seq - 1, "") if seq else []
    if seq and events and (events[0].seq, events[0].hash) == (seq, digest):
        fresh = [e for e in events[1:] if e.kind.startswith("exchange.")]
        tail = (tail + fresh)[-LAST_EXCHANGES:] if fresh else tail
        head = events[-1]
    else:  # first call, or another ledger file: read the head, then the exchanges up to it
        last = ledger.last("", 1)
        if not last:
            return []
        head = last[0]
        tail = [e for e in ledger.last("exchange.", LAST_EXCHANGES) if e.seq <= head.seq]
    with _CONVENTIONS_LOCK:
        if _EXCHANGES.get(ledger.path, (0, "", []))[0] <= head.seq:
            _EXCHANGES[ledger.path] = (head.seq, head.hash, tail)
    return tail


def overview(folder: Path, ledger: Ledger | None) -> dict[str, Any]:
    """Everything the overview shows, as plain data (the JSON output).

    Always up to date: the conventions are judged again when a file of the folder changed, and the breaches
    are brought up to date with every event appended since the previous call
    (:func:`dpa_kit.access.all_breaches`); what depends on the clock is computed at each call.

    ``late_items`` says what is late, each with its structure and by how much (a deadline passed, or a
    notification to the Département made after the convention's delay, apart from the CNIL clock); ``soon``
    the deadlines less than :data:`NEAR` away; ``headline`` the first line of a dashboard (:func:`headline`).
    ``late`` keeps the ids of what is late (the CLI's exit code).
    """
    from dpa_kit import lifecycle
    from dpa_kit.access import all_breaches
    from dpa_kit.attest import owed

    now = clock.now()
    results, judged = _conventions(folder)
    stages = lifecycle.states(ledger, [c["id"] for c in judged if c["id"]])
    conventions = [
        {**c, "stage": stages[c["id"]].stage.value, "stage_label": stages[c["id"]].label} if c["id"] else dict(c)
        for c in judged
    ]
    breaches = []
    exchanges = []
    late_items: list[dict[str, Any]] = []
    soon_items: list[dict[str, Any]] = []
    if ledger is not None:
        for breach in all_breaches(ledger).values():
            if not breach.is_open:
                continue
            shown = breach.as_json(now)
            deadline = breach.deadline()
            shown["deadline"] = deadline.astimezone(clock.PARIS).isoformat(timespec="seconds")
            shown["near"] = breach.pending() and now <= deadline and deadline - now <= NEAR
            breaches.append(shown)
            late_items += _breach_late(breach, now)
            if shown["near"]:
                soon_items.append(_breach_soon(breach, now))
        breaches.sort(key=lambda b: b["deadline"])
        for event in _last_exchanges(ledger):
            exchanges.append(
                {
                    "at": event.at.astimezone(clock.PARIS).isoformat(timespec="minutes"),
                    "direction": event.payload.get("direction"),
                    "convention": event.payload.get("convention"),
                    "counterpart": event.payload.get("counterpart"),
                    "files": event.payload.get("files"),
                }
            )
    # Only what is owed: a signed annex without the written-justification clause owes no attestation.
    attestations = [
        d.as_json() for d in owed(folder, ledger, results=results) if d.recorded is None and d.owed_in_writing
    ]
    for a in attestations:
        if a["overdue"]:
            late_items.append(
                {
                    "subject": a["convention"],
                    "structure": a["structure"],
                    "what": "attestation",
                    "text": _item(
                        a["convention"],
                        a["structure"],
                        f"attestation de destruction attendue depuis le {_when(a['due_date'])}, "
                        f"{OVERDUE.lower()} de {a['days_overdue']} j",
                    ),
                }
            )
    soon_items.sort(key=lambda item: str(item["deadline"]))
    late = list(dict.fromkeys(item["subject"] for item in late_items))
    return {
        "generated_at": now.astimezone(clock.PARIS).isoformat(timespec="minutes"),
        "conventions": conventions,
        "open_breaches": breaches,
        "attestations_due": attestations,
        "last_exchanges": list(reversed(exchanges)),
        "late": late,
        "late_items": late_items,
        "soon": soon_items,
        "headline": headline(late_items, soon_items),
    }


def _item(subject: str, structure: str | None, text: str) -> str:
    """« V-2026-…-0001 (CCAS de Béthune) : <text> »."""
    return f"{subject} ({structure}) : {text}" if structure else f"{subject} : {text}"


def _breach_late(breach: Any, now: datetime) -> list[dict[str, Any]]:
    """What is late about an open breach: its pending deadline (the CNIL decision on the Département's side,
    the notification on the structure's), and, apart, a notification to the Département sent after the
    convention's delay (a broken contractual deadline stays a fact to follow up, even once notified)."""
    from dpa_kit import frenchtime

    items: list[dict[str, Any]] = []
    if breach.overdue(now):
        step = (
            "décision de notification à la CNIL (72 h) non prise"
            if breach.side == "departement"
            else "notification au Département non faite"
        )
        items.append(
            {
                "subject": breach.id,
                "structure": breach.structure,
                "what": "cnil" if breach.side == "departement" else "notification",
                "text": _item(
                    breach.id,
                    breach.structure,
                    f"{step}, échéance du {clock.french_instant(breach.deadline())} dépassée "
                    f"({frenchtime.late_by(breach.deadline(), now)})",
                ),
            }
        )
    notified = breach.notified_at or (breach.received_at if breach.side == "departement" else None)
    if notified is not None and notified > breach.notify_deadline:
        allowed = frenchtime.duration(breach.notify_deadline - breach.aware_at).replace(" 00 min", "")
        items.append(
            {
                "subject": breach.id,
                "structure": breach.structure,
                "what": "contractual_notification",
                "late_by_minutes": int((notified - breach.notify_deadline).total_seconds()) // 60,
                "text": _item(
                    breach.id,
                    breach.structure,
                    f"notifiée au Département {frenchtime.duration(notified - breach.aware_at)} après en avoir eu "
                    f"connaissance, au lieu de {allowed} au plus selon la convention "
                    f"({frenchtime.late_by(breach.notify_deadline, notified)})",
                ),
            }
        )
    return items


def _breach_soon(breach: Any, now: datetime) -> dict[str, Any]:
    """An open breach whose pending deadline is less than :data:`NEAR` away."""
    from dpa_kit import frenchtime

    deadline = breach.deadline()
    step = (
        "décision de notification à la CNIL (72 h) à prendre"
        if breach.side == "departement"
        else "notification au Département à faire"
    )
    return {
        "subject": breach.id,
        "structure": breach.structure,
        "what": "cnil" if breach.side == "departement" else "notification",
        "deadline": deadline.astimezone(clock.PARIS).isoformat(timespec="seconds"),
        "text": _item(
            breach.id,
            breach.structure,
            f"{step} avant le {clock.french_instant(deadline)} ({frenchtime.until(deadline, now)})",
        ),
    }


def headline(late_items: list[dict[str, Any]], soon_items: list[dict[str, Any]]) -> dict[str, str]:
    """The dashboard's first line: ``level`` is ``late`` (red), ``soon`` (amber) or ``ok`` (green); « Rien en
    retard. » only when nothing is late AND no deadline is less than 6 hours away."""
    parts = []
    if late_items:
        parts.append(f"En retard : {' ; '.join(item['text'] for item in late_items)}.")
    if soon_items:
        parts.append(f"Bientôt (moins de 6 h) : {' ; '.join(item['text'] for item in soon_items)}.")
    if not parts:
        return {"level": "ok", "text": "Rien en retard."}
    return {"level": "late" if late_items else "soon", "text": " ".join(parts)}


def _when(text: str | None) -> str:
    """An ISO instant or date of the overview's data, as a French reader reads it (Paris time)."""
    if not text:
        return "—"
    from datetime import date, datetime

    if len(text) == 10:
        return clock.french_date(date.fromisoformat(text))
    return clock.french_instant(datetime.fromisoformat(text))


def render_text(data: dict[str, Any]) -> str:
    from dpa_kit.attest import DIRECTIONS_FR

    lines = [f"Vue d'ensemble établie le {_when(data['generated_at'])} (heure de Paris)"]
    conventions = data["conventions"]
    ready = [c for c in conventions if c["ready"]]
    lines.append(f"Conventions : {len(conventions)} ({len(ready)} prête(s) à signer)")
    for c in conventions:
        if not c["ready"]:
            lines.append(
                f"  - {c['id'] or c['file']} : manque {', '.join(c['missing'][:4])}"
                + (" ..." if len(c["missing"]) > 4 else "")
            )
    lines.append(f"Violations ouvertes : {len(data['open_breaches'])}")
    for b in data["open_breaches"]:
        lines.append(f"  - {b['id']} ({b['convention']}) : {b['status']}, échéance le {_when(b['deadline'])}")
    lines.append(f"Attestations de destruction attendues : {len(data['attestations_due'])}")
    for a in data["attestations_due"]:
        state = f"{OVERDUE} de {a['days_overdue']} j" if a["overdue"] else f"échéance le {_when(a['due_date'])}"
        lines.append(f"  - {a['convention']} ({a['structure'] or ''}) : {state}")
    lines.append(f"Derniers échanges chiffrés : {len(data['last_exchanges'])}")
    for e in data["last_exchanges"][:5]:
        direction = DIRECTIONS_FR.get(e["direction"] or "", e["direction"] or "")
        lines.append(
            f"  - {_when(e['at'])} : {direction} {e['convention'] or ''} {e['counterpart'] or ''}"
            f" ({e['files']} fichier(s))"
        )
    if data["late_items"]:
        lines.append(f"{OVERDUE} :")
        lines += [f"  - {item['text']}" for item in data["late_items"]]
    if data["soon"]:
        lines.append("Bientôt (moins de 6 h) :")
        lines += [f"  - {item['text']}" for item in data["soon"]]
    if not data["late_items"] and not data["soon"]:
        lines.append("Rien en retard.")
    return "\n".join(lines)


def _late_line(data: dict[str, Any], esc: Any) -> str:
    shown = data["headline"]
    if shown["level"] == "ok":
        return f"<p>{esc(shown['text'])}</p>"
    return f'<p class="{"late" if shown["level"] == "late" else "near"}">{esc(shown["text"])}</p>'


def render_html(data: dict[str, Any]) -> str:
    from dpa_kit.attest import DIRECTIONS_FR

    def esc(value: Any) -> str:
        return html.escape("" if value is None else str(value))

    def table(headers: list[str], rows: list[list[Any]], classes: list[str] | None = None) -> str:
        if not rows:
            return "<p>Aucun.</p>"
        head = "".join(f'<th scope="col">{esc(h)}</th>' for h in headers)
        marks = classes or [""] * len(rows)
        body = "".join(
            (f'<tr class="{mark}">' if mark else "<tr>") + "".join(f"<td>{esc(v)}</td>" for v in row) + "</tr>"
            for row, mark in zip(rows, marks, strict=True)
        )
        return f"<table><thead><tr>{head}</tr></thead><tbody>{body}</tbody></table>"

    conventions = data["conventions"]
    breaches = data["open_breaches"]
    attestations = data["attestations_due"]
    ready = sum(1 for c in conventions if c["ready"])
    late_breaches = len({i["subject"] for i in data["late_items"] if i["what"] != "attestation"})
    late_attestations = sum(1 for a in attestations if a["overdue"])

    def card(title: str, value: str, detail: str, mark: str) -> str:
        return (
            f'<div class="card {mark}"><p class="value">{esc(value)}</p><p>{esc(title)}</p>'
            f'<p class="detail">{esc(detail)}</p></div>'
        )

    summary = "".join(
        [
            card(
                "conventions prêtes à signer",
                f"{ready} / {len(conventions)}",
                f"{len(conventions) - ready} à compléter" if ready < len(conventions) else "toutes prêtes",
                "near" if ready < len(conventions) else "ok",
            ),
            card(
                "violations ouvertes",
                str(len(breaches)),
                f"{late_breaches} en retard" if late_breaches else "aucune en retard",
                "late" if late_breaches else "ok",
            ),
            card(
                "attestations attendues",
                str(len(attestations)),
                f"{late_attestations} en retard" if late_attestations else "aucune en retard",
                "late" if late_attestations else "ok",
            ),
        ]
    )
    parts = [
        '<!DOCTYPE html>\n<html lang="fr"><head><meta charset="utf-8"><title>dpa-kit : vue d\'ensemble</title>',
        "<style>body{font-family:sans-serif;margin:2em;color:#1a1a1a}table{border-collapse:collapse;margin-bottom:1.5em}"
        "th,td{border:1px solid #bbb;padding:.3em .6em;text-align:left}th{background:#eee}"
        ".summary{display:flex;gap:1em;margin:1em 0 2em}.card{border:1px solid #bbb;border-left:.5em solid #2e7d32;"
        "padding:.5em 1em;min-width:12em}.card p{margin:.2em 0}.card .value{font-size:1.8em;font-weight:bold}"
        ".card.late{border-left-color:#b00020}.card.near{border-left-color:#b26a00}.detail{color:#444}"
        "tr.late td{background:#fde7e9}tr.near td{background:#fff4e0}p.late{color:#b00020;font-weight:bold}"
        "p.near{color:#8a5200;font-weight:bold}"
        "</style>",
        f"</head><body><h1>Vue d'ensemble RGPD</h1><p>Établie le {esc(_when(data['generated_at']))} (heure de "
        "Paris).</p>",
        f'<div class="summary">{summary}</div>',
        _late_line(data, esc),
        "<h2>Conventions</h2>",
        table(
            ["Convention", "Structure", "Prête à signer", "Étape", "Ce qui l'empêche"],
            [
                [
                    c["id"] or c["file"],
                    c.get("structure"),
                    "oui" if c["ready"] else "non",
                    c.get("stage_label"),
                    ", ".join(c["missing"]),
                ]
                for c in conventions
            ],
            ["" if c["ready"] else "near" for c in conventions],
        ),
        "<h2>Violations ouvertes (par échéance)</h2>",
        table(
            ["Violation", "Convention", "État", "Échéance"],
            [[b["id"], b["convention"], b["status"], _when(b["deadline"])] for b in breaches],
            ["late" if b["overdue"] else "near" if b["near"] else "" for b in breaches],
        ),
        "<h2>Attestations de destruction attendues</h2>",
        table(
            ["Convention", "Structure", "Échéance", "Jours de retard"],
            [[a["convention"], a["structure"], _when(a["due_date"]), a["days_overdue"]] for a in attestations],
            ["late" if a["overdue"] else "" for a in attestations],
        ),
        "<h2>Derniers échanges chiffrés</h2>",
        table(
            ["Instant", "Sens", "Convention", "Correspondant", "Fichiers"],
            [
                [
                    _when(e["at"]),
                    DIRECTIONS_FR.get(e["direction"] or "", e["direction"]),
                    e["convention"],
                    e["counterpart"],
                    e["files"],
                ]
                for e in data["last_exchanges"]
            ],
        ),
        "</body></html>\n",
    ]
    return "".join(parts)
