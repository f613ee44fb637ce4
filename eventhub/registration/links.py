"""Private links: random tokens that open a registration, stored only as their SHA-256."""
import hashlib
import secrets
from datetime import datetime
from typing import cast

import sqlalchemy as sa
from sqlalchemy.engine import CursorResult
from sqlalchemy.orm import joinedload

from eventhub.extensions import db
from eventhub.models import PrivateLink, Registration, utcnow


def _hash_token(token: str) -> str:
    """SHA-256 of a token; the token itself is never stored."""
    return hashlib.sha256(token.encode()).hexdigest()


def issue_private_link(registration: Registration) -> str:
    """Create a new secret link (256 random bits) and return its token, which only the email carries."""
    if registration.id is None:  # a registration still to be written gets its id first
        db.session.flush()
    return issue_private_links([registration.id])[0]


def issue_private_links(registration_ids: list[int]) -> list[str]:
    """A new secret link for each of these registrations, in one INSERT; their tokens, in order.

    A plain INSERT, not the unit of work: every email and printed agenda issues one, and nothing
    reads the new rows back in the same transaction.
    """
    tokens = [secrets.token_urlsafe(32) for _ in registration_ids]
    if tokens:
        now = utcnow()
        db.session.execute(sa.insert(cast(sa.Table, PrivateLink.__table__)), [
            {"registration_id": registration_id, "token_hash": _hash_token(token), "created_at": now}
            for registration_id, token in zip(registration_ids, tokens)])
    return tokens


def registration_for_token(token: str) -> Registration | None:
    """The registration a private link opens, unless the link was revoked or never existed."""
    if not token or len(token) > 100:
        return None
    return db.session.scalar(
        sa.select(Registration)
        .join(PrivateLink)
        .where(PrivateLink.token_hash == _hash_token(token), PrivateLink.revoked_at.is_(None))
        .options(joinedload(Registration.event))  # every page a link opens shows its event
    )


def revoke_private_links(registration: Registration, *, now: datetime | None = None) -> int:
    """Make every link to this registration stop working (a forwarded email, a lost phone)."""
    now = now or utcnow()
    result = db.session.execute(
        sa.update(PrivateLink)
        .where(PrivateLink.registration_id == registration.id, PrivateLink.revoked_at.is_(None))
        .values(revoked_at=now)
    )
    return cast(CursorResult, result).rowcount
