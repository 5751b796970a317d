"""YAML 1.2 reading and writing for convention and register files (ruamel.yaml), with located French errors.

A file is composed once into a node tree. From it we build plain Python values (dict, list, str, int,
float, bool, date, None) together with the line and column of every key and value, so that any later
problem can name the file, the line and the field; and, on demand, the round-trip tree
(``ruamel.yaml`` ``CommentedMap``) that keeps comments and key order, so that a program (the web editor,
``register`` commands) can change a value and write the file back without losing what people wrote.

YAML 1.2 means ``country: NO`` is the string ``"NO"`` (Norway) and ``yes``/``no``/``on``/``off`` are
strings; ``2.2`` is still a number, ``2026-01-31`` still a date.

Hostile input is bounded: the file size is checked before parsing (composing is then linear in the size:
aliases are not expanded by the composer; the pure-Python composer also counts nodes as it goes), and
alias expansion is counted while building plain values ("billion laughs"), before any model sees them.
Duplicate keys and merge keys (``<<``) are refused with the line of the key.
"""

from __future__ import annotations

import io
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from ruamel.yaml import YAML
from ruamel.yaml.composer import Composer
from ruamel.yaml.error import MarkedYAMLError, YAMLError
from ruamel.yaml.nodes import MappingNode, Node, ScalarNode, SequenceNode

from dpa_kit.exceptions import ConventionError, Problem, UsageError
from dpa_kit.fsutil import atomic_write

__all__ = [
    "MAX_BYTES",
    "MAX_DEPTH",
    "MAX_NODES",
    "Document",
    "FieldPath",
    "Position",
    "dumps",
    "parse",
    "read",
    "write",
]

# A convention is a few kilobytes; a register of a big structure a few hundred.
MAX_BYTES = 1_000_000
#: Deepest nesting of flow collections (``[`` ``{``) and widest indentation accepted, checked before parsing:
#: the C parser recurses without bound and a 100 KB file of brackets would crash the process.
MAX_DEPTH = 64
MAX_INDENT = 400
# Bounds the work a hostile file (nested aliases: "billion laughs") can cause.
MAX_NODES = 200_000

FieldPath = tuple[str | int, ...]

_DUMP_WIDTH = 110


@dataclass(frozen=True)
class Position:
    """Where a field was written: 1-based line and 0-based column of its key (if any) and of its value."""

    line: int
    column: int
    value_line: int
    value_column: int


@dataclass
class Document:
    """One YAML file read: plain values, where each field was written, and the round-trip tree on demand."""

    path: Path
    data: dict[str, Any]
    positions: dict[FieldPath, Position] = field(default_factory=dict)
    _text: str = field(default="", repr=False)
    _tree: Any = field(default=None, repr=False)

    @property
    def lines(self) -> dict[FieldPath, tuple[Path, int]]:
        """Field path -> (file, line of its key, or of the value for list items and the root)."""
        return {path: (self.path, position.line) for path, position in self.positions.items()}

    @property
    def tree(self) -> Any:
        """The round-trip tree (a ``CommentedMap``): edit it, then :func:`write` it to keep comments."""
        if self._tree is None:
            # Plain values come from the fast (C) composer, which drops comments: the round-trip reader,
            # slower, runs only when a program wants to rewrite the file.
            self._tree = _round_trip().load(self._text)
        return self._tree


class _TooComplex(Exception):
    pass


class _BoundedComposer(Composer):
    """A composer that stops as soon as a file has too many nodes or aliases, before building anything."""

    def compose_node(self, parent: Any, index: Any) -> Any:
        count = getattr(self, "_dpa_count", 0) + 1
        self._dpa_count = count
        if count > MAX_NODES:
            raise _TooComplex()
        return super().compose_node(parent, index)


def _round_trip() -> YAML:
    yaml = YAML(typ="rt", pure=True)
    yaml.Composer = _BoundedComposer
    yaml.allow_unicode = True
    yaml.width = _DUMP_WIDTH
    yaml.indent(mapping=2, sequence=4, offset=2)  # the style of the examples in registers/
    yaml.preserve_quotes = True  # "1.2" stays "1.2" when an unchanged file is written back
    yaml.representer.add_representer(type(None), _represent_null)
    return yaml


def _represent_null(representer: Any, _: None) -> Any:
    # `dpo: null` says "no DPO" more plainly than an empty value: write nulls as the examples do.
    return representer.represent_scalar("tag:yaml.org,2002:null", "null")


def _safe() -> YAML:
    # The C parser of ruamel.yaml.clib when installed (about 6 times faster), else the pure one, bounded.
    yaml = YAML(typ="safe")
    yaml.Composer = _BoundedComposer
    return yaml


# --- reading ---------------------------------------------------------------------------------------------


def read(path: Path) -> Document:
    """Read one YAML document; raise UsageError (no file) or ConventionError (located French problems)."""
    try:
        size = path.stat().st_size
        if size > MAX_BYTES:
            raise ConventionError(
                [
                    Problem(
                        path,
                        None,
                        None,
                        f"fichier trop gros ({size / 1_000_000:.1f} Mo ; {MAX_BYTES / 1_000_000:g} Mo au plus)",
                    )
                ]
            )
        raw = path.read_bytes()
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
    return parse(text, path)


def _too_deep(text: str) -> bool:
    """True when flow collections nest deeper than MAX_DEPTH or a line is indented past MAX_INDENT."""
    if any(len(line) - len(line.lstrip(" ")) > MAX_INDENT for line in text.splitlines()):
        return True
    if text.count("[") + text.count("{") <= MAX_DEPTH:
        return False
    depth, quote = 0, ""
    for char in text:
        if quote:
            if char == quote or char == "\n":
                quote = ""
        elif char in "'\"":
            quote = char
        elif char in "[{":
            depth += 1
            if depth > MAX_DEPTH:
                return True
        elif char in "]}" and depth:
            depth -= 1
    return False


def parse(text: str, path: Path) -> Document:
    """Parse YAML text read from ``path`` (named in errors) into a :class:`Document`."""
    if _too_deep(text):
        raise ConventionError([Problem(path, None, None, _TOO_COMPLEX)])
    try:
        nodes = list(_safe().compose_all(text))
    except _TooComplex as exc:
        raise ConventionError([Problem(path, None, None, _TOO_COMPLEX)]) from exc
    except MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        where = mark.line + 1 if mark else None
        detail = _yaml_problem_fr(exc.problem or "")
        if mark is not None and _starts_with_tab(text, mark.line):
            detail = "tabulation interdite, indentez avec des espaces"
        raise ConventionError([Problem(path, where, None, f"erreur de syntaxe YAML : {detail}")]) from exc
    except (YAMLError, RecursionError) as exc:
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
        raise ConventionError([Problem(path, None, None, _TOO_COMPLEX)]) from exc
    if builder.problems:
        raise ConventionError(builder.problems)
    if not isinstance(data, dict):
        raise ConventionError(
            [
                Problem(
                    path,
                    nodes[0].start_mark.line + 1,
                    None,
                    "le fichier doit contenir des clés (« format: dpa-kit/1 », « id: ... »)",
                )
            ]
        )
    return Document(path, data, builder.positions, text)


_TOO_COMPLEX = "fichier trop complexe (alias ou imbrication excessifs)"


class _Builder:
    """Builds plain Python values from a composed node tree, recording each key's and value's position."""

    def __init__(self, file: Path):
        self.file = file
        self.positions: dict[FieldPath, Position] = {}
        self.problems: list[Problem] = []
        self.nodes = 0
        self._constructor = YAML(typ="safe", pure=True).constructor

    def build(self, node: Node, path: FieldPath, key: Node | None = None) -> Any:
        self.nodes += 1
        if self.nodes > MAX_NODES:
            raise _TooComplex()
        at = key if key is not None else node
        self.positions[path] = Position(
            at.start_mark.line + 1, at.start_mark.column, node.start_mark.line + 1, node.start_mark.column
        )
        if isinstance(node, MappingNode):
            result: dict[str, Any] = {}
            for key_node, value_node in node.value:
                name = self._key(key_node, path)
                if name is None:
                    continue
                if name == "<<":
                    self._problem(key_node, path, "les clés de fusion YAML « << » ne sont pas acceptées")
                    continue
                if name in result:
                    self._problem(
                        key_node,
                        (*path, name),
                        "cette clé apparaît deux fois dans le même bloc ; gardez-en une seule",
                    )
                    continue
                result[name] = self.build(value_node, (*path, name), key_node)
            return result
        if isinstance(node, SequenceNode):
            return [self.build(item, (*path, index)) for index, item in enumerate(node.value)]
        try:
            return self._constructor.construct_object(node, deep=True)
        except (YAMLError, ValueError, TypeError, OverflowError) as exc:
            if str(node.tag).endswith(":timestamp"):
                message = f"date impossible « {node.value} » (attendu : une date réelle au format AAAA-MM-JJ)"
            else:
                message = f"valeur illisible « {str(node.value)[:40]} » ({type(exc).__name__})"
            self._problem(node, path, message)
            return None

    def _key(self, node: Node, path: FieldPath) -> str | None:
        if isinstance(node, ScalarNode):
            # A key like `2026:` or `true:` is parsed as a number or a boolean by YAML: keep its text.
            return str(node.value)
        self._problem(node, path, "une clé doit être un simple mot (pas une liste ni un bloc)")
        return None

    def _problem(self, node: Node, path: FieldPath, message: str) -> None:
        self.problems.append(Problem(self.file, node.start_mark.line + 1, _dotted(path) or None, message))


def _dotted(path: FieldPath) -> str:
    out = ""
    for part in path:
        out += f"[{part}]" if isinstance(part, int) else (f".{part}" if out else str(part))
    return out


_YAML_PHRASES = {
    "mapping values are not allowed": (
        "deux-points inattendu (indentation incohérente, ou valeur à mettre entre guillemets)"
    ),
    "mapping values are not allowed here": "deux-points inattendu (mettez la valeur entre guillemets ?)",
    "could not find expected ':'": "deux-points « : » manquant après une clé",
    "did not find expected key": "indentation incohérente",
    "expected <block end>, but found '-'": "tiret de liste mal indenté",
    "found character that cannot start any token": (
        "caractère inattendu en début de valeur (mettez la valeur entre guillemets)"
    ),
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
    # ruamel names the character ("found character '@' that cannot start any token"); PyYAML did not.
    if problem.startswith("found character") and problem.endswith("that cannot start any token"):
        problem = "found character that cannot start any token"
    for english, french in _YAML_PHRASES.items():
        if problem.startswith(english):
            return french
    return f"structure invalide ({problem})"


# --- writing ---------------------------------------------------------------------------------------------


def dumps(data: Any, header: str = "") -> str:
    """YAML 1.2 text of plain values or of a round-trip tree (comments and key order kept), UTF-8 as is."""
    out = io.StringIO()
    out.write(header)
    _round_trip().dump(data, out)
    return out.getvalue()


def write(path: Path, data: Any, header: str = "") -> None:
    """Write :func:`dumps` of ``data`` to ``path`` atomically (a reader never sees half a file)."""
    atomic_write(path, dumps(data, header).encode("utf-8"))
