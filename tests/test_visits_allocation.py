"""The fair allocation over ranked choices: reproducible, team-aware, reported, committed with care."""
from datetime import UTC, datetime, timedelta

import pytest
import sqlalchemy as sa

from eventhub.extensions import db
from eventhub.models import SeatStatus, VisitAllocation, VisitAllocationMode, VisitSeat
from eventhub.registration.services import VisitRequest, register
from eventhub.visits.allocation import (
    commit_allocation,
    plan_allocation,
    record_preview,
)
from eventhub.visits.queries import taken_seats
from eventhub.visits.services import BlockChoices, VisitError

from conftest import attendee, place_of


@pytest.fixture
def lottery(make_event, make_visit):
    """A lottery event with three visits in one block: 2, 2 and 10 seats."""
    event = make_event(visit_allocation=VisitAllocationMode.LOTTERY)
    small = make_visit(event, seats=2, title="Small")
    medium = make_visit(event, block=small.block, seats=2, title="Medium")
    large = make_visit(event, block=small.block, seats=10, title="Large")
    return event, small, medium, large


def preview(event, seed):
    """What the organizer sees (and what a commit is checked against)."""
    plan = plan_allocation(event, seed)
    record_preview(event, plan)
    db.session.commit()
    return plan


def rank(event, email, *visits, colleagues=()):
    """Register with ranked choices in the visits' block (none given: register without choices)."""
    choices = [BlockChoices(visits[0].block_id, [v.id for v in visits])] if visits else []
    request = VisitRequest(choices=choices, norms_acknowledged=True)
    outcome = register(event, attendee(email), [attendee(c) for c in colleagues], visits=request)
    db.session.commit()
    return outcome.lead


def test_in_lottery_mode_registering_gives_no_seat_yet(lottery):
    event, small, medium, large = lottery
    person = rank(event, "a@example.org", small, medium)
    assert db.session.scalar(sa.select(sa.func.count(VisitSeat.id))) == 0
    assert person is not None


def test_the_same_seed_gives_the_same_allocation_and_the_report_adds_up(lottery):
    event, small, medium, large = lottery
    for n in range(12):
        rank(event, f"p{n}@example.org", small, medium, large)
    first = plan_allocation(event, seed=42)
    again = plan_allocation(event, seed=42)
    assert first.blocks[0].assigned == again.blocks[0].assigned
    assert first.blocks[0].order == again.blocks[0].order
    orders = {tuple(plan_allocation(event, seed=s).blocks[0].order) for s in range(8)}
    assert len(orders) > 1, "different seeds should draw different orders"
    report = first.blocks[0].report
    assert (report["first"], report["second"], report["third"], report["none"]) == (2, 2, 8, 0)
    assert report["people"] == 12
    assert db.session.scalar(sa.select(sa.func.count(VisitSeat.id))) == 0  # a preview writes nothing


def test_a_team_is_kept_together_where_their_rankings_allow(lottery, make_event):
    event, small, medium, large = lottery
    lead = rank(event, "lead@example.org", medium, large, colleagues=["c1@example.org", "c2@example.org"])
    for n in range(5):
        rank(event, f"solo{n}@example.org", medium, large)
    for seed in range(10):
        result = plan_allocation(event, seed=seed).blocks[0]
        team = [r.id for r in [lead, *lead.team_members]]
        assert len({result.assigned[m] for m in team}) == 1, f"team split with seed {seed}"
        assert result.report["teams_together"] == 1
        # Medium has 2 seats: a team of 3 cannot fit, so it goes to Large together.
        assert result.assigned[lead.id] == large.id


def test_nobody_gets_more_seats_than_a_visit_has_and_the_rest_wait_on_their_first_choice(lottery):
    event, small, medium, large = lottery
    for n in range(20):
        rank(event, f"p{n}@example.org", small, medium)
    result = plan_allocation(event, seed=7).blocks[0]
    assert sum(1 for v in result.assigned.values() if v == small.id) == 2
    assert sum(1 for v in result.assigned.values() if v == medium.id) == 2
    assert set(result.waiting.values()) == {small.id} and len(result.waiting) == 16


def test_committing_writes_the_previewed_allocation_and_emails_everyone(lottery, mailbox):
    event, small, medium, large = lottery
    people = [rank(event, f"p{n}@example.org", small, medium) for n in range(6)]
    shown = preview(event, 99).blocks[0]
    commit_allocation(event, seed=99)
    db.session.commit()
    for person in people:
        place = place_of(person, small) or place_of(person, medium)
        if person.id in shown.assigned:
            assert place.status is SeatStatus.CONFIRMED and place.visit_id == shown.assigned[person.id]
        else:
            assert place.status is SeatStatus.WAITLISTED
    assert taken_seats(small) == 2 and taken_seats(medium) == 2
    [allocation] = db.session.scalars(sa.select(VisitAllocation)).all()
    assert allocation.seed == 99 and allocation.committed_at is not None and allocation.report["none"] == 2
    assert all(mailbox.to(f"p{n}@example.org")[-1]["Subject"].startswith("Your school visits") for n in range(6))
    # The waiting list follows the order the allocation served people in.
    waiting = [p for p in shown.order if p not in shown.assigned]
    queue = db.session.scalars(sa.select(VisitSeat.registration_id).where(VisitSeat.status == SeatStatus.WAITLISTED)
                               .order_by(VisitSeat.waitlisted_at, VisitSeat.id)).all()
    assert queue == waiting


def test_after_the_allocation_newcomers_are_served_first_come(lottery):
    event, small, medium, large = lottery
    rank(event, "a@example.org", small)
    rank(event, "b@example.org", small)
    preview(event, 1)
    commit_allocation(event, seed=1)
    db.session.commit()
    late = rank(event, "late@example.org", small, large)  # small is full now
    assert place_of(late, large).status is SeatStatus.CONFIRMED
    with pytest.raises(VisitError, match="already allocated"):
        commit_allocation(event, seed=2)


def test_no_commit_while_choices_are_open(lottery):
    event, small, medium, large = lottery
    event.choices_close_at = datetime.now(UTC) + timedelta(days=1)
    db.session.commit()
    rank(event, "a@example.org", small)
    with pytest.raises(VisitError, match="still open"):
        commit_allocation(event, seed=1)


def test_a_commit_that_would_differ_from_its_preview_is_refused(lottery):
    event, small, medium, large = lottery
    for n in range(4):
        rank(event, f"p{n}@example.org", small, medium)
    preview(event, 5)
    with pytest.raises(VisitError, match="Preview the allocation with seed 6"):
        commit_allocation(event, seed=6)
    rank(event, "late@example.org", small)  # the inputs change after the preview
    with pytest.raises(VisitError, match="changed since that preview"):
        commit_allocation(event, seed=5)
    db.session.rollback()
    assert db.session.scalar(sa.select(sa.func.count(VisitSeat.id))) == 0
    preview(event, 5)
    commit_allocation(event, seed=5)
    db.session.commit()
    assert db.session.scalar(sa.select(sa.func.count(VisitSeat.id))) == 5


def test_once_choices_close_rankings_cannot_change_until_the_allocation(lottery, client, mailbox):
    from eventhub.visits.services import change_choices

    event, small, medium, large = lottery
    person = rank(event, "a@example.org", small)
    event.choices_close_at = datetime.now(UTC) - timedelta(minutes=1)
    db.session.commit()
    with pytest.raises(VisitError, match="closed"):
        change_choices(person, [BlockChoices(small.block_id, [medium.id])])
    db.session.rollback()
    assert f"visit_{small.block_id}_1" not in client.get(f"/events/{event.slug}/register").get_data(as_text=True)
    late = rank(event, "late@example.org")  # registering still works, without choices
    assert late is not None
    preview(event, 3)
    commit_allocation(event, seed=3)
    db.session.commit()
    change_choices(person, [BlockChoices(small.block_id, [large.id])])  # after the allocation: first come
    db.session.commit()
    assert place_of(person, large).status is SeatStatus.CONFIRMED


def test_the_pages_say_when_choices_close_then_what_each_person_got(lottery, client, mailbox):
    from zoneinfo import ZoneInfo

    from eventhub.registration.links import issue_private_link

    event, small, medium, large = lottery
    closes = datetime(2031, 3, 20, 17, 0, tzinfo=ZoneInfo(event.timezone))  # 5 PM in the event's zone
    event.choices_close_at = closes.astimezone(UTC)
    db.session.commit()
    person = rank(event, "a@example.org", small)
    link = f"/r/{issue_private_link(person)}"
    db.session.commit()
    when = f"Thursday, March 20, 2031 at 5:00 PM {closes.tzname()}"
    pages = {"event": f"/events/{event.slug}", "form": f"/events/{event.slug}/register", "private": link}
    for name, url in pages.items():
        assert f"Visit choices close on <strong>{when}</strong>" in client.get(url).get_data(as_text=True), name
    # Choices close: the form offers no rankings, and every page says why.
    event.choices_close_at = datetime.now(UTC) - timedelta(minutes=1)
    db.session.commit()
    for name, url in pages.items():
        page = client.get(url).get_data(as_text=True)
        assert "Visit choices closed on" in page and "Seats are being allocated" in page, name
    assert "We will email you your visits once seats are allocated" in client.get(link).get_data(as_text=True)
    # The allocation: the pages say it happened, and the private page what this person got.
    preview(event, 7)
    commit_allocation(event, seed=7)
    db.session.commit()
    for name, url in pages.items():
        assert "Visit seats were allocated on" in client.get(url).get_data(as_text=True), name
    private = client.get(link).get_data(as_text=True)
    assert "Small" in private and "You have a seat." in private
