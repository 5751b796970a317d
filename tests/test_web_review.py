"""What a reviewer found using the web application as an association at 23:00 and as the DPO: a session that
expires mid-declaration, going back a question, the question counter, abandoning a draft, the deadline
sentence, the DPO's breach page (the structure's lateness, errors at the top, closing), the structure's view
of the Département's decisions, the focus ring's contrast and the 404 page of a signed-in user."""

from __future__ import annotations

import re
from datetime import timedelta
from html import unescape
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient
from test_web import REF, SCRIPT, T23, answer_all, browser_form, client, declare, key_of, login
from webhelpers import BETHUNE, FAST, NEW_PASSWORD, Clock, People, code_at, csrf_of, make_people

from dpa_kit import breach as breaches
from dpa_kit.breach_drafts import DraftStore
from dpa_kit.ledger import Ledger
from dpa_kit.web import WebConfig, create_app

STATIC = Path(__file__).parent.parent / "src" / "dpa_kit" / "web" / "static"


@pytest.fixture
def clock() -> Clock:
    return Clock(T23)


@pytest.fixture
def site(registers: Path, tmp_path: Path, clock: Clock) -> tuple[Any, People]:
    ledger = tmp_path / "ledger.sqlite"
    people = make_people(ledger, T23)
    app = create_app(WebConfig(registers=registers, ledger_path=ledger, now=clock, policy=FAST))
    return app, people


def _draft(app: Any) -> dict[str, Any]:
    [draft] = [d for d in DraftStore(app.state.web.ledger).all() if d.kind == "declare-web"]
    return dict(draft.answers)


def _hidden(html: str) -> dict[str, Any]:
    """The hidden fields of a page's form, as a browser posts them (a repeated name is a list)."""
    fields: dict[str, Any] = {}
    for name, value in re.findall(r'<input type="hidden" name="([^"]+)" value="([^"]*)">', html):
        value = unescape(value)
        if name in fields:
            fields[name] = [*fields[name], value] if isinstance(fields[name], list) else [fields[name], value]
        else:
            fields[name] = value
    return fields


def _summary_links_reach_their_fields(html: str) -> list[str]:
    """The anchors of the error summary at the top of the page; each names a field of the page."""
    summary = re.search(r'<div class="alert" role="alert" id="erreurs">(.*?)</div>', html, re.S)
    assert summary, "no error summary"
    anchors = re.findall(r'<a href="#([\w-]+)">', summary.group(1))
    assert anchors
    for anchor in anchors:
        assert f'id="{anchor}"' in html, anchor
    main = html.index("<main")
    assert html.index('id="erreurs"') < html.index("<form", main)  # above the forms, seen after the reload
    return anchors


# --- 1. the idle timeout mid-declaration ----------------------------------------------------------------


def _expire_on_description(app: Any, people: People, clock: Clock, typed: str) -> tuple[TestClient, Any]:
    c = login(app, people.bethune, people.bethune_once)
    answer_all(c, SCRIPT, stop="description")
    page = c.get("/violations/nouvelle")
    clock.instant = T23 + timedelta(minutes=31)  # the 30-minute idle timeout has passed
    return c, c.post("/violations/nouvelle", data=browser_form(page.text, typed))


def test_an_answer_sent_after_the_idle_timeout_is_saved_once_logged_in_again(
    site: tuple[Any, People], clock: Clock
) -> None:
    app, people = site
    typed = "liste des bénéficiaires envoyée au mauvais destinataire"
    c, response = _expire_on_description(app, people, clock, typed)
    assert response.status_code == 401
    assert "Votre session a expiré après une période sans activité. Reconnectez-vous : votre réponse est" in (
        response.text
    )
    assert "<h1>Connexion</h1>" in response.text
    carried = _hidden(response.text)
    assert carried["next"] == "/violations/nouvelle"
    assert (carried["question"], carried["reponse"]) == ("description", typed)
    assert "description" not in _draft(app)  # nothing stored before the person is authenticated
    carried.update(email=people.bethune, password=NEW_PASSWORD)
    response = c.post("/connexion", data=carried)
    # Logged in, the answer went through the questionnaire's checks into the draft: on to the next question.
    assert (response.status_code, response.headers["location"]) == (303, "/violations/nouvelle")
    assert _draft(app)["description"] == typed
    assert key_of(c.get("/violations/nouvelle").text) == "data_categories"


def test_a_carried_answer_that_is_refused_is_shown_with_its_reason_after_the_login(
    site: tuple[Any, People], clock: Clock
) -> None:
    app, people = site
    c = login(app, people.bethune, people.bethune_once)
    answer_all(c, SCRIPT, stop="records")
    page = c.get("/violations/nouvelle")
    clock.instant = T23 + timedelta(minutes=45)
    expired = c.post("/violations/nouvelle", data=browser_form(page.text, "beaucoup"))
    data = {**_hidden(expired.text), "email": people.bethune, "password": NEW_PASSWORD}
    response = c.post("/connexion", data=data)
    assert response.status_code == 400
    assert "« beaucoup » n&#39;est pas un nombre" in response.text
    assert _summary_links_reach_their_fields(response.text) == ["f-reponse"]
    assert 'value="beaucoup" aria-describedby="h-reponse e-reponse" aria-invalid="true"' in response.text
    assert "records" not in _draft(app)
    assert c.get("/structure").status_code == 200  # logged in all the same


def test_a_page_asked_after_the_idle_timeout_says_so_and_comes_back_after_the_login(
    site: tuple[Any, People], clock: Clock
) -> None:
    app, people = site
    c = login(app, people.bethune, people.bethune_once)
    clock.instant = T23 + timedelta(minutes=31)
    response = c.get("/registre?x=1")
    assert response.headers["location"] == "/connexion?expiree=1&suite=/registre%3Fx%3D1"
    page = c.get(response.headers["location"])
    assert "Votre session a expiré après une période sans activité." in page.text
    data = {**_hidden(page.text), "email": people.bethune, "password": NEW_PASSWORD}
    assert data["next"] == "/registre?x=1"
    assert c.post("/connexion", data=data).headers["location"] == "/registre?x=1"


def test_the_dpo_comes_back_to_the_page_asked_after_the_second_factor(site: tuple[Any, People], clock: Clock) -> None:
    app, people = site
    secret: list[str] = []
    c = login(app, people.dpo, people.dpo_once, secret=secret)
    clock.instant = T23 + timedelta(minutes=31)
    response = c.get("/dpo/registre-violations")
    page = c.get(response.headers["location"])
    assert "Votre session a expiré" in page.text
    data = {**_hidden(page.text), "email": people.dpo, "password": NEW_PASSWORD}
    response = c.post("/connexion", data=data)
    assert response.headers["location"] == "/connexion/code?suite=/dpo/registre-violations"
    page = c.get(response.headers["location"])
    code = code_at(secret[-1], clock.instant)
    response = c.post("/connexion/code", data={**_hidden(page.text), "code": code})
    assert (response.status_code, response.headers["location"]) == (303, "/dpo/registre-violations")


def test_a_form_sent_after_the_idle_timeout_comes_back_to_its_page(site: tuple[Any, People], clock: Clock) -> None:
    app, people = site
    received = _received_late(app)
    c = login(app, people.dpo, people.dpo_once, secret=[])
    page = c.get(f"/dpo/violations/{received}")
    clock.instant = T23 + timedelta(minutes=31)
    response = c.post(
        f"/dpo/violations/{received}/cnil",
        data={"csrf": csrf_of(page.text), "notified": "non", "reason": "risque faible"},
        headers={"referer": f"http://testserver/dpo/violations/{received}"},
    )
    assert response.headers["location"] == f"/connexion?expiree=1&suite=/dpo/violations/{received}"
    response = c.post("/dpo/violations/x/cnil", data={}, headers={"referer": "http://evil.example/dpo"})
    assert response.headers["location"] == "/connexion?expiree=1"


def test_the_login_goes_back_only_to_a_page_of_the_application(site: tuple[Any, People]) -> None:
    app, people = site
    login(app, people.bethune, people.bethune_once)  # the first login sets the password
    for target in ("//evil.example/", "https://evil.example/", "/\\evil.example", "violations"):
        c = client(app)
        page = c.get("/connexion")
        data = {"csrf": csrf_of(page.text), "email": people.bethune, "password": NEW_PASSWORD, "next": target}
        response = c.post("/connexion", data=data)
        assert (response.status_code, response.headers["location"]) == (303, "/structure"), target


def test_an_answer_posted_without_the_session_cookie_is_not_carried(site: tuple[Any, People]) -> None:
    """A form posted from another site never carries the SameSite cookie: nothing to carry into a login."""
    app, _ = site
    response = client(app).post("/violations/nouvelle", data={"question": "description", "reponse": "injecté"})
    assert (response.status_code, response.headers["location"]) == (303, "/connexion")


# --- 5 and 6. going back a question; the question's position ------------------------------------------


def test_previous_question_reopens_the_last_answer_and_goes_forward_again(site: tuple[Any, People]) -> None:
    app, people = site
    c = login(app, people.bethune, people.bethune_once)
    page = c.get("/violations/nouvelle")
    assert "Question précédente" not in page.text  # nothing before the first question
    answer_all(c, SCRIPT, stop="natures")
    page = c.get("/violations/nouvelle")
    assert '<a class="button secondary" href="/violations/nouvelle?question=discovery&amp;parcours=1">' in page.text
    back = c.get("/violations/nouvelle?question=discovery&parcours=1")
    assert key_of(back.text) == "discovery" and "appel du destinataire le soir même" in back.text
    assert '<input type="hidden" name="parcours" value="1">' in back.text
    assert '<a href="/violations/nouvelle">Revenir à la première question sans réponse</a>' in back.text
    # Back once more (« je ne sais pas encore » kept), then forward: each answered question in turn.
    back = c.get("/violations/nouvelle?question=started_at&parcours=1")
    response = c.post(
        "/violations/nouvelle", data={**browser_form(back.text, "je ne sais pas encore"), "parcours": "1"}
    )
    assert response.headers["location"] == "/violations/nouvelle?question=discovery&parcours=1"
    forward = c.get(response.headers["location"])
    response = c.post("/violations/nouvelle", data={**browser_form(forward.text, "un appel"), "parcours": "1"})
    assert response.headers["location"] == "/violations/nouvelle"  # the next one is not answered yet
    assert key_of(c.get("/violations/nouvelle").text) == "natures"
    assert _draft(app)["discovery"] == "un appel" and _draft(app)["started_at"] is None


def test_the_counter_shows_the_questions_real_position(site: tuple[Any, People]) -> None:
    app, people = site
    c = login(app, people.bethune, people.bethune_once)
    # The end of the breach is asked only if it is over: until then the total is an estimate.
    assert "Question 1 sur environ " in c.get("/violations/nouvelle").text
    answer_all(c, SCRIPT)
    asked = [key for key, _ in SCRIPT]
    for key in ("people", "contact", "aware_at"):
        page = c.get(f"/violations/nouvelle?question={key}")
        expected = f"Question {asked.index(key) + 1} sur {len(asked)} (modification"
        assert expected in page.text, key


# --- 4. abandoning a draft ------------------------------------------------------------------------------


def test_abandoning_a_draft_asks_first_then_says_it_is_done(site: tuple[Any, People]) -> None:
    app, people = site
    c = login(app, people.bethune, people.bethune_once)
    answer_all(c, SCRIPT, stop="natures")
    page = c.get("/violations/nouvelle")
    assert '<a href="/violations/abandonner">Abandonner ce brouillon</a>' in page.text
    assert 'action="/violations/abandonner"' not in page.text  # no one-click deletion
    ask = c.get("/violations/abandonner")
    assert "<h1>Abandonner la déclaration en cours ?</h1>" in ask.text
    assert '<a class="button secondary" href="/violations/nouvelle">Revenir à la déclaration</a>' in ask.text
    assert _draft(app)  # asking deletes nothing
    response = c.post("/violations/abandonner", data={"csrf": csrf_of(ask.text)})
    assert (response.status_code, response.headers["location"]) == (303, "/structure?brouillon=abandonne")
    home = c.get(response.headers["location"]).text
    assert "La déclaration en cours a été abandonnée" in home
    assert "Une déclaration commencée" not in home
    assert c.get("/violations/abandonner").headers["location"] == "/structure"  # nothing left to abandon


# --- 11. the deadline, when it is passed ------------------------------------------------------------------


def test_a_late_declaration_says_how_late_and_what_to_do(site: tuple[Any, People], clock: Clock) -> None:
    app, people = site
    clock.instant = T23 + timedelta(hours=20)
    c = login(app, people.bethune, people.bethune_once, now=clock.instant)
    late = [("aware_at", "28/03/2026 18:00"), *SCRIPT[1:3], ("ended_at", "28/03/2026 18:30"), *SCRIPT[4:]]
    answer_all(c, late, stop="natures")
    for page in (
        c.get("/violations/nouvelle").text,
        (answer_all(c, late), c.get("/violations/nouvelle/verifier"))[1].text,
    ):
        assert "<strong>Délai dépassé, vous êtes en retard de 1 h 00 : envoyez maintenant.</strong>" in page
        assert "(24 heures après la prise de connaissance, " in page  # the convention's delay
        assert "À notifier" not in page and ") (" not in page
    page = c.get("/violations/nouvelle/verifier")
    response = c.post("/violations/envoyer", data={"csrf": csrf_of(page.text)})
    assert response.status_code == 400
    assert _summary_links_reach_their_fields(response.text) == ["f-delay_reason"]


def test_a_structures_list_says_a_missed_deadline_in_words_not_in_brackets(site: tuple[Any, People]) -> None:
    app, people = site
    breaches.declare(
        app.state.web.ledger,
        convention_id=BETHUNE,
        structure="CCAS de Béthune",
        delay_hours=24,
        aware_at=T23 - timedelta(hours=95),
        details={"natures": ["confidentiality"], "description": "clé perdue"},
    )
    home = login(app, people.bethune, people.bethune_once).get("/structure").text
    assert 'heure de Paris</span> – <span class="left"' in home
    assert ">délai dépassé, en retard de 71 h 00</span>" in home
    assert "(heure de Paris) (" not in home


# --- 2, 3, 7, 8, 9: the DPO's breach page and the structure's ------------------------------------------


def _received_late(app: Any) -> str:
    """A breach the structure notified 6 h 30 after its 24-hour deadline, with its reason."""
    received = breaches.receive(
        app.state.web.ledger,
        convention_id=BETHUNE,
        structure="CCAS de Béthune",
        delay_hours=24,
        aware_at=T23 - timedelta(hours=30, minutes=30),
        received_at=T23,
        details={"natures": ["confidentiality"], "description": "clé perdue", "delay_reason": "personne de garde"},
    )
    return received.id


def test_the_dpo_sees_when_the_structure_notified_late_and_why(site: tuple[Any, People]) -> None:
    app, people = site
    received = _received_late(app)
    dpo = login(app, people.dpo, people.dpo_once, secret=[])
    page = dpo.get(f"/dpo/violations/{received}").text
    assert "Notifiée en retard : 6 h 30 min après son échéance contractuelle." in page
    assert "<dt>Motif du retard donné par la structure</dt>\n  <dd>personne de garde</dd>" in page


def test_a_declaration_on_time_says_so_and_a_web_declarations_reason_is_shown(
    site: tuple[Any, People], clock: Clock
) -> None:
    app, people = site
    declare(login(app, people.bethune, people.bethune_once))
    dpo = login(app, people.dpo, people.dpo_once, secret=[])
    page = dpo.get(f"/dpo/violations/{REF}").text
    assert "Notifiée dans le délai." in page and "Motif du retard" not in page


def test_the_dpo_forms_go_back_to_their_section_and_list_errors_at_the_top(site: tuple[Any, People]) -> None:
    app, people = site
    received = _received_late(app)
    dpo = login(app, people.dpo, people.dpo_once, secret=[])
    page = dpo.get(f"/dpo/violations/{received}")
    token = csrf_of(page.text)
    url = f"/dpo/violations/{received}"
    response = dpo.post(f"{url}/cnil", data={"csrf": token, "notified": "oui"})
    assert response.status_code == 400
    assert "f-at" in _summary_links_reach_their_fields(response.text)
    response = dpo.post(f"{url}/personnes", data={"csrf": token})
    assert _summary_links_reach_their_fields(response.text) == ["f-decision"]
    response = dpo.post(f"{url}/gravite", data={"csrf": token, "dpc_adjust": "beaucoup"})
    assert {"f-sev-dpc", "f-sev-dpc_adjust", "f-sev-malicious"} <= set(_summary_links_reach_their_fields(response.text))
    cnil = {"csrf": token, "notified": "non", "reason": "risque faible"}
    assert dpo.post(f"{url}/cnil", data=cnil).headers["location"] == f"{url}#cnil"
    subjects = {"csrf": token, "decision": "to_inform", "date": "02/04/2026", "channel": "courrier"}
    # No SMTP server in this test: the message « personnes à informer » to the structure could not leave.
    assert dpo.post(f"{url}/personnes", data=subjects).headers["location"] == f"{url}?personnes=non#personnes"
    page = dpo.get(url)
    for anchor in ("gravite", "cnil", "personnes", "cloture"):
        assert f'<h2 id="{anchor}">' in page.text


def test_the_severity_form_explains_the_enisa_terms(site: tuple[Any, People]) -> None:
    app, people = site
    received = _received_late(app)
    page = login(app, people.dpo, people.dpo_once, secret=[]).get(f"/dpo/violations/{received}").text
    assert 'id="h-dpc">DPC (« Data Processing Context », contexte du traitement dans la méthode de l&#39;ENISA)' in page
    assert 'aria-describedby="h-dpc"' in page and 'aria-describedby="h-dpc_adjust"' in page
    assert "moins, si les données étaient déjà publiques" in page


def test_the_severity_form_is_refilled_from_the_last_assessment(site: tuple[Any, People]) -> None:
    app, people = site
    received = _received_late(app)
    dpo = login(app, people.dpo, people.dpo_once, secret=[])
    url = f"/dpo/violations/{received}"
    given = {
        "dpc": "3",
        "dpc_adjust": "0,5",
        "ei": "limited",
        "confidentiality": "known",
        "integrity": "recoverable",
        "availability": "none",
        "malicious": "oui",
    }
    response = dpo.post(f"{url}/gravite", data={"csrf": csrf_of(dpo.get(url).text), **given})
    assert response.headers["location"] == f"{url}#gravite"
    page = dpo.get(url).text
    for name in ("dpc", "ei", "confidentiality", "integrity", "availability"):
        chosen = re.search(rf'<select id="f-sev-{name}".*?</select>', page, re.S)
        assert chosen and f'<option value="{given[name]}" selected>' in chosen.group(0), name
    assert 'name="dpc_adjust" value="0,5"' in page
    assert 'name="malicious" value="oui" checked>' in page


def test_closing_asks_for_confirmation_and_recalls_what_is_still_open(site: tuple[Any, People]) -> None:
    app, people = site
    received = _received_late(app)
    dpo = login(app, people.dpo, people.dpo_once, secret=[])
    url = f"/dpo/violations/{received}"
    page = dpo.get(url).text
    assert f'action="{url}/cloture"' not in page  # no one-click close
    assert f'<a class="button secondary" href="{url}/cloturer">Clôturer la violation…</a>' in page
    ask = dpo.get(f"{url}/cloturer").text
    assert "La décision CNIL (notifier ou non, art. 33) n&#39;est pas enregistrée." in ask
    assert "La décision d&#39;informer ou non les personnes concernées (art. 34) n&#39;est pas enregistrée." in ask
    assert "Clôturer quand même" in ask
    token = csrf_of(ask)
    dpo.post(f"{url}/cnil", data={"csrf": token, "notified": "non", "reason": "risque faible"})
    dpo.post(
        f"{url}/personnes", data={"csrf": token, "decision": "to_inform", "date": "02/04/2026", "channel": "courrier"}
    )
    ask = dpo.get(f"{url}/cloturer").text
    assert "CNIL" not in re.search(r'<div class="notice".*?</div>', ask, re.S).group(0)  # type: ignore[union-attr]
    assert "Les personnes concernées sont encore « à informer » (prévu le 2 avril 2026)" in ask
    assert breaches.get(app.state.web.ledger, received).closed is None  # asking closes nothing
    response = dpo.post(f"{url}/cloture", data={"csrf": token, "reason": "traitée"})
    assert response.headers["location"] == f"{url}#cloture"
    assert dpo.get(f"{url}/cloturer").status_code == 404  # already closed


def test_a_closing_reason_with_a_control_character_is_refused_next_to_its_field(site: tuple[Any, People]) -> None:
    app, people = site
    received = _received_late(app)
    dpo = login(app, people.dpo, people.dpo_once, secret=[])
    url = f"/dpo/violations/{received}"
    token = csrf_of(dpo.get(f"{url}/cloturer").text)
    response = dpo.post(f"{url}/cloture", data={"csrf": token, "reason": "traitée\x1b[31m"})
    assert response.status_code == 400
    assert 'aria-describedby="e-reason"' in response.text and "contrôle" in response.text
    assert breaches.get(app.state.web.ledger, received).closed is None  # nothing recorded


def test_the_structure_sees_the_departements_decisions_not_its_internal_rationale(site: tuple[Any, People]) -> None:
    app, people = site
    c = declare(login(app, people.bethune, people.bethune_once))
    page = c.get(f"/violations/{REF}").text
    assert "Ses décisions s'afficheront ici." in page
    ledger: Ledger = app.state.web.ledger
    declared = breaches.get(ledger, REF)
    breaches.record_cnil(
        ledger, declared, notified=False, at=None, reference=None, reason="note interne du DPO", delay_reason=None
    )
    breaches.record_subjects(ledger, declared, decision="to_inform", date="2026-04-02", channel="courrier", ground=None)
    page = c.get(f"/violations/{REF}").text
    assert "Le Département a décidé de ne pas notifier la violation à la CNIL" in page
    assert "note interne du DPO" not in page
    assert "Les personnes concernées vont être informées le 2 avril 2026 (courrier)" in page


# --- 10 and 12: focus ring, 404 page, register page ---------------------------------------------------------


def _luminance(colour: str) -> float:
    channels = [int(colour[i : i + 2], 16) / 255 for i in (1, 3, 5)]
    linear = [c / 12.92 if c <= 0.03928 else ((c + 0.055) / 1.055) ** 2.4 for c in channels]
    return 0.2126 * linear[0] + 0.7152 * linear[1] + 0.0722 * linear[2]


def _contrast(a: str, b: str) -> float:
    high, low = sorted((_luminance(a), _luminance(b)), reverse=True)
    return (high + 0.05) / (low + 0.05)


def test_the_focus_ring_contrasts_3_to_1_on_every_background() -> None:
    """WCAG 1.4.11: the ring (a dark outline and a yellow halo) stands out on every background of the pages."""
    css = (STATIC / "style.css").read_text(encoding="utf-8")
    rule = re.search(r"a:focus[^{]*\{([^}]*)\}", css)
    assert rule
    ring = re.findall(r"#[0-9a-fA-F]{6}", rule.group(1))
    assert len(ring) == 2, rule.group(1)
    variables = dict(re.findall(r"--([\w-]+):\s*(#[0-9a-fA-F]{6})", css))
    backgrounds = {"#ffffff", "#0b2e59", "#eef1f5", "#e2e6ec", variables["blue"]}
    backgrounds |= {variables[name] for name in ("late-bg", "near-bg", "ok-bg")}
    for background in backgrounds:
        assert max(_contrast(colour, background) for colour in ring) >= 3, background


def test_page_not_found_keeps_the_navigation_and_the_users_name(site: tuple[Any, People]) -> None:
    app, people = site
    c = login(app, people.bethune, people.bethune_once)
    response = c.get("/page-inconnue")
    assert response.status_code == 404
    assert "<h1>Page introuvable</h1>" in response.text
    assert people.bethune in response.text and '<a href="/structure">Mes conventions</a>' in response.text
    anonymous = client(app).get("/page-inconnue")
    assert anonymous.status_code == 404 and "Se déconnecter" not in anonymous.text


def test_the_register_page_speaks_plain_french_and_opens_the_html_in_the_browser(site: tuple[Any, People]) -> None:
    app, people = site
    page = login(app, people.dpo, people.dpo_once, secret=[]).get("/dpo/registre-violations").text
    assert "dpa-kit" not in page.split("<main", 1)[1] and "<code>" not in page
    assert '<a href="/dpo/registre-violations/registre.html">' in page  # no « download »: opens in the browser
    assert '<a href="/dpo/registre-violations/registre.xlsx" download>' in page


def test_a_declaration_recorded_apart_shows_the_decisions_of_the_departements_record(
    site: tuple[Any, People],
) -> None:
    """A structure that declared by e-mail (its own record) sees the decisions taken on the Département's."""
    app, people = site
    ledger: Ledger = app.state.web.ledger
    declared = breaches.declare(
        ledger,
        convention_id=BETHUNE,
        structure="CCAS de Béthune",
        delay_hours=24,
        aware_at=T23 - timedelta(hours=5),
        details={"natures": ["confidentiality"], "description": "clé perdue"},
    )
    received = breaches.receive(
        ledger,
        convention_id=BETHUNE,
        structure="CCAS de Béthune",
        delay_hours=24,
        aware_at=T23 - timedelta(hours=5),
        received_at=T23,
        details={"natures": ["confidentiality"], "description": "clé perdue"},
        structure_reference=declared.id,
    )
    breaches.record_cnil(
        ledger, received, notified=True, at=T23 + timedelta(hours=2), reference="R-1", reason=None, delay_reason=None
    )
    page = login(app, people.bethune, people.bethune_once).get(f"/violations/{declared.id}").text
    assert "Le Département a notifié la violation à la CNIL le dimanche 29 mars 2026 à 01 h 00." in page
