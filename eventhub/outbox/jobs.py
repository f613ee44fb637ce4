"""RQ jobs: with REDIS_URL set, email is delivered by `rq worker` processes instead of the web request."""
import logging

from flask import current_app

from eventhub.extensions import db
from eventhub.jobs import queue_for
from eventhub.outbox.delivery import deliver_pending

log = logging.getLogger(__name__)


def enqueue_delivery(config, ids: list[int]) -> bool:
    """Ask a worker to deliver these messages; False (and they wait for cron) if Redis is unreachable."""
    try:
        queue_for(config).enqueue(deliver_messages, ids, job_timeout=600, result_ttl=0)
    except Exception:  # Redis down: the messages stay pending, `flask mail deliver` sends them
        log.exception("could not queue delivery of outbox messages %s; they stay pending", ids)
        return False
    return True


def deliver_messages(ids: list[int] | None = None) -> str:
    """The job: deliver the given messages (or everything due), in the worker's app context."""
    return deliver_pending(db.engine, current_app.config, ids=ids).summary
