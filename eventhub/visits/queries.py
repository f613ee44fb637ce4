"""Read-only questions about visits: seats taken, waiting-list places, a person's visits."""
import sqlalchemy as sa
from sqlalchemy.orm import joinedload, selectinload

from eventhub.extensions import db
from eventhub.waiting import place_in_line
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
    return db.session.scalar(
        sa.select(sa.func.count()).where(VisitSeat.visit_id == visit.id, VisitSeat.status == SeatStatus.CONFIRMED)
    )


def free_seats(visit: Visit) -> int:
    """Seats nobody holds yet (never below zero, even after seats were reduced)."""
    if visit.status is not VisitStatus.SCHEDULED:
        return 0
    return max(visit.seats - taken_seats(visit), 0)


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
