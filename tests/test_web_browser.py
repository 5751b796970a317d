"""End to end in a real Chromium (Playwright driving Debian's /usr/bin/chromium) against `dpa-kit serve`.

A structure's secretary declares at 23:00 a breach found at 18:00, makes one mistake, leaves and comes
back to her draft, sends it; the DPO logs in with a TOTP code, sees it with the right deadline and records
the CNIL decision; the SMTP server on the loopback received the copy. Screenshots of every main page are
written under the test's temporary folder, and copied to $DPA_KIT_SCREENSHOTS when it is set.
"""

from __future__ import annotations

import email
import os
import shutil
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from datetime import UTC, datetime
from email import policy
from pathlib import Path
from typing import Any

import pytest
from conftest import require_program
from webhelpers import BETHUNE, NEW_PASSWORD, code_at

from dpa_kit import breach as breaches
from dpa_kit.accounts import Accounts, web_database_path
from dpa_kit.ledger import Ledger

NOW = "2026-03-28T23:00"  # Paris time, a Saturday night
NOW_UTC = datetime(2026, 3, 28, 22, 0, tzinfo=UTC)
DPO_ADDRESS = "Delegue.Protection.Donnees@pasdecalais.fr"
# Read at import: the autouse fixture of conftest.py hides every DPA_KIT_* variable from the tests.
SCREENSHOTS = os.environ.get("DPA_KIT_SCREENSHOTS")


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


class _Inbox:
    def __init__(self) -> None:
        self.messages: list[tuple[str, list[str], bytes]] = []

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
        self.messages.append((envelope.mail_from, list(envelope.rcpt_tos), envelope.content))
        return "250 OK"


@pytest.fixture
def smtp() -> Iterator[tuple[_Inbox, int]]:
    from aiosmtpd.controller import Controller

    inbox, port = _Inbox(), _free_port()
    controller = Controller(inbox, hostname="127.0.0.1", port=port)
    controller.start()
    try:
        yield inbox, port
    finally:
        controller.stop()


@pytest.fixture
def shots(tmp_path: Path) -> Iterator[Any]:
    folder = tmp_path / "screenshots"
    folder.mkdir()
    taken: list[Path] = []

    def shoot(page: Any, name: str) -> None:
        path = folder / f"{len(taken) + 1:02d}-{name}.png"
        page.screenshot(path=str(path), full_page=True)
        taken.append(path)

    yield shoot
    if SCREENSHOTS:
        Path(SCREENSHOTS).mkdir(parents=True, exist_ok=True)
        for path in taken:
            shutil.copy2(path, Path(SCREENSHOTS) / path.name)


@pytest.fixture
def server(registers: Path, tmp_path: Path, smtp: tuple[_Inbox, int]) -> Iterator[tuple[str, dict[str, str]]]:
    ledger = tmp_path / "ledger.sqlite"
    accounts = Accounts(web_database_path(ledger), Ledger(ledger))
    _, dpo = accounts.add_user("dpo@pasdecalais.fr", "dpo", None, now=NOW_UTC, actor="test")
    _, bethune = accounts.add_user(
        "secretariat@ccas-bethune.fr", "structure", "26620011900011", now=NOW_UTC, actor="test"
    )
    port = _free_port()
    env = {
        **os.environ,
        "DPA_KIT_NOW": NOW,
        "DPA_KIT_SMTP": f"smtp://127.0.0.1:{smtp[1]}",
        "DPA_KIT_WEB_SENDER": "rgpd-web@pasdecalais.fr",
    }
    process = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "dpa_kit",
            "--registers",
            str(registers),
            "--ledger",
            str(ledger),
            "serve",
            "--port",
            str(port),
        ],
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
    )
    try:
        deadline = time.monotonic() + 60
        while True:
            with socket.socket() as sock:
                if sock.connect_ex(("127.0.0.1", port)) == 0:
                    break
            if process.poll() is not None or time.monotonic() > deadline:
                raise AssertionError(f"dpa-kit serve did not start: {process.communicate()}")
            time.sleep(0.2)
        yield f"http://127.0.0.1:{port}", {"dpo": dpo, "bethune": bethune}
    finally:
        process.terminate()
        process.communicate(timeout=30)


WCAG_AA = {"runOnly": {"type": "tag", "values": ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa"]}}


def _accessible(page: Any, where: str) -> None:
    """axe-core (WCAG 2.1 A and AA rules) finds no violation on the page."""
    from axe_playwright_python.sync_playwright import Axe

    results = Axe().run(page, options=WCAG_AA)
    assert results.violations_count == 0, f"{where}:\n{results.generate_report()}"


def _login(page: Any, base: str, email_address: str, password: str) -> None:
    page.goto(base + "/connexion")
    page.get_by_label("Adresse électronique").fill(email_address)
    page.get_by_label("Mot de passe").fill(password)
    page.get_by_role("button", name="Se connecter").click()


def _new_password(page: Any) -> None:
    page.get_by_label("Nouveau mot de passe").fill(NEW_PASSWORD)
    page.get_by_label("Le même, une seconde fois").fill(NEW_PASSWORD)
    page.get_by_role("button", name="Enregistrer").click()


def _on(page: Any, key: str) -> None:
    """The page asks the question ``key`` of the questionnaire."""
    from playwright.sync_api import expect

    expect(page.locator("input[name=question]")).to_have_value(key)


def _next(page: Any) -> None:
    page.get_by_role("button", name="Enregistrer et continuer").click()


def test_structure_declares_dpo_decides(
    server: tuple[str, dict[str, str]], smtp: tuple[_Inbox, int], shots: Any, tmp_path: Path
) -> None:
    chromium_path = require_program("chromium")
    from playwright.sync_api import expect, sync_playwright

    base, once = server
    inbox, _ = smtp
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=chromium_path)
        try:
            # --- the structure, first without JavaScript: the pages work on their own ------------------
            structure = browser.new_context(java_script_enabled=False, locale="fr-FR").new_page()
            _login(structure, base, "secretariat@ccas-bethune.fr", "mauvais mot de passe")
            expect(structure.get_by_role("alert")).to_contain_text("Adresse électronique ou mot de passe incorrect.")
            expect(structure.get_by_label("Adresse électronique")).to_have_value("secretariat@ccas-bethune.fr")
            shots(structure, "connexion-refusee")
            _login(structure, base, "secretariat@ccas-bethune.fr", once["bethune"])
            expect(structure.get_by_role("heading", level=1)).to_have_text("Choisir votre mot de passe")
            _new_password(structure)
            expect(structure.get_by_role("heading", level=1)).to_have_text("Mes conventions")
            shots(structure, "structure-accueil")
            structure.get_by_role("link", name="Déclarer une violation").first.click()
            # One question a page, the terminal's questions: found at 18:00, declared at 23:00.
            _on(structure, "aware_at")
            structure.get_by_label("Quand avez-vous eu connaissance de la violation ?").fill("28/03/2026 18:00")
            _next(structure)
            _on(structure, "convention")
            deadline_box = structure.get_by_role("status")
            # 24 h of elapsed time across the DST change.
            expect(deadline_box).to_contain_text("dimanche 29 mars 2026 à 19 h 00, heure de Paris – il reste 19 h 00")
            expect(structure.get_by_label(f"CCAS de Béthune : {BETHUNE}")).to_be_checked()  # its only convention
            shots(structure, "declaration-echeance")
            _next(structure)
            _on(structure, "over")
            structure.get_by_label("non, elle est toujours en cours").check()
            _next(structure)
            _on(structure, "started_at")
            # She goes on in another browser, with JavaScript (axe-core needs it): the draft follows her.
            structure.context.close()
            structure = browser.new_context(locale="fr-FR").new_page()
            _login(structure, base, "secretariat@ccas-bethune.fr", NEW_PASSWORD)
            _accessible(structure, "accueil de la structure")
            structure.get_by_role("link", name="la reprendre").click()
            _on(structure, "started_at")
            expect(structure.get_by_role("status")).to_contain_text("dimanche 29 mars 2026 à 19 h 00, heure de Paris")
            _accessible(structure, "déclaration, une question")
            structure.get_by_role("button", name="Je ne sais pas encore").click()
            _on(structure, "discovery")
            structure.get_by_label("Comment avez-vous découvert la violation ?").fill("appel du destinataire")
            _next(structure)
            _on(structure, "natures")
            structure.get_by_label("perte de confidentialité").check()
            _next(structure)
            _on(structure, "origin")
            structure.get_by_label("interne, accidentelle").check()
            _next(structure)
            _on(structure, "cause")
            # « Question précédente »: the answer given, shown again; saving it comes back here.
            structure.get_by_role("link", name="Question précédente").click()
            _on(structure, "origin")
            expect(structure.get_by_label("interne, accidentelle")).to_be_checked()
            _next(structure)
            _on(structure, "cause")
            structure.get_by_role("button", name="Je ne sais pas encore").click()
            _on(structure, "description")
            structure.get_by_label("Que s'est-il passé ?").fill(
                "liste des bénéficiaires envoyée au mauvais destinataire"
            )
            _next(structure)
            # The convention's categories are offered first, none ticked: she ticks what the breach concerns.
            _on(structure, "data_categories")
            civil = structure.get_by_label("état civil (nom, prénom, date de naissance)", exact=True)
            expect(civil).not_to_be_checked()
            civil.check()
            _next(structure)
            _on(structure, "sensitive_data")
            health = structure.get_by_label("données de santé", exact=True)
            expect(health).not_to_be_checked()  # the convention lists them: offered, never declared by default
            structure.get_by_label("aucune donnée sensible").check()
            _next(structure)
            # One mistake, shown next to its field, with what she typed.
            _on(structure, "records")
            records = structure.get_by_label("Combien d'enregistrements")
            records.fill("beaucoup")
            _next(structure)
            expect(structure.locator("#e-reponse")).to_contain_text(
                "Erreur : « beaucoup » n'est pas un nombre : tapez un nombre (40), une fourchette (40 à 50)"
            )
            expect(records).to_have_attribute("aria-describedby", "h-reponse e-reponse")
            expect(records).to_have_attribute("aria-invalid", "true")
            expect(records).to_have_value("beaucoup")
            shots(structure, "declaration-erreur")
            _accessible(structure, "déclaration avec une erreur")
            # Leave mid-way, reload, come back from the home page: the draft is there.
            structure.reload()
            structure.goto(base + "/structure")
            expect(structure.get_by_text("Une déclaration commencée n'a pas été envoyée")).to_be_visible()
            structure.get_by_role("link", name="la reprendre").click()
            _on(structure, "records")
            shots(structure, "declaration-reprise")
            structure.get_by_label("Combien d'enregistrements").fill("40 à 50")
            _next(structure)
            _on(structure, "people_categories")
            structure.get_by_label("bénéficiaires du RSA", exact=False).check()
            _next(structure)
            _on(structure, "people")
            structure.get_by_label("Combien de personnes environ ?").fill("40")
            _next(structure)
            _on(structure, "vulnerable")
            structure.get_by_label("ni mineurs ni personnes vulnérables").check()
            _next(structure)
            _on(structure, "measures_before")
            structure.get_by_label("Quelles mesures de sécurité étaient en place").fill("accès par mot de passe")
            _next(structure)
            _on(structure, "consequences")
            structure.get_by_role("button", name="Je ne sais pas encore").click()
            _on(structure, "measures")
            structure.get_by_label("Quelles mesures avez-vous prises").fill("demande de suppression au destinataire")
            _next(structure)
            _on(structure, "subjects_informed")
            structure.get_by_label("pas encore décidé").check()
            _next(structure)
            _on(structure, "other_authorities")
            _next(structure)
            _on(structure, "contact")
            structure.get_by_label("Qui le Département peut-il joindre").fill("Mme Martin, 03 21 00 00 00")
            _next(structure)
            expect(structure.get_by_role("heading", level=1)).to_have_text("Vérifier et envoyer la déclaration")
            facts = structure.locator("dl.facts").first
            expect(facts).to_contain_text("samedi 28 mars 2026 à 18 h 00")
            expect(facts).to_contain_text("40 à 50")
            # « Modifier » one answer: the others stay.
            structure.get_by_role("link", name="Modifier : Combien de personnes environ ?").click()
            expect(structure.get_by_label("Combien de personnes environ ?")).to_have_value("40")
            structure.get_by_label("Combien de personnes environ ?").fill("environ 40")
            _next(structure)
            expect(structure.get_by_role("heading", level=1)).to_have_text("Vérifier et envoyer la déclaration")
            expect(facts).to_contain_text("environ 40")
            expect(facts).to_contain_text("40 à 50")
            shots(structure, "declaration-verification")
            _accessible(structure, "vérification")
            structure.get_by_role("button", name="Envoyer la déclaration au Département").click()
            expect(structure.get_by_role("heading", level=1)).to_have_text("Violation V-2026-266200119-0001")
            expect(structure.locator("p.success")).to_have_text(
                "Déclaration transmise au Département le samedi 28 mars 2026 à 23 h 00 (heure de Paris)."
            )
            shots(structure, "declaration-envoyee")

            # --- the DPO, with JavaScript --------------------------------------------------------------
            dpo = browser.new_context(locale="fr-FR").new_page()
            _login(dpo, base, "dpo@pasdecalais.fr", once["dpo"])
            expect(dpo.get_by_role("heading", level=1)).to_have_text("Enregistrer votre second facteur")
            shots(dpo, "dpo-second-facteur")
            secret = dpo.locator("#totp-secret").inner_text()
            dpo.get_by_label("Code à 6 chiffres").fill(code_at(secret, NOW_UTC))
            dpo.get_by_role("button", name="Confirmer").click()
            _new_password(dpo)
            expect(dpo.get_by_role("heading", level=1)).to_have_text(
                "Tableau de bord du délégué à la protection des données"
            )
            row = dpo.locator("table.inbox tbody tr").first
            expect(row).to_contain_text("V-2026-266200119-0001")  # the structure's declaration, received
            expect(row).to_contain_text("mercredi 1er avril 2026 à 00 h 00, heure de Paris – il reste 72 h 00")
            shots(dpo, "dpo-tableau-de-bord")
            _accessible(dpo, "tableau de bord")
            row.get_by_role("link", name="V-2026-266200119-0001").click()
            expect(dpo.locator("dl.facts").first).to_contain_text("samedi 28 mars 2026 à 18 h 00 (heure de Paris)")
            expect(dpo.locator("dl.facts").first).to_contain_text("dimanche 29 mars 2026 à 19 h 00 (heure de Paris)")
            dpo.get_by_label("non (décision motivée, art. 33(5))").check()
            dpo.get_by_role("button", name="Enregistrer la décision CNIL").click()
            expect(dpo.locator("#e-reason")).to_have_text("Erreur : sans notification à la CNIL, documentez la raison")
            _accessible(dpo, "décision CNIL avec une erreur")
            dpo.get_by_label("Raison de l'absence de notification").fill(
                "liste supprimée par le destinataire, un service social tenu au secret : risque improbable"
            )
            dpo.get_by_role("button", name="Enregistrer la décision CNIL").click()
            expect(dpo.locator("p.success")).to_have_text(
                "Non notifiée à la CNIL : liste supprimée par le destinataire, un service social tenu au secret : "
                "risque improbable"
            )
            shots(dpo, "dpo-decision-cnil")
        finally:
            browser.close()

    ledger = Ledger(tmp_path / "ledger.sqlite")
    found = breaches.all_breaches(ledger)
    assert list(found) == ["V-2026-266200119-0001"]  # one declaration, one breach
    assert found["V-2026-266200119-0001"].cnil == {
        "notified": False,
        "at": None,
        "reference": None,
        "late": False,
        "delay_reason": None,
        "reason": "liste supprimée par le destinataire, un service social tenu au secret : risque improbable",
    }
    assert found["V-2026-266200119-0001"].details["people"] == {"min": 40, "max": 40, "approximate": True}
    assert found["V-2026-266200119-0001"].details["records"] == {"min": 40, "max": 50, "approximate": True}
    assert ledger.verify().ok
    # The copy to the Département's DPO, and the acknowledgement to the user who declared.
    assert sorted(r for _, rs, _ in inbox.messages for r in rs) == [DPO_ADDRESS, "secretariat@ccas-bethune.fr"]
    sender, recipients, raw = next(m for m in inbox.messages if m[1] == [DPO_ADDRESS])
    assert (sender, recipients) == ("rgpd-web@pasdecalais.fr", [DPO_ADDRESS])
    message = email.message_from_bytes(raw, policy=policy.default)
    assert (
        message["Subject"]
        == f"[Violation de données] Convention {BETHUNE} - V-2026-266200119-0001 - notification initiale"
    )
    body = message.get_body(preferencelist=("plain",)).get_content()  # type: ignore[union-attr]
    assert "- Prise de connaissance par l'organisme : samedi 28 mars 2026 à 18 h 00" in body
    assert "- Nombre approximatif de personnes : environ 40" in body
    assert "- Cause : je ne sais pas encore (sera précisé dans une notification complémentaire)" in body
