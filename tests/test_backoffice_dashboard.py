"""The dashboard, the catering summary (page and CSV) and the accessibility summaries: the numbers, who may
open which page, and a fixed number of queries however many registered."""
import csv
import io
import re
from datetime import UTC, date, datetime, timedelta

import pytest
import sqlalchemy as sa

from eventhub.backoffice import summaries
from eventhub.extensions import db
from eventhub.models import (
    AttendeeRole,
    Registration,
    RegistrationStatus,
    SeatStatus,
    UserRole,
    VisitSeat,
    utcnow,
)
from eventhub.registration.services import cancel_registration, register

from conftest import STAFF_PASSWORD, attendee, sign_in

PASSWORD = STAFF_PASSWORD





@pytest.fixture
def convening(make_event, make_district, make_visit, book):
    """A three-day convening for four, a visit with lunch at the host's school (two seats) and one at another
    district's school; four confirmed (one of them waiting for the lunch visit), one waiting, one cancelled."""
    event = make_event(title="Spring Convening", capacity=4)
    host = event.hosts[0]
    other = make_district(name="Mesa Verde Unified")
    lunch = make_visit(event, title="Shared tablets", seats=2, lunch_provided=True)
    maker = make_visit(event, title="Makerspace", seats=3, school=other.schools[0],
                       day=event.starts_on + timedelta(days=1))
    book(event, "ana@example.org", lunch, legal_first_name="Ana", legal_last_name="García", district_id=host.id,
         dietary=["vegan", "gluten_free"], allergies="Peanuts", accessibility=["limited_walking"],
         accessibility_notes="Needs a chair in each classroom")
    book(event, "bo@example.org", lunch, maker, legal_first_name="Bo", legal_last_name="Okafor",
         dietary=["vegetarian"], accessibility=["wheelchair_vehicle"])
    book(event, "cy@example.org", lunch, legal_first_name="Cy", legal_last_name="Nguyen", dietary=["halal"],
         allergies="Shellfish", accessibility=["large_print"])  # the lunch visit is full: Cy waits for it
    register(event, attendee("dee@example.org", legal_first_name="Dee", legal_last_name="Park", dietary=["vegan"],
                             allergies="=1+1 tree nuts"))
    register(event, attendee("eve@example.org", legal_first_name="Eve", legal_last_name="Stone",
                             dietary=["kosher"], allergies="Sesame", accessibility=["service_animal"]))
    fay = register(event, attendee("fay@example.org", legal_first_name="Fay", legal_last_name="Ruiz")).lead
    db.session.commit()
    cancel_registration(fay)
    db.session.commit()
    return event, host, other, lunch, maker


def text_of(response) -> str:
    assert response.status_code == 200, response.status_code
    return response.get_data(as_text=True)


def table_rows(html: str) -> list[list[str]]:
    """Every table row of the page as its cells' text."""
    rows = []
    for row in re.findall(r"<tr[^>]*>(.*?)</tr>", html, flags=re.S):
        cells = re.findall(r"<t[hd][^>]*>(.*?)</t[hd]>", row, flags=re.S)
        rows.append([" ".join(re.sub(r"<[^>]+>", " ", cell).split()) for cell in cells])
    return rows


def section(html: str, heading_id: str) -> str:
    """The HTML of the <section> whose heading has this id."""
    match = re.search(rf'<section[^>]*aria-labelledby="{heading_id}".*?</section>', html, flags=re.S)
    assert match, heading_id
    return match.group(0)


# --- dashboard ---------------------------------------------------------------------------------


def test_the_dashboard_counts_each_status_beside_the_capacity(organizer_client, convening):
    html = text_of(organizer_client.get(f"/admin/events/{convening[0].slug}/dashboard"))
    stats = {label.split(",")[0]: int(number) for number, label in re.findall(
        r'<span class="stat-number">(\d+)</span> <span class="stat-label">([^<]+)</span>', html)}
    assert stats == {"confirmed": 4, "waiting": 1, "cancelled": 1, "capacity": 4,
                     "of 4 confirmed checked in at the door": 0}
    assert "0 places left" in html


def test_the_dashboard_counts_check_ins_at_the_door_and_on_each_visit(organizer_client, convening):
    event, _, _, lunch, maker = convening
    seated = db.session.scalars(sa.select(VisitSeat).where(VisitSeat.visit_id == lunch.id,
                                                           VisitSeat.status == SeatStatus.CONFIRMED)).all()
    confirmed = db.session.scalars(sa.select(Registration).where(
        Registration.event_id == event.id, Registration.status == RegistrationStatus.CONFIRMED)).all()
    url = f"/admin/events/{event.slug}/check-in/{confirmed[0].id}"
    assert organizer_client.post(url, data={"action": "in"}).status_code == 303
    visit_url = f"/admin/events/{event.slug}/visits/{lunch.id}/check-in/{seated[0].registration_id}"
    assert organizer_client.post(visit_url, data={"action": "in"}).status_code == 303
    # A waiting registration checked in by hand in the database is not one of the confirmed.
    waiting = db.session.scalar(sa.select(Registration).where(Registration.event_id == event.id,
                                                              Registration.status == RegistrationStatus.WAITLISTED))
    waiting.checked_in_at = utcnow()
    db.session.commit()
    html = text_of(organizer_client.get(f"/admin/events/{event.slug}/dashboard"))
    assert '<span class="stat-number">1</span> <span class="stat-label">of 4 confirmed checked in at the door' in html
    check_ins = {row[0].split(" ", 2)[0]: row[1] for row in table_rows(html) if len(row) == 2 and " of " in row[1]}
    assert check_ins == {"Shared": "1 of 2", "Makerspace": "0 of 1"}


def test_the_visit_chart_is_an_svg_with_each_visits_seats_taken_and_waiting(organizer_client, convening):
    html = text_of(organizer_client.get(f"/admin/events/{convening[0].slug}/dashboard"))
    svg = re.search(r'<svg class="chart"[^>]*aria-labelledby="visit-fill-title visit-fill-desc".*?</svg>', html,
                    flags=re.S).group(0)
    assert 'role="img"' in svg and '<title id="visit-fill-title">' in svg and "<script" not in svg
    bars = re.findall(r'<g class="bar[^"]*">(.*?)</g>', svg, flags=re.S)
    assert len(bars) == 2
    lunch, maker = bars  # in time order: the lunch visit is on the first day
    assert "Shared tablets" in lunch and "2 of 2 seats taken · 1 waiting" in lunch and 'width="100.00%"' in lunch
    assert "Makerspace" in maker and "1 of 3 seats taken" in maker and "waiting" not in maker
    assert 'width="33.33%"' in maker
    assert "Shared tablets" in svg.split("<desc", 1)[1].split("</desc>", 1)[0]  # the numbers for screen readers
    fill_rows = {row[0]: row[3:] for row in table_rows(html) if row and row[0] in ("Shared tablets", "Makerspace")}
    assert fill_rows == {"Shared tablets": ["2", "2", "0", "1"], "Makerspace": ["3", "1", "2", "0"]}


def test_dietary_and_accessibility_counts_of_confirmed_and_waiting(organizer_client, convening):
    html = text_of(organizer_client.get(f"/admin/events/{convening[0].slug}/dashboard"))
    rows = {row[0]: row[1:] for row in table_rows(html) if len(row) == 3}
    assert rows["Vegan"] == ["2", "0"] and rows["Kosher"] == ["0", "1"] and rows["Gluten-free"] == ["1", "0"]
    assert rows["Allergies noted"] == ["3", "1"] and rows["No dietary need"] == ["0", "0"]
    assert rows["Limited walking"] == ["1", "0"] and rows["Service animal"] == ["0", "1"]
    assert rows["Anyone with a need ticked"] == ["3", "1"] and rows["Notes written"] == ["1", "0"]


def insert_people(event, people: list[tuple[datetime, RegistrationStatus]]) -> None:
    """Registrations made at these moments, straight into the table."""
    db.session.execute(sa.insert(Registration), [
        {"event_id": event.id, "email": f"p{n}@example.org", "legal_first_name": "Pat", "legal_last_name": f"L{n}",
         "role": AttendeeRole.TEACHER, "status": status, "dietary": [], "accessibility": [], "created_at": at,
         "updated_at": at, "invite_uid": f"uid-{event.id}-{n}@test"}
        for n, (at, status) in enumerate(people)])
    db.session.commit()


def test_registrations_over_time_are_counted_per_day_in_the_events_zone(organizer_client, make_event):
    event = make_event(timezone="America/Chicago")  # UTC-6 in January
    insert_people(event, [
        (datetime(2027, 1, 10, 15, 0, tzinfo=UTC), RegistrationStatus.CONFIRMED),
        (datetime(2027, 1, 11, 3, 0, tzinfo=UTC), RegistrationStatus.CONFIRMED),  # 9 PM on the 10th in Chicago
        (datetime(2027, 1, 12, 18, 0, tzinfo=UTC), RegistrationStatus.WAITLISTED),
        (datetime(2027, 1, 13, 18, 0, tzinfo=UTC), RegistrationStatus.CANCELLED),  # left out
    ])
    days = summaries.registrations_by_day(event)
    assert [(d.day, d.new, d.so_far) for d in days] == [
        (date(2027, 1, 10), 2, 2), (date(2027, 1, 11), 0, 2), (date(2027, 1, 12), 1, 3)]
    html = text_of(organizer_client.get(f"/admin/events/{event.slug}/dashboard"))
    assert ["Sunday, January 10, 2027", "2", "2"] in table_rows(html)
    assert ["Monday, January 11, 2027", "0", "2"] in table_rows(html)
    assert ["Tuesday, January 12, 2027", "1", "3"] in table_rows(html)
    svg = re.search(r'<svg class="chart"[^>]*registrations-over-time-title.*?</svg>', html, flags=re.S).group(0)
    assert len(re.findall(r"<circle ", svg)) == 3 and "Jan 10" in svg and "Jan 12" in svg
    assert "3 on Jan 12" in svg  # the description states the last day


def test_an_event_with_nobody_and_no_visits_has_a_plain_dashboard(organizer_client, make_event):
    html = text_of(organizer_client.get(f"/admin/events/{make_event().slug}/dashboard"))
    assert "Nobody has registered yet." in html and "This event has no visits." in html and "<svg" not in html


# --- catering ----------------------------------------------------------------------------------


def test_catering_counts_every_confirmed_attendee_on_every_day(organizer_client, convening):
    event = convening[0]
    html = text_of(organizer_client.get(f"/admin/events/{event.slug}/catering"))
    assert "every confirmed attendee is counted on every day" in html
    assert "on the waiting list is not counted" in html
    rows = {row[0]: row[1:] for row in table_rows(html) if len(row) == 4}
    assert rows["Everyone expected"] == ["4", "4", "4"]
    assert rows["Vegan"] == ["2", "2", "2"] and rows["Halal"] == ["1", "1", "1"] and rows["Kosher"] == ["0"] * 3
    assert rows["Vegan + Gluten-free (together)"] == ["1", "1", "1"]
    assert rows["Of whom lunch at a host school (on a visit)"] == ["2", "0", "0"]
    allergies = [row for row in table_rows(html) if len(row) == 4 and row[0] in ("Ana García", "Cy Nguyen",
                                                                                 "Dee Park", "Eve Stone")]
    assert [row[0] for row in allergies] == ["Ana García", "Cy Nguyen", "Dee Park"]  # Eve waits: not listed
    assert allergies[0][2:] == ["Peanuts", "Vegan, Gluten-free"]


def test_visit_lunches_count_the_needs_of_the_people_seated(organizer_client, convening):
    event, _, _, lunch, maker = convening
    html = text_of(organizer_client.get(f"/admin/events/{event.slug}/catering"))
    shared = section(html, f"lunch-{lunch.id}")
    assert "<strong>2</strong> people seated: Vegetarian 1, Vegan 1, Gluten-free 1; Vegan + Gluten-free together 1" \
        in " ".join(shared.split())
    assert "Ana García" in shared and "Peanuts" in shared and "Cy Nguyen" not in shared  # Cy only waits
    assert f'id="lunch-{maker.id}"' not in html  # no lunch at that school
    found = summaries.catering(event)
    assert [(item.visit.title, item.needs.people, dict(item.needs.dietary)) for item in found.lunches] == [
        ("Shared tablets", 2, {"vegan": 1, "gluten_free": 1, "vegetarian": 1})]


def test_the_catering_csv_has_the_counts_and_allergies_and_never_a_formula(organizer_client, convening):
    event, _, _, lunch, _ = convening
    response = organizer_client.get(f"/admin/events/{event.slug}/catering.csv")
    assert response.status_code == 200 and response.mimetype == "text/csv"
    assert "attachment" in response.headers["Content-Disposition"] and response.headers["Cache-Control"] == "no-store"
    rows = list(csv.reader(io.StringIO(response.get_data().decode("utf-8-sig"))))
    assert rows[0][:5] == ["Section", "Date", "Place", "Need", "People"]
    days = [(event.starts_on + timedelta(days=n)).isoformat() for n in range(3)]
    counts = {(row[1], row[3]): row[4] for row in rows if row[0] == "Event day"}
    for day in days:
        assert counts[(day, "Everyone expected")] == "4" and counts[(day, "Vegan")] == "2"
        assert counts[(day, "Vegetarian")] == "1" and counts[(day, "No dietary need")] == "0"
    assert counts[(days[0], "Lunch at a host school instead")] == "2"
    allergies = [(row[5], row[7]) for row in rows if row[0] == "Allergy (every day)"]
    assert allergies == [("Ana García", "Peanuts"), ("Cy Nguyen", "Shellfish"), ("Dee Park", "'=1+1 tree nuts")]
    visit_rows = [(row[3], row[4]) for row in rows if row[0] == "Visit lunch"]
    assert ("Everyone seated", "2") in visit_rows and ("Vegetarian", "1") in visit_rows
    assert [row[5] for row in rows if row[0] == "Visit lunch allergy"] == ["Ana García"]
    assert all(row[2].startswith(lunch.school.name) for row in rows if row[0].startswith("Visit lunch"))


# --- accessibility -----------------------------------------------------------------------------


def test_accessibility_lists_only_seated_people_with_needs(organizer_client, convening):
    event, _, _, lunch, maker = convening
    html = text_of(organizer_client.get(f"/admin/events/{event.slug}/accessibility"))
    shared, making = section(html, f"visit-{lunch.id}"), section(html, f"visit-{maker.id}")
    assert "Ana García" in shared and "Limited walking" in shared and "Needs a chair in each classroom" in shared
    assert "Bo Okafor" in shared and "Wheelchair-accessible vehicle" in shared
    assert "Cy Nguyen" not in html and "Eve Stone" not in html and "Dee Park" not in html  # waiting, or no needs
    assert "<strong>2</strong> of 2 people seated have accessibility needs" in " ".join(shared.split())
    assert "Bo Okafor" in making and "Ana García" not in making
    assert "<strong>1</strong> of 1 person seated has accessibility needs" in " ".join(making.split())
    assert [(item.visit.title, [p.legal_last_name for p in item.people]) for item in
            summaries.accessibility(summaries.visits_of(event))] == [("Shared tablets", ["García", "Okafor"]),
                                                                     ("Makerspace", ["Okafor"])]
    one = text_of(organizer_client.get(f"/admin/events/{event.slug}/visits/{maker.id}/accessibility"))
    assert "Bo Okafor" in one and "Ana García" not in one and f'id="visit-{lunch.id}"' not in one


def test_a_host_coordinator_sees_the_accessibility_of_their_own_schools_visits_only(client, convening):
    event, host, other, lunch, maker = convening
    sign_in(client, "host@example.org", UserRole.HOST_COORDINATOR, district=host)
    own = client.get(f"/admin/events/{event.slug}/visits/{lunch.id}/accessibility")
    assert own.status_code == 200 and "Ana García" in own.get_data(as_text=True)
    assert "Registrants" not in own.get_data(as_text=True)  # no links to the organizers' pages
    assert client.get(f"/admin/events/{event.slug}/visits/{maker.id}/accessibility").status_code == 403
    for page in ("accessibility", "dashboard", "catering", "catering.csv"):
        assert client.get(f"/admin/events/{event.slug}/{page}").status_code == 403, page


def test_the_other_districts_coordinator_sees_that_visit_and_a_visit_of_another_event_is_404(
        client, convening, make_event, make_visit):
    event, host, other, lunch, maker = convening
    sign_in(client, "mesa@example.org", UserRole.HOST_COORDINATOR, district=other)
    assert client.get(f"/admin/events/{event.slug}/visits/{maker.id}/accessibility").status_code == 200
    assert client.get(f"/admin/events/{event.slug}/visits/{lunch.id}/accessibility").status_code == 403
    elsewhere = make_event()
    assert client.get(f"/admin/events/{elsewhere.slug}/visits/{maker.id}/accessibility").status_code == 404


# --- queries -----------------------------------------------------------------------------------


def crowd(event, visits, size: int) -> None:
    """`size` registrations with varied needs, confirmed ones seated (or waiting) on the visits."""
    dietary = [[], ["vegan"], ["vegetarian", "gluten_free"], ["halal"], [], ["kosher"]]
    access = [[], [], ["limited_walking"], [], ["large_print", "service_animal"]]
    now = utcnow()
    db.session.execute(sa.insert(Registration), [
        {"event_id": event.id, "email": f"c{n}@example.org", "legal_first_name": "Pat", "legal_last_name": f"C{n}",
         "role": AttendeeRole.TEACHER, "status": RegistrationStatus.WAITLISTED if n % 9 == 0 else
         RegistrationStatus.CONFIRMED, "dietary": dietary[n % 6], "accessibility": access[n % 5],
         "allergies": "Nuts" if n % 7 == 0 else "", "accessibility_notes": "Note" if n % 11 == 0 else "",
         "created_at": now - timedelta(hours=n), "updated_at": now, "invite_uid": f"uid-{event.id}-{n}@test"}
        for n in range(size)])
    ids = list(db.session.scalars(sa.select(Registration.id).where(Registration.event_id == event.id)))
    db.session.execute(sa.insert(VisitSeat), [
        {"visit_id": visits[n % len(visits)].id, "registration_id": registration_id,
         "block_id": visits[n % len(visits)].block_id,
         "status": SeatStatus.WAITLISTED if n % 4 == 0 else SeatStatus.CONFIRMED, "created_at": now,
         "invite_uid": f"seat-{event.id}-{n}@test"}
        for n, registration_id in enumerate(ids)])
    db.session.commit()


def test_every_page_costs_the_same_queries_for_10_or_3000_registrations(organizer_client, make_event, make_visit):
    counts = []
    for size, visit_count in ((10, 2), (3000, 5)):
        event = make_event()
        visits = [make_visit(event, title=f"V{n}", lunch_provided=n % 2 == 0, seats=400) for n in range(visit_count)]
        crowd(event, visits, size)
        pages = [f"/admin/events/{event.slug}/{page}" for page in
                 ("dashboard", "catering", "catering.csv", "accessibility", f"visits/{visits[0].id}/accessibility")]
        statements = []

        def count(conn, cursor, statement, *args):
            # The signed-in user is loaded, or found in the test's session, depending on what ran before:
            # not the page's own cost.
            if "FROM users" not in statement:
                statements.append(statement)

        per_page = []
        for url in pages:
            statements.clear()
            sa.event.listen(db.engine, "before_cursor_execute", count)
            try:
                response = organizer_client.get(url)
            finally:
                sa.event.remove(db.engine, "before_cursor_execute", count)
            assert response.status_code == 200, url
            per_page.append(len(statements))
            if url == pages[0]:  # the crowd was counted
                assert f'<span class="stat-number">{size - (size + 8) // 9}</span> <span class="stat-label">confirmed' \
                    in response.get_data(as_text=True)
        counts.append(per_page)
    assert counts[0] == counts[1], counts


def test_a_visit_over_its_seats_is_drawn_full_and_red_and_says_by_how_many(organizer_client, convening):
    event, _, _, lunch, _ = convening
    lunch.seats_override = 1  # the organizer lowered the seats below the people already seated
    db.session.commit()
    html = text_of(organizer_client.get(f"/admin/events/{event.slug}/dashboard"))
    over = re.findall(r'<g class="bar bar-over">(.*?)</g>', html, flags=re.S)
    assert len(over) == 1 and "2 of 1 seats taken (1 over) · 1 waiting" in over[0]
    assert 'width="100.00%" height="14" rx="3" fill="#b42318"' in over[0]
