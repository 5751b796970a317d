"""Reading the XML-in-ZIP files users hand us (DOCX, ODT, XLSX, ODS) within bounds, without DTDs or entities.

Every office file a user gives to ``check`` or ``register import`` goes through :func:`check_office_zip`
before any library parses it: the archive must be a readable ZIP within :data:`MAX_MEMBERS` members and
:data:`MAX_TOTAL_BYTES` uncompressed bytes (a ZIP bomb stops there), and no XML part may declare a
DOCTYPE or an entity (billion laughs, external entities). The parts are scanned as streams, so a part is
never held whole in memory for the scan.

Spreadsheets are then read cell by cell within :data:`MAX_ROWS` rows, :data:`MAX_COLUMNS` columns and
:data:`MAX_CELLS` cells: :func:`read_xlsx` uses openpyxl's read-only mode and checks the declared size of
each sheet before reading it and the real one while reading it; :func:`read_ods` streams ``content.xml``
with a parser that refuses DTDs, entities and network access, and expands ``number-rows-repeated`` /
``number-columns-repeated`` only for rows and cells that hold something (LibreOffice pads every sheet with
a million empty repeated rows).
"""

from __future__ import annotations

import codecs
import re
import zipfile
import zlib
from pathlib import Path
from typing import IO, Any, cast

from dpa_kit.exceptions import InputError

MAX_MEMBERS = 2_000
MAX_TOTAL_BYTES = 64 * 1024 * 1024
MAX_ROWS = 10_000
MAX_COLUMNS = 256
MAX_CELLS = 500_000

_FORBIDDEN = re.compile(rb"<!\s*(DOCTYPE|ENTITY)", re.IGNORECASE)
_CHUNK = 64 * 1024


class UnsafeFile(InputError):
    """Raised when an office file is not a sound archive, declares a DTD or an entity, or exceeds a bound."""


_TOO_BIG = f"archive trop volumineuse une fois décompressée (plus de {MAX_TOTAL_BYTES // (1024 * 1024)} Mo)"


def _looks_like_xml(head: bytes) -> str | None:
    """The encoding of a part that starts like XML (whatever its name: parsers go by content type), else None."""
    if head.startswith((codecs.BOM_UTF32_LE, codecs.BOM_UTF32_BE)) or head[:4] in {b"\0\0\0<", b"<\0\0\0"}:
        return "utf-32"
    if head.startswith(codecs.BOM_UTF16_BE) or head[:2] == b"\0<":
        return "utf-16-be"
    if head.startswith(codecs.BOM_UTF16_LE) or head[:2] == b"<\0":
        return "utf-16-le"
    return "utf-8" if head.removeprefix(codecs.BOM_UTF8).lstrip(b" \t\r\n").startswith(b"<") else None


def _scan_part(stream: IO[bytes], path: Path, name: str, budget: list[int]) -> None:
    """Read one member as a stream, counting its real size; in an XML part, refuse a DOCTYPE or an ENTITY."""
    head = stream.read(_CHUNK)
    budget[0] -= len(head)
    encoding = _looks_like_xml(head)
    if encoding == "utf-32":
        raise UnsafeFile(f"{path} : partie « {name} » dans un encodage non pris en charge (UTF-32) : fichier refusé")
    decoder = codecs.getincrementaldecoder(encoding)(errors="replace") if encoding and encoding != "utf-8" else None
    tail = b""
    chunk = head
    while chunk:
        if encoding:
            data = decoder.decode(chunk).encode("utf-8") if decoder else chunk
            window = tail + data
            if _FORBIDDEN.search(window):
                raise UnsafeFile(
                    f"{path} : la partie « {name} » déclare une DTD ou une entité XML (<!DOCTYPE>, <!ENTITY>) ; "
                    "un document bureautique n'en contient jamais : fichier refusé"
                )
            tail = window[-16:]
        if budget[0] < 0:
            raise UnsafeFile(f"{path} : {_TOO_BIG} : fichier refusé")
        chunk = stream.read(_CHUNK)
        budget[0] -= len(chunk)
    if budget[0] < 0:
        raise UnsafeFile(f"{path} : {_TOO_BIG} : fichier refusé")


def check_office_zip(path: Path) -> None:
    """Refuse ``path`` unless it is a ZIP within bounds whose XML parts declare no DTD and no entity.

    Every member is read (the sizes the ZIP declares may lie) and any member that starts like XML is
    scanned, whatever its name: the office libraries pick their parts by content type, not by name.
    """
    try:
        with zipfile.ZipFile(path) as archive:
            members = archive.infolist()
            if len(members) > MAX_MEMBERS:
                raise UnsafeFile(f"{path} : archive de plus de {MAX_MEMBERS} éléments : fichier refusé")
            if sum(m.file_size for m in members) > MAX_TOTAL_BYTES:
                raise UnsafeFile(f"{path} : {_TOO_BIG} : fichier refusé")
            budget = [MAX_TOTAL_BYTES]
            for member in members:
                if not member.is_dir():
                    with archive.open(member) as stream:
                        _scan_part(stream, path, member.filename, budget)
    except UnsafeFile:
        raise
    except (
        zipfile.BadZipFile,
        zipfile.LargeZipFile,
        NotImplementedError,
        EOFError,
        OSError,
        ValueError,
        RuntimeError,
        UnicodeDecodeError,
        zlib.error,
    ) as exc:
        # RuntimeError: an encrypted member; NotImplementedError: an unknown compression method.
        raise UnsafeFile(f"{path} : fichier illisible ou endommagé (pas une archive bureautique valide)") from exc


def _too_big(path: Path, sheet: str, what: str) -> UnsafeFile:
    return UnsafeFile(
        f"{path} : feuille {sheet} : {what} ; un registre tient en moins de {MAX_ROWS} lignes et "
        f"{MAX_COLUMNS} colonnes : fichier refusé (supprimez les lignes ou colonnes superflues)"
    )


class _Bounds:
    def __init__(self, path: Path):
        self.path = path
        self.cells = 0

    def row(self, sheet: str, number: int, width: int) -> None:
        if number > MAX_ROWS:
            raise _too_big(self.path, sheet, f"plus de {MAX_ROWS} lignes")
        if width > MAX_COLUMNS:
            raise _too_big(self.path, sheet, f"plus de {MAX_COLUMNS} colonnes (ligne {number})")
        self.cells += width
        if self.cells > MAX_CELLS:
            raise _too_big(self.path, sheet, f"plus de {MAX_CELLS} cellules au total")


def _trim(row: list[Any]) -> list[Any]:
    while row and row[-1] in (None, ""):
        row.pop()
    return row


def read_xlsx(path: Path) -> dict[str, list[list[Any]]]:
    """Every sheet of an XLSX file as rows of values (a formula gives its last computed value), within bounds."""
    from openpyxl import load_workbook

    check_office_zip(path)
    bounds = _Bounds(path)
    # Our own handle: openpyxl leaves the file open when it fails half-way through a damaged workbook.
    with path.open("rb") as handle:
        book = load_workbook(handle, read_only=True, data_only=True)  # what the user sees, never a formula to run
        try:
            return _xlsx_sheets(book, path, bounds)
        finally:
            book.close()


def _xlsx_sheets(book: Any, path: Path, bounds: _Bounds) -> dict[str, list[list[Any]]]:
    sheets: dict[str, list[list[Any]]] = {}
    for sheet in book.worksheets:
        title = str(sheet.title)
        max_row, max_col = getattr(sheet, "max_row", None), getattr(sheet, "max_column", None)
        if max_row is not None and max_row > MAX_ROWS:
            raise _too_big(path, title, f"plus de {MAX_ROWS} lignes déclarées ({max_row})")
        if max_col is not None and max_col > MAX_COLUMNS:
            raise _too_big(path, title, f"plus de {MAX_COLUMNS} colonnes déclarées ({max_col})")
        rows: list[list[Any]] = []
        pending = 0
        for number, values in enumerate(sheet.iter_rows(values_only=True), start=1):
            bounds.row(title, number, len(values))
            row = _trim(list(values))
            if not row:
                pending += 1
                continue
            rows.extend([] for _ in range(pending))
            pending = 0
            rows.append(row)
        sheets[title] = rows
    return sheets


_TABLE = "urn:oasis:names:tc:opendocument:xmlns:table:1.0"
_T_TABLE = f"{{{_TABLE}}}table"
_T_ROW = f"{{{_TABLE}}}table-row"
_T_CELLS = {f"{{{_TABLE}}}table-cell", f"{{{_TABLE}}}covered-table-cell"}
_ROWS_REPEATED = f"{{{_TABLE}}}number-rows-repeated"
_COLS_REPEATED = f"{{{_TABLE}}}number-columns-repeated"
_NAME = f"{{{_TABLE}}}name"


def _repeat(element: Any, attribute: str) -> int:
    text = element.get(attribute)
    if text is None:
        return 1
    try:
        value = int(text)
    except ValueError:
        return 1
    return max(1, value)


def read_ods(path: Path) -> dict[str, list[list[Any]]]:
    """Every sheet of an ODS file as rows of values, streamed and within bounds."""
    from lxml import etree
    from odfdo.element import Element

    check_office_zip(path)
    bounds = _Bounds(path)
    sheets: dict[str, list[list[Any]]] = {}
    try:
        with zipfile.ZipFile(path) as archive, archive.open("content.xml") as stream:
            table_depth = 0
            rows: list[list[Any]] = []
            name = ""
            row: list[Any] = []
            pending_cells = 0
            pending_rows = 0
            events = etree.iterparse(
                stream,
                events=("start", "end"),
                resolve_entities=False,
                load_dtd=False,
                no_network=True,
                huge_tree=False,
            )
            for event, element in events:
                tag = element.tag
                if event == "start":
                    if tag == _T_TABLE:
                        table_depth += 1
                        if table_depth > 1:
                            raise UnsafeFile(f"{path} : tableau imbriqué dans une cellule : fichier refusé")
                        name, rows, pending_rows = str(element.get(_NAME) or f"Feuille{len(sheets) + 1}"), [], 0
                    elif tag == _T_ROW:
                        row, pending_cells = [], 0
                    continue
                if tag in _T_CELLS and table_depth == 1:
                    repeat = _repeat(element, _COLS_REPEATED)
                    value = cast(Any, Element.from_tag_for_clone(element, None)).get_value()
                    if value in (None, ""):
                        pending_cells += repeat
                    else:
                        width = len(row) + pending_cells + repeat
                        if width > MAX_COLUMNS:
                            line = len(rows) + pending_rows + 1
                            raise _too_big(path, name, f"plus de {MAX_COLUMNS} colonnes (ligne {line})")
                        row.extend([None] * pending_cells)
                        row.extend([value] * repeat)
                        pending_cells = 0
                    element.clear()
                elif tag == _T_ROW and table_depth == 1:
                    repeat = _repeat(element, _ROWS_REPEATED)
                    if not row:
                        pending_rows += repeat
                    else:
                        if len(rows) + pending_rows + repeat > MAX_ROWS:
                            raise _too_big(path, name, f"plus de {MAX_ROWS} lignes")
                        rows.extend([] for _ in range(pending_rows))
                        for _ in range(repeat):
                            bounds.row(name, len(rows) + 1, len(row))
                            rows.append(list(row))
                        pending_rows = 0
                    element.clear()
                elif tag == _T_TABLE:
                    table_depth -= 1
                    sheets[name] = rows
                    element.clear()
    except UnsafeFile:
        raise
    except (KeyError, zipfile.BadZipFile, etree.XMLSyntaxError, ValueError, TypeError, OSError) as exc:
        raise UnsafeFile(f"{path} : classeur illisible ou endommagé ({type(exc).__name__})") from exc
    return sheets
