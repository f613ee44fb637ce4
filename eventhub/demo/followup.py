"""The past fall convening's follow-up for the demo: its two school visits, the people who went, the
commitments they wrote and the check-ins that came back at 30 and 60 days, so the reports show something
real on a fresh install. Fictional, and the same on every run (a fixed random seed)."""
import random
from datetime import UTC, date, datetime, time, timedelta

from eventhub.models import (
    AttendeeRole,
    Commitment,
    CommitmentStatus,
    CommitmentUpdate,
    Decision,
    District,
    Event,
    FollowupReminder,
    Registration,
    RegistrationStatus,
    SeatStatus,
    Visibility,
    Visit,
    VisitSeat,
)
from eventhub.timezones import at_local

FOLLOWUP_SEED = 90_30_60

# (school, title, focus, topics, start, end): both in the fall convening's "School visits" block.
FALL_VISITS = (
    ("Cedar Ridge High School", "Proficiency-based grading with reassessment",
     "Proficiency scales in every course, reassessment after reteaching, and student-led conferences "
     "that replace the fall parent night.",
     ("competency-based education", "grading", "student-led conferences"), "12:30", "15:00"),
    ("Manzanita Park Elementary School", "A blended kindergarten: rotation with a teacher-led group",
     "A K-1 rotation in which the teacher keeps a small reading group at the table while the others move "
     "between a device station and two independent ones.",
     ("blended learning", "early grades", "small-group instruction"), "12:30", "15:00"),
)

# What people wrote, by practice: (the change, why it is new for us, where, prediction, measure, baseline, target).
IDEAS = {
    "Cedar Ridge High School": (
        ("Proficiency scales and one reassessment window in ninth-grade biology",
         "Our grades average everything, so a student who learns late still fails the unit.",
         "Ninth-grade biology, two sections", "Fewer Ds and Fs at the first progress report",
         "Share of Ds and Fs at the first progress report", "31%", "20%"),
        ("Student-led conferences in eighth grade instead of the fall parent night",
         "Families hear about grades, not learning; few come to the parent night.",
         "Eighth grade, all advisories", "More families come when their child leads the conference",
         "Families attending", "38%", "70%"),
        ("A gradebook without zeros in Algebra I",
         "Zeros for missing work make a grade impossible to recover.",
         "Algebra I, three teachers", "Missing work goes down when students can recover",
         "Assignments missing per student per quarter", "6", "3"),
    ),
    "Manzanita Park Elementary School": (
        ("A three-station rotation in two kindergarten classrooms",
         "Our kindergarten reading is whole-class; the teacher rarely meets a small group.",
         "Two kindergarten classrooms", "Each child gets small-group reading four days a week",
         "Minutes of small-group reading per child per week", "20", "60"),
        ("Teaching station routines for the first six weeks of first grade",
         "Independent stations fall apart because nobody teaches the routines.",
         "First grade, one school", "Transitions take under two minutes by October",
         "Minutes per transition", "5", "2"),
        ("Using the device station's reading data in weekly planning",
         "Teachers never look at the reading app's reports.",
         "K-1 team at one school", "Groups change every two weeks based on the data",
         "Regroupings per month", "0", "2"),
    ),
}
CONVENING_IDEAS = (
    ("Joining the regional cooperative contract for Chromebooks", "We bid alone and pay more.",
     "District purchasing", "Lower unit price at the spring order", "Price per device", "$312", "$270"),
    ("A device refresh plan that extends laptops to five years", "We replace every four years and the budget is flat.",
     "Middle schools", "Repair costs stay under the savings", "Repairs per 100 devices", "14", "18"),
)
TRIED = ("We ran it for three weeks with two teachers.", "We started in November after the training day.",
         "We tried it with one team first.", "We piloted it in the classrooms that volunteered.")
LEARNED = ("It took longer to set up than we predicted, but students caught on.",
           "The data moved in the right direction, though not as far as the target.",
           "Teachers want planning time together before it spreads.",
           "Families responded better than we expected.")

# The roles of a district team, in the order they usually join one.
TEAM_ROLES: tuple[AttendeeRole, ...] = (
    AttendeeRole.SUPERINTENDENT, AttendeeRole.CABINET, AttendeeRole.PRINCIPAL, AttendeeRole.CTO,
    AttendeeRole.COACH, AttendeeRole.TEACHER, AttendeeRole.PRINCIPAL, AttendeeRole.OTHER, AttendeeRole.TEACHER,
    AttendeeRole.COACH, AttendeeRole.TEACHER, AttendeeRole.PRINCIPAL,
)


def fall_visits(fall: Event, host: District) -> list[Visit]:
    """The two school visits of the fall convening's visit block, at the host's schools."""
    block = next(item for item in fall.agenda_items if item.title == "School visits")
    schools = {school.name: school for school in host.schools}
    day = block.starts_at.astimezone(fall.zone).date()
    visits = []
    for school, title, focus, topics, start, end in FALL_VISITS:
        visits.append(Visit(event=fall, block=block, school=schools[school], title=title, focus=focus,
                            topics=list(topics), starts_at=_at(day, start, fall.timezone),
                            ends_at=_at(day, end, fall.timezone), meeting_point="Pavilion, Mill Street curb",
                            bus_departs_at=_at(day, "12:00", fall.timezone), buses=2, room_limit=80))
    return visits


def _at(day: date, clock: str, zone: str) -> datetime:
    hour, minute = map(int, clock.split(":"))
    return at_local(day, time(hour, minute), zone)


def fall_follow_up(fall: Event, attendees: list, visits: list[Visit], now: datetime) -> dict[str, list]:
    """Seats on the fall visits, then the commitments and the check-ins that would have come back by `now`.
    `attendees` are confirmed registrations of the fall convening. Returns the new rows, by kind, for the
    caller to add (and count for the summary)."""
    rng = random.Random(FOLLOWUP_SEED)
    seats, commitments, updates, reminders = [], [], [], []
    ended = fall.ends_on
    for person in attendees:
        visit = rng.choice(visits)
        assert visit.block is not None  # fall_visits puts every visit in the visit block
        seats.append(VisitSeat(visit=visit, registration=person, block_id=visit.block.id,
                               status=SeatStatus.CONFIRMED, confirmed_at=person.confirmed_at,
                               created_at=person.confirmed_at, norms_acknowledged_at=person.confirmed_at))
        if rng.random() < 0.3:
            continue  # not everyone handed in a sheet
        from_visit = rng.random() < 0.85
        idea = rng.choice(IDEAS[visit.school.name] if from_visit else CONVENING_IDEAS)
        change, why, where, prediction, measure, baseline, target = idea
        start = ended + timedelta(days=rng.randint(7, 25))
        commitment = Commitment(
            registration=person, event=fall, visit=visit if from_visit else None,
            evidence=visit.focus if from_visit else "", change_idea=change, why_new=why, test_where=where,
            test_with_whom="our district team", test_starts_on=start, test_due_on=start + timedelta(days=42),
            prediction=prediction, measure=measure, baseline=baseline, target=target,
            support_needed=rng.choice(("Release time for planning", "A visit from the host's coach", "")),
            support_from=rng.choice(("our principal", "the host district", "")),
            visibility=rng.choices(list(Visibility), weights=(3, 5, 2))[0], status=CommitmentStatus.PLANNED,
            created_at=datetime.combine(ended, time(20), tzinfo=UTC))
        commitments.append(commitment)
        status = CommitmentStatus.PLANNED
        for days in fall.followup_days or (30, 60, 90):
            moment = datetime.combine(ended + timedelta(days=days), time(17), tzinfo=UTC)
            if moment > now or rng.random() < 0.25:
                continue  # not due yet, or no answer to this one
            if status.is_open and rng.random() < (0.3 if days < 60 else 0.6):
                decision = rng.choices(list(Decision), weights=(3, 4, 1, 1))[0]
            else:
                decision = None
            if not status.is_open:
                after = status
            elif decision is None:
                after = CommitmentStatus.TESTING
            else:
                after = {Decision.ADOPT: CommitmentStatus.ADOPTED, Decision.ADAPT: CommitmentStatus.ADAPTED,
                         Decision.ABANDON: CommitmentStatus.ABANDONED,
                         Decision.SCALE: CommitmentStatus.SCALED}.get(decision, CommitmentStatus.TESTING)
            updates.append(CommitmentUpdate(commitment=commitment, tried=rng.choice(TRIED),
                                            learned=rng.choice(LEARNED), decision=decision, status_before=status,
                                            status_after=after, created_at=moment))
            status = after
        commitment.status = status
    # The reminders that would have gone out by now, so `followup remind` does not send them again.
    for person in attendees:
        for kind, days in [("write", 0)] + [(f"day-{d}", d) for d in (fall.followup_days or (30, 60, 90))]:
            due = datetime.combine(ended + timedelta(days=days), time(16), tzinfo=UTC)
            if due <= now:
                reminders.append(FollowupReminder(registration=person, event_id=fall.id, kind=kind, due_at=due,
                                                  sent_at=due))
    return {"seats": seats, "commitments": commitments, "updates": updates, "reminders": reminders}


def fall_attendees(make_person, rng: random.Random, fall: Event, districts: dict, teams) -> list:
    """About seventy people from the member districts' teams, registered before the fall convening."""
    taken: set[str] = set()
    people: list[Registration] = []
    number = 500
    opened = fall.registration_opens_at
    assert opened is not None  # build_event always sets it
    for name, size, _ in teams:
        district = districts[name]
        if district in fall.hosts:
            continue  # the host runs the visits

        for role in TEAM_ROLES[:max(2, size // 2)]:
            number += 1
            person = make_person(rng, district, role, taken, number)
            at = opened + timedelta(hours=7 * len(people) + 3)
            person.event, person.status = fall, RegistrationStatus.CONFIRMED
            person.created_at = person.updated_at = person.confirmed_at = at
            people.append(person)
    return people
