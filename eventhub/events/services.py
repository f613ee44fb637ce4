"""Reading events for the public: what is upcoming, the agenda by day."""
from datetime import UTC, date, datetime
from itertools import groupby

import sqlalchemy as sa
from sqlalchemy.orm import selectinload

from eventhub.extensions import db
from eventhub.models import AgendaItem, Event, EventStatus, School, Visit
from eventhub.timezones import local_date


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
    visits = db.session.execute(sa.select(sa.func.max(Visit.updated_at), sa.func.count(Visit.id),
                                          sa.func.max(School.updated_at))
                                .join(School, Visit.school_id == School.id)
                                .where(Visit.event_id == event.id)).one()
    latest = max(m for m in (event.updated_at, agenda[0], visits[0], visits[2]) if m is not None)
    if latest.tzinfo is None:  # SQLite's max() comes back as a naive UTC value
        latest = latest.replace(tzinfo=UTC)
    return latest, agenda[1], visits[1]
