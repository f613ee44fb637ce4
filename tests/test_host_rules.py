"""Host schools' rules are kept: the kinds of photo ID a school accepts, screening details asked once, and
the school's notice period."""
import re
from datetime import date, timedelta

import pytest
import sqlalchemy as sa

from eventhub.extensions import db
from eventhub.models import Registration, School, UserRole, VisitSeat
from eventhub.visits.services import Screening, VisitError, purge_screening_data, record_screening

from conftest import place_of, private_link, sign_in
from test_visits_views import base_form

SCANNER = ["us_drivers_license", "us_state_id"]  # the door scanner reads no passports


@pytest.fixture
def scanner_school(make_event, make_visit):
    """An event with a visit to a school that screens visitors by ID kind and whose scanner reads no passports."""
    event = make_event()
    school = event.hosts[0].schools[0]
    school.name = "Lincoln Elementary"
    school.screening_id_type_required = True
    school.screening_dob_required = True
    school.accepted_id_kinds = SCANNER
    visit = make_visit(event, school=school, title="Screened visit")
    db.session.commit()
    return event, school, visit


def test_the_form_offers_a_screening_school_only_the_ids_it_accepts(client, scanner_school):
    event, school, visit = scanner_school
    url = f"/events/{event.slug}/register"
    page = client.get(url).get_data(as_text=True)
    assert "Lincoln Elementary accepts US driver&#39;s license or US state ID card." in page
    refused = client.post(url, data=base_form(event.hosts[0].id, **{
        f"visit_{visit.block_id}_1": visit.id, "norms": "y", "date_of_birth": "1979-04-23",
        "id_type": "passport", "screening_consent": "y"}))
    html = refused.get_data(as_text=True)
    assert refused.status_code == 422
    assert ("Lincoln Elementary accepts only US driver&#39;s license or US state ID card at its door: "
            "choose one of those.") in html
    assert '<option value="passport"' not in html and '<option value="us_state_id"' in html
    assert db.session.scalar(sa.select(sa.func.count()).select_from(Registration)) == 0
    accepted = client.post(url, data=base_form(event.hosts[0].id, **{
        f"visit_{visit.block_id}_1": visit.id, "norms": "y", "date_of_birth": "1979-04-23",
        "id_type": "us_state_id", "screening_consent": "y"}))
    assert accepted.status_code == 302


def test_the_seat_rules_refuse_an_id_the_school_does_not_take(scanner_school, book):
    event, school, visit = scanner_school
    person = book(event, "ana@example.org", visit,
                  screening=Screening(date_of_birth=date(1979, 4, 23), id_type="us_drivers_license", consent=True))
    place = place_of(person, visit)
    with pytest.raises(VisitError, match="accepts only US driver's license or US state ID card"):
        record_screening(place, Screening(date_of_birth=date(1979, 4, 23), id_type="passport", consent=True))


def test_text_that_could_not_be_read_as_id_kinds_is_shown_to_the_organizer_until_saved(organizer_client,
                                                                                    scanner_school):
    event, school, visit = scanner_school
    school.accepted_ids_unread = "the scanner reads no passports"
    db.session.commit()
    url = f"/admin/schools/{school.id}/rules"
    page = organizer_client.get(url).get_data(as_text=True)
    assert "Check the accepted kinds of ID." in page and "the scanner reads no passports" in page
    ticked = set(re.findall(r'<input checked id="accepted_id_kinds-\d" name="accepted_id_kinds" type="checkbox" '
                            r'value="(\w+)"', page))
    assert ticked == set(SCANNER)
    response = organizer_client.post(url, data={"photo_id_required": "y", "accepted_id_kinds": SCANNER,
                                                "screening_dob_required": "y", "screening_id_type_required": "y",
                                                "notice_school_days": "0"})
    assert response.status_code == 302
    db.session.expire_all()
    school = db.session.get(School, school.id)
    assert school.accepted_ids_unread == "" and school.accepted_id_kinds == SCANNER
    assert "Check the accepted kinds of ID." not in organizer_client.get(url).get_data(as_text=True)
    bad = organizer_client.post(url, data={"accepted_id_kinds": ["library_card"], "notice_school_days": "0"})
    assert bad.status_code == 422 and "is not a valid choice" in bad.get_data(as_text=True)


def test_screening_details_are_asked_once_and_consent_for_each_school(client, scanner_school, make_visit,
                                                                     make_district, mailbox):
    event, school, visit = scanner_school
    other = make_district().schools[0]
    other.name = "Agave Middle School"
    other.screening_dob_required = True
    other.screening_id_type_required = True
    later = make_visit(event, school=other, title="Another screened visit", start="13:00", end="15:00")
    db.session.commit()
    client.post(f"/events/{event.slug}/register", data=base_form(event.hosts[0].id, **{
        f"visit_{visit.block_id}_1": visit.id, "norms": "y", "date_of_birth": "1979-04-23",
        "id_type": "us_state_id", "screening_consent": "y"}))
    link = private_link(mailbox.to("ana@example.org")[-1])
    # She adds the afternoon visit: what she gave Lincoln is filled in; consent is asked again.
    client.post(f"{link}/visits", data={f"visit_{visit.block_id}_1": visit.id,
                                        f"visit_{later.block_id}_1": later.id, "norms": "y"})
    page = client.get(f"{link}/visits").get_data(as_text=True)
    assert 'value="1979-04-23"' in page
    assert '<option selected value="us_state_id">' in page
    assert 'name="screening_consent" type="checkbox" value="y">' in page  # not ticked for her
    ana = db.session.scalar(sa.select(Registration).where(Registration.email == "ana@example.org"))
    client.post(f"{link}/visits", data={f"visit_{visit.block_id}_1": visit.id,
                                        f"visit_{later.block_id}_1": later.id, "norms": "y",
                                        "date_of_birth": "1979-04-23", "id_type": "us_state_id",
                                        "screening_consent": "y"})
    assert (place_of(ana, later).date_of_birth, place_of(ana, later).id_type) == (date(1979, 4, 23), "us_state_id")
    # Once both visits are over and purged, nothing is left to fill in from.
    for held in (visit, later):
        held.starts_at -= timedelta(days=90)
        held.ends_at -= timedelta(days=90)
    db.session.commit()
    assert purge_screening_data(older_than=timedelta(days=7)) == 2
    db.session.commit()
    assert db.session.scalar(sa.select(sa.func.count()).select_from(VisitSeat)
                             .where(sa.or_(VisitSeat.date_of_birth.is_not(None), VisitSeat.id_type != ""))) == 0
    from eventhub.visits.queries import known_screening
    assert known_screening(ana) is None


def test_a_host_coordinator_sees_the_same_kinds(client, scanner_school):
    event, school, visit = scanner_school
    sign_in(client, "host@example.org", UserRole.HOST_COORDINATOR, district=event.hosts[0])
    page = client.get(f"/admin/schools/{school.id}/rules").get_data(as_text=True)
    assert page.count('name="accepted_id_kinds"') == 4
