"""School visits: seats, ranked choices, waiting lists, and the allocations that fill them."""
import enum
from datetime import date, datetime
from zoneinfo import ZoneInfo

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column, relationship

from eventhub.extensions import db
from eventhub.locking import require_event_lock
from eventhub.models.base import Model, UTCDateTime, new_calendar_uid, str_enum, utcnow
from eventhub.models.directory import School
from eventhub.models.events import AgendaItem, Event
from eventhub.models.registrations import Registration

# A 72-passenger school bus seats about 48 adults, two to a seat.
ADULTS_PER_BUS = 48
class Transport(enum.StrEnum):
    """How visitors get to the school."""

    NETWORK_BUS = "network_bus"
    OWN_VEHICLE = "own_vehicle"
    WALK = "walk"

    @property
    def label(self) -> str:
        """Human wording."""
        return {"network_bus": "Network bus", "own_vehicle": "Own vehicle", "walk": "On foot"}[self.value]


class VisitStatus(enum.StrEnum):
    """Whether a visit still takes place."""

    SCHEDULED = "scheduled"
    CANCELLED = "cancelled"


class SeatStatus(enum.StrEnum):
    """A person's place on one visit."""

    CONFIRMED = "confirmed"
    WAITLISTED = "waitlisted"
    CANCELLED = "cancelled"


class Visit(Model):
    """A visit to a host school: a time window, a focus of inquiry, and a limited number of seats."""

    __tablename__ = "visits"
    __table_args__ = (
        sa.CheckConstraint("ends_at > starts_at", name="ends_after_start"),
        sa.CheckConstraint("seats_override IS NULL OR seats_override >= 0", name="seats_not_negative"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    event_id: Mapped[int] = mapped_column(sa.ForeignKey("events.id", ondelete="CASCADE"), index=True)
    # The agenda slot (kind visit_block) this visit fills at a convening; people get one seat per block.
    block_id: Mapped[int | None] = mapped_column(sa.ForeignKey("agenda_items.id", ondelete="SET NULL"), index=True)
    school_id: Mapped[int] = mapped_column(sa.ForeignKey("schools.id", ondelete="RESTRICT"), index=True)
    title: Mapped[str] = mapped_column(sa.String(200))
    focus: Mapped[str] = mapped_column(sa.Text, default="")
    topics: Mapped[list[str]] = mapped_column(sa.JSON, default=list)
    starts_at: Mapped[datetime] = mapped_column(UTCDateTime)
    ends_at: Mapped[datetime] = mapped_column(UTCDateTime)
    meeting_point: Mapped[str] = mapped_column(sa.String(300), default="")
    # When visitors must be at the meeting point; without one, when the bus leaves (see meeting_time).
    meets_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    bus_departs_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    transport: Mapped[Transport] = mapped_column(str_enum(Transport), default=Transport.NETWORK_BUS)
    host_contact_name: Mapped[str] = mapped_column(sa.String(150), default="")
    host_contact_email: Mapped[str] = mapped_column(sa.String(254), default="")
    host_contact_phone: Mapped[str] = mapped_column(sa.String(30), default="")
    lunch_provided: Mapped[bool] = mapped_column(default=False)
    # Seats are either set outright or the smallest of the limits below that are known.
    seats_override: Mapped[int | None]
    buses: Mapped[int | None]
    room_limit: Mapped[int | None]
    observation_groups: Mapped[int | None]
    group_size: Mapped[int | None]
    status: Mapped[VisitStatus] = mapped_column(str_enum(VisitStatus), default=VisitStatus.SCHEDULED)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, onupdate=utcnow)
    # Moves on at each save of the edit form; the form carries the version it was opened at, and a save from
    # an older one is refused (eventhub.editing).
    version: Mapped[int] = mapped_column(default=1, server_default="1")

    event: Mapped[Event] = relationship(back_populates="visits")
    block: Mapped[AgendaItem | None] = relationship()
    school: Mapped[School] = relationship()

    def seat_limits(self) -> list[tuple[str, str, int]]:
        """Each known limit on seats: how it reads in the list of limits, how it reads when it is the one
        that binds, and its value."""
        limits = []
        if self.buses is not None:
            buses = self.buses * ADULTS_PER_BUS
            limits.append((f"buses × {ADULTS_PER_BUS} = {buses}",
                           f"{self.buses} bus{'es' if self.buses != 1 else ''} × {ADULTS_PER_BUS} adults", buses))
        if self.room_limit is not None:
            limits.append((f"room limit {self.room_limit}", "the school's room limit", self.room_limit))
        if self.observation_groups is not None and self.group_size is not None:
            groups = self.observation_groups * self.group_size
            limits.append((f"groups × size = {groups}",
                           f"{self.observation_groups} observation group{'s' if self.observation_groups != 1 else ''}"
                           f" × {self.group_size}", groups))
        return limits

    @property
    def seats(self) -> int:
        """How many people the visit can take."""
        if self.seats_override is not None:
            return self.seats_override
        return min((value for _, _, value in self.seat_limits()), default=0)

    @property
    def seats_basis(self) -> str:
        """Why the visit has this many seats, in words: "8 = 2 observation groups × 4; the smallest of:
        buses × 48 = 96, room limit 10, groups × size = 8"."""
        if self.seats_override is not None:
            return f"{self.seats_override}, set by the organizer"
        limits = self.seat_limits()
        if not limits:
            return "0: no limits entered yet"
        _, binding, seats = min(limits, key=lambda limit: limit[2])
        listed = f"; the smallest of: {', '.join(item for item, _, _ in limits)}" if len(limits) > 1 else ""
        return f"{seats} = {binding}{listed}"

    @property
    def meeting_time(self) -> datetime:
        """When a visitor must be there: the meeting time, else the bus's departure, else the school's start."""
        return self.meets_at or self.bus_departs_at or self.starts_at

    @property
    def meeting_place(self) -> str:
        """Where a visitor must be then: the meeting point, else the school itself."""
        return self.meeting_point or f"{self.school.name}, {self.school.address}"

    @property
    def timezone(self) -> str:
        """The host's zone: every time of the visit is shown in it (the event's, should the district's have been
        unset: the directory refuses that while the district hosts anything)."""
        return self.school.district.timezone or self.event.timezone

    @property
    def zone(self) -> ZoneInfo:
        """The host's zone as a ZoneInfo."""
        return ZoneInfo(self.timezone)

    @property
    def local_date(self) -> date:
        """The visit's day at the school."""
        return self.starts_at.astimezone(self.zone).date()

    def __repr__(self) -> str:
        return f"<Visit {self.id} {self.title!r}>"


class VisitChoice(Model):
    """One ranked wish of an attendee for a visit (1 is their first choice)."""

    __tablename__ = "visit_choices"
    __table_args__ = (
        sa.UniqueConstraint("registration_id", "visit_id"),
        sa.CheckConstraint("rank BETWEEN 1 AND 3", name="rank_range"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    registration_id: Mapped[int] = mapped_column(sa.ForeignKey("registrations.id", ondelete="CASCADE"), index=True)
    visit_id: Mapped[int] = mapped_column(sa.ForeignKey("visits.id", ondelete="CASCADE"), index=True)
    rank: Mapped[int]
    # What the attendee hopes to learn; the host reads it to prepare.
    hopes: Mapped[str] = mapped_column(sa.Text, default="")
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    registration: Mapped[Registration] = relationship()
    visit: Mapped[Visit] = relationship()


class VisitSeat(Model):
    """A person's place on a visit: a seat, a place on its waiting list, or a cancelled one."""

    __tablename__ = "visit_seats"
    __table_args__ = (
        sa.UniqueConstraint("visit_id", "registration_id"),
        # Never two seats for one person in the same visit block, enforced by the database.
        sa.Index(
            "uq_visit_seats_one_confirmed_per_block",
            "registration_id",
            "block_id",
            unique=True,
            sqlite_where=sa.text("status = 'confirmed' AND block_id IS NOT NULL"),
            postgresql_where=sa.text("status = 'confirmed' AND block_id IS NOT NULL"),
        ),
        sa.Index("ix_visit_seats_visit_status_queue", "visit_id", "status", "waitlisted_at", "id"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    visit_id: Mapped[int] = mapped_column(sa.ForeignKey("visits.id", ondelete="CASCADE"))
    registration_id: Mapped[int] = mapped_column(sa.ForeignKey("registrations.id", ondelete="CASCADE"), index=True)
    # Copied from the visit so the one-seat-per-block rule can be a unique index.
    block_id: Mapped[int | None] = mapped_column(sa.ForeignKey("agenda_items.id", ondelete="SET NULL"))
    status: Mapped[SeatStatus] = mapped_column(str_enum(SeatStatus))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    confirmed_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    waitlisted_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    cancelled_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    # Got on the bus / arrived at the school (checked in by the organizer or the host coordinator).
    checked_in_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    norms_acknowledged_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    # Screening data for this host alone; purged a few days after the visit.
    date_of_birth: Mapped[date | None]
    id_type: Mapped[str] = mapped_column(sa.String(50), default="")
    screening_consent_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    screening_purged_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    # This seat's invitation in the attendee's calendar (see Registration.invite_uid).
    invite_uid: Mapped[str] = mapped_column(sa.String(100), unique=True, default=new_calendar_uid)
    invite_sequence: Mapped[int] = mapped_column(default=0)
    # The mailbox this invitation's ORGANIZER named when it was first sent (MAIL_ORGANIZER then); its updates
    # and cancellations keep it, so a new mailbox never takes over invitations already in calendars.
    invite_organizer: Mapped[str | None] = mapped_column(sa.String(254))
    # Any change to the row, taking the invitation's next SEQUENCE included (the personal feed's Last-Modified).
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, onupdate=utcnow)
    # A district team waits as one party: its members' waiting places name the team (the id of its lead's
    # registration: a key, not a reference, so joins to registrations stay unambiguous) and are seated
    # together. Set only on a waiting place; a seat or a place given up belongs to nobody's party.
    party_id: Mapped[int | None]
    # How many seats were held for the party when its lead was last asked whether to split it.
    split_offered: Mapped[int | None]

    visit: Mapped[Visit] = relationship()
    registration: Mapped[Registration] = relationship()

    # --- status transitions: the only code that sets `status` and its timestamps --------------------

    def _require_lock(self) -> None:
        """The event's lock must be held; finding the event must not flush the half-made change (the
        order of a block's release and its new seat matters to the one-seat-per-block index)."""
        with db.session.no_autoflush:
            require_event_lock(self.visit.event_id)

    def confirm(self, now: datetime) -> None:
        """Give the person a seat on the visit (the caller applied the seat rule under the event's lock,
        and gave up their other seat in the block first: the database allows one per block)."""
        self._require_lock()
        self.status, self.confirmed_at, self.cancelled_at = SeatStatus.CONFIRMED, now, None
        self.party_id = self.split_offered = None

    def wait(self, now: datetime) -> None:
        """Put the person at the end of the visit's waiting list."""
        self._require_lock()
        self.status, self.waitlisted_at, self.cancelled_at = SeatStatus.WAITLISTED, now, None

    def cancel(self, now: datetime) -> None:
        """Give up the seat or waiting place (the caller passes a freed seat on)."""
        self._require_lock()
        self.status, self.cancelled_at = SeatStatus.CANCELLED, now
        self.party_id = self.split_offered = None

    @property
    def missing_screening(self) -> list[str]:
        """What the host still needs to screen this visitor ("date of birth", "ID type"), for a seat."""
        school = self.visit.school
        if self.status is not SeatStatus.CONFIRMED or self.screening_purged_at is not None:
            return []
        missing = []
        if school.screening_dob_required and (self.date_of_birth is None or self.screening_consent_at is None):
            missing.append("date of birth")
        if school.screening_id_type_required and (not self.id_type or self.screening_consent_at is None):
            missing.append("ID type")
        return missing

    def __repr__(self) -> str:
        return f"<VisitSeat {self.id} visit={self.visit_id} registration={self.registration_id} {self.status}>"


class VisitAllocation(Model):
    """A fair allocation of one visit block over everyone's rankings: its seed, its report, and if committed."""

    __tablename__ = "visit_allocations"

    id: Mapped[int] = mapped_column(primary_key=True)
    event_id: Mapped[int] = mapped_column(sa.ForeignKey("events.id", ondelete="CASCADE"), index=True)
    block_id: Mapped[int | None] = mapped_column(sa.ForeignKey("agenda_items.id", ondelete="SET NULL"))
    seed: Mapped[int] = mapped_column(sa.BigInteger)
    # Counts of people who got their 1st, 2nd, 3rd choice or none, and the teams kept together.
    report: Mapped[dict] = mapped_column(sa.JSON, default=dict)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    committed_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
