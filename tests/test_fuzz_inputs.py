"""Fuzzing every entry point that reads a user's file (issue 13, point 6).

Conventions (YAML), registers (XLSX, ODS), documents given to ``check`` (DOCX, ODT, PDF, Markdown) and
ledger files are mutated at random, as raw bytes and, for the ZIP-based formats, inside their XML parts.
Whatever the input, the command ends with exit code 0, 1 or 2 and a French message: never 3 (« Erreur
interne »), never a traceback, and nothing already stored (the other files of the folder) changes.
Received notifications (.eml) go through `breach receive`. Examples are bounded so that the whole file runs in
well under a minute.
"""

from __future__ import annotations

import hashlib
import io
import json
import shutil
import tempfile
import zipfile
from collections.abc import Callable
from pathlib import Path

import pytest
from conftest import ADIL, REGISTERS
from helpers import run
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

FUZZ = settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.too_slow], database=None)
XMLISH = st.lists(
    st.sampled_from(
        [
            *"<>&;\"'=/ !?-[]:#x0aZ\u00e9\u202e\x00\x01\n",
            "<!DOCTYPE x [<!ENTITY a 'b'>]>",
            "&a;",
            "<![CDATA[",
            "]]>",
            'table:number-rows-repeated="99999999"',
            "</",
            'office:value-type="float" office:value="inf"',
            '<row r="1048576">',
            'table:number-columns-repeated="70000"',
            '<c r="XFD1"><v>1</v></c>',
        ]
    ),
    max_size=12,
).map("".join)


def _cache() -> dict[str, bytes]:
    """Valid files of each kind, made once by dpa-kit itself."""
    if not _FILES:
        with tempfile.TemporaryDirectory() as folder:
            work = Path(folder)
            assert run("annex", ADIL, "--format", "docx,odt,pdf,md", "-o", work).exit_code == 0
            for path in work.iterdir():
                _FILES[path.suffix[1:]] = path.read_bytes()
            register = work / "r.yaml"
            made = run("--registers", REGISTERS, "register", "init", "--siret", "34309733300078", "-o", register)
            assert made.exit_code == 0
            for fmt in ("xlsx", "ods"):
                assert run("register", "export", register, "--format", fmt, "-o", work / f"r.{fmt}").exit_code == 0
                _FILES[fmt] = (work / f"r.{fmt}").read_bytes()
            ledger = work / "l.sqlite"
            from dpa_kit.ledger import Ledger

            book = Ledger(ledger)
            for index in range(3):
                book.append("fuzz.event", f"S-{index}", {"n": index})
            _FILES["sqlite"] = ledger.read_bytes()
            _FILES["sqlite-state"] = (work / "l.sqlite-state").read_bytes()
    return _FILES


_FILES: dict[str, bytes] = {}


def _flip(data: bytes, edits: list[tuple[int, int]], cut: int | None) -> bytes:
    mutable = bytearray(data)
    for position, value in edits:
        if mutable:
            mutable[position % len(mutable)] = value
    return bytes(mutable[:cut] if cut is not None else mutable)


def _mutate_zip(data: bytes, pick: int, at: int, width: int, insert: str) -> bytes:
    """Replace a slice of one XML part of a ZIP by ``insert``, keep the rest, write a valid ZIP again."""
    with zipfile.ZipFile(io.BytesIO(data)) as archive:
        parts = {n: archive.read(n) for n in archive.namelist()}
    xml_names = sorted(n for n in parts if n.endswith((".xml", ".rels")))
    name = xml_names[pick % len(xml_names)]
    content = parts[name]
    start = at % (len(content) + 1)
    parts[name] = content[:start] + insert.encode("utf-8", "surrogatepass") + content[start + width :]
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as archive:
        for part, body in parts.items():
            archive.writestr(part, body)
    return out.getvalue()


def _digests(folder: Path, skip: set[str]) -> dict[str, str]:
    files = [p for p in folder.iterdir() if p.is_file() and p.name not in skip]
    return {p.name: hashlib.sha256(p.read_bytes()).hexdigest() for p in files}


def _assert_clean(result, allowed: tuple[int, ...] = (0, 1, 2)) -> None:  # type: ignore[no-untyped-def]
    output = result.output
    assert result.exit_code in allowed, output
    assert "Traceback" not in output and "Erreur interne" not in output, output
    if result.exit_code == 2:
        assert output.strip(), output  # a message says what is wrong


def _in_folder(name: str, data: bytes, action: Callable[[Path, Path], object], skip: set[str] | None = None) -> None:
    """Write ``data`` as ``name`` in a fresh folder that also holds stored files; run; check they are intact."""
    with tempfile.TemporaryDirectory() as folder:
        work = Path(folder)
        shutil.copy(ADIL, work / ADIL.name)  # something already stored beside the input
        (work / "notes.txt").write_text("ne pas toucher\n", encoding="utf-8")
        target = work / name
        target.write_bytes(data)
        ignored = {name, *(skip or set())}
        before = _digests(work, ignored)
        action(work, target)
        after = _digests(work, ignored)
        assert {k: after.get(k) for k in before} == before


# --- conventions ----------------------------------------------------------------------------------


@FUZZ
@given(line=st.integers(0, 400), text=st.text(max_size=80), cut=st.none() | st.integers(0, 6000))
def test_fuzz_convention_lines(line: int, text: str, cut: int | None) -> None:
    lines = ADIL.read_text(encoding="utf-8").splitlines()
    lines[line % len(lines)] = text
    data = "\n".join(lines)[:cut].encode("utf-8", "surrogatepass")
    _in_folder("c.yaml", data, lambda work, target: _assert_clean(run("check", target)))


@FUZZ
@given(data=st.binary(max_size=400) | st.text(max_size=200).map(lambda t: t.encode("utf-8", "surrogatepass")))
def test_fuzz_convention_bytes(data: bytes) -> None:
    def action(work: Path, target: Path) -> None:
        _assert_clean(run("check", target))
        _assert_clean(run("--registers", work, "list"))

    _in_folder("c.yaml", data, action)


# --- registers ------------------------------------------------------------------------------------


def _import(work: Path, target: Path) -> None:
    _assert_clean(run("register", "import", target, "-o", work / "back.yaml"), (0, 2))


@FUZZ
@pytest.mark.parametrize("fmt", ["xlsx", "ods"])
@given(pick=st.integers(0, 50), at=st.integers(0, 1 << 20), width=st.integers(0, 40), insert=XMLISH)
def test_fuzz_register_xml_parts(fmt: str, pick: int, at: int, width: int, insert: str) -> None:
    _in_folder(f"r.{fmt}", _mutate_zip(_cache()[fmt], pick, at, width, insert), _import, {"back.yaml"})


@FUZZ
@pytest.mark.parametrize("fmt", ["xlsx", "ods"])
@given(
    edits=st.lists(st.tuples(st.integers(0, 1 << 20), st.integers(0, 255)), max_size=6),
    cut=st.none() | st.integers(0, 20000),
)
def test_fuzz_register_bytes(fmt: str, edits: list[tuple[int, int]], cut: int | None) -> None:
    _in_folder(f"r.{fmt}", _flip(_cache()[fmt], edits, cut), _import, {"back.yaml"})


# --- documents given to check ---------------------------------------------------------------------


def _check(work: Path, target: Path) -> None:
    _assert_clean(run("check", target, "--convention", work / ADIL.name))


@FUZZ
@pytest.mark.parametrize("fmt", ["docx", "odt"])
@given(pick=st.integers(0, 50), at=st.integers(0, 1 << 20), width=st.integers(0, 40), insert=XMLISH)
def test_fuzz_document_xml_parts(fmt: str, pick: int, at: int, width: int, insert: str) -> None:
    _in_folder(f"annexe.{fmt}", _mutate_zip(_cache()[fmt], pick, at, width, insert), _check)


@FUZZ
@pytest.mark.parametrize("fmt", ["docx", "odt", "pdf", "md"])
@given(
    edits=st.lists(st.tuples(st.integers(0, 1 << 20), st.integers(0, 255)), max_size=6),
    cut=st.none() | st.integers(0, 40000),
)
def test_fuzz_document_bytes(fmt: str, edits: list[tuple[int, int]], cut: int | None) -> None:
    _in_folder(f"annexe.{fmt}", _flip(_cache()[fmt], edits, cut), _check)


# --- ledger files ---------------------------------------------------------------------------------


@FUZZ
@given(
    edits=st.lists(st.tuples(st.integers(0, 1 << 16), st.integers(0, 255)), max_size=6),
    cut=st.none() | st.integers(0, 20000),
    state=st.sampled_from(["keep", "garbage", "none"]),
)
def test_fuzz_ledger_files(edits: list[tuple[int, int]], cut: int | None, state: str) -> None:
    files = _cache()
    data = _flip(files["sqlite"], edits, cut)

    def action(work: Path, target: Path) -> None:
        if state == "keep":
            (work / "l.sqlite-state").write_bytes(files["sqlite-state"])
        elif state == "garbage":
            (work / "l.sqlite-state").write_bytes(bytes(v for _, v in edits) or b"{")
        before = target.read_bytes()
        for command in (("ledger", "verify"), ("ledger", "export"), ("breach", "list")):
            _assert_clean(run("--ledger", target, *command))
        if before and before.startswith(b"SQLite format 3\x00") is False:
            assert target.read_bytes() == before  # a file that is not a ledger is never written to

    _in_folder("l.sqlite", data, action, {"l.sqlite-state", "l.sqlite-wal", "l.sqlite-shm"})


# --- received notifications (.eml) ----------------------------------------------------------------


def _eml() -> bytes:
    if "eml" not in _FILES:
        with tempfile.TemporaryDirectory() as folder:
            work = Path(folder)
            env = {
                "DPA_KIT_REGISTERS": str(REGISTERS),
                "DPA_KIT_LEDGER": str(work / "structure.sqlite"),
                "DPA_KIT_NOW": "2026-03-28T10:00",
            }
            declared = run(
                "breach",
                "declare",
                "--convention",
                ADIL.stem,
                "--nature",
                "confidentialité",
                "--description",
                "liste envoyée au mauvais destinataire",
                "--people",
                "40",
                "--data-categories",
                "noms",
                "--consequences",
                "vie privée",
                "--measures",
                "rappel",
                "--contact",
                "M. Martin",
                "--format",
                "json",
                env=env,
            )
            assert declared.exit_code == 0, declared.output
            breach_id = json.loads(declared.stdout)["id"]
            notified = run("breach", "notify", breach_id, "--eml", work / "n.eml", env=env)
            assert notified.exit_code == 0, notified.output
            _FILES["eml"] = (work / "n.eml").read_bytes()
    return _FILES["eml"]


@FUZZ
@given(
    line=st.integers(0, 400),
    text=st.text(max_size=60),
    edits=st.lists(st.tuples(st.integers(0, 1 << 16), st.integers(0, 255)), max_size=4),
    cut=st.none() | st.integers(0, 20000),
)
def test_fuzz_received_notifications(line: int, text: str, edits: list[tuple[int, int]], cut: int | None) -> None:
    lines = _eml().split(b"\n")
    lines[line % len(lines)] = text.encode("utf-8", "surrogatepass")
    data = _flip(b"\n".join(lines), edits, cut)

    def action(work: Path, target: Path) -> None:
        from dpa_kit.ledger import Ledger

        ledger = work / "departement.sqlite"
        Ledger(ledger).append("fuzz.before", "X", {"n": 1})
        env = {"DPA_KIT_REGISTERS": str(REGISTERS), "DPA_KIT_LEDGER": str(ledger), "DPA_KIT_NOW": "2026-03-28T12:00"}
        _assert_clean(run("breach", "receive", "--eml", target, env=env))
        assert run("--ledger", ledger, "ledger", "verify").exit_code == 0
        assert Ledger(ledger).events()[0].kind == "fuzz.before"

    _in_folder(
        "n.eml",
        data,
        action,
        {"departement.sqlite", "departement.sqlite-state", "departement.sqlite-wal", "departement.sqlite-shm"},
    )
