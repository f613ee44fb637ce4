"""Back-office accounts: sign-in and sign-out, password links, roles, admins managing users, `flask users`."""
from flask import Blueprint

bp = Blueprint("accounts", __name__, url_prefix="/admin")
