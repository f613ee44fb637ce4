"""Follow-up commitments: what participants will try after a visit or a convening, their check-ins,
the reminders that ask for them, and the reports that show what spread."""
from flask import Blueprint

bp = Blueprint("followup", __name__)
