"""`flask seed-demo`: load a fictional network of districts with an upcoming and a past convening.

Every district, school, person and address below is invented. Dates are computed
from today so the spring convening is always upcoming, the fall one always past, and
the peer visits between convenings always a few weeks ahead.

The spring convening comes with its school visits, about 120 confirmed registrations
with ranked visit choices, and seats given first come first served in registration
order (with waiting lists on the visits that filled). The rows are built directly:
the registration services would send an email to every demo attendee.
"""
import calendar
import random
import re
import unicodedata
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import click
import sqlalchemy as sa
from flask.cli import with_appcontext
from sqlalchemy.orm import selectinload

from eventhub.demo.followup import (
    TEAM_ROLES,
    fall_attendees,
    fall_follow_up,
    fall_visits,
)
from eventhub.directory.imports import commit_import, preview_import
from eventhub.extensions import db
from eventhub.models import (
    AgendaItem,
    AgendaKind,
    AttendeeRole,
    District,
    Event,
    EventKind,
    EventStatus,
    Registration,
    RegistrationStatus,
    SeatStatus,
    Transport,
    Visit,
    VisitAllocationMode,
    VisitChoice,
    VisitSeat,
)
from eventhub.templating import date_range
from eventhub.timezones import local_date
from eventhub.urls import external_url
from eventhub.visits.services import change_school_rules

PROCUREMENT = "Procurement"
COMPETENCY = "Competency-based education"
BLENDED = "Blended learning"
DEVICES = "1:1 devices"
LIBRARIES = "Libraries"
VISITS = "School visits"
FOLLOW_UP = "Follow-up"

# Registration closes this long before the first day, at 23:59 in the event's zone,
# so hosts can send screened guest lists to their schools in time.
REGISTRATION_CLOSES_BEFORE = timedelta(days=10)
# The past convening opened its registration this long before it started.
PAST_REGISTRATION_OPEN_FOR = timedelta(weeks=8)
# The upcoming convening opened a week ago, so the demo shows registration as open.
UPCOMING_REGISTRATION_OPENED_AGO = timedelta(days=7)
# A peer visit takes registrations until this many days before, at 23:59 in the host's zone.
PEER_VISIT_CLOSES_BEFORE = timedelta(days=3)

# The demo attendees and their choices are drawn from a fixed seed, so every load looks the same.
ATTENDEE_SEED = 2027


# --- visitor rules ---------------------------------------------------------------------------------

# Accepted kinds of photo ID (keys of ID_TYPES).
ID_ANY = ("us_drivers_license", "us_state_id", "passport")
ID_GOVERNMENT = ("us_drivers_license", "us_state_id", "passport", "other")
ID_SCANNER = ("us_drivers_license", "us_state_id")  # the door scanner reads no passports
ID_LICENSE_OR_PASSPORT = ("us_drivers_license", "passport")

PHOTOS_WITH_PERMISSION = "No photos of students without written permission from the principal."
PHOTOS_OF_WORK_ONLY = "Photos of student work, displays and empty rooms only; never of students."
PHOTOS_NONE = "No photos or video anywhere in the building, including of student work."
PHOTOS_VIA_DISTRICT = ("No photos of students; the district communications office shares approved photos "
                       "after the visit.")
PHOTOS_RELEASE_ON_FILE = ("No photos of students unless your escort confirms a photo release is on file for "
                          "every student in the picture.")

NORMS = (
    "Observation is non-evaluative and confidential: we come to learn, not to judge. Notes name no "
    "teacher and no student. No audio or video recording. Wear your visitor badge where it can be seen "
    "and stay with your escort."
)
HOLD_QUESTIONS = "Hold your questions for the debrief; the teachers are teaching."
PHONES_AWAY = "Silence your phone and keep it away in classrooms."
NO_STUDENT_TALK = "Speak with students only when a teacher invites you to."
TESTING_WEEKS = "Visits are refused during state testing weeks."
STAY_ON_ROUTE = "Stay on the route your escort gives you; some wings are closed to visitors."


def norms(*extra: str) -> str:
    """The network's visit norms, followed by what this school adds."""
    return " ".join((NORMS, *extra))


@dataclass(frozen=True)
class VisitorRules:
    """What a school asks of every visitor; shown before anyone picks a visit and printed on agendas."""

    notice_school_days: int
    photo_policy: str
    visitor_norms: str
    accepted_ids: tuple[str, ...] = ID_ANY
    photo_id_required: bool = True
    screening_dob_required: bool = False
    screening_id_type_required: bool = False


STANDARD_RULES = VisitorRules(3, PHOTOS_WITH_PERMISSION, norms(PHONES_AWAY))


@dataclass(frozen=True)
class SchoolSpec:
    """A school's rules for visitors, by its name (the school itself comes from data/schools.csv: the
    directory is imported, rules never are)."""

    name: str
    rules: VisitorRules = STANDARD_RULES


@dataclass(frozen=True)
class DistrictSpec:
    """A member district's schools' rules (the district and its schools come from data/*.csv)."""

    name: str
    schools: tuple[SchoolSpec, ...]


@dataclass(frozen=True)
class AgendaSpec:
    """One agenda slot in wall-clock time of the event's zone; `day` counts from 1."""

    day: int
    starts: str
    ends: str
    kind: AgendaKind
    title: str
    room: str
    topic: str | None
    description: str


@dataclass(frozen=True)
class ConveningSpec:
    """A convening without its dates, which are derived from today."""

    season: str
    title: str
    host: str
    venue_name: str
    venue_address: str
    days: int
    capacity: int
    summary: str
    agenda: tuple[AgendaSpec, ...]


DISTRICTS: list[DistrictSpec] = [
    DistrictSpec("Harbor Point City Schools", (
        SchoolSpec("Lakefront STEM Academy",
                   VisitorRules(3, PHOTOS_VIA_DISTRICT, norms(PHONES_AWAY, STAY_ON_ROUTE), ID_SCANNER)),
        SchoolSpec("Lighthouse Hill Elementary School",
                   VisitorRules(4, PHOTOS_WITH_PERMISSION, norms(NO_STUDENT_TALK), ID_SCANNER)),
        SchoolSpec("Ore Dock Middle School",
                   VisitorRules(3, PHOTOS_NONE, norms(PHONES_AWAY, TESTING_WEEKS), ID_SCANNER)),
    )),
    DistrictSpec("Hemlock Gap Area School District", (
        SchoolSpec("Hemlock Gap Elementary School",
                   VisitorRules(2, PHOTOS_WITH_PERMISSION, norms(HOLD_QUESTIONS), ID_LICENSE_OR_PASSPORT)),
        SchoolSpec("Hemlock Gap Junior/Senior High School",
                   VisitorRules(2, PHOTOS_OF_WORK_ONLY, norms(PHONES_AWAY), ID_LICENSE_OR_PASSPORT)),
    )),
    DistrictSpec("Quarry Brook Public Schools", (
        SchoolSpec("Quarry Brook High School",
                   VisitorRules(5, PHOTOS_VIA_DISTRICT, norms(PHONES_AWAY, TESTING_WEEKS), ID_ANY)),
        SchoolSpec("Stonecutter Middle School",
                   VisitorRules(4, PHOTOS_WITH_PERMISSION, norms(NO_STUDENT_TALK), ID_ANY)),
        SchoolSpec("Millrace Elementary School",
                   VisitorRules(4, PHOTOS_RELEASE_ON_FILE, norms(HOLD_QUESTIONS), ID_ANY)),
    )),
    DistrictSpec("Sourwood County Schools", (
        SchoolSpec("Sourwood County Early College",
                   VisitorRules(2, PHOTOS_WITH_PERMISSION, norms(PHONES_AWAY), ID_GOVERNMENT)),
        SchoolSpec("Blue Ash Middle School",
                   VisitorRules(3, PHOTOS_WITH_PERMISSION, norms(NO_STUDENT_TALK, TESTING_WEEKS))),
        SchoolSpec("Tanglewild Elementary School", VisitorRules(3, PHOTOS_OF_WORK_ONLY, norms(HOLD_QUESTIONS))),
        SchoolSpec("Bramlett Elementary School", VisitorRules(2, PHOTOS_WITH_PERMISSION, norms(PHONES_AWAY))),
    )),
    DistrictSpec("Caliche Springs Independent School District", (
        SchoolSpec("Mesquite Trail Elementary School",
                   VisitorRules(5, PHOTOS_WITH_PERMISSION,
                                norms(NO_STUDENT_TALK, "Visits are refused during the STAAR testing windows."),
                                ID_ANY, screening_dob_required=True)),
        SchoolSpec("Windmill Park Elementary School", VisitorRules(5, PHOTOS_OF_WORK_ONLY, norms(HOLD_QUESTIONS))),
        SchoolSpec("Lomita Verde Middle School",
                   VisitorRules(4, PHOTOS_VIA_DISTRICT, norms(PHONES_AWAY, STAY_ON_ROUTE), ID_SCANNER,
                                screening_dob_required=True, screening_id_type_required=True)),
        SchoolSpec("Caliche Springs Early College High School",
                   VisitorRules(3, PHOTOS_RELEASE_ON_FILE, norms(PHONES_AWAY), ID_GOVERNMENT)),
        SchoolSpec("Agarita Elementary School",
                   VisitorRules(3, PHOTOS_WITH_PERMISSION, norms(HOLD_QUESTIONS), ID_ANY, screening_dob_required=True)),
        SchoolSpec("Pecan Bottom Middle School",
                   VisitorRules(2, PHOTOS_WITH_PERMISSION, norms(NO_STUDENT_TALK, PHONES_AWAY))),
    )),
    DistrictSpec("Prairie Lantern Community School District", (
        SchoolSpec("Prairie Lantern Elementary School",
                   VisitorRules(2, PHOTOS_WITH_PERMISSION, norms(HOLD_QUESTIONS), accepted_ids=(),
                                photo_id_required=False)),
        SchoolSpec("Prairie Lantern Junior-Senior High School",
                   VisitorRules(2, PHOTOS_OF_WORK_ONLY, norms(PHONES_AWAY), ID_LICENSE_OR_PASSPORT)),
    )),
    DistrictSpec("Fox Hollow Community Unit School District 317", (
        SchoolSpec("Fox Hollow North High School",
                   VisitorRules(4, PHOTOS_VIA_DISTRICT, norms(PHONES_AWAY, TESTING_WEEKS), ID_SCANNER)),
        SchoolSpec("Sycamore Bend Middle School", VisitorRules(3, PHOTOS_WITH_PERMISSION, norms(NO_STUDENT_TALK))),
        SchoolSpec("Wild Plum Elementary School", VisitorRules(3, PHOTOS_RELEASE_ON_FILE, norms(HOLD_QUESTIONS))),
    )),
    DistrictSpec("Tamarack Falls School District", (
        SchoolSpec("Tamarack Falls High School",
                   VisitorRules(3, PHOTOS_WITH_PERMISSION, norms(PHONES_AWAY), ID_LICENSE_OR_PASSPORT)),
        SchoolSpec("Tamarack Falls Middle School",
                   VisitorRules(3, PHOTOS_WITH_PERMISSION, norms(NO_STUDENT_TALK), ID_LICENSE_OR_PASSPORT)),
        SchoolSpec("Birch Portage Elementary School",
                   VisitorRules(2, PHOTOS_OF_WORK_ONLY, norms(HOLD_QUESTIONS), ID_LICENSE_OR_PASSPORT)),
    )),
    DistrictSpec("Persimmon Creek R-IV School District", (
        SchoolSpec("Persimmon Creek Elementary School", VisitorRules(2, PHOTOS_WITH_PERMISSION, norms(HOLD_QUESTIONS))),
        SchoolSpec("Persimmon Creek High School", VisitorRules(2, PHOTOS_OF_WORK_ONLY, norms(PHONES_AWAY))),
    )),
    DistrictSpec("Cottonwood Mesa School District RE-2", (
        SchoolSpec("Cottonwood Mesa High School",
                   VisitorRules(3, PHOTOS_WITH_PERMISSION, norms(PHONES_AWAY, TESTING_WEEKS), ID_GOVERNMENT)),
        SchoolSpec("Red Willow Middle School",
                   VisitorRules(3, PHOTOS_VIA_DISTRICT, norms(NO_STUDENT_TALK), ID_GOVERNMENT)),
        SchoolSpec("Gunnison Bench Elementary School",
                   VisitorRules(2, PHOTOS_WITH_PERMISSION, norms(HOLD_QUESTIONS), ID_GOVERNMENT)),
    )),
    DistrictSpec("Rio Piedra Public Schools", (
        SchoolSpec("Rio Piedra High School",
                   VisitorRules(5, PHOTOS_VIA_DISTRICT, norms(PHONES_AWAY, STAY_ON_ROUTE), ID_SCANNER)),
        SchoolSpec("Los Alamillos Middle School",
                   VisitorRules(4, PHOTOS_WITH_PERMISSION, norms(NO_STUDENT_TALK, TESTING_WEEKS), ID_SCANNER)),
        SchoolSpec("Bosque Azul Elementary School",
                   VisitorRules(4, PHOTOS_RELEASE_ON_FILE, norms(HOLD_QUESTIONS), ID_ANY)),
        SchoolSpec("Sandia Vista Dual Language Academy",
                   VisitorRules(3, PHOTOS_WITH_PERMISSION, norms(
                       HOLD_QUESTIONS, "Classrooms run in Spanish or English by the day; your escort will tell you "
                       "which."), ID_ANY)),
    )),
    DistrictSpec("Wasatch Meadow School District", (
        SchoolSpec("Wasatch Meadow High School", VisitorRules(3, PHOTOS_VIA_DISTRICT, norms(PHONES_AWAY), ID_SCANNER)),
        SchoolSpec("Kestrel Junior High School",
                   VisitorRules(3, PHOTOS_WITH_PERMISSION, norms(NO_STUDENT_TALK), ID_SCANNER)),
        SchoolSpec("Sego Lily Elementary School", VisitorRules(2, PHOTOS_OF_WORK_ONLY, norms(HOLD_QUESTIONS), ID_ANY)),
    )),
    DistrictSpec("Lodgepole County School District No. 4", (
        SchoolSpec("Lodgepole K-12 School",
                   VisitorRules(2, PHOTOS_WITH_PERMISSION, norms(PHONES_AWAY), ID_LICENSE_OR_PASSPORT)),
        SchoolSpec("Sweetgrass Creek Elementary School",
                   VisitorRules(2, PHOTOS_WITH_PERMISSION, norms(HOLD_QUESTIONS), accepted_ids=(),
                                photo_id_required=False)),
    )),
    DistrictSpec("Cedar Ridge Unified School District", (
        SchoolSpec("Cedar Ridge High School",
                   VisitorRules(3, PHOTOS_VIA_DISTRICT, norms(PHONES_AWAY, TESTING_WEEKS), ID_ANY)),
        SchoolSpec("Ridgeline Middle School", VisitorRules(3, PHOTOS_WITH_PERMISSION, norms(NO_STUDENT_TALK), ID_ANY)),
        SchoolSpec("Manzanita Park Elementary School",
                   VisitorRules(4, PHOTOS_RELEASE_ON_FILE, norms(HOLD_QUESTIONS), ID_ANY)),
        SchoolSpec("Foothill Oaks Elementary School",
                   VisitorRules(3, PHOTOS_WITH_PERMISSION, norms(PHONES_AWAY), ID_ANY)),
    )),
    DistrictSpec("Tidewater Heights School District", (
        SchoolSpec("Tidewater Heights High School",
                   VisitorRules(3, PHOTOS_VIA_DISTRICT, norms(PHONES_AWAY), ID_GOVERNMENT)),
        SchoolSpec("Madrona Point Middle School",
                   VisitorRules(4, PHOTOS_WITH_PERMISSION, norms(NO_STUDENT_TALK, STAY_ON_ROUTE), ID_GOVERNMENT)),
        SchoolSpec("Eelgrass Cove Elementary School",
                   VisitorRules(3, PHOTOS_OF_WORK_ONLY, norms(HOLD_QUESTIONS), ID_GOVERNMENT)),
    )),
    DistrictSpec("Tule Marsh Elementary School District", (
        SchoolSpec("Tule Marsh Elementary School",
                   VisitorRules(2, PHOTOS_WITH_PERMISSION, norms(HOLD_QUESTIONS), ID_LICENSE_OR_PASSPORT)),
        SchoolSpec("Heron Slough Middle School",
                   VisitorRules(2, PHOTOS_WITH_PERMISSION, norms(PHONES_AWAY), ID_LICENSE_OR_PASSPORT)),
    )),
    DistrictSpec("Valle Dorado Joint Union High School District", (
        SchoolSpec("Valle Dorado High School",
                   VisitorRules(5, PHOTOS_VIA_DISTRICT, norms(PHONES_AWAY, STAY_ON_ROUTE), ID_ANY)),
        SchoolSpec("Almond Orchard High School",
                   VisitorRules(4, PHOTOS_WITH_PERMISSION, norms(NO_STUDENT_TALK), ID_ANY)),
        SchoolSpec("Valle Dorado Career Technical Academy",
                   VisitorRules(3, PHOTOS_RELEASE_ON_FILE, norms(PHONES_AWAY, "Closed-toe shoes in the shops."),
                                ID_ANY)),
    )),
]


SPRING_CONVENING = ConveningSpec(
    season="spring",
    title="Spring Convening",
    host="Caliche Springs Independent School District",
    venue_name="Caliche Springs Convention Center",
    venue_address="1200 Depot Street, Caliche Springs, TX 76548",
    days=3,
    capacity=400,
    summary=(
        "Three days in Caliche Springs, Texas, hosted by Caliche Springs ISD. Day one opens with a "
        "report-back on what member districts adopted, adapted or dropped since the fall, then breakouts "
        "on procurement, competency-based education, blended learning, 1:1 devices and school libraries. "
        "Day two is spent in the host's schools: buses leave the convention center at 7:45 a.m. for a "
        "morning visit and an afternoon visit, with lunch at the early college high school. On the morning "
        "of day three a last round of smaller visits runs beside the breakouts; then everyone turns what "
        "they saw into a commitment: one change you will test back home, with check-ins at 30, 60 and 90 "
        "days. Come as a district team of three to eight; rank your visits when you register (seats go "
        "first come, first served) and bring a government photo ID for the school visits."
    ),
    agenda=(
        # Day 1: plenaries and breakouts at the convention center
        AgendaSpec(1, "07:30", "08:30", AgendaKind.MEAL, "Check-in and breakfast", "Prefunction Hall", None,
                   "Pick up your badge and printed agenda. Breakfast tacos, fruit and coffee; gluten-free and "
                   "vegan plates are labelled at the end of the line."),
        AgendaSpec(1, "08:30", "09:45", AgendaKind.PLENARY, "Opening plenary: what we tried since the fall",
                   "Grand Ballroom", FOLLOW_UP,
                   "Welcome from the host superintendent, then five member districts report in seven minutes "
                   "each on a change they tested after the fall convening and what the data showed."),
        AgendaSpec(1, "10:00", "11:15", AgendaKind.BREAKOUT, "Buying together: cooperative contracts that "
                   "leave room for a pilot", "Pecan Room", PROCUREMENT,
                   "Purchasing directors compare piggyback clauses, pilot-first pricing and how a small "
                   "district can join a larger one's contract without a new bid."),
        AgendaSpec(1, "10:00", "11:15", AgendaKind.BREAKOUT, "Competency-based grading in grades 6-12",
                   "Live Oak Room", COMPETENCY,
                   "Two middle schools walk through their proficiency scales, reassessment policy and the "
                   "conversation with families that made the change stick."),
        AgendaSpec(1, "10:00", "11:15", AgendaKind.BREAKOUT, "Station rotation in kindergarten and first grade",
                   "Agave Room", BLENDED,
                   "How early-grades teachers run a teacher-led small group while the rest of the class "
                   "rotates through independent and device stations, with video from two classrooms."),
        AgendaSpec(1, "11:30", "12:30", AgendaKind.MEAL, "Lunch", "Grand Ballroom", None,
                   "Seating by table topic; each table card names a practice members want to learn about."),
        AgendaSpec(1, "12:45", "14:00", AgendaKind.BREAKOUT, "Device refresh cycles and student repair depots",
                   "Pecan Room", DEVICES,
                   "Chief technology officers share four-year refresh budgets, insurance versus self-insuring, "
                   "and high-school students staffing the repair desk for credit."),
        AgendaSpec(1, "12:45", "14:00", AgendaKind.BREAKOUT, "The library as a learning commons",
                   "Live Oak Room", LIBRARIES,
                   "Librarians from rural and urban members on flexible scheduling, makerspaces on a small "
                   "budget and keeping a print collection students actually borrow."),
        AgendaSpec(1, "12:45", "14:00", AgendaKind.BREAKOUT, "Transcripts that show mastery",
                   "Agave Room", COMPETENCY,
                   "Counselors and registrars on reporting competencies to colleges and employers without "
                   "disadvantaging students in admissions."),
        AgendaSpec(1, "14:15", "15:15", AgendaKind.PLENARY, "Preparing for tomorrow's school visits",
                   "Grand Ballroom", VISITS,
                   "Host principals introduce their schools and the focus of each visit. We review the "
                   "visitor rules (photo ID at the door, badges, no photos of students) and the norms: "
                   "observation is non-evaluative, notes name no teacher, nothing is recorded."),
        AgendaSpec(1, "15:30", "16:30", AgendaKind.BREAKOUT, "Role-alike roundtables", "Mesquite Terrace", FOLLOW_UP,
                   "Superintendents, cabinet members, principals, coaches and teachers meet with peers in "
                   "the same role to trade the problem of practice they brought."),
        AgendaSpec(1, "18:00", "20:00", AgendaKind.MEAL, "Network dinner", "Mesquite Terrace", None,
                   "Dinner on the terrace with music from the Caliche Springs Early College jazz band."),
        # Day 2: the whole day in the host's schools, by bus; one visit per person in each block
        AgendaSpec(2, "07:00", "07:45", AgendaKind.MEAL, "Breakfast", "Prefunction Hall", None,
                   "Grab-and-go breakfast; buses leave on time."),
        AgendaSpec(2, "07:45", "08:30", AgendaKind.TRAVEL, "Buses to morning school visits",
                   "Convention center, Depot Street bus loop", VISITS,
                   "Board the bus with your visit's school on its windshield. Keep your photo ID at hand: "
                   "every school checks it at the door."),
        AgendaSpec(2, "08:30", "11:30", AgendaKind.VISIT_BLOCK, "School visits (morning)",
                   "Host schools (your visit names the school)", VISITS,
                   "Five visits run at once in five schools: K-1 station rotation, take-home laptops, "
                   "proficiency scales in sixth-grade math, a student-run makerspace and early literacy on "
                   "tablets. Groups of four or five, four or five classrooms each, then a debrief with the "
                   "principal. Your seat is on one of them."),
        AgendaSpec(2, "11:30", "12:00", AgendaKind.TRAVEL, "Buses to lunch", "Morning visit schools, front loop",
                   VISITS, "Every morning group rides to the early college high school."),
        AgendaSpec(2, "12:00", "12:45", AgendaKind.MEAL, "Lunch served by the culinary arts program",
                   "Caliche Springs Early College High School, cafeteria", None,
                   "Lunch prepared by students in the culinary arts pathway."),
        AgendaSpec(2, "12:45", "13:00", AgendaKind.TRAVEL, "Buses to afternoon school visits",
                   "Early college, bus lane on Collegiate Way", VISITS,
                   "Those visiting the early college itself stay in the building."),
        AgendaSpec(2, "13:00", "15:00", AgendaKind.VISIT_BLOCK, "School visits (afternoon)",
                   "Host schools (your visit names the school)", VISITS,
                   "Four visits: mastery-based high school with college credit, a library at the heart of "
                   "the school, advisory and student-led conferences, and piloting curriculum before the "
                   "district buys it."),
        AgendaSpec(2, "15:00", "15:45", AgendaKind.TRAVEL, "Buses back to the convention center",
                   "Visit schools, front loop", VISITS, "All buses return to the Depot Street bus loop."),
        AgendaSpec(2, "16:00", "17:00", AgendaKind.BREAKOUT, "District team debrief", "Live Oak Room", FOLLOW_UP,
                   "Sit with your own district team and note what you saw, using the evidence column of "
                   "the commitment sheet."),
        # Day 3: a last round of visits for some while the others meet, then commitments
        AgendaSpec(3, "07:00", "08:00", AgendaKind.MEAL, "Breakfast", "Prefunction Hall", None,
                   "Hot breakfast and coffee; visitors eat early, buses leave at 7:45 a.m."),
        AgendaSpec(3, "07:45", "08:30", AgendaKind.TRAVEL, "Buses to Thursday's school visits",
                   "Convention center, Depot Street bus loop", VISITS,
                   "For those with a seat on a morning visit; everyone else starts in the breakout rooms."),
        AgendaSpec(3, "08:30", "11:00", AgendaKind.VISIT_BLOCK, "School visits",
                   "Host schools (your visit names the school)", VISITS,
                   "Three smaller visits: competency-based transcripts in the counseling office, a blended "
                   "intervention block in middle school, and a second look at K-1 station rotation."),
        AgendaSpec(3, "08:30", "09:30", AgendaKind.BREAKOUT, "Writing an RFP that lets you pilot first",
                   "Pecan Room", PROCUREMENT,
                   "A working session: bring a current bid and leave with pilot and exit clauses drafted."),
        AgendaSpec(3, "09:45", "11:00", AgendaKind.BREAKOUT, "Finding time for small groups in middle school",
                   "Agave Room", BLENDED,
                   "Schedules from three members that carve out small-group time without losing electives."),
        AgendaSpec(3, "09:45", "11:00", AgendaKind.BREAKOUT, "Take-home devices: policies and family support",
                   "Live Oak Room", DEVICES,
                   "Acceptable use, damage fees that don't punish poverty, and hot spots for families."),
        AgendaSpec(3, "11:00", "11:30", AgendaKind.TRAVEL, "Buses back to the convention center",
                   "Visit schools, front loop", VISITS, "Buses return in time for the panel."),
        AgendaSpec(3, "11:30", "12:15", AgendaKind.PLENARY, "Panel: host principals answer your questions",
                   "Grand Ballroom", VISITS,
                   "The host principals take questions collected on the buses over the two visit days."),
        AgendaSpec(3, "12:15", "13:15", AgendaKind.PLENARY, "Commitments: your first test back home",
                   "Grand Ballroom", FOLLOW_UP,
                   "Each participant fills in the commitment sheet: the change, the first test, the "
                   "prediction and how you will know. Check-ins follow at 30, 60 and 90 days."),
        AgendaSpec(3, "13:15", "14:00", AgendaKind.MEAL, "Closing lunch", "Grand Ballroom", None,
                   "Boxed lunches are available for those leaving early."),
        AgendaSpec(3, "14:00", "14:45", AgendaKind.TRAVEL, "Shuttles to the airport",
                   "Convention center, Depot Street bus loop", None,
                   "Shuttles leave every fifteen minutes until 2:45 p.m."),
    ),
)

FALL_CONVENING = ConveningSpec(
    season="fall",
    title="Fall Convening",
    host="Cedar Ridge Unified School District",
    venue_name="Gold Country Events Pavilion",
    venue_address="450 Mill Street, Cedar Ridge, CA 95726",
    days=2,
    capacity=350,
    summary=(
        "Two days in the Sierra foothills, hosted by Cedar Ridge Unified. The first morning looks back "
        "at the commitments made in the spring; the afternoon takes everyone by bus to see competency-based "
        "grading at Cedar Ridge High School and a blended kindergarten at Manzanita Park Elementary. The "
        "second day is for planning the first test of what you saw, with your district team."
    ),
    agenda=(
        AgendaSpec(1, "08:00", "08:45", AgendaKind.MEAL, "Check-in and breakfast", "Pavilion lobby", None,
                   "Badges, printed agendas and breakfast."),
        AgendaSpec(1, "08:45", "09:45", AgendaKind.PLENARY, "Report-back: spring commitments at 90 days",
                   "Main Hall", FOLLOW_UP,
                   "Members report what they adopted, adapted or dropped since the spring convening."),
        AgendaSpec(1, "10:00", "11:00", AgendaKind.BREAKOUT, "Competency-based report cards for families",
                   "Sugar Pine Room", COMPETENCY,
                   "What parents asked when grades became proficiency levels, and the report card that answered."),
        AgendaSpec(1, "10:00", "11:00", AgendaKind.BREAKOUT, "Cooperative purchasing for small districts",
                   "Incense Cedar Room", PROCUREMENT,
                   "Joining regional contracts for devices and curriculum without a new bid."),
        AgendaSpec(1, "11:15", "12:00", AgendaKind.MEAL, "Lunch", "Main Hall", None, "Buffet lunch."),
        AgendaSpec(1, "12:00", "12:30", AgendaKind.TRAVEL, "Buses to school visits", "Pavilion, Mill Street curb",
                   VISITS, "Bring your photo ID; both schools check it at the door."),
        AgendaSpec(1, "12:30", "15:00", AgendaKind.VISIT_BLOCK, "School visits",
                   "Cedar Ridge High School and Manzanita Park Elementary School", VISITS,
                   "Two visits at once: proficiency-based grading at Cedar Ridge High School (reassessment "
                   "and student-led conferences; groups of five, four classrooms) and a blended kindergarten "
                   "at Manzanita Park Elementary (a K-1 rotation with a teacher-led small group; groups of four)."),
        AgendaSpec(1, "15:00", "15:30", AgendaKind.TRAVEL, "Buses back to the pavilion", "Visit schools, front loop",
                   VISITS, "Return to Mill Street."),
        AgendaSpec(2, "07:45", "08:30", AgendaKind.MEAL, "Breakfast", "Pavilion lobby", None, "Continental breakfast."),
        AgendaSpec(2, "08:30", "10:00", AgendaKind.PLENARY, "From observation to a first test", "Main Hall",
                   FOLLOW_UP, "District teams draft commitment sheets from yesterday's visit notes."),
        AgendaSpec(2, "10:15", "11:30", AgendaKind.BREAKOUT, "Refreshing 1:1 devices on a flat budget",
                   "Sugar Pine Room", DEVICES, "Lease, buy or extend: three members compare the numbers."),
        AgendaSpec(2, "11:45", "12:30", AgendaKind.MEAL, "Closing lunch", "Main Hall", None,
                   "Lunch and safe travels home."),
    ),
)



# --- school visits at the spring convening ---------------------------------------------------------

SPRING_VISIT_DEPOT = "Convention center, Depot Street bus loop"


@dataclass(frozen=True)
class VisitSpec:
    """A visit in one visit block of the spring convening, in the host's wall-clock time.

    `popularity` weighs how often demo attendees rank it; `hopes` are what some of them write.
    """

    block: str
    school: str
    title: str
    focus: str
    topics: tuple[str, ...]
    starts: str
    ends: str
    meeting_point: str
    bus_departs: str | None
    contact: tuple[str, str, str]
    popularity: float
    hopes: tuple[str, ...] = ()
    transport: Transport = Transport.NETWORK_BUS
    lunch_provided: bool = False
    seats_override: int | None = None
    buses: int | None = None
    room_limit: int | None = None
    observation_groups: int | None = None
    group_size: int | None = None


MORNING = "School visits (morning)"
AFTERNOON = "School visits (afternoon)"
DAY_THREE = "School visits"

SPRING_VISITS: tuple[VisitSpec, ...] = (
    # Day 2, morning
    VisitSpec(MORNING, "Mesquite Trail Elementary School", "K-1 station rotation",
              "How kindergarten and first-grade teachers keep a teacher-led small group going while the rest "
              "of the class rotates through independent and device stations.",
              ("blended learning", "early grades", "small-group instruction"),
              "08:30", "11:15", f"{SPRING_VISIT_DEPOT}, bus 1", "07:45",
              ("Rosa Villarreal", "rvillarreal@calichesprings.example.org", "(254) 555-0141"), 6.0,
              ("How do five-year-olds learn to work without the teacher?",
               "What do the station routines look like in the first six weeks?"),
              buses=1, room_limit=30, observation_groups=5, group_size=4),
    VisitSpec(MORNING, "Lomita Verde Middle School", "Take-home laptops and a family help desk",
              "A 1:1 program that sends laptops home, with a family help desk, student tech leads and a "
              "repair bench run by eighth graders.",
              ("1:1 devices", "family engagement", "student tech leads"),
              "08:45", "11:15", f"{SPRING_VISIT_DEPOT}, buses 2 and 3", "07:45",
              ("DeShawn Mitchell", "dmitchell@calichesprings.example.org", "(254) 555-0152"), 3.0,
              ("What does the damage policy say, and who pays?", "How are the student tech leads trained?"),
              buses=2, room_limit=60, observation_groups=10, group_size=5),
    VisitSpec(MORNING, "Pecan Bottom Middle School", "Proficiency scales in sixth-grade math",
              "Proficiency scales, reassessment on demand and a gradebook without averages, in sixth-grade "
              "math and science.",
              ("competency-based education", "grading", "math"),
              "08:30", "11:00", f"{SPRING_VISIT_DEPOT}, bus 4", "07:50",
              ("Brenda Okafor", "bokafor@calichesprings.example.org", "(254) 555-0163"), 2.5,
              ("How do teachers keep reassessment manageable?",),
              buses=1, room_limit=45, observation_groups=8, group_size=5),
    VisitSpec(MORNING, "Agarita Elementary School", "A makerspace run by fifth graders",
              "The library makerspace where fifth-grade 'maker captains' run the stations for younger "
              "classes, on a budget of under $2,000 a year.",
              ("libraries", "makerspaces", "student leadership"),
              "08:45", "11:15", f"{SPRING_VISIT_DEPOT}, bus 5", "08:00",
              ("Ignacio Bustamante", "ibustamante@calichesprings.example.org", "(254) 555-0174"), 4.0,
              ("What did the makerspace cost to start?",),
              buses=1, room_limit=12, observation_groups=3, group_size=5),
    VisitSpec(MORNING, "Windmill Park Elementary School", "Early literacy on shared tablets",
              "How second- and third-grade classrooms use a cart of shared tablets for phonics practice and "
              "recorded reading, and what the teacher does with the data.",
              ("blended learning", "early literacy", "1:1 devices"),
              "08:30", "11:00", f"{SPRING_VISIT_DEPOT}, bus 6", "07:45",
              ("Mai Nguyen", "mnguyen@calichesprings.example.org", "(254) 555-0185"), 1.5,
              buses=1, room_limit=24, observation_groups=5, group_size=5),
    # Day 2, afternoon
    VisitSpec(AFTERNOON, "Caliche Springs Early College High School", "Mastery-based high school with college credit",
              "How students move on when they show mastery, and how the college credit courses fit the "
              "schedule. Groups of five, five classrooms, twelve minutes each.",
              ("competency-based education", "early college", "scheduling"),
              "13:00", "15:00", "Early college cafeteria, after lunch", None,
              ("Lorena Cavazos", "lcavazos@calichesprings.example.org", "(254) 555-0196"), 3.5,
              ("How does a student who is behind catch up without a failing grade?",),
              transport=Transport.WALK, lunch_provided=True,
              buses=2, room_limit=80, observation_groups=12, group_size=5),
    VisitSpec(AFTERNOON, "Windmill Park Elementary School", "A library at the heart of the school",
              "Flexible library scheduling and the makerspace, with the librarian and two classroom teachers.",
              ("libraries", "flexible scheduling", "makerspaces"),
              "13:00", "15:00", "Early college, bus lane on Collegiate Way, bus 7", "12:45",
              ("Mai Nguyen", "mnguyen@calichesprings.example.org", "(254) 555-0185"), 5.0,
              ("How did the librarian win back time from fixed specials?", "How is circulation tracked?"),
              seats_override=8, buses=1, observation_groups=2, group_size=4),
    VisitSpec(AFTERNOON, "Lomita Verde Middle School", "Advisory and student-led conferences",
              "A daily advisory that ends in student-led conferences twice a year, with portfolios on the "
              "students' laptops.",
              ("competency-based education", "advisory", "1:1 devices"),
              "13:00", "14:45", "Early college, bus lane on Collegiate Way, bus 8", "12:45",
              ("DeShawn Mitchell", "dmitchell@calichesprings.example.org", "(254) 555-0152"), 2.0,
              buses=1, room_limit=50, observation_groups=10, group_size=5),
    VisitSpec(AFTERNOON, "Agarita Elementary School", "Piloting curriculum before the district buys it",
              "How the district pilots a math curriculum in four classrooms for a semester before it signs a "
              "contract, and what the teachers' scorecard asks.",
              ("procurement", "curriculum pilots", "blended learning"),
              "13:00", "15:00", "Early college, bus lane on Collegiate Way, bus 9", "12:45",
              ("Ignacio Bustamante", "ibustamante@calichesprings.example.org", "(254) 555-0174"), 1.5,
              ("What do the pilot and exit clauses in the contract say?",),
              buses=1, room_limit=36, observation_groups=8, group_size=5),
    # Day 3, morning
    VisitSpec(DAY_THREE, "Caliche Springs Early College High School", "Transcripts that show mastery",
              "The counseling office explains how competencies reach college applications and employers, "
              "then students walk you through their mastery transcripts.",
              ("competency-based education", "transcripts", "college admissions"),
              "08:30", "10:45", SPRING_VISIT_DEPOT + ", bus 1", "07:45",
              ("Lorena Cavazos", "lcavazos@calichesprings.example.org", "(254) 555-0196"), 5.0,
              ("What did admissions offices say about the new transcript?",),
              seats_override=12, buses=1, room_limit=20),
    VisitSpec(DAY_THREE, "Pecan Bottom Middle School", "A blended intervention block",
              "A forty-minute intervention block where students rotate between a teacher, an adaptive program "
              "and peer tutoring, regrouped every three weeks.",
              ("blended learning", "intervention", "scheduling"),
              "08:30", "10:45", SPRING_VISIT_DEPOT + ", bus 2", "07:45",
              ("Brenda Okafor", "bokafor@calichesprings.example.org", "(254) 555-0163"), 2.5,
              buses=1, room_limit=40, observation_groups=8, group_size=5),
    VisitSpec(DAY_THREE, "Mesquite Trail Elementary School", "K-1 station rotation, a second look",
              "A second, smaller look at station rotation, this time in first grade at the end of the "
              "year, with the instructional coach who trained the teachers. Drive yourself: the school "
              "has room for cars only.",
              ("blended learning", "coaching", "early grades"),
              "09:00", "11:00", "Mesquite Trail Elementary School, visitor lot by the office", None,
              ("Rosa Villarreal", "rvillarreal@calichesprings.example.org", "(254) 555-0141"), 2.0,
              transport=Transport.OWN_VEHICLE, lunch_provided=False,
              room_limit=16, observation_groups=4, group_size=4),
)


# --- peer visits between convenings ----------------------------------------------------------------


@dataclass(frozen=True)
class PeerVisitSpec:
    """A district's open visit to one of its schools, some weeks from today, in the host's time."""

    host: str
    school: str
    weeks_ahead: int
    weekday: int
    starts: str
    ends: str
    title: str
    summary: str
    focus: str
    topics: tuple[str, ...]
    meeting_point: str
    contact: tuple[str, str, str]
    lunch_provided: bool = False
    seats_override: int | None = None
    room_limit: int | None = None
    observation_groups: int | None = None
    group_size: int | None = None


PEER_VISITS: tuple[PeerVisitSpec, ...] = (
    PeerVisitSpec(
        "Prairie Lantern Community School District", "Prairie Lantern Elementary School", 3, calendar.TUESDAY,
        "09:00", "12:00", "Multi-age blended classrooms in a small rural school",
        "Prairie Lantern opens its K-2 and 3-4 multi-age classrooms to a small team from a peer district. "
        "Bring three to eight people; lunch with the teachers is included.",
        "How two teachers run a combined K-2 room with station rotation, and how the district shares one "
        "reading specialist across grades.",
        ("blended learning", "multi-age classrooms", "rural"),
        "Front office, North Elm Street doors",
        ("Carla Jorgensen", "cjorgensen@prairielantern.example.org", "(641) 555-0110"),
        lunch_provided=True, room_limit=10, observation_groups=2, group_size=4),
    PeerVisitSpec(
        "Tidewater Heights School District", "Madrona Point Middle School", 5, calendar.WEDNESDAY,
        "08:30", "11:30", "1:1 laptops with a student help desk",
        "Madrona Point shows how its seventh and eighth graders staff the laptop help desk, and how the "
        "district budgets a four-year refresh.",
        "The student help desk, the loaner pool and the refresh budget, with the technology director.",
        ("1:1 devices", "student tech leads", "device refresh"),
        "Main office, Madrona Point Road doors",
        ("Anders Halvorsen", "ahalvorsen@tidewaterheights.example.org", "(253) 555-0121"),
        room_limit=12, observation_groups=2, group_size=5),
    PeerVisitSpec(
        "Rio Piedra Public Schools", "Sandia Vista Dual Language Academy", 7, calendar.THURSDAY,
        "09:00", "12:30", "A bilingual library and book clubs in two languages",
        "Sandia Vista's librarian and two teachers show a library built for a dual-language school, "
        "from the collection to the book clubs that meet in Spanish and English.",
        "How the library buys, shelves and circulates books in two languages, and how book clubs run.",
        ("libraries", "dual language", "literacy"),
        "Front desk, Paseo del Sol entrance",
        ("Marisol Ortega", "mortega@riopiedra.example.org", "(505) 555-0132"),
        seats_override=6, room_limit=12),
    PeerVisitSpec(
        "Hemlock Gap Area School District", "Hemlock Gap Junior/Senior High School", 9, calendar.TUESDAY,
        "08:00", "11:00", "Competency-based credit in a rural junior/senior high",
        "Hemlock Gap shows how a rural junior/senior high gives credit by competency, including for work "
        "on local farms and in the agriculture barn.",
        "Competency-based credit and the proficiency rubrics behind it, with a student panel.",
        ("competency-based education", "career and technical education", "rural"),
        "Entrance A, by the flagpole",
        ("Walter Kowalczyk", "wkowalczyk@hemlockgap.example.org", "(570) 555-0143"),
        room_limit=15, observation_groups=2, group_size=5),
)


# --- demo attendees of the spring convening ---------------------------------------------------------

# Legal first name and, for some, the name they go by.
FIRST_NAMES: tuple[tuple[str, str], ...] = (
    ("Adaeze", ""), ("Alejandra", "Ale"), ("Amir", ""), ("Ana Lucía", ""), ("Andrew", "Drew"), ("Aiyana", ""),
    ("Beatriz", ""), ("Benjamin", "Ben"), ("Bich Ngoc", "Ngoc"), ("Brandon", ""), ("Catherine", "Cate"),
    ("Chidi", ""), ("Claire", ""), ("Daniel", "Dan"), ("Darnell", ""), ("Deborah", "Deb"), ("Dmitri", ""),
    ("Elena", ""), ("Elizabeth", "Liz"), ("Emeka", ""), ("Esperanza", ""), ("Farah", ""), ("Gabriel", "Gabe"),
    ("Grace", ""), ("Guadalupe", "Lupe"), ("Hannah", ""), ("Hiroshi", ""), ("Imani", ""), ("Isaac", ""),
    ("Jacqueline", "Jackie"), ("Jamal", ""), ("Javier", ""), ("Jennifer", "Jen"), ("Joaquín", ""),
    ("Jonathan", "Jon"), ("Kateri", ""), ("Keisha", ""), ("Kenji", ""), ("Kristin", ""), ("Lakshmi", ""),
    ("Latoya", ""), ("Leticia", ""), ("Margaret", "Peggy"), ("Marcus", ""), ("María José", ""),
    ("Matthew", "Matt"), ("Mei-Ling", ""), ("Michael", "Mike"), ("Nadia", ""), ("Nathaniel", "Nate"),
    ("Ngozi", ""), ("Oksana", ""), ("Omar", ""), ("Patricia", "Trish"), ("Priya", ""), ("Rachel", ""),
    ("Rafael", ""), ("Rebecca", "Becky"), ("Robert", "Bob"), ("Samuel", "Sam"), ("Sarah", ""), ("Seo-yeon", ""),
    ("Shauna", ""), ("Siobhan", ""), ("Soledad", ""), ("Stephen", ""), ("Tamika", ""), ("Teresa", "Tere"),
    ("Thomas", "Tom"), ("Tuan", ""), ("Valentina", ""), ("Victor", ""), ("Wei", ""), ("William", "Will"),
    ("Xochitl", ""), ("Yolanda", ""), ("Yusuf", ""), ("Zainab", ""),
)

LAST_NAMES: tuple[str, ...] = (
    "Abernathy", "Acosta", "Adeyemi", "Alvarado", "Andersen", "Banerjee", "Beaulieu", "Begay", "Bergstrom",
    "Castillo", "Chen", "Contreras", "Dang", "Delgado", "Dubois", "Eastman", "Ferreira", "Fitzgerald",
    "Gallagher", "García", "Gutierrez", "Haddad", "Hargrove", "Holloway", "Ibarra", "Jankowski", "Jefferson",
    "Kaminski", "Kapoor", "Kim", "Lindqvist", "Lopez", "MacAllister", "Mahmoud", "Martinez", "McBride",
    "Medina", "Morningstar", "Nakamura", "Nguyen", "Novak", "Obi", "O'Connell", "Olson", "Ortiz",
    "Patel", "Pham", "Quintero", "Ramirez", "Reyes", "Robinson", "Rosales", "Sandoval", "Schultz", "Singh",
    "Sorensen", "Stewart", "Tafoya", "Takahashi", "Thompson", "Trujillo", "Van Dyke", "Vasquez", "Washington",
    "Whitehorse", "Williams", "Wojcik", "Yazzie", "Zamora", "Zimmerman",
)

# Each attending district's team, in the order roles usually join one, and whether the lead
# registered the whole team at once. The host district's staff run the visits instead.
TEAMS: tuple[tuple[str, int, bool], ...] = (
    ("Harbor Point City Schools", 11, True),
    ("Hemlock Gap Area School District", 5, False),
    ("Quarry Brook Public Schools", 8, True),
    ("Sourwood County Schools", 9, False),
    ("Prairie Lantern Community School District", 4, True),
    ("Fox Hollow Community Unit School District 317", 9, False),
    ("Tamarack Falls School District", 6, False),
    ("Persimmon Creek R-IV School District", 4, False),
    ("Cottonwood Mesa School District RE-2", 7, False),
    ("Rio Piedra Public Schools", 10, True),
    ("Wasatch Meadow School District", 9, False),
    ("Lodgepole County School District No. 4", 3, False),
    ("Cedar Ridge Unified School District", 11, True),
    ("Tidewater Heights School District", 8, False),
    ("Tule Marsh Elementary School District", 5, True),
    ("Valle Dorado Joint Union High School District", 11, False),
)

ROLE_TITLES: dict[AttendeeRole, tuple[str, ...]] = {
    AttendeeRole.SUPERINTENDENT: ("Superintendent",),
    AttendeeRole.CABINET: ("Assistant Superintendent for Teaching and Learning", "Chief Academic Officer",
                           "Director of Curriculum and Instruction", "Chief Financial Officer",
                           "Director of Purchasing"),
    AttendeeRole.CTO: ("Chief Technology Officer", "Director of Technology"),
    AttendeeRole.PRINCIPAL: ("Principal",),
    AttendeeRole.COACH: ("Instructional Coach", "Digital Learning Coach", "Math Coach", "Literacy Coach"),
    AttendeeRole.TEACHER: ("Kindergarten Teacher", "First-Grade Teacher", "Fifth-Grade Teacher",
                           "Seventh-Grade Math Teacher", "High School Science Teacher",
                           "Special Education Teacher"),
    AttendeeRole.OTHER: ("Library Media Specialist", "Teacher Librarian", "Director of Federal Programs"),
}

# What each role tends to look for; visits with these topics are ranked more often.
ROLE_INTERESTS: dict[AttendeeRole, frozenset[str]] = {
    AttendeeRole.SUPERINTENDENT: frozenset({"competency-based education", "procurement"}),
    AttendeeRole.CABINET: frozenset({"procurement", "competency-based education", "curriculum pilots"}),
    AttendeeRole.CTO: frozenset({"1:1 devices", "student tech leads"}),
    AttendeeRole.PRINCIPAL: frozenset({"blended learning", "competency-based education", "scheduling"}),
    AttendeeRole.COACH: frozenset({"blended learning", "small-group instruction", "coaching"}),
    AttendeeRole.TEACHER: frozenset({"blended learning", "early grades", "1:1 devices", "grading"}),
    AttendeeRole.OTHER: frozenset({"libraries", "makerspaces"}),
}

AREA_CODES = {"OH": "216", "PA": "570", "NJ": "973", "NC": "828", "TX": "254", "IA": "641", "IL": "630",
              "WI": "715", "MO": "417", "CO": "970", "NM": "505", "UT": "801", "WY": "307", "CA": "530",
              "WA": "253"}
DISTRICT_NAME_STOPWORDS = {"city", "area", "public", "county", "independent", "community", "school", "schools",
                           "unified", "elementary", "joint", "union", "high", "district", "unit", "r-iv"}
ALLERGIES = ("Tree nuts", "Shellfish", "Peanuts (carries an EpiPen)", "Sesame")
SEEDED_ID_TYPES = ("us_drivers_license", "us_drivers_license", "us_drivers_license", "us_state_id")


def nth_weekday(year: int, month: int, weekday: int, n: int) -> date:
    """The n-th given weekday (calendar.MONDAY...) of a month, n counting from 1."""
    first = date(year, month, 1)
    return first + timedelta(days=(weekday - first.weekday()) % 7 + 7 * (n - 1))


def spring_start(today: date) -> date:
    """First Tuesday of the next April whose registration still has weeks to run."""
    start = nth_weekday(today.year, 4, calendar.TUESDAY, 1)
    if start - REGISTRATION_CLOSES_BEFORE - timedelta(weeks=3) < today:
        start = nth_weekday(today.year + 1, 4, calendar.TUESDAY, 1)
    return start


def fall_start(today: date) -> date:
    """Third Thursday of the most recent October that is over."""
    year = today.year if today.month > 10 else today.year - 1
    return nth_weekday(year, 10, calendar.THURSDAY, 3)


def reference_now(today: date, pinned: bool) -> datetime:
    """The present moment, or noon UTC of a pinned --today so test output is repeatable."""
    return datetime.combine(today, time(12), tzinfo=UTC) if pinned else datetime.now(UTC)


def local_to_utc(day: date, wall_clock: str, zone: str) -> datetime:
    """An "HH:MM" wall-clock time on a day in an IANA zone, as an aware UTC datetime."""
    hour, minute = (int(part) for part in wall_clock.split(":"))
    return datetime(day.year, day.month, day.day, hour, minute, tzinfo=ZoneInfo(zone)).astimezone(UTC)


def closing_time(starts_on: date, zone: str) -> datetime:
    """Registration closes at 23:59 local time, REGISTRATION_CLOSES_BEFORE the first day."""
    return local_to_utc(starts_on - REGISTRATION_CLOSES_BEFORE, "23:59", zone)


def in_school_session(day: date) -> bool:
    """A weekday outside the usual breaks: Thanksgiving week, winter break and summer."""
    if day.weekday() >= calendar.SATURDAY:
        return False
    thanksgiving = nth_weekday(day.year, 11, calendar.THURSDAY, 4)
    if thanksgiving - timedelta(days=3) <= day <= thanksgiving + timedelta(days=1):
        return False
    if (day.month, day.day) >= (12, 20) or (day.month, day.day) <= (1, 3):
        return False
    return not (6, 10) <= (day.month, day.day) <= (8, 24)


def school_day_after(today: date, weeks: int, weekday: int) -> date:
    """That weekday some weeks from today, moved on a week at a time past school breaks."""
    day = today + timedelta(weeks=weeks)
    day += timedelta(days=(weekday - day.weekday()) % 7)
    while not in_school_session(day):
        day += timedelta(weeks=1)
    return day


def slugify(text: str) -> str:
    """Lower-case ASCII words joined by hyphens: "Hemlock Gap Junior/Senior" -> "hemlock-gap-junior-senior"."""
    ascii_text = unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode()
    return re.sub(r"[^a-z0-9]+", "-", ascii_text.lower()).strip("-")


def email_domain(district_name: str) -> str:
    """A fictional mail domain for a district: "Fox Hollow Community Unit ..." -> "foxhollow.example.org"."""
    words = []
    for word in district_name.lower().split():
        if word in DISTRICT_NAME_STOPWORDS:
            break
        words.append(word)
    return slugify("".join(words)) + ".example.org"


DATA = Path(__file__).resolve().parent / "data"


def import_directory() -> dict[str, District]:
    """The demo network's districts and schools, imported from data/districts.csv and data/schools.csv
    through the directory's import (as a network would start from its own files); then each school's
    rules for visitors, which no import reads. Its districts by name."""
    for name in ("districts.csv", "schools.csv"):
        with (DATA / name).open("rb") as stream:
            plan = preview_import(stream, members=True)
            if plan.error_count:
                raise click.ClickException(f"data/{name}: {plan.errors[0][1]} (line {plan.errors[0][0]})")
            stream.seek(0)
            commit_import(stream, digest=plan.digest, version=plan.version, members=True)
    districts = {d.name: d for d in db.session.scalars(sa.select(District).options(selectinload(District.schools)))}
    for spec in DISTRICTS:
        schools = {school.name: school for school in districts[spec.name].schools}
        for school_spec in spec.schools:
            rules = school_spec.rules
            change_school_rules(  # as the rules page saves them (no visit yet, so nobody is told)
                schools[school_spec.name], photo_id_required=rules.photo_id_required,
                accepted_id_kinds=list(rules.accepted_ids), screening_dob_required=rules.screening_dob_required,
                screening_id_type_required=rules.screening_id_type_required,
                notice_school_days=rules.notice_school_days, photo_policy=rules.photo_policy,
                visitor_norms=rules.visitor_norms)
    return districts


def build_agenda(specs: tuple[AgendaSpec, ...], starts_on: date, days: int, zone: str) -> list[AgendaItem]:
    """AgendaItems with local wall-clock times turned into UTC on the right event day."""
    items = []
    for spec in specs:
        # A slip in the data (day 4 of a 3-day event) should fail loudly, not load quietly.
        if not 1 <= spec.day <= days:
            raise ValueError(f"agenda item {spec.title!r} is on day {spec.day} of a {days}-day event")
        day = starts_on + timedelta(days=spec.day - 1)
        items.append(
            AgendaItem(
                title=spec.title,
                description=spec.description,
                starts_at=local_to_utc(day, spec.starts, zone),
                ends_at=local_to_utc(day, spec.ends, zone),
                room=spec.room,
                kind=spec.kind,
                topic=spec.topic,
            )
        )
    return items


def build_event(
    spec: ConveningSpec,
    host: District,
    starts_on: date,
    registration_opens_at: datetime,
    registration_closes_at: datetime,
) -> Event:
    """A published Event in its host's zone, with its agenda."""
    zone = host.host_timezone
    event = Event(
        slug=f"{spec.season}-convening-{starts_on.year}",
        title=f"{spec.title} {starts_on.year}",
        summary=spec.summary,
        venue_name=spec.venue_name,
        venue_address=spec.venue_address,
        timezone=zone,
        starts_on=starts_on,
        ends_on=starts_on + timedelta(days=spec.days - 1),
        registration_opens_at=registration_opens_at,
        registration_closes_at=registration_closes_at,
        capacity=spec.capacity,
        status=EventStatus.PUBLISHED,
        visit_allocation=VisitAllocationMode.FIRST_COME,
    )
    event.hosts = [host]
    event.agenda_items = build_agenda(spec.agenda, starts_on, spec.days, zone)
    return event


def build_convening_visits(event: Event, host: District, specs: tuple[VisitSpec, ...]) -> list[Visit]:
    """The convening's visits, each in its visit block, at the host's schools and within the block's hours."""
    blocks = {item.title: item for item in event.agenda_items if item.kind is AgendaKind.VISIT_BLOCK}
    schools = {school.name: school for school in host.schools}
    zone = event.zone
    visits = []
    for spec in specs:
        block, school = blocks[spec.block], schools[spec.school]
        day = local_date(block.starts_at, zone)
        visit = Visit(
            event=event,
            block=block,
            school=school,
            title=spec.title,
            focus=spec.focus,
            topics=list(spec.topics),
            starts_at=local_to_utc(day, spec.starts, event.timezone),
            ends_at=local_to_utc(day, spec.ends, event.timezone),
            meeting_point=spec.meeting_point,
            bus_departs_at=local_to_utc(day, spec.bus_departs, event.timezone) if spec.bus_departs else None,
            # Visitors gather a quarter of an hour before the bus leaves.
            meets_at=(local_to_utc(day, spec.bus_departs, event.timezone) - timedelta(minutes=15)
                      if spec.bus_departs else None),
            transport=spec.transport,
            host_contact_name=spec.contact[0],
            host_contact_email=spec.contact[1],
            host_contact_phone=spec.contact[2],
            lunch_provided=spec.lunch_provided,
            seats_override=spec.seats_override,
            buses=spec.buses,
            room_limit=spec.room_limit,
            observation_groups=spec.observation_groups,
            group_size=spec.group_size,
        )
        # A slip in the data (a visit outside its block) should fail loudly, not load quietly.
        if not block.starts_at <= visit.starts_at < visit.ends_at <= block.ends_at:
            raise ValueError(f"visit {spec.title!r} does not fit in the block {spec.block!r}")
        visits.append(visit)
    return visits


@dataclass
class Attendee:
    """A demo registration with the ranked visits it chose in each block, best first."""

    registration: Registration
    choices: dict[int, list[Visit]] = field(default_factory=dict)


def weighted_pick(rng: random.Random, options: list, weights: list[float], count: int) -> list:
    """Up to `count` distinct options, each drawn in proportion to its weight."""
    options, weights = list(options), list(weights)
    picked: list = []
    while options and len(picked) < count:
        index = rng.choices(range(len(options)), weights=weights)[0]
        picked.append(options.pop(index))
        weights.pop(index)
    return picked


def make_person(rng: random.Random, district: District, role: AttendeeRole, taken: set[str],
                number: int) -> Registration:
    """A fictional confirmed registration (times are set later, in registration order)."""
    while True:
        first, preferred = rng.choice(FIRST_NAMES)
        last = rng.choice(LAST_NAMES)
        domain = "example.org" if rng.random() < 0.08 else email_domain(district.name)
        email = f"{slugify(first).replace('-', '')}.{slugify(last).replace('-', '')}@{domain}"
        if email not in taken:
            taken.add(email)
            break
    area = AREA_CODES.get(district.state, "555")
    title = rng.choice(ROLE_TITLES[role])
    if role is AttendeeRole.PRINCIPAL:
        title = f"Principal, {rng.choice(district.schools).name}"
    dietary = []
    roll = rng.random()
    if roll < 0.14:
        dietary.append("vegetarian")
    elif roll < 0.19:
        dietary.append("vegan")
    elif roll < 0.22:
        dietary.append("halal")
    elif roll < 0.24:
        dietary.append("kosher")
    if rng.random() < 0.07:
        dietary.append("gluten_free")
    accessibility, accessibility_notes = [], ""
    roll = rng.random()
    if roll < 0.04:
        accessibility = ["limited_walking"]
        accessibility_notes = "Can walk short distances; a seat in each classroom helps."
    elif roll < 0.06:
        accessibility, accessibility_notes = ["wheelchair_vehicle"], "Uses a manual wheelchair."
    elif roll < 0.08:
        accessibility = ["large_print"]
    has_contact = rng.random() < 0.75
    return Registration(
        email=email,
        legal_first_name=first,
        legal_last_name=last,
        preferred_name=preferred if preferred and rng.random() < 0.8 else "",
        mobile=f"({area}) 555-01{number % 100:02d}" if rng.random() < 0.8 else "",
        role=role,
        title=title,
        district=district,
        dietary=dietary,
        allergies=rng.choice(ALLERGIES) if rng.random() < 0.05 else "",
        accessibility=accessibility,
        accessibility_notes=accessibility_notes,
        photo_consent=rng.random() < 0.85,
        emergency_contact_name=f"{rng.choice(FIRST_NAMES)[0]} {last}" if has_contact else "",
        emergency_contact_phone=f"({area}) 555-01{(number * 7 + 3) % 100:02d}" if has_contact else "",
        status=RegistrationStatus.CONFIRMED,
    )


def build_attendees(rng: random.Random, event: Event, districts: dict[str, District], now: datetime,
                    visits: list[Visit]) -> list[Attendee]:
    """Confirmed registrations in registration order, spread over the week since registration opened.

    Leads of some district teams register their colleagues at once; everyone else signs up alone.
    Each person ranks one to three visits per block (and only some take part in the day-3 visits),
    weighted by how popular the visit is and whether its topics suit their role.
    """
    taken: set[str] = set()
    sign_ups: list[list[Registration]] = []
    number = 0
    for name, size, lead_registers in TEAMS:
        district = districts[name]
        team = []
        for role in TEAM_ROLES[:size]:
            number += 1
            team.append(make_person(rng, district, role, taken, number))
        if lead_registers:
            for colleague in team[1:]:
                colleague.team_lead = team[0]
            sign_ups.append(team)
        else:
            sign_ups.extend([person] for person in team)
    rng.shuffle(sign_ups)

    opened = event.registration_opens_at
    assert opened is not None  # build_event always sets it
    step = (now - opened) / (len(sign_ups) + 1)
    attendees = []
    for index, group in enumerate(sign_ups):
        moment = opened + step * (index + 1) + timedelta(seconds=rng.randrange(int(step.total_seconds() // 2)))
        for offset, person in enumerate(group):
            at = moment + timedelta(seconds=offset)
            person.event = event
            person.created_at = person.updated_at = person.confirmed_at = at
            attendees.append(Attendee(person))

    blocks: dict[int, list[Visit]] = {}
    for visit in visits:
        assert visit.block is not None  # build_convening_visits puts every visit in a block
        blocks.setdefault(visit.block.id, []).append(visit)
    last_block = max(blocks, key=lambda block_id: blocks[block_id][0].starts_at)
    for attendee in attendees:
        interests = ROLE_INTERESTS[attendee.registration.role]
        for block_id, options in blocks.items():
            # The day-3 visits run beside the breakouts, so only some people want one.
            if block_id == last_block and rng.random() > 0.55:
                continue
            weights = [spec_popularity(v) * (2.5 if interests & set(v.topics) else 1.0) for v in options]
            count = rng.choices((1, 2, 3), weights=(1, 2, 7))[0]
            attendee.choices[block_id] = weighted_pick(rng, options, weights, count)
    return attendees


POPULARITY = {(spec.block, spec.school, spec.title): spec.popularity for spec in SPRING_VISITS}


def spec_popularity(visit: Visit) -> float:
    """How often demo attendees rank this visit, relative to the others in its block."""
    assert visit.block is not None  # build_convening_visits puts every visit in a block
    return POPULARITY[(visit.block.title, visit.school.name, visit.title)]


def choice_rows(rng: random.Random, attendees: list[Attendee]) -> list[VisitChoice]:
    """VisitChoice rows (rank 1 to 3), some with what the person hopes to learn."""
    hopes = {(spec.school, spec.title): spec.hopes for spec in SPRING_VISITS}
    rows = []
    for attendee in attendees:
        for ranked in attendee.choices.values():
            for rank, visit in enumerate(ranked, start=1):
                wishes = hopes[(visit.school.name, visit.title)]
                hope = rng.choice(wishes) if rank == 1 and wishes and rng.random() < 0.45 else ""
                rows.append(VisitChoice(registration=attendee.registration, visit=visit, rank=rank, hopes=hope,
                                        created_at=attendee.registration.confirmed_at))
    return rows


def seat_rows(rng: random.Random, attendees: list[Attendee]) -> list[VisitSeat]:
    """Seats first come first served in registration order: the best-ranked visit with a free seat,
    otherwise a place on the waiting list of the first choice. Norms were acknowledged on booking,
    and screening details given (with consent) only where the school asks for them."""
    confirmed: dict[Visit, int] = {}
    seats = []
    for attendee in attendees:
        person = attendee.registration
        at = person.confirmed_at
        for ranked in attendee.choices.values():
            target = next((v for v in ranked if confirmed.get(v, 0) < v.seats), None)
            seat = VisitSeat(registration=person, created_at=at, norms_acknowledged_at=at)
            if target is not None:
                confirmed[target] = confirmed.get(target, 0) + 1
                seat.status, seat.confirmed_at = SeatStatus.CONFIRMED, at
            else:
                target = ranked[0]
                seat.status, seat.waitlisted_at = SeatStatus.WAITLISTED, at
            assert target.block is not None  # build_convening_visits puts every visit in a block
            seat.visit, seat.block_id = target, target.block.id
            school = target.school
            if school.collects_screening_data:
                seat.screening_consent_at = at
                if school.screening_dob_required:
                    seat.date_of_birth = date(rng.randint(1962, 1998), rng.randint(1, 12), rng.randint(1, 28))
                if school.screening_id_type_required:
                    seat.id_type = rng.choice(SEEDED_ID_TYPES)
            seats.append(seat)
    return seats


def build_peer_visit(spec: PeerVisitSpec, districts: dict[str, District], today: date, now: datetime) -> Event:
    """A published one-day peer visit at one school, open for registration until a few days before."""
    host = districts[spec.host]
    school = next(s for s in host.schools if s.name == spec.school)
    day = school_day_after(today, spec.weeks_ahead, spec.weekday)
    zone = host.host_timezone
    event = Event(
        slug=f"peer-visit-{slugify(school.name)}-{day.isoformat()}",
        kind=EventKind.PEER_VISIT,
        title=f"Peer visit: {spec.title}",
        summary=spec.summary,
        venue_name=school.name,
        venue_address=school.address,
        timezone=zone,
        starts_on=day,
        ends_on=day,
        registration_opens_at=now,
        registration_closes_at=local_to_utc(day - PEER_VISIT_CLOSES_BEFORE, "23:59", zone),
        capacity=None,
        status=EventStatus.PUBLISHED,
        visit_allocation=VisitAllocationMode.FIRST_COME,
    )
    event.hosts = [host]
    Visit(
        event=event,
        block=None,
        school=school,
        title=spec.title,
        focus=spec.focus,
        topics=list(spec.topics),
        starts_at=local_to_utc(day, spec.starts, zone),
        ends_at=local_to_utc(day, spec.ends, zone),
        meeting_point=spec.meeting_point,
        bus_departs_at=None,
        transport=Transport.OWN_VEHICLE,
        host_contact_name=spec.contact[0],
        host_contact_email=spec.contact[1],
        host_contact_phone=spec.contact[2],
        lunch_provided=spec.lunch_provided,
        seats_override=spec.seats_override,
        room_limit=spec.room_limit,
        observation_groups=spec.observation_groups,
        group_size=spec.group_size,
    )
    return event


def database_has_data() -> bool:
    """Whether any district or event exists (an event alone would still clash on its slug)."""
    has_district = db.session.scalar(sa.select(District.id).limit(1)) is not None
    has_event = db.session.scalar(sa.select(Event.id).limit(1)) is not None
    return has_district or has_event


@click.command("seed-demo")
@click.option(
    "--if-empty",
    is_flag=True,
    help="Load only into an empty database; otherwise do nothing and exit successfully.",
)
@click.option(
    "--today",
    type=click.DateTime(formats=["%Y-%m-%d"]),
    default=None,
    hidden=True,
    help="Pretend today is this date (YYYY-MM-DD), so tests get fixed dates.",
)
@with_appcontext
def seed_demo(if_empty: bool, today: datetime | None) -> None:
    """Load a fictional demo network: districts, schools, two convenings, school visits and peer visits."""
    if database_has_data():
        if if_empty:
            click.echo("Demo data already present; nothing loaded.")
            return
        raise click.ClickException(
            "The database already holds districts or events; seed-demo loads only into an empty "
            "database. Pass --if-empty to skip quietly, or point DATABASE_URL at a fresh database."
        )

    day = today.date() if today is not None else date.today()
    now = reference_now(day, pinned=today is not None)
    rng = random.Random(ATTENDEE_SEED)

    districts = import_directory()

    spring_host = districts[SPRING_CONVENING.host]
    spring_starts = spring_start(day)
    spring = build_event(
        SPRING_CONVENING,
        spring_host,
        spring_starts,
        registration_opens_at=now - UPCOMING_REGISTRATION_OPENED_AGO,
        registration_closes_at=closing_time(spring_starts, spring_host.host_timezone),
    )

    fall_host = districts[FALL_CONVENING.host]
    fall_starts = fall_start(day)
    fall = build_event(
        FALL_CONVENING,
        fall_host,
        fall_starts,
        registration_opens_at=local_to_utc(fall_starts - PAST_REGISTRATION_OPEN_FOR, "09:00", fall_host.host_timezone),
        registration_closes_at=closing_time(fall_starts, fall_host.host_timezone),
    )

    peer_visits = [build_peer_visit(spec, districts, day, now) for spec in PEER_VISITS]

    db.session.add_all([*districts.values(), spring, fall, *peer_visits])
    # The agenda needs its ids before seats can copy their visit block's.
    db.session.flush()
    visits = build_convening_visits(spring, spring_host, SPRING_VISITS)
    attendees = build_attendees(rng, spring, districts, now, visits)
    db.session.add_all([attendee.registration for attendee in attendees])
    db.session.add_all(choice_rows(rng, attendees))
    seats = seat_rows(rng, attendees)
    db.session.add_all(seats)
    # The fall convening is over: who went, the visits, and the follow-up that has come back since.
    fall_people = fall_attendees(make_person, random.Random(ATTENDEE_SEED + 1), fall, districts, TEAMS)
    fall_rows = fall_follow_up(fall, fall_people, fall_visits(fall, fall_host), now)
    db.session.add_all(fall_people)
    for rows in fall_rows.values():
        db.session.add_all(rows)
    db.session.commit()

    school_count = sum(len(d.schools) for d in districts.values())
    click.echo(f"Loaded {len(districts)} districts, {school_count} schools, 2 convenings "
               f"and {len(peer_visits)} peer visits.")
    click.echo(f"Events: {external_url('events.index')}")
    for event in (spring, fall):
        click.echo(
            f"{event.title} ({date_range(event.starts_on, event.ends_on)}, {event.timezone}, "
            f"{len(event.agenda_items)} agenda items): {external_url('events.detail', slug=event.slug)}"
        )
    confirmed = sum(seat.status is SeatStatus.CONFIRMED for seat in seats)
    waiting = sum(seat.status is SeatStatus.WAITLISTED for seat in seats)
    full = sum(1 for visit in visits
               if sum(s.visit is visit and s.status is SeatStatus.CONFIRMED for s in seats) >= visit.seats)
    click.echo(f"{spring.title}: {len(attendees)} confirmed registrations, {len(visits)} school visits "
               f"({full} full), {confirmed} seats taken and {waiting} people on waiting lists.")
    click.echo(f"{fall.title}: {len(fall_people)} attended, {len(fall_rows['commitments'])} commitments and "
               f"{len(fall_rows['updates'])} check-ins so far.")
    click.echo(f"Register for {spring.title}: {external_url('registration.register', slug=spring.slug)}")
    click.echo(f"Peer visits between convenings: {external_url('visits.peer_visits')}")
    for event in peer_visits:
        click.echo(f"  {event.title} ({date_range(event.starts_on, event.ends_on)}, {event.hosts[0].label}, "
                   f"{event.timezone}): {external_url('events.detail', slug=event.slug)}")
