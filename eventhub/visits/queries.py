"""Read-only questions about visits: seats taken, waiting-list places, a person's visits."""
from dataclasses import dataclass
from datetime import date

import sqlalchemy as sa
from sqlalchemy.orm import joinedload, selectinload

from eventhub.extensions import db
from eventhub.models import (
    AgendaItem,
    Event,
    Registration,
    School,
    SeatStatus,
    Visit,
    VisitChoice,
    VisitSeat,
    VisitStatus,
)


def taken_seats(visit: Visit) -> int:
    """Confirmed seats on the visit."""
    return db.session.execute(
        sa.select(sa.func.count()).where(VisitSeat.visit_id == visit.id, VisitSeat.status == SeatStatus.CONFIRMED)
    ).scalar_one()


def free_seats(visit: Visit) -> int:
    """Seats nobody holds yet (never below zero, even after seats were reduced)."""
    if visit.status is not VisitStatus.SCHEDULED:
        return 0
    return max(visit.seats - taken_seats(visit), 0)


def full_visits(visits: list[Visit], counts: dict[int, tuple[int, int]]) -> set[int]:
    """The visits a newcomer can only wait for (as `seat_free_on` decides), from counts a page already read:
    no free seat, or free seats held for a team at the head of the waiting list."""
    return {v.id for v in visits
            if v.status is not VisitStatus.SCHEDULED or v.seats - counts[v.id][0] <= 0 or counts[v.id][1] > 0}


# The seat rules of a visit, all over `free_seats`. A freed seat goes to the head of the visit's waiting
# list at once, so free seats stay while people wait only when the head is a district team (a party) that
# needs more of them: they are held for it. A booking and a team's booking ask the same question.

def open_seats(visit: Visit) -> int:
    """Seats a newcomer may take: the free seats, unless they are held for those waiting. (Free seats and a
    waiting list together mean a team heads the list and needs more; only a team larger than the whole
    visit holds nothing.)"""
    if visit.status is not VisitStatus.SCHEDULED:
        return 0
    taken, waiting = seat_counts([visit.id])[visit.id]  # one query for both
    free = max(visit.seats - taken, 0)
    if free == 0 or not waiting:
        return free
    return 0 if any(len(unit) <= visit.seats for unit in queue_units(visit)) else free


def seat_free_on(visit: Visit) -> bool:
    """Someone booking gets a seat only if one is free and not held for those waiting."""
    return open_seats(visit) > 0


def seats_free_for_team(visit: Visit, size: int) -> bool:
    """A district team registered together rides together only where the visit has a seat for each."""
    return open_seats(visit) >= size


def seat_free_for_organizer(visit: Visit) -> bool:
    """An organizer moving someone or promoting them ahead of the queue may give any free seat, one held
    for a waiting team included: they decide over the queue."""
    return free_seats(visit) > 0


def seats_for_queue(visit: Visit) -> int:
    """How many seats the waiting list may fill now, from its head."""
    return free_seats(visit)


def queue_units(visit: Visit) -> list[list[VisitSeat]]:
    """The visit's waiting list in order, as the units it is served in: a solo place, or a team's places
    (one party) at the position of its first member."""
    units: dict[int, list[VisitSeat]] = {}
    for place in db.session.scalars(
            sa.select(VisitSeat).where(VisitSeat.visit_id == visit.id, VisitSeat.status == SeatStatus.WAITLISTED)
            .order_by(VisitSeat.waitlisted_at, VisitSeat.id)):
        units.setdefault(place.party_id if place.party_id is not None else -place.id, []).append(place)
    return list(units.values())


def seats_phrase(count: int) -> str:
    """"1 seat", "12 seats"."""
    return f"{count} seat" if count == 1 else f"{count} seats"


def seat_would_come_back(visit: Visit) -> bool:
    """Whether a seat taken back from someone would be free with nobody else waiting for it, so the
    queue would hand it straight back to them."""
    _, waiting = seat_counts([visit.id])[visit.id]
    return waiting < free_seats(visit) + 1


def seat_holders(event: Event, block_id: int | None) -> set[int]:
    """Registrations holding a seat on one of the event's visits in the block (NULL: its peer visits)."""
    block = Visit.block_id.is_(None) if block_id is None else Visit.block_id == block_id
    return set(db.session.scalars(
        sa.select(VisitSeat.registration_id).join(Visit, Visit.id == VisitSeat.visit_id)
        .where(Visit.event_id == event.id, block, Visit.status == VisitStatus.SCHEDULED,
               VisitSeat.status == SeatStatus.CONFIRMED)))


def party_key(seat: VisitSeat) -> int:
    """The waiting-list unit a place belongs to: its team's party, else the place alone."""
    return seat.party_id if seat.party_id is not None else -seat.id


def party_contact(party: list[VisitSeat]) -> VisitSeat:
    """Who speaks for a waiting party: its team lead's place, else its first member's."""
    return next((p for p in party if p.registration_id == p.party_id), party[0])


@dataclass(frozen=True)
class Standing:
    """Where a person stands on one visit, as every page and email says it."""

    place: VisitSeat
    position: int | None  # on the waiting list (a team's party shares one)
    party: list[VisitSeat]  # the team's places waiting together, theirs included; just theirs when alone
    held: int  # seats held for their party now

    @property
    def contact(self) -> VisitSeat:
        """Who may split the party (its lead, or its first member when the lead is not in it)."""
        return party_contact(self.party)

    @property
    def speaks_for_party(self) -> bool:
        """Whether this person may split their waiting party."""
        return len(self.party) > 1 and self.contact is self.place

    @property
    def phrase(self) -> str:
        """"you have a seat", "waiting list, number 2", "waiting list with your team of 3, number 1"."""
        return self.describe(own=True)

    def describe(self, *, own: bool) -> str:
        """The standing told to its owner ("you have a seat") or to others ("has a seat")."""
        if self.place.status is SeatStatus.CONFIRMED:
            return "you have a seat" if own else "has a seat"
        if self.place.status is SeatStatus.CANCELLED:
            return "given up"
        whose = "your" if own else "the"
        team = f" with {whose} team of {len(self.party)}" if len(self.party) > 1 else ""
        held = f"; {seats_phrase(self.held)} held for {whose} team" if self.held else ""
        return f"waiting list{team}, number {self.position}{held}"


def _units_ahead(place: VisitSeat) -> int:
    """How many units (solo places, or teams counted once) wait ahead of a solo place, in one count."""
    unit = sa.case((VisitSeat.party_id.is_(None), -VisitSeat.id), else_=VisitSeat.party_id)
    return db.session.scalar(sa.select(sa.func.count(sa.distinct(unit))).where(
        VisitSeat.visit_id == place.visit_id, VisitSeat.status == SeatStatus.WAITLISTED,
        sa.or_(VisitSeat.waitlisted_at < place.waitlisted_at,
               sa.and_(VisitSeat.waitlisted_at == place.waitlisted_at, VisitSeat.id < place.id)))) or 0


def standings(places: list[VisitSeat]) -> list[Standing]:
    """Each place with its standing. A solo place's position is one count of the units ahead; a team's
    waiting list is read once per visit."""
    units_of: dict[int, list[list[VisitSeat]]] = {}
    result = []
    for place in places:
        if place.status is not SeatStatus.WAITLISTED:
            result.append(Standing(place, None, [place], 0))
            continue
        if place.party_id is None:  # alone: nothing is held for one person
            result.append(Standing(place, _units_ahead(place) + 1, [place], 0))
            continue
        if place.visit_id not in units_of:
            units_of[place.visit_id] = queue_units(place.visit)
        units = units_of[place.visit_id]
        index, unit = next((i, u) for i, u in enumerate(units) if place in u)
        result.append(Standing(place, index + 1, unit, _held(place.visit, units, index)))
    return result


def _held(visit: Visit, units: list[list[VisitSeat]], index: int) -> int:
    """Seats held for the unit at `index`: the visit's free seats while it is the first unit that could
    ever fit (a team no larger than the visit) and it needs more than are free."""
    unit = units[index]
    first_that_fits = next((i for i, u in enumerate(units) if len(u) <= visit.seats), None)
    if len(unit) < 2 or index != first_that_fits:
        return 0
    return min(free_seats(visit), len(unit))


def seat_position(seat: VisitSeat) -> int | None:
    """1 for the head of the visit's waiting list (a team waiting as one party shares its position);
    None when not waiting."""
    return standings([seat])[0].position


def party_of(seat: VisitSeat) -> list[VisitSeat]:
    """The waiting places of the seat's party (the seat itself first when alone)."""
    return standings([seat])[0].party


def seats_held_for(seat: VisitSeat) -> int:
    """Seats held for the seat's party now (0 unless it leads the queue and needs more than are free)."""
    return standings([seat])[0].held


def known_screening(registration: Registration) -> tuple[date | None, str] | None:
    """The date of birth and ID kind this registration last gave a screening school (not yet purged), to ask
    them once: (date of birth, ID kind), or None."""
    row = db.session.execute(
        sa.select(VisitSeat.date_of_birth, VisitSeat.id_type)
        .where(VisitSeat.registration_id == registration.id, VisitSeat.screening_purged_at.is_(None),
               sa.or_(VisitSeat.date_of_birth.is_not(None), VisitSeat.id_type != ""))
        .order_by(VisitSeat.screening_consent_at.desc(), VisitSeat.id.desc()).limit(1)).first()
    return (row[0], row[1]) if row else None


def places_for(registration: Registration, *, with_cancelled: bool = False) -> list[VisitSeat]:
    """The person's seats and waiting-list places (and those given up, if asked), in time order."""
    query = (
        sa.select(VisitSeat)
        .join(Visit)
        .where(VisitSeat.registration_id == registration.id)
        .options(joinedload(VisitSeat.visit).joinedload(Visit.school).joinedload(School.district))
        .order_by(Visit.starts_at, Visit.id)
    )
    if not with_cancelled:
        query = query.where(VisitSeat.status != SeatStatus.CANCELLED)
    return list(db.session.scalars(query))


def choices_for(registration: Registration) -> list[VisitChoice]:
    """The person's ranked choices, by block then rank."""
    return list(
        db.session.scalars(
            sa.select(VisitChoice)
            .join(Visit)
            .where(VisitChoice.registration_id == registration.id)
            .options(selectinload(VisitChoice.visit))
            .order_by(Visit.block_id, VisitChoice.rank)
        )
    )


def visits_by_block(event: Event) -> list[tuple[AgendaItem | None, list[Visit]]]:
    """Scheduled visits grouped by their visit block, blocks in time order; a peer visit has no block."""
    visits = db.session.scalars(
        sa.select(Visit)
        .where(Visit.event_id == event.id, Visit.status == VisitStatus.SCHEDULED)
        .options(joinedload(Visit.block), joinedload(Visit.school).joinedload(School.district))
        .order_by(Visit.starts_at, Visit.id)
    ).all()
    groups: dict[int | None, tuple[AgendaItem | None, list[Visit]]] = {}
    for visit in visits:
        groups.setdefault(visit.block_id, (visit.block, []))[1].append(visit)
    return sorted(groups.values(), key=lambda group: (group[1][0].starts_at, group[1][0].id))


def seat_counts(visit_ids: list[int]) -> dict[int, tuple[int, int]]:
    """(confirmed, waiting) per visit, in one query."""
    rows = db.session.execute(
        sa.select(VisitSeat.visit_id, VisitSeat.status, sa.func.count())
        .where(VisitSeat.visit_id.in_(visit_ids), VisitSeat.status != SeatStatus.CANCELLED)
        .group_by(VisitSeat.visit_id, VisitSeat.status)
    ).all()
    counts = {visit_id: [0, 0] for visit_id in visit_ids}
    for visit_id, status, count in rows:
        counts[visit_id][0 if status is SeatStatus.CONFIRMED else 1] = count
    return {visit_id: (c[0], c[1]) for visit_id, c in counts.items()}
