"""Visit seats in the back office: the fair allocation (preview with a recorded seed, then commit exactly
that), and each visit's guest list for the host school's visitor system."""
import sqlalchemy as sa
from flask import Response, abort, flash, redirect, render_template, request, url_for
from flask_login import current_user, login_required

from eventhub.accounts.access import can_see_visit, organizer_required
from eventhub.audit import record
from eventhub.backoffice import bp
from eventhub.extensions import db
from eventhub.models import Visit, VisitAllocation, VisitAllocationMode, utcnow
from eventhub.visits.allocation import commit_allocation, new_seed, open_blocks, plan_allocation, record_preview
from eventhub.visits.handoff import guest_list_csv
from eventhub.visits.services import VisitError
from eventhub.web import event_or_404, mark_private


def _history(event):
    return list(db.session.scalars(sa.select(VisitAllocation).where(VisitAllocation.event_id == event.id)
                                   .order_by(VisitAllocation.id.desc()).limit(30)))


@bp.get("/events/<slug:slug>/allocation")
@organizer_required
def allocation(slug: str):
    """Where the event's visit seats stand: first come, or waiting for (or done by) a fair allocation."""
    event = event_or_404(slug)
    lottery = event.visit_allocation is VisitAllocationMode.LOTTERY
    return render_template("backoffice/allocation.html", event=event, lottery=lottery, plan=None,
                           blocks=open_blocks(event) if lottery else [], history=_history(event),
                           choices_open=bool(event.choices_close_at and utcnow() < event.choices_close_at))


@bp.post("/events/<slug:slug>/allocation/preview")
@organizer_required
def preview_allocation(slug: str):
    """Work the allocation out with a new seed (or the one given) and show its report; nothing is seated."""
    event = event_or_404(slug)
    if event.visit_allocation is not VisitAllocationMode.LOTTERY:
        abort(409, "This event gives visit seats first come, first served: there is nothing to allocate.")
    seed = request.form.get("seed", type=int)
    seed = new_seed() if seed is None else seed
    if not 0 <= seed < 10**12:
        abort(400, "A seed is a whole number of at most twelve digits.")
    plan = plan_allocation(event, seed)
    if not plan.blocks:
        abort(409, "Every visit block of this event is already allocated.")
    record_preview(event, plan)
    record("previewed_allocation", "event", event.id, event.title, event=event, note=f"seed {seed}")
    db.session.commit()
    return render_template("backoffice/allocation.html", event=event, lottery=True, plan=plan,
                           blocks=[b.block for b in plan.blocks], history=_history(event),
                           choices_open=bool(event.choices_close_at and utcnow() < event.choices_close_at))


@bp.post("/events/<slug:slug>/allocation/commit")
@organizer_required
def commit_allocation_page(slug: str):
    """Seat everyone exactly as the preview with this seed said, and email them; refused if anything changed."""
    event = event_or_404(slug)
    seed = request.form.get("seed", type=int)
    if seed is None:
        abort(400, "Commit the allocation you previewed: its seed is missing.")
    try:
        plan = commit_allocation(event, seed)
    except VisitError as error:
        db.session.rollback()
        flash(str(error), "error")
        return render_template("backoffice/allocation.html", event=event, lottery=True, plan=None,
                               blocks=open_blocks(event), history=_history(event), choices_open=False), 409
    seated = sum(len(b.assigned) for b in plan.blocks)
    record("committed_allocation", "event", event.id, event.title, event=event,
           note=f"seed {seed}: {seated} seats given")
    db.session.commit()
    flash(f"The allocation with seed {seed} is committed: {seated} seats given; everyone was emailed.", "success")
    return redirect(url_for("backoffice.allocation", slug=slug), 303)


@bp.get("/events/<slug:slug>/visits/<int:visit_id>/guest-list.csv")
@login_required
def guest_list(slug: str, visit_id: int):
    """The guests of one visit for the school's visitor system (screening data only where it collects it)."""
    event = event_or_404(slug)
    visit = db.session.get(Visit, visit_id)
    if visit is None or visit.event_id != event.id:
        abort(404, "That visit is not part of this event.")
    if not can_see_visit(current_user, visit):
        abort(403, "This visit is at another district's school.")
    response = Response(guest_list_csv(visit).encode("utf-8-sig"), mimetype="text/csv")
    response.headers["Content-Disposition"] = f'attachment; filename="{event.slug}-visit-{visit.id}-guests.csv"'
    return mark_private(response)  # personal data
