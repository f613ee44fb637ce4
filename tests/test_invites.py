"""Calendar invitations that real clients honour, checked with two independent parsers, and the feeds."""
import email
import email.policy
from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo

import sqlalchemy as sa
import vobject
from icalendar import Calendar

from eventhub.events.writes import update_event
from eventhub.extensions import db
from eventhub.models import Registration, SeatStatus
from eventhub.registration.services import cancel_registration, register
from eventhub.visits.services import (
    BlockChoices,
    cancel_visit,
    change_choices,
    update_visit,
)

from conftest import (
    attendee,
    check_itip,
    free_port,
    invitation_parts,
    invitations,
    place_of,
    private_link,
)


def test_a_confirmation_is_an_invitation_to_an_all_day_convening(make_event, make_registration, mailbox):
    event = make_event(title="Spring Convening", starts_on=date(2031, 4, 8), ends_on=date(2031, 4, 10),
                       venue_name="Harbor Hall", venue_address="1 Pier Rd, Duluth, MN")
    registration = make_registration(event, "ana@example.org")
    [message] = invitations(mailbox, "ana@example.org")
    facts = check_itip(message, "REQUEST")
    assert facts["uid"] == registration.invite_uid and facts["sequence"] == 0
    assert facts["start"] == date(2031, 4, 8) and facts["end"] == date(2031, 4, 11)  # exclusive end
    assert facts["location"] == "Harbor Hall, 1 Pier Rd, Duluth, MN"
    assert f"/events/{event.slug}" in facts["description"] and "Central Time (America/Chicago)" in facts["description"]
    body = message.get_body(("plain",)).get_content()
    assert "April 8–10, 2031" in body and "/r/" in body


def test_a_waiting_list_place_sends_no_invitation(make_event, make_registration, mailbox):
    event = make_event(capacity=0)
    make_registration(event, "ana@example.org")
    assert invitations(mailbox, "ana@example.org") == []


def test_a_visit_at_nine_in_chicago_reads_nine_in_chicago(make_event, make_visit, book, mailbox):
    event = make_event(timezone="America/Chicago")
    visit = make_visit(event, start="09:00", end="11:30")
    book(event, "ana@example.org", visit)
    [convening, visit_invite] = invitations(mailbox, "ana@example.org")
    facts = check_itip(visit_invite, "REQUEST")
    chicago = ZoneInfo("America/Chicago")
    assert (facts["start"].astimezone(chicago).hour, facts["start"].astimezone(chicago).minute) == (9, 0)
    assert facts["vobject"].vevent.dtstart.value.astimezone(chicago).hour == 9
    assert visit_invite["Subject"] == f"Invitation: School visit: {visit.title}"
    assert "9:00 AM" in visit_invite.get_body(("plain",)).get_content()


def test_the_whole_change_sequence_over_real_smtp(make_app, make_event, make_visit, book, smtp_server):
    app = make_app(MAIL_SERVER="127.0.0.1", MAIL_PORT=smtp_server.port)
    with app.app_context():
        event = make_event()
        morning = make_visit(event, title="Morning visit", seats=5)
        other = make_visit(event, block=morning.block, title="Other visit", seats=5)
        person = book(event, "ana@example.org", morning)

        def received():
            return [email.message_from_bytes(e.content, policy=email.policy.default)
                    for e in smtp_server.handler.received]

        convening0, visit0 = [check_itip(m, "REQUEST") for m in received()]
        # The organizer moves the visit an hour later: same UID, higher SEQUENCE, the new time.
        assert update_visit(morning, starts_at=morning.starts_at + timedelta(hours=1),
                            ends_at=morning.ends_at + timedelta(hours=1)) == 1
        db.session.commit()
        moved = check_itip(received()[-1], "REQUEST")
        assert (moved["uid"], moved["sequence"]) == (visit0["uid"], visit0["sequence"] + 1)
        assert moved["start"] == visit0["start"] + timedelta(hours=1)
        assert received()[-1]["Subject"].startswith("Updated invitation")
        # The attendee switches visits: CANCEL for the old one, REQUEST for the new one.
        change_choices(person, [BlockChoices(morning.block_id, [other.id])])
        db.session.commit()
        withdrawn, new_visit = received()[-2:]
        withdrawn = check_itip(withdrawn, "CANCEL")
        assert (withdrawn["uid"], withdrawn["sequence"]) == (visit0["uid"], moved["sequence"] + 1)
        new_visit = check_itip(new_visit, "REQUEST")
        assert new_visit["uid"] != visit0["uid"] and new_visit["sequence"] == 0
        # The venue changes: the convening moves in the calendar.
        assert update_event(event, venue_name="New Hall") == 1
        db.session.commit()
        venue = check_itip(received()[-1], "REQUEST")
        assert (venue["uid"], venue["sequence"]) == (convening0["uid"], 1) and venue["location"].startswith("New Hall")
        # The attendee cancels: both the convening and the visit leave the calendar.
        cancel_registration(person)
        db.session.commit()
        last = received()[-2:]
        methods = sorted(invitation_parts(m)[0] for m in last)
        assert methods == ["CANCEL", "CANCEL"]
        facts = {check_itip(m, "CANCEL")["uid"]: check_itip(m, "CANCEL")["sequence"] for m in last}
        assert facts == {convening0["uid"]: 2, new_visit["uid"]: 1}


def test_cancelling_a_visit_or_the_event_withdraws_the_invitations(make_event, make_visit, book, mailbox):
    event = make_event()
    visit = make_visit(event)
    person = book(event, "ana@example.org", visit)
    assert cancel_visit(visit) == 1
    db.session.commit()
    assert place_of(person, visit).status is SeatStatus.CANCELLED
    check_itip(invitations(mailbox, "ana@example.org")[-1], "CANCEL")
    other = make_visit(event, start="13:00", end="15:00")
    book(event, "ben@example.org", other)
    from eventhub.events.writes import cancel_event

    assert cancel_event(event) == 2
    db.session.commit()
    ben = [check_itip(m, method) for m, method in zip(invitations(mailbox, "ben@example.org")[-2:],
                                                      ("CANCEL", "CANCEL"))]
    assert {f["summary"] for f in ben} == {event.title, f"School visit: {other.title}"}


def test_text_that_breaks_calendars_round_trips_exactly(make_event, make_visit, mailbox):
    from eventhub.registration.services import VisitRequest

    event = make_event(title="Convening: Zürich 北京; \"Spring\", \\ edition", venue_name="Hall, Room; 1")
    visit = make_visit(event, title="Visit\r\nATTENDEE:mailto:evil@example.org")
    name = dict(legal_first_name="José; Jr.", legal_last_name="O'Brien, \"JJ\"")
    register(event, attendee("jose@example.org", **name),
             visits=VisitRequest(choices=[BlockChoices(visit.block_id, [visit.id])], norms_acknowledged=True))
    db.session.commit()
    convening, visit_invite = invitations(mailbox, "jose@example.org")
    facts = check_itip(convening, "REQUEST")
    assert facts["summary"] == event.title
    assert facts["location"].startswith("Hall, Room; 1")
    assert facts["cn"] == "José; Jr. O'Brien, 'JJ'"  # a parameter cannot hold a double quote
    visit_facts = check_itip(visit_invite, "REQUEST")  # one ATTENDEE only: nothing was injected
    assert visit_facts["summary"] == "School visit: " + visit.title.replace("\r\n", "\n")  # a line break, as text
    assert visit_invite["To"].addresses[0].addr_spec == "jose@example.org"


def test_names_with_line_breaks_cannot_reach_a_header(client, make_event, mailbox):
    event = make_event()
    client.post(f"/events/{event.slug}/register", data={
        "legal_first_name": "Ana\r\nBcc: victim@example.org", "legal_last_name": "García", "email": "ana@example.org",
        "role": "teacher", "district": str(event.hosts[0].id), "photo_consent": "no"})
    [message] = mailbox.to("ana@example.org")
    assert message["Bcc"] is None
    assert db.session.scalar(sa.select(Registration.legal_first_name)) == "Ana Bcc: victim@example.org"


def test_the_public_feed_is_a_subscription_not_an_invitation(client, make_event, make_agenda_item, make_visit):
    event = make_event(title="Spring Convening")
    make_agenda_item(event, event.starts_on, "09:00", "10:00", title="Opening plenary")
    make_visit(event, title="Laptops", start="13:00", end="15:00")
    response = client.get(f"/events/{event.slug}/calendar.ics")
    assert response.status_code == 200 and response.mimetype == "text/calendar"
    calendar = Calendar.from_ical(response.data)
    assert "METHOD" not in calendar
    assert str(calendar["X-WR-CALNAME"]) == "Spring Convening" and str(calendar["NAME"]) == "Spring Convening"
    assert "REFRESH-INTERVAL" in calendar
    events = calendar.walk("VEVENT")
    assert {"Opening plenary", "School visit: Laptops"} <= {str(e["SUMMARY"]) for e in events}
    assert not any("ATTENDEE" in e or "ORGANIZER" in e for e in events)
    vobject.readOne(response.get_data(as_text=True))
    again = client.get(f"/events/{event.slug}/calendar.ics", headers={"If-None-Match": response.headers["ETag"]})
    assert again.status_code == 304
    assert response.headers["Last-Modified"]


def test_the_personal_feed_uses_the_invitations_uids(client, make_event, make_visit, mailbox):
    event = make_event()
    visit = make_visit(event)
    client.post(f"/events/{event.slug}/register", data={
        "legal_first_name": "Ana", "legal_last_name": "García", "email": "ana@example.org", "role": "teacher",
        "district": str(event.hosts[0].id), "photo_consent": "no", f"visit_{visit.block_id}_1": visit.id,
        "norms": "y"})
    link = private_link(mailbox.to("ana@example.org")[0])
    page = client.get(link).get_data(as_text=True)
    assert "webcal://" in page and "calendar.google.com" in page
    feed = Calendar.from_ical(client.get(f"{link}/calendar.ics").data)
    assert "METHOD" not in feed
    registration = db.session.scalar(sa.select(Registration))
    uids = {str(e["UID"]) for e in feed.walk("VEVENT")}
    assert registration.invite_uid in uids and place_of(registration, visit).invite_uid in uids
    assert not any("ATTENDEE" in e for e in feed.walk("VEVENT"))
    assert client.get("/r/not-a-token/calendar.ics").status_code == 404


def test_the_event_page_offers_the_feed(client, make_event):
    event = make_event()
    page = client.get(f"/events/{event.slug}").get_data(as_text=True)
    assert f"webcal://eventhub.test/events/{event.slug}/calendar.ics" in page
    # Google Calendar is handed the https:// address, other clients webcal://.
    https = f"http%3A%2F%2Feventhub.test%2Fevents%2F{event.slug}%2Fcalendar.ics"
    assert f"calendar.google.com/calendar/r?cid={https}" in page


def test_a_burst_of_registrations_while_smtp_is_down_loses_nothing(make_app, make_event, smtp_server):
    from eventhub.outbox.delivery import deliver_pending

    app = make_app(MAIL_SERVER="127.0.0.1", MAIL_PORT=free_port())
    with app.app_context():
        event = make_event()
        for n in range(25):
            register(event, attendee(f"p{n}@example.org"))
            db.session.commit()
        assert db.session.scalar(sa.select(sa.func.count(Registration.id))) == 25
        assert smtp_server.handler.received == []
        app.config["MAIL_PORT"] = smtp_server.port
        report = deliver_pending(db.engine, app.config, now=datetime.now(UTC) + timedelta(minutes=2))
        assert len(report.sent) == 25 and report.failed == {}
        assert deliver_pending(db.engine, app.config).sent == []
        ids = [email.message_from_bytes(e.content, policy=email.policy.default)["Message-ID"]
               for e in smtp_server.handler.received]
        assert len(ids) == len(set(ids)) == 25


def test_the_public_feed_follows_every_change_of_the_agenda(client, make_event, make_agenda_item):
    event = make_event()
    item = make_agenda_item(event, event.starts_on, "09:00", "10:00", title="Opening plenary")
    first = client.get(f"/events/{event.slug}/calendar.ics")
    assert b"Opening plenary" in first.data
    item.title = "Welcome plenary"
    db.session.commit()
    second = client.get(f"/events/{event.slug}/calendar.ics", headers={"If-None-Match": first.headers["ETag"]})
    assert second.status_code == 200 and b"Welcome plenary" in second.data
    make_agenda_item(event, event.starts_on, "10:30", "11:00", title="Coffee")
    assert b"Coffee" in client.get(f"/events/{event.slug}/calendar.ics").data


def test_a_new_host_district_updates_the_convening_in_calendars(make_event, make_registration, make_district,
                                                               mailbox):
    event = make_event()
    make_registration(event, "ana@example.org")
    cohost = make_district(name="Maple Falls")
    assert update_event(event, hosts=[*event.hosts, cohost]) == 1
    db.session.commit()
    facts = check_itip(invitations(mailbox, "ana@example.org")[-1], "REQUEST")
    assert facts["sequence"] == 1 and "Maple Falls" in facts["description"]
    assert update_event(event, summary="New words") == 0  # nothing a calendar shows


def test_a_retried_invitation_never_lands_after_its_withdrawal(app, make_event, make_visit, book, monkeypatch):
    import smtplib

    from eventhub.outbox import delivery
    from eventhub.visits.services import leave_place

    app.config["MAIL_SEND_ON_COMMIT"] = False
    event = make_event()
    visit = make_visit(event)
    person = book(event, "ana@example.org", visit)
    sent = []

    class FlakyTransport:
        """Refuses the visit invitation once (a temporary SMTP error), accepts everything else."""

        refused = False

        def open(self):
            pass

        def close(self):
            pass

        def send(self, message):
            if "School visit" in message.subject and not FlakyTransport.refused:
                FlakyTransport.refused = True
                raise smtplib.SMTPResponseException(451, b"try again later")
            sent.append(message.raw)

    monkeypatch.setattr(delivery, "transport_for", lambda config: FlakyTransport())
    delivery.deliver_pending(db.engine, app.config)  # the convening goes; the visit REQUEST waits to retry
    leave_place(place_of(person, visit))  # meanwhile the seat is given up: a CANCEL is queued
    db.session.commit()
    delivery.deliver_pending(db.engine, app.config)  # the CANCEL is due at once; the REQUEST still backs off
    report = delivery.deliver_pending(db.engine, app.config, ignore_backoff=True)  # now the REQUEST's retry
    parsed = [email.message_from_string(raw, policy=email.policy.default) for raw in sent]
    methods = [invitation_parts(m)[0] for m in parsed if "School visit" in m["Subject"]]
    assert methods == ["CANCEL"], "the stale REQUEST must not follow the CANCEL"
    assert len(report.skipped) == 1


def test_rejoining_onto_the_waiting_list_still_withdraws_the_convening(make_event, make_registration, mailbox):
    from eventhub.registration.services import rejoin

    event = make_event(capacity=1)
    first = make_registration(event, "ana@example.org")
    cancel_registration(first)
    db.session.commit()
    make_registration(event, "ben@example.org")
    rejoin(first)
    db.session.commit()
    assert first.status.value == "waitlisted"
    calendars = [invitation_parts(m)[0] for m in invitations(mailbox, "ana@example.org")]
    assert calendars == ["REQUEST", "CANCEL"]


def test_a_cancelled_event_leaves_the_feeds(client, make_event, make_agenda_item, make_registration, mailbox):
    from eventhub.events.writes import cancel_event

    event = make_event()
    make_agenda_item(event, event.starts_on, "09:00", "10:00", title="Opening plenary")
    make_registration(event, "ana@example.org")
    link = private_link(mailbox.to("ana@example.org")[0])
    cancel_event(event)
    db.session.commit()
    for url in (f"/events/{event.slug}/calendar.ics", f"{link}/calendar.ics"):
        feed = Calendar.from_ical(client.get(url).data)
        assert feed.walk("VEVENT") == [], url


def test_a_new_email_address_moves_the_invitations(make_event, make_visit, book, mailbox):
    import re

    from eventhub.registration.services import confirm_email_change, update_details

    event = make_event()
    visit = make_visit(event)
    person = book(event, "old@example.org", visit)
    update_details(person, attendee("new@example.org"))
    db.session.commit()
    signed = re.search(r"/email-change/(\S+)", mailbox.to("new@example.org")[-1].get_body(("plain",)).get_content())
    confirm_email_change(signed.group(1))
    db.session.commit()
    old = [check_itip(m, invitation_parts(m)[0]) | {"method": invitation_parts(m)[0]}
           for m in invitations(mailbox, "old@example.org")]
    new = [check_itip(m, invitation_parts(m)[0]) | {"method": invitation_parts(m)[0]}
           for m in invitations(mailbox, "new@example.org")]
    assert [f["method"] for f in old] == ["REQUEST", "REQUEST", "CANCEL", "CANCEL"]
    assert [f["method"] for f in new] == ["REQUEST", "REQUEST"]
    assert {f["uid"] for f in old} == {f["uid"] for f in new}
    assert min(f["sequence"] for f in new) > max(f["sequence"] for f in old if f["method"] == "REQUEST")
    assert place_of(person, visit).status is SeatStatus.CONFIRMED


def test_promotion_from_the_waiting_lists_sends_the_invitations(make_event, make_visit, book, mailbox):
    from eventhub.visits.services import leave_place

    event = make_event(capacity=1)
    visit = make_visit(event, seats=5)
    first = book(event, "a@example.org", visit)
    book(event, "b@example.org", visit)
    assert invitations(mailbox, "b@example.org") == []  # waiting: nothing in the calendar yet
    cancel_registration(first)
    db.session.commit()
    facts = [check_itip(m, "REQUEST") for m in invitations(mailbox, "b@example.org")]
    assert {f["summary"] for f in facts} == {event.title, f"School visit: {visit.title}"}
    # A visit seat freed by someone else reaches the head of the visit's list the same way.
    other_event = make_event()
    small = make_visit(other_event, seats=1, start="13:00", end="15:00")
    holder = book(other_event, "c@example.org", small)
    head = book(other_event, "d@example.org", small)
    leave_place(place_of(holder, small))
    db.session.commit()
    promoted = check_itip(invitations(mailbox, "d@example.org")[-1], "REQUEST")
    assert promoted["uid"] == place_of(head, small).invite_uid


def test_the_personal_feed_of_someone_without_visits(client, make_event, make_registration, mailbox):
    event = make_event()
    registration = make_registration(event, "ana@example.org")
    link = private_link(mailbox.to("ana@example.org")[0])
    response = client.get(f"{link}/calendar.ics")
    assert response.status_code == 200
    assert [str(e["UID"]) for e in Calendar.from_ical(response.data).walk("VEVENT")] == [registration.invite_uid]


def test_a_batch_of_invitations_reads_its_registrations_at_once(app, make_event, make_visit, book, mailbox):
    from eventhub.outbox.delivery import deliver_pending

    app.config["MAIL_SEND_ON_COMMIT"] = False
    event = make_event()
    visit = make_visit(event, seats=20)

    def selects_to_deliver(people: int, start: int) -> list[int]:
        for n in range(start, start + people):
            book(event, f"person{n}@example.org", visit)
        statements = []

        def count(conn, cursor, statement, *args):
            statements.append(statement)
        sa.event.listen(db.engine, "before_cursor_execute", count)
        try:
            report = deliver_pending(db.engine, app.config)
        finally:
            sa.event.remove(db.engine, "before_cursor_execute", count)
        assert len(report.sent) == 2 * people  # the convening and the visit, for each
        return [sum(1 for s in statements if s.lstrip().upper().startswith(verb)) for verb in ("SELECT", "INSERT")]

    # Two people or eight (sixteen emails, one composing chunk): the registrations, events, hosts and
    # seats are read once for all; the only SELECT per message is each visit seat's re-read after its
    # SEQUENCE is taken (the seat as it stands once locked), so six more people cost six SELECTs. The
    # emails' private links are written in one INSERT for the chunk.
    (few_selects, few_inserts), (more_selects, more_inserts) = selects_to_deliver(2, 0), selects_to_deliver(8, 2)
    assert more_selects - few_selects == 6
    assert few_inserts == more_inserts == 1
    # What the batch loaded is what each email says: every seat's invitation, with its school.
    for n in range(10):
        convening, visit_invite = (check_itip(m, "REQUEST") for m in invitations(mailbox, f"person{n}@example.org"))
        assert convening["summary"] == event.title and convening["sequence"] == 0
        assert visit_invite["summary"] == f"School visit: {visit.title}" and visit_invite["sequence"] == 0
        assert visit.school.name in visit_invite["description"]


def test_a_withdrawal_composed_in_the_same_chunk_as_its_invitation_still_goes(app, make_event, make_registration,
                                                                                mailbox):
    from eventhub.events.writes import cancel_event
    from eventhub.outbox.delivery import deliver_pending

    app.config["MAIL_SEND_ON_COMMIT"] = False
    event = make_event()
    make_registration(event, "ana@example.org")  # the invitation waits in the outbox...
    cancel_event(event)  # ...when the event is called off: both go in one delivery run
    db.session.commit()
    report = deliver_pending(db.engine, app.config)
    assert len(report.sent) == 2 and not report.failed
    request, cancel = invitations(mailbox, "ana@example.org")
    first, withdrawal = check_itip(request, "REQUEST"), check_itip(cancel, "CANCEL")
    assert withdrawal["uid"] == first["uid"] and withdrawal["sequence"] == first["sequence"] + 1
