"""Follow-up reports: the figures of an event's commitments against a hand-counted network, each filter, the
page, its CSV and the printable report-back, who may see them, and their cost in queries."""
import csv
import html
import io
from datetime import UTC, date, datetime, timedelta
from io import BytesIO

import pytest
import sqlalchemy as sa
from pypdf import PdfReader

from eventhub.extensions import db
from eventhub.followup import reports
from eventhub.followup.services import CommitmentDetails, add_update, create_commitment
from eventhub.models import (
    AttendeeRole,
    Commitment,
    CommitmentStatus,
    CommitmentUpdate,
    Decision,
    FollowupReminder,
    Registration,
    RegistrationStatus,
    School,
    UserRole,
    Visibility,
    utcnow,
)

from conftest import sign_in

TODAY = date.today()
NOW = datetime.now(UTC)
SECRET = "Reading corners with a tablet cart (our private plan)"


def pdf_text(data: bytes) -> str:
    return " ".join(" ".join(page.extract_text().split()) for page in PdfReader(BytesIO(data)).pages)


@pytest.fixture
def network(make_event, make_district, make_visit, make_registration):
    """A convening hosted by two districts (one host school each, the first with two visits) and people from
    three member districts and a charter network, with seven commitments:

    | # | owner (district)   | source          | status    | due        | check-ins     | visibility |
    | 1 | Ana (Quarry Brook) | tablets (A)     | planned   | 5 days ago | none          | network    |
    | 2 | Bo (Kettle)        | tablets (A)     | testing   | in 10 days | 1 (-10 days)  | public     |
    | 3 | Cy (Lakeside)      | tablets (A)     | adopted   | 20 days ago| 2 (-35, -5)   | private    |
    | 4 | Di (Quarry Brook)  | advisory (B)    | abandoned | none       | 1 (-25 days)  | network    |
    | 5 | Bo (Kettle)        | advisory (B)    | adapted   | none       | 1 (-2 days)   | private    |
    | 6 | Ed (Prairie, other)| rotation (A)    | testing   | 3 days ago | none          | public     |
    | 7 | Ana (Quarry Brook) | the event       | planned   | none       | none          | private    |

    Reminders: "write" 40 days ago to all five; "day-30" 20 days ago to Ana, Bo, Cy, Di; "day-60" yesterday to Ed.
    All commitments were written 45 days ago except #7, 15 days ago.
    """
    north = make_district(name="Caliche Springs ISD", state="TX")
    south = make_district(name="Mesquite Valley USD", state="TX")
    school_a, school_b = north.schools[0], south.schools[0]
    school_a.name, school_b.name = "Windmill Park Elementary", "Agave Middle School"
    event = make_event(title="Spring Convening 2027", hosts=[north, south])
    tablets = make_visit(event, school=school_a, title="Early literacy on shared tablets",
                         topics=["Blended learning", "literacy"])
    advisory = make_visit(event, school=school_b, title="Advisory and student-led conferences", topics=["advisory"])
    rotation = make_visit(event, school=school_a, title="Station rotation in K-1", topics=["blended learning"])
    quarry = make_district(name="Quarry Brook Public Schools", state="NJ")
    kettle = make_district(name="Kettle Moraine School District", state="WI")
    lakeside = make_district(name="Lakeside Unified", state="CA")
    ana = make_registration(event, "ana@example.org", legal_first_name="Ana", legal_last_name="Alvarez",
                            district_id=quarry.id)
    bo = make_registration(event, "bo@example.org", legal_first_name="Bo", legal_last_name="Berg",
                           district_id=kettle.id)
    cy = make_registration(event, "cy@example.org", legal_first_name="Cy", legal_last_name="Chen",
                           district_id=lakeside.id)
    di = make_registration(event, "di@example.org", legal_first_name="Di", legal_last_name="Diaz",
                           district_id=quarry.id)
    ed = make_registration(event, "ed@example.org", legal_first_name="Ed", legal_last_name="Eze",
                           other_organization="Prairie Charter Network")

    def commit(owner, visit, idea, *, due=None, visibility=Visibility.PRIVATE, status=CommitmentStatus.PLANNED,
               written=45, **kw):
        c = create_commitment(owner, CommitmentDetails(
            change_idea=idea, visit_id=visit.id if visit else None, test_due_on=due, visibility=visibility,
            status=status, **kw))
        c.created_at = NOW - timedelta(days=written)
        return c

    def check_in(c, days_ago, decision=None, status=None, tried="", learned=""):
        add_update(c, tried=tried or "Tried it", learned=learned or "Learned something", decision=decision,
                   status=status, now=NOW - timedelta(days=days_ago))

    c1 = commit(ana, tablets, "Shared tablet rotation in grade 1", due=TODAY - timedelta(days=5),
                visibility=Visibility.NETWORK, evidence="Six-year-olds logging in by picture")
    c2 = commit(bo, tablets, "Tablet centres in two kindergarten rooms", due=TODAY + timedelta(days=10),
                visibility=Visibility.PUBLIC, test_starts_on=TODAY - timedelta(days=30))
    check_in(c2, 10, status=CommitmentStatus.TESTING, tried="Two rooms since March",
             learned="Headphones matter more than the apps")
    c3 = commit(cy, tablets, SECRET, due=TODAY - timedelta(days=20))
    check_in(c3, 35, status=CommitmentStatus.TESTING)
    check_in(c3, 5, decision=Decision.ADOPT)
    c4 = commit(di, advisory, "Advisory every morning in grade 9", visibility=Visibility.NETWORK)
    check_in(c4, 25, decision=Decision.ABANDON, learned="The bell schedule has no room for it")
    c5 = commit(bo, advisory, "Student-led conferences, our way", visibility=Visibility.PRIVATE)
    check_in(c5, 2, decision=Decision.ADAPT)
    c6 = commit(ed, rotation, '=HYPERLINK("http://evil.example","rotation")', due=TODAY - timedelta(days=3),
                visibility=Visibility.PUBLIC, status=CommitmentStatus.TESTING)
    c7 = commit(ana, None, "A network book study", written=15)
    for person in (ana, bo, cy, di, ed):
        db.session.add(FollowupReminder(registration=person, event_id=event.id, kind="write",
                                        due_at=NOW - timedelta(days=40), sent_at=NOW - timedelta(days=40)))
    for person in (ana, bo, cy, di):
        db.session.add(FollowupReminder(registration=person, event_id=event.id, kind="day-30",
                                        due_at=NOW - timedelta(days=20), sent_at=NOW - timedelta(days=20)))
    db.session.add(FollowupReminder(registration=ed, event_id=event.id, kind="day-60",
                                    due_at=NOW - timedelta(days=1), sent_at=NOW - timedelta(days=1)))
    db.session.commit()
    return dict(event=event, north=north, south=south, tablets=tablets, advisory=advisory, rotation=rotation,
                commitments=[c1, c2, c3, c4, c5, c6, c7], quarry=quarry)


def scope(n, **kw) -> reports.Scope:
    return reports.Scope.of(reports.Filters(event_id=n["event"].id, **kw))


def counts(figures: reports.Figures) -> dict[str, int]:
    return {status.value: number for status, number in figures.counts.items() if number}


# --- the figures ------------------------------------------------------------------------------------


def test_the_figures_match_the_hand_count(network):
    figures = reports.figures(scope(network), TODAY)
    assert counts(figures) == {"planned": 2, "testing": 2, "adopted": 1, "adapted": 1, "abandoned": 1}
    assert figures.counts[CommitmentStatus.SCALED] == 0
    assert figures.total == 7 and figures.closed == 3 and figures.open == 4
    assert figures.completion == pytest.approx(3 / 7) and reports.percent(figures.completion) == "43%"
    assert figures.with_updates == 4 and figures.without_updates == 3
    assert figures.overdue == 2  # 1 and 6; 3 was due too but is adopted
    # Seen from further in the future, 2 is overdue as well; from long ago nothing is.
    assert reports.figures(scope(network), TODAY + timedelta(days=11)).overdue == 3
    assert reports.figures(scope(network), TODAY - timedelta(days=30)).overdue == 0


def test_the_reminder_rounds_count_who_checked_in_or_wrote_after(network):
    rounds = reports.rounds(scope(network))
    assert [(r.kind, r.sent, r.checked_in_after, r.wrote_after) for r in rounds] == [
        ("write", 5, 3, 1),   # Bo, Cy, Di checked in after; Ana wrote #7 after
        ("day-30", 4, 2, 1),  # Bo (-10, -2) and Cy (-5); Di's was before it; Ana's #7
        ("day-60", 1, 0, 0),
    ]
    assert [r.label for r in rounds] == ["Invitation to write (end of the event)", "30-day check-in",
                                         "60-day check-in"]
    # Narrowed to the advisory visit: only Bo and Di, and only their advisory commitments.
    narrowed = reports.rounds(scope(network, visit_id=network["advisory"].id))
    assert [(r.kind, r.sent, r.checked_in_after) for r in narrowed] == [("write", 2, 2), ("day-30", 2, 1)]


def test_the_spread_of_practices_by_host_school(network):
    spread = reports.spread(scope(network))
    assert [(s.name, s.district, len(s.districts)) for s in spread] == [
        ("Windmill Park Elementary", "Caliche Springs ISD, TX", 4),
        ("Agave Middle School", "Mesquite Valley USD, TX", 2),
    ]
    windmill, agave = spread
    assert windmill.districts == ["Kettle Moraine School District, WI", "Lakeside Unified, CA",
                                  "Prairie Charter Network", "Quarry Brook Public Schools, NJ"]
    practices = windmill.practice_rows()
    assert [p.title for p in practices] == ["Early literacy on shared tablets", "Station rotation in K-1"]
    assert {a.name: a.status_rows() for a in practices[0].adopter_rows()} == {
        "Quarry Brook Public Schools, NJ": [(CommitmentStatus.PLANNED, 1)],
        "Kettle Moraine School District, WI": [(CommitmentStatus.TESTING, 1)],
        "Lakeside Unified, CA": [(CommitmentStatus.ADOPTED, 1)],
    }
    assert {a.name: a.status_rows() for a in agave.practice_rows()[0].adopter_rows()} == {
        "Quarry Brook Public Schools, NJ": [(CommitmentStatus.ABANDONED, 1)],
        "Kettle Moraine School District, WI": [(CommitmentStatus.ADAPTED, 1)],
    }
    assert windmill.commitments == 4 and agave.commitments == 2  # #7 names no visit


def test_the_same_district_twice_on_one_practice_is_one_district_with_both_statuses(network):
    n = network
    ana = db.session.scalar(sa.select(Registration).where(Registration.email == "ana@example.org"))
    create_commitment(ana, CommitmentDetails(change_idea="More tablets", visit_id=n["tablets"].id,
                                             status=CommitmentStatus.TESTING))
    db.session.commit()
    windmill = reports.spread(scope(n))[0]
    assert len(windmill.districts) == 4
    quarry = next(a for a in windmill.practice_rows()[0].adopters.values() if a.name.startswith("Quarry"))
    assert quarry.status_rows() == [(CommitmentStatus.PLANNED, 1), (CommitmentStatus.TESTING, 1)]


@pytest.mark.parametrize("filters, expected", [
    (lambda n: {"visit_id": n["advisory"].id}, {"abandoned": 1, "adapted": 1}),
    (lambda n: {"host_district_id": n["south"].id}, {"abandoned": 1, "adapted": 1}),
    (lambda n: {"host_district_id": n["north"].id}, {"planned": 1, "testing": 2, "adopted": 1}),
    (lambda n: {"topic": "blended learning"}, {"planned": 1, "testing": 2, "adopted": 1}),  # any spelling
    (lambda n: {"topic": "literacy"}, {"planned": 1, "testing": 1, "adopted": 1}),
    (lambda n: {"topic": "robotics"}, {}),
    (lambda n: {"status": CommitmentStatus.TESTING}, {"testing": 2}),
    (lambda n: {"topic": "advisory", "status": CommitmentStatus.ADAPTED}, {"adapted": 1}),
])
def test_each_filter_narrows_every_figure(network, filters, expected):
    kept = scope(network, **filters(network))
    assert counts(reports.figures(kept, TODAY)) == expected
    assert len(reports.commitments(kept)) == sum(expected.values())
    assert sum(s.commitments for s in reports.spread(kept)) == sum(expected.values())


def test_an_other_events_commitments_are_not_counted(network, make_event, make_registration):
    other = make_event()
    create_commitment(make_registration(other, "zed@example.org"), CommitmentDetails(change_idea="Elsewhere"))
    db.session.commit()
    assert reports.figures(scope(network), TODAY).total == 7
    assert reports.figures(reports.Scope.of(reports.Filters(event_id=other.id)), TODAY).total == 1


# --- the page ---------------------------------------------------------------------------------------


def url(n) -> str:
    return f"/admin/events/{n['event'].slug}/commitments"


def test_the_page_shows_the_figures_the_chart_the_rounds_the_spread_and_the_list(organizer_client, network):
    response = organizer_client.get(url(network))
    assert response.status_code == 200
    page = response.get_data(as_text=True)
    assert 'aria-current="page">Commitments</a>' in page  # the event's navigation, this page marked
    assert "43%" in page and ">7<" in page and "completed: 3 adopted" in page
    assert "with at least one check-in (3 without)" in page
    assert '<span class="stat-number">2</span> <span class="stat-label">overdue' in page
    assert '<svg class="chart"' in page and "Planned: 2 of 7 (29%)" in page  # the chart's description
    assert "30-day check-in" in page and "2 (50%)" in page
    spread = page.split('id="spread"')[1].split('id="commitments"')[0]
    assert spread.index("Windmill Park Elementary") < spread.index("Agave Middle School")
    assert "reached 4 districts" in spread and "Prairie Charter Network" in page
    assert "Shared tablet rotation in grade 1" in page and SECRET in page  # organizers read everything
    assert page.count('<span class="tag tag-overdue">Overdue</span>') == 2
    assert "7 commitments" in page


def test_the_page_filters_and_keeps_its_filters_in_the_downloads(organizer_client, network):
    n = network
    page = organizer_client.get(url(n), query_string={"visit": n["advisory"].id}).get_data(as_text=True)
    assert "Advisory every morning in grade 9" in page and "Shared tablet rotation" not in page
    assert f"commitments.csv?visit={n['advisory'].id}" in page and f"report.pdf?visit={n['advisory'].id}" in page
    page = organizer_client.get(url(n), query_string={"topic": "LITERACY", "status": "adopted"}).get_data(as_text=True)
    assert "Commitments with topic <strong>literacy</strong>, status <strong>Adopted</strong>." in page
    assert SECRET in page and "Tablet centres" not in page and "1 commitment," in page
    page = organizer_client.get(url(n), query_string={"district": n["south"].id}).get_data(as_text=True)
    assert "Student-led conferences, our way" in page and "Windmill Park" not in page.split('id="spread"')[1]


def test_the_commitment_detail_link_appears_only_once_that_page_exists(organizer_client, network, app):
    page = organizer_client.get(url(network)).get_data(as_text=True)
    linked = "followup.admin_commitment" in app.view_functions
    assert (f'/admin/commitments/{network["commitments"][0].id}"' in page) is linked


@pytest.mark.parametrize("query, words", [
    ({"status": "done"}, "is not a possible status"),
    ({"visit": "abc"}, "it must be a number"),
    ({"visit": "999999"}, "There is no visit 999999 at this event"),
    ({"district": "999999"}, "hosts none of this event's visits"),
    ({"topic": "robotics"}, "is not a topic of this event's visits"),
    ({"page": "two"}, "it must be a number"),
])
def test_a_filter_that_is_not_offered_is_a_clear_400(organizer_client, network, query, words):
    for suffix in ("", ".csv", "/report.pdf"):
        if suffix and "page" in query:
            continue
        response = organizer_client.get(url(network) + suffix, query_string=query)
        assert response.status_code == 400, (suffix, query)
        assert words in html.unescape(response.get_data(as_text=True)), (suffix, query)


def test_a_member_district_that_hosts_nothing_is_refused_as_a_host_filter(organizer_client, network):
    response = organizer_client.get(url(network), query_string={"district": network["quarry"].id})
    assert response.status_code == 400


def test_an_unknown_event_is_404(organizer_client, network):
    for suffix in ("", ".csv", "/report.pdf"):
        assert organizer_client.get(f"/admin/events/no-such-event/commitments{suffix}").status_code == 404


def test_the_pages_are_for_organizers_only(client, network):
    addresses = [url(network), url(network) + ".csv", url(network) + "/report.pdf"]
    for address in addresses:
        response = client.get(address)
        assert response.status_code == 302 and response.headers["Location"].startswith("/admin/login")
    sign_in(client, "host@example.org", role=UserRole.HOST_COORDINATOR, district=network["north"])
    for address in addresses:
        assert client.get(address).status_code == 403


# --- the CSV ------------------------------------------------------------------------------------------


def test_the_csv_has_every_field_and_never_a_formula(organizer_client, network):
    response = organizer_client.get(url(network) + ".csv")
    assert response.status_code == 200 and response.mimetype == "text/csv"
    assert response.headers["Cache-Control"] == "no-store" and "attachment" in response.headers["Content-Disposition"]
    rows = list(csv.DictReader(io.StringIO(response.get_data().decode("utf-8-sig"))))
    assert len(rows) == 7
    assert [r["Owner last name"] for r in rows] == ["Alvarez", "Alvarez", "Berg", "Berg", "Chen", "Diaz", "Eze"]
    cy = next(r for r in rows if r["Owner email"] == "cy@example.org")
    assert cy["The change I will try"] == SECRET and cy["Visibility"] == "private" and cy["Status"] == "adopted"
    assert cy["Source visit"] == "Early literacy on shared tablets" and cy["Host school"] == "Windmill Park Elementary"
    assert cy["Host district"] == "Caliche Springs ISD, TX" and cy["Owner district or organization"] == \
        "Lakeside Unified, CA"
    assert cy["Check-ins"] == "2" and cy["Last decision"] == "adopt"
    assert cy["Last check-in (UTC)"] == (NOW - timedelta(days=5)).strftime("%Y-%m-%d %H:%M")
    assert cy["Test due"] == (TODAY - timedelta(days=20)).isoformat()
    ana = next(r for r in rows if r["The change I will try"] == "Shared tablet rotation in grade 1")
    assert ana["What I saw"] == "Six-year-olds logging in by picture" and ana["Check-ins"] == "0"
    book = next(r for r in rows if r["The change I will try"] == "A network book study")
    assert book["Source visit"] == "" and book["Host school"] == ""
    ed = next(r for r in rows if r["Owner email"] == "ed@example.org")
    assert ed["The change I will try"] == "'" + '=HYPERLINK("http://evil.example","rotation")'
    assert ed["Owner district or organization"] == "Prairie Charter Network"
    for heading in ("Why it is new for us", "Test where", "Test with whom", "Test starts", "Prediction", "Measure",
                    "Baseline", "Target", "Support needed", "Support from", "Written (UTC)"):
        assert heading in rows[0], heading


def test_the_csv_is_filtered_like_the_page(organizer_client, network):
    response = organizer_client.get(url(network) + ".csv", query_string={"status": "testing"})
    rows = list(csv.DictReader(io.StringIO(response.get_data().decode("utf-8-sig"))))
    assert sorted(r["Owner email"] for r in rows) == ["bo@example.org", "ed@example.org"]


# --- the report-back PDF ---------------------------------------------------------------------------------


def test_the_report_back_prints_the_figures_and_the_spread_but_no_private_text(organizer_client, network):
    response = organizer_client.get(url(network) + "/report.pdf")
    assert response.status_code == 200 and response.mimetype == "application/pdf"
    assert response.headers["Cache-Control"] == "no-store"
    reader = PdfReader(BytesIO(response.data))
    assert reader.metadata.title == "Spring Convening 2027: what we committed to, and how it went"
    text = pdf_text(response.data)
    assert "What we committed to, and how it went" in text and "43%" in text
    assert "Windmill Park Elementary" in text and "reached 4 districts" in text
    assert text.index("Windmill Park Elementary") < text.index("Agave Middle School")
    assert "Early literacy on shared tablets" in text and "Lakeside Unified, CA" in text and "Adopted" in text
    assert "Advisory and student-led conferences" in text and "Abandoned" in text
    # Shared commitments with their latest check-in; private ones counted, not printed.
    assert "Tablet centres in two kindergarten rooms" in text and "Headphones matter more than the apps" in text
    assert "Shared tablet rotation in grade 1" in text and "Advisory every morning in grade 9" in text
    assert "3 private commitments are counted in the figures above, but their text is not printed" in text
    for private in (SECRET, "Student-led conferences, our way", "A network book study"):
        assert private not in text, private


def test_the_report_back_follows_the_filters(organizer_client, network):
    response = organizer_client.get(url(network) + "/report.pdf", query_string={"visit": network["advisory"].id})
    text = pdf_text(response.data)
    assert "Advisory every morning in grade 9" in text and "Tablet centres" not in text
    assert "1 private commitment is counted" in text and "Only the commitments with visit" in text


# --- cost -----------------------------------------------------------------------------------------------


def crowd(event, visit, size: int) -> None:
    """`size` people with a commitment each on `visit` (every third with a check-in) and a reminder each."""
    now = utcnow()
    db.session.execute(sa.insert(Registration), [
        {"event_id": event.id, "email": f"r{n}@example.org", "legal_first_name": "Pat", "legal_last_name": f"L{n:05d}",
         "role": AttendeeRole.TEACHER, "status": RegistrationStatus.CONFIRMED, "dietary": [], "accessibility": [],
         "created_at": now, "updated_at": now, "invite_uid": f"uid-{event.id}-{n}@test",
         "other_organization": f"Org {n % 7}"}
        for n in range(size)])
    ids = list(db.session.scalars(sa.select(Registration.id).where(Registration.event_id == event.id)))
    statuses = list(CommitmentStatus)
    db.session.execute(sa.insert(Commitment), [
        {"registration_id": rid, "event_id": event.id, "visit_id": visit.id, "change_idea": f"Idea {n}",
         "status": statuses[n % len(statuses)], "visibility": Visibility.NETWORK, "test_due_on": date(2020, 1, 1),
         "created_at": now, "updated_at": now}
        for n, rid in enumerate(ids)])
    commitment_ids = list(db.session.scalars(sa.select(Commitment.id).where(Commitment.event_id == event.id)))
    db.session.execute(sa.insert(CommitmentUpdate), [
        {"commitment_id": cid, "tried": "t", "learned": "l", "status_before": CommitmentStatus.PLANNED,
         "status_after": CommitmentStatus.TESTING, "created_at": now} for cid in commitment_ids[::3]])
    db.session.execute(sa.insert(FollowupReminder), [
        {"registration_id": rid, "event_id": event.id, "kind": "day-30", "due_at": now, "sent_at": now} for rid in ids])
    db.session.commit()


def test_the_page_and_downloads_cost_the_same_queries_for_few_or_many(organizer_client, make_event, make_visit):
    counts: dict[str, list[int]] = {"": [], ".csv": [], "/report.pdf": []}
    for size in (5, 700):  # more than one batch of an eager "selectin" load (500)
        event = make_event()
        visit = make_visit(event)
        crowd(event, visit, size)
        for suffix, found in counts.items():
            statements = []

            def count(conn, cursor, statement, *args):
                if "FROM users" not in statement:  # the signed-in user: found in the test's session or not
                    statements.append(statement)

            sa.event.listen(db.engine, "before_cursor_execute", count)
            try:
                response = organizer_client.get(f"/admin/events/{event.slug}/commitments{suffix}",
                                                query_string={"topic": "blended learning"})
            finally:
                sa.event.remove(db.engine, "before_cursor_execute", count)
            assert response.status_code == 200, suffix
            found.append(len(statements))
        page = organizer_client.get(f"/admin/events/{event.slug}/commitments").get_data(as_text=True)
        assert f"{size} commitments" in page
    for suffix, found in counts.items():
        assert found[0] == found[1], (suffix, found)


def test_the_event_navigation_links_the_report(organizer_client, network):
    page = organizer_client.get(f"/admin/events/{network['event'].slug}/dashboard").get_data(as_text=True)
    assert f'href="/admin/events/{network["event"].slug}/commitments">Commitments</a>' in page


def test_the_host_district_is_that_of_the_school_today(network):
    """Host districts come through the school: moving a school to another district moves its practices."""
    school = db.session.get(School, network["advisory"].school_id)
    school.district_id = network["north"].id
    db.session.commit()
    spread = reports.spread(scope(network))
    assert {s.district for s in spread} == {"Caliche Springs ISD, TX"}
    assert counts(reports.figures(scope(network, host_district_id=network["south"].id), TODAY)) == {}
