"""Every change to the network's directory: districts and their schools created, edited, archived, restored
and deleted. A district or school that anything refers to (an event, a visit, an account, a registration) is
archived, never deleted: it leaves every chooser and keeps its history. Functions flush and never commit."""
import re
from dataclasses import dataclass, field, fields
from datetime import date

import sqlalchemy as sa
from sqlalchemy.exc import IntegrityError

from eventhub.audit import changes_since, record, snapshot
from eventhub.directory.queries import district_references
from eventhub.errors import DomainError
from eventhub.extensions import db
from eventhub.models import (
    DirectoryState,
    District,
    Locale,
    School,
    Visit,
    utcnow,
)
from eventhub.models.events import event_hosts
from eventhub.timezones import known_zone

MAX_DOMAINS = 20
DOMAIN = re.compile(r"(?=.{3,253}$)([a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?\.)+[a-z]{2,63}")
STATES = frozenset(
    "AL AK AZ AR CA CO CT DE DC FL GA HI ID IL IN IA KS KY LA ME MD MA MI MN MS MO MT NE NV NH NJ NM NY NC ND OH "
    "OK OR PA RI SC SD TN TX UT VT VA WA WV WI WY AS GU MP PR VI BI".split())
GRADE_SPAN = re.compile(r"(PK|K|[1-9]|1[0-3])(-(PK|K|[1-9]|1[0-3]))?")


class DirectoryError(DomainError):
    """A change to the directory was refused; `field` names the form field it concerns."""

    status = 422

    def __init__(self, message: str, field: str | None = None, *, status: int | None = None) -> None:
        super().__init__(message, status=status)
        self.field = field


@dataclass
class DistrictDetails:
    """What a person types about a district; None where a fact is unknown."""

    name: str
    state: str
    city: str = ""
    nces_leaid: str | None = None
    timezone: str | None = None
    enrollment: int | None = None
    locale: Locale | None = None
    frl_percent: int | None = None
    grade_span: str | None = None
    is_member: bool = False
    member_since: date | None = None
    email_domains: list[str] = field(default_factory=list)
    notes: str = ""


@dataclass
class SchoolDetails:
    """What a person types about a school (its visitor rules have their own page)."""

    name: str
    nces_id: str | None = None
    grade_span: str | None = None
    street: str = ""
    city: str = ""
    state: str = ""
    postal_code: str = ""
    entrance: str = ""
    bus_parking: str = ""


DISTRICT_FIELDS = tuple(f.name for f in fields(DistrictDetails))
SCHOOL_FIELDS = tuple(f.name for f in fields(SchoolDetails))


def directory_version(lock: bool = False) -> int:
    """The directory's version now (0 before its first change); `lock` holds it until the transaction ends
    (PostgreSQL; SQLite's writers take turns anyway)."""
    query = sa.select(DirectoryState.version).where(DirectoryState.id == 1)
    if lock and db.session.get_bind().dialect.name == "postgresql":
        query = query.with_for_update()
    return db.session.scalar(query) or 0


def bump_directory_version() -> None:
    """Note a change to the directory: an import previewed before it may no longer commit."""
    raised = db.session.execute(sa.update(DirectoryState).where(DirectoryState.id == 1)
                                .values(version=DirectoryState.version + 1))
    if not raised.rowcount:  # type: ignore[attr-defined]  # an UPDATE's result has a rowcount
        db.session.add(DirectoryState(id=1, version=1))
    db.session.flush()


def federal_id(raw: str | None, digits: int, what: str, field_name: str) -> str | None:
    """An NCES id as stored: its digits, zero-padded to `digits` (Excel drops leading zeros); None if empty."""
    text = (raw or "").strip()
    if not text:
        return None
    if not (text.isascii() and text.isdigit()) or len(text) > digits:
        raise DirectoryError(f"The {what} is a number of at most {digits} digits, like "
                             f"{'0100005' if digits == 7 else '010000500870'}.", field_name)
    return text.zfill(digits)


def parse_domains(text: str) -> list[str]:
    """Email domains typed one per line or separated by commas or spaces ("@kmsd.org" is "kmsd.org")."""
    domains: list[str] = []
    for word in re.split(r"[\s,;]+", text.strip().lower()):
        word = word.lstrip("@")
        if not word:
            continue
        if not DOMAIN.fullmatch(word):
            raise DirectoryError(f"“{word[:60]}” is not an email domain; write domains like kmsd.k12.wi.us.",
                                 "email_domains")
        if word not in domains:
            domains.append(word)
    if len(domains) > MAX_DOMAINS:
        raise DirectoryError(f"At most {MAX_DOMAINS} email domains may be kept for one district.", "email_domains")
    return domains


def _check_district(details: DistrictDetails, district: District | None) -> None:
    if details.state not in STATES:
        raise DirectoryError("Choose the state by its two-letter postal code, like WI.", "state")
    if details.timezone and not known_zone(details.timezone):
        raise DirectoryError("Choose a time zone from the list.", "timezone")
    if details.grade_span and not GRADE_SPAN.fullmatch(details.grade_span):
        raise DirectoryError("Write the grades as a span like PK-12, K-8 or 9-12.", "grade_span")
    if details.nces_leaid:
        taken = db.session.scalar(sa.select(District).where(District.nces_leaid == details.nces_leaid,
                                                            District.id != (district.id if district else 0)))
        if taken is not None:
            raise DirectoryError(f"{taken.label} already has the LEAID {details.nces_leaid}; a district's LEAID is "
                                 "its own.", "nces_leaid", status=409)
    if district is not None and not details.timezone and district.timezone and hosting(district):
        raise DirectoryError(f"{district.name} hosts events or visits, whose times are in its zone: it keeps one.",
                             "timezone")


def create_district(details: DistrictDetails) -> District:
    """Add a district to the directory."""
    _check_district(details, None)
    district = District(**{name: getattr(details, name) for name in DISTRICT_FIELDS})
    db.session.add(district)
    _flush_unique()
    record("create", "district", district.id, district.label)
    bump_directory_version()
    return district


def update_district(district: District, details: DistrictDetails) -> dict[str, list[str]]:
    """Save a district's details; returns {field: [before, after]} as the audit log has it."""
    _check_district(details, district)
    return _save(district, details, DISTRICT_FIELDS)


def hosting(district: District) -> bool:
    """Whether it hosts an event, or a visit at one of its schools."""
    hosts_event = sa.select(event_hosts.c.event_id).where(event_hosts.c.district_id == district.id).exists()
    hosts_visit = sa.select(Visit.id).join(School).where(School.district_id == district.id).exists()
    return bool(db.session.scalar(sa.select(sa.or_(hosts_event, hosts_visit))))


def delete_district(district: District) -> None:
    """Delete a district nothing refers to, with its schools; one that is referred to is archived instead."""
    references = district_references(district)
    if references:
        raise DirectoryError(f"{district.label} cannot be deleted: {'; '.join(references)}. Archive it instead: "
                             "it leaves every list of districts and keeps its history.", status=409)
    record("delete", "district", district.id, district.label)
    db.session.delete(district)
    bump_directory_version()


def _check_school(district: District, details: SchoolDetails, school: School | None) -> None:
    if details.grade_span and not GRADE_SPAN.fullmatch(details.grade_span):
        raise DirectoryError("Write the grades as a span like PK-5, 6-8 or 9-12.", "grade_span")
    if details.state and details.state not in STATES:
        raise DirectoryError("Write the state as its two-letter postal code, like WI.", "state")
    other = School.id != (school.id if school else 0)
    if details.nces_id:
        taken = db.session.scalar(sa.select(School).where(School.nces_id == details.nces_id, other))
        if taken is not None:
            raise DirectoryError(f"{taken.name} already has the NCES id {details.nces_id}.", "nces_id", status=409)
    else:
        taken = db.session.scalar(sa.select(School).where(
            School.district_id == district.id, School.nces_id.is_(None),
            sa.func.lower(School.name) == details.name.lower(), other))
        if taken is not None:
            raise DirectoryError(f"{district.name} already has a school called {taken.name}. Give its NCES id to "
                                 "tell two schools of one name apart.", "name", status=409)


def create_school(district: District, details: SchoolDetails) -> School:
    """Add a school to a district (its visitor rules take the defaults until someone sets them)."""
    _check_school(district, details, None)
    school = School(district=district, **{name: getattr(details, name) for name in SCHOOL_FIELDS})
    school.state = school.state or district.state
    db.session.add(school)
    _flush_unique()
    record("create", "school", school.id, _subject(school)[1])
    bump_directory_version()
    return school


def update_school(school: School, details: SchoolDetails) -> dict[str, list[str]]:
    """Save a school's details; returns {field: [before, after]}."""
    _check_school(school.district, details, school)
    return _save(school, details, SCHOOL_FIELDS)


def delete_school(school: School) -> None:
    """Delete a school no visit refers to; one that is referred to is archived instead."""
    visits = db.session.scalar(sa.select(sa.func.count(Visit.id)).where(Visit.school_id == school.id)) or 0
    if visits:
        raise DirectoryError(f"{school.name} cannot be deleted: {visits:,} visit{'s' if visits != 1 else ''} "
                             "took or take place there. Archive it instead: it leaves the list of schools for new "
                             "visits and keeps its history.", status=409)
    record("delete", "school", school.id, _subject(school)[1])
    db.session.delete(school)
    bump_directory_version()


def _flush_unique() -> None:
    """Flush; a clash with the unique ids that another save made at the same moment (after the checks above
    looked) is the same refusal, not a server error."""
    try:
        db.session.flush()
    except IntegrityError as error:
        raise DirectoryError("Someone saved a district or school with the same federal id, or a school of the "
                             "same name in this district, at the same moment. Look again and save.",
                             status=409) from error


def _save(row: District | School, details: DistrictDetails | SchoolDetails, names: tuple[str, ...]
          ) -> dict[str, list[str]]:
    """Write the details onto the row and log what changed."""
    before = snapshot(row, names)
    for name in names:
        setattr(row, name, getattr(details, name))
    _flush_unique()
    changes = changes_since(before, row)
    if changes:
        kind, label = _subject(row)
        record("update", kind, row.id, label, changes=changes)
        bump_directory_version()
    return changes


def _subject(row: District | School) -> tuple[str, str]:
    """How the audit log names a district or a school."""
    if isinstance(row, District):
        return "district", row.label
    return "school", f"{row.name} ({row.district.name})"


def archive(row: District | School) -> None:
    """Take a district or school out of every chooser (new events, visits, registrations, accounts),
    keeping it and everything that refers to it."""
    if row.archived_at is None:
        row.archived_at = utcnow()
        db.session.flush()
        kind, label = _subject(row)
        record("archive", kind, row.id, label)
        bump_directory_version()


def restore(row: District | School) -> None:
    """Bring an archived district or school back into the choosers."""
    if row.archived_at is not None:
        row.archived_at = None
        db.session.flush()
        kind, label = _subject(row)
        record("restore", kind, row.id, label)
        bump_directory_version()
