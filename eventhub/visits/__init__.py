"""Site visits: host schools' rules, ranked choices, seats and waiting lists, peer matching, and the
management pages of visits and their allocation."""
from flask import Blueprint

bp = Blueprint("visits", __name__)
