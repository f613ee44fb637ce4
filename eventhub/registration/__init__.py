"""Registration: the form, the confirmation, and the attendee's private page."""
from flask import Blueprint

bp = Blueprint("registration", __name__)

from eventhub.registration import views  # noqa: E402,F401
