"""Importing a directory file (directory/files.py reads it): a preview of what it would add, update and leave
alone, and what it cannot read; then the commit, which applies exactly that preview and is refused when the
file or the directory changed since.

- Districts match by LEAID, else by name, state and city; schools by NCES id, else by district and name.
- A missing column or an empty cell leaves a field as it was: an import never clears what a person chose
  (time zones, membership, host rules are never emptied; rules are not even read).
- An imported district is a member only when the file (IS_MEMBER) or the import (`members`) says so.
- A district's time zone comes from its state when the file gives none and the state has one zone; a
  state with several leaves it unset and flags the row for a person to choose.
- Rows that cannot be read are skipped and reported by line. A second import of the same file changes
  nothing. Additions are logged in one audit entry per import, each update in its own with old and new.

One pass over the file does the preview, and the commit makes the same pass again writing as it goes, so a
national file (20,000 districts, 100,000 schools) is never held in memory."""
import hashlib
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import date
from typing import Any, BinaryIO

import sqlalchemy as sa

from eventhub.audit import record
from eventhub.directory.files import DirectoryFile, Row, open_directory_file
from eventhub.directory.services import (
    GRADE_SPAN,
    STATES,
    DirectoryError,
    bump_directory_version,
    directory_version,
    parse_domains,
)
from eventhub.errors import DomainError
from eventhub.extensions import db
from eventhub.models import District, Locale, School
from eventhub.timezones import known_zone

# The one zone of each state that has one; the others (several zones) are left for a person to choose.
STATE_ZONES = {
    **dict.fromkeys("CT DE DC GA ME MD MA NH NJ NY NC OH PA RI SC VT VA WV PR VI".split(), "America/New_York"),
    **dict.fromkeys("AL AR IL IA LA MN MS MO OK WI".split(), "America/Chicago"),
    **dict.fromkeys("CO MT NM UT WY".split(), "America/Denver"),
    "AZ": "America/Phoenix", "CA": "America/Los_Angeles", "NV": "America/Los_Angeles",
    "WA": "America/Los_Angeles", "HI": "Pacific/Honolulu", "GU": "Pacific/Guam", "MP": "Pacific/Guam",
    "AS": "Pacific/Pago_Pago",
}
DISTRICT_FIELDS = ("nces_leaid", "name", "state", "city", "timezone", "enrollment", "locale", "frl_percent",
                   "grade_span", "is_member", "member_since", "email_domains", "notes")
SCHOOL_FIELDS = ("nces_id", "name", "grade_span", "street", "city", "state", "postal_code", "entrance",
                 "bus_parking")
SAMPLES = 200  # rows of each kind the preview lists; the counts are for all
BATCH = 1000


class ImportRefused(DomainError):
    """The commit cannot go ahead: the file or the directory changed since the preview."""

    status = 409


@dataclass
class Planned:
    """One row's outcome: what it adds, or each field it changes (old, new), or the flag it raises."""

    line: int
    label: str
    changes: dict[str, tuple[object, object]] = field(default_factory=dict)
    flag: str = ""


@dataclass
class ImportPlan:
    """The preview: counts of every kind, the first rows of each, the errors by line."""

    kind: str
    digest: str
    version: int
    members: bool
    unknown_columns: list[str]
    added: int = 0
    updated: int = 0
    unchanged: int = 0
    adds: list[Planned] = field(default_factory=list)
    updates: list[Planned] = field(default_factory=list)
    flagged: list[Planned] = field(default_factory=list)
    errors: list[tuple[int, str]] = field(default_factory=list)
    error_count: int = 0

    def note_error(self, line: int, reason: str) -> None:
        self.error_count += 1
        if len(self.errors) < SAMPLES:
            self.errors.append((line, reason))


def file_digest(stream: BinaryIO) -> str:
    """The file's sha256 (the stream is read to its end, then rewound)."""
    digest = hashlib.sha256()
    for block in iter(lambda: stream.read(1 << 20), b""):
        digest.update(block)
    stream.seek(0)
    return digest.hexdigest()


def preview_import(stream: BinaryIO, *, members: bool = False) -> ImportPlan:
    """What importing this file would do, without writing anything."""
    return _run(stream, members=members, write=False)


def commit_import(stream: BinaryIO, *, digest: str, version: int, members: bool = False) -> ImportPlan:
    """Apply the import previewed at `version` of the directory from the file of `digest`: exactly what the
    preview said, or ImportRefused if either changed since."""
    if file_digest(stream) != digest:
        raise ImportRefused("The file is not the one that was previewed. Upload it again for a new preview.")
    if directory_version(lock=True) != version:
        raise ImportRefused("The directory changed since this preview (someone edited it, or another import "
                            "ran). Preview the file again, then commit.")
    return _run(stream, members=members, write=True)


def _run(stream: BinaryIO, *, members: bool, write: bool) -> ImportPlan:
    digest = file_digest(stream)
    found = open_directory_file(stream)
    plan = ImportPlan(found.kind, digest, directory_version(), members, found.unknown)
    if found.kind == "districts":
        _districts(found, plan, write)
    else:
        _schools(found, plan, write)
    if write and (plan.added or plan.updated):
        bump_directory_version()
        record("import", found.kind[:-1], None, f"Import of {found.kind}",
               note=f"{plan.added:,} added, {plan.updated:,} updated, {plan.unchanged:,} unchanged, "
                    f"{plan.error_count:,} rows not imported; file sha256 {digest[:16]}")
    return plan


def _rows_once(found: DirectoryFile, plan: ImportPlan, key_of) -> Iterator[tuple[dict[str, Any], Row, tuple]]:
    """The readable rows, each with its key; errors and second appearances of a key noted on the plan."""
    seen: dict[tuple, int] = {}
    for row in found.rows:
        if row.error:
            plan.note_error(row.line, row.error)
            continue
        try:
            key = key_of(row.values)
        except DirectoryError as refused:
            plan.note_error(row.line, refused.message)
            continue
        if key in seen:
            plan.note_error(row.line, f"The same {_key_words(key, found.kind)} as line {seen[key]}: each "
                                      f"{found.kind[:-1]} appears once in a file; this row is not imported.")
            continue
        seen[key] = row.line
        yield row.values, row, key


def _key_words(key: tuple, kind: str) -> str:
    if key[0] == "id":
        return f"{'LEAID' if kind == 'districts' else 'NCESSCH'} {key[1]}"
    return "name" if kind == "districts" else "district and name"


# --- districts ----------------------------------------------------------------------------------------


def _district_key(values: dict) -> tuple:
    _check_district_values(values)
    if values.get("nces_leaid"):
        return "id", values["nces_leaid"]
    return "name", values["name"].lower(), values["state"], str(values.get("city", "")).lower()


def _check_district_values(values: dict) -> None:
    if not values.get("name") or not values.get("state"):
        raise DirectoryError("LEA_NAME and ST are needed on every row.")
    if values["state"] not in STATES:
        raise DirectoryError(f"ST: “{values['state']}” is not a state's two-letter code.")
    if values.get("timezone") and not known_zone(str(values["timezone"])):
        raise DirectoryError(f"TIMEZONE: “{values['timezone']}” is not a time zone's name, like America/Chicago.")
    if values.get("grade_span") and not GRADE_SPAN.fullmatch(str(values["grade_span"])):
        raise DirectoryError(f"GSLO/GSHI: “{values['grade_span']}” is not a span of grades.")
    if "member_since" in values:
        try:
            values["member_since"] = date.fromisoformat(str(values["member_since"]))
        except ValueError:
            raise DirectoryError(f"MEMBER_SINCE: “{values['member_since']}” is not a date like 2019-08-01.") \
                from None
    if "email_domains" in values:
        values["email_domains"] = parse_domains(" ".join(values["email_domains"]))


def _existing_districts() -> tuple[dict, dict, dict]:
    """Every district's id and fields, by LEAID and by name, state and city: one query."""
    columns = [District.id, *(getattr(District, name) for name in DISTRICT_FIELDS)]
    by_id: dict[int, dict[str, Any]] = {}
    by_leaid: dict[str, int] = {}
    by_name: dict[tuple, int] = {}
    for row in db.session.execute(sa.select(*columns)):
        current = dict(zip(DISTRICT_FIELDS, row[1:], strict=True))
        by_id[row.id] = current
        if current["nces_leaid"]:
            by_leaid[current["nces_leaid"]] = row.id
        by_name.setdefault((current["name"].lower(), current["state"], (current["city"] or "").lower()), row.id)
    return by_id, by_leaid, by_name


def _districts(found: DirectoryFile, plan: ImportPlan, write: bool) -> None:
    by_id, by_leaid, by_name = _existing_districts()
    writer = _Writer(District, plan, write)
    for values, row, key in _rows_once(found, plan, _district_key):
        if plan.members and "is_member" not in values:
            values["is_member"] = True
        target = by_leaid.get(key[1]) if key[0] == "id" else by_name.get(key[1:])
        if target is None and key[0] == "id":  # a district kept by name gets its LEAID now
            target = by_name.get((values["name"].lower(), values["state"], str(values.get("city", "")).lower()))
            if target is not None and by_id[target]["nces_leaid"]:
                target = None  # that one has another LEAID: this is another district of the same name
        label = f"{values['name']}, {values['state']}"
        if target is None:
            # Every column named, so each batch is one statement of the same shape.
            new = {name: values.get(name) for name in DISTRICT_FIELDS}
            new.update(is_member=bool(values.get("is_member")), email_domains=values.get("email_domains") or [],
                       city=values.get("city") or "", notes=values.get("notes") or "")
            flag = ""
            if not new.get("timezone"):
                new["timezone"] = STATE_ZONES.get(values["state"])
                if new["timezone"] is None:
                    flag = f"{new['state']} has more than one time zone: choose this district's"
            if flag and len(plan.flagged) < SAMPLES:
                plan.flagged.append(Planned(row.line, label, flag=flag))
            writer.add(row.line, label, new)
            continue
        current = by_id[target]
        changes = {name: (current[name], values[name]) for name in DISTRICT_FIELDS
                   if name in values and values[name] != current[name]
                   and not (name == "timezone" and current[name])}  # a zone chosen stays
        if not current["timezone"] and "timezone" not in values and STATE_ZONES.get(values["state"]):
            changes["timezone"] = (None, STATE_ZONES[values["state"]])
        writer.update(row.line, target, label, changes)
    writer.finish()


def _text(value) -> str:
    if value is None:
        return ""
    if isinstance(value, Locale):
        return value.value
    if isinstance(value, list):
        return ", ".join(value)
    return str(value)


class _Writer:
    """Counts each row's outcome on the plan and, when writing, gathers the rows to write a thousand at a
    time: inserts in one statement a batch, updates by primary key, each update in the audit log."""

    def __init__(self, model, plan: ImportPlan, write: bool) -> None:
        self.model, self.plan, self.write = model, plan, write
        self.kind = model.__tablename__[:-1]  # "district", "school"
        self.adds: list[dict] = []
        self.updates: list[dict] = []

    def add(self, line: int, label: str, new: dict) -> None:
        self.plan.added += 1
        if len(self.plan.adds) < SAMPLES:
            self.plan.adds.append(Planned(line, label))
        if self.write:
            self.adds.append(new)
            self._flush_full()

    def update(self, line: int, target: int, label: str, changes: dict[str, tuple[object, object]]) -> None:
        if not changes:
            self.plan.unchanged += 1
            return
        self.plan.updated += 1
        if len(self.plan.updates) < SAMPLES:
            self.plan.updates.append(Planned(line, label, changes))
        if self.write:
            self.updates.append({"id": target, **{name: new for name, (_, new) in changes.items()}})
            record("update", self.kind, target, label, note="import", changes={
                name: [_text(old), _text(new)] for name, (old, new) in changes.items()})
            self._flush_full()

    def _flush_full(self) -> None:
        if len(self.adds) >= BATCH or len(self.updates) >= BATCH:
            self.finish()

    def finish(self) -> None:
        """Write what is gathered."""
        if self.adds:
            db.session.execute(sa.insert(self.model), self.adds)
            self.adds.clear()
        if self.updates:
            db.session.execute(sa.update(self.model), self.updates)
            self.updates.clear()


# --- schools -------------------------------------------------------------------------------------------


def _school_key(values: dict) -> tuple:
    if not values.get("name") or not values.get("nces_leaid"):
        raise DirectoryError("SCH_NAME and LEAID are needed on every row.")
    if values.get("grade_span") and not GRADE_SPAN.fullmatch(str(values["grade_span"])):
        raise DirectoryError(f"GSLO/GSHI: “{values['grade_span']}” is not a span of grades.")
    if values.get("state") and values["state"] not in STATES:
        raise DirectoryError(f"ST: “{values['state']}” is not a state's two-letter code.")
    if values.get("nces_id"):
        return "id", values["nces_id"]
    return "name", values["nces_leaid"], values["name"].lower()


def _schools(found: DirectoryFile, plan: ImportPlan, write: bool) -> None:
    districts = dict(db.session.execute(sa.select(District.nces_leaid, District.id)
                                        .where(District.nces_leaid.is_not(None))).tuples().all())
    columns = [School.id, School.district_id, *(getattr(School, name) for name in SCHOOL_FIELDS)]
    by_id: dict[int, tuple[int, dict[str, Any]]] = {}
    by_nces: dict[str, int] = {}
    by_name: dict[tuple, int] = {}
    for existing in db.session.execute(sa.select(*columns)):
        row_id, owner_id = existing[0], existing[1]
        current = dict(zip(SCHOOL_FIELDS, existing[2:], strict=True))
        by_id[row_id] = (owner_id, current)
        if current["nces_id"]:
            by_nces[current["nces_id"]] = row_id
        else:
            by_name[(owner_id, current["name"].lower())] = row_id
    writer = _Writer(School, plan, write)
    for values, row, key in _rows_once(found, plan, _school_key):
        district_id = districts.get(values["nces_leaid"])
        if district_id is None:
            plan.note_error(row.line, f"No district has the LEAID {values['nces_leaid']}: import the districts "
                                      "first.")
            continue
        target = by_nces.get(key[1]) if key[0] == "id" else by_name.get((district_id, key[2]))
        if target is None and key[0] == "id":  # a school kept by name gets its NCES id now
            target = by_name.get((district_id, values["name"].lower()))
        label = str(values["name"])
        if target is None:
            new = {name: values.get(name) for name in SCHOOL_FIELDS}
            new["district_id"] = district_id
            for name in ("street", "city", "state", "postal_code", "entrance", "bus_parking"):
                new[name] = new[name] or ""
            writer.add(row.line, label, new)
            continue
        owner, current = by_id[target]
        changes = {name: (current[name], values[name]) for name in SCHOOL_FIELDS
                   if name in values and values[name] != current[name]}
        if owner != district_id:
            changes["district_id"] = (owner, district_id)
        writer.update(row.line, target, label, changes)
    writer.finish()
