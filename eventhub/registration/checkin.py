"""Check-in on the day, from a phone: at the event's door (organizers) and on a visit's bus or at its school
(organizers, and the host coordinators of that school's district).

The pages work without JavaScript: the search is a GET form filtered here, each button a POST that comes back
(303) to the list with the same search. With static/js/checkin.js the list narrows as one types and the
buttons post with fetch(), asking for JSON ({checked_in, count, total}) instead of the redirect.
"""
from dataclasses import dataclass
from typing import cast

import sqlalchemy as sa
from flask import abort, flash, jsonify, redirect, render_template, request, url_for
from flask_login import current_user, login_required
from sqlalchemy.engine import CursorResult
from sqlalchemy.orm import joinedload

from eventhub import audit
from eventhub.accounts.access import is_organizer, organizer_required
from eventhub.errors import DomainError
from eventhub.extensions import db
from eventhub.models import (
    Event,
    Registration,
    RegistrationStatus,
    School,
    SeatStatus,
    Visit,
    VisitSeat,
    VisitStatus,
    utcnow,
)
from eventhub.registration import bp
from eventhub.registration.registrants import Filters, filtered
from eventhub.web import event_or_404, refusal, visible_visit_or_404

ACTIONS = ("in", "undo")


class Refused(DomainError):
    """A check-in that cannot be done, with its HTTP status and the reason in words."""

    def __init__(self, code: int, message: str):
        super().__init__(message, status=code)


@dataclass
class Counts:
    """How many of the people on the list have checked in."""

    count: int
    total: int


def _search(values) -> str:
    """The search as typed, spaces tidied, at most 100 characters (the registrants table's rule)."""
    return " ".join(values.get("q", "").split())[:100]


def _wants_json() -> bool:
    """The page's script asks for JSON; a plain form submission asks for HTML."""
    return request.accept_mimetypes.best_match(["text/html", "application/json"]) == "application/json"


def _refusal(refused: DomainError):
    if _wants_json():
        return jsonify(error=refused.message), refused.status
    abort(refused.status, refused.message)


def _action() -> str:
    action = request.form.get("action", "")
    if action not in ACTIONS:
        raise Refused(400, "Say what to do: action=in to check someone in, action=undo to undo it.")
    return action


def _mark(model, row_id: int, action: str, *conditions) -> bool:
    """Set or clear checked_in_at in one UPDATE, only if it changes: True when this request changed it.

    Two phones checking in the same person at once change it once, and log it once."""
    if action == "in":
        statement = (sa.update(model).where(model.id == row_id, model.checked_in_at.is_(None), *conditions)
                     .values(checked_in_at=utcnow()))
    else:
        statement = sa.update(model).where(model.id == row_id, model.checked_in_at.isnot(None)).values(
            checked_in_at=None)
    if model is Registration:
        # Arriving is not a change of the person's details: updated_at (their calendar feed's stamp) stays.
        statement = statement.values(updated_at=Registration.updated_at)
    result = db.session.execute(statement, execution_options={"synchronize_session": False})
    return cast(CursorResult, result).rowcount == 1  # an UPDATE's result is a CursorResult


def _answer(*, checked_in: bool, changed: bool, counts: Counts, name: str, back: str):
    """JSON for the page's script, else a message and the list again (303, so a reload does not post)."""
    if _wants_json():
        return jsonify(checked_in=checked_in, changed=changed, count=counts.count, total=counts.total)
    if checked_in:
        message = f"{name} is checked in." if changed else f"{name} was already checked in."
    else:
        message = f"{name} is no longer checked in." if changed else f"{name} was not checked in."
    flash(message, "success")
    return redirect(back, code=303)


def _back(endpoint: str, registration_id: int, **values) -> str:
    """The list the button was on, with the same search, scrolled to the person."""
    return url_for(endpoint, q=_search(request.form) or None, **values) + f"#person-{registration_id}"


# --- the event's door ------------------------------------------------------------------------------


def _event_counts(event: Event) -> Counts:
    count, total = db.session.execute(
        sa.select(sa.func.count(Registration.checked_in_at), sa.func.count(Registration.id))
        .where(Registration.event_id == event.id, Registration.status == RegistrationStatus.CONFIRMED)).one()
    return Counts(count, total)


@bp.get("/admin/events/<slug:slug>/check-in")
@organizer_required
def event_check_in(slug: str):
    """The confirmed registrants by last name, each with a button to check them in at the door."""
    event = event_or_404(slug)
    q = _search(request.args)
    people = db.session.scalars(
        filtered(event, Filters(q=q, status=RegistrationStatus.CONFIRMED))
        .options(joinedload(Registration.district)))
    rows = [(r, r.checked_in_at) for r in people]
    visits = list(db.session.scalars(
        sa.select(Visit).where(Visit.event_id == event.id, Visit.status == VisitStatus.SCHEDULED)
        .options(joinedload(Visit.school).joinedload(School.district))
        .order_by(Visit.starts_at, Visit.title, Visit.id)))
    return render_template(
        "registration/admin/checkin.html", event=event, visit=None, visits=visits, q=q, rows=rows,
        counts=_event_counts(event), list_url=url_for("registration.event_check_in", slug=slug),
        post_url=lambda r: url_for("registration.event_check_in_person", slug=slug, registration_id=r.id),
    )


@bp.post("/admin/events/<slug:slug>/check-in/<int:registration_id>")
@organizer_required
def event_check_in_person(slug: str, registration_id: int):
    """Check one confirmed registrant in at the door (action=in), or undo it (action=undo)."""
    event = event_or_404(slug)
    with refusal() as refused:
        action = _action()
        registration = db.session.get(Registration, registration_id)
        if registration is None or registration.event_id != event.id:
            raise Refused(404, "This person is not registered for this event.")
        if action == "in" and registration.status is not RegistrationStatus.CONFIRMED:
            raise Refused(409, f"{registration.display_name} cannot be checked in: their registration is "
                               f"{registration.status.value}, not confirmed.")
        changed = _mark(Registration, registration.id, action, Registration.status == RegistrationStatus.CONFIRMED)
        db.session.refresh(registration)
        if action == "in" and registration.checked_in_at is None:  # cancelled between the read and the UPDATE
            raise Refused(409, f"{registration.display_name} cannot be checked in: their registration is "
                               f"{registration.status.value}, not confirmed.")
    if refused.error:
        return _refusal(refused.error)
    assert registration is not None  # the block ran to its end: a missing registration was refused in it
    if changed:
        audit.record("checked_in" if action == "in" else "check_in_undone", "registration", registration.id,
                     registration.legal_name, event=event)
    db.session.commit()
    return _answer(checked_in=registration.checked_in_at is not None, changed=changed,
                   counts=_event_counts(event), name=registration.display_name,
                   back=_back("registration.event_check_in", registration.id, slug=slug))


# --- a visit's bus or school -----------------------------------------------------------------------


def _visit_counts(visit: Visit) -> Counts:
    count, total = db.session.execute(
        sa.select(sa.func.count(VisitSeat.checked_in_at), sa.func.count(VisitSeat.id))
        .where(VisitSeat.visit_id == visit.id, VisitSeat.status == SeatStatus.CONFIRMED)).one()
    return Counts(count, total)


@bp.get("/admin/events/<slug:slug>/visits/<int:visit_id>/check-in")
@login_required
def visit_check_in(slug: str, visit_id: int):
    """The people with a seat on the visit by last name, each with a button: on the bus, at the school."""
    event = event_or_404(slug)
    visit = visible_visit_or_404(event, visit_id)
    q = _search(request.args)
    rows = db.session.execute(
        filtered(event, Filters(q=q))
        .join(VisitSeat, VisitSeat.registration_id == Registration.id)
        .where(VisitSeat.visit_id == visit.id, VisitSeat.status == SeatStatus.CONFIRMED)
        .add_columns(VisitSeat.checked_in_at)
        .options(joinedload(Registration.district))).all()
    return render_template(
        "registration/admin/checkin.html", event=event, visit=visit, visits=[], q=q, rows=rows,
        counts=_visit_counts(visit), is_organizer=is_organizer(current_user),
        list_url=url_for("registration.visit_check_in", slug=slug, visit_id=visit.id),
        post_url=lambda r: url_for("registration.visit_check_in_person", slug=slug, visit_id=visit.id,
                                   registration_id=r.id),
    )


@bp.post("/admin/events/<slug:slug>/visits/<int:visit_id>/check-in/<int:registration_id>")
@login_required
def visit_check_in_person(slug: str, visit_id: int, registration_id: int):
    """Check someone with a seat in on the visit (action=in), or undo it (action=undo)."""
    event = event_or_404(slug)
    visit = visible_visit_or_404(event, visit_id)
    with refusal() as refused:
        action = _action()
        seat = db.session.scalar(
            sa.select(VisitSeat).where(VisitSeat.visit_id == visit.id, VisitSeat.registration_id == registration_id)
            .options(joinedload(VisitSeat.registration)))
        if seat is None:
            raise Refused(404, "This person is not on this visit.")
        name = seat.registration.display_name
        if action == "in" and seat.status is not SeatStatus.CONFIRMED:
            where = "on its waiting list" if seat.status is SeatStatus.WAITLISTED else "no longer on it"
            raise Refused(409, f"{name} cannot be checked in on this visit: they are {where}, without a seat.")
        changed = _mark(VisitSeat, seat.id, action, VisitSeat.status == SeatStatus.CONFIRMED)
        db.session.refresh(seat)
        if action == "in" and seat.checked_in_at is None:  # the seat was given up between the read and the UPDATE
            raise Refused(409, f"{name} cannot be checked in on this visit: they no longer have a seat.")
    if refused.error:
        return _refusal(refused.error)
    assert seat is not None  # the block ran to its end: a missing seat was refused in it
    registration = seat.registration
    if changed:
        audit.record("checked_in" if action == "in" else "check_in_undone", "registration", registration.id,
                     registration.legal_name, event=event, note=visit.title)
    db.session.commit()
    return _answer(checked_in=seat.checked_in_at is not None, changed=changed, counts=_visit_counts(visit),
                   name=name, back=_back("registration.visit_check_in", registration.id, slug=slug,
                                         visit_id=visit.id))
