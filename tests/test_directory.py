"""The network's directory in the back office: districts and schools created, edited, archived instead of
deleted once anything refers to them, unique by their federal ids, listed with search, filters, sort and
pages in a fixed number of queries; unknown facts stay unknown."""
import html
from datetime import date

import pytest
import sqlalchemy as sa
from sqlalchemy.exc import IntegrityError

from eventhub.directory.likeness import similarity
from eventhub.directory.queries import DirectoryFilter, district_page, find_districts
from eventhub.directory.services import (
    DirectoryError,
    DistrictDetails,
    archive,
    create_district,
    delete_district,
)
from eventhub.events.writes import EventError, create_event, update_event
from eventhub.extensions import db
from eventhub.models import AuditEntry, District, Locale, School, User, UserRole

FORM = {"name": "Kettle Moraine School District", "state": "WI", "city": "Wales", "nces_leaid": "507350",
        "timezone": "America/Chicago", "enrollment": "6,100".replace(",", ""), "locale": "suburb",
        "frl_percent": "14", "grade_span": "pk-12", "is_member": "y", "member_since": "2019-08-01",
        "email_domains": "@kmsd.edu\nKMSD.k12.wi.us, kmsd.edu", "notes": "Hosts every other spring."}


def district(name: str = "Washington Unified", state: str = "CA", **kw) -> District:
    made = create_district(DistrictDetails(name=name, state=state, **kw))
    db.session.commit()
    return made


def test_an_organizer_adds_a_district_and_a_school_with_everything_a_person_knows(app, organizer_client):
    response = organizer_client.post("/admin/districts/new", data=FORM)
    assert response.status_code == 302
    saved = db.session.scalar(sa.select(District))
    assert (saved.nces_leaid, saved.grade_span, saved.locale, saved.member_since) == (
        "0507350", "PK-12", Locale.SUBURB, date(2019, 8, 1)), "the LEAID is padded to seven digits"
    assert saved.email_domains == ["kmsd.edu", "kmsd.k12.wi.us"]
    page = organizer_client.get(response.headers["Location"]).get_data(as_text=True)
    assert "6,100 students, suburban, 14% free/reduced lunch, grades PK-12" in page

    added = organizer_client.post(f"/admin/districts/{saved.id}/schools/new", data={
        "name": "Swallow School", "nces_id": "50735000123", "grade_span": "K-8", "street": "W314 Swallow Rd",
        "city": "Hartland", "postal_code": "53029", "entrance": "Front doors", "bus_parking": "East lot"})
    assert added.status_code == 302 and "/rules" in added.headers["Location"], "its rules for visitors come next"
    school = db.session.scalar(sa.select(School))
    assert (school.nces_id, school.state) == ("050735000123", "WI")
    actions = db.session.scalars(sa.select(AuditEntry.subject_type)).all()
    assert actions.count("district") == 1 and actions.count("school") == 1

    edited = organizer_client.post(f"/admin/districts/{saved.id}/edit", data={**FORM, "enrollment": ""})
    assert edited.status_code == 302
    db.session.refresh(saved)
    assert saved.enrollment is None, "an empty number is unknown, not 0"


def test_an_unknown_fact_is_left_out_of_matching_instead_of_skewing_it(app):
    visitor = district("Visitor", "IL", enrollment=5000, locale=Locale.RURAL, frl_percent=40, grade_span="K-12")
    known = district("Known", "IL", enrollment=5200, locale=Locale.RURAL, frl_percent=42, grade_span="K-12")
    unknown = district("Unknown", "IL", locale=Locale.RURAL, grade_span="K-12")
    assert similarity(visitor, known)[0] == 4
    score, reasons = similarity(visitor, unknown)
    assert score == 2 and reasons == ["also rural", "serves grades K-12"], "no size or lunch claim either way"
    assert similarity(unknown, visitor) == (2, ["also rural", "serves grades K-12"])


def test_districts_are_unique_by_leaid_only_and_schools_by_nces_id_else_by_district_and_name(app, organizer_client):
    first = district(nces_leaid="0641640")
    second = district()  # California's other "Washington Unified": same name and state, allowed
    assert first.id != second.id

    taken = organizer_client.post("/admin/districts/new", data={**FORM, "nces_leaid": "641640"})
    assert taken.status_code == 422 and "already has the LEAID 0641640" in taken.get_data(as_text=True)
    sci = organizer_client.post("/admin/districts/new", data={**FORM, "nces_leaid": "1.00005E+11"})
    assert sci.status_code == 422 and "at most 7 digits" in sci.get_data(as_text=True)

    url = f"/admin/districts/{first.id}/schools/new"
    assert organizer_client.post(url, data={"name": "Lincoln Elementary"}).status_code == 302
    again = organizer_client.post(url, data={"name": "lincoln elementary"})
    assert again.status_code == 422 and "already has a school called" in again.get_data(as_text=True)
    # With federal ids, two schools of one name are two schools.
    assert organizer_client.post(url, data={"name": "Roosevelt", "nces_id": "064164000001"}).status_code == 302
    assert organizer_client.post(url, data={"name": "Roosevelt", "nces_id": "064164000002"}).status_code == 302
    same_id = organizer_client.post(f"/admin/districts/{second.id}/schools/new",
                                    data={"name": "Other", "nces_id": "64164000001"})
    assert same_id.status_code == 422 and "already has the NCES id" in same_id.get_data(as_text=True)

    # The database holds the same rules, whatever writes to it.
    db.session.add(School(district_id=first.id, name="Lincoln Elementary"))
    with pytest.raises(IntegrityError):
        db.session.flush()
    db.session.rollback()
    db.session.add(District(name="Copy", state="CA", nces_leaid="0641640"))
    with pytest.raises(IntegrityError):
        db.session.flush()
    db.session.rollback()


def test_a_district_anything_refers_to_is_archived_not_deleted(app, organizer_client, make_event, make_visit,
                                                               make_registration):
    event = make_event()
    host = event.hosts[0]
    make_visit(event, school=host.schools[0])
    refused = organizer_client.post(f"/admin/districts/{host.id}/delete")
    assert refused.status_code == 409
    text = refused.get_data(as_text=True)
    assert "cannot be deleted: hosts 1 event; visits at its schools: 1" in text and "Archive it instead" in text
    assert db.session.get(District, host.id) is not None
    school_refused = organizer_client.post(f"/admin/schools/{host.schools[0].id}/delete")
    assert school_refused.status_code == 409 and "Archive it instead" in school_refused.get_data(as_text=True)

    assert organizer_client.post(f"/admin/districts/{host.id}/archive").status_code == 302
    db.session.refresh(host)
    assert host.archived_at is not None and find_districts(host.name) == []
    assert host.id not in [row.district.id for row in district_page(DirectoryFilter()).rows]
    assert [row.district.id for row in district_page(DirectoryFilter(archived=True)).rows] == [host.id]
    assert db.session.get(District, host.id).name == host.name, "its event keeps it"
    assert organizer_client.post(f"/admin/districts/{host.id}/restore").status_code == 302
    assert find_districts(host.name) == [host]

    # Referred to by an account or a registration only: archived too.
    coordinator_home = district("Coordinated", "IL", timezone="America/Chicago")
    db.session.add(User(email="c@example.org", role=UserRole.HOST_COORDINATOR, district=coordinator_home,
                        password_hash="x"))
    db.session.commit()
    with pytest.raises(DirectoryError, match="accounts: 1"):
        delete_district(coordinator_home)
    db.session.rollback()

    lonely = district("Lonely", "IL")
    db.session.add(School(district=lonely, name="Only School"))
    db.session.commit()
    lonely_id = lonely.id
    assert organizer_client.post(f"/admin/districts/{lonely_id}/delete").status_code == 302
    db.session.expire_all()
    assert db.session.get(District, lonely_id) is None and db.session.scalar(
        sa.select(School).where(School.name == "Only School")) is None
    logged = db.session.scalars(sa.select(AuditEntry.action).where(AuditEntry.subject_type == "district")).all()
    assert {"archive", "restore", "delete"} <= set(logged)


def test_a_district_without_a_time_zone_or_archived_hosts_nothing(app, make_event):
    unset = district("No Zone Yet", "AZ")
    with pytest.raises(EventError, match="no time zone yet"):
        create_event(slug="x-2027", title="X", timezone="America/Phoenix", starts_on=date(2027, 3, 1),
                     ends_on=date(2027, 3, 2), hosts=[unset])
    db.session.rollback()
    event = make_event()
    archived = district("Gone", "IL", timezone="America/Chicago")
    archive(archived)
    db.session.commit()
    with pytest.raises(EventError, match="is archived"):
        update_event(event, opened_version=event.version, hosts=[*event.hosts, archived])
    db.session.rollback()
    # A host it already has stays when it is archived later: the event can still be edited.
    archive(event.hosts[0])
    update_event(event, opened_version=event.version, title="Renamed", hosts=list(event.hosts))
    db.session.commit()


def test_a_hosting_district_keeps_its_time_zone(app, organizer_client, make_event):
    host = make_event().hosts[0]
    response = organizer_client.post(f"/admin/districts/{host.id}/edit", data={
        **FORM, "name": host.name, "state": host.state, "nces_leaid": "", "timezone": ""})
    assert response.status_code == 422 and "it keeps one" in response.get_data(as_text=True)


def test_the_list_searches_filters_sorts_and_pages_in_two_queries(app, organizer_client):
    def statements_for(url: str) -> tuple[int, str]:
        seen: list[str] = []
        listen = lambda conn, cursor, statement, *args: seen.append(statement)  # noqa: E731
        sa.event.listen(db.engine, "before_cursor_execute", listen)
        try:
            page = organizer_client.get(url)
        finally:
            sa.event.remove(db.engine, "before_cursor_execute", listen)
        assert page.status_code == 200
        return len([s for s in seen if "districts" in s]), page.get_data(as_text=True)

    for n in range(3):
        district(f"Alpha {n}", "WI", enrollment=1000 * (n + 1), is_member=n == 0, locale=Locale.RURAL)
    few, _ = statements_for("/admin/districts")
    for n in range(117):
        db.session.add(District(name=f"Bulk {n:03}", state="TX", enrollment=60_000 + n, locale=Locale.CITY))
    db.session.commit()
    many, text = statements_for("/admin/districts")
    assert few == many, "the same queries for 3 districts and for 120"
    assert "120 districts; page 1 of 3" in text

    _, text = statements_for("/admin/districts?q=alpha&member=yes")
    assert "Alpha 0" in text and "Alpha 1" not in text
    _, text = statements_for("/admin/districts?size=very-large&state=TX&sort=enrollment&page=3")
    assert "117 districts; page 3 of 3" in text and "Bulk 000" in text and "Bulk 116" not in text
    _, text = statements_for("/admin/districts?locale=rural&size=small")
    assert "Alpha 0" in text and "Alpha 1" in text and "Alpha 2" not in text and "Bulk" not in text
    _, text = statements_for("/admin/districts?page=99")
    assert "page 3 of 3" in text, "past the last page: the last page"

    for bad in ("sort=evil", "member=maybe", "state=ZZ", "size=huge", "page=0", "page=99999999999", "locale=x"):
        assert organizer_client.get(f"/admin/districts?{bad}").status_code == 400, bad


def test_the_directory_pages_are_for_organizers(app, client, make_district):
    from conftest import sign_in

    home = make_district()
    coordinator = sign_in(client, "coord@example.org", role=UserRole.HOST_COORDINATOR, district=home)
    assert coordinator.get("/admin/districts").status_code == 403
    assert coordinator.post(f"/admin/districts/{home.id}/archive").status_code == 403
    assert coordinator.get(f"/admin/districts/{home.id}").status_code == 403


def test_a_district_page_shows_its_schools_coordinators_events_and_people(app, organizer_client, make_event,
                                                                          make_registration):
    event = make_event(title="Spring Convening")
    host = event.hosts[0]
    db.session.add(User(email="coord@example.org", role=UserRole.HOST_COORDINATOR, district=host,
                        password_hash="x"))
    registration = make_registration(event, "ana@example.org")
    registration.district = host
    db.session.commit()
    text = organizer_client.get(f"/admin/districts/{host.id}").get_data(as_text=True)
    assert host.schools[0].name in text and "coord@example.org" in text
    assert text.count("Spring Convening") == 2, "hosted, and its people registered"
    assert f"/admin/events/{event.slug}/commitments" not in text, "no commitments yet: no link"


def test_a_zone_outside_the_usual_list_is_kept_on_edit_and_leaid_search_pads(app, organizer_client):
    detroit = district("Detroit Public Schools Community District", "MI", timezone="America/Detroit",
                       nces_leaid="2601103")
    form = organizer_client.get(f"/admin/districts/{detroit.id}/edit").get_data(as_text=True)
    assert '<option selected value="America/Detroit">' in form or 'value="America/Detroit" selected' in form
    saved = organizer_client.post(f"/admin/districts/{detroit.id}/edit", data={
        **FORM, "name": detroit.name, "state": "MI", "nces_leaid": "2601103", "timezone": "America/Detroit"})
    assert saved.status_code == 302
    db.session.refresh(detroit)
    assert detroit.timezone == "America/Detroit"
    kettle = district("Kettle", "WI", nces_leaid="0507350")
    assert find_districts("507350") == [kettle], "the LEAID without its leading zero"


def test_a_coordinator_joins_only_a_district_in_use_and_huge_ids_are_no_500(app, client, organizer_client):
    from conftest import sign_in

    gone = district("Gone", "IL", timezone="America/Chicago")
    archive(gone)
    db.session.commit()
    admin = sign_in(app.test_client(), "ada@example.org", role=UserRole.ADMIN)
    refused = admin.post("/admin/users/invite", data={"email": "c@example.org", "role": "host_coordinator",
                                                     "district": str(gone.id)})
    assert refused.status_code == 422 and "is archived" in refused.get_data(as_text=True)
    huge = organizer_client.post("/admin/events/new", data={"hosts": "99999999999999999999999", "title": "X"})
    assert huge.status_code == 422


def test_a_clash_the_checks_did_not_see_is_a_409_not_a_500(app, organizer_client, monkeypatch):
    from eventhub.directory import services

    district("First", "CA", nces_leaid="0641640")
    monkeypatch.setattr(services, "_check_district", lambda details, district: None)  # as if saved meanwhile
    clash = organizer_client.post("/admin/districts/new", data={**FORM, "nces_leaid": "0641640"})
    assert clash.status_code == 409 and "at the same moment" in html.unescape(clash.get_data(as_text=True))
    assert db.session.scalar(sa.select(sa.func.count(District.id))) == 1
