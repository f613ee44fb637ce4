"""Back-office forms: an event, its agenda items, its visits, a school's host rules, a message."""
import re
from zoneinfo import ZoneInfo, available_timezones

from flask_wtf import FlaskForm
from wtforms import (
    BooleanField,
    DateField,
    DateTimeLocalField,
    EmailField,
    IntegerField,
    SelectField,
    SelectMultipleField,
    StringField,
    TelField,
    TextAreaField,
    TimeField,
)
from wtforms.fields.choices import SelectChoice
from wtforms.validators import DataRequired, InputRequired, Length, NumberRange, Optional, Regexp, ValidationError

from eventhub.models import AgendaKind, EventKind, Transport, VisitAllocationMode
from eventhub.registration.forms import clean_line, clean_text

# The zones the network's districts are in come first; any IANA zone is accepted.
COMMON_ZONES = ["America/New_York", "America/Chicago", "America/Denver", "America/Phoenix",
                "America/Los_Angeles", "America/Anchorage", "Pacific/Honolulu"]
SLUG_RULE = Regexp(r"^[a-z0-9]+(?:-[a-z0-9]+)*$",
                   message="Use lower-case letters, digits and hyphens only, e.g. spring-2027-springfield.")
LINE = [clean_line]
TEXT = [clean_text]


# Follow-up check-ins an organizer may set on an event (eventhub/followup/reminders.py reads them).
MAX_CHECK_IN_DAY = 730
MAX_CHECK_INS = 6
MAX_BEFORE_NEXT_DAYS = 120


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


def _optional_int(label: str, **kw) -> IntegerField:
    return IntegerField(label, validators=[Optional(), NumberRange(min=0, max=100_000,
                                                                   message="Enter a whole number, 0 or more.")], **kw)


class EventForm(FlaskForm):
    """An event's own settings; times of the registration window are in the host's zone."""

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
    hosts = SelectMultipleField("Host districts", coerce=int, validators=[Optional()])
    starts_on = DateField("First day", validators=[InputRequired("Enter the first day.")])
    ends_on = DateField("Last day", validators=[InputRequired("Enter the last day.")])
    capacity = _optional_int("Capacity (empty for no limit)")
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
    confirm = BooleanField("Yes, save and notify them")

    def set_districts(self, districts) -> None:
        self.hosts.choices = [SelectChoice(d.id, d.name) for d in districts]

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


class VisitForm(FlaskForm):
    """A school visit: where, when, what to see, how many seats."""

    school_id = SelectField("Host school", coerce=int, validators=[InputRequired("Choose the host school.")])
    title = StringField("Title", filters=LINE, validators=[DataRequired("Enter a title."), Length(max=200)])
    focus = TextAreaField("Focus of inquiry (the practice to see)", filters=TEXT, validators=[Length(max=5000)])
    topics = StringField("Topic tags, separated by commas", filters=LINE, validators=[Length(max=300)])
    block_id = SelectField("Visit block on the agenda", coerce=int)
    day = SelectField("Day", validators=[DataRequired("Choose a day.")])
    starts = TimeField("Starts at the school", validators=[InputRequired("Enter when it starts.")])
    ends = TimeField("Ends", validators=[InputRequired("Enter when it ends.")])
    bus_departs = TimeField("Bus leaves at", validators=[Optional()])
    meeting_point = StringField("Meeting point", filters=LINE, validators=[Length(max=300)])
    transport = SelectField("Transport", choices=[SelectChoice(t.value, t.label) for t in Transport])
    host_contact_name = StringField("Host contact", filters=LINE, validators=[Length(max=150)])
    host_contact_email = EmailField("Host contact's email", filters=LINE, validators=[Length(max=254)])
    host_contact_phone = TelField("Host contact's phone", filters=LINE, validators=[Length(max=30)])
    lunch_provided = BooleanField("The school provides lunch")
    seats_override = _optional_int("Seats, set outright")
    buses = _optional_int("Buses (48 adults each)")
    room_limit = _optional_int("The school's room limit")
    observation_groups = _optional_int("Observation groups")
    group_size = _optional_int("People per observation group")
    confirm = BooleanField("Yes, save and notify them")

    def validate_ends(self, field) -> None:
        if self.starts.data and field.data and field.data <= self.starts.data:
            raise ValidationError("The visit must end after it starts.")

    def validate_bus_departs(self, field) -> None:
        if field.data and self.ends.data and field.data >= self.ends.data:
            raise ValidationError("The bus must leave before the visit ends.")

    @property
    def topic_list(self) -> list[str]:
        return [t.strip() for t in (self.topics.data or "").split(",") if t.strip()][:12]


class HostRulesForm(FlaskForm):
    """What a school asks of its visitors, shown on each of its visits before anyone picks one."""

    photo_id_required = BooleanField("Photo ID required")
    accepted_ids = StringField("Accepted kinds of ID", filters=LINE, validators=[Length(max=300)])
    screening_dob_required = BooleanField("Date of birth needed for visitor screening")
    screening_id_type_required = BooleanField("ID type needed for visitor screening")
    notice_school_days = IntegerField("School days of notice required", validators=[
        InputRequired("Enter the days of notice (0 for none)."), NumberRange(min=0, max=60)])
    photo_policy = StringField("Photo policy", filters=LINE, validators=[Length(max=500)])
    visitor_norms = TextAreaField("Norms for visitors", filters=TEXT, validators=[Length(max=5000)])
    entrance = StringField("Entrance to use", filters=LINE, validators=[Length(max=300)])
    bus_parking = StringField("Where buses park", filters=LINE, validators=[Length(max=300)])


class MessageForm(FlaskForm):
    """An email to a chosen set of registrants, with placeholders such as {first_name}."""

    subject = StringField("Subject", filters=LINE, validators=[DataRequired("Enter a subject."), Length(max=200)])
    body = TextAreaField("Message", filters=TEXT, validators=[DataRequired("Write the message."),
                                                              Length(max=20_000)])
    confirm = BooleanField("Yes, send it")
