"""Writing commitments and their check-ins, and who may read which."""
from dataclasses import dataclass, fields
from datetime import date, datetime

import sqlalchemy as sa
from sqlalchemy.orm import joinedload, selectinload

from eventhub.audit import changes_since, snapshot
from eventhub.errors import DomainError
from eventhub.extensions import db
from eventhub.models import (
    Commitment,
    CommitmentStatus,
    CommitmentUpdate,
    Decision,
    Event,
    Registration,
    RegistrationStatus,
    School,
    SeatStatus,
    Visibility,
    Visit,
    VisitSeat,
    utcnow,
)

# What a check-in's decision makes of the commitment.
DECISION_STATUS = {
    Decision.ADOPT: CommitmentStatus.ADOPTED,
    Decision.ADAPT: CommitmentStatus.ADAPTED,
    Decision.ABANDON: CommitmentStatus.ABANDONED,
    Decision.SCALE: CommitmentStatus.SCALED,
}
# What an edit may change, as the audit log records it.
COMMITMENT_FIELDS = ["visit_id", "evidence", "change_idea", "why_new", "test_where", "test_with_whom",
                     "test_starts_on", "test_due_on", "prediction", "measure", "baseline", "target", "support_needed",
                     "support_from", "status", "visibility"]


class CommitmentError(DomainError):
    """The commitment cannot be saved as asked; the message says why."""


@dataclass
class CommitmentDetails:
    """The commitment sheet's answers (DOMAIN: the follow-up commitment sheet)."""

    change_idea: str
    visit_id: int | None = None
    evidence: str = ""
    why_new: str = ""
    test_where: str = ""
    test_with_whom: str = ""
    test_starts_on: date | None = None
    test_due_on: date | None = None
    prediction: str = ""
    measure: str = ""
    baseline: str = ""
    target: str = ""
    support_needed: str = ""
    support_from: str = ""
    status: CommitmentStatus | None = CommitmentStatus.PLANNED  # None: as it is (a new one: planned)
    visibility: Visibility = Visibility.PRIVATE

    @classmethod
    def of(cls, commitment: Commitment) -> "CommitmentDetails":
        return cls(**{f.name: getattr(commitment, f.name) for f in fields(cls)})


def source_visits(registration: Registration) -> list[Visit]:
    """The visits the person held a seat on at the event: the sources they can name."""
    return list(db.session.scalars(
        sa.select(Visit).join(VisitSeat)
        .where(VisitSeat.registration_id == registration.id, VisitSeat.status == SeatStatus.CONFIRMED)
        .options(joinedload(Visit.school).joinedload(School.district))
        .order_by(Visit.starts_at, Visit.id)))


def _check(registration: Registration, details: CommitmentDetails) -> None:
    if not details.change_idea.strip():
        raise CommitmentError("Write the change you will try.")
    if details.visit_id is not None:
        visit = db.session.get(Visit, details.visit_id)
        if visit is None or visit.event_id != registration.event_id:
            raise CommitmentError("Choose one of this event's visits as the source, or the event itself.")
    if details.test_starts_on and details.test_due_on and details.test_due_on < details.test_starts_on:
        raise CommitmentError("The first test must be due on or after the day it starts.")


def create_commitment(registration: Registration, details: CommitmentDetails, *, entered_by=None) -> Commitment:
    """A new commitment for the registration's owner (typed in by `entered_by`, an organizer, from paper)."""
    if registration.status is RegistrationStatus.CANCELLED and entered_by is None:
        raise CommitmentError("This registration is cancelled.")
    _check(registration, details)
    commitment = Commitment(registration=registration, event_id=registration.event_id,
                            entered_by_id=getattr(entered_by, "id", None),
                            **{f.name: getattr(details, f.name) for f in fields(details) if f.name != "status"},
                            status=details.status or CommitmentStatus.PLANNED)
    db.session.add(commitment)
    db.session.flush()
    return commitment


def edit_commitment(commitment: Commitment, details: CommitmentDetails) -> dict:
    """Change what the commitment says (its status changes through a check-in, not here, once it has one);
    returns what changed, for the audit log."""
    _check(commitment.registration, details)
    before = snapshot(commitment, COMMITMENT_FIELDS)
    for f in fields(details):
        if f.name == "status" and (details.status is None or commitment.updates):
            continue
        setattr(commitment, f.name, getattr(details, f.name))
    db.session.flush()
    return changes_since(before, commitment)


def add_update(commitment: Commitment, *, tried: str, learned: str, decision: Decision | None,
               status: CommitmentStatus | None = None, entered_by=None, now: datetime | None = None
               ) -> CommitmentUpdate:
    """A check-in: what was tried and learned; a decision sets the status (adopt: adopted ...), else the
    status given (planned or testing) or the one it had."""
    if not (tried.strip() or learned.strip() or decision or status):
        raise CommitmentError("Say what you tried, what you learned, or what you decided.")
    after = DECISION_STATUS[decision] if decision else (status or commitment.status)
    update = CommitmentUpdate(commitment=commitment, tried=tried, learned=learned, decision=decision,
                              status_before=commitment.status, status_after=after,
                              entered_by_id=getattr(entered_by, "id", None), created_at=now or utcnow())
    commitment.status = after
    db.session.add(update)
    db.session.flush()
    return update


# --- who may read what -----------------------------------------------------------------------------


def _with_context(query):
    return query.options(
        joinedload(Commitment.registration).joinedload(Registration.district),
        joinedload(Commitment.event),
        joinedload(Commitment.visit).joinedload(Visit.school).joinedload(School.district),
        selectinload(Commitment.updates),
    )


def own_commitments(registration: Registration) -> list[Commitment]:
    """Everything the person committed to, at any event, newest first (the owner sees all of theirs)."""
    same_person = sa.select(Registration.id).where(Registration.email == registration.email)
    return list(db.session.scalars(_with_context(
        sa.select(Commitment).where(Commitment.registration_id.in_(same_person)).order_by(Commitment.id.desc()))))


def is_network_member(registration: Registration) -> bool:
    """Registered (not cancelled) for one of the network's events: may read commitments shared with the network."""
    return registration.status is not RegistrationStatus.CANCELLED


def network_commitments(viewer: Registration, *, limit: int = 40) -> list[Commitment]:
    """Others' commitments shared with the network (or the public), for a network member's private page."""
    if not is_network_member(viewer):
        return []
    return list(db.session.scalars(_with_context(
        sa.select(Commitment).join(Registration, Commitment.registration_id == Registration.id)
        .where(Commitment.visibility.in_([Visibility.NETWORK, Visibility.PUBLIC]),
               Registration.email != viewer.email)
        .order_by(Commitment.updated_at.desc(), Commitment.id.desc()).limit(limit))))


def public_commitments(event: Event) -> list[Commitment]:
    """The event's commitments their owners made public, for its public page."""
    return list(db.session.scalars(_with_context(
        sa.select(Commitment).where(Commitment.event_id == event.id, Commitment.visibility == Visibility.PUBLIC)
        .order_by(Commitment.id))))


def can_read(commitment: Commitment, *, viewer: Registration | None = None, organizer: bool = False) -> bool:
    """Private: owner and organizers. Network: also network members. Public: anyone."""
    if organizer or commitment.visibility is Visibility.PUBLIC:
        return True
    if viewer is None:
        return False
    if viewer.email == commitment.registration.email:
        return True
    return commitment.visibility is Visibility.NETWORK and is_network_member(viewer)
