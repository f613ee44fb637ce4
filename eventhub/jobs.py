"""RQ plumbing shared by every background job: the queue, and one app per worker process."""
from flask import Flask
from redis import Redis
from rq import Queue

_worker_app: Flask | None = None


def queue_for(config) -> Queue:
    """The RQ queue eventhub's jobs go to."""
    return Queue(config["RQ_QUEUE"], connection=Redis.from_url(config["REDIS_URL"]))


def worker_app() -> Flask:
    """The app a job runs in: built once per worker process, configured from its environment."""
    from eventhub import create_app

    global _worker_app
    if _worker_app is None:
        _worker_app = create_app()
    return _worker_app
