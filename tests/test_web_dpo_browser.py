"""The DPO's pages in a real Chromium: the ENISA severity of a received breach, the breach register and its
download. Screenshots are written like those of test_web_browser.py (and copied to $DPA_KIT_SCREENSHOTS)."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path
from typing import Any

from conftest import require_program
from test_web_browser import NOW_UTC, _accessible, _login, _new_password, server, shots, smtp  # noqa: F401
from webhelpers import BETHUNE, code_at

from dpa_kit import breach as breaches
from dpa_kit import clock
from dpa_kit.ledger import Ledger
from dpa_kit.tables import read_rows


def test_dpo_assesses_severity_and_exports_the_register(
    server: tuple[str, dict[str, str]],  # noqa: F811
    shots: Any,  # noqa: F811
    tmp_path: Path,
) -> None:
    chromium_path = require_program("chromium")
    from playwright.sync_api import expect, sync_playwright

    base, once = server
    with clock.fixed(NOW_UTC):  # received at the server's (fixed) instant
        received = breaches.receive(
            Ledger(tmp_path / "ledger.sqlite"),
            convention_id=BETHUNE,
            structure="CCAS de Béthune",
            delay_hours=24,
            aware_at=NOW_UTC - timedelta(hours=5),
            received_at=NOW_UTC,
            details={"natures": ["confidentiality"], "description": "liste envoyée au mauvais destinataire"},
            structure_reference="V-2026-266200119-0001",
        )
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=chromium_path)
        try:
            dpo = browser.new_context(locale="fr-FR", accept_downloads=True).new_page()
            _login(dpo, base, "dpo@pasdecalais.fr", once["dpo"])
            secret = dpo.locator("#totp-secret").inner_text()
            dpo.get_by_label("Code à 6 chiffres").fill(code_at(secret, NOW_UTC))
            dpo.get_by_role("button", name="Confirmer").click()
            _new_password(dpo)
            expect(dpo.get_by_role("columnheader", name="Étape")).to_be_visible()
            dpo.get_by_role("link", name=received.id).click()

            # The severity: one answer missing, shown next to its field; then the result.
            dpo.get_by_label("Contexte du traitement (DPC)").select_option("4")
            dpo.get_by_label("Perte de confidentialité").select_option(label="destinataires inconnus")
            dpo.get_by_label("Perte d'intégrité").select_option(label="aucune")
            dpo.get_by_label("Perte de disponibilité").select_option(label="aucune")
            dpo.get_by_role("group", name="Intention malveillante").get_by_label("non").check()
            dpo.get_by_role("button", name="Évaluer la gravité").click()
            expect(dpo.locator("#e-ei")).to_contain_text("Erreur : choisissez une réponse")
            _accessible(dpo, "gravité avec une erreur")
            dpo.get_by_label("Facilité d'identification des personnes").select_option(label="importante")
            dpo.get_by_role("button", name="Évaluer la gravité").click()
            expect(dpo.locator("#gravite + p.success")).to_contain_text("Gravité : élevée (score 3,5")
            expect(dpo.get_by_label("Facilité d'identification des personnes")).to_have_value("significant")
            shots(dpo, "dpo-gravite")
            _accessible(dpo, "gravité évaluée")

            # The register, linked from the breach's page, and its download.
            dpo.get_by_role("link", name="Registre des violations (toutes, notifiées ou non)").click()
            expect(dpo.get_by_role("heading", level=1)).to_have_text("Registre des violations (art. 33(5) RGPD)")
            expect(dpo.get_by_role("row", name=received.id)).to_contain_text("élevée (3,5)")
            shots(dpo, "dpo-registre-violations")
            _accessible(dpo, "registre des violations")
            with dpo.expect_download() as download:
                dpo.get_by_role("link", name="Registre des violations, Excel (XLSX)").click()
            saved = tmp_path / download.value.suggested_filename
            download.value.save_as(saved)
            assert saved.name == "registre-violations-2026-03-28.xlsx"
            rows = read_rows(saved)
            assert rows[1][0] == received.id and "élevée (3,5)" in rows[1]
        finally:
            browser.close()
    recorded = breaches.all_breaches(Ledger(tmp_path / "ledger.sqlite"))[received.id].severity
    assert recorded is not None and recorded["band"] == "élevé"
