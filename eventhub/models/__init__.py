"""All models, re-exported so Alembic and the app see every table."""
from eventhub.models.accounts import User, UserRole
from eventhub.models.backoffice import AuditEntry, Broadcast
from eventhub.models.base import UTCDateTime, calendar_domain, utcnow
from eventhub.models.directory import District, Locale, School
from eventhub.models.events import (
    MAX_BEFORE_NEXT_DAYS,
    MAX_CHECK_IN_DAY,
    MAX_CHECK_INS,
    AgendaItem,
    AgendaKind,
    Event,
    EventKind,
    EventStatus,
    VisitAllocationMode,
    event_hosts,
)
from eventhub.models.followup import (
    Commitment,
    CommitmentStatus,
    CommitmentUpdate,
    Decision,
    FollowupReminder,
    Visibility,
)
from eventhub.models.idkinds import ID_TYPES, id_kinds_in_words, id_type_label, read_id_kinds
from eventhub.models.outbox import OutboxMessage, OutboxStatus
from eventhub.models.printing import PrintBatch, PrintKind, PrintStatus
from eventhub.models.registrations import (
    ACCESSIBILITY_OPTIONS,
    DIETARY_OPTIONS,
    AttendeeRole,
    PrivateLink,
    Registration,
    RegistrationStatus,
)
from eventhub.models.visits import (
    ADULTS_PER_BUS,
    SeatStatus,
    Transport,
    Visit,
    VisitAllocation,
    VisitChoice,
    VisitSeat,
    VisitStatus,
)

__all__ = [
    "ID_TYPES",
    "id_kinds_in_words",
    "id_type_label",
    "read_id_kinds",
    "MAX_BEFORE_NEXT_DAYS",
    "MAX_CHECK_IN_DAY",
    "MAX_CHECK_INS",
    "ADULTS_PER_BUS",
    "ACCESSIBILITY_OPTIONS",
    "DIETARY_OPTIONS",
    "AgendaItem",
    "AgendaKind",
    "AttendeeRole",
    "AuditEntry",
    "Broadcast",
    "Commitment",
    "CommitmentStatus",
    "CommitmentUpdate",
    "Decision",
    "District",
    "Event",
    "FollowupReminder",
    "EventKind",
    "EventStatus",
    "Locale",
    "OutboxMessage",
    "OutboxStatus",
    "PrintBatch",
    "PrintKind",
    "PrintStatus",
    "PrivateLink",
    "Registration",
    "RegistrationStatus",
    "School",
    "SeatStatus",
    "Transport",
    "UTCDateTime",
    "calendar_domain",
    "User",
    "UserRole",
    "Visibility",
    "Visit",
    "VisitAllocation",
    "VisitAllocationMode",
    "VisitChoice",
    "VisitSeat",
    "VisitStatus",
    "event_hosts",
    "utcnow",
]
