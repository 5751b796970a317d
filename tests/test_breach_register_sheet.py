"""The breach register as a spreadsheet the DPO sorts and filters: instants are date-time cells (Paris time),
counts and scores numbers, texts always texts (never formulas); CSV and HTML stay French text."""

from __future__ import annotations

import csv
import io
import subprocess
import zipfile
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
from lxml import etree

from dpa_kit import breach as breaches
from dpa_kit.breach_register import register_rows
from dpa_kit.ledger import Ledger
from dpa_kit.tables import Cell, table_bytes

AWARE = datetime(2026, 11, 28, 9, 0, tzinfo=UTC)  # 10:00 in Paris (winter time)
RECEIVED = datetime(2026, 11, 28, 21, 30, tzinfo=UTC)  # 22:30 in Paris
AWARE_PARIS = datetime(2026, 11, 28, 10, 0)
RECEIVED_PARIS = datetime(2026, 11, 28, 22, 30)
FORMULA = "=1+1"

_NS = {
    "table": "urn:oasis:names:tc:opendocument:xmlns:table:1.0",
    "office": "urn:oasis:names:tc:opendocument:xmlns:office:1.0",
    "style": "urn:oasis:names:tc:opendocument:xmlns:style:1.0",
    "number": "urn:oasis:names:tc:opendocument:xmlns:datastyle:1.0",
}


@pytest.fixture
def register(tmp_path: Path) -> tuple[list[str], list[list[Cell]]]:
    ledger = Ledger(tmp_path / "ledger.sqlite")
    breach = breaches.receive(
        ledger,
        convention_id="2026-DPID-CCAS-BETHUNE-1.2",
        structure="CCAS de Béthune",
        delay_hours=24,
        aware_at=AWARE,
        received_at=RECEIVED,
        details={
            "natures": ["confidentiality"],
            "description": FORMULA,
            "people": {"min": 200, "max": 200, "approximate": False},
            "records": {"min": 40, "max": 50, "approximate": True},
        },
    )
    breaches.record_severity(ledger, breach, breaches.assess(4, 0, "significant", "known", "none", "none", False), {})
    return register_rows(list(breaches.all_breaches(ledger).values()))


def _column(headers: list[str], name: str) -> int:
    return headers.index(name)


def test_the_register_rows_carry_instants_counts_and_the_score_as_values(
    register: tuple[list[str], list[list[Cell]]],
) -> None:
    headers, (row,) = register
    assert row[_column(headers, "Prise de connaissance")] == AWARE
    assert row[_column(headers, "Reçue par le Département le")] == RECEIVED
    assert row[_column(headers, "Personnes (approx.)")] == 200
    assert row[_column(headers, "Enregistrements (approx.)")] == "40 à 50"  # a range stays as said
    assert row[_column(headers, "Score de gravité (ENISA)")] == 3.25
    assert row[_column(headers, "Gravité (ENISA)")] == "élevée (3,25)"
    assert row[_column(headers, "Description")] == FORMULA


def test_the_xlsx_register_has_date_and_number_cells_and_keeps_texts_as_texts(
    register: tuple[list[str], list[list[Cell]]],
) -> None:
    from openpyxl import load_workbook

    headers, rows = register
    sheet = load_workbook(io.BytesIO(table_bytes("xlsx", "Registre", headers, rows))).active
    assert sheet is not None
    cells = {name: sheet.cell(row=2, column=index + 1) for index, name in enumerate(headers)}
    for name, expected in (("Prise de connaissance", AWARE_PARIS), ("Reçue par le Département le", RECEIVED_PARIS)):
        assert cells[name].is_date and cells[name].value == expected
        assert cells[name].number_format == "dd/mm/yyyy hh:mm"
    assert cells["Personnes (approx.)"].data_type == "n" and cells["Personnes (approx.)"].value == 200
    assert cells["Score de gravité (ENISA)"].data_type == "n" and cells["Score de gravité (ENISA)"].value == 3.25
    description = cells["Description"]
    assert description.data_type == "s" and description.value == FORMULA and description.quotePrefix
    assert cells["Enregistrements (approx.)"].data_type == "s"
    assert all(c.data_type == "s" for c in sheet[1])  # the header row


def test_the_ods_register_has_date_and_float_cells_and_keeps_texts_as_texts(
    register: tuple[list[str], list[list[Cell]]],
) -> None:
    headers, rows = register
    data = table_bytes("ods", "Registre", headers, rows)
    content = etree.fromstring(zipfile.ZipFile(io.BytesIO(data)).read("content.xml"))
    table_rows = content.findall(".//table:table-row", _NS)
    cells = table_rows[1].findall("table:table-cell", _NS)

    def attr(cell: Any, name: str) -> str | None:
        prefix, local = name.split(":")
        return cell.get(f"{{{_NS[prefix]}}}{local}")

    aware = cells[_column(headers, "Prise de connaissance")]
    assert attr(aware, "office:value-type") == "date"
    assert attr(aware, "office:date-value") == "2026-11-28T10:00:00"
    received = cells[_column(headers, "Reçue par le Département le")]
    assert attr(received, "office:date-value") == "2026-11-28T22:30:00"
    # shown as dd/mm/yyyy hh:mm: the cell's style names a date style of day/month/year hours:minutes
    style = content.find(f".//style:style[@style:name='{attr(aware, 'table:style-name')}']", _NS)
    assert style is not None
    date_style = content.find(f".//number:date-style[@style:name='{attr(style, 'style:data-style-name')}']", _NS)
    assert date_style is not None
    parts = [etree.QName(e).localname if etree.QName(e).localname != "text" else e.text for e in date_style]
    assert parts == ["day", "/", "month", "/", "year", " ", "hours", ":", "minutes"]
    people = cells[_column(headers, "Personnes (approx.)")]
    assert attr(people, "office:value-type") == "float" and attr(people, "office:value") == "200"
    score = cells[_column(headers, "Score de gravité (ENISA)")]
    assert attr(score, "office:value-type") == "float" and attr(score, "office:value") == "3.25"
    description = cells[_column(headers, "Description")]
    assert attr(description, "office:value-type") == "string" and attr(description, "table:formula") is None
    assert "".join(description.itertext()) == FORMULA


@pytest.mark.parametrize("fmt", ["csv", "html"])
def test_the_csv_and_html_register_show_french_text(register: tuple[list[str], list[list[Cell]]], fmt: str) -> None:
    headers, rows = register
    text = table_bytes(fmt, "Registre", headers, rows).decode("utf-8-sig")
    assert "28/11/2026 10:00" in text and "28/11/2026 22:30" in text and "3,25" in text
    assert "2026-11-28" not in text and "+00:00" not in text
    if fmt == "csv":
        assert ";'=1+1;" in text  # shown as text, never run


@pytest.mark.parametrize("fmt", ["xlsx", "ods"])
def test_libreoffice_reads_the_dates_as_dates_and_the_formula_as_text(
    register: tuple[list[str], list[list[Cell]]], tmp_path: Path, fmt: str
) -> None:
    from conftest import require_program

    soffice = require_program("soffice", "libreoffice")
    headers, rows = register
    source = tmp_path / f"registre.{fmt}"
    source.write_bytes(table_bytes(fmt, "Registre", headers, rows))
    converted = subprocess.run(
        [
            soffice,
            "--headless",
            f"-env:UserInstallation=file://{tmp_path}/lo",
            "--convert-to",
            "csv:Text - txt - csv (StarCalc):59,34,76,1,,0,false,true,true",
            "--outdir",
            str(tmp_path / "csv"),
            str(source),
        ],
        capture_output=True,
        timeout=180,
        check=False,
    )
    assert converted.returncode == 0, converted.stderr
    lines = (tmp_path / "csv" / "registre.csv").read_text(encoding="utf-8").splitlines()
    cells = next(iter(csv.reader(lines[1:], delimiter=";")))
    assert cells[_column(headers, "Prise de connaissance")] == "28/11/2026 10:00"  # the value, shown as formatted
    assert cells[_column(headers, "Reçue par le Département le")] == "28/11/2026 22:30"
    assert cells[_column(headers, "Description")] == FORMULA  # not « 2 »
    assert cells[_column(headers, "Personnes (approx.)")] == "200"


def test_the_register_export_is_one_library_call_for_both_edges(tmp_path: Path) -> None:
    """`export` writes every format of FORMATS under the register's title; the HTML page served under a CSP
    links to its stylesheet instead of carrying an inline style."""
    from dpa_kit.breach_register import FORMATS, TITLE, export

    ledger = Ledger(tmp_path / "ledger.sqlite")
    breaches.receive(
        ledger,
        convention_id="C",
        structure="S",
        delay_hours=24,
        aware_at=AWARE,
        received_at=RECEIVED,
        details={"natures": ["confidentiality"], "description": "courriel mal adressé"},
    )
    found = list(breaches.all_breaches(ledger).values())
    assert set(FORMATS) == {"csv", "xlsx", "ods", "html"}
    assert FORMATS["xlsx"].media_type.endswith("spreadsheetml.sheet") and FORMATS["csv"].name.startswith("CSV")
    assert export(found, "csv").decode("utf-8-sig").splitlines()[1].startswith(found[0].id)
    assert zipfile.ZipFile(io.BytesIO(export(found, "xlsx"))).testzip() is None
    page = export(found, "html").decode()
    assert f"<title>{TITLE}</title>" in page and "<style>" in page
    linked = export(found, "html", stylesheet="/static/register.css").decode()
    assert "<style>" not in linked and '<link rel="stylesheet" href="/static/register.css">' in linked
    assert "courriel mal adressé" in linked
