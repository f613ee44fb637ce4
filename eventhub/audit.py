"""The audit log: every back-office change is written in the same transaction as the change itself."""
from datetime import date, datetime

from flask_login import current_user

from eventhub.extensions import db
from eventhub.models import AuditEntry, Event


def text(value) -> str:
    """A value as the log shows it: dates in ISO form, lists joined, nothing as an empty string."""
    if value is None:
        return ""
    if isinstance(value, (datetime, date)):
        return value.isoformat()
    if isinstance(value, (list, tuple, set)):
        return ", ".join(text(v) for v in value)
    if hasattr(value, "name") and hasattr(value, "id") and not isinstance(value, str):
        return str(value.name)
    return str(value)


def snapshot(obj, fields) -> dict[str, str]:
    """The fields of a model object as text, taken before a change to compare with after it."""
    return {name: text(getattr(obj, name)) for name in fields}


def changes_since(before: dict[str, str], obj) -> dict[str, list[str]]:
    """{field: [before, after]} for each field of the snapshot whose value is now different."""
    after = snapshot(obj, before)
    return {name: [before[name], after[name]] for name in before if before[name] != after[name]}


ATTENDEE = object()  # `user=ATTENDEE`: the attendee did it, from their private link (no account)


def record(action: str, subject_type: str, subject_id: int | None, label: str, *, event: Event | None = None,
           changes: dict | None = None, note: str = "", user=None) -> AuditEntry:
    """Add a line to the audit log for the signed-in user (or `user`, from a command; ATTENDEE for an attendee)."""
    if user is ATTENDEE:
        user = None
    elif user is None and current_user and current_user.is_authenticated:
        user = current_user
    entry = AuditEntry(
        user_id=getattr(user, "id", None), user_email=getattr(user, "email", "") or "",
        subject_type=subject_type, subject_id=subject_id, subject_label=label[:300],
        event_id=event.id if event is not None else None, action=action, changes=changes or {}, note=note[:500],
    )
    db.session.add(entry)
    return entry
