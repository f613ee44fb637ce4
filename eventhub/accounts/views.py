"""Signing in and out of the back office, and choosing a password through an emailed link."""
from urllib.parse import urlsplit

import sqlalchemy as sa
from flask import (
    abort,
    current_app,
    flash,
    make_response,
    redirect,
    render_template,
    request,
    url_for,
)
from flask_login import current_user, login_required
from sqlalchemy.exc import IntegrityError

from eventhub import limits
from eventhub.accounts import bp
from eventhub.accounts.access import is_admin, is_organizer
from eventhub.accounts.current import sign_in, sign_out
from eventhub.accounts.forms import ChoosePasswordForm, ForgotPasswordForm, SetupForm, SignInForm
from eventhub.accounts.links import INVITATION_DAYS, LinkKind, user_for_token
from eventhub.accounts.services import (
    MIN_PASSWORD_LENGTH,
    authenticate,
    choose_password,
    send_password_reset,
)
from eventhub.accounts.setup import VALID_FOR, create_first_admin, issue_setup_code, needs_setup
from eventhub.events.services import listed_events
from eventhub.extensions import db, limiter
from eventhub.models import User, utcnow
from eventhub.web import mark_private, refusal

# Asking for reset emails, per address: a few tries, not a way to flood someone's inbox.
FORGOT_LIMIT = "5 per minute;20 per hour"
# Reset emails to one mailbox, whoever asks from wherever: its inbox is not a target either.
FORGOT_PER_MAILBOX_LIMIT = "5 per hour"
# Choosing a password through a link, per address.
CHOOSE_PASSWORD_LIMIT = "10 per minute;50 per hour"
# Tries of the first-run setup code, per client: 104 random bits are not guessed, and the log is not flooded.
SETUP_LIMIT = "5 per minute;20 per hour"


def announce_setup_code() -> None:
    """While no account exists and no setup code is live, make one and print it to the server's log."""
    try:
        code = issue_setup_code()
        db.session.commit()
    except IntegrityError:  # another worker made it at the same moment, and printed it
        db.session.rollback()
        return
    if code:
        current_app.logger.warning(
            "No account exists yet. To create the first admin, open %s and enter the setup code %s "
            "(valid for %d minutes).", current_app.config["BASE_URL"] + url_for("accounts.setup"), code,
            VALID_FOR.total_seconds() // 60)


@bp.before_app_request
def announce_at_start() -> None:
    """The first request a process serves prints the setup code, while setup is needed."""
    state = current_app.extensions.setdefault("eventhub.first_run", {"checked": False})
    if state["checked"] or not current_app.config["ANNOUNCE_SETUP_CODE"]:
        return
    state["checked"] = True
    announce_setup_code()


@bp.route("/setup", methods=["GET", "POST"])
@limiter.limit(SETUP_LIMIT, methods=["POST"], key_func=limits.client_key, deduct_when=limits.failed)
def setup():
    """The first run: the first admin creates their account with the setup code from the server's log. Once
    any account exists, this page does not."""
    if not needs_setup():
        abort(404)
    if request.method == "GET":
        announce_setup_code()  # a new code when the last one expired
    form = SetupForm()
    status = 200
    if form.validate_on_submit():
        with refusal() as refused:
            user = create_first_admin(code=form.code.data, email=form.email.data.strip().lower(),
                                      password=form.password.data, name=(form.name.data or "").strip())
        if not refused:
            sign_in(user)
            db.session.commit()
            flash("Your admin account is ready. Invite the organizers from Accounts.", "success")
            return mark_private(redirect(url_for("accounts.home")))
        form.code.errors.append(refused.message)
        status = refused.status
    elif form.errors:
        status = 422
    response = make_response(render_template("accounts/setup.html", form=form, min_length=MIN_PASSWORD_LENGTH,
                                              minutes=int(VALID_FOR.total_seconds() // 60)), status)
    return mark_private(response)


def _safe_next(target: str | None) -> str:
    """Only a path on this site, never another host (an open redirect)."""
    if target and target.startswith("/") and not target.startswith("//") and not urlsplit(target).netloc:
        return target
    return url_for("accounts.home")


@bp.route("/login", methods=["GET", "POST"])
@limiter.limit(limits.setting("SIGN_IN_LIMIT_PER_CLIENT"), methods=["POST"], key_func=limits.client_key,
               deduct_when=limits.failed)
@limiter.limit(limits.setting("SIGN_IN_LIMIT_PER_ACCOUNT"), methods=["POST"],
               key_func=lambda: limits.address_key("sign-in"), deduct_when=limits.failed)
def login():
    """Sign in with email and password; the same answer whether the email or the password was wrong."""
    if current_user.is_authenticated:
        return redirect(_safe_next(request.args.get("next")))
    form = SignInForm()
    if form.validate_on_submit():
        user = authenticate(form.email.data.strip().lower(), form.password.data)
        if user is not None:
            sign_in(user)
            db.session.commit()
            return redirect(_safe_next(request.args.get("next")))
        form.password.errors.append("That email and password do not match an active account.")
    status = 422 if form.errors else 200
    return render_template("accounts/login.html", form=form, first_run=needs_setup()), status


@bp.post("/logout")
@login_required
def logout():
    """Sign out: the session ends on the server, so a copy of its cookie opens nothing afterwards."""
    sign_out()
    db.session.commit()
    flash("You are signed out.", "success")
    return redirect(url_for("accounts.login"))


@bp.get("/")
@login_required
def home():
    """The back office's front page: the events and what can be done with them."""
    upcoming, past = listed_events(utcnow())
    return render_template("accounts/home.html", upcoming=upcoming, past=past,
                           is_organizer=is_organizer(current_user), is_admin=is_admin(current_user))


def _mailbox_asked_for() -> str:
    """The rate-limit key of a reset request: the address typed in, as the form normalises it."""
    return "forgot-password:" + " ".join(request.form.get("email", "").split()).lower()[:254]


@bp.route("/password/forgot", methods=["GET", "POST"])
@limiter.limit(FORGOT_LIMIT, methods=["POST"])
@limiter.limit(FORGOT_PER_MAILBOX_LIMIT, methods=["POST"], key_func=_mailbox_asked_for)
def forgot_password():
    """Ask for a link to choose a new password; the same answer whether or not the account exists."""
    form = ForgotPasswordForm()
    if form.validate_on_submit():
        email = form.email.data.strip().lower()
        user = db.session.scalar(sa.select(User).where(User.email == email))
        if user is not None and user.is_active:
            send_password_reset(user)
            db.session.commit()
        return render_template("accounts/forgot_sent.html", email=email,
                               hours=current_app.config["PASSWORD_RESET_HOURS"])
    status = 422 if form.errors else 200
    return render_template("accounts/forgot.html", form=form), status


@bp.route("/password/reset/<token>", methods=["GET", "POST"])
@limiter.limit(CHOOSE_PASSWORD_LIMIT, methods=["POST"])
def reset_password(token: str):
    """The link of a reset email: choose a new password (the link then stops working)."""
    return _choose_password(token, LinkKind.RESET)


@bp.route("/password/welcome/<token>", methods=["GET", "POST"])
@limiter.limit(CHOOSE_PASSWORD_LIMIT, methods=["POST"])
def accept_invitation(token: str):
    """The link of an invitation: choose a first password."""
    return _choose_password(token, LinkKind.INVITATION)


def _choose_password(token: str, kind: LinkKind):
    """The form behind both links; a link that expired, was used or is garbled gets a page saying so."""
    with refusal() as refused:
        user = user_for_token(token, kind)
    if refused:
        response = make_response(render_template("accounts/link_invalid.html", message=refused.message,
                                                 invitation=kind is LinkKind.INVITATION), refused.status)
        return mark_private(response)
    form = ChoosePasswordForm()
    if form.validate_on_submit():
        choose_password(user, form.password.data, kind)
        db.session.commit()
        if current_user.is_authenticated:
            sign_out()
            db.session.commit()
        flash("Your password is set. Sign in with it now." if kind is LinkKind.INVITATION
              else "Your new password is set. Sign in with it now.", "success")
        return mark_private(redirect(url_for("accounts.login")))
    status = 422 if form.errors else 200
    response = make_response(render_template(
        "accounts/choose_password.html", form=form, user=user, invitation=kind is LinkKind.INVITATION,
        min_length=MIN_PASSWORD_LENGTH, days=INVITATION_DAYS), status)
    return mark_private(response)


