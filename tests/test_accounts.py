"""Back-office accounts: password reset by an emailed single-use link, admins inviting and managing users,
and the session cookie's protections."""
import re
import time

import pytest
import sqlalchemy as sa
from itsdangerous import TimestampSigner

from eventhub.accounts.services import create_user
from eventhub.extensions import db
from eventhub.models import AuditEntry, User, UserRole
from tests.conftest import body_text

PASSWORD = "correct horse battery"
NEW_PASSWORD = "purple staple elephant"
HOUR = 3600



@pytest.fixture
def organizer(app):
    user = create_user(email="lee@network.org", role=UserRole.ORGANIZER, password=PASSWORD, name="Lee Park")
    db.session.commit()
    return user


@pytest.fixture
def admin(app):
    user = create_user(email="ada@network.org", role=UserRole.ADMIN, password=PASSWORD, name="Ada Admin")
    db.session.commit()
    return user


def sign_in(client, email: str, password: str = PASSWORD):
    return client.post("/admin/login", data={"email": email, "password": password})


def signs_in(app, email: str, password: str) -> bool:
    """Whether a fresh browser signs in with this email and password."""
    response = sign_in(app.test_client(), email, password)
    return response.status_code == 302 and response.headers["Location"] == "/admin/"


def link_in(message, kind: str = "reset") -> str:
    """The path of the password link in an email."""
    match = re.search(rf"https?://[^/\s]+(/admin/password/{kind}/[A-Za-z0-9_.\-]+)", body_text(message))
    assert match, "the email carries no password link"
    return match.group(1)


def later(monkeypatch, seconds: int) -> None:
    """Move the clock that signs and checks links forward."""
    monkeypatch.setattr(TimestampSigner, "get_timestamp", lambda self: int(time.time()) + seconds)


def audit(action: str) -> list[AuditEntry]:
    db.session.expire_all()
    return list(db.session.scalars(sa.select(AuditEntry).where(AuditEntry.subject_type == "user",
                                                               AuditEntry.action == action)))


def reload(user: User) -> User:
    db.session.expire_all()
    return db.session.get(User, user.id)


# --- forgotten passwords ------------------------------------------------------------------------


def test_the_sign_in_page_links_to_the_forgotten_password_page(client):
    page = client.get("/admin/login").get_data(as_text=True)
    assert 'href="/admin/password/forgot"' in page and "Forgot your password?" in page
    assert client.get("/admin/password/forgot").status_code == 200


def test_a_forgotten_password_is_reset_through_the_emailed_link(app, client, organizer, mailbox):
    response = client.post("/admin/password/forgot", data={"email": " Lee@Network.org "})
    assert response.status_code == 200 and "Check your email" in response.get_data(as_text=True)
    [message] = mailbox.to("lee@network.org")
    assert "new password" in message["Subject"]
    assert "24 hours" in body_text(message)
    link = link_in(message)

    page = client.get(link)
    assert page.status_code == 200 and "lee@network.org" in page.get_data(as_text=True)
    assert page.headers["Referrer-Policy"] == "no-referrer"
    mismatch = client.post(link, data={"password": NEW_PASSWORD, "confirm": NEW_PASSWORD + "x"})
    assert mismatch.status_code == 422 and "not the same" in mismatch.get_data(as_text=True)
    short = client.post(link, data={"password": "short", "confirm": "short"})
    assert short.status_code == 422 and "at least 12 characters" in short.get_data(as_text=True)
    assert reload(organizer).check_password(PASSWORD)

    done = client.post(link, data={"password": NEW_PASSWORD, "confirm": NEW_PASSWORD})
    assert done.status_code == 302 and done.headers["Location"] == "/admin/login"
    assert "Your new password is set" in client.get("/admin/login").get_data(as_text=True)
    assert signs_in(app, "lee@network.org", NEW_PASSWORD)
    assert not signs_in(app, "lee@network.org", PASSWORD)
    [entry] = audit("reset_password")
    assert entry.subject_id == organizer.id and entry.user_email == "lee@network.org"


def test_a_reset_link_works_only_once(app, client, organizer, mailbox):
    client.post("/admin/password/forgot", data={"email": organizer.email})
    client.post("/admin/password/forgot", data={"email": organizer.email})
    first, second = (link_in(m) for m in mailbox.to(organizer.email))
    assert client.post(first, data={"password": NEW_PASSWORD, "confirm": NEW_PASSWORD}).status_code == 302

    again = client.get(first)
    assert again.status_code == 410 and "already been used" in again.get_data(as_text=True)
    replay = client.post(first, data={"password": "someone else's pick", "confirm": "someone else's pick"})
    assert replay.status_code == 410
    # The other link sent before the password changed stops working too.
    assert client.post(second, data={"password": "someone else's pick",
                                     "confirm": "someone else's pick"}).status_code == 410
    assert signs_in(app, organizer.email, NEW_PASSWORD)


def test_a_reset_link_expires_after_password_reset_hours(app, client, organizer, mailbox, monkeypatch):
    client.post("/admin/password/forgot", data={"email": organizer.email})
    link = link_in(mailbox.to(organizer.email)[-1])
    later(monkeypatch, 23 * HOUR)
    assert client.get(link).status_code == 200
    later(monkeypatch, 25 * HOUR)
    expired = client.get(link)
    assert expired.status_code == 410 and "expired" in expired.get_data(as_text=True)
    assert client.post(link, data={"password": NEW_PASSWORD, "confirm": NEW_PASSWORD}).status_code == 410
    assert reload(organizer).check_password(PASSWORD)
    # The setting is read when the link is opened.
    app.config["PASSWORD_RESET_HOURS"] = 30
    assert client.get(link).status_code == 200
    app.config["PASSWORD_RESET_HOURS"] = 2
    later(monkeypatch, 3 * HOUR)
    assert client.get(link).status_code == 410


def test_a_garbled_link_gets_a_clear_page_not_an_error(client, organizer, mailbox):
    client.post("/admin/password/forgot", data={"email": organizer.email})
    link = link_in(mailbox.to(organizer.email)[-1])
    for broken in (link[:-3], link + "x", "/admin/password/reset/garbage", "/admin/password/reset/" + "a" * 3000):
        response = client.get(broken)
        assert response.status_code == 400, broken
        assert "not valid" in response.get_data(as_text=True)
        assert client.post(broken, data={"password": NEW_PASSWORD, "confirm": NEW_PASSWORD}).status_code == 400
    # A reset link is no invitation, and an invitation link no reset.
    token = link.rsplit("/", 1)[1]
    assert client.get(f"/admin/password/welcome/{token}").status_code == 400
    assert reload(organizer).check_password(PASSWORD)


def test_asking_for_an_unknown_address_looks_the_same(client, organizer, mailbox, make_district):
    known = client.post("/admin/password/forgot", data={"email": organizer.email})
    unknown = client.post("/admin/password/forgot", data={"email": "nobody@network.org"})
    assert known.status_code == unknown.status_code == 200
    assert (known.get_data(as_text=True).replace(organizer.email, "ADDRESS")
            == unknown.get_data(as_text=True).replace("nobody@network.org", "ADDRESS"))
    assert len(mailbox.to(organizer.email)) == 1 and mailbox.to("nobody@network.org") == []
    # A deactivated account gets the same answer and no email.
    organizer.active = False
    db.session.commit()
    client.post("/admin/password/forgot", data={"email": organizer.email})
    assert len(mailbox.to(organizer.email)) == 1


def test_the_forgotten_password_form_wants_an_address(client):
    response = client.post("/admin/password/forgot", data={"email": "not an address"})
    assert response.status_code == 422 and "Enter an email address like" in response.get_data(as_text=True)
    assert client.post("/admin/password/forgot", data={}).status_code == 422


def test_asking_for_reset_links_is_rate_limited(make_app, app, organizer, mailbox):
    client = make_app(RATELIMIT_ENABLED=True).test_client()
    statuses = [client.post("/admin/password/forgot", data={"email": organizer.email}).status_code
                for _ in range(6)]
    assert statuses == [200] * 5 + [429]
    assert len(mailbox.to(organizer.email)) == 5


def test_one_mailbox_gets_few_reset_links_whoever_asks(make_app, app, organizer, mailbox):
    client = make_app(RATELIMIT_ENABLED=True).test_client()

    def ask(email: str, n: int) -> int:
        return client.post("/admin/password/forgot", data={"email": email},
                           environ_base={"REMOTE_ADDR": f"10.0.0.{n}"}).status_code

    assert [ask(organizer.email.upper() if n % 2 else organizer.email, n) for n in range(6)] == [200] * 5 + [429]
    assert len(mailbox.to(organizer.email)) == 5
    assert ask("someone.else@network.org", 99) == 200  # another mailbox, another count


def test_choosing_a_password_through_a_link_is_rate_limited(make_app, app):
    client = make_app(RATELIMIT_ENABLED=True).test_client()
    statuses = [client.post("/admin/password/reset/guess" + str(n), data={"password": NEW_PASSWORD,
                                                                          "confirm": NEW_PASSWORD}).status_code
                for n in range(11)]
    assert statuses == [400] * 10 + [429]


# --- admins manage users -------------------------------------------------------------------------


def test_an_admin_invites_a_host_coordinator_who_chooses_a_password_and_signs_in(app, client, admin, mailbox,
                                                                                 make_district):
    district = make_district(name="Maple Falls Unified")
    sign_in(client, admin.email)
    assert 'href="/admin/users"' in client.get("/admin/").get_data(as_text=True)
    assert client.get("/admin/users/invite").status_code == 200

    missing = client.post("/admin/users/invite", data={"email": "jo@maple.k12.us", "name": "Jo Rivera",
                                                       "role": "host_coordinator", "district": ""})
    assert missing.status_code == 422 and "needs a district" in missing.get_data(as_text=True)
    assert db.session.scalar(sa.select(User).where(User.email == "jo@maple.k12.us")) is None

    done = client.post("/admin/users/invite", data={"email": "Jo@Maple.k12.us", "name": "Jo Rivera",
                                                    "role": "host_coordinator", "district": str(district.id)})
    assert done.status_code == 302 and done.headers["Location"] == "/admin/users"
    jo = db.session.scalar(sa.select(User).where(User.email == "jo@maple.k12.us"))
    assert jo.role is UserRole.HOST_COORDINATOR and jo.district_id == district.id and jo.name == "Jo Rivera"
    listing = client.get("/admin/users").get_data(as_text=True)
    assert "jo@maple.k12.us" in listing and "Invited, no password yet" in listing and "Maple Falls Unified" in listing
    assert not signs_in(app, "jo@maple.k12.us", "")
    [entry] = audit("invite")
    assert entry.subject_id == jo.id and entry.user_email == admin.email
    assert entry.changes["role"] == ["", "host_coordinator"] and entry.changes["district"] == ["", district.name]

    [message] = mailbox.to("jo@maple.k12.us")
    assert "invited" in message["Subject"]
    text = body_text(message)
    assert "Ada Admin has invited you" in text and "as a host coordinator for Maple Falls Unified" in text
    assert "7 days" in text
    link = link_in(message, "welcome")
    visitor = app.test_client()
    page = visitor.get(link)
    assert page.status_code == 200 and "choose your password" in page.get_data(as_text=True)
    assert visitor.post(link, data={"password": NEW_PASSWORD, "confirm": NEW_PASSWORD}).status_code == 302
    assert signs_in(app, "jo@maple.k12.us", NEW_PASSWORD)
    assert visitor.get(link).status_code == 410
    assert [e.subject_id for e in audit("accept_invitation")] == [jo.id]
    assert "Invited, no password yet" not in client.get("/admin/users").get_data(as_text=True)


def test_an_invitation_expires_after_seven_days(app, client, admin, mailbox, monkeypatch):
    sign_in(client, admin.email)
    client.post("/admin/users/invite", data={"email": "sam@network.org", "role": "organizer", "district": ""})
    link = link_in(mailbox.to("sam@network.org")[-1], "welcome")
    visitor = app.test_client()
    later(monkeypatch, 6 * 24 * HOUR)
    assert visitor.get(link).status_code == 200
    later(monkeypatch, 8 * 24 * HOUR)
    expired = visitor.get(link)
    assert expired.status_code == 410 and "invitation has expired" in expired.get_data(as_text=True)


def test_inviting_an_existing_address_is_refused(client, admin, organizer):
    sign_in(client, admin.email)
    response = client.post("/admin/users/invite", data={"email": organizer.email, "role": "organizer",
                                                        "district": ""})
    assert response.status_code == 422 and "already exists" in response.get_data(as_text=True)
    bad = client.post("/admin/users/invite", data={"email": "x", "role": "boss", "district": "999"})
    assert bad.status_code == 422


def test_resending_an_invitation_replaces_the_link(app, client, admin, organizer, mailbox):
    sign_in(client, admin.email)
    client.post("/admin/users/invite", data={"email": "sam@network.org", "role": "organizer", "district": ""})
    sam = db.session.scalar(sa.select(User).where(User.email == "sam@network.org"))
    assert "Send the invitation again" in client.get(f"/admin/users/{sam.id}").get_data(as_text=True)
    old = link_in(mailbox.to(sam.email)[-1], "welcome")
    assert client.post(f"/admin/users/{sam.id}/invitation").status_code == 302
    new = link_in(mailbox.to(sam.email)[-1], "welcome")
    visitor = app.test_client()
    assert visitor.get(old).status_code == 410
    assert visitor.post(new, data={"password": NEW_PASSWORD, "confirm": NEW_PASSWORD}).status_code == 302
    assert [e.subject_id for e in audit("resend_invitation")] == [sam.id]
    # Someone who has a password gets no invitation.
    refused = client.post(f"/admin/users/{organizer.id}/invitation")
    assert refused.status_code == 302
    assert mailbox.to(organizer.email) == []
    assert "already chosen a password" in client.get(refused.headers["Location"]).get_data(as_text=True)


def test_an_admin_changes_a_users_role_and_district_and_it_is_logged(client, admin, organizer, make_district):
    district = make_district(name="Cedar Grove")
    sign_in(client, admin.email)
    page = client.get(f"/admin/users/{organizer.id}")
    assert page.status_code == 200 and "Lee Park" in page.get_data(as_text=True)
    refused = client.post(f"/admin/users/{organizer.id}", data={"name": "Lee Park", "role": "host_coordinator",
                                                                "district": "", "active": "y"})
    assert refused.status_code == 422 and "needs a district" in refused.get_data(as_text=True)
    assert reload(organizer).role is UserRole.ORGANIZER
    saved = client.post(f"/admin/users/{organizer.id}", data={"name": "Lee K. Park", "role": "host_coordinator",
                                                              "district": str(district.id), "active": "y"})
    assert saved.status_code == 302
    lee = reload(organizer)
    assert (lee.name, lee.role, lee.district_id, lee.active) == ("Lee K. Park", UserRole.HOST_COORDINATOR,
                                                                 district.id, True)
    [entry] = audit("update")
    assert entry.user_email == admin.email and entry.subject_label == lee.email
    assert entry.changes == {"name": ["Lee Park", "Lee K. Park"], "role": ["organizer", "host_coordinator"],
                             "district": ["", "Cedar Grove"]}


def test_a_deactivated_user_is_signed_out_and_cannot_sign_in(app, client, admin, organizer):
    theirs = app.test_client()
    sign_in(theirs, organizer.email)
    assert theirs.get("/admin/").status_code == 200
    sign_in(client, admin.email)
    response = client.post(f"/admin/users/{organizer.id}", data={"name": "Lee Park", "role": "organizer",
                                                                 "district": ""})
    assert response.status_code == 302
    assert reload(organizer).active is False
    assert theirs.get("/admin/").status_code == 302
    refused = sign_in(app.test_client(), organizer.email)
    assert refused.status_code == 422 and "do not match an active account" in refused.get_data(as_text=True)
    [entry] = audit("update")
    assert entry.changes == {"active": ["True", "False"]}
    assert "Deactivated" in client.get("/admin/users").get_data(as_text=True)


def test_an_admin_cannot_deactivate_or_demote_themselves(client, admin):
    sign_in(client, admin.email)
    deactivate = client.post(f"/admin/users/{admin.id}", data={"name": "Ada Admin", "role": "admin",
                                                               "district": ""})
    assert deactivate.status_code == 422
    assert "cannot deactivate your own account" in deactivate.get_data(as_text=True)
    demote = client.post(f"/admin/users/{admin.id}", data={"name": "Ada Admin", "role": "organizer",
                                                           "district": "", "active": "y"})
    assert demote.status_code == 422 and "cannot take away your own admin role" in demote.get_data(as_text=True)
    me = reload(admin)
    assert me.active and me.role is UserRole.ADMIN
    assert audit("update") == []
    assert client.get("/admin/users").status_code == 200


def test_only_admins_open_the_users_pages(app, client, admin, organizer, make_district):
    coordinator = create_user(email="host@example.org", role=UserRole.HOST_COORDINATOR, password=PASSWORD,
                              district=make_district())
    db.session.commit()
    pages = [("GET", "/admin/users"), ("GET", "/admin/users/invite"), ("POST", "/admin/users/invite"),
             ("GET", f"/admin/users/{admin.id}"), ("POST", f"/admin/users/{admin.id}"),
             ("POST", f"/admin/users/{admin.id}/invitation")]
    for user in (organizer, coordinator):
        browser = app.test_client()
        sign_in(browser, user.email)
        assert 'href="/admin/users"' not in browser.get("/admin/").get_data(as_text=True)
        for method, url in pages:
            assert browser.open(url, method=method, data={"role": "organizer"}).status_code == 403, (user, url)
    anonymous = app.test_client().get("/admin/users")
    assert anonymous.status_code == 302 and anonymous.headers["Location"].startswith("/admin/login")
    assert reload(admin).role is UserRole.ADMIN


def test_an_unknown_user_is_404(client, admin):
    sign_in(client, admin.email)
    assert client.get("/admin/users/99999").status_code == 404
    assert client.post("/admin/users/99999", data={"role": "admin"}).status_code == 404
    assert client.post("/admin/users/99999/invitation").status_code == 404


def test_every_accounts_form_carries_a_csrf_token(make_app, app, admin, mailbox):
    client = make_app(WTF_CSRF_ENABLED=True).test_client()
    for url in ("/admin/login", "/admin/password/forgot"):
        assert 'name="csrf_token"' in client.get(url).get_data(as_text=True), url
    assert client.post("/admin/password/forgot", data={"email": admin.email}).status_code == 400
    login_page = client.get("/admin/login").get_data(as_text=True)
    token = re.search(r'name="csrf_token" type="hidden" value="([^"]+)"', login_page).group(1)
    client.post("/admin/login", data={"email": admin.email, "password": PASSWORD, "csrf_token": token})
    for url in ("/admin/users/invite", f"/admin/users/{admin.id}", "/admin/"):
        assert 'name="csrf_token"' in client.get(url).get_data(as_text=True), url


# --- cookies -------------------------------------------------------------------------------------


def test_the_session_cookie_is_http_only_and_same_site(client, organizer):
    response = sign_in(client, organizer.email)
    assert response.status_code == 302
    cookie = next(c for c in response.headers.getlist("Set-Cookie") if c.startswith("session="))
    assert "HttpOnly" in cookie and "SameSite=Lax" in cookie


def test_cookies_are_secure_in_production(make_app):
    app = make_app(TESTING=False)
    assert app.config["SESSION_COOKIE_SECURE"] is True and app.config["REMEMBER_COOKIE_SECURE"] is True
    assert app.config["REMEMBER_COOKIE_HTTPONLY"] is True and app.config["REMEMBER_COOKIE_SAMESITE"] == "Lax"
    response = app.test_client().get("/admin/")
    assert response.status_code == 302
    assert "Secure" in next(c for c in response.headers.getlist("Set-Cookie") if c.startswith("session="))


def test_a_new_password_signs_the_account_out_of_every_other_browser(app, client, organizer, mailbox):
    laptop = app.test_client()
    assert sign_in(laptop, organizer.email).status_code == 302
    assert laptop.get("/admin/").status_code == 200
    client.post("/admin/password/forgot", data={"email": organizer.email})
    [message] = mailbox.to(organizer.email)
    assert client.post(link_in(message), data={"password": NEW_PASSWORD, "confirm": NEW_PASSWORD}).status_code == 302
    # The session the laptop signed in with named the old password: it is over.
    response = laptop.get("/admin/")
    assert response.status_code == 302 and response.headers["Location"].startswith("/admin/login")
    assert sign_in(laptop, organizer.email, NEW_PASSWORD).status_code == 302
    assert laptop.get("/admin/").status_code == 200


def test_the_invitation_form_proposes_the_organizer_role_not_admin(client, admin):
    sign_in(client, admin.email)
    page = client.get("/admin/users/invite").get_data(as_text=True)
    assert '<option selected value="organizer">' in page
    assert '<option selected value="admin">' not in page
    # A post that leaves the role out gets no role by default: it is refused.
    response = client.post("/admin/users/invite", data={"email": "new@example.org", "name": "New"})
    assert response.status_code == 422 and "Choose a role." in response.get_data(as_text=True)
    assert db.session.scalar(sa.select(User).where(User.email == "new@example.org")) is None
