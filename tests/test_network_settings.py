"""The network's settings (admins): its name, short name, reply-to mailbox and about text, used on every
page, email and printout; the environment's values are the defaults, and the error pages use them alone."""
import email
import email.policy
import re

import pytest
import sqlalchemy as sa
from test_printing import all_text

from eventhub.extensions import db
from eventhub.models import AuditEntry, NetworkSettings, UserRole
from eventhub.registration.services import register

from conftest import attendee, sign_in

SETTINGS = {"name": "Prairie Schools Network", "short_name": "PSN", "reply_to_name": "PSN events team",
            "reply_to_address": "team@prairie.org", "about": "Twelve districts learning together.\n\nSince 2019."}


def admin(app):
    return sign_in(app.test_client(), "ada@example.org", role=UserRole.ADMIN)


def test_an_admin_renames_the_network_and_every_page_email_and_printout_says_so(app, client, make_event, mailbox):
    event = make_event()
    response = admin(app).post("/admin/settings", data=SETTINGS)
    assert response.status_code == 302

    home = client.get("/").get_data(as_text=True)
    assert "Prairie Schools Network" in home and "Learning Districts Network" not in home
    assert re.search(r"<title>[^<]*· PSN</title>", home), "tabs use the short name"
    assert "<p>Twelve districts learning together.</p><p>Since 2019.</p>" in home

    register(event, attendee("ana@example.org"))
    db.session.commit()
    message = mailbox.to("ana@example.org")[0]
    assert message["From"] == "Prairie Schools Network <events@example.org>", "MAIL_FROM's address, our name"
    assert message["Reply-To"] == "PSN events team <team@prairie.org>"

    pdf = client.get(f"/events/{event.slug}/agenda.pdf")
    if pdf.status_code == 200:  # 503 where Pango is missing
        assert "Prairie Schools Network" in all_text(pdf.data)

    [entry] = db.session.scalars(sa.select(AuditEntry).where(AuditEntry.subject_type == "network"))
    assert entry.changes["name"] == ["", "Prairie Schools Network"] and entry.user_email == "ada@example.org"


def test_empty_fields_take_the_server_defaults(app, client):
    response = admin(app).post("/admin/settings", data={"name": "Learning Districts Network", "short_name": "",
                                                        "reply_to_name": "", "reply_to_address": "", "about": ""})
    assert response.status_code == 302
    row = db.session.scalar(sa.select(NetworkSettings))
    assert row.name == "", "the default is not copied, so changing NETWORK_NAME later still applies"
    assert "Learning Districts Network" in client.get("/").get_data(as_text=True)


def test_only_admins_change_the_settings_and_bad_values_are_refused(app):
    organizer = sign_in(app.test_client(), "org@example.org")
    assert organizer.get("/admin/settings").status_code == 403
    bad = admin(app).post("/admin/settings", data={**SETTINGS, "name": "", "reply_to_address": "not mail",
                                                   "short_name": "x" * 41})
    assert bad.status_code == 422
    page = bad.get_data(as_text=True)
    assert "Enter the network&#39;s name." in page and "Enter an email address" in page
    assert db.session.scalar(sa.select(NetworkSettings)) is None


def test_error_pages_use_the_server_defaults_never_the_database(make_app):
    app = make_app(PROPAGATE_EXCEPTIONS=False)

    def broken():
        raise RuntimeError("a fault of ours")

    app.add_url_rule("/_test/broken", "broken", broken)
    with app.app_context():
        db.session.add(NetworkSettings(id=1, name="Prairie Schools Network", short_name="", reply_to_name="",
                                       reply_to_address="", about="", logo=b"\x89PNG", logo_digest="0123456789abcdef"))
        db.session.commit()
        client = app.test_client()
        home = client.get("/").get_data(as_text=True)
        assert "Prairie Schools Network" in home and "network-logo.png" in home
        page = client.get("/_test/broken")
        assert page.status_code == 500
        text = page.get_data(as_text=True)
        assert "Learning Districts Network" in text and "Prairie Schools Network" not in text
        assert "network-logo.png" not in text, "no logo: the defaults have none"
        db.session.execute(sa.delete(NetworkSettings))
        db.session.commit()


def test_the_message_source_keeps_the_from_address(app, make_event, mailbox):
    db.session.add(NetworkSettings(id=1, name="Réseau Écoles", short_name="", reply_to_name="",
                                   reply_to_address="", about=""))
    db.session.commit()
    register(make_event(), attendee("ana@example.org"))
    db.session.commit()
    message = mailbox.to("ana@example.org")[0]
    parsed = email.message_from_bytes(message.as_bytes(), policy=email.policy.default)
    assert parsed["From"].addresses[0].addr_spec == "events@example.org"
    assert parsed["From"].addresses[0].display_name == "Réseau Écoles"
    assert "Reply-To" not in parsed


# --- the accent colour ---------------------------------------------------------------------------


@pytest.mark.parametrize("colour, accepted", [
    ("#767676", True),    # 4.54:1 with white, the lightest grey that passes
    ("#777777", False),   # 4.48:1
    ("#ffbf47", False),   # a yellow: white on it is unreadable
    ("#0B5D7A", True),    # upper case is fine
    ("blue", False), ("#12345", False), ("#1234567", False),
])
def test_an_accent_colour_must_keep_white_text_on_it_readable(app, colour, accepted):
    response = admin(app).post("/admin/settings", data={**SETTINGS, "accent": colour})
    assert (response.status_code == 302) is accepted, response.get_data(as_text=True)[-3000:]
    if not accepted:
        page = response.get_data(as_text=True)
        assert response.status_code == 422 and ("contrast of" in page or "six hexadecimal digits" in page)
        assert db.session.scalar(sa.select(NetworkSettings)) is None


def test_the_accent_colours_every_page_and_printout(app, client, make_event):
    from eventhub.printing.documents import event_agenda_html

    event = make_event()
    assert "network.css" not in client.get("/").get_data(as_text=True), "no accent, no extra stylesheet"
    assert admin(app).post("/admin/settings", data={**SETTINGS, "accent": "#0b5d7a"}).status_code == 302
    home = client.get("/").get_data(as_text=True)
    link = re.search(r'href="(/network\.css\?v=0b5d7a)"', home)
    assert link, "every page links the network's colours"
    css = client.get(link.group(1))
    assert css.mimetype == "text/css" and "immutable" in css.headers["Cache-Control"]
    assert css.get_data(as_text=True) == ":root { --brand: #0b5d7a; --brand-dark: #08455b; }\n"
    assert client.get("/network.css?v=old").headers["Cache-Control"] == "no-cache"
    with app.test_request_context():
        assert "--accent: #0b5d7a" in event_agenda_html(db.session.get(type(event), event.id))
