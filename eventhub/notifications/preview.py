"""What a change would tell people, found by making it and undoing it: the organizer's preview before a
save that emails anyone. The change runs through the same services as the real save, so the preview cannot
drift from what is sent; the rollback discards it and everything it queued."""
import hashlib
import json
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field

from eventhub.extensions import db
from eventhub.models import OutboxMessage
from eventhub.notifications.kinds import EmailKind, InviteMethod, InviteReason
from eventhub.outbox.services import queued_in_transaction

# What each email brings the people it goes to, as the preview names it ("A seat from the visit's waiting
# list: Ana García, Ben Ode").
REGISTRATION_NEWS = {
    EmailKind.REGISTRATION_UPDATED: "An updated invitation to the event",
    EmailKind.REGISTRATION_PROMOTED: "A place from the event's waiting list",
    EmailKind.REGISTRATION_MOVED: "A move to another event",
    EmailKind.REGISTRATION_BACK_TO_WAITLIST: "Back to the event's waiting list",
    EmailKind.REGISTRATION_CANCELLED: "Their registration cancelled",
    EmailKind.EVENT_CANCELLED: "The event called off",
    EmailKind.VISIT_ALLOCATED: "The visits the draw gave them",
    EmailKind.TEAM_SPLIT_OFFER: "A question to a waiting team's lead: split the team?",
}
VISIT_NEWS = {
    InviteReason.UPDATED: "An updated invitation to the visit",
    InviteReason.PROMOTED: "A seat from the visit's waiting list",
    InviteReason.BOOKED: "A seat on the visit",
    InviteReason.ALLOCATED: "A seat on the visit",
    InviteReason.REPLACED: "A seat given up for one they ranked higher",
    InviteReason.BACK_TO_WAITLIST: "Back to the visit's waiting list",
    InviteReason.CANCELLED: "Their seat on the visit withdrawn",
    InviteReason.CALLED_OFF: "The visit called off",
    InviteReason.INTO_DRAW: "Their place put back into the draw",
    InviteReason.ADDRESS_CHANGED: "Their invitation at a new address",
}
NAMES_SHOWN = 12  # a longer group is named in part: "… and 40 more"


@dataclass
class Group:
    """The people one kind of news goes to."""

    news: str
    names: list[str] = field(default_factory=list)

    @property
    def count(self) -> int:
        return len(self.names)

    @property
    def shown(self) -> list[str]:
        return self.names[:NAMES_SHOWN]

    @property
    def more(self) -> int:
        return max(self.count - NAMES_SHOWN, 0)


@dataclass
class Preview:
    """What a change would do: the fields it changes ({name: [before, after]} as the audit log keeps them)
    and who would hear of it, grouped by what they hear, each person named once a group."""

    changes: dict[str, list[str]] = field(default_factory=dict)
    groups: list[Group] = field(default_factory=list)
    emails: int = 0  # how many messages the change would queue (one person may get several)

    @property
    def digest(self) -> str:
        """A short fingerprint of what the preview shows. The page sends it back with the organizer's yes;
        a save whose preview now comes out different (the form was changed on that page, or registrations
        moved meanwhile) is shown again instead of saved."""
        shown = [sorted(self.changes.items()), [(g.news, g.names) for g in self.groups], self.emails]
        return hashlib.sha256(json.dumps(shown, ensure_ascii=False).encode()).hexdigest()[:32]

    def agreed(self, answer: str | None) -> bool:
        """Whether the organizer's yes was given to this very preview (or there is nobody to ask about)."""
        return self.emails == 0 or answer == self.digest


def news_of(message: OutboxMessage) -> str:
    """What the message brings its reader, in the preview's words."""
    if message.kind == EmailKind.VISIT_INVITE:
        extra = (message.payload or {}).get("extra", {})
        reason = extra.get("reason")
        if reason in VISIT_NEWS:
            return VISIT_NEWS[InviteReason(reason)]
        return "The visit withdrawn from their calendar" if extra.get("method") == InviteMethod.CANCEL \
            else "An invitation to the visit"
    if message.kind in REGISTRATION_NEWS:
        return REGISTRATION_NEWS[EmailKind(message.kind)]
    return f"An email: {message.subject or message.kind}"


def group_messages(messages: list[OutboxMessage]) -> list[Group]:
    """The messages by what they tell, in the order first queued; each person named once a group."""
    groups: dict[str, Group] = {}
    seen: set[tuple[str, object]] = set()
    for message in messages:
        news = news_of(message)
        person = message.registration.id if message.registration is not None else message.to_address
        if (news, person) in seen:
            continue
        seen.add((news, person))
        name = message.registration.display_name if message.registration is not None else message.to_address
        groups.setdefault(news, Group(news)).names.append(name)
    return list(groups.values())


@contextmanager
def trial() -> Iterator[Preview]:
    """Make a change inside the block to see what it would do, then undo all of it: nothing it wrote stays
    and nothing it queued is sent. The preview is filled once the block ends; a refusal in the block
    undoes the change and goes on up."""
    if db.session.new or db.session.dirty or db.session.deleted or queued_in_transaction():
        raise RuntimeError("a trial undoes its whole transaction: start it before writing anything")
    preview = Preview()
    try:
        yield preview
        db.session.flush()
        messages = queued_in_transaction()
        preview.groups, preview.emails = group_messages(messages), len(messages)
    finally:
        db.session.rollback()
