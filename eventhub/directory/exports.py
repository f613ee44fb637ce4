"""The directory as CSV, in the federal data's column names where it has them (and eventhub's own for the
rest), so that export, edit in a spreadsheet and import round-trips (directory/files.py reads these columns).
Rows are written as they are read, a district or school at a time, whatever the directory's size."""
import csv
import io
from collections.abc import Iterator

import sqlalchemy as sa
from sqlalchemy.orm import aliased

from eventhub.extensions import db
from eventhub.models import District, School
from eventhub.spreadsheets import safe_cell

DISTRICT_COLUMNS = ["LEAID", "LEA_NAME", "ST", "LCITY", "GSLO", "GSHI", "LOCALE", "ENROLLMENT", "FRL_PERCENT",
                    "TIMEZONE", "IS_MEMBER", "MEMBER_SINCE", "EMAIL_DOMAINS", "NOTES"]
SCHOOL_COLUMNS = ["NCESSCH", "SCH_NAME", "LEAID", "LSTREET1", "LCITY", "ST", "LZIP", "GSLO", "GSHI",
                  "ENTRANCE", "BUS_PARKING"]
BATCH = 1000


def ccd_grades(span: str | None) -> tuple[str, str]:
    """"PK-12" as the CCD writes it: ("PK", "12"); "K-8": ("KG", "08"); unknown: ("", "")."""
    if not span:
        return "", ""
    low, _, high = span.partition("-")

    def code(grade: str) -> str:
        return {"PK": "PK", "K": "KG"}.get(grade, grade.zfill(2) if grade.isdigit() else grade)

    return code(low), code(high or low)


def _district_row(d: District) -> list:
    low, high = ccd_grades(d.grade_span)
    return [d.nces_leaid or "", d.name, d.state, d.city, low, high, d.locale.value if d.locale else "",
            "" if d.enrollment is None else d.enrollment, "" if d.frl_percent is None else d.frl_percent,
            d.timezone or "", "yes" if d.is_member else "no", d.member_since.isoformat() if d.member_since else "",
            " ".join(d.email_domains or []), d.notes]


def _school_row(s: School, leaid: str | None) -> list:
    low, high = ccd_grades(s.grade_span)
    return [s.nces_id or "", s.name, leaid or "", s.street, s.city, s.state, s.postal_code, low, high,
            s.entrance, s.bus_parking]


def directory_rows(schools: bool = False) -> Iterator[list]:
    """The header, then every district (or school) in use, by name, read a thousand at a time."""
    if not schools:
        yield DISTRICT_COLUMNS
        districts = sa.select(District).where(District.archived_at.is_(None)).order_by(
            District.state, District.name, District.id)
        for district in db.session.scalars(districts.execution_options(yield_per=BATCH)):
            yield _district_row(district)
        return
    yield SCHOOL_COLUMNS
    owner = aliased(District)
    schools_query = (sa.select(School, owner.nces_leaid).join(owner, School.district_id == owner.id)
             .where(School.archived_at.is_(None)).order_by(owner.state, owner.name, School.name, School.id))
    for school, leaid in db.session.execute(schools_query.execution_options(yield_per=BATCH)):
        yield _school_row(school, leaid)


def csv_lines(rows: Iterator[list]) -> Iterator[str]:
    """Rows as CSV text, a line at a time, every cell neutralised against spreadsheet formulas."""
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\r\n")
    for row in rows:
        writer.writerow([safe_cell(cell) for cell in row])
        yield buffer.getvalue()
        buffer.seek(0)
        buffer.truncate()
