"""A one-line summary of each convention of a folder, for ``dpa-kit list`` and the overview."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

from dpa_kit.clock import french_amount
from dpa_kit.loader import iter_folder
from dpa_kit.model import Convention

FATE_SHORT = {
    "destroy": "destruction",
    "return_to_controller": "renvoi au Département",
    "return_to_third_party": "renvoi à un tiers",
}


@dataclass
class Row:
    """One convention (or one unreadable file) of a folder."""

    file: str
    id: str | None = None
    structure: str | None = None
    siret: str | None = None
    dispositif: str | None = None
    amount: str | None = None
    start: str | None = None
    end: str | None = None
    subprocessing: str | None = None
    security: int | None = None
    data_fate: str | None = None
    error: list[str] | None = None

    @property
    def period_fr(self) -> str:
        if self.start and self.end:
            return f"{_short(self.start)} – {_short(self.end)}"
        return "—"

    @property
    def amount_fr(self) -> str:
        from decimal import Decimal

        return french_amount(Decimal(self.amount)) if self.amount else "—"

    @property
    def options(self) -> str:
        fate = FATE_SHORT.get(self.data_fate or "", "sort ?")
        return f"{self.subprocessing or '?'} / {self.security or '?'} / {fate}"

    def as_json(self) -> dict[str, Any]:
        return {k: v for k, v in self.__dict__.items()}


def _short(iso: str) -> str:
    year, month, day = iso.split("-")
    return f"{day}/{month}/{year}"


def row_for(path: Path, convention: Convention) -> Row:
    return Row(
        file=path.name,
        id=convention.id,
        structure=convention.processor.display_name,
        siret=convention.processor.siret,
        dispositif=convention.dispositif,
        amount=str(convention.amount) if convention.amount is not None else None,
        start=convention.period.start.isoformat() if convention.period.start else None,
        end=convention.period.end.isoformat() if convention.period.end else None,
        subprocessing=convention.subprocessing.option,
        security=convention.security.option,
        data_fate=convention.data_fate.action.value if convention.data_fate.action else None,
    )


def summarise(folder: Path) -> list[Row]:
    """Every convention file of ``folder`` as a row; unreadable files become rows with ``error``."""
    rows = []
    for result in iter_folder(folder, required=True):
        if result.loaded is not None:
            rows.append(row_for(result.path, result.loaded.convention))
        else:
            assert result.error is not None
            rows.append(Row(file=result.path.name, error=[str(p) for p in result.error.problems]))
    return rows
