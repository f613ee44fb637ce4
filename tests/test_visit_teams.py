"""District teams and the fair allocation: a team is seated together or waits together, over many draws;
seats already held are kept and counted once; a lead is asked before a team is split."""
import random
from datetime import UTC, datetime, timedelta

import pytest
import sqlalchemy as sa

from eventhub.extensions import db
from eventhub.models import SeatStatus, VisitAllocationMode, VisitSeat
from eventhub.registration.services import VisitRequest, register
from eventhub.visits.allocation import commit_allocation, plan_allocation, record_preview
from eventhub.visits.queries import standings, taken_seats
from eventhub.visits.services import BlockChoices

from conftest import attendee, place_of, save_through_preview

SEEDS = range(40)


def rank(event, email, visits, colleagues=()):
    """Register (with colleagues: a district team with the same ranking) in the visits' block."""
    request = VisitRequest(choices=[BlockChoices(visits[0].block_id, [v.id for v in visits])], norms_acknowledged=True)
    outcome = register(event, attendee(email), [attendee(c) for c in colleagues], visits=request)
    db.session.commit()
    return outcome.lead


@pytest.fixture
def contest(make_event, make_visit):
    """Teams of 3 and 4 and a crowd of solo attendees rank the same few visits: more people than seats.
    Returns the event and the teams (lists of registrations, the lead first)."""
    event = make_event(visit_allocation=VisitAllocationMode.LOTTERY)
    first = make_visit(event, seats=5, title="Station rotation")
    visits = [first, make_visit(event, block=first.block, seats=4, title="Laptop help desk"),
              make_visit(event, block=first.block, seats=7, title="Maker space")]
    rng = random.Random(7)
    teams = []
    for n, size in enumerate([3, 4, 3, 3]):
        ranking = rng.sample(visits, 3)
        lead = rank(event, f"lead{n}@example.org", ranking, [f"t{n}m{k}@example.org" for k in range(size - 1)])
        teams.append([lead, *lead.team_members])
    for n in range(14):
        rank(event, f"solo{n}@example.org", rng.sample(visits, rng.choice([2, 3])))
    return event, teams


def draw_and_commit(event, seed: int):
    """Close the choices, preview the draw with this seed and commit exactly it; the plan."""
    event.choices_close_at = datetime.now(UTC) - timedelta(minutes=1)
    db.session.commit()
    plan = plan_allocation(event, seed)
    record_preview(event, plan)
    db.session.commit()
    commit_allocation(event, seed)
    db.session.commit()
    return plan


def team_splits(block, teams) -> int:
    """Teams whose members did not all end alike (one seat each on one visit, or all waiting on one)."""
    def outcome(member):
        if member.id in block.assigned:
            return "seat", block.assigned[member.id]
        return "wait", block.waiting[member.id]
    return sum(1 for team in teams if len({outcome(m) for m in team}) > 1)


def test_no_draw_splits_a_team_and_nobody_drawn_after_it_takes_its_place(contest):
    event, teams = contest
    splits = []
    for seed in SEEDS:
        [block] = plan_allocation(event, seed).blocks
        splits.append(team_splits(block, teams))
        for team in teams:
            ids = {m.id for m in team}
            if ids <= block.assigned.keys():
                continue
            # The team waits together, as one party, on a visit all of them ranked.
            assert {block.waiting[m.id] for m in team} == {block.waiting[team[0].id]}
            assert {block.parties[m.id] for m in team} == {team[0].id}
        report = block.report
        assert report["teams"] == 4 and report["teams_split"] == 0
        assert report["teams_together"] + report["teams_waiting_together"] == 4
    assert splits == [0] * len(SEEDS)


def test_a_committed_draw_seats_teams_together_and_holds_free_seats_for_a_waiting_one(contest, mailbox):
    event, teams = contest
    draw_and_commit(event, 3)
    for team in teams:
        places = [place_of(m, v) for m in team for v in event.visits if place_of(m, v) is not None]
        assert len(places) == len(team), "one place each"
        assert len({(p.visit_id, p.status) for p in places}) == 1, "the team ends alike"
        if places[0].status is SeatStatus.WAITLISTED:
            [standing] = standings([place_of(team[0], places[0].visit)])
            assert len(standing.party) == len(team)
    for visit in event.visits:
        assert taken_seats(visit) <= visit.seats


def test_seats_already_held_are_kept_counted_once_and_never_a_500(make_event, make_visit, organizer_client):
    """Seats given first come, then the event switched to the allocation: the holders keep their seats and
    are not drawn again; the preview says how many were held; the commit seats the rest."""
    event = make_event()
    small = make_visit(event, seats=3, title="Small")
    large = make_visit(event, block=small.block, seats=10, title="Large")
    early = [rank(event, f"early{n}@example.org", [small, large]) for n in range(4)]
    assert [place_of(p, small).status for p in early[:3]] == [SeatStatus.CONFIRMED] * 3
    assert place_of(early[3], large).status is SeatStatus.CONFIRMED and place_of(early[3], small) is None
    event.visit_allocation = VisitAllocationMode.LOTTERY
    db.session.commit()
    late = [rank(event, f"late{n}@example.org", [small, large]) for n in range(6)]
    event.choices_close_at = datetime.now(UTC) - timedelta(minutes=1)
    db.session.commit()

    page = organizer_client.post(f"/admin/events/{event.slug}/allocation/preview", data={"seed": "11"})
    html = page.get_data(as_text=True)
    assert page.status_code == 200
    assert "6 people drawn: 0 got their 1st choice, 6 their 2nd" in html
    assert "4 seats already held, kept as they are (not drawn again)" in html
    response = organizer_client.post(f"/admin/events/{event.slug}/allocation/commit", data={"seed": "11"})
    assert response.status_code == 303
    db.session.expire_all()
    assert [place_of(p, small).status for p in early[:3]] == [SeatStatus.CONFIRMED] * 3
    assert {place_of(p, large).status for p in late} == {SeatStatus.CONFIRMED}
    assert taken_seats(small) == 3 and taken_seats(large) == 7
    # Each person holds one seat in the block: none was written twice.
    assert db.session.scalar(sa.select(sa.func.count()).select_from(VisitSeat)
                             .where(VisitSeat.status == SeatStatus.CONFIRMED)) == 10


@pytest.mark.parametrize("seed", ["abc", "-1", "1" * 13, "4\x002", "٣"])
def test_a_seed_typed_on_the_page_must_be_a_whole_number(organizer_client, make_event, make_visit, seed):
    event = make_event(visit_allocation=VisitAllocationMode.LOTTERY)
    make_visit(event, seats=3)
    response = organizer_client.post(f"/admin/events/{event.slug}/allocation/preview", data={"seed": seed})
    assert response.status_code == 400
    # A NUL byte is refused before any view, as everywhere; the rest by the page's own rule.
    expected = "holds a NUL character" if "\x00" in seed else "A seed is a whole number"
    assert expected in response.get_data(as_text=True)


def test_a_seed_typed_on_the_page_replays_that_draw(organizer_client, make_event, make_visit):
    event = make_event(visit_allocation=VisitAllocationMode.LOTTERY)
    make_visit(event, seats=3)
    page = organizer_client.get(f"/admin/events/{event.slug}/allocation").get_data(as_text=True)
    assert 'id="seed" name="seed"' in page
    for _ in range(2):
        html = organizer_client.post(f"/admin/events/{event.slug}/allocation/preview",
                                     data={"seed": " 8675309 "}).get_data(as_text=True)
        assert "Preview with seed 8675309" in html


@pytest.mark.parametrize("answer", ["keep", "release"])
def test_switching_to_the_allocation_asks_what_to_do_with_seats_already_given(organizer_client, make_event,
                                                                             make_visit, mailbox, answer):
    from test_backoffice_events import event_form

    event = make_event()
    visit = make_visit(event, seats=1, title="Tablets in K-1")
    seated = rank(event, "seated@example.org", [visit])
    waiting = rank(event, "waiting@example.org", [visit])
    data = event_form(event, visit_allocation="lottery")
    asked = organizer_client.post(f"/admin/events/{event.slug}/edit", data=data)
    html = asked.get_data(as_text=True)
    assert asked.status_code == 200 and "already given first come: 1 seat and 1 waiting-list place" in html
    db.session.expire_all()
    assert event.visit_allocation is VisitAllocationMode.FIRST_COME, "nothing changes before the answer"

    url = f"/admin/events/{event.slug}/edit"
    if answer == "release":  # that emails both: the preview names them, and carries the answer to the yes
        preview = organizer_client.post(url, data={**data, "held_places": answer}).get_data(as_text=True)
        assert "<strong>Their place put back into the draw</strong>, 1 person: Ana García." in preview
        assert '<input type="hidden" name="held_places" value="release">' in preview
    saved = save_through_preview(organizer_client, url, {**data, "held_places": answer})
    assert saved.status_code == 302
    db.session.expire_all()
    assert event.visit_allocation is VisitAllocationMode.LOTTERY
    if answer == "keep":
        assert place_of(seated, visit).status is SeatStatus.CONFIRMED
        assert place_of(waiting, visit).status is SeatStatus.WAITLISTED
        assert not any(m["Subject"].startswith("Back into the draw") for m in mailbox.to("seated@example.org"))
    else:
        assert {place_of(p, visit).status for p in (seated, waiting)} == {SeatStatus.CANCELLED}
        [told] = [m for m in mailbox.to("seated@example.org") if m["Subject"].startswith("Back into the draw")]
        assert "went back into the draw" in told.get_body(("plain",)).get_content()
        assert told.get_body(("plain",)).get_content() and "METHOD:CANCEL" in told.as_string()
        # Both are drawn with everyone else now.
        [block] = plan_allocation(event, 5).blocks
        assert set(block.order) == {seated.id, waiting.id}


def test_a_bad_answer_to_the_switch_question_is_refused(organizer_client, make_event, make_visit):
    from test_backoffice_events import event_form

    event = make_event()
    visit = make_visit(event, seats=1)
    rank(event, "seated@example.org", [visit])
    response = organizer_client.post(f"/admin/events/{event.slug}/edit",
                                     data=event_form(event, visit_allocation="lottery", held_places="both"))
    assert response.status_code == 422 and "Not a valid choice" in response.get_data(as_text=True)
    db.session.expire_all()
    assert event.visit_allocation is VisitAllocationMode.FIRST_COME


def test_the_event_page_says_seats_held_for_a_waiting_team_are_not_free_to_book(client, make_event, make_visit):
    event = make_event()
    visit = make_visit(event, seats=3, title="Tablets in K-1")
    rank(event, "solo@example.org", [visit])
    rank(event, "lead@example.org", [visit], ["c1@example.org", "c2@example.org"])
    page = client.get(f"/events/{event.slug}").get_data(as_text=True)
    assert "<strong>Waiting list only</strong>: 2 free, held for a team at the head of its waiting list; 3 waiting" \
        in page
    form = client.get(f"/events/{event.slug}/register").get_data(as_text=True)
    assert "Tablets in K-1" in form and "waiting list only" in form


def test_a_team_larger_than_any_visit_it_ranked_books_one_by_one(make_event, make_visit):
    event = make_event()
    visit = make_visit(event, seats=2)
    lead = rank(event, "lead@example.org", [visit], ["c1@example.org", "c2@example.org"])
    statuses = [place_of(m, visit).status for m in [lead, *lead.team_members]]
    assert statuses.count(SeatStatus.CONFIRMED) == 2 and statuses.count(SeatStatus.WAITLISTED) == 1
    assert {place_of(m, visit).party_id for m in [lead, *lead.team_members]} == {None}


def test_a_waiting_team_that_loses_a_member_is_seated_when_the_rest_fit(make_event, make_visit):
    from eventhub.registration.services import cancel_registration

    event = make_event()
    visit = make_visit(event, seats=3)
    rank(event, "solo@example.org", [visit])
    lead = rank(event, "lead@example.org", [visit], ["c1@example.org", "c2@example.org"])
    members = [lead, *lead.team_members]
    assert {place_of(m, visit).status for m in members} == {SeatStatus.WAITLISTED}  # 2 held for 3
    cancel_registration(members[2])
    db.session.commit()
    assert [place_of(m, visit).status for m in members[:2]] == [SeatStatus.CONFIRMED] * 2


def test_a_visit_made_smaller_than_a_waiting_team_lets_its_members_wait_one_by_one(make_event, make_visit):
    from eventhub.visits.services import change_seats

    event = make_event()
    visit = make_visit(event, seats=4)
    rank(event, "solo@example.org", [visit])
    lead = rank(event, "lead@example.org", [visit], ["c1@example.org", "c2@example.org", "c3@example.org"])
    members = [lead, *lead.team_members]
    change_seats(visit, seats_override=3)
    db.session.commit()
    # The team can never ride whole now: the 2 free seats go to its first members, in their turn.
    assert [place_of(m, visit).status for m in members].count(SeatStatus.CONFIRMED) == 2
    assert {place_of(m, visit).party_id for m in members} == {None}


def test_after_a_release_the_waiting_lists_follow_the_draw(organizer_client, make_event, make_visit):
    from test_backoffice_events import event_form

    event = make_event()
    visit = make_visit(event, seats=1, title="Popular")
    early = [rank(event, f"early{n}@example.org", [visit]) for n in range(4)]  # 1 seat, 3 waiting
    assert save_through_preview(organizer_client, f"/admin/events/{event.slug}/edit",
                                event_form(event, visit_allocation="lottery", held_places="release")).status_code == 302
    late = [rank(event, f"late{n}@example.org", [visit]) for n in range(3)]
    db.session.expire_all()
    [block] = draw_and_commit(event, 21).blocks
    waiting = [r for r in block.order if r not in block.assigned]
    queue = [p.registration_id for p in db.session.scalars(
        sa.select(VisitSeat).where(VisitSeat.visit_id == visit.id, VisitSeat.status == SeatStatus.WAITLISTED)
        .order_by(VisitSeat.waitlisted_at, VisitSeat.id))]
    assert queue == waiting and len(queue) == len(early) + len(late) - 1
