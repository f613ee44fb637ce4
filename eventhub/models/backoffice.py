"""What the back office keeps of its own work: the audit log and the messages organizers sent."""
from datetime import datetime

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column, relationship

from eventhub.models.accounts import User
from eventhub.models.base import Model, UTCDateTime, utcnow
from eventhub.models.events import Event


class AuditEntry(Model):
    """Who changed which registration, event, visit or user, when, and what changed."""

    __tablename__ = "audit_entries"
    __table_args__ = (
        sa.Index("ix_audit_entries_subject", "subject_type", "subject_id"),
        sa.Index("ix_audit_entries_event_created", "event_id", "created_at"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, index=True)
    # The account that made the change; its email is copied so the log outlives the account.
    user_id: Mapped[int | None] = mapped_column(sa.ForeignKey("users.id", ondelete="SET NULL"), index=True)
    user_email: Mapped[str] = mapped_column(sa.String(254), default="")
    # "registration", "event", "visit", "agenda_item", "school", "user" or "message".
    subject_type: Mapped[str] = mapped_column(sa.String(30))
    subject_id: Mapped[int | None]
    # What it was called at the time ("Ana García", "Visit: Lincoln Elementary"), for a log that reads.
    subject_label: Mapped[str] = mapped_column(sa.String(300), default="")
    # The event it belongs to, when it belongs to one: the log is filtered by event.
    event_id: Mapped[int | None] = mapped_column(sa.ForeignKey("events.id", ondelete="SET NULL"))
    action: Mapped[str] = mapped_column(sa.String(40))
    # {field: [before, after]} as text, so any value reads the same in the page and the database.
    changes: Mapped[dict] = mapped_column(sa.JSON, default=dict)
    note: Mapped[str] = mapped_column(sa.String(500), default="")

    user: Mapped[User | None] = relationship()
    event: Mapped[Event | None] = relationship()

    def __repr__(self) -> str:
        return f"<AuditEntry {self.id} {self.action} {self.subject_type}:{self.subject_id}>"


class Broadcast(Model):
    """An email an organizer wrote to a chosen set of an event's registrants; its outbox rows say to whom."""

    __tablename__ = "broadcasts"

    id: Mapped[int] = mapped_column(primary_key=True)
    event_id: Mapped[int] = mapped_column(sa.ForeignKey("events.id", ondelete="CASCADE"), index=True)
    subject: Mapped[str] = mapped_column(sa.String(200))
    body: Mapped[str] = mapped_column(sa.Text)
    # The filters that chose the recipients, as in the registrants table's query string.
    audience: Mapped[dict] = mapped_column(sa.JSON, default=dict)
    audience_label: Mapped[str] = mapped_column(sa.String(300), default="")
    recipient_count: Mapped[int] = mapped_column(default=0)
    sent_by_id: Mapped[int | None] = mapped_column(sa.ForeignKey("users.id", ondelete="SET NULL"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    event: Mapped[Event] = relationship()
    sent_by: Mapped[User | None] = relationship()

    def __repr__(self) -> str:
        return f"<Broadcast {self.id} {self.subject!r} to {self.recipient_count}>"


class NetworkSettings(Model):
    """What an admin sets about the network itself (name, reply-to, about); one row, id 1. An empty field
    takes the environment's default (eventhub.network)."""

    __tablename__ = "network_settings"

    id: Mapped[int] = mapped_column(primary_key=True, autoincrement=False)
    name: Mapped[str] = mapped_column(sa.String(120), default="")
    short_name: Mapped[str] = mapped_column(sa.String(40), default="")
    reply_to_name: Mapped[str] = mapped_column(sa.String(120), default="")
    reply_to_address: Mapped[str] = mapped_column(sa.String(254), default="")
    about: Mapped[str] = mapped_column(sa.Text, default="")
    # "#RRGGBB": headers, buttons and links on pages, headings on printouts ("" takes NETWORK_ACCENT).
    accent: Mapped[str] = mapped_column(sa.String(7), default="", server_default="")
    # The logo as a clean PNG (eventhub.logo), or None; read only by its own route and by printing.
    logo: Mapped[bytes | None] = mapped_column(sa.LargeBinary, deferred=True)
    # The logo's digest: in its address, so browsers keep each version for good ("" without a logo).
    logo_digest: Mapped[str] = mapped_column(sa.String(16), default="", server_default="")
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, onupdate=utcnow)
