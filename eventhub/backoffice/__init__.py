"""The organizers' back office for an event's registrants: the table, its filters and its exports."""
from flask import Blueprint

bp = Blueprint("backoffice", __name__, url_prefix="/admin")

from eventhub.backoffice import views  # noqa: E402,F401
