"""The package's layout rules, as drawn in the README's developer section.

One library, two thin edges: the CLI (``dpa_kit.cli``) and the web application (``dpa_kit.web``).
The library never imports a user-interface framework nor reads the environment; the edges import the
library and never each other, with one exception: ``dpa-kit serve`` (``dpa_kit.cli.web``) starts the web
application through its factory. ``dpa_kit.__main__`` (``python -m dpa_kit``) is the CLI's entry point.
"""

from __future__ import annotations

import ast
from pathlib import Path

import pytest
from conftest import REPO

import dpa_kit

PACKAGE = Path(dpa_kit.__file__).resolve().parent
EDGES = ("cli", "web")
UI_FRAMEWORKS = {"click", "rich", "fastapi", "starlette", "uvicorn", "playwright"}


def modules() -> list[tuple[str, Path]]:
    found = []
    for path in sorted(PACKAGE.rglob("*.py")):
        parts = path.relative_to(PACKAGE).with_suffix("").parts
        found.append((".".join(("dpa_kit", *parts)), path))
    return found


ENTRY_POINTS = {"dpa_kit.__main__": "cli"}
#: The only import across edges: the CLI command that launches the web application.
LAUNCHERS = {("dpa_kit.cli.web", "dpa_kit.web")}


def edge_of(module: str) -> str | None:
    if module in ENTRY_POINTS:
        return ENTRY_POINTS[module]
    parts = module.split(".")
    return parts[1] if len(parts) > 1 and parts[1] in EDGES else None


def imported(path: Path, module: str) -> set[str]:
    tree = ast.parse(path.read_text(encoding="utf-8"))
    names: set[str] = set()
    package = module.rsplit(".", 1)[0] if path.name != "__init__.py" else module
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            names.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                base = package.split(".")
                base = base[: len(base) - (node.level - 1)]
                names.add(".".join([*base, node.module] if node.module else base))
            elif node.module:
                names.add(node.module)
    return names


def reads_environment(path: Path) -> list[int]:
    tree = ast.parse(path.read_text(encoding="utf-8"))
    lines = []
    for node in ast.walk(tree):
        if (
            isinstance(node, ast.Attribute)
            and node.attr in {"environ", "getenv", "putenv"}
            and isinstance(node.value, ast.Name)
            and node.value.id == "os"
        ):
            lines.append(node.lineno)
    return lines


LIBRARY = [(name, path) for name, path in modules() if edge_of(name) is None]
EDGE_MODULES = [(name, path) for name, path in modules() if edge_of(name) is not None]


def test_the_layout_has_both_kinds_of_modules() -> None:
    assert len(LIBRARY) > 20 and any(edge_of(n) == "cli" for n, _ in EDGE_MODULES)


@pytest.mark.parametrize(("module", "path"), LIBRARY, ids=[n for n, _ in LIBRARY])
def test_library_imports_no_user_interface_framework(module: str, path: Path) -> None:
    frameworks = {name for name in imported(path, module) if name.split(".")[0] in UI_FRAMEWORKS}
    edges = {name for name in imported(path, module) if edge_of(name)}
    assert not frameworks, f"{module} imports {sorted(frameworks)}: only dpa_kit.cli and dpa_kit.web may"
    assert not edges, f"{module} imports an edge ({sorted(edges)}): the library never depends on its edges"


@pytest.mark.parametrize(("module", "path"), LIBRARY, ids=[n for n, _ in LIBRARY])
def test_library_reads_no_environment_variable(module: str, path: Path) -> None:
    assert not reads_environment(path), (
        f"{module} reads os.environ (lines {reads_environment(path)}): the edges read configuration and pass it in"
    )


@pytest.mark.parametrize(("module", "path"), EDGE_MODULES, ids=[n for n, _ in EDGE_MODULES])
def test_edges_never_import_each_other(module: str, path: Path) -> None:
    own = edge_of(module)
    others = {
        name for name in imported(path, module) if edge_of(name) not in (None, own) and (module, name) not in LAUNCHERS
    }
    assert not others, f"{module} imports {sorted(others)}: the CLI and the web import the library only"


def test_the_rules_catch_a_violation(tmp_path: Path) -> None:
    # The checks above must be able to fail: a library module importing click and reading the environment.
    bad = tmp_path / "bad.py"
    bad.write_text("import os\nimport click\nfrom .cli import common\nX = os.environ.get('A')\n", encoding="utf-8")
    names = imported(bad, "dpa_kit.bad")
    assert "click" in names and "dpa_kit.cli" in names
    assert reads_environment(bad) == [4]


def readme_module_map() -> dict[str, str]:
    """The README's « Modules, one line each »: module path -> its one-line role."""
    readme = (REPO / "README.md").read_text(encoding="utf-8")
    section = readme.split("### Modules, one line each", 1)[1].split("```", 2)[1]
    roles = {}
    for line in section.splitlines():
        if line.strip():
            path, _, role = line.partition(" ")
            roles[path] = role.strip()
    return roles


def test_the_readme_names_every_module_with_its_role() -> None:
    roles = readme_module_map()
    source = REPO / "src" / "dpa_kit"
    actual = {path.relative_to(source).as_posix() for path in source.rglob("*.py")}
    assert sorted(actual - set(roles)) == [], "modules missing from the README's module map"
    assert sorted(set(roles) - actual) == [], "modules in the README's module map that do not exist"
    assert all(roles.values()), "a module of the README's module map has no role"
