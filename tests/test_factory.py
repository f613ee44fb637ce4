"""The app factory and its settings."""
import ast
from pathlib import Path

import pytest

from eventhub import create_app
from eventhub.config import ConfigError, database_url

from conftest import PRODUCTION_SECRET


def test_testing_flag_is_taken_from_config(make_app):
    assert not create_app({"SECRET_KEY": PRODUCTION_SECRET, "SQLALCHEMY_DATABASE_URI": "sqlite://"}).testing
    assert make_app().testing


def test_production_without_secret_key_fails_with_a_clear_error(monkeypatch):
    monkeypatch.delenv("SECRET_KEY", raising=False)
    monkeypatch.delenv("FLASK_DEBUG", raising=False)
    with pytest.raises(ConfigError, match="SECRET_KEY is not set"):
        create_app({"SQLALCHEMY_DATABASE_URI": "sqlite://"})


def test_production_cookies_are_secure_httponly_and_samesite(monkeypatch):
    monkeypatch.setenv("SECRET_KEY", PRODUCTION_SECRET)
    monkeypatch.delenv("FLASK_DEBUG", raising=False)
    monkeypatch.delenv("SESSION_COOKIE_SECURE", raising=False)
    app = create_app({"SQLALCHEMY_DATABASE_URI": "sqlite://"})
    assert app.config["SESSION_COOKIE_SECURE"] is True
    assert app.config["SESSION_COOKIE_HTTPONLY"] is True
    assert app.config["SESSION_COOKIE_SAMESITE"] == "Lax"


def test_debug_without_secret_key_keeps_one_in_the_instance_folder(monkeypatch, tmp_path):
    monkeypatch.delenv("SECRET_KEY", raising=False)
    monkeypatch.setenv("FLASK_DEBUG", "1")
    first = create_app({"SQLALCHEMY_DATABASE_URI": "sqlite://"})
    second = create_app({"SQLALCHEMY_DATABASE_URI": "sqlite://"})
    assert first.config["SECRET_KEY"] == second.config["SECRET_KEY"]
    assert len(first.config["SECRET_KEY"]) >= 32
    assert first.config["SESSION_COOKIE_SECURE"] is False


def test_default_database_is_sqlite_in_the_instance_folder():
    assert database_url(None, "/srv/instance") == "sqlite:////srv/instance/eventhub.sqlite3"


@pytest.mark.parametrize("raw", ["postgres://u@h/db", "postgresql://u@h/db"])
def test_postgres_urls_use_psycopg_3(raw):
    assert database_url(raw, "/x") == "postgresql+psycopg://u@h/db"


def test_a_malformed_number_setting_is_named(monkeypatch):
    monkeypatch.setenv("MAIL_PORT", "twenty-five")
    with pytest.raises(ConfigError, match="MAIL_PORT"):
        create_app({"TESTING": True})


def test_app_py_holds_only_the_app():
    tree = ast.parse((Path(__file__).parent.parent / "app.py").read_text())
    statements = [node for node in tree.body if not isinstance(node, ast.Expr)]
    assert [type(node).__name__ for node in statements] == ["ImportFrom", "Assign"]
