"""Printing at convening scale: 750 personal agendas in one batch, against one write_pdf() per attendee.

Usage: .venv/bin/python bench/printing.py [--attendees 750] [--workers N] [--naive-sample 50]
Builds a 3-day convening (60 agenda items, 2 visit days with 16 visits) in a temporary
SQLite file, prints every personal agenda as the batch job does, then times the naive way
(`HTML(...).write_pdf()` per attendee, stylesheet and fonts loaded each time) on a sample
and scales it to all attendees, and times the event agenda (median of three). Prints a last line of JSON:
{"agendas", "pages", "seconds", "naive_seconds", "ratio_vs_naive", "ms_per_page", "peak_rss_mb", "event_agenda_s"}
"""
import argparse
import json
import os
import random
import resource
import sys
import tempfile
import time
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

FIRST = ["Ana", "José", "Mei", "Olu", "Priya", "Sam", "Zoë", "Dmitri", "Aroha", "Björn", "Fatima", "Kwame"]
LAST = ["García", "Nguyen", "O'Brien", "Okafor", "Schmidt", "Kowalski", "Haddad", "Tanaka", "Lopez", "Smith"]


def seed(app, attendees: int):
    """A 3-day convening with 60 agenda items, 16 visits on 2 visit days, and confirmed attendees with seats."""
    from eventhub.extensions import db
    from eventhub.models import (
        AgendaItem,
        AgendaKind,
        AttendeeRole,
        District,
        Event,
        EventStatus,
        Locale,
        Registration,
        RegistrationStatus,
        School,
        SeatStatus,
        Visit,
        VisitSeat,
    )

    rng = random.Random(7)
    with app.app_context():
        db.create_all()
        districts = []
        for n in range(30):
            district = District(name=f"District {n} of Springfield", state="TX", timezone="America/Chicago",
                                enrollment=10_000 + n * 1000, locale=Locale.SUBURB, frl_percent=40)
            for s in range(2):
                district.schools.append(School(
                    name=f"{FIRST[s]} Elementary School {n}", street=f"{100 + s} Main Street", city="Springfield",
                    state="TX", postal_code="75001", accepted_ids="US driver's license, state ID or passport",
                    photo_policy="No photos of students; photos of work and empty rooms only.",
                    visitor_norms="Observation is non-evaluative; notes name no teacher; stay with your escort.",
                    screening_dob_required=(s == 0), entrance="Front doors; sign in at the office."))
            districts.append(district)
        event = Event(slug="bench-convening", title="Spring Convening 2027", timezone="America/Chicago",
                      starts_on=date(2027, 4, 6), ends_on=date(2027, 4, 8), status=EventStatus.PUBLISHED,
                      venue_name="Convention Center", venue_address="1200 Depot Street, Springfield, TX",
                      hosts=[districts[0]])
        db.session.add(event)
        # Each day: breakfast, plenary, then rounds of four parallel breakouts, lunch and a closing
        # session; on the first two days the visit block takes the place of two rounds. 60 items in all.
        blocks = []
        day_plan = [
            [("Breakfast", AgendaKind.MEAL, 1, 0, 60), ("Opening plenary", AgendaKind.PLENARY, 1, 60, 75),
             ("School visits", AgendaKind.VISIT_BLOCK, 1, 150, 240), ("Lunch", AgendaKind.MEAL, 1, 400, 60),
             ("Breakouts", AgendaKind.BREAKOUT, 4, 480, 75), ("Breakouts", AgendaKind.BREAKOUT, 4, 570, 75),
             ("Roundtables", AgendaKind.BREAKOUT, 4, 660, 60), ("Network dinner", AgendaKind.MEAL, 1, 720, 120)],
        ] * 2 + [
            [("Breakfast", AgendaKind.MEAL, 1, 0, 60), ("Plenary", AgendaKind.PLENARY, 1, 60, 75),
             ("Breakouts", AgendaKind.BREAKOUT, 4, 150, 75), ("Breakouts", AgendaKind.BREAKOUT, 4, 240, 75),
             ("Lunch", AgendaKind.MEAL, 1, 330, 60), ("Team time", AgendaKind.BREAKOUT, 4, 405, 60),
             ("Breakouts", AgendaKind.BREAKOUT, 4, 480, 60), ("Roundtables", AgendaKind.BREAKOUT, 4, 555, 45),
             ("Report-back plenary", AgendaKind.PLENARY, 1, 615, 45), ("Closing", AgendaKind.PLENARY, 1, 660, 30),
             ("Farewell reception", AgendaKind.MEAL, 1, 690, 60)],
        ]
        n = 0
        for day, plan in enumerate(day_plan):
            morning = datetime(2027, 4, 6 + day, 12, 30, tzinfo=UTC)  # 7:30 AM Central
            for title, kind, parallel, offset, minutes in plan:
                for track in range(parallel):
                    begins = morning + timedelta(minutes=offset)
                    name = f"{title} {track + 1}: practice, evidence and next steps" if parallel > 1 else title
                    item = AgendaItem(event=event, title=name, room=f"Room {track + 1}", kind=kind,
                                      description="What member districts tried since the fall, and what the data "
                                                  "showed.",
                                      starts_at=begins, ends_at=begins + timedelta(minutes=minutes))
                    db.session.add(item)
                    n += 1
                    if kind is AgendaKind.VISIT_BLOCK:
                        blocks.append(item)
        assert n == 60, n
        visits = []
        for b, block in enumerate(blocks):
            for v in range(8):
                school = districts[v].schools[v % 2]
                visits.append(Visit(event=event, block=block, school=school, title=f"Visit {b}-{v}: station rotation",
                                    focus="How K-1 classrooms rotate small groups.", starts_at=block.starts_at,
                                    ends_at=block.starts_at + timedelta(hours=3), seats_override=200,
                                    meeting_point="Depot Street bus loop", bus_departs_at=block.starts_at,
                                    host_contact_name="Rosa Villarreal", host_contact_phone="(254) 555-0141"))
        db.session.add_all(visits)
        for n in range(attendees):
            registration = Registration(
                event=event, email=f"person{n}@example.org", legal_first_name=rng.choice(FIRST),
                legal_last_name=f"{rng.choice(LAST)}-{n}", role=AttendeeRole.PRINCIPAL, title="Principal",
                district=rng.choice(districts), status=RegistrationStatus.CONFIRMED,
                confirmed_at=datetime.now(UTC))
            db.session.add(registration)
            for b in range(len(blocks)):
                visit = visits[b * 8 + rng.randrange(8)]
                db.session.add(VisitSeat(visit=visit, registration=registration, block_id=None,
                                         status=SeatStatus.CONFIRMED, confirmed_at=datetime.now(UTC)))
        db.session.commit()
        return event.id


def peak_rss_mb() -> tuple[float, float, float]:
    """Peak resident memory in MB: this process plus the largest worker (an upper bound of the
    batch's footprint, workers running side by side counted once), then each of the two."""
    own = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    worker = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024
    return round(own + worker, 1), round(own, 1), round(worker, 1)


def main() -> None:
    """Seed, print the batch, time the naive loop and the event agenda, print the figures."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--attendees", type=int, default=750)
    parser.add_argument("--workers", type=int, default=os.cpu_count() or 1)
    parser.add_argument("--naive-sample", type=int, default=50)
    args = parser.parse_args()

    from eventhub import create_app
    from eventhub.extensions import db
    from eventhub.models import Event, PrintKind, PrintStatus
    from eventhub.printing import documents
    from eventhub.printing.batches import create_batch, run_batch
    from eventhub.printing.render import STATIC_BASE, STYLESHEET, StaticOnlyFetcher, render_pdf

    tmp = tempfile.mkdtemp(prefix="eventhub-bench-print-")
    app = create_app({"TESTING": True, "SQLALCHEMY_DATABASE_URI": f"sqlite:///{tmp}/bench.sqlite3",
                      "PRINT_DIR": f"{tmp}/prints", "MAIL_DIR": f"{tmp}/mail", "SERVER_NAME": None})
    event_id = seed(app, args.attendees)

    with app.app_context():
        event = db.session.get(Event, event_id)
        batch = create_batch(event, PrintKind.AGENDAS)
        db.session.commit()
        started = time.perf_counter()
        batch = run_batch(batch.id, workers=args.workers)
        seconds = time.perf_counter() - started
        if batch.status is not PrintStatus.DONE:
            raise SystemExit(f"batch failed: {batch.error}")
        pages = batch.pages
        batch_rss, main_rss, worker_rss = peak_rss_mb()

        # The naive way: one HTML(...).write_pdf() per attendee, everything loaded again each time.
        from weasyprint import CSS, HTML

        people = documents.attendees(event)[: args.naive_sample]
        documents.give_private_links(people)
        htmls = [documents.personal_agenda_html(event, person) for person in people]
        started = time.perf_counter()
        for html in htmls:
            fetcher = StaticOnlyFetcher()
            HTML(string=html, base_url=STATIC_BASE, url_fetcher=fetcher).write_pdf(
                stylesheets=[CSS(url=STATIC_BASE + STYLESHEET, url_fetcher=fetcher)], pdf_variant="pdf/ua-1")
        naive_seconds = (time.perf_counter() - started) / len(htmls) * args.attendees

        html = documents.event_agenda_html(event)
        render_pdf(html)  # fonts and stylesheet loaded, as in a running server
        samples = []
        for _ in range(3):  # the median of three: one run on a shared machine says little
            started = time.perf_counter()
            render_pdf(documents.event_agenda_html(event))
            samples.append(time.perf_counter() - started)
        event_agenda_s = sorted(samples)[1]

    figures = {
        "agendas": args.attendees,
        "pages": pages,
        "seconds": round(seconds, 2),
        "naive_seconds": round(naive_seconds, 1),
        "ratio_vs_naive": round(naive_seconds / seconds, 2),
        "ms_per_page": round(seconds * 1000 / pages, 1),
        "peak_rss_mb": batch_rss,
        "peak_rss_main_mb": main_rss,
        "peak_rss_worker_mb": worker_rss,
        "event_agenda_s": round(event_agenda_s, 2),
        "workers": args.workers,
    }
    print(json.dumps(figures))


if __name__ == "__main__":
    main()
