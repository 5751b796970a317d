"""Breach references built from the structure's SIREN or short name: unique across structures."""

from __future__ import annotations

from datetime import UTC

import pytest

from dpa_kit.breach_ids import REFERENCE_PATTERN, next_reference, reference, structure_code
from dpa_kit.exceptions import UsageError


def test_siret_gives_the_siren() -> None:
    assert structure_code("34309733300078") == "343097333"
    assert structure_code("343 097 333 00078", "ADIL") == "343097333"


def test_short_name_without_siret() -> None:
    assert structure_code(None, "CCAS de Béthune") == "CCASDEBETHUN"
    assert structure_code("", "ADIL 62") == "ADIL62"


def test_nothing_to_build_a_code_from_is_an_error() -> None:
    with pytest.raises(UsageError, match="ni le SIRET ni le nom court"):
        structure_code(None, "—")


def test_two_structures_never_share_a_reference() -> None:
    adil = next_reference([], 2026, structure_code("34309733300078"))
    ccas = next_reference([], 2026, structure_code(None, "CCAS Béthune"))
    assert adil == "V-2026-343097333-0001" and ccas == "V-2026-CCASBETHUNE-0001"
    assert adil != ccas


def test_sequence_continues_per_structure_and_year() -> None:
    existing = [
        "V-2026-343097333-0001",
        "V-2026-343097333-0003",
        "V-2026-OTHER-0009",
        "V-2025-343097333-0012",
        "V-2026-0042",
    ]
    assert next_reference(existing, 2026, "343097333") == "V-2026-343097333-0004"
    assert next_reference(existing, 2027, "343097333") == "V-2027-343097333-0001"
    assert REFERENCE_PATTERN.match(reference(2026, "ADIL", 12345))


def test_sequence_starts_at_one() -> None:
    with pytest.raises(ValueError):
        reference(2026, "X", 0)


def test_ledgers_number_per_structure_and_the_departement_keeps_the_structures_reference(tmp_path) -> None:  # type: ignore[no-untyped-def]
    from datetime import datetime

    from dpa_kit import breach as breaches
    from dpa_kit.ledger import Ledger

    aware = datetime(2026, 11, 28, 17, 0, tzinfo=UTC)
    adil, ccas = Ledger(tmp_path / "adil.sqlite"), Ledger(tmp_path / "ccas.sqlite")
    first = breaches.declare(
        adil, convention_id="A", structure="ADIL", delay_hours=24, aware_at=aware, details={}, code="343097333"
    )
    second = breaches.declare(
        adil, convention_id="A", structure="ADIL", delay_hours=24, aware_at=aware, details={}, code="343097333"
    )
    other = breaches.declare(
        ccas, convention_id="B", structure="CCAS", delay_hours=24, aware_at=aware, details={}, code="CCASBETHUNE"
    )
    assert (first.id, second.id, other.id) == (
        "V-2026-343097333-0001",
        "V-2026-343097333-0002",
        "V-2026-CCASBETHUNE-0001",
    )
    departement = Ledger(tmp_path / "dep.sqlite")
    for breach in (first, other):
        received = breaches.receive(
            departement,
            convention_id=breach.convention,
            structure=breach.structure,
            delay_hours=24,
            aware_at=aware,
            received_at=aware,
            details={},
            structure_reference=breach.id,
            code="X",
        )
        assert received.id == breach.id and received.structure_reference == breach.id
    with pytest.raises(UsageError, match="déjà enregistrée"):
        breaches.receive(
            departement,
            convention_id="A",
            structure="ADIL",
            delay_hours=24,
            aware_at=aware,
            received_at=aware,
            details={},
            structure_reference=first.id,
        )
    # An older reference without the structure's code is kept, not used as the id.
    old = breaches.receive(
        departement,
        convention_id="A",
        structure="ADIL",
        delay_hours=24,
        aware_at=aware,
        received_at=aware,
        details={},
        structure_reference="V-2026-0001",
        code="343097333",
    )
    assert old.id == "V-2026-343097333-0002" and old.structure_reference == "V-2026-0001"
