"""RQ plumbing shared by every background job: the queue they go to. Jobs run inside the worker's app
context (eventhub/worker.py), so they read the current app and never build one."""
from redis import Redis
from rq import Queue


def queue_for(config) -> Queue:
    """The RQ queue eventhub's jobs go to."""
    wait = config.get("REDIS_TIMEOUT_SECONDS", 0.5)
    return Queue(config["RQ_QUEUE"], connection=Redis.from_url(
        config["REDIS_URL"], socket_timeout=wait, socket_connect_timeout=wait))
