"""Rate limits and their keys: per client (its address, as the trusted proxies report it) and per email
address typed in, hashed with the app's secret so that the limit store (Redis) holds no address. The numbers
are settings (eventhub/config.py, README: Settings)."""
import hashlib
import hmac

from flask import current_app, request
from flask_limiter.util import get_remote_address


def address_key(prefix: str, field: str = "email") -> str:
    """The key of the address typed into `field`, normalised as the forms do, hashed."""
    typed = " ".join(request.form.get(field, "").split()).lower()[:254]
    secret = current_app.config["SECRET_KEY"]
    secret = secret if isinstance(secret, bytes) else secret.encode()
    digest = hmac.new(secret, typed.encode(), hashlib.sha256).hexdigest()
    return f"{prefix}:{digest[:32]}"


def client_key() -> str:
    """The client's address (behind TRUSTED_PROXIES proxies, the one the nearest trusted proxy saw)."""
    return get_remote_address()


def setting(name: str):
    """A limit read from the settings when the request comes, so that tests and deployments can change it."""
    return lambda: current_app.config[name]


def failed(response) -> bool:
    """Count only what did not succeed: a sign-in that signed nobody in."""
    return response.status_code != 302


def succeeded(response) -> bool:
    """Count only what was done: a registration made (the form redirects to its confirmation)."""
    return response.status_code == 302
