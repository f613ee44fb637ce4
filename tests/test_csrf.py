"""Every state-changing route refuses a request without the form's CSRF token, signed in or not, and
changes nothing; every POST form in the templates carries the token."""
import re
from pathlib import Path

import pytest
import sqlalchemy as sa
from flask import url_for
from werkzeug.routing import IntegerConverter

from eventhub.accounts.services import create_user
from eventhub.extensions import db
from eventhub.models import (
    AuditEntry,
    Broadcast,
    OutboxMessage,
    PrintKind,
    Registration,
    UserRole,
    Visit,
)
from eventhub.printing.batches import create_batch

from conftest import empty_all_tables

PASSWORD = "correct horse battery"
TEMPLATES = Path(__file__).resolve().parent.parent / "templates"


@pytest.fixture
def csrf_app(make_app):
    app = make_app(WTF_CSRF_ENABLED=True)
    with app.app_context():
        empty_all_tables()
        yield app
        db.session.remove()
        empty_all_tables()


def _counts() -> dict:
    return {model.__name__: db.session.scalar(sa.select(sa.func.count()).select_from(model))
            for model in (Registration, AuditEntry, OutboxMessage, Broadcast, Visit)}


def _state_changing_urls(app, samples: dict) -> list[tuple[str, str]]:
    """(method, url) of every rule that takes POST, PUT, PATCH or DELETE, its arguments filled in."""
    found = []
    with app.test_request_context():
        for rule in app.url_map.iter_rules():
            methods = sorted(rule.methods & {"POST", "PUT", "PATCH", "DELETE"})
            if not methods:
                continue
            values = {}
            for name in rule.arguments:
                fallback = 1 if isinstance(rule._converters[name], IntegerConverter) else "x"
                values[name] = samples.get(name, fallback)
            url = url_for(rule.endpoint, **values)
            found.extend((method, url) for method in methods)
    return found


def test_every_state_changing_route_refuses_a_missing_or_wrong_token(csrf_app, make_event, make_visit,
                                                                     make_registration, make_agenda_item):
    event = make_event()
    visit = make_visit(event)
    registration = make_registration(event)
    item = make_agenda_item(event, event.starts_on, "09:00", "10:00")
    batch = create_batch(event, PrintKind.BADGES)
    organizer = create_user(email="org@example.org", role=UserRole.ADMIN, password=PASSWORD)
    db.session.commit()
    samples = {"slug": event.slug, "visit_id": visit.id, "registration_id": registration.id, "batch_id": batch.id,
               "item_id": item.id, "school_id": visit.school_id, "user_id": organizer.id, "kind": "csv",
               "document": "agenda", "district_id": visit.school.district_id, "action": "archive"}
    urls = _state_changing_urls(csrf_app, samples)
    assert len(urls) >= 25  # the map was read: every form of the site and the back office

    client = csrf_app.test_client()
    page = client.get("/admin/login").get_data(as_text=True)
    token = re.search(r'name="csrf_token" type="hidden" value="([^"]+)"', page).group(1)
    signed_in = client.post("/admin/login", data={"email": organizer.email, "password": PASSWORD,
                                                  "csrf_token": token})
    assert signed_in.status_code == 302  # the real round trip with the token works
    before = _counts()
    for who, requester in (("signed in", client), ("anonymous", csrf_app.test_client())):
        for method, url in urls:
            for data in ({"confirm": "yes"}, {"confirm": "yes", "csrf_token": "forged"}):
                response = requester.open(url, method=method, data=data)
                assert response.status_code == 400, (who, method, url, data, response.status_code)
                assert "security token" in response.get_data(as_text=True), (who, method, url)
    assert _counts() == before
    assert visit.school.district.archived_at is None


def test_every_post_form_in_the_templates_carries_the_token():
    forms = []
    for path in TEMPLATES.rglob("*.html"):
        text = path.read_text()
        for match in re.finditer(r"<form\b[^>]*>(.*?)</form>", text, flags=re.S | re.I):
            opening = match.group(0)[: match.group(0).index(">") + 1]
            if re.search(r'method="post"', opening, flags=re.I):
                forms.append(path.name)
                inside = match.group(1)
                assert "csrf_token" in inside or "hidden_tag()" in inside, \
                    f"a POST form in {path.relative_to(TEMPLATES)} has no token"
    assert len(forms) >= 20
