"""Wall-clock time in an event's or host's zone and the UTC moments the database stores: every
conversion between the two goes through here. Zones are IANA names ("America/Chicago") or tzinfo objects."""
from datetime import UTC, date, datetime, time, timedelta, tzinfo
from zoneinfo import ZoneInfo, available_timezones

Zone = str | tzinfo

# The zones offered where a host's zone is chosen (districts, events): the states' and territories' own.
COMMON_ZONES = ["America/New_York", "America/Chicago", "America/Denver", "America/Phoenix",
                "America/Los_Angeles", "America/Anchorage", "Pacific/Honolulu", "America/Puerto_Rico",
                "Pacific/Guam", "Pacific/Pago_Pago"]


def known_zone(name: str) -> bool:
    """Whether this is an IANA zone name ("America/Detroit"): what a district or event may be in."""
    return name in available_timezones()


def zone_of(zone: Zone) -> tzinfo:
    """The ZoneInfo for a name (ZoneInfo keeps one per name), or the zone itself."""
    return ZoneInfo(zone) if isinstance(zone, str) else zone


def as_utc(moment: datetime) -> datetime:
    """An aware UTC moment; a naive one is read as UTC already (as SQLite hands back aggregates)."""
    return moment.replace(tzinfo=UTC) if moment.tzinfo is None else moment.astimezone(UTC)


def local(moment: datetime, zone: Zone) -> datetime:
    """The moment as wall-clock time in the zone (aware)."""
    return moment.astimezone(zone_of(zone))


def local_date(moment: datetime, zone: Zone) -> date:
    """The day it is in the zone at that moment."""
    return local(moment, zone).date()


def today_in(zone: Zone, now: datetime | None = None) -> date:
    """Today's date in the zone."""
    return local_date(now or datetime.now(UTC), zone)


def at_local(day: date, clock: time, zone: Zone) -> datetime:
    """A wall-clock time on a day in the zone, as an aware UTC moment."""
    return datetime.combine(day, clock, tzinfo=zone_of(zone)).astimezone(UTC)


def local_parts(moment: datetime, zone: Zone) -> tuple[date, time]:
    """The day and wall-clock time (to the minute) of a moment in the zone, for filling a form."""
    here = local(moment, zone)
    return here.date(), here.time().replace(tzinfo=None, second=0, microsecond=0)


def wall_clock(moment: datetime | None, zone: Zone) -> datetime | None:
    """The moment as a naive wall-clock datetime in the zone (what a datetime-local field shows)."""
    return local(moment, zone).replace(tzinfo=None) if moment else None


def from_wall_clock(naive: datetime | None, zone: Zone) -> datetime | None:
    """A naive wall-clock datetime in the zone (a datetime-local field's value), as an aware UTC moment."""
    return naive.replace(tzinfo=zone_of(zone)).astimezone(UTC) if naive else None


def shift_local(moment: datetime | None, days: int, zone: Zone) -> datetime | None:
    """The same wall-clock time `days` later in the zone (so 9:00 stays 9:00 across a DST change)."""
    if moment is None:
        return None
    naive = local(moment, zone).replace(tzinfo=None) + timedelta(days=days)
    return from_wall_clock(naive, zone)
