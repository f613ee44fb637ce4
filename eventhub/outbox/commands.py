"""`flask mail ...`: deliver or inspect the outbox from the terminal or cron."""
from typing import cast

import click
import sqlalchemy as sa
from flask import current_app
from flask.cli import AppGroup
from sqlalchemy.engine import CursorResult

from eventhub.extensions import db
from eventhub.models import OutboxMessage, OutboxStatus
from eventhub.outbox.delivery import deliver_pending

mail_cli = AppGroup("mail", help="Deliver and inspect outgoing email.")


@mail_cli.command("deliver")
@click.option("--retry-now", is_flag=True,
              help="Also retry messages still waiting out their backoff (e.g. once the mail server is fixed).")
def deliver_command(retry_now: bool) -> None:
    """Send every message that is due (safe to run from cron, and twice at once)."""
    report = deliver_pending(db.engine, current_app.config, ignore_backoff=retry_now)
    click.echo(report.summary)
    for message_id, error in report.failed.items():
        click.echo(f"  message {message_id}: {error}", err=True)
    if report.failed:
        raise SystemExit(1)


@mail_cli.command("requeue-failed")
def requeue_failed_command() -> None:
    """Try every message marked failed again (after fixing what made it fail)."""
    count = cast(CursorResult, db.session.execute(
        sa.update(OutboxMessage).where(OutboxMessage.status == OutboxStatus.FAILED)
        .values(status=OutboxStatus.PENDING, next_attempt_at=None, claimed_at=None)
    )).rowcount
    db.session.commit()
    click.echo(f"{count} failed message(s) will be tried again.")


@mail_cli.command("status")
def status_command() -> None:
    """Count messages by delivery state."""
    rows = db.session.execute(
        sa.select(OutboxMessage.status, sa.func.count()).group_by(OutboxMessage.status)
    ).all()
    counts = {status: count for status, count in rows}
    for status in OutboxStatus:
        click.echo(f"{status.value:>8}: {counts.get(status, 0)}")
