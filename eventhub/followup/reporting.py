"""The back office's follow-up report of an event: the page with its filters, the CSV, the printable report-back."""

from typing import Any

import sqlalchemy as sa
from flask import Response, abort, render_template, request, url_for
from sqlalchemy.orm import joinedload

from eventhub.accounts.access import organizer_required
from eventhub.backoffice import charts
from eventhub.bounds import parse_id
from eventhub.extensions import db
from eventhub.followup import bp, reports
from eventhub.models import CommitmentStatus, District, Event, School, Visit
from eventhub.spreadsheets import csv_text
from eventhub.timezones import local, today_in
from eventhub.web import event_or_404, mark_private, pdf_or_503

PAGE_SIZE = 50


def _visits_of(event: Event) -> list[Visit]:
    """The event's visits with their schools and districts, for the filters: one query."""
    return list(db.session.scalars(
        sa.select(Visit).where(Visit.event_id == event.id)
        .options(joinedload(Visit.school).joinedload(School.district))
        .order_by(Visit.starts_at, Visit.title, Visit.id)))


def _host_districts(visits: list[Visit]) -> list[District]:
    found = {visit.school.district.id: visit.school.district for visit in visits}
    return sorted(found.values(), key=lambda d: (d.name.casefold(), d.id))


def _topics(visits: list[Visit]) -> list[str]:
    """Every topic of the event's visits once (the first spelling met), alphabetically."""
    found: dict[str, str] = {}
    for visit in visits:
        for tag in visit.topics or []:
            found.setdefault(str(tag).casefold(), str(tag))
    return sorted(found.values(), key=str.casefold)


def _arg(name: str) -> str:
    return request.args.get(name, "").strip()


def _number(name: str) -> int | None:
    value = _arg(name)
    if not value:
        return None
    number = parse_id(value) if value != "0" else 0
    if number is None:
        abort(400, f"“{value[:50]}” is not a possible value for {name}: it must be a number.")
    return number


def _filters(event: Event, visits: list[Visit]) -> tuple[reports.Filters, list[int] | None, list[tuple[str, str]]]:
    """The report's filters from the query string, checked against this event; the visits of the chosen topic;
    and the filters in words. Anything not offered on the page is a 400 that says which."""
    filters = reports.Filters(event_id=event.id)
    described: list[tuple[str, str]] = []
    visit_id = _number("visit")
    if visit_id is not None:
        visit = next((v for v in visits if v.id == visit_id), None)
        if visit is None:
            abort(400, f"There is no visit {visit_id} at this event: choose one of the visits offered.")
        filters.visit_id = visit_id
        described.append(("Visit", f"{visit.title}, {visit.school.name}"))
    district_id = _number("district")
    if district_id is not None:
        district = next((d for d in _host_districts(visits) if d.id == district_id), None)
        if district is None:
            abort(400, f"District {district_id} hosts none of this event's visits: choose one of the host "
                       "districts offered.")
        filters.host_district_id = district_id
        described.append(("Host district", district.label))
    topic_visits = None
    topic = _arg("topic")
    if topic:
        known = {tag.casefold(): tag for tag in _topics(visits)}
        if topic.casefold() not in known:
            abort(400, f"“{topic[:50]}” is not a topic of this event's visits: choose one of the topics offered.")
        filters.topic = known[topic.casefold()]
        topic_visits = [v.id for v in visits if any(str(t).casefold() == topic.casefold() for t in v.topics or [])]
        described.append(("Topic", filters.topic))
    status = _arg("status")
    if status:
        try:
            filters.status = CommitmentStatus(status)
        except ValueError:
            abort(400, f"“{status[:50]}” is not a possible status: use one of "
                       f"{', '.join(s.value for s in CommitmentStatus)}.")
        described.append(("Status", filters.status.label))
    return filters, topic_visits, described


def _today(event: Event):
    """Today in the event's zone: a test due yesterday there is overdue."""
    return today_in(event.timezone)


def _status_chart(figures: reports.Figures):
    if not figures.total:
        return None
    bars = [charts.Bar(status.label, figures.counts[status], figures.total,
                       f"{figures.counts[status]} of {figures.total} "
                       f"({reports.percent(figures.counts[status] / figures.total)})"
                       + (" · still being tried" if status.is_open else ""))
            for status in CommitmentStatus]
    return charts.bar_chart(bars, chart_id="commitment-status", title="Commitments by status")


@bp.get("/admin/events/<slug:slug>/commitments")
@organizer_required
def event_commitments(slug: str):
    """The event's commitments: counts by status, completion, overdue tests, the reminder rounds, the spread
    of the host schools' practices, and the commitments themselves, 50 a page; filtered by visit, host
    district, topic and status. A fixed number of queries."""
    event = event_or_404(slug)
    visits = _visits_of(event)
    filters, topic_visits, described = _filters(event, visits)
    number = _number("page") or 1
    scope = reports.Scope.of(filters, topic_visits=topic_visits)
    today = _today(event)
    figures = reports.figures(scope, today)
    args: dict[str, Any] = {k: v for k, v in request.args.items() if k != "page" and v}
    return render_template(
        "followup/reports.html", event=event, filters=filters, described=described, args=args,
        visits=visits, districts=_host_districts(visits), topics=_topics(visits), statuses=list(CommitmentStatus),
        figures=figures, chart=_status_chart(figures), rounds=reports.rounds(scope), spread=reports.spread(scope),
        page=reports.page_of(scope, number, PAGE_SIZE), today=today, percent=reports.percent,
        local_day=lambda moment: local(moment, event.timezone).date(),
        page_url=lambda n: url_for("followup.event_commitments", slug=slug, page=n, **args),
    )


@bp.get("/admin/events/<slug:slug>/commitments.csv")
@organizer_required
def event_commitments_csv(slug: str):
    """The filtered commitments with every field, their owners and sources, and their check-ins counted, as
    CSV (UTF-8 with a BOM for Excel); no cell can start a formula."""
    event = event_or_404(slug)
    filters, topic_visits, _ = _filters(event, _visits_of(event))
    header, rows = reports.export_table(reports.Scope.of(filters, topic_visits=topic_visits))
    response = Response(csv_text(header, rows).encode("utf-8-sig"), mimetype="text/csv")
    response.headers["Content-Disposition"] = f'attachment; filename="{event.slug}-commitments.csv"'
    return mark_private(response)  # names, emails, private commitments


@bp.get("/admin/events/<slug:slug>/commitments/report.pdf")
@organizer_required
def event_commitments_report(slug: str):
    """The report-back for the next convening: counts by status, the spread of practices, and the change ideas
    shared with the network or the public with their latest check-in. Private ones are counted, never printed."""
    event = event_or_404(slug)
    filters, topic_visits, described = _filters(event, _visits_of(event))
    scope = reports.Scope.of(filters, topic_visits=topic_visits)
    today = _today(event)
    figures = reports.figures(scope, today)
    listed, private = reports.shared(reports.commitments(scope))
    html = render_template(
        "print/commitments_report.html", event=event, described=described, figures=figures,
        spread=reports.spread(scope), shared=_by_source(listed), shared_count=len(listed), private=private,
        today=today, percent=reports.percent, statuses=list(CommitmentStatus), tz=event.timezone,
        local_day=lambda moment: local(moment, event.timezone).date(),
        title=f"{event.title}: what we committed to, and how it went",
    )
    response = Response(pdf_or_503(html), mimetype="application/pdf")
    response.headers["Content-Disposition"] = f'inline; filename="{event.slug}-commitments-report.pdf"'
    return mark_private(response)


def _by_source(listed: list[reports.Listed]) -> list[tuple[str, list[reports.Listed]]]:
    """The shared commitments grouped by where they came from: each host school and visit, then the event itself."""
    groups: dict[tuple, tuple[str, list]] = {}
    for row in listed:
        visit = row.commitment.visit
        if visit is None:
            key, label = (1, "", 0), "From the convening itself"
        else:
            key = (0, visit.school.name.casefold(), visit.id)
            label = f"{visit.school.name} ({visit.school.district.label}): {visit.title}"
        groups.setdefault(key, (label, []))[1].append(row)
    return [groups[key] for key in sorted(groups)]
