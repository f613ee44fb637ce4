"""Back-office accounts: admins, organizers and host coordinators."""
import enum
import hashlib
from datetime import datetime

import sqlalchemy as sa
from flask_login import UserMixin
from sqlalchemy.orm import Mapped, mapped_column, relationship
from werkzeug.security import check_password_hash, generate_password_hash

from eventhub.models.base import Model, UTCDateTime, str_enum, utcnow
from eventhub.models.directory import District


class UserRole(enum.StrEnum):
    """What a back-office user may do."""

    ADMIN = "admin"
    ORGANIZER = "organizer"
    HOST_COORDINATOR = "host_coordinator"


class User(UserMixin, Model):
    """A person who signs in to the back office."""

    __tablename__ = "users"
    __table_args__ = (
        sa.CheckConstraint(
            "role != 'host_coordinator' OR district_id IS NOT NULL", name="coordinator_has_district"
        ),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    email: Mapped[str] = mapped_column(sa.String(254), unique=True)
    name: Mapped[str] = mapped_column(sa.String(150), default="")
    password_hash: Mapped[str] = mapped_column(sa.String(255))
    role: Mapped[UserRole] = mapped_column(str_enum(UserRole))
    # Host coordinators see only the visits at this district's schools.
    district_id: Mapped[int | None] = mapped_column(sa.ForeignKey("districts.id", ondelete="RESTRICT"))
    active: Mapped[bool] = mapped_column(default=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    district: Mapped[District | None] = relationship()

    @property
    def is_active(self) -> bool:
        """Disabled accounts cannot sign in (Flask-Login reads this)."""
        return self.active

    def get_id(self) -> str:
        """What the session remembers: the id and a digest of the password hash, so a new password (a reset,
        say) signs the account out everywhere else (Flask-Login reads this)."""
        return f"{self.id}.{self.session_digest}"

    @property
    def session_digest(self) -> str:
        """Sixteen hex digits that change whenever the password does."""
        return hashlib.sha256(self.password_hash.encode()).hexdigest()[:16]

    def set_password(self, password: str) -> None:
        """Store a salted hash of the password (scrypt)."""
        self.password_hash = generate_password_hash(password)

    def check_password(self, password: str) -> bool:
        """Whether the password matches the stored hash."""
        return check_password_hash(self.password_hash, password)
