"""Characterisation of every path that gives or takes a seat: statuses, timestamps, waiting positions,
the emails queued and the SEQUENCE of each invitation, pinned as they were before the seat rules moved
into one place. Each story runs on a controlled clock; a timestamp reads as the step that set it."""
import email
import email.policy
from datetime import UTC, datetime, timedelta

import pytest
import sqlalchemy as sa
from icalendar import Calendar

from eventhub.extensions import db
from eventhub.models import OutboxMessage, Registration, VisitAllocationMode, VisitSeat
from eventhub.registration.queries import waitlist_position
from eventhub.registration.services import (
    VisitRequest,
    cancel_registration,
    register,
    rejoin,
)
from eventhub.visits.queries import seat_position
from eventhub.visits.services import (
    BlockChoices,
    change_choices,
    change_seats,
    leave_place,
)

from conftest import attendee, place_of


class Clock:
    """Minutes after a fixed start; `label` names the step a stored timestamp came from."""

    def __init__(self):
        self.start = datetime.now(UTC).replace(second=0, microsecond=0) - timedelta(hours=1)

    def __call__(self, step: int) -> datetime:
        return self.start + timedelta(minutes=step)

    def label(self, moment: datetime | None) -> str | None:
        if moment is None:
            return None
        step, rest = divmod(moment - self.start, timedelta(minutes=1))
        # An allocation writes its turns a microsecond apart (its waiting lists follow the draw): still step t.
        return f"t{step}" if rest < timedelta(milliseconds=1) and 0 <= step < 1000 else "unclocked"


@pytest.fixture
def clock() -> Clock:
    return Clock()


def _who(address: str) -> str:
    return address.split("@")[0]


def story(event, clock: Clock) -> dict:
    """Everything a seat decision leaves behind, in a form that reads like the story."""
    db.session.expire_all()
    registrations = db.session.scalars(
        sa.select(Registration).where(Registration.event_id == event.id).order_by(Registration.id)).all()
    seats = db.session.scalars(sa.select(VisitSeat).join(Registration)
                               .where(Registration.event_id == event.id).order_by(VisitSeat.id)).all()
    uids = {r.invite_uid: f"{_who(r.email)} convening" for r in registrations}
    uids.update({s.invite_uid: f"{_who(s.registration.email)} {s.visit.title}" for s in seats})
    emails = []
    for message in db.session.scalars(sa.select(OutboxMessage).order_by(OutboxMessage.id)):
        extra = dict(message.payload.get("extra", {}))
        reason, _ = extra.pop("reason", None), extra.pop("method", None)
        line = f"{_who(message.to_address)} {message.kind} {message.status.value}"
        line += f" ({reason})" if reason else ""
        line += f" {extra}" if extra else ""
        if message.raw:
            parsed = email.message_from_string(message.raw, policy=email.policy.default)
            line += f": {parsed['Subject']}"
            calendar = next((part for part in parsed.walk() if part.get_content_type() == "text/calendar"), None)
            if calendar is not None:
                ics = Calendar.from_ical(calendar.get_content())
                [vevent] = ics.walk("VEVENT")
                line += f" [{ics['METHOD']} {uids[str(vevent['UID'])]} #{vevent['SEQUENCE']}]"
        emails.append(line)
    return {
        "registrations": {
            _who(r.email): (r.status.value, clock.label(r.confirmed_at), clock.label(r.waitlisted_at),
                            clock.label(r.cancelled_at), waitlist_position(r))
            for r in registrations
        },
        "seats": {
            f"{_who(s.registration.email)} {s.visit.title}": (
                s.status.value, clock.label(s.confirmed_at), clock.label(s.waitlisted_at),
                clock.label(s.cancelled_at), seat_position(s))
            for s in seats
        },
        "emails": emails,
    }


def booked(event, email_address, *visits, now, colleagues=()):
    """Register with the visits ranked in one block, norms acknowledged, and commit."""
    choices = [BlockChoices(visits[0].block_id, [v.id for v in visits])] if visits else []
    outcome = register(event, attendee(email_address), [attendee(c) for c in colleagues],
                       visits=VisitRequest(choices=choices, norms_acknowledged=True), now=now)
    db.session.commit()
    return outcome


@pytest.fixture
def convening(make_event, make_visit):
    """An event with 3 seats and one visit block of two visits: A (1 seat) and B (1 seat)."""
    event = make_event(capacity=3)
    a = make_visit(event, seats=1, title="A")
    b = make_visit(event, block=a.block, seats=1, title="B")
    return event, a, b


def test_registering_seats_by_rank_then_waits_and_a_team_waits_together(convening, clock):
    event, a, b = convening
    booked(event, "ana@x.org", a, b, now=clock(1))
    booked(event, "ben@x.org", a, now=clock(2))
    booked(event, "cy@x.org", b, a, now=clock(3))
    booked(event, "dee@x.org", a, now=clock(4), colleagues=["eve@x.org"])
    assert story(event, clock) == {'registrations': {'ana': ('confirmed', 't1', 't1', None, None),
                       'ben': ('confirmed', 't2', 't2', None, None),
                       'cy': ('confirmed', 't3', 't3', None, None),
                       'dee': ('waitlisted', None, 't4', None, 1),
                       'eve': ('waitlisted', None, 't4', None, 2)},
     'seats': {'ana A': ('confirmed', 't1', None, None, None),
               'ben A': ('waitlisted', None, 't2', None, 1),
               'cy B': ('confirmed', 't3', None, None, None)},
     'emails': ["ana registration_welcome sent: You're registered for Test Convening 1 [REQUEST ana convening #0]",
                'ana visit_invite sent (booked): Invitation: School visit: A [REQUEST ana A #0]',
                "ben registration_welcome sent: You're registered for Test Convening 1 [REQUEST ben convening #0]",
                "cy registration_welcome sent: You're registered for Test Convening 1 [REQUEST cy convening #0]",
                'cy visit_invite sent (booked): Invitation: School visit: B [REQUEST cy B #0]',
                "dee registration_welcome sent: You're on the waiting list for Test Convening 1",
                "eve registration_welcome sent: You're on the waiting list for Test Convening 1"]}


def test_cancelling_passes_the_event_seat_and_the_visit_seat_to_the_heads_of_their_lists(convening, clock):
    event, a, b = convening
    ana = booked(event, "ana@x.org", a, b, now=clock(1)).lead
    booked(event, "ben@x.org", a, now=clock(2))
    booked(event, "cy@x.org", b, a, now=clock(3))
    booked(event, "dee@x.org", a, now=clock(4), colleagues=["eve@x.org"])
    cancel_registration(ana, now=clock(5))
    db.session.commit()
    assert story(event, clock) == {'registrations': {'ana': ('cancelled', 't1', 't1', 't5', None),
                       'ben': ('confirmed', 't2', 't2', None, None),
                       'cy': ('confirmed', 't3', 't3', None, None),
                       'dee': ('confirmed', 't5', 't4', None, None),
                       'eve': ('waitlisted', None, 't4', None, 1)},
     'seats': {'ana A': ('cancelled', 't1', None, 't5', None),
               'ben A': ('confirmed', 't5', 't2', None, None),
               'cy B': ('confirmed', 't3', None, None, None),
               'dee A': ('waitlisted', None, 't5', None, 1)},
     'emails': ["ana registration_welcome sent: You're registered for Test Convening 1 [REQUEST ana convening #0]",
                'ana visit_invite sent (booked): Invitation: School visit: A [REQUEST ana A #0]',
                "ben registration_welcome sent: You're registered for Test Convening 1 [REQUEST ben convening #0]",
                "cy registration_welcome sent: You're registered for Test Convening 1 [REQUEST cy convening #0]",
                'cy visit_invite sent (booked): Invitation: School visit: B [REQUEST cy B #0]',
                "dee registration_welcome sent: You're on the waiting list for Test Convening 1",
                "eve registration_welcome sent: You're on the waiting list for Test Convening 1",
                'ana visit_invite sent (cancelled): Cancelled: School visit: A [CANCEL ana A #1]',
                'ben visit_invite sent (promoted): Invitation: School visit: A [REQUEST ben A #0]',
                "dee registration_promoted sent: A seat opened up: you're confirmed for Test Convening 1 [REQUEST dee "
                'convening #0]',
                "ana registration_cancelled sent {'held_seat': True, 'seat_passed_on': True}: Your registration for "
                'Test Convening 1 is cancelled [CANCEL ana convening #1]']}


def test_rejoining_takes_a_free_seat_back_on_the_same_invitation_or_joins_the_end_of_the_list(convening, clock):
    event, a, b = convening
    ana = booked(event, "ana@x.org", a, now=clock(1)).lead
    cancel_registration(ana, now=clock(2))
    db.session.commit()
    rejoin(ana, now=clock(3))  # room: the seat on A comes back, on the same invitation
    db.session.commit()
    booked(event, "ben@x.org", b, now=clock(4))
    cy = booked(event, "cy@x.org", a, b, now=clock(5)).lead
    booked(event, "dee@x.org", b, now=clock(6))
    cancel_registration(cy, now=clock(7))
    db.session.commit()
    rejoin(cy, now=clock(8))  # full, with dee waiting: cy queues behind her
    db.session.commit()
    assert story(event, clock) == {'registrations': {'ana': ('confirmed', 't3', 't1', None, None),
                       'ben': ('confirmed', 't4', 't4', None, None),
                       'cy': ('waitlisted', 't5', 't8', None, 1),
                       'dee': ('confirmed', 't7', 't6', None, None)},
     'seats': {'ana A': ('confirmed', 't3', None, None, None),
               'ben B': ('confirmed', 't4', None, None, None),
               'cy A': ('cancelled', None, 't5', 't7', None),
               'dee B': ('waitlisted', None, 't7', None, 1)},
     'emails': ["ana registration_welcome sent: You're registered for Test Convening 1 [REQUEST ana convening #0]",
                'ana visit_invite sent (booked): Invitation: School visit: A [REQUEST ana A #0]',
                'ana visit_invite sent (cancelled): Cancelled: School visit: A [CANCEL ana A #1]',
                "ana registration_cancelled sent {'held_seat': True, 'seat_passed_on': False}: Your registration for "
                'Test Convening 1 is cancelled [CANCEL ana convening #1]',
                'ana visit_invite sent (booked): Invitation: School visit: A [REQUEST ana A #2]',
                "ana registration_welcome sent: You're registered for Test Convening 1 [REQUEST ana convening #2]",
                "ben registration_welcome sent: You're registered for Test Convening 1 [REQUEST ben convening #0]",
                'ben visit_invite sent (booked): Invitation: School visit: B [REQUEST ben B #0]',
                "cy registration_welcome sent: You're registered for Test Convening 1 [REQUEST cy convening #0]",
                "dee registration_welcome sent: You're on the waiting list for Test Convening 1",
                "dee registration_promoted sent: A seat opened up: you're confirmed for Test Convening 1 [REQUEST dee "
                'convening #0]',
                "cy registration_cancelled sent {'held_seat': True, 'seat_passed_on': True}: Your registration for "
                'Test Convening 1 is cancelled [CANCEL cy convening #1]',
                "cy registration_welcome sent: You're on the waiting list for Test Convening 1"]}


def test_an_organizer_promotes_returns_and_moves_people(make_event, make_visit, clock):
    from eventhub.registration.services import promote_ahead_of_queue as promote
    from eventhub.registration.services import return_to_waitlist
    from eventhub.visits.services import (
        move_to_visit,
        promote_place,
        return_place_to_waitlist,
    )

    event = make_event(capacity=2)
    a = make_visit(event, seats=1, title="A")
    b = make_visit(event, block=a.block, seats=1, title="B")
    c = make_visit(event, block=a.block, seats=1, title="C")
    ana = booked(event, "ana@x.org", a, now=clock(1)).lead
    ben = booked(event, "ben@x.org", b, now=clock(2)).lead
    cy = booked(event, "cy@x.org", a, now=clock(3)).lead
    dee = booked(event, "dee@x.org", a, now=clock(4)).lead
    return_to_waitlist(ana, now=clock(5))  # cy, the head, gets ana's seat and her seat on A
    db.session.commit()
    event.capacity = 3  # (set directly, so that a seat is free with people waiting)
    db.session.commit()
    promote(dee, now=clock(6))  # ahead of the queue (ana waits at its head)
    db.session.commit()
    move_to_visit(cy, b.id, wait=True, now=clock(7))  # B is full: cy waits for it and keeps A
    db.session.commit()
    move_to_visit(ben, c.id, now=clock(8))  # B frees up for cy, whose seat on A goes to dee
    db.session.commit()
    move_to_visit(dee, c.id, wait=True, now=clock(9))
    db.session.commit()
    return_place_to_waitlist(place_of(ben, c), now=clock(10))  # dee gets C; A frees up
    db.session.commit()
    c.seats_override = 2  # (set directly, so that a seat is free with someone waiting)
    db.session.commit()
    promote_place(place_of(ben, c), now=clock(11))
    db.session.commit()
    assert story(event, clock) == {'registrations': {'ana': ('waitlisted', 't1', 't5', None, 1),
                       'ben': ('confirmed', 't2', 't2', None, None),
                       'cy': ('confirmed', 't5', 't3', None, None),
                       'dee': ('confirmed', 't6', 't4', None, None)},
     'seats': {'ana A': ('cancelled', 't1', None, 't5', None),
               'ben B': ('cancelled', 't2', None, 't8', None),
               'cy A': ('cancelled', 't5', None, 't8', None),
               'dee A': ('cancelled', 't8', 't6', 't10', None),
               'cy B': ('confirmed', 't8', 't7', None, None),
               'ben C': ('confirmed', 't11', 't10', None, None),
               'dee C': ('confirmed', 't10', 't9', None, None)},
     'emails': ["ana registration_welcome sent: You're registered for Test Convening 1 [REQUEST ana convening #0]",
                'ana visit_invite sent (booked): Invitation: School visit: A [REQUEST ana A #0]',
                "ben registration_welcome sent: You're registered for Test Convening 1 [REQUEST ben convening #0]",
                'ben visit_invite sent (booked): Invitation: School visit: B [REQUEST ben B #0]',
                "cy registration_welcome sent: You're on the waiting list for Test Convening 1",
                "dee registration_welcome sent: You're on the waiting list for Test Convening 1",
                'ana visit_invite sent (cancelled): Cancelled: School visit: A [CANCEL ana A #1]',
                "ana registration_back_to_waitlist sent: You're back on the waiting list for Test Convening 1 [CANCEL "
                'ana convening #1]',
                'cy visit_invite sent (booked): Invitation: School visit: A [REQUEST cy A #0]',
                "cy registration_promoted sent: A seat opened up: you're confirmed for Test Convening 1 [REQUEST cy "
                'convening #0]',
                "dee registration_promoted sent: A seat opened up: you're confirmed for Test Convening 1 [REQUEST dee "
                'convening #0]',
                'ben visit_invite sent (cancelled): Cancelled: School visit: B [CANCEL ben B #1]',
                'ben visit_invite sent (booked): Invitation: School visit: C [REQUEST ben C #0]',
                'cy visit_invite sent (replaced): Replaced by a seat you ranked higher: School visit: A '
                '[CANCEL cy A #1]',
                'dee visit_invite sent (promoted): Invitation: School visit: A [REQUEST dee A #0]',
                "cy visit_invite sent (promoted) {'replaced': '“A” at School 1'}: Invitation: School visit: B "
                "[REQUEST cy B #0]",
                'ben visit_invite sent (back_to_waitlist): Cancelled: School visit: C [CANCEL ben C #1]',
                'dee visit_invite sent (replaced): Replaced by a seat you ranked higher: School visit: A '
                '[CANCEL dee A #1]',
                "dee visit_invite sent (promoted) {'replaced': '“A” at School 1'}: Invitation: School visit: C "
                "[REQUEST dee C #0]",
                'ben visit_invite sent (booked): Invitation: School visit: C [REQUEST ben C #2]']}


def test_committing_an_allocation_seats_and_queues_in_the_previewed_order(make_event, make_visit, clock):
    from eventhub.visits.allocation import (
        commit_allocation,
        plan_allocation,
        record_preview,
    )

    event = make_event(capacity=None, visit_allocation=VisitAllocationMode.LOTTERY)
    s = make_visit(event, seats=1, title="S")
    m = make_visit(event, block=s.block, seats=1, title="M")
    for n, person in enumerate(["ana", "ben", "cy", "dee"], start=1):
        booked(event, f"{person}@x.org", s, m, now=clock(n))
    record_preview(event, plan_allocation(event, seed=7))
    db.session.commit()
    commit_allocation(event, 7, now=clock(5))
    db.session.commit()
    assert story(event, clock) == {'registrations': {'ana': ('confirmed', 't1', None, None, None),
                       'ben': ('confirmed', 't2', None, None, None),
                       'cy': ('confirmed', 't3', None, None, None),
                       'dee': ('confirmed', 't4', None, None, None)},
     'seats': {'dee S': ('confirmed', 't5', None, None, None),
               'ben M': ('confirmed', 't5', None, None, None),
               'ana S': ('waitlisted', None, 't5', None, 1),
               'cy S': ('waitlisted', None, 't5', None, 2)},
     'emails': ["ana registration_welcome sent: You're registered for Test Convening 1 [REQUEST ana convening #0]",
                "ben registration_welcome sent: You're registered for Test Convening 1 [REQUEST ben convening #0]",
                "cy registration_welcome sent: You're registered for Test Convening 1 [REQUEST cy convening #0]",
                "dee registration_welcome sent: You're registered for Test Convening 1 [REQUEST dee convening #0]",
                'dee visit_invite sent (allocated): Invitation: School visit: S [REQUEST dee S #0]',
                'ben visit_invite sent (allocated): Invitation: School visit: M [REQUEST ben M #0]',
                'ana visit_allocated sent: Your school visits for Test Convening 1',
                'ben visit_allocated sent: Your school visits for Test Convening 1',
                'cy visit_allocated sent: Your school visits for Test Convening 1',
                'dee visit_allocated sent: Your school visits for Test Convening 1']}


def test_more_seats_go_to_the_waiting_list_and_fewer_take_nobody_s_seat(convening, clock):
    event, a, b = convening
    for n, person in enumerate(["ana", "ben", "cy"], start=1):
        booked(event, f"{person}@x.org", a, now=clock(n))
    change_seats(a, seats_override=2, now=clock(4))
    db.session.commit()
    change_seats(a, seats_override=1, now=clock(5))
    db.session.commit()
    assert story(event, clock) == {'registrations': {'ana': ('confirmed', 't1', 't1', None, None),
                       'ben': ('confirmed', 't2', 't2', None, None),
                       'cy': ('confirmed', 't3', 't3', None, None)},
     'seats': {'ana A': ('confirmed', 't1', None, None, None),
               'ben A': ('confirmed', 't4', 't2', None, None),
               'cy A': ('waitlisted', None, 't3', None, 1)},
     'emails': ["ana registration_welcome sent: You're registered for Test Convening 1 [REQUEST ana convening #0]",
                'ana visit_invite sent (booked): Invitation: School visit: A [REQUEST ana A #0]',
                "ben registration_welcome sent: You're registered for Test Convening 1 [REQUEST ben convening #0]",
                "cy registration_welcome sent: You're registered for Test Convening 1 [REQUEST cy convening #0]",
                'ben visit_invite sent (promoted): Invitation: School visit: A [REQUEST ben A #0]']}


def test_leaving_a_visit_and_switching_visits_pass_seats_on(convening, clock):
    event, a, b = convening
    ana = booked(event, "ana@x.org", a, now=clock(1)).lead
    ben = booked(event, "ben@x.org", b, now=clock(2)).lead
    booked(event, "cy@x.org", a, now=clock(3))
    booked(event, "dee@x.org", b, now=clock(4))
    leave_place(place_of(ana, a), now=clock(5))  # cy, waiting for A, gets it
    db.session.commit()
    change_choices(ben, [BlockChoices(b.block_id, [a.id, b.id])], now=clock(6))  # A is full: ben keeps B
    db.session.commit()
    change_choices(ben, [BlockChoices(b.block_id, [])], now=clock(7))  # ben clears the block: B is given up
    db.session.commit()
    assert story(event, clock) == {'registrations': {'ana': ('confirmed', 't1', 't1', None, None),
                       'ben': ('confirmed', 't2', 't2', None, None),
                       'cy': ('confirmed', 't3', 't3', None, None),
                       'dee': ('waitlisted', None, 't4', None, 1)},
     'seats': {'ana A': ('cancelled', 't1', None, 't5', None),
               'ben B': ('cancelled', 't2', None, 't7', None),
               'cy A': ('confirmed', 't5', 't3', None, None)},
     'emails': ["ana registration_welcome sent: You're registered for Test Convening 1 [REQUEST ana convening #0]",
                'ana visit_invite sent (booked): Invitation: School visit: A [REQUEST ana A #0]',
                "ben registration_welcome sent: You're registered for Test Convening 1 [REQUEST ben convening #0]",
                'ben visit_invite sent (booked): Invitation: School visit: B [REQUEST ben B #0]',
                "cy registration_welcome sent: You're registered for Test Convening 1 [REQUEST cy convening #0]",
                "dee registration_welcome sent: You're on the waiting list for Test Convening 1",
                'ana visit_invite sent (cancelled): Cancelled: School visit: A [CANCEL ana A #1]',
                'cy visit_invite sent (promoted): Invitation: School visit: A [REQUEST cy A #0]',
                'ben visit_invite sent (cancelled): Cancelled: School visit: B [CANCEL ben B #1]']}


def test_calling_off_a_visit_and_the_event(convening, clock):
    from eventhub.events.writes import cancel_event
    from eventhub.visits.services import cancel_visit

    event, a, b = convening
    booked(event, "ana@x.org", a, now=clock(1))
    booked(event, "ben@x.org", a, now=clock(2))
    booked(event, "cy@x.org", b, now=clock(3))
    cancel_visit(a, now=clock(4))
    db.session.commit()
    cancel_event(event, now=clock(5))
    db.session.commit()
    assert story(event, clock) == {'registrations': {'ana': ('confirmed', 't1', 't1', None, None),
                       'ben': ('confirmed', 't2', 't2', None, None),
                       'cy': ('confirmed', 't3', 't3', None, None)},
     'seats': {'ana A': ('cancelled', 't1', None, 't4', None),
               'ben A': ('cancelled', None, 't2', 't4', None),
               'cy B': ('cancelled', 't3', None, 't5', None)},
     'emails': ["ana registration_welcome sent: You're registered for Test Convening 1 [REQUEST ana convening #0]",
                'ana visit_invite sent (booked): Invitation: School visit: A [REQUEST ana A #0]',
                "ben registration_welcome sent: You're registered for Test Convening 1 [REQUEST ben convening #0]",
                "cy registration_welcome sent: You're registered for Test Convening 1 [REQUEST cy convening #0]",
                'cy visit_invite sent (booked): Invitation: School visit: B [REQUEST cy B #0]',
                # The organizers called A off: its seat and its waiting list hear it (the wait, with no
                # calendar entry to withdraw); the event's cancellation then withdraws the rest.
                "ana visit_invite sent (called_off) {'was': 'seated'}: Called off: School visit: A [CANCEL ana A #1]",
                "ben visit_invite sent (called_off) {'was': 'waiting'}: Called off: School visit: A",
                'cy visit_invite sent (cancelled): Cancelled: School visit: B [CANCEL cy B #1]',
                'ana event_cancelled sent: Cancelled: Test Convening 1 [CANCEL ana convening #1]',
                'ben event_cancelled sent: Cancelled: Test Convening 1 [CANCEL ben convening #1]',
                'cy event_cancelled sent: Cancelled: Test Convening 1 [CANCEL cy convening #1]']}
