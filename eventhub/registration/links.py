"""Private links: random tokens that open a registration, stored only as their SHA-256."""
import hashlib
import secrets
from datetime import datetime

import sqlalchemy as sa
from sqlalchemy.orm import joinedload

from eventhub.extensions import db
from eventhub.models import PrivateLink, Registration, utcnow


def _hash_token(token: str) -> str:
    """SHA-256 of a token; the token itself is never stored."""
    return hashlib.sha256(token.encode()).hexdigest()


def issue_private_link(registration: Registration) -> str:
    """Create a new secret link (256 random bits) and return its token, which only the email carries."""
    token = secrets.token_urlsafe(32)
    if registration.id is None:  # a registration still to be written gets its id first
        db.session.flush()
    # A plain INSERT, not the unit of work: every email and printed agenda issues one, and nothing
    # reads the new row back in the same transaction.
    db.session.execute(sa.insert(PrivateLink.__table__).values(
        registration_id=registration.id, token_hash=_hash_token(token), created_at=utcnow()))
    return token


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
    return result.rowcount
