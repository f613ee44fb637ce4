"""The attendee's side of follow-up, from their private link: write commitments, check in on them, read
what the network shares; and the public page of the commitments made public."""
from flask import abort, flash, redirect, render_template, request, url_for

from eventhub.audit import ATTENDEE, record
from eventhub.extensions import db
from eventhub.followup import bp
from eventhub.followup.forms import CommitmentForm, UpdateForm
from eventhub.followup.services import (
    CommitmentDetails,
    add_update,
    create_commitment,
    edit_commitment,
    network_commitments,
    own_commitments,
    public_commitments,
    source_visits,
)
from eventhub.models import Commitment, CommitmentStatus
from eventhub.web import public_event_or_404, refusal, registration_from_token_or_404


def _own(viewer, commitment_id: int) -> Commitment:
    """One of the viewer's own commitments (at any event, under the same email), else 404."""
    commitment = db.session.get(Commitment, commitment_id)
    if commitment is None or commitment.registration.email != viewer.email:
        abort(404, "You have no such commitment.")
    return commitment


def _log(commitment: Commitment, action: str, changes: dict | None = None) -> None:
    record(action, "commitment", commitment.id, commitment.change_idea[:120], event=commitment.event,
           changes=changes, note="by the attendee, from their private link.", user=ATTENDEE)


@bp.get("/r/<token>/commitments")
def commitments(token: str):
    """What I committed to (at every event), how it went, and what the network shares."""
    viewer = registration_from_token_or_404(token)
    return render_template("followup/mine.html", token=token, registration=viewer, event=viewer.event,
                           mine=own_commitments(viewer), shared=network_commitments(viewer))


@bp.route("/r/<token>/commitments/new", methods=["GET", "POST"])
def new_commitment(token: str):
    """Write down what I will try after a visit or the convening."""
    viewer = registration_from_token_or_404(token)
    form = CommitmentForm()
    form.set_sources(viewer.event, source_visits(viewer))
    asked_for = request.args.get("visit", type=int)
    if request.method == "GET" and asked_for:
        form.visit_id.data = asked_for
    if form.validate_on_submit():
        with refusal() as refused:
            commitment = create_commitment(viewer, form.details())
        if refused:
            form.change_idea.errors.append(refused.message)
        else:
            _log(commitment, "created")
            db.session.commit()
            flash("Your commitment is saved. We will ask how it went.", "success")
            return redirect(url_for("followup.commitments", token=token) + f"#commitment-{commitment.id}", 303)
    return render_template("followup/form.html", token=token, registration=viewer, event=viewer.event, form=form,
                           commitment=None), 422 if form.errors else 200


@bp.route("/r/<token>/commitments/<int(max=2147483647):commitment_id>/edit", methods=["GET", "POST"])
def edit_commitment_page(token: str, commitment_id: int):
    """Change what a commitment says, or who may see it."""
    viewer = registration_from_token_or_404(token)
    commitment = _own(viewer, commitment_id)
    form = CommitmentForm().for_commitment(commitment)
    form.set_sources(commitment.event, source_visits(commitment.registration))
    if request.method == "GET":
        form.fill(CommitmentDetails.of(commitment))
    if form.validate_on_submit():
        with refusal() as refused:
            changes = edit_commitment(commitment, form.details())
        if refused:
            form.change_idea.errors.append(refused.message)
        else:
            _log(commitment, "edited", changes)
            db.session.commit()
            flash("Your commitment is saved.", "success")
            return redirect(url_for("followup.commitments", token=token) + f"#commitment-{commitment.id}", 303)
    return render_template("followup/form.html", token=token, registration=viewer, event=commitment.event,
                           form=form, commitment=commitment), 422 if form.errors else 200


@bp.route("/r/<token>/commitments/<int(max=2147483647):commitment_id>/update", methods=["GET", "POST"])
def update_commitment(token: str, commitment_id: int):
    """How it went: what we tried, what we learned, what we decided (the reminders link here)."""
    viewer = registration_from_token_or_404(token)
    commitment = _own(viewer, commitment_id)
    form = UpdateForm()
    if request.method == "GET":
        still_open = CommitmentStatus.TESTING if commitment.status is CommitmentStatus.PLANNED else commitment.status
        form.status.data = (still_open if commitment.status.is_open else CommitmentStatus.TESTING).value
    if form.validate_on_submit():
        before = commitment.status.value
        add_update(commitment, tried=form.tried.data or "", learned=form.learned.data or "",
                   decision=form.chosen_decision, status=CommitmentStatus(form.status.data))
        _log(commitment, "checked_in_on",
             {"status": [before, commitment.status.value]} if before != commitment.status.value else None)
        db.session.commit()
        flash("Thank you: your check-in is saved.", "success")
        return redirect(url_for("followup.commitments", token=token) + f"#commitment-{commitment.id}", 303)
    return render_template("followup/update.html", token=token, registration=viewer, event=commitment.event,
                           form=form, commitment=commitment), 422 if form.errors else 200


@bp.get("/events/<slug:slug>/commitments")
def public_page(slug: str):
    """What participants of the event chose to share with everyone."""
    event = public_event_or_404(slug)
    return render_template("followup/public.html", event=event, shared=public_commitments(event))
