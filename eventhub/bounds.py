"""What one request may carry, checked on the raw request before any form object is built or any row read:
how many fields, how many rows of a repeated list (colleagues-0-…, colleagues-1-…), how many values of one
name, how long one value, and no NUL byte anywhere. A request over a bound is a 4xx with a clear message in
well under a second, whatever it holds; the forms' own validators then judge what is left.

Ids in addresses are bounded by the `int` converter below: a number no table can hold (2³¹ or more) is no
address at all (404), on SQLite as on PostgreSQL."""
import re
from dataclasses import dataclass

from flask import Flask, abort, request
from werkzeug.datastructures import MultiDict
from werkzeug.routing import IntegerConverter

# The largest id any table holds (a 32-bit signed integer on PostgreSQL).
MAX_ID = 2**31 - 1
MAX_FIELDS = 800  # every name=value pair of one form (a team of 20 with visit choices is about 400)
MAX_VALUES_OF_ONE_NAME = 200  # one multi-select's ticked values
MAX_VALUE_CHARS = 25_000  # the longest text any form takes is a message of 20,000 characters
DEFAULT_MAX_ROWS = 50  # a repeated list that did not declare its own bound
ROW = re.compile(r"([A-Za-z_]+)-(\d+)-")  # any number of digits, as WTForms reads them


@dataclass(frozen=True)
class RowBound:
    """A repeated list of a form: at most `most` rows, and what to tell someone who sends more."""

    most: int
    message: str


ROW_BOUNDS: dict[str, RowBound] = {}


def bound_rows(name: str, most: int, message: str) -> None:
    """Declare the bound of a form's repeated list `name` (its fields are posted as name-N-field)."""
    ROW_BOUNDS[name] = RowBound(most, message)


def parse_id(raw: str | None) -> int | None:
    """An id typed in a query string or form: digits only and small enough for a table, else None."""
    raw = (raw or "").strip()
    if not (raw.isascii() and raw.isdigit()) or len(raw) > 10:
        return None
    number = int(raw)
    return number if 0 < number <= MAX_ID else None


def refusal(form: MultiDict | None, args: MultiDict) -> tuple[int, str] | None:
    """Why this raw form and query string are refused (status and message), or None."""
    for given in (args, form or MultiDict()):
        for name, value in given.items(multi=True):
            if "\x00" in name or "\x00" in value:
                return 400, "The request holds a NUL character, which no field accepts. Remove it and try again."
    if len(args) > MAX_FIELDS:
        return 400, "The address carries too many values."
    if not form:
        return None
    pairs = sum(len(values) for _, values in form.lists())
    rows: dict[str, set[str]] = {}
    for name, values in form.lists():
        if len(values) > MAX_VALUES_OF_ONE_NAME:
            return 400, f"The form sent {len(values)} values for “{name[:40]}”; at most {MAX_VALUES_OF_ONE_NAME} " \
                        "can be accepted."
        if any(len(value) > MAX_VALUE_CHARS for value in values):
            return 400, f"One answer is longer than {MAX_VALUE_CHARS:,} characters; shorten it and try again."
        if found := ROW.match(name):
            rows.setdefault(found.group(1), set()).add(found.group(2))
    for name, indices in rows.items():
        bound = ROW_BOUNDS.get(name, RowBound(DEFAULT_MAX_ROWS, f"The form sent too many “{name}” rows."))
        if len(indices) > bound.most:
            return 413, f"{bound.message} This form sent {len(indices):,}."
    if pairs > MAX_FIELDS:
        return 413, f"The form sent {pairs:,} answers; no form here takes more than {MAX_FIELDS}."
    return None


@dataclass(frozen=True)
class BodyBound:
    """A route that takes a file: its request body may be up to `most` bytes (MAX_CONTENT_LENGTH is the
    bound of every other route), and what to tell someone who sends more."""

    most: int
    message: str


BODY_BOUND_ATTRIBUTE = "eventhub_body_bound"


def allow_body(most: int, message: str):
    """Let this view's requests carry a body of up to `most` bytes (an upload), refusing a larger one with
    413 and `message` before anything of it is read."""
    def decorate(view):
        setattr(view, BODY_BOUND_ATTRIBUTE, BodyBound(most, message))
        return view
    return decorate


class BoundedInt(IntegerConverter):
    """An id in an address: a whole number from 0 to MAX_ID; a longer or larger one matches no route."""

    regex = r"\d{1,10}"

    def __init__(self, map, *args, **kwargs) -> None:
        kwargs.setdefault("max", MAX_ID)
        super().__init__(map, *args, **kwargs)


def register(app: Flask) -> None:
    """Bound the ids of every address, and refuse an over-bound request before its view runs."""
    app.url_map.converters["int"] = BoundedInt

    @app.url_value_preprocessor
    def bound_body(endpoint: str | None, values: dict | None) -> None:
        # Before every before_request step (the CSRF check reads the form): a body over the route's bound
        # is refused on its Content-Length, and one sent without it is cut off at the bound by Werkzeug.
        bound = getattr(app.view_functions.get(endpoint or ""), BODY_BOUND_ATTRIBUTE, None)
        most = bound.most if bound else app.config["MAX_CONTENT_LENGTH"]
        if (request.content_length or 0) > most:
            abort(413, bound.message if bound else "The request is larger than any form here takes.")
        if bound:
            request.max_content_length = most

    @app.before_request
    def refuse_over_bounds():
        form = request.form if request.method in ("POST", "PUT", "PATCH") else None
        found = refusal(form, request.args)
        if found:
            abort(*found)
