"""Reading convention files: YAML with line numbers, ``defaults.yaml`` merging, French error messages.

A convention file is read into plain values *and* a map from each field path to the file and line it
came from, so that every problem (a YAML syntax error, a wrong type, an unknown key, an invalid SIRET)
can be reported as one French sentence naming the file, the line and the field. A ``defaults.yaml``
in the same folder is merged under every convention of that folder; the convention's keys win.
"""

from __future__ import annotations

import difflib
import types
import typing
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from pydantic import BaseModel, ConfigDict, Field, ValidationError

from dpa_kit import yamlio
from dpa_kit.exceptions import ConventionError, Problem, UsageError
from dpa_kit.model import Convention

__all__ = [
    "CONVENTION_SUFFIXES",
    "DEFAULTS_NAME",
    "Defaults",
    "FieldPath",
    "FolderSettings",
    "LoadResult",
    "LoadedConvention",
    "SourceMap",
    "convention_files",
    "find_convention",
    "iter_folder",
    "load_convention",
    "load_defaults",
    "load_folder",
    "load_paths",
    "read_yaml",
    "validate",
]

DEFAULTS_NAME = "defaults.yaml"
CONVENTION_SUFFIXES = (".yaml", ".yml")
FieldPath = yamlio.FieldPath

# French (or older) key names people are likely to type, and the key the format expects.
_KEY_HINTS = {
    "finalites": "purposes",
    "finalités": "purposes",
    "finalite": "purposes",
    "categories": "data_categories",
    "donnees": "data_categories",
    "données": "data_categories",
    "personnes_concernees": "data_subjects",
    "sous_traitance": "subprocessing",
    "sous-traitance": "subprocessing",
    "securite": "security",
    "sécurité": "security",
    "sort_des_donnees": "data_fate",
    "dpd": "dpo",
    "delai": "breach_delay_hours",
    "periode": "period",
    "période": "period",
    "debut": "start",
    "début": "start",
    "fin": "end",
    "responsable": "controller",
    "structure": "processor",
    "organisme": "processor",
}


class FolderSettings(BaseModel):
    """Settings of a registers folder, from the ``settings:`` block of its ``defaults.yaml``."""

    model_config = ConfigDict(extra="forbid", frozen=True, defer_build=True)

    attestation_grace_days: int = Field(
        0, ge=0, description="Jours laissés après la fin d'une convention pour l'attestation."
    )


@dataclass
class SourceMap:
    """Where each field of a loaded convention was written: field path -> (file, line)."""

    file: Path
    lines: dict[FieldPath, tuple[Path, int]] = field(default_factory=dict)

    def locate(self, path: FieldPath) -> tuple[Path, int | None]:
        """The file and line of ``path``, or of its nearest written parent."""
        for end in range(len(path), -1, -1):
            hit = self.lines.get(tuple(path[:end]))
            if hit is not None:
                return hit
        return self.file, None


@dataclass
class LoadedConvention:
    """A validated convention with the places its fields came from."""

    path: Path
    convention: Convention
    source: SourceMap


@dataclass
class LoadResult:
    """The outcome of loading one file of a folder: a convention or the error that stopped it."""

    path: Path
    loaded: LoadedConvention | None = None
    error: ConventionError | None = None


# --- YAML with line numbers ----------------------------------------------------------------------


def read_yaml(path: Path) -> tuple[Any, dict[FieldPath, tuple[Path, int]]]:
    """Read one YAML document into plain values and a line map; raise ConventionError if unreadable."""
    document = yamlio.read(path)
    return document.data, document.lines


# --- merging and validation ----------------------------------------------------------------------


def _merge(base: dict[str, Any], over: dict[str, Any]) -> dict[str, Any]:
    """Deep-merge two mappings; values of ``over`` win, lists are replaced, not concatenated."""
    merged = dict(base)
    for key, value in over.items():
        if isinstance(value, dict) and isinstance(merged.get(key), dict):
            merged[key] = _merge(merged[key], value)
        else:
            merged[key] = value
    return merged


@dataclass
class Defaults:
    """The parsed ``defaults.yaml`` of a folder."""

    path: Path | None = None
    data: dict[str, Any] = field(default_factory=dict)
    lines: dict[FieldPath, tuple[Path, int]] = field(default_factory=dict)
    settings: FolderSettings = field(default_factory=FolderSettings)


def load_defaults(folder: Path) -> Defaults:
    """Read ``folder/defaults.yaml`` if present (empty defaults otherwise)."""
    path = folder / DEFAULTS_NAME
    if not path.is_file():
        return Defaults()
    data, lines = read_yaml(path)
    settings_data = data.pop("settings", {})
    if "id" in data:
        raise ConventionError(
            [Problem(path, lines[("id",)][1], "id", "un identifiant de convention n'a pas sa place dans defaults.yaml")]
        )
    try:
        settings = FolderSettings.model_validate(settings_data)
    except ValidationError as exc:
        source = SourceMap(path, lines)
        raise ConventionError(_problems(exc, source, prefix=("settings",), model=FolderSettings)) from exc
    return Defaults(path, data, lines, settings)


def validate(data: dict[str, Any], source: SourceMap) -> Convention:
    """Validate plain values as a Convention; raise ConventionError with located French problems."""
    try:
        return Convention.model_validate(data)
    except ValidationError as exc:
        raise ConventionError(_problems(exc, source)) from exc


def load_convention(path: Path | str, defaults: Defaults | None = None) -> LoadedConvention:
    """Load one convention file, merged over its folder's ``defaults.yaml`` unless given."""
    path = Path(path)
    if defaults is None:
        defaults = load_defaults(path.parent)
    data, lines = read_yaml(path)
    if defaults.data:
        data = _merge(defaults.data, data)
        lines = {**defaults.lines, **lines}
    source = SourceMap(path, lines)
    return LoadedConvention(path, validate(data, source), source)


def convention_files(folder: Path, *, required: bool = False) -> list[Path]:
    """The convention files of a folder: every YAML file but ``defaults.yaml`` and hidden files.

    ``required``: a folder without any is an error (listing, checking or building nothing is a mistake).
    """
    if not folder.is_dir():
        raise UsageError(f"{folder} : dossier introuvable")
    files = sorted(
        p
        for p in folder.iterdir()
        if p.is_file()
        and p.suffix in CONVENTION_SUFFIXES
        and p.name != DEFAULTS_NAME
        and not p.name.startswith(".")
        and _is_convention_file(p)
    )
    if required and not files:
        raise UsageError(
            f"{folder} : aucune convention (fichier .yaml) dans ce dossier ; vérifiez le chemin, ou préparez "
            "une convention (guide, « Préparer une convention »)"
        )
    return files


def _is_convention_file(path: Path) -> bool:
    # Register files (format dpa-kit-register/...) may share the folder; anything else is a convention,
    # so that a convention whose `format:` line is missing is reported, not silently skipped.
    return not is_register_file(path)


def is_register_file(path: Path) -> bool:
    """True for a processing-register file (``format: dpa-kit-register/...`` near its top)."""
    try:
        head = path.read_text(encoding="utf-8", errors="replace")[:4096]
    except OSError:
        return False
    return "format: dpa-kit-register" in head or "dpa-kit-register/" in head


def register_files(paths: list[Path]) -> list[Path]:
    """The register files among ``paths``: a file as given, a folder's YAML files that are registers."""
    files: list[Path] = []
    for path in paths:
        if path.is_dir():
            files.extend(
                p
                for p in sorted(path.iterdir())
                if p.is_file() and p.suffix in CONVENTION_SUFFIXES and is_register_file(p)
            )
        else:
            files.append(path)
    return files


def iter_folder(folder: Path | str, *, required: bool = False) -> Iterator[LoadResult]:
    """Load every convention of a folder, yielding each success or failure (never stopping early)."""
    folder = Path(folder)
    files = convention_files(folder, required=required)
    try:
        defaults = load_defaults(folder)
    except ConventionError as exc:
        for path in files:
            yield LoadResult(path, error=exc)
        return
    for path in files:
        try:
            yield LoadResult(path, loaded=load_convention(path, defaults))
        except ConventionError as exc:
            yield LoadResult(path, error=exc)


def load_paths(paths: list[Path]) -> tuple[list[LoadedConvention], list[Problem]]:
    """Load files and folders given on a command line: the conventions, and every problem found.

    A file is merged over the ``defaults.yaml`` of its own folder.
    """
    loaded: list[LoadedConvention] = []
    problems: list[Problem] = []
    for path in paths:
        results = iter_folder(path, required=True) if path.is_dir() else [_load_one(path)]
        for result in results:
            if result.loaded is not None:
                loaded.append(result.loaded)
            elif result.error is not None:
                problems.extend(result.error.problems)
    # A bad defaults.yaml fails every file of its folder: report each problem once.
    return loaded, list(dict.fromkeys(problems))


def _load_one(path: Path) -> LoadResult:
    try:
        return LoadResult(path, loaded=load_convention(path))
    except ConventionError as exc:
        return LoadResult(path, error=exc)


def load_folder(folder: Path | str) -> list[LoadedConvention]:
    """Load every convention of a folder; raise one ConventionError listing every bad file."""
    loaded, problems = load_paths([Path(folder)])
    if problems:
        raise ConventionError(problems)
    return loaded


def find_convention(folder: Path | str, convention_id: str) -> LoadedConvention:
    """The convention with this id in the folder (only that file needs to be valid)."""
    folder = Path(folder)
    for path in convention_files(folder):
        if path.stem == convention_id:
            loaded = load_convention(path)
            if loaded.convention.id == convention_id:
                return loaded
    for result in iter_folder(folder):
        if result.loaded is not None and result.loaded.convention.id == convention_id:
            return result.loaded
    raise UsageError(
        f"aucune convention d'identifiant « {convention_id} » dans {folder} (la commande « dpa-kit list » les affiche)"
    )


# --- pydantic errors in French ---------------------------------------------------------------------


def _dotted(path: FieldPath) -> str:
    out = ""
    for part in path:
        out += f"[{part}]" if isinstance(part, int) else (f".{part}" if out else str(part))
    return out


def _problems(
    exc: ValidationError,
    source: SourceMap,
    prefix: FieldPath = (),
    model: type[BaseModel] = Convention,
) -> list[Problem]:
    problems = []
    for error in exc.errors(include_url=False):
        loc = tuple(part for part in error["loc"] if not _is_union_tag(part))
        path = (*prefix, *loc)
        file, line = source.locate(path)
        problems.append(Problem(file, line, _dotted(path) or None, _message_fr(dict(error), loc, model)))
    return sorted(problems, key=lambda p: (str(p.file), p.line or 0))


def _is_union_tag(part: Any) -> bool:
    # pydantic inserts tags such as "literal['A','B']" or "function-after[...]" into union locations.
    return isinstance(part, str) and ("[" in part or part in {"str", "int", "date", "none"})


def _message_fr(error: dict[str, Any], loc: FieldPath, model: type[BaseModel]) -> str:
    kind = error["type"]
    value = error.get("input")
    ctx = error.get("ctx") or {}
    shown = _show(value)
    if kind == "extra_forbidden":
        key = str(loc[-1]) if loc else "?"
        allowed = _fields_at(model, loc[:-1])
        hint = _KEY_HINTS.get(key.lower())
        if hint not in allowed:
            close = difflib.get_close_matches(key, allowed, n=1, cutoff=0.6)
            hint = close[0] if close else None
        message = f"clé inconnue « {key} »"
        if hint:
            message += f" : vouliez-vous dire « {hint} » ?"
        elif allowed:
            message += " ; clés possibles ici : " + ", ".join(sorted(allowed))
        return message
    if kind == "missing":
        return "valeur obligatoire manquante"
    if kind == "value_error":
        return str(ctx.get("error", error["msg"])).removeprefix("Value error, ")
    if kind in {"literal_error", "enum"}:
        expected = ctx.get("expected", "")
        return f"valeur non reconnue {shown} ; valeurs possibles : {_expected_fr(expected)}"
    if kind == "string_type":
        tip = " (mettez la valeur entre guillemets)" if isinstance(value, (int, float, bool)) else ""
        return f"texte attendu, trouvé {shown}{tip}"
    if kind in {"int_type", "int_parsing", "int_from_float"}:
        return f"nombre entier attendu, trouvé {shown}"
    if kind in {"decimal_type", "decimal_parsing", "float_type", "float_parsing"}:
        return f"nombre attendu, trouvé {shown}"
    if kind in {"greater_than", "greater_than_equal"}:
        bound = ctx.get("gt", ctx.get("ge"))
        return f"nombre supérieur à {bound} attendu, trouvé {shown}"
    if kind == "list_type":
        return f"liste attendue (une ligne « - valeur » par élément), trouvé {shown}"
    if kind in {"dict_type", "model_type", "model_attributes_type"}:
        return f"bloc de clés attendu, trouvé {shown}"
    if kind.startswith("date") or kind.startswith("datetime"):
        return f"date attendue au format AAAA-MM-JJ (par exemple 2026-01-31), trouvé {shown}"
    if kind == "string_pattern_mismatch":
        return f"valeur {shown} refusée : seuls les lettres sans accent, chiffres, « . », « _ » et « - » sont permis"
    if kind == "bool_type" or kind == "bool_parsing":
        return f"oui/non attendu (true ou false), trouvé {shown}"
    return f"valeur invalide {shown}"


def _show(value: Any) -> str:
    if value is None:
        return "une valeur vide"
    if isinstance(value, dict):
        return "un bloc de clés"
    if isinstance(value, list):
        return "une liste"
    text = str(value)
    if len(text) > 60:
        text = text[:57] + "..."
    return f"« {text} »"


def _expected_fr(expected: str) -> str:
    return expected.replace(" or ", " ou ").replace("'", "")


def _fields_at(model: type[BaseModel], path: FieldPath) -> list[str]:
    """The field names the model accepts at ``path`` (for "did you mean" suggestions)."""
    current: Any = model
    for part in path:
        if isinstance(part, int):
            continue
        if not (isinstance(current, type) and issubclass(current, BaseModel)):
            return []
        info = current.model_fields.get(part)
        if info is None:
            return []
        current = _model_in(info.annotation)
    if isinstance(current, type) and issubclass(current, BaseModel):
        return list(current.model_fields)
    return []


def _model_in(annotation: Any) -> Any:
    if isinstance(annotation, type) and issubclass(annotation, BaseModel):
        return annotation
    origin = typing.get_origin(annotation)
    if origin is typing.Annotated:
        return _model_in(typing.get_args(annotation)[0])
    if origin in {typing.Union, types.UnionType, list, dict}:
        for arg in typing.get_args(annotation):
            found = _model_in(arg)
            if found is not None:
                return found
    return None
