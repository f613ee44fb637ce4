"""All models, re-exported so Alembic and the app see every table."""
from eventhub.models.accounts import User, UserRole
from eventhub.models.base import UTCDateTime, utcnow
from eventhub.models.directory import District, Locale, School
from eventhub.models.events import AgendaItem, AgendaKind, Event, EventStatus, event_hosts
from eventhub.models.outbox import OutboxMessage, OutboxStatus
from eventhub.models.registrations import (
    ACCESSIBILITY_OPTIONS,
    DIETARY_OPTIONS,
    AttendeeRole,
    PrivateLink,
    Registration,
    RegistrationStatus,
)

__all__ = [
    "ACCESSIBILITY_OPTIONS",
    "DIETARY_OPTIONS",
    "AgendaItem",
    "AgendaKind",
    "AttendeeRole",
    "District",
    "Event",
    "EventStatus",
    "Locale",
    "OutboxMessage",
    "OutboxStatus",
    "PrivateLink",
    "Registration",
    "RegistrationStatus",
    "School",
    "UTCDateTime",
    "User",
    "UserRole",
    "event_hosts",
    "utcnow",
]
