"""One kind of refusal: every rule raises a DomainError with its HTTP status and a message for people; the
app shows one no view caught as that status's page and rolls back; `refusal()` undoes a refused change."""
import importlib
import inspect
import pkgutil

import pytest
import sqlalchemy as sa

import eventhub
from eventhub.errors import DomainError
from eventhub.extensions import db
from eventhub.models import Event, OutboxMessage, OutboxStatus, SeatStatus
from eventhub.visits.services import VisitError
from eventhub.web import refusal

# Exceptions that are not refusals of a request: a programming error, a bad deployment, and the signal a
# composer gives the delivery loop that a queued message is no longer true (never shown to anyone).
NOT_REFUSALS = {"EventLockNotHeld", "ConfigError", "Obsolete"}


def test_every_refusal_in_eventhub_is_a_domain_error():
    found = {}
    for module in pkgutil.walk_packages(eventhub.__path__, "eventhub."):
        for name, value in vars(importlib.import_module(module.name)).items():
            if inspect.isclass(value) and issubclass(value, Exception) and value.__module__ == module.name:
                found[name] = value
    assert len(found) >= 10
    assert {name for name, kind in found.items()
            if not issubclass(kind, DomainError) and name not in NOT_REFUSALS} == set()


def test_a_refusal_carries_its_status_and_message():
    from eventhub.accounts.links import LinkError
    from eventhub.registration.registrants import BadFilter
    from eventhub.registration.services import RegistrationClosed

    assert (VisitError("That visit is full.").status, str(VisitError("That visit is full."))) == \
        (409, "That visit is full.")
    assert RegistrationClosed("Registration closed.").status == 403
    assert BadFilter("no").status == 400
    assert LinkError("This link has expired.", 410).status == 410


def test_refusal_undoes_the_change_and_keeps_the_reason(app, make_event):
    event = make_event(title="Spring Convening")
    with refusal() as refused:
        event.title = "Half done"
        db.session.flush()
        raise VisitError("That visit is full.")
    assert refused and refused.message == "That visit is full." and refused.status == 409
    assert event.title == "Spring Convening"
    assert db.session.scalar(sa.select(Event.title)) == "Spring Convening"


def test_refusal_lets_other_errors_through(app):
    with pytest.raises(KeyError), refusal():
        raise KeyError("a bug, not a refusal")
    with refusal() as refused:
        pass
    assert not refused and refused.message == ""


def test_an_uncaught_refusal_is_its_status_page_and_nothing_it_did_is_kept(app, make_event):
    event = make_event(title="Spring Convening")
    seen_at_teardown = []

    def half_done_then_refused():
        db.session.get(Event, event.id).title = "Half done"
        db.session.flush()
        raise VisitError("That visit is full.")

    app.add_url_rule("/_test/refused", "refused", half_done_then_refused, methods=["POST"])
    # Runs before the session is removed: what the request's own session holds after the refusal.
    app.teardown_request(lambda error: seen_at_teardown.append(db.session.get(Event, event.id).title))

    response = app.test_client().post("/_test/refused")

    assert response.status_code == 409
    assert "That visit is full." in response.get_data(as_text=True)
    assert seen_at_teardown == ["Spring Convening"]


def test_publishing_twice_is_refused_with_the_apps_409_page(organizer_client, make_event):
    event = make_event()  # published already
    response = organizer_client.post(f"/admin/events/{event.slug}/publish")
    assert response.status_code == 409
    assert "Only a draft can be published" in response.get_data(as_text=True)


# --- what queued mail stores -----------------------------------------------------------------------


def test_stored_kinds_and_renderer_names_keep_their_values():
    from eventhub.followup.reminders import ReminderKind, day_kind
    from eventhub.notifications.kinds import EmailKind, InviteMethod, InviteReason
    from eventhub.outbox.services import Renderer

    assert {k.value for k in Renderer} == {"registration", "broadcast", "followup"}
    assert {k.value for k in EmailKind} == {
        "registration_welcome", "registration_confirmed", "registration_waitlisted", "registration_promoted",
        "registration_updated", "registration_moved", "registration_back_to_waitlist", "registration_cancelled",
        "registration_link", "event_cancelled", "visit_allocated", "visit_invite", "team_split_offer",
        "email_change_confirm", "email_change_taken", "account_invitation", "password_reset", "broadcast",
        "guest_list_change", "place_offered"}
    assert {k.value for k in InviteMethod} == {"REQUEST", "CANCEL"}
    assert {k.value for k in InviteReason} == {"booked", "allocated", "promoted", "updated", "cancelled",
                                               "called_off", "back_to_waitlist", "address_changed", "into_draw",
                                               "replaced"}
    assert {k.value for k in ReminderKind} == {"write", "before-next", "before-event"} and day_kind(30) == "day-30"


def test_the_app_has_a_composer_for_every_stored_renderer_name(app):
    from eventhub.outbox.services import RENDERERS, Renderer

    assert set(RENDERERS) == set(Renderer)


def test_a_visit_invitation_queued_before_the_notifications_package_is_still_sent(app, make_event, make_visit,
                                                                                   book, mailbox):
    from eventhub.outbox.delivery import deliver_pending

    event = make_event()
    visit = make_visit(event)
    ana = book(event, "ana@example.org", visit)
    [seat] = ana.seats
    assert seat.status is SeatStatus.CONFIRMED
    db.session.execute(sa.update(OutboxMessage).values(status=OutboxStatus.SENT))  # what booking queued
    visit.meeting_point = "Gym entrance"  # something to tell: an update that tells nothing new is skipped
    # The row exactly as the code before this package wrote it: literal strings, no enums.
    db.session.add(OutboxMessage(kind="visit_invite", to_address="ana@example.org", subject="", raw="",
                                 renderer="registration", registration=ana,
                                 payload={"template": "visit_invite", "extra": {"reason": "updated",
                                                                                "method": "REQUEST"},
                                          "place_id": seat.id}))
    db.session.commit()

    report = deliver_pending(db.engine, app.config)

    assert len(report.sent) == 1
    [message] = mailbox.to("ana@example.org")[-1:]
    assert message["Subject"] == f"Updated invitation: School visit: {visit.title}"
