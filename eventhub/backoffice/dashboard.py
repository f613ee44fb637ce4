"""An event's dashboard, the caterer's summary (page and CSV) and the accessibility summaries for hosts."""
from flask import Response, abort, render_template
from flask_login import current_user, login_required

from eventhub.accounts.access import can_see_visit, is_organizer, organizer_required
from eventhub.backoffice import bp, charts, summaries
from eventhub.backoffice.navigation import EVENT_NAV
from eventhub.models import RegistrationStatus, VisitStatus
from eventhub.spreadsheets import csv_text
from eventhub.templating import clock
from eventhub.timezones import local
from eventhub.web import event_or_404, mark_private

# The tabs of an event's management pages, which every back-office template draws.
bp.add_app_template_global(EVENT_NAV, "event_nav_links")  # type: ignore[arg-type]  # a list, not a function: Jinja takes any value


def _visit_label(fill: summaries.VisitFill) -> str:
    visit = fill.visit
    return f"{local(visit.starts_at, visit.timezone):%a} {clock(visit.starts_at, visit.timezone)} · " \
           f"{visit.title}, {visit.school.name}"


@bp.get("/events/<slug:slug>/dashboard")
@organizer_required
def dashboard(slug: str):
    """Registrations by status, the fill of each visit, registrations over time, dietary and access needs."""
    event = event_or_404(slug)
    counts = summaries.status_counts(event)
    fills = summaries.visit_fills(event)
    days = summaries.registrations_by_day(event)
    needs = summaries.needs_by_status(event)
    visit_chart = charts.bar_chart(
        [charts.Bar(_visit_label(fill), 0 if fill.visit.status is VisitStatus.CANCELLED else fill.seated,
                    fill.seats, fill.words) for fill in fills],
        chart_id="visit-fill", title="Seats taken on each visit") if fills else None
    days_chart = charts.line_chart(
        [(day.day, day.so_far) for day in days], chart_id="registrations-over-time",
        title="Registrations so far (confirmed and waiting), by day", what="registrations so far") if days else None
    confirmed, waiting = needs[RegistrationStatus.CONFIRMED], needs[RegistrationStatus.WAITLISTED]
    return render_template(
        "backoffice/dashboard.html", event=event, counts=counts, fills=fills, days=days,
        confirmed=confirmed, waiting=waiting, dietary=summaries.side_by_side("dietary", confirmed, waiting),
        access=summaries.side_by_side("accessibility", confirmed, waiting),
        visit_chart=visit_chart, days_chart=days_chart, current="dashboard")


@bp.get("/events/<slug:slug>/catering")
@organizer_required
def catering(slug: str):
    """Dietary needs per day, allergies with names, and the lunches host schools provide on visits."""
    event = event_or_404(slug)
    return render_template("backoffice/catering.html", event=event, summary=summaries.catering(event),
                           current="catering")


@bp.get("/events/<slug:slug>/catering.csv")
@organizer_required
def catering_csv(slug: str):
    """The caterer's summary as CSV (UTF-8 with a BOM for Excel); no cell can start a formula."""
    event = event_or_404(slug)
    header, rows = summaries.catering_table(event, summaries.catering(event))
    response = Response(csv_text(header, rows).encode("utf-8-sig"), mimetype="text/csv")
    response.headers["Content-Disposition"] = f'attachment; filename="{event.slug}-catering.csv"'
    return mark_private(response)  # personal data


@bp.get("/events/<slug:slug>/accessibility")
@organizer_required
def accessibility(slug: str):
    """Every visit's seated people with accessibility needs, and the needs of everyone confirmed."""
    event = event_or_404(slug)
    visits = summaries.accessibility(summaries.visits_of(event))
    everyone = summaries.needs_by_status(event)[RegistrationStatus.CONFIRMED]
    return render_template("backoffice/accessibility.html", event=event, visits=visits, everyone=everyone,
                           current="accessibility", is_organizer=True, single=False)


@bp.get("/events/<slug:slug>/visits/<int:visit_id>/accessibility")
@login_required
def visit_accessibility(slug: str, visit_id: int):
    """One visit's seated people with accessibility needs: organizers, and the host coordinator of the
    school's district."""
    event = event_or_404(slug)
    visits = summaries.visits_of(event, visit_id=visit_id) or abort(404, "There is no such visit at this event.")
    if not can_see_visit(current_user, visits[0]):
        abort(403, "This visit is at another district's school.")
    return render_template("backoffice/accessibility.html", event=event, visits=summaries.accessibility(visits),
                           everyone=None, current="accessibility", single=True,
                           is_organizer=is_organizer(current_user))
