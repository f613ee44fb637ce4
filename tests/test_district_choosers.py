"""Choosing a district never lists the whole directory: the registration form offers member districts first
and finds any other by a search; event hosts, accounts and peer matching search too, all without
JavaScript. An event may take member districts' addresses only."""
import html
import re

import sqlalchemy as sa
from test_registration_views import form_data

from eventhub.extensions import db
from eventhub.models import District, Event, Registration, User, UserRole, utcnow

from conftest import private_link, sign_in


def directory(count: int = 30) -> None:
    """Non-member districts, as an imported directory holds thousands of."""
    db.session.add_all(District(name=f"Outside District {n:03}", state="OH", is_member=False) for n in range(count))
    db.session.commit()


def options(page: str, field: str) -> list[str]:
    select = re.search(rf'<select[^>]*name="{field}"[^>]*>(.*?)</select>', page, re.S).group(1)
    return re.findall(r'<option[^>]*>([^<]*)</option>', select)


def test_registration_offers_members_and_finds_any_other_district(app, client, make_event):
    event = make_event()
    member = event.hosts[0]
    directory()
    far = District(name="Lakeview Rural Schools", state="OH", is_member=False)
    gone = District(name="Lakeview Closed Schools", state="OH", is_member=False, archived_at=utcnow())
    db.session.add_all([far, gone])
    db.session.commit()
    url = f"/events/{event.slug}/register"

    blank = client.get(url).get_data(as_text=True)
    assert member.label in options(blank, "district") and "Outside District 000, OH" not in blank

    found = client.post(url, data=form_data(member.id, district_query="lakeview", find_district="Find"))
    assert found.status_code == 200
    page = found.get_data(as_text=True)
    offered = options(page, "district")
    assert offered[1] == "Lakeview Rural Schools, OH" and "Lakeview Closed Schools, OH" not in offered
    assert re.search(rf'<option selected value="{far.id}">|<option value="{far.id}" selected>', page)
    assert "1 district found" in page and db.session.scalar(sa.select(sa.func.count(Registration.id))) == 0
    assert 'value="Pepe"' in page, "the other answers are kept"

    assert client.post(url, data=form_data(far.id)).status_code == 302
    assert db.session.scalar(sa.select(Registration.district_id)) == far.id
    refused = client.post(url, data=form_data(gone.id, email="other@example.org"))
    assert refused.status_code == 422 and "Not a valid choice" in refused.get_data(as_text=True)

    nothing = client.post(url, data=form_data(member.id, district_query="zzz", find_district="Find"))
    assert "No district matches “zzz”" in nothing.get_data(as_text=True)


def test_event_hosts_are_found_by_a_search_of_districts_that_can_host(app, organizer_client, make_district):
    directory()
    ready = make_district(name="Harbor Point City Schools", state="OH")
    db.session.add(District(name="Harbor Point Township", state="OH"))  # no time zone: cannot host
    db.session.commit()
    blank = organizer_client.get("/admin/events/new").get_data(as_text=True)
    assert "Outside District" not in blank and "Harbor Point" not in blank

    data = {"title": "Spring Convening", "slug": "spring-2027", "kind": "convening", "timezone": "America/Chicago",
            "starts_on": "2027-04-06", "ends_on": "2027-04-08", "visit_allocation": "first_come"}
    found = organizer_client.post("/admin/events/new", data={**data, "host_query": "harbor point",
                                                             "find_host": "Find"})
    page = found.get_data(as_text=True)
    assert found.status_code == 200 and "Harbor Point City Schools, OH" in page
    assert "Harbor Point Township" not in page and "1 district found" in page
    assert db.session.scalar(sa.select(Event)) is None

    made = organizer_client.post("/admin/events/new", data={**data, "hosts": [str(ready.id)]})
    assert made.status_code == 302
    assert [d.id for d in db.session.scalar(sa.select(Event)).hosts] == [ready.id]


def test_an_account_s_district_is_found_by_a_search(app, client, make_district):
    directory()
    home = make_district(name="Quarry Brook Public Schools", state="NJ")
    admin = sign_in(client, "ada@example.org", role=UserRole.ADMIN)
    blank = admin.get("/admin/users/invite").get_data(as_text=True)
    assert "Outside District" not in blank and "Quarry Brook" not in blank
    data = {"email": "coord@example.org", "role": "host_coordinator", "name": "Cora"}
    found = admin.post("/admin/users/invite", data={**data, "district_query": "quarry", "find_district": "Find"})
    assert found.status_code == 200 and "Quarry Brook Public Schools, NJ" in options(found.get_data(as_text=True),
                                                                                       "district")
    assert admin.post("/admin/users/invite", data={**data, "district": str(home.id)}).status_code == 302
    assert db.session.scalar(sa.select(User.district_id).where(User.email == "coord@example.org")) == home.id


def test_peer_matching_starts_from_a_search(app, client, make_district):
    directory(3)
    mine = make_district(name="Tamarack Falls School District", state="WI")
    assert "Outside District" not in client.get("/visits").get_data(as_text=True)
    one = client.get("/visits/matches?q=tamarack+falls&topic=libraries")
    assert one.status_code == 200 and "Districts like Tamarack Falls School District" in one.get_data(as_text=True)
    several = client.get("/visits/matches?q=outside").get_data(as_text=True)
    assert "Which is your district?" in several and several.count("/visits/matches?district=") == 3
    assert "No district in the network" in client.get("/visits/matches?q=nowhere").get_data(as_text=True)
    assert client.get(f"/visits/matches?district={mine.id}").status_code == 200
    assert client.get("/visits/matches").status_code == 400


def test_an_event_may_take_member_districts_addresses_only(app, client, make_event, mailbox):
    event = make_event()
    member = event.hosts[0]
    member.email_domains = ["tfsd.k12.wi.us"]
    event.member_addresses_only = True
    db.session.commit()
    url = f"/events/{event.slug}/register"
    form_page = html.unescape(client.get(url).get_data(as_text=True))
    assert "open to the staff of the network's member districts" in form_page

    refused = client.post(url, data=form_data(member.id, email="jose@gmail.com"))
    text = html.unescape(refused.get_data(as_text=True))
    assert refused.status_code == 422 and "is not at a member district's domain (gmail.com)" in text
    assert 'aria-invalid="true"' in text.split('id="email"')[1][:200] or 'id="email-error"' in text

    colleague = client.post(url, data=form_data(member.id, email="jose@tfsd.k12.wi.us", **{
        "colleagues-0-legal_first_name": "Bo", "colleagues-0-legal_last_name": "Li",
        "colleagues-0-email": "bo@elsewhere.org", "colleagues-0-role": "teacher"}))
    assert colleague.status_code == 422 and "bo@elsewhere.org is not at a member" in html.unescape(
        colleague.get_data(as_text=True))
    assert db.session.scalar(sa.select(sa.func.count(Registration.id))) == 0

    assert client.post(url, data=form_data(member.id, email="jose@hs.tfsd.k12.wi.us")).status_code == 302, \
        "a subdomain of a member's domain is theirs"
    link = private_link(mailbox.to("jose@hs.tfsd.k12.wi.us")[0])
    changed = client.post(f"{link}/edit", data=form_data(member.id, email="jose@gmail.com"),
                          follow_redirects=True)
    assert "is not at a member district's domain" in html.unescape(changed.get_data(as_text=True))
    assert db.session.scalar(sa.select(Registration.email)) == "jose@hs.tfsd.k12.wi.us"


def test_a_hand_over_cannot_get_around_member_addresses_only(app, client, make_event, mailbox):
    event = make_event()
    member = event.hosts[0]
    member.email_domains = ["tfsd.k12.wi.us"]
    db.session.commit()
    url = f"/events/{event.slug}/register"
    assert client.post(url, data=form_data(member.id, email="jose@tfsd.k12.wi.us")).status_code == 302
    event.member_addresses_only = True
    db.session.commit()
    link = private_link(mailbox.to("jose@tfsd.k12.wi.us")[0])
    offered = client.post(f"{link}/hand-over", data={"email": "mallory@gmail.com", "legal_first_name": "Mal",
                                                     "legal_last_name": "Lory", "role": "teacher"})
    assert "mallory@gmail.com is not at a member district's domain" in html.unescape(offered.get_data(as_text=True))
    assert mailbox.to("mallory@gmail.com") == []
