"""`flask visits allocate|guest-list` and `flask privacy purge`."""
from datetime import date, timedelta

import sqlalchemy as sa

from eventhub.extensions import db
from eventhub.models import SeatStatus, VisitAllocationMode, VisitSeat, utcnow
from eventhub.visits.services import Screening

from conftest import place_of


def test_allocate_previews_then_commits_the_same_seed(runner, make_event, make_visit, book):
    event = make_event(visit_allocation=VisitAllocationMode.LOTTERY)
    visit = make_visit(event, seats=2, title="Popular")
    for n in range(5):
        book(event, f"p{n}@example.org", visit)
    preview = runner.invoke(args=["visits", "allocate", "--event", event.slug])
    assert preview.exit_code == 0, preview.output
    assert "5 people drawn: 2 got their 1st choice, 0 their 2nd, 0 their 3rd, 3 none" in preview.output
    seed = int(preview.output.split("Preview with seed ")[1].split(".")[0])
    assert db.session.scalar(sa.select(sa.func.count(VisitSeat.id))) == 0
    refused = runner.invoke(args=["visits", "allocate", "--event", event.slug, "--commit"])
    assert refused.exit_code == 2 and "--seed" in refused.output
    previewed = {line for line in preview.output.splitlines() if "seats given" in line}
    committed = runner.invoke(args=["visits", "allocate", "--event", event.slug, "--seed", str(seed), "--commit"])
    assert committed.exit_code == 0, committed.output
    assert f"Committed with seed {seed}" in committed.output
    assert {line for line in committed.output.splitlines() if "seats given" in line} == previewed
    statuses = sorted(s.value for s in db.session.scalars(sa.select(VisitSeat.status)))
    assert statuses == ["confirmed"] * 2 + ["waitlisted"] * 3
    again = runner.invoke(args=["visits", "allocate", "--event", event.slug])
    assert again.exit_code == 1 and "No visit block of this event is waiting" in again.output
    assert runner.invoke(args=["visits", "allocate", "--event", "nope"]).exit_code == 1


def test_guest_list_writes_csv(runner, make_event, make_visit, book, tmp_path):
    event = make_event()
    school = event.hosts[0].schools[0]
    school.screening_dob_required = True
    visit = make_visit(event, school=school)
    book(event, "a@example.org", visit, legal_first_name="Ana", legal_last_name="García",
         screening=Screening(date_of_birth=date(1979, 4, 23), consent=True))
    result = runner.invoke(args=["visits", "guest-list", "--visit", str(visit.id)])
    assert result.output.splitlines() == ["First name,Last name,Date of birth", "Ana,García,1979-04-23"]
    out = tmp_path / "guests.csv"
    assert "Wrote 1 guests" in runner.invoke(args=["visits", "guest-list", "--visit", str(visit.id),
                                                   "--out", str(out)]).output
    assert out.read_text().startswith("First name")
    assert runner.invoke(args=["visits", "guest-list", "--visit", "999"]).exit_code == 1


def test_privacy_purge_deletes_old_screening_data_and_is_safe_to_repeat(runner, make_event, make_visit, book):
    event = make_event()
    school = event.hosts[0].schools[0]
    school.screening_dob_required = True
    visit = make_visit(event, school=school)
    person = book(event, "a@example.org", visit, screening=Screening(date_of_birth=date(1979, 4, 23), consent=True))
    assert "of 0 visitor place(s)" in runner.invoke(args=["privacy", "purge"]).output
    visit.starts_at, visit.ends_at = utcnow() - timedelta(days=9, hours=3), utcnow() - timedelta(days=9)
    db.session.commit()
    assert "of 0 visitor place(s)" in runner.invoke(args=["privacy", "purge", "--days", "10"]).output
    assert "of 1 visitor place(s)" in runner.invoke(args=["privacy", "purge"]).output
    assert place_of(person, visit).date_of_birth is None
    assert place_of(person, visit).status is SeatStatus.CONFIRMED
    assert "of 0 visitor place(s)" in runner.invoke(args=["privacy", "purge"]).output
    assert runner.invoke(args=["privacy", "purge", "--days", "-1"]).exit_code == 2


def test_mode_switches_to_a_lottery_with_a_closing_time_in_the_event_zone(runner, make_event):
    from datetime import datetime, timezone

    event = make_event(timezone="America/Chicago")
    result = runner.invoke(args=["visits", "mode", "--event", event.slug, "--lottery",
                                 "--choices-close", "2031-03-20 17:00"])
    assert result.exit_code == 0, result.output
    db.session.refresh(event)
    assert event.visit_allocation is VisitAllocationMode.LOTTERY
    assert event.choices_close_at == datetime(2031, 3, 20, 22, 0, tzinfo=timezone.utc)
    assert "choices close Thursday, March 20, 2031 at 5:00 PM CDT" in result.output
    back = runner.invoke(args=["visits", "mode", "--event", event.slug, "--first-come"])
    db.session.refresh(event)
    assert back.exit_code == 0 and event.visit_allocation is VisitAllocationMode.FIRST_COME
    assert event.choices_close_at is None
    assert runner.invoke(args=["visits", "mode", "--event", event.slug]).exit_code == 2


def test_mode_asks_what_to_do_with_seats_already_given_first_come(runner, make_event, make_visit, book):
    from eventhub.models import SeatStatus

    from conftest import place_of

    event = make_event()
    visit = make_visit(event, seats=1)
    seated = book(event, "seated@example.org", visit)
    book(event, "waiting@example.org", visit)
    asked = runner.invoke(args=["visits", "mode", "--event", event.slug, "--lottery"])
    assert asked.exit_code == 2
    assert "1 seat and 1 waiting-list place were already given first come: say --held-seats keep" in asked.output
    db.session.expire_all()
    assert event.visit_allocation is VisitAllocationMode.FIRST_COME
    released = runner.invoke(args=["visits", "mode", "--event", event.slug, "--lottery", "--held-seats", "release"])
    assert released.exit_code == 0, released.output
    assert "1 seat went back into the draw" in released.output
    db.session.expire_all()
    assert event.visit_allocation is VisitAllocationMode.LOTTERY
    assert place_of(seated, visit).status is SeatStatus.CANCELLED
