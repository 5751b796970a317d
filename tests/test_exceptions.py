"""Every error of a dependency reaches the user as one of ours (httpx's test_exceptions, in spirit)."""

from __future__ import annotations

import inspect
from pathlib import Path

import pytest
from conftest import ADIL

from dpa_kit import exceptions
from dpa_kit.exceptions import (
    ConventionError,
    DpaKitError,
    ExchangeError,
    InputError,
    LedgerError,
    RenderError,
)


def test_every_exception_is_documented_and_rooted() -> None:
    classes = [
        c
        for _, c in inspect.getmembers(exceptions, inspect.isclass)
        if issubclass(c, Exception) and c.__module__ == exceptions.__name__
    ]
    assert len(classes) >= 12
    for cls in classes:
        assert issubclass(cls, DpaKitError)
        assert cls.__doc__ and cls.__doc__.startswith("Raised when"), cls
        assert cls.__name__ in (exceptions.__doc__ or ""), f"{cls.__name__} missing from the tree in the docstring"


def test_yaml_error_becomes_convention_error(tmp_path: Path) -> None:
    from dpa_kit.loader import load_convention

    (tmp_path / "c.yaml").write_text("a: [\n")
    with pytest.raises(ConventionError) as info:
        load_convention(tmp_path / "c.yaml")
    assert info.value.__cause__ is not None


def test_pydantic_error_becomes_convention_error(tmp_path: Path) -> None:
    from pydantic import ValidationError

    from dpa_kit.loader import load_convention

    (tmp_path / "c.yaml").write_text("format: dpa-kit/1\nid: X\nsecurity: {option: 9}\n")
    with pytest.raises(ConventionError) as info:
        load_convention(tmp_path / "c.yaml")
    assert isinstance(info.value.__cause__, ValidationError)


def test_jinja_error_becomes_render_error(tmp_path: Path) -> None:
    import jinja2

    from dpa_kit.documents.annex import render_markdown
    from dpa_kit.loader import load_convention

    (tmp_path / "annex1.md.j2").write_text("{% for %}")
    with pytest.raises(RenderError) as info:
        render_markdown(load_convention(ADIL).convention, templates=tmp_path)
    assert isinstance(info.value.__cause__, jinja2.TemplateError)


def test_typst_error_becomes_render_error(monkeypatch: pytest.MonkeyPatch) -> None:
    import typst

    from dpa_kit.documents.writers import DocumentMeta, to_pdf

    def broken(*args: object, **kwargs: object) -> bytes:
        raise RuntimeError("font not found")

    monkeypatch.setattr(typst, "compile", broken)
    from datetime import date

    with pytest.raises(RenderError, match="PDF"):
        to_pdf([], DocumentMeta("t", "a", "s", date(2026, 1, 1)))


def test_sqlite_error_becomes_ledger_error(tmp_path: Path) -> None:
    import sqlite3

    from dpa_kit.ledger import Ledger

    (tmp_path / "l.sqlite").write_bytes(b"x" * 4096)
    with pytest.raises(LedgerError) as info:
        Ledger(tmp_path / "l.sqlite")
    assert isinstance(info.value.__cause__, sqlite3.DatabaseError)
    assert LedgerError.exit_code == 2


def test_pyzipper_error_becomes_exchange_error(tmp_path: Path) -> None:
    from dpa_kit.exchange import open_archive

    (tmp_path / "a.zip").write_bytes(b"PK\x03\x04 not really a zip")
    with pytest.raises(ExchangeError):
        open_archive(tmp_path / "a.zip", "k7mq-3xw9-hp2t-va8e-n4rd-zc6u", tmp_path / "out")


def test_spreadsheet_errors_become_usage_errors(tmp_path: Path) -> None:
    from dpa_kit.register_sheet import import_sheets

    (tmp_path / "r.xlsx").write_bytes(b"not a workbook")
    with pytest.raises(InputError):
        import_sheets(tmp_path / "r.xlsx")
