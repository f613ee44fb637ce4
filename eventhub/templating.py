"""Template filters that show times in an event's zone and name that zone."""
import re
from datetime import UTC, date, datetime

from flask import Flask
from markupsafe import Markup, escape

from eventhub.logo import PRINT_LOGO_URL
from eventhub.models import ACCESSIBILITY_OPTIONS, DIETARY_OPTIONS, Visit, id_type_label
from eventhub.network import current_network
from eventhub.timezones import as_utc, local
from eventhub.urls import external_url

# Names people in US districts use for their zones; anything else shows its IANA name.
ZONE_NAMES = {
    "America/New_York": "Eastern Time",
    "America/Detroit": "Eastern Time",
    "America/Indiana/Indianapolis": "Eastern Time",
    "America/Chicago": "Central Time",
    "America/Denver": "Mountain Time",
    "America/Boise": "Mountain Time",
    "America/Phoenix": "Mountain Time (Arizona, no daylight saving)",
    "America/Los_Angeles": "Pacific Time",
    "America/Anchorage": "Alaska Time",
    "Pacific/Honolulu": "Hawaii Time",
}


def zone_label(timezone: str) -> str:
    """"Central Time (America/Chicago)": the zone as people say it, and exactly."""
    friendly = ZONE_NAMES.get(timezone)
    return f"{friendly} ({timezone})" if friendly else timezone


def clock(value: datetime, timezone: str | None = None) -> str:
    """"9:05 AM" in the given zone (or as is)."""
    if timezone:
        value = local(value, timezone)
    hour = value.hour % 12 or 12
    return f"{hour}:{value.minute:02d} {'AM' if value.hour < 12 else 'PM'}"


def long_date(value: date | datetime, timezone: str | None = None) -> str:
    """"Tuesday, April 6, 2027"."""
    if isinstance(value, datetime) and timezone:
        value = local(value, timezone)
    return f"{value:%A, %B} {value.day}, {value.year}"


def date_range(start: date, end: date) -> str:
    """"April 6–8, 2027", "March 30 – April 1, 2027" or one day alone."""
    if start == end:
        return f"{start:%B} {start.day}, {start.year}"
    if (start.year, start.month) == (end.year, end.month):
        return f"{start:%B} {start.day}–{end.day}, {end.year}"
    if start.year == end.year:
        return f"{start:%B} {start.day} – {end:%B} {end.day}, {end.year}"
    return f"{start:%B} {start.day}, {start.year} – {end:%B} {end.day}, {end.year}"


def moment(value: datetime, timezone: str) -> str:
    """"Tuesday, April 6, 2027 at 9:00 AM CDT" in the given zone."""
    value = local(value, timezone)
    return f"{long_date(value)} at {clock(value)} {value.tzname()}"


def when(value: datetime, timezone: str | None = None) -> Markup:
    """"Thu, Dec 3, 2026, 2:05 PM CST" in the zone. Without one the time is said in UTC inside a
    <time data-local> that the page's script says again in the viewer's own zone."""
    moment = local(value, timezone or UTC)
    words = f"{moment:%a, %b} {moment.day}, {moment.year}, {clock(moment)} {moment.tzname()}"
    local_attribute = "" if timezone else " data-local"
    return Markup(f'<time datetime="{as_utc(value).isoformat()}"{local_attribute}>{escape(words)}</time>')


ISO_MOMENT = re.compile(r"\d{4}-\d{2}-\d{2}T\d{2}:\d{2}(:\d{2}(\.\d+)?)?([+-]\d{2}:\d{2}|Z)?")
ISO_DAY = re.compile(r"\d{4}-\d{2}-\d{2}")


def logged_value(text: object, timezone: str | None = None) -> Markup | str:
    """A value of the audit log as people read it: a stored moment in words in the zone, a day in words,
    anything else as it was written."""
    if not isinstance(text, str):
        return "" if text is None else str(text)
    try:
        if ISO_MOMENT.fullmatch(text):
            return when(as_utc(datetime.fromisoformat(text)), timezone)
        if ISO_DAY.fullmatch(text):
            day = date.fromisoformat(text)
            return f"{day:%a, %b} {day.day}, {day.year}"
    except ValueError:
        pass
    return text


def field_words(name: str) -> str:
    """A stored field's name as a label: "bus_departs_at" is "Bus departs", "seats_override" "Seats override"."""
    words = name.removesuffix("_at").replace("_", " ")
    return words[:1].upper() + words[1:]


def meeting(visit: Visit) -> str:
    """Where and when a visitor must be, in the host's zone: "Meet at Hotel lobby at 7:45 AM; the bus leaves at
    8:00 AM." Empty when visitors simply arrive at the school for its start."""
    tz, bus, point = visit.timezone, visit.bus_departs_at, visit.meeting_point.rstrip(". ")
    if visit.meets_at is None and bus is None:
        return f"Meet at {point}." if point else ""
    if visit.meets_at is None and not point:
        return f"The bus leaves at {clock(bus, tz)}." if bus else ""
    when = visit.meeting_time
    text = f"Meet at {point or visit.meeting_place} at {clock(when, tz)}"
    if bus is not None:
        text += f"; the bus leaves at {clock(bus, tz)}" if bus != when else ", when the bus leaves"
    return text + "."


# Unicode blocks that tell CJK names apart: kana is Japanese, hangul Korean; Han alone could be either,
# or Chinese, and prints as Simplified Chinese.
KANA = ((0x3040, 0x30FF), (0x31F0, 0x31FF), (0xFF66, 0xFF9F))
HANGUL = ((0x1100, 0x11FF), (0x3130, 0x318F), (0xAC00, 0xD7A3))
HAN = ((0x3400, 0x4DBF), (0x4E00, 0x9FFF), (0xF900, 0xFAFF), (0x20000, 0x3134F))


def name_lang(text: str) -> str:
    """The language tag a name's letters call for, so that it prints in the right CJK face: "ja" with any
    kana, "ko" with any hangul, "zh-Hans" for Han alone, "" for a name with none of them."""
    def has(blocks) -> bool:
        return any(low <= ord(ch) <= high for ch in text for low, high in blocks)

    if has(KANA):
        return "ja"
    if has(HANGUL):
        return "ko"
    return "zh-Hans" if has(HAN) else ""


def email_address(address: str) -> Markup:
    """An address that may wrap only before its "@" and its dots, never inside a word."""
    text = str(escape(address))
    return Markup('<span class="email">' + text.replace("@", "<wbr>@").replace(".", "<wbr>.") + "</span>")


def lang_attribute(text: str) -> Markup:
    """' lang="ja"' (or nothing) for an element holding a name."""
    lang = name_lang(text)
    return Markup(f' lang="{lang}"') if lang else Markup("")


def register(app: Flask) -> None:
    """Install the filters and globals used by the templates."""
    app.add_template_filter(zone_label)
    app.add_template_filter(clock)
    app.add_template_filter(long_date)
    app.add_template_filter(date_range)
    app.add_template_filter(moment)
    app.add_template_filter(meeting)
    app.add_template_filter(when)
    app.add_template_filter(logged_value)
    app.add_template_filter(field_words)
    app.add_template_filter(lang_attribute, "name_lang")
    app.add_template_filter(email_address)
    app.add_template_global(form_errors)
    app.add_template_filter(lambda key: DIETARY_OPTIONS.get(key, key), "dietary_label")
    app.add_template_filter(lambda key: ACCESSIBILITY_OPTIONS.get(key, key), "accessibility_label")
    app.add_template_filter(id_type_label)

    app.jinja_env.globals["print_logo_url"] = PRINT_LOGO_URL

    @app.context_processor
    def network():
        """The network (its name, short name, about text, accent, logo) on every page, email and printout;
        emails link the logo by its public address (BASE_URL's)."""
        current = current_network()
        logo_url = external_url("events.network_logo", v=current.logo_digest) if current.logo_digest else ""
        return {"network": current, "network_name": current.name, "network_logo_url": logo_url}


def form_errors(form) -> list[tuple[str, str, str]]:
    """Every error of a form, nested rows included, as (field id, label, message) for the summary."""
    found = []

    def walk(fields, prefix: str) -> None:
        for field in fields:
            if field.type == "FieldList":
                for message in (e for e in field.errors if isinstance(e, str)):
                    found.append((field.id, str(field.label.text), message))
                for index, entry in enumerate(field.entries, start=1):
                    walk(entry.form, f"{prefix}Colleague {index}: ")
            elif field.type == "FormField":
                walk(field.form, prefix)
            elif field.errors:
                for message in field.errors:
                    label = str(field.label.text).rstrip("?")
                    found.append((field.id, prefix + label, message))

    walk(form, "")
    return found
