"""The CLI is one edge over the library: its commands are registered in one place and it reads the environment."""

from __future__ import annotations

import ast
import re
from pathlib import Path

PACKAGE = Path(__file__).parent.parent / "src" / "dpa_kit"
CLI = PACKAGE / "cli"


def _imports(path: Path) -> set[str]:
    """Every module ``path`` imports, and every ``module.name`` it imports from one."""
    names: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            names.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module:
            names.add(node.module)
            names.update(f"{node.module}.{alias.name}" for alias in node.names)
    return names


def _cli_imports(path: Path) -> set[str]:
    """The modules of the cli package that ``path`` imports (``dpa_kit.cli`` itself for the root)."""
    found: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            found.update(a.name for a in node.names if a.name.startswith("dpa_kit.cli"))
        elif isinstance(node, ast.ImportFrom) and node.module == "dpa_kit":
            found.update("dpa_kit.cli" for a in node.names if a.name == "cli")
        elif isinstance(node, ast.ImportFrom) and node.module == "dpa_kit.cli":
            found.update(f"dpa_kit.cli.{a.name}" for a in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module and node.module.startswith("dpa_kit.cli."):
            found.add(node.module)
    return found


def test_command_modules_import_only_the_shared_helpers_of_the_cli() -> None:
    modules = sorted(p for p in CLI.glob("*.py") if p.name != "__init__.py")
    assert {p.stem for p in modules} >= {
        "attest",
        "breach",
        "common",
        "conventions",
        "exchange",
        "ledger",
        "register",
        "status",
    }
    for path in modules:
        # Shared helpers: common.py (every command) and questionnaire.py (the terminal driver of the library's
        # questionnaires); command modules never import each other.
        helpers = {"dpa_kit.cli.common", "dpa_kit.cli.questionnaire"}
        assert _cli_imports(path) <= helpers - {f"dpa_kit.cli.{path.stem}"}, path


def test_every_command_group_is_registered_by_the_root() -> None:
    import click

    from dpa_kit.cli import cli

    names = cli.list_commands(click.Context(cli))
    for name in names:  # each one resolves to a command of its module
        assert isinstance(cli.get_command(click.Context(cli), name), click.Command), name
    assert sorted(names) == [
        "annex",
        "attest",
        "breach",
        "build",
        "check",
        "exchange",
        "ledger",
        "list",
        "new",
        "register",
        "remind",
        "rules",
        "schema",
        "serve",
        "status",
        "users",
    ]


def test_library_messages_of_breaches_mail_and_clock_name_no_cli_option() -> None:
    option = re.compile(r"(?<![\w-])--[a-z][a-z-]+")
    for name in ("breach.py", "mail.py", "clock.py", "breach_register.py", "status.py"):
        tree = ast.parse((PACKAGE / name).read_text(encoding="utf-8"))
        docstrings = {
            id(node.body[0].value)
            for node in ast.walk(tree)
            if isinstance(node, (ast.Module, ast.FunctionDef, ast.ClassDef))
            and node.body
            and isinstance(node.body[0], ast.Expr)
            and isinstance(node.body[0].value, ast.Constant)
        }
        for node in ast.walk(tree):
            if isinstance(node, ast.Constant) and isinstance(node.value, str) and id(node) not in docstrings:
                assert not option.search(node.value), (name, node.value)


def test_every_command_that_writes_a_named_file_offers_force() -> None:
    import click

    from dpa_kit.cli import cli

    def walk(group: click.Group, prefix: str) -> list[tuple[str, click.Command]]:
        found = []
        ctx = click.Context(group)
        for name in group.list_commands(ctx):
            command = group.get_command(ctx, name)
            assert command is not None
            found.append((f"{prefix} {name}".strip(), command))
            if isinstance(command, click.Group):
                found.extend(walk(command, f"{prefix} {name}"))
        return found

    writers = [
        path
        for path, command in walk(cli, "")
        if any("--output" in p.opts or "--html" in p.opts for p in command.params)
    ]
    # a keygen never replaces a private key, even with --force
    exempt = {"exchange keygen", "ledger keygen"}
    assert len(writers) >= 10
    without = [
        path
        for path, command in walk(cli, "")
        if path in writers and path not in exempt and not any("--force" in p.opts for p in command.params)
    ]
    assert without == []
