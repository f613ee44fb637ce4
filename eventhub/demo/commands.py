"""`flask seed-demo`: load a fictional network of districts with an upcoming and a past convening.

Every district, school, person and address below is invented. Dates are computed
from today so the spring convening is always upcoming and the fall one always past.
"""
import calendar
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

import click
import sqlalchemy as sa
from flask.cli import with_appcontext

from eventhub.extensions import db
from eventhub.models import AgendaItem, AgendaKind, District, Event, EventStatus, Locale, School
from eventhub.templating import date_range
from eventhub.urls import external_url

EASTERN = "America/New_York"
CENTRAL = "America/Chicago"
MOUNTAIN = "America/Denver"
PACIFIC = "America/Los_Angeles"

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


@dataclass(frozen=True)
class SchoolSpec:
    """A school as authored here; the state comes from its district."""

    name: str
    grade_span: str
    street: str
    city: str
    postal_code: str


@dataclass(frozen=True)
class DistrictSpec:
    """A member district and its schools."""

    name: str
    state: str
    timezone: str
    enrollment: int
    locale: Locale
    frl_percent: int
    grade_span: str
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
    # Eastern time
    DistrictSpec("Harbor Point City Schools", "OH", EASTERN, 24300, Locale.CITY, 71, "PK-12", (
        SchoolSpec("Lakefront STEM Academy", "6-12", "1450 Breakwater Avenue", "Harbor Point", "44127"),
        SchoolSpec("Lighthouse Hill Elementary School", "PK-5", "320 Keeper Street", "Harbor Point", "44128"),
        SchoolSpec("Ore Dock Middle School", "6-8", "77 Ore Dock Road", "Harbor Point", "44127"),
    )),
    DistrictSpec("Hemlock Gap Area School District", "PA", EASTERN, 1850, Locale.RURAL, 46, "K-12", (
        SchoolSpec("Hemlock Gap Elementary School", "K-6", "112 Schoolhouse Lane", "Hemlock Gap", "16932"),
        SchoolSpec("Hemlock Gap Junior/Senior High School", "7-12", "600 Ridge Pike", "Hemlock Gap", "16932"),
    )),
    DistrictSpec("Quarry Brook Public Schools", "NJ", EASTERN, 7900, Locale.SUBURB, 18, "PK-12", (
        SchoolSpec("Quarry Brook High School", "9-12", "250 Granite Avenue", "Quarry Brook", "07941"),
        SchoolSpec("Stonecutter Middle School", "6-8", "88 Chisel Road", "Quarry Brook", "07941"),
        SchoolSpec("Millrace Elementary School", "PK-5", "19 Millrace Court", "Quarry Brook", "07942"),
    )),
    DistrictSpec("Sourwood County Schools", "NC", EASTERN, 12600, Locale.TOWN, 58, "PK-12", (
        SchoolSpec("Sourwood County Early College", "9-12", "4000 Community College Drive", "Bramlett", "28674"),
        SchoolSpec("Blue Ash Middle School", "6-8", "1710 Blue Ash Road", "Bramlett", "28674"),
        SchoolSpec("Tanglewild Elementary School", "PK-5", "903 Tanglewild Church Road", "Owl Branch", "28679"),
        SchoolSpec("Bramlett Elementary School", "PK-5", "45 Depot Street", "Bramlett", "28674"),
    )),
    # Central time
    DistrictSpec("Caliche Springs Independent School District", "TX", CENTRAL, 59400, Locale.CITY, 76, "PK-12", (
        SchoolSpec("Mesquite Trail Elementary School", "PK-5", "2410 Mesquite Trail", "Caliche Springs", "76548"),
        SchoolSpec("Windmill Park Elementary School", "PK-5", "815 Windmill Park Drive", "Caliche Springs", "76549"),
        SchoolSpec("Lomita Verde Middle School", "6-8", "3300 Lomita Verde Boulevard", "Caliche Springs", "76548"),
        SchoolSpec("Caliche Springs Early College High School", "9-12", "1 Collegiate Way", "Caliche Springs",
                   "76549"),
    )),
    DistrictSpec("Prairie Lantern Community School District", "IA", CENTRAL, 940, Locale.RURAL, 44, "PK-12", (
        SchoolSpec("Prairie Lantern Elementary School", "PK-6", "501 North Elm Street", "Lantern", "50473"),
        SchoolSpec("Prairie Lantern Junior-Senior High School", "7-12", "503 North Elm Street", "Lantern", "50473"),
    )),
    DistrictSpec("Fox Hollow Community Unit School District 317", "IL", CENTRAL, 16800, Locale.SUBURB, 27, "PK-12", (
        SchoolSpec("Fox Hollow North High School", "9-12", "2100 Kingfisher Road", "Fox Hollow", "60548"),
        SchoolSpec("Sycamore Bend Middle School", "6-8", "940 Sycamore Bend Drive", "Fox Hollow", "60548"),
        SchoolSpec("Wild Plum Elementary School", "PK-5", "311 Wild Plum Lane", "Fox Hollow", "60549"),
    )),
    DistrictSpec("Tamarack Falls School District", "WI", CENTRAL, 3100, Locale.TOWN, 39, "PK-12", (
        SchoolSpec("Tamarack Falls High School", "9-12", "700 Mill Pond Road", "Tamarack Falls", "54819"),
        SchoolSpec("Tamarack Falls Middle School", "6-8", "702 Mill Pond Road", "Tamarack Falls", "54819"),
        SchoolSpec("Birch Portage Elementary School", "PK-5", "150 Portage Street", "Tamarack Falls", "54819"),
    )),
    DistrictSpec("Persimmon Creek R-IV School District", "MO", CENTRAL, 1250, Locale.RURAL, 61, "K-12", (
        SchoolSpec("Persimmon Creek Elementary School", "K-5", "18 County Road PP", "Dunmore Mill", "65741"),
        SchoolSpec("Persimmon Creek High School", "6-12", "24 County Road PP", "Dunmore Mill", "65741"),
    )),
    # Mountain time
    DistrictSpec("Cottonwood Mesa School District RE-2", "CO", MOUNTAIN, 5200, Locale.TOWN, 49, "PK-12", (
        SchoolSpec("Cottonwood Mesa High School", "9-12", "1800 Bluff View Road", "Cottonwood Mesa", "81427"),
        SchoolSpec("Red Willow Middle School", "6-8", "615 Red Willow Avenue", "Cottonwood Mesa", "81427"),
        SchoolSpec("Gunnison Bench Elementary School", "PK-5", "92 Bench Road", "Cottonwood Mesa", "81428"),
    )),
    DistrictSpec("Rio Piedra Public Schools", "NM", MOUNTAIN, 27800, Locale.CITY, 84, "PK-12", (
        SchoolSpec("Rio Piedra High School", "9-12", "5100 Acequia Madre Boulevard", "Rio Piedra", "87138"),
        SchoolSpec("Los Alamillos Middle School", "6-8", "2245 Calle Alamillo", "Rio Piedra", "87138"),
        SchoolSpec("Bosque Azul Elementary School", "PK-5", "730 Bosque Azul Road", "Rio Piedra", "87139"),
        SchoolSpec("Sandia Vista Dual Language Academy", "K-8", "1402 Paseo del Sol", "Rio Piedra", "87139"),
    )),
    DistrictSpec("Wasatch Meadow School District", "UT", MOUNTAIN, 21500, Locale.SUBURB, 29, "K-12", (
        SchoolSpec("Wasatch Meadow High School", "10-12", "3900 West Meadowlark Parkway", "Meadow Springs", "84096"),
        SchoolSpec("Kestrel Junior High School", "7-9", "1250 South Kestrel Way", "Meadow Springs", "84096"),
        SchoolSpec("Sego Lily Elementary School", "K-6", "480 East Sego Lily Drive", "Meadow Springs", "84097"),
    )),
    DistrictSpec("Lodgepole County School District No. 4", "WY", MOUNTAIN, 910, Locale.RURAL, 33, "K-12", (
        SchoolSpec("Lodgepole K-12 School", "K-12", "10 School Street", "Antelope Flat", "82637"),
        SchoolSpec("Sweetgrass Creek Elementary School", "K-5", "4811 Highway 487", "Sweetgrass", "82638"),
    )),
    # Pacific time
    DistrictSpec("Cedar Ridge Unified School District", "CA", PACIFIC, 31000, Locale.SUBURB, 35, "PK-12", (
        SchoolSpec("Cedar Ridge High School", "9-12", "2000 Ponderosa Way", "Cedar Ridge", "95726"),
        SchoolSpec("Ridgeline Middle School", "6-8", "1475 Ridgeline Drive", "Cedar Ridge", "95726"),
        SchoolSpec("Manzanita Park Elementary School", "PK-5", "66 Manzanita Park Road", "Cedar Ridge", "95727"),
        SchoolSpec("Foothill Oaks Elementary School", "PK-5", "3120 Foothill Oaks Lane", "Cedar Ridge", "95727"),
    )),
    DistrictSpec("Tidewater Heights School District", "WA", PACIFIC, 9800, Locale.SUBURB, 31, "PK-12", (
        SchoolSpec("Tidewater Heights High School", "9-12", "18200 Sound View Avenue", "Tidewater Heights",
                   "98392"),
        SchoolSpec("Madrona Point Middle School", "6-8", "2601 Madrona Point Road", "Tidewater Heights", "98392"),
        SchoolSpec("Eelgrass Cove Elementary School", "PK-5", "940 Cove Street", "Tidewater Heights", "98393"),
    )),
    DistrictSpec("Tule Marsh Elementary School District", "CA", PACIFIC, 2400, Locale.TOWN, 63, "K-8", (
        SchoolSpec("Tule Marsh Elementary School", "K-5", "401 Levee Road", "Tule Marsh", "95632"),
        SchoolSpec("Heron Slough Middle School", "6-8", "415 Levee Road", "Tule Marsh", "95632"),
    )),
    DistrictSpec("Valle Dorado Joint Union High School District", "CA", PACIFIC, 14200, Locale.CITY, 68, "9-12", (
        SchoolSpec("Valle Dorado High School", "9-12", "1000 Golden Valley Boulevard", "Valle Dorado", "93263"),
        SchoolSpec("Almond Orchard High School", "9-12", "7450 Orchard Road", "Valle Dorado", "93264"),
        SchoolSpec("Valle Dorado Career Technical Academy", "10-12", "275 Railroad Avenue", "Valle Dorado", "93263"),
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
        "Day two is spent in the host's schools: buses leave the convention center at 7:45 a.m. for "
        "visits to four schools, with lunch at the early college high school. Day three turns what you "
        "saw into a commitment: one change you will test back home, with check-ins at 30, 60 and 90 "
        "days. Come as a district team of three to eight; bring a government photo ID for the school visits."
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
        # Day 2: the whole day in the host's schools, by bus
        AgendaSpec(2, "07:00", "07:45", AgendaKind.MEAL, "Breakfast", "Prefunction Hall", None,
                   "Grab-and-go breakfast; buses leave on time."),
        AgendaSpec(2, "07:45", "08:30", AgendaKind.TRAVEL, "Buses to morning school visits",
                   "Convention center, Depot Street bus loop", VISITS,
                   "Board the bus with your visit number on its windshield. Keep your photo ID at hand: "
                   "every school checks it at the door."),
        AgendaSpec(2, "08:30", "11:15", AgendaKind.VISIT_BLOCK, "Visit: K-1 station rotation at Mesquite Trail",
                   "Mesquite Trail Elementary School", BLENDED,
                   "Focus of inquiry: how teachers keep a small group going while five-year-olds work "
                   "independently. Groups of four, five classrooms, ten minutes each, then a debrief with "
                   "the principal. Escort required; no photos of students."),
        AgendaSpec(2, "08:30", "11:15", AgendaKind.VISIT_BLOCK, "Visit: take-home laptops at Lomita Verde",
                   "Lomita Verde Middle School", DEVICES,
                   "Focus of inquiry: a 1:1 program that sends devices home, with a family help desk and "
                   "student tech leads. Groups of five, four classrooms, then a student panel."),
        AgendaSpec(2, "11:15", "11:45", AgendaKind.TRAVEL, "Buses to lunch", "Morning visit schools, front loop",
                   VISITS, "Both morning groups ride to the early college high school."),
        AgendaSpec(2, "11:45", "12:30", AgendaKind.MEAL, "Lunch served by the culinary arts program",
                   "Caliche Springs Early College High School, cafeteria", None,
                   "Lunch prepared by students in the culinary arts pathway."),
        AgendaSpec(2, "12:30", "13:00", AgendaKind.TRAVEL, "Buses to Windmill Park Elementary",
                   "Early college, bus lane", VISITS, "For the library visit group only."),
        AgendaSpec(2, "12:45", "15:00", AgendaKind.VISIT_BLOCK, "Visit: mastery-based high school at the "
                   "early college", "Caliche Springs Early College High School", COMPETENCY,
                   "Focus of inquiry: how students move on when they show mastery, and how the college "
                   "credit courses fit the schedule. Groups of five, five classrooms, twelve minutes each."),
        AgendaSpec(2, "13:00", "15:00", AgendaKind.VISIT_BLOCK, "Visit: a library at the heart of the school",
                   "Windmill Park Elementary School", LIBRARIES,
                   "Focus of inquiry: flexible library scheduling and the makerspace, with the librarian "
                   "and two classroom teachers. Groups of three; notice of five school days was given."),
        AgendaSpec(2, "15:00", "15:45", AgendaKind.TRAVEL, "Buses back to the convention center",
                   "Visit schools, front loop", VISITS, "All buses return to the Depot Street bus loop."),
        AgendaSpec(2, "16:00", "17:00", AgendaKind.BREAKOUT, "District team debrief", "Live Oak Room", FOLLOW_UP,
                   "Sit with your own district team and note what you saw, using the evidence column of "
                   "the commitment sheet."),
        # Day 3: from what we saw to what we will try
        AgendaSpec(3, "07:30", "08:30", AgendaKind.MEAL, "Breakfast", "Prefunction Hall", None,
                   "Hot breakfast and coffee."),
        AgendaSpec(3, "08:30", "09:30", AgendaKind.PLENARY, "Panel: host principals answer your questions",
                   "Grand Ballroom", VISITS,
                   "The four host principals take questions collected on the buses yesterday."),
        AgendaSpec(3, "09:45", "11:00", AgendaKind.BREAKOUT, "Writing an RFP that lets you pilot first",
                   "Pecan Room", PROCUREMENT,
                   "A working session: bring a current bid and leave with pilot and exit clauses drafted."),
        AgendaSpec(3, "09:45", "11:00", AgendaKind.BREAKOUT, "Finding time for small groups in middle school",
                   "Agave Room", BLENDED,
                   "Schedules from three members that carve out small-group time without losing electives."),
        AgendaSpec(3, "09:45", "11:00", AgendaKind.BREAKOUT, "Take-home devices: policies and family support",
                   "Live Oak Room", DEVICES,
                   "Acceptable use, damage fees that don't punish poverty, and hot spots for families."),
        AgendaSpec(3, "11:15", "12:15", AgendaKind.PLENARY, "Commitments: your first test back home",
                   "Grand Ballroom", FOLLOW_UP,
                   "Each participant fills in the commitment sheet: the change, the first test, the "
                   "prediction and how you will know. Check-ins follow at 30, 60 and 90 days."),
        AgendaSpec(3, "12:15", "13:00", AgendaKind.MEAL, "Closing lunch", "Grand Ballroom", None,
                   "Boxed lunches are available for those leaving early."),
        AgendaSpec(3, "13:00", "13:45", AgendaKind.TRAVEL, "Shuttles to the airport",
                   "Convention center, Depot Street bus loop", None,
                   "Shuttles leave every fifteen minutes until 1:45 p.m."),
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
        AgendaSpec(1, "12:30", "15:00", AgendaKind.VISIT_BLOCK, "Visit: proficiency-based grading",
                   "Cedar Ridge High School", COMPETENCY,
                   "Focus of inquiry: reassessment and student-led conferences. Groups of five, four classrooms."),
        AgendaSpec(1, "12:30", "15:00", AgendaKind.VISIT_BLOCK, "Visit: blended kindergarten",
                   "Manzanita Park Elementary School", BLENDED,
                   "Focus of inquiry: a K-1 rotation model with a teacher-led small group. Groups of four."),
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


def build_district(spec: DistrictSpec) -> District:
    """A District with its School rows, not yet added to the session."""
    district = District(
        name=spec.name,
        state=spec.state,
        timezone=spec.timezone,
        enrollment=spec.enrollment,
        locale=spec.locale,
        frl_percent=spec.frl_percent,
        grade_span=spec.grade_span,
        is_member=True,
    )
    district.schools = [
        School(
            name=school.name,
            grade_span=school.grade_span,
            street=school.street,
            city=school.city,
            state=spec.state,
            postal_code=school.postal_code,
        )
        for school in spec.schools
    ]
    return district


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
    zone = host.timezone
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
    )
    event.hosts = [host]
    event.agenda_items = build_agenda(spec.agenda, starts_on, spec.days, zone)
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
    """Load a fictional demo network: districts, schools, an upcoming and a past convening."""
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

    districts = {spec.name: build_district(spec) for spec in DISTRICTS}

    spring_host = districts[SPRING_CONVENING.host]
    spring_starts = spring_start(day)
    spring = build_event(
        SPRING_CONVENING,
        spring_host,
        spring_starts,
        registration_opens_at=now - UPCOMING_REGISTRATION_OPENED_AGO,
        registration_closes_at=closing_time(spring_starts, spring_host.timezone),
    )

    fall_host = districts[FALL_CONVENING.host]
    fall_starts = fall_start(day)
    fall = build_event(
        FALL_CONVENING,
        fall_host,
        fall_starts,
        registration_opens_at=local_to_utc(fall_starts - PAST_REGISTRATION_OPEN_FOR, "09:00", fall_host.timezone),
        registration_closes_at=closing_time(fall_starts, fall_host.timezone),
    )

    db.session.add_all([*districts.values(), spring, fall])
    db.session.commit()

    school_count = sum(len(d.schools) for d in districts.values())
    click.echo(f"Loaded {len(districts)} districts, {school_count} schools and 2 convenings.")
    click.echo(f"Events: {external_url('events.index')}")
    for event in (spring, fall):
        click.echo(
            f"{event.title} ({date_range(event.starts_on, event.ends_on)}, {event.timezone}, "
            f"{len(event.agenda_items)} agenda items): {external_url('events.detail', slug=event.slug)}"
        )
    click.echo(f"Register for {spring.title}: {external_url('registration.register', slug=spring.slug)}")
