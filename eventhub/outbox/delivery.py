"""Deliver outbox messages to files (development) or over SMTP, each exactly once."""
import smtplib
from email.utils import parseaddr
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from pathlib import Path

import sqlalchemy as sa
from sqlalchemy.orm import Session

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
        try:
            self.smtp.quit()
        except (smtplib.SMTPException, OSError):
            pass

    def send(self, message: OutboxMessage) -> None:
        """Hand the message to the SMTP server for its one recipient."""
        envelope_from = parseaddr(self.config["MAIL_FROM"])[1]
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


def deliver_pending(engine: sa.Engine, config, ids: list[int] | None = None, now: datetime | None = None) -> DeliveryReport:
    """Claim pending messages one by one, send them, and record the outcome.

    Runs in its own session so that it can be called right after another
    transaction commits. Claiming is a conditional UPDATE, so two deliverers
    running at once never send the same message.
    """
    now = now or utcnow()
    report = DeliveryReport()
    with Session(engine) as session:
        _release_stale_claims(session, now)
        query = sa.select(OutboxMessage.id).where(
            OutboxMessage.status == OutboxStatus.PENDING,
            OutboxMessage.attempts < config["MAIL_MAX_ATTEMPTS"],
        )
        if ids is not None:
            query = query.where(OutboxMessage.id.in_(ids))
        candidates = session.scalars(query.order_by(OutboxMessage.id)).all()
        session.commit()
        if not candidates:
            return report
        transport = transport_for(config)
        try:
            transport.open()
        except (smtplib.SMTPException, OSError) as exc:
            for message_id in candidates:
                # Only messages still pending: another deliverer may have sent some meanwhile.
                if _record_failure(session, message_id, f"could not connect: {exc}", config, OutboxStatus.PENDING):
                    report.failed[message_id] = str(exc)
            return report
        try:
            for message_id in candidates:
                if not _claim(session, message_id):
                    continue
                message = session.get(OutboxMessage, message_id)
                if not message.raw:
                    try:
                        _render_in_own_session(message_id)
                    except Obsolete as reason:
                        session.rollback()
                        _mark_skipped(session, message_id, str(reason))
                        report.skipped.append(message_id)
                        continue
                    except Exception as exc:  # a broken template must not stop the other messages
                        session.rollback()
                        _record_failure(session, message_id, f"could not compose: {exc!r}", config,
                                        OutboxStatus.SENDING)
                        report.failed[message_id] = repr(exc)
                        continue
                    session.refresh(message)
                try:
                    transport.send(message)
                except (smtplib.SMTPException, OSError) as exc:
                    session.rollback()
                    _record_failure(session, message_id, str(exc), config, OutboxStatus.SENDING)
                    report.failed[message_id] = str(exc)
                    continue
                message.status = OutboxStatus.SENT
                message.sent_at = utcnow()
                message.attempts += 1
                message.last_error = ""
                session.commit()
                report.sent.append(message_id)
        finally:
            transport.close()
    return report


def _render_in_own_session(message_id: int) -> None:
    """Compose a deferred message with the app's own session (it may write, e.g. a private link)."""
    from flask import current_app

    from eventhub.extensions import db
    from eventhub.outbox.services import render_deferred

    with current_app.app_context():  # a fresh context is a fresh Flask-SQLAlchemy session
        render_deferred(db.session.get(OutboxMessage, message_id))
        db.session.commit()
        db.session.remove()


def _mark_skipped(session: Session, message_id: int, reason: str) -> None:
    """Record that a claimed message was not sent because it stopped being true."""
    session.execute(
        sa.update(OutboxMessage)
        .where(OutboxMessage.id == message_id, OutboxMessage.status == OutboxStatus.SENDING)
        .values(status=OutboxStatus.SKIPPED, last_error=reason[:2000], claimed_at=None)
    )
    session.commit()


def _claim(session: Session, message_id: int) -> bool:
    """Move one message from pending to sending; False if someone else got it first."""
    # Stamped now, not when the run began, so a long batch never looks like a dead deliverer.
    result = session.execute(
        sa.update(OutboxMessage)
        .where(OutboxMessage.id == message_id, OutboxMessage.status == OutboxStatus.PENDING)
        .values(status=OutboxStatus.SENDING, claimed_at=utcnow())
    )
    session.commit()
    return result.rowcount == 1


def _record_failure(session: Session, message_id: int, error: str, config, expected: OutboxStatus) -> bool:
    """Count a failed attempt: back to pending, or failed after the last one. Only if still `expected`."""
    exhausted = OutboxMessage.attempts + 1 >= config["MAIL_MAX_ATTEMPTS"]
    result = session.execute(
        sa.update(OutboxMessage)
        .where(OutboxMessage.id == message_id, OutboxMessage.status == expected)
        .values(
            attempts=OutboxMessage.attempts + 1,
            last_error=error[:2000],
            claimed_at=None,
            status=sa.case((exhausted, OutboxStatus.FAILED.value), else_=OutboxStatus.PENDING.value),
        )
    )
    session.commit()
    return result.rowcount == 1


def _release_stale_claims(session: Session, now: datetime) -> None:
    """Return messages claimed by a deliverer that died to the pending queue."""
    session.execute(
        sa.update(OutboxMessage)
        .where(OutboxMessage.status == OutboxStatus.SENDING, OutboxMessage.claimed_at < now - STALE_CLAIM)
        .values(status=OutboxStatus.PENDING, claimed_at=None)
    )
    session.commit()

