"""Private links: calendars carry none, a read-only feed token of its own, links that do not pile up, and
pages and cookies that reveal nobody."""
import email
import email.policy
import hashlib
import re
from datetime import timedelta

import pytest
import sqlalchemy as sa
from icalendar import Calendar
from test_registration_views import form_data

from eventhub.events.writes import cancel_event, update_event
from eventhub.extensions import db
from eventhub.models import LinkKind, LinkOrigin, OutboxMessage, PrivateLink, utcnow
from eventhub.notifications.attendees import send_new_link
from eventhub.notifications.kinds import EmailKind
from eventhub.registration.links import (
    MAX_UNUSED_LINKS,
    issue_private_link,
    issue_private_links,
    open_private_link,
)
from eventhub.registration.services import (
    cancel_registration,
    confirm_email_change,
    return_to_waitlist,
    update_details,
)
from eventhub.visits.services import cancel_visit, update_visit

from conftest import (
    attendee,
    body_text,
    calendar_texts,
    private_link,
    private_tokens_in_calendars,
    sign_in,
)


def form_data_for(event, **overrides) -> dict:
    """The registration form of José O'Brien, from the event's host district."""
    return form_data(event.hosts[0].id, **overrides)


def _links(registration) -> list[PrivateLink]:
    db.session.expire_all()
    return list(db.session.scalars(sa.select(PrivateLink).where(PrivateLink.registration_id == registration.id)
                                   .order_by(PrivateLink.id)))


def _feed_path(page: str) -> str:
    """The personal feed's path as the private page offers it to webcal clients."""
    found = re.search(r'href="webcal://eventhub\.test(/feed/[^/"]+/calendar\.ics)"', page)
    assert found, "the page offers no personal feed"
    return found.group(1)


# --- 1. calendars carry no management token ----------------------------------------------------------------


def test_no_calendar_part_of_any_email_kind_holds_a_private_link(client, make_event, make_visit, book, mailbox):
    """Every kind of email that carries a calendar, produced through the real services: its calendar parts
    link to the event's public page and send people to their email for changes, and hold no token that
    opens a private page, while the email's own text still carries the link."""
    event = make_event(capacity=1)
    visit = make_visit(event, seats=1)
    ana = book(event, "ana@example.org", visit)  # a seat: the convening and the visit (booked)
    ben = book(event, "ben@example.org", visit)  # the event's waiting list: nothing in a calendar yet
    assert update_event(event, venue_name="New Hall") == 1  # an updated convening
    update_visit(visit, meeting_point="Front steps")  # an updated visit
    db.session.commit()
    return_to_waitlist(ana)  # back to the waiting list (CANCEL); Ben is promoted (REQUEST)
    db.session.commit()
    update_details(ben, attendee("ben.new@example.org"))  # Ben's invitations move to a new address
    db.session.commit()
    signed = re.search(r"/email-change/(\S+)", body_text(mailbox.to("ben.new@example.org")[-1])).group(1)
    confirm_email_change(signed)
    db.session.commit()
    cara = book(make_event(), "cara@example.org")
    cancel_visit(visit)
    cancel_registration(cara)  # the convening leaves Cara's calendar
    cancel_event(event)  # and everyone's
    db.session.commit()

    with_calendars = {}
    for message in db.session.scalars(sa.select(OutboxMessage).where(OutboxMessage.raw != "")):
        texts = calendar_texts(message.raw)
        if texts:
            with_calendars.setdefault(message.kind, []).append((message, texts))
    kinds = {EmailKind.REGISTRATION_WELCOME, EmailKind.REGISTRATION_UPDATED, EmailKind.REGISTRATION_BACK_TO_WAITLIST,
             EmailKind.REGISTRATION_PROMOTED, EmailKind.REGISTRATION_MOVED, EmailKind.REGISTRATION_CANCELLED,
             EmailKind.EVENT_CANCELLED, EmailKind.VISIT_INVITE}
    assert kinds <= set(with_calendars), f"not produced: {kinds - set(with_calendars)}"
    for kind, messages in with_calendars.items():
        for message, texts in messages:
            whole = "\n".join(texts)
            assert "/r/" not in whole, kind
            assert f"http://eventhub.test/events/{event.slug}" in whole or "test-event-" in whole, kind
            if "REQUEST" in whole:
                assert "private link in the emails we send you; it is never in this calendar entry" in whole, kind
            if "METHOD:REQUEST" in whole:  # the email itself carries the link
                parsed = email.message_from_string(message.raw, policy=email.policy.default)
                assert "/r/" in body_text(parsed), kind
    assert private_tokens_in_calendars() == []


def test_the_check_finds_a_token_in_a_calendar(make_event, make_registration):
    """The check run after every test (conftest) is not blind: a token put into a calendar part is found."""
    from email.message import EmailMessage

    from eventhub.invites.calendar import invitation, public_convening_event

    event = make_event()
    person = make_registration(event)
    token = issue_private_link(person)
    entry = public_convening_event(event, utcnow())
    entry["description"] = f"Your registration: http://eventhub.test/r/{token}"
    message = EmailMessage()
    message.set_content("An email whose calendar leaks the link.")
    message.add_attachment(invitation(entry, method="REQUEST", organizer="events@example.org",
                                      attendee_email=person.email, attendee_name="Ana"),
                           maintype="text", subtype="calendar", filename="invite.ics")
    raw = message.as_string()
    db.session.add(OutboxMessage(kind="leak", to_address=person.email, subject="Leak", raw=raw))
    db.session.commit()
    leaks = private_tokens_in_calendars()
    assert ("leak", token) in leaks
    db.session.execute(sa.delete(OutboxMessage).where(OutboxMessage.kind == "leak"))
    db.session.commit()


def test_the_feed_has_its_own_read_only_token(client, make_event, make_visit, book, mailbox):
    event = make_event()
    visit = make_visit(event)
    person = book(event, "ana@example.org", visit)
    link = private_link(mailbox.to("ana@example.org")[0])
    page = client.get(link).get_data(as_text=True)
    feed = _feed_path(page)
    # Google is handed the https:// address, other clients webcal://.
    assert "calendar.google.com/calendar/r?cid=" + re.sub("/", "%2F", f"http%3A//eventhub.test{feed}") in page
    response = client.get(feed)
    assert response.status_code == 200 and response.mimetype == "text/calendar"
    calendar = Calendar.from_ical(response.data)
    assert str(calendar["X-WR-CALNAME"]) == f"{event.title}: my programme"  # no name of the attendee
    assert "Ana" not in response.get_data(as_text=True) and "ana@example.org" not in response.get_data(as_text=True)
    assert {str(e["SUMMARY"]) for e in calendar.walk("VEVENT")} == {event.title, f"School visit: {visit.title}"}
    # The feed token opens nothing but the feed.
    token = feed.split("/")[2]
    assert client.get(f"/r/{token}").status_code == 404
    assert client.get(f"/r/{token}/edit").status_code == 404
    assert client.post(f"/r/{token}/cancel", data={"confirm": "yes"}).status_code == 404
    assert client.get(f"/r/{token}/agenda.pdf").status_code == 404
    # The same address is shown again, and no second feed is made.
    assert _feed_path(client.get(link).get_data(as_text=True)) == feed
    assert sum(1 for row in _links(person) if row.kind is LinkKind.FEED) == 1
    # A forged or altered token is a 404.
    assert client.get(f"/feed/{token[:-2]}xx/calendar.ics").status_code == 404
    assert client.get("/feed/MQ/calendar.ics").status_code == 404


def test_the_attendee_gives_the_feed_a_new_address(client, make_event, make_registration, mailbox):
    event = make_event()
    make_registration(event)
    link = private_link(mailbox.to("ana@example.org")[0])
    old = _feed_path(client.get(link).get_data(as_text=True))
    response = client.post(f"{link}/calendar/renew", follow_redirects=True)
    page = response.get_data(as_text=True)
    assert "The old calendar address has stopped working" in page
    new = _feed_path(page)
    assert new != old
    assert client.get(old).status_code == 404
    assert client.get(new).status_code == 200


def test_an_old_feed_address_works_until_its_link_is_revoked(client, make_event, make_registration, mailbox):
    """The feed an earlier version offered sits under the management link: it keeps working until the
    attendee signs out everywhere else (from another link), then answers 404."""
    event = make_event()
    person = make_registration(event)
    old_link = private_link(mailbox.to("ana@example.org")[0])
    assert client.get(f"{old_link}/calendar.ics").status_code == 200
    send_new_link(person)
    db.session.commit()
    new_link = private_link(mailbox.to("ana@example.org")[-1])
    assert new_link != old_link
    assert client.post(f"{new_link}/links/sign-out").status_code == 302
    assert client.get(f"{old_link}/calendar.ics").status_code == 404
    assert client.get(f"{new_link}/calendar.ics").status_code == 200


def test_a_cancelled_attendee_is_offered_no_feed(client, make_event, make_registration, mailbox):
    event = make_event()
    person = make_registration(event)
    cancel_registration(person)
    db.session.commit()
    page = client.get(private_link(mailbox.to("ana@example.org")[0])).get_data(as_text=True)
    assert "/feed/" not in page
    assert not [row for row in _links(person) if row.kind is LinkKind.FEED]


# --- 2. links do not pile up --------------------------------------------------------------------------------


def test_a_registration_keeps_at_most_five_unused_emailed_links(client, make_event, make_registration, mailbox):
    event = make_event()
    person = make_registration(event)
    for _ in range(11):  # twelve emails in all, each with a new link
        send_new_link(person)
        db.session.commit()
    links = [private_link(m) for m in mailbox.to("ana@example.org")]
    assert len(set(links)) == 12
    live = [row for row in _links(person) if row.revoked_at is None]
    assert len(live) == MAX_UNUSED_LINKS
    assert [client.get(link).status_code for link in links] == [404] * 7 + [200] * 5


def test_a_used_or_printed_link_is_never_retired_by_newer_ones(client, make_event, make_registration, mailbox):
    event = make_event()
    person = make_registration(event)
    used = private_link(mailbox.to("ana@example.org")[0])
    assert client.get(used).status_code == 200
    [printed] = issue_private_links([person.id], LinkOrigin.PRINT)
    db.session.commit()
    for _ in range(MAX_UNUSED_LINKS + 3):  # a stranger asking again and again for new links
        send_new_link(person)
        db.session.commit()
    unused = [row.origin for row in _links(person)
              if row.kind is LinkKind.MANAGE and row.revoked_at is None and row.last_used_at is None]
    assert sorted(unused) == [LinkOrigin.EMAIL] * MAX_UNUSED_LINKS + [LinkOrigin.PRINT]
    assert client.get(used).status_code == 200
    assert client.get(f"/r/{printed}").status_code == 200


def test_a_batch_of_emails_to_one_person_shares_one_new_link(app, make_event, make_visit, book, mailbox):
    """An allocation or a registration queues several emails to one person at once: they go out together
    and carry one new link, not one each."""
    event = make_event()
    visits = [make_visit(event, start=f"{9 + 2 * n:02d}:00", end=f"{10 + 2 * n:02d}:00") for n in range(3)]
    person = book(event, "ana@example.org", *visits)
    sent = mailbox.to("ana@example.org")
    assert len(sent) == 4  # the confirmation and three visit invitations
    assert len({private_link(m) for m in sent}) == 1
    assert len([row for row in _links(person) if row.kind is LinkKind.MANAGE]) == 1


def test_a_links_last_use_is_written_at_most_once_an_hour(client, make_event, make_registration, mailbox):
    event = make_event()
    person = make_registration(event)
    link = private_link(mailbox.to("ana@example.org")[0])
    [row] = _links(person)
    assert row.last_used_at is None
    client.get(link)
    first = _links(person)[0].last_used_at
    assert first is not None
    client.get(link)
    client.get(f"{link}/edit")
    assert _links(person)[0].last_used_at == first  # within the hour: not written again
    db.session.execute(sa.update(PrivateLink).values(last_used_at=first - timedelta(minutes=61)))
    db.session.commit()
    client.get(link)
    assert _links(person)[0].last_used_at > first - timedelta(minutes=1)
    # The service reads the same way: an hour to the minute writes again, less does not.
    row = open_private_link(link.removeprefix("/r/"), now=_links(person)[0].last_used_at + timedelta(minutes=59))
    assert row is not None and row not in db.session.dirty
    row = open_private_link(link.removeprefix("/r/"), now=row.last_used_at + timedelta(hours=1))
    assert row in db.session.dirty
    db.session.rollback()


def test_the_attendee_sees_their_links_and_signs_out_everywhere_else(client, make_event, make_registration,
                                                                    mailbox):
    event = make_event()
    person = make_registration(event)
    for _ in range(2):
        send_new_link(person)
        db.session.commit()
    [printed] = issue_private_links([person.id], LinkOrigin.PRINT)
    db.session.commit()
    first, second, third = [private_link(m) for m in mailbox.to("ana@example.org")]
    client.get(first)
    page = client.get(third).get_data(as_text=True)
    section = page[page.index('id="links-title"'):page.index('aria-label="What you can do"')]
    assert section.count("<li>") == 4
    assert section.count("Emailed") == 3 and section.count("Printed on an agenda") == 1
    assert "(the one you are using)" in section and section.count("Last opened") == 2  # the first, and this one
    assert "Never opened" in section
    feed = _feed_path(page)
    response = client.post(f"{third}/links/sign-out", follow_redirects=True)
    assert "Every other link to this page has stopped working" in response.get_data(as_text=True)
    assert [client.get(link).status_code for link in (first, second, f"/r/{printed}")] == [404, 404, 404]
    assert client.get(third).status_code == 200
    assert client.get(feed).status_code == 200  # the feed opens only the programme: it stays
    page = client.get(third).get_data(as_text=True)
    assert "Sign out everywhere else" not in page  # nothing else to sign out
    [entry] = [e for e in _audit(person) if e.action == "revoked_private_links"]
    assert entry.note.startswith("by the attendee") and "3 other links" in entry.note


def _audit(registration):
    from eventhub.models import AuditEntry

    return list(db.session.scalars(sa.select(AuditEntry).where(AuditEntry.subject_id == registration.id,
                                                               AuditEntry.subject_type == "registration")))


def test_the_organizer_stops_every_link_from_the_registrant_page(client, make_event, make_registration, mailbox):
    event = make_event()
    person = make_registration(event)
    link = private_link(mailbox.to("ana@example.org")[0])
    feed = _feed_path(client.get(link).get_data(as_text=True))
    sign_in(client, "org@example.org")
    page = client.get(f"/admin/registrations/{person.id}").get_data(as_text=True)
    assert "Private links" in page and "Emailed" in page and "last opened" in page
    assert "Calendar feed: working since" in page
    response = client.post(f"/admin/registrations/{person.id}/links/revoke", data={"send_new": "yes"})
    assert response.status_code == 303
    assert client.get(link).status_code == 404 and client.get(feed).status_code == 404
    newest = mailbox.to("ana@example.org")[-1]
    assert newest["Subject"].startswith("Your private link")
    assert client.get(private_link(newest)).status_code == 200
    [entry] = [e for e in _audit(person) if e.action == "revoked_private_links"]
    assert entry.user_email == "org@example.org" and entry.note == "a new link emailed"
    # Without a new link: nothing works, and nothing is sent.
    count = len(mailbox.to("ana@example.org"))
    client.post(f"/admin/registrations/{person.id}/links/revoke", data={})
    assert client.get(private_link(newest)).status_code == 404
    assert len(mailbox.to("ana@example.org")) == count
    page = client.get(f"/admin/registrations/{person.id}").get_data(as_text=True)
    assert "No link works now" in page and "No calendar feed." in page


def test_a_host_coordinator_cannot_stop_links(client, make_event, make_registration):
    from eventhub.models import UserRole

    event = make_event()
    person = make_registration(event)
    sign_in(client, "host@example.org", role=UserRole.HOST_COORDINATOR, district=event.hosts[0])
    assert client.post(f"/admin/registrations/{person.id}/links/revoke", data={"send_new": "yes"}).status_code == 403
    assert [row.revoked_at for row in _links(person)] == [None]


# --- 3. nothing reveals who is registered -------------------------------------------------------------------


def _session_text(client, app) -> str:
    """What the session cookie holds, decoded (it is signed, not encrypted: anyone with it can read it)."""
    cookie = client.get_cookie(app.config.get("SESSION_COOKIE_NAME", "session"))
    if cookie is None:
        return ""
    return repr(app.session_interface.get_signing_serializer(app).loads(cookie.value))


@pytest.mark.parametrize("known", [False, True])
def test_the_session_cookie_holds_nothing_personal(app, client, make_event, make_registration, known):
    event = make_event()
    if known:
        make_registration(event, "jose@example.org")
    data = form_data_for(event, **{"colleagues-0-legal_first_name": "Ann", "colleagues-0-legal_last_name": "Lee",
                                   "colleagues-0-email": "ann@example.org", "colleagues-0-role": "teacher"})
    response = client.post(f"/events/{event.slug}/register", data=data)
    assert response.status_code == 302
    page = client.get(response.headers["Location"]).get_data(as_text=True)
    held = _session_text(client, app)
    assert "registration_done" in held  # the check reads a real cookie
    for personal in ("jose", "José", "O'Brien", "ann@", "Ann", "Lee"):
        assert personal not in held, personal
        assert personal not in page, personal
    assert "each of the 1 colleague you added" in page


def test_attendee_messages_name_nobody_in_the_cookie(app, client, make_event, make_registration, mailbox):
    """Messages shown after a change ride in the session cookie until the next page: the attendee's name
    no address or person there."""
    event = make_event()
    make_registration(event, "jose@example.org")
    link = private_link(mailbox.to("jose@example.org")[0])
    response = client.post(f"{link}/edit", data=form_data_for(event, email="new.jose@example.org"))
    assert response.status_code == 302
    held = _session_text(client, app)
    assert "the new address" in held and "new.jose" not in held
    response = client.post(f"{link}/hand-over", data={"email": "kim@example.org", "legal_first_name": "Kim",
                                                      "legal_last_name": "Park", "role": "teacher"})
    assert response.status_code == 302
    held = _session_text(client, app)
    assert "your colleague" in held and "Kim" not in held and "kim@" not in held


def test_the_private_page_tells_the_seat_outcome(client, make_event, make_registration, mailbox):
    event = make_event(capacity=1)
    make_registration(event, "a@example.org")
    make_registration(event, "b@example.org")
    assert "You're registered" in client.get(private_link(mailbox.to("a@example.org")[0])).get_data(as_text=True)
    assert "You're on the waiting list: number 1" in client.get(
        private_link(mailbox.to("b@example.org")[0])).get_data(as_text=True)
    assert mailbox.to("b@example.org")[0]["Subject"].startswith("You're on the waiting list")


def test_links_are_stored_only_as_hashes(make_event, make_registration):
    event = make_event()
    person = make_registration(event)
    token = issue_private_link(person)
    db.session.commit()
    stored = [row.token_hash for row in _links(person)]
    assert hashlib.sha256(token.encode()).hexdigest() in stored and token not in stored
