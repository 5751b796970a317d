"""Writing simple tables as CSV, XLSX, ODS or HTML (the breach register, overviews).

One header row, frozen; cell values are text, numbers, instants or None. The spreadsheets (XLSX, ODS) keep
their types, so that a reader sorts and filters by date or by count: an instant is a date-time cell in Paris
time shown ``dd/mm/yyyy hh:mm``, a number a number cell, a text always a text cell (never a formula). CSV and
HTML are text: an instant as « 28/03/2026 23:00 » (Paris), a decimal with a comma (:func:`cell_text`). CSV is
UTF-8 with a BOM and ``;`` separators, which is what French spreadsheet users open by double-click.
Whatever a text holds (a ledger
keeps texts recorded before they were checked), every format is written: the characters a format cannot
hold or should not show (control characters, lone surrogates, bidirectional overrides) become U+FFFD
(:func:`safe_cell`).
"""

from __future__ import annotations

import csv
import html
import io
from collections.abc import Sequence
from datetime import datetime
from decimal import Decimal
from pathlib import Path
from typing import Any

from dpa_kit.exceptions import UsageError

Cell = str | int | float | Decimal | datetime | None

#: How a spreadsheet shows an instant (XLSX number format; the ODS date style says the same).
DATE_TIME_FORMAT = "dd/mm/yyyy hh:mm"

# OWASP "CSV injection": a cell starting with one of these may be run as a formula by a spreadsheet.
FORMULA_TRIGGERS = ("=", "+", "-", "@", "\t", "\r")
# The apostrophe that neutralises a trigger; a value that starts with one gets one more, so that
# reading back (:func:`csv_value`) gives exactly what was written.
_QUOTE = "'"


def csv_cell(value: Cell) -> Cell:
    """``value`` as a CSV cell a spreadsheet shows as text, never runs: a leading trigger gets an apostrophe."""
    if isinstance(value, str) and value.startswith((*FORMULA_TRIGGERS, _QUOTE)):
        return _QUOTE + value
    return value


def csv_value(text: str) -> str:
    """The value :func:`csv_cell` neutralised."""
    if text.startswith(_QUOTE) and text[1:].startswith((*FORMULA_TRIGGERS, _QUOTE)):
        return text[1:]
    return text


def printable(text: str) -> str:
    """``text`` without the characters XML (hence XLSX and ODS) cannot hold, nor C1 controls and bidirectional
    overrides: each becomes U+FFFD."""
    from dpa_kit.freetext import visible

    return visible(text)


def safe_cell(value: Cell) -> Cell:
    """``value`` as any format can write it: a text through :func:`printable`, anything else unchanged."""
    return printable(value) if isinstance(value, str) else value


def sheet_value(value: Cell) -> Cell:
    """``value`` as a spreadsheet cell holds it: an instant in Paris local time without time zone (a
    spreadsheet has none) to the second; anything else unchanged."""
    if isinstance(value, datetime):
        from dpa_kit.clock import PARIS

        local = value.astimezone(PARIS) if value.tzinfo is not None else value
        return local.replace(tzinfo=None, microsecond=0)
    return value


def cell_text(value: Cell) -> str | None:
    """``value`` as the text of a CSV or HTML cell: « 28/03/2026 23:00 » (Paris time), « 3,25 », « 40 »."""
    if value is None or isinstance(value, str):
        return value
    if isinstance(value, datetime):
        local = sheet_value(value)
        assert isinstance(local, datetime)
        return local.strftime("%d/%m/%Y %H:%M")
    if isinstance(value, bool):
        return "oui" if value else "non"
    if isinstance(value, (float, Decimal)):
        from dpa_kit.words import french_number

        return french_number(value)  # type: ignore[arg-type]
    return str(value)


def text_rows(rows: Sequence[Sequence[Cell]]) -> list[list[str | None]]:
    """Rows with every cell as text (:func:`cell_text`), as a page shows them."""
    return [[cell_text(v) for v in row] for row in rows]


def _safe(headers: Sequence[str], rows: Sequence[Sequence[Cell]]) -> tuple[list[str], list[list[Cell]]]:
    return [printable(str(h)) for h in headers], [[safe_cell(v) for v in row] for row in rows]


def xlsx_cells_as_data(sheet: Any) -> None:
    """Make every text cell of an openpyxl sheet a string cell: never a formula, shown as typed.

    openpyxl turns a value starting with ``=`` into a formula; this puts such cells back to the string type
    and sets the « quote prefix » that keeps Excel and LibreOffice from reading them as formulas after an edit.
    """
    for row in sheet.iter_rows():
        for cell in row:
            if isinstance(cell.value, str):
                cell.value = printable(cell.value)
                cell.data_type = "s"
                if cell.value.startswith(FORMULA_TRIGGERS):
                    cell.quotePrefix = True


def table_bytes(fmt: str, title: str, headers: Sequence[str], rows: Sequence[Sequence[Cell]]) -> bytes:
    """The table in ``fmt`` (csv, xlsx, ods, html) as bytes; never fails on what a text holds."""
    title = printable(title)
    headers, rows = _safe(headers, rows)
    if fmt == "csv":
        buffer = io.StringIO()
        writer = csv.writer(buffer, delimiter=";", lineterminator="\r\n")
        writer.writerow([csv_cell(h) for h in headers])
        # a text is neutralised; a number or an instant is written as itself (« -2 » stays a number)
        writer.writerows(
            [["" if v is None else csv_cell(v) if isinstance(v, str) else cell_text(v) for v in row] for row in rows]
        )
        return ("\ufeff" + buffer.getvalue()).encode("utf-8")
    if fmt == "xlsx":
        return _xlsx(title, headers, rows)
    if fmt == "ods":
        return _ods(title, headers, rows)
    if fmt == "html":
        head = "".join(f"<th>{html.escape(h)}</th>" for h in headers)
        body = "".join(
            "<tr>" + "".join(f"<td>{html.escape(cell_text(v) or '')}</td>" for v in row) + "</tr>" for row in rows
        )
        return (
            '<!DOCTYPE html>\n<html lang="fr"><head><meta charset="utf-8">'
            f"<title>{html.escape(title)}</title><style>body{{font-family:sans-serif}}"
            "table{border-collapse:collapse;font-size:10pt}th,td{border:1px solid #999;padding:.25em .4em;"
            "vertical-align:top}th{background:#eee}@page{size:A4 landscape}</style></head><body>"
            f"<h1>{html.escape(title)}</h1><table><thead><tr>{head}</tr></thead><tbody>{body}</tbody></table>"
            "</body></html>\n"
        ).encode()
    raise UsageError(f"format de tableau inconnu « {fmt} » : csv, xlsx, ods ou html")


def write_table(path: Path, fmt: str, title: str, headers: Sequence[str], rows: Sequence[Sequence[Cell]]) -> None:
    """Write a table of personal data (registers, breaches): readable by its owner only."""
    from dpa_kit.fsutil import PRIVATE, atomic_write

    path.parent.mkdir(parents=True, exist_ok=True)
    atomic_write(path, table_bytes(fmt, title, headers, rows), mode=PRIVATE)


def _xlsx(title: str, headers: Sequence[str], rows: Sequence[Sequence[Cell]]) -> bytes:
    from openpyxl import Workbook
    from openpyxl.styles import Alignment, Font

    book = Workbook()
    sheet = book.active
    sheet.title = title[:31]
    sheet.append(list(headers))
    for cell in sheet[1]:
        cell.font = Font(bold=True)
    for row in rows:
        sheet.append([sheet_value(v) for v in row])
    xlsx_cells_as_data(sheet)
    for line in sheet.iter_rows(min_row=2):
        for cell in line:
            if isinstance(cell.value, datetime):
                cell.number_format = DATE_TIME_FORMAT
    sheet.freeze_panes = "A2"
    for column in sheet.columns:
        width = max(len(cell_text(c.value) or "") for c in column)
        sheet.column_dimensions[column[0].column_letter].width = min(60, max(12, width + 2))
        for c in column[1:]:
            c.alignment = Alignment(wrap_text=True, vertical="top")
    buffer = io.BytesIO()
    book.save(buffer)
    return buffer.getvalue()


def ods_cell(value: Any) -> Any:
    """A value for an odfdo cell: strings are string cells (never formulas) without illegal XML characters,
    instants date cells in Paris time, numbers float cells."""
    if value is None:
        return ""
    return printable(value) if isinstance(value, str) else sheet_value(value)


# The ODS twin of DATE_TIME_FORMAT: a date style and the cell style that uses it.
_ODS_DATE_STYLE = (
    '<number:date-style style:name="N_date_time" number:automatic-order="false">'
    '<number:day number:style="long"/><number:text>/</number:text><number:month number:style="long"/>'
    '<number:text>/</number:text><number:year number:style="long"/><number:text> </number:text>'
    '<number:hours number:style="long"/><number:text>:</number:text><number:minutes number:style="long"/>'
    "</number:date-style>"
)
_ODS_DATE_CELL = (
    '<style:style style:name="ce_date_time" style:family="table-cell" style:data-style-name="N_date_time"/>'
)


def _ods(title: str, headers: Sequence[str], rows: Sequence[Sequence[Cell]]) -> bytes:
    from odfdo import Document, Table

    document = Document("spreadsheet")
    body = document.body
    body.clear()
    table = Table(printable(title[:31]))
    table.set_values([[ods_cell(h) for h in headers]] + [[ods_cell(v) for v in row] for row in rows])
    dated = [(x, y) for y, row in enumerate(rows, start=1) for x, v in enumerate(row) if isinstance(v, datetime)]
    if dated:
        document.insert_style(_ODS_DATE_STYLE, automatic=True)
        document.insert_style(_ODS_DATE_CELL, automatic=True)
        for coordinates in dated:
            cell = table.get_cell(coordinates)
            cell.style = "ce_date_time"
            table.set_cell(coordinates, cell)
    body.append(table)
    buffer = io.BytesIO()
    document.save(buffer)
    return buffer.getvalue()


def read_rows(path: Path) -> list[list[Any]]:
    """Read back the first sheet of an XLSX/ODS/CSV written by :func:`write_table` (used by tests)."""
    suffix = path.suffix.lower()
    if suffix == ".csv":
        text = path.read_bytes().decode("utf-8-sig")  # not read_text: a CR inside a cell is data
        return [[csv_value(v) for v in row] for row in csv.reader(io.StringIO(text), delimiter=";")]
    if suffix in {".xlsx", ".ods"}:
        from dpa_kit.safexml import read_ods, read_xlsx

        sheets = read_xlsx(path) if suffix == ".xlsx" else read_ods(path)
        if not sheets:
            raise UsageError(f"{path} : aucune feuille")
        return next(iter(sheets.values()))
    raise UsageError(f"{path} : format non lu")
