"""Public visit pages: standalone peer visits, and peer districts that match a district."""
from flask import abort, render_template, request

from eventhub.bounds import parse_id
from eventhub.directory.queries import district_in_use, find_districts, search_words
from eventhub.models import utcnow
from eventhub.visits import bp
from eventhub.visits.matching import matches_for, upcoming_peer_visits
from eventhub.visits.queries import seat_counts
from eventhub.visits.services import closed_note

bp.add_app_template_global(closed_note, "visit_closed_note")


@bp.get("/visits")
def peer_visits():
    """Upcoming visits between convenings, with seats left."""
    visits = upcoming_peer_visits(utcnow())
    return render_template("visits/index.html", visits=visits, counts=seat_counts([v.id for v in visits]))


@bp.get("/visits/matches")
def matches():
    """Host districts and visits that suit a visiting district, with the reasons in words. The district is
    found by a search of the directory (`q`): one result shows its matches, several are offered to choose."""
    topic = search_words(request.args.get("topic"), 80) or None
    query = search_words(request.args.get("q"))
    district_id = parse_id(request.args.get("district"))
    if district_id is None and query:
        found = find_districts(query)
        if len(found) != 1:
            return render_template("visits/which_district.html", query=query, topic=topic, found=found)
        district_id = found[0].id
    if district_id is None:
        abort(400, "Type your district's name to see the districts and visits that match it.")
    visitor = district_in_use(district_id) or abort(404, "There is no such district.")
    found_matches = matches_for(visitor, utcnow(), topic=topic)
    visit_ids = [v.id for m in found_matches for v in m.visits]
    return render_template("visits/matches.html", visitor=visitor, topic=topic, matches=found_matches,
                           counts=seat_counts(visit_ids))
