"""Registration: the form, the confirmation, the attendee's private page, and the management pages of
registrants and check-in."""
from flask import Blueprint

bp = Blueprint("registration", __name__)
