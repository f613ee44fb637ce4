"""Batch printing outside the request: an RQ job when REDIS_URL is set, else a background thread.

A batch reads everything it prints in a few queries, renders the HTML here, and lays
the documents out in worker processes (PRINT_WORKERS, one per core by default), a
chunk at a time, saving progress after each chunk. The file appears under its final
name only when every page is in it; a failed batch keeps the reason and no file.
"""
import logging
import os
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from io import BytesIO
from pathlib import Path
from typing import Any, cast

import pikepdf
import sqlalchemy as sa
from flask import Flask, current_app

from eventhub.errors import DomainError
from eventhub.extensions import db
from eventhub.jobs import queue_for
from eventhub.models import Event, PrintBatch, PrintKind, PrintStatus, User, utcnow
from eventhub.network import logo_png
from eventhub.printing import documents
from eventhub.printing.documents import Order
from eventhub.printing.layers import (
    LayeredPlan,
    describe_and_save,
    layered_plan,
    print_layered,
)

log = logging.getLogger(__name__)

# Documents per chunk: small enough for steady progress and modest memory (a laid-out page is large),
# large enough that each chunk's fixed cost (embedding the fonts it uses) is paid rarely.
CHUNK_SIZE = 20


class PrintError(DomainError):
    """A batch cannot be printed; the message says why, in words for the organizer."""


@dataclass
class Plan:
    """What a batch will print: the HTML of each document, produced lazily, and how many there are."""

    total: int
    htmls: Iterator[str]
    title: str


def create_batch(event: Event, kind: PrintKind, order: Order = Order.NAME, user: User | None = None) -> PrintBatch:
    """Record a batch to print; the caller commits, then calls `launch`."""
    batch = PrintBatch(event=event, kind=kind, order=order.value, requested_by_id=user.id if user else None)
    db.session.add(batch)
    db.session.flush()
    return batch


def plan_batch(batch: PrintBatch) -> Plan | LayeredPlan:
    """Load what the batch prints; private links are minted (and committed by the caller) before any rendering."""
    event = batch.event
    kind, order = batch.kind, Order(batch.order)
    if kind is PrintKind.ROSTERS:
        visits = documents.roster_visits(event)
        seats = documents.roster_seats(visits)
        htmls = (documents.roster_html(visit, seats[visit.id]) for visit in visits)
        return Plan(len(visits), htmls, f"{event.title}: visit rosters")
    people = documents.attendees(event, order=order)
    if kind is PrintKind.AGENDAS:
        documents.give_private_links(people)
        title = f"{event.title}: personal agendas"
        return layered_plan(event, people, title) or Plan(len(people), documents.iter_personal_agendas(event, people),
                                                          title)
    if kind is PrintKind.SHEETS:
        # Everyone's commitments and check-ins in two queries: filled sheets for those who wrote some.
        filled = documents.filled_sheets(event)
        htmls = (documents.commitment_sheet_html(event, person, filled.get(person.registration.id, []))
                 for person in people)
        return Plan(len(people), htmls, f"{event.title}: commitment sheets")
    sheets = documents.badge_sheets(people)
    return Plan(len(sheets), (documents.badges_html(event, sheet) for sheet in sheets), f"{event.title}: name badges")


def batch_path(batch: PrintBatch, config=None) -> Path:
    """Where a finished batch's PDF is kept."""
    config = config or current_app.config
    return Path(config["PRINT_DIR"]) / f"batch-{batch.id}-{batch.kind.value}.pdf"


def run_batch(batch_id: int, *, workers: int | None = None,
              on_progress: Callable[[PrintBatch], None] | None = None) -> PrintBatch:
    """Print a batch to its file, saving progress as chunks finish; never leaves a partial file."""
    # Taking the batch is one conditional UPDATE, so two runners can never print the same batch.
    # An UPDATE's result is a CursorResult (which has rowcount); Session.execute is typed for any statement.
    taken = cast(sa.CursorResult[Any], db.session.execute(
        sa.update(PrintBatch).where(PrintBatch.id == batch_id, PrintBatch.status == PrintStatus.QUEUED)
        .values(status=PrintStatus.RUNNING, started_at=utcnow())
    )).rowcount
    db.session.commit()
    batch = db.session.get(PrintBatch, batch_id)
    if batch is None:
        raise PrintError(f"There is no print batch {batch_id}.")
    if not taken:
        return batch  # already taken by another runner, or finished
    config = current_app.config
    final = batch_path(batch, config)
    partial = final.with_suffix(".part")
    try:
        plan = plan_batch(batch)
        batch.total = plan.total
        db.session.commit()  # the private links printed on agendas now exist
        if plan.total == 0:
            raise PrintError("There is nothing to print: no confirmed attendees (or visits) yet.")
        final.parent.mkdir(parents=True, exist_ok=True)

        def chunk_done(count: int) -> None:
            batch.done = min(batch.done + count, batch.total)
            db.session.commit()
            if on_progress:
                on_progress(batch)

        pdf, pages = print_documents(plan, workers or config["PRINT_WORKERS"], chunk_done, logo_png())
        partial.write_bytes(pdf)
        os.replace(partial, final)  # the file appears whole, or not at all
        batch.status, batch.pages, batch.file_name = PrintStatus.DONE, pages, final.name
        batch.done, batch.finished_at = batch.total, utcnow()
        db.session.commit()
    except Exception as error:  # noqa: BLE001 (any failure must be recorded, not lost in a thread)
        db.session.rollback()
        partial.unlink(missing_ok=True)
        log.exception("print batch %s failed", batch_id)
        failed = db.session.get(PrintBatch, batch_id)
        assert failed is not None  # this runner took the row above, and batches are never deleted
        failed.status, failed.finished_at = PrintStatus.FAILED, utcnow()
        failed.error = str(error) if isinstance(error, PrintError) else (
            f"The printout could not be made ({type(error).__name__}: {str(error)[:300]}). "
            "Nothing was saved; try again, and tell the team if it fails again."
        )
        db.session.commit()
        return failed
    return batch


def _chunks(htmls: Iterator[str], size: int) -> Iterator[list[str]]:
    chunk: list[str] = []
    for html in htmls:
        chunk.append(html)
        if len(chunk) == size:
            yield chunk
            chunk = []
    if chunk:
        yield chunk


def print_documents(plan: Plan | LayeredPlan, workers: int, chunk_done: Callable[[int], None],
                    logo: bytes | None = None) -> tuple[bytes, int]:
    """Lay out every document (each numbered on its own) and return one PDF and its page count; `logo` is the
    network's (network.logo_png()), handed to the worker processes with their documents."""
    from eventhub.printing.render import (  # WeasyPrint loads on first use
        process_pool,
        render_in_processes,
        render_pdfs,
    )

    if isinstance(plan, LayeredPlan):
        if workers <= 1 or plan.total <= CHUNK_SIZE:
            return print_layered(plan, None, CHUNK_SIZE, chunk_done, logo)
        with process_pool(workers) as pool:
            return print_layered(plan, pool, CHUNK_SIZE, chunk_done, logo)

    if workers <= 1 or plan.total <= CHUNK_SIZE:
        done = 0

        def one_more() -> None:
            nonlocal done
            done += 1
            if done % CHUNK_SIZE == 0:
                chunk_done(CHUNK_SIZE)

        pdf, pages = render_pdfs(plan.htmls, on_document_done=one_more, logo=logo)
        chunk_done(done % CHUNK_SIZE)
        return pdf, pages
    # The HTML is rendered here, in order, while the worker processes lay out the chunks already sent.
    parts: list[bytes] = []

    def collect(index: int, size: int, pdf: bytes) -> None:
        parts.append(pdf)
        chunk_done(size)

    render_in_processes(_chunks(plan.htmls, CHUNK_SIZE), workers, collect, logo)
    return merge_pdfs(parts, plan.title)


def merge_pdfs(parts: list[bytes], title: str) -> tuple[bytes, int]:
    """Join chunk PDFs into one file with the batch's title and language (qpdf, through pikepdf:
    about twenty times faster than a pure-Python merge, and a fraction of its memory)."""
    with pikepdf.Pdf.new() as merged:
        sources = []
        try:
            for part in parts:
                source = pikepdf.Pdf.open(BytesIO(part))
                sources.append(source)
                merged.pages.extend(source.pages)
            return describe_and_save(merged, title, sources)
        finally:
            for source in sources:
                source.close()


# --- running a batch outside the request ------------------------------------------------------

# Without Redis, batches run one at a time in a thread of the process that asked for them.
_local_runner = ThreadPoolExecutor(max_workers=1, thread_name_prefix="print-batch")


def launch(app: Flask, batch_id: int) -> str:
    """Start a committed batch: on the RQ queue when REDIS_URL is set, else in a background thread."""
    if app.config.get("REDIS_URL"):
        try:
            queue_for(app.config).enqueue(print_batch_job, batch_id, job_timeout=3600, result_ttl=0)
            return "queue"
        except Exception:  # Redis unreachable: print here rather than not at all
            log.exception("could not queue print batch %s; printing it in this process", batch_id)
    _local_runner.submit(_run_in_thread, app, batch_id)
    return "thread"


def _run_in_thread(app: Flask, batch_id: int) -> None:
    with app.app_context():
        try:
            run_batch(batch_id)
        finally:
            db.session.remove()


def print_batch_job(batch_id: int) -> str:
    """The RQ job: print one batch, in the worker's app context."""
    batch = run_batch(batch_id)
    return f"batch {batch.id}: {batch.status.value}"


def latest_batches(event: Event, limit: int = 20) -> list[PrintBatch]:
    """The event's recent batches, newest first."""
    return list(db.session.scalars(
        sa.select(PrintBatch).where(PrintBatch.event_id == event.id).order_by(PrintBatch.id.desc()).limit(limit)
    ))
