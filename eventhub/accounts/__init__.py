"""Back-office accounts: sign-in and sign-out, roles, and the `users` commands."""
from flask import Blueprint

bp = Blueprint("accounts", __name__, url_prefix="/admin")

from eventhub.accounts import views  # noqa: E402,F401
