"""The site under outages and abuse, under gunicorn (4 workers) with 20 concurrent clients, on PostgreSQL.

1. The home page, 20 clients x 10 GETs: its p99 is the baseline (`home_p99_ms_normal`).
2. The same 20 clients, each registering someone now and then (20 registrations among 220 requests),
   with the SMTP server hung (it accepts connections and never answers) and no Redis:
   `home_p99_ms_smtp_hung` (target <= 200) and `register_p99_ms_smtp_hung`. Mail goes out from each
   worker's sender thread after the response; the messages wait in the outbox (`mail_waiting`). The same
   load with mail written to files, in its own server first, is the baseline:
   `home_p99_ms_registering_mail_to_files` and `ratio_smtp_hung_vs_registering`.
3. One registration POST of 10,000 colleague rows (~350 KB): `big_post_ms` (target <= 500) and its
   status (`big_post_status`, a 4xx).
4. Sign-in with a wrong password, for an account that exists and one that does not, 20 each:
   `sign_in_ms_known` and `sign_in_ms_unknown` (medians; they should be within 10 ms).

Prints a last line of JSON with those figures, `errors_5xx` and `connection_errors`.

Usage: .venv/bin/python bench/outages.py
Needs PostgreSQL: BENCH_DATABASE_URL (default postgresql+psycopg://postgres@127.0.0.1:5432/eventhub_bench),
a database this script empties.
"""
import json
import os
import re
import secrets
import socket
import statistics
import sys
import tempfile
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from urllib.parse import urlencode

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench.registration_rush import (  # noqa: E402  (the path above first)
    DEFAULT_URL,
    ensure_database,
    free_port,
    prepare,
    request,
    start_gunicorn,
)

CLIENTS = 20


def hung_smtp() -> socket.socket:
    """A port that accepts connections and never says a word."""
    listener = socket.socket()
    listener.bind(("127.0.0.1", 0))
    listener.listen(256)
    held = []

    def accept():
        while True:
            try:
                held.append(listener.accept()[0])
            except OSError:
                return

    threading.Thread(target=accept, daemon=True).start()
    return listener


def p99(values: list[float]) -> float:
    return round(sorted(values)[int(0.99 * (len(values) - 1))], 1)


def timed(port: int, method: str, path: str, body: bytes | None = None, cookie: str = "") -> tuple[float, int]:
    start = time.perf_counter()
    try:
        status, _, _ = request(port, method, path, body, cookie)
    except OSError:
        status = 0
    return (time.perf_counter() - start) * 1000, status


def form_and_cookie(port: int, path: str) -> tuple[str, str]:
    """The CSRF token of a form page and the session cookie it goes with."""
    status, headers, page = request(port, "GET", path)
    assert status == 200, status
    found = re.search(r'name="csrf_token" type="hidden" value="([^"]+)"|name="csrf_token" value="([^"]+)"', page)
    return found.group(1) or found.group(2), headers.get("Set-Cookie", "").split(";", 1)[0]


def home_load(port: int) -> list[tuple[float, int]]:
    with ThreadPoolExecutor(max_workers=CLIENTS) as pool:
        return list(pool.map(lambda _: timed(port, "GET", "/"), range(CLIENTS * 10)))


def add_account(url: str) -> None:
    """The account whose wrong-password sign-ins are timed against those of nobody's."""
    from eventhub import create_app
    from eventhub.accounts.services import create_user
    from eventhub.extensions import db
    from eventhub.models import UserRole

    app = create_app({"TESTING": True, "SECRET_KEY": "bench", "SQLALCHEMY_DATABASE_URI": url})
    with app.app_context():
        create_user(email="bench-admin@example.org", role=UserRole.ADMIN, password="correct horse battery")
        db.session.commit()
        db.engine.dispose()


def run(env: dict, info: dict, *, with_extras: bool):
    """One gunicorn: the home page alone, then with 20 registrations going on; with_extras, the big POST and
    the sign-in timings too."""
    port = free_port()
    server = start_gunicorn("app:app", env, port, 4)
    path = f"/events/{info['slug']}/register"
    first = 0 if with_extras else CLIENTS  # each run registers other people
    try:
        home_load(port)  # warm-up
        normal = home_load(port)

        def register(n: int) -> tuple[float, int]:
            token, cookie = form_and_cookie(port, path)
            fields = {"csrf_token": token, "legal_first_name": "Outage", "legal_last_name": f"Attendee {n}",
                      "email": f"outage{n}@example.org", "role": "teacher", "district": info["district"],
                      "photo_consent": "no", "norms": "y"}
            return timed(port, "POST", path, urlencode(fields).encode(), cookie)

        # 20 clients in all: every eleventh thing one of them does is to register, the rest load the home page.
        with ThreadPoolExecutor(max_workers=CLIENTS) as pool:
            tasks = [pool.submit(register, first + n // 11) if n % 11 == 0 else pool.submit(timed, port, "GET", "/")
                     for n in range(CLIENTS * 11)]
            results = [task.result() for task in tasks]
        registered = [r for n, r in enumerate(results) if n % 11 == 0]
        during = [r for n, r in enumerate(results) if n % 11]
        if not with_extras:
            return normal, [], during, [], {}

        token, cookie = form_and_cookie(port, path)
        big = {"csrf_token": token, "legal_first_name": "Big", "legal_last_name": "Post", "email": "big@example.org",
               "role": "teacher", "district": info["district"], "norms": "y"}
        for i in range(10_000):
            big.update({f"colleagues-{i}-legal_first_name": "C", f"colleagues-{i}-email": f"c{i}@example.org"})
        big_result = timed(port, "POST", path, urlencode(big).encode(), cookie)

        signin: dict = {"known": [], "unknown": [], "statuses": []}
        for n in range(40):
            kind = "known" if n % 2 else "unknown"
            token, cookie = form_and_cookie(port, "/admin/login")
            email = "bench-admin@example.org" if kind == "known" else f"nobody{n}@example.org"
            ms, status = timed(port, "POST", "/admin/login",
                               urlencode({"csrf_token": token, "email": email, "password": "wrong"}).encode(), cookie)
            if n >= 8:  # the first few warm each worker's decoy hash up
                signin[kind].append(ms)
            signin["statuses"].append(status)
        return normal, during, registered, big_result, signin
    finally:
        server.terminate()
        server.wait()


def main() -> None:
    url = os.environ.get("BENCH_DATABASE_URL", DEFAULT_URL)
    ensure_database(url)
    info = prepare(url)
    add_account(url)
    smtp = hung_smtp()
    env = {**os.environ, "DATABASE_URL": url, "SECRET_KEY": secrets.token_hex(32), "SESSION_COOKIE_SECURE": "0",
           "MAIL_DIR": tempfile.mkdtemp(prefix="eventhub-bench-mail-"), "FLASK_DEBUG": "0",
           "MAIL_SERVER": "127.0.0.1", "MAIL_PORT": str(smtp.getsockname()[1]),
           "REGISTRATION_LIMIT_PER_CLIENT": "10000 per hour", "SIGN_IN_LIMIT_PER_CLIENT": "10000 per hour",
           "SIGN_IN_LIMIT_PER_ACCOUNT": "10000 per hour"}
    for name in ("REDIS_URL", "RATELIMIT_STORAGE_URI", "MAIL_SEND_ON_COMMIT", "MAIL_SEND_IN_BACKGROUND"):
        env.pop(name, None)
    # The same registrations with mail written to files: what 20 registrations cost the home page anyway.
    files = {**env, "MAIL_SERVER": ""}
    _, _, registering_normal, _, _ = run(files, info, with_extras=False)
    normal, hung, registered, big, signin = run(env, info, with_extras=True)
    smtp.close()
    statuses = [s for _, s in normal + hung + registered + registering_normal] + [big[1]] + signin.pop("statuses")
    import sqlalchemy as sa

    from eventhub import create_app
    from eventhub.extensions import db
    from eventhub.models import OutboxMessage, OutboxStatus

    app = create_app({"TESTING": True, "SECRET_KEY": "bench", "SQLALCHEMY_DATABASE_URI": url})
    with app.app_context():
        # The hung run's messages: pending, or claimed by a sender still waiting on the server; none sent.
        pending = db.session.scalar(sa.select(sa.func.count()).where(
            OutboxMessage.status.in_([OutboxStatus.PENDING, OutboxStatus.SENDING]),
            OutboxMessage.to_address.in_([f"outage{n}@example.org" for n in range(CLIENTS)])))
        db.engine.dispose()
    normal_p99 = p99([ms for ms, _ in normal])
    registering_p99 = p99([ms for ms, _ in registering_normal])
    hung_p99 = p99([ms for ms, _ in hung])
    figures = {
        "home_p99_ms_normal": normal_p99,
        "home_p99_ms_registering_mail_to_files": registering_p99,
        "home_p99_ms_smtp_hung": hung_p99,
        "ratio_smtp_hung_vs_registering": round(hung_p99 / registering_p99, 2),
        "register_p99_ms_smtp_hung": p99([ms for ms, _ in registered]),
        "registered": sum(1 for _, s in registered if s == 302),
        "mail_waiting": pending,
        "big_post_ms": round(big[0], 1),
        "big_post_status": big[1],
        "sign_in_ms_known": round(statistics.median(signin["known"]), 1),
        "sign_in_ms_unknown": round(statistics.median(signin["unknown"]), 1),
        "errors_5xx": sum(1 for s in statuses if s >= 500),
        "connection_errors": sum(1 for s in statuses if s == 0),
    }
    print(json.dumps(figures))


if __name__ == "__main__":
    main()
