"""Signing in and out of the back office."""
from urllib.parse import urlsplit

import sqlalchemy as sa
from flask import flash, redirect, render_template, request, url_for
from flask_login import current_user, login_required, login_user, logout_user

from eventhub.accounts import bp
from eventhub.accounts.access import is_organizer
from eventhub.accounts.forms import SignInForm
from eventhub.events.services import listed_events
from eventhub.extensions import db, limiter
from eventhub.models import User, utcnow

# Attempts per address: enough for typing mistakes, too few to guess a password.
SIGN_IN_LIMIT = "10 per minute;50 per hour"


def _safe_next(target: str | None) -> str:
    """Only a path on this site, never another host (an open redirect)."""
    if target and target.startswith("/") and not target.startswith("//") and not urlsplit(target).netloc:
        return target
    return url_for("accounts.home")


@bp.route("/login", methods=["GET", "POST"])
@limiter.limit(SIGN_IN_LIMIT, methods=["POST"])
def login():
    """Sign in with email and password; the same answer whether the email or the password was wrong."""
    if current_user.is_authenticated:
        return redirect(_safe_next(request.args.get("next")))
    form = SignInForm()
    if form.validate_on_submit():
        email = form.email.data.strip().lower()
        user = db.session.scalar(sa.select(User).where(User.email == email))
        if user is not None and user.is_active and user.check_password(form.password.data):
            login_user(user)
            return redirect(_safe_next(request.args.get("next")))
        form.password.errors.append("That email and password do not match an active account.")
    status = 422 if form.errors else 200
    return render_template("accounts/login.html", form=form), status


@bp.post("/logout")
@login_required
def logout():
    """Sign out."""
    logout_user()
    flash("You are signed out.", "success")
    return redirect(url_for("accounts.login"))


@bp.get("/")
@login_required
def home():
    """The back office's front page: the events and what can be done with them."""
    upcoming, past = listed_events(utcnow())
    return render_template("accounts/home.html", upcoming=upcoming, past=past,
                           is_organizer=is_organizer(current_user))
