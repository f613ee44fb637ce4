"""The network's logo: only a still PNG or JPEG of at most 2 MB, its pixels counted before decoding, drawn
again without metadata, kept in the database, served from its own address as image/png, and printed through
the renderer's one logo address. Invitations keep the ORGANIZER mailbox they were first sent from."""
import io
import os
import re
import struct
import zlib
from io import BytesIO

import pytest
import sqlalchemy as sa
from icalendar import Calendar
from PIL import Image, PngImagePlugin
from pypdf import PdfReader

from eventhub.extensions import db
from eventhub.logo import LOGO_SIDE, PRINT_LOGO_URL, LogoError, clean_logo, logo_digest
from eventhub.models import AuditEntry, NetworkSettings, UserRole
from eventhub.network import update_network
from eventhub.printing import documents
from eventhub.registration.services import cancel_registration, register

from conftest import attendee, invitation_parts, invitations, sign_in


def png(width: int = 240, height: int = 120, mode: str = "RGB", **save) -> bytes:
    image = Image.new(mode, (width, height), (11, 93, 122) if mode == "RGB" else (11, 93, 122, 200))
    out = io.BytesIO()
    image.save(out, "PNG", **save)
    return out.getvalue()


def noise_png(side: int) -> bytes:
    """A PNG that hardly compresses: about 3 bytes a pixel."""
    out = io.BytesIO()
    Image.frombytes("RGB", (side, side), os.urandom(side * side * 3)).save(out, "PNG", compress_level=1)
    return out.getvalue()


def png_header_only(width: int, height: int) -> bytes:
    """A PNG whose header claims width × height and whose pixel data is a few bytes of nothing."""
    def chunk(kind: bytes, data: bytes) -> bytes:
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))

    header = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)
    return b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", header) + chunk(b"IDAT", zlib.compress(b"\0" * 16)) + \
        chunk(b"IEND", b"")


def frames(kind: str) -> bytes:
    images = [Image.new("RGB", (40, 40), colour) for colour in ((200, 0, 0), (0, 0, 200))]
    out = io.BytesIO()
    images[0].save(out, kind, save_all=True, append_images=images[1:], duration=100, loop=0)
    return out.getvalue()


SVG = b'<svg xmlns="http://www.w3.org/2000/svg" width="10" height="10"><script>alert(1)</script></svg>'


def test_a_logo_is_drawn_again_as_a_png_without_the_files_metadata():
    exif = Image.Exif()
    exif[0x010E] = "Taken at the superintendent's house"  # ImageDescription
    exif[0x0112] = 6  # Orientation: the camera was turned; shown upright, 100 wide and 300 high
    photo = io.BytesIO()
    Image.new("RGB", (300, 100), (200, 30, 30)).save(photo, "JPEG", exif=exif.tobytes(), icc_profile=b"\0" * 128)
    stored = Image.open(io.BytesIO(clean_logo(photo.getvalue())))
    assert stored.format == "PNG" and stored.size == (100, 300)
    assert "exif" not in stored.info and "icc_profile" not in stored.info and not stored.getexif()

    text = PngImagePlugin.PngInfo()
    text.add_text("Author", "Somebody's full name")
    stored = Image.open(io.BytesIO(clean_logo(png(mode="RGBA", pnginfo=text, icc_profile=b"\0" * 128))))
    assert stored.mode == "RGBA", "transparency is kept"
    assert stored.text == {} and "icc_profile" not in stored.info


def test_a_large_logo_is_kept_at_800_pixels_across():
    stored = Image.open(io.BytesIO(clean_logo(png(3000, 1500))))
    assert stored.size == (LOGO_SIDE, LOGO_SIDE // 2)


@pytest.mark.parametrize("data, reason", [
    (SVG, "not a PNG or JPEG"),
    (frames("GIF"), "not a PNG or JPEG"),
    (frames("PNG"), "animated"),  # an animated PNG is a PNG with frames
    (png_header_only(30_000, 30_000), "at most 16 million pixels"),  # Pillow's own bomb check
    # Under Pillow's bomb limit but over ours; its pixel data is nothing, so the message proves the count was
    # read before decoding (decoding would have failed first, as "damaged").
    (png_header_only(5_000, 5_000), "is 5,000 × 5,000 pixels"),
    (png(100, 100)[:60], "damaged"),
    (b"", "empty"),
    (b"\0" * (3 * 1024 * 1024), "at most 2 MB"),
])
def test_a_bad_logo_is_refused_with_the_reason(data, reason):
    with pytest.raises(LogoError) as refused:
        clean_logo(data)
    assert reason in refused.value.message


def admin(app):
    return sign_in(app.test_client(), "ada@example.org", role=UserRole.ADMIN)


def upload(client, data: bytes, name: str = "logo.png", **fields):
    form = {"name": "Prairie Schools Network", "logo": (BytesIO(data), name), **fields}
    return client.post("/admin/settings", data=form, content_type="multipart/form-data")


def test_an_admin_uploads_a_logo_every_page_shows_and_its_address_serves(app, client):
    ada = admin(app)
    big = noise_png(700)  # over the 1 MB every other form is held to: this route takes 2 MB
    assert 1024 * 1024 < len(big) < 2 * 1024 * 1024
    assert upload(ada, big).status_code == 302
    row = db.session.scalar(sa.select(NetworkSettings))
    assert row.logo_digest == logo_digest(row.logo) and Image.open(io.BytesIO(row.logo)).format == "PNG"

    home = client.get("/").get_data(as_text=True)
    [src] = re.findall(r'<img class="brand-logo" src="([^"]+)"', home)
    assert src == f"/network-logo.png?v={row.logo_digest}"
    served = client.get(src)
    assert served.status_code == 200 and served.mimetype == "image/png" and served.data == row.logo
    assert served.headers["X-Content-Type-Options"] == "nosniff"
    assert "immutable" in served.headers["Cache-Control"]
    assert "immutable" not in client.get("/network-logo.png?v=0000").headers["Cache-Control"]

    [entry] = db.session.scalars(sa.select(AuditEntry).where(AuditEntry.subject_type == "network"))
    assert entry.changes["logo"] == ["none", f"image {row.logo_digest}"]

    assert upload(ada, big).status_code == 302  # the same file again changes nothing
    assert db.session.scalar(sa.select(sa.func.count()).select_from(AuditEntry)
                             .where(AuditEntry.subject_type == "network")) == 1

    ada.post("/admin/settings", data={"name": "Prairie Schools Network", "remove_logo": "y"})
    assert "brand-logo" not in client.get("/").get_data(as_text=True)
    assert client.get("/network-logo.png").status_code == 404


def test_a_bad_upload_is_refused_and_saves_nothing(app):
    ada = admin(app)
    response = upload(ada, SVG, "logo.svg", short_name="PSN")
    assert response.status_code == 422
    assert "SVG, GIF and other formats are not accepted" in response.get_data(as_text=True)
    assert db.session.scalar(sa.select(NetworkSettings)) is None, "not even the other fields"

    too_big = upload(ada, noise_png(1100))  # about 3.5 MB: refused on its length, before it is read
    assert too_big.status_code == 413
    assert "larger than 2 MB" in too_big.get_data(as_text=True)
    assert db.session.scalar(sa.select(NetworkSettings)) is None

    # Any other form keeps the 1 MB bound.
    elsewhere = ada.post("/admin/login", data={"email": "x" * (1100 * 1024)})
    assert elsewhere.status_code == 413


def logo_images(pdf: bytes) -> list[tuple[int, int]]:
    """The sizes of the images drawn on a PDF's pages (QR codes included)."""
    sizes = []
    for page in PdfReader(BytesIO(pdf)).pages:
        sizes += [image.image.size for image in page.images]
    return sizes


def test_printouts_carry_the_logo_through_its_one_address(app, client, make_event):
    pytest.importorskip("weasyprint")
    from eventhub.printing.render import render_in_processes, render_pdf

    event = make_event()
    agenda = client.get(f"/events/{event.slug}/agenda.pdf")
    assert agenda.status_code == 200 and logo_images(agenda.data) == []

    update_network(logo=png(400, 200))
    db.session.commit()
    agenda = client.get(f"/events/{event.slug}/agenda.pdf")
    assert (400, 200) in logo_images(agenda.data)

    register(event, attendee("ana@example.org"))
    db.session.commit()
    people = documents.attendees(event)
    logo = db.session.scalar(sa.select(NetworkSettings.logo))
    for html in (documents.badges_html(event, people), documents.personal_agenda_html(event, people[0])):
        assert PRINT_LOGO_URL in html
        assert (400, 200) in logo_images(render_pdf(html, logo=logo))
        assert (400, 200) not in logo_images(render_pdf(html)), "no logo handed over: none drawn"

    # The worker processes of a batch get the logo with their documents.
    made: list[bytes] = []
    render_in_processes([[documents.badges_html(event, people)]], 1, lambda index, size, pdf: made.append(pdf), logo)
    assert (400, 200) in logo_images(made[0])

    # The logo's address is the only new one: a neighbour of it is still refused.
    near = render_pdf(f'<img src="{PRINT_LOGO_URL}?x=1"><img src="https://logo.eventhub.invalid/other.png">',
                      logo=logo)
    assert logo_images(near) == []


def test_emails_show_the_logo_from_its_public_address(app, make_event, mailbox):
    update_network(logo=png())
    db.session.commit()
    digest = db.session.scalar(sa.select(NetworkSettings.logo_digest))
    register(make_event(), attendee("ana@example.org"))
    db.session.commit()
    [message] = mailbox.to("ana@example.org")
    html = message.get_body(("html",)).get_content()
    assert f'<img src="http://eventhub.test/network-logo.png?v={digest}"' in html


def organizer_of(message) -> str:
    [entry] = Calendar.from_ical(invitation_parts(message)[1]).walk("VEVENT")
    return str(entry["ORGANIZER"])


def test_an_invitation_keeps_the_organizer_it_was_first_sent_from(app, make_event, mailbox):
    event = make_event()
    ana = register(event, attendee("ana@example.org")).lead  # no reply-to set: MAIL_ORGANIZER
    db.session.commit()
    update_network(reply_to_address="new-mailbox@example.org")  # an admin names the network's mailbox
    db.session.commit()
    cancel_registration(ana)
    register(event, attendee("bo@example.org"))  # in the same transaction (a savepoint on PostgreSQL)
    db.session.commit()
    first, cancelled = invitations(mailbox, "ana@example.org")
    assert organizer_of(first) == organizer_of(cancelled) == "mailto:events@example.org"
    [bo] = invitations(mailbox, "bo@example.org")
    assert organizer_of(bo) == "mailto:new-mailbox@example.org"
