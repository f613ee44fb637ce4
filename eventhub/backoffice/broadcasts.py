"""Messages organizers write to a chosen set of an event's registrants: placeholders, preview, sending
through the outbox (one deferred email a person, composed at delivery), and the record of who got what."""
import re
from dataclasses import dataclass
from typing import TypedDict, cast

import sqlalchemy as sa
from sqlalchemy.orm import joinedload

from eventhub.errors import DomainError
from eventhub.extensions import db
from eventhub.models import (
    Broadcast,
    Event,
    OutboxMessage,
    Registration,
    RegistrationStatus,
    SeatStatus,
    Visit,
)
from eventhub.notifications.kinds import EmailKind
from eventhub.outbox.services import (
    Obsolete,
    Renderer,
    compose_email,
    queue_deferred,
    renderer,
)
from eventhub.registration.links import issue_private_link
from eventhub.registration.registrants import Filters, filtered
from eventhub.templating import clock, long_date
from eventhub.urls import external_url
from eventhub.visits.queries import places_for

PLACEHOLDER = re.compile(r"\{([a-z_]+)\}")
# What each placeholder becomes, for one registrant; {private_link} issues a new private link when sent.
PLACEHOLDERS = {
    "first_name": "the preferred first name (or the legal one)",
    "last_name": "the legal last name",
    "full_name": "the preferred first name and last name",
    "district": "the district or organization",
    "event": "the event's title",
    "visits": "their visit seats, with times",
    "private_link": "their private link to change or cancel",
}


class BroadcastCopy(TypedDict):
    """The payload of one recipient's copy: the message is the Broadcast row, filled in when sent."""

    broadcast_id: int


class MessageError(DomainError):
    """The message cannot go out as written; the text says why."""


def unknown_placeholders(*texts: str) -> list[str]:
    """Placeholders in the texts that are not in PLACEHOLDERS, each once."""
    found = [name for text in texts for name in PLACEHOLDER.findall(text)]
    return list(dict.fromkeys(name for name in found if name not in PLACEHOLDERS))


def _visits_line(registration: Registration) -> str:
    zone = registration.event.timezone
    seats = [p for p in places_for(registration) if p.status is SeatStatus.CONFIRMED]
    return "; ".join(f"{p.visit.title} at {p.visit.school.name}, {long_date(p.visit.starts_at, zone)} "
                     f"{clock(p.visit.starts_at, zone)}" for p in seats) or "no visit seat"


def fill(text: str, registration: Registration, private_url: str | None = None) -> str:
    """The text with each {placeholder} replaced for this registrant (nothing else is interpreted)."""
    values = {
        "first_name": lambda: registration.preferred_name or registration.legal_first_name,
        "last_name": lambda: registration.legal_last_name,
        "full_name": lambda: registration.display_name,
        "district": lambda: registration.organization,
        "event": lambda: registration.event.title,
        "visits": lambda: _visits_line(registration),
        "private_link": lambda: private_url or "(your private link)",
    }
    return PLACEHOLDER.sub(lambda m: values[m.group(1)]() if m.group(1) in values else m.group(0), text)


def audience(event: Event, filters: Filters) -> sa.Select:
    """The registrants a message goes to: the table's filters; with no status chosen, all but the cancelled."""
    query = filtered(event, filters)
    if filters.status is None:
        query = query.where(Registration.status != RegistrationStatus.CANCELLED)
    return query


def audience_label(filters: Filters) -> str:
    """The audience in words, for the history."""
    parts = [filters.status.value if filters.status else "confirmed and waiting"]
    if filters.visit_id:
        visit = db.session.get(Visit, filters.visit_id)
        parts.append(f"on “{visit.title}”" if visit else "on a removed visit")
    if filters.district_id:
        from eventhub.models import District

        district = db.session.get(District, filters.district_id)
        parts.append(f"from {district.name}" if district else "from a removed district")
    if filters.role:
        parts.append(f"role {filters.role.label}")
    if filters.need:
        parts.append(f"with {filters.need.value} needs")
    if filters.q:
        parts.append(f"matching “{filters.q}”")
    return ", ".join(parts)


@dataclass
class Audience:
    """How many a message would reach, and who to preview it for."""

    count: int
    sample: list[Registration]


def audience_of(event: Event, filters: Filters, sample: int = 8) -> Audience:
    query = audience(event, filters)
    count = db.session.execute(sa.select(sa.func.count()).select_from(query.order_by(None).subquery())).scalar_one()
    people = list(db.session.scalars(query.options(joinedload(Registration.district)).limit(sample)))
    return Audience(count, people)


def send(event: Event, filters: Filters, subject: str, body: str, sender) -> Broadcast:
    """Record the message and queue one email per recipient, composed at delivery."""
    bad = unknown_placeholders(subject, body)
    if bad:
        raise MessageError(f"Unknown placeholder{'s' if len(bad) != 1 else ''}: "
                           + ", ".join("{" + b + "}" for b in bad))
    recipients = list(db.session.scalars(audience(event, filters)))
    if not recipients:
        raise MessageError("Nobody matches these filters, so there is nobody to send it to.")
    broadcast = Broadcast(event=event, subject=subject, body=body, audience=_as_args(filters),
                          audience_label=audience_label(filters), recipient_count=len(recipients),
                          sent_by_id=getattr(sender, "id", None))
    db.session.add(broadcast)
    db.session.flush()
    for registration in recipients:
        payload: BroadcastCopy = {"broadcast_id": broadcast.id}
        message = queue_deferred(kind=EmailKind.BROADCAST, to_address=registration.email, subject=subject,
                                 renderer_name=Renderer.BROADCAST, payload=payload,
                                 registration=registration)
        message.broadcast_id = broadcast.id
    db.session.flush()
    return broadcast


def _as_args(filters: Filters) -> dict:
    values = {"q": filters.q, "status": filters.status, "role": filters.role, "district": filters.district_id,
              "visit": filters.visit_id, "need": filters.need}
    return {k: str(v) for k, v in values.items() if v}


@renderer(Renderer.BROADCAST)
def compose_broadcast(message: OutboxMessage) -> str:
    """One copy of an organizer's message, filled in for its recipient as they stand when it is sent."""
    broadcast = db.session.get(Broadcast, cast(BroadcastCopy, message.payload)["broadcast_id"])
    registration = db.session.get(Registration, message.registration_id,
                                  options=[joinedload(Registration.event)]) if message.registration_id else None
    if broadcast is None or registration is None:
        raise Obsolete("the message or its recipient was deleted before it went out")
    private_url = None
    if "{private_link}" in broadcast.body:
        private_url = external_url("registration.private_page", token=issue_private_link(registration))
    subject = fill(broadcast.subject, registration)
    message.subject = subject[:300]
    return compose_email(to_address=message.to_address, to_name=registration.display_name, subject=subject,
                         template="backoffice/broadcast",
                         context={"body": fill(broadcast.body, registration, private_url),
                                  "event": registration.event})


def recipients_of(broadcast: Broadcast) -> list[OutboxMessage]:
    """Each copy of the message with its delivery status."""
    return list(db.session.scalars(sa.select(OutboxMessage).where(OutboxMessage.broadcast_id == broadcast.id)
                                   .order_by(OutboxMessage.to_address)))
