"""Subscription feeds: the public agenda of an event and an attendee's own programme."""
import hashlib
from datetime import datetime

from flask import Response, abort, request

from eventhub.caching import NewestVersionCache
from eventhub.events.services import agenda_by_day, agenda_version
from eventhub.invites import bp
from eventhub.invites.calendar import (
    add_to_calendar_links,
    agenda_event,
    convening_event,
    feed,
    last_sent_sequence,
    public_convening_event,
    public_visit_event,
    published,
    subscription_links,
    visit_event,
)
from eventhub.models import EventStatus, RegistrationStatus, SeatStatus, utcnow
from eventhub.registration.links import registration_for_feed_token
from eventhub.timezones import as_utc
from eventhub.visits.queries import places_for, visits_by_block
from eventhub.web import (
    REVALIDATED,
    public_event_or_404,
    registration_from_token_or_404,
)

# {{ calendar_links("invites.event_feed", slug=...) }}: the webcal:// and Google Calendar links to a feed.
bp.add_app_template_global(subscription_links, "calendar_links")
# {{ event_calendar_links(event) }}: the convening as one entry (.ics, Google Calendar).
bp.add_app_template_global(add_to_calendar_links, "event_calendar_links")


@bp.get("/events/<slug:slug>/event.ics")
def event_entry(slug: str):
    """The convening as one all-day calendar entry, for anyone to add (the page after registering offers it)."""
    event = public_event_or_404(slug)
    body = published(public_convening_event(event, event.updated_at))
    return _calendar_response(body, event.updated_at, private=False)


@bp.get("/events/<slug:slug>/calendar.ics")
def event_feed(slug: str):
    """The event's public agenda and visits; no attendees. Built once per change, then served from memory."""
    event = public_event_or_404(slug)
    version = agenda_version(event)

    def build() -> tuple[bytes, datetime]:
        stamp = version[0]
        components = []
        if event.status is not EventStatus.CANCELLED:  # a cancelled event leaves subscribers' calendars
            items = [item for _, day in agenda_by_day(event) for item in day]
            visits = [visit for _, block in visits_by_block(event) for visit in block]
            components = ([agenda_event(item, stamp) for item in items]
                          + [public_visit_event(v, stamp) for v in visits])
        # Built now: Last-Modified moves forward with every new version, removals included.
        return feed(event.title, components), utcnow()

    body, built_at = _public_feeds.get(event.id, version, build)
    return _calendar_response(body, built_at, private=False)


# Built public feeds; clients poll them far more often than they change.
_public_feeds = NewestVersionCache()


@bp.get("/feed/<token>/calendar.ics")
def personal_feed(token: str):
    """An attendee's programme: their convening and visit seats, with the same UIDs as their invitations.
    Its token is read-only, and the feed shows nothing but the programme (no name, no private link)."""
    registration = registration_for_feed_token(token)
    if registration is None:
        abort(404, "This calendar feed has been stopped. Subscribe again from your registration's page.")
    return _programme(registration)


@bp.get("/r/<token>/calendar.ics")
def personal_feed_by_private_link(token: str):
    """The feed at the address an earlier version offered, under the management link: it keeps working until
    the attendee revokes that link (or signs out everywhere else), then answers 404."""
    return _programme(registration_from_token_or_404(token))


def _programme(registration) -> Response:
    """The personal feed's body and headers.

    The agenda itself is the public feed's; sessions join this one once attendees can choose them.
    """
    event = registration.event
    places = places_for(registration, with_cancelled=True)
    # Last-Modified is the latest change to anything the feed shows: the registration, the event, every
    # place (one given up too, so a removal moves it forward; taking an invitation's next SEQUENCE too),
    # each visit and its school's rules.
    stamp = max(as_utc(changed) for changed in (
        registration.updated_at, event.updated_at,
        *(moment for p in places for moment in (p.updated_at, p.visit.updated_at, p.visit.school.updated_at))))
    components = []
    if registration.status is RegistrationStatus.CONFIRMED and event.status is not EventStatus.CANCELLED:
        components.append(convening_event(registration, last_sent_sequence(registration.invite_sequence),
                                          stamp=stamp))
        components += [visit_event(place, last_sent_sequence(place.invite_sequence), stamp=stamp)
                       for place in places if place.status is SeatStatus.CONFIRMED]
    return _calendar_response(feed(f"{event.title}: my programme", components), stamp, private=True)


def _calendar_response(body: bytes, last_modified, private: bool) -> Response:
    """text/calendar with an ETag of its content and Last-Modified, answering 304 when unchanged."""
    response = Response(body, mimetype="text/calendar")  # text/*: Werkzeug adds "; charset=utf-8"
    response.set_etag(hashlib.sha256(body).hexdigest()[:32])
    response.last_modified = last_modified
    if private:
        response.headers["Cache-Control"] = REVALIDATED  # eventhub.web adds the rest of the private headers
    else:
        response.cache_control.public = True
        response.cache_control.max_age = 300
    response.headers["Content-Disposition"] = 'inline; filename="calendar.ics"'
    response.make_conditional(request)  # in place: a 304 when the client already has this version
    return response
