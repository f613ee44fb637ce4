"""Check-in on the day: the event's door and a visit's bus, searched by a few letters, with and without
JavaScript (a phone in a real Chromium at the end)."""
import re

import pytest
import sqlalchemy as sa

from eventhub.accounts.services import create_user
from eventhub.extensions import db
from eventhub.models import (
    AttendeeRole,
    AuditEntry,
    Registration,
    SeatStatus,
    UserRole,
    VisitSeat,
)
from eventhub.registration.services import cancel_registration

from conftest import STAFF_PASSWORD, sign_in

PASSWORD = STAFF_PASSWORD
JSON = {"Accept": "application/json"}





@pytest.fixture
def door(make_event, make_district, make_visit, book, make_registration):
    """A convening of four places: three confirmed (one with a seat on the visit), one waiting, one cancelled;
    the visit's one seat is taken, so a second person waits for it."""
    event = make_event(title="Spring Convening", capacity=4)
    quarry = make_district(name="Quarry Brook Public Schools")
    mesa = make_district(name="Mesa Verde Unified")
    visit = make_visit(event, title="Shared tablets", seats=1)
    people = {
        "ana": book(event, "ana@example.org", visit, legal_first_name="Ana", legal_last_name="García",
                    preferred_name="Annie", district_id=quarry.id),
        "bo": book(event, "bo@example.org", visit, legal_first_name="Bo", legal_last_name="Okafor",
                   district_id=mesa.id, accessibility=["limited_walking"], role=AttendeeRole.TEACHER),
        "cy": make_registration(event, "cy@example.org", legal_first_name="Cy", legal_last_name="Abbott",
                                district_id=mesa.id),
        "dee": make_registration(event, "dee@example.org", legal_first_name="Dee", legal_last_name="Dunn"),
        "eve": make_registration(event, "eve@example.org", legal_first_name="Eve", legal_last_name="Waits"),
    }
    cancel_registration(people["dee"])  # frees a place: Eve, at the head of the list, is confirmed
    people["zed"] = make_registration(event, "zed@example.org", legal_first_name="Zed", legal_last_name="Later")
    db.session.commit()
    assert people["zed"].status == "waitlisted" and people["eve"].status == "confirmed"
    return event, visit, people, quarry


def names(response) -> list[str]:
    """The big names on a check-in page, in order."""
    return re.findall(r'<span class="checkin-name">([^<]*)</span>', response.get_data(as_text=True))


def counts(response) -> tuple[int, int]:
    html = response.get_data(as_text=True)
    match = re.search(r"<strong data-count>(\d+)</strong> of <span data-total>(\d+)</span> checked in", html)
    return int(match[1]), int(match[2])


def entries() -> list[AuditEntry]:
    return list(db.session.scalars(sa.select(AuditEntry).order_by(AuditEntry.id)))


def test_the_door_lists_confirmed_people_by_last_name_and_searches_by_a_few_letters(organizer_client, door):
    event, visit, people, quarry = door
    url = f"/admin/events/{event.slug}/check-in"
    page = organizer_client.get(url)
    assert page.status_code == 200
    assert names(page) == ["Cy Abbott", "Annie García", "Bo Okafor", "Eve Waits"]  # no one waiting or cancelled
    assert counts(page) == (0, 4)
    html = page.get_data(as_text=True)
    assert '<span class="checkin-legal">Ana García · Quarry Brook Public Schools, IL</span>' in html  # small, below
    assert html.count("checkin-access-mark") == 1 and "Limited walking" in html  # Bo's needs, nobody else's
    assert 'src="/static/js/checkin.js"' in html and 'name="csrf_token"' in html
    assert names(organizer_client.get(url, query_string={"q": "oka"})) == ["Bo Okafor"]
    assert names(organizer_client.get(url, query_string={"q": "ann"})) == ["Annie García"]  # the preferred name
    assert names(organizer_client.get(url, query_string={"q": "quar"})) == ["Annie García"]  # the district
    assert names(organizer_client.get(url, query_string={"q": "mesa ab"})) == ["Cy Abbott"]  # every word must match
    assert names(organizer_client.get(url, query_string={"q": "later"})) == []  # Zed waits: not at the door
    narrowed = organizer_client.get(url, query_string={"q": "oka"})
    assert counts(narrowed) == (0, 4)  # the counts are the whole event's, whatever the search
    assert 'name="q" value="oka"' in narrowed.get_data(as_text=True)  # the buttons' form carries the search


def test_check_in_answers_json_is_idempotent_and_undo_clears_it(organizer_client, door):
    event, visit, people, quarry = door
    bo = people["bo"]
    url = f"/admin/events/{event.slug}/check-in/{bo.id}"
    first = organizer_client.post(url, data={"action": "in"}, headers=JSON)
    assert first.status_code == 200 and first.is_json
    assert first.json == {"checked_in": True, "changed": True, "count": 1, "total": 4}
    db.session.expire_all()
    arrived = db.session.get(Registration, bo.id).checked_in_at
    assert arrived is not None
    again = organizer_client.post(url, data={"action": "in"}, headers=JSON)
    assert again.json == {"checked_in": True, "changed": False, "count": 1, "total": 4}  # harmless
    db.session.expire_all()
    assert db.session.get(Registration, bo.id).checked_in_at == arrived  # the first arrival is kept
    assert counts(organizer_client.get(f"/admin/events/{event.slug}/check-in")) == (1, 4)

    undone = organizer_client.post(url, data={"action": "undo"}, headers=JSON)
    assert undone.json == {"checked_in": False, "changed": True, "count": 0, "total": 4}
    db.session.expire_all()
    assert db.session.get(Registration, bo.id).checked_in_at is None
    log = entries()
    assert [(e.action, e.subject_type, e.subject_id, e.subject_label, e.event_id, e.user_email, e.note)
            for e in log] == [("checked_in", "registration", bo.id, "Bo Okafor", event.id, "org@example.org", ""),
                              ("check_in_undone", "registration", bo.id, "Bo Okafor", event.id, "org@example.org", "")]


def test_without_javascript_a_post_comes_back_to_the_list_keeping_the_search(organizer_client, door):
    event, visit, people, quarry = door
    ana = people["ana"]
    response = organizer_client.post(f"/admin/events/{event.slug}/check-in/{ana.id}", data={"action": "in", "q": "gar"})
    assert response.status_code == 303
    assert response.headers["Location"] == f"/admin/events/{event.slug}/check-in?q=gar#person-{ana.id}"
    page = organizer_client.get(response.headers["Location"])
    html = page.get_data(as_text=True)
    assert names(page) == ["Annie García"] and counts(page) == (1, 4)
    assert "Annie García is checked in." in html
    assert 'value="undo"' in html and "✓ Checked in" in html
    again = organizer_client.post(f"/admin/events/{event.slug}/check-in/{ana.id}", data={"action": "undo"})
    assert again.status_code == 303  # no search, none kept
    assert again.headers["Location"] == f"/admin/events/{event.slug}/check-in#person-{ana.id}"


def test_someone_not_confirmed_is_409_and_someone_else_404_never_500(organizer_client, door, make_event,
                                                                       make_registration):
    event, visit, people, quarry = door
    base = f"/admin/events/{event.slug}/check-in"
    waiting = organizer_client.post(f"{base}/{people['zed'].id}", data={"action": "in"}, headers=JSON)
    assert waiting.status_code == 409 and "waitlisted, not confirmed" in waiting.json["error"]
    cancelled = organizer_client.post(f"{base}/{people['dee'].id}", data={"action": "in"})
    assert cancelled.status_code == 409 and "cancelled, not confirmed" in cancelled.get_data(as_text=True)
    stranger = make_registration(make_event(), "stranger@example.org")
    assert organizer_client.post(f"{base}/{stranger.id}", data={"action": "in"}, headers=JSON).status_code == 404
    assert organizer_client.post(f"{base}/999999", data={"action": "in"}).status_code == 404
    bad = organizer_client.post(f"{base}/{people['bo'].id}", data={"action": "maybe"}, headers=JSON)
    assert bad.status_code == 400 and "action=in" in bad.json["error"]
    db.session.expire_all()
    assert db.session.scalar(sa.select(sa.func.count(Registration.checked_in_at))) == 0
    assert entries() == []


def test_a_host_coordinator_checks_in_on_a_visit_at_their_own_school(client, door):
    event, visit, people, quarry = door
    ana, bo = people["ana"], people["bo"]
    host = sign_in(client, "host@example.org", UserRole.HOST_COORDINATOR, district=event.hosts[0])
    assert f"/admin/events/{event.slug}/visits/{visit.id}/check-in" in \
        host.get(f"/admin/events/{event.slug}/print").get_data(as_text=True)  # their way in
    url = f"/admin/events/{event.slug}/visits/{visit.id}/check-in"
    page = host.get(url)
    assert page.status_code == 200 and names(page) == ["Annie García"]  # Bo waits for the seat
    assert counts(page) == (0, 1) and "Shared tablets" in page.get_data(as_text=True)
    assert names(host.get(url, query_string={"q": "oka"})) == []

    done = host.post(f"{url}/{ana.id}", data={"action": "in"}, headers=JSON)
    assert done.json == {"checked_in": True, "changed": True, "count": 1, "total": 1}
    db.session.expire_all()
    assert db.session.get(Registration, ana.id).checked_in_at is None  # on the bus is not at the door
    assert host.post(f"{url}/{ana.id}", data={"action": "in"}, headers=JSON).json["changed"] is False
    undone = host.post(f"{url}/{ana.id}", data={"action": "undo", "q": "an"})  # without JavaScript
    assert undone.status_code == 303 and undone.headers["Location"] == f"{url}?q=an#person-{ana.id}"
    assert [(e.action, e.subject_id, e.note, e.user_email) for e in entries()] == [
        ("checked_in", ana.id, "Shared tablets", "host@example.org"),
        ("check_in_undone", ana.id, "Shared tablets", "host@example.org")]

    waiting = host.post(f"{url}/{bo.id}", data={"action": "in"}, headers=JSON)
    assert waiting.status_code == 409 and "waiting list" in waiting.json["error"]
    assert host.post(f"{url}/{people['cy'].id}", data={"action": "in"}, headers=JSON).status_code == 404
    # The door is the organizers' alone.
    assert host.get(f"/admin/events/{event.slug}/check-in").status_code == 403
    assert host.post(f"/admin/events/{event.slug}/check-in/{ana.id}", data={"action": "in"}).status_code == 403


def test_a_visit_seat_check_in_shows_on_the_seat(organizer_client, door):
    event, visit, people, quarry = door
    ana = people["ana"]
    organizer_client.post(f"/admin/events/{event.slug}/visits/{visit.id}/check-in/{ana.id}", data={"action": "in"})
    db.session.expire_all()
    seats = {s.registration_id: s
             for s in db.session.scalars(sa.select(VisitSeat).where(VisitSeat.visit_id == visit.id))}
    assert seats[ana.id].status is SeatStatus.CONFIRMED and seats[ana.id].checked_in_at is not None
    assert seats[people["bo"].id].checked_in_at is None
    page = organizer_client.get(f"/admin/events/{event.slug}/check-in")
    assert counts(page) == (0, 4)  # the door's count is the registrations'
    assert f"/admin/events/{event.slug}/visits/{visit.id}/check-in" in page.get_data(as_text=True)


def test_another_districts_coordinator_gets_403_on_the_visit(client, door, make_district):
    event, visit, people, quarry = door
    other = sign_in(client, "other@example.org", UserRole.HOST_COORDINATOR, district=quarry)
    url = f"/admin/events/{event.slug}/visits/{visit.id}/check-in"
    assert other.get(url).status_code == 403
    assert other.post(f"{url}/{people['ana'].id}", data={"action": "in"}, headers=JSON).status_code == 403
    assert entries() == []


def test_a_visit_of_another_event_is_404(organizer_client, door, make_event, make_visit):
    event, visit, people, quarry = door
    elsewhere = make_visit(make_event())
    assert organizer_client.get(f"/admin/events/{event.slug}/visits/{visit.id}/check-in").status_code == 200
    assert organizer_client.get(f"/admin/events/{event.slug}/visits/{elsewhere.id}/check-in").status_code == 404


def test_the_registrants_page_links_the_door(organizer_client, door):
    event = door[0]
    html = organizer_client.get(f"/admin/events/{event.slug}/registrants").get_data(as_text=True)
    assert f'href="/admin/events/{event.slug}/check-in"' in html


# --- on a phone, in a real Chromium --------------------------------------------------------------



@pytest.fixture
def phone(live_app):
    """A Chromium page 390 x 844 with touch, like a phone; fails the test on any JavaScript error."""
    from conftest import chromium_page

    with chromium_page(live_app.base_url, viewport={"width": 390, "height": 844}, device_scale_factor=2,
                       is_mobile=True, has_touch=True) as page:
        yield page


@pytest.mark.browser
def test_on_a_phone_type_three_letters_and_check_in_without_a_reload(phone, live_app, make_event, make_district,
                                                                      make_registration):
    from playwright.sync_api import expect

    event = make_event(title="Spring Convening")
    quarry = make_district(name="Quarry Brook Public Schools")
    bo = make_registration(event, "bo@example.org", legal_first_name="Bo", legal_last_name="Okafor",
                           district_id=quarry.id, accessibility=["wheelchair_vehicle"])
    for n, (first, last) in enumerate([("Ana", "García"), ("Cy", "Abbott"), ("Dana", "Oakes"), ("Eli", "Brandt"),
                                       ("Fay", "Chen"), ("Gus", "Díaz"), ("Hana", "Ito"), ("Ivo", "Jones"),
                                       ("Jo", "Kowalski"), ("Kim", "Lee"), ("Lu", "Moreno")]):
        make_registration(event, f"p{n}@example.org", legal_first_name=first, legal_last_name=last,
                          preferred_name="Annie" if first == "Ana" else "", district_id=quarry.id)
    sign_in_as = create_user(email="org@example.org", role=UserRole.ORGANIZER, password=PASSWORD)
    db.session.commit()

    phone.goto(f"/admin/events/{event.slug}/check-in")  # sends to sign in, then back
    phone.get_by_label("Email").fill(sign_in_as.email)
    phone.get_by_label("Password").fill(PASSWORD)
    phone.get_by_role("button", name="Sign in").tap()
    expect(phone.get_by_role("heading", name="Check-in: Spring Convening")).to_be_visible()
    count = phone.get_by_role("status")
    expect(count).to_have_text("0 of 12 checked in")
    people = phone.locator(".checkin-person:visible")
    expect(people).to_have_count(12)

    phone.evaluate("window.sameDocument = true")  # gone if the page reloads
    phone.get_by_role("searchbox").press_sequentially("oka")
    expect(people).to_have_count(1)
    expect(people.first).to_contain_text("Bo Okafor")
    expect(people.first).to_contain_text("Wheelchair-accessible vehicle")

    phone.get_by_role("button", name="Check in Bo Okafor").tap()
    expect(count).to_have_text("1 of 12 checked in")
    undo = phone.get_by_role("button", name="Undo Bo Okafor")
    expect(undo).to_be_visible()
    expect(people.first).to_contain_text("Checked in")
    db.session.expire_all()
    assert db.session.get(Registration, bo.id).checked_in_at is not None
    phone.screenshot(path="/tmp/checkin-phone-in.png")

    undo.tap()
    expect(count).to_have_text("0 of 12 checked in")
    expect(phone.get_by_role("button", name="Check in Bo Okafor")).to_be_visible()
    assert phone.evaluate("window.sameDocument") is True
    assert phone.url.endswith(f"/admin/events/{event.slug}/check-in")
    db.session.expire_all()
    assert db.session.get(Registration, bo.id).checked_in_at is None
    assert [e.action for e in entries()] == ["checked_in", "check_in_undone"]
    phone.screenshot(path="/tmp/checkin-phone.png")
