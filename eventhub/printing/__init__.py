"""Printed PDFs: agendas, personal agendas, rosters, badges, commitment sheets; the only feature that
touches WeasyPrint."""
from flask import Blueprint

bp = Blueprint("printing", __name__)
