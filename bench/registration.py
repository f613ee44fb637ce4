"""Time registrations through the whole app (form, seat lock, outbox, email) against the event page.

Usage: .venv/bin/python bench/registration.py [--n 300] [--database-url URL]
Prints milliseconds per request for each, and the ratio registration / event page,
both measured in the same run on the same database. Uses a temporary SQLite file unless
--database-url (or DATABASE_URL) is given; that database is emptied.
"""
import argparse
import os
import statistics
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from eventhub import create_app  # noqa: E402
from eventhub.extensions import db  # noqa: E402


def timed(fn, n: int) -> list[float]:
    """Run fn(i) n times; return each run's milliseconds."""
    samples = []
    for i in range(n):
        start = time.perf_counter()
        fn(i)
        samples.append((time.perf_counter() - start) * 1000)
    return samples


def main() -> None:
    """Seed the demo, then time event-page GETs and registration POSTs."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--n", type=int, default=300, help="requests of each kind")
    parser.add_argument("--database-url", default=os.environ.get("DATABASE_URL"))
    args = parser.parse_args()
    workdir = Path(tempfile.mkdtemp(prefix="eventhub-bench-"))
    url = args.database_url or f"sqlite:///{workdir / 'bench.sqlite3'}"
    app = create_app({"TESTING": True, "SECRET_KEY": "bench", "SQLALCHEMY_DATABASE_URI": url,
                      "WTF_CSRF_ENABLED": False, "MAIL_DIR": str(workdir / "mail")})
    with app.app_context():
        db.drop_all()
        db.create_all()
        result = app.test_cli_runner().invoke(args=["seed-demo"])
        assert result.exit_code == 0, result.output
        import sqlalchemy as sa

        from eventhub.models import District, Event

        event = db.session.scalar(sa.select(Event).where(Event.slug.like("spring-%")))
        event.capacity = args.n // 2  # half confirmed, half on the waiting list
        db.session.commit()
        slug, district_id = event.slug, db.session.scalar(sa.select(District.id).limit(1))
    client = app.test_client()

    def event_page(_):
        assert client.get(f"/events/{slug}").status_code == 200

    def registration(i):
        response = client.post(f"/events/{slug}/register", data={
            "legal_first_name": "Bench", "legal_last_name": f"Person {i}", "email": f"bench{i}@example.org",
            "role": "teacher", "district": str(district_id), "photo_consent": "no"})
        assert response.status_code == 302, response.status_code

    timed(event_page, 20)  # warm templates and connections
    page = timed(event_page, args.n)
    register = timed(registration, args.n)
    mails = len(list((workdir / "mail").glob("*.eml")))
    database = "PostgreSQL" if url.startswith("postgres") else "SQLite"
    print(f"database: {database}; {args.n} requests of each kind; {mails} emails written")
    print(f"event page (31 agenda items): median {statistics.median(page):.2f} ms, "
          f"p95 {sorted(page)[int(.95 * len(page))]:.2f} ms")
    print(f"registration (form, lock, outbox, .eml): median {statistics.median(register):.2f} ms, "
          f"p95 {sorted(register)[int(.95 * len(register))]:.2f} ms")
    print(f"ratio registration / event page (median): {statistics.median(register) / statistics.median(page):.2f}")


if __name__ == "__main__":
    main()
