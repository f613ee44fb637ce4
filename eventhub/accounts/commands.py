"""`flask users ...`: create back-office accounts from the terminal."""
import click
import sqlalchemy as sa
from email_validator import EmailNotValidError, validate_email
from flask.cli import AppGroup

from eventhub.accounts.services import AccountError, create_user
from eventhub.extensions import db
from eventhub.models import District, UserRole

users_cli = AppGroup("users", help="Manage back-office accounts.")


@users_cli.command("create")
@click.option("--email", required=True, help="The person's email; they sign in with it.")
@click.option("--role", type=click.Choice([r.value for r in UserRole]), default=UserRole.ORGANIZER.value,
              show_default=True, help="What the account may do.")
@click.option("--name", default="", help="The person's name.")
@click.option("--district", "district_name", default=None,
              help="For host coordinators: their district's name or NCES LEAID.")
@click.password_option(help="At least 12 characters; asked for when not given.")
def create_command(email: str, role: str, name: str, district_name: str | None, password: str) -> None:
    """Create an account (admin, organizer or host coordinator)."""
    try:
        email = validate_email(email, check_deliverability=False).normalized
    except EmailNotValidError as error:
        raise click.BadParameter(str(error), param_hint="--email") from None
    district = None
    if district_name:
        # Two districts may share a name (and a state): a name that is not unique asks for the LEAID.
        named = list(db.session.scalars(sa.select(District).where(
            sa.or_(District.name == district_name, District.nces_leaid == district_name.zfill(7)),
            District.archived_at.is_(None)).limit(10)))
        if not named:
            raise click.BadParameter(f"no district named {district_name!r}", param_hint="--district")
        if len(named) > 1:
            ids = ", ".join(f"{d.label} ({d.nces_leaid or 'no LEAID'})" for d in named)
            raise click.BadParameter(f"several districts are named {district_name!r}: {ids}; give the LEAID",
                                     param_hint="--district")
        district = named[0]
    try:
        user = create_user(email=email, role=UserRole(role), password=password, name=name, district=district)
    except AccountError as error:
        raise click.ClickException(str(error)) from None
    db.session.commit()
    click.echo(f"Created {user.role.value} account for {user.email}.")
