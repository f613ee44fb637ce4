"""In a real Chromium: a district team registers for a visit with too few seats and waits together; an
organizer switches an event with first-come seats to the allocation and runs it."""
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

try:
    from playwright.sync_api import expect
except ImportError:  # the tests skip with a reason in chromium_page
    expect = None

from eventhub.extensions import db
from eventhub.models import SeatStatus, VisitAllocationMode

from conftest import Mailbox, place_of, private_link, sign_in_page

pytestmark = pytest.mark.browser


def test_a_team_registering_for_a_visit_with_too_few_seats_waits_together(page, live_app, make_event, make_visit,
                                                                        book):
    event = make_event(title="Spring Convening")
    school = event.hosts[0].schools[0]
    visit = make_visit(event, seats=3, title="Tablets in K-1", school=school)
    book(event, "first@example.org", visit)  # 2 seats left for a team of 3
    mailbox = Mailbox(Path(live_app.config["MAIL_DIR"]))

    page.goto(f"/events/{event.slug}/register")
    page.locator("#legal_first_name").fill("Ana")
    page.locator("#legal_last_name").fill("García")
    page.locator("#email").fill("ana@example.org")
    page.get_by_label("Role").first.select_option(label="Principal")
    page.get_by_label("District").first.select_option(index=1)
    page.get_by_label("No, please do not photograph me").check()
    for row, (first, last) in enumerate([("Ben", "Okafor"), ("Cy", "Diaz")]):
        page.get_by_role("button", name="Add a colleague").click()
        page.locator(f"#colleagues-{row}-legal_first_name").fill(first)
        page.locator(f"#colleagues-{row}-legal_last_name").fill(last)
        page.locator(f"#colleagues-{row}-email").fill(f"{first.lower()}@example.org")
        page.locator(f"#colleagues-{row}-role").select_option(label="Teacher")
    page.get_by_label("First choice").select_option(label=f"Tablets in K-1 ({school.name})")
    page.get_by_label("I will follow the visit norms").check()
    page.get_by_role("button", name="Register").click()
    expect(page.get_by_role("heading", name="Check your email")).to_be_visible()

    # Three people, two seats: nobody rides alone; the team waits together and the seats are held for it.
    db.session.expire_all()
    assert sorted(place.status.value for place in visit_places(visit)) == ["confirmed"] + ["waitlisted"] * 3
    welcome = next(m for m in mailbox.to("ben@example.org") if m["Subject"].startswith("You're registered"))
    body = welcome.get_body(("plain",)).get_content()
    assert "You have a seat at the event." in body and "You have a seat." not in body
    assert "Tablets in K-1 (waiting list with your team of 3, number 1; 2 seats held for your team)" in body
    page.goto(private_link(next(m for m in mailbox.to("ben@example.org")
                                if m["Subject"].startswith("You're registered"))))
    expect(page.get_by_text("Your team waits together: you are number 1 on the waiting list")).to_be_visible()
    expect(page.get_by_text("Ana García can split the team")).to_be_visible()

    offer = next(m for m in mailbox.to("ana@example.org") if m["Subject"].startswith("2 seats for your team"))
    page.goto(private_link(offer))
    expect(page.get_by_text("2 of the 3 seats are free and held for your team.")).to_be_visible()
    team = page.locator("ul.team")
    expect(team).to_contain_text("Ben Okafor: has a seat at the event; “Tablets in K-1”: waiting list with the "
                                 "team of 3, number 1; 2 seats held for the team.")
    expect(page.get_by_label("Cy Diaz")).not_to_be_checked()
    page.get_by_role("button", name="Seat the people ticked now").click()
    expect(page.get_by_text("2 of your team have a seat on “Tablets in K-1” now")).to_be_visible()
    team = page.locator("ul.team")
    expect(team).to_contain_text("Ben Okafor: has a seat at the event; “Tablets in K-1”: has a seat.")
    expect(team).to_contain_text("Cy Diaz: has a seat at the event; “Tablets in K-1”: waiting list, number 1.")
    assert page.evaluate("document.documentElement.scrollWidth") <= 1280


def visit_places(visit):
    import sqlalchemy as sa

    from eventhub.models import VisitSeat
    return list(db.session.scalars(sa.select(VisitSeat).where(VisitSeat.visit_id == visit.id)))


def test_a_lottery_over_an_event_that_has_first_come_seats(page, live_app, make_event, make_visit, book):
    event = make_event(title="Spring Convening")
    small = make_visit(event, seats=1, title="Station rotation")
    large = make_visit(event, block=small.block, seats=10, title="Maker space")
    early = book(event, "early@example.org", small, large)
    sign_in_page(page)
    page.goto(f"/admin/events/{event.slug}/edit")
    page.get_by_label("How visit seats are given").select_option(label="Choice window, then a fair allocation")
    page.get_by_role("button", name="Save").click()
    expect(page.locator("#held-places")).to_contain_text("already given first come: 1 seat and 0 waiting-list places")
    page.get_by_label("Keep them: those people keep their seats").check()
    page.get_by_role("button", name="Save").click()
    expect(page.get_by_text("Saved.")).to_be_visible()
    db.session.expire_all()  # the server saved the new mode; read it again

    late = [book(event, f"late{n}@example.org", small, large) for n in range(3)]
    event.choices_close_at = datetime.now(UTC) - timedelta(minutes=5)
    db.session.commit()
    page.goto(f"/admin/events/{event.slug}/allocation")
    page.get_by_label("Seed").fill("2027")
    page.get_by_role("button", name="Preview an allocation").click()
    expect(page.get_by_role("heading", name="Preview with seed 2027")).to_be_visible()
    expect(page.get_by_text("3 people drawn: 0 got their 1st choice, 3 their 2nd")).to_be_visible()
    expect(page.get_by_text("1 seat already held, kept as they are (not drawn again)")).to_be_visible()
    page.get_by_role("button", name="Commit exactly this and email everyone").click()
    expect(page.get_by_text("The allocation with seed 2027 is committed: 3 seats given")).to_be_visible()
    assert place_of(early, small).status is SeatStatus.CONFIRMED
    assert {place_of(p, large).status for p in late} == {SeatStatus.CONFIRMED}
    assert event.visit_allocation is VisitAllocationMode.LOTTERY
