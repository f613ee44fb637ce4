"""The test client runs each request as a server does: its own app context and database session."""
import sqlalchemy as sa
from flask import g

from eventhub.extensions import db
from eventhub.models import Event


def _add_test_views(app):
    def rename(event_id: int, commit: bool):
        db.session.get(Event, event_id).title = "Renamed by the view"
        db.session.flush()
        g.seen_by_the_view = True
        if commit:
            db.session.commit()
        return "done"

    app.add_url_rule("/_test/forgets/<int:event_id>", "forgets", methods=["POST"],
                     view_func=lambda event_id: rename(event_id, commit=False))
    app.add_url_rule("/_test/commits/<int:event_id>", "commits", methods=["POST"],
                     view_func=lambda event_id: rename(event_id, commit=True))


def test_a_view_that_forgets_to_commit_loses_its_change(app, make_event):
    _add_test_views(app)
    client = app.test_client()
    event = make_event(title="Spring Convening")

    assert client.post(f"/_test/forgets/{event.id}").get_data(as_text=True) == "done"

    assert event.title == "Spring Convening"  # the test body's own object, re-read after the request
    assert db.session.scalar(sa.select(Event.title).where(Event.id == event.id)) == "Spring Convening"
    assert "seen_by_the_view" not in g  # the request had an app context (and g) of its own


def test_a_view_that_commits_is_seen_by_the_test(app, make_event):
    _add_test_views(app)
    client = app.test_client()
    event = make_event(title="Spring Convening")

    client.post(f"/_test/commits/{event.id}")

    assert event.title == "Renamed by the view"
