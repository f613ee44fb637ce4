"""Deliver what a transaction queued as soon as it commits, without ever undoing it."""
import logging

import sqlalchemy as sa
from flask import Flask, current_app, has_request_context
from flask_sqlalchemy.session import Session as FlaskSession

from eventhub.extensions import db
from eventhub.outbox.delivery import deliver_pending
from eventhub.outbox.services import QUEUED_KEY, TRANSACTION_KEY

log = logging.getLogger(__name__)
COMMITTED_KEY = "eventhub.outbox.flushed_ids"


def install_dispatch(app: Flask) -> None:
    """Listen to the app's sessions so queued mail goes out after a successful commit."""
    # The listeners are global to Flask-SQLAlchemy's session class, so add them once.
    for name, listener in (
        ("after_flush", _remember_ids),
        ("after_commit", _deliver_after_commit),
        ("after_rollback", _forget),
    ):
        if not sa.event.contains(FlaskSession, name, listener):
            sa.event.listen(FlaskSession, name, listener)


def _remember_ids(session, flush_context) -> None:
    """Note the ids of queued messages once the flush has assigned them."""
    queued = session.info.get(QUEUED_KEY)
    if queued:
        ids = session.info.setdefault(COMMITTED_KEY, [])
        ids.extend(m.id for m in queued if m.id is not None)
        session.info[QUEUED_KEY] = [m for m in queued if m.id is None]


def _forget(session) -> None:
    """A rolled-back transaction sends nothing. (A savepoint rolled back inside it undoes only its own
    part: what the transaction queued before it still goes out with the commit.)"""
    if session.in_nested_transaction():
        queued = session.info.get(QUEUED_KEY)
        if queued:  # the savepoint's own messages are gone with it (no id, or their rows rolled back)
            session.info[QUEUED_KEY] = [m for m in queued if m in session]
        return
    session.info.pop(QUEUED_KEY, None)
    session.info.pop(COMMITTED_KEY, None)
    session.info.pop(TRANSACTION_KEY, None)


def _deliver_after_commit(session) -> None:
    """Try the messages of the transaction that just committed; failures stay pending."""
    if session.in_nested_transaction():
        # A savepoint was released (SQLAlchemy calls that a commit too): nothing is committed yet, and what
        # is queued goes out with the transaction's real commit.
        return
    session.info.pop(TRANSACTION_KEY, None)
    ids = session.info.pop(COMMITTED_KEY, None)
    if not ids:
        return
    config = current_app.config
    if not config["MAIL_SEND_ON_COMMIT"]:
        return
    if config["MAIL_SEND_IN_BACKGROUND"] and has_request_context():
        # After the response: the thread queues an RQ job (REDIS_URL) or delivers, so no request waits on
        # Redis or SMTP.
        from eventhub.outbox.background import sender_for

        sender_for(current_app._get_current_object()).submit(ids)  # type: ignore[attr-defined]
        return
    if config.get("REDIS_URL"):
        from eventhub.outbox.jobs import enqueue_delivery

        enqueue_delivery(config, ids)  # bounded by REDIS_TIMEOUT_SECONDS; if it fails they stay pending
        return
    try:
        report = deliver_pending(db.engine, config, ids=ids)
    except Exception:  # the registration is committed; mail waits for `flask mail deliver`
        log.exception("delivering outbox messages %s failed; they stay pending", ids)
        return
    if report.failed:
        log.warning("outbox delivery failed for %s; run `flask mail deliver` to retry", report.failed)
