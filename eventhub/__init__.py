"""eventhub: convenings and site visits for networks of school districts."""
import importlib
from pathlib import Path

from flask import Flask

from eventhub import config as settings

ROOT = Path(__file__).resolve().parent.parent


def create_app(config: dict | None = None) -> Flask:
    """Build the application; `config` overrides the environment (tests use it)."""
    app = Flask(
        __name__,
        instance_relative_config=True,
        template_folder=str(ROOT / "templates"),
        static_folder=str(ROOT / "static"),
    )
    app.config.update(settings.DEFAULTS)
    app.config.update(settings.settings_from_environment(app.instance_path))
    if config:
        app.config.update(config)
    settings.finalize(app)
    Path(app.instance_path).mkdir(parents=True, exist_ok=True)

    register_bounds(app)
    register_extensions(app)
    register_sign_ins(app)
    register_blueprints(app)
    register_errorhandlers(app)
    register_private_pages(app)
    register_template_helpers(app)
    register_commands(app)
    return app


def register_bounds(app: Flask) -> None:
    """What one request may carry (before any view, any form object, any query) and the ids addresses take."""
    from eventhub.bounds import register

    register(app)


def register_extensions(app: Flask) -> None:
    """Bind the extension singletons and the outbox's after-commit delivery."""
    from eventhub import models  # noqa: F401  (every model must be known to Alembic)
    from eventhub.extensions import csrf, db, limiter, login_manager, migrate
    from eventhub.models.base import render_migration_item
    from eventhub.outbox.dispatch import install_dispatch

    db.init_app(app)
    migrate.init_app(app, db, directory=str(ROOT / "migrations"), render_as_batch=True,
                    render_item=render_migration_item)
    login_manager.init_app(app)
    login_manager.login_view = "accounts.login"
    login_manager.login_message = "Please sign in to open that page."
    limiter.init_app(app)
    if app.config["TRUSTED_PROXIES"]:
        from werkzeug.middleware.proxy_fix import ProxyFix

        hops = app.config["TRUSTED_PROXIES"]
        app.wsgi_app = ProxyFix(app.wsgi_app, x_for=hops, x_proto=hops)  # type: ignore[method-assign]
    csrf.init_app(app)
    install_dispatch(app)
    register_outbox_renderers()


def register_sign_ins(app: Flask) -> None:
    """Back-office sessions: each request's cookie checked against its server-side sign-in."""
    from eventhub.accounts.current import register

    register(app)


# The modules that compose deferred outbox messages at delivery, one per outbox.services.Renderer.
RENDERER_MODULES = ["registration.emails", "backoffice.broadcasts", "followup.reminders"]


def register_outbox_renderers() -> None:
    """Load every composer of deferred messages; refuse to start if a stored renderer name has none."""
    from eventhub.outbox.services import RENDERERS, Renderer

    for module in RENDERER_MODULES:
        importlib.import_module(f"eventhub.{module}")
    missing = sorted(set(Renderer) - set(RENDERERS))
    if missing:
        raise RuntimeError(f"no composer for the outbox renderers {missing}: add its module to RENDERER_MODULES")


# The modules whose routes make up each feature's blueprint: the public pages (views), the management
# pages (admin) and the rest. A package's __init__ imports none of them, so any module of eventhub can be
# imported on its own without pulling in every view.
ROUTE_MODULES = {
    "events": ["views", "admin"],
    "registration": ["views", "admin", "checkin"],
    "visits": ["views", "admin"],
    "invites": ["views"],
    "accounts": ["views", "users"],
    "printing": ["views"],
    "backoffice": ["dashboard", "messages", "log", "settings"],
    "followup": ["reporting", "views", "admin"],
    "directory": ["admin"],
}


def register_blueprints(app: Flask) -> None:
    """Mount one blueprint per feature, with its routes and the URL converters they use."""
    from eventhub.urls import SlugConverter

    app.url_map.converters["slug"] = SlugConverter
    for feature, modules in ROUTE_MODULES.items():
        for module in modules:
            importlib.import_module(f"eventhub.{feature}.{module}")
        app.register_blueprint(importlib.import_module(f"eventhub.{feature}").bp)


def register_errorhandlers(app: Flask) -> None:
    """Render every HTTP error as a page, rolling back the session on 500."""
    from eventhub.errors import register

    register(app)


def register_private_pages(app: Flask) -> None:
    """Security headers on every response; private-page headers on the back office and secret addresses."""
    from eventhub.web import register

    register(app)


def register_template_helpers(app: Flask) -> None:
    """Filters and globals for time zones and network-wide names."""
    from eventhub.templating import register

    register(app)


def register_commands(app: Flask) -> None:
    """Add the `flask` subcommands: seed-demo, users, mail, print, registrations, visits, privacy, followup,
    directory."""
    from eventhub.accounts.commands import users_cli
    from eventhub.demo.commands import seed_demo
    from eventhub.directory.commands import directory_cli
    from eventhub.followup.commands import followup_cli
    from eventhub.outbox.commands import mail_cli
    from eventhub.printing.commands import print_cli
    from eventhub.registration.commands import registrations_cli
    from eventhub.visits.commands import privacy_cli, visits_cli

    app.cli.add_command(seed_demo)
    app.cli.add_command(registrations_cli)
    app.cli.add_command(visits_cli)
    app.cli.add_command(privacy_cli)
    app.cli.add_command(users_cli)
    app.cli.add_command(mail_cli)
    app.cli.add_command(print_cli)
    app.cli.add_command(followup_cli)
    app.cli.add_command(directory_cli)
