"""A few seconds' cache of each event's empty registration form, the busiest page in a rush.

The form is the same for everyone but its CSRF token, so it is rendered once per event and
worker with a placeholder, and each visitor's token is put in on the way out. Seat counts on
it may be FORM_CACHE_SECONDS old; booking itself always decides on the live count.
"""
import threading
import time

from flask import current_app
from flask_wtf.csrf import generate_csrf

CSRF_PLACEHOLDER = "csrf-token-placeholder-0d6f3e"


class BlankFormCache:
    """Rendered empty forms per event, each kept for FORM_CACHE_SECONDS (0 turns it off)."""

    def __init__(self):
        self._pages: dict[tuple, tuple[float, str]] = {}
        self._lock = threading.Lock()

    def page(self, event, render) -> str:
        """The form page for this visitor: cached HTML with their own CSRF token."""
        ttl = current_app.config["FORM_CACHE_SECONDS"]
        key = (current_app.name, id(current_app), event.id, event.updated_at)
        now = time.monotonic()
        with self._lock:
            hit = self._pages.get(key)
        if ttl <= 0 or hit is None or now - hit[0] > ttl:
            html = render()
            if ttl > 0:
                with self._lock:
                    self._pages = {k: v for k, v in self._pages.items() if now - v[0] <= ttl}
                    self._pages[key] = (now, html)
        else:
            html = hit[1]
        return html.replace(CSRF_PLACEHOLDER, generate_csrf())


blank_form_cache = BlankFormCache()
