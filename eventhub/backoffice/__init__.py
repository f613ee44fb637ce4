"""The organizers' back office: events and their agenda and visits, registrants, check-in, messages,
the dashboard and the audit log."""
from flask import Blueprint

bp = Blueprint("backoffice", __name__, url_prefix="/admin")

from eventhub.backoffice import views  # noqa: E402,F401
from eventhub.backoffice import checkin  # noqa: E402,F401
from eventhub.backoffice import dashboard  # noqa: E402,F401
from eventhub.backoffice import editing  # noqa: E402,F401
from eventhub.backoffice import people  # noqa: E402,F401
from eventhub.backoffice import messages  # noqa: E402,F401
from eventhub.backoffice import log  # noqa: E402,F401
from eventhub.backoffice import allocation  # noqa: E402,F401
