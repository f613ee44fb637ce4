"""Absolute links for emails and the terminal, built from BASE_URL, never from a request's Host."""
from urllib.parse import urlsplit

from flask import current_app
from werkzeug.routing import BaseConverter


def external_url(endpoint: str, **values) -> str:
    """The public address of an endpoint, e.g. the private link put into an email."""
    base = urlsplit(current_app.config["BASE_URL"])
    adapter = current_app.url_map.bind(
        base.netloc, script_name=base.path or "/", url_scheme=base.scheme or "https"
    )
    return adapter.build(endpoint, values, force_external=True)


class SlugConverter(BaseConverter):
    """An event's URL name; anything else (a NUL byte, 5 KB of text) is a 404 before any query."""

    regex = r"[A-Za-z0-9][A-Za-z0-9_-]{0,79}"
