"""Checking a document before it is signed: leftover blanks, and clauses edited by hand.

An annex may be edited in Word or LibreOffice after dpa-kit produced it. This module reads the text of
a DOCX, ODT, PDF or Markdown file, finds placeholders and drafting instructions left in it, and, given
the convention, reports every clause of the expected annex that the document no longer contains as
written (edited or removed) and, for formats with paragraphs, the paragraphs it added.
"""

from __future__ import annotations

import re
import zipfile
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from lxml.etree import LxmlError

from dpa_kit.checks import Report
from dpa_kit.exceptions import InputError, UsageError
from dpa_kit.placeholders import empty_answer_lines, find_placeholders
from dpa_kit.rules import DOCUMENT, RULES, Finding, rules
from dpa_kit.words import DRAFT_BANNER

__all__ = [
    "DOCUMENT_RULES",
    "DOCUMENT_SUFFIXES",
    "EDITED_SHARE",
    "Piece",
    "check_document",
    "read_paragraphs",
    "read_pieces",
]

DOCUMENT_SUFFIXES = {".docx", ".odt", ".pdf", ".md", ".txt"}
MAX_DOCUMENT_BYTES = 32 * 1024 * 1024  # a document given to check; refused above, before reading


@dataclass(frozen=True)
class Piece:
    """A paragraph of a document (DOCX, ODT, Markdown) or a line of a PDF page, with where it is."""

    text: str
    number: int  # paragraph number, or line number for a PDF
    page: int | None = None  # PDF only

    @property
    def where(self) -> str:
        return f"page {self.page}" if self.page is not None else f"paragraphe {self.number}"


def read_paragraphs(path: Path) -> list[str]:
    """The paragraphs of a document (for a PDF: its lines)."""
    return [piece.text for piece in read_pieces(path)]


def read_pieces(path: Path) -> list[Piece]:
    """The paragraphs of a document with their numbers (for a PDF: its lines with their page)."""
    suffix = path.suffix.lower()
    if not path.is_file():
        raise UsageError(f"{path} : fichier introuvable")
    if path.stat().st_size > MAX_DOCUMENT_BYTES:
        raise InputError(
            f"{path} : document trop volumineux (plus de {MAX_DOCUMENT_BYTES // (1024 * 1024)} Mo) : "
            "une annexe en fait quelques centaines de Ko"
        )
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
            return _numbered(paragraphs)
        if suffix == ".odt":
            from odfdo import Document as OdfDocument

            try:
                body = OdfDocument(str(path)).body
                return _numbered([element.text_recursive for element in body.get_elements("//text:p | //text:h")])
            except (LxmlError, TypeError, AttributeError, IndexError) as exc:  # odfdo on a broken content.xml
                raise InputError(f"{path} : document OpenDocument illisible ou endommagé") from exc
        if suffix == ".pdf":
            from pypdf import PdfReader
            from pypdf.errors import PyPdfError

            try:
                reader = PdfReader(str(path))
                pieces: list[Piece] = []
                for page_number, page in enumerate(reader.pages, start=1):
                    for line in (page.extract_text() or "").splitlines():
                        pieces.append(Piece(line, len(pieces) + 1, page_number))
                return pieces
            except PyPdfError as exc:
                raise InputError(f"{path} : PDF illisible ({exc})") from exc
        if suffix in {".md", ".txt"}:
            return _numbered(path.read_text(encoding="utf-8").splitlines())
    except (zipfile.BadZipFile, KeyError, ValueError, UnicodeDecodeError, LxmlError) as exc:
        raise InputError(f"{path} : document illisible ou endommagé ({type(exc).__name__})") from exc
    raise UsageError(f"{path} : format non pris en charge (formats lus : {', '.join(sorted(DOCUMENT_SUFFIXES))})")


def _numbered(paragraphs: list[str]) -> list[Piece]:
    return [Piece(text, number) for number, text in enumerate(paragraphs, start=1)]


def _alnum(text: str) -> str:
    return re.sub(r"[^0-9a-zà-ÿœæ]", "", text.lower().replace("\u00ad", ""))


def check_document(path: Path, convention_file: Path | None = None) -> Report:
    """Placeholders in a document and, with its convention, clauses that differ from the expected annex."""
    pieces = read_pieces(path)
    paragraphs = [piece.text for piece in pieces]
    text = "\n".join(paragraphs)
    findings: list[Finding] = []
    for hit in find_placeholders(text):
        line = text.count("\n", 0, hit.offset) + 1
        findings.append(
            _finding(
                "D601", str(path), line, f"{hit.label} : « {hit.excerpt} » ; complétez ou supprimez avant signature"
            )
        )
    for empty in empty_answer_lines(text):
        findings.append(
            _finding("D602", str(path), _line_of(paragraphs, empty), f"réponse vide après « {empty[-60:]} »")
        )
    if convention_file is not None:
        findings.extend(_compare(path, pieces, convention_file))
    return Report(findings, [str(path)])


def _line_of(paragraphs: list[str], excerpt: str) -> int | None:
    probe = excerpt.strip()[:20]
    for index, paragraph in enumerate(paragraphs, start=1):
        if probe and probe in " ".join(paragraph.split()):
            return index
    return None


@dataclass(frozen=True)
class _Word:
    key: str  # lower case, letters and digits only: what is compared
    text: str  # as written: what a message quotes
    piece: Piece


def _words(pieces: list[Piece], pdf: bool) -> list[_Word]:
    words: list[_Word] = []
    carry: tuple[str, Piece] | None = None
    for piece in pieces:
        tokens = piece.text.replace("\u00ad", "").split()
        for index, token in enumerate(tokens):
            if carry is not None:  # a word cut at the end of a PDF line: « accompa- » + « gnement »
                token, piece_of = carry[0] + token, carry[1]
                carry = None
            else:
                piece_of = piece
            if pdf and index == len(tokens) - 1 and token.endswith("-") and len(token) > 1:
                carry = (token[:-1], piece_of)
                continue
            key = _alnum(token)
            if key:
                words.append(_Word(key, token, piece_of))
    if carry is not None:
        words.append(_Word(_alnum(carry[0]), carry[0], carry[1]))
    return words


def _running_lines(meta_header: str) -> Callable[[str], bool]:
    """Lines that a PDF repeats on every page (header, « Page n / N », draft banner): not clause text."""
    header, banner = _alnum(meta_header), _alnum(DRAFT_BANNER)

    def repeated(line: str) -> bool:
        key = _alnum(line)
        return key in {header, banner} or bool(_PAGE_LINE.match(line.strip()))

    return repeated


_PAGE_LINE = re.compile(r"^Page \d+ / \d+$")
#: How much of a clause must still be there, word for word, for it to count as edited rather than removed.
EDITED_SHARE = 0.5
#: A clause that still opens with this many of its words, in order, is an edited clause.
OPENING_WORDS = 4


def _diff_words(expected: list[str], found: list[_Word]) -> str:
    """« remplacé : "3 mois" → "15 jours" ; supprimé : "..." ; ajouté : "..." » at the word level."""
    import difflib

    changes = []
    matcher = difflib.SequenceMatcher(None, [_alnum(w) for w in expected], [w.key for w in found], autojunk=False)
    for tag, i1, i2, j1, j2 in matcher.get_opcodes():
        old = " ".join(expected[i1:i2])
        new = " ".join(w.text for w in found[j1:j2])
        if tag == "replace":
            changes.append(f"« {old} » remplacé par « {new} »")
        elif tag == "delete":
            changes.append(f"« {old} » supprimé")
        elif tag == "insert":
            changes.append(f"« {new} » ajouté")
    return " ; ".join(changes)


def _compare(path: Path, pieces: list[Piece], convention_file: Path) -> list[Finding]:
    """Every clause of the expected annex, compared whole and word by word with the document."""
    import difflib

    from dpa_kit.documents.annex import render
    from dpa_kit.loader import load_convention

    convention = load_convention(convention_file).convention
    rendered = render(convention, draft=True)
    expected = [b.text for b in rendered.blocks]
    pdf = path.suffix.lower() == ".pdf"
    if pdf:
        repeated = _running_lines(rendered.meta.running_header)
        pieces = [piece for piece in pieces if not repeated(piece.text)]
    words = _words(pieces, pdf)
    keys = [w.key for w in words]
    findings = []
    edited: set[int] = set()  # paragraphs already reported as an edited clause
    position = 0
    clause_keys_list = [[k for k in (_alnum(w) for w in clause.split()) if k] for clause in expected]
    for number, clause in enumerate(expected):
        clause_words = clause.split()
        clause_keys = clause_keys_list[number]
        if not clause_keys:
            continue
        found = _find(keys, clause_keys, position)
        if found is not None:
            position = found + len(clause_keys)
            continue
        # Not there word for word: the closest stretch of the rest of the document, if enough of it is left,
        # never reaching into the next clauses that are still there word for word.
        limit = position + len(clause_keys) * 2 + 40
        for following in clause_keys_list[number + 1 : number + 4]:
            ahead = _find(keys, following, position) if following else None
            if ahead is not None:
                limit = min(limit, ahead)
                break
        window = keys[position:limit]
        matcher = difflib.SequenceMatcher(None, clause_keys, window, autojunk=False)
        blocks = [b for b in matcher.get_matching_blocks() if b.size]
        same = sum(b.size for b in blocks)
        excerpt = clause if len(clause) <= 160 else clause[:157] + "..."
        # Edited rather than removed: enough of it is left, or it still opens with its first words (an answer
        # emptied after « ... sont : »).
        opens = bool(blocks) and blocks[0].a == 0 and blocks[0].size >= min(OPENING_WORDS, len(clause_keys))
        if blocks and (same >= EDITED_SHARE * len(clause_keys) or opens):
            first, last = blocks[0].b, blocks[-1].b + blocks[-1].size
            # Extend to the ends of the clause that were changed (a first or last word replaced).
            lead, tail = blocks[0].a, len(clause_keys) - (blocks[-1].a + blocks[-1].size)
            start = max(position, position + first - lead)
            end = min(position + last + tail, limit)
            region = words[start:end]
            where = region[0].piece if region else pieces[0]
            changes = _diff_words([w for w in clause_words if _alnum(w)], region)
            edited.update(w.piece.number for w in region)
            findings.append(
                _finding(
                    "D603",
                    str(path),
                    where.number,
                    f"{where.where} : clause modifiée par rapport à la convention {convention.id} : "
                    f"{changes} (clause attendue : « {excerpt} »)",
                    convention.id,
                )
            )
            position = end
        else:
            resume = words[position].piece if position < len(words) else None
            place = f"{resume.where} : " if resume else ""
            findings.append(
                _finding(
                    "D603",
                    str(path),
                    resume.number if resume else None,
                    f"{place}clause supprimée par rapport à la convention {convention.id} : « {excerpt} »",
                    convention.id,
                )
            )
    if not pdf:
        # The draft banner is laid out by the writers, not a clause: a draft keeps it without a warning.
        expected_keys = {_alnum(c) for c in [*expected, DRAFT_BANNER]}
        for piece in pieces:
            key = _alnum(piece.text)
            if piece.number in edited:
                continue
            if key and key not in expected_keys and not any(key in e for e in expected_keys):
                excerpt = piece.text.strip()
                excerpt = excerpt if len(excerpt) <= 160 else excerpt[:157] + "..."
                findings.append(
                    _finding(
                        "D604",
                        str(path),
                        piece.number,
                        f"{piece.where} : paragraphe absent de l'annexe produite par dpa-kit : « {excerpt} »",
                        convention.id,
                    )
                )
    return findings


def _find(keys: list[str], clause: list[str], start: int) -> int | None:
    """Where ``clause`` stands word for word in ``keys``, at or after ``start``."""
    first = clause[0]
    size = len(clause)
    for index in range(start, len(keys) - size + 1):
        if keys[index] == first and keys[index : index + size] == clause:
            return index
    return None


def _finding(code: str, file: str, line: int | None, message: str, convention: str | None = None) -> Finding:
    return Finding(file, line, None, message, code=code, severity=RULES[code].severity, convention=convention)


# The document rules (and L001) as rows, for the ``rules`` command of the CLI; the catalogue is dpa_kit.rules.
DOCUMENT_RULES = [(r.code, r.severity.value, r.title, r.explanation) for r in rules(DOCUMENT)]
