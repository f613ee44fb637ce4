"""Events: the public pages (upcoming events, each event with its agenda) and their management pages."""
from flask import Blueprint

bp = Blueprint("events", __name__)
