"""In a real Chromium: an organizer signs in, moves a visit to a later time, is told who will be emailed
before saving, then checks an attendee in at the door; wide tables and phones; messages to the audience on
the screen; emails that never wrap mid-word; the audit log in the viewer's own zone."""
import pytest
import sqlalchemy as sa

from eventhub.accounts.services import create_user
from eventhub.extensions import db
from eventhub.models import AuditEntry, OutboxMessage, Registration, UserRole, Visit

from conftest import sign_in_page

try:
    from playwright.sync_api import expect
except ImportError:  # the page fixture skips with a reason
    expect = None

pytestmark = pytest.mark.browser
PASSWORD = "correct horse battery"


def test_sign_in_move_a_visit_see_the_notification_count_check_someone_in(page, live_app, make_event,
                                                                          make_visit, book):
    event = make_event(title="Spring Convening")
    visit = make_visit(event, title="Tablets in K-1", seats=10, start="09:00", end="11:30")
    book(event, "ana@example.org", visit, legal_first_name="Ana", legal_last_name="García")
    book(event, "bo@example.org", visit, legal_first_name="Bo", legal_last_name="Okafor")
    create_user(email="org@example.org", role=UserRole.ORGANIZER, password=PASSWORD)
    db.session.commit()
    page.set_viewport_size({"width": 1280, "height": 900})

    page.goto("/admin/login")
    page.get_by_label("Email").fill("org@example.org")
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Sign in").click()
    expect(page.get_by_role("heading", name="Back office")).to_be_visible()

    page.get_by_role("link", name="Spring Convening").click()
    page.get_by_role("navigation", name="Spring Convening").get_by_role("link", name="Visits").click()
    page.get_by_role("link", name="Edit Tablets in K-1").click()
    page.get_by_label("Starts at the school").fill("10:00")
    page.get_by_label("Ends").fill("12:30")
    page.get_by_role("button", name="Save").click()
    warning = page.locator("#notify")
    expect(warning).to_contain_text("Saving sends 2 emails.")
    expect(warning).to_contain_text("An updated invitation to the visit, 2 people")
    db.session.expire_all()
    assert db.session.get(Visit, visit.id).starts_at == visit.starts_at  # not saved before the second click
    invites_before = db.session.scalar(sa.select(sa.func.count()).where(OutboxMessage.kind == "visit_invite"))
    page.get_by_role("button", name="Save and send 2 emails").click()
    expect(page.get_by_role("status").first).to_contain_text("2 attendees were sent an updated invitation")
    db.session.expire_all()
    moved = db.session.get(Visit, visit.id)
    assert moved.starts_at.astimezone(event.zone).hour == 10
    assert db.session.scalar(sa.select(sa.func.count()).where(OutboxMessage.kind == "visit_invite")) \
        == invites_before + 2

    page.get_by_role("navigation", name="Spring Convening").get_by_role("link", name="Check-in").click()
    count = page.locator(".checkin-count")
    expect(count).to_have_text("0 of 2 checked in")
    page.get_by_role("searchbox").press_sequentially("okaf")
    page.get_by_role("button", name="Check in Bo Okafor").click()
    expect(count).to_have_text("1 of 2 checked in")
    db.session.expire_all()
    bo = db.session.scalar(sa.select(Registration).where(Registration.email == "bo@example.org"))
    assert bo.checked_in_at is not None


def test_a_wide_table_scrolls_in_its_box_and_the_page_does_not_on_a_phone(live_app, make_event, make_visit):
    """The visits table is wider than a 390-px phone: it scrolls inside its box. Its visually hidden link
    labels once pushed the whole page sideways, because they were placed against the page, not the box."""
    from conftest import chromium_page

    event = make_event(title="Spring Convening")
    for n in range(3):
        make_visit(event, title=f"Take-home laptops and a family help desk {n}", seats=None, buses=2,
                   room_limit=30, observation_groups=5, group_size=4)
    with chromium_page(live_app.base_url, viewport={"width": 390, "height": 844}) as page:
        sign_in_page(page)
        page.goto(f"/admin/events/{event.slug}/visits")
        expect(page.get_by_text("20 = 5 observation groups × 4; the smallest of:").first).to_be_visible()
        box = page.locator(".table-scroll")
        assert box.evaluate("el => el.scrollWidth > el.clientWidth")  # the table is wider than the phone
        assert page.evaluate("document.documentElement.scrollWidth") <= 390


def test_a_message_goes_to_the_audience_on_the_screen(page, live_app, make_event, make_visit, book,
                                                      make_registration):
    from pathlib import Path

    from conftest import Mailbox

    event = make_event(title="Spring Convening")
    visit = make_visit(event, title="K-1 station rotation", seats=10)
    book(event, "ana@example.org", visit, legal_first_name="Ana")
    book(event, "bo@example.org", visit, legal_first_name="Bo")
    for n in range(3):
        make_registration(event, f"other{n}@example.org")
    mailbox = Mailbox(Path(live_app.config["MAIL_DIR"]))

    sign_in_page(page)
    page.goto(f"/admin/events/{event.slug}/messages/new")
    expect(page.locator("#audience")).to_contain_text("5 people")
    page.get_by_label("Subject").fill("K-1 bus change")
    page.get_by_label("Message").fill("Hello {first_name}, the K-1 bus leaves at 7:30.")
    page.get_by_label("Visit").select_option(label=f"K-1 station rotation ({visit.school.name})")
    # The count follows the filter at once; the confirmation names the audience.
    expect(page.locator("#audience")).to_contain_text("2 people")
    expect(page.get_by_label("Subject")).to_have_value("K-1 bus change")
    page.get_by_label("Yes, send it to 2 people").check()
    page.get_by_role("button", name="Send", exact=True).click()
    expect(page.get_by_text("The message is on its way to 2 people.")).to_be_visible()
    told = sorted(address for address in ("ana@example.org", "bo@example.org", "other0@example.org",
                                          "other1@example.org", "other2@example.org")
                  if any(m["Subject"] == "K-1 bus change" for m in mailbox.to(address)))
    assert told == ["ana@example.org", "bo@example.org"]


LONG = "maria.de.los.angeles.fernandez@riopiedra-unified.example.org"


def lines_of(locator) -> int:
    """How many lines the element's text takes on the screen."""
    return locator.evaluate("""el => { const range = document.createRange(); range.selectNodeContents(el);
        return new Set([...range.getClientRects()].map(r => Math.round(r.top))).size; }""")


def test_an_email_address_never_wraps_mid_word(live_app, make_event, make_visit, book):
    """On a laptop the registrants table takes the screen's width and a long address stays on one line, even
    beside a crowded row; on a phone it may wrap, but only before its "@" or a dot."""
    from conftest import chromium_page

    event = make_event(title="Spring Convening")
    visits = [make_visit(event, title=f"Piloting a curriculum before the district buys it, part {n}", seats=10)
              for n in range(3)]
    book(event, LONG, *visits, legal_first_name="María de los Ángeles", legal_last_name="Fernández",
         title="Director of Curriculum, Instruction and Professional Learning",
         other_organization="Rio Piedra Unified School District Office of Teaching and Learning")
    for width in (1280, 390):
        with chromium_page(live_app.base_url, viewport={"width": width, "height": 900}) as page:
            sign_in_page(page)
            page.goto(f"/admin/events/{event.slug}/registrants")
            address = page.locator("table.registrants .email").first
            expect(address).to_have_text(LONG)
            if width == 1280:
                assert lines_of(address) == 1
                assert page.locator("main").evaluate("el => el.clientWidth") > 1200  # the screen's width
            else:
                # Each line of the address starts at the address's start, an "@" or a dot.
                starts = address.evaluate("""el => { const out = []; let top = null;
                    const walker = document.createTreeWalker(el, NodeFilter.SHOW_TEXT);
                    for (let node = walker.nextNode(); node; node = walker.nextNode()) {
                      const range = document.createRange(); range.selectNodeContents(node);
                      const t = Math.round(range.getClientRects()[0].top);
                      if (t !== top) { out.push(node.textContent[0]); top = t; } }
                    return out; }""")
                assert len(starts) > 1 and all(first in "m@." for first in starts), starts
                assert page.evaluate("document.documentElement.scrollWidth") <= 390


def test_the_audit_log_says_times_in_words_in_the_viewers_zone(live_app, make_event):
    """A change that belongs to no event (an account) is timed in the viewer's own zone, in words."""
    from datetime import UTC, datetime

    from eventhub.audit import record

    from conftest import chromium_page

    record("edited", "user", 1, "someone@example.org", changes={"role": ["organizer", "admin"]})
    entry = db.session.scalar(sa.select(AuditEntry).order_by(AuditEntry.id.desc()))
    entry.created_at = datetime(2026, 12, 3, 14, 5, tzinfo=UTC)
    db.session.commit()
    with chromium_page(live_app.base_url, timezone_id="America/Los_Angeles") as page:
        sign_in_page(page)
        page.goto("/admin/audit?type=user")
        when = page.locator("table.audit tbody tr td[data-label=When]").first
        expect(when).to_have_text("Thu, Dec 3, 2026, 6:05 AM PST")
