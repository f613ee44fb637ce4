"""One registrant in the back office: edit, move to another visit, promote from or return to a waiting list,
cancel, resend the confirmation; never over a seat limit, and each change in the audit log."""
import sqlalchemy as sa

from eventhub.extensions import db
from eventhub.models import (
    AuditEntry,
    OutboxMessage,
    Registration,
    RegistrationStatus,
    SeatStatus,
    VisitChoice,
    VisitSeat,
)

from conftest import STAFF_PASSWORD

PASSWORD = STAFF_PASSWORD



def fresh(model, row_id):
    db.session.expire_all()
    return db.session.get(model, row_id)


def place(registration_id: int, visit_id: int) -> VisitSeat | None:
    db.session.expire_all()
    return db.session.scalar(sa.select(VisitSeat).where(VisitSeat.registration_id == registration_id,
                                                        VisitSeat.visit_id == visit_id))


def sent(kind: str, to: str | None = None) -> list[OutboxMessage]:
    query = sa.select(OutboxMessage).where(OutboxMessage.kind == kind)
    if to:
        query = query.where(OutboxMessage.to_address == to)
    return list(db.session.scalars(query))


def actions() -> list[str]:
    return list(db.session.scalars(sa.select(AuditEntry.action).order_by(AuditEntry.id)))


def test_the_detail_page_shows_places_emails_and_actions(organizer_client, make_event, make_visit, book):
    event = make_event()
    visit = make_visit(event, title="Tablets in K-1")
    ana = book(event, "ana@example.org", visit, dietary=["vegan"])
    html = organizer_client.get(f"/admin/registrations/{ana.id}").get_data(as_text=True)
    assert "Tablets in K-1" in html and "Vegan" in html
    assert "You&#39;re registered for" in html or "registration_welcome" in html  # the email list
    assert "Return to the waiting list" in html and "Resend the confirmation" in html
    assert organizer_client.get("/admin/registrations/999999").status_code == 404


def test_edit_fixes_details_and_moves_invitations_to_a_corrected_email(organizer_client, make_event, make_registration,
                                                                      make_district):
    event = make_event()
    district = make_district(name="Quarry Brook")
    ana = make_registration(event, "ana@exmaple.org")
    form = dict(legal_first_name="Ana", legal_last_name="García López", preferred_name="", email="ana@example.org",
                mobile="", role="principal", title="", district=str(district.id), other_organization="",
                allergies="", accessibility_notes="", photo_consent="no", emergency_contact_name="",
                emergency_contact_phone="", dietary=["vegetarian"])
    assert organizer_client.post(f"/admin/registrations/{ana.id}/edit", data=form).status_code == 303
    ana = fresh(Registration, ana.id)
    assert (ana.email, ana.legal_last_name, ana.dietary) == ("ana@example.org", "García López", ["vegetarian"])
    assert sent("registration_moved", "ana@exmaple.org") and sent("registration_updated", "ana@example.org")
    [entry] = db.session.scalars(sa.select(AuditEntry).where(AuditEntry.action == "edited"))
    assert entry.changes["email"] == ["ana@exmaple.org", "ana@example.org"]
    assert entry.user_email == "org@example.org"
    make_registration(event, "bo@example.org")
    taken = organizer_client.post(f"/admin/registrations/{ana.id}/edit", data={**form, "email": "bo@example.org"})
    assert taken.status_code == 422 and "already registered" in taken.get_data(as_text=True)
    bad = organizer_client.post(f"/admin/registrations/{ana.id}/edit", data={**form, "email": "not an address"})
    assert bad.status_code == 422


def test_move_to_a_visit_with_room_passes_the_old_seat_on(organizer_client, make_event, make_visit, book,
                                                          make_agenda_item):
    event = make_event()
    first = make_visit(event, seats=1, title="First")
    second = make_visit(event, block=first.block, seats=5, title="Second")
    ana = book(event, "ana@example.org", first)
    bo = book(event, "bo@example.org", first)  # waits for First
    assert place(bo.id, first.id).status is SeatStatus.WAITLISTED
    response = organizer_client.post(f"/admin/registrations/{ana.id}/move", data={"visit_id": second.id})
    assert response.status_code == 303
    assert place(ana.id, second.id).status is SeatStatus.CONFIRMED
    assert place(ana.id, first.id).status is SeatStatus.CANCELLED
    assert place(bo.id, first.id).status is SeatStatus.CONFIRMED  # the freed seat went to the head
    ranks = dict(db.session.execute(sa.select(VisitChoice.visit_id, VisitChoice.rank)
                                    .where(VisitChoice.registration_id == ana.id)).all())
    assert ranks[second.id] == 1
    assert "moved_to_visit" in actions()


def test_a_full_visit_is_refused_unless_they_may_wait(organizer_client, make_event, make_visit, book):
    event = make_event()
    mine = make_visit(event, seats=5, title="Mine")
    full = make_visit(event, block=mine.block, seats=1, title="Full")
    ana = book(event, "ana@example.org", mine)
    book(event, "bo@example.org", full)
    refused = organizer_client.post(f"/admin/registrations/{ana.id}/move", data={"visit_id": full.id})
    assert refused.status_code == 409 and "is full" in refused.get_data(as_text=True)
    assert place(ana.id, full.id) is None and place(ana.id, mine.id).status is SeatStatus.CONFIRMED
    waiting = organizer_client.post(f"/admin/registrations/{ana.id}/move", data={"visit_id": full.id, "wait": "yes"})
    assert waiting.status_code == 303
    assert place(ana.id, full.id).status is SeatStatus.WAITLISTED
    assert place(ana.id, mine.id).status is SeatStatus.CONFIRMED  # kept while waiting
    taken = db.session.scalar(sa.select(sa.func.count()).where(VisitSeat.visit_id == full.id,
                                                               VisitSeat.status == SeatStatus.CONFIRMED))
    assert taken == 1
    assert organizer_client.post(f"/admin/registrations/{ana.id}/move", data={"visit_id": "x"}).status_code == 400


def test_promote_and_return_on_the_event_waiting_list(organizer_client, make_event, make_registration):
    event = make_event(capacity=1)
    ana = make_registration(event, "ana@example.org")
    bo = make_registration(event, "bo@example.org")
    assert fresh(Registration, bo.id).status is RegistrationStatus.WAITLISTED
    full = organizer_client.post(f"/admin/registrations/{bo.id}/promote")
    assert full.status_code == 409 and "The event is full" in full.get_data(as_text=True)
    # Ana goes back to the end of the list: her seat goes to Bo, the head.
    assert organizer_client.post(f"/admin/registrations/{ana.id}/waitlist").status_code == 303
    assert fresh(Registration, ana.id).status is RegistrationStatus.WAITLISTED
    assert fresh(Registration, bo.id).status is RegistrationStatus.CONFIRMED
    assert sent("registration_back_to_waitlist", "ana@example.org")
    assert sent("registration_promoted", "bo@example.org")
    # Alone on the list with a free seat, she would get it straight back: refused.
    db.session.get(Registration, bo.id).status = RegistrationStatus.CANCELLED
    db.session.commit()
    assert organizer_client.post(f"/admin/registrations/{ana.id}/promote").status_code == 303
    assert fresh(Registration, ana.id).status is RegistrationStatus.CONFIRMED
    again = organizer_client.post(f"/admin/registrations/{ana.id}/waitlist")
    assert again.status_code == 409 and "straight back" in again.get_data(as_text=True)
    assert actions() == ["returned_to_waitlist", "promoted"]


def test_promote_and_return_on_a_visit_waiting_list(organizer_client, make_event, make_visit, book):
    event = make_event()
    visit = make_visit(event, seats=1)
    ana = book(event, "ana@example.org", visit)
    bo = book(event, "bo@example.org", visit)
    assert organizer_client.post(f"/admin/registrations/{bo.id}/visits/{visit.id}/promote").status_code == 409
    assert organizer_client.post(f"/admin/registrations/{ana.id}/visits/{visit.id}/waitlist").status_code == 303
    assert place(ana.id, visit.id).status is SeatStatus.WAITLISTED
    assert place(bo.id, visit.id).status is SeatStatus.CONFIRMED
    invites = db.session.scalars(sa.select(OutboxMessage.payload).where(OutboxMessage.kind == "visit_invite",
                                                                      OutboxMessage.to_address == "ana@example.org"))
    assert any(p["extra"] == {"reason": "back_to_waitlist", "method": "CANCEL"} for p in invites)
    assert organizer_client.post(f"/admin/registrations/{ana.id}/visits/999/promote").status_code == 404


def test_cancel_needs_the_box_ticked_and_passes_the_seat_on(organizer_client, make_event, make_registration):
    event = make_event(capacity=1)
    ana = make_registration(event, "ana@example.org")
    bo = make_registration(event, "bo@example.org")
    assert organizer_client.post(f"/admin/registrations/{ana.id}/cancel").status_code == 400
    assert fresh(Registration, ana.id).status is RegistrationStatus.CONFIRMED
    assert organizer_client.post(f"/admin/registrations/{ana.id}/cancel", data={"confirm": "yes"}).status_code == 303
    assert fresh(Registration, ana.id).status is RegistrationStatus.CANCELLED
    assert fresh(Registration, bo.id).status is RegistrationStatus.CONFIRMED
    assert organizer_client.post(f"/admin/registrations/{ana.id}/cancel", data={"confirm": "yes"}).status_code == 409


def test_resend_the_confirmation(organizer_client, make_event, make_registration):
    event = make_event()
    ana = make_registration(event, "ana@example.org")
    before = len(sent("registration_welcome"))
    assert organizer_client.post(f"/admin/registrations/{ana.id}/resend").status_code == 303
    assert len(sent("registration_welcome")) == before + 1
    assert actions() == ["confirmation_resent"]
