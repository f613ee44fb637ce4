"""Back-office sessions kept on the server: signing out ends the session for every copy of its cookie, and
sessions end after an idle time, an absolute lifetime, a new password or a deactivated account."""
from datetime import timedelta

import sqlalchemy as sa

from eventhub.accounts.services import create_user
from eventhub.extensions import db
from eventhub.models import SignIn, User, UserRole, utcnow

from conftest import STAFF_PASSWORD, sign_in


def session_cookie(client) -> str:
    cookie = client.get_cookie("session")
    assert cookie is not None, "the client holds no session cookie"
    return cookie.value


def with_cookie(app, value: str):
    """Another browser that was handed a copy of the cookie (a shared computer, a proxy's log)."""
    other = app.test_client()
    other.set_cookie("session", value)
    return other


def opens_back_office(client) -> bool:
    response = client.get("/admin/")
    return response.status_code == 200


def the_sign_in() -> SignIn:
    db.session.expire_all()
    [row] = db.session.scalars(sa.select(SignIn))
    return row


def test_a_cookie_replayed_after_sign_out_opens_nothing(app, client):
    sign_in(client, "org@example.org")
    copy = session_cookie(client)
    assert opens_back_office(with_cookie(app, copy)), "before signing out, the copy works (the replay is real)"
    assert client.post("/admin/logout").status_code == 302
    replayed = with_cookie(app, copy)
    response = replayed.get("/admin/")
    assert response.status_code == 302 and "/admin/login" in response.headers["Location"]
    assert the_sign_in().ended_at is not None


def test_the_cookie_holds_a_token_and_the_database_only_its_hash(app, client):
    sign_in(client, "org@example.org")
    with client.session_transaction() as cookie:
        token = cookie["sign_in"]
    row = the_sign_in()
    assert len(token) >= 40 and token not in row.token_hash and len(row.token_hash) == 64


def test_a_session_ends_after_the_idle_time(app, client):
    sign_in(client, "org@example.org")
    row = the_sign_in()
    row.last_seen_at = utcnow() - timedelta(hours=7, minutes=58)
    db.session.commit()
    assert opens_back_office(client), "just under eight hours idle: still signed in"
    row = the_sign_in()
    assert utcnow() - row.last_seen_at < timedelta(minutes=1), "the request counted as use"
    row.last_seen_at = utcnow() - timedelta(hours=8, minutes=1)
    db.session.commit()
    assert not opens_back_office(client)


def test_the_idle_time_is_a_setting(make_app):
    app = make_app(SESSION_IDLE_HOURS=1)
    with app.app_context():
        client = sign_in(app.test_client(), "org@example.org")
        row = the_sign_in()
        row.last_seen_at = utcnow() - timedelta(minutes=61)
        db.session.commit()
        assert not opens_back_office(client)
        db.session.execute(sa.delete(SignIn))
        db.session.execute(sa.delete(User))
        db.session.commit()


def test_a_busy_session_still_ends_after_thirty_days(app, client):
    sign_in(client, "org@example.org")
    row = the_sign_in()
    row.created_at = utcnow() - timedelta(days=29, hours=23)
    db.session.commit()
    assert opens_back_office(client)
    row = the_sign_in()
    row.created_at = utcnow() - timedelta(days=30, minutes=1)
    db.session.commit()
    assert not opens_back_office(client)


def test_use_is_written_at_most_once_a_minute(app, client):
    sign_in(client, "org@example.org")
    row = the_sign_in()
    earlier = utcnow() - timedelta(seconds=30)
    row.last_seen_at = earlier
    db.session.commit()
    assert opens_back_office(client)
    assert the_sign_in().last_seen_at == earlier


def test_the_cookie_lasts_no_longer_than_the_session(app, client):
    create_user(email="org@example.org", role=UserRole.ORGANIZER, password=STAFF_PASSWORD)
    db.session.commit()
    response = client.post("/admin/login", data={"email": "org@example.org", "password": STAFF_PASSWORD})
    cookie = response.headers["Set-Cookie"]
    assert "Expires=" in cookie and "HttpOnly" in cookie
    assert app.config["PERMANENT_SESSION_LIFETIME"] == timedelta(days=30)


def test_a_new_password_ends_every_session_of_the_account(app, client):
    from eventhub.accounts.links import LinkKind, issue_link_token

    sign_in(client, "org@example.org")
    laptop = with_cookie(app, session_cookie(client))
    user = db.session.scalar(sa.select(User))
    token = issue_link_token(user, LinkKind.RESET)
    db.session.commit()
    stranger = app.test_client()
    response = stranger.post(f"/admin/password/reset/{token}", data={"password": "a brand new passphrase",
                                                                      "confirm": "a brand new passphrase"})
    assert response.status_code == 302
    assert not opens_back_office(client) and not opens_back_office(laptop)
    assert the_sign_in().ended_at is not None


def test_a_sign_in_made_with_a_password_that_changed_meanwhile_opens_nothing(app, client):
    """A reset committed between checking the password and saving the sign-in (so the reset could not end
    it) still signs it out: the sign-in remembers the password it was made with."""
    sign_in(client, "org@example.org")
    user = db.session.scalar(sa.select(User))
    user.set_password("a brand new passphrase")  # as a reset would, without ending any session
    db.session.commit()
    assert not opens_back_office(client)


def test_the_cookie_expiry_is_set_at_sign_in_and_not_pushed_on(app, client):
    sign_in(client, "org@example.org")
    assert opens_back_office(client)
    again = client.get("/admin/events")
    assert again.status_code == 200 and "Set-Cookie" not in again.headers


def test_a_deactivated_account_is_signed_out_everywhere(app, client):
    admin = sign_in(app.test_client(), "ada@example.org", role=UserRole.ADMIN)
    sign_in(client, "org@example.org")
    organizer = db.session.scalar(sa.select(User).where(User.email == "org@example.org"))
    response = admin.post(f"/admin/users/{organizer.id}", data={"name": "", "role": "organizer", "district": "",
                                                                  "active": ""})
    assert response.status_code == 302
    assert not opens_back_office(client)
    db.session.expire_all()
    ended = db.session.scalar(sa.select(SignIn.ended_at).where(SignIn.user_id == organizer.id))
    assert ended is not None


def test_signing_in_again_clears_old_sign_ins_of_the_account(app, client):
    sign_in(client, "org@example.org")
    client.post("/admin/logout")
    client.post("/admin/login", data={"email": "org@example.org", "password": STAFF_PASSWORD})
    db.session.expire_all()
    rows = list(db.session.scalars(sa.select(SignIn)))
    assert len(rows) == 1 and rows[0].ended_at is None


def test_what_the_cookie_held_before_signing_in_is_dropped(app, client):
    with client.session_transaction() as cookie:
        cookie["planted"] = "by someone else"
    sign_in(client, "org@example.org")
    with client.session_transaction() as cookie:
        assert "planted" not in cookie
