"""`__all__` of the core modules names exactly what exists: what the edges (CLI, web) may import."""

from __future__ import annotations

import importlib

import pytest

MODULES = ["model", "loader", "yamlio", "agecrypt", "countries", "exceptions", "clock", "ledger", "security"]


@pytest.mark.parametrize("name", MODULES)
def test_all_lists_existing_public_names_once(name: str) -> None:
    module = importlib.import_module(f"dpa_kit.{name}")
    public = module.__all__
    assert len(public) == len(set(public))
    assert [n for n in public if not hasattr(module, n)] == []
    assert not [n for n in public if n.startswith("_")]
    namespace: dict[str, object] = {}
    exec(f"from dpa_kit.{name} import *", namespace)
    assert set(public) <= set(namespace)
