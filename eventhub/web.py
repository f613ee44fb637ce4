"""What every feature's views share: the 404 decisions, showing a refusal in the view's own way, the
security headers of every response and those of a private page."""
from typing import TypeVar

from flask import Flask, Response, abort, current_app, request
from flask_login import current_user
from werkzeug.routing import Rule
from werkzeug.wrappers import Response as BaseResponse

from eventhub.accounts.access import can_see_event, can_see_visit
from eventhub.errors import DomainError
from eventhub.events.services import event_by_slug, public_event
from eventhub.extensions import db
from eventhub.models import Event, PrivateLink, Registration, Visit
from eventhub.network import logo_png
from eventhub.registration.links import open_private_link

# A Flask response, or Werkzeug's (what redirect() returns).
AnyResponse = TypeVar("AnyResponse", bound=BaseResponse)
# Route arguments that carry a secret: a private link's token, a signed email change, a password link.
SECRET_ARGUMENTS = frozenset({"token", "signed"})
NO_STORE = "no-store"
# A private response that a client may keep if it asks again first (the personal calendar feed, whose
# ETag answers 304): never shared, never used unchecked.
REVALIDATED = "private, no-cache"


class Refusal:
    """`with refusal() as refused:` around a change a view shows refused in its own way (a flash and a
    redirect, a form with the reason, a 409 page). A DomainError raised inside is caught and everything
    the change did to the session is undone; `refused` is then true and holds the error. Any other
    exception passes; a DomainError a view does not catch this way reaches the app's own page."""

    def __init__(self) -> None:
        self.error: DomainError | None = None

    def __enter__(self) -> "Refusal":
        return self

    def __exit__(self, kind, error, traceback) -> bool:
        if not isinstance(error, DomainError):
            return False
        db.session.rollback()
        self.error = error
        return True

    def __bool__(self) -> bool:
        return self.error is not None

    @property
    def message(self) -> str:
        return self.error.message if self.error else ""

    @property
    def status(self) -> int:
        return self.error.status if self.error else 200


def refusal() -> Refusal:
    """Catch a refused change, undo it, and keep the reason (see Refusal)."""
    return Refusal()


def pdf_or_503(html: str) -> bytes:
    """Print a document (with the network's logo where it names it); WeasyPrint loads on first use, so the
    rest of the app runs without Pango, and a server that cannot print answers 503 saying so."""
    try:
        from eventhub.printing.render import render_pdf
    except OSError:  # WeasyPrint needs the Pango library (Debian: libpango-1.0-0 libpangoft2-1.0-0)
        current_app.logger.exception("printing is unavailable")
        abort(503, "Printing is not available on this server right now; please tell the network's staff.")
    return render_pdf(html, logo=logo_png())


def event_or_404(slug: str) -> Event:
    """The event at a back-office address, or 404: drafts for organizers only (to anyone else signed in, a
    draft does not exist)."""
    event = event_by_slug(slug)
    if event is None or not can_see_event(current_user, event):
        abort(404, "There is no event at this address.")
    return event


def public_event_or_404(slug: str) -> Event:
    """A published or cancelled event at a public address, or 404 (drafts are not public)."""
    return public_event(slug) or abort(404, "There is no event at this address.")


def part_of_event_or_404(model, row_id: int, event: Event, what: str):
    """The agenda item or visit with this id, if it belongs to the event; else a 404 naming it."""
    row = db.session.get(model, row_id)
    if row is None or row.event_id != event.id:
        abort(404, f"That {what} is not part of this event.")
    return row


def visit_or_404(visit_id: int) -> Visit:
    """A visit at a back-office address of its own: 404 if it does not exist or its event is a draft the
    signed-in user may not see, 403 if it is at another district's school."""
    visit = db.session.get(Visit, visit_id)
    if visit is None or not can_see_event(current_user, visit.event):
        abort(404, "There is no such visit.")
    if not can_see_visit(current_user, visit):
        abort(403, "This visit is at another district's school.")
    return visit


def visible_visit_or_404(event: Event, visit_id: int) -> Visit:
    """The event's visit, if the signed-in user may see it (403 for another district's school)."""
    visit = part_of_event_or_404(Visit, visit_id, event, "visit")
    if not can_see_visit(current_user, visit):
        abort(403, "This visit is at another district's school.")
    return visit


def private_link_or_404(token: str) -> PrivateLink:
    """The live management link of a token, with its registration; unknown, retired and revoked links are a
    404. Its use is recorded (at most once an hour) and committed at once, before the page does anything."""
    link = open_private_link(token)
    if link is None:
        abort(404, "This private link is not valid. It may have been replaced by a newer one: "
                   "check your most recent email from us, or register again to be sent a new link.")
    if link in db.session.dirty:
        db.session.commit()
    return link


def registration_from_token_or_404(token: str) -> Registration:
    """The registration a private link opens (see private_link_or_404)."""
    return private_link_or_404(token).registration


def mark_private(response: AnyResponse, *, revalidate: bool = False) -> AnyResponse:
    """Keep a page private: out of caches (or, with `revalidate`, checked again before any reuse), its
    address never sent on as a Referer, and out of search engines."""
    response.headers["Cache-Control"] = REVALIDATED if revalidate else NO_STORE
    response.headers["Referrer-Policy"] = "no-referrer"
    response.headers["X-Robots-Tag"] = "noindex"
    return response


def carries_secret(rule: Rule | None) -> bool:
    """Whether a route's address holds a secret."""
    return rule is not None and bool(SECRET_ARGUMENTS & rule.arguments)


# What a page may load and who may frame it. Scripts come only from this site's own files: no inline
# script, no handler attribute, no eval. Styles likewise (pages have no style attribute; emails and
# printouts, which do, are not pages).
CONTENT_SECURITY_POLICY = "; ".join([
    "default-src 'self'", "script-src 'self'", "style-src 'self'", "img-src 'self'", "font-src 'self'",
    "connect-src 'self'", "object-src 'none'", "base-uri 'none'", "form-action 'self'", "frame-ancestors 'none'",
])
HSTS = "max-age=31536000"  # a year; sent only when BASE_URL is https


def is_back_office(path: str) -> bool:
    """Whether an address is in the back office (every page there shows what only staff may see)."""
    return path == "/admin" or path.startswith("/admin/")


def security_headers(response: Response, *, https: bool) -> Response:
    """The headers every response carries, its error pages and files included."""
    headers = response.headers
    headers.setdefault("Content-Security-Policy", CONTENT_SECURITY_POLICY)
    headers.setdefault("X-Frame-Options", "DENY")
    headers.setdefault("X-Content-Type-Options", "nosniff")
    headers.setdefault("Referrer-Policy", "same-origin")
    if https:
        headers.setdefault("Strict-Transport-Security", HSTS)
    return response


def register(app: Flask) -> None:
    """Security headers on every response; every response of a route with a secret in its address, and of
    the back office, private (error pages included)."""
    https = app.config["BASE_URL"].startswith("https://")

    @app.after_request
    def keep_private_pages_private(response: Response) -> Response:
        if carries_secret(request.url_rule) or is_back_office(request.path):
            mark_private(response, revalidate=response.headers.get("Cache-Control") == REVALIDATED)
        return security_headers(response, https=https)
