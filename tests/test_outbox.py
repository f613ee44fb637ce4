"""The email outbox: message shape, delivery to files and over SMTP, retries, exactly once."""
import email
import email.policy
import threading

import sqlalchemy as sa

from eventhub.extensions import db
from eventhub.models import OutboxMessage, OutboxStatus, Registration
from eventhub.outbox.delivery import deliver_pending
from eventhub.outbox.services import queue_email

from conftest import free_port


def outbox():
    """Every outbox row, oldest first."""
    db.session.expire_all()
    return db.session.scalars(sa.select(OutboxMessage).order_by(OutboxMessage.id)).all()


def test_messages_have_a_text_and_an_html_part_and_proper_headers(make_event, make_registration, mailbox):
    make_registration(make_event(title="Spring Convening"), "ana@example.org", legal_first_name="Ana")
    [message] = mailbox.messages()
    # A confirmation carries the convening invitation: mixed(alternative(text, html, calendar), invite.ics).
    assert message.get_content_type() == "multipart/mixed"
    alternative, attachment = message.iter_parts()
    assert [part.get_content_type() for part in alternative.iter_parts()] == ["text/plain", "text/html",
                                                                              "text/calendar"]
    assert attachment.get_filename() == "invite.ics"
    assert message["To"] == "Ana García <ana@example.org>"
    assert message["Message-ID"].endswith("@example.org>")
    html = message.get_body(preferencelist=("html",)).get_content()
    assert "Spring Convening" in html and "/r/" in html


def test_user_text_is_escaped_in_the_html_part(make_event, make_registration, mailbox):
    make_registration(make_event(), legal_first_name="<script>alert(1)</script>")
    html = mailbox.messages()[0].get_body(preferencelist=("html",)).get_content()
    assert "<script>" not in html and "&lt;script&gt;" in html


def test_headers_are_written_as_the_compat32_folding_writes_them():
    from eventhub.outbox.services import _SMTP_COMPAT

    reference = email.policy.compat32.clone(linesep="\r\n")
    values = ["", " leading and trailing ", "two  spaces\tand a tab", 'text/plain; charset="utf-8"',
              "Ana García <ana@example.org>", "line one\nline two", "=?utf-8?q?Jos=C3=A9?= <j@example.org>"]
    values += [f"before{c}after" for c in "\r\v\f\x1c\x1d\x1e\x00\x7f"]
    values += ["x" * n for n in range(70, 80)] + [" ".join(["word"] * n) for n in range(14, 20)]
    for name in ("To", "Subject", "Content-Type"):
        for value in values:
            assert _SMTP_COMPAT.fold(name, value) == reference.fold(name, value), (name, value)


def test_no_part_can_contain_a_multipart_boundary(make_event, make_registration, mailbox):
    # The boundaries are given, not searched for in the text: safe only while every part is
    # quoted-printable, where "=" is never followed by "_", and the boundaries start with "=_".
    make_registration(make_event(title="--=_ Convening"), "ana@example.org", legal_first_name="--=_x")
    [message] = mailbox.messages()
    multiparts = [part for part in message.walk() if part.is_multipart()]
    leaves = [part for part in message.walk() if not part.is_multipart()]
    assert len(multiparts) == 2 and len({part.get_boundary() for part in multiparts}) == 2
    for part in multiparts:
        assert part.get_boundary().startswith("=_")
    for part in leaves:
        assert part["Content-Transfer-Encoding"] == "quoted-printable"
        assert "=_" not in part.get_payload(decode=False)
    assert "--=_ Convening" in message.get_body(preferencelist=("plain",)).get_content()


def test_over_smtp_each_message_is_delivered_once(make_app, make_event, make_registration, smtp_server):
    app = make_app(MAIL_SERVER="127.0.0.1", MAIL_PORT=smtp_server.port)
    with app.app_context():
        make_registration(make_event(), "ana@example.org")
        [envelope] = smtp_server.handler.received
        assert envelope.rcpt_tos == ["ana@example.org"]
        assert envelope.mail_from == "events@example.org"
        parsed = email.message_from_bytes(envelope.content, policy=email.policy.default)
        assert parsed["Subject"].startswith("You're registered")
        assert [m.status for m in outbox()] == [OutboxStatus.SENT]
        assert deliver_pending(db.engine, app.config).sent == []
        assert len(smtp_server.handler.received) == 1


def test_a_registration_survives_a_mail_server_that_is_down(make_app, make_event, make_registration, smtp_server):
    app = make_app(MAIL_SERVER="127.0.0.1", MAIL_PORT=free_port())  # nothing listens there
    with app.app_context():
        event = make_event()
        registration = make_registration(event, "ana@example.org")
        assert db.session.get(Registration, registration.id) is not None
        [pending] = outbox()
        assert pending.status is OutboxStatus.PENDING
        assert pending.attempts == 1 and "could not connect" in pending.last_error

        # The server is back: `flask mail deliver` sends what waited, and only once.
        app.config["MAIL_PORT"] = smtp_server.port
        waiting = app.test_cli_runner().invoke(args=["mail", "deliver"])
        assert waiting.output.startswith("0 sent, 0 failed")  # still backing off after the failure
        result = app.test_cli_runner().invoke(args=["mail", "deliver", "--retry-now"])
        assert result.exit_code == 0, result.output
        assert "1 sent, 0 failed" in result.output
        assert app.test_cli_runner().invoke(args=["mail", "deliver"]).output.startswith("0 sent")
        assert len(smtp_server.handler.received) == 1
        assert [m.status for m in outbox()] == [OutboxStatus.SENT]


def test_mail_deliver_reports_failures_with_a_nonzero_exit(make_app, make_event, make_registration):
    app = make_app(MAIL_SERVER="127.0.0.1", MAIL_PORT=free_port())
    with app.app_context():
        make_registration(make_event())
        result = app.test_cli_runner().invoke(args=["mail", "deliver", "--retry-now"])
        assert result.exit_code == 1
        assert "0 sent, 1 failed" in result.output


def test_a_message_is_given_up_by_age_not_by_tries(make_app, make_event, make_registration):
    from datetime import timedelta

    from eventhub.models import utcnow

    app = make_app(MAIL_SERVER="127.0.0.1", MAIL_PORT=free_port())
    with app.app_context():
        make_registration(make_event())
        # Hours of outage lose nothing: the message keeps waiting and retrying ...
        deliver_pending(db.engine, app.config, now=utcnow() + timedelta(hours=5), ignore_backoff=True)
        [message] = outbox()
        assert message.status is OutboxStatus.PENDING and message.attempts == 2
        # ... until it is MAIL_GIVE_UP_HOURS old; then an operator can requeue it.
        deliver_pending(db.engine, app.config, now=utcnow() + timedelta(hours=73), ignore_backoff=True)
        [message] = outbox()
        assert message.status is OutboxStatus.FAILED and message.attempts == 3
        result = app.test_cli_runner().invoke(args=["mail", "requeue-failed"])
        assert "1 failed message(s) will be tried again" in result.output
        assert [m.status for m in outbox()] == [OutboxStatus.PENDING]


def test_a_rolled_back_change_sends_nothing(app, make_event, mailbox):
    event = make_event()
    queue_email(kind="test", to_address="x@example.org", subject="Hi", template="registration/registration_link",
                context={"registration": None, "event": event, "team_lead": None, "private_url": "u",
                         "event_url": "u", "dates": "d", "zone": "z", "position": None})
    db.session.flush()  # the message has an id now, as it would mid-request
    db.session.rollback()
    db.session.commit()
    assert outbox() == [] and mailbox.messages() == []


def test_two_deliverers_at_once_send_each_message_once(make_app, make_event, make_registration, smtp_server):
    app = make_app(MAIL_SEND_ON_COMMIT=False, MAIL_SERVER="127.0.0.1", MAIL_PORT=smtp_server.port)
    with app.app_context():
        event = make_event()
        for n in range(20):
            make_registration(event, f"person{n}@example.org")
        assert {m.status for m in outbox()} == {OutboxStatus.PENDING}
        reports = []
        start = threading.Barrier(2)

        def run():
            with app.app_context():
                start.wait()
                reports.append(deliver_pending(db.engine, app.config))

        threads = [threading.Thread(target=run) for _ in range(2)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
        assert sum(len(r.sent) for r in reports) == 20
        recipients = [rcpt for envelope in smtp_server.handler.received for rcpt in envelope.rcpt_tos]
        assert sorted(recipients) == sorted(f"person{n}@example.org" for n in range(20))


class ScriptedTransport:
    """A transport whose steps run a callback, to stage what another deliverer does meanwhile."""

    def __init__(self, on_open=None, on_send=None):
        self.on_open, self.on_send, self.sent = on_open, on_send, []

    def open(self):
        if self.on_open:
            self.on_open()

    def close(self):
        pass

    def send(self, message):
        self.sent.append(message.id)
        if self.on_send:
            on_send, self.on_send = self.on_send, None
            on_send()


def test_a_long_batch_never_looks_like_a_dead_deliverer(app, make_event, make_registration, monkeypatch):
    from datetime import timedelta

    from eventhub.models import utcnow
    from eventhub.outbox import delivery

    app.config["MAIL_SEND_ON_COMMIT"] = False
    make_registration(make_event())
    late_run = ScriptedTransport()
    # While the first run (started 20 minutes ago) sends, a second run starts and must leave it alone.
    first_run = ScriptedTransport(on_send=lambda: delivery.deliver_pending(db.engine, app.config))
    transports = iter([first_run, late_run])
    monkeypatch.setattr(delivery, "transport_for", lambda config: next(transports))
    delivery.deliver_pending(db.engine, app.config, now=utcnow() - timedelta(minutes=20))
    assert first_run.sent == [1] and late_run.sent == []
    assert [m.status for m in outbox()] == [OutboxStatus.SENT]


def test_a_failed_connection_does_not_reopen_what_another_deliverer_sent(app, make_event, make_registration,
                                                                         monkeypatch):
    from eventhub.outbox import delivery

    app.config["MAIL_SEND_ON_COMMIT"] = False
    make_registration(make_event())

    def another_deliverer_sends_then_our_server_is_down():
        with db.engine.begin() as conn:
            conn.execute(sa.update(OutboxMessage).values(status=OutboxStatus.SENT))
        raise OSError("connection refused")

    monkeypatch.setattr(delivery, "transport_for",
                        lambda config: ScriptedTransport(on_open=another_deliverer_sends_then_our_server_is_down))
    report = delivery.deliver_pending(db.engine, app.config)
    assert report.failed == {}
    [message] = outbox()
    assert (message.status, message.attempts) == (OutboxStatus.SENT, 0)


def test_failures_back_off_before_the_next_try(make_app, make_event, make_registration, smtp_server):
    from datetime import timedelta

    from eventhub.models import utcnow
    from eventhub.outbox.delivery import backoff

    assert [backoff(n).total_seconds() for n in (1, 2, 3)] == [30, 60, 120] and backoff(30) == timedelta(hours=1)
    app = make_app(MAIL_SERVER="127.0.0.1", MAIL_PORT=free_port())
    with app.app_context():
        make_registration(make_event())
        [message] = outbox()
        assert message.attempts == 1 and message.next_attempt_at > utcnow()
        app.config["MAIL_PORT"] = smtp_server.port
        assert deliver_pending(db.engine, app.config).sent == []  # not due yet
        assert deliver_pending(db.engine, app.config, now=utcnow() + timedelta(seconds=31)).sent == [message.id]


def test_many_messages_go_over_one_connection(make_app, make_event, make_registration, smtp_server, monkeypatch):
    from eventhub.outbox import delivery

    app = make_app(MAIL_SEND_ON_COMMIT=False, MAIL_SERVER="127.0.0.1", MAIL_PORT=smtp_server.port)
    opened = []
    real_open = delivery.SMTPTransport.open
    monkeypatch.setattr(delivery.SMTPTransport, "open", lambda self: (opened.append(1), real_open(self))[1])
    monkeypatch.setattr(delivery, "BATCH_SIZE", 7)
    with app.app_context():
        event = make_event()
        for n in range(30):
            make_registration(event, f"p{n}@example.org")
        report = deliver_pending(db.engine, app.config)
        assert len(report.sent) == 30 and len(opened) == 1


def test_a_claim_lost_during_a_slow_batch_is_not_sent_again(app, make_event, make_registration, monkeypatch):
    from datetime import timedelta

    from eventhub.outbox import delivery

    app.config["MAIL_SEND_ON_COMMIT"] = False
    make_registration(make_event())
    with delivery.Session(db.engine) as session:
        claimed, token = delivery._claim_batch(session, app.config, None, delivery.utcnow(), False)
        # Our run stalls for 20 minutes; its claim looks dead, and another run takes the message.
        session.execute(sa.update(OutboxMessage).values(claimed_at=token - timedelta(minutes=20)))
        session.commit()
        other = ScriptedTransport()
        monkeypatch.setattr(delivery, "transport_for", lambda config: other)
        delivery.deliver_pending(db.engine, app.config)
        assert other.sent == claimed
        # Our run wakes up and would send it: it must notice the claim is no longer its own.
        late = ScriptedTransport()

        def compose(message):
            raise AssertionError("a message whose claim was lost must not even be composed")
        delivery._deliver_one(session, late, session.get(OutboxMessage, claimed[0]), token - timedelta(minutes=20),
                              app.config, delivery.utcnow(), delivery.DeliveryReport(), compose)
        assert late.sent == []


def test_a_send_that_fails_after_composing_is_retried_word_for_word(app, make_event, make_registration, monkeypatch):
    from eventhub.outbox import delivery

    app.config["MAIL_SEND_ON_COMMIT"] = False
    make_registration(make_event())

    class Refusing(ScriptedTransport):
        def send(self, message):
            raise OSError("452 mailbox temporarily full")

    monkeypatch.setattr(delivery, "transport_for", lambda config: Refusing())
    assert list(deliver_pending(db.engine, app.config).failed) == [1]
    [message] = outbox()
    assert message.status is OutboxStatus.PENDING and "452" in message.last_error
    # What was composed (with its private link, which now exists) is kept for the retry ...
    assert "/r/" in message.raw and message.payload["invite"]["sequence"] == 0
    composed = message.raw
    sent = ScriptedTransport()
    sent_raw = []
    monkeypatch.setattr(sent, "send", lambda m: sent_raw.append(m.raw))
    monkeypatch.setattr(delivery, "transport_for", lambda config: sent)
    assert deliver_pending(db.engine, app.config, ignore_backoff=True).sent == [1]
    # ... and the retry sends exactly that, not a new composition with another link and SEQUENCE.
    assert sent_raw == [composed]
    [message] = outbox()
    assert (message.status, message.raw, message.attempts) == (OutboxStatus.SENT, composed, 2)


def test_mail_queued_before_a_savepoint_goes_out_with_the_real_commit(make_event, mailbox):
    """Releasing a savepoint is a "commit" to SQLAlchemy's events, though nothing is committed yet: what the
    transaction queued before it must still go out when the transaction commits (a cancellation and a new
    registration in one transaction, as a hand-over makes them)."""
    event = make_event()
    queue_email(kind="note", to_address="first@example.org", subject="First", template="accounts/password_reset",
                context={"url": "http://eventhub.test/x", "user": None, "hours": 1})
    with db.session.begin_nested():
        db.session.add(OutboxMessage(kind="noise", to_address="x@example.org", subject="x", raw="", status="sent"))
    assert mailbox.to("first@example.org") == [], "not before the commit"
    db.session.commit()
    assert len(mailbox.to("first@example.org")) == 1
    assert event.id


def test_mail_queued_before_a_savepoint_that_rolls_back_still_goes_out(make_event, mailbox):
    """A savepoint that fails (a duplicate registration at the same moment, on PostgreSQL) undoes its own
    part only: the mail the transaction queued before it is sent at the commit."""
    make_event()
    queue_email(kind="note", to_address="first@example.org", subject="First", template="accounts/password_reset",
                context={"url": "http://eventhub.test/x", "user": None, "hours": 1})
    try:
        with db.session.begin_nested():
            db.session.add(OutboxMessage(kind="noise", to_address="x@example.org", subject="x", raw="",
                                         status="sent"))
            db.session.flush()
            raise RuntimeError("the savepoint fails")
    except RuntimeError:
        pass
    db.session.commit()
    assert len(mailbox.to("first@example.org")) == 1
