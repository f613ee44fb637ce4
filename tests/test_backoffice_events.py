"""Setting events up in the back office: create, edit (and who is told), publish, cancel, clone, the agenda
with its room clashes, visits, and the host rules of schools."""
import re
from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
import sqlalchemy as sa

from eventhub.accounts.services import create_user
from eventhub.extensions import db
from eventhub.models import (
    AgendaItem,
    AuditEntry,
    Event,
    EventStatus,
    OutboxMessage,
    Registration,
    School,
    SeatStatus,
    UserRole,
    Visit,
    VisitSeat,
    VisitStatus,
)

from conftest import STAFF_PASSWORD, previewed

PASSWORD = STAFF_PASSWORD
CHICAGO = ZoneInfo("America/Chicago")



def local(moment: datetime) -> datetime:
    return moment.astimezone(CHICAGO).replace(tzinfo=None)


def outbox(kind: str | None = None) -> list[OutboxMessage]:
    query = sa.select(OutboxMessage).order_by(OutboxMessage.id)
    if kind:
        query = query.where(OutboxMessage.kind == kind)
    return list(db.session.scalars(query))


def audit(action: str, subject_type: str) -> list[AuditEntry]:
    return list(db.session.scalars(sa.select(AuditEntry).where(AuditEntry.action == action,
                                                               AuditEntry.subject_type == subject_type)))


def event_form(event: Event | None = None, **changes) -> dict:
    values = dict(title="Fall Convening", slug="fall-2027", kind="convening", summary="Two days of learning.",
                  venue_name="Civic Center", venue_address="1 Lake St", timezone="America/Chicago",
                  starts_on="2027-10-12", ends_on="2027-10-14", capacity="", registration_opens_at="",
                  registration_closes_at="", visit_allocation="first_come", choices_close_at="",
                  followup_days="30, 60, 90", followup_before_next_days="14")
    if event is not None:
        values.update(version=str(event.version), title=event.title, slug=event.slug,
                      starts_on=event.starts_on.isoformat(),
                      ends_on=event.ends_on.isoformat(), venue_name=event.venue_name,
                      venue_address=event.venue_address, hosts=[d.id for d in event.hosts],
                      followup_days=", ".join(str(n) for n in event.followup_days),
                      followup_before_next_days="" if event.followup_before_next_days is None
                      else str(event.followup_before_next_days))
    values.update(changes)
    return values


# --- events ------------------------------------------------------------------------------------------


def test_an_organizer_creates_a_draft_event(organizer_client, make_district):
    host = make_district(name="Lakeside Unified")
    response = organizer_client.post("/admin/events/new", data=event_form(hosts=[host.id],
                                                                          registration_opens_at="2027-08-01T09:00"))
    assert response.status_code == 302
    event = db.session.scalar(sa.select(Event).where(Event.slug == "fall-2027"))
    assert event.status is EventStatus.DRAFT and [d.name for d in event.hosts] == ["Lakeside Unified"]
    # The window is read in the host's zone: 9:00 in Chicago in August is 14:00 UTC.
    assert event.registration_opens_at.hour == 14
    assert audit("created", "event")[0].user_email == "org@example.org"
    assert organizer_client.get("/events/fall-2027").status_code == 404  # a draft is not public


@pytest.mark.parametrize("changes, message", [
    ({"ends_on": "2027-10-01"}, "The last day cannot be before the first day."),
    ({"timezone": "Mars/Olympus"}, "Choose a time zone from the list."),
    ({"slug": "Fall 2027!"}, "Use lower-case letters"),
    ({"starts_on": "tomorrow"}, "Not a valid date value"),
    ({"capacity": "-3"}, "Enter a whole number, 0 or more."),
])
def test_bad_event_answers_are_refused_with_a_message(organizer_client, changes, message):
    response = organizer_client.post("/admin/events/new", data=event_form(**changes))
    assert response.status_code == 422
    assert message in response.get_data(as_text=True)
    assert db.session.scalar(sa.select(sa.func.count()).select_from(Event)) == 0


def test_an_event_takes_its_follow_up_check_in_days(organizer_client):
    response = organizer_client.post("/admin/events/new", data=event_form(followup_days="90, 30 60",
                                                                          followup_before_next_days=""))
    assert response.status_code == 302
    event = db.session.scalar(sa.select(Event).where(Event.slug == "fall-2027"))
    assert (event.followup_days, event.followup_before_next_days) == ([30, 60, 90], None)
    page = organizer_client.get(f"/admin/events/{event.slug}").get_data(as_text=True)
    assert "check-ins 30, 60, 90 days after the last day; no reminder before the next convening" in page


def test_a_new_event_form_offers_the_usual_check_ins(organizer_client):
    page = organizer_client.get("/admin/events/new").get_data(as_text=True)
    assert 'name="followup_days" type="text" value="30, 60, 90"' in page
    assert re.search(r'name="followup_before_next_days"[^>]*value="14"', page)


@pytest.mark.parametrize("changes, message", [
    ({"followup_days": "30, 30, 60"}, "30 is there twice: give each day once."),
    ({"followup_days": "0, 30"}, "0 is out of range: each check-in is 1 to 730 days after the event."),
    ({"followup_days": "731"}, "731 is out of range"),
    ({"followup_days": "30, sixty"}, "“sixty” is not a whole number of days: write them like 30, 60, 90."),
    ({"followup_days": "1, 2, 3, 4, 5, 6, 7"}, "At most 6 check-ins: you gave 7."),
    ({"followup_before_next_days": "121"}, "Enter a whole number of days from 0 to 120"),
    ({"followup_before_next_days": "-1"}, "Enter a whole number of days from 0 to 120"),
    ({"followup_before_next_days": "two weeks"}, "Not a valid integer value."),
])
def test_bad_check_in_days_are_refused_with_a_message(organizer_client, changes, message):
    response = organizer_client.post("/admin/events/new", data=event_form(**changes))
    assert response.status_code == 422
    assert message in response.get_data(as_text=True)
    assert db.session.scalar(sa.select(sa.func.count()).select_from(Event)) == 0


def test_editing_shows_and_changes_the_check_in_days(organizer_client, make_event):
    event = make_event(followup_days=[45, 120], followup_before_next_days=7)
    page = organizer_client.get(f"/admin/events/{event.slug}/edit").get_data(as_text=True)
    assert 'value="45, 120"' in page and re.search(r'name="followup_before_next_days"[^>]*value="7"', page)
    response = organizer_client.post(f"/admin/events/{event.slug}/edit",
                                     data=event_form(event, followup_days="", followup_before_next_days="0"))
    assert response.status_code == 302
    db.session.expire_all()
    saved = db.session.get(Event, event.id)
    assert (saved.followup_days, saved.followup_before_next_days) == ([], 0)
    changes = audit("edited", "event")[0].changes
    assert changes["followup_days"] == ["45, 120", ""] and changes["followup_before_next_days"] == ["7", "0"]
    overview = organizer_client.get(f"/admin/events/{event.slug}").get_data(as_text=True)
    assert "no check-ins; a reminder 0 days before the next convening" in overview


def test_a_taken_address_is_refused(organizer_client, make_event):
    make_event(slug="fall-2027")
    response = organizer_client.post("/admin/events/new", data=event_form())
    assert response.status_code == 422 and "Another event already uses this address." in response.get_data(as_text=True)


def test_moving_the_event_says_how_many_will_be_notified_before_saving(organizer_client, make_event, make_registration):
    event = make_event(title="Spring Convening")
    for n in range(3):
        make_registration(event, f"p{n}@example.org")
    before, old_start = len(outbox()), event.starts_on
    new_start = event.starts_on + timedelta(days=1)
    data = event_form(event, starts_on=new_start.isoformat(), ends_on=(event.ends_on + timedelta(days=1)).isoformat())
    first = organizer_client.post(f"/admin/events/{event.slug}/edit", data=data)
    assert first.status_code == 200
    html = first.get_data(as_text=True)
    assert "Saving sends 3 emails." in html
    # What changes, in words, and who hears of it, by name.
    assert (f"Starts on: <del>{old_start:%a, %b} {old_start.day}, {old_start.year}</del> → "
            f"<ins>{new_start:%a, %b} {new_start.day}, {new_start.year}</ins>") in html
    assert "<strong>An updated invitation to the event</strong>, 3 people: Ana García, Ana García, Ana García." \
        in html  # three people of one name are three people
    assert "Save and send 3 emails" in html
    assert len(outbox()) == before  # the preview queued nothing
    db.session.expire_all()
    assert db.session.get(Event, event.id).starts_on != new_start  # nothing saved yet
    second = organizer_client.post(f"/admin/events/{event.slug}/edit", data={**data, "confirm": previewed(html)})
    assert second.status_code == 302
    db.session.expire_all()
    assert db.session.get(Event, event.id).starts_on == new_start
    assert len(outbox("registration_updated")) == 3 and len(outbox()) == before + 3
    assert audit("edited", "event")[0].changes["starts_on"] == [old_start.isoformat(), new_start.isoformat()]


def test_a_change_that_moves_nobody_saves_at_once(organizer_client, make_event, make_registration):
    event = make_event()
    make_registration(event)
    response = organizer_client.post(f"/admin/events/{event.slug}/edit", data=event_form(event, summary="New words"))
    assert response.status_code == 302
    db.session.expire_all()
    assert db.session.get(Event, event.id).summary == "New words"
    assert outbox("registration_updated") == []


def test_new_dates_may_not_strand_the_agenda(organizer_client, make_event, make_agenda_item):
    event = make_event()
    make_agenda_item(event, event.ends_on, "09:00", "10:00", title="Closing plenary")
    data = event_form(event, ends_on=event.starts_on.isoformat())
    response = organizer_client.post(f"/admin/events/{event.slug}/edit", data=data)
    assert response.status_code == 422
    assert "would fall outside these days" in response.get_data(as_text=True)


def test_publish_then_cancel_with_the_count_first(organizer_client, make_event, make_registration):
    event = make_event(status=EventStatus.DRAFT)
    assert organizer_client.post(f"/admin/events/{event.slug}/publish").status_code == 302
    db.session.expire_all()
    assert db.session.get(Event, event.id).status is EventStatus.PUBLISHED
    assert organizer_client.post(f"/admin/events/{event.slug}/publish").status_code == 409
    make_registration(event, "a@example.org")
    make_registration(event, "b@example.org")
    page = organizer_client.get(f"/admin/events/{event.slug}/cancel")
    assert "2 attendees will be notified" in page.get_data(as_text=True)
    assert organizer_client.post(f"/admin/events/{event.slug}/cancel", data={}).status_code == 400  # not confirmed
    assert organizer_client.post(f"/admin/events/{event.slug}/cancel", data={"confirm": "yes"}).status_code == 302
    db.session.expire_all()
    assert db.session.get(Event, event.id).status is EventStatus.CANCELLED
    assert len(outbox("event_cancelled")) == 2
    assert [e.action for e in db.session.scalars(sa.select(AuditEntry).order_by(AuditEntry.id))] == \
        ["published", "cancelled"]


# --- cloning -----------------------------------------------------------------------------------------


def test_clone_shifts_dates_keeps_agenda_visits_and_settings_not_registrations(
        organizer_client, make_event, make_agenda_item, make_visit, make_registration):
    # Spring, in daylight saving time; the copy lands in the autumn after the clocks went back.
    event = make_event(title="Spring 2027", slug="spring-2027", starts_on=date(2027, 4, 13), ends_on=date(2027, 4, 15),
                       capacity=400, registration_opens_at=datetime(2026, 11, 2, 15, 0, tzinfo=ZoneInfo("UTC")),
                       registration_closes_at=datetime(2027, 4, 1, 15, 0, tzinfo=ZoneInfo("UTC")))
    make_agenda_item(event, date(2027, 4, 13), "08:30", "09:30", title="Welcome", room="Ballroom")
    visit = make_visit(event, title="Tablets in K-1", day=date(2027, 4, 14), start="09:00", end="12:00",
                       buses=2, seats=None, lunch_provided=True)
    gone = make_visit(event, title="Called off", day=date(2027, 4, 14))
    gone.status = VisitStatus.CANCELLED
    make_registration(event, "ana@example.org")
    db.session.commit()

    response = organizer_client.post(f"/admin/events/{event.slug}/clone",
                              data={"title": "Fall 2027", "slug": "fall-2027", "starts_on": "2027-11-09"})
    assert response.status_code == 302
    copy = db.session.scalar(sa.select(Event).where(Event.slug == "fall-2027"))
    assert (copy.starts_on, copy.ends_on, copy.status) == (date(2027, 11, 9), date(2027, 11, 11), EventStatus.DRAFT)
    assert copy.capacity == 400 and [d.id for d in copy.hosts] == [d.id for d in event.hosts]
    assert local(copy.registration_opens_at) == local(event.registration_opens_at) + timedelta(days=210)
    assert local(copy.registration_closes_at) == local(event.registration_closes_at) + timedelta(days=210)
    items = {i.title: i for i in copy.agenda_items}
    assert set(items) == {"Welcome", visit.block.title, gone.block.title}  # the whole agenda
    # Same wall-clock time although the UTC offset changed.
    assert local(items["Welcome"].starts_at) == datetime(2027, 11, 9, 8, 30)
    [copied] = copy.visits
    assert copied.title == "Tablets in K-1" and copied.buses == 2 and copied.lunch_provided and copied.seats == 96
    assert local(copied.starts_at) == datetime(2027, 11, 10, 9, 0)
    assert copied.block_id == items[visit.block.title].id  # the block of the copy, not of the original
    assert db.session.scalar(sa.select(sa.func.count()).where(Registration.event_id == copy.id)) == 0
    assert audit("cloned", "event")[0].note == "copied from spring-2027"


def test_clone_keeps_the_check_in_days(organizer_client, make_event):
    event = make_event(slug="spring-2027", followup_days=[20, 40], followup_before_next_days=sa.null(),
                       member_addresses_only=True)
    response = organizer_client.post(f"/admin/events/{event.slug}/clone",
                                     data={"title": "Fall 2027", "slug": "fall-2027", "starts_on": "2027-11-09"})
    assert response.status_code == 302
    copy = db.session.scalar(sa.select(Event).where(Event.slug == "fall-2027"))
    assert (copy.followup_days, copy.followup_before_next_days) == ([20, 40], None)
    assert copy.member_addresses_only, "next season stays open to member districts only"


def test_clone_refuses_a_taken_address(organizer_client, make_event):
    event = make_event(slug="spring-2027")
    response = organizer_client.post(f"/admin/events/{event.slug}/clone",
                              data={"title": "Again", "slug": "spring-2027", "starts_on": "2027-11-09"})
    assert response.status_code == 422 and "already uses the address" in response.get_data(as_text=True)


# --- agenda ------------------------------------------------------------------------------------------


def agenda_form(event: Event, **changes) -> dict:
    values = dict(title="Breakout A", kind="breakout", day=event.starts_on.isoformat(), starts="10:00",
                  ends="11:00", room="Room 101", topic="", description="")
    values.update(changes)
    return values


def test_agenda_add_move_and_remove(organizer_client, make_event):
    event = make_event()
    assert organizer_client.post(f"/admin/events/{event.slug}/agenda", data=agenda_form(event)).status_code == 302
    [item] = db.session.scalars(sa.select(AgendaItem).where(AgendaItem.event_id == event.id))
    assert local(item.starts_at).hour == 10
    second_day = (event.starts_on + timedelta(days=1)).isoformat()
    response = organizer_client.post(f"/admin/events/{event.slug}/agenda/{item.id}",
                              data=agenda_form(event, day=second_day, starts="14:00", ends="15:30"))
    assert response.status_code == 302
    assert local(item.starts_at) == datetime.combine(event.starts_on + timedelta(days=1), datetime.min.time()) \
        + timedelta(hours=14)
    assert audit("edited", "agenda_item")[0].changes["starts_at"][1] == item.starts_at.isoformat()
    item_id = item.id
    assert organizer_client.post(f"/admin/events/{event.slug}/agenda/{item_id}/delete",
                                 data={"confirm": "yes"}).status_code == 302
    assert db.session.get(AgendaItem, item_id) is None
    ends_first = agenda_form(event, ends="09:00")
    assert organizer_client.post(f"/admin/events/{event.slug}/agenda", data=ends_first).status_code == 422
    assert organizer_client.post(f"/admin/events/{event.slug}/agenda",
                          data=agenda_form(event, day="1999-01-01")).status_code == 422


def test_two_items_in_one_room_at_once_are_a_warning(organizer_client, make_event):
    event = make_event()
    organizer_client.post(f"/admin/events/{event.slug}/agenda", data=agenda_form(event, title="Coaching cycles"))
    response = organizer_client.post(f"/admin/events/{event.slug}/agenda", follow_redirects=True,
                              data=agenda_form(event, title="Math talks", room=" room  101", starts="10:30",
                                               ends="11:30"))
    html = response.get_data(as_text=True)
    assert "“Math talks” and “Coaching cycles” are both in" in html  # the flash after saving
    assert "1 room clash:" in html  # the agenda's own list
    # Back to back is no clash.
    item = db.session.scalar(sa.select(AgendaItem).where(AgendaItem.title == "Math talks"))
    organizer_client.post(f"/admin/events/{event.slug}/agenda/{item.id}",
                   data=agenda_form(event, title="Math talks", starts="11:00", ends="12:00"))
    assert "room clash" not in organizer_client.get(f"/admin/events/{event.slug}/agenda").get_data(as_text=True)


def test_removing_an_agenda_item_asks_first(organizer_client, make_event):
    event = make_event()
    organizer_client.post(f"/admin/events/{event.slug}/agenda", data=agenda_form(event, title="Coaching cycles"))
    item = db.session.scalar(sa.select(AgendaItem).where(AgendaItem.title == "Coaching cycles"))
    item_id = item.id
    url = f"/admin/events/{event.slug}/agenda/{item_id}/delete"
    # The agenda's Remove is a link to the question, not a button that removes.
    agenda_page = organizer_client.get(f"/admin/events/{event.slug}/agenda").get_data(as_text=True)
    assert f'href="{url}"' in agenda_page and f'action="{url}"' not in agenda_page
    question = organizer_client.get(url)
    assert question.status_code == 200
    html = question.get_data(as_text=True)
    assert "Remove “Coaching cycles” from the agenda?" in html and "10:00" in html
    assert 'name="confirm" value="yes"' in html
    # A post that did not answer yes removes nothing.
    assert organizer_client.post(url).status_code == 422
    assert db.session.get(AgendaItem, item_id) is not None
    assert organizer_client.post(url, data={"confirm": "yes"}).status_code == 302
    assert db.session.get(AgendaItem, item_id) is None


def test_a_visit_block_with_visits_cannot_be_removed(organizer_client, make_event, make_visit):
    event = make_event()
    visit = make_visit(event)
    url = f"/admin/events/{event.slug}/agenda/{visit.block_id}/delete"
    question = organizer_client.get(url).get_data(as_text=True)
    assert "1 visit is in this block" in question and 'name="confirm"' not in question
    response = organizer_client.post(url, data={"confirm": "yes"})
    assert response.status_code == 409
    assert db.session.get(AgendaItem, visit.block_id) is not None


# --- visits ------------------------------------------------------------------------------------------


def visit_form(event: Event, visit: Visit | None = None, **changes) -> dict:
    values = dict(school_id=event.hosts[0].schools[0].id, title="Tablets in K-1", focus="Station rotation",
                  topics="blended learning, literacy", block_id="0", day=event.starts_on.isoformat(),
                  starts="09:00", ends="11:30", bus_departs="08:15", meeting_point="Hotel lobby",
                  transport="network_bus", host_contact_name="", host_contact_email="", host_contact_phone="",
                  seats_override="", buses="1", room_limit="30", observation_groups="", group_size="")
    if visit is not None:
        values.update(version=str(visit.version), school_id=visit.school_id, title=visit.title,
                      block_id=str(visit.block_id or 0),
                      starts=f"{local(visit.starts_at):%H:%M}", ends=f"{local(visit.ends_at):%H:%M}",
                      seats_override=str(visit.seats_override or ""), buses="", room_limit="", bus_departs="")
    values.update(changes)
    return values


def test_a_new_visit_works_out_its_seats(organizer_client, make_event):
    event = make_event()
    response = organizer_client.post(f"/admin/events/{event.slug}/visits/new", data=visit_form(event))
    assert response.status_code == 302
    visit = db.session.scalar(sa.select(Visit).where(Visit.event_id == event.id))
    assert visit.seats == 30 and visit.topics == ["blended learning", "literacy"]
    assert local(visit.bus_departs_at).hour == 8
    assert "30 of" not in organizer_client.get(f"/admin/events/{event.slug}/visits").get_data(as_text=True)
    visits_page = organizer_client.get(f"/admin/events/{event.slug}/visits").get_data(as_text=True)
    assert "the school&#39;s room limit" in visits_page


def test_moving_a_visit_tells_its_seated_attendees_after_showing_the_count(organizer_client, make_event, make_visit,
                                                                           book):
    event = make_event()
    visit = make_visit(event, seats=2)
    for n in range(3):  # two seats, one waiting
        book(event, f"p{n}@example.org", visit)
    invites_before = len(outbox("visit_invite"))
    data = visit_form(event, visit, starts="10:00", ends="12:30")
    first = organizer_client.post(f"/admin/events/{event.slug}/visits/{visit.id}", data=data)
    html = first.get_data(as_text=True)
    assert first.status_code == 200 and "Saving sends 2 emails." in html
    assert "<strong>An updated invitation to the visit</strong>, 2 people:" in html
    starts = visit.starts_at.astimezone(CHICAGO)
    day = f"{starts:%a, %b} {starts.day}, {starts.year}"
    assert (f"Starts: {day}, 9:00 AM {starts.tzname()} → {day}, 10:00 AM {starts.tzname()}"
            in re.sub(r"<[^>]+>", "", html))  # the times in words, in the host's zone
    db.session.expire_all()
    assert local(db.session.get(Visit, visit.id).starts_at).hour == 9
    second = organizer_client.post(f"/admin/events/{event.slug}/visits/{visit.id}",
                                   data={**data, "confirm": previewed(html)})
    assert second.status_code == 302
    db.session.expire_all()
    assert local(db.session.get(Visit, visit.id).starts_at).hour == 10
    assert len(outbox("visit_invite")) == invites_before + 2
    assert "2 attendees notified" in audit("edited", "visit")[0].note


def test_more_seats_name_who_the_waiting_list_seats_before_saving(organizer_client, make_event, make_visit, book):
    event = make_event()
    visit = make_visit(event, seats=1)
    book(event, "a@example.org", visit)
    book(event, "b@example.org", visit, legal_first_name="Ben", legal_last_name="Okafor")
    book(event, "c@example.org", visit, legal_first_name="Chen", legal_last_name="Li")
    url = f"/admin/events/{event.slug}/visits/{visit.id}"
    data = visit_form(event, visit, seats_override="2")
    invites = len(outbox("visit_invite"))
    preview = organizer_client.post(url, data=data)
    html = preview.get_data(as_text=True)
    assert preview.status_code == 200 and "Saving sends 1 email." in html
    assert "<strong>A seat from the visit&#39;s waiting list</strong>, 1 person: Ben Okafor." in html
    assert "Seats override: <del>1</del> → <ins>2</ins>" in html
    db.session.expire_all()
    statuses = db.session.scalars(sa.select(VisitSeat.status).where(VisitSeat.visit_id == visit.id)).all()
    assert sorted(statuses) == [SeatStatus.CONFIRMED, SeatStatus.WAITLISTED, SeatStatus.WAITLISTED]  # not yet
    assert len(outbox("visit_invite")) == invites  # the preview queued nothing
    assert organizer_client.post(url, data={**data, "confirm": previewed(html)}).status_code == 302
    statuses = db.session.scalars(sa.select(VisitSeat.status).where(VisitSeat.visit_id == visit.id)).all()
    assert sorted(statuses) == [SeatStatus.CONFIRMED, SeatStatus.CONFIRMED, SeatStatus.WAITLISTED]
    assert len(outbox("visit_invite")) == invites + 1


def test_a_bigger_event_names_who_its_waiting_list_seats_before_saving(organizer_client, make_event,
                                                                       make_registration):
    event = make_event(capacity=1)
    make_registration(event, "a@example.org")
    make_registration(event, "b@example.org", legal_first_name="Ben", legal_last_name="Okafor")
    url = f"/admin/events/{event.slug}/edit"
    data = event_form(event, capacity="2")
    preview = organizer_client.post(url, data=data)
    html = preview.get_data(as_text=True)
    assert preview.status_code == 200
    assert "<strong>A place from the event&#39;s waiting list</strong>, 1 person: Ben Okafor." in html
    assert "Capacity: <del>1</del> → <ins>2</ins>" in html
    db.session.expire_all()
    assert db.session.get(Event, event.id).capacity == 1 and outbox("registration_promoted") == []
    assert organizer_client.post(url, data={**data, "confirm": previewed(html)}).status_code == 302
    db.session.expire_all()
    assert db.session.get(Event, event.id).capacity == 2 and len(outbox("registration_promoted")) == 1


def test_calling_off_a_visit_counts_the_messages_it_queues_then_sends_them(organizer_client, make_event, make_visit,
                                                                         book, mailbox):
    event = make_event()
    visit = make_visit(event, seats=1)
    book(event, "a@example.org", visit)
    book(event, "b@example.org", visit)  # waits for the one seat
    page = organizer_client.get(f"/admin/events/{event.slug}/visits/{visit.id}/cancel").get_data(as_text=True)
    assert "2 messages will be queued" in page
    assert "1 to people holding a seat" in page and "1 to people on its waiting list" in page
    response = organizer_client.post(f"/admin/events/{event.slug}/visits/{visit.id}/cancel", data={"confirm": "yes"},
                                     follow_redirects=True)
    assert "2 messages queued" in response.get_data(as_text=True)
    db.session.expire_all()
    assert db.session.get(Visit, visit.id).status is VisitStatus.CANCELLED
    assert [m["Subject"] for m in (mailbox.to("a@example.org")[-1], mailbox.to("b@example.org")[-1])] == [
        f"Called off: School visit: {visit.title}"] * 2
    assert organizer_client.post(f"/admin/events/{event.slug}/visits/{visit.id}/cancel",
                          data={"confirm": "yes"}).status_code == 409


def test_a_visit_of_another_event_is_not_found(organizer_client, make_event, make_visit):
    event, other = make_event(), make_event()
    visit = make_visit(other)
    assert organizer_client.get(f"/admin/events/{event.slug}/visits/{visit.id}").status_code == 404


# --- host rules --------------------------------------------------------------------------------------


RULES = dict(photo_id_required="y", accepted_id_kinds=["us_drivers_license", "passport"], screening_dob_required="y",
             notice_school_days="5", photo_policy="No photos of students", visitor_norms="Sign in at the office.",
             entrance="Door 3", bus_parking="Back lot")


def test_host_rules_by_organizer_or_own_district_coordinator(client, make_event, make_district):
    event = make_event()
    school = event.hosts[0].schools[0]
    create_user(email="host@example.org", role=UserRole.HOST_COORDINATOR, password=PASSWORD, district=event.hosts[0])
    create_user(email="far@example.org", role=UserRole.HOST_COORDINATOR, password=PASSWORD,
                district=make_district(name="Far Away"))
    db.session.commit()
    client.post("/admin/login", data={"email": "far@example.org", "password": PASSWORD})
    assert client.post(f"/admin/schools/{school.id}/rules", data=RULES).status_code == 403
    client.post("/admin/logout")
    client.post("/admin/login", data={"email": "host@example.org", "password": PASSWORD})
    assert client.post(f"/admin/schools/{school.id}/rules", data=RULES).status_code == 302
    db.session.expire_all()
    school = db.session.get(School, school.id)
    assert school.screening_dob_required and not school.screening_id_type_required and school.notice_school_days == 5
    assert school.accepted_id_kinds == ["us_drivers_license", "passport"]
    assert audit("edited", "school")[0].user_email == "host@example.org"
    assert client.post(f"/admin/schools/{school.id}/rules",
                       data={**RULES, "notice_school_days": "lots"}).status_code == 422


def test_clone_proposes_the_next_seasons_title_and_a_clean_free_address(organizer_client, make_event):
    from datetime import date

    spring = make_event(title="Spring Convening 2027", slug="spring-convening-2027", starts_on=date(2027, 4, 6),
                        ends_on=date(2027, 4, 8))
    make_event(title="Taken", slug="fall-convening-2027")
    page = organizer_client.get(f"/admin/events/{spring.slug}/clone").get_data(as_text=True)
    assert 'value="Fall Convening 2027"' in page
    assert 'value="fall-convening-2027-2"' in page and "2027-2027" not in page
    other = make_event(title="Leadership Retreat", slug="leadership-retreat")
    page = organizer_client.get(f"/admin/events/{other.slug}/clone").get_data(as_text=True)
    assert "Leadership Retreat (" in page and "leadership-retreat-" in page


def test_next_season_names_move_school_years_and_never_end_an_address_in_a_hyphen(app, make_event):
    from datetime import date

    from eventhub.events.setup import next_season_names

    fall = make_event(title="Fall Leadership Convening 2026–27", slug="fall-2026",
                      starts_on=date(2026, 10, 6), ends_on=date(2026, 10, 8))
    assert next_season_names(fall, date(2027, 4, 6))[0] == "Spring Leadership Convening 2027–28"
    long = make_event(title="Fall Convening of the Western Region Instructional Technology Leads Network 2027",
                      slug="long-fall", starts_on=date(2027, 10, 6), ends_on=date(2027, 10, 8))
    slug = next_season_names(long, date(2028, 4, 4))[1]
    assert len(slug) <= 70 and not slug.endswith("-") and slug.startswith("spring-convening-of-the-western")


def test_a_time_left_alone_in_the_form_is_no_change(organizer_client, make_event, make_registration):
    """The form shows the registration window to the minute; a stored time with seconds that the organizer did
    not touch is neither listed as changed nor cut to the minute."""
    event = make_event()
    make_registration(event)
    opens, closes = event.registration_opens_at, event.registration_closes_at
    assert opens.second or opens.microsecond  # the factory's times carry seconds
    data = event_form(event, venue_name="New Hall",
                      registration_opens_at=f"{opens.astimezone(CHICAGO):%Y-%m-%dT%H:%M}",
                      registration_closes_at=f"{closes.astimezone(CHICAGO):%Y-%m-%dT%H:%M}")
    html = organizer_client.post(f"/admin/events/{event.slug}/edit", data=data).get_data(as_text=True)
    changes = html[html.index('<ul class="changes">'):html.index("</ul>", html.index('<ul class="changes">'))]
    assert "Venue name: <del>" in changes and "Registration" not in changes
    assert organizer_client.post(f"/admin/events/{event.slug}/edit",
                                 data={**data, "confirm": previewed(html)}).status_code == 302
    db.session.expire_all()
    assert db.session.get(Event, event.id).registration_opens_at == opens


def test_a_yes_counts_only_for_the_preview_it_was_given_to(organizer_client, make_event, make_visit, book):
    """The preview said one seat from the waiting list; the organizer then typed more seats on that page and
    pressed the button: nothing is saved, and the new preview says what that would do."""
    event = make_event()
    visit = make_visit(event, seats=1)
    for n in range(4):
        book(event, f"p{n}@example.org", visit, legal_first_name=f"P{n}")
    url = f"/admin/events/{event.slug}/visits/{visit.id}"
    invites = len(outbox("visit_invite"))
    first = organizer_client.post(url, data=visit_form(event, visit, seats_override="2")).get_data(as_text=True)
    assert "1 person: P1 García." in first
    again = organizer_client.post(url, data={**visit_form(event, visit, seats_override="4"),
                                             "confirm": previewed(first)})
    html = again.get_data(as_text=True)
    assert again.status_code == 200 and "3 people: P1 García, P2 García, P3 García." in html
    db.session.expire_all()
    assert db.session.get(Visit, visit.id).seats_override == 1 and len(outbox("visit_invite")) == invites
    assert organizer_client.post(url, data={**visit_form(event, visit, seats_override="4"),
                                            "confirm": previewed(html)}).status_code == 302
    assert len(outbox("visit_invite")) == invites + 3


def test_the_preview_counts_emails_and_names_each_person_once(organizer_client, make_event, make_visit, book):
    """Ana holds seats on two visits to one school: a new photo policy updates both invitations."""
    event = make_event()
    first = make_visit(event, title="Tablets")
    second = make_visit(event, title="Makerspace", school=first.school,
                        day=event.starts_on + timedelta(days=1))
    book(event, "ana@example.org", first, second)
    school = first.school
    html = organizer_client.post(f"/admin/schools/{school.id}/rules", data={
        "notice_school_days": str(school.notice_school_days), "photo_policy": "No photos of faces."}
    ).get_data(as_text=True)
    assert "Saving sends 2 emails." in html
    assert "<strong>An updated invitation to the visit</strong>, 1 person: Ana García." in html
