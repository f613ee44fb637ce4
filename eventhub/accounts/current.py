"""Who a request is signed in as: the session cookie's token, checked against its row before any view runs."""
from flask import Flask, g, request, session
from flask_login import login_user, logout_user

from eventhub.accounts.sessions import end_session, live_session, start_session, still_valid, touch
from eventhub.extensions import db, login_manager
from eventhub.models import SignIn, User

# The key of the session cookie that holds the sign-in's token.
SESSION_KEY = "sign_in"


def sign_in(user: User) -> None:
    """Start a server-side session for the person and put its token in a fresh cookie (the caller commits).
    Whatever the cookie held before is dropped, so nothing set before signing in carries over."""
    session.clear()
    session[SESSION_KEY] = start_session(user)
    session.permanent = True  # kept across browser restarts, up to SESSION_MAX_DAYS
    login_user(user)


def sign_out() -> None:
    """End this session on the server and empty its cookie (the caller commits)."""
    token = session.get(SESSION_KEY)
    if isinstance(token, str):
        end_session(token)
    logout_user()
    session.clear()


def register(app: Flask) -> None:
    """Check every request's sign-in before its view, and load the user from it."""
    @app.before_request
    def check_sign_in() -> None:
        token = session.get(SESSION_KEY)
        if token is None or request.endpoint == "static":
            return
        found = live_session(token) if isinstance(token, str) else None
        if found is None:
            session.clear()  # signed out, idle too long, too old, or revoked: the cookie opens nothing
            return
        g.sign_in = found
        if touch(found):
            db.session.commit()  # before the view, so it commits nothing of the view's

    @login_manager.user_loader
    def load_user(user_id: str) -> User | None:
        """The account of this request's live sign-in (see check_sign_in), if it is active and still on the
        password it signed in with."""
        found: SignIn | None = g.get("sign_in")
        if found is None or str(found.user_id) != user_id or not still_valid(found):
            return None
        return found.user
