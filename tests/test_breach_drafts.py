"""Declaration drafts: saved after every answer in the ledger file, resumable, gone once confirmed."""

from __future__ import annotations

import stat
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from dpa_kit.breach_drafts import DraftStore
from dpa_kit.exceptions import UsageError
from dpa_kit.ledger import Ledger

NOW = datetime(2026, 11, 28, 22, 0, tzinfo=UTC)


@pytest.fixture
def store(tmp_path: Path) -> DraftStore:
    return DraftStore(Ledger(tmp_path / "ledger.sqlite"))


def test_answers_survive_a_new_process(store: DraftStore) -> None:
    draft = store.create("secretaire", now=NOW)
    store.save(draft.id, {"aware_at": "2026-11-28T17:00:00+00:00"}, now=NOW + timedelta(minutes=1))
    store.save(
        draft.id,
        {"aware_at": "2026-11-28T17:00:00+00:00", "description": "clé USB perdue"},
        now=NOW + timedelta(minutes=2),
        convention="C1",
    )
    reopened = DraftStore(Ledger(store.ledger.path))
    latest = reopened.latest("secretaire")
    assert latest is not None and latest.id == draft.id
    assert latest.answers == {"aware_at": "2026-11-28T17:00:00+00:00", "description": "clé USB perdue"}
    assert latest.convention == "C1"
    assert reopened.latest("secretaire", convention="C2") is None
    assert reopened.latest("quelqu'un d'autre") is None


def test_latest_is_the_last_touched(store: DraftStore) -> None:
    first = store.create("a", now=NOW)
    second = store.create("a", now=NOW + timedelta(minutes=1))
    assert store.latest("a").id == second.id  # type: ignore[union-attr]
    store.save(first.id, {"x": 1}, now=NOW + timedelta(minutes=5))
    assert store.latest("a").id == first.id  # type: ignore[union-attr]


def test_discarded_draft_is_gone_and_its_text_overwritten(store: DraftStore) -> None:
    draft = store.create("a", now=NOW, answers={"description": "DUPONT-SECRET-MARKER"})
    store.discard(draft.id)
    assert store.latest("a") is None
    with pytest.raises(UsageError, match="introuvable"):
        store.save(draft.id, {}, now=NOW)
    with store.ledger.connection() as conn:
        conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    assert b"DUPONT-SECRET-MARKER" not in store.ledger.path.read_bytes()


def test_the_ledger_file_holding_drafts_is_private(store: DraftStore) -> None:
    store.create("a", now=NOW, answers={"contact": "Mme Durand 06 00 00 00 00"})
    for path in (store.ledger.path, Path(f"{store.ledger.path}-wal")):
        if path.exists():
            assert stat.S_IMODE(path.stat().st_mode) == 0o600, path


def test_drafts_do_not_touch_the_event_chain(store: DraftStore) -> None:
    store.create("a", now=NOW, answers={"description": "x"})
    assert store.ledger.events() == []
    assert store.ledger.verify().ok


def test_confirming_records_the_declaration_and_deletes_the_draft_together(store: DraftStore) -> None:
    from conftest import ADIL

    from dpa_kit import breach as breaches
    from dpa_kit import breach_questions as bq
    from dpa_kit.breach_drafts import confirm
    from dpa_kit.loader import load_convention

    context = bq.Context(now=NOW, conventions=(load_convention(ADIL).convention,))
    draft = store.create("a", now=NOW)
    answers: dict = {}
    with pytest.raises(bq.AnswerError, match="questionnaire incomplet"):
        confirm(store, draft.id, answers, context)
    assert store.ledger.events() == [] and store.latest("a") is not None
    for text in [
        "aujourd'hui 18h",
        "1",
        "oui",
        "aujourd'hui 20h",
        "aujourd'hui 17h",
        "appel",
        "1",
        "1",
        "1",
        "liste envoyée au mauvais destinataire",
        "1,2,3,4,5,6",
        "aucune",
        "40",
        "1",
        "40",
        "3",
        "aucune",
        "atteinte à la vie privée",
        "suppression demandée",
        "2",
        "lundi par courrier",
        "",
        "M. Martin",
    ]:
        question = bq.next_question(answers, context)
        assert question is not None
        answers[question.key] = bq.validate(question, text, answers=answers, context=context)
    assert bq.next_question(answers, context) is None
    breach = confirm(store, draft.id, answers, context)
    assert breach.id == "V-2026-343097333-0001"
    assert breach.details["ongoing"] is False and breach.details["pending"] == []
    assert store.latest("a") is None
    assert breaches.get(store.ledger, breach.id).aware_at == datetime(2026, 11, 28, 17, 0, tzinfo=UTC)
