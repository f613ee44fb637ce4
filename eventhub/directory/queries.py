"""Reading the directory: the districts list (search, filters, sort, 50 a page in two queries), the search
behind every district chooser, and what a district's page shows."""
import math
from dataclasses import dataclass

import sqlalchemy as sa
from sqlalchemy.orm import selectinload

from eventhub.bounds import MAX_ID
from eventhub.extensions import db
from eventhub.models import (
    Commitment,
    District,
    Event,
    Locale,
    Registration,
    RegistrationStatus,
    School,
    User,
    UserRole,
    Visit,
)
from eventhub.models.events import event_hosts

PAGE_SIZE = 50
CHOOSER_RESULTS = 20  # what a district chooser lists for one search, at most
MAX_QUERY = 100

# Size bands by enrollment: (label, lowest, highest) with None for open ends.
SIZE_BANDS: dict[str, tuple[str, int | None, int | None]] = {
    "small": ("Under 2,500 students", None, 2_499),
    "medium": ("2,500 to 9,999 students", 2_500, 9_999),
    "large": ("10,000 to 49,999 students", 10_000, 49_999),
    "very-large": ("50,000 students or more", 50_000, None),
    "unknown": ("Enrollment unknown", None, None),
}
SORTS: dict[str, tuple[str, tuple]] = {
    "name": ("Name", (District.name, District.state, District.id)),
    "state": ("State", (District.state, District.name, District.id)),
    "enrollment": ("Largest first", (District.enrollment.desc().nulls_last(), District.name, District.id)),
    "member-since": ("Member longest", (District.member_since.asc().nulls_last(), District.name, District.id)),
}


@dataclass(frozen=True)
class DirectoryFilter:
    """What the list is narrowed to and how it is ordered; every value already checked (see from_args)."""

    query: str = ""
    member: str = ""  # "", "yes" or "no"
    state: str = ""
    locale: str = ""
    size: str = ""
    archived: bool = False  # the archived districts instead of the ones in use
    sort: str = "name"
    page: int = 1


@dataclass(frozen=True)
class DistrictRow:
    district: District
    schools: int


@dataclass(frozen=True)
class DistrictPage:
    rows: list[DistrictRow]
    total: int
    page: int
    pages: int


def search_words(text: str | None, most: int = MAX_QUERY) -> str:
    """What someone typed in a search box, its spaces tidied and its length bounded."""
    return " ".join((text or "").split())[:most]


def member_domains() -> set[str]:
    """The email domains of the member districts in use."""
    rows = db.session.scalars(sa.select(District.email_domains).where(District.is_member.is_(True),
                                                                      District.archived_at.is_(None)))
    return {domain for domains in rows for domain in domains or []}


def _escaped(text: str) -> str:
    return text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")


def _matching(query: str):
    """Districts whose name holds every word of the query, or whose LEAID starts with its digits."""
    words = query.split()[:8]
    if not words:
        return sa.true()
    if len(words) == 1 and words[0].isdigit():
        # LEAIDs are stored with their leading zeros; people and spreadsheets often drop them.
        return sa.or_(District.nces_leaid.startswith(words[0]), District.nces_leaid == words[0].zfill(7),
                      District.name.ilike(f"%{_escaped(words[0])}%", escape="\\"))
    # "Washington, CA" and "washington unified ca": the name holds each word, or a word is the state
    conditions = []
    for word in words:
        word = word.strip(",")
        if not word:
            continue
        in_name = District.name.ilike(f"%{_escaped(word)}%", escape="\\")
        conditions.append(sa.or_(in_name, District.state == word.upper()) if len(word) == 2 else in_name)
    return sa.and_(*conditions)


def _filtered(selection: DirectoryFilter):
    conditions = [_matching(selection.query),
                  District.archived_at.is_not(None) if selection.archived else District.archived_at.is_(None)]
    if selection.member:
        conditions.append(District.is_member.is_(selection.member == "yes"))
    if selection.state:
        conditions.append(District.state == selection.state)
    if selection.locale:
        conditions.append(District.locale == Locale(selection.locale))
    if selection.size == "unknown":
        conditions.append(District.enrollment.is_(None))
    elif selection.size:
        _, low, high = SIZE_BANDS[selection.size]
        if low is not None:
            conditions.append(District.enrollment >= low)
        if high is not None:
            conditions.append(District.enrollment <= high)
    return conditions


def district_page(selection: DirectoryFilter) -> DistrictPage:
    """One page of the districts list: two queries, however many districts (a count, then the page with
    each district's number of schools)."""
    conditions = _filtered(selection)
    total = db.session.scalar(sa.select(sa.func.count(District.id)).where(*conditions)) or 0
    pages = max(1, math.ceil(total / PAGE_SIZE))
    page = min(selection.page, pages)
    schools = (sa.select(sa.func.count(School.id)).where(School.district_id == District.id,
                                                        School.archived_at.is_(None))
               .correlate(District).scalar_subquery())
    found = db.session.execute(sa.select(District, schools).where(*conditions).order_by(*SORTS[selection.sort][1])
                               .limit(PAGE_SIZE).offset((page - 1) * PAGE_SIZE)).all()
    return DistrictPage([DistrictRow(district, count) for district, count in found], total, page, pages)


def states_in_use() -> list[str]:
    """The states the directory's districts are in, for the filter."""
    return list(db.session.scalars(sa.select(District.state).distinct().order_by(District.state)))


def find_districts(query: str, *, limit: int = CHOOSER_RESULTS, hosts_only: bool = False) -> list[District]:
    """What a district chooser lists for a search: districts in use whose name holds every word (or whose
    LEAID starts with the digits), members first, at most `limit`; `hosts_only` keeps those that can host
    (a time zone chosen)."""
    query = search_words(query)
    if not query:
        return []
    conditions = [_matching(query), District.can_host if hosts_only else District.archived_at.is_(None)]
    return list(db.session.scalars(sa.select(District).where(*conditions)
                                   .order_by(District.is_member.desc(), District.name, District.state, District.id)
                                   .limit(limit)))


def member_districts() -> list[District]:
    """The member districts in use, by name: what the registration form offers first."""
    return list(db.session.scalars(sa.select(District).where(District.is_member.is_(True),
                                                             District.archived_at.is_(None))
                                   .order_by(District.name, District.state)))


def member_district_ids() -> list[int]:
    """Their ids alone: all a submitted form needs to check the choice."""
    return list(db.session.scalars(sa.select(District.id).where(District.is_member.is_(True),
                                                                District.archived_at.is_(None))))


def district_in_use(district_id: int) -> District | None:
    """The district of this id, unless it is archived (what a chooser may have offered)."""
    found = db.session.get(District, district_id)
    return found if found is not None and found.archived_at is None else None


def districts_by_id(ids: list[int]) -> list[District]:
    """These districts (in use or not), by name; an id no table can hold (a forged form's) is none."""
    ids = [i for i in ids if 0 < i <= MAX_ID]
    if not ids:
        return []
    return list(db.session.scalars(sa.select(District).where(District.id.in_(ids)).order_by(District.name)))


@dataclass(frozen=True)
class Attendance:
    """How many of a district's people registered for one event (cancelled ones left out)."""

    event: Event
    registered: int
    commitments: int


@dataclass(frozen=True)
class DistrictOverview:
    schools: list[School]
    schools_with_visits: set[int]  # those that cannot be deleted, only archived
    coordinators: list[User]
    hosted: list[Event]
    attendance: list[Attendance]


def district_overview(district: District) -> DistrictOverview:
    """What a district's page shows: its schools, its host coordinators, the events it hosted and its
    people's registrations and commitments, event by event (newest first)."""
    schools = list(db.session.scalars(sa.select(School).where(School.district_id == district.id)
                                      .order_by(School.archived_at.is_not(None), School.name)))
    with_visits = set(db.session.scalars(sa.select(Visit.school_id).distinct().join(School)
                                         .where(School.district_id == district.id)))
    coordinators = list(db.session.scalars(sa.select(User).where(
        User.district_id == district.id, User.role == UserRole.HOST_COORDINATOR).order_by(User.email)))
    hosted = list(db.session.scalars(sa.select(Event).join(event_hosts)
                                     .where(event_hosts.c.district_id == district.id)
                                     .order_by(Event.starts_on.desc())))
    commitments = (sa.select(sa.func.count(Commitment.id)).join(Registration)
                   .where(Registration.event_id == Event.id, Registration.district_id == district.id)
                   .correlate(Event).scalar_subquery())
    rows = db.session.execute(
        sa.select(Event, sa.func.count(Registration.id), commitments).join(Registration)
        .where(Registration.district_id == district.id, Registration.status != RegistrationStatus.CANCELLED)
        .group_by(Event.id).order_by(Event.starts_on.desc())
        .options(selectinload(Event.hosts))).all()
    return DistrictOverview(schools, with_visits, coordinators, hosted, [Attendance(e, n, c) for e, n, c in rows])



@dataclass(frozen=True)
class DistrictMenu:
    """What a district chooser offers: what a search found first, then the districts already chosen."""

    districts: list[District]
    found: list[District]
    searched: bool
    query: str


def district_menu(chosen_ids: list[int], query: str | None, searched: bool, *, hosts_only: bool = False
                  ) -> DistrictMenu:
    """The menu of a back-office district chooser (event hosts, an account's district): after a search, the
    districts found (at most 20, members first); then those already chosen, archived ones included (a
    choice made before stays until someone changes it)."""
    found = find_districts(query or "", hosts_only=hosts_only) if searched else []
    known = {d.id for d in found}
    chosen = districts_by_id([i for i in dict.fromkeys(chosen_ids) if i not in known])
    return DistrictMenu([*found, *chosen], found, searched, search_words(query))


def district_references(district: District) -> list[str]:
    """What refers to a district, in words ("hosts 2 events", "14 registrations"): why it cannot be deleted."""
    def count(statement) -> int:
        return db.session.scalar(sa.select(sa.func.count()).select_from(statement.subquery())) or 0

    found = [
        (count(sa.select(event_hosts.c.event_id).where(event_hosts.c.district_id == district.id)), "event", "hosts"),
        (count(sa.select(Visit.id).join(School).where(School.district_id == district.id)), "visit",
         "visits at its schools:"),
        (count(sa.select(User.id).where(User.district_id == district.id)), "account", "accounts:"),
        (count(sa.select(Registration.id).where(Registration.district_id == district.id)), "registration",
         "registrations:"),
    ]
    return [f"{verb} {number:,} {noun}{'s' if number != 1 else ''}" if verb == "hosts" else f"{verb} {number:,}"
            for number, noun, verb in found if number]
