"""`flask registrations ...`: operator tasks on attendees' private links."""
import click
import sqlalchemy as sa
from flask.cli import AppGroup

from eventhub.extensions import db
from eventhub.models import Event
from eventhub.registration.services import find_registration, revoke_links

registrations_cli = AppGroup("registrations", help="Manage attendees' registrations and private links.")


@registrations_cli.command("revoke-links")
@click.option("--event", "slug", required=True, help="The event's URL slug.")
@click.option("--email", required=True, help="The attendee's email address.")
@click.option("--send-new/--no-send-new", default=True, show_default=True,
              help="Email the attendee a fresh link after revoking the old ones.")
def revoke_links_command(slug: str, email: str, send_new: bool) -> None:
    """Make an attendee's private links and calendar feed stop working (e.g. an email was forwarded)."""
    event = db.session.scalar(sa.select(Event).where(Event.slug == slug))
    if event is None:
        raise click.ClickException(f"No event with slug {slug!r}.")
    registration = find_registration(event, email)
    if registration is None:
        raise click.ClickException(f"No registration for {email} at {slug}.")
    count = revoke_links(registration, send_new=send_new)
    db.session.commit()
    click.echo(f"Revoked {count} link(s) for {registration.email}." + (" A new link was emailed." if send_new else ""))
