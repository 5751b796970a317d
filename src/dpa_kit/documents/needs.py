"""The answers a template needs, found without Jinja2: what ``dpa-kit check`` (rule C122) asks of a template.

Rendering a template only to collect its ``need()`` labels costs Jinja2's import and the template's load,
more than every other check together. Instead, each packaged template ships with its *program*
(``<template>.needs.json``): the template's syntax tree, reduced to what decides the labels (conditions,
loops, ``set``, ``need()`` and ``items()`` calls, the values they test), written by
``python -m dpa_kit.documents.needs`` from the template itself and stamped with the SHA-256 of its source.
:func:`template_needs` walks that program for one convention.

The program is used only for the very template file it was written from: a template the user changed or
put first in ``--templates DIR`` has another checksum, and the caller then renders it. The walk gives up
(None: render instead) on anything it does not reproduce exactly: an undefined name or attribute, a value
the text would refuse (None), a ``need()`` whose result would be tested rather than written, an error.
``tests/test_needs.py`` keeps the programs in sync with the templates and proves that, for every example
convention and for conventions with each option, the labels are those of the real render.
"""

from __future__ import annotations

import hashlib
import json
import operator
from collections.abc import Callable, Iterable, Mapping
from functools import lru_cache
from pathlib import Path
from typing import Any

__all__ = [
    "ITEMS",
    "NEED",
    "PROGRAM_FORMAT",
    "PROGRAM_SUFFIX",
    "TEXT",
    "Unsupported",
    "analyse",
    "find_template",
    "load_program",
    "needs_of",
    "template_needs",
    "write_program",
]

PROGRAM_FORMAT = "dpa-kit-template-needs/1"
PROGRAM_SUFFIX = ".needs.json"


class _Marker:
    """A context function the walk handles itself, by the role it plays in the template."""

    def __init__(self, name: str) -> None:
        self.name = name

    def __repr__(self) -> str:
        return f"<{self.name}>"


#: ``need(value, label)``: the label is missing when ``value`` is None, "" or [].
NEED = _Marker("need")
#: ``items(values, label, mode)``: ``need(None, label)`` when no value has text (and a label is given).
ITEMS = _Marker("items")
#: A function whose result is only written (sentence, cap, country, date_fr, letters): never called, its
#: arguments are walked (they may hold ``need()``).
TEXT = _Marker("text")

_WRITTEN = "written"  # what a TEXT call or a missing need() yields: some text, never None


class Unsupported(Exception):
    """The template uses a construct the walk does not reproduce: no program is written for it."""


class _GiveUp(Exception):
    """This convention meets something the walk does not reproduce: render the template instead."""


# --- the program: the template's syntax tree as JSON ---------------------------------------------------

_COMPARE: dict[str, Callable[[Any, Any], Any]] = {
    "eq": operator.eq,
    "ne": operator.ne,
    "gt": operator.gt,
    "gteq": operator.ge,
    "lt": operator.lt,
    "lteq": operator.le,
    "in": lambda a, b: a in b,
    "notin": lambda a, b: a not in b,
}
_TESTS = {"none"}
_FILTERS = {"join"}  # only written (their result is never tested)


def analyse(source: str) -> dict[str, Any]:
    """The program of a template's ``source``; raise :class:`Unsupported` on a construct the walk lacks."""
    import jinja2
    from jinja2 import nodes

    tree = jinja2.Environment().parse(source)

    def statements(body: Iterable[nodes.Node]) -> list[Any]:
        out: list[Any] = []
        for node in body:
            if isinstance(node, nodes.Output):
                exprs = [expr(n) for n in node.nodes if not isinstance(n, nodes.TemplateData)]
                if exprs:
                    out.append(["out", exprs])
            elif isinstance(node, nodes.If):
                out.append(
                    [
                        "if",
                        expr(node.test),
                        statements(node.body),
                        [[expr(e.test), statements(e.body)] for e in node.elif_],
                        statements(node.else_),
                    ]
                )
            elif isinstance(node, nodes.For):
                if node.recursive or node.test is not None:
                    raise Unsupported(f"line {node.lineno}: recursive or filtered for loop")
                out.append(["for", target(node.target), expr(node.iter), statements(node.body), statements(node.else_)])
            elif isinstance(node, nodes.Assign):
                out.append(["set", target(node.target), expr(node.node)])
            else:
                raise Unsupported(f"line {node.lineno}: {type(node).__name__}")
        return out

    def target(node: nodes.Node) -> Any:
        if isinstance(node, nodes.Name):
            return node.name
        if isinstance(node, nodes.Tuple) and all(isinstance(item, nodes.Name) for item in node.items):
            return [item.name for item in node.items]  # type: ignore[attr-defined]
        raise Unsupported(f"line {node.lineno}: assignment target {type(node).__name__}")

    def calling(node: Any) -> list[Any]:
        if node.dyn_args is not None or node.dyn_kwargs is not None:
            raise Unsupported(f"line {node.lineno}: *args or **kwargs")
        return [[expr(a) for a in node.args], [[k.key, expr(k.value)] for k in node.kwargs]]

    def expr(node: nodes.Node) -> Any:
        if isinstance(node, nodes.Const):
            return ["const", node.value]
        if isinstance(node, nodes.Name):
            return ["name", node.name]
        if isinstance(node, nodes.Getattr):
            return ["attr", expr(node.node), node.attr]
        if isinstance(node, nodes.Getitem):
            return ["item", expr(node.node), expr(node.arg)]
        if isinstance(node, nodes.Call):
            return ["call", expr(node.node), *calling(node)]
        if isinstance(node, nodes.Filter) and node.name in _FILTERS and node.node is not None:
            return ["filter", node.name, expr(node.node), *calling(node)]
        if isinstance(node, nodes.Test) and node.name in _TESTS and not node.args and not node.kwargs:
            return ["test", node.name, expr(node.node)]
        if isinstance(node, nodes.Not):
            return ["not", expr(node.node)]
        if isinstance(node, (nodes.And, nodes.Or)):
            return [type(node).__name__.lower(), expr(node.left), expr(node.right)]
        if isinstance(node, nodes.CondExpr):
            return ["cond", expr(node.test), expr(node.expr1), None if node.expr2 is None else expr(node.expr2)]
        if isinstance(node, nodes.Compare) and all(o.op in _COMPARE for o in node.ops):
            return ["compare", expr(node.expr), [[o.op, expr(o.expr)] for o in node.ops]]
        if isinstance(node, nodes.Concat):
            return ["concat", [expr(n) for n in node.nodes]]
        if isinstance(node, (nodes.List, nodes.Tuple)):
            return ["list", [expr(n) for n in node.items]]
        raise Unsupported(f"line {node.lineno}: {type(node).__name__}")

    return {"format": PROGRAM_FORMAT, "body": statements(tree.body)}


def program_path(template: Path) -> Path:
    """Where the program of ``template`` is kept: beside it, ``annex1.md.j2.needs.json``."""
    return template.with_name(template.name + PROGRAM_SUFFIX)


def write_program(template: Path) -> Path:
    """Write the program of ``template`` beside it (the developers' command, after editing a template)."""
    source = template.read_bytes()
    program = {**analyse(source.decode("utf-8")), "sha256": hashlib.sha256(source).hexdigest()}
    target = program_path(template)
    target.write_text(json.dumps(program, ensure_ascii=False, separators=(",", ":")) + "\n", encoding="utf-8")
    return target


def find_template(name: str, templates: Path | None = None) -> Path | None:
    """The file Jinja2's loader would use for ``name``: the user's folder first, then the packaged one."""
    from dpa_kit.documents.markdown import packaged_templates

    for folder in [*([templates] if templates else []), packaged_templates()]:
        if (folder / name).is_file():
            return folder / name
    return None


def needs_of(name: str, context: Mapping[str, Any], templates: Path | None = None) -> list[str] | None:
    """The labels template ``name`` needs in ``context`` (see :func:`template_needs`), or None: render it."""
    template = find_template(name, templates)
    program = None if template is None else load_program(template)
    return None if program is None else template_needs(program, context)


def load_program(template: Path) -> dict[str, Any] | None:
    """The program written from exactly this template file, or None (no program, or the file changed)."""
    try:
        source = template.read_bytes()
        stamp = template.stat().st_mtime_ns
    except OSError:
        return None
    return _load_program(program_path(template), hashlib.sha256(source).hexdigest(), stamp)


@lru_cache(maxsize=8)
def _load_program(path: Path, sha256: str, stamp: int) -> dict[str, Any] | None:
    try:
        program: dict[str, Any] = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None
    if program.get("format") != PROGRAM_FORMAT or program.get("sha256") != sha256:
        return None
    return program


# --- the walk -----------------------------------------------------------------------------------------


class _Loop:
    """Jinja2's ``loop`` variable, as far as a template may test it."""

    def __init__(self, index0: int, length: int) -> None:
        self.index0 = index0
        self.length = length
        self.index = index0 + 1
        self.first = index0 == 0
        self.last = index0 == length - 1
        self.revindex = length - index0
        self.revindex0 = length - index0 - 1


def template_needs(program: Mapping[str, Any], context: Mapping[str, Any]) -> list[str] | None:
    """The labels ``need()`` meets, in render order, or None when the template must be rendered instead.

    ``context`` is the render context with its functions replaced by :data:`NEED`, :data:`ITEMS` and
    :data:`TEXT`; any other callable in it (``in_eea``, the model's methods) is called as the render would.
    """
    labels: list[str] = []
    try:
        _run(program["body"], dict(context), labels)
    except Exception:  # not swallowed: the caller renders, and the render raises it for real
        return None
    return labels


def _run(body: list[Any], scope: dict[str, Any], labels: list[str]) -> None:
    for statement in body:
        kind = statement[0]
        if kind == "out":
            for node in statement[1]:
                if _eval(node, scope, labels, True) is None:  # the text refuses None (md_escape)
                    raise _GiveUp
        elif kind == "if":
            _, test, then, elifs, otherwise = statement
            for condition, branch in [[test, then], *elifs]:
                if _eval(condition, scope, labels, False):
                    _run(branch, scope, labels)
                    break
            else:
                _run(otherwise, scope, labels)
        elif kind == "for":
            _, names, iterable, loop_body, otherwise = statement
            values = list(_eval(iterable, scope, labels, False))
            for index, value in enumerate(values):
                inner = dict(scope)  # a loop's variables and its ``set`` do not leak out, as in Jinja2
                _bind(inner, names, value)
                inner["loop"] = _Loop(index, len(values))
                _run(loop_body, inner, labels)
            if not values:
                _run(otherwise, scope, labels)
        elif kind == "set":
            _bind(scope, statement[1], _eval(statement[2], scope, labels, False))
        else:  # pragma: no cover - a program from another version
            raise _GiveUp


def _bind(scope: dict[str, Any], names: str | list[str], value: Any) -> None:
    if isinstance(names, str):
        scope[names] = value
        return
    values = list(value)
    if len(values) != len(names):
        raise _GiveUp
    scope.update(zip(names, values, strict=True))


def _eval(node: list[Any], scope: dict[str, Any], labels: list[str], written: bool) -> Any:
    """The value of ``node``; ``written`` when it only goes into the text (where need() and TEXT may be)."""
    kind = node[0]
    if kind == "const":
        return node[1]
    if kind == "name":
        if node[1] not in scope:
            raise _GiveUp  # undefined: StrictUndefined would refuse it
        return scope[node[1]]
    if kind == "attr":
        return _getattr(_eval(node[1], scope, labels, False), node[2])
    if kind == "item":
        return _getitem(_eval(node[1], scope, labels, False), _eval(node[2], scope, labels, False))
    if kind == "call":
        return _call(node, scope, labels, written)
    if kind == "filter":
        if not written:
            raise _GiveUp
        _eval(node[2], scope, labels, False)
        _arguments(node[3], node[4], scope, labels, False)
        return _WRITTEN
    if kind == "test":
        return _eval(node[2], scope, labels, False) is None
    if kind == "not":
        return not _eval(node[1], scope, labels, False)
    if kind == "and":
        return _eval(node[1], scope, labels, False) and _eval(node[2], scope, labels, False)
    if kind == "or":
        return _eval(node[1], scope, labels, False) or _eval(node[2], scope, labels, False)
    if kind == "cond":
        if _eval(node[1], scope, labels, False):
            return _eval(node[2], scope, labels, written)
        if node[3] is None:
            raise _GiveUp  # an undefined value
        return _eval(node[3], scope, labels, written)
    if kind == "compare":
        left = _eval(node[1], scope, labels, False)
        for op, operand in node[2]:
            right = _eval(operand, scope, labels, False)
            if not _COMPARE[op](left, right):
                return False
            left = right
        return True
    if kind == "concat":
        return "".join(str(_eval(n, scope, labels, False)) for n in node[1])
    if kind == "list":
        return [_eval(n, scope, labels, False) for n in node[1]]
    raise _GiveUp  # pragma: no cover - a program from another version


def _getattr(obj: Any, name: str) -> Any:
    """Jinja2's attribute lookup: the attribute, else the item; undefined gives up."""
    try:
        return getattr(obj, name)
    except AttributeError:
        pass
    try:
        return obj[name]
    except (TypeError, LookupError, AttributeError):
        raise _GiveUp from None


def _getitem(obj: Any, key: Any) -> Any:
    """Jinja2's subscript: the item, else the attribute of that name; undefined gives up."""
    try:
        return obj[key]
    except (AttributeError, TypeError, LookupError):
        if isinstance(key, str):
            try:
                return getattr(obj, key)
            except AttributeError:
                pass
        raise _GiveUp from None


def _arguments(
    args: list[Any], kwargs: list[Any], scope: dict[str, Any], labels: list[str], written: bool
) -> tuple[list[Any], dict[str, Any]]:
    return (
        [_eval(a, scope, labels, written) for a in args],
        {key: _eval(value, scope, labels, written) for key, value in kwargs},
    )


def _call(node: list[Any], scope: dict[str, Any], labels: list[str], written: bool) -> Any:
    func = _eval(node[1], scope, labels, False)
    if func is NEED or func is ITEMS:
        if not written or node[3]:
            raise _GiveUp  # its result tested, or called with keywords: only the render knows
        args, _ = _arguments(node[2], [], scope, labels, False)
        if func is NEED:  # dpa_kit.documents.annex._Needs
            if len(args) != 2:
                raise _GiveUp
            value, label = args
            if value not in (None, "", []):
                return value
            labels.append(label)
            return _WRITTEN
        if len(args) not in (2, 3):  # dpa_kit.documents.annex._items_factory
            raise _GiveUp
        values, label = args[0], args[1]
        if not [v for v in values if str(v).strip()] and label:
            labels.append(label)
        return _WRITTEN
    if func is TEXT:
        if not written:
            raise _GiveUp
        _arguments(node[2], node[3], scope, labels, True)
        return _WRITTEN
    if not callable(func):
        raise _GiveUp
    args, kwargs = _arguments(node[2], node[3], scope, labels, False)
    return func(*args, **kwargs)


def main() -> None:  # pragma: no cover - the developers' command
    """``python -m dpa_kit.documents.needs``: rewrite what `check` reads instead of the packaged templates.

    The programs of the templates and the snapshot of the security catalogue (:func:`dpa_kit.security.write_snapshot`).
    """
    from dpa_kit.documents.markdown import packaged_templates
    from dpa_kit.security import CATALOGUE_FILE, write_snapshot

    for name in NEEDS_TEMPLATES:
        print(write_program(packaged_templates() / name))
    print(write_snapshot(packaged_templates() / CATALOGUE_FILE))


#: The templates ``check`` walks (Annexe 1 and the security annex of option 2).
NEEDS_TEMPLATES = ("annex1.md.j2", "security_annex.md.j2")

if __name__ == "__main__":  # pragma: no cover
    main()
