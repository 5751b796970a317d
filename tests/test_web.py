"""The web application through the framework's test client: exact status codes and French texts."""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta
from html import unescape
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
from dpa_kit.breach_register import register_rows
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


#: The answers of a declaration, as a person types them in a terminal (``dpa-kit breach declare``).
SCRIPT: list[tuple[str, str]] = [
    ("aware_at", "aujourd'hui 18h"),
    ("convention", BETHUNE),
    ("over", "1"),
    ("ended_at", "aujourd'hui 18h30"),
    ("started_at", "je ne sais pas encore"),
    ("discovery", "appel du destinataire le soir même"),
    ("natures", "1"),
    ("origin", "1"),
    ("cause", "je ne sais pas encore"),
    ("description", "liste des bénéficiaires envoyée au mauvais destinataire"),
    ("data_categories", "1,2,3,4,5,6"),  # the convention's six: none is ticked in advance
    ("sensitive_data", "1"),  # données de santé
    ("records", "40 à 50"),
    ("people_categories", "1"),
    ("people", "environ 200"),
    ("vulnerable", "2"),
    ("measures_before", "chiffrement des pièces jointes"),
    ("consequences", "atteinte à la vie privée"),
    ("measures", "demande de suppression au destinataire"),
    ("subjects_informed", "4"),
    ("other_authorities", ""),
    ("contact", "Mme Martin 03 21 00 00 00"),
]
#: The only breach of a test: one web declaration is one breach.
REF = "V-2026-266200119-0001"


def key_of(html: str) -> str:
    match = re.search(r'name="question" value="([a-z_]+)"', html)
    assert match, "no question on the page"
    return match.group(1)


def browser_form(html: str, text: str) -> dict[str, Any]:
    """What a browser posts for a question page when the person answers ``text`` as in a terminal: the text
    typed in the field, the boxes ticked (or left as proposed), « autre », or the « je ne sais pas encore »
    button."""
    data: dict[str, Any] = {"csrf": csrf_of(html), "question": key_of(html), "action": "continuer"}
    if text == "je ne sais pas encore":
        return {**data, "action": "nsp"}
    if 'name="choix"' not in html:
        if not text:  # the proposed answer, filled in the field
            found = re.search(r'id="f-reponse"[^>]*?(?:value="([^"]*)"[^>]*>|>([^<]*)</textarea>)', html)
            text = unescape((found.group(1) or found.group(2) or "") if found else "")
        return {**data, "reponse": text}
    if not text:
        return {**data, "choix": re.findall(r'name="choix" value="(\d+)" checked', html)}
    tokens = [t for t in re.split(r"[,\s]+", text) if t]
    if all(t.isdigit() for t in tokens):
        return {**data, "choix": tokens}
    if 'id="f-autre"' in html:
        return {**data, "autre": text}
    labels = re.findall(r'name="choix" value="(\d+)"[^>]*> ([^<]*)</label>', html)
    return {**data, "choix": [n for n, label in labels if text in unescape(label)]}


def answer_all(c: TestClient, script: list[tuple[str, str]], stop: str | None = None) -> None:
    """Answer each question the pages ask, in the order they ask them, until ``stop`` is asked."""
    answers = dict(script)
    while True:
        page = c.get("/violations/nouvelle")
        if page.status_code == 303:
            assert page.headers["location"] == "/violations/nouvelle/verifier"
            return
        assert page.status_code == 200, page.text
        key = key_of(page.text)
        if key == stop:
            return
        response = c.post("/violations/nouvelle", data=browser_form(page.text, answers[key]))
        assert response.status_code == 303, (key, response.text)


def declare(c: TestClient, script: list[tuple[str, str]] = SCRIPT, delay_reason: str | None = None) -> TestClient:
    """Answer every question, check the review, send."""
    answer_all(c, script)
    page = c.get("/violations/nouvelle/verifier")
    assert page.status_code == 200, page.text
    assert "samedi 28 mars 2026 à 18 h 00" in page.text
    data = {"csrf": csrf_of(page.text)}
    if delay_reason is not None:
        data["delay_reason"] = delay_reason
    response = c.post("/violations/envoyer", data=data)
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
    # A sentence that starts with a capital, then what to do next.
    assert "<p>Adresse électronique ou mot de passe incorrect.</p>" in response.text
    assert "Vérifiez l'adresse et le mot de passe, puis réessayez." in response.text
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
    assert "Trop de tentatives de connexion depuis ce poste" in response.text


def test_lockout_after_five_failures(site: tuple[Any, People]) -> None:
    app, people = site
    c = client(app)
    token = csrf_of(c.get("/connexion").text)
    for _ in range(5):
        c.post("/connexion", data={"csrf": token, "email": people.adil, "password": "x"})
    response = c.post("/connexion", data={"csrf": token, "email": people.adil, "password": people.adil_once})
    assert response.status_code == 401
    assert "Compte temporairement verrouillé après plusieurs échecs : réessayez dans 15 minute(s)" in response.text


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


def test_three_wrong_codes_close_the_session_and_ask_for_the_password_again(
    site: tuple[Any, People], clock: Clock
) -> None:
    app, people = site
    secret: list[str] = []
    login(app, people.dpo, people.dpo_once, secret=secret)
    c = client(app)
    page = c.get("/connexion")
    c.post("/connexion", data={"csrf": csrf_of(page.text), "email": people.dpo, "password": NEW_PASSWORD})
    page = c.get("/connexion/code")
    answers = [c.post("/connexion/code", data={"csrf": csrf_of(page.text), "code": "000000"}) for _ in range(3)]
    assert [a.status_code for a in answers[:2]] == [401, 401]
    assert 'name="password"' in answers[2].text  # the login page: the password again, not a fourth code
    assert "reconnectez-vous avec votre mot de passe" in answers[2].text
    assert "Vérifiez l&#39;adresse et le mot de passe" not in answers[2].text  # advice for a wrong password only
    assert c.get("/dpo").headers["location"].startswith("/connexion")


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
    assert c.get("/structure").headers["location"] == "/connexion?expiree=1&suite=/structure"


def test_disabled_user_is_logged_out_at_once(site: tuple[Any, People], tmp_path: Path) -> None:
    app, people = site
    c = login(app, people.bethune, people.bethune_once)
    assert c.get("/structure").status_code == 200
    ledger_path = tmp_path / "ledger.sqlite"
    Accounts(web_database_path(ledger_path), Ledger(ledger_path), FAST).disable(people.bethune, now=T23, actor="test")
    response = c.get("/structure")
    assert (response.status_code, response.headers["location"]) == (303, "/connexion?expiree=1&suite=/structure")


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
        data = {"question": "aware_at", "reponse": "maintenant"}
        if token is not None:
            data["csrf"] = token
        response = c.post("/violations/nouvelle", data=data)
        assert response.status_code == 403
    assert c.post("/deconnexion").status_code == 403
    assert c.get("/structure").status_code == 200  # still logged in


# --- the declaration ---------------------------------------------------------------------------------


def test_a_mistake_is_shown_next_to_its_field_typed_value_kept_and_a_reload_resumes(
    site: tuple[Any, People], tmp_path: Path
) -> None:
    app, people = site
    c = login(app, people.bethune, people.bethune_once)
    page = c.get("/violations/nouvelle")
    assert page.status_code == 200
    assert '<label for="f-reponse">Quand avez-vous eu connaissance de la violation ?</label>' in page.text
    assert "Je ne sais pas encore" not in page.text  # the awareness instant is required
    response = c.post("/violations/nouvelle", data={**browser_form(page.text, "29/03/2026 18:00")})
    assert response.status_code == 400
    assert (
        '<p class="error" id="e-reponse"><strong>Erreur :</strong> date et heure « 29/03/2026 18:00 » : '
        "dimanche 29 mars 2026 à 18 h 00 est dans le futur (il est samedi 28 mars 2026 à 23 h 00) ; "
        "vouliez-vous dire « hier » ? Tapez par exemple « aujourd&#39;hui 23h », « vendredi 18h » "
        "ou « 28/03/2026 23:00 »</p>"
    ) in response.text
    assert (
        'name="reponse" type="text" value="29/03/2026 18:00" aria-describedby="h-reponse e-reponse" '
        'aria-invalid="true"' in response.text
    )
    response = c.post("/violations/nouvelle", data=browser_form(page.text, "aujourd'hui 18h"))
    assert (response.status_code, response.headers["location"]) == (303, "/violations/nouvelle?compris=aware_at")
    page = c.get(response.headers["location"])
    assert key_of(page.text) == "convention"
    # As the terminal's « Compris : ... », the instant said back in full, with a way to correct it.
    assert (
        "Réponse retenue à « Quand avez-vous eu connaissance de la violation ? » : "
        "samedi 28 mars 2026 à 18 h 00 (heure de Paris)." in page.text
    )
    assert '<a href="/violations/nouvelle?question=aware_at">Corriger' in page.text
    # From the first answer on, the deadline and the time left.
    # One sentence, no stacked brackets: « avant le 29 mars 2026 à 19 h 00, heure de Paris – il reste 19 h 00 ».
    deadline = "<strong>dimanche 29 mars 2026 à 19 h 00, heure de Paris</strong>"
    assert f"À notifier au Département avant le {deadline}" in page.text
    assert ">il reste 19 h 00</span>" in page.text and "(heure de Paris) (" not in page.text
    assert f'name="choix" value="1" checked> CCAS de Béthune : {BETHUNE}' in page.text  # its only convention
    assert ADIL not in page.text
    answer_all(c, SCRIPT, stop="natures")
    page = c.get("/violations/nouvelle")
    assert '<p class="hint" id="h-reponse">Plusieurs réponses possibles.</p>' in page.text  # boxes, not numbers
    assert 'type="checkbox" name="choix" value="1"' in page.text
    # Béthune's convention lists health data: offered, never ticked in advance; no box sent is refused.
    answer_all(c, SCRIPT, stop="sensitive_data")
    page = c.get("/violations/nouvelle")
    assert 'name="choix" value="1"> données de santé</label>' in page.text
    assert " checked" not in page.text and "Proposé" not in page.text
    assert "Cochez seulement celles que la violation concerne, ou « aucune donnée sensible »." in page.text
    response = c.post("/violations/nouvelle", data=browser_form(page.text, ""))
    assert response.status_code == 400 and "réponse vide" in response.text
    answer_all(c, SCRIPT, stop="records")
    page = c.get("/violations/nouvelle")
    response = c.post("/violations/nouvelle", data=browser_form(page.text, "beaucoup"))
    assert response.status_code == 400
    assert "« beaucoup » n&#39;est pas un nombre : tapez un nombre (40), une fourchette (40 à 50)" in response.text
    assert 'value="beaucoup" aria-describedby="h-reponse e-reponse" aria-invalid="true"' in response.text
    # A new login (another browser) finds the draft where it stopped, with the deadline.
    again = login(app, people.bethune, NEW_PASSWORD)
    assert "Une déclaration commencée n'a pas été envoyée" in again.get("/structure").text
    page = again.get("/violations/nouvelle")
    assert key_of(page.text) == "records"
    assert ">il reste 19 h 00</span>" in page.text
    assert Ledger(tmp_path / "ledger.sqlite").events(kind_prefix="breach.") == []  # a draft is not a declaration


def test_review_lists_every_answer_and_modifier_changes_one_keeping_the_others(site: tuple[Any, People]) -> None:
    app, people = site
    c = login(app, people.bethune, people.bethune_once)
    answer_all(c, SCRIPT)
    page = c.get("/violations/nouvelle/verifier")
    for text in ("40 à 50", "environ 200", "<em>je ne sais pas encore</em>", "Mme Martin 03 21 00 00 00"):
        assert text in page.text, text
    assert '<a class="small" href="/violations/nouvelle?question=people">Modifier' in page.text
    page = c.get("/violations/nouvelle?question=people")
    assert 'value="environ 200"' in page.text and "(modification d'une réponse déjà donnée)" in page.text
    response = c.post("/violations/nouvelle", data=browser_form(page.text, "entre 150 et 180"))
    assert (response.status_code, response.headers["location"]) == (303, "/violations/nouvelle/verifier")
    page = c.get("/violations/nouvelle/verifier")
    assert "150 à 180" in page.text and "40 à 50" in page.text and "environ 200" not in page.text
    # « Modifier » on « terminée ? »: the end instant is asked again; the other answers stay.
    page = c.get("/violations/nouvelle?question=over")
    assert c.post("/violations/nouvelle", data=browser_form(page.text, "2")).headers["location"] == (
        "/violations/nouvelle/verifier"
    )
    assert "non, elle est toujours en cours" in c.get("/violations/nouvelle/verifier").text
    assert c.get("/violations/nouvelle?question=aucune").status_code == 404


def test_another_structure_never_reaches_a_draft(site: tuple[Any, People]) -> None:
    app, people = site
    owner = login(app, people.bethune, people.bethune_once)
    answer_all(owner, SCRIPT, stop="records")
    intruder = login(app, people.adil, people.adil_once)
    page = intruder.get("/violations/nouvelle")
    assert key_of(page.text) == "aware_at" and "Béthune" not in page.text and "mauvais destinataire" not in page.text
    assert intruder.get("/violations/nouvelle?question=description").status_code == 404
    response = intruder.post(
        "/violations/nouvelle", data={"csrf": csrf_of(page.text), "question": "records", "reponse": "40"}
    )
    assert response.status_code == 404
    assert intruder.get("/violations/nouvelle/verifier").headers["location"] == "/violations/nouvelle"
    assert key_of(owner.get("/violations/nouvelle").text) == "records"  # untouched


def test_one_submission_is_one_breach_with_both_clocks_on_the_server_clock(
    site: tuple[Any, People], tmp_path: Path
) -> None:
    app, people = site
    c = login(app, people.bethune, people.bethune_once)
    answer_all(c, SCRIPT)
    page = c.get("/violations/nouvelle/verifier")
    response = c.post("/violations/envoyer", data={"csrf": csrf_of(page.text)})
    # No SMTP server here: the breach is recorded all the same, and the page says the copy did not leave.
    assert (response.status_code, response.headers["location"]) == (303, f"/violations/{REF}?courriel=non&accuse=non")
    again = c.post("/violations/envoyer", data={"csrf": csrf_of(page.text)})  # sent twice: nothing more
    assert again.headers["location"] == "/violations/nouvelle"
    ledger = Ledger(tmp_path / "ledger.sqlite")
    found = breaches.all_breaches(ledger)
    assert list(found) == [REF]
    breach = found[REF]
    assert breach.notified_at == T23 and breach.received_at == T23
    assert breach.notify_deadline == datetime(2026, 3, 29, 17, 0, tzinfo=UTC)
    assert breach.cnil_deadline == T23 + timedelta(hours=72)
    assert breach.notifications[0]["late"] is False and breach.notifications[0]["type"] == "initial"
    assert breach.details["records"] == {"min": 40, "max": 50, "approximate": True}
    assert breach.details["people"] == {"min": 200, "max": 200, "approximate": True}
    assert {"started_at", "cause"} <= set(breach.details["pending"]) and "cause" not in breach.details
    _, listed = register_rows(list(found.values()))
    assert [row[0] for row in listed] == [REF]  # the breach register lists it once
    page = c.get(f"/violations/{REF}?courriel=non")
    assert "Déclaration transmise au Département le samedi 28 mars 2026 à 23 h 00 (heure de Paris)." in page.text
    assert "Le courriel de copie n'a pas pu partir" in page.text
    assert "<legend>Quelle en est la cause ?</legend>" in page.text  # to complete
    assert "notifiée au Département" in page.text
    assert key_of(c.get("/violations/nouvelle").text) == "aware_at"  # the draft is gone
    home = c.get("/structure").text
    assert home.count(f'<a href="/violations/{REF}">') == 1
    actions = [e.payload for e in ledger.events(kind_prefix="account.action")]
    assert actions == [{"action": "breach.declared", "object": REF}]


def test_complement_asks_the_questions_left_unknown_with_the_same_checks(
    site: tuple[Any, People], tmp_path: Path
) -> None:
    app, people = site
    c = declare(login(app, people.bethune, people.bethune_once))
    page = c.get(f"/violations/{REF}")
    assert f'<form method="post" action="/violations/{REF}/complement"' in page.text
    assert '<label for="f-reponse-started_at">Quand a-t-elle commencé ?</label>' in page.text
    assert "<legend>Quelle en est la cause ?</legend>" in page.text
    url = f"/violations/{REF}/complement"
    response = c.post(url, data={"csrf": csrf_of(page.text)})
    assert response.status_code == 400
    assert "complétez au moins un des points encore inconnus" in response.text
    response = c.post(
        url, data={"csrf": csrf_of(page.text), "reponse-started_at": "demain 9h", "autre-cause": "erreur de saisie"}
    )
    assert response.status_code == 400
    assert '<p class="error" id="e-reponse-started_at"><strong>Erreur :</strong>' in response.text
    assert 'value="demain 9h" aria-describedby="h-reponse-started_at e-reponse-started_at"' in response.text
    assert 'value="erreur de saisie"' in response.text  # kept
    response = c.post(
        url, data={"csrf": csrf_of(page.text), "reponse-started_at": "aujourd'hui 17h", "choix-cause": "1"}
    )
    assert response.status_code == 303
    found = breaches.all_breaches(Ledger(tmp_path / "ledger.sqlite"))
    assert list(found) == [REF]
    details = found[REF].details
    assert details["cause"] == "misdirected" and details["started_at"] == "2026-03-28T16:00:00+00:00"
    assert "cause" not in details["pending"] and "started_at" not in details["pending"]
    assert [n["type"] for n in found[REF].notifications] == ["initial", "complementary"]
    page = c.get(f"/violations/{REF}")
    assert "<h2>À compléter</h2>" not in page.text
    assert "envoi au mauvais destinataire" in page.text


def test_late_declaration_needs_its_delay_reason(site: tuple[Any, People], clock: Clock, tmp_path: Path) -> None:
    app, people = site
    clock.instant = T23 + timedelta(hours=20)
    c = login(app, people.bethune, people.bethune_once, now=clock.instant)
    late = [("aware_at", "28/03/2026 18:00"), *SCRIPT[1:3], ("ended_at", "28/03/2026 18:30"), *SCRIPT[4:]]
    answer_all(c, late)
    page = c.get("/violations/nouvelle/verifier")
    assert '<label for="f-delay_reason">' in page.text
    response = c.post("/violations/envoyer", data={"csrf": csrf_of(page.text)})
    assert response.status_code == 400
    assert '<p class="error" id="e-delay_reason"><strong>Erreur :</strong> motif du retard manquant' in response.text
    assert breaches.all_breaches(Ledger(tmp_path / "ledger.sqlite")) == {}
    response = c.post(
        "/violations/envoyer", data={"csrf": csrf_of(page.text), "delay_reason": "découverte un samedi soir"}
    )
    assert response.status_code == 303
    [breach] = breaches.all_breaches(Ledger(tmp_path / "ledger.sqlite")).values()
    assert breach.notifications[0]["late"] is True
    assert breach.notifications[0]["delay_reason"] == "découverte un samedi soir"


# --- the DPO ------------------------------------------------------------------------------------------


def test_dpo_dashboard_inbox_and_cnil_decision(site: tuple[Any, People], clock: Clock) -> None:
    app, people = site
    declare(login(app, people.bethune, people.bethune_once))
    clock.instant = T23 + timedelta(hours=67)  # five hours left for the CNIL
    c = login(app, people.dpo, people.dpo_once, secret=[], now=clock.instant)
    page = c.get("/dpo")
    assert page.status_code == 200
    row = re.search(r'<tr class="(\w+)">\s*<td><a href="/dpo/violations/V-2026-266200119-0001">', page.text)
    assert row and row.group(1) == "near"
    assert "Vue d'ensemble établie le mardi 31 mars 2026 à 19 h 00 (heure de Paris)" in page.text  # the app's clock
    assert "mercredi 1er avril 2026 à 00 h 00, heure de Paris</span> – <span" in page.text
    assert ">il reste 5 h 00<" in page.text
    page = c.get("/dpo/violations/V-2026-266200119-0001")
    assert "Reçue par le Département</dt><dd>samedi 28 mars 2026 à 23 h 00 (heure de Paris)</dd>" in page.text
    response = c.post(
        "/dpo/violations/V-2026-266200119-0001/cnil", data={"csrf": csrf_of(page.text), "notified": "oui"}
    )
    assert response.status_code == 400
    assert "réponse obligatoire : la date et l&#39;heure, même approximatives" in response.text
    response = c.post(
        "/dpo/violations/V-2026-266200119-0001/cnil", data={"csrf": csrf_of(page.text), "notified": "non"}
    )
    assert "sans notification à la CNIL, documentez la raison" in response.text
    response = c.post(
        "/dpo/violations/V-2026-266200119-0001/cnil",
        data={"csrf": csrf_of(page.text), "notified": "oui", "at": "31/03/2026 18:30", "reference": "CNIL-2026-123"},
    )
    # Back at its section of the page.
    assert (response.status_code, response.headers["location"]) == (303, "/dpo/violations/V-2026-266200119-0001#cnil")
    assert (
        "Notifiée à la CNIL le mardi 31 mars 2026 à 18 h 30, heure de Paris ; référence CNIL-2026-123."
        in c.get(response.headers["location"]).text
    )
    row = re.search(r'<tr class="(\w+)">\s*<td><a href="/dpo/violations/V-2026-266200119-0001">', c.get("/dpo").text)
    assert row and row.group(1) == "done"
    # The Art. 34 decision.
    page = c.get("/dpo/violations/V-2026-266200119-0001")
    response = c.post(
        "/dpo/violations/V-2026-266200119-0001/personnes", data={"csrf": csrf_of(page.text), "decision": "not_informed"}
    )
    assert response.status_code == 400
    assert "sans information des personnes, choisissez le motif (art. 34(1) ou 34(3))" in response.text
    response = c.post(
        "/dpo/violations/V-2026-266200119-0001/personnes",
        data={"csrf": csrf_of(page.text), "decision": "informed", "date": "30/03/2026", "channel": "courrier"},
    )
    assert response.status_code == 303
    assert (
        "Les personnes concernées ont été informées (30 mars 2026, courrier)."
        in c.get("/dpo/violations/V-2026-266200119-0001").text
    )
    page = c.get("/dpo/violations/V-2026-266200119-0001")
    response = c.post(
        "/dpo/violations/V-2026-266200119-0001/cloture", data={"csrf": csrf_of(page.text), "reason": "traitée"}
    )
    assert response.status_code == 303
    assert "Violation clôturée : traitée." in c.get("/dpo/violations/V-2026-266200119-0001").text
    assert "/dpo/violations/V-2026-266200119-0001" not in c.get("/dpo").text  # no longer among the open ones


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
    url = path.format(convention=BETHUNE, declared="V-2026-266200119-0001", received="V-2026-266200119-0001")
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


def test_the_enrolment_page_shows_a_qr_code_of_the_key_to_its_session_only(site: tuple[Any, People]) -> None:
    import segno

    app, people = site
    c = client(app)
    page = c.get("/connexion")
    response = c.post("/connexion", data={"csrf": csrf_of(page.text), "email": people.dpo, "password": people.dpo_once})
    assert response.headers["location"] == "/connexion/second-facteur"
    assert client(app).get("/connexion/second-facteur/qr.svg").headers["location"] == "/connexion"  # no session
    page = c.get("/connexion/second-facteur")
    assert page.status_code == 200
    secret = totp_secret_of(page.text)  # still shown, for a manual entry
    image = re.search(r'<img src="(/connexion/second-facteur/qr\.svg)"\s+alt="([^"]+)"', page.text)
    assert image and image.group(2).startswith("Code QR à scanner avec votre application d'authentification")
    assert secret not in image.group(1)
    uri_match = re.search(r'<code id="totp-uri">([^<]+)</code>', page.text)
    assert uri_match
    uri = unescape(uri_match.group(1))
    assert f"secret={secret}" in uri
    qr = c.get(image.group(1))
    assert qr.status_code == 200 and qr.headers["content-type"] == "image/svg+xml"
    assert qr.headers["cache-control"] == "no-store" and "img-src 'self'" in qr.headers["content-security-policy"]
    assert qr.content.startswith(b"<svg ") and b"<script" not in qr.content
    # The image is segno's QR code of exactly this URI (the same key as the text shown), not of another one.
    assert qr.content == _segno_svg(segno.make(uri, error="m", micro=False))
    assert qr.content != _segno_svg(segno.make(uri.replace(secret, "A" * len(secret)), error="m", micro=False))
    assert c.get(image.group(1)).content == qr.content  # the same pending key until it is confirmed
    # Once the key is confirmed, the image is gone: neither this session nor a later one shows it again.
    code = code_at(secret, app.state.web.now())
    response = c.post("/connexion/second-facteur", data={"csrf": csrf_of(page.text), "code": code})
    assert response.headers["location"] == "/connexion/mot-de-passe"
    assert c.get("/connexion/second-facteur/qr.svg").headers["location"] == "/connexion/mot-de-passe"
    page = c.get("/connexion/mot-de-passe")
    data = {"csrf": csrf_of(page.text), "password": NEW_PASSWORD, "confirmation": NEW_PASSWORD}
    assert c.post("/connexion/mot-de-passe", data=data).headers["location"] == "/dpo"
    assert c.get("/connexion/second-facteur/qr.svg").headers["location"] == "/dpo"
    later = client(app)
    page = later.get("/connexion")
    later.post("/connexion", data={"csrf": csrf_of(page.text), "email": people.dpo, "password": NEW_PASSWORD})
    assert later.get("/connexion/second-facteur/qr.svg").headers["location"] == "/connexion/code"
    # A structure's session never has one either.
    structure = login(app, people.bethune, people.bethune_once)
    assert structure.get("/connexion/second-facteur/qr.svg").headers["location"] == "/structure"


def _segno_svg(qr: Any) -> bytes:
    import io

    buffer = io.BytesIO()
    qr.save(buffer, kind="svg", scale=5, border=4, dark="#000", light="#fff", xmldecl=False, nl=False)
    return buffer.getvalue()
