"""Deliver outbox messages to files (development) or over SMTP, each exactly once."""
import smtplib
from collections.abc import Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from email.utils import parseaddr
from pathlib import Path
from typing import cast

import sqlalchemy as sa
from sqlalchemy.engine import CursorResult
from sqlalchemy.orm import Session
from sqlalchemy.orm.attributes import set_committed_value

from eventhub.models import OutboxMessage, OutboxStatus, utcnow
from eventhub.outbox.services import Obsolete

# A deliverer that died mid-send leaves its claim; after this long another may take it.
STALE_CLAIM = timedelta(minutes=15)


class FileTransport:
    """Writes each message as an .eml file, for development and demos."""

    def __init__(self, directory: str):
        self.directory = Path(directory)

    def open(self) -> None:
        """Make sure the folder exists."""
        self.directory.mkdir(parents=True, exist_ok=True)

    def close(self) -> None:
        """Nothing to release."""

    def send(self, message: OutboxMessage) -> None:
        """Write the message to <time>-<id>-<kind>.eml."""
        stamp = message.created_at.strftime("%Y%m%dT%H%M%S")
        path = self.directory / f"{stamp}-{message.id:06d}-{message.kind}.eml"
        tmp = path.with_suffix(".tmp")
        tmp.write_text(message.raw, encoding="utf-8", newline="")
        tmp.replace(path)


class SMTPTransport:
    """Sends messages over one SMTP connection per batch."""

    def __init__(self, config):
        self.config = config
        self.smtp: smtplib.SMTP | None = None

    def open(self) -> None:
        """Connect, upgrade to TLS and log in as configured."""
        cfg = self.config
        cls = smtplib.SMTP_SSL if cfg["MAIL_USE_SSL"] else smtplib.SMTP
        self.smtp = cls(cfg["MAIL_SERVER"], cfg["MAIL_PORT"], timeout=cfg["MAIL_TIMEOUT"])
        if cfg["MAIL_USE_TLS"] and not cfg["MAIL_USE_SSL"]:
            self.smtp.starttls()
        if cfg["MAIL_USERNAME"]:
            self.smtp.login(cfg["MAIL_USERNAME"], cfg["MAIL_PASSWORD"] or "")

    def close(self) -> None:
        """Say goodbye; a server that already hung up is no error."""
        if self.smtp is None:
            return
        try:
            self.smtp.quit()
        except (smtplib.SMTPException, OSError):
            pass

    def send(self, message: OutboxMessage) -> None:
        """Hand the message to the SMTP server for its one recipient."""
        envelope_from = parseaddr(self.config["MAIL_FROM"])[1]
        assert self.smtp is not None, "open() the transport before sending"
        self.smtp.sendmail(envelope_from, [message.to_address], message.raw.encode("utf-8"))


def transport_for(config):
    """SMTP when MAIL_SERVER is set, otherwise .eml files in MAIL_DIR."""
    if config.get("MAIL_SERVER"):
        return SMTPTransport(config)
    return FileTransport(config["MAIL_DIR"])


@dataclass
class DeliveryReport:
    """What one delivery run did."""

    sent: list[int] = field(default_factory=list)
    failed: dict[int, str] = field(default_factory=dict)
    skipped: list[int] = field(default_factory=list)

    @property
    def summary(self) -> str:
        """One line for the terminal."""
        text = f"{len(self.sent)} sent, {len(self.failed)} failed"
        return text + (f", {len(self.skipped)} no longer true and skipped" if self.skipped else "")


# Messages claimed at a time; each batch goes over one SMTP connection.
BATCH_SIZE = 100
# Deferred messages composed in one session whose data is loaded for all of them at once. Each is
# still composed right before it is sent, from data at most one chunk's sending old.
COMPOSE_CHUNK = 20
# Waits after the 1st, 2nd, 3rd... failure: 30 s, 1 min, 2 min, ... at most an hour.
FIRST_BACKOFF = timedelta(seconds=30)
MAX_BACKOFF = timedelta(hours=1)


def backoff(attempts: int) -> timedelta:
    """How long to wait after `attempts` failed tries."""
    return min(FIRST_BACKOFF * 2 ** max(attempts - 1, 0), MAX_BACKOFF)


def deliver_pending(engine: sa.Engine, config, ids: list[int] | None = None, now: datetime | None = None,
                    ignore_backoff: bool = False) -> DeliveryReport:
    """Claim due messages in batches, send each batch over one connection, and record every outcome.

    Runs in its own session so that it can be called right after another transaction commits.
    Claiming is one UPDATE of pending rows (on PostgreSQL over `FOR UPDATE SKIP LOCKED`), so
    deliverers running at once share the work and never send a message twice.
    """
    now = now or utcnow()
    report = DeliveryReport()
    # Claimed rows are this run's alone, so they need no reloading after each commit.
    with Session(engine, expire_on_commit=False) as session:
        _release_stale_claims(session, now)
        transport = None
        try:
            while True:
                claimed, token = _claim_batch(session, config, ids, now, ignore_backoff)
                if not claimed:
                    break
                if transport is None:
                    transport = transport_for(config)
                    try:
                        transport.open()
                    except (smtplib.SMTPException, OSError) as exc:
                        transport = None
                        for message_id in claimed:
                            if _record_failure(session, message_id, f"could not connect: {exc}", config, now):
                                report.failed[message_id] = str(exc)
                        break  # the rest waits for the next run
                # One query loads the batch; each message is then composed, sent and recorded on its own.
                messages = session.scalars(sa.select(OutboxMessage).where(OutboxMessage.id.in_(claimed))
                                           .order_by(OutboxMessage.id)).all()
                for start in range(0, len(messages), COMPOSE_CHUNK):
                    chunk = messages[start:start + COMPOSE_CHUNK]
                    with _composing(chunk) as compose:
                        for message in chunk:
                            _deliver_one(session, transport, message, token, config, now, report, compose)
        finally:
            if transport is not None:
                transport.close()
    return report


def _claim_batch(session: Session, config, ids, now: datetime, ignore_backoff: bool) -> tuple[list[int], datetime]:
    """Move up to BATCH_SIZE due messages from pending to sending; return their ids and this claim's stamp."""
    due = sa.select(OutboxMessage.id).where(OutboxMessage.status == OutboxStatus.PENDING)
    if not ignore_backoff:
        due = due.where(sa.or_(OutboxMessage.next_attempt_at.is_(None), OutboxMessage.next_attempt_at <= now))
    if ids is not None:
        due = due.where(OutboxMessage.id.in_(ids))
    due = due.order_by(OutboxMessage.id).limit(BATCH_SIZE)
    if session.get_bind().dialect.name == "postgresql":
        due = due.with_for_update(skip_locked=True)
    token = utcnow()
    claimed = session.scalars(
        sa.update(OutboxMessage)
        .where(OutboxMessage.id.in_(due.scalar_subquery()), OutboxMessage.status == OutboxStatus.PENDING)
        .values(status=OutboxStatus.SENDING, claimed_at=token)
        .returning(OutboxMessage.id)
    ).all()
    session.commit()
    return sorted(claimed), token


def _still_ours(session: Session, message_id: int, token: datetime) -> datetime | None:
    """Renew this run's claim on one message right before sending it; None if the claim was lost.

    A batch can take long on a slow server; a claim older than STALE_CLAIM may have been released
    and taken by another run, which must then be the only one to send it. A young claim cannot have
    been released yet, so it is used as it is, without asking the database.
    """
    fresh = utcnow()
    if fresh - token < STALE_CLAIM / 3:
        return token
    renewed = cast(CursorResult, session.execute(
        sa.update(OutboxMessage)
        .where(OutboxMessage.id == message_id, OutboxMessage.status == OutboxStatus.SENDING,
               OutboxMessage.claimed_at == token)
        .values(claimed_at=fresh)
    )).rowcount
    session.commit()
    return fresh if renewed == 1 else None


def _deliver_one(session: Session, transport, message: OutboxMessage, token: datetime, config, now: datetime,
                 report, compose) -> None:
    """Compose if deferred, send, and record the outcome of one claimed message."""
    message_id = message.id
    if _still_ours(session, message_id, token) is None:
        return
    composed: dict = {}
    if not message.raw:
        try:
            composed = compose(message)
        except Obsolete as reason:
            session.rollback()
            _mark_skipped(session, message_id, str(reason))
            report.skipped.append(message_id)
            return
        except Exception as exc:  # a broken template must not stop the other messages
            session.rollback()
            _record_failure(session, message_id, f"could not compose: {exc!r}", config, now)
            report.failed[message_id] = repr(exc)
            return
        for column, value in composed.items():  # stored with this attempt's outcome, below
            set_committed_value(message, column, value)
    elif message.renderer and not _invitation_is_latest(session, message):
        # A retry of an invitation overtaken by a newer one (e.g. its CANCEL): sending it would undo that.
        _mark_skipped(session, message_id, "a newer invitation for the same event was composed since")
        report.skipped.append(message_id)
        return
    try:
        transport.send(message)
    except (smtplib.SMTPException, OSError) as exc:
        session.rollback()
        # The composed text is kept, so the retry sends the same message (same link, same SEQUENCE).
        _record_failure(session, message_id, str(exc), config, now, composed)
        report.failed[message_id] = str(exc)
        return
    # One UPDATE, without the unit of work: the row is this run's, and nothing reads it afterwards.
    # It stores the composed text too: an attempt that never got this far left the row uncomposed,
    # and the next one composes it afresh (a new link, the next SEQUENCE).
    table = cast(sa.Table, OutboxMessage.__table__)
    session.execute(sa.update(table).where(table.c.id == message_id)
                    .values(status=OutboxStatus.SENT, sent_at=utcnow(), attempts=message.attempts + 1,
                            last_error="", claimed_at=None, **composed))
    session.commit()
    report.sent.append(message_id)


@contextmanager
def _composing(messages: Sequence[OutboxMessage]):
    """A session of the app's own for composing these messages (composing may write, e.g. a private
    link), with what they read loaded at once; yields compose(message) -> the columns it set.

    Each message's other writes are committed before it is sent. Loaded objects are kept across those
    commits (not reloaded per message); what composing changes on them it sets itself.
    """
    from flask import current_app

    from eventhub.extensions import db
    from eventhub.outbox.services import prefetch_deferred, render_deferred

    def compose(claimed: OutboxMessage) -> dict:
        # The claimed row is copied in as it was loaded (this run holds its claim, so nobody else
        # changed it) instead of being selected again; what composing sets on it is returned, not
        # written here: delivery stores it with the attempt's outcome. What composing wrote
        # elsewhere (the private link, the SEQUENCE) is committed before the message is sent.
        try:
            message = db.session.merge(claimed, load=False)
            render_deferred(message)
            composed = {"raw": message.raw, "subject": message.subject, "payload": message.payload}
            db.session.expunge(message)
            db.session.commit()
        except BaseException:
            db.session.rollback()  # the next message starts clean (and reloads what it reads)
            raise
        return composed

    with current_app.app_context():  # a fresh context is a fresh Flask-SQLAlchemy session
        db.session().expire_on_commit = False
        try:
            loaded = prefetch_deferred(messages)  # noqa: F841 (kept alive until the chunk is done)
            db.session.commit()  # what loading wrote (e.g. private links) stands whatever happens next
            yield compose
        finally:
            db.session.remove()


def _mark_skipped(session: Session, message_id: int, reason: str) -> None:
    """Record that a claimed message was not sent because it stopped being true."""
    session.execute(
        sa.update(OutboxMessage)
        .where(OutboxMessage.id == message_id, OutboxMessage.status == OutboxStatus.SENDING)
        .values(status=OutboxStatus.SKIPPED, last_error=reason[:2000], claimed_at=None)
    )
    session.commit()


def _invitation_is_latest(session: Session, message: OutboxMessage) -> bool:
    """Whether no later invitation or withdrawal was composed for the same calendar event."""
    invite = message.payload.get("invite")
    if not invite:
        return True
    table = OutboxMessage.metadata.tables[invite["table"]]
    current = session.scalar(sa.select(table.c.invite_sequence).where(table.c.id == invite["id"]))
    return current == invite["sequence"] + 1


def _record_failure(session: Session, message_id: int, error: str, config, now: datetime,
                    composed: dict | None = None) -> bool:
    """Count a failed attempt on a message this run holds: back to pending after a backoff, or failed;
    with what this attempt composed (text, subject, payload), kept for the retry.

    A message is given up only when it is MAIL_GIVE_UP_HOURS old, however many tries that took, so
    an outage of a few hours loses nothing. False when the message is no longer this run's.
    """
    session.expire_all()
    message = session.get(OutboxMessage, message_id)
    if message is None or message.status is not OutboxStatus.SENDING:
        return False
    for column, value in (composed or {}).items():
        setattr(message, column, value)
    message.attempts += 1
    message.last_error = error[:2000]
    message.claimed_at = None
    if now - message.created_at >= timedelta(hours=config["MAIL_GIVE_UP_HOURS"]):
        message.status = OutboxStatus.FAILED
    else:
        message.status = OutboxStatus.PENDING
        message.next_attempt_at = now + backoff(message.attempts)
    session.commit()
    return True


def _release_stale_claims(session: Session, now: datetime) -> None:
    """Return messages claimed by a deliverer that died to the pending queue."""
    session.execute(
        sa.update(OutboxMessage)
        .where(OutboxMessage.status == OutboxStatus.SENDING, OutboxMessage.claimed_at < now - STALE_CLAIM)
        .values(status=OutboxStatus.PENDING, claimed_at=None)
    )
    session.commit()

