"""Alembic migrations build the same schema as the models, from an empty database."""
import os
import uuid

import pytest
import sqlalchemy as sa
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from flask_migrate import downgrade, upgrade

from eventhub import create_app
from eventhub.extensions import db


@pytest.fixture
def empty_database_url(tmp_path):
    """A database with nothing in it: a new SQLite file, or a new schema on PostgreSQL."""
    raw = os.environ.get("DATABASE_URL", "")
    if not raw.startswith("postgres"):
        yield f"sqlite:///{tmp_path / 'migrations.sqlite3'}"
        return
    from eventhub.config import database_url

    url = database_url(raw, "")
    schema = f"migrations_{uuid.uuid4().hex[:8]}"
    engine = sa.create_engine(url)
    with engine.begin() as conn:
        conn.execute(sa.text(f"CREATE SCHEMA {schema}"))
    yield sa.engine.make_url(url).update_query_dict({"options": f"-csearch_path={schema}"}).render_as_string(
        hide_password=False
    )
    with engine.begin() as conn:
        conn.execute(sa.text(f"DROP SCHEMA {schema} CASCADE"))
    engine.dispose()


def test_upgrade_from_empty_matches_the_models_and_downgrades(empty_database_url):
    app = create_app({"TESTING": True, "SECRET_KEY": "x", "SQLALCHEMY_DATABASE_URI": empty_database_url})
    with app.app_context():
        upgrade()
        with db.engine.connect() as conn:
            context = MigrationContext.configure(conn, opts={"compare_type": True})
            assert compare_metadata(context, db.metadata) == []
            tables = set(sa.inspect(conn).get_table_names())
        assert {"districts", "events", "registrations", "private_links", "outbox_messages"} <= tables
        downgrade(revision="base")
        with db.engine.connect() as conn:
            assert set(sa.inspect(conn).get_table_names()) <= {"alembic_version"}
        db.engine.dispose()


def test_free_text_accepted_ids_become_kinds_and_what_cannot_be_read_is_kept(empty_database_url):
    app = create_app({"TESTING": True, "SECRET_KEY": "x", "SQLALCHEMY_DATABASE_URI": empty_database_url})
    rules = {
        "Lincoln": "US driver's license or state ID only (the scanner reads no passports)",
        "Adams": "Any government photo ID: driver's license, state ID card, passport or military ID",
        "Baker": "",
        "Carver": "library card",
    }
    with app.app_context():
        upgrade(revision="901739fc773e")
        with db.engine.begin() as conn:
            conn.execute(sa.text("INSERT INTO districts (id, name, state, timezone, locale, is_member, enrollment, "
                                 "frl_percent, grade_span) VALUES (1, 'D', 'TX', 'America/Chicago', 'city', "
                                 "true, 0, 0, 'K-12')"))
            for n, (name, text) in enumerate(rules.items(), start=1):
                conn.execute(sa.text(
                    "INSERT INTO schools (id, district_id, name, street, city, state, postal_code, entrance, "
                    "bus_parking, photo_id_required, accepted_ids, screening_dob_required, "
                    "screening_id_type_required, notice_school_days, photo_policy, visitor_norms, updated_at) "
                    "VALUES (:id, 1, :name, '', '', '', '', '', '', true, :text, false, false, 0, '', '', "
                    "CURRENT_TIMESTAMP)"), {"id": n, "name": name, "text": text})
        upgrade()
        with db.engine.connect() as conn:
            rows = {name: (kinds if isinstance(kinds, list) else __import__("json").loads(kinds), unread)
                    for name, kinds, unread in conn.execute(sa.text(
                        "SELECT name, accepted_id_kinds, accepted_ids_unread FROM schools"))}
        assert rows == {
            "Lincoln": (["us_drivers_license", "us_state_id"], "the scanner reads no passports"),
            "Adams": (["us_drivers_license", "us_state_id", "passport", "other"], ""),
            "Baker": ([], ""),
            "Carver": ([], "library card"),
        }
        downgrade(revision="901739fc773e")
        with db.engine.connect() as conn:
            back = dict(conn.execute(sa.text("SELECT name, accepted_ids FROM schools")).tuples().all())
        assert back["Lincoln"] == "US driver's license or US state ID card; the scanner reads no passports"
        db.engine.dispose()
