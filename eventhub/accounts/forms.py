"""The accounts forms: sign in, forgotten password, choosing a password, and an admin's user forms."""
from email_validator import EmailNotValidError, validate_email
from flask_wtf import FlaskForm
from wtforms import BooleanField, EmailField, PasswordField, SelectField, StringField, SubmitField
from wtforms.fields.choices import SelectChoice
from wtforms.validators import DataRequired, EqualTo, Length, ValidationError

from eventhub.accounts.services import MIN_PASSWORD_LENGTH, ROLE_LABELS
from eventhub.bounds import parse_id
from eventhub.directory.queries import DistrictMenu, district_menu
from eventhub.fields import clean_line
from eventhub.models import UserRole


class SignInForm(FlaskForm):
    """Email and password."""

    email = EmailField("Email", validators=[DataRequired("Enter your email address."), Length(max=254)])
    password = PasswordField("Password", validators=[DataRequired("Enter your password."), Length(max=200)])


def _valid_email(form, field) -> None:
    """A well-formed address (deliverability is not checked), normalised as the commands do."""
    if not field.data:
        return
    try:
        field.data = validate_email(field.data.strip(), check_deliverability=False).normalized
    except EmailNotValidError:
        raise ValidationError("Enter an email address like name@district.org.") from None


class ForgotPasswordForm(FlaskForm):
    """The address of the account whose password was forgotten."""

    email = EmailField("Email", validators=[DataRequired("Enter your email address."), Length(max=254),
                                            _valid_email])


class ChoosePasswordForm(FlaskForm):
    """A new password, typed twice."""

    password = PasswordField("New password", validators=[
        DataRequired("Enter a new password."),
        Length(min=MIN_PASSWORD_LENGTH, max=200,
               message=f"Use at least {MIN_PASSWORD_LENGTH} characters (at most 200)."),
    ])
    confirm = PasswordField("New password again", validators=[
        DataRequired("Enter the new password a second time."),
        EqualTo("password", "The two passwords are not the same."),
    ])


class SetupForm(ChoosePasswordForm):
    """The first admin's account, with the setup code from the server's log."""

    code = StringField("Setup code", validators=[DataRequired("Enter the setup code from the server's log."),
                                                 Length(max=64)])
    name = StringField("Your name", validators=[Length(max=150)])
    email = EmailField("Your email", validators=[DataRequired("Enter your email address."), Length(max=254),
                                                 _valid_email])


ROLE_CHOICES = [SelectChoice(role.value, ROLE_LABELS[role]) for role in UserRole]
# Made before the shared fields, so the invitation form (and its error summary) starts with it.
_INVITEE_EMAIL = EmailField("Email", validators=[DataRequired("Enter the person's email address."),
                                                 Length(max=254), _valid_email])


class _AccountFields(FlaskForm):
    """Name, role and district, shared by the invitation and the edit form; set `district.choices`."""

    name = StringField("Name", validators=[Length(max=150)])
    role = SelectField("Role", choices=ROLE_CHOICES, default=UserRole.ORGANIZER.value,
                       validators=[DataRequired("Choose a role.")])
    district = SelectField("District", choices=[SelectChoice("", "None")])
    # The directory is searched, never listed whole (no JavaScript: Find sends the form back).
    district_query = StringField("Find a district", filters=[clean_line], validators=[Length(max=100)])
    find_district = SubmitField("Find")

    def validate_role(self, field) -> None:
        if not field.raw_data:  # a post without the field gets no role by default, not even the safe one
            raise ValidationError("Choose a role.")

    def validate_district(self, field) -> None:
        if self.role.data == UserRole.HOST_COORDINATOR.value and not field.data:
            raise ValidationError("A host coordinator needs a district: the district whose visits they manage.")

    def offer_districts(self) -> DistrictMenu:
        """The district menu: after Find, what it found (the first chosen); and the district chosen now."""
        chosen = parse_id(self.district.data)
        menu = district_menu([chosen] if chosen else [], self.district_query.data, bool(self.find_district.data))
        if menu.found and chosen not in {d.id for d in menu.found}:
            self.district.data = str(menu.found[0].id)
        self.district.choices = [SelectChoice("", "None")] + [SelectChoice(str(d.id), d.label)
                                                              for d in menu.districts]
        return menu


class InviteUserForm(_AccountFields):
    """Who to invite: their address, name, role and (host coordinators) district."""

    email = _INVITEE_EMAIL


class EditUserForm(_AccountFields):
    """What an admin may change about an account."""

    active = BooleanField("Active")
