"""Printed PDFs: agendas, personal agendas, rosters, badges, commitment sheets; the only feature that
touches WeasyPrint."""
from flask import Blueprint

bp = Blueprint("printing", __name__)

# The one address printouts name the network's logo by: the renderer answers it from the PNG it is handed
# (printing/render.py), so a print worker needs no web server and no other URL is ever fetched.
PRINT_LOGO_URL = "https://logo.eventhub.invalid/network-logo.png"
