"""The event's management pages: the event itself (create, edit, publish, cancel, clone) and its agenda.
Changes that move people's calendars say first how many will be told; the writes are events.writes'."""
from datetime import date

import sqlalchemy as sa
from flask import abort, flash, redirect, render_template, request, url_for

from eventhub.accounts.access import organizer_required
from eventhub.audit import changes_since, record, snapshot
from eventhub.editing import EditConflict
from eventhub.errors import DomainError
from eventhub.events import bp
from eventhub.events.forms import AgendaItemForm, CloneForm, EventForm, day_choices
from eventhub.events.setup import (
    clashes_with,
    event_days,
    next_season_names,
    next_season_start,
    room_clashes,
)
from eventhub.events.writes import (
    AGENDA_FIELDS,
    EDITABLE_FIELDS,
    add_agenda_item,
    cancel_event,
    check_update,
    clone_event,
    create_event,
    delete_agenda_item,
    publish_event,
    removal_refused,
    update_agenda_item,
    update_event,
)
from eventhub.extensions import db
from eventhub.fields import carry_version
from eventhub.models import (
    AgendaItem,
    AgendaKind,
    District,
    Event,
    EventKind,
    EventStatus,
    Registration,
    RegistrationStatus,
    SeatStatus,
    VisitAllocationMode,
)
from eventhub.notifications.preview import trial
from eventhub.registration.queries import seat_summary
from eventhub.timezones import (
    at_local,
    from_wall_clock,
    local_date,
    local_parts,
    wall_clock,
)
from eventhub.visits.services import places_before_draw
from eventhub.web import event_or_404, part_of_event_or_404, refusal

# What the audit log compares before and after an edit.
EVENT_FIELDS = sorted(EDITABLE_FIELDS | {"status"})


# --- events ------------------------------------------------------------------------------------------


@bp.get("/admin/events")
@organizer_required
def events():
    """Every event, drafts included, newest first."""
    rows = db.session.execute(
        sa.select(Event, sa.func.count(Registration.id).filter(Registration.status != RegistrationStatus.CANCELLED))
        .outerjoin(Registration, Registration.event_id == Event.id)
        .group_by(Event.id).order_by(Event.starts_on.desc())).all()
    return render_template("events/admin/events.html", rows=rows)


def _event_values(form: EventForm, event: Event | None = None) -> dict:
    """The form's answers as event attributes (window times read in the host's zone; a time the form shows
    to the minute and left alone keeps its stored seconds, so it is no change)."""
    zone = form.zone
    hosts = list(db.session.scalars(sa.select(District).where(District.id.in_(form.hosts.data or []))
                                    .order_by(District.name)))  # in the event's own order, so equal is equal

    def moment(name: str):
        typed, stored = from_wall_clock(getattr(form, name).data, zone), getattr(event, name, None)
        return stored if typed and stored and typed == stored.replace(second=0, microsecond=0) else typed

    return dict(
        title=form.title.data, slug=form.slug.data, kind=EventKind(form.kind.data), summary=form.summary.data,
        venue_name=form.venue_name.data, venue_address=form.venue_address.data, timezone=form.timezone.data,
        starts_on=form.starts_on.data, ends_on=form.ends_on.data, capacity=form.capacity.data,
        registration_opens_at=moment("registration_opens_at"),
        registration_closes_at=moment("registration_closes_at"),
        visit_allocation=VisitAllocationMode(form.visit_allocation.data),
        choices_close_at=moment("choices_close_at"), hosts=hosts,
        followup_days=form.check_in_days, followup_before_next_days=form.followup_before_next_days.data,
        reminder_days_before=form.reminder_days_before.data,
        member_addresses_only=form.member_addresses_only.data,
    )


def _refused(form, error: DomainError) -> None:
    """Show a refusal on the field it concerns (the title's, if it names none)."""
    getattr(form, getattr(error, "field", None) or "title").errors.append(error.message)


@bp.route("/admin/events/new", methods=["GET", "POST"])
@organizer_required
def new_event():
    """A new event, as a draft nobody outside the back office sees."""
    form = EventForm()
    if request.method == "GET":
        form.timezone.data = "America/Chicago"
    menu = form.offer_hosts()
    if not menu.searched and form.validate_on_submit():
        with refusal() as refused:
            event = create_event(**_event_values(form))
        if refused.error:
            _refused(form, refused.error)
        else:
            record("created", "event", event.id, event.title, event=event)
            db.session.commit()
            flash(f"“{event.title}” is saved as a draft. Add its agenda and visits, then publish it.", "success")
            return redirect(url_for("events.event_overview", slug=event.slug))
    return render_template("events/admin/event_form.html", form=form, event=None, menu=menu), \
        422 if form.errors else 200


@bp.get("/admin/events/<slug:slug>")
@organizer_required
def event_overview(slug: str):
    """One event's settings and everything that can be done with it."""
    event = event_or_404(slug)
    counts = dict(db.session.execute(sa.select(Registration.status, sa.func.count())
                                     .where(Registration.event_id == event.id).group_by(Registration.status))
                  .tuples().all())
    return render_template("events/admin/event.html", event=event, counts=counts,
                           clashes=room_clashes(event.agenda_items))


@bp.route("/admin/events/<slug:slug>/edit", methods=["GET", "POST"])
@organizer_required
def edit_event(slug: str):
    """Change the event; if its dates, venue, title or hosts move, every confirmed attendee gets an updated
    invite. When saving would email anyone, the page first says what changes and who hears of it."""
    event = event_or_404(slug)
    form = EventForm(obj=event if request.method == "GET" else None)
    if request.method == "GET":
        form.kind.data, form.visit_allocation.data = event.kind.value, event.visit_allocation.value
        form.hosts.data = [d.id for d in event.hosts]
        form.followup_days.data = ", ".join(str(days) for days in event.followup_days or [])
        for name in ("registration_opens_at", "registration_closes_at", "choices_close_at"):
            getattr(form, name).data = wall_clock(getattr(event, name), event.zone)
    menu = form.offer_hosts()
    if not menu.searched and form.validate_on_submit():
        values = _event_values(form, event)
        release = form.held_places.data == "release"
        with refusal() as refused:
            check_update(event, values)
            held = places_before_draw(event) if values["visit_allocation"] is not event.visit_allocation else []
            if held and not form.held_places.data:
                seated = sum(1 for place in held if place.status is SeatStatus.CONFIRMED)
                return render_template("events/admin/event_form.html", form=form, event=event,
                                       held=(seated, len(held) - seated)), 200
            opened = form.version.data or 0  # no version (a tab from before versions): as if stale
            with trial() as preview:
                before = snapshot(event, EVENT_FIELDS)
                update_event(event, release_held_places=release, opened_version=opened, **values)
                preview.changes = changes_since(before, event)
            if not preview.agreed(request.form.get("confirm")):
                return render_template("events/admin/event_form.html", form=form, event=event,
                                       preview=preview, held=None), 200
            before = snapshot(event, EVENT_FIELDS)
            told = update_event(event, release_held_places=release, opened_version=opened, **values)
        if isinstance(refused.error, EditConflict):
            carry_version(form.version, refused.error.version)
            return render_template("events/admin/event_form.html", form=form, event=event,
                                   conflict=refused.error), 409
        if refused.error:
            _refused(form, refused.error)
        else:
            record("edited", "event", event.id, event.title, event=event, changes=changes_since(before, event),
                   note=f"{told} attendees notified" if told else "")
            db.session.commit()
            flash("Saved." + (f" {told} attendee{'s were' if told != 1 else ' was'} sent an updated invitation."
                              if told else ""), "success")
            return redirect(url_for("events.event_overview", slug=event.slug))
    return render_template("events/admin/event_form.html", form=form, event=event, menu=menu), \
        422 if form.errors else 200


@bp.post("/admin/events/<slug:slug>/publish")
@organizer_required
def publish_event_page(slug: str):
    """Open the event page to the public (registration follows its window)."""
    event = event_or_404(slug)
    publish_event(event)  # a refusal is the app's 409 page
    record("published", "event", event.id, event.title, event=event, changes={"status": ["draft", "published"]})
    db.session.commit()
    flash(f"“{event.title}” is published.", "success")
    return redirect(url_for("events.event_overview", slug=event.slug))


@bp.route("/admin/events/<slug:slug>/cancel", methods=["GET", "POST"])
@organizer_required
def cancel_event_page(slug: str):
    """Call the event off, after saying how many confirmed attendees will be told."""
    event = event_or_404(slug)
    if event.status is EventStatus.CANCELLED:
        abort(409, "This event is already cancelled.")
    if request.method == "POST":
        if request.form.get("confirm") != "yes":
            abort(400, "Tick the box to confirm that the event is called off.")
        told = cancel_event(event)
        record("cancelled", "event", event.id, event.title, event=event,
               changes={"status": [EventStatus.PUBLISHED.value, EventStatus.CANCELLED.value]},
               note=f"{told} attendees notified")
        db.session.commit()
        flash(f"“{event.title}” is cancelled; {told} attendee{'s were' if told != 1 else ' was'} told.", "success")
        return redirect(url_for("events.event_overview", slug=event.slug))
    return render_template("backoffice/confirm.html", heading=f"Cancel {event.title}",
                           notify=seat_summary(event).confirmed, what="the event",
                           back=url_for("events.event_overview", slug=event.slug))


@bp.route("/admin/events/<slug:slug>/clone", methods=["GET", "POST"])
@organizer_required
def clone_event_page(slug: str):
    """Copy the event to the next season: a draft with shifted dates, its agenda, visits and settings."""
    event = event_or_404(slug)
    form = CloneForm()
    if request.method == "GET":
        start = next_season_start(event)
        form.starts_on.data = start
        form.title.data, form.slug.data = next_season_names(event, start)
    if form.validate_on_submit():
        with refusal() as refused:
            copy = clone_event(event, slug=form.slug.data, title=form.title.data, starts_on=form.starts_on.data)
        if refused.error:
            _refused(form, refused.error)
        else:
            record("cloned", "event", copy.id, copy.title, event=copy, note=f"copied from {event.slug}")
            db.session.commit()
            flash(f"“{copy.title}” is a draft copy of {event.title}, {len(copy.agenda_items)} agenda items and "
                  f"{len(copy.visits)} visits moved to the new dates.", "success")
            return redirect(url_for("events.event_overview", slug=copy.slug))
    return render_template("events/admin/clone.html", form=form, event=event), 422 if form.errors else 200


# --- agenda ------------------------------------------------------------------------------------------


def _agenda_form(event: Event, item: AgendaItem | None = None) -> AgendaItemForm:
    form = AgendaItemForm(obj=item if request.method == "GET" else None)
    form.day.choices = day_choices(event)
    if request.method == "GET" and item is not None:
        day, form.starts.data = local_parts(item.starts_at, event.timezone)
        form.day.data = day.isoformat()
        form.ends.data = local_parts(item.ends_at, event.timezone)[1]
        form.kind.data = item.kind.value
    return form


def _agenda_values(form: AgendaItemForm, event: Event) -> dict:
    """The form's answers as agenda item attributes (times read in the host's zone)."""
    day = date.fromisoformat(form.day.data)
    return dict(title=form.title.data, kind=AgendaKind(form.kind.data), room=form.room.data,
                topic=form.topic.data or None, description=form.description.data,
                starts_at=at_local(day, form.starts.data, event.timezone),
                ends_at=at_local(day, form.ends.data, event.timezone))


def _warn_clashes(item: AgendaItem, event: Event) -> None:
    for other in clashes_with(item, event.agenda_items):
        flash(f"Warning: “{item.title}” and “{other.title}” are both in {item.room} at the same time.", "warning")


@bp.route("/admin/events/<slug:slug>/agenda", methods=["GET", "POST"])
@organizer_required
def agenda(slug: str):
    """The programme by day, its room clashes, and a form to add an item."""
    event = event_or_404(slug)
    form = _agenda_form(event)
    if form.validate_on_submit():
        item = add_agenda_item(event, **_agenda_values(form, event))
        record("created", "agenda_item", item.id, item.title, event=event)
        db.session.commit()
        flash(f"“{item.title}” is on the agenda.", "success")
        _warn_clashes(item, event)
        return redirect(url_for("events.agenda", slug=slug))
    clashes = room_clashes(event.agenda_items)
    clashing = {c.first.id for c in clashes} | {c.second.id for c in clashes}
    by_day: dict[date, list[AgendaItem]] = {}
    for item in event.agenda_items:
        by_day.setdefault(local_date(item.starts_at, event.zone), []).append(item)
    return render_template("events/admin/agenda.html", event=event, form=form, clashes=clashes, clashing=clashing,
                           days=event_days(event), by_day=by_day), 422 if form.errors else 200


@bp.route("/admin/events/<slug:slug>/agenda/<int:item_id>", methods=["GET", "POST"])
@organizer_required
def edit_agenda_item(slug: str, item_id: int):
    """Change an item or move it to another time or day."""
    event = event_or_404(slug)
    item = part_of_event_or_404(AgendaItem, item_id, event, "agenda item")
    form = _agenda_form(event, item)
    if form.validate_on_submit():
        before = snapshot(item, sorted(AGENDA_FIELDS))
        update_agenda_item(item, **_agenda_values(form, event))
        record("edited", "agenda_item", item.id, item.title, event=event, changes=changes_since(before, item))
        db.session.commit()
        flash(f"“{item.title}” is saved.", "success")
        _warn_clashes(item, event)
        return redirect(url_for("events.agenda", slug=slug))
    return render_template("events/admin/agenda_item.html", event=event, item=item, form=form,
                           clashes=clashes_with(item, event.agenda_items)), 422 if form.errors else 200


@bp.route("/admin/events/<slug:slug>/agenda/<int:item_id>/delete", methods=["GET", "POST"])
@organizer_required
def delete_agenda_item_page(slug: str, item_id: int):
    """Asks first, naming the item; removes it only when the organizer says yes."""
    event = event_or_404(slug)
    item = part_of_event_or_404(AgendaItem, item_id, event, "agenda item")
    refused = removal_refused(item)
    if request.method == "POST" and request.form.get("confirm") == "yes" and not refused:
        title, before = item.title, snapshot(item, sorted(AGENDA_FIELDS))
        delete_agenda_item(item)
        record("deleted", "agenda_item", item.id, title, event=event,
               changes={k: [v, ""] for k, v in before.items()})
        db.session.commit()
        flash(f"“{title}” is off the agenda.", "success")
        return redirect(url_for("events.agenda", slug=slug))
    status = 200 if request.method == "GET" else 409 if refused else 422
    return render_template("events/admin/agenda_remove.html", event=event, item=item, refused=refused), status
