"""Every printout, laid out for long Latin, Arabic and Hebrew, and CJK names and for the person with the
most visits, read back word by word with its box: no words printed over each other, none off the page,
and no document ending on a page that a short block was pushed onto."""
import re
from datetime import timedelta
from io import BytesIO
from pathlib import Path

import pytest

from eventhub.extensions import db
from eventhub.models import AgendaKind, AttendeeRole, School
from eventhub.printing import documents, layers
from eventhub.printing.render import render_pdf

from conftest import has_cjk_font
from print_layout import layout_problems, words_of

# (legal first, legal last, preferred) for each case; the Latin one is 40+ characters and never skips.
NAMES = {
    "latin": ("Maximiliana Wilhelmina Alejandra", "García-Fernández de la Concepción y Villanueva", ""),
    "arabic-hebrew": ("فاطمة الزهراء", "אברהם בן דוד", ""),
    "cjk": ("美咲", "山田", "王小明"),
}


@pytest.fixture(params=list(NAMES))
def names(request):
    if request.param == "cjk" and not has_cjk_font():
        pytest.skip("CJK names print in Noto Sans CJK: install it with `apt-get install fonts-noto-cjk` (CI does)")
    return NAMES[request.param]


@pytest.fixture
def printable(names, make_event, make_district, make_agenda_item, make_visit, book):
    """A three-day convening with a full agenda and three visit blocks; the person under test booked on a
    visit in every block (the most visits anyone has) with two colleagues on the same visits, and a
    commitment of theirs with every answer filled."""
    from eventhub.followup.services import CommitmentDetails, create_commitment

    host = make_district(name="Caliche Springs Independent School District", state="TX")
    member = make_district(name="Quarry Brook Regional Public Schools", state="NJ")
    event = make_event(title="Spring Convening 2027", hosts=[host], venue_name="Caliche Springs Convention Center",
                       venue_address="1200 Depot Street, Caliche Springs, TX 78548")
    school = host.schools[0]
    school.name = "Windmill Park Elementary School"
    school.accepted_id_kinds = ["us_drivers_license", "us_state_id", "passport"]
    school.photo_policy = "No photos of students' faces, work or screens without the principal's permission."
    school.screening_dob_required = True
    other = School(name="Agave Middle School", street="3300 Agave Road", city="Caliche Springs", state="TX")
    host.schools.append(other)
    db.session.commit()
    for day in range(3):
        on = event.starts_on + timedelta(days=day)
        make_agenda_item(event, on, "08:00", "08:45", title="Breakfast and check-in", room="Prefunction Hall")
        for n in range(6):
            make_agenda_item(event, on, f"{13 + n // 2}:{n % 2 * 30:02d}", f"{13 + n // 2}:{n % 2 * 30 + 25:02d}",
                             title=f"Breakout {n}: what we tried since the fall, and what the data showed",
                             room=f"Room {100 + n}", kind=AgendaKind.BREAKOUT)
    visits = []
    for day in range(3):
        on = event.starts_on + timedelta(days=day)
        first = make_visit(event, day=on, start="09:00", end="11:30", school=school, seats=20,
                           title=f"Early literacy on shared tablets, day {day + 1}", meeting_point="Depot Street loop",
                           host_contact_name="Mai Nguyen", host_contact_phone="(254) 555-0185")
        make_visit(event, block=first.block, school=other, seats=20, title=f"Advisory conferences, day {day + 1}")
        visits.append(first)
    first_name, last_name, preferred = names
    person = book(event, "under.test@example.org", *visits, legal_first_name=first_name, legal_last_name=last_name,
                  preferred_name=preferred, district_id=member.id)
    for n in range(2):
        book(event, f"colleague{n}@example.org", *visits, legal_first_name=f"Colleague{n}", legal_last_name="Smith",
             district_id=member.id)
    create_commitment(person, CommitmentDetails(
        visit_id=visits[0].id, change_idea="Shared tablets for the K-1 reading block, two stations a room",
        evidence="Six-year-olds logging in by picture", why_new="We only use tablets for testing",
        test_where="Room 12", test_with_whom="Ms. Ortiz's first grade", prediction="More minutes of reading",
        measure="Minutes read a day", baseline="12", target="20", support_needed="Ten tablets",
        support_from="the CTO"))
    db.session.commit()
    return event, person, visits



def _person(event, registration):
    people = documents.attendees(event)
    documents.give_private_links(people)
    db.session.commit()
    return next(p for p in people if p.registration.id == registration.id), people


def _assert_prints_cleanly(data: bytes, names):
    problems = layout_problems(data)
    assert problems == []
    printed = " ".join(w.text for page in words_of(data)[0] for w in page)
    for part in (p for p in names if p):
        # Arabic and Hebrew read back in the order they are drawn: right to left, so reversed.
        assert all(word in printed or word[::-1] in printed for word in part.split()), f"{part!r} is not printed"


def test_event_agenda(printable, names):
    event, _, _ = printable
    data = render_pdf(documents.event_agenda_html(event))
    assert layout_problems(data) == []


def test_personal_agenda(printable, names):
    event, registration, _ = printable
    person, _ = _person(event, registration)
    _assert_prints_cleanly(render_pdf(documents.personal_agenda_html(event, person)), names)


def test_personal_agendas_in_a_batch(printable, names):
    event, _, _ = printable
    _, people = _person(event, printable[1])
    plan = layers.layered_plan(event, people, "Spring Convening 2027: personal agendas")
    assert plan is not None  # the three share a programme: printed in two layers
    data, _ = layers.print_layered(plan, None, 4, lambda done: None)
    _assert_prints_cleanly(data, names)


def test_roster(printable, names):
    _, person, visits = printable
    visits[0].school.screening_id_type_required = True  # the widest roster: mobile, date of birth and ID type
    person.role = AttendeeRole.SUPERINTENDENT
    db.session.commit()
    data = render_pdf(documents.roster_html(visits[0], documents.roster_seats([visits[0]])[visits[0].id]))
    # The district and role columns keep room for whole words (they once narrowed to a letter a line).
    _assert_prints_cleanly(data, [*names[:2], "Quarry Brook Regional Public Schools", "Superintendent"])


def test_badges(printable, names):
    event, _, _ = printable
    _, people = _person(event, printable[1])
    _assert_prints_cleanly(render_pdf(documents.badges_html(event, people)), names)
    for at in ("single", "6"):  # a reprint on a badge-sized page, and in the last slot of a sheet
        _assert_prints_cleanly(render_pdf(documents.badge_reprint_html(event, printable[1], at)), names)


def test_commitment_sheets_blank_and_filled(printable, names):
    event, registration, _ = printable
    person, people = _person(event, registration)
    filled = documents.filled_sheets(event)
    assert filled.get(registration.id)
    _assert_prints_cleanly(render_pdf(documents.commitment_sheet_html(event, person, filled[registration.id])),
                           names)
    colleague = next(p for p in people if p is not person)
    assert layout_problems(render_pdf(documents.commitment_sheet_html(event, colleague, []))) == []


def test_report_back(printable, names, organizer_client):
    event, _, _ = printable
    response = organizer_client.get(f"/admin/events/{event.slug}/commitments/report.pdf")
    assert response.status_code == 200
    assert layout_problems(response.data) == []


def test_the_checker_finds_words_printed_over_each_other_and_a_pushed_over_last_page():
    words = " ".join(f"word{n}" for n in range(60))
    html = f"""<html><body style="font: 12pt sans-serif"><p>{words}</p>
      <p style="position: absolute; top: 300pt">Emeka Abernathy</p>
      <p style="position: absolute; top: 301pt">Private link</p>
      <p style="position: absolute; top: 400pt; font-size: 20pt">Abernathy</p>
      <p style="position: absolute; top: 402pt; font-size: 8pt">http://eventhub.test/r/token</p>
      <p style="position: absolute; top: 500pt; left: 900pt">Off the page</p>
      <div style="break-before: page">Visit norms: no photos.</div></body></html>"""
    problems = layout_problems(render_pdf(html))
    assert any("two words printed over each other" in p for p in problems)  # the same size, one place
    assert any("'Abernathy'" in p and "'http://eventhub.test/r/token'" in p and "printed over each other" in p
               for p in problems)
    assert any("'Off' lies outside the page" in p for p in problems)
    assert any("the last of 2 pages holds only 4 words" in p for p in problems)
    assert layout_problems(render_pdf(f"<p>{words}</p><p>Emeka Abernathy</p>")) == []


def test_the_event_agenda_never_ends_on_a_page_holding_only_the_visit_norms(make_event, make_agenda_item,
                                                                            make_visit):
    """However long the last day runs, the note closing its visits stays with them: each length from a
    short day to one that spills onto a second page is laid out and read back."""
    event = make_event(title="Spring Convening 2027")
    day = event.starts_on
    visit = make_visit(event, day=day, start="07:00", end="07:30", title="Early literacy on shared tablets")
    make_visit(event, block=visit.block, title="Advisory and student-led conferences")
    endings = set()
    for n in range(26):
        make_agenda_item(event, day, f"{8 + n // 4:02d}:{n % 4 * 15:02d}", f"{8 + n // 4:02d}:{n % 4 * 15 + 14:02d}",
                         title=f"Roundtable {n}: what member districts tried since the fall, and what it showed",
                         room=f"Room {n}")
        if n < 10:
            continue  # the day still fits its page by far
        data = render_pdf(documents.event_agenda_html(event))
        pages, _ = words_of(data)
        endings.add(len(pages))
        assert layout_problems(data) == [], f"with {n + 1} items"
    assert endings == {2, 3}  # the day did spill over: the case was met


def _heading_levels(html: str) -> list[int]:
    return [int(level) for level in re.findall(r"<h([1-6])[\s>]", html)]


def test_the_commitment_sheets_headings_go_in_order(printable, names):
    """A tagged PDF (PDF/UA) keeps heading levels in order: no h1 followed by an h3."""
    event, registration, _ = printable
    person, people = _person(event, registration)
    colleague = next(p for p in people if p is not person)
    for html in (documents.commitment_sheet_html(event, colleague, []),
                 documents.commitment_sheet_html(event, person, documents.filled_sheets(event)[registration.id])):
        levels = _heading_levels(html)
        assert levels[0] == 1 and all(b <= a + 1 for a, b in zip(levels, levels[1:])), levels


def _version(data: bytes) -> tuple[int, ...]:
    assert data.startswith(b"%PDF-")
    return tuple(int(n) for n in data[5:8].decode().split("."))


def test_joined_batches_declare_the_pdf_version_their_pages_need(printable, names):
    from eventhub.printing.batches import merge_pdfs

    event, _, _ = printable
    _, people = _person(event, printable[1])
    alone = [render_pdf(documents.personal_agenda_html(event, person)) for person in people]
    needed = max(_version(pdf) for pdf in alone)
    assert needed >= (1, 4)  # what WeasyPrint writes (1.7): transparency and compressed objects
    plan = layers.layered_plan(event, people, "personal agendas")
    assert plan is not None
    layered, _ = layers.print_layered(plan, None, 4, lambda done: None)
    merged, _ = merge_pdfs(alone, "personal agendas")
    assert _version(layered) == _version(merged) == needed


def test_single_documents_are_tagged_and_joined_batches_are_not_as_the_readme_says(printable, names):
    import pikepdf

    from eventhub.printing.batches import merge_pdfs

    event, _, _ = printable
    _, people = _person(event, printable[1])
    alone = [render_pdf(documents.personal_agenda_html(event, person)) for person in people]
    merged, _ = merge_pdfs(alone, "personal agendas")
    with pikepdf.open(BytesIO(alone[0])) as single, pikepdf.open(BytesIO(merged)) as joined:
        assert "/StructTreeRoot" in single.Root and "/StructTreeRoot" not in joined.Root
        assert str(joined.Root.Lang) == "en" and str(joined.docinfo["/Title"]) == "personal agendas"
    readme = (Path(__file__).resolve().parent.parent / "README.md").read_text()
    assert "is tagged for screen readers (PDF/UA-1)" in readme and "is not tagged" in readme
