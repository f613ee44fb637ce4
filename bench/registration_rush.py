"""A registration rush through the real form under gunicorn on PostgreSQL, against a bare baseline.

Starts eventhub under gunicorn (4 workers), then N attendees (default 400) from 32 concurrent
clients each GET the registration form (for its CSRF token) and POST it, all ranking first a
visit with 40 seats. Both servers get the same warm-up (64 GETs of the form) before timing. Then
does the same against bench/bare_app.py (one insert per POST) and prints a last line of JSON:
{"attempts", "confirmed_on_visit", "oversold", "errors_5xx", "registrations_per_s",
 "p50_ms", "p99_ms", "bare_per_s", "ratio_vs_bare", "connection_errors"}; connection_errors counts
requests of either run whose connection failed (none is expected).

Usage: .venv/bin/python bench/registration_rush.py [--attendees 400] [--clients 32]
Needs PostgreSQL: BENCH_DATABASE_URL (default postgresql+psycopg://postgres@127.0.0.1:5432/eventhub_bench),
a database this script empties.
"""
import argparse
import http.client
import json
import os
import re
import secrets
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from urllib.parse import urlencode

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

VISIT_SEATS = 40
DEFAULT_URL = "postgresql+psycopg://postgres@127.0.0.1:5432/eventhub_bench"


def free_port() -> int:
    """A TCP port nobody listens on."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def ensure_database(url: str) -> None:
    """Create the benchmark database if it does not exist."""
    import sqlalchemy as sa

    target = sa.engine.make_url(url)
    admin = sa.create_engine(target.set(database="postgres"), isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        exists = conn.scalar(sa.text("SELECT 1 FROM pg_database WHERE datname = :n"), {"n": target.database})
        if not exists:
            conn.execute(sa.text(f'CREATE DATABASE "{target.database}"'))
    admin.dispose()


def prepare(url: str) -> dict:
    """Empty the database and create an open convening with three visits in one block."""
    from eventhub import create_app
    from eventhub.extensions import db
    from eventhub.models import AgendaItem, AgendaKind, District, Event, EventStatus, Locale, School, Visit

    app = create_app({"TESTING": True, "SECRET_KEY": "bench", "SQLALCHEMY_DATABASE_URI": url})
    with app.app_context():
        db.drop_all()
        db.create_all()
        district = District(name="Bench District", state="IL", timezone="America/Chicago", enrollment=20000,
                            locale=Locale.SUBURB, frl_percent=40, grade_span="PK-12")
        school = School(district=district, name="Bench Elementary", street="1 Main St", city="Springfield",
                        state="IL", postal_code="62701")
        starts = date.today() + timedelta(days=60)
        event = Event(slug="bench-convening", title="Bench Convening", timezone="America/Chicago",
                      starts_on=starts, ends_on=starts + timedelta(days=2), status=EventStatus.PUBLISHED,
                      registration_opens_at=datetime.now(UTC) - timedelta(days=1), hosts=[district])
        block_start = datetime(starts.year, starts.month, starts.day, 14, 0, tzinfo=UTC)
        block = AgendaItem(event=event, title="School visits", kind=AgendaKind.VISIT_BLOCK,
                           starts_at=block_start, ends_at=block_start + timedelta(hours=3))
        visits = [Visit(event=event, block=block, school=school, title=f"Visit {n}", seats_override=seats,
                        starts_at=block.starts_at, ends_at=block.ends_at)
                  for n, seats in enumerate((VISIT_SEATS, 100, 1000), start=1)]
        db.session.add_all([district, school, event, block, *visits])
        db.session.commit()
        info = {"slug": event.slug, "district": district.id, "block": block.id, "visits": [v.id for v in visits]}
        db.engine.dispose()
    return info


def start_gunicorn(app_spec: str, env: dict, port: int, workers: int) -> subprocess.Popen:
    """Serve an app under gunicorn and wait until it answers."""
    process = subprocess.Popen(
        [str(ROOT / ".venv" / "bin" / "gunicorn"), "--workers", str(workers), "--bind", f"127.0.0.1:{port}",
         "--log-level", "warning", app_spec],
        cwd=ROOT, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE,
    )
    for _ in range(100):
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=0.2):
                return process
        except OSError:
            time.sleep(0.1)
    process.kill()
    raise SystemExit(f"gunicorn did not start: {process.stderr.read().decode()[-2000:]}")


def request(port: int, method: str, path: str, body: bytes | None = None, cookie: str = "") -> tuple[int, dict, str]:
    """One HTTP request on a fresh connection (gunicorn's sync workers close each one)."""
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=60)
    headers = {"Cookie": cookie} if cookie else {}
    if body is not None:
        headers["Content-Type"] = "application/x-www-form-urlencoded"
    conn.request(method, path, body=body, headers=headers)
    response = conn.getresponse()
    text = response.read().decode("utf-8", "replace")
    conn.close()
    return response.status, dict(response.getheaders()), text


def one_attendee(port: int, path: str, fields) -> tuple[float, int]:
    """GET the form, POST it with its token; return (milliseconds, worst status), status 0 when the
    connection failed (counted, not fatal: one refused connection must not lose the run's figures)."""
    start = time.perf_counter()
    try:
        return _get_and_post(port, path, fields, start)
    except (OSError, http.client.HTTPException):
        return (time.perf_counter() - start) * 1000, 0


def _get_and_post(port: int, path: str, fields, start: float) -> tuple[float, int]:
    """The two requests of one attendee."""
    status, headers, page = request(port, "GET", path)
    if status != 200:
        return (time.perf_counter() - start) * 1000, status
    token = re.search(r'name="csrf_token" type="hidden" value="([^"]+)"|name="csrf_token" value="([^"]+)"', page)
    cookie = headers.get("Set-Cookie", "").split(";", 1)[0]
    data = {"csrf_token": token.group(1) or token.group(2), **fields}
    status, _, _ = request(port, "POST", path, urlencode(data).encode(), cookie)
    return (time.perf_counter() - start) * 1000, status


def warm_up(port: int, path: str, clients: int) -> None:
    """GET the form a few times per client first, so neither server is timed while it starts up
    (a worker still booting may drop a connection then: that GET is tried again)."""
    def get(_):
        for attempt in range(5):
            try:
                return request(port, "GET", path)
            except (OSError, http.client.HTTPException):
                time.sleep(0.2 * (attempt + 1))
        return request(port, "GET", path)

    with ThreadPoolExecutor(max_workers=clients) as pool:
        list(pool.map(get, range(clients * 2)))


def rush(port: int, path: str, make_fields, attempts: int, clients: int) -> tuple[list[float], list[int], float]:
    """Run `attempts` attendees from `clients` threads; return latencies, statuses, wall seconds."""
    warm_up(port, path, clients)
    start = time.perf_counter()
    with ThreadPoolExecutor(max_workers=clients) as pool:
        results = list(pool.map(lambda n: one_attendee(port, path, make_fields(n)), range(attempts)))
    wall = time.perf_counter() - start
    return [r[0] for r in results], [r[1] for r in results], wall


def main() -> None:
    """Run both rushes and print the figures."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--attendees", type=int, default=400)
    parser.add_argument("--clients", type=int, default=32)
    parser.add_argument("--workers", type=int, default=4)
    args = parser.parse_args()
    url = os.environ.get("BENCH_DATABASE_URL", DEFAULT_URL)
    ensure_database(url)
    info = prepare(url)
    mail_dir = tempfile.mkdtemp(prefix="eventhub-bench-mail-")
    env = {**os.environ, "DATABASE_URL": url, "SECRET_KEY": secrets.token_hex(32), "SESSION_COOKIE_SECURE": "0",
           "MAIL_DIR": mail_dir, "MAIL_SEND_ON_COMMIT": os.environ.get("MAIL_SEND_ON_COMMIT", "0"),
           "FLASK_DEBUG": "0", "REGISTRATION_LIMIT_PER_CLIENT": "100000 per hour"}  # one client sends them all
    env.pop("MAIL_SERVER", None)

    port = free_port()
    server = start_gunicorn("app:app", env, port, args.workers)
    try:
        def attendee(n: int) -> dict:
            return {"legal_first_name": "Rush", "legal_last_name": f"Attendee {n}", "email": f"rush{n}@example.org",
                    "role": "teacher", "district": info["district"], "photo_consent": "no", "norms": "y",
                    f"visit_{info['block']}_1": info["visits"][0], f"visit_{info['block']}_2": info["visits"][1],
                    f"visit_{info['block']}_3": info["visits"][2]}
        latencies, statuses, wall = rush(port, f"/events/{info['slug']}/register", attendee, args.attendees,
                                         args.clients)
    finally:
        server.terminate()
        server.wait()

    bare_port = free_port()
    bare = start_gunicorn("bench.bare_app:app", env, bare_port, args.workers)
    try:
        _, bare_statuses, bare_wall = rush(bare_port, "/", lambda n: {"email": f"bare{n}@example.org"},
                                           args.attendees, args.clients)
    finally:
        bare.terminate()
        bare.wait()

    import sqlalchemy as sa

    from eventhub import create_app
    from eventhub.extensions import db
    from eventhub.models import SeatStatus, VisitSeat

    app = create_app({"TESTING": True, "SECRET_KEY": "bench", "SQLALCHEMY_DATABASE_URI": url})
    with app.app_context():
        confirmed = db.session.scalar(sa.select(sa.func.count()).where(
            VisitSeat.visit_id == info["visits"][0], VisitSeat.status == SeatStatus.CONFIRMED))
        db.engine.dispose()
    per_s = args.attendees / wall
    bare_per_s = args.attendees / bare_wall
    figures = {
        "attempts": args.attendees,
        "confirmed_on_visit": confirmed,
        "oversold": max(confirmed - VISIT_SEATS, 0),
        "errors_5xx": sum(1 for s in statuses if s >= 500),
        "registrations_per_s": round(per_s, 1),
        "p50_ms": round(statistics.median(latencies), 1),
        "p99_ms": round(sorted(latencies)[int(0.99 * (len(latencies) - 1))], 1),
        "bare_per_s": round(bare_per_s, 1),
        "ratio_vs_bare": round(per_s / bare_per_s, 2),
        "connection_errors": sum(1 for s in statuses + bare_statuses if s == 0),
    }
    unexpected = sorted({s for s in statuses + bare_statuses if s not in (200, 302)})
    if unexpected:
        print(f"unexpected statuses: {unexpected}", file=sys.stderr)
    print(json.dumps(figures))


if __name__ == "__main__":
    main()
