"""A batch of personal agendas printed in two layers: each distinct programme laid out once, and over
it each attendee's name layer (their name block, the running header and "Page N of M").

Most attendees of a convening share their programme with others: the same days and the same visits.
Laying that out once per programme instead of once per attendee is what makes 750 agendas quick; the
name layer of twenty attendees is one small document. qpdf (through pikepdf) joins the layers: each
programme page becomes one Form XObject, drawn on the pages of everyone who shares it, so the file
stays small too. A page looks exactly as the same attendee's agenda printed alone.
"""
from collections.abc import Callable, Iterator
from collections import defaultdict
from concurrent.futures import Executor, Future, as_completed
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
    """Lay out the programmes, and the name layers of `chunk_size` attendees at a time as soon as their
    programmes' page counts are known; join them. `chunk_done` hears of each chunk of attendees finished.

    Name layers are grouped by programme, not in print order, so the workers never wait: each one
    is sent as soon as its programmes are laid out, and the join puts the pages back in order.
    """
    from eventhub.printing.render import render_layer  # WeasyPrint loads on first use

    submit = pool.submit if pool is not None else _run_here
    programme_tasks = {submit(render_layer, plan.programmes[start:start + PROGRAMMES_PER_TASK]): start
                       for start in range(0, len(plan.programmes), PROGRAMMES_PER_TASK)}
    attendees_of: dict[int, list[int]] = defaultdict(list)
    for person, programme in enumerate(plan.programme_of):
        attendees_of[programme].append(person)
    programme_pdfs: dict[int, bytes] = {}
    programme_pages = [0] * len(plan.programmes)
    name_tasks: list[tuple[list[int], Future]] = []
    waiting: list[int] = []  # attendees whose programme is laid out, not yet sent

    def send(people: list[int]) -> None:
        sheets = [NameSheet(plan.people[i], programme_pages[plan.programme_of[i]]) for i in people]
        name_tasks.append((people, submit(render_layer, [documents.names_layer_html(plan.event, sheets)])))

    for task in as_completed(programme_tasks):
        start = programme_tasks[task]
        programme_pdfs[start], counts = task.result()
        for programme, count in enumerate(counts, start):
            programme_pages[programme] = count
            waiting.extend(attendees_of[programme])
        while len(waiting) >= chunk_size:
            send(waiting[:chunk_size])
            del waiting[:chunk_size]
    if waiting:
        send(waiting)
    name_pdfs = []
    for people, task in name_tasks:
        name_pdfs.append((people, task.result()[0]))
        chunk_done(len(people))
    return join_layers([programme_pdfs[start] for start in sorted(programme_pdfs)], programme_pages, name_pdfs,
                       plan.programme_of, plan.title)


def join_layers(programme_pdfs: list[bytes], programme_pages: list[int], name_pdfs: list[tuple[list[int], bytes]],
                programme_of: list[int], title: str) -> tuple[bytes, int]:
    """One PDF: every attendee's name-layer pages in print order, each with its programme page drawn over it.

    `name_pdfs` holds, for each name-layer document, the attendees (print positions) it has pages for.
    """
    with pikepdf.Pdf.new() as joined:
        sources: list[pikepdf.Pdf] = []
        try:
            for pdf in programme_pdfs:
                sources.append(pikepdf.Pdf.open(BytesIO(pdf)))
            pages = [page for source in sources for page in source.pages]
            if len(pages) != sum(programme_pages):
                raise RuntimeError("the programmes were not laid out as counted")
            forms, start = [], 0
            for count in programme_pages:
                forms.append([joined.copy_foreign(page.as_form_xobject()) for page in pages[start:start + count]])
                start += count
            pages_of: dict[int, list[pikepdf.Page]] = {}
            for people, pdf in name_pdfs:
                source = pikepdf.Pdf.open(BytesIO(pdf))
                sources.append(source)
                names = iter(source.pages)
                for person in people:
                    pages_of[person] = [next(names) for _ in forms[programme_of[person]]]
                if next(names, None) is not None:
                    raise RuntimeError("a name layer has more pages than its programmes")
            for person, programme in enumerate(programme_of):
                for page, form in zip(pages_of[person], forms[programme]):
                    joined.pages.append(page)
                    joined.pages[-1].add_overlay(form)
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
