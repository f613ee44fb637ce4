"""The directory in Chromium, end to end: an organizer adds a district and a school with its rules for
visitors, creates an event hosted by that district with a visit at that school, publishes it, and a visitor
registers through the public form by searching for the district."""
import re
from datetime import date, timedelta

import sqlalchemy as sa

from eventhub.extensions import db
from eventhub.models import District, Event, Registration, School, Visit

from conftest import sign_in_page


def test_a_district_and_its_school_host_an_event_people_register_for_by_searching(app, page, live_app):
    from playwright.sync_api import expect

    sign_in_page(page)
    page.get_by_role("link", name="Districts", exact=True).click()
    page.get_by_role("link", name="Add a district").click()
    page.get_by_label("Name").fill("Harbor Point City Schools")
    page.get_by_label("State").select_option("OH")
    page.get_by_label("City", exact=True).fill("Harbor Point")
    page.get_by_label("NCES district id (LEAID)").fill("3904321")
    page.get_by_label("Time zone").select_option("America/New_York")
    page.get_by_label("Enrollment").fill("4200")
    page.get_by_label("Locale").select_option("town")
    page.get_by_label("Free or reduced-price lunch, %").fill("38")
    page.get_by_label("Grades").fill("K-12")
    page.get_by_label("A member of the network").check()
    page.get_by_label("Email domains").fill("hpcs.k12.oh.us")
    page.get_by_role("button", name="Add the district").click()
    expect(page.get_by_role("heading", name="Harbor Point City Schools, OH")).to_be_visible()
    expect(page.get_by_text("4,200 students, small-town, 38% free/reduced lunch, grades K-12")).to_be_visible()

    page.get_by_role("link", name="Add a school").click()
    page.get_by_label("Name").fill("Lighthouse Elementary")
    page.get_by_label("NCES school id").fill("390432100001")
    page.get_by_label("Street address").fill("12 Beacon Street")
    page.get_by_label("City").fill("Harbor Point")
    page.get_by_role("button", name="Add the school").click()
    page.get_by_label("Norms for visitors").fill("Observe quietly; no photos of students.")
    page.get_by_label("School days of notice required").fill("3")
    page.get_by_role("button", name="Save the rules").click()
    expect(page.get_by_role("heading", name="Harbor Point City Schools, OH")).to_be_visible()
    expect(page.get_by_role("link", name="Lighthouse Elementary")).to_be_visible()

    starts = date.today() + timedelta(days=40)
    page.goto("/admin/events/new")
    page.get_by_label("Title").fill("Peer visit: Lighthouse reading corners")
    page.get_by_label("Web address").fill("lighthouse-reading")
    page.get_by_label("Kind").select_option("peer_visit")
    page.get_by_label("Host's time zone").select_option("America/New_York")
    page.locator("#starts_on").fill(starts.isoformat())
    page.locator("#ends_on").fill(starts.isoformat())
    page.locator("#registration_opens_at").fill(f"{date.today() - timedelta(days=1)}T09:00")
    page.locator("#registration_closes_at").fill(f"{starts - timedelta(days=5)}T17:00")
    page.get_by_label("Find a host district").fill("harbor point")
    page.get_by_role("button", name="Find").click()
    expect(page.get_by_text("1 district found")).to_be_visible()
    page.get_by_label("Harbor Point City Schools, OH").check()
    page.get_by_role("button", name=re.compile("^(Save|Create)")).click()
    expect(page.get_by_role("button", name="Publish")).to_be_visible()

    page.goto("/admin/events/lighthouse-reading/visits/new")
    page.get_by_label("Host school").select_option(label="Lighthouse Elementary (Harbor Point City Schools)")
    page.get_by_label("Title").fill("Reading corners in K-2")
    page.get_by_label("Starts at the school").fill("09:00")
    page.get_by_label("Ends").fill("11:30")
    page.get_by_label("Seats, set outright").fill("12")
    page.get_by_role("button", name=re.compile("^(Save|Add|Create)")).click()
    expect(page.get_by_text("Reading corners in K-2").first).to_be_visible()

    page.goto("/admin/events/lighthouse-reading")
    page.get_by_role("button", name="Publish").click()

    page.goto("/events/lighthouse-reading/register")
    page.get_by_label("Legal first name").first.fill("Ana")
    page.get_by_label("Legal last name").first.fill("García")
    page.locator("#email").fill("ana@hpcs.k12.oh.us")
    page.get_by_label("Role").first.select_option(label="Principal")
    page.get_by_label("Not in the list? Find your district").fill("harbor")
    page.get_by_role("button", name="Find", exact=True).click()
    expect(page.get_by_text("is chosen in the list above")).to_be_visible()
    expect(page.get_by_label("District", exact=False).first).to_have_value(re.compile(r"^\d+$"))
    page.get_by_label("No, please do not photograph me").check()
    page.get_by_label(re.compile("^I will follow the visit norms")).check()
    page.get_by_role("button", name="Register").click()
    expect(page.get_by_role("heading", name="Check your email")).to_be_visible()

    district = db.session.scalar(sa.select(District).where(District.nces_leaid == "3904321"))
    event = db.session.scalar(sa.select(Event).where(Event.slug == "lighthouse-reading"))
    assert [d.id for d in event.hosts] == [district.id] and event.status.value == "published"
    school = db.session.scalar(sa.select(School).where(School.nces_id == "390432100001"))
    assert school.district_id == district.id and school.notice_school_days == 3
    assert db.session.scalar(sa.select(Visit.school_id)) == school.id
    registration = db.session.scalar(sa.select(Registration))
    assert (registration.district_id, registration.role.label, registration.legal_first_name) == (
        district.id, "Principal", "Ana"), "the answers typed before Find were kept"


def test_an_organizer_uploads_a_ccd_file_reads_the_preview_and_commits_it(app, page, live_app, tmp_path):
    from playwright.sync_api import expect

    data = tmp_path / "ccd_lea.csv"
    data.write_bytes(("LEAID,LEA_NAME,ST,LCITY,GSLO,GSHI,LOCALE,MEMBER,FRELCH,REDLCH,SCHOOL_YEAR\n"
                      "5507350,Kettle Moraine School District,WI,Wales,PK,12,21,6100,700,150,2023-2024\n"
                      "4833120,Caliche Springs ISD,TX,Caliche Springs,PK,12,11,59400,40000,5000,2023-2024\n"
                      "1.00005E+11,Albertville City,AL,Albertville,KG,12,32,5600,2800,300,2023-2024\n"
                      ).encode("cp1252"))
    sign_in_page(page)
    page.goto("/admin/districts")
    page.get_by_role("link", name="Import a file").click()
    page.get_by_label("CSV file of districts or schools").set_input_files(data)
    page.get_by_role("button", name="Preview the import").click()
    expect(page.get_by_role("heading", name="What importing this file would do")).to_be_visible()
    expect(page.locator(".import-counts")).to_contain_text("2 districts to add")
    expect(page.get_by_text("Columns left alone: SCHOOL_YEAR.")).to_be_visible()
    expect(page.get_by_text("scientific notation")).to_be_visible()
    expect(page.get_by_text("TX has more than one time zone")).to_be_visible()
    assert db.session.scalar(sa.select(sa.func.count(District.id))) == 0, "a preview writes nothing"

    page.get_by_role("button", name="Commit: add 2 and update 0").click()
    expect(page.get_by_text("Imported: 2 districts added, 0 updated, 0 unchanged; 1 rows not imported.")) \
        .to_be_visible()
    expect(page.get_by_role("link", name="Kettle Moraine School District")).to_be_visible()
    kettle = db.session.scalar(sa.select(District).where(District.nces_leaid == "5507350"))
    assert (kettle.timezone, kettle.enrollment, kettle.frl_percent) == ("America/Chicago", 6100, 14)
