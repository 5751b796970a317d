"""The README's promises: two set-up commands, and .ci/run calls the test one verbatim."""

from __future__ import annotations

import re

from conftest import REPO


def _first_section_commands() -> list[str]:
    readme = (REPO / "README.md").read_text(encoding="utf-8")
    first = readme.split("\n## ", 2)[1]
    return re.findall(r"```sh\n(.+?)\n```", first, flags=re.S)


def test_first_section_has_exactly_two_commands() -> None:
    commands = _first_section_commands()
    assert len(commands) == 2
    assert all("\n" not in c for c in commands)


def test_ci_runs_the_readme_test_command() -> None:
    test_command = _first_section_commands()[1]
    ci = (REPO / ".ci" / "run").read_text(encoding="utf-8")
    assert test_command in ci.splitlines()
    assert "DPA_KIT_REQUIRE_INTEROP=1" in ci
