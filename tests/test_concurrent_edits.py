"""Two people at once: a save from a form opened before someone else's save is refused with both values, two
saves from one version cannot both win, two admins demoting each other keep an admin, and a host coordinator
sees nothing of a draft event."""
import re

import pytest
import sqlalchemy as sa
from test_backoffice_events import event_form, visit_form

from eventhub.accounts.services import AccountError, update_user
from eventhub.editing import EditConflict
from eventhub.events.writes import update_event
from eventhub.extensions import db
from eventhub.models import AuditEntry, Event, EventStatus, User, UserRole, Visit
from eventhub.visits.services import edit_visit

from conftest import in_another_session, sign_in


def version_in(html: str) -> str:
    found = re.search(r'name="version"[^>]*value="(\d+)"|value="(\d+)"[^>]*name="version"', html)
    assert found, "the form carries no version"
    return found.group(1) or found.group(2)


def reload(model, row_id):
    db.session.expire_all()
    return db.session.get(model, row_id)


# --- a stale form ------------------------------------------------------------------------------------


def test_a_stale_event_form_is_refused_with_both_values(app, make_event):
    event = make_event(title="Spring Convening")
    ana = sign_in(app.test_client(), "ana@network.org")
    ben = sign_in(app.test_client(), "ben@network.org")
    url = f"/admin/events/{event.slug}/edit"
    opened = version_in(ana.get(url).get_data(as_text=True))
    assert version_in(ben.get(url).get_data(as_text=True)) == opened

    assert ben.post(url, data=event_form(event, title="Spring Convening 2027", version=opened)).status_code == 302
    response = ana.post(url, data=event_form(event, title="Spring Convening", venue_name="Old Mill", version=opened))

    assert response.status_code == 409
    page = response.get_data(as_text=True)
    assert "changed by ben@network.org since you opened it" in page
    row = page[page.index('id="conflict"'):]
    assert "Spring Convening 2027" in row and "Spring Convening" in row  # theirs and yours
    assert "Old Mill" in row and "Civic Center" in row
    saved = reload(Event, event.id)
    assert (saved.title, saved.venue_name) == ("Spring Convening 2027", "Civic Center"), "nothing of Ana's saved"
    # The form shown again carries the version now: saving it again keeps Ana's values, deliberately.
    again = version_in(page)
    assert int(again) == int(opened) + 1
    mine = event_form(event, title="Spring Convening", venue_name="Old Mill", version=again)
    assert ana.post(url, data=mine).status_code == 302
    saved = reload(Event, event.id)
    assert (saved.title, saved.venue_name) == ("Spring Convening", "Old Mill")


def test_a_stale_visit_form_is_refused_and_saves_nothing(app, make_event, make_visit):
    event = make_event()
    visit = make_visit(event, title="Tablets in K-1")
    ana = sign_in(app.test_client(), "ana@network.org")
    ben = sign_in(app.test_client(), "ben@network.org")
    url = f"/admin/events/{event.slug}/visits/{visit.id}"
    opened = version_in(ana.get(url).get_data(as_text=True))

    assert ben.post(url, data=visit_form(event, visit, title="Tablets in grade 1", version=opened)).status_code \
        == 302
    response = ana.post(url, data=visit_form(event, visit, title="Tablets in kindergarten", version=opened))

    assert response.status_code == 409
    page = response.get_data(as_text=True)
    assert "changed by ben@network.org since you opened it" in page
    assert "Tablets in grade 1" in page and "Tablets in kindergarten" in page
    assert reload(Visit, visit.id).title == "Tablets in grade 1"
    assert len(list(db.session.scalars(sa.select(AuditEntry).where(AuditEntry.subject_type == "visit",
                                                                    AuditEntry.action == "edited")))) == 1


def test_a_save_without_a_version_is_taken_for_a_stale_one(app, make_event):
    event = make_event(title="Spring Convening")
    ana = sign_in(app.test_client(), "ana@network.org")
    data = event_form(event, title="Renamed")
    del data["version"]
    response = ana.post(f"/admin/events/{event.slug}/edit", data=data)
    assert response.status_code == 409 and 'id="conflict"' in response.get_data(as_text=True)
    assert reload(Event, event.id).title == "Spring Convening"


def test_two_saves_from_one_version_cannot_both_win(app, make_event):
    """The first save holds its transaction open; the second, from the same version, waits for it and is
    then refused (without the version in the UPDATE's condition, it would write over the first)."""
    event = make_event(title="Spring Convening")
    opened = event.version
    update_event(event, opened_version=opened, title="First")  # not committed yet
    thread, outcome = in_another_session(
        app, lambda: update_event(db.session.get(Event, event.id), opened_version=opened, title="Second"))
    thread.join(timeout=0.5)
    assert thread.is_alive(), "the second save waits for the first to finish"
    db.session.commit()
    thread.join(timeout=30)
    assert isinstance(outcome.get("error"), EditConflict), outcome
    assert [(d.field, d.saved, d.yours) for d in outcome["error"].differences] == [("title", "First", "Second")]
    assert reload(Event, event.id).title == "First"


def test_a_visit_save_from_an_old_version_is_refused_by_the_service(app, make_event, make_visit):
    event = make_event()
    visit = make_visit(event)
    opened = visit.version
    edit_visit(visit, block_id=visit.block_id, limits={}, opened_version=opened, title="New title")
    db.session.commit()
    with pytest.raises(EditConflict):
        edit_visit(reload(Visit, visit.id), block_id=visit.block_id, limits={}, opened_version=opened,
                   title="Other title")


# --- admins ------------------------------------------------------------------------------------------


def test_two_admins_demoting_each_other_leave_one_admin(app):
    from eventhub.accounts.services import create_user

    ada = create_user(email="ada@network.org", role=UserRole.ADMIN, password="p" * 12)
    bo = create_user(email="bo@network.org", role=UserRole.ADMIN, password="p" * 12)
    db.session.commit()
    ada_id, bo_id = ada.id, bo.id
    update_user(bo, name="", role=UserRole.ORGANIZER, district=None, active=True, acting=ada)  # not committed

    def bo_demotes_ada():
        acting, target = db.session.get(User, bo_id), db.session.get(User, ada_id)
        return update_user(target, name="", role=UserRole.ORGANIZER, district=None, active=True, acting=acting)

    thread, outcome = in_another_session(app, bo_demotes_ada)
    thread.join(timeout=0.5)
    assert thread.is_alive(), "the second change of admins waits for the first"
    db.session.commit()
    thread.join(timeout=30)
    assert isinstance(outcome.get("error"), AccountError), outcome
    db.session.expire_all()
    admins = list(db.session.scalars(sa.select(User.email).where(User.role == UserRole.ADMIN, User.active)))
    assert admins == ["ada@network.org"]


def test_the_last_admin_cannot_be_deactivated_by_someone_who_stopped_being_admin(app):
    from eventhub.accounts.services import create_user

    ada = create_user(email="ada@network.org", role=UserRole.ADMIN, password="p" * 12)
    bo = create_user(email="bo@network.org", role=UserRole.ADMIN, password="p" * 12)
    db.session.commit()
    update_user(bo, name="", role=UserRole.ORGANIZER, district=None, active=True, acting=ada)
    db.session.commit()
    with pytest.raises(AccountError, match="no longer an active admin"):
        update_user(ada, name="", role=UserRole.ADMIN, district=None, active=False, acting=bo)


# --- drafts and host coordinators ---------------------------------------------------------------------


def test_a_host_coordinator_sees_nothing_of_a_draft_event(app, make_event, make_visit):
    event = make_event(status=EventStatus.DRAFT)
    visit = make_visit(event)
    coordinator = sign_in(app.test_client(), "host@district.org", role=UserRole.HOST_COORDINATOR,
                          district=event.hosts[0])
    addresses = [f"/admin/events/{event.slug}/print", f"/admin/visits/{visit.id}/roster.pdf",
                 f"/admin/events/{event.slug}/visits/{visit.id}/check-in",
                 f"/admin/events/{event.slug}/visits/{visit.id}/accessibility",
                 f"/admin/events/{event.slug}/visits/{visit.id}/guest-list.csv"]
    for address in addresses:
        response = coordinator.get(address)
        assert response.status_code == 404, address
        assert event.title not in response.get_data(as_text=True)
    home = coordinator.get("/admin/").get_data(as_text=True)
    assert event.title not in home

    event.status = EventStatus.PUBLISHED
    db.session.commit()
    assert coordinator.get(f"/admin/events/{event.slug}/print").status_code == 200
    assert coordinator.get(f"/admin/events/{event.slug}/visits/{visit.id}/check-in").status_code == 200
    organizer = sign_in(app.test_client(), "org@network.org")
    event.status = EventStatus.DRAFT
    db.session.commit()
    assert organizer.get(f"/admin/events/{event.slug}/print").status_code == 200
