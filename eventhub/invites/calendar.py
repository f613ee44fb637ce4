"""Build iCalendar objects: invitations that calendar clients honour, and subscription feeds.

Times of visits and sessions are written in UTC, which every client converts to the reader's
zone correctly and which needs no VTIMEZONE; the convening itself is an all-day event over its
dates in the host's calendar (VALUE=DATE, exclusive end), so it does not block whole days.
"""
from datetime import datetime, timedelta
from urllib.parse import quote

from flask import current_app
from icalendar import Calendar, Event, vCalAddress, vText

from eventhub.models import AgendaItem, Registration, Visit, VisitSeat, utcnow
from eventhub.templating import clock, date_range, long_date, zone_label
from eventhub.urls import external_url

PRODID = "-//eventhub//Convenings and site visits//EN"


def _calendar(**properties) -> Calendar:
    """An empty VCALENDAR with the properties every object carries."""
    calendar = Calendar()
    calendar.add("prodid", PRODID)
    calendar.add("version", "2.0")
    calendar.add("calscale", "GREGORIAN")
    for name, value in properties.items():
        calendar.add(name.replace("_", "-"), value)
    return calendar


def convening_event(registration: Registration, sequence: int, private_url: str | None = None,
                    stamp: datetime | None = None) -> Event:
    """The attendee's convening: all day over its dates, with the agenda link, venue and zone."""
    event = registration.event
    component = Event()
    component.add("uid", registration.invite_uid)
    component.add("sequence", sequence)
    component.add("dtstamp", stamp or utcnow())
    component.add("summary", event.title)
    component.add("dtstart", event.starts_on)
    component.add("dtend", event.ends_on + timedelta(days=1))
    component.add("transp", "TRANSPARENT")  # an all-day marker, not three days of "busy"
    component.add("location", ", ".join(p for p in (event.venue_name, event.venue_address) if p))
    url = external_url("events.detail", slug=event.slug)
    component.add("url", url)
    lines = [
        f"{event.title}, {date_range(event.starts_on, event.ends_on)}.",
        f"Hosted by {event.host_names}." if event.host_names else "",
        f"Venue: {event.venue_name}, {event.venue_address}." if event.venue_name else "",
        f"All times are {zone_label(event.timezone)}.",
        f"Agenda: {url}",
        f"Your registration: {private_url}" if private_url else "",
    ]
    component.add("description", "\n".join(line for line in lines if line))
    return component


def visit_event(place: VisitSeat, sequence: int, private_url: str | None = None,
                stamp: datetime | None = None) -> Event:
    """One school visit: timed (UTC), at the school, with the meeting point and the host's rules."""
    visit = place.visit
    school = visit.school
    tz = visit.timezone
    component = Event()
    component.add("uid", place.invite_uid)
    component.add("sequence", sequence)
    component.add("dtstamp", stamp or utcnow())
    component.add("summary", f"School visit: {visit.title}")
    component.add("dtstart", visit.starts_at)
    component.add("dtend", visit.ends_at)
    component.add("location", f"{school.name}, {school.address}")
    url = external_url("events.detail", slug=visit.event.slug)
    component.add("url", url)
    lines = [
        f"{visit.title} at {school.name}, {long_date(visit.starts_at, tz)}, "
        f"{clock(visit.starts_at, tz)} to {clock(visit.ends_at, tz)} {zone_label(tz)}.",
        f"Focus: {visit.focus}" if visit.focus else "",
        f"Meet at: {visit.meeting_point}" if visit.meeting_point else "",
        f"Bus leaves at {clock(visit.bus_departs_at, tz)}." if visit.bus_departs_at else "",
        "Bring government photo ID" + (f" ({school.accepted_ids})." if school.accepted_ids else ".")
        if school.photo_id_required else "",
        school.photo_policy,
        "Norms: observation is non-evaluative and confidential; notes name no teacher or student; no recordings.",
        f"Your registration: {private_url}" if private_url else "",
    ]
    component.add("description", "\n".join(line for line in lines if line))
    return component


def public_visit_event(visit: Visit, stamp: datetime) -> Event:
    """A visit in the public feed: what and where, no attendees."""
    school = visit.school
    component = Event()
    component.add("uid", f"visit-{visit.id}@eventhub")
    component.add("dtstamp", stamp)
    component.add("summary", f"School visit: {visit.title}")
    component.add("dtstart", visit.starts_at)
    component.add("dtend", visit.ends_at)
    component.add("location", f"{school.name}, {school.address}")
    if visit.focus:
        component.add("description", visit.focus)
    return component


def agenda_event(item: AgendaItem, stamp: datetime) -> Event:
    """One agenda session for the feeds (stable UID from its id)."""
    component = Event()
    component.add("uid", f"agenda-{item.id}@eventhub")
    component.add("dtstamp", stamp)
    component.add("summary", item.title)
    component.add("dtstart", item.starts_at)
    component.add("dtend", item.ends_at)
    if item.room:
        component.add("location", item.room)
    if item.description:
        component.add("description", item.description)
    component.add("categories", [item.kind.label])
    return component


def invitation(component: Event, *, method: str, attendee_email: str, attendee_name: str) -> bytes:
    """An iTIP REQUEST or CANCEL for one attendee, addressed from the network's mailbox."""
    if method not in ("REQUEST", "CANCEL"):
        raise ValueError(f"unsupported iTIP method {method!r}")
    organizer = vCalAddress(f"mailto:{current_app.config['MAIL_ORGANIZER']}")
    organizer.params["CN"] = vText(_param_text(current_app.config["NETWORK_NAME"]))
    component.add("organizer", organizer, encode=False)
    attendee = vCalAddress(f"mailto:{attendee_email}")
    attendee.params["CN"] = vText(_param_text(attendee_name))
    attendee.params["ROLE"] = "REQ-PARTICIPANT"
    attendee.params["PARTSTAT"] = "NEEDS-ACTION"
    attendee.params["RSVP"] = "TRUE"
    component.add("attendee", attendee, encode=False)
    component.add("status", "CANCELLED" if method == "CANCEL" else "CONFIRMED")
    calendar = _calendar(method=method)
    calendar.add_component(component)
    return calendar.to_ical()


def feed(name: str, components: list[Event], refresh: timedelta = timedelta(hours=1)) -> bytes:
    """A subscription feed: no METHOD, ORGANIZER or ATTENDEE; a name and a refresh interval."""
    calendar = _calendar()
    calendar.add("name", name)
    calendar.add("x-wr-calname", name)
    calendar.add("refresh-interval", refresh, parameters={"VALUE": "DURATION"})
    calendar.add("x-published-ttl", refresh)
    for component in components:
        calendar.add_component(component)
    return calendar.to_ical()


def last_sent_sequence(stored: int) -> int:
    """The SEQUENCE of the latest invitation sent (the stored value is the next one to use)."""
    return max(stored - 1, 0)


def _param_text(text: str) -> str:
    """A parameter value (CN) cannot hold a double quote or a line break; keep the rest as typed."""
    return " ".join(text.replace('"', "'").split())


def subscription_links(endpoint: str, **values) -> dict:
    """webcal:// and "Add to Google Calendar" links for a feed."""
    url = external_url(endpoint, **values)
    webcal = "webcal://" + url.split("://", 1)[1]
    return {"webcal": webcal, "google": "https://calendar.google.com/calendar/r?cid=" + quote(webcal, safe="")}
