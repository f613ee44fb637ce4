"""Registration pages: the form, its confirmation, and the private page `/r/<token>`."""
from email_validator import EmailNotValidError, validate_email
from flask import abort, current_app, flash, redirect, render_template, request, session, url_for

from eventhub import limits
from eventhub.audit import ATTENDEE, changes_since, record, snapshot
from eventhub.directory.queries import member_district_ids, member_districts
from eventhub.extensions import db, limiter
from eventhub.fields import clean_line
from eventhub.models import (
    AttendeeRole,
    EventKind,
    LinkOrigin,
    RegistrationStatus,
    SeatStatus,
    VisitSeat,
    utcnow,
)
from eventhub.registration import bp
from eventhub.registration.form_cache import CSRF_PLACEHOLDER, blank_form_cache
from eventhub.registration.forms import (
    MAX_COLLEAGUES,
    AcceptPlaceForm,
    AttendeeForm,
    ConfirmForm,
    HandoverForm,
    LostLinkForm,
    RegistrationForm,
    SplitTeamForm,
    VisitChoicesForm,
    with_visit_fields,
)
from eventhub.registration.handover import (
    accept_place,
    offer_for_token,
    offer_place,
    open_offer,
    withdraw_offer,
)
from eventhub.registration.links import (
    feed_token,
    issue_private_link,
    live_links,
    revoke_feed,
    revoke_other_links,
)
from eventhub.registration.services import (
    AttendeeDetails,
    NotAMemberAddress,
    cancel_registration,
    confirm_email_change,
    register,
    rejoin,
    seat_summary,
    send_lost_links,
    update_details,
    waitlist_position,
)
from eventhub.registration.window import registration_window
from eventhub.visits.queries import (
    choices_for,
    full_visits,
    known_screening,
    places_for,
    seat_counts,
    standings,
    visits_by_block,
)
from eventhub.visits.services import (
    change_choices,
    choices_open,
    choices_state,
    first_come_applies,
    leave_place,
    split_party,
    within_notice,
)
from eventhub.web import (
    private_link_or_404,
    public_event_or_404,
    refusal,
    registration_from_token_or_404,
)

DONE_KEY = "registration_done"


# Offering or accepting a place, per client: a few tries (each offer emails someone).
HANDOVER_LIMIT = "5 per minute;20 per hour"
# "I lost my link", per client: a few tries; per address, whoever asks from wherever: its inbox is no target.
LOST_LINK_LIMIT = "5 per minute;20 per hour"
LOST_LINK_PER_ADDRESS_LIMIT = "5 per hour"

@bp.route("/events/<slug:slug>/register", methods=["GET", "POST"], endpoint="register")
@limiter.limit(limits.setting("REGISTRATION_LIMIT_PER_CLIENT"), methods=["POST"], key_func=limits.client_key,
               deduct_when=limits.succeeded,
               error_message="Too many registrations came from this connection in the last hour. Please try "
                             "again later, or ask the network's staff to add the rest of your team.")
@limiter.limit(limits.setting("REGISTRATION_LIMIT_PER_EMAIL"), methods=["POST"],
               key_func=lambda: limits.address_key("register"), deduct_when=limits.succeeded,
               error_message="This email address was registered several times in the last hour. Please try "
                             "again later; your private link is in the email we sent.")
def register_form(slug: str):
    """Show the form; on POST register the person and their team."""
    event = public_event_or_404(slug)
    window = registration_window(event, utcnow())
    if not window.is_open:
        # A POST here must not look like a success; the page explains why.
        status = 403 if request.method == "POST" else 200
        return render_template("registration/closed.html", event=event, message=window.message), status

    if request.method == "GET" and not session.get("_flashes"):
        return blank_form_cache.page(event, lambda: _render_blank_form(event))
    blocks = visits_by_block(event)
    form_class = _with_visits(RegistrationForm, event, blocks)
    form = form_class()
    form.offer_districts(member_district_ids())  # names are loaded only if the form is shown again
    if request.method == "POST" and (_edit_colleague_rows(form) or form.searched):
        return _render_form(event, form, 200)
    if not form.validate_on_submit():
        return _render_form(event, form, 422 if request.method == "POST" else 200)
    colleagues = form.colleague_details()
    with refusal() as refused:
        register(event, form.attendee_details(), colleagues,
                 visits=form.visit_request() if getattr(form, "visit_blocks", None) else None)
    if isinstance(refused.error, NotAMemberAddress):  # shown on the address to change
        rows = [entry.form for entry in form.colleagues if not entry.form.is_blank()]
        where = form.email if refused.error.position == 0 else rows[refused.error.position - 1].email
        where.errors = [*where.errors, refused.message]
        return _render_form(event, form, 422)
    if refused:
        return render_template("registration/closed.html", event=event, message=refused.message), 403
    # Nothing personal: the cookie outlives the visit on a shared computer, and this page may be shown again.
    session[DONE_KEY] = {"event_id": event.id, "colleagues": len(colleagues)}
    done_url = url_for("registration.done", slug=event.slug)  # read before the commit expires `event`
    db.session.commit()
    return redirect(done_url)


def _render_blank_form(event) -> str:
    """The empty form, its CSRF token left as a placeholder for the cache to fill in per visitor."""
    blocks = visits_by_block(event)
    form = _with_visits(RegistrationForm, event, blocks)(formdata=None)
    form.set_districts(member_districts())
    if "csrf_token" in form:
        form.csrf_token.current_token = CSRF_PLACEHOLDER
    return render_template("registration/form.html", event=event, form=form, seats=seat_summary(event),
                           visit_counts=_visit_counts(form), choices=_choices_if_visits(event))


def _choices_if_visits(event):
    """Where the event's visit choices stand, for the form's notice; None for an event without visits."""
    return choices_state(event, utcnow()) if event.visits else None


def _render_form(event, form: RegistrationForm, status: int):
    """The registration form page."""
    form.offer_districts(member_districts())
    return render_template("registration/form.html", event=event, form=form, seats=seat_summary(event),
                           visit_counts=_visit_counts(form), choices=_choices_if_visits(event)), status


def _with_visits(base, event, blocks):
    """The form class with visit choices for this event's blocks still open to choices, if any; where seats
    go first come, a full visit is offered as "waiting list only"."""
    now = utcnow()
    blocks = [(block, visits) for block, visits in blocks if choices_open(event, block.id if block else None, now)]
    if not blocks:
        return base
    first_come = [visits for block, visits in blocks if first_come_applies(event, block.id if block else None)]
    visits = [v for _, vs in blocks for v in vs]
    counts = seat_counts([v.id for v in visits])
    return with_visit_fields(base, blocks, peer_visit=event.kind is EventKind.PEER_VISIT,
                             collect_screening=len(first_come) == len(blocks),
                             full=full_visits([v for vs in first_come for v in vs], counts), seat_counts=counts,
                             closed={v.id for v in visits if within_notice(v, now)})


def _visit_counts(form) -> dict:
    """Seats taken and waiting per visit shown on the form (read once, with the form's choices)."""
    return getattr(form, "seat_counts", {})


def _edit_colleague_rows(form: RegistrationForm) -> bool:
    """Handle the "Add a colleague" and "Remove" buttons (no JavaScript needed); True if pressed."""
    if form.add_colleague.data:
        if len(form.colleagues) < MAX_COLLEAGUES:
            form.colleagues.append_entry()
        else:
            flash(f"A team registration can include at most {MAX_COLLEAGUES} colleagues.", "error")
        return True
    remove = request.form.get("remove_colleague")
    if remove is not None:
        keep = [entry.data for index, entry in enumerate(form.colleagues) if str(index) != remove]
        while len(form.colleagues):
            form.colleagues.pop_entry()
        for data in keep:
            form.colleagues.append_entry(data)
        return True
    return False


@bp.get("/events/<slug:slug>/register/done")
def done(slug: str):
    """After registering: the same page whether the address was new or already registered (no page may
    reveal who is), saying that the confirmation went to the address given, what comes next and what to do
    if it does not arrive. It names nobody: the session holds no address or name to show."""
    event = public_event_or_404(slug)
    outcome = session.get(DONE_KEY)
    if not isinstance(outcome, dict) or outcome.get("event_id") != event.id:
        return redirect(url_for("events.detail", slug=event.slug))
    colleagues = outcome.get("colleagues")
    return render_template("registration/done.html", event=event,
                           colleagues=colleagues if isinstance(colleagues, int) else 0,
                           mail_from=current_app.config["MAIL_FROM"])


@bp.get("/r/<token>")
def private_page(token: str):
    """The attendee's own page: their registration, team, what they can change, their calendar feed and the
    private links that open this page."""
    link = private_link_or_404(token)
    registration = link.registration
    feed = None
    if registration.status is RegistrationStatus.CONFIRMED:
        feed = feed_token(registration)  # made the first time: committed before it is shown
        db.session.commit()
    event = registration.event
    return render_template(
        "registration/private.html",
        token=token,
        this_link=link,
        links=live_links(registration),
        feed=feed,
        registration=registration,
        event=event,
        position=waitlist_position(registration),
        window=registration_window(event, utcnow()),
        confirm_form=ConfirmForm(),
        places=standings(places_for(registration)),
        team=[(member, standings(places_for(member))) for member in registration.team_members],
        offer=open_offer(registration),
        choices=choices_for(registration),
        has_visits=bool(visits_by_block(event)),
        choices_state=choices_state(event, utcnow()),
    )


SELF_SERVICE_FIELDS = ["legal_first_name", "legal_last_name", "preferred_name", "mobile", "role", "title", "district",
                       "other_organization", "dietary", "allergies", "accessibility", "accessibility_notes",
                       "photo_consent", "emergency_contact_name", "emergency_contact_phone"]


def _log(registration, action: str, *, changes: dict | None = None, note: str = "") -> None:
    """Write the attendee's own change to the audit log, so organizers see who changed what."""
    record(action, "registration", registration.id, registration.legal_name, event=registration.event,
           changes=changes, note=" ".join(filter(None, ["by the attendee, from their private link.", note])),
           user=ATTENDEE)


@bp.post("/r/<token>/links/sign-out")
def sign_out_elsewhere(token: str):
    """"Sign out everywhere else": every other link to this page stops working (a forwarded email, an old
    printout, a shared computer). The link in use, and the calendar feed, keep working."""
    link = private_link_or_404(token)
    registration = link.registration
    if not ConfirmForm().validate_on_submit():
        abort(400, "Reload the page and try again.")
    count = revoke_other_links(registration, keep=link)
    _log(registration, "revoked_private_links", note=f"{count} other link{'s' if count != 1 else ''}")
    db.session.commit()
    flash("Every other link to this page has stopped working; this one still works. Keep it, or ask for a "
          "new link by email when you need one." if count else "No other link to this page was working.",
          "success")
    return redirect(url_for("registration.private_page", token=token) + "#links-title")


@bp.post("/r/<token>/calendar/renew")
def renew_calendar_feed(token: str):
    """Stop the calendar feed's address (it was shared too widely) and show a new one to subscribe to."""
    registration = registration_from_token_or_404(token)
    if not ConfirmForm().validate_on_submit():
        abort(400, "Reload the page and try again.")
    revoke_feed(registration)
    _log(registration, "renewed_calendar_feed")
    db.session.commit()
    flash("The old calendar address has stopped working: calendars subscribed to it no longer update. "
          "Subscribe again with the new address below.", "success")
    return redirect(url_for("registration.private_page", token=token) + "#calendar-title")


@bp.route("/r/<token>/edit", methods=["GET", "POST"])
def edit(token: str):
    """Change one's details."""
    registration = registration_from_token_or_404(token)
    if registration.status is RegistrationStatus.CANCELLED:
        flash("This registration is cancelled. Register again before changing your details.", "error")
        return redirect(url_for("registration.private_page", token=token))
    form = AttendeeForm()
    if request.method == "GET":
        form.fill_from(registration)
    form.offer_districts(member_districts())
    if request.method == "POST" and not form.searched and form.validate_on_submit():
        new_email = form.email.data
        before = snapshot(registration, SELF_SERVICE_FIELDS)
        with refusal() as refused:
            email_change = update_details(registration, form.attendee_details())
        if refused:
            flash(refused.message, "error")
            return redirect(url_for("registration.private_page", token=token))
        _log(registration, "edited", changes=changes_since(before, registration),
             note=f"asked to change the email to {new_email}" if email_change else "")
        db.session.commit()
        flash("Your details are saved.", "success")
        if email_change:
            # Flashed messages travel in the session cookie: they name no address or person.
            flash("To change your email, open the link we have just sent to the new address. "
                  "Until then we keep writing to your current address.", "info")
        return redirect(url_for("registration.private_page", token=token))
    status = 422 if request.method == "POST" else 200
    return render_template("registration/edit.html", token=token, registration=registration,
                           event=registration.event, form=form), status


@bp.route("/email-change/<signed>", methods=["GET", "POST"])
def confirm_email(signed: str):
    """Confirm a new email address: GET shows a button (mail scanners follow links), POST applies it."""
    form = ConfirmForm()
    if not form.validate_on_submit():
        return render_template("registration/confirm_email.html", form=form, signed=signed)
    with refusal() as refused:
        registration, token = confirm_email_change(signed)
    if refused:
        return render_template("registration/confirm_email.html", form=None, message=refused.message), 409
    _log(registration, "email_changed", note=f"confirmed {registration.email} from the emailed link")
    db.session.commit()
    flash("Your email address is changed: we write to the new one from now on.", "success")
    return redirect(url_for("registration.private_page", token=token))


@bp.route("/r/<token>/visits", methods=["GET", "POST"])
def visit_choices(token: str):
    """Rank visits again, give screening details, or clear a block."""
    registration = registration_from_token_or_404(token)
    event = registration.event
    blocks = visits_by_block(event)
    if not blocks:
        abort(404, "This event has no school visits to choose.")
    if registration.status is RegistrationStatus.CANCELLED:
        flash("This registration is cancelled. Register again before choosing visits.", "error")
        return redirect(url_for("registration.private_page", token=token))
    form_class = _with_visits(VisitChoicesForm, event, blocks)
    if form_class is VisitChoicesForm:
        flash("Visit choices are closed while seats are being allocated; we will email you your visits.", "info")
        return redirect(url_for("registration.private_page", token=token))
    form = form_class()
    if request.method == "GET":
        form.fill_choices(choices_for(registration))
        form.offer_ids_for(form.chosen_schools())
        form.prefill_screening(known_screening(registration))
    elif form.validate_on_submit():
        request_ = form.visit_request()
        with refusal() as refused:
            change_choices(registration, request_.choices, screening=request_.screening)
        if refused:
            flash(refused.message, "error")
        else:
            _log(registration, "visit_choices_changed",
                 note="; ".join(f"{c.rank}. {c.visit.title}" for c in choices_for(registration)))
            db.session.commit()
            flash("Your visit choices are saved.", "success")
            return redirect(url_for("registration.private_page", token=token))
    status = 422 if request.method == "POST" else 200
    return render_template("registration/visits.html", token=token, registration=registration, event=event,
                           form=form, visit_counts=_visit_counts(form)), status


@bp.route("/r/<token>/places/<int(max=2147483647):place_id>/leave", methods=["GET", "POST"])
def leave_visit(token: str, place_id: int):
    """Give up a visit seat or leave its waiting list, after a page that says what that does: a seat goes to
    the head of the visit's waiting list at once, and cannot be taken back."""
    registration = registration_from_token_or_404(token)
    place = db.session.get(VisitSeat, place_id)
    if place is None or place.registration_id != registration.id or place.status is SeatStatus.CANCELLED:
        abort(404, "You have no place on that visit.")
    form = ConfirmForm()
    if not form.validate_on_submit():
        if request.method == "POST":
            abort(400, "Reload the page and try again.")
        _, waiting = seat_counts([place.visit_id])[place.visit_id]
        return render_template("registration/leave_visit.html", token=token, registration=registration,
                               event=registration.event, place=place, visit=place.visit, form=form,
                               waiting=waiting if place.status is SeatStatus.CONFIRMED else 0)
    was_waiting = place.status is SeatStatus.WAITLISTED
    title = place.visit.title
    promoted = leave_place(place)
    _log(registration, "left_visit_waitlist" if was_waiting else "gave_up_visit_seat", note=title)
    db.session.commit()
    if was_waiting:
        flash(f"You have left the waiting list of “{title}”.", "success")
    else:
        flash(f"You have given up your seat on “{title}”. "
              + ("It went to the next person on its waiting list." if promoted else "It is free for others to book."),
              "success")
    return redirect(url_for("registration.private_page", token=token) + "#visits-title")


@bp.post("/r/<token>/places/<int(max=2147483647):place_id>/split")
def split_team(token: str, place_id: int):
    """The lead of a team waiting together seats some of it now, on the seats held for it."""
    registration = registration_from_token_or_404(token)
    place = db.session.get(VisitSeat, place_id)
    if place is None or place.registration_id != registration.id or place.status is not SeatStatus.WAITLISTED:
        abort(404, "You are not waiting for that visit.")
    [standing] = standings([place])
    form = SplitTeamForm()
    form.set_party(standing)
    if not form.validate_on_submit():
        abort(400, "Choose who takes the seats, then try again.")
    title = place.visit.title
    with refusal() as refused:
        seated = split_party(registration, place.id, form.seated.data)
    if refused:
        flash(refused.message, "error")
    else:
        _log(registration, "split_team", note=f"{title}: " + ", ".join(p.registration.display_name for p in seated))
        db.session.commit()
        flash(f"{len(seated)} of your team {'has' if len(seated) == 1 else 'have'} a seat on “{title}” now, as "
              "you chose; each gets an email. "
              "The rest of your team keeps waiting at the head of the list.", "success")
    return redirect(url_for("registration.private_page", token=token) + "#visits-title")


def _address_asked_for() -> str:
    """The rate-limit key of a lost-link request: the address as the form normalises it (control characters
    gone, the same ASCII form), so variants of one address share one count."""
    typed = clean_line(request.form.get("email", ""))[:254]
    try:
        typed = validate_email(typed, check_deliverability=False, allow_smtputf8=False).ascii_email or typed
    except EmailNotValidError:
        pass
    return "lost-link:" + typed.lower()


@bp.route("/lost-link", methods=["GET", "POST"])
@limiter.limit(LOST_LINK_LIMIT, methods=["POST"])
@limiter.limit(LOST_LINK_PER_ADDRESS_LIMIT, methods=["POST"], key_func=_address_asked_for)
def lost_link():
    """A fresh private link to whoever registered with an address; the same answer whether or not anyone did."""
    form = LostLinkForm()
    if form.validate_on_submit():
        send_lost_links(form.email.data)
        db.session.commit()
        return render_template("registration/lost_link_sent.html", email=form.email.data,
                               mail_from=current_app.config["MAIL_FROM"])
    return render_template("registration/lost_link.html", form=form), 422 if form.errors else 200


@bp.route("/r/<token>/hand-over", methods=["GET", "POST"])
@limiter.limit(HANDOVER_LIMIT, methods=["POST"])
def hand_over(token: str):
    """Offer one's place to a colleague of the same district, who accepts it through their own emailed link."""
    registration = registration_from_token_or_404(token)
    if registration.status is not RegistrationStatus.CONFIRMED:
        flash("Only a seat at the event can be handed on.", "error")
        return redirect(url_for("registration.private_page", token=token))
    form = HandoverForm()
    if form.validate_on_submit():
        details = AttendeeDetails(email=form.email.data, legal_first_name=form.legal_first_name.data,
                                  legal_last_name=form.legal_last_name.data, role=AttendeeRole(form.role.data))
        with refusal() as refused:
            offer = offer_place(registration, details)
        if refused:
            form.email.errors.append(refused.message)
        else:
            _log(registration, "offered_place", note=f"to {offer.colleague_name} ({offer.email})")
            db.session.commit()
            flash("We have emailed your colleague a link to accept your place. Until they do, it stays "
                  "yours.", "success")
            return redirect(url_for("registration.private_page", token=token) + "#hand-over")
    return render_template("registration/hand_over.html", token=token, registration=registration,
                           event=registration.event, form=form,
                           seats=[p for p in places_for(registration) if p.status is SeatStatus.CONFIRMED]), \
        422 if form.errors else 200


@bp.post("/r/<token>/hand-over/withdraw")
def withdraw_hand_over(token: str):
    """Take back an offer of one's place; its link stops working."""
    registration = registration_from_token_or_404(token)
    if not ConfirmForm().validate_on_submit():
        abort(400, "Reload the page and try again.")
    with refusal() as refused:
        offer = withdraw_offer(registration)
    if refused:
        flash(refused.message, "error")
    else:
        _log(registration, "withdrew_place_offer", note=f"to {offer.colleague_name}")
        db.session.commit()
        flash("Your offer is withdrawn; the place is yours.", "success")
    return redirect(url_for("registration.private_page", token=token))


@bp.route("/take-place/<token>", methods=["GET", "POST"])
@limiter.limit(HANDOVER_LIMIT, methods=["POST"])
def accept_place_page(token: str):
    """A colleague accepts the place offered to them: their own registration and private link."""
    offer = offer_for_token(token)
    if offer is None:
        abort(404, "This offer has been taken up, withdrawn, or has lapsed. Ask your colleague to offer it again.")
    giver = offer.registration
    seats = [p for p in places_for(giver) if p.status is SeatStatus.CONFIRMED]
    form = AcceptPlaceForm()
    if form.validate_on_submit():
        with refusal() as refused:
            colleague = accept_place(offer, norms_accepted=bool(form.norms.data))
        if refused:
            form.norms.errors.append(refused.message)
        else:
            record("handed_over", "registration", giver.id, giver.legal_name, event=giver.event,
                   note=f"to {colleague.legal_name} ({colleague.email}), who accepted from the emailed link",
                   user=ATTENDEE)
            new_token = issue_private_link(colleague, LinkOrigin.PAGE)
            db.session.commit()
            flash("The place is yours. We have emailed you your confirmation.", "success")
            return redirect(url_for("registration.private_page", token=new_token))
    return render_template("registration/accept_place.html", offer=offer, giver=giver, event=giver.event,
                           seats=seats, form=form), 422 if form.errors else 200


@bp.route("/r/<token>/cancel", methods=["GET", "POST"])
def cancel(token: str):
    """Ask for confirmation, then cancel the registration."""
    registration = registration_from_token_or_404(token)
    form = ConfirmForm()
    if form.validate_on_submit():
        already_cancelled = registration.status is RegistrationStatus.CANCELLED
        was = registration.status.value
        with refusal() as refused:
            cancel_registration(registration)
        if refused:
            flash(refused.message, "error")
        else:
            if not already_cancelled:
                _log(registration, "cancelled", changes={"status": [was, "cancelled"]})
            db.session.commit()
            if not already_cancelled:
                flash("Your registration is cancelled. We have emailed you a confirmation.", "success")
        return redirect(url_for("registration.private_page", token=token))
    if registration.status is RegistrationStatus.CANCELLED:
        return redirect(url_for("registration.private_page", token=token))
    return render_template("registration/cancel.html", token=token, registration=registration,
                           event=registration.event, form=form)


@bp.post("/r/<token>/rejoin")
def rejoin_event(token: str):
    """Register again after cancelling."""
    registration = registration_from_token_or_404(token)
    form = ConfirmForm()
    if not form.validate_on_submit():
        abort(400, "This form could not be accepted. Reload the page and try again.")
    with refusal() as refused:
        rejoin(registration)
    if refused:
        flash(refused.message, "error")
        return redirect(url_for("registration.private_page", token=token))
    _log(registration, "rejoined", changes={"status": ["cancelled", registration.status.value]})
    db.session.commit()
    if registration.status is RegistrationStatus.CONFIRMED:
        flash("You are registered again.", "success")
    else:
        flash("The event is full, so you are on the waiting list.", "success")
    return redirect(url_for("registration.private_page", token=token))


