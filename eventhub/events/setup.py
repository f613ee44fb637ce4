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


_SEASONS = {"spring": "fall", "fall": "spring", "autumn": "spring"}


def next_season_names(event: Event, starts_on: date) -> tuple[str, str]:
    """The title and a free web address proposed for the copy starting on `starts_on`: the season word and the
    year moved on ("Spring Convening 2027" → "Fall Convening 2027"), the address made from the new title
    (never "…-2027-2027")."""
    def season(word: re.Match) -> str:
        new = _SEASONS[word.group(0).lower()]
        return new.capitalize() if word.group(0)[0].isupper() else new

    title = re.sub(r"\b(?:spring|fall|autumn)\b", season, event.title, flags=re.I)
    years = starts_on.year - event.starts_on.year

    def moved(found: re.Match) -> str:  # "2026" → "2027"; a school year "2026–27" → "2027–28"
        text = str(int(found.group(1)) + years)
        if found.group(3):
            text += found.group(2) + f"{(int(found.group(3)) + years) % 100:02d}"
        return text

    title = re.sub(r"\b(20\d\d)(?:([–/-])(\d\d))?\b", moved, title)
    if title == event.title:
        title = f"{event.title} ({starts_on:%B %Y})"
    base = re.sub(r"[^a-z0-9]+", "-", title.lower())[:70].strip("-") or "event"
    slug, n = base, 2
    while not slug_is_free(slug):
        slug, n = f"{base}-{n}", n + 1
    return title[:200], slug
