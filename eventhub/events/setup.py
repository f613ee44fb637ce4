"""Setting an event up: times in the host's zone, free addresses, room clashes on the agenda, the next season."""
import re
from dataclasses import dataclass
from datetime import date, timedelta

import sqlalchemy as sa

from eventhub.extensions import db
from eventhub.models import AgendaItem, Event


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


def next_season_start(event: Event) -> date:
    """The same weekday about half a year on: the network meets twice a year."""
    return event.starts_on + timedelta(weeks=26)
