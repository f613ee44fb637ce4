"""Read-only questions about visits: seats taken, waiting-list places, a person's visits."""
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
from eventhub.waiting import place_in_line


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
    """The visits without a free seat (as `free_seats` counts them), from counts a page already read."""
    return {v.id for v in visits if v.status is not VisitStatus.SCHEDULED or v.seats - counts[v.id][0] <= 0}


# The seat rules of a visit, all over `free_seats`. A freed seat goes to the head of the visit's waiting
# list at once, so free seats never stay while people wait: a booking, an organizer's move and a
# promotion ahead of the queue all ask the same question.

def seat_free_on(visit: Visit) -> bool:
    """Someone booking, moved by an organizer or promoted ahead of the queue gets a seat only if one is free."""
    return free_seats(visit) > 0


def seats_free_for_team(visit: Visit, size: int) -> bool:
    """A district team registered together rides together only where the visit has a seat for each."""
    return free_seats(visit) >= size


def seats_for_queue(visit: Visit) -> int:
    """How many from the head of the visit's waiting list get a seat now."""
    return free_seats(visit)


def seats_phrase(count: int) -> str:
    """"1 seat", "12 seats"."""
    return f"{count} seat" if count == 1 else f"{count} seats"


def seat_would_come_back(visit: Visit) -> bool:
    """Whether a seat taken back from someone would be free with nobody else waiting for it, so the
    queue would hand it straight back to them."""
    _, waiting = seat_counts([visit.id])[visit.id]
    return waiting < free_seats(visit) + 1


def seat_position(seat: VisitSeat) -> int | None:
    """1 for the head of the visit's waiting list; None when not waiting."""
    if seat.status is not SeatStatus.WAITLISTED:
        return None
    return place_in_line(VisitSeat, seat, VisitSeat.visit_id == seat.visit_id)


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
