"""The `flask` commands: seed-demo, users create, registrations revoke-links."""
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

import sqlalchemy as sa

from eventhub.extensions import db
from eventhub.models import (
    AgendaKind,
    AuditEntry,
    District,
    Event,
    EventKind,
    EventStatus,
    PrivateLink,
    Registration,
    RegistrationStatus,
    School,
    SeatStatus,
    Transport,
    User,
    UserRole,
    Visit,
    VisitAllocationMode,
    VisitChoice,
    VisitSeat,
)


def test_seed_demo_builds_a_believable_network_and_prints_its_urls(runner):
    result = runner.invoke(args=["seed-demo", "--today", "2026-11-25"])
    assert result.exit_code == 0, result.output
    districts = db.session.scalars(sa.select(District)).all()
    assert len(districts) >= 12
    assert len({d.timezone for d in districts}) >= 3
    assert all(d.schools for d in districts)
    assert len({d.locale for d in districts}) == 4
    # Loaded from eventhub/demo/data/*.csv through the directory's import, then the schools' rules set.
    imports = db.session.scalars(sa.select(AuditEntry.subject_type).where(AuditEntry.action == "import")).all()
    assert sorted(imports) == ["district", "school"]
    assert all(d.nces_leaid and d.is_member and d.email_domains for d in districts)
    caliche = next(d for d in districts if d.name.startswith("Caliche Springs"))
    mesquite = next(s for s in caliche.schools if s.name == "Mesquite Trail Elementary School")
    assert mesquite.screening_dob_required and mesquite.notice_school_days == 5 and mesquite.nces_id
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
    assert "http://eventhub.test/visits" in result.output


def test_seed_demo_gives_every_school_visitor_rules(runner):
    assert runner.invoke(args=["seed-demo", "--today", "2026-11-25"]).exit_code == 0
    schools = db.session.scalars(sa.select(School)).all()
    for school in schools:
        assert school.entrance and school.bus_parking and school.photo_policy, school.name
        assert "non-evaluative" in school.visitor_norms and "recording" in school.visitor_norms, school.name
        assert 2 <= school.notice_school_days <= 5, school.name
        assert school.accepted_id_kinds or not school.photo_id_required, school.name
    assert sum(s.photo_id_required for s in schools) > len(schools) * 3 // 4
    assert len({s.accepted_ids for s in schools}) >= 3 and len({s.photo_policy for s in schools}) >= 3
    assert any(s.photo_id_required and not s.accepts_id("passport") for s in schools)
    assert not any(s.accepted_ids_unread for s in schools)
    spring = db.session.scalar(sa.select(Event).where(Event.slug == "spring-convening-2027"))
    host_schools = spring.hosts[0].schools
    assert sum(s.screening_dob_required for s in host_schools) >= 2
    assert any(s.screening_dob_required and s.screening_id_type_required for s in host_schools)


def test_seed_demo_fills_the_spring_visits_first_come_with_waiting_lists(runner):
    assert runner.invoke(args=["seed-demo", "--today", "2026-11-25"]).exit_code == 0
    spring = db.session.scalar(sa.select(Event).where(Event.slug == "spring-convening-2027"))
    assert spring.visit_allocation is VisitAllocationMode.FIRST_COME
    zone = ZoneInfo(spring.timezone)
    blocks = [i for i in spring.agenda_items if i.kind is AgendaKind.VISIT_BLOCK]
    assert len(blocks) == 3
    visits = spring.visits
    assert len(visits) >= 8
    assert {v.local_date for v in visits} == {spring.starts_on + timedelta(days=1), spring.ends_on}
    host = spring.hosts[0]
    for visit in visits:
        assert visit.block in blocks and visit.school.district is host
        assert visit.block.starts_at <= visit.starts_at < visit.ends_at <= visit.block.ends_at
        assert visit.starts_at.tzinfo is not None and visit.focus and visit.topics and visit.host_contact_email
        assert visit.seats > 0
        local_start = visit.starts_at.astimezone(zone).time()
        assert time(7) <= local_start and visit.ends_at.astimezone(zone).time() <= time(16)
    assert sum(v.transport is Transport.NETWORK_BUS for v in visits) > len(visits) // 2
    assert any(v.seats_override is not None for v in visits) and any(v.seats_override is None for v in visits)

    registrations = db.session.scalars(sa.select(Registration).where(Registration.event_id == spring.id)).all()
    assert 100 <= len(registrations) <= 150
    assert all(r.status is RegistrationStatus.CONFIRMED and r.confirmed_at and r.district_id for r in registrations)
    assert sum(r.team_lead_id is not None for r in registrations) >= 5
    assert len({r.role for r in registrations}) >= 6
    ranks = db.session.scalars(sa.select(VisitChoice.rank)).all()
    assert set(ranks) == {1, 2, 3}

    seats = db.session.scalars(sa.select(VisitSeat).join(VisitSeat.visit).where(Visit.event_id == spring.id)).all()
    confirmed = {v.id: 0 for v in visits}
    waiting = {v.id: 0 for v in visits}
    for seat in seats:
        assert seat.block_id == seat.visit.block_id and seat.norms_acknowledged_at is not None
        if seat.status is SeatStatus.CONFIRMED:
            assert seat.confirmed_at is not None
            confirmed[seat.visit_id] += 1
        else:
            assert seat.status is SeatStatus.WAITLISTED and seat.waitlisted_at is not None
            waiting[seat.visit_id] += 1
    assert all(confirmed[v.id] <= v.seats for v in visits)
    full_with_queue = [v for v in visits if confirmed[v.id] == v.seats and waiting[v.id]]
    assert len(full_with_queue) >= 2
    assert any(confirmed[v.id] < v.seats for v in visits)
    # Nobody holds two confirmed seats in one block.
    held = [(s.registration_id, s.block_id) for s in seats if s.status is SeatStatus.CONFIRMED]
    assert len(held) == len(set(held))
    # Screening details only where the school asks for them.
    for seat in seats:
        school = seat.visit.school
        assert (seat.date_of_birth is not None) == school.screening_dob_required
        assert bool(seat.id_type) == school.screening_id_type_required


def test_seed_demo_offers_peer_visits_between_convenings(runner):
    result = runner.invoke(args=["seed-demo", "--today", "2026-11-25"])
    assert result.exit_code == 0, result.output
    today = date(2026, 11, 25)
    peer = db.session.scalars(sa.select(Event).where(Event.kind == EventKind.PEER_VISIT)).all()
    assert len(peer) >= 3
    assert len({e.timezone for e in peer}) >= 3
    assert len({e.hosts[0].locale for e in peer}) >= 2
    for event in peer:
        assert event.status is EventStatus.PUBLISHED and event.capacity is None
        assert event.starts_on == event.ends_on and event.starts_on.weekday() < 5
        assert today + timedelta(weeks=3) <= event.starts_on <= today + timedelta(weeks=10)
        assert event.slug == f"peer-visit-{event.slug[len('peer-visit-'):-11]}-{event.starts_on.isoformat()}"
        assert len(event.hosts) == 1 and event.timezone == event.hosts[0].timezone
        assert event.registration_opens_at <= datetime(2026, 11, 25, 12, tzinfo=UTC) < event.registration_closes_at
        assert event.registration_closes_at.astimezone(event.zone).date() == event.starts_on - timedelta(days=3)
        assert len(event.visits) == 1
        visit = event.visits[0]
        assert visit.block is None and visit.school.district is event.hosts[0]
        assert 6 <= visit.seats <= 10 and visit.transport is Transport.OWN_VEHICLE and visit.topics
        assert visit.local_date == event.starts_on
        assert f"http://eventhub.test/events/{event.slug}" in result.output


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
    # Two districts of one name: the name is refused as ambiguous, the LEAID is not.
    district.nces_leaid = "0641640"
    twin = make_district(name="Maple Falls", nces_leaid="0641641")
    ambiguous = runner.invoke(args=["users", "create", "--email", "d@b.org", "--role", "host_coordinator",
                                    "--district", "Maple Falls", "--password", "x" * 12])
    assert ambiguous.exit_code == 2 and "give the LEAID" in ambiguous.output and "0641641" in ambiguous.output
    by_id = runner.invoke(args=["users", "create", "--email", "d@b.org", "--role", "host_coordinator",
                                "--district", "641641", "--password", "x" * 12])
    assert by_id.exit_code == 0, by_id.output
    assert db.session.scalar(sa.select(User.district_id).where(User.email == "d@b.org")) == twin.id


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


def test_seed_demo_gives_the_past_fall_convening_its_follow_up(runner):
    from eventhub.models import (
        Commitment,
        CommitmentUpdate,
        FollowupReminder,
        Visibility,
    )

    assert runner.invoke(args=["seed-demo", "--today", "2026-12-02"]).exit_code == 0
    fall = db.session.scalar(sa.select(Event).where(Event.slug == "fall-convening-2026"))
    commitments = db.session.scalars(sa.select(Commitment).where(Commitment.event_id == fall.id)).all()
    assert len(commitments) >= 20
    assert {c.visibility for c in commitments} == set(Visibility)
    from_visits = [c for c in commitments if c.visit is not None]
    assert {c.visit.school.name for c in from_visits} == {"Cedar Ridge High School", "Manzanita Park Elementary School"}
    assert len({c.registration.district_id for c in from_visits}) >= 5  # practices spread to several districts
    assert all(c.registration.event_id == fall.id and c.registration.status is RegistrationStatus.CONFIRMED
               for c in commitments)
    updates = db.session.scalars(sa.select(CommitmentUpdate)).all()
    assert len(updates) >= 10 and all(u.created_at.date() <= date(2026, 12, 2) for u in updates)
    assert len({c.status for c in commitments}) >= 3
    # The reminders already due by "today" are on record as sent, so `followup remind` does not send them again.
    kinds = set(db.session.scalars(sa.select(FollowupReminder.kind)))
    assert kinds == {"write", "day-30"}
