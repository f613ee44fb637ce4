"""Handing a place to a colleague: the offer, the colleague's own link, the seat and visit seats passing
directly under the lock, never to the waiting list; refusals and the audit trail."""
import re
from datetime import date

import pytest
import sqlalchemy as sa

from eventhub.extensions import db
from eventhub.models import AuditEntry, Registration, RegistrationStatus, SeatStatus
from eventhub.visits.services import Screening

from conftest import place_of, private_link


def offer_link(mailbox, address: str) -> str:
    [offer] = [m for m in mailbox.to(address) if "offers you their place" in m["Subject"]]
    return re.search(r"https?://[^/\s]+(/take-place/\S+)", offer.get_body(("plain",)).get_content()).group(1)


@pytest.fixture
def giver(make_event, make_visit, book, mailbox):
    """A full event (2 seats, 1 waiting); the seated giver holds the one seat of a visit (with screening
    details given) that another attendee waits for."""
    event = make_event(title="Spring Convening", capacity=2)
    school = event.hosts[0].schools[0]
    school.screening_dob_required = True
    visit = make_visit(event, seats=1, title="Tablets in K-1", school=school)
    db.session.commit()
    ana = book(event, "ana@example.org", visit, legal_first_name="Ana", legal_last_name="García",
               screening=Screening(date_of_birth=date(1979, 4, 23), consent=True))
    book(event, "bob@example.org", visit)  # seated at the event, waiting for the visit
    waiting = book(event, "wait@example.org", visit)  # waiting for the event
    link = private_link(mailbox.to("ana@example.org")[0])
    return event, visit, ana, waiting, link


def offer(client, link, **changes):
    data = {"legal_first_name": "Ben", "legal_last_name": "Okafor", "email": "ben@example.org", "role": "teacher"}
    data.update(changes)
    return client.post(f"{link}/hand-over", data=data)


def test_the_place_passes_to_the_colleague_and_not_to_the_waiting_list(client, giver, mailbox):
    event, visit, ana, waiting, link = giver
    assert offer(client, link).status_code == 302
    page = client.get(link).get_data(as_text=True)
    assert "You offered your place to <strong>Ben Okafor</strong>" in page
    db.session.expire_all()
    assert db.session.get(Registration, ana.id).status is RegistrationStatus.CONFIRMED  # still hers
    accept = offer_link(mailbox, "ben@example.org")
    assert "Ana García offers you their place" in client.get(accept).get_data(as_text=True)
    refused = client.post(accept, data={})
    assert refused.status_code == 422 and "visit norms" in refused.get_data(as_text=True)
    taken = client.post(accept, data={"norms": "y"})
    assert taken.status_code == 302 and "/r/" in taken.headers["Location"]
    db.session.expire_all()
    ben = db.session.scalar(sa.select(Registration).where(Registration.email == "ben@example.org"))
    assert ben.status is RegistrationStatus.CONFIRMED and ben.district_id == ana.district_id
    assert db.session.get(Registration, ana.id).status is RegistrationStatus.CANCELLED
    assert db.session.get(Registration, waiting.id).status is RegistrationStatus.WAITLISTED  # nobody promoted
    seat = place_of(ben, visit)
    assert seat.status is SeatStatus.CONFIRMED and seat.date_of_birth is None  # screening never carries over
    assert place_of(ana, visit).status is SeatStatus.CANCELLED
    bob = db.session.scalar(sa.select(Registration).where(Registration.email == "bob@example.org"))
    assert place_of(bob, visit).status is SeatStatus.WAITLISTED  # the visit seat did not go to its waiting list
    subjects = [m["Subject"] for m in mailbox.to("ben@example.org")]
    assert any(s.startswith("You're registered for Spring Convening") for s in subjects)
    assert "Invitation: School visit: Tablets in K-1" in subjects
    ana_mail = {m["Subject"]: m for m in mailbox.to("ana@example.org")}
    assert "Your place at Spring Convening went to Ben Okafor" in ana_mail
    assert "Cancelled: School visit: Tablets in K-1" in ana_mail
    [entry] = db.session.scalars(sa.select(AuditEntry).where(AuditEntry.action == "handed_over"))
    assert entry.subject_id == ana.id and "to Ben Okafor (ben@example.org)" in entry.note
    assert client.get(accept).status_code == 404  # taken up: the link is spent


def test_a_colleague_registered_already_is_refused_with_a_clear_message_and_nobody_else_learns_it(client, giver,
                                                                                                 mailbox):
    event, visit, ana, waiting, link = giver
    # The giver's page says the same for any address: it must not tell who is registered.
    assert offer(client, link, email="wait@example.org").status_code == 302
    refused = client.post(offer_link(mailbox, "wait@example.org"), data={"norms": "y"})
    assert refused.status_code == 422
    assert ("You are registered for Spring Convening already (wait@example.org), so Ana García&#39;s place "
            "cannot pass to you") in refused.get_data(as_text=True)
    db.session.expire_all()
    assert db.session.get(Registration, ana.id).status is RegistrationStatus.CONFIRMED
    assert offer(client, link, email="ANA@example.org").status_code == 422  # not to oneself


def test_an_offer_taken_back_or_overtaken_cannot_be_accepted(client, giver, mailbox):
    from eventhub.registration.services import cancel_registration

    event, visit, ana, waiting, link = giver
    offer(client, link)
    accept = offer_link(mailbox, "ben@example.org")
    client.post(f"{link}/hand-over/withdraw", data={})
    assert client.get(accept).status_code == 404
    offer(client, link, email="cy@example.org")
    again = offer_link(mailbox, "cy@example.org")
    cancel_registration(db.session.get(Registration, ana.id))
    db.session.commit()
    refused = client.post(again, data={"norms": "y"})
    assert refused.status_code == 422 and "no longer holds the place offered" in refused.get_data(as_text=True)
    assert db.session.scalar(sa.select(sa.func.count()).select_from(Registration)
                             .where(Registration.email == "cy@example.org")) == 0


def test_an_old_offer_does_not_take_a_seat_held_again_later(client, giver, mailbox):
    from eventhub.registration.services import cancel_registration, rejoin

    event, visit, ana, waiting, link = giver
    offer(client, link)
    accept = offer_link(mailbox, "ben@example.org")
    cancel_registration(db.session.get(Registration, ana.id))
    db.session.commit()
    event.capacity = 5
    db.session.commit()
    rejoin(db.session.get(Registration, ana.id))
    db.session.commit()
    assert db.session.get(Registration, ana.id).status is RegistrationStatus.CONFIRMED
    refused = client.post(accept, data={"norms": "y"})
    assert refused.status_code == 422 and "no longer holds the place offered" in refused.get_data(as_text=True)


def test_no_hand_over_at_an_event_called_off_or_past_a_visit_notice(client, giver, mailbox):
    from eventhub.events.writes import cancel_event

    event, visit, ana, waiting, link = giver
    visit.school.notice_school_days = 400  # its guest list is long due
    db.session.commit()
    refused = offer(client, link)
    assert refused.status_code == 422 and "needs 400 school days&#39; notice" in refused.get_data(as_text=True)
    visit.school.notice_school_days = 0
    db.session.commit()
    offer(client, link)
    accept = offer_link(mailbox, "ben@example.org")
    cancel_event(event)
    db.session.commit()
    called_off = client.post(accept, data={"norms": "y"})
    assert called_off.status_code == 422 and "over or called off" in called_off.get_data(as_text=True)


def test_taking_an_offer_back_withdraws_every_open_one(client, giver, mailbox):
    from eventhub.models import PlaceHandover

    event, visit, ana, waiting, link = giver
    offer(client, link)
    first = offer_link(mailbox, "ben@example.org")
    db.session.add(PlaceHandover(registration_id=ana.id, email="cy@example.org", legal_first_name="Cy",
                                 legal_last_name="Diaz", role="teacher", token_hash="0" * 64))
    db.session.commit()  # as if a second submit had raced the first
    client.post(f"{link}/hand-over/withdraw", data={})
    db.session.expire_all()
    assert db.session.scalar(sa.select(sa.func.count()).select_from(PlaceHandover)
                             .where(PlaceHandover.withdrawn_at.is_(None))) == 0
    assert client.get(first).status_code == 404


def test_a_place_on_the_waiting_list_cannot_be_handed_on(client, giver, mailbox):
    event, visit, ana, waiting, link = giver
    wait_link = private_link(mailbox.to("wait@example.org")[0])
    response = offer(client, wait_link)
    assert response.status_code == 302
    assert mailbox.to("ben@example.org") == []


@pytest.mark.parametrize("token", ["nope", "x" * 43, "x" * 500, "%00"])
def test_bad_offer_links_are_404(client, token):
    assert client.get(f"/take-place/{token}").status_code == 404
    assert client.post(f"/take-place/{token}", data={"norms": "y"}).status_code == 404
