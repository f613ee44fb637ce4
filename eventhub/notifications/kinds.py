"""The kinds of email eventhub sends and what a queued attendee email stores. The values are stored in
outbox rows (`kind`, and the payload's keys and values): renaming one strands mail already queued
unless a migration rewrites the pending rows."""
import enum
from typing import NotRequired, TypedDict

from eventhub.outbox.services import InviteSent


class EmailKind(enum.StrEnum):
    """OutboxMessage.kind of every fixed kind of email (follow-up reminders add "followup_<reminder>")."""

    # About a registration, composed at delivery from templates/email/registration/<kind>.
    REGISTRATION_WELCOME = "registration_welcome"  # becomes "confirmed" or "waitlisted" when composed
    REGISTRATION_CONFIRMED = "registration_confirmed"
    REGISTRATION_WAITLISTED = "registration_waitlisted"
    REGISTRATION_PROMOTED = "registration_promoted"
    REGISTRATION_UPDATED = "registration_updated"
    REGISTRATION_MOVED = "registration_moved"
    REGISTRATION_BACK_TO_WAITLIST = "registration_back_to_waitlist"
    REGISTRATION_CANCELLED = "registration_cancelled"
    REGISTRATION_LINK = "registration_link"
    EVENT_CANCELLED = "event_cancelled"
    VISIT_ALLOCATED = "visit_allocated"
    VISIT_INVITE = "visit_invite"
    TEAM_SPLIT_OFFER = "team_split_offer"  # seats held for a waiting team, not for all: split it? (to the lead)
    # Composed when queued.
    PLACE_OFFERED = "place_offered"  # to a colleague: someone offers them their place; accept it with this link
    GUEST_LIST_CHANGE = "guest_list_change"  # to a school's host coordinators: a late change to its guest list
    EMAIL_CHANGE_CONFIRM = "email_change_confirm"
    EMAIL_CHANGE_TAKEN = "email_change_taken"
    ACCOUNT_INVITATION = "account_invitation"
    PASSWORD_RESET = "password_reset"
    BROADCAST = "broadcast"


class InviteMethod(enum.StrEnum):
    """The iTIP method of a calendar invitation."""

    REQUEST = "REQUEST"  # add or update the entry
    CANCEL = "CANCEL"  # remove it


class InviteReason(enum.StrEnum):
    """Why a visit seat's invitation went out (it picks the email's wording)."""

    BOOKED = "booked"
    ALLOCATED = "allocated"
    PROMOTED = "promoted"
    UPDATED = "updated"
    CANCELLED = "cancelled"
    CALLED_OFF = "called_off"  # the organizers called the visit off: its seats and its waiting list hear
    BACK_TO_WAITLIST = "back_to_waitlist"
    REPLACED = "replaced"  # a seat ranked higher came free, so this one (same block) was given up for it
    INTO_DRAW = "into_draw"  # the event switched to the allocation and its organizers released the seats
    ADDRESS_CHANGED = "address_changed"


class RegistrationEmail(TypedDict):
    """The payload of a registration email: its template, plain values for it, and (once composed) the
    convening invitation it carried."""

    template: str  # an EmailKind
    extra: dict[str, object]
    invite: NotRequired[InviteSent]


class VisitInviteExtra(TypedDict):
    method: str  # an InviteMethod
    reason: str  # an InviteReason
    was: NotRequired[str]  # "seated" or "waiting": the place when the visit was called off
    replaced: NotRequired[str]  # a promotion: the seat (visit and school) it replaces in the same block


class VisitInvitation(TypedDict):
    """The payload of a visit seat's invitation or withdrawal."""

    template: str  # always EmailKind.VISIT_INVITE
    extra: VisitInviteExtra
    place_id: int
    invite: NotRequired[InviteSent]
