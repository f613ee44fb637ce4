"""Follow-up commitments: what participants will try after a visit or a convening, their check-ins,
the reminders that ask for them, and the reports that show what spread."""
from flask import Blueprint

bp = Blueprint("followup", __name__)
from eventhub.followup import reporting  # noqa: E402,F401
from eventhub.followup import views  # noqa: E402,F401
from eventhub.followup import admin  # noqa: E402,F401
