"""Accounts of the web application: Argon2id, one-time passwords, TOTP, lockout, rate limit, sessions, CLI."""

from __future__ import annotations

import sqlite3
import stat
import threading
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pyotp
import pytest
from helpers import run

from dpa_kit import access
from dpa_kit.accounts import Accounts, Policy, web_database_path
from dpa_kit.exceptions import LoginRefused, NotFound, UsageError
from dpa_kit.ledger import Ledger

T0 = datetime(2026, 3, 28, 22, 0, tzinfo=UTC)
BETHUNE_SIRET = "26620011900011"
ADIL_SIRET = "34309733300078"
FAST = Policy(argon2_time_cost=1, argon2_memory_kib=8 * 1024)


@pytest.fixture
def accounts(tmp_path: Path) -> Accounts:
    ledger_path = tmp_path / "ledger.sqlite"
    return Accounts(web_database_path(ledger_path), Ledger(ledger_path), FAST)


def test_database_is_private_and_next_to_the_ledger(tmp_path: Path) -> None:
    ledger = tmp_path / "data" / "ledger.sqlite"
    accounts = Accounts(web_database_path(ledger), Ledger(ledger), FAST)
    assert accounts.path == tmp_path / "data" / "web.sqlite"
    accounts.add_user("dpo@pasdecalais.fr", "dpo", None, now=T0, actor="cli")
    assert stat.S_IMODE(accounts.path.stat().st_mode) == 0o600
    with sqlite3.connect(accounts.path) as conn:
        assert conn.execute("PRAGMA user_version").fetchone()[0] == 3


def test_upgrade_drops_the_old_web_drafts_and_keeps_the_accounts(tmp_path: Path) -> None:
    """Version 1 kept declaration drafts (personal data) in web.sqlite; they now live in the ledger's store."""
    from dpa_kit.accounts import _MIGRATIONS

    ledger = tmp_path / "ledger.sqlite"
    path = web_database_path(ledger)
    with sqlite3.connect(path) as conn:
        conn.executescript(_MIGRATIONS[0])
        conn.execute(
            "INSERT INTO users (email, role, password_hash, created_at) VALUES ('dpo@pasdecalais.fr', 'dpo', 'x', ?)",
            (T0.isoformat(),),
        )
        conn.execute("INSERT INTO drafts VALUES (1, 'breach', '{\"victimes\": \"Mme Durand\"}', ?)", (T0.isoformat(),))
        conn.execute("PRAGMA user_version = 1")
    conn.close()
    accounts = Accounts(path, Ledger(ledger), FAST)
    assert [user.email for user in accounts.users()] == ["dpo@pasdecalais.fr"]
    with sqlite3.connect(path) as conn:
        assert conn.execute("PRAGMA user_version").fetchone()[0] == 3
        tables = {row[0] for row in conn.execute("SELECT name FROM sqlite_master WHERE type = 'table'")}
    conn.close()
    assert "drafts" not in tables
    assert b"Mme Durand" not in path.read_bytes()


def test_default_hash_is_argon2id_rfc9106_and_no_password_is_stored_in_clear(tmp_path: Path) -> None:
    ledger_path = tmp_path / "ledger.sqlite"
    accounts = Accounts(web_database_path(ledger_path), Ledger(ledger_path))
    _, password = accounts.add_user("dpo@pasdecalais.fr", "dpo", None, now=T0, actor="cli")
    with sqlite3.connect(accounts.path) as conn:
        stored = conn.execute("SELECT password_hash FROM users").fetchone()[0]
    assert stored.startswith("$argon2id$v=19$m=65536,t=3,p=4$")
    assert password.encode() not in accounts.path.read_bytes()
    assert password.encode() not in ledger_path.read_bytes()


def test_add_user_checks_role_siret_and_duplicates(accounts: Accounts) -> None:
    with pytest.raises(UsageError, match="rattaché à un SIRET"):
        accounts.add_user("a@ccas.fr", "structure", None, now=T0, actor="cli")
    with pytest.raises(UsageError, match="SIRET « 26620011900012 » est invalide"):
        accounts.add_user("a@ccas.fr", "structure", "26620011900012", now=T0, actor="cli")
    with pytest.raises(UsageError, match="rôle inconnu"):
        accounts.add_user("a@ccas.fr", "admin", None, now=T0, actor="cli")
    with pytest.raises(UsageError, match="adresse électronique « pas-une-adresse » invalide"):
        accounts.add_user("pas-une-adresse", "dpo", None, now=T0, actor="cli")
    accounts.add_user("a@ccas.fr", "structure", "266 200 119 00011", now=T0, actor="cli")
    with pytest.raises(UsageError, match=r"un compte existe déjà pour « A@ccas\.fr »"):
        accounts.add_user("A@ccas.fr", "structure", BETHUNE_SIRET, now=T0, actor="cli")
    assert [u.siret for u in accounts.users()] == [BETHUNE_SIRET]


def test_one_time_password_must_be_replaced_then_works(accounts: Accounts) -> None:
    _, once = accounts.add_user("a@ccas.fr", "structure", BETHUNE_SIRET, now=T0, actor="cli")
    token, session = accounts.login("a@ccas.fr", once, now=T0, client="1.2.3.4")
    assert session.stage == "password"
    with pytest.raises(UsageError, match="pas identiques"):
        accounts.change_password(session, "une phrase assez longue", "autre chose", now=T0)
    with pytest.raises(UsageError, match="trop faible"):
        accounts.change_password(session, "court", "court", now=T0)
    accounts.change_password(session, "une phrase assez longue", "une phrase assez longue", now=T0)
    assert accounts.session(token, now=T0).stage == "ok"  # type: ignore[union-attr]
    with pytest.raises(LoginRefused, match="adresse électronique ou mot de passe incorrect"):
        accounts.login("a@ccas.fr", once, now=T0, client="1.2.3.4")
    _, again = accounts.login("a@ccas.fr", "une phrase assez longue", now=T0, client="1.2.3.4")
    assert again.stage == "ok"


def test_dpo_must_enrol_totp_then_type_a_code_each_login(accounts: Accounts) -> None:
    _, once = accounts.add_user("dpo@pasdecalais.fr", "dpo", None, now=T0, actor="cli")
    _, session = accounts.login("dpo@pasdecalais.fr", once, now=T0, client="c")
    assert session.stage == "totp_enrol"
    secret, uri = accounts.start_totp_enrolment(session)
    assert uri.startswith("otpauth://totp/dpa-kit%20Pas-de-Calais:dpo%40pasdecalais.fr?secret=" + secret)
    with pytest.raises(LoginRefused, match="code incorrect"):
        accounts.confirm_totp_enrolment(
            session, "000000" if pyotp.TOTP(secret).at(T0) != "000000" else "111111", now=T0
        )
    accounts.confirm_totp_enrolment(session, pyotp.TOTP(secret).at(T0), now=T0)
    session = accounts.session(accounts.login("dpo@pasdecalais.fr", once, now=T0, client="c")[0], now=T0)  # type: ignore[assignment]
    assert session.stage == "totp"
    later = T0 + timedelta(minutes=5)
    # The previous 30-second window is accepted (clock drift), two windows back is not.
    with pytest.raises(LoginRefused):
        accounts.verify_totp(session, pyotp.TOTP(secret).at(later - timedelta(seconds=65)), now=later)
    accounts.verify_totp(session, pyotp.TOTP(secret).at(later - timedelta(seconds=30)), now=later)
    assert accounts.session(session.token_hash, now=later) is None  # the hash is not a token
    # A code is accepted once only.
    token, second = accounts.login("dpo@pasdecalais.fr", once, now=later, client="c")
    with pytest.raises(LoginRefused, match="déjà utilisé"):
        accounts.verify_totp(second, pyotp.TOTP(secret).at(later - timedelta(seconds=30)), now=later)
    accounts.verify_totp(second, pyotp.TOTP(secret).at(later), now=later)
    assert accounts.session(token, now=later).stage == "password"  # type: ignore[union-attr]


def test_lockout_after_five_failures_even_with_the_right_password(accounts: Accounts) -> None:
    _, once = accounts.add_user("a@ccas.fr", "structure", BETHUNE_SIRET, now=T0, actor="cli")
    for _ in range(5):
        with pytest.raises(LoginRefused, match="incorrect"):
            accounts.login("a@ccas.fr", "mauvais", now=T0, client="c")
    with pytest.raises(LoginRefused, match="verrouillé") as info:
        accounts.login("a@ccas.fr", once, now=T0 + timedelta(minutes=14), client="c")
    assert info.value.locked
    _, session = accounts.login("a@ccas.fr", once, now=T0 + timedelta(minutes=16), client="c")
    assert session.user.email == "a@ccas.fr"
    kinds = [e.kind for e in accounts.ledger.events(subject="user-1")]
    assert kinds.count("account.login_failed") == 5
    assert accounts.ledger.events(subject="user-1")[-2].payload["locked"] is True


def test_unknown_address_and_wrong_password_look_the_same(accounts: Accounts) -> None:
    accounts.add_user("a@ccas.fr", "structure", BETHUNE_SIRET, now=T0, actor="cli")
    messages = []
    for email in ("a@ccas.fr", "inconnu@ccas.fr"):
        with pytest.raises(LoginRefused) as info:
            accounts.login(email, "mauvais", now=T0, client="c")
        messages.append(str(info.value))
    assert messages[0] == messages[1] == "adresse électronique ou mot de passe incorrect"


def test_rate_limit_per_client_then_released(accounts: Accounts) -> None:
    for number in range(20):  # one address each: an address alone is locked after 5 failures
        with pytest.raises(LoginRefused, match="incorrect"):
            accounts.login(f"x{number}@y.fr", "z", now=T0, client="10.0.0.1")
    with pytest.raises(LoginRefused, match="trop de tentatives") as info:
        accounts.login("x@y.fr", "z", now=T0, client="10.0.0.1")
    assert info.value.throttled
    with pytest.raises(LoginRefused, match="incorrect"):
        accounts.login("x@y.fr", "z", now=T0, client="10.0.0.2")
    with pytest.raises(LoginRefused, match="incorrect"):
        accounts.login("x@y.fr", "z", now=T0 + timedelta(minutes=6), client="10.0.0.1")


def test_idle_timeout_and_absolute_lifetime(accounts: Accounts) -> None:
    _, once = accounts.add_user("a@ccas.fr", "structure", BETHUNE_SIRET, now=T0, actor="cli")
    token, _ = accounts.login("a@ccas.fr", once, now=T0, client="c")
    at = T0
    for _ in range(23):  # active every 29 minutes for 11 h 07
        at += timedelta(minutes=29)
        assert accounts.session(token, now=at) is not None
    assert accounts.session(token, now=at + timedelta(minutes=31)) is None
    token, _ = accounts.login("a@ccas.fr", once, now=T0, client="c")
    assert accounts.session(token, now=T0 + timedelta(minutes=31)) is None
    token, _ = accounts.login("a@ccas.fr", once, now=T0, client="c")
    at = T0
    while at < T0 + timedelta(hours=12):
        at += timedelta(minutes=20)
        last = accounts.session(token, now=at)
    assert last is None


def test_disable_ends_sessions_and_refuses_login(accounts: Accounts) -> None:
    _, once = accounts.add_user("a@ccas.fr", "structure", BETHUNE_SIRET, now=T0, actor="cli")
    token, _ = accounts.login("a@ccas.fr", once, now=T0, client="c")
    accounts.disable("a@ccas.fr", now=T0, actor="cli")
    assert accounts.session(token, now=T0) is None
    with pytest.raises(LoginRefused, match="incorrect"):
        accounts.login("a@ccas.fr", once, now=T0, client="c")
    with pytest.raises(UsageError, match="déjà désactivé"):
        accounts.disable("a@ccas.fr", now=T0, actor="cli")


def test_every_action_is_a_ledger_event_without_the_address(accounts: Accounts) -> None:
    _, once = accounts.add_user("a@ccas.fr", "structure", BETHUNE_SIRET, now=T0, actor="cli")
    _, session = accounts.login("a@ccas.fr", once, now=T0, client="c")
    accounts.change_password(session, "une phrase assez longue", "une phrase assez longue", now=T0)
    accounts.logout(session, now=T0)
    accounts.disable("a@ccas.fr", now=T0, actor="cli")
    events = accounts.ledger.events(subject="user-1")
    assert [e.kind for e in events] == [
        "account.added",
        "account.login",
        "account.password_changed",
        "account.logout",
        "account.disabled",
    ]
    assert all(e.at == T0 for e in events)
    assert b"a@ccas.fr" not in accounts.ledger.path.read_bytes()
    assert accounts.ledger.verify().ok


def test_structure_user_sees_only_its_siret(accounts: Accounts, registers: Path) -> None:
    bethune, _ = accounts.add_user("a@ccas.fr", "structure", BETHUNE_SIRET, now=T0, actor="cli")
    adil, _ = accounts.add_user("b@adil.fr", "structure", ADIL_SIRET, now=T0, actor="cli")
    dpo, _ = accounts.add_user("dpo@pasdecalais.fr", "dpo", None, now=T0, actor="cli")
    assert [c.convention.id for c in access.conventions_for(bethune, registers)] == ["2026-DPID-CCAS-BETHUNE-1.2"]
    assert len(access.conventions_for(dpo, registers)) == 2
    with pytest.raises(NotFound):
        access.get_convention(adil, registers, "2026-DPID-CCAS-BETHUNE-1.2")
    with pytest.raises(NotFound):
        access.get_convention(adil, registers, "n-existe-pas")
    assert (
        access.get_convention(dpo, registers, "2026-DPID-CCAS-BETHUNE-1.2").convention.processor.siret == BETHUNE_SIRET
    )
    # The conventions are kept between pages, but an edited file is read again at once.
    path = registers / "2026-DPID-CCAS-BETHUNE-1.2.yaml"
    path.write_text(path.read_text(encoding="utf-8").replace(BETHUNE_SIRET, ADIL_SIRET), encoding="utf-8")
    assert access.conventions_for(bethune, registers) == []
    assert len(access.conventions_for(adil, registers)) == 2


def test_users_commands(tmp_path: Path, registers: Path) -> None:
    env = {
        "DPA_KIT_REGISTERS": str(registers),
        "DPA_KIT_LEDGER": str(tmp_path / "ledger.sqlite"),
        "DPA_KIT_NOW": "2026-03-28T23:00",
    }
    result = run("users", "add", "a@ccas.fr", "--role", "structure", "--siret", BETHUNE_SIRET, env=env)
    assert result.exit_code == 0, result.output
    lines = result.stdout.splitlines()
    assert lines[0] == f"Compte créé : n° 1, a@ccas.fr, rôle structure, SIRET {BETHUNE_SIRET}."
    assert lines[1].startswith("Mot de passe à usage unique : ")
    result = run("users", "add", "b@ccas.fr", "--role", "structure", env=env)
    assert result.exit_code == 2
    assert "Erreur : un compte de structure est rattaché à un SIRET" in result.stderr
    result = run("users", "list", env=env)
    assert result.stdout == f"   1  a@ccas.fr  structure  {BETHUNE_SIRET}  actif  second facteur : non\n"
    result = run("users", "disable", "a@ccas.fr", env=env)
    assert result.stdout == "Compte désactivé : n° 1, a@ccas.fr. Ses sessions sont fermées.\n"
    assert "désactivé" in run("users", "list", env=env).stdout
    assert run("users", "disable", "z@ccas.fr", env=env).exit_code == 2


def test_breaches_kept_between_pages_equal_a_full_fold(accounts: Accounts, registers: Path) -> None:
    from dpa_kit import breach as breaches

    dpo, _ = accounts.add_user("dpo@pasdecalais.fr", "dpo", None, now=T0, actor="cli")
    ledger = accounts.ledger
    common = {"convention_id": "2026-DPID-CCAS-BETHUNE-1.2", "structure": "CCAS", "delay_hours": 24, "aware_at": T0}
    first = breaches.declare(ledger, **common, details={"natures": ["integrity"]})
    assert [b.id for b in access.breaches_for(dpo, registers, ledger)] == [first.id]
    received = breaches.receive(ledger, **common, received_at=T0, details={})
    breaches.record_notification(
        ledger, first, sent_at=T0, message_id="<m>", to="a@b.fr", complementary=False, delay_reason=None
    )
    before = access.get_breach(dpo, registers, ledger, first.id)
    breaches.record_cnil(ledger, received, notified=False, at=None, reference=None, reason="r", delay_reason=None)
    breaches.close(ledger, breaches.get(ledger, received.id), "fin")
    kept = {b.id: b for b in access.breaches_for(dpo, registers, ledger)}
    assert kept == breaches.all_breaches(ledger)
    assert kept[received.id].closed == {"reason": "fin"} and kept[first.id].notified_at == T0
    assert len(before.timeline) == 2  # a state already handed to a page did not change


# --- limits under concurrency and for unknown addresses -------------------------------------------


def _at_once(count: int, attempt: Callable[[int], object]) -> list[BaseException | None]:
    """Run ``attempt(0..count-1)`` in as many threads released together; what each raised (None: passed)."""
    barrier = threading.Barrier(count)
    outcomes: list[BaseException | None] = [None] * count

    def run_one(number: int) -> None:
        barrier.wait()
        try:
            attempt(number)
        except BaseException as exc:  # collected and asserted on below
            outcomes[number] = exc

    threads = [threading.Thread(target=run_one, args=(n,)) for n in range(count)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return outcomes


def _wrong_code(secret: str, at: datetime) -> str:
    """A six-digit code that no step around ``at`` gives."""
    near = {pyotp.TOTP(secret).at(at + timedelta(seconds=s)) for s in (-30, 0, 30)}
    return next(code for code in ("000000", "111111", "222222", "333333") if code not in near)


def _dpo_with_totp(accounts: Accounts) -> tuple[str, str]:
    """An enrolled DPO: its password and TOTP secret (enrolled with the code of the step before T0)."""
    _, once = accounts.add_user("dpo@pasdecalais.fr", "dpo", None, now=T0, actor="cli")
    _, session = accounts.login("dpo@pasdecalais.fr", once, now=T0, client="enrol")
    secret, _ = accounts.start_totp_enrolment(session)
    accounts.confirm_totp_enrolment(session, pyotp.TOTP(secret).at(T0 - timedelta(seconds=30)), now=T0)
    return once, secret


def test_parallel_wrong_passwords_lock_the_account_exactly_at_the_policy(accounts: Accounts) -> None:
    _, once = accounts.add_user("a@ccas.fr", "structure", BETHUNE_SIRET, now=T0, actor="cli")
    outcomes = _at_once(30, lambda n: accounts.login("a@ccas.fr", "mauvais", now=T0, client=f"10.0.0.{n}"))
    assert all(isinstance(o, LoginRefused) for o in outcomes), outcomes
    messages = [str(o) for o in outcomes]
    # Five passwords were checked (the policy), the 25 others were refused by the lock without a check.
    assert sum(m.startswith("adresse électronique ou mot de passe incorrect") for m in messages) == 5
    assert sum(m.startswith("compte temporairement verrouillé") for m in messages) == 25
    with pytest.raises(LoginRefused, match="verrouillé") as info:
        accounts.login("a@ccas.fr", once, now=T0, client="10.0.1.1")
    assert info.value.locked
    kinds = [e.kind for e in accounts.ledger.events(subject="user-1")]
    assert kinds.count("account.login_failed") == 5


def test_parallel_wrong_totp_codes_stop_at_the_lock(accounts: Accounts) -> None:
    once, secret = _dpo_with_totp(accounts)
    sessions = [accounts.login("dpo@pasdecalais.fr", once, now=T0, client=f"10.0.0.{n}")[1] for n in range(30)]
    wrong = _wrong_code(secret, T0)
    outcomes = _at_once(30, lambda n: accounts.verify_totp(sessions[n], wrong, now=T0))
    messages = [str(o) for o in outcomes]
    assert sum(m.startswith("code incorrect") for m in messages) == 5, messages
    assert sum(m.startswith("compte temporairement verrouillé") for m in messages) == 25
    with pytest.raises(LoginRefused, match="verrouillé"):
        accounts.verify_totp(sessions[0], pyotp.TOTP(secret).at(T0), now=T0)


def test_same_totp_code_sent_by_six_sessions_at_once_is_accepted_once(accounts: Accounts) -> None:
    once, secret = _dpo_with_totp(accounts)
    tokens_and_sessions = [accounts.login("dpo@pasdecalais.fr", once, now=T0, client=f"c{n}") for n in range(6)]
    code = pyotp.TOTP(secret).at(T0)
    outcomes = _at_once(6, lambda n: accounts.verify_totp(tokens_and_sessions[n][1], code, now=T0))
    assert sum(o is None for o in outcomes) == 1, outcomes
    assert all("déjà utilisé" in str(o) for o in outcomes if o is not None)
    passed = [accounts.session(token, now=T0) for token, _ in tokens_and_sessions]
    assert sum(s is not None and s.mfa_ok for s in passed) == 1


def test_a_right_password_does_not_reset_the_count_of_wrong_codes(accounts: Accounts) -> None:
    """Knowing the password must not give endless tries at the second factor (log in again, try again)."""
    once, secret = _dpo_with_totp(accounts)
    wrong = _wrong_code(secret, T0)
    for number in range(5):
        _, session = accounts.login("dpo@pasdecalais.fr", once, now=T0, client=f"c{number}")
        with pytest.raises(LoginRefused, match="code incorrect") as info:
            accounts.verify_totp(session, wrong, now=T0)
    assert info.value.locked and "verrouillé pendant 15 minutes" in str(info.value)
    with pytest.raises(LoginRefused, match="verrouillé"):
        accounts.login("dpo@pasdecalais.fr", once, now=T0, client="c9")
    # After the lock, the right password and code work, and a right code resets the count.
    later = T0 + timedelta(minutes=16)
    _, session = accounts.login("dpo@pasdecalais.fr", once, now=later, client="c9")
    accounts.verify_totp(session, pyotp.TOTP(secret).at(later), now=later)


def test_second_factor_is_limited_per_session_and_per_client(tmp_path: Path) -> None:
    ledger_path = tmp_path / "ledger.sqlite"
    policy = Policy(argon2_time_cost=1, argon2_memory_kib=8 * 1024, max_failures=50, rate_max=4)
    accounts = Accounts(web_database_path(ledger_path), Ledger(ledger_path), policy)
    once, secret = _dpo_with_totp(accounts)
    wrong = _wrong_code(secret, T0)
    token, session = accounts.login("dpo@pasdecalais.fr", once, now=T0, client="a")
    for _ in range(2):
        with pytest.raises(LoginRefused, match="code incorrect ou déjà utilisé"):
            accounts.verify_totp(session, wrong, now=T0)
    with pytest.raises(LoginRefused, match="cette connexion est fermée : reconnectez-vous avec votre mot de passe"):
        accounts.verify_totp(session, wrong, now=T0)
    assert accounts.session(token, now=T0) is None
    with pytest.raises(LoginRefused, match="reconnectez-vous"):
        accounts.verify_totp(session, pyotp.TOTP(secret).at(T0), now=T0)
    # Codes count against the client's attempts, as passwords do.
    sessions = [accounts.login("dpo@pasdecalais.fr", once, now=T0, client=f"b{n}")[1] for n in range(3)]
    for number in range(4):
        with pytest.raises(LoginRefused, match="code incorrect"):
            accounts.verify_totp(sessions[number % 3], wrong, now=T0, client="10.9.9.9")
    with pytest.raises(LoginRefused, match="trop de tentatives") as info:
        accounts.verify_totp(sessions[2], pyotp.TOTP(secret).at(T0), now=T0, client="10.9.9.9")
    assert info.value.throttled


def test_unknown_and_existing_addresses_get_the_same_answers_up_to_the_lock(accounts: Accounts) -> None:
    accounts.add_user("a@ccas.fr", "structure", BETHUNE_SIRET, now=T0, actor="cli")
    answers: dict[str, list[tuple[str, bool]]] = {}
    for email in ("a@ccas.fr", "inconnu@ccas.fr"):
        answers[email] = []
        for minutes in (0, 1, 2, 3, 4, 5, 19, 20):
            with pytest.raises(LoginRefused) as info:
                accounts.login(email, "mauvais", now=T0 + timedelta(minutes=minutes), client=f"10.0.0.{len(answers)}")
            answers[email].append((str(info.value), info.value.locked))
    assert answers["a@ccas.fr"] == answers["inconnu@ccas.fr"]
    messages = [m for m, _ in answers["inconnu@ccas.fr"]]
    # The fifth failure says what happens next; the lock says when to come back.
    assert messages[3] == "adresse électronique ou mot de passe incorrect"
    assert messages[4] == (
        "adresse électronique ou mot de passe incorrect ; après 5 essais infructueux, "
        "le compte est verrouillé pendant 15 minutes : réessayez plus tard"
    )
    assert messages[5].startswith("compte temporairement verrouillé après plusieurs échecs : réessayez dans 14 minute")
    assert messages[7] == "adresse électronique ou mot de passe incorrect"  # lock over after 15 minutes
    # The typed address of an unknown account is not kept in clear.
    assert b"inconnu@ccas.fr" not in accounts.path.read_bytes()
