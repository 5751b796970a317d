"""Checking a document before it is signed: leftover blanks, and clauses edited by hand.

An annex may be edited in Word or LibreOffice after dpa-kit produced it. This module reads the text of
a DOCX, ODT, PDF or Markdown file, finds placeholders and drafting instructions left in it, and, given
the convention, reports every clause of the expected annex that the document no longer contains as
written (edited or removed) and, for formats with paragraphs, the paragraphs it added.
"""

from __future__ import annotations

import re
import zipfile
from pathlib import Path

from lxml.etree import LxmlError

from dpa_kit.checks import ERROR, WARNING, Finding, Report
from dpa_kit.exceptions import InputError, UsageError
from dpa_kit.placeholders import empty_answer_lines, find_placeholders

DOCUMENT_SUFFIXES = {".docx", ".odt", ".pdf", ".md", ".txt"}
MAX_DOCUMENT_BYTES = 32 * 1024 * 1024  # a document given to check; refused above, before reading


def read_paragraphs(path: Path) -> list[str]:
    """The paragraphs of a document (for a PDF: its lines)."""
    suffix = path.suffix.lower()
    if not path.is_file():
        raise UsageError(f"{path} : fichier introuvable")
    if path.stat().st_size > MAX_DOCUMENT_BYTES:
        raise InputError(f"{path} : document trop volumineux (plus de {MAX_DOCUMENT_BYTES // (1024 * 1024)} Mo) : "
                         "une annexe en fait quelques centaines de Ko")
    if suffix in {".docx", ".odt"}:
        from dpa_kit.safexml import check_office_zip

        check_office_zip(path)  # a sound archive within bounds, no DTD and no entity in any XML part
    try:
        if suffix == ".docx":
            from docx import Document
            from docx.opc.exceptions import OpcError

            try:
                document = Document(str(path))
                paragraphs = [p.text for p in document.paragraphs]
                for table in document.tables:
                    paragraphs.extend(cell.text for row in table.rows for cell in row.cells)
            except (OpcError, LxmlError, TypeError, AttributeError, IndexError) as exc:  # python-docx on a broken part
                raise InputError(f"{path} : document Word illisible ou endommagé") from exc
            return paragraphs
        if suffix == ".odt":
            from odfdo import Document as OdfDocument

            try:
                body = OdfDocument(str(path)).body
                return [element.text_recursive for element in body.get_elements("//text:p | //text:h")]
            except (LxmlError, TypeError, AttributeError, IndexError) as exc:  # odfdo on a broken content.xml
                raise InputError(f"{path} : document OpenDocument illisible ou endommagé") from exc
        if suffix == ".pdf":
            from pypdf import PdfReader
            from pypdf.errors import PyPdfError

            try:
                reader = PdfReader(str(path))
                return "\n".join(page.extract_text() or "" for page in reader.pages).splitlines()
            except PyPdfError as exc:
                raise InputError(f"{path} : PDF illisible ({exc})") from exc
        if suffix in {".md", ".txt"}:
            return path.read_text(encoding="utf-8").splitlines()
    except (zipfile.BadZipFile, KeyError, ValueError, UnicodeDecodeError, LxmlError) as exc:
        raise InputError(f"{path} : document illisible ou endommagé ({type(exc).__name__})") from exc
    raise UsageError(f"{path} : format non pris en charge (formats lus : {', '.join(sorted(DOCUMENT_SUFFIXES))})")


def _alnum(text: str) -> str:
    return re.sub(r"[^0-9a-zà-ÿœæ]", "", text.lower().replace("\u00ad", ""))


def check_document(path: Path, convention_file: Path | None = None) -> Report:
    """Placeholders in a document and, with its convention, clauses that differ from the expected annex."""
    paragraphs = read_paragraphs(path)
    text = "\n".join(paragraphs)
    findings: list[Finding] = []
    for hit in find_placeholders(text):
        line = text.count("\n", 0, hit.offset) + 1
        findings.append(Finding("D601", ERROR, str(path), line, None,
                                f"{hit.label} : « {hit.excerpt} » ; complétez ou supprimez avant signature"))
    for empty in empty_answer_lines(text):
        findings.append(Finding("D602", ERROR, str(path), _line_of(paragraphs, empty), None,
                                f"réponse vide après « {empty[-60:]} »"))
    if convention_file is not None:
        findings.extend(_compare(path, paragraphs, convention_file))
    return Report(findings, [str(path)])


def _line_of(paragraphs: list[str], excerpt: str) -> int | None:
    probe = excerpt.strip()[:20]
    for index, paragraph in enumerate(paragraphs, start=1):
        if probe and probe in " ".join(paragraph.split()):
            return index
    return None


def _compare(path: Path, paragraphs: list[str], convention_file: Path) -> list[Finding]:
    from dpa_kit.annex import parse_blocks, render_markdown
    from dpa_kit.loader import load_convention

    convention = load_convention(convention_file).convention
    expected = [b.text for b in parse_blocks(render_markdown(convention, draft=True))]
    stream = _alnum("\n".join(paragraphs))
    findings = []
    position = 0
    for clause in expected:
        key = _alnum(clause)
        if not key:
            continue
        found = stream.find(key, position)
        if found < 0:
            excerpt = clause if len(clause) <= 120 else clause[:117] + "..."
            findings.append(Finding("D603", ERROR, str(path), None, None,
                                    f"clause modifiée ou supprimée par rapport à la convention {convention.id} : « {excerpt} »"))
        else:
            position = found + len(key)
    if path.suffix.lower() != ".pdf":
        expected_keys = {_alnum(c) for c in expected}
        for index, paragraph in enumerate(paragraphs, start=1):
            key = _alnum(paragraph)
            if key and key not in expected_keys and not any(key in e for e in expected_keys):
                excerpt = paragraph.strip()
                excerpt = excerpt if len(excerpt) <= 120 else excerpt[:117] + "..."
                findings.append(Finding("D604", WARNING, str(path), index, None,
                                        f"paragraphe absent de l'annexe produite par dpa-kit : « {excerpt} »"))
    return findings


DOCUMENT_RULES = [
    ("D601", "error", "Blanc ou consigne de rédaction dans le document",
     "Le document contient un blanc du modèle ou une consigne de rédaction."),
    ("D602", "error", "Réponse vide dans le document", "Une phrase « ... sont : » n'est suivie d'aucune réponse."),
    ("D603", "error", "Clause modifiée ou supprimée",
     "Une clause de l'annexe que produit la convention ne figure plus telle quelle dans le document (--convention)."),
    ("D604", "warning", "Paragraphe ajouté",
     "Le document contient un paragraphe que l'annexe produite par dpa-kit n'a pas (--convention ; pas pour les PDF)."),
    ("L001", "error", "Fichier de convention invalide",
     "Le fichier ne peut pas être lu (syntaxe YAML, type, clé inconnue, SIRET, date...) : corrigez-le d'abord."),
]
