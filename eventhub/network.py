"""The network's own name, short name, reply-to mailbox, about text, accent colour and logo: what an admin set
in the back office (`network_settings`), else the environment's defaults. The 500 and 503 pages use the
defaults alone (no logo), so they never ask the database."""
import re
from dataclasses import dataclass
from email.utils import formataddr

import sqlalchemy as sa
from flask import current_app, g

from eventhub.audit import changes_since, record, snapshot
from eventhub.errors import NETWORK_DEFAULTS_ONLY, DomainError
from eventhub.extensions import db
from eventhub.logo import clean_logo, logo_digest
from eventhub.models import NetworkSettings

ROW_ID = 1
# g key of this context's network (errors.NETWORK_DEFAULTS_ONLY: an error page's "defaults only").
CACHE_KEY = "eventhub_network"


@dataclass(frozen=True)
class Network:
    """The network as pages, emails and printouts name it."""

    name: str
    short_name: str
    reply_to_name: str
    reply_to_address: str
    about: str
    accent: str
    logo_digest: str = ""  # the logo's version ("" without a logo: there is none by default)

    @property
    def accent_dark(self) -> str:
        """The accent a quarter darker (hovered buttons), "" without an accent."""
        if not self.accent:
            return ""
        red, green, blue = (int(self.accent[i:i + 2], 16) * 3 // 4 for i in (1, 3, 5))
        return f"#{red:02x}{green:02x}{blue:02x}"

    @property
    def reply_to(self) -> str:
        """The Reply-To header's value ("" when none is set: replies go to MAIL_FROM)."""
        if not self.reply_to_address:
            return ""
        return formataddr((self.reply_to_name or self.name, self.reply_to_address), "utf-8")


# What an admin types in; the logo is uploaded instead.
FIELDS = ("name", "short_name", "reply_to_name", "reply_to_address", "about", "accent")


def defaults() -> Network:
    """The network as the environment describes it (NETWORK_NAME, NETWORK_SHORT_NAME, NETWORK_ABOUT,
    MAIL_REPLY_TO, MAIL_REPLY_TO_NAME)."""
    config = current_app.config
    return Network(name=config["NETWORK_NAME"], short_name=config["NETWORK_SHORT_NAME"] or config["NETWORK_NAME"],
                   reply_to_name=config["MAIL_REPLY_TO_NAME"], reply_to_address=config["MAIL_REPLY_TO"],
                   about=config["NETWORK_ABOUT"], accent=config["NETWORK_ACCENT"].lower())


def current_network() -> Network:
    """The network now: each setting an admin made, else its default; read once per app context."""
    if g.get(NETWORK_DEFAULTS_ONLY):
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
    return Network(**{**{name: getattr(base, name) for name in FIELDS}, **chosen}, logo_digest=row.logo_digest)


def logo_png() -> bytes | None:
    """The logo's PNG (eventhub.logo made it), or None; read alone, as the settings row defers it."""
    return db.session.scalar(sa.select(NetworkSettings.logo).where(NetworkSettings.id == ROW_ID))


def stored_settings() -> NetworkSettings:
    """The settings row as an admin edits it (empty fields: the defaults apply), made if there is none."""
    return db.session.get(NetworkSettings, ROW_ID) or NetworkSettings(id=ROW_ID, logo_digest="",
                                                                       **{name: "" for name in FIELDS})


def settings_as_chosen() -> dict[str, str]:
    """What the settings form shows: each value an admin chose, "" where the default applies (so a default
    that changes later still applies), and the name always (the form requires one)."""
    row = stored_settings()
    return {name: getattr(row, name) for name in FIELDS} | {"name": row.name or defaults().name}


MIN_CONTRAST = 4.5  # WCAG AA for body text
HEX_COLOUR = re.compile(r"#[0-9a-f]{6}")


class NetworkError(DomainError):
    """A setting that cannot be saved; `field` names the form field it belongs to."""

    status = 422

    def __init__(self, message: str, field: str) -> None:
        super().__init__(message)
        self.field = field


def _luminance(colour: str) -> float:
    """WCAG's relative luminance of "#rrggbb"."""
    def linear(channel: int) -> float:
        value = channel / 255
        return value / 12.92 if value <= 0.03928 else ((value + 0.055) / 1.055) ** 2.4

    red, green, blue = (linear(int(colour[i:i + 2], 16)) for i in (1, 3, 5))
    return 0.2126 * red + 0.7152 * green + 0.0722 * blue


def contrast_with_white(colour: str) -> float:
    """The contrast ratio of the colour and white: white text on it, and it as text on white (the same)."""
    return 1.05 / (_luminance(colour) + 0.05)


def check_accent(colour: str) -> None:
    """Refuse an accent that is not "#rrggbb", or on which white text (and which, as text on white) would be
    under 4.5:1."""
    if not HEX_COLOUR.fullmatch(colour):
        raise NetworkError("Give the colour as # and six hexadecimal digits, like #0b5d7a.", field="accent")
    ratio = contrast_with_white(colour)
    if ratio < MIN_CONTRAST:
        raise NetworkError(f"White text on {colour}, and {colour} text on white, would have a contrast of "
                           f"{ratio:.1f}:1; pages need at least {MIN_CONTRAST}:1 to stay readable. Choose a "
                           "darker colour.", field="accent")


def update_network(*, logo: bytes | None = None, remove_logo: bool = False, **values: str) -> dict[str, list[str]]:
    """Save an admin's settings and log what changed; returns {field: [before, after]}. An empty value, or
    one equal to the environment's, takes the environment's; an accent colour must keep text readable
    (check_accent). `logo`, a file's bytes, becomes the logo once eventhub.logo has cleaned it (LogoError
    otherwise); `remove_logo` takes the logo away."""
    unknown = set(values) - set(FIELDS)
    if unknown:
        raise TypeError(f"unknown network settings: {sorted(unknown)}")
    server = defaults()
    # A value equal to the server's default is stored as "no choice", so a later default applies to it.
    values = {name: (value or "").strip() for name, value in values.items()}
    values = {name: "" if value == getattr(server, name) else value for name, value in values.items()}
    if values.get("accent"):
        values["accent"] = values["accent"].lower()
        check_accent(values["accent"])
    png = clean_logo(logo) if logo else None
    row = stored_settings()
    before = snapshot(row, (*FIELDS, "logo_digest"))
    for name, value in values.items():
        setattr(row, name, value)
    if png is not None:
        row.logo, row.logo_digest = png, logo_digest(png)
    elif remove_logo:
        row.logo, row.logo_digest = None, ""
    db.session.add(row)
    db.session.flush()
    changes = changes_since(before, row)
    if "logo_digest" in changes:  # the log says "logo: none → image 3f2a…", not a bare digest
        changes["logo"] = [f"image {digest}" if digest else "none" for digest in changes.pop("logo_digest")]
    if changes:
        record("update", "network", ROW_ID, "Network settings", changes=changes)
    g.pop(CACHE_KEY, None)
    return changes
