"""Settings read from the environment; development gets safe defaults, production fails fast."""
import os
import secrets
from datetime import timedelta
from pathlib import Path


class ConfigError(RuntimeError):
    """A required setting is missing or malformed."""


def _flag(name: str, default: bool = False) -> bool:
    """Read a yes/no environment variable."""
    value = os.environ.get(name)
    if value is None or value.strip() == "":
        return default
    return value.strip().lower() in {"1", "true", "yes", "on"}


def _int(name: str, default: int) -> int:
    """Read a whole-number environment variable, naming it when it is not one."""
    value = os.environ.get(name)
    if value is None or value.strip() == "":
        return default
    try:
        return int(value)
    except ValueError:
        raise ConfigError(f"{name} must be a whole number, got {value!r}") from None


def database_url(raw: str | None, instance_path: str) -> str:
    """Return the SQLAlchemy URL, defaulting to SQLite in the instance folder."""
    if not raw:
        return f"sqlite:///{Path(instance_path) / 'eventhub.sqlite3'}"
    # Hosting platforms hand out postgres:// URLs; only psycopg 3 is installed.
    for prefix in ("postgres://", "postgresql://"):
        if raw.startswith(prefix):
            return "postgresql+psycopg://" + raw[len(prefix):]
    return raw


def settings_from_environment(instance_path: str) -> dict:
    """Collect every setting eventhub reads from the environment."""
    env = os.environ
    return {
        "SECRET_KEY": env.get("SECRET_KEY") or None,
        "SQLALCHEMY_DATABASE_URI": database_url(env.get("DATABASE_URL"), instance_path),
        "BASE_URL": env.get("BASE_URL", "http://127.0.0.1:5000").rstrip("/"),
        "NETWORK_NAME": env.get("NETWORK_NAME", "Learning Districts Network"),
        # Defaults of the back office's network settings (/admin/settings), which an admin may override.
        "NETWORK_SHORT_NAME": env.get("NETWORK_SHORT_NAME", ""),
        "NETWORK_ABOUT": env.get("NETWORK_ABOUT", ""),
        "NETWORK_ACCENT": env.get("NETWORK_ACCENT", ""),  # "#RRGGBB"; empty: the stylesheets' own blue
        "MAIL_REPLY_TO": env.get("MAIL_REPLY_TO", ""),
        "MAIL_REPLY_TO_NAME": env.get("MAIL_REPLY_TO_NAME", ""),
        "MAIL_FROM": env.get("MAIL_FROM", "Learning Districts Network <events@example.org>"),
        # The mailbox calendar replies go to: the ORGANIZER of every invitation.
        "MAIL_ORGANIZER": env.get("MAIL_ORGANIZER", "events@example.org"),
        "MAIL_SERVER": env.get("MAIL_SERVER") or None,
        "MAIL_PORT": _int("MAIL_PORT", 25),
        "MAIL_USERNAME": env.get("MAIL_USERNAME") or None,
        "MAIL_PASSWORD": env.get("MAIL_PASSWORD") or None,
        "MAIL_USE_TLS": _flag("MAIL_USE_TLS"),
        "MAIL_USE_SSL": _flag("MAIL_USE_SSL"),
        "MAIL_TIMEOUT": _int("MAIL_TIMEOUT", 5),
        "MAIL_DIR": env.get("MAIL_DIR") or str(Path(instance_path) / "mail"),
        "MAIL_SEND_ON_COMMIT": _flag("MAIL_SEND_ON_COMMIT", True),
        # Without Redis, a web request's mail goes out from a thread after the response, never inside it.
        "MAIL_SEND_IN_BACKGROUND": _flag("MAIL_SEND_IN_BACKGROUND", True),
        "FORM_CACHE_SECONDS": _int("FORM_CACHE_SECONDS", 5),
        # How long an emailed "choose a new password" link works (it also stops once the password changes).
        "PASSWORD_RESET_HOURS": _int("PASSWORD_RESET_HOURS", 24),
        # Finished print batches (PDF files) are kept here.
        "PRINT_DIR": env.get("PRINT_DIR") or str(Path(instance_path) / "prints"),
        # Directory files uploaded for an import wait here between the preview and the commit (a day at most).
        "IMPORT_DIR": env.get("IMPORT_DIR") or str(Path(instance_path) / "imports"),
        # Processes that lay out a print batch; one per core by default.
        "PRINT_WORKERS": _int("PRINT_WORKERS", os.cpu_count() or 1),
        # With Redis, email and batch printing run in `rq worker` processes.
        "REDIS_URL": env.get("REDIS_URL") or None,
        "RQ_QUEUE": env.get("RQ_QUEUE", "eventhub"),
        # How long a request may wait on Redis (the rate limits, queueing a job) before going on without it.
        "REDIS_TIMEOUT_SECONDS": float(env.get("REDIS_TIMEOUT_SECONDS") or 0.5),
        # Where rate limits are counted: REDIS_URL by default, else this process's memory.
        "RATELIMIT_STORAGE_URI": env.get("RATELIMIT_STORAGE_URI") or None,
        # Rate limits (Flask-Limiter's notation). A whole district may register from one address (a school
        # network's NAT), so the per-client registration limit is generous; the per-email one is not.
        "REGISTRATION_LIMIT_PER_CLIENT": env.get("REGISTRATION_LIMIT_PER_CLIENT", "30 per hour"),
        "REGISTRATION_LIMIT_PER_EMAIL": env.get("REGISTRATION_LIMIT_PER_EMAIL", "5 per hour"),
        "SIGN_IN_LIMIT_PER_CLIENT": env.get("SIGN_IN_LIMIT_PER_CLIENT", "10 per minute;50 per hour"),
        "SIGN_IN_LIMIT_PER_ACCOUNT": env.get("SIGN_IN_LIMIT_PER_ACCOUNT", "5 per minute;20 per hour"),
        # How many proxies in front of the app may be trusted to say the client's address (X-Forwarded-For)
        # and scheme: 1 behind the README's nginx, 0 (trust nobody) when the app faces the internet.
        "TRUSTED_PROXIES": _int("TRUSTED_PROXIES", 0),
        # PostgreSQL: how long opening a connection may take, and one statement in a web request (a rush
        # waiting for an event's seat lock may wait longer: DB_LOCK_WAIT_MS). 0 turns a limit off.
        "DB_CONNECT_TIMEOUT_SECONDS": _int("DB_CONNECT_TIMEOUT_SECONDS", 5),
        "DB_STATEMENT_TIMEOUT_MS": _int("DB_STATEMENT_TIMEOUT_MS", 15_000),
        "DB_LOCK_WAIT_MS": _int("DB_LOCK_WAIT_MS", 60_000),
        # The same for `flask` commands and RQ workers (long batches, imports): none by default.
        "DB_BACKGROUND_STATEMENT_TIMEOUT_MS": _int("DB_BACKGROUND_STATEMENT_TIMEOUT_MS", 0),
        # A back-office session ends after this long without a request, and this long after signing in.
        "SESSION_IDLE_HOURS": _int("SESSION_IDLE_HOURS", 8),
        "SESSION_MAX_DAYS": _int("SESSION_MAX_DAYS", 30),
        # Unset means: Secure in production, not over http://127.0.0.1 in development.
        "SESSION_COOKIE_SECURE": (
            _flag("SESSION_COOKIE_SECURE") if os.environ.get("SESSION_COOKIE_SECURE") else None
        ),
    }


DEFAULTS = {
    "SQLALCHEMY_ENGINE_OPTIONS": {"pool_pre_ping": True},
    "SESSION_COOKIE_HTTPONLY": True,
    "SESSION_COOKIE_SAMESITE": "Lax",
    # Flask-Login's "remember me" cookie, should a sign-in ever ask for it: the same protections.
    "REMEMBER_COOKIE_HTTPONLY": True,
    "REMEMBER_COOKIE_SAMESITE": "Lax",
    "WTF_CSRF_TIME_LIMIT": None,  # a long form must not expire while someone fills it in
    "MAX_CONTENT_LENGTH": 1024 * 1024,
    # A message that could not be delivered for this long is marked failed (`flask mail requeue-failed`).
    "MAIL_GIVE_UP_HOURS": 72,
    # Redis unreachable or slow: limits are counted in memory meanwhile, never a 500.
    "RATELIMIT_IN_MEMORY_FALLBACK_ENABLED": True,
    "RATELIMIT_SWALLOW_ERRORS": True,  # a count that fails after the response never turns it into a 500
    "RATELIMIT_HEADERS_ENABLED": False,
    # While no account exists, the first request a process serves prints a setup code to its log.
    "ANNOUNCE_SETUP_CODE": True,
}


def finalize(app) -> None:
    """Fill what development may leave out and refuse to start production without it."""
    relaxed = app.debug or app.testing
    if not app.config.get("SECRET_KEY"):
        if not relaxed:
            raise ConfigError(
                "SECRET_KEY is not set. eventhub signs sessions and form tokens with it, so "
                "production needs a long random value, e.g. "
                "`export SECRET_KEY=$(python -c 'import secrets; print(secrets.token_hex(32))')`. "
                "For local development set FLASK_DEBUG=1 instead."
            )
        app.config["SECRET_KEY"] = _development_secret(app.instance_path)
    elif not relaxed and (weakness := secret_key_weakness(app.config["SECRET_KEY"])):
        raise ConfigError(
            f"SECRET_KEY is {weakness}. Anyone who guesses it can sign themselves into the back office, so "
            f"production needs at least {MIN_SECRET_BYTES} random bytes, e.g. "
            "`export SECRET_KEY=$(python -c 'import secrets; print(secrets.token_hex(32))')`. Keep it out of "
            "the repository; changing it signs everyone out and stops the calendar feed addresses."
        )
    # The cookie may outlive a browser restart, never the server-side session it names.
    app.config["PERMANENT_SESSION_LIFETIME"] = timedelta(days=app.config["SESSION_MAX_DAYS"])
    app.config["SESSION_REFRESH_EACH_REQUEST"] = False  # its expiry is fixed at sign-in, never pushed on
    if app.config.get("SESSION_COOKIE_SECURE") is None:
        app.config["SESSION_COOKIE_SECURE"] = not relaxed
    if app.config.get("REMEMBER_COOKIE_SECURE") is None:
        app.config["REMEMBER_COOKIE_SECURE"] = app.config["SESSION_COOKIE_SECURE"]
    if not app.config.get("RATELIMIT_STORAGE_URI"):
        app.config["RATELIMIT_STORAGE_URI"] = app.config.get("REDIS_URL") or "memory://"
    if app.config["RATELIMIT_STORAGE_URI"].startswith(("redis://", "rediss://")):
        wait = app.config["REDIS_TIMEOUT_SECONDS"]
        app.config.setdefault("RATELIMIT_STORAGE_OPTIONS", {"socket_timeout": wait, "socket_connect_timeout": wait})
    uri = app.config["SQLALCHEMY_DATABASE_URI"]
    if uri.startswith("postgresql"):
        # A hung database holds a worker at most this long, never until gunicorn kills it.
        if os.environ.get("FLASK_RUN_FROM_CLI") == "true" or app.config.get("BACKGROUND_PROCESS"):
            app.config["DB_STATEMENT_TIMEOUT_MS"] = app.config["DB_BACKGROUND_STATEMENT_TIMEOUT_MS"]
        from sqlalchemy.engine import make_url

        given = make_url(uri).query.get("options") or ""  # the URL's own options (a search_path) are kept
        given = " ".join(given) if isinstance(given, tuple) else given
        options = f"{given} -c statement_timeout={app.config['DB_STATEMENT_TIMEOUT_MS']}".strip()
        app.config["SQLALCHEMY_ENGINE_OPTIONS"] = {
            **app.config["SQLALCHEMY_ENGINE_OPTIONS"],
            "connect_args": {"connect_timeout": app.config["DB_CONNECT_TIMEOUT_SECONDS"], "options": options},
        }
    if uri.startswith("sqlite"):
        # Writers queue for SQLite's single lock instead of failing at once.
        app.config["SQLALCHEMY_ENGINE_OPTIONS"] = {
            **app.config["SQLALCHEMY_ENGINE_OPTIONS"],
            "connect_args": {"timeout": 30},
        }


MIN_SECRET_BYTES = 32
# Words of the values people paste from examples and forget to replace (long enough that a random key does
# not hold one by chance).
PLACEHOLDER_WORDS = ("change", "replace", "example", "placeholder", "secret", "default", "insecure", "development",
                     "password")


def secret_key_weakness(key: str | bytes) -> str:
    """Why a SECRET_KEY may not sign production sessions ("" if it may): too short, a placeholder, or too
    few different characters to be random."""
    raw = key if isinstance(key, bytes) else key.encode()
    if len(raw) < MIN_SECRET_BYTES:
        return f"only {len(raw)} bytes long"
    text = raw.decode(errors="replace").lower()
    if any(word in text for word in PLACEHOLDER_WORDS):
        return "a placeholder (it contains a word of the examples)"
    if len(set(raw)) < 12:
        return "not random (too few different characters)"
    return ""


def _development_secret(instance_path: str) -> str:
    """A key kept in the instance folder so development sessions survive restarts."""
    path = Path(instance_path) / "dev-secret-key"
    if path.exists():
        return path.read_text().strip()
    path.parent.mkdir(parents=True, exist_ok=True)
    key = secrets.token_hex(32)
    path.write_text(key)
    return key
