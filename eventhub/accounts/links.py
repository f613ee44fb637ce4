"""Emailed links to choose a password: a reset asked for on the sign-in page, or an invitation.

A link is signed with the app's SECRET_KEY (one salt per kind) and carries the account's id and a
fingerprint of its password hash, email and active flag: once the password changes (the link was
used, or another link was) or the account is deactivated, the link stops working. It also expires:
PASSWORD_RESET_HOURS for a reset, INVITATION_DAYS for an invitation.
"""
import hashlib
import hmac
from datetime import timedelta
from enum import Enum

from flask import current_app
from itsdangerous import BadData, SignatureExpired, URLSafeTimedSerializer

from eventhub.errors import DomainError
from eventhub.extensions import db
from eventhub.models import User

# An invitation waits longer than a reset: the person may be away when it arrives.
INVITATION_DAYS = 7


class LinkKind(Enum):
    """What a password link is for; each kind has its own salt, so one cannot stand in for the other."""

    RESET = "eventhub.password-reset"
    INVITATION = "eventhub.invitation"

    def lifetime(self) -> timedelta:
        """How long a link of this kind works."""
        if self is LinkKind.INVITATION:
            return timedelta(days=INVITATION_DAYS)
        return timedelta(hours=current_app.config["PASSWORD_RESET_HOURS"])


class LinkError(DomainError):
    """The link cannot be used; `message` says why and what to do, `status` is the HTTP answer."""

    def __init__(self, message: str, status: int):
        super().__init__(message, status=status)


def _serializer(kind: LinkKind) -> URLSafeTimedSerializer:
    return URLSafeTimedSerializer(current_app.config["SECRET_KEY"], salt=kind.value)


def fingerprint(user: User) -> str:
    """A keyed digest of what must not change while a link is out (never the hash itself)."""
    material = f"{user.id}\x00{user.email}\x00{user.password_hash}\x00{int(user.active)}".encode()
    key = current_app.config["SECRET_KEY"].encode()
    return hmac.new(key, material, hashlib.sha256).hexdigest()[:32]


def issue_link_token(user: User, kind: LinkKind) -> str:
    """The token to put in the link's URL."""
    return _serializer(kind).dumps({"u": user.id, "f": fingerprint(user)})


def _messages(kind: LinkKind) -> dict[str, str]:
    """Why a link does not work, and what to do instead, in the words of its kind."""
    if kind is LinkKind.INVITATION:
        again = "Ask the network's back-office admin to send it again."
        return {
            "expired": f"This invitation has expired: invitations work for {INVITATION_DAYS} days. {again}",
            "invalid": f"This invitation link is not valid: it may have been cut short when it was copied "
                       f"from the email. {again}",
            "used": "This invitation has already been used, or a newer one was sent. If you have chosen your "
                    "password, sign in with it; otherwise use the link in the newest invitation email.",
            "inactive": "This invitation no longer works: the account is deactivated.",
        }
    hours = current_app.config["PASSWORD_RESET_HOURS"]
    again = "You can ask for a new one below."
    return {
        "expired": f"This link has expired: links to choose a new password work for {hours} hour"
                   f"{'s' if hours != 1 else ''}. {again}",
        "invalid": f"This link is not valid: it may have been cut short when it was copied from the email. {again}",
        "used": f"This link has already been used, or the password was changed since it was sent. {again}",
        "inactive": "This link no longer works: the account is deactivated.",
    }


def user_for_token(token: str, kind: LinkKind) -> User:
    """The account a link was made for, or LinkError saying why it no longer works."""
    messages = _messages(kind)
    try:
        data = _serializer(kind).loads(token, max_age=int(kind.lifetime().total_seconds()))
    except SignatureExpired:
        raise LinkError(messages["expired"], 410) from None
    except BadData:
        raise LinkError(messages["invalid"], 400) from None
    user_id, mark = (data.get("u"), data.get("f")) if isinstance(data, dict) else (None, None)
    user = db.session.get(User, user_id) if isinstance(user_id, int) else None
    if user is None or not isinstance(mark, str):
        raise LinkError(messages["invalid"], 400)
    if not user.active:
        raise LinkError(messages["inactive"], 410)
    if not hmac.compare_digest(mark, fingerprint(user)):
        raise LinkError(messages["used"], 410)
    return user
