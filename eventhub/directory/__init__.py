"""The network's directory: its districts and their schools, kept by the organizers in the back office."""
from flask import Blueprint

bp = Blueprint("directory", __name__)
