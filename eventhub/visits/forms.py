"""Forms of the visits' management pages: a visit and a school's rules for visitors."""
from flask_wtf import FlaskForm
from wtforms import (
    BooleanField,
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
from wtforms.validators import (
    DataRequired,
    InputRequired,
    Length,
    NumberRange,
    Optional,
)
from wtforms.widgets import CheckboxInput, ListWidget

from eventhub.fields import LINE, TEXT, optional_count, version_field
from eventhub.models import ID_TYPES, Transport


class VisitForm(FlaskForm):
    """A school visit: where, when, what to see, how many seats."""

    version = version_field()
    school_id = SelectField("Host school", coerce=int, validators=[InputRequired("Choose the host school.")])
    title = StringField("Title", filters=LINE, validators=[DataRequired("Enter a title."), Length(max=200)])
    focus = TextAreaField("Focus of inquiry (the practice to see)", filters=TEXT, validators=[Length(max=5000)])
    topics = StringField("Topic tags, separated by commas", filters=LINE, validators=[Length(max=300)])
    block_id = SelectField("Visit block on the agenda", coerce=int)
    day = SelectField("Day", validators=[DataRequired("Choose a day.")])
    starts = TimeField("Starts at the school", validators=[InputRequired("Enter when it starts.")])
    ends = TimeField("Ends", validators=[InputRequired("Enter when it ends.")])
    meets = TimeField("Meet at (time)", validators=[Optional()])
    bus_departs = TimeField("Bus leaves at", validators=[Optional()])
    meeting_point = StringField("Meeting point", filters=LINE, validators=[Length(max=300)])
    transport = SelectField("Transport", choices=[SelectChoice(t.value, t.label) for t in Transport])
    host_contact_name = StringField("Host contact", filters=LINE, validators=[Length(max=150)])
    host_contact_email = EmailField("Host contact's email", filters=LINE, validators=[Length(max=254)])
    host_contact_phone = TelField("Host contact's phone", filters=LINE, validators=[Length(max=30)])
    lunch_provided = BooleanField("The school provides lunch")
    seats_override = optional_count("Seats, set outright")
    buses = optional_count("Buses (48 adults each)")
    room_limit = optional_count("The school's room limit")
    observation_groups = optional_count("Observation groups")
    group_size = optional_count("People per observation group")
    confirm = BooleanField("Yes, save and notify them")

    @property
    def topic_list(self) -> list[str]:
        return [t.strip() for t in (self.topics.data or "").split(",") if t.strip()][:12]


class HostRulesForm(FlaskForm):
    """What a school asks of its visitors, shown on each of its visits before anyone picks one."""

    photo_id_required = BooleanField("Photo ID required")
    accepted_id_kinds = SelectMultipleField(
        "Accepted kinds of photo ID", choices=[SelectChoice(k, v) for k, v in ID_TYPES.items()],
        widget=ListWidget(prefix_label=False), option_widget=CheckboxInput())
    screening_dob_required = BooleanField("Date of birth needed for visitor screening")
    screening_id_type_required = BooleanField("ID type needed for visitor screening")
    notice_school_days = IntegerField("School days of notice required", validators=[
        InputRequired("Enter the days of notice (0 for none)."), NumberRange(min=0, max=60)])
    photo_policy = StringField("Photo policy", filters=LINE, validators=[Length(max=500)])
    visitor_norms = TextAreaField("Norms for visitors", filters=TEXT, validators=[Length(max=5000)])
    entrance = StringField("Entrance to use", filters=LINE, validators=[Length(max=300)])
    bus_parking = StringField("Where buses park", filters=LINE, validators=[Length(max=300)])
    confirm = BooleanField("Yes, save and notify them")
