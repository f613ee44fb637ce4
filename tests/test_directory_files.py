"""Reading directory files (CCD exports, spreadsheets saved as CSV, eventhub's own export) into typed rows,
streamed; what cannot be read is refused with the reason, for the file or for its row."""
import io

import pytest

from eventhub.directory.files import FileRefused, open_directory_file
from eventhub.models import Locale

CCD_DISTRICTS = (
    "LEAID,LEA_NAME,ST,LCITY,LSTREET1,LZIP,GSLO,GSHI,LOCALE,MEMBER,FRELCH,REDLCH,SCHOOL_YEAR\n"
    "100005,Albertville City,AL,Albertville,107 W Main St,35950,KG,12,32,5600,2800,300,2023-2024\n"
    "0641640,Washington Unified,CA,West Sacramento,930 Westacre Rd,95691,PK,12,21,-1,M,N,2023-2024\n"
)


def read(text: str | bytes):
    data = text.encode("utf-8") if isinstance(text, str) else text
    found = open_directory_file(io.BytesIO(data))
    return found, list(found.rows)


def test_a_ccd_district_file_is_read_into_typed_values_with_missing_left_out():
    found, rows = read(CCD_DISTRICTS)
    assert found.kind == "districts" and found.unknown == ["SCHOOL_YEAR"]
    first, second = rows
    assert first.line == 2 and not first.error
    assert first.values == {
        "nces_leaid": "0100005", "name": "Albertville City", "state": "AL", "city": "Albertville",
        "street": "107 W Main St", "postal_code": "35950", "grade_span": "K-12", "locale": Locale.TOWN,
        "enrollment": 5600, "frl_percent": 55}
    assert second.values["nces_leaid"] == "0641640" and second.values["locale"] is Locale.SUBURB
    assert "enrollment" not in second.values and "frl_percent" not in second.values, "-1, M, N are missing"


def test_a_school_file_is_known_by_its_columns_whatever_their_case():
    found, [row] = read("ncessch;sch_name;leaid;st;gslo;gshi;Enrollment\n10000500870;Albertville Middle;"
                        "100005;al;07;08;920\n")
    assert found.kind == "schools"
    assert row.values == {"nces_id": "010000500870", "name": "Albertville Middle", "nces_leaid": "0100005",
                          "state": "AL", "grade_span": "7-8", "enrollment": 920}


@pytest.mark.parametrize("cell, reason", [
    ("1.00005E+11", "scientific notation"),
    ("12345678", "at most 7 digits"),
    ("=HYPERLINK(\"x\")", "spreadsheet formula"),
])
def test_a_row_that_cannot_be_read_says_why_and_the_others_are_read(cell, reason):
    _, rows = read(f"LEAID,LEA_NAME,ST\n{cell},Bad,AL\n100005,Good,AL\n")
    assert reason in rows[0].error and rows[0].line == 2
    assert rows[1].values["name"] == "Good" and not rows[1].error


def test_a_leading_minus_on_a_number_is_no_formula_but_on_text_it_is():
    _, rows = read("LEAID,LEA_NAME,ST,ENROLLMENT,NOTES\n100005,A,AL,-1,ok\n100006,B,AL,300,-cmd|x\n")
    assert not rows[0].error and "enrollment" not in rows[0].values
    assert "formula" in rows[1].error


def test_windows_1252_and_a_utf8_byte_order_mark_are_read():
    _, [row] = read("LEAID,LEA_NAME,ST\n3500060,Española Public Schools,NM\n".encode("cp1252"))
    assert row.values["name"] == "Española Public Schools"
    _, [row] = read(b"\xef\xbb\xbfLEAID,LEA_NAME,ST\n3500060,Espa\xc3\xb1ola Public Schools,NM\n")
    assert row.values["name"] == "Española Public Schools"


@pytest.mark.parametrize("data, reason", [
    (b"", "empty"),
    (b"   \n", "empty"),
    (b"PK\x03\x04rest of a workbook", "Excel workbook"),
    (b"\x00\x01\x02binary", "NUL bytes"),
    (b"name,city\nA,B\n", "needs the columns LEA_NAME, ST"),
    (b"NCESSCH,SCH_NAME\n1,A\n", "needs the column LEAID"),
])
def test_a_file_that_is_no_directory_is_refused_with_the_reason(data, reason):
    with pytest.raises(FileRefused, match=reason):
        read(data)


def test_a_file_that_changes_encoding_midway_is_refused_at_the_line():
    data = ("LEAID,LEA_NAME,ST\n" + "100005,Plain,AL\n" * 5000).encode() + "3500060,Española,NM\n".encode("cp1252")
    found = open_directory_file(io.BytesIO(data))
    with pytest.raises(FileRefused, match="not in one encoding"):
        list(found.rows)


def test_rows_are_read_as_a_stream():
    lines = ("LEAID,LEA_NAME,ST\n" + "".join(f"{100000 + n},D{n},AL\n" for n in range(20_000))).encode()
    stream = io.BytesIO(lines)
    found = open_directory_file(stream)
    first = next(found.rows)
    assert first.values["name"] == "D0" and stream.tell() < len(lines), "not read whole for the first row"


def test_the_export_reads_back_as_what_was_exported(app, runner, organizer_client, tmp_path):
    from datetime import date

    from eventhub.extensions import db
    from eventhub.models import District, School

    kettle = District(name="Kettle Moraine School District", state="WI", city="Wales", nces_leaid="5507350",
                      timezone="America/Chicago", enrollment=6100, locale=Locale.SUBURB, frl_percent=14,
                      grade_span="PK-12", is_member=True, member_since=date(2019, 8, 1),
                      email_domains=["kmsd.edu"], notes="=HYPERLINK(\"evil\") is only text")
    unknown = District(name="Washington Unified", state="CA", is_member=False)
    db.session.add_all([kettle, unknown, School(district=kettle, name="Swallow School", nces_id="550735000123",
                                                grade_span="K-8", street="W314 Swallow Rd", city="Hartland",
                                                state="WI", postal_code="53029")])
    db.session.commit()

    out = tmp_path / "districts.csv"
    result = runner.invoke(args=["directory", "export", "--out", str(out)])
    assert result.exit_code == 0 and "2 districts written" in result.output
    text = out.read_text()
    assert "'=HYPERLINK" in text, "a spreadsheet does not run it"
    found = open_directory_file(io.BytesIO(out.read_bytes()))
    assert found.unknown == []
    rows = {row.values["name"]: row.values for row in found.rows}
    assert rows["Kettle Moraine School District"] == {
        "nces_leaid": "5507350", "name": "Kettle Moraine School District", "state": "WI", "city": "Wales",
        "grade_span": "PK-12", "locale": Locale.SUBURB, "enrollment": 6100, "frl_percent": 14,
        "timezone": "America/Chicago", "is_member": True, "member_since": "2019-08-01",
        "email_domains": ["kmsd.edu"], "notes": "=HYPERLINK(\"evil\") is only text"}
    assert rows["Washington Unified"] == {"name": "Washington Unified", "state": "CA", "is_member": False}, \
        "unknown facts export empty and read back as missing"

    download = organizer_client.get("/admin/schools.csv")
    assert download.status_code == 200 and download.mimetype == "text/csv"
    assert download.headers["Cache-Control"] == "no-store"
    schools = open_directory_file(io.BytesIO(download.data))
    [school] = list(schools.rows)
    assert schools.kind == "schools" and school.values == {
        "nces_id": "550735000123", "name": "Swallow School", "nces_leaid": "5507350", "street": "W314 Swallow Rd",
        "city": "Hartland", "state": "WI", "postal_code": "53029", "grade_span": "K-8"}
