"""The registrants' management pages: the table of an event's registrants (search, filters, order, pages,
exports) and one registrant, with everything an organizer can change about them."""
from typing import Any

import sqlalchemy as sa
from flask import Response, abort, flash, redirect, render_template, request, url_for

from eventhub.accounts.access import organizer_required
from eventhub.audit import changes_since, record, snapshot
from eventhub.bounds import parse_id
from eventhub.directory.queries import member_districts
from eventhub.extensions import db
from eventhub.models import (
    AttendeeRole,
    AuditEntry,
    Commitment,
    OutboxMessage,
    Registration,
    RegistrationStatus,
    SeatStatus,
    Visit,
    VisitSeat,
    VisitStatus,
)
from eventhub.registration import bp
from eventhub.registration.forms import AttendeeForm, WalkInForm
from eventhub.registration.links import live_feed, live_links
from eventhub.registration.queries import seat_summary, waitlist_position
from eventhub.registration.registrants import (
    COLUMNS,
    DEFAULT_COLUMNS,
    Need,
    Sort,
    choice_from_args,
    districts_of,
    export_table,
    filters_from_args,
    page_of,
    visits_of,
)
from eventhub.registration.services import (
    cancel_registration,
    correct_details,
    promote_ahead_of_queue,
    register_walk_in,
    resend_confirmation,
    return_to_waitlist,
    revoke_links,
)
from eventhub.spreadsheets import csv_text, xlsx_bytes
from eventhub.visits.queries import choices_for, places_for, standings
from eventhub.visits.services import (
    LateForGuestList,
    move_to_visit,
    promote_place,
    return_place_to_waitlist,
)
from eventhub.web import event_or_404, mark_private, refusal

PAGE_SIZE = 50


@bp.get("/admin/events/<slug:slug>/registrants")
@organizer_required
def registrants(slug: str):
    """Everyone who registered, 50 a page, with search, filters and sorting."""
    event = event_or_404(slug)
    filters = filters_from_args(request.args)
    page = page_of(event, filters, choice_from_args(request.args, "page", int) or 1, PAGE_SIZE)
    args: dict[str, Any] = {k: v for k, v in request.args.items() if k != "page" and v}
    return render_template(
        "registration/admin/registrants.html", event=event, filters=filters, page=page, args=args,
        statuses=list(RegistrationStatus), roles=list(AttendeeRole), needs=list(Need), sorts=list(Sort),
        districts=districts_of(event), visits=visits_of(event), columns=COLUMNS, default_columns=DEFAULT_COLUMNS,
        page_url=lambda n: url_for("registration.registrants", slug=slug, page=n, **args),
    )


@bp.route("/admin/events/<slug:slug>/registrants/new", methods=["GET", "POST"])
@organizer_required
def new_registrant(slug: str):
    """Add someone by hand (a walk-in, a late name), also after the public form has closed: the same seat rule
    and emails as the form; a full event asks first whether they wait or get a seat beyond the capacity."""
    event = event_or_404(slug)
    form = WalkInForm()
    form.offer_districts(member_districts())
    seats = seat_summary(event)
    if not form.searched and form.validate_on_submit():
        if seats.full and not form.beyond_capacity.data:
            form.beyond_capacity.errors.append("Choose whether they wait or get a seat beyond the capacity.")
        else:
            with refusal() as refused:
                registration = register_walk_in(event, form.attendee_details(),
                                                beyond_capacity=seats.full and form.beyond_capacity.data == "seat")
            if refused:
                form.email.errors.append(refused.message)
            else:
                record("created", "registration", registration.id, registration.legal_name, event=event,
                       note="added by an organizer" + (", beyond the capacity" if seats.full and
                                                       registration.status is RegistrationStatus.CONFIRMED else ""))
                db.session.commit()
                flash(f"{registration.legal_name} is registered ({registration.status.value}) and was emailed "
                      "their private link.", "success")
                return redirect(url_for("registration.registrant", registration_id=registration.id), 303)
    return render_template("registration/admin/registration_new.html", event=event, form=form, seats=seats), \
        422 if form.errors else 200


@bp.get("/admin/events/<slug:slug>/registrants.<any(csv, xlsx):kind>")
@organizer_required
def export_registrants(slug: str, kind: str):
    """The filtered registrants with the chosen columns, as CSV or an Excel workbook."""
    event = event_or_404(slug)
    header, rows = export_table(event, filters_from_args(request.args), request.args.getlist("col"))
    name = f"{event.slug}-registrants.{kind}"
    if kind == "csv":
        body, mimetype = csv_text(header, rows).encode("utf-8-sig"), "text/csv"  # the BOM: Excel reads UTF-8
    else:
        body = xlsx_bytes(f"{event.title} registrants", header, rows)
        mimetype = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
    response = Response(body, mimetype=mimetype)
    response.headers["Content-Disposition"] = f'attachment; filename="{name}"'
    return mark_private(response)  # personal data


# --- one registrant -------------------------------------------------------------------------------------

DETAIL_FIELDS = ["legal_first_name", "legal_last_name", "preferred_name", "email", "mobile", "role", "title",
                 "district", "other_organization", "dietary", "allergies", "accessibility", "accessibility_notes",
                 "photo_consent", "emergency_contact_name", "emergency_contact_phone"]


def _registration_or_404(registration_id: int) -> Registration:
    return db.session.get(Registration, registration_id) or abort(404, "There is no such registration.")


def _detail(registration: Registration, *, error: str | None = None, status: int = 200,
            late_retry: dict | None = None):
    """The detail page, with an error notice when an action was refused."""
    event = registration.event
    places = places_for(registration, with_cancelled=True)
    live_visit_ids = {p.visit_id for p in places if p.status is not SeatStatus.CANCELLED}
    movable = [v for v in db.session.scalars(
        sa.select(Visit).where(Visit.event_id == event.id, Visit.status == VisitStatus.SCHEDULED)
        .order_by(Visit.starts_at, Visit.title)) if v.id not in live_visit_ids]
    emails = list(db.session.scalars(sa.select(OutboxMessage).where(OutboxMessage.registration_id == registration.id)
                                     .order_by(OutboxMessage.id.desc()).limit(50)))
    history = list(db.session.scalars(sa.select(AuditEntry).where(
        AuditEntry.subject_type == "registration", AuditEntry.subject_id == registration.id)
        .order_by(AuditEntry.id.desc()).limit(50)))
    return render_template(
        "registration/admin/registration.html", registration=registration, event=event, error=error,
        late_retry=late_retry,
        position=waitlist_position(registration), places=standings(places),
        choices=choices_for(registration), movable=movable, emails=emails, history=history,
        links=live_links(registration), feed=live_feed(registration),
        team=registration.team_members, team_lead=registration.team_lead,
        commitments=list(db.session.scalars(sa.select(Commitment).where(Commitment.registration_id == registration.id)
                                            .order_by(Commitment.id))),
    ), status


@bp.get("/admin/registrations/<int:registration_id>")
@organizer_required
def registrant(registration_id: int):
    """A registrant's details, places, emails and history, with the organizer's actions."""
    return _detail(_registration_or_404(registration_id))


def _act(registration: Registration, action: str, step, done: str, note: str = ""):
    """Run one change; a refused change shows the page again with the reason (409), nothing half-done."""
    before = snapshot(registration, ["status"])
    with refusal() as refused:
        step()
    if refused:
        late = isinstance(refused.error, LateForGuestList)
        return _detail(registration, error=refused.message, status=409,
                       late_retry={k: v for k, v in request.form.items() if k not in ("csrf_token", "late")}
                       if late else None)
    record(action, "registration", registration.id, registration.legal_name, event=registration.event,
           changes=changes_since(before, registration), note=note)
    db.session.commit()
    flash(done, "success")
    return redirect(url_for("registration.registrant", registration_id=registration.id), 303)


@bp.route("/admin/registrations/<int:registration_id>/edit", methods=["GET", "POST"])
@organizer_required
def edit_registration(registration_id: int):
    """Fix what the attendee got wrong, their email included."""
    registration = _registration_or_404(registration_id)
    form = AttendeeForm()
    if request.method == "GET":
        form.fill_from(registration)
    form.offer_districts(member_districts())
    if request.method == "POST" and not form.searched and form.validate_on_submit():
        before = snapshot(registration, DETAIL_FIELDS)
        with refusal() as refused:
            correct_details(registration, form.attendee_details())
        if refused:
            form.email.errors.append(refused.message)
        else:
            record("edited", "registration", registration.id, registration.legal_name, event=registration.event,
                   changes=changes_since(before, registration))
            db.session.commit()
            flash("The details are saved.", "success")
            return redirect(url_for("registration.registrant", registration_id=registration.id), 303)
    return render_template("registration/admin/registration_edit.html", registration=registration, form=form,
                           event=registration.event), 422 if form.errors else 200


def _visit_id() -> int:
    return parse_id(request.form.get("visit_id")) or abort(400, "Choose a visit.")


@bp.post("/admin/registrations/<int:registration_id>/move")
@organizer_required
def move_registration(registration_id: int):
    """Seat the registrant on another visit (or, if it is full and asked, its waiting list)."""
    registration = _registration_or_404(registration_id)
    visit_id = _visit_id()
    wait = request.form.get("wait") == "yes"
    visit = db.session.get(Visit, visit_id)
    title = visit.title if visit else "?"
    late_ok = request.form.get("late") == "yes"
    return _act(registration, "moved_to_visit",
                lambda: move_to_visit(registration, visit_id, wait=wait, late_ok=late_ok),
                f"Moved to “{title}”." if not wait else f"Seated on or waiting for “{title}”.", note=title)


@bp.post("/admin/registrations/<int:registration_id>/promote")
@organizer_required
def promote_registration(registration_id: int):
    """Give a waiting registrant a seat at the event now."""
    registration = _registration_or_404(registration_id)
    return _act(registration, "promoted", lambda: promote_ahead_of_queue(registration),
                "They have a seat now and were emailed.")


@bp.post("/admin/registrations/<int:registration_id>/waitlist")
@organizer_required
def waitlist_registration(registration_id: int):
    """Return a registrant to the end of the waiting list."""
    registration = _registration_or_404(registration_id)
    return _act(registration, "returned_to_waitlist", lambda: return_to_waitlist(registration),
                "They are back on the waiting list and were emailed; their seat went to the head of the list.")


def _place_or_404(registration: Registration, visit_id: int) -> VisitSeat:
    place = db.session.scalar(sa.select(VisitSeat).where(VisitSeat.registration_id == registration.id,
                                                         VisitSeat.visit_id == visit_id))
    return place or abort(404, "They have no place on that visit.")


@bp.post("/admin/registrations/<int:registration_id>/visits/<int:visit_id>/promote")
@organizer_required
def promote_visit_place(registration_id: int, visit_id: int):
    """Give a waiting place on a visit a seat now."""
    registration = _registration_or_404(registration_id)
    place = _place_or_404(registration, visit_id)
    late_ok = request.form.get("late") == "yes"
    return _act(registration, "promoted_on_visit", lambda: promote_place(place, late_ok=late_ok),
                f"They have a seat on “{place.visit.title}” now and were sent the invitation.", note=place.visit.title)


@bp.post("/admin/registrations/<int:registration_id>/visits/<int:visit_id>/waitlist")
@organizer_required
def waitlist_visit_place(registration_id: int, visit_id: int):
    """Return a visit seat to the end of that visit's waiting list."""
    registration = _registration_or_404(registration_id)
    place = _place_or_404(registration, visit_id)
    return _act(registration, "returned_to_visit_waitlist", lambda: return_place_to_waitlist(place),
                f"They wait for “{place.visit.title}” again; the seat is passed on as the waiting list and the "
                "school's notice allow.",
                note=place.visit.title)


@bp.post("/admin/registrations/<int:registration_id>/cancel")
@organizer_required
def cancel_registration_page(registration_id: int):
    """Cancel the registration for them; a freed seat goes to the waiting list."""
    registration = _registration_or_404(registration_id)
    if request.form.get("confirm") != "yes":
        return _detail(registration, error="Tick the box to confirm the cancellation.", status=400)
    if registration.status is RegistrationStatus.CANCELLED:
        return _detail(registration, error="This registration is already cancelled.", status=409)
    return _act(registration, "cancelled", lambda: cancel_registration(registration),
                "The registration is cancelled and they were emailed.")


@bp.post("/admin/registrations/<int:registration_id>/resend")
@organizer_required
def resend_registration(registration_id: int):
    """Send the confirmation again, with a fresh private link and calendar invitation."""
    registration = _registration_or_404(registration_id)
    return _act(registration, "confirmation_resent", lambda: resend_confirmation(registration),
                f"The confirmation is on its way to {registration.email}.")


@bp.post("/admin/registrations/<int:registration_id>/links/revoke")
@organizer_required
def revoke_registration_links(registration_id: int):
    """Stop every private link and the calendar feed of a registration (a forwarded email, a lost phone),
    and email a new link unless the organizer said not to."""
    registration = _registration_or_404(registration_id)
    send_new = request.form.get("send_new") == "yes"
    return _act(registration, "revoked_private_links", lambda: revoke_links(registration, send_new=send_new),
                "Their private links and calendar feed have stopped working."
                + (f" A new link is on its way to {registration.email}." if send_new else " No new link was sent."),
                note="a new link emailed" if send_new else "no new link sent")
