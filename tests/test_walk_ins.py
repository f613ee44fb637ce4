"""Walk-ins: an organizer adds a registrant from the back office, also after the form has closed, with the
same seat rule and emails; going over capacity needs an explicit choice."""
from datetime import UTC, date, datetime, timedelta

import pytest
import sqlalchemy as sa

from eventhub.extensions import db
from eventhub.models import AuditEntry, EventStatus, Registration, RegistrationStatus, UserRole

from conftest import private_link, sign_in


def walk_in(district_id, **extra):
    data = {"legal_first_name": "Ana", "legal_last_name": "García", "email": "ana@example.org", "role": "principal",
            "district": str(district_id), "photo_consent": "no"}
    data.update(extra)
    return data


def count() -> int:
    return db.session.scalar(sa.select(sa.func.count()).select_from(Registration))


def test_an_organizer_adds_a_walk_in_after_the_form_has_closed(organizer_client, make_event, mailbox):
    event = make_event(registration_closes_at=datetime.now(UTC) - timedelta(days=1))
    assert "closed" in organizer_client.get(f"/events/{event.slug}").get_data(as_text=True).lower()
    assert 'href="/admin/events/' + event.slug + '/registrants/new"' in organizer_client.get(
        f"/admin/events/{event.slug}/registrants").get_data(as_text=True)
    response = organizer_client.post(f"/admin/events/{event.slug}/registrants/new",
                                     data=walk_in(event.hosts[0].id))
    assert response.status_code == 303
    ana = db.session.scalar(sa.select(Registration))
    assert ana.status is RegistrationStatus.CONFIRMED and ana.legal_name == "Ana García"
    [welcome] = mailbox.to("ana@example.org")
    assert welcome["Subject"].startswith("You're registered for")
    assert "Your registration" in organizer_client.get(private_link(welcome)).get_data(as_text=True)
    [entry] = db.session.scalars(sa.select(AuditEntry).where(AuditEntry.subject_type == "registration"))
    assert (entry.action, entry.note) == ("created", "added by an organizer")


def test_someone_registered_already_is_refused_with_a_clear_message(organizer_client, make_event,
                                                                    make_registration):
    event = make_event()
    make_registration(event, email="ana@example.org")
    response = organizer_client.post(f"/admin/events/{event.slug}/registrants/new",
                                     data=walk_in(event.hosts[0].id, email="ANA@example.org"))
    assert response.status_code == 422
    assert "ana@example.org is registered for this event already" in response.get_data(as_text=True)
    assert count() == 1


@pytest.mark.parametrize("answer, status", [("wait", RegistrationStatus.WAITLISTED),
                                            ("seat", RegistrationStatus.CONFIRMED)])
def test_a_full_event_asks_before_a_seat_beyond_its_capacity(organizer_client, make_event, make_registration,
                                                            mailbox, answer, status):
    event = make_event(capacity=1)
    make_registration(event, email="first@example.org")
    url = f"/admin/events/{event.slug}/registrants/new"
    assert "The event is full (1 of 1)" in organizer_client.get(url).get_data(as_text=True)
    asked = organizer_client.post(url, data=walk_in(event.hosts[0].id))
    assert asked.status_code == 422
    assert "Choose whether they wait or get a seat beyond the capacity." in asked.get_data(as_text=True)
    assert count() == 1
    assert organizer_client.post(url, data=walk_in(event.hosts[0].id, beyond_capacity=answer)).status_code == 303
    ana = db.session.scalar(sa.select(Registration).where(Registration.email == "ana@example.org"))
    assert ana.status is status
    assert mailbox.to("ana@example.org")[0]["Subject"].startswith(
        "You're registered" if answer == "seat" else "You're on the waiting list")


def test_only_organizers_add_and_only_to_an_event_that_takes_registrations(client, make_event):
    event = make_event()
    sign_in(client, "host@example.org", UserRole.HOST_COORDINATOR, district=event.hosts[0])
    assert client.post(f"/admin/events/{event.slug}/registrants/new",
                       data=walk_in(event.hosts[0].id)).status_code == 403
    client.post("/admin/logout")
    sign_in(client, "org@example.org")
    ended = make_event(starts_on=date.today() - timedelta(days=9), ends_on=date.today() - timedelta(days=8))
    draft = make_event(status=EventStatus.DRAFT)
    for other in (ended, draft):
        response = client.post(f"/admin/events/{other.slug}/registrants/new", data=walk_in(other.hosts[0].id))
        assert response.status_code == 422, other.slug
    assert count() == 0
