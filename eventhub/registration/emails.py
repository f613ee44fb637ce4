"""The emails an attendee gets about their registration, each carrying a fresh private link."""
from datetime import datetime, timedelta

import sqlalchemy as sa

from eventhub.extensions import db
from eventhub.models import OutboxMessage, Registration, RegistrationStatus, SeatStatus, Visit, VisitSeat
from eventhub.outbox.services import Obsolete, compose_email, queue_deferred, renderer
from eventhub.registration.links import issue_private_link
from eventhub.registration.queries import waitlist_position
from eventhub.templating import date_range, zone_label
from eventhub.urls import external_url
from eventhub.visits.queries import places_for, seat_position

# Someone who registers twice in this span gets one reminder email, not one per submission.
LINK_REMINDER_INTERVAL = timedelta(minutes=10)


def send_registration_email(registration: Registration, template: str, subject: str, **extra) -> None:
    """Queue one of the registration emails; it is composed at delivery, with a fresh private link.

    `extra` holds plain values for the template; a `visit` is passed on by its id.
    """
    visit = extra.pop("visit", None)
    if visit is not None:
        extra["visit_id"] = visit.id
    queue_deferred(kind=template, to_address=registration.email, subject=subject, renderer_name="registration",
                   payload={"template": template, "extra": extra}, registration=registration)


@renderer("registration")
def compose_registration_email(message: OutboxMessage):
    """The registration email as the registration stands now, with a new private link in it."""
    registration = db.session.get(Registration, message.registration_id)
    event = registration.event
    extra = dict(message.payload.get("extra", {}))
    if "visit_id" in extra:
        extra["visit"] = db.session.get(Visit, extra.pop("visit_id"))
    _refuse_if_obsolete(message.payload["template"], registration, extra.get("visit"))
    token = issue_private_link(registration)
    context = {
        "registration": registration,
        "event": event,
        "team_lead": registration.team_lead,
        "private_url": external_url("registration.private_page", token=token),
        "event_url": external_url("events.detail", slug=event.slug),
        "dates": date_range(event.starts_on, event.ends_on),
        "zone": zone_label(event.timezone),
        "position": waitlist_position(registration),
        "places": [(place, seat_position(place)) for place in places_for(registration)],
        **extra,
    }
    template, subject = message.payload["template"], message.subject
    if template == "registration_welcome":
        # Written before the seat was decided; says what the registration is by the time it is sent.
        if registration.status is RegistrationStatus.WAITLISTED:
            template, subject = "registration_waitlisted", f"You're on the waiting list for {event.title}"
        else:
            template, subject = "registration_confirmed", f"You're registered for {event.title}"
        message.subject = subject
    return compose_email(to_address=message.to_address, to_name=registration.display_name,
                         subject=subject, template=f"registration/{template}", context=context)


# Emails that tell someone they have a place; untrue once the registration is cancelled.
PLACE_NEWS = {"registration_welcome", "registration_confirmed", "registration_waitlisted", "registration_promoted",
              "visit_promoted", "visit_allocated"}


def _refuse_if_obsolete(template: str, registration: Registration, visit: Visit | None) -> None:
    """Composed at delivery, a message must still be true: otherwise it is skipped, not sent."""
    cancelled = registration.status is RegistrationStatus.CANCELLED
    if template in PLACE_NEWS and cancelled:
        raise Obsolete("the registration was cancelled before this message went out")
    if template == "registration_cancelled" and not cancelled:
        raise Obsolete("the attendee registered again before this message went out")
    if template == "visit_promoted" and visit is not None:
        place = db.session.scalar(sa.select(VisitSeat).where(VisitSeat.visit_id == visit.id,
                                                            VisitSeat.registration_id == registration.id))
        if place is None or place.status is not SeatStatus.CONFIRMED:
            raise Obsolete("the seat was given up before this message went out")


def send_new_link(registration: Registration) -> None:
    """Email a fresh private link (after revoking, or when asked)."""
    send_registration_email(registration, "registration_link", f"Your private link for {registration.event.title}")


def send_link_reminder(registration: Registration, now: datetime) -> bool:
    """Email the link again, unless one went out very recently: repeated submissions must not flood an inbox."""
    recent = db.session.scalar(
        sa.select(OutboxMessage.id).where(
            OutboxMessage.registration_id == registration.id,
            OutboxMessage.kind == "registration_link",
            OutboxMessage.created_at > now - LINK_REMINDER_INTERVAL,
        ).limit(1)
    )
    if recent is not None:
        return False
    send_new_link(registration)
    return True
