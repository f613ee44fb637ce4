"""Every back-office route, from the app's URL map: anonymous visitors are sent to sign in, a host
coordinator gets 403 outside their schools, and no route answers 500."""
import pytest
from flask import url_for

from eventhub.accounts.services import create_user
from eventhub.extensions import db
from eventhub.followup.services import CommitmentDetails, create_commitment
from eventhub.models import Broadcast, PrintKind, UserRole
from eventhub.printing.batches import create_batch

PASSWORD = "correct horse battery"
# Open to anyone: signing in, and asking for and using a link to choose a password.
PUBLIC = {"accounts.login", "accounts.forgot_password", "accounts.reset_password", "accounts.accept_invitation"}
# Open to anyone while no account exists, then gone (404): tests/test_setup.py.
FIRST_RUN = {"accounts.setup"}
# What a host coordinator may open: their front page, and the printing page listing their schools' rosters.
FOR_COORDINATORS = PUBLIC | {"accounts.logout", "accounts.home", "printing.event_prints"}


@pytest.fixture
def admin_urls(app, make_event, make_visit, make_registration, make_district, make_agenda_item):
    """(endpoint, method, url) of every /admin route, its arguments naming real rows of another district."""
    event = make_event()
    visit = make_visit(event)
    registration = make_registration(event)
    batch = create_batch(event, PrintKind.BADGES)
    other_user = create_user(email="someone@example.org", role=UserRole.ORGANIZER, password=PASSWORD)
    item = make_agenda_item(event, event.starts_on, "09:00", "10:00")
    broadcast = Broadcast(event=event, subject="Buses", body="Hello")
    db.session.add(broadcast)
    commitment = create_commitment(registration, CommitmentDetails(change_idea="Station rotation in K-1"))
    db.session.commit()
    samples = {"slug": event.slug, "visit_id": visit.id, "registration_id": registration.id, "batch_id": batch.id,
               "document": "agenda", "kind": "csv", "user_id": other_user.id, "item_id": item.id,
               "school_id": visit.school_id, "broadcast_id": broadcast.id, "commitment_id": commitment.id,
               "token": "garbage", "district_id": visit.school.district_id, "action": "archive"}
    urls = []
    with app.test_request_context():
        for rule in app.url_map.iter_rules():
            if not rule.rule.startswith("/admin"):
                continue
            url = url_for(rule.endpoint, **{name: samples[name] for name in rule.arguments})
            for method in sorted(rule.methods - {"HEAD", "OPTIONS"}):
                urls.append((rule.endpoint, method, url))
    assert len({endpoint for endpoint, _, _ in urls}) >= 12  # the map was read, not an empty list
    return urls


def call(client, method: str, url: str):
    return client.open(url, method=method, data={})


def test_anonymous_requests_are_sent_to_sign_in(client, admin_urls):
    for endpoint, method, url in admin_urls:
        response = call(client, method, url)
        if endpoint in FIRST_RUN:
            assert response.status_code in (200, 403, 404, 422), (method, url, response.status_code)
            continue
        if endpoint in PUBLIC:
            assert response.status_code in (200, 400, 422), (method, url, response.status_code)
            continue
        assert response.status_code == 302, (method, url, response.status_code)
        assert response.headers["Location"].startswith("/admin/login"), (method, url)


def test_a_host_coordinator_gets_403_outside_their_schools(client, admin_urls, make_district):
    coordinator = create_user(email="host@example.org", role=UserRole.HOST_COORDINATOR, password=PASSWORD,
                              district=make_district(name="Elsewhere Unified"))
    db.session.commit()
    for endpoint, method, url in admin_urls:
        if endpoint in FOR_COORDINATORS | FIRST_RUN:
            continue
        client.post("/admin/login", data={"email": coordinator.email, "password": PASSWORD})
        response = call(client, method, url)
        assert response.status_code == 403, (method, url, response.status_code)


def test_no_route_answers_500_for_an_organizer(client, admin_urls, app):
    organizer = create_user(email="org@example.org", role=UserRole.ORGANIZER, password=PASSWORD)
    db.session.commit()
    for endpoint, method, url in admin_urls:
        client.post("/admin/login", data={"email": organizer.email, "password": PASSWORD})
        response = call(client, method, url)
        assert response.status_code < 500, (method, url, response.status_code)
