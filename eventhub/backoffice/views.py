"""The registrants of an event: the table with its search, filters, order and pages, and its exports."""
import sqlalchemy as sa
from flask import Response, abort, render_template, request, url_for

from eventhub.accounts.access import organizer_required
from eventhub.backoffice import bp
from eventhub.backoffice.registrants import (
    COLUMNS,
    DEFAULT_COLUMNS,
    Filters,
    Need,
    Sort,
    export_table,
    page_of,
)
from eventhub.extensions import db
from eventhub.models import AttendeeRole, District, Event, Registration, RegistrationStatus, Visit
from eventhub.spreadsheets import csv_text, xlsx_bytes
from eventhub.web import event_or_404, mark_private

PAGE_SIZE = 50


def _choice(name: str, kind):
    """A filter from the query string: empty for none, a clear 400 for a value that is not one of them."""
    value = request.args.get(name, "").strip()
    if not value:
        return None
    try:
        return kind(value)
    except ValueError:
        abort(400, f"“{value[:50]}” is not a possible value for {name}.")


def _yes_no(value: str) -> bool:
    """yes or no in a query string, as True or False; anything else is not a possible value."""
    if value not in ("yes", "no"):
        raise ValueError(value)
    return value == "yes"


def _filters() -> Filters:
    """The table's filters, as the organizer set them in the query string."""
    return Filters(
        q=" ".join(request.args.get("q", "").split())[:100],
        status=_choice("status", RegistrationStatus),
        role=_choice("role", AttendeeRole),
        district_id=_choice("district", int),
        visit_id=_choice("visit", int),
        need=_choice("need", Need),
        checked_in=_choice("checked_in", _yes_no),
        sort=_choice("sort", Sort) or Sort.NAME,
        descending=request.args.get("order") == "desc",
    )


@bp.get("/events/<slug:slug>/registrants")
@organizer_required
def registrants(slug: str):
    """Everyone who registered, 50 a page, with search, filters and sorting."""
    event = event_or_404(slug)
    filters = _filters()
    page = page_of(event, filters, _choice("page", int) or 1, PAGE_SIZE)
    args = {k: v for k, v in request.args.items() if k != "page" and v}
    return render_template(
        "backoffice/registrants.html", event=event, filters=filters, page=page, args=args,
        statuses=list(RegistrationStatus), roles=list(AttendeeRole), needs=list(Need), sorts=list(Sort),
        districts=_districts_of(event), visits=_visits_of(event), columns=COLUMNS, default_columns=DEFAULT_COLUMNS,
        page_url=lambda n: url_for("backoffice.registrants", slug=slug, page=n, **args),
    )


def _districts_of(event: Event) -> list[District]:
    """The districts that have registrants at the event, for the district filter."""
    return list(db.session.scalars(
        sa.select(District).where(District.id.in_(
            sa.select(Registration.district_id).where(Registration.event_id == event.id))).order_by(District.name)))


def _visits_of(event: Event) -> list[Visit]:
    return list(db.session.scalars(sa.select(Visit).where(Visit.event_id == event.id)
                                   .order_by(Visit.starts_at, Visit.title)))


@bp.get("/events/<slug:slug>/registrants.<any(csv, xlsx):kind>")
@organizer_required
def export_registrants(slug: str, kind: str):
    """The filtered registrants with the chosen columns, as CSV or an Excel workbook."""
    event = event_or_404(slug)
    header, rows = export_table(event, _filters(), request.args.getlist("col"))
    name = f"{event.slug}-registrants.{kind}"
    if kind == "csv":
        body, mimetype = csv_text(header, rows).encode("utf-8-sig"), "text/csv"  # the BOM: Excel reads UTF-8
    else:
        body = xlsx_bytes(f"{event.title} registrants", header, rows)
        mimetype = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
    response = Response(body, mimetype=mimetype)
    response.headers["Content-Disposition"] = f'attachment; filename="{name}"'
    return mark_private(response)  # personal data
