"""Reading events for the public: what is upcoming, the agenda by day, the registration window."""
import enum
from dataclasses import dataclass
from datetime import UTC, date, datetime
from itertools import groupby

import sqlalchemy as sa
from sqlalchemy.orm import selectinload

from eventhub.extensions import db
from eventhub.models import AgendaItem, Event, EventStatus, Visit
from eventhub.templating import moment
from eventhub.timezones import local_date


class WindowState(enum.StrEnum):
    """Whether registration is possible right now."""

    NOT_YET_OPEN = "not_yet_open"
    OPEN = "open"
    CLOSED = "closed"
    UNAVAILABLE = "unavailable"


@dataclass(frozen=True)
class RegistrationWindow:
    """The state of an event's registration window and how to say it."""

    state: WindowState
    message: str

    @property
    def is_open(self) -> bool:
        """Whether a registration would be accepted now."""
        return self.state is WindowState.OPEN


def registration_window(event: Event, now: datetime) -> RegistrationWindow:
    """Tell whether registration is open at `now`, and when it opens or that it closed."""
    tz = event.timezone
    if event.status is EventStatus.CANCELLED:
        return RegistrationWindow(WindowState.UNAVAILABLE, "This event has been cancelled.")
    if event.status is not EventStatus.PUBLISHED:
        return RegistrationWindow(WindowState.UNAVAILABLE, "Registration is not available for this event.")
    if event.registration_opens_at and now < event.registration_opens_at:
        return RegistrationWindow(
            WindowState.NOT_YET_OPEN,
            f"Registration opens {moment(event.registration_opens_at, tz)}.",
        )
    if event.registration_closes_at and now >= event.registration_closes_at:
        return RegistrationWindow(
            WindowState.CLOSED,
            f"Registration closed {moment(event.registration_closes_at, tz)}.",
        )
    if local_date(now, event.zone) > event.ends_on:
        return RegistrationWindow(WindowState.CLOSED, "This event has ended.")
    if event.registration_closes_at:
        return RegistrationWindow(
            WindowState.OPEN, f"Registration is open until {moment(event.registration_closes_at, tz)}."
        )
    return RegistrationWindow(WindowState.OPEN, "Registration is open.")


def public_event(slug: str) -> Event | None:
    """The event behind a public URL; drafts are not public."""
    # Hosts load when a page shows them; the registration POST, the busiest request, never does.
    return db.session.scalar(sa.select(Event).where(Event.slug == slug, Event.status != EventStatus.DRAFT))


def event_by_slug(slug: str) -> Event | None:
    """Any event, drafts included, by its slug: for the back office."""
    return db.session.scalar(sa.select(Event).where(Event.slug == slug))


def listed_events(now: datetime) -> tuple[list[Event], list[Event]]:
    """Published and cancelled events split into upcoming (soonest first) and past (latest first).

    An event is upcoming until its last day is over in its own time zone.
    """
    events = db.session.scalars(
        sa.select(Event)
        .where(Event.status != EventStatus.DRAFT)
        .options(selectinload(Event.hosts))
        .order_by(Event.starts_on)
    ).all()
    upcoming = [e for e in events if e.ends_on >= local_date(now, e.zone)]
    past = [e for e in reversed(events) if e not in upcoming]
    return upcoming, past


def agenda_by_day(event: Event) -> list[tuple[date, list[AgendaItem]]]:
    """The agenda grouped by calendar day in the event's zone, in time order."""
    zone = event.zone
    items = db.session.scalars(
        sa.select(AgendaItem).where(AgendaItem.event_id == event.id).order_by(AgendaItem.starts_at, AgendaItem.id)
    ).all()
    return [
        (day, list(group))
        for day, group in groupby(items, key=lambda item: local_date(item.starts_at, zone))
    ]


def agenda_version(event: Event) -> tuple:
    """What the published agenda (feed, printout) depends on: the latest change and the counts."""
    agenda = db.session.execute(sa.select(sa.func.max(AgendaItem.updated_at), sa.func.count(AgendaItem.id))
                                .where(AgendaItem.event_id == event.id)).one()
    visits = db.session.execute(sa.select(sa.func.max(Visit.updated_at), sa.func.count(Visit.id))
                                .where(Visit.event_id == event.id)).one()
    latest = max(m for m in (event.updated_at, agenda[0], visits[0]) if m is not None)
    if latest.tzinfo is None:  # SQLite's max() comes back as a naive UTC value
        latest = latest.replace(tzinfo=UTC)
    return latest, agenda[1], visits[1]
