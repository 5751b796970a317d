"""Loading convention files: the public format, defaults, and French errors with file, line, field."""

from __future__ import annotations

import textwrap
from pathlib import Path

import pytest
from conftest import ADIL, BETHUNE, REGISTERS
from helpers import write

from dpa_kit.exceptions import ConventionError, UsageError
from dpa_kit.loader import find_convention, load_convention, load_folder
from dpa_kit.model import FateAction, SensitiveData

ISSUE_EXAMPLE = ADIL.read_text(encoding="utf-8")

MINIMAL = "format: dpa-kit/1\nid: T-1\n"


def problems_of(path: Path) -> list:
    with pytest.raises(ConventionError) as info:
        load_convention(path)
    return info.value.problems


def only_problem(path: Path):
    problems = problems_of(path)
    assert len(problems) == 1, problems
    return problems[0]


def test_issue_example_loads_unchanged(tmp_path: Path) -> None:
    loaded = load_convention(write(tmp_path / "adil.yaml", ISSUE_EXAMPLE))
    conv = loaded.convention
    assert conv.id == "2026-FSL-ADIL-NUMERO-VERT"
    assert conv.processor.siret == "34309733300078"
    assert conv.processor.dpo is None and conv.processor_dpo_declared
    assert conv.subprocessing.option == "A" and conv.subprocessing.objection_period == "3 mois"
    assert conv.security.option == 1
    assert conv.data_fate.action is FateAction.destroy
    assert conv.notifications.breach_delay_hours == 24
    assert conv.period.start.isoformat() == "2026-01-01"
    assert len(conv.processing.data_categories) == 6
    assert conv.processing.operations.startswith("échanges avec le Département")


def test_every_example_in_registers_loads() -> None:
    loaded = load_folder(REGISTERS)
    ids = {item.convention.id for item in loaded}
    assert ids == {"2026-FSL-ADIL-NUMERO-VERT", "2026-DPID-CCAS-BETHUNE-1.2"}


def test_defaults_are_merged_under_the_convention_and_the_convention_wins(tmp_path: Path) -> None:
    write(
        tmp_path / "defaults.yaml",
        "controller:\n  name: Département\n  address: Arras\n"
        "notifications:\n  breach_address: dpo@example.fr\n  breach_delay_hours: 24\n",
    )
    write(tmp_path / "c.yaml", MINIMAL + "controller:\n  address: Ailleurs\n")
    conv = load_convention(tmp_path / "c.yaml").convention
    assert conv.controller.name == "Département"
    assert conv.controller.address == "Ailleurs"
    assert conv.notifications.breach_address == "dpo@example.fr"


def test_bethune_example_gets_the_departement_block_from_defaults() -> None:
    conv = load_convention(BETHUNE).convention
    assert conv.controller.name == "Département du Pas-de-Calais"
    assert conv.notifications.breach_address == "Delegue.Protection.Donnees@pasdecalais.fr"
    assert conv.processing.sensitive_data == [SensitiveData.health]


def test_an_error_in_defaults_names_defaults_file(tmp_path: Path) -> None:
    write(tmp_path / "defaults.yaml", "notifications:\n  breach_delay_hours: vingt\n")
    write(tmp_path / "c.yaml", MINIMAL)
    problem = only_problem(tmp_path / "c.yaml")
    assert problem.file == tmp_path / "defaults.yaml"
    assert problem.line == 2
    assert problem.field == "notifications.breach_delay_hours"
    assert "nombre entier attendu" in problem.message


def test_yaml_syntax_error(tmp_path: Path) -> None:
    problem = only_problem(write(tmp_path / "c.yaml", MINIMAL + "title: a\n  service: b: c\n"))
    assert problem.line == 4
    assert "erreur de syntaxe YAML" in problem.message


def test_tab_indentation_is_explained(tmp_path: Path) -> None:
    problem = only_problem(write(tmp_path / "c.yaml", MINIMAL + "period:\n\tstart: 2026-01-01\n"))
    assert problem.line == 4
    assert "tabulation" in problem.message


def test_wrong_type(tmp_path: Path) -> None:
    problem = only_problem(write(tmp_path / "c.yaml", MINIMAL + "processing:\n  purposes: une seule\n"))
    assert (problem.line, problem.field) == (4, "processing.purposes")
    assert problem.message.startswith("liste attendue")


def test_number_where_text_is_expected_suggests_quotes(tmp_path: Path) -> None:
    problem = only_problem(write(tmp_path / "c.yaml", MINIMAL + "dispositif: 2.2\n"))
    assert problem.field == "dispositif"
    assert "guillemets" in problem.message


def test_unknown_key_suggests_the_right_one(tmp_path: Path) -> None:
    problem = only_problem(write(tmp_path / "c.yaml", MINIMAL + "processor:\n  sirte: '34309733300078'\n"))
    assert (problem.line, problem.field) == (4, "processor.sirte")
    assert problem.message == "clé inconnue « sirte » : vouliez-vous dire « siret » ?"


def test_unknown_french_key_suggests_the_format_key(tmp_path: Path) -> None:
    problem = only_problem(write(tmp_path / "c.yaml", MINIMAL + "processing:\n  finalités: [a]\n"))
    assert "vouliez-vous dire « purposes »" in problem.message


def test_duplicate_key_is_refused(tmp_path: Path) -> None:
    problem = only_problem(write(tmp_path / "c.yaml", MINIMAL + "title: a\ntitle: b\n"))
    assert (problem.line, problem.field) == (4, "title")
    assert "deux fois" in problem.message


@pytest.mark.parametrize("siret", ["34309733300079", "3430973330007", "1234567890123A"])
def test_invalid_siret(tmp_path: Path, siret: str) -> None:
    problem = only_problem(write(tmp_path / "c.yaml", MINIMAL + f"processor:\n  siret: '{siret}'\n"))
    assert (problem.line, problem.field) == (4, "processor.siret")
    assert "SIRET" in problem.message


def test_unquoted_siret_is_explained(tmp_path: Path) -> None:
    problem = only_problem(write(tmp_path / "c.yaml", MINIMAL + "processor:\n  siret: 34309733300078\n"))
    assert "guillemets" in problem.message


def test_siret_with_spaces_is_normalised(tmp_path: Path) -> None:
    conv = load_convention(write(tmp_path / "c.yaml", MINIMAL + "processor:\n  siret: '343 097 333 00078'\n"))
    assert conv.convention.processor.siret == "34309733300078"


def test_impossible_date(tmp_path: Path) -> None:
    problem = only_problem(write(tmp_path / "c.yaml", MINIMAL + "period:\n  start: 2026-02-30\n"))
    assert (problem.line, problem.field) == (4, "period.start")
    assert "date impossible" in problem.message


def test_badly_written_date(tmp_path: Path) -> None:
    problem = only_problem(write(tmp_path / "c.yaml", MINIMAL + "period:\n  start: 1er janvier 2026\n"))
    assert (problem.line, problem.field) == (4, "period.start")
    assert "AAAA-MM-JJ" in problem.message


def test_end_before_start(tmp_path: Path) -> None:
    text = MINIMAL + "period:\n  start: 2026-12-31\n  end: 2026-01-01\n"
    problem = only_problem(write(tmp_path / "c.yaml", text))
    assert (problem.line, problem.field) == (5, "period.end")
    assert "précède son début" in problem.message


@pytest.mark.parametrize(
    ("block", "field", "line"),
    [
        ("subprocessing:\n  option: C\n", "subprocessing.option", 4),
        ("security:\n  option: 3\n", "security.option", 4),
        ("data_fate:\n  action: burn\n", "data_fate.action", 4),
        ("processing:\n  sensitive_data: [santé]\n", "processing.sensitive_data[0]", 4),
        ("format: dpa-kit/2\n", "format", 2),
    ],
)
def test_unknown_option_value(tmp_path: Path, block: str, field: str, line: int) -> None:
    text = MINIMAL.replace("format: dpa-kit/1\n", "") if block.startswith("format") else MINIMAL
    problem = only_problem(write(tmp_path / "c.yaml", text + block))
    assert (problem.field, problem.line) == (field, line)
    assert problem.message.startswith("valeur non reconnue")


def test_option_letters_and_digits_are_tolerant(tmp_path: Path) -> None:
    text = MINIMAL + "subprocessing:\n  option: b\nsecurity:\n  option: '2'\n"
    conv = load_convention(write(tmp_path / "c.yaml", text)).convention
    assert (conv.subprocessing.option, conv.security.option) == ("B", 2)


def test_invalid_country_code(tmp_path: Path) -> None:
    text = MINIMAL + "transfers:\n  - country: USA\n    recipient: x\n"
    problem = only_problem(write(tmp_path / "c.yaml", text))
    assert (problem.field, problem.line) == ("transfers[0].country", 4)
    assert "ISO 3166" in problem.message


def test_a_draft_with_missing_answers_loads(tmp_path: Path) -> None:
    conv = load_convention(write(tmp_path / "c.yaml", MINIMAL)).convention
    assert conv.processing.purposes == [] and conv.security.option is None
    assert not conv.processor_dpo_declared


def test_missing_id_and_format(tmp_path: Path) -> None:
    problems = problems_of(write(tmp_path / "c.yaml", "title: x\n"))
    assert {p.field for p in problems} == {"format", "id"}
    assert all(p.message == "valeur obligatoire manquante" for p in problems)


def test_unsafe_id_is_refused(tmp_path: Path) -> None:
    problem = only_problem(write(tmp_path / "c.yaml", "format: dpa-kit/1\nid: ../../etc/passwd\n"))
    assert problem.field == "id"


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("", "vide"),
        ("- a\n- b\n", "doit contenir des clés"),
        ("a: !!python/object:os.system x\n", "illisible"),
        ("a: 1\n---\nb: 2\n", "un seul document"),
        ("[a, b]: 1\n", "simple mot"),
    ],
)
def test_degenerate_files(tmp_path: Path, text: str, expected: str) -> None:
    problems = problems_of(write(tmp_path / "c.yaml", text))
    assert any(expected in p.message for p in problems), problems


def test_not_utf8(tmp_path: Path) -> None:
    path = tmp_path / "c.yaml"
    path.write_bytes(MINIMAL.encode() + "title: Béthune\n".encode("latin-1"))
    problem = only_problem(path)
    assert (problem.line, "UTF-8" in problem.message) == (3, True)


def test_billion_laughs_is_bounded(tmp_path: Path) -> None:
    lines = ['a0: &a0 ["x","x","x","x","x","x","x","x","x","x"]']
    for i in range(1, 9):
        lines.append(f"a{i}: &a{i} [" + ",".join([f"*a{i - 1}"] * 10) + "]")
    problem = only_problem(write(tmp_path / "c.yaml", "\n".join(lines) + "\n"))
    assert "trop complexe" in problem.message


def test_folder_errors_name_each_bad_file(tmp_path: Path) -> None:
    write(tmp_path / "good.yaml", MINIMAL)
    write(tmp_path / "bad1.yaml", MINIMAL.replace("T-1", "T-2") + "period:\n  start: 2026-13-01\n")
    write(tmp_path / "bad2.yaml", "format: dpa-kit/1\nid: T-3\nsecurity: {option: 9}\n")
    with pytest.raises(ConventionError) as info:
        load_folder(tmp_path)
    files = {p.file.name for p in info.value.problems}
    assert files == {"bad1.yaml", "bad2.yaml"}


def test_find_convention_by_id(registers: Path) -> None:
    assert find_convention(registers, "2026-FSL-ADIL-NUMERO-VERT").path.name.startswith("2026-FSL")
    with pytest.raises(UsageError, match="aucune convention"):
        find_convention(registers, "NOPE")


def test_missing_file_is_a_usage_error(tmp_path: Path) -> None:
    with pytest.raises(UsageError, match="introuvable"):
        load_convention(tmp_path / "absent.yaml")


def test_register_files_are_not_taken_for_conventions(tmp_path: Path) -> None:
    write(tmp_path / "c.yaml", MINIMAL)
    write(tmp_path / "reg.yaml", "format: dpa-kit-register/1\nstructure: x\n")
    assert [c.convention.id for c in load_folder(tmp_path)] == ["T-1"]


def test_settings_in_defaults(tmp_path: Path) -> None:
    from dpa_kit.loader import load_defaults

    write(tmp_path / "defaults.yaml", "settings:\n  attestation_grace_days: 15\n")
    assert load_defaults(tmp_path).settings.attestation_grace_days == 15
    write(tmp_path / "defaults.yaml", "settings:\n  grace: 15\n")
    with pytest.raises(ConventionError, match=r"settings\.grace"):
        load_defaults(tmp_path)


def test_textwrap_sanity_of_issue_example() -> None:
    # The example in the registers folder is the one of the issue, byte for byte.
    assert textwrap.dedent(ISSUE_EXAMPLE).startswith("format: dpa-kit/1\nid: 2026-FSL-ADIL-NUMERO-VERT\n")


def test_a_bad_defaults_file_is_reported_once_for_the_folder(tmp_path: Path) -> None:
    from dpa_kit.loader import load_paths

    write(tmp_path / "defaults.yaml", "notifications:\n  breach_delay_hours: vingt\n")
    write(tmp_path / "a.yaml", MINIMAL)
    write(tmp_path / "b.yaml", MINIMAL.replace("T-1", "T-2"))
    loaded, problems = load_paths([tmp_path])
    assert loaded == [] and len(problems) == 1 and problems[0].file == tmp_path / "defaults.yaml"


def test_norway_and_yes_no_words_are_text_under_yaml_1_2(tmp_path: Path) -> None:
    # YAML 1.1 read `NO` as false (and refused Norway); YAML 1.2 reads it, and yes/no/on/off, as text.
    text = MINIMAL + "title: yes\ntransfers:\n  - country: NO\n    recipient: off\n"
    conv = load_convention(write(tmp_path / "c.yaml", text)).convention
    assert conv.title == "yes"
    assert (conv.transfers[0].country, conv.transfers[0].recipient) == ("NO", "off")
