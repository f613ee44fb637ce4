"""Forms of the event's management pages: the event, a copy for the next season, an agenda item."""
import re
from zoneinfo import ZoneInfo, available_timezones

from flask_wtf import FlaskForm
from wtforms import (
    BooleanField,
    DateField,
    DateTimeLocalField,
    IntegerField,
    RadioField,
    SelectField,
    StringField,
    SubmitField,
    TextAreaField,
    TimeField,
)
from wtforms.fields.choices import SelectChoice
from wtforms.validators import (
    DataRequired,
    InputRequired,
    Length,
    NumberRange,
    Optional,
    Regexp,
    ValidationError,
)

from eventhub.directory.queries import DistrictMenu, district_menu
from eventhub.events.setup import event_days
from eventhub.fields import LINE, TEXT, optional_count, version_field
from eventhub.models import (
    MAX_BEFORE_NEXT_DAYS,
    MAX_CHECK_IN_DAY,
    MAX_CHECK_INS,
    MAX_REMINDER_DAYS,
    AgendaKind,
    Event,
    EventKind,
    VisitAllocationMode,
)
from eventhub.registration.forms import MultiCheckboxField
from eventhub.timezones import COMMON_ZONES

# The zones the network's districts are in come first; any IANA zone is accepted.
SLUG_RULE = Regexp(r"^[a-z0-9]+(?:-[a-z0-9]+)*$",
                   message="Use lower-case letters, digits and hyphens only, e.g. spring-2027-springfield.")




def parse_check_in_days(text: str | None) -> list[int]:
    """Read "30, 60, 90" as [30, 60, 90] (sorted; empty text: no check-ins); a ValidationError says what is wrong."""
    days: list[int] = []
    for part in re.split(r"[\s,;]+", text or ""):
        if not part:
            continue
        if not re.fullmatch(r"[0-9]{1,6}", part):
            raise ValidationError(f"“{part[:20]}” is not a whole number of days: write them like 30, 60, 90.")
        number = int(part)
        if not 1 <= number <= MAX_CHECK_IN_DAY:
            raise ValidationError(f"{number} is out of range: each check-in is 1 to {MAX_CHECK_IN_DAY} days "
                                  "after the event.")
        if number in days:
            raise ValidationError(f"{number} is there twice: give each day once.")
        days.append(number)
    if len(days) > MAX_CHECK_INS:
        raise ValidationError(f"At most {MAX_CHECK_INS} check-ins: you gave {len(days)}.")
    return sorted(days)


def day_choices(event: Event) -> list[SelectChoice]:
    """The event's days, for a day menu."""
    return [SelectChoice(d.isoformat(), f"{d:%A %-d %B}") for d in event_days(event)]


class EventForm(FlaskForm):
    """An event's own settings; times of the registration window are in the host's zone."""

    version = version_field()
    title = StringField("Title", filters=LINE, validators=[DataRequired("Enter a title."), Length(max=200)])
    slug = StringField("Web address", filters=LINE, validators=[DataRequired("Enter a web address."),
                                                                  Length(max=80), SLUG_RULE])
    kind = SelectField("Kind", choices=[SelectChoice(k.value, "Convening" if k is EventKind.CONVENING
                                                     else "Peer site visit") for k in EventKind])
    summary = TextAreaField("Summary", filters=TEXT, validators=[Length(max=5000)])
    venue_name = StringField("Venue", filters=LINE, validators=[Length(max=200)])
    venue_address = StringField("Venue address", filters=LINE, validators=[Length(max=300)])
    timezone = SelectField("Host's time zone", choices=[SelectChoice(z, z.replace("_", " ")) for z in COMMON_ZONES],
                           validate_choice=False)
    hosts = MultiCheckboxField("Host districts", coerce=int, validators=[Optional()])
    # The directory is searched, never listed whole (no JavaScript: Find sends the form back).
    host_query = StringField("Find a host district", filters=LINE, validators=[Length(max=100)])
    find_host = SubmitField("Find")
    starts_on = DateField("First day", validators=[InputRequired("Enter the first day.")])
    ends_on = DateField("Last day", validators=[InputRequired("Enter the last day.")])
    capacity = optional_count("Capacity (empty for no limit)")
    registration_opens_at = DateTimeLocalField("Registration opens", format="%Y-%m-%dT%H:%M", validators=[Optional()])
    registration_closes_at = DateTimeLocalField("Registration closes", format="%Y-%m-%dT%H:%M",
                                                validators=[Optional()])
    visit_allocation = SelectField("How visit seats are given", choices=[
        SelectChoice(VisitAllocationMode.FIRST_COME.value, "First come, first served"),
        SelectChoice(VisitAllocationMode.LOTTERY.value, "Choice window, then a fair allocation")])
    choices_close_at = DateTimeLocalField("Visit choices close (allocation mode)", format="%Y-%m-%dT%H:%M",
                                          validators=[Optional()])
    followup_days = StringField("Follow-up check-ins, in days after the last day", filters=LINE,
                                default="30, 60, 90", validators=[Length(max=100)])
    followup_before_next_days = IntegerField(
        "Reminder before the next convening, in days before it (empty for none)", default=14,
        validators=[Optional(), NumberRange(min=0, max=MAX_BEFORE_NEXT_DAYS, message=(
            f"Enter a whole number of days from 0 to {MAX_BEFORE_NEXT_DAYS}, or leave it empty for no reminder."))])
    reminder_days_before = IntegerField(
        "Reminder before the event, in days before it (empty for none)", default=3,
        validators=[Optional(), NumberRange(min=0, max=MAX_REMINDER_DAYS, message=(
            f"Enter a whole number of days from 0 to {MAX_REMINDER_DAYS}, or leave it empty for no reminder."))])
    member_addresses_only = BooleanField("Only people with an address at a member district")
    confirm = BooleanField("Yes, save and notify them")
    held_places = RadioField("Seats already given first come", validators=[Optional()], choices=[
        SelectChoice("keep", "Keep them: those people keep their seats and are not drawn again"),
        SelectChoice("release", "Release them into the draw: everyone is drawn alike; seated people are told")])

    def offer_hosts(self) -> DistrictMenu:
        """The hosts' checkboxes: the districts chosen now, and after Find what it found that can host."""
        menu = district_menu(self.hosts.data or [], self.host_query.data, bool(self.find_host.data),
                             hosts_only=True)
        self.hosts.choices = [SelectChoice(d.id, d.label) for d in menu.districts]
        return menu

    def validate_timezone(self, field) -> None:
        if field.data not in available_timezones():
            raise ValidationError("Choose a time zone from the list.")

    def validate_ends_on(self, field) -> None:
        if self.starts_on.data and field.data and field.data < self.starts_on.data:
            raise ValidationError("The last day cannot be before the first day.")
        if self.starts_on.data and field.data and (field.data - self.starts_on.data).days > 14:
            raise ValidationError("An event lasts two weeks at most.")

    def validate_followup_days(self, field) -> None:
        parse_check_in_days(field.data)

    @property
    def check_in_days(self) -> list[int]:
        """The check-in days typed (call after validation)."""
        return parse_check_in_days(self.followup_days.data)

    def validate_registration_closes_at(self, field) -> None:
        opens = self.registration_opens_at.data
        if opens and field.data and field.data <= opens:
            raise ValidationError("Registration must close after it opens.")

    @property
    def zone(self) -> ZoneInfo:
        return ZoneInfo(self.timezone.data)


class CloneForm(FlaskForm):
    """The next season's copy of an event."""

    title = StringField("Title of the copy", filters=LINE, validators=[DataRequired("Enter a title."),
                                                                       Length(max=200)])
    slug = StringField("Web address of the copy", filters=LINE, validators=[
        DataRequired("Enter a web address."), Length(max=80), SLUG_RULE])
    starts_on = DateField("First day of the copy", validators=[InputRequired("Enter the first day.")])


class AgendaItemForm(FlaskForm):
    """One slot of the programme, on a day of the event, in the host's wall-clock time."""

    title = StringField("Title", filters=LINE, validators=[DataRequired("Enter a title."), Length(max=200)])
    kind = SelectField("Kind", choices=[SelectChoice(k.value, k.label) for k in AgendaKind])
    day = SelectField("Day", validators=[DataRequired("Choose a day.")])
    starts = TimeField("Starts", validators=[InputRequired("Enter when it starts.")])
    ends = TimeField("Ends", validators=[InputRequired("Enter when it ends.")])
    room = StringField("Room", filters=LINE, validators=[Length(max=120)])
    topic = StringField("Topic (for breakouts)", filters=LINE, validators=[Length(max=120)])
    description = TextAreaField("Description", filters=TEXT, validators=[Length(max=5000)])

    def validate_ends(self, field) -> None:
        if self.starts.data and field.data and field.data <= self.starts.data:
            raise ValidationError("It must end after it starts.")
