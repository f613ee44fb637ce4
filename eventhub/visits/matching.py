"""Peer matching: which host districts and visits suit a district, and why, in words."""
from dataclasses import dataclass

import sqlalchemy as sa
from sqlalchemy.orm import selectinload

from eventhub.directory.likeness import districts_like, similarity
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


@dataclass
class Match:
    """A host district that resembles the visiting one, its upcoming visits, and the reasons."""

    district: District
    reasons: list[str]
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


def on_topic(visit: Visit, topic: str) -> bool:
    """Whether every word of the topic is in the visit's tags, title or focus ("blended learning" finds the
    visit tagged "Blended learning" and the one whose focus says "blended ... learning")."""
    text = " ".join([*(visit.topics or []), visit.title, visit.focus]).lower()
    return all(word in text for word in topic.lower().split())


def matches_for(visitor: District, now, topic: str | None = None) -> list[Match]:
    """The districts most like the visitor (at most 20, members first; directory/likeness.py ranks them in
    one query), each with its upcoming peer visits and the likeness in words. With a topic: the districts
    with upcoming visits on it, however alike, ranked the same way, with those visits."""
    visits = upcoming_peer_visits(now)
    if topic:
        visits = [visit for visit in visits if on_topic(visit, topic)]
        if not visits:
            return []
    by_district: dict[int, list[Visit]] = {}
    for visit in visits:
        by_district.setdefault(visit.school.district_id, []).append(visit)
    ranked = districts_like(visitor, among=sorted(by_district) if topic else None)
    found = []
    for district in ranked:
        reasons = similarity(visitor, district)[1]
        if not reasons:
            reasons = [f"the nearest by what is known: {district.profile}" if district.profile else
                       "little is known of it yet"]
        found.append(Match(district=district, reasons=reasons, visits=by_district.get(district.id, [])))
    return found
