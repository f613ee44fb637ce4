"""Emails waiting to be delivered, written in the same transaction as their cause."""
import enum
from datetime import datetime
from typing import TYPE_CHECKING

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column, relationship

from eventhub.models.base import Model, UTCDateTime, str_enum, utcnow

if TYPE_CHECKING:  # the other module imports this one; the name is only an annotation here
    from eventhub.models.registrations import Registration


class OutboxStatus(enum.StrEnum):
    """Delivery state of a message."""

    PENDING = "pending"
    SENDING = "sending"
    SENT = "sent"
    FAILED = "failed"
    # Composed too late to be true (e.g. "you have a seat" after the person cancelled): not sent.
    SKIPPED = "skipped"


class OutboxMessage(Model):
    """A complete MIME message and what became of its delivery."""

    __tablename__ = "outbox_messages"
    __table_args__ = (sa.Index("ix_outbox_messages_status_id", "status", "id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    kind: Mapped[str] = mapped_column(sa.String(50))
    to_address: Mapped[str] = mapped_column(sa.String(254))
    subject: Mapped[str] = mapped_column(sa.String(300))
    # The whole message as RFC 5322 text, ready for SMTP; empty until a deferred message is rendered.
    raw: Mapped[str] = mapped_column(sa.Text, default="")
    # A deferred message names its renderer and the ids it needs; it is rendered by the deliverer,
    # after the transaction that queued it has committed and released its locks.
    renderer: Mapped[str | None] = mapped_column(sa.String(50))
    payload: Mapped[dict] = mapped_column(sa.JSON, default=dict)
    status: Mapped[OutboxStatus] = mapped_column(str_enum(OutboxStatus), default=OutboxStatus.PENDING)
    attempts: Mapped[int] = mapped_column(default=0)
    last_error: Mapped[str] = mapped_column(sa.Text, default="")
    registration_id: Mapped[int | None] = mapped_column(
        sa.ForeignKey("registrations.id", ondelete="SET NULL"), index=True
    )
    # The organizer's message (Broadcast) this email is one copy of, if any.
    broadcast_id: Mapped[int | None] = mapped_column(sa.ForeignKey("broadcasts.id", ondelete="SET NULL"), index=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    # Set while one deliverer holds the message; a stale claim is taken back.
    claimed_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    # After a failure, not tried again before this (backing off while the mail server is down).
    next_attempt_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    sent_at: Mapped[datetime | None] = mapped_column(UTCDateTime)

    registration: Mapped["Registration | None"] = relationship()

    def __repr__(self) -> str:
        return f"<OutboxMessage {self.id} {self.kind} to {self.to_address} {self.status}>"
