"""The follow-up emails, worked out from a clock the caller gives (`now` is always passed in):

- "write", when the event ends (its last day at 17:00 in its zone, or the end of that day's last agenda
  item if later), to everyone confirmed: an invitation to write their commitments;
- "day-N" for each N of `event.followup_days`, at 09:00 in the event's zone N days after its last day,
  to those confirmed with an open commitment (planned or testing) from it: how did it go?
- "before-next", `event.followup_before_next_days` days before the next convening (09:00 in that
  convening's zone), to the same people: the next convening is coming, tell us where you are.

A reminder is owed once per person and kind: its FollowupReminder row is inserted with "on conflict do
nothing" and the email is queued only by the run whose insert made the row, in the same transaction,
so two runs at once send it once. A reminder more than STALE_AFTER late (the feature deployed on old
events, the cron stopped for weeks) is not sent: its row is recorded with no outbox message, which is
how a skipped reminder reads. Emails are composed at delivery (renderer "followup") and skipped if the
person cancelled, or has no open commitment left, by then.
"""
import enum
import logging
from bisect import bisect_right
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta
from typing import NewType, TypedDict, cast

import sqlalchemy as sa
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import joinedload

from eventhub.extensions import db
from eventhub.invites.calendar import subscription_links
from eventhub.models import (
    MAX_BEFORE_NEXT_DAYS,
    MAX_CHECK_IN_DAY,
    MAX_CHECK_INS,
    MAX_REMINDER_DAYS,
    AgendaItem,
    Commitment,
    CommitmentStatus,
    Event,
    EventKind,
    EventStatus,
    FollowupReminder,
    OutboxMessage,
    Registration,
    RegistrationStatus,
    SeatStatus,
    utcnow,
)
from eventhub.models.base import UTCDateTime
from eventhub.outbox.services import (
    Obsolete,
    Renderer,
    compose_email,
    queue_deferred,
    renderer,
)
from eventhub.registration.links import feed_token, issue_private_link
from eventhub.templating import date_range, long_date
from eventhub.timezones import at_local, local_date
from eventhub.urls import external_url
from eventhub.visits.queries import places_for

log = logging.getLogger(__name__)



class ReminderKind(enum.StrEnum):
    """The fixed kinds of reminder, as stored on FollowupReminder rows and in outbox payloads. A check-in's
    kind is "day-N" for its N days after the event (1 to MAX_CHECK_IN_DAY): see CheckInKind."""

    WRITE = "write"  # write your commitments, at the end of the event
    BEFORE_NEXT = "before-next"  # before the next convening
    BEFORE_EVENT = "before-event"  # a few days before the event itself: what to bring, when the bus leaves


# "day-30": made only by day_kind(), since each event sets its own days.
CheckInKind = NewType("CheckInKind", str)
Kind = ReminderKind | CheckInKind
WRITE = ReminderKind.WRITE
BEFORE_NEXT = ReminderKind.BEFORE_NEXT
BEFORE_EVENT = ReminderKind.BEFORE_EVENT


class FollowupEmail(TypedDict):
    """The payload of a follow-up email."""

    kind: str  # a Kind
    event_id: int
    reminder_id: int
    due_at: str  # ISO moment
    next_event_id: int | None
# The event is over at 17:00 on its last day (or when that day's programme ends, if later).
END_OF_EVENT = time(17, 0)
# Check-ins arrive at the start of a working day, in the zone of the event they are about.
CHECK_IN_TIME = time(9, 0)
# Later than this, a reminder is recorded as skipped instead of sent.
STALE_AFTER = timedelta(days=14)
# Reminders recorded and queued per transaction.
BATCH_SIZE = 200
OPEN_STATUSES = [s for s in CommitmentStatus if s.is_open]


def day_kind(days: int) -> CheckInKind:
    """The reminder kind of the check-in `days` after the event: "day-30"."""
    return CheckInKind(f"day-{days}")


def check_in_days(event: Event) -> list[int]:
    """The event's check-in days as stored, sorted, without duplicates or values out of range."""
    days = set()
    for value in event.followup_days or []:
        if isinstance(value, int) and not isinstance(value, bool) and 1 <= value <= MAX_CHECK_IN_DAY:
            days.add(value)
    return sorted(days)[:MAX_CHECK_INS]


@dataclass(frozen=True)
class Reminder:
    """One email an event owes its participants, and when."""

    kind: str
    due_at: datetime
    # The zone its date is told in (the next convening's, for "before-next").
    timezone: str
    # Day-N and before-next go only to people with an open commitment from the event.
    needs_open_commitment: bool
    next_event_id: int | None = None

    @property
    def days(self) -> int | None:
        """N of a "day-N" reminder."""
        return int(self.kind[4:]) if self.kind.startswith("day-") else None


def end_of_event(event: Event, last_item_end: datetime | None = None) -> datetime:
    """When the event is over: its last day at 17:00 local, or the end of that day's last agenda item."""
    end = at_local(event.ends_on, END_OF_EVENT, event.zone)
    return max(end, last_item_end) if last_item_end else end


def schedule(event: Event, *, last_item_end: datetime | None = None,
             next_convening: Event | None = None) -> list[Reminder]:
    """Every follow-up email the event owes, in the order they fall due (no query: a pure computation)."""
    ended = end_of_event(event, last_item_end)
    reminders = [Reminder(WRITE, ended, event.timezone, False)]
    before = event.reminder_days_before
    if before is not None and 0 <= before <= MAX_REMINDER_DAYS:
        reminders.append(Reminder(BEFORE_EVENT, at_local(event.starts_on - timedelta(days=before), CHECK_IN_TIME,
                                                         event.zone), event.timezone, False))
    for days in check_in_days(event):
        reminders.append(Reminder(day_kind(days), at_local(event.ends_on + timedelta(days=days), CHECK_IN_TIME,
                                                           event.zone),
                                  event.timezone, True))
    ahead = event.followup_before_next_days
    if next_convening is not None and ahead is not None and 0 <= ahead <= MAX_BEFORE_NEXT_DAYS:
        due = at_local(next_convening.starts_on - timedelta(days=ahead), CHECK_IN_TIME, next_convening.zone)
        if due > ended:  # a convening right after this one: the end-of-event email is enough
            reminders.append(Reminder(BEFORE_NEXT, due, next_convening.timezone, True, next_convening.id))
    return sorted(reminders, key=lambda r: (r.due_at, r.kind))


def _next_convenings(after: date) -> list[Event]:
    """Published convenings starting after the day given, in order (one query)."""
    return list(db.session.scalars(
        sa.select(Event).where(Event.kind == EventKind.CONVENING, Event.status == EventStatus.PUBLISHED,
                               Event.starts_on > after)
        .order_by(Event.starts_on, Event.id)))


def _first_after(convenings: list[Event], day: date) -> Event | None:
    """The first of the (sorted) convenings that starts after `day`."""
    index = bisect_right([c.starts_on for c in convenings], day)
    return convenings[index] if index < len(convenings) else None


def next_convening(event: Event) -> Event | None:
    """The next convening: published, of kind convening, starting after this event ends."""
    return db.session.scalar(
        sa.select(Event).where(Event.kind == EventKind.CONVENING, Event.status == EventStatus.PUBLISHED,
                               Event.starts_on > event.ends_on)
        .order_by(Event.starts_on, Event.id).limit(1))


def _last_item_ends(events: list[Event]) -> dict[int, datetime]:
    """For each event, the end of the last agenda item that starts on its last day (one query)."""
    if not events:
        return {}
    by_id = {e.id: e for e in events}
    ends: dict[int, datetime] = {}
    rows = db.session.execute(
        sa.select(AgendaItem.event_id, AgendaItem.starts_at, AgendaItem.ends_at)
        .where(AgendaItem.event_id.in_(by_id))).all()
    for event_id, starts_at, ends_at in rows:
        event = by_id[event_id]
        on_last_day = local_date(starts_at, event.zone) == event.ends_on
        if on_last_day and (event_id not in ends or ends_at > ends[event_id]):
            ends[event_id] = ends_at
    return ends


def schedules(now: datetime) -> list[tuple[Event, list[Reminder]]]:
    """The events that may owe reminders at `now`, each with its schedule (a fixed number of queries)."""
    today = local_date(now, UTC)
    oldest = today - timedelta(days=MAX_CHECK_IN_DAY + STALE_AFTER.days + 2)
    events = list(db.session.scalars(
        sa.select(Event).where(Event.status == EventStatus.PUBLISHED, Event.ends_on >= oldest,
                               Event.starts_on <= today + timedelta(days=MAX_REMINDER_DAYS + 1))
        .order_by(Event.ends_on, Event.id)))
    if not events:
        return []
    convenings = _next_convenings(min(e.ends_on for e in events))
    # Only an event that ended lately can still owe its "write" email: its agenda decides when it ended.
    recent = [e for e in events if e.ends_on >= today - timedelta(days=STALE_AFTER.days + 2)]
    last_items = _last_item_ends(recent)
    return [(event, schedule(event, last_item_end=last_items.get(event.id),
                             next_convening=_first_after(convenings, event.ends_on)))
            for event in events]


# --- sending --------------------------------------------------------------------------------------


@dataclass
class Tally:
    """What one run did (or would do) for one reminder of one event."""

    event: str
    kind: str
    due_at: datetime
    sent: int = 0
    stale: int = 0


@dataclass
class RemindReport:
    """Counts per event and kind; `errors` holds the events that could not be processed."""

    now: datetime
    dry_run: bool = False
    tallies: list[Tally] = field(default_factory=list)
    errors: dict[str, str] = field(default_factory=dict)

    @property
    def sent(self) -> int:
        return sum(t.sent for t in self.tallies)

    @property
    def stale(self) -> int:
        return sum(t.stale for t in self.tallies)

    def lines(self) -> list[str]:
        """One line per event and kind that had anyone due, then the totals."""
        send, skip = ("to send", "to skip") if self.dry_run else ("sent", "skipped")
        out = []
        for t in self.tallies:
            if t.sent or t.stale:
                parts = [f"{t.sent} {send}"]
                if t.stale:
                    parts.append(f"{t.stale} {skip} (more than {STALE_AFTER.days} days late)")
                out.append(f"{t.event} {t.kind}: {', '.join(parts)}")
        for slug, error in self.errors.items():
            out.append(f"{slug}: failed: {error}")
        total = f"{self.sent} {send}, {self.stale} {skip}"
        out.append(("Dry run, nothing sent: " if self.dry_run else "") + (total if out or self.dry_run else
                                                                           "Nothing due."))
        return out


def send_due(now: datetime, *, dry_run: bool = False, batch_size: int = BATCH_SIZE) -> RemindReport:
    """Record and queue every follow-up email due at `now`; commits after each batch.

    Safe to run from cron every hour and twice at once: each (person, kind) row is inserted with
    "on conflict do nothing", and only the run whose insert made the row queues the email.
    """
    if now.tzinfo is None:
        raise ValueError("now must be an aware datetime")
    report = RemindReport(now=now, dry_run=dry_run)
    for event, reminders in schedules(now):
        reached = [r for r in reminders if r.due_at <= now]
        if not reached:
            continue
        slug = event.slug
        try:
            _send_for_event(event, reached, now, dry_run, batch_size, report.tallies)
        except Exception as error:  # one broken event must not hold back the others' reminders
            db.session.rollback()
            log.exception("follow-up reminders of event %s failed", slug)
            report.errors[slug] = repr(error)
    return report


def _send_for_event(event: Event, reached: list[Reminder], now: datetime, dry_run: bool, batch_size: int,
                    tallies: list[Tally]) -> None:
    """The reminders of one event that are due: two queries to find who, then the batches (each counted
    in `tallies` as it commits)."""
    event_id, slug, title = event.id, event.slug, event.title
    # Everyone confirmed, with the creation time of their earliest open commitment from this event.
    people = db.session.execute(
        sa.select(Registration.id, sa.func.min(Commitment.created_at))
        .outerjoin(Commitment, sa.and_(Commitment.registration_id == Registration.id,
                                       Commitment.event_id == event_id, Commitment.status.in_(OPEN_STATUSES)))
        .where(Registration.event_id == event_id, Registration.status == RegistrationStatus.CONFIRMED)
        .group_by(Registration.id).order_by(Registration.id)).all()
    done = set(db.session.execute(
        sa.select(FollowupReminder.registration_id, FollowupReminder.kind)
        .where(FollowupReminder.event_id == event_id)).tuples())
    for reminder in reached:
        # A check-in asks about commitments that existed when it fell due, not ones written since.
        due = [rid for rid, first_open in people if (rid, reminder.kind) not in done and (
            not reminder.needs_open_commitment or (first_open is not None and first_open <= reminder.due_at))]
        tally = Tally(slug, reminder.kind, reminder.due_at)
        tallies.append(tally)
        if reminder.kind == BEFORE_EVENT and local_date(now, event.zone) > event.starts_on:
            continue  # of no use once the event is under way (nor for events held before the feature)
        # Weeks late is too late (not for the reminder before an event: it is useful until then).
        stale = reminder.kind != BEFORE_EVENT and now - reminder.due_at > STALE_AFTER
        if dry_run:
            if stale:
                tally.stale = len(due)
            else:
                tally.sent = len(due)
            continue
        for start in range(0, len(due), batch_size):
            made = _record(event_id, reminder, due[start:start + batch_size], now)
            if stale:
                tally.stale += len(made)
            else:
                _queue(event_id, title, reminder, made)
                tally.sent += len(made)
            db.session.commit()


def _insert(table):
    """INSERT with the database's "on conflict do nothing"."""
    dialect = db.session.get_bind().dialect.name
    if dialect == "postgresql":
        return postgresql.insert(table)
    if dialect == "sqlite":
        return sqlite.insert(table)
    raise RuntimeError(f"follow-up reminders need PostgreSQL or SQLite, not {dialect}")


def _record(event_id: int, reminder: Reminder, registration_ids: list[int], now: datetime) -> list[tuple[int, int]]:
    """Insert the reminder's rows for these people, if they are still due: still confirmed (and, for a
    check-in, still with an open commitment), and not recorded by another run. Returns (row id,
    registration id) of the rows this statement made: only those may be sent."""
    who = (sa.select(Registration.id, sa.literal(event_id, sa.Integer), sa.literal(reminder.kind, sa.String),
                     sa.literal(reminder.due_at, UTCDateTime), sa.literal(now, UTCDateTime))
           .where(Registration.id.in_(registration_ids), Registration.event_id == event_id,
                  Registration.status == RegistrationStatus.CONFIRMED))
    if reminder.needs_open_commitment:
        who = who.where(sa.exists().where(Commitment.registration_id == Registration.id,
                                          Commitment.event_id == event_id,
                                          Commitment.status.in_(OPEN_STATUSES),
                                          Commitment.created_at <= reminder.due_at))
    table = FollowupReminder.__table__
    statement = (_insert(table).from_select(["registration_id", "event_id", "kind", "due_at", "sent_at"], who)
                 .on_conflict_do_nothing(index_elements=["registration_id", "kind"])
                 .returning(table.c.id, table.c.registration_id))
    return [tuple(row) for row in db.session.execute(statement)]


def subject_for(reminder_kind: str, event: Event, next_event: Event | None = None) -> str:
    """The subject line of a follow-up email."""
    if reminder_kind == BEFORE_EVENT:
        return f"Soon: {event.title}, {date_range(event.starts_on, event.ends_on)}: what to bring, when to be there"
    if reminder_kind == WRITE:
        return f"What will you try after {event.title}?"
    if reminder_kind == BEFORE_NEXT and next_event is not None:
        return f"{next_event.title} is coming: where are you with what you tried?"
    days = reminder_kind.removeprefix("day-")
    return f"{days} days after {event.title}: how did it go?"


def _queue(event_id: int, title: str, reminder: Reminder, made: list[tuple[int, int]]) -> None:
    """Queue one deferred email per row just made, and note its outbox message on the row."""
    if not made:
        return
    people = {r.id: r for r in db.session.scalars(
        sa.select(Registration).where(Registration.id.in_([rid for _, rid in made])))}
    event = db.session.get_one(Event, event_id)
    next_event = db.session.get(Event, reminder.next_event_id) if reminder.next_event_id else None
    subject = subject_for(reminder.kind, event, next_event)
    queued = []
    for row_id, registration_id in made:
        registration = people[registration_id]
        payload: FollowupEmail = {"kind": reminder.kind, "event_id": event_id, "reminder_id": row_id,
                                  "due_at": reminder.due_at.isoformat(), "next_event_id": reminder.next_event_id}
        message = queue_deferred(
            kind=f"followup_{reminder.kind}"[:50], to_address=registration.email, subject=subject,
            renderer_name=Renderer.FOLLOWUP, registration=registration, payload=payload)
        queued.append((row_id, message))
    db.session.flush()
    db.session.execute(sa.update(FollowupReminder),
                       [{"id": row_id, "outbox_message_id": message.id} for row_id, message in queued])


# --- the emails -----------------------------------------------------------------------------------


def _open_commitments(registration: Registration, event_id: int) -> list[Commitment]:
    return list(db.session.scalars(
        sa.select(Commitment).where(Commitment.registration_id == registration.id, Commitment.event_id == event_id,
                                    Commitment.status.in_(OPEN_STATUSES))
        .order_by(Commitment.id)))


def _following(event: Event, kind: str, due_at: datetime) -> Reminder | None:
    """The check-in that comes after this email, if any (the event's settings as they are now)."""
    later = [r for r in schedule(event, last_item_end=_last_item_ends([event]).get(event.id),
                                 next_convening=next_convening(event))
             if r.kind not in (WRITE, BEFORE_EVENT) and r.kind != kind and r.due_at > due_at]
    return later[0] if later else None


@renderer(Renderer.FOLLOWUP)
def compose_followup(message: OutboxMessage) -> str:
    """A follow-up email as things stand at delivery, with a fresh private link; skipped (Obsolete) if the
    person cancelled, the event was called off, or a check-in has no open commitment left to ask about."""
    payload = cast(FollowupEmail, message.payload)
    registration = db.session.get(Registration, message.registration_id,
                                  options=[joinedload(Registration.event)]) if message.registration_id else None
    if registration is None:
        raise Obsolete("the registration was deleted before the reminder went out")
    if registration.status is not RegistrationStatus.CONFIRMED:
        raise Obsolete("the registration was cancelled before the reminder went out")
    event = registration.event
    if event.status is EventStatus.CANCELLED:
        raise Obsolete("the event was cancelled before the reminder went out")
    kind = payload["kind"]
    if kind == BEFORE_EVENT:
        return _compose_before_event(message, registration, event)
    due_at = datetime.fromisoformat(payload["due_at"])
    next_event = None
    commitments: list[Commitment] = []
    if kind == BEFORE_NEXT:
        next_event = db.session.get(Event, payload.get("next_event_id") or 0)
        if next_event is None or next_event.status is not EventStatus.PUBLISHED:
            raise Obsolete("the next convening was cancelled or withdrawn before the reminder went out")
    if kind != WRITE:
        commitments = _open_commitments(registration, event.id)
        if not commitments:
            raise Obsolete("no commitment is open any more (adopted, adapted, abandoned or scaled)")
    written = 0
    if kind == WRITE:
        written = db.session.execute(sa.select(sa.func.count()).select_from(Commitment).where(
            Commitment.registration_id == registration.id, Commitment.event_id == event.id)).scalar_one()
    token = issue_private_link(registration)
    following = _following(event, kind, due_at)
    context = {
        "registration": registration,
        "event": event,
        "kind": kind,
        "days": int(kind[4:]) if kind.startswith("day-") else None,
        "next_event": next_event,
        "next_event_dates": date_range(next_event.starts_on, next_event.ends_on) if next_event else None,
        "dates": date_range(event.starts_on, event.ends_on),
        "written": written,
        "items": [(c, external_url("followup.update_commitment", token=token, commitment_id=c.id))
                  for c in commitments],
        "new_url": external_url("followup.new_commitment", token=token),
        "commitments_url": external_url("followup.commitments", token=token),
        "following": following,
        "following_on": long_date(following.due_at, following.timezone) if following else None,
    }
    subject = subject_for(kind, event, next_event)
    message.subject = subject[:300]
    template = "followup/write" if kind == WRITE else "followup/checkin"
    return compose_email(to_address=message.to_address, to_name=registration.display_name, subject=subject,
                         template=template, context=context)


def _compose_before_event(message: OutboxMessage, registration: Registration, event: Event) -> str:
    """The reminder a few days before the event: each visit seat with what to bring (the photo ID its school
    accepts) and when and where to be, and the links to the personal agenda and calendar. Skipped once the
    event is under way."""
    if local_date(utcnow(), event.zone) > event.starts_on:
        raise Obsolete("the event was under way before the reminder went out")
    token = issue_private_link(registration)
    seats = [place for place in places_for(registration) if place.status is SeatStatus.CONFIRMED]
    subject = subject_for(BEFORE_EVENT, event)
    message.subject = subject[:300]
    context = {
        "registration": registration, "event": event, "dates": date_range(event.starts_on, event.ends_on),
        "seats": seats,
        "private_url": external_url("registration.private_page", token=token),
        "agenda_url": external_url("printing.personal_agenda", token=token),
        "calendar": subscription_links("invites.personal_feed", token=feed_token(registration)),
    }
    return compose_email(to_address=message.to_address, to_name=registration.display_name, subject=subject,
                         template="followup/before_event", context=context)
