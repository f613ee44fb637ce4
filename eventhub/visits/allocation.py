"""The fair allocation of visit seats over everyone's rankings, for events that collect choices first.

People are taken in a random order drawn from a recorded seed (so the same seed gives the
same result), reversed from one visit block to the next so nobody is last twice. A district
team is one unit of the draw: it is seated together on the visit that suits all of them best
where the seats allow, else it waits together, as one party, on the best visit they all ranked
(only members who ranked no visit in common go their own ways). Whoever gets no seat waits on
their first choice. Seats people already hold in a block (first come before the event switched to
the allocation, or given by an organizer) are kept: their holders are not drawn again.
"""
import hashlib
import random
import secrets
from dataclasses import dataclass, field
from datetime import datetime, timedelta

import sqlalchemy as sa

from eventhub.extensions import db
from eventhub.locking import lock_event
from eventhub.models import (
    AgendaItem,
    Event,
    Registration,
    RegistrationStatus,
    SeatStatus,
    Visit,
    VisitAllocation,
    VisitChoice,
    VisitStatus,
    utcnow,
)
from eventhub.notifications.attendees import (
    send_registration_email,
    send_visit_invitation,
)
from eventhub.notifications.kinds import EmailKind, InviteMethod, InviteReason
from eventhub.visits.queries import free_seats, seat_holders
from eventhub.visits.services import (
    VisitError,
    allocate_place,
    first_come_applies,
    in_block,
    promote_visit_waitlist,
    within_notice,
)

RANK_KEYS = {1: "first", 2: "second", 3: "third"}


@dataclass
class BlockResult:
    """The outcome for one visit block."""

    block: AgendaItem | None
    assigned: dict[int, int] = field(default_factory=dict)  # registration id -> visit id
    waiting: dict[int, int] = field(default_factory=dict)  # registration id -> first-choice visit id
    order: list[int] = field(default_factory=list)  # registration ids in the order they were served
    parties: dict[int, int] = field(default_factory=dict)  # registration id -> its team's key, waiting together
    report: dict = field(default_factory=dict)


@dataclass
class AllocationResult:
    """The outcome for every block still waiting for its allocation."""

    seed: int
    blocks: list[BlockResult]
    # Digest of everything the outcome depends on: a commit must find the same as its preview.
    fingerprint: str = ""


def new_seed() -> int:
    """A fresh random seed, small enough to read out and type back in."""
    return secrets.randbelow(10**9)


def open_blocks(event: Event) -> list[AgendaItem | None]:
    """Visit blocks of the event whose seats have not been allocated yet, in time order."""
    blocks = db.session.execute(
        sa.select(Visit.block_id, sa.func.min(Visit.starts_at))
        .where(Visit.event_id == event.id, Visit.status == VisitStatus.SCHEDULED)
        .group_by(Visit.block_id)
        .order_by(sa.func.min(Visit.starts_at))
    ).all()
    return [
        db.session.get(AgendaItem, block_id) if block_id is not None else None
        for block_id, _ in blocks
        if not first_come_applies(event, block_id)
    ]


def plan_allocation(event: Event, seed: int) -> AllocationResult:
    """Work out the allocation without writing anything: the organizer's preview."""
    registrations = list(db.session.scalars(
        sa.select(Registration)
        .where(Registration.event_id == event.id, Registration.status == RegistrationStatus.CONFIRMED)
        .order_by(Registration.id)
    ))
    units = _team_units(registrations)
    order = list(units)
    random.Random(seed).shuffle(order)
    results = []
    for index, block in enumerate(open_blocks(event)):
        served = order if index % 2 == 0 else list(reversed(order))
        results.append(_plan_block(event, block, units, served))
    digest = hashlib.sha256(repr((seed, [(b.block.id if b.block else None, sorted(b.assigned.items()),
                                          sorted(b.waiting.items()), b.order, sorted(b.parties.items()))
                                         for b in results])).encode())
    return AllocationResult(seed=seed, blocks=results, fingerprint=digest.hexdigest()[:12])


def report_summary(report: dict) -> str:
    """One block's report in words, for the organizer's page and the command alike."""
    held = report.get("already_held", 0)
    teams = report.get("teams", 0)
    people = report["people"]
    text = (f"{people} {'person' if people == 1 else 'people'} drawn: {report['first']} got their 1st choice, "
            f"{report['second']} their "
            f"2nd, {report['third']} their 3rd, {report['none']} none (they wait on their 1st choice)")
    if held:
        text += f"; {held} seat{'s' if held != 1 else ''} already held, kept as they are (not drawn again)"
    if teams:
        text += (f"; of {teams} district team{'s' if teams != 1 else ''}: {report.get('teams_together', 0)} seated "
                 f"together, {report.get('teams_waiting_together', 0)} waiting together, "
                 f"{report.get('teams_split', 0)} split (they ranked no visit in common)")
    return text + "."


def record_preview(event: Event, plan: AllocationResult) -> None:
    """Keep the preview the organizer saw, so its commit can be checked against it."""
    for block_result in plan.blocks:
        db.session.add(VisitAllocation(
            event_id=event.id, block_id=block_result.block.id if block_result.block else None, seed=plan.seed,
            report={**block_result.report, "fingerprint": plan.fingerprint}))
    db.session.flush()


def _team_units(registrations: list[Registration]) -> dict[int, list[Registration]]:
    """People grouped by district team (a lead and those they registered); a unit per solo attendee."""
    units: dict[int, list[Registration]] = {}
    for registration in registrations:
        units.setdefault(registration.team_lead_id or registration.id, []).append(registration)
    return units


def _plan_block(event: Event, block: AgendaItem | None, units, served: list[int]) -> BlockResult:
    """Serve units in order: a team seated together, or waiting together; a solo attendee their best free
    choice. Those already holding a seat in the block keep it and are not served."""
    block_id = block.id if block else None
    visits = db.session.scalars(
        sa.select(Visit).where(Visit.event_id == event.id, Visit.status == VisitStatus.SCHEDULED,
                               in_block(Visit.block_id, block_id))
    ).all()
    now = utcnow()
    # A visit past its school's notice takes nobody new, the draw included.
    left = {visit.id: 0 if within_notice(visit, now) else free_seats(visit) for visit in visits}
    rankings = _rankings(event, block_id)
    holders = seat_holders(event, block_id)
    result = BlockResult(block=block)
    teams = {"teams": 0, "teams_together": 0, "teams_waiting_together": 0, "teams_split": 0}
    for unit_id in served:
        members = [m for m in units[unit_id] if rankings.get(m.id) and m.id not in holders]
        if not members:
            continue
        result.order.extend(m.id for m in members)
        if len(members) > 1:
            teams["teams"] += 1
            shared = _best_shared_visit(members, rankings, left, fitting=True)
            if shared is not None:
                teams["teams_together"] += 1
                for member in members:
                    result.assigned[member.id] = shared
                left[shared] -= len(members)
                continue
            roomy = {v.id: left[v.id] for v in visits if v.seats >= len(members)}  # could ever seat them all
            wanted = _best_shared_visit(members, rankings, roomy, fitting=False)
            if wanted is not None:
                teams["teams_waiting_together"] += 1
                for member in members:
                    result.waiting[member.id] = wanted
                    result.parties[member.id] = unit_id
                continue
            teams["teams_split"] += 1  # no visit they all ranked could ever seat them all: each goes their own way
        for member in members:
            choice = next((v for v in rankings[member.id] if left.get(v, 0) > 0), None)
            if choice is None:
                result.waiting[member.id] = rankings[member.id][0]
            else:
                result.assigned[member.id] = choice
                left[choice] -= 1
    result.report = _report(result, rankings, teams, len(holders), visits)
    return result


def _rankings(event: Event, block_id: int | None) -> dict[int, list[int]]:
    """Each person's ranked visit ids (best first) in the block."""
    rows = db.session.execute(
        sa.select(VisitChoice.registration_id, VisitChoice.visit_id)
        .join(Visit, Visit.id == VisitChoice.visit_id)
        .where(Visit.event_id == event.id, Visit.status == VisitStatus.SCHEDULED,
               in_block(Visit.block_id, block_id))
        .order_by(VisitChoice.registration_id, VisitChoice.rank)
    ).all()
    rankings: dict[int, list[int]] = {}
    for registration_id, visit_id in rows:
        rankings.setdefault(registration_id, []).append(visit_id)
    return rankings


def _best_shared_visit(members, rankings, left, *, fitting: bool) -> int | None:
    """The visit every member ranked (with room for all, if `fitting`) that they like best together (lowest
    rank sum)."""
    common = set.intersection(*(set(rankings[m.id]) for m in members)) & set(left)
    candidates = [v for v in common if not fitting or left[v] >= len(members)]
    if not candidates:
        return None
    return min(candidates,
               key=lambda v: (sum(rankings[m.id].index(v) for m in members), rankings[members[0].id].index(v)))


def _report(result: BlockResult, rankings, teams: dict[str, int], already_held: int, visits) -> dict:
    """How many got their 1st, 2nd, 3rd choice or none; seats already held (kept, not drawn); teams seated
    together, waiting together or split; fill of each visit."""
    counts = {"first": 0, "second": 0, "third": 0, "none": 0}
    for registration_id in result.order:
        visit_id = result.assigned.get(registration_id)
        if visit_id is None:
            counts["none"] += 1
        else:
            counts[RANK_KEYS[rankings[registration_id].index(visit_id) + 1]] += 1
    fill = {}
    for visit in visits:
        fill[str(visit.id)] = {
            "title": visit.title,
            "assigned": sum(1 for v in result.assigned.values() if v == visit.id),
            "waiting": sum(1 for v in result.waiting.values() if v == visit.id),
        }
    return {"people": len(result.order), **counts, "already_held": already_held, **teams, "visits": fill}


def commit_allocation(event: Event, seed: int, *, now: datetime | None = None) -> AllocationResult:
    """Write exactly the allocation previewed with `seed`: seats, waiting lists in serving order, emails.

    Refused if anything it depends on (who is registered, their rankings, the seats) changed
    since that preview: the organizer previews again rather than commit something unseen.
    """
    now = now or utcnow()
    if event.choices_close_at and now < event.choices_close_at:
        raise VisitError("Choices are still open; allocate after they close.")
    lock_event(event)
    plan = plan_allocation(event, seed)
    if not plan.blocks:
        raise VisitError("Every visit block of this event is already allocated.")
    previews = db.session.scalars(sa.select(VisitAllocation).where(
        VisitAllocation.event_id == event.id, VisitAllocation.seed == seed,
        VisitAllocation.committed_at.is_(None))).all()
    if not previews:
        raise VisitError(f"Preview the allocation with seed {seed} before committing it.")
    if previews[-1].report.get("fingerprint") != plan.fingerprint:
        raise VisitError("Registrations, rankings or seats changed since that preview; preview again.")
    invited = []
    for block_result in plan.blocks:
        for turn, registration_id in enumerate(block_result.order):
            registration = db.session.get_one(Registration, registration_id)
            visit_id = block_result.assigned.get(registration_id) or block_result.waiting[registration_id]
            status = SeatStatus.CONFIRMED if registration_id in block_result.assigned else SeatStatus.WAITLISTED
            # Each turn a microsecond later: a waiting list then follows the draw, also for a row that
            # existed before (a first-come waiting place, kept or released).
            place = allocate_place(registration, db.session.get_one(Visit, visit_id), status,
                                   party_id=block_result.parties.get(registration_id),
                                   now=now + timedelta(microseconds=turn))
            if status is SeatStatus.CONFIRMED:
                invited.append(place)
    for place in invited:
        send_visit_invitation(place, InviteMethod.REQUEST, InviteReason.ALLOCATED)
    for block_result in plan.blocks:
        # Seats left on a visit a team waits for are held for it (its lead is asked whether to split), and
        # a waiting place the draw moved elsewhere may have let someone else move up.
        for visit_id in sorted(block_result.report["visits"], key=int):
            promote_visit_waitlist(db.session.get_one(Visit, int(visit_id)), now=now)
    for preview in previews:
        if preview.report.get("fingerprint") == plan.fingerprint:
            preview.committed_at = now
    db.session.flush()
    notified = {rid for block_result in plan.blocks for rid in block_result.order}
    for registration_id in sorted(notified):
        registration = db.session.get_one(Registration, registration_id)
        send_registration_email(registration, EmailKind.VISIT_ALLOCATED, f"Your school visits for {event.title}")
    return plan
