"""Calendar invitations (iTIP over email) and subscription feeds; the only feature that touches icalendar."""
from flask import Blueprint

bp = Blueprint("invites", __name__)
