"""In a real Chromium: open the event, register, follow the emailed private link, cancel."""
import re
from pathlib import Path

import pytest

try:
    from playwright.sync_api import expect
except ImportError:  # the tests skip with a reason below
    expect = None

from conftest import Mailbox, private_link

pytestmark = pytest.mark.browser

def test_register_then_cancel_from_the_emailed_link(page, live_app, make_event, make_agenda_item):
    event = make_event(title="Spring Convening", capacity=100)
    make_agenda_item(event, event.starts_on, "09:00", "10:30", title="Opening plenary")
    mailbox = Mailbox(Path(live_app.config["MAIL_DIR"]))

    page.goto(f"/events/{event.slug}")
    expect(page.get_by_role("heading", name="Spring Convening")).to_be_visible()
    expect(page.get_by_text("Opening plenary")).to_be_visible()
    page.get_by_role("link", name="Register").click()

    page.get_by_label("Legal first name").fill("José")
    page.get_by_label("Legal last name").fill("O'Brien")
    page.get_by_label("Email").fill("jose@example.org")
    page.get_by_label("Role").select_option(label="Chief technology officer")
    page.get_by_label("District", exact=False).first.select_option(index=1)
    page.get_by_label("Vegetarian").check()
    page.get_by_label("No, please do not photograph me").check()
    page.get_by_role("button", name="Register").click()

    expect(page.get_by_role("heading", name="Check your email")).to_be_visible()
    messages = mailbox.to("jose@example.org")
    assert len(messages) == 1
    page.goto(private_link(messages[0]))
    expect(page.get_by_role("heading", name="You're registered")).to_be_visible()
    expect(page.get_by_text("José O'Brien")).to_be_visible()

    page.get_by_role("link", name="Cancel my registration").click()
    page.get_by_role("button", name="Yes, cancel my registration").click()
    expect(page.get_by_text("Your registration is cancelled").first).to_be_visible()
    expect(page.get_by_role("heading", name="Cancelled")).to_be_visible()
    assert mailbox.to("jose@example.org")[-1]["Subject"].endswith("is cancelled")


def test_the_form_works_by_keyboard_and_links_errors_to_fields(page, live_app, make_event):
    event = make_event()
    page.goto(f"/events/{event.slug}/register")
    # Tab from the top of the page to the Register button, then press Enter with nothing filled in.
    register_button = page.get_by_role("button", name="Register")
    for _ in range(80):
        page.keyboard.press("Tab")
        if register_button.evaluate("el => el === document.activeElement"):
            break
    else:
        pytest.fail("the Register button cannot be reached with the Tab key")
    page.keyboard.press("Enter")
    summary = page.locator("#error-summary")
    expect(summary).to_be_visible()
    expect(summary).to_contain_text(re.compile(r"There are \d+ problems"))
    expect(summary).to_be_focused()
    summary.get_by_role("link", name=re.compile("Legal first name")).click()
    expect(page.locator("#legal_first_name")).to_be_focused()


def test_enter_in_a_text_box_registers_rather_than_adding_a_colleague(page, live_app, make_event):
    event = make_event()
    mailbox = Mailbox(Path(live_app.config["MAIL_DIR"]))
    page.goto(f"/events/{event.slug}/register")
    page.get_by_role("button", name="Add a colleague").click()
    page.get_by_label("Legal first name").first.fill("Ana")
    page.get_by_label("Legal last name").first.fill("García")
    page.get_by_label("Role").first.select_option(label="Principal")
    page.get_by_label("District").first.select_option(index=1)
    page.get_by_label("Yes, photos of me may be taken").check()
    page.locator("#colleagues-0-legal_first_name").fill("Ben")
    page.locator("#colleagues-0-legal_last_name").fill("Okafor")
    page.locator("#colleagues-0-role").select_option(label="Teacher")
    page.locator("#colleagues-0-email").fill("ben@example.org")
    page.locator("#email").fill("ana@example.org")
    page.locator("#email").press("Enter")
    expect(page.get_by_role("heading", name="Check your email")).to_be_visible()
    expect(page.get_by_text("each of the 1 colleague you added gets their own")).to_be_visible()
    assert len(mailbox.to("ben@example.org")) == 1


def _fill_in_ana(page) -> None:
    """Ana's details on the open registration form (no visit choices)."""
    page.get_by_label("Legal first name").first.fill("Ana")
    page.get_by_label("Legal last name").first.fill("García")
    page.locator("#email").fill("ana@example.org")
    page.get_by_label("Role").first.select_option(label="Principal")
    page.get_by_label("District").first.select_option(index=1)
    page.get_by_label("No, please do not photograph me").check()


def _register_as_ana(page, event) -> str:
    """Fill in and send the form in the browser; the text of the page that follows."""
    page.goto(f"/events/{event.slug}/register")
    _fill_in_ana(page)
    page.get_by_role("button", name="Register").click()
    expect(page.get_by_role("heading", name="Check your email")).to_be_visible()
    return page.locator("main").inner_text()


def test_the_page_after_registering_says_the_same_to_everyone_and_offers_a_calendar(page, live_app, make_event):
    from icalendar import Calendar

    event = make_event(title="Spring Convening", capacity=1)
    mailbox = Mailbox(Path(live_app.config["MAIL_DIR"]))
    first = _register_as_ana(page, event)
    again = _register_as_ana(page, event)  # the same address, now registered: no page may tell the difference
    assert again == first
    subjects = [m["Subject"] for m in mailbox.to("ana@example.org")]
    assert len(subjects) == 2 and subjects[0].startswith("You're registered") \
        and subjects[1].startswith("Your private link")
    for words in ("We have emailed your confirmation to the address you gave", "whether you have a seat",
                  "What happens next",
                  "If the email does not arrive", "spam or junk folder"):
        assert words in first, words
    ics = page.get_by_role("link", name="add to your calendar (.ics: Outlook, Apple Calendar)")
    response = page.request.get(ics.get_attribute("href"))
    assert response.ok and response.headers["content-type"].startswith("text/calendar")
    [entry] = Calendar.from_ical(response.body()).walk("VEVENT")
    assert str(entry["SUMMARY"]) == "Spring Convening"
    expect(page.get_by_role("link", name="add to Google Calendar")).to_have_attribute(
        "href", re.compile(r"^https://calendar\.google\.com/"))


def test_rank_visits_read_the_rules_and_see_the_seat_on_the_private_page(page, live_app, make_event, make_visit):
    event = make_event()
    school = event.hosts[0].schools[0]
    school.photo_policy = "No photos of students without written permission."
    full = make_visit(event, seats=0, title="K-1 station rotation")
    make_visit(event, block=full.block, seats=5, title="Take-home laptops", school=school)
    mailbox = Mailbox(Path(live_app.config["MAIL_DIR"]))
    page.goto(f"/events/{event.slug}/register")
    page.get_by_text("The 2 visits at this time").click()
    expect(page.get_by_text("No photos of students without written permission.").first).to_be_visible()
    _fill_in_ana(page)
    page.get_by_label("First choice").select_option(label=f"K-1 station rotation ({school.name}): waiting list only")
    page.get_by_label("Second choice").select_option(label=f"Take-home laptops ({school.name})")
    page.get_by_role("button", name="Register").click()
    expect(page.locator("#error-summary")).to_contain_text("visit norms")
    page.get_by_label("I will follow the visit norms").check()
    page.get_by_role("button", name="Register").click()
    expect(page.get_by_role("heading", name="Check your email")).to_be_visible()
    page.goto(private_link(mailbox.to("ana@example.org")[-1]))
    expect(page.get_by_text("Take-home laptops")).to_be_visible()
    expect(page.get_by_text("You have a seat.")).to_be_visible()


@pytest.mark.parametrize("javascript", [True, False], ids=["with-javascript", "without-javascript"])
def test_adding_a_colleague_keeps_the_person_where_they_were(live_app, make_event, javascript):
    from conftest import chromium_page

    event = make_event()
    with chromium_page(live_app.base_url, java_script_enabled=javascript,
                       viewport={"width": 390, "height": 800}) as page:
        page.goto(f"/events/{event.slug}/register")
        page.locator("#legal_first_name").fill("Ana")
        for row in range(2):
            page.get_by_role("button", name="Add a colleague").click()
            # The page comes back at the new row, with the focus in its first field (no script needed).
            assert page.url.endswith(f"#colleagues-{row}-legal_first_name")
            expect(page.locator(f"#colleague-{row} legend")).to_be_in_viewport()
            expect(page.locator(f"#colleagues-{row}-legal_first_name")).to_be_focused()
            page.keyboard.type(f"Colleague {row}")
        expect(page.locator("#colleagues-0-legal_first_name")).to_have_value("Colleague 0")
        expect(page.locator("#legal_first_name")).to_have_value("Ana")
        page.get_by_role("button", name="Remove colleague 1").click()
        assert page.url.endswith("#colleagues")
        expect(page.locator("#colleagues")).to_be_in_viewport()
        expect(page.locator("#colleagues-0-legal_first_name")).to_have_value("Colleague 1")


def test_giving_up_a_visit_seat_asks_first_and_then_tells_the_truth(page, live_app, make_event, make_visit, book):
    from eventhub.extensions import db
    from eventhub.registration.links import issue_private_link

    from conftest import place_of

    event = make_event()
    roomy = make_visit(event, seats=1, title="Take-home laptops")
    full = make_visit(event, block=roomy.block, seats=0, title="K-1 station rotation")
    ana = book(event, "ana@example.org", roomy, full)  # the seat on her first choice
    ben = book(event, "ben@example.org", roomy)  # waits for it
    token = issue_private_link(ana)
    db.session.commit()
    page.goto(f"/r/{token}")
    expect(page.get_by_text("You have a seat.")).to_be_visible()
    page.get_by_role("link", name="Give up my seat").click()
    # A page that says what giving it up does, before anything happens.
    expect(page.get_by_role("heading", name="Give up your seat?")).to_be_visible()
    expect(page.get_by_text("The seat goes at once to the next of the 1 person on its waiting list")).to_be_visible()
    assert place_of(ana, roomy).status.value == "confirmed"
    page.get_by_role("link", name="No, keep it").click()
    expect(page.get_by_text("You have a seat.")).to_be_visible()
    page.get_by_role("link", name="Give up my seat").click()
    page.get_by_role("button", name="Yes, give up my seat").click()
    expect(page.get_by_text("You have given up your seat on “Take-home laptops”. It went to the next person "
                            "on its waiting list.")).to_be_visible()
    # She still ranks the full visit but holds nothing: the page says so, not "once you are confirmed".
    expect(page.get_by_text("You hold no seat and no waiting-list place on them now")).to_be_visible()
    expect(page.get_by_text("once your registration is confirmed")).to_have_count(0)
    assert place_of(ben, roomy).status.value == "confirmed"


def test_the_private_page_fits_a_phone_without_sideways_scrolling(live_app, make_event, make_visit, book):
    from eventhub.extensions import db
    from eventhub.registration.links import issue_private_link

    from conftest import chromium_page

    event = make_event(title="Spring Convening of the Learning Districts Network 2027")
    visit = make_visit(event, title="Take-home laptops and a family help desk run by eighth graders",
                       meeting_point="Convention center, Depot Street bus loop, buses 2 and 3")
    person = book(event, "maria.jose.lopez-villanueva.principal@sourwood-county-schools.example.org", visit,
                  legal_first_name="María José", legal_last_name="López-Villanueva de la Concepción",
                  title="Principal, Lincoln-Washington Elementary School")
    token = issue_private_link(person)
    db.session.commit()
    with chromium_page(live_app.base_url, viewport={"width": 390, "height": 844}) as page:
        page.goto(f"/r/{token}")
        expect(page.get_by_role("heading", name="Your registration")).to_be_visible()
        assert page.evaluate("document.documentElement.scrollWidth") <= 390


def test_someone_who_lost_their_link_gets_a_fresh_one_from_the_home_page(page, live_app, make_event,
                                                                        make_registration):
    event = make_event(title="Spring Convening")
    make_registration(event, email="ana@example.org", legal_first_name="Ana", legal_last_name="García")
    mailbox = Mailbox(Path(live_app.config["MAIL_DIR"]))
    page.goto("/")
    page.get_by_role("link", name="Lost your private link?").click()
    expect(page.get_by_role("heading", name="Lost your private link?")).to_be_visible()
    page.get_by_label("Your email address").fill("ana@example.org")
    page.get_by_role("button", name="Email me my link").click()
    expect(page.get_by_role("heading", name="Check your email")).to_be_visible()
    expect(page.get_by_text("If ana@example.org is registered for an event that has not ended")).to_be_visible()
    [message] = [m for m in mailbox.to("ana@example.org") if m["Subject"].startswith("Your private link")]
    page.goto(private_link(message))
    expect(page.get_by_role("heading", name="Your registration")).to_be_visible()
    expect(page.get_by_text("Ana García").first).to_be_visible()


def test_an_attendee_hands_their_place_to_a_colleague_who_takes_it(page, live_app, make_event, make_visit, book):
    from eventhub.extensions import db
    from eventhub.registration.links import issue_private_link

    event = make_event(title="Spring Convening", capacity=1)
    visit = make_visit(event, seats=1, title="Tablets in K-1")
    ana = book(event, "ana@example.org", visit, legal_first_name="Ana", legal_last_name="García")
    token = issue_private_link(ana)
    db.session.commit()
    mailbox = Mailbox(Path(live_app.config["MAIL_DIR"]))

    page.goto(f"/r/{token}")
    page.get_by_role("link", name="Hand my place to a colleague").click()
    page.get_by_label("Their legal first name").fill("Ben")
    page.get_by_label("Their legal last name").fill("Okafor")
    page.get_by_label("Their email address").fill("ben@example.org")
    page.get_by_label("Their role").select_option(label="Teacher")
    page.get_by_role("button", name="Email them the offer").click()
    expect(page.get_by_text("We have emailed your colleague a link to accept your place.")).to_be_visible()
    expect(page.get_by_role("button", name="Take the offer back")).to_be_visible()

    [offer] = [m for m in mailbox.to("ben@example.org") if "offers you their place" in m["Subject"]]
    accept = re.search(r"https?://[^/\s]+(/take-place/\S+)", offer.get_body(("plain",)).get_content()).group(1)
    page.goto(accept)
    expect(page.get_by_role("heading", name="Ana García offers you their place")).to_be_visible()
    page.get_by_role("button", name="Take the place").click()
    expect(page.locator("#norms-error")).to_contain_text("Please confirm that you will follow the visit norms")
    page.get_by_label("I will follow the visit norms").check()
    page.get_by_role("button", name="Take the place").click()
    expect(page.get_by_text("The place is yours.")).to_be_visible()
    expect(page.get_by_text("Ben Okafor").first).to_be_visible()
    expect(page.get_by_text("Tablets in K-1").first).to_be_visible()
    expect(page.get_by_text("You have a seat.")).to_be_visible()
    page.goto(f"/r/{token}")
    expect(page.get_by_role("heading", name="Cancelled")).to_be_visible()
