"""RQ jobs of follow-up: `remind_due` runs `flask followup remind` in a worker, and `schedule_hourly`
has RQ's scheduler run it about every hour (workers started with `rq worker --with-scheduler`)."""
import logging
from datetime import UTC, datetime, timedelta

from rq import Repeat, Retry
from rq.job import Job

from eventhub.followup.reminders import send_due
from eventhub.jobs import queue_for
from eventhub.models import utcnow
from eventhub.timezones import as_utc

log = logging.getLogger(__name__)

EVERY = timedelta(hours=1)
# Reminders fall due on the hour (09:00, 17:00 local): the runs come 5 minutes past.
MINUTE = 5
# RQ repeats a job a fixed number of times: about a year of hourly runs; `flask followup schedule`
# at each deploy starts the count again.
REPEATS = 24 * 366
# A failed run (the database restarting, say) is tried again; RQ repeats only a run that succeeded,
# so after the last retry fails the schedule stops until `flask followup schedule` is run again.
RETRY = Retry(max=3, interval=[300, 900, 1800])


def remind_due(now: str | None = None) -> str:
    """The job: send the follow-up emails due now (or at `now`, an ISO moment, for replays), in the
    worker's app context; returns the report's lines."""
    moment = as_utc(datetime.fromisoformat(now)) if now else utcnow()
    report = send_due(moment)
    summary = "\n".join(report.lines())
    if report.errors:  # one event failing must not stop the schedule: logged, and the others were sent
        log.error("follow-up reminders: %s", summary)
    return summary


def schedule_job_id(config) -> str:
    """The one id of the hourly job on this queue: scheduling again replaces it, so it never doubles."""
    return f"{config['RQ_QUEUE']}-followup-remind"


def first_run(now: datetime) -> datetime:
    """The next MINUTE past the hour after `now`."""
    at = now.astimezone(UTC).replace(minute=MINUTE, second=0, microsecond=0)
    return at if at > now else at + EVERY


def schedule_hourly(config, now: datetime) -> Job:
    """Have RQ's scheduler run `remind_due` every hour from the next hh:05 (replacing a schedule already there)."""
    queue = queue_for(config)
    return queue.enqueue_at(first_run(now), remind_due, job_id=schedule_job_id(config),
                            repeat=Repeat(times=REPEATS, interval=int(EVERY.total_seconds())), retry=RETRY,
                            job_timeout=1800, result_ttl=86400, failure_ttl=30 * 86400,
                            description="flask followup remind (hourly)")


def unschedule(config) -> bool:
    """Stop the hourly runs; False if none was scheduled."""
    from rq.exceptions import NoSuchJobError

    queue = queue_for(config)
    job_id = schedule_job_id(config)
    queue.scheduled_job_registry.remove(job_id)
    try:
        job = Job.fetch(job_id, connection=queue.connection)
    except NoSuchJobError:
        return False
    job.delete()
    return True
