"""Reading a directory file: a CSV export of the federal Common Core of Data (CCD) and its EDGE locale codes,
a spreadsheet saved as CSV, or eventhub's own export. It is read as a stream, row by row, into typed values,
with the reason for whatever cannot be read; nothing here touches the database.

- A file with an NCESSCH or SCH_NAME column holds schools; any other, districts.
- Column names match whatever their case; unknown columns are listed and left alone.
- Enrollment is ENROLLMENT, STUDENT_COUNT or the CCD's MEMBER (its membership count); whether a district is a
  member of the network is IS_MEMBER, in eventhub's own export.
- -1, -2, -9, M and N (the CCD's "missing", "not applicable", "suppressed") and empty cells are missing:
  missing is None, and None never overwrites what the directory holds.
- LEAIDs are padded to 7 digits and NCESSCH to 12; a number in scientific notation (Excel's 1.00005E+11)
  is refused for its row, as is a cell that a spreadsheet would run as a formula.
"""
import codecs
import csv
import io
import re
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import BinaryIO

from eventhub.errors import DomainError
from eventhub.models import Locale

MISSING = frozenset({"", "-1", "-2", "-9", "M", "N"})
SNIFF_BYTES = 64 * 1024
MAX_CELL = 2000  # characters in one cell; a longer one is not a directory's
MAX_COLUMNS = 200

# The EDGE locale codes: the first digit is the kind of place (11-13 city ... 41-43 rural).
LOCALE_CODES = {"1": Locale.CITY, "2": Locale.SUBURB, "3": Locale.TOWN, "4": Locale.RURAL}
# The CCD's grade codes, as eventhub writes grades ("PK-12").
GRADES = {"PK": "PK", "KG": "K", "K": "K", "UG": None, "AE": None, "N": None, **{
    f"{n:02d}": str(n) for n in range(1, 14)}, **{str(n): str(n) for n in range(1, 14)}}

# Column (lower case) -> field, for each kind of file. Both hold the optional columns below too.
DISTRICT_COLUMNS = {
    "leaid": "nces_leaid", "lea_name": "name", "st": "state", "stabr": "state", "lcity": "city",
    "lstreet1": "street", "lzip": "postal_code", "gslo": "grade_low", "gshi": "grade_high",
    # eventhub's own export
    "timezone": "timezone", "is_member": "is_member", "member_since": "member_since",
    "email_domains": "email_domains", "notes": "notes",
}
SCHOOL_COLUMNS = {
    "ncessch": "nces_id", "sch_name": "name", "leaid": "nces_leaid", "lstreet1": "street", "lcity": "city",
    "st": "state", "stabr": "state", "lzip": "postal_code", "gslo": "grade_low", "gshi": "grade_high",
    # eventhub's own export
    "entrance": "entrance", "bus_parking": "bus_parking",
}
OPTIONAL_COLUMNS = {
    "locale": "locale", "enrollment": "enrollment", "student_count": "enrollment", "member": "enrollment",
    "frl_percent": "frl_percent", "frelch": "free_lunch", "redlch": "reduced_lunch",
    "free_lunch": "free_lunch", "reduced_lunch": "reduced_lunch",
}
REQUIRED = {"districts": ("name", "state"), "schools": ("name", "nces_leaid")}
SCIENTIFIC = re.compile(r"[+-]?\d+(\.\d+)?[eE][+-]?\d+")
NUMBER = re.compile(r"-?\d+(\.\d+)?")


class FileRefused(DomainError):
    """The whole file cannot be read; the message says why and what to send instead."""

    status = 422


class RowRefused(DomainError):
    """One row cannot be read; the message says why (the import reports it by line and skips the row)."""

    status = 422


@dataclass
class Row:
    """One line of the file: its number (the header is line 1), what was read, or why it was not."""

    line: int
    values: dict[str, object] = field(default_factory=dict)
    error: str = ""


@dataclass
class DirectoryFile:
    """What a file holds: districts or schools, the columns left alone, and its rows."""

    kind: str
    unknown: list[str]
    rows: Iterator[Row]


def _encoding(head: bytes) -> str:
    """UTF-8 (with or without its byte-order mark) when the start of the file reads as UTF-8, else
    Windows-1252 (what Excel writes as "CSV" on Windows)."""
    if head.startswith(codecs.BOM_UTF8):
        return "utf-8-sig"
    try:
        # A multi-byte character cut by the sniffing window is no error.
        codecs.getincrementaldecoder("utf-8")().decode(head, final=False)
    except UnicodeDecodeError:
        return "cp1252"
    return "utf-8"


class _Rejoined(io.RawIOBase):
    """The bytes already read from a stream to look at them, then the rest of it."""

    def __init__(self, head: bytes, rest: BinaryIO) -> None:
        self.head, self.rest = head, rest

    def readable(self) -> bool:
        return True

    def readinto(self, buffer) -> int:  # a memoryview, as RawIOBase hands it
        if self.head:
            size = min(len(buffer), len(self.head))
            buffer[:size], self.head = self.head[:size], self.head[size:]
            return size
        data = self.rest.read(len(buffer))
        buffer[:len(data)] = data
        return len(data)


def open_directory_file(stream: BinaryIO) -> DirectoryFile:
    """Read a file's header and return its rows to iterate (the rest is read as they are), or FileRefused
    for a file that is not a CSV of districts or schools."""
    head = stream.read(SNIFF_BYTES)
    if not head.strip():
        raise FileRefused("The file is empty. Export the districts or schools as CSV and try again.")
    if head.startswith((b"PK\x03\x04", b"\xd0\xcf\x11\xe0")):
        raise FileRefused("This is an Excel workbook, not a CSV file. In Excel choose File, Save As, "
                          "“CSV UTF-8 (Comma delimited)”, and import that file.")
    if b"\x00" in head:
        raise FileRefused("This is not a text file: it holds NUL bytes. Import a CSV file (UTF-8 or "
                          "Windows-1252).")
    encoding = _encoding(head)
    text = io.TextIOWrapper(io.BufferedReader(_Rejoined(head, stream)), encoding=encoding, newline="",
                            errors="strict")
    first_line = head.decode(encoding if encoding != "utf-8-sig" else "utf-8", errors="replace").splitlines()[0]
    try:
        dialect = csv.Sniffer().sniff(first_line, delimiters=",\t;|")
    except csv.Error:
        dialect = csv.excel
    reader = csv.reader(text, delimiter=dialect.delimiter, quotechar='"')
    try:
        header = next(reader)
    except (csv.Error, UnicodeDecodeError) as error:
        raise FileRefused(f"The first line could not be read as CSV: {error}.") from error
    header = [name.strip().lstrip("\ufeff") for name in header]
    if len(header) > MAX_COLUMNS:
        raise FileRefused(f"The file has {len(header)} columns; a directory file has at most {MAX_COLUMNS}.")
    lowered = [name.lower() for name in header]
    kind = "schools" if {"ncessch", "sch_name"} & set(lowered) else "districts"
    known = {**(SCHOOL_COLUMNS if kind == "schools" else DISTRICT_COLUMNS), **OPTIONAL_COLUMNS}
    columns = {name: known[low] for name, low in zip(header, lowered, strict=True) if low in known}
    unknown = [name for name, low in zip(header, lowered, strict=True) if low not in known and name]
    missing = [need for need in REQUIRED[kind] if need not in columns.values()]
    if missing:
        names = {"name": "LEA_NAME" if kind == "districts" else "SCH_NAME", "state": "ST",
                 "nces_leaid": "LEAID"}
        raise FileRefused(f"A file of {kind} needs the column{'s' if len(missing) > 1 else ''} "
                          f"{', '.join(names[m] for m in missing)}; this one has {', '.join(header[:12])}.")
    return DirectoryFile(kind, unknown, _rows(reader, header, columns, kind))


def _rows(reader, header: list[str], columns: dict[str, str], kind: str) -> Iterator[Row]:
    positions = [(index, columns[name]) for index, name in enumerate(header) if name in columns]
    line = 1
    while True:
        try:
            cells = next(reader)
        except StopIteration:
            return
        except UnicodeDecodeError as error:
            raise FileRefused(f"After line {line} the file is not in one encoding (UTF-8 or Windows-1252): "
                              f"{error.reason}. Save it again as “CSV UTF-8” and import that.") from error
        except csv.Error as error:
            raise FileRefused(f"Line {line + 1} could not be read as CSV: {error}.") from error
        line = reader.line_num
        if not any(cell.strip() for cell in cells):
            continue
        row = Row(line)
        try:
            raw = {name: cells[index].strip() if index < len(cells) else "" for index, name in positions}
            row.values = read_values(raw, kind)
        except RowRefused as refused:
            row.error = str(refused)
        yield row


def read_values(raw: dict[str, str], kind: str) -> dict[str, object]:
    """A row's cells (field -> text) as typed values; missing ones left out. RowRefused says why a row
    cannot be read."""
    values: dict[str, object] = {}
    for name, text in raw.items():
        # An apostrophe before =, +, - or @ is an export's guard against spreadsheet formulas
        # (spreadsheets.safe_cell): the text after it is what was exported.
        guarded = text[:1] == "'" and text[1:2] in ("=", "+", "-", "@")
        text = text[1:] if guarded else text
        if len(text) > MAX_CELL:
            raise RowRefused(f"{name}: a cell of {len(text):,} characters is not a directory's.")
        if not guarded and (text[:1] in ("=", "+", "@")
                            or (text[:1] == "-" and not NUMBER.fullmatch(text) and text not in MISSING)):
            raise RowRefused(f"{name}: “{text[:30]}” starts like a spreadsheet formula; it is not imported.")
        if not text or (text.upper() in MISSING and name not in ("notes", "email_domains")):
            continue  # missing: the directory keeps what it holds
        if name in ("nces_leaid", "nces_id"):
            values[name] = _federal_id(text, 7 if name == "nces_leaid" else 12, name)
        elif name in ("enrollment", "free_lunch", "reduced_lunch"):
            values[name] = _count(text, name)
        elif name == "frl_percent":
            number = _number(text, name)
            if not 0 <= number <= 100:
                raise RowRefused(f"FRL_PERCENT: {text} is not a percentage from 0 to 100.")
            values[name] = round(number)
        elif name == "locale":
            values[name] = _locale(text)
        elif name in ("grade_low", "grade_high"):
            grade = GRADES.get(text.upper())
            if grade is not None:
                values[name] = grade
        elif name == "state":
            values[name] = text.upper()
        elif name == "is_member":
            values[name] = text.lower() in ("yes", "y", "true", "1", "member")
        elif name == "email_domains":
            values[name] = [d for d in re.split(r"[\s,;]+", text.lower()) if d]
        else:
            values[name] = text
    low, high = values.pop("grade_low", None), values.pop("grade_high", None)
    if low or high:
        values["grade_span"] = f"{low or high}-{high or low}" if low != high else str(low)
    free, reduced = values.pop("free_lunch", None), values.pop("reduced_lunch", None)
    enrollment = values.get("enrollment")
    if "frl_percent" not in values and isinstance(free, int) and isinstance(reduced, int) \
            and isinstance(enrollment, int) and enrollment:
        values["frl_percent"] = min(100, round(100 * (free + reduced) / enrollment))
    return values


def _federal_id(text: str, digits: int, name: str) -> str:
    column = "LEAID" if name == "nces_leaid" else "NCESSCH"
    if SCIENTIFIC.fullmatch(text):
        raise RowRefused(f"{column}: “{text}” is a number in scientific notation, as Excel writes long numbers: "
                         "its last digits are lost. Format the column as text in the spreadsheet and export "
                         "again.")
    if not (text.isascii() and text.isdigit()) or len(text) > digits:
        raise RowRefused(f"{column}: “{text[:20]}” is not an id of at most {digits} digits.")
    return text.zfill(digits)


def _number(text: str, name: str) -> float:
    if not NUMBER.fullmatch(text.replace(",", "")):
        raise RowRefused(f"{name.upper()}: “{text[:20]}” is not a number.")
    return float(text.replace(",", ""))


def _count(text: str, name: str) -> int:
    number = _number(text, name)
    if number < 0 or number != int(number) or number > 5_000_000:
        raise RowRefused(f"{name.upper()}: “{text[:20]}” is not a count of students.")
    return int(number)


def _locale(text: str) -> Locale:
    if text.isdigit() and len(text) == 2 and text[0] in LOCALE_CODES and text[1] in "123":
        return LOCALE_CODES[text[0]]
    try:
        return Locale(text.lower())
    except ValueError:
        raise RowRefused(f"LOCALE: “{text[:20]}” is neither an EDGE locale code (11 to 43) nor city, suburb, "
                         "town or rural.") from None
