"""Registration rules without HTTP: seats, waiting list, duplicates, links, changes."""
import hashlib
from datetime import UTC, datetime, timedelta

import pytest
import sqlalchemy as sa

from conftest import attendee, body_text, private_link
from eventhub.extensions import db
from eventhub.models import OutboxMessage, PrivateLink, Registration, RegistrationStatus
from eventhub.registration.services import (
    EmailTaken,
    EventEnded,
    RegistrationClosed,
    cancel_registration,
    register,
    registration_for_token,
    rejoin,
    revoke_private_links,
    update_details,
    waitlist_position,
)


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
    assert token not in str(registration.id) + registration.email
    assert registration_for_token(token[:-1] + ("A" if token[-1] != "A" else "B")) is None
    assert registration_for_token("") is None


def test_revoked_links_stop_working(make_event, make_registration, mailbox):
    registration = make_registration(make_event())
    token = private_link(mailbox.messages()[0]).removeprefix("/r/")
    assert revoke_private_links(registration) == 1
    db.session.commit()
    assert registration_for_token(token) is None


def test_changing_to_an_email_already_registered_is_refused(make_event, make_registration):
    event = make_event()
    make_registration(event, "taken@example.org")
    mine = make_registration(event, "mine@example.org")
    with pytest.raises(EmailTaken):
        update_details(mine, attendee("Taken@example.org"))
    db.session.rollback()
    assert db.session.get(Registration, mine.id).email == "mine@example.org"


def test_changing_email_sends_a_link_to_the_new_address(make_event, make_registration, mailbox):
    mine = make_registration(make_event(), "old@example.org")
    update_details(mine, attendee("new@example.org", legal_first_name="Anabel"))
    db.session.commit()
    assert mine.email == "new@example.org" and mine.legal_first_name == "Anabel"
    assert len(mailbox.to("new@example.org")) == 1


def test_rejoining_after_cancelling_takes_the_end_of_the_queue(make_event, make_registration):
    event = make_event(capacity=1)
    first = make_registration(event, "a@example.org")
    cancel_registration(first)
    db.session.commit()
    make_registration(event, "b@example.org")
    rejoin(first)
    db.session.commit()
    assert first.status is RegistrationStatus.WAITLISTED
    assert waitlist_position(first) == 1


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
    assert entry.kind == "registration_confirmed"
