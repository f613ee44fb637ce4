"""With REDIS_URL set, delivery runs in RQ workers: a real Redis and an in-process RQ worker."""
import uuid

import sqlalchemy as sa

from eventhub.extensions import db
from eventhub.models import OutboxMessage, OutboxStatus

from conftest import PRODUCTION_SECRET


def test_a_worker_delivers_what_a_request_queued(make_app, make_event, make_registration, redis_url, mailbox,
                                                  monkeypatch, database_url):
    from redis import Redis

    from eventhub.outbox import jobs
    from eventhub.worker import AppSimpleWorker

    queue_name = f"eventhub-test-{uuid.uuid4().hex[:8]}"
    app = make_app(REDIS_URL=redis_url, RQ_QUEUE=queue_name)
    # The worker builds its own app from the environment, as `rq worker` does in production.
    monkeypatch.setenv("DATABASE_URL", database_url)
    monkeypatch.setenv("SECRET_KEY", PRODUCTION_SECRET)
    monkeypatch.setenv("MAIL_DIR", app.config["MAIL_DIR"])
    monkeypatch.delenv("MAIL_SERVER", raising=False)
    with app.app_context():
        make_registration(make_event(), "ana@example.org")
        assert [m.status for m in db.session.scalars(sa.select(OutboxMessage))] == [OutboxStatus.PENDING]
        queue = jobs.queue_for(app.config)
        assert queue.count == 1
        AppSimpleWorker([queue], connection=Redis.from_url(redis_url)).work(burst=True)
        db.session.expire_all()
        assert [m.status for m in db.session.scalars(sa.select(OutboxMessage))] == [OutboxStatus.SENT]
        assert len(mailbox.to("ana@example.org")) == 1
        queue.delete(delete_jobs=True)


def test_with_redis_down_the_message_waits_for_cron(make_app, make_event, make_registration):
    from conftest import free_port

    app = make_app(REDIS_URL=f"redis://127.0.0.1:{free_port()}/0")
    with app.app_context():
        make_registration(make_event(), "ana@example.org")
        assert [m.status for m in db.session.scalars(sa.select(OutboxMessage))] == [OutboxStatus.PENDING]
        result = app.test_cli_runner().invoke(args=["mail", "deliver"])
        assert result.output.startswith("1 sent")
