"""The first run: while no account exists, the first admin creates theirs with a one-time setup code that
the server prints to its log. The code is 104 random bits, kept only as a hash, valid for an hour, compared in
constant time; of two people using it at once, exactly one becomes the admin."""
import base64
import hmac
import secrets
from datetime import datetime, timedelta
from typing import cast

import sqlalchemy as sa
from sqlalchemy.engine import CursorResult

from eventhub.accounts.services import create_user
from eventhub.audit import record
from eventhub.errors import DomainError
from eventhub.extensions import db
from eventhub.models import SetupCode, User, UserRole, utcnow
from eventhub.tokens import token_digest

CODE_BYTES = 13  # 104 bits, written as 21 letters and digits in groups of four (base32)
VALID_FOR = timedelta(hours=1)
ROW_ID = 1


class SetupError(DomainError):
    """The setup code was not accepted (wrong, expired or used), or setup is over."""

    status = 403
    title = "The account could not be created"


def _normalised(code: str) -> str:
    """The code as typed, without the dashes, spaces and case a person may add or lose."""
    return "".join(ch for ch in code.upper() if ch.isalnum())


def _digest(code: str) -> str:
    return token_digest(_normalised(code))


def needs_setup() -> bool:
    """Whether no account exists yet (an empty database, or the demo, which has none)."""
    return db.session.scalar(sa.select(sa.exists().where(User.id.is_not(None)))) is False


def issue_setup_code(now: datetime | None = None) -> str | None:
    """Make a new code, if setup is still needed and no live code exists; returns it for the log (the
    database keeps only its hash), or None. The caller commits; of two processes making one at once, the
    commit of one fails on the fixed id, and it prints nothing."""
    now = now or utcnow()
    if not needs_setup():
        return None
    current = db.session.get(SetupCode, ROW_ID)
    if current is not None and current.expires_at > now:
        return None
    if current is not None:
        db.session.delete(current)
        db.session.flush()
    raw = base64.b32encode(secrets.token_bytes(CODE_BYTES)).decode().rstrip("=")
    code = "-".join(raw[i:i + 4] for i in range(0, len(raw), 4))
    db.session.add(SetupCode(id=ROW_ID, code_hash=_digest(code), created_at=now, expires_at=now + VALID_FOR))
    db.session.flush()
    return code


def create_first_admin(*, code: str, email: str, password: str, name: str,
                       now: datetime | None = None) -> User:
    """Create the first admin's account if the code is the live one; the code is used up in the same
    statement that checks it, so of two people at once exactly one gets the account."""
    now = now or utcnow()
    stored = db.session.scalar(sa.select(SetupCode.code_hash).where(SetupCode.id == ROW_ID)) or ""
    matches = hmac.compare_digest(stored.encode(), _digest(code).encode()) and bool(stored)
    if not matches:
        raise SetupError("That setup code is not the one in the server's log, or it has expired. Check the "
                         "log for the newest code; a new one is printed when this page is opened after the "
                         "last one expired.")
    used = db.session.execute(sa.delete(SetupCode).where(
        SetupCode.id == ROW_ID, SetupCode.code_hash == stored, SetupCode.expires_at > now))
    if cast(CursorResult, used).rowcount != 1 or not needs_setup():
        raise SetupError("That setup code has expired or was just used: someone has created the first "
                         "account. Sign in, or ask them for an invitation.", status=409)
    user = create_user(email=email, role=UserRole.ADMIN, password=password, name=name)
    record("create_first_admin", "user", user.id, user.email, user=user, note="with the setup code")
    return user
