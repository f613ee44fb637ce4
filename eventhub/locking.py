"""The event's seat lock: taken before any seat is counted, checked by every change of a seat's status.

Seats at an event and on its visits are decided lock, re-count, write: `lock_event` serialises the
decisions of one event until the transaction ends, and the status transitions on the models call
`require_event_lock`, so a seat can never be given or taken by code that forgot the lock.
"""
import sqlalchemy as sa
from flask import current_app
from sqlalchemy.orm import Session, SessionTransaction

from eventhub.extensions import db

# Namespace of the PostgreSQL advisory locks that guard an event's seats (any fixed number).
SEAT_LOCK_NAMESPACE = 4211
# Session.info key: the ids of the events whose lock this session's transaction holds.
HELD_KEY = "eventhub.locking.held_events"
# A test-only setting: the lock is recorded as held but never taken, so a control run can show the
# race the lock prevents. Honoured only when the app is TESTING.
SEAT_LOCK_OFF_SETTING = "TESTING_WITHOUT_SEAT_LOCK"


class EventLockNotHeld(RuntimeError):
    """A seat was about to change without the event's lock: a programming error, never a user's."""


def statement_timeout_ms() -> int:
    """The statement timeout of this process's connections (0: none), as eventhub.config set it."""
    return int(current_app.config.get("DB_STATEMENT_TIMEOUT_MS") or 0)


def lock_event(event) -> None:
    """Serialise seat decisions for one event until the transaction ends.

    Every count of free seats must happen after this call, so two people cannot both
    take the last seat. PostgreSQL: a transaction-scoped advisory lock on the event, which,
    unlike a row lock, cannot deadlock with the key-share locks that inserting
    registrations takes on the event row. SQLite: the database's own write lock.
    """
    if not _lock_switched_off():
        if writes_are_serialised():
            # SQLite has no row locks: a no-op write takes the database write lock now,
            # so the count that follows and the insert happen as one serialised step.
            db.session.execute(sa.text("UPDATE events SET id = id WHERE id = :id"), {"id": event.id})
        else:
            # A rush queues here for the seats: it may wait longer than any other statement of a request.
            wait = int(current_app.config.get("DB_LOCK_WAIT_MS", 60_000))
            db.session.execute(sa.text(f"SET LOCAL statement_timeout = {wait}"))
            db.session.execute(sa.select(sa.func.pg_advisory_xact_lock(SEAT_LOCK_NAMESPACE, event.id)))
            db.session.execute(sa.text(f"SET LOCAL statement_timeout = {statement_timeout_ms()}"))
    db.session.info.setdefault(HELD_KEY, set()).add(event.id)


def holds_event_lock(event_id: int) -> bool:
    """Whether this session's transaction took the event's lock (it is held until the transaction ends)."""
    return event_id in db.session.info.get(HELD_KEY, ())


def require_event_lock(event_id: int) -> None:
    """Fail loudly unless this transaction holds the event's lock."""
    if not holds_event_lock(event_id):
        raise EventLockNotHeld(f"a seat of event {event_id} changed without lock_event(): "
                               "lock, re-count, then write")


def writes_are_serialised() -> bool:
    """True on SQLite, whose single write lock serialises whole transactions (and whose driver
    mishandles savepoints): there, take `lock_event` before the first read that a write depends on."""
    return db.session.get_bind().dialect.name == "sqlite"


def _lock_switched_off() -> bool:
    """The control run's switch (tests only)."""
    return current_app.testing and bool(current_app.config.get(SEAT_LOCK_OFF_SETTING))


@sa.event.listens_for(Session, "after_transaction_end")
def _forget_locks(session: Session, transaction: SessionTransaction) -> None:
    """The database released the locks with the outermost transaction (commit or rollback); forget them."""
    if transaction.parent is None:
        session.info.pop(HELD_KEY, None)
