"""Private links: the management links that open a registration's page, and the read-only calendar feeds.

A management link is a random token stored only as its SHA-256. Every email carries a new one, so a
registration keeps at most MAX_UNUSED_LINKS that were never used: a new one retires the oldest unused.
A link that has been used, or that was printed on an agenda, stays until revoked: nobody can kill the QR
code on someone's paper by asking for new links.

A feed's token is its row's id signed with the app's key (its own salt), so the private page can show the
same address again; it opens the programme and nothing else, and revoking the row ends it.
"""
import secrets
from datetime import datetime, timedelta
from typing import cast

import sqlalchemy as sa
from flask import current_app
from itsdangerous import BadData, URLSafeSerializer
from sqlalchemy.engine import CursorResult
from sqlalchemy.orm import joinedload

from eventhub.extensions import db
from eventhub.models import LinkKind, LinkOrigin, PrivateLink, Registration, utcnow
from eventhub.tokens import token_digest

# Unused management links a registration keeps; the oldest goes when another is issued.
MAX_UNUSED_LINKS = 5
# How often a link's last use is written: a page opened twice in an hour writes nothing the second time.
USE_RECORDED_EVERY = timedelta(hours=1)
# Origins whose unused links are retired by newer ones: printed links stay until revoked.
RETIRED_WHEN_UNUSED = (LinkOrigin.EMAIL, LinkOrigin.PAGE)
FEED_SALT = "eventhub.calendar-feed"


def issue_private_link(registration: Registration, origin: LinkOrigin = LinkOrigin.EMAIL) -> str:
    """Create a new management link (256 random bits) and return its token, which only its carrier holds."""
    if registration.id is None:  # a registration still to be written gets its id first
        db.session.flush()
    return issue_private_links([registration.id], origin)[0]


def issue_private_links(registration_ids: list[int], origin: LinkOrigin = LinkOrigin.EMAIL) -> list[str]:
    """A new management link for each of these registrations, in one INSERT; their tokens, in order. Then
    each registration's unused links beyond MAX_UNUSED_LINKS are retired, oldest first.

    A plain INSERT, not the unit of work: every email and printed agenda issues one, and nothing
    reads the new rows back in the same transaction.
    """
    tokens = [secrets.token_urlsafe(32) for _ in registration_ids]
    if tokens:
        now = utcnow()
        db.session.execute(sa.insert(cast(sa.Table, PrivateLink.__table__)), [
            {"registration_id": registration_id, "token_hash": token_digest(token), "created_at": now,
             "kind": LinkKind.MANAGE.value, "origin": origin.value}
            for registration_id, token in zip(registration_ids, tokens)])
        _retire_unused(sorted(set(registration_ids)), now)
    return tokens


def _retire_unused(registration_ids: list[int], now: datetime) -> None:
    """Revoke the unused emailed links of these registrations beyond the newest MAX_UNUSED_LINKS."""
    newest_first = sa.func.row_number().over(
        partition_by=PrivateLink.registration_id,
        order_by=(PrivateLink.created_at.desc(), PrivateLink.id.desc())).label("newest")
    ranked = (
        sa.select(PrivateLink.id, newest_first)
        .where(PrivateLink.registration_id.in_(registration_ids), PrivateLink.kind == LinkKind.MANAGE,
               PrivateLink.origin.in_(RETIRED_WHEN_UNUSED), PrivateLink.revoked_at.is_(None),
               PrivateLink.last_used_at.is_(None))
        .subquery())
    db.session.execute(
        sa.update(PrivateLink)
        .where(PrivateLink.id.in_(sa.select(ranked.c.id).where(ranked.c.newest > MAX_UNUSED_LINKS)))
        .values(revoked_at=now)
        .execution_options(synchronize_session=False))


def open_private_link(token: str, *, now: datetime | None = None) -> PrivateLink | None:
    """The live management link of this token, with its registration and event, or None (never issued,
    retired or revoked). Its use is noted on it, at most once an hour; the caller commits."""
    if not token or len(token) > 100:
        return None
    link = db.session.scalar(
        sa.select(PrivateLink)
        .where(PrivateLink.token_hash == token_digest(token), PrivateLink.kind == LinkKind.MANAGE,
               PrivateLink.revoked_at.is_(None))
        .options(joinedload(PrivateLink.registration).joinedload(Registration.event))
    )
    if link is None:
        return None
    now = now or utcnow()
    if link.last_used_at is None or now - link.last_used_at >= USE_RECORDED_EVERY:
        link.last_used_at = now  # left to the caller's flush or commit
    return link


def registration_for_token(token: str) -> Registration | None:
    """The registration a management link opens, unless the link was revoked, retired or never existed."""
    link = open_private_link(token)
    return link.registration if link else None


def live_links(registration: Registration) -> list[PrivateLink]:
    """The registration's management links that still work, the most recently used (or made) first."""
    links = db.session.scalars(
        sa.select(PrivateLink).where(PrivateLink.registration_id == registration.id,
                                     PrivateLink.kind == LinkKind.MANAGE, PrivateLink.revoked_at.is_(None))
    ).all()
    return sorted(links, key=lambda link: (link.last_used_at or link.created_at, link.id), reverse=True)


def _revoke(registration: Registration, kind: LinkKind, now: datetime | None, *also) -> int:
    """Revoke the registration's live links of one kind (and any further conditions); how many stopped."""
    result = db.session.execute(
        sa.update(PrivateLink)
        .where(PrivateLink.registration_id == registration.id, PrivateLink.kind == kind,
               PrivateLink.revoked_at.is_(None), *also)
        .values(revoked_at=now or utcnow())
        .execution_options(synchronize_session=False))
    return cast(CursorResult, result).rowcount


def revoke_other_links(registration: Registration, keep: PrivateLink, *, now: datetime | None = None) -> int:
    """"Sign out everywhere else": every management link but the one in use stops working; the feed stays
    (it opens nothing but the programme). Returns how many were revoked."""
    return _revoke(registration, LinkKind.MANAGE, now, PrivateLink.id != keep.id)


def revoke_private_links(registration: Registration, *, now: datetime | None = None) -> int:
    """Make every link to this registration stop working, its calendar feed too (a forwarded email, a lost
    phone). Returns how many management links were revoked."""
    now = now or utcnow()
    revoke_feed(registration, now=now)
    return _revoke(registration, LinkKind.MANAGE, now)


# --- calendar feeds -------------------------------------------------------------------------------------


def _feed_signer() -> URLSafeSerializer:
    """Signs feed rows' ids; the newest key signs, older ones (SECRET_KEY_FALLBACKS) still verify."""
    keys = [*(current_app.config.get("SECRET_KEY_FALLBACKS") or []), current_app.config["SECRET_KEY"]]
    return URLSafeSerializer(keys, salt=FEED_SALT)


def live_feed(registration: Registration) -> PrivateLink | None:
    """The registration's calendar feed that works now, if it has one."""
    return db.session.scalar(
        sa.select(PrivateLink).where(PrivateLink.registration_id == registration.id,
                                     PrivateLink.kind == LinkKind.FEED, PrivateLink.revoked_at.is_(None))
        .order_by(PrivateLink.id.desc()).limit(1))


def feed_token(registration: Registration) -> str:
    """The token of the registration's calendar feed, made the first time it is asked for."""
    feed = live_feed(registration)
    if feed is None:
        feed = PrivateLink(registration_id=registration.id, kind=LinkKind.FEED, origin=LinkOrigin.CALENDAR,
                           created_at=utcnow())
        db.session.add(feed)
        db.session.flush()
    return _feed_signer().dumps(feed.id)


def registration_for_feed_token(token: str) -> Registration | None:
    """The registration whose programme a feed token shows, unless the feed was revoked."""
    if not token or len(token) > 100:
        return None
    try:
        feed_id = _feed_signer().loads(token)
    except BadData:
        return None
    if not isinstance(feed_id, int) or isinstance(feed_id, bool):
        return None
    return db.session.scalar(
        sa.select(Registration).join(PrivateLink)
        .where(PrivateLink.id == feed_id, PrivateLink.kind == LinkKind.FEED, PrivateLink.revoked_at.is_(None))
        .options(joinedload(Registration.event)))


def revoke_feed(registration: Registration, *, now: datetime | None = None) -> int:
    """Stop the registration's calendar feed: its address answers 404 from now on. Returns how many stopped."""
    return _revoke(registration, LinkKind.FEED, now)
