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

import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError

from dpa_kit.exceptions import ConventionError, Problem, UsageError
from dpa_kit.model import Convention

DEFAULTS_NAME = "defaults.yaml"
CONVENTION_SUFFIXES = (".yaml", ".yml")
# Bounds the work a hostile file (nested aliases: "billion laughs") can cause.
MAX_NODES = 200_000

FieldPath = tuple[str | int, ...]

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

    model_config = ConfigDict(extra="forbid", frozen=True)

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


def _yaml_loader() -> type[yaml.SafeLoader]:
    loader: type[yaml.SafeLoader] = getattr(yaml, "CSafeLoader", yaml.SafeLoader)
    return loader


class _Builder:
    """Builds Python values from a composed YAML node tree, recording each value's line."""

    def __init__(self, file: Path):
        self.file = file
        self.lines: dict[FieldPath, tuple[Path, int]] = {}
        self.problems: list[Problem] = []
        self.nodes = 0
        self._constructor = yaml.constructor.SafeConstructor()

    def build(self, node: yaml.Node, path: FieldPath) -> Any:
        self.nodes += 1
        if self.nodes > MAX_NODES:
            raise _TooComplex()
        line = node.start_mark.line + 1
        self.lines[path] = (self.file, line)
        if isinstance(node, yaml.MappingNode):
            result: dict[str, Any] = {}
            for key_node, value_node in node.value:
                key = self._key(key_node, path)
                if key is None:
                    continue
                if key == "<<":
                    self._problem(key_node, path, "les clés de fusion YAML « << » ne sont pas acceptées")
                    continue
                if key in result:
                    self._problem(
                        key_node,
                        (*path, key),
                        "cette clé apparaît deux fois dans le même bloc ; gardez-en une seule",
                    )
                    continue
                result[key] = self.build(value_node, (*path, key))
                self.lines[(*path, key)] = (self.file, key_node.start_mark.line + 1)
            return result
        if isinstance(node, yaml.SequenceNode):
            return [self.build(item, (*path, index)) for index, item in enumerate(node.value)]
        try:
            return self._constructor.construct_object(node, deep=True)
        except (yaml.YAMLError, ValueError, TypeError, OverflowError) as exc:
            if node.tag.endswith(":timestamp"):
                message = f"date impossible « {node.value} » (attendu : une date réelle au format AAAA-MM-JJ)"
            else:
                message = f"valeur illisible « {str(node.value)[:40]} » ({type(exc).__name__})"
            self._problem(node, path, message)
            return None

    def _key(self, node: yaml.Node, path: FieldPath) -> str | None:
        if isinstance(node, yaml.ScalarNode) and node.tag.endswith(":str"):
            return str(node.value)
        if isinstance(node, yaml.ScalarNode):
            # A key like `2026:` or `yes:` is parsed as a number or a boolean by YAML.
            return str(node.value)
        self._problem(node, path, "une clé doit être un simple mot (pas une liste ni un bloc)")
        return None

    def _problem(self, node: yaml.Node, path: FieldPath, message: str) -> None:
        self.problems.append(
            Problem(self.file, node.start_mark.line + 1, _dotted(path) or None, message)
        )


class _TooComplex(Exception):
    pass


MAX_FILE_BYTES = 2 * 1024 * 1024  # a convention, defaults or register file; refused above, before parsing


def _read_bounded(path: Path) -> bytes:
    """The bytes of ``path``; ConventionError if it holds more than MAX_FILE_BYTES (never read whole)."""
    with path.open("rb") as handle:
        raw = handle.read(MAX_FILE_BYTES + 1)
    if len(raw) > MAX_FILE_BYTES:
        megabytes = MAX_FILE_BYTES // (1024 * 1024)
        raise ConventionError([Problem(path, None, None, f"fichier trop volumineux (plus de {megabytes} Mo) : une "
                                                         "convention ou un registre tient en quelques dizaines de Ko")])
    return raw


def read_yaml(path: Path) -> tuple[Any, dict[FieldPath, tuple[Path, int]]]:
    """Read one YAML document into plain values and a line map; raise ConventionError if unreadable."""
    try:
        raw = _read_bounded(path)
    except FileNotFoundError as exc:
        raise UsageError(f"{path} : fichier introuvable") from exc
    except IsADirectoryError as exc:
        raise UsageError(f"{path} : c'est un dossier, un fichier était attendu") from exc
    except OSError as exc:
        raise UsageError(f"{path} : lecture impossible ({exc.strerror})") from exc
    try:
        text = raw.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        line = raw[: exc.start].count(b"\n") + 1
        raise ConventionError(
            [Problem(path, line, None, "le fichier n'est pas encodé en UTF-8 ; enregistrez-le en UTF-8")]
        ) from exc
    try:
        nodes = list(yaml.compose_all(text, Loader=_yaml_loader()))
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        where = mark.line + 1 if mark else None
        detail = _yaml_problem_fr(exc.problem or "")
        if mark is not None and _starts_with_tab(text, mark.line):
            detail = "tabulation interdite, indentez avec des espaces"
        raise ConventionError([Problem(path, where, None, f"erreur de syntaxe YAML : {detail}")]) from exc
    except yaml.YAMLError as exc:
        raise ConventionError([Problem(path, None, None, "erreur de syntaxe YAML")]) from exc
    nodes = [n for n in nodes if n is not None]
    if not nodes:
        raise ConventionError([Problem(path, None, None, "le fichier est vide")])
    if len(nodes) > 1:
        raise ConventionError(
            [Problem(path, nodes[1].start_mark.line + 1, None, "un seul document YAML par fichier (« --- » en trop)")]
        )
    builder = _Builder(path)
    try:
        data = builder.build(nodes[0], ())
    except (_TooComplex, RecursionError) as exc:
        raise ConventionError(
            [Problem(path, None, None, "fichier trop complexe (alias ou imbrication excessifs)")]
        ) from exc
    if builder.problems:
        raise ConventionError(builder.problems)
    if not isinstance(data, dict):
        raise ConventionError(
            [Problem(path, nodes[0].start_mark.line + 1, None, "le fichier doit contenir des clés (« format: dpa-kit/1 », « id: ... »)")]
        )
    return data, builder.lines


_YAML_PHRASES = {
    "mapping values are not allowed": "deux-points inattendu (indentation incohérente, ou valeur à mettre entre guillemets)",
    "mapping values are not allowed here": "deux-points inattendu (mettez la valeur entre guillemets ?)",
    "could not find expected ':'": "deux-points « : » manquant après une clé",
    "did not find expected key": "indentation incohérente",
    "expected <block end>, but found '-'": "tiret de liste mal indenté",
    "found character that cannot start any token": "caractère inattendu en début de valeur (mettez la valeur entre guillemets)",
    "found unexpected end of stream": "fin de fichier inattendue (guillemet non fermé ?)",
    "found undefined alias": "alias « * » non défini",
}


def _starts_with_tab(text: str, line_index: int) -> bool:
    lines = text.splitlines()
    if not 0 <= line_index < len(lines):
        return False
    line = lines[line_index]
    return "\t" in line[: len(line) - len(line.lstrip())]


def _yaml_problem_fr(problem: str) -> str:
    for english, french in _YAML_PHRASES.items():
        if problem.startswith(english):
            return french
    return f"structure invalide ({problem})"


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


def convention_files(folder: Path) -> list[Path]:
    """The convention files of a folder: every YAML file but ``defaults.yaml`` and hidden files."""
    if not folder.is_dir():
        raise UsageError(f"{folder} : dossier introuvable")
    return sorted(
        p
        for p in folder.iterdir()
        if p.is_file()
        and p.suffix in CONVENTION_SUFFIXES
        and p.name != DEFAULTS_NAME
        and not p.name.startswith(".")
        and _is_convention_file(p)
    )


def _is_convention_file(path: Path) -> bool:
    # Register files (format dpa-kit-register/...) may share the folder; anything else is a convention,
    # so that a convention whose `format:` line is missing is reported, not silently skipped.
    try:
        head = path.read_text(encoding="utf-8", errors="replace")[:4096]
    except OSError:
        return True
    return "format: dpa-kit-register" not in head


def iter_folder(folder: Path | str) -> Iterator[LoadResult]:
    """Load every convention of a folder, yielding each success or failure (never stopping early)."""
    folder = Path(folder)
    files = convention_files(folder)
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
        results = iter_folder(path) if path.is_dir() else [_load_one(path)]
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
        f"aucune convention d'identifiant « {convention_id} » dans {folder} "
        "(la commande « dpa-kit list » les affiche)"
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
        return (
            f"valeur {shown} refusée : seuls les lettres sans accent, chiffres, « . », « _ » et « - » "
            "sont permis"
        )
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
