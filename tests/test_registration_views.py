"""The registration form, its confirmation, and the private page, through the client."""
import re
from datetime import UTC, datetime, timedelta

import pytest
import sqlalchemy as sa

from eventhub.extensions import db
from eventhub.models import Registration, RegistrationStatus

from conftest import body_text, private_link


def form_data(district_id, **overrides):
    """A complete, valid registration form submission."""
    data = {
        "legal_first_name": "José",
        "legal_last_name": "O'Brien",
        "preferred_name": "Pepe",
        "email": "jose@example.org",
        "mobile": "+1 (312) 555-0199",
        "role": "cto",
        "title": "Chief Technology Officer",
        "district": str(district_id),
        "dietary": ["vegetarian"],
        "allergies": "Peanuts (severe)",
        "accessibility": ["limited_walking"],
        "photo_consent": "no",
        "emergency_contact_name": "María O'Brien",
        "emergency_contact_phone": "312-555-0100",
    }
    data.update(overrides)
    return data


@pytest.fixture
def event(make_event):
    """An open event with a host district."""
    return make_event(capacity=50)


def test_the_form_ties_every_input_to_a_label_and_marks_required_fields(client, event):
    page = client.get(f"/events/{event.slug}/register").get_data(as_text=True)
    ids = set(re.findall(r'<(?:input|select|textarea)[^>]*\bid="([^"]+)"', page))
    ids -= {"csrf_token", "add_colleague", "submit", "find_district"}
    labelled = set(re.findall(r'<label for="([^"]+)"', page))
    assert ids and ids <= labelled, f"inputs without a label: {ids - labelled}"
    assert page.count("(required)") >= 6
    assert 'novalidate' in page


def test_registering_redirects_to_a_confirmation_and_stores_every_answer(client, event, mailbox):
    district = event.hosts[0]
    response = client.post(f"/events/{event.slug}/register", data=form_data(district.id))
    assert response.status_code == 302
    page = client.get(response.headers["Location"]).get_data(as_text=True)
    assert "Check your email" in page and "We have emailed your confirmation to the address you gave" in page
    assert "jose@example.org" not in page  # the page names nobody: nothing personal rides in the session
    registration = db.session.scalar(sa.select(Registration))
    assert (registration.legal_first_name, registration.legal_last_name) == ("José", "O'Brien")
    assert registration.district_id == district.id
    assert registration.dietary == ["vegetarian"] and registration.accessibility == ["limited_walking"]
    assert registration.photo_consent is False
    assert registration.emergency_contact_name == "María O'Brien"
    assert len(mailbox.to("jose@example.org")) == 1


def test_the_other_organization_must_be_named(client, event):
    response = client.post(f"/events/{event.slug}/register", data=form_data("other", other_organization=""))
    assert response.status_code == 422
    assert "Enter the name of your organization." in response.get_data(as_text=True)
    ok = client.post(f"/events/{event.slug}/register",
                     data=form_data("other", other_organization="State Education Agency"))
    assert ok.status_code == 302
    assert db.session.scalar(sa.select(Registration.other_organization)) == "State Education Agency"


@pytest.mark.parametrize("field, value, message", [
    ("legal_first_name", "   ", "Enter your legal first name."),
    ("legal_last_name", "\u00a0\t \u3000", "Enter your legal last name."),  # no-break, tab, ideographic space
    ("legal_first_name", "\u200b\u200b", "A name needs at least one letter."),  # zero-width spaces
    ("legal_last_name", "- . -", "A name needs at least one letter."),
    ("preferred_name", "...", "A name needs at least one letter."),
    ("colleagues-0-legal_last_name", "    ", "Colleague 1: Legal last name: Enter their legal last name."),
])
def test_a_name_with_no_letters_is_refused_and_nothing_is_stored(client, event, mailbox, field, value, message):
    colleague = {"colleagues-0-legal_first_name": "Ann", "colleagues-0-legal_last_name": "Lee",
                 "colleagues-0-email": "ann@example.org", "colleagues-0-role": "teacher"}
    response = client.post(f"/events/{event.slug}/register",
                           data=form_data(event.hosts[0].id, **{**colleague, field: value}))
    assert response.status_code == 422
    assert message in response.get_data(as_text=True)
    assert db.session.scalar(sa.select(sa.func.count()).select_from(Registration)) == 0
    assert mailbox.messages() == []


@pytest.mark.parametrize("first, last", [("美咲", "山田"), ("Nguyễn", "Thị Minh"), ("Ō", "Ng")])
def test_names_in_any_script_are_welcome(client, event, first, last):
    response = client.post(f"/events/{event.slug}/register",
                           data=form_data(event.hosts[0].id, legal_first_name=first, legal_last_name=last))
    assert response.status_code == 302
    assert db.session.scalar(sa.select(Registration.legal_last_name)) == last


@pytest.mark.parametrize("bad_email", ["jose", "jose@", "jose@example", "jose @example.org", "a@b@c.org"])
def test_an_invalid_email_is_a_clear_form_error(client, event, bad_email):
    response = client.post(f"/events/{event.slug}/register", data=form_data(event.hosts[0].id, email=bad_email))
    page = response.get_data(as_text=True)
    assert response.status_code == 422
    assert '<a href="#email">Email: Enter a valid email address' in page
    assert 'aria-invalid="true"' in page
    assert db.session.scalar(sa.select(sa.func.count(Registration.id))) == 0


def test_overlong_input_is_a_clear_form_error_not_a_500(client, event):
    response = client.post(f"/events/{event.slug}/register", data=form_data(
        event.hosts[0].id, legal_first_name="x" * 101, allergies="y" * 501,
        email="a" * 64 + "@" + "b" * 200 + ".org"))
    page = response.get_data(as_text=True)
    assert response.status_code == 422
    assert "Legal first name: Use at most 100 characters." in page
    assert "Allergies and other dietary needs: Use at most 500 characters." in page
    assert "Email: An email address has at most 254 characters." in page


def test_unknown_choices_are_refused(client, event):
    response = client.post(f"/events/{event.slug}/register",
                           data=form_data("999999", role="emperor", dietary=["raw-meat"]))
    assert response.status_code == 422
    assert db.session.scalar(sa.select(sa.func.count(Registration.id))) == 0


def test_a_post_without_csrf_token_is_refused(make_app, make_event):
    app = make_app(WTF_CSRF_ENABLED=True)
    with app.app_context():
        event = make_event()
        response = app.test_client().post(f"/events/{event.slug}/register", data=form_data(event.hosts[0].id))
        assert response.status_code == 400
        assert "security token" in response.get_data(as_text=True)
        assert db.session.scalar(sa.select(sa.func.count(Registration.id))) == 0


def test_with_csrf_enabled_the_real_form_round_trip_works(make_app, make_event):
    app = make_app(WTF_CSRF_ENABLED=True)
    with app.app_context():
        event = make_event()
        client = app.test_client()
        page = client.get(f"/events/{event.slug}/register").get_data(as_text=True)
        token = re.search(r'name="csrf_token" type="hidden" value="([^"]+)"', page).group(1)
        response = client.post(f"/events/{event.slug}/register",
                               data=form_data(event.hosts[0].id, csrf_token=token))
        assert response.status_code == 302


def test_outside_the_window_the_page_says_when_and_a_post_is_refused(client, make_event):
    soon = make_event(registration_opens_at=datetime.now(UTC) + timedelta(days=2))
    page = client.get(f"/events/{soon.slug}/register").get_data(as_text=True)
    assert "Registration opens" in page
    response = client.post(f"/events/{soon.slug}/register", data=form_data(soon.hosts[0].id))
    assert response.status_code == 403
    closed = make_event(registration_opens_at=datetime.now(UTC) - timedelta(days=9),
                        registration_closes_at=datetime.now(UTC) - timedelta(days=1))
    assert "Registration closed" in client.get(f"/events/{closed.slug}/register").get_data(as_text=True)
    assert client.post(f"/events/{closed.slug}/register", data=form_data(closed.hosts[0].id)).status_code == 403
    assert db.session.scalar(sa.select(sa.func.count(Registration.id))) == 0


def test_a_full_event_tells_the_newcomer_their_place_on_the_waiting_list(client, make_event, make_registration,
                                                                          mailbox):
    event = make_event(capacity=1)
    make_registration(event, "first@example.org")
    event_page = client.get(f"/events/{event.slug}").get_data(as_text=True)
    assert "The event is full" in event_page
    client.post(f"/events/{event.slug}/register", data=form_data(event.hosts[0].id))
    # The page does not say it (it says the same to everyone); the email does.
    assert "number 1 on the waiting list" in body_text(mailbox.to("jose@example.org")[-1])


def _done_page(client, event) -> str:
    """The page after registering as jose@example.org, without what differs per visitor (the CSRF token)."""
    response = client.post(f"/events/{event.slug}/register", data=form_data(event.hosts[0].id), follow_redirects=True)
    assert response.status_code == 200
    return re.sub(r'name="csrf-token" content="[^"]*"', "", response.get_data(as_text=True))


def test_the_page_after_registering_is_the_same_for_a_new_and_a_known_address(client, event, make_registration,
                                                                                mailbox):
    new = _done_page(client, event)
    assert db.session.scalar(sa.select(sa.func.count(Registration.id))) == 1
    again = _done_page(client, event)  # the same address once more: already registered
    assert again == new, "no page may reveal whether an address is registered"
    assert db.session.scalar(sa.select(sa.func.count(Registration.id))) == 1
    assert mailbox.to("jose@example.org")[-1]["Subject"].startswith("Your private link")
    for words in ("We have emailed", "whether you have a seat", "on its waiting list", "private link",
                  "What happens next", "If the email does not arrive", "spam", "the same address"):
        assert words in new, words
    assert "You're registered" not in new and "You're on the waiting list" not in new


def test_the_page_after_registering_offers_the_event_for_a_calendar(client, event):
    from icalendar import Calendar

    page = _done_page(client, event)
    assert f'href="http://eventhub.test/events/{event.slug}/event.ics"' in page
    assert "calendar.google.com/calendar/render?action=TEMPLATE" in page
    response = client.get(f"/events/{event.slug}/event.ics")
    assert response.status_code == 200 and response.mimetype == "text/calendar"
    calendar = Calendar.from_ical(response.data)
    assert str(calendar["METHOD"]) == "PUBLISH"
    [entry] = calendar.walk("VEVENT")
    assert str(entry["SUMMARY"]) == event.title and entry.decoded("DTSTART") == event.starts_on
    assert str(entry["UID"]) == f"event-{event.id}@eventhub.test" and "ATTENDEE" not in entry


def test_a_team_lead_adds_and_removes_colleague_rows_without_javascript(client, event):
    url = f"/events/{event.slug}/register"
    data = form_data(event.hosts[0].id, add_colleague="Add a colleague")
    page = client.post(url, data=data).get_data(as_text=True)
    assert 'id="colleagues-0-email"' in page and "Colleague 1" in page
    data = form_data(event.hosts[0].id, **{"colleagues-0-legal_first_name": "Ann", "colleagues-0-email": "ann@x.org",
                                           "colleagues-1-legal_first_name": "Bo", "remove_colleague": "0"})
    page = client.post(url, data=data).get_data(as_text=True)
    assert 'value="Bo"' in page and 'value="Ann"' not in page
    assert 'id="colleagues-1-email"' not in page


def test_a_team_registration_registers_each_colleague(client, event, mailbox):
    data = form_data(event.hosts[0].id, **{
        "colleagues-0-legal_first_name": "Ann", "colleagues-0-legal_last_name": "Lee",
        "colleagues-0-email": "ann@example.org", "colleagues-0-role": "teacher",
        "colleagues-1-legal_first_name": "", "colleagues-1-legal_last_name": "",  # a blank row is ignored
    })
    page = client.post(f"/events/{event.slug}/register", data=data, follow_redirects=True).get_data(as_text=True)
    assert "each of the 1 colleague you added gets their own" in page and "Ann Lee" not in page
    ann = db.session.scalar(sa.select(Registration).where(Registration.email == "ann@example.org"))
    assert ann.team_lead.email == "jose@example.org"
    assert ann.district_id == event.hosts[0].id
    assert len(mailbox.to("ann@example.org")) == 1


def test_a_half_filled_colleague_row_and_a_repeated_email_are_errors(client, event):
    data = form_data(event.hosts[0].id, **{
        "colleagues-0-legal_first_name": "Ann", "colleagues-0-email": "jose@example.org",
    })
    response = client.post(f"/events/{event.slug}/register", data=data)
    page = response.get_data(as_text=True)
    assert response.status_code == 422
    assert "Colleague 1: Legal last name: Enter their legal last name." in page
    assert "Colleague 1: Email: This email is already used above" in page
    assert "Colleague 1: Role: Choose their role." in page


@pytest.mark.parametrize("token", ["nope", "x" * 43, "x" * 500, "%00", "%E2%98%83"])
def test_bad_private_links_are_404(client, token):
    for path in (f"/r/{token}", f"/r/{token}/edit", f"/r/{token}/cancel"):
        response = client.get(path)
        assert response.status_code == 404
        assert "This private link is not valid" in response.get_data(as_text=True)
    assert client.post(f"/r/{token}/rejoin").status_code == 404


def test_a_revoked_link_is_404(client, event, mailbox):
    link = registered_link(client, event, mailbox)
    from eventhub.registration.services import revoke_private_links

    revoke_private_links(db.session.scalar(sa.select(Registration)))
    db.session.commit()
    assert client.get(link).status_code == 404


def registered_link(client, event, mailbox, **overrides) -> str:
    """Register through the form and return the private link from the email."""
    client.post(f"/events/{event.slug}/register", data=form_data(event.hosts[0].id, **overrides))
    return private_link(mailbox.messages()[-1])


def test_the_private_page_shows_the_registration_and_keeps_the_link_private(client, event, mailbox):
    link = registered_link(client, event, mailbox)
    response = client.get(link)
    page = response.get_data(as_text=True)
    assert response.status_code == 200
    assert "José O&#39;Brien" in page and "Peanuts (severe)" in page and "Limited walking" in page
    assert response.headers["Referrer-Policy"] == "no-referrer"
    assert "no-store" in response.headers["Cache-Control"]


def test_the_attendee_edits_their_details(client, event, mailbox):
    link = registered_link(client, event, mailbox)
    page = client.get(f"{link}/edit").get_data(as_text=True)
    assert 'value="José"' in page
    assert re.search(r'<input checked id="dietary-0" name="dietary" type="checkbox" value="vegetarian">', page)
    assert re.search(r'<input checked id="photo_consent-1"[^>]*value="no">', page)
    response = client.post(f"{link}/edit", data=form_data(event.hosts[0].id, mobile="312 555 0111",
                                                         dietary=["vegan"], photo_consent="yes"))
    assert response.status_code == 302
    registration = db.session.scalar(sa.select(Registration))
    assert registration.mobile == "312 555 0111"
    assert registration.dietary == ["vegan"] and registration.photo_consent is True
    assert "Your details are saved." in client.get(link).get_data(as_text=True)


def test_changing_email_goes_through_a_confirmation_link(client, event, mailbox):
    link = registered_link(client, event, mailbox)
    page = client.post(f"{link}/edit", data=form_data(event.hosts[0].id, email="new@example.org"),
                       follow_redirects=True).get_data(as_text=True)
    assert "open the link we have just sent to the new address" in page
    assert db.session.scalar(sa.select(Registration.email)) == "jose@example.org"
    confirm = re.search(r"https?://[^/\s]+(/email-change/\S+)", body_text(mailbox.to("new@example.org")[-1])).group(1)
    assert "Confirm my new email address" in client.get(confirm).get_data(as_text=True)
    assert db.session.scalar(sa.select(Registration.email)) == "jose@example.org"  # a GET changes nothing
    response = client.post(confirm, follow_redirects=True)
    page = response.get_data(as_text=True)
    assert "Your email address is changed" in page and "new@example.org" in page  # the page, not the flash, names it
    assert db.session.scalar(sa.select(Registration.email)) == "new@example.org"
    assert client.post(confirm[:-3] + "abc").status_code == 409


def test_asking_for_a_taken_email_looks_the_same_as_a_free_one(client, event, mailbox, make_registration):
    make_registration(event, "taken@example.org")
    link = registered_link(client, event, mailbox)
    pages = []
    for address in ("taken@example.org", "free@example.org"):
        response = client.post(f"{link}/edit", data=form_data(event.hosts[0].id, email=address), follow_redirects=True)
        pages.append(response.get_data(as_text=True).replace(address, "ADDRESS"))
    assert pages[0] == pages[1]


def test_cancelling_asks_for_confirmation_then_frees_the_seat(client, make_event, mailbox, make_registration):
    event = make_event(capacity=1)
    link = registered_link(client, event, mailbox)
    waiting = make_registration(event, "waiting@example.org")
    page = client.get(f"{link}/cancel").get_data(as_text=True)
    assert "Cancel your registration?" in page
    assert db.session.get(Registration, 1).status is RegistrationStatus.CONFIRMED
    response = client.post(f"{link}/cancel", follow_redirects=True)
    assert "Your registration is cancelled" in response.get_data(as_text=True)
    db.session.refresh(waiting)
    assert waiting.status is RegistrationStatus.CONFIRMED
    assert mailbox.to("waiting@example.org")[-1]["Subject"].startswith("A seat opened up")


def test_after_cancelling_the_attendee_can_register_again(client, event, mailbox):
    link = registered_link(client, event, mailbox)
    client.post(f"{link}/cancel")
    page = client.get(link).get_data(as_text=True)
    assert "Register again" in page
    client.post(f"{link}/rejoin")
    assert db.session.scalar(sa.select(Registration.status)) is RegistrationStatus.CONFIRMED


def test_the_confirmation_page_without_a_registration_goes_back_to_the_event(client, event):
    response = client.get(f"/events/{event.slug}/register/done")
    assert response.status_code == 302
    assert response.headers["Location"].endswith(f"/events/{event.slug}")


def test_too_many_colleagues_is_an_error_not_a_silent_cut(client, event):
    data = form_data(event.hosts[0].id)
    for i in range(21):
        data.update({f"colleagues-{i}-legal_first_name": "C", f"colleagues-{i}-legal_last_name": f"Lee {i}",
                     f"colleagues-{i}-email": f"c{i}@example.org", f"colleagues-{i}-role": "teacher"})
    response = client.post(f"/events/{event.slug}/register", data=data)
    assert response.status_code == 413  # counted on the raw form, before any row is built
    assert "at most 20 colleagues" in response.get_data(as_text=True)
    assert db.session.scalar(sa.select(sa.func.count(Registration.id))) == 0


def test_ten_thousand_colleague_rows_are_refused_before_any_is_built(client, event, monkeypatch):
    """A 350 KB post of 10,000 rows once cost seconds of CPU per request: it is refused from the raw form."""
    from eventhub.registration import forms

    built = []
    original = forms.ColleagueForm.__init__

    def counted(self, *args, **kwargs):
        built.append(1)
        original(self, *args, **kwargs)

    monkeypatch.setattr(forms.ColleagueForm, "__init__", counted)
    data = form_data(event.hosts[0].id)
    for i in range(10_000):
        data.update({f"colleagues-{i}-legal_first_name": "C", f"colleagues-{i}-email": f"c{i}@example.org"})
    response = client.post(f"/events/{event.slug}/register", data=data)
    assert response.status_code == 413 and built == []
    page = response.get_data(as_text=True)
    assert "at most 20 colleagues" in page and "This form sent 10,000." in page
    assert db.session.scalar(sa.select(sa.func.count(Registration.id))) == 0


def test_control_characters_are_removed_before_saving_and_a_nul_is_refused(client, event):
    refused = client.post(f"/events/{event.slug}/register",
                          data=form_data(event.hosts[0].id, legal_first_name="Jo\x00sé"))
    assert refused.status_code == 400 and "NUL" in refused.get_data(as_text=True)
    assert db.session.scalar(sa.select(Registration)) is None
    response = client.post(f"/events/{event.slug}/register",
                           data=form_data(event.hosts[0].id, legal_first_name="José\x07",
                                          allergies="nuts\nshellfish"))
    assert response.status_code == 302
    registration = db.session.scalar(sa.select(Registration))
    assert registration.legal_first_name == "José"
    assert registration.allergies == "nuts\nshellfish"


def test_emails_are_stored_in_ascii_form_and_non_ascii_mailboxes_are_refused(client, event, mailbox):
    response = client.post(f"/events/{event.slug}/register", data=form_data(event.hosts[0].id,
                                                                            email="josé@example.org"))
    assert response.status_code == 422
    assert "Enter a valid email address" in response.get_data(as_text=True)
    ok = client.post(f"/events/{event.slug}/register", data=form_data(event.hosts[0].id, email="Jose@Exämple.org"))
    assert ok.status_code == 302
    assert db.session.scalar(sa.select(Registration.email)) == "jose@xn--exmple-cua.org"
    assert len(mailbox.to("jose@xn--exmple-cua.org")) == 1


def test_the_empty_form_is_cached_briefly_but_every_visitor_gets_their_own_token(make_app, make_event, make_visit):
    from eventhub.models import Event, Visit

    app = make_app(WTF_CSRF_ENABLED=True, FORM_CACHE_SECONDS=60)
    with app.app_context():  # requests below run in their own contexts, as in a real server
        event = make_event()
        make_visit(event, title="Original title")
        url, district_id = f"/events/{event.slug}/register", event.hosts[0].id
    first, second = app.test_client(), app.test_client()
    token_re = r'name="csrf_token" type="hidden" value="([^"]+)"'
    page_one = first.get(url).get_data(as_text=True)
    with app.app_context():
        db.session.scalar(sa.select(Visit)).title = "Renamed"
        db.session.commit()
    page_two = second.get(url).get_data(as_text=True)
    assert "Original title" in page_two, "served from the cache"
    assert re.search(token_re, page_one).group(1) != re.search(token_re, page_two).group(1)
    assert "csrf-token-placeholder" not in page_two
    # The cached page's token works for its visitor.
    token = re.search(token_re, page_two).group(1)
    assert second.post(url, data=form_data(district_id, csrf_token=token)).status_code == 302
    # Editing the event itself refreshes the page at once.
    with app.app_context():
        db.session.scalar(sa.select(Event)).title = "Renamed convening"
        db.session.commit()
    assert "Renamed convening" in first.get(url).get_data(as_text=True)


def test_row_numbers_of_any_length_count_toward_the_cap(client, event):
    """WTForms reads colleagues-1000000000-email as a row too: the raw count must see it."""
    data = form_data(event.hosts[0].id)
    for i in range(25):
        data[f"colleagues-{10**12 + i}-email"] = f"c{i}@example.org"
    response = client.post(f"/events/{event.slug}/register", data=data)
    assert response.status_code == 413 and "at most 20 colleagues" in response.get_data(as_text=True)


def test_many_values_of_few_names_count_as_answers(client, event):
    from eventhub.bounds import MAX_FIELDS

    data = form_data(event.hosts[0].id)
    for n in range(MAX_FIELDS // 150 + 1):
        data[f"extra{n}"] = ["x"] * 150  # 150 values each, each name under the per-name bound
    response = client.post(f"/events/{event.slug}/register", data=data)
    assert response.status_code == 413 and "answers" in response.get_data(as_text=True)
