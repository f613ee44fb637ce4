"""In a real Chromium: an attendee edits a commitment from the private link after a check-in."""
import pytest
import sqlalchemy as sa

try:
    from playwright.sync_api import expect
except ImportError:  # the tests skip with a reason in chromium_page
    expect = None

from eventhub.extensions import db
from eventhub.followup.services import CommitmentDetails, add_update, create_commitment
from eventhub.models import Commitment, CommitmentStatus, Visibility
from eventhub.registration.links import issue_private_link

from conftest import chromium_page

pytestmark = pytest.mark.browser


@pytest.mark.parametrize("width", [1280, 390])
def test_a_public_commitment_is_made_private_again_after_a_check_in(live_app, make_event, make_visit, book,
                                                                    width):
    event = make_event(title="Fall Convening")
    visit = make_visit(event, title="Tablets in K-1")
    ana = book(event, "ana@example.org", visit, legal_first_name="Ana", legal_last_name="García")
    commitment = create_commitment(ana, CommitmentDetails(
        change_idea="Station rotation in two K classrooms", visit_id=visit.id, visibility=Visibility.PUBLIC))
    add_update(commitment, tried="Two weeks of rotations", learned="", decision=None,
               status=CommitmentStatus.TESTING)
    token = issue_private_link(ana)
    db.session.commit()

    with chromium_page(live_app.base_url, viewport={"width": width, "height": 844}) as page:
        page.goto(f"/events/{event.slug}/commitments")
        expect(page.get_by_text("Station rotation in two K classrooms")).to_be_visible()

        page.goto(f"/r/{token}/commitments")
        page.get_by_role("link", name="Edit this commitment").click()
        expect(page.get_by_role("heading", name="Edit your commitment")).to_be_visible()
        expect(page.get_by_label("Status")).to_have_count(0)
        expect(page.get_by_text("Status: Testing.")).to_be_visible()
        page.get_by_label("Only me and the organizers").check()
        page.get_by_role("button", name="Save").click()

        expect(page.get_by_text("Your commitment is saved.")).to_be_visible()
        expect(page.get_by_text("Not a valid choice")).to_have_count(0)
        expect(page.get_by_text("Only me and the organizers")).to_be_visible()
        assert page.evaluate("document.documentElement.scrollWidth") <= width
        page.goto(f"/events/{event.slug}/commitments")
        expect(page.get_by_text("Station rotation in two K classrooms")).to_have_count(0)

    db.session.expire_all()
    saved = db.session.scalar(sa.select(Commitment))
    assert (saved.visibility, saved.status) == (Visibility.PRIVATE, CommitmentStatus.TESTING)
