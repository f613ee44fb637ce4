"""A batch of personal agendas printed in two layers: each distinct programme laid out once, and over
it each attendee's name layer (their name block, the running header and "Page N of M").

Most attendees of a convening share their programme with others: the same days and the same visits.
Laying that out once per programme instead of once per attendee is what makes 750 agendas quick; the
name layer of twenty attendees is one small document. qpdf (through pikepdf) joins the layers: each
programme page becomes one Form XObject, drawn on the pages of everyone who shares it, so the file
stays small too. A page looks exactly as the same attendee's agenda printed alone.
"""
from collections.abc import Callable, Iterator
from concurrent.futures import Executor, Future
from dataclasses import dataclass
from io import BytesIO

import pikepdf

from eventhub.events.services import agenda_by_day
from eventhub.models import Event
from eventhub.printing import documents
from eventhub.printing.documents import Attendee, NameSheet

# Layers pay when, on average, at least this many attendees share each programme.
MIN_SHARING = 3
# Programmes handed to a worker process at a time (name layers go by the batch's chunk size).
PROGRAMMES_PER_TASK = 4


@dataclass
class LayeredPlan:
    """Personal agendas in print order, each attendee pointing at the programme they share."""

    event: Event
    people: list[Attendee]
    programme_of: list[int]  # per attendee: the index of their programme
    programmes: list[str]  # the HTML of each distinct programme
    title: str

    @property
    def total(self) -> int:
        """Documents in the batch: one per attendee."""
        return len(self.people)


def layered_plan(event: Event, people: list[Attendee], title: str) -> LayeredPlan | None:
    """Group attendees by programme; None when too few share one for the layers to pay."""
    index: dict[tuple, int] = {}
    firsts: list[Attendee] = []
    programme_of = []
    for person in people:
        key = documents.programme_key(person)
        if key not in index:
            index[key] = len(firsts)
            firsts.append(person)
        programme_of.append(index[key])
    if not people or len(firsts) * MIN_SHARING > len(people):
        return None
    days = agenda_by_day(event)
    programmes = [documents.personal_agenda_html(event, person, days, part="programme") for person in firsts]
    return LayeredPlan(event, people, programme_of, programmes, title)


def print_layered(plan: LayeredPlan, pool: Executor | None, chunk_size: int,
                  chunk_done: Callable[[int], None]) -> tuple[bytes, int]:
    """Lay out the programmes, then the name layers of `chunk_size` attendees at a time (their page counts
    follow the programmes), and join them; `chunk_done` hears of each chunk of attendees finished."""
    from eventhub.printing.render import render_layer  # WeasyPrint loads on first use

    submit = pool.submit if pool is not None else _run_here
    programme_tasks = [submit(render_layer, chunk) for chunk in _chunks(plan.programmes, PROGRAMMES_PER_TASK)]
    sheets = [NameSheet(person, pages=0) for person in plan.people]
    for sheet in sheets:  # the QR codes are drawn here while the workers lay out the programmes
        if sheet.person.private_url:
            sheet.qr = documents.qr_image(sheet.person.private_url)
    programme_pdfs, programme_pages = [], []
    for task in programme_tasks:
        pdf, counts = task.result()
        programme_pdfs.append(pdf)
        programme_pages.extend(counts)
    for sheet, programme in zip(sheets, plan.programme_of):
        sheet.pages = programme_pages[programme]
    # Each chunk's HTML is written here while the workers lay out the chunks already sent.
    name_tasks = [(len(chunk), submit(render_layer, [documents.names_layer_html(plan.event, chunk)]))
                  for chunk in _chunks(sheets, chunk_size)]
    name_pdfs = []
    for size, task in name_tasks:
        name_pdfs.append(task.result()[0])
        chunk_done(size)
    return join_layers(programme_pdfs, programme_pages, name_pdfs, plan.programme_of, plan.title)


def join_layers(programme_pdfs: list[bytes], programme_pages: list[int], name_pdfs: list[bytes],
                programme_of: list[int], title: str) -> tuple[bytes, int]:
    """One PDF: the name layers' pages in order, each with its programme page drawn over it."""
    with pikepdf.Pdf.new() as joined:
        sources: list[pikepdf.Pdf] = []
        try:
            for pdf in programme_pdfs:
                sources.append(pikepdf.Pdf.open(BytesIO(pdf)))
            pages = [page for source in sources for page in source.pages]
            forms, start = [], 0
            for count in programme_pages:
                forms.append([joined.copy_foreign(page.as_form_xobject()) for page in pages[start:start + count]])
                start += count
            for pdf in name_pdfs:
                source = pikepdf.Pdf.open(BytesIO(pdf))
                sources.append(source)
                joined.pages.extend(source.pages)
            layered = [form for programme in programme_of for form in forms[programme]]
            if len(layered) != len(joined.pages):
                raise RuntimeError(f"the name layer has {len(joined.pages)} pages where the programmes "
                                   f"have {len(layered)}")
            for page, form in zip(joined.pages, layered):
                page.add_overlay(form)
            return describe_and_save(joined, title)
        finally:
            for source in sources:
                source.close()


def describe_and_save(pdf: pikepdf.Pdf, title: str) -> tuple[bytes, int]:
    """Give a joined PDF the batch's title and language; its bytes and page count."""
    pdf.docinfo[pikepdf.Name.Title] = title
    pdf.docinfo[pikepdf.Name.Creator] = "eventhub"
    pdf.Root.Lang = pikepdf.String("en")
    out = BytesIO()
    pdf.save(out)
    return out.getvalue(), len(pdf.pages)


def _chunks(items: list, size: int) -> Iterator[list]:
    for start in range(0, len(items), size):
        yield items[start:start + size]


def _run_here(function, *args) -> Future:
    """Run now, in this process, and hand back the outcome as a finished future."""
    future: Future = Future()
    future.set_result(function(*args))
    return future
