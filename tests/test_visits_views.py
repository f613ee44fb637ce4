"""Visits through the browser's eyes (test client): rules before choosing, ranking, private page, peers."""
import re
from datetime import UTC, date, datetime, timedelta

import sqlalchemy as sa

from eventhub.extensions import db
from eventhub.models import EventKind, Locale, Registration, SeatStatus, VisitSeat

from conftest import place_of, private_link


def base_form(district_id, **extra):
    """A valid registration without visit fields."""
    data = {"legal_first_name": "Ana", "legal_last_name": "García", "email": "ana@example.org", "role": "principal",
            "district": str(district_id), "photo_consent": "yes"}
    data.update(extra)
    return data


def test_the_event_page_shows_each_visit_with_its_host_rules(client, make_event, make_visit):
    event = make_event()
    school = event.hosts[0].schools[0]
    school.accepted_id_kinds = ["us_drivers_license", "us_state_id"]  # the scanner reads no passports
    school.notice_school_days = 3
    school.photo_policy = "No photos of students without written permission."
    make_visit(event, title="Take-home laptops", seats=None, buses=1, room_limit=30)
    page = client.get(f"/events/{event.slug}").get_data(as_text=True)
    assert "Take-home laptops" in page
    assert "US driver&#39;s license or US state ID card" in page and "3 school days" in page
    assert "No photos of students without written permission." in page
    assert "30 = the school&#39;s room limit; the smallest of: buses × 48 = 48, room limit 30" in page
    # The agenda comes first (what most people came for); the visits follow, a jump link away.
    assert page.index('id="agenda-title"') < page.index("Take-home laptops", page.index("On this page"))
    assert '<a href="#visits-title">School visits (1)</a>' in page


def test_the_form_ranks_visits_per_block_and_books_the_best_free_one(client, make_event, make_visit, mailbox):
    event = make_event()
    full = make_visit(event, seats=0, title="Full visit")
    open_visit = make_visit(event, block=full.block, seats=5, title="Open visit")
    page = client.get(f"/events/{event.slug}/register").get_data(as_text=True)
    assert f'id="visit_{full.block_id}_1"' in page and "First choice" in page and "Third choice" in page
    response = client.post(f"/events/{event.slug}/register", data=base_form(
        event.hosts[0].id, **{f"visit_{full.block_id}_1": full.id, f"visit_{full.block_id}_2": open_visit.id,
                              f"visit_{full.block_id}_hopes": "How K-1 rotations are scheduled", "norms": "y"}))
    assert response.status_code == 302
    person = db.session.scalar(sa.select(Registration))
    assert place_of(person, open_visit).status is SeatStatus.CONFIRMED
    assert place_of(person, open_visit).norms_acknowledged_at is not None
    assert "Open visit (you have a seat)" in mailbox.to("ana@example.org")[0].get_body(("plain",)).get_content()


def test_visit_choices_are_checked(client, make_event, make_visit):
    event = make_event()
    visit = make_visit(event)
    url = f"/events/{event.slug}/register"
    same_twice = client.post(url, data=base_form(event.hosts[0].id, **{
        f"visit_{visit.block_id}_1": visit.id, f"visit_{visit.block_id}_2": visit.id, "norms": "y"}))
    assert same_twice.status_code == 422
    assert "Choose a different visit for each rank." in same_twice.get_data(as_text=True)
    no_norms = client.post(url, data=base_form(event.hosts[0].id, **{f"visit_{visit.block_id}_1": visit.id}))
    assert "Please confirm you will follow the visit norms." in no_norms.get_data(as_text=True)
    bogus = client.post(url, data=base_form(event.hosts[0].id, **{f"visit_{visit.block_id}_1": "99999", "norms": "y"}))
    assert bogus.status_code == 422
    assert db.session.scalar(sa.select(sa.func.count(Registration.id))) == 0


def test_date_of_birth_is_asked_only_when_a_chosen_host_screens(client, make_event, make_visit, make_district):
    event = make_event()
    screening = event.hosts[0].schools[0]
    screening.screening_dob_required = True
    screening.screening_id_type_required = True
    screened = make_visit(event, school=screening, title="Screened", start="08:00", end="10:00")
    plain = make_visit(event, school=make_district().schools[0], title="Plain", start="13:00", end="15:00")
    url = f"/events/{event.slug}/register"
    page = client.get(url).get_data(as_text=True)
    assert "Only if you chose a visit to" in page and screening.name in page
    missing = client.post(url, data=base_form(event.hosts[0].id, **{f"visit_{screened.block_id}_1": screened.id,
                                                                    "norms": "y"}))
    text = missing.get_data(as_text=True)
    assert "needs your date of birth" in text and "needs to know which ID" in text and "consent" in text
    # Choosing only the visit that does not screen asks for nothing more.
    ok = client.post(url, data=base_form(event.hosts[0].id, **{f"visit_{plain.block_id}_1": plain.id, "norms": "y"}))
    assert ok.status_code == 302
    screened_ok = client.post(url, data=base_form(event.hosts[0].id, email="b@example.org", **{
        f"visit_{screened.block_id}_1": screened.id, "norms": "y", "date_of_birth": "1979-04-23",
        "id_type": "passport", "screening_consent": "y"}))
    assert screened_ok.status_code == 302
    place = db.session.scalar(sa.select(VisitSeat).where(VisitSeat.visit_id == screened.id))
    assert (place.date_of_birth, place.id_type) == (date(1979, 4, 23), "passport")


def test_the_private_page_shows_places_and_lets_you_leave_or_change(client, make_event, make_visit, mailbox):
    event = make_event()
    visit = make_visit(event, seats=0, title="Full visit")
    other = make_visit(event, block=visit.block, seats=3, title="Roomy visit")
    client.post(f"/events/{event.slug}/register", data=base_form(
        event.hosts[0].id, **{f"visit_{visit.block_id}_1": visit.id, "norms": "y"}))
    link = private_link(mailbox.messages()[-1])
    page = client.get(link).get_data(as_text=True)
    assert "Full visit" in page and "number 1 on the waiting list" in page
    # Change: rank the roomy visit first.
    form = client.get(f"{link}/visits").get_data(as_text=True)
    assert re.search(rf'<option selected value="{visit.id}">Full visit \(', form)
    client.post(f"{link}/visits", data={f"visit_{visit.block_id}_1": other.id, "norms": "y"})
    person = db.session.scalar(sa.select(Registration))
    assert place_of(person, other).status is SeatStatus.CONFIRMED
    assert place_of(person, visit).status is SeatStatus.CANCELLED
    # Give the seat up.
    place = place_of(person, other)
    confirm = client.get(f"{link}/places/{place.id}/leave").get_data(as_text=True)
    assert "Give up your seat?" in confirm and "becomes free for anyone to book" in confirm
    assert place_of(person, other).status is SeatStatus.CONFIRMED  # asking gives up nothing
    response = client.post(f"{link}/places/{place.id}/leave", follow_redirects=True)
    assert "You have given up your seat on “Roomy visit”. It is free for others to book." in response.get_data(
        as_text=True)
    assert place_of(person, other).status is SeatStatus.CANCELLED
    assert client.post(f"{link}/places/999999/leave").status_code == 404


def test_you_cannot_leave_someone_elses_place(client, make_event, make_visit, book, mailbox):
    event = make_event()
    visit = make_visit(event)
    other = book(event, "other@example.org", visit)
    client.post(f"/events/{event.slug}/register", data=base_form(event.hosts[0].id))
    link = private_link(mailbox.to("ana@example.org")[-1])
    assert client.post(f"{link}/places/{place_of(other, visit).id}/leave").status_code == 404
    assert place_of(other, visit).status is SeatStatus.CONFIRMED


def peer_visit_event(make_event, make_visit, host, **kw):
    """A standalone visit to one school of `host`, three weeks out."""
    day = date.today() + timedelta(days=21)
    event = make_event(kind=EventKind.PEER_VISIT, hosts=[host], timezone=host.timezone, starts_on=day, ends_on=day,
                       **kw)
    return event, make_visit(event, block=None, school=host.schools[0], seats=4, title=f"Visit to {host.name}",
                             topics=["1:1 devices"])


def test_a_visiting_team_books_a_peer_visit_in_one_go(client, make_event, make_visit, make_district, mailbox):
    host = make_district(name="Maple Falls", timezone="America/Denver", state="CO")
    event, visit = peer_visit_event(make_event, make_visit, host)
    page = client.get(f"/events/{event.slug}/register").get_data(as_text=True)
    assert f"Visit to {host.name}" in page and "First choice" not in page
    data = base_form(host.id, norms="y", same_visits_for_colleagues="y", **{
        "colleagues-0-legal_first_name": "Ben", "colleagues-0-legal_last_name": "Okafor",
        "colleagues-0-email": "ben@example.org", "colleagues-0-role": "teacher",
        "colleagues-1-legal_first_name": "Cy", "colleagues-1-legal_last_name": "Ng",
        "colleagues-1-email": "cy@example.org", "colleagues-1-role": "coach"})
    assert client.post(f"/events/{event.slug}/register", data=data).status_code == 302
    seats = db.session.scalars(sa.select(VisitSeat.status).where(VisitSeat.visit_id == visit.id)).all()
    assert seats == [SeatStatus.CONFIRMED] * 3
    assert "Mountain Time (America/Denver)" in mailbox.to("ben@example.org")[0].get_body(("plain",)).get_content()


def test_the_peer_visits_page_and_matching_with_reasons(client, make_event, make_visit, make_district):
    visitor = make_district(name="Home District", enrollment=45_000, locale=Locale.SUBURB, frl_percent=50,
                            grade_span="PK-12")
    twin = make_district(name="Twin District", enrollment=48_000, locale=Locale.SUBURB, frl_percent=52,
                         grade_span="PK-12")
    unlike = make_district(name="Tiny Rural", enrollment=900, locale=Locale.RURAL, frl_percent=10,
                           grade_span="9-12")
    peer_visit_event(make_event, make_visit, twin)
    peer_visit_event(make_event, make_visit, unlike)
    listing = client.get("/visits").get_data(as_text=True)
    assert "Visit to Twin District" in listing and "Visit to Tiny Rural" in listing
    page = client.get(f"/visits/matches?district={visitor.id}").get_data(as_text=True)
    assert "Similar size and demographics: 48,000 students, suburban, 52% free/reduced lunch" in page
    assert page.index("Twin District, IL") < page.index("Tiny Rural, IL"), "the closest first"
    assert "Visit to Twin District" in page
    by_topic = client.get(f"/visits/matches?district={visitor.id}&topic=libraries").get_data(as_text=True)
    assert "Visit to Twin District" not in by_topic
    assert client.get("/visits/matches").status_code == 400
    assert client.get("/visits/matches?district=abc").status_code == 400
    assert client.get("/visits/matches?district=999999").status_code == 404


def test_past_peer_visits_are_not_listed(client, make_event, make_visit, make_district):
    host = make_district(name="Old Host")
    event, visit = peer_visit_event(make_event, make_visit, host)
    visit.starts_at = datetime.now(UTC) - timedelta(days=3, hours=2)
    visit.ends_at = datetime.now(UTC) - timedelta(days=3)
    db.session.commit()
    assert "Visit to Old Host" not in client.get("/visits").get_data(as_text=True)


def test_odd_numbers_in_addresses_are_client_errors(client, make_event, make_visit, mailbox):
    for value in ("²", "99999999999999999999", "-1", "1.5"):
        assert client.get(f"/visits/matches?district={value}").status_code in (400, 404)
    event = make_event()
    client.post(f"/events/{event.slug}/register", data=base_form(event.hosts[0].id))
    link = private_link(mailbox.messages()[-1])
    assert client.post(f"{link}/places/99999999999999999999/leave").status_code == 404


def test_a_colleague_is_asked_for_the_screening_details_the_host_needs(client, make_event, make_visit, mailbox):
    event = make_event()
    school = event.hosts[0].schools[0]
    school.screening_id_type_required = True
    visit = make_visit(event, school=school, title="Screened visit")
    client.post(f"/events/{event.slug}/register", data=base_form(event.hosts[0].id, **{
        f"visit_{visit.block_id}_1": visit.id, "norms": "y", "id_type": "passport", "screening_consent": "y",
        "same_visits_for_colleagues": "y", "colleagues-0-legal_first_name": "Ben",
        "colleagues-0-legal_last_name": "Okafor", "colleagues-0-email": "ben@example.org",
        "colleagues-0-role": "teacher"}))
    ben_mail = mailbox.to("ben@example.org")[0].get_body(("plain",)).get_content()
    assert "still needs your ID type" in ben_mail
    assert "still needs" not in mailbox.to("ana@example.org")[0].get_body(("plain",)).get_content()
    link = private_link(mailbox.to("ben@example.org")[0])
    assert "still needs your ID type" in client.get(link).get_data(as_text=True)
    client.post(f"{link}/visits", data={f"visit_{visit.block_id}_1": visit.id, "norms": "y",
                                        "id_type": "us_drivers_license", "screening_consent": "y"})
    assert "still needs" not in client.get(link).get_data(as_text=True)
    ben = db.session.scalar(sa.select(Registration).where(Registration.email == "ben@example.org"))
    assert place_of(ben, visit).id_type == "us_drivers_license"


def test_visit_choices_say_which_visits_are_full(client, make_event, make_visit, book, mailbox):
    from eventhub.models import VisitAllocationMode

    event = make_event()
    full = make_visit(event, seats=1, title="Full visit")
    roomy = make_visit(event, block=full.block, seats=5, title="Roomy visit")
    book(event, "holder@example.org", full)
    form = client.get(f"/events/{event.slug}/register").get_data(as_text=True)
    assert re.search(rf'<option value="{full.id}">Full visit \([^)]*\): waiting list only</option>', form)
    assert re.search(rf'<option value="{roomy.id}">Roomy visit \([^)]*\)</option>', form)
    link = private_link(mailbox.to("holder@example.org")[-1])
    assert "waiting list only" in client.get(f"{link}/visits").get_data(as_text=True)
    # Where seats are allocated fairly later, no visit is "full" while people rank.
    lottery = make_event(visit_allocation=VisitAllocationMode.LOTTERY)
    make_visit(lottery, seats=0, title="No seats yet")
    assert "waiting list only" not in client.get(f"/events/{lottery.slug}/register").get_data(as_text=True)
