"""Follow-up reminders with a controlled clock (`now` is passed in): the invitation to write commitments when
the event ends, the check-ins N days after it, the one before the next convening; once per person and kind,
even with two runs at once; none more than 14 days late; the command, and the RQ job and schedule."""
import email
import email.policy
import re
import threading
import time
import uuid
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
import sqlalchemy as sa

from eventhub.events.writes import cancel_event
from eventhub.extensions import db
from eventhub.followup import reminders
from eventhub.followup.reminders import BEFORE_NEXT, WRITE, schedule, send_due
from eventhub.followup.services import CommitmentDetails, add_update, create_commitment
from eventhub.models import (
    CommitmentStatus,
    Decision,
    Event,
    EventKind,
    EventStatus,
    FollowupReminder,
    OutboxMessage,
    OutboxStatus,
)
from eventhub.outbox.delivery import deliver_pending
from eventhub.registration.services import cancel_registration
from eventhub.templating import long_date

from conftest import PRODUCTION_SECRET, body_text

# --- helpers ----------------------------------------------------------------------------------------


def local(event: Event, day: date, clock: str) -> datetime:
    """A wall-clock time on a day in the event's zone, as UTC."""
    hour, minute = map(int, clock.split(":"))
    return datetime(day.year, day.month, day.day, hour, minute, tzinfo=ZoneInfo(event.timezone)).astimezone(UTC)


def check_in_at(event: Event, days: int) -> datetime:
    return local(event, event.ends_on + timedelta(days=days), "09:00")


def followup_mail(mailbox, kind: str | None = None, to: str | None = None) -> list[email.message.EmailMessage]:
    """The follow-up emails written so far (the file name carries the outbox kind), oldest first."""
    pattern = f"*-followup_{kind}.eml" if kind else "*-followup_*.eml"
    messages = [email.message_from_bytes(path.read_bytes(), policy=email.policy.default)
                for path in sorted(Path(mailbox.directory).glob(pattern))]
    return [m for m in messages if to is None or to in m["To"]]


def address(message) -> str:
    return message["To"].addresses[0].addr_spec


def links(message) -> list[str]:
    """The paths of the eventhub links in a message's text."""
    return re.findall(r"https?://eventhub\.test(/\S+)", body_text(message))


def commit_to(registration, idea: str, status: CommitmentStatus = CommitmentStatus.PLANNED):
    commitment = create_commitment(registration, CommitmentDetails(change_idea=idea, status=status))
    db.session.commit()
    return commitment


def rows(kind: str | None = None) -> list[FollowupReminder]:
    db.session.expire_all()
    query = sa.select(FollowupReminder).order_by(FollowupReminder.id)
    if kind:
        query = query.where(FollowupReminder.kind == kind)
    return list(db.session.scalars(query))


# --- when each reminder falls due ------------------------------------------------------------------


def test_the_schedule_is_in_the_event_zone_across_daylight_saving():
    """Pure computation: Chicago leaves daylight saving on November 7, 2027."""
    event = Event(timezone="America/Chicago", starts_on=date(2027, 10, 12), ends_on=date(2027, 10, 14),
                  followup_days=[60, 30, 30, 0, 9999], followup_before_next_days=14)
    spring = Event(id=99, timezone="America/New_York", starts_on=date(2028, 3, 20), ends_on=date(2028, 3, 22))
    due = {r.kind: r.due_at for r in schedule(event, next_convening=spring)}
    assert due == {
        "write": datetime(2027, 10, 14, 22, 0, tzinfo=UTC),  # 17:00 CDT
        "day-30": datetime(2027, 11, 13, 15, 0, tzinfo=UTC),  # 09:00 CST
        "day-60": datetime(2027, 12, 13, 15, 0, tzinfo=UTC),
        "before-next": datetime(2028, 3, 6, 14, 0, tzinfo=UTC),  # 09:00 EDT in the next convening's zone
    }
    event.followup_before_next_days = None
    assert BEFORE_NEXT not in {r.kind for r in schedule(event, next_convening=spring)}
    event.followup_before_next_days = 14
    assert BEFORE_NEXT not in {r.kind for r in schedule(event, next_convening=None)}


@pytest.mark.parametrize("last_item_ends, due", [(None, "17:00"), ("18:15", "18:15"), ("15:00", "17:00")])
def test_the_write_email_goes_when_the_event_ends_and_not_before(make_event, make_registration, make_agenda_item,
                                                                 mailbox, client, last_item_ends, due):
    event = make_event(capacity=1, title="Fall Convening")
    if last_item_ends:
        make_agenda_item(event, event.ends_on, "13:00", last_item_ends, title="Closing")
    make_agenda_item(event, event.starts_on, "19:00", "22:30", title="Dinner")  # not the last day
    ana = make_registration(event, "ana@example.org", legal_first_name="Ana")
    make_registration(event, "bo@example.org")  # waiting list: did not come
    cy = make_registration(event, "cy@example.org")
    cancel_registration(cy)
    db.session.commit()
    end = local(event, event.ends_on, due)

    assert send_due(end - timedelta(minutes=1)).sent == 0
    assert followup_mail(mailbox) == [] and rows() == []
    report = send_due(end)
    assert report.sent == 1
    [message] = followup_mail(mailbox, WRITE)
    assert "ana@example.org" in message["To"] and message["Subject"] == "What will you try after Fall Convening?"
    assert "Hello Ana," in body_text(message)
    [row] = rows()
    assert (row.registration_id, row.kind, row.due_at) == (ana.id, WRITE, end)
    assert row.outbox_message_id == db.session.scalar(sa.select(OutboxMessage.id).where(
        OutboxMessage.kind == "followup_write"))
    new = [path for path in links(message) if path.endswith("/commitments/new")]
    assert new, links(message)
    page = client.get(new[0])
    assert page.status_code == 200 and 'name="change_idea"' in page.get_data(as_text=True)


def test_no_follow_up_for_a_cancelled_event(make_event, make_registration, mailbox):
    event = make_event()
    ana = make_registration(event, "ana@example.org")
    commit_to(ana, "Station rotation")
    cancel_event(event)
    db.session.commit()
    for moment in (local(event, event.ends_on, "17:00"), check_in_at(event, 30)):
        assert send_due(moment).sent == 0
    assert followup_mail(mailbox) == [] and rows() == []


def test_the_day_30_check_in_goes_at_nine_local_to_those_with_open_commitments(make_event, make_registration,
                                                                               mailbox, client):
    event = make_event(title="Fall Convening", followup_days=[30, 60])
    ana = make_registration(event, "ana@example.org")
    rotation = commit_to(ana, "Station rotation in two K classrooms")
    tickets = commit_to(ana, "Exit tickets in grade 7 math", CommitmentStatus.TESTING)
    commit_to(ana, "Morning circles", CommitmentStatus.ADOPTED)
    bo = make_registration(event, "bo@example.org")  # everything decided: nothing to ask
    commit_to(bo, "Walkthrough protocol", CommitmentStatus.ADOPTED)
    commit_to(bo, "Data wall", CommitmentStatus.ABANDONED)
    cy = make_registration(event, "cy@example.org")  # cancelled, with an open commitment
    commit_to(cy, "Peer observation")
    cancel_registration(cy)
    make_registration(event, "dee@example.org")  # wrote nothing
    db.session.commit()
    nine = check_in_at(event, 30)

    send_due(nine - timedelta(minutes=1))
    assert followup_mail(mailbox, "day-30") == []
    report = send_due(nine)
    assert [(t.kind, t.sent) for t in report.tallies if t.sent] == [("day-30", 1)]
    [message] = followup_mail(mailbox, "day-30")
    assert "ana@example.org" in message["To"]
    assert message["Subject"] == "30 days after Fall Convening: how did it go?"
    text = body_text(message)
    assert "Station rotation in two K classrooms" in text and "Exit tickets in grade 7 math" in text
    assert "Morning circles" not in text
    assert f"We will check in again on {long_date(check_in_at(event, 60), event.timezone)}." in text
    updates = [path for path in links(message) if path.endswith("/update")]
    assert [int(path.split("/")[-2]) for path in updates] == [rotation.id, tickets.id]
    # Each link opens that commitment's check-in form.
    page = client.get(updates[1])
    assert page.status_code == 200
    html = page.get_data(as_text=True)
    assert "How did it go?" in html and "Exit tickets in grade 7 math" in html and 'name="tried"' in html
    assert [r.registration_id for r in rows("day-30")] == [ana.id]


def test_a_commitment_written_after_the_check_in_fell_due_waits_for_the_next_one(make_event, make_registration,
                                                                                 mailbox):
    event = make_event(followup_days=[30, 60])
    ana = make_registration(event, "ana@example.org")
    late = commit_to(ana, "Station rotation")
    late.created_at = check_in_at(event, 30) + timedelta(days=2)  # typed in from paper after day 30
    db.session.commit()
    send_due(check_in_at(event, 30) + timedelta(days=3))
    assert followup_mail(mailbox, "day-30") == [] and rows("day-30") == []
    send_due(check_in_at(event, 60))
    assert len(followup_mail(mailbox, "day-60")) == 1


def test_a_reminder_already_sent_is_not_sent_again(make_event, make_registration, mailbox):
    event = make_event()
    ana = make_registration(event, "ana@example.org")
    commit_to(ana, "Station rotation")
    end, nine = local(event, event.ends_on, "17:00"), check_in_at(event, 30)
    assert send_due(end).sent == 1
    assert send_due(end + timedelta(hours=1)).sent == 0
    assert send_due(nine).sent == 1
    assert send_due(nine).sent == 0
    assert send_due(nine + timedelta(days=1)).sent == 0
    assert len(followup_mail(mailbox, WRITE)) == 1 and len(followup_mail(mailbox, "day-30")) == 1
    assert sorted(r.kind for r in rows()) == ["day-30", "write"]


def test_two_runs_at_once_send_each_reminder_once(app, make_event, make_registration, mailbox, monkeypatch):
    """Both runs find the same five people due (a barrier holds each until the other has looked), then both
    insert; the first holds its rows uncommitted a moment while the other's insert meets them."""
    event = make_event()
    people = [make_registration(event, f"p{n}@example.org") for n in range(5)]
    end = local(event, event.ends_on, "17:00")
    looked = threading.Barrier(2, timeout=20)
    real_record, real_queue = reminders._record, reminders._queue

    def record_after_both_looked(*args, **kwargs):
        looked.wait()
        return real_record(*args, **kwargs)

    def queue_slowly(*args, **kwargs):
        time.sleep(0.5)  # the other run's insert now waits on (PostgreSQL) or behind (SQLite) these rows
        return real_queue(*args, **kwargs)

    monkeypatch.setattr(reminders, "_record", record_after_both_looked)
    monkeypatch.setattr(reminders, "_queue", queue_slowly)
    start = threading.Barrier(2, timeout=20)
    reports, failures = [], []

    def run():
        try:
            with app.app_context():
                start.wait()
                reports.append(send_due(end))
        except Exception as error:  # pragma: no cover - reported below
            failures.append(error)

    threads = [threading.Thread(target=run) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    assert failures == [] and all(not r.errors for r in reports), (failures, [r.errors for r in reports])
    assert sorted(r.sent for r in reports) == [0, 5]
    assert sorted(address(m) for m in followup_mail(mailbox, WRITE)) == sorted(p.email for p in people)
    assert db.session.scalar(sa.select(sa.func.count()).select_from(OutboxMessage)
                             .where(OutboxMessage.kind == "followup_write")) == 5
    assert len(rows(WRITE)) == 5 and all(r.outbox_message_id for r in rows(WRITE))


def test_before_next_comes_from_the_next_convening(make_event, make_registration, mailbox):
    event = make_event(title="Fall Convening", followup_days=[], followup_before_next_days=14)
    ana = make_registration(event, "ana@example.org")
    commit_to(ana, "Station rotation")
    bo = make_registration(event, "bo@example.org")
    commit_to(bo, "Data wall", CommitmentStatus.ABANDONED)
    after = event.ends_on
    make_event(kind=EventKind.PEER_VISIT, starts_on=after + timedelta(days=20), ends_on=after + timedelta(days=20))
    make_event(status=EventStatus.DRAFT, starts_on=after + timedelta(days=30), ends_on=after + timedelta(days=31))
    make_event(status=EventStatus.CANCELLED, starts_on=after + timedelta(days=40), ends_on=after + timedelta(days=41))
    spring = make_event(title="Spring Convening", timezone="America/New_York",
                        starts_on=after + timedelta(days=90), ends_on=after + timedelta(days=92))
    make_event(title="Fall Again", starts_on=after + timedelta(days=200), ends_on=after + timedelta(days=202))
    due = local(spring, spring.starts_on - timedelta(days=14), "09:00")

    send_due(due - timedelta(minutes=1))
    assert followup_mail(mailbox, BEFORE_NEXT) == []
    assert send_due(due).sent == 1
    [message] = followup_mail(mailbox, BEFORE_NEXT)
    assert "ana@example.org" in message["To"]
    assert message["Subject"] == "Spring Convening is coming: where are you with what you tried?"
    assert "Station rotation" in body_text(message) and "Fall Again" not in body_text(message)
    [row] = rows(BEFORE_NEXT)
    assert (row.registration_id, row.due_at) == (ana.id, due)
    message_row = db.session.get(OutboxMessage, row.outbox_message_id)
    assert message_row.payload["next_event_id"] == spring.id


def test_no_before_next_when_the_setting_is_empty(make_event, make_registration, mailbox):
    event = make_event(followup_days=[], followup_before_next_days=sa.null())  # None would take the default
    commit_to(make_registration(event, "ana@example.org"), "Station rotation")
    spring = make_event(starts_on=event.ends_on + timedelta(days=90), ends_on=event.ends_on + timedelta(days=91))
    send_due(local(spring, spring.starts_on, "08:00"))
    assert followup_mail(mailbox, BEFORE_NEXT) == [] and rows(BEFORE_NEXT) == []


@pytest.mark.parametrize("late, sent", [(timedelta(days=14), True), (timedelta(days=14, minutes=1), False)])
def test_a_reminder_more_than_14_days_late_is_recorded_as_skipped(make_event, make_registration, mailbox,
                                                                  late, sent):
    event = make_event(followup_days=[30])
    ana = make_registration(event, "ana@example.org")
    commit_to(ana, "Station rotation")
    now = check_in_at(event, 30) + late
    report = send_due(now)
    assert (report.sent, len(followup_mail(mailbox, "day-30"))) == ((1, 1) if sent else (0, 0))
    [row] = rows("day-30")  # recorded either way: never sent later
    assert (row.outbox_message_id is not None) is sent
    # The write email (16 days late by then) is recorded as skipped, without an email.
    [write] = rows(WRITE)
    assert write.outbox_message_id is None and followup_mail(mailbox, WRITE) == []
    assert f"{event.slug} write: 0 sent, 1 skipped (more than 14 days late)" in report.lines()
    again = send_due(now + timedelta(hours=1))
    assert (again.sent, again.stale) == (0, 0)


def test_a_reminder_that_stopped_being_true_by_delivery_is_skipped(app, make_event, make_registration, mailbox):
    app.config["MAIL_SEND_ON_COMMIT"] = False  # queued now, delivered below
    event = make_event(followup_days=[30])
    ana, bo, cy = (make_registration(event, f"{n}@example.org") for n in ("ana", "bo", "cy"))
    decided = commit_to(ana, "Station rotation")
    commit_to(bo, "Exit tickets")
    commit_to(cy, "Peer observation")
    assert send_due(check_in_at(event, 30)).sent == 3
    add_update(decided, tried="Two classrooms", learned="It works", decision=Decision.ADOPT)
    cancel_registration(bo)
    db.session.commit()
    report = deliver_pending(db.engine, app.config)
    assert [address(m) for m in followup_mail(mailbox, "day-30")] == ["cy@example.org"]
    skipped = db.session.scalars(sa.select(OutboxMessage).where(OutboxMessage.status == OutboxStatus.SKIPPED,
                                                                OutboxMessage.kind == "followup_day-30")).all()
    assert sorted(m.to_address for m in skipped) == ["ana@example.org", "bo@example.org"]
    assert {m.id for m in skipped} <= set(report.skipped)
    assert {m.last_error for m in skipped} == {
        "no commitment is open any more (adopted, adapted, abandoned or scaled)",
        "the registration was cancelled before the reminder went out"}


def test_finding_who_is_due_costs_the_same_queries_for_3_or_30_people(app, make_event, make_registration):
    """A fixed number of queries per event to find who is due (a dry run), and to record and queue them."""
    app.config["MAIL_SEND_ON_COMMIT"] = False
    counts = []
    for size in (3, 30):
        event = make_event(followup_days=[30])
        for n in range(size):
            registration = make_registration(event, f"p{size}-{n}@example.org")
            if n % 2 == 0:
                commit_to(registration, "Station rotation")
        db.session.expire_all()
        for dry_run in (True, False):
            statements = []
            listener = lambda conn, cursor, statement, *args: statements.append(statement)  # noqa: E731
            sa.event.listen(db.engine, "before_cursor_execute", listener)
            try:
                report = send_due(check_in_at(event, 30), dry_run=dry_run)
            finally:
                sa.event.remove(db.engine, "before_cursor_execute", listener)
            assert report.sent == (size + 1) // 2
            # Sending writes one outbox row per email (SQLite inserts them one by one); nothing else grows.
            counts.append(len([s for s in statements if not s.startswith("INSERT INTO outbox_messages")]))
        event.status = EventStatus.CANCELLED  # out of the next round's way
        db.session.commit()
    assert counts[0:2] == counts[2:4], counts


# --- the command and RQ ------------------------------------------------------------------------------


def test_the_command_sends_what_is_due_and_prints_counts(runner, make_event, make_registration, mailbox):
    event = make_event()
    make_registration(event, "ana@example.org")
    make_registration(event, "bo@example.org")
    stamp = f"{local(event, event.ends_on, '17:00'):%Y-%m-%d %H:%M}"

    dry = runner.invoke(args=["followup", "remind", "--now", stamp, "--dry-run"])
    assert dry.exit_code == 0, dry.output
    assert f"{event.slug} write: 2 to send" in dry.output and rows() == []
    result = runner.invoke(args=["followup", "remind", "--now", stamp])
    assert result.exit_code == 0, result.output
    assert result.output.splitlines() == [f"{event.slug} write: 2 sent", "2 sent, 0 skipped"]
    assert len(followup_mail(mailbox, WRITE)) == 2
    assert runner.invoke(args=["followup", "remind", "--now", stamp]).output.strip() == "Nothing due."
    assert runner.invoke(args=["followup", "remind", "--now", "tomorrow"]).exit_code == 2


def test_followup_schedule_needs_redis(runner):
    result = runner.invoke(args=["followup", "schedule"])
    assert result.exit_code == 1 and "REDIS_URL is not set" in result.output



@pytest.fixture
def rq_app(make_app, redis_url, monkeypatch, database_url, app):
    """An app queueing to its own RQ queue; workers build theirs from the environment, as `rq worker` does."""

    rq_app = make_app(REDIS_URL=redis_url, RQ_QUEUE=f"eventhub-test-{uuid.uuid4().hex[:8]}")
    monkeypatch.setenv("DATABASE_URL", database_url)
    monkeypatch.setenv("SECRET_KEY", PRODUCTION_SECRET)
    monkeypatch.setenv("MAIL_DIR", app.config["MAIL_DIR"])
    monkeypatch.setenv("BASE_URL", "http://eventhub.test")
    monkeypatch.delenv("MAIL_SERVER", raising=False)
    monkeypatch.delenv("REDIS_URL", raising=False)  # the worker delivers what it queues itself
    with rq_app.app_context():
        yield rq_app
        from eventhub.followup.jobs import unschedule
        from eventhub.jobs import queue_for

        unschedule(rq_app.config)
        queue_for(rq_app.config).delete(delete_jobs=True)


def test_the_rq_job_sends_what_is_due(rq_app, make_event, make_registration, mailbox):
    from redis import Redis

    from eventhub.followup.jobs import remind_due
    from eventhub.jobs import queue_for
    from eventhub.worker import AppSimpleWorker

    event = make_event()
    ana = make_registration(event, "ana@example.org")
    queue = queue_for(rq_app.config)
    job = queue.enqueue(remind_due, local(event, event.ends_on, "17:00").isoformat())
    AppSimpleWorker([queue], connection=Redis.from_url(rq_app.config["REDIS_URL"])).work(burst=True)
    job.refresh()
    assert job.is_finished, job.latest_result()
    assert job.return_value() == f"{event.slug} write: 1 sent\n1 sent, 0 skipped"
    assert [r.registration_id for r in rows(WRITE)] == [ana.id]
    assert [address(m) for m in followup_mail(mailbox, WRITE)] == ["ana@example.org"]


def test_followup_schedule_has_rq_run_it_every_hour(rq_app, make_event, make_registration, mailbox):
    from redis import Redis
    from rq.job import Job

    from eventhub.followup.jobs import REPEATS, schedule_hourly, schedule_job_id
    from eventhub.jobs import queue_for
    from eventhub.models import utcnow
    from eventhub.worker import AppSimpleWorker

    runner = rq_app.test_cli_runner()
    queue = queue_for(rq_app.config)
    registry = queue.scheduled_job_registry
    job_id = schedule_job_id(rq_app.config)
    for _ in range(2):  # again: replaced, never doubled
        result = runner.invoke(args=["followup", "schedule"])
        assert result.exit_code == 0, result.output
        assert "every hour" in result.output and "--with-scheduler" in result.output
    assert registry.get_job_ids() == [job_id]
    job = Job.fetch(job_id, connection=queue.connection)
    assert job.func_name == "eventhub.followup.jobs.remind_due"
    assert (job.repeats_left, job.repeat_intervals) == (REPEATS, [3600])
    first = registry.get_scheduled_time(job_id)
    assert first.minute == 5 and timedelta(0) < first - utcnow() <= timedelta(hours=1)

    # When its time comes, a worker's scheduler queues it, it runs, and RQ schedules it an hour later.
    event = make_event()
    make_registration(event, "ana@example.org")
    # The job runs on the real clock: the event (registered for while it was ahead) ended yesterday.
    event.starts_on, event.ends_on = date.today() - timedelta(days=3), date.today() - timedelta(days=1)
    db.session.commit()
    schedule_hourly(rq_app.config, utcnow() - timedelta(hours=2))
    assert registry.get_job_ids() == [job_id]
    AppSimpleWorker([queue], connection=Redis.from_url(rq_app.config["REDIS_URL"])).work(burst=True,
                                                                                      with_scheduler=True)
    assert [address(m) for m in followup_mail(mailbox, WRITE)] == ["ana@example.org"]
    assert registry.get_job_ids() == [job_id]
    assert Job.fetch(job_id, connection=queue.connection).repeats_left == REPEATS - 1
    assert timedelta(minutes=55) < registry.get_scheduled_time(job_id) - utcnow() <= timedelta(hours=1)

    cancelled = runner.invoke(args=["followup", "schedule", "--cancel"])
    assert cancelled.exit_code == 0 and "no longer scheduled" in cancelled.output
    assert registry.get_job_ids() == []
