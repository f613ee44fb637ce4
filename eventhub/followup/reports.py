"""What the follow-up shows the network: how many commitments stand where, how many were checked on,
who answered each reminder, and which host schools' practices spread to which districts.

Every figure is one query, whatever the number of commitments. Counting is done by the database
(GROUP BY, EXISTS); the topics of a visit are a JSON list, awkward to search the same way on SQLite and
PostgreSQL, so a topic is first turned into the ids of the visits that carry it (one query over the
visits, read here) and commitments are then filtered by those ids.
"""
import re
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any

import sqlalchemy as sa
from sqlalchemy.orm import aliased, contains_eager, joinedload

from eventhub.extensions import db
from eventhub.models import (
    Commitment,
    CommitmentStatus,
    CommitmentUpdate,
    District,
    FollowupReminder,
    Registration,
    School,
    Visibility,
    Visit,
)

OPEN = [status for status in CommitmentStatus if status.is_open]
CLOSED = [status for status in CommitmentStatus if not status.is_open]


@dataclass
class Filters:
    """Which commitments a report covers; None everywhere means every commitment of the network."""

    event_id: int | None = None
    visit_id: int | None = None
    # The district of the source visit's host school.
    host_district_id: int | None = None
    # A tag in the source visit's topics.
    topic: str | None = None
    status: CommitmentStatus | None = None

    @property
    def narrowed(self) -> bool:
        """Whether anything besides the event narrows the commitments."""
        return any(v is not None for v in (self.visit_id, self.host_district_id, self.topic, self.status))


def visits_with_topic(topic: str, event_id: int | None = None) -> list[int]:
    """The ids of the visits (of the event, if given) whose topics include `topic`: one query."""
    query = sa.select(Visit.id, Visit.topics)
    if event_id is not None:
        query = query.where(Visit.event_id == event_id)
    wanted = topic.casefold()
    return [visit_id for visit_id, topics in db.session.execute(query)
            if any(str(tag).casefold() == wanted for tag in topics or [])]


@dataclass
class Scope:
    """Filters made into conditions on Commitment (a topic already turned into visit ids)."""

    filters: Filters
    conditions: list = field(default_factory=list)

    @classmethod
    def of(cls, filters: Filters, *, topic_visits: list[int] | None = None) -> "Scope":
        """The conditions of `filters`; a topic costs one query unless its visits are given."""
        conditions = []
        if filters.event_id is not None:
            conditions.append(Commitment.event_id == filters.event_id)
        if filters.visit_id is not None:
            conditions.append(Commitment.visit_id == filters.visit_id)
        if filters.host_district_id is not None:
            conditions.append(Commitment.visit_id.in_(
                sa.select(Visit.id).join(School, School.id == Visit.school_id)
                .where(School.district_id == filters.host_district_id)))
        if filters.topic is not None:
            ids = topic_visits if topic_visits is not None else visits_with_topic(filters.topic, filters.event_id)
            conditions.append(Commitment.visit_id.in_(ids) if ids else sa.false())
        if filters.status is not None:
            conditions.append(Commitment.status == filters.status)
        return cls(filters, conditions)

    def ids(self) -> sa.Select:
        """The ids of the commitments in scope, as a subquery to filter by."""
        return sa.select(Commitment.id).where(*self.conditions)


# --- figures --------------------------------------------------------------------------------------


@dataclass
class Figures:
    """Counts by status, how many were checked on at least once, and how many are overdue."""

    counts: dict[CommitmentStatus, int] = field(default_factory=lambda: dict.fromkeys(CommitmentStatus, 0))
    with_updates: int = 0
    overdue: int = 0

    @property
    def total(self) -> int:
        return sum(self.counts.values())

    @property
    def open(self) -> int:
        """Planned or being tested."""
        return sum(self.counts[s] for s in OPEN)

    @property
    def closed(self) -> int:
        """Adopted, adapted, abandoned or scaled: no longer being tried."""
        return sum(self.counts[s] for s in CLOSED)

    @property
    def completion(self) -> float | None:
        """The share of commitments no longer open (0 to 1); None when there are none."""
        return self.closed / self.total if self.total else None

    @property
    def without_updates(self) -> int:
        return self.total - self.with_updates


def percent(share: float | None) -> str:
    """"42%" (rounded), or an en dash when there is nothing to divide."""
    return "–" if share is None else f"{round(share * 100)}%"


def figures(scope: Scope, today: date) -> Figures:
    """The counts of the commitments in scope: one query. Overdue: still open and due before `today`."""
    has_update = sa.exists().where(CommitmentUpdate.commitment_id == Commitment.id)
    late = sa.and_(Commitment.status.in_(OPEN), Commitment.test_due_on < today)
    rows = db.session.execute(
        sa.select(Commitment.status, sa.func.count(),
                  sa.func.sum(sa.case((has_update, 1), else_=0)),
                  sa.func.sum(sa.case((late, 1), else_=0)))
        .where(*scope.conditions).group_by(Commitment.status))
    found = Figures()
    for status, number, updated, overdue in rows:
        found.counts[CommitmentStatus(status)] = number
        found.with_updates += updated or 0
        found.overdue += overdue or 0
    return found


# --- reminders ------------------------------------------------------------------------------------


@dataclass
class Round:
    """One kind of reminder ("write", "day-30", ...): how many were sent, and what the people did after."""

    kind: str
    sent: int
    # Added a check-in to one of their commitments (in scope) after the reminder was sent.
    checked_in_after: int
    # Wrote a commitment (in scope) after it.
    wrote_after: int

    @property
    def label(self) -> str:
        if self.kind == "write":
            return "Invitation to write (end of the event)"
        if self.kind == "before-next":
            return "Before the next convening"
        match = re.fullmatch(r"day-(\d+)", self.kind)
        return f"{match.group(1)}-day check-in" if match else self.kind

    @property
    def response(self) -> float | None:
        """The share of people reminded who checked in afterwards."""
        return self.checked_in_after / self.sent if self.sent else None


def _round_order(kind: str) -> tuple:
    match = re.fullmatch(r"day-(\d+)", kind)
    if kind == "write":
        return (0, 0, kind)
    if match:
        return (1, int(match.group(1)), kind)
    return (2 if kind == "before-next" else 3, 0, kind)


def rounds(scope: Scope) -> list[Round]:
    """Each reminder round of the event (all events without one): one query.

    When the filters narrow the commitments (a visit, a host district, a topic, a status), only the
    reminders of people who own one of those commitments are counted.
    """
    reminder = FollowupReminder
    checked_in = sa.exists(
        sa.select(CommitmentUpdate.id).join(Commitment, Commitment.id == CommitmentUpdate.commitment_id)
        .where(Commitment.registration_id == reminder.registration_id,
               CommitmentUpdate.created_at >= reminder.sent_at, *scope.conditions))
    wrote = sa.exists(
        sa.select(Commitment.id)
        .where(Commitment.registration_id == reminder.registration_id,
               Commitment.created_at >= reminder.sent_at, *scope.conditions))
    query = sa.select(reminder.kind, sa.func.count(), sa.func.sum(sa.case((checked_in, 1), else_=0)),
                      sa.func.sum(sa.case((wrote, 1), else_=0))).where(
        reminder.kind != "before-event")  # the reminder before an event asks nothing about commitments
    if scope.filters.event_id is not None:
        query = query.where(reminder.event_id == scope.filters.event_id)
    if scope.filters.narrowed:
        query = query.where(reminder.registration_id.in_(
            sa.select(Commitment.registration_id).where(*scope.conditions)))
    found = [Round(kind, sent, after or 0, wrote_after or 0)
             for kind, sent, after, wrote_after in db.session.execute(query.group_by(reminder.kind))]
    return sorted(found, key=lambda r: _round_order(r.kind))


# --- the spread of practices ----------------------------------------------------------------------


NO_ORGANIZATION = "District not given"


@dataclass
class Adopter:
    """A district (or other organization) that took a practice up, and the statuses of its commitments."""

    name: str
    statuses: Counter = field(default_factory=Counter)

    @property
    def commitments(self) -> int:
        return sum(self.statuses.values())

    def status_rows(self) -> list[tuple[CommitmentStatus, int]]:
        """(status, commitments) in the order of the statuses, only those it has."""
        return [(status, self.statuses[status]) for status in CommitmentStatus if self.statuses[status]]


@dataclass
class Practice:
    """A host school's practice as its visit showed it, and who took it up."""

    visit_id: int
    title: str
    adopters: dict[str, Adopter] = field(default_factory=dict)

    @property
    def commitments(self) -> int:
        return sum(a.commitments for a in self.adopters.values())

    def adopter_rows(self) -> list[Adopter]:
        return sorted(self.adopters.values(), key=lambda a: (-a.commitments, a.name.casefold()))


@dataclass
class SchoolSpread:
    """One host school: its practices, and every district that took one up."""

    school_id: int
    name: str
    district: str
    practices: dict[int, Practice] = field(default_factory=dict)

    @property
    def districts(self) -> list[str]:
        """The districts (or organizations) that took up any of its practices, by name."""
        names = {name for practice in self.practices.values() for name in practice.adopters}
        return sorted(names, key=str.casefold)

    @property
    def commitments(self) -> int:
        return sum(p.commitments for p in self.practices.values())

    @property
    def statuses(self) -> Counter:
        total: Counter = Counter()
        for practice in self.practices.values():
            for adopter in practice.adopters.values():
                total.update(adopter.statuses)
        return total

    def practice_rows(self) -> list[Practice]:
        return sorted(self.practices.values(),
                      key=lambda p: (-len(p.adopters), -p.commitments, p.title.casefold(), p.visit_id))


def spread(scope: Scope) -> list[SchoolSpread]:
    """For each host school of the commitments in scope that name a visit: its practices (visit titles)
    and the owners' districts (or organizations) that took each up, with their commitments' statuses;
    the schools whose practices reached the most districts first. One query."""
    host, owner = aliased(District), aliased(District)
    columns = (School.id, School.name, host.name, host.state, Visit.id, Visit.title,
               owner.name, owner.state, Registration.other_organization, Commitment.status)
    rows = db.session.execute(
        sa.select(*columns, sa.func.count())
        .select_from(Commitment)
        .join(Visit, Visit.id == Commitment.visit_id)
        .join(School, School.id == Visit.school_id)
        .join(host, host.id == School.district_id)
        .join(Registration, Registration.id == Commitment.registration_id)
        .outerjoin(owner, owner.id == Registration.district_id)
        .where(Commitment.visit_id.isnot(None), *scope.conditions)
        .group_by(*columns))
    schools: dict[int, SchoolSpread] = {}
    for (school_id, school_name, host_name, host_state, visit_id, title, owner_name, owner_state, other,
         status, number) in rows:
        school = schools.setdefault(school_id, SchoolSpread(school_id, school_name, f"{host_name}, {host_state}"))
        practice = school.practices.setdefault(visit_id, Practice(visit_id, title))
        name = f"{owner_name}, {owner_state}" if owner_name else ((other or "").strip() or NO_ORGANIZATION)
        practice.adopters.setdefault(name, Adopter(name)).statuses[CommitmentStatus(status)] += number
    return sorted(schools.values(),
                  key=lambda s: (-len(s.districts), -s.commitments, s.name.casefold(), s.school_id))


# --- the commitments themselves -------------------------------------------------------------------


def _listed(scope: Scope) -> sa.Select:
    return (sa.select(Commitment).join(Registration, Registration.id == Commitment.registration_id)
            .where(*scope.conditions)
            .options(contains_eager(Commitment.registration).joinedload(Registration.district),
                     joinedload(Commitment.visit).joinedload(Visit.school).joinedload(School.district))
            .order_by(sa.func.lower(Registration.legal_last_name), sa.func.lower(Registration.legal_first_name),
                      Commitment.id))


def updates_of(commitment_ids) -> dict[int, list[CommitmentUpdate]]:
    """The check-ins of these commitments (a list of ids, or a subquery of them), oldest first: one query."""
    found: dict[int, list[CommitmentUpdate]] = {}
    if isinstance(commitment_ids, list) and not commitment_ids:
        return found
    for update in db.session.scalars(
            sa.select(CommitmentUpdate).where(CommitmentUpdate.commitment_id.in_(commitment_ids))
            .order_by(CommitmentUpdate.commitment_id, CommitmentUpdate.created_at, CommitmentUpdate.id)):
        found.setdefault(update.commitment_id, []).append(update)
    return found


@dataclass
class Listed:
    """A commitment with its check-ins (loaded for the whole list at once)."""

    commitment: Commitment
    updates: list[CommitmentUpdate]

    @property
    def last_update(self) -> CommitmentUpdate | None:
        return self.updates[-1] if self.updates else None

    def overdue(self, today: date) -> bool:
        c = self.commitment
        return c.status.is_open and c.test_due_on is not None and c.test_due_on < today


def commitments(scope: Scope) -> list[Listed]:
    """Every commitment in scope with its owner, source visit and check-ins, by the owner's name: two queries."""
    rows = list(db.session.scalars(_listed(scope)))
    updates = updates_of(scope.ids())
    return [Listed(c, updates.get(c.id, [])) for c in rows]


@dataclass
class Page:
    """One page of the commitments in scope."""

    rows: list[Listed]
    total: int
    number: int
    size: int

    @property
    def pages(self) -> int:
        return max((self.total + self.size - 1) // self.size, 1)


def page_of(scope: Scope, number: int, size: int = 50) -> Page:
    """One page of the commitments in scope: three queries."""
    total = db.session.execute(sa.select(sa.func.count()).select_from(scope.ids().subquery())).scalar_one()
    pages = max((total + size - 1) // size, 1)
    number = min(max(number, 1), pages)
    rows = list(db.session.scalars(_listed(scope).limit(size).offset((number - 1) * size)))
    updates = updates_of([c.id for c in rows])
    return Page([Listed(c, updates.get(c.id, [])) for c in rows], total, number, size)


# --- the export -----------------------------------------------------------------------------------


def _day(value: date | datetime | None) -> str:
    if value is None:
        return ""
    return value.strftime("%Y-%m-%d %H:%M") if isinstance(value, datetime) else value.isoformat()


# Heading -> value of a listed commitment, in the export's order.
EXPORT_COLUMNS: list[tuple[str, Callable[[Any], object]]] = [
    ("Commitment", lambda r: r.commitment.id),
    ("Owner last name", lambda r: r.commitment.registration.legal_last_name),
    ("Owner first name", lambda r: r.commitment.registration.legal_first_name),
    ("Owner preferred name", lambda r: r.commitment.registration.preferred_name),
    ("Owner email", lambda r: r.commitment.registration.email),
    ("Owner district or organization", lambda r: r.commitment.registration.organization),
    ("Source visit", lambda r: r.commitment.visit.title if r.commitment.visit else ""),
    ("Host school", lambda r: r.commitment.visit.school.name if r.commitment.visit else ""),
    ("Host district", lambda r: r.commitment.visit.school.district.label if r.commitment.visit else ""),
    ("Visit topics", lambda r: ", ".join(r.commitment.visit.topics or []) if r.commitment.visit else ""),
    ("What I saw", lambda r: r.commitment.evidence),
    ("The change I will try", lambda r: r.commitment.change_idea),
    ("Why it is new for us", lambda r: r.commitment.why_new),
    ("Test where", lambda r: r.commitment.test_where),
    ("Test with whom", lambda r: r.commitment.test_with_whom),
    ("Test starts", lambda r: _day(r.commitment.test_starts_on)),
    ("Test due", lambda r: _day(r.commitment.test_due_on)),
    ("Prediction", lambda r: r.commitment.prediction),
    ("Measure", lambda r: r.commitment.measure),
    ("Baseline", lambda r: r.commitment.baseline),
    ("Target", lambda r: r.commitment.target),
    ("Support needed", lambda r: r.commitment.support_needed),
    ("Support from", lambda r: r.commitment.support_from),
    ("Status", lambda r: r.commitment.status.value),
    ("Visibility", lambda r: r.commitment.visibility.value),
    ("Typed in by an organizer", lambda r: "yes" if r.commitment.entered_by_id else "no"),
    ("Written (UTC)", lambda r: _day(r.commitment.created_at)),
    ("Changed (UTC)", lambda r: _day(r.commitment.updated_at)),
    ("Check-ins", lambda r: len(r.updates)),
    ("Last check-in (UTC)", lambda r: _day(r.last_update.created_at) if r.last_update else ""),
    ("Last decision", lambda r: r.last_update.decision.value if r.last_update and r.last_update.decision else ""),
]


def export_table(scope: Scope) -> tuple[list[str], list[list]]:
    """The heading and rows of every commitment in scope, every field: two queries."""
    listed = commitments(scope)
    return [h for h, _ in EXPORT_COLUMNS], [[value(row) for _, value in EXPORT_COLUMNS] for row in listed]


def shared(listed: list[Listed]) -> tuple[list[Listed], int]:
    """The commitments shared with the network or the public, and how many private ones were left out."""
    kept = [row for row in listed if row.commitment.visibility is not Visibility.PRIVATE]
    return kept, len(listed) - len(kept)
