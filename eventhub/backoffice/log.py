"""The audit log page: who changed what, when, filtered by event, kind of thing, person and words."""
from typing import Any

import sqlalchemy as sa
from flask import abort, render_template, request, url_for

from eventhub.accounts.access import organizer_required
from eventhub.backoffice import bp
from eventhub.bounds import parse_id
from eventhub.extensions import db
from eventhub.models import AuditEntry, Event, User

PAGE_SIZE = 50
SUBJECTS = {"registration": "Registrations", "event": "Events", "visit": "Visits", "agenda_item": "Agenda items",
            "school": "Host rules", "user": "Users", "message": "Messages"}


def _like(text: str) -> str:
    return "%" + text.lower().replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_") + "%"


@bp.get("/audit")
@organizer_required
def audit_log():
    """Every recorded change, newest first, 50 a page."""
    query = sa.select(AuditEntry)
    event = None
    if slug := request.args.get("event", "").strip():
        event = db.session.scalar(sa.select(Event).where(Event.slug == slug)) or abort(
            404, f"There is no event “{slug[:80]}”.")
        query = query.where(AuditEntry.event_id == event.id)
    subject = request.args.get("type", "").strip()
    if subject:
        if subject not in SUBJECTS:
            abort(400, f"“{subject[:40]}” is not a kind of change; choose one from the list.")
        query = query.where(AuditEntry.subject_type == subject)
    user_id = request.args.get("user", "").strip()
    if user_id:
        person = parse_id(user_id) or abort(400, "Choose a person from the list.")
        query = query.where(AuditEntry.user_id == person)
    words = " ".join(request.args.get("q", "").split())[:100]
    if words:
        query = query.where(sa.or_(sa.func.lower(AuditEntry.subject_label).like(_like(words), escape="\\"),
                                   sa.func.lower(AuditEntry.note).like(_like(words), escape="\\")))
    subject_id = request.args.get("id", "").strip()
    if subject_id:
        subject_number = parse_id(subject_id) or abort(400, "The id must be a number from the log.")
        query = query.where(AuditEntry.subject_id == subject_number)
    total = db.session.execute(sa.select(sa.func.count()).select_from(query.subquery())).scalar_one()
    pages = max((total + PAGE_SIZE - 1) // PAGE_SIZE, 1)
    page = min(max(request.args.get("page", 1, type=int) or 1, 1), pages)
    entries = list(db.session.scalars(query.order_by(AuditEntry.id.desc())
                                      .limit(PAGE_SIZE).offset((page - 1) * PAGE_SIZE)))
    args: dict[str, Any] = {k: v for k, v in request.args.items() if k != "page" and v}
    events = list(db.session.scalars(sa.select(Event).order_by(Event.starts_on.desc())))
    return render_template(
        "backoffice/audit.html", entries=entries, total=total, page=page, pages=pages, event=event,
        subjects=SUBJECTS, subject=subject, user_id=user_id, words=words, args=args,
        events=events, zones={e.id: e.timezone for e in events},
        users=list(db.session.scalars(sa.select(User).order_by(User.email))),
        page_url=lambda n: url_for("backoffice.audit_log", page=n, **args),
    )
