"""Every change to an event and its agenda: create, update, publish, cancel and clone an event; add, change,
move and delete agenda items. A change that moves people's calendars sends each confirmed attendee an
updated invitation. Functions flush and never commit."""
from datetime import date, datetime, timedelta

import sqlalchemy as sa

from eventhub.editing import claim_version
from eventhub.errors import DomainError
from eventhub.events.setup import SLUG, slug_is_free
from eventhub.extensions import db
from eventhub.locking import lock_event
from eventhub.models import (
    AgendaItem,
    District,
    Event,
    EventStatus,
    Registration,
    RegistrationStatus,
    Visit,
    VisitStatus,
    utcnow,
)
from eventhub.notifications.attendees import send_registration_email
from eventhub.notifications.kinds import EmailKind
from eventhub.registration.services import promote_from_waitlist
from eventhub.timezones import local_date, shift_local
from eventhub.visits.services import set_allocation_mode, withdraw_with_event

# What an attendee's calendar shows of the event: a change to any of these sends an updated invitation.
CALENDAR_FIELDS = ("title", "starts_on", "ends_on", "venue_name", "venue_address", "hosts")
# What an organizer may change on an event (its status changes through publish and cancel).
EDITABLE_FIELDS = frozenset(CALENDAR_FIELDS) | {
    "slug", "kind", "summary", "timezone", "capacity", "registration_opens_at", "registration_closes_at",
    "visit_allocation", "choices_close_at", "followup_days", "followup_before_next_days", "reminder_days_before",
    "member_addresses_only"}
AGENDA_FIELDS = frozenset({"title", "kind", "starts_at", "ends_at", "room", "topic", "description"})


class EventError(DomainError):
    """A change to an event was refused; the message is for the organizer, `field` names the form field."""

    def __init__(self, message: str, field: str | None = None):
        super().__init__(message)
        self.field = field


def differs(old, new) -> bool:
    """Whether a field's new value is a change: hosts are the same districts in any order."""
    if isinstance(old, list):
        return sorted(d.id for d in old) != sorted(d.id for d in new)
    return old != new


def moves_calendars(event: Event, changes: dict) -> bool:
    """Whether these changes would move the event in its attendees' calendars."""
    return any(differs(getattr(event, name), changes[name]) for name in CALENDAR_FIELDS if name in changes)


def confirmed_registrations(event: Event) -> list[Registration]:
    """Everyone holding a seat at the event: who a calendar change or a cancellation tells."""
    return list(db.session.scalars(sa.select(Registration).where(
        Registration.event_id == event.id, Registration.status == RegistrationStatus.CONFIRMED)))


def _refuse_unknown(changes: dict) -> None:
    unknown = set(changes) - EDITABLE_FIELDS
    if unknown:
        raise TypeError(f"not editable here: {sorted(unknown)}")


def _check_hosts(hosts: list[District], already: list[District] | None = None) -> None:
    """A district becomes a host only while in use and with its time zone chosen (hosts it already has stay)."""
    for district in hosts:
        if district not in (already or []) and not district.can_host:
            why = "is archived" if district.archived_at else "has no time zone yet: choose one on its directory page"
            raise EventError(f"{district.label} {why}, so it cannot host.", field="hosts")


def _check_dates(event: Event) -> None:
    if event.ends_on < event.starts_on:
        raise EventError("An event must end on or after the day it starts.", field="ends_on")


# --- events -------------------------------------------------------------------------------------------


def create_event(**values) -> Event:
    """A new event, as a draft nobody outside the back office sees."""
    _refuse_unknown(values)
    if not slug_is_free(values["slug"]):
        raise EventError("Another event already uses this address.", field="slug")
    for name in ("followup_before_next_days", "reminder_days_before"):
        if name in values and values[name] is None:
            values[name] = sa.null()  # None would take the column's default
    _check_hosts(values.get("hosts", []))
    event = Event(status=EventStatus.DRAFT, **values)
    _check_dates(event)
    db.session.add(event)
    db.session.flush()
    return event


def _outside_days(event: Event, first: date, last: date) -> int:
    """Agenda items and scheduled visits that would fall outside these days."""
    zone = event.zone
    items: list[AgendaItem | Visit] = [*event.agenda_items,
                                       *(v for v in event.visits if v.status is VisitStatus.SCHEDULED)]
    return sum(1 for i in items if not first <= local_date(i.starts_at, zone) <= last)


def check_update(event: Event, changes: dict) -> None:
    """Refuse changes that cannot be saved: an address another event has, or days that would leave part of
    the agenda or a visit outside the event. (The edit page asks this before it says who would be told.)"""
    _refuse_unknown(changes)
    if "slug" in changes and not slug_is_free(changes["slug"], but=event):
        raise EventError("Another event already uses this address.", field="slug")
    if "hosts" in changes:
        _check_hosts(changes["hosts"], event.hosts)
    first, last = changes.get("starts_on", event.starts_on), changes.get("ends_on", event.ends_on)
    if outside := _outside_days(event, first, last):
        raise EventError(f"{outside} agenda item{'s' if outside != 1 else ''} or visit{'s' if outside != 1 else ''} "
                         "would fall outside these days: move them first, or clone the event to new dates.",
                         field="ends_on")


def update_event(event: Event, *, release_held_places: bool = False, opened_version: int | None = None,
                 **changes) -> int:
    """Change the event. More seats go to the waiting list at once; when its dates, venue, title or hosts
    change, every confirmed attendee gets an updated invitation. Switching visit seats to the allocation
    keeps the places already given first come, unless `release_held_places` puts them back into the draw.
    A form opened at an older version than the event's is refused (EditConflict).
    Returns how many were told of a new time or place."""
    lock_event(event)  # before the version's row lock: every writer of an event takes the two in this order
    claim_version(event, "event", opened_version, changes)
    check_update(event, changes)
    moved = moves_calendars(event, changes)
    if "visit_allocation" in changes:
        set_allocation_mode(event, changes.pop("visit_allocation"), release_held_places=release_held_places)
    if "hosts" in changes and differs(event.hosts, changes["hosts"]):
        event.updated_at = utcnow()  # hosts live in another table: the event's row would not change by itself
    for name, value in changes.items():
        setattr(event, name, value)
    _check_dates(event)
    db.session.flush()
    if "capacity" in changes:
        promote_from_waitlist(event)
    if not moved:
        return 0
    confirmed = confirmed_registrations(event)
    for registration in confirmed:
        send_registration_email(registration, EmailKind.REGISTRATION_UPDATED, f"Updated: {event.title}")
    return len(confirmed)


def publish_event(event: Event) -> None:
    """Open the event page to the public (registration follows its window)."""
    if event.status is not EventStatus.DRAFT:
        raise EventError("Only a draft can be published; this event is " + event.status.value + ".")
    event.status = EventStatus.PUBLISHED
    db.session.flush()


def cancel_event(event: Event, *, now: datetime | None = None) -> int:
    """Call the event off: its status changes, every visit seat is withdrawn, and everyone confirmed is told.
    Returns how many were told."""
    now = now or utcnow()
    if event.status is EventStatus.CANCELLED:
        raise EventError("This event is already cancelled.")
    lock_event(event)
    event.status = EventStatus.CANCELLED
    for visit in event.visits:
        if visit.status is VisitStatus.SCHEDULED:
            withdraw_with_event(visit, now=now)
    confirmed = confirmed_registrations(event)
    for registration in confirmed:
        send_registration_email(registration, EmailKind.EVENT_CANCELLED, f"Cancelled: {event.title}")
    db.session.flush()
    return len(confirmed)


def clone_event(source: Event, *, slug: str, title: str, starts_on: date) -> Event:
    """A draft copy of an event for the next season: dates shifted, agenda, visits and form settings kept,
    no registrations. Cancelled visits are left behind."""
    if not SLUG.match(slug):
        raise EventError("The address may hold only lower-case letters, digits and hyphens.", field="slug")
    if not slug_is_free(slug):
        raise EventError(f"Another event already uses the address “{slug}”.", field="slug")
    days = (starts_on - source.starts_on).days
    zone = source.zone
    copy = Event(
        slug=slug, title=title, kind=source.kind, summary=source.summary, venue_name=source.venue_name,
        venue_address=source.venue_address, timezone=source.timezone,
        starts_on=source.starts_on + timedelta(days=days), ends_on=source.ends_on + timedelta(days=days),
        registration_opens_at=shift_local(source.registration_opens_at, days, zone),
        registration_closes_at=shift_local(source.registration_closes_at, days, zone),
        capacity=source.capacity, status=EventStatus.DRAFT, visit_allocation=source.visit_allocation,
        choices_close_at=shift_local(source.choices_close_at, days, zone),
        followup_days=list(source.followup_days or []),
        # None would take the column's default (14): an explicit NULL keeps "no reminder".
        followup_before_next_days=sa.null() if source.followup_before_next_days is None
        else source.followup_before_next_days,
        reminder_days_before=sa.null() if source.reminder_days_before is None else source.reminder_days_before,
        member_addresses_only=source.member_addresses_only,
    )
    _check_hosts(list(source.hosts))  # next season's hosts must still be able to host
    copy.hosts = list(source.hosts)
    db.session.add(copy)
    blocks: dict[int, AgendaItem] = {}
    for item in source.agenda_items:
        new = AgendaItem(event=copy, title=item.title, description=item.description, room=item.room,
                         kind=item.kind, topic=item.topic, starts_at=shift_local(item.starts_at, days, zone),
                         ends_at=shift_local(item.ends_at, days, zone))
        blocks[item.id] = new
        db.session.add(new)
    for visit in source.visits:
        if visit.status is not VisitStatus.SCHEDULED:
            continue
        db.session.add(Visit(
            event=copy, block=blocks.get(visit.block_id) if visit.block_id else None, school_id=visit.school_id,
            title=visit.title,
            focus=visit.focus, topics=list(visit.topics), starts_at=shift_local(visit.starts_at, days, zone),
            ends_at=shift_local(visit.ends_at, days, zone), meeting_point=visit.meeting_point,
            bus_departs_at=shift_local(visit.bus_departs_at, days, zone),
            meets_at=shift_local(visit.meets_at, days, zone), transport=visit.transport,
            host_contact_name=visit.host_contact_name, host_contact_email=visit.host_contact_email,
            host_contact_phone=visit.host_contact_phone, lunch_provided=visit.lunch_provided,
            seats_override=visit.seats_override, buses=visit.buses, room_limit=visit.room_limit,
            observation_groups=visit.observation_groups, group_size=visit.group_size,
        ))
    db.session.flush()
    return copy


# --- the agenda -------------------------------------------------------------------------------------------


def add_agenda_item(event: Event, **values) -> AgendaItem:
    """Put an item on the event's agenda."""
    item = AgendaItem(event=event)
    db.session.add(item)
    update_agenda_item(item, **values)
    return item


def update_agenda_item(item: AgendaItem, **values) -> None:
    """Change an item, or move it to another time or day."""
    unknown = set(values) - AGENDA_FIELDS
    if unknown:
        raise TypeError(f"not editable here: {sorted(unknown)}")
    for name, value in values.items():
        setattr(item, name, value)
    db.session.flush()


def removal_refused(item: AgendaItem) -> str | None:
    """Why an item cannot come off the agenda, or None: a visit block keeps its scheduled visits."""
    in_block = db.session.scalar(sa.select(sa.func.count()).where(Visit.block_id == item.id,
                                                                   Visit.status == VisitStatus.SCHEDULED))
    if in_block:
        return (f"{in_block} visit{'s are' if in_block != 1 else ' is'} in this block: "
                "cancel them or move them to another block first.")
    return None


def delete_agenda_item(item: AgendaItem) -> None:
    """Take an item off the agenda; a visit block with visits in it stays until its visits move."""
    if refused := removal_refused(item):
        raise EventError(refused)
    db.session.delete(item)
    db.session.flush()
