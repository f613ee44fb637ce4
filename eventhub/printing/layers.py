"""A batch of personal agendas printed in two layers: each distinct programme (everything but what is
personal, "Page N of M" included) laid out once, drawn over each attendee's name layer (their name,
district, QR code and link, and their name in the running header).

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
                  chunk_done: Callable[[int], None], logo: bytes | None = None) -> tuple[bytes, int]:
    """Lay out the programmes, then the name layers of `chunk_size` attendees at a time (their page
    counts follow the programmes), joining each chunk while the workers lay out the next ones.
    `chunk_done` hears of each chunk of attendees finished."""
    from eventhub.printing.render import render_layer  # WeasyPrint loads on first use

    submit = pool.submit if pool is not None else _run_here
    programme_tasks = [submit(render_layer, chunk, logo) for chunk in _chunks(plan.programmes, PROGRAMMES_PER_TASK)]
    results = [task.result() for task in programme_tasks]
    with LayerJoin([pdf for pdf, _ in results], [count for _, counts in results for count in counts]) as join:
        # Writing a chunk's HTML takes milliseconds: the workers go straight on from the programmes.
        name_tasks = []
        for start in range(0, plan.total, chunk_size):
            people = range(start, min(start + chunk_size, plan.total))
            sheets = [NameSheet(plan.people[i], join.pages_of(plan.programme_of[i])) for i in people]
            name_tasks.append((people, submit(render_layer, [documents.names_layer_html(plan.event, sheets)], logo)))
        for people, task in name_tasks:
            join.add_names(task.result()[0], [plan.programme_of[i] for i in people])
            chunk_done(len(people))
        return join.finish(plan.title)


class LayerJoin:
    """The batch's PDF: name-layer pages in print order, each with its programme page drawn over it.

    Each programme page is one Form XObject, copied in once and drawn on the pages of all who share it.
    """

    def __init__(self, programme_pdfs: list[bytes], programme_pages: list[int]):
        self.pdf = pikepdf.Pdf.new()
        self.sources = [pikepdf.Pdf.open(BytesIO(data)) for data in programme_pdfs]
        pages = [page for source in self.sources for page in source.pages]
        if len(pages) != sum(programme_pages):
            raise RuntimeError("the programmes were not laid out as counted")
        self.forms: list[list[pikepdf.Object]] = []
        start = 0
        for count in programme_pages:
            self.forms.append([self.pdf.copy_foreign(page.as_form_xobject()) for page in pages[start:start + count]])
            start += count

    def pages_of(self, programme: int) -> int:
        """How many pages the programme has, and so every agenda that shares it."""
        return len(self.forms[programme])

    def add_names(self, data: bytes, programmes: list[int]) -> None:
        """Add a name-layer document of attendees (the programme of each, in order) under their programmes."""
        source = pikepdf.Pdf.open(BytesIO(data))
        self.sources.append(source)
        forms = [form for programme in programmes for form in self.forms[programme]]
        if len(source.pages) != len(forms):
            raise RuntimeError(f"a name layer has {len(source.pages)} pages where its programmes have {len(forms)}")
        for page, form in zip(source.pages, forms):
            self.pdf.pages.append(page)
            # None (the page's own box) is pikepdf's default for rect; its stub omits the default, so say it.
            self.pdf.pages[-1].add_overlay(form, None)

    def finish(self, title: str) -> tuple[bytes, int]:
        """The joined PDF's bytes and page count."""
        return describe_and_save(self.pdf, title, self.sources)

    def __enter__(self) -> "LayerJoin":
        return self

    def __exit__(self, *exc) -> None:
        for source in self.sources:
            source.close()
        self.pdf.close()


def describe_and_save(pdf: pikepdf.Pdf, title: str, sources: list[pikepdf.Pdf]) -> tuple[bytes, int]:
    """Give a joined PDF the batch's title and language; its bytes and page count. Its header declares
    the newest PDF version among the files it was joined from (a new file starts at 1.3, below what
    WeasyPrint's fonts and transparency need)."""
    pdf.docinfo[pikepdf.Name.Title] = title
    pdf.docinfo[pikepdf.Name.Creator] = "eventhub"
    pdf.Root.Lang = pikepdf.String("en")
    out = BytesIO()
    pdf.save(out, min_version=newest_version(sources))
    return out.getvalue(), len(pdf.pages)


def newest_version(sources: list[pikepdf.Pdf]) -> str:
    """The newest of the files' PDF versions ("1.7")."""
    return max((source.pdf_version for source in sources), key=lambda v: tuple(map(int, v.split("."))),
               default="1.7")


def _chunks(items: list, size: int) -> Iterator[list]:
    for start in range(0, len(items), size):
        yield items[start:start + size]


def _run_here(function, *args) -> Future:
    """Run now, in this process, and hand back the outcome as a finished future."""
    future: Future = Future()
    future.set_result(function(*args))
    return future
