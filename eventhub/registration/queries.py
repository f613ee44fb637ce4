"""Read-only questions about registrations: seats taken, waiting-list places, who is registered."""
from collections.abc import Callable
from dataclasses import dataclass

import sqlalchemy as sa

from eventhub.extensions import db
from eventhub.models import Event, Registration, RegistrationStatus
from eventhub.waiting import place_in_line


@dataclass(frozen=True)
class SeatSummary:
    """Seats taken and left at an event; `capacity` None means unlimited."""

    capacity: int | None
    confirmed: int
    waitlisted: int

    @property
    def left(self) -> int | None:
        """Seats still free, or None when there is no limit."""
        return None if self.capacity is None else max(self.capacity - self.confirmed, 0)

    @property
    def full(self) -> bool:
        """Whether the next registration would join the waiting list."""
        return self.capacity is not None and (self.confirmed >= self.capacity or self.waitlisted > 0)

    # The seat rules. Each question has its own answer on purpose; all read this one count.

    def seat_for_newcomer(self) -> bool:
        """Someone arriving (or rejoining) gets a seat only if one is free and nobody waits for it."""
        return not self.full

    def seat_for_waiting(self, position: Callable[[], int | None]) -> bool:
        """Someone on the waiting list gets a seat only if one is free and they are at the head
        (`position` is asked only when a seat is free)."""
        return self.capacity is None or (self.confirmed < self.capacity and position() == 1)

    def seats_for_queue(self) -> int | None:
        """How many from the head of the waiting list get a seat now (None: all of them, no limit)."""
        return self.left

    def seat_for_organizer(self) -> bool:
        """An organizer may seat someone ahead of the queue, but never beyond the event's seats."""
        return self.capacity is None or self.confirmed < self.capacity

    def seat_would_come_back(self) -> bool:
        """Whether a seat taken from a confirmed person would be free with nobody else waiting for it,
        so the queue would hand it straight back to them."""
        assert self.capacity is not None
        return self.waitlisted < self.capacity - (self.confirmed - 1)


def seat_summary(event: Event) -> SeatSummary:
    """Count confirmed and waiting registrations."""
    rows = db.session.execute(
        sa.select(Registration.status, sa.func.count())
        .where(Registration.event_id == event.id)
        .group_by(Registration.status)
    ).all()
    counts = {status: count for status, count in rows}
    return SeatSummary(
        capacity=event.capacity,
        confirmed=counts.get(RegistrationStatus.CONFIRMED, 0),
        waitlisted=counts.get(RegistrationStatus.WAITLISTED, 0),
    )


def waitlist_position(registration: Registration) -> int | None:
    """1 for the head of the event's waiting list; None when not waiting."""
    if registration.status is not RegistrationStatus.WAITLISTED:
        return None
    return place_in_line(Registration, registration, Registration.event_id == registration.event_id)


def find_registration(event: Event, email: str) -> Registration | None:
    """The registration of this email at this event, whatever its status."""
    return db.session.scalar(
        sa.select(Registration).where(Registration.event_id == event.id, Registration.email == email.lower())
    )
