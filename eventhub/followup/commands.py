"""`flask followup ...`: send the follow-up reminders that are due (from cron every hour), or have RQ's
scheduler do it."""
from datetime import UTC

import click
from flask import current_app
from flask.cli import AppGroup

from eventhub.followup.reminders import send_due
from eventhub.models import utcnow

followup_cli = AppGroup("followup", help="Follow-up reminders after events.")


@followup_cli.command("remind")
@click.option("--now", "at", type=click.DateTime(formats=["%Y-%m-%d %H:%M"]),
              help='Act as if it were this moment, "YYYY-MM-DD HH:MM" in UTC (to test or replay).')
@click.option("--dry-run", is_flag=True, help="Count what is due without recording or sending anything.")
def remind_command(at, dry_run: bool) -> None:
    """Send the follow-up emails that are due: the invitation to write commitments when an event ends, the
    check-ins N days after it, the one before the next convening. Each goes once per person, however
    often (or however many at once) this runs; safe from cron every hour."""
    now = at.replace(tzinfo=UTC) if at else utcnow()
    report = send_due(now, dry_run=dry_run)
    for line in report.lines():
        click.echo(line)
    if report.errors:
        raise SystemExit(1)


@followup_cli.command("schedule")
@click.option("--cancel", is_flag=True, help="Stop the hourly runs instead.")
def schedule_command(cancel: bool) -> None:
    """Have RQ run `followup remind` every hour (needs REDIS_URL, and workers started with
    `rq worker --with-scheduler`). Running it again replaces the schedule; it never doubles it."""
    from eventhub.followup.jobs import (
        MINUTE,
        REPEATS,
        schedule_hourly,
        schedule_job_id,
        unschedule,
    )
    from eventhub.jobs import queue_for

    config = current_app.config
    if not config.get("REDIS_URL"):
        raise click.ClickException("REDIS_URL is not set: run `flask followup remind` from cron every hour instead.")
    if cancel:
        click.echo("The hourly follow-up reminders are no longer scheduled." if unschedule(config)
                   else "Nothing was scheduled.")
        return
    job = schedule_hourly(config, utcnow())
    first = queue_for(config).scheduled_job_registry.get_scheduled_time(job)
    click.echo(f"Scheduled `followup remind` every hour at {MINUTE} past (job {schedule_job_id(config)} on queue "
               f"{config['RQ_QUEUE']}), first at {first.astimezone(UTC):%Y-%m-%d %H:%M} UTC, for {REPEATS} runs.")
    click.echo("RQ workers must run with --with-scheduler for it to start.")
