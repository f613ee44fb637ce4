"""Every route whose address holds a secret answers as a private page, with a good secret or a bad one."""
import re

import pytest

from eventhub.accounts.links import LinkKind, issue_link_token
from eventhub.accounts.services import create_user
from eventhub.extensions import db
from eventhub.models import Commitment, UserRole
from eventhub.registration.links import feed_token, issue_private_link
from eventhub.registration.services import update_details
from eventhub.web import SECRET_ARGUMENTS

from conftest import body_text

# Routes that must be found by the walk below (so it cannot pass by finding nothing).
KNOWN_SECRET_ROUTES = {"registration.private_page", "registration.confirm_email", "accounts.reset_password",
                       "accounts.accept_invitation", "invites.personal_feed", "invites.personal_feed_by_private_link",
                       "printing.personal_agenda", "followup.commitments", "followup.new_commitment",
                       "registration.sign_out_elsewhere", "registration.renew_calendar_feed"}
# Calendar feeds: revalidated with their ETag, never stored blind.
FEEDS = {"invites.personal_feed", "invites.personal_feed_by_private_link"}
PRIVATE = {"Cache-Control": "no-store", "Referrer-Policy": "no-referrer", "X-Robots-Tag": "noindex"}


@pytest.fixture
def secrets(app, make_event, make_visit, book, mailbox):
    """A good value for every kind of secret, and ids for the routes' other arguments."""
    event = make_event(capacity=10)
    visit = make_visit(event)
    person = book(event, "ana@x.org", visit)
    token = issue_private_link(person)
    update_details(person, _details(person, "ana.new@x.org"))
    db.session.commit()
    [change] = mailbox.to("ana.new@x.org")
    signed = re.search(r"/email-change/(\S+)", body_text(change)).group(1)
    user = create_user(email="lee@network.org", role=UserRole.ORGANIZER, password="correct horse battery")
    commitment = Commitment(registration=person, event=event, change_idea="Try station rotation")
    db.session.add(commitment)
    feed = feed_token(person)
    db.session.commit()
    return {
        "token": token, "signed": signed,
        "accounts.reset_password": issue_link_token(user, LinkKind.RESET),
        "accounts.accept_invitation": issue_link_token(user, LinkKind.INVITATION),
        "invites.personal_feed": feed,
        "commitment_id": commitment.id, "place_id": 1,
    }


def _details(registration, new_email):
    from conftest import attendee

    return attendee(new_email, legal_first_name=registration.legal_first_name,
                    legal_last_name=registration.legal_last_name, role=registration.role)


def _secret_rules(app):
    return [rule for rule in app.url_map.iter_rules() if SECRET_ARGUMENTS & rule.arguments]


def _url(rule, values, good: bool) -> str:
    arguments = {}
    for name in rule.arguments:
        if name in SECRET_ARGUMENTS:
            secret = values.get(rule.endpoint) or values[name]
            arguments[name] = secret if good else "not-" + secret[:20]
        else:
            arguments[name] = values[name]
    return rule.build(arguments)[1]


def test_every_route_with_a_secret_in_its_address_is_private(app, client, secrets):
    rules = _secret_rules(app)
    assert KNOWN_SECRET_ROUTES <= {rule.endpoint for rule in rules}
    for rule in rules:
        method = "GET" if "GET" in rule.methods else "POST"
        for good in (True, False):
            url = _url(rule, secrets, good)
            response = client.open(url, method=method)
            assert response.status_code < 500, url
            headers = {name: response.headers.get(name) for name in PRIVATE}
            expected = dict(PRIVATE)
            if rule.endpoint in FEEDS and response.status_code == 200:
                expected["Cache-Control"] = "private, no-cache"
            assert headers == expected, f"{method} {url} ({'good' if good else 'bad'} secret)"


def test_the_personal_feed_answers_304_and_stays_private(client, secrets):
    url = f"/r/{secrets['token']}/calendar.ics"
    first = client.get(url)
    assert first.status_code == 200 and first.headers["ETag"]
    again = client.get(url, headers={"If-None-Match": first.headers["ETag"]})
    assert again.status_code == 304
    assert again.headers["Cache-Control"] == "private, no-cache"
    assert again.headers["Referrer-Policy"] == "no-referrer" and again.headers["X-Robots-Tag"] == "noindex"


def test_a_page_without_a_secret_in_its_address_is_not_marked(client, make_event):
    event = make_event()
    response = client.get(f"/events/{event.slug}")
    assert response.status_code == 200
    assert "X-Robots-Tag" not in response.headers and response.headers.get("Cache-Control") != "no-store"
