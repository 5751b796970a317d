"""The DPO's overview kept between calls: replaying only new events, judging only changed files, never stale."""

from __future__ import annotations

import os
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest

from dpa_kit import access, clock, lifecycle, status
from dpa_kit import breach as breaches
from dpa_kit.ledger import Ledger

BETHUNE = "2026-DPID-CCAS-BETHUNE-1.2"
ADIL = "2026-FSL-ADIL-NUMERO-VERT"
AWARE = datetime(2026, 3, 28, 17, 0, tzinfo=UTC)


def _story(ledger: Ledger) -> None:
    """Two breaches of the Département's side and one of a structure's, with every kind of follow-up."""
    first = breaches.receive(
        ledger,
        convention_id=BETHUNE,
        structure="CCAS de Béthune",
        delay_hours=24,
        aware_at=AWARE,
        received_at=AWARE + timedelta(hours=5),
        details={"natures": ["confidentiality"], "description": "liste envoyée au mauvais destinataire"},
        structure_reference="V-2026-266200119-0001",
    )
    declared = breaches.declare(
        ledger,
        convention_id=ADIL,
        structure="ADIL",
        delay_hours=24,
        aware_at=AWARE,
        details={"natures": ["availability"], "description": "serveur indisponible"},
    )
    breaches.record_severity(ledger, first, breaches.assess(4, 0, "significant", "unknown", "none", "none", False), {})
    second = breaches.receive(
        ledger,
        convention_id=ADIL,
        structure="ADIL",
        delay_hours=24,
        aware_at=AWARE,
        received_at=AWARE + timedelta(hours=2),
        details={"natures": ["integrity"], "description": "fichier modifié"},
    )
    breaches.record_cnil(
        ledger, first, notified=True, at=AWARE + timedelta(hours=30), reference="CNIL-1", reason=None, delay_reason=None
    )
    ledger.append("breach.completed", declared.id, {"details": {"cause": "panne"}})
    breaches.record_subjects(ledger, first, decision="informed", date="2026-03-30", channel="courrier", ground=None)
    breaches.close(ledger, second, "sans suite")


def _snapshot(found: dict[str, breaches.Breach]) -> dict[str, Any]:
    return {key: (b.as_json(AWARE), [e.seq for e in b.timeline]) for key, b in found.items()}


def test_replaying_the_new_events_onto_any_earlier_state_gives_the_full_fold(tmp_path: Path) -> None:
    ledger = Ledger(tmp_path / "ledger.sqlite")
    _story(ledger)
    events = ledger.events(kind_prefix="breach.")
    full = _snapshot(breaches.fold(events))
    assert len(full) == 3 and len(events) >= 8
    for split in range(len(events) + 1):
        earlier = breaches.replay(events[:split])
        before = _snapshot(earlier)
        assert _snapshot(breaches.replay(events[split:], earlier)) == full, split
        assert _snapshot(earlier) == before, f"the earlier state changed (split {split})"


def test_the_breaches_kept_between_calls_show_a_new_event_at_once(tmp_path: Path) -> None:
    ledger = Ledger(tmp_path / "ledger.sqlite")
    _story(ledger)
    seen = access.all_breaches(ledger)
    assert access.all_breaches(ledger) is seen  # nothing new: the same state, without reading it again
    received = next(b for b in seen.values() if b.side == "departement" and b.cnil is None)
    breaches.record_cnil(
        ledger, received, notified=False, at=None, reference=None, reason="risque improbable", delay_reason=None
    )
    now = access.all_breaches(ledger)
    assert now[received.id].cnil is not None and now[received.id].cnil["reason"] == "risque improbable"
    assert seen[received.id].cnil is None  # a page still holding the previous state does not see it move
    assert _snapshot(now) == _snapshot(breaches.all_breaches(ledger))


def test_a_ledger_replaced_by_another_file_is_read_afresh(tmp_path: Path) -> None:
    path = tmp_path / "ledger.sqlite"
    ledger = Ledger(path)
    _story(ledger)
    assert len(access.all_breaches(ledger)) == 3
    for leftover in tmp_path.iterdir():
        leftover.unlink()
    other = Ledger(path)
    breaches.declare(
        other,
        convention_id=BETHUNE,
        structure="CCAS de Béthune",
        delay_hours=24,
        aware_at=AWARE,
        details={"natures": ["confidentiality"], "description": "autre journal"},
    )
    for _ in range(12):  # more events than the first ledger had, so that the numbers overlap
        other.append("exchange.packed", BETHUNE, {"direction": "sent", "files": 1})
    breaches.close(other, next(iter(breaches.all_breaches(other).values())), None)
    assert _snapshot(access.all_breaches(other)) == _snapshot(breaches.all_breaches(other))


def _overview(registers: Path, ledger: Ledger, at: datetime = AWARE + timedelta(hours=6)) -> dict[str, Any]:
    with clock.fixed(at):
        return status.overview(registers, ledger)


def test_overview_shows_a_new_event_and_a_changed_convention_file_at_once(
    registers: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    ledger = Ledger(tmp_path / "ledger.sqlite")
    first = _overview(registers, ledger)
    assert first["open_breaches"] == []
    assert {c["id"]: c["stage_label"] for c in first["conventions"]} == {BETHUNE: "brouillon", ADIL: "brouillon"}

    # A new event shows on the next call.
    declared = breaches.declare(
        ledger,
        convention_id=BETHUNE,
        structure="CCAS de Béthune",
        delay_hours=24,
        aware_at=AWARE,
        details={"natures": ["confidentiality"], "description": "x"},
    )
    assert [b["id"] for b in _overview(registers, ledger)["open_breaches"]] == [declared.id]
    lifecycle.mark_sent(ledger, ADIL, by="dpo@pasdecalais.fr", now=AWARE)
    stages = {c["id"]: c["stage_label"] for c in _overview(registers, ledger)["conventions"]}
    assert stages[ADIL] == "envoyée pour signature"
    breaches.close(ledger, declared, "traitée")
    assert _overview(registers, ledger)["open_breaches"] == []
    # What depends on the clock is computed at each call.
    late = breaches.declare(
        ledger,
        convention_id=BETHUNE,
        structure="CCAS de Béthune",
        delay_hours=24,
        aware_at=AWARE,
        details={"natures": ["confidentiality"], "description": "y"},
    )
    assert _overview(registers, ledger)["late"] == []
    assert _overview(registers, ledger, AWARE + timedelta(hours=25))["late"] == [late.id]

    # Unchanged files are not judged again; a changed file is, at once.
    judged: list[str] = []
    from dpa_kit import checks

    real = checks.verdict

    def counting(subject: Any) -> Any:
        judged.append(subject.convention.id)
        return real(subject)

    monkeypatch.setattr(checks, "verdict", counting)
    _overview(registers, ledger)
    assert judged == []
    path = registers / f"{BETHUNE}.yaml"
    stat = path.stat()
    path.write_text(
        path.read_text(encoding="utf-8").replace("short_name: CCAS de Béthune", "short_name: CCAS de Bethune-Ville"),
        encoding="utf-8",
    )
    os.utime(path, ns=(stat.st_atime_ns, stat.st_mtime_ns + 1_000_000_000))
    shown = {c["id"]: c["structure"] for c in _overview(registers, ledger)["conventions"]}
    assert shown[BETHUNE] == "CCAS de Bethune-Ville"
    assert sorted(judged) == sorted([BETHUNE, ADIL])
    (registers / f"{ADIL}.yaml").write_text("id: [\n", encoding="utf-8")
    files = {c["file"]: c for c in _overview(registers, ledger)["conventions"]}
    assert files[f"{ADIL}.yaml"]["missing"] == ["fichier invalide"]


def test_overview_of_a_missing_folder_is_a_french_error(tmp_path: Path) -> None:
    from dpa_kit.exceptions import UsageError

    with pytest.raises(UsageError, match="dossier introuvable"):
        status.overview(tmp_path / "absent", None)


def test_pages_arriving_together_load_and_judge_the_folder_once(
    registers: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    import threading
    import time

    from dpa_kit import checks

    loads: list[Path] = []
    judged: list[str] = []
    real_iter, real_verdict = access.iter_folder, checks.verdict

    def slow_iter(folder: Path) -> Any:
        loads.append(folder)
        time.sleep(0.2)  # long enough for the other callers to arrive while it loads
        return real_iter(folder)

    def counting(subject: Any) -> Any:
        judged.append(subject.convention.id)
        return real_verdict(subject)

    monkeypatch.setattr(access, "iter_folder", slow_iter)
    monkeypatch.setattr(checks, "verdict", counting)
    ledger = Ledger(tmp_path / "ledger.sqlite")
    results: list[dict[str, Any]] = []
    failures: list[BaseException] = []

    def page() -> None:
        try:
            results.append(_overview(registers, ledger))
        except BaseException as exc:  # reported below, never lost
            failures.append(exc)

    threads = [threading.Thread(target=page) for _ in range(6)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert failures == []
    assert len(loads) == 1 and sorted(judged) == sorted([BETHUNE, ADIL])
    assert len(results) == 6 and all(r["conventions"] == results[0]["conventions"] for r in results)


def test_last_exchanges_follow_every_new_exchange(registers: Path, tmp_path: Path) -> None:
    ledger = Ledger(tmp_path / "ledger.sqlite")
    assert _overview(registers, ledger)["last_exchanges"] == []
    _story(ledger)
    assert _overview(registers, ledger)["last_exchanges"] == []
    for files in range(1, 4):
        ledger.append("exchange.packed", BETHUNE, {"direction": "sent", "convention": BETHUNE, "files": files})
    assert [e["files"] for e in _overview(registers, ledger)["last_exchanges"]] == [3, 2, 1]  # newest first
    for files in range(4, 16):
        ledger.append("exchange.opened", ADIL, {"direction": "received", "convention": ADIL, "files": files})
        ledger.append("account.action", "user-1", {"action": "vu"})
    shown = _overview(registers, ledger)["last_exchanges"]
    assert [e["files"] for e in shown] == list(range(15, 5, -1))
    assert [e["files"] for e in shown] == [e.payload["files"] for e in reversed(ledger.last("exchange.", 10))]


def test_the_html_overview_shows_each_conventions_stage(registers: Path, tmp_path: Path) -> None:
    ledger = Ledger(tmp_path / "ledger.sqlite")
    lifecycle.mark_sent(ledger, ADIL, by="dpo", now=AWARE)
    page = status.render_html(_overview(registers, ledger))
    assert '<th scope="col">Étape</th>' in page
    assert (
        f"<td>{ADIL}</td><td>ADIL du Nord et du Pas-de-Calais</td><td>oui</td><td>envoyée pour signature</td>" in page
    )
    assert f"<td>{BETHUNE}</td><td>CCAS de Béthune</td><td>oui</td><td>brouillon</td>" in page
