"""Handing a place to a colleague: a confirmed attendee who cannot come offers their place to a colleague of
the same district; the colleague accepts through their own emailed link and gets their own registration,
seat and visit seats, which pass directly (the waiting list does not get them). Functions flush, never
commit."""
import secrets
from datetime import datetime, timedelta

import sqlalchemy as sa

from eventhub.errors import DomainError
from eventhub.extensions import db
from eventhub.locking import lock_event
from eventhub.models import EventStatus, PlaceHandover, Registration, RegistrationStatus, SeatStatus, utcnow
from eventhub.notifications.attendees import send_registration_email
from eventhub.notifications.kinds import EmailKind
from eventhub.outbox.services import queue_email
from eventhub.registration.queries import find_registration
from eventhub.registration.services import AttendeeDetails, check_member_addresses
from eventhub.timezones import local_date
from eventhub.tokens import token_digest
from eventhub.urls import external_url
from eventhub.visits.queries import places_for
from eventhub.visits.services import hand_over_seats, notice_phrase, release_all_places, within_notice

# An offer not taken up in this time lapses; the place stays the giver's.
OFFER_VALID_FOR = timedelta(days=7)


class HandoverError(DomainError):
    """A hand-over was refused; the message is for the person asking."""


def open_offer(giver: Registration, now: datetime | None = None) -> PlaceHandover | None:
    """The giver's offer still waiting for the colleague, if any."""
    now = now or utcnow()
    return db.session.scalar(sa.select(PlaceHandover).where(
        PlaceHandover.registration_id == giver.id, PlaceHandover.accepted_at.is_(None),
        PlaceHandover.withdrawn_at.is_(None), PlaceHandover.created_at > now - OFFER_VALID_FOR)
        .order_by(PlaceHandover.id.desc()).limit(1))


def _check_place(giver: Registration, now: datetime) -> None:
    """The place can pass: a seat at a published event not over, on no visit whose guest list is due."""
    event = giver.event
    if event.status is not EventStatus.PUBLISHED or local_date(now, event.zone) > event.ends_on:
        raise HandoverError("This event is over or called off: its places no longer pass from one person to "
                            "another.")
    if giver.status is not RegistrationStatus.CONFIRMED:
        raise HandoverError("Only a seat at the event can be handed on; a place on the waiting list cannot.")
    late = next((p.visit for p in places_for(giver)
                 if p.status is SeatStatus.CONFIRMED and within_notice(p.visit, now)), None)
    if late is not None:
        raise HandoverError(notice_phrase(late) + " Ask the organizers: only they can change its guest list now.")


def offer_place(giver: Registration, colleague: AttendeeDetails, *, now: datetime | None = None) -> PlaceHandover:
    """Offer the giver's place to a colleague of their district (an earlier offer is withdrawn) and email the
    colleague a link to accept it. Until they do, the place stays the giver's."""
    now = now or utcnow()
    event = giver.event
    lock_event(event)  # two offers sent at once: one stands, the other is withdrawn by it
    db.session.refresh(giver)
    _check_place(giver, now)
    if colleague.email.lower() == giver.email.lower():
        raise HandoverError("Give the place to a colleague: enter their email address, not yours.")
    check_member_addresses(event, [colleague.email])
    # Whether the colleague is registered already is told to them when they open their link, not here: this
    # page must not tell anyone who is registered.
    _withdraw_open(giver, now)
    token = secrets.token_urlsafe(32)
    offer = PlaceHandover(registration=giver, email=colleague.email, legal_first_name=colleague.legal_first_name,
                          legal_last_name=colleague.legal_last_name, role=colleague.role,
                          token_hash=token_digest(token), created_at=now)
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


def _withdraw_open(giver: Registration, now: datetime) -> list[PlaceHandover]:
    offers = list(db.session.scalars(sa.select(PlaceHandover).where(
        PlaceHandover.registration_id == giver.id, PlaceHandover.accepted_at.is_(None),
        PlaceHandover.withdrawn_at.is_(None)).order_by(PlaceHandover.id.desc())))
    for offer in offers:
        offer.withdrawn_at = now
    db.session.flush()
    return offers


def withdraw_offer(giver: Registration, *, now: datetime | None = None) -> PlaceHandover:
    """The giver takes their offer back (every open one); its link stops working."""
    offers = _withdraw_open(giver, now or utcnow())
    if not offers:
        raise HandoverError("There is no offer of your place to take back.")
    return offers[0]


def offer_for_token(token: str, now: datetime | None = None) -> PlaceHandover | None:
    """The offer a link opens, while it can still be accepted."""
    if not token or len(token) > 100:
        return None
    now = now or utcnow()
    return db.session.scalar(sa.select(PlaceHandover).where(
        PlaceHandover.token_hash == token_digest(token), PlaceHandover.accepted_at.is_(None),
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
    db.session.refresh(offer)
    # The place offered is the seat the giver held then: one taken again since (a cancellation, a new seat)
    # is not part of the offer.
    held_since = giver.confirmed_at
    if (offer.withdrawn_at is not None or offer.accepted_at is not None
            or giver.status is not RegistrationStatus.CONFIRMED
            or (held_since is not None and held_since > offer.created_at)):
        raise HandoverError(f"{giver.display_name} no longer holds the place offered, so it cannot pass to you.")
    _check_place(giver, now)
    check_member_addresses(event, [offer.email])  # the event may have become members-only since the offer
    if find_registration(event, offer.email) is not None:
        raise HandoverError(f"You are registered for {event.title} already ({offer.email}), so "
                            f"{giver.display_name}'s place cannot pass to you: you keep your own registration.")
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
