"""Printed PDFs: what each document says (read back from the PDF), its pages, metadata and fonts, and safety."""
import shutil
import subprocess
from datetime import date, timedelta
from io import BytesIO

import pytest
import sqlalchemy as sa
from pypdf import PdfReader

from eventhub.extensions import db
from eventhub.models import AgendaKind, AttendeeRole, School, VisitSeat
from eventhub.printing import documents, render
from eventhub.printing.qr import QR_BASE, qr_png, qr_source
from eventhub.printing.render import STATIC_BASE, render_pdf, static_path
from eventhub.visits.services import Screening

from conftest import has_cjk_font, private_link


def pages_text(data: bytes) -> list[str]:
    """The text of each page, whitespace collapsed."""
    return [" ".join(page.extract_text().split()) for page in PdfReader(BytesIO(data)).pages]


def all_text(data: bytes) -> str:
    return " ".join(pages_text(data))


def font_names(data: bytes) -> set[str]:
    """Base names of the fonts the PDF embeds (subset prefix removed)."""
    names = set()
    for page in PdfReader(BytesIO(data)).pages:
        for font in (page["/Resources"].get("/Font") or {}).values():
            names.add(str(font.get_object()["/BaseFont"]).split("+", 1)[-1])
    return names


@pytest.fixture
def member(make_district):
    """The district the attendees come from."""
    return make_district(name="Quarry Brook Public Schools", state="NJ")


@pytest.fixture
def book(book, member):
    """Booking as a member of Quarry Brook, unless told otherwise."""

    def factory(*args, **kw):
        kw.setdefault("district_id", member.id)
        return book(*args, **kw)

    return factory


@pytest.fixture
def convening(make_event, make_district, make_agenda_item, make_visit):
    """A two-day convening in Chicago time with a plenary, parallel breakouts and a visit block of two visits."""
    host = make_district(name="Caliche Springs ISD", state="TX")
    event = make_event(title="Spring Convening 2027", hosts=[host], venue_name="Caliche Springs Convention Center")
    day1 = event.starts_on
    make_agenda_item(event, day1, "08:30", "09:45", title="Opening plenary", room="Grand Ballroom")
    make_agenda_item(event, day1, "10:00", "11:15", title="Buying together", room="Pecan Room",
                     kind=AgendaKind.BREAKOUT, topic="Procurement")
    make_agenda_item(event, day1, "10:00", "11:15", title="Grading for competency", room="Live Oak Room",
                     kind=AgendaKind.BREAKOUT)
    school = host.schools[0]
    school.name, school.street, school.city = "Windmill Park Elementary", "815 Windmill Park Drive", "Caliche Springs"
    school.accepted_id_kinds = ["us_drivers_license", "passport"]
    school.photo_policy = "No photos of students."
    school.screening_dob_required = True
    other = School(name="Agave Middle School", street="3300 Agave Road", city="Caliche Springs", state="TX",
                   photo_id_required=False)
    host.schools.append(other)
    db.session.commit()
    first = make_visit(event, day=date.fromordinal(day1.toordinal() + 1), start="08:30", end="11:00",
                       title="Early literacy on shared tablets", school=school, meeting_point="Depot Street bus loop",
                       bus_departs_at=None, host_contact_name="Mai Nguyen", host_contact_phone="(254) 555-0185")
    first.bus_departs_at = first.starts_at - timedelta(minutes=45)  # 7:45 AM
    second = make_visit(event, block=first.block, school=other, title="Advisory and student-led conferences")
    db.session.commit()
    return event, first, second


def test_event_agenda_has_the_cover_the_days_in_the_events_zone_and_page_numbers(convening, client):
    event, first, second = convening
    response = client.get(f"/events/{event.slug}/agenda.pdf")
    assert response.status_code == 200 and response.mimetype == "application/pdf"
    pages = pages_text(response.data)
    cover = pages[0]
    assert "Spring Convening 2027" in cover and "Caliche Springs ISD" in cover
    assert "Caliche Springs Convention Center" in cover and "Central Time (America/Chicago)" in cover
    body = " ".join(pages[1:])
    assert "8:30 AM–9:45 AM Opening plenary · Grand Ballroom · Plenary" in body
    # Parallel breakouts share one time slot: the time is printed once, the sessions side by side.
    assert ("10:00 AM–11:15 AM Buying together · Pecan Room · Breakout: Procurement "
            "Grading for competency · Live Oak Room · Breakout") in body
    assert body.count("10:00 AM–11:15 AM") == 1
    # The visit day lists its visits with their schools and the time at the school.
    assert "Early literacy on shared tablets" in body and "Windmill Park Elementary" in body
    assert "Agave Middle School" in body and "8:30 AM–11:00 AM" in body
    total = len(pages)
    for number, text in enumerate(pages, start=1):
        assert f"Page {number} of {total}" in text
    assert "Spring Convening 2027" in pages[1].split("Page")[0]  # the running header, not only the cover


def test_a_pdf_carries_its_title_and_language_and_is_tagged(convening):
    event, _, _ = convening
    data = render_pdf(documents.event_agenda_html(event))
    reader = PdfReader(BytesIO(data))
    assert reader.metadata.title == "Spring Convening 2027: agenda"
    root = reader.trailer["/Root"]
    assert root["/Lang"] == "en"
    assert bool(root["/MarkInfo"]["/Marked"])
    assert "/StructTreeRoot" in root
    assert b"pdfuaid" in root["/Metadata"].get_object().get_data()  # PDF/UA identification (XMP)


def test_the_public_agenda_is_cached_by_version_and_not_given_for_drafts(convening, client, make_event,
                                                                        make_agenda_item):
    event, _, _ = convening
    first = client.get(f"/events/{event.slug}/agenda.pdf")
    etag = first.headers["ETag"]
    assert client.get(f"/events/{event.slug}/agenda.pdf", headers={"If-None-Match": etag}).status_code == 304
    make_agenda_item(event, event.starts_on, "16:00", "17:00", title="Network dinner")
    changed = client.get(f"/events/{event.slug}/agenda.pdf", headers={"If-None-Match": etag})
    assert changed.status_code == 200 and "Network dinner" in all_text(changed.data)
    from eventhub.models import EventStatus

    draft = make_event(status=EventStatus.DRAFT)
    assert client.get(f"/events/{draft.slug}/agenda.pdf").status_code == 404


def test_personal_agenda_from_the_private_page(convening, client, book, mailbox):
    event, first, second = convening
    book(event, "ana@example.org", first, legal_first_name="Ana", legal_last_name="García",
               preferred_name="Anita", title="Principal, Lincoln Elementary",
               screening=Screening(date_of_birth=date(1980, 5, 2), consent=True))
    link = private_link(mailbox.to("ana@example.org")[0])
    token = link.rsplit("/", 1)[-1]
    page = client.get(f"/r/{token}")
    assert f"/r/{token}/agenda.pdf" in page.get_data(as_text=True)
    response = client.get(f"/r/{token}/agenda.pdf")
    assert response.status_code == 200
    assert response.headers["Cache-Control"] == "no-store"
    assert response.headers["Referrer-Policy"] == "no-referrer"
    text = all_text(response.data)
    assert "Anita" in text and "Ana García" in text and "Quarry Brook Public Schools" in text
    assert "Principal, Lincoln Elementary" in text
    visit_zone = first.starts_at.astimezone(first.zone)
    assert "Early literacy on shared tablets" in text and "8:30 AM–11:00 AM" in text
    assert visit_zone.tzname() in text  # CDT or CST, as on the day
    assert "Windmill Park Elementary, 815 Windmill Park Drive" in text
    assert "Meet at Depot Street bus loop at 7:45 AM, when the bus leaves." in text
    assert "Host: Mai Nguyen, (254) 555-0185" in text
    assert "Bring government photo ID (US driver's license or passport)" in text
    assert "No photos of students." in text
    assert link in text  # the private link as text (a QR code of it sits beside the name)
    assert "Opening plenary" in text and "Buying together (Pecan Room) · Grading for competency" in text
    assert "Your visit: Windmill Park Elementary" in text


def test_personal_agenda_links_refuse_cancelled_and_unknown(convening, client, book, mailbox):
    event, first, _ = convening
    book(event, "ana@example.org", first)
    token = private_link(mailbox.to("ana@example.org")[0]).rsplit("/", 1)[-1]
    assert client.get("/r/not-a-token/agenda.pdf").status_code == 404
    client.post(f"/r/{token}/cancel", data={"confirm": "y"})
    response = client.get(f"/r/{token}/agenda.pdf")
    assert response.status_code == 404 and b"cancelled" in response.data


def test_each_attendee_is_numbered_on_their_own_inside_a_batch(convening, app):
    from eventhub.models import PrintKind
    from eventhub.printing.batches import batch_path, create_batch, run_batch

    event, first, second = convening
    from eventhub.registration.services import register

    from conftest import attendee

    for n in range(3):
        register(event, attendee(f"p{n}@example.org", legal_last_name=f"Person{n}",
                                 accessibility_notes="", allergies=""))
    db.session.commit()
    batch = create_batch(event, PrintKind.AGENDAS)
    db.session.commit()
    batch = run_batch(batch.id)
    pages = pages_text(batch_path(batch).read_bytes())
    numbers = [p[p.index("Page "):].split()[1:4] for p in pages]
    per_person = len(pages) // 3
    assert batch.pages == len(pages) == 3 * per_person
    assert numbers == [[str(i), "of", str(per_person)] for _ in range(3) for i in range(1, per_person + 1)]
    names = [next(f"Person{n}" for n in range(3) if f"Person{n}" in p) for p in pages[::per_person]]
    assert names == ["Person0", "Person1", "Person2"]  # by last name


def test_roster_shows_screening_only_where_the_host_collects_it(convening, book):
    event, first, second = convening
    book(event, "ana@example.org", first, legal_first_name="Ana", legal_last_name="García",
         screening=Screening(date_of_birth=date(1980, 5, 2), consent=True))
    book(event, "bo@example.org", second, legal_first_name="Bo", legal_last_name="Zhang", role=AttendeeRole.COACH)
    seats = documents.roster_seats([first, second])
    screened = all_text(render_pdf(documents.roster_html(first, seats[first.id])))
    assert "García, Ana Quarry Brook Public Schools, NJ Principal 1980-05-02" in screened
    assert "DATE OF BIRTH ID CHECKED SIGNATURE" in screened and "Confidential" in screened
    plain = all_text(render_pdf(documents.roster_html(second, seats[second.id])))
    assert "Zhang, Bo Quarry Brook Public Schools, NJ Coach" in plain and "MOBILE ID CHECKED SIGNATURE" in plain
    assert "DATE OF BIRTH" not in plain and "García" not in plain
    # After the purge the column stays, empty: the host sees that the data is gone.
    seat = db.session.scalar(sa.select(VisitSeat).where(VisitSeat.visit_id == first.id))
    seat.date_of_birth, seat.screening_purged_at = None, seat.created_at
    db.session.commit()
    purged = all_text(render_pdf(documents.roster_html(first, documents.roster_seats([first])[first.id])))
    assert "1980-05-02" not in purged and "García, Ana" in purged


def test_badges_six_to_a_sheet_with_both_names_district_role_and_visit(convening, book):
    event, first, _ = convening
    for n in range(7):
        book(event, f"p{n}@example.org", first, legal_first_name="Margaret", legal_last_name=f"Lee{n}",
             preferred_name="Peggy", title="Instructional coach")
    people = documents.attendees(event)
    pages = pages_text(render_pdf(documents.badges_html(event, people)))
    assert len(pages) == 2
    assert pages[0].count("Peggy") == 6 and pages[1].count("Peggy") == 1
    assert "Margaret Lee0" in pages[0] and "Instructional coach" in pages[0]
    assert pages[0].count("Quarry Brook Public Schools") == 6
    assert "Visit: Windmill Park Elementary" in pages[0]


def test_commitment_sheet_has_the_person_their_visits_and_the_prompts(convening, book):
    event, first, second = convening
    book(event, "ana@example.org", first, second)
    person = documents.attendees(event)[0]
    pages = pages_text(render_pdf(documents.commitment_sheet_html(event, person)))
    text = " ".join(pages)
    assert len(pages) == 2 and "Page 2 of 2" in pages[1]
    assert "Ana García" in text and "Quarry Brook Public Schools" in text
    assert "Early literacy on shared tablets, Windmill Park Elementary" in text
    for prompt in ("What I saw", "The change I will try, and why it is new for us", "First test", "Where",
                   "With whom", "Start date", "Due date", "My prediction", "How I will know", "Baseline",
                   "Target", "Support I need, and from whom", "Check-ins", "Adopted", "Abandoned", "Scaled",
                   "The network", "Public"):
        assert prompt in text, prompt


HOSTILE = {
    "legal_first_name": "<img src=file:///etc/passwd>",
    "legal_last_name": "Supercalifragilisticexpialidocious" * 2,  # 68 letters, no break
    "preferred_name": "{{7*7}}",
    "title": "ראש צוות",  # right-to-left
}


def test_hostile_names_print_as_text_and_fetch_nothing(convening, book, monkeypatch):
    event, first, _ = convening
    fetched: list[str] = []
    original = render.StaticOnlyFetcher.fetch

    def recording(self, url, headers=None):
        fetched.append(url)
        return original(self, url, headers)

    monkeypatch.setattr(render.StaticOnlyFetcher, "fetch", recording)
    render._toolkit.cache_clear()
    book(event, "eve@example.org", first, **HOSTILE)
    person = documents.attendees(event)[0]
    person.private_url = "http://eventhub.test/r/x"
    printed = {
        "agenda": documents.personal_agenda_html(event, person),
        "badge": documents.badges_html(event, [person]),
        "sheet": documents.commitment_sheet_html(event, person),
        "roster": documents.roster_html(first, documents.roster_seats([first])[first.id]),
    }
    for name, html in printed.items():
        assert "<img src=file" not in html, name  # escaped by the templates
        data = render_pdf(html)
        text = all_text(data).replace(" ", "")
        assert "<imgsrc=file:///etc/passwd>" in text, name
        assert "Supercalifragilistic" in text, name
        assert "{{7*7}}" in text and "49" not in text, name
        if name in ("agenda", "badge"):  # the places that print the title
            assert "ראש" in text or "שאר" in text, name  # the right-to-left words, in either reading order
        # the overlong name wraps inside the page instead of running off it
        assert all(page.mediabox.width > 0 for page in PdfReader(BytesIO(data)).pages)
    # Only the app's own files, and the QR code the agenda template asked for (drawn, nothing fetched).
    assert fetched and all(url.startswith((STATIC_BASE, QR_BASE)) for url in fetched)
    assert [url for url in fetched if url.startswith(QR_BASE)] == [qr_source("http://eventhub.test/r/x")]
    render._toolkit.cache_clear()


def test_raw_html_cannot_make_the_printer_fetch_files_or_hosts(tmp_path):
    import http.server
    import threading

    hits = []

    class Handler(http.server.BaseHTTPRequestHandler):
        def do_GET(self):
            hits.append(self.path)
            self.send_response(200)
            self.end_headers()

        def log_message(self, *args):
            pass

    server = http.server.HTTPServer(("127.0.0.1", 0), Handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    secret = tmp_path / "secret.txt"
    secret.write_text("TOP-SECRET-CONTENT")
    try:
        html = (f'<html lang="en"><head><title>t</title><link rel="stylesheet" href="http://127.0.0.1:{server.server_port}/x.css">'
                f'</head><body><p>visible</p><img src="file://{secret}"><img src="http://127.0.0.1:{server.server_port}/i.png">'
                f'<iframe src="file://{secret}"></iframe><object data="file://{secret}"></object></body></html>')
        data = render_pdf(html)
    finally:
        server.shutdown()
    assert hits == []
    assert "visible" in all_text(data) and b"TOP-SECRET" not in data


@pytest.mark.parametrize("url", [
    "file:///etc/passwd",
    "http://169.254.169.254/latest/meta-data/",
    "https://static.eventhub.invalid/../../../etc/passwd",
    "https://static.eventhub.invalid/%2e%2e/%2e%2e/app.py",
    "https://static.eventhub.invalid/fonts/",
    "https://static.eventhub.invalid.evil.example/print/print.css",
    "data:text/css,body{}",
    "data:image/svg+xml,<svg/>",
])
def test_the_fetcher_serves_only_files_of_static(url):
    assert static_path(url) is None and qr_png(url) is None


def test_qr_codes_hold_the_link_they_were_asked_for():
    import zxingcpp
    from PIL import Image

    link = "http://eventhub.test/r/abc?x=1&y=2#z"
    image = Image.open(BytesIO(qr_png(qr_source(link))))
    assert image.getpixel((0, 0)) == image.getpixel((1, 1)) == 0  # two modules of quiet zone, light
    rgb = image.convert("RGB")
    assert {rgb.getpixel((x, y)) for x in range(rgb.width) for y in range(rgb.height)} == {
        (255, 255, 255), (0x14, 0x30, 0x5A)}
    # Read back as a scanner would, from the code enlarged as printed: medium error correction, the link.
    printed = rgb.convert("L").resize((rgb.width * 8, rgb.height * 8), Image.NEAREST)
    [found] = zxingcpp.read_barcodes(printed, formats=zxingcpp.BarcodeFormat.QRCode)
    assert found.text == link and found.ec_level == "M"
    assert qr_png("https://qr.eventhub.invalid.evil.example/x") is None


def test_the_fetcher_serves_the_print_stylesheet_and_fonts():
    assert static_path(STATIC_BASE + "print/print.css").name == "print.css"
    assert static_path(STATIC_BASE + "fonts/NotoSans-Regular.ttf").name == "NotoSans-Regular.ttf"


def test_accented_greek_and_cyrillic_names_print_in_the_bundled_font(convening, book):
    event, first, _ = convening
    book(event, "a@example.org", first, legal_first_name="José Ñúñez", legal_last_name="Δημήτρης Ιβάνοβιτς Ølstad")
    book(event, "b@example.org", first, legal_first_name="Анна", legal_last_name="Łukasiewicz-Şahin")
    data = render_pdf(documents.badges_html(event, documents.attendees(event)))
    text = all_text(data)
    for name in ("José Ñúñez", "Δημήτρης Ιβάνοβιτς Ølstad", "Анна", "Łukasiewicz-Şahin"):
        assert name in text
    assert font_names(data) <= {"Print-Sans", "Print-Sans-Bold"}  # every letter found in the bundled font


@pytest.mark.skipif(not has_cjk_font(), reason="CJK names print in Noto Sans CJK: install it with "
                    "`apt-get install fonts-noto-cjk` (CI does)")
def test_cjk_names_print_as_letters_in_the_face_their_letters_call_for(convening, book):
    """Han alone prints as Simplified Chinese; kana makes a name Japanese, hangul Korean; each name is
    tagged with that language."""
    import pdfplumber

    event, first, _ = convening
    book(event, "a@example.org", first, legal_first_name="小明", legal_last_name="王")
    book(event, "b@example.org", first, legal_first_name="さくら", legal_last_name="山田")
    book(event, "c@example.org", first, legal_first_name="민준", legal_last_name="김")
    people = documents.attendees(event)
    html = documents.badges_html(event, people)
    assert 'lang="zh-Hans"' in html and 'lang="ja"' in html and 'lang="ko"' in html
    data = render_pdf(html)
    text = all_text(data)
    assert "王" in text and "さくら" in text and "김" in text
    with pdfplumber.open(BytesIO(data)) as pdf:
        face = {c["text"]: c["fontname"].split("+", 1)[-1] for c in pdf.pages[0].chars}
    assert face["王"].startswith("Noto-Sans-CJK-SC")
    assert face["山"].startswith("Noto-Sans-CJK-JP") and face["さ"].startswith("Noto-Sans-CJK-JP")
    assert face["김"].startswith("Noto-Sans-CJK-KR")


# The faces print.css names ("Print Sans", "Print Arabic", ... each with any bold WeasyPrint makes) and the
# system's Noto Sans CJK: a character drawn in anything else fell back to whatever the machine has.
NAMED_FACES = ("Print-", "Noto-Sans-CJK-")


def test_no_character_falls_to_a_font_the_project_does_not_name(convening, book):
    """An emoji prints in the bundled monochrome Noto Emoji, Arabic and Hebrew in the bundled faces, in the
    running header as in the body, and the blank sheet's boxes are drawn: nothing comes from whatever
    fonts the machine has (on one without them, those characters vanished)."""
    event, first, _ = convening
    book(event, "ana@example.org", first, legal_first_name="Ana 🌮", legal_last_name="García ✨")
    book(event, "fatima@example.org", first, legal_first_name="فاطمة", legal_last_name="כהן")
    people = {p.registration.email: p for p in documents.attendees(event)}
    documents.give_private_links(list(people.values()))
    outputs = [
        render_pdf(documents.personal_agenda_html(event, people["ana@example.org"])),
        render_pdf(documents.personal_agenda_html(event, people["fatima@example.org"])),
        render_pdf(documents.badges_html(event, list(people.values()))),
        render_pdf(documents.commitment_sheet_html(event, people["fatima@example.org"], [])),
    ]
    for data in outputs:
        assert {face for face in font_names(data) if not face.startswith(NAMED_FACES)} == set()
    assert "🌮" in all_text(outputs[0]) and "Print-Emoji" in font_names(outputs[0])
    import pdfplumber

    with pdfplumber.open(BytesIO(outputs[1])) as pdf:  # the running header carries the name
        header = [c for c in pdf.pages[0].chars if c["top"] < 45]
    assert {c["fontname"].split("+", 1)[-1] for c in header if c["text"] in "فاطمة"} == {"Print-Arabic"}
    assert {c["fontname"].split("+", 1)[-1] for c in header if c["text"] in "כהן"} == {"Print-Hebrew"}
    assert "☐" not in all_text(outputs[3]) and "Planned" in all_text(outputs[3])


def letters_of_pages(data: bytes) -> list[list[str]]:
    """Each page's letters, sorted: the same page drawn from two layers holds the same text, read in
    another order."""
    return [sorted("".join(page.extract_text().split())) for page in PdfReader(BytesIO(data)).pages]


def page_images(data: bytes, tmp_path, name: str) -> list[bytes]:
    """Each page rendered to pixels by poppler (pdftoppm), at 60 dpi, grey."""
    source = tmp_path / f"{name}.pdf"
    source.write_bytes(data)
    subprocess.run(["pdftoppm", "-r", "60", "-gray", str(source), str(tmp_path / name)], check=True)
    return [path.read_bytes() for path in sorted(tmp_path.glob(f"{name}-*.pgm"))]


@pytest.fixture
def two_visit_groups(convening, book, make_agenda_item):
    """Six confirmed attendees: three on each visit, with long, accented and short names, and an agenda
    long enough for a second page."""
    event, first, second = convening
    day = date.fromordinal(event.starts_on.toordinal() + 2)
    for n in range(40):
        make_agenda_item(event, day, f"{8 + n // 4:02d}:{n % 4 * 15:02d}", f"{8 + n // 4:02d}:{n % 4 * 15 + 14:02d}",
                         title=f"Roundtable {n}: what we learned", room=f"Room {n}")
    names = ["García-Fernández de la Concepción y Villanueva", "Nguyễn", "O'Brien", "Smith", "Łukasiewicz", "Ito"]
    for n, name in enumerate(names):
        book(event, f"p{n}@example.org", first if n % 2 == 0 else second, legal_last_name=name,
             screening=Screening(date_of_birth=date(1980, 1, 2), consent=True) if n % 2 == 0 else None)
    return event


def test_a_batch_lays_out_each_shared_programme_once_and_every_page_reads_as_printed_alone(two_visit_groups,
                                                                                           monkeypatch, tmp_path):
    from eventhub.printing import layers

    event = two_visit_groups
    people = documents.attendees(event)
    documents.give_private_links(people)
    db.session.commit()
    laid_out = []
    real_programme = documents.personal_agenda_html
    monkeypatch.setattr(documents, "personal_agenda_html",
                        lambda *a, **kw: laid_out.append(kw.get("part")) or real_programme(*a, **kw))
    plan = layers.layered_plan(event, people, "Spring Convening 2027: personal agendas")
    assert plan is not None and len(plan.programmes) == 2 and laid_out == ["programme", "programme"]
    progress = []
    data, pages = layers.print_layered(plan, None, 4, progress.append)
    assert progress == [4, 2]
    monkeypatch.setattr(documents, "personal_agenda_html", real_programme)
    alone = [render_pdf(documents.personal_agenda_html(event, person)) for person in people]
    assert letters_of_pages(data) == [page for pdf in alone for page in letters_of_pages(pdf)]
    if shutil.which("pdftoppm"):  # and every page looks the same, to the pixel (CI installs poppler-utils)
        pixels = [page for n, pdf in enumerate(alone) for page in page_images(pdf, tmp_path, f"alone{n}")]
        assert page_images(data, tmp_path, "batch") == pixels
    assert pages == len(PdfReader(BytesIO(data)).pages) == sum(len(PdfReader(BytesIO(pdf)).pages) for pdf in alone)
    assert all(len(PdfReader(BytesIO(pdf)).pages) >= 2 for pdf in alone)  # later pages carry the name too
    reader = PdfReader(BytesIO(data))
    assert reader.metadata.title == "Spring Convening 2027: personal agendas"
    # Each programme page is stored once and drawn on the pages of all who share it.
    forms = {page["/Resources"]["/XObject"][name].indirect_reference.idnum
             for page in reader.pages for name in page["/Resources"]["/XObject"]
             if page["/Resources"]["/XObject"][name].get("/Subtype") == "/Form"}
    assert len(forms) == sum(len(PdfReader(BytesIO(pdf)).pages) for pdf in alone[:2])


def test_a_long_name_stays_inside_its_block_above_the_programme(convening, book):
    event, first, _ = convening
    book(event, "long@example.org", first, legal_first_name="Maximiliana", legal_last_name="W" * 68)
    person = documents.attendees(event)[0]
    documents.give_private_links(person and [person])
    whole = pages_text(render_pdf(documents.personal_agenda_html(event, person)))
    programme = pages_text(render_pdf(documents.personal_agenda_html(event, person, part="programme")))
    assert len(whole) == len(programme)  # the name block's height does not depend on the name
    assert "W" * 20 in whole[0] and "W" * 20 not in programme[0] and "Maximiliana" not in programme[0]
    assert "Early literacy on shared tablets" in programme[0] and "Private link (keep it to yourself)" in programme[0]
    assert person.private_url in whole[0].replace(" ", "") and "/r/" not in programme[0]


def test_attendees_who_share_little_are_printed_one_document_each(convening, book, monkeypatch):
    from eventhub.models import PrintKind
    from eventhub.printing import batches, layers

    event, first, second = convening
    book(event, "a@example.org", first)
    book(event, "b@example.org", second)
    batch = batches.create_batch(event, PrintKind.AGENDAS)
    db.session.commit()
    assert isinstance(batches.plan_batch(batch), batches.Plan)  # two programmes for two people
    monkeypatch.setattr(layers, "MIN_SHARING", 1)
    assert isinstance(batches.plan_batch(batch), layers.LayeredPlan)


def test_worker_processes_print_the_layers_in_order(two_visit_groups, monkeypatch):
    from eventhub.models import PrintKind, PrintStatus
    from eventhub.printing import batches

    monkeypatch.setattr(batches, "CHUNK_SIZE", 2)
    batch = batches.create_batch(two_visit_groups, PrintKind.AGENDAS, order=documents.Order.VISIT)
    db.session.commit()
    batch = batches.run_batch(batch.id, workers=2)
    assert batch.status is PrintStatus.DONE, batch.error
    pages = pages_text(batches.batch_path(batch).read_bytes())
    per_person = len(pages) // 6
    firsts = pages[::per_person]
    # By visit: the three on the earlier visit's bus first, each page one's own visit.
    assert ["Windmill Park Elementary" in p for p in firsts] == [True] * 3 + [False] * 3
    assert all("Your visit: Agave Middle School" in p for p in firsts[3:])
    assert [p[p.index("Page "):].split()[1:4] for p in pages] == \
        [[str(i), "of", str(per_person)] for _ in range(6) for i in range(1, per_person + 1)]


# --- filled commitment sheets -----------------------------------------------------------------------


def _commit(registration, visit, **kw):
    from eventhub.followup.services import CommitmentDetails, create_commitment

    commitment = create_commitment(registration, CommitmentDetails(visit_id=visit.id if visit else None, **kw))
    db.session.commit()
    return commitment


def test_someone_with_commitments_gets_a_filled_sheet_for_each(convening, book):
    from datetime import UTC, datetime

    from eventhub.followup.services import add_update
    from eventhub.models import CommitmentStatus, Visibility

    event, first, second = convening
    ana = book(event, "ana@example.org", first, second)
    tablets = _commit(ana, first, change_idea="Shared tablets for the K-1 reading block",
                      evidence="Six-year-olds logging in by picture", why_new="We only use tablets for testing",
                      test_where="Room 12", test_with_whom="Ms. Ortiz's first grade",
                      test_starts_on=date(2027, 5, 3), test_due_on=date(2027, 6, 4),
                      prediction="More minutes of reading", measure="Minutes read a day", baseline="12",
                      target="20", support_needed="Ten tablets", support_from="the CTO",
                      visibility=Visibility.NETWORK)
    add_update(tablets, tried="Two weeks in room 12", learned="Headphones matter more than the apps",
               decision=None, status=CommitmentStatus.TESTING, now=datetime(2027, 5, 20, 15, tzinfo=UTC))
    db.session.commit()
    _commit(ana, None, change_idea="A book study with our principals")
    person = documents.attendees(event)[0]
    pages = pages_text(render_pdf(documents.commitment_sheet_html(event, person)))
    text = " ".join(pages)
    first_sheet = text.split("(2 of 2)")[0]
    assert "(1 of 2)" in first_sheet and "Ana García" in first_sheet
    for answer in ("Shared tablets for the K-1 reading block", "Six-year-olds logging in by picture",
                   "Why it is new for us: We only use tablets for testing", "Room 12", "Ms. Ortiz's first grade",
                   "May 3, 2027", "Jun 4, 2027", "More minutes of reading", "Minutes read a day", "Ten tablets",
                   "From: the CTO"):
        assert answer in first_sheet, answer
    # The source is the commitment's own visit, not every visit the person took.
    assert "Early literacy on shared tablets, Windmill Park Elementary" in first_sheet
    assert "Advisory and student-led conferences" not in first_sheet
    # The log of check-ins, with its date in the event's zone.
    assert "May 20, 2027 Two weeks in room 12 Headphones matter more than the apps" in first_sheet
    assert "Planned → Testing" in first_sheet and "now Testing · 1 check-in" in first_sheet
    # The status and the visibility ticked (an X in the box before the label).
    assert "X Testing" in first_sheet or "XTesting" in first_sheet
    assert "X The network" in first_sheet or "XThe network" in first_sheet
    second_sheet = text.split("(2 of 2)")[1]
    assert "A book study with our principals" in second_sheet and "No check-in yet." in second_sheet
    assert "Spring Convening 2027" in second_sheet.split("Name")[1]  # its source: the event itself
    assert "Shared tablets for the K-1" not in second_sheet
    # Each sheet starts on a page of its own.
    assert sum("What I will try" in page for page in pages) == 2
    assert not any("(1 of 2)" in page and "(2 of 2)" in page for page in pages)


def test_someone_without_commitments_still_gets_the_blank_sheet(convening, book):
    event, first, _ = convening
    ana = book(event, "ana@example.org", first)
    bo = book(event, "bo@example.org", first, legal_first_name="Bo", legal_last_name="Zhang")
    _commit(bo, first, change_idea="Bo's tablets")
    people = {p.registration.id: p for p in documents.attendees(event)}
    sheets = documents.filled_sheets(event)
    assert list(sheets) == [bo.id]
    text = all_text(render_pdf(documents.commitment_sheet_html(event, people[ana.id], sheets.get(ana.id, []))))
    assert "Ana García" in text and "Early literacy on shared tablets, Windmill Park Elementary" in text
    assert "Bo's tablets" not in text and "No check-in yet" not in text and "of 2)" not in text
    assert "30 days: how it went" in text and "60 days" in text and "90 days" in text
    filled = all_text(render_pdf(documents.commitment_sheet_html(event, people[bo.id], sheets[bo.id])))
    assert "Bo's tablets" in filled and "Bo Zhang" in filled


def test_a_filled_sheet_prints_hostile_answers_as_text(convening, book):
    event, first, _ = convening
    ana = book(event, "ana@example.org", first)
    _commit(ana, first, change_idea="<img src=file:///etc/passwd> {{7*7}}", evidence="<b>bold</b>")
    html = documents.commitment_sheet_html(event, documents.attendees(event)[0])
    assert "<img src=file" not in html and "<b>bold" not in html
    text = all_text(render_pdf(html)).replace(" ", "")
    assert "<imgsrc=file:///etc/passwd>{{7*7}}" in text and "<b>bold</b>" in text


def test_the_day_list_shows_the_visits_own_time_not_its_blocks(convening, book):
    event, first, second = convening
    # The block runs 8:30-11:00; this visit was moved to start at 9:00 and end at 11:30.
    first.starts_at, first.ends_at = first.starts_at + timedelta(minutes=30), first.ends_at + timedelta(minutes=30)
    db.session.commit()
    book(event, "ana@example.org", first)
    book(event, "bo@example.org", second, legal_first_name="Bo")
    people = {p.registration.email: p for p in documents.attendees(event)}
    ana = all_text(render_pdf(documents.personal_agenda_html(event, people["ana@example.org"])))
    assert "9:00 AM–11:30 AM Your visit: Windmill Park Elementary" in ana
    assert "8:30 AM–11:00 AM Your visit" not in ana
    bo = all_text(render_pdf(documents.personal_agenda_html(event, people["bo@example.org"])))
    assert "8:30 AM–11:00 AM Your visit: Agave Middle School" in bo  # an unmoved visit keeps the block's time


def test_the_roster_says_ids_in_words_has_an_id_checked_column_and_each_mobile(convening, book):
    event, first, _ = convening
    first.school.screening_id_type_required = True
    db.session.commit()
    book(event, "ana@example.org", first, legal_first_name="Ana", legal_last_name="García", mobile="(312) 555-0147",
         screening=Screening(date_of_birth=date(1980, 5, 2), id_type="us_drivers_license", consent=True))
    data = render_pdf(documents.roster_html(first, documents.roster_seats([first])[first.id]))
    text = all_text(data)
    assert "US driver's license" in text and "us_drivers" not in text
    assert "MOBILE DATE OF BIRTH ID TYPE ID CHECKED SIGNATURE" in text
    assert "(312) 555-0147" in text
    from eventhub.visits.handoff import guest_list_csv

    assert "US driver's license" in guest_list_csv(first)  # the host's own copy says it the same way


def test_one_badge_reprints_in_a_chosen_slot_or_on_a_page_of_its_own(convening, book, organizer_client):
    import pikepdf

    event, first, _ = convening
    ana = book(event, "ana@example.org", first, legal_first_name="Ana", legal_last_name="García")
    url = f"/admin/registrations/{ana.id}/badge.pdf"

    def badge_box(data: bytes):
        """Where "García" is printed: (x0, top) in points, on the one page, and the page's size."""
        from print_layout import words_of

        pages, sizes = words_of(data)
        assert len(pages) == 1
        [word] = [w for w in pages[0] if w.text == "García" and w.top > 0 and w.x0 < sizes[0][0]][:1]
        return (round(word.x0), round(word.top)), sizes[0]

    first_slot, letter = badge_box(organizer_client.get(url).data)
    fourth_slot, _ = badge_box(organizer_client.get(url + "?at=4").data)
    assert letter == (612.0, 792.0)
    assert fourth_slot[0] - first_slot[0] == 288  # the right-hand column: 4" across
    assert fourth_slot[1] - first_slot[1] == 216  # the second row: 3" down
    single = organizer_client.get(url + "?at=single").data
    _, page = badge_box(single)
    assert page == (288.0, 216.0)  # 4" x 3"
    with pikepdf.open(BytesIO(single)) as pdf:
        assert "/StructTreeRoot" in pdf.Root  # a single document: tagged
    assert organizer_client.get(url + "?at=7").status_code == 400
    assert "slot" in organizer_client.get(f"/admin/events/{event.slug}/print").get_data(as_text=True)


def test_a_cancelled_registrants_badge_is_refused_one_at_a_time_as_in_batches(convening, book, organizer_client):
    from eventhub.registration.services import cancel_registration

    event, first, _ = convening
    ana = book(event, "ana@example.org", first, legal_first_name="Ana")
    cancel_registration(ana)
    db.session.commit()
    response = organizer_client.get(f"/admin/registrations/{ana.id}/badge.pdf?at=single")
    assert response.status_code == 409
    assert "cancelled" in response.get_data(as_text=True)
    assert response.mimetype == "text/html"
