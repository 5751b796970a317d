"""In a real Chromium, against the application served on the loopback with a clock the test moves: a secretary
types an answer, leaves the page idle past the 30-minute timeout, sends it, logs in again and finds her
answer saved and the next question asked; then she goes back a question with « Question précédente »."""

from __future__ import annotations

import socket
import threading
import time
from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
from conftest import require_program
from test_web import T23
from webhelpers import FAST, NEW_PASSWORD, Clock, make_people

from dpa_kit.breach_drafts import DraftStore
from dpa_kit.web import WebConfig, create_app


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@pytest.fixture
def served(registers: Path, tmp_path: Path) -> Iterator[tuple[str, Clock, Any, str]]:
    """The application on the loopback (uvicorn in a thread), its clock and the secretary's one-time password."""
    import uvicorn

    ledger = tmp_path / "ledger.sqlite"
    people = make_people(ledger, T23)
    clock = Clock(T23)
    app = create_app(WebConfig(registers=registers, ledger_path=ledger, now=clock, policy=FAST))
    port = _free_port()
    server = uvicorn.Server(uvicorn.Config(app, host="127.0.0.1", port=port, log_level="warning"))
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 30
    while not server.started:
        assert time.monotonic() < deadline, "the application did not start"
        time.sleep(0.05)
    try:
        yield f"http://127.0.0.1:{port}", clock, app, people.bethune_once
    finally:
        server.should_exit = True
        thread.join(timeout=30)


def test_an_answer_typed_before_the_idle_timeout_survives_the_login(
    served: tuple[str, Clock, Any, str], tmp_path: Path
) -> None:
    chromium_path = require_program("chromium")
    from playwright.sync_api import expect, sync_playwright

    base, clock, app, once = served
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=chromium_path)
        try:
            page = browser.new_context(java_script_enabled=False, locale="fr-FR").new_page()
            page.goto(base + "/connexion")
            page.get_by_label("Adresse électronique").fill("secretariat@ccas-bethune.fr")
            page.get_by_label("Mot de passe").fill(once)
            page.get_by_role("button", name="Se connecter").click()
            page.get_by_label("Nouveau mot de passe").fill(NEW_PASSWORD)
            page.get_by_label("Le même, une seconde fois").fill(NEW_PASSWORD)
            page.get_by_role("button", name="Enregistrer").click()
            page.goto(base + "/violations/nouvelle")
            page.get_by_label("Quand avez-vous eu connaissance de la violation ?").fill("aujourd'hui 18h")
            page.get_by_role("button", name="Enregistrer et continuer").click()
            expect(page.locator("input[name=question]")).to_have_value("convention")
            expect(page.get_by_text("Question 2 sur environ")).to_be_visible()
            page.get_by_role("button", name="Enregistrer et continuer").click()  # its only convention
            expect(page.locator("input[name=question]")).to_have_value("over")
            page.get_by_label("non, elle est toujours en cours").check()
            # She is called away for 40 minutes, then sends her answer.
            clock.instant = T23 + timedelta(minutes=40)
            page.get_by_role("button", name="Enregistrer et continuer").click()
            expect(page.get_by_role("heading", level=1)).to_have_text("Connexion")
            expect(page.get_by_role("status")).to_contain_text(
                "Votre session a expiré après une période sans activité. Reconnectez-vous : votre réponse est conservée"
            )
            page.screenshot(path=str(tmp_path / "session-expiree.png"), full_page=True)
            page.get_by_label("Adresse électronique").fill("secretariat@ccas-bethune.fr")
            page.get_by_label("Mot de passe").fill(NEW_PASSWORD)
            page.get_by_role("button", name="Se connecter").click()
            # Back at the declaration, her answer saved: the next question is asked.
            expect(page.locator("input[name=question]")).to_have_value("started_at")
            [draft] = DraftStore(app.state.web.ledger).all()
            assert draft.answers["over"] == "ongoing"
            # « Question précédente » shows her answer again.
            page.get_by_role("link", name="Question précédente").click()
            expect(page.locator("input[name=question]")).to_have_value("over")
            expect(page.get_by_label("non, elle est toujours en cours")).to_be_checked()
        finally:
            browser.close()
