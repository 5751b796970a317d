"""The printable register of processing activities (HTML, Markdown, PDF), from template ``register.md.j2``.

The register's model, initialisation and checks live in :mod:`dpa_kit.register`; its spreadsheet forms
(XLSX, ODS, CSV) in :mod:`dpa_kit.register_sheet`.
"""

from __future__ import annotations

from datetime import date
from pathlib import Path

from dpa_kit.clock import french_date
from dpa_kit.countries import country_name
from dpa_kit.documents.markdown import blank, parse_blocks, render_template
from dpa_kit.documents.writers import DocumentMeta, Rendered, write_rendered
from dpa_kit.register import SECURITY_HEADINGS, Register
from dpa_kit.register_sheet import FATE_FR

__all__ = ["DOCUMENT_FORMATS", "REGISTER_TEMPLATE", "printable_markdown", "register_document", "render_register"]

REGISTER_TEMPLATE = "register.md.j2"
#: The formats in which the register is a document (the others are spreadsheets).
DOCUMENT_FORMATS = ("html", "md", "pdf")


def printable_markdown(register: Register, templates: Path | None = None) -> str:
    """The register as Markdown; the parts the structure must still write are visible blanks."""
    context = {
        "r": register,
        "date_fr": french_date,
        "fate_fr": {k.value: v for k, v in FATE_FR.items()},
        "headings": SECURITY_HEADINGS,
        "blank": blank,
        "country": country_name,
    }
    return render_template(REGISTER_TEMPLATE, context, templates)


def render_register(register: Register, templates: Path | None = None) -> Rendered:
    """The printable register ready for every writer, dated its last update for byte-identical output."""
    markdown = printable_markdown(register, templates)
    name = register.processor.short_name or register.processor.name or "structure"
    meta = DocumentMeta(
        title=f"Registre des traitements (art. 30.2) - {name}",
        author=register.processor.name or name,
        subject=f"Registre art. 30.2 - {name} - version {register.version}",
        day=register.updated or date(2000, 1, 1),
    )
    return Rendered(markdown, parse_blocks(markdown), meta)


def register_document(register: Register, fmt: str, templates: Path | None = None) -> bytes:
    """The printable register in ``fmt`` (one of :data:`DOCUMENT_FORMATS`) as bytes."""
    return write_rendered(fmt, render_register(register, templates), templates)
