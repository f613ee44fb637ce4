"""Peer matching: which host districts and visits suit a district, and why, in words."""
from dataclasses import dataclass

import sqlalchemy as sa
from sqlalchemy.orm import selectinload

from eventhub.extensions import db
from eventhub.models import (
    District,
    Event,
    EventKind,
    EventStatus,
    School,
    Visit,
    VisitStatus,
)

# Districts count as similar within these bounds.
ENROLLMENT_RATIO = 2.0  # half to twice the size
FRL_POINTS = 15  # free/reduced-price lunch share within 15 percentage points


@dataclass
class Match:
    """A host district that resembles the visiting one, its upcoming visits, and the reasons."""

    district: District
    reasons: list[str]
    score: int
    visits: list[Visit]

    @property
    def reason_text(self) -> str:
        """The reasons as one sentence: "Similar size and demographics: …; serves grades PK-12"."""
        text = "; ".join(self.reasons)
        return text[:1].upper() + text[1:]


def upcoming_peer_visits(now) -> list[Visit]:
    """Standalone visits between convenings that have not happened yet, soonest first."""
    return list(db.session.scalars(
        sa.select(Visit).join(Event)
        .where(Event.kind == EventKind.PEER_VISIT, Event.status == EventStatus.PUBLISHED,
               Visit.status == VisitStatus.SCHEDULED, Visit.ends_at > now)
        .options(selectinload(Visit.school).selectinload(School.district), selectinload(Visit.event))
        .order_by(Visit.starts_at)
    ))


def grade_spans_overlap(a: str, b: str) -> bool:
    """Whether two spans such as "PK-12" and "9-12" share a grade."""
    def bounds(span: str) -> tuple[int, int]:
        low, _, high = span.upper().partition("-")
        grade = {"PK": -1, "K": 0}
        def to_int(g: str) -> int:
            return grade.get(g.strip(), int(g) if g.strip().isdigit() else 0)
        return to_int(low), to_int(high or low)
    (a_low, a_high), (b_low, b_high) = bounds(a), bounds(b)
    return a_low <= b_high and b_low <= a_high


def similarity(visitor: District, host: District) -> tuple[int, list[str]]:
    """How alike two districts are (0 to 4) and the facts that make them so. A fact unknown for either
    district (NULL) is left out: it neither adds nor takes away."""
    reasons, score = [], 0
    similar_size = same_locale = similar_frl = False
    if visitor.enrollment is not None and host.enrollment is not None:
        similar_size = visitor.enrollment / ENROLLMENT_RATIO <= host.enrollment <= visitor.enrollment * ENROLLMENT_RATIO
    if visitor.locale is not None and host.locale is not None:
        same_locale = host.locale == visitor.locale
    if visitor.frl_percent is not None and host.frl_percent is not None:
        similar_frl = abs(host.frl_percent - visitor.frl_percent) <= FRL_POINTS
    if similar_size and same_locale and similar_frl and host.locale is not None:
        reasons.append(f"similar size and demographics: {host.enrollment:,} students, {host.locale.adjective}, "
                       f"{host.frl_percent}% free/reduced lunch")
        score += 3
    else:
        if similar_size:
            reasons.append(f"similar size: {host.enrollment:,} students")
            score += 1
        if same_locale and host.locale is not None:
            reasons.append(f"also {host.locale.adjective}")
            score += 1
        if similar_frl:
            reasons.append(f"similar share of free/reduced lunch: {host.frl_percent}%")
            score += 1
    if visitor.grade_span and host.grade_span and grade_spans_overlap(visitor.grade_span, host.grade_span):
        reasons.append(f"serves grades {host.grade_span}")
        score += 1
    return score, reasons


def matches_for(visitor: District, now, topic: str | None = None, minimum: int = 2) -> list[Match]:
    """Host districts like the visitor (best first), each with its upcoming visits on the topic, if given."""
    visits = upcoming_peer_visits(now)
    if topic:
        wanted = topic.strip().lower()
        visits = [v for v in visits if any(wanted in t.lower() for t in v.topics) or wanted in v.focus.lower()]
    by_district: dict[int, list[Visit]] = {}
    for visit in visits:
        by_district.setdefault(visit.school.district_id, []).append(visit)
    hosts = db.session.scalars(sa.select(District).where(District.id != visitor.id, District.archived_at.is_(None))
                               .order_by(District.name))
    found = []
    for host in hosts:
        score, reasons = similarity(visitor, host)
        host_visits = by_district.get(host.id, [])
        if topic and not host_visits:
            continue
        if score >= minimum:
            found.append(Match(district=host, reasons=reasons, score=score, visits=host_visits))
    return sorted(found, key=lambda m: (-m.score, -len(m.visits), m.district.name))
