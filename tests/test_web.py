"""The web application through the framework's test client: exact status codes and French texts."""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient
from webhelpers import (
    ADIL,
    BETHUNE,
    FAST,
    NEW_PASSWORD,
    Clock,
    People,
    code_at,
    csrf_of,
    make_people,
    totp_secret_of,
)

from dpa_kit import breach as breaches
from dpa_kit.accounts import Accounts, web_database_path
from dpa_kit.ledger import Ledger
from dpa_kit.web import WebConfig, create_app

# Saturday 28 March 2026, 23:00 in Paris; the breach was discovered at 18:00.
T23 = datetime(2026, 3, 28, 22, 0, tzinfo=UTC)


@pytest.fixture
def clock() -> Clock:
    return Clock(T23)


@pytest.fixture
def site(registers: Path, tmp_path: Path, clock: Clock) -> tuple[Any, People]:
    ledger = tmp_path / "ledger.sqlite"
    people = make_people(ledger, T23)
    app = create_app(WebConfig(registers=registers, ledger_path=ledger, now=clock, policy=FAST))
    return app, people


def client(app: Any) -> TestClient:
    return TestClient(app, follow_redirects=False, raise_server_exceptions=False)


def login(app: Any, email: str, password: str, *, secret: list[str] | None = None, now: datetime = T23) -> TestClient:
    """Log in through the pages; a first login replaces the one-time password (and enrols the DPO's TOTP)."""
    c = client(app)
    page = c.get("/connexion")
    response = c.post("/connexion", data={"csrf": csrf_of(page.text), "email": email, "password": password})
    assert response.status_code == 303, response.text
    while response.headers["location"] not in {"/structure", "/dpo"}:
        where = response.headers["location"]
        page = c.get(where)
        assert page.status_code == 200, where
        data = {"csrf": csrf_of(page.text)}
        if where == "/connexion/second-facteur":
            assert secret is not None
            secret.append(totp_secret_of(page.text))
            data["code"] = code_at(secret[-1], now)
        elif where == "/connexion/code":
            assert secret
            data["code"] = code_at(secret[-1], now + timedelta(seconds=30))  # a fresh window: codes are single-use
        elif where == "/connexion/mot-de-passe":
            data.update(password=NEW_PASSWORD, confirmation=NEW_PASSWORD)
        response = c.post(where, data=data)
        assert response.status_code == 303, response.text
    return c


def declare(c: TestClient, **overrides: str) -> TestClient:
    """Fill every step of the declaration and send it."""
    answers = {
        "quand": {"convention": BETHUNE, "aware_at": "28/03/2026 18:00", "over": "oui", "ended_at": "28/03/2026 18:30"},
        "quoi": {
            "natures": "confidentiality",
            "description": "liste des bénéficiaires envoyée au mauvais destinataire",
        },
        "qui": {"people": "40", "data_categories": "noms, adresses"},
        "mesures": {"measures": "demande de suppression au destinataire", "contact": "Mme Martin 03 21 00 00 00"},
    }
    for step, values in answers.items():
        page = c.get(f"/violations/nouvelle?etape={step}")
        data = {
            "csrf": csrf_of(page.text),
            "etape": step,
            **values,
            **{k: v for k, v in overrides.items() if k in values},
        }
        response = c.post("/violations/nouvelle", data=data)
        assert response.status_code == 303, response.text
    page = c.get("/violations/nouvelle?etape=verifier")
    assert "<dd>28 mars 2026 à 18 h 00 (heure de Paris)</dd>" in page.text
    assert "<dd><em>je ne sais pas encore</em></dd>" in page.text  # the cause, not given
    response = c.post("/violations/envoyer", data={"csrf": csrf_of(page.text)})
    assert response.status_code == 303, response.text
    return c


# --- security -------------------------------------------------------------------------------------


@pytest.mark.parametrize("path", ["/connexion", "/page-inconnue", "/static/style.css"])
def test_security_headers_on_every_response(site: tuple[Any, People], path: str) -> None:
    app, _ = site
    response = client(app).get(path)
    assert response.headers["content-security-policy"].startswith("default-src 'self'; script-src 'self';")
    assert "frame-ancestors 'none'" in response.headers["content-security-policy"]
    assert response.headers["x-frame-options"] == "DENY"
    assert response.headers["x-content-type-options"] == "nosniff"
    assert response.headers["referrer-policy"] == "same-origin"


def test_pages_have_no_inline_script_and_no_outside_asset(site: tuple[Any, People]) -> None:
    app, people = site
    c = login(app, people.bethune, people.bethune_once)
    for path in ("/connexion", "/structure", "/violations/nouvelle"):
        html = c.get(path).text
        assert not re.search(r"<script(?![^>]*\ssrc=\"/static/)", html), path
        assert (
            " style=" not in html and "http://" not in html.replace("http://testserver", "") and "https://" not in html
        )


def test_cookies_are_httponly_samesite_strict_and_secure_when_asked(
    site: tuple[Any, People], registers: Path, tmp_path: Path
) -> None:
    app, people = site
    c = client(app)
    page = c.get("/connexion")
    assert "HttpOnly" in page.headers["set-cookie"] and "SameSite=strict" in page.headers["set-cookie"]
    response = c.post(
        "/connexion", data={"csrf": csrf_of(page.text), "email": people.bethune, "password": people.bethune_once}
    )
    cookie = response.headers["set-cookie"]
    assert cookie.startswith("dpa_session=") and "HttpOnly" in cookie and "SameSite=strict" in cookie
    assert "Max-Age=43200" in cookie and "Secure" not in cookie
    secure = create_app(
        WebConfig(
            registers=registers,
            ledger_path=tmp_path / "ledger.sqlite",
            secure_cookies=True,
            now=Clock(T23),
            policy=FAST,
        )
    )
    response = TestClient(secure, base_url="https://testserver").get("/connexion")
    assert "Secure" in response.headers["set-cookie"]
    assert response.headers["strict-transport-security"] == "max-age=31536000"


def test_french_error_pages_without_traceback(site: tuple[Any, People], monkeypatch: pytest.MonkeyPatch) -> None:
    app, people = site
    response = client(app).get("/rien-ici")
    assert response.status_code == 404
    assert "<h1>Page introuvable</h1>" in response.text
    response = client(app).delete("/connexion")
    assert response.status_code == 405
    assert "<h1>Action impossible</h1>" in response.text
    c = login(app, people.dpo, people.dpo_once, secret=[])

    def broken(*args: Any, **kwargs: Any) -> None:
        raise RuntimeError("secret interne /srv/registers")

    monkeypatch.setattr("dpa_kit.status.overview", broken)
    response = c.get("/dpo")
    assert response.status_code == 500
    assert "<h1>Erreur interne</h1>" in response.text
    assert "Traceback" not in response.text and "secret interne" not in response.text


# --- logging in -----------------------------------------------------------------------------------


def test_login_refused_with_french_message_and_address_kept(site: tuple[Any, People]) -> None:
    app, people = site
    c = client(app)
    page = c.get("/connexion")
    response = c.post("/connexion", data={"csrf": csrf_of(page.text), "email": people.bethune, "password": "faux"})
    assert response.status_code == 401
    assert "adresse électronique ou mot de passe incorrect" in response.text
    assert f'value="{people.bethune}"' in response.text


def test_anonymous_user_is_sent_to_the_login_page(site: tuple[Any, People]) -> None:
    app, _ = site
    for path in ("/", "/structure", "/dpo", f"/conventions/{BETHUNE}", "/violations/nouvelle"):
        response = client(app).get(path)
        assert (response.status_code, response.headers["location"]) == (303, "/connexion"), path


def test_login_rate_limited_per_client(site: tuple[Any, People]) -> None:
    app, people = site
    c = client(app)
    token = csrf_of(c.get("/connexion").text)
    for _ in range(20):
        assert c.post("/connexion", data={"csrf": token, "email": people.adil, "password": "x"}).status_code == 401
    response = c.post("/connexion", data={"csrf": token, "email": people.adil, "password": people.adil_once})
    assert response.status_code == 429
    assert "trop de tentatives de connexion depuis ce poste" in response.text


def test_lockout_after_five_failures(site: tuple[Any, People]) -> None:
    app, people = site
    c = client(app)
    token = csrf_of(c.get("/connexion").text)
    for _ in range(5):
        c.post("/connexion", data={"csrf": token, "email": people.adil, "password": "x"})
    response = c.post("/connexion", data={"csrf": token, "email": people.adil, "password": people.adil_once})
    assert response.status_code == 401
    assert "compte temporairement verrouillé après plusieurs échecs : réessayez dans 15 minute(s)" in response.text


def test_dpo_must_enrol_totp_then_give_a_code(site: tuple[Any, People], clock: Clock) -> None:
    app, people = site
    secret: list[str] = []
    c = login(app, people.dpo, people.dpo_once, secret=secret)
    assert c.get("/dpo").status_code == 200
    c2 = client(app)
    page = c2.get("/connexion")
    response = c2.post("/connexion", data={"csrf": csrf_of(page.text), "email": people.dpo, "password": NEW_PASSWORD})
    assert response.headers["location"] == "/connexion/code"
    assert c2.get("/dpo").headers["location"] == "/connexion/code"  # no page before the second factor
    page = c2.get("/connexion/code")
    response = c2.post("/connexion/code", data={"csrf": csrf_of(page.text), "code": "12345"})
    assert response.status_code == 401
    assert "code incorrect ou déjà utilisé" in response.text
    assert 'aria-describedby="e-code"' in response.text
    response = c2.post(
        "/connexion/code", data={"csrf": csrf_of(page.text), "code": code_at(secret[0], T23 + timedelta(seconds=30))}
    )
    assert (response.status_code, response.headers["location"]) == (303, "/dpo")


def test_logout_ends_the_session(site: tuple[Any, People]) -> None:
    app, people = site
    c = login(app, people.bethune, people.bethune_once)
    page = c.get("/structure")
    assert c.post("/deconnexion", data={"csrf": csrf_of(page.text)}).headers["location"] == "/connexion"
    assert c.get("/structure").headers["location"] == "/connexion"


def test_idle_session_expires(site: tuple[Any, People], clock: Clock) -> None:
    app, people = site
    c = login(app, people.bethune, people.bethune_once)
    clock.instant = T23 + timedelta(minutes=29)
    assert c.get("/structure").status_code == 200
    clock.instant = T23 + timedelta(minutes=60)
    assert c.get("/structure").headers["location"] == "/connexion"


def test_disabled_user_is_logged_out_at_once(site: tuple[Any, People], tmp_path: Path) -> None:
    app, people = site
    c = login(app, people.bethune, people.bethune_once)
    assert c.get("/structure").status_code == 200
    ledger_path = tmp_path / "ledger.sqlite"
    Accounts(web_database_path(ledger_path), Ledger(ledger_path), FAST).disable(people.bethune, now=T23, actor="test")
    response = c.get("/structure")
    assert (response.status_code, response.headers["location"]) == (303, "/connexion")


# --- CSRF -------------------------------------------------------------------------------------------


def test_forms_without_their_csrf_token_are_refused(site: tuple[Any, People]) -> None:
    app, people = site
    response = client(app).post("/connexion", data={"email": people.bethune, "password": people.bethune_once})
    assert response.status_code == 403
    assert "<h1>Action refusée</h1>" in response.text
    c = login(app, people.bethune, people.bethune_once)
    other = login(app, people.adil, people.adil_once)
    foreign = csrf_of(other.get("/structure").text)
    for token in (None, "", foreign):
        data = {"etape": "quand", "convention": BETHUNE, "aware_at": "maintenant", "over": "non"}
        if token is not None:
            data["csrf"] = token
        response = c.post("/violations/nouvelle", data=data)
        assert response.status_code == 403
    assert c.post("/deconnexion").status_code == 403
    assert c.get("/structure").status_code == 200  # still logged in


# --- the declaration --------------------------------------------------------------------------------


def test_declaration_errors_next_to_their_fields_values_kept_draft_resumed(
    site: tuple[Any, People], tmp_path: Path
) -> None:
    app, people = site
    c = login(app, people.bethune, people.bethune_once)
    page = c.get("/violations/nouvelle")
    assert page.status_code == 200
    assert '<option value="2026-DPID-CCAS-BETHUNE-1.2" selected>' in page.text  # its only convention
    assert ADIL not in page.text
    response = c.post(
        "/violations/nouvelle",
        data={
            "csrf": csrf_of(page.text),
            "etape": "quand",
            "convention": BETHUNE,
            "aware_at": "29/03/2026 18:00",
            "over": "non",
        },
    )
    assert response.status_code == 400
    assert (
        '<p class="error" id="e-aware_at"><strong>Erreur :</strong> prise de connaissance « 29/03/2026 18:00 » : '
        "dimanche 29 mars 2026 à 18 h 00 est dans le futur (il est samedi 28 mars 2026 à 23 h 00) ; "
        "vouliez-vous dire « hier » ?</p>"
    ) in response.text
    assert (
        'name="aware_at" type="text" value="29/03/2026 18:00" '
        'aria-describedby="h-aware_at e-aware_at" aria-invalid="true"' in response.text
    )
    assert 'value="non" checked' in response.text
    response = c.post(
        "/violations/nouvelle",
        data={
            "csrf": csrf_of(page.text),
            "etape": "quand",
            "convention": BETHUNE,
            "aware_at": "28/03/2026 18:00",
            "over": "non",
        },
    )
    assert (response.status_code, response.headers["location"]) == (303, "/violations/nouvelle?etape=quoi")
    # Another browser of the same person finds the draft where it stopped, with the deadline.
    again = login(app, people.bethune, NEW_PASSWORD)
    assert "Une déclaration commencée n'a pas été envoyée" in again.get("/structure").text
    page = again.get("/violations/nouvelle")
    assert 'name="etape" value="quoi"' in page.text
    assert "À notifier au Département avant le\n<strong>29 mars 2026 à 19 h 00 (heure de Paris)</strong>" in page.text
    assert "(il reste 19 h 00)" in page.text
    response = again.post("/violations/nouvelle", data={"csrf": csrf_of(page.text), "etape": "quoi", "description": ""})
    assert response.status_code == 400
    assert "cochez au moins une nature (confidentialité, intégrité ou disponibilité)" in response.text
    assert "décrivez en quelques mots ce qui s&#39;est passé" in response.text
    response = again.post(
        "/violations/nouvelle", data={"csrf": csrf_of(page.text), "etape": "quoi", "action": "precedent"}
    )
    assert response.headers["location"] == "/violations/nouvelle?etape=quand"
    assert 'value="28/03/2026 18:00"' in again.get("/violations/nouvelle?etape=quand").text


def test_people_count_must_be_a_number(site: tuple[Any, People]) -> None:
    app, people = site
    c = login(app, people.bethune, people.bethune_once)
    page = c.get("/violations/nouvelle?etape=qui")
    response = c.post("/violations/nouvelle", data={"csrf": csrf_of(page.text), "etape": "qui", "people": "beaucoup"})
    assert response.status_code == 400
    assert "indiquez un nombre (par exemple 40), ou laissez vide si vous ne savez pas encore" in response.text
    assert 'value="beaucoup"' in response.text


def test_submitted_declaration_is_notified_and_received_on_the_server_clock(
    site: tuple[Any, People], tmp_path: Path
) -> None:
    app, people = site
    c = declare(login(app, people.bethune, people.bethune_once))
    ledger = Ledger(tmp_path / "ledger.sqlite")
    found = breaches.all_breaches(ledger)
    declared, received = found["V-2026-266200119-0001"], found["V-2026-266200119-0002"]
    assert declared.side == "structure" and declared.notified_at == T23
    assert declared.notify_deadline == datetime(2026, 3, 29, 17, 0, tzinfo=UTC)
    assert received.side == "departement" and received.received_at == T23
    assert received.cnil_deadline == T23 + timedelta(hours=72)
    assert received.details["structure_reference"] == "V-2026-266200119-0001"
    assert "cause" in received.details["pending"] and "cause" not in received.details
    page = c.get("/violations/V-2026-266200119-0001?courriel=non")
    assert "Déclaration transmise au Département le 28 mars 2026 à 23 h 00 (heure de Paris)." in page.text
    assert "Le courriel de copie n'a pas pu partir" in page.text
    assert "<li>Cause</li>" in page.text
    assert c.get("/violations/nouvelle").text.count('name="etape" value="quand"') == 1  # draft gone
    actions = [e.payload for e in ledger.events(kind_prefix="account.action")]
    assert actions == [
        {"action": "breach.declared", "object": "V-2026-266200119-0001", "received_as": "V-2026-266200119-0002"}
    ]


def test_complement_after_the_notification(site: tuple[Any, People], tmp_path: Path) -> None:
    app, people = site
    c = declare(login(app, people.bethune, people.bethune_once))
    page = c.get("/violations/V-2026-266200119-0001")
    assert '<form method="post" action="/violations/V-2026-266200119-0001/complement"' in page.text
    url = "/violations/V-2026-266200119-0001/complement"
    response = c.post(url, data={"csrf": csrf_of(page.text), "people": "", "cause": ""})
    assert response.status_code == 400
    assert "complétez au moins un des points encore inconnus" in response.text
    response = c.post(url, data={"csrf": csrf_of(page.text), "cause": "erreur de destinataire", "records": "beaucoup"})
    assert response.status_code == 400
    assert "indiquez un nombre (par exemple 40)" in response.text
    assert "erreur de destinataire" in response.text  # kept
    response = c.post(url, data={"csrf": csrf_of(page.text), "cause": "erreur de destinataire", "records": "120"})
    assert response.status_code == 303
    found = breaches.all_breaches(Ledger(tmp_path / "ledger.sqlite"))
    for side in ("V-2026-266200119-0001", "V-2026-266200119-0002"):
        assert found[side].details["cause"] == "erreur de destinataire" and found[side].details["records"] == 120
        assert "cause" not in found[side].details["pending"]
    assert [n["type"] for n in found["V-2026-266200119-0001"].notifications] == ["initial", "complementary"]
    page = c.get("/violations/V-2026-266200119-0001")
    assert "<li>Cause</li>" not in page.text and "<li>Circonstances de la découverte</li>" in page.text


def test_late_declaration_needs_its_delay_reason(site: tuple[Any, People], clock: Clock) -> None:
    app, people = site
    clock.instant = T23 + timedelta(hours=20)
    c = login(app, people.bethune, people.bethune_once, now=clock.instant)
    page = c.get("/violations/nouvelle?etape=mesures")
    c.post(
        "/violations/nouvelle",
        data={
            "csrf": csrf_of(page.text),
            "etape": "quand",
            "convention": BETHUNE,
            "aware_at": "28/03/2026 18:00",
            "over": "non",
        },
    )
    response = c.post("/violations/nouvelle", data={"csrf": csrf_of(page.text), "etape": "mesures"})
    assert response.status_code == 400
    assert (
        "l&#39;échéance de notification est dépassée : indiquez les motifs du retard (art. 33(1) RGPD)" in response.text
    )


# --- the DPO ------------------------------------------------------------------------------------------


def test_dpo_dashboard_inbox_and_cnil_decision(site: tuple[Any, People], clock: Clock) -> None:
    app, people = site
    declare(login(app, people.bethune, people.bethune_once))
    clock.instant = T23 + timedelta(hours=67)  # five hours left for the CNIL
    c = login(app, people.dpo, people.dpo_once, secret=[], now=clock.instant)
    page = c.get("/dpo")
    assert page.status_code == 200
    row = re.search(r'<tr class="(\w+)">\s*<td><a href="/dpo/violations/V-2026-266200119-0002">', page.text)
    assert row and row.group(1) == "near"
    assert "Vue d'ensemble établie le 31 mars 2026 à 19 h 00 (heure de Paris)" in page.text  # the app's clock
    assert "1er avril 2026 à 00 h 00 (heure de Paris)" in page.text and "(il reste 5 h 00)" in page.text
    page = c.get("/dpo/violations/V-2026-266200119-0002")
    assert "Référence de la structure</dt><dd>V-2026-266200119-0001" in page.text
    response = c.post(
        "/dpo/violations/V-2026-266200119-0002/cnil", data={"csrf": csrf_of(page.text), "notified": "oui"}
    )
    assert response.status_code == 400
    assert "réponse obligatoire : la date et l&#39;heure, même approximatives" in response.text
    response = c.post(
        "/dpo/violations/V-2026-266200119-0002/cnil", data={"csrf": csrf_of(page.text), "notified": "non"}
    )
    assert "sans notification à la CNIL, documentez la raison" in response.text
    response = c.post(
        "/dpo/violations/V-2026-266200119-0002/cnil",
        data={"csrf": csrf_of(page.text), "notified": "oui", "at": "31/03/2026 18:30", "reference": "CNIL-2026-123"},
    )
    assert (response.status_code, response.headers["location"]) == (303, "/dpo/violations/V-2026-266200119-0002")
    assert (
        "Notifiée à la CNIL le 31 mars 2026 à 18 h 30 (heure de Paris) (référence CNIL-2026-123)."
        in c.get(response.headers["location"]).text
    )
    row = re.search(r'<tr class="(\w+)">\s*<td><a href="/dpo/violations/V-2026-266200119-0002">', c.get("/dpo").text)
    assert row and row.group(1) == "done"
    # The Art. 34 decision.
    page = c.get("/dpo/violations/V-2026-266200119-0002")
    response = c.post(
        "/dpo/violations/V-2026-266200119-0002/personnes", data={"csrf": csrf_of(page.text), "decision": "not_informed"}
    )
    assert response.status_code == 400
    assert "sans information des personnes, choisissez le motif (art. 34(1) ou 34(3))" in response.text
    response = c.post(
        "/dpo/violations/V-2026-266200119-0002/personnes",
        data={"csrf": csrf_of(page.text), "decision": "informed", "date": "30/03/2026", "channel": "courrier"},
    )
    assert response.status_code == 303
    assert (
        "Les personnes concernées ont été informées (2026-03-30, courrier)."
        in c.get("/dpo/violations/V-2026-266200119-0002").text
    )
    page = c.get("/dpo/violations/V-2026-266200119-0002")
    response = c.post(
        "/dpo/violations/V-2026-266200119-0002/cloture", data={"csrf": csrf_of(page.text), "reason": "traitée"}
    )
    assert response.status_code == 303
    assert "Violation clôturée : traitée." in c.get("/dpo/violations/V-2026-266200119-0002").text
    assert "/dpo/violations/V-2026-266200119-0002" not in c.get("/dpo").text  # no longer among the open ones


# --- isolation: every route naming another structure's object is a 404 --------------------------------

OBJECT_ROUTES = [
    ("get", "/conventions/{convention}"),
    ("get", "/violations/{declared}"),
    ("get", "/dpo/violations/{received}"),
    ("post", "/dpo/violations/{received}/cnil"),
    ("post", "/dpo/violations/{received}/personnes"),
    ("post", "/dpo/violations/{received}/cloture"),
    ("post", "/violations/{declared}/complement"),
]
ROLE_ROUTES = [("get", "/dpo")]


def test_the_isolation_list_covers_every_route(site: tuple[Any, People]) -> None:
    app, _ = site
    from test_web_cycle import CYCLE_PATTERNS  # the cycle's routes have their own list there
    from test_web_dpo import DPO_PATTERNS  # and the DPO's register and severity theirs

    with_objects = {route.path for route in app.routes if "{" in getattr(route, "path", "")} - CYCLE_PATTERNS
    with_objects -= DPO_PATTERNS
    listed = {
        path.replace("{convention}", "{convention_id}")
        .replace("{declared}", "{breach_id}")
        .replace("{received}", "{breach_id}")
        for _, path in OBJECT_ROUTES
    }
    assert with_objects == listed


@pytest.mark.parametrize(("method", "path"), OBJECT_ROUTES + ROLE_ROUTES)
def test_another_structure_gets_404(site: tuple[Any, People], method: str, path: str) -> None:
    app, people = site
    owner = declare(login(app, people.bethune, people.bethune_once))
    url = path.format(convention=BETHUNE, declared="V-2026-266200119-0001", received="V-2026-266200119-0002")
    if method == "get" and not url.startswith("/dpo"):
        assert owner.get(url).status_code == 200  # the owner reaches it
    intruder = login(app, people.adil, people.adil_once)
    token = csrf_of(intruder.get("/structure").text)
    if method == "get":
        response = intruder.get(url)
    else:
        response = intruder.post(url, data={"csrf": token, "notified": "non", "reason": "intrusion"})
    assert response.status_code == 404
    assert "<h1>Page introuvable</h1>" in response.text
    assert "V-2026-266200119-0001" not in response.text and "Béthune" not in response.text
