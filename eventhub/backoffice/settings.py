"""The network's settings page (admins): its name, short name, reply-to mailbox, about text, accent colour
and logo."""
from email.utils import parseaddr

from flask import current_app, flash, redirect, render_template, url_for

from eventhub.accounts.access import admin_required
from eventhub.backoffice import bp
from eventhub.backoffice.forms import NetworkForm
from eventhub.bounds import allow_body
from eventhub.extensions import db
from eventhub.logo import MAX_LOGO_BYTES
from eventhub.network import FIELDS, defaults, settings_as_chosen, update_network
from eventhub.web import refusal

# The logo's 2 MB, and room for the rest of the form and the multipart framing.
SETTINGS_BODY = MAX_LOGO_BYTES + 64 * 1024


@bp.route("/settings", methods=["GET", "POST"])
@allow_body(SETTINGS_BODY, "The logo is larger than 2 MB. Save it smaller (a logo needs no more than 800 "
                           "pixels across) and try again.")
@admin_required
def network_settings():
    """Change what pages, emails and printouts call the network, and its logo; each change is in the audit
    log."""
    form = NetworkForm(data=settings_as_chosen())
    if form.validate_on_submit():
        upload = form.logo.data
        logo = upload.stream.read(MAX_LOGO_BYTES + 1) if upload else None  # one byte over says "too large"
        with refusal() as refused:
            changes = update_network(logo=logo, remove_logo=form.remove_logo.data,
                                     **{name: getattr(form, name).data or "" for name in FIELDS})
        if refused.error:
            getattr(form, getattr(refused.error, "field", "name")).errors.append(refused.message)
        else:
            db.session.commit()
            flash("Saved." if changes else "Nothing changed.", "success")
            return redirect(url_for("backoffice.network_settings"))
    return render_template("backoffice/settings.html", form=form, defaults=defaults(),
                           sender=parseaddr(current_app.config["MAIL_FROM"])[1]), 422 if form.errors else 200
