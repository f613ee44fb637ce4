"""`flask directory import` and `flask directory export`: the directory from and to CSV files."""
from pathlib import Path

import click
from flask.cli import AppGroup

from eventhub.directory.exports import csv_lines, directory_rows
from eventhub.directory.files import FileRefused
from eventhub.directory.imports import ImportPlan, ImportRefused, commit_import, preview_import
from eventhub.extensions import db

directory_cli = AppGroup("directory", help="The network's directory of districts and schools.")


@directory_cli.command("export")
@click.option("--schools", is_flag=True, help="The schools instead of the districts.")
@click.option("--out", "out", required=True, type=click.Path(dir_okay=False, writable=True),
              help="Where to write the CSV file.")
def export_command(schools: bool, out: str) -> None:
    """Write every district (or school) in use as CSV, a row at a time."""
    count = -1  # the header is no row
    with Path(out).open("w", encoding="utf-8", newline="") as file:
        for line in csv_lines(directory_rows(schools)):
            file.write(line)
            count += 1
    click.echo(f"{count:,} {'schools' if schools else 'districts'} written to {out}.")


@directory_cli.command("import")
@click.argument("file", type=click.Path(exists=True, dir_okay=False))
@click.option("--commit", "apply", is_flag=True, help="Apply it; without this, only the preview is shown.")
@click.option("--members", is_flag=True, help="Make every district of the file a member of the network.")
def import_command(file: str, apply: bool, members: bool) -> None:
    """Import districts or schools from a CSV file (the CCD's columns, or this app's own export), read as a
    stream: what it would add, update and leave alone, and the rows it cannot read, by line number."""
    try:
        with Path(file).open("rb") as stream:
            plan = preview_import(stream, members=members)
            _echo(plan)
            if not apply:
                click.echo("Nothing was changed. Run again with --commit to apply this.")
                return
            stream.seek(0)
            done = commit_import(stream, digest=plan.digest, version=plan.version, members=members)
    except (FileRefused, ImportRefused) as refused:
        raise click.ClickException(refused.message) from None
    db.session.commit()
    click.echo(f"Imported: {done.added:,} added, {done.updated:,} updated.")


def _echo(plan: ImportPlan) -> None:
    click.echo(f"{plan.kind.capitalize()}: {plan.added:,} to add, {plan.updated:,} to update, "
               f"{plan.unchanged:,} unchanged, {plan.error_count:,} not imported.")
    if plan.unknown_columns:
        click.echo(f"Columns left alone: {', '.join(plan.unknown_columns)}.")
    for planned in plan.updates[:50]:
        changes = "; ".join(f"{name} {old!s} -> {new!s}" for name, (old, new) in planned.changes.items())
        click.echo(f"  line {planned.line}: {planned.label}: {changes}")
    for planned in plan.flagged[:50]:
        click.echo(f"  line {planned.line}: {planned.label}: {planned.flag}")
    for line, reason in plan.errors[:100]:
        click.echo(f"  line {line}: not imported: {reason}")
    if plan.error_count > len(plan.errors[:100]):
        click.echo(f"  ... and {plan.error_count - 100:,} more rows not imported.")
