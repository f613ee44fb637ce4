"""Back-office sessions kept on the server: a sign-in is a row, and a cookie is only as good as its row.

The session cookie carries a random token; the row keeps its hash. Signing out ends the row, so a copy of the
cookie taken before (from a shared computer, a proxy log) opens nothing afterwards. A session also ends after
an idle time and an absolute lifetime, and all of a person's sessions end when their password changes or
their account is deactivated.
"""
import secrets
from datetime import datetime, timedelta
from typing import cast

import sqlalchemy as sa
from flask import current_app
from sqlalchemy.engine import CursorResult

from eventhub.extensions import db
from eventhub.models import SignIn, User, utcnow
from eventhub.tokens import token_digest

# A request refreshes the session's last use at most this often: idle time is counted in hours, so a write
# per request would be wasted.
TOUCH_EVERY = timedelta(minutes=1)


def password_digest(user: User) -> str:
    """What a sign-in remembers of the password it was made with (a digest of its hash)."""
    return token_digest(user.password_hash)


def still_valid(sign_in: SignIn) -> bool:
    """Whether the sign-in's account is active and still on the password it signed in with."""
    return sign_in.user.is_active and sign_in.password_digest == password_digest(sign_in.user)


def idle_limit() -> timedelta:
    """How long a session lasts without a request (SESSION_IDLE_HOURS)."""
    return timedelta(hours=current_app.config["SESSION_IDLE_HOURS"])


def lifetime() -> timedelta:
    """How long a session lasts at most, however busy (SESSION_MAX_DAYS)."""
    return timedelta(days=current_app.config["SESSION_MAX_DAYS"])


def start_session(user: User, now: datetime | None = None) -> str:
    """Record a new sign-in and return the token its cookie carries. The person's ended and expired sessions
    are deleted meanwhile, so the table holds only what may still be used."""
    now = now or utcnow()
    db.session.execute(sa.delete(SignIn).where(
        SignIn.user_id == user.id,
        sa.or_(SignIn.ended_at.is_not(None), SignIn.created_at <= now - lifetime(),
               SignIn.last_seen_at <= now - idle_limit())))
    token = secrets.token_urlsafe(32)
    db.session.add(SignIn(token_hash=token_digest(token), user_id=user.id, created_at=now, last_seen_at=now,
                          password_digest=password_digest(user)))
    db.session.flush()
    return token


def live_session(token: str, now: datetime | None = None) -> SignIn | None:
    """The session a cookie's token belongs to, if it has not ended, idled out or outlived its lifetime."""
    now = now or utcnow()
    return db.session.scalar(sa.select(SignIn).where(
        SignIn.token_hash == token_digest(token), SignIn.ended_at.is_(None),
        SignIn.created_at > now - lifetime(), SignIn.last_seen_at > now - idle_limit()))


def touch(sign_in: SignIn, now: datetime | None = None) -> bool:
    """Note that the session is in use (at most once a TOUCH_EVERY); whether anything was written."""
    now = now or utcnow()
    if now - sign_in.last_seen_at < TOUCH_EVERY:
        return False
    sign_in.last_seen_at = now
    db.session.flush()
    return True


def end_session(token: str, now: datetime | None = None) -> None:
    """Sign out: the session's cookie opens nothing from now on."""
    db.session.execute(sa.update(SignIn).where(SignIn.token_hash == token_digest(token), SignIn.ended_at.is_(None))
                       .values(ended_at=now or utcnow()))


def end_sessions_of(user: User, now: datetime | None = None) -> int:
    """End every session of the person (a new password, a deactivated account); how many were live."""
    result = db.session.execute(sa.update(SignIn).where(SignIn.user_id == user.id, SignIn.ended_at.is_(None))
                                .values(ended_at=now or utcnow()))
    return cast(CursorResult, result).rowcount or 0
