"""Messages to a filtered set of registrants (preview with placeholders, send through the outbox, history)
and the audit log page."""
import pytest
import sqlalchemy as sa

from eventhub.extensions import db
from eventhub.models import AuditEntry, Broadcast, OutboxMessage, OutboxStatus

from conftest import STAFF_PASSWORD, body_text

PASSWORD = STAFF_PASSWORD



@pytest.fixture
def bus(make_event, make_visit, book, make_registration, make_district):
    """Two people on one visit, one on another, one waiting for the event, one cancelled from the list."""
    event = make_event(capacity=3)
    quarry = make_district(name="Quarry Brook")
    bus = make_visit(event, title="Tablets in K-1", seats=5)
    other = make_visit(event, block=bus.block, title="Math talks", seats=5)
    book(event, "ana@example.org", bus, legal_first_name="Ana", preferred_name="Annie", district_id=quarry.id)
    book(event, "bo@example.org", bus, legal_first_name="Bo", legal_last_name="Okafor")
    book(event, "cy@example.org", other, legal_first_name="Cy")
    dee = make_registration(event, "dee@example.org", legal_first_name="Dee")  # waits: capacity 3
    make_registration(event, "eve@example.org", legal_first_name="Eve")  # waits too
    from eventhub.registration.services import cancel_registration

    cancel_registration(dee)
    db.session.commit()
    return event, bus


BODY = "Hello {first_name},\n\nYour bus: {visits}.\n\nChange plans: {private_link}"


def test_preview_fills_placeholders_for_one_person_and_sends_nothing(organizer_client, bus):
    event, visit = bus
    url = f"/admin/events/{event.slug}/messages/new?visit={visit.id}"
    page = organizer_client.get(url).get_data(as_text=True)
    assert "2 people" in page
    before = db.session.scalar(sa.select(sa.func.count()).select_from(OutboxMessage))
    response = organizer_client.post(url, data={"subject": "Bus for {event}", "body": BODY, "action": "preview"})
    html = response.get_data(as_text=True)
    assert response.status_code == 200
    assert "Hello Annie," in html and "Tablets in K-1 at" in html and f"Bus for {event.title}" in html
    assert db.session.scalar(sa.select(sa.func.count()).select_from(OutboxMessage)) == before


def test_unknown_placeholders_are_refused(organizer_client, bus):
    event, _ = bus
    response = organizer_client.post(f"/admin/events/{event.slug}/messages/new",
                              data={"subject": "Hi", "body": "Dear {firstname} {registration.__class__}",
                                    "action": "send", "confirm": "y"})
    assert response.status_code == 422
    assert "Unknown placeholder: {firstname}" in response.get_data(as_text=True)
    assert db.session.scalar(sa.select(sa.func.count()).select_from(Broadcast)) == 0


def test_sending_needs_the_box_and_reaches_exactly_the_filtered_set(organizer_client, bus, mailbox):
    event, visit = bus
    url = f"/admin/events/{event.slug}/messages/new?visit={visit.id}"
    data = {"subject": "Bus for {event}", "body": BODY, "action": "send"}
    assert organizer_client.post(url, data=data).status_code == 422  # not confirmed
    response = organizer_client.post(url, data={**data, "confirm": "y"})
    assert response.status_code == 303
    broadcast = db.session.scalar(sa.select(Broadcast))
    assert broadcast.recipient_count == 2 and "Tablets in K-1" in broadcast.audience_label
    copies = db.session.scalars(sa.select(OutboxMessage).where(OutboxMessage.broadcast_id == broadcast.id)).all()
    assert sorted(m.to_address for m in copies) == ["ana@example.org", "bo@example.org"]
    assert all(m.status is OutboxStatus.SENT for m in copies)
    [annie] = mailbox.to("ana@example.org")[-1:]
    text = body_text(annie)
    assert annie["Subject"] == f"Bus for {event.title}"
    assert text.startswith("Hello Annie,") and "/r/" in text  # a working private link was issued
    history = organizer_client.get(f"/admin/events/{event.slug}/messages/{broadcast.id}").get_data(as_text=True)
    history = history.replace("<wbr>", "")  # an address may wrap before its "@" and dots
    assert "bo@example.org" in history and "sent" in history
    listing = organizer_client.get(f"/admin/events/{event.slug}/messages").get_data(as_text=True)
    assert listing.count("Bus for {event}") == 1
    [entry] = db.session.scalars(sa.select(AuditEntry).where(AuditEntry.subject_type == "message"))
    assert entry.note.startswith("to 2:")


def test_default_audience_leaves_out_the_cancelled_and_can_pick_the_waiting(organizer_client, bus):
    event, _ = bus
    everyone = organizer_client.get(f"/admin/events/{event.slug}/messages/new").get_data(as_text=True)
    assert "4 people" in everyone  # five registered, one cancelled
    waiting = organizer_client.get(f"/admin/events/{event.slug}/messages/new?status=waitlisted").get_data(as_text=True)
    assert "1 person" in waiting and "Eve" in waiting
    assert organizer_client.get(f"/admin/events/{event.slug}/messages/new?status=lost").status_code == 400


def test_a_message_of_another_event_is_not_found(organizer_client, bus, make_event):
    event, _ = bus
    other = make_event()
    broadcast = Broadcast(event=other, subject="x", body="y")
    db.session.add(broadcast)
    db.session.commit()
    assert organizer_client.get(f"/admin/events/{event.slug}/messages/{broadcast.id}").status_code == 404


def test_the_audit_log_filters_by_event_kind_person_and_words(organizer_client, make_event, make_registration):
    spring, fall = make_event(title="Spring"), make_event(title="Fall")
    ana = make_registration(spring, "ana@example.org")
    make_registration(fall, "bo@example.org")
    organizer_client.post(f"/admin/registrations/{ana.id}/resend")
    organizer_client.post(f"/admin/events/{fall.slug}/agenda", data=dict(
        title="Welcome", kind="plenary", day=fall.starts_on.isoformat(), starts="09:00", ends="10:00", room="",
        topic="", description=""))
    everything = organizer_client.get("/admin/audit").get_data(as_text=True)
    assert "2 changes" in everything
    only_spring = organizer_client.get(f"/admin/audit?event={spring.slug}").get_data(as_text=True)
    assert "1 change;" in only_spring and "Confirmation resent" in only_spring
    agenda = organizer_client.get("/admin/audit?type=agenda_item").get_data(as_text=True)
    assert "Welcome" in agenda and "Confirmation resent" not in agenda
    user_id = db.session.scalar(sa.select(AuditEntry.user_id).limit(1))
    assert "2 changes" in organizer_client.get(f"/admin/audit?user={user_id}").get_data(as_text=True)
    assert "1 change;" in organizer_client.get("/admin/audit?q=garc").get_data(as_text=True)
    assert organizer_client.get("/admin/audit?type=bogus").status_code == 400
    assert organizer_client.get("/admin/audit?user=abc").status_code == 400
    assert organizer_client.get("/admin/audit?event=nope").status_code == 404


def test_attendees_own_changes_are_in_the_audit_log(organizer_client, client, make_event, make_registration, mailbox):
    from conftest import private_link

    event = make_event()
    ana = make_registration(event, "ana@example.org")
    link = private_link(mailbox.to("ana@example.org")[-1])
    attendee = client.application.test_client()
    assert attendee.post(f"{link}/cancel", data={}).status_code == 302
    [entry] = db.session.scalars(sa.select(AuditEntry).where(AuditEntry.subject_id == ana.id))
    assert (entry.action, entry.user_id, entry.changes) == ("cancelled", None, {"status": ["confirmed", "cancelled"]})
    page = organizer_client.get(f"/admin/audit?event={event.slug}").get_data(as_text=True)
    assert "the attendee" in page and "from their private link" in page


def test_a_filter_changed_since_the_count_refuses_the_send_and_counts_again(organizer_client, bus, mailbox):
    """The screen showed everyone; the Visit filter was then changed without counting again: nothing goes,
    and the page shows the new audience, in words, to confirm."""
    event, visit = bus
    url = f"/admin/events/{event.slug}/messages/new"
    data = {"subject": "K-1 bus change", "body": "Hello {first_name}", "action": "send", "confirm": "y",
            "visit": str(visit.id), "counted_status": "", "counted_visit": "", "counted_district": "",
            "counted_role": ""}
    refused = organizer_client.post(url, data=data)
    html = refused.get_data(as_text=True)
    assert refused.status_code == 422
    assert "The recipients changed since they were counted: it would now go to 2 people" in html
    assert f'name="counted_visit" value="{visit.id}"' in html
    assert f"Yes, send it to 2 people: confirmed and waiting, on “{visit.title}”" in html
    assert db.session.scalar(sa.select(sa.func.count()).select_from(Broadcast)) == 0
    counted = organizer_client.post(url, data={**data, "action": "count"})
    assert counted.status_code == 200 and 'name="confirm" type="checkbox" value="y">' in counted.get_data(
        as_text=True)  # asked again
    sent = organizer_client.post(url, data={**data, "counted_visit": str(visit.id)})
    assert sent.status_code == 303
    assert db.session.scalar(sa.select(Broadcast.recipient_count)) == 2


def test_the_audit_log_says_times_in_words_in_the_events_zone(organizer_client, make_event):
    """Not "2026-12-03 14:05" in UTC: an event's change is timed in its zone, its stored moments too; a change
    of no event is said in UTC inside <time data-local>, which the page's script says in the viewer's zone."""
    from datetime import UTC, datetime

    from eventhub.audit import record

    event = make_event(timezone="America/Chicago")
    record("edited", "agenda_item", 1, "Opening plenary", event=event,
           changes={"starts_at": ["2027-04-06T13:30:00+00:00", "2027-04-06T15:15:00+00:00"],
                    "room": ["Hall A", "Hall A"]})
    record("edited", "user", 2, "maria.fernandez@example.org", changes={"role": ["organizer", "admin"]})
    for entry in db.session.scalars(sa.select(AuditEntry)):
        entry.created_at = datetime(2026, 12, 3, 14, 5, tzinfo=UTC)
    db.session.commit()
    html = organizer_client.get("/admin/audit").get_data(as_text=True)
    assert "2026-12-03 14:05" not in html and "When (UTC)" not in html
    assert '<time datetime="2026-12-03T14:05:00+00:00">Thu, Dec 3, 2026, 8:05 AM CST</time>' in html
    assert ("Starts: <del><time datetime=\"2027-04-06T13:30:00+00:00\">Tue, Apr 6, 2027, 8:30 AM CDT</time></del>"
            " → <ins><time datetime=\"2027-04-06T15:15:00+00:00\">Tue, Apr 6, 2027, 10:15 AM CDT</time></ins>"
            ) in html
    assert "Hall A</del>" not in html  # a field that did not change is not listed
    assert '<time datetime="2026-12-03T14:05:00+00:00" data-local>Thu, Dec 3, 2026, 2:05 PM UTC</time>' in html
    # The account's address wraps only before its "@" and dots.
    assert "maria<wbr>.fernandez<wbr>@example<wbr>.org" in html


def test_an_email_address_is_escaped_and_breaks_only_at_its_at_sign_and_dots():
    from eventhub.templating import email_address

    assert str(email_address('a.b"<x>@c.org')) == \
        '<span class="email">a<wbr>.b&#34;&lt;x&gt;<wbr>@c<wbr>.org</span>'
