"""Security headers on every response, private caching of the back office and of personal exports, no inline
script anywhere a browser runs it, and production's refusal of a weak SECRET_KEY."""
import re
import secrets
from pathlib import Path

import pytest

from eventhub import create_app
from eventhub.config import ConfigError
from eventhub.extensions import db
from eventhub.models import UserRole
from eventhub.registration.links import issue_private_link
from eventhub.web import carries_secret, is_back_office

from conftest import sign_in

TEMPLATES = Path(__file__).resolve().parent.parent / "templates"


def directives(policy: str) -> dict[str, list[str]]:
    return {part.split()[0]: part.split()[1:] for part in (p.strip() for p in policy.split(";")) if part}


def assert_secure(response, what: str) -> None:
    policy = directives(response.headers.get("Content-Security-Policy", ""))
    assert policy.get("script-src") == ["'self'"], what
    assert "'unsafe-inline'" not in " ".join(sum(policy.values(), [])), what
    assert policy.get("frame-ancestors") == ["'none'"] and policy.get("object-src") == ["'none'"], what
    assert response.headers.get("X-Frame-Options") == "DENY", what
    assert response.headers.get("X-Content-Type-Options") == "nosniff", what
    assert response.headers.get("Referrer-Policy") in {"same-origin", "no-referrer"}, what


def test_every_kind_of_response_carries_the_security_headers(app, client, make_event, make_registration):
    event = make_event()
    token = issue_private_link(make_registration(event))
    db.session.commit()
    organizer = sign_in(app.test_client(), "org@example.org")
    responses = {
        "home": client.get("/"),
        "event page": client.get(f"/events/{event.slug}"),
        "registration form": client.get(f"/events/{event.slug}/register"),
        "private page": client.get(f"/r/{token}"),
        "a 404": client.get("/no/such/page"),
        "a 405": client.put("/"),
        "a file": client.get("/static/css/site.css"),
        "a calendar": client.get(f"/events/{event.slug}/calendar.ics"),
        "sign-in page": client.get("/admin/login"),
        "a back-office page": organizer.get("/admin/events"),
        "a back-office CSV": organizer.get(f"/admin/events/{event.slug}/registrants.csv"),
    }
    for what, response in responses.items():
        assert_secure(response, what)
    assert "Strict-Transport-Security" not in responses["home"].headers, "no HSTS on an http site"


def test_hsts_only_when_the_site_is_https(make_app):
    https = make_app(BASE_URL="https://events.example.org")
    assert https.test_client().get("/").headers["Strict-Transport-Security"].startswith("max-age=")
    assert "Strict-Transport-Security" not in make_app(BASE_URL="http://127.0.0.1:5000").test_client().get("/").headers


def test_every_back_office_response_is_no_store(app, client, make_event):
    event = make_event()
    organizer = sign_in(app.test_client(), "org@example.org")
    coordinator = sign_in(app.test_client(), "host@example.org", role=UserRole.HOST_COORDINATOR,
                          district=event.hosts[0])
    responses = {
        "sign-in page": client.get("/admin/login"),
        "redirect to sign in": client.get("/admin/events"),
        "back-office home": organizer.get("/admin/"),
        "events": organizer.get("/admin/events"),
        "a 404 in the back office": organizer.get("/admin/events/no-such-event"),
        "a 403": coordinator.get("/admin/events"),
        "registrants CSV": organizer.get(f"/admin/events/{event.slug}/registrants.csv"),
        "registrants XLSX": organizer.get(f"/admin/events/{event.slug}/registrants.xlsx"),
        "catering CSV": organizer.get(f"/admin/events/{event.slug}/catering.csv"),
        "commitments CSV": organizer.get(f"/admin/events/{event.slug}/commitments.csv"),
        "audit log": organizer.get("/admin/audit"),
    }
    for what, response in responses.items():
        assert response.headers.get("Cache-Control") == "no-store", what
    assert client.get(f"/events/{event.slug}").headers.get("Cache-Control") != "no-store", "public pages cache"


# Files anyone may fetch: the public agenda and calendars of a published event (no personal data).
PUBLIC_FILES = {"printing.event_agenda", "invites.event_feed", "invites.event_entry", "static"}
FILE_ADDRESS = re.compile(r"\.(csv|xlsx|pdf|ics|json)$|/download$")


def test_every_file_route_with_personal_data_is_private(app):
    """Each export, PDF or calendar route is in the back office, behind a secret address, or one of the
    public files by name: a new export cannot be added where a cache could keep it."""
    files = [rule for rule in app.url_map.iter_rules() if FILE_ADDRESS.search(rule.rule)]
    assert len(files) >= 10, "the scan finds the exports"
    for rule in files:
        if rule.endpoint in PUBLIC_FILES:
            continue
        assert is_back_office(rule.rule) or carries_secret(rule), f"{rule.rule} ({rule.endpoint}) is not private"


def test_a_personal_pdf_is_not_stored(app, client, make_event, make_registration):
    event = make_event()
    token = issue_private_link(make_registration(event))
    db.session.commit()
    pdf = client.get(f"/r/{token}/agenda.pdf")
    assert pdf.status_code in (200, 503) and pdf.headers["Cache-Control"] == "no-store"


# --- no inline script --------------------------------------------------------------------------------

INLINE_SCRIPT = re.compile(r"<script(?![^>]*\bsrc=)[^>]*>", re.I)
HANDLER_ATTRIBUTE = re.compile(r"\son[a-z]+\s*=", re.I)
STYLE_ATTRIBUTE = re.compile(r"\sstyle\s*=|<style[\s>]", re.I)


def browser_templates() -> list[Path]:
    """The templates a browser renders as a page (emails and printouts are read elsewhere)."""
    return [path for path in TEMPLATES.rglob("*.html")
            if not {"email", "print"} & set(path.relative_to(TEMPLATES).parts)]


def test_no_page_template_has_inline_script_handlers_or_style_attributes():
    pages = browser_templates()
    assert len(pages) > 30
    for path in pages:
        source = path.read_text()
        assert not INLINE_SCRIPT.search(source), f"{path}: inline <script>"
        assert not HANDLER_ATTRIBUTE.search(source), f"{path}: an on…= handler attribute"
        assert not STYLE_ATTRIBUTE.search(source), f"{path}: a style attribute (the policy refuses it)"
        assert "javascript:" not in source, f"{path}: a javascript: address"
        assert "data:" not in source, f"{path}: a data: address (img-src is 'self')"


def test_the_scan_finds_an_inline_script():
    assert INLINE_SCRIPT.search('<p>hi</p><script>alert(1)</script>')
    assert not INLINE_SCRIPT.search('<script src="/static/js/forms.js" defer></script>')
    assert HANDLER_ATTRIBUTE.search('<button onclick="go()">')
    assert STYLE_ATTRIBUTE.search('<p style="color: red">') and STYLE_ATTRIBUTE.search("<style>p {}</style>")


# --- the secret key ----------------------------------------------------------------------------------


@pytest.fixture
def production(monkeypatch):
    monkeypatch.delenv("FLASK_DEBUG", raising=False)

    def build(key: str):
        monkeypatch.setenv("SECRET_KEY", key)
        return create_app({"SQLALCHEMY_DATABASE_URI": "sqlite://"})

    return build


@pytest.mark.parametrize("key, reason", [
    ("short", "only 5 bytes long"),
    ("x" * 31, "only 31 bytes long"),
    ("change-me-to-something-long-and-random-please", "a placeholder"),
    ("your-secret-key-goes-here-0123456789abcdef", "a placeholder"),
    ("abababababababababababababababababababab", "not random"),
])
def test_production_refuses_a_weak_secret_key_and_says_how_to_make_one(production, key, reason):
    with pytest.raises(ConfigError, match=reason) as refused:
        production(key)
    assert "secrets.token_hex(32)" in str(refused.value)


def test_production_takes_a_random_key_and_development_takes_anything(production, make_app):
    assert not production(secrets.token_hex(32)).testing
    assert not production(secrets.token_urlsafe(32)).testing
    assert make_app(SECRET_KEY="x").testing  # tests and FLASK_DEBUG=1 are not production
