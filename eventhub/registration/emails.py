"""Composing the emails an attendee gets about their registration and visit seats, at delivery: each says
what the registration is by then, carries a fresh private link, and is skipped once it is no longer true.
Features queue them through eventhub.notifications."""
from typing import cast

import sqlalchemy as sa
from flask import current_app
from sqlalchemy.orm import joinedload, selectinload
from sqlalchemy.orm.attributes import set_committed_value
from sqlalchemy.orm.util import identity_key

from eventhub.extensions import db
from eventhub.invites.calendar import (
    Facts,
    convening_changes,
    convening_event,
    convening_facts,
    invitation,
    visit_changes,
    visit_event,
    visit_facts,
)
from eventhub.models import (
    Event,
    OutboxMessage,
    OutboxStatus,
    Registration,
    RegistrationStatus,
    School,
    SeatStatus,
    Visit,
    VisitSeat,
)
from eventhub.network import current_network
from eventhub.notifications.kinds import (
    EmailKind,
    InviteMethod,
    InviteReason,
    RegistrationEmail,
    VisitInvitation,
)
from eventhub.outbox.services import (
    InviteSent,
    Obsolete,
    Renderer,
    compose_email,
    renderer,
)
from eventhub.registration.links import issue_private_link, issue_private_links
from eventhub.registration.queries import waitlist_position
from eventhub.templating import date_range, zone_label
from eventhub.urls import external_url
from eventhub.visits.queries import Standing, places_for, seats_phrase, standings

# Session.info key: message id -> the private link issued for it with its batch (_load_for).
ISSUED_LINKS = "eventhub.registration.issued_links"


def _load_for(messages: list[OutboxMessage]) -> list[Registration]:
    """For a batch of registration emails: their registrations with event and hosts, and their seats
    with visit and school, in three queries instead of three per message; and a new private link for each
    person, in one INSERT, which all their messages in the batch carry (the caller commits it before any is
    sent, so every link an email carries exists; one whose emails are all skipped is never seen by anyone)."""
    ids = sorted({message.registration_id for message in messages if message.registration_id})
    token_of = dict(zip(ids, issue_private_links(ids)))  # one link per person: a batch goes out at once
    db.session.info.setdefault(ISSUED_LINKS, {}).update(
        {message.id: token_of[message.registration_id] for message in messages if message.registration_id})
    return list(db.session.scalars(
        sa.select(Registration).where(Registration.id.in_(ids))
        .options(joinedload(Registration.event).selectinload(Event.hosts),
                 selectinload(Registration.seats).joinedload(VisitSeat.visit).joinedload(Visit.school)
                 .joinedload(School.district))
    ))


def _current_places(registration: Registration) -> list[VisitSeat]:
    """The registration's seats and waiting-list places in time order: as a batch loaded them,
    or from the database."""
    if "seats" not in registration.__dict__:
        return places_for(registration)
    return sorted((seat for seat in registration.seats if seat.status is not SeatStatus.CANCELLED),
                  key=lambda seat: (seat.visit.starts_at, seat.visit.id))


@renderer(Renderer.REGISTRATION, prefetch=_load_for)
def compose_registration_email(message: OutboxMessage):
    """The registration email as the registration stands now, with a new private link in it."""
    registration = db.session.get_one(Registration, message.registration_id,
                                  options=[joinedload(Registration.event).selectinload(Event.hosts)])
    event = registration.event
    payload = cast(RegistrationEmail | VisitInvitation, message.payload)
    extra: dict[str, object] = dict(payload["extra"])
    _refuse_if_obsolete(payload["template"], registration)
    token = db.session.info.get(ISSUED_LINKS, {}).pop(message.id, None) or issue_private_link(registration)
    private_url = external_url("registration.private_page", token=token)
    context = {
        "registration": registration,
        "event": event,
        "team_lead": registration.team_lead,
        "private_url": private_url,
        "event_url": external_url("events.detail", slug=event.slug),
        "dates": date_range(event.starts_on, event.ends_on),
        "zone": zone_label(event.timezone),
        "position": waitlist_position(registration),
        "places": standings(_current_places(registration)),
        **extra,
    }
    template, subject = EmailKind(payload["template"]), message.subject
    if template is EmailKind.REGISTRATION_WELCOME:
        # Written before the seat was decided; says what the registration is by the time it is sent.
        if registration.status is RegistrationStatus.WAITLISTED:
            template, subject = EmailKind.REGISTRATION_WAITLISTED, f"You're on the waiting list for {event.title}"
        else:
            template, subject = EmailKind.REGISTRATION_CONFIRMED, f"You're registered for {event.title}"
    calendar, method = None, None
    if template in INVITING:
        method = InviteMethod.REQUEST
        facts = convening_facts(registration)
        changes = _changes_since_last(message, Registration, registration.id, facts, convening_changes,
                                      is_update=template is EmailKind.REGISTRATION_UPDATED)
        sequence, organizer = _next_sequence(message, Registration, registration.id)
        _note_told(message, facts)
        calendar = invitation(convening_event(registration, sequence, changes=changes), method=method,
                              organizer=organizer, attendee_email=message.to_address,
                              attendee_name=registration.display_name)
        context["changes"] = changes
    elif template in WITHDRAWING and registration.invite_sequence > 0:
        method = InviteMethod.CANCEL  # only if an invitation went out: a waiting-list place was never in a calendar
        sequence, organizer = _next_sequence(message, Registration, registration.id)
        calendar = invitation(convening_event(registration, sequence), method=method, organizer=organizer,
                              attendee_email=message.to_address, attendee_name=registration.display_name)
    elif template is EmailKind.VISIT_INVITE:
        invite = cast(VisitInvitation, payload)
        method = InviteMethod(invite["extra"]["method"])
        reason = invite["extra"]["reason"]
        # Taking the SEQUENCE locks the seat's row, so a REQUEST and a CANCEL for it are composed one
        # after the other and each checks the seat as the other left it.
        sequence, organizer = _next_sequence(message, VisitSeat, invite["place_id"])
        place = db.session.get_one(VisitSeat, invite["place_id"])
        db.session.refresh(place)
        _refuse_if_obsolete_invitation(place, method, sequence, reason)
        changes = []
        if method is InviteMethod.REQUEST:
            facts = visit_facts(place.visit)
            changes = _changes_since_last(message, VisitSeat, place.id, facts, visit_changes,
                                          is_update=reason == InviteReason.UPDATED)
            _note_told(message, facts)
        if method is InviteMethod.CANCEL and sequence == 0:
            # Only a called-off visit tells people whose seat never reached a calendar (its waiting list).
            method, calendar = None, None
        else:
            calendar = invitation(visit_event(place, sequence, changes=changes), method=method,
                                  organizer=organizer, attendee_email=message.to_address,
                                  attendee_name=registration.display_name)
        context.update(place=place, visit=place.visit, method=method and method.value, reason=reason,
                       was=invite["extra"].get("was", ""), replaced=invite["extra"].get("replaced", ""),
                       changes=changes, choose_url=external_url("registration.visit_choices", token=token))
        subject = _visit_subject(InviteMethod(invite["extra"]["method"]), reason, place.visit.title)
    elif template is EmailKind.TEAM_SPLIT_OFFER:
        standing = _split_offer_standing(extra.get("place_id"))
        context.update(standing=standing, place=standing.place, visit=standing.place.visit)
        subject = f"{seats_phrase(standing.held)} for your team: School visit: {standing.place.visit.title}"
    message.subject = subject
    context["invites_calendar"] = method is InviteMethod.REQUEST
    return compose_email(to_address=message.to_address, to_name=registration.display_name, subject=subject,
                         template=f"registration/{template.value}", context=context, calendar=calendar, method=method)


def _split_offer_standing(place_id) -> Standing:
    """The lead's waiting party as it stands at delivery; the offer is skipped once it is no longer true."""
    place = db.session.get(VisitSeat, place_id) if isinstance(place_id, int) else None
    standing = standings([place])[0] if place is not None else None
    if standing is None or not standing.held or not standing.speaks_for_party:
        raise Obsolete("the team was seated, split or left the waiting list before this message went out")
    return standing


def _visit_subject(method: InviteMethod, reason: str, title: str) -> str:
    """"Invitation: School visit: …", "Updated invitation: …", "Called off: …" or "Cancelled: …"."""
    if reason == InviteReason.CALLED_OFF:
        return f"Called off: School visit: {title}"
    if reason == InviteReason.INTO_DRAW:
        return f"Back into the draw: School visit: {title}"
    if reason == InviteReason.REPLACED:
        return f"Replaced by a seat you ranked higher: School visit: {title}"
    if method is InviteMethod.CANCEL:
        return f"Cancelled: School visit: {title}"
    return f"{'Updated invitation' if reason == InviteReason.UPDATED else 'Invitation'}: School visit: {title}"


def _changes_since_last(message: OutboxMessage, model, row_id: int, facts: Facts, describe,
                        *, is_update: bool) -> list[str]:
    """For an update: what differs from the last invitation for this calendar entry delivered to this
    address, one sentence each. An update that would tell nothing new (a change undone before it went out)
    is skipped."""
    if not is_update:
        return []
    delivered = db.session.scalars(
        sa.select(OutboxMessage.payload).where(
            # The calendar this address holds: a new address has nothing to compare with yet.
            OutboxMessage.registration_id == message.registration_id, OutboxMessage.to_address == message.to_address,
            OutboxMessage.status == OutboxStatus.SENT,
            OutboxMessage.renderer == Renderer.REGISTRATION, OutboxMessage.id != message.id))
    table = model.__tablename__
    told = [p for p in delivered if p and "told" in p and p.get("invite", {}).get("table") == table
            and p["invite"].get("id") == row_id]
    if not told:
        return []  # sent before invitations kept what they told: the update says what stands now
    before = max(told, key=lambda p: p["invite"]["sequence"])["told"]
    if before == facts:
        raise Obsolete("nothing this attendee was last sent has changed since")
    return describe(before, facts)


def _note_told(message: OutboxMessage, facts: Facts) -> None:
    """Keep what this invitation tells on its message, for the next update to compare with once delivered."""
    message.payload = {**(message.payload or {}), "told": facts}


def organizer_mailbox() -> str:
    """Where calendar replies go: the reply-to mailbox an admin set in the network's settings, else
    MAIL_ORGANIZER."""
    return current_network().reply_to_address or current_app.config["MAIL_ORGANIZER"]


def _next_sequence(message: OutboxMessage, model, row_id: int) -> tuple[int, str]:
    """Take the next SEQUENCE of an invitation (0 for the first), atomically, and note it on the message
    so a retry can tell whether a newer invitation overtook it. Also the invitation's ORGANIZER mailbox:
    the network's when it is first sent (organizer_mailbox), kept from then on for its updates and
    cancellations, so a new mailbox never takes over invitations already in calendars."""
    # A Core UPDATE: the ORM's would search the whole identity map for rows to keep in step (a few
    # milliseconds a message in a composing chunk); the one object it concerns is set here instead.
    table = model.__table__
    raised, organizer = db.session.execute(
        table.update().where(table.c.id == row_id)
        .values(invite_sequence=table.c.invite_sequence + 1,
                invite_organizer=sa.func.coalesce(table.c.invite_organizer, organizer_mailbox()))
        .returning(table.c.invite_sequence, table.c.invite_organizer)
    ).one()
    loaded = db.session.identity_map.get(identity_key(model, row_id))
    if loaded is not None:
        set_committed_value(loaded, "invite_sequence", raised)
        set_committed_value(loaded, "invite_organizer", organizer)
    sent: InviteSent = {"table": model.__tablename__, "id": row_id, "sequence": raised - 1}
    message.payload = {**(message.payload or {}), "invite": sent}
    return raised - 1, organizer


def _refuse_if_obsolete_invitation(place: VisitSeat, method: InviteMethod, sequence: int, reason: str) -> None:
    """Send an invitation only for a seat still held, and a withdrawal only of an invitation that went out."""
    if method is InviteMethod.REQUEST and (place.status is not SeatStatus.CONFIRMED
                                or place.registration.status is RegistrationStatus.CANCELLED):
        raise Obsolete("the seat was given up before its invitation went out")
    if (method is InviteMethod.CANCEL and place.status is SeatStatus.CONFIRMED
            and reason != InviteReason.ADDRESS_CHANGED):
        raise Obsolete("the seat was taken again before its withdrawal went out")
    if method is InviteMethod.CANCEL and sequence == 0 and reason != InviteReason.CALLED_OFF:
        raise Obsolete("no invitation for this seat ever went out, so there is nothing to withdraw")
    if (reason == InviteReason.CALLED_OFF and sequence == 0
            and place.registration.status is RegistrationStatus.CANCELLED):
        raise Obsolete("the attendee cancelled before hearing that a visit they waited for was called off")


# Emails that tell someone they have a place; untrue once the registration is cancelled.
PLACE_NEWS = {EmailKind.REGISTRATION_WELCOME, EmailKind.REGISTRATION_CONFIRMED, EmailKind.REGISTRATION_WAITLISTED,
              EmailKind.REGISTRATION_PROMOTED, EmailKind.REGISTRATION_UPDATED, EmailKind.VISIT_ALLOCATED}
# Emails that carry the convening's invitation, and those that withdraw it (if one went out).
INVITING = {EmailKind.REGISTRATION_CONFIRMED, EmailKind.REGISTRATION_PROMOTED, EmailKind.REGISTRATION_UPDATED}
WITHDRAWING = {EmailKind.REGISTRATION_CANCELLED, EmailKind.EVENT_CANCELLED, EmailKind.REGISTRATION_MOVED,
               EmailKind.REGISTRATION_BACK_TO_WAITLIST}


def _refuse_if_obsolete(template: str, registration: Registration) -> None:
    """Composed at delivery, a message must still be true: otherwise it is skipped, not sent."""
    cancelled = registration.status is RegistrationStatus.CANCELLED
    if template in PLACE_NEWS and cancelled:
        raise Obsolete("the registration was cancelled before this message went out")
    if template == EmailKind.REGISTRATION_BACK_TO_WAITLIST and registration.status is not RegistrationStatus.WAITLISTED:
        raise Obsolete("the attendee got a seat again, or cancelled, before this message went out")
    if template == EmailKind.REGISTRATION_CANCELLED and registration.status is RegistrationStatus.CONFIRMED:
        raise Obsolete("the attendee registered again, with a seat, before this message went out")
