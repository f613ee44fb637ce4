"""Follow-up after a visit or a convening: what each participant will try, how it went, and the reminders."""
import enum
from datetime import date, datetime

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column, relationship

from eventhub.models.accounts import User
from eventhub.models.base import Model, UTCDateTime, str_enum, utcnow
from eventhub.models.events import Event
from eventhub.models.registrations import Registration
from eventhub.models.visits import Visit


class CommitmentStatus(enum.StrEnum):
    """Where a commitment stands (DOMAIN: planned, testing, adopted, adapted, abandoned, scaled)."""

    PLANNED = "planned"
    TESTING = "testing"
    ADOPTED = "adopted"
    ADAPTED = "adapted"
    ABANDONED = "abandoned"
    SCALED = "scaled"

    @property
    def label(self) -> str:
        return self.value.capitalize()

    @property
    def is_open(self) -> bool:
        """Still being tried: the network keeps asking how it goes."""
        return self in (CommitmentStatus.PLANNED, CommitmentStatus.TESTING)


class Visibility(enum.StrEnum):
    """Who may read a commitment besides its owner and the organizers."""

    PRIVATE = "private"
    NETWORK = "network"
    PUBLIC = "public"

    @property
    def label(self) -> str:
        return {"private": "Only me and the organizers", "network": "People in the network",
                "public": "Anyone (the event's public page)"}[self.value]


class Decision(enum.StrEnum):
    """What a check-in decided about the change."""

    ADOPT = "adopt"
    ADAPT = "adapt"
    ABANDON = "abandon"
    SCALE = "scale"

    @property
    def label(self) -> str:
        return self.value.capitalize()


class Commitment(Model):
    """One change a participant will try after a visit or a convening, as on the commitment sheet."""

    __tablename__ = "commitments"
    __table_args__ = (
        sa.CheckConstraint("test_due_on IS NULL OR test_starts_on IS NULL OR test_due_on >= test_starts_on",
                           name="test_dates_in_order"),
        sa.Index("ix_commitments_event_status", "event_id", "status"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    registration_id: Mapped[int] = mapped_column(sa.ForeignKey("registrations.id", ondelete="CASCADE"), index=True)
    # The convening (or peer visit event) it came from; with a visit, the host school's practice.
    event_id: Mapped[int] = mapped_column(sa.ForeignKey("events.id", ondelete="CASCADE"))
    visit_id: Mapped[int | None] = mapped_column(sa.ForeignKey("visits.id", ondelete="SET NULL"), index=True)
    evidence: Mapped[str] = mapped_column(sa.Text, default="")
    change_idea: Mapped[str] = mapped_column(sa.Text)
    why_new: Mapped[str] = mapped_column(sa.Text, default="")
    test_where: Mapped[str] = mapped_column(sa.String(300), default="")
    test_with_whom: Mapped[str] = mapped_column(sa.String(300), default="")
    test_starts_on: Mapped[date | None]
    test_due_on: Mapped[date | None]
    prediction: Mapped[str] = mapped_column(sa.Text, default="")
    measure: Mapped[str] = mapped_column(sa.String(300), default="")
    baseline: Mapped[str] = mapped_column(sa.String(200), default="")
    target: Mapped[str] = mapped_column(sa.String(200), default="")
    support_needed: Mapped[str] = mapped_column(sa.Text, default="")
    support_from: Mapped[str] = mapped_column(sa.String(300), default="")
    status: Mapped[CommitmentStatus] = mapped_column(str_enum(CommitmentStatus), default=CommitmentStatus.PLANNED)
    visibility: Mapped[Visibility] = mapped_column(str_enum(Visibility), default=Visibility.PRIVATE)
    # Typed in by an organizer from a paper sheet (None: written by the attendee).
    entered_by_id: Mapped[int | None] = mapped_column(sa.ForeignKey("users.id", ondelete="SET NULL"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, onupdate=utcnow)

    registration: Mapped[Registration] = relationship()
    event: Mapped[Event] = relationship()
    visit: Mapped[Visit | None] = relationship()
    entered_by: Mapped[User | None] = relationship()
    updates: Mapped[list["CommitmentUpdate"]] = relationship(
        back_populates="commitment", order_by="CommitmentUpdate.id", cascade="all, delete-orphan",
        passive_deletes=True)

    def __repr__(self) -> str:
        return f"<Commitment {self.id} {self.status} {self.visibility}>"


class CommitmentUpdate(Model):
    """A check-in on a commitment: what was tried, what was learned, what was decided; the log is kept."""

    __tablename__ = "commitment_updates"

    id: Mapped[int] = mapped_column(primary_key=True)
    commitment_id: Mapped[int] = mapped_column(sa.ForeignKey("commitments.id", ondelete="CASCADE"), index=True)
    tried: Mapped[str] = mapped_column(sa.Text, default="")
    learned: Mapped[str] = mapped_column(sa.Text, default="")
    decision: Mapped[Decision | None] = mapped_column(str_enum(Decision))
    status_before: Mapped[CommitmentStatus] = mapped_column(str_enum(CommitmentStatus))
    status_after: Mapped[CommitmentStatus] = mapped_column(str_enum(CommitmentStatus))
    entered_by_id: Mapped[int | None] = mapped_column(sa.ForeignKey("users.id", ondelete="SET NULL"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    commitment: Mapped[Commitment] = relationship(back_populates="updates")
    entered_by: Mapped[User | None] = relationship()


class FollowupReminder(Model):
    """A follow-up email owed to one participant of an event: the end-of-event invitation to write
    commitments, a check-in N days after the event, or one before the next convening. Its unique row is
    what keeps two runs of `followup remind` from sending it twice."""

    __tablename__ = "followup_reminders"
    __table_args__ = (sa.UniqueConstraint("registration_id", "kind"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    registration_id: Mapped[int] = mapped_column(sa.ForeignKey("registrations.id", ondelete="CASCADE"))
    event_id: Mapped[int] = mapped_column(sa.ForeignKey("events.id", ondelete="CASCADE"), index=True)
    # "write" (end of the event), "day-30", "day-60", ... or "before-next".
    kind: Mapped[str] = mapped_column(sa.String(30))
    due_at: Mapped[datetime] = mapped_column(UTCDateTime)
    sent_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    outbox_message_id: Mapped[int | None] = mapped_column(sa.ForeignKey("outbox_messages.id", ondelete="SET NULL"))

    registration: Mapped[Registration] = relationship()
