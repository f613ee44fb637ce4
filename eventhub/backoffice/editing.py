"""Setting events up: the event itself (create, edit, publish, cancel, clone), its agenda, its visits,
and the host rules of the schools. Changes that move people's plans say first how many will be told."""
from datetime import UTC, date

import sqlalchemy as sa
from flask import abort, flash, redirect, render_template, request, url_for
from flask_login import current_user, login_required
from wtforms.fields.choices import SelectChoice

from eventhub.accounts.access import is_organizer, organizer_required
from eventhub.backoffice import bp
from eventhub.web import event_or_404
from eventhub.audit import changes_since, record, snapshot
from eventhub.backoffice.forms import AgendaItemForm, CloneForm, EventForm, HostRulesForm, VisitForm
from eventhub.backoffice.setup import (
    SetupError,
    at_local,
    clashes_with,
    clone_event,
    event_days,
    local_parts,
    next_season_start,
    room_clashes,
    slug_is_free,
)
from eventhub.extensions import db
from eventhub.locking import lock_event
from eventhub.models import (
    AgendaItem,
    AgendaKind,
    District,
    Event,
    EventKind,
    EventStatus,
    Registration,
    RegistrationStatus,
    School,
    SeatStatus,
    Transport,
    Visit,
    VisitAllocationMode,
    VisitSeat,
    VisitStatus,
)
from eventhub.registration.services import RegistrationError, cancel_event, update_event_details
from eventhub.visits.services import CALENDAR_FIELDS, VisitError, cancel_visit, change_seats, update_visit

EVENT_FIELDS = ["title", "slug", "kind", "summary", "venue_name", "venue_address", "timezone", "starts_on",
                "ends_on", "capacity", "registration_opens_at", "registration_closes_at", "visit_allocation",
                "choices_close_at", "hosts", "status", "followup_days", "followup_before_next_days"]
VISIT_FIELDS = ["title", "school", "focus", "topics", "block_id", "starts_at", "ends_at", "bus_departs_at",
                "meeting_point", "transport", "host_contact_name", "host_contact_email", "host_contact_phone",
                "lunch_provided", "seats_override", "buses", "room_limit", "observation_groups", "group_size",
                "status"]
AGENDA_FIELDS = ["title", "kind", "starts_at", "ends_at", "room", "topic", "description"]
RULE_FIELDS = ["photo_id_required", "accepted_ids", "screening_dob_required", "screening_id_type_required",
               "notice_school_days", "photo_policy", "visitor_norms", "entrance", "bus_parking"]


def _confirmed_count(event: Event) -> int:
    return db.session.scalar(sa.select(sa.func.count()).where(
        Registration.event_id == event.id, Registration.status == RegistrationStatus.CONFIRMED))


def _seated_count(visit: Visit) -> int:
    return db.session.scalar(sa.select(sa.func.count()).where(
        VisitSeat.visit_id == visit.id, VisitSeat.status == SeatStatus.CONFIRMED))


def _districts() -> list[District]:
    return list(db.session.scalars(sa.select(District).order_by(District.name)))


# --- events ------------------------------------------------------------------------------------------


@bp.get("/events")
@organizer_required
def events():
    """Every event, drafts included, newest first."""
    rows = db.session.execute(
        sa.select(Event, sa.func.count(Registration.id).filter(Registration.status != RegistrationStatus.CANCELLED))
        .outerjoin(Registration, Registration.event_id == Event.id)
        .group_by(Event.id).order_by(Event.starts_on.desc())).all()
    return render_template("backoffice/events.html", rows=rows)


def _local(moment, zone):
    return moment.astimezone(zone).replace(tzinfo=None) if moment else None


def _aware(naive, zone):
    return naive.replace(tzinfo=zone).astimezone(UTC) if naive else None


def _event_values(form: EventForm) -> dict:
    """The form's answers as event attributes (window times read in the host's zone)."""
    zone = form.zone
    hosts = list(db.session.scalars(sa.select(District).where(District.id.in_(form.hosts.data or []))))
    return dict(
        title=form.title.data, slug=form.slug.data, kind=EventKind(form.kind.data), summary=form.summary.data,
        venue_name=form.venue_name.data, venue_address=form.venue_address.data, timezone=form.timezone.data,
        starts_on=form.starts_on.data, ends_on=form.ends_on.data, capacity=form.capacity.data,
        registration_opens_at=_aware(form.registration_opens_at.data, zone),
        registration_closes_at=_aware(form.registration_closes_at.data, zone),
        visit_allocation=VisitAllocationMode(form.visit_allocation.data),
        choices_close_at=_aware(form.choices_close_at.data, zone), hosts=hosts,
        followup_days=form.check_in_days, followup_before_next_days=form.followup_before_next_days.data,
    )


@bp.route("/events/new", methods=["GET", "POST"])
@organizer_required
def new_event():
    """A new event, as a draft nobody outside the back office sees."""
    form = EventForm()
    form.set_districts(_districts())
    if request.method == "GET":
        form.timezone.data = "America/Chicago"
    if form.validate_on_submit():
        if not slug_is_free(form.slug.data):
            form.slug.errors.append("Another event already uses this address.")
        else:
            values = _event_values(form)
            if values["followup_before_next_days"] is None:  # None would take the column's default (14)
                values["followup_before_next_days"] = sa.null()
            event = Event(status=EventStatus.DRAFT, **values)
            db.session.add(event)
            db.session.flush()
            record("created", "event", event.id, event.title, event=event)
            db.session.commit()
            flash(f"“{event.title}” is saved as a draft. Add its agenda and visits, then publish it.", "success")
            return redirect(url_for("backoffice.event_overview", slug=event.slug))
    return render_template("backoffice/event_form.html", form=form, event=None), 422 if form.errors else 200


@bp.get("/events/<slug:slug>")
@organizer_required
def event_overview(slug: str):
    """One event's settings and everything that can be done with it."""
    event = event_or_404(slug)
    counts = dict(db.session.execute(sa.select(Registration.status, sa.func.count())
                                     .where(Registration.event_id == event.id).group_by(Registration.status)).all())
    return render_template("backoffice/event.html", event=event, counts=counts,
                           clashes=room_clashes(event.agenda_items))


def _out_of_days(event: Event, values: dict) -> int:
    """Agenda items and visits that new dates would leave outside the event."""
    first, last = values["starts_on"], values["ends_on"]
    zone = event.zone
    items = [*event.agenda_items, *(v for v in event.visits if v.status is VisitStatus.SCHEDULED)]
    return sum(1 for i in items if not first <= i.starts_at.astimezone(zone).date() <= last)


@bp.route("/events/<slug:slug>/edit", methods=["GET", "POST"])
@organizer_required
def edit_event(slug: str):
    """Change the event; if its dates, venue or title move, every confirmed attendee gets an updated invite,
    and the page says how many before saving."""
    event = event_or_404(slug)
    form = EventForm(obj=event if request.method == "GET" else None)
    form.set_districts(_districts())
    if request.method == "GET":
        form.kind.data, form.visit_allocation.data = event.kind.value, event.visit_allocation.value
        form.hosts.data = [d.id for d in event.hosts]
        form.followup_days.data = ", ".join(str(days) for days in event.followup_days or [])
        for name in ("registration_opens_at", "registration_closes_at", "choices_close_at"):
            getattr(form, name).data = _local(getattr(event, name), event.zone)
    notify = None
    if form.validate_on_submit():
        values = _event_values(form)
        if not slug_is_free(values["slug"], but=event):
            form.slug.errors.append("Another event already uses this address.")
        elif outside := _out_of_days(event, values):
            form.ends_on.errors.append(f"{outside} agenda item{'s' if outside != 1 else ''} or visit"
                                       f"{'s' if outside != 1 else ''} would fall outside these days: "
                                       "move them first, or clone the event to new dates.")
        else:
            moves = any(_differs(getattr(event, k), values[k]) for k in
                        ("title", "starts_on", "ends_on", "venue_name", "venue_address", "hosts"))
            notify = _confirmed_count(event) if moves else 0
            if notify and not form.confirm.data:
                return render_template("backoffice/event_form.html", form=form, event=event, notify=notify), 200
            before = snapshot(event, EVENT_FIELDS)
            for name in ("slug", "kind", "timezone", "visit_allocation", "choices_close_at", "followup_days",
                         "followup_before_next_days"):
                setattr(event, name, values.pop(name))
            try:
                told = update_event_details(event, **values)
            except RegistrationError as error:
                db.session.rollback()
                flash(str(error), "error")
                return render_template("backoffice/event_form.html", form=form, event=event), 422
            record("edited", "event", event.id, event.title, event=event, changes=changes_since(before, event),
                   note=f"{told} attendees notified" if told else "")
            db.session.commit()
            flash("Saved." + (f" {told} attendee{'s were' if told != 1 else ' was'} sent an updated invitation."
                              if told else ""), "success")
            return redirect(url_for("backoffice.event_overview", slug=event.slug))
    return render_template("backoffice/event_form.html", form=form, event=event), 422 if form.errors else 200


def _differs(old, new) -> bool:
    if isinstance(old, list):
        return sorted(d.id for d in old) != sorted(d.id for d in new)
    return old != new


@bp.post("/events/<slug:slug>/publish")
@organizer_required
def publish_event(slug: str):
    """Open the event page to the public (registration follows its window)."""
    event = event_or_404(slug)
    if event.status is not EventStatus.DRAFT:
        abort(409, "Only a draft can be published; this event is " + event.status.value + ".")
    event.status = EventStatus.PUBLISHED
    record("published", "event", event.id, event.title, event=event, changes={"status": ["draft", "published"]})
    db.session.commit()
    flash(f"“{event.title}” is published.", "success")
    return redirect(url_for("backoffice.event_overview", slug=event.slug))


@bp.route("/events/<slug:slug>/cancel", methods=["GET", "POST"])
@organizer_required
def cancel_event_page(slug: str):
    """Call the event off, after saying how many confirmed attendees will be told."""
    event = event_or_404(slug)
    if event.status is EventStatus.CANCELLED:
        abort(409, "This event is already cancelled.")
    notify = _confirmed_count(event)
    if request.method == "POST":
        if request.form.get("confirm") != "yes":
            abort(400, "Tick the box to confirm that the event is called off.")
        told = cancel_event(event)
        record("cancelled", "event", event.id, event.title, event=event,
               changes={"status": [EventStatus.PUBLISHED.value, EventStatus.CANCELLED.value]},
               note=f"{told} attendees notified")
        db.session.commit()
        flash(f"“{event.title}” is cancelled; {told} attendee{'s were' if told != 1 else ' was'} told.", "success")
        return redirect(url_for("backoffice.event_overview", slug=event.slug))
    return render_template("backoffice/confirm.html", heading=f"Cancel {event.title}", notify=notify,
                           what="the event", back=url_for("backoffice.event_overview", slug=event.slug))


@bp.route("/events/<slug:slug>/clone", methods=["GET", "POST"])
@organizer_required
def clone_event_page(slug: str):
    """Copy the event to the next season: a draft with shifted dates, its agenda, visits and settings."""
    event = event_or_404(slug)
    form = CloneForm()
    if request.method == "GET":
        start = next_season_start(event)
        form.starts_on.data, form.title.data = start, event.title
        form.slug.data = f"{event.slug}-{start.year}"[:80]
    if form.validate_on_submit():
        try:
            copy = clone_event(event, slug=form.slug.data, title=form.title.data, starts_on=form.starts_on.data)
        except SetupError as error:
            form.slug.errors.append(str(error))
        else:
            record("cloned", "event", copy.id, copy.title, event=copy, note=f"copied from {event.slug}")
            db.session.commit()
            flash(f"“{copy.title}” is a draft copy of {event.title}, {len(copy.agenda_items)} agenda items and "
                  f"{len(copy.visits)} visits moved to the new dates.", "success")
            return redirect(url_for("backoffice.event_overview", slug=copy.slug))
    return render_template("backoffice/clone.html", form=form, event=event), 422 if form.errors else 200


# --- agenda ------------------------------------------------------------------------------------------


def _day_choices(event: Event) -> list[SelectChoice]:
    return [SelectChoice(d.isoformat(), f"{d:%A %-d %B}") for d in event_days(event)]


def _agenda_form(event: Event, item: AgendaItem | None = None) -> AgendaItemForm:
    form = AgendaItemForm(obj=item if request.method == "GET" else None)
    form.day.choices = _day_choices(event)
    if request.method == "GET" and item is not None:
        day, form.starts.data = local_parts(item.starts_at, event.timezone)
        form.day.data = day.isoformat()
        form.ends.data = local_parts(item.ends_at, event.timezone)[1]
        form.kind.data = item.kind.value
    return form


def _apply_agenda_form(form: AgendaItemForm, item: AgendaItem, event: Event) -> None:
    day = date.fromisoformat(form.day.data)
    item.title, item.kind, item.room = form.title.data, AgendaKind(form.kind.data), form.room.data
    item.topic, item.description = form.topic.data or None, form.description.data
    item.starts_at = at_local(day, form.starts.data, event.timezone)
    item.ends_at = at_local(day, form.ends.data, event.timezone)


def _warn_clashes(item: AgendaItem, event: Event) -> None:
    for other in clashes_with(item, event.agenda_items):
        flash(f"Warning: “{item.title}” and “{other.title}” are both in {item.room} at the same time.", "warning")


@bp.route("/events/<slug:slug>/agenda", methods=["GET", "POST"])
@organizer_required
def agenda(slug: str):
    """The programme by day, its room clashes, and a form to add an item."""
    event = event_or_404(slug)
    form = _agenda_form(event)
    if form.validate_on_submit():
        item = AgendaItem(event=event)
        _apply_agenda_form(form, item, event)
        db.session.add(item)
        db.session.flush()
        record("created", "agenda_item", item.id, item.title, event=event)
        db.session.commit()
        flash(f"“{item.title}” is on the agenda.", "success")
        _warn_clashes(item, event)
        return redirect(url_for("backoffice.agenda", slug=slug))
    clashes = room_clashes(event.agenda_items)
    clashing = {c.first.id for c in clashes} | {c.second.id for c in clashes}
    by_day: dict[date, list[AgendaItem]] = {}
    for item in event.agenda_items:
        by_day.setdefault(item.starts_at.astimezone(event.zone).date(), []).append(item)
    return render_template("backoffice/agenda.html", event=event, form=form, clashes=clashes, clashing=clashing,
                           days=event_days(event), by_day=by_day), 422 if form.errors else 200


def _part_of_event(model, row_id: int, event: Event, what: str):
    """The agenda item or visit with this id, if it belongs to the event; else a 404 naming it."""
    row = db.session.get(model, row_id)
    if row is None or row.event_id != event.id:
        abort(404, f"That {what} is not part of this event.")
    return row


def _item_or_404(event: Event, item_id: int) -> AgendaItem:
    return _part_of_event(AgendaItem, item_id, event, "agenda item")


@bp.route("/events/<slug:slug>/agenda/<int:item_id>", methods=["GET", "POST"])
@organizer_required
def edit_agenda_item(slug: str, item_id: int):
    """Change an item or move it to another time or day."""
    event = event_or_404(slug)
    item = _item_or_404(event, item_id)
    form = _agenda_form(event, item)
    if form.validate_on_submit():
        before = snapshot(item, AGENDA_FIELDS)
        _apply_agenda_form(form, item, event)
        record("edited", "agenda_item", item.id, item.title, event=event, changes=changes_since(before, item))
        db.session.commit()
        flash(f"“{item.title}” is saved.", "success")
        _warn_clashes(item, event)
        return redirect(url_for("backoffice.agenda", slug=slug))
    return render_template("backoffice/agenda_item.html", event=event, item=item, form=form,
                           clashes=clashes_with(item, event.agenda_items)), 422 if form.errors else 200


@bp.post("/events/<slug:slug>/agenda/<int:item_id>/delete")
@organizer_required
def delete_agenda_item(slug: str, item_id: int):
    """Take an item off the agenda; a visit block with visits in it stays until its visits move."""
    event = event_or_404(slug)
    item = _item_or_404(event, item_id)
    in_block = db.session.scalar(sa.select(sa.func.count()).where(Visit.block_id == item.id,
                                                                   Visit.status == VisitStatus.SCHEDULED))
    if in_block:
        abort(409, f"{in_block} visit{'s are' if in_block != 1 else ' is'} in this block: "
                   "cancel them or move them to another block first.")
    record("deleted", "agenda_item", item.id, item.title, event=event,
           changes={k: [v, ""] for k, v in snapshot(item, AGENDA_FIELDS).items()})
    db.session.delete(item)
    db.session.commit()
    flash(f"“{item.title}” is off the agenda.", "success")
    return redirect(url_for("backoffice.agenda", slug=slug))


# --- visits ------------------------------------------------------------------------------------------


@bp.get("/events/<slug:slug>/visits")
@organizer_required
def visits(slug: str):
    """The event's visits with their seats, waiting lists and host rules."""
    event = event_or_404(slug)
    counts = {(visit_id, status): n for visit_id, status, n in db.session.execute(
        sa.select(VisitSeat.visit_id, VisitSeat.status, sa.func.count()).join(Visit)
        .where(Visit.event_id == event.id).group_by(VisitSeat.visit_id, VisitSeat.status))}
    return render_template("backoffice/visits.html", event=event, counts=counts)


def _visit_form(event: Event, visit: Visit | None = None) -> VisitForm:
    form = VisitForm(obj=visit if request.method == "GET" else None)
    schools = db.session.scalars(sa.select(School).join(District).order_by(District.name, School.name))
    form.school_id.choices = [SelectChoice(s.id, f"{s.name} ({s.district.name})") for s in schools]
    blocks = [i for i in event.agenda_items if i.kind is AgendaKind.VISIT_BLOCK]
    form.block_id.choices = [SelectChoice(0, "None (a visit on its own)")] + [
        SelectChoice(b.id, f"{b.title}, {b.starts_at.astimezone(event.zone):%a %-d %b %H:%M}") for b in blocks]
    form.day.choices = _day_choices(event)
    if request.method == "GET" and visit is not None:
        day, form.starts.data = local_parts(visit.starts_at, event.timezone)
        form.day.data = day.isoformat()
        form.ends.data = local_parts(visit.ends_at, event.timezone)[1]
        form.bus_departs.data = local_parts(visit.bus_departs_at, event.timezone)[1] if visit.bus_departs_at else None
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
        meeting_point=form.meeting_point.data, transport=Transport(form.transport.data),
        host_contact_name=form.host_contact_name.data, host_contact_email=form.host_contact_email.data,
        host_contact_phone=form.host_contact_phone.data, lunch_provided=form.lunch_provided.data,
    )


SEAT_LIMITS = ("seats_override", "buses", "room_limit", "observation_groups", "group_size")


@bp.route("/events/<slug:slug>/visits/new", methods=["GET", "POST"])
@organizer_required
def new_visit(slug: str):
    """A visit to a host school, in a visit block of the agenda or on its own."""
    event = event_or_404(slug)
    form = _visit_form(event)
    if form.validate_on_submit():
        values = _visit_values(form, event)
        if values["school"] is None:
            abort(400, "Choose a host school from the list.")
        visit = Visit(event=event, block_id=form.block_id.data or None, **values,
                      **{name: getattr(form, name).data for name in SEAT_LIMITS})
        db.session.add(visit)
        db.session.flush()
        record("created", "visit", visit.id, visit.title, event=event)
        db.session.commit()
        flash(f"“{visit.title}” is saved with {visit.seats} seats ({visit.seats_basis}).", "success")
        return redirect(url_for("backoffice.visits", slug=slug))
    return render_template("backoffice/visit_form.html", event=event, visit=None, form=form), \
        422 if form.errors else 200


def _visit_or_404(event: Event, visit_id: int) -> Visit:
    return _part_of_event(Visit, visit_id, event, "visit")


@bp.route("/events/<slug:slug>/visits/<int:visit_id>", methods=["GET", "POST"])
@organizer_required
def edit_visit(slug: str, visit_id: int):
    """Change a visit. When its time or place moves, the page first says how many seated attendees will get
    an updated invitation, and saves on a second click."""
    event = event_or_404(slug)
    visit = _visit_or_404(event, visit_id)
    form = _visit_form(event, visit)
    seated = _seated_count(visit)
    if form.validate_on_submit():
        values = _visit_values(form, event)
        if values["school"] is None:
            abort(400, "Choose a host school from the list.")
        block_id = form.block_id.data or None
        if block_id != visit.block_id and _live_places(visit):
            form.block_id.errors.append("People already hold seats or wait for this visit: it cannot move to "
                                        "another block. Cancel it and create a new one instead.")
        else:
            moves = any(getattr(visit, k) != v for k, v in values.items() if k in CALENDAR_FIELDS)
            notify = seated if moves else 0
            if notify and not form.confirm.data:
                return render_template("backoffice/visit_form.html", event=event, visit=visit, form=form,
                                       notify=notify, seated=seated)
            lock_event(event)
            before = snapshot(visit, VISIT_FIELDS)
            visit.block_id = block_id
            try:
                told = update_visit(visit, **values)
                promoted = change_seats(visit, **{name: getattr(form, name).data for name in SEAT_LIMITS})
            except VisitError as error:
                db.session.rollback()
                flash(str(error), "error")
                return redirect(url_for("backoffice.edit_visit", slug=slug, visit_id=visit_id))
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
            return redirect(url_for("backoffice.visits", slug=slug))
    return render_template("backoffice/visit_form.html", event=event, visit=visit, form=form, seated=seated), \
        422 if form.errors else 200


def _live_places(visit: Visit) -> int:
    return db.session.scalar(sa.select(sa.func.count()).where(VisitSeat.visit_id == visit.id,
                                                              VisitSeat.status != SeatStatus.CANCELLED))


@bp.route("/events/<slug:slug>/visits/<int:visit_id>/cancel", methods=["GET", "POST"])
@organizer_required
def cancel_visit_page(slug: str, visit_id: int):
    """Call a visit off after saying how many seated attendees will have it withdrawn from their calendar."""
    event = event_or_404(slug)
    visit = _visit_or_404(event, visit_id)
    if visit.status is VisitStatus.CANCELLED:
        abort(409, "This visit is already cancelled.")
    notify = _seated_count(visit)
    if request.method == "POST":
        if request.form.get("confirm") != "yes":
            abort(400, "Tick the box to confirm that the visit is called off.")
        told = cancel_visit(visit)
        record("cancelled", "visit", visit.id, visit.title, event=event,
               changes={"status": ["scheduled", "cancelled"]}, note=f"{told} attendees notified")
        db.session.commit()
        flash(f"“{visit.title}” is cancelled; {told} attendee{'s were' if told != 1 else ' was'} told.", "success")
        return redirect(url_for("backoffice.visits", slug=slug))
    return render_template("backoffice/confirm.html", heading=f"Cancel the visit {visit.title}", notify=notify,
                           what="the visit", back=url_for("backoffice.visits", slug=slug))


# --- host rules --------------------------------------------------------------------------------------


def can_edit_school(user, school: School) -> bool:
    """Organizers edit any school's rules; a host coordinator those of their own district's schools."""
    return is_organizer(user) or (user.district_id is not None and school.district_id == user.district_id)


@bp.route("/schools/<int:school_id>/rules", methods=["GET", "POST"])
@login_required
def school_rules(school_id: int):
    """What the school asks of visitors: shown on its visits before anyone picks one."""
    school = db.session.get(School, school_id) or abort(404, "There is no such school.")
    if not can_edit_school(current_user, school):
        abort(403, "Only the organizers and this district's host coordinators can change its rules.")
    form = HostRulesForm(obj=school)
    if form.validate_on_submit():
        before = snapshot(school, RULE_FIELDS)
        form.populate_obj(school)
        changes = changes_since(before, school)
        if changes:
            record("edited", "school", school.id, school.name, changes=changes)
        db.session.commit()
        flash(f"The rules for visitors to {school.name} are saved.", "success")
        return redirect(request.args.get("back") if (request.args.get("back") or "").startswith("/admin/")
                        else url_for("accounts.home"))
    return render_template("backoffice/school_rules.html", school=school, form=form), 422 if form.errors else 200
