"""Public event pages: the list, the event with its agenda by local day, the registration window."""
from datetime import UTC, date, datetime, timedelta

from eventhub.events.services import agenda_by_day
from eventhub.models import AgendaKind, EventStatus
from eventhub.registration.window import WindowState, registration_window


def test_index_lists_upcoming_events_and_hides_drafts(client, make_event):
    make_event(title="Spring Convening")
    make_event(title="Secret Draft", status=EventStatus.DRAFT)
    past_start = date.today() - timedelta(days=40)
    make_event(title="Last Fall", starts_on=past_start, ends_on=past_start + timedelta(days=1))
    page = client.get("/").get_data(as_text=True)
    assert "Spring Convening" in page
    assert "Secret Draft" not in page
    assert page.index("Spring Convening") < page.index("Past events") < page.index("Last Fall")


def test_event_page_shows_hosts_venue_dates_and_the_named_zone(client, make_event, make_district):
    host = make_district(name="Cedar Ridge Unified School District", state="CA", timezone="America/Los_Angeles")
    event = make_event(title="Spring Convening", hosts=[host], timezone="America/Los_Angeles",
                       starts_on=date(2031, 4, 8), ends_on=date(2031, 4, 10), venue_name="Harbor Hall")
    page = client.get(f"/events/{event.slug}").get_data(as_text=True)
    assert "Cedar Ridge Unified School District" in page
    assert "Harbor Hall" in page
    assert "April 8–10, 2031" in page
    assert "Pacific Time (America/Los_Angeles)" in page


def test_agenda_is_grouped_by_day_in_the_event_zone(client, make_event, make_agenda_item):
    event = make_event(timezone="America/Chicago", starts_on=date(2031, 4, 8), ends_on=date(2031, 4, 9))
    # 19:30 Chicago on the 8th is already the 9th in UTC: it must stay on the 8th.
    make_agenda_item(event, date(2031, 4, 8), "19:30", "21:00", title="Evening reception", kind=AgendaKind.MEAL)
    make_agenda_item(event, date(2031, 4, 8), "09:00", "10:15", title="Opening plenary")
    make_agenda_item(event, date(2031, 4, 9), "08:00", "12:00", title="School visits", kind=AgendaKind.VISIT_BLOCK)
    days = agenda_by_day(event)
    assert [(day, [i.title for i in items]) for day, items in days] == [
        (date(2031, 4, 8), ["Opening plenary", "Evening reception"]),
        (date(2031, 4, 9), ["School visits"]),
    ]
    page = client.get(f"/events/{event.slug}").get_data(as_text=True)
    assert "Tuesday, April 8, 2031" in page and "Wednesday, April 9, 2031" in page
    assert "9:00 AM" in page and "7:30 PM" in page
    agenda = page[page.index('id="agenda-title"'):]
    assert agenda.index("Evening reception") < agenda.index("Wednesday, April 9, 2031")
    assert "All times are Central Time (America/Chicago)" in page


def test_drafts_and_unknown_events_are_not_found(client, make_event):
    draft = make_event(status=EventStatus.DRAFT)
    assert client.get(f"/events/{draft.slug}").status_code == 404
    response = client.get("/events/no-such-event")
    assert response.status_code == 404
    assert "There is no event at this address" in response.get_data(as_text=True)


def test_registration_window_states(make_event):
    opens = datetime(2031, 3, 1, 15, 0, tzinfo=UTC)
    closes = datetime(2031, 3, 20, 4, 59, tzinfo=UTC)
    event = make_event(registration_opens_at=opens, registration_closes_at=closes,
                       starts_on=date(2031, 4, 8), ends_on=date(2031, 4, 10))
    before = registration_window(event, opens - timedelta(seconds=1))
    assert before.state is WindowState.NOT_YET_OPEN
    assert before.message == "Registration opens Saturday, March 1, 2031 at 9:00 AM CST."
    assert registration_window(event, opens).is_open
    after = registration_window(event, closes)
    assert after.state is WindowState.CLOSED
    assert after.message == "Registration closed Wednesday, March 19, 2031 at 11:59 PM CDT."
    event.status = EventStatus.CANCELLED
    assert registration_window(event, opens + timedelta(days=1)).state is WindowState.UNAVAILABLE


def test_event_page_says_when_registration_opens(client, make_event):
    event = make_event(registration_opens_at=datetime.now(UTC) + timedelta(days=3))
    page = client.get(f"/events/{event.slug}").get_data(as_text=True)
    assert "Registration opens" in page
    assert f"/events/{event.slug}/register\"" not in page


def test_an_event_stays_upcoming_until_its_last_day_ends_in_its_own_zone(make_event):
    from eventhub.events.services import listed_events

    event = make_event(timezone="America/Los_Angeles", starts_on=date(2031, 4, 8), ends_on=date(2031, 4, 10))
    evening_of_last_day = datetime(2031, 4, 11, 0, 30, tzinfo=UTC)  # 17:30 on the 10th in Los Angeles
    assert listed_events(evening_of_last_day) == ([event], [])
    assert listed_events(datetime(2031, 4, 11, 7, 30, tzinfo=UTC)) == ([], [event])


def test_odd_event_addresses_are_404_on_every_database(client):
    for path in ("/events/%00", "/events/ev%00/register", "/events/ev%00/register/done", "/events/" + "a" * 81):
        assert client.get(path).status_code == 404
    assert client.post("/events/ev%00/register", data={}).status_code == 404


def test_the_event_page_leads_with_a_summary_line_then_jump_links_to_the_days_and_visits(client, make_event,
                                                                                     make_agenda_item, make_visit):
    event = make_event(summary="Three days of visits and breakouts.")
    make_agenda_item(event, event.starts_on, "09:00", "10:00", title="Opening plenary")
    make_agenda_item(event, event.ends_on, "09:00", "10:00", title="Closing plenary")
    for n in range(12):
        make_visit(event, title=f"Visit number {n}")
    page = client.get(f"/events/{event.slug}").get_data(as_text=True)
    jump = page.index("On this page")
    # A one-line summary (dates, venue, hosts) and registration first; the event's own words follow the links.
    assert page.index('class="meta"') < page.index('id="registration-title"') < jump
    assert jump < page.index("Three days of visits and breakouts.") < page.index('id="agenda-title"')
    assert '<a href="#day-1">' in page and '<a href="#day-2">' in page and 'href="#visits-title"' in page
    assert 'id="day-2"' in page and 'id="visits-title"' in page  # the targets exist
    # The whole agenda comes before the twelve visit cards.
    assert page.index("Closing plenary") < page.index("Visit number 0")


def test_the_home_page_leads_to_peer_visits_and_districts_like_mine(client):
    page = client.get("/").get_data(as_text=True)
    assert 'href="/visits"' in page and 'href="/visits#districts-like-mine"' in page
    assert 'id="districts-like-mine"' in client.get("/visits").get_data(as_text=True)
