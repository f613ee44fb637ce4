"""The reminder a few days before an event: once per person, composed at delivery, with what to bring and
when the bus leaves."""
from datetime import date, timedelta

import sqlalchemy as sa
from test_followup_reminders import followup_mail, local

from eventhub.extensions import db
from eventhub.followup.reminders import BEFORE_EVENT, schedule, send_due
from eventhub.models import Event, FollowupReminder

from conftest import body_text


def test_the_reminder_falls_due_days_before_the_first_day_in_the_event_zone():
    event = Event(timezone="America/Chicago", starts_on=date(2027, 4, 6), ends_on=date(2027, 4, 8),
                  reminder_days_before=3)
    [before] = [r for r in schedule(event) if r.kind == BEFORE_EVENT]
    assert before.due_at == local(event, date(2027, 4, 3), "09:00")
    event.reminder_days_before = None
    assert BEFORE_EVENT not in {r.kind for r in schedule(event)}


def test_it_goes_once_to_each_person_with_a_seat_and_says_what_to_bring_and_when(make_event, make_visit, book,
                                                                                make_registration, mailbox):
    event = make_event(title="Spring Convening", capacity=1, reminder_days_before=3)
    school = event.hosts[0].schools[0]
    school.accepted_id_kinds = ["us_drivers_license", "us_state_id"]
    visit = make_visit(event, title="Tablets in K-1", start="08:30", end="11:00",
                       meeting_point="Depot Street bus loop")
    visit.bus_departs_at = visit.starts_at - timedelta(minutes=45)
    db.session.commit()
    book(event, "ana@example.org", visit)
    make_registration(event, "bo@example.org")  # the waiting list: no reminder
    due = local(event, event.starts_on - timedelta(days=3), "09:00")

    assert send_due(due - timedelta(minutes=1)).sent == 0
    assert send_due(due).sent == 1
    assert send_due(due + timedelta(hours=1)).sent == 0  # once per person
    [reminder] = followup_mail(mailbox, "before-event")
    assert reminder["To"].addresses[0].addr_spec == "ana@example.org"
    assert reminder["Subject"].startswith("Soon: Spring Convening")
    text = body_text(reminder)
    assert "Tablets in K-1" in text
    assert "Bring: government photo ID: US driver's license or US state ID card." in text
    assert "Be there: 7:45 AM Central Time (America/Chicago), Depot Street bus loop, when the bus leaves." in text
    assert "/agenda.pdf" in text and "webcal://" in text and "/calendar.ics" in text
    [row] = db.session.scalars(sa.select(FollowupReminder).where(FollowupReminder.kind == BEFORE_EVENT))
    assert row.outbox_message_id is not None


def test_no_reminder_for_an_event_without_one_or_once_it_is_under_way(make_event, make_registration, mailbox):
    quiet = make_event(title="Quiet Convening")  # no reminder set
    make_registration(quiet, "ana@example.org")
    assert send_due(local(quiet, quiet.starts_on, "08:00")).sent == 0
    late = make_event(title="Late Convening", reminder_days_before=3)
    make_registration(late, "ben@example.org")
    # The cron stopped and ran again on the second day: too late to be of use, nothing is sent or recorded.
    report = send_due(local(late, late.starts_on + timedelta(days=1), "10:00"))
    assert report.sent == report.stale == 0 and followup_mail(mailbox, "before-event") == []
    assert db.session.scalars(sa.select(FollowupReminder)).all() == []


def test_someone_confirmed_weeks_after_a_long_reminder_fell_due_still_gets_it(make_event, make_registration,
                                                                               mailbox):
    from datetime import UTC, datetime

    event = make_event(title="Far Convening", reminder_days_before=30)
    make_registration(event, "ana@example.org")
    due = local(event, event.starts_on - timedelta(days=30), "09:00")
    assert due < datetime.now(UTC) + timedelta(days=60)
    report = send_due(due + timedelta(days=20))
    assert report.sent == 1 and len(followup_mail(mailbox, "before-event")) == 1


def test_the_event_form_sets_the_days(organizer_client, make_event):
    from test_backoffice_events import event_form

    event = make_event()
    assert organizer_client.post(f"/admin/events/{event.slug}/edit",
                                 data=event_form(event, reminder_days_before="5")).status_code == 302
    db.session.expire_all()
    assert event.reminder_days_before == 5
    assert organizer_client.post(f"/admin/events/{event.slug}/edit",
                                 data=event_form(event, reminder_days_before="")).status_code == 302
    db.session.expire_all()
    assert event.reminder_days_before is None
    refused = organizer_client.post(f"/admin/events/{event.slug}/edit",
                                    data=event_form(event, reminder_days_before="99"))
    assert refused.status_code == 422 and "from 0 to 30" in refused.get_data(as_text=True)
