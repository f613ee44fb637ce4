"""The registrants table: search, filters, order, pages in a fixed number of queries; CSV and Excel exports."""
import csv
import io
import re
from datetime import timedelta

import pytest
import sqlalchemy as sa
from openpyxl import load_workbook

from eventhub.accounts.services import create_user
from eventhub.extensions import db
from eventhub.models import (
    AttendeeRole,
    Registration,
    RegistrationStatus,
    UserRole,
    utcnow,
)
from eventhub.registration.services import register

from conftest import attendee

PASSWORD = "correct horse battery"



@pytest.fixture
def people(make_event, make_district, make_visit, book):
    """A convening with six registrants: two districts, roles, a visit, needs, a formula-looking name."""
    event = make_event(title="Spring Convening", capacity=5)
    quarry = make_district(name="Quarry Brook Public Schools")
    mesa = make_district(name="Mesa Verde Unified")
    visit = make_visit(event, title="Shared tablets")
    book(event, "ana@example.org", visit, legal_first_name="Ana", legal_last_name="García", district_id=quarry.id,
         role=AttendeeRole.PRINCIPAL, dietary=["vegan"])
    register(event, attendee("bo@example.org", legal_first_name="Bo", legal_last_name="Okafor", district_id=mesa.id,
                             role=AttendeeRole.TEACHER, accessibility=["limited_walking"]))
    register(event, attendee("cy@example.org", legal_first_name="Cy", legal_last_name="=HYPERLINK(\"x\")",
                             district_id=quarry.id, role=AttendeeRole.COACH))
    for n in range(3):  # the event holds five: the sixth waits
        register(event, attendee(f"t{n}@example.org", legal_first_name="Tem", legal_last_name=f"Zed{n}",
                                 district_id=mesa.id, role=AttendeeRole.TEACHER))
    db.session.commit()
    return event, quarry, mesa, visit


def names(response) -> list[str]:
    """Last names in the table, in order."""
    html = response.get_data(as_text=True)
    body = html.split("<tbody>", 1)[1].split("</tbody>", 1)[0] if "<tbody>" in html else ""
    return [re.split(r"<td[^>]*>", row, maxsplit=1)[1].split(",", 1)[0].strip() for row in body.split("<tr>")[1:]]


def test_the_table_searches_filters_and_sorts(organizer_client, people):
    event, quarry, mesa, visit = people
    url = f"/admin/events/{event.slug}/registrants"
    assert names(organizer_client.get(url)) == ["=HYPERLINK(&#34;x&#34;)", "García", "Okafor", "Zed0", "Zed1", "Zed2"]
    assert names(organizer_client.get(url, query_string={"q": "quarry"})) == ["=HYPERLINK(&#34;x&#34;)", "García"]
    assert names(organizer_client.get(url, query_string={"q": "bo@exam"})) == ["Okafor"]
    assert names(organizer_client.get(url, query_string={"q": "100%"})) == []  # % is a letter, not a wildcard
    assert names(organizer_client.get(url, query_string={"status": "waitlisted"})) == ["Zed2"]
    assert names(organizer_client.get(url, query_string={"role": "teacher", "district": mesa.id})) == \
        ["Okafor", "Zed0", "Zed1", "Zed2"]
    assert names(organizer_client.get(url, query_string={"visit": visit.id})) == ["García"]
    assert names(organizer_client.get(url, query_string={"need": "dietary"})) == ["García"]
    assert names(organizer_client.get(url, query_string={"need": "accessibility"})) == ["Okafor"]
    assert names(organizer_client.get(url, query_string={"sort": "name", "order": "desc"}))[0] == "Zed2"
    by_district = names(organizer_client.get(url, query_string={"sort": "district"}))
    assert by_district[:4] == ["Okafor", "Zed0", "Zed1", "Zed2"]  # Mesa Verde before Quarry Brook


@pytest.mark.parametrize("query", [{"status": "lost"}, {"sort": "shoe size"}, {"district": "x"}, {"page": "two"},
                                   {"checked_in": "maybe"}])
def test_a_filter_that_is_not_one_of_the_choices_is_a_clear_400(organizer_client, people, query):
    response = organizer_client.get(f"/admin/events/{people[0].slug}/registrants", query_string=query)
    assert response.status_code == 400 and "is not a possible value" in response.get_data(as_text=True)


def test_the_checked_in_filter_and_export_column(organizer_client, people):
    event = people[0]
    url = f"/admin/events/{event.slug}/registrants"
    okafor = db.session.scalar(sa.select(Registration).where(Registration.email == "bo@example.org"))
    okafor.checked_in_at = utcnow().replace(year=2030, month=4, day=6, hour=14, minute=5)
    db.session.commit()
    assert names(organizer_client.get(url, query_string={"checked_in": "yes"})) == ["Okafor"]
    assert names(organizer_client.get(url, query_string={"checked_in": "no"})) == \
        ["=HYPERLINK(&#34;x&#34;)", "García", "Zed0", "Zed1", "Zed2"]
    assert names(organizer_client.get(url, query_string={"checked_in": "no", "district": people[2].id})) == \
        ["Zed0", "Zed1", "Zed2"]
    page = organizer_client.get(url, query_string={"checked_in": "yes"}).get_data(as_text=True)
    assert '<option value="yes" selected>Checked in</option>' in page
    assert '<input type="hidden" name="checked_in" value="yes">' in page  # the export keeps the filter
    response = organizer_client.get(url + ".csv", query_string={"col": ["last_name", "checked_in"],
                                                                "checked_in": "yes"})
    rows = list(csv.reader(io.StringIO(response.get_data().decode("utf-8-sig"))))
    assert rows == [["Last name", "Checked in (UTC)"], ["Okafor", "2030-04-06 14:05"]]
    everyone = organizer_client.get(url + ".csv", query_string={"col": ["last_name", "checked_in"]})
    assert ["García", ""] in list(csv.reader(io.StringIO(everyone.get_data().decode("utf-8-sig"))))


def test_pages_of_fifty_keep_the_filters(organizer_client, make_event):
    event = make_event()
    insert_registrations(event, 120)
    url = f"/admin/events/{event.slug}/registrants"
    first = organizer_client.get(url, query_string={"role": "teacher"}).get_data(as_text=True)
    assert "120 registrants; page 1 of 3" in first and "page=2" in first and "role=teacher" in first
    third = organizer_client.get(url, query_string={"role": "teacher", "page": 3})
    assert len(names(third)) == 20
    assert len(names(organizer_client.get(url, query_string={"page": 99}))) == 20  # past the end: the last page


def insert_registrations(event, count: int) -> None:
    """Many registrations at once, straight into the table."""
    now = utcnow()
    db.session.execute(sa.insert(Registration), [
        {"event_id": event.id, "email": f"r{n}@example.org", "legal_first_name": "Pat", "legal_last_name": f"L{n:05d}",
         "role": AttendeeRole.TEACHER, "status": RegistrationStatus.CONFIRMED, "dietary": [], "accessibility": [],
         "created_at": now + timedelta(seconds=n), "updated_at": now, "invite_uid": f"uid-{event.id}-{n}@test"}
        for n in range(count)])
    db.session.commit()


def test_the_table_costs_the_same_queries_for_10_or_5000_registrations(organizer_client, make_event, app):
    counts = []
    for size in (10, 5000):
        event = make_event()
        insert_registrations(event, size)
        statements = []

        def count(conn, cursor, statement, *args):
            if "FROM users" not in statement:  # the signed-in user: found in the test's session or not
                statements.append(statement)

        sa.event.listen(db.engine, "before_cursor_execute", count)
        try:
            response = organizer_client.get(f"/admin/events/{event.slug}/registrants", query_string={"q": "pat"})
        finally:
            sa.event.remove(db.engine, "before_cursor_execute", count)
        assert response.status_code == 200 and len(names(response)) == min(size, 50)
        counts.append(len(statements))
    assert counts[0] == counts[1], counts


def test_exports_have_the_chosen_columns_and_never_a_formula(organizer_client, people):
    event = people[0]
    url = f"/admin/events/{event.slug}/registrants"
    response = organizer_client.get(url + ".csv", query_string={"col": ["last_name", "email", "dietary"],
                                                                "district": people[1].id})
    assert response.status_code == 200 and response.mimetype == "text/csv"
    assert "attachment" in response.headers["Content-Disposition"] and response.headers["Cache-Control"] == "no-store"
    rows = list(csv.reader(io.StringIO(response.get_data().decode("utf-8-sig"))))
    assert rows == [["Last name", "Email", "Dietary"], ["'=HYPERLINK(\"x\")", "cy@example.org", ""],
                    ["García", "ana@example.org", "Vegan"]]
    response = organizer_client.get(url + ".xlsx", query_string={"col": ["last_name", "visits"]})
    sheet = load_workbook(io.BytesIO(response.get_data())).active
    values = [[cell.value for cell in row] for row in sheet.iter_rows()]
    assert values[0] == ["Last name", "Visits"] and ["'=HYPERLINK(\"x\")", None] in values
    assert ["García", "Shared tablets (seat)"] in values
    assert all(cell.data_type == "s" for row in sheet.iter_rows() for cell in row if cell.value)


def test_registrants_are_for_organizers_only(client, people, app):
    url = f"/admin/events/{people[0].slug}/registrants"
    assert client.get(url).status_code == 302 and "/admin/login" in client.get(url).headers["Location"]
    create_user(email="host@example.org", role=UserRole.HOST_COORDINATOR, password=PASSWORD,
                district=people[1])
    db.session.commit()
    client.post("/admin/login", data={"email": "host@example.org", "password": PASSWORD})
    assert client.get(url).status_code == 403 and client.get(url + ".csv").status_code == 403
