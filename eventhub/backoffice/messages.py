"""The messages pages: write to a filtered set of registrants, preview for one of them, send, and look back."""
import sqlalchemy as sa
from flask import abort, flash, redirect, render_template, request, url_for
from flask_login import current_user

from eventhub.accounts.access import organizer_required
from eventhub.audit import record
from eventhub.backoffice import bp
from eventhub.backoffice.broadcasts import (
    PLACEHOLDERS,
    audience_label,
    audience_of,
    fill,
    recipients_of,
    send,
    unknown_placeholders,
)
from eventhub.backoffice.forms import MessageForm
from eventhub.bounds import parse_id
from eventhub.extensions import db
from eventhub.models import AttendeeRole, Broadcast, Registration, RegistrationStatus
from eventhub.registration.registrants import districts_of, filters_from_args, visits_of
from eventhub.web import event_or_404, refusal


@bp.get("/events/<slug:slug>/messages")
@organizer_required
def messages(slug: str):
    """What was sent to the event's registrants, newest first."""
    event = event_or_404(slug)
    sent = list(db.session.scalars(sa.select(Broadcast).where(Broadcast.event_id == event.id)
                                   .order_by(Broadcast.id.desc())))
    return render_template("backoffice/messages.html", event=event, sent=sent)


# The recipient filters of the message form; each is also sent back as "counted_<name>": the filters the
# count on the page was made with.
AUDIENCE_FILTERS = ("status", "visit", "district", "role")


def _audience_filters():
    """The filters on screen: the form's (a POST), else the query string's; and those the count shown was
    made with (None for a client that does not send them: then what it sends is what it saw)."""
    source = {**request.args.to_dict(), **{k: v for k, v in request.form.items() if k in AUDIENCE_FILTERS}}
    filters = filters_from_args(source)
    if not any(f"counted_{name}" in request.form for name in AUDIENCE_FILTERS):
        return filters, None
    return filters, filters_from_args({name: request.form.get(f"counted_{name}", "") for name in AUDIENCE_FILTERS})


def _same_audience(a, b) -> bool:
    return (a.status, a.visit_id, a.district_id, a.role) == (b.status, b.visit_id, b.district_id, b.role)


@bp.route("/events/<slug:slug>/messages/new", methods=["GET", "POST"])
@organizer_required
def new_message(slug: str):
    """Choose the recipients (the registrants table's filters), write, preview for one of them, send. The
    message goes only to the audience whose count the organizer saw: a filter changed since refuses the send
    and shows the new count."""
    event = event_or_404(slug)
    filters, counted = _audience_filters()
    form = MessageForm()
    who = audience_of(event, filters)
    preview_for = _preview_person(event, who)
    preview = None
    status = 200
    if request.method == "POST" and request.form.get("action") == "count":
        form.confirm.data = False  # the filters changed: count again, send nothing, and ask again
    elif form.validate_on_submit():
        bad = unknown_placeholders(form.subject.data, form.body.data)
        if bad:
            form.body.errors.append("Unknown placeholder" + ("s" if len(bad) != 1 else "") + ": "
                                    + ", ".join("{" + b + "}" for b in bad) + ". Use those listed below.")
        elif request.form.get("action") == "send":
            if counted is not None and not _same_audience(filters, counted):
                form.confirm.errors.append(
                    f"The recipients changed since they were counted: it would now go to {who.count} "
                    f"{'person' if who.count == 1 else 'people'} ({audience_label(filters)}). Check them, then "
                    "send again.")
            elif not form.confirm.data:
                form.confirm.errors.append(f"Tick the box to send it to {who.count} people.")
            else:
                with refusal() as refused:
                    broadcast = send(event, filters, form.subject.data, form.body.data, current_user)
                if refused:
                    form.body.errors.append(refused.message)
                else:
                    record("sent", "message", broadcast.id, broadcast.subject, event=event,
                           note=f"to {broadcast.recipient_count}: {broadcast.audience_label}")
                    db.session.commit()
                    flash(f"The message is on its way to {broadcast.recipient_count} people.", "success")
                    return redirect(url_for("backoffice.message", slug=slug, broadcast_id=broadcast.id), 303)
        if not form.errors and preview_for is not None:
            preview = (fill(form.subject.data, preview_for), fill(form.body.data, preview_for))
    if form.errors:
        status = 422
    return render_template(
        "backoffice/message_form.html", event=event, form=form, who=who, filters=filters, preview=preview,
        preview_for=preview_for, placeholders=PLACEHOLDERS, label=audience_label(filters),
        statuses=list(RegistrationStatus), roles=list(AttendeeRole), districts=districts_of(event),
        visits=visits_of(event), args={k: v for k, v in request.args.items() if v},
    ), status


def _preview_person(event, who) -> Registration | None:
    """The registrant the preview is filled in for: the one asked for, if in the audience, else the first."""
    wanted = parse_id(request.values.get("preview_id"))
    if wanted:
        person = db.session.get(Registration, wanted)
        if person is not None and person.event_id == event.id:
            return person
    return who.sample[0] if who.sample else None


@bp.get("/events/<slug:slug>/messages/<int:broadcast_id>")
@organizer_required
def message(slug: str, broadcast_id: int):
    """One message: its text, who sent it, and each recipient with what became of their copy."""
    event = event_or_404(slug)
    broadcast = db.session.get(Broadcast, broadcast_id)
    if broadcast is None or broadcast.event_id != event.id:
        abort(404, "There is no such message for this event.")
    return render_template("backoffice/message.html", event=event, broadcast=broadcast,
                           copies=recipients_of(broadcast))
