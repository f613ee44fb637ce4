"""Organizers' side of follow-up: typing in paper commitment sheets one attendee after another, and one
commitment's page where its check-ins (from paper or the phone) are added."""
import sqlalchemy as sa
from flask import abort, flash, redirect, render_template, request, url_for
from flask_login import current_user
from sqlalchemy.orm import joinedload

from eventhub.accounts.access import organizer_required
from eventhub.audit import record
from eventhub.extensions import db
from eventhub.followup import bp
from eventhub.followup.forms import CommitmentForm, UpdateForm
from eventhub.followup.services import (
    CommitmentDetails,
    add_update,
    create_commitment,
    edit_commitment,
)
from eventhub.models import (
    Commitment,
    CommitmentStatus,
    Registration,
    RegistrationStatus,
    School,
    Visit,
)
from eventhub.web import event_or_404, refusal


def _people(event) -> list[Registration]:
    """Everyone who came (confirmed), in the order paper sheets are sorted: last name, first name."""
    return list(db.session.scalars(
        sa.select(Registration).where(Registration.event_id == event.id,
                                      Registration.status == RegistrationStatus.CONFIRMED)
        .options(joinedload(Registration.district))
        .order_by(sa.func.lower(Registration.legal_last_name), sa.func.lower(Registration.legal_first_name),
                  Registration.id)))


def _event_visits(event) -> list[Visit]:
    return list(db.session.scalars(sa.select(Visit).where(Visit.event_id == event.id)
                                   .options(joinedload(Visit.school).joinedload(School.district))
                                   .order_by(Visit.starts_at, Visit.title)))


@bp.route("/admin/events/<slug:slug>/commitments/enter", methods=["GET", "POST"])
@organizer_required
def enter_sheets(slug: str):
    """The fast entry form: pick the attendee (type to jump), type the sheet, Enter saves and the next
    attendee in alphabetical order comes up, the cursor back on the first answer."""
    event = event_or_404(slug)
    people = _people(event)
    if not people:
        return render_template("followup/enter.html", event=event, people=[], form=None, person=None,
                               counts={}, entered=[])
    by_id = {p.id: p for p in people}
    wanted = request.values.get("registration", type=int)
    if wanted is not None and wanted not in by_id:
        abort(404, "That person is not a confirmed attendee of this event.")
    person = by_id[wanted] if wanted is not None else people[0]
    form = CommitmentForm()
    form.set_sources(event, _event_visits(event))
    if form.validate_on_submit():
        with refusal() as refused:
            commitment = create_commitment(person, form.details(), entered_by=current_user)
        if refused:
            form.change_idea.errors.append(refused.message)
        else:
            record("created", "commitment", commitment.id, commitment.change_idea[:120], event=event,
                   note=f"typed in from {person.legal_name}'s sheet")
            db.session.commit()
            after = people[people.index(person) + 1] if people.index(person) + 1 < len(people) else None
            flash(f"Saved for {person.legal_name}." + (f" Next: {after.legal_name}." if after else
                                                         " That was the last attendee."), "success")
            if request.form.get("again") == "yes" or after is None:
                after = person  # a second sheet from the same person
            return redirect(url_for("followup.enter_sheets", slug=slug, registration=after.id) + "#sheet", 303)
    counts: dict[int, int] = dict(db.session.execute(
        sa.select(Commitment.registration_id, sa.func.count()).where(Commitment.event_id == event.id)
        .group_by(Commitment.registration_id)).tuples().all())
    entered = list(db.session.scalars(sa.select(Commitment).where(Commitment.registration_id == person.id)
                                      .order_by(Commitment.id)))
    return render_template("followup/enter.html", event=event, people=people, person=person, form=form,
                           counts=counts, entered=entered), 422 if form.errors else 200


def _commitment_or_404(commitment_id: int) -> Commitment:
    return db.session.get(Commitment, commitment_id) or abort(404, "There is no such commitment.")


@bp.get("/admin/commitments/<int:commitment_id>")
@organizer_required
def admin_commitment(commitment_id: int):
    """One commitment, whatever its visibility, with its check-ins and a form to add one from paper."""
    commitment = _commitment_or_404(commitment_id)
    form = UpdateForm(formdata=None)
    return render_template("followup/admin_commitment.html", commitment=commitment, event=commitment.event,
                           form=form)


@bp.post("/admin/commitments/<int:commitment_id>/update")
@organizer_required
def admin_update(commitment_id: int):
    """Add a check-in typed in from a follow-up sheet or a phone call."""
    commitment = _commitment_or_404(commitment_id)
    form = UpdateForm()
    if not form.validate_on_submit():
        return render_template("followup/admin_commitment.html", commitment=commitment, event=commitment.event,
                               form=form), 422
    before = commitment.status.value
    add_update(commitment, tried=form.tried.data or "", learned=form.learned.data or "",
               decision=form.chosen_decision, status=CommitmentStatus(form.status.data), entered_by=current_user)
    record("checked_in_on", "commitment", commitment.id, commitment.change_idea[:120], event=commitment.event,
           changes={"status": [before, commitment.status.value]} if before != commitment.status.value else None,
           note=f"for {commitment.registration.legal_name}")
    db.session.commit()
    flash("The check-in is saved.", "success")
    return redirect(url_for("followup.admin_commitment", commitment_id=commitment.id), 303)


@bp.route("/admin/commitments/<int:commitment_id>/edit", methods=["GET", "POST"])
@organizer_required
def admin_edit(commitment_id: int):
    """Correct what was typed in."""
    commitment = _commitment_or_404(commitment_id)
    form = CommitmentForm().for_commitment(commitment)
    form.set_sources(commitment.event, _event_visits(commitment.event))
    if request.method == "GET":
        form.fill(CommitmentDetails.of(commitment))
    if form.validate_on_submit():
        with refusal() as refused:
            changes = edit_commitment(commitment, form.details())
        if refused:
            form.change_idea.errors.append(refused.message)
        else:
            record("edited", "commitment", commitment.id, commitment.change_idea[:120], event=commitment.event,
                   changes=changes, note=f"for {commitment.registration.legal_name}")
            db.session.commit()
            flash("The commitment is saved.", "success")
            return redirect(url_for("followup.admin_commitment", commitment_id=commitment.id), 303)
    return render_template("followup/admin_edit.html", commitment=commitment, event=commitment.event, form=form), \
        422 if form.errors else 200
