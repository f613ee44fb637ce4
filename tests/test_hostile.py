"""Odd input everywhere is a 4xx, never a 500: every route of the URL map, as each kind of visitor (nobody
signed in, a host coordinator, an organizer, an admin; the private-link routes with a real link), with ids
of 2³¹ and more, wrong types, oversized text and NUL bytes, in the address, the query string and the form.
CSRF is off here so that each request reaches its view; tests/test_csrf.py holds the tokens to account."""
import pytest
import sqlalchemy as sa

from eventhub.extensions import db
from eventhub.models import District, UserRole

from conftest import private_link, sign_in

HUGE = str(2**31)
ODD_QUERY = {"q": "x" * 5000, "district": HUGE + "0", "visit": HUGE, "user": HUGE, "id": HUGE, "page": "9" * 20,
             "registration": HUGE, "status": "bogus", "role": "0", "topic": "t" * 300, "at": "99",
             "preview_id": HUGE, "event": "nope", "type": "x", "sort": "x", "order": "x", "checked_in": "maybe",
             "back": "https://elsewhere.example", "kind": "x", "source": HUGE, "visibility": "x"}
WRONG_TYPES = {"visit_id": HUGE, "registration": HUGE, "seed": "9" * 12, "preview_id": HUGE, "capacity": "9" * 20,
               "seats_override": "abc", "buses": "-1", "confirm": "yes", "action": "in", "school_id": HUGE,
               "block_id": HUGE, "district": HUGE, "hosts": [HUGE, "x"], "role": "root", "starts_on": "2027-02-30",
               "day": "x", "starts": "25:99", "email": "not an address", "status": "x", "visit": HUGE,
               "rank": ["x", HUGE], "commitment_id": HUGE, "at": "x", "held_places": "x", "place_id": HUGE}
OVERSIZED = {name: "x" * 30_000 for name in ("title", "summary", "body", "subject", "email", "legal_first_name",
                                             "practice", "description", "photo_policy", "q", "name")}
NUL = {"q": "a\x00b", "email": "a\x00b@example.org", "password": "x\x00"}


@pytest.fixture
def world(make_event, make_visit, book, mailbox):
    """An event with a visit and an attendee (their private link), and the ids of each kind of row."""
    event = make_event(title="Spring Convening")
    visit = make_visit(event, seats=2)
    ana = book(event, "ana@example.org", visit)
    token = private_link(mailbox.to("ana@example.org")[-1]).removeprefix("/r/")
    return event, visit, ana, token


def urls(app, world) -> list[tuple[str, str]]:
    """Every route as (method, address): real ids, then ids no table holds."""
    event, visit, ana, token = world
    found = []
    adapter = app.url_map.bind("localhost")
    for rule in app.url_map.iter_rules():
        if rule.endpoint == "static":
            continue
        for ids in ("1", HUGE):
            values = {}
            for name in rule.arguments:
                if name == "slug":
                    values[name] = event.slug
                elif name in ("token", "signed"):
                    values[name] = token
                elif name == "kind":
                    values[name] = "csv"
                elif name == "document":
                    values[name] = "agenda"
                elif name == "action":
                    values[name] = "archive"
                else:
                    values[name] = ids
            path = adapter.build(rule.endpoint, values)
            for method in sorted(rule.methods - {"HEAD", "OPTIONS"}):
                found.append((method, path))
    return sorted(set(found))


def walk(client, app, world) -> list[str]:
    """Send every odd input to every route; the answers of 500 and over, as "METHOD path kind: status"."""
    failures = []
    for method, path in urls(app, world):
        printed = path.endswith(".pdf")  # printing a real document is slow: its odd input is its address
        tries = [("plain", {}, None)]
        if not printed:
            tries += [("odd query", ODD_QUERY, None), ("nul query", NUL, None)]
            if method == "POST":
                tries += [("wrong types", {}, WRONG_TYPES), ("oversized", {}, OVERSIZED), ("nul form", {}, NUL)]
        for kind, query, form in tries:
            response = client.open(path, method=method, query_string=query, data=form)
            if response.status_code >= 500:
                failures.append(f"{method} {path} {kind}: {response.status_code}")
            if kind.startswith("nul") and response.status_code not in (400, 404, 405):
                failures.append(f"{method} {path} {kind}: {response.status_code}, not refused")
        db.session.rollback()
    return failures


@pytest.mark.parametrize("who", ["nobody", "host coordinator", "organizer", "admin"])
def test_odd_input_on_every_route_is_never_a_server_error(app, client, world, who):
    if who != "nobody":
        role = {"host coordinator": UserRole.HOST_COORDINATOR, "organizer": UserRole.ORGANIZER,
                "admin": UserRole.ADMIN}[who]
        district = db.session.scalar(sa.select(District).limit(1)) if role is UserRole.HOST_COORDINATOR else None
        sign_in(client, f"{role.value}@example.org", role=role, district=district)
    assert walk(client, app, world) == []


def test_refusals_are_headed_in_words(client, world):
    event = world[0]
    data = {f"colleagues-{n}-email": f"c{n}@example.org" for n in range(25)}
    page = client.post(f"/events/{event.slug}/register", data=data).get_data(as_text=True)
    assert "<h1>That form holds too much</h1>" in page and "Request Entity Too Large" not in page
    page = client.get("/admin/audit", query_string={"q": "a\x00"}).get_data(as_text=True)
    assert "<h1>That could not be read</h1>" in page and "NUL" in page
