"""`flask visits ...` and `flask privacy purge`: allocation, host guest lists, screening-data deletion."""
from datetime import timedelta
from pathlib import Path

import click
import sqlalchemy as sa
from flask.cli import AppGroup

from eventhub.extensions import db
from eventhub.models import Event, SeatStatus, Visit, VisitAllocationMode
from eventhub.templating import moment
from eventhub.timezones import from_wall_clock
from eventhub.visits.allocation import (
    commit_allocation,
    new_seed,
    plan_allocation,
    record_preview,
    report_summary,
)
from eventhub.visits.handoff import guest_list_csv
from eventhub.visits.queries import seats_phrase
from eventhub.visits.services import VisitError, places_before_draw, purge_screening_data, set_allocation_mode

visits_cli = AppGroup("visits", help="Allocate visit seats and hand guest lists to host schools.")
privacy_cli = AppGroup("privacy", help="Delete personal data that is no longer needed.")


def _event(slug: str) -> Event:
    """The event with this slug, or a clear error."""
    event = db.session.scalar(sa.select(Event).where(Event.slug == slug))
    if event is None:
        raise click.ClickException(f"No event with slug {slug!r}.")
    return event


@visits_cli.command("allocate")
@click.option("--event", "slug", required=True, help="The event's URL slug.")
@click.option("--seed", type=int, default=None, help="Replay the allocation drawn with this seed.")
@click.option("--commit", is_flag=True, help="Write the allocation (needs the --seed of the preview).")
def allocate_command(slug: str, seed: int | None, commit: bool) -> None:
    """Preview the fair allocation of visit seats; then commit it with the same seed."""
    event = _event(slug)
    if commit and seed is None:
        raise click.UsageError("--commit needs the --seed printed by the preview, so you commit what you saw.")
    seed = new_seed() if seed is None else seed
    try:
        result = commit_allocation(event, seed) if commit else plan_allocation(event, seed)
    except VisitError as error:
        raise click.ClickException(str(error)) from None
    if not result.blocks:
        raise click.ClickException("No visit block of this event is waiting for an allocation.")
    for block in result.blocks:
        report = block.report
        click.echo(f"{block.block.title if block.block else 'Visit'}: {report_summary(report)}")
        for fill in report["visits"].values():
            click.echo(f"  {fill['title']}: {fill['assigned']} seats given, {fill['waiting']} waiting")
    if commit:
        db.session.commit()
        click.echo(f"Committed with seed {seed}; everyone was emailed their visits.")
    else:
        record_preview(event, result)
        db.session.commit()
        click.echo(f"Preview with seed {seed}. To commit exactly this: "
                   f"flask --app app visits allocate --event {slug} --seed {seed} --commit")


@visits_cli.command("mode")
@click.option("--event", "slug", required=True, help="The event's URL slug.")
@click.option("--first-come", "mode", flag_value="first_come", help="Give seats as choices arrive.")
@click.option("--lottery", "mode", flag_value="lottery", help="Collect rankings, then allocate fairly.")
@click.option("--choices-close", type=click.DateTime(formats=["%Y-%m-%d %H:%M"]), default=None,
              help="With --lottery: when rankings close, in the event's local time (YYYY-MM-DD HH:MM).")
@click.option("--held-seats", type=click.Choice(["keep", "release"]), default=None,
              help="With --lottery, when seats were already given first come: keep them (their holders are not "
                   "drawn), or release them into the draw (seated people are told).")
def mode_command(slug: str, mode: str | None, choices_close, held_seats: str | None) -> None:
    """Choose how an event gives out visit seats."""
    event = _event(slug)
    if mode is None:
        raise click.UsageError("Say --first-come or --lottery.")
    if mode == "first_come" and (choices_close is not None or held_seats is not None):
        raise click.UsageError("--choices-close and --held-seats go with --lottery.")
    held = places_before_draw(event) if mode != event.visit_allocation else []
    if held and held_seats is None:
        seated = sum(1 for place in held if place.status is SeatStatus.CONFIRMED)
        waiting = len(held) - seated
        raise click.UsageError(f"{seats_phrase(seated)} and {waiting} waiting-list place{'s' if waiting != 1 else ''} "
                               "were already given first come: say --held-seats keep, or --held-seats release.")
    released = set_allocation_mode(event, VisitAllocationMode(mode), release_held_places=held_seats == "release")
    event.choices_close_at = from_wall_clock(choices_close, event.timezone)
    db.session.commit()
    if released:
        click.echo(f"{seats_phrase(released)} went back into the draw; their holders were told.")
    when = f"; choices close {moment(event.choices_close_at, event.timezone)}" if event.choices_close_at else ""
    how = "first come, first served" if mode == "first_come" else "by a fair allocation after choices close"
    click.echo(f"{event.title}: visit seats are now given {how}{when}.")


@visits_cli.command("guest-list")
@click.option("--visit", "visit_id", type=int, required=True, help="The visit's number.")
@click.option("--out", type=click.Path(dir_okay=False, writable=True), default=None,
              help="Write the CSV here instead of to the terminal.")
def guest_list_command(visit_id: int, out: str | None) -> None:
    """The guest list for the host school's visitor system, as CSV."""
    visit = db.session.get(Visit, visit_id)
    if visit is None:
        raise click.ClickException(f"No visit number {visit_id}.")
    text = guest_list_csv(visit)
    if out:
        Path(out).write_text(text, encoding="utf-8")
        click.echo(f"Wrote {text.count(chr(10)) - 1} guests to {out}.")
    else:
        click.echo(text, nl=False)


@privacy_cli.command("purge")
@click.option("--days", type=click.IntRange(min=0), default=7, show_default=True,
              help="Delete screening data this many days after each visit.")
def purge_command(days: int) -> None:
    """Delete dates of birth and ID types collected for visits that ended long enough ago (cron-safe)."""
    count = purge_screening_data(older_than=timedelta(days=days))
    db.session.commit()
    click.echo(f"Deleted screening data of {count} visitor place(s).")
