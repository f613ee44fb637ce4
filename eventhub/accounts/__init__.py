"""Back-office accounts: sign-in and sign-out, password links, roles, admins managing users, `flask users`."""
from flask import Blueprint

bp = Blueprint("accounts", __name__, url_prefix="/admin")

from eventhub.accounts import views  # noqa: E402,F401
from eventhub.accounts import users  # noqa: E402,F401
