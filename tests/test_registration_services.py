"""Registration rules without HTTP: seats, waiting list, duplicates, links, changes."""
import hashlib
import re
from datetime import UTC, datetime, timedelta

import pytest
import sqlalchemy as sa
from sqlalchemy.orm.attributes import set_committed_value

from eventhub.extensions import db
from eventhub.models import OutboxMessage, PrivateLink, Registration, RegistrationStatus
from eventhub.notifications.attendees import LINK_REMINDER_INTERVAL
from eventhub.registration.services import (
    EmailChangeInvalid,
    EmailTaken,
    EventEnded,
    RegistrationClosed,
    cancel_registration,
    confirm_email_change,
    register,
    registration_for_token,
    rejoin,
    revoke_private_links,
    update_details,
    waitlist_position,
)

from conftest import attendee, body_text, private_link


def registrations(event):
    """Every registration of the event, oldest first."""
    return db.session.scalars(sa.select(Registration).where(Registration.event_id == event.id)
                              .order_by(Registration.id)).all()


def test_registering_confirms_a_seat_and_emails_a_private_link(make_event, mailbox):
    event = make_event(capacity=10)
    outcome = register(event, attendee("Ana@Example.org"))
    db.session.commit()
    assert outcome.lead.status is RegistrationStatus.CONFIRMED
    assert outcome.lead.email == "ana@example.org"
    [message] = mailbox.to("ana@example.org")
    assert message["Subject"] == f"You're registered for {event.title}"
    token = private_link(message).removeprefix("/r/")
    assert registration_for_token(token) == outcome.lead


def test_a_full_event_puts_newcomers_on_the_waiting_list_in_order(make_event, make_registration, mailbox):
    event = make_event(capacity=2)
    make_registration(event, "a@example.org")
    make_registration(event, "b@example.org")
    third = make_registration(event, "c@example.org")
    fourth = make_registration(event, "d@example.org")
    assert third.status is RegistrationStatus.WAITLISTED
    assert (waitlist_position(third), waitlist_position(fourth)) == (1, 2)
    [message] = mailbox.to("d@example.org")
    assert "number 2 on the waiting list" in body_text(message)


def test_cancelling_a_seat_promotes_the_head_of_the_waiting_list_and_emails_them(
    make_event, make_registration, mailbox
):
    event = make_event(capacity=1)
    first = make_registration(event, "a@example.org")
    head = make_registration(event, "b@example.org")
    second = make_registration(event, "c@example.org")
    promoted = cancel_registration(first)
    db.session.commit()
    assert promoted == [head]
    assert head.status is RegistrationStatus.CONFIRMED
    assert waitlist_position(second) == 1
    assert [m["Subject"] for m in mailbox.to("b@example.org")][-1].startswith("A seat opened up")
    assert mailbox.to("a@example.org")[-1]["Subject"].endswith("is cancelled")


def test_leaving_the_waiting_list_promotes_nobody(make_event, make_registration):
    event = make_event(capacity=1)
    make_registration(event, "a@example.org")
    waiting = make_registration(event, "b@example.org")
    behind = make_registration(event, "c@example.org")
    assert cancel_registration(waiting) == []
    assert waitlist_position(behind) == 1


def test_a_second_registration_with_the_same_email_creates_nothing_and_emails_the_link(
    make_event, make_registration, mailbox
):
    event = make_event()
    original = make_registration(event, "ana@example.org", legal_first_name="Ana")
    outcome = register(event, attendee("ANA@example.org", legal_first_name="Impostor"))
    db.session.commit()
    assert outcome.lead is None
    assert len(registrations(event)) == 1
    assert original.legal_first_name == "Ana"
    reminder = mailbox.to("ana@example.org")[-1]
    assert reminder["Subject"] == f"Your private link for {event.title}"
    assert registration_for_token(private_link(reminder).removeprefix("/r/")) == original


def test_the_database_refuses_two_registrations_with_one_email(make_event, make_registration):
    event = make_event()
    make_registration(event, "ana@example.org")
    db.session.add(Registration(event_id=event.id, email="ana@example.org", legal_first_name="A",
                                legal_last_name="B", role="teacher", status=RegistrationStatus.CONFIRMED))
    with pytest.raises(sa.exc.IntegrityError):
        db.session.commit()
    db.session.rollback()


def test_a_team_lead_registers_colleagues_who_each_get_their_own_link(make_event, make_district, mailbox):
    district = make_district()
    event = make_event(capacity=2)
    outcome = register(
        event,
        attendee("lead@example.org", district_id=district.id),
        [attendee("colleague1@example.org", legal_first_name="Ben", district_id=district.id),
         attendee("colleague2@example.org", legal_first_name="Cy", district_id=district.id)],
    )
    db.session.commit()
    lead = outcome.lead
    assert [c.email for c in outcome.colleagues] == ["colleague1@example.org", "colleague2@example.org"]
    assert {c.team_lead_id for c in outcome.colleagues} == {lead.id}
    assert [c.status for c in outcome.colleagues] == [RegistrationStatus.CONFIRMED, RegistrationStatus.WAITLISTED]
    links = {private_link(mailbox.to(f"colleague{i}@example.org")[0]) for i in (1, 2)}
    assert len(links) == 2
    assert f"{lead.display_name} registered you" in body_text(mailbox.to("colleague1@example.org")[0])


def test_registration_outside_the_window_is_refused(make_event):
    event = make_event(registration_opens_at=datetime.now(UTC) + timedelta(days=1))
    with pytest.raises(RegistrationClosed, match="Registration opens"):
        register(event, attendee())
    db.session.rollback()
    assert registrations(event) == []


def test_private_link_tokens_are_random_and_stored_only_as_a_hash(make_event, make_registration, mailbox):
    registration = make_registration(make_event())
    token = private_link(mailbox.messages()[0]).removeprefix("/r/")
    assert len(token) >= 43  # 32 random bytes in URL-safe base64
    stored = db.session.scalars(sa.select(PrivateLink.token_hash)).all()
    assert stored == [hashlib.sha256(token.encode()).hexdigest()]
    # Another link for the same person, or the same email at another event, shares nothing with it.
    other = register(make_event(), attendee(registration.email)).lead
    db.session.commit()
    tokens = {token} | {private_link(m).removeprefix("/r/") for m in mailbox.messages()[1:]}
    assert len(tokens) == 2 and registration_for_token(tokens.pop()) in {registration, other}
    assert registration_for_token(token[:-1] + ("A" if token[-1] != "A" else "B")) is None
    assert registration_for_token("") is None


def test_revoked_links_stop_working(make_event, make_registration, mailbox):
    registration = make_registration(make_event())
    token = private_link(mailbox.messages()[0]).removeprefix("/r/")
    assert revoke_private_links(registration) == 1
    db.session.commit()
    assert registration_for_token(token) is None


def test_a_new_email_is_used_only_once_its_owner_confirms_it(make_event, make_registration, mailbox):
    mine = make_registration(make_event(), "old@example.org")
    assert update_details(mine, attendee("New@example.org", legal_first_name="Anabel")) is True
    db.session.commit()
    assert mine.email == "old@example.org" and mine.legal_first_name == "Anabel"
    [confirmation] = mailbox.to("new@example.org")
    assert confirmation["Subject"].startswith("Confirm your new email address")
    signed = re.search(r"/email-change/(\S+)", body_text(confirmation)).group(1)
    registration, token = confirm_email_change(signed)
    db.session.commit()
    assert registration.email == "new@example.org"
    assert registration_for_token(token) == mine
    assert mailbox.to("new@example.org")[-1]["Subject"].startswith("Your private link")


def test_asking_for_a_taken_email_changes_nothing_and_tells_only_that_address(make_event, make_registration, mailbox):
    event = make_event()
    make_registration(event, "taken@example.org")
    mine = make_registration(event, "mine@example.org")
    assert update_details(mine, attendee("Taken@example.org")) is True  # the same answer as for a free address
    db.session.commit()
    assert db.session.get(Registration, mine.id).email == "mine@example.org"
    assert mailbox.to("taken@example.org")[-1]["Subject"].startswith("This address is already registered")
    assert "/email-change/" not in body_text(mailbox.to("taken@example.org")[-1])


def test_email_change_links_that_are_forged_stale_or_taken_are_refused(make_event, make_registration, mailbox):
    event = make_event()
    mine = make_registration(event, "mine@example.org")
    update_details(mine, attendee("second@example.org"))
    db.session.commit()
    first_link = re.search(r"/email-change/(\S+)", body_text(mailbox.to("second@example.org")[-1])).group(1)
    with pytest.raises(EmailChangeInvalid):
        confirm_email_change(first_link[:-2] + "xx")
    # Someone registers with that address before the link is opened.
    make_registration(event, "second@example.org")
    with pytest.raises(EmailTaken):
        confirm_email_change(first_link)
    db.session.rollback()
    # After moving to a third address, the old link no longer applies.
    update_details(mine, attendee("third@example.org"))
    db.session.commit()
    third_link = re.search(r"/email-change/(\S+)", body_text(mailbox.to("third@example.org")[-1])).group(1)
    confirm_email_change(third_link)
    db.session.commit()
    with pytest.raises(EmailChangeInvalid):
        confirm_email_change(first_link)


def test_rejoining_after_cancelling_takes_the_end_of_the_queue(make_event, make_registration):
    event = make_event(capacity=1)
    first = make_registration(event, "a@example.org")
    cancel_registration(first)
    db.session.commit()
    make_registration(event, "b@example.org")
    make_registration(event, "c@example.org")
    make_registration(event, "d@example.org")
    rejoin(first)
    db.session.commit()
    assert first.status is RegistrationStatus.WAITLISTED
    assert waitlist_position(first) == 3


def _as_read_before_the_lock(registration, status):
    """Make our copy show an older status, as a request that read it before another one committed."""
    set_committed_value(registration, "status", status)


def test_a_second_rejoin_click_does_not_lose_the_seat(make_event, make_registration, mailbox):
    event = make_event(capacity=1)
    mine = make_registration(event, "a@example.org")
    cancel_registration(mine)
    db.session.commit()
    rejoin(mine)  # the first click
    db.session.commit()
    _as_read_before_the_lock(mine, RegistrationStatus.CANCELLED)
    rejoin(mine)  # the second click, which read the registration before the first committed
    db.session.commit()
    assert mine.status is RegistrationStatus.CONFIRMED
    assert [m["Subject"] for m in mailbox.to("a@example.org")][-1] == f"You're registered for {event.title}"


def test_cancelling_twice_at_once_cancels_and_emails_once(make_event, make_registration, mailbox):
    event = make_event(capacity=1)
    mine = make_registration(event, "a@example.org")
    second = make_registration(event, "b@example.org")
    third = make_registration(event, "c@example.org")
    cancel_registration(mine)
    db.session.commit()
    _as_read_before_the_lock(mine, RegistrationStatus.CONFIRMED)
    assert cancel_registration(mine) == []
    db.session.commit()
    assert (second.status, third.status) == (RegistrationStatus.CONFIRMED, RegistrationStatus.WAITLISTED)
    assert [m["Subject"].endswith("is cancelled") for m in mailbox.to("a@example.org")] == [False, True]


def test_a_finished_event_cannot_be_changed(make_event, make_registration):
    event = make_event()
    registration = make_registration(event)
    after = datetime.combine(event.ends_on + timedelta(days=2), datetime.min.time(), tzinfo=UTC)
    with pytest.raises(EventEnded):
        cancel_registration(registration, now=after)


def test_emails_are_in_the_outbox_with_the_registration(make_event, make_registration):
    registration = make_registration(make_event())
    [entry] = db.session.scalars(sa.select(OutboxMessage)).all()
    assert entry.registration_id == registration.id
    assert entry.kind == "registration_welcome"


def test_repeated_registrations_send_one_link_reminder_per_interval(make_event, make_registration, mailbox):
    event = make_event()
    make_registration(event, "ana@example.org")
    now = datetime.now(UTC)
    for _ in range(5):
        register(event, attendee("ana@example.org"), now=now)
        db.session.commit()
    assert [m["Subject"] for m in mailbox.to("ana@example.org")] == [
        f"You're registered for {event.title}", f"Your private link for {event.title}"]
    register(event, attendee("ana@example.org"), now=now + LINK_REMINDER_INTERVAL + timedelta(seconds=1))
    db.session.commit()
    assert len(mailbox.to("ana@example.org")) == 3


def test_colleagues_of_someone_already_registered_are_not_tied_to_that_registration(
    make_event, make_registration, mailbox
):
    event = make_event()
    owner = make_registration(event, "supt@example.org", legal_first_name="Victoria", legal_last_name="Real")
    outcome = register(event, attendee("supt@example.org"), [attendee("eve@example.org", legal_first_name="Eve")])
    db.session.commit()
    [eve] = outcome.colleagues
    assert eve.team_lead is None and owner.team_members == []
    assert "Victoria" not in body_text(mailbox.to("eve@example.org")[0])


def test_the_cancellation_email_says_what_happened_to_the_seat(make_event, make_registration, mailbox):
    event = make_event(capacity=1)
    first = make_registration(event, "a@example.org")
    waiting = make_registration(event, "b@example.org")
    third = make_registration(event, "c@example.org")
    cancel_registration(third)
    cancel_registration(first)
    cancel_registration(waiting)
    db.session.commit()
    assert "You have left the waiting list" in body_text(mailbox.to("c@example.org")[-1])
    assert "gone to the next person on the waiting list" in body_text(mailbox.to("a@example.org")[-1])
    assert "your seat is free for someone else" in body_text(mailbox.to("b@example.org")[-1])
