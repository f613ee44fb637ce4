"""PDF downloads: the public agenda, an attendee's own agenda, and the back office's documents and batches."""
import hashlib
from typing import cast

from flask import (
    Flask,
    Response,
    abort,
    current_app,
    flash,
    redirect,
    render_template,
    request,
    send_file,
    url_for,
)
from flask_login import current_user, login_required
from werkzeug.local import LocalProxy

from eventhub.accounts.access import is_organizer, organizer_required
from eventhub.caching import NewestVersionCache
from eventhub.events.services import agenda_version
from eventhub.extensions import db
from eventhub.models import (
    PrintBatch,
    PrintKind,
    PrintStatus,
    Registration,
    RegistrationStatus,
)
from eventhub.network import current_network
from eventhub.printing import bp, documents
from eventhub.printing.batches import batch_path, create_batch, latest_batches, launch
from eventhub.printing.documents import Order
from eventhub.web import (
    event_or_404,
    mark_private,
    pdf_or_503,
    public_event_or_404,
    registration_from_token_or_404,
    visit_or_404,
)


def _pdf(data: bytes, filename: str, *, private: bool, inline: bool = True) -> Response:
    """A PDF response; private ones are neither cached nor given a referrer."""
    response = Response(data, mimetype="application/pdf")
    disposition = "inline" if inline else "attachment"
    response.headers["Content-Disposition"] = f'{disposition}; filename="{filename}"'
    return mark_private(response) if private else response


# --- public -------------------------------------------------------------------------------------


@bp.get("/events/<slug:slug>/agenda.pdf")
def event_agenda(slug: str):
    """The printable agenda; built once per version of the agenda and of the network's name, colour and logo,
    then served from memory."""
    event = public_event_or_404(slug)
    version = (agenda_version(event), current_network())
    etag = hashlib.sha256(repr((event.id, version)).encode()).hexdigest()[:32]
    if request.if_none_match.contains(etag):
        return Response(status=304, headers={"ETag": f'"{etag}"'})
    pdf = _agendas.get(event.id, version, lambda: pdf_or_503(documents.event_agenda_html(event)))
    response = _pdf(pdf, f"{event.slug}-agenda.pdf", private=False)
    response.set_etag(etag)
    response.headers["Cache-Control"] = "public, max-age=300"
    return response


# The newest printed agenda of each event: printing it costs far more than serving it.
_agendas = NewestVersionCache()


@bp.get("/r/<token>/agenda.pdf")
def personal_agenda(token: str):
    """The attendee's own agenda, with their private link printed on it."""
    registration = registration_from_token_or_404(token)
    if registration.status is RegistrationStatus.CANCELLED:
        abort(404, "This registration was cancelled, so there is no agenda to print.")
    event = registration.event
    person = documents.attendees(event, registration_ids=[registration.id],
                                 statuses=(RegistrationStatus.CONFIRMED, RegistrationStatus.WAITLISTED))[0]
    person.private_url = documents.private_url(token)
    return _pdf(pdf_or_503(documents.personal_agenda_html(event, person)), f"{event.slug}-my-agenda.pdf",
                private=True)


# --- back office ----------------------------------------------------------------------------------


@bp.get("/admin/events/<slug:slug>/print")
@login_required
def event_prints(slug: str):
    """Every document of the event: batches for organizers, the rosters of their schools for host coordinators."""
    event = event_or_404(slug)
    district_id = None if is_organizer(current_user) else current_user.district_id
    visits = documents.roster_visits(event, district_id)
    people = documents.attendees(event) if is_organizer(current_user) else []
    return render_template(
        "printing/event.html",
        event=event,
        visits=visits,
        people=people,
        badge_places=documents.BADGE_PLACES,
        batches=latest_batches(event) if is_organizer(current_user) else [],
        kinds=list(PrintKind),
        orders=list(Order),
        is_organizer=is_organizer(current_user),
    )


@bp.post("/admin/events/<slug:slug>/print")
@organizer_required
def start_batch(slug: str):
    """Start a batch; the page that follows shows its progress."""
    event = event_or_404(slug)
    try:
        kind = PrintKind(request.form.get("kind", ""))
        order = Order(request.form.get("order") or Order.NAME.value)
    except ValueError:
        abort(400, "Choose one of the documents and orders offered on the printing page.")
    batch = create_batch(event, kind, order, current_user)
    db.session.commit()
    # Flask types current_app as the app itself; it is a proxy, and the thread needs the real app.
    launch(cast(LocalProxy[Flask], current_app)._get_current_object(), batch.id)
    flash(f"{kind.label} are being printed.", "success")
    return redirect(url_for("printing.batch_status", batch_id=batch.id))


def _batch_or_404(batch_id: int) -> PrintBatch:
    return db.session.get(PrintBatch, batch_id) or abort(404, "There is no such print batch.")


@bp.get("/admin/print/<int:batch_id>")
@organizer_required
def batch_status(batch_id: int):
    """Progress of a batch (the page refreshes itself until it is done), then its download or its error."""
    batch = _batch_or_404(batch_id)
    return render_template("printing/batch.html", batch=batch, Status=PrintStatus)


@bp.get("/admin/print/<int:batch_id>.json")
@organizer_required
def batch_progress(batch_id: int):
    """The same progress for scripts."""
    batch = _batch_or_404(batch_id)
    return {"id": batch.id, "kind": batch.kind.value, "status": batch.status.value, "done": batch.done,
            "total": batch.total, "percent": batch.percent, "pages": batch.pages, "error": batch.error or None,
            "download": url_for("printing.batch_download", batch_id=batch.id)
            if batch.status is PrintStatus.DONE else None}


@bp.get("/admin/print/<int:batch_id>/download")
@organizer_required
def batch_download(batch_id: int):
    """The finished PDF; nothing at all while a batch runs or after it failed."""
    batch = _batch_or_404(batch_id)
    if batch.status is not PrintStatus.DONE:
        abort(409, "This batch has no file: it is still printing or it failed.")
    path = batch_path(batch)
    if not path.is_file():
        abort(410, "This batch's file is gone from the server; print it again.")
    return send_file(path, mimetype="application/pdf", as_attachment=True,
                     download_name=f"{batch.event.slug}-{batch.kind.value}.pdf")


def _registration_or_404(registration_id: int) -> Registration:
    return db.session.get(Registration, registration_id) or abort(404, "There is no such registration.")


PERSONAL_DOCUMENTS = ("agenda", "badge", "sheet")


@bp.get("/admin/registrations/<int:registration_id>/<document>.pdf")
@organizer_required
def person_document(registration_id: int, document: str):
    """One person's agenda, badge or commitment sheet."""
    if document not in PERSONAL_DOCUMENTS:
        abort(404, "There is no such document.")
    registration = _registration_or_404(registration_id)
    event = registration.event
    if document == "badge":  # in a slot of a part-used sheet, or on a page of its own
        html = documents.badge_reprint_html(event, registration, request.args.get("at", "1"))
        return _pdf(pdf_or_503(html), f"{event.slug}-badge-{registration.id}.pdf", private=True)
    found = documents.attendees(event, registration_ids=[registration.id], statuses=tuple(RegistrationStatus))
    person = found[0]
    if document == "agenda":
        documents.give_private_links([person])
        html = documents.personal_agenda_html(event, person)
        db.session.commit()  # the link printed on the agenda must work
    else:
        html = documents.commitment_sheet_html(event, person)
    return _pdf(pdf_or_503(html), f"{event.slug}-{document}-{registration.id}.pdf", private=True)


@bp.get("/admin/visits/<int:visit_id>/roster.pdf")
@login_required
def visit_roster(visit_id: int):
    """A visit's roster and sign-in sheet, for organizers and that school's host coordinator."""
    visit = visit_or_404(visit_id)
    html = documents.roster_html(visit, documents.roster_seats([visit])[visit.id])
    return _pdf(pdf_or_503(html), f"roster-visit-{visit.id}.pdf", private=True)
