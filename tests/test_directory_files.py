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
