"""Two people editing one record: the version a form was opened at travels with it, and a save made from an
older version is refused instead of silently putting back what the other person changed."""
from dataclasses import dataclass
from datetime import datetime
from typing import cast

import sqlalchemy as sa
from sqlalchemy.engine import CursorResult
from sqlalchemy.orm.attributes import set_committed_value

from eventhub.audit import snapshot, text
from eventhub.errors import DomainError
from eventhub.extensions import db
from eventhub.models import AuditEntry


@dataclass(frozen=True)
class Difference:
    """One field whose saved value is not what the stale form would have saved."""

    field: str
    saved: str
    yours: str


class EditConflict(DomainError):
    """Someone saved the record after this form was opened. `differences` are the fields where what is saved
    now differs from the form; `version` is the record's version now, for the form to carry if its sender
    decides to save their values over the other person's."""

    title = "Changed since you opened it"

    def __init__(self, *, changed_by: str, changed_at: datetime | None, version: int,
                 differences: list[Difference]) -> None:
        who = changed_by or "someone else"
        super().__init__(f"This was changed by {who} since you opened it. Nothing of yours is saved yet: "
                         "compare the values below, then save again to keep yours, or leave the page to keep "
                         "theirs.")
        self.changed_by, self.changed_at = who, changed_at
        self.version, self.differences = version, differences


def claim_version(record, subject_type: str, opened: int | None, yours: dict) -> None:
    """Let a save go ahead only if the record is still at the version its form was opened at, and move the
    record to the next version in the same statement, so of two saves from one version exactly one wins (the
    database decides: PostgreSQL's row lock, SQLite's write lock). `opened` None (a command, a test) skips the
    comparison. `yours` are the values about to be saved, compared field by field when the save is refused."""
    table = type(record).__table__
    statement = sa.update(table).where(table.c.id == record.id).values(version=table.c.version + 1)
    if opened is not None:
        statement = statement.where(table.c.version == opened)
    if cast(CursorResult, db.session.execute(statement)).rowcount == 1:  # an UPDATE's result
        set_committed_value(record, "version", (opened or record.version) + 1)
        return
    db.session.refresh(record)
    saved = snapshot(record, yours)
    last = db.session.scalars(sa.select(AuditEntry).where(
        AuditEntry.subject_type == subject_type, AuditEntry.subject_id == record.id, AuditEntry.action == "edited")
        .order_by(AuditEntry.id.desc()).limit(1)).first()
    raise EditConflict(
        changed_by=last.user_email if last else "", changed_at=last.created_at if last else None,
        version=record.version,
        differences=[Difference(name, saved[name], text(value)) for name, value in yours.items()
                     if saved[name] != text(value)])
