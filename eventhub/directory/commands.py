"""`flask directory export`: the directory as CSV, in the columns the import reads."""
from pathlib import Path

import click
from flask.cli import AppGroup

from eventhub.directory.exports import csv_lines, directory_rows

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
