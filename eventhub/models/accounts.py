"""Back-office accounts: admins, organizers and host coordinators."""
import enum
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

    def set_password(self, password: str) -> None:
        """Store a salted hash of the password (scrypt)."""
        self.password_hash = generate_password_hash(password)

    def check_password(self, password: str) -> bool:
        """Whether the password matches the stored hash."""
        return check_password_hash(self.password_hash, password)


class SignIn(Model):
    """One sign-in to the back office: the server's record of a session cookie. The cookie holds a random
    token; only its hash is kept here. A session is over when it is signed out (or revoked by a new password
    or a deactivation), after SESSION_IDLE_HOURS without a request, or SESSION_MAX_DAYS after signing in."""

    __tablename__ = "sign_ins"

    id: Mapped[int] = mapped_column(primary_key=True)
    token_hash: Mapped[str] = mapped_column(sa.String(64), unique=True)
    user_id: Mapped[int] = mapped_column(sa.ForeignKey("users.id", ondelete="CASCADE"), index=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    last_seen_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    ended_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    # A digest of the password hash the person signed in with: a new password committed while this sign-in
    # was being made (after its password was checked) still ends it.
    password_digest: Mapped[str] = mapped_column(sa.String(64), default="")

    user: Mapped[User] = relationship()


class SetupCode(Model):
    """The one-time code with which the first admin creates their account, while no account exists. Only its
    hash is kept, in the database so that every worker checks the same code; there is at most one (its id is
    always 1, so two processes making one at once cannot both succeed)."""

    __tablename__ = "setup_codes"

    id: Mapped[int] = mapped_column(primary_key=True, autoincrement=False)
    code_hash: Mapped[str] = mapped_column(sa.String(64))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    expires_at: Mapped[datetime] = mapped_column(UTCDateTime)
