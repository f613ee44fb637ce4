""""I lost my link": a fresh private link by email, the same page for every address, rate-limited."""
import re
from datetime import date, timedelta
from pathlib import Path

import pytest

from eventhub.extensions import db
from eventhub.models import EventStatus

from conftest import Mailbox, private_link


def links(mailbox, address):
    return [m for m in mailbox.to(address) if m["Subject"].startswith("Your private link")]


def _page(response) -> str:
    return re.sub(r'name="csrf-token" content="[^"]*"', "", response.get_data(as_text=True))


def test_a_registered_address_gets_a_fresh_link_and_the_page_says_the_same_to_everyone(client, make_event,
                                                                                       make_registration, mailbox):
    event = make_event(title="Spring Convening")
    make_registration(event, email="ana@example.org")
    known = client.post("/lost-link", data={"email": " ANA@example.org "})
    unknown = client.post("/lost-link", data={"email": "nobody@example.org"})
    assert known.status_code == unknown.status_code == 200
    assert _page(known).replace("ana@example.org", "X") == _page(unknown).replace("nobody@example.org", "X")
    [message] = links(mailbox, "ana@example.org")
    assert message["Subject"] == "Your private link for Spring Convening"
    page = client.get(private_link(message)).get_data(as_text=True)
    assert "Your registration" in page
    assert mailbox.to("nobody@example.org") == []


def test_only_events_not_over_and_not_drafts_send_a_link(client, make_event, make_registration, mailbox):
    past, draft, off, coming = (make_event(title=f"{name} Convening") for name in ("Old", "Draft", "Off", "Coming"))
    for event in (past, draft, off, coming):
        make_registration(event, email="ana@example.org")
    past.starts_on, past.ends_on = date.today() - timedelta(days=30), date.today() - timedelta(days=29)
    draft.status = EventStatus.DRAFT
    off.status = EventStatus.CANCELLED
    db.session.commit()
    client.post("/lost-link", data={"email": "ana@example.org"})
    assert [m["Subject"] for m in links(mailbox, "ana@example.org")] == ["Your private link for Coming Convening"]


@pytest.mark.parametrize("email", ["", "not-an-address", "a b@example.org", "x" * 300 + "@example.org"])
def test_a_bad_address_is_a_clear_form_error(client, email, mailbox):
    response = client.post("/lost-link", data={"email": email})
    assert response.status_code == 422 and "error-summary" in response.get_data(as_text=True)
    assert mailbox.messages() == []


def test_asking_is_rate_limited_per_client_and_per_address(make_app, make_event, make_registration, mailbox):
    app = make_app(RATELIMIT_ENABLED=True)
    client = app.test_client()
    with app.app_context():
        make_registration(make_event(), email="ana@example.org")

    def ask(email: str, n: int) -> int:
        return client.post("/lost-link", data={"email": email}, environ_base={"REMOTE_ADDR": f"10.0.0.{n}"}).status_code

    # One address, from five places: the sixth ask is refused, wherever it comes from.
    assert [ask("ana@example.org", n) for n in range(6)] == [200] * 5 + [429]
    assert ask("ben@example.org", 50) == 200  # another address
    # Variants of that address (control characters, other cases) are the same address, and the same count.
    assert ask("\x01ANA@example.org", 60) == 429
    # One client: five a minute.
    assert [ask(f"p{n}@example.org", 99) for n in range(6)] == [200] * 5 + [429]
    assert len(links(Mailbox(Path(app.config["MAIL_DIR"])), "ana@example.org")) == 1  # one link in ten minutes


def test_the_home_page_the_event_page_and_the_form_link_to_it(client, make_event):
    event = make_event()
    for path in ("/", f"/events/{event.slug}", f"/events/{event.slug}/register"):
        assert 'href="/lost-link"' in client.get(path).get_data(as_text=True), path
