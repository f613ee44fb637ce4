"""Sending an attendee an email about their registration or a visit seat: each call queues one message
in the outbox, composed at delivery as the registration stands then, with a fresh private link."""
from datetime import datetime, timedelta

import sqlalchemy as sa

from eventhub.extensions import db
from eventhub.models import OutboxMessage, Registration, SeatStatus, VisitSeat
from eventhub.notifications.kinds import (
    EmailKind,
    InviteMethod,
    InviteReason,
    RegistrationEmail,
    VisitInvitation,
    VisitInviteExtra,
)
from eventhub.outbox.services import Renderer, queue_deferred

# Someone who registers twice in this span gets one reminder email, not one per submission.
LINK_REMINDER_INTERVAL = timedelta(minutes=10)


def send_registration_email(registration: Registration, kind: EmailKind, subject: str,
                            to_address: str | None = None, **extra) -> None:
    """Queue one of the registration emails. `extra` holds plain (JSON) values for the template."""
    payload: RegistrationEmail = {"template": kind.value, "extra": extra}
    queue_deferred(kind=kind, to_address=to_address or registration.email, subject=subject,
                   renderer_name=Renderer.REGISTRATION, payload=payload, registration=registration)


def send_visit_invitation(place: VisitSeat, method: InviteMethod, reason: InviteReason,
                          to_address: str | None = None, replaced: str | None = None) -> None:
    """Queue the calendar invitation (REQUEST) or its withdrawal (CANCEL) for one visit seat (for a called-off
    visit, also the message to a place on its waiting list, which no calendar holds)."""
    extra: VisitInviteExtra = {"reason": reason.value, "method": method.value}
    if reason is InviteReason.CALLED_OFF:
        extra["was"] = "seated" if place.status is SeatStatus.CONFIRMED else "waiting"
    if replaced:
        extra["replaced"] = replaced
    payload: VisitInvitation = {"template": EmailKind.VISIT_INVITE.value, "extra": extra, "place_id": place.id}
    queue_deferred(kind=EmailKind.VISIT_INVITE, to_address=to_address or place.registration.email, subject="",
                   renderer_name=Renderer.REGISTRATION, payload=payload, registration=place.registration)


def send_new_link(registration: Registration) -> None:
    """Email a fresh private link (after revoking, or when asked)."""
    send_registration_email(registration, EmailKind.REGISTRATION_LINK,
                            f"Your private link for {registration.event.title}")


def send_link_reminder(registration: Registration, now: datetime) -> bool:
    """Email the link again, unless one went out very recently: repeated submissions must not flood an inbox."""
    recent = db.session.scalar(
        sa.select(OutboxMessage.id).where(
            OutboxMessage.registration_id == registration.id,
            OutboxMessage.kind == EmailKind.REGISTRATION_LINK,
            OutboxMessage.created_at > now - LINK_REMINDER_INTERVAL,
        ).limit(1)
    )
    if recent is not None:
        return False
    send_new_link(registration)
    return True
