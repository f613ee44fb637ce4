"""Setting an event up: times in the host's zone, room clashes on the agenda, cloning to the next season."""
import re
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

import sqlalchemy as sa

from eventhub.extensions import db
from eventhub.models import AgendaItem, Event, EventStatus, Visit, VisitStatus


class SetupError(Exception):
    """The change cannot be made as asked; the message says why."""


def at_local(day: date, clock: time, zone: str) -> datetime:
    """A wall-clock time on a day in the host's zone, as an aware UTC moment."""
    return datetime.combine(day, clock, tzinfo=ZoneInfo(zone)).astimezone(UTC)


def local_parts(moment: datetime, zone: str) -> tuple[date, time]:
    """The day and wall-clock time of a moment in the host's zone (for filling a form)."""
    here = moment.astimezone(ZoneInfo(zone))
    return here.date(), here.time().replace(tzinfo=None, second=0, microsecond=0)


def event_days(event: Event) -> list[date]:
    """Every day of the event, first to last."""
    return [event.starts_on + timedelta(days=n) for n in range((event.ends_on - event.starts_on).days + 1)]


def slug_is_free(slug: str, but: Event | None = None) -> bool:
    """Whether no other event has this address."""
    query = sa.select(Event.id).where(Event.slug == slug)
    if but is not None:
        query = query.where(Event.id != but.id)
    return db.session.scalar(query) is None


SLUG = re.compile(r"^[a-z0-9]+(?:-[a-z0-9]+)*$")


# --- room clashes ------------------------------------------------------------------------------


@dataclass(frozen=True)
class Clash:
    """Two agenda items in one room at overlapping times."""

    first: AgendaItem
    second: AgendaItem

    @property
    def room(self) -> str:
        return self.first.room.strip()


def _room_key(room: str) -> str:
    return " ".join(room.lower().split())


def room_clashes(items: list[AgendaItem]) -> list[Clash]:
    """Pairs of items that share a room while both are on: each pair once, in agenda order."""
    by_room: dict[str, list[AgendaItem]] = {}
    for item in items:
        if _room_key(item.room):
            by_room.setdefault(_room_key(item.room), []).append(item)
    clashes = []
    for same_room in by_room.values():
        same_room.sort(key=lambda i: (i.starts_at, i.id or 0))
        for n, item in enumerate(same_room):
            for later in same_room[n + 1:]:
                if later.starts_at >= item.ends_at:
                    break
                clashes.append(Clash(item, later))
    return sorted(clashes, key=lambda c: (c.first.starts_at, c.second.starts_at))


def clashes_with(item: AgendaItem, items: list[AgendaItem]) -> list[AgendaItem]:
    """The other items in the same room while this one is on."""
    return [other for clash in room_clashes(items) for mine, other in ((clash.first, clash.second),
                                                                        (clash.second, clash.first))
            if mine is item]


# --- cloning ---------------------------------------------------------------------------------------


def _shift(moment: datetime | None, days: int, zone: ZoneInfo) -> datetime | None:
    """The same wall-clock time `days` later in the host's zone (so 9:00 stays 9:00 across a DST change)."""
    if moment is None:
        return None
    here = moment.astimezone(zone)
    naive = here.replace(tzinfo=None) + timedelta(days=days)
    return naive.replace(tzinfo=zone).astimezone(UTC)


def clone_event(source: Event, *, slug: str, title: str, starts_on: date) -> Event:
    """A draft copy of an event for the next season: dates shifted, agenda, visits and form settings kept,
    no registrations. Cancelled visits are left behind."""
    if not SLUG.match(slug):
        raise SetupError("The address may hold only lower-case letters, digits and hyphens.")
    if not slug_is_free(slug):
        raise SetupError(f"Another event already uses the address “{slug}”.")
    days = (starts_on - source.starts_on).days
    zone = source.zone
    copy = Event(
        slug=slug, title=title, kind=source.kind, summary=source.summary, venue_name=source.venue_name,
        venue_address=source.venue_address, timezone=source.timezone,
        starts_on=source.starts_on + timedelta(days=days), ends_on=source.ends_on + timedelta(days=days),
        registration_opens_at=_shift(source.registration_opens_at, days, zone),
        registration_closes_at=_shift(source.registration_closes_at, days, zone),
        capacity=source.capacity, status=EventStatus.DRAFT, visit_allocation=source.visit_allocation,
        choices_close_at=_shift(source.choices_close_at, days, zone),
        followup_days=list(source.followup_days or []),
        # None would take the column's default (14): an explicit NULL keeps "no reminder".
        followup_before_next_days=sa.null() if source.followup_before_next_days is None
        else source.followup_before_next_days,
    )
    copy.hosts = list(source.hosts)
    db.session.add(copy)
    blocks: dict[int, AgendaItem] = {}
    for item in source.agenda_items:
        new = AgendaItem(event=copy, title=item.title, description=item.description, room=item.room,
                         kind=item.kind, topic=item.topic, starts_at=_shift(item.starts_at, days, zone),
                         ends_at=_shift(item.ends_at, days, zone))
        blocks[item.id] = new
        db.session.add(new)
    for visit in source.visits:
        if visit.status is not VisitStatus.SCHEDULED:
            continue
        db.session.add(Visit(
            event=copy, block=blocks.get(visit.block_id), school_id=visit.school_id, title=visit.title,
            focus=visit.focus, topics=list(visit.topics), starts_at=_shift(visit.starts_at, days, zone),
            ends_at=_shift(visit.ends_at, days, zone), meeting_point=visit.meeting_point,
            bus_departs_at=_shift(visit.bus_departs_at, days, zone), transport=visit.transport,
            host_contact_name=visit.host_contact_name, host_contact_email=visit.host_contact_email,
            host_contact_phone=visit.host_contact_phone, lunch_provided=visit.lunch_provided,
            seats_override=visit.seats_override, buses=visit.buses, room_limit=visit.room_limit,
            observation_groups=visit.observation_groups, group_size=visit.group_size,
        ))
    db.session.flush()
    return copy


def next_season_start(event: Event) -> date:
    """The same weekday about half a year on: the network meets twice a year."""
    return event.starts_on + timedelta(weeks=26)
