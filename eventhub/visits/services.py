"""Booking school visits: ranked choices, seats under the event's lock, waiting lists, screening data.

Every seat decision happens after `lock_event`, so a rush cannot oversell a visit.
Functions here flush but never commit.
"""
import enum
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from typing import cast

import sqlalchemy as sa
from sqlalchemy.engine import CursorResult

from eventhub.editing import claim_version
from eventhub.errors import DomainError
from eventhub.extensions import db
from eventhub.locking import lock_event
from eventhub.models import (
    Event,
    Registration,
    RegistrationStatus,
    School,
    SeatStatus,
    Visit,
    VisitAllocation,
    VisitAllocationMode,
    VisitChoice,
    VisitSeat,
    VisitStatus,
    utcnow,
)
from eventhub.notifications.attendees import send_registration_email, send_visit_invitation
from eventhub.notifications.hosts import send_guest_list_change
from eventhub.notifications.kinds import EmailKind, InviteMethod, InviteReason
from eventhub.timezones import as_utc, at_local, local
from eventhub.visits.queries import (
    party_contact,
    queue_units,
    seat_free_for_organizer,
    seat_free_on,
    seat_would_come_back,
    seats_for_queue,
    seats_free_for_team,
    seats_phrase,
    standings,
)

MAX_RANKED = 3


class VisitError(DomainError):
    """A visit rule refused the request; the message is meant for the attendee."""


class VisitFieldError(VisitError):
    """A visit's detail that cannot be saved; `field` names the visit form's field to fix."""

    def __init__(self, message: str, field: str):
        super().__init__(message)
        self.field = field


class VisitTimesError(VisitFieldError):
    """A visit's times are out of order."""


def check_host_school(school: School) -> None:
    """A visit takes place at a school in use, of a district that can host (its time zone chosen)."""
    if school.archived_at is not None:
        raise VisitFieldError(f"{school.name} is archived: restore it in the directory to hold a visit there.",
                              "school_id")
    if not school.district.can_host:
        why = "is archived" if school.district.archived_at else "has no time zone yet; choose one on its page"
        raise VisitFieldError(f"{school.district.name} {why}, so it cannot host a visit.", "school_id")


def check_times(values: dict) -> None:
    """A visit's times run in order: visitors meet, the bus leaves, the school's window starts and ends."""
    starts, ends = values["starts_at"], values["ends_at"]
    meets, bus = values.get("meets_at"), values.get("bus_departs_at")
    if ends <= starts:
        raise VisitTimesError("The visit must end after it starts.", "ends")
    if bus is not None and bus >= ends:
        raise VisitTimesError("The bus must leave before the visit ends.", "bus_departs")
    if meets is not None and meets > starts:
        raise VisitTimesError("Visitors must meet before the visit starts at the school, or at its start.", "meets")
    if meets is not None and bus is not None and meets > bus:
        raise VisitTimesError("Visitors must meet before the bus leaves, or when it leaves.", "meets")


@dataclass
class BlockChoices:
    """A person's ranked visits (best first) for one visit block, and what they hope to learn."""

    block_id: int | None
    visit_ids: list[int]
    hopes: str = ""


@dataclass
class Screening:
    """What a host school needs to screen a visitor, given with the visitor's consent."""

    date_of_birth: date | None = None
    id_type: str = ""
    consent: bool = False


@dataclass
class Booking:
    """What booking did in one block: the seat or waiting-list place, and seats it freed."""

    place: VisitSeat | None
    released: list[VisitSeat] = field(default_factory=list)


# --- the school's notice -------------------------------------------------------------------------------


def guest_list_due(visit: Visit) -> datetime | None:
    """When the school must have its guest list: the start of the school day (Monday to Friday, in the
    school's zone) that lies `notice_school_days` school days before the visit's day. None: no notice."""
    days = visit.school.notice_school_days
    if days <= 0:
        return None
    day = visit.local_date
    while days:
        day -= timedelta(days=1)
        if day.weekday() < 5:
            days -= 1
    return at_local(day, time(0, 0), visit.zone)


def within_notice(visit: Visit, now: datetime) -> bool:
    """Whether the visit's guest list is due already (and the visit not over): it then takes no new bookings
    and no automatic promotions; only an organizer adds someone, after a warning."""
    due = guest_list_due(visit)
    return due is not None and due <= now < visit.ends_at


def due_words(visit: Visit) -> str:
    """"Thursday, April 1" (the day the guest list was due, in the school's zone)."""
    due = guest_list_due(visit)
    if due is None:
        return ""
    due = local(due, visit.zone)
    return f"{due:%A}, {due:%B} {due.day}"


def notice_phrase(visit: Visit) -> str:
    """"Lincoln Elementary needs 3 school days' notice of every visitor: its guest list was due on
    Thursday, April 1." """
    days = visit.school.notice_school_days
    return (f"{visit.school.name} needs {days} school day{'s' if days != 1 else ''}' notice of every visitor: "
            f"its guest list was due on {due_words(visit)}.")


def _guest_list_changed(place: VisitSeat, was_seated: bool, now: datetime) -> None:
    """A seat added to or taken off a guest list that was due already: the school's coordinators hear of it."""
    seated = place.status is SeatStatus.CONFIRMED
    if seated != was_seated and within_notice(place.visit, now):
        send_guest_list_change(place, added=seated, due=due_words(place.visit))


def closed_note(visit: Visit, now: datetime | None = None) -> str:
    """For a visit's card: why it takes nobody new now (its school's notice), or ""."""
    return notice_phrase(visit) if within_notice(visit, now or utcnow()) else ""


class LateForGuestList(VisitError):
    """An organizer's change to a guest list that is already due: done only after a warning."""


# --- choices ------------------------------------------------------------------------------------


class ChoicesStage(enum.StrEnum):
    """Where an event's visit choices stand, for what its pages say."""

    FIRST_COME = "first_come"  # seats go as choices arrive
    OPEN = "open"  # a fair allocation is to come; rankings may change until choices close
    CLOSED = "closed"  # choices closed, seats not allocated yet
    ALLOCATED = "allocated"  # every block allocated; what is left goes first come


@dataclass(frozen=True)
class ChoicesState:
    """The stage of the event's visit choices, when they close, and when seats were allocated."""

    stage: ChoicesStage
    closes_at: datetime | None = None
    allocated_at: datetime | None = None


def choices_state(event: Event, now: datetime) -> ChoicesState:
    """Where the event's visit choices stand now (one answer for the event page, the form and the private page)."""
    if event.visit_allocation is VisitAllocationMode.FIRST_COME:
        return ChoicesState(ChoicesStage.FIRST_COME)
    blocks = set(db.session.scalars(sa.select(Visit.block_id).distinct().where(
        Visit.event_id == event.id, Visit.status == VisitStatus.SCHEDULED)))
    committed = {block: as_utc(at) for block, at in db.session.execute(
        sa.select(VisitAllocation.block_id, sa.func.max(VisitAllocation.committed_at))
        .where(VisitAllocation.event_id == event.id, VisitAllocation.committed_at.is_not(None))
        .group_by(VisitAllocation.block_id)).tuples() if at is not None}
    if blocks and blocks <= committed.keys():
        return ChoicesState(ChoicesStage.ALLOCATED, event.choices_close_at,
                            max(committed[block] for block in blocks))
    if event.choices_close_at is None or now < event.choices_close_at:
        return ChoicesState(ChoicesStage.OPEN, event.choices_close_at)
    return ChoicesState(ChoicesStage.CLOSED, event.choices_close_at)


def choices_open(event: Event, block_id: int | None, now: datetime) -> bool:
    """Whether rankings may still change: always where seats go first come, else until choices close."""
    if first_come_applies(event, block_id):
        return True
    return event.choices_close_at is None or now < event.choices_close_at


def save_choices(registration: Registration, choices: BlockChoices, *, first_time: bool = False,
                 now: datetime | None = None) -> None:
    """Replace the person's ranked choices for one block (`first_time`: they have none yet)."""
    if not choices_open(registration.event, choices.block_id, now or utcnow()):
        raise VisitError("Visit choices are closed while seats are being allocated; we will email you your visits.")
    if len(choices.visit_ids) > MAX_RANKED or len(set(choices.visit_ids)) != len(choices.visit_ids):
        raise VisitError(f"Rank up to {MAX_RANKED} different visits.")
    # Usually already in the session (the form listed them), so this costs no query.
    chosen = [db.session.get(Visit, visit_id) for visit_id in choices.visit_ids]
    if any(v is None or v.event_id != registration.event_id or v.block_id != choices.block_id for v in chosen):
        raise VisitError("One of the chosen visits is not offered in this block.")
    when = now or utcnow()
    closed = [v for v in chosen if v is not None and within_notice(v, when)]
    if closed:
        held = set() if first_time else {p.visit_id for p in _current_places(registration, choices.block_id)}
        late = next((v for v in closed if v.id not in held), None)
        if late is not None:
            raise VisitError(f"“{late.title}” takes no new visitors: {notice_phrase(late)} Choose another visit.")
    if not first_time:
        visits = _visits_in_block(registration.event, choices.block_id)
        db.session.execute(
            sa.delete(VisitChoice).where(
                VisitChoice.registration_id == registration.id,
                VisitChoice.visit_id.in_([v.id for v in visits]),
            )
        )
    for rank, visit_id in enumerate(choices.visit_ids, start=1):
        db.session.add(VisitChoice(registration=registration, visit_id=visit_id, rank=rank, hopes=choices.hopes))
    db.session.flush()


def _visits_in_block(event: Event, block_id: int | None) -> list[Visit]:
    """All visits of the event in a block (any status)."""
    return list(db.session.scalars(
        sa.select(Visit).where(Visit.event_id == event.id, _same_block(block_id)).order_by(Visit.id)
    ))


def in_block(column, block_id: int | None):
    """SQL condition: `column` (a block_id column) names this block; NULL is a peer visit's "block"."""
    return column.is_(None) if block_id is None else column == block_id


def _same_block(block_id: int | None):
    """SQL condition: the visit belongs to this block."""
    return in_block(Visit.block_id, block_id)


def ranked_visits(registration: Registration, block_id: int | None) -> list[Visit]:
    """The person's choices in a block, best first."""
    return list(db.session.scalars(
        sa.select(Visit)
        .join(VisitChoice, VisitChoice.visit_id == Visit.id)
        .where(VisitChoice.registration_id == registration.id, Visit.event_id == registration.event_id,
               _same_block(block_id))
        .order_by(VisitChoice.rank)
    ))


def chosen_blocks(registration: Registration) -> list[int | None]:
    """The blocks in which the person ranked at least one visit."""
    return sorted(
        set(db.session.scalars(
            sa.select(Visit.block_id).join(VisitChoice, VisitChoice.visit_id == Visit.id)
            .where(VisitChoice.registration_id == registration.id)
        )),
        key=lambda block: (block is not None, block or 0),
    )


def first_come_applies(event: Event, block_id: int | None) -> bool:
    """Seats are given as choices arrive, unless the block awaits its fair allocation."""
    if event.visit_allocation is VisitAllocationMode.FIRST_COME:
        return True
    committed = db.session.scalar(
        sa.select(VisitAllocation.id).where(
            VisitAllocation.event_id == event.id,
            in_block(VisitAllocation.block_id, block_id),
            VisitAllocation.committed_at.is_not(None),
        ).limit(1)
    )
    return committed is not None


# --- seats ------------------------------------------------------------------------------------------


def place_on(registration: Registration, visit: Visit, status: SeatStatus, *, now: datetime,
             new_registration: bool = False) -> VisitSeat:
    """The person's row for this visit. A new one is created already in `status` (a seat or a waiting
    place); an existing one (given up before) is returned as it is, for the caller to change when it
    has released what it must. Call with the event locked."""
    seat = None if new_registration else db.session.scalar(
        sa.select(VisitSeat).where(VisitSeat.visit_id == visit.id, VisitSeat.registration_id == registration.id)
    )
    if seat is None:
        seat = VisitSeat(visit=visit, registration=registration, block_id=visit.block_id)
        set_place(seat, status, now)
        db.session.add(seat)
    return seat


def set_place(place: VisitSeat, status: SeatStatus, now: datetime) -> None:
    """Make the place a seat or a waiting place, through its transition (a late change to the guest list is
    told to the school)."""
    was_seated = place.status is SeatStatus.CONFIRMED
    if status is SeatStatus.CONFIRMED:
        place.confirm(now)
    else:
        place.wait(now)
    _guest_list_changed(place, was_seated, now)


def _current_places(registration: Registration, block_id: int | None) -> list[VisitSeat]:
    """The person's live seats and waiting places in a block."""
    return list(db.session.scalars(
        sa.select(VisitSeat).join(Visit)
        .where(VisitSeat.registration_id == registration.id, VisitSeat.status != SeatStatus.CANCELLED,
               Visit.event_id == registration.event_id, _same_block(block_id))
    ))


def book_first_come(
    registration: Registration,
    block_id: int | None,
    *,
    now: datetime | None = None,
    screening: Screening | None = None,
    norms_acknowledged_at: datetime | None = None,
    new_registration: bool = False,
    ranking: list[int] | None = None,
    by_organizer: bool = False,
) -> Booking:
    """Give the best-ranked visit with a free seat, else a place on the first choice's waiting list.

    A seat the person already holds is kept when nothing they rank higher has room, and is
    given up (to the head of its waiting list) when they move. Call with the event locked.
    `ranking` (visit ids, best first) spares the lookup when the caller has just saved it; `by_organizer`
    may take a seat held for a team at the head of the waiting list.
    """
    now = now or utcnow()
    visits = ranked_visits(registration, block_id) if ranking is None else [db.session.get(Visit, v) for v in ranking]
    # A registration made in this very request holds no place yet: spare the lookups.
    current = [] if new_registration else _current_places(registration, block_id)
    # Past its school's notice a visit takes nobody new (an organizer's hand aside); a place held stays.
    mine = {p.visit_id for p in current}
    bookable = [v for v in visits if v is not None and v.status is VisitStatus.SCHEDULED
                and (by_organizer or v.id in mine or not within_notice(v, now))]
    held = next((p for p in current if p.status is SeatStatus.CONFIRMED), None)
    target, status = None, None
    for visit in bookable:
        if held is not None and held.visit_id == visit.id:
            target, status = held, SeatStatus.CONFIRMED
            break
        if seat_free_for_organizer(visit) if by_organizer else seat_free_on(visit):
            status = SeatStatus.CONFIRMED
            target = place_on(registration, visit, status, now=now, new_registration=new_registration)
            break
    if target is None and bookable:
        status = SeatStatus.WAITLISTED
        target = place_on(registration, bookable[0], status, now=now, new_registration=new_registration)
    booking = Booking(place=target)
    if target is not None and screening is not None:
        record_screening(target, screening, now=now)
    acknowledged = norms_acknowledged_at or registration.visit_norms_acknowledged_at
    if target is not None and acknowledged is not None:
        target.norms_acknowledged_at = target.norms_acknowledged_at or acknowledged
    for place in current:
        if place is not target:
            booking.released.append(place)
            _cancel_place(place, now)
    # Give up the old places first: the database allows one confirmed seat per block.
    # (A new row already carries its status: the flush updates before it inserts.)
    db.session.flush()
    if target is not None and status is not None and target.status is not status:
        set_place(target, status, now)
        db.session.flush()
    if target is not None and status is SeatStatus.CONFIRMED and target is not held:
        send_visit_invitation(target, InviteMethod.REQUEST, InviteReason.BOOKED)
    for place in booking.released:
        promote_visit_waitlist(place.visit, now=now)
    return booking


def book_all_blocks(registration: Registration, *, now: datetime | None = None) -> list[Booking]:
    """Book every block the person ranked visits in, where seats go first come first served."""
    if registration.status is not RegistrationStatus.CONFIRMED:
        return []
    return [
        book_first_come(registration, block_id, now=now)
        for block_id in chosen_blocks(registration)
        if first_come_applies(registration.event, block_id)
    ]


def _cancel_place(place: VisitSeat, now: datetime, reason: InviteReason = InviteReason.CANCELLED, *,
                  tell_host: bool = True) -> None:
    """Mark a seat or waiting place cancelled (the caller promotes if a seat was freed).

    A seat that was in the person's calendar gets its invitation withdrawn (iTIP CANCEL).
    """
    was_seated = place.status is SeatStatus.CONFIRMED
    if was_seated:
        send_visit_invitation(place, InviteMethod.CANCEL, reason)
    place.cancel(now)
    if tell_host:
        _guest_list_changed(place, was_seated, now)


def id_refusal(school: School, kind: str) -> str | None:
    """Why a visitor naming this kind of photo ID could not use it at the school (None: it may)."""
    if not kind or not school.photo_id_required or school.accepts_id(kind):
        return None
    if not school.accepted_ids:
        return "Choose the kind of photo ID you will bring from the list."
    return f"{school.name} accepts only {school.accepted_ids} at its door: choose one of those."


def record_screening(place: VisitSeat, screening: Screening, *, now: datetime | None = None) -> None:
    """Keep screening data on the place at this host only, and only what the host asks for, with consent."""
    school = place.visit.school
    if not school.collects_screening_data:
        return
    if not screening.consent:
        raise VisitError(f"{school.name} screens its visitors: we need your consent to share your details with it.")
    refused = id_refusal(school, screening.id_type) if school.screening_id_type_required else None
    if refused:
        raise VisitError(refused)
    place.screening_consent_at = now or utcnow()
    place.date_of_birth = screening.date_of_birth if school.screening_dob_required else None
    place.id_type = screening.id_type if school.screening_id_type_required else ""
    place.screening_purged_at = None


def acknowledge_norms(registration: Registration, *, now: datetime | None = None) -> None:
    """Record that the person accepted the visit norms on each of their places."""
    for place in db.session.scalars(sa.select(VisitSeat).where(VisitSeat.registration_id == registration.id)):
        place.norms_acknowledged_at = place.norms_acknowledged_at or now or utcnow()


def promote_visit_waitlist(visit: Visit, *, now: datetime | None = None) -> list[VisitSeat]:
    """Give the visit's free seats to its waiting list from the head, a team's party all at once, and email
    each person seated. A party that needs more seats than are free stops the queue: the free seats are held
    for it (nobody behind it jumps ahead), and its lead is asked whether to split it."""
    now = now or utcnow()
    free = seats_for_queue(visit)
    if free == 0 or within_notice(visit, now):
        return []  # past the school's notice, only an organizer seats someone (the school must agree)
    seated: list[VisitSeat] = []
    for unit in queue_units(visit):
        if len(unit) > visit.seats:
            # The visit was made smaller than the team: it can never ride whole, so its members wait on
            # in their own places (each keeps their turn), and the queue is served again.
            for place in unit:
                place.party_id = place.split_offered = None
            db.session.flush()
            return seated + promote_visit_waitlist(visit, now=now)
        if len(unit) > free:
            _offer_split(unit, free)
            break
        for place in unit:
            _seat_from_queue(place, now)
            seated.append(place)
        free -= len(unit)
        if free == 0:
            break
    return seated


def _seat_from_queue(place: VisitSeat, now: datetime) -> None:
    """Seat a waiting place; one seat per block, so a seat held elsewhere in the block goes back to that
    visit's queue, and both emails say the one replaces the other."""
    replaced = None
    for other in _current_places(place.registration, place.visit.block_id):
        if other is not place and other.status is SeatStatus.CONFIRMED:
            replaced = f"“{other.visit.title}” at {other.visit.school.name}"
            _cancel_place(other, now, InviteReason.REPLACED)
            db.session.flush()
            promote_visit_waitlist(other.visit, now=now)
    set_place(place, SeatStatus.CONFIRMED, now)
    db.session.flush()
    send_visit_invitation(place, InviteMethod.REQUEST, InviteReason.PROMOTED, replaced=replaced)


def _offer_split(party: list[VisitSeat], held: int) -> None:
    """Seats are held for the party at the head of the queue, but not enough for all: its lead is asked
    (once for each new count of held seats) whether to split it."""
    contact = party_contact(party)
    if held <= 0 or (contact.split_offered or 0) >= held:
        return
    contact.split_offered = held
    db.session.flush()
    send_registration_email(contact.registration, EmailKind.TEAM_SPLIT_OFFER,
                            f"{seats_phrase(held)} for your team: School visit: {contact.visit.title}",
                            place_id=contact.id)


def allocate_place(registration: Registration, visit: Visit, status: SeatStatus, *, party_id: int | None,
                   now: datetime) -> VisitSeat:
    """The allocation's outcome for one person in a block (who holds no seat there): a seat, or a waiting
    place (with their team's party). A waiting place they had on another visit of the block (first come,
    before the event switched to the allocation) is given up. Call with the event locked."""
    for other in _current_places(registration, visit.block_id):
        if other.visit_id != visit.id:
            _cancel_place(other, now)
    db.session.flush()
    place = place_on(registration, visit, status, now=now)
    set_place(place, status, now)  # a place given up before, or on this visit's waiting list, takes it
    place.party_id = party_id if status is SeatStatus.WAITLISTED else None
    place.norms_acknowledged_at = place.norms_acknowledged_at or registration.visit_norms_acknowledged_at
    db.session.flush()  # insertion order keeps the waiting list in serving order
    return place


def places_before_draw(event: Event) -> list[VisitSeat]:
    """Seats and waiting places given first come on the event's visits in blocks not allocated yet: what
    switching the event to the allocation must keep, or release into the draw."""
    if event.visit_allocation is not VisitAllocationMode.FIRST_COME:
        return []
    committed = set(db.session.scalars(sa.select(VisitAllocation.block_id).where(
        VisitAllocation.event_id == event.id, VisitAllocation.committed_at.is_not(None))))
    return [place for place in db.session.scalars(
        sa.select(VisitSeat).join(Visit, Visit.id == VisitSeat.visit_id)
        .where(Visit.event_id == event.id, Visit.status == VisitStatus.SCHEDULED,
               VisitSeat.status != SeatStatus.CANCELLED).order_by(VisitSeat.id))
        if place.block_id not in committed]


def set_allocation_mode(event: Event, mode: VisitAllocationMode, *, release_held_places: bool = False,
                        now: datetime | None = None) -> int:
    """How the event gives visit seats from now on. Switching to the allocation keeps the places already given
    first come (their holders are not drawn again), unless `release_held_places` puts them back into the draw.
    Returns how many seats were released."""
    if mode is event.visit_allocation:
        return 0
    lock_event(event)  # no booking slips in between the places read and their release
    held = places_before_draw(event)
    event.visit_allocation = mode
    if not (held and release_held_places):
        return 0
    return _release_into_draw(held, now=now or utcnow())


def _release_into_draw(places: list[VisitSeat], *, now: datetime) -> int:
    """Give up these places so their holders are drawn with everyone else (their rankings stay); a seat's
    invitation is withdrawn with a word on why. Returns how many seats were released."""
    seats = 0
    for place in places:
        if place.status is SeatStatus.CONFIRMED:
            seats += 1
            send_visit_invitation(place, InviteMethod.CANCEL, InviteReason.INTO_DRAW)
        place.cancel(now)
    db.session.flush()
    return seats


# --- district teams --------------------------------------------------------------------------------


def book_team_first_come(team: list[Registration], block_id: int | None, visit_ids: list[int], *,
                         now: datetime, screening: Screening | None = None) -> list[Booking]:
    """A district team registering together (with the same ranking) rides together: each member gets a seat
    on the best-ranked visit with a seat for everyone, or the team waits as one party on the best-ranked
    visit large enough for all of it. Only the lead (the first) gave screening details. Call with the event
    locked."""
    visits = [db.session.get_one(Visit, v) for v in visit_ids]
    bookable = [v for v in visits if v.status is VisitStatus.SCHEDULED and not within_notice(v, now)]
    if len(team) == 1 or not bookable:
        return [book_first_come(member, block_id, now=now, new_registration=True, ranking=visit_ids,
                                screening=screening if member is team[0] else None) for member in team]
    together = next((v for v in bookable if seats_free_for_team(v, len(team))), None)
    if together is not None:
        return [book_first_come(member, block_id, now=now, new_registration=True, ranking=[together.id],
                                screening=screening if member is team[0] else None) for member in team]
    roomy = next((v for v in bookable if v.seats >= len(team)), None)
    if roomy is None:  # no visit they ranked could ever seat them all: each books on their own
        return [book_first_come(member, block_id, now=now, new_registration=True, ranking=visit_ids,
                                screening=screening if member is team[0] else None) for member in team]
    return [wait_as_party(team, roomy, now=now, screening=screening)]


def wait_as_party(team: list[Registration], visit: Visit, *, now: datetime,
                  screening: Screening | None = None) -> Booking:
    """Put a team (new registrations, the lead first) on the visit's waiting list as one party; seats already
    free on it are held for the party at once, and its lead is asked whether to split."""
    party = []
    for member in team:
        place = place_on(member, visit, SeatStatus.WAITLISTED, now=now, new_registration=True)
        place.party_id = team[0].id
        acknowledged = member.visit_norms_acknowledged_at
        place.norms_acknowledged_at = place.norms_acknowledged_at or acknowledged
        party.append(place)
    if screening is not None:
        record_screening(party[0], screening, now=now)
    db.session.flush()
    promote_visit_waitlist(visit, now=now)
    return Booking(place=party[0])


def split_party(lead: Registration, place_id: int, seat_ids: list[int], *,
                now: datetime | None = None) -> list[VisitSeat]:
    """The lead splits their waiting party: the chosen members take the seats held for it now; the others
    keep waiting at the head of the list, together. Returns the places seated."""
    now = now or utcnow()
    lock_event(lead.event)
    place = db.session.get(VisitSeat, place_id)
    if place is None or place.registration_id != lead.id:
        raise VisitError("That is not one of your visit places.")
    db.session.refresh(place)
    [standing] = standings([place])
    party, held = standing.party, standing.held
    if not standing.speaks_for_party:
        raise VisitError("Your team is not waiting together for this visit any more.")
    if within_notice(place.visit, now):
        raise VisitError(notice_phrase(place.visit) + " Only the organizers can seat anyone now, with the school's "
                         "agreement: write to them.")
    chosen = [p for p in party if p.id in set(seat_ids)]
    if not chosen or len(chosen) != len(set(seat_ids)):
        raise VisitError("Choose who takes the seats.")
    if len(chosen) > held:
        raise VisitError(f"Only {seats_phrase(held)} {'is' if held == 1 else 'are'} held for your team now.")
    for member in chosen:
        _seat_from_queue(member, now)
    rest = [p for p in party if p not in chosen]
    for member in rest:
        member.party_id = rest[0].party_id if len(rest) > 1 else None
        member.split_offered = None
    if len(rest) > 1:  # the lead has just seen the seats still held: no new offer for those
        party_contact(rest).split_offered = held - len(chosen)
    db.session.flush()
    promote_visit_waitlist(place.visit, now=now)
    return chosen


def leave_place(place: VisitSeat, *, now: datetime | None = None) -> list[VisitSeat]:
    """Give up a seat or leave a waiting list; a freed seat goes to the head of the list at once.
    Returns who got it."""
    now = now or utcnow()
    lock_event(place.visit.event)
    db.session.refresh(place)
    if place.status is SeatStatus.CANCELLED:
        return []
    _cancel_place(place, now)
    _forget_choice(place.registration, place.visit)
    db.session.flush()
    # A freed seat goes on; a waiting team that lost a member may fit the seats held for it now.
    return promote_visit_waitlist(place.visit, now=now)


def _forget_choice(registration: Registration, visit: Visit) -> None:
    """Someone who leaves a visit no longer wants it: drop it from their ranking, closing the gap."""
    choices = list(db.session.scalars(
        sa.select(VisitChoice).join(Visit)
        .where(VisitChoice.registration_id == registration.id, Visit.event_id == visit.event_id,
               _same_block(visit.block_id))
        .order_by(VisitChoice.rank)
    ))
    remaining = [c for c in choices if c.visit_id != visit.id]
    if len(remaining) == len(choices):
        return
    for choice in choices:
        if choice.visit_id == visit.id:
            db.session.delete(choice)
    for rank, choice in enumerate(remaining, start=1):
        choice.rank = rank


def hand_over_seats(giver: Registration, colleague: Registration, *, now: datetime,
                    norms_acknowledged_at: datetime | None) -> list[VisitSeat]:
    """The giver's visit seats pass to the colleague directly (not freed to the waiting lists): each seat's
    invitation leaves the giver's calendar and a new one goes to the colleague. Screening details never carry
    over; a waiting place stays the giver's to lose with their registration. Call with the event locked."""
    passed = []
    for place in _live_places(giver):
        if place.status is not SeatStatus.CONFIRMED:
            continue
        visit = place.visit
        _cancel_place(place, now)
        db.session.flush()  # the seat is free for one moment, under the lock: it goes to the colleague
        seat = place_on(colleague, visit, SeatStatus.CONFIRMED, now=now, new_registration=True)
        seat.norms_acknowledged_at = norms_acknowledged_at
        db.session.flush()
        send_visit_invitation(seat, InviteMethod.REQUEST, InviteReason.BOOKED)
        passed.append(seat)
    for choice in db.session.scalars(sa.select(VisitChoice).where(VisitChoice.registration_id == giver.id)):
        if any(seat.visit_id == choice.visit_id for seat in passed):
            db.session.add(VisitChoice(registration=colleague, visit_id=choice.visit_id, rank=choice.rank))
    db.session.flush()
    return passed


def release_all_places(registration: Registration, *, now: datetime | None = None) -> None:
    """Cancel every seat and waiting place of a cancelled registration, promoting where seats free up."""
    now = now or utcnow()
    touched = []
    for place in _live_places(registration):
        touched.append(place.visit)  # a freed seat goes on; a waiting team that lost a member may fit now
        _cancel_place(place, now)
    db.session.flush()
    for visit in touched:
        promote_visit_waitlist(visit, now=now)


def _live_places(registration: Registration) -> list[VisitSeat]:
    """Seats and waiting places not cancelled."""
    return list(db.session.scalars(
        sa.select(VisitSeat).where(VisitSeat.registration_id == registration.id,
                                   VisitSeat.status != SeatStatus.CANCELLED)
    ))


def change_seats(visit: Visit, *, now: datetime | None = None, **limits) -> list[VisitSeat]:
    """Change how many seats a visit has (seats_override, buses, room_limit, observation_groups, group_size).

    More seats go to the waiting list at once. Fewer seats never take a seat from anyone:
    the visit simply takes nobody new until it is under its limit again.
    """
    allowed = {"seats_override", "buses", "room_limit", "observation_groups", "group_size"}
    if set(limits) - allowed:
        raise TypeError(f"unknown seat limits: {set(limits) - allowed}")
    lock_event(visit.event)
    for name, value in limits.items():
        if value is not None and value < 0:
            raise VisitError("Seat limits cannot be negative.")
        setattr(visit, name, value)
    db.session.flush()
    return promote_visit_waitlist(visit, now=now)


# --- the host hand-off ------------------------------------------------------------------------------


def purge_screening_data(*, older_than: timedelta, now: datetime | None = None) -> int:
    """Delete dates of birth and ID types of visits that ended more than `older_than` ago."""
    now = now or utcnow()
    ended = sa.select(Visit.id).where(Visit.ends_at < now - older_than)
    has_data = sa.or_(VisitSeat.date_of_birth.is_not(None), VisitSeat.id_type != "")
    result = db.session.execute(
        sa.update(VisitSeat)
        .where(VisitSeat.visit_id.in_(ended), has_data)
        .values(date_of_birth=None, id_type="", screening_purged_at=now)
    )
    return cast(CursorResult, result).rowcount


def change_choices(
    registration: Registration,
    choices: list[BlockChoices],
    *,
    screening: Screening | None = None,
    now: datetime | None = None,
) -> list[Booking]:
    """From the private page: new rankings; where seats go first come first served, rebook each block.

    A seat the person holds is kept if they still rank it and nothing better has room. Clearing
    a block gives up its seat or waiting place.
    """
    now = now or utcnow()
    if registration.status is RegistrationStatus.CANCELLED:
        raise VisitError("This registration is cancelled. Register again before choosing visits.")
    event = registration.event
    lock_event(event)
    bookings = []
    for block_choices in choices:
        if block_choices.visit_ids:
            save_choices(registration, block_choices, now=now)
        else:
            if not choices_open(event, block_choices.block_id, now):
                raise VisitError("Visit choices are closed while seats are being allocated.")
            db.session.execute(sa.delete(VisitChoice).where(
                VisitChoice.registration_id == registration.id,
                VisitChoice.visit_id.in_([v.id for v in _visits_in_block(event, block_choices.block_id)]),
            ))
            for place in _current_places(registration, block_choices.block_id):
                leave_place(place, now=now)
            continue
        if registration.status is RegistrationStatus.CONFIRMED and first_come_applies(event, block_choices.block_id):
            bookings.append(book_first_come(registration, block_choices.block_id, now=now, screening=screening))
        elif screening is not None:
            for place in _current_places(registration, block_choices.block_id):
                record_screening(place, screening, now=now)
    if any(c.visit_ids for c in choices):
        registration.visit_norms_acknowledged_at = registration.visit_norms_acknowledged_at or now
    acknowledge_norms(registration, now=now)
    db.session.flush()
    return bookings


# --- organizer changes ---------------------------------------------------------------------------

# Changes that move a visit in people's calendars; they get an updated invitation.
CALENDAR_FIELDS = {"starts_at", "ends_at", "school", "meeting_point", "meets_at", "bus_departs_at", "title"}
EDITABLE_FIELDS = CALENDAR_FIELDS | {"focus", "topics", "transport", "host_contact_name", "host_contact_email",
                                     "host_contact_phone", "lunch_provided"}


SEAT_LIMITS = ("seats_override", "buses", "room_limit", "observation_groups", "group_size")


def moves_calendars(visit: Visit, changes: dict) -> bool:
    """Whether these changes would move the visit in its seated attendees' calendars."""
    return any(getattr(visit, name) != value for name, value in changes.items() if name in CALENDAR_FIELDS)


def create_visit(event: Event, *, block_id: int | None, **values) -> Visit:
    """A visit to a host school, in a visit block of the event's agenda or on its own."""
    check_times(values)
    check_host_school(values["school"])
    visit = Visit(event=event, block_id=block_id, **values)
    db.session.add(visit)
    db.session.flush()
    return visit


def check_block_move(visit: Visit, block_id: int | None) -> None:
    """A visit people hold seats on or wait for stays in its block (their one seat per block depends on it)."""
    if block_id != visit.block_id and db.session.scalar(sa.select(sa.func.count()).where(
            VisitSeat.visit_id == visit.id, VisitSeat.status != SeatStatus.CANCELLED)):
        raise VisitError("People already hold seats or wait for this visit: it cannot move to another block. "
                         "Cancel it and create a new one instead.")


def edit_visit(visit: Visit, *, block_id: int | None, limits: dict, now: datetime | None = None,
               opened_version: int | None = None, **changes) -> tuple[int, list[VisitSeat]]:
    """An organizer's edit of a visit: its block, its details (those seated get an updated invitation when
    its time or place moves) and its seat limits (more seats go to the waiting list at once). A form opened
    at an older version than the visit's is refused (EditConflict). Returns how many were told and who got
    a seat."""
    lock_event(visit.event)  # before the version's row lock: every writer of a visit takes the two in this order
    claim_version(visit, "visit", opened_version, {**changes, "block_id": block_id, **limits})
    check_block_move(visit, block_id)
    visit.block_id = block_id
    told = update_visit(visit, **changes)
    return told, change_seats(visit, now=now, **limits)


def update_visit(visit: Visit, **changes) -> int:
    """Change a visit; when its time, place or title changes, everyone seated gets an updated invitation.

    Returns how many people are notified (the "N attendees will be notified" of the back office).
    """
    unknown = set(changes) - EDITABLE_FIELDS
    if unknown:
        raise TypeError(f"not editable here: {sorted(unknown)}")
    moved = moves_calendars(visit, changes)
    if "school" in changes and changes["school"] is not visit.school:
        check_host_school(changes["school"])
    for name, value in changes.items():
        setattr(visit, name, value)
    check_times({name: getattr(visit, name) for name in ("starts_at", "ends_at", "meets_at", "bus_departs_at")})
    db.session.flush()
    if not moved:
        return 0
    seated = _seated(visit)
    for place in seated:
        send_visit_invitation(place, InviteMethod.REQUEST, InviteReason.UPDATED)
    return len(seated)


# A school's rules for visitors; those its visits' invitations state reach the people seated when they change.
RULE_FIELDS = ("photo_id_required", "accepted_id_kinds", "screening_dob_required", "screening_id_type_required",
               "notice_school_days", "photo_policy", "visitor_norms", "entrance", "bus_parking")
INVITATION_RULES = frozenset({"photo_id_required", "accepted_id_kinds", "photo_policy", "entrance", "visitor_norms"})


def seats_bound_by_rules(school: School, changes: dict, *, now: datetime | None = None) -> list[VisitSeat]:
    """Who would get an updated invitation if the school's rules changed so: everyone seated on its visits
    still to come, when a rule their invitation states changes; nobody otherwise."""
    if not any(getattr(school, name) != value for name, value in changes.items() if name in INVITATION_RULES):
        return []
    return list(db.session.scalars(
        sa.select(VisitSeat).join(Visit).join(Registration)
        .where(Visit.school_id == school.id, Visit.status == VisitStatus.SCHEDULED, Visit.ends_at > (now or utcnow()),
               VisitSeat.status == SeatStatus.CONFIRMED, Registration.status == RegistrationStatus.CONFIRMED)
        .order_by(VisitSeat.id)))


def change_school_rules(school: School, *, now: datetime | None = None, **changes) -> int:
    """A school's new rules for visitors. Everyone seated on its coming visits gets an updated invitation
    when a rule it states changes. Returns how many were told."""
    unknown = set(changes) - set(RULE_FIELDS)
    if unknown:
        raise TypeError(f"not a rule for visitors: {sorted(unknown)}")
    seated = seats_bound_by_rules(school, changes, now=now)
    for name, value in changes.items():
        setattr(school, name, value)
    if "accepted_id_kinds" in changes:
        school.accepted_ids_unread = ""  # the organizer has now said which kinds it accepts
    db.session.flush()
    for place in seated:
        send_visit_invitation(place, InviteMethod.REQUEST, InviteReason.UPDATED)
    return len(seated)


def cancel_visit(visit: Visit, *, now: datetime | None = None) -> int:
    """Call a visit off: every seat and waiting place is cancelled, and each person hears that the organizers
    called it off (a seat's invitation is withdrawn from the calendar). Returns how many messages were queued."""
    now = now or utcnow()
    lock_event(visit.event)
    visit.status = VisitStatus.CANCELLED
    places = _places_told_if_called_off(visit)
    for place in places:
        send_visit_invitation(place, InviteMethod.CANCEL, InviteReason.CALLED_OFF)
        place.cancel(now)
    db.session.flush()
    return len(places)


def withdraw_with_event(visit: Visit, *, now: datetime) -> None:
    """The whole event is called off (its own email tells everyone): the visit's seats leave calendars, its
    waiting list is cleared without a message of its own."""
    visit.status = VisitStatus.CANCELLED
    for place in _places_told_if_called_off(visit):
        _cancel_place(place, now, tell_host=False)  # the organizers tell the schools of an event called off
    db.session.flush()


def _places_told_if_called_off(visit: Visit) -> list[VisitSeat]:
    """The seats and waiting places of a visit: who hears that it is called off."""
    return list(db.session.scalars(
        sa.select(VisitSeat).where(VisitSeat.visit_id == visit.id, VisitSeat.status != SeatStatus.CANCELLED)))


def told_if_called_off(visit: Visit) -> tuple[int, int]:
    """Whom calling the visit off would email, for the organizer's confirmation: (seated, waiting)."""
    places = _places_told_if_called_off(visit)
    seated = sum(1 for place in places if place.status is SeatStatus.CONFIRMED)
    return seated, len(places) - seated


def _seated(visit: Visit) -> list[VisitSeat]:
    """Confirmed seats of a visit."""
    return list(db.session.scalars(
        sa.select(VisitSeat).where(VisitSeat.visit_id == visit.id, VisitSeat.status == SeatStatus.CONFIRMED)))


# --- an organizer's changes to one person's places ----------------------------------------------------


def _visit_of_event(registration: Registration, visit_id: int) -> Visit:
    """The scheduled visit of the registration's event, or a refusal."""
    visit = db.session.get(Visit, visit_id)
    if visit is None or visit.event_id != registration.event_id:
        raise VisitError("That visit is not part of this event.")
    if visit.status is not VisitStatus.SCHEDULED:
        raise VisitError(f"“{visit.title}” is cancelled.")
    return visit


def _rank_first(registration: Registration, visit: Visit) -> None:
    """Make the visit the person's first choice in its block, so a later rebooking keeps them on it."""
    choices = list(db.session.scalars(
        sa.select(VisitChoice).join(Visit)
        .where(VisitChoice.registration_id == registration.id, Visit.event_id == visit.event_id,
               _same_block(visit.block_id))
        .order_by(VisitChoice.rank)))
    others = [c for c in choices if c.visit_id != visit.id]
    mine = next((c for c in choices if c.visit_id == visit.id), None)
    if mine is None:
        mine = VisitChoice(registration=registration, visit=visit, rank=1)
        db.session.add(mine)
    mine.rank = 1
    for rank, choice in enumerate(others[:MAX_RANKED - 1], start=2):
        choice.rank = rank
    for choice in others[MAX_RANKED - 1:]:
        db.session.delete(choice)
    db.session.flush()


def _check_late(visit: Visit, now: datetime, late_ok: bool) -> None:
    """Past the school's notice an organizer adds someone only after a warning that names it."""
    if within_notice(visit, now) and not late_ok:
        raise LateForGuestList(notice_phrase(visit) + " Add them only if the school agrees; its host coordinators "
                               "are emailed the change.")


def move_to_visit(registration: Registration, visit_id: int, *, wait: bool = False, late_ok: bool = False,
                  now: datetime | None = None) -> VisitSeat:
    """An organizer seats the person on another visit (their place in the same block is given up and
    passed on). A full visit is refused, unless `wait`: then they join its waiting list and keep the
    seat they hold."""
    now = now or utcnow()
    lock_event(registration.event)
    db.session.refresh(registration)
    if registration.status is not RegistrationStatus.CONFIRMED:
        raise VisitError("Only someone with a seat at the event can have a visit seat.")
    visit = _visit_of_event(registration, visit_id)
    current = _current_places(registration, visit.block_id)
    mine = next((p for p in current if p.visit_id == visit.id), None)
    if mine is not None and mine.status is SeatStatus.CONFIRMED:
        raise VisitError(f"They already have a seat on “{visit.title}”.")
    if seat_free_for_organizer(visit):
        _check_late(visit, now, late_ok)
        _rank_first(registration, visit)
        booking = book_first_come(registration, visit.block_id, ranking=[visit.id], now=now, by_organizer=True)
        assert booking.place is not None
        return booking.place
    if not wait:
        raise VisitError(f"“{visit.title}” is full ({seats_phrase(visit.seats)}). Add them to its waiting list "
                         "instead, or give the visit more seats.")
    if mine is not None:
        raise VisitError(f"They are already on the waiting list of “{visit.title}”.")
    _rank_first(registration, visit)
    place = place_on(registration, visit, SeatStatus.WAITLISTED, now=now)
    place.wait(now)
    db.session.flush()
    return place


def promote_place(place: VisitSeat, *, late_ok: bool = False, now: datetime | None = None) -> None:
    """An organizer gives a waiting place on a visit a seat now, ahead of its queue, if the visit has one free."""
    now = now or utcnow()
    lock_event(place.visit.event)
    db.session.refresh(place)
    if place.status is not SeatStatus.WAITLISTED:
        raise VisitError("Only a waiting place can be promoted.")
    if place.registration.status is not RegistrationStatus.CONFIRMED:
        raise VisitError("They wait for a seat at the event itself: promote them there first.")
    if not seat_free_for_organizer(place.visit):
        raise VisitError(f"“{place.visit.title}” is full ({seats_phrase(place.visit.seats)}): give it more seats, "
                         "or move someone off it, first.")
    _check_late(place.visit, now, late_ok)
    _rank_first(place.registration, place.visit)
    book_first_come(place.registration, place.visit.block_id, ranking=[place.visit_id], now=now, by_organizer=True)
    promote_visit_waitlist(place.visit, now=now)  # the team they waited with may fit, or have a new contact


def return_place_to_waitlist(place: VisitSeat, *, now: datetime | None = None) -> list[VisitSeat]:
    """An organizer takes a visit seat back and puts the person at the end of its waiting list; the seat
    goes to the head. Returns who got a seat."""
    now = now or utcnow()
    visit = place.visit
    lock_event(visit.event)
    db.session.refresh(place)
    if place.status is not SeatStatus.CONFIRMED:
        raise VisitError("Only a seat can be returned to the waiting list.")
    if seat_would_come_back(visit):
        raise VisitError("There would be a free seat and nobody else waiting for it, "
                         "so they would get their seat straight back.")
    set_place(place, SeatStatus.WAITLISTED, now)
    db.session.flush()
    send_visit_invitation(place, InviteMethod.CANCEL, InviteReason.BACK_TO_WAITLIST)
    return promote_visit_waitlist(visit, now=now)
