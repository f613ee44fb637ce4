"""The visits' management pages: the event's visits (create, edit, call off), each school's rules for
visitors, the fair allocation of visit seats (preview with a recorded seed, then commit exactly that), and
each visit's guest list for the host school's visitor system."""
from datetime import date

import sqlalchemy as sa
from flask import Response, abort, flash, redirect, render_template, request, url_for
from flask_login import current_user, login_required
from wtforms.fields.choices import SelectChoice

from eventhub.accounts.access import is_organizer, organizer_required
from eventhub.audit import changes_since, record, snapshot
from eventhub.editing import EditConflict
from eventhub.events.forms import day_choices
from eventhub.extensions import db
from eventhub.fields import carry_version
from eventhub.models import (
    AgendaKind,
    District,
    Event,
    School,
    Transport,
    Visit,
    VisitAllocation,
    VisitAllocationMode,
    VisitSeat,
    VisitStatus,
    utcnow,
)
from eventhub.notifications.preview import trial
from eventhub.timezones import at_local, local_parts
from eventhub.visits import bp
from eventhub.visits.allocation import (
    commit_allocation,
    new_seed,
    open_blocks,
    plan_allocation,
    record_preview,
    report_summary,
)
from eventhub.visits.forms import HostRulesForm, VisitForm
from eventhub.visits.handoff import guest_list_csv
from eventhub.visits.queries import taken_seats
from eventhub.visits.services import (
    RULE_FIELDS,
    SEAT_LIMITS,
    VisitFieldError,
    cancel_visit,
    change_school_rules,
    check_block_move,
    check_times,
    create_visit,
    edit_visit,
    told_if_called_off,
)
from eventhub.web import (
    event_or_404,
    mark_private,
    part_of_event_or_404,
    refusal,
    visible_visit_or_404,
)

VISIT_FIELDS = ["title", "school", "focus", "topics", "block_id", "starts_at", "ends_at", "meets_at",
                "bus_departs_at", "meeting_point", "transport", "host_contact_name", "host_contact_email",
                "host_contact_phone", "lunch_provided", "seats_override", "buses", "room_limit", "observation_groups",
                "group_size", "status"]

bp.add_app_template_global(report_summary, "allocation_summary")


# --- visits ------------------------------------------------------------------------------------------


@bp.get("/admin/events/<slug:slug>/visits")
@organizer_required
def visits(slug: str):
    """The event's visits with their seats, waiting lists and host rules."""
    event = event_or_404(slug)
    counts = {(visit_id, status): n for visit_id, status, n in db.session.execute(
        sa.select(VisitSeat.visit_id, VisitSeat.status, sa.func.count()).join(Visit)
        .where(Visit.event_id == event.id).group_by(VisitSeat.visit_id, VisitSeat.status))}
    unread = {v.school_id: v.school for v in event.visits if v.school.accepted_ids_unread}
    return render_template("visits/admin/visits.html", event=event, counts=counts, unread=list(unread.values()))


def _visit_form(event: Event, visit: Visit | None = None) -> VisitForm:
    form = VisitForm(obj=visit if request.method == "GET" else None)
    # Schools in use of the event's hosts and of member districts that can host, and the visit's own school.
    hosts = [d.id for d in event.hosts]
    schools = db.session.scalars(sa.select(School).join(District).where(sa.or_(
        sa.and_(School.archived_at.is_(None), District.can_host,
                sa.or_(District.is_member.is_(True), District.id.in_(hosts))),
        School.id == (visit.school_id if visit else 0))).order_by(District.name, School.name))
    form.school_id.choices = [SelectChoice(s.id, f"{s.name} ({s.district.name})") for s in schools]
    blocks = [i for i in event.agenda_items if i.kind is AgendaKind.VISIT_BLOCK]
    form.block_id.choices = [SelectChoice(0, "None (a visit on its own)")] + [
        SelectChoice(b.id, f"{b.title}, {b.starts_at.astimezone(event.zone):%a %-d %b %H:%M}") for b in blocks]
    form.day.choices = day_choices(event)
    if request.method == "GET" and visit is not None:
        day, form.starts.data = local_parts(visit.starts_at, event.timezone)
        form.day.data = day.isoformat()
        form.ends.data = local_parts(visit.ends_at, event.timezone)[1]
        form.bus_departs.data = local_parts(visit.bus_departs_at, event.timezone)[1] if visit.bus_departs_at else None
        form.meets.data = local_parts(visit.meets_at, event.timezone)[1] if visit.meets_at else None
        form.topics.data = ", ".join(visit.topics)
        form.block_id.data = visit.block_id or 0
        form.transport.data = visit.transport.value
    return form


def _visit_values(form: VisitForm, event: Event) -> dict:
    day = date.fromisoformat(form.day.data)
    return dict(
        title=form.title.data, school=db.session.get(School, form.school_id.data), focus=form.focus.data,
        topics=form.topic_list, starts_at=at_local(day, form.starts.data, event.timezone),
        ends_at=at_local(day, form.ends.data, event.timezone),
        bus_departs_at=at_local(day, form.bus_departs.data, event.timezone) if form.bus_departs.data else None,
        meets_at=at_local(day, form.meets.data, event.timezone) if form.meets.data else None,
        meeting_point=form.meeting_point.data, transport=Transport(form.transport.data),
        host_contact_name=form.host_contact_name.data, host_contact_email=form.host_contact_email.data,
        host_contact_phone=form.host_contact_phone.data, lunch_provided=form.lunch_provided.data,
    )


def _show_on_field(form: VisitForm, error) -> None:
    """A refused visit shown on the field to fix: its times on theirs, anything else on the block."""
    field = getattr(form, error.field) if isinstance(error, VisitFieldError) else form.block_id
    field.errors = [*field.errors, error.message]


def _limits(form: VisitForm) -> dict:
    return {name: getattr(form, name).data for name in SEAT_LIMITS}


def _school_or_400(values: dict) -> None:
    if values["school"] is None:
        abort(400, "Choose a host school from the list.")


@bp.route("/admin/events/<slug:slug>/visits/new", methods=["GET", "POST"])
@organizer_required
def new_visit(slug: str):
    """A visit to a host school, in a visit block of the agenda or on its own."""
    event = event_or_404(slug)
    form = _visit_form(event)
    if form.validate_on_submit():
        values = _visit_values(form, event)
        _school_or_400(values)
        with refusal() as refused:
            visit = create_visit(event, block_id=form.block_id.data or None, **values, **_limits(form))
        if refused:
            _show_on_field(form, refused.error)
        else:
            record("created", "visit", visit.id, visit.title, event=event)
            db.session.commit()
            flash(f"“{visit.title}” is saved. Seats: {visit.seats_basis}.", "success")
            return redirect(url_for("visits.visits", slug=slug))
    return render_template("visits/admin/visit_form.html", event=event, visit=None, form=form), \
        422 if form.errors else 200


@bp.route("/admin/events/<slug:slug>/visits/<int:visit_id>", methods=["GET", "POST"])
@organizer_required
def edit_visit_page(slug: str, visit_id: int):
    """Change a visit. When saving would email anyone (a new time or place for those seated, a seat for
    those waiting), the page first says what changes and who hears of it, and saves on a second click."""
    event = event_or_404(slug)
    visit = part_of_event_or_404(Visit, visit_id, event, "visit")
    form = _visit_form(event, visit)
    seated = taken_seats(visit)
    if form.validate_on_submit():
        values = _visit_values(form, event)
        _school_or_400(values)
        block_id = form.block_id.data or None
        with refusal() as refused:
            check_block_move(visit, block_id)
            check_times(values)
        if refused:
            _show_on_field(form, refused.error)
        else:
            opened = form.version.data or 0  # no version (a tab from before versions): as if stale
            with refusal() as refused, trial() as preview:
                before = snapshot(visit, VISIT_FIELDS)
                edit_visit(visit, block_id=block_id, limits=_limits(form), opened_version=opened, **values)
                preview.changes = changes_since(before, visit)
            if not refused and not preview.agreed(request.form.get("confirm")):  # a refusal: the save says it
                return render_template("visits/admin/visit_form.html", event=event, visit=visit, form=form,
                                       preview=preview, seated=seated)
            before = snapshot(visit, VISIT_FIELDS)
            with refusal() as refused:
                told, promoted = edit_visit(visit, block_id=block_id, limits=_limits(form), opened_version=opened,
                                            **values)
            if isinstance(refused.error, EditConflict):
                carry_version(form.version, refused.error.version)
                return render_template("visits/admin/visit_form.html", event=event, visit=visit, form=form,
                                       seated=taken_seats(visit), conflict=refused.error), 409
            if refused:
                flash(refused.message, "error")
                return redirect(url_for("visits.edit_visit_page", slug=slug, visit_id=visit_id))
            record("edited", "visit", visit.id, visit.title, event=event, changes=changes_since(before, visit),
                   note="; ".join(filter(None, [f"{told} attendees notified" if told else "",
                                               f"{len(promoted)} promoted from the waiting list" if promoted
                                               else ""])))
            db.session.commit()
            message = "Saved."
            if told:
                message += f" {told} attendee{'s were' if told != 1 else ' was'} sent an updated invitation."
            if promoted:
                message += f" {len(promoted)} from the waiting list got a seat and were emailed."
            flash(message, "success")
            return redirect(url_for("visits.visits", slug=slug))
    return render_template("visits/admin/visit_form.html", event=event, visit=visit, form=form, seated=seated), \
        422 if form.errors else 200


@bp.route("/admin/events/<slug:slug>/visits/<int:visit_id>/cancel", methods=["GET", "POST"])
@organizer_required
def cancel_visit_page(slug: str, visit_id: int):
    """Call a visit off after saying how many messages that queues: one to each seat holder (the visit
    leaves their calendar) and one to each person on its waiting list."""
    event = event_or_404(slug)
    visit = part_of_event_or_404(Visit, visit_id, event, "visit")
    if visit.status is VisitStatus.CANCELLED:
        abort(409, "This visit is already cancelled.")
    if request.method == "POST":
        if request.form.get("confirm") != "yes":
            abort(400, "Tick the box to confirm that the visit is called off.")
        queued = cancel_visit(visit)
        record("cancelled", "visit", visit.id, visit.title, event=event,
               changes={"status": ["scheduled", "cancelled"]}, note=f"{queued} messages queued")
        db.session.commit()
        flash(f"“{visit.title}” is called off; {messages_phrase(queued)} queued, one to each person who held a "
              "seat or waited for one.", "success")
        return redirect(url_for("visits.visits", slug=slug))
    seated, waiting = told_if_called_off(visit)
    return render_template("visits/admin/cancel_visit.html", event=event, visit=visit, seated=seated,
                           waiting=waiting, back=url_for("visits.visits", slug=slug))


def messages_phrase(count: int) -> str:
    """"1 message", "3 messages"."""
    return f"{count} message{'s' if count != 1 else ''}"


# --- host rules --------------------------------------------------------------------------------------


def can_edit_school(user, school: School) -> bool:
    """Organizers edit any school's rules; a host coordinator those of their own district's schools."""
    return is_organizer(user) or (user.district_id is not None and school.district_id == user.district_id)


@bp.route("/admin/schools/<int:school_id>/rules", methods=["GET", "POST"])
@login_required
def school_rules(school_id: int):
    """What the school asks of visitors: shown on its visits before anyone picks one, and stated in the
    invitations of those seated. When a stated rule changes, the page first says what changes and which
    seated attendees will get an updated invitation, and saves on a second click."""
    school = db.session.get(School, school_id) or abort(404, "There is no such school.")
    if not can_edit_school(current_user, school):
        abort(403, "Only the organizers and this district's host coordinators can change its rules.")
    form = HostRulesForm(obj=school)
    if form.validate_on_submit():
        values = {name: getattr(form, name).data for name in RULE_FIELDS}
        with trial() as preview:
            before = snapshot(school, list(RULE_FIELDS))
            change_school_rules(school, **values)
            preview.changes = changes_since(before, school)
        if not preview.agreed(request.form.get("confirm")):
            return render_template("visits/admin/school_rules.html", school=school, form=form, preview=preview)
        before = snapshot(school, list(RULE_FIELDS))
        told = change_school_rules(school, **values)
        changes = changes_since(before, school)
        if changes:
            record("edited", "school", school.id, school.name, changes=changes,
                   note=f"{told} attendees notified" if told else "")
        db.session.commit()
        message = f"The rules for visitors to {school.name} are saved."
        if told:
            message += f" {told} attendee{'s were' if told != 1 else ' was'} sent an updated invitation."
        flash(message, "success")
        back = request.args.get("back") or ""
        return redirect(back if back.startswith("/admin/") else url_for("accounts.home"))
    return render_template("visits/admin/school_rules.html", school=school, form=form), 422 if form.errors else 200


# --- the fair allocation and the guest lists -----------------------------------------------------------


def _history(event):
    return list(db.session.scalars(sa.select(VisitAllocation).where(VisitAllocation.event_id == event.id)
                                   .order_by(VisitAllocation.id.desc()).limit(30)))


@bp.get("/admin/events/<slug:slug>/allocation")
@organizer_required
def allocation(slug: str):
    """Where the event's visit seats stand: first come, or waiting for (or done by) a fair allocation."""
    event = event_or_404(slug)
    lottery = event.visit_allocation is VisitAllocationMode.LOTTERY
    return render_template("visits/admin/allocation.html", event=event, lottery=lottery, plan=None,
                           blocks=open_blocks(event) if lottery else [], history=_history(event),
                           choices_open=bool(event.choices_close_at and utcnow() < event.choices_close_at))


@bp.post("/admin/events/<slug:slug>/allocation/preview")
@organizer_required
def preview_allocation(slug: str):
    """Work the allocation out with a new seed (or the one given) and show its report; nothing is seated."""
    event = event_or_404(slug)
    if event.visit_allocation is not VisitAllocationMode.LOTTERY:
        abort(409, "This event gives visit seats first come, first served: there is nothing to allocate.")
    typed = request.form.get("seed", "").strip()
    if typed and not (typed.isascii() and typed.isdigit() and len(typed) <= 12):
        abort(400, "A seed is a whole number of at most twelve digits: type it again, or leave it empty.")
    seed = int(typed) if typed else new_seed()
    plan = plan_allocation(event, seed)
    if not plan.blocks:
        abort(409, "Every visit block of this event is already allocated.")
    record_preview(event, plan)
    record("previewed_allocation", "event", event.id, event.title, event=event, note=f"seed {seed}")
    db.session.commit()
    return render_template("visits/admin/allocation.html", event=event, lottery=True, plan=plan,
                           blocks=[b.block for b in plan.blocks], history=_history(event),
                           choices_open=bool(event.choices_close_at and utcnow() < event.choices_close_at))


@bp.post("/admin/events/<slug:slug>/allocation/commit")
@organizer_required
def commit_allocation_page(slug: str):
    """Seat everyone exactly as the preview with this seed said, and email them; refused if anything changed."""
    event = event_or_404(slug)
    seed = request.form.get("seed", type=int)
    if seed is None:
        abort(400, "Commit the allocation you previewed: its seed is missing.")
    with refusal() as refused:
        plan = commit_allocation(event, seed)
    if refused:
        flash(refused.message, "error")
        return render_template("visits/admin/allocation.html", event=event, lottery=True, plan=None,
                               blocks=open_blocks(event), history=_history(event), choices_open=False), 409
    seated = sum(len(b.assigned) for b in plan.blocks)
    record("committed_allocation", "event", event.id, event.title, event=event,
           note=f"seed {seed}: {seated} seats given")
    db.session.commit()
    flash(f"The allocation with seed {seed} is committed: {seated} seats given; everyone was emailed.", "success")
    return redirect(url_for("visits.allocation", slug=slug), 303)


@bp.get("/admin/events/<slug:slug>/visits/<int:visit_id>/guest-list.csv")
@login_required
def guest_list(slug: str, visit_id: int):
    """The guests of one visit for the school's visitor system (screening data only where it collects it)."""
    event = event_or_404(slug)
    visit = visible_visit_or_404(event, visit_id)
    response = Response(guest_list_csv(visit).encode("utf-8-sig"), mimetype="text/csv")
    response.headers["Content-Disposition"] = f'attachment; filename="{event.slug}-visit-{visit.id}-guests.csv"'
    return mark_private(response)  # personal data
