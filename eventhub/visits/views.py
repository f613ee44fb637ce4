"""Public visit pages: standalone peer visits, and peer districts that match a district."""
import sqlalchemy as sa
from flask import abort, render_template, request

from eventhub.bounds import parse_id
from eventhub.extensions import db
from eventhub.models import District, utcnow
from eventhub.visits import bp
from eventhub.visits.matching import matches_for, upcoming_peer_visits
from eventhub.visits.queries import seat_counts
from eventhub.visits.services import closed_note

bp.add_app_template_global(closed_note, "visit_closed_note")


@bp.get("/visits")
def peer_visits():
    """Upcoming visits between convenings, with seats left."""
    visits = upcoming_peer_visits(utcnow())
    return render_template("visits/index.html", visits=visits, counts=seat_counts([v.id for v in visits]),
                           districts=_districts())


@bp.get("/visits/matches")
def matches():
    """Host districts and visits that suit a visiting district, with the reasons in words."""
    district_id = parse_id(request.args.get("district"))
    if district_id is None:
        abort(400, "Choose your district to see the districts and visits that match it.")
    visitor = db.session.get(District, district_id) or abort(404, "There is no such district.")
    topic = request.args.get("topic", "").strip()[:80] or None
    found = matches_for(visitor, utcnow(), topic=topic)
    visit_ids = [v.id for m in found for v in m.visits]
    return render_template("visits/matches.html", visitor=visitor, topic=topic, matches=found,
                           counts=seat_counts(visit_ids), districts=_districts())


def _districts():
    """Every district, for the "which district are you?" menu."""
    return db.session.scalars(sa.select(District).order_by(District.name)).all()
