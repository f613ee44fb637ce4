"""Importing a directory file: the preview says what would be added, updated, left alone and not read; the
commit does exactly that, refuses when the file or the directory changed since, never clears what a person
chose, and a second import of the same file changes nothing."""
import io

import pytest
import sqlalchemy as sa

from eventhub.directory.imports import ImportRefused, commit_import, preview_import
from eventhub.directory.services import DistrictDetails, create_district
from eventhub.extensions import db
from eventhub.models import AuditEntry, District, Locale, School

DISTRICTS = (
    "LEAID,LEA_NAME,ST,LCITY,GSLO,GSHI,LOCALE,MEMBER,FRL_PERCENT,EXTRA\n"
    "5507350,Kettle Moraine School District,WI,Wales,PK,12,21,6100,14,x\n"
    "4833120,Caliche Springs ISD,TX,Caliche Springs,PK,12,11,59400,76,x\n"
    "0641640,Washington Unified,CA,West Sacramento,KG,12,21,-1,M,x\n"
    "1.00005E+11,Scientific,AL,Somewhere,KG,12,41,100,50,x\n"
    "5507350,Kettle Moraine again,WI,Wales,PK,12,21,6100,14,x\n"
)
SCHOOLS = (
    "NCESSCH,SCH_NAME,LEAID,LSTREET1,LCITY,ST,LZIP,GSLO,GSHI\n"
    "550735000123,Swallow School,5507350,W314 Swallow Rd,Hartland,WI,53029,KG,08\n"
    "550735000124,Kettle Moraine High School,5507350,349 Oak Crest Dr,Wales,WI,53183,09,12\n"
    "999999900001,Nowhere School,9999999,1 Main St,Nowhere,WI,53000,KG,05\n"
)


def commit(text: str, **kw):
    preview = preview_import(io.BytesIO(text.encode()), **kw)
    done = commit_import(io.BytesIO(text.encode()), digest=preview.digest, version=preview.version, **kw)
    db.session.commit()
    return preview, done


def test_the_preview_writes_nothing_and_the_commit_does_exactly_what_it_said(app):
    preview = preview_import(io.BytesIO(DISTRICTS.encode()))
    assert (preview.kind, preview.added, preview.updated, preview.unchanged) == ("districts", 3, 0, 0)
    assert preview.unknown_columns == ["EXTRA"]
    assert [line for line, _ in preview.errors] == [5, 6]
    assert "scientific notation" in preview.errors[0][1] and "as line 2" in preview.errors[1][1]
    assert [(p.line, p.flag) for p in preview.flagged] == [(3, "TX has more than one time zone: choose this "
                                                                "district's")]
    assert db.session.scalar(sa.select(sa.func.count(District.id))) == 0

    _, done = commit(DISTRICTS)
    assert (done.added, done.updated, done.error_count) == (preview.added, preview.updated, preview.error_count)
    kettle = db.session.scalar(sa.select(District).where(District.nces_leaid == "5507350"))
    assert (kettle.timezone, kettle.locale, kettle.enrollment, kettle.frl_percent, kettle.grade_span,
            kettle.is_member) == ("America/Chicago", Locale.SUBURB, 6100, 14, "PK-12", False)
    texas = db.session.scalar(sa.select(District).where(District.state == "TX"))
    assert texas.timezone is None, "several zones: left for a person to choose"
    washington = db.session.scalar(sa.select(District).where(District.state == "CA"))
    assert washington.enrollment is None and washington.frl_percent is None and washington.grade_span == "K-12"
    [entry] = db.session.scalars(sa.select(AuditEntry).where(AuditEntry.action == "import"))
    assert "3 added, 0 updated, 0 unchanged, 2 rows not imported" in entry.note


def test_a_second_import_changes_nothing_and_a_changed_file_only_what_changed(app):
    commit(DISTRICTS, members=True)
    _, again = commit(DISTRICTS, members=True)
    assert (again.added, again.updated, again.unchanged) == (0, 0, 3)

    kettle = db.session.scalar(sa.select(District).where(District.nces_leaid == "5507350"))
    kettle.timezone = "America/Denver"  # a person chose otherwise: no import takes it back
    kettle.notes = "Hosts every other spring."
    db.session.commit()
    changed = DISTRICTS.replace("6100,14", "6250,14").replace("Wales,PK", "Wales,KG")
    preview, done = commit(changed)
    assert (done.added, done.updated, done.unchanged) == (0, 1, 2)
    [update] = preview.updates
    assert update.changes == {"enrollment": (6100, 6250), "grade_span": ("PK-12", "K-12")}
    db.session.refresh(kettle)
    assert (kettle.enrollment, kettle.timezone, kettle.notes, kettle.is_member) == (
        6250, "America/Denver", "Hosts every other spring.", True), "the import never clears a person's choice"
    [logged] = db.session.scalars(sa.select(AuditEntry).where(AuditEntry.note == "import"))
    assert logged.changes == {"enrollment": ["6100", "6250"], "grade_span": ["PK-12", "K-12"]}


def test_a_district_kept_by_name_gets_its_leaid_and_two_of_one_name_stay_two(app):
    create_district(DistrictDetails(name="Washington Unified", state="CA", city="West Sacramento"))
    create_district(DistrictDetails(name="Washington Unified", state="CA", city="Fresno", nces_leaid="0641650"))
    db.session.commit()
    _, done = commit(DISTRICTS)
    assert (done.added, done.updated) == (2, 1)
    leaids = db.session.scalars(sa.select(District.nces_leaid).where(District.name == "Washington Unified")
                                .order_by(District.city)).all()
    assert leaids == ["0641650", "0641640"]


def test_the_commit_is_refused_when_the_directory_or_the_file_changed_since_the_preview(app):
    preview = preview_import(io.BytesIO(DISTRICTS.encode()))
    create_district(DistrictDetails(name="Meanwhile", state="IL"))
    db.session.commit()
    with pytest.raises(ImportRefused, match="directory changed since this preview"):
        commit_import(io.BytesIO(DISTRICTS.encode()), digest=preview.digest, version=preview.version)
    fresh = preview_import(io.BytesIO(DISTRICTS.encode()))
    with pytest.raises(ImportRefused, match="not the one that was previewed"):
        commit_import(io.BytesIO((DISTRICTS + "\n").encode()), digest=fresh.digest, version=fresh.version)
    db.session.rollback()
    assert db.session.scalar(sa.select(sa.func.count(District.id))) == 1


def test_schools_join_their_districts_by_leaid_and_reimport_changes_nothing(app):
    commit(DISTRICTS)
    preview, done = commit(SCHOOLS)
    assert (done.kind, done.added, done.error_count) == ("schools", 2, 1)
    assert "No district has the LEAID 9999999" in preview.errors[0][1]
    swallow = db.session.scalar(sa.select(School).where(School.nces_id == "550735000123"))
    assert (swallow.district.name, swallow.grade_span, swallow.postal_code) == (
        "Kettle Moraine School District", "K-8", "53029")
    swallow.photo_id_required, swallow.visitor_norms = False, "Sign in at the office."
    db.session.commit()
    _, again = commit(SCHOOLS)
    assert (again.added, again.updated, again.unchanged) == (0, 0, 2)
    db.session.refresh(swallow)
    assert (swallow.photo_id_required, swallow.visitor_norms) == (False, "Sign in at the office."), \
        "host rules are never read from a file"


def test_the_command_previews_then_commits(app, runner, tmp_path):
    path = tmp_path / "districts.csv"
    path.write_text(DISTRICTS, encoding="cp1252")
    preview = runner.invoke(args=["directory", "import", str(path)])
    assert preview.exit_code == 0, preview.output
    assert "3 to add, 0 to update, 0 unchanged, 2 not imported" in preview.output
    assert "line 5: not imported: LEAID" in preview.output and "Nothing was changed" in preview.output
    assert db.session.scalar(sa.select(sa.func.count(District.id))) == 0
    done = runner.invoke(args=["directory", "import", str(path), "--commit", "--members"])
    assert done.exit_code == 0 and "Imported: 3 added, 0 updated." in done.output
    assert db.session.scalar(sa.select(sa.func.count(District.id)).where(District.is_member)) == 3
    empty = tmp_path / "empty.csv"
    empty.write_bytes(b"")
    refused = runner.invoke(args=["directory", "import", str(empty)])
    assert refused.exit_code == 1 and "The file is empty" in refused.output


def upload(client, data: bytes, name: str = "districts.csv", **fields):
    return client.post("/admin/districts/import", data={"file": (io.BytesIO(data), name), **fields},
                       content_type="multipart/form-data")


def test_an_organizer_uploads_reads_the_preview_and_commits(app, organizer_client):
    page = upload(organizer_client, DISTRICTS.encode("utf-8-sig"), members="y")
    text = page.get_data(as_text=True)
    assert page.status_code == 200 and "What importing this file would do" in text
    assert "Columns left alone: EXTRA" in text and "scientific notation" in text
    assert db.session.scalar(sa.select(sa.func.count(District.id))) == 0
    digest = re_search(r'name="digest" value="([0-9a-f]{64})"', text)
    version = re_search(r'name="version" value="(\d+)"', text)

    done = organizer_client.post("/admin/districts/import/commit",
                                 data={"digest": digest, "version": version, "members": "y"})
    assert done.status_code == 302
    assert db.session.scalar(sa.select(sa.func.count(District.id)).where(District.is_member)) == 3
    again = organizer_client.post("/admin/districts/import/commit", data={"digest": digest, "version": version})
    assert again.status_code == 409, "the file is gone once committed"


def test_a_commit_after_a_change_to_the_directory_is_refused(app, organizer_client):
    text = upload(organizer_client, DISTRICTS.encode()).get_data(as_text=True)
    digest, version = re_search(r'name="digest" value="([0-9a-f]{64})"', text), re_search(
        r'name="version" value="(\d+)"', text)
    organizer_client.post("/admin/districts/new", data={"name": "Meanwhile", "state": "IL"})
    refused = organizer_client.post("/admin/districts/import/commit", data={"digest": digest, "version": version})
    assert refused.status_code == 409 and "changed since this preview" in refused.get_data(as_text=True)
    assert db.session.scalar(sa.select(sa.func.count(District.id))) == 1
    for bad in ({"digest": "x" * 64, "version": "1"}, {"digest": digest, "version": "abc"}, {}):
        assert organizer_client.post("/admin/districts/import/commit", data=bad).status_code == 400


@pytest.mark.parametrize("data, status, reason", [
    (b"", 422, "The file is empty"),
    (b"PK\x03\x04....", 422, "Excel workbook"),
    (b"LEAID,LEA_NAME,ST\n0100005,Espa\xf1ola,AL\n" + b"x" * 10, 200, "1</strong> districts to add"),
    (b"name,city\nA,B\n", 422, "needs the columns"),
    (b"LEAID,LEA_NAME,ST\n" + b"\"" + b"y" * 200_000 + b"\",A,AL\n", 422, "could not be read as CSV"),
])
def test_a_bad_file_gets_a_clear_message_never_a_500(app, organizer_client, data, status, reason):
    response = upload(organizer_client, data)
    assert response.status_code == status and reason in response.get_data(as_text=True)


def test_the_upload_takes_up_to_50_mb_on_this_route_only(app, organizer_client):
    big = b"LEAID,LEA_NAME,ST\n" + b"".join(b"%07d,District %d,AL\n" % (n, n) for n in range(60_000))
    assert len(big) > 1024 * 1024
    assert upload(organizer_client, big).status_code == 200, "over the 1 MB of other forms, under 50 MB"
    # Announced at 51 MB: refused on its length, before a byte of it is read.
    huge = organizer_client.post("/admin/districts/import", data=b"x" * 10, content_type="multipart/form-data",
                                 environ_overrides={"CONTENT_LENGTH": str(51 * 1024 * 1024)})
    assert huge.status_code == 413 and "larger than 50 MB" in huge.get_data(as_text=True)


def re_search(pattern: str, text: str) -> str:
    import re

    found = re.search(pattern, text)
    assert found, pattern
    return found.group(1)
