"""Site visits: host schools' rules, ranked choices, seats and waiting lists, peer matching."""
from flask import Blueprint

bp = Blueprint("visits", __name__)

from eventhub.visits import views  # noqa: E402,F401
