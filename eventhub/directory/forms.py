"""The directory's forms: a district's details and a school's. Empty numbers stay unknown (None), never 0."""
from flask_wtf import FlaskForm
from flask_wtf.file import FileField
from wtforms import BooleanField, DateField, IntegerField, SelectField, StringField, TextAreaField
from wtforms.fields.choices import SelectChoice
from wtforms.validators import DataRequired, Length, NumberRange, Optional

from eventhub.directory.services import STATES, DistrictDetails, SchoolDetails, federal_id, parse_domains
from eventhub.fields import LINE, TEXT
from eventhub.models import Locale
from eventhub.timezones import COMMON_ZONES

STATE_CHOICES = [SelectChoice("", "Choose…")] + [SelectChoice(s, s) for s in sorted(STATES)]
ZONE_CHOICES = [SelectChoice("", "Not chosen yet (it cannot host until it has one)")] + [
    SelectChoice(z, z.replace("_", " ")) for z in COMMON_ZONES]
LOCALE_CHOICES = [SelectChoice("", "Unknown")] + [SelectChoice(kind.value, kind.adjective.capitalize())
                                                 for kind in Locale]


class DistrictForm(FlaskForm):
    """A district's details, as the federal data and the network know them."""

    name = StringField("Name", filters=LINE, validators=[DataRequired("Enter the district's name."),
                                                         Length(max=200)])
    state = SelectField("State", choices=STATE_CHOICES, validators=[DataRequired("Choose the state.")])
    city = StringField("City", filters=LINE, validators=[Length(max=100)])
    nces_leaid = StringField("NCES district id (LEAID)", filters=LINE, validators=[Length(max=12)])
    # The states' zones, and a district's own if it is another (an import may bring any IANA zone); the
    # directory's service judges the choice.
    timezone = SelectField("Time zone", choices=ZONE_CHOICES, default="", validate_choice=False)
    enrollment = IntegerField("Enrollment", validators=[Optional(), NumberRange(0, 2_000_000)])
    locale = SelectField("Locale", choices=LOCALE_CHOICES, default="")
    frl_percent = IntegerField("Free or reduced-price lunch, %", validators=[Optional(), NumberRange(0, 100)])
    grade_span = StringField("Grades", filters=LINE, validators=[Length(max=10)])
    is_member = BooleanField("A member of the network")
    member_since = DateField("Member since", validators=[Optional()])
    email_domains = TextAreaField("Email domains", filters=TEXT, validators=[Length(max=2000)])
    notes = TextAreaField("Notes", filters=TEXT, validators=[Length(max=5000)])

    def details(self) -> DistrictDetails:
        """What was typed, as the directory keeps it (DirectoryError for an id or domain it cannot read)."""
        return DistrictDetails(
            name=self.name.data.strip(), state=self.state.data, city=(self.city.data or "").strip(),
            nces_leaid=federal_id(self.nces_leaid.data, 7, "LEAID", "nces_leaid"),
            timezone=self.timezone.data or None, enrollment=self.enrollment.data,
            locale=Locale(self.locale.data) if self.locale.data else None, frl_percent=self.frl_percent.data,
            grade_span=(self.grade_span.data or "").strip().upper() or None, is_member=self.is_member.data,
            member_since=self.member_since.data if self.is_member.data else None,
            email_domains=parse_domains(self.email_domains.data or ""), notes=(self.notes.data or "").strip())

    def offer_zone(self, zone: str | None) -> None:
        """Offer this zone too when it is not one of the states' (the zone saved, or the one sent)."""
        if zone and zone not in {choice.value for choice in ZONE_CHOICES}:
            self.timezone.choices = [*ZONE_CHOICES, SelectChoice(zone, zone.replace("_", " "))]

    @classmethod
    def showing(cls, district) -> "DistrictForm":
        """The form filled in with a district as saved."""
        form = cls(data={
            "name": district.name, "state": district.state, "city": district.city,
            "nces_leaid": district.nces_leaid or "", "timezone": district.timezone or "",
            "enrollment": district.enrollment, "locale": district.locale.value if district.locale else "",
            "frl_percent": district.frl_percent, "grade_span": district.grade_span or "",
            "is_member": district.is_member, "member_since": district.member_since,
            "email_domains": "\n".join(district.email_domains or []), "notes": district.notes})
        form.offer_zone(district.timezone)
        return form


class SchoolForm(FlaskForm):
    """A school's details; its visitor rules have their own page."""

    name = StringField("Name", filters=LINE, validators=[DataRequired("Enter the school's name."),
                                                         Length(max=200)])
    nces_id = StringField("NCES school id", filters=LINE, validators=[Length(max=14)])
    grade_span = StringField("Grades", filters=LINE, validators=[Length(max=10)])
    street = StringField("Street address", filters=LINE, validators=[Length(max=200)])
    city = StringField("City", filters=LINE, validators=[Length(max=100)])
    state = SelectField("State", choices=[SelectChoice("", "The district's")] + STATE_CHOICES[1:], default="")
    postal_code = StringField("ZIP code", filters=LINE, validators=[Length(max=10)])
    entrance = StringField("Entrance for visitors", filters=LINE, validators=[Length(max=300)])
    bus_parking = StringField("Where buses park", filters=LINE, validators=[Length(max=300)])

    def details(self) -> SchoolDetails:
        """What was typed, as the directory keeps it."""
        return SchoolDetails(
            name=self.name.data.strip(), nces_id=federal_id(self.nces_id.data, 12, "NCES school id", "nces_id"),
            grade_span=(self.grade_span.data or "").strip().upper() or None,
            **{name: (getattr(self, name).data or "").strip()
               for name in ("street", "city", "state", "postal_code", "entrance", "bus_parking")})

    @classmethod
    def showing(cls, school) -> "SchoolForm":
        """The form filled in with a school as saved."""
        return cls(data={"name": school.name, "nces_id": school.nces_id or "", "grade_span": school.grade_span or "",
                         "street": school.street, "city": school.city, "state": school.state,
                         "postal_code": school.postal_code, "entrance": school.entrance,
                         "bus_parking": school.bus_parking})


class ImportForm(FlaskForm):
    """A directory file to preview, and whether its districts join the network."""

    file = FileField("CSV file of districts or schools")
    members = BooleanField("Make the file's districts members of the network")
