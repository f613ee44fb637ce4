"""When an event takes registrations: published, inside its window, and not over yet in its own zone."""
import enum
from dataclasses import dataclass
from datetime import datetime

from eventhub.models import Event, EventStatus
from eventhub.templating import moment
from eventhub.timezones import local_date


class WindowState(enum.StrEnum):
    """Whether registration is possible right now."""

    NOT_YET_OPEN = "not_yet_open"
    OPEN = "open"
    CLOSED = "closed"
    UNAVAILABLE = "unavailable"


@dataclass(frozen=True)
class RegistrationWindow:
    """The state of an event's registration window and how to say it."""

    state: WindowState
    message: str

    @property
    def is_open(self) -> bool:
        """Whether a registration would be accepted now."""
        return self.state is WindowState.OPEN


def registration_window(event: Event, now: datetime) -> RegistrationWindow:
    """Tell whether registration is open at `now`, and when it opens or that it closed."""
    tz = event.timezone
    if event.status is EventStatus.CANCELLED:
        return RegistrationWindow(WindowState.UNAVAILABLE, "This event has been cancelled.")
    if event.status is not EventStatus.PUBLISHED:
        return RegistrationWindow(WindowState.UNAVAILABLE, "Registration is not available for this event.")
    if event.registration_opens_at and now < event.registration_opens_at:
        return RegistrationWindow(
            WindowState.NOT_YET_OPEN,
            f"Registration opens {moment(event.registration_opens_at, tz)}.",
        )
    if event.registration_closes_at and now >= event.registration_closes_at:
        return RegistrationWindow(
            WindowState.CLOSED,
            f"Registration closed {moment(event.registration_closes_at, tz)}.",
        )
    if local_date(now, event.zone) > event.ends_on:
        return RegistrationWindow(WindowState.CLOSED, "This event has ended.")
    if event.registration_closes_at:
        return RegistrationWindow(
            WindowState.OPEN, f"Registration is open until {moment(event.registration_closes_at, tz)}."
        )
    return RegistrationWindow(WindowState.OPEN, "Registration is open.")
