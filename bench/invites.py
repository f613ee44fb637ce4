"""Invitations at convening scale: 750 attendees' invites composed and delivered over SMTP, and feed timings.

Usage: .venv/bin/python bench/invites.py [--attendees 750] [--agenda-items 500]
Runs on PostgreSQL, the production database: BENCH_DATABASE_URL (default
postgresql+psycopg://postgres@127.0.0.1:5432/eventhub_bench, emptied); --sqlite uses a temporary file.
Delivers to a local aiosmtpd server with --workers deliverer processes (default 2, as two RQ workers
would run), which share the queue through the outbox's row claims; --runs times (default 3) the
same invitations, composed afresh each time, and prints the median run. Prints a last line of JSON:
{"messages", "seconds", "messages_per_s", "feed_ms_500_items", "personal_feed_ms"}, with the baseline
measured in the same run: the same emails, already composed, sent by as many bare smtplib processes
with no database ("bare_messages_per_s", the transport's ceiling here) and "ratio_vs_bare".
BENCH_PROFILE=/tmp/deliver writes a cProfile file per deliverer process (/tmp/deliver.<pid>).
"""
import argparse
import json
import multiprocessing
import os
import socket
import statistics
import sys
import tempfile
import time
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))


def free_port() -> int:
    """A TCP port nobody listens on."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def median_ms(fn, runs: int) -> float:
    """Median wall time of fn() in milliseconds, after two warm-up calls."""
    fn(), fn()
    samples = []
    for _ in range(runs):
        start = time.perf_counter()
        fn()
        samples.append((time.perf_counter() - start) * 1000)
    return statistics.median(samples)


def deliver_in_worker(config: dict) -> None:
    """One deliverer process: its own app and connections, claiming batches until nothing is left."""
    from eventhub import create_app
    from eventhub.extensions import db
    from eventhub.outbox.delivery import deliver_pending

    app = create_app(config)
    with app.app_context():
        if os.environ.get("BENCH_PROFILE"):  # BENCH_PROFILE=file: one profile per deliverer process
            import cProfile

            cProfile.runctx("deliver_pending(db.engine, app.config)", globals(), locals(),
                            f"{os.environ['BENCH_PROFILE']}.{os.getpid()}")
        else:
            deliver_pending(db.engine, app.config)


def send_bare(port: int, sender: str, messages: list[tuple[str, str]]) -> None:
    """The baseline: already composed emails sent over one SMTP connection, nothing else."""
    import smtplib

    with smtplib.SMTP("127.0.0.1", port) as smtp:
        for to_address, raw in messages:
            smtp.sendmail(sender, [to_address], raw.encode("utf-8"))


def timed_processes(target, argsets) -> float:
    """Seconds for processes running target(*args), one per argument set, all at once."""
    start = time.perf_counter()
    processes = [multiprocessing.Process(target=target, args=args) for args in argsets]
    for process in processes:
        process.start()
    for process in processes:
        process.join()
        assert process.exitcode == 0, process.exitcode
    return time.perf_counter() - start


def main() -> None:
    """Seed, deliver, time the feeds, print the figures."""
    import sqlalchemy as sa
    from aiosmtpd.controller import Controller

    from eventhub import create_app
    from eventhub.extensions import db
    from eventhub.models import (
        AgendaItem,
        AgendaKind,
        AttendeeRole,
        District,
        Event,
        EventStatus,
        Locale,
        OutboxMessage,
        OutboxStatus,
    )
    from eventhub.registration.services import AttendeeDetails, register

    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--attendees", type=int, default=750)
    parser.add_argument("--agenda-items", type=int, default=500)
    parser.add_argument("--sqlite", action="store_true", help="use a temporary SQLite file instead")
    parser.add_argument("--workers", type=int, default=2,
                        help="deliverer processes working at once, as RQ workers would (they share via row claims)")
    parser.add_argument("--runs", type=int, default=3,
                        help="deliveries of the same invitations; the median run's figures are printed")
    args = parser.parse_args()
    for name in ("attendees", "workers", "runs"):
        if getattr(args, name) < 1:
            parser.error(f"--{name} must be at least 1")

    class Sink:
        count = 0

        async def handle_DATA(self, server, session, envelope):
            Sink.count += 1
            return "250 OK"

    port = free_port()
    controller = Controller(Sink(), hostname="127.0.0.1", port=port)
    controller.start()
    workdir = Path(tempfile.mkdtemp(prefix="eventhub-bench-invites-"))
    url = (f"sqlite:///{workdir / 'bench.sqlite3'}" if args.sqlite
           else os.environ.get("BENCH_DATABASE_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/eventhub_bench"))
    if url.startswith("postgresql"):
        from bench.registration_rush import ensure_database

        ensure_database(url)
    app = create_app({"TESTING": True, "SECRET_KEY": "bench", "SQLALCHEMY_DATABASE_URI": url,
                      "MAIL_SEND_ON_COMMIT": False, "MAIL_SERVER": "127.0.0.1", "MAIL_PORT": port})
    with app.app_context():
        db.drop_all()
        db.create_all()
        host = District(name="Bench District", state="IL", timezone="America/Chicago", enrollment=20000,
                        locale=Locale.SUBURB, frl_percent=40, grade_span="PK-12")
        starts = date.today() + timedelta(days=60)
        event = Event(slug="bench", title="Bench Convening", timezone="America/Chicago", starts_on=starts,
                      ends_on=starts + timedelta(days=2), status=EventStatus.PUBLISHED, hosts=[host],
                      venue_name="Civic Center", venue_address="1 Main St, Springfield, IL",
                      registration_opens_at=datetime.now(UTC) - timedelta(days=1))
        first = datetime(starts.year, starts.month, starts.day, 13, 0, tzinfo=UTC)
        db.session.add_all([host, event] + [
            AgendaItem(event=event, title=f"Session {n}: practice, evidence; next steps", room=f"Room {n % 20}",
                       kind=AgendaKind.BREAKOUT, starts_at=first + timedelta(minutes=5 * n),
                       ends_at=first + timedelta(minutes=5 * n + 45), description="Bring your team's questions.")
            for n in range(args.agenda_items)])
        db.session.commit()
        for n in range(args.attendees):
            register(event, AttendeeDetails(email=f"a{n}@example.org", legal_first_name="Ana",
                                            legal_last_name=f"García {n}", role=AttendeeRole.TEACHER))
        db.session.commit()
        if url.startswith("postgresql"):
            # Planner statistics, as a database in service has them: without them the first run
            # on the fresh tables is a third slower than the next ones.
            db.session.execute(sa.text("ANALYZE"))
            db.session.commit()
        db.engine.dispose()
        config = dict(app.config)
        runs = []  # (seconds, bare seconds) of each delivery of the same invitations
        for run in range(args.runs):
            if run:  # the same messages again, to be composed afresh (a new link, the next SEQUENCE)
                db.session.execute(sa.update(OutboxMessage).values(
                    status=OutboxStatus.PENDING, raw="", attempts=0, sent_at=None, claimed_at=None))
                db.session.commit()
                db.engine.dispose()
            Sink.count = 0
            seconds = timed_processes(deliver_in_worker, [(config,)] * args.workers)
            sent = db.session.execute(sa.select(OutboxMessage.to_address, OutboxMessage.raw)
                                      .where(OutboxMessage.status == OutboxStatus.SENT)).all()
            assert len(sent) == args.attendees and Sink.count == args.attendees, (len(sent), Sink.count)
            db.session.rollback()
            Sink.count = 0
            shares = [[tuple(row) for row in sent[n::args.workers]] for n in range(args.workers)]
            bare_seconds = timed_processes(send_bare, [(port, "events@example.org", share) for share in shares])
            assert Sink.count == args.attendees, Sink.count
            runs.append((seconds, bare_seconds))
        seconds, bare_seconds = sorted(runs)[len(runs) // 2]  # the median run
        from eventhub.models import Registration
        from eventhub.registration.links import feed_token

        token = feed_token(db.session.scalar(sa.select(Registration).limit(1)))
        db.session.commit()
    controller.stop()
    client = app.test_client()
    start = time.perf_counter()
    client.get("/events/bench/calendar.ics")  # the first request after a change builds the feed
    cold_ms = (time.perf_counter() - start) * 1000
    feed_ms = median_ms(lambda: client.get("/events/bench/calendar.ics"), 20)
    personal_ms = median_ms(lambda: client.get(f"/feed/{token}/calendar.ics"), 20)
    print(json.dumps({"messages": args.attendees, "seconds": round(seconds, 2),
                      "messages_per_s": round(args.attendees / seconds, 1),
                      "bare_messages_per_s": round(args.attendees / bare_seconds, 1),
                      "ratio_vs_bare": round(bare_seconds / seconds, 3),
                      "runs_messages_per_s": [round(args.attendees / run[0], 1) for run in runs],
                      "runs_bare_messages_per_s": [round(args.attendees / run[1], 1) for run in runs],
                      "feed_ms_500_items": round(feed_ms, 1), "personal_feed_ms": round(personal_ms, 1),
                      "feed_cold_ms_500_items": round(cold_ms, 1)}))


if __name__ == "__main__":
    main()
