"""Error pages: every HTTP error renders a page with a clear message; a 500 rolls back."""
from flask import Flask, render_template
from flask_wtf.csrf import CSRFError
from werkzeug.exceptions import HTTPException, InternalServerError

from eventhub.extensions import db


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

    @app.errorhandler(HTTPException)
    def http_error(error: HTTPException):
        """Render the error with its own description."""
        if error.code is None or error.code < 400:
            return error
        return render_template("errors/error.html", code=error.code, title=error.name,
                               message=error.description), error.code

    @app.errorhandler(InternalServerError)
    def server_error(error: InternalServerError):
        """Undo the failed request's changes and apologise."""
        db.session.rollback()
        return render_template("errors/error.html", code=500, title="Something went wrong",
                               message="We could not finish that request. Nothing was saved; "
                               "please try again in a moment."), 500
