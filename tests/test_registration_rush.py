"""A registration rush against a live server: never more confirmed than seats, never a 5xx."""
import threading
from concurrent.futures import ThreadPoolExecutor
from urllib.error import HTTPError
from urllib.parse import urlencode
from urllib.request import HTTPRedirectHandler, Request, build_opener

import pytest
import sqlalchemy as sa
from werkzeug.serving import make_server

from eventhub.extensions import db
from eventhub.models import Registration, RegistrationStatus, SeatStatus, VisitSeat
from eventhub.visits.queries import seat_position

from conftest import free_port

SEATS = 10
PEOPLE = 60


class NoRedirect(HTTPRedirectHandler):
    """Report the 302 after a registration instead of following it."""

    def redirect_request(self, *args, **kwargs):
        return None


@pytest.fixture
def live_url(make_app):
    """The app served by a threaded server, as in production, on a free port."""
    port = free_port()
    app = make_app(MAIL_SEND_ON_COMMIT=False)
    server = make_server("127.0.0.1", port, app, threaded=True)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    with app.app_context():
        yield f"http://127.0.0.1:{port}"
    server.shutdown()
    thread.join(timeout=5)


def rush(url: str, forms: list[dict]) -> list[int]:
    """POST every form at once (released together by a barrier); return the HTTP statuses."""
    opener = build_opener(NoRedirect)
    start = threading.Barrier(len(forms))

    def post(form: dict) -> int:
        body = urlencode(form).encode()
        start.wait()
        try:
            return opener.open(Request(url, data=body), timeout=120).status
        except HTTPError as error:
            return error.code

    with ThreadPoolExecutor(max_workers=len(forms)) as pool:
        return list(pool.map(post, forms))


def person(n: int, district_id: int, email: str | None = None, **extra) -> dict:
    """A minimal valid registration form."""
    return {"legal_first_name": "P", "legal_last_name": f"Rush {n}", "email": email or f"p{n}@example.org",
            "role": "teacher", "district": district_id, "photo_consent": "no", **extra}


def test_a_rush_on_the_last_seats_never_oversells(live_url, make_event):
    event = make_event(capacity=SEATS)
    forms = [person(n, event.hosts[0].id) for n in range(PEOPLE)]
    statuses = rush(f"{live_url}/events/{event.slug}/register", forms)
    assert statuses == [302] * PEOPLE
    db.session.expire_all()
    counts = dict(db.session.execute(
        sa.select(Registration.status, sa.func.count()).group_by(Registration.status)).all())
    assert counts == {RegistrationStatus.CONFIRMED: SEATS, RegistrationStatus.WAITLISTED: PEOPLE - SEATS}


VISIT_SEATS = 10
VISIT_RUSH = 120


def test_a_rush_on_a_ten_seat_visit_never_oversells(live_url, make_event, make_visit):
    """At least 100 simultaneous bookings of a 10-seat visit: exactly 10 seats, the rest waiting, no 5xx."""
    event = make_event(capacity=None)
    visit = make_visit(event, seats=VISIT_SEATS)
    visit_id = visit.id
    forms = [person(n, event.hosts[0].id, **{f"visit_{visit.block_id}_1": visit_id, "norms": "y"})
             for n in range(VISIT_RUSH)]
    statuses = rush(f"{live_url}/events/{event.slug}/register", forms)
    assert statuses == [302] * VISIT_RUSH
    db.session.expire_all()
    counts = dict(db.session.execute(
        sa.select(VisitSeat.status, sa.func.count()).where(VisitSeat.visit_id == visit_id)
        .group_by(VisitSeat.status)).all())
    assert counts == {SeatStatus.CONFIRMED: VISIT_SEATS, SeatStatus.WAITLISTED: VISIT_RUSH - VISIT_SEATS}
    waiting = db.session.scalars(sa.select(VisitSeat).where(VisitSeat.status == SeatStatus.WAITLISTED)).all()
    assert sorted(seat_position(seat) for seat in waiting) == list(range(1, VISIT_RUSH - VISIT_SEATS + 1))


def test_the_same_email_twenty_times_at_once_registers_once(live_url, make_event):
    event = make_event()
    forms = [person(n, event.hosts[0].id, email="same@example.org") for n in range(20)]
    assert rush(f"{live_url}/events/{event.slug}/register", forms) == [302] * 20
    db.session.expire_all()
    assert db.session.scalar(sa.select(sa.func.count(Registration.id))) == 1
