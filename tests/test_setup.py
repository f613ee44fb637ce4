"""The first run: while no account exists, the first admin creates theirs with the one-time setup code the
server prints to its log; afterwards the page is gone."""
import logging
import re
from datetime import timedelta

import pytest
import sqlalchemy as sa

from eventhub.accounts import setup as first_run
from eventhub.accounts.services import create_user
from eventhub.accounts.setup import SetupError, create_first_admin, issue_setup_code
from eventhub.extensions import db
from eventhub.models import AuditEntry, SetupCode, User, UserRole, utcnow

from conftest import STAFF_PASSWORD, empty_all_tables, in_another_session

CODE = re.compile(r"setup code ([A-Z2-7]{4}(?:-[A-Z2-7]{1,4})+)")


class Log(logging.Handler):
    """What the app's own logger printed (read directly: another test may have configured logging)."""

    def __init__(self) -> None:
        super().__init__(logging.WARNING)
        self.lines: list[str] = []

    def emit(self, record: logging.LogRecord) -> None:
        self.lines.append(record.getMessage())

    @property
    def text(self) -> str:
        return "\n".join(self.lines)

    def clear(self) -> None:
        self.lines.clear()


@pytest.fixture
def server_log(fresh):
    """The setup code's log lines, from the app's logger."""
    handler = Log()
    logger = fresh.logger
    disabled = logger.disabled  # Alembic's logging config (tests/test_migrations.py) disables loggers it finds
    logger.disabled = False
    logger.addHandler(handler)
    logger.setLevel(logging.INFO)
    yield handler
    logger.removeHandler(handler)
    logger.disabled = disabled


@pytest.fixture
def fresh(make_app):
    """An app that prints the setup code, on an empty database."""
    app = make_app(ANNOUNCE_SETUP_CODE=True)
    with app.app_context():
        empty_all_tables()  # whatever an earlier test left, this one starts with no account and no code
        yield app
        db.session.execute(sa.delete(SetupCode))
        db.session.execute(sa.delete(AuditEntry))
        db.session.execute(sa.delete(User))
        db.session.commit()


def code_in(server_log) -> str:
    found = CODE.findall(server_log.text)
    assert found, "no setup code in the log"
    return found[-1]


def setup_form(code: str, email: str = "ada@network.org") -> dict:
    return {"code": code, "name": "Ada Admin", "email": email, "password": STAFF_PASSWORD,
            "confirm": STAFF_PASSWORD}


def test_the_first_request_prints_a_code_that_creates_the_first_admin(fresh, server_log):
    client = fresh.test_client()
    page = client.get("/admin/login").get_data(as_text=True)
    assert 'href="/admin/setup"' in page, "the sign-in page points to the setup while no account exists"
    code = code_in(server_log)
    assert len(code.replace("-", "")) * 5 >= 80, "at least 80 bits"
    stored = db.session.scalar(sa.select(SetupCode))
    assert code.replace("-", "") not in stored.code_hash and code not in stored.code_hash
    assert stored.expires_at - stored.created_at == timedelta(hours=1)

    response = client.post("/admin/setup", data=setup_form(code.lower().replace("-", " ")))
    assert response.status_code == 302 and response.headers["Location"] == "/admin/"
    assert client.get("/admin/users").status_code == 200, "signed in as an admin"
    admin = db.session.scalar(sa.select(User))
    assert (admin.email, admin.role) == ("ada@network.org", UserRole.ADMIN)
    assert db.session.scalar(sa.select(SetupCode)) is None, "the code is used up"
    assert db.session.scalar(sa.select(AuditEntry.action)) == "create_first_admin"
    assert client.get("/admin/setup").status_code == 404
    assert fresh.test_client().post("/admin/setup", data=setup_form(code, "eve@x.org")).status_code == 404


def test_a_wrong_code_creates_nothing_and_the_right_one_still_works(fresh, server_log):
    client = fresh.test_client()
    client.get("/admin/setup")
    code = code_in(server_log)
    wrong = client.post("/admin/setup", data=setup_form("AAAA-BBBB-CCCC-DDDD-EEEE-F"))
    assert wrong.status_code == 403 and "not the one in the server" in wrong.get_data(as_text=True)
    assert wrong.headers["Cache-Control"] == "no-store"
    assert db.session.scalar(sa.select(sa.func.count(User.id))) == 0
    assert client.post("/admin/setup", data=setup_form(code)).status_code == 302


def test_the_code_is_compared_in_constant_time(fresh, monkeypatch):
    compared = []
    real = first_run.hmac.compare_digest
    monkeypatch.setattr(first_run.hmac, "compare_digest", lambda a, b: compared.append(1) or real(a, b))
    issue_setup_code()
    db.session.commit()
    with pytest.raises(SetupError):
        create_first_admin(code="AAAA", email="a@x.org", password=STAFF_PASSWORD, name="")
    assert compared


def test_an_expired_code_is_refused_and_the_page_prints_a_new_one(fresh, server_log):
    client = fresh.test_client()
    client.get("/admin/setup")
    old = code_in(server_log)
    row = db.session.scalar(sa.select(SetupCode))
    row.expires_at = utcnow() - timedelta(seconds=1)
    db.session.commit()
    assert client.post("/admin/setup", data=setup_form(old)).status_code == 409
    server_log.clear()
    client.get("/admin/setup")
    new = code_in(server_log)
    assert new != old
    assert client.post("/admin/setup", data=setup_form(new)).status_code == 302


def test_two_people_with_the_code_at_once_make_exactly_one_admin(fresh):
    code = issue_setup_code()
    db.session.commit()
    create_first_admin(code=code, email="ada@network.org", password=STAFF_PASSWORD, name="")  # not committed
    thread, outcome = in_another_session(fresh, lambda: create_first_admin(
        code=code, email="bo@network.org", password=STAFF_PASSWORD, name=""))
    thread.join(timeout=0.5)
    assert thread.is_alive(), "the second waits for the first"
    db.session.commit()
    thread.join(timeout=30)
    assert isinstance(outcome.get("error"), SetupError)
    db.session.expire_all()
    assert list(db.session.scalars(sa.select(User.email))) == ["ada@network.org"]


def test_setup_tries_are_rate_limited(make_app):
    app = make_app(ANNOUNCE_SETUP_CODE=True, RATELIMIT_ENABLED=True)
    with app.app_context():
        client = app.test_client()
        statuses = [client.post("/admin/setup", data=setup_form(f"WRONG-{n}")).status_code for n in range(7)]
        assert statuses[:5] == [403] * 5 and statuses[5:] == [429, 429]
        db.session.execute(sa.delete(SetupCode))
        db.session.commit()


def test_with_an_account_there_is_no_code_and_no_page(fresh, server_log):
    create_user(email="org@example.org", role=UserRole.ADMIN, password=STAFF_PASSWORD)
    db.session.commit()
    client = fresh.test_client()
    assert client.get("/admin/setup").status_code == 404
    page = client.get("/admin/login").get_data(as_text=True)
    assert not CODE.search(server_log.text) and "/admin/setup" not in page
    assert db.session.scalar(sa.select(SetupCode)) is None
