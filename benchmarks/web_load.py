"""Load test of `dpa-kit serve` on 127.0.0.1 (not a test; run it by hand on a quiet machine).

    .venv/bin/python benchmarks/web_load.py [--sessions 50] [--seconds 30] [--conventions 200] [--events 100000]

A folder of 200 conventions (50 structures) and a ledger of 100,000 events are prepared; the application
runs in its own process; 50 sessions (40 structure users declaring breaches and reading their pages,
10 DPO sessions reading the dashboard) run concurrently for 30 seconds. It prints the errors (any
unexpected status), the declarations that every client saw accepted against those counted in the ledger
(none may be lost), `ledger verify`, the p50/p95 latency of the DPO dashboard, and whether the dashboard
read after the load lists every declaration (the figures of a dashboard that showed stale data would lie).

Every session comes from 127.0.0.1, so the server started here raises the login rate limit (20 attempts
per client per 5 minutes in production), and uses the production Argon2id cost.
"""

from __future__ import annotations

import argparse
import os
import re
import shutil
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

import yaml

ROOT = Path(__file__).resolve().parents[1]
REGISTERS = ROOT / "registers"
PASSWORD = "une phrase de passe pour la charge"
SERVER = """
import sys
from pathlib import Path
import uvicorn
from dpa_kit.accounts import Policy
from dpa_kit.web import WebConfig, create_app
app = create_app(WebConfig(registers=Path(sys.argv[1]), ledger_path=Path(sys.argv[2]), policy=Policy(rate_max=100000)))
uvicorn.run(app, host="127.0.0.1", port=int(sys.argv[3]), log_level="warning", access_log=False)
"""


def siret(number: int) -> str:
    """A fictitious SIRET passing the Luhn check."""
    body = f"9{number:012d}"
    for last in range(10):
        candidate = body + str(last)
        total = 0
        for index, char in enumerate(reversed(candidate)):
            digit = int(char) * (2 if index % 2 else 1)
            total += digit - 9 if digit > 9 else digit
        if total % 10 == 0:
            return candidate
    raise AssertionError("unreachable")


def prepare(work: Path, conventions: int, structures: int, events: int) -> tuple[Path, Path, list[str]]:
    from dpa_kit import breach as breaches
    from dpa_kit.ledger import Ledger

    folder = work / "registers"
    folder.mkdir(parents=True)
    shutil.copy(REGISTERS / "defaults.yaml", folder / "defaults.yaml")
    source = yaml.safe_load((REGISTERS / "2026-DPID-CCAS-BETHUNE-1.2.yaml").read_text(encoding="utf-8"))
    sirets = [siret(i) for i in range(structures)]
    ids = []
    for index in range(conventions):
        data = dict(source)
        data["id"] = f"LOAD-{index:04d}"
        data["processor"] = {
            **source["processor"],
            "siret": sirets[index % structures],
            "short_name": f"Structure {index % structures}",
        }
        (folder / f"LOAD-{index:04d}.yaml").write_text(
            yaml.safe_dump(data, allow_unicode=True, sort_keys=False), encoding="utf-8"
        )
        ids.append(data["id"])
    ledger = Ledger(work / "ledger.sqlite")
    start = datetime(2025, 1, 1, tzinfo=UTC)
    written = 0
    # 2,000 breaches with their follow-up (about 5 events each), then exchanges up to the total.
    with ledger.unit_of_work() as writer:
        for index in range(2000):
            at = start + timedelta(hours=index)
            convention = ids[index % len(ids)]
            payload = breaches._opening(convention, "Structure", 24, at, {"natures": ["confidentiality"]})
            payload["received_at"] = (at + timedelta(hours=3)).isoformat()
            payload["cnil_deadline"] = (at + timedelta(hours=75)).isoformat()
            breach_id = f"V-2025-{index + 1:04d}"
            writer.append("breach.received", breach_id, payload, at)
            writer.append("breach.severity", breach_id, {"score": 1.5, "band": "faible"}, at)
            writer.append("breach.cnil", breach_id, {"notified": False, "reason": "risque improbable"}, at)
            writer.append("breach.subjects", breach_id, {"decision": "not_informed", "ground": "no_high_risk"}, at)
            writer.append("breach.closed", breach_id, {"reason": None}, at)
            written += 5
        while written < events:
            writer.append(
                "exchange.packed",
                ids[written % len(ids)],
                {"direction": "sent", "convention": ids[written % len(ids)], "files": 3},
                start,
            )
            written += 1
    return folder, ledger.path, sirets


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def csrf(html: str) -> str:
    match = re.search(r'name="csrf" value="([^"]+)"', html)
    if not match:
        raise AssertionError("no CSRF token")
    return match.group(1)


class Stats:
    def __init__(self) -> None:
        self.lock = threading.Lock()
        self.errors: list[str] = []
        self.accepted: list[str] = []
        self.dashboard: list[float] = []
        self.dashboard_at: list[float] = []
        self.listed: list[int] = []
        self.requests = 0

    def error(self, text: str) -> None:
        with self.lock:
            self.errors.append(text)


def login(client: object, email: str, password: str, secret: list[str]) -> None:
    import pyotp

    page = client.get("/connexion")  # type: ignore[attr-defined]
    response = client.post("/connexion", data={"csrf": csrf(page.text), "email": email, "password": password})  # type: ignore[attr-defined]
    while response.status_code == 303 and response.headers["location"].startswith("/connexion"):
        where = response.headers["location"]
        page = client.get(where)  # type: ignore[attr-defined]
        data = {"csrf": csrf(page.text)}
        if where == "/connexion/second-facteur":
            secret.append(re.search(r'<code id="totp-secret">([A-Z2-7]+)</code>', page.text).group(1))  # type: ignore[union-attr]
            data["code"] = pyotp.TOTP(secret[-1]).now()
        elif where == "/connexion/mot-de-passe":
            data.update(password=PASSWORD, confirmation=PASSWORD)
        response = client.post(where, data=data)  # type: ignore[attr-defined]
    if response.status_code != 303:
        raise AssertionError(f"login of {email}: {response.status_code}")


def structure_loop(client: object, conventions: list[str], stop: float, stats: Stats) -> None:
    while time.monotonic() < stop:
        try:
            # The questionnaire, one question a page: « je ne sais pas encore » where it is allowed.
            typed = {"aware_at": "maintenant", "description": "test de charge", "contact": "test"}
            sent = 0
            for _ in range(40):
                page = client.get("/violations/nouvelle")  # type: ignore[attr-defined]
                sent += 1
                if page.status_code == 303:
                    break
                key = re.search(r'name="question" value="([a-z_]+)"', page.text).group(1)  # type: ignore[union-attr]
                data: dict[str, object] = {"csrf": csrf(page.text), "question": key, "action": "continuer"}
                if 'value="nsp"' in page.text:
                    data["action"] = "nsp"
                elif 'name="choix"' in page.text:
                    data["choix"] = re.findall(r'name="choix" value="(\d+)" checked', page.text) or ["1"]
                else:
                    data["reponse"] = typed.get(key, "")
                response = client.post("/violations/nouvelle", data=data)  # type: ignore[attr-defined]
                sent += 1
                if response.status_code != 303:
                    stats.error(f"question {key}: {response.status_code}")
                    break
            page = client.get("/violations/nouvelle/verifier")  # type: ignore[attr-defined]
            response = client.post("/violations/envoyer", data={"csrf": csrf(page.text)})
            location = response.headers.get("location", "")
            if response.status_code == 303 and location.startswith("/violations/V-"):
                with stats.lock:
                    stats.accepted.append(location.split("/")[2].split("?")[0])
            else:
                stats.error(f"submit: {response.status_code}")
            for path in ("/structure", f"/conventions/{conventions[0]}"):
                if client.get(path).status_code != 200:
                    stats.error(f"GET {path}")
            with stats.lock:
                stats.requests += sent + 4  # the pages of the questions, then review, send, home, convention
        except Exception as exc:
            stats.error(f"{type(exc).__name__}: {exc}")


def dpo_loop(client: object, stop: float, stats: Stats, declared_done: threading.Event) -> None:
    while time.monotonic() < stop:
        try:
            started = time.perf_counter()
            response = client.get("/dpo")
            elapsed = time.perf_counter() - started
            if response.status_code != 200:
                stats.error(f"dashboard: {response.status_code}")
            with stats.lock:
                stats.dashboard.append(elapsed)
                stats.dashboard_at.append(started)
                stats.requests += 1
        except Exception as exc:
            stats.error(f"{type(exc).__name__}: {exc}")
    # Once every declaration is in, the dashboard must list each one at once (no overview kept stale).
    declared_done.wait()
    try:
        page = client.get("/dpo")  # type: ignore[attr-defined]
        with stats.lock:
            stats.listed.append(len(set(re.findall(r'href="/dpo/violations/(V-[^"]+)"', page.text))))
    except Exception as exc:
        stats.error(f"final dashboard: {type(exc).__name__}: {exc}")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sessions", type=int, default=50)
    parser.add_argument("--seconds", type=float, default=30)
    parser.add_argument("--conventions", type=int, default=200)
    parser.add_argument("--events", type=int, default=100_000)
    args = parser.parse_args()
    from dpa_kit.accounts import Accounts, web_database_path
    from dpa_kit.ledger import Ledger

    structures = max(1, args.sessions * 4 // 5)
    dpos = max(1, args.sessions - structures)
    with tempfile.TemporaryDirectory(prefix="dpa-kit-load-") as tmp:
        work = Path(tmp)
        t0 = time.perf_counter()
        folder, ledger_path, sirets = prepare(work, args.conventions, structures, args.events)
        print(f"prepared {args.conventions} conventions and {args.events} events in {time.perf_counter() - t0:.1f} s")
        ledger = Ledger(ledger_path)
        accounts = Accounts(web_database_path(ledger_path), ledger)
        now = datetime.now(UTC)
        users = []
        for index in range(structures):
            _, once = accounts.add_user(f"s{index}@load.test", "structure", sirets[index], now=now, actor="bench")
            users.append((f"s{index}@load.test", once, [f"LOAD-{index:04d}"]))
        dpo_users = []
        for index in range(dpos):
            _, once = accounts.add_user(f"dpo{index}@load.test", "dpo", None, now=now, actor="bench")
            dpo_users.append((f"dpo{index}@load.test", once))
        before = len(ledger.events(kind_prefix="breach.received"))
        port = free_port()
        server = subprocess.Popen(
            [sys.executable, "-c", SERVER, str(folder), str(ledger_path), str(port)], env={**os.environ}
        )
        try:
            deadline = time.monotonic() + 60
            while socket.socket().connect_ex(("127.0.0.1", port)) != 0:
                if time.monotonic() > deadline or server.poll() is not None:
                    raise SystemExit("the server did not start")
                time.sleep(0.2)
            base = f"http://127.0.0.1:{port}"
            stats = Stats()
            # Logins (Argon2id at its production cost) happen before the measured window.
            stop_box: list[float] = []
            # The load window starts when every session has logged in.
            ready = threading.Barrier(
                len(users) + len(dpo_users) + 1, action=lambda: stop_box.append(time.monotonic() + args.seconds)
            )

            def run(email: str, password: str, conventions: list[str] | None) -> None:
                import httpx2

                with httpx2.Client(base_url=base, follow_redirects=False, timeout=120) as client:
                    try:
                        login(client, email, password, [])
                    except Exception as exc:
                        stats.error(f"login: {type(exc).__name__}: {exc}")
                        ready.wait()
                        return
                    ready.wait()
                    if conventions is None:
                        dpo_loop(client, stop_box[0], stats, declared_done)
                    else:
                        structure_loop(client, conventions, stop_box[0], stats)

            declared_done = threading.Event()
            structure_threads = [threading.Thread(target=run, args=(e, p, c)) for e, p, c in users]
            dpo_threads = [threading.Thread(target=run, args=(e, p, None)) for e, p in dpo_users]
            threads = structure_threads + dpo_threads
            for thread in threads:
                thread.start()
            t1 = time.perf_counter()
            ready.wait()
            print(
                f"{len(threads)} sessions logged in (Argon2id, TOTP) in {time.perf_counter() - t1:.1f} s; "
                f"{args.seconds:.0f} s of load"
            )
            for thread in structure_threads:
                thread.join()
            declared_done.set()
            for thread in dpo_threads:
                thread.join()
        finally:
            server.terminate()
            server.wait(timeout=30)
        declared = len(ledger.events(kind_prefix="breach.received")) - before
        verification = ledger.verify()
        dash = sorted(stats.dashboard)
        print(f"sessions: {len(users)} structure users, {len(dpo_users)} DPO; requests: {stats.requests}")
        print(f"errors: {len(stats.errors)}" + (f" (first: {stats.errors[:3]})" if stats.errors else ""))
        print(
            f"declarations accepted by the server: {len(stats.accepted)}; recorded in the ledger: {declared}; "
            f"lost: {len(stats.accepted) - declared}"
        )
        print(f"ledger verify: {'ok' if verification.ok else verification.reason} ({verification.checked} events)")
        if dash:
            p95 = dash[min(len(dash) - 1, int(len(dash) * 0.95))]
            print(
                f"dashboard ({args.conventions} conventions, {verification.checked} events): "
                f"{len(dash)} requests, p50 {statistics.median(dash) * 1000:.0f} ms, p95 {p95 * 1000:.0f} ms, "
                f"max {dash[-1] * 1000:.0f} ms"
            )
            # When the slow ones happened: the first pages after the logins, or all along the load.
            first = min(stats.dashboard_at)
            slowest = sorted(zip(stats.dashboard, stats.dashboard_at, strict=True), reverse=True)[:5]
            print(
                "slowest dashboards (ms @ s after the first): "
                + ", ".join(f"{took * 1000:.0f} @ {at - first:.1f}" for took, at in slowest)
            )
        # Every declaration was received by the Département and is open: each DPO's last dashboard lists them all.
        fresh = bool(stats.listed) and all(n == len(stats.accepted) for n in stats.listed)
        print(
            f"dashboard after the load, open breaches listed: {sorted(set(stats.listed))} "
            f"(declarations accepted: {len(stats.accepted)}): {'up to date' if fresh else 'STALE'}"
        )
        ok = not stats.errors and len(stats.accepted) == declared and verification.ok and fresh
        return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
