"""Back-office accounts: creating them, inviting people, password links, and changes by an admin."""
import secrets
from functools import cache

import sqlalchemy as sa
from flask import current_app
from werkzeug.security import check_password_hash, generate_password_hash

from eventhub.accounts.links import INVITATION_DAYS, LinkKind, issue_link_token
from eventhub.accounts.sessions import end_sessions_of
from eventhub.audit import changes_since, record, snapshot
from eventhub.errors import DomainError
from eventhub.extensions import db
from eventhub.locking import writes_are_serialised
from eventhub.models import District, User, UserRole
from eventhub.network import current_network
from eventhub.notifications.kinds import EmailKind
from eventhub.outbox.services import queue_email
from eventhub.urls import external_url

MIN_PASSWORD_LENGTH = 12

# A stored hash that no password matches (werkzeug cannot even parse it): invited, not yet chosen.
UNUSABLE_PREFIX = "!"

ROLE_LABELS = {
    UserRole.ADMIN: "Admin",
    UserRole.ORGANIZER: "Organizer",
    UserRole.HOST_COORDINATOR: "Host coordinator",
}

# What an admin may change about an account, as the audit log compares it.
EDITABLE_FIELDS = ("name", "role", "district", "active")


class AccountError(DomainError):
    """The account could not be created or changed as asked; the message says why.

    `field` names the form field the message belongs to, when there is one.
    """

    def __init__(self, message: str, field: str | None = None):
        super().__init__(message)
        self.field = field


def create_user(*, email: str, role: UserRole, password: str | None, name: str = "",
                district: District | None = None) -> User:
    """Create an account; host coordinators must belong to a district.

    Without a password (an invitation), the account gets an unusable one until its owner chooses one.
    """
    email = email.strip().lower()
    if db.session.scalar(sa.select(User.id).where(User.email == email)):
        raise AccountError(f"An account for {email} already exists.", field="email")
    if password is not None and len(password) < MIN_PASSWORD_LENGTH:
        raise AccountError(f"Passwords need at least {MIN_PASSWORD_LENGTH} characters.")
    if role is UserRole.HOST_COORDINATOR and district is None:
        raise AccountError("A host coordinator needs --district: the district whose visits they manage.",
                           field="district")
    _refuse_archived(district)
    user = User(email=email, role=role, name=name, district=district)
    if password is None:
        _make_password_unusable(user)
    else:
        user.set_password(password)
    db.session.add(user)
    db.session.flush()
    return user


def _make_password_unusable(user: User) -> None:
    """A fresh random unusable password: earlier links to choose one stop working too."""
    user.password_hash = UNUSABLE_PREFIX + secrets.token_urlsafe(32)


def has_password(user: User) -> bool:
    """Whether the person has chosen a password (an invited person has not, yet)."""
    return not user.password_hash.startswith(UNUSABLE_PREFIX)


@cache
def _decoy_hash() -> str:
    """A hash of nothing anyone knows, made once: what a missing account's password is checked against."""
    return generate_password_hash(secrets.token_urlsafe(16))


def authenticate(email: str, password: str) -> User | None:
    """The active account with this email and password, or None. Exactly one password hash is checked
    whether or not the account exists, is active or has a password, so the answer takes the same time."""
    user = db.session.scalar(sa.select(User).where(User.email == email))
    usable = user is not None and user.is_active and has_password(user)
    matches = check_password_hash(user.password_hash if usable and user else _decoy_hash(), password)
    return user if usable and matches else None


def _refuse_archived(district: District | None) -> None:
    """A new account joins a district in use (an account already in an archived one stays there)."""
    if district is not None and district.archived_at is not None:
        raise AccountError(f"{district.label} is archived: restore it in the directory first, or choose another.",
                           field="district")


def invite_user(*, email: str, role: UserRole, name: str, district: District | None, invited_by: User) -> User:
    """Create an account without a password and email its owner a link to choose one."""
    user = create_user(email=email, role=role, password=None, name=name, district=district)
    record("invite", "user", user.id, user.email,
           changes={field: ["", value] for field, value in snapshot(user, EDITABLE_FIELDS).items()})
    send_invitation(user, invited_by)
    return user


def resend_invitation(user: User, sent_by: User) -> None:
    """Send the invitation again with a new link; the earlier link stops working."""
    if has_password(user):
        raise AccountError(f"{user.email} has already chosen a password. If they have forgotten it, they can "
                           "use “Forgot your password?” on the sign-in page.")
    if not user.active:
        raise AccountError(f"{user.email} is deactivated; reactivate the account first.")
    _make_password_unusable(user)
    record("resend_invitation", "user", user.id, user.email)
    send_invitation(user, sent_by)


def send_invitation(user: User, invited_by: User) -> None:
    """Queue the invitation email with its link (valid INVITATION_DAYS days)."""
    network = current_network().name
    queue_email(
        kind=EmailKind.ACCOUNT_INVITATION, to_address=user.email, to_name=user.name,
        subject=f"You're invited to the {network} back office",
        template="accounts/invitation",
        context={"user": user, "invited_by": invited_by, "role_label": ROLE_LABELS[user.role],
                 "url": external_url("accounts.accept_invitation",
                                     token=issue_link_token(user, LinkKind.INVITATION)),
                 "login_url": external_url("accounts.login"), "days": INVITATION_DAYS},
    )


def send_password_reset(user: User) -> None:
    """Queue the email with a link to choose a new password (valid PASSWORD_RESET_HOURS hours, once)."""
    network = current_network().name
    queue_email(
        kind=EmailKind.PASSWORD_RESET, to_address=user.email, to_name=user.name,
        subject=f"Choose a new password for the {network} back office",
        template="accounts/password_reset",
        context={"user": user, "url": external_url("accounts.reset_password",
                                                   token=issue_link_token(user, LinkKind.RESET)),
                 "hours": current_app.config["PASSWORD_RESET_HOURS"]},
    )


def choose_password(user: User, password: str, kind: LinkKind) -> None:
    """Store the password chosen through a link (which stops that link working) and log it."""
    if len(password) < MIN_PASSWORD_LENGTH:
        raise AccountError(f"Passwords need at least {MIN_PASSWORD_LENGTH} characters.", field="password")
    user.set_password(password)
    end_sessions_of(user)  # whoever knew the old password is signed out everywhere
    action = "accept_invitation" if kind is LinkKind.INVITATION else "reset_password"
    record(action, "user", user.id, user.email, user=user)


def update_user(user: User, *, name: str, role: UserRole, district: District | None, active: bool,
                acting: User) -> dict:
    """An admin's changes to an account, logged; returns {field: [before, after]}.

    Nobody may deactivate or demote themselves, and no change may leave the back office without an active
    admin: two admins demoting each other at the same moment are decided one after the other, and the second
    is refused. A deactivated account is signed out everywhere.
    """
    if user.id == acting.id and not active:
        raise AccountError("You cannot deactivate your own account.", field="active")
    if user.id == acting.id and role is not UserRole.ADMIN:
        raise AccountError("You cannot take away your own admin role.", field="role")
    if role is UserRole.HOST_COORDINATOR and district is None:
        raise AccountError("A host coordinator needs a district: the district whose visits they manage.",
                           field="district")
    if district is not None and district.id != user.district_id:
        _refuse_archived(district)
    admins = _lock_admins()
    db.session.refresh(user)  # as the lock left it: the log compares with what is saved now
    if acting.id not in admins:
        raise AccountError("Your account is no longer an active admin's, so it cannot change accounts.",
                           field="role")
    if user.id in admins and (role is not UserRole.ADMIN or not active) and len(admins) <= 1:
        raise AccountError("This is the last active admin: make someone else an admin first.", field="role")
    before = snapshot(user, EDITABLE_FIELDS)
    user.name, user.role, user.district, user.active = name, role, district, active
    db.session.flush()
    if not active:
        end_sessions_of(user)
    changes = changes_since(before, user)
    if changes:
        record("update", "user", user.id, user.email, changes=changes)
    return changes


def _lock_admins() -> set[int]:
    """The ids of the active admins, read under a lock that a concurrent change of admins waits for, so the
    count cannot change between reading it and saving. PostgreSQL: row locks on those admins (a waiting
    transaction reads them again once the first commits). SQLite: its database write lock, taken now."""
    query = sa.select(User.id).where(User.role == UserRole.ADMIN, User.active.is_(True)).order_by(User.id)
    if writes_are_serialised():
        db.session.execute(sa.update(User).where(User.role == UserRole.ADMIN).values(role=User.role),
                           execution_options={"synchronize_session": False})
    else:
        query = query.with_for_update()
    return set(db.session.scalars(query))
