"""Public event pages: the list of upcoming events and each event with its agenda."""
from flask import Blueprint

bp = Blueprint("events", __name__)

from eventhub.events import views  # noqa: E402,F401
