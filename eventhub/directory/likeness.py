"""How alike two districts are, in words, and the districts most like one: a single SQL query ranks the
whole directory (members first, then by closeness of size, locale, free/reduced lunch and grade span). A fact
unknown for either district (NULL) is left out of the comparison instead of skewing it."""
import sqlalchemy as sa

from eventhub.extensions import db
from eventhub.models import District

# Districts count as similar within these bounds (the reasons in words).
ENROLLMENT_RATIO = 2.0  # half to twice the size
FRL_POINTS = 15  # free/reduced-price lunch share within 15 percentage points
MOST_ALIKE = 20


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


def districts_like(visitor: District, *, among: list[int] | None = None, limit: int = MOST_ALIKE
                   ) -> list[District]:
    """The districts most like the visitor, in one query: members first, then the smallest mean distance
    over the facts both districts have (size as a share of the larger, locale, lunch share, grades), then by
    name. Archived districts, and districts sharing no known fact with the visitor, are left out. `among`
    narrows the ranking to these districts (those with visits on a topic)."""
    distances, known = [], []

    def compare(present, distance) -> None:
        distances.append(sa.case((present, distance), else_=sa.literal(0.0)))
        known.append(sa.case((present, 1), else_=0))

    if visitor.enrollment is not None:
        larger = sa.case((District.enrollment > visitor.enrollment, District.enrollment),
                         else_=sa.literal(visitor.enrollment))
        compare(District.enrollment.is_not(None),
                sa.func.abs(District.enrollment - visitor.enrollment) * 1.0 / (larger + 1))
    if visitor.locale is not None:
        compare(District.locale.is_not(None), sa.case((District.locale == visitor.locale, 0.0), else_=1.0))
    if visitor.frl_percent is not None:
        compare(District.frl_percent.is_not(None), sa.func.abs(District.frl_percent - visitor.frl_percent) / 100.0)
    if visitor.grade_span:
        compare(District.grade_span.is_not(None), sa.case((District.grade_span == visitor.grade_span, 0.0),
                                                          else_=0.5))
    if not known:
        return []
    shared = sum(known[1:], known[0])
    distance = sum(distances[1:], distances[0]) / sa.func.nullif(shared, 0)
    query = (sa.select(District).where(District.id != visitor.id, District.archived_at.is_(None), shared > 0)
             .order_by(District.is_member.desc(), distance, District.name, District.id).limit(limit))
    if among is not None:
        query = query.where(District.id.in_(among))
    return list(db.session.scalars(query))
