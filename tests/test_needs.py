"""C122 without Jinja2: the programs of the templates match the templates, and give the render's labels."""

from __future__ import annotations

import itertools
import json
import shutil
from pathlib import Path
from typing import Any

import pytest
from conftest import ADIL, BETHUNE, REGISTERS

from dpa_kit import security
from dpa_kit.checks import check_convention
from dpa_kit.documents import annex, needs
from dpa_kit.documents.markdown import packaged_templates
from dpa_kit.exceptions import ConventionError
from dpa_kit.loader import load_convention
from dpa_kit.model import Convention


def _data(path: Path) -> dict[str, Any]:
    data: dict[str, Any] = load_convention(path).convention.model_dump(mode="json")
    return data


def _variant(base: dict[str, Any], changes: dict[str, Any]) -> Convention:
    data = json.loads(json.dumps(base))
    for dotted, value in changes.items():
        *parents, last = dotted.split(".")
        target = data
        for key in parents:
            target = target[key]
        target[last] = value
    return Convention.model_validate(data)


SUBPROCESSOR_OUTSIDE = {
    "name": None,
    "address": None,
    "activities": ["hébergement sur une plateforme"],
    "country": "US",
    "contract_start": None,
    "contract_end": None,
    "safeguards": None,
}
TRANSFER = {"country": "US", "recipient": None, "safeguards": None}

#: Each line is one axis of variation; conventions are built from both examples with every combination
#: of one change per axis (the options of the annex, its blanks, its loops, the legacy edition).
AXES: list[list[dict[str, Any]]] = [
    [{}, {"subprocessing.option": "A"}, {"subprocessing.option": "B"}, {"subprocessing.option": None}],
    [{}, {"security.option": 1}, {"security.option": 2}, {"security.option": None}],
    [
        {},
        {"data_fate.action": "destroy"},
        {"data_fate.action": "return_to_controller"},
        {"data_fate.action": "return_to_third_party", "data_fate.third_party": None},
        {"data_fate.action": None},
    ],
    [
        {},
        {"processing.service": None, "processing.purposes": [], "processing.data_subjects": ["  "]},
        {"subprocessing.subprocessors": [SUBPROCESSOR_OUTSIDE], "transfers": [TRANSFER]},
        {"signed_annex": {"edition": "2026-05"}, "transfers": [TRANSFER]},
        {"security.responsibilities": None, "security.annex": None, "period.start": None},
        {"notifications.breach_address": None, "subprocessing.objection_period": None},
    ],
]


def _conventions() -> list[Convention]:
    out = []
    for path in (ADIL, BETHUNE):
        base = _data(path)
        for combination in itertools.product(*AXES):
            changes: dict[str, Any] = {}
            for change in combination:
                changes.update(change)
            try:
                out.append(_variant(base, changes))
            except ValueError:  # a combination the model refuses (e.g. a legacy edition it does not know)
                continue
    return out


CONVENTIONS = _conventions()


def test_the_variations_cover_every_option() -> None:
    assert len(CONVENTIONS) > 300
    assert {c.security.option for c in CONVENTIONS} == {1, 2, None}
    assert {c.subprocessing.option for c in CONVENTIONS} == {"A", "B", None}
    assert any(c.signed_annex is not None for c in CONVENTIONS)


@pytest.mark.parametrize("name", needs.NEEDS_TEMPLATES)
def test_the_programs_are_those_of_the_packaged_templates(name: str) -> None:
    template = packaged_templates() / name
    program = needs.load_program(template)
    assert program is not None, f"run: python -m dpa_kit.documents.needs (after editing {name})"
    assert program["body"] == needs.analyse(template.read_text(encoding="utf-8"))["body"]


def test_the_walk_gives_the_labels_of_the_render_for_every_variation() -> None:
    labels_seen: set[str] = set()
    for convention in CONVENTIONS:
        fast = annex._needs(convention, None)
        assert fast is not None, convention.id  # the programs serve every one of them
        rendered = annex._body(convention, draft=True, templates=None)[1]
        assert fast == rendered
        labels_seen.update(rendered)
        if convention.security.option == 2:
            functions = {"need": needs.NEED, "sentence": needs.TEXT, "country": needs.TEXT, "date_fr": needs.TEXT}
            context = security._context(convention, functions, draft=True, templates=None)
            fast = needs.needs_of(security.SECURITY_TEMPLATE, context)
            assert fast is not None
            assert fast == security._security_body(convention, draft=True, templates=None)[1]
    assert len(labels_seen) > 15  # the variations do meet the blanks


def test_every_example_convention_has_the_same_c122_findings_either_way(monkeypatch: pytest.MonkeyPatch) -> None:
    examples = [load_convention(p) for p in sorted(REGISTERS.glob("*.yaml")) if p.name != "defaults.yaml"]
    fast = [[f for f in check_convention(loaded) if f.code == "C122"] for loaded in examples]
    monkeypatch.setattr(needs, "load_program", lambda template: None)  # no program: every template is rendered
    rendered = [[f for f in check_convention(loaded) if f.code == "C122"] for loaded in examples]
    assert fast == rendered


def test_the_walk_gets_the_context_the_render_gets(monkeypatch: pytest.MonkeyPatch) -> None:
    convention = load_convention(BETHUNE).convention
    walked: dict[str, Any] = {}
    walk = needs.template_needs

    def spy(program: dict[str, Any], context: dict[str, Any]) -> list[str] | None:
        walked[program["sha256"]] = context
        return walk(program, context)

    monkeypatch.setattr(needs, "template_needs", spy)
    assert annex.missing_answers(convention) == []
    contexts = sorted(walked.values(), key=len)
    assert len(contexts) == 2  # Annexe 1 and the security annex of option 2
    assert set(contexts[1]) == set(annex.CONTEXT_FIELDS)
    assert set(contexts[0]) == set(security.CONTEXT_FIELDS)
    for context in contexts:  # every function of the render is replaced by the role it plays
        assert not [k for k, v in context.items() if callable(v) and k not in {"in_eea"}]


def test_a_template_the_user_overrides_is_rendered(tmp_path: Path) -> None:
    templates = tmp_path / "modeles"
    templates.mkdir()
    source = (packaged_templates() / annex.ANNEX_TEMPLATE).read_text(encoding="utf-8")
    extra = '{{ need(none, "la couleur du logo") }}'
    (templates / annex.ANNEX_TEMPLATE).write_text(source + extra, encoding="utf-8")
    convention = load_convention(ADIL).convention
    assert annex._needs(convention, templates) is None  # another checksum: no program for it
    assert "la couleur du logo" in annex.missing_answers(convention, templates)
    assert "la couleur du logo" not in annex.missing_answers(convention)


def test_an_unchanged_copy_of_a_template_keeps_its_program(tmp_path: Path) -> None:
    for name in needs.NEEDS_TEMPLATES:
        shutil.copy(packaged_templates() / name, tmp_path / name)
        shutil.copy(needs.program_path(packaged_templates() / name), needs.program_path(tmp_path / name))
    convention = load_convention(BETHUNE).convention
    assert annex._needs(convention, tmp_path) == annex._body(convention, draft=True, templates=tmp_path)[1]


def test_a_construct_the_walk_lacks_is_refused_when_the_program_is_written() -> None:
    with pytest.raises(needs.Unsupported, match="Macro"):
        needs.analyse("{% macro m() %}x{% endmacro %}{{ need(none, 'a') }}")
    with pytest.raises(needs.Unsupported, match="Add"):
        needs.analyse("{{ need(1 + 1, 'a') }}")


@pytest.mark.parametrize(
    ("source", "context", "expected"),
    [
        ("{{ need(c, 'a') }}{{ need(none, 'b') }}", {"c": ""}, ["a", "b"]),
        ("{% if need(c, 'a') %}x{% endif %}", {"c": None}, None),  # a need() tested: only the render knows
        ("{{ c.missing }}", {"c": object()}, None),  # undefined: StrictUndefined refuses it
        ("{{ c }}", {"c": None}, None),  # None written: the render refuses it
        ("{{ sentence(c) ~ 'x' }}", {"c": "a"}, None),  # a written-only function whose result is used
        ("{% for a, b in c %}{{ need(b, a ~ loop.index) }}{% endfor %}", {"c": [("x", None), ("y", 1)]}, ["x1"]),
        ("{{ items(c, 'l', 'auto') }}{{ items(c, '') }}", {"c": [" ", ""]}, ["l"]),
    ],
)
def test_the_walk_gives_up_where_it_cannot_be_exact(
    source: str, context: dict[str, Any], expected: list[str] | None
) -> None:
    program = needs.analyse(source)
    functions = {"need": needs.NEED, "items": needs.ITEMS, "sentence": needs.TEXT}
    assert needs.template_needs(program, {**functions, **context}) == expected


# --- the snapshot of the security catalogue -------------------------------------------------------------


def test_the_catalogue_snapshot_is_that_of_the_packaged_catalogue() -> None:
    path = packaged_templates() / security.CATALOGUE_FILE
    assert security._snapshot(path) is not None, "run: python -m dpa_kit.documents.needs (after editing it)"
    from dpa_kit.loader import read_yaml

    assert security._snapshot(path) == read_yaml(path)[0]


def test_the_catalogue_from_its_snapshot_is_the_one_from_the_yaml(monkeypatch: pytest.MonkeyPatch) -> None:
    path = packaged_templates() / security.CATALOGUE_FILE
    fast = security._load_catalogue.__wrapped__(path, 0)
    monkeypatch.setattr(security, "_snapshot", lambda path: None)
    assert security._load_catalogue.__wrapped__(path, 0) == fast


def test_a_catalogue_the_user_changes_is_read_from_its_yaml(tmp_path: Path) -> None:
    packaged = packaged_templates() / security.CATALOGUE_FILE
    shutil.copy(security.snapshot_path(packaged), security.snapshot_path(tmp_path / security.CATALOGUE_FILE))
    text = packaged.read_text(encoding="utf-8")
    first_title = next(line for line in text.splitlines() if line.strip().startswith("title:"))
    changed = text.replace(first_title, first_title.split(":")[0] + ": Titre adapté par le Département", 1)
    (tmp_path / security.CATALOGUE_FILE).write_text(changed, encoding="utf-8")
    assert security._snapshot(tmp_path / security.CATALOGUE_FILE) is None  # another checksum
    titles = [m.title for m in security.load_catalogue(tmp_path).measures]
    assert "Titre adapté par le Département" in titles
    broken = changed.replace("theme: ", "theme: inconnu-", 1)
    (tmp_path / security.CATALOGUE_FILE).write_text(broken, encoding="utf-8")
    with pytest.raises(ConventionError, match="inconnu") as info:
        security.load_catalogue(tmp_path)
    assert info.value.problems[0].line is not None  # located in the YAML
