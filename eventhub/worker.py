"""The RQ worker process: `rq worker -w eventhub.worker.AppWorker` builds one app from its environment and
runs every job inside that app's context, so jobs use the current app and never build one themselves."""
from flask import Flask
from rq import SimpleWorker, Worker
from rq.job import Job
from rq.queue import Queue

from eventhub import create_app
from eventhub.extensions import db


class _InAppContext:
    """Give each job the worker's app context, and a fresh database session after it."""

    app: Flask

    def __init__(self, *args, app: Flask | None = None, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        # Built before any fork: each job's work horse inherits the app (its database pool is still empty).
        self.app = app or create_app({"BACKGROUND_PROCESS": True})

    def perform_job(self, job: Job, queue: Queue) -> bool:
        with self.app.app_context():
            try:
                return super().perform_job(job, queue)  # type: ignore[misc]  # the worker class beside this mixin
            finally:
                db.session.remove()


class AppWorker(_InAppContext, Worker):
    """The production worker: each job in a forked work horse, inside the app's context."""


class AppSimpleWorker(_InAppContext, SimpleWorker):
    """The same in-process, without forking (tests, and platforms without fork)."""
