"""Waiting lists: whoever joined first is served first, ties broken by who was written first."""
import sqlalchemy as sa

from eventhub.extensions import db


def place_in_line(model, row, *same_line) -> int:
    """1 for the head: the waiting rows of `model` in the same line (`same_line` conditions) ahead of `row`,
    plus one."""
    ahead = db.session.scalar(
        sa.select(sa.func.count()).where(
            *same_line,
            model.status == row.status,
            sa.or_(
                model.waitlisted_at < row.waitlisted_at,
                sa.and_(model.waitlisted_at == row.waitlisted_at, model.id < row.id),
            ),
        )
    )
    return (ahead or 0) + 1
