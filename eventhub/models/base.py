"""The models' base class, and column types they share: aware UTC timestamps and string-backed enums."""
import enum
import uuid
from datetime import UTC, datetime
from typing import TYPE_CHECKING
from urllib.parse import urlsplit

import sqlalchemy as sa
from flask import current_app
from sqlalchemy.types import TypeDecorator

from eventhub.extensions import Base, db

if TYPE_CHECKING:
    # Flask-SQLAlchemy makes db.Model at runtime from Base (adding the table names and the query
    # property); a type checker cannot follow that, so it checks the models against Base itself.
    Model = Base
else:
    Model = db.Model


def calendar_domain() -> str:
    """The right-hand side of this installation's calendar UIDs: BASE_URL's host, so that two installations
    (or a test and a live one) never hand a calendar the same UID for different things."""
    host = urlsplit(current_app.config["BASE_URL"]).hostname
    return host or "eventhub.invalid"


def new_calendar_uid() -> str:
    """A calendar UID for something people are invited to: random, stored, never regenerated."""
    return f"{uuid.uuid4()}@{calendar_domain()}"


def utcnow() -> datetime:
    """The current moment as an aware UTC datetime (use as a callable default)."""
    return datetime.now(UTC)


class UTCDateTime(TypeDecorator):
    """A timestamp stored in UTC and always returned timezone-aware.

    SQLite keeps no offset, so values are normalised to UTC on the way in and
    tagged as UTC on the way out; naive datetimes are refused as a bug.
    """

    impl = sa.DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value, dialect):
        """Convert an aware datetime to UTC before it is stored."""
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("naive datetime given where an aware one is required")
        value = value.astimezone(UTC)
        return value.replace(tzinfo=None) if dialect.name == "sqlite" else value

    def process_result_value(self, value, dialect):
        """Return the stored value as an aware UTC datetime."""
        if value is None:
            return None
        return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)


def str_enum(enum_cls: type[enum.StrEnum]) -> sa.Enum:
    """Store a StrEnum as its values in a plain VARCHAR column."""
    return sa.Enum(
        enum_cls,
        native_enum=False,
        length=max(len(m.value) for m in enum_cls) + 8,
        values_callable=lambda members: [m.value for m in members],
        validate_strings=True,
    )


def render_migration_item(type_, obj, autogen_context):
    """Write UTCDateTime into migrations as a plain DateTime, so they never import app code."""
    if type_ == "type" and isinstance(obj, UTCDateTime):
        return "sa.DateTime(timezone=True)"
    return False
