"""What organizers do to one registration: fix its details, move it to another visit, promote it from or
return it to a waiting list, cancel it, resend its confirmation. Each step keeps the seat rules: no visit
or event over its seats, one seat per visit block, and whoever gains or loses a place is told."""
from datetime import datetime

import sqlalchemy as sa

from eventhub.events.services import lock_event
from eventhub.extensions import db
from eventhub.models import (
    Registration,
    RegistrationStatus,
    SeatStatus,
    Visit,
    VisitChoice,
    VisitSeat,
    VisitStatus,
    utcnow,
)
from eventhub.registration.emails import send_registration_email, send_visit_invitation
from eventhub.registration.queries import seat_summary
from eventhub.registration.services import (
    AttendeeDetails,
    _move_invitations,
    _send_welcome,
    give_waiting_seat,
    promote_from_waitlist,
)
from eventhub.visits.queries import free_seats
from eventhub.visits.services import (
    _current_places,
    _place,
    book_first_come,
    in_block,
    promote_visit_waitlist,
    release_all_places,
)


def _seats(n: int) -> str:
    return f"{n} seat" if n == 1 else f"{n} seats"


class ManageError(Exception):
    """The change would break a rule; the message says which and what to do instead."""


def edit_details(registration: Registration, details: AttendeeDetails) -> None:
    """Save corrected details. A corrected email moves the invitations to the new address at once
    (the organizer vouches for it; attendees confirm theirs from a link)."""
    new_email = details.email.lower()
    if new_email != registration.email:
        taken = db.session.scalar(sa.select(Registration.id).where(
            Registration.event_id == registration.event_id, Registration.email == new_email,
            Registration.id != registration.id))
        if taken:
            raise ManageError(f"{new_email} is already registered for this event.")
    details.email = registration.email
    details.apply_to(registration)
    db.session.flush()
    if new_email != registration.email:
        _move_invitations(registration, new_email)


def promote(registration: Registration, *, now: datetime | None = None) -> None:
    """Give a waiting registrant a seat at the event now, ahead of the queue, if a seat is free."""
    now = now or utcnow()
    event = registration.event
    lock_event(event)
    db.session.refresh(registration)
    if registration.status is not RegistrationStatus.WAITLISTED:
        raise ManageError("Only someone on the waiting list can be promoted.")
    seats = seat_summary(event)
    if seats.capacity is not None and seats.confirmed >= seats.capacity:
        raise ManageError(f"The event is full ({seats.confirmed} of {_seats(seats.capacity)}): raise its capacity "
                          "in the event's settings, or cancel someone, first.")
    give_waiting_seat(registration, now)


def return_to_waitlist(registration: Registration, *, now: datetime | None = None) -> list[Registration]:
    """Take a confirmed registrant's seat back and put them at the end of the waiting list; the seat goes to
    the head of the list. Their visit seats go too (a waiting registrant holds none). Returns who got a seat."""
    now = now or utcnow()
    event = registration.event
    lock_event(event)
    db.session.refresh(registration)
    if registration.status is not RegistrationStatus.CONFIRMED:
        raise ManageError("Only someone with a seat can be returned to the waiting list.")
    seats = seat_summary(event)
    if seats.capacity is None:
        raise ManageError("This event has no capacity limit, so nobody waits: set a capacity first.")
    free_after = seats.capacity - (seats.confirmed - 1)
    if seats.waitlisted < free_after:
        raise ManageError("There would be a free seat and nobody else waiting for it, "
                          "so they would get their seat straight back.")
    registration.status, registration.waitlisted_at = RegistrationStatus.WAITLISTED, now
    db.session.flush()
    release_all_places(registration, now=now)
    send_registration_email(registration, "registration_back_to_waitlist",
                            f"You're back on the waiting list for {event.title}")
    return promote_from_waitlist(event, now)


def _visit_of_event(registration: Registration, visit_id: int) -> Visit:
    visit = db.session.get(Visit, visit_id)
    if visit is None or visit.event_id != registration.event_id:
        raise ManageError("That visit is not part of this event.")
    if visit.status is not VisitStatus.SCHEDULED:
        raise ManageError(f"“{visit.title}” is cancelled.")
    return visit


def _rank_first(registration: Registration, visit: Visit) -> None:
    """Make the visit the person's first choice in its block, so a later rebooking keeps them on it."""
    choices = list(db.session.scalars(
        sa.select(VisitChoice).join(Visit)
        .where(VisitChoice.registration_id == registration.id, Visit.event_id == visit.event_id,
               in_block(Visit.block_id, visit.block_id))
        .order_by(VisitChoice.rank)))
    others = [c for c in choices if c.visit_id != visit.id]
    mine = next((c for c in choices if c.visit_id == visit.id), None)
    if mine is None:
        mine = VisitChoice(registration=registration, visit=visit, rank=1)
        db.session.add(mine)
    mine.rank = 1
    for rank, choice in enumerate(others[:2], start=2):
        choice.rank = rank
    for choice in others[2:]:
        db.session.delete(choice)
    db.session.flush()


def move_to_visit(registration: Registration, visit_id: int, *, wait: bool = False,
                  now: datetime | None = None) -> VisitSeat:
    """Seat the person on another visit (their place in the same block is given up and passed on).

    A full visit is refused, unless `wait`: then they join its waiting list and keep the seat they hold.
    """
    now = now or utcnow()
    lock_event(registration.event)
    db.session.refresh(registration)
    if registration.status is not RegistrationStatus.CONFIRMED:
        raise ManageError("Only someone with a seat at the event can have a visit seat.")
    visit = _visit_of_event(registration, visit_id)
    current = _current_places(registration, visit.block_id)
    mine = next((p for p in current if p.visit_id == visit.id), None)
    if mine is not None and mine.status is SeatStatus.CONFIRMED:
        raise ManageError(f"They already have a seat on “{visit.title}”.")
    if free_seats(visit) > 0:
        _rank_first(registration, visit)
        booking = book_first_come(registration, visit.block_id, ranking=[visit.id], now=now)
        return booking.place
    if not wait:
        raise ManageError(f"“{visit.title}” is full ({_seats(visit.seats)}). Add them to its waiting list instead, "
                          "or give the visit more seats.")
    if mine is not None:
        raise ManageError(f"They are already on the waiting list of “{visit.title}”.")
    _rank_first(registration, visit)
    place = _place(registration, visit, status=SeatStatus.WAITLISTED, now=now)
    place.status, place.waitlisted_at, place.cancelled_at = SeatStatus.WAITLISTED, now, None
    db.session.flush()
    return place


def promote_place(place: VisitSeat, *, now: datetime | None = None) -> None:
    """Give a waiting place on a visit a seat now, ahead of its queue, if the visit has a free seat."""
    now = now or utcnow()
    lock_event(place.visit.event)
    db.session.refresh(place)
    if place.status is not SeatStatus.WAITLISTED:
        raise ManageError("Only a waiting place can be promoted.")
    if place.registration.status is not RegistrationStatus.CONFIRMED:
        raise ManageError("They wait for a seat at the event itself: promote them there first.")
    if free_seats(place.visit) == 0:
        raise ManageError(f"“{place.visit.title}” is full ({_seats(place.visit.seats)}): give it more seats, "
                          "or move someone off it, first.")
    _rank_first(place.registration, place.visit)
    book_first_come(place.registration, place.visit.block_id, ranking=[place.visit_id], now=now)


def return_place_to_waitlist(place: VisitSeat, *, now: datetime | None = None) -> list[VisitSeat]:
    """Take a visit seat back and put the person at the end of its waiting list; the seat goes to the head."""
    now = now or utcnow()
    visit = place.visit
    lock_event(visit.event)
    db.session.refresh(place)
    if place.status is not SeatStatus.CONFIRMED:
        raise ManageError("Only a seat can be returned to the waiting list.")
    waiting = db.session.scalar(sa.select(sa.func.count()).where(
        VisitSeat.visit_id == visit.id, VisitSeat.status == SeatStatus.WAITLISTED))
    if waiting < free_seats(visit) + 1:
        raise ManageError("There would be a free seat and nobody else waiting for it, "
                          "so they would get their seat straight back.")
    place.status, place.waitlisted_at = SeatStatus.WAITLISTED, now
    db.session.flush()
    send_visit_invitation(place, "CANCEL", "back_to_waitlist")
    return promote_visit_waitlist(visit, now=now)


def resend_confirmation(registration: Registration) -> None:
    """Send the confirmation (or waiting-list) email again, with a fresh private link and invitation."""
    if registration.status is RegistrationStatus.CANCELLED:
        raise ManageError("This registration is cancelled: there is no confirmation to send.")
    _send_welcome(registration)
