"""Events (convenings) with their host districts and agenda."""
import enum
from datetime import date, datetime
from typing import TYPE_CHECKING
from zoneinfo import ZoneInfo

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column, relationship

from eventhub.extensions import db
from eventhub.models.base import Model, UTCDateTime, str_enum, utcnow
from eventhub.models.directory import District

if TYPE_CHECKING:  # the other module imports this one; the name is only an annotation here
    from eventhub.models.visits import Visit

# The bounds of an event's follow-up check-ins: the back office refuses more, the reminders ignore more.
MAX_CHECK_IN_DAY = 730
MAX_CHECK_INS = 6
MAX_BEFORE_NEXT_DAYS = 120
# The reminder before an event goes at most this many days ahead.
MAX_REMINDER_DAYS = 30


class EventStatus(enum.StrEnum):
    """Whether the public can see an event."""

    DRAFT = "draft"
    PUBLISHED = "published"
    CANCELLED = "cancelled"


class EventKind(enum.StrEnum):
    """A convening of the whole network, or one district's visit to a peer."""

    CONVENING = "convening"
    PEER_VISIT = "peer_visit"


class VisitAllocationMode(enum.StrEnum):
    """How visit seats are given out at an event."""

    FIRST_COME = "first_come"
    LOTTERY = "lottery"


class AgendaKind(enum.StrEnum):
    """What sort of slot an agenda item is."""

    PLENARY = "plenary"
    BREAKOUT = "breakout"
    MEAL = "meal"
    TRAVEL = "travel"
    VISIT_BLOCK = "visit_block"
    OTHER = "other"

    @property
    def label(self) -> str:
        """Human wording of the kind."""
        return {"visit_block": "School visits"}.get(self.value, self.value.capitalize())


event_hosts = sa.Table(
    "event_hosts",
    db.metadata,
    sa.Column("event_id", sa.ForeignKey("events.id", ondelete="CASCADE"), primary_key=True),
    sa.Column("district_id", sa.ForeignKey("districts.id", ondelete="RESTRICT"), primary_key=True),
)


class Event(Model):
    """A convening: two or three days at a host district, with an agenda and registrations."""

    __tablename__ = "events"
    __table_args__ = (
        sa.CheckConstraint("ends_on >= starts_on", name="dates_in_order"),
        sa.CheckConstraint("capacity IS NULL OR capacity >= 0", name="capacity_not_negative"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    slug: Mapped[str] = mapped_column(sa.String(80), unique=True)
    kind: Mapped[EventKind] = mapped_column(str_enum(EventKind), default=EventKind.CONVENING)
    title: Mapped[str] = mapped_column(sa.String(200))
    summary: Mapped[str] = mapped_column(sa.Text, default="")
    venue_name: Mapped[str] = mapped_column(sa.String(200), default="")
    venue_address: Mapped[str] = mapped_column(sa.String(300), default="")
    # IANA zone of the host; every time on the event is shown in it.
    timezone: Mapped[str] = mapped_column(sa.String(64))
    starts_on: Mapped[date]
    ends_on: Mapped[date]
    registration_opens_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    registration_closes_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    # None means no limit; beyond it registrations join the waiting list.
    capacity: Mapped[int | None]
    # Registration only with an address at a member district's email domain (District.email_domains).
    member_addresses_only: Mapped[bool] = mapped_column(default=False, server_default=sa.false())
    status: Mapped[EventStatus] = mapped_column(str_enum(EventStatus), default=EventStatus.DRAFT)
    visit_allocation: Mapped[VisitAllocationMode] = mapped_column(
        str_enum(VisitAllocationMode), default=VisitAllocationMode.FIRST_COME
    )
    # In lottery mode, attendees rank visits until then; the organizer allocates afterwards.
    choices_close_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    # Follow-up check-ins, in days after the event's last day; and one this many days before the next convening
    # (None: no such reminder).
    followup_days: Mapped[list[int]] = mapped_column(sa.JSON, default=lambda: [30, 60, 90])
    followup_before_next_days: Mapped[int | None] = mapped_column(default=14)
    # A reminder to everyone confirmed this many days before the first day, 9:00 in the event's zone: what to
    # bring, when the bus leaves, where the agenda is (None: no reminder).
    reminder_days_before: Mapped[int | None] = mapped_column(default=3, server_default="3")
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, onupdate=utcnow)
    # Moves on at each save of the edit form; the form carries the version it was opened at, and a save from
    # an older one is refused (eventhub.editing).
    version: Mapped[int] = mapped_column(default=1, server_default="1")

    hosts: Mapped[list[District]] = relationship(secondary=event_hosts, order_by=District.name)
    agenda_items: Mapped[list["AgendaItem"]] = relationship(
        back_populates="event", order_by="(AgendaItem.starts_at, AgendaItem.id)", cascade="all, delete-orphan"
    )
    visits: Mapped[list["Visit"]] = relationship(
        back_populates="event", order_by="(Visit.starts_at, Visit.id)", cascade="all, delete-orphan"
    )

    @property
    def zone(self) -> ZoneInfo:
        """The event's time zone."""
        return ZoneInfo(self.timezone)

    @property
    def host_names(self) -> str:
        """Host districts joined for a sentence."""
        names = [d.name for d in self.hosts]
        if len(names) <= 1:
            return "".join(names)
        return ", ".join(names[:-1]) + " and " + names[-1]

    def __repr__(self) -> str:
        return f"<Event {self.slug}>"


class AgendaItem(Model):
    """One slot of an event's programme."""

    __tablename__ = "agenda_items"
    __table_args__ = (sa.CheckConstraint("ends_at > starts_at", name="ends_after_start"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    event_id: Mapped[int] = mapped_column(sa.ForeignKey("events.id", ondelete="CASCADE"), index=True)
    title: Mapped[str] = mapped_column(sa.String(200))
    description: Mapped[str] = mapped_column(sa.Text, default="")
    starts_at: Mapped[datetime] = mapped_column(UTCDateTime)
    ends_at: Mapped[datetime] = mapped_column(UTCDateTime)
    room: Mapped[str] = mapped_column(sa.String(120), default="")
    kind: Mapped[AgendaKind] = mapped_column(str_enum(AgendaKind), default=AgendaKind.OTHER)
    topic: Mapped[str | None] = mapped_column(sa.String(120))
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, onupdate=utcnow)

    event: Mapped[Event] = relationship(back_populates="agenda_items")

    def __repr__(self) -> str:
        return f"<AgendaItem {self.id} {self.title!r}>"
