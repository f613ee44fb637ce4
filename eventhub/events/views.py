"""Public pages: `/` and `/events/<slug:slug>`, and the network's colours for every page."""
from flask import abort, make_response, render_template, request

from eventhub.events import bp
from eventhub.events.services import agenda_by_day, listed_events
from eventhub.models import utcnow
from eventhub.network import HEX_COLOUR, current_network, logo_png
from eventhub.registration.services import seat_summary
from eventhub.registration.window import registration_window
from eventhub.visits.queries import seat_counts, visits_by_block
from eventhub.visits.services import choices_state
from eventhub.web import public_event_or_404


@bp.get("/")
def index():
    """Upcoming events first, then past ones."""
    upcoming, past = listed_events(utcnow())
    return render_template("events/index.html", upcoming=upcoming, past=past)


@bp.get("/events/<slug:slug>")
def detail(slug: str):
    """The event: hosts, venue, dates, registration state and the agenda by day."""
    event = public_event_or_404(slug)
    blocks = visits_by_block(event)
    return render_template(
        "events/detail.html",
        event=event,
        agenda=agenda_by_day(event),
        window=registration_window(event, utcnow()),
        seats=seat_summary(event),
        visit_blocks=blocks,
        visit_counts=seat_counts([v.id for _, visits in blocks for v in visits]),
        choices=choices_state(event, utcnow()),
    )


@bp.get("/network.css")
def network_css():
    """The network's accent colour as the site stylesheet's brand colours; every page links it (with the
    colour in its address, so a browser may keep it for good) while an accent is set."""
    network = current_network()
    css = ""
    if HEX_COLOUR.fullmatch(network.accent):
        css = f":root {{ --brand: {network.accent}; --brand-dark: {network.accent_dark}; }}\n"
    response = make_response(css)
    response.mimetype = "text/css"
    current = bool(css) and request.args.get("v") == network.accent.lstrip("#")
    response.headers["Cache-Control"] = "public, max-age=31536000, immutable" if current else "no-cache"
    return response


@bp.get("/network-logo.png")
def network_logo():
    """The network's logo: always the PNG eventhub drew itself (eventhub.logo), always as image/png (with
    nosniff, as every response). Kept for good by browsers when `v` is the current logo's digest, as every
    page links it; an older address (an email sent before a new logo) gets the current one, rechecked."""
    network = current_network()
    png = logo_png() if network.logo_digest else None
    if png is None:
        abort(404)
    response = make_response(png)
    response.mimetype = "image/png"
    response.headers["Content-Disposition"] = "inline; filename=logo.png"
    current = request.args.get("v") == network.logo_digest
    response.headers["Cache-Control"] = "public, max-age=31536000, immutable" if current else "public, no-cache"
    return response
