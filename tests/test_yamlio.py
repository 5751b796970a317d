"""YAML 1.2 reading and writing: positions of keys and values, comments kept on rewrite, hostile files."""

from __future__ import annotations

from datetime import date
from pathlib import Path

import pytest
from conftest import REGISTERS
from helpers import write

from dpa_kit import yamlio
from dpa_kit.exceptions import ConventionError

COMMENTED = """\
# Convention of the ADIL (kept by the Département)
format: dpa-kit/1
id: T-1  # never changes
processing:
  purposes:
    - accompagner les ménages   # the main one
    - informer
period:
  start: 2026-01-01
"""


def test_plain_values_and_yaml_1_2_scalars(tmp_path: Path) -> None:
    text = "a: NO\nb: yes\nc: on\nd: 2026-01-31\ne: 2.2\nf: 0o17\ng: true\nh: ~\n"
    data = yamlio.read(write(tmp_path / "x.yaml", text)).data
    assert data == {"a": "NO", "b": "yes", "c": "on", "d": date(2026, 1, 31), "e": 2.2, "f": 15, "g": True, "h": None}
    assert [type(v) for v in data.values()][:5] == [str, str, str, date, float]


def test_every_key_and_value_has_its_line_and_column(tmp_path: Path) -> None:
    doc = yamlio.read(write(tmp_path / "x.yaml", COMMENTED))
    assert doc.positions[("id",)] == yamlio.Position(3, 0, 3, 4)
    assert doc.positions[("processing", "purposes", 1)] == yamlio.Position(7, 6, 7, 6)
    assert doc.positions[("period", "start")] == yamlio.Position(9, 2, 9, 9)
    assert doc.lines[("period", "start")] == (tmp_path / "x.yaml", 9)


def test_rewriting_keeps_comments_and_key_order(tmp_path: Path) -> None:
    path = write(tmp_path / "x.yaml", COMMENTED)
    doc = yamlio.read(path)
    doc.tree["period"]["end"] = date(2026, 12, 31)
    doc.tree["processing"]["purposes"].append("orienter")
    yamlio.write(path, doc.tree)
    text = path.read_text(encoding="utf-8")
    assert text.startswith(
        "# Convention of the ADIL (kept by the Département)\nformat: dpa-kit/1\nid: T-1  # never changes\n"
    )
    assert "  - accompagner les ménages   # the main one\n" in text
    assert text.endswith("  start: 2026-01-01\n  end: 2026-12-31\n")
    assert yamlio.read(path).data["processing"]["purposes"] == ["accompagner les ménages", "informer", "orienter"]


@pytest.mark.parametrize("name", sorted(p.name for p in REGISTERS.glob("*.yaml")))
def test_an_unchanged_example_is_written_back_byte_for_byte(name: str) -> None:
    # Quotes ("1.2"), block scalars (>-), nulls, comments and indentation all survive a rewrite.
    path = REGISTERS / name
    assert yamlio.dumps(yamlio.read(path).tree) == path.read_text(encoding="utf-8")


def test_plain_values_dump_in_their_order_and_read_back(tmp_path: Path) -> None:
    data = {"z": "Pas-de-Calais", "a": ["NO", "yes"], "date": date(2026, 1, 1), "n": None, "f": 2.5}
    text = yamlio.dumps(data, header="# en-tête\n")
    assert text.startswith("# en-tête\nz: Pas-de-Calais\na:\n  - NO\n  - yes\ndate: 2026-01-01\nn: null\n")
    assert yamlio.parse(text, tmp_path / "x.yaml").data == data


def test_duplicate_keys_are_each_reported_with_their_line(tmp_path: Path) -> None:
    with pytest.raises(ConventionError) as info:
        yamlio.read(write(tmp_path / "x.yaml", "a: 1\nb:\n  c: 1\n  c: 2\na: 3\n"))
    found = sorted((p.line, p.field) for p in info.value.problems)
    assert found == [(4, "b.c"), (5, "a")]
    assert all("deux fois" in p.message for p in info.value.problems)


def test_merge_keys_are_refused(tmp_path: Path) -> None:
    with pytest.raises(ConventionError, match="fusion"):
        yamlio.read(write(tmp_path / "x.yaml", "base: &b {x: 1}\nother:\n  <<: *b\n"))


def test_a_huge_file_is_refused_before_parsing(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(yamlio, "MAX_BYTES", 100)
    with pytest.raises(ConventionError, match="trop gros"):
        yamlio.read(write(tmp_path / "x.yaml", "a: " + "x" * 200 + "\n"))


def test_too_many_nodes_are_refused(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(yamlio, "MAX_NODES", 50)
    with pytest.raises(ConventionError, match="trop complexe"):
        yamlio.read(write(tmp_path / "x.yaml", "a: [" + ", ".join(["1"] * 100) + "]\n"))
