"""Handing a place to a colleague: a confirmed attendee who cannot come offers their place to a colleague of
the same district; the colleague accepts through their own emailed link and gets their own registration,
seat and visit seats, which pass directly (the waiting list does not get them). Functions flush, never
commit."""
import hashlib
import secrets
from datetime import datetime, timedelta

import sqlalchemy as sa

from eventhub.errors import DomainError
from eventhub.extensions import db
from eventhub.locking import lock_event
from eventhub.models import PlaceHandover, Registration, RegistrationStatus, SeatStatus, utcnow
from eventhub.notifications.attendees import send_registration_email
from eventhub.notifications.kinds import EmailKind
from eventhub.outbox.services import queue_email
from eventhub.registration.queries import find_registration
from eventhub.registration.services import AttendeeDetails
from eventhub.timezones import local_date
from eventhub.urls import external_url
from eventhub.visits.queries import places_for
from eventhub.visits.services import hand_over_seats, release_all_places

# An offer not taken up in this time lapses; the place stays the giver's.
OFFER_VALID_FOR = timedelta(days=7)


class HandoverError(DomainError):
    """A hand-over was refused; the message is for the person asking."""


def _hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def open_offer(giver: Registration, now: datetime | None = None) -> PlaceHandover | None:
    """The giver's offer still waiting for the colleague, if any."""
    now = now or utcnow()
    return db.session.scalar(sa.select(PlaceHandover).where(
        PlaceHandover.registration_id == giver.id, PlaceHandover.accepted_at.is_(None),
        PlaceHandover.withdrawn_at.is_(None), PlaceHandover.created_at > now - OFFER_VALID_FOR)
        .order_by(PlaceHandover.id.desc()).limit(1))


def _check_colleague(giver: Registration, email: str) -> None:
    if email.lower() == giver.email.lower():
        raise HandoverError("Give the place to a colleague: enter their email address, not yours.")
    if find_registration(giver.event, email) is not None:
        raise HandoverError(f"{email} is registered for this event already: they keep their own registration, "
                            "so your place cannot go to them. Cancel yours instead, and it goes to the waiting list.")


def offer_place(giver: Registration, colleague: AttendeeDetails, *, now: datetime | None = None) -> PlaceHandover:
    """Offer the giver's place to a colleague of their district (an earlier offer is withdrawn) and email the
    colleague a link to accept it. Until they do, the place stays the giver's."""
    now = now or utcnow()
    event = giver.event
    if giver.status is not RegistrationStatus.CONFIRMED:
        raise HandoverError("Only a seat at the event can be handed on; a place on the waiting list cannot.")
    if local_date(now, event.zone) > event.ends_on:
        raise HandoverError("This event has ended.")
    _check_colleague(giver, colleague.email)
    earlier = open_offer(giver, now)
    if earlier is not None:
        earlier.withdrawn_at = now
    token = secrets.token_urlsafe(32)
    offer = PlaceHandover(registration=giver, email=colleague.email, legal_first_name=colleague.legal_first_name,
                          legal_last_name=colleague.legal_last_name, role=colleague.role, token_hash=_hash(token),
                          created_at=now)
    db.session.add(offer)
    db.session.flush()
    seats = [p.visit for p in places_for(giver) if p.status is SeatStatus.CONFIRMED]
    queue_email(kind=EmailKind.PLACE_OFFERED, to_address=colleague.email,
                to_name=f"{colleague.legal_first_name} {colleague.legal_last_name}",
                subject=f"{giver.display_name} offers you their place at {event.title}",
                template="registration/place_offered",
                context={"giver": giver, "event": event, "visits": seats, "offer": offer,
                         "url": external_url("registration.accept_place_page", token=token),
                         "days": OFFER_VALID_FOR.days})
    return offer


def withdraw_offer(giver: Registration, *, now: datetime | None = None) -> PlaceHandover:
    """The giver takes their offer back; its link stops working."""
    offer = open_offer(giver, now)
    if offer is None:
        raise HandoverError("There is no offer of your place to take back.")
    offer.withdrawn_at = now or utcnow()
    db.session.flush()
    return offer


def offer_for_token(token: str, now: datetime | None = None) -> PlaceHandover | None:
    """The offer a link opens, while it can still be accepted."""
    if not token or len(token) > 100:
        return None
    now = now or utcnow()
    return db.session.scalar(sa.select(PlaceHandover).where(
        PlaceHandover.token_hash == _hash(token), PlaceHandover.accepted_at.is_(None),
        PlaceHandover.withdrawn_at.is_(None), PlaceHandover.created_at > now - OFFER_VALID_FOR))


def accept_place(offer: PlaceHandover, *, norms_accepted: bool, now: datetime | None = None) -> Registration:
    """The colleague takes the place, under the event's lock: their own registration (confirmed), the giver's
    visit seats, their own emails and invitations. The giver's registration ends, its invitations withdrawn;
    nothing goes to the waiting list."""
    now = now or utcnow()
    giver = offer.registration
    event = giver.event
    lock_event(event)
    db.session.refresh(giver)
    if giver.status is not RegistrationStatus.CONFIRMED:
        raise HandoverError(f"{giver.display_name} no longer holds this place, so it cannot pass to you.")
    _check_colleague(giver, offer.email)
    seats = [p for p in places_for(giver) if p.status is SeatStatus.CONFIRMED]
    if seats and not norms_accepted:
        raise HandoverError("Please confirm that you will follow the visit norms: the place comes with school "
                            "visits.")
    colleague = Registration()
    colleague.enter(now, limited=False)  # the seat passes directly: the waiting list does not get it
    AttendeeDetails(email=offer.email, legal_first_name=offer.legal_first_name,
                    legal_last_name=offer.legal_last_name, role=offer.role, district_id=giver.district_id,
                    other_organization=giver.other_organization).apply_to(colleague)
    colleague.event = event
    colleague.visit_norms_acknowledged_at = now if seats else None
    db.session.add(colleague)
    db.session.flush()
    hand_over_seats(giver, colleague, now=now, norms_acknowledged_at=colleague.visit_norms_acknowledged_at)
    release_all_places(giver, now=now)  # what is left (waiting places) goes with the giver's registration
    giver.cancel(now)
    offer.accepted_at, offer.new_registration_id = now, colleague.id
    db.session.flush()
    send_registration_email(giver, EmailKind.REGISTRATION_CANCELLED, f"Your place at {event.title} went to "
                            f"{offer.colleague_name}", handed_to=offer.colleague_name)
    send_registration_email(colleague, EmailKind.REGISTRATION_WELCOME, "")
    return colleague
