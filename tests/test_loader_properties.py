"""Property test: whatever a file becomes, the loader returns a model or raises our own error."""

from __future__ import annotations

from pathlib import Path

from conftest import ADIL
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from dpa_kit.exceptions import ConventionError
from dpa_kit.loader import load_convention
from dpa_kit.model import Convention

SOURCE = ADIL.read_text(encoding="utf-8")
LINES = SOURCE.splitlines(keepends=True)

mutation = st.one_of(
    st.tuples(st.just("delete_line"), st.integers(0, len(LINES) - 1)),
    st.tuples(st.just("duplicate_line"), st.integers(0, len(LINES) - 1)),
    st.tuples(st.just("swap_lines"), st.integers(0, len(LINES) - 1), st.integers(0, len(LINES) - 1)),
    st.tuples(st.just("replace_char"), st.integers(0, len(SOURCE) - 1), st.characters()),
    st.tuples(
        st.just("insert_text"),
        st.integers(0, len(SOURCE)),
        st.sampled_from(
            [
                ":",
                "- ",
                "  ",
                "\t",
                "'",
                '"',
                "[",
                "{",
                "&a ",
                "*a",
                "!!binary ",
                "null",
                "2026-02-30",
                "~",
                "\n",
                "#",
                "|",
                ">",
                "%",
                "@",
                "`",
                "\x00",
                "é",
            ]
        ),
    ),
    st.tuples(st.just("delete_range"), st.integers(0, len(SOURCE) - 1), st.integers(1, 40)),
)


def apply(text: str, op: tuple) -> str:
    kind = op[0]
    lines = text.splitlines(keepends=True)
    if kind == "delete_line" and op[1] < len(lines):
        del lines[op[1]]
        return "".join(lines)
    if kind == "duplicate_line" and op[1] < len(lines):
        lines.insert(op[1], lines[op[1]])
        return "".join(lines)
    if kind == "swap_lines" and max(op[1], op[2]) < len(lines):
        lines[op[1]], lines[op[2]] = lines[op[2]], lines[op[1]]
        return "".join(lines)
    if kind == "replace_char" and op[1] < len(text):
        return text[: op[1]] + op[2] + text[op[1] + 1 :]
    if kind == "insert_text":
        return text[: op[1]] + op[2] + text[op[1] :]
    if kind == "delete_range":
        return text[: op[1]] + text[op[1] + op[2] :]
    return text


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(st.lists(mutation, min_size=1, max_size=4))
def test_mutated_files_give_a_model_or_our_error(tmp_path: Path, ops: list) -> None:
    text = SOURCE
    for op in ops:
        text = apply(text, op)
    path = tmp_path / "mutated.yaml"
    path.write_text(text, encoding="utf-8", errors="surrogatepass")
    try:
        result = load_convention(path)
    except ConventionError as exc:
        assert exc.problems
        for problem in exc.problems:
            assert problem.file == path
            assert problem.message and "Traceback" not in problem.message
    else:
        assert isinstance(result.convention, Convention)
