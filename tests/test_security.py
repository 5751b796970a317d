"""The « annexe Sécurité et Confidentialité » of option 2: catalogue, selection, personalisation, documents.

Regenerate the golden file on purpose (after reading the diff) with:
    .venv/bin/python tests/test_security.py --update-golden
"""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

import jinja2
import jinja2.meta
import pytest
from conftest import ADIL, BETHUNE, REPO, require_program
from helpers import run, write

from dpa_kit.documents.annex import render_markdown
from dpa_kit.documents.markdown import packaged_templates, parse_blocks, plain_text
from dpa_kit.exceptions import ConventionError, NotReady
from dpa_kit.loader import load_convention
from dpa_kit.model import Convention, Party
from dpa_kit.register import SECURITY_HEADINGS
from dpa_kit.security import (
    CONTEXT_FIELDS,
    SECURITY_TEMPLATE,
    load_catalogue,
    register_security,
    render_security,
    render_security_markdown,
    select,
    write_security_annex,
)
from dpa_kit.words import DRAFT_BANNER

GOLDEN = REPO / "tests" / "golden" / "security_annex_bethune.md"
ALWAYS = {m.id for m in load_catalogue().measures if m.applies == "always"}
PLATFORM = {"CNIL-09", "CNIL-10", "CNIL-11", "CNIL-22", "ANSSI-01"}


def bethune() -> Convention:
    return load_convention(BETHUNE).convention


def option_2(**changes: object) -> Convention:
    """The ADIL convention switched to security option 2, without sub-processor, then ``changes`` applied."""
    data = load_convention(ADIL).convention.model_dump(mode="json")
    data["security"] = {"option": 2, "annex": "Annexe 4 - Sécurité et Confidentialité"}
    data["subprocessing"] = {"option": "B", "authorised_activities": ["envoi de SMS"]}
    for key, value in changes.items():
        if isinstance(value, dict) and isinstance(data.get(key), dict):
            data[key] = {**data[key], **value}
        else:
            data[key] = value
    return Convention.model_validate(data)


def ids(convention: Convention) -> set[str]:
    return {m.id for m in select(convention).measures}


def text_of(convention: Convention, **kwargs: object) -> str:
    return plain_text(parse_blocks(render_security_markdown(convention, **kwargs)))


def matrix(convention: Convention) -> dict[str, list[str]]:
    """The responsibility matrix as the document's table gives it: measure -> title and one oui/non per party."""
    (table,) = [b for b in parse_blocks(render_security_markdown(convention)) if b.kind == "table"]
    cells = [["".join(run.text for run in cell) for cell in row] for row in table.rows]
    assert cells[0] == ["Mesure", "Intitulé", "Département", "Organisme", "Sous-traitant"]
    return {row[0]: row[1:] for row in cells[1:]}


# --- the catalogue ----------------------------------------------------------------------------------


def test_catalogue_covers_the_cnil_guide_the_scc_annex_and_every_condition() -> None:
    catalogue = load_catalogue()
    measures = catalogue.by_id()
    assert len(measures) == len(catalogue.measures)  # ids are unique
    assert sum(1 for m in measures if m.startswith("CNIL-")) == 25  # one per sheet of the 2024 guide
    assert {"CNIL-2024", "CCT-2021-915", "ANSSI-HYGIENE", "CSP-L1111-8"} <= set(catalogue.sources)
    conditions = {m.applies for m in catalogue.measures}
    assert conditions == {
        "always",
        "platform",
        "subprocessors",
        "special_categories",
        "transfers",
        "health_hosting",
        "on_request",
    }
    # Whatever the convention, the structure answers for a measure under each heading of its register.
    for heading in SECURITY_HEADINGS:
        assert any(
            heading in m.headings and Party.structure in m.responsible
            for m in catalogue.measures
            if m.applies == "always"
        ), heading


# Ids conventions already refer to (security.annex_measures): never remove or reuse one, add new ones.
PUBLISHED_IDS = {
    *(f"CNIL-{n:02d}" for n in range(1, 26)),
    "CCT-01",
    "CCT-02",
    "CCT-03",
    "CCT-04",
    "ANSSI-01",
    "ANSSI-02",
    "SEN-01",
    "HDS-01",
    "TRF-01",
}


def test_published_measure_ids_stay_in_the_catalogue() -> None:
    assert set(load_catalogue().by_id()) >= PUBLISHED_IDS


def test_no_placeholder_survives_in_a_complete_security_annex() -> None:
    from dpa_kit.placeholders import find_placeholders

    assert find_placeholders(render_security_markdown(bethune())) == []


def test_a_broken_catalogue_override_names_the_file_and_line(tmp_path: Path) -> None:
    source = (packaged_templates() / "security_measures.yaml").read_text(encoding="utf-8")
    broken = source.replace("    responsible: [structure]\n", "    responsible: [personne]\n", 1)
    write(tmp_path / "security_measures.yaml", broken)
    with pytest.raises(ConventionError) as caught:
        load_catalogue(tmp_path)
    problem = caught.value.problems[0]
    assert problem.file == tmp_path / "security_measures.yaml"
    assert "responsible" in (problem.field or "")
    assert "personne" in broken.splitlines()[problem.line - 1]


def test_a_catalogue_in_the_templates_folder_replaces_the_packaged_one(tmp_path: Path) -> None:
    source = (packaged_templates() / "security_measures.yaml").read_text(encoding="utf-8")
    write(tmp_path / "security_measures.yaml", source.replace("Sécuriser les postes de travail", "Durcir les postes"))
    text = text_of(bethune(), templates=tmp_path)
    assert "CNIL-06 Durcir les postes" in text
    assert "Sécuriser les postes de travail" not in text


# --- selection per convention -------------------------------------------------------------------------


CASES = {
    "nothing but the basics": ({}, set(), {"CNIL-20", "SEN-01", "HDS-01", "TRF-01", *PLATFORM}),
    "a sub-processor without platform": (
        {
            "subprocessing": {
                "option": "B",
                "authorised_activities": ["envoi de SMS"],
                "subprocessors": [{"name": "SMS SA", "country": "FR", "activities": ["envoi de SMS"]}],
            }
        },
        {"CNIL-20"},
        {"HDS-01", "TRF-01", *PLATFORM},
    ),
    "a hosting platform": (
        {
            "subprocessing": {
                "option": "B",
                "authorised_activities": ["hébergement du logiciel de suivi"],
                "subprocessors": [
                    {"name": "Hôte", "country": "FR", "activities": ["hébergement du logiciel de suivi"]}
                ],
            }
        },
        {"CNIL-20", *PLATFORM},
        {"SEN-01", "HDS-01", "TRF-01"},
    ),
    "health data, no third-party host": (
        {"processing": {"sensitive_data": ["health"]}},
        {"SEN-01"},
        {"HDS-01", *PLATFORM},
    ),
    "health data hosted by a sub-processor": (
        {
            "processing": {"sensitive_data": ["health"]},
            "subprocessing": {
                "option": "B",
                "authorised_activities": ["hébergement"],
                "subprocessors": [{"name": "Hôte", "country": "FR", "activities": ["hébergement"]}],
            },
        },
        {"SEN-01", "HDS-01", "CNIL-20", *PLATFORM},
        {"TRF-01"},
    ),
    "a transfer outside the EEA": (
        {"transfers": [{"country": "US", "recipient": "Éditeur", "safeguards": "clauses types 2021/914"}]},
        {"TRF-01"},
        {"HDS-01", *PLATFORM},
    ),
    "a sub-processor established outside the EEA": (
        {
            "subprocessing": {
                "option": "B",
                "authorised_activities": ["envoi de SMS"],
                "subprocessors": [
                    {
                        "name": "SMS Inc",
                        "country": "US",
                        "activities": ["envoi de SMS"],
                        "safeguards": "clauses types 2021/914",
                    }
                ],
            }
        },
        {"TRF-01", "CNIL-20"},
        {"HDS-01"},
    ),
}


@pytest.mark.parametrize("case", sorted(CASES))
def test_measures_follow_platform_subprocessors_health_data_and_transfers(case: str) -> None:
    changes, present, absent = CASES[case]
    selected = ids(option_2(**changes))
    assert selected >= ALWAYS
    assert present <= selected, present - selected
    assert not absent & selected, absent & selected
    assert not selected & {"CNIL-23", "CNIL-24", "CNIL-25"}  # only when the parties add them


def test_without_sub_processor_its_share_falls_to_the_structure() -> None:
    selection = select(option_2())
    assert not selection.responsible_for(Party.subprocessor)
    backups = next(m for m in selection.measures if m.id == "CNIL-16")
    assert backups.parties == (Party.structure,)
    assert matrix(option_2())["CNIL-16"] == ["Sauvegarder les données", "non", "oui", "non"]


def test_bethune_is_option_2_with_health_data_on_a_hosting_sub_processor() -> None:
    convention = bethune()
    assert convention.security.option == 2
    selection = select(convention)
    assert {"HDS-01", "SEN-01", *PLATFORM} <= {m.id for m in selection.measures}
    assert [e.id for e in selection.excluded] == ["CNIL-07"]


# --- personalisation ------------------------------------------------------------------------------


PERSONALISED = {
    "annex_measures": {
        "version_date": "2026-02-15",
        "measures": {
            "CNIL-06": {"exclude": True, "reason": "les agents n'utilisent que les postes du Département"},
            "CNIL-05": {"responsible": "departement", "note": "revue trimestrielle des comptes de l'extranet"},
        },
        "added": [
            {"id": "CNIL-24", "note": "aucun outil d'IA autorisé à ce jour"},
            {
                "id": "LOC-01",
                "title": "Coffre-fort des dossiers papier",
                "text": "Les dossiers papier sont rangés au coffre.",
                "responsible": "structure",
            },
        ],
    }
}


def test_excluded_changed_noted_and_added_measures_reach_the_document() -> None:
    convention = option_2(security={"option": 2, "annex": "Annexe 4 - Sécurité et Confidentialité", **PERSONALISED})
    text = text_of(convention)
    assert "Annexe 4 - Sécurité et Confidentialité, version du 15 février 2026." in text
    assert "CNIL-06 Sécuriser les postes de travail : les agents n'utilisent que les postes du Département." in text
    assert "CNIL-06" not in matrix(convention)
    assert "CNIL-05 Gérer les habilitations (Département) :" in text
    assert "Mise en œuvre : revue trimestrielle des comptes de l'extranet." in text
    assert matrix(convention)["CNIL-05"] == ["Gérer les habilitations", "oui", "non", "non"]
    assert "CNIL-24 Encadrer l'usage de systèmes d'intelligence artificielle (organisme) :" in text
    assert "Mesures propres à la convention" in text
    assert "LOC-01 Coffre-fort des dossiers papier (organisme) : Les dossiers papier sont rangés au coffre." in text
    assert matrix(convention)["LOC-01"] == ["Coffre-fort des dossiers papier", "non", "oui", "non"]
    assert "Annexe établie le 15 février 2026." in text


def test_a_missing_answer_refuses_the_final_annex_and_marks_the_draft() -> None:
    convention = option_2(
        security={
            "option": 2,
            "annex": "Annexe 4",
            "annex_measures": {
                "measures": {"CNIL-06": {"exclude": True}},
                "added": [{"id": "LOC-01", "title": "Coffre", "text": "Un coffre."}],
            },
        }
    )
    with pytest.raises(NotReady) as caught:
        render_security_markdown(convention)
    assert caught.value.missing == [
        "la partie responsable de la mesure LOC-01",
        "le motif de l'exclusion de la mesure CNIL-06",
    ]
    draft = render_security(convention, draft=True)
    assert draft.is_draft and draft.markdown.startswith(f"**{DRAFT_BANNER}**")
    assert "[À COMPLÉTER : le motif de l'exclusion de la mesure CNIL-06]" in draft.markdown
    complete = render_security(bethune(), draft=True)
    assert not complete.is_draft and DRAFT_BANNER not in complete.markdown


# --- Annexe 1 and the register ---------------------------------------------------------------------


def test_annex_1_names_the_security_annex_and_fills_the_responsibilities() -> None:
    text = plain_text(parse_blocks(render_markdown(bethune())))
    assert (
        "Le respect de l'annexe Sécurité et Confidentialité jointe à la présente convention : "
        "Annexe 4 - Sécurité et Confidentialité, version du 1er janvier 2026."
    ) in text
    assert "[A ANNEXER ET PERSONNALISER]" not in text and "il est recommandé" not in text
    assert (
        "relèvent du sous-traitant de l'organisme, sous la responsabilité de celui-ci, les mesures "
        "« Sécuriser les serveurs » (CNIL-09)"
    ) in text
    assert "CNIL-07" not in text  # excluded by the CCAS


def test_register_headings_only_for_option_2() -> None:
    assert register_security(load_convention(ADIL).convention) == {}
    filled = register_security(bethune())
    assert set(filled) == set(SECURITY_HEADINGS)
    assert "Gérer les habilitations (CNIL-05)" in filled["confidentiality_integrity_availability"]


def test_register_init_leaves_only_the_headings_no_measure_of_the_structure_describes(tmp_path: Path) -> None:
    from dpa_kit.register import check_register, load_register

    data = load_convention(BETHUNE).convention.model_dump(mode="json")
    # Everything under "restore_access" handed to the Département: that heading is the structure's to write.
    data["security"]["annex_measures"]["measures"].update(
        {m: {"responsible": "departement"} for m in ("CNIL-15", "CNIL-16", "CNIL-17")}
    )
    import yaml

    folder = tmp_path / "registers"
    write(folder / "c.yaml", yaml.safe_dump(data, allow_unicode=True))
    out = tmp_path / "registre.yaml"
    result = run(
        "--registers",
        folder,
        "register",
        "init",
        "--siret",
        "26620011900011",
        "-o",
        out,
        env={"DPA_KIT_NOW": "2026-11-28T10:00"},
    )
    assert result.exit_code == 0, result.output
    fields = [p.field for p in check_register(load_register(out))]
    assert fields == ["controllers[0].processings[0].security.restore_access"]


# --- documents ------------------------------------------------------------------------------------


def test_golden_security_annex_of_the_option_2_example() -> None:
    rendered = render_security_markdown(bethune())
    assert rendered == GOLDEN.read_text(encoding="utf-8"), (
        "security annex changed: review, then regenerate with `python tests/test_security.py --update-golden`"
    )


def test_annex_and_build_write_the_security_annex_for_option_2_only(registers: Path, tmp_path: Path) -> None:
    result = run("annex", registers / BETHUNE.name, "--format", "md,docx", "-o", tmp_path / "one")
    assert result.exit_code == 0, result.output
    assert f"Écrit : {tmp_path / 'one' / '2026-DPID-CCAS-BETHUNE-1.2.annexe-securite.docx'}" in result.stdout
    out = tmp_path / "all"
    result = run("build", registers, "-o", out, "--format", "md")
    assert result.exit_code == 0, result.output
    names = sorted(p.name for p in out.iterdir() if p.name != ".dpa-kit-ecrits.json")  # dpa_kit.written
    assert names == [
        "2026-DPID-CCAS-BETHUNE-1.2.annexe-securite.md",
        "2026-DPID-CCAS-BETHUNE-1.2.annexe1.md",
        "2026-FSL-ADIL-NUMERO-VERT.annexe1.md",
        "index.html",
    ]
    index = (out / "index.html").read_text(encoding="utf-8")
    assert '<a href="2026-DPID-CCAS-BETHUNE-1.2.annexe-securite.md">MD (sécurité)</a>' in index


def test_a_final_build_refuses_an_incomplete_security_annex(registers: Path, tmp_path: Path) -> None:
    path = registers / BETHUNE.name
    text = path.read_text(encoding="utf-8")
    text = text.replace("        exclude: true\n        reason: >-\n", "        exclude: true\n        note: >-\n")
    path.write_text(text, encoding="utf-8")
    result = run("annex", path, "--format", "md", "-o", tmp_path)
    assert result.exit_code == 1
    assert "n'est pas prête à signer" in result.stderr
    assert (
        "S701 Annexe de sécurité › mesure CNIL-07 › écartée (security.annex_measures.measures.CNIL-07.exclude) : "
        "la mesure CNIL-07"
    ) in result.stderr
    assert not list(tmp_path.glob("*.annexe-securite.md"))


def test_status_counts_a_convention_with_an_incomplete_security_annex_as_not_ready(registers: Path) -> None:
    import json

    path = registers / BETHUNE.name
    text = path.read_text(encoding="utf-8")
    text = text.replace("        exclude: true\n        reason: >-\n", "        exclude: true\n        note: >-\n")
    path.write_text(text, encoding="utf-8")
    result = run("--registers", registers, "status", "--format", "json", env={"DPA_KIT_NOW": "2026-06-01T10:00"})
    data = json.loads(result.stdout)
    bethune_row = next(c for c in data["conventions"] if c["id"] == "2026-DPID-CCAS-BETHUNE-1.2")
    assert bethune_row["ready"] is False
    assert [reason.split(" ")[0] for reason in bethune_row["missing"]] == ["S701"]
    assert "la mesure CNIL-07 « Sécuriser l'informatique mobile » est écartée sans motif" in bethune_row["missing"][0]


def _pdftotext(pdf: Path) -> str:
    # -raw: the content-stream order; the default layout mode may tear a justified line of LibreOffice apart.
    exe = require_program("pdftotext")
    return subprocess.run(
        [exe, "-raw", "-enc", "UTF-8", str(pdf), "-"], check=True, capture_output=True, text=True
    ).stdout


def _flat(text: str) -> str:
    # Typst hyphenates at line ends ("Sous-" / "traitant") and pdftotext joins without the hyphen.
    for hyphen in ("-\n", "\u00ad\n", "\u00ad", "-"):
        text = text.replace(hyphen, "")
    return " ".join(text.split())


@pytest.mark.interop
def test_pdf_docx_and_odt_carry_every_measure_and_the_matrix(tmp_path: Path) -> None:
    soffice = require_program("soffice", "libreoffice")
    require_program("pdftotext")
    convention = bethune()
    files = write_security_annex(convention, ["pdf", "docx", "odt"], tmp_path / "out")
    subprocess.run(
        [
            soffice,
            f"-env:UserInstallation={(tmp_path / 'profile').as_uri()}",
            "--headless",
            "--convert-to",
            "pdf",
            "--outdir",
            str(tmp_path / "lo"),
            *[str(f) for f in files if f.suffix != ".pdf"],
        ],
        check=True,
        capture_output=True,
        timeout=300,
    )
    pdfs = [files[0], tmp_path / "lo" / f"{files[1].stem}.pdf", tmp_path / "lo" / f"{files[2].stem}.pdf"]
    selection = select(convention)
    for pdf in pdfs:
        assert pdf.is_file(), f"LibreOffice did not convert {pdf.name}"
        text = _flat(_pdftotext(pdf))
        assert "ANNEXE SÉCURITÉ ET CONFIDENTIALITÉ" in text and "Matrice des responsabilités" in text
        for measure in selection.measures:
            assert _flat(f"{measure.id} {measure.title}") in text, (str(pdf), measure.id)
            # One row of the matrix: the measure, its title, then oui/non for each party, read cell by cell.
            yes_no = " ".join("oui" if yes else "non" for _, yes in measure.marks())
            assert _flat(f"{measure.id} {measure.title} {yes_no}") in text, (str(pdf), measure.id)


def test_the_template_uses_only_the_documented_context() -> None:
    source = (packaged_templates() / SECURITY_TEMPLATE).read_text(encoding="utf-8")
    names = jinja2.meta.find_undeclared_variables(jinja2.Environment().parse(source))
    assert names <= set(CONTEXT_FIELDS) | {"none"}, names - set(CONTEXT_FIELDS)


def test_the_documents_are_byte_identical_from_one_run_to_the_next(tmp_path: Path) -> None:
    first = write_security_annex(bethune(), ["docx", "odt", "pdf"], tmp_path / "a")
    second = write_security_annex(bethune(), ["docx", "odt", "pdf"], tmp_path / "b")
    assert [f.read_bytes() for f in first] == [f.read_bytes() for f in second]
    assert write_security_annex(load_convention(ADIL).convention, ["md"], tmp_path / "c") == []  # option 1


def test_the_template_uses_only_fields_of_the_model() -> None:
    from dpa_kit.loader import _fields_at

    source = (packaged_templates() / SECURITY_TEMPLATE).read_text(encoding="utf-8")
    paths = {"c": (), "s": ("subprocessing", "subprocessors")}
    for match in re.finditer(r"\b(c|s)\.([a-z_]+(?:\.[a-z_]+)*)", source):
        path = (*paths[match.group(1)], *match.group(2).split("."))
        assert path[-1] in _fields_at(Convention, path[:-1]), f"template uses unknown field {'.'.join(path)}"


def _update_golden() -> None:
    GOLDEN.write_text(render_security_markdown(bethune()), encoding="utf-8")
    print(f"written: {GOLDEN}")


if __name__ == "__main__" and sys.argv[1:] == ["--update-golden"]:
    _update_golden()
elif __name__ == "__main__":
    raise SystemExit("usage: python tests/test_security.py --update-golden")
