"""Rate limits: sign-in counted per client and per account (failures only), registration per client and per
email address (hashed), the client's address read through the trusted proxies only, and limits that keep
working (in memory) when Redis is down or hung."""
import socket
import threading
import time

import pytest
import sqlalchemy as sa
from test_registration_views import form_data

from eventhub.accounts.services import create_user
from eventhub.extensions import db
from eventhub.models import Registration, UserRole

from conftest import STAFF_PASSWORD, free_port


def sign_in_post(client, email: str, password: str, address: str = "10.0.0.1", **headers):
    return client.post("/admin/login", data={"email": email, "password": password},
                       environ_base={"REMOTE_ADDR": address}, headers=headers).status_code


@pytest.fixture
def staff(app):
    for n in range(3):
        create_user(email=f"staff{n}@example.org", role=UserRole.ORGANIZER, password=STAFF_PASSWORD)
    db.session.commit()


def test_wrong_passwords_for_one_account_are_limited_from_any_address(make_app, staff):
    client = make_app(RATELIMIT_ENABLED=True).test_client()
    tries = [sign_in_post(client, "staff0@example.org", "wrong", address=f"10.0.1.{n}") for n in range(6)]
    assert tries == [422] * 5 + [429]
    # Another account is not held back by that one's count.
    assert sign_in_post(client, "staff1@example.org", STAFF_PASSWORD, address="10.0.1.99") == 302


def test_wrong_passwords_from_one_client_are_limited_across_accounts(make_app, staff):
    client = make_app(RATELIMIT_ENABLED=True).test_client()
    tries = [sign_in_post(client, f"nobody{n}@example.org", "wrong") for n in range(11)]
    assert tries == [422] * 10 + [429]


def test_successful_sign_ins_are_not_counted(make_app, staff):
    app = make_app(RATELIMIT_ENABLED=True)
    for _ in range(12):
        client = app.test_client()  # a fresh session each time, so each one signs in again
        assert sign_in_post(client, "staff0@example.org", STAFF_PASSWORD) == 302


def test_the_client_address_comes_from_trusted_proxies_only(make_app, staff):
    trusting = make_app(RATELIMIT_ENABLED=True, TRUSTED_PROXIES=1).test_client()
    # Behind one proxy, each forwarded address is its own client: none reaches ten failures.
    assert [sign_in_post(trusting, f"x{n}@example.org", "wrong", **{"X-Forwarded-For": f"203.0.113.{n}"})
            for n in range(11)] == [422] * 11
    # Trusting nobody (the default), the header is ignored: one client, limited at ten.
    direct = make_app(RATELIMIT_ENABLED=True).test_client()
    assert [sign_in_post(direct, f"y{n}@example.org", "wrong", **{"X-Forwarded-For": f"203.0.113.{n}"})
            for n in range(11)] == [422] * 10 + [429]


def test_sign_in_checks_one_password_hash_whoever_asks(client, staff, monkeypatch):
    """The answer takes the same time whether or not the account exists, is active or has a password: one
    scrypt check each time, against a decoy when there is nothing real to check."""
    from eventhub.accounts import services

    checked = []
    real = services.check_password_hash
    monkeypatch.setattr(services, "check_password_hash", lambda *a: checked.append(1) or real(*a))
    invited = create_user(email="invited@example.org", role=UserRole.ORGANIZER, password=None)
    db.session.commit()
    for email in ("staff0@example.org", "nobody@example.org", invited.email):
        checked.clear()
        assert sign_in_post(client, email, "wrong") == 422
        assert checked == [1], email


def test_registrations_are_limited_per_email_address_and_per_client(make_app, make_event):
    app = make_app(RATELIMIT_ENABLED=True, REGISTRATION_LIMIT_PER_CLIENT="3 per hour")
    with app.app_context():
        event = make_event(capacity=100)
        host = event.hosts[0].id
        client = app.test_client()

        def register(email: str, address: str, **changes) -> int:
            return client.post(f"/events/{event.slug}/register", data=form_data(host, email=email, **changes),
                               environ_base={"REMOTE_ADDR": address}).status_code

        assert register("a@example.org", "10.0.2.1", legal_first_name="") == 422  # a failed form is not counted
        assert [register(f"p{n}@example.org", "10.0.2.1") for n in range(4)] == [302] * 3 + [429]
        assert register("q@example.org", "10.0.2.2") == 302  # another client has its own count
        assert db.session.scalar(sa.select(sa.func.count(Registration.id))) == 4


def test_one_address_is_registered_at_most_five_times_an_hour(make_app, make_event):
    app = make_app(RATELIMIT_ENABLED=True)
    with app.app_context():
        events = [make_event(capacity=100) for _ in range(6)]
        client = app.test_client()
        statuses = [client.post(f"/events/{e.slug}/register", data=form_data(e.hosts[0].id, email="j@example.org"),
                                environ_base={"REMOTE_ADDR": f"10.0.3.{n}"}).status_code
                    for n, e in enumerate(events)]
        assert statuses == [302] * 5 + [429]


def hung_server():
    """A port that accepts connections and never answers (a hung Redis or SMTP server)."""
    listener = socket.socket()
    listener.bind(("127.0.0.1", 0))
    listener.listen(16)
    held = []

    def accept():
        while True:
            try:
                held.append(listener.accept()[0])
            except OSError:
                return

    threading.Thread(target=accept, daemon=True).start()
    return listener


@pytest.mark.parametrize("redis", ["down", "hung"])
def test_sign_in_works_when_redis_is_down_or_hung(make_app, staff, redis):
    listener = hung_server() if redis == "hung" else None
    port = listener.getsockname()[1] if listener else free_port()
    try:
        app = make_app(RATELIMIT_ENABLED=True, RATELIMIT_STORAGE_URI=f"redis://127.0.0.1:{port}/0",
                       RATELIMIT_STORAGE_OPTIONS={"socket_timeout": 0.2, "socket_connect_timeout": 0.2})
        client = app.test_client()
        started = time.monotonic()
        statuses = [sign_in_post(client, "staff0@example.org", "wrong") for _ in range(6)]
        assert statuses == [422] * 5 + [429]  # counted in memory meanwhile
        assert sign_in_post(app.test_client(), "staff1@example.org", STAFF_PASSWORD) == 302
        assert time.monotonic() - started < 5
    finally:
        if listener:
            listener.close()
