"""Every check rule: a convention that breaks it and one that does not; output, waivers, exit codes."""

from __future__ import annotations

import copy
import json
from pathlib import Path

import pytest
import yaml
from conftest import ADIL, BETHUNE, REGISTERS, REPO
from helpers import run, write

from dpa_kit.checks import CHECKS, check_conventions
from dpa_kit.loader import load_convention
from dpa_kit.rules import CONVENTION, FINDINGS_JSON_SCHEMA, RULES, rule_table_markdown, rules

BASE = yaml.safe_load(ADIL.read_text(encoding="utf-8"))
DELETE = object()


def patched(patch: dict) -> dict:
    data = copy.deepcopy(BASE)

    def apply(target: dict, changes: dict) -> None:
        for key, value in changes.items():
            if value is DELETE:
                target.pop(key, None)
            elif isinstance(value, dict) and isinstance(target.get(key), dict):
                apply(target[key], value)
            else:
                target[key] = value

    apply(data, patch)
    return data


def codes_for(tmp_path: Path, data: dict, name: str = "c.yaml") -> dict[str, list]:
    path = tmp_path / name
    path.write_text(yaml.safe_dump(data, allow_unicode=True, sort_keys=False), encoding="utf-8")
    report = check_conventions([load_convention(path)])
    found: dict[str, list] = {}
    for finding in report.findings:
        found.setdefault(finding.code, []).append(finding)
    return found


SUB_US = {"name": "Cloud Inc", "activities": ["hébergement"], "country": "US"}
ALWAYS = sorted(
    m.id for m in __import__("dpa_kit.security", fromlist=["x"]).load_catalogue().measures if m.applies == "always"
)
HOSTED_HEALTH = {
    "processing": {"sensitive_data": ["health"]},
    "subprocessing": {
        "option": "B",
        "authorised_activities": ["hébergement"],
        "subprocessors": [{"name": "H", "country": "FR", "activities": ["hébergement"]}],
    },
}
CASES = {
    "C101": ({"processing": {"service": None}}, {"processing": {"service": "Accueil."}}),
    "C102": ({"processing": {"operations": ""}}, {}),
    "C103": ({"processing": {"purposes": []}}, {}),
    "C104": ({"processing": {"data_categories": []}}, {}),
    "C105": ({"processing": {"data_subjects": [" "]}}, {}),
    "C106": ({"subprocessing": {"option": None}}, {}),
    "C107": (
        {"subprocessing": {"objection_period": None}},
        {"subprocessing": {"option": "B", "objection_period": None, "authorised_activities": ["hébergement"]}},
    ),
    "C108": (
        {"subprocessing": {"option": "B", "authorised_activities": []}},
        {"subprocessing": {"option": "B", "authorised_activities": ["hébergement"]}},
    ),
    "C109": ({"security": {"option": None}}, {}),
    "C110": ({"security": {"option": 2}}, {"security": {"option": 2, "annex": "Annexe 4"}}),
    "C111": ({"data_fate": {"action": None}}, {}),
    "C112": (
        {"data_fate": {"action": "return_to_third_party"}},
        {"data_fate": {"action": "return_to_third_party", "third_party": "ADIL 59"}},
    ),
    "C113": ({"notifications": {"breach_address": "Delegue.Protection.Donnees(at)pasdecalais.fr"}}, {}),
    "C114": ({"notifications": {"rights_requests_address": None}}, {}),
    "C115": ({"processor": {"dpo": DELETE}}, {"processor": {"dpo": {"name": "M. X", "email": "dpo@adil.fr"}}}),
    "C116": ({"processor": {"name": None}}, {}),
    "C117": ({"processor": {"siret": DELETE}}, {}),
    "C118": ({"period": {"start": DELETE}}, {}),
    "C119": ({"period": {"end": DELETE}}, {}),
    "P201": (
        {"processing": {"data_subjects": ["Nom de la structure"]}},
        {"processing": {"data_subjects": ["usagers de la structure"]}},
    ),
    "K301": (
        {"subprocessing": {"subprocessors": [SUB_US]}},
        {
            "subprocessing": {"subprocessors": [SUB_US]},
            "transfers": [
                {"country": "US", "recipient": "Cloud Inc", "safeguards": "clauses contractuelles types 2021/914"}
            ],
        },
    ),
    "K308": (
        {"transfers": [{"country": "US", "recipient": "Cloud Inc", "safeguards": "n/a"}]},
        {
            "transfers": [
                {"country": "US", "recipient": "Cloud Inc", "safeguards": "clauses contractuelles types 2021/914"}
            ]
        },
    ),
    "C120": ({"processor": {"representative": {"name": None, "role": "Président"}}}, {}),
    # C121: with the security annex, the matrix states the split; only an annex without measures needs the text.
    "C121": (
        {
            "security": {
                "option": 2,
                "annex": "Annexe 4",
                "annex_measures": {"measures": {m: {"exclude": True, "reason": "r"} for m in ALWAYS}},
            }
        },
        {"security": {"option": 2, "annex": "Annexe 4"}},
    ),
    "C122": (
        {"transfers": [{"country": "US", "safeguards": "clauses contractuelles types"}]},
        {"transfers": [{"country": "US", "recipient": "Cloud Inc", "safeguards": "clauses contractuelles types"}]},
    ),
    "R405": (
        {
            "processing": {"sensitive_data": ["health"]},
            "transfers": [{"country": "US", "recipient": "Cloud Inc", "safeguards": "clauses contractuelles types"}],
        },
        {
            "processing": {"sensitive_data": ["health"]},
            "transfers": [{"country": "CH", "recipient": "Cloud SA", "safeguards": "décision d'adéquation"}],
        },
    ),
    "R406": (
        {"subprocessing": {"option": "B", "authorised_activities": ["hébergement"]}},
        {
            "subprocessing": {
                "option": "B",
                "authorised_activities": ["hébergement"],
                "subprocessors": [{"name": "Hébergeur Nord", "country": "FR", "activities": ["hébergement"]}],
            }
        },
    ),
    "R407": (
        {"processing": {"sensitive_data": ["health"]}},
        {"processing": {"sensitive_data": ["health"]}, "processor": {"dpo": {"name": "M. X", "email": "dpo@adil.fr"}}},
    ),
    "K302": (
        {"transfers": [{"country": "US", "recipient": "Cloud Inc"}]},
        {"transfers": [{"country": "US", "recipient": "Cloud Inc", "safeguards": "DPF"}]},
    ),
    "K303": (
        {
            "subprocessing": {
                "option": "B",
                "authorised_activities": ["hébergement"],
                "subprocessors": [{"name": "X", "activities": ["envoi de SMS"], "country": "FR"}],
            }
        },
        {
            "subprocessing": {
                "option": "B",
                "authorised_activities": ["hébergement"],
                "subprocessors": [{"name": "X", "activities": ["Hébergement."], "country": "FR"}],
            }
        },
    ),
    "K304": ({"notifications": {"breach_delay_hours": 48}}, {"notifications": {"breach_delay_hours": 24}}),
    "K305": ({"notifications": {"breach_delay_hours": 96}}, {"notifications": {"breach_delay_hours": 72}}),
    "K306": (
        {
            "subprocessing": {
                "subprocessors": [{"name": "X", "country": "FR", "activities": ["a"], "contract_end": "2026-06-30"}]
            }
        },
        {
            "subprocessing": {
                "subprocessors": [{"name": "X", "country": "FR", "activities": ["a"], "contract_end": "2027-06-30"}]
            }
        },
    ),
    "K307": (
        {"subprocessing": {"option": None, "subprocessors": [{"name": "X", "country": "FR"}]}},
        {"subprocessing": {"option": "A", "subprocessors": [{"name": "X", "country": "FR"}]}},
    ),
    "R401": (
        {"processing": {"sensitive_data": ["health"]}},
        {"processing": {"sensitive_data": ["health"]}, "security": {"option": 2, "annex": "Annexe 4"}},
    ),
    "R402": (
        {"processing": {"data_categories": ["noms", "situation de handicap"]}},
        {
            "processing": {"data_categories": ["noms", "situation de handicap"], "sensitive_data": ["health"]},
            "security": {"option": 2, "annex": "A4"},
        },
    ),
    "R403": (
        {"processing": {"operations": "saisie dans l'extranet du Département"}},
        {
            "processing": {"operations": "saisie dans l'extranet du Département"},
            "security": {"option": 2, "annex": "A4"},
        },
    ),
    "R404": (
        {"processing": {"sensitive_data": ["health"]}, "security": {"option": 2, "annex": "A4"}},
        {"processing": {"sensitive_data": ["health"], "dpia": {"date": "2025-11-15", "reference": "AIPD-7"}}},
    ),
    "W001": (
        {"waivers": {"Z999": "parce que"}},
        {"waivers": {"R403": "le Département fournit l'extranet, option 1 maintenue"}},
    ),
    # security annex of option 2 (issue 17)
    "S701": (
        {"security": {"option": 2, "annex": "A4", "annex_measures": {"measures": {"CNIL-06": {"exclude": True}}}}},
        {
            "security": {
                "option": 2,
                "annex": "A4",
                "annex_measures": {"measures": {"CNIL-06": {"exclude": True, "reason": "postes du Département"}}},
            }
        },
    ),
    "S702": (
        {
            "security": {
                "option": 2,
                "annex": "A4",
                "annex_measures": {"added": [{"id": "LOC-1", "title": "Coffre", "text": "Un coffre."}]},
            }
        },
        {
            "security": {
                "option": 2,
                "annex": "A4",
                "annex_measures": {
                    "added": [{"id": "LOC-1", "title": "Coffre", "text": "Un coffre.", "responsible": "structure"}]
                },
            }
        },
    ),
    "S703": (
        {
            "security": {
                "option": 2,
                "annex": "A4",
                "annex_measures": {"measures": {m: {"exclude": True, "reason": "r"} for m in ALWAYS}},
            }
        },
        {
            "security": {
                "option": 2,
                "annex": "A4",
                "annex_measures": {"measures": {m: {"exclude": True, "reason": "r"} for m in ALWAYS[1:]}},
            }
        },
    ),
    "S704": (
        {**HOSTED_HEALTH, "security": {"option": 2, "annex": "A4"}},
        {
            **HOSTED_HEALTH,
            "security": {"option": 2, "annex": "A4", "certification": "la certification HDS de l'hébergeur"},
        },
    ),
    "S705": (
        {"security": {"option": 2, "annex": "A4", "annex_measures": {"measures": {"CNIL-99": {"note": "x"}}}}},
        {"security": {"option": 2, "annex": "A4", "annex_measures": {"measures": {"CNIL-05": {"note": "x"}}}}},
    ),
    "S706": (
        {
            "security": {
                "option": 2,
                "annex": "A4",
                "annex_measures": {"added": [{"id": "LOC-1", "title": "Coffre", "responsible": "both"}]},
            }
        },
        {
            "security": {
                "option": 2,
                "annex": "A4",
                "annex_measures": {"added": [{"id": "CNIL-24", "responsible": "both"}]},
            }
        },
    ),
    "S708": (
        {"security": {"option": 2, "annex": "A4", "annex_measures": {"measures": {"CNIL-24": {"note": "x"}}}}},
        {
            "security": {
                "option": 2,
                "annex": "A4",
                "annex_measures": {"measures": {"CNIL-24": {"note": "x"}}, "added": [{"id": "CNIL-24"}]},
            }
        },
    ),
    "S707": (
        {"security": {"option": 1, "annex_measures": {"measures": {"CNIL-05": {"note": "x"}}}}},
        {"security": {"option": 1}},
    ),
}


def test_every_convention_rule_has_a_case_and_an_implementation() -> None:
    assert set(CASES) == {r.code for r in rules(CONVENTION)} == set(CHECKS)


@pytest.mark.parametrize("code", sorted(CASES))
def test_rule_breaks_and_passes(tmp_path: Path, code: str) -> None:
    breaking, passing = CASES[code]
    found = codes_for(tmp_path, patched(breaking))
    assert code in found, f"{code} not raised; got {sorted(found)}"
    finding = found[code][0]
    assert finding.message and finding.file.endswith("c.yaml")
    assert code not in codes_for(tmp_path, patched(passing), "ok.yaml")


def test_findings_carry_file_line_and_field(tmp_path: Path) -> None:
    found = codes_for(tmp_path, patched({"notifications": {"breach_delay_hours": 96}}))
    finding = found["K305"][0]
    assert finding.field == "notifications.breach_delay_hours"
    text = (tmp_path / "c.yaml").read_text().splitlines()
    assert "breach_delay_hours: 96" in text[finding.line - 1]


def test_the_examples_pass_with_no_error() -> None:
    result = run("check", REGISTERS)
    assert result.exit_code == 0, result.output
    assert " 0 erreur(s), 0 avertissement(s)" in result.stdout


def test_folder_rules_duplicate_id_and_siret_under_two_names(tmp_path: Path) -> None:
    write(tmp_path / "a.yaml", yaml.safe_dump(patched({}), allow_unicode=True))
    write(tmp_path / "b.yaml", yaml.safe_dump(patched({"processor": {"name": "Autre nom"}}), allow_unicode=True))
    result = run("check", tmp_path, "--format", "json")
    assert result.exit_code == 1
    codes = {f["code"] for f in json.loads(result.stdout)}
    assert {"F501", "F502"} <= codes
    write(tmp_path / "b.yaml", yaml.safe_dump(patched({"id": "AUTRE"}), allow_unicode=True))
    codes = {f["code"] for f in json.loads(run("check", tmp_path, "--format", "json").stdout)}
    assert not {"F501", "F502"} & codes


def test_waiver_is_shown_and_does_not_fail(tmp_path: Path) -> None:
    data = patched(
        {
            "processing": {"operations": "saisie dans l'extranet"},
            "waivers": {"R403": "extranet en lecture seule, échanges très limités"},
        }
    )
    path = write(tmp_path / "c.yaml", yaml.safe_dump(data, allow_unicode=True))
    result = run("check", path, "--strict")
    assert result.exit_code == 0, result.output
    assert "R403" in result.stdout and "levée : extranet en lecture seule" in result.stdout
    findings = json.loads(run("check", path, "--format", "json").stdout)
    assert [f["waived"] for f in findings if f["code"] == "R403"] == [
        "extranet en lecture seule, échanges très limités"
    ]


def test_exit_codes_error_warning_strict_and_bad_input(tmp_path: Path) -> None:
    warn = write(
        tmp_path / "w" / "c.yaml",
        yaml.safe_dump(patched({"notifications": {"breach_delay_hours": 48}}), allow_unicode=True),
    )
    assert run("check", warn).exit_code == 0
    assert run("check", warn, "--strict").exit_code == 1
    error = write(
        tmp_path / "e" / "c.yaml", yaml.safe_dump(patched({"processing": {"service": None}}), allow_unicode=True)
    )
    result = run("check", error)
    assert result.exit_code == 1 and "erreur C101" in result.stdout
    bad = write(tmp_path / "b" / "c.yaml", "format: dpa-kit/1\nid: X\nsecurity: {option: 7}\n")
    result = run("check", bad, "--format", "json")
    assert result.exit_code == 2
    assert json.loads(result.stdout)[0]["code"] == "L001"
    assert run("check", tmp_path / "absent").exit_code == 2


def test_json_output_matches_its_schema(tmp_path: Path) -> None:
    import jsonschema

    data = patched({"processing": {"service": None, "data_categories": ["NIR"]}, "waivers": {"R402": "raison"}})
    path = write(tmp_path / "c.yaml", yaml.safe_dump(data, allow_unicode=True))
    write(tmp_path / "bad.yaml", "format: dpa-kit/1\nid: BAD\nperiod: {start: 2026-02-30}\n")
    findings = json.loads(run("check", tmp_path, "--format", "json").stdout)
    jsonschema.validate(findings, FINDINGS_JSON_SCHEMA)
    assert {"L001", "C101", "R402"} <= {f["code"] for f in findings}
    assert all(f["file"] for f in findings)
    assert path.exists()


def test_rules_command_lists_every_rule_and_the_readme_table_is_in_step() -> None:
    result = run("rules")
    for current in rules():
        assert current.code in result.stdout
    assert {r["code"] for r in json.loads(run("rules", "--format", "json").stdout)} == set(RULES)
    table = run("rules", "--format", "markdown").stdout.strip()
    assert table == rule_table_markdown()
    readme = (REPO / "README.md").read_text(encoding="utf-8")
    assert table in readme, "README rule table is stale: paste `dpa-kit rules --format markdown` into it"


# --- documents ----------------------------------------------------------------------------------


def _docx_of(tmp_path: Path) -> Path:
    result = run("annex", ADIL, "--format", "docx,md,pdf,odt", "-o", tmp_path)
    assert result.exit_code == 0
    return tmp_path / "2026-FSL-ADIL-NUMERO-VERT.annexe1.docx"


@pytest.mark.parametrize("fmt", ["docx", "odt", "pdf", "md"])
def test_a_produced_annex_passes_the_document_check(tmp_path: Path, fmt: str) -> None:
    _docx_of(tmp_path)
    document = tmp_path / f"2026-FSL-ADIL-NUMERO-VERT.annexe1.{fmt}"
    result = run("check", document, "--convention", ADIL)
    assert result.exit_code == 0, result.output


def test_document_edited_by_hand_is_caught(tmp_path: Path) -> None:
    from docx import Document

    docx = _docx_of(tmp_path)
    document = Document(str(docx))
    for paragraph in document.paragraphs:
        if "délai minimum de 3 mois" in paragraph.text:
            for run_ in paragraph.runs:
                run_.text = run_.text.replace("3 mois", "15 jours")
    document.add_paragraph("Le Département dispose d'un délai de [...] pour répondre.")
    edited = tmp_path / "edited.docx"
    document.save(str(edited))
    result = run("check", edited, "--convention", ADIL, "--format", "json")
    assert result.exit_code == 1
    findings = json.loads(result.stdout)
    codes = [f["code"] for f in findings]
    assert "D601" in codes  # the [...] left in
    modified = [f["message"] for f in findings if f["code"] == "D603"]
    assert len(modified) == 1 and "L'organisme peut faire appel à un sous-traitant" in modified[0]
    assert any(f["code"] == "D604" and "[...]" in f["message"] for f in findings)


def test_template_text_with_blanks_is_caught(tmp_path: Path) -> None:
    seed = REPO.parent / "shared" / "seeds" / "000_e37b75b9ee91e13a.txt"
    if seed.is_file():
        lines = seed.read_text(encoding="utf-8").splitlines()[775:930]
        text = "\n".join(lines)
    else:  # the shared folder is not part of a clone: a representative excerpt
        text = "Choisir l'une des deux options :\nOption A\nLe département dispose d'un délai minimum de [...].\n"
    doc = write(tmp_path / "modele.md", text)
    findings = json.loads(run("check", doc, "--format", "json").stdout)
    labels = " ".join(f["message"] for f in findings)
    assert "Choisir l'une des deux options" in labels and "[...]" in labels


def test_unreadable_document_is_exit_2(tmp_path: Path) -> None:
    bad = write(tmp_path / "x.docx", "not a zip")
    result = run("check", bad)
    assert result.exit_code == 2 and "illisible" in result.stderr


def test_one_catalogue_and_one_finding_type_for_every_scope(tmp_path: Path) -> None:
    from dpa_kit.exceptions import ConventionError, Problem
    from dpa_kit.rules import DOCUMENT, FOLDER, Finding

    assert {r.code for r in rules(FOLDER)} == {"F501", "F502"}
    assert {r.code for r in rules(DOCUMENT)} == {"D601", "D602", "D603", "D604", "L001"}
    assert all(r.title and r.explanation for r in rules())
    bad = write(tmp_path / "bad.yaml", "format: dpa-kit/1\nid: BAD\nperiod: {start: 2026-02-30}\n")
    with pytest.raises(ConventionError) as info:
        load_convention(bad)
    found = info.value.problems[0]
    assert Problem is Finding and isinstance(found, Finding)
    assert (found.code, found.severity.value, found.line, found.field) == ("L001", "error", 3, "period.start")
    assert str(found).startswith(f"{bad}, ligne 3 : Période d'application › début (period.start) : date impossible")


def test_option_1_with_a_hosting_subprocessor_is_a_risk(tmp_path: Path) -> None:
    sub = {"name": "Hébergeur Nord", "country": "FR", "activities": ["hébergement des dossiers"]}
    found = codes_for(tmp_path, patched({"subprocessing": {"subprocessors": [sub]}}))
    assert "R403" in found and found["R403"][0].field == "subprocessing.subprocessors[0].activities[0]"


def test_empty_safeguards_of_a_subprocessor_are_refused(tmp_path: Path) -> None:
    sub = {"name": "Hébergeur Nord", "country": "FR", "activities": ["hébergement"], "safeguards": "-"}
    assert "K308" in codes_for(tmp_path, patched({"subprocessing": {"subprocessors": [sub]}}))


# --- one verdict before signing ---------------------------------------------------------------------

INCOMPLETE = {"processor": {"siret": DELETE, "dpo": DELETE}, "period": DELETE}


def test_check_annex_build_and_status_give_the_same_verdict(tmp_path: Path) -> None:
    folder = tmp_path / "conv"
    folder.mkdir()
    (folder / "c.yaml").write_text(
        yaml.safe_dump(patched(INCOMPLETE), allow_unicode=True, sort_keys=False), encoding="utf-8"
    )
    checked = run("check", folder)
    assert checked.exit_code == 1 and "C117" in checked.stdout and "C115" in checked.stdout
    annexed = run("annex", folder / "c.yaml", "-o", tmp_path / "out", "--format", "md")
    assert annexed.exit_code == 1
    assert "n'est pas prête à signer" in annexed.stderr and "C117" in annexed.stderr and "--draft" in annexed.stderr
    assert not (tmp_path / "out").exists() or not list((tmp_path / "out").iterdir())
    built = run("build", folder, "-o", tmp_path / "built", "--format", "md")
    assert built.exit_code == 1 and not list((tmp_path / "built").glob("*.annexe1.md"))
    status = run("status", env={"DPA_KIT_REGISTERS": str(folder), "DPA_KIT_LEDGER": str(tmp_path / "l.sqlite")})
    assert "Conventions : 1 (0 prête(s) à signer)" in status.stdout
    drafted = run("annex", folder / "c.yaml", "-o", tmp_path / "draft", "--format", "md", "--draft")
    assert drafted.exit_code == 0
    assert (tmp_path / "draft" / f"{BASE['id']}.annexe1.md").read_text(encoding="utf-8").startswith("**PROJET")


def test_a_waived_error_no_longer_blocks_the_signature(tmp_path: Path) -> None:
    from dpa_kit.checks import verdict

    path = tmp_path / "c.yaml"
    data = patched({"processor": {"representative": {"name": None, "role": "Président"}}})
    path.write_text(yaml.safe_dump(data, allow_unicode=True, sort_keys=False), encoding="utf-8")
    assert not verdict(load_convention(path)).ready
    data["waivers"] = {"C120": "le représentant signe par délégation, nommé dans la convention"}
    path.write_text(yaml.safe_dump(data, allow_unicode=True, sort_keys=False), encoding="utf-8")
    assert verdict(load_convention(path)).ready


def test_every_blank_of_the_template_is_reported_by_a_rule() -> None:
    # A template blank that no rule reports would make `annex` refuse what `check` accepts.
    import re as _re

    from dpa_kit.checks import _TEMPLATE_LABELS_COVERED
    from dpa_kit.documents.markdown import packaged_templates

    source = (packaged_templates() / "annex1.md.j2").read_text(encoding="utf-8")
    labels = set(_re.findall(r'need\([^"]*?,\s*"([^"]+)"', source))
    uncovered = {label for label in labels if not label.startswith(_TEMPLATE_LABELS_COVERED)}
    # These are reported by C122 (no specific rule asks for them).
    assert uncovered == {"le nom du sous-traitant", "le pays de destination", "le destinataire du transfert"}


def test_a_word_changed_late_in_a_long_clause_is_reported_with_a_word_diff_and_its_paragraph(tmp_path: Path) -> None:
    from docx import Document

    docx = _docx_of(tmp_path)
    document = Document(str(docx))
    target = None
    for number, paragraph in enumerate(document.paragraphs, start=1):
        if "l'organisme demeure pleinement responsable devant le département" in paragraph.text:
            # Far past the first 115 characters of this clause.
            for run_ in paragraph.runs:
                run_.text = run_.text.replace("pleinement responsable", "partiellement responsable")
            target = number
    assert target is not None
    edited = tmp_path / "late.docx"
    document.save(str(edited))
    findings = json.loads(run("check", edited, "--convention", ADIL, "--format", "json").stdout)
    changed = [f for f in findings if f["code"] == "D603"]
    assert len(changed) == 1
    assert changed[0]["line"] == target and changed[0]["convention"] == "2026-FSL-ADIL-NUMERO-VERT"
    assert f"paragraphe {target} : clause modifiée" in changed[0]["message"]
    assert "« pleinement » remplacé par « partiellement »" in changed[0]["message"]
    assert not [f for f in findings if f["code"] == "D604"]


def test_a_removed_clause_and_an_edited_pdf_are_located(tmp_path: Path) -> None:
    # The PDF of a convention whose objection period differs, checked against the ADIL convention.
    data = yaml.safe_load(ADIL.read_text(encoding="utf-8"))
    data["subprocessing"]["objection_period"] = "15 jours"
    other = tmp_path / "other.yaml"
    other.write_text(yaml.safe_dump(data, allow_unicode=True, sort_keys=False), encoding="utf-8")
    assert run("annex", other, "--format", "pdf,md", "-o", tmp_path / "out").exit_code == 0
    pdf = tmp_path / "out" / "2026-FSL-ADIL-NUMERO-VERT.annexe1.pdf"
    findings = json.loads(run("check", pdf, "--convention", ADIL, "--format", "json").stdout)
    changed = [f for f in findings if f["code"] == "D603"]
    assert len(changed) == 1, findings
    assert "« 3 mois » remplacé par « 15 jours »" in changed[0]["message"]
    assert changed[0]["message"].startswith("page ")
    # A clause removed from the Markdown is reported as removed, with where the text resumes.
    md = tmp_path / "out" / "2026-FSL-ADIL-NUMERO-VERT.annexe1.md"
    lines = md.read_text(encoding="utf-8").splitlines()
    kept = [line for line in lines if "Il appartient au Département de fournir l'information" not in line]
    md.write_text("\n".join(kept), encoding="utf-8")
    findings = json.loads(run("check", md, "--convention", ADIL, "--format", "json").stdout)
    removed = [f["message"] for f in findings if f["code"] == "D603" and "supprimée" in f["message"]]
    assert len(removed) == 1 and "Il appartient au Département de fournir l'information" in removed[0]


def test_an_emptied_answer_is_one_edited_clause_and_the_next_clause_stays_found(tmp_path: Path) -> None:
    from docx import Document

    assert run("annex", BETHUNE, "--format", "docx", "-o", tmp_path).exit_code == 0
    docx = tmp_path / "2026-DPID-CCAS-BETHUNE-1.2.annexe1.docx"
    document = Document(str(docx))
    for paragraph in document.paragraphs:
        if " ".join(paragraph.text.split()).startswith("Les catégories de personnes concernées sont :"):
            for run_ in paragraph.runs[1:]:
                run_.text = ""
            paragraph.runs[0].text = "Les catégories de personnes concernées sont :"
    edited = tmp_path / "emptied.docx"
    document.save(str(edited))
    findings = json.loads(run("check", edited, "--convention", BETHUNE, "--format", "json").stdout)
    assert [f["code"] for f in findings if f["code"] in {"D602", "D603"}].count("D603") == 1
    assert "D602" in {f["code"] for f in findings}
    assert not [f for f in findings if "supprimée" in f["message"]]
