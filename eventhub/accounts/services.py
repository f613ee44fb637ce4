"""Creating back-office accounts."""
import sqlalchemy as sa

from eventhub.extensions import db
from eventhub.models import District, User, UserRole

MIN_PASSWORD_LENGTH = 12


class AccountError(Exception):
    """The account could not be created as asked; the message says why."""


def create_user(*, email: str, role: UserRole, password: str, name: str = "",
                district: District | None = None) -> User:
    """Create an account; host coordinators must belong to a district."""
    email = email.strip().lower()
    if db.session.scalar(sa.select(User.id).where(User.email == email)):
        raise AccountError(f"An account for {email} already exists.")
    if len(password) < MIN_PASSWORD_LENGTH:
        raise AccountError(f"Passwords need at least {MIN_PASSWORD_LENGTH} characters.")
    if role is UserRole.HOST_COORDINATOR and district is None:
        raise AccountError("A host coordinator needs --district: the district whose visits they manage.")
    user = User(email=email, role=role, name=name, district=district)
    user.set_password(password)
    db.session.add(user)
    db.session.flush()
    return user
