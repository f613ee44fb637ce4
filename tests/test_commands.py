"""The `flask` commands: seed-demo, users create, registrations revoke-links."""
from datetime import date
from zoneinfo import ZoneInfo

import sqlalchemy as sa

from eventhub.extensions import db
from eventhub.models import District, Event, EventStatus, PrivateLink, User, UserRole


def test_seed_demo_builds_a_believable_network_and_prints_its_urls(runner):
    result = runner.invoke(args=["seed-demo", "--today", "2026-11-25"])
    assert result.exit_code == 0, result.output
    districts = db.session.scalars(sa.select(District)).all()
    assert len(districts) >= 12
    assert len({d.timezone for d in districts}) >= 3
    assert all(d.schools for d in districts)
    assert len({d.locale for d in districts}) == 4
    events = {e.slug: e for e in db.session.scalars(sa.select(Event))}
    spring, fall = events["spring-convening-2027"], events["fall-convening-2026"]
    assert spring.status is EventStatus.PUBLISHED and (spring.ends_on - spring.starts_on).days == 2
    assert spring.starts_on > date(2026, 11, 25) and fall.ends_on < date(2026, 11, 25)
    assert len(spring.hosts) == 1 and spring.timezone == spring.hosts[0].timezone
    assert len(spring.agenda_items) >= 20
    zone = ZoneInfo(spring.timezone)
    assert {i.starts_at.astimezone(zone).date() for i in spring.agenda_items} == {
        spring.starts_on, date.fromordinal(spring.starts_on.toordinal() + 1), spring.ends_on}
    assert "http://eventhub.test/events/spring-convening-2027" in result.output
    assert "http://eventhub.test/events/spring-convening-2027/register" in result.output


def test_seed_demo_if_empty_leaves_existing_data_alone(runner):
    assert runner.invoke(args=["seed-demo", "--if-empty"]).exit_code == 0
    count = db.session.scalar(sa.select(sa.func.count(District.id)))
    again = runner.invoke(args=["seed-demo", "--if-empty"])
    assert again.exit_code == 0 and "already present" in again.output
    assert db.session.scalar(sa.select(sa.func.count(District.id))) == count
    refused = runner.invoke(args=["seed-demo"])
    assert refused.exit_code == 1 and "already holds" in refused.output


def test_users_create_makes_an_organizer_with_a_hashed_password(runner):
    result = runner.invoke(args=["users", "create", "--email", "Lee@Network.org", "--role", "organizer"],
                           input="correct horse battery\ncorrect horse battery\n")
    assert result.exit_code == 0, result.output
    user = db.session.scalar(sa.select(User))
    assert user.email == "lee@network.org" and user.role is UserRole.ORGANIZER
    assert user.password_hash.startswith("scrypt:") and user.check_password("correct horse battery")


def test_users_create_refuses_bad_input_with_a_message(runner, make_district):
    bad_email = runner.invoke(args=["users", "create", "--email", "nope", "--password", "x" * 12])
    assert bad_email.exit_code == 2 and "--email" in bad_email.output
    short = runner.invoke(args=["users", "create", "--email", "a@b.org", "--password", "short"])
    assert short.exit_code == 1 and "at least 12 characters" in short.output
    coordinator = runner.invoke(args=["users", "create", "--email", "c@b.org", "--role", "host_coordinator",
                                      "--password", "x" * 12])
    assert coordinator.exit_code == 1 and "--district" in coordinator.output
    district = make_district(name="Maple Falls")
    ok = runner.invoke(args=["users", "create", "--email", "c@b.org", "--role", "host_coordinator",
                             "--district", "Maple Falls", "--password", "x" * 12])
    assert ok.exit_code == 0, ok.output
    assert db.session.scalar(sa.select(User.district_id)) == district.id
    again = runner.invoke(args=["users", "create", "--email", "C@b.org", "--password", "x" * 12])
    assert again.exit_code == 1 and "already exists" in again.output


def test_revoke_links_stops_old_links_and_emails_a_new_one(runner, make_event, make_registration, mailbox):
    event = make_event()
    make_registration(event, "ana@example.org")
    result = runner.invoke(args=["registrations", "revoke-links", "--event", event.slug, "--email", "ana@example.org"])
    assert result.exit_code == 0, result.output
    assert "Revoked 1 link(s)" in result.output
    links = db.session.scalars(sa.select(PrivateLink).order_by(PrivateLink.id)).all()
    assert [link.revoked_at is None for link in links] == [False, True]
    assert len(mailbox.to("ana@example.org")) == 2
    missing = runner.invoke(args=["registrations", "revoke-links", "--event", event.slug, "--email", "x@y.org"])
    assert missing.exit_code == 1 and "No registration" in missing.output
