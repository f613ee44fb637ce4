"""The seat rules live in one place: named rules over one count, transitions that insist on the event's
lock, and a control run that shows the race the lock prevents."""
import ast
import threading
from datetime import UTC, datetime
from pathlib import Path

import pytest
import sqlalchemy as sa

from eventhub.extensions import db
from eventhub.locking import (
    SEAT_LOCK_OFF_SETTING,
    EventLockNotHeld,
    holds_event_lock,
    lock_event,
)
from eventhub.models import Event, Registration, RegistrationStatus, SeatStatus
from eventhub.registration.queries import SeatSummary

from conftest import attendee, place_of

EVENTHUB = Path(__file__).resolve().parent.parent / "eventhub"


# --- the named rules ---------------------------------------------------------------------------------


def test_a_newcomer_needs_a_free_seat_with_nobody_waiting():
    assert SeatSummary(capacity=10, confirmed=9, waitlisted=0).seat_for_newcomer()
    assert not SeatSummary(capacity=10, confirmed=9, waitlisted=1).seat_for_newcomer()
    assert not SeatSummary(capacity=10, confirmed=10, waitlisted=0).seat_for_newcomer()
    assert SeatSummary(capacity=None, confirmed=500, waitlisted=0).seat_for_newcomer()


def test_someone_waiting_needs_a_free_seat_and_the_head_of_the_list():
    asked = []

    def position(at):
        return lambda: asked.append(at) or at

    assert SeatSummary(capacity=10, confirmed=9, waitlisted=3).seat_for_waiting(position(1))
    assert not SeatSummary(capacity=10, confirmed=9, waitlisted=3).seat_for_waiting(position(2))
    assert not SeatSummary(capacity=10, confirmed=10, waitlisted=3).seat_for_waiting(position(99))
    assert asked == [1, 2], "the position is not asked when no seat is free"


def test_an_organizer_may_skip_the_queue_but_never_exceed_the_seats():
    assert SeatSummary(capacity=10, confirmed=9, waitlisted=4).seat_for_organizer()
    assert not SeatSummary(capacity=10, confirmed=10, waitlisted=4).seat_for_organizer()
    assert not SeatSummary(capacity=10, confirmed=12, waitlisted=0).seat_for_organizer()


def test_the_queue_gets_the_free_seats_and_a_returned_seat_would_come_back_without_a_queue():
    assert SeatSummary(capacity=10, confirmed=7, waitlisted=5).seats_for_queue() == 3
    assert SeatSummary(capacity=10, confirmed=12, waitlisted=5).seats_for_queue() == 0
    assert SeatSummary(capacity=None, confirmed=7, waitlisted=0).seats_for_queue() is None
    assert SeatSummary(capacity=10, confirmed=10, waitlisted=0).seat_would_come_back()
    assert not SeatSummary(capacity=10, confirmed=10, waitlisted=1).seat_would_come_back()
    assert SeatSummary(capacity=10, confirmed=9, waitlisted=1).seat_would_come_back()


# --- the lock is checked, not assumed ----------------------------------------------------------------


def test_no_seat_changes_without_the_event_lock(make_event, make_visit, book):
    event = make_event(capacity=5)
    visit = make_visit(event, seats=5)
    person = book(event, "ana@x.org", visit)
    seat = place_of(person, visit)
    now = datetime.now(UTC)
    for change in (person.cancel, person.wait, person.confirm, seat.cancel, seat.wait, seat.confirm):
        with pytest.raises(EventLockNotHeld):
            change(now)
    db.session.rollback()
    lock_event(event)
    seat.cancel(now)
    person.cancel(now)
    db.session.commit()
    assert (person.status, seat.status) == (RegistrationStatus.CANCELLED, SeatStatus.CANCELLED)


def test_the_lock_is_held_until_the_transaction_ends(make_event):
    event, other = make_event(), make_event()
    lock_event(event)
    assert holds_event_lock(event.id) and not holds_event_lock(other.id)
    db.session.commit()
    assert not holds_event_lock(event.id)
    lock_event(event)
    with db.session.begin_nested():  # a savepoint ending does not release the transaction's lock
        pass
    assert holds_event_lock(event.id)
    db.session.rollback()
    assert not holds_event_lock(event.id)


def test_the_lock_cannot_be_switched_off_outside_tests(make_app):
    from eventhub.locking import _lock_switched_off

    app = make_app(TESTING=False, **{SEAT_LOCK_OFF_SETTING: True})
    with app.app_context():
        assert not _lock_switched_off()


# --- the control run ------------------------------------------------------------------------------------


@pytest.mark.parametrize("lock", ["on", "off"])
def test_two_registrations_for_the_last_seat_race_only_without_the_lock(app, make_event, monkeypatch, lock):
    """Two sessions interleaved by hand: each counts the seats, then both wait for each other before
    writing. Without the lock both see the last seat free and both take it; with it, the second cannot
    count until the first has committed, and joins the waiting list."""
    if db.engine.dialect.name != "postgresql":
        pytest.skip("the control run needs PostgreSQL (set DATABASE_URL): SQLite's single writer "
                    "serialises the two transactions whatever the code does")
    import eventhub.registration.services as services

    event = make_event(capacity=1)
    event_id = event.id  # the threads must not touch this session's objects
    if lock == "off":
        monkeypatch.setitem(app.config, SEAT_LOCK_OFF_SETTING, True)
    both_counted = threading.Barrier(2, timeout=2)
    real_count = services.seat_summary

    def count_then_wait_for_the_other(counted_event):
        seats = real_count(counted_event)
        try:
            both_counted.wait()  # with the lock, the other is still queued behind it: this times out
        except threading.BrokenBarrierError:
            pass
        return seats

    monkeypatch.setattr(services, "seat_summary", count_then_wait_for_the_other)
    errors = []

    def register_in_own_session(address):
        with app.app_context():
            try:
                services.register(db.session.get(Event, event_id), attendee(address))
                db.session.commit()
            except Exception as error:  # reported below, not lost in the thread
                errors.append(error)
            finally:
                db.session.remove()

    threads = [threading.Thread(target=register_in_own_session, args=(f"p{n}@x.org",)) for n in (1, 2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=30)
    assert not errors
    db.session.expire_all()
    statuses = sorted(db.session.scalars(sa.select(Registration.status).where(Registration.event_id == event_id)))
    if lock == "off":
        assert statuses == [RegistrationStatus.CONFIRMED] * 2, "the race is real: one seat, two confirmed"
    else:
        assert statuses == [RegistrationStatus.CONFIRMED, RegistrationStatus.WAITLISTED]


# --- one place per rule, as the code is written ---------------------------------------------------------


def _modules():
    for path in sorted(EVENTHUB.rglob("*.py")):
        yield path, ast.parse(path.read_text(encoding="utf-8"))


def _package(path: Path) -> str:
    """The top-level package of eventhub a module belongs to (a module directly in eventhub/ is its own)."""
    return path.relative_to(EVENTHUB).with_suffix("").parts[0]


def test_no_module_imports_a_private_name_from_another_package():
    found = []
    for path, tree in _modules():
        for node in ast.walk(tree):
            if isinstance(node, ast.ImportFrom) and node.level == 0 and (node.module or "").startswith("eventhub."):
                target = node.module.split(".")[1]
                for alias in node.names:
                    if alias.name.startswith("_") and not alias.name.startswith("__") and target != _package(path):
                        found.append(f"{path.relative_to(EVENTHUB)}:{node.lineno} imports {node.module}.{alias.name}")
    assert found == [], "make them public services, or move the caller"


# Seat-holding statuses and the timestamps that go with them.
SEAT_STATES = {"RegistrationStatus", "SeatStatus"}
SEAT_STAMPS = {"confirmed_at", "waitlisted_at", "cancelled_at"}
SEAT_HOLDERS = {"Registration", "VisitSeat"}
# The models define the transitions; the demo writes a past convening's history as it stood (no seat is
# decided there, so there is no lock to hold).
MAY_SET_SEATS = {"models", "demo"}


def _sets_seat_state(node: ast.AST) -> bool:
    """An assignment to a status from RegistrationStatus/SeatStatus or to a seat timestamp, or a
    Registration/VisitSeat made with one (a filter by status is not a change)."""
    def names_seat_state(value):
        return any(isinstance(n, ast.Name) and n.id in SEAT_STATES for n in ast.walk(value))

    if isinstance(node, (ast.Assign, ast.AnnAssign)):
        targets = node.targets if isinstance(node, ast.Assign) else [node.target]
        flat = [t for target in targets for t in (target.elts if isinstance(target, ast.Tuple) else [target])]
        attributes = {t.attr for t in flat if isinstance(t, ast.Attribute)}
        return bool(attributes & SEAT_STAMPS) or ("status" in attributes and names_seat_state(node.value))
    if isinstance(node, ast.Call) and isinstance(node.func, ast.Name) and node.func.id in SEAT_HOLDERS:
        return any(k.arg in SEAT_STAMPS or k.arg == "status" for k in node.keywords)
    return False


def test_only_the_transitions_set_a_seat_status():
    found = [f"{path.relative_to(EVENTHUB)}:{node.lineno}"
             for path, tree in _modules() if _package(path) not in MAY_SET_SEATS
             for node in ast.walk(tree) if _sets_seat_state(node)]
    assert found == [], "use Registration/VisitSeat .confirm(), .wait(), .cancel() (or .enter() for a new one)"


def test_the_scan_for_status_changes_sees_one():
    """The scan above would see the hand-made changes it forbids."""
    samples = ["place.status, place.confirmed_at = SeatStatus.CONFIRMED, now",
               "registration.status = RegistrationStatus.WAITLISTED",
               "seat.cancelled_at = now",
               "Registration(status=RegistrationStatus.CONFIRMED)"]
    for sample in samples:
        assert any(_sets_seat_state(node) for node in ast.walk(ast.parse(sample))), sample
    assert not any(_sets_seat_state(node) for node in ast.walk(ast.parse("batch.status = PrintStatus.DONE")))
