"""`flask print ...`: print a batch from the terminal, with a progress bar."""
from pathlib import Path

import click
import sqlalchemy as sa
from flask.cli import AppGroup

from eventhub.extensions import db
from eventhub.models import Event, PrintKind, PrintStatus
from eventhub.network import logo_png
from eventhub.printing import documents
from eventhub.printing.batches import batch_path, create_batch, run_batch
from eventhub.printing.documents import Order

print_cli = AppGroup("print", help="Print PDFs: the agenda and every batch of personal documents.")

_event_option = click.option("--event", "slug", required=True, help="The event's URL name (slug).")
_out_option = click.option("--out", "out", required=True, type=click.Path(dir_okay=False, writable=True),
                           help="Where to write the PDF.")


def _event(slug: str) -> Event:
    event = db.session.scalar(sa.select(Event).where(Event.slug == slug))
    if event is None:
        raise click.BadParameter(f"no event with the slug {slug!r}", param_hint="--event")
    return event


def _batch_command(kind: PrintKind, name: str, help_text: str, ordered: bool = True):
    @_event_option
    @_out_option
    @click.option("--workers", type=click.IntRange(1, 64), default=None,
                  help="Processes laying out pages (default: PRINT_WORKERS, one per core).")
    def command(slug: str, out: str, workers: int | None, order: str = Order.NAME.value) -> None:
        event = _event(slug)
        batch = create_batch(event, kind, Order(order))
        db.session.commit()
        with click.progressbar(length=1, label=kind.label, show_percent=True, show_pos=True) as bar:
            def advance(b) -> None:
                bar.length = b.total
                bar.update(b.done - bar.pos)

            batch = run_batch(batch.id, workers=workers, on_progress=advance)
        if batch.status is not PrintStatus.DONE:
            raise click.ClickException(batch.error)
        Path(out).write_bytes(batch_path(batch).read_bytes())
        click.echo(f"{batch.total} documents, {batch.pages} pages written to {out}.")

    command.__doc__ = help_text
    if ordered:
        command = click.option("--order", type=click.Choice([o.value for o in Order]), default=Order.NAME.value,
                               show_default=True, help="By last name, or by visit and bus.")(command)
    print_cli.command(name)(command)


_batch_command(PrintKind.AGENDAS, "agendas", "Every confirmed attendee's personal agenda, each numbered on its own.")
_batch_command(PrintKind.BADGES, "badges", "Name badges for every confirmed attendee, six per sheet (Avery 5392).")
_batch_command(PrintKind.SHEETS, "sheets", "A commitment sheet for every confirmed attendee.")
_batch_command(PrintKind.ROSTERS, "rosters", "The roster and sign-in sheet of every visit.", ordered=False)


@print_cli.command("agenda")
@_event_option
@_out_option
def agenda_command(slug: str, out: str) -> None:
    """The event's agenda, as on /events/<slug>/agenda.pdf."""
    from eventhub.printing.render import render_pdf

    Path(out).write_bytes(render_pdf(documents.event_agenda_html(_event(slug)), logo=logo_png()))
    click.echo(f"Agenda written to {out}.")
