"""The numbers of an event for its dashboard, caterer and hosts, each in a fixed number of queries.

Counting is done by the database (GROUP BY). The dietary and accessibility needs are JSON lists,
so they are grouped by their text and the few distinct lists are read back and added up here.
Grouped expressions carry no bound parameters (PostgreSQL with server-side parameters would see
the same expression twice as two different ones).
"""
import json
from collections import Counter
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

import sqlalchemy as sa
from sqlalchemy.orm import contains_eager, joinedload

from eventhub.extensions import db
from eventhub.models import (
    ACCESSIBILITY_OPTIONS,
    DIETARY_OPTIONS,
    Event,
    Registration,
    RegistrationStatus,
    School,
    SeatStatus,
    Visit,
    VisitSeat,
    VisitStatus,
)
from eventhub.timezones import as_utc

# The text of an empty JSON list, as SQLAlchemy stores it.
NOTHING = "[]"


def _keys(text: str | None) -> list[str]:
    """The option keys of a stored JSON list (its text, as the database grouped it)."""
    if not text:
        return []
    try:
        value = json.loads(text)
    except ValueError:
        return []
    return [str(key) for key in value] if isinstance(value, list) else []


def _form_order(keys: list[str], options: dict[str, str]) -> list[str]:
    """The keys once each, in the order the form offers them (unknown keys last)."""
    order = list(options)
    return sorted(set(keys), key=lambda key: (order.index(key) if key in order else len(order), key))


def _labels(keys, options: dict[str, str]) -> list[str]:
    return [options.get(key, key) for key in keys]


def event_days(event: Event) -> list[date]:
    """Every day of the event, first to last."""
    return [event.starts_on + timedelta(days=n) for n in range((event.ends_on - event.starts_on).days + 1)]


# --- registrations ----------------------------------------------------------------------------


@dataclass
class StatusCounts:
    """How many registrations stand where, beside the event's capacity (None: no limit)."""

    confirmed: int = 0
    waitlisted: int = 0
    cancelled: int = 0
    capacity: int | None = None
    checked_in: int = 0  # of the confirmed, checked in at the door

    @property
    def places_left(self) -> int | None:
        """Free places under the capacity (never negative); None without a capacity."""
        return None if self.capacity is None else max(self.capacity - self.confirmed, 0)


def status_counts(event: Event) -> StatusCounts:
    """Confirmed, waiting and cancelled registrations, and the confirmed checked in: one query."""
    rows = db.session.execute(
        sa.select(Registration.status, sa.func.count(), sa.func.count(Registration.checked_in_at))
        .where(Registration.event_id == event.id).group_by(Registration.status))
    counts = StatusCounts(capacity=event.capacity)
    for status, number, checked_in in rows:
        setattr(counts, RegistrationStatus(status).value, number)
        if RegistrationStatus(status) is RegistrationStatus.CONFIRMED:
            counts.checked_in = checked_in
    return counts


def _hour_bucket() -> sa.ColumnElement:
    """The UTC hour a registration was made in, as the database can group it."""
    if db.session.get_bind().dialect.name == "postgresql":
        return sa.func.date_trunc(sa.literal_column("'hour'"), Registration.created_at)
    return sa.func.strftime(sa.literal_column("'%Y-%m-%d %H:00:00'"), Registration.created_at)


def _as_utc(value) -> datetime:
    if isinstance(value, str):
        value = datetime.fromisoformat(value)
    return as_utc(value)


@dataclass
class Day:
    """Registrations (confirmed or waiting today) made on one day in the event's zone, and all so far."""

    day: date
    new: int
    so_far: int


def registrations_by_day(event: Event) -> list[Day]:
    """Registrations now confirmed or waiting, by the day they were made in the event's zone, every day
    from the first to the last: one query.

    The database groups them by UTC hour and the hours are put on the event's calendar here, which
    is exact for every zone a whole number of hours from UTC (all of the United States').
    """
    bucket = _hour_bucket().label("hour_bucket")
    rows = db.session.execute(
        sa.select(bucket, sa.func.count())
        .where(Registration.event_id == event.id,
               Registration.status.in_([RegistrationStatus.CONFIRMED, RegistrationStatus.WAITLISTED]))
        .group_by(bucket))
    zone = ZoneInfo(event.timezone)
    per_day: Counter[date] = Counter()
    for hour, number in rows:
        per_day[_as_utc(hour).astimezone(zone).date()] += number
    if not per_day:
        return []
    first, last = min(per_day), max(per_day)
    days, so_far = [], 0
    for n in range((last - first).days + 1):
        day = first + timedelta(days=n)
        so_far += per_day[day]
        days.append(Day(day, per_day[day], so_far))
    return days


@dataclass
class Needs:
    """What a group of people need: counts per dietary and accessibility option, and who wrote notes."""

    people: int = 0
    dietary: Counter = field(default_factory=Counter)
    accessibility: Counter = field(default_factory=Counter)
    # Distinct sets of two or more dietary needs (a vegan gluten-free meal is one meal), and how many.
    combinations: Counter = field(default_factory=Counter)
    with_dietary: int = 0
    with_accessibility: int = 0
    allergies: int = 0
    accessibility_notes: int = 0

    def add(self, dietary: list[str], accessibility: list[str], number: int, allergies: int, notes: int) -> None:
        """Count `number` people with these lists, `allergies` and `notes` of whom wrote something."""
        dietary = _form_order(dietary, DIETARY_OPTIONS)
        accessibility = _form_order(accessibility, ACCESSIBILITY_OPTIONS)
        self.people += number
        for key in dietary:
            self.dietary[key] += number
        for key in accessibility:
            self.accessibility[key] += number
        if len(dietary) > 1:
            self.combinations[tuple(dietary)] += number
        if dietary:
            self.with_dietary += number
        if accessibility:
            self.with_accessibility += number
        self.allergies += allergies
        self.accessibility_notes += notes

    @property
    def no_dietary(self) -> int:
        """People with no dietary need ticked (some of them may have allergies)."""
        return self.people - self.with_dietary

    def dietary_rows(self) -> list[tuple[str, str, int]]:
        """(key, label, count) of every dietary option, in the form's order, then any unknown ones."""
        return _rows(self.dietary, DIETARY_OPTIONS)

    def accessibility_rows(self) -> list[tuple[str, str, int]]:
        """(key, label, count) of every accessibility option, in the form's order, then any unknown ones."""
        return _rows(self.accessibility, ACCESSIBILITY_OPTIONS)

    def combination_rows(self) -> list[tuple[str, int]]:
        """("Vegan + Gluten-free", count), most frequent first."""
        return [(" + ".join(_labels(keys, DIETARY_OPTIONS)), number)
                for keys, number in sorted(self.combinations.items(), key=lambda item: (-item[1], item[0]))]


def _rows(counts: Counter, options: dict[str, str]) -> list[tuple[str, str, int]]:
    known = [(key, label, counts[key]) for key, label in options.items()]
    return known + [(key, key, number) for key, number in sorted(counts.items()) if key not in options]


def side_by_side(kind: str, *groups: Needs) -> list[tuple[str, list[int]]]:
    """(label, [count in each group]) for every option of `kind` ("dietary" or "accessibility"), the form's
    options first, then any unknown keys some group has."""
    options = DIETARY_OPTIONS if kind == "dietary" else ACCESSIBILITY_OPTIONS
    keys = list(options) + sorted({key for group in groups for key in getattr(group, kind)} - set(options))
    return [(options.get(key) or key, [getattr(group, kind)[key] for group in groups]) for key in keys]


def _need_columns():
    return (
        sa.cast(Registration.dietary, sa.String).label("dietary_text"),
        sa.cast(Registration.accessibility, sa.String).label("accessibility_text"),
        sa.func.count().label("people"),
        sa.func.sum(sa.case((Registration.allergies != "", 1), else_=0)).label("with_allergies"),
        sa.func.sum(sa.case((Registration.accessibility_notes != "", 1), else_=0)).label("with_notes"),
    )


def needs_by_status(event: Event) -> dict[RegistrationStatus, Needs]:
    """The needs of the confirmed and of the waiting registrations: one query."""
    dietary, accessibility, *counts = _need_columns()
    rows = db.session.execute(
        sa.select(Registration.status, dietary, accessibility, *counts)
        .where(Registration.event_id == event.id,
               Registration.status.in_([RegistrationStatus.CONFIRMED, RegistrationStatus.WAITLISTED]))
        .group_by(Registration.status, dietary, accessibility))
    found = {RegistrationStatus.CONFIRMED: Needs(), RegistrationStatus.WAITLISTED: Needs()}
    for status, dietary_text, accessibility_text, people, allergies, notes in rows:
        found[RegistrationStatus(status)].add(_keys(dietary_text), _keys(accessibility_text), people,
                                              allergies or 0, notes or 0)
    return found


# --- visits -----------------------------------------------------------------------------------


def visits_of(event: Event, *, lunch_only: bool = False, visit_id: int | None = None) -> list[Visit]:
    """The event's visits with their schools and districts (for the local day), in time order: one query."""
    query = (sa.select(Visit).where(Visit.event_id == event.id)
             .options(joinedload(Visit.school).joinedload(School.district))
             .order_by(Visit.starts_at, Visit.title, Visit.id))
    if lunch_only:
        query = query.where(Visit.lunch_provided.is_(True), Visit.status == VisitStatus.SCHEDULED)
    if visit_id is not None:
        query = query.where(Visit.id == visit_id)
    return list(db.session.scalars(query))


@dataclass
class VisitFill:
    """How full a visit is."""

    visit: Visit
    seated: int = 0
    waiting: int = 0
    checked_in: int = 0  # of the seated, checked in on the bus or at the school

    @property
    def seats(self) -> int:
        """The visit's seats."""
        return self.visit.seats

    @property
    def free(self) -> int:
        """Seats nobody has (never negative)."""
        return max(self.seats - self.seated, 0)

    @property
    def words(self) -> str:
        """"12 of 20 seats taken · 3 waiting", as the chart writes it."""
        if self.visit.status is VisitStatus.CANCELLED:
            return "Cancelled"
        text = f"{self.seated} of {self.seats} seats taken"
        if self.seated > self.seats:
            text += f" ({self.seated - self.seats} over)"
        return text + (f" · {self.waiting} waiting" if self.waiting else "")


def visit_fills(event: Event) -> list[VisitFill]:
    """Every visit of the event with its seats taken, its check-ins and its waiting list: two queries."""
    fills = {visit.id: VisitFill(visit) for visit in visits_of(event)}
    if not fills:
        return []
    rows = db.session.execute(
        sa.select(VisitSeat.visit_id, VisitSeat.status, sa.func.count(), sa.func.count(VisitSeat.checked_in_at))
        .join(Visit, Visit.id == VisitSeat.visit_id)
        .where(Visit.event_id == event.id,
               VisitSeat.status.in_([SeatStatus.CONFIRMED, SeatStatus.WAITLISTED]))
        .group_by(VisitSeat.visit_id, VisitSeat.status))
    for visit_id, status, number, checked_in in rows:
        fill = fills[visit_id]
        if SeatStatus(status) is SeatStatus.CONFIRMED:
            fill.seated, fill.checked_in = number, checked_in
        else:
            fill.waiting = number
    return list(fills.values())


def _seated():
    """The conditions of a person expected on a visit: their seat and their registration confirmed."""
    return (VisitSeat.status == SeatStatus.CONFIRMED, Registration.status == RegistrationStatus.CONFIRMED)


# --- catering ---------------------------------------------------------------------------------


@dataclass
class VisitLunch:
    """The lunch a host school provides on a visit: the needs of the people seated, and their allergies."""

    visit: Visit
    needs: Needs = field(default_factory=Needs)
    allergies: list[Registration] = field(default_factory=list)


@dataclass
class Catering:
    """What the caterer needs: the needs of the confirmed attendees, their allergies, and visit lunches."""

    days: list[date]
    needs: Needs
    waiting: int
    allergies: list[Registration]
    lunches: list[VisitLunch]

    def lunches_on(self, day: date) -> int:
        """Seats on visits with lunch at the school that day: people the venue does not feed at lunch."""
        return sum(lunch.needs.people for lunch in self.lunches if lunch.visit.local_date == day)


def catering(event: Event) -> Catering:
    """The caterer's summary of an event: five queries, however many registered."""
    by_status = needs_by_status(event)
    allergies = list(db.session.scalars(
        sa.select(Registration)
        .where(Registration.event_id == event.id, Registration.status == RegistrationStatus.CONFIRMED,
               Registration.allergies != "")
        .options(joinedload(Registration.district))
        .order_by(sa.func.lower(Registration.legal_last_name), sa.func.lower(Registration.legal_first_name),
                  Registration.id)))
    lunches = {visit.id: VisitLunch(visit) for visit in visits_of(event, lunch_only=True)}
    if lunches:
        dietary, accessibility, *counts = _need_columns()
        rows = db.session.execute(
            sa.select(VisitSeat.visit_id, dietary, accessibility, *counts)
            .join(Registration, Registration.id == VisitSeat.registration_id)
            .where(VisitSeat.visit_id.in_(list(lunches)), *_seated())
            .group_by(VisitSeat.visit_id, dietary, accessibility))
        for visit_id, dietary_text, accessibility_text, people, with_allergies, notes in rows:
            lunches[visit_id].needs.add(_keys(dietary_text), _keys(accessibility_text), people,
                                        with_allergies or 0, notes or 0)
        seats = db.session.scalars(
            sa.select(VisitSeat).join(VisitSeat.registration)
            .where(VisitSeat.visit_id.in_(list(lunches)), *_seated(), Registration.allergies != "")
            .options(contains_eager(VisitSeat.registration).joinedload(Registration.district))
            .order_by(sa.func.lower(Registration.legal_last_name), sa.func.lower(Registration.legal_first_name),
                      Registration.id))
        for seat in seats:
            lunches[seat.visit_id].allergies.append(seat.registration)
    return Catering(event_days(event), by_status[RegistrationStatus.CONFIRMED],
                    by_status[RegistrationStatus.WAITLISTED].people, allergies, list(lunches.values()))


def catering_table(event: Event, summary: Catering) -> tuple[list[str], list[list]]:
    """The caterer's summary as one sheet: a row per count or per person with an allergy."""
    header = ["Section", "Date", "Place", "Need", "People", "Name", "District or organization", "Allergies",
              "Dietary"]
    rows: list[list] = []
    needs = summary.needs
    for day in summary.days:
        when = day.isoformat()
        rows.append(["Event day", when, event.venue_name, "Everyone expected", needs.people, "", "", "", ""])
        rows.extend(["Event day", when, event.venue_name, label, number, "", "", "", ""]
                    for _, label, number in needs.dietary_rows())
        rows.extend(["Event day", when, event.venue_name, combination, number, "", "", "", ""]
                    for combination, number in needs.combination_rows())
        rows.append(["Event day", when, event.venue_name, "No dietary need", needs.no_dietary, "", "", "", ""])
        lunches = summary.lunches_on(day)
        if lunches:
            rows.append(["Event day", when, event.venue_name, "Lunch at a host school instead", lunches,
                         "", "", "", ""])
    rows.extend(_allergy_row("Allergy (every day)", "", event.venue_name, person) for person in summary.allergies)
    for lunch in summary.lunches:
        when, place = lunch.visit.local_date.isoformat(), f"{lunch.visit.school.name}: {lunch.visit.title}"
        rows.append(["Visit lunch", when, place, "Everyone seated", lunch.needs.people, "", "", "", ""])
        rows.extend(["Visit lunch", when, place, label, number, "", "", "", ""]
                    for _, label, number in lunch.needs.dietary_rows() if number)
        rows.extend(["Visit lunch", when, place, combination, number, "", "", "", ""]
                    for combination, number in lunch.needs.combination_rows())
        rows.extend(_allergy_row("Visit lunch allergy", when, place, person) for person in lunch.allergies)
    return header, rows


def _allergy_row(section: str, when: str, place: str, person: Registration) -> list:
    return [section, when, place, "Allergy", "", person.display_name, person.organization, person.allergies,
            ", ".join(_labels(person.dietary, DIETARY_OPTIONS))]


# --- accessibility ----------------------------------------------------------------------------


@dataclass
class VisitAccess:
    """The people seated on a visit who need something to take part, and how many are seated."""

    visit: Visit
    seated: int = 0
    people: list[Registration] = field(default_factory=list)

    @property
    def counts(self) -> list[tuple[str, int]]:
        """(label, people) for each accessibility option someone seated needs, in the form's order."""
        counter = Counter(key for person in self.people for key in person.accessibility)
        return [(label, number) for _, label, number in _rows(counter, ACCESSIBILITY_OPTIONS) if number]

    @property
    def notes_only(self) -> int:
        """People who ticked nothing but wrote a note."""
        return sum(1 for person in self.people if not person.accessibility)


def accessibility(visits: list[Visit]) -> list[VisitAccess]:
    """For each of these visits, the seated people with accessibility needs or notes, with their
    districts: two queries, however many registered."""
    found = {visit.id: VisitAccess(visit) for visit in visits}
    if not found:
        return []
    ids = list(found)
    rows = db.session.execute(
        sa.select(VisitSeat.visit_id, sa.func.count())
        .join(Registration, Registration.id == VisitSeat.registration_id)
        .where(VisitSeat.visit_id.in_(ids), *_seated())
        .group_by(VisitSeat.visit_id))
    for seated_visit, number in rows:
        found[seated_visit].seated = number
    seats = db.session.scalars(
        sa.select(VisitSeat).join(VisitSeat.registration)
        .where(VisitSeat.visit_id.in_(ids), *_seated(),
               sa.or_(sa.cast(Registration.accessibility, sa.String) != NOTHING,
                      Registration.accessibility_notes != ""))
        .options(contains_eager(VisitSeat.registration).joinedload(Registration.district))
        .order_by(sa.func.lower(Registration.legal_last_name), sa.func.lower(Registration.legal_first_name),
                  Registration.id))
    for seat in seats:
        found[seat.visit_id].people.append(seat.registration)
    return list(found.values())
