"""Per-worker memory for things built from the database that are read far more often than they change."""
from collections.abc import Callable, Hashable
from typing import Any

from eventhub.extensions import db


class NewestVersionCache:
    """For each key, the value built for the newest version seen; an older version is dropped.

    Keys include the database URL, so apps on different databases (tests, benchmarks) never share.
    """

    def __init__(self) -> None:
        self._items: dict[tuple, tuple[Hashable, Any]] = {}

    def get(self, key: Hashable, version: Hashable, build: Callable[[], Any]) -> Any:
        """The value for `key` at `version`, built now if the kept one is of another version."""
        full_key = (db.engine.url.render_as_string(), key)
        found = self._items.get(full_key)
        if found is None or found[0] != version:
            found = (version, build())
            self._items[full_key] = found
        return found[1]
