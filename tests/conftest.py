"""Fixtures: an app per test on SQLite or DATABASE_URL, factories, the mail folder, an SMTP server."""
import contextlib
import contextvars
import email
import email.policy
import os
import re
import shutil
import socket
import subprocess
import threading
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

import pytest
import sqlalchemy as sa
import vobject
from flask import current_app, has_app_context
from flask.testing import FlaskClient
from icalendar import Calendar
from werkzeug.serving import make_server

from eventhub import create_app
from eventhub.extensions import db
from eventhub.models import (
    AgendaItem,
    AgendaKind,
    District,
    Event,
    EventStatus,
    Locale,
    School,
)
from eventhub.registration.services import AttendeeDetails, register

ON_CI = os.environ.get("CI", "").lower() in {"1", "true", "yes"}


def pytest_report_header(config):
    """Say which database the suite runs on."""
    return f"database: {_database_url_for_display()}"


def _database_url_for_display() -> str:
    url = os.environ.get("DATABASE_URL")
    return sa.engine.make_url(url).render_as_string(hide_password=True) if url else "SQLite (temporary file)"


@pytest.fixture(scope="session")
def database_url(tmp_path_factory) -> str:
    """DATABASE_URL when set (the suite empties that database!), else a temporary SQLite file."""
    from eventhub.config import database_url as normalise

    raw = os.environ.get("DATABASE_URL")
    url = normalise(raw, "") if raw else f"sqlite:///{tmp_path_factory.mktemp('db') / 'test.sqlite3'}"
    app = create_app({"TESTING": True, "SQLALCHEMY_DATABASE_URI": url, "SECRET_KEY": "x"})
    with app.app_context():
        db.drop_all()
        db.create_all()
        db.engine.dispose()
    return url


def empty_all_tables() -> None:
    """Delete every row, children first, so each test starts from nothing."""
    tables = list(reversed(db.metadata.sorted_tables))
    if db.engine.dialect.name == "postgresql":
        names = ", ".join(t.name for t in tables)
        db.session.execute(sa.text(f"TRUNCATE {names} RESTART IDENTITY CASCADE"))
    else:
        for table in tables:
            db.session.execute(table.delete())
    db.session.commit()


@pytest.fixture
def make_app(database_url, tmp_path):
    """Build apps on the test database; keyword settings override the defaults."""
    made = []

    def factory(**overrides):
        config = {
            "TESTING": True,
            "SECRET_KEY": PRODUCTION_SECRET,  # some tests build a production app (TESTING=False)
            "SQLALCHEMY_DATABASE_URI": database_url,
            "WTF_CSRF_ENABLED": False,
            "MAIL_DIR": str(tmp_path / "mail"),
            "MAIL_SERVER": None,
            "REDIS_URL": None,
            "BASE_URL": "http://eventhub.test",
            "SERVER_NAME": None,
            "FORM_CACHE_SECONDS": 0,  # tests change seats between requests; the cache has its own test
            "PRINT_DIR": str(tmp_path / "prints"),
            "PRINT_WORKERS": 1,  # batches lay out in-process; one test runs the worker processes
            "RATELIMIT_ENABLED": False,  # the sign-in limit has its own test
            "ANNOUNCE_SETUP_CODE": False,  # tests/test_setup.py turns it on
            # Mail is sent within the request here, so each test reads it at once; tests/test_outages.py
            # runs the background sender against a hung SMTP server.
            "MAIL_SEND_IN_BACKGROUND": False,
        }
        config.update(overrides)
        app = create_app(config)
        app.test_client_class = SeparateContextClient
        made.append(app)
        return app

    yield factory
    for app in made:
        with app.app_context():
            db.session.remove()
            db.engine.dispose()


@pytest.fixture
def app(make_app):
    """The application, inside an app context, on an empty database. Afterwards, whatever the test did,
    no calendar part of any email it sent may hold a private link's token."""
    app = make_app()
    with app.app_context():
        empty_all_tables()
        yield app
        db.session.remove()
        leaks = private_tokens_in_calendars()
        empty_all_tables()
        assert not leaks, f"calendar parts carry private links: {leaks}"


# A private link's token is 43 URL-safe characters; anything this long in a calendar is checked.
TOKEN_LIKE = re.compile(r"[A-Za-z0-9_\-]{20,}")


def calendar_texts(raw: str) -> list[str]:
    """Every property value of every calendar part of an email, decoded (unfolded, unescaped), and each
    part's text as sent."""
    texts = []
    for part in email.message_from_string(raw, policy=email.policy.default).walk():
        if part.get_content_type() != "text/calendar":
            continue
        text = part.get_content()
        texts.append(text)
        for component in Calendar.from_ical(text).walk():
            texts += [str(value) for _, value in component.property_items(recursive=False)]
    return texts


def private_tokens_in_calendars() -> list[tuple[str, str]]:
    """(email kind, token) for every string in a calendar part of a composed email that is the token of a
    management link, live or not (hashes of all of them are kept)."""
    import hashlib

    from eventhub.models import LinkKind, OutboxMessage, PrivateLink

    found = []
    for kind, raw in db.session.execute(sa.select(OutboxMessage.kind, OutboxMessage.raw)
                                        .where(OutboxMessage.raw != "")):
        candidates = {c for text in calendar_texts(raw) for c in TOKEN_LIKE.findall(text)}
        by_hash = {hashlib.sha256(c.encode()).hexdigest(): c for c in candidates}
        if by_hash:
            leaked = db.session.scalars(sa.select(PrivateLink.token_hash).where(
                PrivateLink.kind == LinkKind.MANAGE, PrivateLink.token_hash.in_(list(by_hash))))
            found += [(kind, by_hash[h]) for h in leaked]
        found += [(kind, text) for text in calendar_texts(raw) if "/r/" in text]
    db.session.remove()
    return found


class SeparateContextClient(FlaskClient):
    """A test client whose requests run as a server runs them: each in an app context and database
    session of its own, never the test body's. A view that forgets to commit loses its change here, as
    it would in production. After each request the test body's session forgets what it had loaded, so
    the test reads back what the database now holds."""

    def open(self, *args, **kwargs):
        response = contextvars.Context().run(super().open, *args, **kwargs)
        if has_app_context() and current_app._get_current_object() is self.application:
            db.session.expire_all()
        return response


@pytest.fixture
def client(app):
    """A test client for the app; its requests do not share the test body's session."""
    return app.test_client()


@pytest.fixture
def runner(app):
    """A runner for the app's `flask` commands."""
    return app.test_cli_runner()


# --- factories ------------------------------------------------------------------------------


@pytest.fixture
def make_district(app):
    """Create a member district (with one school)."""
    counter = iter(range(1, 10_000))

    def factory(**kw) -> District:
        n = next(counter)
        values = dict(
            name=f"Test District {n}", state="IL", timezone="America/Chicago", enrollment=5000,
            locale=Locale.SUBURB, frl_percent=40, grade_span="PK-12",
        )
        values.update(kw)
        district = District(**values)
        district.schools.append(School(name=f"School {n}", street="1 Main St", city="Springfield",
                                       state=district.state, postal_code="62701"))
        db.session.add(district)
        db.session.commit()
        return district

    return factory


@pytest.fixture
def make_event(app, make_district):
    """Create a published event whose registration is open now; keywords override."""
    counter = iter(range(1, 10_000))

    def factory(**kw) -> Event:
        n = next(counter)
        starts = date.today() + timedelta(days=60)
        now = datetime.now(UTC)
        values = dict(
            slug=f"test-event-{n}", title=f"Test Convening {n}", timezone="America/Chicago",
            starts_on=starts, ends_on=starts + timedelta(days=2), venue_name="Civic Center",
            venue_address="100 Lake St, Springfield, IL", status=EventStatus.PUBLISHED,
            registration_opens_at=now - timedelta(days=1), registration_closes_at=now + timedelta(days=30),
            capacity=None,
            # No reminder before the event unless a test asks (None would take the column's default, 3 days).
            reminder_days_before=sa.null(),
        )
        hosts = kw.pop("hosts", None)
        values.update(kw)
        event = Event(**values)
        event.hosts = hosts if hosts is not None else [make_district()]
        db.session.add(event)
        db.session.commit()
        return event

    return factory


@pytest.fixture
def make_agenda_item(app):
    """Add an agenda item given in the event's local wall-clock time."""
    from zoneinfo import ZoneInfo

    def factory(event: Event, day: date, start: str, end: str, **kw) -> AgendaItem:
        zone = ZoneInfo(event.timezone)

        def at(clock: str) -> datetime:
            hour, minute = map(int, clock.split(":"))
            return datetime(day.year, day.month, day.day, hour, minute, tzinfo=zone).astimezone(UTC)

        item = AgendaItem(event=event, starts_at=at(start), ends_at=at(end),
                          title=kw.pop("title", "Session"), kind=kw.pop("kind", AgendaKind.PLENARY), **kw)
        db.session.add(item)
        db.session.commit()
        return item

    return factory


STAFF_PASSWORD = "correct horse battery"
# A key production would accept (tests that start real worker processes, which run as in production).
PRODUCTION_SECRET = "9c41d2e07b5a8f36c1e94b0d7a2f58e3b6c09d14e7a25f8b3c6d90e1a4b7f25c"


def in_another_session(app, work):
    """Run `work` in a thread with a session of its own, committing after it; returns the thread and a dict
    that gets its result or its error."""
    outcome: dict = {}

    def run():
        with app.app_context():
            try:
                outcome["result"] = work()
                db.session.commit()
            except Exception as error:  # reported to the test, not lost in the thread
                outcome["error"] = error
                db.session.rollback()
            finally:
                db.session.remove()

    thread = threading.Thread(target=run)
    thread.start()
    return thread, outcome


def sign_in(client, email: str, role=None, district=None):
    """Create a back-office account and sign the client in with it (an organizer unless `role` says)."""
    from eventhub.accounts.services import create_user
    from eventhub.models import UserRole

    create_user(email=email, role=role or UserRole.ORGANIZER, password=STAFF_PASSWORD, district=district)
    db.session.commit()
    client.post("/admin/login", data={"email": email, "password": STAFF_PASSWORD})
    return client


@pytest.fixture
def organizer_client(client):
    """A test client signed in as an organizer (org@example.org)."""
    return sign_in(client, "org@example.org")


def attendee(email: str = "ana@example.org", **kw) -> AttendeeDetails:
    """Attendee details with sensible defaults."""
    from eventhub.models import AttendeeRole

    values = dict(email=email, legal_first_name="Ana", legal_last_name="García", role=AttendeeRole.PRINCIPAL)
    values.update(kw)
    return AttendeeDetails(**values)


@pytest.fixture
def make_registration(app):
    """Register someone through the service and commit, as the view would."""

    def factory(event: Event, email: str = "ana@example.org", **kw):
        outcome = register(event, attendee(email, **kw))
        db.session.commit()
        return outcome.lead

    return factory


# --- mail --------------------------------------------------------------------------------------


class Mailbox:
    """The .eml files the file transport wrote, parsed."""

    def __init__(self, directory: Path):
        self.directory = directory

    def messages(self) -> list[email.message.EmailMessage]:
        """Every message written so far, oldest first."""
        if not self.directory.exists():
            return []
        return [
            email.message_from_bytes(path.read_bytes(), policy=email.policy.default)
            for path in sorted(self.directory.glob("*.eml"))
        ]

    def to(self, address: str) -> list[email.message.EmailMessage]:
        """Messages addressed to one person."""
        return [m for m in self.messages() if address.lower() in m["To"].lower()]


def body_text(message: email.message.EmailMessage) -> str:
    """The text/plain part of a message."""
    return message.get_body(preferencelist=("plain",)).get_content()


def private_link(message: email.message.EmailMessage) -> str:
    """The path of the private link carried by a message (e.g. /r/abc...)."""
    match = re.search(r"https?://[^/\s]+(/r/[A-Za-z0-9_\-]+)", body_text(message))
    assert match, "the email carries no private link"
    return match.group(1)


def previewed(html: str) -> str:
    """The yes a save preview asks for: its fingerprint, sent back to save exactly what it showed."""
    found = re.search(r'name="confirm" value="([0-9a-f]{32})"', html)
    assert found, "the page shows no save preview"
    return found.group(1)


def save_through_preview(client, url: str, data: dict, **options):
    """Post a back-office form; when the page answers with a save preview, say yes to it."""
    first = client.post(url, data=data)
    html = first.get_data(as_text=True)
    if first.status_code != 200 or 'id="notify"' not in html:
        return first
    return client.post(url, data={**data, "confirm": previewed(html)}, **options)


@pytest.fixture
def mailbox(app) -> Mailbox:
    """The mail folder of the app under test."""
    return Mailbox(Path(app.config["MAIL_DIR"]))


def free_port() -> int:
    """A TCP port nobody listens on right now."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture
def smtp_server():
    """A real SMTP server (aiosmtpd) on localhost that keeps what it receives."""
    from aiosmtpd.controller import Controller

    class Collector:
        def __init__(self):
            self.received = []
            self.lock = threading.Lock()

        async def handle_DATA(self, server, session, envelope):
            with self.lock:
                self.received.append(envelope)
            return "250 Message accepted for delivery"

    handler = Collector()
    controller = Controller(handler, hostname="127.0.0.1", port=free_port())
    controller.start()
    yield controller
    controller.stop()


# --- visits ----------------------------------------------------------------------------------


@pytest.fixture
def make_visit(app, make_agenda_item):
    """Create a scheduled visit at a host school of the event, in a visit block unless block=None."""
    from eventhub.models import School, Transport, Visit

    counter = iter(range(1, 10_000))

    def factory(event: Event, *, block="new", school: School | None = None, seats: int | None = 10,
                day: date | None = None, start: str = "09:00", end: str = "11:30", **kw) -> Visit:
        n = next(counter)
        if block == "new":
            block = make_agenda_item(event, day or event.starts_on, start, end, title=f"School visits {n}",
                                     kind=AgendaKind.VISIT_BLOCK)
        if school is None:
            school = event.hosts[0].schools[0]
        values = dict(
            title=f"Visit {n}", focus="Station rotation in K-1", topics=["blended learning"],
            meeting_point="Hotel lobby", transport=Transport.NETWORK_BUS, seats_override=seats,
            starts_at=block.starts_at if block else event_start(event, start),
            ends_at=block.ends_at if block else event_start(event, end),
        )
        values.update(kw)
        visit = Visit(event=event, block=block, school=school, **values)
        db.session.add(visit)
        db.session.commit()
        return visit

    return factory


def event_start(event: Event, clock: str) -> datetime:
    """The event's first day at a wall-clock time in its zone, as UTC."""
    from zoneinfo import ZoneInfo

    hour, minute = map(int, clock.split(":"))
    day = event.starts_on
    return datetime(day.year, day.month, day.day, hour, minute, tzinfo=ZoneInfo(event.timezone)).astimezone(UTC)


@pytest.fixture
def book(app):
    """Register someone with ranked visit choices (norms acknowledged) and commit."""
    from eventhub.registration.services import VisitRequest
    from eventhub.visits.services import BlockChoices

    def factory(event: Event, email: str, *ranked, screening=None, colleagues=(), **kw):
        blocks: dict = {}
        for visit in ranked:
            blocks.setdefault(visit.block_id, []).append(visit.id)
        request = VisitRequest(choices=[BlockChoices(block_id=b, visit_ids=ids) for b, ids in blocks.items()],
                               norms_acknowledged=True, screening=screening)
        outcome = register(event, attendee(email, **kw), [attendee(c) for c in colleagues], visits=request)
        db.session.commit()
        return outcome.lead

    return factory


def place_of(registration, visit):
    """The person's seat row on a visit (None if they never had one)."""
    from eventhub.models import VisitSeat

    db.session.expire_all()
    return db.session.scalar(sa.select(VisitSeat).where(VisitSeat.registration_id == registration.id,
                                                        VisitSeat.visit_id == visit.id))


# --- real services: Redis and a browser ------------------------------------------------------------

REDIS_URL = os.environ.get("TEST_REDIS_URL", "redis://127.0.0.1:6379/15")


@pytest.fixture
def redis_url():
    """A reachable Redis, or a skip saying how to get one (CI has it)."""
    from redis import Redis
    from redis.exceptions import ConnectionError

    try:
        Redis.from_url(REDIS_URL, socket_connect_timeout=1).ping()
    except ConnectionError:
        reason = f"RQ tests need Redis at {REDIS_URL}: start redis-server or set TEST_REDIS_URL."
        if ON_CI:
            pytest.fail(reason)
        pytest.skip(reason)
    return REDIS_URL


CHROMIUM_ARGS = [
    "--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
    "--disable-component-update", "--disable-sync", "--no-first-run",
]


def chromium_or_skip() -> str:
    """Path of Debian's chromium; without it these tests skip (and fail on CI, which installs it)."""
    path = os.environ.get("CHROMIUM") or shutil.which("chromium")
    try:
        import playwright.sync_api  # noqa: F401
    except ImportError:
        path = None
    if path is None:
        reason = ("Browser tests need Chromium and Playwright: `sudo apt-get install chromium` "
                  "(or set CHROMIUM=/path/to/chrome) and `make test` installs Playwright.")
        if ON_CI:
            pytest.fail(reason)
        pytest.skip(reason)
    return path


@pytest.fixture
def live_app(make_app, tmp_path):
    """The app served on a free localhost port in a background thread."""
    port = free_port()
    app = make_app(WTF_CSRF_ENABLED=True, BASE_URL=f"http://127.0.0.1:{port}")
    server = make_server("127.0.0.1", port, app, threaded=True)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    app.base_url = f"http://127.0.0.1:{port}"
    with app.app_context():
        yield app
    server.shutdown()
    thread.join(timeout=5)


@contextlib.contextmanager
def chromium_page(base_url: str, **context_options):
    """A Chromium page (Playwright) on the live app; the test fails on any JavaScript error."""
    from playwright.sync_api import sync_playwright

    executable = chromium_or_skip()
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=executable, args=CHROMIUM_ARGS)
        page = browser.new_context(base_url=base_url, **context_options).new_page()
        errors = []
        page.on("pageerror", lambda error: errors.append(error))
        page.set_default_timeout(10_000)
        yield page
        browser.close()
        assert errors == []


def sign_in_page(page, email: str = "org@example.org") -> None:
    """Sign a Chromium page in to the back office as an organizer (made first if there is none)."""
    from playwright.sync_api import expect

    from eventhub.accounts.services import create_user
    from eventhub.models import User, UserRole

    if db.session.scalar(sa.select(User).where(User.email == email)) is None:
        create_user(email=email, role=UserRole.ORGANIZER, password=STAFF_PASSWORD)
        db.session.commit()
    page.goto("/admin/login")
    page.get_by_label("Email").fill(email)
    page.get_by_label("Password").fill(STAFF_PASSWORD)
    page.get_by_role("button", name="Sign in").click()
    expect(page.get_by_role("heading", name="Back office")).to_be_visible()


@pytest.fixture
def page(live_app):
    """A Chromium page at a desktop's size."""
    with chromium_page(live_app.base_url) as page:
        yield page


def has_cjk_font() -> bool:
    """Whether Noto Sans CJK is installed (Debian: fonts-noto-cjk), which CJK names print in."""
    if shutil.which("fc-list") is None:
        return False
    out = subprocess.run(["fc-list", ":lang=ja", "family"], capture_output=True, text=True).stdout
    return "Noto Sans CJK" in out


# --- calendar invitations, checked with two parsers -----------------------------------------------------

ORGANIZER = "mailto:events@example.org"


def invitation_parts(message):
    """(MIME method, calendar text) of an invitation email, after checking its MIME shape."""
    assert message.get_content_type() == "multipart/mixed"
    alternative, attachment = list(message.iter_parts())
    assert alternative.get_content_type() == "multipart/alternative"
    text, html, calendar = list(alternative.iter_parts())
    assert (text.get_content_type(), html.get_content_type(), calendar.get_content_type()) == (
        "text/plain", "text/html", "text/calendar")
    assert calendar.get_param("charset").lower() == "utf-8"
    assert attachment.get_filename() == "invite.ics" and attachment.get_content_type() == "text/calendar"
    assert attachment.get_content() == calendar.get_content()
    assert attachment.get_param("method") == calendar.get_param("method")
    return calendar.get_param("method"), calendar.get_content()


def check_itip(message, method: str) -> dict:
    """Parse with icalendar and vobject and check the iTIP rules; return the event's facts."""
    mime_method, text = invitation_parts(message)
    assert mime_method == method
    calendar = Calendar.from_ical(text)
    assert str(calendar["METHOD"]) == method
    [event] = calendar.walk("VEVENT")
    for name in ("UID", "DTSTAMP", "SEQUENCE", "SUMMARY", "DTSTART", "ORGANIZER", "ATTENDEE", "LOCATION", "URL",
                 "DESCRIPTION"):
        assert name in event, f"{method} lacks {name}"
    assert str(event["ORGANIZER"]) == ORGANIZER
    attendee = event["ATTENDEE"]
    assert not isinstance(attendee, list), "one attendee per invitation"
    assert attendee.params["PARTSTAT"] == "NEEDS-ACTION" and attendee.params["RSVP"] == "TRUE"
    assert attendee.params["ROLE"] == "REQ-PARTICIPANT" and attendee.params["CN"]
    if method == "CANCEL":
        assert str(event["STATUS"]) == "CANCELLED"
    second = vobject.readOne(text)  # an independent parser must agree
    assert second.vevent.uid.value == str(event["UID"])
    assert int(second.vevent.sequence.value) == int(event["SEQUENCE"])
    assert second.vevent.summary.value == str(event["SUMMARY"])
    return {"uid": str(event["UID"]), "sequence": int(event["SEQUENCE"]), "summary": str(event["SUMMARY"]),
            "start": event.decoded("DTSTART"), "end": event.decoded("DTEND"),
            "location": str(event.get("LOCATION", "")), "description": str(event.get("DESCRIPTION", "")),
            "cn": attendee.params["CN"], "vobject": second}


def invitations(mailbox, address):
    """The invitation emails one person received, oldest first."""
    return [m for m in mailbox.to(address) if m.get_content_type() == "multipart/mixed"]
