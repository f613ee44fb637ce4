"""Commitments from the attendee's private page and from paper sheets typed in by an organizer, their
check-ins, and who may read which (private, network, public) for each kind of viewer."""
import re
from datetime import date

import pytest
import sqlalchemy as sa

from eventhub.extensions import db
from eventhub.followup.services import CommitmentDetails, create_commitment
from eventhub.models import (
    AuditEntry,
    Commitment,
    CommitmentStatus,
    CommitmentUpdate,
    Decision,
    Registration,
    UserRole,
    Visibility,
)
from eventhub.registration.services import cancel_registration

from conftest import private_link, sign_in


def link_of(mailbox, email: str) -> str:
    return private_link(mailbox.to(email)[-1])


SHEET = dict(visit_id="0", evidence="Kindergartners rotated through three stations.",
             change_idea="Station rotation in two K classrooms",
             why_new="Our K-1 teachers lecture to the whole class.", test_where="Lincoln Elementary",
             test_with_whom="Two kindergarten teachers", test_starts_on="2027-01-11", test_due_on="2027-02-26",
             prediction="Small-group reading time doubles.", measure="Minutes of small-group reading a day",
             baseline="15", target="30", support_needed="Release time", support_from="Our principal",
             status="planned", visibility="private")


@pytest.fixture
def attended(make_event, make_visit, book, mailbox):
    """An event with a visit Ana had a seat on; her private link."""
    event = make_event(title="Fall Convening")
    visit = make_visit(event, title="Tablets in K-1")
    other = make_visit(event, title="Makerspace")
    ana = book(event, "ana@example.org", visit, legal_first_name="Ana", legal_last_name="García")
    return event, visit, other, ana, link_of(mailbox, "ana@example.org")


def test_an_attendee_writes_a_commitment_from_a_visit(client, attended):
    event, visit, other, ana, link = attended
    page = client.get(f"{link}/commitments/new").get_data(as_text=True)
    assert "Tablets in K-1" in page and "Makerspace" not in page  # only visits they were on
    assert "Fall Convening (the convening itself)" in page
    response = client.post(f"{link}/commitments/new", data={**SHEET, "visit_id": str(visit.id)})
    assert response.status_code == 303
    [commitment] = db.session.scalars(sa.select(Commitment))
    assert (commitment.visit_id, commitment.status, commitment.visibility) == (visit.id, CommitmentStatus.PLANNED,
                                                                                Visibility.PRIVATE)
    assert commitment.test_due_on == date(2027, 2, 26) and commitment.target == "30"
    assert commitment.entered_by_id is None
    mine = client.get(f"{link}/commitments").get_data(as_text=True)
    assert "Station rotation in two K classrooms" in mine and "Tell us how it went" in mine
    [entry] = db.session.scalars(sa.select(AuditEntry).where(AuditEntry.subject_type == "commitment"))
    assert entry.action == "created" and entry.note.startswith("by the attendee")


@pytest.mark.parametrize("changes, message", [
    ({"change_idea": "  "}, "Write the change you will try."),
    ({"test_due_on": "2027-01-01"}, "due on or after the day it starts"),
    ({"visibility": "everyone"}, "Not a valid choice"),
    ({"test_starts_on": "soon"}, "Not a valid date value"),
])
def test_bad_answers_are_refused_and_nothing_is_saved(client, attended, changes, message):
    event, visit, other, ana, link = attended
    response = client.post(f"{link}/commitments/new", data={**SHEET, **changes})
    assert response.status_code == 422 and message in response.get_data(as_text=True)
    assert db.session.scalar(sa.select(sa.func.count()).select_from(Commitment)) == 0


def test_a_visit_of_another_event_cannot_be_the_source(client, attended, make_event, make_visit):
    event, visit, other, ana, link = attended
    elsewhere = make_visit(make_event())
    assert client.post(f"{link}/commitments/new", data={**SHEET, "visit_id": str(elsewhere.id)}).status_code == 422


def test_check_ins_keep_the_history_and_a_decision_sets_the_status(client, attended):
    event, visit, other, ana, link = attended
    client.post(f"{link}/commitments/new", data=SHEET)
    commitment = db.session.scalar(sa.select(Commitment))
    url = f"{link}/commitments/{commitment.id}/update"
    assert client.post(url, data={"tried": "", "learned": "", "decision": "", "status": "testing"}).status_code == 422
    assert client.post(url, data={"tried": "Two weeks of rotations", "learned": "Transitions take 4 minutes",
                                  "decision": "", "status": "testing"}).status_code == 303
    assert client.post(url, data={"tried": "Six weeks", "learned": "Reading time went from 15 to 28 minutes",
                                  "decision": "adapt", "status": "testing"}).status_code == 303
    db.session.expire_all()
    commitment = db.session.get(Commitment, commitment.id)
    assert commitment.status is CommitmentStatus.ADAPTED
    assert [(u.status_before, u.status_after, u.decision) for u in commitment.updates] == [
        (CommitmentStatus.PLANNED, CommitmentStatus.TESTING, None),
        (CommitmentStatus.TESTING, CommitmentStatus.ADAPTED, Decision.ADAPT)]
    page = client.get(f"{link}/commitments").get_data(as_text=True)
    assert "Transitions take 4 minutes" in page and "decided to adapt" in page
    # Once checked in on, the status changes only through check-ins.
    client.post(f"{link}/commitments/{commitment.id}/edit", data={**SHEET, "status": "planned", "target": "35"})
    db.session.expire_all()
    commitment = db.session.get(Commitment, commitment.id)
    assert (commitment.status, commitment.target) == (CommitmentStatus.ADAPTED, "35")


def test_nobody_else_edits_or_checks_in_on_a_commitment(client, attended, book, mailbox):
    event, visit, other, ana, link = attended
    client.post(f"{link}/commitments/new", data=SHEET)
    commitment = db.session.scalar(sa.select(Commitment))
    book(event, "bo@example.org", visit)
    bo_link = link_of(mailbox, "bo@example.org")
    assert client.get(f"{bo_link}/commitments/{commitment.id}/edit").status_code == 404
    assert client.post(f"{bo_link}/commitments/{commitment.id}/update", data={"tried": "x"}).status_code == 404
    assert client.get("/r/not-a-token/commitments").status_code == 404


def test_the_owner_sees_their_commitments_from_every_event(client, attended, make_event, book, mailbox):
    event, visit, other, ana, link = attended
    client.post(f"{link}/commitments/new", data={**SHEET, "change_idea": "From the fall"})
    spring = make_event(title="Spring Convening")
    book(spring, "ana@example.org")
    spring_link = link_of(mailbox, "ana@example.org")
    assert "From the fall" in client.get(f"{spring_link}/commitments").get_data(as_text=True)


# --- visibility --------------------------------------------------------------------------------------


@pytest.fixture
def three_levels(make_event, make_visit, book, mailbox):
    """Ana's private, network and public commitments; Bo is registered for a later event; Cy cancelled."""
    fall = make_event(title="Fall Convening")
    visit = make_visit(fall)
    ana = book(fall, "ana@example.org", visit, legal_first_name="Ana")
    made = {}
    for level in Visibility:
        made[level] = create_commitment(ana, CommitmentDetails(change_idea=f"A {level.value} change",
                                                               visibility=level))
    spring = make_event(title="Spring Convening")
    book(spring, "bo@example.org")
    cy = book(spring, "cy@example.org")
    cancel_registration(cy)
    db.session.commit()
    return fall, made, {name: link_of(mailbox, f"{name}@example.org") for name in ("ana", "bo", "cy")}


def texts(response) -> set[str]:
    return set(re.findall(r"A (?:private|network|public) change", response.get_data(as_text=True)))


def test_visibility_for_each_level_and_each_kind_of_viewer(client, three_levels, make_district):
    fall, made, links = three_levels
    everything = {"A private change", "A network change", "A public change"}
    # The owner: all of their own.
    assert texts(client.get(f"{links['ana']}/commitments")) == everything
    # A member of the network (registered for one of its events): network and public, never private.
    assert texts(client.get(f"{links['bo']}/commitments")) == {"A network change", "A public change"}
    # Someone whose registration is cancelled is not in the network any more.
    assert texts(client.get(f"{links['cy']}/commitments")) == set()
    # Anyone: the public ones, on the event's public page.
    assert texts(client.get(f"/events/{fall.slug}/commitments")) == {"A public change"}
    # Organizers: every one, private included, in the back office.
    organizer = sign_in(client.application.test_client(), "org@example.org")
    for level, commitment in made.items():
        assert f"A {level.value} change" in organizer.get(f"/admin/commitments/{commitment.id}").get_data(as_text=True)
    # A host coordinator is not an organizer.
    host = sign_in(client.application.test_client(), "host@example.org", UserRole.HOST_COORDINATOR, fall.hosts[0])
    assert host.get(f"/admin/commitments/{made[Visibility.PRIVATE].id}").status_code == 403
    # Anonymous visitors are sent to sign in.
    anonymous = client.application.test_client().get(f"/admin/commitments/{made[Visibility.PRIVATE].id}")
    assert anonymous.status_code == 302 and "/admin/login" in anonymous.headers["Location"]


def test_a_draft_event_has_no_public_commitment_page(client, make_event):
    from eventhub.models import EventStatus

    draft = make_event(status=EventStatus.DRAFT)
    assert client.get(f"/events/{draft.slug}/commitments").status_code == 404


# --- typing in paper sheets --------------------------------------------------------------------------


def test_the_transcription_form_moves_from_one_attendee_to_the_next(client, make_event, make_visit, book,
                                                                   make_registration):
    event = make_event(capacity=3)
    visit = make_visit(event, title="Tablets in K-1")
    zed = book(event, "zed@example.org", visit, legal_first_name="Zoe", legal_last_name="Zed")
    abe = book(event, "abe@example.org", visit, legal_first_name="Al", legal_last_name="Abe")
    mid = book(event, "mid@example.org", legal_first_name="Mo", legal_last_name="Mid")
    waiting = make_registration(event, "wait@example.org")  # capacity 3: waits, has no sheet
    organizer = sign_in(client, "org@example.org")
    url = f"/admin/events/{event.slug}/commitments/enter"
    page = organizer.get(url).get_data(as_text=True)
    # Alphabetical, the first one chosen, the cursor on the attendee list: a keyboard-only form.
    assert page.index("Abe, Al") < page.index("Mid, Mo") < page.index("Zed, Zoe")
    assert re.search(r'<select id="registration" name="registration" autofocus>', page)
    assert not re.search(r'tabindex="[1-9]', page)  # the natural order: attendee, then the sheet's questions
    assert f'<option value="{abe.id}" selected>' in page and "wait@example.org" not in page

    saved = organizer.post(url, data={**SHEET, "registration": str(abe.id), "visit_id": str(visit.id)})
    assert saved.status_code == 303
    assert saved.headers["Location"].endswith(f"registration={mid.id}#sheet")  # the next sheet
    again = organizer.post(url, data={**SHEET, "registration": str(mid.id), "change_idea": "Exit tickets",
                                      "again": "yes"})
    assert again.headers["Location"].endswith(f"registration={mid.id}#sheet")  # a second sheet, same person
    next_page = organizer.get(f"{url}?registration={mid.id}").get_data(as_text=True)
    assert "Already entered for Mo Mid" in next_page and "Exit tickets" in next_page
    last = organizer.post(url, data={**SHEET, "registration": str(zed.id)})
    assert last.headers["Location"].endswith(f"registration={zed.id}#sheet")
    assert organizer.post(url, data={**SHEET, "registration": str(waiting.id)}).status_code == 404
    assert organizer.post(url, data={**SHEET, "registration": str(abe.id), "change_idea": ""}).status_code == 422

    rows = db.session.execute(sa.select(Registration.legal_last_name, Commitment.entered_by_id)
                              .join(Commitment.registration).order_by(Commitment.id)).all()
    assert [name for name, _ in rows] == ["Abe", "Mid", "Zed"]
    assert all(entered_by is not None for _, entered_by in rows)


def test_an_organizer_adds_a_check_in_from_a_follow_up_sheet(client, attended):
    event, visit, other, ana, link = attended
    commitment = create_commitment(ana, CommitmentDetails(change_idea="Exit tickets"))
    db.session.commit()
    organizer = sign_in(client, "org@example.org")
    response = organizer.post(f"/admin/commitments/{commitment.id}/update",
                              data={"tried": "Daily exit tickets", "learned": "", "decision": "adopt",
                                    "status": "testing"})
    assert response.status_code == 303
    update = db.session.scalar(sa.select(CommitmentUpdate))
    assert update.entered_by_id is not None and update.status_after is CommitmentStatus.ADOPTED
    assert organizer.post(f"/admin/commitments/{commitment.id}/update",
                          data={"tried": "", "learned": "", "decision": "", "status": "testing"}).status_code == 422
    assert organizer.get("/admin/commitments/99999").status_code == 404


@pytest.mark.parametrize("after_check_in", [False, True])
def test_a_commitment_can_be_edited_at_every_stage_with_what_the_page_shows(client, attended, after_check_in):
    """The edit page posts only the fields it shows: once a check-in set the status, there is no status field,
    and a save (here: making a public commitment private again) must still go through."""
    event, visit, other, ana, link = attended
    client.post(f"{link}/commitments/new", data={**SHEET, "visibility": "public"})
    commitment = db.session.scalar(sa.select(Commitment))
    if after_check_in:
        client.post(f"{link}/commitments/{commitment.id}/update",
                    data={"tried": "Two weeks", "learned": "", "decision": "", "status": "testing"})
    page = client.get(f"{link}/commitments/{commitment.id}/edit").get_data(as_text=True)
    assert ('name="status"' in page) is not after_check_in
    assert ("Status: <strong>Testing</strong>" in page) is after_check_in
    sent = {k: v for k, v in SHEET.items() if k != "status" or not after_check_in}
    response = client.post(f"{link}/commitments/{commitment.id}/edit", data={**sent, "visibility": "private"})
    assert response.status_code == 303, response.get_data(as_text=True)
    db.session.expire_all()
    commitment = db.session.get(Commitment, commitment.id)
    assert commitment.visibility is Visibility.PRIVATE
    assert commitment.status is (CommitmentStatus.TESTING if after_check_in else CommitmentStatus.PLANNED)
    assert "Station rotation" not in client.get(f"/events/{event.slug}/commitments").get_data(as_text=True)


def test_an_organizer_corrects_a_checked_in_commitment_without_a_status_field(client, attended):
    event, visit, other, ana, link = attended
    client.post(f"{link}/commitments/new", data={**SHEET, "visibility": "public"})
    commitment = db.session.scalar(sa.select(Commitment))
    client.post(f"{link}/commitments/{commitment.id}/update",
                data={"tried": "", "learned": "", "decision": "adopt", "status": "testing"})
    sign_in(client, "org@example.org", UserRole.ORGANIZER)
    url = f"/admin/commitments/{commitment.id}/edit"
    assert 'name="status"' not in client.get(url).get_data(as_text=True)
    sent = {k: v for k, v in SHEET.items() if k != "status"}
    assert client.post(url, data={**sent, "target": "40"}).status_code == 303
    db.session.expire_all()
    commitment = db.session.get(Commitment, commitment.id)
    assert (commitment.target, commitment.status) == ("40", CommitmentStatus.ADOPTED)
