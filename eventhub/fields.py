"""What every feature's forms share: cleaners that make a typed value safe to store, mail and print,
and the bounded fields built on them. Field validation only; the rules live in the services."""
import unicodedata

from wtforms import IntegerField
from wtforms.validators import NumberRange, Optional, ValidationError
from wtforms.widgets import HiddenInput

# Characters that end a line somewhere: in an email header, a calendar file or a CSV cell.
LINE_BREAKS = "\n\r\t\v\f\x1c\x1d\x1e\x85\u2028\u2029"


def clean_text(value):
    """Trim, and drop control characters (a NUL would break PostgreSQL), keeping line breaks and tabs."""
    if not isinstance(value, str):
        return value
    return "".join(ch for ch in value if ch in "\n\t" or unicodedata.category(ch) != "Cc").strip()


def clean_line(value):
    """A one-line value: no control characters at all, so it can never add a line to an email header
    or a calendar; runs of white space become one space."""
    if not isinstance(value, str):
        return value
    cleaned = "".join(" " if ch in LINE_BREAKS else ch for ch in value
                      if ch in LINE_BREAKS or unicodedata.category(ch) != "Cc")
    return " ".join(cleaned.split())


def has_a_letter(form, field) -> None:
    """A person's name holds at least one letter, in any script: not only dots, dashes or invisible
    characters (spaces alone are already gone: `clean_line` leaves an empty value for a required check)."""
    if field.data and not any(unicodedata.category(ch).startswith("L") for ch in field.data):
        raise ValidationError("A name needs at least one letter.")


# Filters for a one-line field and for a multi-line one.
LINE = [clean_line]
TEXT = [clean_text]


def optional_count(label: str, **kw) -> IntegerField:
    """An optional whole number, 0 or more (seats, buses, limits)."""
    return IntegerField(label, validators=[Optional(), NumberRange(min=0, max=100_000,
                                                                   message="Enter a whole number, 0 or more.")], **kw)


def version_field() -> IntegerField:
    """The version of the record when its form was opened, carried back with the save (eventhub.editing)."""
    return IntegerField(widget=HiddenInput(), validators=[Optional(), NumberRange(min=1, max=2**31 - 1)])


def carry_version(field: IntegerField, version: int) -> None:
    """Put a version in the form's hidden field, over whatever the request sent."""
    field.data, field.raw_data = version, [str(version)]
