"""The organizers' back office, where it cuts across features: the dashboard and summaries, messages to
registrants, the audit log page and the navigation. Each feature keeps its own management pages
(events/admin.py, visits/admin.py, registration/admin.py and checkin.py, followup/admin.py)."""
from flask import Blueprint

bp = Blueprint("backoffice", __name__, url_prefix="/admin")
