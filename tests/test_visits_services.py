"""Visit seats without HTTP: first come first served, waiting lists, one seat per block, screening data."""
import csv
import io
from datetime import date, timedelta

import pytest
import sqlalchemy as sa

from eventhub.extensions import db
from eventhub.models import RegistrationStatus, SeatStatus, VisitSeat
from eventhub.registration.services import VisitRequest, cancel_registration, register
from eventhub.visits.handoff import guest_list_csv
from eventhub.visits.queries import seat_position, taken_seats
from eventhub.visits.services import (
    BlockChoices,
    Screening,
    VisitError,
    change_choices,
    change_seats,
    leave_place,
    purge_screening_data,
)

from conftest import attendee, body_text, place_of


def test_seats_are_the_smallest_limit_and_say_why(make_event, make_visit):
    visit = make_visit(make_event(), seats=None, buses=2, room_limit=10, observation_groups=2, group_size=4)
    assert (visit.seats, visit.seats_basis) == (
        8, "8 = 2 observation groups × 4; the smallest of: buses × 48 = 96, room limit 10, groups × size = 8")
    visit.room_limit = 6
    assert visit.seats_basis == "6 = the school's room limit; the smallest of: buses × 48 = 96, room limit 6, " \
                                "groups × size = 8"
    visit.room_limit = visit.observation_groups = None
    assert (visit.seats, visit.seats_basis) == (96, "96 = 2 buses × 48 adults")
    visit.buses = 1
    assert visit.seats_basis == "48 = 1 bus × 48 adults"
    visit.buses = None
    assert (visit.seats, visit.seats_basis) == (0, "0: no limits entered yet")
    visit.seats_override = 12
    assert (visit.seats, visit.seats_basis) == (12, "12, set by the organizer")


def test_first_come_gets_the_best_ranked_visit_with_a_free_seat(make_event, make_visit, make_agenda_item, book):
    event = make_event()
    popular = make_visit(event, seats=1)
    second = make_visit(event, block=popular.block, seats=5)
    first = book(event, "a@example.org", popular, second)
    latecomer = book(event, "b@example.org", popular, second)
    assert place_of(first, popular).status is SeatStatus.CONFIRMED
    assert place_of(latecomer, popular) is None
    assert place_of(latecomer, second).status is SeatStatus.CONFIRMED


def test_with_every_choice_full_you_wait_on_your_first_choice(make_event, make_visit, book, mailbox):
    event = make_event()
    a = make_visit(event, seats=1)
    b = make_visit(event, block=a.block, seats=1)
    book(event, "x@example.org", a)
    book(event, "y@example.org", b)
    waiting = book(event, "z@example.org", a, b)
    also_waiting = book(event, "w@example.org", a)
    assert place_of(waiting, a).status is SeatStatus.WAITLISTED
    assert place_of(waiting, b) is None
    assert (seat_position(place_of(waiting, a)), seat_position(place_of(also_waiting, a))) == (1, 2)
    assert "waiting list, number 1" in body_text(mailbox.to("z@example.org")[0])


def test_a_freed_seat_goes_to_the_head_of_the_list_who_is_emailed(make_event, make_visit, book, mailbox):
    event = make_event()
    visit = make_visit(event, seats=1)
    holder = book(event, "a@example.org", visit)
    head = book(event, "b@example.org", visit)
    behind = book(event, "c@example.org", visit)
    leave_place(place_of(holder, visit))
    db.session.commit()
    assert place_of(head, visit).status is SeatStatus.CONFIRMED
    assert seat_position(place_of(behind, visit)) == 1
    promoted = mailbox.to("b@example.org")[-1]
    assert promoted["Subject"] == f"Invitation: School visit: {visit.title}"
    assert "A seat opened up" in body_text(promoted)


def test_leaving_a_waiting_list_moves_the_others_up(make_event, make_visit, book):
    event = make_event()
    visit = make_visit(event, seats=0)
    first = book(event, "a@example.org", visit)
    second = book(event, "b@example.org", visit)
    leave_place(place_of(first, visit))
    db.session.commit()
    assert seat_position(place_of(second, visit)) == 1
    assert place_of(first, visit).status is SeatStatus.CANCELLED


def test_cancelling_a_registration_frees_its_visit_seats(make_event, make_visit, book):
    event = make_event()
    visit = make_visit(event, seats=1)
    holder = book(event, "a@example.org", visit)
    head = book(event, "b@example.org", visit)
    cancel_registration(holder)
    db.session.commit()
    assert place_of(holder, visit).status is SeatStatus.CANCELLED
    assert place_of(head, visit).status is SeatStatus.CONFIRMED


def test_more_seats_go_to_the_waiting_list_at_once_and_fewer_take_no_seat_away(make_event, make_visit, book):
    event = make_event()
    visit = make_visit(event, seats=1)
    people = [book(event, f"p{n}@example.org", visit) for n in range(4)]
    assert change_seats(visit, seats_override=3) and taken_seats(visit) == 3
    db.session.commit()
    assert [place_of(p, visit).status for p in people] == [SeatStatus.CONFIRMED] * 3 + [SeatStatus.WAITLISTED]
    change_seats(visit, seats_override=1)
    db.session.commit()
    assert taken_seats(visit) == 3
    leave_place(place_of(people[0], visit))
    db.session.commit()
    assert place_of(people[3], visit).status is SeatStatus.WAITLISTED  # still over the new limit


def test_the_database_refuses_two_seats_in_one_block(make_event, make_visit, book):
    event = make_event()
    a = make_visit(event)
    b = make_visit(event, block=a.block)
    person = book(event, "a@example.org", a)
    db.session.add(VisitSeat(visit=b, registration=person, block_id=b.block_id, status=SeatStatus.CONFIRMED))
    with pytest.raises(sa.exc.IntegrityError):
        db.session.commit()
    db.session.rollback()


def test_seats_in_different_blocks_are_independent(make_event, make_visit, book):
    event = make_event()
    morning = make_visit(event, start="08:30", end="11:00")
    afternoon = make_visit(event, start="13:00", end="15:00")
    person = book(event, "a@example.org", morning, afternoon)
    assert place_of(person, morning).status is SeatStatus.CONFIRMED
    assert place_of(person, afternoon).status is SeatStatus.CONFIRMED


def test_changing_choices_keeps_a_seat_unless_something_better_has_room(make_event, make_visit, book):
    event = make_event()
    full = make_visit(event, seats=1)
    mine = make_visit(event, block=full.block, seats=1)
    roomy = make_visit(event, block=full.block, seats=5)
    book(event, "other@example.org", full)
    person = book(event, "a@example.org", mine)
    waiting_for_mine = book(event, "b@example.org", mine)
    # The full visit first, then my current one: I keep my seat (and do not wait on the full one).
    change_choices(person, [BlockChoices(full.block_id, [full.id, mine.id])])
    db.session.commit()
    assert place_of(person, mine).status is SeatStatus.CONFIRMED
    assert place_of(person, full) is None
    # A visit with room ranked first: I move, and my old seat goes to the head of its list.
    change_choices(person, [BlockChoices(full.block_id, [roomy.id, mine.id])])
    db.session.commit()
    assert place_of(person, roomy).status is SeatStatus.CONFIRMED
    assert place_of(person, mine).status is SeatStatus.CANCELLED
    assert place_of(waiting_for_mine, mine).status is SeatStatus.CONFIRMED
    # Clearing the block gives the seat up.
    change_choices(person, [BlockChoices(full.block_id, [])])
    db.session.commit()
    assert place_of(person, roomy).status is SeatStatus.CANCELLED


def test_choosing_visits_requires_the_norms(make_event, make_visit):
    event = make_event()
    visit = make_visit(event)
    with pytest.raises(VisitError, match="norms"):
        register(event, attendee(), visits=VisitRequest(choices=[BlockChoices(visit.block_id, [visit.id])]))
    db.session.rollback()


def test_colleagues_get_the_leads_choices_and_seats_in_one_go(make_event, make_visit, book):
    event = make_event()
    visit = make_visit(event, seats=3)
    lead = book(event, "lead@example.org", visit, colleagues=["c1@example.org", "c2@example.org"])
    assert taken_seats(visit) == 3
    assert {place_of(member, visit).status for member in [lead, *lead.team_members]} == {SeatStatus.CONFIRMED}


def test_a_team_larger_than_the_free_seats_waits_together_and_its_lead_may_split_it(make_event, make_visit, book,
                                                                                    mailbox):
    from eventhub.visits.queries import standings
    from eventhub.visits.services import split_party

    event = make_event()
    visit = make_visit(event, seats=4)
    book(event, "first@example.org", visit)
    lead = book(event, "lead@example.org", visit, colleagues=["c1@example.org", "c2@example.org", "c3@example.org"])
    team = [lead, *lead.team_members]
    assert taken_seats(visit) == 1, "nobody of the team rides ahead of the others"
    [standing] = standings([place_of(lead, visit)])
    assert (standing.position, len(standing.party), standing.held) == (1, 4, 3)
    assert standing.phrase == "waiting list with your team of 4, number 1; 3 seats held for your team"
    assert standing.speaks_for_party
    assert not standings([place_of(team[1], visit)])[0].speaks_for_party
    # A newcomer cannot take the seats held for the team: they wait behind it.
    solo = book(event, "solo@example.org", visit)
    assert place_of(solo, visit).status is SeatStatus.WAITLISTED
    assert standings([place_of(solo, visit)])[0].position == 2
    [offer] = [m for m in mailbox.to("lead@example.org") if m["Subject"].startswith("3 seats for your team")]
    assert "split the team" in body_text(offer) and "c3@example.org" not in offer["To"]
    assert not any(m["Subject"].startswith("3 seats") for m in mailbox.to("c1@example.org"))

    seated = split_party(lead, place_of(lead, visit).id, [place_of(m, visit).id for m in team[:3]])
    db.session.commit()
    assert len(seated) == 3 and taken_seats(visit) == 4
    assert place_of(team[3], visit).status is SeatStatus.WAITLISTED
    assert standings([place_of(team[3], visit)])[0].position == 1  # still ahead of the solo
    with pytest.raises(VisitError):
        split_party(lead, place_of(lead, visit).id, [place_of(team[3], visit).id])


def test_a_waiting_team_is_seated_together_once_a_seat_frees_for_each(make_event, make_visit, book):
    event = make_event()
    visit = make_visit(event, seats=3)
    first = book(event, "first@example.org", visit, colleagues=["f1@example.org"])
    team = book(event, "lead@example.org", visit, colleagues=["c1@example.org", "c2@example.org"])
    members = [team, *team.team_members]
    assert {place_of(m, visit).status for m in members} == {SeatStatus.WAITLISTED}  # 1 seat left for 3
    solo = book(event, "solo@example.org", visit)
    cancel_registration(first)
    db.session.commit()
    # Two seats free: still not enough for three, and the solo behind them does not take one.
    assert {place_of(m, visit).status for m in members} == {SeatStatus.WAITLISTED}
    assert place_of(solo, visit).status is SeatStatus.WAITLISTED
    cancel_registration(first.team_members[0])
    db.session.commit()
    assert {place_of(m, visit).status for m in members} == {SeatStatus.CONFIRMED}
    assert place_of(solo, visit).status is SeatStatus.WAITLISTED


def test_someone_waiting_for_the_event_gets_a_visit_seat_when_promoted(make_event, make_visit, book):
    event = make_event(capacity=1)
    visit = make_visit(event, seats=5)
    first = book(event, "a@example.org", visit)
    waiting = book(event, "b@example.org", visit)
    assert waiting.status is RegistrationStatus.WAITLISTED and place_of(waiting, visit) is None
    cancel_registration(first)
    db.session.commit()
    assert place_of(waiting, visit).status is SeatStatus.CONFIRMED


def test_screening_data_goes_only_to_the_host_that_asks_and_needs_consent(make_event, make_visit, make_district, book):
    event = make_event()
    screening_school = event.hosts[0].schools[0]
    screening_school.screening_dob_required = True
    other_school = make_district().schools[0]
    screened = make_visit(event, school=screening_school, start="08:30", end="11:00")
    open_visit = make_visit(event, school=other_school, start="13:00", end="15:00")
    person = book(event, "a@example.org", screened, open_visit,
                  screening=Screening(date_of_birth=date(1980, 5, 1), id_type="passport", consent=True))
    assert place_of(person, screened).date_of_birth == date(1980, 5, 1)
    assert place_of(person, screened).id_type == ""  # the school did not ask for it
    assert place_of(person, open_visit).date_of_birth is None
    with pytest.raises(VisitError, match="consent"):
        book(event, "b@example.org", screened, screening=Screening(date_of_birth=date(1980, 5, 1)))
    db.session.rollback()


def test_screening_data_is_purged_a_set_number_of_days_after_the_visit(make_event, make_visit, book):
    event = make_event()
    school = event.hosts[0].schools[0]
    school.screening_dob_required = True
    visit = make_visit(event, school=school)
    person = book(event, "a@example.org", visit, screening=Screening(date_of_birth=date(1980, 5, 1), consent=True))
    assert purge_screening_data(older_than=timedelta(days=7), now=visit.ends_at + timedelta(days=6)) == 0
    assert purge_screening_data(older_than=timedelta(days=7), now=visit.ends_at + timedelta(days=8)) == 1
    db.session.commit()
    place = place_of(person, visit)
    assert place.date_of_birth is None and place.screening_purged_at is not None
    assert purge_screening_data(older_than=timedelta(days=7), now=visit.ends_at + timedelta(days=9)) == 0


def test_the_guest_list_has_names_and_dates_of_birth_only_where_collected(make_event, make_visit, book):
    event = make_event()
    school = event.hosts[0].schools[0]
    plain = make_visit(event, school=school, start="13:00", end="15:00")
    book(event, "a@example.org", plain, legal_first_name="=HYPERLINK(\"x\")", legal_last_name="Zed")
    book(event, "b@example.org", plain, legal_first_name="Ana", legal_last_name="@Lopez")
    assert rows(guest_list_csv(plain)) == [["First name", "Last name"], ["Ana", "'@Lopez"], ["'=HYPERLINK(\"x\")",
                                                                                             "Zed"]]
    school.screening_dob_required = True
    screened = make_visit(event, school=school)
    book(event, "c@example.org", screened, legal_first_name="Cy", legal_last_name="Ng",
         screening=Screening(date_of_birth=date(1979, 4, 23), consent=True))
    assert rows(guest_list_csv(screened)) == [["First name", "Last name", "Date of birth"], ["Cy", "Ng", "1979-04-23"]]


def rows(text: str) -> list[list[str]]:
    """A CSV document as rows of cells."""
    return list(csv.reader(io.StringIO(text)))


def test_the_registration_email_lists_visits_with_the_hosts_rules(make_event, make_visit, book, mailbox):
    event = make_event()
    school = event.hosts[0].schools[0]
    school.accepted_id_kinds = ["us_drivers_license", "us_state_id"]
    school.photo_policy = "No photos of students without written permission."
    visit = make_visit(event, title="K-1 station rotation")
    book(event, "a@example.org", visit)
    text = body_text(mailbox.to("a@example.org")[0])
    assert "K-1 station rotation (you have a seat)" in text
    assert "US driver's license or US state ID card" in text and "No photos of students" in text
    assert "Central Time (America/Chicago)" in text


def test_leaving_a_visit_drops_it_from_the_ranking_so_it_is_not_booked_again(make_event, make_visit, book):
    from eventhub.visits.queries import choices_for

    event = make_event()
    full = make_visit(event, seats=0)
    other = make_visit(event, block=full.block, seats=5)
    afternoon = make_visit(event, start="13:00", end="15:00")
    person = book(event, "a@example.org", full)
    leave_place(place_of(person, full))
    db.session.commit()
    assert choices_for(person) == []
    change_choices(person, [BlockChoices(afternoon.block_id, [afternoon.id])])
    db.session.commit()
    assert place_of(person, full).status is SeatStatus.CANCELLED
    assert place_of(person, afternoon).status is SeatStatus.CONFIRMED
    assert place_of(person, other) is None


def test_emails_that_stopped_being_true_are_skipped_not_sent(app, make_event, make_visit, book, mailbox):
    from eventhub.models import OutboxMessage, OutboxStatus
    from eventhub.outbox.delivery import deliver_pending

    app.config["MAIL_SEND_ON_COMMIT"] = False  # delivered later by `flask mail deliver`, as in production
    event = make_event()
    visit = make_visit(event, seats=1)
    holder = book(event, "a@example.org", visit)
    waiting = book(event, "b@example.org", visit)
    leave_place(place_of(holder, visit))  # b is promoted and told so ...
    db.session.commit()
    leave_place(place_of(waiting, visit))  # ... but gives the seat up before the email goes out
    cancel_registration(holder)
    db.session.commit()
    report = deliver_pending(db.engine, app.config)
    subjects = {m["To"].split("<")[-1].rstrip(">"): [] for m in mailbox.messages()}
    for message in mailbox.messages():
        subjects[message["To"].split("<")[-1].rstrip(">")].append(message["Subject"])
    assert subjects["a@example.org"] == [f"Your registration for {event.title} is cancelled"]
    assert subjects["b@example.org"] == [f"You're registered for {event.title}"]  # nothing about the seat
    skipped = db.session.scalars(sa.select(OutboxMessage).where(OutboxMessage.status == OutboxStatus.SKIPPED)).all()
    assert len(report.skipped) == len(skipped) == 5
    assert {m.kind for m in skipped} == {"registration_welcome", "visit_invite"}


def test_seats_given_later_carry_the_norms_accepted_with_the_choice(make_event, make_visit, book):
    event = make_event(capacity=1)
    visit = make_visit(event, seats=5)
    first = book(event, "a@example.org", visit)
    waiting = book(event, "b@example.org", visit)
    cancel_registration(first)
    db.session.commit()
    place = place_of(waiting, visit)
    assert place.status is SeatStatus.CONFIRMED
    assert place.norms_acknowledged_at == waiting.visit_norms_acknowledged_at is not None


def test_a_team_booking_first_come_rides_together_where_a_visit_has_room(make_event, make_visit, book):
    event = make_event()
    small = make_visit(event, seats=2, title="Small")
    large = make_visit(event, block=small.block, seats=10, title="Large")
    lead = book(event, "lead@example.org", small, large, colleagues=["c1@example.org", "c2@example.org"])
    team = [lead, *lead.team_members]
    assert {place_of(member, large).status for member in team} == {SeatStatus.CONFIRMED}
    assert all(place_of(member, small) is None for member in team)
    # A team larger than any visit it ranked could never ride together: each member books on their own.
    crowd = book(event, "big@example.org", small, colleagues=[f"m{n}@example.org" for n in range(3)])
    statuses = [place_of(m, small).status for m in [crowd, *crowd.team_members]]
    assert statuses.count(SeatStatus.CONFIRMED) == 2 and statuses.count(SeatStatus.WAITLISTED) == 2
