"""The one catalogue of French labels: every model field has one, messages and the schema show them."""

from __future__ import annotations

import typing
from pathlib import Path

from pydantic import BaseModel

from dpa_kit.labels import LABELS, fields, label, located, title
from dpa_kit.model import Convention, json_schema
from tests.helpers import write


def _models_in(annotation: typing.Any) -> list[type[BaseModel]]:
    if isinstance(annotation, type) and issubclass(annotation, BaseModel):
        return [annotation]
    return [m for arg in typing.get_args(annotation) for m in _models_in(arg)]


def _is_list(annotation: typing.Any) -> bool:
    return typing.get_origin(annotation) is list or any(_is_list(a) for a in typing.get_args(annotation))


def _paths(model: type[BaseModel], prefix: str = "") -> list[str]:
    out = []
    for name, field in model.model_fields.items():
        path = f"{prefix}.{name}" if prefix else name
        out.append(path)
        mapping = typing.get_origin(field.annotation) is dict or any(
            typing.get_origin(a) is dict for a in typing.get_args(field.annotation)
        )
        for sub in _models_in(field.annotation):
            out.extend(_paths(sub, f"{path}[]" if _is_list(field.annotation) else f"{path}.*" if mapping else path))
    return out


def test_every_model_field_has_a_french_label() -> None:
    paths = _paths(Convention)
    assert [f.path for f in fields()] == paths  # what the web forms iterate
    safeguards = next(f for f in fields() if f.path == "subprocessing.subprocessors[].safeguards")
    assert (safeguards.label, safeguards.title) == ("Sous-traitants › garanties", "Garanties")
    assert safeguards.description and "art. 46" in safeguards.description
    assert len(paths) > 60
    missing = [p for p in paths if p not in LABELS]
    assert missing == []
    unknown = [p for p in LABELS if p.removesuffix("[]").removesuffix(".*") not in paths]
    assert unknown == []


def test_a_located_path_reads_label_then_path() -> None:
    assert located("subprocessing.subprocessors[1].safeguards") == (
        "Sous-traitants › garanties (subprocessing.subprocessors[1].safeguards)"
    )
    assert label("waivers.C012") == "Règles levées › C012"
    assert located("security.annex_measures.measures.CNIL-07.exclude") == (
        "Annexe de sécurité › mesure CNIL-07 › écartée (security.annex_measures.measures.CNIL-07.exclude)"
    )
    assert label("nothing.here") is None
    assert located("nothing.here") == "nothing.here"


def test_the_schema_carries_the_french_titles() -> None:
    schema = json_schema()
    assert schema["properties"]["period"]["title"] == "Période d'application"
    subprocessor = schema["$defs"]["Subprocessor"]["properties"]
    assert subprocessor["safeguards"]["title"] == "Garanties"
    assert subprocessor["contract_end"]["title"] == "Fin du contrat"
    # every property of every definition has its title from the catalogue, none keeps pydantic's English
    french = {title(path) for path in LABELS}
    english = []
    for name, definition in [("", schema), *schema["$defs"].items()]:
        for key, prop in definition.get("properties", {}).items():
            if prop.get("title") not in french:
                english.append(f"{name}.{key}")
    assert english == []
    assert "Safeguards" not in str(schema)
    assert schema["$defs"]["Subprocessor"]["title"] == "Sous-traitant"
    english = {name for name, d in schema["$defs"].items() if d["title"] == name and name != "Notifications"}
    assert english == set()  # no English class name left as a title


def test_a_load_error_names_the_field_by_its_label(tmp_path: Path) -> None:
    from dpa_kit.exceptions import ConventionError
    from dpa_kit.loader import load_convention

    path = write(
        tmp_path / "c.yaml",
        "format: dpa-kit/1\nid: X\nsubprocessing:\n  subprocessors:\n    - name: A\n    - name: B\n      country: ZZ\n",
    )
    try:
        load_convention(path)
    except ConventionError as exc:
        text = str(exc.problems[0])
    else:  # pragma: no cover - the test fails below
        text = ""
    assert "Sous-traitants › pays (subprocessing.subprocessors[1].country)" in text


def test_every_register_field_checked_has_a_label() -> None:
    from dpa_kit.labels import REGISTER_LABELS
    from dpa_kit.register import Register

    paths = [p for p in _paths(Register) if p not in {"format"}]
    missing = [p for p in paths if label(p, REGISTER_LABELS) is None]
    assert missing == []
    assert located("controllers[0].processings[1].security.restore_access", REGISTER_LABELS) == (
        "Traitements › rétablissement après incident (controllers[0].processings[1].security.restore_access)"
    )


def test_the_written_out_country_codes_are_babels() -> None:
    from dpa_kit.countries import ISO_CODES, _names

    assert frozenset(_names()) == ISO_CODES
