"""The register as a spreadsheet a CCAS secretary can fill (XLSX, ODS), read back with cell-precise errors.

Sheets: « Structure » (the structure and its DPO, field/value), « Responsables » (each controller and its
DPO), « Traitements » (one row per category of processing), « Sous-traitants » and « Transferts » (one row
per item, linked to a processing by its reference), « Notice » (what each column means). Values that came
from the conventions are locked (XLSX sheet protection) and the cells still to fill are yellow. Export,
import, export gives the same register.
"""

from __future__ import annotations

import io
import math
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, datetime
from pathlib import Path
from typing import Any

from pydantic import ValidationError

from dpa_kit.exceptions import ConventionError, InputError, Problem, UsageError
from dpa_kit.model import FateAction, SensitiveData
from dpa_kit.register import SECURITY_HEADINGS, Register
from dpa_kit.tables import ods_cell, safe_cell, xlsx_cells_as_data

FATE_FR = {
    FateAction.destroy: "destruction",
    FateAction.return_to_controller: "renvoi au responsable",
    FateAction.return_to_third_party: "renvoi à un tiers",
}
SENSITIVE_FR = {s: s.label for s in SensitiveData}
#: Other words people write for a sensitive category (compared without accents or case).
SENSITIVE_SYNONYMS = {
    "santé": SensitiveData.health,
    "sante": SensitiveData.health,
    "médical": SensitiveData.health,
    "données médicales": SensitiveData.health,
    "handicap": SensitiveData.health,
    "origine": SensitiveData.racial_or_ethnic_origin,
    "origine ethnique": SensitiveData.racial_or_ethnic_origin,
    "opinions": SensitiveData.political_opinions,
    "religion": SensitiveData.religious_beliefs,
    "convictions religieuses": SensitiveData.religious_beliefs,
    "syndicat": SensitiveData.trade_union_membership,
    "génétique": SensitiveData.genetic,
    "biométrie": SensitiveData.biometric,
    "biométrique": SensitiveData.biometric,
    "orientation sexuelle": SensitiveData.sex_life,
    "vie sexuelle": SensitiveData.sex_life,
    "infractions": SensitiveData.offences_and_convictions,
    "condamnations": SensitiveData.offences_and_convictions,
    "casier judiciaire": SensitiveData.offences_and_convictions,
    "nir": SensitiveData.nir,
    "numéro de sécurité sociale": SensitiveData.nir,
    "sécurité sociale": SensitiveData.nir,
}
TO_FILL = "FFF2CC"  # pale yellow: a cell the structure must fill


@dataclass(frozen=True)
class Column:
    header: str
    key: str
    note: str
    kind: str = "text"  # text | list | date | fate | sensitive | int
    required: bool = False
    from_convention: bool = True


STRUCTURE_FIELDS = [
    ("Nom", "name"),
    ("Nom court", "short_name"),
    ("SIRET", "siret"),
    ("Adresse", "address"),
    ("Représentant : nom", "representative.name"),
    ("Représentant : qualité", "representative.role"),
    ("DPO : nom", "dpo.name"),
    ("DPO : courriel", "dpo.email"),
    ("DPO : téléphone", "dpo.phone"),
    ("DPO : adresse", "dpo.address"),
    ("Version du registre", "@version"),
    ("Mis à jour le", "@updated"),
]
CONTROLLER_COLUMNS = [
    Column(
        "Responsable",
        "name",
        "Nom du responsable de traitement pour le compte duquel la structure agit.",
        required=True,
    ),
    Column("Adresse", "address", "Adresse du responsable de traitement."),
    Column("Représentant", "representative.name", "Nom du représentant du responsable."),
    Column("Qualité du représentant", "representative.role", "Qualité du représentant."),
    Column("Contact : courriel", "contact.email", "Adresse de contact du responsable."),
    Column("Contact : téléphone", "contact.phone", "Téléphone de contact du responsable."),
    Column("DPO : nom", "dpo.name", "Délégué à la protection des données du responsable."),
    Column("DPO : courriel", "dpo.email", "Courriel du DPO du responsable.", required=True),
    Column("DPO : téléphone", "dpo.phone", "Téléphone du DPO du responsable."),
]
PROCESSING_COLUMNS = [
    Column(
        "Réf.",
        "@ref",
        "Numéro de la ligne de traitement, repris dans les feuilles Sous-traitants et Transferts.",
        "int",
        True,
    ),
    Column(
        "Responsable", "@controller", "Nom du responsable (tel qu'écrit dans la feuille Responsables).", required=True
    ),
    Column(
        "Convention", "convention", "Identifiant de la convention (vide pour un traitement ajouté par la structure)."
    ),
    Column("Traitement", "name", "Nom de la catégorie de traitement.", required=True),
    Column("Début", "start", "Début de la période (JJ/MM/AAAA).", "date"),
    Column("Fin", "end", "Fin de la période (JJ/MM/AAAA).", "date"),
    Column("Finalités", "purposes", "Une finalité par ligne (Alt+Entrée pour aller à la ligne).", "list", True),
    Column("Catégories de données", "data_categories", "Une catégorie par ligne.", "list", True),
    Column(
        "Données sensibles",
        "sensitive_data",
        "Une par ligne, parmi : " + ", ".join(SENSITIVE_FR.values()) + ".",
        "sensitive",
    ),
    Column("Personnes concernées", "data_subjects", "Une catégorie par ligne.", "list", True),
    Column("Sort des données", "data_fate", "À choisir dans la liste : " + ", ".join(FATE_FR.values()) + ".", "fate"),
    *[
        Column(header, f"security.{key}", f"À décrire par la structure : {text}.", from_convention=False)
        for header, key, text in (
            (
                "Pseudonymisation et chiffrement",
                "pseudonymisation_encryption",
                SECURITY_HEADINGS["pseudonymisation_encryption"],
            ),
            (
                "Confidentialité, intégrité, disponibilité, résilience",
                "confidentiality_integrity_availability",
                SECURITY_HEADINGS["confidentiality_integrity_availability"],
            ),
            ("Rétablissement après incident", "restore_access", SECURITY_HEADINGS["restore_access"]),
            ("Tests réguliers des mesures", "regular_testing", SECURITY_HEADINGS["regular_testing"]),
        )
    ],
]
SUBPROCESSOR_COLUMNS = [
    Column("Réf. traitement", "@ref", "Réf. de la ligne de la feuille Traitements.", "int", True),
    Column("Sous-traitant", "name", "Nom du sous-traitant.", required=True),
    Column("Adresse", "address", "Adresse du sous-traitant."),
    Column(
        "Pays",
        "country",
        "Pays, en toutes lettres (France, Allemagne...) ou code ISO à deux lettres (FR, DE...).",
        "country",
    ),
    Column("Activités", "activities", "Une activité sous-traitée par ligne.", "list"),
]
TRANSFER_COLUMNS = [
    Column("Réf. traitement", "@ref", "Réf. de la ligne de la feuille Traitements.", "int", True),
    Column("Pays", "country", "Pays hors UE/EEE, en toutes lettres (États-Unis) ou code ISO (US).", "country", True),
    Column("Destinataire", "recipient", "Destinataire du transfert.", required=True),
    Column(
        "Garanties", "safeguards", "Garanties appropriées, ou documents qui les attestent (art. 49).", required=True
    ),
]
SHEETS = {
    "Responsables": CONTROLLER_COLUMNS,
    "Traitements": PROCESSING_COLUMNS,
    "Sous-traitants": SUBPROCESSOR_COLUMNS,
    "Transferts": TRANSFER_COLUMNS,
}


def _get(data: dict[str, Any], dotted: str) -> Any:
    value: Any = data
    for part in dotted.split("."):
        value = value.get(part) if isinstance(value, dict) else None
    return value


def _set(data: dict[str, Any], dotted: str, value: Any) -> None:
    parts = dotted.split(".")
    for part in parts[:-1]:
        data = data.setdefault(part, {})
    data[parts[-1]] = value


def _cell_out(column: Column, value: Any) -> Any:
    if value in (None, [], ""):
        return None
    if column.kind == "list":
        return "\n".join(value)
    if column.kind == "sensitive":
        return "\n".join(SENSITIVE_FR[SensitiveData(v)] for v in value)
    if column.kind == "fate":
        return FATE_FR[FateAction(value)]
    if column.kind == "country":
        from dpa_kit.countries import country_name

        return country_name(value)
    if column.kind == "date":
        return date.fromisoformat(value) if isinstance(value, str) else value
    return value


# --- export ---------------------------------------------------------------------------------------


def sheet_rows(register: Register) -> dict[str, list[list[Any]]]:
    """Every sheet's rows (header included), from the register."""
    data = register.model_dump(mode="json")
    structure: list[list[Any]] = [["Champ", "Valeur"]]
    for label, key in STRUCTURE_FIELDS:
        value = data.get(key[1:]) if key.startswith("@") else _get(data["processor"], key)
        if key == "@updated" and value:
            value = date.fromisoformat(value)
        structure.append([label, value])
    sheets: dict[str, list[list[Any]]] = {"Structure": structure}
    controllers: list[list[Any]] = [[c.header for c in CONTROLLER_COLUMNS]]
    processings: list[list[Any]] = [[c.header for c in PROCESSING_COLUMNS]]
    subprocessors: list[list[Any]] = [[c.header for c in SUBPROCESSOR_COLUMNS]]
    transfers: list[list[Any]] = [[c.header for c in TRANSFER_COLUMNS]]
    ref = 0
    for controller in data["controllers"]:
        controllers.append([_cell_out(c, _get(controller, c.key)) for c in CONTROLLER_COLUMNS])
        for processing in controller["processings"]:
            ref += 1
            row = []
            for column in PROCESSING_COLUMNS:
                if column.key == "@ref":
                    row.append(ref)
                elif column.key == "@controller":
                    row.append(controller["name"])
                else:
                    row.append(_cell_out(column, _get(processing, column.key)))
            processings.append(row)
            for sub in processing["subprocessors"]:
                subprocessors.append([ref] + [_cell_out(c, _get(sub, c.key)) for c in SUBPROCESSOR_COLUMNS[1:]])
            for transfer in processing["transfers"]:
                transfers.append([ref] + [_cell_out(c, _get(transfer, c.key)) for c in TRANSFER_COLUMNS[1:]])
    sheets.update(
        {
            "Responsables": controllers,
            "Traitements": processings,
            "Sous-traitants": subprocessors,
            "Transferts": transfers,
        }
    )
    return sheets


def notice_rows() -> list[list[str]]:
    rows = [["Feuille", "Colonne", "Explication"]]
    for sheet, columns in SHEETS.items():
        for column in columns:
            rows.append([sheet, column.header, column.note + (" Obligatoire." if column.required else "")])
    rows.append(
        [
            "",
            "",
            "Les cellules jaunes sont à compléter par la structure ; les cellules verrouillées viennent des "
            "conventions (corrigez la convention, pas le registre).",
        ]
    )
    return rows


def export_xlsx(register: Register) -> bytes:
    from openpyxl import Workbook
    from openpyxl.comments import Comment
    from openpyxl.styles import Alignment, Font, PatternFill, Protection
    from openpyxl.worksheet.datavalidation import DataValidation

    book = Workbook()
    book.remove(book.active)
    fill = PatternFill("solid", fgColor=TO_FILL)
    sheets = sheet_rows(register)
    for name, rows in sheets.items():
        sheet = book.create_sheet(name)
        columns = SHEETS.get(name)
        for row in rows:
            sheet.append([safe_cell(v) for v in row])  # openpyxl refuses a text XML cannot hold
        xlsx_cells_as_data(sheet)
        for index, cell in enumerate(sheet[1]):
            cell.font = Font(bold=True)
            if columns:
                cell.comment = Comment(columns[index].note, "dpa-kit")
        sheet.freeze_panes = "A2" if name != "Structure" else "B2"
        spare_rows = 50 if name != "Structure" else 0
        for row_index in range(2, len(rows) + 1 + spare_rows):
            for col_index in range(1, len(rows[0]) + 1):
                cell = sheet.cell(row=row_index, column=col_index)
                cell.alignment = Alignment(wrap_text=True, vertical="top")
                column = columns[col_index - 1] if columns else None
                from_convention = (
                    row_index <= len(rows)
                    and cell.value not in (None, "")
                    and ((column is None and col_index == 1) or (column is not None and column.from_convention))
                )
                cell.protection = Protection(locked=bool(from_convention))
                if (
                    row_index <= len(rows)
                    and cell.value in (None, "")
                    and (column is None or column.required or not column.from_convention)
                ):
                    cell.fill = fill
        for col_index in range(1, len(rows[0]) + 1):
            letter = sheet.cell(row=1, column=col_index).column_letter
            sheet.column_dimensions[letter].width = 18 if col_index == 1 else 34
        if name == "Traitements":
            fate_column = next(i for i, c in enumerate(PROCESSING_COLUMNS, start=1) if c.kind == "fate")
            letter = sheet.cell(row=1, column=fate_column).column_letter
            validation = DataValidation(
                type="list",
                formula1='"' + ",".join(FATE_FR.values()) + '"',
                allow_blank=True,
                errorTitle="Sort des données",
                error="Choisissez une valeur de la liste.",
            )
            validation.add(f"{letter}2:{letter}{len(rows) + spare_rows}")
            sheet.add_data_validation(validation)
            # sensitive data: a drop-down of the categories (the list is too long to be written inline, so it
            # lives in a hidden sheet); several values stay possible, one per line, hence no error alert
            sensitive_column = next(i for i, c in enumerate(PROCESSING_COLUMNS, start=1) if c.kind == "sensitive")
            letter = sheet.cell(row=1, column=sensitive_column).column_letter
            lists = book.create_sheet("Listes")
            for label in SENSITIVE_FR.values():
                lists.append([label])
            lists.sheet_state = "hidden"
            choices = DataValidation(
                type="list",
                formula1=f"=Listes!$A$1:$A${len(SENSITIVE_FR)}",
                allow_blank=True,
                showErrorMessage=False,
                promptTitle="Données sensibles",
                prompt="Choisissez dans la liste ; plusieurs : une par ligne (Alt+Entrée).",
            )
            choices.add(f"{letter}2:{letter}{len(rows) + spare_rows}")
            sheet.add_data_validation(choices)
        # print: landscape, as wide as the page, the header row repeated on every page
        sheet.page_setup.orientation = "landscape"
        sheet.page_setup.fitToWidth = 1
        sheet.page_setup.fitToHeight = 0
        sheet.sheet_properties.pageSetUpPr.fitToPage = True
        sheet.print_title_rows = "1:1"
        sheet.protection.sheet = True
        sheet.protection.formatColumns = False
        sheet.protection.formatRows = False
    notice = book.create_sheet("Notice")
    for row in notice_rows():
        notice.append(row)
    xlsx_cells_as_data(notice)
    notice.column_dimensions["C"].width = 100
    buffer = io.BytesIO()
    book.save(buffer)
    return buffer.getvalue()


def export_ods(register: Register) -> bytes:
    """The same workbook as ODS: protected sheets, unlocked and yellow cells to fill, a list for the fate."""
    from xml.sax.saxutils import quoteattr

    from odfdo import Document, Element, Table

    document = Document("spreadsheet")
    body = document.body
    body.clear()
    # ODF cells are protected by default once their sheet is; these styles unlock the cells to fill.
    for name, colour in (("dpa_to_fill", f' fo:background-color="#{TO_FILL}"'), ("dpa_free", "")):
        document.insert_style(
            f'<style:style style:name="{name}" style:family="table-cell">'
            f'<style:table-cell-properties style:cell-protect="none"{colour}/></style:style>',
            automatic=True,
        )
    choices = ";".join(f"&quot;{label}&quot;" for label in FATE_FR.values())
    sensitive = ";".join(f"&quot;{label}&quot;" for label in SENSITIVE_FR.values())
    body.append(
        Element.from_tag(
            '<table:content-validations><table:content-validation table:name="dpa_fate" '
            f'table:condition="of:cell-content-is-in-list({choices})" table:allow-empty-cell="true" '
            'table:display-list="unsorted"><table:error-message table:display="true" table:message-type="stop">'
            f"<text:p>{quoteattr('Choisissez une valeur de la liste.')[1:-1]}</text:p></table:error-message>"
            "</table:content-validation>"
            # sensitive data: a list to choose from, several values still possible (one per line): no error
            '<table:content-validation table:name="dpa_sensitive" '
            f'table:condition="of:cell-content-is-in-list({sensitive})" table:allow-empty-cell="true" '
            'table:display-list="unsorted"><table:error-message table:display="false"/>'
            "</table:content-validation></table:content-validations>"
        )
    )
    for name, rows in {**sheet_rows(register), "Notice": notice_rows()}.items():
        columns = SHEETS.get(name)
        spare = 50 if columns else 0
        width = len(rows[0])
        table = Table(name)
        table.set_values([[ods_cell(v) for v in row] for row in rows] + [[""] * width] * spare)
        for row_index in range(1, len(rows) + spare):
            if name == "Notice":
                break
            existing = row_index < len(rows)
            row = rows[row_index] if existing else [None] * width
            for col_index, value in enumerate(row):
                column = columns[col_index] if columns else None
                empty = value in (None, "")
                # The Structure sheet (no column model): labels locked, values editable.
                locked = col_index == 0 if column is None else existing and not empty and column.from_convention
                if locked:
                    continue
                cell = table.get_cell((col_index, row_index))
                to_fill = existing and empty and (column is None or column.required or not column.from_convention)
                cell.style = "dpa_to_fill" if to_fill else "dpa_free"
                if column is not None and column.kind == "fate":
                    cell.set_attribute("table:content-validation-name", "dpa_fate")
                if column is not None and column.kind == "sensitive":
                    cell.set_attribute("table:content-validation-name", "dpa_sensitive")
                table.set_cell((col_index, row_index), cell)
        if name == "Traitements":
            fate_index = next(i for i, c in enumerate(PROCESSING_COLUMNS) if c.kind == "fate")
            for row_index in range(1, len(rows)):
                cell = table.get_cell((fate_index, row_index))
                cell.set_attribute("table:content-validation-name", "dpa_fate")
                table.set_cell((fate_index, row_index), cell)
        if name != "Notice":
            table.set_attribute("table:protected", "true")
        body.append(table)
    buffer = io.BytesIO()
    document.save(buffer)
    return buffer.getvalue()


# --- import ---------------------------------------------------------------------------------------


def _plain(text: str) -> str:
    """Lower case, no accents, single spaces: how words typed in a cell are compared."""
    import unicodedata

    decomposed = unicodedata.normalize("NFD", text.strip().lower().replace("_", " "))
    return " ".join("".join(c for c in decomposed if not unicodedata.combining(c)).split())


def _country_code(text: str) -> str | None:
    """The ISO code of a country written as a code (« us ») or by its French name (« États-Unis »)."""
    from dpa_kit.countries import COUNTRY_NAMES_FR, country_name

    if text.upper() in COUNTRY_NAMES_FR:
        return text.upper()
    wanted = _plain(text)
    for code in _ALL_CODES:
        if _plain(country_name(code)) == wanted:
            return code
    return None


_ALL_CODES = [a + b for a in "ABCDEFGHIJKLMNOPQRSTUVWXYZ" for b in "ABCDEFGHIJKLMNOPQRSTUVWXYZ"]


def _column_letter(index: int) -> str:
    letters = ""
    index += 1
    while index:
        index, remainder = divmod(index - 1, 26)
        letters = chr(65 + remainder) + letters
    return letters


def read_workbook(path: Path) -> dict[str, list[list[Any]]]:
    """Every sheet of an XLSX or ODS file as rows of values (within the bounds of :mod:`dpa_kit.safexml`)."""
    from dpa_kit.safexml import read_ods, read_xlsx

    suffix = path.suffix.lower()
    if not path.is_file():
        raise UsageError(f"{path} : fichier introuvable")
    if suffix not in {".xlsx", ".ods"}:
        raise UsageError(f"{path} : format non pris en charge (xlsx ou ods)")
    try:
        return read_xlsx(path) if suffix == ".xlsx" else read_ods(path)
    except InputError:
        raise
    except Exception as exc:  # any failure of the spreadsheet libraries on a hostile file
        raise UsageError(f"{path} : classeur illisible ou endommagé ({type(exc).__name__})") from exc


class _Reader:
    def __init__(self, path: Path):
        self.path = path
        self.problems: list[Problem] = []

    def error(self, sheet: str, row: int, col: int, message: str) -> None:
        self.problems.append(
            Problem(self.path, None, None, f"feuille {sheet}, cellule {_column_letter(col)}{row} : {message}")
        )

    def cell(self, sheet: str, row: int, col: int, column: Column, raw: Any) -> Any:
        text = "" if raw is None else str(raw).strip()
        if text == "":
            if column.required:
                self.error(sheet, row, col, f"« {column.header} » est obligatoire ; {column.note}")
            return [] if column.kind in {"list", "sensitive"} else None
        if column.kind == "list":
            return [line.strip() for line in str(raw).splitlines() if line.strip()]
        if column.kind == "int":
            try:
                number = float(text)
            except ValueError:
                number = math.nan
            if not math.isfinite(number) or number != int(number) or abs(number) > 1_000_000_000:
                self.error(sheet, row, col, f"nombre entier attendu, trouvé « {text[:40]} »")
                return None
            return int(number)
        if column.kind == "date":
            return self.date(sheet, row, col, raw)
        if column.kind == "fate":
            for fate, label in FATE_FR.items():
                if text.lower() in {label, fate.value}:
                    return fate.value
            self.error(
                sheet, row, col, f"valeur « {text} » non reconnue ; valeurs possibles : {', '.join(FATE_FR.values())}"
            )
            return None
        if column.kind == "country":
            code = _country_code(text)
            if code is None:
                self.error(
                    sheet,
                    row,
                    col,
                    f"pays « {text} » non reconnu : écrivez son nom (Allemagne, États-Unis) "
                    "ou son code ISO à deux lettres (DE, US)",
                )
            return code
        if column.kind == "sensitive":
            values = []
            by_label = {_plain(label): code.value for code, label in SENSITIVE_FR.items()}
            by_label.update({_plain(word): code.value for word, code in SENSITIVE_SYNONYMS.items()})
            by_label.update({_plain(code.value): code.value for code in SensitiveData})
            for line in str(raw).splitlines():
                key = _plain(line)
                if not key:
                    continue
                code = by_label.get(key)
                if code is None:
                    self.error(
                        sheet,
                        row,
                        col,
                        f"donnée sensible « {line.strip()} » non reconnue ; valeurs possibles : "
                        f"{', '.join(SENSITIVE_FR.values())}",
                    )
                else:
                    values.append(code)
            return values
        return text

    def siret(self, row: int, raw: Any) -> None:
        """Check the structure's SIRET where it is written (cell B of its row)."""
        from pydantic import TypeAdapter

        from dpa_kit.model import Siret

        try:
            TypeAdapter(Siret).validate_python(str(raw))
        except ValidationError as exc:
            message = str(exc.errors()[0].get("ctx", {}).get("error") or exc.errors()[0]["msg"])
            self.error("Structure", row, 1, message)

    def date(self, sheet: str, row: int, col: int, raw: Any) -> str | None:
        if isinstance(raw, datetime):
            return raw.date().isoformat()
        if isinstance(raw, date):
            return raw.isoformat()
        text = str(raw).strip()
        for pattern in ("%Y-%m-%d", "%d/%m/%Y"):
            try:
                return datetime.strptime(text, pattern).date().isoformat()
            except ValueError:
                continue
        self.error(sheet, row, col, f"date attendue au format JJ/MM/AAAA, trouvé « {text} »")
        return None


def _table(reader: _Reader, sheets: dict[str, list[list[Any]]], name: str) -> list[tuple[int, dict[str, Any]]]:
    columns = SHEETS[name]
    rows = sheets.get(name)
    if rows is None:
        reader.problems.append(
            Problem(reader.path, None, None, f"feuille « {name} » absente : repartez du fichier exporté par dpa-kit")
        )
        return []
    header = [str(v).strip() if v is not None else "" for v in (rows[0] if rows else [])]
    expected = [c.header for c in columns]
    if header[: len(expected)] != expected:
        reader.problems.append(
            Problem(
                reader.path,
                None,
                None,
                f"feuille {name}, ligne 1 : en-têtes modifiés ; attendu : {', '.join(expected)}",
            )
        )
        return []
    out = []
    for row_number, row in enumerate(rows[1:], start=2):
        values = list(row) + [None] * (len(columns) - len(row))
        if all(v in (None, "") for v in values[: len(columns)]):
            continue
        data: dict[str, Any] = {}
        for col, column in enumerate(columns):
            data[column.key] = reader.cell(name, row_number, col, column, values[col])
        out.append((row_number, data))
    return out


def import_sheets(path: Path) -> Register:
    """Read a completed spreadsheet back into a register; every problem names its sheet and cell."""
    sheets = read_workbook(path)
    reader = _Reader(path)
    processor: dict[str, Any] = {}
    register: dict[str, Any] = {"format": "dpa-kit-register/1", "processor": processor, "controllers": []}
    structure = sheets.get("Structure")
    if structure is None:
        raise ConventionError(
            [Problem(path, None, None, "feuille « Structure » absente : repartez du fichier exporté par dpa-kit")]
        )
    labels = {label: key for label, key in STRUCTURE_FIELDS}
    for row_number, row in enumerate(structure[1:], start=2):
        if not row or row[0] in (None, ""):
            continue
        key = labels.get(str(row[0]).strip())
        value = row[1] if len(row) > 1 else None
        if key is None:
            reader.error("Structure", row_number, 0, f"champ « {row[0]} » inconnu")
            continue
        if value in (None, ""):
            continue
        if key == "siret":
            reader.siret(row_number, value)
        if key == "@version":
            version = reader.cell("Structure", row_number, 1, Column("Version", "version", "", "int"), value)
            if isinstance(version, int) and version < 1:
                reader.error("Structure", row_number, 1, f"numéro de version à partir de 1, trouvé « {version} »")
            register["version"] = version
        elif key == "@updated":
            register["updated"] = reader.date("Structure", row_number, 1, value)
        else:
            _set(processor, key, str(value).strip())
    controllers: dict[str, dict[str, Any]] = {}
    for _, data in _table(reader, sheets, "Responsables"):
        controller: dict[str, Any] = {"processings": []}
        for column in CONTROLLER_COLUMNS:
            if data[column.key] not in (None, []):
                _set(controller, column.key, data[column.key])
        controllers[controller.get("name", "")] = controller
        register["controllers"].append(controller)
    by_ref: dict[int, dict[str, Any]] = {}
    for row_number, data in _table(reader, sheets, "Traitements"):
        owner = controllers.get(data["@controller"] or "")
        if owner is None:
            reader.error(
                "Traitements", row_number, 1, f"responsable « {data['@controller']} » absent de la feuille Responsables"
            )
            continue
        processing: dict[str, Any] = {"subprocessors": [], "transfers": []}
        for column in PROCESSING_COLUMNS[2:]:
            if data[column.key] is not None:
                _set(processing, column.key, data[column.key])
        if data["@ref"] in by_ref:
            reader.error("Traitements", row_number, 0, f"référence {data['@ref']} en double")
        by_ref[data["@ref"]] = processing
        owner["processings"].append(processing)
    for name, key, columns in (
        ("Sous-traitants", "subprocessors", SUBPROCESSOR_COLUMNS),
        ("Transferts", "transfers", TRANSFER_COLUMNS),
    ):
        for row_number, data in _table(reader, sheets, name):
            target = by_ref.get(data["@ref"])
            if target is None:
                reader.error(
                    name,
                    row_number,
                    0,
                    f"la référence {data['@ref']} ne correspond à aucune ligne de la feuille Traitements",
                )
                continue
            target[key].append({c.key: data[c.key] for c in columns[1:] if data[c.key] not in (None, [])})
    if reader.problems:
        raise ConventionError(reader.problems)
    try:
        return Register.model_validate(register)
    except ValidationError as exc:  # what the cells could not tell: said in French, by sheet
        from dpa_kit.loader import _message_fr

        sheets_of = {
            "processor": "Structure",
            "controllers": "Responsables",
            "version": "Structure",
            "updated": "Structure",
        }
        raise ConventionError(
            [
                Problem(
                    path,
                    None,
                    None,
                    f"feuille {sheets_of.get(str(e['loc'][0]), 'Traitements')} : "
                    f"{_message_fr(dict(e), tuple(e['loc']), Register)}",
                )
                for e in exc.errors(include_url=False)
            ]
        ) from exc


EXPORTERS: dict[str, Callable[[Register], bytes]] = {"xlsx": export_xlsx, "ods": export_ods}


def csv_rows(register: Register) -> tuple[list[str], list[list[Any]]]:
    """One row per processing category, sub-processors and transfers flattened (stable order)."""
    sheets = sheet_rows(register)
    header = sheets["Traitements"][0] + ["Sous-traitants", "Transferts hors UE"]
    subs: dict[int, list[str]] = {}
    for row in sheets["Sous-traitants"][1:]:  # « Nom (Pays) », the country by its French name
        name, country = row[1] or "sans nom", row[3]
        subs.setdefault(row[0], []).append(f"{name} ({country})" if country else str(name))
    transfers: dict[int, list[str]] = {}
    for row in sheets["Transferts"][1:]:  # « Destinataire (Pays), garanties : ... »
        country, recipient, safeguards = row[1], row[2] or "destinataire non précisé", row[3]
        text = f"{recipient} ({country})" if country else str(recipient)
        transfers.setdefault(row[0], []).append(f"{text}, garanties : {safeguards}" if safeguards else text)
    rows = []
    for row in sheets["Traitements"][1:]:
        rows.append(
            [v.isoformat() if isinstance(v, date) else v for v in row]
            + [" ; ".join(subs.get(row[0], [])), " ; ".join(transfers.get(row[0], []))]
        )
    return header, rows


def export(register: Register, fmt: str, templates: Path | None = None) -> bytes:
    """The register in ``fmt``: xlsx, ods, csv, html, md or pdf."""
    if fmt in EXPORTERS:
        return EXPORTERS[fmt](register)
    if fmt == "csv":
        from dpa_kit.tables import table_bytes

        return table_bytes("csv", "Registre", *csv_rows(register))
    if fmt in {"html", "md", "pdf"}:
        from dpa_kit.documents.register_doc import register_document

        return register_document(register, fmt, templates)
    raise UsageError(f"format inconnu « {fmt} » : xlsx, ods, csv, html, md ou pdf")
