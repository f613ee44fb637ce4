"""Build iCalendar objects: invitations that calendar clients honour, and subscription feeds.

Times of visits and sessions are written in UTC, which every client converts to the reader's
zone correctly and which needs no VTIMEZONE; the convening itself is an all-day event over its
dates in the host's calendar (VALUE=DATE, exclusive end), so it does not block whole days.
"""
from collections.abc import Sequence
from datetime import date, datetime, timedelta
from urllib.parse import quote, urlencode

from icalendar import Calendar, Event, vCalAddress, vDuration, vText

from eventhub.models import (
    AgendaItem,
    EventStatus,
    Registration,
    School,
    Visit,
    VisitSeat,
    calendar_domain,
    utcnow,
)
from eventhub.models import Event as EventModel
from eventhub.network import current_network
from eventhub.templating import clock, date_range, long_date, meeting, zone_label
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


def convening_event(registration: Registration, sequence: int, stamp: datetime | None = None,
                    changes: Sequence[str] = ()) -> Event:
    """The attendee's convening: all day over its dates, with the agenda link, venue and zone (and, in an
    update, what changed since the last invitation). It carries no private link: calendar entries are
    shared and forwarded far more than emails."""
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
        ACCEPTING,
        changes_by_email("change or cancel your registration"),
    ]
    component.add("description", _description(lines, changes))
    return component


def public_convening_event(event: EventModel, stamp: datetime) -> Event:
    """The convening as one all-day entry anyone may add to a calendar: dates, venue and the event page;
    no attendee, and a UID of its own (an attendee's invitation has theirs)."""
    component = Event()
    component.add("uid", f"event-{event.id}@{calendar_domain()}")
    component.add("dtstamp", stamp)
    component.add("summary", event.title)
    component.add("dtstart", event.starts_on)
    component.add("dtend", event.ends_on + timedelta(days=1))
    component.add("transp", "TRANSPARENT")
    component.add("location", ", ".join(p for p in (event.venue_name, event.venue_address) if p))
    url = external_url("events.detail", slug=event.slug)
    component.add("url", url)
    component.add("description", f"{event.title}, {date_range(event.starts_on, event.ends_on)}. Agenda: {url}")
    if event.status is EventStatus.CANCELLED:
        component.add("status", "CANCELLED")
    return component


def add_to_calendar_links(event: EventModel) -> dict:
    """One-entry links for the convening: its .ics, and Google Calendar's "add this event" form."""
    end = event.ends_on + timedelta(days=1)
    query = urlencode({
        "action": "TEMPLATE", "text": event.title, "dates": f"{event.starts_on:%Y%m%d}/{end:%Y%m%d}",
        "location": ", ".join(p for p in (event.venue_name, event.venue_address) if p),
        "details": external_url("events.detail", slug=event.slug)})
    return {"ics": external_url("invites.event_entry", slug=event.slug),
            "google": f"https://calendar.google.com/calendar/render?{query}"}


def visit_event(place: VisitSeat, sequence: int, stamp: datetime | None = None,
                changes: Sequence[str] = ()) -> Event:
    """One school visit: from when the attendee must be at the meeting point (so a phone's reminder fires
    before the bus leaves) to the end of the school's window, with the school's own times, its rules and,
    in an update, what changed since the last invitation. No private link, like the convening's."""
    visit = place.visit
    school = visit.school
    tz = visit.timezone
    component = Event()
    component.add("uid", place.invite_uid)
    component.add("sequence", sequence)
    component.add("dtstamp", stamp or utcnow())
    component.add("summary", f"School visit: {visit.title}")
    component.add("dtstart", visit.meeting_time)
    component.add("dtend", visit.ends_at)
    component.add("location", visit.meeting_place)
    url = external_url("events.detail", slug=visit.event.slug)
    component.add("url", url)
    lines = [
        meeting(visit),
        f"{visit.title} at {school.name}, {school.address}: {long_date(visit.starts_at, tz)}, "
        f"{clock(visit.starts_at, tz)} to {clock(visit.ends_at, tz)} at the school, {zone_label(tz)}.",
        f"Focus: {visit.focus}" if visit.focus else "",
        *rules_lines(school),
        "Norms: observation is non-evaluative and confidential; notes name no teacher or student; no recordings.",
        ACCEPTING,
        changes_by_email("give up the seat or choose another visit"),
    ]
    component.add("description", _description(lines, changes))
    return component


# What accepting or declining in a calendar does: nothing to the registration, which the private link changes.
ACCEPTING = "Accepting or declining this invitation in your calendar does not change your registration."


def changes_by_email(what: str) -> str:
    """Where to go for changes, in a calendar entry: the private link in the emails, which this entry never
    carries (calendar entries are shared and forwarded), and the page that sends it again."""
    return (f"To {what}, open the private link in the emails we send you; it is never in this calendar entry. "
            f"Lost the email? Ask for your link again: {external_url('registration.lost_link')}")


def rules_lines(school: School) -> list[str]:
    """The school's rules for visitors, as the invitation and its email state them."""
    photo_id = ""
    if school.photo_id_required:
        photo_id = "Bring government photo ID" + (f" ({school.accepted_ids})." if school.accepted_ids else ".")
    return [line for line in (
        photo_id,
        school.photo_policy,
        f"Entrance: {school.entrance}" if school.entrance else "",
        f"The school's norms for visitors: {school.visitor_norms}" if school.visitor_norms else "",
    ) if line]


def public_visit_event(visit: Visit, stamp: datetime) -> Event:
    """A visit in the public feed: what and where, no attendees."""
    school = visit.school
    component = Event()
    component.add("uid", f"visit-{visit.id}@{calendar_domain()}")
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
    component.add("uid", f"agenda-{item.id}@{calendar_domain()}")
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


def _description(lines: list[str], changes: Sequence[str] = ()) -> str:
    """The non-empty lines, after a "What changed" paragraph in an update."""
    text = "\n".join(line for line in lines if line)
    return "What changed:\n" + "\n".join(changes) + "\n\n" + text if changes else text


def invitation(component: Event, *, method: str, organizer: str, attendee_email: str, attendee_name: str) -> bytes:
    """An iTIP REQUEST or CANCEL for one attendee, from the `organizer` mailbox (the one the invitation was
    first sent from), under the network's name."""
    if method not in ("REQUEST", "CANCEL"):
        raise ValueError(f"unsupported iTIP method {method!r}")
    organizer_address = vCalAddress(f"mailto:{organizer}")
    organizer_address.params["CN"] = vText(_param_text(current_network().name))
    component.add("organizer", organizer_address, encode=False)
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


def published(component: Event) -> bytes:
    """One entry to add to a calendar (iTIP PUBLISH: no organizer, no reply expected)."""
    calendar = _calendar(method="PUBLISH")
    calendar.add_component(component)
    return calendar.to_ical()


def feed(name: str, components: list[Event], refresh: timedelta = timedelta(hours=1)) -> bytes:
    """A subscription feed: no METHOD, ORGANIZER or ATTENDEE; a name and a refresh interval."""
    calendar = _calendar()
    calendar.add("name", name)
    calendar.add("x-wr-calname", name)
    calendar.add("refresh-interval", refresh, parameters={"VALUE": "DURATION"})
    calendar.add("x-published-ttl", vDuration(refresh))  # an X- property is text unless given its type
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
    """A feed's address for calendar clients: webcal:// (Outlook, Apple Calendar), the https:// address to
    hand Google Calendar's "add by URL", and that address itself (to copy)."""
    url = external_url(endpoint, **values)
    webcal = "webcal://" + url.split("://", 1)[1]
    return {"webcal": webcal, "https": url,
            "google": "https://calendar.google.com/calendar/r?cid=" + quote(url, safe="")}


# --- what an invitation told, and what changed since -----------------------------------------------------

Facts = dict[str, str]


def convening_facts(registration: Registration) -> Facts:
    """What the convening's invitation tells (its calendar fields), as plain text to keep and compare."""
    event = registration.event
    return {"title": event.title, "starts_on": event.starts_on.isoformat(), "ends_on": event.ends_on.isoformat(),
            "venue": ", ".join(p for p in (event.venue_name, event.venue_address) if p), "hosts": event.host_names}


def visit_facts(visit: Visit) -> Facts:
    """What a visit's invitation tells: when and where to be, the school's window and its rules."""
    school = visit.school
    return {"title": visit.title, "meets_at": visit.meeting_time.isoformat(), "meeting_place": visit.meeting_place,
            "bus_departs_at": visit.bus_departs_at.isoformat() if visit.bus_departs_at else "",
            "starts_at": visit.starts_at.isoformat(), "ends_at": visit.ends_at.isoformat(),
            "school": f"{school.name}, {school.address}", "rules": "\n".join(rules_lines(school)),
            "timezone": visit.timezone}


def convening_changes(before: Facts, after: Facts) -> list[str]:
    """What changed in a convening's invitation, one sentence each ("The dates changed from … to …")."""
    changed = [key for key in after if before.get(key) != after[key]]
    lines = []
    if "starts_on" in changed or "ends_on" in changed:
        def dates(facts: Facts) -> str:
            return date_range(date.fromisoformat(facts["starts_on"]), date.fromisoformat(facts["ends_on"]))
        lines.append(f"The dates changed from {dates(before)} to {dates(after)}." if "starts_on" in before
                     else f"The dates are now {dates(after)}.")
    if "title" in changed:
        lines.append(f"New name: {after['title']}.")
    if "venue" in changed:
        lines.append(f"New venue: {after['venue']}." if after["venue"] else "The venue is no longer given.")
    if "hosts" in changed:
        lines.append(f"Hosted by {after['hosts']}." if after["hosts"] else "No host district is given now.")
    return lines


def visit_changes(before: Facts, after: Facts) -> list[str]:
    """What changed in a visit's invitation, one sentence each, in the host's zone ("The time changed from
    8:30 AM to 9:00 AM.", "New meeting point: …")."""
    tz = after["timezone"]
    changed = {key for key in after if before.get(key) != after[key]}

    def at(facts: Facts, key: str) -> datetime:
        return datetime.fromisoformat(facts[key])

    lines = []
    if "meets_at" in changed and "meets_at" in before:
        old, new = at(before, "meets_at"), at(after, "meets_at")
        if long_date(old, tz) == long_date(new, tz):
            lines.append(f"The time changed from {clock(old, tz)} to {clock(new, tz)}.")
        else:
            lines.append(f"The day changed from {long_date(old, tz)} at {clock(old, tz)} "
                         f"to {long_date(new, tz)} at {clock(new, tz)}.")
    if "meeting_place" in changed:
        lines.append(f"New meeting point: {after['meeting_place']}.")
    if "bus_departs_at" in changed and not ("meets_at" in changed and after["bus_departs_at"] == after["meets_at"]):
        lines.append(f"The bus now leaves at {clock(at(after, 'bus_departs_at'), tz)}." if after["bus_departs_at"]
                     else "There is no bus time any more.")
    if {"starts_at", "ends_at"} & changed and {"starts_at", "ends_at"} <= before.keys():
        lines.append(f"At the school: now {clock(at(after, 'starts_at'), tz)} to {clock(at(after, 'ends_at'), tz)} "
                     f"(was {clock(at(before, 'starts_at'), tz)} to {clock(at(before, 'ends_at'), tz)}).")
    if "school" in changed:
        lines.append(f"New school: {after['school']}.")
    if "title" in changed:
        lines.append(f"New title: {after['title']}.")
    if "rules" in changed:
        lines.append("The school's rules for visitors changed: they are below.")
    return lines
