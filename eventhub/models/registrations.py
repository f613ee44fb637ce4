"""Registrations of attendees for an event, and the private links that open them."""
import enum
from datetime import datetime
from typing import TYPE_CHECKING

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column, relationship

from eventhub.extensions import db
from eventhub.locking import require_event_lock
from eventhub.models.base import Model, UTCDateTime, new_calendar_uid, str_enum, utcnow
from eventhub.models.directory import District
from eventhub.models.events import Event

if TYPE_CHECKING:  # models.visits imports this module; the name is only an annotation here
    from eventhub.models.visits import VisitSeat


class RegistrationStatus(enum.StrEnum):
    """Where a registration stands."""

    CONFIRMED = "confirmed"
    WAITLISTED = "waitlisted"
    CANCELLED = "cancelled"


class AttendeeRole(enum.StrEnum):
    """The fixed list of roles the network reports on."""

    SUPERINTENDENT = "superintendent"
    CABINET = "cabinet"
    CTO = "cto"
    PRINCIPAL = "principal"
    COACH = "coach"
    TEACHER = "teacher"
    OTHER = "other"

    @property
    def label(self) -> str:
        """Human wording of the role."""
        return ROLE_LABELS[self]


ROLE_LABELS = {
    AttendeeRole.SUPERINTENDENT: "Superintendent",
    AttendeeRole.CABINET: "Cabinet member",
    AttendeeRole.CTO: "Chief technology officer",
    AttendeeRole.PRINCIPAL: "Principal",
    AttendeeRole.COACH: "Coach",
    AttendeeRole.TEACHER: "Teacher",
    AttendeeRole.OTHER: "Other",
}

DIETARY_OPTIONS = {
    "vegetarian": "Vegetarian",
    "vegan": "Vegan",
    "gluten_free": "Gluten-free",
    "dairy_free": "Dairy-free",
    "halal": "Halal",
    "kosher": "Kosher",
}

ACCESSIBILITY_OPTIONS = {
    "wheelchair_vehicle": "Wheelchair-accessible vehicle",
    "limited_walking": "Limited walking",
    "interpreter_captions": "Interpreter or captions",
    "large_print": "Large print",
    "service_animal": "Service animal",
}


class Registration(Model):
    """One person's place at an event: confirmed, waiting, or cancelled."""

    __tablename__ = "registrations"
    __table_args__ = (
        # One registration per email per event, enforced by the database.
        sa.UniqueConstraint("event_id", "email"),
        sa.Index("ix_registrations_event_status_queue", "event_id", "status", "waitlisted_at", "id"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    event_id: Mapped[int] = mapped_column(sa.ForeignKey("events.id", ondelete="CASCADE"))
    # Stored lower-cased, as normalised by email-validator.
    email: Mapped[str] = mapped_column(sa.String(254))
    legal_first_name: Mapped[str] = mapped_column(sa.String(100))
    legal_last_name: Mapped[str] = mapped_column(sa.String(100))
    preferred_name: Mapped[str] = mapped_column(sa.String(100), default="")
    mobile: Mapped[str] = mapped_column(sa.String(30), default="")
    role: Mapped[AttendeeRole] = mapped_column(str_enum(AttendeeRole))
    title: Mapped[str] = mapped_column(sa.String(150), default="")
    district_id: Mapped[int | None] = mapped_column(
        sa.ForeignKey("districts.id", ondelete="SET NULL"), index=True
    )
    # Filled when the attendee's organisation is not a member district.
    other_organization: Mapped[str] = mapped_column(sa.String(200), default="")
    dietary: Mapped[list[str]] = mapped_column(sa.JSON, default=list)
    allergies: Mapped[str] = mapped_column(sa.String(500), default="")
    accessibility: Mapped[list[str]] = mapped_column(sa.JSON, default=list)
    accessibility_notes: Mapped[str] = mapped_column(sa.String(500), default="")
    photo_consent: Mapped[bool] = mapped_column(default=False)
    emergency_contact_name: Mapped[str] = mapped_column(sa.String(150), default="")
    emergency_contact_phone: Mapped[str] = mapped_column(sa.String(30), default="")
    # The colleague who registered this person as part of a district team.
    team_lead_id: Mapped[int | None] = mapped_column(
        sa.ForeignKey("registrations.id", ondelete="SET NULL"), index=True
    )
    status: Mapped[RegistrationStatus] = mapped_column(str_enum(RegistrationStatus))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, onupdate=utcnow)
    confirmed_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    # Queue order of the waiting list: the earliest waits at the head.
    waitlisted_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    cancelled_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    # Arrived at the event (checked in at the door); cleared by "undo".
    checked_in_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    # When the attendee accepted the visit norms; every seat they are given later carries it.
    visit_norms_acknowledged_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    # The convening invitation in the attendee's calendar: its UID never changes, its SEQUENCE
    # rises with every update or cancellation sent.
    invite_uid: Mapped[str] = mapped_column(sa.String(100), unique=True, default=new_calendar_uid)
    invite_sequence: Mapped[int] = mapped_column(default=0)
    # The mailbox this invitation's ORGANIZER named when it was first sent (MAIL_ORGANIZER then); its updates
    # and cancellations keep it, so a new mailbox never takes over invitations already in calendars.
    invite_organizer: Mapped[str | None] = mapped_column(sa.String(254))

    event: Mapped[Event] = relationship()
    district: Mapped[District | None] = relationship()
    team_lead: Mapped["Registration | None"] = relationship(remote_side=[id], back_populates="team_members")
    team_members: Mapped[list["Registration"]] = relationship(
        back_populates="team_lead", order_by="Registration.legal_last_name"
    )
    links: Mapped[list["PrivateLink"]] = relationship(
        back_populates="registration", cascade="all, delete-orphan", passive_deletes=True
    )
    # Read-only: seats are changed through the visit services. Loaded eagerly only where many
    # registrations are read at once (composing a batch of emails); elsewhere ask visits.queries.
    seats: Mapped[list["VisitSeat"]] = relationship(viewonly=True)

    # --- status transitions: the only code that sets `status` and its timestamps --------------------

    def _require_lock(self) -> None:
        """The event's lock must be held; finding the event must not flush the half-made change."""
        with db.session.no_autoflush:
            require_event_lock(self.event_id or self.event.id)

    def enter(self, now: datetime, *, limited: bool) -> None:
        """A new registration: where the event has a seat limit, it waits for the seat decision taken
        under the event's lock; where it has none, it is confirmed outright. Needs no lock: it takes
        nobody's seat."""
        if limited:
            self.status, self.waitlisted_at = RegistrationStatus.WAITLISTED, now
        else:
            self.status, self.confirmed_at = RegistrationStatus.CONFIRMED, now

    def confirm(self, now: datetime) -> None:
        """Give the registration a seat at the event (the caller applied the seat rule under the lock)."""
        self._require_lock()
        self.status, self.confirmed_at, self.cancelled_at = RegistrationStatus.CONFIRMED, now, None

    def wait(self, now: datetime) -> None:
        """Put the registration at the end of the event's waiting list."""
        self._require_lock()
        self.status, self.waitlisted_at, self.cancelled_at = RegistrationStatus.WAITLISTED, now, None

    def cancel(self, now: datetime) -> None:
        """Cancel the registration (the caller passes a freed seat on)."""
        self._require_lock()
        self.status, self.cancelled_at = RegistrationStatus.CANCELLED, now

    @property
    def display_name(self) -> str:
        """Preferred first name if given, with the legal last name."""
        return f"{self.preferred_name or self.legal_first_name} {self.legal_last_name}"

    @property
    def legal_name(self) -> str:
        """The name as on a government ID."""
        return f"{self.legal_first_name} {self.legal_last_name}"

    @property
    def organization(self) -> str:
        """The member district, or what the attendee typed instead."""
        return self.district.label if self.district else self.other_organization

    def __repr__(self) -> str:
        return f"<Registration {self.id} {self.email} {self.status}>"


class LinkKind(enum.StrEnum):
    """What a private link opens."""

    MANAGE = "manage"  # the private page: change or cancel the registration
    FEED = "feed"  # the attendee's calendar feed, read-only: the programme and nothing else


class LinkOrigin(enum.StrEnum):
    """Where a private link was handed out: the attendee's page names each link by it."""

    EMAIL = "email"
    PRINT = "print"  # on a printed agenda: the attendee's own paper, never retired for a newer link
    PAGE = "page"  # opened at once in the browser that asked (an accepted place, a confirmed new address)
    CALENDAR = "calendar"  # a feed, made on the private page

    @property
    def label(self) -> str:
        """How the attendee's page names a link of this origin."""
        return {"email": "Emailed", "print": "Printed on an agenda", "page": "Opened in a browser",
                "calendar": "Calendar feed"}[self.value]


class PrivateLink(Model):
    """A secret link to one registration. A management link keeps only the SHA-256 of its token; a feed's
    token is this row's id signed with the app's key, so the private page can show it again."""

    __tablename__ = "private_links"
    __table_args__ = (
        sa.Index("ix_private_links_registration_live", "registration_id", "kind", "revoked_at"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    registration_id: Mapped[int] = mapped_column(
        sa.ForeignKey("registrations.id", ondelete="CASCADE"), index=True
    )
    kind: Mapped[LinkKind] = mapped_column(str_enum(LinkKind), default=LinkKind.MANAGE,
                                           server_default=LinkKind.MANAGE.value)
    origin: Mapped[LinkOrigin] = mapped_column(str_enum(LinkOrigin), default=LinkOrigin.EMAIL,
                                               server_default=LinkOrigin.EMAIL.value)
    # Empty for a feed, whose token is signed rather than stored.
    token_hash: Mapped[str | None] = mapped_column(sa.String(64), unique=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    # When the link last opened a page, written at most once an hour; never used means it may be retired.
    last_used_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    revoked_at: Mapped[datetime | None] = mapped_column(UTCDateTime)

    registration: Mapped[Registration] = relationship(back_populates="links")


class PlaceHandover(Model):
    """A confirmed registration's place, offered to a colleague of the same district until they accept it
    through the link emailed to them (only the SHA-256 of its token is kept)."""

    __tablename__ = "place_handovers"

    id: Mapped[int] = mapped_column(primary_key=True)
    registration_id: Mapped[int] = mapped_column(sa.ForeignKey("registrations.id", ondelete="CASCADE"), index=True)
    email: Mapped[str] = mapped_column(sa.String(254))
    legal_first_name: Mapped[str] = mapped_column(sa.String(100))
    legal_last_name: Mapped[str] = mapped_column(sa.String(100))
    role: Mapped[AttendeeRole] = mapped_column(str_enum(AttendeeRole))
    token_hash: Mapped[str] = mapped_column(sa.String(64), unique=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    accepted_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    withdrawn_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    # The colleague's own registration, once they accepted.
    new_registration_id: Mapped[int | None] = mapped_column(sa.ForeignKey("registrations.id", ondelete="SET NULL"))

    registration: Mapped[Registration] = relationship(foreign_keys=[registration_id])

    @property
    def colleague_name(self) -> str:
        return f"{self.legal_first_name} {self.legal_last_name}"
