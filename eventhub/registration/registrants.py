"""Who registered for an event, filtered, searched, sorted and paged in a fixed number of queries."""
import enum
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

import sqlalchemy as sa
from sqlalchemy.orm import QueryableAttribute, joinedload, selectinload

from eventhub.errors import DomainError
from eventhub.extensions import db
from eventhub.models import (
    ACCESSIBILITY_OPTIONS,
    DIETARY_OPTIONS,
    AttendeeRole,
    District,
    Event,
    Registration,
    RegistrationStatus,
    SeatStatus,
    Visit,
    VisitSeat,
)


class Need(enum.StrEnum):
    """Registrants with something the caterer or the hosts must know."""

    DIETARY = "dietary"
    ACCESSIBILITY = "accessibility"


class Sort(enum.StrEnum):
    """Orders of the table."""

    NAME = "name"
    DISTRICT = "district"
    ROLE = "role"
    STATUS = "status"
    REGISTERED = "registered"


# What the table sorts by: a column, or an expression over columns.
OrderKey = sa.ColumnElement[Any] | QueryableAttribute[Any]


@dataclass
class Filters:
    """What the organizer narrowed the table to; empty means everyone."""

    q: str = ""
    status: RegistrationStatus | None = None
    role: AttendeeRole | None = None
    district_id: int | None = None
    visit_id: int | None = None
    need: Need | None = None
    # Arrived at the event (checked in at the door), or not yet; None for both.
    checked_in: bool | None = None
    sort: Sort = Sort.NAME
    descending: bool = False


@dataclass
class Page:
    """One page of registrants and where it stands in the whole."""

    rows: list[Registration]
    total: int
    number: int
    size: int
    seats: dict[int, list[VisitSeat]] = field(default_factory=dict)

    @property
    def pages(self) -> int:
        """How many pages the filtered registrants fill (at least one)."""
        return max((self.total + self.size - 1) // self.size, 1)


def filtered(event: Event, filters: Filters) -> sa.Select:
    """The event's registrations matching the filters, in the chosen order."""
    query = sa.select(Registration).where(Registration.event_id == event.id)
    if filters.q:
        words = filters.q.lower().split()[:5]
        for word in words:
            pattern = f"%{_escape_like(word)}%"
            query = query.where(sa.or_(
                sa.func.lower(Registration.legal_first_name).like(pattern, escape="\\"),
                sa.func.lower(Registration.legal_last_name).like(pattern, escape="\\"),
                sa.func.lower(Registration.preferred_name).like(pattern, escape="\\"),
                Registration.email.like(pattern, escape="\\"),
                sa.func.lower(Registration.other_organization).like(pattern, escape="\\"),
                Registration.district_id.in_(
                    sa.select(District.id).where(sa.func.lower(District.name).like(pattern, escape="\\"))),
            ))
    if filters.status is not None:
        query = query.where(Registration.status == filters.status)
    if filters.role is not None:
        query = query.where(Registration.role == filters.role)
    if filters.district_id is not None:
        query = query.where(Registration.district_id == filters.district_id)
    if filters.visit_id is not None:
        query = query.where(Registration.id.in_(
            sa.select(VisitSeat.registration_id).where(VisitSeat.visit_id == filters.visit_id,
                                                       VisitSeat.status != SeatStatus.CANCELLED)))
    if filters.need is Need.DIETARY:
        query = query.where(sa.or_(sa.cast(Registration.dietary, sa.String) != "[]", Registration.allergies != ""))
    elif filters.need is Need.ACCESSIBILITY:
        query = query.where(sa.or_(sa.cast(Registration.accessibility, sa.String) != "[]",
                                   Registration.accessibility_notes != ""))
    if filters.checked_in is not None:
        query = query.where(Registration.checked_in_at.isnot(None) if filters.checked_in
                            else Registration.checked_in_at.is_(None))
    return query.order_by(*_order(filters))


def _order(filters: Filters) -> list:
    name: list[OrderKey] = [sa.func.lower(Registration.legal_last_name),
                              sa.func.lower(Registration.legal_first_name)]
    by_sort: dict[Sort, list[OrderKey]] = {
        Sort.NAME: [],
        Sort.DISTRICT: [sa.func.lower(sa.func.coalesce(
            sa.select(District.name).where(District.id == Registration.district_id).scalar_subquery(),
            Registration.other_organization))],
        Sort.ROLE: [Registration.role],
        Sort.STATUS: [Registration.status],
        Sort.REGISTERED: [Registration.created_at],
    }
    keys = by_sort[filters.sort] + name
    keys = [key.desc() if filters.descending else key for key in keys[:1]] + keys[1:]
    return keys + [Registration.id]


def _escape_like(text: str) -> str:
    """A search word as a literal inside LIKE: its % and _ match only themselves."""
    return text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")


def page_of(event: Event, filters: Filters, number: int, size: int = 50) -> Page:
    """One page of the filtered registrants with their districts and visit places: four queries, whatever
    the number of registrations."""
    query = filtered(event, filters)
    total = db.session.execute(sa.select(sa.func.count()).select_from(query.order_by(None).subquery())).scalar_one()
    pages = max((total + size - 1) // size, 1)
    number = min(max(number, 1), pages)
    rows = list(db.session.scalars(
        query.options(joinedload(Registration.district)).limit(size).offset((number - 1) * size)))
    return Page(rows, total, number, size, seats=seats_of(rows))


def seats_of(registrations: list[Registration]) -> dict[int, list[VisitSeat]]:
    """Each registration's visit places (not given up), with visit and school, in one query."""
    by_registration: dict[int, list[VisitSeat]] = {r.id: [] for r in registrations}
    if not registrations:
        return by_registration
    seats = db.session.scalars(
        sa.select(VisitSeat).join(Visit)
        .where(VisitSeat.registration_id.in_(list(by_registration)), VisitSeat.status != SeatStatus.CANCELLED)
        .options(selectinload(VisitSeat.visit).joinedload(Visit.school))
        .order_by(Visit.starts_at, Visit.id))
    for seat in seats:
        by_registration[seat.registration_id].append(seat)
    return by_registration


# --- exports -------------------------------------------------------------------------------------


def _visits(seats: list[VisitSeat]) -> str:
    return "; ".join(f"{s.visit.title} ({'waiting' if s.status is SeatStatus.WAITLISTED else 'seat'})" for s in seats)


# Column key -> (heading, value of a registration and its seats). The order is the export's.
# Column key -> (heading, the cell of a registrant given their seats).
COLUMNS: dict[str, tuple[str, Callable[[Registration, list], str]]] = {
    "last_name": ("Last name", lambda r, s: r.legal_last_name),
    "first_name": ("First name", lambda r, s: r.legal_first_name),
    "preferred_name": ("Preferred name", lambda r, s: r.preferred_name),
    "email": ("Email", lambda r, s: r.email),
    "mobile": ("Mobile", lambda r, s: r.mobile),
    "organization": ("District or organization", lambda r, s: r.organization),
    "role": ("Role", lambda r, s: r.role.label),
    "title": ("Title", lambda r, s: r.title),
    "status": ("Status", lambda r, s: r.status.value),
    "visits": ("Visits", lambda r, s: _visits(s)),
    "dietary": ("Dietary", lambda r, s: ", ".join(DIETARY_OPTIONS.get(d, d) for d in r.dietary)),
    "allergies": ("Allergies", lambda r, s: r.allergies),
    "accessibility": ("Accessibility",
                      lambda r, s: ", ".join(ACCESSIBILITY_OPTIONS.get(a, a) for a in r.accessibility)),
    "accessibility_notes": ("Accessibility notes", lambda r, s: r.accessibility_notes),
    "photo_consent": ("Photo consent", lambda r, s: "yes" if r.photo_consent else "no"),
    "emergency_contact": ("Emergency contact", lambda r, s: " ".join(
        p for p in (r.emergency_contact_name, r.emergency_contact_phone) if p)),
    "registered_at": ("Registered (UTC)", lambda r, s: r.created_at.strftime("%Y-%m-%d %H:%M")),
    "checked_in": ("Checked in (UTC)", lambda r, s: r.checked_in_at.strftime("%Y-%m-%d %H:%M")
                   if r.checked_in_at else ""),
}
DEFAULT_COLUMNS = ["last_name", "first_name", "email", "organization", "role", "status", "visits"]


def export_table(event: Event, filters: Filters, columns: list[str]) -> tuple[list[str], list[list[str]]]:
    """The heading and rows of an export of every filtered registrant, in three queries."""
    columns = [c for c in columns if c in COLUMNS] or DEFAULT_COLUMNS
    registrations = list(db.session.scalars(filtered(event, filters).options(joinedload(Registration.district))))
    seats = seats_of(registrations)
    header = [COLUMNS[c][0] for c in columns]
    rows = [[COLUMNS[c][1](r, seats[r.id]) for c in columns] for r in registrations]
    return header, rows


def districts_of(event: Event) -> list[District]:
    """The districts that have registrants at the event, for the district filter."""
    return list(db.session.scalars(
        sa.select(District).where(District.id.in_(
            sa.select(Registration.district_id).where(Registration.event_id == event.id))).order_by(District.name)))


def visits_of(event: Event) -> list[Visit]:
    """Every visit of the event, for the visit filter."""
    return list(db.session.scalars(sa.select(Visit).where(Visit.event_id == event.id)
                                   .order_by(Visit.starts_at, Visit.title)))


class BadFilter(DomainError):
    """A filter in the query string that is not one of its choices."""

    status = 400
    title = "That filter is not one of the choices"


def choice_from_args(args: Mapping[str, str], name: str, kind):
    """A filter from the query string: empty for none, a clear 400 for a value that is not one of them."""
    value = args.get(name, "").strip()
    if not value:
        return None
    try:
        return kind(value)
    except ValueError:
        raise BadFilter(f"“{value[:50]}” is not a possible value for {name}.") from None


def _yes_no(value: str) -> bool:
    """yes or no in a query string, as True or False; anything else is not a possible value."""
    if value not in ("yes", "no"):
        raise ValueError(value)
    return value == "yes"


def filters_from_args(args: Mapping[str, str]) -> Filters:
    """The table's filters, as the organizer set them in the query string; a value that is not one of the
    choices is a BadFilter (400)."""
    return Filters(
        q=" ".join(args.get("q", "").split())[:100],
        status=choice_from_args(args, "status", RegistrationStatus),
        role=choice_from_args(args, "role", AttendeeRole),
        district_id=choice_from_args(args, "district", int),
        visit_id=choice_from_args(args, "visit", int),
        need=choice_from_args(args, "need", Need),
        checked_in=choice_from_args(args, "checked_in", _yes_no),
        sort=choice_from_args(args, "sort", Sort) or Sort.NAME,
        descending=args.get("order") == "desc",
    )
