"""What each printout says: the data behind it, loaded in a few queries, rendered to HTML.

`render.py` turns the HTML into PDF; this module never touches WeasyPrint and the
templates under `templates/print/` never query the database, so a batch of 750
personal agendas costs a handful of queries, not thousands.
"""
import enum
from collections import defaultdict
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import date, timedelta
from typing import overload

import sqlalchemy as sa
from flask import render_template
from markupsafe import Markup
from sqlalchemy.orm import joinedload, selectinload

from eventhub.errors import DomainError
from eventhub.events.services import agenda_by_day
from eventhub.extensions import db
from eventhub.models import (
    AgendaItem,
    AgendaKind,
    Commitment,
    CommitmentStatus,
    CommitmentUpdate,
    Decision,
    Event,
    LinkOrigin,
    Registration,
    RegistrationStatus,
    School,
    SeatStatus,
    Visibility,
    Visit,
    VisitSeat,
    VisitStatus,
)
from eventhub.printing.qr import qr_source
from eventhub.registration.links import issue_private_links
from eventhub.timezones import local
from eventhub.urls import external_url
from eventhub.visits.queries import party_key, visits_by_block

# The check-ins the commitment sheet asks for, in days after the event (DOMAIN: 30/60/90).
CHECK_IN_DAYS = (30, 60, 90)


class Order(enum.StrEnum):
    """How a batch of personal documents is sorted."""

    NAME = "name"
    VISIT = "visit"  # by bus: the first visit's departure, then the visit, then the name

    @property
    def label(self) -> str:
        """Human wording of the order."""
        return {"name": "by last name", "visit": "by visit and bus"}[self.value]


@dataclass
class Attendee:
    """One registration with what its printouts show: seats and waiting-list places in time order."""

    registration: Registration
    places: list[VisitSeat] = field(default_factory=list)
    positions: dict[int, int] = field(default_factory=dict)  # seat id -> place in line
    private_url: str | None = None

    @property
    def sort_name(self) -> tuple[str, str, int]:
        """Last name, first name, id: the order of rosters and name-ordered batches."""
        r = self.registration
        return (r.legal_last_name.casefold(), r.legal_first_name.casefold(), r.id)

    @property
    def bus_key(self) -> tuple:
        """First confirmed visit's departure (or start), then that visit, then the name."""
        seats = [p for p in self.places if p.status is SeatStatus.CONFIRMED]
        if not seats:
            return (1, "", 0, self.sort_name)
        visit = seats[0].visit
        return (0, visit.meeting_time.isoformat(), visit.id, self.sort_name)

    @property
    def groups(self) -> list[str]:
        """"Lincoln Elementary, Tuesday": the visit groups a badge shows."""
        return [f"{seat.visit.school.name}, {seat.visit.local_date:%A}"
                for seat in self.places if seat.status is SeatStatus.CONFIRMED]


def private_url(token: str) -> str:
    """The address of the private page a token opens."""
    return external_url("registration.private_page", token=token)


def qr_image(url: str) -> Markup:
    """A QR code of `url` as an <img>; the printer draws it while laying out the page (printing/qr.py)."""
    return Markup('<img class="qr" alt="QR code of your private link" src="{}">').format(qr_source(url))


def _common(event: Event, title: str) -> dict:
    return {"event": event, "tz": event.timezone, "title": title}


# --- event agenda -------------------------------------------------------------------------


def event_agenda_html(event: Event) -> str:
    """The agenda for the tables: a cover, then each day as time slots (parallel sessions together)
    with the visits of each visit block."""
    days = [(day, time_slots(items)) for day, items in agenda_by_day(event)]
    visits_of_block: dict[int | None, list[Visit]] = {
        (block.id if block else None): visits for block, visits in visits_by_block(event)
    }
    return render_template(
        "print/event_agenda.html",
        days=days,
        visits_of_block=visits_of_block,
        standalone_visits=visits_of_block.get(None, []),
        hosts=event.hosts,
        **_common(event, f"{event.title}: agenda"),
    )


# --- attendees: personal agendas, badges, commitment sheets ------------------------------------------


def attendees(event: Event, *, order: Order = Order.NAME, registration_ids: list[int] | None = None,
              statuses: tuple[RegistrationStatus, ...] = (RegistrationStatus.CONFIRMED,)) -> list[Attendee]:
    """Registrations of the event with their visit places, in three queries whatever their number."""
    query = (
        sa.select(Registration)
        .where(Registration.event_id == event.id, Registration.status.in_(statuses))
        .options(joinedload(Registration.district))
    )
    if registration_ids is not None:
        query = query.where(Registration.id.in_(registration_ids))
    found = {r.id: Attendee(r) for r in db.session.scalars(query)}
    if not found:
        return []
    seats = db.session.scalars(
        sa.select(VisitSeat)
        .join(Visit)
        .where(Visit.event_id == event.id, VisitSeat.status != SeatStatus.CANCELLED)
        .options(joinedload(VisitSeat.visit).joinedload(Visit.school).joinedload(School.district))
        .order_by(Visit.starts_at, Visit.id, VisitSeat.waitlisted_at, VisitSeat.id)
    ).all()
    line: dict[int, dict[int, int]] = defaultdict(dict)
    for seat in seats:  # waiting lists in order of joining; a team waiting as one party shares one position
        position = None
        if seat.status is SeatStatus.WAITLISTED:
            units = line[seat.visit_id]
            position = units.setdefault(party_key(seat), len(units) + 1)
        attendee = found.get(seat.registration_id)
        if attendee is not None:
            attendee.places.append(seat)
            if position is not None:
                attendee.positions[seat.id] = position
    people = list(found.values())
    people.sort(key=(lambda a: a.bus_key) if order is Order.VISIT else (lambda a: a.sort_name))
    return people


def give_private_links(people: list[Attendee]) -> None:
    """A fresh private link for each person whose printout carries one (links are stored hashed,
    so an old one cannot be printed), all in one INSERT; the caller commits."""
    without = [person for person in people if person.private_url is None]
    for person, token in zip(without, issue_private_links([person.registration.id for person in without],
                                                          LinkOrigin.PRINT)):
        person.private_url = private_url(token)


def time_slots(items: list[AgendaItem]) -> list[tuple]:
    """A day's items as time slots, (starts, ends, items): sessions that begin together share one
    (parallel breakouts: one is chosen on the day); a visit block is always a slot of its own."""
    slots: list[tuple] = []
    for item in items:
        shares = (slots and item.kind is not AgendaKind.VISIT_BLOCK and slots[-1][0] == item.starts_at
                  and slots[-1][2][0].kind is not AgendaKind.VISIT_BLOCK)
        if shares:
            slots[-1] = (slots[-1][0], max(slots[-1][1], item.ends_at), [*slots[-1][2], item])
        else:
            slots.append((item.starts_at, item.ends_at, [item]))
    return slots


def _agenda_for(person: Attendee, days) -> list[tuple[date, list[tuple]]]:
    """The person's days as time slots: (starts, ends, items at that time, their visit places or None).
    A visit block carries the person's own seats instead of the list of every visit, at the time of
    their visit (a seat confirmed before a waiting-list place): a visit moved within its block shows
    when it really starts and ends, and the day stays in time order."""
    places_by_block: dict[int | None, list[VisitSeat]] = defaultdict(list)
    for place in person.places:
        places_by_block[place.visit.block_id].append(place)
    agenda = []
    for day, items in days:
        slots = []
        for starts, ends, slot_items in time_slots(items):
            places = places_by_block.get(slot_items[0].id, []) if slot_items[0].kind is AgendaKind.VISIT_BLOCK \
                else None
            if places:
                own = min(places, key=lambda p: (p.status is not SeatStatus.CONFIRMED, p.visit.starts_at)).visit
                starts, ends = own.starts_at, own.ends_at
            slots.append((starts, ends, slot_items, places))
        agenda.append((day, sorted(slots, key=lambda slot: slot[0])))
    return agenda


def personal_agenda_html(event: Event, person: Attendee, days=None, *, part: str = "whole") -> str:
    """One attendee's agenda: who they are, their visits with the host's rules, their days, their link.

    `part` "programme" leaves out what is personal (name, district, QR code, link, the name in the
    running header): what is left is the same for everyone with the same `programme_key`, and a
    batch lays it out once for all of them (printing/layers.py).
    """
    days = agenda_by_day(event) if days is None else days
    registration = person.registration
    return render_template(
        "print/personal_agenda.html",
        person=person,
        registration=registration,
        part=part,
        agenda=_agenda_for(person, days),
        qr=qr_image(person.private_url) if person.private_url and part == "whole" else None,
        **_common(event, f"{event.title}: agenda for {registration.display_name}"),
    )


def programme_key(person: Attendee) -> tuple:
    """What a personal agenda shows below the name block: people with equal keys share that part."""
    return (person.registration.status.value, person.private_url is not None,
            tuple((p.visit_id, p.status.value, person.positions.get(p.id)) for p in person.places))


@dataclass
class NameSheet:
    """One attendee's pages in the name layer: what is theirs on page 1, over `pages` pages."""

    person: Attendee
    pages: int


def names_layer_html(event: Event, sheets: list[NameSheet]) -> str:
    """What is personal on several attendees' agendas (name block, name in the running header), one document."""
    return render_template("print/personal_agenda_names.html", sheets=sheets, qr_image=qr_image,
                           **_common(event, f"{event.title}: personal agendas"))


# Avery 5392 and compatibles: six 4" x 3" badges on a US Letter sheet.
BADGES_PER_SHEET = 6


def badge_sheets(people: list[Attendee]) -> list[list[Attendee]]:
    """People in the given order, a sheet's worth at a time."""
    return [people[i:i + BADGES_PER_SHEET] for i in range(0, len(people), BADGES_PER_SHEET)]


def badges_html(event: Event, people: list[Attendee]) -> str:
    """Badges for these people, six per Letter sheet, in the given order."""
    return render_template("print/badges.html", sheets=badge_sheets(people),
                           **_common(event, f"{event.title}: name badges"))


# Where one reprinted badge goes: a slot of a part-used sheet ("1" to "6", across then down), or a page
# of its own the size of one badge ("single"), for a badge printer or a sheet cut to size.
SINGLE_BADGE = "single"
BADGE_PLACES = (*(str(n) for n in range(1, BADGES_PER_SHEET + 1)), SINGLE_BADGE)


class BadgeRefused(DomainError):
    """A badge that cannot be reprinted as asked."""


def badge_reprint_html(event: Event, registration: Registration, at: str) -> str:
    """One person's badge, where the organizer asked for it. Only a confirmed attendee gets one, as in
    the batches: a cancelled registrant's badge could let someone in."""
    if at not in BADGE_PLACES:
        raise BadgeRefused("Choose a slot from 1 to 6 on a sheet, or a single badge.", status=400)
    if registration.status is not RegistrationStatus.CONFIRMED:
        raise BadgeRefused(f"{registration.display_name}'s registration is {registration.status.value}: badges "
                           "are printed for confirmed attendees only.")
    [person] = attendees(event, registration_ids=[registration.id])
    single = at == SINGLE_BADGE
    sheet: list[Attendee | None] = [person] if single else [*([None] * (int(at) - 1)), person]
    return render_template("print/badges.html", sheets=[sheet], single=single,
                           **_common(event, f"{event.title}: name badge for {registration.display_name}"))


# What a filled commitment sheet prints of a commitment (the sheet's answers, as on CommitmentDetails).
SHEET_FIELDS = ("evidence", "change_idea", "why_new", "test_where", "test_with_whom", "test_starts_on", "test_due_on",
                "prediction", "measure", "baseline", "target", "support_needed", "support_from", "status",
                "visibility")


@dataclass(frozen=True)
class CheckIn:
    """One check-in as the sheet's log prints it; `on` is its day in the event's zone."""

    on: date
    tried: str
    learned: str
    decision: Decision | None
    status_before: CommitmentStatus
    status_after: CommitmentStatus


@dataclass(frozen=True)
class SheetAnswers:
    """The answers of one commitment (the attributes of SHEET_FIELDS)."""

    evidence: str
    change_idea: str
    why_new: str
    test_where: str
    test_with_whom: str
    test_starts_on: date | None
    test_due_on: date | None
    prediction: str
    measure: str
    baseline: str
    target: str
    support_needed: str
    support_from: str
    status: CommitmentStatus
    visibility: Visibility


@dataclass(frozen=True)
class FilledSheet:
    """A commitment as its filled sheet prints it, copied out of the database when it is loaded: a batch
    commits between chunks, and copied values are never reloaded one by one."""

    details: SheetAnswers
    source: str | None  # "Visit, School (District)"; None: the event itself
    written_on: date
    check_ins: tuple[CheckIn, ...]


@overload
def _source(visit: Visit) -> str: ...
@overload
def _source(visit: None) -> None: ...
def _source(visit: Visit | None) -> str | None:
    return None if visit is None else f"{visit.title}, {visit.school.name} ({visit.school.district.name})"


def filled_sheets(event: Event, registration_ids: list[int] | None = None) -> dict[int, list[FilledSheet]]:
    """The event's commitments (only these people's, if given) as filled sheets, by registration, oldest
    first, each with its check-ins: two queries, however many people and commitments."""
    chosen = [Commitment.event_id == event.id]
    if registration_ids is not None:
        chosen.append(Commitment.registration_id.in_(registration_ids))
    commitments = list(db.session.scalars(
        sa.select(Commitment).where(*chosen)
        .options(joinedload(Commitment.visit).joinedload(Visit.school).joinedload(School.district))
        .order_by(Commitment.created_at, Commitment.id)))
    if not commitments:
        return {}
    zone = event.timezone
    logs: dict[int, list[CheckIn]] = defaultdict(list)
    for update in db.session.scalars(
            sa.select(CommitmentUpdate)
            .where(CommitmentUpdate.commitment_id.in_(sa.select(Commitment.id).where(*chosen)))
            .order_by(CommitmentUpdate.created_at, CommitmentUpdate.id)):
        logs[update.commitment_id].append(CheckIn(local(update.created_at, zone).date(), update.tried,
                                                  update.learned, update.decision, update.status_before,
                                                  update.status_after))
    found: dict[int, list[FilledSheet]] = defaultdict(list)
    for c in commitments:
        found[c.registration_id].append(FilledSheet(
            SheetAnswers(**{name: getattr(c, name) for name in SHEET_FIELDS}), _source(c.visit),
            local(c.created_at, zone).date(), tuple(logs.get(c.id, ()))))
    return dict(found)


def check_in_days(event: Event) -> list[int]:
    """The days after the event on which the network asks how it went (the event's own, else 30/60/90)."""
    return sorted(int(d) for d in (event.followup_days or CHECK_IN_DAYS))


def commitment_sheet_html(event: Event, person: Attendee, sheets: list[FilledSheet] | None = None) -> str:
    """The person's commitment sheets: one filled sheet for each of their commitments at the event (`sheets`,
    loaded here when not given), or one blank sheet with their name and visits filled in if they have none."""
    days = check_in_days(event)
    registration = person.registration
    if sheets is None:
        sheets = filled_sheets(event, [registration.id]).get(registration.id, [])
    visits = [p.visit for p in person.places if p.status is SeatStatus.CONFIRMED]
    return render_template(
        "print/commitment_sheet.html",
        person=person,
        registration=registration,
        visits=visits,
        visits_source="; ".join(_source(visit) for visit in visits) or event.title,
        sheets=sheets,
        statuses=list(CommitmentStatus),
        check_in_days=days,
        check_ins=[event.ends_on + timedelta(days=d) for d in days],
        **_common(event, f"{event.title}: commitment sheet{'s' if len(sheets) > 1 else ''} for "
                         f"{registration.display_name}"),
    )


# --- visits: rosters and sign-in sheets ------------------------------------------------------


def roster_visits(event: Event, school_district_id: int | None = None) -> list[Visit]:
    """Scheduled visits of the event in time order (only one district's schools, for its coordinator)."""
    query = (
        sa.select(Visit)
        .join(School)
        .where(Visit.event_id == event.id, Visit.status == VisitStatus.SCHEDULED)
        .options(joinedload(Visit.school).joinedload(School.district))
        .order_by(Visit.starts_at, School.name, Visit.id)
    )
    if school_district_id is not None:
        query = query.where(School.district_id == school_district_id)
    return list(db.session.scalars(query))


def roster_seats(visits: list[Visit]) -> dict[int, list[VisitSeat]]:
    """Confirmed seats of each visit, by the guest's last name."""
    by_visit: dict[int, list[VisitSeat]] = {v.id: [] for v in visits}
    if not visits:
        return by_visit
    seats = db.session.scalars(
        sa.select(VisitSeat)
        .join(Registration)
        .where(VisitSeat.visit_id.in_(list(by_visit)), VisitSeat.status == SeatStatus.CONFIRMED)
        .options(selectinload(VisitSeat.registration).joinedload(Registration.district))
        .order_by(sa.func.lower(Registration.legal_last_name), sa.func.lower(Registration.legal_first_name),
                  Registration.id)
    )
    for seat in seats:
        by_visit[seat.visit_id].append(seat)
    return by_visit


def roster_html(visit: Visit, seats: list[VisitSeat]) -> str:
    """Roster and sign-in sheet for the host school; screening columns only where this host collects them."""
    school = visit.school
    show_dob = school.screening_dob_required
    show_id = school.screening_id_type_required
    event = visit.event
    return render_template(
        "print/roster.html",
        visit=visit,
        school=school,
        seats=seats,
        show_dob=show_dob,
        show_id=show_id,
        vtz=visit.timezone,
        **_common(event, f"{visit.title}: roster and sign-in sheet"),
    )


def iter_personal_agendas(event: Event, people: list[Attendee]) -> Iterator[str]:
    """The HTML of each person's agenda, the agenda read once for all of them."""
    days = agenda_by_day(event)
    for person in people:
        yield personal_agenda_html(event, person, days)
