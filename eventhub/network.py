"""The network's own name, short name, reply-to mailbox and about text: what an admin set in the back office
(`network_settings`), else the environment's defaults. The 500 and 503 pages use the defaults alone, so they
never ask the database."""
from dataclasses import dataclass, fields
from email.utils import formataddr

from flask import current_app, g

from eventhub.audit import changes_since, record, snapshot
from eventhub.extensions import db
from eventhub.models import NetworkSettings

ROW_ID = 1
# g keys: this context's network, and the error pages' "defaults only".
CACHE_KEY = "eventhub_network"
DEFAULTS_ONLY_KEY = "eventhub_network_defaults_only"


@dataclass(frozen=True)
class Network:
    """The network as pages, emails and printouts name it."""

    name: str
    short_name: str
    reply_to_name: str
    reply_to_address: str
    about: str

    @property
    def reply_to(self) -> str:
        """The Reply-To header's value ("" when none is set: replies go to MAIL_FROM)."""
        if not self.reply_to_address:
            return ""
        return formataddr((self.reply_to_name or self.name, self.reply_to_address), "utf-8")


FIELDS = tuple(f.name for f in fields(Network))


def defaults() -> Network:
    """The network as the environment describes it (NETWORK_NAME, NETWORK_SHORT_NAME, NETWORK_ABOUT,
    MAIL_REPLY_TO, MAIL_REPLY_TO_NAME)."""
    config = current_app.config
    return Network(name=config["NETWORK_NAME"], short_name=config["NETWORK_SHORT_NAME"] or config["NETWORK_NAME"],
                   reply_to_name=config["MAIL_REPLY_TO_NAME"], reply_to_address=config["MAIL_REPLY_TO"],
                   about=config["NETWORK_ABOUT"])


def use_defaults_only() -> None:
    """From now on in this context, the network is the environment's defaults (an error page)."""
    g.setdefault(DEFAULTS_ONLY_KEY, True)
    g.pop(CACHE_KEY, None)


def current_network() -> Network:
    """The network now: each setting an admin made, else its default; read once per app context."""
    if g.get(DEFAULTS_ONLY_KEY):
        return defaults()
    if CACHE_KEY not in g:
        g.setdefault(CACHE_KEY, _merged(db.session.get(NetworkSettings, ROW_ID)))
    return g.get(CACHE_KEY)


def _merged(row: NetworkSettings | None) -> Network:
    base = defaults()
    if row is None:
        return base
    chosen = {name: value for name in FIELDS if (value := getattr(row, name))}
    if "name" in chosen and not row.short_name:
        chosen["short_name"] = chosen["name"]
    return Network(**{**{name: getattr(base, name) for name in FIELDS}, **chosen})


def stored_settings() -> NetworkSettings:
    """The settings row as an admin edits it (empty fields: the defaults apply), made if there is none."""
    return db.session.get(NetworkSettings, ROW_ID) or NetworkSettings(id=ROW_ID, **{name: "" for name in FIELDS})


def update_network(**values: str) -> dict[str, list[str]]:
    """Save an admin's settings and log what changed; returns {field: [before, after]}."""
    unknown = set(values) - set(FIELDS)
    if unknown:
        raise TypeError(f"unknown network settings: {sorted(unknown)}")
    row = stored_settings()
    before = snapshot(row, FIELDS)
    for name, value in values.items():
        setattr(row, name, (value or "").strip())
    db.session.add(row)
    db.session.flush()
    changes = changes_since(before, row)
    if changes:
        record("update", "network", ROW_ID, "Network settings", changes=changes)
    g.pop(CACHE_KEY, None)
    return changes
