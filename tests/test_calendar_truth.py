"""What the calendar entries say: a visit starts when people must be at its meeting point, an update says
what changed since the last invitation delivered, a called-off visit tells its waiting list, the feeds carry
valid durations, installation-wide UIDs and a Last-Modified that moves with their content, and a change to a
school's rules reaches everyone seated on its visits."""
from datetime import UTC, datetime, timedelta

import sqlalchemy as sa
import vobject
from icalendar import Calendar

from eventhub.events.writes import update_event
from eventhub.extensions import db
from eventhub.models import (
    OutboxMessage,
    OutboxStatus,
    Registration,
    School,
    Visit,
    VisitSeat,
)
from eventhub.visits.services import cancel_visit, update_visit

from conftest import (
    body_text,
    check_itip,
    event_start,
    invitation_parts,
    invitations,
    place_of,
    previewed,
    private_link,
    save_through_preview,
)


def local_clock(moment: datetime, visit: Visit) -> tuple[int, int]:
    here = moment.astimezone(visit.zone)
    return here.hour, here.minute


def bus_visit(make_visit, event, **kw) -> Visit:
    """A visit at the school 9:00-11:30; visitors meet at the depot at 7:45 and the bus leaves at 8:00."""
    values = dict(meeting_point="Depot Street bus loop", meets_at=event_start(event, "07:45"),
                  bus_departs_at=event_start(event, "08:00"))
    values.update(kw)
    return make_visit(event, **values)


# --- 1. a visit's invitation starts when the attendee must be there ----------------------------------------


def test_a_visit_invitation_starts_at_the_meeting_point_and_ends_with_the_school(make_event, make_visit, book,
                                                                                 mailbox):
    event = make_event(timezone="America/Chicago")
    visit = bus_visit(make_visit, event)
    book(event, "ana@example.org", visit)
    message = invitations(mailbox, "ana@example.org")[-1]
    facts = check_itip(message, "REQUEST")
    assert local_clock(facts["start"], visit) == (7, 45)  # a phone's reminder fires before the bus leaves
    assert local_clock(facts["end"], visit) == (11, 30)  # the end of the school's window
    assert facts["vobject"].vevent.dtstart.value == facts["start"]  # the second parser agrees
    assert facts["location"] == "Depot Street bus loop"
    assert "Meet at Depot Street bus loop at 7:45 AM; the bus leaves at 8:00 AM." in facts["description"]
    assert "9:00 AM to 11:30 AM at the school" in facts["description"]  # the school's own times
    text = body_text(message)
    assert "7:45 AM until 11:30 AM" in text and "9:00 AM to 11:30 AM" in text


def test_without_a_meeting_time_the_invitation_starts_when_the_bus_leaves(make_event, make_visit, book, mailbox):
    event = make_event()
    visit = bus_visit(make_visit, event, meets_at=None)
    book(event, "ana@example.org", visit)
    facts = check_itip(invitations(mailbox, "ana@example.org")[-1], "REQUEST")
    assert local_clock(facts["start"], visit) == (8, 0)
    assert "Meet at Depot Street bus loop at 8:00 AM, when the bus leaves." in facts["description"]


def test_people_seated_get_an_update_when_the_meeting_time_or_place_moves(make_event, make_visit, book, mailbox):
    event = make_event()
    visit = bus_visit(make_visit, event)
    book(event, "ana@example.org", visit)
    first = check_itip(invitations(mailbox, "ana@example.org")[-1], "REQUEST")
    assert update_visit(visit, meets_at=event_start(event, "07:30")) == 1
    db.session.commit()
    moved = check_itip(invitations(mailbox, "ana@example.org")[-1], "REQUEST")
    assert (moved["uid"], moved["sequence"]) == (first["uid"], first["sequence"] + 1)
    assert local_clock(moved["start"], visit) == (7, 30)
    assert update_visit(visit, meeting_point="Hotel lobby, north door") == 1
    db.session.commit()
    placed = check_itip(invitations(mailbox, "ana@example.org")[-1], "REQUEST")
    assert placed["location"] == "Hotel lobby, north door" and placed["sequence"] == first["sequence"] + 2


def test_the_visit_form_refuses_a_meeting_after_the_visit_starts(organizer_client, make_event):
    from test_backoffice_events import visit_form

    event = make_event()
    response = organizer_client.post(f"/admin/events/{event.slug}/visits/new",
                                     data=visit_form(event, meets="09:30", bus_departs=""))
    assert response.status_code == 422
    assert "Visitors must meet before the visit starts at the school" in response.get_data(as_text=True)
    response = organizer_client.post(f"/admin/events/{event.slug}/visits/new",
                                     data=visit_form(event, meets="08:30", bus_departs="08:15"))
    assert response.status_code == 422
    assert "Visitors must meet before the bus leaves" in response.get_data(as_text=True)
    assert db.session.scalar(sa.select(sa.func.count(Visit.id))) == 0
    response = organizer_client.post(f"/admin/events/{event.slug}/visits/new",
                                     data=visit_form(event, meets="08:00", bus_departs="08:15"))
    assert response.status_code == 302
    visit = db.session.scalar(sa.select(Visit))
    assert local_clock(visit.meets_at, visit) == (8, 0)


# --- 2. an update says what changed ----------------------------------------------------------------------


def test_an_update_says_what_changed_in_the_email_and_in_the_calendar(make_event, make_visit, book, mailbox):
    event = make_event()
    visit = bus_visit(make_visit, event, meets_at=event_start(event, "08:30"), bus_departs_at=None)
    book(event, "ana@example.org", visit)
    update_visit(visit, meets_at=event_start(event, "09:00"), meeting_point="Gym entrance")
    db.session.commit()
    message = invitations(mailbox, "ana@example.org")[-1]
    assert message["Subject"] == f"Updated invitation: School visit: {visit.title}"
    facts = check_itip(message, "REQUEST")
    assert facts["description"].startswith(
        "What changed:\nThe time changed from 8:30 AM to 9:00 AM.\nNew meeting point: Gym entrance.\n\n")
    text = body_text(message)
    assert "- The time changed from 8:30 AM to 9:00 AM." in text and "- New meeting point: Gym entrance." in text


def test_an_update_compares_with_the_last_invitation_delivered(app, make_event, make_visit, book, mailbox):
    from eventhub.outbox.delivery import deliver_pending

    event = make_event()
    visit = bus_visit(make_visit, event, meets_at=event_start(event, "07:45"), bus_departs_at=None)
    book(event, "ana@example.org", visit)  # delivered: the attendee was told 7:45
    app.config["MAIL_SEND_ON_COMMIT"] = False
    update_visit(visit, meets_at=event_start(event, "08:15"))
    db.session.commit()
    update_visit(visit, meets_at=event_start(event, "08:30"))
    db.session.commit()
    first, second = db.session.scalars(sa.select(OutboxMessage.id).where(OutboxMessage.status == OutboxStatus.PENDING)
                                       .order_by(OutboxMessage.id)).all()
    # The second update goes out first: the first never reached the attendee, so it compares with 7:45.
    deliver_pending(db.engine, app.config, ids=[second])
    assert "The time changed from 7:45 AM to 8:30 AM." in body_text(invitations(mailbox, "ana@example.org")[-1])
    # The first now has nothing new to tell (8:30 was delivered): it is skipped, not sent.
    report = deliver_pending(db.engine, app.config, ids=[first])
    assert report.skipped == [first] and len(invitations(mailbox, "ana@example.org")) == 3


def test_a_change_undone_before_delivery_sends_nothing(app, make_event, make_visit, book, mailbox):
    from eventhub.outbox.delivery import deliver_pending

    event = make_event()
    visit = bus_visit(make_visit, event)
    book(event, "ana@example.org", visit)
    sent_before = len(invitations(mailbox, "ana@example.org"))
    app.config["MAIL_SEND_ON_COMMIT"] = False
    update_visit(visit, meeting_point="Gym entrance")
    db.session.commit()
    update_visit(visit, meeting_point="Depot Street bus loop")
    db.session.commit()
    report = deliver_pending(db.engine, app.config)
    assert len(report.skipped) == 2 and report.sent == []
    assert len(invitations(mailbox, "ana@example.org")) == sent_before


def test_a_convening_update_says_what_changed(make_event, make_registration, mailbox):
    event = make_event(venue_name="Harbor Hall", venue_address="1 Pier Rd, Duluth, MN")
    make_registration(event, "ana@example.org")
    update_event(event, venue_name="New Hall", starts_on=event.starts_on + timedelta(days=1),
                 ends_on=event.ends_on + timedelta(days=1))
    db.session.commit()
    message = invitations(mailbox, "ana@example.org")[-1]
    facts = check_itip(message, "REQUEST")
    assert facts["description"].startswith("What changed:\nThe dates changed from ")
    assert "New venue: New Hall, 1 Pier Rd, Duluth, MN." in facts["description"]
    assert "- New venue: New Hall, 1 Pier Rd, Duluth, MN." in body_text(message)


# --- 3. calling off a visit tells its waiting list too --------------------------------------------------


def test_calling_off_a_visit_tells_seats_and_waiting_list_and_links_to_other_visits(make_event, make_visit, book,
                                                                                    mailbox):
    event = make_event()
    visit = make_visit(event, seats=1)
    seated = book(event, "ana@example.org", visit)
    waiting = book(event, "ben@example.org", visit)
    assert cancel_visit(visit) == 2  # messages queued, one per person on the visit
    db.session.commit()
    withdrawal = invitations(mailbox, "ana@example.org")[-1]
    facts = check_itip(withdrawal, "CANCEL")
    assert facts["uid"] == place_of(seated, visit).invite_uid
    ana = body_text(withdrawal)
    assert "The organizers have called off the school visit" in ana and "Your seat on it is cancelled" in ana
    assert "Choose another visit" in ana and f"{private_link(withdrawal)}/visits" in ana
    [told] = [m for m in mailbox.to("ben@example.org") if m["Subject"].startswith("Called off")]
    assert told.get_content_type() == "multipart/alternative"  # no calendar: none ever held the visit
    ben = body_text(told)
    assert "The organizers have called off" in ben and "You were on its waiting list" in ben
    assert f"{private_link(told)}/visits" in ben
    assert waiting.status.value == "confirmed"  # their place at the event stands


# --- 4. feeds -------------------------------------------------------------------------------------------


def test_feeds_carry_a_valid_ttl_and_uids_of_this_installation(client, make_event, make_agenda_item, make_visit,
                                                              make_registration, mailbox):
    event = make_event()
    item = make_agenda_item(event, event.starts_on, "09:00", "10:00", title="Opening plenary")
    visit = make_visit(event, start="13:00", end="15:00")
    response = client.get(f"/events/{event.slug}/calendar.ics")
    assert b"\r\nX-PUBLISHED-TTL:PT1H\r\n" in response.data
    calendar = vobject.readOne(response.get_data(as_text=True))
    assert calendar.x_published_ttl.value == "PT1H"
    uids = {str(e["UID"]) for e in Calendar.from_ical(response.data).walk("VEVENT")}
    assert {f"agenda-{item.id}@eventhub.test", f"visit-{visit.id}@eventhub.test"} <= uids
    registration = make_registration(event, "ana@example.org")
    assert registration.invite_uid.endswith("@eventhub.test")


def test_an_invitation_keeps_the_uid_it_was_first_sent_with(make_event, make_registration, mailbox):
    event = make_event()
    registration = make_registration(event, "ana@example.org")
    registration.invite_uid = "0d2c6a5e-legacy@eventhub"  # sent before UIDs named the installation
    db.session.commit()
    update_event(event, venue_name="New Hall")
    db.session.commit()
    facts = check_itip(invitations(mailbox, "ana@example.org")[-1], "REQUEST")
    assert facts["uid"] == "0d2c6a5e-legacy@eventhub" and facts["sequence"] == 1


def _age_everything(hours: int = 1) -> None:
    """Move every stamp the personal feed reads an hour back, so the next change is later to the second."""
    from eventhub.models import Event

    for model in (Registration, VisitSeat, Visit, School, Event):
        for row in db.session.scalars(sa.select(model)):
            row.updated_at = row.updated_at - timedelta(hours=hours)  # set outright: no onupdate
    db.session.commit()


def test_the_personal_feed_moves_last_modified_whenever_its_content_changes(client, organizer_client, make_event,
                                                                           make_visit, book, mailbox):
    from eventhub.models import Event

    event = make_event()
    visit = bus_visit(make_visit, event)
    other = make_visit(event, start="13:00", end="15:00")
    person = book(event, "ana@example.org", visit)
    feed_url = f"{private_link(mailbox.to('ana@example.org')[0])}/calendar.ics"

    def fetch():
        response = client.get(feed_url)
        assert response.status_code == 200
        return response.headers["ETag"], datetime.strptime(response.headers["Last-Modified"],
                                                           "%a, %d %b %Y %H:%M:%S GMT").replace(tzinfo=UTC)

    def change_and_check(what, change):
        _age_everything()
        before = fetch()
        assert fetch() == before, "nothing changed, so nothing moves"
        change()
        db.session.commit()
        after = fetch()
        assert after[0] != before[0], f"{what}: the content changed"
        assert after[1] > before[1], f"{what}: Last-Modified must move with it"

    school = db.session.get(School, visit.school_id)
    change_and_check("a host rule (through its page)", lambda: save_through_preview(
        organizer_client, f"/admin/schools/{school.id}/rules",
        {"notice_school_days": "0", "photo_policy": "No photos of faces.", "photo_id_required": "y"}))
    change_and_check("the school's address", lambda: setattr(school, "street", "9 New Street"))
    change_and_check("the meeting time (and the SEQUENCE its update took)",
                     lambda: update_visit(visit, meets_at=event_start(event, "07:30")))
    change_and_check("a seat on another visit", lambda: book_other(person, other))
    change_and_check("the venue", lambda: update_event(db.session.get(Event, event.id), venue_name="New Hall"))


def book_other(person, visit):
    from eventhub.visits.services import move_to_visit

    move_to_visit(person, visit.id)


# --- 5. host rules reach the people they bind ------------------------------------------------------------


def rules_form(school: School, **changes) -> dict:
    values = {"photo_id_required": "y" if school.photo_id_required else "",
              "accepted_id_kinds": school.accepted_id_kinds, "notice_school_days": str(school.notice_school_days),
              "photo_policy": school.photo_policy, "visitor_norms": school.visitor_norms,
              "entrance": school.entrance, "bus_parking": school.bus_parking}
    values.update(changes)
    return {name: value for name, value in values.items() if value != ""}


def test_new_school_rules_first_say_who_will_be_told_then_update_their_invitations(organizer_client, make_event,
                                                                                  make_visit, book, mailbox):
    event = make_event()
    visit = make_visit(event, seats=1)
    book(event, "ana@example.org", visit)
    book(event, "ben@example.org", visit)  # waiting: no invitation to update
    school = db.session.get(School, visit.school_id)
    url = f"/admin/schools/{school.id}/rules"
    page = organizer_client.post(url, data=rules_form(school, photo_policy="No photos of students' faces."))
    html = page.get_data(as_text=True)
    assert page.status_code == 200 and "Saving sends 1 email." in html
    assert "<strong>An updated invitation to the visit</strong>, 1 person: Ana García." in html
    assert "Photo policy: <del>—</del> → <ins>No photos of students&#39; faces.</ins>" in html
    db.session.expire_all()
    assert db.session.get(School, school.id).photo_policy == ""  # nothing saved before the second click
    sent = len(invitations(mailbox, "ana@example.org"))
    response = organizer_client.post(url, data=rules_form(school, photo_policy="No photos of students' faces.",
                                                          confirm=previewed(html)), follow_redirects=True)
    assert "1 attendee was sent an updated invitation" in response.get_data(as_text=True)
    update = invitations(mailbox, "ana@example.org")[-1]
    assert len(invitations(mailbox, "ana@example.org")) == sent + 1
    assert update["Subject"] == f"Updated invitation: School visit: {visit.title}"
    facts = check_itip(update, "REQUEST")
    assert "The school's rules for visitors changed" in facts["description"]
    assert "No photos of students' faces." in facts["description"]
    assert [m for m in mailbox.to("ben@example.org") if "Updated" in m["Subject"]] == []
    # A rule no invitation states (where buses park) is saved at once and tells nobody.
    response = organizer_client.post(url, data=rules_form(db.session.get(School, school.id),
                                                          bus_parking="Behind the gym"))
    assert response.status_code == 302
    assert len(invitations(mailbox, "ana@example.org")) == sent + 1


def test_rules_of_a_school_whose_visits_are_over_tell_nobody(organizer_client, make_event, make_visit, book, mailbox):
    event = make_event()
    visit = make_visit(event)
    book(event, "ana@example.org", visit)
    visit.starts_at, visit.ends_at = (datetime.now(UTC) - timedelta(days=2),
                                      datetime.now(UTC) - timedelta(days=2) + timedelta(hours=2))
    db.session.commit()
    school = db.session.get(School, visit.school_id)
    response = organizer_client.post(f"/admin/schools/{school.id}/rules",
                                     data=rules_form(school, entrance="North door"))
    assert response.status_code == 302


# --- 6. honest wording ----------------------------------------------------------------------------------


def test_an_invitation_says_what_accepting_or_declining_does(make_event, make_visit, book, mailbox):
    event = make_event()
    visit = make_visit(event)
    book(event, "ana@example.org", visit)
    convening, visit_invite = invitations(mailbox, "ana@example.org")
    for message in (convening, visit_invite):
        assert "changes only your calendar, not your registration" in body_text(message)
        assert "does not change your registration" in check_itip(message, "REQUEST")["description"]
        assert invitation_parts(message)[0] == "REQUEST"


def test_an_email_without_an_invitation_does_not_talk_about_one(make_event, make_registration, mailbox):
    event = make_event(capacity=0)
    make_registration(event, "ana@example.org")
    [message] = mailbox.to("ana@example.org")
    assert "calendar invitation" not in body_text(message)
