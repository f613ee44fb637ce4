"""Host schools' rules are kept: the kinds of photo ID a school accepts, screening details asked once, and
the school's notice period."""
import re
from datetime import date, timedelta

import pytest
import sqlalchemy as sa
from test_visits_views import base_form

from eventhub.extensions import db
from eventhub.models import Registration, School, UserRole, VisitSeat
from eventhub.visits.services import Screening, VisitError, purge_screening_data, record_screening

from conftest import place_of, private_link, sign_in

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


# --- the school's notice ------------------------------------------------------------------------------

TUESDAY = date(2027, 4, 13)


def chicago(day: date, clock: str):
    """A moment on the wall clock of the host (America/Chicago), as UTC."""
    from datetime import UTC, datetime, time
    from zoneinfo import ZoneInfo

    return datetime.combine(day, time.fromisoformat(clock), ZoneInfo("America/Chicago")).astimezone(UTC)


@pytest.fixture
def noticed(make_event, make_visit):
    """A visit on Tuesday, April 13, 2027 at a school that needs 2 school days' notice (so its guest list is
    due at the start of Friday, April 9, over the weekend), with one seat."""
    event = make_event(starts_on=TUESDAY, ends_on=TUESDAY + timedelta(days=1),
                       registration_opens_at=chicago(TUESDAY - timedelta(days=30), "09:00"),
                       registration_closes_at=chicago(TUESDAY, "08:00"))
    school = event.hosts[0].schools[0]
    school.notice_school_days = 2
    visit = make_visit(event, day=TUESDAY, seats=1, title="Tablets in K-1")
    db.session.commit()
    return event, school, visit


def sign_up(event, email, *visits, now):
    from eventhub.registration.services import VisitRequest, register
    from eventhub.visits.services import BlockChoices

    from conftest import attendee

    request = VisitRequest(choices=[BlockChoices(visits[0].block_id, [v.id for v in visits])],
                           norms_acknowledged=True)
    person = register(event, attendee(email), visits=request, now=now).lead
    db.session.commit()
    return person


def test_the_guest_list_is_due_a_number_of_school_days_before_the_visit(noticed):
    from eventhub.visits.services import guest_list_due, within_notice

    event, school, visit = noticed
    assert guest_list_due(visit) == chicago(date(2027, 4, 9), "00:00")  # Monday counts, the weekend does not
    assert not within_notice(visit, chicago(date(2027, 4, 8), "23:59"))
    assert within_notice(visit, chicago(date(2027, 4, 9), "00:00"))
    assert within_notice(visit, chicago(date(2027, 4, 11), "12:00"))  # Sunday
    assert not within_notice(visit, chicago(TUESDAY, "12:00"))  # over
    school.notice_school_days = 0
    assert guest_list_due(visit) is None


def test_inside_the_notice_nobody_new_is_booked_or_promoted_and_the_hosts_hear_of_late_changes(
        noticed, make_visit, make_district, mailbox):
    from eventhub.models import SeatStatus
    from eventhub.registration.services import cancel_registration

    event, school, visit = noticed
    roomy = make_visit(event, block=visit.block, seats=5, title="Maker space", school=make_district().schools[0])
    thursday, saturday = chicago(date(2027, 4, 8), "15:00"), chicago(date(2027, 4, 10), "10:00")
    ana = sign_up(event, "ana@example.org", visit, now=thursday)
    ben = sign_up(event, "ben@example.org", visit, now=thursday)
    assert (place_of(ana, visit).status, place_of(ben, visit).status) == (SeatStatus.CONFIRMED, SeatStatus.WAITLISTED)
    # Saturday, past the notice: a newcomer cannot choose it (they are told why), and a freed seat stays free.
    with pytest.raises(VisitError, match="takes no new visitors"):
        sign_up(event, "cy@example.org", visit, roomy, now=saturday)
    db.session.rollback()
    cancel_registration(ana, now=saturday)
    db.session.commit()
    assert place_of(ben, visit).status is SeatStatus.WAITLISTED
    assert not [m for m in mailbox.to("ben@example.org") if "Invitation" in m["Subject"]]
    # Nobody coordinates this district: the organizers' mailbox hears that Ana is off the guest list.
    [late] = mailbox.to("events@example.org")
    assert late["Subject"].startswith("Late guest list change: Ana García taken off Tablets in K-1")
    assert "the guest list was due on Friday, April 9" in late.get_body(("plain",)).get_content()


def test_an_organizer_adds_someone_late_only_after_a_warning_and_the_coordinators_are_told(
        noticed, organizer_client, mailbox, monkeypatch):
    from eventhub.accounts.services import create_user
    from eventhub.models import SeatStatus
    from eventhub.visits.services import LateForGuestList, promote_place

    event, school, visit = noticed
    thursday = chicago(date(2027, 4, 8), "15:00")
    ana = sign_up(event, "ana@example.org", visit, now=thursday)
    ben = sign_up(event, "ben@example.org", visit, now=thursday)
    visit.seats_override = 2  # one more seat, after the guest list was due: nobody is promoted by itself
    create_user(email="coordinator@example.org", role=UserRole.HOST_COORDINATOR, password="x" * 12,
                district=school.district)
    db.session.commit()
    with pytest.raises(LateForGuestList, match="needs 2 school days' notice of every visitor: its guest list was "
                                               "due on Friday, April 9"):
        promote_place(place_of(ben, visit), now=chicago(date(2027, 4, 12), "09:00"))
    db.session.rollback()

    url = f"/admin/registrations/{ben.id}/visits/{visit.id}/promote"
    monkeypatch.setattr("eventhub.visits.services.utcnow", lambda: chicago(date(2027, 4, 12), "09:00"))  # Monday
    warned = organizer_client.post(url)
    assert warned.status_code == 409
    assert "The school agrees: add them to its guest list" in warned.get_data(as_text=True)
    assert place_of(ben, visit).status is SeatStatus.WAITLISTED
    assert organizer_client.post(url, data={"late": "yes"}).status_code == 303
    assert place_of(ben, visit).status is SeatStatus.CONFIRMED and place_of(ana, visit).status is SeatStatus.CONFIRMED
    [told] = mailbox.to("coordinator@example.org")
    assert told["Subject"] == "Late guest list change: Ana García added to Tablets in K-1, Tuesday, April 13, 2027"
    assert "added this visitor by hand after checking with the school" in told.get_body(("plain",)).get_content()
    assert mailbox.to("events@example.org") == []


def test_pages_say_a_visit_past_its_notice_takes_nobody_new(noticed, client, monkeypatch):
    event, school, visit = noticed
    monkeypatch.setattr("eventhub.visits.services.utcnow", lambda: chicago(date(2027, 4, 10), "10:00"))
    monkeypatch.setattr("eventhub.registration.views.utcnow", lambda: chicago(date(2027, 4, 10), "10:00"))
    monkeypatch.setattr("eventhub.registration.window.utcnow", lambda: chicago(date(2027, 4, 10), "10:00"),
                        raising=False)
    page = client.get(f"/events/{event.slug}").get_data(as_text=True)
    assert ("<strong>Closed to new visitors</strong>: " + school.name + " needs 2 school days&#39; notice of every "
            "visitor: its guest list was due on Friday, April 9.") in page
    form = client.get(f"/events/{event.slug}/register").get_data(as_text=True)
    assert f"Tablets in K-1 ({school.name}): closed, the school&#39;s guest list is due" in form
    monkeypatch.setattr("eventhub.registration.services.utcnow", lambda: chicago(date(2027, 4, 10), "10:00"))
    refused = client.post(f"/events/{event.slug}/register", data=base_form(event.hosts[0].id, **{
        f"visit_{visit.block_id}_1": visit.id, "norms": "y"}))
    assert 400 <= refused.status_code < 500
    assert "takes no new visitors" in refused.get_data(as_text=True)
    assert db.session.scalar(sa.select(sa.func.count()).select_from(Registration)) == 0


def test_the_visits_list_names_schools_whose_old_rule_could_not_be_read(organizer_client, scanner_school):
    event, school, visit = scanner_school
    school.accepted_ids_unread = "the scanner reads no passports"
    db.session.commit()
    page = organizer_client.get(f"/admin/events/{event.slug}/visits").get_data(as_text=True)
    assert "Check the accepted kinds of ID</strong> of 1 school" in page
    assert "Lincoln Elementary</a>: “the scanner reads no passports”" in page


@pytest.mark.parametrize("text, kinds, unread", [
    ("US driver's license, state ID card or passport", ["us_drivers_license", "us_state_id", "passport"], []),
    ("US driver's license or state ID only (the scanner reads no passports)", SCANNER,
     ["the scanner reads no passports"]),
    ("Driver's license (passports don't work)", ["us_drivers_license"], ["passports don't work"]),
    ("Passports are not accepted", ["us_drivers_license", "us_state_id", "other"], ["Passports are not accepted"]),
    ("any ID other than a passport", ["us_drivers_license", "us_state_id", "other"],
     ["any ID other than a passport"]),
    ("Any government photo ID", ["us_drivers_license", "us_state_id", "passport", "other"], []),
    ("Any state-issued photo ID", [], ["Any state-issued photo ID"]),
    ("student ID card or teacher license", [], ["student ID card", "teacher license"]),
    ("", [], []),
])
def test_old_written_rules_are_read_into_kinds_and_never_accept_what_they_refuse(text, kinds, unread):
    from eventhub.models import read_id_kinds

    assert read_id_kinds(text) == (kinds, unread)


def test_inside_the_notice_a_team_lead_cannot_split_and_a_closed_visit_cannot_be_chosen(noticed, make_visit,
                                                                                        make_district):
    from eventhub.models import SeatStatus
    from eventhub.registration.services import VisitRequest, register
    from eventhub.visits.services import BlockChoices, change_choices, split_party

    from conftest import attendee

    event, school, visit = noticed
    visit.seats_override = 3
    roomy = make_visit(event, block=visit.block, seats=5, title="Maker space", school=make_district().schools[0])
    thursday, saturday = chicago(date(2027, 4, 8), "15:00"), chicago(date(2027, 4, 10), "10:00")
    sign_up(event, "first@example.org", visit, now=thursday)
    request = VisitRequest(choices=[BlockChoices(visit.block_id, [visit.id])], norms_acknowledged=True)
    lead = register(event, attendee("lead@example.org"), [attendee("c1@example.org"), attendee("c2@example.org")],
                    visits=request, now=thursday).lead
    db.session.commit()
    assert place_of(lead, visit).status is SeatStatus.WAITLISTED  # a team of 3, 2 seats held
    with pytest.raises(VisitError, match="Only the organizers can seat anyone now"):
        split_party(lead, place_of(lead, visit).id, [place_of(lead, visit).id], now=saturday)
    db.session.rollback()
    # A team registering on Saturday, first choice closed, gets its second choice together.
    request = VisitRequest(choices=[BlockChoices(visit.block_id, [visit.id, roomy.id])], norms_acknowledged=True)
    with pytest.raises(VisitError, match="takes no new visitors"):
        register(event, attendee("late@example.org"), visits=request, now=saturday)
    db.session.rollback()
    late = sign_up(event, "later@example.org", roomy, now=saturday)
    with pytest.raises(VisitError, match="“Tablets in K-1” takes no new visitors: .* needs 2 school days"):
        change_choices(late, [BlockChoices(visit.block_id, [visit.id, roomy.id])], now=saturday)
    db.session.rollback()
    assert place_of(late, roomy).status is SeatStatus.CONFIRMED


def test_a_promotion_that_replaces_a_seat_says_so_in_both_emails(make_event, make_visit, make_district, book,
                                                               mailbox):
    from eventhub.registration.services import cancel_registration
    from eventhub.visits.services import move_to_visit

    event = make_event()
    near = make_visit(event, seats=1, title="Near school")
    far = make_visit(event, block=near.block, seats=5, title="Far school", school=make_district().schools[0])
    holder = book(event, "holder@example.org", near)
    ana = book(event, "ana@example.org", far)
    move_to_visit(ana, near.id, wait=True)  # she waits for Near and keeps her seat on Far
    db.session.commit()
    cancel_registration(holder)
    db.session.commit()
    texts = {m["Subject"]: m.get_body(("plain",)).get_content() for m in mailbox.to("ana@example.org")}
    [withdrawal] = [body for subject, body in texts.items() if subject.startswith("Replaced by a seat")]
    assert "your seat on \"Far school\"" in withdrawal and "you go to the other visit instead" in withdrawal
    [invitation] = [body for subject, body in texts.items() if subject == "Invitation: School visit: Near school"]
    assert "It replaces your seat on “Far school” at" in invitation


def test_an_event_called_off_does_not_email_the_hosts_seat_by_seat(noticed, mailbox):
    from eventhub.events.writes import cancel_event

    event, school, visit = noticed
    sign_up(event, "ana@example.org", visit, now=chicago(date(2027, 4, 8), "15:00"))
    cancel_event(event, now=chicago(date(2027, 4, 10), "10:00"))
    db.session.commit()
    assert mailbox.to("events@example.org") == []


def test_unknown_id_kinds_are_refused_on_the_rules_page(organizer_client, scanner_school):
    event, school, visit = scanner_school
    response = organizer_client.post(f"/admin/schools/{school.id}/rules",
                                     data={"accepted_id_kinds": ["", "bogus"], "notice_school_days": "0"})
    assert response.status_code == 422
    db.session.expire_all()
    assert db.session.get(School, school.id).accepted_id_kinds == SCANNER
