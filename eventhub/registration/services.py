"""Registering for an event: seats, the waiting list, changes from the private page.

Functions here flush but never commit; the caller (a view or a command) commits.
"""
from dataclasses import dataclass, field
from datetime import datetime, timedelta

import sqlalchemy as sa
from flask import current_app
from itsdangerous import BadSignature, URLSafeTimedSerializer

from eventhub.directory.queries import member_domains
from eventhub.errors import DomainError
from eventhub.extensions import db
from eventhub.locking import lock_event, writes_are_serialised
from eventhub.models import (
    AttendeeRole,
    Event,
    EventStatus,
    LinkOrigin,
    Registration,
    RegistrationStatus,
    SeatStatus,
    utcnow,
)
from eventhub.notifications.attendees import (
    send_link_reminder,
    send_new_link,
    send_registration_email,
    send_visit_invitation,
)
from eventhub.notifications.kinds import EmailKind, InviteMethod, InviteReason
from eventhub.outbox.services import queue_email
from eventhub.registration.links import (  # noqa: F401
    issue_private_link,
    registration_for_token,
    revoke_private_links,
)
from eventhub.registration.queries import (  # noqa: F401
    find_registration,
    seat_summary,
    waitlist_position,
)
from eventhub.registration.window import registration_window
from eventhub.templating import date_range
from eventhub.timezones import local_date
from eventhub.urls import external_url
from eventhub.visits.queries import places_for, seats_phrase
from eventhub.visits.services import (
    BlockChoices,
    Screening,
    VisitError,
    book_all_blocks,
    book_team_first_come,
    first_come_applies,
    release_all_places,
    save_choices,
)

# How long a link confirming a new email address works.
EMAIL_CHANGE_VALID_FOR = timedelta(days=3)


class RegistrationError(DomainError):
    """A rule refused the request; the message is meant for the attendee."""


class NotAMemberAddress(RegistrationError):
    """The event takes addresses at member districts' domains only; `position` is whose (0: the person
    registering, 1 on: their colleagues in order)."""

    status = 422

    def __init__(self, message: str, position: int) -> None:
        super().__init__(message)
        self.position = position


def check_member_addresses(event: Event, emails: list[str]) -> None:
    """For an event open to member districts only: each address must be at a member district's domain (or
    one of its subdomains), else NotAMemberAddress says whose and what to do."""
    if not event.member_addresses_only:
        return
    domains = member_domains()
    for position, address in enumerate(emails):
        domain = address.rpartition("@")[2].lower()
        if not any(domain == d or domain.endswith("." + d) for d in domains):
            raise NotAMemberAddress(
                f"{event.title} is open to the staff of the network's member districts, with their district "
                f"email address. {address} is not at a member district's domain ({domain}): use the district "
                "address, or write to the organizers if the district is a member and its address is refused.",
                position)


class RegistrationClosed(RegistrationError):
    """Registration is not open for this event."""

    status = 403


class EmailTaken(RegistrationError):
    """Another registration for the event already uses this email."""


class EmailChangeInvalid(RegistrationError):
    """An email-change link is forged, expired or out of date."""


class EventEnded(RegistrationError):
    """The event is over; the registration can no longer change."""

    status = 403


@dataclass
class AttendeeDetails:
    """What a person tells us about themselves (the form's data, without HTTP)."""

    email: str
    legal_first_name: str
    legal_last_name: str
    role: AttendeeRole
    preferred_name: str = ""
    mobile: str = ""
    title: str = ""
    district_id: int | None = None
    other_organization: str = ""
    dietary: list[str] = field(default_factory=list)
    allergies: str = ""
    accessibility: list[str] = field(default_factory=list)
    accessibility_notes: str = ""
    photo_consent: bool = False
    emergency_contact_name: str = ""
    emergency_contact_phone: str = ""

    def __post_init__(self) -> None:
        """Emails compare case-insensitively, so they are kept lower-cased."""
        self.email = self.email.strip().lower()

    def apply_to(self, registration: Registration) -> None:
        """Copy every detail onto a registration."""
        for name in self.__dataclass_fields__:
            setattr(registration, name, getattr(self, name))


@dataclass
class RegistrationOutcome:
    """What a registration request did, as much as the person submitting it may know."""

    # None when the lead's email was already registered: they get the neutral message.
    lead: Registration | None
    colleagues: list[Registration] = field(default_factory=list)


def give_waiting_seat(registration: Registration, now: datetime) -> None:
    """Confirm a waiting registration (the caller holds the event's lock and applied a seat rule),
    book the visits it ranked, and email it."""
    registration.confirm(now)
    db.session.flush()
    book_all_blocks(registration, now=now)
    send_registration_email(registration, EmailKind.REGISTRATION_PROMOTED,
                            f"A seat opened up: you're confirmed for {registration.event.title}")


def promote_from_waitlist(event: Event, now: datetime | None = None) -> list[Registration]:
    """Give free seats to the head of the waiting list, in order, and email each of them."""
    now = now or utcnow()
    lock_event(event)
    seats = seat_summary(event)
    if not seats.waitlisted:
        return []
    query = (
        sa.select(Registration)
        .where(Registration.event_id == event.id, Registration.status == RegistrationStatus.WAITLISTED)
        .order_by(Registration.waitlisted_at, Registration.id)
    )
    free = seats.seats_for_queue()
    if free == 0:
        return []
    if free is not None:
        query = query.limit(free)
    promoted = list(db.session.scalars(query))
    for registration in promoted:
        give_waiting_seat(registration, now)
    db.session.flush()
    return promoted


# --- registering ---------------------------------------------------------------------------


@dataclass
class VisitRequest:
    """The visits a person asks for while registering (their colleagues get the same, if the lead wants)."""

    choices: list[BlockChoices] = field(default_factory=list)
    norms_acknowledged: bool = False
    screening: Screening | None = None
    same_for_colleagues: bool = True


def register(
    event: Event,
    lead: AttendeeDetails,
    colleagues: list[AttendeeDetails] | None = None,
    *,
    visits: VisitRequest | None = None,
    now: datetime | None = None,
) -> RegistrationOutcome:
    """Register a person, and the colleagues they bring as a district team, with their visit choices.

    Each person gets their own registration and private link. An email that is
    already registered creates nothing: its owner is emailed a link instead, and
    the outcome does not say so, so nobody can probe who is registered.

    Everything that does not depend on free seats is written first; the event's lock is
    taken last, for the seat decisions alone, so a rush queues on as little work as possible.
    """
    now = now or utcnow()
    window = registration_window(event, now)
    if not window.is_open:
        raise RegistrationClosed(window.message)
    check_member_addresses(event, [lead.email, *(c.email for c in colleagues or [])])
    visits = visits or VisitRequest()
    if any(c.visit_ids for c in visits.choices) and not visits.norms_acknowledged:
        raise VisitError("Please confirm that you will follow the visit norms before choosing a visit.")
    if writes_are_serialised():
        lock_event(event)
    norms_at = now if visits.norms_acknowledged and any(c.visit_ids for c in visits.choices) else None
    lead_registration, lead_is_new = _register_person(event, lead, now, team_lead=None, norms_at=norms_at)
    outcome = RegistrationOutcome(lead=lead_registration if lead_is_new else None)
    # Whoever typed an email that was already registered is not known to own that registration:
    # their colleagues are registered, but not tied to (nor told the name of) its owner.
    team_lead = lead_registration if lead_is_new else None
    for details in colleagues or []:
        colleague, is_new = _register_person(event, details, now, team_lead=team_lead,
                                             norms_at=norms_at if visits.same_for_colleagues else None)
        if is_new:
            outcome.colleagues.append(colleague)
    newcomers = ([outcome.lead] if outcome.lead else []) + outcome.colleagues
    chosen = [c for c in visits.choices if c.visit_ids]
    for registration in newcomers:
        for block_choices in chosen if registration is outcome.lead or visits.same_for_colleagues else []:
            save_choices(registration, block_choices, first_time=True, now=now)
        send_registration_email(registration, EmailKind.REGISTRATION_WELCOME, "")
    if not newcomers:
        return outcome
    db.session.flush()  # write what needs no seat before queueing behind the lock
    lock_event(event)
    for registration in newcomers:
        _decide_seat(registration, event, now)
    for block_choices in chosen:
        if not first_come_applies(event, block_choices.block_id):
            continue
        team = [r for r in newcomers if r.status is RegistrationStatus.CONFIRMED
                and (r is outcome.lead or visits.same_for_colleagues)]
        if not team:
            continue
        # A team registered together rides together, or waits together. Only the lead gave screening
        # details; colleagues add theirs from their own private page. Colleagues sent in by someone whose
        # address was registered already are tied to nobody (see above), so each books on their own.
        for party in [team] if outcome.lead is not None else [[member] for member in team]:
            book_team_first_come(party, block_choices.block_id, block_choices.visit_ids, now=now,
                                 screening=visits.screening if party[0] is outcome.lead else None)
    db.session.flush()
    return outcome


class AlreadyRegistered(RegistrationError):
    """An organizer tried to add someone whose address is registered for the event already."""


def register_walk_in(event: Event, details: AttendeeDetails, *, beyond_capacity: bool = False,
                     now: datetime | None = None) -> Registration:
    """An organizer adds someone (a walk-in at the door, a late name), also after the public form has closed:
    the same seat rule and emails as the form. A full event puts them on its waiting list, unless the
    organizer confirmed `beyond_capacity`: then they get a seat over the capacity. Not for an event that is
    cancelled, a draft, or over."""
    now = now or utcnow()
    if event.status is not EventStatus.PUBLISHED:
        raise RegistrationClosed("Only a published event takes registrations.")
    if local_date(now, event.zone) > event.ends_on:
        raise EventEnded("This event has ended.")
    lock_event(event)
    existing = find_registration(event, details.email)
    if existing is not None:
        raise AlreadyRegistered(f"{details.email} is registered for this event already ({existing.legal_name}): "
                                "open their registration instead.")
    registration = Registration()
    registration.enter(now, limited=event.capacity is not None)
    details.apply_to(registration)
    registration.event = event
    db.session.add(registration)
    db.session.flush()
    _decide_seat(registration, event, now)
    if registration.status is RegistrationStatus.WAITLISTED and beyond_capacity:
        registration.confirm(now)  # the organizer confirmed a seat over the capacity
    db.session.flush()
    send_registration_email(registration, EmailKind.REGISTRATION_WELCOME, "")
    return registration


def send_lost_links(email: str, *, now: datetime | None = None) -> int:
    """Someone lost their private link: each registration of theirs at a published event not over yet (a
    cancelled registration too: its page lets them register again) gets a fresh link by email, at most once
    in a few minutes. Returns how many were queued; the page says the same whatever it is, so nobody can probe who is
    registered."""
    now = now or utcnow()
    sent = 0
    registrations = db.session.scalars(
        sa.select(Registration).join(Event).where(sa.func.lower(Registration.email) == email.strip().lower(),
                                                  Event.status == EventStatus.PUBLISHED))
    for registration in registrations:
        if registration.event.ends_on >= local_date(now, registration.event.zone):
            sent += send_link_reminder(registration, now)
    return sent


def _register_person(
    event: Event, details: AttendeeDetails, now: datetime, team_lead: Registration | None,
    norms_at: datetime | None = None,
) -> tuple[Registration, bool]:
    """Create one registration, waiting for its seat decision, or email the existing one its link.

    The unique (event, email) constraint is the duplicate check: on PostgreSQL the insert is
    tried in a savepoint and a clash means "already registered"; SQLite's driver mishandles
    savepoints, but there the event lock is held already, so a lookup first is race-free.
    """
    if writes_are_serialised():
        existing = find_registration(event, details.email)
        if existing is not None:
            send_link_reminder(existing, now)
            return existing, False
    registration = Registration()
    registration.enter(now, limited=event.capacity is not None)
    registration.visit_norms_acknowledged_at = norms_at
    details.apply_to(registration)
    registration.event = event
    if writes_are_serialised():
        db.session.add(registration)
        registration.team_lead = team_lead
        db.session.flush()
        return registration, True
    try:
        with db.session.begin_nested():
            db.session.add(registration)
            registration.team_lead = team_lead
    except sa.exc.IntegrityError:
        existing = find_registration(event, details.email)
        if existing is None:
            raise
        send_link_reminder(existing, now)
        return existing, False
    return registration, True


def _decide_seat(registration: Registration, event: Event, now: datetime) -> None:
    """With the event locked: a seat if one is free and nobody waits ahead, else stay on the waiting list."""
    if registration.status is RegistrationStatus.CONFIRMED:
        return
    if not seat_summary(event).seat_for_waiting(lambda: waitlist_position(registration)):
        return
    registration.confirm(now)
    db.session.flush()


def _send_welcome(registration: Registration) -> None:
    """The confirmation or waiting-list email (which one is decided when it is composed)."""
    send_registration_email(registration, EmailKind.REGISTRATION_WELCOME, "")


# --- changes from the private page ---------------------------------------------------------


def update_details(registration: Registration, details: AttendeeDetails, *, now: datetime | None = None) -> bool:
    """Save what the attendee told us. A new email is only proposed: True when a confirmation went out.

    The new address must be confirmed from a link sent to it, and the answer is the same
    whether or not it is free, so the edit page cannot be used to probe who is registered.
    """
    now = now or utcnow()
    _refuse_after_event(registration.event, now)
    new_email = details.email.lower()
    details.email = registration.email
    details.apply_to(registration)
    db.session.flush()
    if new_email == registration.email:
        return False
    check_member_addresses(registration.event, [new_email])
    request_email_change(registration, new_email)
    return True


def request_email_change(registration: Registration, new_email: str) -> None:
    """Email the new address a link that moves the registration to it (or says it cannot)."""
    event = registration.event
    context = {
        "registration": registration,
        "event": event,
        "event_url": external_url("events.detail", slug=event.slug),
        "dates": date_range(event.starts_on, event.ends_on),
        "new_email": new_email,
    }
    if find_registration(event, new_email) is not None:
        template, subject = EmailKind.EMAIL_CHANGE_TAKEN, f"This address is already registered for {event.title}"
    else:
        payload = {"registration": registration.id, "from": registration.email, "to": new_email}
        context["confirm_url"] = external_url("registration.confirm_email",
                                              signed=_email_change_signer().dumps(payload))
        template, subject = EmailKind.EMAIL_CHANGE_CONFIRM, f"Confirm your new email address for {event.title}"
    queue_email(kind=template, to_address=new_email, to_name=registration.display_name, subject=subject,
                template=f"registration/{template}", context=context, registration=registration)


def confirm_email_change(signed: str, *, now: datetime | None = None) -> tuple[Registration, str]:
    """Apply a confirmed email change and return the registration with a new private link for it."""
    try:
        payload = _email_change_signer().loads(signed, max_age=int(EMAIL_CHANGE_VALID_FOR.total_seconds()))
    except BadSignature:
        raise EmailChangeInvalid(
            "This confirmation link is not valid or has expired. Change your email again from your private page."
        ) from None
    registration = db.session.get(Registration, payload["registration"])
    if registration is None or registration.email not in (payload["from"], payload["to"]):
        raise EmailChangeInvalid("This confirmation link no longer applies: the registration has changed since.")
    if registration.email != payload["to"]:
        _refuse_after_event(registration.event, now or utcnow())
        if find_registration(registration.event, payload["to"]) is not None:
            raise EmailTaken("This address is already used by another registration for this event.")
        _move_invitations(registration, payload["to"])
        send_new_link(registration)  # so the new inbox holds the link for later
    return registration, issue_private_link(registration, LinkOrigin.PAGE)


def _move_invitations(registration: Registration, new_email: str) -> None:
    """Take the convening and visit seats out of the old address's calendar and into the new one's."""
    old_email = registration.email
    seated = [p for p in places_for(registration) if p.status is SeatStatus.CONFIRMED]
    if registration.status is RegistrationStatus.CONFIRMED:
        send_registration_email(registration, EmailKind.REGISTRATION_MOVED,
                                f"Moved to another address: {registration.event.title}",
                                to_address=old_email)
    for place in seated:
        send_visit_invitation(place, InviteMethod.CANCEL, InviteReason.ADDRESS_CHANGED, to_address=old_email)
    registration.email = new_email
    db.session.flush()
    if registration.status is RegistrationStatus.CONFIRMED:
        send_registration_email(registration, EmailKind.REGISTRATION_UPDATED, f"Updated: {registration.event.title}")
    for place in seated:
        send_visit_invitation(place, InviteMethod.REQUEST, InviteReason.ADDRESS_CHANGED)


def _email_change_signer() -> URLSafeTimedSerializer:
    """Signs email-change links with the app's secret key."""
    return URLSafeTimedSerializer(current_app.config["SECRET_KEY"], salt="eventhub.email-change")


def cancel_registration(registration: Registration, *, now: datetime | None = None) -> list[Registration]:
    """Cancel; a freed seat goes to the head of the waiting list. Returns who was promoted."""
    now = now or utcnow()
    event = registration.event
    _refuse_after_event(event, now)
    lock_event(event)
    # Another request may have changed this registration before we got the lock.
    db.session.refresh(registration)
    if registration.status is RegistrationStatus.CANCELLED:
        return []
    held_seat = registration.status is RegistrationStatus.CONFIRMED
    registration.cancel(now)
    db.session.flush()
    release_all_places(registration, now=now)
    promoted = promote_from_waitlist(event, now) if held_seat else []
    send_registration_email(registration, EmailKind.REGISTRATION_CANCELLED,
                            f"Your registration for {event.title} is cancelled",
          held_seat=held_seat, seat_passed_on=bool(promoted))
    return promoted


def rejoin(registration: Registration, *, now: datetime | None = None) -> None:
    """Register again after cancelling: a free seat, or the end of the waiting list."""
    now = now or utcnow()
    event = registration.event
    window = registration_window(event, now)
    if not window.is_open:
        raise RegistrationClosed(window.message)
    lock_event(event)
    # A second click may have rejoined already; decide on the status as it is now.
    db.session.refresh(registration)
    if registration.status is not RegistrationStatus.CANCELLED:
        return
    if seat_summary(event).seat_for_newcomer():
        registration.confirm(now)
    else:
        registration.wait(now)
    db.session.flush()
    book_all_blocks(registration, now=now)
    _send_welcome(registration)


def _refuse_after_event(event: Event, now: datetime) -> None:
    """Past events are a record; nothing about them changes from the private page."""
    if local_date(now, event.zone) > event.ends_on:
        raise EventEnded("This event is over, so the registration can no longer be changed.")




# --- an organizer's changes to one registration ---------------------------------------------------


def correct_details(registration: Registration, details: AttendeeDetails) -> None:
    """An organizer saves corrected details. A corrected email moves the invitations to the new address
    at once (the organizer vouches for it; attendees confirm theirs from a link)."""
    new_email = details.email.lower()
    if new_email != registration.email:
        taken = db.session.scalar(sa.select(Registration.id).where(
            Registration.event_id == registration.event_id, Registration.email == new_email,
            Registration.id != registration.id))
        if taken:
            raise EmailTaken(f"{new_email} is already registered for this event.")
    details.email = registration.email
    details.apply_to(registration)
    db.session.flush()
    if new_email != registration.email:
        _move_invitations(registration, new_email)


def promote_ahead_of_queue(registration: Registration, *, now: datetime | None = None) -> None:
    """An organizer gives a waiting registrant a seat at the event now, ahead of the queue, if one is free."""
    now = now or utcnow()
    event = registration.event
    lock_event(event)
    db.session.refresh(registration)
    if registration.status is not RegistrationStatus.WAITLISTED:
        raise RegistrationError("Only someone on the waiting list can be promoted.")
    seats = seat_summary(event)
    if not seats.seat_for_organizer():
        assert seats.capacity is not None
        raise RegistrationError(f"The event is full ({seats.confirmed} of {seats_phrase(seats.capacity)}): raise "
                                "its capacity in the event's settings, or cancel someone, first.")
    give_waiting_seat(registration, now)


def return_to_waitlist(registration: Registration, *, now: datetime | None = None) -> list[Registration]:
    """An organizer takes a confirmed registrant's seat back and puts them at the end of the waiting list;
    the seat goes to the head of the list. Their visit seats go too (a waiting registrant holds none).
    Returns who got a seat."""
    now = now or utcnow()
    event = registration.event
    lock_event(event)
    db.session.refresh(registration)
    if registration.status is not RegistrationStatus.CONFIRMED:
        raise RegistrationError("Only someone with a seat can be returned to the waiting list.")
    seats = seat_summary(event)
    if seats.capacity is None:
        raise RegistrationError("This event has no capacity limit, so nobody waits: set a capacity first.")
    if seats.seat_would_come_back():
        raise RegistrationError("There would be a free seat and nobody else waiting for it, "
                                "so they would get their seat straight back.")
    registration.wait(now)
    db.session.flush()
    release_all_places(registration, now=now)
    send_registration_email(registration, EmailKind.REGISTRATION_BACK_TO_WAITLIST,
                            f"You're back on the waiting list for {event.title}")
    return promote_from_waitlist(event, now)


def resend_confirmation(registration: Registration) -> None:
    """Send the confirmation (or waiting-list) email again, with a fresh private link and invitation."""
    if registration.status is RegistrationStatus.CANCELLED:
        raise RegistrationError("This registration is cancelled: there is no confirmation to send.")
    _send_welcome(registration)


def revoke_links(registration: Registration, *, send_new: bool) -> int:
    """An organizer's (or the operator's) answer to a forwarded email or a lost phone: every private link of
    the registration and its calendar feed stop working; with `send_new`, a fresh link is emailed to its
    address. Returns how many management links were revoked."""
    count = revoke_private_links(registration)
    if send_new:
        send_new_link(registration)
    return count
