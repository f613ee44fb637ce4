"""The fair allocation from the back office (preview with a seed, commit exactly that) and each visit's
guest list for the host school."""
import csv
import io
import re

import pytest
import sqlalchemy as sa
from test_visits_allocation import rank

from eventhub.accounts.services import create_user
from eventhub.extensions import db
from eventhub.models import (
    AuditEntry,
    SeatStatus,
    UserRole,
    VisitAllocationMode,
    VisitSeat,
)

from conftest import STAFF_PASSWORD

PASSWORD = STAFF_PASSWORD



@pytest.fixture
def lottery(make_event, make_visit):
    event = make_event(visit_allocation=VisitAllocationMode.LOTTERY)
    small = make_visit(event, seats=2, title="Small")
    large = make_visit(event, block=small.block, seats=10, title="Large")
    for n in range(5):
        rank(event, f"p{n}@example.org", small, large)
    return event, small, large


def seats(visit) -> int:
    return db.session.scalar(sa.select(sa.func.count()).where(VisitSeat.visit_id == visit.id,
                                                              VisitSeat.status == SeatStatus.CONFIRMED))


def test_preview_reports_then_commit_seats_exactly_that(organizer_client, lottery):
    event, small, large = lottery
    page = organizer_client.post(f"/admin/events/{event.slug}/allocation/preview", data={"seed": "42"})
    html = page.get_data(as_text=True)
    assert page.status_code == 200 and "Preview with seed 42" in html
    assert "5 people drawn: 2 got their 1st choice, 3 their 2nd" in html
    assert seats(small) == 0  # a preview seats nobody
    committed = organizer_client.post(f"/admin/events/{event.slug}/allocation/commit", data={"seed": "42"})
    assert committed.status_code == 303
    assert (seats(small), seats(large)) == (2, 3)
    assert [e.action for e in db.session.scalars(sa.select(AuditEntry).order_by(AuditEntry.id))] == \
        ["previewed_allocation", "committed_allocation"]
    assert "committed" in organizer_client.get(f"/admin/events/{event.slug}/allocation").get_data(as_text=True)


def test_a_commit_without_its_preview_or_after_a_change_is_refused(organizer_client, lottery):
    event, small, large = lottery
    refused = organizer_client.post(f"/admin/events/{event.slug}/allocation/commit", data={"seed": "7"})
    assert refused.status_code == 409 and "Preview the allocation with seed 7" in refused.get_data(as_text=True)
    organizer_client.post(f"/admin/events/{event.slug}/allocation/preview", data={"seed": "7"})
    rank(event, "late@example.org", small, large)
    changed = organizer_client.post(f"/admin/events/{event.slug}/allocation/commit", data={"seed": "7"})
    assert changed.status_code == 409 and "preview again" in changed.get_data(as_text=True)
    assert seats(small) == 0
    assert organizer_client.post(f"/admin/events/{event.slug}/allocation/commit", data={}).status_code == 400
    assert organizer_client.post(f"/admin/events/{event.slug}/allocation/preview",
                                 data={"seed": "-1"}).status_code == 400


def test_first_come_events_have_nothing_to_allocate(organizer_client, make_event):
    event = make_event()
    page = organizer_client.get(f"/admin/events/{event.slug}/allocation").get_data(as_text=True)
    assert "first come, first served" in page
    assert organizer_client.post(f"/admin/events/{event.slug}/allocation/preview").status_code == 409


def test_the_guest_list_for_the_host_school(client, make_event, make_visit, book, make_district):
    event = make_event()
    visit = make_visit(event)
    book(event, "ana@example.org", visit, legal_first_name="Ana", legal_last_name="=cmd()")
    create_user(email="host@example.org", role=UserRole.HOST_COORDINATOR, password=PASSWORD, district=event.hosts[0])
    create_user(email="far@example.org", role=UserRole.HOST_COORDINATOR, password=PASSWORD,
                district=make_district(name="Far Away"))
    db.session.commit()
    url = f"/admin/events/{event.slug}/visits/{visit.id}/guest-list.csv"
    client.post("/admin/login", data={"email": "far@example.org", "password": PASSWORD})
    assert client.get(url).status_code == 403
    client.post("/admin/logout")
    client.post("/admin/login", data={"email": "host@example.org", "password": PASSWORD})
    response = client.get(url)
    assert response.status_code == 200 and response.headers["Cache-Control"] == "no-store"
    rows = list(csv.reader(io.StringIO(response.get_data(as_text=True).lstrip("\ufeff"))))
    assert any("Ana" in row for row in rows)
    assert not any(cell.startswith("=") for row in rows for cell in row)  # no formula reaches the spreadsheet
    assert re.search(r"guests\.csv", response.headers["Content-Disposition"])
