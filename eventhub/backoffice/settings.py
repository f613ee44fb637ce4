"""The network's settings page (admins): its name, short name, reply-to mailbox and about text."""
from email.utils import parseaddr

from flask import current_app, flash, redirect, render_template, url_for

from eventhub.accounts.access import admin_required
from eventhub.backoffice import bp
from eventhub.backoffice.forms import NetworkForm
from eventhub.extensions import db
from eventhub.network import FIELDS, current_network, defaults, update_network
from eventhub.web import refusal


@bp.route("/settings", methods=["GET", "POST"])
@admin_required
def network_settings():
    """Change what pages, emails and printouts call the network; each change is in the audit log."""
    form = NetworkForm(obj=current_network())
    if form.validate_on_submit():
        with refusal() as refused:
            changes = update_network(**{name: getattr(form, name).data or "" for name in FIELDS})
        if refused.error:
            getattr(form, getattr(refused.error, "field", "name")).errors.append(refused.message)
        else:
            db.session.commit()
            flash("Saved." if changes else "Nothing changed.", "success")
            return redirect(url_for("backoffice.network_settings"))
    return render_template("backoffice/settings.html", form=form, defaults=defaults(),
                           sender=parseaddr(current_app.config["MAIL_FROM"])[1]), 422 if form.errors else 200
