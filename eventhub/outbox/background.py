"""Sending after the response: one thread per web process takes the ids each commit queued and delivers them
(or, with REDIS_URL, queues the RQ job that will), so no request waits on the SMTP server or on Redis,
however slow or hung. The queue is bounded;
ids it cannot take (or a process that stops) leave their messages pending, and `flask mail deliver` (cron)
sends them: the outbox, not this thread, is what keeps mail from being lost."""
import logging
import queue
import threading

from flask import Flask

from eventhub.extensions import db
from eventhub.outbox.delivery import deliver_pending

log = logging.getLogger(__name__)
QUEUE_SIZE = 10_000  # commits waiting for the thread; beyond this they wait for `flask mail deliver`
KEY = "eventhub.outbox.sender"


class Sender:
    """The process's delivery thread, started on first use (so a forked gunicorn worker starts its own)."""

    def __init__(self, app: Flask) -> None:
        self.app = app
        self.waiting: queue.Queue[list[int]] = queue.Queue(maxsize=QUEUE_SIZE)
        self.thread: threading.Thread | None = None
        self.lock = threading.Lock()

    def submit(self, ids: list[int]) -> bool:
        """Hand the ids to the thread at once; False when the queue is full (they stay pending)."""
        with self.lock:
            if self.thread is None or not self.thread.is_alive():
                self.thread = threading.Thread(target=self._run, name="eventhub-mail", daemon=True)
                self.thread.start()
        try:
            self.waiting.put_nowait(ids)
        except queue.Full:
            log.warning("mail queue full: outbox messages %s wait for `flask mail deliver`", ids)
            return False
        return True

    def wait_until_idle(self, timeout: float = 10.0) -> bool:
        """Whether everything handed over so far was tried within `timeout` seconds (tests, shutdown)."""
        finished = threading.Event()

        def join() -> None:
            self.waiting.join()
            finished.set()

        threading.Thread(target=join, daemon=True).start()
        return finished.wait(timeout)

    def _run(self) -> None:
        while True:
            ids = self.waiting.get()
            try:
                with self.app.app_context():
                    if self.app.config.get("REDIS_URL"):
                        from eventhub.outbox.jobs import enqueue_delivery

                        enqueue_delivery(self.app.config, ids)  # if Redis fails they stay pending
                        continue
                    report = deliver_pending(db.engine, self.app.config, ids=ids)
                    if report.failed:
                        log.warning("outbox delivery failed for %s; they are retried later", report.failed)
            except Exception:  # the messages stay pending (or their claim goes stale and is released)
                log.exception("delivering outbox messages %s failed; they stay pending", ids)
            finally:
                self.waiting.task_done()


def sender_for(app: Flask) -> Sender:
    """The app's sender (one per app and process)."""
    if KEY not in app.extensions:
        app.extensions[KEY] = Sender(app)
    return app.extensions[KEY]
