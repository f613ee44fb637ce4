"""Subscription feeds: the public agenda of an event and an attendee's own programme."""
import hashlib
from urllib.parse import quote

from flask import Response, abort, request

from eventhub.events.services import agenda_by_day, public_event
from eventhub.invites import bp
from eventhub.invites.calendar import (
    agenda_event,
    convening_event,
    feed,
    last_sent_sequence,
    public_visit_event,
    visit_event,
)
from eventhub.models import RegistrationStatus, SeatStatus
from eventhub.registration.links import registration_for_token
from eventhub.urls import external_url
from eventhub.visits.queries import places_for, visits_by_block


@bp.get("/events/<slug:slug>/calendar.ics")
def event_feed(slug: str):
    """The event's public agenda and visits; no attendees."""
    event = public_event(slug) or abort(404, "There is no event at this address.")
    stamp = event.updated_at
    items = [item for _, day in agenda_by_day(event) for item in day]
    visits = [visit for _, block in visits_by_block(event) for visit in block]
    stamp = max([stamp, *(v.updated_at for v in visits)])
    components = [agenda_event(item, stamp) for item in items] + [public_visit_event(v, stamp) for v in visits]
    return _calendar_response(feed(event.title, components), stamp, private=False)


@bp.get("/r/<token>/calendar.ics")
def personal_feed(token: str):
    """An attendee's convening, the agenda, and their visit seats, with the same UIDs as their invitations."""
    registration = registration_for_token(token)
    if registration is None:
        abort(404, "This private link is not valid.")
    event = registration.event
    components, stamps = [], [registration.updated_at, event.updated_at]
    if registration.status is RegistrationStatus.CONFIRMED:
        stamp = max(stamps)
        components.append(convening_event(registration, last_sent_sequence(registration.invite_sequence),
                                          stamp=stamp))
        components += [agenda_event(item, stamp) for _, day in agenda_by_day(event) for item in day]
        for place in places_for(registration):
            if place.status is SeatStatus.CONFIRMED:
                stamps += [place.confirmed_at, place.visit.updated_at]
                components.append(visit_event(place, last_sent_sequence(place.invite_sequence),
                                              stamp=max(s for s in stamps if s)))
    name = f"{event.title}: {registration.display_name}"
    return _calendar_response(feed(name, components), max(s for s in stamps if s), private=True)


def _calendar_response(body: bytes, last_modified, private: bool) -> Response:
    """text/calendar with an ETag of its content and Last-Modified, answering 304 when unchanged."""
    response = Response(body, mimetype="text/calendar")
    response.charset = "utf-8"
    response.set_etag(hashlib.sha256(body).hexdigest()[:32])
    response.last_modified = last_modified
    response.cache_control.private = private
    response.cache_control.public = not private
    response.cache_control.max_age = 300
    response.headers["Content-Disposition"] = 'inline; filename="calendar.ics"'
    return response.make_conditional(request)


def subscription_links(endpoint: str, **values) -> dict:
    """webcal:// and "Add to Google Calendar" links for a feed."""
    url = external_url(endpoint, **values)
    webcal = "webcal://" + url.split("://", 1)[1]
    return {"webcal": webcal, "google": "https://calendar.google.com/calendar/r?cid=" + quote(webcal, safe="")}
