"""Admins manage the back-office accounts: the list, inviting someone, changing an account, resending an invitation."""
import sqlalchemy as sa
from flask import abort, flash, redirect, render_template, url_for
from flask_login import current_user
from sqlalchemy.orm import joinedload

from eventhub.accounts import bp
from eventhub.accounts.access import admin_required
from eventhub.accounts.forms import EditUserForm, InviteUserForm
from eventhub.accounts.links import INVITATION_DAYS
from eventhub.accounts.services import (
    ROLE_LABELS,
    has_password,
    invite_user,
    resend_invitation,
    update_user,
)
from eventhub.extensions import db
from eventhub.models import District, User, UserRole
from eventhub.web import refusal


def _user_or_404(user_id: int) -> User:
    return db.session.get(User, user_id) or abort(404, "There is no account with this number.")


def _district(value: str) -> District | None:
    """The district chosen in a form (its choices are the districts that exist)."""
    return db.session.get(District, int(value)) if value else None


@bp.get("/users")
@admin_required
def users():
    """Every account: email, name, role, district, and whether it is active or still invited."""
    accounts = db.session.scalars(sa.select(User).options(joinedload(User.district)).order_by(User.email))
    return render_template("accounts/users.html", users=list(accounts), role_labels=ROLE_LABELS,
                           has_password=has_password)


@bp.route("/users/invite", methods=["GET", "POST"])
@admin_required
def invite():
    """Invite someone: their account is made without a password, and they are emailed a link to choose one."""
    form = InviteUserForm()
    menu = form.offer_districts()
    if not menu.searched and form.validate_on_submit():
        with refusal() as refused:
            user = invite_user(email=form.email.data, role=UserRole(form.role.data),
                               name=(form.name.data or "").strip(), district=_district(form.district.data),
                               invited_by=current_user)
        if refused:
            getattr(form, getattr(refused.error, "field", None) or "email").errors.append(refused.message)
        else:
            db.session.commit()
            flash(f"Invitation sent to {user.email}.", "success")
            return redirect(url_for("accounts.users"))
    status = 422 if form.errors else 200
    return render_template("accounts/user_form.html", form=form, user=None, invitation_days=INVITATION_DAYS,
                           menu=menu), status


@bp.route("/users/<int:user_id>", methods=["GET", "POST"])
@admin_required
def edit_user(user_id: int):
    """Change an account's name, role, district, or deactivate it; nobody may deactivate or demote themselves."""
    user = _user_or_404(user_id)
    form = EditUserForm(data={"name": user.name, "role": user.role.value,
                              "district": str(user.district_id or ""), "active": user.active})
    menu = form.offer_districts()
    if not menu.searched and form.validate_on_submit():
        with refusal() as refused:
            changes = update_user(user, name=(form.name.data or "").strip(), role=UserRole(form.role.data),
                                  district=_district(form.district.data), active=form.active.data,
                                  acting=current_user)
        if refused:
            getattr(form, getattr(refused.error, "field", None) or "role").errors.append(refused.message)
        else:
            db.session.commit()
            flash(f"Saved the changes to {user.email}." if changes else "Nothing changed.", "success")
            return redirect(url_for("accounts.users"))
    status = 422 if form.errors else 200
    return render_template("accounts/user_form.html", form=form, user=user, is_self=user.id == current_user.id,
                           invited=not has_password(user), invitation_days=INVITATION_DAYS, menu=menu), status


@bp.post("/users/<int:user_id>/invitation")
@admin_required
def resend(user_id: int):
    """Email the invitation again, with a new link; the earlier one stops working."""
    user = _user_or_404(user_id)
    with refusal() as refused:
        resend_invitation(user, current_user)
    if refused:
        flash(refused.message, "error")
        return redirect(url_for("accounts.edit_user", user_id=user.id))
    db.session.commit()
    flash(f"Invitation sent again to {user.email}.", "success")
    return redirect(url_for("accounts.users"))
