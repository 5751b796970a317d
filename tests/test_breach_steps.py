"""The declaration's rules that both edges use: linked records, answers shown back, progress, ticked + typed."""

from __future__ import annotations

from datetime import datetime
from pathlib import Path

from dpa_kit import access, clock
from dpa_kit import breach as breaches
from dpa_kit.ledger import Ledger

AWARE = datetime(2026, 3, 28, 18, 0, tzinfo=clock.PARIS)


def _declared_and_received(tmp_path: Path) -> tuple[breaches.Breach, breaches.Breach, list[breaches.Breach]]:
    """A breach declared by a structure, then its copy received with the structure's reference stored where
    ``breach.receive`` stores it (``Breach.structure_reference``, not in the details)."""
    ledger = Ledger(tmp_path / "l.sqlite")
    declared = breaches.declare(
        ledger, convention_id="A", structure="ADIL", delay_hours=24, aware_at=AWARE, details={"nature": "perte"}
    )
    received = breaches.receive(
        ledger,
        convention_id="A",
        structure="ADIL",
        delay_hours=24,
        aware_at=AWARE,
        received_at=AWARE,
        details={"nature": "perte"},
        structure_reference=declared.id,
    )
    assert received.id != declared.id and "structure_reference" not in received.details
    found = list(breaches.all_breaches(ledger).values())
    return declared, received, found


def test_a_declared_breach_and_its_received_copy_are_listed_once(tmp_path: Path) -> None:
    declared, _received, found = _declared_and_received(tmp_path)
    assert [b.id for b in access.structure_breaches(found)] == [declared.id]


def test_the_received_copy_is_the_declared_breach_s_linked_record(tmp_path: Path) -> None:
    declared, received, found = _declared_and_received(tmp_path)
    linked = access.linked_record(found, declared)
    assert linked is not None and linked.id == received.id
    assert access.linked_record(found, received) is None  # the Département's record links to no other


def test_an_older_record_with_the_reference_in_its_details_is_linked_too(tmp_path: Path) -> None:
    declared, received, found = _declared_and_received(tmp_path)
    copy = next(b for b in found if b.id == received.id)
    copy.structure_reference = None
    copy.details = {**copy.details, "structure_reference": declared.id}
    assert access.linked_record(found, declared) is copy
    assert [b.id for b in access.structure_breaches(found)] == [declared.id]


def test_an_unlinked_received_breach_stays_listed(tmp_path: Path) -> None:
    declared, received, found = _declared_and_received(tmp_path)
    next(b for b in found if b.id == received.id).structure_reference = "V-2026-ZZZ-0009"
    assert {b.id for b in access.structure_breaches(found)} == {declared.id, received.id}
    assert access.linked_record(found, declared) is None
