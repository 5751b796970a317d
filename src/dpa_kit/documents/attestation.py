"""The deletion attestation as a document: pre-filled from the convention and its exchanges.

The fields only the structure can fill (who destroyed what, when, how) are left as visible blanks. The
lifecycle of attestations (due dates, recording, verifying, reminders) lives in :mod:`dpa_kit.attest`.
"""

from __future__ import annotations

from datetime import date
from pathlib import Path
from typing import Any

from dpa_kit import clock
from dpa_kit.documents.markdown import blank, parse_blocks, render_template
from dpa_kit.documents.writers import DocumentMeta, Rendered
from dpa_kit.model import Convention

__all__ = ["ATTESTATION_TEMPLATE", "attestation_markdown", "attestation_meta", "render_attestation"]

ATTESTATION_TEMPLATE = "attestation.md.j2"


def attestation_markdown(convention: Convention, exchanges: list[dict[str, Any]], templates: Path | None = None) -> str:
    """The attestation as Markdown; ``exchanges`` are the ledger's exchanges of the convention."""
    fate = convention.data_fate.action.value if convention.data_fate.action else None
    context = {"c": convention, "blank": blank, "fate": fate, "exchanges": exchanges, "date_fr": clock.french_date}
    return render_template(ATTESTATION_TEMPLATE, context, templates)


def attestation_meta(convention: Convention) -> DocumentMeta:
    """The metadata of the attestation (dated the end of the convention, for byte-identical output)."""
    return DocumentMeta(
        title=f"Attestation de destruction - {convention.id}",
        author=convention.processor.name or "Organisme",
        subject=f"Convention {convention.id} : attestation de destruction des données",
        day=convention.period.end or date(2000, 1, 1),
    )


def render_attestation(
    convention: Convention, exchanges: list[dict[str, Any]], templates: Path | None = None
) -> Rendered:
    """The attestation ready for every writer (never a draft: its blanks are for the structure to fill)."""
    markdown = attestation_markdown(convention, exchanges, templates)
    return Rendered(markdown, parse_blocks(markdown), attestation_meta(convention))
