"""Refusals and error pages. Every rule that refuses a request raises a DomainError: it carries its HTTP
status and a message for people. One that no view catches becomes that status's page, with the session
rolled back; every HTTP error renders a page with a clear message, and a 500 rolls back too."""
import logging

import sqlalchemy as sa
from flask import Flask, g, render_template
from flask_wtf.csrf import CSRFError
from werkzeug.exceptions import HTTPException, InternalServerError

from eventhub.extensions import db, login_manager

log = logging.getLogger(__name__)


class DomainError(Exception):
    """A rule refused what was asked. `message` is for the person who asked; `status` is the HTTP answer
    when the refusal reaches the app (409 unless the kind of refusal or the raiser says otherwise)."""

    status: int = 409
    title: str = "That could not be done"

    def __init__(self, message: str, *, status: int | None = None) -> None:
        super().__init__(message)
        self.message = message
        if status is not None:
            self.status = status


# PostgreSQL's SQLSTATEs of an outage: connection exceptions (class 08), a statement cancelled by the
# timeout, the server shutting down, too many connections.
OUTAGE_STATES = ("08", "57014", "57P01", "57P02", "57P03", "53300")
SQLITE_OUTAGES = ("database is locked", "unable to open database", "disk I/O error")


# Headings in words for the refusals people meet (the rest keep HTTP's own names).
TITLES = {400: "That could not be read", 413: "That form holds too much", 429: "Too many tries for now"}


def database_is_unavailable(error: Exception) -> bool:
    """Whether a database error means the database cannot serve now (not that our SQL is wrong)."""
    if isinstance(error, sa.exc.TimeoutError) or getattr(error, "connection_invalidated", False):
        return True
    original = getattr(error, "orig", None)
    state = getattr(original, "sqlstate", None)
    if type(original).__module__.startswith("psycopg"):
        return state is None or state.startswith(OUTAGE_STATES)  # no state: the connection itself failed
    return any(text in str(original) for text in SQLITE_OUTAGES)


# The g flag that makes eventhub.network answer with the environment's defaults (set for an error page).
NETWORK_DEFAULTS_ONLY = "eventhub_network_defaults_only"


def without_the_database() -> None:
    """Render the error page as nobody signed in and with the network's defaults, so that it never asks the
    database who is signed in or what the network is called."""
    g._login_user = login_manager.anonymous_user()
    setattr(g, NETWORK_DEFAULTS_ONLY, True)


def register(app: Flask) -> None:
    """Attach the handlers."""

    @app.errorhandler(CSRFError)
    def csrf_error(error: CSRFError):
        """A form posted without its token (expired page, or not from our site)."""
        message = (
            "This form could not be accepted because its security token was missing or "
            "out of date. Go back, reload the page and submit it again."
        )
        return render_template("errors/error.html", code=400, title="Please submit the form again",
                               message=message), 400

    @app.errorhandler(DomainError)
    def refused(error: DomainError):
        """A refusal no view showed in its own way: nothing it half did is kept, and the page says why."""
        db.session.rollback()
        return render_template("errors/error.html", code=error.status, title=error.title,
                               message=error.message), error.status

    @app.errorhandler(HTTPException)
    def http_error(error: HTTPException):
        """Render the error with its own description."""
        if error.code is None or error.code < 400:
            return error
        return render_template("errors/error.html", code=error.code, title=TITLES.get(error.code, error.name),
                               message=error.description), error.code

    @app.errorhandler(sa.exc.OperationalError)
    @app.errorhandler(sa.exc.InterfaceError)
    @app.errorhandler(sa.exc.TimeoutError)
    def database_unavailable(error: Exception):
        """The database is down, hung past the statement timeout, or out of connections: a page that needs
        nothing from it, and a hint to try again (nothing half done was kept). Any other database error is a
        fault of ours, and goes on to the 500 page with its traceback in the log."""
        if not database_is_unavailable(error):
            raise error
        log.warning("database unavailable: %s", str(error).splitlines()[0][:300])
        try:
            db.session.rollback()
        except Exception:  # the connection is gone; the pool will replace it
            db.session.remove()
        without_the_database()
        return render_template("errors/unavailable.html"), 503, {"Retry-After": "30"}

    @app.errorhandler(InternalServerError)
    def server_error(error: InternalServerError):
        """Undo the failed request's changes and apologise."""
        try:
            db.session.rollback()
        except Exception:
            db.session.remove()
        without_the_database()
        return render_template("errors/error.html", code=500, title="Something went wrong",
                               message="We could not finish that request. Nothing was saved; "
                               "please try again in a moment."), 500
