"""RQ jobs: with REDIS_URL set, email is delivered by `rq worker` processes instead of the web request."""
import logging

from redis import Redis
from rq import Queue

log = logging.getLogger(__name__)
_worker_app = None


def queue_for(config) -> Queue:
    """The RQ queue eventhub's jobs go to."""
    return Queue(config["RQ_QUEUE"], connection=Redis.from_url(config["REDIS_URL"]))


def enqueue_delivery(config, ids: list[int]) -> bool:
    """Ask a worker to deliver these messages; False (and they wait for cron) if Redis is unreachable."""
    try:
        queue_for(config).enqueue(deliver_messages, ids, job_timeout=600, result_ttl=0)
    except Exception:  # Redis down: the messages stay pending, `flask mail deliver` sends them
        log.exception("could not queue delivery of outbox messages %s; they stay pending", ids)
        return False
    return True


def deliver_messages(ids: list[int] | None = None) -> str:
    """The job: deliver the given messages (or everything due) with the worker's own app."""
    from eventhub import create_app
    from eventhub.extensions import db
    from eventhub.outbox.delivery import deliver_pending

    global _worker_app
    if _worker_app is None:  # one app per worker process, configured from its environment
        _worker_app = create_app()
    with _worker_app.app_context():
        return deliver_pending(db.engine, _worker_app.config, ids=ids).summary
