"""Public pages: `/` and `/events/<slug:slug>`."""
from flask import render_template

from eventhub.events import bp
from eventhub.events.services import agenda_by_day, listed_events
from eventhub.models import utcnow
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
