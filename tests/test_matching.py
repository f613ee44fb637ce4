"""Matching over the whole directory: one query ranks every district, members first, then by closeness of
what both districts are known by; at most 20, with the reasons in words; a topic finds its visits at any
district."""
import sqlalchemy as sa

from eventhub.directory.likeness import districts_like
from eventhub.extensions import db
from eventhub.models import District, Locale, School, utcnow
from eventhub.visits.matching import matches_for


def add(name: str, **kw) -> District:
    values = {"state": "IL", "is_member": True, **kw}
    district = District(name=name, **values)
    db.session.add(district)
    db.session.commit()
    return district


def test_members_come_first_then_the_closest_and_unknowns_do_not_count(app):
    visitor = add("Visitor", enrollment=10_000, locale=Locale.SUBURB, frl_percent=30, grade_span="PK-12")
    near = add("Near", enrollment=11_000, locale=Locale.SUBURB, frl_percent=32, grade_span="PK-12")
    far = add("Far", enrollment=900, locale=Locale.RURAL, frl_percent=80, grade_span="9-12")
    only_locale = add("Only Locale Known", locale=Locale.SUBURB)  # as close as can be on what is known
    outsider = add("Close Outsider", enrollment=10_000, locale=Locale.SUBURB, frl_percent=30, grade_span="PK-12",
                   is_member=False)
    add("Nothing Known")
    add("Archived Twin", enrollment=10_000, locale=Locale.SUBURB, frl_percent=30, grade_span="PK-12",
        archived_at=utcnow())
    ranked = [d.name for d in districts_like(visitor)]
    assert ranked == [only_locale.name, near.name, far.name, outsider.name]


def test_the_ranking_is_one_query_and_at_most_twenty(app):
    visitor = add("Visitor", enrollment=5000, locale=Locale.TOWN)
    db.session.add_all(District(name=f"D{n:02}", state="WI", enrollment=5000 + n * 100, locale=Locale.TOWN,
                                is_member=True) for n in range(30))
    db.session.commit()
    assert visitor.enrollment == 5000  # loaded: what is counted below is the ranking alone
    seen: list[str] = []
    listen = lambda conn, cursor, statement, *args: seen.append(statement)  # noqa: E731
    sa.event.listen(db.engine, "before_cursor_execute", listen)
    try:
        ranked = districts_like(visitor)
    finally:
        sa.event.remove(db.engine, "before_cursor_execute", listen)
    assert len(seen) == 1 and len(ranked) == 20 and ranked[0].name == "D00"


def test_a_topic_finds_its_visits_at_any_district_however_unlike(app, client, make_event, make_visit):
    from test_visits_views import peer_visit_event

    visitor = add("Big City", enrollment=59_000, locale=Locale.CITY, frl_percent=76, grade_span="PK-12",
                  timezone="America/Chicago")
    small = add("Prairie Lantern", enrollment=940, locale=Locale.RURAL, frl_percent=44, grade_span="PK-12",
                timezone="America/Chicago")
    db.session.add(School(district=small, name="Prairie Lantern Elementary"))
    db.session.commit()
    _, visit = peer_visit_event(make_event, make_visit, small)
    visit.topics = ["Blended learning", "multi-age classrooms"]
    db.session.commit()
    found = matches_for(visitor, utcnow(), topic="blended learning")
    assert [m.district.name for m in found] == ["Prairie Lantern"] and found[0].visits == [visit]
    assert matches_for(visitor, utcnow(), topic="robotics") == []
    page = client.get(f"/visits/matches?district={visitor.id}&topic=Blended+Learning").get_data(as_text=True)
    assert visit.title in page


def test_a_district_page_lists_the_districts_like_it(app, organizer_client):
    visitor = add("Visitor", enrollment=10_000, locale=Locale.SUBURB, frl_percent=30, grade_span="PK-12")
    add("Near", enrollment=11_000, locale=Locale.SUBURB, frl_percent=32, grade_span="PK-12")
    page = organizer_client.get(f"/admin/districts/{visitor.id}").get_data(as_text=True)
    assert "Districts like this one" in page
    assert "Near, IL</a>: similar size and demographics: 11,000 students, suburban, 32% free/reduced lunch" in page
